//! The what-if tester: `bounceguard policy test`, `bounceguard policy lint` and the JSON of
//! `POST /api/v1/policy/simulate`. Everything here is offline: documents are parsed with the
//! same engine the send path uses ([`bounceguard_policy`]), nothing is read from the store.
//!
//! The text table is laid out by hand (a few padded columns; no table crate is worth a
//! dependency for it).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bounceguard_core::address::Mailbox;
use bounceguard_policy::{
    Decision, Evaluation, Policy, PolicyError, Reason, RequestContext, declared_resource, evaluate,
};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::service::authorization::{parse_identity_arn, principal_account};

/// Exit status of `policy test` when the request is allowed.
pub const EXIT_ALLOW: u8 = 0;
/// Exit status of `policy test` when the request is denied.
pub const EXIT_DENY: u8 = 1;
/// Exit status for an invalid policy (and for unreadable files or bad arguments).
pub const EXIT_INVALID: u8 = 2;

/// `bounceguard policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Evaluate a send against policy files: prints Allow or Deny, the deciding statement and,
    /// for every statement and condition, whether it matched.
    ///
    /// Exit status: 0 Allow, 1 Deny, 2 invalid policy (the reason is printed) or bad arguments.
    /// Each file is parsed against the Resource it declares unless --identity-arn is given; the
    /// request is for --identity-arn, else the first file's Resource.
    Test(Box<TestArgs>),
    /// Check a policy document the way SES does when it is stored: prints the reason SES would
    /// refuse it (exit 2), or "ok" followed by warnings about things SES accepts but that
    /// rarely mean what was intended (exit 0).
    Lint {
        /// The policy document (JSON).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Check the Resource against this identity ARN instead of the one the file declares.
        #[arg(long, value_name = "ARN")]
        identity_arn: Option<String>,
    },
    /// Write the SES account's policies into DIR/<identity>/<policy-name>.json (keys sorted,
    /// indented) and print what changed. Exit status 0, or 2 on error.
    Pull(crate::policy_sync::PullArgs),
    /// Lint the files, then create or update them in SES (--prune: delete SES policies with no
    /// file) and set the gateway's store to what SES then holds. Nothing is pushed when a file
    /// is invalid. Exit status 0, or 2 on error.
    Push(crate::policy_sync::PushArgs),
    /// A unified diff per policy from SES to the files (what push would change). Exit status
    /// 0 when equal, 1 when different, 2 on error.
    Diff(crate::policy_sync::SyncArgs),
}

/// A policy document with its name, as the tester and the simulate API take it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NamedDocument {
    /// The policy's name (a label in the results).
    pub name: String,
    /// The JSON document.
    pub document: String,
}

/// A document the engine refused, with the policy's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy \"{policy}\" is invalid: {error}")]
pub struct InvalidPolicy {
    /// The policy's name.
    pub policy: String,
    /// Why.
    pub error: PolicyError,
}

/// Parses `documents`, each against `identity_arn` when given, else against the resource it
/// declares (`declared_resource`).
pub fn parse_documents(
    documents: &[NamedDocument],
    identity_arn: Option<&str>,
) -> Result<Vec<Policy>, InvalidPolicy> {
    documents
        .iter()
        .map(|d| {
            let declared;
            let resource = match identity_arn {
                Some(arn) => arn,
                None => {
                    declared = declared_resource(&d.document).unwrap_or_default();
                    declared.as_str()
                }
            };
            Policy::parse(&d.name, &d.document, resource).map_err(|error| InvalidPolicy {
                policy: d.name.clone(),
                error,
            })
        })
        .collect()
}

/// The owner account of an identity ARN (empty when it is not one).
fn arn_account(identity_arn: &str) -> &str {
    parse_identity_arn(identity_arn).map_or("", |(_, account, _)| account)
}

/// The evaluation as JSON: `decision`, `reason` (tagged), `reason_text`, `deciding_statement`
/// and the full `trace`.
pub fn evaluation_json(evaluation: &Evaluation<'_>) -> Value {
    json!({
        "decision": evaluation.decision,
        "reason": evaluation.reason,
        "reason_text": evaluation.reason.to_string(),
        "deciding_statement": evaluation.reason.statement(),
        "trace": evaluation.trace,
    })
}

/// The body of `POST /api/v1/policy/simulate`.
#[derive(Debug, Deserialize)]
struct SimulateRequest {
    policies: Vec<NamedDocument>,
    request: RequestContext,
    /// The identity's owner account; default: the account in `request.identity_arn`, else
    /// the gateway's.
    #[serde(default)]
    owner_account: Option<String>,
}

