//! [`DnsChecker`]: hickory-resolver lookups turned into cached [`DomainVerdict`]s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};

use crate::cache::{Begin, CachePolicy, Clock, SystemClock, VerdictCache};
use crate::classify::{MxClass, MxRecord, classify_mx};
use crate::normalize::{DomainTarget, normalize_domain};
use crate::{DnsError, DomainVerdict, MxLookup, VerdictFuture, Via};

/// Time budget of one check when none is configured ([`DnsChecker::system`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Counters since the checker was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DnsCounters {
    /// Checks that went to DNS (one per verdict computed, whatever the number of queries).
    pub lookups: u64,
    /// Checks answered from the verdict cache.
    pub cache_hits: u64,
    /// Checks that waited for a lookup of the same domain already in flight.
    pub coalesced: u64,
    /// `Unknown` verdicts returned (fresh, cached or shared): messages sent fail-open.
    pub fail_open: u64,
}

#[derive(Default)]
struct Counters {
    lookups: AtomicU64,
    cache_hits: AtomicU64,
    coalesced: AtomicU64,
    fail_open: AtomicU64,
}

/// The DNS domain check: hickory's Tokio resolver plus a verdict cache.
///
/// hickory's own response cache is switched off (`cache_size = 0`): the verdict cache
/// already keeps each domain for its record TTL, and a second cache running on the real
/// clock would answer after a verdict expired on the injected [`Clock`].
pub struct DnsChecker {
    resolver: TokioResolver,
    timeout: Duration,
    policy: CachePolicy,
    clock: Arc<dyn Clock>,
    cache: VerdictCache,
    counters: Counters,
}

impl std::fmt::Debug for DnsChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsChecker")
            .field("timeout", &self.timeout)
            .field("policy", &self.policy)
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

