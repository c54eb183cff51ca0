//! Fault injection for the SES transport: a local axum stand-in for SES v2 `SendEmail` answers
//! a script of responses (ses-spec §2.7 error format: status, `x-amzn-ErrorType`, JSON
//! `message`), and the tests count the attempts it saw.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sesv2::config::Credentials;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use bounceguard_core::ErrorCode;
use bounceguard_delivery::{Outgoing, RetryBudget, SesTransport, Transport};
use bytes::Bytes;

/// One scripted answer: HTTP status, `x-amzn-ErrorType` (for errors) and JSON body.
#[derive(Clone)]
struct Answer {
    status: u16,
    error_type: Option<&'static str>,
    body: &'static str,
}

const THROTTLED: Answer = Answer {
    status: 429,
    error_type: Some("TooManyRequestsException"),
    body: r#"{"message":"Maximum sending rate exceeded."}"#,
};

const ACCEPTED: Answer = Answer {
    status: 200,
    error_type: None,
    body: r#"{"MessageId":"0100018d0c1f2a3b-standin-000000"}"#,
};

#[derive(Default)]
struct Seen {
    bodies: Vec<serde_json::Value>,
}

#[derive(Clone)]
struct StandIn {
    script: Arc<Vec<Answer>>,
    seen: Arc<Mutex<Seen>>,
}

async fn send_email(State(state): State<StandIn>, body: Bytes) -> Response {
    let n = {
        let mut seen = state.seen.lock().expect("lock");
        seen.bodies
            .push(serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null));
        seen.bodies.len()
    };
    // Past the end of the script the last answer repeats.
    let answer = state
        .script
        .get(n - 1)
        .or(state.script.last())
        .cloned()
        .expect("non-empty script");
    let status = StatusCode::from_u16(answer.status).expect("status");
    let mut response =
        (status, [("content-type", "application/json")], answer.body).into_response();
    if let Some(error_type) = answer.error_type {
        response.headers_mut().insert(
            "x-amzn-ErrorType",
            error_type.parse().expect("header value"),
        );
    }
    response
}

/// Starts the stand-in on 127.0.0.1:0; returns its URL and what it saw.
async fn stand_in(script: Vec<Answer>) -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = StandIn {
        script: Arc::new(script),
        seen: Arc::clone(&seen),
    };
    let app = Router::new()
        .route("/v2/email/outbound-emails", post(send_email))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

fn budget(max_attempts: u32) -> RetryBudget {
    RetryBudget {
        max_attempts,
        max_total: Duration::from_secs(20),
        attempt_timeout: Duration::from_secs(5),
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    }
}

async fn transport(url: &str, retry: RetryBudget) -> SesTransport {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(
            "AKIDSTANDIN",
            "secret",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    SesTransport::from_sdk_config(&sdk, retry)
}

fn message() -> Outgoing {
    Outgoing {
        message_id_hint: "ours-1".to_owned(),
        from: "Shop <no-reply@shop.example>".to_owned(),
        recipients: vec!["ann@real.example".to_owned(), "bob@real.example".to_owned()],
        raw: Bytes::from_static(
            b"From: Shop <no-reply@shop.example>\r\nTo: ann@real.example\r\nCc: cap@example.com\r\nSubject: Hi\r\n\r\nHello\r\n",
        ),
        configuration_set: Some("tx".to_owned()),
        tags: vec![("campaign".to_owned(), "jan-24".to_owned())],
    }
}

#[tokio::test]
async fn throttled_twice_then_sent_once() {
    let (url, seen) = stand_in(vec![THROTTLED, THROTTLED, ACCEPTED]).await;
    let ses = transport(&url, budget(5)).await;
    let msg = message();

    let sent = ses.send(&msg).await.expect("third attempt succeeds");

    assert_eq!(sent.message_id, "0100018d0c1f2a3b-standin-000000");
    assert_eq!(sent.attempts, 3);
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.bodies.len(), 3, "exactly three requests, one delivery");
    // The request is SES v2 SendEmail with raw content and the deliver recipients only.
    let body = &seen.bodies[2];
    assert_eq!(body["FromEmailAddress"], "Shop <no-reply@shop.example>");
    assert_eq!(
        body["Destination"]["ToAddresses"],
        serde_json::json!(["ann@real.example", "bob@real.example"])
    );
    assert!(body["Destination"].get("CcAddresses").is_none());
    let data = base64::engine::general_purpose::STANDARD
        .decode(body["Content"]["Raw"]["Data"].as_str().expect("Raw.Data"))
        .expect("base64");
    assert_eq!(data, msg.raw.to_vec());
    assert_eq!(body["ConfigurationSetName"], "tx");
    assert_eq!(
        body["EmailTags"],
        serde_json::json!([{"Name": "campaign", "Value": "jan-24"}])
    );
}