/// `POST /api/v1/policy/simulate`: the JSON answer, or `(status, error JSON)` for a body that
/// is not a simulate request (400) or holds an invalid policy (400, with `policy`).
pub fn simulate(body: &[u8], gateway_account: &str) -> Result<Value, Value> {
    let input: SimulateRequest = serde_json::from_slice(body)
        .map_err(|e| json!({ "message": format!("Could not parse request body: {e}") }))?;
    let policies = parse_documents(&input.policies, Some(&input.request.identity_arn)).map_err(
        |e| json!({ "message": e.error.message, "policy": e.policy, "statement": e.error.statement }),
    )?;
    let owner =
        input
            .owner_account
            .unwrap_or_else(|| match arn_account(&input.request.identity_arn) {
                "" => gateway_account.to_string(),
                account => account.to_string(),
            });
    let evaluation = evaluate(&policies, &input.request, &owner);
    Ok(evaluation_json(&evaluation))
}

/// Runs `bounceguard policy …` and answers the exit status.
pub fn run(command: PolicyCommand) -> ExitCode {
    let mut out = String::new();
    let code = match command {
        PolicyCommand::Pull(args) => return crate::policy_sync::pull(&args),
        PolicyCommand::Push(args) => return crate::policy_sync::push(&args),
        PolicyCommand::Diff(args) => return crate::policy_sync::diff(&args),
        PolicyCommand::Test(args) => test(&mut out, &args),
        PolicyCommand::Lint { file, identity_arn } => {
            lint(&mut out, &file, identity_arn.as_deref())
        }
    };
    print!("{out}");
    ExitCode::from(code)
}

/// The arguments of `policy test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// A policy document (JSON). Repeat for several; each is named after its file stem.
    #[arg(long = "policy", value_name = "FILE", required = true)]
    pub policies: Vec<PathBuf>,
    /// The IAM action checked: ses:SendEmail or ses:SendRawEmail (SMTP and v2 raw sends).
    #[arg(long, default_value = "ses:SendEmail")]
    pub action: String,
    /// The sender (`ses:FromAddress`, `ses:FromDisplayName`), e.g. 'Shop <no-reply@shop.example>'.
    #[arg(long, value_name = "ADDR")]
    pub from: String,
    /// Recipients (`ses:Recipients`): repeat the flag or list several after it.
    #[arg(long, value_name = "ADDR", required = true, num_args = 1..)]
    pub to: Vec<String>,
    /// The caller; default: arn:aws:iam::<owner account>:user/policy-test (the owner's own
    /// account).
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// `aws:SourceIp`.
    #[arg(long, value_name = "IP")]
    pub source_ip: Option<IpAddr>,
    /// `aws:CurrentTime`/`aws:EpochTime` (RFC 3339); default: now.
    #[arg(long, value_name = "RFC3339")]
    pub time: Option<String>,
    /// The identity the send uses (the policies' resource); default: the first file's
    /// Resource.
    #[arg(long, value_name = "ARN")]
    pub identity_arn: Option<String>,
    /// The account that owns the identity; default: the account in the identity ARN.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// `ses:FeedbackAddress`; default: the --from address.
    #[arg(long, value_name = "ADDR")]
    pub feedback_address: Option<String>,
    /// `ses:ApiVersion`: 1 (Query API) or 2 (v2 API, SMTP).
    #[arg(long, default_value = "1", value_parser = ["1", "2"])]
    pub api_version: String,
    /// `aws:UserAgent`.
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,
    /// Print the evaluation as JSON (the shape of POST /api/v1/policy/simulate).
    #[arg(long)]
    pub json: bool,
}

/// Reads a policy file, named after its stem.
fn read_document(path: &Path) -> Result<NamedDocument, String> {
    let document = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(NamedDocument { name, document })
}

/// A bare address from `ADDR` or `Name <ADDR>`; the text itself when it does not parse (a
/// condition on an odd value can still be tried).
fn bare(text: &str) -> String {
    Mailbox::parse(text).map_or_else(|_| text.to_string(), |m| m.address)
}

