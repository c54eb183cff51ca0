//! Whole-configuration checks: the TOML shape from the issue, and errors that name the route.

use bounceguard_guard::{Action, ConfigError, Facts, Guard, GuardConfig, RouteAction, decide};

fn guard(text: &str) -> Result<Guard, ConfigError> {
    let config: GuardConfig = toml::from_str(text).expect("toml parses");
    Guard::from_config(&config)
}

#[test]
fn the_issues_example_parses() {
    let g = guard("[[routes]]\nmatch = \"*@example.com\"\naction = \"capture\"\n").expect("valid");
    assert_eq!(g.routes().len(), 1);
    assert_eq!(g.routes()[0].action, RouteAction::Capture);
    let d = decide("a@example.com", &g, &Facts::default());
    assert_eq!(d.rule, "route:1");
    assert_eq!(d.reason, "captured: matches \"*@example.com\" (route 1)");
}

#[test]
fn an_empty_file_is_the_built_in_default() {
    let g = guard("").expect("valid");
    assert!(g.routes().is_empty());
    assert!(g.allow_list().is_empty());
    assert_eq!(
        decide("a@app.test", &g, &Facts::default()).action,
        Action::Capture
    );
    assert_eq!(
        decide("a@company.com", &g, &Facts::default()).action,
        Action::Deliver
    );
}

#[test]
fn errors_name_the_route_by_position() {
    let text = "[[routes]]\nreserved = true\naction = \"capture\"\n\n[[routes]]\ndomain = \"company.com\"\naction = \"send\"\n";
    assert_eq!(
        guard(text).expect_err("route 2 is bad").to_string(),
        "route 2: unknown action \"send\": expected one of \"capture\", \"deliver\", \"deny\", \"simulate\", \"hold\""
    );
}

#[test]
fn only_known_needs_mailboxes() {
    let text = "[[routes]]\ndomain = \"company.com\"\naction = \"deliver\"\nonly_known = true\n";
    assert_eq!(
        guard(text).expect_err("no mailboxes").to_string(),
        "route 1: only_known = true but no mailboxes are configured ([[mailboxes]] or the mailbox file)"
    );
    // the mailbox file counts
    let config: GuardConfig = toml::from_str(text).expect("toml");
    let g = Guard::new(&config, Some("hoge@company.com\n")).expect("file supplies a mailbox");
    assert_eq!(
        decide("hoge+1@company.com", &g, &Facts::default()).action,
        Action::Deliver
    );
    assert_eq!(
        decide("fuga@company.com", &g, &Facts::default()).action,
        Action::Hold
    );
}

#[test]
fn bad_mailboxes_are_refused_with_ses_texts() {
    let text = "[[mailboxes]]\naddress = \"ok@company.com\"\n\n[[mailboxes]]\naddress = \"hoge@company\"\n\n[[mailboxes]]\naddress = \"x@\"\n";
    assert_eq!(
        guard(text).expect_err("mailbox 3").to_string(),
        "mailbox 3 (\"x@\"): Missing domain"
    );
}

#[test]
fn normalize_options_apply_to_everything() {
    let text = "[normalize]\nlowercase_local = true\nfold_plus = true\n\n[[routes]]\ndomain = \"company.com\"\naction = \"deliver\"\nonly_known = true\n\n[[mailboxes]]\naddress = \"Hoge@company.com\"\n";
    let g = guard(text).expect("valid");
    let routed = g.route("HOGE+Tag@Company.com").expect("routed");
    assert_eq!(routed.normalized.canonical, "hoge@company.com");
    assert_eq!(routed.normalized.tag.as_deref(), Some("tag"));
    assert_eq!(
        decide("HOGE+Tag@Company.com", &g, &Facts::default()).action,
        Action::Deliver
    );
}

#[test]
fn unknown_keys_are_refused() {
    let err = toml::from_str::<GuardConfig>(
        "[[routes]]\nreserved = true\naction = \"capture\"\nonly_knwon = true\n",
    )
    .expect_err("typo");
    assert!(
        err.to_string().contains("unknown field `only_knwon`"),
        "{err}"
    );
    let err = toml::from_str::<GuardConfig>("[normalize]\nfold = true\n").expect_err("typo");
    assert!(err.to_string().contains("unknown field `fold`"), "{err}");
}
