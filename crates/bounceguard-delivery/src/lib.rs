//! Real delivery for bounceguard, as a library (issue 7, item 1).
//!
//! The service decides per recipient first; a message whose decision is `deliver` for some
//! recipients reaches this crate as one [`Outgoing`] with exactly those recipients. A
//! [`Transport`] sends it once and answers with a [`Sent`] (the MessageId to keep with the send
//! record) or a [`DeliveryError`] carrying an [`SesError`], so each front can render the failure
//! the way SES would (v1 XML, v2 JSON, an SMTP reply).
//!
//! Two transports live here:
//! - [`SesTransport`]: SES v2 `SendEmail` with `Content.Raw` through the official
//!   `aws-sdk-sesv2`, the SDK's own retries off and ours ([`RetryBudget`]) on;
//! - [`SmtpRelay`]: an upstream SMTP relay through `lettre`'s pooled async transport.
//!
//! Capture is the service's own and needs no transport.
//!
//! [`SesPolicies`] reads and writes the account's sending-authorization policies through the
//! same SDK (`bounceguard policy pull|push|diff`).

mod policies;
mod retry;
mod ses;
mod smtp;

use std::future::Future;
use std::pin::Pin;

use bounceguard_core::SesError;
use bytes::Bytes;

pub use policies::{PolicyApiError, SesPolicies};
pub use retry::RetryBudget;
pub use ses::{SesConfig, SesTransport, classify_ses_error};
pub use smtp::{RelayConfigError, SmtpRelay, SmtpRelayConfig, classify_smtp_reply};

/// A boxed, sendable future: what the dyn-compatible [`Transport`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One already-decided message, to be sent once to its `deliver` recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The MessageId bounceguard gave the message; transports that have no id of their own
    /// (the SMTP relay) return it as the [`Sent::message_id`].
    pub message_id_hint: String,
    /// The sender: SES's `FromEmailAddress` and the SMTP `MAIL FROM` (a display-name form
    /// `Name <a@b>` is reduced to the address for SMTP). Empty means the null sender for SMTP.
    pub from: String,
    /// Only the recipients whose decision is `deliver`; they form the envelope, so Cc and Bcc
    /// recipients that were captured or held never see the message.
    pub recipients: Vec<String>,
    /// The full MIME message, exactly as it is to be sent.
    pub raw: Bytes,
    /// SES's configuration set, if the request named one (ignored by the SMTP relay).
    pub configuration_set: Option<String>,
    /// SES message tags (`EmailTags`), name and value (ignored by the SMTP relay).
    pub tags: Vec<(String, String)>,
}

/// A message the transport handed on successfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// SES's own MessageId for the SES transport (later notifications join up with it);
    /// [`Outgoing::message_id_hint`] for the SMTP relay.
    pub message_id: String,
    /// How many attempts it took, the successful one included.
    pub attempts: u32,
}

/// A message the transport could not hand on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("delivery failed after {attempts} attempt(s): {error}")]
pub struct DeliveryError {
    /// The SES error the client gets: SES's own code and text, or the relay's reply mapped
    /// to the nearest SES code.
    pub error: SesError,
    /// How many attempts were made (0 when the message was refused before sending).
    pub attempts: u32,
    /// Whether the last failure was temporary (throttling, 4xx, 5xx, timeout): sending the same
    /// message later may succeed.
    pub temporary: bool,
    /// Whether the retry budget ran out on temporary failures, rather than a permanent failure
    /// ending the attempts.
    pub exhausted: bool,
}

impl DeliveryError {
    /// A permanent refusal before any attempt (e.g. no recipients).
    pub(crate) fn refused(error: SesError) -> Self {
        Self {
            error,
            attempts: 0,
            temporary: false,
            exhausted: false,
        }
    }
}

/// Sends one [`Outgoing`] message to its recipients.
///
/// Boxed futures keep the trait dyn-compatible, so the service can hold an
/// `Arc<dyn Transport>` chosen from its config.
pub trait Transport: Send + Sync {
    /// Sends the message, retrying temporary failures inside the transport's budget.
    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Sent, DeliveryError>>;

    /// The transport's name in config and logs (`"ses"`, `"smtp"`).
    fn name(&self) -> &'static str;
}
