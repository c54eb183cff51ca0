//! `mime::raw_send`: SES's raw-send rules (ses-spec §1.4), one case per rule.

use bounceguard_core::{ApiVersion, Content, ErrorCode, MessageTag, RecipientKind, SendAction};
use bounceguard_wire::mime::{RawSendParams, raw_send};
use bytes::Bytes;
use proptest::prelude::*;

fn message(headers: &[&str], body: &str) -> Bytes {
    let mut text = headers.join("\r\n");
    text.push_str("\r\n\r\n");
    text.push_str(body);
    Bytes::from(text)
}

fn send(data: Bytes, params: RawSendParams) -> bounceguard_core::SendRequest {
    match raw_send(ApiVersion::V1, data, params) {
        Ok(request) => request,
        Err(e) => panic!("raw_send failed: {e}"),
    }
}

fn send_err(data: Bytes, params: RawSendParams) -> (ErrorCode, String) {
    match raw_send(ApiVersion::V1, data, params) {
        Ok(request) => panic!("accepted: {request:?}"),
        Err(e) => (e.code, e.message),
    }
}

fn addresses(request: &bounceguard_core::SendRequest) -> Vec<(String, RecipientKind)> {
    request
        .recipients
        .iter()
        .map(|r| (r.mailbox.address.clone(), r.kind))
        .collect()
}

#[test]
fn from_header_is_the_sender_when_source_is_absent() {
    let data = message(
        &[
            "From: \"Shop, Inc.\" <no-reply@shop.example>",
            "To: ann@example.org",
            "Subject: hi",
        ],
        "body",
    );
    let request = send(data.clone(), RawSendParams::default());
    assert_eq!(request.from.address, "no-reply@shop.example");
    assert_eq!(request.from.display_name.as_deref(), Some("Shop, Inc."));
    assert_eq!(
        request.from_original,
        "\"Shop, Inc.\" <no-reply@shop.example>"
    );
    assert_eq!(request.action, SendAction::SendRawEmail);
    assert_eq!(request.api, ApiVersion::V1);
    assert_eq!(request.content, Content::Raw(data), "bytes kept as given");
    assert_eq!(request.feedback_address, None);
}

#[test]
fn source_parameter_wins_over_the_from_header() {
    let data = message(
        &[
            "From: header@shop.example",
            "To: ann@example.org",
            "Return-Path: <bounces@shop.example>",
        ],
        "x",
    );
    let params = RawSendParams {
        source: Some("Envelope <env@shop.example>".into()),
        ..Default::default()
    };
    let request = send(data.clone(), params);
    assert_eq!(request.from.address, "env@shop.example");
    assert_eq!(request.from_original, "Envelope <env@shop.example>");
    // Source beats the Return-Path header: feedback goes to the sender.
    assert_eq!(request.feedback_address, None);

    let request = send(data, RawSendParams::default());
    assert_eq!(
        request.feedback_address.as_deref(),
        Some("bounces@shop.example")
    );
}

#[test]
fn source_makes_the_from_header_optional() {
    let data = message(&["To: ann@example.org", "Subject: no from"], "x");
    let params = RawSendParams {
        source: Some("env@shop.example".into()),
        ..Default::default()
    };
    assert_eq!(send(data, params).from.address, "env@shop.example");
}

#[test]
fn no_source_and_no_from_header_is_refused_with_the_ses_text() {
    let (code, text) = send_err(message(&["To: ann@example.org"], "x"), Default::default());
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(text, "Missing required header 'From'.");
}

#[test]
fn bad_sender_addresses_get_ses_texts() {
    let (code, text) = send_err(
        message(&["From: Shop <shop.example>", "To: a@example.org"], "x"),
        Default::default(),
    );
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(text, "Missing final '@domain'");
    let params = RawSendParams {
        source: Some("env@exa mple.org".into()),
        ..Default::default()
    };
    let (_, text) = send_err(message(&["To: a@example.org"], "x"), params);
    assert_eq!(text, "Domain contains control or whitespace");
}

