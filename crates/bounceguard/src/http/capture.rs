//! The capture API: how QA reads a mail that was kept instead of sent.
//!
//! - `GET /api/v1/messages` (newest first; `limit`, `before`, `to`, `from`, `id` filters),
//!   `GET /api/v1/messages/{id}`, `GET /api/v1/messages/{id}/raw`, `DELETE /api/v1/messages[/{id}]`.
//! - LocalStack's `GET /_aws/ses` (filters `id`, `email`) and `DELETE /_aws/ses[?id=]`, in
//!   LocalStack's JSON shape, which existing test helpers already speak. Sends denied by a
//!   sending-authorization policy are left out there: LocalStack lists only sent mail.
//! - `POST /api/v1/policy/simulate`: the what-if tester over HTTP (see
//!   [`crate::policy_tool::simulate`]).

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bounceguard_store::{MessageQuery, MessageSummary, RecipientRecord, StoredMessage};

use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use crate::service::rfc3339;

/// Default page of the message listing.
const DEFAULT_LIMIT: u32 = 50;
/// Largest page of the message listing.
const MAX_LIMIT: u32 = 1000;
/// Most messages the LocalStack-compatible listing returns at once.
const LOCALSTACK_MAX: u32 = 10_000;

/// The capture API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/messages", get(list).delete(delete_all))
        .route("/api/v1/messages/{id}", get(show).delete(delete_one))
        .route("/api/v1/messages/{id}/raw", get(raw))
        .route("/_aws/ses", get(localstack_list).delete(localstack_delete))
        .route("/api/v1/policy/simulate", post(simulate))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    limit: Option<u32>,
    before: Option<i64>,
    to: Option<String>,
    from: Option<String>,
    id: Option<String>,
}

fn addresses(recipients: &[RecipientRecord], kinds: &[&str]) -> Vec<String> {
    recipients
        .iter()
        .filter(|r| kinds.contains(&r.kind.as_str()))
        .map(|r| r.address.clone())
        .collect()
}

/// The listing fields of a message, shared by the listing and the single-message view.
struct Listed<'a> {
    id: &'a str,
    source: &'a str,
    subject: Option<&'a str>,
    created_ms: i64,
    recipients: &'a [RecipientRecord],
}

impl<'a> From<&'a MessageSummary> for Listed<'a> {
    fn from(m: &'a MessageSummary) -> Self {
        Self {
            id: &m.id,
            source: &m.source,
            subject: m.subject.as_deref(),
            created_ms: m.created_ms,
            recipients: &m.recipients,
        }
    }
}

impl<'a> From<&'a StoredMessage> for Listed<'a> {
    fn from(m: &'a StoredMessage) -> Self {
        Self {
            id: &m.id,
            source: &m.source,
            subject: m.subject.as_deref(),
            created_ms: m.created_ms,
            recipients: &m.recipients,
        }
    }
}

/// The decision shared by every recipient (`deliver`, `deny`, …), or `mixed`.
fn decision(recipients: &[RecipientRecord]) -> &str {
    match recipients.split_first() {
        None => "none",
        Some((first, rest)) if rest.iter().all(|r| r.decision == first.decision) => &first.decision,
        Some(_) => "mixed",
    }
}

/// Whether a sending-authorization policy refused the whole message (nothing was sent).
fn denied(recipients: &[RecipientRecord]) -> bool {
    !recipients.is_empty() && recipients.iter().all(|r| r.decision == "deny")
}

