//! Hand-made requests where the SDKs cannot go: tampered bodies, missing signatures, unknown
//! actions, and the exact error envelopes on the wire.

mod common;

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use common::{ACCESS_KEY, SECRET_KEY, TestServer};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Signs a request the way botocore does and answers the headers to send.
fn signed_headers(
    server: &TestServer,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let identity = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("ses")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let host = server.addr.to_string();
    let url = format!("http://{host}{path}");
    let headers = [("host", host.as_str()), ("content-type", content_type)];
    let signable = SignableRequest::new(
        method,
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut out = vec![("content-type".to_string(), content_type.to_string())];
    out.extend(
        instructions
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_string())),
    );
    out
}

async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> common::Response {
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    server.http(method, path, &refs, body).await
}

const SEND: &str = "Action=SendEmail&Version=2010-12-01&Source=no-reply%40shop.example&Destination.ToAddresses.member.1=ann%40example.org&Message.Subject.Data=hi&Message.Body.Text.Data=hello";

#[tokio::test]
async fn a_correctly_signed_hand_made_request_is_accepted() {
    let server = TestServer::signed().await;
    let headers = signed_headers(&server, "POST", "/", FORM, SEND.as_bytes());
    let response = send(&server, "POST", "/", &headers, SEND.as_bytes()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("text/xml"));
    let text = response.text();
    assert!(
        text.starts_with("<SendEmailResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">"),
        "{text}"
    );
    assert!(response.header("x-amzn-requestid").is_some());
    server.stop().await;
}

#[tokio::test]
async fn a_tampered_body_is_refused_and_nothing_is_recorded() {
    let server = TestServer::signed().await;
    let headers = signed_headers(&server, "POST", "/", FORM, SEND.as_bytes());
    let tampered = SEND.replace("ann%40example.org", "eve%40example.org");
    let response = send(&server, "POST", "/", &headers, tampered.as_bytes()).await;
    assert_eq!(response.status, 403);
    let text = response.text();
    assert!(
        text.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{text}"
    );
    assert!(text.contains("<Type>Sender</Type>"), "{text}");
    assert!(
        text.contains("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."),
        "{text}"
    );
    let listing = server.get_json("/api/v1/messages").await;
    assert_eq!(listing["messages"], serde_json::json!([]));
    server.stop().await;
}

#[tokio::test]
async fn unsigned_requests_get_missing_authentication_token() {
    let server = TestServer::signed().await;
    let headers = vec![("content-type".to_string(), FORM.to_string())];
    let response = send(&server, "POST", "/", &headers, SEND.as_bytes()).await;
    assert_eq!(response.status, 403);
    assert!(
        response
            .text()
            .contains("<Code>MissingAuthenticationToken</Code>")
    );

    let response = send(&server, "GET", "/v2/email/account", &[], b"").await;
    assert_eq!(response.status, 403);
    assert_eq!(
        response.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_and_missing_actions_are_named_errors_not_500s() {
    let server = TestServer::open().await;
    let form = [("content-type".to_string(), FORM.to_string())];
    let response = send(
        &server,
        "POST",
        "/",
        &form,
        b"Action=CreateReceiptFilterX&Version=2010-12-01",
    )
    .await;
    assert_eq!(response.status, 400);
    let text = response.text();
    assert!(text.contains("<Code>InvalidAction</Code>"), "{text}");
    assert!(
        text.starts_with("<ErrorResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">"),
        "{text}"
    );
    assert!(text.contains("<RequestId>"), "{text}");

    let response = send(&server, "POST", "/", &form, b"Version=2010-12-01").await;
    assert_eq!(response.status, 400);
    assert!(
        response.text().contains("<Code>MissingAction</Code>"),
        "{}",
        response.text()
    );

    let response = send(
        &server,
        "POST",
        "/",
        &form,
        b"Action=SendEmail&Version=2010-12-01",
    )
    .await;
    assert_eq!(response.status, 400);
    assert!(
        response.text().contains("<Code>MissingParameter</Code>"),
        "{}",
        response.text()
    );

    let response = send(&server, "POST", "/", &form, &[0xff, 0xfe, b'&', b'=', 0x00]).await;
    assert!(
        response.status == 400,
        "{} {}",
        response.status,
        response.text()
    );

    let response = send(&server, "GET", "/v2/email/configuration-sets", &[], b"").await;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.header("x-amzn-errortype"),
        Some("UnknownOperationException")
    );
    server.stop().await;
}

#[tokio::test]
async fn v2_errors_carry_the_error_type_header_and_json_message() {
    let server = TestServer::signed().await;
    let body = br#"{"FromEmailAddress":"x@unverified.example","Destination":{"ToAddresses":["a@example.org"]},"Content":{"Simple":{"Subject":{"Data":"s"},"Body":{"Text":{"Data":"t"}}}}}"#;
    let headers = signed_headers(
        &server,
        "POST",
        "/v2/email/outbound-emails",
        "application/json",
        body,
    );
    let response = send(&server, "POST", "/v2/email/outbound-emails", &headers, body).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.header("x-amzn-errortype"), Some("MessageRejected"));
    assert_eq!(response.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_slice(&response.body).expect("json");
    assert_eq!(
        json["message"],
        "Email address is not verified. The following identities failed the check in region US-EAST-1: x@unverified.example"
    );

    let bad = b"{not json";
    let headers = signed_headers(
        &server,
        "POST",
        "/v2/email/outbound-emails",
        "application/json",
        bad,
    );
    let response = send(&server, "POST", "/v2/email/outbound-emails", &headers, bad).await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.header("x-amzn-errortype"),
        Some("BadRequestException")
    );
    server.stop().await;
}

#[tokio::test]
async fn healthz_answers_once_the_store_is_open() {
    let server = TestServer::open().await;
    let response = server.http("GET", "/healthz", &[], b"").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "ok\n");
    server.stop().await;
}