#[test]
fn header_recipients_keep_their_kind() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: Ann <ann@example.org>, bob@example.org",
            "Cc: carl@example.org",
            "Bcc: dora@example.org",
        ],
        "x",
    );
    let request = send(data, RawSendParams::default());
    assert_eq!(
        addresses(&request),
        vec![
            ("ann@example.org".into(), RecipientKind::To),
            ("bob@example.org".into(), RecipientKind::To),
            ("carl@example.org".into(), RecipientKind::Cc),
            ("dora@example.org".into(), RecipientKind::Bcc),
        ]
    );
    assert_eq!(request.recipients[0].original, "Ann <ann@example.org>");
    assert_eq!(
        request.recipients[0].mailbox.display_name.as_deref(),
        Some("Ann")
    );
}

#[test]
fn destinations_are_the_envelope_and_replace_header_recipients() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: ann@example.org",
            "Cc: c@example.org",
        ],
        "x",
    );
    let params = RawSendParams {
        destinations: Some(vec![
            "env1@example.net".into(),
            "E <env2@example.net>".into(),
        ]),
        ..Default::default()
    };
    let request = send(data.clone(), params);
    assert_eq!(
        addresses(&request),
        vec![
            ("env1@example.net".into(), RecipientKind::Envelope),
            ("env2@example.net".into(), RecipientKind::Envelope),
        ]
    );
    // An empty list is the v1 wire form of `[]`: the headers are used.
    let params = RawSendParams {
        destinations: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(send(data, params).recipients.len(), 2);
}

#[test]
fn group_syntax_members_are_recipients() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: Team: ann@example.org, Bob <bob@example.org>;, solo@example.org",
            "Cc: undisclosed-recipients:;",
        ],
        "x",
    );
    let request = send(data, RawSendParams::default());
    assert_eq!(
        addresses(&request),
        vec![
            ("ann@example.org".into(), RecipientKind::To),
            ("bob@example.org".into(), RecipientKind::To),
            ("solo@example.org".into(), RecipientKind::To),
        ]
    );
}

#[test]
fn folded_recipient_headers_are_read_whole() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: ann@example.org,\r\n bob@example.org",
        ],
        "x",
    );
    assert_eq!(send(data, RawSendParams::default()).recipients.len(), 2);
}

#[test]
fn no_recipients_at_all_is_refused() {
    let (code, text) = send_err(message(&["From: s@shop.example"], "x"), Default::default());
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(text, "Missing required header 'To'.");
    let (_, text) = send_err(
        message(&["From: s@shop.example", "To: "], "x"),
        Default::default(),
    );
    assert_eq!(text, "Empty required header 'To'.");
}

#[test]
fn a_bcc_only_message_is_accepted() {
    let data = message(&["From: s@shop.example", "Bcc: hidden@example.org"], "x");
    let request = send(data, RawSendParams::default());
    assert_eq!(
        addresses(&request),
        vec![("hidden@example.org".into(), RecipientKind::Bcc)]
    );
}

#[test]
fn one_bad_header_recipient_rejects_the_message() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: ann@example.org, bob@exa_mple.org",
        ],
        "x",
    );
    let (code, text) = send_err(data, Default::default());
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(text, "Domain contains illegal character");
    let params = RawSendParams {
        destinations: Some(vec!["ok@example.org".into(), "@example.org".into()]),
        ..Default::default()
    };
    let (_, text) = send_err(message(&["From: s@shop.example"], "x"), params);
    assert_eq!(text, "Missing local name");
}

#[test]
fn fifty_recipients_pass_and_fifty_one_fail_for_either_set() {
    let list = |n: usize| {
        (0..n)
            .map(|i| format!("r{i}@example.org"))
            .collect::<Vec<_>>()
    };
    let to = |n: usize| format!("To: {}", list(n).join(", "));
    // 50 addresses on one line stay under 1000 characters? No: fold the header.
    let folded = |n: usize| format!("To: {}", list(n).join(",\r\n "));
    let ok = send(
        message(&["From: s@shop.example", &folded(50)], "x"),
        Default::default(),
    );
    assert_eq!(ok.recipients.len(), 50);
    let (code, text) = send_err(
        message(&["From: s@shop.example", &folded(51)], "x"),
        Default::default(),
    );
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(text, "Recipient count exceeds 50.");
    let params = RawSendParams {
        destinations: Some(list(51)),
        ..Default::default()
    };
    let (_, text) = send_err(message(&["From: s@shop.example", &to(1)], "x"), params);
    assert_eq!(text, "Recipient count exceeds 50.");
}

