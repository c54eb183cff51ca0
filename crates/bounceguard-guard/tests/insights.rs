//! GetEmailAddressInsights-style confidences (issue 4 §7), per check, for typical addresses.

use bounceguard_guard::{
    Confidence::{self, High, Low, Medium},
    DomainCheck, Facts, Guard, GuardConfig, SuppressionReason, insights,
};

fn staging() -> Guard {
    let config: GuardConfig = toml::from_str(
        "[[routes]]\ndomain = \"company.com\"\naction = \"deliver\"\nonly_known = true\n\n[[mailboxes]]\naddress = \"hoge@company.com\"\n",
    )
    .expect("toml");
    Guard::from_config(&config).expect("valid")
}

/// (is_valid, syntax, dns, mailbox, role, disposable)
type Row = (
    Confidence,
    Confidence,
    Confidence,
    Confidence,
    Confidence,
    Confidence,
);

#[test]
fn insights_table() {
    let guard = staging();
    let dns = |dns| Facts {
        dns,
        ..Facts::default()
    };
    let cases: Vec<(&str, Facts, Row)> = vec![
        // known mailbox (alias), MX found: valid with high confidence
        (
            "hoge+1@company.com",
            dns(DomainCheck::Deliverable),
            (High, High, High, High, Low, Low),
        ),
        // unknown under only_known: mailbox LOW → invalid LOW
        (
            "nobody@company.com",
            dns(DomainCheck::Deliverable),
            (Low, High, High, Low, Low, Low),
        ),
        // no DNS answer available, nothing known: MEDIUM
        (
            "ann@other.org",
            Facts::default(),
            (Medium, High, Medium, Medium, Low, Low),
        ),
        // delivered before: mailbox HIGH
        (
            "ann@other.org",
            Facts {
                dns: DomainCheck::Deliverable,
                delivered_before: true,
                ..Facts::default()
            },
            (High, High, High, High, Low, Low),
        ),
        // role address: flagged, validity unaffected
        (
            "postmaster@other.org",
            dns(DomainCheck::Deliverable),
            (Medium, High, High, Medium, High, Low),
        ),
        // disposable: at most MEDIUM even when everything else is fine
        (
            "x@mailinator.com",
            Facts {
                dns: DomainCheck::Deliverable,
                delivered_before: true,
                ..Facts::default()
            },
            (Medium, High, High, High, Low, High),
        ),
        // domain cannot receive mail
        (
            "ann@gone.com",
            dns(DomainCheck::NoMailDomain),
            (Low, High, Low, Low, Low, Low),
        ),
        (
            "ann@nullmx.com",
            dns(DomainCheck::NullMx),
            (Low, High, Low, Low, Low, Low),
        ),
        // resolver failed: MEDIUM
        (
            "ann@slow.com",
            dns(DomainCheck::Unknown),
            (Medium, High, Medium, Medium, Low, Low),
        ),
        // reserved test domain: no mail there
        (
            "info@example.com",
            Facts::default(),
            (Low, High, Low, Low, High, Low),
        ),
        // suppressed for a bounce: mailbox LOW; for a complaint: it exists
        (
            "ann@other.org",
            Facts {
                dns: DomainCheck::Deliverable,
                suppression: Some(SuppressionReason::Bounce),
                ..Facts::default()
            },
            (Low, High, High, Low, Low, Low),
        ),
        (
            "ann@other.org",
            Facts {
                dns: DomainCheck::Deliverable,
                suppression: Some(SuppressionReason::Complaint),
                ..Facts::default()
            },
            (High, High, High, High, Low, Low),
        ),
        // simulator: success accepts mail, bounce does not
        (
            "success@simulator.amazonses.com",
            Facts::default(),
            (High, High, High, High, Low, Low),
        ),
        (
            "bounce@simulator.amazonses.com",
            Facts::default(),
            (Low, High, High, Low, Low, Low),
        ),
        // bad syntax: everything LOW
        (
            "ann@bücher.de",
            Facts::default(),
            (Low, Low, Low, Low, Low, Low),
        ),
        ("", Facts::default(), (Low, Low, Low, Low, Low, Low)),
    ];
    for (address, facts, expected) in cases {
        let i = insights(address, &guard, &facts);
        let got = (
            i.is_valid,
            i.has_valid_syntax,
            i.has_valid_dns_records,
            i.mailbox_exists,
            i.is_role_address,
            i.is_disposable,
        );
        assert_eq!(got, expected, "{address} with {facts:?}");
        assert_eq!(i.address, address);
    }
}
