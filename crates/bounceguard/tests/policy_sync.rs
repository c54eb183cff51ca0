//! `bounceguard policy pull|push|diff` against moto's SES v2 identity-policy operations (the
//! stand-in for the real account; TEST_MOTO_URL, started by scripts/test.sh), by running the
//! binary as a person would. The seed policy is the one of `policy_sdk.rs` and
//! `tests/e2e/test_policies.py`, for an identity of its own per test (moto's state is shared by
//! every test run against the same server).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_sesv2 as sesv2;
use common::TestServer;

/// moto's default account, and the gateway's in these tests.
const ACCOUNT: &str = "123456789012";

/// The seed (policy_sdk.rs) for `identity`: deny both send actions to anyone when any recipient
/// is at example.com.
fn seed(identity: &str) -> String {
    format!(
        r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{
      "Sid": "DenyTestDomains",
      "Effect": "Deny",
      "Principal": "*",
      "Action": ["ses:SendEmail", "ses:SendRawEmail"],
      "Resource": "arn:aws:ses:us-east-1:{ACCOUNT}:identity/{identity}",
      "Condition": {{"ForAnyValue:StringLike": {{"ses:Recipients": "*@example.com"}}}}
    }}
  ]
}}"#
    )
}

/// [`seed`] as `pull` must write it: keys in byte order at every level, two-space indent, one
/// final newline (written out by hand, not produced by the code under test).
fn seed_pulled(identity: &str) -> String {
    format!(
        r#"{{
  "Statement": [
    {{
      "Action": [
        "ses:SendEmail",
        "ses:SendRawEmail"
      ],
      "Condition": {{
        "ForAnyValue:StringLike": {{
          "ses:Recipients": "*@example.com"
        }}
      }},
      "Effect": "Deny",
      "Principal": "*",
      "Resource": "arn:aws:ses:us-east-1:{ACCOUNT}:identity/{identity}",
      "Sid": "DenyTestDomains"
    }}
  ],
  "Version": "2012-10-17"
}}
"#
    )
}

/// moto's URL, or `None` (printed) when unset; unset under CI is a failure.
fn moto_url() -> Option<String> {
    match std::env::var("TEST_MOTO_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "TEST_MOTO_URL is unset under CI"
            );
            eprintln!("skipped: TEST_MOTO_URL is unset (scripts/test.sh starts moto)");
            None
        }
    }
}

/// An SDK client on moto, as another tool (the console) would change the account.
fn moto(url: &str) -> sesv2::Client {
    use sesv2::config::{BehaviorVersion, Region};
    let config = sesv2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    sesv2::Client::from_conf(config)
}

/// A fresh identity name, created in moto.
async fn new_identity(moto: &sesv2::Client) -> String {
    let identity = format!(
        "sync-{}.shop.example",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    moto.create_email_identity()
        .email_identity(&identity)
        .send()
        .await
        .expect("moto creates the identity");
    identity
}

/// The policies moto holds for `identity`, parsed.
async fn moto_policies(
    moto: &sesv2::Client,
    identity: &str,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let out = moto
        .get_email_identity_policies()
        .email_identity(identity)
        .send()
        .await
        .expect("moto answers");
    out.policies()
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.clone(), serde_json::from_str(v).expect("JSON policy")))
                .collect()
        })
        .unwrap_or_default()
}

/// A work directory with a config pointing the CLI at moto and at `database`.
struct Workspace {
    dir: tempfile::TempDir,
    config: PathBuf,
    database: String,
}

impl Workspace {
    fn new(moto_url: &str, identity: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = format!("sqlite://{}", dir.path().join("bg.db").display());
        let config = dir.path().join("bounceguard.toml");
        std::fs::write(&config, Self::toml(&database, identity, Some(moto_url))).expect("config");
        Self {
            dir,
            config,
            database,
        }
    }

