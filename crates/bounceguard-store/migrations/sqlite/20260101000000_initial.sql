-- bounceguard store, SQLite dialect. Keep tables and columns identical to migrations/postgres.

CREATE TABLE messages (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: never reuses a deleted seq (stable keyset cursors)
    id           TEXT    NOT NULL UNIQUE,           -- SES MessageId
    created_ms   INTEGER NOT NULL,
    api          TEXT    NOT NULL,
    operation    TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    from_address TEXT    NOT NULL,
    from_lower   TEXT    NOT NULL,                  -- from_address lower-cased in Rust (same on both backends)
    subject      TEXT,
    principal    TEXT    NOT NULL,
    source_ip    TEXT,
    raw          BLOB    NOT NULL                   -- last: listings never walk its overflow pages
) STRICT;

CREATE INDEX messages_created_ms ON messages (created_ms);
CREATE INDEX messages_from_lower_seq ON messages (from_lower, seq);

CREATE TABLE message_recipients (
    message_seq      INTEGER NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    created_ms       INTEGER NOT NULL,              -- copy of messages.created_ms: stats/quota scan one index
    address          TEXT    NOT NULL,
    normalized       TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    decision         TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    delivery_attempt INTEGER NOT NULL CHECK (delivery_attempt IN (0, 1)),
    quota            INTEGER NOT NULL CHECK (quota IN (0, 1)),
    PRIMARY KEY (message_seq, position)
) STRICT;

CREATE INDEX message_recipients_normalized ON message_recipients (normalized, message_seq);
-- Covering index for quota_used_since and send_statistics.
CREATE INDEX message_recipients_created_ms ON message_recipients (created_ms, delivery_attempt, quota);

CREATE TABLE identities (
    name               TEXT    NOT NULL PRIMARY KEY, -- BINARY collation: byte order, as "C" on PostgreSQL
    kind               TEXT    NOT NULL,
    verification_token TEXT,
    created_ms         INTEGER NOT NULL
) STRICT;

CREATE INDEX identities_kind_name ON identities (kind, name);