fn test(out: &mut String, args: &TestArgs) -> u8 {
    let mut documents = Vec::with_capacity(args.policies.len());
    for path in &args.policies {
        match read_document(path) {
            Ok(d) => documents.push(d),
            Err(e) => {
                let _ = writeln!(out, "error: {e}");
                return EXIT_INVALID;
            }
        }
    }
    let policies = match parse_documents(&documents, args.identity_arn.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(out, "invalid policy \"{}\": {}", e.policy, e.error.message);
            return EXIT_INVALID;
        }
    };
    let identity_arn = args
        .identity_arn
        .clone()
        .or_else(|| {
            documents
                .first()
                .and_then(|d| declared_resource(&d.document))
        })
        .unwrap_or_default();
    let owner = args
        .account
        .clone()
        .unwrap_or_else(|| arn_account(&identity_arn).to_string());
    let principal = args
        .principal
        .clone()
        .unwrap_or_else(|| format!("arn:aws:iam::{owner}:user/policy-test"));
    let current_time = match args.time.as_deref() {
        None => Utc::now(),
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => {
                let _ = writeln!(out, "error: --time {text}: {e}");
                return EXIT_INVALID;
            }
        },
    };
    let (from_address, from_display_name) = match Mailbox::parse(&args.from) {
        Ok(m) => (m.address, m.display_name),
        Err(_) => (args.from.clone(), None),
    };
    let context = RequestContext {
        action: args.action.clone(),
        principal_account: principal_account(&principal).to_string(),
        principal_arn: principal,
        service_principal: None,
        identity_arn,
        recipients: args.to.iter().map(|t| bare(t)).collect(),
        feedback_address: Some(
            args.feedback_address
                .as_deref()
                .map_or_else(|| from_address.clone(), bare),
        ),
        from_address,
        from_display_name,
        api_version: args.api_version.clone(),
        source_ip: args.source_ip,
        current_time,
        secure_transport: false,
        user_agent: args.user_agent.clone(),
        source_account: None,
        source_arn: None,
        principal_org_id: None,
    };
    let evaluation = evaluate(&policies, &context, &owner);
    if args.json {
        let text = serde_json::to_string_pretty(&evaluation_json(&evaluation))
            .unwrap_or_else(|_| "{}".into());
        let _ = writeln!(out, "{text}");
    } else {
        render(out, &evaluation, &context);
    }
    match evaluation.decision {
        Decision::Allow => EXIT_ALLOW,
        Decision::Deny => EXIT_DENY,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The human answer: decision, deciding statement, the request, then one row per statement
/// and one line per condition.
pub fn render(out: &mut String, evaluation: &Evaluation<'_>, context: &RequestContext) {
    let _ = writeln!(out, "{}", evaluation.decision);
    let deciding = match evaluation.reason {
        Reason::ExplicitDeny(s) | Reason::ExplicitAllow(s) => s.to_string(),
        Reason::SameAccount | Reason::ImplicitDeny => "none".to_string(),
    };
    let _ = writeln!(out, "deciding statement: {deciding}");
    let _ = writeln!(out, "reason: {}", evaluation.reason);
    let _ = writeln!(
        out,
        "request: {} by {} on {}",
        context.action, context.principal_arn, context.identity_arn
    );
    let _ = writeln!(out, "recipients: {}", context.recipients.join(", "));
    let _ = writeln!(out);

    let header = [
        "POLICY",
        "STATEMENT",
        "SID",
        "EFFECT",
        "PRINCIPAL",
        "ACTION",
        "RESOURCE",
        "CONDITIONS",
        "APPLIES",
    ];
    let mut rows: Vec<([String; 9], Vec<String>)> = Vec::new();
    for policy in &evaluation.trace {
        for st in &policy.statements {
            let conditions_ok = st.conditions.iter().all(|c| c.matched);
            let row = [
                policy.policy.to_string(),
                st.index.to_string(),
                st.sid.unwrap_or("-").to_string(),
                format!("{:?}", st.effect),
                yes_no(st.principal_matched).to_string(),
                yes_no(st.action_matched).to_string(),
                yes_no(st.resource_matched).to_string(),
                if st.conditions.is_empty() {
                    "-".to_string()
                } else {
                    yes_no(conditions_ok).to_string()
                },
                yes_no(st.applies).to_string(),
            ];
            let lines = st
                .conditions
                .iter()
                .map(|c| {
                    let values = serde_json::to_string(c.values).unwrap_or_default();
                    format!(
                        "condition {} {} {}: {}",
                        c.operator,
                        c.key,
                        values,
                        if c.matched { "matched" } else { "not matched" }
                    )
                })
                .collect();
            rows.push((row, lines));
        }
    }
    let mut widths = header.map(str::len);
    for (row, _) in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[&str]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<w$}  ");
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(out, &header);
    for (row, conditions) in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(out, &cells);
        for c in conditions {
            let _ = writeln!(out, "    {c}");
        }
    }
}

