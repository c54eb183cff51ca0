//! Routes: configured rules per environment, tried in order, first match wins.
//!
//! ```toml
//! [[routes]]
//! match = "*@example.com"   # glob on the normalised address: `*` any run, `?` one character
//! action = "capture"        # capture | deliver | deny | simulate | hold
//!
//! [[routes]]
//! domain = "*.company.com"  # company.com and every subdomain; "company.com" alone: exactly it
//! action = "deliver"
//! only_known = true         # deliver only to [[mailboxes]] and their +aliases, hold the rest
//! fold_plus = true          # fold +tags in the canonical form of matching addresses
//!
//! [[routes]]
//! reserved = true           # the reserved test domains (see `reserved`)
//! action = "capture"
//! name = "tests"            # optional; named in reasons and in the MessageRejected text
//! ```
//!
//! Decisions:
//! - Each route has exactly one matcher: `match`, `domain` or `reserved = true`.
//! - Globs are matched against the canonical address before `+tag` folding (so
//!   `hoge+*@company.com` works), ignoring ASCII case.
//! - `domain = "x"` matches the domain `x` exactly; `domain = "*.x"` matches `x` and every
//!   name under it (the way the reserved list is written: `*.test` includes `test`).
//! - After the configured routes, the built-in default always applies: reserved test domains →
//!   capture, everything else → deliver. So with no routes at all the default is exactly the
//!   issue's, and a configuration that forgets the test domains still never sends to them.
//! - `only_known` is only valid with `action = "deliver"` and needs at least one mailbox.

use serde::{Deserialize, Serialize};
use wildmatch::WildMatch;

use bounceguard_core::address::Mailbox;

use crate::normalize::{Normalized, normalize_domain};
use crate::reserved::{is_reserved_test_domain, is_same_or_subdomain};

/// One `[[routes]]` table, as written in the configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Optional label, shown in reasons.
    pub name: Option<String>,
    /// Glob on the normalised address (`match = "*@example.com"`).
    #[serde(rename = "match")]
    pub pattern: Option<String>,
    /// `true`: the reserved test domains.
    pub reserved: Option<bool>,
    /// A domain (`company.com`) or a domain with its subdomains (`*.company.com`).
    pub domain: Option<String>,
    /// `capture`, `deliver`, `deny`, `simulate` or `hold`.
    pub action: Option<String>,
    /// With `deliver`: only mailboxes on the allow-list (and their `+` aliases).
    #[serde(default)]
    pub only_known: bool,
    /// Fold `+tag` in the canonical form of addresses this route matches.
    #[serde(default)]
    pub fold_plus: bool,
}

/// What a route does with the recipients it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteAction {
    /// Accept like SES, keep the copy for people to read, never send.
    Capture,
    /// Go on through the remaining checks to the configured transport.
    Deliver,
    /// Refuse the request with `MessageRejected` naming the route.
    Deny,
    /// Produce the simulator outcome the local part names (`bounce@…`), else success.
    Simulate,
    /// Accept and hold back (not sent).
    Hold,
}

impl RouteAction {
    /// Every action, in the order the error messages list them.
    pub const ALL: [Self; 5] = [
        Self::Capture,
        Self::Deliver,
        Self::Deny,
        Self::Simulate,
        Self::Hold,
    ];

    /// The configuration word (`capture`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Deliver => "deliver",
            Self::Deny => "deny",
            Self::Simulate => "simulate",
            Self::Hold => "hold",
        }
    }

    /// The action a configuration word names (exact, lower case).
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == word)
    }
}

