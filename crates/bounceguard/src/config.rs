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
    "sns",
    "reputation",
    "alerts",
    "s3",
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
    /// The SNS endpoint (`POST /sns`): allowed topics, trusted test certificates.
    #[serde(default)]
    pub sns: SnsConfig,
    /// The rate window and the reputation guard.
    #[serde(default)]
    pub reputation: ReputationConfig,
    /// Where changes of the reputation level are announced.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// `[s3]`: where suppression import jobs (CreateImportJob) read their S3Url.
    #[serde(default)]
    pub s3: S3Config,
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

/// `[reputation]`: the rate window and the reputation guard (issue 6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReputationConfig {
    /// Eligible sends in the rate window (SES's "representative volume"). Default 10,000.
    #[serde(default = "default_window")]
    pub window: usize,
    /// Hold risky sends when the projected rates cross the guard thresholds. Default on.
    #[serde(default = "default_true")]
    pub guard: bool,
    /// The guard's bounce-rate threshold, a fraction (default 0.025 = 2.5 %; SES reviews at 5 %).
    #[serde(default = "default_guard_bounce")]
    pub guard_bounce_rate: f64,
    /// The guard's complaint-rate threshold (default 0.0005 = 0.05 %; SES reviews at 0.1 %).
    #[serde(default = "default_guard_complaint")]
    pub guard_complaint_rate: f64,
    /// The guard holds nothing while the window has fewer eligible sends than this (one bounce
    /// among the first few sends is not a rate). Default 100.
    #[serde(default = "default_min_sends")]
    pub min_sends: u64,
    /// What a recipient the guard holds does to its request: `hold` (accepted, stored as held
    /// mail for `bounceguard held release`) or `reject` (the request fails with
    /// `MessageRejected`, and the refusal is recorded).
    #[serde(default)]
    pub on_hold: OnHold,
}

impl Default for ReputationConfig {
    fn default() -> Self {
        Self {
            window: default_window(),
            guard: true,
            guard_bounce_rate: default_guard_bounce(),
            guard_complaint_rate: default_guard_complaint(),
            min_sends: default_min_sends(),
            on_hold: OnHold::default(),
        }
    }
}

impl ReputationConfig {
    /// The thresholds in parts per million: the guard's from the config, SES's fixed.
    pub fn thresholds(&self) -> bounceguard_events::reputation::Thresholds {
        let ppm = |fraction: f64| (fraction.clamp(0.0, 1.0) * 1_000_000.0).round() as u64;
        bounceguard_events::reputation::Thresholds {
            guard_bounce: ppm(self.guard_bounce_rate),
            guard_complaint: ppm(self.guard_complaint_rate),
            ..Default::default()
        }
    }
}

fn default_window() -> usize {
    bounceguard_events::reputation::DEFAULT_WINDOW
}
fn default_true() -> bool {
    true
}
fn default_guard_bounce() -> f64 {
    0.025
}
fn default_guard_complaint() -> f64 {
    0.0005
}
fn default_min_sends() -> u64 {
    100
}

/// What the reputation guard does with a request that has a held recipient.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnHold {
    /// Accept it; the held recipients wait as held mail.
    #[default]
    Hold,
    /// Refuse the whole request with `MessageRejected`.
    Reject,
}

/// `[alerts]`: announcements of reputation-level changes (besides the log line and the metric).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// An HTTP(S) URL that gets a JSON POST on every change of level.
    #[serde(default)]
    pub webhook: Option<String>,
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

/// `[sns]`: the SNS HTTP(S) endpoint that receives SES notifications (ses-spec §7.2).
///
/// Every message must be signed by SNS: its `SigningCertURL` must be `https` on
/// `sns.<region>.amazonaws.com` (fetched once and cached), or be exactly the `url` of one of
/// `trusted_certs` (then that PEM file is the certificate and nothing is fetched). Messages from
/// a topic not in `topics` are refused, so with no topics configured nothing is accepted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnsConfig {
    /// The path of the endpoint. Default `/sns`.
    #[serde(default = "default_sns_path")]
    pub path: String,
    /// Topic ARNs whose messages are applied and whose subscriptions are confirmed.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Certificates accepted without fetching, each for one exact `SigningCertURL` (for tests
    /// and air-gapped setups; such a URL need not be an AWS host).
    #[serde(default)]
    pub trusted_certs: Vec<TrustedCert>,
    /// Origins (`http://127.0.0.1:8080`: scheme, host and port, compared exactly) whose
    /// `SubscribeURL`s are fetched although they are not AWS SNS hosts. For tests only; empty by
    /// default, and never needed in production.
    #[serde(default)]
    pub test_confirm_origins: Vec<String>,
    /// Time limit of one certificate fetch or subscription confirmation, in milliseconds
    /// (default 5000).
    #[serde(default = "default_sns_fetch_timeout_ms")]
    pub fetch_timeout_ms: u64,
}

impl Default for SnsConfig {
    fn default() -> Self {
        Self {
            path: default_sns_path(),
            topics: Vec::new(),
            trusted_certs: Vec::new(),
            test_confirm_origins: Vec::new(),
            fetch_timeout_ms: default_sns_fetch_timeout_ms(),
        }
    }
}

