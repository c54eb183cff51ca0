//! `mime::build_simple`: the message SES would send for simple content, read back with
//! mail-parser and checked header by header.

use bounceguard_core::address::Mailbox;
use bounceguard_core::{
    ApiVersion, Attachment, Content, Recipient, RecipientKind, SendAction, SendRequest,
    SimpleContent, Text,
};
use bounceguard_wire::mime::build_simple;
use bytes::Bytes;
use mail_parser::{HeaderName, MessageParser, MimeHeaders};

/// 2024-01-15T10:30:00.123Z.
const DATE_MS: i64 = 1_705_314_600_123;

fn recipient(text: &str, kind: RecipientKind) -> Recipient {
    Recipient {
        original: text.into(),
        mailbox: Mailbox::parse(text).expect("test address"),
        kind,
    }
}

fn text(data: &str) -> Text {
    Text {
        data: data.into(),
        charset: Some("UTF-8".into()),
    }
}

fn request(content: SimpleContent) -> SendRequest {
    SendRequest {
        api: ApiVersion::V2,
        action: SendAction::SendEmail,
        from: Mailbox::parse("Shop Team <no-reply@shop.example>").expect("from"),
        from_original: "Shop Team <no-reply@shop.example>".into(),
        recipients: vec![
            recipient("Ann <ann@example.org>", RecipientKind::To),
            recipient("bob@example.org", RecipientKind::To),
            recipient("carl@example.org", RecipientKind::Cc),
            recipient("secret-bcc@example.org", RecipientKind::Bcc),
        ],
        reply_to: vec!["Help <help@shop.example>".into()],
        feedback_address: None,
        source_arn: None,
        from_arn: None,
        return_path_arn: None,
        configuration_set: None,
        tags: vec![],
        content: Content::Simple(content),
    }
}

