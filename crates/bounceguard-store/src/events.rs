//! SES events and the per-recipient send outcomes the reputation window is rebuilt from
//! (issue 6; ses-spec §5 and §7).
//!
//! - `sns_messages` is the durable dedup of SNS deliveries: [`Store::apply_events_once`] inserts
//!   the SNS MessageId, the events and the outcome marks in ONE transaction, and applies nothing
//!   when the id was already there. [`Store::apply_events_and_suppress_once`] also puts the
//!   addresses a bounce or complaint suppresses on the suppression list in that transaction
//!   (as `put_suppressed` would: change log, and on PostgreSQL the advisory lock, taken first,
//!   and the NOTIFY): one commit, one fsync, for a group of notifications. Redelivery is harmless, across restarts and across
//!   instances sharing one PostgreSQL (the second insert of an id waits for the first to commit,
//!   then does nothing).
//! - `send_outcomes` holds one row per recipient of a send with its eligibility class
//!   ([`OutcomeClass`]) and what became of it. Every instance rebuilds the same window from it
//!   ([`Store::recent_outcomes`]), so the rates are the account's, not an instance's.
//!
//! Group commit: concurrent calls of [`Store::apply_events_once`] on one [`Store`] are queued
//! and committed together, up to [`MAX_APPLY_BATCH`] SNS messages per transaction, one
//! transaction at a time (hand-written, like the send writer in `writer.rs`: no crate batches
//! sqlx writes). Each caller is answered only after the transaction holding its message
//! committed; within a batch the first of two deliveries with the same SNS id wins. When a
//! statement fails, the batch is retried one message per transaction, so one bad message does
//! not fail its neighbours. (Four batches in flight at once on PostgreSQL measured no better
//! than one, within this machine's noise, and would let batches deadlock on shared rows.)
//!
//! The store stays free of the events crate: event types, bounce types and classes are passed
//! as SES's words, and the service maps them.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{FromRow, QueryBuilder, Sqlite};
use tokio::sync::oneshot;

use crate::suppression::{lock_suppression, put_entries_postgres, put_entries_sqlite, to_json};
use crate::{Db, Store, StoreError, SuppressionWrite};

/// Most SNS messages committed in one transaction by [`Store::apply_events_once`].
pub const MAX_APPLY_BATCH: usize = 512;

/// Rows per multi-row INSERT on SQLite (at most 9 binds per row: 2,700 binds, far below
/// SQLite's 32,766).
const ROWS_PER_STATEMENT: usize = 300;

/// The sub-type of a Permanent bounce that does not count toward the bounce rate: the
/// account's own suppression list caused it (ses-spec §5, §6).
const ON_ACCOUNT_SUPPRESSION_LIST: &str = "OnAccountSuppressionList";

/// How a recipient's send was decided, for eligibility: the store's copy of the events crate's
/// `SendClass` (the service maps them). Only [`OutcomeClass::Eligible`] sends enter the rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeClass {
    /// Decided `deliver` to an unverified destination: counts.
    Eligible,
    /// Mailbox-simulator mail: excluded.
    Simulator,
    /// Suppressed by the account-level list: excluded.
    AccountSuppressed,
    /// Denied by policy: excluded.
    Denied,
    /// Captured by a route: excluded.
    Captured,
    /// To a verified address or domain: excluded.
    VerifiedDestination,
}

impl OutcomeClass {
    /// The word stored in `send_outcomes.class`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eligible => "ELIGIBLE",
            Self::Simulator => "SIMULATOR",
            Self::AccountSuppressed => "ACCOUNT_SUPPRESSED",
            Self::Denied => "DENIED",
            Self::Captured => "CAPTURED",
            Self::VerifiedDestination => "VERIFIED_DESTINATION",
        }
    }

    /// Parses the stored word (exact case).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ELIGIBLE" => Some(Self::Eligible),
            "SIMULATOR" => Some(Self::Simulator),
            "ACCOUNT_SUPPRESSED" => Some(Self::AccountSuppressed),
            "DENIED" => Some(Self::Denied),
            "CAPTURED" => Some(Self::Captured),
            "VERIFIED_DESTINATION" => Some(Self::VerifiedDestination),
            _ => None,
        }
    }

    /// Whether sends of this class enter the rate window.
    pub fn is_eligible(self) -> bool {
        self == Self::Eligible
    }
}

