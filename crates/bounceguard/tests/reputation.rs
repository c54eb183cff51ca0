//! Rates as SES computes them, through the public interface: sends through the v2 SDK, bounce
//! notifications through `POST /api/v1/events`, the level in GetAccount and the report at
//! `GET /api/v1/reputation`. Expected numbers are computed by hand in the comments.

mod common;

use common::TestServer;
use serde_json::Value;

async fn send(server: &TestServer, to: &str) -> String {
    server.send_v2(&[to]).await.expect("accepted")
}

async fn bounce(server: &TestServer, id: &str, to: &str, kind: &str) {
    let response = server
        .http(
            "POST",
            "/api/v1/events",
            &[],
            common::bounce_event(id, to, kind).as_bytes(),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
}

async fn status(server: &TestServer) -> String {
    let account = server.ses_v2().get_account().send().await.expect("account");
    account.enforcement_status().unwrap_or_default().to_string()
}

#[tokio::test]
async fn bounces_move_the_account_from_healthy_to_probation_and_the_projection_says_how_far_back() {
    let server = TestServer::open().await;
    let mut ids = Vec::new();
    for i in 0..100 {
        let to = format!("user{i}@customer.org");
        ids.push((send(&server, &to).await, to));
    }
    // Captured and held mail is not an eligible send.
    send(&server, "qa@example.com").await;
    let report: Value = server.get_json("/api/v1/reputation").await;
    assert_eq!(report["window"]["sends"], 100);
    assert_eq!(report["level"], "HEALTHY");
    assert_eq!(status(&server).await, "HEALTHY");

    // 3 / 100 = 3 %: above our warning threshold (2.5 %), below SES's review (5 %).
    for (id, to) in &ids[..3] {
        bounce(&server, id, to, "Permanent").await;
    }
    // A transient bounce never counts.
    bounce(&server, &ids[3].0, &ids[3].1, "Transient").await;
    let report: Value = server.get_json("/api/v1/reputation").await;
    assert_eq!(report["window"]["hard_bounces"], 3);
    assert_eq!(report["level"], "WARNING");
    assert_eq!(
        status(&server).await,
        "HEALTHY",
        "WARNING is ours; SES says HEALTHY"
    );

    // 6 / 100 = 6 %: PROBATION.
    for (id, to) in &ids[4..7] {
        bounce(&server, id, to, "Permanent").await;
    }
    let report: Value = server.get_json("/api/v1/reputation").await;
    assert_eq!(report["level"], "PROBATION");
    assert_eq!(report["window"]["bounce_rate"], 0.06);
    assert_eq!(report["last_24h"]["hard_bounces"], 6);
    assert_eq!(status(&server).await, "PROBATION");
    // GetSendStatistics adds up: 100 delivery attempts (the captured one is not), 6 bounces.
    let stats = server
        .ses_v1()
        .get_send_statistics()
        .send()
        .await
        .expect("statistics");
    let points = stats.send_data_points();
    let sum = |f: fn(&aws_sdk_ses::types::SendDataPoint) -> i64| points.iter().map(f).sum::<i64>();
    assert_eq!(sum(|p| p.delivery_attempts()), 100);
    assert_eq!(sum(|p| p.bounces()), 6);
    assert_eq!(sum(|p| p.complaints()), 0);
    // Below 5 %: 6 / (100 + n) < 0.05 ⇔ n > 20 → 21 clean sends.
    assert_eq!(report["clean_sends_to_under_5_percent"], 21);
    // Below the guard's 2.5 %: 6 / (100 + n) < 0.025 ⇔ n > 140 → 141.
    assert_eq!(report["clean_sends_to_under_guard"], 141);

    // The bounced addresses are on the suppression list now; sends to them are not eligible.
    send(&server, &ids[0].1).await;
    let report: Value = server.get_json("/api/v1/reputation").await;
    assert_eq!(report["window"]["sends"], 100);
    server.stop().await;
}

#[tokio::test]
async fn the_cli_prints_the_same_numbers_as_the_api() {
    let server = TestServer::open().await;
    let mut ids = Vec::new();
    for i in 0..40 {
        let to = format!("user{i}@customer.org");
        ids.push((send(&server, &to).await, to));
    }
    // 1 / 40 = 2.5 %: at the guard threshold → WARNING.
    bounce(&server, &ids[0].0, &ids[0].1, "Permanent").await;
    let database = server.config.database.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_bounceguard"))
            .args(["reputation"])
            .env("BOUNCEGUARD_DATABASE", database)
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.starts_with("level WARNING (GetAccount says HEALTHY)"),
        "{text}"
    );
    let window: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("window"))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(window, ["window", "40", "1", "2.50", "%", "0", "0.00", "%"]);
    // 1 / (40 + n) < 0.05 ⇔ n > -20 → 0; < 0.025 ⇔ n > 0 → 1.
    assert!(
        text.contains("under 5 %: 0; under the guard threshold: 1"),
        "{text}"
    );
    server.stop().await;
}

