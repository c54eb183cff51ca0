//! Group-commit throughput: 200 concurrent `record_send` calls (4 KiB MIME, 2 recipients each),
//! measured per batch of 200 on SQLite (a temp file, `synchronous = FULL`) and, when
//! `BENCH_POSTGRES_URL` is set, on PostgreSQL.
//!
//! `cargo bench -p bounceguard-store --bench group_commit`

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bounceguard_store::{NewMessage, NewRecipient, Store};
use criterion::{Criterion, criterion_group, criterion_main};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn message() -> NewMessage {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let recipient = |kind: &str| NewRecipient {
        address: format!("{kind}-{n}@example.net"),
        normalized: format!("{kind}-{n}@example.net"),
        kind: kind.to_string(),
        decision: "deliver".to_string(),
        rule: "default:deliver".to_string(),
        reason: "capture transport: stored, not sent".to_string(),
        delivery_attempt: true,
        quota: true,
    };
    NewMessage {
        id: format!("bench-{n}"),
        created_ms: 1_800_000_000_000 + n as i64,
        api: "v1".to_string(),
        operation: "SendEmail".to_string(),
        source: "sender@example.com".to_string(),
        from_address: "sender@example.com".to_string(),
        subject: Some("bench".to_string()),
        raw: vec![b'x'; 4096],
        principal: "arn:aws:iam::000000000000:user/bench".to_string(),
        source_ip: Some("127.0.0.1".to_string()),
        recipients: vec![recipient("to"), recipient("cc")],
    }
}

async fn batch(store: &Store) {
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let store = store.clone();
            let m = message();
            tokio::spawn(async move { store.record_send(m).await })
        })
        .collect();
    for task in tasks {
        if let Ok(Err(e)) = task.await {
            panic!("record_send failed: {e}");
        }
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
    let mut group = c.benchmark_group("group_commit_200_concurrent_sends");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for (name, url) in targets {
        let store = runtime.block_on(Store::open(&url)).expect("open store");
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                runtime.block_on(async {
                    let started = Instant::now();
                    for _ in 0..iterations {
                        batch(&store).await;
                    }
                    started.elapsed()
                })
            })
        });
        runtime.block_on(store.close());
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
