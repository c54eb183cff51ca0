//! The account's bounce and complaint rates as SES computes them (ses-spec §5), over a window of
//! the last N eligible sends, and the levels, guard threshold and recovery projection built on
//! them.
//!
//! Pure: the window is built from sends and outcomes passed in (the service keeps one row per
//! eligible send with its outcome in the database, so every instance rebuilds the same window
//! with [`ReputationWindow::from_outcomes`]); nothing here reads a clock. Rates are compared as
//! exact integer fractions in parts per million, so `5 / 100` is exactly at 5 %.
//!
//! Hand-written: SES's rules (what is eligible, what counts) are the domain itself.

use std::collections::VecDeque;

use crate::ses::Bounce;

/// The default window: the last 10,000 eligible sends (SES's "representative volume" is not
/// published; an AWS notice quoted in §5 measured over 10,192).
pub const DEFAULT_WINDOW: usize = 10_000;

/// Parts per million: 1 % is 10,000 ppm.
pub type Ppm = u64;

const MILLION: u128 = 1_000_000;

/// The rate limits, in parts per million.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Our guard's bounce threshold (default 2.5 %): at or above it, risky sends are held.
    pub guard_bounce: Ppm,
    /// Our guard's complaint threshold (default 0.05 %).
    pub guard_complaint: Ppm,
    /// SES review, bounce (5 %).
    pub probation_bounce: Ppm,
    /// SES review, complaints (0.1 %).
    pub probation_complaint: Ppm,
    /// SES may pause, bounce (10 %).
    pub shutdown_bounce: Ppm,
    /// SES may pause, complaints (0.5 %).
    pub shutdown_complaint: Ppm,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            guard_bounce: 25_000,
            guard_complaint: 500,
            probation_bounce: 50_000,
            probation_complaint: 1_000,
            shutdown_bounce: 100_000,
            shutdown_complaint: 5_000,
        }
    }
}

/// Where the account stands. `Warning` is ours (at or above the guard threshold, below SES's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Below the guard threshold.
    Healthy,
    /// At or above the guard threshold: risky sends are held.
    Warning,
    /// At or above SES's review threshold (5 % / 0.1 %).
    Probation,
    /// At or above SES's pause threshold (10 % / 0.5 %).
    Shutdown,
}

impl Level {
    /// Our name for the level (`HEALTHY`, `WARNING`, `PROBATION`, `SHUTDOWN`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "HEALTHY",
            Self::Warning => "WARNING",
            Self::Probation => "PROBATION",
            Self::Shutdown => "SHUTDOWN",
        }
    }

    /// The value for `GetAccount.EnforcementStatus`, which only knows SES's three.
    pub fn enforcement_status(self) -> &'static str {
        match self {
            Self::Healthy | Self::Warning => "HEALTHY",
            Self::Probation => "PROBATION",
            Self::Shutdown => "SHUTDOWN",
        }
    }
}

/// How a recipient's send was decided, for eligibility (§5 exclusions and the rule: an
/// eligible send is a recipient decided `deliver`, whatever the transport).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendClass {
    /// Decided `deliver` to an unverified destination: counts.
    Eligible,
    /// Mailbox-simulator mail: excluded.
    Simulator,
    /// Suppressed by the account-level list: excluded.
    AccountSuppressed,
    /// Denied by policy: excluded (a denial is never a bounce).
    Denied,
    /// Captured by a route: excluded.
    Captured,
    /// To a verified address or domain: excluded.
    VerifiedDestination,
}

impl SendClass {
    /// Whether the send enters the rate window.
    pub fn is_eligible(self) -> bool {
        self == Self::Eligible
    }
}

/// What became of one eligible send. Transient and undetermined bounces leave it clean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SendOutcome {
    /// A hard bounce that counts (Permanent, not `OnAccountSuppressionList`).
    pub hard_bounce: bool,
    /// A complaint.
    pub complaint: bool,
}

