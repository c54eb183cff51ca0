//! What a reader needs from a stored message (the capture API and dashboard), read with
//! `mail-parser`. Never panics: unreadable input gives an empty view.

use mail_parser::{Addr, Address, MessageParser, MimeHeaders, PartType};
use serde::Serialize;

use super::raw::format_addr;

/// A stored message, decoded for reading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageView {
    /// The Subject, decoded (RFC 2047).
    pub subject: Option<String>,
    /// The first From mailbox, `Name <address>`.
    pub from: Option<String>,
    /// The To mailboxes (group members included), `Name <address>`.
    pub to: Vec<String>,
    /// The Cc mailboxes, `Name <address>`.
    pub cc: Vec<String>,
    /// The Date header in RFC 3339, when it is a valid date.
    pub date: Option<String>,
    /// The Message-ID header, without angle brackets.
    pub message_id: Option<String>,
    /// The first `text/plain` body, decoded to UTF-8.
    pub text: Option<String>,
    /// The first `text/html` body, decoded to UTF-8.
    pub html: Option<String>,
    /// The attachments, inline ones included.
    pub attachments: Vec<AttachmentView>,
}

/// One attachment of a stored message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttachmentView {
    /// The file name (`Content-Disposition` filename or `Content-Type` name), if any.
    pub name: Option<String>,
    /// `type/subtype`; `application/octet-stream` when the part declares none.
    pub content_type: String,
    /// Size of the decoded content, in bytes.
    pub size: usize,
}

/// Reads a stored message for people: headers, bodies and the list of attachments.
pub fn summarize(raw: &[u8]) -> MessageView {
    let Some(message) = MessageParser::default().parse(raw) else {
        return MessageView::default();
    };
    let text = message.text_bodies().find_map(|part| match &part.body {
        PartType::Text(text) => Some(text.to_string()),
        _ => None,
    });
    let html = message.html_bodies().find_map(|part| match &part.body {
        PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    let attachments = message
        .attachments()
        .map(|part| AttachmentView {
            name: part.attachment_name().map(str::to_string),
            content_type: part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_ascii_lowercase(),
            size: part.len(),
        })
        .collect();
    MessageView {
        subject: message.subject().map(str::to_string),
        from: message.from().and_then(Address::first).and_then(formatted),
        to: message
            .all_to()
            .flat_map(Address::iter)
            .filter_map(formatted)
            .collect(),
        cc: message
            .all_cc()
            .flat_map(Address::iter)
            .filter_map(formatted)
            .collect(),
        date: message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_rfc3339()),
        message_id: message.message_id().map(str::to_string),
        text,
        html,
        attachments,
    }
}

fn formatted(addr: &Addr<'_>) -> Option<String> {
    addr.address().map(|a| format_addr(addr.name(), a))
}
