//! SES v2 `GetEmailAddressInsights` (botocore `sesv2` 2019-09-27).
//!
//! - HTTP: `POST /v2/email/email-address-insights/` (botocore's `requestUri`; the Rust SDK
//!   1.145 sends it without the trailing slash, so route both).
//! - Request: `{"EmailAddress": "…"}`; `EmailAddress` is required (shape `EmailAddress`, a plain
//!   string without length or pattern constraints).
//! - Response: `{"MailboxValidation": {"IsValid": {"ConfidenceVerdict": "HIGH"},
//!   "Evaluations": {"HasValidSyntax": {…}, "HasValidDnsRecords": {…}, "MailboxExists": {…},
//!   "IsRoleAddress": {…}, "IsDisposable": {…}, "IsRandomInput": {…}}}}`, each verdict an
//!   `EmailAddressInsightsVerdict` whose `ConfidenceVerdict` is `LOW`, `MEDIUM` or `HIGH`. Every
//!   member is optional in the model; absent ones are left out.
//! - Errors: `BadRequestException` (400), `TooManyRequestsException` (429).
//!
//! Decisions: a missing or null `EmailAddress` is the AWS `Member must not be null` validation
//! error; any string, even an invalid or empty address, is accepted (the answer's
//! `HasValidSyntax` reports it), since the model sets no constraint.

use bounceguard_core::SesError;
use serde::{Deserialize, Serialize};

/// The path botocore's model names.
pub const PATH: &str = "/v2/email/email-address-insights/";
/// The same path without the trailing slash, as the Rust SDK sends it.
pub const PATH_NO_SLASH: &str = "/v2/email/email-address-insights";

/// The decoded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetEmailAddressInsightsInput {
    /// The address to analyse, as sent.
    pub email_address: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RequestBody {
    email_address: Option<String>,
}

/// Decodes the JSON body of `GetEmailAddressInsights`.
pub fn get_email_address_insights(body: &[u8]) -> Result<GetEmailAddressInsightsInput, SesError> {
    let input: RequestBody = super::parse_body(body)?;
    let email_address = input
        .email_address
        .ok_or_else(|| super::not_null("emailAddress"))?;
    Ok(GetEmailAddressInsightsInput { email_address })
}

/// `EmailAddressInsightsConfidenceVerdict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConfidenceVerdict {
    /// Weak or no indication.
    Low,
    /// Moderate indication.
    Medium,
    /// Strong indication.
    High,
}

/// `EmailAddressInsightsMailboxEvaluations`: each check's verdict, `None` when not given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evaluations {
    /// `HasValidSyntax`.
    pub has_valid_syntax: Option<ConfidenceVerdict>,
    /// `HasValidDnsRecords`.
    pub has_valid_dns_records: Option<ConfidenceVerdict>,
    /// `MailboxExists`.
    pub mailbox_exists: Option<ConfidenceVerdict>,
    /// `IsRoleAddress`.
    pub is_role_address: Option<ConfidenceVerdict>,
    /// `IsDisposable`.
    pub is_disposable: Option<ConfidenceVerdict>,
    /// `IsRandomInput`.
    pub is_random_input: Option<ConfidenceVerdict>,
}