impl SendOutcome {
    /// No bounce, no complaint (yet).
    pub const CLEAN: Self = Self {
        hard_bounce: false,
        complaint: false,
    };
    /// A counted hard bounce.
    pub const HARD_BOUNCE: Self = Self {
        hard_bounce: true,
        complaint: false,
    };
    /// A complaint.
    pub const COMPLAINT: Self = Self {
        hard_bounce: false,
        complaint: true,
    };
}

/// Counts over some set of eligible sends: the window, or a 24 h / 7 d view the store sums up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct WindowCounts {
    /// Eligible sends.
    pub sends: u64,
    /// Of which hard-bounced (counted).
    pub hard_bounces: u64,
    /// Of which complained.
    pub complaints: u64,
}

/// `part / whole >= ppm / 1e6`, exactly; an empty whole is never at or above anything.
fn at_or_above(part: u64, whole: u64, ppm: Ppm) -> bool {
    whole > 0 && u128::from(part) * MILLION >= u128::from(ppm) * u128::from(whole)
}

impl WindowCounts {
    /// Hard bounces / sends, as a fraction (0.05 is 5 %); 0 when there are no sends.
    pub fn bounce_rate(&self) -> f64 {
        ratio(self.hard_bounces, self.sends)
    }

    /// Complaints / sends, as a fraction; 0 when there are no sends.
    pub fn complaint_rate(&self) -> f64 {
        ratio(self.complaints, self.sends)
    }

    /// The level these counts put the account at.
    pub fn level(&self, t: &Thresholds) -> Level {
        let over = |bounce: Ppm, complaint: Ppm| {
            at_or_above(self.hard_bounces, self.sends, bounce)
                || at_or_above(self.complaints, self.sends, complaint)
        };
        if over(t.shutdown_bounce, t.shutdown_complaint) {
            Level::Shutdown
        } else if over(t.probation_bounce, t.probation_complaint) {
            Level::Probation
        } else if over(t.guard_bounce, t.guard_complaint) {
            Level::Warning
        } else {
            Level::Healthy
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        // Precision loss above 2^53 sends is irrelevant for a displayed rate.
        part as f64 / whole as f64
    }
}

/// One eligible send in the window: its sequence number (the store's id, increasing) and outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    seq: u64,
    outcome: SendOutcome,
}

/// The last `capacity` eligible sends with their outcomes: old sends fall out as new ones come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReputationWindow {
    capacity: usize,
    entries: VecDeque<Entry>,
    hard_bounces: u64,
    complaints: u64,
}

/// Why a send could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// Sequence numbers must increase; the store hands them out in order.
    #[error("send {seq} is not after the newest send {newest}")]
    OutOfOrder {
        /// The rejected sequence number.
        seq: u64,
        /// The newest one in the window.
        newest: u64,
    },
}

/// What the reputation guard decides for one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GuardVerdict {
    /// Send it.
    Send,
    /// Hold it back (recorded; `MessageRejected` or queued per config).
    Hold,
}

/// How many clean deliveries bring the bounce rate back under each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// Clean sends until the bounce rate is below SES's review threshold (5 %).
    pub under_probation: Option<u64>,
    /// Clean sends until the bounce rate is below the guard threshold.
    pub under_guard: Option<u64>,
}

