//! The account-level suppression list (issue 5; ses-spec §2.4 and §6): its entries, the change
//! log other processes follow, the account's suppressed reasons and the bulk import jobs.
//!
//! The store is the source of truth; the service's in-memory index (crate
//! bounceguard-suppression) is loaded with [`Store::suppression_loader`] and kept in step by
//! [`Store::suppression_changes_since`]. To start without missing a change: read
//! [`Store::latest_suppression_change_seq`] first, load, then apply the changes after that seq.
//!
//! Every write that changes the list appends one row per changed address to
//! `suppression_changes`, in the same transaction. Writes that change nothing (the same address
//! with the same reason) write nothing, so importing a file twice leaves no trace. On
//! PostgreSQL each such transaction first takes one advisory lock, so sequence numbers are
//! committed in order and a reader of "changes since N" cannot skip a late commit, and it sends
//! `pg_notify('bounceguard_suppression', <latest seq>)`, delivered at commit. On SQLite the
//! transactions are `BEGIN IMMEDIATE` on the single write connection.
//!
//! Addresses are stored as given: the caller passes the normalised address and its xxh3-64
//! hash (the store takes no hashing dependency). Reasons are the store's own
//! [`SuppressedReason`] (the store does not depend on the guard crate); the service maps them.

use std::collections::HashMap;

use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{FromRow, QueryBuilder};

use crate::{Db, Store, StoreError, clamp_limit};

/// The PostgreSQL `LISTEN` channel that suppression writes notify; the payload is the latest
/// change seq as decimal text.
pub const SUPPRESSION_CHANNEL: &str = "bounceguard_suppression";

/// Page size of [`Store::list_suppressed`] when [`SuppressionQuery::page_size`] is 0.
pub const DEFAULT_SUPPRESSION_PAGE_SIZE: u32 = 100;

/// Rows per multi-row statement in the bulk writes (7 parameters each: 3,500 binds, well under
/// SQLite's 32,766 and PostgreSQL's 65,535).
const ROWS_PER_STATEMENT: usize = 500;

/// Entries per transaction of [`Store::put_suppressed_bulk`] when the caller passes 0. Large on
/// purpose: inserts into the list's indexes land on random pages, and every commit writes each
/// page it touched, so 100,000 rows per commit import about three times faster on SQLite than
/// 10,000 (measured: 1 M rows in 6–8 s against 23 s).
pub const DEFAULT_BULK_BATCH: usize = 100_000;

/// SQLite page cache during a bulk put, in KiB (negative `cache_size` means KiB).
const BULK_SQLITE_CACHE_KIB: i64 = -262_144;

/// Advisory-lock key that serialises suppression writes on PostgreSQL (an arbitrary constant:
/// "bgsuppr" in ASCII).
const PG_LOCK_KEY: i64 = 0x0062_6773_7570_7072;

/// Takes the suppression advisory lock for the rest of the transaction on `tx`. Every
/// suppression write takes it first, so change seqs commit in order and no other lock is held
/// while waiting for it.
pub(crate) async fn lock_suppression(tx: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PG_LOCK_KEY)
        .execute(tx)
        .await?;
    Ok(())
}

/// Why an address is on the list: SES's `BOUNCE` or `COMPLAINT` (the workspace's one type).
pub use bounceguard_core::SuppressionReason as SuppressedReason;

/// One address to put on the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionWrite {
    /// The normalised address (the key).
    pub address: String,
    /// xxh3-64 of `address` (bounceguard-suppression's `hash`).
    pub hash: u64,
    /// Why it is suppressed.
    pub reason: SuppressedReason,
    /// Where the entry came from: `api`, `cli`, `import:<job id>`, `event:<feedback id>`.
    pub source: String,
    /// The MessageId of the send that bounced or was complained about (entries from events).
    pub message_id: Option<String>,
    /// The FeedbackId of that event.
    pub feedback_id: Option<String>,
}

/// One entry of the list, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedRecord {
    /// The normalised address.
    pub address: String,
    /// xxh3-64 of the address.
    pub hash: u64,
    /// Why it is suppressed.
    pub reason: SuppressedReason,
    /// When the entry was added or its reason last changed, ms since the Unix epoch.
    pub last_update_ms: i64,
    /// Where the entry came from (see [`SuppressionWrite::source`]).
    pub source: String,
    /// The MessageId, for entries added from an event.
    pub message_id: Option<String>,
    /// The FeedbackId, for entries added from an event.
    pub feedback_id: Option<String>,
}

/// What [`Store::put_suppressed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutSuppressedOutcome {
    /// The address was not on the list; it is now.
    Created,
    /// The address was on the list for the given (other) reason; the reason was replaced.
    ReasonChanged(SuppressedReason),
    /// The address was already on the list for this reason: nothing was written.
    Unchanged,
}

/// What a bulk write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    /// Entries added, changed or deleted (one change row each).
    pub changed: u64,
    /// Entries that were already as asked (including repeats of an address in the input).
    pub unchanged: u64,
}

/// Filters and position of [`Store::list_suppressed`] (ListSuppressedDestinations).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuppressionQuery {
    /// Only these reasons; empty means all.
    pub reasons: Vec<SuppressedReason>,
    /// Only entries with `last_update_ms >= start_ms`.
    pub start_ms: Option<i64>,
    /// Only entries with `last_update_ms < end_ms`.
    pub end_ms: Option<i64>,
    /// Continue after this address: the `next` of the previous page.
    pub after: Option<String>,
    /// Entries per page: 0 means [`DEFAULT_SUPPRESSION_PAGE_SIZE`]; at most
    /// [`crate::MAX_PAGE_SIZE`].
    pub page_size: u32,
}

/// One page of [`Store::list_suppressed`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuppressionPage {
    /// Entries in byte order of their address.
    pub entries: Vec<SuppressedRecord>,
    /// Where the next page starts ([`SuppressionQuery::after`]); `None` on the last page.
    /// Pages are keyed by address, so entries added or removed between pages never make an
    /// entry that existed throughout appear twice or not at all.
    pub next: Option<String>,
}

/// What a change-log row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOp {
    /// Added, or its reason changed.
    Put,
    /// Removed.
    Delete,
}

/// One row of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionChange {
    /// Position in the log; strictly increasing in commit order.
    pub seq: i64,
    /// The normalised address.
    pub address: String,
    /// Its xxh3-64 hash.
    pub hash: u64,
    /// Put or delete.
    pub op: ChangeOp,
    /// The new reason of a put; `None` for a delete.
    pub reason: Option<SuppressedReason>,
    /// When, ms since the Unix epoch.
    pub at_ms: i64,
}

/// What a bulk import job does with its addresses (SuppressionListImportAction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportAction {
    /// Put every address on the list.
    Put,
    /// Take every address off the list.
    Delete,
}

