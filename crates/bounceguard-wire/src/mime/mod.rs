//! Reading and writing MIME messages.
//!
//! - [`raw_send`] turns a raw message plus its request parameters into a [`SendRequest`],
//!   applying SES's rules for raw sends (ses-spec §1.4). Parsing is `mail-parser`'s; the rules
//!   (which address wins, the `X-SES-*` headers, SES's error texts) are SES's own and written here.
//! - [`build_simple`] writes the message SES would send for `Content::Simple` (`mail-builder`).
//! - [`summarize`] reads a stored message back for people (`mail-parser`).

mod build;
mod raw;
mod summary;

pub use build::build_simple;
pub use raw::{MAX_LINE_LEN, RawSendParams, raw_send};
pub use summary::{AttachmentView, MessageView, summarize};
