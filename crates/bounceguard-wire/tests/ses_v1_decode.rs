//! Decoding SES v1 Query requests (ses-spec §1.2–§1.6).
//!
//! Expected values come from ses-spec: the SendEmail example request of §1.3 is decoded
//! verbatim, the address texts are the observed SES texts of §1.8, the tag texts those of §1.3.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bounceguard_core::{
    ApiVersion, Content, ErrorCode, IdentityType, MessageTag, Operation, RecipientKind, SendAction,
    SendRequest, SesError, Text,
};
use bounceguard_wire::ses_v1::{self, Action, QueryParams, decode, decode_request};

/// Encodes pairs the way botocore does (`urlencode`, `+` for spaces, `%40` for `@`).
fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

fn send(body: &[u8]) -> SendRequest {
    match decode(body) {
        Ok(Operation::Send(request)) => *request,
        other => panic!("expected a send, got {other:?}"),
    }
}

fn error(body: &[u8]) -> SesError {
    decode(body).expect_err("request should be refused")
}

/// A valid SendEmail with the given extra pairs.
fn send_email_with(extra: &[(&str, &str)]) -> Vec<u8> {
    let mut pairs = vec![
        ("Action", "SendEmail"),
        ("Version", "2010-12-01"),
        ("Source", "no-reply@shop.example"),
        ("Message.Subject.Data", "Hi"),
        ("Message.Body.Text.Data", "Body"),
    ];
    pairs.extend_from_slice(extra);
    form(&pairs)
}

#[test]
fn spec_send_email_example_decodes_field_by_field() {
    // ses-spec §1.3, the example request, joined into one line as it is on the wire.
    let body = "Action=SendEmail&Version=2010-12-01&Source=Shop%20%3Cno-reply%40shop.example%3E\
        &Destination.ToAddresses.member.1=ann%40example.org&Destination.CcAddresses.member.1=bob%40example.org\
        &Destination.BccAddresses=&Message.Subject.Data=Your%20order&Message.Subject.Charset=UTF-8\
        &Message.Body.Text.Data=Thanks%21&Message.Body.Html.Data=%3Cp%3EThanks%21%3C%2Fp%3E\
        &ReplyToAddresses.member.1=help%40shop.example&ConfigurationSetName=tx\
        &Tags.member.1.Name=campaign&Tags.member.1.Value=jan-24";
    let request = send(body.as_bytes());
    assert_eq!(request.api, ApiVersion::V1);
    assert_eq!(request.action, SendAction::SendEmail);
    assert_eq!(request.from.address, "no-reply@shop.example");
    assert_eq!(request.from.display_name.as_deref(), Some("Shop"));
    assert_eq!(request.from_original, "Shop <no-reply@shop.example>");
    let recipients: Vec<(&str, RecipientKind)> = request
        .recipients
        .iter()
        .map(|r| (r.mailbox.address.as_str(), r.kind))
        .collect();
    assert_eq!(
        recipients,
        [
            ("ann@example.org", RecipientKind::To),
            ("bob@example.org", RecipientKind::Cc)
        ]
    );
    assert_eq!(request.reply_to, ["help@shop.example"]);
    assert_eq!(request.configuration_set.as_deref(), Some("tx"));
    assert_eq!(
        request.tags,
        [MessageTag {
            name: "campaign".into(),
            value: "jan-24".into()
        }]
    );
    assert_eq!(request.feedback_address, None);
    assert_eq!(request.source_arn, None);
    assert_eq!(request.from_arn, None);
    let Content::Simple(content) = &request.content else {
        panic!("SendEmail is simple content");
    };
    assert_eq!(
        content.subject,
        Text {
            data: "Your order".into(),
            charset: Some("UTF-8".into())
        }
    );
    assert_eq!(
        content.text.as_ref().map(|t| t.data.as_str()),
        Some("Thanks!")
    );
    assert_eq!(
        content.html.as_ref().map(|t| t.data.as_str()),
        Some("<p>Thanks!</p>")
    );
    assert!(content.headers.is_empty() && content.attachments.is_empty());
}

