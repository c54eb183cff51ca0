//! The reputation guard in the send path (issue 6, item 5) and its alerts.
//!
//! Every send asks whether the projected rates — "if this recipient hard-bounced" — would be at
//! or above the guard thresholds (`[reputation] guard_bounce_rate`, `guard_complaint_rate`).
//! When they would, recipients with no delivery history are held (or, with `on_hold =
//! "reject"`, the request is refused) while recipients with a Delivery on record keep flowing.
//! It releases itself as the rates fall back: the question is asked again on every send.
//!
//! The window is the account's (rebuilt from the store, so every instance on one database sees
//! the same numbers) and cached for [`REFRESH`]; between rebuilds this instance adds its own
//! eligible sends to the cached copy, so a burst cannot outrun the guard's denominator.
//!
//! Every change of level (HEALTHY, WARNING, PROBATION, SHUTDOWN) is logged, kept for the
//! metrics and, with `[alerts] webhook`, POSTed as JSON.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use bounceguard_core::SesError;
use bounceguard_events::reputation::{Level, ReputationWindow, SendOutcome};
use serde::Serialize;

use super::{Gateway, now_ms, rfc3339};

/// How long a rebuilt window is used before the store is read again.
pub const REFRESH: Duration = Duration::from_millis(500);

/// Attempts of one webhook delivery (with 1 s, 2 s between them).
const WEBHOOK_ATTEMPTS: u32 = 3;

/// The cached window and the last level seen.
pub(super) struct GuardState {
    cached: tokio::sync::Mutex<Option<Cached>>,
    level: AtomicU8,
    webhook: Option<(reqwest::Client, String)>,
}

struct Cached {
    window: ReputationWindow,
    at: Instant,
    /// Sequence numbers for sends added locally between rebuilds (above any stored one).
    next_local_seq: u64,
}

/// The JSON a webhook receives on a change of level.
#[derive(Debug, Clone, Serialize)]
pub struct LevelChange {
    /// Always `bounceguard.reputation.level_changed`.
    pub event: &'static str,
    /// The level before.
    pub previous: &'static str,
    /// The level now.
    pub level: &'static str,
    /// What GetAccount reports now (`WARNING` is ours; SES says HEALTHY then).
    pub enforcement_status: &'static str,
    /// Bounce rate over the window.
    pub bounce_rate: f64,
    /// Complaint rate over the window.
    pub complaint_rate: f64,
    /// Eligible sends in the window.
    pub window_sends: u64,
    /// When (RFC 3339).
    pub at: String,
}

fn level_code(level: Level) -> u8 {
    match level {
        Level::Healthy => 0,
        Level::Warning => 1,
        Level::Probation => 2,
        Level::Shutdown => 3,
    }
}

fn level_of(code: u8) -> Level {
    match code {
        0 => Level::Healthy,
        1 => Level::Warning,
        2 => Level::Probation,
        _ => Level::Shutdown,
    }
}

impl GuardState {
    /// A guard with no window yet; `webhook` from `[alerts]`.
    pub(super) fn new(webhook: Option<String>) -> anyhow::Result<Self> {
        let webhook = match webhook {
            Some(url) => Some((
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .map_err(|e| anyhow::anyhow!("[alerts] webhook client: {e}"))?,
                url,
            )),
            None => None,
        };
        Ok(Self {
            cached: tokio::sync::Mutex::new(None),
            level: AtomicU8::new(level_code(Level::Healthy)),
            webhook,
        })
    }

    /// The last level seen (for the metrics).
    pub(super) fn level(&self) -> Level {
        level_of(self.level.load(Ordering::Relaxed))
    }
}

impl Gateway {
    /// The current window: the cached one when younger than [`REFRESH`], else rebuilt from the
    /// store. Notices (and announces) a change of level.
    pub async fn current_window(&self) -> Result<ReputationWindow, SesError> {
        self.with_window(ReputationWindow::clone).await
    }

    /// Runs `f` on the current window (see [`Gateway::current_window`]) without copying it.
    async fn with_window<R>(&self, f: impl FnOnce(&ReputationWindow) -> R) -> Result<R, SesError> {
        let mut cached = self.reputation_guard.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.at.elapsed() < REFRESH
        {
            return Ok(f(&c.window));
        }
        let window = self.reputation_window().await?;
        self.notice_level(&window);
        let answer = f(&window);
        *cached = Some(Cached {
            next_local_seq: window.newest_seq().map_or(1, |s| s + 1),
            window,
            at: Instant::now(),
        });
        Ok(answer)
    }

