//! Wire-level tests: a hickory-server authoritative zone on 127.0.0.1 (UDP and TCP) and
//! the real resolver path of `DnsChecker::with_servers`. Nothing leaves the loopback.
#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bounceguard_dns::{
    CachePolicy, DnsChecker, DnsCounters, DomainVerdict, ManualClock, MxLookup, Via,
};
use hickory_server::Server;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::net::xfer::Protocol;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, MX, NS, SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};
use tokio::net::{TcpListener, UdpSocket};

const ZONE: &str = "test-zone.example.";
/// SOA MINIMUM of the zone: the negative TTL (RFC 2308 §5, min(SOA TTL, MINIMUM)).
const NEGATIVE_TTL: u32 = 30;
/// Delay the handler adds for `slow.` names.
const SLOW: Duration = Duration::from_millis(300);

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn record(owner: &str, ttl: u32, data: RData) -> Record {
    Record::from_rdata(name(&format!("{owner}.{ZONE}")), ttl, data)
}

fn mx(preference: u16, exchange: &str) -> RData {
    let exchange = if exchange == "." {
        Name::root()
    } else {
        name(&format!("{exchange}.{ZONE}"))
    };
    RData::MX(MX::new(preference, exchange))
}

fn a(last: u8) -> RData {
    RData::A(A::new(192, 0, 2, last))
}

/// The zone of the tests (owner names relative to `test-zone.example.`).
fn zone_records() -> Vec<Record> {
    let soa = SOA::new(
        name(&format!("ns.{ZONE}")),
        name(&format!("hostmaster.{ZONE}")),
        1,
        3600,
        600,
        86_400,
        NEGATIVE_TTL,
    );
    let mut records = vec![
        Record::from_rdata(name(ZONE), 3600, RData::SOA(soa)),
        Record::from_rdata(name(ZONE), 3600, RData::NS(NS(name(&format!("ns.{ZONE}"))))),
        record("ns", 3600, a(1)),
        // An ordinary MX domain, its mail host has an address.
        record("mx", 60, mx(10, "mail.mx")),
        record("mail.mx", 60, a(10)),
        // Two MX hosts, listed out of preference order.
        record("multi", 300, mx(20, "backup.multi")),
        record("multi", 300, mx(10, "primary.multi")),
        // RFC 7505 null MX.
        record("nullmx", 300, mx(0, ".")),
        // No MX, but addresses: the implicit MX of RFC 5321 §5.1.
        record("aonly", 120, a(20)),
        record(
            "v6only",
            120,
            RData::AAAA(AAAA::from(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
        ),
        // The name exists (TXT) but has no MX, A or AAAA: NoData everywhere.
        record(
            "empty",
            300,
            RData::TXT(TXT::new(vec!["v=spf1 -all".into()])),
        ),
        // TTLs outside the cache bounds.
        record("shortttl", 1, mx(10, "mail.mx")),
        record("longttl", 86_400, mx(10, "mail.mx")),
        // Answered after SLOW by the handler.
        record("slow", 60, mx(10, "mail.mx")),
        // "bücher" in punycode (RFC 3492 / UTS #46).
        record("xn--bcher-kva", 60, mx(10, "mail.mx")),
    ];
    // Too many MX records for a UDP answer: the resolver must retry over TCP.
    for i in 0..80 {
        records.push(record(
            "big",
            300,
            mx(10 + i, &format!("host-number-{i:03}.big")),
        ));
    }
    records
}

/// Every query the server received: (name without trailing dot, type, transport).
#[derive(Clone, Default)]
struct QueryLog(Arc<Mutex<Vec<(String, RecordType, Protocol)>>>);

impl QueryLog {
    fn count(&self, owner: &str, rtype: RecordType) -> usize {
        let full = format!("{owner}.{}", ZONE.trim_end_matches('.'));
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, t, _)| *n == full && *t == rtype)
            .count()
    }

    fn protocols(&self, owner: &str) -> Vec<Protocol> {
        let full = format!("{owner}.{}", ZONE.trim_end_matches('.'));
        let log = self.0.lock().unwrap();
        log.iter()
            .filter(|(n, ..)| *n == full)
            .map(|(.., p)| *p)
            .collect()
    }

    fn total(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// The catalog, plus a query log, SERVFAIL for `servfail.` names and a delay for `slow.`.
struct TestHandler {
    catalog: Catalog,
    log: QueryLog,
}

#[async_trait::async_trait]
impl RequestHandler for TestHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        if let Ok(info) = request.request_info() {
            // Name's Display decodes punycode; log the wire (ASCII) form.
            let qname = Name::from(info.query.name().clone()).to_ascii();
            let qname = qname.to_ascii_lowercase();
            let qname = qname.trim_end_matches('.').to_owned();
            let qtype = info.query.query_type();
            self.log
                .0
                .lock()
                .unwrap()
                .push((qname.clone(), qtype, request.protocol()));
            if qname.starts_with("servfail.") {
                let response = MessageResponseBuilder::new(&request.queries, None)
                    .error_msg(&request.metadata, ResponseCode::ServFail);
                return match response_handle.send_response(response).await {
                    Ok(info) => info,
                    Err(_) => ResponseInfo::from(Header {
                        metadata: Metadata::response_from_request(&request.metadata),
                        counts: HeaderCounts::default(),
                    }),
                };
            }
            if qname.starts_with("slow.") {
                tokio::time::sleep(SLOW).await;
            }
        }
        self.catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

/// A UDP socket and a TCP listener on the same 127.0.0.1 port.
async fn bind_udp_and_tcp() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = udp.local_addr().unwrap().port();
        if let Ok(tcp) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            return (udp, tcp);
        }
    }
    panic!("no port free for both UDP and TCP on 127.0.0.1");
}

