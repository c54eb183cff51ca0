//! SES v1: the Query/XML API, version 2010-12-01 (ses-spec §1).
//!
//! [`decode`] turns a form-urlencoded request body into a typed [`Operation`];
//! [`encode_output`] and [`encode_error`] turn the domain's answer into exactly the XML SES sends.
//! The form parser ([`QueryParams`]) is hand-written (see [`params`] for why); the XML is written
//! with quick-xml's `Writer` ([`xml`]).
//!
//! Decisions where SES's own behaviour is not documented (each marked at its code too):
//! - `Version`, when given, must be `2010-12-01`; otherwise `InvalidParameterValue`. A missing
//!   `Version` is accepted (every SDK sends it; nothing is gained by refusing).
//! - SendEmail with no recipient at all: `MessageRejected` `There are no recipients specified.`
//!   (code and text unconfirmed, ses-spec §1.8). SendEmail with neither a text nor an HTML body:
//!   `MissingParameter` for `Message.Body` (the model makes neither part required; SES needs one).
//! - The recipient limit is checked before any address is parsed, so a huge list costs nothing.
//! - `Destinations=` (the empty-list form) is passed on to the raw send as `Some([])`; the MIME
//!   layer treats an empty list like an absent one.
//! - `RawMessage.Data` that is not base64: `InvalidParameterValue` `Invalid Base64 encoding` (the
//!   text real SES sends, observed in quambene/pigeon-rs#2, though with the code
//!   `MalformedInput`, which [`bounceguard_core::ErrorCode`] does not have). Line breaks (MIME-style
//!   base64) are skipped and missing padding is accepted; anything else outside the standard
//!   alphabet is refused.
//! - GetIdentityPolicies with more than 20 names: `InvalidParameterValue` (the limit is
//!   documented, the error is not; text of our own). Policy names and documents are passed on
//!   unchecked: the service validates them with the policy engine's `InvalidPolicy` texts.
//! - `RawMessage.Data` longer than 10485760 characters of base64: `InvalidParameterValue`
//!   `Message length is more than 10485760 bytes long: '<n>'.`, the code and text real SES
//!   answers (quoted from botocore `ClientError`s in several public projects), checked before
//!   decoding.

pub mod params;
pub mod xml;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bounceguard_core::address::Mailbox;
use bounceguard_core::{
    ApiVersion, Content, ErrorCode, IdentityType, MessageTag, Operation, RecipientKind, SendAction,
    SendRequest, SesError, SimpleContent, Text,
};
use bytes::Bytes;

use crate::common;
use crate::mime::{self, RawSendParams};

pub use params::QueryParams;
pub use xml::{encode_error, encode_output};

/// The only API version this front speaks.
pub const API_VERSION: &str = "2010-12-01";

/// The XML namespace of every v1 response.
pub const XML_NAMESPACE: &str = "http://ses.amazonaws.com/doc/2010-12-01/";

/// The `Content-Type` of every v1 response, success or error.
pub const CONTENT_TYPE: &str = "text/xml";

/// Longest `RawMessage.Data` accepted, in bytes of base64 text (10 MiB, ses-spec §9).
pub const MAX_RAW_MESSAGE_BASE64_LEN: usize = 10_485_760;

/// Most identities one GetIdentityVerificationAttributes call may name (botocore model docs).
pub const MAX_VERIFICATION_IDENTITIES: usize = 100;

/// Most names one GetIdentityPolicies call may ask for (botocore model docs, ses-spec §4.5).
pub const MAX_POLICY_NAMES: usize = 20;

/// Standard base64 alphabet; padding optional, as Java's basic decoder accepts it.
const RAW_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A v1 action this front understands, as named by the request's `Action` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `SendEmail`.
    SendEmail,
    /// `SendRawEmail`.
    SendRawEmail,
    /// `VerifyEmailIdentity`.
    VerifyEmailIdentity,
    /// `VerifyEmailAddress`, the pre-2012 name of VerifyEmailIdentity (its response has no Result).
    VerifyEmailAddress,
    /// `VerifyDomainIdentity`.
    VerifyDomainIdentity,
    /// `ListIdentities`.
    ListIdentities,
    /// `DeleteIdentity`.
    DeleteIdentity,
    /// `GetIdentityVerificationAttributes`.
    GetIdentityVerificationAttributes,
    /// `GetSendQuota`.
    GetSendQuota,
    /// `GetSendStatistics`.
    GetSendStatistics,
    /// `PutIdentityPolicy`.
    PutIdentityPolicy,
    /// `GetIdentityPolicies`.
    GetIdentityPolicies,
    /// `ListIdentityPolicies`.
    ListIdentityPolicies,
    /// `DeleteIdentityPolicy`.
    DeleteIdentityPolicy,
}

