//! Typed SES operations and their results, shared by the v1 and v2 fronts.
//!
//! Each front decodes its bytes into an [`Operation`], the service executes it and answers with
//! the matching result type, and the same front encodes that result. This is the s3s pattern:
//! decode → authenticate → call the domain → encode.

use bytes::Bytes;

use crate::address::Mailbox;

/// Which SES API a request came through (`ses:ApiVersion` in policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    /// The Query/XML API, version 2010-12-01.
    V1,
    /// The REST/JSON API, version 2019-09-27 (and SMTP, which SES counts as v2).
    V2,
}

impl ApiVersion {
    /// The value of the `ses:ApiVersion` condition key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "1",
            Self::V2 => "2",
        }
    }
}

/// The IAM action a send is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendAction {
    /// `ses:SendEmail`.
    SendEmail,
    /// `ses:SendRawEmail`.
    SendRawEmail,
}

impl SendAction {
    /// The IAM action name, e.g. `ses:SendEmail`.
    pub fn iam_action(self) -> &'static str {
        match self {
            Self::SendEmail => "ses:SendEmail",
            Self::SendRawEmail => "ses:SendRawEmail",
        }
    }

    /// The SES operation name, e.g. `SendEmail`.
    pub fn operation(self) -> &'static str {
        match self {
            Self::SendEmail => "SendEmail",
            Self::SendRawEmail => "SendRawEmail",
        }
    }
}

/// Where a recipient was named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientKind {
    /// `To` (Destination.ToAddresses or the To header).
    To,
    /// `Cc`.
    Cc,
    /// `Bcc`.
    Bcc,
    /// An envelope recipient of a raw send (`Destinations`, or SMTP `RCPT TO`).
    Envelope,
}

impl RecipientKind {
    /// Lower-case name used in records and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::To => "to",
            Self::Cc => "cc",
            Self::Bcc => "bcc",
            Self::Envelope => "envelope",
        }
    }
}

/// One recipient of a send, as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The text the client sent, display name included (`Ann <ann@example.org>`).
    pub original: String,
    /// The parsed mailbox.
    pub mailbox: Mailbox,
    /// Where it was named.
    pub kind: RecipientKind,
}

/// A message tag (`Tags` in v1, `EmailTags` in v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTag {
    /// Tag name.
    pub name: String,
    /// Tag value.
    pub value: String,
}

/// One part of a simple (non-raw) message body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    /// The content.
    pub data: String,
    /// The declared charset, if any.
    pub charset: Option<String>,
}

/// An attachment of a v2 simple message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name shown to the reader.
    pub file_name: String,
    /// The decoded bytes.
    pub content: Bytes,
    /// MIME type; `application/octet-stream` when absent.
    pub content_type: Option<String>,
    /// `Content-ID` for inline parts.
    pub content_id: Option<String>,
    /// `true` for `INLINE`, `false` for `ATTACHMENT`.
    pub inline: bool,
    /// `Content-Description`.
    pub description: Option<String>,
}

/// A message SES formats itself (v1 SendEmail, v2 `Content.Simple`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleContent {
    /// Subject line.
    pub subject: Text,
    /// Plain-text body.
    pub text: Option<Text>,
    /// HTML body.
    pub html: Option<Text>,
    /// Extra headers (v2 `Headers`), name and value.
    pub headers: Vec<(String, String)>,
    /// Attachments (v2 only).
    pub attachments: Vec<Attachment>,
}

/// What is being sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// SES builds the MIME message.
    Simple(SimpleContent),
    /// The client supplied the whole MIME message (already base64-decoded).
    Raw(Bytes),
}

/// A send, from any front: v1 SendEmail/SendRawEmail, v2 SendEmail, later SMTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// Which API it came through.
    pub api: ApiVersion,
    /// Which IAM action it is checked as.
    pub action: SendAction,
    /// The sender: `Source`, `FromEmailAddress`, or the raw message's From header.
    pub from: Mailbox,
    /// The text the client gave for the sender, display name included.
    pub from_original: String,
    /// Every recipient: the destination lists, or the header recipients of a raw message.
    pub recipients: Vec<Recipient>,
    /// Reply-To addresses.
    pub reply_to: Vec<String>,
    /// Where bounces and complaints go (`ReturnPath`, `FeedbackForwardingEmailAddress`).
    pub feedback_address: Option<String>,
    /// `SourceArn` / `FromEmailAddressIdentityArn` (sending authorization).
    pub source_arn: Option<String>,
    /// `FromArn` (raw sends).
    pub from_arn: Option<String>,
    /// `ReturnPathArn` / `FeedbackForwardingEmailAddressIdentityArn`.
    pub return_path_arn: Option<String>,
    /// `ConfigurationSetName`.
    pub configuration_set: Option<String>,
    /// Message tags.
    pub tags: Vec<MessageTag>,
    /// The message itself.
    pub content: Content,
}

