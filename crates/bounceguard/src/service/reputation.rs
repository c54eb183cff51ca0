//! The account's reputation as SES computes it (issue 6, items 3, 4 and 6): bounce rate = counted
//! hard bounces / eligible sends, complaint rate = complaints / eligible sends, over the last
//! `[reputation] window` eligible sends (default 10,000) (SES's "representative volume" is not published; the window is by
//! send count), with 24 h and 7 d views.
//!
//! An eligible send is a recipient decided `deliver`, whatever the transport; captured, held,
//! denied, suppressed and simulated recipients never are. Every instance on one database reads the
//! same stored outcomes, so every instance answers the same numbers.

use bounceguard_core::SesError;
use bounceguard_events::reputation::{
    Level, Recovery, ReputationWindow, SendOutcome, WindowCounts,
};
use bounceguard_store::{NewSendOutcome, OutcomeClass};
use serde::Serialize;

use super::{DAY_MS, Gateway, now_ms, store_error};

/// Rates over one set of sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    /// Eligible sends.
    pub sends: u64,
    /// Counted hard bounces.
    pub hard_bounces: u64,
    /// Complaints.
    pub complaints: u64,
    /// hard_bounces / sends.
    pub bounce_rate: f64,
    /// complaints / sends.
    pub complaint_rate: f64,
}

impl From<WindowCounts> for Rates {
    fn from(c: WindowCounts) -> Self {
        Self {
            sends: c.sends,
            hard_bounces: c.hard_bounces,
            complaints: c.complaints,
            bounce_rate: c.bounce_rate(),
            complaint_rate: c.complaint_rate(),
        }
    }
}

/// The reputation report (`GET /api/v1/reputation`, `bounceguard reputation`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reputation {
    /// `HEALTHY`, `WARNING`, `PROBATION` or `SHUTDOWN`.
    pub level: &'static str,
    /// What GetAccount reports (`WARNING` is ours; SES says HEALTHY then).
    pub enforcement_status: &'static str,
    /// The window size in eligible sends.
    pub window_size: usize,
    /// Rates over the window.
    pub window: Rates,
    /// Rates over the last 24 hours.
    pub last_24h: Rates,
    /// Rates over the last 7 days.
    pub last_7d: Rates,
    /// Clean deliveries needed to bring the bounce rate under SES's review threshold (5 %).
    pub clean_sends_to_under_5_percent: Option<u64>,
    /// Clean deliveries needed to bring it under the guard threshold.
    pub clean_sends_to_under_guard: Option<u64>,
}

/// The outcome class of a recipient decision.
pub fn outcome_class(decision: &str) -> OutcomeClass {
    match decision {
        "deliver" => OutcomeClass::Eligible,
        "suppress" => OutcomeClass::AccountSuppressed,
        "simulate" => OutcomeClass::Simulator,
        "deny" => OutcomeClass::Denied,
        _ => OutcomeClass::Captured,
    }
}

fn counts(row: bounceguard_store::WindowCountsRow) -> WindowCounts {
    WindowCounts {
        sends: row.sends,
        hard_bounces: row.hard_bounces,
        complaints: row.complaints,
    }
}

impl Gateway {
    /// Records the eligible sends of one accepted message (the rates' denominators), in the
    /// store and in the reputation guard's cached window.
    pub(super) async fn record_outcomes(&self, message_id: &str, sent: &[(String, String)]) {
        let outcomes: Vec<NewSendOutcome> = sent
            .iter()
            .filter(|(_, decision)| outcome_class(decision).is_eligible())
            .map(|(recipient, _)| NewSendOutcome {
                message_id: message_id.to_string(),
                recipient: recipient.clone(),
                class: OutcomeClass::Eligible,
                sent_ms: now_ms(),
            })
            .collect();
        if outcomes.is_empty() {
            return;
        }
        if let Err(e) = self.store.record_send_outcomes(&outcomes).await {
            tracing::error!(error = %e, message_id, "could not record send outcomes");
        }
        // The guard's cached window counts them at once (until its next read of the store).
        self.note_eligible_sends(outcomes.len()).await;
    }

    /// The current window, rebuilt from the store (the same on every instance).
    pub async fn reputation_window(&self) -> Result<ReputationWindow, SesError> {
        let outcomes = self
            .store
            .recent_outcomes(u32::try_from(self.config.reputation.window).unwrap_or(u32::MAX))
            .await
            .map_err(store_error)?;
        ReputationWindow::from_outcomes(
            self.config.reputation.window,
            outcomes.into_iter().map(|o| {
                (
                    u64::try_from(o.seq).unwrap_or_default(),
                    SendOutcome {
                        hard_bounce: o.hard_bounce,
                        complaint: o.complaint,
                    },
                )
            }),
        )
        .map_err(|e| {
            tracing::error!(error = %e, "rebuilding the reputation window");
            SesError::internal()
        })
    }

    /// The reputation report.
    pub async fn reputation(&self) -> Result<Reputation, SesError> {
        let thresholds = self.config.reputation.thresholds();
        let window = self.current_window().await?;
        let level: Level = window.level(&thresholds);
        let now = now_ms();
        let day = self
            .store
            .outcome_counts_since(now - DAY_MS)
            .await
            .map_err(store_error)?;
        let week = self
            .store
            .outcome_counts_since(now - 7 * DAY_MS)
            .await
            .map_err(store_error)?;
        let Recovery {
            under_probation,
            under_guard,
        } = window.recovery(&thresholds);
        Ok(Reputation {
            level: level.as_str(),
            enforcement_status: level.enforcement_status(),
            window_size: window.capacity(),
            window: window.counts().into(),
            last_24h: counts(day).into(),
            last_7d: counts(week).into(),
            clean_sends_to_under_5_percent: under_probation,
            clean_sends_to_under_guard: under_guard,
        })
    }
}