#[test]
fn plus_is_space_and_percent_40_is_at() {
    let body = b"Action=SendEmail&Source=Shop+Team+%3Cno-reply%40shop.example%3E\
        &Destination.ToAddresses.member.1=ann%2Btag%40example.org&Message.Subject.Data=a+b%2Bc\
        &Message.Body.Text.Data=x";
    let request = send(body);
    assert_eq!(request.from.display_name.as_deref(), Some("Shop Team"));
    assert_eq!(request.recipients[0].mailbox.address, "ann+tag@example.org");
    let Content::Simple(content) = request.content else {
        panic!("simple");
    };
    assert_eq!(content.subject.data, "a b+c");
}

#[test]
fn send_email_optional_parameters_are_carried() {
    let request = send(&send_email_with(&[
        ("Destination.ToAddresses.member.1", "a@x.org"),
        ("Destination.ToAddresses.member.2", "B <b@x.org>"),
        ("Destination.BccAddresses.member.1", "c@x.org"),
        ("ReturnPath", "bounce@shop.example"),
        (
            "SourceArn",
            "arn:aws:ses:us-east-1:123456789012:identity/shop.example",
        ),
        (
            "ReturnPathArn",
            "arn:aws:ses:us-east-1:123456789012:identity/rp.example",
        ),
        ("Message.Body.Text.Charset", "ISO-8859-1"),
    ]));
    assert_eq!(request.recipients.len(), 3);
    assert_eq!(request.recipients[1].original, "B <b@x.org>");
    assert_eq!(request.recipients[2].kind, RecipientKind::Bcc);
    assert_eq!(
        request.feedback_address.as_deref(),
        Some("bounce@shop.example")
    );
    assert_eq!(
        request.source_arn.as_deref(),
        Some("arn:aws:ses:us-east-1:123456789012:identity/shop.example")
    );
    assert_eq!(
        request.return_path_arn.as_deref(),
        Some("arn:aws:ses:us-east-1:123456789012:identity/rp.example")
    );
    let Content::Simple(content) = request.content else {
        panic!("simple");
    };
    assert_eq!(
        content.text.and_then(|t| t.charset).as_deref(),
        Some("ISO-8859-1")
    );
    assert_eq!(content.html, None);
}

