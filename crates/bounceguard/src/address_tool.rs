//! `bounceguard addresses check|generate` and `bounceguard why MESSAGE_ID`.
//!
//! `addresses check` and `why` read the same configuration as `serve` (`--config`, then
//! `BOUNCEGUARD_*`), so they see the routes, allow-list, DNS settings and store the server sees;
//! they work beside a running server (SQLite in WAL mode, or PostgreSQL) or without one.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use bounceguard_guard::{GenerateFormat, Verdict};
use bounceguard_store::{RecipientRecord, Store, StoredMessage};

use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::config::Config;
use crate::service::Gateway;
use crate::service::rfc3339;

/// Addresses validated per call of the validation path (the API's limit).
const CHUNK: usize = crate::service::addresses::MAX_VALIDATE;

/// `bounceguard addresses …`.
#[derive(Debug, Subcommand)]
pub enum AddressesCommand {
    /// Validate addresses as a send would decide them: syntax, routes, allow-list, DNS (when
    /// `[dns] check` is on). Prints address, normalized, verdict and reason for each input line,
    /// in order; verdict is one of deliverable, test-domain, unknown-mailbox, no-mail-domain,
    /// suppressed, invalid. Shows a progress bar when stderr is a terminal.
    Check {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Csv)]
        format: CheckFormat,
        /// File of addresses, one per line (blank lines are skipped); `-` or nothing: stdin.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Print unique addresses for load tests and dummy accounts. Only reserved test domains
    /// (example.com, *.test, …: captured, never sent) unless --alias-of names a real mailbox,
    /// whose `+` aliases are generated instead.
    Generate {
        /// Local-part prefix: `PREFIX-000001@DOMAIN`.
        #[arg(long)]
        prefix: String,
        /// How many addresses.
        #[arg(long)]
        count: u64,
        /// The domain (default example.com); must be a reserved test domain without --alias-of.
        #[arg(long)]
        domain: Option<String>,
        /// A real mailbox: generate `local+PREFIX-000001@domain` aliases of it.
        #[arg(long, value_name = "REAL@MAILBOX")]
        alias_of: Option<String>,
        /// `lines` (one address a line) or `csv` (`index,address` with a header).
        #[arg(long, value_enum, default_value_t = LinesFormat::Lines)]
        format: LinesFormat,
    },
}

/// Output of `addresses check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// `address,normalized,verdict,reason` with a header row.
    Csv,
    /// A JSON array of `{"address","normalized","verdict","reason"}`, as the API answers.
    Json,
}

/// Output of `addresses generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinesFormat {
    /// One address a line.
    Lines,
    /// `index,address` with a header row.
    Csv,
}

/// Runs `bounceguard addresses …`.
pub fn run(command: AddressesCommand) -> ExitCode {
    let result = match command {
        AddressesCommand::Generate {
            prefix,
            count,
            domain,
            alias_of,
            format,
        } => generate(
            &prefix,
            count,
            domain.as_deref(),
            alias_of.as_deref(),
            format,
        ),
        AddressesCommand::Check {
            config,
            format,
            file,
        } => check(config.as_deref(), format, file.as_deref()),
    };
    finish(result)
}

/// Runs `bounceguard why MESSAGE_ID`.
pub fn why(config: Option<&Path>, id: &str, as_json: bool) -> ExitCode {
    finish(why_inner(config, id, as_json))
}

pub(crate) fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bounceguard: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn generate(
    prefix: &str,
    count: u64,
    domain: Option<&str>,
    alias_of: Option<&str>,
    format: LinesFormat,
) -> anyhow::Result<ExitCode> {
    let format = match format {
        LinesFormat::Lines => GenerateFormat::Lines,
        LinesFormat::Csv => GenerateFormat::Csv,
    };
    let lines = bounceguard_guard::generate(prefix, count, domain, alias_of, format)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            // The reader went away (`| head`): not an error of ours.
            return Ok(ExitCode::SUCCESS);
        }
    }
    out.flush().ok();
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn load_config(path: Option<&Path>) -> anyhow::Result<Arc<Config>> {
    let env: HashMap<String, String> = std::env::vars().collect();
    Ok(Arc::new(Config::load(path, &env)?))
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")
}

