//! Held mail (issue 7, item 2): a recipient decided `hold` — by a hold route, the domain check or
//! the reputation guard — is stored with its message and waits for an operator.
//!
//! - **release** claims the message's still-held recipients (so a second release, from another
//!   operator or instance, finds nothing left), re-evaluates each one as a send would today —
//!   route, syntax, suppression list — with the hold itself overridden (the operator's release
//!   is the decision a hold waits for), sends the `deliver` ones through the transport once, and
//!   records the release as a new message whose decision log points back at the held one. A
//!   recipient that is now suppressed, denied or captured is not sent, and the outcome says why.
//! - **drop** marks them dropped; nothing is sent.
//!
//! The held message itself never changes: its decision log stays as it was decided.

use bounceguard_core::{ErrorCode, SesError, ids};
use bounceguard_guard::Action;
use bounceguard_store::{HeldMessage, HeldState, NewMessage, NewRecipient};
use serde::Serialize;
use uuid::Uuid;

use super::{Gateway, now_ms, rfc3339, store_error};

/// One held recipient, as the API and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldRecipientView {
    /// The address as submitted.
    pub address: String,
    /// `to`, `cc`, `bcc` or `envelope`.
    pub kind: String,
    /// The rule that held it.
    pub rule: String,
    /// Why it was held.
    pub reason: String,
    /// `held`, `releasing`, `released` or `dropped`.
    pub state: &'static str,
    /// When it was released or dropped (RFC 3339).
    pub resolved: Option<String>,
    /// What the release did, or who dropped it.
    pub outcome: String,
}

/// A message with held recipients (`GET /api/v1/held`, `bounceguard held list|show`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldView {
    /// The held message's MessageId.
    pub message_id: String,
    /// The keyset cursor: pass it as `before` for the next page.
    pub seq: i64,
    /// When it was accepted (RFC 3339).
    pub received: String,
    /// The sender as given.
    pub source: String,
    /// The subject, when known.
    pub subject: Option<String>,
    /// Its held recipients.
    pub held: Vec<HeldRecipientView>,
}

impl From<HeldMessage> for HeldView {
    fn from(m: HeldMessage) -> Self {
        Self {
            message_id: m.message.id,
            seq: m.message.seq,
            received: rfc3339(m.message.created_ms),
            source: m.message.source,
            subject: m.message.subject,
            held: m
                .held
                .into_iter()
                .map(|r| HeldRecipientView {
                    address: r.address,
                    kind: r.kind,
                    rule: r.rule,
                    reason: r.reason,
                    state: r.state.as_str(),
                    resolved: r.resolved_ms.map(rfc3339),
                    outcome: r.outcome,
                })
                .collect(),
        }
    }
}

/// What one released recipient became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Released {
    /// The address as submitted.
    pub address: String,
    /// The re-evaluated decision: `deliver`, `capture`, `suppress`, `deny`, `simulate`.
    pub decision: &'static str,
    /// The rule behind it.
    pub rule: String,
    /// Why.
    pub reason: String,
}

/// The result of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseReport {
    /// The held message.
    pub message_id: String,
    /// The MessageId the release was recorded (and, for `deliver`, sent) under; `None` when no
    /// recipient was left to release.
    pub released_as: Option<String>,
    /// Each recipient this release took, with its decision.
    pub recipients: Vec<Released>,
}

/// The result of a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DropReport {
    /// The held message.
    pub message_id: String,
    /// The addresses dropped by this call.
    pub dropped: Vec<String>,
}

fn not_found(id: &str) -> SesError {
    SesError::new(ErrorCode::NotFound, format!("Message {id} does not exist."))
}

impl Gateway {
    /// Messages with recipients still held (or, with `all`, every message that had one), newest
    /// first, `limit` per page, continuing below `before` (a [`HeldView::seq`]).
    pub async fn held_list(
        &self,
        before: Option<i64>,
        limit: u32,
        all: bool,
    ) -> Result<Vec<HeldView>, SesError> {
        Ok(self
            .store
            .list_held(before, limit, all)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(HeldView::from)
            .collect())
    }

    /// One message's held recipients; `NotFound` when there is no such message.
    pub async fn held_show(&self, message_id: &str) -> Result<HeldView, SesError> {
        self.store
            .get_held(message_id)
            .await
            .map_err(store_error)?
            .map(HeldView::from)
            .ok_or_else(|| not_found(message_id))
    }

    /// A message's held recipients and the positions of those still held.
    async fn still_held(&self, message_id: &str) -> Result<(HeldMessage, Vec<i64>), SesError> {
        let held = self
            .store
            .get_held(message_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| not_found(message_id))?;
        let positions = held
            .held
            .iter()
            .filter(|r| r.state == HeldState::Held)
            .map(|r| r.position)
            .collect();
        Ok((held, positions))
    }

    /// Drops a message's still-held recipients: they are never sent.
    pub async fn drop_held(&self, message_id: &str, by: &str) -> Result<DropReport, SesError> {
        let (held, positions) = self.still_held(message_id).await?;
        let claimed = self
            .store
            .claim_held(
                held.message.seq,
                &positions,
                HeldState::Dropped,
                &format!("dropped by {by}"),
                now_ms(),
            )
            .await
            .map_err(store_error)?;
        let dropped: Vec<String> = held
            .held
            .into_iter()
            .filter(|r| claimed.contains(&r.position))
            .map(|r| r.address)
            .collect();
        tracing::info!(message_id, by, dropped = dropped.len(), "held mail dropped");
        Ok(DropReport {
            message_id: message_id.to_string(),
            dropped,
        })
    }

