-- Account-level suppression list (issue 5, ses-spec §2.4 and §6).
-- Keep tables and columns identical to migrations/sqlite.

-- One row per suppressed destination. The store is the source of truth; the in-memory index
-- is rebuilt from address_hash + reason alone (integers and a short text: cheap to load).
CREATE TABLE suppressed_destinations (
    address        TEXT COLLATE "C" NOT NULL PRIMARY KEY,  -- normalised address; byte order, as SQLite's BINARY
    address_hash   BIGINT NOT NULL,                  -- xxh3-64 of address, bits stored as a signed 64-bit integer
    reason         TEXT   NOT NULL CHECK (reason IN ('BOUNCE', 'COMPLAINT')),
    last_update_ms BIGINT NOT NULL,
    source         TEXT   NOT NULL,                  -- "api", "import:<job id>", "event:<feedback id>", "cli"
    message_id     TEXT,                             -- set when an event added the entry
    feedback_id    TEXT
);
CREATE INDEX suppressed_destinations_hash ON suppressed_destinations (address_hash, reason);  -- covering: the start-up load reads the index only

-- Every effective change, in commit order (writers hold an advisory lock, so seq order is
-- commit order), so another process can follow with "changes since seq N"; each committing
-- transaction also sends pg_notify('bounceguard_suppression', <latest seq>).
CREATE TABLE suppression_changes (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused
    address      TEXT COLLATE "C" NOT NULL,
    address_hash BIGINT NOT NULL,
    op           TEXT   NOT NULL CHECK (op IN ('put', 'delete')),
    reason       TEXT   CHECK (reason IN ('BOUNCE', 'COMPLAINT')),  -- NULL for delete
    at_ms        BIGINT NOT NULL
);

-- The account's SuppressionAttributes (one row, id = 1; no row = SES's default, both reasons).
CREATE TABLE suppression_settings (
    id                 BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    suppressed_reasons TEXT   NOT NULL,              -- comma-separated: "", "BOUNCE", "BOUNCE,COMPLAINT", …
    updated_ms         BIGINT NOT NULL
);

-- Bulk import jobs (CreateImportJob / GetImportJob / ListImportJobs).
CREATE TABLE suppression_import_jobs (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    action          TEXT   NOT NULL CHECK (action IN ('PUT', 'DELETE')),
    data_format     TEXT   NOT NULL,                 -- "CSV" or "JSON"
    source_url      TEXT   NOT NULL,                 -- S3Url, or the local file the CLI read
    status          TEXT   NOT NULL,                 -- CREATED, PROCESSING, COMPLETED, FAILED, CANCELLED
    processed_count BIGINT NOT NULL DEFAULT 0,
    failed_count    BIGINT NOT NULL DEFAULT 0,
    error_message   TEXT,
    created_ms      BIGINT NOT NULL,
    completed_ms    BIGINT
);
CREATE INDEX suppression_import_jobs_created ON suppression_import_jobs (created_ms, id);
