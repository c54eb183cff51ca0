//! The per-recipient decision, as tables of address (+ facts) → action, rule, reason.
//! Expected values come from the issue (routes, defaults, "unknown mailbox", "would
//! hard-bounce", fail-open), DESIGN.md's order and ses-spec §6 (suppression) and §8 (simulator).

use bounceguard_core::address::Mailbox;
use bounceguard_core::{Recipient, RecipientKind};
use bounceguard_guard::{
    Action, Decision, DomainCheck, Facts, Guard, GuardConfig, SimulatorOutcome, Step,
    SuppressionReason, decide,
};

const STAGING: &str = r#"
[[routes]]
name = "no-customers"
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

[[mailboxes]]
address = "hoge@company.com"

[[mailboxes]]
address = "qa@mail.company.com"
"#;

fn staging() -> Guard {
    let config: GuardConfig = toml::from_str(STAGING).expect("staging config parses");
    Guard::from_config(&config).expect("staging config is valid")
}

fn facts() -> Facts {
    Facts::default()
}

fn with_dns(dns: DomainCheck) -> Facts {
    Facts {
        dns,
        ..Facts::default()
    }
}

fn suppressed(reason: SuppressionReason) -> Facts {
    Facts {
        suppression: Some(reason),
        ..Facts::default()
    }
}

struct Case {
    address: &'static str,
    facts: Facts,
    action: Action,
    rule: &'static str,
    reason: &'static str,
}

fn check(guard: &Guard, cases: Vec<Case>) {
    for case in cases {
        let d: Decision = decide(case.address, guard, &case.facts);
        assert_eq!(
            (d.action, d.rule.as_str(), d.reason.as_str()),
            (case.action, case.rule, case.reason),
            "{} with {:?}",
            case.address,
            case.facts
        );
    }
}

#[test]
fn built_in_default_captures_reserved_domains_and_delivers_the_rest() {
    let guard = Guard::default();
    let mut cases = Vec::new();
    for (address, domain) in [
        ("a@example.com", "example.com"),
        ("b@Mail.Example.ORG", "mail.example.org"),
        ("c@example.net", "example.net"),
        ("d@shop.example", "shop.example"),
        ("e@app.test", "app.test"),
        ("f@nowhere.invalid", "nowhere.invalid"),
        ("g@localhost", "localhost"),
    ] {
        let reason: &'static str = Box::leak(
            format!("captured: reserved test domain {domain} (built-in default)").into_boxed_str(),
        );
        cases.push(Case {
            address,
            facts: facts(),
            action: Action::Capture,
            rule: "default:reserved",
            reason,
        });
    }
    cases.push(Case {
        address: "ann@company.com",
        facts: facts(),
        action: Action::Deliver,
        rule: "default:deliver",
        reason: "delivered: no route matched (built-in default)",
    });
    check(&guard, cases);
}