impl ReputationWindow {
    /// An empty window of the last `capacity` eligible sends (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            entries: VecDeque::with_capacity(capacity.min(1 << 16)),
            hard_bounces: 0,
            complaints: 0,
        }
    }

    /// Rebuilds the window from stored sends, oldest first; only the last `capacity` are kept.
    pub fn from_outcomes(
        capacity: usize,
        sends: impl IntoIterator<Item = (u64, SendOutcome)>,
    ) -> Result<Self, WindowError> {
        let mut window = Self::new(capacity);
        for (seq, outcome) in sends {
            window.push(seq, outcome)?;
        }
        Ok(window)
    }

    /// The window size.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The sequence number of the newest send in the window.
    pub fn newest_seq(&self) -> Option<u64> {
        self.entries.back().map(|e| e.seq)
    }

    /// Current counts.
    pub fn counts(&self) -> WindowCounts {
        WindowCounts {
            sends: self.entries.len() as u64,
            hard_bounces: self.hard_bounces,
            complaints: self.complaints,
        }
    }

    /// The level now.
    pub fn level(&self, thresholds: &Thresholds) -> Level {
        self.counts().level(thresholds)
    }

    /// Adds an eligible send (clean until an event says otherwise). Call it only for sends
    /// whose [`SendClass::is_eligible`] is true.
    pub fn record_send(&mut self, seq: u64) -> Result<(), WindowError> {
        self.push(seq, SendOutcome::CLEAN)
    }

    /// Adds send `seq` if its decision makes it eligible (§5 exclusions); returns whether it
    /// entered the window. Excluded sends (simulator, suppressed, denied, captured, verified
    /// destinations) leave the rates untouched.
    pub fn record_decided(&mut self, seq: u64, class: SendClass) -> Result<bool, WindowError> {
        if !class.is_eligible() {
            return Ok(false);
        }
        self.record_send(seq)?;
        Ok(true)
    }

    fn push(&mut self, seq: u64, outcome: SendOutcome) -> Result<(), WindowError> {
        if let Some(newest) = self.entries.back()
            && seq <= newest.seq
        {
            return Err(WindowError::OutOfOrder {
                seq,
                newest: newest.seq,
            });
        }
        if self.entries.len() == self.capacity
            && let Some(old) = self.entries.pop_front()
        {
            self.hard_bounces -= u64::from(old.outcome.hard_bounce);
            self.complaints -= u64::from(old.outcome.complaint);
        }
        self.hard_bounces += u64::from(outcome.hard_bounce);
        self.complaints += u64::from(outcome.complaint);
        self.entries.push_back(Entry { seq, outcome });
        Ok(())
    }

    fn entry_mut(&mut self, seq: u64) -> Option<&mut Entry> {
        let index = self.entries.binary_search_by_key(&seq, |e| e.seq).ok()?;
        self.entries.get_mut(index)
    }

    /// Marks send `seq` as hard-bounced. False when the send is not in the window (it fell out,
    /// or was not eligible) or was already marked, so a redelivered event changes nothing.
    pub fn record_hard_bounce(&mut self, seq: u64) -> bool {
        let Some(entry) = self.entry_mut(seq) else {
            return false;
        };
        if entry.outcome.hard_bounce {
            return false;
        }
        entry.outcome.hard_bounce = true;
        self.hard_bounces += 1;
        true
    }

    /// Applies a bounce event to send `seq`: only bounces that count ([`Bounce::counts_toward_rate`])
    /// mark it; transient and undetermined ones leave it clean. Returns whether anything changed.
    pub fn record_bounce(&mut self, seq: u64, bounce: &Bounce) -> bool {
        bounce.counts_toward_rate() && self.record_hard_bounce(seq)
    }

    /// Marks send `seq` as complained. False when not in the window or already marked.
    pub fn record_complaint(&mut self, seq: u64) -> bool {
        let Some(entry) = self.entry_mut(seq) else {
            return false;
        };
        if entry.outcome.complaint {
            return false;
        }
        entry.outcome.complaint = true;
        self.complaints += 1;
        true
    }

    /// The counts after one more eligible send with outcome `next` (the oldest falls out when
    /// the window is full).
    pub fn projected(&self, next: SendOutcome) -> WindowCounts {
        let mut counts = self.counts();
        if self.entries.len() == self.capacity
            && let Some(old) = self.entries.front()
        {
            counts.sends -= 1;
            counts.hard_bounces -= u64::from(old.outcome.hard_bounce);
            counts.complaints -= u64::from(old.outcome.complaint);
        }
        counts.sends += 1;
        counts.hard_bounces += u64::from(next.hard_bounce);
        counts.complaints += u64::from(next.complaint);
        counts
    }

    /// Whether one more send with outcome `next` would leave the rates at or above the guard
    /// threshold. The guard asks with [`SendOutcome::HARD_BOUNCE`] for a recipient with no
    /// delivery history: "if this one bounces, are we over?".
    pub fn would_cross(&self, next: SendOutcome, thresholds: &Thresholds) -> bool {
        self.projected(next).level(thresholds) >= Level::Warning
    }

    /// The guard's answer for one eligible recipient (issue 6, item 5): a recipient with a
    /// recent Delivery keeps flowing; any other is held when, should it hard-bounce, the rates
    /// would be at or above the guard threshold. It releases itself as the rates fall back.
    pub fn guard(&self, has_recent_delivery: bool, thresholds: &Thresholds) -> GuardVerdict {
        if has_recent_delivery || !self.would_cross(SendOutcome::HARD_BOUNCE, thresholds) {
            GuardVerdict::Send
        } else {
            GuardVerdict::Hold
        }
    }

    /// How many clean sends bring the bounce rate strictly below `target` ppm, given the window
    /// rule (while the window fills, sends only add to the denominator; once full, each new
    /// send pushes the oldest out, and with it any bounce it carried). `None` when no number of
    /// clean sends can (a target of 0 with bounces in the window).
    pub fn clean_sends_to_bounce_below(&self, target: Ppm) -> Option<u64> {
        let below = |bounces: u64, sends: u64| {
            u128::from(bounces) * MILLION < u128::from(target) * u128::from(sends)
        };
        let len = self.entries.len() as u64;
        let capacity = self.capacity as u64;
        let mut bounces = self.hard_bounces;
        if bounces == 0 {
            return Some(0);
        }
        if target == 0 {
            return None;
        }
        // Phase 1, the window is not full: the smallest total s with bounces/s < target is
        // floor(bounces * 1e6 / target) + 1.
        let needed = u128::from(bounces) * MILLION / u128::from(target) + 1;
        if needed <= u128::from(capacity) {
            let needed = needed as u64; // <= capacity, fits
            return Some(needed.saturating_sub(len));
        }
        // Phase 2, the window is full (after capacity - len clean sends): each further clean
        // send drops the oldest entry. After dropping all old entries the rate is 0.
        let fill = capacity - len;
        for (dropped, entry) in self.entries.iter().enumerate() {
            bounces -= u64::from(entry.outcome.hard_bounce);
            if below(bounces, capacity) {
                return Some(fill + dropped as u64 + 1);
            }
        }
        Some(fill + len)
    }

    /// Clean sends needed to get under SES's review threshold and under the guard threshold.
    pub fn recovery(&self, thresholds: &Thresholds) -> Recovery {
        Recovery {
            under_probation: self.clean_sends_to_bounce_below(thresholds.probation_bounce),
            under_guard: self.clean_sends_to_bounce_below(thresholds.guard_bounce),
        }
    }
}

