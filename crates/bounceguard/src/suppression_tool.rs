//! `bounceguard suppression add|remove|get|list|import|export`: the account suppression list
//! from the command line (issue 5 item 4).
//!
//! Every subcommand reads the same configuration as `serve` (`--config`, then `BOUNCEGUARD_*`)
//! and works on the store it names, beside a running server or without one; a running server
//! picks the changes up through the store's change log. Addresses are normalised exactly as the
//! server does (the configured guard's canonical form), and that form is the key.
//!
//! `import` and `export` use SES's bulk CSV (`address,REASON`, no header row). Import streams
//! the file: a reader thread parses and normalises lines into batches while the store writes the
//! previous batch, every rejected line is reported on stderr as `line N: reason` without
//! stopping, and the summary `imported N (changed C, unchanged U), rejected R` ends the run.
//! Exit status: 0 when every line was imported, 1 when some lines were rejected (or, for `get`
//! and `remove`, when the address is not on the list), 2 on errors.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::service::{now_ms, rfc3339};
use anyhow::Context;
use bounceguard_guard::Guard;
use bounceguard_store::{
    PutSuppressedOutcome, Store, SuppressedReason, SuppressedRecord, SuppressionQuery,
    SuppressionWrite,
};
use bounceguard_suppression::csv::{CsvReader, CsvWriter, LineError};
use clap::{Subcommand, ValueEnum};
use indicatif::ProgressBar;
use serde_json::json;

use crate::address_tool::{count_lines, load_config, progress_bar, runtime};

/// Entries per batch handed to the store during an import: the store's own transaction size,
/// so each batch is one commit.
const IMPORT_BATCH: usize = bounceguard_store::DEFAULT_BULK_BATCH;

/// Entries per page read from the store by `list` and `export`.
const PAGE: u32 = bounceguard_store::MAX_PAGE_SIZE;

