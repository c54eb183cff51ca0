//! The overview: where the account stands (SES's EnforcementStatus and our level), the rates
//! over the window, 24 h and 7 d, the recovery projection, the bounce and complaint rates over
//! time with SES's and the guard's thresholds, and the recipients per decision in 24 h.
//!
//! The chart's data comes from `/ui/overview/series` (JSON); the page also lists the same
//! buckets in a table, so it reads without JavaScript.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use bounceguard_events::reputation::Thresholds;
use bounceguard_store::OutcomeBucket;
use serde::{Deserialize, Serialize};

use super::access::Visitor;
use super::messages::DECISIONS;
use super::pages::{Layout, error_page, percent, render, store_failure, when};
use crate::http::AppState;
use crate::service::now_ms;
use crate::service::reputation::{Rates, Reputation};

const HOUR_MS: i64 = 60 * 60 * 1000;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/", get(page))
        .route("/ui/overview/series", get(series))
}

/// The chart's period: the last 24 hours in 15-minute buckets, or 7 days in hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub(super) enum Range {
    /// 24 hours, 15-minute buckets.
    #[default]
    #[serde(rename = "24h")]
    Day,
    /// 7 days, 1-hour buckets.
    #[serde(rename = "7d")]
    Week,
}

impl Range {
    /// (period, bucket width) in ms.
    fn span(self) -> (i64, i64) {
        match self {
            Self::Day => (24 * HOUR_MS, HOUR_MS / 4),
            Self::Week => (7 * 24 * HOUR_MS, HOUR_MS),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Week => "7d",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct RangeQuery {
    #[serde(default)]
    range: Range,
}

/// A threshold in percent, as the chart draws it.
fn ppm_percent(ppm: u64) -> f64 {
    ppm as f64 / 10_000.0
}

/// The chart's data: per bucket, its start (Unix seconds), the rates in percent and the sends;
/// and the threshold lines in percent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Bucket width in seconds.
    pub bucket_s: i64,
    /// Start of the period shown, Unix seconds.
    pub from_s: i64,
    /// End of the period shown (now), Unix seconds.
    pub to_s: i64,
    /// Start of each bucket, Unix seconds.
    pub t: Vec<i64>,
    /// Bounce rate of each bucket's eligible sends, percent.
    pub bounce: Vec<f64>,
    /// Complaint rate of each bucket's eligible sends, percent.
    pub complaint: Vec<f64>,
    /// Eligible sends per bucket.
    pub sends: Vec<u64>,
    /// Guard, review and pause thresholds for bounces, percent.
    pub bounce_lines: Lines,
    /// Guard, review and pause thresholds for complaints, percent.
    pub complaint_lines: Lines,
}

/// Three thresholds of one rate, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lines {
    /// Our guard's threshold.
    pub guard: f64,
    /// SES review (probation).
    pub review: f64,
    /// SES may pause sending.
    pub pause: f64,
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The chart data of the buckets of the period `from_ms..to_ms`.
pub fn series_of(
    buckets: &[OutcomeBucket],
    bucket_ms: i64,
    (from_ms, to_ms): (i64, i64),
    thresholds: &Thresholds,
) -> Series {
    Series {
        bucket_s: bucket_ms / 1000,
        from_s: from_ms / 1000,
        to_s: to_ms / 1000,
        t: buckets.iter().map(|b| b.start_ms / 1000).collect(),
        bounce: buckets
            .iter()
            .map(|b| rate(b.hard_bounces, b.sends))
            .collect(),
        complaint: buckets
            .iter()
            .map(|b| rate(b.complaints, b.sends))
            .collect(),
        sends: buckets.iter().map(|b| b.sends).collect(),
        bounce_lines: Lines {
            guard: ppm_percent(thresholds.guard_bounce),
            review: ppm_percent(thresholds.probation_bounce),
            pause: ppm_percent(thresholds.shutdown_bounce),
        },
        complaint_lines: Lines {
            guard: ppm_percent(thresholds.guard_complaint),
            review: ppm_percent(thresholds.probation_complaint),
            pause: ppm_percent(thresholds.shutdown_complaint),
        },
    }
}

async fn series(State(state): State<AppState>, Query(query): Query<RangeQuery>) -> Response {
    let (period, bucket) = query.range.span();
    let now = now_ms();
    match state
        .gateway
        .store()
        .outcome_series(now - period, bucket)
        .await
    {
        Ok(buckets) => Json(series_of(
            &buckets,
            bucket,
            (now - period, now),
            &Thresholds::default(),
        ))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "overview series: store failure");
            (
                http::StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({"message": "store failure"})),
            )
                .into_response()
        }
    }
}

