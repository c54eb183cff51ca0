//! Held mail over HTTP (see [`crate::service::held`]):
//!
//! - `GET /api/v1/held` — messages with recipients still held, newest first (`limit`, default
//!   50; `before`, the `next_before` of the previous page; `all=true` to include released and
//!   dropped ones): `{"held": [...], "next_before": seq | null}`.
//! - `GET /api/v1/held/{id}` — one message's held recipients.
//! - `POST /api/v1/held/{id}/release` — re-evaluates and sends them once; answers the report.
//! - `POST /api/v1/held/{id}/drop` — drops them; answers the report.
//!
//! Errors are `{"message": …}` with 404 for an unknown message, 502 for a transport refusal.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bounceguard_core::{ErrorCode, SesError};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::AppState;

/// Default page of the listing.
const DEFAULT_LIMIT: u32 = 50;
/// Largest page of the listing.
const MAX_LIMIT: u32 = 1000;

/// The held-mail routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/held", get(list))
        .route("/api/v1/held/{id}", get(show))
        .route("/api/v1/held/{id}/release", post(release))
        .route("/api/v1/held/{id}/drop", post(drop_held))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    limit: Option<u32>,
    before: Option<i64>,
    #[serde(default)]
    all: bool,
}

fn error(e: SesError) -> Response {
    let status = match e.code {
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        _ if e.code.v2_status() >= 500 => StatusCode::INTERNAL_SERVER_ERROR,
        // The transport refused (SES's own error): the gateway is fine, upstream said no.
        _ => StatusCode::BAD_GATEWAY,
    };
    (
        status,
        Json(json!({"code": e.code.v2_code(), "message": e.message})),
    )
        .into_response()
}

async fn list(State(state): State<AppState>, Query(params): Query<ListParams>) -> Response {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    match state
        .gateway
        .held_list(params.before, limit, params.all)
        .await
    {
        Ok(held) => {
            let next_before = (held.len() == limit as usize)
                .then(|| held.last().map(|h| h.seq))
                .flatten();
            Json(json!({"held": held, "next_before": next_before})).into_response()
        }
        Err(e) => error(e),
    }
}

async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.gateway.held_show(&id).await {
        Ok(view) => Json(view).into_response(),
        Err(e) => error(e),
    }
}

async fn release(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.gateway.release_held(&id, "api").await {
        Ok(report) => Json(report).into_response(),
        Err(e) => error(e),
    }
}

async fn drop_held(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.gateway.drop_held(&id, "api").await {
        Ok(report) => Json(report).into_response(),
        Err(e) => error(e),
    }
}