impl Default for ReputationWindow {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ses::{Bounce, BounceSubType, BounceType, SesTime};
    use chrono::{TimeZone, Utc};

    fn counts(sends: u64, hard_bounces: u64, complaints: u64) -> WindowCounts {
        WindowCounts {
            sends,
            hard_bounces,
            complaints,
        }
    }

    /// A window of `capacity` built from a pattern, oldest first: `b` bounce, `c` complaint,
    /// `.` clean; sequence numbers 1, 2, 3, …
    fn window(capacity: usize, pattern: &str) -> ReputationWindow {
        let outcomes = pattern.chars().enumerate().map(|(i, c)| {
            let outcome = match c {
                'b' => SendOutcome::HARD_BOUNCE,
                'c' => SendOutcome::COMPLAINT,
                _ => SendOutcome::CLEAN,
            };
            (i as u64 + 1, outcome)
        });
        ReputationWindow::from_outcomes(capacity, outcomes).expect("in order")
    }

    fn bounce(bounce_type: BounceType, sub: BounceSubType) -> Bounce {
        Bounce {
            bounce_type,
            bounce_sub_type: sub,
            bounced_recipients: Vec::new(),
            timestamp: SesTime(Utc.timestamp_opt(0, 0).single().expect("epoch")),
            feedback_id: "f".to_owned(),
            remote_mta_ip: None,
            reporting_mta: None,
        }
    }