#[test]
fn every_action_decodes() {
    let cases: Vec<(Vec<u8>, Action, Operation)> = vec![
        (
            form(&[
                ("Action", "VerifyEmailIdentity"),
                ("EmailAddress", "ann@example.org"),
            ]),
            Action::VerifyEmailIdentity,
            Operation::VerifyEmailIdentity {
                email: "ann@example.org".into(),
            },
        ),
        (
            form(&[
                ("Action", "VerifyEmailAddress"),
                ("EmailAddress", "ann@example.org"),
            ]),
            Action::VerifyEmailAddress,
            Operation::VerifyEmailIdentity {
                email: "ann@example.org".into(),
            },
        ),
        (
            form(&[
                ("Action", "VerifyDomainIdentity"),
                ("Domain", "shop.example"),
            ]),
            Action::VerifyDomainIdentity,
            Operation::VerifyDomainIdentity {
                domain: "shop.example".into(),
            },
        ),
        (
            form(&[("Action", "ListIdentities")]),
            Action::ListIdentities,
            Operation::ListIdentities {
                identity_type: None,
                next_token: None,
                max_items: None,
            },
        ),
        (
            form(&[
                ("Action", "ListIdentities"),
                ("IdentityType", "Domain"),
                ("NextToken", "abc=="),
                ("MaxItems", "1000"),
            ]),
            Action::ListIdentities,
            Operation::ListIdentities {
                identity_type: Some(IdentityType::Domain),
                next_token: Some("abc==".into()),
                max_items: Some(1000),
            },
        ),
        (
            form(&[
                ("Action", "ListIdentities"),
                ("IdentityType", "EmailAddress"),
                ("MaxItems", "1"),
            ]),
            Action::ListIdentities,
            Operation::ListIdentities {
                identity_type: Some(IdentityType::EmailAddress),
                next_token: None,
                max_items: Some(1),
            },
        ),
        (
            form(&[("Action", "DeleteIdentity"), ("Identity", "shop.example")]),
            Action::DeleteIdentity,
            Operation::DeleteIdentity {
                identity: "shop.example".into(),
            },
        ),
        (
            form(&[
                ("Action", "GetIdentityVerificationAttributes"),
                ("Identities.member.2", "b@x.org"),
                ("Identities.member.1", "x.org"),
            ]),
            Action::GetIdentityVerificationAttributes,
            Operation::GetIdentityVerificationAttributes {
                identities: vec!["x.org".into(), "b@x.org".into()],
            },
        ),
        (
            form(&[
                ("Action", "GetIdentityVerificationAttributes"),
                ("Identities", ""),
            ]),
            Action::GetIdentityVerificationAttributes,
            Operation::GetIdentityVerificationAttributes { identities: vec![] },
        ),
        (
            form(&[("Action", "GetSendQuota"), ("Version", "2010-12-01")]),
            Action::GetSendQuota,
            Operation::GetSendQuota,
        ),
        (
            form(&[("Action", "GetSendStatistics")]),
            Action::GetSendStatistics,
            Operation::GetSendStatistics,
        ),
    ];
    for (body, action, operation) in cases {
        let request = decode_request(&body)
            .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&body)));
        assert_eq!(request.action, action);
        assert_eq!(request.operation, operation);
    }
}

#[test]
fn action_names_round_trip() {
    for action in Action::ALL {
        assert_eq!(Action::from_name(action.name()), Some(action));
    }
    assert_eq!(Action::from_name("sendemail"), None);
}

