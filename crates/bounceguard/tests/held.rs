//! Held mail through the public interface: a recipient a hold route holds is listed by
//! `GET /api/v1/held`, released once (re-evaluated: a recipient suppressed meanwhile is not
//! sent), dropped, and the release is its own message in the decision log. Surviving a kill -9
//! and the SES transport are tested end to end in tests/e2e/test_held.py.

mod common;

use common::TestServer;
use serde_json::Value;

const HOLD: &str = r#"
identities = ["sender@shop.example"]

[[routes]]
name = "sink"
domain = "sink.net"
action = "hold"
"#;

async fn post(server: &TestServer, path: &str) -> (u16, Value) {
    let response = server.http("POST", path, &[], b"").await;
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, body)
}

fn held_ids(listing: &Value) -> Vec<String> {
    listing["held"]
        .as_array()
        .expect("held array")
        .iter()
        .map(|m| m["message_id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn a_held_recipient_is_listed_released_once_and_recorded() {
    let server = TestServer::start(HOLD).await;
    let id = server
        .send_v2(&["a@sink.net", "qa@example.com"])
        .await
        .expect("send");

    // Only the sink.net recipient is held; the message is listed with it.
    let listing = server.get_json("/api/v1/held").await;
    assert_eq!(held_ids(&listing), vec![id.clone()]);
    let held = &listing["held"][0]["held"];
    assert_eq!(held.as_array().map(Vec::len), Some(1));
    assert_eq!(held[0]["address"], "a@sink.net");
    assert_eq!(held[0]["rule"], "route:1");
    assert_eq!(held[0]["state"], "held");
    assert_eq!(listing["next_before"], Value::Null);

    let (status, report) = post(&server, &format!("/api/v1/held/{id}/release")).await;
    assert_eq!(status, 200, "{report}");
    let released_as = report["released_as"]
        .as_str()
        .expect("released_as")
        .to_string();
    assert_ne!(released_as, id);
    assert_eq!(report["recipients"][0]["address"], "a@sink.net");
    assert_eq!(report["recipients"][0]["decision"], "deliver");
    assert_eq!(report["recipients"][0]["rule"], "held:released");

    // The release is a message of its own, pointing back at the held one.
    let release = server
        .get_json(&format!("/api/v1/messages/{released_as}"))
        .await;
    assert_eq!(release["recipients"].as_array().map(Vec::len), Some(1));
    assert_eq!(release["recipients"][0]["decision"], "deliver");
    assert!(
        release["recipients"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&id) && r.contains("route:1")),
        "{release}"
    );
    // The held message's own log is unchanged.
    let original = server.get_json(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(original["recipients"][0]["decision"], "hold");

    // A second release finds nothing; the listing is empty; `all` shows the outcome.
    let (status, again) = post(&server, &format!("/api/v1/held/{id}/release")).await;
    assert_eq!(status, 200);
    assert_eq!(again["released_as"], Value::Null);
    assert!(held_ids(&server.get_json("/api/v1/held").await).is_empty());
    let all = server.get_json("/api/v1/held?all=true").await;
    assert_eq!(held_ids(&all), vec![id.clone()]);
    assert_eq!(all["held"][0]["held"][0]["state"], "released");
    assert!(
        all["held"][0]["held"][0]["outcome"]
            .as_str()
            .is_some_and(|o| o.contains(&released_as)),
        "{all}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_release_re_evaluates_and_a_drop_sends_nothing() {
    let server = TestServer::start(HOLD).await;
    let first = server
        .send_v2(&["gone@sink.net", "ok@sink.net"])
        .await
        .expect("send");
    let second = server.send_v2(&["c@sink.net"]).await.expect("send");

    // Newest first, and pages by key.
    let page = server.get_json("/api/v1/held?limit=1").await;
    assert_eq!(held_ids(&page), vec![second.clone()]);
    let before = page["next_before"].as_i64().expect("next_before");
    let next = server
        .get_json(&format!("/api/v1/held?limit=1&before={before}"))
        .await;
    assert_eq!(held_ids(&next), vec![first.clone()]);

    // Suppressed while it waited: the release does not send it.
    server
        .ses_v2()
        .put_suppressed_destination()
        .email_address("gone@sink.net")
        .reason(aws_sdk_sesv2::types::SuppressionListReason::Bounce)
        .send()
        .await
        .expect("suppress");
    let (status, report) = post(&server, &format!("/api/v1/held/{first}/release")).await;
    assert_eq!(status, 200, "{report}");
    let decisions: Vec<(&str, &str)> = report["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap_or_default(),
                r["decision"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        vec![("gone@sink.net", "suppress"), ("ok@sink.net", "deliver")]
    );

    // Dropped: never sent, and nothing left to release.
    let (status, dropped) = post(&server, &format!("/api/v1/held/{second}/drop")).await;
    assert_eq!(status, 200, "{dropped}");
    assert_eq!(dropped["dropped"][0], "c@sink.net");
    let (_, again) = post(&server, &format!("/api/v1/held/{second}/release")).await;
    assert_eq!(again["released_as"], Value::Null);
    let shown = server.get_json(&format!("/api/v1/held/{second}")).await;
    assert_eq!(shown["held"][0]["state"], "dropped");

    // Unknown messages are 404.
    let (status, missing) = post(&server, "/api/v1/held/no-such-id/release").await;
    assert_eq!(status, 404, "{missing}");
    server.stop().await;
}
