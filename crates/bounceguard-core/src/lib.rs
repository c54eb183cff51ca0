//! The pure domain of bounceguard.
//!
//! Everything here works on plain values: no sockets, no files, no clock reads (time is passed
//! in), no randomness (ids are built from values the caller supplies). The protocol fronts in
//! `bounceguard-wire` decode bytes into these types; the service in `bounceguard` executes them.

pub mod address;
pub mod error;
pub mod ids;
pub mod model;
pub mod stats;
pub mod suppression;

pub use error::{ErrorCode, SesError};
pub use model::*;
pub use suppression::SuppressionReason;
