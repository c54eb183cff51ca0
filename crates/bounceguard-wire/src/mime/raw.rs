//! SES's rules for raw sends (v1 SendRawEmail, v2 SendEmail with `Content.Raw`), ses-spec §1.4.
//!
//! The MIME parsing is `mail-parser`'s. What is written by hand is SES's own behaviour, which no
//! crate reproduces: the envelope-versus-header rules, the `X-SES-*` headers and the error texts.
//!
//! Decisions (documented because SES's docs leave them open):
//! - No `Source` and no `From` header: `InvalidParameterValue` `Missing required header 'From'.`
//!   (observed from real SES in loopingz/aws-smtp-relay#6 and devtron-labs/devtron#2030).
//! - No recipients at all (no `Destinations`, no To/Cc/Bcc address): `InvalidParameterValue`
//!   `Missing required header 'To'.` (observed in aristidb/aws#73 for a raw send without
//!   `Destinations` and without a To header). A To header that is present but blank gives
//!   `Empty required header 'To'.` (observed in daniel-zahariev/php-aws-ses#41).
//! - An empty `Destinations` list counts as absent (the v1 wire form `Destinations=` means `[]`),
//!   so the header recipients are used.
//! - No blank line between header and body, or a line longer than 1000 characters including its
//!   line end: `InvalidParameterValue` with a text of our own (SES documents the rule, not the
//!   error). `InvalidParameterValue` because every observed raw-format error of SES uses it.
//! - `X-SES-FROM-ARN` and `X-SES-RETURN-PATH-ARN` each default to the source ARN when absent
//!   (each one independently), after parameters and headers are combined.
//! - A missing `Source` takes the `Return-Path` header as the feedback address; with `Source`
//!   given, `feedback_address` stays `None` (meaning: the sender), as SES says `Source` wins.

use bounceguard_core::address::Mailbox;
use bounceguard_core::{
    ApiVersion, Content, MessageTag, Recipient, RecipientKind, SendAction, SendRequest, SesError,
};
use bytes::Bytes;
use mail_parser::{Addr, HeaderName, HeaderValue, Message, MessageParser};

use crate::common;

/// Longest line SES accepts, in octets, including the line end (RFC 5321, ses-spec §9).
pub const MAX_LINE_LEN: usize = 1000;

/// The parameters of a raw send that come from outside the message itself.
#[derive(Debug, Clone, Default)]
pub struct RawSendParams {
    /// `Source` (v1) or `FromEmailAddress` (v2), when given.
    pub source: Option<String>,
    /// `Destinations` (v1) or the v2 `Destination` lists flattened, when given.
    pub destinations: Option<Vec<String>>,
    /// `SourceArn` / `FromEmailAddressIdentityArn`.
    pub source_arn: Option<String>,
    /// `FromArn`.
    pub from_arn: Option<String>,
    /// `ReturnPathArn` / `FeedbackForwardingEmailAddressIdentityArn`.
    pub return_path_arn: Option<String>,
    /// `ConfigurationSetName`.
    pub configuration_set: Option<String>,
    /// Message tags given as parameters.
    pub tags: Vec<bounceguard_core::MessageTag>,
}

