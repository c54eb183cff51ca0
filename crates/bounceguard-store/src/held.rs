//! Held mail (issue 7): recipients decided `hold` stay with their stored message; an operator
//! releases or drops them. `held_resolutions` records what happened to each held recipient; one
//! without a row is still held.
//!
//! A release first *claims* its recipients (a `releasing` row, inserted only where none exists),
//! so two operators — or two instances — releasing the same message at once send it once: the
//! second finds nothing left to claim.

use sqlx::{FromRow, QueryBuilder};

use crate::{Db, MessageSummary, SUMMARY_COLUMNS, Store, StoreError, clamp_limit};

/// What became of a held recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldState {
    /// Still held: nobody has acted on it.
    Held,
    /// A release claimed it and is sending it (or crashed while doing so).
    Releasing,
    /// Released: sent, captured or refused as the re-evaluated decision said (see the outcome).
    Released,
    /// Dropped by an operator: never sent.
    Dropped,
}

impl HeldState {
    /// The word stored and shown: `held`, `releasing`, `released`, `dropped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Releasing => "releasing",
            Self::Released => "released",
            Self::Dropped => "dropped",
        }
    }

    fn parse(text: Option<&str>) -> Self {
        match text {
            None => Self::Held,
            Some("releasing") => Self::Releasing,
            Some("released") => Self::Released,
            Some(_) => Self::Dropped,
        }
    }
}

/// One held recipient with what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRecipient {
    /// Position in the message's recipient list.
    pub position: i64,
    /// Address as submitted.
    pub address: String,
    /// Normalised address.
    pub normalized: String,
    /// `to`, `cc`, `bcc` or `envelope`.
    pub kind: String,
    /// The rule that held it (`route:2`, `dns:null-mx`, `guard:bounce-rate`, …).
    pub rule: String,
    /// Why it was held.
    pub reason: String,
    /// What became of it.
    pub state: HeldState,
    /// When it was released or dropped.
    pub resolved_ms: Option<i64>,
    /// What the release did (`delivered as <id>`, `suppressed …`), or why it was dropped.
    pub outcome: String,
}

/// A message with held recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldMessage {
    /// The message (its recipients: all of them, with their decisions).
    pub message: MessageSummary,
    /// Its held recipients.
    pub held: Vec<HeldRecipient>,
}

#[derive(FromRow)]
struct HeldRow {
    position: i64,
    address: String,
    normalized: String,
    kind: String,
    rule: String,
    reason: String,
    state: Option<String>,
    resolved_ms: Option<i64>,
    outcome: Option<String>,
}

impl HeldRow {
    fn into_record(self) -> HeldRecipient {
        HeldRecipient {
            position: self.position,
            address: self.address,
            normalized: self.normalized,
            kind: self.kind,
            rule: self.rule,
            reason: self.reason,
            state: HeldState::parse(self.state.as_deref()),
            resolved_ms: self.resolved_ms,
            outcome: self.outcome.unwrap_or_default(),
        }
    }
}

const HELD_COLUMNS: &str = "SELECT r.position, r.address, r.normalized, r.kind, \
    r.rule, r.reason, h.state, h.resolved_ms, h.outcome FROM message_recipients r \
    LEFT JOIN held_resolutions h ON h.message_seq = r.message_seq AND h.position = r.position \
    WHERE r.decision = 'hold'";