/// A configuration error, naming the route (1-based) or mailbox at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A route with none of `match`, `domain`, `reserved = true`.
    #[error("route {route}: no matcher: give one of `match`, `domain` or `reserved = true`")]
    NoMatcher {
        /// 1-based route number.
        route: usize,
    },
    /// A route with more than one matcher.
    #[error(
        "route {route}: more than one matcher ({found}): give only one of `match`, `domain`, `reserved`"
    )]
    TwoMatchers {
        /// 1-based route number.
        route: usize,
        /// The matchers found, e.g. "match, domain".
        found: String,
    },
    /// `reserved = false` (matches nothing).
    #[error(
        "route {route}: `reserved = false` matches nothing: write `reserved = true` or use `match`/`domain`"
    )]
    ReservedFalse {
        /// 1-based route number.
        route: usize,
    },
    /// A route without `action`.
    #[error(
        "route {route}: no action: give action = \"capture\", \"deliver\", \"deny\", \"simulate\" or \"hold\""
    )]
    NoAction {
        /// 1-based route number.
        route: usize,
    },
    /// An action word that is not one of the five.
    #[error(
        "route {route}: unknown action {action:?}: expected one of \"capture\", \"deliver\", \"deny\", \"simulate\", \"hold\""
    )]
    UnknownAction {
        /// 1-based route number.
        route: usize,
        /// The word found.
        action: String,
    },
    /// An empty or whitespace-only `match`.
    #[error("route {route}: empty `match` pattern")]
    EmptyPattern {
        /// 1-based route number.
        route: usize,
    },
    /// A `domain` value that is not a domain.
    #[error("route {route}: invalid domain {domain:?}: {why}")]
    BadDomain {
        /// 1-based route number.
        route: usize,
        /// The value found.
        domain: String,
        /// What is wrong with it.
        why: String,
    },
    /// `only_known = true` on a route whose action is not `deliver`.
    #[error("route {route}: only_known = true needs action = \"deliver\" (found \"{action}\")")]
    OnlyKnownWithoutDeliver {
        /// 1-based route number.
        route: usize,
        /// The route's action.
        action: &'static str,
    },
    /// `only_known = true` with an empty allow-list: every recipient would be held.
    #[error(
        "route {route}: only_known = true but no mailboxes are configured ([[mailboxes]] or the mailbox file)"
    )]
    OnlyKnownWithoutMailboxes {
        /// 1-based route number.
        route: usize,
    },
    /// An allow-list entry that is not a valid address.
    #[error("mailbox {entry} ({address:?}): {why}")]
    BadMailbox {
        /// 1-based entry number (or line of the mailbox file).
        entry: usize,
        /// The text found.
        address: String,
        /// The SES syntax text, or another reason.
        why: String,
    },
}

/// How a route selects recipients.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Glob on the canonical address (ASCII case ignored).
    Glob {
        /// The pattern as configured.
        pattern: String,
        /// The compiled pattern.
        compiled: WildMatch,
        /// The ASCII literal after the last wildcard, checked first (most addresses fail it).
        suffix: Option<String>,
    },
    /// The reserved test domains.
    Reserved,
    /// A domain, exactly or with its subdomains.
    Domain {
        /// The normalised domain (without `*.`).
        domain: String,
        /// `true` when written `*.domain`: the domain and every name under it.
        subdomains: bool,
    },
    /// Everything (the built-in deliver default).
    Any,
}

/// A checked, compiled route.
#[derive(Debug, Clone)]
pub struct Route {
    /// 1-based position in the configuration; `None` for the built-in defaults.
    pub number: Option<usize>,
    /// The optional name.
    pub name: Option<String>,
    /// How it matches.
    pub matcher: Matcher,
    /// What it does.
    pub action: RouteAction,
    /// Deliver only to known mailboxes.
    pub only_known: bool,
    /// Fold `+tag` in the canonical form.
    pub fold_plus: bool,
    rule: String,
    label: String,
}

impl Route {
    fn new(
        number: Option<usize>,
        name: Option<String>,
        matcher: Matcher,
        action: RouteAction,
        only_known: bool,
        fold_plus: bool,
    ) -> Self {
        let rule = match (number, &matcher) {
            (Some(n), _) => format!("route:{n}"),
            (None, Matcher::Reserved) => "default:reserved".to_string(),
            (None, _) => "default:deliver".to_string(),
        };
        let label = match (number, &name) {
            (Some(n), Some(name)) => format!("route {n} {name:?}"),
            (Some(n), None) => format!("route {n}"),
            (None, _) => "built-in default".to_string(),
        };
        Self {
            number,
            name,
            matcher,
            action,
            only_known,
            fold_plus,
            rule,
            label,
        }
    }

