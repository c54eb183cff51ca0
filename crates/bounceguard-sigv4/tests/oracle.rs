//! Requests signed by the official `aws-sigv4` crate must verify; altered ones must not.

#![allow(clippy::unwrap_used)]

mod common;

use aws_sigv4::http_request::{PayloadChecksumKind, PercentEncodingMode, SignatureLocation};
use bounceguard_sigv4::SigV4Error;
use chrono::Duration;
use common::*;
use proptest::prelude::*;

const FORM_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

#[test]
fn v1_form_post_to_root_verifies() {
    let body = b"Action=SendEmail&Source=sender%40example.com&Destination.ToAddresses.member.1=r%40example.com&Message.Subject.Data=Hi&Message.Body.Text.Data=Hello&Version=2010-12-01";
    let req = Signing::new("POST", "/", body)
        .header("content-type", FORM_TYPE)
        .sign();
    // botocore-style header: `, ` between the parts.
    assert!(req.authorization().contains(", SignedHeaders="));
    let verified = ses_verifier()
        .verify(&req.as_signed(), t0() + Duration::minutes(3), lookup)
        .unwrap();
    assert_eq!(verified.access_key_id, ACCESS_KEY);
    assert_eq!(verified.region, "us-east-1");
    assert_eq!(verified.session_token, None);
    assert_eq!(verified.signed_at, t0());
    assert!(!verified.presigned);
    assert!(verified.payload_signed);
}

#[test]
fn v2_get_with_encoded_path_and_query_verifies() {
    let req = Signing::new(
        "GET",
        "/v2/email/identities/a%40b.com?PageSize=10&NextToken=a%2Fb",
        b"",
    )
    .sign();
    assert_eq!(req.path, "/v2/email/identities/a%40b.com");
    assert_eq!(req.query.as_deref(), Some("PageSize=10&NextToken=a%2Fb"));
    ses_verifier()
        .verify(&req.as_signed(), t0(), lookup)
        .unwrap();
}

#[test]
fn single_encoded_path_signature_is_rejected() {
    // SES (non-S3) double-encodes the path; a client that signed `%40` once must fail.
    let mut signing = Signing::new("GET", "/v2/email/identities/a%40b.com", b"");
    signing.settings.percent_encoding_mode = PercentEncodingMode::Single;
    let req = signing.sign();
    let err = ses_verifier()
        .verify(&req.as_signed(), t0(), lookup)
        .unwrap_err();
    assert_eq!(err, SigV4Error::Mismatch);
}

#[test]
fn v2_put_with_json_body_and_content_sha256_header_verifies() {
    let body = br#"{"EmailAddress":"bounce@example.com","Reason":"BOUNCE"}"#;
    let mut signing = Signing::new("PUT", "/v2/email/suppression/addresses", body)
        .header("content-type", "application/json");
    signing.settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let req = signing.sign();
    assert!(req.headers.contains_key("x-amz-content-sha256"));
    ses_verifier()
        .verify(&req.as_signed(), t0(), lookup)
        .unwrap();

    // Same JSON body without the header: the body hash is computed by the verifier.
    let req = Signing::new("PUT", "/v2/email/suppression/addresses", body)
        .header("content-type", "application/json")
        .sign();
    assert!(!req.headers.contains_key("x-amz-content-sha256"));
    ses_verifier()
        .verify(&req.as_signed(), t0(), lookup)
        .unwrap();
}

#[test]
fn session_token_is_signed_and_reported() {
    let mut signing = Signing::new("POST", "/", b"Action=GetSendQuota&Version=2010-12-01")
        .header("content-type", FORM_TYPE);
    signing.credentials = creds(Some("FwoGZXIvYXdzEXAMPLETOKEN=="));
    let req = signing.sign();
    assert!(req.authorization().contains("x-amz-security-token"));
    let verified = ses_verifier()
        .verify(&req.as_signed(), t0(), lookup)
        .unwrap();
    assert_eq!(
        verified.session_token.as_deref(),
        Some("FwoGZXIvYXdzEXAMPLETOKEN==")
    );
}

