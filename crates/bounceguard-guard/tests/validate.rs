//! Validation verdicts (issue 4 §7): address → verdict and reason, and the JSON shape
//! `{"address","normalized","verdict","reason"}`.

use bounceguard_guard::{
    DomainCheck, Facts, Guard, GuardConfig, SuppressionReason, Verdict, VerdictKind, validate,
};

fn staging() -> Guard {
    let config: GuardConfig = toml::from_str(
        r#"
[[routes]]
name = "no-customers"
match = "*@customer.co.jp"
action = "deny"

[[routes]]
domain = "*.company.com"
action = "deliver"
only_known = true

[[routes]]
domain = "partner.org"
action = "hold"

[[mailboxes]]
address = "hoge@company.com"
"#,
    )
    .expect("toml");
    Guard::from_config(&config).expect("valid")
}

#[test]
fn verdict_table() {
    let guard = staging();
    let dns = |dns| Facts {
        dns,
        ..Facts::default()
    };
    let cases: Vec<(&str, Facts, VerdictKind, Option<&str>, &str)> = vec![
        (
            "hoge+signup-1@Company.com",
            dns(DomainCheck::Deliverable),
            VerdictKind::Deliverable,
            Some("hoge+signup-1@company.com"),
            "delivered: domain company.com (within *.company.com) (route 2); + alias of known mailbox hoge@company.com",
        ),
        (
            "loadtest123@company.com",
            dns(DomainCheck::Deliverable),
            VerdictKind::UnknownMailbox,
            Some("loadtest123@company.com"),
            "unknown mailbox: loadtest123@company.com is not on the mailbox allow-list (route 2, only_known)",
        ),
        (
            "user@example.com",
            Facts::default(),
            VerdictKind::TestDomain,
            Some("user@example.com"),
            "captured: reserved test domain example.com (built-in default)",
        ),
        (
            "bounce@simulator.amazonses.com",
            Facts::default(),
            VerdictKind::TestDomain,
            Some("bounce@simulator.amazonses.com"),
            "simulated bounce: SES mailbox simulator address bounce@simulator.amazonses.com",
        ),
        (
            "a@partner.org",
            Facts::default(),
            VerdictKind::TestDomain,
            Some("a@partner.org"),
            "held: domain partner.org (route 3)",
        ),
        (
            "someone@gone-domain.com",
            dns(DomainCheck::NoMailDomain),
            VerdictKind::NoMailDomain,
            Some("someone@gone-domain.com"),
            "would hard-bounce: gone-domain.com has no mail host (NXDOMAIN, or neither MX nor A/AAAA)",
        ),
        (
            "bounced@other.org",
            Facts {
                suppression: Some(SuppressionReason::Bounce),
                ..Facts::default()
            },
            VerdictKind::Suppressed,
            Some("bounced@other.org"),
            "suppressed: bounced@other.org is on the account suppression list (BOUNCE)",
        ),
        (
            "x@customer.co.jp",
            Facts::default(),
            VerdictKind::Invalid,
            Some("x@customer.co.jp"),
            "denied: matches \"*@customer.co.jp\" (route 1 \"no-customers\")",
        ),
        (
            "not an address",
            Facts::default(),
            VerdictKind::Invalid,
            None,
            "Missing final '@domain'",
        ),
        // invalid syntax is reported even for a reserved domain (the API refuses it first)
        (
            "a..b@example.com",
            Facts::default(),
            VerdictKind::Invalid,
            None,
            "Illegal address",
        ),
        (
            "fresh@other.org",
            Facts {
                reputation_hold: true,
                ..Facts::default()
            },
            VerdictKind::Deliverable,
            Some("fresh@other.org"),
            "held by the reputation guard: the projected bounce rate is above its threshold and the mailbox is not known",
        ),
    ];
    for (address, facts, verdict, normalized, reason) in cases {
        let v = validate(address, &guard, &facts);
        assert_eq!(v.address, address);
        assert_eq!(
            (v.verdict, v.normalized.as_deref(), v.reason.as_str()),
            (verdict, normalized, reason),
            "{address}"
        );
    }
}

#[test]
fn json_shape() {
    let v: Verdict = validate("user@example.com", &Guard::default(), &Facts::default());
    let json = serde_json::to_value(&v).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({
            "address": "user@example.com",
            "normalized": "user@example.com",
            "verdict": "test-domain",
            "reason": "captured: reserved test domain example.com (built-in default)"
        })
    );
    let bad = serde_json::to_value(validate("@x", &Guard::default(), &Facts::default()))
        .expect("serializes");
    assert_eq!(bad["verdict"], "invalid");
    assert_eq!(bad["normalized"], serde_json::Value::Null);
    for kind in [
        VerdictKind::Deliverable,
        VerdictKind::TestDomain,
        VerdictKind::UnknownMailbox,
        VerdictKind::NoMailDomain,
        VerdictKind::Suppressed,
        VerdictKind::Invalid,
    ] {
        assert_eq!(serde_json::to_value(kind).expect("word"), kind.as_str());
    }
}

#[test]
fn validation_and_decision_agree() {
    // One code path: the verdict's reason is the send decision's reason.
    let guard = staging();
    for address in [
        "hoge@company.com",
        "nobody@company.com",
        "a@example.com",
        "x@customer.co.jp",
        "a@partner.org",
    ] {
        let facts = Facts::default();
        assert_eq!(
            validate(address, &guard, &facts).reason,
            guard.decide(address, &facts).reason,
            "{address}"
        );
    }
}
