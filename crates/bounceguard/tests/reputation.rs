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