/// The authoritative test server; stops when dropped.
struct TestZone {
    addr: SocketAddr,
    log: QueryLog,
    _server: Server<TestHandler>,
}

async fn start_zone() -> TestZone {
    let origin = name(ZONE);
    let mut zone = InMemoryZoneHandler::<TokioRuntimeProvider>::empty(
        origin.clone(),
        ZoneType::Primary,
        AxfrPolicy::Deny,
    );
    for r in zone_records() {
        assert!(zone.upsert_mut(r, 1), "record rejected by the zone");
    }
    let mut catalog = Catalog::new();
    catalog.upsert(LowerName::new(&origin), vec![Arc::new(zone)]);
    let log = QueryLog::default();
    let mut server = Server::new(TestHandler {
        catalog,
        log: log.clone(),
    });
    let (udp, tcp) = bind_udp_and_tcp().await;
    let addr = udp.local_addr().unwrap();
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 32);
    TestZone {
        addr,
        log,
        _server: server,
    }
}

fn checker(servers: &[SocketAddr], timeout: Duration, clock: &Arc<ManualClock>) -> DnsChecker {
    DnsChecker::with_servers(servers, timeout)
        .unwrap()
        .with_clock(clock.clone())
}

fn domain(owner: &str) -> String {
    format!("{owner}.{}", ZONE.trim_end_matches('.'))
}

fn mx_via(hosts: &[&str]) -> DomainVerdict {
    DomainVerdict::Deliverable {
        via: Via::Mx(hosts.iter().map(|h| domain(h)).collect()),
    }
}

#[tokio::test]
async fn each_kind_of_domain_gets_its_verdict() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[zone.addr], Duration::from_secs(2), &clock);

    let no_mail = |reason: &str| DomainVerdict::NoMailDomain {
        reason: reason.to_owned(),
    };
    let table = [
        ("mx", mx_via(&["mail.mx"])),
        ("multi", mx_via(&["primary.multi", "backup.multi"])),
        ("nullmx", DomainVerdict::NullMx),
        (
            "aonly",
            DomainVerdict::Deliverable {
                via: Via::AddressFallback,
            },
        ),
        (
            "v6only",
            DomainVerdict::Deliverable {
                via: Via::AddressFallback,
            },
        ),
        ("empty", no_mail("no MX, A or AAAA records")),
        ("missing", no_mail("NXDOMAIN")),
    ];
    for (owner, expected) in &table {
        assert_eq!(&dns.check(&domain(owner)).await, expected, "{owner}");
    }
    assert!(dns.check(&domain("nullmx")).await.would_hard_bounce());
    assert!(dns.check(&domain("missing")).await.would_hard_bounce());

    // NXDOMAIN does not fall back to A/AAAA; NoData does (RFC 5321 §5.1).
    assert_eq!(zone.log.count("missing", RecordType::A), 0);
    assert_eq!(zone.log.count("aonly", RecordType::A), 1);
    assert_eq!(zone.log.count("aonly", RecordType::AAAA), 1);
    // An MX answer needs no address query.
    assert_eq!(zone.log.count("mx", RecordType::A), 0);
}

