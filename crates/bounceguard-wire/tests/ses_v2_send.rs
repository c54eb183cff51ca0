//! `ses_v2::send_email`: decoding `POST /v2/email/outbound-emails` bodies (ses-spec §2.3).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bounceguard_core::{
    ApiVersion, Content, ErrorCode, MessageTag, Operation, RecipientKind, SendAction, SendRequest,
};
use bounceguard_wire::ses_v2::{MAX_RAW_MESSAGE_BASE64_LEN, send_email};
use proptest::prelude::*;
use serde_json::{Value, json};

fn decode(body: &Value) -> SendRequest {
    match send_email(body.to_string().as_bytes()) {
        Ok(Operation::Send(request)) => *request,
        Ok(other) => panic!("not a send: {other:?}"),
        Err(e) => panic!("refused: {e}"),
    }
}

fn refuse(body: &Value) -> (ErrorCode, String) {
    refuse_bytes(body.to_string().as_bytes())
}

fn refuse_bytes(body: &[u8]) -> (ErrorCode, String) {
    match send_email(body) {
        Ok(op) => panic!("accepted: {op:?}"),
        Err(e) => (e.code, e.message),
    }
}

/// The spec's example request (ses-spec §2.3), as a base to vary.
fn simple() -> Value {
    json!({
        "FromEmailAddress": "Shop <no-reply@shop.example>",
        "Destination": {"ToAddresses": ["ann@example.org"]},
        "Content": {"Simple": {
            "Subject": {"Data": "Your order", "Charset": "UTF-8"},
            "Body": {"Text": {"Data": "Thanks!"}, "Html": {"Data": "<p>Thanks!</p>"}}
        }},
        "EmailTags": [{"Name": "campaign", "Value": "jan-24"}],
        "ConfigurationSetName": "tx"
    })
}

fn raw_body(message: &str) -> Value {
    json!({"Content": {"Raw": {"Data": STANDARD.encode(message)}}})
}

#[test]
fn the_spec_example_decodes_to_a_simple_send() {
    let request = decode(&simple());
    assert_eq!(request.api, ApiVersion::V2);
    assert_eq!(request.action, SendAction::SendEmail);
    assert_eq!(request.from.address, "no-reply@shop.example");
    assert_eq!(request.from.display_name.as_deref(), Some("Shop"));
    assert_eq!(request.from_original, "Shop <no-reply@shop.example>");
    assert_eq!(request.recipients.len(), 1);
    assert_eq!(request.recipients[0].mailbox.address, "ann@example.org");
    assert_eq!(request.recipients[0].kind, RecipientKind::To);
    assert_eq!(request.configuration_set.as_deref(), Some("tx"));
    assert_eq!(
        request.tags,
        vec![MessageTag {
            name: "campaign".into(),
            value: "jan-24".into()
        }]
    );
    let Content::Simple(content) = request.content else {
        panic!("simple content expected");
    };
    assert_eq!(content.subject.data, "Your order");
    assert_eq!(content.subject.charset.as_deref(), Some("UTF-8"));
    assert_eq!(content.text.map(|t| t.data).as_deref(), Some("Thanks!"));
    assert_eq!(
        content.html.map(|t| t.data).as_deref(),
        Some("<p>Thanks!</p>")
    );
}