/// One SES event about one recipient (an event naming several recipients is passed as one
/// `NewEvent` each).
///
/// What it does to the matching `send_outcomes` row (same `message_id` and `recipient`):
/// `Bounce` with `bounce_type` `Permanent` and a sub-type other than `OnAccountSuppressionList`
/// sets `hard_bounce`; `Complaint` sets `complaint`; `Delivery` sets `delivered`. Everything
/// else (transient and undetermined bounces, Send, Reject, DeliveryDelay, …) is only recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// SES's word: `Bounce`, `Complaint`, `Delivery`, `Send`, `Reject`, `DeliveryDelay`, …
    pub event_type: String,
    /// The SES MessageId of the mail (`mail.messageId`).
    pub message_id: String,
    /// The normalised recipient address.
    pub recipient: String,
    /// `bounce.bounceType` for bounces.
    pub bounce_type: Option<String>,
    /// `bounce.bounceSubType` for bounces.
    pub bounce_subtype: Option<String>,
    /// `bounce.feedbackId` / `complaint.feedbackId`.
    pub feedback_id: Option<String>,
    /// When it happened, ms since the Unix epoch.
    pub at_ms: i64,
    /// The SES event JSON as received.
    pub raw_json: String,
}

/// The flags one event sets on its send outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Marks {
    hard_bounce: bool,
    complaint: bool,
    delivered: bool,
}

impl Marks {
    fn any(self) -> bool {
        self.hard_bounce || self.complaint || self.delivered
    }

    fn merge(&mut self, other: Marks) {
        self.hard_bounce |= other.hard_bounce;
        self.complaint |= other.complaint;
        self.delivered |= other.delivered;
    }
}

impl NewEvent {
    /// See the type's docs: only counted hard bounces, complaints and deliveries mark.
    fn marks(&self) -> Marks {
        match self.event_type.as_str() {
            "Bounce" => Marks {
                hard_bounce: self.bounce_type.as_deref() == Some("Permanent")
                    && self.bounce_subtype.as_deref() != Some(ON_ACCOUNT_SUPPRESSION_LIST),
                ..Marks::default()
            },
            "Complaint" => Marks {
                complaint: true,
                ..Marks::default()
            },
            "Delivery" => Marks {
                delivered: true,
                ..Marks::default()
            },
            _ => Marks::default(),
        }
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StoredEvent {
    /// Position in the event log (increasing).
    pub seq: i64,
    /// The SNS MessageId that delivered it, if SNS did.
    pub sns_message_id: Option<String>,
    /// SES's event type word.
    pub event_type: String,
    /// The SES MessageId of the mail.
    pub message_id: String,
    /// The normalised recipient.
    pub recipient: String,
    /// Bounce type, for bounces.
    pub bounce_type: Option<String>,
    /// Bounce sub-type, for bounces.
    pub bounce_subtype: Option<String>,
    /// Feedback id, for bounces and complaints.
    pub feedback_id: Option<String>,
    /// When it happened, ms since the Unix epoch.
    pub at_ms: i64,
    /// The SES event JSON as received.
    pub raw_json: String,
}

/// One recipient of a send, to record with [`Store::record_send_outcomes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSendOutcome {
    /// The SES MessageId of the send.
    pub message_id: String,
    /// The normalised recipient.
    pub recipient: String,
    /// How the recipient was decided.
    pub class: OutcomeClass,
    /// When it was sent, ms since the Unix epoch.
    pub sent_ms: i64,
}

/// One stored send outcome: the input of `ReputationWindow::from_outcomes` (`seq` and the two
/// flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutcome {
    /// Window order (increasing with insertion).
    pub seq: i64,
    /// The SES MessageId of the send.
    pub message_id: String,
    /// The normalised recipient.
    pub recipient: String,
    /// How the recipient was decided.
    pub class: OutcomeClass,
    /// When it was sent, ms since the Unix epoch.
    pub sent_ms: i64,
    /// A counted hard bounce arrived for it.
    pub hard_bounce: bool,
    /// A complaint arrived for it.
    pub complaint: bool,
    /// A Delivery arrived for it.
    pub delivered: bool,
}