#[tokio::test]
async fn names_are_normalised_before_the_query_and_bad_ones_are_never_sent() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[zone.addr], Duration::from_secs(2), &clock);

    assert_eq!(
        dns.check("MX.Test-Zone.Example.").await,
        mx_via(&["mail.mx"])
    );
    // Same domain after normalisation: answered from the cache.
    assert_eq!(
        dns.check("mx.test-zone.example").await,
        mx_via(&["mail.mx"])
    );
    assert_eq!(zone.log.count("mx", RecordType::MX), 1);

    // The IDN is queried in punycode.
    assert_eq!(
        dns.check("Bücher.test-zone.example").await,
        mx_via(&["mail.mx"])
    );
    assert_eq!(zone.log.count("xn--bcher-kva", RecordType::MX), 1);

    let before = zone.log.total();
    let literal = dns.check("[192.0.2.7]").await;
    assert_eq!(
        literal,
        DomainVerdict::Deliverable {
            via: Via::AddressLiteral("192.0.2.7".parse().unwrap())
        }
    );
    for bad in [
        "under_score.test-zone.example",
        "a..test-zone.example",
        "x.invalid",
        "[1.2.3]",
    ] {
        let verdict = dns.check(bad).await;
        assert!(
            matches!(&verdict, DomainVerdict::NoMailDomain { .. }),
            "{bad}: {verdict:?}"
        );
    }
    assert_eq!(
        zone.log.total(),
        before,
        "no query for literals or invalid names"
    );
    assert_eq!(dns.counters().lookups, 2);
}

#[tokio::test]
async fn answer_too_big_for_udp_is_fetched_over_tcp() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[zone.addr], Duration::from_secs(2), &clock);

    let DomainVerdict::Deliverable {
        via: Via::Mx(hosts),
    } = dns.check(&domain("big")).await
    else {
        panic!("big.test-zone.example should be deliverable");
    };
    assert_eq!(hosts.len(), 80);
    assert_eq!(hosts[0], domain("host-number-000.big"));
    assert_eq!(hosts[79], domain("host-number-079.big"));
    assert_eq!(
        zone.log.protocols("big"),
        vec![Protocol::Udp, Protocol::Tcp]
    );
}

#[tokio::test]
async fn positive_answer_is_cached_for_the_record_ttl() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[zone.addr], Duration::from_secs(2), &clock);
    let mx = domain("mx"); // TTL 60

    assert_eq!(dns.check(&mx).await, mx_via(&["mail.mx"]));
    assert_eq!(dns.check(&mx).await, mx_via(&["mail.mx"]));
    assert_eq!(
        dns.counters(),
        DnsCounters {
            lookups: 1,
            cache_hits: 1,
            ..DnsCounters::default()
        }
    );
    assert_eq!(zone.log.count("mx", RecordType::MX), 1);

    clock.advance(Duration::from_secs(59));
    dns.check(&mx).await;
    assert_eq!(
        zone.log.count("mx", RecordType::MX),
        1,
        "still cached at 59 s"
    );

    clock.advance(Duration::from_secs(2));
    assert_eq!(dns.check(&mx).await, mx_via(&["mail.mx"]));
    assert_eq!(
        zone.log.count("mx", RecordType::MX),
        2,
        "queried again after 61 s"
    );
    assert_eq!(dns.counters().lookups, 2);
    assert_eq!(dns.counters().cache_hits, 2);
}

#[tokio::test]
async fn negative_answer_is_cached_for_the_soa_negative_ttl() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[zone.addr], Duration::from_secs(2), &clock);

    for owner in ["missing", "empty"] {
        let d = domain(owner);
        assert!(dns.check(&d).await.would_hard_bounce(), "{owner}");
        clock.advance(Duration::from_secs(u64::from(NEGATIVE_TTL) - 1));
        assert!(dns.check(&d).await.would_hard_bounce(), "{owner}");
        assert_eq!(zone.log.count(owner, RecordType::MX), 1, "{owner} cached");
        clock.advance(Duration::from_secs(2));
        assert!(dns.check(&d).await.would_hard_bounce(), "{owner}");
        assert_eq!(zone.log.count(owner, RecordType::MX), 2, "{owner} expired");
    }
}

#[tokio::test]
async fn record_ttls_are_clamped_by_the_cache_policy() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[zone.addr], Duration::from_secs(2), &clock);
    let policy = CachePolicy::default();

    // TTL 1 is kept for min_ttl (5 s).
    dns.check(&domain("shortttl")).await;
    clock.advance(policy.min_ttl - Duration::from_secs(1));
    dns.check(&domain("shortttl")).await;
    assert_eq!(zone.log.count("shortttl", RecordType::MX), 1);
    clock.advance(Duration::from_secs(2));
    dns.check(&domain("shortttl")).await;
    assert_eq!(zone.log.count("shortttl", RecordType::MX), 2);

    // TTL 86400 is kept for max_ttl (1 h) only.
    dns.check(&domain("longttl")).await;
    clock.advance(policy.max_ttl + Duration::from_secs(1));
    dns.check(&domain("longttl")).await;
    assert_eq!(zone.log.count("longttl", RecordType::MX), 2);
}