impl DnsChecker {
    /// A checker using the system resolvers (`/etc/resolv.conf`) with [`DEFAULT_TIMEOUT`].
    pub fn system() -> Result<Self, DnsError> {
        let (config, mut opts) = hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| DnsError::SystemConfig(e.to_string()))?;
        // hickory accepts a resolv.conf without `nameserver` lines and then fails every
        // query; refuse that at start-up instead.
        if config.name_servers().is_empty() {
            return Err(DnsError::NoServers);
        }
        opts.timeout = DEFAULT_TIMEOUT;
        opts.cache_size = 0;
        let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(DnsError::Build)?;
        Ok(Self::from_resolver(resolver, DEFAULT_TIMEOUT))
    }

    /// A checker asking `servers` (UDP, and TCP for truncated answers) — `[dns] servers`.
    ///
    /// `timeout` bounds a whole check (MX plus any A/AAAA fallback): past it the verdict
    /// is `Unknown` and the caller fails open. `/etc/hosts` is not consulted.
    pub fn with_servers(servers: &[SocketAddr], timeout: Duration) -> Result<Self, DnsError> {
        if servers.is_empty() {
            return Err(DnsError::NoServers);
        }
        let name_servers = servers
            .iter()
            .map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect();
        let config = ResolverConfig::from_parts(None, vec![], name_servers);
        let mut opts = ResolverOpts::default();
        opts.timeout = timeout;
        opts.cache_size = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(DnsError::Build)?;
        Ok(Self::from_resolver(resolver, timeout))
    }

    fn from_resolver(resolver: TokioResolver, timeout: Duration) -> Self {
        let policy = CachePolicy::default();
        Self {
            resolver,
            timeout,
            cache: VerdictCache::new(policy.capacity),
            policy,
            clock: Arc::new(SystemClock),
            counters: Counters::default(),
        }
    }

    /// Replaces the cache policy (and empties the cache).
    #[must_use]
    pub fn with_cache_policy(mut self, policy: CachePolicy) -> Self {
        self.cache = VerdictCache::new(policy.capacity);
        self.policy = policy;
        self
    }

    /// Replaces the clock used for cache expiry (tests use a [`crate::ManualClock`]).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The time budget of one check.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Counters since the checker was built.
    pub fn counters(&self) -> DnsCounters {
        DnsCounters {
            lookups: self.counters.lookups.load(Ordering::Relaxed),
            cache_hits: self.counters.cache_hits.load(Ordering::Relaxed),
            coalesced: self.counters.coalesced.load(Ordering::Relaxed),
            fail_open: self.counters.fail_open.load(Ordering::Relaxed),
        }
    }

    /// Number of domains in the verdict cache (expired ones until swept).
    pub fn cached_domains(&self) -> usize {
        self.cache.len()
    }

    /// The verdict for `domain`; see [`MxLookup::check`].
    pub async fn check_domain(&self, domain: &str) -> DomainVerdict {
        let name = match normalize_domain(domain) {
            Ok(DomainTarget::Name(name)) => name,
            Ok(DomainTarget::Literal(ip)) => {
                return DomainVerdict::Deliverable {
                    via: Via::AddressLiteral(ip),
                };
            }
            Err(reason) => return DomainVerdict::NoMailDomain { reason },
        };
        loop {
            match self.cache.begin(&name, self.clock.now()) {
                Begin::Hit(verdict) => {
                    self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
                    return self.answered(&name, verdict, false);
                }
                Begin::Wait(mut rx) => {
                    let shared = rx
                        .wait_for(Option::is_some)
                        .await
                        .ok()
                        .and_then(|v| v.clone());
                    if let Some(verdict) = shared {
                        self.counters.coalesced.fetch_add(1, Ordering::Relaxed);
                        return self.answered(&name, verdict, false);
                    }
                    // The leading task was cancelled: start over (one waiter leads next).
                }
                Begin::Lead(lead) => {
                    self.counters.lookups.fetch_add(1, Ordering::Relaxed);
                    let (verdict, ttl) = self.lookup_bounded(&name).await;
                    lead.finish(verdict.clone(), self.clock.now(), ttl);
                    return self.answered(&name, verdict, true);
                }
            }
        }
    }

    fn answered(&self, domain: &str, verdict: DomainVerdict, fresh: bool) -> DomainVerdict {
        if let DomainVerdict::Unknown { reason } = &verdict {
            self.counters.fail_open.fetch_add(1, Ordering::Relaxed);
            if fresh {
                tracing::warn!(domain, reason, "DNS check failed; failing open");
            } else {
                tracing::debug!(domain, reason, "cached DNS failure; failing open");
            }
        }
        verdict
    }

    /// The lookup under the time budget, with the verdict's cache lifetime.
    async fn lookup_bounded(&self, name: &str) -> (DomainVerdict, Duration) {
        let (verdict, ttl) = match tokio::time::timeout(self.timeout, self.lookup(name)).await {
            Ok(answer) => answer,
            Err(_) => (
                unknown(format!(
                    "resolver timeout after {} ms",
                    self.timeout.as_millis()
                )),
                None,
            ),
        };
        let ttl = match (&verdict, ttl) {
            (DomainVerdict::Unknown { .. }, _) => self.policy.unknown_ttl,
            (_, Some(Ttl::Positive(t))) => self.policy.positive(t),
            (_, Some(Ttl::Negative(t))) => self.policy.negative(t),
            (_, None) => self.policy.min_ttl,
        };
        (verdict, ttl)
    }

    /// MX, then (on NoData only) A and AAAA in parallel.
    async fn lookup(&self, name: &str) -> (DomainVerdict, Option<Ttl>) {
        // A fully qualified name: the search list is never appended.
        let fqdn = match Name::from_ascii(format!("{name}.")) {
            Ok(fqdn) => fqdn,
            Err(e) => {
                return (
                    DomainVerdict::NoMailDomain {
                        reason: format!("not a DNS name: {e}"),
                    },
                    None,
                );
            }
        };
        let mx_negative_ttl = match self.resolver.mx_lookup(fqdn.clone()).await {
            Ok(lookup) => {
                let (records, ttl) = mx_records(&lookup);
                match classify_mx(&records) {
                    MxClass::NullMx => return (DomainVerdict::NullMx, Some(Ttl::Positive(ttl))),
                    MxClass::OnlyRoot => {
                        return (
                            DomainVerdict::NoMailDomain {
                                reason: "every MX record points to the root '.'".to_owned(),
                            },
                            Some(Ttl::Positive(ttl)),
                        );
                    }
                    MxClass::Hosts(hosts) => {
                        return (
                            DomainVerdict::Deliverable {
                                via: Via::Mx(hosts),
                            },
                            Some(Ttl::Positive(ttl)),
                        );
                    }
                    // e.g. a CNAME without MX at its target: fall back as for NoData.
                    MxClass::Empty => None,
                }
            }
            Err(e) if e.is_nx_domain() => {
                return (
                    DomainVerdict::NoMailDomain {
                        reason: "NXDOMAIN".to_owned(),
                    },
                    Some(Ttl::Negative(negative_ttl(&e))),
                );
            }
            Err(e) if e.is_no_records_found() => negative_ttl(&e),
            Err(e) => return (unknown(format!("MX lookup: {}", describe(&e))), None),
        };
        self.address_fallback(fqdn, mx_negative_ttl).await
    }

    /// RFC 5321 §5.1: no MX records, so the domain itself is the host if it has an address.
    async fn address_fallback(
        &self,
        fqdn: Name,
        mx_negative_ttl: Option<u32>,
    ) -> (DomainVerdict, Option<Ttl>) {
        let (a, aaaa) = tokio::join!(
            self.resolver.lookup(fqdn.clone(), RecordType::A),
            self.resolver.lookup(fqdn, RecordType::AAAA),
        );
        let mut positive: Option<u32> = None;
        let mut negative = mx_negative_ttl;
        let mut failure: Option<String> = None;
        for (kind, result) in [("A", &a), ("AAAA", &aaaa)] {
            match result {
                Ok(lookup) => {
                    let ttl = lookup
                        .answers()
                        .iter()
                        .filter(|r| matches!(r.data, RData::A(_) | RData::AAAA(_)))
                        .map(|r| r.ttl)
                        .min();
                    if let Some(ttl) = ttl {
                        positive = Some(positive.map_or(ttl, |p| p.min(ttl)));
                    }
                }
                Err(e) if e.is_no_records_found() => {
                    negative = min_opt(negative, negative_ttl(e));
                }
                Err(e) => failure = Some(format!("{kind} lookup: {}", describe(e))),
            }
        }
        if let Some(ttl) = positive {
            return (
                DomainVerdict::Deliverable {
                    via: Via::AddressFallback,
                },
                Some(Ttl::Positive(ttl)),
            );
        }
        if let Some(reason) = failure {
            return (unknown(format!("no MX records; {reason}")), None);
        }
        (
            DomainVerdict::NoMailDomain {
                reason: "no MX, A or AAAA records".to_owned(),
            },
            Some(Ttl::Negative(negative)),
        )
    }
}

