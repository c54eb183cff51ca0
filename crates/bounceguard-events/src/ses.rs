//! SES event JSON (ses-spec §7.1, §7.3): the payload SES puts in an SNS `Message`, both as an
//! identity notification (`notificationType`) and as event publishing (`eventType`).
//!
//! Parsing ignores unknown fields (SES adds fields over time, §7.1) and names a missing required
//! field in its error. Building produces the same field names and order as SES (§7.3 example), so
//! the mailbox simulator and the suppression-list bounce emit what a real account would.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an SES event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The text is not JSON, or a required field is missing or has the wrong type.
    #[error("SES event JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Neither `notificationType` nor `eventType` is present.
    #[error("SES event has neither notificationType nor eventType")]
    NoType,
    /// The type names an object (`bounce`, `complaint`, …) that the event does not carry.
    #[error("SES {event_type} event has no `{field}` object")]
    MissingBody {
        /// The event type read from the discriminator.
        event_type: String,
        /// The object that should carry its details.
        field: &'static str,
    },
}

/// The two ways SES publishes events (§7.1); they differ in the discriminator's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `SetIdentityNotificationTopic`: `notificationType`, no `mail.tags`.
    IdentityNotification,
    /// A configuration set's SNS event destination: `eventType`, `mail.tags` always present.
    EventPublishing,
}

/// A timestamp as SES writes it: ISO 8601 in UTC with milliseconds (`2024-01-15T10:30:00.011Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SesTime(pub DateTime<Utc>);

impl fmt::Display for SesTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for SesTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SesTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| SesTime(t.with_timezone(&Utc)))
            .map_err(|e| D::Error::custom(format!("timestamp {text:?}: {e}")))
    }
}

/// One header of the original message (`mail.headers[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Header name as sent.
    pub name: String,
    /// Header value as sent.
    pub value: String,
}

/// `mail.commonHeaders`: the parsed headers SES reports for every event. Serialised in the
/// order of the spec's example (`from`, `to`, `subject`, `messageId`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommonHeaders {
    /// `Return-Path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_path: Option<String>,
    /// `From` addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<String>>,
    /// `Date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `To` addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    /// `Cc` addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<Vec<String>>,
    /// `Bcc` addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcc: Option<Vec<String>>,
    /// `Subject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The original `Message-ID` (or the SES MessageId when none was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// `mail.tags`: tag name to values, kept in the order SES wrote them (`ses:operation` first,
/// custom tags last), which a sorted map would lose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub Vec<(String, Vec<String>)>);

impl Tags {
    /// The values of tag `name`.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, values) in &self.0 {
            map.serialize_entry(name, values)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of tag names to lists of values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                let mut tags = Vec::new();
                while let Some(entry) = map.next_entry::<String, Vec<String>>()? {
                    tags.push(entry);
                }
                Ok(Tags(tags))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// The `mail` object every event carries (§7.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mail {
    /// When the message was sent.
    pub timestamp: SesTime,
    /// Envelope MAIL FROM (may keep a display name).
    pub source: String,
    /// The identity used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
    /// The API caller's IP (identity notifications only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// IAM identity of the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_identity: Option<String>,
    /// The sending account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_account_id: Option<String>,
    /// The SES MessageId.
    pub message_id: String,
    /// Recipients, as submitted.
    pub destination: Vec<String>,
    /// Whether `headers` was cut at 10 KB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_truncated: Option<bool>,
    /// The original headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<Header>>,
    /// The parsed common headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_headers: Option<CommonHeaders>,
    /// Message tags (event publishing only): custom tags plus `ses:*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

impl Mail {
    /// A `mail` object with the four fields SES always sets; the rest start empty.
    pub fn new(
        message_id: impl Into<String>,
        source: impl Into<String>,
        destination: Vec<String>,
        timestamp: DateTime<Utc>,
    ) -> Self {
        Self {
            timestamp: SesTime(timestamp),
            source: source.into(),
            source_arn: None,
            source_ip: None,
            caller_identity: None,
            sending_account_id: None,
            message_id: message_id.into(),
            destination,
            headers_truncated: None,
            headers: None,
            common_headers: None,
            tags: None,
        }
    }
}

/// Declares a string enum that keeps unknown values (SES adds values; §7.1 says tolerate them).
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The value as SES writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Ok(Self::from(text.as_str()))
            }
        }
    };
}

open_enum! {
    /// `bounce.bounceType`.
    BounceType {
        /// A hard bounce: the only kind that counts toward the bounce rate.
        Permanent => "Permanent",
        /// A soft bounce SES stopped retrying (mailbox full, auto-reply, …).
        Transient => "Transient",
        /// SES could not tell.
        Undetermined => "Undetermined",
    }
}