impl ImportAction {
    /// The SES word, as stored: `PUT` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }

    /// Parses the SES word.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "PUT" => Some(Self::Put),
            "DELETE" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// An import job's JobStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportJobStatus {
    /// Created, not started.
    Created,
    /// Running.
    Processing,
    /// Finished.
    Completed,
    /// Stopped by an error.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl ImportJobStatus {
    /// The SES word, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Processing => "PROCESSING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Parses the SES word.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "CREATED" => Some(Self::Created),
            "PROCESSING" => Some(Self::Processing),
            "COMPLETED" => Some(Self::Completed),
            "FAILED" => Some(Self::Failed),
            "CANCELLED" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// A bulk import job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJobRecord {
    /// The JobId.
    pub id: String,
    /// Put or delete.
    pub action: ImportAction,
    /// `CSV` or `JSON`.
    pub data_format: String,
    /// Where the data came from (S3Url, or a local file for the CLI).
    pub source_url: String,
    /// Where the job is.
    pub status: ImportJobStatus,
    /// Records processed so far.
    pub processed_count: i64,
    /// Records refused so far.
    pub failed_count: i64,
    /// Why the job failed, if it did.
    pub error_message: Option<String>,
    /// When the job was created, ms since the Unix epoch.
    pub created_ms: i64,
    /// When it ended, if it has.
    pub completed_ms: Option<i64>,
}

/// A PostgreSQL `LISTEN` on [`SUPPRESSION_CHANNEL`], made by
/// [`Store::listen_suppression_changes`]: its own connection outside the pool.
pub struct SuppressionListener {
    listener: sqlx::postgres::PgListener,
}

/// What [`SuppressionListener::recv`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenEvent {
    /// A notification, with its payload (the latest change seq) when it parses.
    Notified(Option<i64>),
    /// The connection was lost and has been re-established (listening again): notifications
    /// sent meanwhile are gone, so the caller re-reads the change log.
    Reconnected,
}

impl SuppressionListener {
    /// Waits for the next notification or a lost connection. [`StoreError::Closed`] when the
    /// store's pool was closed (stop listening); another error means reconnecting failed and
    /// the next call tries again.
    pub async fn recv(&mut self) -> Result<ListenEvent, StoreError> {
        match self.listener.try_recv().await {
            Ok(Some(notification)) => {
                Ok(ListenEvent::Notified(notification.payload().parse().ok()))
            }
            Ok(None) => Ok(ListenEvent::Reconnected),
            Err(sqlx::Error::PoolClosed) => Err(StoreError::Closed),
            Err(e) => Err(e.into()),
        }
    }
}

/// Reads the whole list in chunks of `(hash, reason)`, ordered by hash, for the in-memory
/// index: integers and a short text per row, no addresses. Made by
/// [`Store::suppression_loader`].
pub struct SuppressionLoader {
    store: Store,
    chunk: i64,
    after: Option<i64>,
    done: bool,
}

impl SuppressionLoader {
    /// The next chunk, or `None` when the list has been read. Each chunk holds about `chunk`
    /// pairs (a little more when addresses share a hash at a chunk's end).
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<(u64, SuppressedReason)>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        // One row per chunk: the pairs packed as text by the database (`<hash><B|C>,…`), since
        // the drivers hand rows over one at a time and a million small rows cost seconds.
        let first = self.after.is_none();
        let bound = self.after.unwrap_or(i64::MIN);
        let packed: PackedChunk = match &self.store.inner.db {
            Db::Sqlite { read, .. } => {
                sqlx::query_as(packed_query(false, first))
                    .bind(bound)
                    .bind(self.chunk)
                    .fetch_one(read)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as(packed_query(true, first))
                    .bind(bound)
                    .bind(self.chunk)
                    .fetch_one(pool)
                    .await?
            }
        };
        let mut rows = unpack(packed.pairs.as_deref().unwrap_or_default())?;
        if packed.count < self.chunk {
            self.done = true;
        } else if let Some(last) = packed.last {
            // Rows sharing the last hash may run past the limit: take all of them at once, so
            // the next chunk can start strictly after it.
            rows.retain(|&(hash, _)| hash != last);
            let same: Vec<HashRow> = with_read!(&self.store.inner.db, pool, DB => {
                sqlx::query_as(
                    "SELECT address_hash, reason FROM suppressed_destinations \
                     WHERE address_hash = $1",
                )
                .bind(last)
                .fetch_all(pool)
                .await?
            });
            for row in same {
                rows.push((row.address_hash, reason_from_db(&row.reason)?));
            }
            self.after = Some(last);
        }
        let rows: Vec<(u64, SuppressedReason)> = rows
            .into_iter()
            .map(|(hash, reason)| (from_db_hash(hash), reason))
            .collect();
        if rows.is_empty() && self.done {
            return Ok(None);
        }
        Ok(Some(rows))
    }
}

/// One chunk of the start-up load, packed by the database.
#[derive(FromRow)]
struct PackedChunk {
    /// `<hash><B|C>` items joined by `,` (NULL when the chunk is empty).
    pairs: Option<String>,
    /// The largest hash in the chunk.
    last: Option<i64>,
    /// Rows in the chunk.
    count: i64,
}

/// The packed chunk query for a backend: `$1` the bound, `$2` the chunk size. The first chunk
/// starts at `address_hash >= i64::MIN`, the others strictly after the last hash read, so each
/// is a range scan of the covering index `(address_hash, reason)`.
fn packed_query(postgres: bool, first: bool) -> &'static str {
    match (postgres, first) {
        (false, true) => concat!(
            "SELECT group_concat(item, ',') AS pairs, MAX(h) AS last, COUNT(*) AS count FROM ",
            "(SELECT address_hash AS h, address_hash || substr(reason, 1, 1) AS item ",
            "FROM suppressed_destinations WHERE address_hash >= $1 ORDER BY address_hash LIMIT $2)"
        ),
        (false, false) => concat!(
            "SELECT group_concat(item, ',') AS pairs, MAX(h) AS last, COUNT(*) AS count FROM ",
            "(SELECT address_hash AS h, address_hash || substr(reason, 1, 1) AS item ",
            "FROM suppressed_destinations WHERE address_hash > $1 ORDER BY address_hash LIMIT $2)"
        ),
        (true, true) => concat!(
            "SELECT string_agg(item, ',') AS pairs, MAX(h) AS last, COUNT(*) AS count FROM ",
            "(SELECT address_hash AS h, address_hash || substr(reason, 1, 1) AS item ",
            "FROM suppressed_destinations WHERE address_hash >= $1 ORDER BY address_hash LIMIT $2) t"
        ),
        (true, false) => concat!(
            "SELECT string_agg(item, ',') AS pairs, MAX(h) AS last, COUNT(*) AS count FROM ",
            "(SELECT address_hash AS h, address_hash || substr(reason, 1, 1) AS item ",
            "FROM suppressed_destinations WHERE address_hash > $1 ORDER BY address_hash LIMIT $2) t"
        ),
    }
}

