//! Durable state of bounceguard: sends, their recipients and identities, on SQLite (default,
//! one file) or PostgreSQL (multi-instance), behind one interface.
//!
//! Sends are committed by a single writer task in groups (module `writer`): `record_send`
//! returns only once its record is committed, yet concurrent callers share one transaction.
//! Queries are runtime-checked (`sqlx::query*`) and run unchanged on both backends (`$n`
//! placeholders work on SQLite too); each dialect has its own embedded migrations.

mod error;
mod model;
mod sqlite_writer;
mod writer;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{FromRow, QueryBuilder};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

pub use dashboard::{MessageFilter, OutcomeBucket};
pub use error::StoreError;
pub use events::{
    MAX_APPLY_BATCH, NewEvent, NewSendOutcome, OutcomeClass, StoredEvent, StoredOutcome,
    WindowCountsRow,
};
pub use held::{HeldMessage, HeldRecipient, HeldState};
pub use model::{
    IdentityRecord, MessageQuery, MessageSummary, NewMessage, NewRecipient, RecipientRecord,
    StatisticsBucket, StoredMessage, WriterStats,
};
pub use policies::{PolicyRecord, PolicyWrite, PolicyWriteOutcome};
pub use suppression::{
    BulkOutcome, ChangeOp, DEFAULT_BULK_BATCH, DEFAULT_SUPPRESSION_PAGE_SIZE, ImportAction,
    ImportJobRecord, ImportJobStatus, ListenEvent, PutSuppressedOutcome, SUPPRESSION_CHANNEL,
    SuppressedReason, SuppressedRecord, SuppressionChange, SuppressionListener, SuppressionLoader,
    SuppressionPage, SuppressionQuery, SuppressionWrite,
};

/// Page size of [`Store::list_messages`] when [`MessageQuery::limit`] is 0.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page [`Store::list_messages`] and [`Store::list_identities`] return.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Width of a [`StatisticsBucket`]: 15 minutes in milliseconds.
pub const BUCKET_MS: i64 = 900_000;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Connections in the SQLite read pool.
const SQLITE_READERS: u32 = 4;
/// Connections in the PostgreSQL pool (shared by the writer and readers).
const POSTGRES_CONNECTIONS: u32 = 10;
/// How long SQLite waits on a lock held by another connection.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Which database engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file (or an in-memory database in tests).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The pools behind a store.
#[derive(Clone)]
pub(crate) enum Db {
    /// `write` has exactly one connection (used by the writer task and the few other writes);
    /// `read` serves queries. For an in-memory database both are the same single-connection pool.
    Sqlite {
        /// The single write connection.
        write: SqlitePool,
        /// Read connections.
        read: SqlitePool,
    },
    /// One pool for everything.
    Postgres(PgPool),
}