#[tokio::test]
async fn always_throttled_ends_with_throttling_when_the_budget_is_spent() {
    let (url, seen) = stand_in(vec![THROTTLED]).await;
    let ses = transport(&url, budget(4)).await;

    let error = ses.send(&message()).await.expect_err("never accepted");

    assert_eq!(error.error.code, ErrorCode::Throttling);
    assert_eq!(error.error.message, "Maximum sending rate exceeded.");
    assert_eq!(error.attempts, 4);
    assert!(error.exhausted);
    assert!(error.temporary);
    assert_eq!(seen.lock().expect("lock").bodies.len(), 4);
}

#[tokio::test]
async fn message_rejected_is_returned_at_once_with_ses_text() {
    let (url, seen) = stand_in(vec![Answer {
        status: 400,
        error_type: Some("MessageRejected"),
        body: r#"{"message":"Email address is not verified. The following identities failed the check in region EU-WEST-1: no-reply@shop.example"}"#,
    }])
    .await;
    let ses = transport(&url, budget(5)).await;

    let error = ses.send(&message()).await.expect_err("rejected");

    assert_eq!(error.error.code, ErrorCode::MessageRejected);
    assert_eq!(
        error.error.message,
        "Email address is not verified. The following identities failed the check in region EU-WEST-1: no-reply@shop.example"
    );
    assert_eq!(error.attempts, 1);
    assert!(!error.exhausted);
    assert!(!error.temporary);
    assert_eq!(seen.lock().expect("lock").bodies.len(), 1);
}

#[tokio::test]
async fn server_error_is_retried_then_succeeds() {
    let (url, seen) = stand_in(vec![
        Answer {
            status: 500,
            error_type: Some("InternalServiceErrorException"),
            body: r#"{"message":"Internal error"}"#,
        },
        ACCEPTED,
    ])
    .await;
    let ses = transport(&url, budget(3)).await;

    let sent = ses.send(&message()).await.expect("second attempt succeeds");

    assert_eq!(sent.attempts, 2);
    assert_eq!(seen.lock().expect("lock").bodies.len(), 2);
}

#[tokio::test]
async fn unreachable_endpoint_is_a_temporary_failure() {
    // Bind and drop a listener so the port is (very likely) closed.
    let port = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        l.local_addr().expect("addr").port()
    };
    let ses = transport(&format!("http://127.0.0.1:{port}"), budget(2)).await;

    let error = ses.send(&message()).await.expect_err("nothing listens");

    assert_eq!(error.error.code, ErrorCode::ServiceUnavailable);
    assert_eq!(error.attempts, 2);
    assert!(error.temporary && error.exhausted);
}

#[tokio::test]
async fn no_recipients_is_refused_without_a_request() {
    let (url, seen) = stand_in(vec![ACCEPTED]).await;
    let ses = transport(&url, budget(3)).await;
    let mut msg = message();
    msg.recipients.clear();

    let error = ses.send(&msg).await.expect_err("no recipients");

    assert_eq!(error.error.code, ErrorCode::MessageRejected);
    assert_eq!(error.attempts, 0);
    assert!(seen.lock().expect("lock").bodies.is_empty());
    assert_eq!(ses.name(), "ses");
}