/// Reads the packed pairs (hand-written: a trivial format produced by the queries above).
fn unpack(text: &str) -> Result<Vec<(i64, SuppressedReason)>, StoreError> {
    let mut out = Vec::with_capacity(text.len() / 20 + 1);
    for item in text.split(',').filter(|item| !item.is_empty()) {
        let (hash, reason) = if let Some(hash) = item.strip_suffix('B') {
            (hash, SuppressedReason::Bounce)
        } else if let Some(hash) = item.strip_suffix('C') {
            (hash, SuppressedReason::Complaint)
        } else {
            return Err(corrupt("packed suppression item", item));
        };
        let hash = hash
            .parse::<i64>()
            .map_err(|_| corrupt("packed suppression item", item))?;
        out.push((hash, reason));
    }
    Ok(out)
}

#[derive(FromRow)]
struct HashRow {
    address_hash: i64,
    reason: String,
}

#[derive(FromRow)]
struct RecordRow {
    address: String,
    address_hash: i64,
    reason: String,
    last_update_ms: i64,
    source: String,
    message_id: Option<String>,
    feedback_id: Option<String>,
}

impl RecordRow {
    fn into_record(self) -> Result<SuppressedRecord, StoreError> {
        Ok(SuppressedRecord {
            reason: reason_from_db(&self.reason)?,
            hash: from_db_hash(self.address_hash),
            address: self.address,
            last_update_ms: self.last_update_ms,
            source: self.source,
            message_id: self.message_id,
            feedback_id: self.feedback_id,
        })
    }
}

#[derive(FromRow)]
struct ChangeRow {
    seq: i64,
    address: String,
    address_hash: i64,
    op: String,
    reason: Option<String>,
    at_ms: i64,
}

#[derive(FromRow)]
struct JobRow {
    id: String,
    action: String,
    data_format: String,
    source_url: String,
    status: String,
    processed_count: i64,
    failed_count: i64,
    error_message: Option<String>,
    created_ms: i64,
    completed_ms: Option<i64>,
}

impl JobRow {
    fn into_record(self) -> Result<ImportJobRecord, StoreError> {
        Ok(ImportJobRecord {
            action: ImportAction::parse(&self.action)
                .ok_or_else(|| corrupt("import job action", &self.action))?,
            status: ImportJobStatus::parse(&self.status)
                .ok_or_else(|| corrupt("import job status", &self.status))?,
            id: self.id,
            data_format: self.data_format,
            source_url: self.source_url,
            processed_count: self.processed_count,
            failed_count: self.failed_count,
            error_message: self.error_message,
            created_ms: self.created_ms,
            completed_ms: self.completed_ms,
        })
    }
}

/// The bits of a `u64` hash as the signed BIGINT both engines store.
fn to_db_hash(hash: u64) -> i64 {
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The `u64` hash back from its stored bits.
fn from_db_hash(value: i64) -> u64 {
    u64::from_ne_bytes(value.to_ne_bytes())
}

/// A stored value that the migrations' CHECK constraints should have made impossible.
fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::from(corrupt_sqlx(what, value))
}

/// [`corrupt`] as the driver's error, for code that runs inside another module's transaction.
fn corrupt_sqlx(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} {value:?} in the database").into())
}

fn reason_from_db(text: &str) -> Result<SuppressedReason, StoreError> {
    SuppressedReason::parse(text).ok_or_else(|| corrupt("suppression reason", text))
}

/// Runs `$body` inside a write transaction `$tx` (SQLite: `BEGIN IMMEDIATE` on the write
/// connection; PostgreSQL: after taking the suppression advisory lock), with `$pg` telling the
/// backend. The body commits; returning early rolls back.
macro_rules! with_suppression_tx {
    ($db:expr, $tx:ident, $pg:ident, $DB:ident => $body:expr) => {
        match $db {
            Db::Sqlite { write, .. } => {
                #[allow(dead_code)]
                type $DB = sqlx::Sqlite;
                let mut $tx = write.begin_with("BEGIN IMMEDIATE").await?;
                let $pg = false;
                $body
            }
            Db::Postgres(pool) => {
                #[allow(dead_code)]
                type $DB = sqlx::Postgres;
                let mut $tx = pool.begin().await?;
                lock_suppression(&mut $tx).await?;
                let $pg = true;
                $body
            }
        }
    };
}

