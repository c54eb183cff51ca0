//! SES sending-authorization (identity) policies: parse, validate, evaluate, explain.
//!
//! - [`Policy::parse`] validates a JSON document the way SES does when it is stored
//!   (`InvalidPolicy` texts via [`PolicyError`]) and compiles it: wildcard patterns, IP networks,
//!   dates and numbers are parsed once, so evaluation allocates nothing on the send path.
//! - [`decide`] answers Allow/Deny with the deciding statement (send path); [`evaluate`] gives
//!   the same answer plus a trace of every statement and condition (the what-if tester).
//! - [`access_denied`] builds SES's exact AccessDenied error for a denied send.
//!
//! Why not `iam-rs` (weighed in DEPENDENCIES.md): 0.8.0 reports only a per-statement
//! "conditions satisfied" flag and a reason string, not per-condition results (its condition
//! evaluator is private and short-circuits); it rebuilds its inputs on every evaluation
//! (condition values converted back to JSON, IP networks re-parsed, two `Vec<char>` per wildcard
//! match); and SES's store-time validation (known keys, the one-identity `Resource`) would have
//! been ours anyway. The grammar is small, so the evaluator is written here and pinned by the
//! case table in `tests/fixtures/cases.json`.
//!
//! Everything is pure: no I/O, and time comes in with the request.

mod condition;
mod context;
mod error;
mod eval;
mod fuzz;
mod json;
mod policy;
mod principal;
mod wildcard;

use bounceguard_core::{ErrorCode, SesError};

pub use context::{ConditionKey, RequestContext};
pub use error::PolicyError;
pub use eval::{
    ConditionTrace, Decision, Evaluation, Outcome, PolicyTrace, Reason, StatementRef,
    StatementTrace, decide, evaluate,
};
#[doc(hidden)]
pub use fuzz::fuzz_one;
pub use policy::{Effect, Policy, StatementInfo, declared_resource, supported_condition_keys};

/// At most this many policies per identity (ses-spec §4.5); the store enforces it.
pub const MAX_POLICIES_PER_IDENTITY: usize = 20;

/// A policy document may not exceed this many bytes.
pub const MAX_POLICY_SIZE: usize = 4096;

/// A policy name has at most this many characters.
pub const MAX_POLICY_NAME_LEN: usize = 64;

/// Checks a policy name: 1–64 characters, each `A-Z`, `a-z`, `0-9`, `-` or `_`.
///
/// The error is `InvalidParameterValue` with floci's text (ses-spec §1.7); the wire code SES
/// uses here is not recorded anywhere we know of.
pub fn validate_policy_name(name: &str) -> Result<(), SesError> {
    let ok = (1..=MAX_POLICY_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(SesError::new(
            ErrorCode::InvalidParameterValue,
            "PolicyName is invalid. Policy names must only include alpha-numeric characters, dashes, and underscores.",
        ))
    }
}

/// The `LimitExceeded` error for a 21st policy on `identity` (floci's text, ses-spec §1.7).
pub fn too_many_policies(identity: &str) -> SesError {
    SesError::new(
        ErrorCode::LimitExceeded,
        format!(
            "Number of policies for {identity} exceeds max allowed number of policies per resource"
        ),
    )
}

/// SES's AccessDenied text for a denied send (ses-spec §1.8): each value opens with a backtick
/// and closes with an apostrophe.
pub fn access_denied_message(principal_arn: &str, action: &str, resource_arn: &str) -> String {
    format!(
        "User `{principal_arn}' is not authorized to perform `{action}' on resource `{resource_arn}'"
    )
}

/// The `AccessDenied` error (HTTP 403) for a denied send.
pub fn access_denied(principal_arn: &str, action: &str, resource_arn: &str) -> SesError {
    SesError::new(
        ErrorCode::AccessDenied,
        access_denied_message(principal_arn, action, resource_arn),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_text_is_the_observed_one() {
        // ses-spec §1.8, shape 1, verbatim.
        assert_eq!(
            access_denied_message(
                "arn:aws:iam::111122223333:user/app",
                "ses:SendEmail",
                "arn:aws:ses:eu-west-1:111122223333:identity/no-reply@shop.example"
            ),
            "User `arn:aws:iam::111122223333:user/app' is not authorized to perform `ses:SendEmail' on resource `arn:aws:ses:eu-west-1:111122223333:identity/no-reply@shop.example'"
        );
        let err = access_denied("a", "ses:SendRawEmail", "r");
        assert_eq!(err.code, ErrorCode::AccessDenied);
        assert_eq!(err.code.v1_status(), 403);
    }

    #[test]
    fn policy_names() {
        for ok in ["a", "partner-send", "A_b-9", &"x".repeat(64)] {
            assert!(validate_policy_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "has space",
            "dot.ted",
            "ünï",
            &"x".repeat(65),
            "semi;colon",
        ] {
            let err = validate_policy_name(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::InvalidParameterValue);
            assert_eq!(
                err.message,
                "PolicyName is invalid. Policy names must only include alpha-numeric characters, dashes, and underscores."
            );
        }
    }

    #[test]
    fn too_many_policies_text() {
        let err = too_many_policies("shop.example");
        assert_eq!(err.code, ErrorCode::LimitExceeded);
        assert_eq!(
            err.message,
            "Number of policies for shop.example exceeds max allowed number of policies per resource"
        );
    }
}
