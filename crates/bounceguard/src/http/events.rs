//! `POST /api/v1/events`: one SES event JSON (as SES publishes it, without the SNS envelope), for
//! tests and for pipelines that already unwrap SNS. Answers `{"applied", "event_type",
//! "suppressed"}`; 400 with `{"message"}` for JSON that is not an SES event.
//! `GET /api/v1/reputation`: see [`crate::service::reputation`].
//! `GET /api/v1/messages/{id}/events`: the events stored about one mail (SES's, or the
//! simulator's and the suppression list's, which travel the same pipeline), oldest first.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::StatusCode;
use serde_json::json;

use super::AppState;

/// The event routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", post(ingest))
        .route("/api/v1/reputation", axum::routing::get(reputation))
        .route(
            "/api/v1/messages/{id}/events",
            axum::routing::get(message_events),
        )
}

async fn ingest(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "the body is not UTF-8"})),
        )
            .into_response();
    };
    match state.gateway.ingest_event(text, None, None).await {
        Ok(done) => Json(done).into_response(),
        Err(e) if e.code.v2_status() == 400 => {
            (StatusCode::BAD_REQUEST, Json(json!({"message": e.message}))).into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": e.message})),
        )
            .into_response(),
    }
}

/// `GET /api/v1/reputation`: the rates, the level, the window and the recovery projection.
async fn reputation(State(state): State<AppState>) -> Response {
    match state.gateway.reputation().await {
        Ok(report) => Json(report).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": e.message})),
        )
            .into_response(),
    }
}

/// `GET /api/v1/messages/{id}/events`: `{"events": [{"type", "recipient", "bounce_type",
/// "bounce_subtype", "feedback_id", "at", "sns_message_id", "event"}]}` (empty for a message
/// with none; the message itself need not be stored here, as SES's MessageIds are not ours).
async fn message_events(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    match state.gateway.store().events_for_message(&id).await {
        Ok(events) => Json(json!({
            "events": events
                .into_iter()
                .map(|e| {
                    json!({
                        "type": e.event_type,
                        "recipient": e.recipient,
                        "bounce_type": e.bounce_type,
                        "bounce_subtype": e.bounce_subtype,
                        "feedback_id": e.feedback_id,
                        "at": crate::service::rfc3339(e.at_ms),
                        "sns_message_id": e.sns_message_id,
                        "event": serde_json::from_str::<serde_json::Value>(&e.raw_json)
                            .unwrap_or(serde_json::Value::Null),
                    })
                })
                .collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading events");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"message": "store unavailable"})),
            )
                .into_response()
        }
    }
}