    #[test]
    fn levels_follow_the_ses_thresholds_inclusively() {
        let t = Thresholds::default();
        // Bounce: 2.4 % healthy, 2.5 % warning, 4.9 % warning, 5 % probation, 9.9 %, 10 %.
        assert_eq!(counts(1000, 24, 0).level(&t), Level::Healthy);
        assert_eq!(counts(1000, 25, 0).level(&t), Level::Warning);
        assert_eq!(counts(1000, 49, 0).level(&t), Level::Warning);
        assert_eq!(counts(1000, 50, 0).level(&t), Level::Probation);
        assert_eq!(counts(1000, 99, 0).level(&t), Level::Probation);
        assert_eq!(counts(1000, 100, 0).level(&t), Level::Shutdown);
        // Complaints: 1 in 2001 < 0.05 %, 1 in 2000 = 0.05 %, 1 in 1000 = 0.1 %, 5 in 1000 = 0.5 %.
        assert_eq!(counts(2001, 0, 1).level(&t), Level::Healthy);
        assert_eq!(counts(2000, 0, 1).level(&t), Level::Warning);
        assert_eq!(counts(1000, 0, 1).level(&t), Level::Probation);
        assert_eq!(counts(1000, 0, 4).level(&t), Level::Probation);
        assert_eq!(counts(1000, 0, 5).level(&t), Level::Shutdown);
        // The worse metric wins.
        assert_eq!(
            counts(1000, 0, 5).level(&t).max(Level::Warning),
            Level::Shutdown
        );
        assert_eq!(counts(1000, 30, 1).level(&t), Level::Probation);
        assert_eq!(counts(0, 0, 0).level(&t), Level::Healthy);
        assert!((counts(1000, 60, 0).bounce_rate() - 0.06).abs() < 1e-12);
        assert!((counts(4000, 0, 2).complaint_rate() - 0.0005).abs() < 1e-12);
        assert_eq!(counts(0, 0, 0).bounce_rate(), 0.0);
    }

    #[test]
    fn enforcement_status_knows_only_ses_values() {
        assert_eq!(Level::Healthy.enforcement_status(), "HEALTHY");
        assert_eq!(Level::Warning.enforcement_status(), "HEALTHY");
        assert_eq!(Level::Warning.as_str(), "WARNING");
        assert_eq!(Level::Probation.enforcement_status(), "PROBATION");
        assert_eq!(Level::Shutdown.enforcement_status(), "SHUTDOWN");
    }

    #[test]
    fn only_deliver_decisions_are_eligible() {
        assert!(SendClass::Eligible.is_eligible());
        for excluded in [
            SendClass::Simulator,
            SendClass::AccountSuppressed,
            SendClass::Denied,
            SendClass::Captured,
            SendClass::VerifiedDestination,
        ] {
            assert!(!excluded.is_eligible(), "{excluded:?}");
        }
    }

    #[test]
    fn excluded_sends_leave_the_rates_untouched() {
        let mut w = ReputationWindow::new(10);
        assert_eq!(w.record_decided(1, SendClass::Eligible), Ok(true));
        for (seq, class) in [
            (2, SendClass::Simulator),
            (3, SendClass::AccountSuppressed),
            (4, SendClass::Denied),
            (5, SendClass::Captured),
            (6, SendClass::VerifiedDestination),
        ] {
            assert_eq!(w.record_decided(seq, class), Ok(false), "{class:?}");
        }
        assert_eq!(w.record_decided(7, SendClass::Eligible), Ok(true));
        assert_eq!(w.counts(), counts(2, 0, 0));
        // A bounce reported for an excluded send (a simulator bounce, say) is not counted.
        assert!(!w.record_hard_bounce(2));
        assert!(w.record_hard_bounce(7));
        assert_eq!(w.counts(), counts(2, 1, 0));
    }

