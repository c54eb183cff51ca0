//! `GET /metrics`: the gateway's Prometheus metrics (issue 6, item 8), in the Prometheus text
//! format 0.0.4.
//!
//! One explicit [`Registry`] per [`Gateway`] (prometheus-client, no global recorder), so two
//! gateways in one test process never share a counter. Counters are bumped where things happen
//! (a send recorded, an event applied, an SNS message refused); the reputation gauges are read
//! from the store at scrape time, so every instance on one database shows the account's numbers.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `bounceguard_sends_total` | counter | `decision`: recipients recorded, by decision |
//! | `bounceguard_events_total` | counter | `type`: SES events applied (redeliveries not counted) |
//! | `bounceguard_sns_rejected_total` | counter | `reason`: SNS messages refused |
//! | `bounceguard_store_commit_seconds` | histogram | time to record one send durably |
//! | `bounceguard_store_commits_total` | counter | transactions of the send writer (read at scrape time) |
//! | `bounceguard_store_committed_sends_total` | counter | sends those transactions committed; over commits: the mean group size |
//! | `bounceguard_store_failed_commits_total` | counter | writer transactions that failed (their sends were answered with the error or retried alone) |
//! | `bounceguard_bounce_rate` | gauge | bounce rate over the window (0–1) |
//! | `bounceguard_complaint_rate` | gauge | complaint rate over the window (0–1) |
//! | `bounceguard_window_sends` | gauge | eligible sends in the window |
//! | `bounceguard_reputation_level` | gauge | 0 HEALTHY, 1 WARNING, 2 PROBATION, 3 SHUTDOWN |

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use bounceguard_core::SesError;
use bounceguard_events::reputation::Level;
use bounceguard_store::{NewMessage, Store, StoreError};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::service::Gateway;

/// The `Content-Type` of the answer (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The recipient decisions the guard makes, shown at 0 before the first send.
pub const DECISIONS: &[&str] = &["deliver", "capture", "deny", "suppress", "simulate", "hold"];

/// The SES event types most often seen, shown at 0 before the first event.
const EVENT_TYPES: &[&str] = &[
    "Send",
    "Delivery",
    "Bounce",
    "Complaint",
    "Reject",
    "DeliveryDelay",
];

