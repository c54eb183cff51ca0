//! The SNS endpoint through the real HTTP server (issue 6, item 1; ses-spec §7.2). A certificate
//! made here with rcgen for the fixture key (tests/fixtures/sns/README.md) is configured as
//! `[[sns.trusted_certs]]`; SignatureVersion 2 messages are signed here with aws-lc-rs, the
//! SignatureVersion 1 one was signed once with the openssl CLI. The string to sign is written out
//! below from the spec, independently of the crate.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use bounceguard_store::{NewSendOutcome, OutcomeClass};
use common::{Response, TestServer};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-events";
const OTHER_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:someone-elses-topic";
const CERT_URL: &str = "https://certs.test.invalid/SimpleNotificationService-bounceguard-test.pem";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/sns/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A self-signed certificate for the fixture key, written to `dir`.
fn self_made_cert(dir: &Path) -> PathBuf {
    let key = rcgen::KeyPair::try_from(fixture("key.pk8.der").as_slice()).expect("RSA key");
    let cert = rcgen::CertificateParams::new(vec!["sns.test.bounceguard.invalid".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed");
    let path = dir.join("sns-cert.pem");
    std::fs::write(&path, cert.pem()).expect("write cert");
    path
}

/// A server with `sender@shop.example` verified, [`TOPIC`] allowed, the self-made certificate
/// trusted for [`CERT_URL`], and `sns` extra lines in the `[sns]` table.
async fn start(sns: &str) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = self_made_cert(dir.path());
    let server = TestServer::start(&format!(
        "identities = [\"sender@shop.example\"]\n\
         [sns]\ntopics = [\"{TOPIC}\"]\n{sns}\n\
         [[sns.trusted_certs]]\nurl = \"{CERT_URL}\"\npem_file = \"{}\"\n",
        cert.display()
    ))
    .await;
    (server, dir)
}

/// The canonical string of ses-spec §7.2: `name\nvalue\n` for each signed field present.
fn string_to_sign(v: &Value) -> String {
    let fields: &[&str] = if v["Type"] == "Notification" {
        &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ]
    } else {
        &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ]
    };
    fields
        .iter()
        .filter_map(|name| {
            v.get(*name)
                .and_then(Value::as_str)
                .map(|value| format!("{name}\n{value}\n"))
        })
        .collect()
}

/// Signs `v` as SignatureVersion 2 (RSA PKCS#1 v1.5 SHA-256) with the fixture key.
fn sign_v2(mut v: Value) -> Value {
    let key = RsaKeyPair::from_pkcs8(&fixture("key.pk8.der")).expect("fixture key");
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        string_to_sign(&v).as_bytes(),
        &mut sig,
    )
    .expect("signs");
    v["SignatureVersion"] = json!("2");
    v["Signature"] = json!(base64::engine::general_purpose::STANDARD.encode(sig));
    v["SigningCertURL"] = json!(CERT_URL);
    v
}

/// An unsigned Notification carrying `message`.
fn notification(sns_id: &str, topic: &str, message: &str) -> Value {
    json!({
        "Type": "Notification",
        "MessageId": sns_id,
        "TopicArn": topic,
        "Subject": "Amazon SES Email Event Notification",
        "Message": message,
        "Timestamp": "2026-12-01T10:30:06.000Z",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"
    })
}

/// An unsigned confirmation (`SubscriptionConfirmation` or `UnsubscribeConfirmation`).
fn confirmation(kind: &str, topic: &str, subscribe_url: &str, token: &str) -> Value {
    json!({
        "Type": kind,
        "MessageId": format!("confirm-{token}"),
        "Token": token,
        "TopicArn": topic,
        "Message": format!("You have chosen to subscribe to the topic {topic}."),
        "SubscribeURL": subscribe_url,
        "Timestamp": "2026-12-01T10:00:00.000Z"
    })
}

