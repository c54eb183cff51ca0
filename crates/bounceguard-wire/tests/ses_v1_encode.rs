//! The XML SES v1 answers with (ses-spec §1.3–§1.8).
//!
//! Two kinds of checks: exact comparisons with the response examples printed in ses-spec, and
//! insta snapshots for the shapes ses-spec describes in prose (each snapshot was read against
//! ses-spec and botocore's model before it was accepted).

use bounceguard_core::stats::SendDataPoint;
use bounceguard_core::{ErrorCode, Identity, IdentityType, Output, SendQuota, SesError};
use bounceguard_wire::ses_v1::{Action, CONTENT_TYPE, encode_error, encode_output};
use quick_xml::Reader;
use quick_xml::events::Event;

const REQUEST_ID: &str = "5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f";

fn identity(name: &str, token: Option<&str>) -> Identity {
    Identity {
        name: name.into(),
        identity_type: IdentityType::of(name),
        verification_token: token.map(str::to_string),
        created_ms: 0,
    }
}

/// Reads the document back: every element name in order and all text, and checks it is
/// well-formed (quick-xml checks that end tags match).
fn read_back(xml: &str) -> (Vec<String>, String) {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let (mut names, mut text) = (Vec::new(), String::new());
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                names.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Ok(Event::Text(t)) => text.push_str(&t.decode().expect("utf-8")),
            Ok(Event::GeneralRef(r)) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                let c = quick_xml::escape::resolve_predefined_entity(&name).expect("known entity");
                text.push_str(c);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}\n{xml}"),
        }
    }
    (names, text)
}

#[test]
fn send_email_matches_the_spec_example_exactly() {
    // ses-spec §1.3, "Success response".
    let expected = r#"<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
  <SendEmailResult>
    <MessageId>0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000</MessageId>
  </SendEmailResult>
  <ResponseMetadata>
    <RequestId>5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f</RequestId>
  </ResponseMetadata>
</SendEmailResponse>
"#;
    let output =
        Output::MessageId("0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000".into());
    assert_eq!(encode_output("SendEmail", &output, REQUEST_ID), expected);
    assert_eq!(CONTENT_TYPE, "text/xml");
}

#[test]
fn error_matches_the_spec_example_exactly() {
    // ses-spec §1.8.
    let expected = r#"<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
  <Error>
    <Type>Sender</Type>
    <Code>MessageRejected</Code>
    <Message>Email address is not verified. The following identities failed the check in region US-EAST-1: sender@example.com</Message>
  </Error>
  <RequestId>8f23e6e6-0000-4572-b426-343b370cb32c</RequestId>
</ErrorResponse>
"#;
    let err = SesError::rejected(
        "Email address is not verified. The following identities failed the check in region US-EAST-1: sender@example.com",
    );
    assert_eq!(
        encode_error(&err, "8f23e6e6-0000-4572-b426-343b370cb32c"),
        expected
    );
    assert_eq!(err.code.v1_status(), 400);
}

#[test]
fn send_raw_email_response() {
    let body = encode_output(
        "SendRawEmail",
        &Output::MessageId("0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000".into()),
        REQUEST_ID,
    );
    insta::assert_snapshot!(body);
}

#[test]
fn empty_results() {
    for op in ["VerifyEmailIdentity", "DeleteIdentity"] {
        let body = encode_output(op, &Output::Empty, REQUEST_ID);
        let (names, _) = read_back(&body);
        assert_eq!(
            names,
            [
                format!("{op}Response"),
                format!("{op}Result"),
                "ResponseMetadata".into(),
                "RequestId".into()
            ]
        );
        assert!(body.contains(&format!("<{op}Result/>")), "{body}");
    }
    insta::assert_snapshot!(encode_output(
        "VerifyEmailIdentity",
        &Output::Empty,
        REQUEST_ID
    ));
}

#[test]
fn verify_email_address_has_no_result_element() {
    // botocore's model gives VerifyEmailAddress no output shape.
    let body = encode_output(
        Action::VerifyEmailAddress.name(),
        &Output::Empty,
        REQUEST_ID,
    );
    assert!(!body.contains("Result"), "{body}");
    insta::assert_snapshot!(body);
}

#[test]
fn verify_domain_identity_response() {
    let body = encode_output(
        "VerifyDomainIdentity",
        &Output::VerificationToken("QTKknzFg2J4ygwa+XvHAxUl1hyHoY0gVfZdfjIedHZ0=".into()),
        REQUEST_ID,
    );
    insta::assert_snapshot!(body);
}

#[test]
fn list_identities_responses() {
    let page = Output::Identities {
        identities: vec![
            identity("ann@example.org", None),
            identity("shop.example", Some("tok")),
        ],
        next_token: Some("bmV4dA==".into()),
    };
    insta::assert_snapshot!(
        "list_identities_page",
        encode_output("ListIdentities", &page, REQUEST_ID)
    );
    let last = Output::Identities {
        identities: vec![],
        next_token: None,
    };
    let body = encode_output("ListIdentities", &last, REQUEST_ID);
    // Identities is required in the model, so an empty page still has the element.
    assert!(
        body.contains("<Identities/>") && !body.contains("NextToken"),
        "{body}"
    );
    insta::assert_snapshot!("list_identities_empty", body);
}

