//! `bounceguard policy pull|push|diff`: the identities' sending-authorization policies kept in
//! files under version control, in step with the real SES account and with the gateway's store.
//!
//! Layout: `DIR/<identity>/<policy-name>.json` (default DIR `policies`). Files are written in a
//! canonical form — object keys sorted, two-space indent, a final newline — so a policy that
//! SES returns with its members in another order or minified gives no diff. Comparisons use the
//! same canonical form on both sides.
//!
//! - `pull`: SES → files; prints each file created, updated, reformatted or deleted.
//! - `push`: files → SES (Create or Update; `--prune` deletes SES policies that have no file).
//!   Every file is linted first — the same parse `bounceguard policy lint` does, the policy
//!   name SES allows, a `Resource` naming the directory's identity, and a parse against the
//!   gateway's own identity ARN (`account_id`, `region`) — and nothing is pushed when one
//!   fails. Then the gateway's store (the configured `database`) is set to exactly the
//!   identity's policies as SES now holds them, so the gateway enforces what SES enforces.
//! - `diff`: a unified diff per policy from SES (`---`) to the files (`+++`): what `push`
//!   would change. Exit 0 when equal, 1 when different, 2 on error (as diff(1)).
//!
//! SES is reached with the standard credential chain and the `[delivery] region` (default: the
//! gateway's `region`) and `endpoint_url` of the config, the keys the `ses` transport uses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bounceguard_delivery::SesPolicies;
use bounceguard_policy::{MAX_POLICIES_PER_IDENTITY, Policy, declared_resource};
use bounceguard_store::{PolicyWrite, Store};
use clap::Args;
use serde_json::Value;

use crate::address_tool::{load_config, runtime};
use crate::config::Config;
use crate::policy_tool::{NamedDocument, parse_documents};
use crate::service::authorization::parse_identity_arn;

/// Exit status of `policy diff` when files and SES hold the same policies (and of pull/push on
/// success).
pub const EXIT_SAME: u8 = 0;
/// Exit status of `policy diff` when they differ.
pub const EXIT_DIFFERENT: u8 = 1;
/// Exit status on any error (unreadable files, an invalid policy, SES refusing a call).
pub const EXIT_ERROR: u8 = 2;

/// What `pull`, `push` and `diff` share.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Only this identity (an address or a domain). Default: every identity of the SES account
    /// (ListEmailIdentities) for pull; the directory's subdirectories for push; both for diff.
    #[arg(long, value_name = "IDENTITY")]
    pub identity: Option<String>,
    /// The directory of policy files: DIR/<identity>/<policy-name>.json.
    #[arg(long, value_name = "DIR", default_value = "policies")]
    pub dir: PathBuf,
    /// A TOML configuration file (the server's): `[delivery] region` and `endpoint_url` say
    /// where SES is, `database` is the store push writes, `account_id`/`region` the gateway's
    /// identity ARNs.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `policy pull`.
#[derive(Debug, Clone, Args)]
pub struct PullArgs {
    /// Which identities, where the files are, which config.
    #[command(flatten)]
    pub sync: SyncArgs,
    /// Delete files of policies that SES does not have (only in the identities pulled).
    #[arg(long)]
    pub prune: bool,
}

/// `policy push`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// Which identities, where the files are, which config.
    #[command(flatten)]
    pub sync: SyncArgs,
    /// Delete SES policies that have no file (only in the identities pushed).
    #[arg(long)]
    pub prune: bool,
    /// Push to SES only; leave the gateway's store alone (e.g. from a CI job with no gateway).
    #[arg(long)]
    pub no_store: bool,
}

/// One policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    /// Where it is.
    pub path: PathBuf,
    /// The document as written.
    pub text: String,
}

/// The policies of the identities in a directory: identity → policy name → file.
pub type PolicyTree = BTreeMap<String, BTreeMap<String, PolicyFile>>;

/// The canonical text of a policy document: object keys sorted, two-space indent, a final
/// newline. A document that is not JSON is kept as it is (with a final newline), so that it
/// still shows in a diff and fails the lint where it belongs.
pub fn canonical_json(document: &str) -> String {
    match serde_json::from_str::<Value>(document) {
        Ok(value) => {
            let mut text = serde_json::to_string_pretty(&sorted(value))
                .unwrap_or_else(|_| document.to_owned());
            text.push('\n');
            text
        }
        Err(_) if document.ends_with('\n') => document.to_owned(),
        Err(_) => format!("{document}\n"),
    }
}

