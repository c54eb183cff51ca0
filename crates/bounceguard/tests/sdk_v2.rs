//! The official `aws-sdk-sesv2` (REST/JSON) against a running gateway, with real SigV4.

mod common;

use aws_sdk_sesv2 as sesv2;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, IdentityType, RawMessage};
use common::TestServer;

fn client(server: &TestServer) -> sesv2::Client {
    server.ses_v2()
}

#[tokio::test]
async fn send_email_simple_and_raw_are_captured() {
    let server = TestServer::signed().await;
    let ses = client(&server);
    let out = ses
        .send_email()
        .from_email_address("Shop <no-reply@shop.example>")
        .destination(
            Destination::builder()
                .to_addresses("ann@example.org")
                .build(),
        )
        .content(common::v2_text("Welcome", "v2 text"))
        .send()
        .await
        .expect("simple send");
    let id = out.message_id().expect("message id").to_string();
    let one = server.get_json(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(one["subject"], "Welcome");
    assert_eq!(one["api"], "v2");
    assert_eq!(one["to"], serde_json::json!(["ann@example.org"]));

    let mime =
        "From: no-reply@shop.example\r\nTo: bob@example.org\r\nSubject: Raw v2\r\n\r\nbody\r\n";
    let out = ses
        .send_email()
        .content(
            EmailContent::builder()
                .raw(
                    RawMessage::builder()
                        .data(Blob::new(mime))
                        .build()
                        .expect("raw"),
                )
                .build(),
        )
        .send()
        .await
        .expect("raw send");
    let raw_id = out.message_id().expect("message id").to_string();
    let one = server.get_json(&format!("/api/v1/messages/{raw_id}")).await;
    assert_eq!(one["subject"], "Raw v2");
    assert_eq!(one["operation"], "SendRawEmail");
    assert_eq!(one["raw"].as_str(), Some(mime));

    let listing = server.get_json("/api/v1/messages").await;
    assert_eq!(
        listing["messages"][0]["id"],
        raw_id.as_str(),
        "newest first"
    );
    assert_eq!(listing["messages"][1]["id"], id.as_str());
    server.stop().await;
}

#[tokio::test]
async fn typed_errors_reach_the_sdk() {
    let server = TestServer::signed().await;
    let ses = client(&server);
    let err = ses
        .send_email()
        .from_email_address("nobody@unverified.example")
        .destination(
            Destination::builder()
                .to_addresses("ann@example.org")
                .build(),
        )
        .content(common::v2_text("x", "v2 text"))
        .send()
        .await
        .expect_err("unverified");
    let err = err.into_service_error();
    assert!(err.is_message_rejected(), "{err:?}");
    assert_eq!(
        err.message(),
        Some(
            "Email address is not verified. The following identities failed the check in region US-EAST-1: nobody@unverified.example"
        )
    );

    let err = ses
        .get_email_identity()
        .email_identity("missing@nowhere.example")
        .send()
        .await
        .expect_err("missing identity")
        .into_service_error();
    assert!(err.is_not_found_exception(), "{err:?}");

    ses.create_email_identity()
        .email_identity("dup@corp.example")
        .send()
        .await
        .expect("create");
    let err = ses
        .create_email_identity()
        .email_identity("dup@corp.example")
        .send()
        .await
        .expect_err("duplicate")
        .into_service_error();
    assert!(err.is_already_exists_exception(), "{err:?}");

    let mut destination = Destination::builder();
    for i in 0..51 {
        destination = destination.to_addresses(format!("u{i}@example.org"));
    }
    let err = ses
        .send_email()
        .from_email_address("no-reply@shop.example")
        .destination(destination.build())
        .content(common::v2_text("x", "v2 text"))
        .send()
        .await
        .expect_err("51 recipients")
        .into_service_error();
    assert!(err.is_bad_request_exception(), "{err:?}");
    assert_eq!(err.message(), Some("Recipient count exceeds 50."));
    server.stop().await;
}

#[tokio::test]
async fn identity_lifecycle_and_account() {
    let server = TestServer::signed().await;
    let ses = client(&server);
    let created = ses
        .create_email_identity()
        .email_identity("news.corp.example")
        .send()
        .await
        .expect("create domain");
    assert_eq!(created.identity_type(), Some(&IdentityType::Domain));
    assert!(created.verified_for_sending_status());

    let created = ses
        .create_email_identity()
        .email_identity("qa+v2@corp.example")
        .send()
        .await
        .expect("create address");
    assert_eq!(created.identity_type(), Some(&IdentityType::EmailAddress));

    let got = ses
        .get_email_identity()
        .email_identity("qa+v2@corp.example")
        .send()
        .await
        .expect("get (label with + and @)");
    assert!(got.verified_for_sending_status());
    assert_eq!(got.identity_type(), Some(&IdentityType::EmailAddress));

    let list = ses.list_email_identities().send().await.expect("list");
    let mut names: Vec<&str> = list
        .email_identities()
        .iter()
        .filter_map(|i| i.identity_name())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec!["news.corp.example", "qa+v2@corp.example", "shop.example"]
    );

    // One per page: every identity exactly once, in name order.
    let mut paged = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ses
            .list_email_identities()
            .page_size(1)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("page");
        assert!(page.email_identities().len() <= 1);
        paged.extend(
            page.email_identities()
                .iter()
                .filter_map(|i| i.identity_name().map(str::to_string)),
        );
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(
        paged,
        vec!["news.corp.example", "qa+v2@corp.example", "shop.example"]
    );

    ses.delete_email_identity()
        .email_identity("qa+v2@corp.example")
        .send()
        .await
        .expect("delete");
    let err = ses
        .delete_email_identity()
        .email_identity("qa+v2@corp.example")
        .send()
        .await
        .expect_err("already deleted")
        .into_service_error();
    assert!(err.is_not_found_exception(), "{err:?}");

    // Not reserved test domains, so decided `deliver` and counted (captures are not).
    ses.send_email()
        .from_email_address("no-reply@shop.example")
        .destination(
            Destination::builder()
                .to_addresses("a@customer.org")
                .cc_addresses("b@customer.org")
                .build(),
        )
        .content(common::v2_text("quota", "v2 text"))
        .send()
        .await
        .expect("send");
    let account = ses.get_account().send().await.expect("account");
    assert_eq!(account.enforcement_status(), Some("HEALTHY"));
    assert!(account.production_access_enabled());
    assert!(account.sending_enabled());
    let quota = account.send_quota().expect("quota");
    assert_eq!(quota.sent_last24_hours(), 2.0);
    assert_eq!(quota.max24_hour_send(), 50_000.0);
    server.stop().await;
}
