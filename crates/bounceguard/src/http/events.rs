//! `POST /api/v1/events`: one SES event JSON (as SES publishes it, without the SNS envelope), for
//! tests and for pipelines that already unwrap SNS. Answers `{"applied", "event_type",
//! "suppressed"}`; 400 with `{"message"}` for JSON that is not an SES event.

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
    Router::new().route("/api/v1/events", post(ingest))
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
