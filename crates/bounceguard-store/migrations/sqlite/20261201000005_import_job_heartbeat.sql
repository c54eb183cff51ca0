-- Import jobs read from S3 run in the background of one server instance (issue 5). The
-- instance running a job stamps heartbeat_ms every few seconds; a CREATED or PROCESSING job
-- whose stamp (or, before the first stamp, created_ms) is old belongs to an instance that
-- stopped, and is marked FAILED instead of staying in progress for ever.
-- Keep in step with migrations/postgres (BIGINT there; SQLite STRICT tables say INTEGER).
ALTER TABLE suppression_import_jobs ADD COLUMN heartbeat_ms INTEGER;