/// Builds the [`SendRequest`] of a raw send from the decoded MIME bytes and the parameters,
/// applying SES's rules (ses-spec §1.4).
pub fn raw_send(
    api: ApiVersion,
    data: Bytes,
    params: RawSendParams,
) -> Result<SendRequest, SesError> {
    check_format(&data)?;
    // Only the top-level headers matter here, so the (up to 40 MB) body is not parsed.
    // `None` means no header at all could be read.
    let parsed = MessageParser::default().parse_headers(data.as_ref());
    let headers = parsed.as_ref().map(MessageHeaders::new);

    let (from, from_original) = match &params.source {
        Some(source) => (Mailbox::parse(source)?, source.clone()),
        None => headers
            .as_ref()
            .and_then(MessageHeaders::from)
            .ok_or_else(|| SesError::invalid("Missing required header 'From'."))??,
    };

    let destinations = params.destinations.filter(|d| !d.is_empty());
    let recipients = match destinations {
        Some(list) => {
            common::check_recipient_count(list.len())?;
            common::parse_recipients(&list, RecipientKind::Envelope)?
        }
        None => {
            let found = match &headers {
                Some(h) => h.recipients()?,
                None => Vec::new(),
            };
            common::check_recipient_count(found.len())?;
            if found.is_empty() {
                return Err(SesError::invalid("Missing required header 'To'."));
            }
            found
                .into_iter()
                .map(HeaderAddress::into_recipient)
                .collect::<Result<Vec<_>, _>>()?
        }
    };

    let first = |name: &str| headers.as_ref().and_then(|h| h.first_text(name));
    let source_arn = params.source_arn.or_else(|| first("X-SES-SOURCE-ARN"));
    let from_arn = params
        .from_arn
        .or_else(|| first("X-SES-FROM-ARN"))
        .or_else(|| source_arn.clone());
    let return_path_arn = params
        .return_path_arn
        .or_else(|| first("X-SES-RETURN-PATH-ARN"))
        .or_else(|| source_arn.clone());
    let configuration_set = params
        .configuration_set
        .or_else(|| first("X-SES-CONFIGURATION-SET"));

    let mut tags = params.tags;
    if let Some(h) = &headers {
        for value in h.all_texts("X-SES-MESSAGE-TAGS") {
            tags.extend(parse_tag_header(&value));
        }
    }
    common::validate_tags(&tags)?;

    let (reply_to, feedback_address) = match &headers {
        Some(h) => (
            h.reply_to(),
            params.source.is_none().then(|| h.return_path()).flatten(),
        ),
        None => (Vec::new(), None),
    };

    Ok(SendRequest {
        api,
        action: SendAction::SendRawEmail,
        from,
        from_original,
        recipients,
        reply_to,
        feedback_address,
        source_arn,
        from_arn,
        return_path_arn,
        configuration_set,
        tags,
        content: Content::Raw(data),
    })
}

/// Checks the two format rules SES states for raw messages: a blank line between header and body,
/// and no line longer than [`MAX_LINE_LEN`] octets including its line end.
fn check_format(data: &[u8]) -> Result<(), SesError> {
    // The piece after a final line end is not a line.
    let lines = data.strip_suffix(b"\n").unwrap_or(data);
    let mut has_separator = false;
    for (index, line) in lines.split(|b| *b == b'\n').enumerate() {
        let content = line.strip_suffix(b"\r").unwrap_or(line);
        // The line end is CRLF on the wire; count it as two octets whatever the input used.
        if content.len() + 2 > MAX_LINE_LEN {
            return Err(SesError::invalid(format!(
                "Line {} of the message is longer than {MAX_LINE_LEN} characters including CRLF.",
                index + 1
            )));
        }
        has_separator |= content.is_empty();
    }
    if !has_separator {
        return Err(SesError::invalid(
            "The message must contain a header and a body separated by a blank line.",
        ));
    }
    Ok(())
}

/// Splits `n1=v1, n2=v2` into tags; an entry without `=` gets an empty value, which
/// [`common::validate_tags`] then refuses with SES's text.
fn parse_tag_header(value: &str) -> Vec<MessageTag> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
            MessageTag {
                name: name.trim().to_string(),
                value: value.trim().to_string(),
            }
        })
        .collect()
}

/// Removes folding line ends and trims, giving the logical header value.
pub(crate) fn unfold(raw: &str) -> String {
    raw.chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

/// Formats a parsed address the way a person would have written it.
pub(crate) fn format_addr(name: Option<&str>, address: &str) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => address.to_string(),
        Some(name) if name.chars().any(|c| "\",;<>@:()[]\\".contains(c)) => {
            let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\" <{address}>")
        }
        Some(name) => format!("{name} <{address}>"),
    }
}

/// One address found in a recipient header, before SES's syntax check.
struct HeaderAddress {
    original: String,
    address: Option<String>,
    name: Option<String>,
    kind: RecipientKind,
}