impl Db {
    async fn close(&self) {
        match self {
            Db::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Runs `$body` with `$pool` bound to the read pool and the type alias `$DB` to the sqlx
/// database type. The body is compiled once per backend.
macro_rules! with_read {
    ($db:expr, $pool:ident, $DB:ident => $body:expr) => {
        match $db {
            Db::Sqlite { read: $pool, .. } => {
                #[allow(dead_code)]
                type $DB = sqlx::Sqlite;
                $body
            }
            Db::Postgres($pool) => {
                #[allow(dead_code)]
                type $DB = sqlx::Postgres;
                $body
            }
        }
    };
}

/// Like `with_read!`, with the write connection of SQLite.
macro_rules! with_write {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite { write: $pool, .. } => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

mod dashboard;
mod events;
mod held;
mod policies;
mod suppression;

/// Handle to the store. Cheap to clone; all clones share the pools and the writer task.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    backend: Backend,
    queue: mpsc::Sender<writer::Command>,
    writer: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<writer::Counters>,
    /// Pending `apply_events_once` calls, committed together (see `events`).
    events: Arc<events::Combiner>,
    /// Pending `put_suppressed` calls, committed together (see `suppression`).
    suppress: suppression::PutCombiner,
}

#[derive(FromRow)]
struct SummaryRow {
    seq: i64,
    id: String,
    created_ms: i64,
    api: String,
    operation: String,
    source: String,
    from_address: String,
    subject: Option<String>,
}

#[derive(FromRow)]
struct FullRow {
    seq: i64,
    id: String,
    created_ms: i64,
    api: String,
    operation: String,
    source: String,
    from_address: String,
    subject: Option<String>,
    principal: String,
    source_ip: Option<String>,
    raw: Vec<u8>,
}

#[derive(FromRow)]
struct RecipientRow {
    message_seq: i64,
    position: i64,
    address: String,
    normalized: String,
    kind: String,
    decision: String,
    rule: String,
    reason: String,
    delivery_attempt: bool,
    quota: bool,
}

impl SummaryRow {
    fn into_summary(self, recipients: Vec<RecipientRecord>) -> MessageSummary {
        MessageSummary {
            recipients,
            seq: self.seq,
            id: self.id,
            created_ms: self.created_ms,
            api: self.api,
            operation: self.operation,
            source: self.source,
            from_address: self.from_address,
            subject: self.subject,
        }
    }
}

impl RecipientRow {
    fn into_record(self) -> RecipientRecord {
        RecipientRecord {
            position: self.position,
            address: self.address,
            normalized: self.normalized,
            kind: self.kind,
            decision: self.decision,
            rule: self.rule,
            reason: self.reason,
            delivery_attempt: self.delivery_attempt,
            quota: self.quota,
        }
    }
}

#[derive(FromRow)]
struct BucketRow {
    start_ms: i64,
    delivery_attempts: i64,
}

const RECIPIENT_COLUMNS: &str = "SELECT message_seq, position, address, normalized, kind, \
    decision, rule, reason, delivery_attempt, quota FROM message_recipients ";
const SUMMARY_COLUMNS: &str = "SELECT seq, id, created_ms, api, operation, source, from_address, subject FROM messages WHERE 1 = 1";

/// True for the SQLite URLs that name an in-memory database.
fn is_sqlite_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

fn clamp_limit(limit: u32, default: u32) -> i64 {
    let limit = if limit == 0 { default } else { limit };
    i64::from(limit.min(MAX_PAGE_SIZE))
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`: `sqlite://path/to/file.db`
    /// (parent directories are created), `sqlite::memory:` (tests), or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let (db, backend, file) = if url.starts_with("sqlite:") {
            let (db, file) = open_sqlite(url).await?;
            (db, Backend::Sqlite, file)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (open_postgres(url).await?, Backend::Postgres, None)
        } else {
            let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
            return Err(StoreError::UnsupportedUrl(
                scheme.chars().take(32).collect(),
            ));
        };
        let (queue, rx) = mpsc::channel(writer::QUEUE_CAPACITY);
        let counters = Arc::new(writer::Counters::default());
        let task = match (&db, file) {
            (Db::Sqlite { write, .. }, Some(path)) => {
                let writer = sqlite_writer::SqliteWriter::open(&path, SQLITE_BUSY_TIMEOUT)
                    .map_err(|e| StoreError::Sqlite(Arc::new(e)))?;
                let sink = writer::Sink::Sqlite {
                    gate: write.clone(),
                    writer,
                };
                // The SQLite writer blocks on its file: it gets a thread of its own and drives
                // its few awaits (queue, write-pool connection) there.
                let runtime = tokio::runtime::Handle::current();
                let counters = counters.clone();
                tokio::task::spawn_blocking(move || {
                    runtime.block_on(writer::run(sink, rx, counters))
                })
            }
            _ => tokio::spawn(writer::run(
                writer::Sink::Pool(db.clone()),
                rx,
                counters.clone(),
            )),
        };
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                backend,
                queue,
                writer: Mutex::new(Some(task)),
                counters,
                events: Arc::default(),
                suppress: suppression::PutCombiner::default(),
            }),
        })
    }

    /// The engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Answers whether the database can be read now (the health check).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_read!(&self.inner.db, pool, DB => {
            let _: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
                .fetch_one(pool)
                .await?;
            Ok(())
        })
    }

    /// Durably records one accepted send; returns only after its record is committed.
    /// Concurrent callers are committed together in one transaction by the writer task.
    /// If the caller stops waiting, the record may still be committed.
    pub async fn record_send(&self, message: NewMessage) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .queue
            .send(writer::Command::Write(writer::Job { message, reply }))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Transactions committed by the writer task so far.
    pub fn commit_count(&self) -> u64 {
        self.inner.counters.snapshot().commits
    }

    /// All counters of the writer task.
    pub fn writer_stats(&self) -> WriterStats {
        self.inner.counters.snapshot()
    }

    /// Messages newest first (by `seq`), filtered and keyset-paginated by `query`, each with its
    /// recipients in order.
    pub async fn list_messages(
        &self,
        query: &MessageQuery,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let limit = clamp_limit(query.limit, DEFAULT_PAGE_SIZE);
        let rows: Vec<SummaryRow> = with_read!(&self.inner.db, pool, DB => {
            let mut select = QueryBuilder::<DB>::new(SUMMARY_COLUMNS);
            if let Some(before) = query.before_seq {
                select.push(" AND seq < ").push_bind(before);
            }
            if let Some(id) = &query.id {
                select.push(" AND id = ").push_bind(id);
            }
            if let Some(from) = &query.from {
                select.push(" AND from_lower = ").push_bind(from.to_lowercase());
            }
            if let Some(recipient) = &query.recipient {
                select
                    .push(" AND seq IN (SELECT message_seq FROM message_recipients WHERE normalized = ")
                    .push_bind(recipient)
                    .push(")");
            }
            select.push(" ORDER BY seq DESC LIMIT ").push_bind(limit);
            select.build_query_as().fetch_all(pool).await?
        });
        self.with_recipients(rows).await
    }

    /// Listing rows with their recipients (in submission order), in the rows' order.
    pub(crate) async fn with_recipients(
        &self,
        rows: Vec<SummaryRow>,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let recipient_rows: Vec<RecipientRow> = with_read!(&self.inner.db, pool, DB => {
            let mut recipients = QueryBuilder::<DB>::new(RECIPIENT_COLUMNS);
            recipients.push("WHERE message_seq IN (");
            let mut seqs = recipients.separated(", ");
            for row in &rows {
                seqs.push_bind(row.seq);
            }
            recipients.push(") ORDER BY message_seq, position");
            recipients.build_query_as().fetch_all(pool).await?
        });
        let mut by_seq: HashMap<i64, Vec<RecipientRecord>> = HashMap::new();
        for row in recipient_rows {
            by_seq
                .entry(row.message_seq)
                .or_default()
                .push(row.into_record());
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let recipients = by_seq.remove(&row.seq).unwrap_or_default();
                row.into_summary(recipients)
            })
            .collect())
    }

    /// The recipients of message `seq`, in submission order.
    async fn recipients_of(&self, seq: i64) -> Result<Vec<RecipientRecord>, StoreError> {
        with_read!(&self.inner.db, pool, DB => {
            let rows: Vec<RecipientRow> = sqlx::query_as(
                "SELECT message_seq, position, address, normalized, kind, decision, rule, reason, \
                 delivery_attempt, quota FROM message_recipients WHERE message_seq = $1 \
                 ORDER BY position",
            )
            .bind(seq)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(RecipientRow::into_record).collect())
        })
    }

    /// One message with its raw bytes and its recipients (in submission order).
    pub async fn get_message(&self, id: &str) -> Result<Option<StoredMessage>, StoreError> {
        let row: Option<FullRow> = with_read!(&self.inner.db, pool, DB => {
            sqlx::query_as(
                "SELECT seq, id, created_ms, api, operation, source, from_address, subject, \
                 principal, source_ip, raw FROM messages WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else { return Ok(None) };
        let recipients = self.recipients_of(row.seq).await?;
        Ok(Some(StoredMessage {
            seq: row.seq,
            id: row.id,
            created_ms: row.created_ms,
            api: row.api,
            operation: row.operation,
            source: row.source,
            from_address: row.from_address,
            subject: row.subject,
            raw: row.raw,
            principal: row.principal,
            source_ip: row.source_ip,
            recipients,
        }))
    }

    /// Deletes one message (by SES MessageId) or, with `None`, every message. Returns how many
    /// messages were deleted; their recipients go with them.
    pub async fn delete_messages(&self, id: Option<&str>) -> Result<u64, StoreError> {
        let done = with_write!(&self.inner.db, pool => match id {
            Some(id) => sqlx::query("DELETE FROM messages WHERE id = $1").bind(id).execute(pool).await?,
            None => sqlx::query("DELETE FROM messages").execute(pool).await?,
        }
        .rows_affected());
        Ok(done)
    }

    /// Stores `identity` unless one with that name exists. Returns whether it was created
    /// (an existing identity is left unchanged).
    pub async fn put_identity(&self, identity: &IdentityRecord) -> Result<bool, StoreError> {
        let inserted = with_write!(&self.inner.db, pool => sqlx::query(
            "INSERT INTO identities (name, kind, verification_token, created_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&identity.name)
        .bind(&identity.kind)
        .bind(&identity.verification_token)
        .bind(identity.created_ms)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(inserted == 1)
    }

    /// The identity with exactly this name.
    pub async fn get_identity(&self, name: &str) -> Result<Option<IdentityRecord>, StoreError> {
        with_read!(&self.inner.db, pool, DB => Ok(sqlx::query_as(
            "SELECT name, kind, verification_token, created_ms FROM identities WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(pool)
        .await?))
    }

    /// Identities ordered by name (byte order), optionally of one `kind`, starting strictly
    /// after `after_name`; at most `limit` (0 means [`MAX_PAGE_SIZE`], larger is capped).
    pub async fn list_identities(
        &self,
        kind: Option<&str>,
        after_name: Option<&str>,
        limit: u32,
    ) -> Result<Vec<IdentityRecord>, StoreError> {
        let limit = clamp_limit(limit, MAX_PAGE_SIZE);
        with_read!(&self.inner.db, pool, DB => {
            let mut select = QueryBuilder::<DB>::new(
                "SELECT name, kind, verification_token, created_ms FROM identities WHERE 1 = 1",
            );
            if let Some(kind) = kind {
                select.push(" AND kind = ").push_bind(kind);
            }
            if let Some(after) = after_name {
                select.push(" AND name > ").push_bind(after);
            }
            select.push(" ORDER BY name LIMIT ").push_bind(limit);
            Ok(select.build_query_as().fetch_all(pool).await?)
        })
    }

    /// Deletes the identity with this name; returns whether it existed.
    pub async fn delete_identity(&self, name: &str) -> Result<bool, StoreError> {
        let deleted = with_write!(&self.inner.db, pool => sqlx::query(
            "DELETE FROM identities WHERE name = $1",
        )
        .bind(name)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(deleted > 0)
    }

    /// Recipients counted against the sending quota (`quota = true`) created at or after
    /// `since_ms` (GetSendQuota `SentLast24Hours`).
    pub async fn quota_used_since(&self, since_ms: i64) -> Result<i64, StoreError> {
        with_read!(&self.inner.db, pool, DB => Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM message_recipients WHERE created_ms >= $1 AND quota",
        )
        .bind(since_ms)
        .fetch_one(pool)
        .await?))
    }

    /// Delivery attempts per 15-minute bucket (`floor(created_ms / 900000) * 900000`) for
    /// recipients created at or after `since_ms`, oldest bucket first; buckets without
    /// attempts are left out. Bounces, complaints and rejects are 0 until events are stored.
    pub async fn send_statistics(
        &self,
        since_ms: i64,
    ) -> Result<Vec<StatisticsBucket>, StoreError> {
        // created_ms - mod(created_ms, 900000) with a non-negative mod: a true floor on both
        // engines, whose `%` truncates towards zero.
        let rows: Vec<BucketRow> = with_read!(&self.inner.db, pool, DB => sqlx::query_as(
            "SELECT created_ms - (((created_ms % 900000) + 900000) % 900000) AS start_ms, \
             COUNT(*) AS delivery_attempts FROM message_recipients \
             WHERE created_ms >= $1 AND delivery_attempt GROUP BY 1 ORDER BY 1",
        )
        .bind(since_ms)
        .fetch_all(pool)
        .await?);
        // Bounces and complaints of the eligible sends of each bucket (by send time), so a
        // bucket's bounces / delivery attempts is the rate SES shows for it.
        let feedback: Vec<(i64, i64, i64)> = with_read!(&self.inner.db, pool, DB => sqlx::query_as(
            "SELECT sent_ms - (((sent_ms % 900000) + 900000) % 900000) AS start_ms, \
             CAST(SUM(CASE WHEN hard_bounce THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN complaint THEN 1 ELSE 0 END) AS BIGINT) \
             FROM send_outcomes WHERE sent_ms >= $1 AND class = 'ELIGIBLE' \
             AND (hard_bounce OR complaint) GROUP BY 1",
        )
        .bind(since_ms)
        .fetch_all(pool)
        .await?);
        let mut buckets: std::collections::BTreeMap<i64, StatisticsBucket> = rows
            .into_iter()
            .map(|row| {
                (
                    row.start_ms,
                    StatisticsBucket {
                        start_ms: row.start_ms,
                        delivery_attempts: row.delivery_attempts,
                        bounces: 0,
                        complaints: 0,
                        rejects: 0,
                    },
                )
            })
            .collect();
        for (start_ms, bounces, complaints) in feedback {
            let bucket = buckets.entry(start_ms).or_insert(StatisticsBucket {
                start_ms,
                delivery_attempts: 0,
                bounces: 0,
                complaints: 0,
                rejects: 0,
            });
            bucket.bounces += bounces;
            bucket.complaints += complaints;
        }
        Ok(buckets.into_values().collect())
    }

    /// Stops accepting sends, commits everything already queued (answering its callers), then
    /// closes the pools. Safe to call more than once and from several clones.
    pub async fn close(&self) {
        let mut writer = self.inner.writer.lock().await;
        if let Some(task) = writer.take() {
            let (done, wait) = oneshot::channel();
            if self
                .inner
                .queue
                .send(writer::Command::Shutdown(done))
                .await
                .is_ok()
            {
                let _ = wait.await;
            }
            if let Err(error) = task.await {
                tracing::error!(%error, "store writer task ended abnormally");
            }
        }
        self.inner.db.close().await;
    }
}

/// Opens the SQLite pools; also returns the database file's path (none for an in-memory
/// database).
async fn open_sqlite(url: &str) -> Result<(Db, Option<std::path::PathBuf>), StoreError> {
    let base = SqliteConnectOptions::from_str(url)?
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    if is_sqlite_memory(url) {
        // Every connection would see its own in-memory database unless they share a cache, and
        // a shared cache uses table locks that a busy timeout does not wait on: use one
        // connection for everything, kept open for the life of the store.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(base)
            .await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        let db = Db::Sqlite {
            write: pool.clone(),
            read: pool,
        };
        return Ok((db, None));
    }
    if let Some(parent) = base.get_filename().parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.to_path_buf(),
            source: Arc::new(source),
        })?;
    }
    // WAL: readers never block the writer. FULL: an acknowledged commit survives power loss;
    // group commit pays the fsync once per batch.
    let write_options = base
        .clone()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        // A local file has no connection to lose: the check would cost a round trip to sqlx's
        // worker thread on every write.
        .test_before_acquire(false)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(write_options)
        .await?;
    SQLITE_MIGRATIONS.run(&write).await?;
    let file = base.get_filename().to_path_buf();
    let read = SqlitePoolOptions::new()
        .max_connections(SQLITE_READERS)
        .connect_with(base)
        .await?;
    Ok((Db::Sqlite { write, read }, Some(file)))
}

async fn open_postgres(url: &str) -> Result<Db, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .connect(url)
        .await?;
    POSTGRES_MIGRATIONS.run(&pool).await?;
    Ok(Db::Postgres(pool))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_urls_are_recognised() {
        assert!(is_sqlite_memory("sqlite::memory:"));
        assert!(is_sqlite_memory("sqlite://:memory:"));
        assert!(is_sqlite_memory("sqlite://x?mode=memory&cache=shared"));
        assert!(!is_sqlite_memory("sqlite://data/bounceguard.db"));
        assert!(!is_sqlite_memory("sqlite:memory.db"));
    }

    #[test]
    fn limits_are_defaulted_and_capped() {
        assert_eq!(clamp_limit(0, DEFAULT_PAGE_SIZE), 50);
        assert_eq!(clamp_limit(7, DEFAULT_PAGE_SIZE), 7);
        assert_eq!(clamp_limit(u32::MAX, DEFAULT_PAGE_SIZE), 1000);
    }
}