impl Action {
    /// Every action, for lookups and tests.
    pub const ALL: [Action; 14] = [
        Self::SendEmail,
        Self::SendRawEmail,
        Self::VerifyEmailIdentity,
        Self::VerifyEmailAddress,
        Self::VerifyDomainIdentity,
        Self::ListIdentities,
        Self::DeleteIdentity,
        Self::GetIdentityVerificationAttributes,
        Self::GetSendQuota,
        Self::GetSendStatistics,
        Self::PutIdentityPolicy,
        Self::GetIdentityPolicies,
        Self::ListIdentityPolicies,
        Self::DeleteIdentityPolicy,
    ];

    /// The wire name, e.g. `SendEmail`; pass it to [`encode_output`] as the operation name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SendEmail => "SendEmail",
            Self::SendRawEmail => "SendRawEmail",
            Self::VerifyEmailIdentity => "VerifyEmailIdentity",
            Self::VerifyEmailAddress => "VerifyEmailAddress",
            Self::VerifyDomainIdentity => "VerifyDomainIdentity",
            Self::ListIdentities => "ListIdentities",
            Self::DeleteIdentity => "DeleteIdentity",
            Self::GetIdentityVerificationAttributes => "GetIdentityVerificationAttributes",
            Self::GetSendQuota => "GetSendQuota",
            Self::GetSendStatistics => "GetSendStatistics",
            Self::PutIdentityPolicy => "PutIdentityPolicy",
            Self::GetIdentityPolicies => "GetIdentityPolicies",
            Self::ListIdentityPolicies => "ListIdentityPolicies",
            Self::DeleteIdentityPolicy => "DeleteIdentityPolicy",
        }
    }

    /// The action with this exact (case-sensitive) wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// A decoded request: the action as named on the wire, and the operation it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The action; differs from `operation.name()` only for `VerifyEmailAddress`.
    pub action: Action,
    /// The typed operation.
    pub operation: Operation,
}

/// Decodes a v1 request body into the operation it asks for.
pub fn decode(body: &[u8]) -> Result<Operation, SesError> {
    decode_request(body).map(|request| request.operation)
}

/// Decodes a v1 request body, keeping the wire action name (needed to answer VerifyEmailAddress).
pub fn decode_request(body: &[u8]) -> Result<Request, SesError> {
    decode_params(&QueryParams::parse(body)?)
}

/// Decodes already-parsed parameters (for GET requests whose parameters are in the URL).
pub fn decode_params(params: &QueryParams) -> Result<Request, SesError> {
    let action_name = match params.optional("Action")? {
        Some(name) if !name.is_empty() => name,
        // AWS's common-errors wording for MissingAction (e.g. the "Common Errors" page of the
        // RDS and CloudSearch API references).
        _ => {
            return Err(SesError::new(
                ErrorCode::MissingAction,
                "The request is missing an action or a required parameter.",
            ));
        }
    };
    if let Some(version) = params.optional("Version")?
        && version != API_VERSION
    {
        // EC2-style Query wording (as reproduced by EC2 emulators); SES's own text is unconfirmed.
        return Err(SesError::invalid(format!(
            "A bad or out-of-range value \"{version}\" was supplied for the \"Version\" input parameter."
        )));
    }
    let Some(action) = Action::from_name(action_name) else {
        // Real AWS Query services answer `The action X is not valid for this web service.`
        // (observed from EC2, quoted in hashicorp/terraform-provider-aws' sweeper code); the
        // generic "Common Errors" text is "The action or operation requested is invalid. Verify
        // that the action is typed correctly."
        return Err(SesError::new(
            ErrorCode::InvalidAction,
            format!("The action {action_name} is not valid for this web service."),
        ));
    };
    let operation = match action {
        Action::SendEmail => Operation::Send(Box::new(send_email(params)?)),
        Action::SendRawEmail => Operation::Send(Box::new(send_raw_email(params)?)),
        Action::VerifyEmailIdentity | Action::VerifyEmailAddress => {
            Operation::VerifyEmailIdentity {
                email: email_identity(params.required("EmailAddress")?)?,
            }
        }
        Action::VerifyDomainIdentity => Operation::VerifyDomainIdentity {
            domain: domain_identity(params.required("Domain")?)?,
        },
        Action::ListIdentities => list_identities(params)?,
        Action::DeleteIdentity => Operation::DeleteIdentity {
            identity: params.required("Identity")?.to_string(),
        },
        Action::GetIdentityVerificationAttributes => {
            let identities = params
                .list("Identities")?
                .ok_or_else(|| SesError::missing("Identities"))?;
            if identities.len() > MAX_VERIFICATION_IDENTITIES {
                // SES documents the limit, not the error; text of our own.
                return Err(SesError::invalid(format!(
                    "At most {MAX_VERIFICATION_IDENTITIES} identities can be asked about at once."
                )));
            }
            Operation::GetIdentityVerificationAttributes {
                identities: identities.into_iter().map(str::to_string).collect(),
            }
        }
        Action::GetSendQuota => Operation::GetSendQuota,
        Action::GetSendStatistics => Operation::GetSendStatistics,
        Action::PutIdentityPolicy => Operation::PutIdentityPolicy {
            identity: params.required("Identity")?.to_string(),
            policy_name: params.required("PolicyName")?.to_string(),
            policy: params.required("Policy")?.to_string(),
        },
        Action::GetIdentityPolicies => get_identity_policies(params)?,
        Action::ListIdentityPolicies => Operation::ListIdentityPolicies {
            identity: params.required("Identity")?.to_string(),
        },
        Action::DeleteIdentityPolicy => Operation::DeleteIdentityPolicy {
            identity: params.required("Identity")?.to_string(),
            policy_name: params.required("PolicyName")?.to_string(),
        },
    };
    Ok(Request { action, operation })
}

