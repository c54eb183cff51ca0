//! Recipient-domain check run before every `deliver` decision (issue 4, item 5).
//!
//! [`DnsChecker`] asks DNS whether a recipient domain can receive mail at all:
//!
//! 1. The domain is normalised first ([`normalize_domain`]): lower-case, one trailing dot
//!    dropped, IDN converted to ASCII (punycode). Address literals (`[192.0.2.1]`,
//!    `[IPv6:2001:db8::1]`) are deliverable without a query; names that cannot exist
//!    (bad characters, empty or over-long labels, a single label, an all-numeric TLD,
//!    the RFC 6761 `localhost`/`invalid` names) are answered without a query.
//! 2. MX lookup through hickory-resolver. A single `0 .` record is a null MX (RFC 7505).
//!    With no MX records (NoData) the A/AAAA fallback of RFC 5321 §5.1 applies; NXDOMAIN
//!    does not fall back.
//! 3. Timeouts, SERVFAIL, REFUSED and network errors give [`DomainVerdict::Unknown`]:
//!    callers **fail open** (send the mail). Each such answer is logged (tracing) and
//!    counted ([`DnsCounters::fail_open`]), so a DNS outage is never a mail outage.
//!
//! Verdicts are cached per domain for the record TTL (negative answers for the SOA
//! negative TTL), clamped by a [`CachePolicy`]; `Unknown` answers only briefly.
//! Concurrent checks of the same domain share one lookup (single flight).
//!
//! The service holds the checker as `Arc<dyn MxLookup>`; [`StaticLookup`] is a fake of the
//! trait for tests of code that uses it.

mod cache;
mod checker;
mod classify;
mod normalize;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

pub use cache::{CachePolicy, Clock, ManualClock, SystemClock};
pub use checker::{DEFAULT_TIMEOUT, DnsChecker, DnsCounters};
pub use normalize::{DomainTarget, normalize_domain};

/// What DNS says about a recipient domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainVerdict {
    /// MX hosts exist (or the A/AAAA fallback of RFC 5321 §5.1 applies): mail can be delivered.
    Deliverable {
        /// How mail would reach the domain.
        via: Via,
    },
    /// NXDOMAIN, no MX and no A/AAAA (NoData everywhere), or a name that cannot exist:
    /// mail would hard-bounce.
    NoMailDomain {
        /// Why, e.g. `"NXDOMAIN"` or `"no MX, A or AAAA records"`.
        reason: String,
    },
    /// RFC 7505 null MX: a single MX record with preference 0 and exchange `.`.
    NullMx,
    /// The resolver could not tell (timeout, SERVFAIL, REFUSED, network error).
    /// Callers fail OPEN: the mail is sent.
    Unknown {
        /// What went wrong, e.g. `"resolver timeout after 2000 ms"` or `"SERVFAIL"`.
        reason: String,
    },
}

/// How mail reaches a deliverable domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// MX exchange hosts (lower-case, no trailing dot), most preferred first.
    Mx(Vec<String>),
    /// No MX records, but the domain has A or AAAA records (implicit MX, RFC 5321 §5.1).
    AddressFallback,
    /// The domain is an address literal such as `[192.0.2.1]`; no lookup is made.
    AddressLiteral(IpAddr),
}

impl DomainVerdict {
    /// True when sending would hard-bounce: [`DomainVerdict::NoMailDomain`] or
    /// [`DomainVerdict::NullMx`]. `Unknown` is not (fail open).
    pub fn would_hard_bounce(&self) -> bool {
        matches!(self, Self::NoMailDomain { .. } | Self::NullMx)
    }

    /// True for [`DomainVerdict::Unknown`], the answer callers fail open on.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }
}

/// One line for the decision log, e.g. `no mail domain: NXDOMAIN`.
impl fmt::Display for DomainVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deliverable {
                via: Via::Mx(hosts),
            } => {
                write!(f, "deliverable: MX {}", hosts.join(", "))
            }
            Self::Deliverable {
                via: Via::AddressFallback,
            } => f.write_str("deliverable: no MX, A/AAAA fallback (RFC 5321 5.1)"),
            Self::Deliverable {
                via: Via::AddressLiteral(ip),
            } => write!(f, "deliverable: address literal {ip}"),
            Self::NoMailDomain { reason } => write!(f, "no mail domain: {reason}"),
            Self::NullMx => f.write_str("null MX (RFC 7505): the domain accepts no mail"),
            Self::Unknown { reason } => write!(f, "unknown, failing open: {reason}"),
        }
    }
}

