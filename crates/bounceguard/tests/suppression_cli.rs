//! `bounceguard suppression add|remove|get|list|import|export` as a user runs them (the built
//! binary), on a SQLite store in a temporary directory.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bounceguard_with_input(args: &[&str], database: &str, input: Option<&[u8]>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bounceguard"));
    command
        .args(args)
        .env("BOUNCEGUARD_DATABASE", database)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run bounceguard");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait for bounceguard")
}

fn bounceguard(args: &[&str], database: &str) -> Output {
    bounceguard_with_input(args, database, None)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn database(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("x.db").display())
}

/// Milliseconds since the epoch of an RFC 3339 time printed by the CLI.
fn parse_time(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .timestamp_millis()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[test]
fn add_get_list_remove_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path());
    let before = now_ms();

    // The domain is lower-cased as the server does; the local part keeps its case.
    let out = bounceguard(
        &[
            "suppression",
            "add",
            "Ann@Example.ORG",
            "--reason",
            "BOUNCE",
        ],
        &db,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "added Ann@example.org (BOUNCE)\n");

    let out = bounceguard(
        &[
            "suppression",
            "add",
            "Ann@example.org",
            "--reason",
            "BOUNCE",
        ],
        &db,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "unchanged Ann@example.org (already BOUNCE)\n");

    let out = bounceguard(
        &[
            "suppression",
            "add",
            "Ann@example.org",
            "--reason",
            "complaint",
        ],
        &db,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "changed Ann@example.org (BOUNCE -> COMPLAINT)\n"
    );

    let out = bounceguard(
        &[
            "suppression",
            "add",
            "bob@example.org",
            "--reason",
            "BOUNCE",
        ],
        &db,
    );
    assert_eq!(stdout(&out), "added bob@example.org (BOUNCE)\n");
    let after = now_ms();

    // get: key: value lines.
    let out = bounceguard(&["suppression", "get", "Ann@EXAMPLE.org"], &db);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "address: Ann@example.org");
    assert_eq!(lines[1], "reason: COMPLAINT");
    let updated = parse_time(lines[2].strip_prefix("last update: ").expect("last update"));
    assert!(
        (before..=after).contains(&updated),
        "{updated} not in {before}..{after}"
    );
    assert_eq!(lines[3], "source: cli");

    // get --json: SES's SuppressedDestination shape.
    let out = bounceguard(&["suppression", "get", "--json", "Ann@example.org"], &db);
    assert!(out.status.success(), "{}", stderr(&out));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(value["EmailAddress"], "Ann@example.org");
    assert_eq!(value["Reason"], "COMPLAINT");
    assert_eq!(value["Source"], "cli");
    assert_eq!(
        parse_time(value["LastUpdateTime"].as_str().expect("time")),
        updated
    );

    // list: address order (byte order: upper case first), tab-separated.
    let out = bounceguard(&["suppression", "list"], &db);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0][0], "Ann@example.org");
    assert_eq!(rows[0][1], "COMPLAINT");
    assert_eq!(parse_time(rows[0][2]), updated);
    assert_eq!(rows[0][3], "cli");
    assert_eq!(rows[1][0], "bob@example.org");
    assert_eq!(rows[1][1], "BOUNCE");
    assert_eq!(rows[1].len(), 4);

    let out = bounceguard(&["suppression", "list", "--reason", "BOUNCE"], &db);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("bob@example.org\tBOUNCE\t"), "{text}");

    let out = bounceguard(&["suppression", "list", "--json"], &db);
    assert!(out.status.success(), "{}", stderr(&out));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let entries = value.as_array().expect("array");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["EmailAddress"], "Ann@example.org");
    assert_eq!(entries[1]["EmailAddress"], "bob@example.org");
    assert_eq!(entries[1]["Reason"], "BOUNCE");

    // remove, then it is gone: exit status 1 and a message naming it.
    let out = bounceguard(&["suppression", "remove", "Ann@EXAMPLE.ORG"], &db);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "removed Ann@example.org (COMPLAINT)\n");
    let out = bounceguard(&["suppression", "remove", "Ann@example.org"], &db);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Ann@example.org is not on the suppression list"),
        "{}",
        stderr(&out)
    );
    let out = bounceguard(&["suppression", "get", "Ann@example.org"], &db);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());

    let out = bounceguard(&["suppression", "list", "--json"], &db);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(value.as_array().map(Vec::len), Some(1));

    // An address that cannot be normalised is an error naming it.
    let out = bounceguard(
        &["suppression", "add", "no-at-sign", "--reason", "BOUNCE"],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"no-at-sign\""), "{}", stderr(&out));
}