/// `value` with every object's keys in byte order, whatever map serde_json was built with.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let entries: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Refuses identity names that cannot be a directory name of their own.
fn check_identity_name(identity: &str) -> anyhow::Result<()> {
    if identity.is_empty()
        || identity == "."
        || identity == ".."
        || identity.contains(['/', '\\', '\0'])
    {
        bail!("identity {identity:?} cannot be a directory name");
    }
    Ok(())
}

/// Reads `dir/<identity>/*.json` for `identity`, or for every subdirectory of `dir` when `None`.
/// A missing directory holds no policies.
pub fn read_tree(dir: &Path, identity: Option<&str>) -> anyhow::Result<PolicyTree> {
    let mut tree = PolicyTree::new();
    let identities: Vec<String> = match identity {
        Some(identity) => {
            check_identity_name(identity)?;
            vec![identity.to_owned()]
        }
        None if !dir.exists() => Vec::new(),
        None => {
            let mut names = Vec::new();
            for entry in
                std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?
            {
                let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
                if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    names.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            names
        }
    };
    for identity in identities {
        let sub = dir.join(&identity);
        let mut policies = BTreeMap::new();
        if sub.is_dir() {
            for entry in
                std::fs::read_dir(&sub).with_context(|| format!("reading {}", sub.display()))?
            {
                let path = entry
                    .with_context(|| format!("reading {}", sub.display()))?
                    .path();
                if !path.is_file() || path.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let Some(name) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                    continue;
                };
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                policies.insert(name, PolicyFile { path, text });
            }
        }
        tree.insert(identity, policies);
    }
    Ok(tree)
}

/// Everything wrong with the policy `name` of `identity` before it may be pushed: the linter's
/// parse against the Resource it declares, SES's policy-name rules, a Resource that names
/// another identity, and (when `gateway` is given) a parse against the gateway's identity ARN.
pub fn lint_for_push(
    identity: &str,
    name: &str,
    document: &str,
    gateway: Option<&Config>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = bounceguard_policy::validate_policy_name(name) {
        problems.push(e.message);
    }
    let named = NamedDocument {
        name: name.to_owned(),
        document: document.to_owned(),
    };
    if let Err(e) = parse_documents(std::slice::from_ref(&named), None) {
        problems.push(e.error.message);
        return problems;
    }
    let declared = declared_resource(document).unwrap_or_default();
    match parse_identity_arn(&declared) {
        Some((_, _, named)) if named.eq_ignore_ascii_case(identity) => {}
        _ => problems.push(format!(
            "its Resource {declared:?} is not the identity {identity} (the directory it is in)"
        )),
    }
    if let Some(config) = gateway {
        let arn = config.identity_arn(&crate::service::normalize(identity));
        if let Err(e) = Policy::parse(name, document, &arn) {
            problems.push(format!(
                "the gateway (account {}, region {}) could not enforce it: {}",
                config.account_id, config.region, e.message
            ));
        }
    }
    problems
}

/// The unified diff from SES's `remote` to the file's `local` (canonical texts; `None`: the
/// policy is missing on that side), or `None` when they are equal.
pub fn policy_diff(
    identity: &str,
    name: &str,
    remote: Option<&str>,
    local: Option<(&Path, &str)>,
) -> Option<String> {
    let old = remote.map(canonical_json).unwrap_or_default();
    let new = local.map(|(_, t)| canonical_json(t)).unwrap_or_default();
    if remote.is_some() == local.is_some() && old == new {
        return None;
    }
    let old_name = match remote {
        Some(_) => format!("ses:{identity}/{name}"),
        None => "/dev/null".to_owned(),
    };
    let new_name = match local {
        Some((path, _)) => path.display().to_string(),
        None => "/dev/null".to_owned(),
    };
    Some(
        similar::TextDiff::from_lines(&old, &new)
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &new_name)
            .to_string(),
    )
}

/// Where SES is for this config: `[delivery] region` (else `region`) and `endpoint_url`.
async fn ses_client(config: &Config) -> SesPolicies {
    let region = config
        .delivery
        .region
        .clone()
        .unwrap_or_else(|| config.region.clone());
    SesPolicies::from_env(&region, config.delivery.endpoint_url.as_deref()).await
}

