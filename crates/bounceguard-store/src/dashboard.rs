//! Queries the dashboard needs beyond the capture API's (issue 8): the Messages listing with a
//! decision filter and a "newer than" cursor for live updates, the reputation time series
//! (eligible sends, counted hard bounces and complaints per time bucket), and the counts by
//! decision over a period.
//!
//! Every listing is keyset-paginated on `messages.seq` (the primary key), never `OFFSET`, so
//! page N costs the same as page 1 however many messages are stored.

use sqlx::{FromRow, QueryBuilder};

use crate::events::OutcomeClass;
use crate::{Db, MessageSummary, SUMMARY_COLUMNS, Store, StoreError, SummaryRow, clamp_limit};

/// Filters and cursor of the dashboard's message listing. All filters are combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Keyset cursor, older pages: only messages with `seq` strictly below this.
    pub before_seq: Option<i64>,
    /// Keyset cursor, newer messages: only messages with `seq` strictly above this.
    pub after_seq: Option<i64>,
    /// Only the message with this SES MessageId.
    pub id: Option<String>,
    /// Only messages whose bare sender address equals this, ignoring case.
    pub from: Option<String>,
    /// Only messages with a recipient whose normalised address equals this exactly.
    pub recipient: Option<String>,
    /// Only messages with at least one recipient decided this way (`deliver`, `capture`, …).
    pub decision: Option<String>,
    /// Page size; 0 means [`crate::DEFAULT_PAGE_SIZE`], capped at [`crate::MAX_PAGE_SIZE`].
    pub limit: u32,
}

/// Eligible sends and what became of them in one time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeBucket {
    /// Start of the bucket, ms since the Unix epoch (a multiple of the bucket width).
    pub start_ms: i64,
    /// Eligible sends made in the bucket.
    pub sends: u64,
    /// Of those, how many hard-bounced (counted bounces).
    pub hard_bounces: u64,
    /// Of those, how many drew a complaint.
    pub complaints: u64,
}

#[derive(FromRow)]
struct BucketRow {
    start_ms: i64,
    sends: i64,
    hard_bounces: i64,
    complaints: i64,
}

#[derive(FromRow)]
struct DecisionRow {
    decision: String,
    recipients: i64,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store {
    /// Messages matching `filter`, each with its recipients in order: newest first, or, when
    /// only `after_seq` is given as cursor, oldest first (the order live updates arrive in).
    pub async fn list_messages_filtered(
        &self,
        filter: &MessageFilter,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let limit = clamp_limit(filter.limit, crate::DEFAULT_PAGE_SIZE);
        let ascending = filter.after_seq.is_some() && filter.before_seq.is_none();
        let rows: Vec<SummaryRow> = with_read!(&self.inner.db, pool, DB => {
            let mut select = QueryBuilder::<DB>::new(SUMMARY_COLUMNS);
            if let Some(before) = filter.before_seq {
                select.push(" AND seq < ").push_bind(before);
            }
            if let Some(after) = filter.after_seq {
                select.push(" AND seq > ").push_bind(after);
            }
            if let Some(id) = &filter.id {
                select.push(" AND id = ").push_bind(id);
            }
            if let Some(from) = &filter.from {
                select.push(" AND from_lower = ").push_bind(from.to_lowercase());
            }
            if let Some(recipient) = &filter.recipient {
                select
                    .push(" AND seq IN (SELECT message_seq FROM message_recipients WHERE normalized = ")
                    .push_bind(recipient)
                    .push(")");
            }
            let decision_only =
                filter.id.is_none() && filter.from.is_none() && filter.recipient.is_none();
            match &filter.decision {
                Some(decision) if decision_only => {
                    // The page's seqs straight from the (decision, message_seq) index, in page
                    // order: at most `limit` distinct entries, however rare the decision.
                    select
                        .push(" AND seq IN (SELECT DISTINCT message_seq FROM message_recipients WHERE decision = ")
                        .push_bind(decision);
                    if let Some(before) = filter.before_seq {
                        select.push(" AND message_seq < ").push_bind(before);
                    }
                    if let Some(after) = filter.after_seq {
                        select.push(" AND message_seq > ").push_bind(after);
                    }
                    select.push(if ascending {
                        " ORDER BY message_seq ASC LIMIT "
                    } else {
                        " ORDER BY message_seq DESC LIMIT "
                    });
                    select.push_bind(limit).push(")");
                }
                Some(decision) => {
                    // With a selective filter beside it: checked per candidate message on the
                    // recipients' primary key.
                    select
                        .push(" AND EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_seq = messages.seq AND r.decision = ")
                        .push_bind(decision)
                        .push(")");
                }
                None => {}
            }
            select.push(if ascending { " ORDER BY seq ASC LIMIT " } else { " ORDER BY seq DESC LIMIT " });
            select.push_bind(limit);
            select.build_query_as().fetch_all(pool).await?
        });
        self.with_recipients(rows).await
    }

    /// The newest message's `seq` (0 when there is none): where live updates start.
    pub async fn latest_message_seq(&self) -> Result<i64, StoreError> {
        with_read!(&self.inner.db, pool, DB => Ok(sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM messages",
        )
        .fetch_one(pool)
        .await?))
    }

    /// Eligible sends made at or after `since_ms`, grouped into buckets of `bucket_ms`
    /// (`floor(sent_ms / bucket_ms) * bucket_ms`), oldest first; empty buckets are left out.
    /// A `bucket_ms` below 1 is taken as 1.
    pub async fn outcome_series(
        &self,
        since_ms: i64,
        bucket_ms: i64,
    ) -> Result<Vec<OutcomeBucket>, StoreError> {
        let bucket = bucket_ms.max(1);
        // sent_ms - mod(sent_ms, bucket) with a non-negative mod: a true floor on both engines.
        let rows: Vec<BucketRow> = with_read!(&self.inner.db, pool, DB => sqlx::query_as(
            "SELECT sent_ms - (((sent_ms % $1) + $1) % $1) AS start_ms, COUNT(*) AS sends, \
             CAST(COALESCE(SUM(CASE WHEN hard_bounce THEN 1 ELSE 0 END), 0) AS BIGINT) AS hard_bounces, \
             CAST(COALESCE(SUM(CASE WHEN complaint THEN 1 ELSE 0 END), 0) AS BIGINT) AS complaints \
             FROM send_outcomes WHERE class = $2 AND sent_ms >= $3 GROUP BY 1 ORDER BY 1",
        )
        .bind(bucket)
        .bind(OutcomeClass::Eligible.as_str())
        .bind(since_ms)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|r| OutcomeBucket {
                start_ms: r.start_ms,
                sends: count(r.sends),
                hard_bounces: count(r.hard_bounces),
                complaints: count(r.complaints),
            })
            .collect())
    }

    /// Recipients per decision word among messages accepted at or after `since_ms`, sorted by
    /// decision word.
    pub async fn decision_counts_since(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<DecisionRow> = with_read!(&self.inner.db, pool, DB => sqlx::query_as(
            "SELECT decision, COUNT(*) AS recipients FROM message_recipients \
             WHERE created_ms >= $1 GROUP BY decision ORDER BY decision",
        )
        .bind(since_ms)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|r| (r.decision, count(r.recipients)))
            .collect())
    }
}