impl MxLookup for DnsChecker {
    fn check<'a>(&'a self, domain: &'a str) -> VerdictFuture<'a> {
        Box::pin(self.check_domain(domain))
    }
}

/// The TTL that decides how long a verdict is cached.
#[derive(Clone, Copy, Debug)]
enum Ttl {
    /// Smallest TTL of the records the verdict rests on.
    Positive(u32),
    /// Negative TTL from the SOA (`None`: no SOA in the answer).
    Negative(Option<u32>),
}

fn unknown(reason: String) -> DomainVerdict {
    DomainVerdict::Unknown { reason }
}

fn min_opt(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The MX records of an answer and their smallest TTL.
fn mx_records(lookup: &Lookup) -> (Vec<MxRecord>, u32) {
    let mut ttl = u32::MAX;
    let records = lookup
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::MX(mx) => {
                ttl = ttl.min(r.ttl);
                let exchange = mx.exchange.to_lowercase().to_ascii();
                let exchange = exchange.trim_end_matches('.').to_owned();
                Some(MxRecord {
                    preference: mx.preference,
                    exchange,
                })
            }
            _ => None,
        })
        .collect();
    (records, ttl)
}

/// The negative TTL hickory derived from the SOA of a NoData / NXDOMAIN answer.
fn negative_ttl(e: &NetError) -> Option<u32> {
    match e {
        NetError::Dns(HickoryDnsError::NoRecordsFound(no_records)) => no_records.negative_ttl,
        _ => None,
    }
}

/// A short reason for an error that makes the verdict `Unknown`.
fn describe(e: &NetError) -> String {
    match e {
        NetError::Timeout => "resolver timeout".to_owned(),
        NetError::Dns(HickoryDnsError::ResponseCode(code)) => {
            format!("{code:?}").to_ascii_uppercase()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn with_servers_needs_a_server_but_no_runtime() {
        assert!(matches!(
            DnsChecker::with_servers(&[], DEFAULT_TIMEOUT),
            Err(DnsError::NoServers)
        ));
        // Built outside any Tokio runtime (the service builds it from config at start-up).
        let dns = DnsChecker::with_servers(&["127.0.0.1:53".parse().unwrap()], DEFAULT_TIMEOUT);
        assert_eq!(dns.unwrap().timeout(), DEFAULT_TIMEOUT);
    }

    #[tokio::test]
    async fn literals_and_invalid_names_are_answered_without_dns() {
        // Port 9 (discard) on loopback: nothing answers there, so any query would time out.
        let dns: Arc<dyn MxLookup> = Arc::new(
            DnsChecker::with_servers(&["127.0.0.1:9".parse().unwrap()], DEFAULT_TIMEOUT).unwrap(),
        );
        assert_eq!(
            dns.check("[IPv6:2001:db8::25]").await,
            DomainVerdict::Deliverable {
                via: Via::AddressLiteral("2001:db8::25".parse().unwrap())
            }
        );
        assert_eq!(
            dns.check("bad_name.example").await,
            DomainVerdict::NoMailDomain {
                reason: "invalid character '_' in bad_name.example".to_owned()
            }
        );
    }

    #[test]
    fn unknown_reasons_name_the_response_code() {
        let servfail = NetError::Dns(HickoryDnsError::ResponseCode(
            hickory_resolver::proto::op::ResponseCode::ServFail,
        ));
        assert_eq!(describe(&servfail), "SERVFAIL");
        assert_eq!(describe(&NetError::Timeout), "resolver timeout");
    }
}
