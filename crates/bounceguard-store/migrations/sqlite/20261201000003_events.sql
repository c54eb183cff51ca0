-- SES events and the per-recipient send outcomes the reputation window is rebuilt from
-- (issue 6, ses-spec §5 and §7). Keep tables and columns identical to migrations/postgres.

-- One row per SNS delivery applied: the durable dedup key (SNS redelivers on timeouts).
CREATE TABLE sns_messages (
    message_id  TEXT    NOT NULL PRIMARY KEY,        -- the SNS MessageId (not the SES one)
    topic_arn   TEXT,
    received_ms INTEGER NOT NULL
) STRICT;

-- Every SES event, one row per recipient it names.
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
    sns_message_id TEXT,                              -- NULL for events not delivered by SNS
    event_type     TEXT    NOT NULL,                  -- SES word: Bounce, Complaint, Delivery, Send, Reject, DeliveryDelay, …
    message_id     TEXT    NOT NULL,                  -- the SES MessageId of the mail
    recipient      TEXT    NOT NULL,                  -- normalised address
    bounce_type    TEXT,                              -- Permanent, Transient, Undetermined
    bounce_subtype TEXT,
    feedback_id    TEXT,
    at_ms          INTEGER NOT NULL,
    raw_json       TEXT    NOT NULL
) STRICT;
CREATE INDEX events_message_recipient ON events (message_id, recipient);
CREATE INDEX events_at ON events (at_ms);
-- delivered_before(recipient): "has this address ever had a Delivery".
CREATE INDEX events_recipient_type ON events (recipient, event_type);

-- One row per recipient of a send, with its eligibility class and what became of it.
CREATE TABLE send_outcomes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,    -- window order; never reused
    message_id  TEXT    NOT NULL,                     -- the SES MessageId
    recipient   TEXT    NOT NULL,                     -- normalised address
    class       TEXT    NOT NULL,                     -- ELIGIBLE, SIMULATOR, ACCOUNT_SUPPRESSED, DENIED, CAPTURED, VERIFIED_DESTINATION
    sent_ms     INTEGER NOT NULL,
    hard_bounce INTEGER NOT NULL DEFAULT 0 CHECK (hard_bounce IN (0, 1)),
    complaint   INTEGER NOT NULL DEFAULT 0 CHECK (complaint IN (0, 1)),
    delivered   INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
    UNIQUE (message_id, recipient)
) STRICT;
CREATE INDEX send_outcomes_class_seq ON send_outcomes (class, seq);
-- 24 h / 7 d views.
CREATE INDEX send_outcomes_class_sent ON send_outcomes (class, sent_ms);
-- delivered_before(recipient).
CREATE INDEX send_outcomes_recipient ON send_outcomes (recipient);
