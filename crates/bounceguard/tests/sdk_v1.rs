//! The official `aws-sdk-ses` (v1, Query/XML) against a running gateway, with real SigV4.
//!
//! These are the compatibility tests that matter most: the SDK's own parser reads every
//! response and maps every error to its typed form or code.

mod common;

use aws_sdk_ses as ses;
use aws_sdk_ses::error::ProvideErrorMetadata;
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::{Body, Content, Destination, IdentityType, Message, RawMessage};
use common::{ACCESS_KEY, PRINCIPAL, SECRET_KEY, TestServer};

fn client_with(server: &TestServer, access_key: &str, secret: &str, skew: i64) -> ses::Client {
    server.ses_v1_as(access_key, secret, skew)
}

fn client(server: &TestServer) -> ses::Client {
    server.ses_v1()
}

fn simple_message(subject: &str) -> Message {
    Message::builder()
        .subject(Content::builder().data(subject).build().expect("subject"))
        .body(
            Body::builder()
                .text(
                    Content::builder()
                        .data("Hello there")
                        .build()
                        .expect("text"),
                )
                .html(
                    Content::builder()
                        .data("<p>Hello</p>")
                        .build()
                        .expect("html"),
                )
                .build(),
        )
        .build()
}

fn is_ses_message_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 7
        && parts[0].len() == 16
        && parts[0].bytes().all(|b| b.is_ascii_hexdigit())
        && parts[6] == "000000"
}