/// Counts of eligible sends over a time range (the 24 h and 7 d views); the same fields as the
/// events crate's `WindowCounts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCountsRow {
    /// Eligible sends.
    pub sends: u64,
    /// Of which hard-bounced (counted).
    pub hard_bounces: u64,
    /// Of which complained.
    pub complaints: u64,
}

#[derive(FromRow)]
struct OutcomeRow {
    seq: i64,
    message_id: String,
    recipient: String,
    class: String,
    sent_ms: i64,
    hard_bounce: bool,
    complaint: bool,
    delivered: bool,
}

impl OutcomeRow {
    fn into_outcome(self) -> Result<StoredOutcome, StoreError> {
        let class = OutcomeClass::parse(&self.class).ok_or_else(|| {
            StoreError::Database(Arc::new(sqlx::Error::Protocol(format!(
                "unknown send outcome class {:?} in the database",
                self.class.chars().take(64).collect::<String>()
            ))))
        })?;
        Ok(StoredOutcome {
            seq: self.seq,
            message_id: self.message_id,
            recipient: self.recipient,
            class,
            sent_ms: self.sent_ms,
            hard_bounce: self.hard_bounce,
            complaint: self.complaint,
            delivered: self.delivered,
        })
    }
}

#[derive(FromRow)]
struct CountsRow {
    sends: i64,
    hard_bounces: i64,
    complaints: i64,
}

const OUTCOME_COLUMNS: &str =
    "seq, message_id, recipient, class, sent_ms, hard_bounce, complaint, delivered";
const EVENT_COLUMNS: &str = "seq, sns_message_id, event_type, message_id, recipient, \
    bounce_type, bounce_subtype, feedback_id, at_ms, raw_json";

// ---------------------------------------------------------------- group commit

/// One SNS message (or one event batch without SNS) waiting to be applied.
struct ApplyJob {
    sns_message_id: Option<String>,
    topic: Option<String>,
    events: Vec<NewEvent>,
    /// Addresses to put on the suppression list if (and only if) this message applies.
    suppress: Vec<SuppressionWrite>,
    now_ms: i64,
}

