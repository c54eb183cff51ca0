//! Properties over arbitrary input: no panic anywhere in the decision path, and the invariants
//! every comparison relies on.

use bounceguard_guard::{
    Action, Facts, Guard, GuardConfig, NormalizeOptions, VerdictKind, insights, normalize, validate,
};
use proptest::prelude::*;

fn staging() -> Guard {
    let config: GuardConfig = toml::from_str(
        "[[routes]]\nmatch = \"*@customer.co.jp\"\naction = \"deny\"\n\n[[routes]]\ndomain = \"*.company.com\"\naction = \"deliver\"\nonly_known = true\nfold_plus = true\n\n[[mailboxes]]\naddress = \"hoge@company.com\"\n",
    )
    .expect("toml");
    Guard::from_config(&config).expect("valid")
}

proptest! {
    /// Canonical domains are lower case and folding is idempotent.
    #[test]
    fn normalisation_invariants(
        local in "[A-Za-z0-9.+_\"-]{1,20}",
        domain in "[A-Za-z0-9.-]{1,20}",
        fold in any::<bool>(),
    ) {
        let options = NormalizeOptions { fold_plus: fold, lowercase_local: false };
        if let Ok(n) = normalize(&format!("{local}@{domain}"), &options) {
            prop_assert_eq!(&n.domain, &n.domain.to_ascii_lowercase());
            let suffix = format!("@{}", n.domain);
            prop_assert!(n.canonical.ends_with(&suffix));
            let mut again = n.clone();
            again.fold();
            again.fold();
            let mut once = n.clone();
            once.fold();
            prop_assert_eq!(again, once);
            if fold && n.tag.is_some() {
                prop_assert!(!n.local.contains('+'));
            }
        }
    }

    /// Any text: a decision with a rule and a reason; validation agrees on invalid syntax.
    #[test]
    fn any_text_gets_a_decision(text in "\\PC{0,60}") {
        let guard = staging();
        let d = guard.decide(&text, &Facts::default());
        prop_assert!(!d.rule.is_empty() && !d.reason.is_empty());
        let v = validate(&text, &guard, &Facts::default());
        if bounceguard_core::address::check(&text).is_err() {
            prop_assert_eq!(v.verdict, VerdictKind::Invalid);
            prop_assert!(v.normalized.is_none());
        }
        let i = insights(&text, &guard, &Facts::default());
        prop_assert_eq!(&i.address, &text);
    }

    /// Generated-looking company addresses: delivered only when on the allow-list or an alias.
    #[test]
    fn only_known_mailboxes_are_delivered(local in "[a-z]{1,8}", tag in proptest::option::of("[a-z0-9-]{0,8}")) {
        let guard = staging();
        let address = match &tag {
            Some(t) => format!("{local}+{t}@company.com"),
            None => format!("{local}@company.com"),
        };
        let d = guard.decide(&address, &Facts::default());
        let expected = if local == "hoge" { Action::Deliver } else { Action::Hold };
        prop_assert_eq!(d.action, expected, "{}", address);
    }
}
