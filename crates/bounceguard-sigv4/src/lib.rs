//! Server-side AWS Signature Version 4 verification for the SES APIs (`ses-spec.md` §3).
//!
//! Written by hand on purpose. The only server-side verifier on crates.io,
//! scratchstack-aws-signature, has a single maintainer, old dependencies (regex, derive_builder,
//! lazy_static) and its own error wording, while bounceguard must answer with SES's exact codes
//! and texts. `aws-sigv4` only signs (it is used here as a test oracle). The crypto is `hmac` +
//! `sha2`, the comparison constant-time (`subtle`).
//!
//! Use [`Verifier::verify`] with the request parts, the current time and a secret-key lookup,
//! or [`Verifier::begin`] + [`Pending::complete`] when the lookup is async. Failures are
//! [`SigV4Error`]s, which convert into [`bounceguard_core::SesError`].
//!
//! Checks run in the order AWS services apply them (recorded responses show it):
//! both/neither auth form → missing parts → date format → clock skew (15 min) and
//! `X-Amz-Expires` → `host` signed → algorithm → credential shape → credential scope →
//! access key → signature → body hash.
//!
//! Presigned requests get the same ±15-minute window (non-S3 AWS services such as STS ignore a
//! longer `X-Amz-Expires`); a shorter `X-Amz-Expires` that has run out gives `RequestExpired`.
//! An `X-Amz-Content-SHA256` header is what gets signed, and unless it is `UNSIGNED-PAYLOAD` it
//! must also hash the body that arrived. Session tokens are reported, not validated.

mod canonical;
mod error;
mod verifier;

pub use error::{SIGNATURE_MISMATCH_TEXT, SigV4Error};
pub use verifier::{Pending, SignedRequest, Verified, Verifier};