#[test]
fn presigned_url_verifies_and_expires() {
    let mut signing = Signing::new("GET", "/?Action=GetSendQuota&Version=2010-12-01", b"");
    signing.settings.signature_location = SignatureLocation::QueryParams;
    signing.settings.expires_in = Some(std::time::Duration::from_secs(300));
    signing.credentials = creds(Some("TOKEN/with+chars="));
    let req = signing.sign();
    assert!(!req.headers.contains_key("authorization"));
    let query = req.query.clone().unwrap();
    assert!(query.contains("X-Amz-Signature="), "{query}");

    let verified = ses_verifier()
        .verify(&req.as_signed(), t0() + Duration::minutes(4), lookup)
        .unwrap();
    assert!(verified.presigned);
    assert_eq!(verified.session_token.as_deref(), Some("TOKEN/with+chars="));

    // Past X-Amz-Expires (300 s) but within the 15-minute skew.
    let err = ses_verifier()
        .verify(&req.as_signed(), t0() + Duration::minutes(6), lookup)
        .unwrap_err();
    assert_eq!(err, SigV4Error::PresignExpired);
    assert_eq!(err.code().v1_code(), "RequestExpired");
    assert_eq!(err.to_string(), "Request has expired.");

    // A changed query parameter breaks the signature.
    let mut tampered = req.clone();
    tampered.query = Some(query.replace("GetSendQuota", "GetSendStatistics"));
    assert_eq!(
        ses_verifier()
            .verify(&tampered.as_signed(), t0(), lookup)
            .unwrap_err(),
        SigV4Error::Mismatch
    );
}

#[test]
fn authorization_without_spaces_after_commas_verifies() {
    let mut req = Signing::new("POST", "/", b"Action=GetSendQuota")
        .header("content-type", FORM_TYPE)
        .sign();
    let compact = req.authorization().replace(", ", ",");
    assert!(!compact.contains(", "));
    req.set_header("authorization", &compact);
    ses_verifier()
        .verify(&req.as_signed(), t0(), lookup)
        .unwrap();
}

#[test]
fn http2_authority_stands_in_for_a_missing_host_header() {
    let mut req = Signing::new("GET", "/v2/email/account", b"").sign();
    req.headers.remove("host");
    let signed = req.as_signed();
    assert_eq!(
        ses_verifier().verify(&signed, t0(), lookup).unwrap_err(),
        SigV4Error::Mismatch
    );
    let signed = signed.with_authority(Some(HOST));
    ses_verifier().verify(&signed, t0(), lookup).unwrap();
}

#[test]
fn unsigned_payload_verifies_but_is_reported() {
    let mut signing = Signing::new("POST", "/v2/email/outbound-emails", b"{}");
    signing.settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    signing.unsigned_payload = true;
    let mut req = signing.sign();
    assert_eq!(req.headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
    req.body = b"{\"other\":1}".to_vec();
    let verified = ses_verifier()
        .verify(&req.as_signed(), t0(), lookup)
        .unwrap();
    assert!(!verified.payload_signed);
}

#[test]
fn repeated_and_spaced_header_values_are_normalised_like_the_signer() {
    let req = Signing::new("GET", "/v2/email/account", b"")
        .header("x-custom", "  a   b  ")
        .header("x-multi", "one")
        .header("x-multi", "two")
        .sign();
    assert!(req.authorization().contains("x-custom;x-multi"));
    ses_verifier()
        .verify(&req.as_signed(), t0(), lookup)
        .unwrap();
}

/// A path segment: unreserved and sub-delim characters, percent-escapes, or a dot segment.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::collection::vec(
            prop_oneof![
                "[A-Za-z0-9._~!$'()*+,;=:@-]",
                "%[0-9A-F]{2}",
            ],
            0..6,
        )
        .prop_map(|parts| parts.concat()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
    ]
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn oracle_signed_requests_verify_and_body_flips_fail(
        segments in proptest::collection::vec(segment(), 0..5),
        trailing_slash in any::<bool>(),
        params in proptest::collection::vec(("\\PC{0,8}", "\\PC{0,8}"), 0..5),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        content_sha_header in any::<bool>(),
        flip in any::<proptest::sample::Index>(),
    ) {
        let mut path = format!("/{}", segments.join("/"));
        if trailing_slash && !path.ends_with('/') {
            path.push('/');
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let path_and_query = if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{}", query.join("&"))
        };
        let mut signing = Signing::new("POST", &path_and_query, &body)
            .header("content-type", "application/octet-stream");
        if content_sha_header {
            signing.settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let mut req = signing.sign();
        let verifier = ses_verifier();
        prop_assert!(
            verifier.verify(&req.as_signed(), t0(), lookup).is_ok(),
            "{path_and_query}"
        );

        if !req.body.is_empty() {
            let i = flip.index(req.body.len());
            req.body[i] ^= 0x01;
            let expected = if content_sha_header {
                SigV4Error::PayloadHashMismatch
            } else {
                SigV4Error::Mismatch
            };
            prop_assert_eq!(verifier.verify(&req.as_signed(), t0(), lookup), Err(expected));
        }
    }
}