open_enum! {
    /// `bounce.bounceSubType`.
    BounceSubType {
        /// Undetermined / Undetermined.
        Undetermined => "Undetermined",
        /// Permanent or Transient general failure.
        General => "General",
        /// Permanent: the address does not exist.
        NoEmail => "NoEmail",
        /// Permanent: on SES's global suppression list (counts toward the rate).
        Suppressed => "Suppressed",
        /// Permanent: on the account-level suppression list (does not count).
        OnAccountSuppressionList => "OnAccountSuppressionList",
        /// Transient: mailbox full.
        MailboxFull => "MailboxFull",
        /// Transient: message too large.
        MessageTooLarge => "MessageTooLarge",
        /// Transient: content rejected.
        ContentRejected => "ContentRejected",
        /// Transient: attachment rejected.
        AttachmentRejected => "AttachmentRejected",
    }
}

open_enum! {
    /// The event type named by `notificationType` / `eventType`.
    EventType {
        /// `Bounce`.
        Bounce => "Bounce",
        /// `Complaint`.
        Complaint => "Complaint",
        /// `Delivery`.
        Delivery => "Delivery",
        /// `Send` (event publishing only).
        Send => "Send",
        /// `Reject` (event publishing only).
        Reject => "Reject",
        /// `DeliveryDelay` (event publishing only).
        DeliveryDelay => "DeliveryDelay",
    }
}

/// One entry of `bounce.bouncedRecipients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BouncedRecipient {
    /// The address, as submitted (display name kept).
    pub email_address: String,
    /// `failed` or `delayed`, when a DSN exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Enhanced status code such as `5.1.1`, when a DSN exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Diagnostic text such as `smtp; 550 5.1.1 user unknown`, when a DSN exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic_code: Option<String>,
}

/// The `bounce` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bounce {
    /// Permanent / Transient / Undetermined.
    pub bounce_type: BounceType,
    /// The sub-type (§7.3 table).
    pub bounce_sub_type: BounceSubType,
    /// Who bounced.
    pub bounced_recipients: Vec<BouncedRecipient>,
    /// When SES received the bounce.
    pub timestamp: SesTime,
    /// SES's unique id for this feedback.
    pub feedback_id: String,
    /// The remote MTA's IP, when one was reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_mta_ip: Option<String>,
    /// The DSN's reporting MTA, e.g. `dsn; mx.example.org`.
    #[serde(
        rename = "reportingMTA",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reporting_mta: Option<String>,
}

/// SES's diagnostic text for a send to an address on the account-level suppression list (§6).
pub const ACCOUNT_SUPPRESSION_DIAGNOSTIC: &str = "Amazon SES did not send the message to this address because it is on the suppression list for your account. For more information about removing addresses from the suppression list, see the Amazon SES Developer Guide at https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html";

impl Bounce {
    /// The bounce SES publishes for a send to an address on the account's suppression list
    /// (§6, observed 2021): Permanent/OnAccountSuppressionList, `failed`, `5.1.1`, SES's text,
    /// `reportingMTA: "dns; amazonses.com"` and no `remoteMtaIp`.
    pub fn on_account_suppression_list(
        recipients_as_submitted: &[&str],
        timestamp: DateTime<Utc>,
        feedback_id: impl Into<String>,
    ) -> Self {
        Self {
            bounce_type: BounceType::Permanent,
            bounce_sub_type: BounceSubType::OnAccountSuppressionList,
            bounced_recipients: recipients_as_submitted
                .iter()
                .map(|address| BouncedRecipient {
                    email_address: (*address).to_owned(),
                    action: Some("failed".to_owned()),
                    status: Some("5.1.1".to_owned()),
                    diagnostic_code: Some(ACCOUNT_SUPPRESSION_DIAGNOSTIC.to_owned()),
                })
                .collect(),
            timestamp: SesTime(timestamp),
            feedback_id: feedback_id.into(),
            remote_mta_ip: None,
            reporting_mta: Some("dns; amazonses.com".to_owned()),
        }
    }

    /// Whether this bounce counts toward SES's bounce rate: Permanent, except
    /// `OnAccountSuppressionList` (§5, §6). `Suppressed` (global list) does count.
    pub fn counts_toward_rate(&self) -> bool {
        self.bounce_type == BounceType::Permanent
            && self.bounce_sub_type != BounceSubType::OnAccountSuppressionList
    }
}

/// One entry of `complaint.complainedRecipients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplainedRecipient {
    /// The address (inferred by SES: every original recipient at the complaining domain).
    pub email_address: String,
}