/// Decodes SendEmail (ses-spec §1.3) into a simple-content [`SendRequest`].
fn send_email(params: &QueryParams) -> Result<SendRequest, SesError> {
    let source = params.required("Source")?;
    let from = Mailbox::parse(source)?;

    let to = string_list(params, "Destination.ToAddresses")?;
    let cc = string_list(params, "Destination.CcAddresses")?;
    let bcc = string_list(params, "Destination.BccAddresses")?;
    let total = to.len() + cc.len() + bcc.len();
    common::check_recipient_count(total)?;
    if total == 0 {
        // Code and text unconfirmed (ses-spec §1.8 lists this under MessageRejected).
        return Err(SesError::rejected("There are no recipients specified."));
    }
    let mut recipients = common::parse_recipients(&to, RecipientKind::To)?;
    recipients.extend(common::parse_recipients(&cc, RecipientKind::Cc)?);
    recipients.extend(common::parse_recipients(&bcc, RecipientKind::Bcc)?);

    let subject = Text {
        data: params.required("Message.Subject.Data")?.to_string(),
        charset: owned(params.optional("Message.Subject.Charset")?),
    };
    let text = content(params, "Message.Body.Text")?;
    let html = content(params, "Message.Body.Html")?;
    if text.is_none() && html.is_none() {
        return Err(SesError::missing("Message.Body"));
    }

    let reply_to = string_list(params, "ReplyToAddresses")?;
    for address in &reply_to {
        Mailbox::parse(address)?;
    }
    let feedback_address = owned(params.optional("ReturnPath")?);
    if let Some(address) = &feedback_address {
        Mailbox::parse(address)?;
    }

    Ok(SendRequest {
        api: ApiVersion::V1,
        action: SendAction::SendEmail,
        from,
        from_original: source.to_string(),
        recipients,
        reply_to,
        feedback_address,
        source_arn: owned(params.optional("SourceArn")?),
        from_arn: None,
        return_path_arn: owned(params.optional("ReturnPathArn")?),
        configuration_set: owned(params.optional("ConfigurationSetName")?),
        tags: tags(params)?,
        content: Content::Simple(SimpleContent {
            subject,
            text,
            html,
            ..SimpleContent::default()
        }),
    })
}

/// Decodes SendRawEmail and hands it to [`mime::raw_send`], which applies the header rules.
fn send_raw_email(params: &QueryParams) -> Result<SendRequest, SesError> {
    let (data, raw_params) = raw_send_input(params)?;
    mime::raw_send(ApiVersion::V1, data, raw_params)
}

/// The decoded message and the parameters a SendRawEmail request passes to [`mime::raw_send`]:
/// everything this front checks itself (base64, size, parameter shapes, tags, the recipient
/// limit of `Destinations`) is checked here.
pub fn raw_send_input(params: &QueryParams) -> Result<(Bytes, RawSendParams), SesError> {
    let encoded = params.required("RawMessage.Data")?;
    if encoded.len() > MAX_RAW_MESSAGE_BASE64_LEN {
        // Code and text as real SES answers (observed in several botocore ClientError quotes,
        // e.g. "An error occurred (InvalidParameterValue) when calling the SendRawEmail
        // operation: Message length is more than 10485760 bytes long: '24081986'.").
        return Err(SesError::invalid(format!(
            "Message length is more than {MAX_RAW_MESSAGE_BASE64_LEN} bytes long: '{}'.",
            encoded.len()
        )));
    }
    let data = decode_base64(encoded)?;

    let destinations = params
        .list("Destinations")?
        .map(|list| list.into_iter().map(str::to_string).collect::<Vec<_>>());
    if let Some(list) = &destinations {
        common::check_recipient_count(list.len())?;
    }
    let raw_params = RawSendParams {
        source: owned(params.optional("Source")?),
        destinations,
        source_arn: owned(params.optional("SourceArn")?),
        from_arn: owned(params.optional("FromArn")?),
        return_path_arn: owned(params.optional("ReturnPathArn")?),
        configuration_set: owned(params.optional("ConfigurationSetName")?),
        tags: tags(params)?,
    };
    Ok((Bytes::from(data), raw_params))
}

