//! Two server instances on one PostgreSQL database: a suppression-list change made through one
//! is honoured by the other within a second, carried by LISTEN/NOTIFY (the safety-net poll on
//! PostgreSQL runs only every `PG_SAFETY_INTERVAL`, 5 s), also after the listening connection
//! was cut; and the rates are the account's, the same on both.
//!
//! Needs `TEST_DATABASE_URL` (an admin URL; each test creates and drops its own database).
//! Without it the test prints "skipping postgres" and passes, unless `CI` is set: then it fails.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_sesv2::types::SuppressionListReason;
use bounceguard::service::suppression::PG_SAFETY_INTERVAL;
use common::TestServer;
use sqlx::Connection;

fn admin_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("TEST_DATABASE_URL is unset but CI is set: this test must run in CI")
        }
        _ => {
            eprintln!("skipping postgres: TEST_DATABASE_URL unset");
            None
        }
    }
}

/// The URL of `admin` with another database name.
fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Creates database `name` afresh; answers its URL and the admin connection.
async fn fresh_database(admin: &str, name: &str) -> (String, sqlx::PgConnection) {
    let mut admin_conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("admin connection");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin_conn)
    .await
    .expect("drop old database");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin_conn)
        .await
        .expect("create database");
    (with_database(admin, name), admin_conn)
}

/// (decision, rule) of the first recipient of a stored message.
async fn decided(server: &TestServer, id: &str) -> (String, String) {
    let message = server.get_json(&format!("/api/v1/messages/{id}")).await;
    let first = &message["recipients"][0];
    (
        first["decision"].as_str().unwrap_or_default().to_string(),
        first["rule"].as_str().unwrap_or_default().to_string(),
    )
}

/// Sends to `to` through `server` until the decision is `want`; panics after `within`.
async fn wait_for_decision(server: &TestServer, to: &str, want: &str, within: Duration) {
    let started = Instant::now();
    loop {
        let id = server.send_v2(&[to]).await.expect("accepted");
        let (decision, rule) = decided(server, &id).await;
        if decision == want {
            if want == "suppress" {
                assert_eq!(rule, "suppression:BOUNCE");
            }
            return;
        }
        assert!(
            started.elapsed() < within,
            "{to}: still {decision} after {:?}, wanted {want}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_instance_is_honoured_by_another_within_a_second() {
    let Some(admin) = admin_url() else { return };
    assert!(
        PG_SAFETY_INTERVAL >= Duration::from_secs(2),
        "the poll alone must be too slow for this test to pass without NOTIFY"
    );
    let name = format!("bg_supp_pg_{}", std::process::id());
    let (url, mut admin_conn) = fresh_database(&admin, &name).await;
    let toml = format!("database = \"{url}\"\nidentities = [\"sender@shop.example\"]\n");
    let a = TestServer::start(&toml).await;
    let b = TestServer::start(&toml).await;
    // Let B's sync task make its first (immediate) pass and start listening.
    tokio::time::sleep(Duration::from_millis(300)).await;
    wait_for_decision(&b, "pg@customer.org", "deliver", Duration::from_secs(1)).await;

    a.ses_v2()
        .put_suppressed_destination()
        .email_address("pg@customer.org")
        .reason(SuppressionListReason::Bounce)
        .send()
        .await
        .expect("put on A");
    wait_for_decision(&b, "pg@customer.org", "suppress", Duration::from_secs(1)).await;

    a.ses_v2()
        .delete_suppressed_destination()
        .email_address("pg@customer.org")
        .send()
        .await
        .expect("delete on A");
    wait_for_decision(&b, "pg@customer.org", "deliver", Duration::from_secs(1)).await;

    // Cut every LISTEN connection (B's and A's), then change the list at once: the listener
    // reconnects and re-reads the change log, so nothing is lost and it is still quick.
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND query LIKE 'LISTEN%'",
    )
    .bind(&name)
    .fetch_all(&mut admin_conn)
    .await
    .expect("terminate listeners");
    assert_eq!(cut, vec![true, true], "one LISTEN connection per instance");
    a.ses_v2()
        .put_suppressed_destination()
        .email_address("cut@customer.org")
        .reason(SuppressionListReason::Bounce)
        .send()
        .await
        .expect("put on A after the cut");
    wait_for_decision(&b, "cut@customer.org", "suppress", Duration::from_secs(2)).await;

    a.stop().await;
    b.stop().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin_conn)
    .await
    .expect("drop database");
}

#[test]
fn database_urls_are_rewritten_keeping_credentials_and_options() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h:1/db?sslmode=disable", "y"),
        "postgres://u:p@h:1/y?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "z"), "postgres://h/z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_instance_answers_the_same_rates() {
    let Some(admin) = admin_url() else { return };
    let name = format!("bg_rates_pg_{}", std::process::id());
    let (url, _admin_conn) = fresh_database(&admin, &name).await;
    let toml = format!("database = \"{url}\"\nidentities = [\"sender@shop.example\"]\n");
    let a = TestServer::start(&toml).await;
    let b = TestServer::start(&toml).await;
    let mut sent = Vec::new();
    for i in 0..60 {
        let (server, to) = (
            if i % 3 == 0 { &b } else { &a },
            format!("r{i}@customer.org"),
        );
        sent.push((server.send_v2(&[to.as_str()]).await.expect("accepted"), to));
    }
    // Bounces arrive at either instance.
    for (n, (id, to)) in sent.iter().take(4).enumerate() {
        let server = if n % 2 == 0 { &a } else { &b };
        let event = common::bounce_event(id, to, "Permanent");
        let response = server
            .http("POST", "/api/v1/events", &[], event.as_bytes())
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
    }
    // 4 / 60 = 6.67 %: PROBATION on both (each caches the window for 500 ms at most).
    let started = Instant::now();
    loop {
        let ra = a.get_json("/api/v1/reputation").await;
        let rb = b.get_json("/api/v1/reputation").await;
        let both = [&ra, &rb].map(|r| {
            (
                r["window"]["sends"].as_u64(),
                r["window"]["hard_bounces"].as_u64(),
                r["level"].as_str().map(str::to_string),
            )
        });
        let want = (Some(60), Some(4), Some("PROBATION".to_string()));
        if both[0] == want && both[1] == want {
            assert_eq!(ra["window"], rb["window"]);
            assert_eq!(ra["last_24h"], rb["last_24h"]);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "instances disagree: {both:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for server in [&a, &b] {
        let account = server.ses_v2().get_account().send().await.expect("account");
        assert_eq!(account.enforcement_status(), Some("PROBATION"));
    }
    a.stop().await;
    b.stop().await;
}
