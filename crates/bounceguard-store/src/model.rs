//! Plain records going into and coming out of the store.

/// One accepted send, as handed to [`crate::Store::record_send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// SES MessageId; unique in the store.
    pub id: String,
    /// Acceptance time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// API that accepted it: `"v1"` or `"v2"`.
    pub api: String,
    /// Operation name, e.g. `SendEmail` or `SendRawEmail`.
    pub operation: String,
    /// Source as given by the client (may hold a display name).
    pub source: String,
    /// Bare sender address.
    pub from_address: String,
    /// Subject, when known.
    pub subject: Option<String>,
    /// Full MIME message.
    pub raw: Vec<u8>,
    /// Authenticated caller (access key, ARN, SMTP user).
    pub principal: String,
    /// Client IP address, when known.
    pub source_ip: Option<String>,
    /// Recipients in submission order.
    pub recipients: Vec<NewRecipient>,
}

/// One recipient of a [`NewMessage`] with the decision taken for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    /// Address as submitted.
    pub address: String,
    /// Normalised address (what suppression and the recipient filter compare).
    pub normalized: String,
    /// `to`, `cc`, `bcc` or `envelope`.
    pub kind: String,
    /// Decision taken (deliver, capture, suppress, …).
    pub decision: String,
    /// The rule that made it: `route:2`, `default:reserved`, `dns:null-mx`, `policy:<Sid>`, …
    pub rule: String,
    /// Human-readable reason for the decision.
    pub reason: String,
    /// Whether a delivery was attempted (counts in send statistics).
    pub delivery_attempt: bool,
    /// Whether it counts against the 24-hour sending quota.
    pub quota: bool,
}

/// A stored recipient, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRecord {
    /// Zero-based position in the submitted recipient list.
    pub position: i64,
    /// Address as submitted.
    pub address: String,
    /// Normalised address.
    pub normalized: String,
    /// `to`, `cc`, `bcc` or `envelope`.
    pub kind: String,
    /// Decision taken.
    pub decision: String,
    /// The rule that made it.
    pub rule: String,
    /// Reason for the decision.
    pub reason: String,
    /// Whether a delivery was attempted.
    pub delivery_attempt: bool,
    /// Whether it counts against the sending quota.
    pub quota: bool,
}

/// A message in a listing: everything except the raw bytes, principal and source IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// Store sequence number: the keyset cursor (larger is newer).
    pub seq: i64,
    /// SES MessageId.
    pub id: String,
    /// Acceptance time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// `"v1"` or `"v2"`.
    pub api: String,
    /// Operation name.
    pub operation: String,
    /// Source as given.
    pub source: String,
    /// Bare sender address.
    pub from_address: String,
    /// Subject, when known.
    pub subject: Option<String>,
    /// Recipients in submission order (filter on `kind == "to"` for the To column).
    pub recipients: Vec<RecipientRecord>,
}

/// A full stored message, with its raw bytes and recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Store sequence number.
    pub seq: i64,
    /// SES MessageId.
    pub id: String,
    /// Acceptance time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// `"v1"` or `"v2"`.
    pub api: String,
    /// Operation name.
    pub operation: String,
    /// Source as given.
    pub source: String,
    /// Bare sender address.
    pub from_address: String,
    /// Subject, when known.
    pub subject: Option<String>,
    /// Full MIME message, byte for byte.
    pub raw: Vec<u8>,
    /// Authenticated caller.
    pub principal: String,
    /// Client IP address, when known.
    pub source_ip: Option<String>,
    /// Recipients in submission order.
    pub recipients: Vec<RecipientRecord>,
}

/// Filters and cursor for [`crate::Store::list_messages`]. All filters are combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageQuery {
    /// Keyset cursor: only messages with `seq` strictly below this (pass the last `seq` of the previous page).
    pub before_seq: Option<i64>,
    /// Only the message with this SES MessageId.
    pub id: Option<String>,
    /// Only messages whose bare sender address equals this, ignoring case.
    pub from: Option<String>,
    /// Only messages with a recipient whose *normalised* address equals this exactly
    /// (normalise it the same way as [`NewRecipient::normalized`]).
    pub recipient: Option<String>,
    /// Page size; 0 means [`crate::DEFAULT_PAGE_SIZE`], larger than [`crate::MAX_PAGE_SIZE`] is capped.
    pub limit: u32,
}

/// A verified (or pending) sending identity.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdentityRecord {
    /// Email address or domain, as given.
    pub name: String,
    /// `"EmailAddress"` or `"Domain"`.
    pub kind: String,
    /// Domain verification token, when one was issued.
    pub verification_token: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
}

/// One 15-minute data point of send statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatisticsBucket {
    /// Bucket start, milliseconds since the Unix epoch (a multiple of 900 000).
    pub start_ms: i64,
    /// Recipients with a delivery attempt in this bucket.
    pub delivery_attempts: i64,
    /// Counted hard bounces of the eligible sends of this bucket.
    pub bounces: i64,
    /// Complaints about the eligible sends of this bucket.
    pub complaints: i64,
    /// Rejects (always 0 until events are stored).
    pub rejects: i64,
}

/// Counters of the group-commit writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed by the writer.
    pub commits: u64,
    /// Messages committed by the writer.
    pub messages: u64,
    /// Batches whose transaction failed (their waiters got an error or were retried one by one).
    pub failed_batches: u64,
}