/// Appends change rows and, on PostgreSQL, queues the notification (sent at commit).
macro_rules! log_changes {
    ($tx:ident, $pg:ident, $DB:ty, $changes:expr, $at_ms:expr) => {{
        let changes: &[(String, i64, &str, Option<&str>)] = $changes;
        for chunk in changes.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<$DB>::new(
                "INSERT INTO suppression_changes (address, address_hash, op, reason, at_ms) ",
            );
            query.push_values(chunk, |mut row, (address, hash, op, reason)| {
                row.push_bind(address.as_str())
                    .push_bind(*hash)
                    .push_bind(*op)
                    .push_bind(*reason)
                    .push_bind($at_ms);
            });
            query.build().execute(&mut *$tx).await?;
        }
        if $pg && !changes.is_empty() {
            sqlx::query(
                "SELECT pg_notify($1, CAST((SELECT MAX(seq) FROM suppression_changes) AS TEXT))",
            )
            .bind(SUPPRESSION_CHANNEL)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

/// Staging table for bulk puts, per connection (SQLite keeps it; PostgreSQL drops it at
/// commit). The `C` collation on PostgreSQL matches the list's key column.
const STAGING_SQLITE: &str = "CREATE TEMP TABLE IF NOT EXISTS suppression_staging (\
    address TEXT NOT NULL, address_hash BIGINT NOT NULL, reason TEXT NOT NULL, \
    source TEXT NOT NULL, message_id TEXT, feedback_id TEXT)";
const STAGING_POSTGRES: &str = "CREATE TEMP TABLE IF NOT EXISTS suppression_staging (\
    address TEXT COLLATE \"C\" NOT NULL, address_hash BIGINT NOT NULL, reason TEXT NOT NULL, \
    source TEXT NOT NULL, message_id TEXT, feedback_id TEXT) ON COMMIT DROP";

/// Rows per statement when filling the staging table (6 parameters each).
const STAGING_ROWS_PER_STATEMENT: usize = 2_000;

/// Writes one batch through the staging table, set-based (no row comes back to the client):
/// logs a change for every address that is new or changes reason, then upserts exactly those.
/// Evaluates to the number of changed addresses.
macro_rules! staged_upsert {
    ($tx:ident, $pg:ident, $DB:ty, $entries:expr, $now_ms:expr) => {{
        sqlx::query(if $pg { STAGING_POSTGRES } else { STAGING_SQLITE })
            .execute(&mut *$tx)
            .await?;
        sqlx::query("DELETE FROM suppression_staging")
            .execute(&mut *$tx)
            .await?;
        for chunk in $entries.chunks(STAGING_ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<$DB>::new(
                "INSERT INTO suppression_staging (address, address_hash, reason, source, \
                 message_id, feedback_id) ",
            );
            query.push_values(chunk, |mut row, entry| {
                row.push_bind(entry.address.as_str())
                    .push_bind(to_db_hash(entry.hash))
                    .push_bind(entry.reason.as_str())
                    .push_bind(entry.source.as_str())
                    .push_bind(entry.message_id.as_deref())
                    .push_bind(entry.feedback_id.as_deref());
            });
            query.build().execute(&mut *$tx).await?;
        }
        let changed = sqlx::query(
            "INSERT INTO suppression_changes (address, address_hash, op, reason, at_ms) \
             SELECT s.address, s.address_hash, 'put', s.reason, $1 FROM suppression_staging s \
             LEFT JOIN suppressed_destinations d ON d.address = s.address \
             WHERE d.address IS NULL OR d.reason <> s.reason",
        )
        .bind($now_ms)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if changed > 0 {
            sqlx::query(
                "INSERT INTO suppressed_destinations (address, address_hash, reason, \
                 last_update_ms, source, message_id, feedback_id) \
                 SELECT address, address_hash, reason, $1, source, message_id, feedback_id \
                 FROM suppression_staging WHERE true \
                 ON CONFLICT (address) DO UPDATE SET address_hash = excluded.address_hash, \
                 reason = excluded.reason, last_update_ms = excluded.last_update_ms, \
                 source = excluded.source, message_id = excluded.message_id, \
                 feedback_id = excluded.feedback_id \
                 WHERE suppressed_destinations.reason <> excluded.reason",
            )
            .bind($now_ms)
            .execute(&mut *$tx)
            .await?;
            if $pg {
                sqlx::query(
                    "SELECT pg_notify($1, CAST((SELECT MAX(seq) FROM suppression_changes) AS TEXT))",
                )
                .bind(SUPPRESSION_CHANNEL)
                .execute(&mut *$tx)
                .await?;
            }
        }
        if !$pg {
            sqlx::query("DELETE FROM suppression_staging")
                .execute(&mut *$tx)
                .await?;
        }
        changed
    }};
}

/// One multi-row delete, returning the removed rows as `(address, hash)`.
macro_rules! delete_returning {
    ($tx:ident, $DB:ty, $chunk:expr) => {{
        let mut query =
            QueryBuilder::<$DB>::new("DELETE FROM suppressed_destinations WHERE address IN (");
        let mut list = query.separated(", ");
        for address in $chunk {
            list.push_bind(address.as_str());
        }
        query.push(") RETURNING address, address_hash");
        query.build_query_as().fetch_all(&mut *$tx).await?
    }};
}

/// What a batch of puts does, worked out from the reasons stored before it
/// ([`plan_puts`]).
struct PutPlan<'a> {
    /// Each entry's outcome, in order.
    outcomes: Vec<PutSuppressedOutcome>,
    /// Change-log rows `(address, hash, reason)`, one per entry that changed something, in order.
    changes: Vec<(&'a str, i64, &'a str)>,
    /// The entry each changed address ends with (what is stored), in address order.
    rows: Vec<(&'a SuppressionWrite, i64)>,
    /// The change-log time: the latest `now_ms` among the changed entries.
    at_ms: i64,
}

/// Works out a batch of puts as [`Store::put_suppressed`] calls in order would do them: an
/// entry whose address has the same reason (stored, or from an earlier entry) is `Unchanged`
/// and writes nothing; otherwise it is logged and its address ends up stored as its last
/// changed entry. `stored` holds the reasons on the list now (addresses not on it absent).
fn plan_puts<'a>(
    entries: &[(&'a SuppressionWrite, i64)],
    mut stored: HashMap<&'a str, SuppressedReason>,
) -> PutPlan<'a> {
    let mut outcomes = Vec::with_capacity(entries.len());
    let mut changes = Vec::new();
    let mut last_change: HashMap<&str, (&SuppressionWrite, i64)> = HashMap::new();
    let mut at_ms = 0;
    for &(entry, now_ms) in entries {
        let outcome = match stored.get(entry.address.as_str()) {
            Some(old) if *old == entry.reason => {
                outcomes.push(PutSuppressedOutcome::Unchanged);
                continue;
            }
            Some(old) => PutSuppressedOutcome::ReasonChanged(*old),
            None => PutSuppressedOutcome::Created,
        };
        stored.insert(entry.address.as_str(), entry.reason);
        changes.push((
            entry.address.as_str(),
            to_db_hash(entry.hash),
            entry.reason.as_str(),
        ));
        last_change.insert(entry.address.as_str(), (entry, now_ms));
        at_ms = i64::max(at_ms, now_ms);
        outcomes.push(outcome);
    }
    // In key order: fewer index pages touched, and concurrent writers lock rows in one order.
    let mut rows: Vec<(&SuppressionWrite, i64)> = last_change.into_values().collect();
    rows.sort_unstable_by(|a, b| a.0.address.cmp(&b.0.address));
    PutPlan {
        outcomes,
        changes,
        rows,
        at_ms,
    }
}

/// The distinct addresses of `entries`.
fn distinct_addresses<'a>(entries: &[(&'a SuppressionWrite, i64)]) -> Vec<&'a str> {
    let mut addresses: Vec<&str> = entries.iter().map(|(e, _)| e.address.as_str()).collect();
    addresses.sort_unstable();
    addresses.dedup();
    addresses
}

/// The stored reasons of `rows` read back as `(address, reason)`, keyed by the caller's
/// address strings.
fn stored_reasons<'a>(
    addresses: &[&'a str],
    rows: Vec<(String, String)>,
) -> Result<HashMap<&'a str, SuppressedReason>, sqlx::Error> {
    let mut stored = HashMap::with_capacity(rows.len());
    for (address, reason) in rows {
        let reason = SuppressedReason::parse(&reason)
            .ok_or_else(|| corrupt_sqlx("suppression reason", &reason))?;
        if let Ok(i) = addresses.binary_search(&address.as_str())
            && let Some(key) = addresses.get(i)
        {
            stored.insert(*key, reason);
        }
    }
    Ok(stored)
}

/// The upsert both backends finish a put with (after their own row source).
const UPSERT_CONFLICT: &str = " ON CONFLICT (address) DO UPDATE SET \
    address_hash = excluded.address_hash, reason = excluded.reason, \
    last_update_ms = excluded.last_update_ms, source = excluded.source, \
    message_id = excluded.message_id, feedback_id = excluded.feedback_id";

