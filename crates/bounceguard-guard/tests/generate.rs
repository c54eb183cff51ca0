//! The address generator (issue 4 §8): unique, deterministic, zero-padded; refuses real domains
//! unless asked for `+` aliases of one real mailbox.

use std::collections::HashSet;

use bounceguard_core::address::Mailbox;
use bounceguard_guard::{
    Action, Facts, GenerateError, GenerateFormat, Guard, GuardConfig, decide, generate,
    is_reserved_test_domain,
};

fn all(
    prefix: &str,
    count: u64,
    domain: Option<&str>,
    alias_of: Option<&str>,
    format: GenerateFormat,
) -> Vec<String> {
    generate(prefix, count, domain, alias_of, format)
        .expect("accepted")
        .collect()
}

#[test]
fn lines_default_to_example_com() {
    assert_eq!(
        all("loadtest", 3, None, None, GenerateFormat::Lines),
        [
            "loadtest-000001@example.com",
            "loadtest-000002@example.com",
            "loadtest-000003@example.com"
        ]
    );
    assert_eq!(
        all("qa", 2, Some("Staging.TEST"), None, GenerateFormat::Lines),
        ["qa-000001@staging.test", "qa-000002@staging.test"]
    );
    assert!(all("x", 0, None, None, GenerateFormat::Lines).is_empty());
}

#[test]
fn csv_has_a_header_and_an_index() {
    assert_eq!(
        all(
            "loadtest",
            2,
            Some("example.org"),
            None,
            GenerateFormat::Csv
        ),
        [
            "index,address",
            "1,loadtest-000001@example.org",
            "2,loadtest-000002@example.org"
        ]
    );
}

#[test]
fn aliases_of_one_real_mailbox() {
    assert_eq!(
        all(
            "loadtest",
            2,
            None,
            Some("hoge@company.com"),
            GenerateFormat::Lines
        ),
        [
            "hoge+loadtest-000001@company.com",
            "hoge+loadtest-000002@company.com"
        ]
    );
    // --domain may repeat the mailbox's own domain
    assert_eq!(
        all(
            "t",
            1,
            Some("company.com"),
            Some("hoge@Company.com"),
            GenerateFormat::Lines
        ),
        ["hoge+t-000001@company.com"]
    );
}

#[test]
fn refusals() {
    let err = |prefix, domain, alias_of| {
        generate(prefix, 10, domain, alias_of, GenerateFormat::Lines)
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(
        err("loadtest", Some("company.com"), None),
        "company.com is not a reserved test domain: mail to generated addresses there would reach real servers and bounce; use a reserved test domain (example.com, *.test, …) or --alias-of REAL@MAILBOX"
    );
    assert_eq!(
        err("loadtest", Some("other.com"), Some("hoge@company.com")),
        "--domain other.com differs from the domain of --alias-of hoge@company.com"
    );
    assert_eq!(
        err("loadtest", None, Some("hoge+x@company.com")),
        "--alias-of \"hoge+x@company.com\": give the mailbox itself, without a +tag"
    );
    assert_eq!(
        err("loadtest", None, Some("Hoge <hoge@company.com>")),
        "--alias-of \"Hoge <hoge@company.com>\": give the bare address, without a display name"
    );
    assert_eq!(
        err("loadtest", None, Some("hoge@")),
        "--alias-of \"hoge@\": Missing domain"
    );
    for prefix in ["", "a b", "a+b", ".a", "a.", "a..b", "ü", &"p".repeat(41)] {
        assert!(
            matches!(
                generate(prefix, 1, None, None, GenerateFormat::Lines),
                Err(GenerateError::BadPrefix(_))
            ),
            "{prefix:?}"
        );
    }
    // a 40-character prefix on a long mailbox would exceed the 64-octet local part
    let long = "l".repeat(20);
    assert!(matches!(
        generate(
            &"p".repeat(40),
            1,
            None,
            Some(&format!("{long}@company.com")),
            GenerateFormat::Lines
        ),
        Err(GenerateError::TooLong(_))
    ));
}

#[test]
fn a_hundred_thousand_unique_valid_captured_addresses() {
    let addresses = all("loadtest", 100_000, None, None, GenerateFormat::Lines);
    assert_eq!(addresses.len(), 100_000);
    assert_eq!(addresses[99_999], "loadtest-100000@example.com");
    let unique: HashSet<&String> = addresses.iter().collect();
    assert_eq!(unique.len(), 100_000);
    let guard = Guard::default();
    for a in addresses.iter().step_by(997) {
        let m = Mailbox::parse(a).expect("SES syntax");
        assert!(is_reserved_test_domain(m.domain()));
        assert_eq!(
            decide(a, &guard, &Facts::default()).action,
            Action::Capture,
            "{a}"
        );
    }
}

#[test]
fn padding_grows_with_the_count() {
    let g = generate("x", 1_000_000, None, None, GenerateFormat::Lines).expect("ok");
    assert_eq!(g.size_hint(), (1_000_000, Some(1_000_000)));
    assert_eq!(g.clone().next().as_deref(), Some("x-0000001@example.com"));
    assert_eq!(g.last().as_deref(), Some("x-1000000@example.com"));
}

#[test]
fn aliases_pass_a_staging_guard_and_are_deterministic() {
    let config: GuardConfig = toml::from_str(
        "[[routes]]\ndomain = \"company.com\"\naction = \"deliver\"\nonly_known = true\n\n[[mailboxes]]\naddress = \"hoge@company.com\"\n",
    )
    .expect("toml");
    let guard = Guard::from_config(&config).expect("valid");
    let first = all(
        "signup",
        50,
        None,
        Some("hoge@company.com"),
        GenerateFormat::Lines,
    );
    let again = all(
        "signup",
        50,
        None,
        Some("hoge@company.com"),
        GenerateFormat::Lines,
    );
    assert_eq!(first, again);
    for a in &first {
        assert_eq!(
            decide(a, &guard, &Facts::default()).action,
            Action::Deliver,
            "{a}"
        );
    }
}

#[test]
fn the_largest_count_does_not_overflow() {
    let mut g = generate("x", u64::MAX, None, None, GenerateFormat::Csv).expect("ok");
    assert_eq!(g.next().as_deref(), Some("index,address"));
    assert_eq!(
        g.next().as_deref(),
        Some("1,x-00000000000000000001@example.com")
    );
    #[cfg(target_pointer_width = "64")]
    assert_eq!(
        g.size_hint(),
        (usize::MAX - 1, Some(usize::MAX - 1)),
        "u64::MAX - 1 left"
    );
}