async fn post(server: &TestServer, path: &str, body: &Value) -> Response {
    server
        .http(
            "POST",
            path,
            &[
                ("content-type", "text/plain; charset=UTF-8"),
                (
                    "x-amz-sns-message-type",
                    body["Type"].as_str().unwrap_or(""),
                ),
            ],
            body.to_string().as_bytes(),
        )
        .await
}

async fn hard_bounces_and_sends(server: &TestServer) -> (u64, u64) {
    let report = server.get_json("/api/v1/reputation").await;
    (
        report["window"]["hard_bounces"].as_u64().expect("number"),
        report["window"]["sends"].as_u64().expect("number"),
    )
}

/// The suppression reason of `address`, or `None` when it is not on the list.
async fn suppressed(server: &TestServer, address: &str) -> Option<String> {
    server
        .ses_v2()
        .get_suppressed_destination()
        .email_address(address)
        .send()
        .await
        .ok()
        .and_then(|out| out.suppressed_destination)
        .map(|d| d.reason.as_str().to_string())
}

/// Sends three times, expects one application and two redeliveries.
async fn deliver_three_times(server: &TestServer, body: &Value) {
    let answers: Vec<(u16, String)> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            let r = post(server, "/sns", body).await;
            out.push((r.status, r.text()));
        }
        out
    };
    assert_eq!(
        answers,
        [
            (200, "applied Bounce\n".to_string()),
            (200, "already applied\n".to_string()),
            (200, "already applied\n".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_v2_bounce_delivered_three_times_is_applied_once() {
    let (server, _dir) = start("").await;
    let id = server
        .send_v2(&["gone-v2@customer.org"])
        .await
        .expect("sent");
    assert_eq!(hard_bounces_and_sends(&server).await, (0, 1));
    let body = sign_v2(notification(
        "0d6f1c5e-2b3a-5c4d-9e8f-0a1b2c3d4e5f",
        TOPIC,
        &common::bounce_event(&id, "gone-v2@customer.org", "Permanent"),
    ));
    deliver_three_times(&server, &body).await;

    let events = server
        .store()
        .events_for_message(&id)
        .await
        .expect("events");
    assert_eq!(events.len(), 1, "one event row, not three");
    assert_eq!(events[0].event_type, "Bounce");
    // 1 hard bounce over 1 eligible send.
    assert_eq!(hard_bounces_and_sends(&server).await, (1, 1));
    assert_eq!(
        suppressed(&server, "gone-v2@customer.org").await.as_deref(),
        Some("BOUNCE")
    );
    let metrics = server.metrics().await;
    assert_eq!(metrics["bounceguard_events_total{type=\"Bounce\"}"], 1.0);
    server.stop().await;
}

#[tokio::test]
async fn a_v1_bounce_delivered_three_times_is_applied_once() {
    let (server, _dir) = start("").await;
    let body: Value = serde_json::from_slice(&fixture("notification-v1.json")).expect("JSON");
    assert_eq!(body["SignatureVersion"], "1");
    let event: Value =
        serde_json::from_str(body["Message"].as_str().expect("Message")).expect("event");
    let mail_id = event["mail"]["messageId"].as_str().expect("messageId");
    // The fixture's mail as if this gateway had sent it (its MessageId is fixed by the signature).
    server
        .store()
        .record_send_outcomes(&[NewSendOutcome {
            message_id: mail_id.to_string(),
            recipient: "gone-v1@customer.org".to_string(),
            class: OutcomeClass::Eligible,
            sent_ms: chrono::Utc::now().timestamp_millis(),
        }])
        .await
        .expect("outcome");
    assert_eq!(hard_bounces_and_sends(&server).await, (0, 1));
    deliver_three_times(&server, &body).await;

    let events = server
        .store()
        .events_for_message(mail_id)
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(hard_bounces_and_sends(&server).await, (1, 1));
    assert_eq!(
        suppressed(&server, "gone-v1@customer.org").await.as_deref(),
        Some("BOUNCE")
    );
    server.stop().await;
}

#[tokio::test]
async fn refused_messages_answer_403_and_change_nothing() {
    let (server, _dir) = start("").await;
    let id = server
        .send_v2(&["victim@customer.org"])
        .await
        .expect("sent");
    let event = common::bounce_event(&id, "victim@customer.org", "Permanent");
    let sns_id = "5f0c2a1e-7d3b-5e4c-8a9f-1b2c3d4e5f60";
    let genuine = sign_v2(notification(sns_id, TOPIC, &event));

    let mut tampered = genuine.clone();
    tampered["Message"] = json!(event.replace("smtp; 550", "smtp; 551"));
    let mut foreign_host = genuine.clone();
    foreign_host["SigningCertURL"] =
        json!("https://attacker.example/SimpleNotificationService-x.pem");
    let mut plain_http = genuine.clone();
    plain_http["SigningCertURL"] =
        json!("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem");
    let mut unsigned = notification(sns_id, TOPIC, &event);
    unsigned["SigningCertURL"] = json!(CERT_URL);
    let foreign_topic = sign_v2(notification(sns_id, OTHER_TOPIC, &event));
    let mut v3 = genuine.clone();
    v3["SignatureVersion"] = json!("3");

    for (name, body, expected) in [
        (
            "tampered",
            &tampered,
            "forbidden: SNS signature does not verify\n",
        ),
        (
            "foreign cert host",
            &foreign_host,
            "forbidden: SigningCertURL is not an SNS certificate URL: https://attacker.example/SimpleNotificationService-x.pem\n",
        ),
        (
            "cert over http",
            &plain_http,
            "forbidden: SigningCertURL is not an SNS certificate URL: http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem\n",
        ),
        (
            "unsigned",
            &unsigned,
            "forbidden: SNS message is not signed\n",
        ),
        (
            "topic not configured",
            &foreign_topic,
            "forbidden: topic not allowed: arn:aws:sns:us-east-1:123456789012:someone-elses-topic\n",
        ),
        (
            "signature version 3",
            &v3,
            "forbidden: unsupported SNS SignatureVersion \"3\"\n",
        ),
    ] {
        let response = post(&server, "/sns", body).await;
        assert_eq!(
            (response.status, response.text().as_str()),
            (403, expected),
            "{name}"
        );
    }
    let not_json = server.http("POST", "/sns", &[], b"{\"Type\":").await;
    assert_eq!(not_json.status, 400, "{}", not_json.text());

    assert!(
        server
            .store()
            .events_for_message(&id)
            .await
            .expect("events")
            .is_empty()
    );
    assert_eq!(hard_bounces_and_sends(&server).await, (0, 1));
    assert_eq!(suppressed(&server, "victim@customer.org").await, None);
    let metrics = server.metrics().await;
    for (reason, count) in [
        ("bad_signature", 1.0),
        ("foreign_cert_url", 2.0),
        ("unsigned", 1.0),
        ("topic_not_allowed", 1.0),
        ("unsupported_signature_version", 1.0),
        ("unparsable", 1.0),
        ("cert_fetch", 0.0),
    ] {
        assert_eq!(
            metrics[&format!("bounceguard_sns_rejected_total{{reason=\"{reason}\"}}")],
            count,
            "{reason}"
        );
    }
    assert_eq!(metrics["bounceguard_events_total{type=\"Bounce\"}"], 0.0);

    // The refusals did not use up the SNS MessageId: the genuine message is applied.
    let response = post(&server, "/sns", &genuine).await;
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "applied Bounce\n")
    );
    assert_eq!(hard_bounces_and_sends(&server).await, (1, 1));
    server.stop().await;
}

/// A tiny HTTP server that answers 200 to anything and records each request line.
async fn confirm_listener() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&head);
            let line = text.lines().next().unwrap_or_default().to_string();
            log.lock().expect("log").push(line);
            let body = "<ConfirmSubscriptionResponse/>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (origin, seen)
}

