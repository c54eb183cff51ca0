//! Validation verdicts for tools (`POST /api/v1/addresses/validate`), derived from the same
//! decision path as a send ([`Guard::route`] then [`Guard::decide_routed`]).
//!
//! Mapping from the decision:
//! - SES syntax check fails → `invalid` (reason: SES's text); `normalized` is `null`.
//! - Deliver → `deliverable`. A reputation hold also answers `deliverable`: the address is
//!   fine, the hold is about the account's current rate (the reason says so).
//! - Capture, Simulate and a route's Hold → `test-domain`: accepted, never sent.
//! - A route's Deny → `invalid`: a send to it is refused (the reason names the route).
//! - Suppress → `suppressed`; a DNS hold → `no-mail-domain`; an allow-list hold →
//!   `unknown-mailbox`.

use bounceguard_core::address::Mailbox;
use serde::Serialize;

use crate::decision::{Action, Facts, Guard, Step};

/// The verdict word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    /// Mail would be sent.
    Deliverable,
    /// Accepted but never sent (reserved test domain, capture or simulate route).
    TestDomain,
    /// Not on the allow-list of a route with `only_known`.
    UnknownMailbox,
    /// The domain cannot receive mail (NXDOMAIN, no MX/A, null MX).
    NoMailDomain,
    /// On the account suppression list.
    Suppressed,
    /// Refused: SES's syntax check, or a deny route.
    Invalid,
}

impl VerdictKind {
    /// The JSON word, e.g. `test-domain`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deliverable => "deliverable",
            Self::TestDomain => "test-domain",
            Self::UnknownMailbox => "unknown-mailbox",
            Self::NoMailDomain => "no-mail-domain",
            Self::Suppressed => "suppressed",
            Self::Invalid => "invalid",
        }
    }
}

/// One result of the validation API: `{"address","normalized","verdict","reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The address as submitted.
    pub address: String,
    /// Its canonical form; `null` when the syntax is invalid.
    pub normalized: Option<String>,
    /// The verdict.
    pub verdict: VerdictKind,
    /// Why, for people (the decision's reason, or SES's syntax text).
    pub reason: String,
}

/// The verdict for one address, given what I/O found out about it.
pub fn validate(address: &str, guard: &Guard, facts: &Facts) -> Verdict {
    let invalid = |reason: String| Verdict {
        address: address.to_string(),
        normalized: None,
        verdict: VerdictKind::Invalid,
        reason,
    };
    // The API refuses bad syntax before any route applies, so a tool hears the same.
    if let Err(e) = Mailbox::parse(address) {
        return invalid(e.message);
    }
    let routed = match guard.route(address) {
        Ok(routed) => routed,
        Err(e) => return invalid(e.message),
    };
    let decision = guard.decide_routed(&routed, facts);
    let verdict = match (decision.action, decision.step) {
        (Action::Deliver, _) => VerdictKind::Deliverable,
        (Action::Hold, Step::Reputation) => VerdictKind::Deliverable,
        (Action::Hold, Step::Domain) => VerdictKind::NoMailDomain,
        (Action::Hold, Step::AllowList) => VerdictKind::UnknownMailbox,
        (Action::Capture | Action::Simulate(_) | Action::Hold, _) => VerdictKind::TestDomain,
        (Action::Suppress, _) => VerdictKind::Suppressed,
        (Action::Deny, _) => VerdictKind::Invalid,
    };
    Verdict {
        address: address.to_string(),
        normalized: Some(routed.normalized.canonical),
        verdict,
        reason: decision.reason,
    }
}
