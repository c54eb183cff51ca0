//! The SQLite side of the send writer: one rusqlite connection, owned by the writer's own
//! thread, with its two INSERT statements prepared once.
//!
//! Why not sqlx here: sqlx runs every SQLite statement on a worker thread of its own and hands
//! each one over through channels, so one group commit (acquire, BEGIN, two multi-row INSERTs
//! built as new SQL text per batch size, COMMIT) cost five thread hand-overs and as many
//! wake-ups, and its argument buffers copied every value. Measured with `benches/load.sh`
//! (SendEmail, 32 connections, SigV4 on, 2 cores): about 60 µs of server CPU per message for the
//! store alone, against 42 µs for everything else a send does. DEPENDENCIES.md names rusqlite as
//! the fallback for exactly this case. Here the writer thread runs the whole transaction itself
//! with prepared single-row statements (SQLite's own fast path); the other SQLite reads and
//! writes stay on sqlx.
//!
//! Lock order: before each transaction the writer takes the single connection of sqlx's write
//! pool and holds it until COMMIT, so the two write paths of this process queue in the pool's
//! fair order instead of meeting as SQLITE_BUSY (another process, e.g. a CLI tool, still meets
//! the 5 s busy timeout as before).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use crate::NewMessage;
use crate::writer::{BatchError, Cause};

const INSERT_MESSAGE: &str = "INSERT INTO messages \
    (id, created_ms, api, operation, source, from_address, from_lower, subject, principal, source_ip, raw) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
const INSERT_RECIPIENT: &str = "INSERT INTO message_recipients \
    (message_seq, position, created_ms, address, normalized, kind, decision, rule, reason, delivery_attempt, quota) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// The writer thread's connection to the SQLite file (migrations already applied by sqlx).
pub(crate) struct SqliteWriter {
    conn: Connection,
}

impl SqliteWriter {
    /// Opens `path` read-write with the settings of sqlx's write connection: WAL (already set
    /// on the file), `synchronous = FULL` (an acknowledged commit survives power loss), foreign
    /// keys on, and the same busy timeout.
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> rusqlite::Result<SqliteWriter> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(busy_timeout)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )?;
        Ok(SqliteWriter { conn })
    }

    /// Inserts every message of `batch` (and its recipients) in one IMMEDIATE transaction and
    /// commits it. On any error the transaction is rolled back and nothing of the batch stays.
    pub(crate) fn write<'a>(
        &mut self,
        batch: impl IntoIterator<Item = &'a NewMessage>,
    ) -> Result<(), BatchError> {
        // Prepared once like the INSERTs: `execute_batch` would parse the text on every batch.
        self.conn
            .prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut begin| begin.execute([]))
            .map_err(|e| BatchError::Begin(Cause::Sqlite(e)))?;
        if let Err(error) = self.insert(batch) {
            self.rollback();
            return Err(BatchError::Statement(Cause::Sqlite(error)));
        }
        if let Err(error) = self
            .conn
            .prepare_cached("COMMIT")
            .and_then(|mut commit| commit.execute([]))
        {
            // A failed COMMIT (e.g. a deferred constraint) leaves the transaction open.
            self.rollback();
            return Err(BatchError::Commit(Cause::Sqlite(error)));
        }
        Ok(())
    }

    fn insert<'a>(&self, batch: impl IntoIterator<Item = &'a NewMessage>) -> rusqlite::Result<()> {
        let mut message = self.conn.prepare_cached(INSERT_MESSAGE)?;
        let mut recipient = self.conn.prepare_cached(INSERT_RECIPIENT)?;
        for m in batch {
            message.execute(params![
                m.id,
                m.created_ms,
                m.api,
                m.operation,
                m.source,
                m.from_address,
                m.from_address.to_lowercase(),
                m.subject,
                m.principal,
                m.source_ip,
                m.raw,
            ])?;
            let seq = self.conn.last_insert_rowid();
            for (position, r) in m.recipients.iter().enumerate() {
                recipient.execute(params![
                    seq,
                    position as i64,
                    m.created_ms,
                    r.address,
                    r.normalized,
                    r.kind,
                    r.decision,
                    r.rule,
                    r.reason,
                    r.delivery_attempt,
                    r.quota,
                ])?;
            }
        }
        Ok(())
    }

    fn rollback(&self) {
        if !self.conn.is_autocommit()
            && let Err(error) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(%error, "SQLite writer could not roll back");
        }
    }
}

/// Whether `error` is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error().map(|e| e.extended_code),
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    )
}