/// The `complaint` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Complaint {
    /// The complaining recipients.
    pub complained_recipients: Vec<ComplainedRecipient>,
    /// When the complaint was received.
    pub timestamp: SesTime,
    /// SES's unique id for this feedback.
    pub feedback_id: String,
    /// `null` or `OnAccountSuppressionList`; SES writes the key even when null.
    #[serde(default)]
    pub complaint_sub_type: Option<String>,
    /// From the feedback report, when attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `abuse`, `auth-failure`, `fraud`, `not-spam`, `other` or `virus`, when a report is attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_feedback_type: Option<String>,
    /// From the feedback report, when attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_date: Option<String>,
}

/// The `delivery` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// When the receiving MTA accepted the mail.
    pub timestamp: SesTime,
    /// Milliseconds from SES accepting the request to delivery.
    #[serde(default)]
    pub processing_time_millis: u64,
    /// The delivered recipients.
    pub recipients: Vec<String>,
    /// The receiving MTA's SMTP reply.
    #[serde(default)]
    pub smtp_response: String,
    /// The SES host that delivered it.
    #[serde(rename = "reportingMTA", default)]
    pub reporting_mta: String,
    /// The remote MTA's IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_mta_ip: Option<String>,
}

/// The `reject` object (virus found).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    /// Why, e.g. `Bad content`.
    pub reason: String,
}

/// One entry of `deliveryDelay.delayedRecipients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DelayedRecipient {
    /// The delayed address.
    pub email_address: String,
    /// Enhanced status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Diagnostic text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic_code: Option<String>,
}

/// The `deliveryDelay` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDelay {
    /// When the delay was reported.
    pub timestamp: SesTime,
    /// Why, e.g. `MailboxFull`, `TransientCommunicationFailure`.
    pub delay_type: String,
    /// When SES stops retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<SesTime>,
    /// The delayed recipients.
    pub delayed_recipients: Vec<DelayedRecipient>,
    /// The MTA that reported the delay.
    #[serde(
        rename = "reportingMTA",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reporting_mta: Option<String>,
}

/// What happened, with its details object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventDetail {
    /// A bounce.
    Bounce(Bounce),
    /// A complaint.
    Complaint(Complaint),
    /// A delivery.
    Delivery(Delivery),
    /// SES accepted the send (`send: {}`).
    Send,
    /// SES rejected the message after accepting it.
    Reject(Reject),
    /// A temporary delivery failure.
    DeliveryDelay(DeliveryDelay),
    /// A type this crate does not model (Open, Click, Rendering Failure, Subscription, …);
    /// only its name is kept.
    Other(String),
}

impl EventDetail {
    /// The event's type.
    pub fn event_type(&self) -> EventType {
        match self {
            Self::Bounce(_) => EventType::Bounce,
            Self::Complaint(_) => EventType::Complaint,
            Self::Delivery(_) => EventType::Delivery,
            Self::Send => EventType::Send,
            Self::Reject(_) => EventType::Reject,
            Self::DeliveryDelay(_) => EventType::DeliveryDelay,
            Self::Other(name) => EventType::Other(name.clone()),
        }
    }
}

/// The suppression-list reason an event gives (the workspace's one type).
pub use bounceguard_guard::SuppressionReason as SuppressionCause;

/// One SES event: the channel it came through, what happened, and the `mail` it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesEvent {
    /// Identity notification or event publishing.
    pub channel: Channel,
    /// What happened.
    pub detail: EventDetail,
    /// The message it is about.
    pub mail: Mail,
}

/// The wire shape, used both ways; field order is SES's (discriminator, details, `mail`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notification_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bounce: Option<Bounce>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    complaint: Option<Complaint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delivery: Option<Delivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    send: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reject: Option<Reject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delivery_delay: Option<DeliveryDelay>,
    mail: Mail,
}

/// The text SES publishes once when an SNS event destination is created (§7.1).
pub const SNS_TOPIC_VALIDATION_MESSAGE: &str =
    "Successfully validated SNS topic for Amazon SES event publishing.";

/// What an SNS `Message` from SES can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SesMessage {
    /// An event about a message.
    Event(Box<SesEvent>),
    /// The one-off test message SES sends when an event destination is created.
    TopicValidation,
}

/// Reads an SNS `Message` from SES: an event, or the topic-validation text.
pub fn parse_message(text: &str) -> Result<SesMessage, EventError> {
    if text.trim() == SNS_TOPIC_VALIDATION_MESSAGE {
        return Ok(SesMessage::TopicValidation);
    }
    SesEvent::from_json(text).map(|e| SesMessage::Event(Box::new(e)))
}

