//! What the session hands to the service after DATA, and the trait that receives it.

use std::net::SocketAddr;

use bytes::Bytes;

use crate::auth::BoxFuture;
use crate::reply::Reply;

/// One message as submitted over SMTP: the envelope, the dot-unstuffed text and who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The MAIL FROM address, without angle brackets; empty for the null sender `<>`.
    pub mail_from: String,
    /// The accepted RCPT TO addresses, in order.
    pub rcpt_to: Vec<String>,
    /// The message text after dot-unstuffing, ending with the CRLF before the final dot.
    pub data: Bytes,
    /// The principal the AUTH credential stands for; `None` when the session did not authenticate.
    pub principal: Option<String>,
    /// The client's address.
    pub peer: SocketAddr,
    /// Whether the message came over TLS (after STARTTLS).
    pub tls: bool,
}

/// Takes a submitted message through the guard and the transport.
///
/// `Ok` carries the MessageId (the session answers `250 Ok <id>`); `Err` carries the reply to
/// send, usually built with [`Reply::from_ses_error`].
pub trait Submitter: Send + Sync {
    /// Submits one message.
    fn submit(&self, envelope: Envelope) -> BoxFuture<'_, Result<String, Reply>>;
}