/// `bounceguard suppression …`.
#[derive(Debug, Subcommand)]
pub enum SuppressionCommand {
    /// Put an address on the list (or change its reason). Source recorded: `cli`.
    Add {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Why the address is suppressed.
        #[arg(long, value_enum, ignore_case = true)]
        reason: ReasonArg,
        /// The address (normalised as the server does before it is stored).
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    /// Take an address off the list; exit status 1 when it was not on it.
    Remove {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// The address.
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    /// Show one entry; exit status 1 when the address is not on the list.
    Get {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Print JSON in the shape of SES's GetSuppressedDestination.
        #[arg(long)]
        json: bool,
        /// The address.
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    /// List the entries in address order: `address<TAB>REASON<TAB>last update<TAB>source`
    /// lines, or a JSON array with --json.
    List {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Only entries with this reason (repeatable).
        #[arg(long, value_enum, ignore_case = true)]
        reason: Vec<ReasonArg>,
        /// Print a JSON array instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Import SES bulk CSV (`address,REASON` lines, no header). Rejected lines are reported
    /// on stderr and skipped; exit status 1 when there were any. Importing a file twice
    /// changes nothing. Shows a progress bar when stderr is a terminal.
    Import {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// The CSV file; `-` for stdin.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Export the list as SES bulk CSV, in address order, to FILE or stdout.
    Export {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Where to write; stdout when absent or `-`.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

/// A reason on the command line: `BOUNCE` or `COMPLAINT` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReasonArg {
    /// A hard bounce.
    #[value(name = "BOUNCE")]
    Bounce,
    /// A complaint.
    #[value(name = "COMPLAINT")]
    Complaint,
}

impl From<ReasonArg> for SuppressedReason {
    fn from(reason: ReasonArg) -> Self {
        match reason {
            ReasonArg::Bounce => Self::Bounce,
            ReasonArg::Complaint => Self::Complaint,
        }
    }
}

/// Runs `bounceguard suppression …`.
pub fn run(command: SuppressionCommand) -> ExitCode {
    let result = match command {
        SuppressionCommand::Add {
            config,
            reason,
            address,
        } => add(config.as_deref(), &address, reason.into()),
        SuppressionCommand::Remove { config, address } => remove(config.as_deref(), &address),
        SuppressionCommand::Get {
            config,
            json,
            address,
        } => get(config.as_deref(), &address, json),
        SuppressionCommand::List {
            config,
            reason,
            json,
        } => list(
            config.as_deref(),
            reason.into_iter().map(Into::into).collect(),
            json,
        ),
        SuppressionCommand::Import { config, file } => import(config.as_deref(), &file),
        SuppressionCommand::Export { config, file } => export(config.as_deref(), file.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bounceguard: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The canonical form of `address` under the configured guard, as the server compares it.
fn canonical(guard: &Guard, address: &str) -> anyhow::Result<String> {
    guard
        .route(address)
        .map(|routed| routed.normalized.canonical)
        .map_err(|e| anyhow::anyhow!("invalid address {address:?}: {e}"))
}

/// Opens the configured store and runs `work` on it with the configured guard, closing the
/// store afterwards whatever `work` returned.
fn with_store<T>(
    config: Option<&Path>,
    work: impl AsyncFnOnce(&Store, Guard) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let config = load_config(config)?;
    let guard = config.guard()?;
    runtime()?.block_on(async {
        let store = Store::open(&config.database)
            .await
            .with_context(|| format!("opening database {}", config.database))?;
        let result = work(&store, guard).await;
        store.close().await;
        result
    })
}

fn add(config: Option<&Path>, address: &str, reason: SuppressedReason) -> anyhow::Result<ExitCode> {
    with_store(config, async |store, guard| {
        let routed = guard
            .route(address)
            .map_err(|e| anyhow::anyhow!("invalid address {address:?}: {e}"))?;
        // The API refuses what SES's syntax check refuses; so does the CLI.
        if let Err(e) = &routed.syntax {
            anyhow::bail!("invalid address {address:?}: {e}");
        }
        let canonical = routed.normalized.canonical;
        let write = SuppressionWrite {
            hash: bounceguard_suppression::hash(&canonical),
            address: canonical.clone(),
            reason,
            source: "cli".to_string(),
            message_id: None,
            feedback_id: None,
        };
        let outcome = store
            .put_suppressed(&write, now_ms())
            .await
            .context("writing the entry")?;
        let reason = reason.as_str();
        match outcome {
            PutSuppressedOutcome::Created => println!("added {canonical} ({reason})"),
            PutSuppressedOutcome::ReasonChanged(old) => println!(
                "changed {canonical} ({old} -> {reason})",
                old = old.as_str()
            ),
            PutSuppressedOutcome::Unchanged => {
                println!("unchanged {canonical} (already {reason})");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn remove(config: Option<&Path>, address: &str) -> anyhow::Result<ExitCode> {
    with_store(config, async |store, guard| {
        let canonical = canonical(&guard, address)?;
        let removed = store
            .delete_suppressed(&canonical, now_ms())
            .await
            .context("deleting the entry")?;
        Ok(match removed {
            Some(record) => {
                println!("removed {canonical} ({})", record.reason.as_str());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("bounceguard: {canonical} is not on the suppression list");
                ExitCode::from(1)
            }
        })
    })
}

fn get(config: Option<&Path>, address: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    with_store(config, async |store, guard| {
        let canonical = canonical(&guard, address)?;
        let found = store
            .get_suppressed(&canonical)
            .await
            .context("reading the entry")?;
        let Some(record) = found else {
            eprintln!("bounceguard: {canonical} is not on the suppression list");
            return Ok(ExitCode::from(1));
        };
        if as_json {
            println!("{:#}", get_json(&record));
        } else {
            print!("{}", get_text(&record));
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// One entry in the shape of SES's `SuppressedDestination`, plus where it came from.
fn get_json(record: &SuppressedRecord) -> serde_json::Value {
    let mut attributes = serde_json::Map::new();
    if let Some(id) = &record.message_id {
        attributes.insert("MessageId".to_string(), json!(id));
    }
    if let Some(id) = &record.feedback_id {
        attributes.insert("FeedbackId".to_string(), json!(id));
    }
    let mut value = json!({
        "EmailAddress": record.address,
        "Reason": record.reason.as_str(),
        "LastUpdateTime": rfc3339(record.last_update_ms),
        "Source": record.source,
    });
    if !attributes.is_empty() {
        value["Attributes"] = serde_json::Value::Object(attributes);
    }
    value
}

/// One entry as `key: value` lines.
fn get_text(record: &SuppressedRecord) -> String {
    let mut out = format!(
        "address: {}\nreason: {}\nlast update: {}\nsource: {}\n",
        record.address,
        record.reason.as_str(),
        rfc3339(record.last_update_ms),
        record.source
    );
    if let Some(id) = &record.message_id {
        out.push_str(&format!("message id: {id}\n"));
    }
    if let Some(id) = &record.feedback_id {
        out.push_str(&format!("feedback id: {id}\n"));
    }
    out
}

/// Reads every page of the list with `reasons` and hands each entry to `each`; stops early,
/// without error, when `each` returns `Ok(false)`.
async fn each_entry(
    store: &Store,
    reasons: Vec<SuppressedReason>,
    mut each: impl FnMut(&SuppressedRecord) -> std::io::Result<bool>,
) -> anyhow::Result<u64> {
    let mut query = SuppressionQuery {
        reasons,
        page_size: PAGE,
        ..SuppressionQuery::default()
    };
    let mut count = 0;
    loop {
        let page = store
            .list_suppressed(&query)
            .await
            .context("reading the list")?;
        for record in &page.entries {
            if !each(record)? {
                return Ok(count);
            }
            count += 1;
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(count),
        }
    }
}

/// Maps a broken pipe (the reader went away, `| head`) to "stop", other errors through.
fn keep_going(result: std::io::Result<()>) -> std::io::Result<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

fn list(
    config: Option<&Path>,
    reasons: Vec<SuppressedReason>,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    with_store(config, async |store, _guard| {
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        let mut first = true;
        if as_json {
            keep_going(write!(out, "["))?;
        }
        each_entry(store, reasons, |record| {
            let result = if as_json {
                let separator = if first { "\n  " } else { ",\n  " };
                let summary = json!({
                    "EmailAddress": record.address,
                    "Reason": record.reason.as_str(),
                    "LastUpdateTime": rfc3339(record.last_update_ms),
                });
                write!(out, "{separator}{summary}")
            } else {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    record.address,
                    record.reason.as_str(),
                    rfc3339(record.last_update_ms),
                    record.source
                )
            };
            first = false;
            keep_going(result)
        })
        .await?;
        if as_json {
            let end = if first { "]\n" } else { "\n]\n" };
            keep_going(write!(out, "{end}"))?;
        }
        keep_going(out.flush())?;
        Ok(ExitCode::SUCCESS)
    })
}

fn export(config: Option<&Path>, file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let to_stdout = file.is_none_or(|path| path.as_os_str() == "-");
    with_store(config, async |store, _guard| {
        let output: Box<dyn Write> = match file {
            Some(path) if !to_stdout => Box::new(
                File::create(path).with_context(|| format!("creating {}", path.display()))?,
            ),
            _ => Box::new(std::io::stdout().lock()),
        };
        let mut writer = CsvWriter::new(output);
        let count = each_entry(store, Vec::new(), |record| {
            keep_going(writer.write(&record.address, record.reason))
        })
        .await?;
        match writer.finish() {
            Ok(mut output) => keep_going(output.flush())?,
            Err(e) => keep_going(Err(e))?,
        };
        if !to_stdout {
            eprintln!("exported {count}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// What the reader thread hands the writer: the good lines of up to [`IMPORT_BATCH`] entries
/// and how many non-empty lines they came from (good and rejected), for the progress bar.
struct Batch {
    writes: Vec<SuppressionWrite>,
    lines: u64,
}

/// Totals of an import.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ImportTotals {
    changed: u64,
    unchanged: u64,
    rejected: u64,
}

fn import(config: Option<&Path>, file: &Path) -> anyhow::Result<ExitCode> {
    let from_stdin = file.as_os_str() == "-";
    let (input, source): (Box<dyn BufRead + Send>, String) = if from_stdin {
        (
            Box::new(BufReader::new(std::io::stdin())),
            "import:stdin".to_string(),
        )
    } else {
        let opened = File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        (
            Box::new(BufReader::with_capacity(256 * 1024, opened)),
            format!("import:{name}"),
        )
    };
    // Counting the lines reads the file once more: only worth it when the bar is drawn.
    let total = if !from_stdin && std::io::stderr().is_terminal() {
        count_lines(file).ok()
    } else {
        None
    };
    let progress = progress_bar(total);
    let totals = with_store(config, async |store, guard| {
        let (sender, receiver) = sync_channel::<Batch>(1);
        let reader_progress = progress.clone();
        // Parsing and normalising run on their own thread, one batch ahead of the store.
        let reader = std::thread::spawn(move || {
            read_batches(input, &guard, &source, &sender, &reader_progress)
        });
        let written = write_batches(store, &receiver, &progress).await;
        // Unblock the reader if the writer stopped early, then collect it.
        drop(receiver);
        let rejected = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the import reader thread panicked"))?;
        let (changed, unchanged) = written?;
        Ok(ImportTotals {
            changed,
            unchanged,
            rejected,
        })
    });
    progress.finish_and_clear();
    let totals = totals?;
    eprintln!(
        "imported {} (changed {}, unchanged {}), rejected {}",
        totals.changed + totals.unchanged,
        totals.changed,
        totals.unchanged,
        totals.rejected
    );
    Ok(if totals.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The reader thread: streams `input` through [`CsvReader`], normalises each good line with
/// the guard, reports each rejected line on stderr and sends full batches. Returns how many
/// lines were rejected. Stops early when the writer has gone away.
fn read_batches(
    input: Box<dyn BufRead + Send>,
    guard: &Guard,
    source: &str,
    sender: &SyncSender<Batch>,
    progress: &ProgressBar,
) -> u64 {
    let mut rejected = 0;
    let mut batch = Batch {
        writes: Vec::with_capacity(IMPORT_BATCH),
        lines: 0,
    };
    let report = |error: &LineError| progress.suspend(|| eprintln!("{error}"));
    for item in CsvReader::new(input) {
        batch.lines += 1;
        match item {
            Ok((line_no, address, reason)) => match guard.route(&address) {
                Ok(routed) => {
                    let canonical = routed.normalized.canonical;
                    batch.writes.push(SuppressionWrite {
                        hash: bounceguard_suppression::hash(&canonical),
                        address: canonical,
                        reason,
                        source: source.to_string(),
                        message_id: None,
                        feedback_id: None,
                    });
                }
                Err(e) => {
                    rejected += 1;
                    report(&LineError {
                        line_no,
                        reason_text: format!("invalid address {address:?}: {e}"),
                    });
                }
            },
            Err(error) => {
                rejected += 1;
                report(&error);
            }
        }
        if batch.writes.len() == IMPORT_BATCH {
            let full = std::mem::replace(
                &mut batch,
                Batch {
                    writes: Vec::with_capacity(IMPORT_BATCH),
                    lines: 0,
                },
            );
            if sender.send(full).is_err() {
                return rejected;
            }
        }
    }
    if batch.lines > 0 {
        // A send error means the writer stopped on an error it reports itself.
        let _ = sender.send(batch);
    }
    rejected
}

/// The writer: puts each batch from the reader into the store. Returns (changed, unchanged).
async fn write_batches(
    store: &Store,
    receiver: &Receiver<Batch>,
    progress: &ProgressBar,
) -> anyhow::Result<(u64, u64)> {
    let mut changed = 0;
    let mut unchanged = 0;
    // The channel is std's: waiting on it blocks this thread, which is the CLI's own (the
    // runtime's block_on), while the reader thread fills the next batch.
    while let Ok(batch) = receiver.recv() {
        if !batch.writes.is_empty() {
            let outcome = store
                .put_suppressed_bulk(&batch.writes, now_ms(), IMPORT_BATCH)
                .await
                .context("writing the entries")?;
            changed += outcome.changed;
            unchanged += outcome.unchanged;
        }
        progress.inc(batch.lines);
    }
    Ok((changed, unchanged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_argument_maps_to_ses_reasons() {
        assert_eq!(
            SuppressedReason::from(ReasonArg::Bounce),
            SuppressedReason::Bounce
        );
        assert_eq!(
            SuppressedReason::from(ReasonArg::Complaint),
            SuppressedReason::Complaint
        );
    }

    #[test]
    fn entries_print_with_their_event_ids() {
        let record = SuppressedRecord {
            address: "ann@example.org".to_string(),
            hash: 1,
            reason: SuppressedReason::Bounce,
            // 2026-12-01T00:00:00Z: 20,788 days after the epoch.
            last_update_ms: 20_788 * 86_400_000,
            source: "event:fb-1".to_string(),
            message_id: Some("m-1".to_string()),
            feedback_id: Some("fb-1".to_string()),
        };
        assert_eq!(
            get_text(&record),
            "address: ann@example.org\nreason: BOUNCE\nlast update: \
             2026-12-01T00:00:00.000Z\nsource: event:fb-1\nmessage id: m-1\nfeedback id: fb-1\n"
        );
        assert_eq!(
            get_json(&record),
            json!({
                "EmailAddress": "ann@example.org",
                "Reason": "BOUNCE",
                "LastUpdateTime": "2026-12-01T00:00:00.000Z",
                "Source": "event:fb-1",
                "Attributes": {"MessageId": "m-1", "FeedbackId": "fb-1"},
            })
        );
    }
}
