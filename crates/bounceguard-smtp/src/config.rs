//! Limits and switches of the submission listener, filled in by the service from its config file.

use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls::ServerConfig;

/// SES's limit on recipients per message (ses-spec §9); over SMTP it applies to RCPT TO.
pub const SES_MAX_RECIPIENTS: usize = 50;

/// SES's limit on a message sent through the v2 API or SMTP: 40 MB (ses-spec §9).
pub const SES_MAX_MESSAGE_SIZE: usize = 41_943_040;

/// How one SMTP submission listener behaves: its name, its limits and its security rules.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    /// The name the server gives itself in the greeting and the EHLO reply.
    pub hostname: String,
    /// Longest line, CRLF included, in commands and in message text; longer lines get
    /// `500 Line too long`. RFC 5321 says 1000 for text lines, real clients exceed it.
    pub max_line_length: usize,
    /// Largest message in bytes (after dot-unstuffing); advertised with `SIZE` and answered with 552.
    pub max_message_size: usize,
    /// Most RCPT TO per transaction; the next one is refused and the DATA of that transaction too.
    pub max_recipients: usize,
    /// Most command lines (AUTH exchanges included) in one connection before it is closed.
    pub max_commands: usize,
    /// How long the server waits for the client to send anything before it gives up.
    pub idle_timeout: Duration,
    /// Most connections served at once by [`crate::serve`]; the next ones get `421` and are closed.
    pub max_connections: usize,
    /// Certificate and key for STARTTLS; `None` means STARTTLS is not offered.
    pub tls: Option<Arc<ServerConfig>>,
    /// Whether MAIL FROM needs a successful AUTH first (the service sets it for non-loopback
    /// addresses).
    pub auth_required: bool,
    /// Whether AUTH is accepted on a connection that has not done STARTTLS.
    pub allow_plaintext_auth: bool,
    /// Whether to advertise ENHANCEDSTATUSCODES and put `x.y.z` codes in replies. SES does not,
    /// so it is off by default and replies carry SES's bare texts (`554 Access denied: …`).
    pub enhanced_status_codes: bool,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            hostname: "bounceguard".to_owned(),
            max_line_length: 4096,
            max_message_size: SES_MAX_MESSAGE_SIZE,
            max_recipients: SES_MAX_RECIPIENTS,
            max_commands: 1000,
            idle_timeout: Duration::from_secs(300),
            max_connections: 256,
            tls: None,
            auth_required: false,
            allow_plaintext_auth: false,
            enhanced_status_codes: false,
        }
    }
}
