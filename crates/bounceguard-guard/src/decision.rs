//! The per-recipient decision, in DESIGN.md's order (the policy check has run before):
//!
//! 1. **Route** — first matching route: `deny` → Deny, `capture` → Capture, `simulate` →
//!    Simulate, `hold` → Hold; `deliver` goes on.
//! 2. **Syntax** — SES's address check (the API has refused bad addresses already; kept as a
//!    guard).
//! 3. **Suppression** — on the account suppression list → Suppress.
//! 4. **Simulator** — an SES mailbox-simulator address → Simulate with its outcome.
//! 5. **Domain** — DNS says no mail domain or null MX → Hold ("would hard-bounce"); a failed
//!    lookup delivers, flagged fail-open.
//! 6. **Allow-list** — a route with `only_known` holds mailboxes not on the list ("unknown
//!    mailbox").
//! 7. **Reputation** — when the guard holds risky sends, hold unless the mailbox is known
//!    (allow-listed or delivered to before).
//! 8. **Deliver**.
//!
//! The I/O results (suppression lookup, DNS answer, reputation state) come in [`Facts`]; use
//! [`Guard::route`] first to get the canonical address to look them up with, and
//! [`Routed::needs_lookups`] to skip lookups for recipients a route already decided.

use bounceguard_core::address;
use bounceguard_core::{Recipient, SesError};
use serde::{Deserialize, Serialize};

use crate::allowlist::{AllowList, AllowMatch, MailboxEntry};
use crate::normalize::{NormalizeOptions, Normalized, normalize, normalize_spec};
use crate::route::{ConfigError, Route, RouteAction, RouteConfig};
use crate::simulator::{SimulatorOutcome, simulator_outcome};

/// The guard's part of the configuration file: `[[routes]]`, `[[mailboxes]]`, `[normalize]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GuardConfig {
    /// Routes, tried in order.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Mailboxes known to exist (the staging allow-list).
    #[serde(default)]
    pub mailboxes: Vec<MailboxEntry>,
    /// Normalisation options.
    #[serde(default)]
    pub normalize: NormalizeOptions,
}

/// Why a recipient is on the account suppression list (one type across the workspace).
pub use bounceguard_core::SuppressionReason;

/// What the DNS check found for the recipient's domain (the lead maps the resolver's answer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainCheck {
    /// No check was made (capture transport, or `[dns] check = false`).
    #[default]
    NotChecked,
    /// An MX, or an A/AAAA fallback: mail can be delivered.
    Deliverable,
    /// NXDOMAIN, or neither MX nor A/AAAA: would hard-bounce.
    NoMailDomain,
    /// A null MX (RFC 7505): the domain accepts no mail.
    NullMx,
    /// Timeout or SERVFAIL: not known; fail open.
    Unknown,
}

/// What I/O found out about one recipient, passed in by the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The suppression-list entry for the canonical address, if any.
    pub suppression: Option<SuppressionReason>,
    /// The DNS answer for the domain.
    pub dns: DomainCheck,
    /// The reputation guard is holding risky sends (projected bounce rate above its threshold).
    pub reputation_hold: bool,
    /// Mail to this address was delivered before (from the store's history).
    pub delivered_before: bool,
}

/// What happens to one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Send through the configured transport.
    Deliver,
    /// Accept like SES, keep the copy, never send.
    Capture,
    /// Refuse (`MessageRejected` naming the route, or an invalid address).
    Deny,
    /// Accept, do not send, emit the bounce SES sends for a suppressed address.
    Suppress,
    /// Accept, do not send, produce the simulator's outcome.
    Simulate(SimulatorOutcome),
    /// Accept and hold back.
    Hold,
}

impl Action {
    /// The word used in records: `deliver`, `capture`, `deny`, `suppress`, `simulate`, `hold`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deliver => "deliver",
            Self::Capture => "capture",
            Self::Deny => "deny",
            Self::Suppress => "suppress",
            Self::Simulate(_) => "simulate",
            Self::Hold => "hold",
        }
    }
}

