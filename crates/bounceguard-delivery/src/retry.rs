//! Our retry loop: exponential backoff with full jitter inside a budget of attempts and time.
//!
//! Hand-written: the SDK's own retry strategy is turned off so that both transports share one
//! budget the operator configures, and so that the number of attempts can be reported back.
//! "Full jitter" is AWS's name (Architecture Blog, "Exponential Backoff And Jitter") for
//! sleeping a uniformly random time between zero and the exponential cap.

use std::future::Future;
use std::time::Duration;

use bounceguard_core::SesError;
use tokio::time::Instant;

use crate::DeliveryError;

/// How hard a transport tries before it gives the client SES's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudget {
    /// Most attempts, the first one included (at least 1 is always made).
    pub max_attempts: u32,
    /// Most time from the first attempt to giving up; no attempt starts, and no attempt runs,
    /// past it.
    pub max_total: Duration,
    /// Longest single attempt; a longer one counts as a temporary failure.
    pub attempt_timeout: Duration,
    /// The backoff cap before the second attempt; it doubles for each further attempt.
    pub base_delay: Duration,
    /// The backoff cap never grows beyond this.
    pub max_delay: Duration,
}

impl Default for RetryBudget {
    /// Three attempts within ten seconds, 100 ms doubling up to 2 s between them: the client is
    /// waiting on a synchronous send, so the budget is short.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            max_total: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(5),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryBudget {
    /// The sleep after failed attempt number `attempt` (1-based), given a random `fraction` in
    /// `[0, 1]`: `fraction × min(max_delay, base_delay × 2^(attempt-1))`.
    pub fn backoff(&self, attempt: u32, fraction: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let cap = self
            .base_delay
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        cap.mul_f64(fraction.clamp(0.0, 1.0))
    }
}

/// The outcome of one failed attempt, as a transport classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The SES error the client would get if this were the last attempt.
    pub(crate) error: SesError,
    /// Whether another attempt may succeed.
    pub(crate) retryable: bool,
}

impl Failure {
    /// An attempt that ran past its time.
    fn timed_out() -> Self {
        Self {
            error: SesError::new(
                bounceguard_core::ErrorCode::ServiceUnavailable,
                "The upstream did not answer in time.",
            ),
            retryable: true,
        }
    }
}

/// Runs `attempt` until it succeeds, fails permanently or the budget is spent, sleeping a
/// full-jitter backoff (random fraction from `jitter`) between attempts.
pub(crate) async fn with_retries<T, F, Fut>(
    budget: &RetryBudget,
    mut jitter: impl FnMut() -> f64,
    mut attempt: F,
) -> Result<(T, u32), DeliveryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let start = Instant::now();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let remaining = budget.max_total.saturating_sub(start.elapsed());
        let limit = budget.attempt_timeout.min(remaining);
        let result = match tokio::time::timeout(limit, attempt()).await {
            Ok(result) => result,
            Err(_) => Err(Failure::timed_out()),
        };
        let failure = match result {
            Ok(value) => return Ok((value, attempts)),
            Err(failure) => failure,
        };
        let give_up = |exhausted| DeliveryError {
            error: failure.error.clone(),
            attempts,
            temporary: failure.retryable,
            exhausted,
        };
        if !failure.retryable {
            return Err(give_up(false));
        }
        if attempts >= budget.max_attempts.max(1) {
            return Err(give_up(true));
        }
        let delay = budget.backoff(attempts, jitter());
        if start.elapsed() + delay >= budget.max_total {
            return Err(give_up(true));
        }
        tracing::debug!(attempts, ?delay, error = %failure.error, "retrying delivery");
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use bounceguard_core::ErrorCode;

    use super::*;

    fn budget(max_attempts: u32, max_total_ms: u64) -> RetryBudget {
        RetryBudget {
            max_attempts,
            max_total: Duration::from_millis(max_total_ms),
            attempt_timeout: Duration::from_millis(500),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
        }
    }

    fn throttled() -> Failure {
        Failure {
            error: SesError::new(ErrorCode::Throttling, "Maximum sending rate exceeded."),
            retryable: true,
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_scales_with_jitter() {
        let b = budget(10, 10_000);
        // Caps by hand: 100, 200, 400, 400 (max_delay), …
        assert_eq!(b.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(b.backoff(2, 1.0), Duration::from_millis(200));
        assert_eq!(b.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(b.backoff(4, 1.0), Duration::from_millis(400));
        assert_eq!(b.backoff(40, 1.0), Duration::from_millis(400));
        assert_eq!(b.backoff(2, 0.5), Duration::from_millis(100));
        assert_eq!(b.backoff(3, 0.0), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn succeeds_after_two_temporary_failures() {
        let calls = Cell::new(0u32);
        let result = with_retries(
            &budget(5, 10_000),
            || 1.0,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n < 3 { Err(throttled()) } else { Ok("id") } }
            },
        )
        .await;
        assert_eq!(result, Ok(("id", 3)));
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failure_stops_at_once() {
        let calls = Cell::new(0u32);
        let result: Result<((), u32), _> = with_retries(
            &budget(5, 10_000),
            || 1.0,
            || {
                calls.set(calls.get() + 1);
                async {
                    Err(Failure {
                        error: SesError::rejected("Email address is not verified."),
                        retryable: false,
                    })
                }
            },
        )
        .await;
        let error = result.err();
        assert_eq!(calls.get(), 1);
        assert_eq!(
            error,
            Some(DeliveryError {
                error: SesError::rejected("Email address is not verified."),
                attempts: 1,
                temporary: false,
                exhausted: false,
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn attempt_budget_ends_with_the_last_error() {
        let result: Result<((), u32), _> =
            with_retries(&budget(4, 60_000), || 0.0, || async { Err(throttled()) }).await;
        let error = result.err();
        assert_eq!(error.as_ref().map(|e| e.attempts), Some(4));
        assert_eq!(error.as_ref().map(|e| e.exhausted), Some(true));
        assert_eq!(error.map(|e| e.error.code), Some(ErrorCode::Throttling));
    }

    #[tokio::test(start_paused = true)]
    async fn time_budget_stops_before_the_attempt_budget() {
        // With jitter 1.0 the sleeps are 100, 200, 400, 400 ms: attempts start at 0, 100, 300
        // and 700 ms; the next would start at 1100 ms, past the 1000 ms budget.
        let start = Instant::now();
        let result: Result<((), u32), _> =
            with_retries(&budget(100, 1000), || 1.0, || async { Err(throttled()) }).await;
        let error = result.err();
        assert_eq!(error.as_ref().map(|e| e.attempts), Some(4));
        assert_eq!(error.as_ref().map(|e| e.exhausted), Some(true));
        assert_eq!(start.elapsed(), Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_attempt_times_out_as_temporary() {
        let result: Result<((), u32), _> = with_retries(
            &budget(2, 10_000),
            || 0.0,
            std::future::pending::<Result<(), Failure>>,
        )
        .await;
        let error = result.err();
        assert_eq!(error.as_ref().map(|e| e.attempts), Some(2));
        assert_eq!(error.as_ref().map(|e| e.temporary), Some(true));
        assert_eq!(
            error.map(|e| e.error.code),
            Some(ErrorCode::ServiceUnavailable)
        );
    }
}
