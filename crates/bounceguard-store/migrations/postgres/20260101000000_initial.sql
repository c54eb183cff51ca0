-- bounceguard store, PostgreSQL dialect. Keep tables and columns identical to migrations/sqlite.

CREATE TABLE messages (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT   NOT NULL UNIQUE,            -- SES MessageId
    created_ms   BIGINT NOT NULL,
    api          TEXT   NOT NULL,
    operation    TEXT   NOT NULL,
    source       TEXT   NOT NULL,
    from_address TEXT   NOT NULL,
    from_lower   TEXT   NOT NULL,                   -- from_address lower-cased in Rust (same on both backends)
    subject      TEXT,
    principal    TEXT   NOT NULL,
    source_ip    TEXT,
    raw          BYTEA  NOT NULL
);

CREATE INDEX messages_created_ms ON messages (created_ms);
CREATE INDEX messages_from_lower_seq ON messages (from_lower, seq);

CREATE TABLE message_recipients (
    message_seq      BIGINT  NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
    position         BIGINT  NOT NULL,
    created_ms       BIGINT  NOT NULL,              -- copy of messages.created_ms: stats/quota scan one index
    address          TEXT    NOT NULL,
    normalized       TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    decision         TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    delivery_attempt BOOLEAN NOT NULL,
    quota            BOOLEAN NOT NULL,
    PRIMARY KEY (message_seq, position)
);

CREATE INDEX message_recipients_normalized ON message_recipients (normalized, message_seq);
-- Covering index for quota_used_since and send_statistics.
CREATE INDEX message_recipients_created_ms ON message_recipients (created_ms, delivery_attempt, quota);

CREATE TABLE identities (
    name               TEXT COLLATE "C" NOT NULL PRIMARY KEY, -- byte order, as SQLite's BINARY
    kind               TEXT   NOT NULL,
    verification_token TEXT,
    created_ms         BIGINT NOT NULL
);

CREATE INDEX identities_kind_name ON identities (kind, name);