#[test]
fn verification_attributes_response() {
    let output = Output::VerificationAttributes(vec![
        identity(
            "shop.example",
            Some("QTKknzFg2J4ygwa+XvHAxUl1hyHoY0gVfZdfjIedHZ0="),
        ),
        identity("ann@example.org", None),
    ]);
    let body = encode_output("GetIdentityVerificationAttributes", &output, REQUEST_ID);
    let (names, _) = read_back(&body);
    assert_eq!(
        names.iter().filter(|n| *n == "VerificationToken").count(),
        1,
        "only the domain has a token"
    );
    insta::assert_snapshot!(body);
}

#[test]
fn send_quota_response() {
    let quota = Output::SendQuota(SendQuota {
        max_24_hour_send: 200.0,
        max_send_rate: 1.0,
        sent_last_24_hours: 12.0,
    });
    let body = encode_output("GetSendQuota", &quota, REQUEST_ID);
    // ses-spec §1.5: the three doubles with `.0`.
    for line in [
        "<SentLast24Hours>12.0</SentLast24Hours>",
        "<Max24HourSend>200.0</Max24HourSend>",
        "<MaxSendRate>1.0</MaxSendRate>",
    ] {
        assert!(body.contains(line), "{line} in {body}");
    }
    insta::assert_snapshot!("send_quota", body);
    let unlimited = Output::SendQuota(SendQuota {
        max_24_hour_send: -1.0,
        max_send_rate: 14.5,
        sent_last_24_hours: 0.0,
    });
    let body = encode_output("GetSendQuota", &unlimited, REQUEST_ID);
    assert!(
        body.contains("<Max24HourSend>-1.0</Max24HourSend>"),
        "{body}"
    );
    assert!(body.contains("<MaxSendRate>14.5</MaxSendRate>"), "{body}");
}

#[test]
fn send_statistics_response() {
    let points = vec![
        SendDataPoint {
            timestamp_ms: 1_705_313_700_000, // 2024-01-15T10:15:00Z
            delivery_attempts: 120,
            bounces: 3,
            complaints: 1,
            rejects: 0,
        },
        SendDataPoint {
            timestamp_ms: 1_705_314_600_000, // 2024-01-15T10:30:00Z
            delivery_attempts: 7,
            ..SendDataPoint::default()
        },
    ];
    let body = encode_output(
        "GetSendStatistics",
        &Output::SendStatistics(points),
        REQUEST_ID,
    );
    assert!(
        body.contains("<Timestamp>2024-01-15T10:15:00Z</Timestamp>"),
        "{body}"
    );
    assert!(
        body.contains("<Timestamp>2024-01-15T10:30:00Z</Timestamp>"),
        "{body}"
    );
    let (names, _) = read_back(&body);
    let first_member: Vec<&str> = names
        .iter()
        .skip_while(|n| *n != "member")
        .skip(1)
        .take(5)
        .map(String::as_str)
        .collect();
    // botocore's SendDataPoint member order.
    assert_eq!(
        first_member,
        [
            "Timestamp",
            "DeliveryAttempts",
            "Bounces",
            "Complaints",
            "Rejects"
        ]
    );
    insta::assert_snapshot!("send_statistics", body);
    let none = encode_output(
        "GetSendStatistics",
        &Output::SendStatistics(vec![]),
        REQUEST_ID,
    );
    assert!(none.contains("<SendDataPoints/>"), "{none}");
}

#[test]
fn error_responses() {
    let internal = SesError::internal();
    let body = encode_error(&internal, REQUEST_ID);
    assert!(
        body.contains("<Type>Receiver</Type>") && body.contains("<Code>InternalFailure</Code>")
    );
    assert_eq!(internal.code.v1_status(), 500);
    insta::assert_snapshot!("error_internal", body);

    // ses-spec §1.8, the AccessDenied wording for sends, with its backticks and apostrophes.
    let denied = SesError::new(
        ErrorCode::AccessDenied,
        "User `arn:aws:iam::111122223333:user/app' is not authorized to perform `ses:SendEmail' on resource `arn:aws:ses:eu-west-1:111122223333:identity/no-reply@shop.example'",
    );
    let body = encode_error(&denied, REQUEST_ID);
    assert_eq!(denied.code.v1_status(), 403);
    let (_, text) = read_back(&body);
    assert!(text.contains(&denied.message), "{body}");
    insta::assert_snapshot!("error_access_denied", body);

    // NotFound has no v1 code of its own: it is InvalidParameterValue on the wire.
    let body = encode_error(&SesError::new(ErrorCode::NotFound, "x"), REQUEST_ID);
    assert!(
        body.contains("<Code>InvalidParameterValue</Code>"),
        "{body}"
    );
}

#[test]
fn hostile_text_stays_well_formed() {
    let message = "Invalid tag name <a&b></Message><Code>Injected</Code>\u{1}: …";
    let body = encode_error(&SesError::invalid(message), "id<&>");
    let (names, text) = read_back(&body);
    assert_eq!(
        names,
        [
            "ErrorResponse",
            "Error",
            "Type",
            "Code",
            "Message",
            "RequestId"
        ]
    );
    assert!(
        text.contains("<a&b></Message><Code>Injected</Code>\u{FFFD}: …"),
        "{text}"
    );
    assert!(text.ends_with("id<&>"), "{text}");
    let body = encode_output(
        "ListIdentities",
        &Output::Identities {
            identities: vec![identity("a<b>&\"c\"@x.org", None)],
            next_token: Some("t&k".into()),
        },
        "r",
    );
    let (_, text) = read_back(&body);
    assert!(
        text.contains("a<b>&\"c\"@x.org") && text.contains("t&k"),
        "{body}"
    );
}
