-- Account-level suppression list (issue 5, ses-spec §2.4 and §6).
-- Keep tables and columns identical to migrations/postgres.

-- One row per suppressed destination. The store is the source of truth; the in-memory index
-- is rebuilt from address_hash + reason alone (integers and a short text: cheap to load).
CREATE TABLE suppressed_destinations (
    address        TEXT    NOT NULL PRIMARY KEY,     -- normalised address; BINARY collation = byte order, as "C"
    address_hash   INTEGER NOT NULL,                 -- xxh3-64 of address, bits stored as a signed 64-bit integer
    reason         TEXT    NOT NULL CHECK (reason IN ('BOUNCE', 'COMPLAINT')),
    last_update_ms INTEGER NOT NULL,
    source         TEXT    NOT NULL,                 -- "api", "import:<job id>", "event:<feedback id>", "cli"
    message_id     TEXT,                             -- set when an event added the entry
    feedback_id    TEXT
) STRICT;
CREATE INDEX suppressed_destinations_hash ON suppressed_destinations (address_hash, reason);  -- covering: the start-up load reads the index only

-- Every effective change, in commit order, so another process can follow with
-- "changes since seq N" (SQLite) or after a pg_notify (PostgreSQL).
CREATE TABLE suppression_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
    address      TEXT    NOT NULL,
    address_hash INTEGER NOT NULL,
    op           TEXT    NOT NULL CHECK (op IN ('put', 'delete')),
    reason       TEXT    CHECK (reason IN ('BOUNCE', 'COMPLAINT')),  -- NULL for delete
    at_ms        INTEGER NOT NULL
) STRICT;

-- The account's SuppressionAttributes (one row, id = 1; no row = SES's default, both reasons).
CREATE TABLE suppression_settings (
    id                 INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    suppressed_reasons TEXT    NOT NULL,             -- comma-separated: "", "BOUNCE", "BOUNCE,COMPLAINT", …
    updated_ms         INTEGER NOT NULL
) STRICT;

-- Bulk import jobs (CreateImportJob / GetImportJob / ListImportJobs).
CREATE TABLE suppression_import_jobs (
    id              TEXT    NOT NULL PRIMARY KEY,
    action          TEXT    NOT NULL CHECK (action IN ('PUT', 'DELETE')),
    data_format     TEXT    NOT NULL,                -- "CSV" or "JSON"
    source_url      TEXT    NOT NULL,                -- S3Url, or the local file the CLI read
    status          TEXT    NOT NULL,                -- CREATED, PROCESSING, COMPLETED, FAILED, CANCELLED
    processed_count INTEGER NOT NULL DEFAULT 0,
    failed_count    INTEGER NOT NULL DEFAULT 0,
    error_message   TEXT,
    created_ms      INTEGER NOT NULL,
    completed_ms    INTEGER
) STRICT;
CREATE INDEX suppression_import_jobs_created ON suppression_import_jobs (created_ms, id);
