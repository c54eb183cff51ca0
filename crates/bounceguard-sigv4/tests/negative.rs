//! Every rejection: exact SES code, HTTP status and AWS message text.

#![allow(clippy::unwrap_used)]

mod common;

use aws_sigv4::http_request::SignatureLocation;
use bounceguard_core::SesError;
use bounceguard_sigv4::{SIGNATURE_MISMATCH_TEXT, SigV4Error};
use chrono::Duration;
use common::*;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const FORM_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
const BODY: &[u8] = b"Action=GetSendQuota&Version=2010-12-01";

fn v1_request() -> Received {
    Signing::new("POST", "/", BODY)
        .header("content-type", FORM_TYPE)
        .sign()
}

fn verify(req: &Received) -> Result<bounceguard_sigv4::Verified, SigV4Error> {
    ses_verifier().verify(&req.as_signed(), t0(), lookup)
}

/// Asserts the error converts to the given v1 code, status and message.
fn assert_ses(err: SigV4Error, code: &str, status: u16, message: &str) {
    let ses = SesError::from(err);
    assert_eq!(ses.code.v1_code(), code);
    assert_eq!(ses.code.v1_status(), status);
    assert_eq!(ses.message, message);
}

/// A request with a hand-written Authorization header (and X-Amz-Date 20240115T103000Z).
fn with_authorization(value: &str) -> Received {
    let mut req = v1_request();
    req.set_header("authorization", value);
    req
}

#[test]
fn wrong_secret_is_signature_does_not_match() {
    let req = v1_request();
    let err = ses_verifier()
        .verify(&req.as_signed(), t0(), |_| Some("not-the-secret"))
        .unwrap_err();
    assert_eq!(err, SigV4Error::Mismatch);
    assert_ses(err, "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH_TEXT);
}

#[test]
fn unknown_access_key_is_invalid_client_token_id() {
    let req = v1_request();
    let err = ses_verifier()
        .verify(&req.as_signed(), t0(), |_| None::<&str>)
        .unwrap_err();
    assert_ses(
        err,
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    );
}

#[test]
fn lookup_receives_the_access_key_from_the_credential() {
    let req = v1_request();
    let mut asked = String::new();
    let _ = ses_verifier().verify(&req.as_signed(), t0(), |k| {
        asked = k.to_owned();
        None::<String>
    });
    assert_eq!(asked, ACCESS_KEY);
}

#[test]
fn signature_expired_uses_aws_wording() {
    // The brief's example: signed 10:30, now 11:00.
    let req = v1_request();
    let err = ses_verifier()
        .verify(&req.as_signed(), at(11, 0, 0), lookup)
        .unwrap_err();
    assert_ses(
        err,
        "SignatureDoesNotMatch",
        403,
        "Signature expired: 20240115T103000Z is now earlier than 20240115T104500Z (20240115T110000Z - 15 min.)",
    );
    // 20 minutes old.
    let err = ses_verifier()
        .verify(&req.as_signed(), t0() + Duration::minutes(20), lookup)
        .unwrap_err();
    assert_ses(
        err,
        "SignatureDoesNotMatch",
        403,
        "Signature expired: 20240115T103000Z is now earlier than 20240115T103500Z (20240115T105000Z - 15 min.)",
    );
}

#[test]
fn signature_not_yet_current_uses_aws_wording() {
    let req = v1_request();
    let err = ses_verifier()
        .verify(&req.as_signed(), t0() - Duration::minutes(20), lookup)
        .unwrap_err();
    assert_ses(
        err,
        "SignatureDoesNotMatch",
        403,
        "Signature not yet current: 20240115T103000Z is still later than 20240115T102500Z (20240115T101000Z + 15 min.)",
    );
}

#[test]
fn skew_boundaries_are_inclusive_at_15_minutes() {
    let req = v1_request();
    let v = ses_verifier();
    assert!(
        v.verify(&req.as_signed(), t0() + Duration::minutes(15), lookup)
            .is_ok()
    );
    assert!(
        v.verify(&req.as_signed(), t0() - Duration::minutes(15), lookup)
            .is_ok()
    );
    assert!(matches!(
        v.verify(
            &req.as_signed(),
            t0() + Duration::seconds(15 * 60 + 1),
            lookup
        ),
        Err(SigV4Error::Expired(_))
    ));
    assert!(matches!(
        v.verify(
            &req.as_signed(),
            t0() - Duration::seconds(15 * 60 + 1),
            lookup
        ),
        Err(SigV4Error::NotYetCurrent(_))
    ));
}

#[test]
fn wrong_region_is_rejected_with_the_region_named() {
    let mut signing = Signing::new("POST", "/", BODY).header("content-type", FORM_TYPE);
    signing.region = "eu-west-1";
    let err = verify(&signing.sign()).unwrap_err();
    assert_ses(
        err,
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    );
}

#[test]
fn wrong_service_is_rejected_naming_the_correct_one() {
    let mut signing = Signing::new("POST", "/", BODY).header("content-type", FORM_TYPE);
    signing.service = "email";
    let err = verify(&signing.sign()).unwrap_err();
    assert_ses(
        err,
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped to correct service: 'ses'. ",
    );
}

#[test]
fn bad_terminator_and_scope_date_are_listed_together() {
    let req = with_authorization(&format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240114/us-west-2/sts/aws5_request, SignedHeaders=content-type;host;x-amz-date, Signature={}",
        "0".repeat(64)
    ));
    let err = verify(&req).unwrap_err();
    assert_ses(
        err,
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped to a valid region, not 'us-west-2'. \
         Credential should be scoped to correct service: 'ses'. \
         Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. \
         Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
         '20240114' != '20240115', from '20240115T103000Z'.",
    );
}