fn check(
    config: Option<&Path>,
    format: CheckFormat,
    file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let input: Box<dyn BufRead> = match file {
        None => Box::new(std::io::stdin().lock()),
        Some(path) if path.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
        )),
    };
    let total = match file {
        Some(path) if path.as_os_str() != "-" => count_lines(path).ok(),
        _ => None,
    };
    let progress = progress_bar(total);
    runtime()?.block_on(async {
        let store = Store::open(&config.database)
            .await
            .with_context(|| format!("opening database {}", config.database))?;
        let gateway = Gateway::new(config.clone(), store.clone()).await?;
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        let mut writer = ResultWriter::new(format);
        writer.start(&mut out)?;
        let mut chunk = Vec::with_capacity(CHUNK);
        for line in input.lines() {
            let line = line.context("reading the addresses")?;
            let address = line.trim_end_matches('\r');
            if address.trim().is_empty() {
                continue;
            }
            chunk.push(address.to_string());
            if chunk.len() == CHUNK {
                let verdicts = gateway.validate_addresses(&chunk).await;
                writer.write(&mut out, &verdicts)?;
                progress.inc(chunk.len() as u64);
                chunk.clear();
            }
        }
        if !chunk.is_empty() {
            let verdicts = gateway.validate_addresses(&chunk).await;
            writer.write(&mut out, &verdicts)?;
            progress.inc(chunk.len() as u64);
        }
        writer.end(&mut out)?;
        out.flush()?;
        progress.finish_and_clear();
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Lines in a file (for the progress bar's length).
pub(crate) fn count_lines(path: &Path) -> std::io::Result<u64> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut n = 0;
    for line in file.split(b'\n') {
        if !line?.iter().all(u8::is_ascii_whitespace) {
            n += 1;
        }
    }
    Ok(n)
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
pub(crate) fn progress_bar(total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} addresses ({per_sec}, eta {eta})")
        {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// Streams verdicts as CSV or as one JSON array.
struct ResultWriter {
    format: CheckFormat,
    first: bool,
}

impl ResultWriter {
    fn new(format: CheckFormat) -> Self {
        Self {
            format,
            first: true,
        }
    }

    fn start(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        match self.format {
            CheckFormat::Csv => writeln!(out, "address,normalized,verdict,reason"),
            CheckFormat::Json => writeln!(out, "["),
        }
    }

    fn write(&mut self, out: &mut impl Write, verdicts: &[Verdict]) -> std::io::Result<()> {
        for v in verdicts {
            match self.format {
                CheckFormat::Csv => writeln!(
                    out,
                    "{},{},{},{}",
                    csv_field(&v.address),
                    csv_field(v.normalized.as_deref().unwrap_or("")),
                    v.verdict.as_str(),
                    csv_field(&v.reason)
                )?,
                CheckFormat::Json => {
                    if !self.first {
                        writeln!(out, ",")?;
                    }
                    write!(out, "  {}", json!(v))?;
                }
            }
            self.first = false;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        match self.format {
            CheckFormat::Csv => Ok(()),
            CheckFormat::Json if self.first => writeln!(out, "]"),
            CheckFormat::Json => writeln!(out, "\n]"),
        }
    }
}

/// One RFC 4180 field: quoted (with `"` doubled) when it holds a comma, quote or line break.
/// Hand-written: four lines do not justify a CSV crate for output only.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn why_inner(config: Option<&Path>, id: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let message = runtime()?.block_on(async {
        let store = Store::open(&config.database)
            .await
            .with_context(|| format!("opening database {}", config.database))?;
        let found = store.get_message(id).await;
        store.close().await;
        found.context("reading the message")
    })?;
    let Some(message) = message else {
        eprintln!("bounceguard: no message with id {id}");
        return Ok(ExitCode::from(1));
    };
    let text = if as_json {
        format!("{:#}\n", why_json(&message))
    } else {
        why_text(&message)
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn why_json(m: &StoredMessage) -> serde_json::Value {
    json!({
        "id": m.id,
        "created": rfc3339(m.created_ms),
        "api": m.api,
        "operation": m.operation,
        "from": m.source,
        "principal": m.principal,
        "source_ip": m.source_ip,
        "recipients": m.recipients.iter().map(|r| json!({
            "address": r.address,
            "normalized": r.normalized,
            "kind": r.kind,
            "decision": r.decision,
            "rule": r.rule,
            "reason": r.reason,
        })).collect::<Vec<_>>(),
    })
}

/// The decision log of one message as a table. Laid out by hand (padded columns), like the
/// policy tester's.
fn why_text(m: &StoredMessage) -> String {
    let mut out = format!(
        "message {} ({} {}) accepted {}\nfrom {} by {}{}\n\n",
        m.id,
        m.api,
        m.operation,
        rfc3339(m.created_ms),
        m.source,
        m.principal,
        m.source_ip
            .as_deref()
            .map(|ip| format!(" from {ip}"))
            .unwrap_or_default(),
    );
    let header = ["RECIPIENT", "KIND", "DECISION", "RULE", "REASON"];
    let rows: Vec<[&str; 5]> = m
        .recipients
        .iter()
        .map(|r: &RecipientRecord| {
            [
                r.address.as_str(),
                r.kind.as_str(),
                r.decision.as_str(),
                r.rule.as_str(),
                r.reason.as_str(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(rows.iter()) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Runs `bounceguard reputation`: the rates, the level and the recovery projection, read from the
/// store the configuration names (the same numbers every instance on it answers).
pub fn reputation(config: Option<&Path>, as_json: bool) -> ExitCode {
    finish(reputation_inner(config, as_json))
}

fn reputation_inner(config: Option<&Path>, as_json: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let report = runtime()?.block_on(async {
        let store = Store::open(&config.database)
            .await
            .with_context(|| format!("opening database {}", config.database))?;
        let gateway = Gateway::new(config.clone(), store.clone()).await?;
        let report = gateway.reputation().await;
        store.close().await;
        report.map_err(|e| anyhow::anyhow!("{}", e.message))
    })?;
    if as_json {
        println!("{:#}", json!(report));
        return Ok(ExitCode::SUCCESS);
    }
    let pct = |r: f64| format!("{:.2} %", r * 100.0);
    let clean = |n: Option<u64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    println!(
        "level {} (GetAccount says {}), window of the last {} eligible sends\n",
        report.level, report.enforcement_status, report.window_size
    );
    println!(
        "{:<8} {:>8} {:>12} {:>11} {:>10} {:>14}",
        "VIEW", "SENDS", "HARD BOUNCES", "BOUNCE", "COMPLAINTS", "COMPLAINT"
    );
    for (name, r) in [
        ("window", &report.window),
        ("24h", &report.last_24h),
        ("7d", &report.last_7d),
    ] {
        println!(
            "{:<8} {:>8} {:>12} {:>11} {:>10} {:>14}",
            name,
            r.sends,
            r.hard_bounces,
            pct(r.bounce_rate),
            r.complaints,
            pct(r.complaint_rate)
        );
    }
    println!(
        "\nclean deliveries to get the bounce rate under 5 %: {}; under the guard threshold: {}",
        clean(report.clean_sends_to_under_5_percent),
        clean(report.clean_sends_to_under_guard)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("a@b.c"), "a@b.c");
        assert_eq!(csv_field("x, y"), "\"x, y\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