/// Which step of the order made the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// A route (configured or built-in) decided.
    Route,
    /// The address failed SES's syntax check.
    Syntax,
    /// The suppression list.
    Suppression,
    /// The mailbox simulator.
    Simulator,
    /// The DNS check.
    Domain,
    /// The allow-list (`only_known`).
    AllowList,
    /// The reputation guard.
    Reputation,
    /// Nothing stopped it: delivered.
    Deliver,
}

/// The decision for one recipient, with the rule that made it and a reason for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// What happens.
    pub action: Action,
    /// The step of the order that decided.
    pub step: Step,
    /// Machine rule: `route:1`, `default:reserved`, `default:deliver`, `syntax`,
    /// `suppression:BOUNCE`, `simulator:bounce`, `dns:no-mail-domain`, `dns:null-mx`,
    /// `allowlist`, `reputation`.
    pub rule: String,
    /// Human reason, e.g. `captured: reserved test domain example.com (built-in default)`.
    pub reason: String,
    /// Delivered although the DNS check failed (timeout or SERVFAIL): log and count it.
    pub dns_fail_open: bool,
}

impl Decision {
    fn new(action: Action, step: Step, rule: String, reason: String) -> Self {
        Self {
            action,
            step,
            rule,
            reason,
            dns_fail_open: false,
        }
    }

    /// The decision for an address on the account suppression list (step 3 of the order; also
    /// what a release of held mail finds for an address suppressed while it was held).
    pub fn suppressed(canonical: &str, reason: SuppressionReason) -> Self {
        Self::new(
            Action::Suppress,
            Step::Suppression,
            format!("suppression:{}", reason.as_str()),
            format!(
                "suppressed: {canonical} is on the account suppression list ({})",
                reason.as_str()
            ),
        )
    }

    /// Whether the transport is asked to deliver (only [`Action::Deliver`]).
    pub fn counts_as_delivery_attempt(&self) -> bool {
        self.action == Action::Deliver
    }

    /// Whether the recipient counts against the daily quota: delivered and suppressed ones do
    /// (ses-spec §6); simulator sends do not (§8); capture, deny and hold never reach SES.
    pub fn counts_toward_quota(&self) -> bool {
        matches!(self.action, Action::Deliver | Action::Suppress)
    }
}

/// A recipient after normalisation and route matching, before the I/O lookups.
#[derive(Debug, Clone)]
pub struct Routed<'g> {
    /// The canonical address (folded when the route or the options say so).
    pub normalized: Normalized,
    /// The route that matched (a built-in default when none configured did).
    pub route: &'g Route,
    /// SES's syntax verdict on the address.
    pub syntax: Result<(), SesError>,
}

impl Routed<'_> {
    /// Whether the suppression, DNS and history lookups can change the decision: only when
    /// the route delivers and the syntax is valid.
    pub fn needs_lookups(&self) -> bool {
        self.route.action == RouteAction::Deliver && self.syntax.is_ok()
    }
}

/// The compiled guard: routes, built-in defaults, allow-list and options.
#[derive(Debug, Clone)]
pub struct Guard {
    routes: Vec<Route>,
    builtin_reserved: Route,
    builtin_deliver: Route,
    allow: AllowList,
    options: NormalizeOptions,
}

impl Default for Guard {
    /// No routes, no mailboxes: the built-in default only.
    fn default() -> Self {
        Self {
            routes: Vec::new(),
            builtin_reserved: Route::builtin_reserved(),
            builtin_deliver: Route::builtin_deliver(),
            allow: AllowList::new(),
            options: NormalizeOptions::default(),
        }
    }
}

