//! Mailbox-simulator events (ses-spec §8), built with the SES event builders.

use bounceguard_events::simulator::{BOUNCE_DIAGNOSTIC, SIMULATOR_MTA};
use bounceguard_events::{
    BounceSubType, BounceType, Channel, EventDetail, EventType, Mail, SesEvent, SimulationContext,
    outcome_of, simulate,
};
use bounceguard_guard::SimulatorOutcome;
use chrono::{Duration, TimeZone, Utc};

fn mail(recipients: &[&str]) -> Mail {
    let sent = Utc
        .with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("date");
    Mail::new(
        "0100019a-sim-000000",
        "app@shop.example",
        recipients.iter().map(|r| (*r).to_owned()).collect(),
        sent,
    )
}

fn ctx(channel: Channel, mail: &Mail) -> SimulationContext {
    SimulationContext {
        channel,
        at: mail.timestamp.0 + Duration::milliseconds(1500),
        feedback_id_stem: "0100019a-fb".to_owned(),
    }
}

fn with_outcomes<'a>(recipients: &[&'a str]) -> Vec<(&'a str, SimulatorOutcome)> {
    recipients
        .iter()
        .map(|r| (*r, outcome_of(r).expect("simulator address")))
        .collect()
}

#[test]
fn simulator_addresses_are_recognised_with_labels() {
    use SimulatorOutcome::*;
    let cases = [
        ("success@simulator.amazonses.com", Some(Success)),
        ("bounce+user-42@simulator.amazonses.com", Some(Bounce)),
        ("OOTO@simulator.amazonses.com", Some(Ooto)),
        ("Ann <complaint+x@simulator.amazonses.com>", Some(Complaint)),
        (
            "suppressionlist@simulator.amazonses.com",
            Some(SuppressionList),
        ),
        ("reject@simulator.amazonses.com", None),
        ("bounce@example.com", None),
        ("not an address", None),
    ];
    for (address, expected) in cases {
        assert_eq!(outcome_of(address), expected, "{address}");
    }
}

#[test]
fn every_simulator_outcome_produces_the_ses_events() {
    let recipients = [
        "success@simulator.amazonses.com",
        "bounce+a@simulator.amazonses.com",
        "ooto@simulator.amazonses.com",
        "complaint@simulator.amazonses.com",
        "suppressionlist@simulator.amazonses.com",
    ];
    let mail = mail(&recipients);
    let events = simulate(
        &mail,
        &with_outcomes(&recipients),
        &ctx(Channel::EventPublishing, &mail),
    );
    let types: Vec<EventType> = events.iter().map(|e| e.detail.event_type()).collect();
    assert_eq!(
        types,
        [
            EventType::Delivery,
            EventType::Bounce,
            EventType::Bounce,
            EventType::Complaint
        ]
    );
    for event in &events {
        assert_eq!(event.channel, Channel::EventPublishing);
        assert_eq!(event.mail, mail);
        // What we build reads back as the same event.
        assert_eq!(
            &SesEvent::from_json(&event.to_json()).expect("parses"),
            event
        );
    }

    let EventDetail::Delivery(d) = &events[0].detail else {
        panic!("delivery first");
    };
    // complaint@ is delivered before it complains; ooto@ is delivered (its auto-reply is no bounce).
    assert_eq!(
        d.recipients,
        [
            "success@simulator.amazonses.com",
            "ooto@simulator.amazonses.com",
            "complaint@simulator.amazonses.com"
        ]
    );
    assert_eq!(d.processing_time_millis, 1500);
    assert_eq!(d.reporting_mta, SIMULATOR_MTA);

    let EventDetail::Bounce(hard) = &events[1].detail else {
        panic!("bounce second");
    };
    assert_eq!(hard.bounce_type, BounceType::Permanent);
    assert_eq!(hard.bounce_sub_type, BounceSubType::General);
    assert_eq!(hard.bounced_recipients.len(), 1);
    assert_eq!(
        hard.bounced_recipients[0].email_address,
        "bounce+a@simulator.amazonses.com"
    );
    assert_eq!(hard.bounced_recipients[0].status.as_deref(), Some("5.1.1"));
    assert_eq!(
        hard.bounced_recipients[0].diagnostic_code.as_deref(),
        Some(BOUNCE_DIAGNOSTIC)
    );
    assert_eq!(hard.feedback_id, "0100019a-fb-000000");

    let EventDetail::Bounce(suppressed) = &events[2].detail else {
        panic!("bounce third");
    };
    assert_eq!(suppressed.bounce_type, BounceType::Permanent);
    assert_eq!(suppressed.bounce_sub_type, BounceSubType::Suppressed);
    assert_eq!(
        suppressed.bounced_recipients[0].email_address,
        "suppressionlist@simulator.amazonses.com"
    );
    assert_eq!(suppressed.feedback_id, "0100019a-fb-000001");

    let EventDetail::Complaint(c) = &events[3].detail else {
        panic!("complaint last");
    };
    assert_eq!(
        c.complained_recipients[0].email_address,
        "complaint@simulator.amazonses.com"
    );
    assert_eq!(c.complaint_feedback_type.as_deref(), Some("abuse"));
    assert_eq!(c.complaint_sub_type, None);
    assert_eq!(c.feedback_id, "0100019a-fb-000002");
}

#[test]
fn several_simulated_bounces_of_one_send_are_one_event() {
    let recipients = [
        "bounce+1@simulator.amazonses.com",
        "bounce+2@simulator.amazonses.com",
        "bounce+3@simulator.amazonses.com",
    ];
    let mail = mail(&recipients);
    let events = simulate(
        &mail,
        &with_outcomes(&recipients),
        &ctx(Channel::IdentityNotification, &mail),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].recipients(), recipients);
    assert!(
        events[0]
            .to_json()
            .starts_with(r#"{"notificationType":"Bounce","#)
    );
}

#[test]
fn success_alone_is_one_delivery_and_nothing_is_nothing() {
    let mail = mail(&["success+x@simulator.amazonses.com"]);
    let c = ctx(Channel::EventPublishing, &mail);
    let events = simulate(
        &mail,
        &[(
            "success+x@simulator.amazonses.com",
            SimulatorOutcome::Success,
        )],
        &c,
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail.event_type(), EventType::Delivery);
    assert!(simulate(&mail, &[], &c).is_empty());
}