#[test]
fn tampered_body_fails() {
    let mut req = v1_request();
    req.body = b"Action=GetSendQuota&Version=2010-12-02".to_vec();
    assert_eq!(verify(&req).unwrap_err(), SigV4Error::Mismatch);
}

#[test]
fn tampered_signed_header_fails() {
    let mut req = v1_request();
    req.set_header("content-type", "application/x-www-form-urlencoded");
    let err = verify(&req).unwrap_err();
    assert_ses(err, "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH_TEXT);

    let mut req = v1_request();
    req.set_header("host", "evil.example");
    assert_eq!(verify(&req).unwrap_err(), SigV4Error::Mismatch);
}

#[test]
fn unsigned_header_may_change() {
    let mut req = v1_request();
    req.set_header("user-agent", "something-else");
    assert!(verify(&req).is_ok());
}

#[test]
fn host_missing_from_signed_headers_is_rejected() {
    let req = with_authorization(&format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240115/us-east-1/ses/aws4_request, SignedHeaders=content-type;x-amz-date, Signature={}",
        "0".repeat(64)
    ));
    let err = verify(&req).unwrap_err();
    assert_eq!(err, SigV4Error::HostNotSigned);
    assert_ses(
        err,
        "SignatureDoesNotMatch",
        403,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
}

#[test]
fn authorization_missing_parts_lists_each_one() {
    let req = with_authorization("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date");
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "Authorization header requires 'Credential' parameter. \
         Authorization header requires 'Signature' parameter. \
         Authorization=AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date",
    );

    let mut req = with_authorization("AWS4-HMAC-SHA256");
    req.headers.remove("x-amz-date");
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "Authorization header requires 'Credential' parameter. \
         Authorization header requires 'Signature' parameter. \
         Authorization header requires 'SignedHeaders' parameter. \
         Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization=AWS4-HMAC-SHA256",
    );
}

#[test]
fn missing_date_alone_is_incomplete() {
    let mut req = v1_request();
    req.headers.remove("x-amz-date");
    let auth = req.authorization();
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        &format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={auth}"
        ),
    );
}

#[test]
fn garbage_authorization_headers_are_incomplete() {
    let req = with_authorization("Bearer abc.def");
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'.",
    );

    let req = with_authorization("Basic");
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "Authorization header requires 'Credential' parameter. \
         Authorization header requires 'Signature' parameter. \
         Authorization header requires 'SignedHeaders' parameter. Authorization=Basic",
    );

    let req = with_authorization(&format!(
        "AWS4-HMAC-SHA512 Credential={ACCESS_KEY}/20240115/us-east-1/ses/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
    ));
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
    );

    let req = with_authorization(
        "AWS4-HMAC-SHA256 Credential=AK/20240115/us-east-1/, SignedHeaders=host, Signature=00",
    );
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AK/20240115/us-east-1'",
    );

    // Non-UTF-8 bytes and a huge header: an error, never a panic.
    let mut req = v1_request();
    req.headers.insert(
        "authorization",
        HeaderValue::from_bytes(
            b"AWS4-HMAC-SHA256 Credential=\xff\xfe/x, SignedHeaders=host, Signature=1",
        )
        .unwrap(),
    );
    assert_eq!(
        verify(&req).unwrap_err().code().v1_code(),
        "IncompleteSignature"
    );
    let huge = format!("AWS4-HMAC-SHA256 Credential={}", "A".repeat(1 << 20));
    let req = with_authorization(&huge);
    assert_eq!(
        verify(&req).unwrap_err().code().v1_code(),
        "IncompleteSignature"
    );
}

#[test]
fn malformed_date_is_incomplete() {
    let mut req = v1_request();
    req.set_header("x-amz-date", "2024-01-15T10:30:00Z");
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "Date must be in ISO-8601 'basic format'. Got '2024-01-15T10:30:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    );
}

#[test]
fn both_auth_forms_are_rejected() {
    let mut signing = Signing::new("GET", "/?Action=GetSendQuota", b"");
    signing.settings.signature_location = SignatureLocation::QueryParams;
    signing.settings.expires_in = Some(std::time::Duration::from_secs(300));
    let mut req = signing.sign();
    let header_req = v1_request();
    req.set_header("authorization", &header_req.authorization());
    assert_ses(
        verify(&req).unwrap_err(),
        "SignatureDoesNotMatch",
        403,
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    );
}

