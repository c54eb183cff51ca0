//! `POST /api/v1/events`: one SES event JSON (as SES publishes it, without the SNS envelope), for
//! tests and for pipelines that already unwrap SNS. Answers `{"applied", "event_type",
//! "suppressed"}`; 400 with `{"message"}` for JSON that is not an SES event.
//! `GET /api/v1/reputation`: see [`crate::service::reputation`].

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