impl Guard {
    /// Checks and compiles the configuration; `mailbox_file` is the text of the optional file of
    /// known mailboxes (one address per line).
    pub fn new(config: &GuardConfig, mailbox_file: Option<&str>) -> Result<Self, ConfigError> {
        let options = config.normalize;
        let mut allow = AllowList::new();
        allow.extend_entries(&config.mailboxes, &options)?;
        if let Some(text) = mailbox_file {
            allow.extend_text(text, &options)?;
        }
        let mut routes = Vec::with_capacity(config.routes.len());
        for (i, route) in config.routes.iter().enumerate() {
            let route = Route::compile(i + 1, route)?;
            if route.only_known && allow.is_empty() {
                return Err(ConfigError::OnlyKnownWithoutMailboxes { route: i + 1 });
            }
            routes.push(route);
        }
        Ok(Self {
            routes,
            allow,
            options,
            ..Self::default()
        })
    }

    /// [`Guard::new`] without a mailbox file.
    pub fn from_config(config: &GuardConfig) -> Result<Self, ConfigError> {
        Self::new(config, None)
    }

    /// The configured routes, in order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The allow-list.
    pub fn allow_list(&self) -> &AllowList {
        &self.allow
    }

    /// The normalisation options.
    pub fn options(&self) -> &NormalizeOptions {
        &self.options
    }

    /// The first route matching `address`, or the built-in default.
    pub fn match_route(&self, address: &Normalized) -> &Route {
        self.routes
            .iter()
            .find(|r| r.matches(address))
            .unwrap_or_else(|| {
                if self.builtin_reserved.matches(address) {
                    &self.builtin_reserved
                } else {
                    &self.builtin_deliver
                }
            })
    }