fn required<T>(value: Option<T>, event_type: &str, field: &'static str) -> Result<T, EventError> {
    value.ok_or_else(|| EventError::MissingBody {
        event_type: event_type.to_owned(),
        field,
    })
}

impl SesEvent {
    /// Reads one SES event from its JSON text.
    pub fn from_json(text: &str) -> Result<Self, EventError> {
        let wire: Wire = serde_json::from_str(text)?;
        let (channel, name) = match (wire.notification_type, wire.event_type) {
            (Some(name), _) => (Channel::IdentityNotification, name),
            (None, Some(name)) => (Channel::EventPublishing, name),
            (None, None) => return Err(EventError::NoType),
        };
        let detail = match EventType::from(name.as_str()) {
            EventType::Bounce => EventDetail::Bounce(required(wire.bounce, &name, "bounce")?),
            EventType::Complaint => {
                EventDetail::Complaint(required(wire.complaint, &name, "complaint")?)
            }
            EventType::Delivery => {
                EventDetail::Delivery(required(wire.delivery, &name, "delivery")?)
            }
            // SES always writes `send: {}`, but there is nothing in it to lose.
            EventType::Send => EventDetail::Send,
            EventType::Reject => EventDetail::Reject(required(wire.reject, &name, "reject")?),
            EventType::DeliveryDelay => {
                EventDetail::DeliveryDelay(required(wire.delivery_delay, &name, "deliveryDelay")?)
            }
            EventType::Other(name) => EventDetail::Other(name),
        };
        Ok(Self {
            channel,
            detail,
            mail: wire.mail,
        })
    }

    /// The JSON SES would publish for this event.
    pub fn to_json(&self) -> String {
        let name = self.detail.event_type().as_str().to_owned();
        let (notification_type, event_type) = match self.channel {
            Channel::IdentityNotification => (Some(name), None),
            Channel::EventPublishing => (None, Some(name)),
        };
        let mut wire = Wire {
            notification_type,
            event_type,
            bounce: None,
            complaint: None,
            delivery: None,
            send: None,
            reject: None,
            delivery_delay: None,
            mail: self.mail.clone(),
        };
        match &self.detail {
            EventDetail::Bounce(b) => wire.bounce = Some(b.clone()),
            EventDetail::Complaint(c) => wire.complaint = Some(c.clone()),
            EventDetail::Delivery(d) => wire.delivery = Some(d.clone()),
            EventDetail::Send => wire.send = Some(serde_json::Map::new()),
            EventDetail::Reject(r) => wire.reject = Some(r.clone()),
            EventDetail::DeliveryDelay(d) => wire.delivery_delay = Some(d.clone()),
            EventDetail::Other(_) => {}
        }
        // Serialising plain structs of strings, numbers and maps with string keys cannot fail.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// What SES would add to the account-level suppression list for this event (§6), before
    /// the account's enabled reasons are applied: the bounced recipients of a Permanent bounce
    /// (except `OnAccountSuppressionList`, which the list itself caused) under `BOUNCE`, and the
    /// complained recipients of a complaint (except `OnAccountSuppressionList`) under
    /// `COMPLAINT`. Events of simulated sends must not be fed here (§8: never suppressed).
    pub fn suppression_candidates(&self) -> Option<(SuppressionCause, Vec<&str>)> {
        match &self.detail {
            EventDetail::Bounce(b)
                if b.bounce_type == BounceType::Permanent
                    && b.bounce_sub_type != BounceSubType::OnAccountSuppressionList =>
            {
                Some((SuppressionCause::Bounce, self.recipients()))
            }
            EventDetail::Complaint(c)
                if c.complaint_sub_type.as_deref() != Some("OnAccountSuppressionList") =>
            {
                Some((SuppressionCause::Complaint, self.recipients()))
            }
            _ => None,
        }
    }

    /// The recipients this event is about (bounced, complained, delivered, delayed), or the
    /// message's destinations for Send, Reject and unknown types.
    pub fn recipients(&self) -> Vec<&str> {
        match &self.detail {
            EventDetail::Bounce(b) => b
                .bounced_recipients
                .iter()
                .map(|r| r.email_address.as_str())
                .collect(),
            EventDetail::Complaint(c) => c
                .complained_recipients
                .iter()
                .map(|r| r.email_address.as_str())
                .collect(),
            EventDetail::Delivery(d) => d.recipients.iter().map(String::as_str).collect(),
            EventDetail::DeliveryDelay(d) => d
                .delayed_recipients
                .iter()
                .map(|r| r.email_address.as_str())
                .collect(),
            EventDetail::Send | EventDetail::Reject(_) | EventDetail::Other(_) => {
                self.mail.destination.iter().map(String::as_str).collect()
            }
        }
    }
}
