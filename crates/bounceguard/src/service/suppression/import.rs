//! Bulk import jobs (CreateImportJob, ses-spec §6): read `ImportDataSource.S3Url` from S3 and
//! put or delete every address on the suppression list, in the background.
//!
//! A job is recorded `CREATED`, turns `PROCESSING` when its task starts and ends `COMPLETED`
//! (with `ProcessedRecordsCount` = good lines applied, `FailedRecordsCount` = bad lines, and
//! for bad lines a `FailureInfo.ErrorMessage` listing the first [`REPORTED_FAILURES`] with their
//! line numbers) or `FAILED` with a message naming the cause (no such bucket or key, access
//! denied, the transfer broke off, the store failed).
//!
//! The object is streamed, never held whole: the S3 body is bridged into a blocking thread
//! that parses it with the CLI's reader rules ([`ImportReader`]: the same CSV parser, plus
//! SES's JSON lines and DELETE rows), normalises each address with the guard as the CLI does,
//! and hands batches of [`JOB_BATCH`] to the store's bulk path (`put_suppressed_bulk` /
//! `delete_suppressed_bulk`, the CLI's) while the next batch is read. Writes are idempotent, so
//! running the same job again changes nothing. After each batch the change log is applied to
//! this instance's index (other instances follow it as usual) and the counts are stored, so
//! GetImportJob shows progress.
//!
//! A job whose server stops (a crash) is not left in progress for ever: the running task
//! stamps a heartbeat every [`HEARTBEAT_INTERVAL`], and every instance's sync task marks jobs
//! whose heartbeat is older than [`STALE_AFTER`] FAILED (at start and periodically).

use std::io::BufRead;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bounceguard_core::SesError;
use bounceguard_s3::{S3Source, S3Url};
use bounceguard_store::{
    ImportAction, ImportJobRecord, ImportJobStatus, StoreError, SuppressionWrite,
};
use bounceguard_suppression::import::{ImportFormat, ImportMode, ImportReader};
use tokio::sync::mpsc;

use super::{Gateway, now_ms};

/// Entries per store transaction of a job: smaller than the CLI's so that a running job holds
/// SQLite's write connection for a fraction of a second at a time while sends go on.
pub const JOB_BATCH: usize = 10_000;
/// How often a running job stamps its heartbeat.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// A job without a heartbeat for this long belongs to a server that stopped.
pub const STALE_AFTER: Duration = Duration::from_secs(30);
/// Bad lines listed in `FailureInfo.ErrorMessage` (the count covers all of them).
pub const REPORTED_FAILURES: usize = 10;
/// The message of a job whose server stopped.
pub const STALE_MESSAGE: &str = "The server running this import job stopped before the job \
    finished. Create the job again: importing is idempotent.";

/// One batch from the parser thread: normalised entries, and the bad lines seen so far.
struct Batch {
    puts: Vec<SuppressionWrite>,
    deletes: Vec<String>,
    failed_so_far: u64,
}

/// What the parser thread saw in the whole object.
struct Parsed {
    failed: u64,
    first_failures: Vec<String>,
    /// The transfer broke off (S3 or network), with the error.
    read_error: Option<String>,
}

/// How a job ended when it did not complete.
struct JobFailure {
    processed: i64,
    failed: i64,
    message: String,
}

/// Remembers the first I/O error of a reader (the line reader reports it as a bad line; a job
/// must tell a broken transfer from a bad line).
struct ErrorSpy<R> {
    inner: R,
    error: Arc<Mutex<Option<String>>>,
}

impl<R> ErrorSpy<R> {
    fn note<T>(&self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
            slot.get_or_insert_with(|| e.to_string());
        }
        result
    }
}

impl<R: std::io::Read> std::io::Read for ErrorSpy<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let result = self.inner.read(buf);
        self.note(result)
    }
}

