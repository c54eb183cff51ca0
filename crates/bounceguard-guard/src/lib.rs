//! The recipient guard's pure decision logic (DESIGN.md, "Decisions per recipient"; issue 4).
//!
//! No I/O, no clock reads, no async: what the service found out (suppression entry, DNS answer,
//! reputation state, delivery history) comes in as [`Facts`]. The sending-authorization policy is
//! checked before any of this runs.
//!
//! - [`normalize`](mod@normalize): the canonical address every comparison uses.
//! - [`route`]: `[[routes]]` configuration and matching.
//! - [`allowlist`]: `[[mailboxes]]`, the staging allow-list.
//! - [`decision`]: the [`Guard`] and the per-recipient [`Decision`] in DESIGN.md's order.
//! - [`validate`](mod@validate): verdicts for the tools' validation API.
//! - [`insights`](mod@insights): SES v2 `GetEmailAddressInsights`-style confidences.
//! - [`generate`](mod@generate): unique test addresses for load tests and dummy accounts.
//!
//! Address syntax itself (SES's rules and texts) lives in `bounceguard_core::address`.

pub mod allowlist;
pub mod decision;
pub mod generate;
pub mod insights;
pub mod normalize;
pub mod reserved;
pub mod route;
pub mod simulator;
pub mod validate;

pub use allowlist::{AllowList, AllowMatch, MailboxConfig, MailboxEntry};
pub use decision::{
    Action, Decision, DomainCheck, Facts, Guard, GuardConfig, Routed, Step, SuppressionReason,
    decide,
};
pub use generate::{GenerateError, GenerateFormat, Generated, generate};
pub use insights::{Confidence, Insights, insights};
pub use normalize::{NormalizeError, NormalizeOptions, Normalized, normalize};
pub use reserved::is_reserved_test_domain;
pub use route::{ConfigError, Route, RouteAction, RouteConfig};
pub use simulator::SimulatorOutcome;
pub use validate::{Verdict, VerdictKind, validate};