#[test]
fn refused_requests_have_ses_codes_and_texts() {
    let cases: Vec<(Vec<u8>, ErrorCode, &str)> = vec![
        (
            b"".to_vec(),
            ErrorCode::MissingAction,
            "The request is missing an action or a required parameter.",
        ),
        (
            b"Version=2010-12-01".to_vec(),
            ErrorCode::MissingAction,
            "The request is missing an action or a required parameter.",
        ),
        (
            b"Action=".to_vec(),
            ErrorCode::MissingAction,
            "The request is missing an action or a required parameter.",
        ),
        (
            b"Action=SendEmai".to_vec(),
            ErrorCode::InvalidAction,
            "The action SendEmai is not valid for this web service.",
        ),
        (
            b"Action=sendemail".to_vec(),
            ErrorCode::InvalidAction,
            "The action sendemail is not valid for this web service.",
        ),
        (
            b"Action=CreateEmailIdentity".to_vec(),
            ErrorCode::InvalidAction,
            "The action CreateEmailIdentity is not valid for this web service.",
        ),
        (
            b"Action=GetSendQuota&Version=2019-09-27".to_vec(),
            ErrorCode::InvalidParameterValue,
            "A bad or out-of-range value \"2019-09-27\" was supplied for the \"Version\" input parameter.",
        ),
        (
            b"Action=GetSendQuota&Action=GetSendQuota".to_vec(),
            ErrorCode::InvalidParameterValue,
            "The parameter Action was given more than once.",
        ),
        (
            b"Action=GetSendQuota&X=%C3%28".to_vec(),
            ErrorCode::InvalidParameterValue,
            "The value of parameter X is not valid UTF-8.",
        ),
        (
            form(&[
                ("Action", "SendEmail"),
                ("Destination.ToAddresses.member.1", "a@x.org"),
                ("Message.Subject.Data", "s"),
                ("Message.Body.Text.Data", "b"),
            ]),
            ErrorCode::MissingParameter,
            "The request must contain the parameter Source.",
        ),
        (
            form(&[
                ("Action", "SendEmail"),
                ("Source", "s@x.org"),
                ("Destination.ToAddresses.member.1", "a@x.org"),
                ("Message.Body.Text.Data", "b"),
            ]),
            ErrorCode::MissingParameter,
            "The request must contain the parameter Message.Subject.Data.",
        ),
        (
            form(&[
                ("Action", "SendEmail"),
                ("Source", "s@x.org"),
                ("Destination.ToAddresses.member.1", "a@x.org"),
                ("Message.Subject.Data", "s"),
            ]),
            ErrorCode::MissingParameter,
            "The request must contain the parameter Message.Body.",
        ),
        (
            form(&[
                ("Action", "SendEmail"),
                ("Source", "s@x.org"),
                ("Destination.ToAddresses.member.1", "a@x.org"),
                ("Message.Subject.Data", "s"),
                ("Message.Body.Html.Charset", "UTF-8"),
            ]),
            ErrorCode::MissingParameter,
            "The request must contain the parameter Message.Body.Html.Data.",
        ),
        (
            send_email_with(&[]),
            ErrorCode::MessageRejected,
            "There are no recipients specified.",
        ),
        (
            send_email_with(&[
                ("Destination.ToAddresses", ""),
                ("Destination.CcAddresses", ""),
                ("Destination.BccAddresses", ""),
            ]),
            ErrorCode::MessageRejected,
            "There are no recipients specified.",
        ),
        (
            send_email_with(&[("Destination.ToAddresses.member.2", "a@x.org")]),
            ErrorCode::InvalidParameterValue,
            "The parameter Destination.ToAddresses.member.1 is missing: the members of a list are numbered from 1 without gaps.",
        ),
        (
            send_email_with(&[("Destination.ToAddresses", "a@x.org")]),
            ErrorCode::InvalidParameterValue,
            "The parameter Destination.ToAddresses must be given as Destination.ToAddresses.member.N, not as a single value.",
        ),
        (
            form(&[("Action", "ListIdentities"), ("MaxItems", "0")]),
            ErrorCode::InvalidParameterValue,
            "Invalid MaxItems 0: possible values are 1-1000 inclusive.",
        ),
        (
            form(&[("Action", "ListIdentities"), ("MaxItems", "1001")]),
            ErrorCode::InvalidParameterValue,
            "Invalid MaxItems 1001: possible values are 1-1000 inclusive.",
        ),
        (
            form(&[("Action", "ListIdentities"), ("MaxItems", "ten")]),
            ErrorCode::InvalidParameterValue,
            "Invalid MaxItems ten: possible values are 1-1000 inclusive.",
        ),
        (
            form(&[("Action", "ListIdentities"), ("MaxItems", "-1")]),
            ErrorCode::InvalidParameterValue,
            "Invalid MaxItems -1: possible values are 1-1000 inclusive.",
        ),
        (
            form(&[("Action", "ListIdentities"), ("IdentityType", "domain")]),
            ErrorCode::InvalidParameterValue,
            "Invalid IdentityType domain: possible values are EmailAddress and Domain.",
        ),
        (
            form(&[("Action", "GetIdentityVerificationAttributes")]),
            ErrorCode::MissingParameter,
            "The request must contain the parameter Identities.",
        ),
        (
            form(&[("Action", "VerifyEmailIdentity")]),
            ErrorCode::MissingParameter,
            "The request must contain the parameter EmailAddress.",
        ),
        (
            form(&[
                ("Action", "VerifyEmailIdentity"),
                ("EmailAddress", "ann.example.org"),
            ]),
            ErrorCode::InvalidParameterValue,
            "Missing final '@domain'",
        ),
        (
            form(&[
                ("Action", "VerifyEmailIdentity"),
                ("EmailAddress", "Ann <ann@x.org>"),
            ]),
            ErrorCode::InvalidParameterValue,
            "Invalid email address Ann <ann@x.org>.",
        ),
        (
            form(&[
                ("Action", "VerifyDomainIdentity"),
                ("Domain", "bad_domain.example"),
            ]),
            ErrorCode::InvalidParameterValue,
            "Invalid domain name bad_domain.example.",
        ),
        (
            form(&[("Action", "DeleteIdentity")]),
            ErrorCode::MissingParameter,
            "The request must contain the parameter Identity.",
        ),
    ];
    for (body, code, text) in cases {
        let e = error(&body);
        assert_eq!(
            (e.code, e.message.as_str()),
            (code, text),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[test]
fn bad_addresses_answer_the_observed_ses_texts() {
    // ses-spec §1.8: the observed InvalidParameterValue texts for address syntax.
    let cases = [
        ("ann.example.org", "Missing final '@domain'"),
        ("ann@", "Missing domain"),
        ("@example.org", "Missing local name"),
        (
            "a nn@example.org",
            "Local address contains control or whitespace",
        ),
        ("ann@exa_mple.org", "Domain contains illegal character"),
        ("ann@exa mple.org", "Domain contains control or whitespace"),
        ("Ann <ann@example.org", "Illegal address"),
    ];
    for (address, text) in cases {
        for field in [
            "Destination.ToAddresses.member.1",
            "Destination.CcAddresses.member.1",
            "Destination.BccAddresses.member.1",
        ] {
            let e = error(&send_email_with(&[(field, address)]));
            assert_eq!(
                e.code,
                ErrorCode::InvalidParameterValue,
                "{field}={address}"
            );
            assert_eq!(e.message, text, "{field}={address}");
        }
        // The same checks guard the sender, the Reply-To list and the return path.
        let source = form(&[
            ("Action", "SendEmail"),
            ("Source", address),
            ("Destination.ToAddresses.member.1", "a@x.org"),
            ("Message.Subject.Data", "s"),
            ("Message.Body.Text.Data", "b"),
        ]);
        assert_eq!(error(&source).message, text, "Source={address}");
        let with_to = |extra: (&str, &str)| {
            send_email_with(&[("Destination.ToAddresses.member.1", "a@x.org"), extra])
        };
        assert_eq!(
            error(&with_to(("ReplyToAddresses.member.1", address))).message,
            text
        );
        assert_eq!(error(&with_to(("ReturnPath", address))).message, text);
    }
}

#[test]
fn one_bad_recipient_rejects_the_whole_call() {
    let e = error(&send_email_with(&[
        ("Destination.ToAddresses.member.1", "good@example.org"),
        ("Destination.ToAddresses.member.2", "broken"),
    ]));
    assert_eq!(e.message, "Missing final '@domain'");
}

fn addresses(prefix: &str, n: usize) -> Vec<(String, String)> {
    (1..=n)
        .map(|i| {
            (
                format!("{prefix}.member.{i}"),
                format!("r{i}@{prefix}.example"),
            )
        })
        .collect()
}

#[test]
fn fifty_recipients_across_lists_pass_and_fifty_one_fail() {
    for (to, cc, bcc, ok) in [
        (50, 0, 0, true),
        (20, 20, 10, true),
        (20, 20, 11, false),
        (0, 0, 51, false),
    ] {
        let mut pairs: Vec<(String, String)> = addresses("Destination.ToAddresses", to);
        pairs.extend(addresses("Destination.CcAddresses", cc));
        pairs.extend(addresses("Destination.BccAddresses", bcc));
        let extra: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = send_email_with(&extra);
        match decode(&body) {
            Ok(Operation::Send(request)) if ok => {
                assert_eq!(request.recipients.len(), to + cc + bcc);
            }
            Err(e) if !ok => {
                assert_eq!(e.code, ErrorCode::InvalidParameterValue);
                assert_eq!(e.message, "Recipient count exceeds 50.");
            }
            other => panic!("{to}/{cc}/{bcc}: {other:?}"),
        }
    }
}

#[test]
fn tags_are_validated_with_the_recorded_texts() {
    let base = [("Destination.ToAddresses.member.1", "a@x.org")];
    let with = |tags: &[(&str, &str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(tags);
        decode(&send_email_with(&pairs))
    };
    let ok = with(&[
        ("Tags.member.1.Name", "campaign"),
        ("Tags.member.1.Value", "jan-24"),
        ("Tags.member.2.Name", "who"),
        ("Tags.member.2.Value", "a.b@c"),
    ]);
    match ok {
        Ok(Operation::Send(request)) => assert_eq!(request.tags.len(), 2),
        other => panic!("{other:?}"),
    }
    let message = |tags: &[(&str, &str)]| with(tags).expect_err("bad tag").message;
    assert_eq!(
        message(&[("Tags.member.1.Value", "v")]),
        "The tag name must be specified."
    );
    assert_eq!(
        message(&[("Tags.member.1.Name", "n")]),
        "The tag value must be specified."
    );
    assert_eq!(
        message(&[
            ("Tags.member.1.Name", &"n".repeat(256)),
            ("Tags.member.1.Value", "v")
        ]),
        "Tag name cannot exceed 255 characters."
    );
    let bad_name = message(&[("Tags.member.1.Name", "a b"), ("Tags.member.1.Value", "v")]);
    assert!(
        bad_name.starts_with("Invalid tag name")
            && bad_name.ends_with("only alphanumeric ASCII characters, '_',  '-' are allowed."),
        "{bad_name}"
    );
    let bad_value = message(&[("Tags.member.1.Name", "n"), ("Tags.member.1.Value", "v!")]);
    assert!(
        bad_value
            .ends_with("only alphanumeric ASCII characters, '_',  '-' , '.', '@' are allowed."),
        "{bad_value}"
    );
    assert_eq!(
        message(&[("Tags.member.2.Name", "n"), ("Tags.member.2.Value", "v")]),
        "The parameter Tags.member.1 is missing: the members of a list are numbered from 1 without gaps."
    );
}

#[test]
fn identity_list_over_one_hundred_is_refused() {
    let mut pairs: Vec<(String, String)> =
        vec![("Action".into(), "GetIdentityVerificationAttributes".into())];
    pairs.extend(addresses("Identities", 101));
    let body = form(
        &pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    );
    let e = error(&body);
    assert_eq!(e.code, ErrorCode::InvalidParameterValue);
    assert_eq!(
        e.message,
        "At most 100 identities can be asked about at once."
    );
}

// ---- SendRawEmail: what this front checks and passes on to mime::raw_send ----

const MIME: &str = "From: Shop <no-reply@shop.example>\r\nTo: ann@example.org, Bob <bob@example.org>\r\nSubject: Hi\r\n\r\nHello\r\n";

fn raw_params(pairs: &[(&str, &str)]) -> QueryParams {
    QueryParams::parse(&form(pairs)).expect("form parses")
}

#[test]
fn raw_input_passes_every_parameter_on() {
    let encoded = STANDARD.encode(MIME);
    let params = raw_params(&[
        ("Action", "SendRawEmail"),
        ("RawMessage.Data", &encoded),
        ("Source", "Shop <no-reply@shop.example>"),
        ("Destinations.member.1", "ann@example.org"),
        ("Destinations.member.2", "carol@example.org"),
        ("FromArn", "arn:from"),
        ("SourceArn", "arn:source"),
        ("ReturnPathArn", "arn:return"),
        ("ConfigurationSetName", "tx"),
        ("Tags.member.1.Name", "campaign"),
        ("Tags.member.1.Value", "jan-24"),
    ]);
    let (data, passed) = ses_v1::raw_send_input(&params).expect("valid");
    assert_eq!(data.as_ref(), MIME.as_bytes());
    assert_eq!(
        passed.source.as_deref(),
        Some("Shop <no-reply@shop.example>")
    );
    assert_eq!(
        passed.destinations,
        Some(vec![
            "ann@example.org".to_string(),
            "carol@example.org".to_string()
        ])
    );
    assert_eq!(passed.from_arn.as_deref(), Some("arn:from"));
    assert_eq!(passed.source_arn.as_deref(), Some("arn:source"));
    assert_eq!(passed.return_path_arn.as_deref(), Some("arn:return"));
    assert_eq!(passed.configuration_set.as_deref(), Some("tx"));
    assert_eq!(
        passed.tags,
        [MessageTag {
            name: "campaign".into(),
            value: "jan-24".into()
        }]
    );
}

#[test]
fn raw_input_distinguishes_absent_and_empty_destinations() {
    let encoded = STANDARD.encode(MIME);
    let (_, absent) =
        ses_v1::raw_send_input(&raw_params(&[("RawMessage.Data", &encoded)])).expect("valid");
    assert_eq!(absent.destinations, None);
    assert_eq!(absent.source, None);
    assert!(absent.tags.is_empty());
    let (_, empty) = ses_v1::raw_send_input(&raw_params(&[
        ("RawMessage.Data", &encoded),
        ("Destinations", ""),
    ]))
    .expect("valid");
    assert_eq!(empty.destinations, Some(vec![]));
}

#[test]
fn raw_base64_forms() {
    let accept = |encoded: &str| {
        ses_v1::raw_send_input(&raw_params(&[("RawMessage.Data", encoded)]))
            .map(|(data, _)| data.to_vec())
    };
    // Padded, unpadded, and MIME-style with CRLF line breaks all decode to the same bytes.
    assert_eq!(accept("aGk+Pz8=").expect("padded"), b"hi>??");
    assert_eq!(accept("aGk+Pz8").expect("unpadded"), b"hi>??");
    assert_eq!(accept("aGk+\r\nPz8=").expect("line breaks"), b"hi>??");
    assert_eq!(accept("").expect("empty"), b"");
    for bad in ["!!!!", "aGk-Pz8_", "aGk Pz8=", "a", "aGk+Pz8=="] {
        let e = accept(bad).expect_err(bad);
        assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::InvalidParameterValue, "Invalid Base64 encoding"),
            "{bad}"
        );
    }
    // A '+' sent without percent-encoding arrives as a space and is refused, not guessed at.
    let e = decode(b"Action=SendRawEmail&RawMessage.Data=aGk+Pz8=").expect_err("space");
    assert_eq!(e.message, "Invalid Base64 encoding");
}

#[test]
fn raw_size_limit_is_on_the_base64_text() {
    // Exactly 10485760 characters of base64 pass the size check ("AAAA" is three zero bytes).
    let at_limit = "AAAA".repeat(10_485_760 / 4);
    let (data, _) = ses_v1::raw_send_input(&raw_params(&[("RawMessage.Data", &at_limit)]))
        .expect("at the limit");
    assert_eq!(data.len(), 10_485_760 / 4 * 3);
    let over = format!("{at_limit}A");
    let e = ses_v1::raw_send_input(&raw_params(&[("RawMessage.Data", &over)])).expect_err("over");
    assert_eq!(e.code, ErrorCode::InvalidParameterValue);
    assert_eq!(
        e.message,
        "Message length is more than 10485760 bytes long: '10485761'."
    );
}

#[test]
fn raw_parameter_errors() {
    let encoded = STANDARD.encode(MIME);
    let e =
        decode(&form(&[("Action", "SendRawEmail"), ("Source", "a@x.org")])).expect_err("no data");
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorCode::MissingParameter,
            "The request must contain the parameter RawMessage.Data."
        )
    );
    let mut pairs: Vec<(String, String)> = vec![("RawMessage.Data".into(), encoded.clone())];
    pairs.extend(addresses("Destinations", 51));
    let params = QueryParams::from_pairs(pairs);
    assert_eq!(
        ses_v1::raw_send_input(&params).expect_err("51").message,
        "Recipient count exceeds 50."
    );
    let e = ses_v1::raw_send_input(&raw_params(&[
        ("RawMessage.Data", &encoded),
        ("Tags.member.1.Name", "n"),
    ]))
    .expect_err("tag without value");
    assert_eq!(e.message, "The tag value must be specified.");
    let e = ses_v1::raw_send_input(&raw_params(&[
        ("RawMessage.Data", &encoded),
        ("Destinations.member.3", "a@x.org"),
    ]))
    .expect_err("gap");
    assert_eq!(e.code, ErrorCode::InvalidParameterValue);
}