    #[test]
    fn old_sends_fall_out_of_the_window() {
        let mut w = ReputationWindow::new(4);
        for seq in 1..=4 {
            w.record_send(seq).expect("in order");
        }
        assert!(w.record_hard_bounce(1));
        assert!(w.record_complaint(2));
        assert_eq!(w.counts(), counts(4, 1, 1));
        w.record_send(5).expect("in order"); // send 1 (the bounce) falls out
        assert_eq!(w.counts(), counts(4, 0, 1));
        w.record_send(6).expect("in order"); // send 2 (the complaint) falls out
        assert_eq!(w.counts(), counts(4, 0, 0));
        // An event for a send that fell out changes nothing.
        assert!(!w.record_hard_bounce(1));
        assert!(!w.record_complaint(2));
        // Redelivered events count once.
        assert!(w.record_hard_bounce(5));
        assert!(!w.record_hard_bounce(5));
        assert_eq!(w.counts(), counts(4, 1, 0));
        // An unknown (never eligible) send changes nothing.
        assert!(!w.record_hard_bounce(100));
        assert_eq!(
            w.record_send(6),
            Err(WindowError::OutOfOrder { seq: 6, newest: 6 })
        );
    }

    #[test]
    fn only_counting_bounces_mark_a_send() {
        let mut w = window(10, "....");
        assert!(!w.record_bounce(1, &bounce(BounceType::Transient, BounceSubType::General)));
        assert!(!w.record_bounce(
            1,
            &bounce(BounceType::Transient, BounceSubType::MailboxFull)
        ));
        assert!(!w.record_bounce(
            1,
            &bounce(BounceType::Undetermined, BounceSubType::Undetermined)
        ));
        assert!(!w.record_bounce(
            1,
            &bounce(
                BounceType::Permanent,
                BounceSubType::OnAccountSuppressionList
            )
        ));
        assert_eq!(w.counts(), counts(4, 0, 0));
        assert!(w.record_bounce(1, &bounce(BounceType::Permanent, BounceSubType::General)));
        assert!(w.record_bounce(2, &bounce(BounceType::Permanent, BounceSubType::Suppressed)));
        assert!(w.record_bounce(3, &bounce(BounceType::Permanent, BounceSubType::NoEmail)));
        assert_eq!(w.counts(), counts(4, 3, 0));
    }

    #[test]
    fn rebuilt_from_stored_outcomes_keeps_the_last_n() {
        let w = window(3, "bc.b.");
        // Kept: sends 3 (.), 4 (b), 5 (.).
        assert_eq!(w.counts(), counts(3, 1, 0));
        // Built live, event by event, the same sends give the same window.
        let mut live = ReputationWindow::new(3);
        for seq in 1..=5 {
            live.record_send(seq).expect("in order");
            if seq == 1 || seq == 4 {
                live.record_hard_bounce(seq);
            }
            if seq == 2 {
                live.record_complaint(seq);
            }
        }
        assert_eq!(live, w);
        assert!(
            ReputationWindow::from_outcomes(3, [(2, SendOutcome::CLEAN), (1, SendOutcome::CLEAN)])
                .is_err()
        );
    }