    /// Checks one `[[routes]]` table; `number` is its 1-based position.
    pub fn compile(number: usize, config: &RouteConfig) -> Result<Self, ConfigError> {
        let route = number;
        let mut found = Vec::new();
        if config.pattern.is_some() {
            found.push("match");
        }
        if config.domain.is_some() {
            found.push("domain");
        }
        if config.reserved.is_some() {
            found.push("reserved");
        }
        if found.len() > 1 {
            return Err(ConfigError::TwoMatchers {
                route,
                found: found.join(", "),
            });
        }
        let matcher = if let Some(pattern) = &config.pattern {
            compile_glob(route, pattern)?
        } else if let Some(domain) = &config.domain {
            compile_domain(route, domain)?
        } else {
            match config.reserved {
                Some(true) => Matcher::Reserved,
                Some(false) => return Err(ConfigError::ReservedFalse { route }),
                None => return Err(ConfigError::NoMatcher { route }),
            }
        };
        let word = config
            .action
            .as_deref()
            .ok_or(ConfigError::NoAction { route })?;
        let action = RouteAction::parse(word).ok_or_else(|| ConfigError::UnknownAction {
            route,
            action: word.to_string(),
        })?;
        if config.only_known && action != RouteAction::Deliver {
            return Err(ConfigError::OnlyKnownWithoutDeliver {
                route,
                action: action.as_str(),
            });
        }
        Ok(Self::new(
            Some(number),
            config.name.clone().filter(|n| !n.trim().is_empty()),
            matcher,
            action,
            config.only_known,
            config.fold_plus,
        ))
    }

    /// The built-in default for reserved test domains: capture.
    pub fn builtin_reserved() -> Self {
        Self::new(
            None,
            None,
            Matcher::Reserved,
            RouteAction::Capture,
            false,
            false,
        )
    }

    /// The built-in default for everything else: deliver.
    pub fn builtin_deliver() -> Self {
        Self::new(None, None, Matcher::Any, RouteAction::Deliver, false, false)
    }

    /// Whether this route applies to the (unfolded) normalised address.
    pub fn matches(&self, address: &Normalized) -> bool {
        match &self.matcher {
            Matcher::Glob {
                compiled, suffix, ..
            } => {
                let canonical = address.canonical.as_bytes();
                let tail_fits = suffix.as_ref().is_none_or(|suffix| {
                    canonical.len() >= suffix.len()
                        && canonical[canonical.len() - suffix.len()..]
                            .eq_ignore_ascii_case(suffix.as_bytes())
                });
                tail_fits && compiled.matches(&address.canonical)
            }
            Matcher::Reserved => is_reserved_test_domain(&address.domain),
            Matcher::Domain {
                domain,
                subdomains: false,
            } => address.domain == *domain,
            Matcher::Domain {
                domain,
                subdomains: true,
            } => is_same_or_subdomain(&address.domain, domain),
            Matcher::Any => true,
        }
    }

    /// The machine rule: `route:N`, `default:reserved` or `default:deliver`.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The human label: `route 2`, `route 2 "staging"` or `built-in default`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Why this route matched `address`, for reasons.
    pub fn why(&self, address: &Normalized) -> String {
        let mut out = String::new();
        self.write_why(&mut out, address);
        out
    }

    /// Appends [`Route::why`] to `out`.
    pub fn write_why(&self, out: &mut String, address: &Normalized) {
        match &self.matcher {
            Matcher::Glob { pattern, .. } => {
                out.push_str("matches \"");
                out.push_str(pattern);
                out.push('"');
            }
            Matcher::Reserved => {
                out.push_str("reserved test domain ");
                out.push_str(&address.domain);
            }
            Matcher::Domain {
                domain,
                subdomains: false,
            } => {
                out.push_str("domain ");
                out.push_str(domain);
            }
            Matcher::Domain {
                domain,
                subdomains: true,
            } => {
                out.push_str("domain ");
                out.push_str(&address.domain);
                out.push_str(" (within *.");
                out.push_str(domain);
                out.push(')');
            }
            Matcher::Any => out.push_str("no route matched"),
        }
    }
}