fn requests(seen: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    seen.lock().expect("log").clone()
}

#[tokio::test]
async fn a_subscription_is_confirmed_only_for_a_configured_topic_and_an_allowed_url() {
    let (origin, seen) = confirm_listener().await;
    let (other_origin, other_seen) = confirm_listener().await;
    let (server, _dir) = start(&format!("test_confirm_origins = [\"{origin}\"]")).await;
    let url = |topic: &str, token: &str| {
        format!("{origin}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}")
    };

    let response = post(
        &server,
        "/sns",
        &sign_v2(confirmation(
            "SubscriptionConfirmation",
            TOPIC,
            &url(TOPIC, "tok1"),
            "tok1",
        )),
    )
    .await;
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "subscription confirmed\n")
    );
    assert_eq!(
        requests(&seen),
        [format!(
            "GET /?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=tok1 HTTP/1.1"
        )]
    );

    // A topic not in [sns] topics: refused, nothing fetched.
    let response = post(
        &server,
        "/sns",
        &sign_v2(confirmation(
            "SubscriptionConfirmation",
            OTHER_TOPIC,
            &url(OTHER_TOPIC, "tok2"),
            "tok2",
        )),
    )
    .await;
    assert_eq!(response.status, 403, "{}", response.text());
    // A SubscribeURL neither on AWS nor at a configured test origin: refused, nothing fetched.
    let elsewhere = format!("{other_origin}/?Action=ConfirmSubscription&Token=tok3");
    let response = post(
        &server,
        "/sns",
        &sign_v2(confirmation(
            "SubscriptionConfirmation",
            TOPIC,
            &elsewhere,
            "tok3",
        )),
    )
    .await;
    assert_eq!(
        (response.status, response.text()),
        (
            403,
            format!("forbidden: SubscribeURL is not an SNS URL: {elsewhere}\n")
        )
    );
    // A tampered confirmation (the Token changed after signing): refused, nothing fetched.
    let mut tampered = sign_v2(confirmation(
        "SubscriptionConfirmation",
        TOPIC,
        &url(TOPIC, "tok4"),
        "tok4",
    ));
    tampered["Token"] = json!("tok5");
    let response = post(&server, "/sns", &tampered).await;
    assert_eq!(response.status, 403, "{}", response.text());
    // UnsubscribeConfirmation: verified, answered 200, nothing fetched.
    let response = post(
        &server,
        "/sns",
        &sign_v2(confirmation(
            "UnsubscribeConfirmation",
            TOPIC,
            &url(TOPIC, "tok6"),
            "tok6",
        )),
    )
    .await;
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "unsubscribed\n")
    );

    assert_eq!(requests(&seen).len(), 1, "only the first was fetched");
    assert!(requests(&other_seen).is_empty());
    let metrics = server.metrics().await;
    assert_eq!(
        metrics["bounceguard_sns_rejected_total{reason=\"foreign_subscribe_url\"}"],
        1.0
    );
    server.stop().await;
}

#[tokio::test]
async fn the_path_is_configurable_and_the_ses_test_message_is_ignored() {
    let (server, _dir) = start("path = \"/hooks/ses-events\"").await;
    // SES's test message when an SNS event destination is created (ses-spec §7.1).
    let body = sign_v2(notification(
        "9a8b7c6d-0000-5000-8000-000000000001",
        TOPIC,
        "Successfully validated SNS topic for Amazon SES event publishing.",
    ));
    let response = post(&server, "/hooks/ses-events", &body).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        response.text().starts_with("ignored: "),
        "{}",
        response.text()
    );
    let old_path = post(&server, "/sns", &body).await;
    assert_eq!(old_path.status, 404);
    let metrics = server.metrics().await;
    let applied: f64 = metrics
        .iter()
        .filter(|(k, _)| k.starts_with("bounceguard_events_total"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(applied, 0.0);
    server.stop().await;
}
