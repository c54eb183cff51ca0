//! The SMTP relay transport: the raw message with our envelope, through `lettre`'s pooled async
//! SMTP client.
//!
//! The relay's replies are mapped to the SES codes the fronts know: a 4xx reply is temporary
//! (retried in the budget, then `Throttling` with the relay's text, which the SMTP front renders
//! as `454 Throttling failure: …` and the v2 front as 429); a 5xx reply is `MessageRejected`
//! with the relay's text. The MessageId is ours, since a relay has no id SES would know.

use std::time::Duration;

use bounceguard_core::{ErrorCode, SesError};
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::retry::{Failure, RetryBudget, with_retries};
use crate::{BoxFuture, DeliveryError, Outgoing, Sent, Transport};

/// Where the relay is and how the transport treats it.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpRelayConfig {
    /// The relay URL, in lettre's syntax: `smtp://host:port` (plain),
    /// `smtp://host:port?tls=opportunistic` or `?tls=required` (STARTTLS), `smtps://host:port`
    /// (implicit TLS); `user:password@` before the host turns AUTH on (percent-encoded).
    pub url: String,
    /// Most pooled connections to the relay.
    pub pool_max_size: u32,
    /// How long a pooled connection may sit idle before it is closed.
    pub pool_idle_timeout: Duration,
    /// Longest wait for any one SMTP reply.
    pub command_timeout: Duration,
    /// Our retry budget for temporary failures (4xx, connection errors, timeouts).
    pub retry: RetryBudget,
    /// DER-encoded CA certificates trusted for the relay's TLS certificate in addition to the
    /// platform's (a relay with an internal CA). Empty: the platform's roots only.
    pub root_certificates: Vec<Vec<u8>>,
}

impl std::fmt::Debug for SmtpRelayConfig {
    // The URL may carry the relay password; never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRelayConfig")
            .field("url", &"<redacted>")
            .field("pool_max_size", &self.pool_max_size)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("retry", &self.retry)
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl SmtpRelayConfig {
    /// A config for `url` with a pool of 10 connections idle up to 60 s, a 30 s reply timeout
    /// and the default retry budget.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_max_size: 10,
            pool_idle_timeout: Duration::from_secs(60),
            command_timeout: Duration::from_secs(30),
            retry: RetryBudget::default(),
            root_certificates: Vec::new(),
        }
    }
}

/// The relay URL could not be turned into a transport.
#[derive(Debug, thiserror::Error)]
pub enum RelayConfigError {
    /// The URL is malformed, names an unknown scheme or `tls` value, or TLS cannot be set up.
    #[error("invalid SMTP relay URL: {0}")]
    Url(#[source] lettre::transport::smtp::Error),
    /// The URL does not parse (reported when the TLS settings are rebuilt).
    #[error("invalid SMTP relay URL: {0}")]
    Parse(#[source] url::ParseError),
    /// A root certificate is not valid DER, or the TLS settings cannot be built from it.
    #[error("invalid SMTP relay TLS settings: {0}")]
    Tls(#[source] lettre::transport::smtp::Error),
}

/// Sends through an upstream SMTP relay; the MessageId returned is [`Outgoing::message_id_hint`].
#[derive(Clone)]
pub struct SmtpRelay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    retry: RetryBudget,
}

impl std::fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl SmtpRelay {
    /// Builds the pooled transport; no connection is opened until the first send.
    ///
    /// Call it inside a Tokio runtime: the pool starts its idle-connection reaper task here.
    pub fn new(config: &SmtpRelayConfig) -> Result<Self, RelayConfigError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url)
            .map_err(RelayConfigError::Url)?;
        if let Some(tls) = tls_with_extra_roots(&config.url, &config.root_certificates)? {
            builder = builder.tls(tls);
        }
        let transport = builder
            .timeout(Some(config.command_timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(config.pool_max_size.max(1))
                    .idle_timeout(config.pool_idle_timeout),
            )
            .build();
        Ok(Self {
            transport,
            retry: config.retry,
        })
    }

    async fn deliver(&self, msg: &Outgoing) -> Result<Sent, DeliveryError> {
        let envelope = envelope_of(msg).map_err(DeliveryError::refused)?;
        let data = data_for_lettre(&msg.raw);
        let ((), attempts) = with_retries(&self.retry, fastrand::f64, || async {
            self.transport
                .send_raw(&envelope, data)
                .await
                .map(|_| ())
                .map_err(|e| failure_of(&e))
        })
        .await?;
        Ok(Sent {
            message_id: msg.message_id_hint.clone(),
            attempts,
        })
    }
}

impl Transport for SmtpRelay {
    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Sent, DeliveryError>> {
        Box::pin(self.deliver(msg))
    }

