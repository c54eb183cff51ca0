//! `bounceguard policy test|lint` as a user runs them (the built binary), and the same
//! evaluation over HTTP at `POST /api/v1/policy/simulate`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::TestServer;

const IDENTITY: &str = "arn:aws:ses:ap-northeast-1:123456789012:identity/shop.example";

/// The seed policy of the project (deny both send actions when any recipient is at example.com).
const SEED: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "DenyTestDomains",
    "Effect": "Deny",
    "Principal": "*",
    "Action": ["ses:SendEmail", "ses:SendRawEmail"],
    "Resource": "arn:aws:ses:ap-northeast-1:123456789012:identity/shop.example",
    "Condition": {"ForAnyValue:StringLike": {"ses:Recipients": "*@example.com"}}
  }]
}"#;

/// A partner account may send, only from invoices addresses, only from its office network.
const PARTNER: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "PartnerInvoices",
    "Effect": "Allow",
    "Principal": {"AWS": "444455556666"},
    "Action": "ses:Send*",
    "Resource": "arn:aws:ses:ap-northeast-1:123456789012:identity/shop.example",
    "Condition": {
      "StringLike": {"ses:FromAddress": "invoices*@shop.example"},
      "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}
    }
  }]
}"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write policy file");
    path
}

fn bounceguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bounceguard"))
        .args(args)
        .output()
        .expect("run bounceguard")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn test_exits_1_on_deny_and_names_the_deciding_statement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = write(dir.path(), "seed.json", SEED);
    let out = bounceguard(&[
        "policy",
        "test",
        "--policy",
        path(&seed),
        "--action",
        "ses:SendEmail",
        "--from",
        "no-reply@shop.example",
        "--to",
        "a@example.com",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Deny");
    assert_eq!(
        lines[1],
        "deciding statement: policy \"seed\" statement 0 (Sid \"DenyTestDomains\")"
    );
    assert!(
        lines.contains(
            &format!(
                "request: ses:SendEmail by arn:aws:iam::123456789012:user/policy-test on {IDENTITY}"
            )
            .as_str()
        ),
        "{text}"
    );
    assert!(
        lines.contains(
            &"    condition ForAnyValue:StringLike ses:Recipients [\"*@example.com\"]: matched"
        ),
        "{text}"
    );
}

#[test]
fn test_exits_0_on_allow_and_shows_unmatched_conditions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = write(dir.path(), "seed.json", SEED);
    let out = bounceguard(&[
        "policy",
        "test",
        "--policy",
        path(&seed),
        "--action",
        "ses:SendEmail",
        "--from",
        "no-reply@shop.example",
        "--to",
        "a@example.org",
        "b@example.net",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("Allow\ndeciding statement: none\n"),
        "{text}"
    );
    assert!(
        text.contains("reason: no statement applies; the caller is in the identity's account"),
        "{text}"
    );
    assert!(
        text.contains("recipients: a@example.org, b@example.net"),
        "{text}"
    );
    assert!(text.contains(": not matched"), "{text}");
    // A mixed request is denied.
    let out = bounceguard(&[
        "policy",
        "test",
        "--policy",
        path(&seed),
        "--from",
        "no-reply@shop.example",
        "--to",
        "a@example.org",
        "--to",
        "b@example.com",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[test]
fn test_takes_principal_ip_and_several_policies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = write(dir.path(), "seed.json", SEED);
    let partner = write(dir.path(), "partner.json", PARTNER);
    let run = |from: &str, ip: &str, to: &str| {
        bounceguard(&[
            "policy",
            "test",
            "--policy",
            path(&seed),
            "--policy",
            path(&partner),
            "--action",
            "ses:SendRawEmail",
            "--from",
            from,
            "--to",
            to,
            "--principal",
            "arn:aws:iam::444455556666:user/billing",
            "--source-ip",
            ip,
            "--time",
            "2026-01-15T10:00:00Z",
        ])
    };
    let out = run("invoices-2026@shop.example", "203.0.113.9", "c@example.org");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(
            "deciding statement: policy \"partner\" statement 0 (Sid \"PartnerInvoices\")"
        ),
        "{}",
        stdout(&out)
    );
    // Outside the network: no Allow applies, and the caller is another account.
    let out = run(
        "invoices-2026@shop.example",
        "198.51.100.1",
        "c@example.org",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("reason: no statement applies; the caller is not in the identity's account"),
        "{text}"
    );
    assert!(
        text.contains("    condition IpAddress aws:SourceIp [\"203.0.113.0/24\"]: not matched"),
        "{text}"
    );
    // The explicit Deny of the seed wins over the partner's Allow.
    let out = run("invoices-2026@shop.example", "203.0.113.9", "c@example.com");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("Sid \"DenyTestDomains\""),
        "{}",
        stdout(&out)
    );
}

#[test]
fn test_exits_2_on_an_invalid_policy_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        dir.path(),
        "bad.json",
        &SEED.replace("ses:Recipients", "AWS:SourceAccount"),
    );
    let out = bounceguard(&[
        "policy",
        "test",
        "--policy",
        path(&bad),
        "--from",
        "no-reply@shop.example",
        "--to",
        "a@example.org",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out),
        "invalid policy \"bad\": Unknown or unapplicable condition field 'AWS:SourceAccount'.\n"
    );
    // --identity-arn overrides the declared resource: the seed then names another identity.
    let seed = write(dir.path(), "seed.json", SEED);
    let out = bounceguard(&[
        "policy",
        "test",
        "--policy",
        path(&seed),
        "--identity-arn",
        "arn:aws:ses:ap-northeast-1:123456789012:identity/other.example",
        "--from",
        "no-reply@other.example",
        "--to",
        "a@example.org",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("invalid policy \"seed\": "),
        "{}",
        stdout(&out)
    );
    // A file that is not there.
    let out = bounceguard(&[
        "policy",
        "test",
        "--policy",
        "/nonexistent/p.json",
        "--from",
        "a@x.org",
        "--to",
        "b@x.org",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).starts_with("error: cannot read /nonexistent/p.json"));
}