fn addresses(value: Option<&mail_parser::Address<'_>>) -> Vec<(Option<String>, String)> {
    value
        .map(|a| {
            a.iter()
                .map(|addr| {
                    (
                        addr.name().map(str::to_string),
                        addr.address().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn headers_are_what_ses_writes_and_bcc_is_absent() {
    let built = build_simple(
        &request(SimpleContent {
            subject: text("Your order"),
            text: Some(text("Thanks!")),
            html: Some(text("<p>Thanks!</p>")),
            ..Default::default()
        }),
        "<0100018d0c1f2a3b-5e0a6c1d@email.amazonses.com>",
        DATE_MS,
    );
    let message = MessageParser::default().parse(&built).expect("parses");
    assert_eq!(
        addresses(message.from()),
        vec![(Some("Shop Team".into()), "no-reply@shop.example".into())]
    );
    assert_eq!(
        addresses(message.to()),
        vec![
            (Some("Ann".into()), "ann@example.org".into()),
            (None, "bob@example.org".into())
        ]
    );
    assert_eq!(
        addresses(message.cc()),
        vec![(None, "carl@example.org".into())]
    );
    assert!(message.bcc().is_none());
    assert!(
        !String::from_utf8_lossy(&built).contains("secret-bcc"),
        "a Bcc recipient must not appear anywhere in the message"
    );
    assert_eq!(
        addresses(message.reply_to()),
        vec![(Some("Help".into()), "help@shop.example".into())]
    );
    assert_eq!(message.subject(), Some("Your order"));
    assert_eq!(
        message.message_id(),
        Some("0100018d0c1f2a3b-5e0a6c1d@email.amazonses.com")
    );
    let date = message.date().expect("date");
    assert_eq!(date.to_rfc3339(), "2024-01-15T10:30:00Z");
    assert_eq!(
        message.header_raw(HeaderName::MimeVersion).map(str::trim),
        Some("1.0")
    );
    let content_type = message.content_type().expect("content type");
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("multipart", Some("alternative"))
    );
    assert_eq!(message.body_text(0).as_deref(), Some("Thanks!"));
    assert_eq!(message.body_html(0).as_deref(), Some("<p>Thanks!</p>"));
    assert_eq!(message.attachment_count(), 0);
}

#[test]
fn message_id_without_brackets_is_accepted() {
    let built = build_simple(
        &request(SimpleContent {
            subject: text("s"),
            text: Some(text("t")),
            ..Default::default()
        }),
        "abc@example.com",
        DATE_MS,
    );
    let message = MessageParser::default().parse(&built).expect("parses");
    assert_eq!(message.message_id(), Some("abc@example.com"));
    // A single body part is not wrapped in a multipart.
    let ct = message.content_type().expect("content type");
    assert_eq!((ct.ctype(), ct.subtype()), ("text", Some("plain")));
    assert_eq!(ct.attribute("charset"), Some("utf-8"));
}

#[test]
fn non_ascii_subject_and_display_name_are_encoded_and_round_trip() {
    let mut req = request(SimpleContent {
        subject: text("Bestellbestätigung — 注文 ✓"),
        html: Some(text("<p>Grüße</p>")),
        ..Default::default()
    });
    req.from = Mailbox {
        display_name: Some("Jörg Müller".into()),
        address: "j@shop.example".into(),
    };
    let built = build_simple(&req, "<id@x>", DATE_MS);
    let raw = String::from_utf8(built.clone()).expect("7-bit output");
    assert!(raw.is_ascii(), "headers and bodies are encoded to ASCII");
    assert!(raw.contains("=?utf-8?"), "RFC 2047 encoded words: {raw}");
    let message = MessageParser::default().parse(&built).expect("parses");
    assert_eq!(message.subject(), Some("Bestellbestätigung — 注文 ✓"));
    assert_eq!(
        addresses(message.from()),
        vec![(Some("Jörg Müller".into()), "j@shop.example".into())]
    );
    assert_eq!(message.body_html(0).as_deref(), Some("<p>Grüße</p>"));
}

#[test]
fn attachments_make_a_mixed_message_with_inline_parts() {
    let pdf = Bytes::from_static(b"%PDF-1.4\x00\x01\x02 binary");
    let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n....");
    let built = build_simple(
        &request(SimpleContent {
            subject: text("Invoice"),
            text: Some(text("See attached.")),
            html: Some(text("<img src=\"cid:logo\">")),
            attachments: vec![
                Attachment {
                    file_name: "invoice.pdf".into(),
                    content: pdf.clone(),
                    content_type: Some("application/pdf".into()),
                    content_id: None,
                    inline: false,
                    description: Some("January invoice".into()),
                },
                Attachment {
                    file_name: "logo.png".into(),
                    content: png.clone(),
                    content_type: None,
                    content_id: Some("<logo>".into()),
                    inline: true,
                    description: None,
                },
            ],
            ..Default::default()
        }),
        "<id@x>",
        DATE_MS,
    );
    let message = MessageParser::default().parse(&built).expect("parses");
    let ct = message.content_type().expect("content type");
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("mixed")));
    assert_eq!(message.body_text(0).as_deref(), Some("See attached."));
    assert_eq!(
        message.body_html(0).as_deref(),
        Some("<img src=\"cid:logo\">")
    );
    assert_eq!(message.attachment_count(), 2);

    let first = message.attachment(0).expect("pdf");
    assert_eq!(first.attachment_name(), Some("invoice.pdf"));
    assert_eq!(first.contents(), pdf.as_ref());
    assert_eq!(first.content_description(), Some("January invoice"));
    let disposition = first.content_disposition().expect("disposition");
    assert_eq!(disposition.ctype(), "attachment");
    let ct = first.content_type().expect("type");
    assert_eq!((ct.ctype(), ct.subtype()), ("application", Some("pdf")));

    let second = message.attachment(1).expect("png");
    assert_eq!(second.attachment_name(), Some("logo.png"));
    assert_eq!(second.contents(), png.as_ref());
    assert_eq!(second.content_id(), Some("logo"));
    assert_eq!(
        second.content_disposition().expect("disposition").ctype(),
        "inline"
    );
    let ct = second.content_type().expect("type");
    assert_eq!(
        (ct.ctype(), ct.subtype()),
        ("application", Some("octet-stream"))
    );
}

#[test]
fn v2_headers_are_added_but_cannot_replace_ses_headers_or_inject_lines() {
    let built = build_simple(
        &request(SimpleContent {
            subject: text("s"),
            text: Some(text("t")),
            headers: vec![
                (
                    "List-Unsubscribe".into(),
                    "<https://shop.example/u?x=1>".into(),
                ),
                ("X-Campaign".into(), "jan\r\nBcc: evil@example.net".into()),
                ("Subject".into(), "overridden".into()),
                ("from".into(), "evil@example.net".into()),
            ],
            ..Default::default()
        }),
        "<id@x>",
        DATE_MS,
    );
    let message = MessageParser::default().parse(&built).expect("parses");
    assert_eq!(
        message.header_raw("List-Unsubscribe").map(str::trim),
        Some("<https://shop.example/u?x=1>")
    );
    assert_eq!(
        message.header_raw("X-Campaign").map(str::trim),
        Some("janBcc: evil@example.net"),
        "CR/LF are removed, so no new header line starts"
    );
    assert!(message.bcc().is_none());
    assert_eq!(message.subject(), Some("s"));
    assert_eq!(
        addresses(message.from()),
        vec![(Some("Shop Team".into()), "no-reply@shop.example".into())]
    );
    assert_eq!(message.header_values(HeaderName::Subject).count(), 1);
    assert_eq!(message.header_values(HeaderName::From).count(), 1);
}

#[test]
fn raw_content_is_returned_unchanged() {
    let data = Bytes::from_static(b"From: a@x.org\r\n\r\nhi");
    let mut req = request(SimpleContent::default());
    req.content = Content::Raw(data.clone());
    assert_eq!(build_simple(&req, "<id@x>", DATE_MS), data.to_vec());
}