// ---- SendRawEmail end to end: these depend on mime::raw_send being implemented ----

#[test]
fn raw_send_end_to_end_uses_header_recipients() {
    let body = form(&[
        ("Action", "SendRawEmail"),
        ("Version", "2010-12-01"),
        ("RawMessage.Data", &STANDARD.encode(MIME)),
    ]);
    let request = send(&body);
    assert_eq!(request.api, ApiVersion::V1);
    assert_eq!(request.action, SendAction::SendRawEmail);
    assert_eq!(request.from.address, "no-reply@shop.example");
    let to: Vec<&str> = request
        .recipients
        .iter()
        .map(|r| r.mailbox.address.as_str())
        .collect();
    assert_eq!(to, ["ann@example.org", "bob@example.org"]);
    assert_eq!(request.content, Content::Raw(bytes::Bytes::from(MIME)));
}

#[test]
fn raw_send_end_to_end_prefers_parameters() {
    let body = form(&[
        ("Action", "SendRawEmail"),
        ("RawMessage.Data", &STANDARD.encode(MIME)),
        ("Source", "bounces@shop.example"),
        ("Destinations.member.1", "carol@example.org"),
        ("ConfigurationSetName", "tx"),
    ]);
    let request = send(&body);
    assert_eq!(request.from.address, "bounces@shop.example");
    assert_eq!(request.recipients.len(), 1);
    assert_eq!(request.recipients[0].mailbox.address, "carol@example.org");
    assert_eq!(request.recipients[0].kind, RecipientKind::Envelope);
    assert_eq!(request.configuration_set.as_deref(), Some("tx"));
}

