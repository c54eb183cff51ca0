//! SES event ingestion (issue 6, first part): `POST /api/v1/events` takes the SES event JSON
//! (identity notification or event publishing) without the SNS envelope, stores one event row
//! per recipient, and puts the recipients of a permanent bounce or a complaint on the suppression
//! list, with the event as the recorded source (`event:<feedback id>`). An SNS delivery goes
//! through [`Gateway::ingest_event`] with its SNS MessageId for exactly-once application. The
//! event and its suppression entries are committed in ONE transaction
//! (`Store::apply_events_and_suppress_once`): an answer means both are stored, a failure leaves
//! neither (and SNS's retry applies both); the in-memory index is updated after the commit.

use bounceguard_core::{ErrorCode, SesError};
use bounceguard_events::ses::{Bounce, Channel, EventDetail, Mail, SesEvent};
use bounceguard_store::NewEvent;
use serde::Serialize;

use super::{Gateway, now_ms, store_error};

/// What applying one event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ingested {
    /// `false` when the SNS message was applied before (a redelivery).
    pub applied: bool,
    /// The event type, e.g. `Bounce`.
    pub event_type: String,
    /// Addresses put on the suppression list (canonical form).
    pub suppressed: Vec<String>,
}

impl Gateway {
    /// Records the Bounce SES sends for recipients on the account suppression list
    /// (`Permanent` / `OnAccountSuppressionList`, ses-spec §6): one event for the message, through
    /// the same pipeline as SES's own notifications. It never counts toward the bounce rate.
    pub(super) async fn record_suppression_bounce(
        &self,
        message_id: &str,
        source: &str,
        destination: Vec<String>,
        suppressed: &[&str],
    ) {
        let now = chrono::Utc::now();
        let event = SesEvent {
            channel: Channel::EventPublishing,
            detail: EventDetail::Bounce(Bounce::on_account_suppression_list(
                suppressed,
                now,
                format!("{message_id}-suppressed"),
            )),
            mail: Mail::new(message_id, source, destination, now),
        };
        if let Err(e) = self.ingest_event(&event.to_json(), None, None).await {
            tracing::error!(error = %e.message, message_id, "could not record the suppression bounce");
        }
    }

    /// The events SES's mailbox simulator would publish for the simulated recipients of one
    /// accepted send (ses-spec §8), applied through the same pipeline as SES's own — stored
    /// with the message, but never on the suppression list and never in the rates (simulated
    /// recipients are not eligible sends, so no bounce of theirs is counted).
    pub(super) async fn record_simulated(
        &self,
        message_id: &str,
        request: &bounceguard_core::SendRequest,
        simulated: &[(String, bounceguard_guard::simulator::SimulatorOutcome)],
    ) {
        let now = chrono::Utc::now();
        let destination = request
            .recipients
            .iter()
            .map(|r| r.mailbox.address.clone())
            .collect();
        let mut mail = Mail::new(message_id, request.from_original.clone(), destination, now);
        mail.sending_account_id = Some(self.config.account_id.clone());
        let recipients: Vec<(&str, _)> = simulated.iter().map(|(a, o)| (a.as_str(), *o)).collect();
        let context = bounceguard_events::simulator::SimulationContext {
            channel: if request.configuration_set.is_some() {
                Channel::EventPublishing
            } else {
                Channel::IdentityNotification
            },
            at: now,
            feedback_id_stem: format!("{message_id}-simulated"),
        };
        for event in bounceguard_events::simulator::simulate(&mail, &recipients, &context) {
            let json = event.to_json();
            if let Err(e) = self.apply_event(event, &json, None, None, false).await {
                tracing::error!(error = %e.message, message_id, "could not record a simulated event");
            }
        }
    }

    /// Applies one SES event JSON; `sns_message_id` (when it came through SNS) makes a redelivery
    /// harmless.
    pub async fn ingest_event(
        &self,
        json: &str,
        sns_message_id: Option<&str>,
        topic: Option<&str>,
    ) -> Result<Ingested, SesError> {
        let event = SesEvent::from_json(json).map_err(|e| {
            SesError::new(
                ErrorCode::InvalidParameterValue,
                format!("Invalid event: {e}"),
            )
        })?;
        self.apply_event(event, json, sns_message_id, topic, true)
            .await
    }

    /// Stores one parsed event (one row per recipient) exactly once per SNS MessageId, and —
    /// with `may_suppress` — puts the recipients of a permanent bounce or a complaint on the
    /// suppression list per the account's reasons.
    async fn apply_event(
        &self,
        event: SesEvent,
        json: &str,
        sns_message_id: Option<&str>,
        topic: Option<&str>,
        may_suppress: bool,
    ) -> Result<Ingested, SesError> {
        let event_type = event.detail.event_type().as_str().to_string();
        let (bounce_type, bounce_subtype, feedback_id, at_ms) = match &event.detail {
            EventDetail::Bounce(b) => (
                Some(b.bounce_type.as_str().to_string()),
                Some(b.bounce_sub_type.as_str().to_string()),
                Some(b.feedback_id.clone()),
                b.timestamp.0.timestamp_millis(),
            ),
            EventDetail::Complaint(c) => (
                None,
                None,
                Some(c.feedback_id.clone()),
                c.timestamp.0.timestamp_millis(),
            ),
            _ => (None, None, None, event.mail.timestamp.0.timestamp_millis()),
        };
        let rows: Vec<NewEvent> = event
            .recipients()
            .into_iter()
            .map(|r| NewEvent {
                event_type: event_type.clone(),
                message_id: event.mail.message_id.clone(),
                recipient: self.canonical_address(r),
                bounce_type: bounce_type.clone(),
                bounce_subtype: bounce_subtype.clone(),
                feedback_id: feedback_id.clone(),
                at_ms,
                raw_json: json.to_string(),
            })
            .collect();
        // The recipients to suppress (a permanent bounce or a complaint, for the reasons the
        // account suppresses): written in the same transaction as the event, so the 200 means
        // both are stored and a failure leaves neither (SNS's retry then applies both).
        let mut writes = Vec::new();
        if may_suppress
            && let Some((reason, recipients)) = event.suppression_candidates()
            && self.suppressed_reasons().contains(&reason)
        {
            let source = format!("event:{}", feedback_id.as_deref().unwrap_or("-"));
            for address in recipients {
                writes.push(self.suppression_write(
                    address,
                    reason,
                    &source,
                    Some(event.mail.message_id.clone()),
                    feedback_id.clone(),
                ));
            }
        }
        let applied = self
            .store()
            .apply_events_and_suppress_once(sns_message_id, topic, rows, writes.clone(), now_ms())
            .await
            .map_err(store_error)?;
        if applied {
            self.metrics().event_applied(&event_type);
        }
        if applied
            && matches!(
                event.detail,
                EventDetail::Bounce(_) | EventDetail::Complaint(_)
            )
        {
            self.invalidate_window().await;
        }
        let mut suppressed = Vec::new();
        if applied {
            for write in writes {
                self.suppression_index().insert(write.hash, write.reason);
                suppressed.push(write.address);
            }
        }
        Ok(Ingested {
            applied,
            event_type,
            suppressed,
        })
    }
}