/// The identities to work on: the one asked for, else every identity SES lists.
async fn ses_identities(ses: &SesPolicies, identity: Option<&str>) -> anyhow::Result<Vec<String>> {
    Ok(match identity {
        Some(identity) => vec![identity.to_owned()],
        None => ses.list_identities().await?,
    })
}

fn finish(result: anyhow::Result<(String, u8)>) -> ExitCode {
    match result {
        Ok((out, code)) => {
            print!("{out}");
            ExitCode::from(code)
        }
        Err(e) => {
            eprintln!("bounceguard policy: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// `bounceguard policy pull`.
pub fn pull(args: &PullArgs) -> ExitCode {
    finish(load_config(args.sync.config.as_deref()).and_then(|config| {
        runtime()?.block_on(async {
            let ses = ses_client(&config).await;
            pull_with(&ses, &args.sync, args.prune).await
        })
    }))
}

/// `pull` against an SES client: writes the files, answers the report.
pub async fn pull_with(
    ses: &SesPolicies,
    args: &SyncArgs,
    prune: bool,
) -> anyhow::Result<(String, u8)> {
    let mut out = String::new();
    let (mut written, mut deleted, mut same) = (0, 0, 0);
    let identities = ses_identities(ses, args.identity.as_deref()).await?;
    for identity in &identities {
        check_identity_name(identity)?;
        let remote = ses.get(identity).await?;
        let local = read_tree(&args.dir, Some(identity))?
            .remove(identity)
            .unwrap_or_default();
        for (name, document) in &remote {
            let text = canonical_json(document);
            let path = args.dir.join(identity).join(format!("{name}.json"));
            let verb = match local.get(name) {
                Some(file) if file.text == text => {
                    same += 1;
                    continue;
                }
                Some(file) if canonical_json(&file.text) == text => "reformatted",
                Some(_) => "updated",
                None => "created",
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
            written += 1;
            let _ = writeln!(out, "{verb} {}", path.display());
        }
        for (name, file) in &local {
            if remote.contains_key(name) {
                continue;
            }
            if prune {
                std::fs::remove_file(&file.path)
                    .with_context(|| format!("deleting {}", file.path.display()))?;
                deleted += 1;
                let _ = writeln!(out, "deleted {}", file.path.display());
            } else {
                let _ = writeln!(
                    out,
                    "local only {} (not in SES; --prune deletes it)",
                    file.path.display()
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "pulled {} identit{}: {written} file(s) written, {deleted} deleted, {same} unchanged",
        identities.len(),
        if identities.len() == 1 { "y" } else { "ies" }
    );
    Ok((out, EXIT_SAME))
}

/// `bounceguard policy push`.
pub fn push(args: &PushArgs) -> ExitCode {
    finish(load_config(args.sync.config.as_deref()).and_then(|config| {
        runtime()?.block_on(async {
            let ses = ses_client(&config).await;
            let store = if args.no_store {
                None
            } else {
                Some(
                    Store::open(&config.database)
                        .await
                        .with_context(|| format!("opening database {}", config.database))?,
                )
            };
            let result = push_with(&ses, store.as_ref(), &config, args).await;
            if let Some(store) = store {
                store.close().await;
            }
            result
        })
    }))
}

/// `push` against an SES client and (unless `--no-store`) the gateway's store.
pub async fn push_with(
    ses: &SesPolicies,
    store: Option<&Store>,
    config: &Config,
    args: &PushArgs,
) -> anyhow::Result<(String, u8)> {
    let mut out = String::new();
    let tree = read_tree(&args.sync.dir, args.sync.identity.as_deref())?;
    let gateway = store.map(|_| config);
    let mut invalid = String::new();
    for (identity, policies) in &tree {
        for (name, file) in policies {
            for problem in lint_for_push(identity, name, &file.text, gateway) {
                let _ = writeln!(invalid, "invalid {}: {problem}", file.path.display());
            }
        }
    }
    if !invalid.is_empty() {
        bail!("nothing pushed:\n{}", invalid.trim_end());
    }
    let (mut created, mut updated, mut deleted, mut same) = (0, 0, 0, 0);
    for (identity, policies) in &tree {
        let remote = ses.get(identity).await?;
        for (name, file) in policies {
            match remote.get(name) {
                None => {
                    ses.create(identity, name, &file.text).await?;
                    created += 1;
                    let _ = writeln!(out, "created {identity}/{name}");
                }
                Some(current) if canonical_json(current) != canonical_json(&file.text) => {
                    ses.update(identity, name, &file.text).await?;
                    updated += 1;
                    let _ = writeln!(out, "updated {identity}/{name}");
                }
                Some(_) => same += 1,
            }
        }
        for name in remote.keys().filter(|n| !policies.contains_key(*n)) {
            if args.prune {
                ses.delete(identity, name).await?;
                deleted += 1;
                let _ = writeln!(out, "deleted {identity}/{name}");
            } else {
                let _ = writeln!(
                    out,
                    "SES only {identity}/{name} (no file; --prune deletes it)"
                );
            }
        }
        if let Some(store) = store {
            mirror_into_store(ses, store, config, identity, &mut out).await?;
        }
    }
    let _ = writeln!(
        out,
        "pushed {} identit{}: {created} created, {updated} updated, {deleted} deleted, {same} unchanged",
        tree.len(),
        if tree.len() == 1 { "y" } else { "ies" }
    );
    Ok((out, EXIT_SAME))
}

/// Sets the gateway store's policies of `identity` to exactly what SES holds now.
async fn mirror_into_store(
    ses: &SesPolicies,
    store: &Store,
    config: &Config,
    identity: &str,
    out: &mut String,
) -> anyhow::Result<()> {
    let key = crate::service::normalize(identity.trim());
    let arn = config.identity_arn(&key);
    let enforced = ses.get(identity).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let mut kept = BTreeSet::new();
    for (name, document) in &enforced {
        match Policy::parse(name, document, &arn) {
            Ok(policy) => {
                store
                    .put_identity_policy(
                        &key,
                        name,
                        policy.minified(),
                        now,
                        PolicyWrite::Upsert,
                        MAX_POLICIES_PER_IDENTITY,
                    )
                    .await
                    .with_context(|| format!("storing {identity}/{name}"))?;
                kept.insert(name.clone());
            }
            // Only a policy that exists in SES alone (files were linted) can get here.
            Err(e) => {
                let _ = writeln!(
                    out,
                    "warning: SES policy {identity}/{name} is not enforced by the gateway: {}",
                    e.message
                );
            }
        }
    }
    for stale in store
        .list_identity_policies(&key)
        .await
        .with_context(|| format!("reading the stored policies of {identity}"))?
    {
        if !kept.contains(&stale.name) {
            store
                .delete_identity_policy(&key, &stale.name)
                .await
                .with_context(|| format!("deleting {identity}/{}", stale.name))?;
        }
    }
    let _ = writeln!(
        out,
        "gateway store: {identity} has {} polic{} ({})",
        kept.len(),
        if kept.len() == 1 { "y" } else { "ies" },
        kept.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

/// `bounceguard policy diff`.
pub fn diff(args: &SyncArgs) -> ExitCode {
    finish(load_config(args.config.as_deref()).and_then(|config| {
        runtime()?.block_on(async {
            let ses = ses_client(&config).await;
            diff_with(&ses, args).await
        })
    }))
}

/// `diff` against an SES client: the unified diffs and [`EXIT_SAME`] or [`EXIT_DIFFERENT`].
pub async fn diff_with(ses: &SesPolicies, args: &SyncArgs) -> anyhow::Result<(String, u8)> {
    let mut out = String::new();
    let local = read_tree(&args.dir, args.identity.as_deref())?;
    let mut identities: BTreeSet<String> = local.keys().cloned().collect();
    identities.extend(ses_identities(ses, args.identity.as_deref()).await?);
    let mut differ = false;
    for identity in &identities {
        let remote = ses.get(identity).await?;
        let files = local.get(identity);
        let names: BTreeSet<&String> = remote
            .keys()
            .chain(files.into_iter().flat_map(|f| f.keys()))
            .collect();
        for name in names {
            let file = files.and_then(|f| f.get(name));
            if let Some(text) = policy_diff(
                identity,
                name,
                remote.get(name).map(String::as_str),
                file.map(|f| (f.path.as_path(), f.text.as_str())),
            ) {
                differ = true;
                out.push_str(&text);
            }
        }
    }
    Ok((out, if differ { EXIT_DIFFERENT } else { EXIT_SAME }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_MINIFIED: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyTestDomains","Effect":"Deny","Principal":"*","Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:us-east-1:123456789012:identity/shop.example","Condition":{"ForAnyValue:StringLike":{"ses:Recipients":"*@example.com"}}}]}"#;

    #[test]
    fn canonical_form_sorts_keys_and_indents() {
        // Written by hand: keys in byte order at every level, arrays kept in order.
        let expected = r#"{
  "Statement": [
    {
      "Action": [
        "ses:SendEmail",
        "ses:SendRawEmail"
      ],
      "Condition": {
        "ForAnyValue:StringLike": {
          "ses:Recipients": "*@example.com"
        }
      },
      "Effect": "Deny",
      "Principal": "*",
      "Resource": "arn:aws:ses:us-east-1:123456789012:identity/shop.example",
      "Sid": "DenyTestDomains"
    }
  ],
  "Version": "2012-10-17"
}
"#;
        assert_eq!(canonical_json(SEED_MINIFIED), expected);
        assert_eq!(canonical_json(expected), expected, "idempotent");
        assert_eq!(canonical_json("not json"), "not json\n");
    }

    #[test]
    fn equal_documents_in_another_layout_have_no_diff() {
        let path = Path::new("policies/shop.example/seed.json");
        let pretty = canonical_json(SEED_MINIFIED);
        assert_eq!(
            policy_diff(
                "shop.example",
                "seed",
                Some(SEED_MINIFIED),
                Some((path, &pretty))
            ),
            None
        );
    }

    #[test]
    fn a_changed_value_is_one_hunk_from_ses_to_the_file() {
        let path = Path::new("policies/shop.example/seed.json");
        let local = SEED_MINIFIED.replace("*@example.com", "*@example.net");
        let diff = policy_diff(
            "shop.example",
            "seed",
            Some(SEED_MINIFIED),
            Some((path, &local)),
        )
        .expect("different");
        let lines: Vec<&str> = diff.lines().collect();
        assert_eq!(lines[0], "--- ses:shop.example/seed");
        assert_eq!(lines[1], "+++ policies/shop.example/seed.json");
        assert!(lines[2].starts_with("@@ "), "{diff}");
        let removed: Vec<&str> = lines
            .iter()
            .filter(|l| l.starts_with('-'))
            .copied()
            .collect();
        let added: Vec<&str> = lines
            .iter()
            .filter(|l| l.starts_with('+'))
            .copied()
            .collect();
        assert_eq!(
            removed,
            [
                "--- ses:shop.example/seed",
                "-          \"ses:Recipients\": \"*@example.com\""
            ]
        );
        assert_eq!(
            added,
            [
                "+++ policies/shop.example/seed.json",
                "+          \"ses:Recipients\": \"*@example.net\""
            ]
        );
    }

    #[test]
    fn a_policy_on_one_side_only_diffs_against_dev_null() {
        let diff = policy_diff("shop.example", "seed", Some(SEED_MINIFIED), None).expect("diff");
        assert!(
            diff.starts_with("--- ses:shop.example/seed\n+++ /dev/null\n"),
            "{diff}"
        );
        assert!(diff.lines().skip(3).all(|l| l.starts_with('-')), "{diff}");
    }

    #[test]
    fn push_lint_refuses_bad_names_resources_and_documents() {
        assert!(lint_for_push("shop.example", "seed", SEED_MINIFIED, None).is_empty());
        let other = lint_for_push("other.example", "seed", SEED_MINIFIED, None);
        assert_eq!(other.len(), 1, "{other:?}");
        assert!(
            other[0].contains("is not the identity other.example"),
            "{other:?}"
        );
        assert!(!lint_for_push("shop.example", "bad name!", SEED_MINIFIED, None).is_empty());
        assert!(!lint_for_push("shop.example", "seed", "{", None).is_empty());
    }

    #[test]
    fn push_lint_checks_the_gateway_account() {
        let env = std::collections::HashMap::new();
        let same = Config::from_toml_and_env(
            "account_id = \"123456789012\"\nregion = \"us-east-1\"\n",
            &env,
        )
        .expect("config");
        assert!(lint_for_push("shop.example", "seed", SEED_MINIFIED, Some(&same)).is_empty());
        let other = Config::from_toml_and_env(
            "account_id = \"999988887777\"\nregion = \"us-east-1\"\n",
            &env,
        )
        .expect("config");
        let problems = lint_for_push("shop.example", "seed", SEED_MINIFIED, Some(&other));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("account 999988887777"), "{problems:?}");
    }

    #[test]
    fn identities_that_are_not_directory_names_are_refused() {
        for bad in ["", ".", "..", "a/b", "a\\b"] {
            assert!(check_identity_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_identity_name("sender+tag@shop.example").is_ok());
    }
}