struct Pending {
    job: ApplyJob,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// The queue of one store's pending applies; `running` says a drain task owns it.
#[derive(Default)]
pub(crate) struct Combiner {
    state: Mutex<CombinerState>,
}

#[derive(Default)]
struct CombinerState {
    queue: Vec<Pending>,
    running: bool,
}

/// The combiner of `store` (one per opened store, shared by its clones).
fn combiner_of(store: &Store) -> Arc<Combiner> {
    store.inner.events.clone()
}

/// Applies queued jobs, [`MAX_APPLY_BATCH`] per transaction, until the queue is empty. Runs in
/// its own task so that a caller that stops waiting cannot abort a commit half-way.
async fn drain(db: Db, combiner: Arc<Combiner>) {
    loop {
        let batch: Vec<Pending> = {
            let mut state = combiner
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if state.queue.is_empty() {
                state.running = false;
                return;
            }
            let take = state.queue.len().min(MAX_APPLY_BATCH);
            state.queue.drain(..take).collect()
        };
        commit_batch(&db, batch).await;
    }
}

async fn commit_batch(db: &Db, batch: Vec<Pending>) {
    let (jobs, replies): (Vec<ApplyJob>, Vec<_>) =
        batch.into_iter().map(|p| (p.job, p.reply)).unzip();
    match apply_batch(db, &jobs).await {
        Ok(applied) => {
            for (reply, applied) in replies.into_iter().zip(applied) {
                let _ = reply.send(Ok(applied));
            }
        }
        Err(BatchError::Statement(error)) if jobs.len() > 1 => {
            tracing::warn!(
                size = jobs.len(),
                %error,
                "event batch failed on a statement; retrying one SNS message per transaction"
            );
            for (job, reply) in jobs.into_iter().zip(replies) {
                let result = apply_batch(db, std::slice::from_ref(&job))
                    .await
                    .map(|applied| applied.first().copied().unwrap_or(false))
                    .map_err(BatchError::into_store_error);
                let _ = reply.send(result);
            }
        }
        Err(error) => {
            let error = error.into_store_error();
            tracing::warn!(size = jobs.len(), %error, "event batch failed");
            for reply in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

/// Where a batch transaction failed.
enum BatchError {
    /// Opening or committing the transaction.
    Transaction(sqlx::Error),
    /// A statement inside it (the transaction is rolled back).
    Statement(sqlx::Error),
}

impl BatchError {
    fn into_store_error(self) -> StoreError {
        match self {
            BatchError::Transaction(e) | BatchError::Statement(e) => e.into(),
        }
    }
}

/// Applies `jobs` in one transaction; returns, per job, whether it was applied (false: its SNS
/// id was already stored, or appears earlier in the batch).
async fn apply_batch(db: &Db, jobs: &[ApplyJob]) -> Result<Vec<bool>, BatchError> {
    match db {
        Db::Sqlite { write, .. } => {
            let mut tx = write
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(BatchError::Transaction)?;
            let applied = apply_sqlite(&mut tx, jobs)
                .await
                .map_err(BatchError::Statement)?;
            tx.commit().await.map_err(BatchError::Transaction)?;
            Ok(applied)
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await.map_err(BatchError::Transaction)?;
            let applied = apply_postgres(&mut tx, jobs)
                .await
                .map_err(BatchError::Statement)?;
            tx.commit().await.map_err(BatchError::Transaction)?;
            Ok(applied)
        }
    }
}

/// Which jobs apply, given the SNS ids the dedup insert actually inserted: jobs without an id
/// always apply; of several jobs with one id, only the first.
fn claim(jobs: &[ApplyJob], mut inserted: HashSet<String>) -> Vec<bool> {
    jobs.iter()
        .map(|job| match &job.sns_message_id {
            None => true,
            Some(id) => inserted.remove(id),
        })
        .collect()
}

/// The events of the applied jobs, each with the SNS id that delivered it.
fn applied_events<'a>(
    jobs: &'a [ApplyJob],
    applied: &[bool],
) -> Vec<(Option<&'a str>, &'a NewEvent)> {
    jobs.iter()
        .zip(applied)
        .filter(|(_, applied)| **applied)
        .flat_map(|(job, _)| {
            job.events
                .iter()
                .map(|event| (job.sns_message_id.as_deref(), event))
        })
        .collect()
}

/// The suppression entries of the applied jobs, in job order, each with its job's `now_ms`.
fn applied_suppressions<'a>(
    jobs: &'a [ApplyJob],
    applied: &[bool],
) -> Vec<(&'a SuppressionWrite, i64)> {
    jobs.iter()
        .zip(applied)
        .filter(|(_, applied)| **applied)
        .flat_map(|(job, _)| job.suppress.iter().map(|entry| (entry, job.now_ms)))
        .collect()
}

/// The marks per (message_id, recipient), merged; in key order, so concurrent transactions
/// touch rows in the same order.
fn merged_marks<'a>(
    events: &[(Option<&'a str>, &'a NewEvent)],
) -> BTreeMap<(&'a str, &'a str), Marks> {
    let mut marks: BTreeMap<(&str, &str), Marks> = BTreeMap::new();
    for (_, event) in events {
        let m = event.marks();
        if m.any() {
            marks
                .entry((event.message_id.as_str(), event.recipient.as_str()))
                .or_default()
                .merge(m);
        }
    }
    marks
}

/// Most event rows per INSERT on SQLite (a power of two; 9 binds each).
const MAX_EVENT_ROWS: usize = 128;

/// `items` in chunks whose lengths are powers of two, at most `max` (itself a power of two),
/// largest first: the statements built per chunk then have a few fixed texts (prepared once)
/// instead of one per batch size.
fn pow2_chunks<T>(items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = rest.len().min(max);
        let len = 1 << len.ilog2();
        let (chunk, tail) = rest.split_at(len);
        rest = tail;
        Some(chunk)
    })
}

