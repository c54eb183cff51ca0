//! SNS notifications applied per second with durability (issue 6's target: ≥ 10,000/s):
//! `apply_events_once` with one event each (a Permanent bounce, ~1 KiB of JSON, that marks a
//! recorded send outcome), called sequentially by one task and by 16 and 256 concurrent tasks, on SQLite
//! (a temp file, `synchronous = FULL`) and, when `BENCH_POSTGRES_URL` is set, on PostgreSQL.
//! Criterion's throughput line is SNS messages per second.
//!
//! `cargo bench -j 1 -p bounceguard-store --bench events`

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bounceguard_store::{NewEvent, NewSendOutcome, OutcomeClass, Store};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Recorded sends the bounces point at (round robin), so each event marks a real row.
const SENDS: u64 = 10_000;
/// Concurrent callers: 16 (the issue's case) and 256 (SNS fans out wide under load).
const CONCURRENCY: [u64; 2] = [16, 256];

static NEXT: AtomicU64 = AtomicU64::new(0);

fn recipient(n: u64) -> String {
    format!("rcpt-{}@example.net", n % SENDS)
}

fn message_id(n: u64) -> String {
    format!("0100018c-bench-{:06}", n % SENDS)
}

/// One SNS message: a fresh SNS id and one bounce event.
async fn apply_one(store: &Store, raw: &str) {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let sns_id = format!("sns-{n}-{:x}", std::process::id());
    let event = NewEvent {
        event_type: "Bounce".to_string(),
        message_id: message_id(n),
        recipient: recipient(n),
        bounce_type: Some("Permanent".to_string()),
        bounce_subtype: Some("General".to_string()),
        feedback_id: Some(format!("fb-{n}")),
        at_ms: 1_800_000_000_000 + n as i64,
        raw_json: raw.to_string(),
    };
    match store
        .apply_events_once(
            Some(&sns_id),
            Some("arn:aws:sns:eu-west-1:000000000000:ses-events"),
            std::slice::from_ref(&event),
            1_800_000_000_000,
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => panic!("fresh SNS id {sns_id} reported as a duplicate"),
        Err(e) => panic!("apply_events_once failed: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut targets = vec![(
        "sqlite",
        format!("sqlite://{}/bench.db", dir.path().display()),
    )];
    if let Ok(url) = std::env::var("BENCH_POSTGRES_URL") {
        targets.push(("postgres", url));
    }
    // A bounce event's JSON is ~1 KiB (ses-spec §7.3/§7.4 shape).
    let raw = format!(r#"{{"eventType":"Bounce","pad":"{}"}}"#, "x".repeat(1000));
    let mut group = c.benchmark_group("apply_events_once");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for (name, url) in targets {
        let store = runtime.block_on(Store::open(&url)).expect("open store");
        let outcomes: Vec<NewSendOutcome> = (0..SENDS)
            .map(|n| NewSendOutcome {
                message_id: message_id(n),
                recipient: recipient(n),
                class: OutcomeClass::Eligible,
                sent_ms: 1_800_000_000_000,
            })
            .collect();
        runtime
            .block_on(store.record_send_outcomes(&outcomes))
            .expect("record outcomes");

        group.bench_function(format!("{name}/sequential"), |b| {
            b.iter_custom(|iterations| {
                runtime.block_on(async {
                    let started = Instant::now();
                    for _ in 0..iterations {
                        apply_one(&store, &raw).await;
                    }
                    started.elapsed()
                })
            })
        });
        for concurrency in CONCURRENCY {
            group.bench_function(format!("{name}/{concurrency}_concurrent"), |b| {
                b.iter_custom(|iterations| {
                    runtime.block_on(async {
                        let started = Instant::now();
                        let tasks: Vec<_> = (0..concurrency)
                            .map(|task| {
                                // Split `iterations` over the tasks (the first ones take the rest).
                                let share = iterations / concurrency
                                    + u64::from(task < iterations % concurrency);
                                let store = store.clone();
                                let raw = raw.clone();
                                tokio::spawn(async move {
                                    for _ in 0..share {
                                        apply_one(&store, &raw).await;
                                    }
                                })
                            })
                            .collect();
                        for task in tasks {
                            task.await.expect("bench task");
                        }
                        started.elapsed()
                    })
                })
            });
        }
        runtime.block_on(store.close());
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