#[test]
fn all_simple_members_are_read() {
    let mut body = simple();
    body["FromEmailAddressIdentityArn"] = json!("arn:aws:ses:us-east-1:1:identity/shop.example");
    body["Destination"] = json!({
        "ToAddresses": ["a@example.org"],
        "CcAddresses": ["c@example.org"],
        "BccAddresses": ["b@example.org"]
    });
    body["ReplyToAddresses"] = json!(["Help <help@shop.example>"]);
    body["FeedbackForwardingEmailAddress"] = json!("bounces@shop.example");
    body["FeedbackForwardingEmailAddressIdentityArn"] = json!("arn:rp");
    body["ListManagementOptions"] = json!({"ContactListName": "l", "TopicName": "t"});
    body["TenantName"] = json!("tenant");
    body["SomeFutureMember"] = json!({"ignored": true});
    body["Content"]["Simple"]["Headers"] = json!([{"Name": "X-Campaign", "Value": "jan"}]);
    body["Content"]["Simple"]["Attachments"] = json!([{
        "FileName": "a.txt",
        "RawContent": STANDARD.encode("hello"),
        "ContentDisposition": "INLINE",
        "ContentId": "cid1",
        "ContentType": "text/plain",
        "ContentDescription": "greeting",
        "ContentTransferEncoding": "BASE64"
    }]);
    let request = decode(&body);
    let kinds: Vec<_> = request
        .recipients
        .iter()
        .map(|r| (r.mailbox.address.as_str(), r.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("a@example.org", RecipientKind::To),
            ("c@example.org", RecipientKind::Cc),
            ("b@example.org", RecipientKind::Bcc),
        ]
    );
    assert_eq!(
        request.source_arn.as_deref(),
        Some("arn:aws:ses:us-east-1:1:identity/shop.example")
    );
    assert_eq!(request.return_path_arn.as_deref(), Some("arn:rp"));
    assert_eq!(
        request.feedback_address.as_deref(),
        Some("bounces@shop.example")
    );
    assert_eq!(
        request.reply_to,
        vec!["Help <help@shop.example>".to_string()]
    );
    let Content::Simple(content) = request.content else {
        panic!("simple content expected");
    };
    assert_eq!(
        content.headers,
        vec![("X-Campaign".to_string(), "jan".to_string())]
    );
    let attachment = &content.attachments[0];
    assert_eq!(attachment.file_name, "a.txt");
    assert_eq!(attachment.content.as_ref(), b"hello");
    assert!(attachment.inline);
    assert_eq!(attachment.content_id.as_deref(), Some("cid1"));
    assert_eq!(attachment.content_type.as_deref(), Some("text/plain"));
    assert_eq!(attachment.description.as_deref(), Some("greeting"));
}

#[test]
fn raw_content_goes_through_the_mime_rules() {
    let request = decode(&raw_body(
        "From: Shop <no-reply@shop.example>\r\nTo: ann@example.org\r\nCc: c@example.org\r\n\r\nhi",
    ));
    assert_eq!(request.api, ApiVersion::V2);
    assert_eq!(request.action, SendAction::SendRawEmail);
    assert_eq!(request.from.address, "no-reply@shop.example");
    assert_eq!(
        request
            .recipients
            .iter()
            .map(|r| r.kind)
            .collect::<Vec<_>>(),
        vec![RecipientKind::To, RecipientKind::Cc]
    );
    assert!(matches!(request.content, Content::Raw(ref b) if b.ends_with(b"\r\n\r\nhi")));
}

#[test]
fn raw_parameters_override_the_message() {
    let mut body = raw_body(
        "From: header@shop.example\r\nTo: ann@example.org\r\nX-SES-SOURCE-ARN: arn:header\r\n\r\nhi",
    );
    body["FromEmailAddress"] = json!("env@shop.example");
    body["FromEmailAddressIdentityArn"] = json!("arn:param");
    body["Destination"] =
        json!({"ToAddresses": ["x@example.net"], "BccAddresses": ["y@example.net"]});
    body["FeedbackForwardingEmailAddress"] = json!("fb@shop.example");
    body["EmailTags"] = json!([{"Name": "k", "Value": "v"}]);
    let request = decode(&body);
    assert_eq!(request.from.address, "env@shop.example");
    assert_eq!(request.source_arn.as_deref(), Some("arn:param"));
    assert_eq!(request.from_arn.as_deref(), Some("arn:param"));
    assert_eq!(request.feedback_address.as_deref(), Some("fb@shop.example"));
    assert_eq!(
        request
            .recipients
            .iter()
            .map(|r| (r.mailbox.address.as_str(), r.kind))
            .collect::<Vec<_>>(),
        vec![
            ("x@example.net", RecipientKind::Envelope),
            ("y@example.net", RecipientKind::Envelope)
        ]
    );
    assert_eq!(request.tags.len(), 1);
}

#[test]
fn raw_without_from_header_or_address_is_refused() {
    let (code, text) = refuse(&raw_body("To: a@example.org\r\n\r\nhi"));
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(code.v2_code(), "BadRequestException");
    assert_eq!(text, "Missing required header 'From'.");
}