impl HeaderAddress {
    fn from_addr(addr: &Addr<'_>, kind: RecipientKind) -> Self {
        let name = addr.name().map(str::to_string);
        let address = addr.address().map(str::to_string);
        let original = match &address {
            Some(a) => format_addr(name.as_deref(), a),
            None => name.clone().unwrap_or_default(),
        };
        Self {
            original,
            address,
            name,
            kind,
        }
    }

    /// Checks the address with SES's rules; a part without an address reports what SES says
    /// about the text that was there.
    fn into_recipient(self) -> Result<Recipient, SesError> {
        let mailbox = match &self.address {
            Some(address) => {
                let mut mailbox = Mailbox::parse(address)?;
                mailbox.display_name = self.name.filter(|n| !n.trim().is_empty());
                mailbox
            }
            None => Mailbox::parse(&self.original)?,
        };
        Ok(Recipient {
            original: self.original,
            mailbox,
            kind: self.kind,
        })
    }
}

/// The top-level headers of a parsed message, read the way SES reads them.
struct MessageHeaders<'a, 'x> {
    message: &'a Message<'x>,
}

impl<'a, 'x> MessageHeaders<'a, 'x> {
    fn new(message: &'a Message<'x>) -> Self {
        Self { message }
    }

    /// The raw (unfolded) text of each header with this name, in order.
    fn all_texts(&self, name: &str) -> Vec<String> {
        self.message
            .headers()
            .iter()
            .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
            .filter_map(|h| {
                self.message
                    .raw_message
                    .get(h.offset_start as usize..h.offset_end as usize)
            })
            .map(|bytes| unfold(&String::from_utf8_lossy(bytes)))
            .collect()
    }

    /// The first header with this name, unfolded, when it is not blank.
    fn first_text(&self, name: &str) -> Option<String> {
        self.all_texts(name)
            .into_iter()
            .next()
            .filter(|v| !v.is_empty())
    }

    /// The sender from the first From header: `None` when there is no usable From header.
    fn from(&self) -> Option<Result<(Mailbox, String), SesError>> {
        let original = self.first_text("From")?;
        let parsed = self
            .message
            .header_values(HeaderName::From)
            .find_map(HeaderValue::as_address)
            .and_then(|a| a.first())
            .map(|addr| HeaderAddress::from_addr(addr, RecipientKind::To));
        let mailbox = match parsed {
            Some(found) if found.address.is_some() => found.into_recipient().map(|r| r.mailbox),
            _ => Mailbox::parse(&original),
        };
        Some(mailbox.map(|m| (m, original)))
    }

    /// Every address of the To, Cc and Bcc headers, group members included.
    fn recipients(&self) -> Result<Vec<HeaderAddress>, SesError> {
        let mut found = Vec::new();
        if self.all_texts("To").iter().any(String::is_empty) {
            return Err(SesError::invalid("Empty required header 'To'."));
        }
        for (header, kind) in [
            (HeaderName::To, RecipientKind::To),
            (HeaderName::Cc, RecipientKind::Cc),
            (HeaderName::Bcc, RecipientKind::Bcc),
        ] {
            for value in self.message.header_values(header) {
                match value {
                    HeaderValue::Address(address) => found.extend(
                        address
                            .iter()
                            .filter(|a| a.address.is_some() || a.name.is_some())
                            .map(|a| HeaderAddress::from_addr(a, kind)),
                    ),
                    HeaderValue::Text(text) if !text.trim().is_empty() => {
                        found.push(HeaderAddress {
                            original: unfold(text),
                            address: None,
                            name: None,
                            kind,
                        });
                    }
                    _ => {}
                }
            }
        }
        Ok(found)
    }

    /// The Reply-To addresses, formatted.
    fn reply_to(&self) -> Vec<String> {
        self.message
            .header_values(HeaderName::ReplyTo)
            .filter_map(HeaderValue::as_address)
            .flat_map(|a| a.iter())
            .filter_map(|a| a.address().map(|addr| format_addr(a.name(), addr)))
            .collect()
    }

    /// The address of the Return-Path header, without angle brackets.
    fn return_path(&self) -> Option<String> {
        let raw = self.first_text("Return-Path")?;
        let inner = raw
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        (!inner.is_empty()).then(|| inner.to_string())
    }
}