/// The kind of a verified identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityType {
    /// A single address.
    EmailAddress,
    /// A whole domain.
    Domain,
}

impl IdentityType {
    /// The v1 name (`EmailAddress`, `Domain`).
    pub fn v1_name(self) -> &'static str {
        match self {
            Self::EmailAddress => "EmailAddress",
            Self::Domain => "Domain",
        }
    }

    /// The v2 name (`EMAIL_ADDRESS`, `DOMAIN`).
    pub fn v2_name(self) -> &'static str {
        match self {
            Self::EmailAddress => "EMAIL_ADDRESS",
            Self::Domain => "DOMAIN",
        }
    }

    /// The type an identity name has: an address if it holds `@`, else a domain.
    pub fn of(identity: &str) -> Self {
        if identity.contains('@') {
            Self::EmailAddress
        } else {
            Self::Domain
        }
    }
}

/// A verified identity as the service keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The address or domain.
    pub name: String,
    /// Address or domain.
    pub identity_type: IdentityType,
    /// The domain verification token (domains only).
    pub verification_token: Option<String>,
    /// When it was created, milliseconds since the epoch.
    pub created_ms: i64,
}

/// Every operation the SES fronts can decode, with its typed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// v1 SendEmail, v1 SendRawEmail, v2 SendEmail.
    Send(Box<SendRequest>),
    /// v1 VerifyEmailIdentity (and the older VerifyEmailAddress).
    VerifyEmailIdentity {
        /// The address to verify.
        email: String,
    },
    /// v1 VerifyDomainIdentity.
    VerifyDomainIdentity {
        /// The domain to verify.
        domain: String,
    },
    /// v1 ListIdentities.
    ListIdentities {
        /// Only this kind, when given.
        identity_type: Option<IdentityType>,
        /// Token from a previous page.
        next_token: Option<String>,
        /// Page size, 1–1000 (default 100).
        max_items: Option<u32>,
    },
    /// v1 DeleteIdentity.
    DeleteIdentity {
        /// The address or domain.
        identity: String,
    },
    /// v1 GetIdentityVerificationAttributes.
    GetIdentityVerificationAttributes {
        /// The identities asked about.
        identities: Vec<String>,
    },
    /// v1 GetSendQuota.
    GetSendQuota,
    /// v1 GetSendStatistics.
    GetSendStatistics,
    /// v2 CreateEmailIdentity.
    CreateEmailIdentity {
        /// The address or domain.
        identity: String,
    },
    /// v2 GetEmailIdentity.
    GetEmailIdentity {
        /// The address or domain.
        identity: String,
    },
    /// v2 ListEmailIdentities.
    ListEmailIdentities {
        /// Token from a previous page.
        next_token: Option<String>,
        /// Page size (default 100, at most 1000).
        page_size: Option<u32>,
    },
    /// v2 DeleteEmailIdentity.
    DeleteEmailIdentity {
        /// The address or domain.
        identity: String,
    },
    /// v2 GetAccount.
    GetAccount,
    /// v1 PutIdentityPolicy: create or replace a sending-authorization policy.
    PutIdentityPolicy {
        /// The identity, as a name or an identity ARN.
        identity: String,
        /// The policy's name.
        policy_name: String,
        /// The policy document (JSON).
        policy: String,
    },
    /// v1 GetIdentityPolicies: the named policies of an identity.
    GetIdentityPolicies {
        /// The identity, as a name or an identity ARN.
        identity: String,
        /// The names asked for (at most 20).
        policy_names: Vec<String>,
    },
    /// v1 ListIdentityPolicies: the names of an identity's policies.
    ListIdentityPolicies {
        /// The identity, as a name or an identity ARN.
        identity: String,
    },
    /// v1 DeleteIdentityPolicy: remove a policy (succeeds when it is absent).
    DeleteIdentityPolicy {
        /// The identity, as a name or an identity ARN.
        identity: String,
        /// The policy's name.
        policy_name: String,
    },
    /// v2 CreateEmailIdentityPolicy: add a policy under a new name.
    CreateEmailIdentityPolicy {
        /// The identity.
        identity: String,
        /// The policy's name.
        policy_name: String,
        /// The policy document (JSON).
        policy: String,
    },
    /// v2 GetEmailIdentityPolicies: every policy of an identity.
    GetEmailIdentityPolicies {
        /// The identity.
        identity: String,
    },
    /// v2 UpdateEmailIdentityPolicy: replace an existing policy.
    UpdateEmailIdentityPolicy {
        /// The identity.
        identity: String,
        /// The policy's name.
        policy_name: String,
        /// The policy document (JSON).
        policy: String,
    },
    /// v2 DeleteEmailIdentityPolicy: remove an existing policy.
    DeleteEmailIdentityPolicy {
        /// The identity.
        identity: String,
        /// The policy's name.
        policy_name: String,
    },
}

