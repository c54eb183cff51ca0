//! SES v2: the REST/JSON API, version 2019-09-27 (ses-spec §2).
//!
//! The caller routes with axum and hands each decode function what it needs: the body bytes, the
//! raw query string, or a path label already percent-decoded. Each function returns a typed
//! [`Operation`]; [`encode_output`] and [`encode_error`] write the JSON SES answers with.
//! Request shapes are serde structs (`rename_all = "PascalCase"`, unknown members ignored); the
//! checks that serde cannot express (unions, lengths, patterns, enums) are written here with the
//! AWS validation wording (`1 validation error detected: …`).
//!
//! Decisions where SES's own behaviour is not documented:
//! - Malformed JSON, or a member of the wrong JSON type: `BadRequestException` (code
//!   `ValidationError`) `Could not parse request body: <serde's reason>`. An empty body reads
//!   as `{}`.
//! - `Content.Template`: `BadRequestException` `Template content is not supported by this
//!   gateway.` (this gateway keeps no templates, so a NotFound would mislead for inline
//!   `TemplateContent`).
//! - `Content` with none or several of Simple/Raw/Template: `BadRequestException`.
//! - Simple without `FromEmailAddress`: `BadRequestException` with the AWS common
//!   `MissingParameter` text. Simple with no recipient: `MessageRejected`
//!   `There are no recipients specified.` (the v1 front's choice, ses-spec §1.8). A Simple body
//!   with neither Text nor Html is accepted (the model requires neither).
//! - Raw larger than 40 MiB of base64: `MessageRejected`
//!   `Message length is more than 41943040 bytes long: '<n>'.` (v1 answers the same text with
//!   `InvalidParameterValue`; the brief asks for `MessageRejected` on v2). Raw or attachment data
//!   that is not base64: `BadRequestException` `Invalid Base64 encoding` (v1's observed text).
//! - Raw with `Destination`: the three lists are flattened into the envelope recipients. Raw
//!   with `FromEmailAddressIdentityArn`: it is both the source and the From ARN (it overrides
//!   `X-SES-SOURCE-ARN` and `X-SES-FROM-ARN`, ses-spec §2.3). `FeedbackForwardingEmailAddress`
//!   sets the feedback address; `ReplyToAddresses` are ignored for Raw (the message's own
//!   Reply-To header is what is sent).
//! - v2 Raw keeps `SendAction::SendRawEmail` (ses-spec §2.3: one report shows a v2 raw send
//!   checked as `ses:SendRawEmail`).
//! - `EndpointId`, `TenantName`, `ListManagementOptions`, `Tags`, `DkimSigningAttributes` and
//!   `ConfigurationSetName` of CreateEmailIdentity are read and ignored.
//! - ListEmailIdentities `PageSize` outside 1–1000: `BadRequestException` (the model docs say
//!   0–1000; a page of 0 is refused because it could never advance).

mod encode;
pub mod insights;
pub mod suppression;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bounceguard_core::address::Mailbox;
use bounceguard_core::{
    ApiVersion, Attachment, Content, ErrorCode, MessageTag, Operation, RecipientKind, SendAction,
    SendRequest, SesError, SimpleContent, Text,
};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::common;
use crate::mime::{self, RawSendParams};

pub use encode::{CONTENT_TYPE, encode_error, encode_output};

/// Longest `Content.Raw.Data` accepted, in bytes of base64 text (40 MiB, ses-spec §9).
pub const MAX_RAW_MESSAGE_BASE64_LEN: usize = 41_943_040;
/// Most entries in `Content.Simple.Headers` (model: `MessageHeaderList` max 15).
pub const MAX_HEADERS: usize = 15;
/// Longest header name (model: `MessageHeaderName` max 126).
pub const MAX_HEADER_NAME_LEN: usize = 126;
/// Longest header value (model: `MessageHeaderValue` max 995).
pub const MAX_HEADER_VALUE_LEN: usize = 995;
/// Longest header name and value together (ses-spec §2.3).
pub const MAX_HEADER_LINE_LEN: usize = 996;
/// Largest ListEmailIdentities `PageSize`.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Standard base64 alphabet; padding optional (the v1 front's decoder).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

