//! Facts in the shape of SES v2 `GetEmailAddressInsights` (`MailboxValidation`), computed from
//! the same pieces as a send: syntax, route, allow-list, suppression, DNS, simulator.
//!
//! Each verdict is the confidence that its check's criterion holds (botocore model:
//! `LOW` weak or no indication, `MEDIUM` moderate, `HIGH` strong):
//! - `has_valid_syntax`: HIGH when SES's syntax check passes, else LOW.
//! - `has_valid_dns_records`: HIGH for a deliverable DNS answer or the simulator domain; LOW for
//!   no mail domain, null MX, a reserved test domain or bad syntax; MEDIUM when not checked or
//!   the lookup failed.
//! - `mailbox_exists`: HIGH when allow-listed (itself or as a `+` alias), delivered to before,
//!   suppressed for a complaint (someone read it), or a simulator address that accepts mail;
//!   LOW for bad syntax, no mail domain, a reserved test domain, a bounce suppression, a
//!   bouncing simulator address, or an unlisted address under an `only_known` route; else
//!   MEDIUM (there is no VRFY: nothing is asked of the receiving server).
//! - `is_role_address`: HIGH when the local part (without `+tag`, any case) is on the built-in
//!   role list ([`ROLE_LOCAL_PARTS`]), else LOW.
//! - `is_disposable`: HIGH when the domain or a parent is on the built-in disposable list
//!   ([`DISPOSABLE_DOMAINS`]), else LOW. That list is deliberately small (well-known providers
//!   only): LOW means "not a known one", not "certainly not disposable".
//! - `is_valid` (overall): LOW when syntax, DNS or mailbox is LOW; HIGH when all three are HIGH
//!   and the domain is not disposable; else MEDIUM. A role address does not change it.
//!
//! `IsRandomInput` is not computed (the model member is optional and left out).

use bounceguard_core::address::Mailbox;
use serde::Serialize;

use crate::allowlist::AllowMatch;
use crate::decision::{DomainCheck, Facts, Guard, SuppressionReason};
use crate::reserved::{is_reserved_test_domain, is_same_or_subdomain};
use crate::route::RouteAction;
use crate::simulator::{SIMULATOR_DOMAIN, SimulatorOutcome, simulator_outcome};

/// Local parts of role (shared, function) mailboxes.
pub const ROLE_LOCAL_PARTS: &[&str] = &[
    "abuse",
    "accounting",
    "admin",
    "administrator",
    "billing",
    "compliance",
    "contact",
    "customerservice",
    "devnull",
    "dns",
    "enquiries",
    "feedback",
    "finance",
    "ftp",
    "help",
    "helpdesk",
    "hostmaster",
    "hr",
    "info",
    "inquiries",
    "it",
    "jobs",
    "legal",
    "mail",
    "mailer-daemon",
    "marketing",
    "media",
    "news",
    "newsletter",
    "no-reply",
    "noc",
    "noreply",
    "null",
    "office",
    "orders",
    "postmaster",
    "press",
    "privacy",
    "root",
    "sales",
    "security",
    "service",
    "support",
    "sysadmin",
    "team",
    "webmaster",
];

/// Well-known disposable-mail domains (a small sample, not a complete list).
pub const DISPOSABLE_DOMAINS: &[&str] = &[
    "10minutemail.com",
    "10minutemail.net",
    "burnermail.io",
    "discard.email",
    "dispostable.com",
    "emailondeck.com",
    "fakeinbox.com",
    "getnada.com",
    "grr.la",
    "guerrillamail.biz",
    "guerrillamail.com",
    "guerrillamail.de",
    "guerrillamail.net",
    "guerrillamail.org",
    "guerrillamailblock.com",
    "mailcatch.com",
    "maildrop.cc",
    "mailinator.com",
    "mailnesia.com",
    "mintemail.com",
    "mohmal.com",
    "mytemp.email",
    "sharklasers.com",
    "spam4.me",
    "spamgourmet.com",
    "temp-mail.org",
    "tempail.com",
    "tempr.email",
    "throwawaymail.com",
    "trashmail.com",
    "trashmail.net",
    "yopmail.com",
    "yopmail.fr",
    "yopmail.net",
];

/// A confidence verdict (`EmailAddressInsightsConfidenceVerdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Confidence {
    /// Weak or no indication.
    Low,
    /// Moderate indication.
    Medium,
    /// Strong indication.
    High,
}

impl Confidence {
    /// The model's word: `LOW`, `MEDIUM`, `HIGH`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
        }
    }

    fn from_bool(yes: bool) -> Self {
        if yes { Self::High } else { Self::Low }
    }
}