impl<R: BufRead> BufRead for ErrorSpy<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        // Not `note(self.inner.fill_buf())`: the borrow of the buffer outlives the call.
        if let Err(e) = self.inner.fill_buf() {
            return self.note(Err(e));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

/// `CSV`/`JSON` as the store keeps it.
fn format_word(format: ImportFormat) -> &'static str {
    match format {
        ImportFormat::Csv => "CSV",
        ImportFormat::Json => "JSON",
    }
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Gateway {
    /// CreateImportJob: records the job and starts it in the background; its JobId.
    pub async fn create_import_job(
        self: &Arc<Self>,
        action: ImportAction,
        s3_url: String,
        format: ImportFormat,
    ) -> Result<String, SesError> {
        let now = now_ms();
        let job = ImportJobRecord {
            id: uuid::Uuid::new_v4().to_string(),
            action,
            data_format: format_word(format).to_string(),
            source_url: s3_url,
            status: ImportJobStatus::Created,
            processed_count: 0,
            failed_count: 0,
            error_message: None,
            created_ms: now,
            completed_ms: None,
        };
        self.store
            .create_import_job(&job)
            .await
            .map_err(super::store_error)?;
        let id = job.id.clone();
        let gateway = Arc::clone(self);
        tokio::spawn(async move { gateway.run_import_job(job, format).await });
        Ok(id)
    }

    /// Marks the jobs of stopped servers FAILED (see the module docs); how many.
    pub async fn fail_stale_import_jobs(&self) -> Result<u64, StoreError> {
        let stale = i64::try_from(STALE_AFTER.as_millis()).unwrap_or(i64::MAX);
        let now = now_ms();
        self.store
            .fail_stale_import_jobs(now - stale, now, STALE_MESSAGE)
            .await
    }

    /// Makes import jobs read through `source` instead of a client built from `[s3]` (an
    /// embedder's own credentials; tests). `false` when a client was already in use.
    pub fn use_s3_source(&self, source: S3Source) -> bool {
        self.suppression.s3.set(source).is_ok()
    }

    /// The S3 client, built on first use from `[s3]`.
    async fn s3_source(&self) -> &S3Source {
        self.suppression
            .s3
            .get_or_init(|| async {
                let settings = self.config.s3_settings();
                S3Source::from_env(&settings).await
            })
            .await
    }

    /// Runs a job to its end and records the end.
    async fn run_import_job(self: Arc<Self>, job: ImportJobRecord, format: ImportFormat) {
        let store = self.store.clone();
        let id = job.id.clone();
        let heartbeat = super::AbortOnDrop(tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT_INTERVAL);
            loop {
                tick.tick().await;
                if let Err(e) = store.heartbeat_import_job(&id, now_ms()).await {
                    tracing::warn!(error = %e, job = %id, "import job heartbeat failed");
                }
            }
        }));
        let result = self.import(&job, format).await;
        drop(heartbeat);
        let (status, processed, failed, message) = match result {
            Ok((processed, failed, message)) => {
                tracing::info!(job = %job.id, processed, failed, "import job completed");
                (ImportJobStatus::Completed, processed, failed, message)
            }
            Err(failure) => {
                tracing::warn!(job = %job.id, error = %failure.message, "import job failed");
                (
                    ImportJobStatus::Failed,
                    failure.processed,
                    failure.failed,
                    Some(failure.message),
                )
            }
        };
        if let Err(e) = self
            .store
            .update_import_job(
                &job.id,
                status,
                processed,
                failed,
                message.as_deref(),
                Some(now_ms()),
            )
            .await
        {
            tracing::error!(error = %e, job = %job.id, "recording the end of an import job failed");
        }
    }

    /// The job's work: (processed, failed, failure info) or why it failed.
    async fn import(
        self: &Arc<Self>,
        job: &ImportJobRecord,
        format: ImportFormat,
    ) -> Result<(i64, i64, Option<String>), JobFailure> {
        let fail = |processed: i64, failed: i64, message: String| JobFailure {
            processed,
            failed,
            message,
        };
        let store_failed = |e: StoreError| {
            tracing::error!(error = %e, "store failure in an import job");
            "The suppression list could not be written (store error); create the job again."
                .to_string()
        };
        self.store
            .update_import_job(&job.id, ImportJobStatus::Processing, 0, 0, None, None)
            .await
            .map_err(|e| fail(0, 0, store_failed(e)))?;
        let url = S3Url::parse(&job.source_url).map_err(|e| fail(0, 0, e.to_string()))?;
        let object = self
            .s3_source()
            .await
            .open(&url)
            .await
            .map_err(|e| fail(0, 0, e.to_string()))?;
        let mode = match job.action {
            ImportAction::Put => ImportMode::Put,
            ImportAction::Delete => ImportMode::Delete,
        };
        // The body is async; the parser is the CLI's blocking reader: bridge the two on a
        // blocking thread (the bridge must be made inside the runtime).
        let bridge = tokio_util::io::SyncIoBridge::new(object.into_async_read());
        let (sender, mut receiver) = mpsc::channel::<Batch>(1);
        let parser = {
            let gateway = Arc::clone(self);
            let source = format!("import:{}", job.id);
            tokio::task::spawn_blocking(move || {
                gateway.parse_batches(bridge, format, mode, &source, &sender)
            })
        };
        let mut processed: u64 = 0;
        let mut failed: u64 = 0;
        let mut write_error = None;
        while let Some(batch) = receiver.recv().await {
            failed = batch.failed_so_far;
            let written = if batch.puts.is_empty() && batch.deletes.is_empty() {
                Ok(())
            } else if mode == ImportMode::Put {
                self.store
                    .put_suppressed_bulk(&batch.puts, now_ms(), JOB_BATCH)
                    .await
                    .map(|_| processed += batch.puts.len() as u64)
            } else {
                self.store
                    .delete_suppressed_bulk(&batch.deletes, now_ms(), JOB_BATCH)
                    .await
                    .map(|_| processed += batch.deletes.len() as u64)
            };
            if let Err(e) = written {
                write_error = Some(store_failed(e));
                break;
            }
            // This instance's index follows at once; the others through the change log.
            if let Err(e) = self.sync_suppression().await {
                tracing::warn!(error = %e, "applying an import batch to the index failed");
            }
            if let Err(e) = self
                .store
                .update_import_job(
                    &job.id,
                    ImportJobStatus::Processing,
                    i64_of(processed),
                    i64_of(failed),
                    None,
                    None,
                )
                .await
            {
                tracing::warn!(error = %e, job = %job.id, "recording import progress failed");
            }
        }
        // Stops the parser if the writer gave up.
        drop(receiver);
        let parsed = parser.await.map_err(|e| {
            fail(
                i64_of(processed),
                i64_of(failed),
                format!("The import job's reader stopped: {e}"),
            )
        })?;
        let (processed, failed) = (i64_of(processed), i64_of(parsed.failed));
        if let Some(message) = write_error {
            return Err(fail(processed, failed, message));
        }
        if let Some(error) = parsed.read_error {
            return Err(fail(
                processed,
                failed,
                format!("Reading {url} failed part-way: {error}"),
            ));
        }
        let info = (parsed.failed > 0).then(|| {
            let shown = parsed.first_failures.join("; ");
            let more = parsed
                .failed
                .saturating_sub(parsed.first_failures.len() as u64);
            if more > 0 {
                format!("{} records failed: {shown}; and {more} more", parsed.failed)
            } else {
                format!("{} records failed: {shown}", parsed.failed)
            }
        });
        Ok((processed, failed, info))
    }

    /// The parser thread: reads the object line by line, normalises good lines with the
    /// guard (as the CLI does) and sends batches of [`JOB_BATCH`]. Stops early when the writer
    /// has gone away.
    fn parse_batches<R: std::io::Read>(
        &self,
        body: R,
        format: ImportFormat,
        mode: ImportMode,
        source: &str,
        sender: &mpsc::Sender<Batch>,
    ) -> Parsed {
        let read_error = Arc::new(Mutex::new(None));
        let input = ErrorSpy {
            inner: std::io::BufReader::with_capacity(256 * 1024, body),
            error: Arc::clone(&read_error),
        };
        let mut failed: u64 = 0;
        let mut first_failures = Vec::new();
        let mut note_failure = |line_no: u64, text: String| {
            failed += 1;
            if first_failures.len() < REPORTED_FAILURES {
                first_failures.push(format!("line {line_no}: {text}"));
            }
            failed
        };
        let new_batch = || Batch {
            puts: Vec::new(),
            deletes: Vec::new(),
            failed_so_far: 0,
        };
        let mut batch = new_batch();
        let mut failed_now = 0;
        for item in ImportReader::new(input, format, mode) {
            let record = match item {
                Ok(record) => record,
                Err(line) => {
                    failed_now = note_failure(line.line_no, line.reason_text);
                    continue;
                }
            };
            let canonical = match self.guard().route(&record.address) {
                Ok(routed) => routed.normalized.canonical,
                Err(e) => {
                    failed_now = note_failure(
                        record.line_no,
                        format!("invalid address {:?}: {e}", record.address),
                    );
                    continue;
                }
            };
            match record.reason {
                Some(reason) => batch.puts.push(SuppressionWrite {
                    hash: bounceguard_suppression::hash(&canonical),
                    address: canonical,
                    reason,
                    source: source.to_string(),
                    message_id: None,
                    feedback_id: None,
                }),
                None => batch.deletes.push(canonical),
            }
            if batch.puts.len() + batch.deletes.len() >= JOB_BATCH {
                let mut full = std::mem::replace(&mut batch, new_batch());
                full.failed_so_far = failed_now;
                if sender.blocking_send(full).is_err() {
                    break;
                }
            }
        }
        batch.failed_so_far = failed_now;
        // A send error means the writer stopped on an error it reports itself.
        let _ = sender.blocking_send(batch);
        // The line reader reported a broken transfer as a bad line; it is not one.
        let read_error = read_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if read_error.is_some() && failed > 0 {
            failed -= 1;
            first_failures.retain(|f| !f.contains("cannot read the line"));
        }
        Parsed {
            failed,
            first_failures,
            read_error,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_error_spy_keeps_the_first_io_error_and_passes_data_through() {
        struct Broken {
            served: bool,
        }
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.served {
                    return Err(std::io::Error::other("connection reset"));
                }
                self.served = true;
                buf[..4].copy_from_slice(b"a,b\n");
                Ok(4)
            }
        }
        let error = Arc::new(Mutex::new(None));
        let mut spy = ErrorSpy {
            inner: std::io::BufReader::new(Broken { served: false }),
            error: Arc::clone(&error),
        };
        let mut line = String::new();
        assert_eq!(spy.read_line(&mut line).unwrap(), 4);
        assert_eq!(line, "a,b\n");
        assert!(spy.fill_buf().is_err());
        assert_eq!(error.lock().unwrap().as_deref(), Some("connection reset"));
    }
}
