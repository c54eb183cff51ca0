//! The SMTP submission listener of bounceguard, as a library (issue 7, item 3).
//!
//! Applications that speak SMTP to SES's SMTP interface point at this listener instead. A
//! session ([`SmtpService::handle`]) is generic over its stream, so tests drive it through
//! `tokio::io::duplex` and assert transcripts; [`serve`] runs it on a TCP listener with a
//! connection cap and graceful shutdown.
//!
//! The crate decides nothing about a mail. The service plugs in two traits:
//! - [`Authenticator`] checks AUTH PLAIN / LOGIN credentials ([`CredentialTable`] is a ready one
//!   that accepts the secret or the SES SMTP password derived with [`ses_smtp_password`]);
//! - [`Submitter`] takes the [`Envelope`] after DATA through the guard and answers with a
//!   MessageId or a [`Reply`] (see [`Reply::from_ses_error`] for SES's SMTP texts).
//!
//! Supported: EHLO/HELO (SIZE, 8BITMIME, PIPELINING, STARTTLS, AUTH PLAIN LOGIN), MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT, VRFY (always 252), EXPN (502), with limits on line length, message
//! size, recipients, commands per session, idle time and connections.

mod auth;
mod config;
mod envelope;
mod reply;
mod server;
mod session;

pub use auth::{Authenticator, BoxFuture, CredentialTable, ses_smtp_password};
pub use config::{SES_MAX_MESSAGE_SIZE, SES_MAX_RECIPIENTS, SmtpConfig};
pub use envelope::{Envelope, Submitter};
pub use reply::Reply;
pub use server::serve;
pub use session::{SessionError, SmtpService};

/// The rustls types a caller needs to build [`SmtpConfig::tls`], re-exported so that the
/// service uses the same rustls (with the aws-lc-rs provider) as this crate.
pub use tokio_rustls::rustls;