/// The insights for one address (`MailboxValidation`: `IsValid` and `Evaluations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Insights {
    /// The address as asked.
    pub address: String,
    /// Its canonical form, when it has an address shape.
    pub normalized: Option<String>,
    /// Overall validity.
    pub is_valid: Confidence,
    /// `HasValidSyntax`.
    pub has_valid_syntax: Confidence,
    /// `HasValidDnsRecords`.
    pub has_valid_dns_records: Confidence,
    /// `MailboxExists`.
    pub mailbox_exists: Confidence,
    /// `IsRoleAddress`.
    pub is_role_address: Confidence,
    /// `IsDisposable`.
    pub is_disposable: Confidence,
}

/// Whether a local part (any case, `+tag` ignored) is a role mailbox.
pub fn is_role_address(local: &str) -> bool {
    let base = local.split('+').next().unwrap_or_default();
    ROLE_LOCAL_PARTS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(base))
}

/// Whether a domain or one of its parents is a known disposable-mail domain.
pub fn is_disposable_domain(domain: &str) -> bool {
    DISPOSABLE_DOMAINS
        .iter()
        .any(|d| is_same_or_subdomain(domain, d))
}

/// Computes the insights for one address, given what I/O found out.
pub fn insights(address: &str, guard: &Guard, facts: &Facts) -> Insights {
    use Confidence::{High, Low, Medium};
    let syntax_ok = Mailbox::parse(address).is_ok();
    let routed = guard.route(address).ok();
    let Some(routed) = routed.filter(|_| syntax_ok) else {
        return Insights {
            address: address.to_string(),
            normalized: None,
            is_valid: Low,
            has_valid_syntax: Low,
            has_valid_dns_records: Low,
            mailbox_exists: Low,
            is_role_address: Low,
            is_disposable: Low,
        };
    };
    let n = &routed.normalized;
    let reserved = is_reserved_test_domain(&n.domain);
    let simulator = simulator_outcome(n);

    let dns = if reserved {
        Low
    } else if n.domain == SIMULATOR_DOMAIN {
        High
    } else {
        match facts.dns {
            DomainCheck::Deliverable => High,
            DomainCheck::NoMailDomain | DomainCheck::NullMx => Low,
            DomainCheck::NotChecked | DomainCheck::Unknown => Medium,
        }
    };

    let known = guard.allow_list().lookup(n);
    let mailbox = if dns == Low {
        Low
    } else if let Some(outcome) = simulator {
        match outcome {
            SimulatorOutcome::Bounce | SimulatorOutcome::SuppressionList => Low,
            SimulatorOutcome::Success | SimulatorOutcome::Ooto | SimulatorOutcome::Complaint => {
                High
            }
        }
    } else if facts.suppression == Some(SuppressionReason::Bounce) {
        Low
    } else if matches!(known, Some(AllowMatch::Exact | AllowMatch::Alias))
        || facts.delivered_before
        || facts.suppression == Some(SuppressionReason::Complaint)
    {
        High
    } else if routed.route.action == RouteAction::Deliver && routed.route.only_known {
        Low
    } else {
        Medium
    };

    let disposable = Confidence::from_bool(is_disposable_domain(&n.domain));
    let is_valid = if dns == Low || mailbox == Low {
        Low
    } else if dns == High && mailbox == High && disposable == Low {
        High
    } else {
        Medium
    };
    Insights {
        address: address.to_string(),
        normalized: Some(n.canonical.clone()),
        is_valid,
        has_valid_syntax: High,
        has_valid_dns_records: dns,
        mailbox_exists: mailbox,
        is_role_address: Confidence::from_bool(is_role_address(n.base_local())),
        is_disposable: disposable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_what_the_docs_say() {
        assert!(ROLE_LOCAL_PARTS.len() >= 40);
        assert!(DISPOSABLE_DOMAINS.len() >= 30);
        for (word, role) in [
            ("admin", true),
            ("Postmaster", true),
            ("no-reply", true),
            ("noreply+x", true),
            ("abuse", true),
            ("sales", true),
            ("hoge", false),
            ("administrators", false),
            ("", false),
        ] {
            assert_eq!(is_role_address(word), role, "{word}");
        }
        assert!(is_disposable_domain("mailinator.com"));
        assert!(is_disposable_domain("MAILINATOR.COM"));
        assert!(is_disposable_domain("x.yopmail.com"));
        assert!(!is_disposable_domain("notmailinator.com"));
        assert!(!is_disposable_domain("gmail.com"));
    }

    #[test]
    fn confidence_words() {
        assert_eq!(Confidence::Low.as_str(), "LOW");
        assert_eq!(Confidence::Medium.as_str(), "MEDIUM");
        assert_eq!(Confidence::High.as_str(), "HIGH");
    }
}