fn lint(out: &mut String, file: &Path, identity_arn: Option<&str>) -> u8 {
    let document = match read_document(file) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(out, "error: {e}");
            return EXIT_INVALID;
        }
    };
    match parse_documents(std::slice::from_ref(&document), identity_arn) {
        Err(e) => {
            let _ = writeln!(out, "invalid: {}", e.error.message);
            EXIT_INVALID
        }
        Ok(policies) => {
            let _ = writeln!(out, "ok");
            for policy in &policies {
                for warning in policy.warnings() {
                    let _ = writeln!(out, "warning: {warning}");
                }
            }
            EXIT_ALLOW
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyTestDomains","Effect":"Deny","Principal":"*","Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:ap-northeast-1:123456789012:identity/shop.example","Condition":{"ForAnyValue:StringLike":{"ses:Recipients":"*@example.com"}}}]}"#;

    fn context(to: &[&str]) -> RequestContext {
        RequestContext {
            action: "ses:SendEmail".into(),
            principal_arn: "arn:aws:iam::123456789012:user/app".into(),
            principal_account: "123456789012".into(),
            service_principal: None,
            identity_arn: "arn:aws:ses:ap-northeast-1:123456789012:identity/shop.example".into(),
            recipients: to.iter().map(|s| s.to_string()).collect(),
            from_address: "no-reply@shop.example".into(),
            from_display_name: None,
            feedback_address: None,
            api_version: "1".into(),
            source_ip: None,
            current_time: Utc::now(),
            secure_transport: false,
            user_agent: None,
            source_account: None,
            source_arn: None,
            principal_org_id: None,
        }
    }

    #[test]
    fn simulate_answers_the_seed() {
        let body = json!({
            "policies": [{"name": "seed", "document": SEED}],
            "request": context(&["a@example.org", "b@example.com"]),
        });
        let answer = simulate(body.to_string().as_bytes(), "000000000000").expect("simulate");
        assert_eq!(answer["decision"], "Deny");
        assert_eq!(answer["reason"]["kind"], "ExplicitDeny");
        assert_eq!(answer["deciding_statement"]["sid"], "DenyTestDomains");
        assert_eq!(answer["deciding_statement"]["statement"], 0);
        assert_eq!(
            answer["trace"][0]["statements"][0]["conditions"][0]["matched"],
            true
        );

        let body = json!({
            "policies": [{"name": "seed", "document": SEED}],
            "request": context(&["a@example.org"]),
        });
        let answer = simulate(body.to_string().as_bytes(), "000000000000").expect("simulate");
        assert_eq!(answer["decision"], "Allow");
        assert_eq!(answer["reason"]["kind"], "SameAccount");
        assert_eq!(answer["deciding_statement"], Value::Null);
    }

    #[test]
    fn simulate_refuses_bad_bodies_and_invalid_policies() {
        let err = simulate(b"{", "000000000000").expect_err("bad JSON");
        assert!(
            err["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Could not parse request body")),
            "{err}"
        );
        let body = json!({
            "policies": [{"name": "p", "document": SEED.replace("shop.example", "other.example")}],
            "request": context(&["a@example.org"]),
        });
        let err = simulate(body.to_string().as_bytes(), "000000000000").expect_err("resource");
        assert_eq!(err["policy"], "p");
        assert_eq!(err["statement"], 0);
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    #[test]
    fn the_table_shows_every_statement_and_condition() {
        let policies = parse_documents(
            &[NamedDocument {
                name: "seed".into(),
                document: SEED.into(),
            }],
            None,
        )
        .expect("seed parses");
        let ctx = context(&["b@example.com"]);
        let evaluation = evaluate(&policies, &ctx, "123456789012");
        let mut out = String::new();
        render(&mut out, &evaluation, &ctx);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "Deny");
        assert_eq!(
            lines[1],
            "deciding statement: policy \"seed\" statement 0 (Sid \"DenyTestDomains\")"
        );
        assert!(lines.iter().any(|l| l.starts_with("POLICY")), "{out}");
        let row = lines
            .iter()
            .find(|l| l.starts_with("seed "))
            .expect("statement row");
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "seed",
                "0",
                "DenyTestDomains",
                "Deny",
                "yes",
                "yes",
                "yes",
                "yes",
                "yes"
            ]
        );
        assert!(
            lines.contains(
                &"    condition ForAnyValue:StringLike ses:Recipients [\"*@example.com\"]: matched"
            ),
            "{out}"
        );
    }
}
