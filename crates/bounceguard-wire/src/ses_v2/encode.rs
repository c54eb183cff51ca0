//! The JSON bodies SES v2 answers with. Member names and enum strings follow the botocore
//! `sesv2` 2019-09-27 model (the official SDKs parse them strictly by those names).
//!
//! Decisions:
//! - Identities here are verified as soon as they exist, so `VerifiedForSendingStatus` is `true`
//!   and `VerificationStatus` is `SUCCESS`.
//! - This gateway does not sign with DKIM (the upstream does), so `DkimAttributes` says
//!   `SigningEnabled: false`, `Status: NOT_STARTED`, no tokens, origin `AWS_SES`.
//! - No custom MAIL FROM: `MailFromAttributes` is `{"BehaviorOnMxFailure":"USE_DEFAULT_VALUE"}`
//!   (the model marks all three members required, but SDKs accept the partial form, which
//!   other SES emulators also send).
//! - GetEmailIdentityPolicies answers `{"Policies":{"name":"<document as a JSON string>"}}`
//!   (ses-spec §2.2); Create/Update/DeleteEmailIdentityPolicy answer `{}`.
//! - A `MessageId` output is `{"MessageId":…}` whatever the operation name, so a v2 raw send
//!   (whose [`bounceguard_core::Operation::name`] is `SendRawEmail`) encodes correctly.

use bounceguard_core::{Account, Identity, Output, SesError};
use serde::Serialize;

/// The `Content-Type` of every v2 response, success or error.
pub const CONTENT_TYPE: &str = "application/json";

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendEmailResponse<'a> {
    message_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DkimAttributes {
    signing_enabled: bool,
    status: &'static str,
    tokens: [&'static str; 0],
    signing_attributes_origin: &'static str,
}

const DKIM: DkimAttributes = DkimAttributes {
    signing_enabled: false,
    status: "NOT_STARTED",
    tokens: [],
    signing_attributes_origin: "AWS_SES",
};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateEmailIdentityResponse {
    identity_type: &'static str,
    verified_for_sending_status: bool,
    dkim_attributes: DkimAttributes,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MailFromAttributes {
    behavior_on_mx_failure: &'static str,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetEmailIdentityResponse<'a> {
    identity_type: &'static str,
    feedback_forwarding_status: bool,
    verified_for_sending_status: bool,
    dkim_attributes: DkimAttributes,
    mail_from_attributes: MailFromAttributes,
    policies: std::collections::BTreeMap<&'a str, &'a str>,
    tags: [Empty; 0],
    verification_status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct IdentityInfo<'a> {
    identity_type: &'static str,
    identity_name: &'a str,
    sending_enabled: bool,
    verification_status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListEmailIdentitiesResponse<'a> {
    email_identities: Vec<IdentityInfo<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendQuota {
    #[serde(rename = "Max24HourSend")]
    max_24_hour_send: f64,
    max_send_rate: f64,
    #[serde(rename = "SentLast24Hours")]
    sent_last_24_hours: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SuppressionAttributes<'a> {
    suppressed_reasons: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetAccountResponse<'a> {
    dedicated_ip_auto_warmup_enabled: bool,
    enforcement_status: &'a str,
    production_access_enabled: bool,
    send_quota: SendQuota,
    sending_enabled: bool,
    suppression_attributes: SuppressionAttributes<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetEmailIdentityPoliciesResponse<'a> {
    /// Policy name → document (a JSON string, not an object), sorted by name.
    policies: std::collections::BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
}

/// Writes the JSON body of a successful v2 operation (`op_name` is the SES operation name).
pub fn encode_output(op_name: &str, output: &Output) -> Vec<u8> {
    let json = match output {
        Output::MessageId(id) => serde_json::to_vec(&SendEmailResponse { message_id: id }),
        Output::EmailIdentity(identity) if op_name == "CreateEmailIdentity" => {
            serde_json::to_vec(&CreateEmailIdentityResponse {
                identity_type: identity.identity_type.v2_name(),
                verified_for_sending_status: true,
                dkim_attributes: DKIM,
            })
        }
        Output::EmailIdentity(identity) => serde_json::to_vec(&get_email_identity(identity, &[])),
        Output::EmailIdentityDetails(identity, policies) => {
            serde_json::to_vec(&get_email_identity(identity, policies))
        }
        Output::Identities {
            identities,
            next_token,
        } => serde_json::to_vec(&ListEmailIdentitiesResponse {
            email_identities: identities.iter().map(identity_info).collect(),
            next_token: next_token.as_deref(),
        }),
        Output::Account(account) => serde_json::to_vec(&get_account(account)),
        Output::Policies(policies) => serde_json::to_vec(&GetEmailIdentityPoliciesResponse {
            policies: policies
                .iter()
                .map(|(name, document)| (name.as_str(), document.as_str()))
                .collect(),
        }),
        // Empty (DeleteEmailIdentity) and the v1-only outputs: no members.
        _ => serde_json::to_vec(&Empty {}),
    };
    json.unwrap_or_else(|_| b"{}".to_vec())
}

/// The HTTP status, the `x-amzn-ErrorType` value and the JSON body of a v2 error.
pub fn encode_error(err: &SesError) -> (u16, &'static str, Vec<u8>) {
    let body = serde_json::to_vec(&ErrorBody {
        message: &err.message,
    })
    .unwrap_or_else(|_| b"{}".to_vec());
    (err.code.v2_status(), err.code.v2_code(), body)
}

fn get_email_identity<'a>(
    identity: &Identity,
    policies: &'a [(String, String)],
) -> GetEmailIdentityResponse<'a> {
    GetEmailIdentityResponse {
        identity_type: identity.identity_type.v2_name(),
        feedback_forwarding_status: true,
        verified_for_sending_status: true,
        dkim_attributes: DKIM,
        mail_from_attributes: MailFromAttributes {
            behavior_on_mx_failure: "USE_DEFAULT_VALUE",
        },
        policies: policies
            .iter()
            .map(|(name, document)| (name.as_str(), document.as_str()))
            .collect(),
        tags: [],
        verification_status: "SUCCESS",
    }
}

fn identity_info(identity: &Identity) -> IdentityInfo<'_> {
    IdentityInfo {
        identity_type: identity.identity_type.v2_name(),
        identity_name: &identity.name,
        sending_enabled: true,
        verification_status: "SUCCESS",
    }
}

fn get_account(account: &Account) -> GetAccountResponse<'_> {
    GetAccountResponse {
        dedicated_ip_auto_warmup_enabled: false,
        enforcement_status: &account.enforcement_status,
        production_access_enabled: account.production_access_enabled,
        send_quota: SendQuota {
            max_24_hour_send: account.send_quota.max_24_hour_send,
            max_send_rate: account.send_quota.max_send_rate,
            sent_last_24_hours: account.send_quota.sent_last_24_hours,
        },
        sending_enabled: account.sending_enabled,
        suppression_attributes: SuppressionAttributes {
            suppressed_reasons: &account.suppressed_reasons,
        },
    }
}
