//! Configuration: an optional TOML file, then `BOUNCEGUARD_<KEY>` environment variables.
//!
//! With neither, `bounceguard serve` starts safely: loopback only, a SQLite file in the working
//! directory, the capture transport (nothing leaves the machine), no authentication.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use bounceguard_guard::{GuardConfig, MailboxEntry, NormalizeOptions, RouteConfig};
use serde::Deserialize;

/// Prefix of the environment variables that override top-level keys.
pub const ENV_PREFIX: &str = "BOUNCEGUARD_";

/// Top-level keys whose environment override is taken as a plain string (never parsed as TOML),
/// so `BOUNCEGUARD_ACCOUNT_ID=000000000000` stays a string of twelve zeros.
const STRING_KEYS: &[&str] = &[
    "listen",
    "database",
    "account_id",
    "region",
    "auth",
    "mailboxes_file",
    "smtp_listen",
    "admin_token",
];

/// Top-level keys whose environment override takes TOML syntax (arrays, inline tables).
const TOML_KEYS: &[&str] = &[
    "identities",
    "credentials",
    "quota",
    "delivery",
    "routes",
    "mailboxes",
    "normalize",
    "dns",
    "smtp",
];

/// The whole configuration of one server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address of the HTTP listener (SES v1, v2, capture API).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// `sqlite://path` or `postgres://…`.
    #[serde(default = "default_database")]
    pub database: String,
    /// The account this gateway stands for (in ARNs and errors).
    #[serde(default = "default_account_id")]
    pub account_id: String,
    /// The region this gateway stands for (SigV4 scope, ARNs, error texts).
    #[serde(default = "default_region")]
    pub region: String,
    /// `"none"` serves without authentication even off loopback; `"sigv4"` requires
    /// `[[credentials]]`; unset means SigV4 when credentials exist, else open on loopback only.
    #[serde(default)]
    pub auth: Option<AuthMode>,
    /// Access keys accepted for SigV4.
    #[serde(default)]
    pub credentials: Vec<CredentialConfig>,
    /// Identities (addresses or domains) verified from the start.
    #[serde(default)]
    pub identities: Vec<String>,
    /// The sending quota the gateway reports.
    #[serde(default)]
    pub quota: QuotaConfig,
    /// How mail decided `deliver` leaves.
    #[serde(default)]
    pub delivery: DeliveryConfig,
    /// Per-recipient routes, tried in order after the policy check; first match wins. After
    /// them the built-in default applies: reserved test domains → capture, the rest → deliver.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Mailboxes known to exist (the staging allow-list for routes with `only_known = true`).
    #[serde(default)]
    pub mailboxes: Vec<MailboxEntry>,
    /// A file of known mailboxes, one address per line (`#` comments); a relative path is taken
    /// from the config file's directory.
    #[serde(default)]
    pub mailboxes_file: Option<PathBuf>,
    /// Address normalisation options.
    #[serde(default)]
    pub normalize: NormalizeOptions,
    /// The recipient-domain check before every `deliver` decision.
    #[serde(default)]
    pub dns: DnsConfig,
    /// Address of the SMTP submission listener. Default `127.0.0.1:2525` when no config file is
    /// given; with a config file, off unless set.
    #[serde(default)]
    pub smtp_listen: Option<SocketAddr>,
    /// SMTP listener settings.
    #[serde(default)]
    pub smtp: SmtpSettings,
    /// The dashboard's and the `/api/v1` admin API's token (see [`crate::dashboard::access`]):
    /// required whenever it is set; unset, those are open on a loopback `listen` and closed
    /// (401) elsewhere.
    #[serde(default)]
    pub admin_token: Option<String>,
    /// `BOUNCEGUARD_*` variables that name no configuration key (logged as warnings at start).
    #[serde(skip)]
    pub ignored_env: Vec<String>,
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// No authentication; the principal is derived from the access key id in the request.
    None,
    /// Every SES request must carry a valid SigV4 signature from `[[credentials]]`.
    Sigv4,
}

/// One access key accepted by the SigV4 verifier.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// The access key id, e.g. `AKIAIOSFODNN7EXAMPLE`.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The IAM principal ARN this key acts as; defaults to `arn:aws:iam::<account>:user/<key id>`.
    #[serde(default)]
    pub principal: Option<String>,
}

/// The quota reported by GetSendQuota and GetAccount.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// Recipients per 24 hours (-1 = unlimited).
    #[serde(default = "default_max_24_hour_send")]
    pub max_24_hour_send: f64,
    /// Recipients per second.
    #[serde(default = "default_max_send_rate")]
    pub max_send_rate: f64,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        Self {
            max_24_hour_send: default_max_24_hour_send(),
            max_send_rate: default_max_send_rate(),
        }
    }
}