/// Why SNS messages are refused (see [`sns_reason`](crate::service::sns)), shown at 0.
pub const SNS_REASONS: &[&str] = &[
    "unparsable",
    "unsigned",
    "unsupported_signature_version",
    "foreign_cert_url",
    "cert_fetch",
    "bad_certificate",
    "bad_signature",
    "topic_not_allowed",
    "foreign_subscribe_url",
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabel {
    decision: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabel {
    r#type: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

/// The registry and its metric families.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    sends: Family<DecisionLabel, Counter>,
    /// The counters of [`DECISIONS`], in that order: counting a send is one atomic add.
    known_sends: Vec<Counter>,
    events: Family<TypeLabel, Counter>,
    sns_rejected: Family<ReasonLabel, Counter>,
    store_commit: Histogram,
    bounce_rate: Gauge<f64, AtomicU64>,
    complaint_rate: Gauge<f64, AtomicU64>,
    window_sends: Gauge,
    level: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every family registered and the known label values at 0.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let sends = Family::<DecisionLabel, Counter>::default();
        let events = Family::<TypeLabel, Counter>::default();
        let sns_rejected = Family::<ReasonLabel, Counter>::default();
        // 100 µs to about 3.3 s: a grouped SQLite or PostgreSQL commit.
        let store_commit = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let bounce_rate = Gauge::<f64, AtomicU64>::default();
        let complaint_rate = Gauge::<f64, AtomicU64>::default();
        let window_sends = Gauge::default();
        let level = Gauge::default();
        registry.register(
            "bounceguard_sends",
            "Recipients of recorded sends, by decision (deliver, capture, deny, suppress, simulate, hold)",
            sends.clone(),
        );
        registry.register(
            "bounceguard_events",
            "SES events applied, by type (SNS redeliveries are not counted)",
            events.clone(),
        );
        registry.register(
            "bounceguard_sns_rejected",
            "SNS messages refused, by reason (signature checks and topics not configured)",
            sns_rejected.clone(),
        );
        registry.register_with_unit(
            "bounceguard_store_commit",
            "Time to record one send durably in the store",
            Unit::Seconds,
            store_commit.clone(),
        );
        registry.register(
            "bounceguard_bounce_rate",
            "Hard bounces over eligible sends in the rate window (0 to 1), read at scrape time",
            bounce_rate.clone(),
        );
        registry.register(
            "bounceguard_complaint_rate",
            "Complaints over eligible sends in the rate window (0 to 1), read at scrape time",
            complaint_rate.clone(),
        );
        registry.register(
            "bounceguard_window_sends",
            "Eligible sends in the rate window, read at scrape time",
            window_sends.clone(),
        );
        registry.register(
            "bounceguard_reputation_level",
            "Reputation level: 0 HEALTHY, 1 WARNING (the guard threshold), 2 PROBATION, 3 SHUTDOWN",
            level.clone(),
        );
        let known_sends = DECISIONS
            .iter()
            .map(|decision| {
                sends.get_or_create_owned(&DecisionLabel {
                    decision: (*decision).to_string(),
                })
            })
            .collect();
        for event_type in EVENT_TYPES {
            let _ = events.get_or_create(&TypeLabel {
                r#type: (*event_type).to_string(),
            });
        }
        for reason in SNS_REASONS {
            let _ = sns_rejected.get_or_create(&ReasonLabel {
                reason: (*reason).to_string(),
            });
        }
        Self {
            registry,
            sends,
            known_sends,
            events,
            sns_rejected,
            store_commit,
            bounce_rate,
            complaint_rate,
            window_sends,
            level,
        }
    }

    /// Registers the counters of `store`'s send writer, read from it at each scrape.
    pub fn register_store_writer(&mut self, store: Store) {
        self.registry
            .register_collector(Box::new(WriterCollector { store }));
    }

    /// Counts one recorded recipient with its decision.
    pub fn send_decided(&self, decision: &str) {
        if let Some(i) = DECISIONS.iter().position(|d| *d == decision)
            && let Some(counter) = self.known_sends.get(i)
        {
            counter.inc();
            return;
        }
        self.sends
            .get_or_create(&DecisionLabel {
                decision: decision.to_string(),
            })
            .inc();
    }

    /// Counts one applied SES event.
    pub fn event_applied(&self, event_type: &str) {
        self.events
            .get_or_create(&TypeLabel {
                r#type: event_type.to_string(),
            })
            .inc();
    }

    /// Counts one refused SNS message.
    pub fn sns_rejected(&self, reason: &str) {
        self.sns_rejected
            .get_or_create(&ReasonLabel {
                reason: reason.to_string(),
            })
            .inc();
    }

    /// Records how long one durable send record took.
    pub fn store_commit(&self, seconds: f64) {
        self.store_commit.observe(seconds);
    }

    /// Sets the reputation gauges.
    pub fn set_reputation(
        &self,
        window_sends: u64,
        bounce_rate: f64,
        complaint_rate: f64,
        level: Level,
    ) {
        self.window_sends
            .set(i64::try_from(window_sends).unwrap_or(i64::MAX));
        self.bounce_rate.set(bounce_rate);
        self.complaint_rate.set(complaint_rate);
        self.level.set(level_number(level));
    }

    /// The registry in the Prometheus text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The send writer's counters, as counters (the store keeps them; a scrape reads them).
struct WriterCollector {
    store: Store,
}

impl std::fmt::Debug for WriterCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterCollector")
    }
}