    /// Releases a message's still-held recipients (see the module documentation).
    pub async fn release_held(
        &self,
        message_id: &str,
        by: &str,
    ) -> Result<ReleaseReport, SesError> {
        let stored = self
            .store
            .get_message(message_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| not_found(message_id))?;
        let (held, positions) = self.still_held(message_id).await?;
        let now = now_ms();
        let claimed = self
            .store
            .claim_held(
                stored.seq,
                &positions,
                HeldState::Releasing,
                &format!("being released by {by}"),
                now,
            )
            .await
            .map_err(store_error)?;
        if claimed.is_empty() {
            return Ok(ReleaseReport {
                message_id: message_id.to_string(),
                released_as: None,
                recipients: Vec::new(),
            });
        }

        // Re-evaluate each claimed recipient as a send would now, the hold overridden.
        let mut recipients = Vec::with_capacity(claimed.len());
        let mut report = Vec::with_capacity(claimed.len());
        let mut deliver_to = Vec::new();
        for r in held.held.iter().filter(|r| claimed.contains(&r.position)) {
            let bare = bounceguard_core::address::Mailbox::parse(&r.address)
                .map(|m| m.address)
                .unwrap_or_else(|_| r.address.clone());
            let (decision, rule, reason) = match self.guard.route(&bare) {
                Err(e) => ("deny", "syntax".to_string(), e.message),
                Ok(routed) => {
                    // Checked even behind a hold route: the release is about to send it.
                    let suppressed = self.suppression_fact(&routed.normalized.canonical).await?;
                    let facts = bounceguard_guard::Facts {
                        suppression: suppressed,
                        ..Default::default()
                    };
                    let verdict = self.verdict(&routed, None, facts);
                    let held_again = verdict.decision == Action::Hold.as_str();
                    if let (true, Some(reason)) = (held_again, suppressed) {
                        let d = bounceguard_guard::Decision::suppressed(
                            &routed.normalized.canonical,
                            reason,
                        );
                        (d.action.as_str(), d.rule, d.reason)
                    } else if held_again || verdict.decision == Action::Deliver.as_str() {
                        (
                            Action::Deliver.as_str(),
                            "held:released".to_string(),
                            format!(
                                "released by {by} from hold of {message_id} (held by {}: {})",
                                r.rule, r.reason
                            ),
                        )
                    } else {
                        (verdict.decision, verdict.rule, verdict.reason)
                    }
                }
            };
            if decision == Action::Deliver.as_str() {
                deliver_to.push(bare);
            }
            let delivers = decision == Action::Deliver.as_str();
            recipients.push(NewRecipient {
                address: r.address.clone(),
                normalized: r.normalized.clone(),
                kind: r.kind.clone(),
                decision: decision.to_string(),
                rule: rule.clone(),
                reason: reason.clone(),
                delivery_attempt: delivers,
                quota: delivers || decision == Action::Suppress.as_str(),
            });
            report.push(Released {
                address: r.address.clone(),
                decision,
                rule,
                reason,
            });
        }

        let mut message = NewMessage {
            id: ids::message_id(now, Uuid::new_v4()),
            created_ms: now,
            api: stored.api.clone(),
            operation: stored.operation.clone(),
            source: stored.source.clone(),
            from_address: stored.from_address.clone(),
            subject: stored.subject.clone(),
            raw: stored.raw,
            principal: format!("release by {by} of {message_id}"),
            source_ip: None,
            recipients,
        };
        let sent = match self
            .send_outgoing(
                &stored.from_address,
                deliver_to,
                &mut message,
                None,
                Vec::new(),
            )
            .await
        {
            Ok(sent) => sent,
            Err(e) => {
                // Nothing went out: give the recipients back so the release can be retried.
                if let Err(undo) = self.store.unclaim_held(stored.seq, &claimed).await {
                    tracing::error!(error = %undo, message_id, "could not unclaim held recipients");
                }
                return Err(e);
            }
        };
        let new_id = message.id.clone();
        let outcomes: Vec<(String, String)> = message
            .recipients
            .iter()
            .map(|r| (r.normalized.clone(), r.decision.clone()))
            .collect();
        match self.store.record_send(message).await {
            Ok(()) => {
                self.record_outcomes(&new_id, &outcomes).await;
                let suppressed: Vec<&str> = report
                    .iter()
                    .filter(|r| r.decision == Action::Suppress.as_str())
                    .map(|r| r.address.as_str())
                    .collect();
                if !suppressed.is_empty() {
                    let destination = report.iter().map(|r| r.address.clone()).collect();
                    self.record_suppression_bounce(
                        &new_id,
                        &stored.source,
                        destination,
                        &suppressed,
                    )
                    .await;
                }
            }
            Err(e) if sent => {
                tracing::error!(error = %e, message_id = %new_id, "released but not recorded");
            }
            Err(e) => {
                if let Err(undo) = self.store.unclaim_held(stored.seq, &claimed).await {
                    tracing::error!(error = %undo, message_id, "could not unclaim held recipients");
                }
                return Err(store_error(e));
            }
        }
        let done = now_ms();
        for (position, r) in claimed.iter().zip(&report) {
            let outcome = match r.decision {
                "deliver" if sent => format!("delivered as {new_id}"),
                "deliver" => {
                    format!("released as {new_id} (capture transport: recorded, not sent)")
                }
                other => format!("{other} as {new_id}: {}", r.reason),
            };
            if let Err(e) = self
                .store
                .resolve_held(stored.seq, *position, HeldState::Released, &outcome, done)
                .await
            {
                tracing::error!(error = %e, message_id, "could not mark a held recipient released");
            }
        }
        tracing::info!(
            message_id,
            released_as = %new_id,
            by,
            recipients = report.len(),
            sent,
            "held mail released"
        );
        Ok(ReleaseReport {
            message_id: message_id.to_string(),
            released_as: Some(new_id),
            recipients: report,
        })
    }
}