#[test]
fn steps_after_the_route_in_designs_order() {
    let guard = Guard::default();
    check(
        &guard,
        vec![
            // a route decides before anything else: no lookup result matters
            Case {
                address: "a@example.com",
                facts: Facts {
                    suppression: Some(SuppressionReason::Bounce),
                    dns: DomainCheck::NoMailDomain,
                    reputation_hold: true,
                    delivered_before: false,
                },
                action: Action::Capture,
                rule: "default:reserved",
                reason: "captured: reserved test domain example.com (built-in default)",
            },
            // syntax
            Case {
                address: "bad..dots@company.com",
                facts: facts(),
                action: Action::Deny,
                rule: "syntax",
                reason: "invalid address: Illegal address",
            },
            Case {
                address: "no-at-sign",
                facts: facts(),
                action: Action::Deny,
                rule: "syntax",
                reason: "invalid address: Missing final '@domain'",
            },
            Case {
                address: "ann@bücher.de",
                facts: facts(),
                action: Action::Deny,
                rule: "syntax",
                reason: "invalid address: Domain contains non-ASCII characters (an internationalized domain must be given in punycode, xn--…): ann@bücher.de",
            },
            // suppression (ses-spec §6)
            Case {
                address: "ann@company.com",
                facts: suppressed(SuppressionReason::Bounce),
                action: Action::Suppress,
                rule: "suppression:BOUNCE",
                reason: "suppressed: ann@company.com is on the account suppression list (BOUNCE)",
            },
            Case {
                address: "Ann <ann@Company.COM>",
                facts: suppressed(SuppressionReason::Complaint),
                action: Action::Suppress,
                rule: "suppression:COMPLAINT",
                reason: "suppressed: ann@company.com is on the account suppression list (COMPLAINT)",
            },
            // suppression comes before the simulator
            Case {
                address: "success@simulator.amazonses.com",
                facts: suppressed(SuppressionReason::Bounce),
                action: Action::Suppress,
                rule: "suppression:BOUNCE",
                reason: "suppressed: success@simulator.amazonses.com is on the account suppression list (BOUNCE)",
            },
            // simulator (ses-spec §8), +label included
            Case {
                address: "bounce+label1@simulator.amazonses.com",
                facts: facts(),
                action: Action::Simulate(SimulatorOutcome::Bounce),
                rule: "simulator:bounce",
                reason: "simulated bounce: SES mailbox simulator address bounce+label1@simulator.amazonses.com",
            },
            Case {
                address: "ooto@simulator.amazonses.com",
                facts: with_dns(DomainCheck::NoMailDomain),
                action: Action::Simulate(SimulatorOutcome::Ooto),
                rule: "simulator:ooto",
                reason: "simulated ooto: SES mailbox simulator address ooto@simulator.amazonses.com",
            },
            Case {
                address: "suppressionlist@simulator.amazonses.com",
                facts: facts(),
                action: Action::Simulate(SimulatorOutcome::SuppressionList),
                rule: "simulator:suppressionlist",
                reason: "simulated suppressionlist: SES mailbox simulator address suppressionlist@simulator.amazonses.com",
            },
            // domain: NXDOMAIN / null MX hold; timeout delivers fail-open
            Case {
                address: "c@missing-domain.com",
                facts: with_dns(DomainCheck::NoMailDomain),
                action: Action::Hold,
                rule: "dns:no-mail-domain",
                reason: "would hard-bounce: missing-domain.com has no mail host (NXDOMAIN, or neither MX nor A/AAAA)",
            },
            Case {
                address: "c@nullmx.com",
                facts: with_dns(DomainCheck::NullMx),
                action: Action::Hold,
                rule: "dns:null-mx",
                reason: "would hard-bounce: nullmx.com publishes a null MX (RFC 7505)",
            },
            Case {
                address: "c@slow-dns.com",
                facts: with_dns(DomainCheck::Unknown),
                action: Action::Deliver,
                rule: "default:deliver",
                reason: "delivered: no route matched (built-in default); DNS check failed (timeout or SERVFAIL), delivered fail-open",
            },
            Case {
                address: "c@mx.com",
                facts: with_dns(DomainCheck::Deliverable),
                action: Action::Deliver,
                rule: "default:deliver",
                reason: "delivered: no route matched (built-in default)",
            },
            // reputation: unknown mailboxes held, known-good keep flowing
            Case {
                address: "new@company.com",
                facts: Facts {
                    reputation_hold: true,
                    ..Facts::default()
                },
                action: Action::Hold,
                rule: "reputation",
                reason: "held by the reputation guard: the projected bounce rate is above its threshold and the mailbox is not known",
            },
            Case {
                address: "regular@company.com",
                facts: Facts {
                    reputation_hold: true,
                    delivered_before: true,
                    ..Facts::default()
                },
                action: Action::Deliver,
                rule: "default:deliver",
                reason: "delivered: no route matched (built-in default)",
            },
        ],
    );
    let fail_open = decide("c@slow-dns.com", &guard, &with_dns(DomainCheck::Unknown));
    assert!(fail_open.dns_fail_open);
    let normal = decide("c@mx.com", &guard, &with_dns(DomainCheck::Deliverable));
    assert!(!normal.dns_fail_open);
}

#[test]
fn staging_routes_allow_list_and_aliases() {
    let guard = staging();
    check(
        &guard,
        vec![
            Case {
                address: "x@customer.co.jp",
                facts: facts(),
                action: Action::Deny,
                rule: "route:1",
                reason: "denied: matches \"*@customer.co.jp\" (route 1 \"no-customers\")",
            },
            Case {
                address: "hoge@company.com",
                facts: facts(),
                action: Action::Deliver,
                rule: "route:2",
                reason: "delivered: domain company.com (within *.company.com) (route 2); known mailbox",
            },
            Case {
                address: "hoge+1@company.com",
                facts: facts(),
                action: Action::Deliver,
                rule: "route:2",
                reason: "delivered: domain company.com (within *.company.com) (route 2); + alias of known mailbox hoge@company.com",
            },
            Case {
                address: "qa+run-7@mail.company.com",
                facts: facts(),
                action: Action::Deliver,
                rule: "route:2",
                reason: "delivered: domain mail.company.com (within *.company.com) (route 2); + alias of known mailbox qa@mail.company.com",
            },
            Case {
                address: "loadtest123@company.com",
                facts: facts(),
                action: Action::Hold,
                rule: "allowlist",
                reason: "unknown mailbox: loadtest123@company.com is not on the mailbox allow-list (route 2, only_known)",
            },
            Case {
                address: "fuga+1@company.com",
                facts: facts(),
                action: Action::Hold,
                rule: "allowlist",
                reason: "unknown mailbox: fuga@company.com is not on the mailbox allow-list (route 2, only_known)",
            },
            // local parts keep their case (ses-spec §2.4): HOGE is not hoge
            Case {
                address: "HOGE@company.com",
                facts: facts(),
                action: Action::Hold,
                rule: "allowlist",
                reason: "unknown mailbox: HOGE@company.com is not on the mailbox allow-list (route 2, only_known)",
            },
            // DNS and suppression come before the allow-list
            Case {
                address: "hoge@company.com",
                facts: with_dns(DomainCheck::NullMx),
                action: Action::Hold,
                rule: "dns:null-mx",
                reason: "would hard-bounce: company.com publishes a null MX (RFC 7505)",
            },
            Case {
                address: "hoge+9@company.com",
                facts: suppressed(SuppressionReason::Bounce),
                action: Action::Suppress,
                rule: "suppression:BOUNCE",
                reason: "suppressed: hoge@company.com is on the account suppression list (BOUNCE)",
            },
            // simulate route: the local part names the outcome, else success
            Case {
                address: "bounce+1@sim.company.org",
                facts: facts(),
                action: Action::Simulate(SimulatorOutcome::Bounce),
                rule: "route:3",
                reason: "simulated bounce: matches \"*@sim.company.org\" (route 3)",
            },
            Case {
                address: "complaint-0042@sim.company.org",
                facts: facts(),
                action: Action::Simulate(SimulatorOutcome::Complaint),
                rule: "route:3",
                reason: "simulated complaint: matches \"*@sim.company.org\" (route 3)",
            },
            Case {
                address: "bouncer@sim.company.org",
                facts: facts(),
                action: Action::Simulate(SimulatorOutcome::Success),
                rule: "route:3",
                reason: "simulated success: matches \"*@sim.company.org\" (route 3)",
            },
            Case {
                address: "anyone@sim.company.org",
                facts: facts(),
                action: Action::Simulate(SimulatorOutcome::Success),
                rule: "route:3",
                reason: "simulated success: matches \"*@sim.company.org\" (route 3)",
            },
            Case {
                address: "a@partner.org",
                facts: facts(),
                action: Action::Hold,
                rule: "route:4",
                reason: "held: domain partner.org (route 4)",
            },
            // `domain = "partner.org"` is exact: a subdomain falls through to the default
            Case {
                address: "a@eu.partner.org",
                facts: facts(),
                action: Action::Deliver,
                rule: "default:deliver",
                reason: "delivered: no route matched (built-in default)",
            },
            // the built-in reserved capture still applies after configured routes
            Case {
                address: "a@example.com",
                facts: facts(),
                action: Action::Capture,
                rule: "default:reserved",
                reason: "captured: reserved test domain example.com (built-in default)",
            },
        ],
    );
}

