//! AWS's published example from the IAM user guide ("Create a signed AWS API request"):
//! GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08 signed at
//! 20150830T123600Z by AKIDEXAMPLE for us-east-1/iam.

#![allow(clippy::unwrap_used)]

use bounceguard_sigv4::{SigV4Error, SignedRequest, Verifier};
use chrono::{NaiveDate, Utc};
use http::{HeaderMap, HeaderValue};

const SIGNATURE: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

fn iam_headers(signature: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    h.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
    h.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
        ))
        .unwrap(),
    );
    h
}

fn secret(key: &str) -> Option<&'static str> {
    (key == "AKIDEXAMPLE").then_some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
}

#[test]
fn iam_user_guide_example_verifies() {
    let headers = iam_headers(SIGNATURE);
    let req = SignedRequest::new(
        "GET",
        "/",
        Some("Action=ListUsers&Version=2010-05-08"),
        &headers,
        b"",
    );
    let now = NaiveDate::from_ymd_opt(2015, 8, 30)
        .unwrap()
        .and_hms_opt(12, 40, 0)
        .unwrap()
        .and_utc();
    let verified = Verifier::new("us-east-1", "iam")
        .verify(&req, now, secret)
        .unwrap();
    assert_eq!(verified.access_key_id, "AKIDEXAMPLE");
    assert_eq!(
        verified.signed_at.with_timezone(&Utc).to_rfc3339(),
        "2015-08-30T12:36:00+00:00"
    );

    // The same request with the query parameters in another order canonicalises the same way.
    let req = SignedRequest::new(
        "GET",
        "/",
        Some("Version=2010-05-08&Action=ListUsers"),
        &headers,
        b"",
    );
    Verifier::new("us-east-1", "iam")
        .verify(&req, now, secret)
        .unwrap();

    // One hex digit off fails.
    let headers = iam_headers(&SIGNATURE.replace("5d672d79", "5d672d7a"));
    let req = SignedRequest::new(
        "GET",
        "/",
        Some("Action=ListUsers&Version=2010-05-08"),
        &headers,
        b"",
    );
    assert_eq!(
        Verifier::new("us-east-1", "iam").verify(&req, now, secret),
        Err(SigV4Error::Mismatch)
    );
}
