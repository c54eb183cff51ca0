//! The account suppression list in the send path (issue 5).
//!
//! The store is the source of truth; the gateway keeps an in-memory index of the canonical
//! addresses' xxh3 hashes ([`SuppressionIndex`], about 15 bytes an entry), rebuilt from the store
//! at start and kept in step with every change:
//! - changes made through this gateway are applied to the index at once;
//! - changes made by another process on the same store (the CLI beside a running server, a second
//!   instance on the same PostgreSQL) are read from the store's change log by a background task.
//!   On SQLite it checks the newest change number every [`SYNC_INTERVAL`] — one indexed
//!   `max(seq)` read when nothing changed — so they are honoured within a second. On PostgreSQL
//!   every writer NOTIFYs in the transaction that appends to the change log, and the task
//!   LISTENs ([`Store::listen_suppression_changes`]) and reads the log as soon as a
//!   notification arrives; a poll every [`PG_SAFETY_INTERVAL`] stays as the safety net, and a
//!   lost LISTEN connection is followed by a re-read of the log once it is back (notifications
//!   sent meanwhile are gone, the log is not).
//!
//! Bulk import jobs from S3 (CreateImportJob) run in [`import`].
//!
//! A hash hit is confirmed against the store before a recipient is suppressed (64-bit hashes can
//! collide, rarely); a miss needs no I/O. Which reasons apply is the account setting
//! (`PutAccountSuppressionAttributes`), BOUNCE and COMPLAINT by default.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use bounceguard_core::SesError;
use bounceguard_guard::SuppressionReason;
use bounceguard_store::{
    ChangeOp, PutSuppressedOutcome, Store, StoreError, SuppressedRecord, SuppressionWrite,
};
use bounceguard_suppression::SuppressionIndex;

use super::{Gateway, now_ms, store_error};

pub mod import;

/// How often the background task looks for changes made by other processes (SQLite, or
/// PostgreSQL when LISTEN is unavailable).
pub const SYNC_INTERVAL: Duration = Duration::from_millis(250);
/// The safety-net poll on PostgreSQL while LISTEN works.
pub const PG_SAFETY_INTERVAL: Duration = Duration::from_secs(5);
/// How long the sync task waits before listening again after LISTEN failed.
const LISTEN_RETRY: Duration = Duration::from_secs(1);
/// Hashes read per chunk when the index is built at start.
const LOAD_CHUNK: usize = 100_000;
/// Changes applied per read of the change log.
const CHANGES_PER_READ: u32 = 10_000;

/// The index with the change-log position it reflects and the account's reasons.
pub struct SuppressionState {
    index: SuppressionIndex,
    seen_seq: AtomicI64,
    reasons: RwLock<Vec<SuppressionReason>>,
    /// Held while the change log is applied, so that the sync task, a notification and an
    /// import job never apply the same range at once.
    sync_lock: tokio::sync::Mutex<()>,
    /// The S3 client of import jobs, built on the first job.
    s3: tokio::sync::OnceCell<bounceguard_s3::S3Source>,
}

impl SuppressionState {
    /// Builds the index from the store (the change-log position is read first, so a change made
    /// while loading is applied again by the first sync rather than lost).
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let seen = store.latest_suppression_change_seq().await?;
        let index = SuppressionIndex::new();
        let mut loader = store.suppression_loader(LOAD_CHUNK);
        while let Some(chunk) = loader.next_chunk().await? {
            index.extend(chunk);
        }
        let reasons = store
            .account_suppressed_reasons()
            .await?
            .into_iter()
            .collect();
        Ok(Self {
            index,
            seen_seq: AtomicI64::new(seen),
            reasons: RwLock::new(reasons),
            sync_lock: tokio::sync::Mutex::new(()),
            s3: tokio::sync::OnceCell::new(),
        })
    }

    /// The index.
    pub fn index(&self) -> &SuppressionIndex {
        &self.index
    }
}

impl Gateway {
    /// The in-memory suppression index.
    pub fn suppression_index(&self) -> &SuppressionIndex {
        self.suppression.index()
    }