#[test]
fn the_configuration_decides_the_canonical_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("bounceguard.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"sqlite://{}\"\n[normalize]\nfold_plus = true\n",
            dir.path().join("x.db").display()
        ),
    )
    .expect("write config");
    let config = config.to_str().expect("utf-8 path");
    let out = Command::new(env!("CARGO_BIN_EXE_bounceguard"))
        .args([
            "suppression",
            "add",
            "--config",
            config,
            "ann+newsletter@example.org",
            "--reason",
            "BOUNCE",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "added ann@example.org (BOUNCE)\n");
    let out = Command::new(env!("CARGO_BIN_EXE_bounceguard"))
        .args([
            "suppression",
            "get",
            "--config",
            config,
            "ann+other@example.org",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("address: ann@example.org\nreason: BOUNCE\n"),
        "{}",
        stdout(&out)
    );
}

/// What a generated line is.
enum Kind {
    Good(String),
    Bad(&'static str),
}

/// Line `i` (0-based) of the generated import file: every 100th line, from the 38th, is
/// malformed (1 %), in four ways in turn; the others are good, BOUNCE or COMPLAINT.
fn generated_line(i: usize) -> (String, Kind) {
    if i % 100 == 37 {
        match (i / 100) % 4 {
            0 => (
                format!("no-at-sign-{i},BOUNCE"),
                Kind::Bad("Missing final '@domain'"),
            ),
            1 => (
                format!("user-{i:06}@example.org,bounce"),
                Kind::Bad("unknown reason \"bounce\""),
            ),
            2 => (format!("user-{i:06}@example.org"), Kind::Bad("found 1")),
            _ => (
                format!("user-{i:06}@example.org,BOUNCE,extra"),
                Kind::Bad("found 3"),
            ),
        }
    } else {
        let reason = if i.is_multiple_of(3) {
            "COMPLAINT"
        } else {
            "BOUNCE"
        };
        let line = format!("user-{i:06}@example.org,{reason}");
        (line.clone(), Kind::Good(line))
    }
}

#[test]
fn import_reports_bad_lines_is_idempotent_and_export_round_trips() {
    const LINES: usize = 100_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path());
    let file = dir.path().join("big.csv");
    let mut text = String::with_capacity(LINES * 32);
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for i in 0..LINES {
        let (line, kind) = generated_line(i);
        text.push_str(&line);
        text.push('\n');
        match kind {
            Kind::Good(line) => good.push(line),
            Kind::Bad(why) => bad.push((i as u64 + 1, why)),
        }
    }
    assert_eq!(bad.len(), LINES / 100, "1 % malformed");
    std::fs::write(&file, &text).expect("write csv");
    let path = file.to_str().expect("utf-8 path");

    let out = bounceguard(&["suppression", "import", path], &db);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let mut err_lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        err_lines.pop(),
        Some("imported 99000 (changed 99000, unchanged 0), rejected 1000")
    );
    // Every bad line is reported, in order, with its number and why.
    assert_eq!(err_lines.len(), bad.len(), "{err}");
    for (reported, (line_no, why)) in err_lines.iter().zip(&bad) {
        let prefix = format!("line {line_no}: ");
        assert!(
            reported.starts_with(&prefix),
            "{reported} should start {prefix}"
        );
        assert!(reported.contains(why), "{reported} should say {why}");
    }

    // Spot checks: first, a COMPLAINT, the last, and a bad line's address.
    for (address, reason) in [
        ("user-000001@example.org", "BOUNCE"),
        ("user-000003@example.org", "COMPLAINT"),
        ("user-099999@example.org", "COMPLAINT"),
    ] {
        let out = bounceguard(&["suppression", "get", address], &db);
        assert!(out.status.success(), "{address}: {}", stderr(&out));
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("address: {address}"));
        assert_eq!(lines[1], format!("reason: {reason}"));
        assert_eq!(lines[3], "source: import:big.csv");
    }
    // Line 138 (i = 137) had the reason in lower case: rejected, so not on the list.
    let out = bounceguard(&["suppression", "get", "user-000137@example.org"], &db);
    assert_eq!(out.status.code(), Some(1));

    // A second import changes nothing.
    let out = bounceguard(&["suppression", "import", path], &db);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).lines().last(),
        Some("imported 99000 (changed 0, unchanged 99000), rejected 1000")
    );

    // Export: the good lines exactly, byte for byte after sorting.
    let out = bounceguard(&["suppression", "export"], &db);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut exported: Vec<&str> = std::str::from_utf8(&out.stdout)
        .expect("utf-8")
        .split_inclusive('\n')
        .collect();
    exported.sort_unstable();
    let mut expected: Vec<String> = good.iter().map(|l| format!("{l}\n")).collect();
    expected.sort_unstable();
    assert_eq!(exported.len(), 99_000);
    assert!(exported == expected, "export differs from the good lines");

    // Export to a file, import it again: nothing changes, nothing rejected.
    let again = dir.path().join("again.csv");
    let again_path = again.to_str().expect("utf-8 path");
    let out = bounceguard(&["suppression", "export", again_path], &db);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "exported 99000\n");
    assert_eq!(std::fs::read(&again).expect("read export"), out_bytes(&db));
    let out = bounceguard(&["suppression", "import", again_path], &db);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "imported 99000 (changed 0, unchanged 99000), rejected 0\n"
    );
}