fn summary_json<'a>(m: impl Into<Listed<'a>>) -> Value {
    let m = m.into();
    json!({
        "decision": decision(m.recipients),
        "id": m.id,
        "from": m.source,
        "to": addresses(m.recipients, &["to", "envelope"]),
        "cc": addresses(m.recipients, &["cc"]),
        "bcc": addresses(m.recipients, &["bcc"]),
        "subject": m.subject,
        "created": rfc3339(m.created_ms),
    })
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

fn internal(e: bounceguard_store::StoreError) -> Response {
    tracing::error!(error = %e, "capture API store failure");
    error(StatusCode::INTERNAL_SERVER_ERROR, "store failure")
}

async fn list(State(state): State<AppState>, Query(params): Query<ListParams>) -> Response {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let query = MessageQuery {
        id: params.id,
        from: params.from,
        recipient: params
            .to
            .as_deref()
            .map(|to| state.gateway.canonical_address(to)),
        before_seq: params.before,
        limit: limit + 1,
    };
    let mut messages = match state.gateway.store().list_messages(&query).await {
        Ok(messages) => messages,
        Err(e) => return internal(e),
    };
    let next = if messages.len() > limit as usize {
        messages.truncate(limit as usize);
        messages.last().map(|m| m.seq)
    } else {
        None
    };
    Json(json!({
        "messages": messages.iter().map(summary_json).collect::<Vec<_>>(),
        "next_before": next,
    }))
    .into_response()
}

async fn load(state: &AppState, id: &str) -> Result<StoredMessage, Response> {
    match state.gateway.store().get_message(id).await {
        Ok(Some(message)) => Ok(message),
        Ok(None) => Err(error(
            StatusCode::NOT_FOUND,
            &format!("No message with id {id}."),
        )),
        Err(e) => Err(internal(e)),
    }
}

async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let message = match load(&state, &id).await {
        Ok(message) => message,
        Err(response) => return response,
    };
    let view = bounceguard_wire::mime::summarize(&message.raw);
    let mut body = summary_json(&message);
    if let Value::Object(map) = &mut body {
        map.insert("api".into(), json!(message.api));
        map.insert("operation".into(), json!(message.operation));
        map.insert("principal".into(), json!(message.principal));
        map.insert("source_ip".into(), json!(message.source_ip));
        map.insert("text".into(), json!(view.text));
        map.insert("html".into(), json!(view.html));
        map.insert("raw".into(), json!(String::from_utf8_lossy(&message.raw)));
        map.insert(
            "recipients".into(),
            Value::Array(
                message
                    .recipients
                    .iter()
                    .map(|r| {
                        json!({
                            "address": r.address,
                            "normalized": r.normalized,
                            "kind": r.kind,
                            "decision": r.decision,
                            "rule": r.rule,
                            "reason": r.reason,
                            "decided": rfc3339(message.created_ms),
                            "delivery_attempt": r.delivery_attempt,
                        })
                    })
                    .collect(),
            ),
        );
    }
    Json(body).into_response()
}

async fn raw(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match load(&state, &id).await {
        Ok(message) => {
            let mut response = message.raw.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("message/rfc822"),
            );
            response
        }
        Err(response) => response,
    }
}

async fn delete_all(State(state): State<AppState>) -> Response {
    match state.gateway.store().delete_messages(None).await {
        Ok(deleted) => Json(json!({ "deleted": deleted })).into_response(),
        Err(e) => internal(e),
    }
}

async fn delete_one(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.gateway.store().delete_messages(Some(&id)).await {
        Ok(0) => error(StatusCode::NOT_FOUND, &format!("No message with id {id}.")),
        Ok(deleted) => Json(json!({ "deleted": deleted })).into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
struct LocalStackParams {
    id: Option<String>,
    email: Option<String>,
}

/// LocalStack's shape: `{"messages": [...]}`, oldest first, `Source` as given, SendEmail bodies
/// as `Body.text_part`/`html_part`, raw sends as `RawData`.
async fn localstack_list(
    State(state): State<AppState>,
    Query(params): Query<LocalStackParams>,
) -> Response {
    let query = MessageQuery {
        id: params.id.filter(|s| !s.is_empty()),
        from: params.email.filter(|s| !s.is_empty()),
        recipient: None,
        before_seq: None,
        limit: LOCALSTACK_MAX,
    };
    let summaries = match state.gateway.store().list_messages(&query).await {
        Ok(messages) => messages,
        Err(e) => return internal(e),
    };
    let region = state.gateway.config().region.clone();
    let mut messages = Vec::with_capacity(summaries.len());
    for summary in summaries.iter().rev().filter(|s| !denied(&s.recipients)) {
        let message = match load(&state, &summary.id).await {
            Ok(message) => message,
            Err(_) => continue, // deleted meanwhile
        };
        let m = &message;
        let timestamp = rfc3339(m.created_ms);
        let entry = if m.operation == "SendRawEmail" {
            json!({
                "Id": m.id,
                "Region": region,
                "Timestamp": timestamp,
                "Source": m.source,
                "RawData": String::from_utf8_lossy(&message.raw),
            })
        } else {
            let view = bounceguard_wire::mime::summarize(&message.raw);
            json!({
                "Id": m.id,
                "Region": region,
                "Timestamp": timestamp,
                "Source": m.source,
                "Destination": {
                    "ToAddresses": addresses(&m.recipients, &["to", "envelope"]),
                    "CcAddresses": addresses(&m.recipients, &["cc"]),
                    "BccAddresses": addresses(&m.recipients, &["bcc"]),
                },
                "Subject": m.subject,
                "Body": { "text_part": view.text, "html_part": view.html },
            })
        };
        messages.push(entry);
    }
    Json(json!({ "messages": messages })).into_response()
}

/// `POST /api/v1/policy/simulate`: `{"policies":[{"name","document"}],"request":{…}}` →
/// the evaluation with its trace; 400 with `message` (and `policy`) when the input is refused.
async fn simulate(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let account = state.gateway.config().account_id.clone();
    match crate::policy_tool::simulate(&body, &account) {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, Json(error)).into_response(),
    }
}

async fn localstack_delete(
    State(state): State<AppState>,
    Query(params): Query<LocalStackParams>,
) -> Response {
    match state
        .gateway
        .store()
        .delete_messages(params.id.as_deref())
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(e),
    }
}