/// Puts `entries` (each with its `now_ms`) on the list inside an open SQLite transaction, each
/// as [`Store::put_suppressed`] would, in order ([`plan_puts`]). Four statements whatever the
/// batch size, each with fixed text (so prepared once) and the rows passed as one JSON array
/// (`json_each`): every statement costs a round trip to the driver's thread, and multi-row
/// `VALUES` lists of varying length were re-prepared on every batch.
pub(crate) async fn put_entries_sqlite(
    tx: &mut SqliteConnection,
    entries: &[(&SuppressionWrite, i64)],
) -> Result<Vec<PutSuppressedOutcome>, sqlx::Error> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let addresses = distinct_addresses(entries);
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT address, reason FROM suppressed_destinations \
         WHERE address IN (SELECT value FROM json_each($1))",
    )
    .bind(to_json(&addresses)?)
    .fetch_all(&mut *tx)
    .await?;
    let plan = plan_puts(entries, stored_reasons(&addresses, rows)?);
    if plan.changes.is_empty() {
        return Ok(plan.outcomes);
    }
    let rows: Vec<_> = plan
        .rows
        .iter()
        .map(|(e, at)| {
            (
                e.address.as_str(),
                to_db_hash(e.hash),
                e.reason.as_str(),
                at,
                e.source.as_str(),
                e.message_id.as_deref(),
                e.feedback_id.as_deref(),
            )
        })
        .collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO suppressed_destinations (address, address_hash, reason, last_update_ms, \
         source, message_id, feedback_id) SELECT value ->> 0, value ->> 1, value ->> 2, \
         value ->> 3, value ->> 4, value ->> 5, value ->> 6 FROM json_each($1) WHERE true\
         {UPSERT_CONFLICT}"
    )))
    .bind(to_json(&rows)?)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO suppression_changes (address, address_hash, op, reason, at_ms) \
         SELECT value ->> 0, value ->> 1, 'put', value ->> 2, $2 FROM json_each($1) ORDER BY key",
    )
    .bind(to_json(&plan.changes)?)
    .bind(plan.at_ms)
    .execute(&mut *tx)
    .await?;
    Ok(plan.outcomes)
}

/// [`put_entries_sqlite`] on PostgreSQL: arrays and `UNNEST`, fixed SQL, then the change
/// notification. The caller must hold the suppression advisory lock ([`lock_suppression`],
/// taken first in the transaction), so change seqs commit in order.
pub(crate) async fn put_entries_postgres(
    tx: &mut PgConnection,
    entries: &[(&SuppressionWrite, i64)],
) -> Result<Vec<PutSuppressedOutcome>, sqlx::Error> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let addresses = distinct_addresses(entries);
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT address, reason FROM suppressed_destinations WHERE address = ANY($1::text[])",
    )
    .bind(&addresses)
    .fetch_all(&mut *tx)
    .await?;
    let plan = plan_puts(entries, stored_reasons(&addresses, rows)?);
    if plan.changes.is_empty() {
        return Ok(plan.outcomes);
    }
    let rows = &plan.rows;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO suppressed_destinations (address, address_hash, reason, last_update_ms, \
         source, message_id, feedback_id) SELECT * FROM UNNEST($1::text[], $2::int8[], \
         $3::text[], $4::int8[], $5::text[], $6::text[], $7::text[]){UPSERT_CONFLICT}"
    )))
    .bind(
        rows.iter()
            .map(|(e, _)| e.address.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|(e, _)| to_db_hash(e.hash))
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|(e, _)| e.reason.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|(_, at)| *at).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|(e, _)| e.source.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|(e, _)| e.message_id.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|(e, _)| e.feedback_id.as_deref())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO suppression_changes (address, address_hash, op, reason, at_ms) \
         SELECT a, h, 'put', r, $4 FROM UNNEST($1::text[], $2::int8[], $3::text[]) \
         WITH ORDINALITY AS u(a, h, r, n) ORDER BY n",
    )
    .bind(plan.changes.iter().map(|c| c.0).collect::<Vec<_>>())
    .bind(plan.changes.iter().map(|c| c.1).collect::<Vec<_>>())
    .bind(plan.changes.iter().map(|c| c.2).collect::<Vec<_>>())
    .bind(plan.at_ms)
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_notify($1, CAST((SELECT MAX(seq) FROM suppression_changes) AS TEXT))")
        .bind(SUPPRESSION_CHANNEL)
        .execute(&mut *tx)
        .await?;
    Ok(plan.outcomes)
}

/// `value` as JSON text, for the `json_each` statements on SQLite.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Largest batch of [`Store::put_suppressed`] calls committed together.
const PUTS_PER_COMMIT: usize = 512;

type PendingPut = (
    SuppressionWrite,
    i64,
    tokio::sync::oneshot::Sender<Result<PutSuppressedOutcome, StoreError>>,
);

/// Pending [`Store::put_suppressed`] calls, committed together by one drain task at a time.
#[derive(Default)]
pub(crate) struct PutCombiner {
    state: std::sync::Mutex<PutQueue>,
}

#[derive(Default)]
struct PutQueue {
    queue: Vec<PendingPut>,
    running: bool,
}

