//! SES wire codecs, without sockets.
//!
//! Each front turns request bytes into a typed [`bounceguard_core::Operation`] and turns the
//! domain's [`bounceguard_core::Output`] or [`bounceguard_core::SesError`] back into exactly the
//! bytes SES would send: XML for v1 ([`ses_v1`]), JSON for v2 ([`ses_v2`]). [`mime`] reads and
//! writes the messages themselves; [`common`] holds the checks both fronts share.

pub mod common;
pub mod mime;
pub mod ses_v1;
pub mod ses_v2;