#[test]
fn content_must_hold_exactly_one_kind() {
    let raw = json!({"Data": STANDARD.encode("From: a@x.org\r\nTo: b@x.org\r\n\r\nx")});
    let mut both = simple();
    both["Content"]["Raw"] = raw;
    let (code, text) = refuse(&both);
    assert_eq!(code.v2_code(), "BadRequestException");
    assert_eq!(
        text,
        "Content must contain exactly one of Simple, Raw and Template."
    );

    let mut neither = simple();
    neither["Content"] = json!({});
    assert_eq!(
        refuse(&neither).1,
        "Content must contain exactly one of Simple, Raw and Template."
    );

    let mut missing = simple();
    missing.as_object_mut().expect("object").remove("Content");
    let (code, text) = refuse(&missing);
    assert_eq!(code, ErrorCode::ValidationError);
    assert_eq!(
        text,
        "1 validation error detected: Value null at 'content' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn template_content_is_refused_clearly() {
    let mut body = simple();
    body["Content"] = json!({"Template": {"TemplateName": "welcome", "TemplateData": "{}"}});
    let (code, text) = refuse(&body);
    assert_eq!(code.v2_code(), "BadRequestException");
    assert_eq!(code.v2_status(), 400);
    assert_eq!(text, "Template content is not supported by this gateway.");
}

#[test]
fn simple_needs_a_from_address_subject_and_body() {
    let mut body = simple();
    body.as_object_mut()
        .expect("object")
        .remove("FromEmailAddress");
    let (code, text) = refuse(&body);
    assert_eq!(code.v2_code(), "BadRequestException");
    assert_eq!(
        text,
        "The request must contain the parameter FromEmailAddress."
    );

    let mut body = simple();
    body["Content"]["Simple"]
        .as_object_mut()
        .expect("object")
        .remove("Subject");
    assert_eq!(
        refuse(&body).1,
        "1 validation error detected: Value null at 'content.simple.subject' failed to satisfy constraint: Member must not be null"
    );

    let mut body = simple();
    body["Content"]["Simple"]["Body"]["Text"] = json!({"Charset": "UTF-8"});
    assert_eq!(
        refuse(&body).1,
        "1 validation error detected: Value null at 'content.simple.body.text.data' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn bad_addresses_get_ses_texts() {
    let cases = [
        (
            "/FromEmailAddress",
            "shop.example",
            "Missing final '@domain'",
        ),
        (
            "/Destination/ToAddresses/0",
            "ann@exa mple.org",
            "Domain contains control or whitespace",
        ),
        ("/ReplyToAddresses", "@shop.example", "Missing local name"),
        ("/FeedbackForwardingEmailAddress", "fb@", "Missing domain"),
    ];
    for (pointer, address, expected) in cases {
        let mut body = simple();
        if pointer == "/ReplyToAddresses" {
            body["ReplyToAddresses"] = json!([address]);
        } else if pointer == "/FeedbackForwardingEmailAddress" {
            body["FeedbackForwardingEmailAddress"] = json!(address);
        } else {
            *body.pointer_mut(pointer).expect("member") = json!(address);
        }
        let (code, text) = refuse(&body);
        assert_eq!(code, ErrorCode::InvalidParameterValue, "{pointer}");
        assert_eq!(text, expected, "{pointer}");
    }
}

#[test]
fn fifty_recipients_pass_and_fifty_one_fail() {
    let list = |n: usize| {
        (0..n)
            .map(|i| format!("r{i}@example.org"))
            .collect::<Vec<_>>()
    };
    let mut body = simple();
    body["Destination"] =
        json!({"ToAddresses": list(20), "CcAddresses": list(20), "BccAddresses": list(10)});
    assert_eq!(decode(&body).recipients.len(), 50);
    body["Destination"]["BccAddresses"] = json!(list(11));
    let (code, text) = refuse(&body);
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(text, "Recipient count exceeds 50.");

    let mut raw = raw_body("From: a@x.org\r\nTo: b@x.org\r\n\r\nx");
    raw["Destination"] = json!({"ToAddresses": list(51)});
    assert_eq!(refuse(&raw).1, "Recipient count exceeds 50.");
}

#[test]
fn a_simple_send_without_recipients_is_rejected() {
    let mut body = simple();
    body.as_object_mut().expect("object").remove("Destination");
    let (code, text) = refuse(&body);
    assert_eq!(code, ErrorCode::MessageRejected);
    assert_eq!(text, "There are no recipients specified.");
}

#[test]
fn header_limits_follow_the_model() {
    let with_headers = |headers: Value| {
        let mut body = simple();
        body["Content"]["Simple"]["Headers"] = headers;
        body
    };
    let fifteen: Vec<Value> = (0..15)
        .map(|i| json!({"Name": format!("X-H{i}"), "Value": "v"}))
        .collect();
    let Content::Simple(content) = decode(&with_headers(json!(fifteen))).content else {
        panic!("simple");
    };
    assert_eq!(content.headers.len(), 15);

    let sixteen: Vec<Value> = (0..16)
        .map(|i| json!({"Name": format!("X-H{i}"), "Value": "v"}))
        .collect();
    let (code, text) = refuse(&with_headers(json!(sixteen)));
    assert_eq!(code.v2_code(), "BadRequestException");
    assert_eq!(
        text,
        "1 validation error detected: Value at 'content.simple.headers' failed to satisfy constraint: Member must have length less than or equal to 15"
    );

    let cases = [
        (
            json!({"Name": "X:Colon", "Value": "v"}),
            "1 validation error detected: Value 'X:Colon' at 'content.simple.headers.1.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[!-9;-@A-~]+$",
        ),
        (
            json!({"Name": "X Space", "Value": "v"}),
            "1 validation error detected: Value 'X Space' at 'content.simple.headers.1.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[!-9;-@A-~]+$",
        ),
        (
            json!({"Name": "X-Long".to_string() + &"a".repeat(121), "Value": "v"}),
            "failed to satisfy constraint: Member must have length between 1 and 126, inclusive",
        ),
        (
            json!({"Name": "X-A", "Value": ""}),
            "1 validation error detected: Value '' at 'content.simple.headers.1.member.value' failed to satisfy constraint: Member must have length between 1 and 995, inclusive",
        ),
        (
            json!({"Name": "X-A", "Value": "a".repeat(996)}),
            "failed to satisfy constraint: Member must have length between 1 and 995, inclusive",
        ),
        (
            json!({"Name": "X-A", "Value": "caf\u{e9}"}),
            "1 validation error detected: Value 'café' at 'content.simple.headers.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [ -~]*",
        ),
        (
            json!({"Name": "X-A", "Value": "line\r\nBcc: x@y.z"}),
            "failed to satisfy constraint: Member must satisfy regular expression pattern: [ -~]*",
        ),
        (
            json!({"Name": "X-Ab", "Value": "a".repeat(993)}),
            "Header X-Ab is too long: name and value together must not exceed 996 characters.",
        ),
    ];
    for (header, expected) in cases {
        let (code, text) = refuse(&with_headers(json!([header])));
        assert_eq!(code.v2_code(), "BadRequestException", "{header}");
        assert!(text.ends_with(expected), "{header}: {text}");
    }
    // 126-character name and 870-character value: exactly 996 together, accepted.
    let edge = json!([{"Name": "X".repeat(126), "Value": "v".repeat(870)}]);
    assert!(send_email(with_headers(edge).to_string().as_bytes()).is_ok());
}

#[test]
fn attachment_members_are_checked() {
    let with = |attachment: Value| {
        let mut body = simple();
        body["Content"]["Simple"]["Attachments"] = json!([attachment]);
        body
    };
    let good = json!({"FileName": "a.bin", "RawContent": "AAEC"});
    let Content::Simple(content) = decode(&with(good)).content else {
        panic!("simple");
    };
    assert_eq!(content.attachments[0].content.as_ref(), &[0u8, 1, 2]);
    assert!(!content.attachments[0].inline, "ATTACHMENT is the default");

    let cases = [
        (
            json!({"RawContent": "AAEC"}),
            "1 validation error detected: Value null at 'content.simple.attachments.1.member.fileName' failed to satisfy constraint: Member must not be null",
        ),
        (
            json!({"FileName": "a"}),
            "1 validation error detected: Value null at 'content.simple.attachments.1.member.rawContent' failed to satisfy constraint: Member must not be null",
        ),
        (
            json!({"FileName": "a", "RawContent": "AAEC", "ContentDisposition": "inline"}),
            "1 validation error detected: Value 'inline' at 'content.simple.attachments.1.member.contentDisposition' failed to satisfy constraint: Member must satisfy enum value set: [ATTACHMENT, INLINE]",
        ),
        (
            json!({"FileName": "a", "RawContent": "AAEC", "ContentTransferEncoding": "8BIT"}),
            "Member must satisfy enum value set: [BASE64, QUOTED_PRINTABLE, SEVEN_BIT]",
        ),
        (
            json!({"FileName": "f".repeat(256), "RawContent": "AAEC"}),
            "Member must have length less than or equal to 255",
        ),
        (
            json!({"FileName": "a", "RawContent": "AAEC", "ContentType": ""}),
            "Member must have length between 1 and 78, inclusive",
        ),
        (
            json!({"FileName": "a", "RawContent": "not base64!"}),
            "Invalid Base64 encoding",
        ),
    ];
    for (attachment, expected) in cases {
        let (code, text) = refuse(&with(attachment.clone()));
        assert_eq!(code.v2_code(), "BadRequestException", "{attachment}");
        assert!(text.ends_with(expected), "{attachment}: {text}");
    }
}

#[test]
fn tags_are_validated_with_ses_texts() {
    let mut body = simple();
    body["EmailTags"] =
        json!([{"Name": "ok", "Value": "fine"}, {"Name": "bad name", "Value": "v"}]);
    let (code, text) = refuse(&body);
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert!(text.starts_with("Invalid tag name"), "{text}");
    assert!(text.contains("bad name"), "{text}");

    body["EmailTags"] = json!([{"Name": "n", "Value": ""}]);
    assert_eq!(refuse(&body).1, "The tag value must be specified.");

    body["EmailTags"] = json!([{"Name": "n"}]);
    assert_eq!(
        refuse(&body).1,
        "1 validation error detected: Value null at 'emailTags.1.member.value' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn raw_data_must_be_base64() {
    let body = json!({"Content": {"Raw": {"Data": "***"}}});
    let (code, text) = refuse(&body);
    assert_eq!(code.v2_code(), "BadRequestException");
    assert_eq!(text, "Invalid Base64 encoding");
    // MIME-style line breaks and missing padding are accepted.
    let encoded = STANDARD.encode("From: a@x.org\r\nTo: b@x.org\r\n\r\nhello");
    let wrapped = format!(
        "{}\r\n{}",
        &encoded[..20],
        encoded[20..].trim_end_matches('=')
    );
    let request = decode(&json!({"Content": {"Raw": {"Data": wrapped}}}));
    assert!(matches!(request.content, Content::Raw(ref b) if b.ends_with(b"hello")));
}

#[test]
fn raw_over_forty_mebibytes_is_rejected_before_decoding() {
    let data = "A".repeat(MAX_RAW_MESSAGE_BASE64_LEN + 4);
    let body = json!({"Content": {"Raw": {"Data": data}}});
    let (code, text) = refuse(&body);
    assert_eq!(code, ErrorCode::MessageRejected);
    assert_eq!(code.v2_code(), "MessageRejected");
    assert_eq!(
        text,
        "Message length is more than 41943040 bytes long: '41943044'."
    );
}

#[test]
fn malformed_json_is_a_bad_request() {
    let (code, text) = refuse_bytes(b"{\"Content\": ");
    assert_eq!(code, ErrorCode::ValidationError);
    assert_eq!(code.v2_code(), "BadRequestException");
    assert!(text.starts_with("Could not parse request body: "), "{text}");

    let (code, text) = refuse_bytes(br#"{"Destination": {"ToAddresses": "a@x.org"}}"#);
    assert_eq!(code, ErrorCode::ValidationError);
    assert!(text.contains("invalid type"), "{text}");

    // An empty body is `{}`: the missing Content is reported.
    let (_, text) = refuse_bytes(b"");
    assert!(text.contains("'content'"), "{text}");
}

proptest! {
    #[test]
    fn send_email_never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        // Refusals are fine; an accepted body is always a send.
        if let Ok(op) = send_email(&body) {
            prop_assert!(matches!(op, Operation::Send(_)));
        }
    }

    #[test]
    fn send_email_never_panics_on_json_shapes(
        from in proptest::option::of("[ -~]{0,30}"),
        to in proptest::collection::vec("[ -~]{0,30}", 0..4),
        subject in proptest::option::of("\\PC{0,20}"),
        raw in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
        header_name in "[ -~]{0,10}",
    ) {
        let content = match raw {
            Some(bytes) => json!({"Raw": {"Data": STANDARD.encode(bytes)}}),
            None => json!({"Simple": {
                "Subject": {"Data": subject},
                "Body": {"Text": {"Data": "t"}},
                "Headers": [{"Name": header_name, "Value": "v"}]
            }}),
        };
        let body = json!({"FromEmailAddress": from, "Destination": {"ToAddresses": to}, "Content": content});
        if let Ok(Operation::Send(request)) = send_email(body.to_string().as_bytes()) {
            prop_assert!(!request.recipients.is_empty());
        }
    }
}