/// Where mail decided `deliver` goes.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// The transport.
    #[serde(default)]
    pub transport: Transport,
    /// `ses`: the SES region (default: the gateway's `region`).
    #[serde(default)]
    pub region: Option<String>,
    /// `ses`: another endpoint than the region's (a VPC endpoint; moto in tests).
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// `smtp`: the relay, `smtp://user:pass@host:587?tls=required` or `smtps://…`.
    #[serde(default)]
    pub relay_url: Option<String>,
    /// Attempts per message for throttling and server errors (default 3).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Time budget per message across attempts, in milliseconds (default 10000).
    #[serde(default)]
    pub max_total_ms: Option<u64>,
}

/// The delivery transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Keep the message for people to read; never send it.
    #[default]
    Capture,
    /// Amazon SES through the official SDK (standard credential chain).
    Ses,
    /// An SMTP relay.
    Smtp,
}

impl Transport {
    /// The config word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Ses => "ses",
            Self::Smtp => "smtp",
        }
    }
}

/// `[dns]`: the MX / A / AAAA / null-MX check of recipient domains.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// Check domains before `deliver`. Unset: on with a real transport, off with `capture`.
    #[serde(default)]
    pub check: Option<bool>,
    /// Resolvers as `ip` or `ip:port`; empty: the system's (`/etc/resolv.conf`).
    #[serde(default)]
    pub servers: Vec<String>,
    /// How long one lookup may take before it counts as failed (and the mail goes out: fail
    /// open). Default 2000.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

impl DnsConfig {
    /// The configured resolvers as socket addresses (port 53 when none is given).
    pub fn server_addrs(&self) -> anyhow::Result<Vec<SocketAddr>> {
        self.servers
            .iter()
            .map(|s| {
                s.parse::<SocketAddr>()
                    .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                    .map_err(|_| anyhow::anyhow!("[dns] servers: not an ip or ip:port: {s:?}"))
            })
            .collect()
    }

    /// The lookup timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(bounceguard_dns::DEFAULT_TIMEOUT)
    }
}

/// `[smtp]`: the submission listener's TLS and AUTH settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// PEM certificate chain for STARTTLS (with `tls_key`); without them STARTTLS is not offered.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for STARTTLS.
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// Allow AUTH without STARTTLS (off: credentials never cross the network in clear).
    #[serde(default)]
    pub allow_plain_auth: bool,
    /// The name in the greeting and EHLO reply. Default `bounceguard`.
    #[serde(default)]
    pub hostname: Option<String>,
}

/// The default SMTP listener of the zero-config mode.
pub fn default_smtp_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 2525))
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8585))
}
fn default_database() -> String {
    "sqlite://bounceguard.db".to_string()
}
fn default_account_id() -> String {
    "000000000000".to_string()
}
fn default_region() -> String {
    "us-east-1".to_string()
}
fn default_max_24_hour_send() -> f64 {
    50_000.0
}
fn default_max_send_rate() -> f64 {
    14.0
}

