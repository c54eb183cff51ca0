//! Configuration: an optional TOML file, then `BOUNCEGUARD_<KEY>` environment variables.
//!
//! With neither, `bounceguard serve` starts safely: loopback only, a SQLite file in the working
//! directory, the capture transport (nothing leaves the machine), no authentication.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

/// Prefix of the environment variables that override top-level keys.
pub const ENV_PREFIX: &str = "BOUNCEGUARD_";

/// Top-level keys whose environment override is taken as a plain string (never parsed as TOML),
/// so `BOUNCEGUARD_ACCOUNT_ID=000000000000` stays a string of twelve zeros.
const STRING_KEYS: &[&str] = &["listen", "database", "account_id", "region", "auth"];

/// Top-level keys whose environment override takes TOML syntax (arrays, inline tables).
const TOML_KEYS: &[&str] = &["identities", "credentials", "quota", "delivery"];

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
    /// The transport; only `capture` exists so far.
    #[serde(default)]
    pub transport: Transport,
}

/// The delivery transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Keep the message for people to read; never send it.
    #[default]
    Capture,
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
        Self::from_toml_and_env(&text, env)
    }

    /// Parses TOML text, then applies `BOUNCEGUARD_<KEY>` overrides from `env`.
    pub fn from_toml_and_env(text: &str, env: &HashMap<String, String>) -> anyhow::Result<Self> {
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
        config.validate()?;
        Ok(config)
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
    fn bad_values_are_refused() {
        assert!(Config::from_toml_and_env("account_id = \"12\"", &HashMap::new()).is_err());
        assert!(Config::from_toml_and_env("auth = \"sigv4\"", &HashMap::new()).is_err());
        assert!(Config::from_toml_and_env("listn = \"x\"", &HashMap::new()).is_err());
    }
}