    #[test]
    fn would_cross_projects_one_more_bouncing_send() {
        let t = Thresholds::default();
        // Not full: 39 clean sends, one bounce more is 1/40 = 2.5 %: at the guard threshold.
        assert!(window(100, &".".repeat(39)).would_cross(SendOutcome::HARD_BOUNCE, &t));
        // 40 clean sends: 1/41 = 2.44 %.
        assert!(!window(100, &".".repeat(40)).would_cross(SendOutcome::HARD_BOUNCE, &t));
        // Full window of 100 with 2 recent bounces: the clean oldest falls out, 3/100 = 3 %.
        let recent = format!("{}bb", ".".repeat(98));
        assert!(window(100, &recent).would_cross(SendOutcome::HARD_BOUNCE, &t));
        assert_eq!(
            window(100, &recent).projected(SendOutcome::HARD_BOUNCE),
            counts(100, 3, 0)
        );
        // Same two bounces but the oldest is one of them: it falls out, 2/100 = 2 %.
        let old = format!("b{}b", ".".repeat(98));
        assert!(!window(100, &old).would_cross(SendOutcome::HARD_BOUNCE, &t));
        // A clean next send never crosses from below.
        assert!(!window(100, &recent).would_cross(SendOutcome::CLEAN, &t));
        // Complaints: 1 complaint in 2000 sends. One more complaint: 2/2001 = 0.0999 %, over
        // 0.05 %. One more clean send: 1/2001 = 0.04998 %, under. From 1999 sends, a clean
        // send lands exactly on 1/2000 = 0.05 %, which is at the threshold.
        let mut w = window(10_000, &".".repeat(2000));
        assert!(w.record_complaint(1));
        assert!(w.would_cross(SendOutcome::COMPLAINT, &t));
        assert!(!w.would_cross(SendOutcome::CLEAN, &t));
        let mut w = window(10_000, &".".repeat(1999));
        assert!(w.record_complaint(1));
        assert!(w.would_cross(SendOutcome::CLEAN, &t));
    }

    #[test]
    fn the_guard_holds_unknown_recipients_only_near_the_threshold() {
        let t = Thresholds::default();
        // 39 clean sends: a bounce from a new recipient would make 1/40 = 2.5 %.
        let near = window(100, &".".repeat(39));
        assert_eq!(near.guard(false, &t), GuardVerdict::Hold);
        assert_eq!(near.guard(true, &t), GuardVerdict::Send);
        // One more clean delivery and the same new recipient may go: 1/41 = 2.44 %.
        let mut released = near.clone();
        released.record_send(40).expect("in order");
        assert_eq!(released.guard(false, &t), GuardVerdict::Send);
        // In SHUTDOWN, known-good recipients still flow.
        let bad = window(10, "bb........");
        assert_eq!(bad.level(&t), Level::Shutdown);
        assert_eq!(bad.guard(true, &t), GuardVerdict::Send);
        assert_eq!(bad.guard(false, &t), GuardVerdict::Hold);
    }

    #[test]
    fn recovery_while_the_window_fills() {
        let t = Thresholds::default();
        // The scenario: 1,000 sends, 60 hard bounces (6 %), window 10,000.
        let pattern = format!("{}{}", "b".repeat(60), ".".repeat(940));
        let w = window(DEFAULT_WINDOW, &pattern);
        assert_eq!(w.level(&t), Level::Probation);
        // Under 5 %: 60 / s < 0.05 needs s > 1200, so s = 1201, i.e. 201 more clean sends.
        // Under 2.5 %: s > 2400, s = 2401, 1401 more.
        assert_eq!(
            w.recovery(&t),
            Recovery {
                under_probation: Some(201),
                under_guard: Some(1401)
            }
        );
    }

    #[test]
    fn recovery_once_the_window_is_full_depends_on_where_the_bounces_are() {
        let t = Thresholds::default();
        // 100 sends, the 10 oldest bounced (10 %). Each clean send pushes one bounce out:
        // 6 out leaves 4/100 < 5 % (5 out leaves exactly 5 %); 8 out leaves 2/100 < 2.5 %.
        let old = format!("{}{}", "b".repeat(10), ".".repeat(90));
        assert_eq!(
            window(100, &old).recovery(&t),
            Recovery {
                under_probation: Some(6),
                under_guard: Some(8)
            }
        );
        // The 10 newest bounced: the 90 clean ones go first, then 6 (or 8) bounces.
        let new = format!("{}{}", ".".repeat(90), "b".repeat(10));
        assert_eq!(
            window(100, &new).recovery(&t),
            Recovery {
                under_probation: Some(96),
                under_guard: Some(98)
            }
        );
        // Half full (50 sends, 10 oldest bounced, 20 %): 50 clean sends fill it (10/100 = 10 %),
        // then 6 more push 6 bounces out: 56. Guard: 50 + 8 = 58.
        let half = format!("{}{}", "b".repeat(10), ".".repeat(40));
        assert_eq!(
            window(100, &half).recovery(&t),
            Recovery {
                under_probation: Some(56),
                under_guard: Some(58)
            }
        );
    }

