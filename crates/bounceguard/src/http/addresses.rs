//! `POST /api/v1/addresses/validate`: what a dummy-account tool asks before it registers an
//! address. `{"addresses": [...]}` (1 to 1,000) → `{"results": [{"address", "normalized",
//! "verdict", "reason"}]}` in the same order.
//!
//! Errors are 400 with `{"message"}`: a body that is not that JSON, no addresses, more than
//! 1,000. Like the rest of `/api/v1`, it needs no SigV4 (loopback default).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::service::addresses::MAX_VALIDATE;

/// The validation routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/addresses/validate", post(validate))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    addresses: Vec<String>,
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "message": message }))).into_response()
}

async fn validate(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let body: ValidateBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return bad_request(format!("expected {{\"addresses\": [\"...\"]}}: {e}"));
        }
    };
    if body.addresses.is_empty() {
        return bad_request("addresses must not be empty".into());
    }
    if body.addresses.len() > MAX_VALIDATE {
        return bad_request(format!(
            "at most {MAX_VALIDATE} addresses per request, got {}",
            body.addresses.len()
        ));
    }
    let results = state.gateway.validate_addresses(&body.addresses).await;
    Json(json!({ "results": results })).into_response()
}
