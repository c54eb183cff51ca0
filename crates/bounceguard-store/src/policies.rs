//! Sending-authorization (identity) policies: one table shared by the SES v1 and v2 APIs,
//! keyed by identity name and policy name.
//!
//! The store keeps documents as given to it (the service stores them minified and validated);
//! it only enforces the per-identity count atomically: every write runs in a transaction that,
//! on PostgreSQL, first takes a transaction-scoped advisory lock on the identity, so two
//! instances adding a 20th and a 21st policy at once cannot both pass the count. On SQLite the
//! single write connection serialises writes already.

use sqlx::FromRow;

use crate::{Db, Store, StoreError};

/// One stored policy.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PolicyRecord {
    /// The identity's name (as the service keys it).
    pub identity: String,
    /// The policy's name.
    pub name: String,
    /// The policy document.
    pub document: String,
    /// When the policy was first stored, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// When the document was last written, milliseconds since the Unix epoch.
    pub updated_ms: i64,
}

/// How [`Store::put_identity_policy`] treats a policy of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyWrite {
    /// Create or replace (v1 PutIdentityPolicy).
    Upsert,
    /// Create; refuse if the name exists (v2 CreateEmailIdentityPolicy).
    CreateOnly,
    /// Replace; refuse if the name does not exist (v2 UpdateEmailIdentityPolicy).
    UpdateOnly,
}

/// What [`Store::put_identity_policy`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyWriteOutcome {
    /// A new policy was stored.
    Created,
    /// An existing policy's document was replaced.
    Replaced,
    /// Nothing written: the name exists ([`PolicyWrite::CreateOnly`]).
    AlreadyExists,
    /// Nothing written: the name does not exist ([`PolicyWrite::UpdateOnly`]).
    NotFound,
    /// Nothing written: the identity already has the maximum number of policies.
    LimitExceeded,
}

/// Runs `$body` with `$pool` bound to the pool that writes and `$pg` telling the backend.
macro_rules! with_writer {
    ($db:expr, $pool:ident, $pg:ident => $body:expr) => {
        match $db {
            Db::Sqlite { write: $pool, .. } => {
                let $pg = false;
                $body
            }
            Db::Postgres($pool) => {
                let $pg = true;
                $body
            }
        }
    };
}

impl Store {
    /// Stores `document` as the policy `name` of `identity`, as `mode` says, unless that would
    /// give the identity more than `max_per_identity` policies. Atomic per identity.
    pub async fn put_identity_policy(
        &self,
        identity: &str,
        name: &str,
        document: &str,
        now_ms: i64,
        mode: PolicyWrite,
        max_per_identity: usize,
    ) -> Result<PolicyWriteOutcome, StoreError> {
        let max = i64::try_from(max_per_identity).unwrap_or(i64::MAX);
        with_writer!(&self.inner.db, pool, pg => {
            let mut tx = pool.begin().await?;
            if pg {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(identity)
                    .execute(&mut *tx)
                    .await?;
            }
            let exists: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM identity_policies WHERE identity = $1 AND name = $2",
            )
            .bind(identity)
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
            let exists = exists > 0;
            match (mode, exists) {
                (PolicyWrite::CreateOnly, true) => return Ok(PolicyWriteOutcome::AlreadyExists),
                (PolicyWrite::UpdateOnly, false) => return Ok(PolicyWriteOutcome::NotFound),
                _ => {}
            }
            if !exists {
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM identity_policies WHERE identity = $1",
                )
                .bind(identity)
                .fetch_one(&mut *tx)
                .await?;
                if count >= max {
                    return Ok(PolicyWriteOutcome::LimitExceeded);
                }
            }
            sqlx::query(
                "INSERT INTO identity_policies (identity, name, document, created_ms, updated_ms) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (identity, name) \
                 DO UPDATE SET document = excluded.document, updated_ms = excluded.updated_ms",
            )
            .bind(identity)
            .bind(name)
            .bind(document)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(if exists {
                PolicyWriteOutcome::Replaced
            } else {
                PolicyWriteOutcome::Created
            })
        })
    }

    /// Every policy of `identity`, ordered by name (byte order).
    pub async fn list_identity_policies(
        &self,
        identity: &str,
    ) -> Result<Vec<PolicyRecord>, StoreError> {
        with_read!(&self.inner.db, pool, DB => Ok(sqlx::query_as(
            "SELECT identity, name, document, created_ms, updated_ms FROM identity_policies \
             WHERE identity = $1 ORDER BY name",
        )
            .bind(identity)
            .fetch_all(pool)
            .await?))
    }

    /// The policies of `identity` named in `names`, in that order; unknown names are left out
    /// and a name asked twice is answered once.
    pub async fn get_identity_policies(
        &self,
        identity: &str,
        names: &[String],
    ) -> Result<Vec<PolicyRecord>, StoreError> {
        let mut all = self.list_identity_policies(identity).await?;
        let mut out = Vec::with_capacity(names.len().min(all.len()));
        for name in names {
            if let Some(i) = all.iter().position(|p| &p.name == name) {
                out.push(all.swap_remove(i));
            }
        }
        Ok(out)
    }

    /// Deletes one policy; returns whether it existed.
    pub async fn delete_identity_policy(
        &self,
        identity: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        let deleted = with_write!(&self.inner.db, pool => sqlx::query(
            "DELETE FROM identity_policies WHERE identity = $1 AND name = $2",
        )
        .bind(identity)
        .bind(name)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(deleted > 0)
    }

    /// Deletes every policy of `identity` (when the identity itself is deleted); returns how
    /// many there were.
    pub async fn delete_identity_policies(&self, identity: &str) -> Result<u64, StoreError> {
        Ok(with_write!(&self.inner.db, pool => sqlx::query(
            "DELETE FROM identity_policies WHERE identity = $1",
        )
        .bind(identity)
        .execute(pool)
        .await?
        .rows_affected()))
    }
}