// ---------------------------------------------------------------------------------------------
// Request shapes (botocore sesv2 2019-09-27). Every member is optional here so that a missing
// required member gets SES's validation text instead of serde's.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendEmailInput {
    from_email_address: Option<String>,
    from_email_address_identity_arn: Option<String>,
    destination: Option<DestinationInput>,
    reply_to_addresses: Option<Vec<String>>,
    feedback_forwarding_email_address: Option<String>,
    feedback_forwarding_email_address_identity_arn: Option<String>,
    content: Option<EmailContentInput>,
    email_tags: Option<Vec<TagInput>>,
    configuration_set_name: Option<String>,
    #[allow(dead_code)]
    list_management_options: Option<IgnoredAny>,
    #[allow(dead_code)]
    endpoint_id: Option<String>,
    #[allow(dead_code)]
    tenant_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DestinationInput {
    to_addresses: Option<Vec<String>>,
    cc_addresses: Option<Vec<String>>,
    bcc_addresses: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EmailContentInput {
    simple: Option<MessageInput>,
    raw: Option<RawMessageInput>,
    template: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MessageInput {
    subject: Option<ContentInput>,
    body: Option<BodyInput>,
    headers: Option<Vec<HeaderInput>>,
    attachments: Option<Vec<AttachmentInput>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContentInput {
    data: Option<String>,
    charset: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BodyInput {
    text: Option<ContentInput>,
    html: Option<ContentInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HeaderInput {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttachmentInput {
    raw_content: Option<String>,
    content_disposition: Option<String>,
    file_name: Option<String>,
    content_description: Option<String>,
    content_id: Option<String>,
    content_transfer_encoding: Option<String>,
    content_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawMessageInput {
    data: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagInput {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateEmailIdentityInput {
    email_identity: Option<String>,
    #[allow(dead_code)]
    tags: Option<IgnoredAny>,
    #[allow(dead_code)]
    dkim_signing_attributes: Option<IgnoredAny>,
    #[allow(dead_code)]
    configuration_set_name: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// SendEmail (`POST /v2/email/outbound-emails`): Simple content becomes a [`SendRequest`] here;
/// Raw content goes through [`mime::raw_send`].
pub fn send_email(body: &[u8]) -> Result<Operation, SesError> {
    let input: SendEmailInput = parse_body(body)?;
    let content = input.content.as_ref().ok_or_else(|| not_null("content"))?;
    let request = match (&content.simple, &content.raw, &content.template) {
        (Some(simple), None, None) => simple_send(&input, simple)?,
        (None, Some(raw), None) => raw_send(&input, raw)?,
        (None, None, Some(_)) => {
            return Err(SesError::invalid(
                "Template content is not supported by this gateway.",
            ));
        }
        _ => {
            return Err(SesError::invalid(
                "Content must contain exactly one of Simple, Raw and Template.",
            ));
        }
    };
    Ok(Operation::Send(Box::new(request)))
}

/// CreateEmailIdentity (`POST /v2/email/identities`): `EmailIdentity` is an address or a domain.
pub fn create_email_identity(body: &[u8]) -> Result<Operation, SesError> {
    let input: CreateEmailIdentityInput = parse_body(body)?;
    let identity = input
        .email_identity
        .ok_or_else(|| not_null("emailIdentity"))?;
    Ok(Operation::CreateEmailIdentity {
        identity: identity_name(&identity)?,
    })
}

/// GetEmailIdentity (`GET /v2/email/identities/{EmailIdentity}`), from the decoded path label.
pub fn get_email_identity(identity: &str) -> Result<Operation, SesError> {
    Ok(Operation::GetEmailIdentity {
        identity: identity_label(identity)?,
    })
}

/// DeleteEmailIdentity (`DELETE /v2/email/identities/{EmailIdentity}`), from the decoded label.
pub fn delete_email_identity(identity: &str) -> Result<Operation, SesError> {
    Ok(Operation::DeleteEmailIdentity {
        identity: identity_label(identity)?,
    })
}

/// ListEmailIdentities (`GET /v2/email/identities`): query `NextToken` and `PageSize` (1–1000).
pub fn list_email_identities(query: Option<&str>) -> Result<Operation, SesError> {
    let mut next_token = None;
    let mut page_size = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "NextToken" if next_token.is_none() => next_token = Some(value.into_owned()),
            "PageSize" if page_size.is_none() => {
                page_size = Some(match value.parse::<u32>() {
                    Ok(n @ 1..=MAX_PAGE_SIZE) => n,
                    Ok(_) => {
                        return Err(SesError::invalid(format!(
                            "Invalid PageSize {value}: it must be between 1 and {MAX_PAGE_SIZE}."
                        )));
                    }
                    Err(_) => {
                        return Err(SesError::new(
                            ErrorCode::ValidationError,
                            format!("Invalid PageSize {value}: it must be an integer."),
                        ));
                    }
                });
            }
            _ => {}
        }
    }
    Ok(Operation::ListEmailIdentities {
        next_token,
        page_size,
    })
}

/// ListEmailIdentities as newer SDKs send it (`POST /v2/email/list-identities`, the SES v2 model
/// of late 2026): a JSON body with `NextToken`, `PageSize` and an optional `Filter` map (read
/// and ignored: this gateway keeps no identity attributes to filter on).
pub fn list_email_identities_json(body: &[u8]) -> Result<Operation, SesError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        next_token: Option<String>,
        page_size: Option<i64>,
    }
    let input: Input = if body.iter().all(u8::is_ascii_whitespace) {
        Input {
            next_token: None,
            page_size: None,
        }
    } else {
        serde_json::from_slice(body).map_err(|e| {
            SesError::new(
                ErrorCode::ValidationError,
                format!("Could not parse request body: {e}"),
            )
        })?
    };
    let page_size = match input.page_size {
        None => None,
        Some(n) => match u32::try_from(n) {
            Ok(n @ 1..=MAX_PAGE_SIZE) => Some(n),
            _ => {
                return Err(SesError::invalid(format!(
                    "Invalid PageSize {n}: it must be between 1 and {MAX_PAGE_SIZE}."
                )));
            }
        },
    };
    Ok(Operation::ListEmailIdentities {
        next_token: input.next_token,
        page_size,
    })
}

/// CreateEmailIdentityPolicy (`POST /v2/email/identities/{EmailIdentity}/policies/{PolicyName}`):
/// the decoded path labels and a body `{"Policy": "<json string>"}`.
pub fn create_email_identity_policy(
    identity: &str,
    policy_name: &str,
    body: &[u8],
) -> Result<Operation, SesError> {
    let (identity, policy_name, policy) = policy_write(identity, policy_name, body)?;
    Ok(Operation::CreateEmailIdentityPolicy {
        identity,
        policy_name,
        policy,
    })
}

/// UpdateEmailIdentityPolicy (`PUT /v2/email/identities/{EmailIdentity}/policies/{PolicyName}`).
pub fn update_email_identity_policy(
    identity: &str,
    policy_name: &str,
    body: &[u8],
) -> Result<Operation, SesError> {
    let (identity, policy_name, policy) = policy_write(identity, policy_name, body)?;
    Ok(Operation::UpdateEmailIdentityPolicy {
        identity,
        policy_name,
        policy,
    })
}

/// GetEmailIdentityPolicies (`GET /v2/email/identities/{EmailIdentity}/policies`).
pub fn get_email_identity_policies(identity: &str) -> Result<Operation, SesError> {
    Ok(Operation::GetEmailIdentityPolicies {
        identity: identity_label(identity)?,
    })
}

/// DeleteEmailIdentityPolicy (`DELETE /v2/email/identities/{EmailIdentity}/policies/{PolicyName}`).
pub fn delete_email_identity_policy(
    identity: &str,
    policy_name: &str,
) -> Result<Operation, SesError> {
    Ok(Operation::DeleteEmailIdentityPolicy {
        identity: identity_label(identity)?,
        policy_name: policy_name_label(policy_name)?,
    })
}

/// GetAccount (`GET /v2/email/account`): no input.
pub fn get_account() -> Operation {
    Operation::GetAccount
}

// ---------------------------------------------------------------------------------------------
// SendEmail helpers
// ---------------------------------------------------------------------------------------------

fn simple_send(input: &SendEmailInput, simple: &MessageInput) -> Result<SendRequest, SesError> {
    let from_original = input
        .from_email_address
        .clone()
        .ok_or_else(|| SesError::missing("FromEmailAddress"))?;
    let subject = simple
        .subject
        .as_ref()
        .ok_or_else(|| not_null("content.simple.subject"))?;
    let body = simple
        .body
        .as_ref()
        .ok_or_else(|| not_null("content.simple.body"))?;
    let content = SimpleContent {
        subject: text(subject, "content.simple.subject.data")?,
        text: body
            .text
            .as_ref()
            .map(|t| text(t, "content.simple.body.text.data"))
            .transpose()?,
        html: body
            .html
            .as_ref()
            .map(|t| text(t, "content.simple.body.html.data"))
            .transpose()?,
        headers: headers(simple.headers.as_deref().unwrap_or_default())?,
        attachments: attachments(simple.attachments.as_deref().unwrap_or_default())?,
    };

    let from = Mailbox::parse(&from_original)?;
    let recipients = destination_recipients(input.destination.as_ref())?;
    if recipients.is_empty() {
        return Err(SesError::rejected("There are no recipients specified."));
    }
    let reply_to = input.reply_to_addresses.clone().unwrap_or_default();
    for address in &reply_to {
        Mailbox::parse(address)?;
    }
    let tags = tags(input.email_tags.as_deref())?;
    Ok(SendRequest {
        api: ApiVersion::V2,
        action: SendAction::SendEmail,
        from,
        from_original,
        recipients,
        reply_to,
        feedback_address: feedback_address(input)?,
        source_arn: input.from_email_address_identity_arn.clone(),
        from_arn: None,
        return_path_arn: input.feedback_forwarding_email_address_identity_arn.clone(),
        configuration_set: input.configuration_set_name.clone(),
        tags,
        content: Content::Simple(content),
    })
}

fn raw_send(input: &SendEmailInput, raw: &RawMessageInput) -> Result<SendRequest, SesError> {
    let encoded = raw
        .data
        .as_deref()
        .ok_or_else(|| not_null("content.raw.data"))?;
    if encoded.len() > MAX_RAW_MESSAGE_BASE64_LEN {
        return Err(SesError::rejected(format!(
            "Message length is more than {MAX_RAW_MESSAGE_BASE64_LEN} bytes long: '{}'.",
            encoded.len()
        )));
    }
    let data = decode_base64(encoded)?;
    let destinations = input.destination.as_ref().and_then(|d| {
        let all: Vec<String> = [&d.to_addresses, &d.cc_addresses, &d.bcc_addresses]
            .into_iter()
            .flatten()
            .flatten()
            .cloned()
            .collect();
        (!all.is_empty()).then_some(all)
    });
    let params = RawSendParams {
        source: input.from_email_address.clone(),
        destinations,
        source_arn: input.from_email_address_identity_arn.clone(),
        from_arn: input.from_email_address_identity_arn.clone(),
        return_path_arn: input.feedback_forwarding_email_address_identity_arn.clone(),
        configuration_set: input.configuration_set_name.clone(),
        tags: tag_list(input.email_tags.as_deref())?,
    };
    let mut request = mime::raw_send(ApiVersion::V2, Bytes::from(data), params)?;
    if let Some(address) = feedback_address(input)? {
        request.feedback_address = Some(address);
    }
    Ok(request)
}

/// The To, Cc and Bcc lists: the 50-recipient limit first, then each address.
fn destination_recipients(
    destination: Option<&DestinationInput>,
) -> Result<Vec<bounceguard_core::Recipient>, SesError> {
    let Some(d) = destination else {
        return Ok(Vec::new());
    };
    let lists = [
        (&d.to_addresses, RecipientKind::To),
        (&d.cc_addresses, RecipientKind::Cc),
        (&d.bcc_addresses, RecipientKind::Bcc),
    ];
    let count = lists
        .iter()
        .map(|(list, _)| list.as_ref().map_or(0, Vec::len))
        .sum();
    common::check_recipient_count(count)?;
    let mut recipients = Vec::with_capacity(count);
    for (list, kind) in lists {
        if let Some(list) = list {
            recipients.extend(common::parse_recipients(list, kind)?);
        }
    }
    Ok(recipients)
}

fn feedback_address(input: &SendEmailInput) -> Result<Option<String>, SesError> {
    match &input.feedback_forwarding_email_address {
        Some(address) => {
            Mailbox::parse(address)?;
            Ok(Some(address.clone()))
        }
        None => Ok(None),
    }
}

fn text(content: &ContentInput, path: &str) -> Result<Text, SesError> {
    Ok(Text {
        data: content.data.clone().ok_or_else(|| not_null(path))?,
        charset: content.charset.clone(),
    })
}

fn tag_list(tags: Option<&[TagInput]>) -> Result<Vec<MessageTag>, SesError> {
    tags.unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, tag)| {
            Ok(MessageTag {
                name: tag
                    .name
                    .clone()
                    .ok_or_else(|| not_null(&format!("emailTags.{}.member.name", i + 1)))?,
                value: tag
                    .value
                    .clone()
                    .ok_or_else(|| not_null(&format!("emailTags.{}.member.value", i + 1)))?,
            })
        })
        .collect()
}

fn tags(tags: Option<&[TagInput]>) -> Result<Vec<MessageTag>, SesError> {
    let tags = tag_list(tags)?;
    common::validate_tags(&tags)?;
    Ok(tags)
}

/// `Content.Simple.Headers`: at most 15; names printable ASCII 33–126 without `:`, at most 126;
/// values printable ASCII, 1–995; name and value together at most 996 (ses-spec §2.3).
fn headers(list: &[HeaderInput]) -> Result<Vec<(String, String)>, SesError> {
    if list.len() > MAX_HEADERS {
        return Err(validation(
            None,
            "content.simple.headers",
            &format!("Member must have length less than or equal to {MAX_HEADERS}"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, header) in list.iter().enumerate() {
        let at = |member: &str| format!("content.simple.headers.{}.member.{member}", i + 1);
        let name = header
            .name
            .as_deref()
            .ok_or_else(|| not_null(&at("name")))?;
        let value = header
            .value
            .as_deref()
            .ok_or_else(|| not_null(&at("value")))?;
        if name.is_empty() || name.len() > MAX_HEADER_NAME_LEN {
            return Err(validation(
                Some(name),
                &at("name"),
                &format!("Member must have length between 1 and {MAX_HEADER_NAME_LEN}, inclusive"),
            ));
        }
        if !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
            return Err(validation(
                Some(name),
                &at("name"),
                "Member must satisfy regular expression pattern: ^[!-9;-@A-~]+$",
            ));
        }
        if value.is_empty() || value.len() > MAX_HEADER_VALUE_LEN {
            return Err(validation(
                Some(value),
                &at("value"),
                &format!("Member must have length between 1 and {MAX_HEADER_VALUE_LEN}, inclusive"),
            ));
        }
        if !value.bytes().all(|b| (32..=126).contains(&b)) {
            return Err(validation(
                Some(value),
                &at("value"),
                "Member must satisfy regular expression pattern: [ -~]*",
            ));
        }
        if name.len() + value.len() > MAX_HEADER_LINE_LEN {
            return Err(SesError::invalid(format!(
                "Header {name} is too long: name and value together must not exceed \
                 {MAX_HEADER_LINE_LEN} characters."
            )));
        }
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

/// `Content.Simple.Attachments`, with the model's lengths and enums.
fn attachments(list: &[AttachmentInput]) -> Result<Vec<Attachment>, SesError> {
    let mut out = Vec::with_capacity(list.len());
    for (i, input) in list.iter().enumerate() {
        let at = |member: &str| format!("content.simple.attachments.{}.member.{member}", i + 1);
        let file_name = input
            .file_name
            .as_deref()
            .ok_or_else(|| not_null(&at("fileName")))?;
        check_len(file_name, 0, 255, &at("fileName"))?;
        let encoded = input
            .raw_content
            .as_deref()
            .ok_or_else(|| not_null(&at("rawContent")))?;
        let inline = match input.content_disposition.as_deref() {
            None | Some("ATTACHMENT") => false,
            Some("INLINE") => true,
            Some(other) => {
                return Err(validation(
                    Some(other),
                    &at("contentDisposition"),
                    "Member must satisfy enum value set: [ATTACHMENT, INLINE]",
                ));
            }
        };
        if let Some(encoding) = input.content_transfer_encoding.as_deref()
            && !matches!(encoding, "BASE64" | "QUOTED_PRINTABLE" | "SEVEN_BIT")
        {
            return Err(validation(
                Some(encoding),
                &at("contentTransferEncoding"),
                "Member must satisfy enum value set: [BASE64, QUOTED_PRINTABLE, SEVEN_BIT]",
            ));
        }
        if let Some(id) = &input.content_id {
            check_len(id, 1, 78, &at("contentId"))?;
        }
        if let Some(content_type) = &input.content_type {
            check_len(content_type, 1, 78, &at("contentType"))?;
        }
        if let Some(description) = &input.content_description {
            check_len(description, 0, 1000, &at("contentDescription"))?;
        }
        out.push(Attachment {
            file_name: file_name.to_string(),
            content: Bytes::from(decode_base64(encoded)?),
            content_type: input.content_type.clone(),
            content_id: input.content_id.clone(),
            inline,
            description: input.content_description.clone(),
        });
    }
    Ok(out)
}

fn check_len(value: &str, min: usize, max: usize, path: &str) -> Result<(), SesError> {
    let len = value.chars().count();
    if len < min || len > max {
        let rule = if min == 0 {
            format!("Member must have length less than or equal to {max}")
        } else {
            format!("Member must have length between {min} and {max}, inclusive")
        };
        return Err(validation(Some(value), path, &rule));
    }
    Ok(())
}

/// Decodes a JSON blob: standard alphabet, line breaks skipped, padding optional.
fn decode_base64(encoded: &str) -> Result<Vec<u8>, SesError> {
    let invalid = || SesError::invalid("Invalid Base64 encoding");
    if encoded.contains(['\r', '\n']) {
        let compact: String = encoded
            .chars()
            .filter(|c| !matches!(c, '\r' | '\n'))
            .collect();
        BASE64.decode(compact).map_err(|_| invalid())
    } else {
        BASE64.decode(encoded).map_err(|_| invalid())
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// Parses a JSON body into a request shape; an empty body is `{}`.
fn parse_body<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, SesError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        SesError::new(
            ErrorCode::ValidationError,
            format!("Could not parse request body: {e}"),
        )
    })
}

/// The AWS validation text for one failed constraint.
fn validation(value: Option<&str>, path: &str, rule: &str) -> SesError {
    let value = match value {
        Some(v) => format!(" '{v}'"),
        None => String::new(),
    };
    SesError::new(
        ErrorCode::ValidationError,
        format!(
            "1 validation error detected: Value{value} at '{path}' failed to satisfy constraint: {rule}"
        ),
    )
}

/// The AWS validation text for a missing required member.
fn not_null(path: &str) -> SesError {
    SesError::new(
        ErrorCode::ValidationError,
        format!(
            "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ),
    )
}

/// A path label naming an identity; empty is refused like a missing member.
fn identity_label(identity: &str) -> Result<String, SesError> {
    if identity.is_empty() {
        return Err(validation(
            Some(""),
            "emailIdentity",
            "Member must have length greater than or equal to 1",
        ));
    }
    Ok(identity.to_string())
}

/// A path label naming a policy; empty is refused like a missing member (model: 1–64 chars;
/// the character rule is checked by the service with SES's own text).
fn policy_name_label(name: &str) -> Result<String, SesError> {
    if name.is_empty() {
        return Err(validation(
            Some(""),
            "policyName",
            "Member must have length greater than or equal to 1",
        ));
    }
    Ok(name.to_string())
}

/// The labels and body of Create/UpdateEmailIdentityPolicy.
fn policy_write(
    identity: &str,
    policy_name: &str,
    body: &[u8],
) -> Result<(String, String, String), SesError> {
    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        policy: Option<String>,
    }
    let identity = identity_label(identity)?;
    let policy_name = policy_name_label(policy_name)?;
    let input: Input = parse_body(body)?;
    let policy = input.policy.ok_or_else(|| not_null("policy"))?;
    if policy.is_empty() {
        return Err(validation(
            Some(""),
            "policy",
            "Member must have length greater than or equal to 1",
        ));
    }
    Ok((identity, policy_name, policy))
}

/// An identity to create: a bare address (SES's address checks) or a domain.
fn identity_name(identity: &str) -> Result<String, SesError> {
    identity_label(identity)?;
    if identity.contains('@') {
        let mailbox = Mailbox::parse(identity)?;
        if mailbox.display_name.is_some() || mailbox.address != identity {
            return Err(SesError::invalid(format!(
                "Invalid email address {identity}."
            )));
        }
        return Ok(mailbox.address);
    }
    let probe = format!("postmaster@{identity}");
    if identity.contains(['<', '>']) || Mailbox::parse(&probe).is_err() {
        return Err(SesError::invalid(format!(
            "Invalid domain name {identity}."
        )));
    }
    Ok(identity.to_string())
}
