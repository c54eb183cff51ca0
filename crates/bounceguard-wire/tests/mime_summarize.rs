//! `mime::summarize`: what a reader sees of a stored message.

use bounceguard_wire::mime::{AttachmentView, MessageView, summarize};
use proptest::prelude::*;

/// A hand-written message (shape: a typical mail client's multipart/mixed with an
/// ISO-8859-1 quoted-printable text part, a base64 HTML part and a PDF attachment).
const MESSAGE: &str = "From: =?ISO-8859-1?Q?J=F6rg?= <j@shop.example>\r\n\
To: Team: ann@example.org, Bob <bob@example.org>;\r\n\
Cc: carl@example.org\r\n\
Bcc: hidden@example.org\r\n\
Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n\
Date: Mon, 15 Jan 2024 11:30:00 +0100\r\n\
Message-ID: <abc@shop.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"inner\"\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=ISO-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Gr=FC=DFe aus K=F6ln\r\n\
--inner\r\n\
Content-Type: text/html; charset=UTF-8\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
PHA+R3LDvMOfZTwvcD4=\r\n\
--inner--\r\n\
--outer\r\n\
Content-Type: application/pdf; name=\"r.pdf\"\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--outer--\r\n";

#[test]
fn a_multipart_message_is_decoded_for_reading() {
    let view = summarize(MESSAGE.as_bytes());
    assert_eq!(view.subject.as_deref(), Some("Grüße"));
    assert_eq!(view.from.as_deref(), Some("Jörg <j@shop.example>"));
    assert_eq!(
        view.to,
        vec![
            "ann@example.org".to_string(),
            "Bob <bob@example.org>".to_string()
        ]
    );
    assert_eq!(view.cc, vec!["carl@example.org".to_string()]);
    assert_eq!(view.date.as_deref(), Some("2024-01-15T11:30:00+01:00"));
    assert_eq!(view.message_id.as_deref(), Some("abc@shop.example"));
    assert_eq!(view.text.as_deref(), Some("Grüße aus Köln"));
    assert_eq!(view.html.as_deref(), Some("<p>Grüße</p>"));
    assert_eq!(
        view.attachments,
        vec![AttachmentView {
            name: Some("report.pdf".into()),
            content_type: "application/pdf".into(),
            // "%PDF-1.4\n" is 9 bytes once decoded.
            size: 9,
        }]
    );
}

#[test]
fn a_text_only_message_has_no_html_and_vice_versa() {
    let text_only = summarize(b"From: a@x.org\r\nSubject: s\r\n\r\nplain body");
    assert_eq!(text_only.text.as_deref(), Some("plain body"));
    assert_eq!(text_only.html, None, "no HTML is made up from the text");

    let html_only =
        summarize(b"From: a@x.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<b>bold</b>");
    assert_eq!(html_only.html.as_deref(), Some("<b>bold</b>"));
    assert_eq!(html_only.text, None, "no text is made up from the HTML");
}

#[test]
fn an_invalid_date_is_left_out() {
    let view = summarize(b"From: a@x.org\r\nDate: yesterday-ish\r\n\r\nx");
    assert_eq!(view.date, None);
    assert_eq!(view.from.as_deref(), Some("a@x.org"));
}

#[test]
fn unreadable_input_gives_an_empty_view() {
    assert_eq!(summarize(b""), MessageView::default());
}

#[test]
fn the_view_serializes_for_the_capture_api() {
    let view = summarize(b"From: a@x.org\r\nSubject: s\r\n\r\nbody");
    let json = serde_json::to_value(&view).expect("serializes");
    assert_eq!(json["subject"], "s");
    assert_eq!(json["text"], "body");
    assert_eq!(json["attachments"], serde_json::json!([]));
}

proptest! {
    #[test]
    fn summarize_never_panics(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let view = summarize(&data);
        // Decoding never grows a byte past 3 UTF-8 bytes (U+FFFD, or any 8-bit charset).
        for attachment in &view.attachments {
            prop_assert!(attachment.size <= 3 * data.len());
        }
    }

    #[test]
    fn summarize_never_panics_on_mime_like_input(
        lines in proptest::collection::vec(
            "(Content-Type: multipart/mixed; boundary=b|--b|--b--|Content-Transfer-Encoding: (base64|quoted-printable)|Date: [ -~]{0,30}|To: [ -~]{0,40}|[ -~]{0,60})",
            0..40,
        ),
    ) {
        let data = lines.join("\r\n");
        let view = summarize(data.as_bytes());
        for attachment in &view.attachments {
            prop_assert!(attachment.size <= 3 * data.len());
        }
    }
}