#[test]
fn test_json_is_the_simulate_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = write(dir.path(), "seed.json", SEED);
    let out = bounceguard(&[
        "policy",
        "test",
        "--json",
        "--policy",
        path(&seed),
        "--from",
        "no-reply@shop.example",
        "--to",
        "a@example.com",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(value["decision"], "Deny");
    assert_eq!(value["deciding_statement"]["sid"], "DenyTestDomains");
    assert_eq!(value["trace"][0]["policy"], "seed");
}

#[test]
fn lint_reports_what_ses_refuses_and_warns_about_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = write(dir.path(), "seed.json", SEED);
    let out = bounceguard(&["policy", "lint", path(&seed)]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "ok\n");

    let bad = write(
        dir.path(),
        "bad.json",
        &SEED.replace("ses:Recipients", "AWS:SourceAccount"),
    );
    let out = bounceguard(&["policy", "lint", path(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out),
        "invalid: Unknown or unapplicable condition field 'AWS:SourceAccount'.\n"
    );

    // The regex the AWS example seems to intend is not what IAM matches (ses-spec §4.3).
    let regex = write(
        dir.path(),
        "regex.json",
        &SEED.replace("*@example.com", "marketing+.*@example.com"),
    );
    let out = bounceguard(&["policy", "lint", path(&regex)]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("ok\nwarning: "), "{text}");
    assert!(text.contains("is not a regex"), "{text}");
}

#[test]
fn help_names_the_subcommands() {
    let out = bounceguard(&["policy", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("test") && text.contains("lint"), "{text}");
}

#[tokio::test]
async fn simulate_endpoint_evaluates_json() {
    let server = TestServer::open().await;
    let request = serde_json::json!({
        "action": "ses:SendEmail",
        "principal_arn": "arn:aws:iam::123456789012:user/app",
        "principal_account": "123456789012",
        "identity_arn": IDENTITY,
        "recipients": ["a@example.org", "b@example.com"],
        "from_address": "no-reply@shop.example",
        "api_version": "2",
        "current_time": "2026-01-15T10:00:00Z",
    });
    let body = serde_json::json!({
        "policies": [{"name": "seed", "document": SEED}],
        "request": request,
    });
    let response = server
        .http(
            "POST",
            "/api/v1/policy/simulate",
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let value: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(value["decision"], "Deny");
    assert_eq!(value["reason"]["kind"], "ExplicitDeny");
    assert_eq!(
        value["reason_text"],
        "explicit deny by policy \"seed\" statement 0 (Sid \"DenyTestDomains\")"
    );
    assert_eq!(value["deciding_statement"]["statement"], 0);
    let statement = &value["trace"][0]["statements"][0];
    assert_eq!(statement["applies"], true);
    assert_eq!(statement["conditions"][0]["key"], "ses:Recipients");
    assert_eq!(statement["conditions"][0]["matched"], true);

    let invalid = serde_json::json!({
        "policies": [{"name": "bad", "document": SEED.replace("ses:Recipients", "AWS:SourceAccount")}],
        "request": request,
    });
    let response = server
        .http(
            "POST",
            "/api/v1/policy/simulate",
            &[("content-type", "application/json")],
            invalid.to_string().as_bytes(),
        )
        .await;
    assert_eq!(response.status, 400);
    let value: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(value["policy"], "bad");
    assert_eq!(
        value["message"],
        "Unknown or unapplicable condition field 'AWS:SourceAccount'."
    );
    let response = server
        .http("POST", "/api/v1/policy/simulate", &[], b"not json")
        .await;
    assert_eq!(response.status, 400);
    server.stop().await;
}
