//! `bounceguard addresses generate|check` and `bounceguard why` as a user runs them (the built
//! binary), beside a running server on the same SQLite file.

mod common;

use std::collections::HashSet;
use std::process::{Command, Output};

use common::TestServer;

fn bounceguard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bounceguard"));
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run bounceguard")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn generate_makes_unique_test_addresses_and_refuses_real_domains() {
    let out = bounceguard(
        &[
            "addresses",
            "generate",
            "--prefix",
            "loadtest",
            "--count",
            "1000",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1000);
    assert_eq!(lines[0], "loadtest-000001@example.com");
    assert_eq!(lines.iter().collect::<HashSet<_>>().len(), 1000, "unique");

    let out = bounceguard(
        &[
            "addresses",
            "generate",
            "--prefix",
            "loadtest",
            "--count",
            "5",
            "--domain",
            "company.com",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("company.com is not a reserved test domain"),
        "{}",
        stderr(&out)
    );

    let out = bounceguard(
        &[
            "addresses",
            "generate",
            "--prefix",
            "dummy",
            "--count",
            "3",
            "--alias-of",
            "hoge@company.com",
            "--format",
            "csv",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "index,address\n1,hoge+dummy-000001@company.com\n2,hoge+dummy-000002@company.com\n3,hoge+dummy-000003@company.com\n"
    );
}

const CONFIG: &str = r#"identities = ["sender@shop.example"]
mailboxes = ["hoge@company.com"]

[[routes]]
domain = "company.com"
action = "deliver"
only_known = true
"#;

#[test]
fn check_reads_a_file_and_answers_csv_or_json_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("bounceguard.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"sqlite://{}\"\n{CONFIG}",
            dir.path().join("bg.db").display()
        ),
    )
    .expect("config");
    let input = dir.path().join("addresses.txt");
    std::fs::write(
        &input,
        "a@example.com\r\nhoge+7@company.com\n\nnew@company.com\nnot-an-address\n\"x, y\"@example.net\n",
    )
    .expect("input");
    let config = config.to_string_lossy().into_owned();
    let input = input.to_string_lossy().into_owned();

    let out = bounceguard(&["addresses", "check", "--config", &config, &input], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.splitn(4, ',').collect::<Vec<_>>())
        .collect();
    assert_eq!(rows[0], ["address", "normalized", "verdict", "reason"]);
    let verdicts: Vec<(&str, &str)> = rows[1..5].iter().map(|r| (r[0], r[2])).collect();
    assert_eq!(
        verdicts,
        [
            ("a@example.com", "test-domain"),
            ("hoge+7@company.com", "deliverable"),
            ("new@company.com", "unknown-mailbox"),
            ("not-an-address", "invalid"),
        ]
    );
    // A field holding a comma and quotes is quoted the RFC 4180 way.
    assert!(
        text.lines()
            .nth(5)
            .is_some_and(|l| l.starts_with("\"\"\"x, y\"\"@example.net\",")),
        "{text}"
    );

    let out = bounceguard(
        &[
            "addresses",
            "check",
            "--config",
            &config,
            "--format",
            "json",
            &input,
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let results = json.as_array().expect("array");
    assert_eq!(results.len(), 5);
    assert_eq!(results[1]["normalized"], "hoge+7@company.com");
    assert_eq!(results[2]["verdict"], "unknown-mailbox");
}

#[tokio::test]
async fn why_prints_the_decision_log_beside_a_running_server() {
    let server = TestServer::start(CONFIG).await;
    let id = server
        .ses_v1()
        .send_email()
        .source("sender@shop.example")
        .destination(
            aws_sdk_ses::types::Destination::builder()
                .to_addresses("qa@example.com")
                .to_addresses("hoge+1@company.com")
                .cc_addresses("stranger@company.com")
                .build(),
        )
        .message(common::v1_text("why", "b"))
        .send()
        .await
        .expect("accepted")
        .message_id
        .clone();
    let database = server.config.database.clone();
    let out = tokio::task::spawn_blocking({
        let id = id.clone();
        let database = database.clone();
        move || {
            bounceguard(
                &["why", &id],
                &[("BOUNCEGUARD_DATABASE", database.as_str())],
            )
        }
    })
    .await
    .expect("join");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("message {id} (v1 SendEmail) accepted ")),
        "{text}"
    );
    let table: Vec<Vec<&str>> = text
        .lines()
        .skip_while(|l| !l.starts_with("RECIPIENT"))
        .map(|l| l.split_whitespace().take(4).collect())
        .collect();
    assert_eq!(
        table,
        vec![
            vec!["RECIPIENT", "KIND", "DECISION", "RULE"],
            vec!["qa@example.com", "to", "capture", "default:reserved"],
            vec!["hoge+1@company.com", "to", "deliver", "route:1"],
            vec!["stranger@company.com", "cc", "hold", "allowlist"],
        ]
    );

    let json = tokio::task::spawn_blocking({
        let id = id.clone();
        let database = database.clone();
        move || {
            bounceguard(
                &["why", "--json", &id],
                &[("BOUNCEGUARD_DATABASE", database.as_str())],
            )
        }
    })
    .await
    .expect("join");
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(value["recipients"][2]["decision"], "hold");
    assert!(
        value["recipients"][2]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("unknown mailbox")),
        "{value}"
    );

    let missing = tokio::task::spawn_blocking(move || {
        bounceguard(
            &["why", "no-such-id"],
            &[("BOUNCEGUARD_DATABASE", database.as_str())],
        )
    })
    .await
    .expect("join");
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no message with id no-such-id"));
    server.stop().await;
}