fn compile_glob(route: usize, pattern: &str) -> Result<Matcher, ConfigError> {
    let trimmed = pattern.trim();
    if trimmed.is_empty() {
        return Err(ConfigError::EmptyPattern { route });
    }
    // A literal Unicode domain in the pattern is compared in its punycode form.
    let effective = match trimmed.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() && !domain.contains(['*', '?']) => {
            let ascii = normalize_domain(domain).map_err(|e| ConfigError::BadDomain {
                route,
                domain: domain.to_string(),
                why: e.to_string(),
            })?;
            format!("{local}@{ascii}")
        }
        _ => trimmed.to_string(),
    };
    let tail = effective
        .rfind(['*', '?'])
        .map_or(effective.as_str(), |i| &effective[i + 1..]);
    let suffix = (!tail.is_empty() && tail.is_ascii()).then(|| tail.to_string());
    Ok(Matcher::Glob {
        pattern: trimmed.to_string(),
        compiled: WildMatch::new_case_insensitive(&effective),
        suffix,
    })
}

fn compile_domain(route: usize, written: &str) -> Result<Matcher, ConfigError> {
    let bad = |why: &str| ConfigError::BadDomain {
        route,
        domain: written.to_string(),
        why: why.to_string(),
    };
    let trimmed = written.trim();
    let (subdomains, bare) = match trimmed.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if bare.is_empty() {
        return Err(bad("empty"));
    }
    if bare.contains(['*', '?']) {
        return Err(bad(
            "wildcards are only allowed as a leading `*.`; use `match` for other globs",
        ));
    }
    if bare.contains('@') {
        return Err(bad("a domain has no `@`; use `match` for addresses"));
    }
    let domain = normalize_domain(bare).map_err(|e| bad(&e.to_string()))?;
    Mailbox::parse(&format!("postmaster@{domain}")).map_err(|e| bad(&e.message))?;
    Ok(Matcher::Domain { domain, subdomains })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{NormalizeOptions, normalize};

    fn route(toml_text: &str) -> Result<Route, ConfigError> {
        #[derive(Deserialize)]
        struct File {
            routes: Vec<RouteConfig>,
        }
        let file: File = toml::from_str(toml_text).expect("toml");
        Route::compile(1, &file.routes[0])
    }

    fn matches(route: &Route, address: &str) -> bool {
        route.matches(&normalize(address, &NormalizeOptions::default()).expect("address"))
    }

    #[test]
    fn config_errors_are_named() {
        let cases: &[(&str, &str)] = &[
            (
                "[[routes]]\naction = \"capture\"",
                "route 1: no matcher: give one of `match`, `domain` or `reserved = true`",
            ),
            (
                "[[routes]]\nmatch = \"*@x.org\"\ndomain = \"x.org\"\naction = \"deny\"",
                "route 1: more than one matcher (match, domain): give only one of `match`, `domain`, `reserved`",
            ),
            (
                "[[routes]]\nreserved = false\naction = \"capture\"",
                "route 1: `reserved = false` matches nothing: write `reserved = true` or use `match`/`domain`",
            ),
            (
                "[[routes]]\nreserved = true",
                "route 1: no action: give action = \"capture\", \"deliver\", \"deny\", \"simulate\" or \"hold\"",
            ),
            (
                "[[routes]]\nreserved = true\naction = \"send\"",
                "route 1: unknown action \"send\": expected one of \"capture\", \"deliver\", \"deny\", \"simulate\", \"hold\"",
            ),
            (
                "[[routes]]\nreserved = true\naction = \"Capture\"",
                "route 1: unknown action \"Capture\": expected one of \"capture\", \"deliver\", \"deny\", \"simulate\", \"hold\"",
            ),
            (
                "[[routes]]\nmatch = \" \"\naction = \"deny\"",
                "route 1: empty `match` pattern",
            ),
            (
                "[[routes]]\ndomain = \"a*.x.org\"\naction = \"deny\"",
                "route 1: invalid domain \"a*.x.org\": wildcards are only allowed as a leading `*.`; use `match` for other globs",
            ),
            (
                "[[routes]]\ndomain = \"ann@x.org\"\naction = \"deny\"",
                "route 1: invalid domain \"ann@x.org\": a domain has no `@`; use `match` for addresses",
            ),
            (
                "[[routes]]\ndomain = \"x_y.org\"\naction = \"deny\"",
                "route 1: invalid domain \"x_y.org\": Domain contains illegal character",
            ),
            (
                "[[routes]]\ndomain = \"*.\"\naction = \"deny\"",
                "route 1: invalid domain \"*.\": empty",
            ),
            (
                "[[routes]]\nreserved = true\naction = \"capture\"\nonly_known = true",
                "route 1: only_known = true needs action = \"deliver\" (found \"capture\")",
            ),
        ];
        for (text, expected) in cases {
            match route(text) {
                Ok(r) => panic!("{text}: accepted as {r:?}"),
                Err(e) => assert_eq!(e.to_string(), *expected, "{text}"),
            }
        }
    }

    #[test]
    fn unknown_keys_are_refused_by_serde() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct File {
            routes: Vec<RouteConfig>,
        }
        let err = toml::from_str::<File>("[[routes]]\nmatches = \"*\"\naction = \"deny\"")
            .expect_err("typo refused");
        assert!(err.to_string().contains("unknown field `matches`"), "{err}");
    }

    #[test]
    fn glob_matching() {
        let r = route("[[routes]]\nmatch = \"*@example.com\"\naction = \"capture\"").expect("ok");
        assert!(matches(&r, "a@example.com"));
        assert!(matches(&r, "A@EXAMPLE.COM"));
        assert!(matches(&r, "Ann <a+1@Example.com>"));
        assert!(!matches(&r, "a@sub.example.com"));
        assert!(!matches(&r, "a@example.com.evil.org"));
        let r =
            route("[[routes]]\nmatch = \"hoge+*@company.com\"\naction = \"deliver\"").expect("ok");
        assert!(matches(&r, "hoge+1@company.com"));
        assert!(!matches(&r, "hoge@company.com"));
        let r = route("[[routes]]\nmatch = \"user?@x.org\"\naction = \"hold\"").expect("ok");
        assert!(matches(&r, "user1@x.org"));
        assert!(!matches(&r, "user12@x.org"));
        let r = route("[[routes]]\nmatch = \"*@bücher.de\"\naction = \"hold\"").expect("ok");
        assert!(matches(&r, "a@xn--bcher-kva.de"));
    }

    #[test]
    fn domain_matching_exact_or_with_subdomains() {
        let exact =
            route("[[routes]]\ndomain = \"Company.com\"\naction = \"deliver\"").expect("ok");
        assert!(matches(&exact, "a@company.com"));
        assert!(matches(&exact, "a@COMPANY.com"));
        assert!(!matches(&exact, "a@mail.company.com"));
        assert!(!matches(&exact, "a@mycompany.com"));
        let tree =
            route("[[routes]]\ndomain = \"*.company.com\"\naction = \"deliver\"").expect("ok");
        assert!(matches(&tree, "a@company.com"));
        assert!(matches(&tree, "a@mail.company.com"));
        assert!(!matches(&tree, "a@mycompany.com"));
        let idn = route("[[routes]]\ndomain = \"bücher.de\"\naction = \"deliver\"").expect("ok");
        assert!(matches(&idn, "a@xn--bcher-kva.de"));
    }

    #[test]
    fn rules_and_labels() {
        let named = Route::compile(
            3,
            &RouteConfig {
                name: Some("prod-block".into()),
                pattern: Some("*@prod.example".into()),
                action: Some("deny".into()),
                ..Default::default()
            },
        )
        .expect("ok");
        assert_eq!(named.rule(), "route:3");
        assert_eq!(named.label(), "route 3 \"prod-block\"");
        assert_eq!(Route::builtin_reserved().rule(), "default:reserved");
        assert_eq!(Route::builtin_deliver().rule(), "default:deliver");
        assert_eq!(Route::builtin_deliver().label(), "built-in default");
    }
}