#[test]
fn routed_recipients_keep_original_and_canonical() {
    let guard = staging();
    let original = "Hoge <hoge+2@Company.com>";
    let recipient = Recipient {
        original: original.to_string(),
        mailbox: Mailbox::parse(original).expect("valid"),
        kind: RecipientKind::To,
    };
    let routed = guard.route_recipient(&recipient).expect("routed");
    assert_eq!(routed.normalized.original, original);
    assert_eq!(
        routed.normalized.canonical, "hoge@company.com",
        "folded by route 2"
    );
    assert_eq!(routed.normalized.tag.as_deref(), Some("2"));
    assert_eq!(routed.route.rule(), "route:2");
    assert!(routed.needs_lookups());
    let d = guard.decide_routed(&routed, &Facts::default());
    assert_eq!((d.action, d.step), (Action::Deliver, Step::Deliver));

    // no lookups needed when a route already decided, or the syntax is bad
    assert!(
        !guard
            .route("a@example.com")
            .expect("routed")
            .needs_lookups()
    );
    assert!(
        !guard
            .route("x@customer.co.jp")
            .expect("routed")
            .needs_lookups()
    );
    assert!(
        !guard
            .route("a..b@company.com")
            .expect("routed")
            .needs_lookups()
    );
    assert!(guard.route("no-at-sign").is_err());
}

#[test]
fn quota_and_delivery_attempt_accounting() {
    // ses-spec §6: suppressed counts toward quota; §8: simulator does not; capture/deny/hold
    // never reach SES.
    let guard = Guard::default();
    let table: [(&str, Facts, Action, bool, bool); 6] = [
        ("a@company.com", facts(), Action::Deliver, true, true),
        (
            "a@company.com",
            suppressed(SuppressionReason::Bounce),
            Action::Suppress,
            false,
            true,
        ),
        (
            "success@simulator.amazonses.com",
            facts(),
            Action::Simulate(SimulatorOutcome::Success),
            false,
            false,
        ),
        ("a@example.com", facts(), Action::Capture, false, false),
        ("a..b@company.com", facts(), Action::Deny, false, false),
        (
            "a@company.com",
            with_dns(DomainCheck::NoMailDomain),
            Action::Hold,
            false,
            false,
        ),
    ];
    for (address, facts, action, attempt, quota) in table {
        let d = guard.decide(address, &facts);
        assert_eq!(d.action, action, "{address}");
        assert_eq!(d.counts_as_delivery_attempt(), attempt, "{address}");
        assert_eq!(d.counts_toward_quota(), quota, "{address}");
    }
}

#[test]
fn a_route_with_fold_plus_folds_only_its_own_addresses() {
    let guard = staging();
    let folded = guard.route("hoge+x@company.com").expect("routed");
    assert_eq!(folded.normalized.canonical, "hoge@company.com");
    let kept = guard.route("ann+x@other.org").expect("routed");
    assert_eq!(kept.normalized.canonical, "ann+x@other.org");
    assert_eq!(kept.normalized.tag.as_deref(), Some("x"));
}
