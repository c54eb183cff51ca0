//! The SMTP door: `bounceguard-smtp`'s listener with the gateway behind it.
//!
//! After DATA a message takes exactly the path of `SendRawEmail`: SES's raw-message rules
//! (envelope recipients as `Destinations`, MAIL FROM as `Source`), then policy (action
//! `ses:SendRawEmail`, `ses:ApiVersion` "2", as SES counts its SMTP interface), then the guard
//! per recipient, then the store. Errors come back with SES's SMTP texts
//! (`554 Access denied: …`).
//!
//! AUTH accepts the `[[credentials]]` access key id as user name with either the secret key or
//! the SES SMTP password derived from it for this region. AUTH is required whenever the HTTP
//! APIs require SigV4, and on any non-loopback address unless `auth = "none"`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use bounceguard_core::{ApiVersion, Operation, Output, SendAction};
use bounceguard_smtp::rustls::{self, pki_types};
use bounceguard_smtp::{BoxFuture, CredentialTable, Envelope, Reply, SmtpConfig, Submitter};
use bounceguard_wire::mime::{RawSendParams, raw_send};

use crate::auth::Caller;
use crate::config::{AuthMode, Config};
use crate::service::Gateway;

/// Hands submitted messages to the gateway.
pub struct GatewaySubmitter {
    gateway: Arc<Gateway>,
    account_id: String,
}

impl GatewaySubmitter {
    /// A submitter in front of `gateway`.
    pub fn new(gateway: Arc<Gateway>) -> Self {
        let account_id = gateway.config().account_id.clone();
        Self {
            gateway,
            account_id,
        }
    }

    async fn submit_inner(&self, envelope: Envelope) -> Result<String, Reply> {
        let params = RawSendParams {
            source: (!envelope.mail_from.is_empty()).then(|| envelope.mail_from.clone()),
            destinations: Some(envelope.rcpt_to.clone()),
            ..RawSendParams::default()
        };
        let mut request = raw_send(ApiVersion::V2, envelope.data, params)
            .map_err(|e| Reply::from_ses_error(&e))?;
        request.action = SendAction::SendRawEmail;
        // Unauthenticated sessions (loopback, open mode) act as the account's own "smtp" user,
        // as HTTP requests without SigV4 act as their claimed key.
        let principal = envelope
            .principal
            .unwrap_or_else(|| format!("arn:aws:iam::{}:user/smtp", self.account_id));
        let caller = Caller {
            access_key_id: "smtp".to_string(),
            principal,
            source_ip: Some(envelope.peer.ip()),
            user_agent: Some("smtp".to_string()),
        };
        match self
            .gateway
            .execute(Operation::Send(Box::new(request)), &caller)
            .await
        {
            Ok(Output::MessageId(id)) => Ok(id),
            Ok(_) => Err(Reply::temporary_failure()),
            Err(e) => Err(Reply::from_ses_error(&e)),
        }
    }
}

impl Submitter for GatewaySubmitter {
    fn submit(&self, envelope: Envelope) -> BoxFuture<'_, Result<String, Reply>> {
        Box::pin(self.submit_inner(envelope))
    }
}

/// The accepted AUTH credentials: `[[credentials]]`, with their principals.
pub fn credential_table(config: &Config) -> CredentialTable {
    let mut table = CredentialTable::new([config.region.clone()]);
    for c in &config.credentials {
        let principal = c.principal.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:iam::{}:user/{}",
                config.account_id, c.access_key_id
            )
        });
        table.insert(&c.access_key_id, &c.secret_access_key, principal);
    }
    table
}

/// The listener's configuration for `listen`.
pub fn smtp_config(config: &Config, listen: SocketAddr) -> anyhow::Result<SmtpConfig> {
    let tls = match (&config.smtp.tls_cert, &config.smtp.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(tls_config(cert, key)?)),
        _ => None,
    };
    let auth_required = config.sigv4_enforced()
        || (!listen.ip().is_loopback() && config.auth != Some(AuthMode::None));
    Ok(SmtpConfig {
        hostname: config
            .smtp
            .hostname
            .clone()
            .unwrap_or_else(|| "bounceguard".to_string()),
        tls,
        auth_required,
        allow_plaintext_auth: config.smtp.allow_plain_auth,
        ..SmtpConfig::default()
    })
}

fn tls_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    use pki_types::pem::PemObject;
    let certs = pki_types::CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading [smtp] tls_cert {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing [smtp] tls_cert {}", cert.display()))?;
    let key = pki_types::PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading [smtp] tls_key {}", key.display()))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("[smtp] tls_cert and tls_key do not make a usable certificate")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(toml: &str) -> Config {
        Config::from_toml_and_env(toml, &HashMap::new()).expect("config")
    }

    #[test]
    fn auth_is_required_with_credentials_or_off_loopback() {
        let loopback: SocketAddr = "127.0.0.1:2525".parse().expect("addr");
        let public: SocketAddr = "0.0.0.0:2525".parse().expect("addr");
        let open = config("");
        assert!(!smtp_config(&open, loopback).expect("smtp").auth_required);
        let none = config("listen = \"0.0.0.0:8585\"\nauth = \"none\"\n");
        assert!(!smtp_config(&none, public).expect("smtp").auth_required);
        let signed = config("[[credentials]]\naccess_key_id = \"AK\"\nsecret_access_key = \"s\"\n");
        assert!(smtp_config(&signed, loopback).expect("smtp").auth_required);
        assert!(smtp_config(&open, public).expect("smtp").auth_required);
    }

    #[test]
    fn credentials_accept_the_secret_and_the_derived_password() {
        let c = config(
            "region = \"eu-west-1\"\n[[credentials]]\naccess_key_id = \"AK\"\nsecret_access_key = \"s3cret\"\n",
        );
        let table = credential_table(&c);
        let principal = Some("arn:aws:iam::000000000000:user/AK".to_string());
        assert_eq!(table.check("AK", "s3cret"), principal);
        let derived = bounceguard_smtp::ses_smtp_password("s3cret", "eu-west-1");
        assert_eq!(table.check("AK", &derived), principal);
        let other_region = bounceguard_smtp::ses_smtp_password("s3cret", "us-east-1");
        assert_eq!(table.check("AK", &other_region), None);
    }
}