/// The export to stdout, as bytes.
fn out_bytes(db: &str) -> Vec<u8> {
    bounceguard(&["suppression", "export"], db).stdout
}

#[test]
fn import_from_stdin_records_its_source_and_changes_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path());
    // SES bulk files have no header row: one is reported like any bad line.
    let input = b"email,reason\nann@Example.org,BOUNCE\n\nbob@example.org,COMPLAINT\n";
    let out = bounceguard_with_input(&["suppression", "import", "-"], &db, Some(input));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("line 1: looks like a header row (email,reason)"),
        "{err}"
    );
    assert_eq!(lines[1], "imported 2 (changed 2, unchanged 0), rejected 1");
    let out = bounceguard(&["suppression", "get", "ann@example.org"], &db);
    assert!(
        stdout(&out).ends_with("source: import:stdin\n"),
        "{}",
        stdout(&out)
    );
    // The same addresses with another reason: changed, not added.
    let input = b"ann@example.org,COMPLAINT\nbob@example.org,COMPLAINT\n";
    let out = bounceguard_with_input(&["suppression", "import", "-"], &db, Some(input));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "imported 2 (changed 1, unchanged 1), rejected 0\n"
    );
    let out = bounceguard(&["suppression", "list"], &db);
    let listed: BTreeSet<(String, String)> = stdout(&out)
        .lines()
        .map(|l| {
            let mut cols = l.split('\t');
            (
                cols.next().unwrap_or_default().to_string(),
                cols.next().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        BTreeSet::from([
            ("ann@example.org".to_string(), "COMPLAINT".to_string()),
            ("bob@example.org".to_string(), "COMPLAINT".to_string()),
        ])
    );
}