    fn name(&self) -> &'static str {
        "smtp"
    }
}

/// How the URL asks for TLS, in lettre's terms (`smtps` → implicit, `?tls=required` /
/// `?tls=opportunistic` → STARTTLS, else none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    Implicit,
    Required,
    Opportunistic,
}

fn tls_mode(url: &url::Url) -> Option<TlsMode> {
    if url.scheme() == "smtps" {
        return Some(TlsMode::Implicit);
    }
    let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v);
    match tls.as_deref() {
        Some("required") => Some(TlsMode::Required),
        Some("opportunistic") => Some(TlsMode::Opportunistic),
        _ => None,
    }
}

/// lettre's `from_url` trusts the platform's roots only; with extra roots the TLS settings are
/// rebuilt here for the same mode and host (`None` when nothing needs to change).
fn tls_with_extra_roots(url: &str, roots: &[Vec<u8>]) -> Result<Option<Tls>, RelayConfigError> {
    if roots.is_empty() {
        return Ok(None);
    }
    let parsed = url::Url::parse(url).map_err(RelayConfigError::Parse)?;
    let (Some(mode), Some(host)) = (tls_mode(&parsed), parsed.host_str()) else {
        return Ok(None);
    };
    let mut params = TlsParameters::builder(host.to_owned());
    for der in roots {
        let certificate = Certificate::from_der(der.clone()).map_err(RelayConfigError::Tls)?;
        params = params.add_root_certificate(certificate);
    }
    let params = params.build_rustls().map_err(RelayConfigError::Tls)?;
    Ok(Some(match mode {
        TlsMode::Implicit => Tls::Wrapper(params),
        TlsMode::Required => Tls::Required(params),
        TlsMode::Opportunistic => Tls::Opportunistic(params),
    }))
}

/// The bytes to hand to lettre so that the relay receives exactly `raw`.
///
/// lettre always ends the data with `CRLF . CRLF`; by RFC 5321 the first CRLF of that belongs
/// to the message's last line, so a message that already ends with CRLF would arrive with an
/// extra empty line. Dropping one trailing CRLF here keeps the bytes as they were.
fn data_for_lettre(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\r\n").unwrap_or(raw)
}

/// The bare address of `Name <a@b>` or `a@b`.
fn bare_address(text: &str) -> &str {
    let text = text.trim();
    match (text.rfind('<'), text.ends_with('>')) {
        (Some(open), true) => &text[open + 1..text.len() - 1],
        _ => text,
    }
}

fn parse_address(text: &str) -> Result<Address, SesError> {
    bare_address(text)
        .parse::<Address>()
        .map_err(|e| SesError::invalid(format!("{e}: {text}")))
}

/// MAIL FROM (none for an empty sender, the null sender `<>`) and RCPT TO of the message.
fn envelope_of(msg: &Outgoing) -> Result<Envelope, SesError> {
    if msg.recipients.is_empty() {
        return Err(SesError::rejected("There are no recipients specified."));
    }
    let from = match bare_address(&msg.from) {
        "" => None,
        _ => Some(parse_address(&msg.from)?),
    };
    let to = msg
        .recipients
        .iter()
        .map(|r| parse_address(r))
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(from, to).map_err(|e| SesError::invalid(e.to_string()))
}

fn failure_of(error: &lettre::transport::smtp::Error) -> Failure {
    use std::error::Error as _;
    let (error, retryable) = if let Some(code) = error.status() {
        let text = error.source().map(|s| s.to_string()).unwrap_or_default();
        classify_smtp_reply(u16::from(code), &text)
    } else if error.is_timeout()
        || !(error.is_client() || error.is_response() || error.is_tls() || is_invalid_data(error))
    {
        // Connection refused or reset, network errors, a pool shut down: try again.
        tracing::warn!(%error, "SMTP relay unreachable");
        (
            SesError::new(
                ErrorCode::ServiceUnavailable,
                "The SMTP relay could not be reached.",
            ),
            true,
        )
    } else {
        tracing::error!(%error, "SMTP relay conversation failed");
        (SesError::internal(), false)
    };
    Failure { error, retryable }
}

/// Whether an I/O error of kind `InvalidData` is in the chain: how a failed TLS handshake
/// (e.g. an untrusted certificate) surfaces through lettre. Retrying it cannot help.
fn is_invalid_data(error: &lettre::transport::smtp::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::InvalidData;
        }
        source = e.source();
    }
    false
}