impl Operation {
    /// The SES operation name, for logs and the generic AccessDenied wording.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Send(request) => request.action.operation(),
            Self::VerifyEmailIdentity { .. } => "VerifyEmailIdentity",
            Self::VerifyDomainIdentity { .. } => "VerifyDomainIdentity",
            Self::ListIdentities { .. } => "ListIdentities",
            Self::DeleteIdentity { .. } => "DeleteIdentity",
            Self::GetIdentityVerificationAttributes { .. } => "GetIdentityVerificationAttributes",
            Self::GetSendQuota => "GetSendQuota",
            Self::GetSendStatistics => "GetSendStatistics",
            Self::CreateEmailIdentity { .. } => "CreateEmailIdentity",
            Self::GetEmailIdentity { .. } => "GetEmailIdentity",
            Self::ListEmailIdentities { .. } => "ListEmailIdentities",
            Self::DeleteEmailIdentity { .. } => "DeleteEmailIdentity",
            Self::GetAccount => "GetAccount",
            Self::PutIdentityPolicy { .. } => "PutIdentityPolicy",
            Self::GetIdentityPolicies { .. } => "GetIdentityPolicies",
            Self::ListIdentityPolicies { .. } => "ListIdentityPolicies",
            Self::DeleteIdentityPolicy { .. } => "DeleteIdentityPolicy",
            Self::CreateEmailIdentityPolicy { .. } => "CreateEmailIdentityPolicy",
            Self::GetEmailIdentityPolicies { .. } => "GetEmailIdentityPolicies",
            Self::UpdateEmailIdentityPolicy { .. } => "UpdateEmailIdentityPolicy",
            Self::DeleteEmailIdentityPolicy { .. } => "DeleteEmailIdentityPolicy",
        }
    }
}

/// The result of an executed [`Operation`]; each variant answers the operations named on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send: the SES MessageId.
    MessageId(String),
    /// VerifyEmailIdentity, DeleteIdentity, DeleteEmailIdentity and the policy writes: nothing to say.
    Empty,
    /// VerifyDomainIdentity: the token to publish in DNS.
    VerificationToken(String),
    /// ListIdentities, ListEmailIdentities.
    Identities {
        /// The page.
        identities: Vec<Identity>,
        /// Token for the next page.
        next_token: Option<String>,
    },
    /// GetIdentityVerificationAttributes: one entry per known identity asked about.
    VerificationAttributes(Vec<Identity>),
    /// GetSendQuota.
    SendQuota(SendQuota),
    /// GetSendStatistics.
    SendStatistics(Vec<crate::stats::SendDataPoint>),
    /// CreateEmailIdentity.
    EmailIdentity(Identity),
    /// GetEmailIdentity: the identity and its sending-authorization policies (name, document).
    EmailIdentityDetails(Identity, Vec<(String, String)>),
    /// GetAccount.
    Account(Account),
    /// GetIdentityPolicies, GetEmailIdentityPolicies: `(policy name, document)` pairs.
    Policies(Vec<(String, String)>),
    /// ListIdentityPolicies: policy names.
    PolicyNames(Vec<String>),
}

/// The account's sending quota (GetSendQuota, GetAccount's `SendQuota`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendQuota {
    /// Recipients allowed per 24 hours; -1 means unlimited.
    pub max_24_hour_send: f64,
    /// Recipients per second.
    pub max_send_rate: f64,
    /// Recipients sent in the last 24 hours.
    pub sent_last_24_hours: f64,
}

/// The account as GetAccount reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// `HEALTHY`, `PROBATION` or `SHUTDOWN`.
    pub enforcement_status: String,
    /// `false` means the sandbox.
    pub production_access_enabled: bool,
    /// Whether the account may send.
    pub sending_enabled: bool,
    /// The quota.
    pub send_quota: SendQuota,
    /// Reasons that put addresses on the account suppression list.
    pub suppressed_reasons: Vec<String>,
}
