-- Held mail (issue 7): a recipient decided `hold` (a hold route, the domain check, the reputation
-- guard) stays with its message in messages / message_recipients. This table records what an
-- operator did with it: `releasing` (claimed by a release in progress), `released`, `dropped`.
-- A held recipient with no row here is still held. Keep identical to migrations/sqlite.
CREATE TABLE held_resolutions (
    message_seq BIGINT NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    state       TEXT   NOT NULL,
    resolved_ms BIGINT NOT NULL,
    outcome     TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (message_seq, position)
);

-- list_held: only the few held rows, never a scan of every recipient.
CREATE INDEX message_recipients_held ON message_recipients (message_seq, position) WHERE decision = 'hold';
