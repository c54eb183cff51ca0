//! Routing + normalisation + allow-list for a 50-recipient request (issue 4 target: < 10 µs).
//!
//! The recipients are what the SES fronts hand over: `Recipient`s whose syntax the API has
//! checked already. The mix: `+` aliases of known mailboxes, known mailboxes with display
//! names, unknown mailboxes at the `only_known` domain, reserved test domains, other domains.
//! The guard has four routes and 1,000 known mailboxes.
//!
//! - `route_and_allowlist_50_recipients`: normalise, first-match routing, allow-list lookup
//!   (the issue's measure).
//! - `decide_50_recipients`: the whole decision from parsed recipients (adds the decision steps
//!   and the reason and rule strings).
//! - `decide_text_50_recipients`: the whole decision from address text, including SES's
//!   syntax check (what the validation API does per address).

use std::hint::black_box;

use bounceguard_core::address::Mailbox;
use bounceguard_core::{Recipient, RecipientKind};
use bounceguard_guard::{Facts, Guard, GuardConfig};
use criterion::{Criterion, criterion_group, criterion_main};

fn guard() -> Guard {
    let mut text = String::from(
        r#"
[[routes]]
match = "*@customer.co.jp"
action = "deny"

[[routes]]
domain = "*.company.com"
action = "deliver"
only_known = true
fold_plus = true

[[routes]]
match = "*@sim.company.org"
action = "simulate"

[[routes]]
domain = "partner.org"
action = "hold"
"#,
    );
    for i in 0..1000 {
        text.push_str(&format!(
            "\n[[mailboxes]]\naddress = \"user{i}@company.com\"\n"
        ));
    }
    let config: GuardConfig = toml::from_str(&text).expect("bench config");
    Guard::from_config(&config).expect("valid")
}

fn addresses() -> Vec<String> {
    (0..50)
        .map(|i| match i % 5 {
            0 => format!("user{i}+loadtest-{i:06}@company.com"),
            1 => format!("User {i} <user{i}@Company.com>"),
            2 => format!("nobody{i}@company.com"),
            3 => format!("signup-{i:06}@example.com"),
            _ => format!("customer.{i}@other-domain.org"),
        })
        .collect()
}

fn recipients() -> Vec<Recipient> {
    addresses()
        .into_iter()
        .map(|original| Recipient {
            mailbox: Mailbox::parse(&original).expect("valid"),
            original,
            kind: RecipientKind::To,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let guard = guard();
    let recipients = recipients();
    let addresses = addresses();
    let facts = Facts::default();
    c.bench_function("route_and_allowlist_50_recipients", |b| {
        b.iter(|| {
            for r in &recipients {
                if let Ok(routed) = guard.route_recipient(black_box(r)) {
                    black_box(guard.allow_list().lookup(&routed.normalized));
                }
            }
        });
    });
    c.bench_function("decide_50_recipients", |b| {
        b.iter(|| {
            for r in &recipients {
                if let Ok(routed) = guard.route_recipient(black_box(r)) {
                    black_box(guard.decide_routed(&routed, &facts));
                }
            }
        });
    });
    c.bench_function("decide_text_50_recipients", |b| {
        b.iter(|| {
            for a in &addresses {
                black_box(guard.decide(black_box(a), &facts));
            }
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