#[test]
fn no_auth_at_all_is_missing_authentication_token() {
    let mut req = v1_request();
    req.headers.remove("authorization");
    let err = verify(&req).unwrap_err();
    assert_eq!(err, SigV4Error::MissingAuthentication);
    assert_ses(
        err,
        "MissingAuthenticationToken",
        403,
        "Request is missing Authentication Token",
    );
    // An empty Authorization header counts as none.
    let req = with_authorization("  ");
    assert_eq!(verify(&req).unwrap_err(), SigV4Error::MissingAuthentication);
}

#[test]
fn presigned_missing_parameters_are_listed() {
    let mut req = v1_request();
    req.headers.remove("authorization");
    req.query = Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host".to_owned());
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "AWS query-string parameters must include 'X-Amz-Credential'. \
         AWS query-string parameters must include 'X-Amz-Signature'. \
         AWS query-string parameters must include 'X-Amz-Date'. \
         Re-examine the query-string parameters.",
    );
}

#[test]
fn presigned_expires_out_of_range_is_incomplete() {
    let mut req = v1_request();
    req.headers.remove("authorization");
    let base = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ACCESS_KEY}%2F20240115%2Fus-east-1%2Fses%2Faws4_request&X-Amz-Date=20240115T103000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
    );
    req.query = Some(format!("{base}&X-Amz-Expires=604801"));
    assert_ses(
        verify(&req).unwrap_err(),
        "IncompleteSignature",
        400,
        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
    );
    req.query = Some(format!("{base}&X-Amz-Expires=soon"));
    assert_eq!(
        verify(&req).unwrap_err(),
        SigV4Error::Incomplete("X-Amz-Expires should be a number".to_owned())
    );
    // In range: the checks go on to the signature.
    req.query = Some(format!("{base}&X-Amz-Expires=60"));
    assert_eq!(verify(&req).unwrap_err(), SigV4Error::Mismatch);
}

#[test]
fn content_sha256_header_must_hash_the_body() {
    let mut req = v1_request();
    // Declares (and would sign) the hash of another body.
    let other = hex::encode(Sha256::digest(b"other"));
    req.set_header("x-amz-content-sha256", &other);
    assert_eq!(verify(&req).unwrap_err(), SigV4Error::Mismatch);
}

#[test]
fn date_header_fallback_verifies_against_an_independent_signature() {
    // Signed by hand: canonical request written out per ses-spec §3, key and HMAC from
    // aws-sigv4's public primitives.
    let canonical = "POST\n/\n\ndate:Mon, 15 Jan 2024 10:30:00 GMT\nhost:email.us-east-1.amazonaws.com\n\n\
                     date;host\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n20240115T103000Z\n20240115/us-east-1/ses/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(
        SECRET,
        std::time::SystemTime::from(t0()),
        "us-east-1",
        "ses",
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());

    let mut headers = HeaderMap::new();
    headers.insert(
        "date",
        HeaderValue::from_static("Mon, 15 Jan 2024 10:30:00 GMT"),
    );
    headers.insert("host", HeaderValue::from_static(HOST));
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240115/us-east-1/ses/aws4_request,SignedHeaders=date;host,Signature={signature}"
        ))
        .unwrap(),
    );
    let req = Received {
        method: "POST".into(),
        path: "/".into(),
        query: None,
        headers,
        body: Vec::new(),
    };
    let verified = verify(&req).unwrap();
    assert_eq!(verified.signed_at, t0());
}

#[test]
fn begin_then_complete_matches_verify() {
    let req = v1_request();
    let v = ses_verifier();
    let signed = req.as_signed();
    let pending = v.begin(&signed, t0()).unwrap();
    assert_eq!(pending.access_key_id(), ACCESS_KEY);
    let verified = pending.complete(Some(SECRET)).unwrap();
    assert_eq!(verified, v.verify(&req.as_signed(), t0(), lookup).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary Authorization bytes, paths and queries never verify (and never panic).
    #[test]
    fn arbitrary_auth_never_verifies(
        auth in proptest::collection::vec(any::<u8>(), 0..200),
        prefix in any::<bool>(),
        path in "\\PC{0,30}",
        query in proptest::option::of("\\PC{0,40}"),
        date in proptest::option::of("[0-9TZ]{0,20}"),
    ) {
        let mut value = if prefix { b"AWS4-HMAC-SHA256 ".to_vec() } else { Vec::new() };
        value.extend_from_slice(&auth);
        let mut req = v1_request();
        req.path = path;
        req.query = query;
        if let Some(date) = date {
            req.set_header("x-amz-date", &date);
        }
        match HeaderValue::from_bytes(&value) {
            Ok(v) => { req.headers.insert("authorization", v); }
            Err(_) => { req.headers.remove("authorization"); }
        }
        prop_assert!(verify(&req).is_err());
    }
}