/// Commits the queued puts in batches until the queue is empty. A failed batch is retried one
/// entry at a time, so each caller gets its own entry's answer.
async fn drain_puts(store: Store) {
    loop {
        let batch: Vec<PendingPut> = {
            let mut state = store
                .inner
                .suppress
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if state.queue.is_empty() {
                state.running = false;
                return;
            }
            let take = state.queue.len().min(PUTS_PER_COMMIT);
            state.queue.drain(..take).collect()
        };
        let entries: Vec<(SuppressionWrite, i64)> = batch
            .iter()
            .map(|(entry, at, _)| (entry.clone(), *at))
            .collect();
        match store.put_suppressed_batch(&entries).await {
            Ok(outcomes) => {
                for ((_, _, reply), outcome) in batch.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(_) if batch.len() > 1 => {
                for (entry, at, reply) in batch {
                    let answer = store.put_suppressed_batch(&[(entry, at)]).await;
                    let _ = reply.send(answer.and_then(|mut o| o.pop().ok_or(StoreError::Closed)));
                }
            }
            Err(e) => {
                for (_, _, reply) in batch {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

impl Store {
    /// Puts one address on the list (PutSuppressedDestination, the CLI, an event). Idempotent:
    /// the same address with the same reason changes nothing and logs nothing; another reason
    /// replaces the reason, source and IDs and moves `last_update_ms` to `now_ms`.
    ///
    /// Concurrent calls share one transaction (group commit, like sends and events): a burst of
    /// bounce notifications costs one durable commit per batch, not one per address. Returns
    /// once the entry is committed.
    pub async fn put_suppressed(
        &self,
        entry: &SuppressionWrite,
        now_ms: i64,
    ) -> Result<PutSuppressedOutcome, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let start = {
            let mut state = self
                .inner
                .suppress
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.queue.push((entry.clone(), now_ms, reply));
            !std::mem::replace(&mut state.running, true)
        };
        if start {
            tokio::spawn(drain_puts(self.clone()));
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Puts `entries` on the list in ONE transaction, each as [`Store::put_suppressed`] would
    /// (in order, so a later entry for the same address sees the earlier one).
    async fn put_suppressed_batch(
        &self,
        entries: &[(SuppressionWrite, i64)],
    ) -> Result<Vec<PutSuppressedOutcome>, StoreError> {
        let entries: Vec<(&SuppressionWrite, i64)> =
            entries.iter().map(|(e, at)| (e, *at)).collect();
        let outcomes = match &self.inner.db {
            Db::Sqlite { write, .. } => {
                let mut tx = write.begin_with("BEGIN IMMEDIATE").await?;
                let outcomes = put_entries_sqlite(&mut tx, &entries).await?;
                tx.commit().await?;
                outcomes
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                lock_suppression(&mut tx).await?;
                let outcomes = put_entries_postgres(&mut tx, &entries).await?;
                tx.commit().await?;
                outcomes
            }
        };
        Ok(outcomes)
    }

    /// Takes one address off the list (DeleteSuppressedDestination); returns the entry it
    /// removed, or `None` when the address was not on the list (SES's NotFoundException).
    pub async fn delete_suppressed(
        &self,
        address: &str,
        now_ms: i64,
    ) -> Result<Option<SuppressedRecord>, StoreError> {
        with_suppression_tx!(&self.inner.db, tx, pg, DB => {
            let row: Option<RecordRow> = sqlx::query_as(
                "DELETE FROM suppressed_destinations WHERE address = $1 RETURNING address, \
                 address_hash, reason, last_update_ms, source, message_id, feedback_id",
            )
            .bind(address)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let change = [(row.address.clone(), row.address_hash, "delete", None)];
            log_changes!(tx, pg, DB, &change, now_ms);
            tx.commit().await?;
            row.into_record().map(Some)
        })
    }

    /// The entry for one address (GetSuppressedDestination).
    pub async fn get_suppressed(
        &self,
        address: &str,
    ) -> Result<Option<SuppressedRecord>, StoreError> {
        let row: Option<RecordRow> = with_read!(&self.inner.db, pool, DB => sqlx::query_as(
            "SELECT address, address_hash, reason, last_update_ms, source, message_id, \
             feedback_id FROM suppressed_destinations WHERE address = $1",
        )
        .bind(address)
        .fetch_optional(pool)
        .await?);
        row.map(RecordRow::into_record).transpose()
    }

    /// One page of the list (ListSuppressedDestinations), in byte order of the address.
    pub async fn list_suppressed(
        &self,
        query: &SuppressionQuery,
    ) -> Result<SuppressionPage, StoreError> {
        let limit = clamp_limit(query.page_size, DEFAULT_SUPPRESSION_PAGE_SIZE);
        let mut reasons: Vec<&str> = query.reasons.iter().map(|r| r.as_str()).collect();
        reasons.sort_unstable();
        reasons.dedup();
        let rows: Vec<RecordRow> = with_read!(&self.inner.db, pool, DB => {
            let mut sql = QueryBuilder::<DB>::new(
                "SELECT address, address_hash, reason, last_update_ms, source, message_id, \
                 feedback_id FROM suppressed_destinations WHERE 1 = 1",
            );
            if !reasons.is_empty() {
                sql.push(" AND reason IN (");
                let mut list = sql.separated(", ");
                for reason in &reasons {
                    list.push_bind(*reason);
                }
                sql.push(")");
            }
            if let Some(start) = query.start_ms {
                sql.push(" AND last_update_ms >= ").push_bind(start);
            }
            if let Some(end) = query.end_ms {
                sql.push(" AND last_update_ms < ").push_bind(end);
            }
            if let Some(after) = &query.after {
                sql.push(" AND address > ").push_bind(after.as_str());
            }
            sql.push(" ORDER BY address LIMIT ").push_bind(limit + 1);
            sql.build_query_as().fetch_all(pool).await?
        });
        let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
        let mut entries = rows
            .into_iter()
            .map(RecordRow::into_record)
            .collect::<Result<Vec<_>, _>>()?;
        if more {
            entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        let next = if more {
            entries.last().map(|e| e.address.clone())
        } else {
            None
        };
        Ok(SuppressionPage { entries, next })
    }

    /// Number of entries on the list.
    pub async fn count_suppressed(&self) -> Result<u64, StoreError> {
        let count: i64 = with_read!(&self.inner.db, pool, DB => sqlx::query_scalar(
            "SELECT COUNT(*) FROM suppressed_destinations",
        )
        .fetch_one(pool)
        .await?);
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// A reader of the whole list as `(hash, reason)` chunks of about `chunk` rows, for the
    /// in-memory index (see the module docs for how to start without missing a change).
    pub fn suppression_loader(&self, chunk: usize) -> SuppressionLoader {
        SuppressionLoader {
            store: self.clone(),
            chunk: i64::try_from(chunk.max(1)).unwrap_or(i64::MAX),
            after: None,
            done: false,
        }
    }

    /// Up to `limit` change-log rows with `seq > after`, oldest first.
    pub async fn suppression_changes_since(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<SuppressionChange>, StoreError> {
        let rows: Vec<ChangeRow> = with_read!(&self.inner.db, pool, DB => sqlx::query_as(
            "SELECT seq, address, address_hash, op, reason, at_ms FROM suppression_changes \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit.max(1)))
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|row| {
                let op = match row.op.as_str() {
                    "put" => ChangeOp::Put,
                    "delete" => ChangeOp::Delete,
                    other => return Err(corrupt("change op", other)),
                };
                let reason = row.reason.as_deref().map(reason_from_db).transpose()?;
                Ok(SuppressionChange {
                    seq: row.seq,
                    address: row.address,
                    hash: from_db_hash(row.address_hash),
                    op,
                    reason,
                    at_ms: row.at_ms,
                })
            })
            .collect()
    }

    /// Listens for suppression changes on PostgreSQL (every committed change and settings
    /// write notifies [`SUPPRESSION_CHANNEL`]); `None` on SQLite, where followers poll
    /// [`Store::latest_suppression_change_seq`] instead.
    pub async fn listen_suppression_changes(
        &self,
    ) -> Result<Option<SuppressionListener>, StoreError> {
        match &self.inner.db {
            Db::Sqlite { .. } => Ok(None),
            Db::Postgres(pool) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(SUPPRESSION_CHANNEL).await?;
                Ok(Some(SuppressionListener { listener }))
            }
        }
    }

    /// The seq of the latest change (0 when there has been none): the cheap "has anything
    /// changed?" check a SQLite follower polls.
    pub async fn latest_suppression_change_seq(&self) -> Result<i64, StoreError> {
        Ok(
            with_read!(&self.inner.db, pool, DB => sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(MAX(seq), CAST(0 AS BIGINT)) FROM suppression_changes",
        )
        .fetch_one(pool)
        .await?),
        )
    }

    /// Deletes change-log rows with `seq <= up_to` (once every follower is past them); returns
    /// how many.
    pub async fn prune_suppression_changes(&self, up_to: i64) -> Result<u64, StoreError> {
        Ok(with_write!(&self.inner.db, pool => sqlx::query(
            "DELETE FROM suppression_changes WHERE seq <= $1",
        )
        .bind(up_to)
        .execute(pool)
        .await?
        .rows_affected()))
    }

    /// Puts many addresses on the list (imports), `batch` entries per transaction (0 means
    /// [`DEFAULT_BULK_BATCH`]). Idempotent like [`Store::put_suppressed`]: only entries that are new or change
    /// reason are written and logged. An address given twice keeps its last reason.
    pub async fn put_suppressed_bulk(
        &self,
        entries: &[SuppressionWrite],
        now_ms: i64,
        batch: usize,
    ) -> Result<BulkOutcome, StoreError> {
        // SQLite: a larger page cache while the batches run (random inserts into two indexes
        // of a million rows thrash the default 2 MiB), restored afterwards.
        let old_cache = match &self.inner.db {
            Db::Sqlite { write, .. } => {
                let old: i64 = sqlx::query_scalar("PRAGMA cache_size")
                    .fetch_one(write)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "PRAGMA cache_size = {BULK_SQLITE_CACHE_KIB}"
                )))
                .execute(write)
                .await?;
                Some((write, old))
            }
            Db::Postgres(_) => None,
        };
        let result = self.put_suppressed_batches(entries, now_ms, batch).await;
        if let Some((write, old)) = old_cache {
            sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = {old}")))
                .execute(write)
                .await?;
        }
        result
    }

    /// [`Store::put_suppressed_bulk`] without the cache setting.
    async fn put_suppressed_batches(
        &self,
        entries: &[SuppressionWrite],
        now_ms: i64,
        batch: usize,
    ) -> Result<BulkOutcome, StoreError> {
        let batch = if batch == 0 {
            DEFAULT_BULK_BATCH
        } else {
            batch
        };
        let mut outcome = BulkOutcome::default();
        for part in entries.chunks(batch) {
            // Keep the last occurrence of each address: PostgreSQL refuses an upsert that
            // touches one row twice.
            let mut last: HashMap<&str, usize> = HashMap::with_capacity(part.len());
            for (i, entry) in part.iter().enumerate() {
                last.insert(entry.address.as_str(), i);
            }
            let mut unique: Vec<&SuppressionWrite> = part
                .iter()
                .enumerate()
                .filter(|(i, e)| last.get(e.address.as_str()) == Some(i))
                .map(|(_, e)| e)
                .collect();
            // In key order, so that consecutive inserts land on the same index pages.
            unique.sort_unstable_by(|a, b| a.address.cmp(&b.address));
            let changed = with_suppression_tx!(&self.inner.db, tx, pg, DB => {
                let changed = staged_upsert!(tx, pg, DB, unique, now_ms);
                tx.commit().await?;
                changed
            });
            outcome.changed += changed;
            outcome.unchanged += u64::try_from(part.len())
                .unwrap_or(u64::MAX)
                .saturating_sub(changed);
        }
        Ok(outcome)
    }

    /// Takes many addresses off the list (DELETE imports), `batch` per transaction (0 means
    /// 10,000). Addresses not on the list are counted as unchanged.
    pub async fn delete_suppressed_bulk(
        &self,
        addresses: &[String],
        now_ms: i64,
        batch: usize,
    ) -> Result<BulkOutcome, StoreError> {
        let batch = if batch == 0 { 10_000 } else { batch };
        let mut outcome = BulkOutcome::default();
        for part in addresses.chunks(batch) {
            let changed = with_suppression_tx!(&self.inner.db, tx, pg, DB => {
                let mut changes: Vec<(String, i64, &str, Option<&str>)> = Vec::new();
                for chunk in part.chunks(ROWS_PER_STATEMENT) {
                    let rows: Vec<(String, i64)> = delete_returning!(tx, DB, chunk);
                    changes.extend(rows.into_iter().map(|(a, h)| (a, h, "delete", None)));
                }
                log_changes!(tx, pg, DB, &changes, now_ms);
                tx.commit().await?;
                changes.len()
            });
            let changed = u64::try_from(changed).unwrap_or(u64::MAX);
            outcome.changed += changed;
            outcome.unchanged += u64::try_from(part.len())
                .unwrap_or(u64::MAX)
                .saturating_sub(changed);
        }
        Ok(outcome)
    }

    /// The reasons the account suppresses (GetAccount's SuppressionAttributes). Without a
    /// stored setting: both, SES's default for accounts created after 2019-11-25 (ses-spec §6).
    pub async fn account_suppressed_reasons(&self) -> Result<Vec<SuppressedReason>, StoreError> {
        let stored: Option<String> = with_read!(&self.inner.db, pool, DB => sqlx::query_scalar(
            "SELECT suppressed_reasons FROM suppression_settings WHERE id = 1",
        )
        .fetch_optional(pool)
        .await?);
        let Some(stored) = stored else {
            return Ok(vec![SuppressedReason::Bounce, SuppressedReason::Complaint]);
        };
        stored
            .split(',')
            .filter(|s| !s.is_empty())
            .map(reason_from_db)
            .collect()
    }

    /// Stores the reasons the account suppresses (PutAccountSuppressionAttributes); an empty
    /// list turns suppression off. Stored sorted and without repeats.
    pub async fn set_account_suppressed_reasons(
        &self,
        reasons: &[SuppressedReason],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut reasons = reasons.to_vec();
        reasons.sort_unstable();
        reasons.dedup();
        let text = reasons
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        const UPSERT: &str = "INSERT INTO suppression_settings (id, suppressed_reasons, \
            updated_ms) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET \
            suppressed_reasons = excluded.suppressed_reasons, updated_ms = excluded.updated_ms";
        match &self.inner.db {
            Db::Sqlite { write, .. } => {
                sqlx::query(UPSERT)
                    .bind(text)
                    .bind(now_ms)
                    .execute(write)
                    .await?;
            }
            Db::Postgres(pool) => {
                // Followers re-read the reasons on every notification, so notify here too
                // (delivered at commit).
                let mut tx = pool.begin().await?;
                sqlx::query(UPSERT)
                    .bind(text)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "SELECT pg_notify($1, CAST((SELECT COALESCE(MAX(seq), 0) FROM \
                     suppression_changes) AS TEXT))",
                )
                .bind(SUPPRESSION_CHANNEL)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Records a new import job; `false` when the id exists already (nothing written).
    pub async fn create_import_job(&self, job: &ImportJobRecord) -> Result<bool, StoreError> {
        let inserted = with_write!(&self.inner.db, pool => sqlx::query(
            "INSERT INTO suppression_import_jobs (id, action, data_format, source_url, status, \
             processed_count, failed_count, error_message, created_ms, completed_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&job.id)
        .bind(job.action.as_str())
        .bind(&job.data_format)
        .bind(&job.source_url)
        .bind(job.status.as_str())
        .bind(job.processed_count)
        .bind(job.failed_count)
        .bind(job.error_message.as_deref())
        .bind(job.created_ms)
        .bind(job.completed_ms)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(inserted > 0)
    }

    /// Updates a job's progress and status; `false` when no job has that id.
    pub async fn update_import_job(
        &self,
        id: &str,
        status: ImportJobStatus,
        processed_count: i64,
        failed_count: i64,
        error_message: Option<&str>,
        completed_ms: Option<i64>,
    ) -> Result<bool, StoreError> {
        let updated = with_write!(&self.inner.db, pool => sqlx::query(
            "UPDATE suppression_import_jobs SET status = $2, processed_count = $3, \
             failed_count = $4, error_message = $5, completed_ms = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(processed_count)
        .bind(failed_count)
        .bind(error_message)
        .bind(completed_ms)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated > 0)
    }

    /// Stamps a running job's heartbeat (see [`Store::fail_stale_import_jobs`]); `false` when
    /// no job has that id.
    pub async fn heartbeat_import_job(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let updated = with_write!(&self.inner.db, pool => sqlx::query(
            "UPDATE suppression_import_jobs SET heartbeat_ms = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated > 0)
    }

    /// Marks FAILED, with `message`, every CREATED or PROCESSING job whose last heartbeat (or,
    /// without one, its creation) is older than `stale_before_ms`: the instance running it has
    /// stopped. Returns how many jobs were failed.
    pub async fn fail_stale_import_jobs(
        &self,
        stale_before_ms: i64,
        now_ms: i64,
        message: &str,
    ) -> Result<u64, StoreError> {
        Ok(with_write!(&self.inner.db, pool => sqlx::query(
            "UPDATE suppression_import_jobs SET status = 'FAILED', error_message = $3, \
             completed_ms = $2 WHERE status IN ('CREATED', 'PROCESSING') \
             AND COALESCE(heartbeat_ms, created_ms) < $1",
        )
        .bind(stale_before_ms)
        .bind(now_ms)
        .bind(message)
        .execute(pool)
        .await?
        .rows_affected()))
    }

    /// One import job (GetImportJob).
    pub async fn get_import_job(&self, id: &str) -> Result<Option<ImportJobRecord>, StoreError> {
        let row: Option<JobRow> = with_read!(&self.inner.db, pool, DB => sqlx::query_as(
            "SELECT id, action, data_format, source_url, status, processed_count, failed_count, \
             error_message, created_ms, completed_ms FROM suppression_import_jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?);
        row.map(JobRow::into_record).transpose()
    }

    /// Import jobs, newest first (ListImportJobs): optionally only one status, continuing after
    /// the job `after` = `(created_ms, id)` of the previous page's last job, at most `limit`
    /// (0 means [`crate::DEFAULT_PAGE_SIZE`]).
    pub async fn list_import_jobs(
        &self,
        status: Option<ImportJobStatus>,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<ImportJobRecord>, StoreError> {
        let limit = clamp_limit(limit, crate::DEFAULT_PAGE_SIZE);
        let rows: Vec<JobRow> = with_read!(&self.inner.db, pool, DB => {
            let mut sql = QueryBuilder::<DB>::new(
                "SELECT id, action, data_format, source_url, status, processed_count, \
                 failed_count, error_message, created_ms, completed_ms \
                 FROM suppression_import_jobs WHERE 1 = 1",
            );
            if let Some(status) = status {
                sql.push(" AND status = ").push_bind(status.as_str());
            }
            if let Some((created_ms, id)) = after {
                sql.push(" AND (created_ms < ")
                    .push_bind(created_ms)
                    .push(" OR (created_ms = ")
                    .push_bind(created_ms)
                    .push(" AND id > ")
                    .push_bind(id)
                    .push("))");
            }
            sql.push(" ORDER BY created_ms DESC, id LIMIT ").push_bind(limit);
            sql.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(JobRow::into_record).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(address: &str, hash: u64, reason: SuppressedReason, source: &str) -> SuppressionWrite {
        SuppressionWrite {
            address: address.to_string(),
            hash,
            reason,
            source: source.to_string(),
            message_id: None,
            feedback_id: None,
        }
    }

    #[test]
    fn a_batch_of_puts_is_planned_as_calls_in_order_would_do_it() {
        use PutSuppressedOutcome::{Created, ReasonChanged, Unchanged};
        use SuppressedReason::{Bounce, Complaint};
        let a1 = write("a@x", 1, Bounce, "first");
        let a2 = write("a@x", 1, Bounce, "second");
        let a3 = write("a@x", 1, Complaint, "third");
        let b = write("b@x", 2, Complaint, "b");
        let c = write("c@x", 3, Complaint, "c");
        let entries = [(&a1, 10), (&a2, 20), (&a3, 30), (&b, 40), (&c, 25)];
        // b is stored with the same reason, c with another.
        let stored: HashMap<&str, SuppressedReason> =
            [("b@x", Complaint), ("c@x", Bounce)].into_iter().collect();
        let plan = plan_puts(&entries, stored);
        assert_eq!(
            plan.outcomes,
            vec![
                Created,
                Unchanged,
                ReasonChanged(Bounce),
                Unchanged,
                ReasonChanged(Bounce)
            ]
        );
        // a: created, then its reason changed (two rows); c changed; b and a's repeat: none.
        assert_eq!(
            plan.changes,
            vec![
                ("a@x", 1, "BOUNCE"),
                ("a@x", 1, "COMPLAINT"),
                ("c@x", 3, "COMPLAINT")
            ]
        );
        // a ends as its last changed entry (the third), with that entry's time.
        let rows: Vec<(&str, &str, i64)> = plan
            .rows
            .iter()
            .map(|(e, at)| (e.address.as_str(), e.source.as_str(), *at))
            .collect();
        assert_eq!(rows, vec![("a@x", "third", 30), ("c@x", "c", 25)]);
        // The log time is the latest changed entry's (b at 40 changed nothing).
        assert_eq!(plan.at_ms, 30);
    }
}