    /// Normalises and routes a submitted address text (`a@x` or `Name <a@x>`). Fails only when
    /// the text has no `local@domain` shape at all (the error is SES's syntax text).
    pub fn route(&self, text: &str) -> Result<Routed<'_>, SesError> {
        let syntax = address::check(text);
        match normalize(text, &self.options) {
            Ok(normalized) => Ok(self.finish_route(normalized, syntax)),
            Err(_) => Err(syntax
                .err()
                .unwrap_or_else(|| SesError::invalid("Illegal address"))),
        }
    }

    /// Routes a recipient the API already parsed (its syntax is known to be valid).
    pub fn route_recipient(&self, recipient: &Recipient) -> Result<Routed<'_>, SesError> {
        let normalized = normalize_spec(
            &recipient.mailbox.address,
            &recipient.original,
            &self.options,
        )
        .map_err(|_| SesError::invalid("Illegal address"))?;
        Ok(self.finish_route(normalized, Ok(())))
    }

    fn finish_route(&self, mut normalized: Normalized, syntax: Result<(), SesError>) -> Routed<'_> {
        let route = self.match_route(&normalized);
        if route.fold_plus {
            normalized.fold();
        }
        Routed {
            normalized,
            route,
            syntax,
        }
    }

    /// The whole decision for one address text.
    pub fn decide(&self, text: &str, facts: &Facts) -> Decision {
        match self.route(text) {
            Ok(routed) => self.decide_routed(&routed, facts),
            Err(e) => syntax_decision(&e),
        }
    }

    /// The decision for a routed recipient, given what I/O found out.
    pub fn decide_routed(&self, routed: &Routed<'_>, facts: &Facts) -> Decision {
        let n = &routed.normalized;
        let route = routed.route;

        // 1. Route
        let by_route = |action: Action, verb: &str| {
            let mut reason = String::with_capacity(80);
            reason.push_str(verb);
            reason.push_str(": ");
            route.write_why(&mut reason, n);
            reason.push_str(" (");
            reason.push_str(route.label());
            reason.push(')');
            Decision::new(action, Step::Route, route.rule().to_string(), reason)
        };
        match route.action {
            RouteAction::Deny => return by_route(Action::Deny, "denied"),
            RouteAction::Capture => return by_route(Action::Capture, "captured"),
            RouteAction::Hold => return by_route(Action::Hold, "held"),
            RouteAction::Simulate => {
                // `bounce+x@` or `bounce-x@` (a test domain mapped to the simulator: the part
                // before the first `-`, `_` or `.` names the outcome); anything else succeeds.
                let base = n.base_local();
                let outcome = SimulatorOutcome::from_local(base)
                    .or_else(|| {
                        base.split(['-', '_', '.'])
                            .next()
                            .and_then(SimulatorOutcome::from_local)
                    })
                    .unwrap_or(SimulatorOutcome::Success);
                return by_route(
                    Action::Simulate(outcome),
                    &format!("simulated {}", outcome.as_str()),
                );
            }
            RouteAction::Deliver => {}
        }

        // 2. Syntax
        if let Err(e) = &routed.syntax {
            return syntax_decision(e);
        }

        // 3. Suppression
        if let Some(reason) = facts.suppression {
            return Decision::suppressed(&n.canonical, reason);
        }

        // 4. Simulator
        if let Some(outcome) = simulator_outcome(n) {
            return Decision::new(
                Action::Simulate(outcome),
                Step::Simulator,
                format!("simulator:{}", outcome.as_str()),
                format!(
                    "simulated {}: SES mailbox simulator address {}",
                    outcome.as_str(),
                    n.canonical
                ),
            );
        }

        // 5. Domain
        match facts.dns {
            DomainCheck::NoMailDomain => {
                return Decision::new(
                    Action::Hold,
                    Step::Domain,
                    "dns:no-mail-domain".to_string(),
                    format!(
                        "would hard-bounce: {} has no mail host (NXDOMAIN, or neither MX nor A/AAAA)",
                        n.domain
                    ),
                );
            }
            DomainCheck::NullMx => {
                return Decision::new(
                    Action::Hold,
                    Step::Domain,
                    "dns:null-mx".to_string(),
                    format!(
                        "would hard-bounce: {} publishes a null MX (RFC 7505)",
                        n.domain
                    ),
                );
            }
            DomainCheck::NotChecked | DomainCheck::Deliverable | DomainCheck::Unknown => {}
        }
        let dns_fail_open = facts.dns == DomainCheck::Unknown;

        // 6. Allow-list
        let known = self.allow.lookup(n);
        if route.only_known && known.is_none() {
            return Decision::new(
                Action::Hold,
                Step::AllowList,
                "allowlist".to_string(),
                format!(
                    "unknown mailbox: {} is not on the mailbox allow-list ({}, only_known)",
                    n.without_tag(),
                    route.label()
                ),
            );
        }

        // 7. Reputation
        if facts.reputation_hold && known.is_none() && !facts.delivered_before {
            return Decision::new(
                Action::Hold,
                Step::Reputation,
                "reputation".to_string(),
                "held by the reputation guard: the projected bounce rate is above its threshold \
                 and the mailbox is not known"
                    .to_string(),
            );
        }

        // 8. Deliver
        let mut reason = String::with_capacity(96);
        reason.push_str("delivered: ");
        route.write_why(&mut reason, n);
        reason.push_str(" (");
        reason.push_str(route.label());
        reason.push(')');
        match known {
            Some(AllowMatch::Exact) => reason.push_str("; known mailbox"),
            Some(AllowMatch::Alias) => {
                reason.push_str("; + alias of known mailbox ");
                reason.push_str(&n.without_tag());
            }
            None => {}
        }
        if dns_fail_open {
            reason.push_str("; DNS check failed (timeout or SERVFAIL), delivered fail-open");
        }
        let mut decision = Decision::new(
            Action::Deliver,
            Step::Deliver,
            route.rule().to_string(),
            reason,
        );
        decision.dns_fail_open = dns_fail_open;
        decision
    }
}

/// Decides one address: [`Guard::decide`] as a free function.
pub fn decide(address: &str, guard: &Guard, facts: &Facts) -> Decision {
    guard.decide(address, facts)
}

fn syntax_decision(error: &SesError) -> Decision {
    Decision::new(
        Action::Deny,
        Step::Syntax,
        "syntax".to_string(),
        format!("invalid address: {}", error.message),
    )
}