/// Maps a negative relay reply (code and text) to an SES error and whether to retry.
///
/// 4xx is temporary: `Throttling` with the relay's text, retried. 530/534/535/538 mean the
/// relay refused *our* credentials: `InternalFailure`, not retried, the text logged instead of
/// shown. Any other 5xx is `MessageRejected` with the relay's text.
pub fn classify_smtp_reply(code: u16, text: &str) -> (SesError, bool) {
    match code {
        400..=499 => (SesError::new(ErrorCode::Throttling, text), true),
        530 | 534 | 535 | 538 => {
            tracing::error!(code, text, "SMTP relay refused bounceguard's credentials");
            (SesError::internal(), false)
        }
        500..=599 => (SesError::rejected(text), false),
        _ => {
            tracing::error!(code, text, "SMTP relay sent an unexpected reply");
            (SesError::internal(), false)
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn outgoing(from: &str, recipients: &[&str]) -> Outgoing {
        Outgoing {
            message_id_hint: "id".to_owned(),
            from: from.to_owned(),
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
            raw: Bytes::from_static(b"Subject: x\r\n\r\nx\r\n"),
            configuration_set: None,
            tags: vec![],
        }
    }

    #[test]
    fn replies_map_by_class() {
        let (e, retry) = classify_smtp_reply(451, "Temporary local problem");
        assert_eq!(
            (e.code, e.message.as_str(), retry),
            (ErrorCode::Throttling, "Temporary local problem", true)
        );
        let (e, retry) = classify_smtp_reply(550, "Mailbox unavailable");
        assert_eq!(
            (e.code, e.message.as_str(), retry),
            (ErrorCode::MessageRejected, "Mailbox unavailable", false)
        );
        let (e, retry) = classify_smtp_reply(535, "Authentication failed");
        assert_eq!(e.code, ErrorCode::InternalFailure);
        assert!(!retry);
    }

    #[test]
    fn envelope_uses_bare_addresses_and_null_sender() {
        let env = envelope_of(&outgoing("Shop <no-reply@shop.example>", &["a@x.example"]));
        let env = env.ok();
        assert_eq!(
            env.as_ref().and_then(|e| e.from()).map(ToString::to_string),
            Some("no-reply@shop.example".to_owned())
        );
        assert_eq!(
            env.map(|e| e.to().iter().map(ToString::to_string).collect::<Vec<_>>()),
            Some(vec!["a@x.example".to_owned()])
        );
        let null = envelope_of(&outgoing("", &["a@x.example"])).ok();
        assert_eq!(null.map(|e| e.from().is_none()), Some(true));
    }

    #[test]
    fn bad_addresses_and_no_recipients_are_refused() {
        assert_eq!(
            envelope_of(&outgoing("a@x.example", &[]))
                .err()
                .map(|e| e.code),
            Some(ErrorCode::MessageRejected)
        );
        assert_eq!(
            envelope_of(&outgoing("a@x.example", &["not an address"]))
                .err()
                .map(|e| e.code),
            Some(ErrorCode::InvalidParameterValue)
        );
    }

    #[test]
    fn one_trailing_crlf_is_left_to_lettre() {
        assert_eq!(data_for_lettre(b"a\r\nb\r\n"), b"a\r\nb");
        assert_eq!(data_for_lettre(b"a\r\n\r\n"), b"a\r\n");
        assert_eq!(data_for_lettre(b"a\r\nb"), b"a\r\nb");
    }

    #[test]
    fn config_debug_hides_the_password() {
        let config = SmtpRelayConfig::new("smtp://user:s3cret@relay.example:587");
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn tls_mode_follows_scheme_and_parameter() {
        let mode = |u: &str| url::Url::parse(u).ok().and_then(|u| tls_mode(&u));
        assert_eq!(mode("smtps://relay.example"), Some(TlsMode::Implicit));
        assert_eq!(
            mode("smtp://relay.example:587?tls=required"),
            Some(TlsMode::Required)
        );
        assert_eq!(
            mode("smtp://relay.example:587?tls=opportunistic"),
            Some(TlsMode::Opportunistic)
        );
        assert_eq!(mode("smtp://relay.example:25"), None);
    }

    #[tokio::test]
    async fn bad_root_certificate_is_a_config_error() {
        let mut config = SmtpRelayConfig::new("smtp://relay.example:587?tls=required");
        config.root_certificates = vec![b"not DER".to_vec()];
        assert!(matches!(
            SmtpRelay::new(&config),
            Err(RelayConfigError::Tls(_))
        ));
    }

    #[tokio::test]
    async fn unknown_scheme_is_a_config_error() {
        assert!(SmtpRelay::new(&SmtpRelayConfig::new("http://relay.example")).is_err());
        assert!(SmtpRelay::new(&SmtpRelayConfig::new("smtp://relay.example:2525")).is_ok());
    }
}