/// The boxed future returned by [`MxLookup::check`].
pub type VerdictFuture<'a> = Pin<Box<dyn Future<Output = DomainVerdict> + Send + 'a>>;

/// The domain check as the service sees it.
///
/// The method returns a boxed future so the trait stays dyn-compatible: the service can
/// hold `Arc<dyn MxLookup>` and swap in [`StaticLookup`] (or any fake) in tests without
/// a type parameter. One allocation per recipient domain is negligible next to a lookup.
pub trait MxLookup: Send + Sync {
    /// The verdict for `domain` (the part after `@`, as written by the sender).
    fn check<'a>(&'a self, domain: &'a str) -> VerdictFuture<'a>;
}

impl<T: MxLookup + ?Sized> MxLookup for Arc<T> {
    fn check<'a>(&'a self, domain: &'a str) -> VerdictFuture<'a> {
        (**self).check(domain)
    }
}

/// Errors building a [`DnsChecker`].
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// `/etc/resolv.conf` (or the platform equivalent) could not be read or parsed.
    #[error("cannot read the system resolver configuration: {0}")]
    SystemConfig(String),
    /// The configuration names no DNS server.
    #[error("no DNS servers configured")]
    NoServers,
    /// hickory refused to build the resolver.
    #[error("cannot build the DNS resolver: {0}")]
    Build(#[source] hickory_resolver::net::NetError),
}

/// A fixed table of verdicts: a fake [`MxLookup`] for tests of the code that uses it.
///
/// Keys are matched after lower-casing and dropping one trailing dot; domains not in the
/// table get the default verdict.
#[derive(Clone, Debug)]
pub struct StaticLookup {
    verdicts: HashMap<String, DomainVerdict>,
    default: DomainVerdict,
}

impl StaticLookup {
    /// A table that answers `default` for every domain.
    pub fn new(default: DomainVerdict) -> Self {
        Self {
            verdicts: HashMap::new(),
            default,
        }
    }

    /// Adds (or replaces) the verdict for `domain`.
    #[must_use]
    pub fn with(mut self, domain: &str, verdict: DomainVerdict) -> Self {
        self.verdicts.insert(static_key(domain), verdict);
        self
    }
}

fn static_key(domain: &str) -> String {
    let lower = domain.to_ascii_lowercase();
    match lower.strip_suffix('.') {
        Some(stripped) => stripped.to_owned(),
        None => lower,
    }
}

impl MxLookup for StaticLookup {
    fn check<'a>(&'a self, domain: &'a str) -> VerdictFuture<'a> {
        let verdict = self
            .verdicts
            .get(&static_key(domain))
            .unwrap_or(&self.default)
            .clone();
        Box::pin(std::future::ready(verdict))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hard_bounce_is_no_mail_domain_or_null_mx_only() {
        let cases = [
            (
                DomainVerdict::Deliverable {
                    via: Via::Mx(vec!["mx.a.example".into()]),
                },
                false,
            ),
            (
                DomainVerdict::Deliverable {
                    via: Via::AddressFallback,
                },
                false,
            ),
            (
                DomainVerdict::NoMailDomain {
                    reason: "NXDOMAIN".into(),
                },
                true,
            ),
            (DomainVerdict::NullMx, true),
            (
                DomainVerdict::Unknown {
                    reason: "SERVFAIL".into(),
                },
                false,
            ),
        ];
        for (verdict, expected) in cases {
            assert_eq!(verdict.would_hard_bounce(), expected, "{verdict:?}");
        }
    }

    #[test]
    fn display_names_the_reason() {
        let v = DomainVerdict::NoMailDomain {
            reason: "NXDOMAIN".into(),
        };
        assert_eq!(v.to_string(), "no mail domain: NXDOMAIN");
        let v = DomainVerdict::Deliverable {
            via: Via::Mx(vec!["a.example".into(), "b.example".into()]),
        };
        assert_eq!(v.to_string(), "deliverable: MX a.example, b.example");
    }

    #[tokio::test]
    async fn static_lookup_matches_normalised_keys_and_falls_back_to_default() {
        let fake: Arc<dyn MxLookup> = Arc::new(
            StaticLookup::new(DomainVerdict::Deliverable {
                via: Via::AddressFallback,
            })
            .with("Missing.Example.", DomainVerdict::NullMx),
        );
        assert_eq!(fake.check("missing.example").await, DomainVerdict::NullMx);
        assert_eq!(fake.check("MISSING.example.").await, DomainVerdict::NullMx);
        assert_eq!(
            fake.check("other.example").await,
            DomainVerdict::Deliverable {
                via: Via::AddressFallback
            }
        );
    }
}