/// One line of a rates table.
struct RatesLine {
    label: &'static str,
    sends: u64,
    hard_bounces: u64,
    complaints: u64,
    bounce_rate: String,
    complaint_rate: String,
}

impl RatesLine {
    fn new(label: &'static str, r: &Rates) -> Self {
        Self {
            label,
            sends: r.sends,
            hard_bounces: r.hard_bounces,
            complaints: r.complaints,
            bounce_rate: percent(r.bounce_rate),
            complaint_rate: percent(r.complaint_rate),
        }
    }
}

/// One bucket of the no-script table.
struct BucketLine {
    start: String,
    sends: u64,
    hard_bounces: u64,
    complaints: u64,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    layout: Layout,
    range: &'static str,
    level: &'static str,
    enforcement_status: &'static str,
    window_size: usize,
    rates: Vec<RatesLine>,
    to_under_review: String,
    to_under_guard: String,
    thresholds: Vec<(&'static str, String, String)>,
    decisions: Vec<(&'static str, u64)>,
    buckets: Vec<BucketLine>,
}

fn projection(sends: Option<u64>) -> String {
    match sends {
        Some(0) => "already under".into(),
        Some(n) => format!("{n} clean deliveries"),
        None => "not reachable by deliveries alone".into(),
    }
}

async fn page(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Query(query): Query<RangeQuery>,
) -> Response {
    let report: Reputation = match state.gateway.reputation().await {
        Ok(report) => report,
        Err(e) => {
            tracing::error!(error = %e.message, "overview: reputation failed");
            return error_page(
                &visitor,
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "The reputation could not be read; see the server log.",
            );
        }
    };
    let store = state.gateway.store();
    let now = now_ms();
    let counts = match store.decision_counts_since(now - 24 * HOUR_MS).await {
        Ok(counts) => counts,
        Err(e) => return store_failure(&visitor, e),
    };
    let (period, bucket) = query.range.span();
    let buckets = match store.outcome_series(now - period, bucket).await {
        Ok(buckets) => buckets,
        Err(e) => return store_failure(&visitor, e),
    };
    let t = Thresholds::default();
    let pct = |ppm: u64| percent(ppm as f64 / 1_000_000.0);
    render(&OverviewPage {
        layout: Layout::new("overview", &visitor),
        range: query.range.as_str(),
        level: report.level,
        enforcement_status: report.enforcement_status,
        window_size: report.window_size,
        rates: vec![
            RatesLine::new("Window", &report.window),
            RatesLine::new("Last 24 h", &report.last_24h),
            RatesLine::new("Last 7 d", &report.last_7d),
        ],
        to_under_review: projection(report.clean_sends_to_under_5_percent),
        to_under_guard: projection(report.clean_sends_to_under_guard),
        thresholds: vec![
            ("Guard (held)", pct(t.guard_bounce), pct(t.guard_complaint)),
            (
                "SES review",
                pct(t.probation_bounce),
                pct(t.probation_complaint),
            ),
            (
                "SES pause",
                pct(t.shutdown_bounce),
                pct(t.shutdown_complaint),
            ),
        ],
        decisions: DECISIONS
            .iter()
            .map(|d| {
                let n = counts
                    .iter()
                    .find(|(word, _)| word == d)
                    .map_or(0, |(_, n)| *n);
                (*d, n)
            })
            .collect(),
        buckets: buckets
            .iter()
            .rev()
            .map(|b| BucketLine {
                start: when(b.start_ms),
                sends: b.sends,
                hard_bounces: b.hard_bounces,
                complaints: b.complaints,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_rates_are_percent_of_each_bucket() {
        let buckets = [
            OutcomeBucket {
                start_ms: 900_000,
                sends: 40,
                hard_bounces: 2,
                complaints: 0,
            },
            OutcomeBucket {
                start_ms: 1_800_000,
                sends: 1000,
                hard_bounces: 0,
                complaints: 1,
            },
        ];
        let s = series_of(&buckets, 900_000, (0, 3_600_000), &Thresholds::default());
        assert_eq!(s.bucket_s, 900);
        assert_eq!((s.from_s, s.to_s), (0, 3600));
        assert_eq!(s.t, vec![900, 1800]);
        assert_eq!(s.bounce, vec![5.0, 0.0]);
        assert_eq!(s.complaint, vec![0.0, 0.1]);
        assert_eq!(s.bounce_lines.review, 5.0);
        assert_eq!(s.bounce_lines.pause, 10.0);
        assert_eq!(s.bounce_lines.guard, 2.5);
        assert_eq!(s.complaint_lines.review, 0.1);
        assert_eq!(s.complaint_lines.pause, 0.5);
    }
}