#[test]
fn arn_headers_apply_when_parameters_are_absent() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: a@example.org",
            "X-SES-SOURCE-ARN: arn:aws:ses:us-east-1:111122223333:identity/source.example",
            "X-SES-SOURCE-ARN: arn:aws:ses:us-east-1:111122223333:identity/second.example",
            "x-ses-from-arn: arn:aws:ses:us-east-1:111122223333:identity/from.example",
            "X-SES-RETURN-PATH-ARN: arn:aws:ses:us-east-1:111122223333:identity/rp.example",
        ],
        "x",
    );
    let request = send(data.clone(), RawSendParams::default());
    assert_eq!(
        request.source_arn.as_deref(),
        Some("arn:aws:ses:us-east-1:111122223333:identity/source.example"),
        "the first occurrence wins"
    );
    assert_eq!(
        request.from_arn.as_deref(),
        Some("arn:aws:ses:us-east-1:111122223333:identity/from.example"),
        "header names are case-insensitive"
    );
    assert_eq!(
        request.return_path_arn.as_deref(),
        Some("arn:aws:ses:us-east-1:111122223333:identity/rp.example")
    );

    let params = RawSendParams {
        source_arn: Some("arn:param:source".into()),
        return_path_arn: Some("arn:param:rp".into()),
        ..Default::default()
    };
    let request = send(data, params);
    assert_eq!(request.source_arn.as_deref(), Some("arn:param:source"));
    assert_eq!(
        request.from_arn.as_deref(),
        Some("arn:aws:ses:us-east-1:111122223333:identity/from.example"),
        "no FromArn parameter: the header still applies"
    );
    assert_eq!(request.return_path_arn.as_deref(), Some("arn:param:rp"));
}

#[test]
fn only_a_source_arn_defaults_the_other_two() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: a@example.org",
            "X-SES-SOURCE-ARN: arn:src",
        ],
        "x",
    );
    let request = send(data, RawSendParams::default());
    assert_eq!(request.source_arn.as_deref(), Some("arn:src"));
    assert_eq!(request.from_arn.as_deref(), Some("arn:src"));
    assert_eq!(request.return_path_arn.as_deref(), Some("arn:src"));

    let plain = message(&["From: s@shop.example", "To: a@example.org"], "x");
    let request = send(plain, RawSendParams::default());
    assert_eq!(
        (
            request.source_arn,
            request.from_arn,
            request.return_path_arn
        ),
        (None, None, None)
    );
}

#[test]
fn configuration_set_header_and_parameter() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: a@example.org",
            "X-SES-CONFIGURATION-SET: from-header",
        ],
        "x",
    );
    let request = send(data.clone(), RawSendParams::default());
    assert_eq!(request.configuration_set.as_deref(), Some("from-header"));
    let params = RawSendParams {
        configuration_set: Some("from-param".into()),
        ..Default::default()
    };
    assert_eq!(
        send(data, params).configuration_set.as_deref(),
        Some("from-param")
    );
}

fn tag(name: &str, value: &str) -> MessageTag {
    MessageTag {
        name: name.into(),
        value: value.into(),
    }
}

#[test]
fn tags_header_adds_to_parameter_tags() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: a@example.org",
            "X-SES-MESSAGE-TAGS: campaign=jan-24, who=a.b@c",
        ],
        "x",
    );
    let params = RawSendParams {
        tags: vec![tag("src", "param")],
        ..Default::default()
    };
    assert_eq!(
        send(data, params).tags,
        vec![
            tag("src", "param"),
            tag("campaign", "jan-24"),
            tag("who", "a.b@c")
        ]
    );
}