/// `MailboxValidation`: the overall verdict and the individual checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailboxValidation {
    /// `IsValid`.
    pub is_valid: Option<ConfidenceVerdict>,
    /// `Evaluations`.
    pub evaluations: Option<Evaluations>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VerdictOut {
    confidence_verdict: ConfidenceVerdict,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EvaluationsOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    has_valid_syntax: Option<VerdictOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    has_valid_dns_records: Option<VerdictOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mailbox_exists: Option<VerdictOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_role_address: Option<VerdictOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_disposable: Option<VerdictOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_random_input: Option<VerdictOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MailboxValidationOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    is_valid: Option<VerdictOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluations: Option<EvaluationsOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseOut {
    mailbox_validation: MailboxValidationOut,
}

fn verdict(v: Option<ConfidenceVerdict>) -> Option<VerdictOut> {
    v.map(|confidence_verdict| VerdictOut { confidence_verdict })
}

/// The JSON body of the 200 response.
pub fn encode_get_email_address_insights(validation: &MailboxValidation) -> Vec<u8> {
    let out = ResponseOut {
        mailbox_validation: MailboxValidationOut {
            is_valid: verdict(validation.is_valid),
            evaluations: validation.evaluations.map(|e| EvaluationsOut {
                has_valid_syntax: verdict(e.has_valid_syntax),
                has_valid_dns_records: verdict(e.has_valid_dns_records),
                mailbox_exists: verdict(e.mailbox_exists),
                is_role_address: verdict(e.is_role_address),
                is_disposable: verdict(e.is_disposable),
                is_random_input: verdict(e.is_random_input),
            }),
        },
    };
    serde_json::to_vec(&out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bounceguard_core::ErrorCode;

    #[test]
    fn decodes_the_address() {
        let input = get_email_address_insights(br#"{"EmailAddress":"ann@example.org"}"#)
            .expect("valid request");
        assert_eq!(input.email_address, "ann@example.org");
        // no constraint in the model: anything string-shaped is analysed
        let input =
            get_email_address_insights(br#"{"EmailAddress":"not an address"}"#).expect("accepted");
        assert_eq!(input.email_address, "not an address");
        // unknown members are ignored like the other v2 shapes
        let input =
            get_email_address_insights(br#"{"EmailAddress":"a@b.c","Extra":1}"#).expect("ok");
        assert_eq!(input.email_address, "a@b.c");
    }

    #[test]
    fn missing_or_mistyped_address_is_a_bad_request() {
        for body in [&b"{}"[..], b"", br#"{"EmailAddress":null}"#] {
            let e = get_email_address_insights(body).expect_err("missing");
            assert_eq!(e.code.v2_code(), "BadRequestException");
            assert_eq!(e.code.v2_status(), 400);
            assert_eq!(
                e.message,
                "1 validation error detected: Value null at 'emailAddress' failed to satisfy constraint: Member must not be null"
            );
        }
        let e = get_email_address_insights(br#"{"EmailAddress":7}"#).expect_err("number");
        assert_eq!(e.code, ErrorCode::ValidationError);
        assert!(
            e.message.starts_with("Could not parse request body: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn encodes_every_member_with_the_model_names() {
        use ConfidenceVerdict::*;
        let body = encode_get_email_address_insights(&MailboxValidation {
            is_valid: Some(High),
            evaluations: Some(Evaluations {
                has_valid_syntax: Some(High),
                has_valid_dns_records: Some(High),
                mailbox_exists: Some(Medium),
                is_role_address: Some(Low),
                is_disposable: Some(Low),
                is_random_input: Some(Low),
            }),
        });
        // Member names and enum words checked by eye against botocore sesv2 2019-09-27:
        // GetEmailAddressInsightsResponse.MailboxValidation, MailboxValidation.{IsValid,
        // Evaluations}, EmailAddressInsightsMailboxEvaluations.{HasValidSyntax,
        // HasValidDnsRecords, MailboxExists, IsRoleAddress, IsDisposable, IsRandomInput},
        // EmailAddressInsightsVerdict.ConfidenceVerdict ∈ {LOW, MEDIUM, HIGH}.
        assert_eq!(
            String::from_utf8(body).expect("utf-8"),
            concat!(
                r#"{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"HIGH"},"#,
                r#""Evaluations":{"HasValidSyntax":{"ConfidenceVerdict":"HIGH"},"#,
                r#""HasValidDnsRecords":{"ConfidenceVerdict":"HIGH"},"#,
                r#""MailboxExists":{"ConfidenceVerdict":"MEDIUM"},"#,
                r#""IsRoleAddress":{"ConfidenceVerdict":"LOW"},"#,
                r#""IsDisposable":{"ConfidenceVerdict":"LOW"},"#,
                r#""IsRandomInput":{"ConfidenceVerdict":"LOW"}}}}"#
            )
        );
    }

    #[test]
    fn absent_members_are_left_out() {
        let body = encode_get_email_address_insights(&MailboxValidation {
            is_valid: Some(ConfidenceVerdict::Low),
            evaluations: Some(Evaluations {
                has_valid_syntax: Some(ConfidenceVerdict::Low),
                ..Evaluations::default()
            }),
        });
        assert_eq!(
            String::from_utf8(body).expect("utf-8"),
            r#"{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"LOW"},"Evaluations":{"HasValidSyntax":{"ConfidenceVerdict":"LOW"}}}}"#
        );
        let empty = encode_get_email_address_insights(&MailboxValidation::default());
        assert_eq!(empty, br#"{"MailboxValidation":{}}"#);
    }
}
