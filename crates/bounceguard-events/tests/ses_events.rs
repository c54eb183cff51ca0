//! SES event JSON against the fixtures taken from ses-spec §6 and §7.3 (see
//! tests/fixtures/ses/README.md): typed parsing, byte-shape of what we build, and errors.

use bounceguard_events::ses::ACCOUNT_SUPPRESSION_DIAGNOSTIC;
use bounceguard_events::{
    Bounce, BounceSubType, BounceType, BouncedRecipient, Channel, CommonHeaders, EventDetail,
    EventError, EventType, Header, Mail, SesEvent, SesMessage, SesTime, SuppressionCause, Tags,
    parse_message,
};
use chrono::{TimeZone, Utc};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/ses/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> SesEvent {
    SesEvent::from_json(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, milli: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid date")
        + chrono::Duration::milliseconds(i64::from(milli))
}

#[test]
fn event_publishing_bounce_parses_as_the_spec_example() {
    let event = parse("bounce-event-publishing.json");
    assert_eq!(event.channel, Channel::EventPublishing);
    let EventDetail::Bounce(bounce) = &event.detail else {
        panic!("not a bounce: {:?}", event.detail);
    };
    assert_eq!(bounce.bounce_type, BounceType::Permanent);
    assert_eq!(bounce.bounce_sub_type, BounceSubType::General);
    assert!(bounce.counts_toward_rate());
    assert_eq!(bounce.bounced_recipients.len(), 1);
    let r = &bounce.bounced_recipients[0];
    assert_eq!(r.email_address, "gone@example.org");
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    assert_eq!(
        r.diagnostic_code.as_deref(),
        Some("smtp; 550 5.1.1 user unknown")
    );
    assert_eq!(bounce.timestamp, SesTime(ms(2024, 1, 15, 10, 30, 5, 120)));
    assert_eq!(bounce.reporting_mta.as_deref(), Some("dsn; mx.example.org"));
    assert_eq!(bounce.remote_mta_ip, None);
    assert_eq!(
        event.mail.message_id,
        "0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000"
    );
    assert_eq!(event.mail.destination, ["gone@example.org"]);
    assert_eq!(
        event.mail.timestamp,
        SesTime(ms(2024, 1, 15, 10, 30, 0, 11))
    );
    let tags = event.mail.tags.as_ref().expect("event publishing has tags");
    assert_eq!(tags.0[0].0, "ses:operation");
    assert_eq!(tags.get("campaign"), Some(&["jan-24".to_owned()][..]));
    assert_eq!(event.recipients(), ["gone@example.org"]);
}

#[test]
fn event_publishing_bounce_round_trips_byte_for_byte() {
    let text = fixture("bounce-event-publishing.json");
    let event = SesEvent::from_json(&text).expect("parses");
    assert_eq!(event.to_json(), text.trim_end());
}

fn spec_example_mail() -> Mail {
    let id = "0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000";
    let mut mail = Mail::new(
        id,
        "no-reply@shop.example",
        vec!["gone@example.org".to_owned()],
        ms(2024, 1, 15, 10, 30, 0, 11),
    );
    mail.source_arn = Some("arn:aws:ses:eu-west-1:111122223333:identity/shop.example".to_owned());
    mail.sending_account_id = Some("111122223333".to_owned());
    mail.headers_truncated = Some(false);
    mail.headers = Some(vec![
        Header {
            name: "From".to_owned(),
            value: "no-reply@shop.example".to_owned(),
        },
        Header {
            name: "Subject".to_owned(),
            value: "Your order".to_owned(),
        },
    ]);
    mail.common_headers = Some(CommonHeaders {
        from: Some(vec!["no-reply@shop.example".to_owned()]),
        to: Some(vec!["gone@example.org".to_owned()]),
        subject: Some("Your order".to_owned()),
        message_id: Some(id.to_owned()),
        ..CommonHeaders::default()
    });
    let tag = |k: &str, v: &str| (k.to_owned(), vec![v.to_owned()]);
    mail.tags = Some(Tags(vec![
        tag("ses:operation", "SendEmail"),
        tag("ses:configuration-set", "tx"),
        tag("ses:source-ip", "198.51.100.7"),
        tag("ses:from-domain", "shop.example"),
        tag("ses:caller-identity", "app"),
        tag("campaign", "jan-24"),
    ]));
    mail
}

#[test]
fn bounce_built_from_parts_has_the_spec_byte_shape() {
    let event = SesEvent {
        channel: Channel::EventPublishing,
        detail: EventDetail::Bounce(Bounce {
            bounce_type: BounceType::Permanent,
            bounce_sub_type: BounceSubType::General,
            bounced_recipients: vec![BouncedRecipient {
                email_address: "gone@example.org".to_owned(),
                action: Some("failed".to_owned()),
                status: Some("5.1.1".to_owned()),
                diagnostic_code: Some("smtp; 550 5.1.1 user unknown".to_owned()),
            }],
            timestamp: SesTime(ms(2024, 1, 15, 10, 30, 5, 120)),
            feedback_id: "0100018d0c1f2b00-…-000000".to_owned(),
            remote_mta_ip: None,
            reporting_mta: Some("dsn; mx.example.org".to_owned()),
        }),
        mail: spec_example_mail(),
    };
    assert_eq!(
        event.to_json(),
        fixture("bounce-event-publishing.json").trim_end()
    );
}

#[test]
fn account_suppression_bounce_builder_matches_the_observed_object() {
    let mut mail = Mail::new(
        "0100018d0c1f2a3b-aaaa-000000",
        "no-reply@shop.example",
        vec!["Ann <ann@example.org>".to_owned()],
        ms(2024, 1, 15, 10, 30, 0, 0),
    );
    mail.source_arn = Some("arn:aws:ses:eu-west-1:111122223333:identity/shop.example".to_owned());
    mail.source_ip = Some("198.51.100.7".to_owned());
    mail.sending_account_id = Some("111122223333".to_owned());
    let bounce = Bounce::on_account_suppression_list(
        &["Ann <ann@example.org>"],
        ms(2024, 1, 15, 10, 30, 1, 0),
        "0100018d…-000000",
    );
    // Suppressed-list sends never count toward the rate (§6).
    assert!(!bounce.counts_toward_rate());
    let event = SesEvent {
        channel: Channel::IdentityNotification,
        detail: EventDetail::Bounce(bounce),
        mail,
    };
    let built = event.to_json();
    assert_eq!(built, fixture("bounce-suppressed-identity.json").trim_end());
    assert!(built.contains(ACCOUNT_SUPPRESSION_DIAGNOSTIC));
    assert!(!built.contains("remoteMtaIp"));
    assert_eq!(SesEvent::from_json(&built).expect("re-parses"), event);
}

#[test]
fn complaint_parses_ignoring_unknown_fields_and_keeps_null_subtype() {
    let event = parse("complaint-identity.json");
    assert_eq!(event.channel, Channel::IdentityNotification);
    let EventDetail::Complaint(c) = &event.detail else {
        panic!("not a complaint");
    };
    assert_eq!(event.recipients(), ["ann@example.org", "bob@example.org"]);
    assert_eq!(c.complaint_sub_type, None);
    assert_eq!(c.complaint_feedback_type.as_deref(), Some("abuse"));
    assert_eq!(c.feedback_id, "0100018d1-complaint-000000");
    assert_eq!(event.mail.source, "Shop <no-reply@shop.example>");
    assert_eq!(event.mail.destination.len(), 3);
    let out = event.to_json();
    assert!(out.starts_with(r#"{"notificationType":"Complaint","complaint":{"#));
    assert!(out.contains(r#""complaintSubType":null"#), "{out}");
    assert!(!out.contains("someFutureField"));
}

#[test]
fn delivery_send_reject_and_delay_parse() {
    let delivery = parse("delivery-event-publishing.json");
    let EventDetail::Delivery(d) = &delivery.detail else {
        panic!("not a delivery");
    };
    assert_eq!(d.processing_time_millis, 1489);
    assert_eq!(d.recipients, ["ann@example.org"]);
    assert_eq!(d.smtp_response, "250 2.0.0 OK");
    assert_eq!(d.reporting_mta, "a8-70.smtp-out.amazonses.com");
    assert_eq!(d.remote_mta_ip.as_deref(), Some("203.0.113.25"));
    assert_eq!(delivery.mail.headers.as_deref(), Some(&[][..]));
    let common = delivery
        .mail
        .common_headers
        .as_ref()
        .expect("commonHeaders");
    assert_eq!(common.message_id.as_deref(), Some("<orig@shop.example>"));
    assert_eq!(common.from, None);
    let tags = delivery.mail.tags.as_ref().expect("tags");
    assert_eq!(
        tags.get("ses:outgoing-ip"),
        Some(&["54.240.8.70".to_owned()][..])
    );

    let send = parse("send-event-publishing.json");
    assert_eq!(send.detail, EventDetail::Send);
    assert_eq!(send.recipients(), ["ann@example.org", "bob@example.org"]);
    assert!(send.to_json().contains(r#""send":{}"#));

    let reject = parse("reject-event-publishing.json");
    let EventDetail::Reject(r) = &reject.detail else {
        panic!("not a reject");
    };
    assert_eq!(r.reason, "Bad content");

    let delay = parse("delivery-delay-event-publishing.json");
    let EventDetail::DeliveryDelay(d) = &delay.detail else {
        panic!("not a delay");
    };
    assert_eq!(d.delay_type, "MailboxFull");
    assert_eq!(
        d.expiration_time,
        Some(SesTime(ms(2024, 1, 16, 10, 30, 0, 0)))
    );
    assert_eq!(delay.recipients(), ["full@example.org"]);
    assert_eq!(delay.detail.event_type(), EventType::DeliveryDelay);
}

#[test]
fn every_fixture_round_trips_through_the_builder() {
    for name in [
        "bounce-event-publishing.json",
        "bounce-suppressed-identity.json",
        "bounce-transient-identity.json",
        "complaint-identity.json",
        "delivery-event-publishing.json",
        "send-event-publishing.json",
        "reject-event-publishing.json",
        "delivery-delay-event-publishing.json",
    ] {
        let event = parse(name);
        let again = SesEvent::from_json(&event.to_json()).expect(name);
        assert_eq!(again, event, "{name}");
    }
}

#[test]
fn transient_bounce_does_not_count() {
    let event = parse("bounce-transient-identity.json");
    let EventDetail::Bounce(b) = &event.detail else {
        panic!("not a bounce");
    };
    assert_eq!(b.bounce_type, BounceType::Transient);
    assert_eq!(b.bounce_sub_type, BounceSubType::MailboxFull);
    assert_eq!(b.bounced_recipients[0].action, None);
    assert!(!b.counts_toward_rate());
}

#[test]
fn missing_required_fields_are_named_in_the_error() {
    let without_message_id = fixture("send-event-publishing.json")
        .replace(r#""messageId":"0100018d0c1f2a3b-eeee-000000","#, "");
    let err = SesEvent::from_json(&without_message_id).expect_err("no messageId");
    assert!(matches!(err, EventError::Json(_)));
    assert!(err.to_string().contains("messageId"), "{err}");

    let without_feedback = fixture("bounce-transient-identity.json")
        .replace(r#""feedbackId":"0100018d-transient-000000""#, r#""x":1"#);
    let err = SesEvent::from_json(&without_feedback).expect_err("no feedbackId");
    assert!(err.to_string().contains("feedbackId"), "{err}");

    let without_body = fixture("reject-event-publishing.json")
        .replace(r#","reject":{"reason":"Bad content"}"#, "");
    match SesEvent::from_json(&without_body) {
        Err(EventError::MissingBody { event_type, field }) => {
            assert_eq!(event_type, "Reject");
            assert_eq!(field, "reject");
        }
        other => panic!("expected MissingBody, got {other:?}"),
    }

    let without_type = fixture("send-event-publishing.json").replace(r#""eventType":"Send","#, "");
    assert!(matches!(
        SesEvent::from_json(&without_type),
        Err(EventError::NoType)
    ));

    let bad_time =
        fixture("send-event-publishing.json").replace("2024-01-15T10:30:00.011Z", "yesterday");
    let err = SesEvent::from_json(&bad_time).expect_err("bad timestamp");
    assert!(err.to_string().contains("yesterday"), "{err}");

    assert!(matches!(
        SesEvent::from_json("not json"),
        Err(EventError::Json(_))
    ));
}

#[test]
fn unknown_event_types_and_subtypes_are_kept() {
    let open = fixture("send-event-publishing.json")
        .replace(r#""eventType":"Send""#, r#""eventType":"Open""#)
        .replace(r#""send":{}"#, r#""open":{"ipAddress":"192.0.2.1"}"#);
    let event = SesEvent::from_json(&open).expect("parses");
    assert_eq!(event.detail, EventDetail::Other("Open".to_owned()));
    assert!(
        event
            .to_json()
            .starts_with(r#"{"eventType":"Open","mail":"#)
    );

    let odd = fixture("bounce-transient-identity.json").replace("MailboxFull", "SomethingNew");
    let event = SesEvent::from_json(&odd).expect("parses");
    let EventDetail::Bounce(b) = &event.detail else {
        panic!("not a bounce");
    };
    assert_eq!(
        b.bounce_sub_type,
        BounceSubType::Other("SomethingNew".to_owned())
    );
    assert!(
        event
            .to_json()
            .contains(r#""bounceSubType":"SomethingNew""#)
    );
}

#[test]
fn sns_message_can_be_the_topic_validation_text() {
    let m = parse_message("Successfully validated SNS topic for Amazon SES event publishing.")
        .expect("validation message");
    assert_eq!(m, SesMessage::TopicValidation);
    let m = parse_message(&fixture("send-event-publishing.json")).expect("event");
    assert!(matches!(m, SesMessage::Event(e) if e.detail == EventDetail::Send));
}

#[test]
fn hard_bounces_and_complaints_are_suppression_candidates() {
    let hard = parse("bounce-event-publishing.json");
    assert_eq!(
        hard.suppression_candidates(),
        Some((SuppressionCause::Bounce, vec!["gone@example.org"]))
    );
    assert_eq!(SuppressionCause::Bounce.as_str(), "BOUNCE");
    let complaint = parse("complaint-identity.json");
    assert_eq!(
        complaint.suppression_candidates(),
        Some((
            SuppressionCause::Complaint,
            vec!["ann@example.org", "bob@example.org"]
        ))
    );
    assert_eq!(SuppressionCause::Complaint.as_str(), "COMPLAINT");
    // Already on the list, soft bounces, deliveries: nothing to add.
    for name in [
        "bounce-suppressed-identity.json",
        "bounce-transient-identity.json",
        "delivery-event-publishing.json",
        "send-event-publishing.json",
    ] {
        assert_eq!(parse(name).suppression_candidates(), None, "{name}");
    }
    let listed = fixture("complaint-identity.json").replace(
        r#""complaintSubType": null"#,
        r#""complaintSubType": "OnAccountSuppressionList""#,
    );
    let listed = SesEvent::from_json(&listed).expect("parses");
    assert_eq!(listed.suppression_candidates(), None);
}
