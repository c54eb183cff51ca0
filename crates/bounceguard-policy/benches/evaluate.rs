//! The seed policy (Deny ses:SendEmail + ses:SendRawEmail when ForAnyValue:StringLike
//! ses:Recipients matches `*@example.com`) against a 50-recipient request. Target: < 5 µs per
//! evaluation (issue 3, item 5). Policies are compiled once, outside the measured loop, as the
//! send path does.

use std::hint::black_box;

use bounceguard_policy::{Policy, RequestContext, decide, evaluate};
use chrono::DateTime;
use criterion::{Criterion, criterion_group, criterion_main};

const ID: &str = "arn:aws:ses:ap-northeast-1:111122223333:identity/sender@shop.example";
const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyExampleDotCom","Effect":"Deny","Principal":"*","Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:ap-northeast-1:111122223333:identity/sender@shop.example","Condition":{"ForAnyValue:StringLike":{"ses:Recipients":"*@example.com"}}}]}"#;

fn request(recipients: Vec<String>) -> RequestContext {
    RequestContext {
        action: "ses:SendEmail".into(),
        principal_arn: "arn:aws:iam::111122223333:user/app".into(),
        principal_account: "111122223333".into(),
        service_principal: None,
        identity_arn: ID.into(),
        recipients,
        from_address: "sender@shop.example".into(),
        from_display_name: Some("Shop".into()),
        feedback_address: None,
        api_version: "1".into(),
        source_ip: "203.0.113.7".parse().ok(),
        current_time: DateTime::from_timestamp(1_717_243_200, 0).unwrap_or_default(),
        secure_transport: true,
        user_agent: Some("aws-cli/2.15.0".into()),
        source_account: None,
        source_arn: None,
        principal_org_id: None,
    }
}

fn bench(c: &mut Criterion) {
    let policies = [Policy::parse("seed", SEED, ID).expect("seed policy is valid")];
    // Worst case for ForAnyValue: no recipient matches, so all 50 are checked (Allow).
    let none_match = request(
        (0..50)
            .map(|i| format!("user{i:02}@partner.example"))
            .collect(),
    );
    // The denied recipient is the last one.
    let mut last = none_match.recipients.clone();
    last[49] = "user49@example.com".into();
    let last_matches = request(last);
    assert_eq!(
        decide(&policies, &none_match, "111122223333").decision,
        bounceguard_policy::Decision::Allow
    );
    assert_eq!(
        decide(&policies, &last_matches, "111122223333").decision,
        bounceguard_policy::Decision::Deny
    );

    let mut g = c.benchmark_group("seed_policy_50_recipients");
    g.bench_function("evaluate/none_match", |b| {
        b.iter(|| evaluate(black_box(&policies), black_box(&none_match), "111122223333").decision)
    });
    g.bench_function("evaluate/last_matches", |b| {
        b.iter(|| {
            evaluate(
                black_box(&policies),
                black_box(&last_matches),
                "111122223333",
            )
            .decision
        })
    });
    g.bench_function("decide/none_match", |b| {
        b.iter(|| decide(black_box(&policies), black_box(&none_match), "111122223333").decision)
    });
    g.bench_function("decide/last_matches", |b| {
        b.iter(|| {
            decide(
                black_box(&policies),
                black_box(&last_matches),
                "111122223333",
            )
            .decision
        })
    });
    g.finish();

    c.bench_function("parse_seed_policy", |b| {
        b.iter(|| Policy::parse("seed", black_box(SEED), ID).is_ok())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