#[test]
fn tags_from_the_header_are_validated_with_ses_texts() {
    let bad = |header: &str| {
        send_err(
            message(&["From: s@shop.example", "To: a@example.org", header], "x"),
            Default::default(),
        )
    };
    assert_eq!(
        bad("X-SES-MESSAGE-TAGS: a b=v"),
        (
            ErrorCode::InvalidParameterValue,
            "Invalid tag name <a b>: only alphanumeric ASCII characters, '_',  '-' are allowed."
                .into()
        )
    );
    assert_eq!(
        bad("X-SES-MESSAGE-TAGS: lonely").1,
        "The tag value must be specified."
    );
    assert_eq!(
        bad("X-SES-MESSAGE-TAGS: =v").1,
        "The tag name must be specified."
    );
    let params = RawSendParams {
        tags: vec![tag("ok", "v!")],
        ..Default::default()
    };
    let (_, text) = send_err(
        message(&["From: s@shop.example", "To: a@example.org"], "x"),
        params,
    );
    assert_eq!(
        text,
        "Invalid tag value <v!>: only alphanumeric ASCII characters, '_',  '-' , '.', '@' are allowed."
    );
}

#[test]
fn reply_to_header_is_kept() {
    let data = message(
        &[
            "From: s@shop.example",
            "To: a@example.org",
            "Reply-To: Help <help@shop.example>",
        ],
        "x",
    );
    assert_eq!(
        send(data, RawSendParams::default()).reply_to,
        vec!["Help <help@shop.example>".to_string()]
    );
}

#[test]
fn a_message_without_a_blank_line_is_refused() {
    let data = Bytes::from_static(b"From: s@shop.example\r\nTo: a@example.org\r\nSubject: x\r\n");
    let (code, text) = send_err(data, Default::default());
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(
        text,
        "The message must contain a header and a body separated by a blank line."
    );
    // Bare LF line ends are read too, and an empty body is fine.
    let data = Bytes::from_static(b"From: s@shop.example\nTo: a@example.org\n\n");
    assert_eq!(send(data, Default::default()).recipients.len(), 1);
}

#[test]
fn line_length_limit_counts_the_crlf() {
    // 998 characters + CRLF = 1000: accepted. 999 + CRLF = 1001: refused.
    let ok = message(
        &["From: s@shop.example", "To: a@example.org"],
        &"a".repeat(998),
    );
    assert!(raw_send(ApiVersion::V2, ok, Default::default()).is_ok());
    let long = message(
        &["From: s@shop.example", "To: a@example.org"],
        &"a".repeat(999),
    );
    let (code, text) = send_err(long, Default::default());
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(
        text,
        "Line 4 of the message is longer than 1000 characters including CRLF."
    );
}

#[test]
fn encoded_display_names_are_decoded_but_the_original_is_kept() {
    let data = message(
        &[
            "From: =?UTF-8?B?SsO2cmc=?= <j@shop.example>",
            "To: a@example.org",
        ],
        "x",
    );
    let request = send(data, RawSendParams::default());
    assert_eq!(request.from.display_name.as_deref(), Some("Jörg"));
    assert_eq!(
        request.from_original,
        "=?UTF-8?B?SsO2cmc=?= <j@shop.example>"
    );
}

proptest! {
    #[test]
    fn raw_send_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let result = raw_send(ApiVersion::V1, Bytes::from(data), RawSendParams::default());
        // Either outcome is fine; an accepted message always has a sender and recipients.
        if let Ok(request) = result {
            prop_assert!(!request.recipients.is_empty());
            prop_assert!(request.from.address.contains('@'));
        }
    }

    #[test]
    fn raw_send_never_panics_on_header_like_input(
        headers in proptest::collection::vec("(From|To|Cc|Bcc|X-SES-[A-Z-]{0,12}): [ -~]{0,80}", 0..8),
        body in "[ -~\r\n]{0,200}",
    ) {
        let data = format!("{}\r\n\r\n{}", headers.join("\r\n"), body);
        let result = raw_send(ApiVersion::V2, Bytes::from(data), RawSendParams::default());
        if let Ok(request) = result {
            prop_assert!(request.recipients.len() <= 50);
        }
    }
}
