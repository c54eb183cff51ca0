//! The verdict cache: per-domain TTL expiry on an injectable clock, a size bound, and
//! single flight (concurrent checks of one domain share one lookup).
//!
//! Written by hand: moka (already in the tree through hickory) bounds size and expires
//! entries, but on its own clock, which tests cannot move; the parts needed here are a
//! `HashMap` under a mutex and a `tokio::sync::watch` channel per lookup in flight.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::DomainVerdict;

/// A source of "now" for cache expiry; tests use [`ManualClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to (for tests of expiry).
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at the real "now" until [`ManualClock::advance`] is called.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How long verdicts stay cached, and how many.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachePolicy {
    /// Lower bound for positive and negative TTLs (default 5 s).
    pub min_ttl: Duration,
    /// Upper bound for positive TTLs (default 1 h).
    pub max_ttl: Duration,
    /// Upper bound for negative (NXDOMAIN / NoData) TTLs (default 15 min).
    pub max_negative_ttl: Duration,
    /// Negative TTL when the answer carries no SOA (default 60 s).
    pub default_negative_ttl: Duration,
    /// How long an `Unknown` verdict is kept (default 5 s): during an outage each domain
    /// waits for one timeout per period instead of one per message.
    pub unknown_ttl: Duration,
    /// Maximum number of cached domains (default 100 000).
    pub capacity: usize,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            min_ttl: Duration::from_secs(5),
            max_ttl: Duration::from_secs(3600),
            max_negative_ttl: Duration::from_secs(900),
            default_negative_ttl: Duration::from_secs(60),
            unknown_ttl: Duration::from_secs(5),
            capacity: 100_000,
        }
    }
}

impl CachePolicy {
    /// The cache lifetime of a positive answer whose smallest record TTL is `ttl` seconds.
    pub(crate) fn positive(&self, ttl: u32) -> Duration {
        Duration::from_secs(u64::from(ttl)).clamp(self.min_ttl, self.max_ttl.max(self.min_ttl))
    }

    /// The cache lifetime of a negative answer (`None`: no SOA in the answer).
    pub(crate) fn negative(&self, ttl: Option<u32>) -> Duration {
        ttl.map_or(self.default_negative_ttl, |t| {
            Duration::from_secs(u64::from(t))
        })
        .clamp(self.min_ttl, self.max_negative_ttl.max(self.min_ttl))
    }
}

struct Entry {
    verdict: DomainVerdict,
    expires: Instant,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    in_flight: HashMap<String, watch::Receiver<Option<DomainVerdict>>>,
}

/// What a caller should do for a domain.
pub(crate) enum Begin<'c> {
    /// A fresh cached verdict.
    Hit(DomainVerdict),
    /// Another task is looking the domain up: wait on this channel. If the channel closes
    /// without a value (that task was cancelled), start over.
    Wait(watch::Receiver<Option<DomainVerdict>>),
    /// Look it up, then call [`Lead::finish`].
    Lead(Lead<'c>),
}

/// The caller that performs the lookup for a domain. Dropping it without
/// [`Lead::finish`] (cancellation) releases the waiters so one of them takes over.
pub(crate) struct Lead<'c> {
    cache: &'c VerdictCache,
    key: String,
    tx: watch::Sender<Option<DomainVerdict>>,
    finished: bool,
}

impl Lead<'_> {
    /// Stores `verdict` until `expires` and hands it to the waiters.
    pub(crate) fn finish(mut self, verdict: DomainVerdict, now: Instant, ttl: Duration) {
        {
            let mut state = self.cache.lock();
            state.in_flight.remove(&self.key);
            self.cache.make_room(&mut state, &self.key, now);
            state.entries.insert(
                self.key.clone(),
                Entry {
                    verdict: verdict.clone(),
                    // An absurd policy TTL that overflows the clock is not cached at all.
                    expires: now.checked_add(ttl).unwrap_or(now),
                },
            );
        }
        self.finished = true;
        // No receiver left is fine: nobody was waiting.
        let _ = self.tx.send(Some(verdict));
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mine = self.tx.subscribe();
        let mut state = self.cache.lock();
        let ours = state
            .in_flight
            .get(&self.key)
            .is_some_and(|rx| rx.same_channel(&mine));
        if ours {
            state.in_flight.remove(&self.key);
        }
    }
}

/// The bounded TTL cache of verdicts with per-domain single flight.
pub(crate) struct VerdictCache {
    state: Mutex<State>,
    capacity: usize,
}