    /// The reasons the account suppresses for (`SuppressedReasons` of GetAccount).
    pub fn suppressed_reasons(&self) -> Vec<SuppressionReason> {
        self.suppression
            .reasons
            .read()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Sets the account's reasons (`PutAccountSuppressionAttributes`), durably.
    pub async fn set_suppressed_reasons(
        &self,
        reasons: &[SuppressionReason],
    ) -> Result<(), SesError> {
        self.store
            .set_account_suppressed_reasons(reasons, now_ms())
            .await
            .map_err(store_error)?;
        if let Ok(mut current) = self.suppression.reasons.write() {
            *current = reasons.to_vec();
        }
        Ok(())
    }

    /// Adds (or updates) an address on the suppression list — the entry point of the API, the
    /// CLI and, with the events issue, of bounce and complaint notifications. `source` says where
    /// the entry came from (`api`, `import:<job>`, `event:<feedback id>`).
    pub async fn suppress(
        &self,
        address: &str,
        reason: SuppressionReason,
        source: &str,
        message_id: Option<String>,
        feedback_id: Option<String>,
    ) -> Result<PutSuppressedOutcome, SesError> {
        let write = self.suppression_write(address, reason, source, message_id, feedback_id);
        let outcome = self
            .store
            .put_suppressed(&write, now_ms())
            .await
            .map_err(store_error)?;
        self.suppression.index.insert(write.hash, reason);
        Ok(outcome)
    }

    /// The list entry for `address` (canonicalised, with its index hash) as the store writes it.
    pub(crate) fn suppression_write(
        &self,
        address: &str,
        reason: SuppressionReason,
        source: &str,
        message_id: Option<String>,
        feedback_id: Option<String>,
    ) -> SuppressionWrite {
        let canonical = self.canonical_address(address);
        SuppressionWrite {
            hash: bounceguard_suppression::hash(&canonical),
            address: canonical,
            reason,
            source: source.to_string(),
            message_id,
            feedback_id,
        }
    }

    /// Removes an address from the suppression list; the removed entry, if there was one.
    pub async fn unsuppress(&self, address: &str) -> Result<Option<SuppressedRecord>, SesError> {
        let canonical = self.canonical_address(address);
        let removed = self
            .store
            .delete_suppressed(&canonical, now_ms())
            .await
            .map_err(store_error)?;
        self.suppression
            .index
            .remove(bounceguard_suppression::hash(&canonical));
        Ok(removed)
    }

    /// The suppression entry of a canonical address, if the account's reasons make it count.
    pub(super) async fn suppression_fact(
        &self,
        canonical: &str,
    ) -> Result<Option<SuppressionReason>, SesError> {
        if self.suppression.index.lookup(canonical).is_none() {
            return Ok(None);
        }
        // A hash hit: confirm against the store, which also gives the current reason.
        let record = self
            .store
            .get_suppressed(canonical)
            .await
            .map_err(store_error)?;
        let reasons = self.suppressed_reasons();
        Ok(record.map(|r| r.reason).filter(|r| reasons.contains(r)))
    }

    /// Applies the changes other processes made since the last sync; how many were applied.
    pub async fn sync_suppression(&self) -> Result<usize, StoreError> {
        let _applying = self.suppression.sync_lock.lock().await;
        let latest = self.store.latest_suppression_change_seq().await?;
        let mut seen = self.suppression.seen_seq.load(Ordering::Acquire);
        let mut applied = 0;
        while seen < latest {
            let changes = self
                .store
                .suppression_changes_since(seen, CHANGES_PER_READ)
                .await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            for change in &changes {
                match (change.op, change.reason) {
                    (ChangeOp::Put, Some(reason)) => {
                        self.suppression.index.insert(change.hash, reason);
                    }
                    _ => {
                        self.suppression.index.remove(change.hash);
                    }
                }
            }
            applied += changes.len();
            seen = last;
        }
        self.suppression.seen_seq.store(seen, Ordering::Release);
        // The account's reasons may have changed too (one small read).
        let reasons = self.store.account_suppressed_reasons().await?;
        if let Ok(mut current) = self.suppression.reasons.write() {
            *current = reasons.into_iter().collect();
        }
        Ok(applied)
    }

    /// Starts the background task that keeps the index in step with other processes (see the
    /// module docs: LISTEN on PostgreSQL, a cheap poll on SQLite) and fails import jobs whose
    /// server stopped ([`import::STALE_AFTER`]). It ends when the gateway is dropped.
    pub fn spawn_suppression_sync(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let gateway: Weak<Self> = Arc::downgrade(self);
        let store = self.store.clone();
        tokio::spawn(async move {
            let wake = Arc::new(tokio::sync::Notify::new());
            let listening = match store.listen_suppression_changes().await {
                Ok(Some(listener)) => {
                    Some(AbortOnDrop(tokio::spawn(listen(listener, wake.clone()))))
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN for suppression changes failed; polling");
                    None
                }
            };
            let period = if listening.is_some() {
                PG_SAFETY_INTERVAL
            } else {
                SYNC_INTERVAL
            };
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut sweep = tokio::time::interval(import::STALE_AFTER / 2);
            sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let sweep_now = tokio::select! {
                    _ = tick.tick() => false,
                    () = wake.notified() => false,
                    _ = sweep.tick() => true,
                };
                let Some(gateway) = gateway.upgrade() else {
                    return;
                };
                if sweep_now {
                    match gateway.fail_stale_import_jobs().await {
                        Ok(0) => {}
                        Ok(n) => tracing::warn!(jobs = n, "import jobs of a stopped server failed"),
                        Err(e) => tracing::warn!(error = %e, "failing stale import jobs failed"),
                    }
                    continue;
                }
                match gateway.sync_suppression().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(changes = n, "suppression list synced"),
                    Err(e) => tracing::warn!(error = %e, "suppression sync failed; retrying"),
                }
            }
        })
    }
}

/// Aborts a task when dropped (the listener task ends with the sync task).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The PostgreSQL listener: wakes the sync task on every notification and after a reconnect
/// (to re-read what was missed); ends when the store closes.
async fn listen(
    mut listener: bounceguard_store::SuppressionListener,
    wake: Arc<tokio::sync::Notify>,
) {
    loop {
        match listener.recv().await {
            Ok(bounceguard_store::ListenEvent::Notified(_)) => wake.notify_one(),
            Ok(bounceguard_store::ListenEvent::Reconnected) => {
                tracing::info!("LISTEN connection re-established; re-reading the change log");
                wake.notify_one();
            }
            Err(StoreError::Closed) => return,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN for suppression changes lost; retrying");
                tokio::time::sleep(LISTEN_RETRY).await;
                // Anything missed while reconnecting is in the change log.
                wake.notify_one();
            }
        }
    }
}