/// SQLite: statements of fixed text only (prepared once, then cached). The SNS ids, the
/// outcome marks and (in `suppression.rs`) the suppression entries go as one JSON array each
/// (`json_each`), one statement per table whatever the batch size, like the `UNNEST`
/// statements on PostgreSQL; the events, whose JSON is large, as multi-row `VALUES` in
/// power-of-two chunks. Every statement costs a round trip to the driver's thread, and `VALUES`
/// lists whose text changed with the batch size were parsed again on every batch (≈ 7 % of
/// the server's CPU under load, measured with perf).
async fn apply_sqlite(
    conn: &mut SqliteConnection,
    jobs: &[ApplyJob],
) -> Result<Vec<bool>, sqlx::Error> {
    let with_id: Vec<(&str, Option<&str>, i64)> = jobs
        .iter()
        .filter_map(|job| {
            job.sns_message_id
                .as_deref()
                .map(|id| (id, job.topic.as_deref(), job.now_ms))
        })
        .collect();
    let mut inserted = HashSet::with_capacity(with_id.len());
    if !with_id.is_empty() {
        let ids: Vec<String> = sqlx::query_scalar(
            "INSERT INTO sns_messages (message_id, topic_arn, received_ms) \
             SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1) WHERE true \
             ON CONFLICT (message_id) DO NOTHING RETURNING message_id",
        )
        .bind(to_json(&with_id)?)
        .fetch_all(&mut *conn)
        .await?;
        inserted.extend(ids);
    }
    let applied = claim(jobs, inserted);

    let events = applied_events(jobs, &applied);
    // Multi-row VALUES (the event JSON is large: through json_each it would be escaped and
    // unescaped three times), in power-of-two chunks so that only eight statement texts exist
    // and each is prepared once.
    for chunk in pow2_chunks(&events, MAX_EVENT_ROWS) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (sns_message_id, event_type, message_id, recipient, bounce_type, \
             bounce_subtype, feedback_id, at_ms, raw_json) ",
        );
        insert.push_values(chunk, |mut row, &(sns_id, e)| {
            row.push_bind(sns_id)
                .push_bind(e.event_type.as_str())
                .push_bind(e.message_id.as_str())
                .push_bind(e.recipient.as_str())
                .push_bind(e.bounce_type.as_deref())
                .push_bind(e.bounce_subtype.as_deref())
                .push_bind(e.feedback_id.as_deref())
                .push_bind(e.at_ms)
                .push_bind(e.raw_json.as_str());
        });
        insert.build().execute(&mut *conn).await?;
    }

    let marks: Vec<_> = merged_marks(&events)
        .into_iter()
        .map(|((message_id, recipient), m)| {
            (
                message_id,
                recipient,
                m.hard_bounce,
                m.complaint,
                m.delivered,
            )
        })
        .collect();
    if !marks.is_empty() {
        sqlx::query(
            "WITH u AS (SELECT value ->> 0 AS m, value ->> 1 AS r, value ->> 2 AS hb, \
             value ->> 3 AS c, value ->> 4 AS d FROM json_each($1)) \
             UPDATE send_outcomes SET hard_bounce = (hard_bounce OR u.hb), \
             complaint = (complaint OR u.c), delivered = (delivered OR u.d) FROM u \
             WHERE send_outcomes.message_id = u.m AND send_outcomes.recipient = u.r",
        )
        .bind(to_json(&marks)?)
        .execute(&mut *conn)
        .await?;
    }

    put_entries_sqlite(conn, &applied_suppressions(jobs, &applied)).await?;
    Ok(applied)
}