impl Collector for WriterCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.store.writer_stats();
        for (name, help, value) in [
            (
                "bounceguard_store_commits",
                "Transactions committed by the send writer (each commits a group of sends)",
                stats.commits,
            ),
            (
                "bounceguard_store_committed_sends",
                "Sends committed by the send writer; divided by bounceguard_store_commits_total, the mean group size",
                stats.messages,
            ),
            (
                "bounceguard_store_failed_commits",
                "Send-writer transactions that failed (their sends got the error, or were retried one by one)",
                stats.failed_batches,
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

/// The gauge value of a level.
pub fn level_number(level: Level) -> i64 {
    match level {
        Level::Healthy => 0,
        Level::Warning => 1,
        Level::Probation => 2,
        Level::Shutdown => 3,
    }
}

impl Gateway {
    /// `store.record_send`, timed into `bounceguard_store_commit_seconds`; once the record is
    /// durable, each recipient is counted in `bounceguard_sends_total` by its decision.
    pub(crate) async fn record_send_metered(&self, message: NewMessage) -> Result<(), StoreError> {
        // Counted after the commit, so the message is moved into the store: keep the decisions.
        let decisions: Vec<String> = message
            .recipients
            .iter()
            .map(|r| r.decision.clone())
            .collect();
        let started = Instant::now();
        let recorded = self.store().record_send(message).await;
        self.metrics().store_commit(started.elapsed().as_secs_f64());
        if recorded.is_ok() {
            for decision in &decisions {
                self.metrics().send_decided(decision);
            }
        }
        recorded
    }

    /// The metrics text, with the reputation gauges read from the store now.
    pub async fn metrics_text(&self) -> Result<String, SesError> {
        let window = self.current_window().await?;
        let counts = window.counts();
        self.metrics().set_reputation(
            counts.sends,
            counts.bounce_rate(),
            counts.complaint_rate(),
            window.level(&self.config().reputation.thresholds()),
        );
        self.metrics().encode().map_err(|e| {
            tracing::error!(error = %e, "encoding the metrics");
            SesError::internal()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_start_at_zero_and_count() {
        let metrics = Metrics::new();
        let text = metrics.encode().expect("encodes");
        assert!(
            text.contains("bounceguard_sends_total{decision=\"hold\"} 0\n"),
            "{text}"
        );
        metrics.send_decided("deliver");
        metrics.send_decided("deliver");
        metrics.send_decided("quarantine");
        metrics.event_applied("Bounce");
        metrics.sns_rejected("bad_signature");
        metrics.store_commit(0.003);
        let text = metrics.encode().expect("encodes");
        assert!(text.contains("bounceguard_sends_total{decision=\"deliver\"} 2\n"));
        // A decision this module does not know yet still gets its own series.
        assert!(text.contains("bounceguard_sends_total{decision=\"quarantine\"} 1\n"));
        assert!(text.contains("bounceguard_events_total{type=\"Bounce\"} 1\n"));
        assert!(text.contains("bounceguard_sns_rejected_total{reason=\"bad_signature\"} 1\n"));
        assert!(text.contains("bounceguard_store_commit_seconds_count 1\n"));
        // 0.003 s falls in the bucket 0.0001 · 2^5 = 0.0032.
        assert!(
            text.contains("bounceguard_store_commit_seconds_bucket{le=\"0.0032\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("bounceguard_store_commit_seconds_bucket{le=\"0.0016\"} 0\n"));
    }

    #[test]
    fn two_registries_do_not_share_counters() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.send_decided("capture");
        let text = b.encode().expect("encodes");
        assert!(text.contains("bounceguard_sends_total{decision=\"capture\"} 0\n"));
    }

    #[test]
    fn levels_are_numbered_in_order_of_severity() {
        assert_eq!(
            [
                Level::Healthy,
                Level::Warning,
                Level::Probation,
                Level::Shutdown
            ]
            .map(level_number),
            [0, 1, 2, 3]
        );
    }
}
