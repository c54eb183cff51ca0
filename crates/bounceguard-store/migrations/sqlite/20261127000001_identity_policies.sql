-- Sending-authorization (identity) policies, shared by the SES v1 and v2 APIs.
-- Keep tables and columns identical to migrations/postgres.

CREATE TABLE identity_policies (
    identity   TEXT    NOT NULL,                     -- identity name, normalised (domain lower-cased)
    name       TEXT    NOT NULL,                     -- policy name, [A-Za-z0-9_-]{1,64}
    document   TEXT    NOT NULL,                     -- the document, minified
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (identity, name)                     -- BINARY collation: byte order, as "C" on PostgreSQL
) STRICT;