impl VerdictCache {
    /// An empty cache holding at most `capacity` domains (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Looks `key` up at `now`: a hit, a lookup to wait for, or the lead for a new one.
    pub(crate) fn begin(&self, key: &str, now: Instant) -> Begin<'_> {
        let mut state = self.lock();
        match state.entries.get(key) {
            Some(entry) if entry.expires > now => return Begin::Hit(entry.verdict.clone()),
            Some(_) => {
                state.entries.remove(key);
            }
            None => {}
        }
        if let Some(rx) = state.in_flight.get(key) {
            return Begin::Wait(rx.clone());
        }
        let (tx, rx) = watch::channel(None);
        state.in_flight.insert(key.to_owned(), rx);
        Begin::Lead(Lead {
            cache: self,
            key: key.to_owned(),
            tx,
            finished: false,
        })
    }

    /// Number of cached domains (expired ones included until they are swept).
    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Frees space for one new entry: expired entries go first; if the cache is still
    /// full, an arbitrary tenth of it is dropped (amortised O(1) per insert, no LRU list).
    fn make_room(&self, state: &mut State, key: &str, now: Instant) {
        if state.entries.len() < self.capacity || state.entries.contains_key(key) {
            return;
        }
        state.entries.retain(|_, e| e.expires > now);
        if state.entries.len() < self.capacity {
            return;
        }
        let target = self.capacity - (self.capacity / 10).max(1);
        let excess = state.entries.len().saturating_sub(target);
        let victims: Vec<String> = state.entries.keys().take(excess).cloned().collect();
        for victim in victims {
            state.entries.remove(&victim);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn nx() -> DomainVerdict {
        DomainVerdict::NoMailDomain {
            reason: "NXDOMAIN".into(),
        }
    }

    fn lead<'c>(cache: &'c VerdictCache, key: &str, now: Instant) -> Lead<'c> {
        match cache.begin(key, now) {
            Begin::Lead(lead) => lead,
            _ => panic!("expected to lead the lookup of {key}"),
        }
    }

    #[test]
    fn entry_expires_exactly_at_its_ttl() {
        let clock = ManualClock::new();
        let cache = VerdictCache::new(10);
        lead(&cache, "a.example", clock.now()).finish(nx(), clock.now(), Duration::from_secs(30));
        clock.advance(Duration::from_secs(29));
        assert!(matches!(cache.begin("a.example", clock.now()), Begin::Hit(v) if v == nx()));
        clock.advance(Duration::from_secs(1));
        assert!(matches!(
            cache.begin("a.example", clock.now()),
            Begin::Lead(_)
        ));
    }

    #[test]
    fn second_caller_waits_for_the_first_and_gets_its_verdict() {
        let clock = ManualClock::new();
        let cache = VerdictCache::new(10);
        let first = lead(&cache, "a.example", clock.now());
        let Begin::Wait(rx) = cache.begin("a.example", clock.now()) else {
            panic!("second caller should wait");
        };
        first.finish(DomainVerdict::NullMx, clock.now(), Duration::from_secs(60));
        assert_eq!(*rx.borrow(), Some(DomainVerdict::NullMx));
    }

    #[test]
    fn cancelled_leader_releases_waiters_and_the_next_caller_leads() {
        let clock = ManualClock::new();
        let cache = VerdictCache::new(10);
        let first = lead(&cache, "a.example", clock.now());
        let Begin::Wait(mut rx) = cache.begin("a.example", clock.now()) else {
            panic!("second caller should wait");
        };
        drop(first);
        // The waiter sees a closed channel without a value ...
        assert!(rx.has_changed().is_err());
        assert_eq!(*rx.borrow_and_update(), None);
        // ... and starting over makes it the new leader.
        assert!(matches!(
            cache.begin("a.example", clock.now()),
            Begin::Lead(_)
        ));
    }

    #[test]
    fn full_cache_drops_expired_entries_first_then_a_tenth() {
        let clock = ManualClock::new();
        let cache = VerdictCache::new(20);
        for i in 0..10 {
            let key = format!("short{i}.example");
            lead(&cache, &key, clock.now()).finish(nx(), clock.now(), Duration::from_secs(5));
        }
        for i in 0..10 {
            let key = format!("long{i}.example");
            lead(&cache, &key, clock.now()).finish(nx(), clock.now(), Duration::from_secs(500));
        }
        assert_eq!(cache.len(), 20);
        clock.advance(Duration::from_secs(10));
        lead(&cache, "new.example", clock.now()).finish(
            nx(),
            clock.now(),
            Duration::from_secs(500),
        );
        // The 10 expired entries were swept; all live ones kept.
        assert_eq!(cache.len(), 11);
        for i in 0..10 {
            let key = format!("long{i}.example");
            assert!(
                matches!(cache.begin(&key, clock.now()), Begin::Hit(_)),
                "{key}"
            );
        }
        // Fill up with live entries: the size never exceeds the capacity.
        for i in 0..100 {
            let key = format!("more{i}.example");
            lead(&cache, &key, clock.now()).finish(nx(), clock.now(), Duration::from_secs(500));
            assert!(cache.len() <= 20, "len {} after {key}", cache.len());
        }
        assert!(cache.len() >= 18, "evicts about a tenth, not everything");
    }

    #[test]
    fn policy_clamps_ttls() {
        let p = CachePolicy::default();
        assert_eq!(p.positive(1), Duration::from_secs(5));
        assert_eq!(p.positive(300), Duration::from_secs(300));
        assert_eq!(p.positive(86_400), Duration::from_secs(3600));
        assert_eq!(p.negative(Some(0)), Duration::from_secs(5));
        assert_eq!(p.negative(Some(30)), Duration::from_secs(30));
        assert_eq!(p.negative(Some(86_400)), Duration::from_secs(900));
        assert_eq!(p.negative(None), Duration::from_secs(60));
    }
}
