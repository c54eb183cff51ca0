//! The events SES sends for mailbox-simulator recipients (ses-spec §8), built with the
//! [`crate::ses`] builders so that they travel the same event pipeline as real ones.
//!
//! Which address is which outcome is decided by [`bounceguard_guard::simulator`]; this module
//! only turns outcomes into events. Several recipients of one send are combined as SES does
//! ("several simulated bounces from one request are combined into one bounce response"): one
//! Delivery for everything delivered, one Bounce per bounce sub-type, one Complaint.
//! Simulated sends never touch the rates: they are [`crate::reputation::SendClass::Simulator`].

use bounceguard_guard::simulator::{SimulatorOutcome, simulator_outcome};
use bounceguard_guard::{NormalizeOptions, normalize};
use chrono::{DateTime, Utc};

use crate::ses::{
    Bounce, BounceSubType, BounceType, BouncedRecipient, Channel, ComplainedRecipient, Complaint,
    Delivery, EventDetail, Mail, SesEvent, SesTime,
};

/// The SES host named in simulated deliveries and bounces (the spec's example host).
pub const SIMULATOR_MTA: &str = "a8-70.smtp-out.amazonses.com";

/// The diagnostic of a simulated hard bounce (`bounce@`): SMTP `550 5.1.1` "Unknown User".
pub const BOUNCE_DIAGNOSTIC: &str = "smtp; 550 5.1.1 user unknown";

/// The diagnostic of a simulated global-suppression-list bounce (`suppressionlist@`). SES's
/// exact wording is not in the spec (unconfirmed); this is the text SES is known to use.
pub const SUPPRESSED_DIAGNOSTIC: &str = "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address. For more information about how to remove an address from the suppression list, see the Amazon SES Developer Guide: http://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html ";

/// The outcome of a recipient address when it is a simulator address (with or without `+label`).
pub fn outcome_of(address: &str) -> Option<SimulatorOutcome> {
    let normalized = normalize(address, &NormalizeOptions::default()).ok()?;
    simulator_outcome(&normalized)
}

/// What the simulated events need besides the message: the channel, the time, and a feedback-id
/// stem (e.g. `0100018d0c1f2b00-5e0a6c1d-…`) to which `-000000`, `-000001`, … are appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationContext {
    /// Identity notification or event publishing.
    pub channel: Channel,
    /// When the simulated feedback happened.
    pub at: DateTime<Utc>,
    /// Stem of the `feedbackId`s.
    pub feedback_id_stem: String,
}

/// The events SES would publish for a send of `mail` whose simulator recipients (as submitted)
/// have the given outcomes: a Delivery for `success@`, `ooto@` and `complaint@`, a
/// Permanent/General bounce (`5.1.1`) for `bounce@`, a Permanent/Suppressed bounce for
/// `suppressionlist@`, and a Complaint (`abuse`) for `complaint@`. Empty input, no events.
pub fn simulate(
    mail: &Mail,
    recipients: &[(&str, SimulatorOutcome)],
    ctx: &SimulationContext,
) -> Vec<SesEvent> {
    let of = |wanted: &[SimulatorOutcome]| -> Vec<String> {
        recipients
            .iter()
            .filter(|(_, o)| wanted.contains(o))
            .map(|(r, _)| (*r).to_owned())
            .collect()
    };
    let mut feedback = 0u32;
    let mut next_feedback_id = || {
        let id = format!("{}-{feedback:06}", ctx.feedback_id_stem);
        feedback += 1;
        id
    };
    let event = |detail| SesEvent {
        channel: ctx.channel,
        detail,
        mail: mail.clone(),
    };
    let mut events = Vec::new();

    let delivered = of(&[
        SimulatorOutcome::Success,
        SimulatorOutcome::Ooto,
        SimulatorOutcome::Complaint,
    ]);
    if !delivered.is_empty() {
        let millis = (ctx.at - mail.timestamp.0).num_milliseconds().max(0);
        events.push(event(EventDetail::Delivery(Delivery {
            timestamp: SesTime(ctx.at),
            processing_time_millis: u64::try_from(millis).unwrap_or(0),
            recipients: delivered,
            smtp_response: "250 2.6.0 Message received".to_owned(),
            reporting_mta: SIMULATOR_MTA.to_owned(),
            remote_mta_ip: None,
        })));
    }

    let bounces = [
        (
            SimulatorOutcome::Bounce,
            BounceSubType::General,
            BOUNCE_DIAGNOSTIC,
            format!("dsn; {SIMULATOR_MTA}"),
        ),
        (
            SimulatorOutcome::SuppressionList,
            BounceSubType::Suppressed,
            SUPPRESSED_DIAGNOSTIC,
            "dns; amazonses.com".to_owned(),
        ),
    ];
    for (outcome, sub_type, diagnostic, reporting_mta) in bounces {
        let bounced = of(&[outcome]);
        if bounced.is_empty() {
            continue;
        }
        events.push(event(EventDetail::Bounce(Bounce {
            bounce_type: BounceType::Permanent,
            bounce_sub_type: sub_type,
            bounced_recipients: bounced
                .into_iter()
                .map(|email_address| BouncedRecipient {
                    email_address,
                    action: Some("failed".to_owned()),
                    status: Some("5.1.1".to_owned()),
                    diagnostic_code: Some(diagnostic.to_owned()),
                })
                .collect(),
            timestamp: SesTime(ctx.at),
            feedback_id: next_feedback_id(),
            remote_mta_ip: None,
            reporting_mta: Some(reporting_mta),
        })));
    }

    let complained = of(&[SimulatorOutcome::Complaint]);
    if !complained.is_empty() {
        events.push(event(EventDetail::Complaint(Complaint {
            complained_recipients: complained
                .into_iter()
                .map(|email_address| ComplainedRecipient { email_address })
                .collect(),
            timestamp: SesTime(ctx.at),
            feedback_id: next_feedback_id(),
            complaint_sub_type: None,
            // Feedback type `abuse` is unconfirmed (§8).
            user_agent: Some("Amazon SES Mailbox Simulator".to_owned()),
            complaint_feedback_type: Some("abuse".to_owned()),
            arrival_date: Some(SesTime(ctx.at).to_string()),
        })));
    }
    events
}
