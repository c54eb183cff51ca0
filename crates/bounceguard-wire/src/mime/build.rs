//! The MIME message SES would send for `Content::Simple` (v1 SendEmail, v2 `Content.Simple`).
//!
//! `mail-builder` (pinned) does the writing; it is used only inside [`build_simple`], so a change
//! of its API touches this file alone.
//!
//! Decisions:
//! - Bodies are written as UTF-8 whatever `Charset` the request declared: the request text is
//!   already Unicode once decoded from the wire, so the declared charset says nothing about it.
//! - v2 `Headers` that would collide with a header SES writes itself (From, To, Cc, Bcc,
//!   Reply-To, Subject, Date, Message-ID, MIME-Version, Content-Type,
//!   Content-Transfer-Encoding) are left out; the others are appended after the standard ones.
//!   CR and LF are removed from names and values so a header can never end early.
//! - Attachments put the message in `multipart/mixed`: first the body (a single text part, or
//!   `multipart/alternative` with text and HTML), then each attachment, `inline` ones included,
//!   each with `Content-Disposition` and its file name.

use std::borrow::Cow;

use bounceguard_core::address::Mailbox;
use bounceguard_core::{Attachment, Content, RecipientKind, SendRequest, SimpleContent};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::mime::{BodyPart, MimePart};

/// Headers SES writes itself; a v2 `Headers` entry with one of these names is dropped.
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// Writes the message SES would send for a simple send: From (with display name), To, Cc (never
/// Bcc), Reply-To, Subject (RFC 2047 when not ASCII), Date, Message-ID, MIME-Version, the bodies
/// and the v2 attachments and headers. A raw request gives its bytes back unchanged.
///
/// `message_id_header` is the Message-ID with or without angle brackets; `date_unix_ms` is the
/// send time in milliseconds since the epoch.
pub fn build_simple(request: &SendRequest, message_id_header: &str, date_unix_ms: i64) -> Vec<u8> {
    let simple = match &request.content {
        Content::Simple(simple) => simple,
        Content::Raw(bytes) => return bytes.to_vec(),
    };
    let mut builder = MessageBuilder::new()
        .from(mailbox_address(&request.from))
        .message_id(MessageId::new(clean(
            message_id_header
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>'),
        )))
        .date(Date::new(date_unix_ms.div_euclid(1000)));

    for (kind, header) in [(RecipientKind::To, "To"), (RecipientKind::Cc, "Cc")] {
        let list: Vec<Address<'_>> = request
            .recipients
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| mailbox_address(&r.mailbox))
            .collect();
        if !list.is_empty() {
            builder = builder.header(header, Address::new_list(list));
        }
    }
    let reply_to: Vec<Address<'_>> = request
        .reply_to
        .iter()
        .map(|text| match Mailbox::parse(text) {
            Ok(mailbox) => mailbox_address(&mailbox),
            Err(_) => Address::new_address(None::<&str>, clean(text)),
        })
        .collect();
    if !reply_to.is_empty() {
        builder = builder.reply_to(Address::new_list(reply_to));
    }
    builder = builder.subject(Text::new(clean(&simple.subject.data)));
    builder = builder.header("MIME-Version", Raw::new("1.0"));

    for (name, value) in &simple.headers {
        let name = clean(name);
        if name.is_empty() || RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        builder = builder.header(name, Raw::new(clean(value)));
    }

    builder = builder.body(body(simple));
    builder.write_to_vec().unwrap_or_default()
}

/// The body: one text part, `multipart/alternative`, and `multipart/mixed` around it when there
/// are attachments.
fn body(simple: &SimpleContent) -> MimePart<'_> {
    let text = simple
        .text
        .as_ref()
        .map(|t| MimePart::new("text/plain", BodyPart::Text(t.data.as_str().into())));
    let html = simple
        .html
        .as_ref()
        .map(|t| MimePart::new("text/html", BodyPart::Text(t.data.as_str().into())));
    let main = match (text, html) {
        (Some(text), Some(html)) => MimePart::new("multipart/alternative", vec![text, html]),
        (Some(part), None) | (None, Some(part)) => part,
        (None, None) => MimePart::new("text/plain", BodyPart::Text("".into())),
    };
    if simple.attachments.is_empty() {
        return main;
    }
    let mut parts = vec![main];
    parts.extend(simple.attachments.iter().map(attachment_part));
    MimePart::new("multipart/mixed", parts)
}

fn attachment_part(attachment: &Attachment) -> MimePart<'_> {
    let content_type = attachment
        .content_type
        .as_deref()
        .map(clean)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "application/octet-stream".into());
    let disposition = if attachment.inline {
        "inline"
    } else {
        "attachment"
    };
    let mut part = MimePart::new(
        ContentType::new(content_type),
        BodyPart::Binary(attachment.content.as_ref().into()),
    )
    .header(
        "Content-Disposition",
        ContentType::new(disposition).attribute("filename", clean(&attachment.file_name)),
    );
    if let Some(id) = &attachment.content_id {
        part = part.header(
            "Content-ID",
            MessageId::new(clean(
                id.trim().trim_start_matches('<').trim_end_matches('>'),
            )),
        );
    }
    if let Some(description) = &attachment.description {
        part = part.header("Content-Description", Text::new(clean(description)));
    }
    part
}

/// A mail-builder address from a parsed mailbox, display name included.
fn mailbox_address(mailbox: &Mailbox) -> Address<'static> {
    Address::new_address(
        mailbox.display_name.as_deref().map(clean),
        clean(&mailbox.address),
    )
}

/// Removes CR and LF so that no value can end its header early.
fn clean(text: &str) -> Cow<'static, str> {
    Cow::Owned(text.chars().filter(|c| *c != '\r' && *c != '\n').collect())
}
