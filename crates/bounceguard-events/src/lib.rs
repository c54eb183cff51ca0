//! Events and reputation, the pure core of issue 6.
//!
//! - [`ses`]: SES event JSON (identity notifications and event publishing), parsed and built.
//! - [`sns`]: the SNS envelope, its canonical string to sign, and signature verification with
//!   a pinned certificate URL, a certificate cache and a pluggable fetcher (no HTTP client here).
//! - [`reputation`]: bounce and complaint rates over a window of the last N eligible sends, the
//!   levels (HEALTHY / WARNING / PROBATION / SHUTDOWN), the guard's `would_cross` and the
//!   recovery projection.
//! - [`simulator`]: the events SES sends for mailbox-simulator recipients.
//!
//! No I/O, no clock reads: times and stored outcomes are passed in, so every instance that reads
//! the same rows computes the same numbers.

pub mod reputation;
pub mod ses;
pub mod simulator;
pub mod sns;

pub use reputation::{
    DEFAULT_WINDOW, GuardVerdict, Level, Ppm, Recovery, ReputationWindow, SendClass, SendOutcome,
    Thresholds, WindowCounts, WindowError,
};
pub use ses::{
    Bounce, BounceSubType, BounceType, BouncedRecipient, Channel, CommonHeaders,
    ComplainedRecipient, Complaint, DelayedRecipient, Delivery, DeliveryDelay, EventDetail,
    EventError, EventType, Header, Mail, Reject, SesEvent, SesMessage, SesTime, SuppressionCause,
    Tags, parse_message,
};
pub use simulator::{SimulationContext, outcome_of, simulate};
pub use sns::{
    CertFetcher, FetchError, FetchFuture, NoFetch, SnsEnvelope, SnsError, SnsMessageType,
    SnsVerifier, check_signing_cert_url, check_subscribe_url, parse_envelope,
};