    /// Forgets the cached window, so the next send reads the store (after a bounce or a
    /// complaint was applied: the guard must see it at once).
    pub(super) async fn invalidate_window(&self) {
        *self.reputation_guard.cached.lock().await = None;
    }

    /// Adds this instance's `count` new eligible sends to the cached window (until the next
    /// rebuild reads them from the store).
    pub(super) async fn note_eligible_sends(&self, count: usize) {
        if count == 0 {
            return;
        }
        let mut cached = self.reputation_guard.cached.lock().await;
        if let Some(c) = cached.as_mut() {
            for _ in 0..count {
                let seq = c.next_local_seq;
                c.next_local_seq += 1;
                if c.window.record_send(seq).is_err() {
                    // Out of order would be a bug; the next rebuild corrects the copy anyway.
                    c.at = Instant::now() - REFRESH;
                    break;
                }
            }
        }
    }

    /// Whether the guard holds risky recipients of the send being decided: on, enough sends in
    /// the window to speak of a rate, and one more hard bounce would put the rates at or above
    /// the guard thresholds.
    pub(super) async fn reputation_hold(&self) -> Result<bool, SesError> {
        let config = &self.config.reputation;
        if !config.guard {
            return Ok(false);
        }
        let thresholds = config.thresholds();
        self.with_window(|window| {
            window.counts().sends >= config.min_sends
                && window.would_cross(SendOutcome::HARD_BOUNCE, &thresholds)
        })
        .await
    }

    /// Compares the window's level with the last one seen; on a change logs it, and POSTs it to
    /// the webhook in the background.
    pub(super) fn notice_level(&self, window: &ReputationWindow) {
        let thresholds = self.config.reputation.thresholds();
        let level = window.level(&thresholds);
        let previous = level_of(
            self.reputation_guard
                .level
                .swap(level_code(level), Ordering::Relaxed),
        );
        if previous == level {
            return;
        }
        let counts = window.counts();
        let change = LevelChange {
            event: "bounceguard.reputation.level_changed",
            previous: previous.as_str(),
            level: level.as_str(),
            enforcement_status: level.enforcement_status(),
            bounce_rate: counts.bounce_rate(),
            complaint_rate: counts.complaint_rate(),
            window_sends: counts.sends,
            at: rfc3339(now_ms()),
        };
        macro_rules! log_change {
            ($level:ident) => {
                tracing::$level!(
                    previous = change.previous,
                    level = change.level,
                    bounce_rate = change.bounce_rate,
                    complaint_rate = change.complaint_rate,
                    window_sends = change.window_sends,
                    "reputation level changed"
                )
            };
        }
        // Worse is a warning; better is news.
        if level > previous {
            log_change!(warn);
        } else {
            log_change!(info);
        }
        if let Some((client, url)) = self.reputation_guard.webhook.clone() {
            tokio::spawn(post_webhook(client, url, change));
        }
    }

    /// Looks at the window every `every`, so a change of level caused by notifications alone
    /// (no sends, no reads) is still logged and announced.
    pub fn spawn_reputation_watch(
        self: &std::sync::Arc<Self>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let gateway = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(gateway) = gateway.upgrade() else {
                    return;
                };
                if let Err(e) = gateway.current_window().await {
                    tracing::warn!(error = %e.message, "reputation watch: reading the window");
                }
            }
        })
    }

    /// The last reputation level this instance saw.
    pub fn last_level(&self) -> Level {
        self.reputation_guard.level()
    }
}

/// POSTs one level change, retrying a failed delivery twice; failures are logged, never fatal.
async fn post_webhook(client: reqwest::Client, url: String, change: LevelChange) {
    let body = match serde_json::to_vec(&change) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "encoding the level change");
            return;
        }
    };
    for attempt in 1..=WEBHOOK_ATTEMPTS {
        let sent = client
            .post(&url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => return,
            Ok(response) => tracing::warn!(
                status = response.status().as_u16(),
                attempt,
                "alert webhook refused the level change"
            ),
            Err(e) => tracing::warn!(error = %e, attempt, "alert webhook unreachable"),
        }
        if attempt < WEBHOOK_ATTEMPTS {
            tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
        }
    }
    tracing::error!(
        level = change.level,
        "alert webhook: level change not delivered"
    );
}
