//! Suppression index at 1 M and 10 M entries (issue 5 targets: lookup < 1 µs, < 48 bytes per
//! entry, build < 10 s at 10 M).
//!
//! - `lookup/{hit,miss}/{1M,10M}`: one lookup of an address string, hashing included.
//! - `build/1M`: building the index from 1 M `(hash, reason)` pairs (as the store loads them).
//! - `csv_read/100k`: reading and checking 100,000 bulk-CSV lines (1 % malformed).
//! - Printed once per size (not a criterion measurement): heap bytes per entry, and the wall
//!   time of one build at that size.
//!
//! Run: `cargo bench -p bounceguard-suppression --bench index -j 1`.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use bounceguard_suppression::csv::CsvReader;
use bounceguard_suppression::{SuppressionIndex, SuppressionReason, hash};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Synthetic normalised addresses: about 28 bytes, 1000 domains.
fn address(i: u64) -> String {
    format!("user{i:08}.tester@example{}.org", i % 1000)
}

fn pairs(n: u64) -> Vec<(u64, SuppressionReason)> {
    (0..n)
        .map(|i| {
            let reason = if i % 10 == 0 {
                SuppressionReason::Complaint
            } else {
                SuppressionReason::Bounce
            };
            (hash(&address(i)), reason)
        })
        .collect()
}

fn index_at(c: &mut Criterion) {
    for (label, n) in [("1M", 1_000_000u64), ("10M", 10_000_000u64)] {
        let input = pairs(n);
        let started = Instant::now();
        let index = SuppressionIndex::build(input.iter().copied());
        let build = started.elapsed();
        drop(input);
        assert_eq!(index.len() as u64, n);
        eprintln!(
            "index {label}: {} entries, {} heap bytes, {:.2} bytes/entry, one build {:.3} s",
            index.len(),
            index.heap_bytes(),
            index.heap_bytes() as f64 / n as f64,
            build.as_secs_f64()
        );

        // 4096 probes spread over the whole key space, so they do not all sit in cache.
        let hits: Vec<String> = (0..4096u64).map(|i| address(i * (n / 4096))).collect();
        let misses: Vec<String> = (0..4096u64).map(|i| address(n + i * 7919)).collect();
        assert!(hits.iter().all(|a| index.lookup(a.as_str()).is_some()));
        assert!(misses.iter().all(|a| index.lookup(a.as_str()).is_none()));

        let mut group = c.benchmark_group("lookup");
        for (kind, probes) in [("hit", &hits), ("miss", &misses)] {
            group.bench_function(BenchmarkId::new(kind, label), |b| {
                let mut i = 0usize;
                b.iter(|| {
                    i = (i + 1) & 4095;
                    black_box(index.lookup(black_box(probes[i].as_str())))
                })
            });
        }
        group.finish();
    }
}

fn build(c: &mut Criterion) {
    let input = pairs(1_000_000);
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("1M", |b| {
        b.iter(|| SuppressionIndex::build(black_box(&input).iter().copied()))
    });
    group.finish();
}

fn csv_read(c: &mut Criterion) {
    let mut text = String::new();
    for i in 0..100_000u64 {
        if i % 100 == 99 {
            text.push_str("not-an-address,BOUNCE\n");
        } else {
            text.push_str(&address(i));
            text.push_str(",BOUNCE\n");
        }
    }
    let mut group = c.benchmark_group("csv_read");
    group.sample_size(10);
    group.bench_function("100k", |b| {
        b.iter(|| {
            let (mut good, mut bad) = (0u32, 0u32);
            for item in CsvReader::new(black_box(text.as_bytes())) {
                match item {
                    Ok(_) => good += 1,
                    Err(_) => bad += 1,
                }
            }
            assert_eq!((good, bad), (99_000, 1_000));
        })
    });
    group.finish();
}

criterion_group!(benches, index_at, build, csv_read);
criterion_main!(benches);