/// Decodes `RawMessage.Data`: standard alphabet, line breaks skipped, padding optional.
fn decode_base64(encoded: &str) -> Result<Vec<u8>, SesError> {
    let invalid = || SesError::invalid("Invalid Base64 encoding");
    if encoded.contains(['\r', '\n']) {
        let compact: String = encoded
            .chars()
            .filter(|c| !matches!(c, '\r' | '\n'))
            .collect();
        RAW_BASE64.decode(compact).map_err(|_| invalid())
    } else {
        RAW_BASE64.decode(encoded).map_err(|_| invalid())
    }
}

/// ListIdentities: `IdentityType` (EmailAddress | Domain), `NextToken`, `MaxItems` (1–1000).
fn list_identities(params: &QueryParams) -> Result<Operation, SesError> {
    let identity_type = match params.optional("IdentityType")? {
        None => None,
        Some("EmailAddress") => Some(IdentityType::EmailAddress),
        Some("Domain") => Some(IdentityType::Domain),
        Some(other) => {
            return Err(SesError::invalid(format!(
                "Invalid IdentityType {other}: possible values are EmailAddress and Domain."
            )));
        }
    };
    let max_items = match params.optional("MaxItems")? {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(n @ 1..=1000) => Some(n),
            _ => {
                return Err(SesError::invalid(format!(
                    "Invalid MaxItems {text}: possible values are 1-1000 inclusive."
                )));
            }
        },
    };
    Ok(Operation::ListIdentities {
        identity_type,
        next_token: owned(params.optional("NextToken")?),
        max_items,
    })
}

/// GetIdentityPolicies: `Identity` and `PolicyNames.member.N` (required; at most 20).
fn get_identity_policies(params: &QueryParams) -> Result<Operation, SesError> {
    let identity = params.required("Identity")?.to_string();
    let names = params
        .list("PolicyNames")?
        .ok_or_else(|| SesError::missing("PolicyNames"))?;
    if names.len() > MAX_POLICY_NAMES {
        // The model documents the limit, not the error; text of our own.
        return Err(SesError::invalid(format!(
            "At most {MAX_POLICY_NAMES} policies can be retrieved at a time."
        )));
    }
    Ok(Operation::GetIdentityPolicies {
        identity,
        policy_names: names.into_iter().map(str::to_string).collect(),
    })
}

/// An address to verify: a bare `local@domain` with SES's syntax checks.
fn email_identity(text: &str) -> Result<String, SesError> {
    let mailbox = Mailbox::parse(text)?;
    if mailbox.display_name.is_some() || mailbox.address != text {
        // Text of our own: an identity is an address, not a mailbox with a name.
        return Err(SesError::invalid(format!("Invalid email address {text}.")));
    }
    Ok(mailbox.address)
}

/// A domain to verify, checked with the same domain rules as addresses.
fn domain_identity(domain: &str) -> Result<String, SesError> {
    let probe = format!("postmaster@{domain}");
    if domain.is_empty() || domain.contains(['@', '<', '>']) || Mailbox::parse(&probe).is_err() {
        // Text of our own; SES's wording for a bad domain is unconfirmed.
        return Err(SesError::invalid(format!("Invalid domain name {domain}.")));
    }
    Ok(domain.to_string())
}

/// A list of strings that may be absent (absent and `Name=` are both empty).
fn string_list(params: &QueryParams, prefix: &str) -> Result<Vec<String>, SesError> {
    Ok(params
        .list(prefix)?
        .unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect())
}

/// A `Content` structure (`Data` required once the structure is there, `Charset` optional).
fn content(params: &QueryParams, prefix: &str) -> Result<Option<Text>, SesError> {
    if !params.has_prefix(prefix) {
        return Ok(None);
    }
    Ok(Some(Text {
        data: params.required(&format!("{prefix}.Data"))?.to_string(),
        charset: owned(params.optional(&format!("{prefix}.Charset"))?),
    }))
}

/// `Tags.member.N.Name` / `.Value`, validated with SES's texts.
fn tags(params: &QueryParams) -> Result<Vec<MessageTag>, SesError> {
    let tags: Vec<MessageTag> = params
        .struct_list("Tags", &["Name", "Value"])?
        .unwrap_or_default()
        .into_iter()
        .map(|fields| {
            let field = |i: usize| fields.get(i).copied().flatten().unwrap_or("").to_string();
            MessageTag {
                name: field(0),
                value: field(1),
            }
        })
        .collect();
    common::validate_tags(&tags)?;
    Ok(tags)
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_string)
}