/// PostgreSQL: one statement per table whatever the batch size (`UNNEST` of arrays, fixed SQL
/// so the prepared statements are reused): three round trips per batch.
async fn apply_postgres(
    conn: &mut PgConnection,
    jobs: &[ApplyJob],
) -> Result<Vec<bool>, sqlx::Error> {
    if jobs.iter().any(|job| !job.suppress.is_empty()) {
        // First, as every suppression write does.
        lock_suppression(conn).await?;
    }
    let with_id: Vec<&ApplyJob> = jobs
        .iter()
        .filter(|job| job.sns_message_id.is_some())
        .collect();
    let mut inserted = HashSet::new();
    if !with_id.is_empty() {
        let ids: Vec<String> = sqlx::query_scalar(
            "INSERT INTO sns_messages (message_id, topic_arn, received_ms) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[]) \
             ON CONFLICT (message_id) DO NOTHING RETURNING message_id",
        )
        .bind(
            with_id
                .iter()
                .map(|j| j.sns_message_id.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            with_id
                .iter()
                .map(|j| j.topic.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(with_id.iter().map(|j| j.now_ms).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await?;
        inserted.extend(ids);
    }
    let applied = claim(jobs, inserted);

    let events = applied_events(jobs, &applied);
    if !events.is_empty() {
        sqlx::query(
            "INSERT INTO events (sns_message_id, event_type, message_id, recipient, bounce_type, \
             bounce_subtype, feedback_id, at_ms, raw_json) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
             $6::text[], $7::text[], $8::int8[], $9::text[])",
        )
        .bind(events.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(
            events
                .iter()
                .map(|(_, e)| e.event_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|(_, e)| e.message_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|(_, e)| e.recipient.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|(_, e)| e.bounce_type.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|(_, e)| e.bounce_subtype.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|(_, e)| e.feedback_id.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(events.iter().map(|(_, e)| e.at_ms).collect::<Vec<_>>())
        .bind(
            events
                .iter()
                .map(|(_, e)| e.raw_json.as_str())
                .collect::<Vec<_>>(),
        )
        .execute(&mut *conn)
        .await?;
    }

    let marks = merged_marks(&events);
    if !marks.is_empty() {
        sqlx::query(
            "UPDATE send_outcomes s SET hard_bounce = s.hard_bounce OR u.hb, \
             complaint = s.complaint OR u.c, delivered = s.delivered OR u.d \
             FROM UNNEST($1::text[], $2::text[], $3::bool[], $4::bool[], $5::bool[]) \
             AS u(m, r, hb, c, d) WHERE s.message_id = u.m AND s.recipient = u.r",
        )
        .bind(marks.keys().map(|(m, _)| *m).collect::<Vec<_>>())
        .bind(marks.keys().map(|(_, r)| *r).collect::<Vec<_>>())
        .bind(marks.values().map(|m| m.hard_bounce).collect::<Vec<_>>())
        .bind(marks.values().map(|m| m.complaint).collect::<Vec<_>>())
        .bind(marks.values().map(|m| m.delivered).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }

    put_entries_postgres(conn, &applied_suppressions(jobs, &applied)).await?;
    Ok(applied)
}

// ---------------------------------------------------------------- the Store methods

impl Store {
    /// Applies the events of one SNS message exactly once: in ONE transaction, records
    /// `sns_message_id` (with `topic` and `now_ms`), stores `events` and marks the matching send
    /// outcomes (see [`NewEvent`]). Returns `false`, having changed nothing, when that SNS id
    /// was applied before. Without an SNS id (events posted directly) the events are always
    /// applied. Returns only once committed; concurrent calls share transactions (module docs).
    /// If the caller stops waiting, the message may still be applied.
    pub async fn apply_events_once(
        &self,
        sns_message_id: Option<&str>,
        topic: Option<&str>,
        events: &[NewEvent],
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.apply_events_and_suppress_once(
            sns_message_id,
            topic,
            events.to_vec(),
            Vec::new(),
            now_ms,
        )
        .await
    }

    /// [`Store::apply_events_once`], and in the SAME transaction puts `suppress` on the
    /// suppression list, each entry as [`Store::put_suppressed`] would (same change log, same
    /// PostgreSQL notification, `now_ms` as its time) — only when the message applies. One
    /// commit covers the SNS id, the events, the outcome marks and the entries: after an
    /// error none of them is stored (and a retry of the message applies it all), after
    /// `Ok(true)` all of them are.
    pub async fn apply_events_and_suppress_once(
        &self,
        sns_message_id: Option<&str>,
        topic: Option<&str>,
        events: Vec<NewEvent>,
        suppress: Vec<SuppressionWrite>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            job: ApplyJob {
                sns_message_id: sns_message_id.map(str::to_owned),
                topic: topic.map(str::to_owned),
                events,
                suppress,
                now_ms,
            },
            reply,
        };
        let combiner = combiner_of(self);
        let start = {
            let mut state = combiner
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.queue.push(pending);
            !std::mem::replace(&mut state.running, true)
        };
        if start {
            tokio::spawn(drain(self.inner.db.clone(), combiner));
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Records one row per recipient of sends, with its class. A (message id, recipient) pair
    /// already recorded is left unchanged (so a retried call is harmless). Returns how many rows
    /// were inserted. Call it before the send leaves, so that events always find their row.
    pub async fn record_send_outcomes(
        &self,
        outcomes: &[NewSendOutcome],
    ) -> Result<u64, StoreError> {
        if outcomes.is_empty() {
            return Ok(0);
        }
        let inserted = match &self.inner.db {
            Db::Sqlite { write, .. } => {
                let mut tx = write.begin_with("BEGIN IMMEDIATE").await?;
                let mut inserted = 0;
                for chunk in outcomes.chunks(ROWS_PER_STATEMENT) {
                    let mut insert = QueryBuilder::<Sqlite>::new(
                        "INSERT INTO send_outcomes (message_id, recipient, class, sent_ms) ",
                    );
                    insert.push_values(chunk, |mut row, o| {
                        row.push_bind(o.message_id.as_str())
                            .push_bind(o.recipient.as_str())
                            .push_bind(o.class.as_str())
                            .push_bind(o.sent_ms);
                    });
                    insert.push(" ON CONFLICT (message_id, recipient) DO NOTHING");
                    inserted += insert.build().execute(&mut *tx).await?.rows_affected();
                }
                tx.commit().await?;
                inserted
            }
            Db::Postgres(pool) => sqlx::query(
                "INSERT INTO send_outcomes (message_id, recipient, class, sent_ms) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[]) \
                 ON CONFLICT (message_id, recipient) DO NOTHING",
            )
            .bind(
                outcomes
                    .iter()
                    .map(|o| o.message_id.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                outcomes
                    .iter()
                    .map(|o| o.recipient.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                outcomes
                    .iter()
                    .map(|o| o.class.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(outcomes.iter().map(|o| o.sent_ms).collect::<Vec<_>>())
            .execute(pool)
            .await?
            .rows_affected(),
        };
        Ok(inserted)
    }

    /// The newest `limit` eligible send outcomes, oldest first (by `seq`): the input of
    /// `ReputationWindow::from_outcomes(limit, …)`. Excluded classes never appear.
    pub async fn recent_outcomes(&self, limit: u32) -> Result<Vec<StoredOutcome>, StoreError> {
        let rows: Vec<OutcomeRow> = with_read!(&self.inner.db, pool, DB => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {OUTCOME_COLUMNS} FROM (SELECT {OUTCOME_COLUMNS} FROM send_outcomes \
                 WHERE class = $1 ORDER BY seq DESC LIMIT $2) newest ORDER BY seq"
            )))
            .bind(OutcomeClass::Eligible.as_str())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(OutcomeRow::into_outcome).collect()
    }

    /// Eligible sends with `sent_ms >= since_ms`, and how many of them hard-bounced or were
    /// complained about (the 24 h and 7 d views).
    pub async fn outcome_counts_since(&self, since_ms: i64) -> Result<WindowCountsRow, StoreError> {
        let row: CountsRow = with_read!(&self.inner.db, pool, DB => {
            sqlx::query_as(
                "SELECT COUNT(*) AS sends, \
                 CAST(COALESCE(SUM(CASE WHEN hard_bounce THEN 1 ELSE 0 END), 0) AS BIGINT) AS hard_bounces, \
                 CAST(COALESCE(SUM(CASE WHEN complaint THEN 1 ELSE 0 END), 0) AS BIGINT) AS complaints \
                 FROM send_outcomes WHERE class = $1 AND sent_ms >= $2",
            )
            .bind(OutcomeClass::Eligible.as_str())
            .bind(since_ms)
            .fetch_one(pool)
            .await?
        });
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(WindowCountsRow {
            sends: count(row.sends),
            hard_bounces: count(row.hard_bounces),
            complaints: count(row.complaints),
        })
    }

    /// Whether `recipient` (normalised) ever had a delivery: a stored `Delivery` event or a send
    /// outcome marked delivered.
    pub async fn delivered_before(&self, recipient: &str) -> Result<bool, StoreError> {
        let found: i64 = with_read!(&self.inner.db, pool, DB => {
            sqlx::query_scalar(
                "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM send_outcomes \
                 WHERE recipient = $1 AND delivered) OR EXISTS (SELECT 1 FROM events \
                 WHERE recipient = $1 AND event_type = 'Delivery') THEN 1 ELSE 0 END AS BIGINT)",
            )
            .bind(recipient)
            .fetch_one(pool)
            .await?
        });
        Ok(found == 1)
    }

    /// The stored events about one mail (SES MessageId), in the order they were stored.
    pub async fn events_for_message(
        &self,
        message_id: &str,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        with_read!(&self.inner.db, pool, DB => {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE message_id = $1 ORDER BY seq"
            )))
            .bind(message_id)
            .fetch_all(pool)
            .await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, bounce: Option<(&str, &str)>) -> NewEvent {
        NewEvent {
            event_type: event_type.to_string(),
            message_id: "m".to_string(),
            recipient: "r@example.com".to_string(),
            bounce_type: bounce.map(|(t, _)| t.to_string()),
            bounce_subtype: bounce.map(|(_, s)| s.to_string()),
            feedback_id: None,
            at_ms: 0,
            raw_json: "{}".to_string(),
        }
    }

    #[test]
    fn only_counted_bounces_complaints_and_deliveries_mark() {
        let hard = event("Bounce", Some(("Permanent", "General"))).marks();
        assert!(hard.hard_bounce && !hard.complaint && !hard.delivered);
        // Suppressed (the global list) counts; the account's own list does not (§5).
        assert!(
            event("Bounce", Some(("Permanent", "Suppressed")))
                .marks()
                .hard_bounce
        );
        assert!(
            !event("Bounce", Some(("Permanent", "OnAccountSuppressionList")))
                .marks()
                .any()
        );
        assert!(
            !event("Bounce", Some(("Transient", "MailboxFull")))
                .marks()
                .any()
        );
        assert!(
            !event("Bounce", Some(("Undetermined", "Undetermined")))
                .marks()
                .any()
        );
        assert!(event("Complaint", None).marks().complaint);
        assert!(event("Delivery", None).marks().delivered);
        for other in ["Send", "Reject", "DeliveryDelay", "Open"] {
            assert!(!event(other, None).marks().any(), "{other}");
        }
    }

    #[test]
    fn a_repeated_sns_id_applies_once_within_a_batch() {
        let job = |id: Option<&str>| ApplyJob {
            sns_message_id: id.map(str::to_string),
            topic: None,
            events: Vec::new(),
            suppress: Vec::new(),
            now_ms: 0,
        };
        let jobs = [job(Some("a")), job(Some("a")), job(None), job(Some("b"))];
        // "b" was already stored: the insert did not return it.
        let inserted: HashSet<String> = ["a".to_string()].into_iter().collect();
        assert_eq!(claim(&jobs, inserted), vec![true, false, true, false]);
    }

    #[test]
    fn chunks_are_powers_of_two_largest_first() {
        let items: Vec<u32> = (0..300).collect();
        let lengths: Vec<usize> = pow2_chunks(&items, 128).map(<[u32]>::len).collect();
        // 300 = 128 + 128 + 32 + 8 + 4.
        assert_eq!(lengths, vec![128, 128, 32, 8, 4]);
        let rejoined: Vec<u32> = pow2_chunks(&items, 128).flatten().copied().collect();
        assert_eq!(rejoined, items);
        assert_eq!(pow2_chunks(&items[..1], 128).count(), 1);
        assert_eq!(pow2_chunks::<u32>(&[], 128).count(), 0);
    }

    #[test]
    fn classes_round_trip() {
        for class in [
            OutcomeClass::Eligible,
            OutcomeClass::Simulator,
            OutcomeClass::AccountSuppressed,
            OutcomeClass::Denied,
            OutcomeClass::Captured,
            OutcomeClass::VerifiedDestination,
        ] {
            assert_eq!(OutcomeClass::parse(class.as_str()), Some(class));
            assert_eq!(class.is_eligible(), class == OutcomeClass::Eligible);
        }
        assert_eq!(OutcomeClass::parse("eligible"), None);
    }
}