    #[test]
    fn recovery_edges() {
        let t = Thresholds::default();
        assert_eq!(
            ReputationWindow::default().recovery(&t),
            Recovery {
                under_probation: Some(0),
                under_guard: Some(0)
            }
        );
        // 1 bounce in 100 (1 %): already under both.
        let w = window(100, &format!("b{}", ".".repeat(99)));
        assert_eq!(w.clean_sends_to_bounce_below(25_000), Some(0));
        // A target of 0 can never be reached while a bounce is in the window.
        assert_eq!(w.clean_sends_to_bounce_below(0), None);
        // Window of 1 holding a bounce: one clean send replaces it.
        assert_eq!(window(1, "b").clean_sends_to_bounce_below(50_000), Some(1));
        // Every send bounced in a full window of 4: 1/4 is still 25 %, so all 4 must go.
        assert_eq!(
            window(4, "bbbb").clean_sends_to_bounce_below(25_000),
            Some(4)
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Adds `k` clean sends after the newest one.
        fn after_clean_sends(w: &ReputationWindow, k: u64) -> WindowCounts {
            let mut w = w.clone();
            let newest = w.entries.back().map_or(0, |e| e.seq);
            for seq in newest + 1..=newest + k {
                w.record_send(seq).expect("in order");
            }
            w.counts()
        }

        fn below(c: WindowCounts, target: Ppm) -> bool {
            !at_or_above(c.hard_bounces, c.sends, target) || c.hard_bounces == 0
        }

        proptest! {
            /// The projection is the smallest number of clean sends after which the bounce rate
            /// is below the target, checked by actually adding them one by one.
            #[test]
            fn recovery_is_the_minimal_number_of_clean_sends(
                capacity in 1usize..60,
                outcomes in proptest::collection::vec(any::<bool>(), 0..120),
                target in 1u64..200_000,
            ) {
                let w = ReputationWindow::from_outcomes(
                    capacity,
                    outcomes.iter().enumerate().map(|(i, &b)| {
                        (i as u64 + 1, if b { SendOutcome::HARD_BOUNCE } else { SendOutcome::CLEAN })
                    }),
                ).expect("in order");
                let k = w.clean_sends_to_bounce_below(target).expect("target > 0 is reachable");
                prop_assert!(below(after_clean_sends(&w, k), target));
                if k > 0 {
                    prop_assert!(!below(after_clean_sends(&w, k - 1), target));
                }
            }

            /// Counts kept incrementally equal a recount of the entries, whatever the order of
            /// sends and events.
            #[test]
            fn incremental_counts_equal_a_recount(
                capacity in 1usize..30,
                ops in proptest::collection::vec((0u8..3, 0u64..40), 0..200),
            ) {
                let mut w = ReputationWindow::new(capacity);
                let mut next = 1u64;
                for (op, seq) in ops {
                    match op {
                        0 => { w.record_send(next).expect("in order"); next += 1; }
                        1 => { w.record_hard_bounce(seq); }
                        _ => { w.record_complaint(seq); }
                    }
                }
                let recount = WindowCounts {
                    sends: w.entries.len() as u64,
                    hard_bounces: w.entries.iter().filter(|e| e.outcome.hard_bounce).count() as u64,
                    complaints: w.entries.iter().filter(|e| e.outcome.complaint).count() as u64,
                };
                prop_assert_eq!(w.counts(), recount);
                prop_assert!(w.entries.len() <= capacity);
                let rebuilt = ReputationWindow::from_outcomes(
                    capacity,
                    w.entries.iter().map(|e| (e.seq, e.outcome)),
                ).expect("in order");
                prop_assert_eq!(rebuilt, w);
            }
        }
    }
}