impl Store {
    /// Messages with held recipients, newest first, keyset-paginated by `before_seq`. With
    /// `include_resolved` false only messages with a recipient still held are listed.
    pub async fn list_held(
        &self,
        before_seq: Option<i64>,
        limit: u32,
        include_resolved: bool,
    ) -> Result<Vec<HeldMessage>, StoreError> {
        let limit = clamp_limit(limit, 100);
        let seqs: Vec<i64> = with_read!(&self.inner.db, pool, DB => {
            let mut select = QueryBuilder::<DB>::new(
                "SELECT DISTINCT r.message_seq FROM message_recipients r \
                 LEFT JOIN held_resolutions h ON h.message_seq = r.message_seq \
                 AND h.position = r.position WHERE r.decision = 'hold'",
            );
            if !include_resolved {
                select.push(" AND h.state IS NULL");
            }
            if let Some(before) = before_seq {
                select.push(" AND r.message_seq < ").push_bind(before);
            }
            select
                .push(" ORDER BY r.message_seq DESC LIMIT ")
                .push_bind(limit);
            let rows: Vec<(i64,)> = select.build_query_as().fetch_all(pool).await?;
            rows.into_iter().map(|(seq,)| seq).collect()
        });
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            if let Some(found) = self.held_message_by_seq(seq).await? {
                out.push(found);
            }
        }
        Ok(out)
    }

    /// One message's held recipients (by SES MessageId), `None` when there is no such message.
    /// A message without held recipients has an empty `held`.
    pub async fn get_held(&self, message_id: &str) -> Result<Option<HeldMessage>, StoreError> {
        let seq: Option<(i64,)> = with_read!(&self.inner.db, pool, DB => {
            sqlx::query_as("SELECT seq FROM messages WHERE id = $1")
                .bind(message_id)
                .fetch_optional(pool)
                .await?
        });
        match seq {
            Some((seq,)) => self.held_message_by_seq(seq).await,
            None => Ok(None),
        }
    }

    async fn held_message_by_seq(&self, seq: i64) -> Result<Option<HeldMessage>, StoreError> {
        let (summary, rows): (Option<crate::SummaryRow>, Vec<HeldRow>) = with_read!(&self.inner.db, pool, DB => {
            let mut select = QueryBuilder::<DB>::new(SUMMARY_COLUMNS);
            select.push(" AND seq = ").push_bind(seq);
            let summary = select.build_query_as().fetch_optional(pool).await?;
            let mut held = QueryBuilder::<DB>::new(HELD_COLUMNS);
            held.push(" AND r.message_seq = ")
                .push_bind(seq)
                .push(" ORDER BY r.position");
            let rows = held.build_query_as().fetch_all(pool).await?;
            (summary, rows)
        });
        let Some(summary) = summary else {
            return Ok(None);
        };
        let recipients = self.recipients_of(seq).await?;
        Ok(Some(HeldMessage {
            message: summary.into_summary(recipients),
            held: rows.into_iter().map(HeldRow::into_record).collect(),
        }))
    }

    /// Claims the still-held recipients at `positions` of message `seq` for a release or a drop:
    /// writes `state` for each one nobody has acted on, in one transaction. Returns the positions
    /// claimed (those already released, dropped or being released are left alone).
    pub async fn claim_held(
        &self,
        seq: i64,
        positions: &[i64],
        state: HeldState,
        outcome: &str,
        now_ms: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut claimed = Vec::new();
        with_write!(&self.inner.db, pool => {
            let mut tx = pool.begin().await?;
            for &position in positions {
                let done = sqlx::query(
                    "INSERT INTO held_resolutions (message_seq, position, state, resolved_ms, outcome) \
                     SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM message_recipients \
                     WHERE message_seq = $1 AND position = $2 AND decision = 'hold') \
                     ON CONFLICT (message_seq, position) DO NOTHING",
                )
                .bind(seq)
                .bind(position)
                .bind(state.as_str())
                .bind(now_ms)
                .bind(outcome)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 1 {
                    claimed.push(position);
                }
            }
            tx.commit().await?;
        });
        Ok(claimed)
    }

    /// Records how a claimed held recipient ended (`released` or `dropped`, with the outcome).
    pub async fn resolve_held(
        &self,
        seq: i64,
        position: i64,
        state: HeldState,
        outcome: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        with_write!(&self.inner.db, pool => {
            sqlx::query(
                "UPDATE held_resolutions SET state = $3, outcome = $4, resolved_ms = $5 \
                 WHERE message_seq = $1 AND position = $2",
            )
            .bind(seq)
            .bind(position)
            .bind(state.as_str())
            .bind(outcome)
            .bind(now_ms)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Gives claimed recipients back (a release that failed before anything was sent).
    pub async fn unclaim_held(&self, seq: i64, positions: &[i64]) -> Result<(), StoreError> {
        with_write!(&self.inner.db, pool => {
            let mut tx = pool.begin().await?;
            for &position in positions {
                sqlx::query(
                    "DELETE FROM held_resolutions WHERE message_seq = $1 AND position = $2 \
                     AND state = 'releasing'",
                )
                .bind(seq)
                .bind(position)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
