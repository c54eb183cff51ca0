//! The SES transport against moto's SES server (`moto_server`, moto 5.2.1).
//!
//! The URL comes from `TEST_MOTO_URL`. Without it the tests print "skipping moto" and pass,
//! unless `CI` is set: then they fail, because the test script is meant to start moto.
//! What moto recorded is read from `GET {moto}/moto-api/data.json`, where moto 5.2.1 lists
//! every `RawMessage` model (`moto/ses/models.py`: id, source, destinations, raw_data).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sesv2::config::Credentials;
use bounceguard_core::ErrorCode;
use bounceguard_delivery::{Outgoing, RetryBudget, SesTransport, Transport};
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn moto_url() -> Option<String> {
    match std::env::var("TEST_MOTO_URL") {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_owned()),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but TEST_MOTO_URL is not: the test script must start moto_server")
        }
        _ => {
            eprintln!("skipping moto: TEST_MOTO_URL is not set");
            None
        }
    }
}

/// A suffix that keeps this run's identities and messages apart from earlier runs on the same
/// moto server.
fn nonce() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

async fn transport(url: &str) -> SesTransport {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("AKIDMOTO", "secret", None, None, "test"))
        .load()
        .await;
    SesTransport::from_sdk_config(
        &sdk,
        RetryBudget {
            max_attempts: 2,
            max_total: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(10),
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    )
}

/// `GET {url}{path}` over HTTP/1.0 and the JSON body. Hand-written (a few lines) because the
/// workspace has no plain HTTP client and this is the only GET the tests need.
async fn get_json(url: &str, path: &str) -> serde_json::Value {
    let authority = url
        .strip_prefix("http://")
        .expect("TEST_MOTO_URL is http://host:port");
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect to moto");
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read response");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    assert!(
        response.starts_with(b"HTTP/1.0 200") || response.starts_with(b"HTTP/1.1 200"),
        "moto answered: {}",
        String::from_utf8_lossy(&response[..split])
    );
    serde_json::from_slice(&response[split + 4..]).expect("JSON body")
}

fn raw_message(from: &str) -> String {
    format!(
        "From: Shop <{from}>\r\nTo: ann@real.example\r\nCc: cap@example.com\r\nSubject: Moto test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello from bounceguard.\r\n"
    )
}

#[tokio::test]
async fn sent_message_appears_in_moto_with_same_content_and_recipients() {
    let Some(url) = moto_url() else { return };
    let ses = transport(&url).await;
    let sender = format!("no-reply@shop-{}.example", nonce());
    ses.client()
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .expect("moto creates the identity");
    let raw = raw_message(&sender);
    let msg = Outgoing {
        message_id_hint: "ours-1".to_owned(),
        from: sender.clone(),
        recipients: vec!["ann@real.example".to_owned(), "bob@real.example".to_owned()],
        raw: Bytes::from(raw.clone()),
        configuration_set: None,
        tags: vec![],
    };

    let sent = ses
        .send(&msg)
        .await
        .expect("moto accepts a verified sender");

    assert_eq!(sent.attempts, 1);
    assert_ne!(
        sent.message_id, "ours-1",
        "the MessageId is SES's (moto's) own"
    );
    let data = get_json(&url, "/moto-api/data.json").await;
    let messages = data["ses"]["RawMessage"]
        .as_array()
        .expect("moto lists ses.RawMessage");
    let recorded: Vec<_> = messages
        .iter()
        .filter(|m| m["id"] == sent.message_id.as_str())
        .collect();
    assert_eq!(recorded.len(), 1, "exactly one message with SES's id");
    let recorded = recorded[0];
    assert_eq!(recorded["source"], sender.as_str());
    assert_eq!(recorded["raw_data"], raw.as_str());
    // moto 5.2.1 (`send_raw_email`) records our explicit Destination first, then appends the
    // addresses of the To/Cc/Bcc headers; real SES sends to the Destination only.
    assert_eq!(
        recorded["destinations"],
        serde_json::json!([
            "ann@real.example",
            "bob@real.example",
            "ann@real.example",
            "cap@example.com"
        ])
    );
}

#[tokio::test]
async fn unverified_sender_surfaces_as_message_rejected_with_text() {
    let Some(url) = moto_url() else { return };
    let ses = transport(&url).await;
    let sender = format!("nobody@unverified-{}.example", nonce());
    let msg = Outgoing {
        message_id_hint: "ours-2".to_owned(),
        from: sender.clone(),
        recipients: vec!["ann@real.example".to_owned()],
        raw: Bytes::from(raw_message(&sender)),
        configuration_set: None,
        tags: vec![],
    };

    let error = ses.send(&msg).await.expect_err("moto refuses the sender");

    assert_eq!(error.error.code, ErrorCode::MessageRejected);
    // moto's wording (moto/ses/models.py send_raw_email).
    assert_eq!(
        error.error.message,
        format!("Did not have authority to send from email {sender}")
    );
    assert_eq!(error.attempts, 1, "a rejection is not retried");
    assert!(!error.temporary);
}
