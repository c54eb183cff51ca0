//! The account suppression list's pure parts (issue 5, ses-spec §2.4 and §6).
//!
//! - [`SuppressionIndex`]: the in-memory index consulted on every send, keyed by the xxh3-64
//!   hash of the *normalised* address. The store is the source of truth; the index is rebuilt
//!   from it at start and kept in step with every change.
//! - [`csv`]: SES's bulk import/export format (`address,REASON`, no header row), read as a
//!   stream that reports bad lines without stopping.
//! - [`import`]: the data sources of import jobs (CSV and newline-delimited JSON, PUT and
//!   DELETE), read the same way.

pub mod csv;
pub mod import;
mod index;

pub use bounceguard_guard::SuppressionReason;
pub use index::{IndexKey, SuppressionIndex, hash};