    /// The gateway's config: moto's account and region, the identity verified, and (for the
    /// CLI) where SES is.
    fn toml(database: &str, identity: &str, moto_url: Option<&str>) -> String {
        let mut text = format!(
            "account_id = \"{ACCOUNT}\"\nregion = \"us-east-1\"\ndatabase = \"{database}\"\nidentities = [\"{identity}\"]\n"
        );
        if let Some(url) = moto_url {
            text.push_str(&format!(
                "[delivery]\nregion = \"us-east-1\"\nendpoint_url = \"{url}\"\n"
            ));
        }
        text
    }

    fn policies(&self) -> PathBuf {
        self.dir.path().join("policies")
    }

    fn write_policy(&self, identity: &str, name: &str, text: &str) -> PathBuf {
        let path = self.policies().join(identity).join(format!("{name}.json"));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write policy");
        path
    }

    /// Runs `bounceguard policy <args> --config … --dir …` with moto's test credentials.
    async fn run(&self, args: &[&str], dir: &Path) -> Output {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bounceguard"));
        command
            .arg("policy")
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .arg("--dir")
            .arg(dir)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_REGION")
            .env_remove("AWS_ENDPOINT_URL");
        tokio::task::spawn_blocking(move || command.output().expect("run bounceguard"))
            .await
            .expect("join")
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn push_then_pull_round_trips_the_seed() {
    let Some(url) = moto_url() else { return };
    let moto = moto(&url);
    let identity = new_identity(&moto).await;
    let ws = Workspace::new(&url, &identity);
    ws.write_policy(&identity, "seed", &seed(&identity));

    let push = ws
        .run(&["push", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(push.status.code(), Some(0), "{}", stderr(&push));
    assert!(
        stdout(&push).contains(&format!("created {identity}/seed")),
        "{}",
        stdout(&push)
    );
    let held = moto_policies(&moto, &identity).await;
    let expected: serde_json::Value = serde_json::from_str(&seed(&identity)).expect("seed JSON");
    assert_eq!(held.len(), 1);
    assert_eq!(held.get("seed"), Some(&expected), "SES holds the seed");

    // Pull into an empty directory: the same policy, in the canonical layout.
    let fresh = ws.dir.path().join("pulled");
    let pull = ws.run(&["pull", "--identity", &identity], &fresh).await;
    assert_eq!(pull.status.code(), Some(0), "{}", stderr(&pull));
    let file = fresh.join(&identity).join("seed.json");
    assert!(
        stdout(&pull).contains(&format!("created {}", file.display())),
        "{}",
        stdout(&pull)
    );
    assert_eq!(
        std::fs::read_to_string(&file).expect("pulled file"),
        seed_pulled(&identity)
    );

    // A second pull writes nothing; the pulled files and SES do not differ.
    let again = ws.run(&["pull", "--identity", &identity], &fresh).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stdout(&again).ends_with("0 file(s) written, 0 deleted, 1 unchanged\n"),
        "{}",
        stdout(&again)
    );
    let diff = ws.run(&["diff", "--identity", &identity], &fresh).await;
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}{}",
        stdout(&diff),
        stderr(&diff)
    );
    assert_eq!(stdout(&diff), "");
    // The hand-written file (other layout, same policy) does not differ either.
    let diff = ws
        .run(&["diff", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(diff.status.code(), Some(0), "{}", stdout(&diff));
}

#[tokio::test]
async fn a_change_made_in_ses_shows_in_diff_and_push_restores_the_file() {
    let Some(url) = moto_url() else { return };
    let moto = moto(&url);
    let identity = new_identity(&moto).await;
    let ws = Workspace::new(&url, &identity);
    ws.write_policy(&identity, "seed", &seed(&identity));
    let push = ws
        .run(&["push", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(push.status.code(), Some(0), "{}", stderr(&push));

    // Someone edits the policy in the account (the console, another tool) and adds one.
    moto.update_email_identity_policy()
        .email_identity(&identity)
        .policy_name("seed")
        .policy(seed(&identity).replace("*@example.com", "*@example.net"))
        .send()
        .await
        .expect("moto update");
    moto.create_email_identity_policy()
        .email_identity(&identity)
        .policy_name("console")
        .policy(seed(&identity).replace("DenyTestDomains", "Console"))
        .send()
        .await
        .expect("moto create");

    let diff = ws
        .run(&["diff", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(diff.status.code(), Some(1), "{}", stderr(&diff));
    let text = stdout(&diff);
    let file = ws.policies().join(&identity).join("seed.json");
    // From SES (---) to the file (+++): the file still says example.com.
    assert!(
        text.contains(&format!(
            "--- ses:{identity}/seed\n+++ {}\n",
            file.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("\n-          \"ses:Recipients\": \"*@example.net\"\n"),
        "{text}"
    );
    assert!(
        text.contains("\n+          \"ses:Recipients\": \"*@example.com\"\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("--- ses:{identity}/console\n+++ /dev/null\n")),
        "{text}"
    );

    // Push without --prune restores the seed and leaves the console's policy alone.
    let push = ws
        .run(&["push", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(push.status.code(), Some(0), "{}", stderr(&push));
    assert!(
        stdout(&push).contains(&format!("updated {identity}/seed")),
        "{}",
        stdout(&push)
    );
    assert!(
        stdout(&push).contains(&format!("SES only {identity}/console")),
        "{}",
        stdout(&push)
    );
    let held = moto_policies(&moto, &identity).await;
    assert_eq!(held.keys().collect::<Vec<_>>(), ["console", "seed"]);
    assert_eq!(
        held["seed"]["Statement"][0]["Condition"]["ForAnyValue:StringLike"]["ses:Recipients"],
        "*@example.com"
    );

    // With --prune SES holds exactly the files; then nothing differs.
    let push = ws
        .run(
            &["push", "--prune", "--identity", &identity],
            &ws.policies(),
        )
        .await;
    assert_eq!(push.status.code(), Some(0), "{}", stderr(&push));
    assert!(
        stdout(&push).contains(&format!("deleted {identity}/console")),
        "{}",
        stdout(&push)
    );
    assert_eq!(
        moto_policies(&moto, &identity)
            .await
            .keys()
            .collect::<Vec<_>>(),
        ["seed"]
    );
    let diff = ws
        .run(&["diff", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(diff.status.code(), Some(0), "{}", stdout(&diff));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_push_the_gateway_denies_what_ses_denies() {
    let Some(url) = moto_url() else { return };
    let moto = moto(&url);
    let identity = new_identity(&moto).await;
    let ws = Workspace::new(&url, &identity);
    ws.write_policy(&identity, "seed", &seed(&identity));
    // The gateway runs on the same database the CLI's config names.
    let server = TestServer::start(&Workspace::toml(&ws.database, &identity, None)).await;
    let sender = format!("app@{identity}");
    let send = |to: &'static str| {
        let client = server.ses_v2();
        let sender = sender.clone();
        async move {
            client
                .send_email()
                .from_email_address(sender)
                .destination(
                    sesv2::types::Destination::builder()
                        .to_addresses(to)
                        .build(),
                )
                .content(common::v2_text("s", "b"))
                .send()
                .await
                .map(|o| o.message_id().unwrap_or_default().to_owned())
                .map_err(|e| {
                    e.into_service_error()
                        .meta()
                        .code()
                        .unwrap_or("")
                        .to_owned()
                })
        }
    };
    // Before the push no policy stands in the way (the @example.com recipient is captured).
    assert!(send("qa@example.com").await.is_ok());

    let push = ws
        .run(&["push", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(push.status.code(), Some(0), "{}", stderr(&push));
    assert!(
        stdout(&push).contains(&format!("gateway store: {identity} has 1 policy (seed)")),
        "{}",
        stdout(&push)
    );
    let stored = server
        .store()
        .list_identity_policies(&identity)
        .await
        .expect("store");
    assert_eq!(
        stored.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["seed"]
    );

    // The running gateway reads it once its cached view of the identity expires.
    tokio::time::sleep(
        bounceguard::service::authorization::POLICY_CACHE_TTL
            + std::time::Duration::from_millis(200),
    )
    .await;
    assert_eq!(
        send("qa@example.com").await,
        Err("AccessDeniedException".to_owned())
    );
    assert!(
        send("ann@example.org").await.is_ok(),
        "other recipients still go"
    );
    server.stop().await;
}

/// Needs no SES: the lint runs before anything is sent.
#[tokio::test]
async fn an_invalid_file_stops_the_push_before_ses_is_called() {
    let identity = "shop.example";
    // An endpoint nothing listens on: any SES call would fail with another message.
    let ws = Workspace::new("http://127.0.0.1:9", identity);
    ws.write_policy(identity, "seed", &seed(identity));
    let bad = seed(identity).replace("\"Effect\": \"Deny\"", "\"Effect\": \"Maybe\"");
    let bad_path = ws.write_policy(identity, "bad", &bad);
    let wrong = ws.write_policy(identity, "wrong", &seed("other.example"));

    let push = ws.run(&["push"], &ws.policies()).await;

    assert_eq!(push.status.code(), Some(2));
    let err = stderr(&push);
    assert!(err.contains("nothing pushed"), "{err}");
    assert!(
        err.contains(&format!("invalid {}:", bad_path.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("invalid {}: its Resource", wrong.display())),
        "{err}"
    );
    assert!(
        !err.contains("seed.json"),
        "the valid file is not reported: {err}"
    );
    assert_eq!(stdout(&push), "");
}

#[tokio::test]
async fn pull_takes_changes_made_in_ses_and_prune_removes_files_ses_lacks() {
    let Some(url) = moto_url() else { return };
    let moto = moto(&url);
    let identity = new_identity(&moto).await;
    let ws = Workspace::new(&url, &identity);
    let seed_path = ws.write_policy(&identity, "seed", &seed(&identity));
    let push = ws
        .run(&["push", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(push.status.code(), Some(0), "{}", stderr(&push));
    moto.update_email_identity_policy()
        .email_identity(&identity)
        .policy_name("seed")
        .policy(seed(&identity).replace("*@example.com", "*@example.net"))
        .send()
        .await
        .expect("moto update");
    let stale = ws.write_policy(&identity, "stale", &seed(&identity));

    let pull = ws
        .run(&["pull", "--identity", &identity], &ws.policies())
        .await;
    assert_eq!(pull.status.code(), Some(0), "{}", stderr(&pull));
    let out = stdout(&pull);
    assert!(
        out.contains(&format!("updated {}\n", seed_path.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("local only {} (not in SES", stale.display())),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&seed_path).expect("seed file"),
        seed_pulled(&identity).replace("*@example.com", "*@example.net")
    );
    assert!(stale.exists(), "without --prune a local-only file stays");

    let pull = ws
        .run(
            &["pull", "--prune", "--identity", &identity],
            &ws.policies(),
        )
        .await;
    assert_eq!(pull.status.code(), Some(0), "{}", stderr(&pull));
    assert!(
        stdout(&pull).contains(&format!("deleted {}\n", stale.display())),
        "{}",
        stdout(&pull)
    );
    assert!(!stale.exists());
    assert!(seed_path.exists());
}

#[tokio::test]
async fn an_unknown_identity_in_ses_is_an_error_with_exit_2() {
    let Some(url) = moto_url() else { return };
    let ws = Workspace::new(&url, "missing.example");
    let name = format!("never-created-{}.example", uuid::Uuid::new_v4().simple());
    let diff = ws.run(&["diff", "--identity", &name], &ws.policies()).await;
    assert_eq!(diff.status.code(), Some(2), "{}", stdout(&diff));
    assert!(
        stderr(&diff).contains("SES GetEmailIdentityPolicies failed"),
        "{}",
        stderr(&diff)
    );
}