#[tokio::test]
async fn send_email_is_captured_with_the_returned_message_id() {
    let server = TestServer::signed().await;
    let ses = client(&server);
    let out = ses
        .send_email()
        .source("Shop <no-reply@shop.example>")
        .destination(
            Destination::builder()
                .to_addresses("ann@example.org")
                .cc_addresses("bob@example.org")
                .bcc_addresses("carol@example.org")
                .build(),
        )
        .message(simple_message("Your order"))
        .send()
        .await
        .expect("send_email");
    let id = out.message_id();
    assert!(is_ses_message_id(id), "{id}");

    let listing = server.get_json("/api/v1/messages").await;
    let first = &listing["messages"][0];
    assert_eq!(first["id"], id);
    assert_eq!(first["from"], "Shop <no-reply@shop.example>");
    assert_eq!(first["to"], serde_json::json!(["ann@example.org"]));
    assert_eq!(first["cc"], serde_json::json!(["bob@example.org"]));
    assert_eq!(first["bcc"], serde_json::json!(["carol@example.org"]));
    assert_eq!(first["subject"], "Your order");

    let one = server.get_json(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(one["principal"], PRINCIPAL);
    assert_eq!(one["text"].as_str().map(str::trim), Some("Hello there"));
    let raw = one["raw"].as_str().expect("raw");
    assert!(raw.contains("Subject: Your order"), "{raw}");
    assert!(
        !raw.to_ascii_lowercase().contains("bcc:"),
        "Bcc leaked: {raw}"
    );
    assert_eq!(one["recipients"].as_array().map(Vec::len), Some(3));
    // Reserved test domains are captured by the built-in default route, never sent.
    assert_eq!(one["recipients"][0]["decision"], "capture");
    assert_eq!(one["recipients"][0]["rule"], "default:reserved");
    server.stop().await;
}

#[tokio::test]
async fn unverified_sender_is_refused_with_the_ses_text() {
    let server = TestServer::signed().await;
    let err = client(&server)
        .send_email()
        .source("Mallory <m@elsewhere.example>")
        .destination(
            Destination::builder()
                .to_addresses("ann@example.org")
                .build(),
        )
        .message(simple_message("hi"))
        .send()
        .await
        .expect_err("unverified");
    let err = err.into_service_error();
    assert!(err.is_message_rejected(), "{err:?}");
    assert_eq!(
        err.message(),
        Some(
            "Email address is not verified. The following identities failed the check in region US-EAST-1: Mallory <m@elsewhere.example>"
        )
    );
    let listing = server.get_json("/api/v1/messages").await;
    assert_eq!(listing["messages"], serde_json::json!([]));
    server.stop().await;
}

#[tokio::test]
async fn too_many_recipients_and_bad_addresses_are_invalid_parameter_values() {
    let server = TestServer::signed().await;
    let ses = client(&server);
    let mut destination = Destination::builder();
    for i in 0..51 {
        destination = destination.to_addresses(format!("user{i}@example.org"));
    }
    let err = ses
        .send_email()
        .source("no-reply@shop.example")
        .destination(destination.build())
        .message(simple_message("hi"))
        .send()
        .await
        .expect_err("51 recipients");
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert_eq!(err.message(), Some("Recipient count exceeds 50."));

    let err = ses
        .send_email()
        .source("no-reply@shop.example")
        .destination(
            Destination::builder()
                .to_addresses("not-an-address")
                .build(),
        )
        .message(simple_message("hi"))
        .send()
        .await
        .expect_err("bad address");
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert_eq!(err.message(), Some("Missing final '@domain'"));
    server.stop().await;
}

#[tokio::test]
async fn send_raw_email_takes_recipients_from_headers_when_destinations_are_absent() {
    let server = TestServer::signed().await;
    let mime = "From: Shop <no-reply@shop.example>\r\nTo: ann@example.org, Bob <bob@example.org>\r\nCc: carol@example.org\r\nSubject: Raw hello\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nHello raw\r\n";
    let out = client(&server)
        .send_raw_email()
        .raw_message(
            RawMessage::builder()
                .data(Blob::new(mime))
                .build()
                .expect("raw"),
        )
        .send()
        .await
        .expect("send_raw_email");
    let id = out.message_id();
    let one = server.get_json(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(one["subject"], "Raw hello");
    assert_eq!(one["from"], "Shop <no-reply@shop.example>");
    let recipients: Vec<&str> = one["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert_eq!(
        recipients,
        vec![
            "ann@example.org",
            "Bob <bob@example.org>",
            "carol@example.org"
        ]
    );
    assert_eq!(one["raw"].as_str(), Some(mime));

    // With Destinations, those are the envelope: the header recipients are not added.
    let out = client(&server)
        .send_raw_email()
        .source("no-reply@shop.example")
        .destinations("dave@example.org")
        .raw_message(
            RawMessage::builder()
                .data(Blob::new(mime))
                .build()
                .expect("raw"),
        )
        .send()
        .await
        .expect("send_raw_email with destinations");
    let one = server
        .get_json(&format!("/api/v1/messages/{}", out.message_id()))
        .await;
    assert_eq!(one["recipients"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["recipients"][0]["address"], "dave@example.org");
    assert_eq!(one["recipients"][0]["kind"], "envelope");
    server.stop().await;
}

#[tokio::test]
async fn identity_operations_round_trip() {
    let server = TestServer::signed().await;
    let ses = client(&server);
    ses.verify_email_identity()
        .email_address("qa@corp.example")
        .send()
        .await
        .expect("verify email");
    let token = ses
        .verify_domain_identity()
        .domain("mail.corp.example")
        .send()
        .await
        .expect("verify domain")
        .verification_token()
        .to_string();
    assert!(!token.is_empty());

    let all = ses.list_identities().send().await.expect("list");
    let mut names: Vec<&str> = all.identities().iter().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec!["mail.corp.example", "qa@corp.example", "shop.example"]
    );

    let domains = ses
        .list_identities()
        .identity_type(IdentityType::Domain)
        .send()
        .await
        .expect("list domains");
    let mut domains: Vec<&str> = domains.identities().iter().map(String::as_str).collect();
    domains.sort_unstable();
    assert_eq!(domains, vec!["mail.corp.example", "shop.example"]);

    // Pagination: one per page, every identity exactly once.
    let mut seen = Vec::new();
    let mut token_in: Option<String> = None;
    loop {
        let page = ses
            .list_identities()
            .max_items(1)
            .set_next_token(token_in.clone())
            .send()
            .await
            .expect("page");
        assert!(page.identities().len() <= 1);
        seen.extend(page.identities().iter().cloned());
        match page.next_token() {
            Some(t) => token_in = Some(t.to_string()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        vec!["mail.corp.example", "qa@corp.example", "shop.example"]
    );

    let attrs = ses
        .get_identity_verification_attributes()
        .identities("mail.corp.example")
        .identities("qa@corp.example")
        .identities("unknown@nowhere.example")
        .send()
        .await
        .expect("attributes");
    let map = attrs.verification_attributes();
    assert_eq!(map.len(), 2);
    let domain = &map["mail.corp.example"];
    assert_eq!(domain.verification_status().as_str(), "Success");
    assert_eq!(domain.verification_token(), Some(token.as_str()));
    assert_eq!(
        map["qa@corp.example"].verification_status().as_str(),
        "Success"
    );

    ses.delete_identity()
        .identity("qa@corp.example")
        .send()
        .await
        .expect("delete");
    // Deleting again succeeds, as SES does.
    ses.delete_identity()
        .identity("qa@corp.example")
        .send()
        .await
        .expect("delete again");
    let err = ses
        .send_email()
        .source("qa@corp.example")
        .destination(
            Destination::builder()
                .to_addresses("ann@example.org")
                .build(),
        )
        .message(simple_message("hi"))
        .send()
        .await
        .expect_err("deleted identity cannot send");
    assert!(err.into_service_error().is_message_rejected());
    server.stop().await;
}

#[tokio::test]
async fn quota_and_statistics_count_recipients_decided_deliver() {
    let server = TestServer::signed().await;
    let ses = client(&server);
    for recipients in [1usize, 3] {
        let mut destination = Destination::builder();
        for i in 0..recipients {
            // Not a reserved test domain: decided `deliver`, so counted (captured ones are not).
            destination = destination.to_addresses(format!("r{i}@customer.org"));
        }
        ses.send_email()
            .source("no-reply@shop.example")
            .destination(destination.build())
            .message(simple_message("count me"))
            .send()
            .await
            .expect("send");
    }
    // A refused send is never an attempt.
    let _ = ses
        .send_email()
        .source("x@unverified.example")
        .destination(Destination::builder().to_addresses("a@example.org").build())
        .message(simple_message("no"))
        .send()
        .await
        .expect_err("unverified");

    let quota = ses.get_send_quota().send().await.expect("quota");
    assert_eq!(quota.sent_last24_hours(), 4.0);
    assert_eq!(quota.max24_hour_send(), 50_000.0);
    assert_eq!(quota.max_send_rate(), 14.0);

    let stats = ses.get_send_statistics().send().await.expect("stats");
    let points = stats.send_data_points();
    let attempts: i64 = points.iter().map(|p| p.delivery_attempts()).sum();
    assert_eq!(attempts, 4);
    for p in points {
        let ts = p.timestamp().expect("timestamp");
        assert_eq!(ts.secs() % 900, 0, "bucket starts on a quarter hour");
        assert_eq!(p.bounces(), 0);
    }
    server.stop().await;
}

#[tokio::test]
async fn sigv4_failures_get_ses_codes_and_record_nothing() {
    let server = TestServer::signed().await;
    let send = |client: ses::Client| async move {
        client
            .send_email()
            .source("no-reply@shop.example")
            .destination(
                Destination::builder()
                    .to_addresses("ann@example.org")
                    .build(),
            )
            .message(simple_message("hi"))
            .send()
            .await
            .expect_err("must be refused")
    };
    let err = send(client_with(&server, ACCESS_KEY, "wrong-secret", 0)).await;
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));

    let err = send(client_with(&server, "AKIDUNKNOWNKEY000000", SECRET_KEY, 0)).await;
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    assert_eq!(
        err.message(),
        Some("The security token included in the request is invalid.")
    );

    let err = send(client_with(&server, ACCESS_KEY, SECRET_KEY, -20 * 60)).await;
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert!(
        err.message()
            .is_some_and(|m| m.starts_with("Signature expired")),
        "{:?}",
        err.message()
    );
    let err = send(client_with(&server, ACCESS_KEY, SECRET_KEY, 20 * 60)).await;
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert!(
        err.message()
            .is_some_and(|m| m.starts_with("Signature not yet current")),
        "{:?}",
        err.message()
    );

    let listing = server.get_json("/api/v1/messages").await;
    assert_eq!(listing["messages"], serde_json::json!([]));
    server.stop().await;
}
