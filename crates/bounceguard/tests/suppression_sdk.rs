//! The account suppression list through the official v2 SDK: every operation, pagination over
//! 2,500 entries, SES's send semantics, the account's reasons, and changes made by another process
//! on the same store honoured within a second.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_sesv2 as sesv2;
use bounceguard_store::{SuppressedReason, SuppressionWrite};
use common::TestServer;
use sesv2::types::SuppressionListReason as Reason;

async fn send(server: &TestServer, to: &[&str]) -> String {
    server.send_v2(to).await.expect("accepted")
}

/// (decision, rule) per recipient of a stored message.
async fn decided(server: &TestServer, id: &str) -> Vec<(String, String)> {
    let message = server.get_json(&format!("/api/v1/messages/{id}")).await;
    message["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .map(|r| {
            (
                r["decision"].as_str().unwrap_or_default().to_string(),
                r["rule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn put_get_delete_and_the_not_found_error() {
    let server = TestServer::open().await;
    let ses = server.ses_v2();
    ses.put_suppressed_destination()
        .email_address("Gone@Customer.ORG")
        .reason(Reason::Bounce)
        .send()
        .await
        .expect("put");
    let got = ses
        .get_suppressed_destination()
        .email_address("Gone@customer.org")
        .send()
        .await
        .expect("get by the normalised form");
    let entry = got.suppressed_destination().expect("entry");
    assert_eq!(entry.email_address(), "Gone@customer.org");
    assert_eq!(entry.reason(), &Reason::Bounce);
    let age = chrono::Utc::now().timestamp() - entry.last_update_time().secs();
    assert!((0..60).contains(&age), "last update {age} s ago");

    ses.delete_suppressed_destination()
        .email_address("Gone@customer.org")
        .send()
        .await
        .expect("delete");
    for missing in ["Gone@customer.org", "never@customer.org"] {
        let err = ses
            .get_suppressed_destination()
            .email_address(missing)
            .send()
            .await
            .expect_err("gone")
            .into_service_error();
        assert!(err.is_not_found_exception(), "{err:?}");
        assert!(
            err.meta().message().is_some_and(|m| m.contains(missing)),
            "{err:?}"
        );
    }
    let err = ses
        .delete_suppressed_destination()
        .email_address("never@customer.org")
        .send()
        .await
        .expect_err("nothing to delete")
        .into_service_error();
    assert!(err.is_not_found_exception(), "{err:?}");
    let err = ses
        .put_suppressed_destination()
        .email_address("not an address")
        .reason(Reason::Bounce)
        .send()
        .await
        .expect_err("bad address")
        .into_service_error();
    assert_eq!(err.meta().code(), Some("BadRequestException"), "{err:?}");
    server.stop().await;
}

#[tokio::test]
async fn listing_2500_entries_pages_through_every_one_once() {
    let server = TestServer::open().await;
    let writes: Vec<SuppressionWrite> = (0..2500)
        .map(|i| {
            let address = format!("user{i:05}@customer.org");
            SuppressionWrite {
                hash: bounceguard_suppression::hash(&address),
                address,
                reason: if i % 5 == 0 {
                    SuppressedReason::Complaint
                } else {
                    SuppressedReason::Bounce
                },
                source: "test".to_string(),
                message_id: None,
                feedback_id: None,
            }
        })
        .collect();
    server
        .store()
        .put_suppressed_bulk(&writes, chrono::Utc::now().timestamp_millis(), 0)
        .await
        .expect("bulk");
    let ses = server.ses_v2();
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = ses
            .list_suppressed_destinations()
            .page_size(300)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("list");
        pages += 1;
        seen.extend(
            page.suppressed_destination_summaries()
                .iter()
                .map(|s| s.email_address().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 9, "2,500 / 300 rounded up");
    let mut expected: Vec<String> = writes.iter().map(|w| w.address.clone()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    // The reason filter.
    let complaints = ses
        .list_suppressed_destinations()
        .reasons(Reason::Complaint)
        .page_size(1000)
        .send()
        .await
        .expect("filtered");
    assert_eq!(complaints.suppressed_destination_summaries().len(), 500);
    let err = ses
        .list_suppressed_destinations()
        .next_token("garbage")
        .send()
        .await
        .expect_err("bad token")
        .into_service_error();
    assert!(err.is_invalid_next_token_exception(), "{err:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_suppressed_recipient_is_accepted_never_delivered_and_counted_in_the_quota() {
    let server = TestServer::open().await;
    let ses = server.ses_v2();
    ses.put_suppressed_destination()
        .email_address("bounced@customer.org")
        .reason(Reason::Bounce)
        .send()
        .await
        .expect("put");
    let id = send(&server, &["bounced@customer.org", "fine@customer.org"]).await;
    assert_eq!(
        decided(&server, &id).await,
        vec![
            ("suppress".to_string(), "suppression:BOUNCE".to_string()),
            ("deliver".to_string(), "default:deliver".to_string()),
        ]
    );
    let message = server.get_json(&format!("/api/v1/messages/{id}")).await;
    let reason = message["recipients"][0]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("(BOUNCE)"), "{reason}");
    // SES's answer for a suppressed recipient: a Permanent / OnAccountSuppressionList bounce.
    let events = server
        .store()
        .events_for_message(&id)
        .await
        .expect("events");
    let bounces: Vec<(&str, Option<&str>, Option<&str>)> = events
        .iter()
        .map(|e| {
            (
                e.recipient.as_str(),
                e.bounce_type.as_deref(),
                e.bounce_subtype.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        bounces,
        vec![(
            "bounced@customer.org",
            Some("Permanent"),
            Some("OnAccountSuppressionList")
        )]
    );
    // SES counts a suppressed recipient against the quota, but it is no delivery attempt.
    let account = ses.get_account().send().await.expect("account");
    assert_eq!(
        account.send_quota().map(|q| q.sent_last24_hours()),
        Some(2.0)
    );

    // The account setting decides which reasons apply.
    ses.put_account_suppression_attributes()
        .suppressed_reasons(Reason::Complaint)
        .send()
        .await
        .expect("attributes");
    let account = ses.get_account().send().await.expect("account");
    assert_eq!(
        account
            .suppression_attributes()
            .map(|a| a.suppressed_reasons().to_vec()),
        Some(vec![Reason::Complaint])
    );
    let id = send(&server, &["bounced@customer.org"]).await;
    assert_eq!(decided(&server, &id).await[0].0, "deliver");

    // The validation API sees the list too.
    ses.put_account_suppression_attributes()
        .suppressed_reasons(Reason::Bounce)
        .suppressed_reasons(Reason::Complaint)
        .send()
        .await
        .expect("attributes");
    let response = server
        .http(
            "POST",
            "/api/v1/addresses/validate",
            &[],
            br#"{"addresses":["bounced@customer.org","fine@customer.org"]}"#,
        )
        .await;
    let results: serde_json::Value = serde_json::from_slice(&response.body).expect("json");
    assert_eq!(results["results"][0]["verdict"], "suppressed");
    assert_eq!(results["results"][1]["verdict"], "deliverable");
    server.stop().await;
}

#[tokio::test]
async fn a_change_by_another_process_is_honoured_within_a_second() {
    let server = TestServer::open().await;
    // Another handle on the same SQLite file, as the CLI beside a running server.
    let other = bounceguard_store::Store::open(&server.config.database)
        .await
        .expect("second store");
    other
        .put_suppressed(
            &SuppressionWrite {
                address: "cli@customer.org".to_string(),
                hash: bounceguard_suppression::hash("cli@customer.org"),
                reason: SuppressedReason::Complaint,
                source: "cli".to_string(),
                message_id: None,
                feedback_id: None,
            },
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .expect("put from outside");
    let started = Instant::now();
    loop {
        let id = send(&server, &["cli@customer.org"]).await;
        let decision = decided(&server, &id).await.remove(0);
        if decision.0 == "suppress" {
            assert_eq!(decision.1, "suppression:COMPLAINT");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not honoured within a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And a removal the same way.
    other
        .delete_suppressed("cli@customer.org", chrono::Utc::now().timestamp_millis())
        .await
        .expect("delete from outside");
    let started = Instant::now();
    loop {
        let id = send(&server, &["cli@customer.org"]).await;
        if decided(&server, &id).await[0].0 == "deliver" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "removal not honoured"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    other.close().await;
    server.stop().await;
}

#[tokio::test]
async fn a_permanent_bounce_event_puts_the_recipient_on_the_list_with_its_source() {
    let server = TestServer::open().await;
    let id = send(&server, &["Gone@Customer.org"]).await;
    // A transient bounce suppresses nothing.
    let response = server
        .http(
            "POST",
            "/api/v1/events",
            &[],
            common::bounce_event(&id, "Gone@Customer.org", "Transient").as_bytes(),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer: serde_json::Value = serde_json::from_slice(&response.body).expect("json");
    assert_eq!(answer["suppressed"], serde_json::json!([]));

    let response = server
        .http(
            "POST",
            "/api/v1/events",
            &[],
            common::bounce_event(&id, "Gone@Customer.org", "Permanent").as_bytes(),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer: serde_json::Value = serde_json::from_slice(&response.body).expect("json");
    assert_eq!(answer["event_type"], "Bounce");
    assert_eq!(
        answer["suppressed"],
        serde_json::json!(["Gone@customer.org"])
    );

    let got = server
        .ses_v2()
        .get_suppressed_destination()
        .email_address("Gone@customer.org")
        .send()
        .await
        .expect("on the list");
    let entry = got.suppressed_destination().expect("entry");
    assert_eq!(entry.reason(), &Reason::Bounce);
    let attributes = entry.attributes().expect("attributes");
    assert_eq!(attributes.message_id(), Some(id.as_str()));
    assert_eq!(attributes.feedback_id(), Some("feedback-0001-000000"));
    let next = send(&server, &["Gone@customer.org"]).await;
    assert_eq!(decided(&server, &next).await[0].0, "suppress");

    let response = server
        .http("POST", "/api/v1/events", &[], b"{\"eventType\":\"Bounce\"}")
        .await;
    assert_eq!(response.status, 400, "{}", response.text());
    server.stop().await;
}
