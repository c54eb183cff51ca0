//! `GET /metrics` through the real HTTP server: after sends with known decisions and one posted
//! event, the Prometheus text shows exactly those counts, and the reputation gauges show the
//! numbers computed by hand below.

mod common;

use common::TestServer;

#[tokio::test]
async fn metrics_count_sends_by_decision_events_by_type_and_show_the_rates() {
    let server = TestServer::start(
        "identities = [\"sender@shop.example\"]\n\
         [[routes]]\nmatch = \"*@blocked.test\"\naction = \"deny\"\n",
    )
    .await;
    let response = server.http("GET", "/metrics", &[], b"").await;
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let before = common::parse_metrics(&response.text());
    assert_eq!(before["bounceguard_sends_total{decision=\"deliver\"}"], 0.0);
    assert_eq!(before["bounceguard_store_commit_seconds_count"], 0.0);
    assert_eq!(before["bounceguard_reputation_level"], 0.0);

    // One recipient decided deliver (capture transport: recorded, an eligible send) ...
    let id = server
        .send_v2(&["user@customer.org"])
        .await
        .expect("accepted");
    // ... one captured (a reserved test domain) ...
    server.send_v2(&["qa@example.com"]).await.expect("accepted");
    // ... and one denied by the route: refused, but recorded with its decision.
    let denied = server.send_v2(&["x@blocked.test"]).await;
    assert!(
        denied
            .as_ref()
            .is_err_and(|e| e.starts_with("MessageRejected")),
        "{denied:?}"
    );
    let response = server
        .http(
            "POST",
            "/api/v1/events",
            &[],
            common::bounce_event(&id, "user@customer.org", "Permanent").as_bytes(),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());

    let m = server.metrics().await;
    for (decision, count) in [
        ("deliver", 1.0),
        ("capture", 1.0),
        ("deny", 1.0),
        ("suppress", 0.0),
        ("simulate", 0.0),
        ("hold", 0.0),
    ] {
        assert_eq!(
            m[&format!("bounceguard_sends_total{{decision=\"{decision}\"}}")],
            count,
            "{decision}"
        );
    }
    let all_sends: f64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("bounceguard_sends_total"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(all_sends, 3.0, "no other decision appeared");
    assert_eq!(m["bounceguard_events_total{type=\"Bounce\"}"], 1.0);
    let all_events: f64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("bounceguard_events_total"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(all_events, 1.0);
    // Three records committed (two accepted sends and the refused one).
    assert_eq!(m["bounceguard_store_commit_seconds_count"], 3.0);
    assert_eq!(
        m["bounceguard_store_commit_seconds_bucket{le=\"+Inf\"}"],
        3.0
    );
    assert!(m["bounceguard_store_commit_seconds_sum"] > 0.0);
    // One eligible send, hard-bounced: 1 / 1 = 100 %, at or above SES's 10 %: SHUTDOWN (3).
    assert_eq!(m["bounceguard_window_sends"], 1.0);
    assert_eq!(m["bounceguard_bounce_rate"], 1.0);
    assert_eq!(m["bounceguard_complaint_rate"], 0.0);
    assert_eq!(m["bounceguard_reputation_level"], 3.0);
    server.stop().await;
}

/// The send writer's counters: every accepted send is counted once as committed, in at most as
/// many transactions as there were sends, and none failed.
#[tokio::test]
async fn metrics_count_the_writers_commits_and_committed_sends() {
    let server = TestServer::start("identities = [\"sender@shop.example\"]\n").await;
    let before = server.metrics().await;
    assert_eq!(before["bounceguard_store_commits_total"], 0.0);
    assert_eq!(before["bounceguard_store_committed_sends_total"], 0.0);
    assert_eq!(before["bounceguard_store_failed_commits_total"], 0.0);

    let sends = (0..40).map(|i| {
        let server = &server;
        async move {
            let to = format!("user{i}@customer.org");
            server.send_v2(&[to.as_str()]).await
        }
    });
    let results = futures_util::future::join_all(sends).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let m = server.metrics().await;
    assert_eq!(m["bounceguard_store_committed_sends_total"], 40.0);
    let commits = m["bounceguard_store_commits_total"];
    assert!((1.0..=40.0).contains(&commits), "{commits} commits");
    assert_eq!(m["bounceguard_store_failed_commits_total"], 0.0);
    // The same count the per-decision counter shows for these single-recipient sends.
    assert_eq!(m["bounceguard_sends_total{decision=\"deliver\"}"], 40.0);
    server.stop().await;
}
