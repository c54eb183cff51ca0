-- Sending-authorization (identity) policies, shared by the SES v1 and v2 APIs.
-- Keep tables and columns identical to migrations/sqlite.

CREATE TABLE identity_policies (
    identity   TEXT COLLATE "C" NOT NULL,            -- identity name, normalised (domain lower-cased)
    name       TEXT COLLATE "C" NOT NULL,            -- policy name, [A-Za-z0-9_-]{1,64}
    document   TEXT   NOT NULL,                      -- the document, minified
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (identity, name)                     -- byte order, as SQLite's BINARY
);