impl Config {
    /// Loads the file (if any), applies the environment, and checks the result.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> anyhow::Result<Self> {
        let text = match file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading config file {}", path.display()))?,
            None => String::new(),
        };
        let mut config = Self::build(&text, env, file.and_then(Path::parent))?;
        if file.is_none() && config.smtp_listen.is_none() {
            config.smtp_listen = Some(default_smtp_listen());
        }
        Ok(config)
    }

    /// Parses TOML text, then applies `BOUNCEGUARD_<KEY>` overrides from `env`.
    pub fn from_toml_and_env(text: &str, env: &HashMap<String, String>) -> anyhow::Result<Self> {
        Self::build(text, env, None)
    }

    /// Parses, applies the environment, resolves a relative `mailboxes_file` against `base`
    /// (the config file's directory), and checks the result.
    fn build(
        text: &str,
        env: &HashMap<String, String>,
        base: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let mut table: toml::Table = text.parse().context("parsing config TOML")?;
        let mut ignored = Vec::new();
        for (name, value) in env {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            let value = if STRING_KEYS.contains(&key.as_str()) {
                toml::Value::String(value.clone())
            } else if !TOML_KEYS.contains(&key.as_str()) {
                ignored.push(name.clone());
                continue;
            } else {
                // Other keys take TOML syntax: numbers, booleans, arrays, inline tables.
                let doc: toml::Table = format!("v = {value}")
                    .parse()
                    .with_context(|| format!("{name}: not a TOML value: {value}"))?;
                doc.get("v")
                    .cloned()
                    .unwrap_or(toml::Value::String(value.clone()))
            };
            table.insert(key, value);
        }
        let mut config: Config = table
            .try_into()
            .context("invalid configuration (see README, Configuration)")?;
        ignored.sort();
        config.ignored_env = ignored;
        if let Some(dir) = base {
            for path in [
                config.mailboxes_file.as_mut(),
                config.smtp.tls_cert.as_mut(),
                config.smtp.tls_key.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                if path.is_relative() {
                    *path = dir.join(&*path);
                }
            }
        }
        if config.delivery.transport == Transport::Smtp && config.delivery.relay_url.is_none() {
            bail!("[delivery] transport = \"smtp\" needs relay_url");
        }
        if config.smtp.tls_cert.is_some() != config.smtp.tls_key.is_some() {
            bail!("[smtp] tls_cert and tls_key go together");
        }
        config.validate()?;
        config.dns.server_addrs()?;
        config.guard()?;
        Ok(config)
    }

    /// The compiled recipient guard: routes, allow-list (with the mailbox file) and options.
    pub fn guard(&self) -> anyhow::Result<bounceguard_guard::Guard> {
        let text = match &self.mailboxes_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading mailboxes_file {}", path.display()))?,
            ),
            None => None,
        };
        let config = GuardConfig {
            routes: self.routes.clone(),
            mailboxes: self.mailboxes.clone(),
            normalize: self.normalize,
        };
        bounceguard_guard::Guard::new(&config, text.as_deref())
            .map_err(|e| anyhow::anyhow!("invalid [[routes]] or [[mailboxes]]: {e}"))
    }

    /// Whether recipient domains are checked in DNS before `deliver`.
    pub fn dns_check(&self) -> bool {
        self.dns
            .check
            .unwrap_or(self.delivery.transport != Transport::Capture)
    }

    /// Refuses configurations that would be unsafe or cannot work.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            bail!("account_id must be 12 digits, got {:?}", self.account_id);
        }
        if self.region.is_empty() {
            bail!("region must not be empty");
        }
        match self.auth {
            Some(AuthMode::Sigv4) if self.credentials.is_empty() => {
                bail!("auth = \"sigv4\" needs at least one [[credentials]] entry")
            }
            None if self.credentials.is_empty() && !self.listen.ip().is_loopback() => bail!(
                "refusing to serve without authentication on non-loopback address {}: \
                 add [[credentials]] or set auth = \"none\" explicitly",
                self.listen
            ),
            _ => {}
        }
        Ok(())
    }

    /// Whether SigV4 is enforced.
    pub fn sigv4_enforced(&self) -> bool {
        match self.auth {
            Some(AuthMode::None) => false,
            Some(AuthMode::Sigv4) => true,
            None => !self.credentials.is_empty(),
        }
    }

    /// The ARN of an identity in this account and region.
    pub fn identity_arn(&self, identity: &str) -> String {
        format!(
            "arn:aws:ses:{}:{}:identity/{identity}",
            self.region, self.account_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_config_is_the_safe_default() {
        let c = Config::from_toml_and_env("", &HashMap::new()).expect("default config");
        assert_eq!(c.listen, "127.0.0.1:8585".parse().expect("addr"));
        assert_eq!(c.database, "sqlite://bounceguard.db");
        assert_eq!(c.account_id, "000000000000");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.delivery.transport, Transport::Capture);
        assert!(!c.sigv4_enforced());
    }

    #[test]
    fn environment_overrides_file() {
        let c = Config::from_toml_and_env(
            "region = \"eu-west-1\"\naccount_id = \"111122223333\"\n",
            &env(&[
                ("BOUNCEGUARD_REGION", "ap-northeast-1"),
                ("BOUNCEGUARD_LISTEN", "127.0.0.1:9999"),
                ("BOUNCEGUARD_ACCOUNT_ID", "000000000042"),
                ("UNRELATED", "x"),
                ("BOUNCEGUARD_BIN", "/usr/bin/bounceguard"),
                ("BOUNCEGUARD_IDENTITIES", "[\"a.example\", \"b@c.example\"]"),
            ]),
        )
        .expect("config");
        assert_eq!(c.ignored_env, vec!["BOUNCEGUARD_BIN".to_string()]);
        assert_eq!(c.identities, vec!["a.example", "b@c.example"]);
        assert_eq!(c.region, "ap-northeast-1");
        assert_eq!(c.account_id, "000000000042");
        assert_eq!(c.listen.port(), 9999);
    }

    #[test]
    fn open_server_off_loopback_needs_explicit_consent() {
        let e = Config::from_toml_and_env("listen = \"0.0.0.0:8585\"", &HashMap::new())
            .expect_err("must refuse");
        assert!(e.to_string().contains("refusing"), "{e}");
        let c = Config::from_toml_and_env(
            "listen = \"0.0.0.0:8585\"\nauth = \"none\"",
            &HashMap::new(),
        )
        .expect("explicit none");
        assert!(!c.sigv4_enforced());
        let c = Config::from_toml_and_env(
            "listen = \"0.0.0.0:8585\"\n[[credentials]]\naccess_key_id = \"AK\"\nsecret_access_key = \"s\"",
            &HashMap::new(),
        )
        .expect("credentials make it safe");
        assert!(c.sigv4_enforced());
    }

    #[test]
    fn guard_keys_load_from_file_and_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("known.txt"), "# QA\nfuga@company.com\n").expect("file");
        let file = dir.path().join("bg.toml");
        std::fs::write(
            &file,
            "mailboxes = [\"hoge@company.com\"]\nmailboxes_file = \"known.txt\"\n\
             [[routes]]\ndomain = \"company.com\"\naction = \"deliver\"\nonly_known = true\n\
             [dns]\ncheck = true\nservers = [\"127.0.0.1:5353\", \"::1\"]\ntimeout_ms = 500\n",
        )
        .expect("config");
        let c = Config::load(Some(&file), &HashMap::new()).expect("config");
        // A relative mailbox file is taken from the config file's directory.
        assert_eq!(c.mailboxes_file, Some(dir.path().join("known.txt")));
        let guard = c.guard().expect("guard");
        assert_eq!(guard.allow_list().len(), 2);
        assert!(c.dns_check());
        assert_eq!(
            c.dns.server_addrs().expect("servers"),
            vec![
                "127.0.0.1:5353".parse::<SocketAddr>().expect("addr"),
                "[::1]:53".parse().expect("addr")
            ]
        );
        assert_eq!(c.dns.timeout(), Duration::from_millis(500));

        // Routes from the environment, in TOML syntax; the DNS check follows the transport.
        let c = Config::from_toml_and_env(
            "",
            &env(&[(
                "BOUNCEGUARD_ROUTES",
                "[{match = \"*@blocked.test\", action = \"deny\"}]",
            )]),
        )
        .expect("config");
        assert_eq!(c.routes.len(), 1);
        assert!(!c.dns_check(), "capture transport: off unless asked");
    }

    #[test]
    fn the_readme_example_config_loads() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml\n").expect("a toml block") + 8;
        let end = start + readme[start..].find("```").expect("block end");
        let text = readme[start..end].replace('…', "secret");
        let c = Config::from_toml_and_env(&text, &HashMap::new()).expect("README config");
        assert_eq!(c.routes.len(), 2);
        assert_eq!(c.mailboxes.len(), 1);
        assert!(c.dns_check());
        assert_eq!(c.dns.server_addrs().expect("servers").len(), 2);
        assert_eq!(c.smtp_listen, Some(default_smtp_listen()));
    }

    #[test]
    fn smtp_is_on_by_default_only_without_a_config_file() {
        let c = Config::load(None, &HashMap::new()).expect("zero config");
        assert_eq!(c.smtp_listen, Some(default_smtp_listen()));
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("bg.toml");
        std::fs::write(&file, "region = \"eu-west-1\"\n").expect("config");
        let c = Config::load(Some(&file), &HashMap::new()).expect("config");
        assert_eq!(c.smtp_listen, None);
        let c = Config::load(
            Some(&file),
            &env(&[("BOUNCEGUARD_SMTP_LISTEN", "127.0.0.1:2626")]),
        )
        .expect("config");
        assert_eq!(c.smtp_listen.map(|a| a.port()), Some(2626));
        assert!(
            Config::from_toml_and_env("[smtp]\ntls_cert = \"c.pem\"\n", &HashMap::new()).is_err(),
            "a certificate without its key"
        );
    }

    #[test]
    fn bad_guard_settings_are_refused_at_load() {
        for bad in [
            "[[routes]]\nmatch = \"*@x.test\"\naction = \"explode\"\n",
            "[[routes]]\ndomain = \"x.com\"\naction = \"deliver\"\nonly_known = true\n",
            "[dns]\nservers = [\"resolver.local\"]\n",
            "mailboxes_file = \"/nonexistent/known.txt\"\n",
        ] {
            assert!(
                Config::from_toml_and_env(bad, &HashMap::new()).is_err(),
                "accepted: {bad}"
            );
        }
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Config::from_toml_and_env("account_id = \"12\"", &HashMap::new()).is_err());
        assert!(Config::from_toml_and_env("auth = \"sigv4\"", &HashMap::new()).is_err());
        assert!(Config::from_toml_and_env("listn = \"x\"", &HashMap::new()).is_err());
    }
}
