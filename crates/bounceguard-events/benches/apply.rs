//! Parse + verify of a SignatureVersion 2 SNS notification carrying an SES Bounce, with the
//! certificate already cached (the steady state): the per-message CPU cost in front of the
//! durable apply, whose overall target is ≥ 10,000 notifications/s.
//!
//! Run: `cargo bench -p bounceguard-events --bench apply`

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use bounceguard_events::{NoFetch, SesEvent, SnsVerifier, parse_envelope};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const CERT_URL: &str = "https://certs.test.invalid/SimpleNotificationService-test.pem";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A signed v2 Notification body, as SNS would POST it.
fn signed_body() -> Vec<u8> {
    let message = String::from_utf8(fixture("ses/bounce-event-publishing.json"))
        .expect("utf-8")
        .trim_end()
        .to_owned();
    let fields = [
        ("Message", message.as_str()),
        ("MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"),
        ("Subject", "Amazon SES Email Event Notification"),
        ("Timestamp", "2024-01-15T10:30:06.000Z"),
        ("TopicArn", "arn:aws:sns:eu-west-1:111122223333:ses-events"),
        ("Type", "Notification"),
    ];
    let to_sign: String = fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect();
    let key = RsaKeyPair::from_pkcs8(&fixture("sns/key.pk8.der")).expect("key");
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        to_sign.as_bytes(),
        &mut sig,
    )
    .expect("sign");
    let mut body = serde_json::Map::new();
    for (k, v) in fields {
        body.insert(k.to_owned(), v.into());
    }
    body.insert("SignatureVersion".into(), "2".into());
    body.insert(
        "Signature".into(),
        base64::engine::general_purpose::STANDARD.encode(sig).into(),
    );
    body.insert("SigningCertURL".into(), CERT_URL.into());
    serde_json::to_vec(&body).expect("json")
}

fn apply(c: &mut Criterion) {
    let verifier = SnsVerifier::new(Arc::new(NoFetch))
        .with_trusted_cert(CERT_URL, &fixture("sns/cert.pem"))
        .expect("cert");
    let body = signed_body();
    let mut group = c.benchmark_group("sns");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_verify_v2_notification", |b| {
        b.iter(|| {
            let envelope = parse_envelope(black_box(&body)).expect("parses");
            let verified = verifier.verify_cached(&envelope);
            assert!(matches!(verified, Some(Ok(()))));
            let event = SesEvent::from_json(&envelope.message).expect("event");
            black_box(event)
        })
    });
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            let envelope = parse_envelope(black_box(&body)).expect("parses");
            black_box(SesEvent::from_json(&envelope.message).expect("event"))
        })
    });
    group.finish();
}

criterion_group!(benches, apply);
criterion_main!(benches);