#[tokio::test]
async fn servfail_and_refused_are_unknown_and_fail_open() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[zone.addr], Duration::from_secs(2), &clock);

    let verdict = dns.check(&domain("servfail")).await;
    assert!(
        matches!(&verdict, DomainVerdict::Unknown { reason } if reason.contains("SERVFAIL")),
        "{verdict:?}"
    );
    assert!(!verdict.would_hard_bounce());
    // A zone this server is not authoritative for: REFUSED.
    let verdict = dns.check("elsewhere.example").await;
    assert!(
        matches!(&verdict, DomainVerdict::Unknown { reason } if reason.contains("REFUSED")),
        "{verdict:?}"
    );
    assert_eq!(dns.counters().fail_open, 2);
}

#[tokio::test]
async fn silent_server_gives_unknown_within_the_timeout_and_the_outage_is_cached_briefly() {
    // A UDP socket and a TCP listener that never answer.
    let (silent_udp, silent_tcp) = bind_udp_and_tcp().await;
    let addr = silent_udp.local_addr().unwrap();
    let timeout = Duration::from_millis(500);
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[addr], timeout, &clock);

    let started = Instant::now();
    let verdict = dns.check("mx.test-zone.example").await;
    let waited = started.elapsed();
    assert!(
        matches!(&verdict, DomainVerdict::Unknown { reason } if reason.contains("timeout")),
        "{verdict:?}"
    );
    assert!(!verdict.would_hard_bounce(), "fail open");
    assert!(
        waited >= timeout - Duration::from_millis(50),
        "waited {waited:?}"
    );
    // Margin for a loaded 2-core CI machine; the budget itself is enforced by the checker.
    assert!(
        waited < timeout + Duration::from_millis(500),
        "waited {waited:?}"
    );
    eprintln!("fail-open answer after {waited:?} with a {timeout:?} timeout");

    // The next message to the domain does not wait again ...
    let started = Instant::now();
    assert!(dns.check("mx.test-zone.example").await.is_unknown());
    assert!(started.elapsed() < timeout / 2, "answered from the cache");
    assert_eq!(
        dns.counters(),
        DnsCounters {
            lookups: 1,
            cache_hits: 1,
            coalesced: 0,
            fail_open: 2,
        }
    );
    // ... until the short Unknown TTL (5 s) has passed.
    clock.advance(CachePolicy::default().unknown_ttl + Duration::from_millis(1));
    let started = Instant::now();
    assert!(dns.check("mx.test-zone.example").await.is_unknown());
    assert!(started.elapsed() >= timeout - Duration::from_millis(50));
    assert_eq!(dns.counters().lookups, 2);
    assert_eq!(dns.counters().fail_open, 3);
    drop((silent_udp, silent_tcp));
}

#[tokio::test]
async fn a_silent_server_next_to_a_working_one_does_not_fail_the_check() {
    let zone = start_zone().await;
    let (silent_udp, _silent_tcp) = bind_udp_and_tcp().await;
    let silent = silent_udp.local_addr().unwrap();
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[silent, zone.addr], Duration::from_secs(2), &clock);

    assert_eq!(dns.check(&domain("mx")).await, mx_via(&["mail.mx"]));
    assert_eq!(dns.counters().fail_open, 0);
}

#[tokio::test]
async fn concurrent_checks_of_one_domain_share_one_lookup() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = Arc::new(checker(&[zone.addr], Duration::from_secs(2), &clock));

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let dns = dns.clone();
        tasks.spawn(async move { dns.check(&domain("slow")).await });
    }
    while let Some(verdict) = tasks.join_next().await {
        assert_eq!(verdict.unwrap(), mx_via(&["mail.mx"]));
    }
    assert_eq!(zone.log.count("slow", RecordType::MX), 1);
    let counters = dns.counters();
    assert_eq!((counters.lookups, counters.coalesced), (1, 9));
}

#[tokio::test]
async fn a_cancelled_lookup_does_not_block_the_next_caller() {
    let zone = start_zone().await;
    let clock = Arc::new(ManualClock::new());
    let dns = checker(&[zone.addr], Duration::from_secs(2), &clock);

    // The first caller gives up before the slow answer arrives.
    let gave_up = tokio::time::timeout(SLOW / 3, dns.check(&domain("slow"))).await;
    assert!(gave_up.is_err());
    // The next caller leads a new lookup instead of waiting forever.
    let verdict = tokio::time::timeout(SLOW * 4, dns.check(&domain("slow"))).await;
    assert_eq!(verdict.ok(), Some(mx_via(&["mail.mx"])));
    assert_eq!(dns.counters().lookups, 2);
}
