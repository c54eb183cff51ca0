//! Server-side time of the dashboard's Messages page with 100,000 stored messages (issue 8:
//! target < 100 ms), through the real router (store query + template), no socket:
//!
//!   cargo bench -j 1 -p bounceguard --bench dashboard
//!
//! The store is a SQLite file in a temp dir, filled once per run (100,000 messages of one
//! recipient each; every 100th denied, the rest captured).

#![allow(missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use bounceguard::auth::Authenticator;
use bounceguard::config::Config;
use bounceguard::http::{AppState, router};
use bounceguard::service::{Gateway, now_ms};
use bounceguard_store::{NewMessage, NewRecipient, Store};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

const MESSAGES: usize = 100_000;
const RAW: &str =
    "From: sender@shop.example\r\nTo: user@x.test\r\nSubject: Verify your address\r\n\r\nhello\r\n";

fn message(n: usize) -> NewMessage {
    let decision = if n.is_multiple_of(100) {
        "deny"
    } else {
        "capture"
    };
    let to = format!("user{n}@x.test");
    NewMessage {
        id: format!("0100018c{n:012}-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000"),
        created_ms: now_ms(),
        api: "v2".into(),
        operation: "SendEmail".into(),
        source: "Shop <sender@shop.example>".into(),
        from_address: "sender@shop.example".into(),
        subject: Some(format!("Verify your address #{n}")),
        raw: RAW.as_bytes().to_vec(),
        principal: "arn:aws:iam::000000000000:user/bench".into(),
        source_ip: Some("127.0.0.1".into()),
        recipients: vec![NewRecipient {
            address: to.clone(),
            normalized: to,
            kind: "to".into(),
            decision: decision.into(),
            rule: "default:reserved".into(),
            reason: "reserved test domain: captured".into(),
            delivery_attempt: false,
            quota: false,
        }],
    }
}

async fn setup(dir: &std::path::Path) -> (Router, Store) {
    let env = HashMap::from([(
        "BOUNCEGUARD_DATABASE".to_string(),
        format!("sqlite://{}", dir.join("bench.db").display()),
    )]);
    let config = Arc::new(Config::from_toml_and_env("", &env).expect("config"));
    let store = Store::open(&config.database).await.expect("store");
    // Concurrent sends share group commits.
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in 0..100 {
        let store = store.clone();
        tasks.spawn(async move {
            for n in (chunk * MESSAGES / 100)..((chunk + 1) * MESSAGES / 100) {
                store.record_send(message(n)).await.expect("record");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    let gateway = Arc::new(
        Gateway::new(config.clone(), store.clone())
            .await
            .expect("gateway"),
    );
    let state = AppState {
        gateway,
        auth: Arc::new(Authenticator::new(&config)),
    };
    (router(state), store)
}

async fn render(router: &Router, path: &str) -> usize {
    let response = router
        .clone()
        .oneshot(
            http::Request::get(path)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), 200, "{path}");
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body")
        .len()
}

fn messages_page(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let started = std::time::Instant::now();
    let (router, store) = runtime.block_on(setup(dir.path()));
    let latest = runtime
        .block_on(store.latest_message_seq())
        .expect("latest");
    eprintln!(
        "stored {MESSAGES} messages in {:.1} s (latest seq {latest})",
        started.elapsed().as_secs_f64()
    );
    let middle = format!("/ui/messages?before={}", latest / 2);
    let cases = [
        ("first page", "/ui/messages".to_string()),
        ("page at 50,000", middle),
        (
            "decision = deny (1 %)",
            "/ui/messages?decision=deny".to_string(),
        ),
        // No message has it: the worst case, every message is looked at.
        (
            "decision = hold (none)",
            "/ui/messages?decision=hold".to_string(),
        ),
        (
            "recipient search",
            "/ui/messages?to=user77777%40x.test".to_string(),
        ),
        (
            "MessageId search",
            format!("/ui/messages?id={}", message(4242).id),
        ),
    ];
    let mut group = c.benchmark_group("messages_page_100k");
    for (name, path) in &cases {
        let bytes = runtime.block_on(render(&router, path));
        eprintln!("{name}: {bytes} bytes of HTML");
        group.bench_function(*name, |b| {
            b.iter(|| runtime.block_on(render(&router, path)))
        });
    }
    group.finish();
    runtime.block_on(store.close());
}

criterion_group!(benches, messages_page);
criterion_main!(benches);