#[test]
fn round_trip_through_a_botocore_style_form() {
    // Values that need every kind of escaping: spaces, '+', '&', '=', '%', non-ASCII, newlines.
    let subject = "Grüße & <b>50% off</b> = 1+1";
    let text = "line one\r\nline two & three = 4+5%";
    let body = form(&[
        ("Action", "SendEmail"),
        ("Version", "2010-12-01"),
        ("Source", "\"Shop, Inc.\" <no-reply+x@shop.example>"),
        ("Destination.ToAddresses.member.1", "ann+tag@example.org"),
        ("Destination.CcAddresses", ""),
        ("Destination.BccAddresses.member.1", "audit@example.org"),
        ("Message.Subject.Data", subject),
        ("Message.Subject.Charset", "UTF-8"),
        ("Message.Body.Text.Data", text),
        ("ReplyToAddresses.member.1", "help@shop.example"),
        ("Tags.member.1.Name", "campaign"),
        ("Tags.member.1.Value", "a.b@c"),
    ]);
    let request = send(&body);
    assert_eq!(request.from.display_name.as_deref(), Some("Shop, Inc."));
    assert_eq!(request.from.address, "no-reply+x@shop.example");
    assert_eq!(request.recipients[0].mailbox.address, "ann+tag@example.org");
    assert_eq!(request.recipients[1].kind, RecipientKind::Bcc);
    let Content::Simple(content) = request.content else {
        panic!("simple");
    };
    assert_eq!(content.subject.data, subject);
    assert_eq!(content.text.map(|t| t.data).as_deref(), Some(text));
    assert_eq!(request.tags[0].value, "a.b@c");
}