fn delivery_event(message_id: &str, to: &str) -> String {
    serde_json::json!({
        "eventType": "Delivery",
        "delivery": {
            "timestamp": "2026-12-01T10:30:02.000Z",
            "processingTimeMillis": 1200,
            "recipients": [to],
            "smtpResponse": "250 2.0.0 OK",
            "reportingMTA": "a8-1.smtp-out.amazonses.com"
        },
        "mail": {
            "timestamp": "2026-12-01T10:30:00.011Z",
            "source": "sender@shop.example",
            "sendingAccountId": "000000000000",
            "messageId": message_id,
            "destination": [to]
        }
    })
    .to_string()
}

async fn decision_of(server: &TestServer, id: &str) -> (String, String) {
    let message = server.get_json(&format!("/api/v1/messages/{id}")).await;
    let r = &message["recipients"][0];
    (
        r["decision"].as_str().unwrap_or_default().to_string(),
        r["rule"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn the_guard_holds_new_recipients_while_the_projection_crosses_and_releases_itself() {
    let server = TestServer::open().await;
    let mut ids = Vec::new();
    for i in 0..100 {
        let to = format!("user{i}@customer.org");
        ids.push((send(&server, &to).await, to));
    }
    // user0 has a Delivery on record.
    let response = server
        .http(
            "POST",
            "/api/v1/events",
            &[],
            delivery_event(&ids[0].0, &ids[0].1).as_bytes(),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());

    // 2 / 100: if one more send bounced, 3 / 101 = 2.97 % ≥ 2.5 % → new recipients are held.
    for (id, to) in &ids[98..] {
        bounce(&server, id, to, "Permanent").await;
    }
    let held = send(&server, "new@customer.org").await;
    assert_eq!(
        decision_of(&server, &held).await,
        ("hold".to_string(), "reputation".to_string())
    );
    // A recipient with a delivery keeps flowing (and counts: 101 sends now).
    let known = send(&server, &ids[0].1).await;
    assert_eq!(decision_of(&server, &known).await.0, "deliver");
    // The held one waits as held mail.
    let listing = server.get_json("/api/v1/held").await;
    assert_eq!(listing["held"][0]["message_id"], held.as_str());

    // Clean sends bring the projection back: 3 / (n + 1) < 0.025 ⇔ n + 1 > 120 ⇔ n ≥ 120
    // sends in the window. At 119 (18 more to user0) 3 / 120 = 2.5 % still holds …
    for _ in 0..18 {
        send(&server, &ids[0].1).await;
    }
    let still = send(&server, "new2@customer.org").await;
    assert_eq!(decision_of(&server, &still).await.0, "hold");
    // … at 120 (one more) 3 / 121 = 2.48 %: the guard lets new recipients through again.
    send(&server, &ids[0].1).await;
    let free = send(&server, "new3@customer.org").await;
    assert_eq!(decision_of(&server, &free).await.0, "deliver");
    server.stop().await;
}

#[tokio::test]
async fn with_on_hold_reject_the_request_is_refused_and_below_min_sends_nothing_is_held() {
    let server = TestServer::start(
        "identities = [\"sender@shop.example\"]\n[reputation]\non_hold = \"reject\"\nmin_sends = 10\n",
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..9 {
        let to = format!("user{i}@customer.org");
        ids.push((send(&server, &to).await, to));
    }
    // 1 / 9 = 11 %, but 9 sends are fewer than min_sends: not a rate yet.
    bounce(&server, &ids[8].0, &ids[8].1, "Permanent").await;
    let early = send(&server, "early@customer.org").await;
    assert_eq!(decision_of(&server, &early).await.0, "deliver");
    // 10 sends, 1 bounce: one more bounce would be 2 / 11 → refused with MessageRejected.
    let refused = server
        .send_v2(&["late@customer.org"])
        .await
        .expect_err("refused");
    assert!(
        refused.starts_with("MessageRejected: Recipient address rejected: late@customer.org"),
        "{refused}"
    );
    assert!(refused.contains("reputation guard"), "{refused}");
    server.stop().await;
}

/// Accepts HTTP requests on a local port and hands over each body (answering 204).
async fn webhook_sink() -> (String, tokio::sync::mpsc::Receiver<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&data).into_owned();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                let (name, value) = l.split_once(':')?;
                                name.eq_ignore_ascii_case("content-length")
                                    .then(|| value.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            let _ = socket
                                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                                .await;
                            let _ = tx.send(body.to_string()).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn a_change_of_level_is_posted_to_the_webhook() {
    let (url, mut hooks) = webhook_sink().await;
    let server = TestServer::start(&format!(
        "identities = [\"sender@shop.example\"]\n[alerts]\nwebhook = \"{url}\"\n"
    ))
    .await;
    let mut ids = Vec::new();
    for i in 0..40 {
        let to = format!("user{i}@customer.org");
        ids.push((send(&server, &to).await, to));
    }
    // 1 / 40 = 2.5 %: WARNING. The next look at the window notices it.
    bounce(&server, &ids[0].0, &ids[0].1, "Permanent").await;
    let report: Value = server.get_json("/api/v1/reputation").await;
    assert_eq!(report["level"], "WARNING");
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), hooks.recv())
        .await
        .expect("a webhook POST within 10 s")
        .expect("body");
    let change: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(change["event"], "bounceguard.reputation.level_changed");
    assert_eq!(change["previous"], "HEALTHY");
    assert_eq!(change["level"], "WARNING");
    assert_eq!(change["enforcement_status"], "HEALTHY");
    assert_eq!(change["bounce_rate"], 0.025);
    assert_eq!(change["window_sends"], 40);
    // No change, no second POST.
    let _: Value = server.get_json("/api/v1/reputation").await;
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(700), hooks.recv())
            .await
            .is_err()
    );
    server.stop().await;
}

#[tokio::test]
async fn simulator_sends_create_ses_events_and_leave_the_rates_and_the_list_alone() {
    let server = TestServer::start(
        "identities = [\"sender@shop.example\"]\n[[routes]]\nmatch = \"*@sim.example.com\"\naction = \"simulate\"\n",
    )
    .await;
    let id = server
        .send_v2(&[
            "success@simulator.amazonses.com",
            "bounce+run1@simulator.amazonses.com",
            "complaint@simulator.amazonses.com",
            "bounce-7@sim.example.com",
        ])
        .await
        .expect("accepted");
    let message = server.get_json(&format!("/api/v1/messages/{id}")).await;
    let decisions: Vec<&str> = message["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .map(|r| r["decision"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(decisions, ["simulate"; 4]);

    let events = server
        .get_json(&format!("/api/v1/messages/{id}/events"))
        .await;
    let mut seen: Vec<(String, String, String)> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_string(),
                e["recipient"].as_str().unwrap_or_default().to_string(),
                e["bounce_type"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    seen.sort();
    // SES: success@ and complaint@ are delivered, complaint@ then complains, the two bounce
    // addresses hard-bounce (ses-spec §8).
    let expected: Vec<(String, String, String)> = [
        ("Bounce", "bounce+run1@simulator.amazonses.com", "Permanent"),
        ("Bounce", "bounce-7@sim.example.com", "Permanent"),
        ("Complaint", "complaint@simulator.amazonses.com", "-"),
        ("Delivery", "complaint@simulator.amazonses.com", "-"),
        ("Delivery", "success@simulator.amazonses.com", "-"),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(seen, expected);
    // The whole SES event is kept, with the mail it is about.
    assert_eq!(
        events["events"][0]["event"]["mail"]["messageId"],
        id.as_str()
    );

    // Not eligible sends, so no rate moves; simulated bounces never reach the suppression list.
    let report: Value = server.get_json("/api/v1/reputation").await;
    assert_eq!(report["window"]["sends"], 0);
    assert_eq!(report["window"]["hard_bounces"], 0);
    assert_eq!(report["last_24h"]["complaints"], 0);
    let listed = server
        .ses_v2()
        .list_suppressed_destinations()
        .send()
        .await
        .expect("list");
    assert!(listed.suppressed_destination_summaries().is_empty());
    server.stop().await;
}