/// `[s3]`: the S3 client of suppression import jobs (standard credential chain). Its own
/// section, not `[delivery]`'s: imports read S3 whatever the transport is, and an SES endpoint
/// (a VPC endpoint, moto) is not an S3 endpoint.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// The bucket's region (default: the gateway's `region`).
    #[serde(default)]
    pub region: Option<String>,
    /// Another endpoint than the region's (MinIO, a VPC endpoint, moto in tests).
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`). Default: on when `endpoint_url` is set.
    #[serde(default)]
    pub force_path_style: Option<bool>,
}

impl Config {
    /// The S3 client settings of import jobs.
    pub fn s3_settings(&self) -> bounceguard_s3::S3Settings {
        bounceguard_s3::S3Settings {
            region: self
                .s3
                .region
                .clone()
                .unwrap_or_else(|| self.region.clone()),
            endpoint_url: self.s3.endpoint_url.clone(),
            force_path_style: self
                .s3
                .force_path_style
                .unwrap_or(self.s3.endpoint_url.is_some()),
        }
    }
}

/// One `[[sns.trusted_certs]]` entry: the certificate in `pem_file` verifies messages whose
/// `SigningCertURL` is exactly `url`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedCert {
    /// The `SigningCertURL` this certificate stands for, compared as a whole string.
    pub url: String,
    /// A PEM X.509 certificate with an RSA key; relative to the config file's directory.
    pub pem_file: PathBuf,
}

/// Paths the rest of the server uses (SES fronts, capture API, health, metrics), which the SNS
/// path must not take over.
const RESERVED_PATHS: &[&str] = &["/", "/healthz", "/metrics"];

impl SnsConfig {
    /// Resolves relative `pem_file`s against `base` and refuses unusable values.
    fn prepare(&mut self, base: Option<&Path>) -> anyhow::Result<()> {
        if let Some(dir) = base {
            for cert in &mut self.trusted_certs {
                if cert.pem_file.is_relative() {
                    cert.pem_file = dir.join(&cert.pem_file);
                }
            }
        }
        if !self.path.starts_with('/')
            || RESERVED_PATHS.contains(&self.path.as_str())
            || self.path.starts_with("/v2/")
            || self.path.starts_with("/api/")
            || self.path.starts_with("/_aws/")
            || self.path.contains(['{', '}', '*'])
        {
            bail!(
                "[sns] path must start with '/' and not be one of the server's own paths, got {:?}",
                self.path
            );
        }
        for origin in &self.test_confirm_origins {
            let url = url::Url::parse(origin)
                .map_err(|e| anyhow::anyhow!("[sns] test_confirm_origins: {origin:?}: {e}"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                bail!("[sns] test_confirm_origins: not an http(s) origin: {origin:?}");
            }
        }
        if self.fetch_timeout_ms == 0 {
            bail!("[sns] fetch_timeout_ms must be positive");
        }
        Ok(())
    }

    /// The fetch time limit.
    pub fn fetch_timeout(&self) -> Duration {
        Duration::from_millis(self.fetch_timeout_ms)
    }
}

fn default_sns_path() -> String {
    "/sns".to_string()
}
fn default_sns_fetch_timeout_ms() -> u64 {
    5000
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
        config.sns.prepare(base)?;
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
        let r = &self.reputation;
        if r.window == 0 {
            bail!("[reputation] window must be at least 1");
        }
        for (name, v) in [
            ("guard_bounce_rate", r.guard_bounce_rate),
            ("guard_complaint_rate", r.guard_complaint_rate),
        ] {
            if !(v > 0.0 && v < 1.0) {
                bail!("[reputation] {name} must be a fraction between 0 and 1, got {v}");
            }
        }
        if let Some(url) = &self.alerts.webhook
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("[alerts] webhook must be an http:// or https:// URL, got {url:?}");
        }
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
        assert_eq!(c.sns.topics.len(), 1);
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
    fn sns_section_defaults_and_checks() {
        let c = Config::from_toml_and_env("", &HashMap::new()).expect("default");
        assert_eq!(c.sns.path, "/sns");
        assert!(c.sns.topics.is_empty(), "no topic is accepted by default");
        assert!(c.sns.test_confirm_origins.is_empty());
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("bg.toml");
        std::fs::write(
            &file,
            "[sns]\npath = \"/hooks/sns\"\ntopics = [\"arn:aws:sns:us-east-1:111122223333:ses\"]\n\
             test_confirm_origins = [\"http://127.0.0.1:9000\"]\n\
             [[sns.trusted_certs]]\nurl = \"https://certs.test.invalid/a.pem\"\npem_file = \"a.pem\"\n",
        )
        .expect("config");
        let c = Config::load(Some(&file), &HashMap::new()).expect("config");
        assert_eq!(c.sns.path, "/hooks/sns");
        assert_eq!(c.sns.topics.len(), 1);
        assert_eq!(c.sns.trusted_certs[0].pem_file, dir.path().join("a.pem"));
        // From the environment, in TOML syntax like the other sections.
        let c = Config::from_toml_and_env(
            "",
            &env(&[(
                "BOUNCEGUARD_SNS",
                "{topics = [\"arn:aws:sns:eu-west-1:111122223333:a\"]}",
            )]),
        )
        .expect("config");
        assert_eq!(c.sns.topics, ["arn:aws:sns:eu-west-1:111122223333:a"]);
        assert_eq!(c.sns.path, "/sns");
        for bad in [
            "[sns]\npath = \"sns\"\n",
            "[sns]\npath = \"/\"\n",
            "[sns]\npath = \"/metrics\"\n",
            "[sns]\npath = \"/v2/email/outbound-emails\"\n",
            "[sns]\ntest_confirm_origins = [\"127.0.0.1:9000\"]\n",
            "[sns]\nfetch_timeout_ms = 0\n",
            "[sns]\nconfirm_any_url = true\n",
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
