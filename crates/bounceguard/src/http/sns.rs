//! The SNS HTTP(S) endpoint, `POST /sns` by default (`[sns] path`): see
//! [`crate::service::sns`]. Answers are short `text/plain`: 200 when the message was applied,
//! was a redelivery, confirmed or ignored; 400 for a body that is not an SNS message; 403 for a
//! refused one (signature, certificate URL, topic); 502 when a confirmation fetch failed; 500
//! when the store failed (SNS retries, and the retry is applied once).

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::StatusCode;

use super::AppState;
use crate::service::sns::{SnsReceipt, SnsRefusal};

/// Largest SNS body read: SNS messages are at most 256 KB, plus the envelope's escaping.
const MAX_SNS_BODY: usize = 1024 * 1024;

/// The SNS route at `path`.
pub fn routes(path: &str) -> Router<AppState> {
    Router::new().route(path, post(receive))
}

async fn receive(State(state): State<AppState>, body: Body) -> Response {
    let Ok(body) = axum::body::to_bytes(body, MAX_SNS_BODY).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "SNS message too large or unreadable\n",
        )
            .into_response();
    };
    match state.gateway.receive_sns(&body).await {
        Ok(SnsReceipt::Applied(done)) if done.applied => {
            (StatusCode::OK, format!("applied {}\n", done.event_type)).into_response()
        }
        Ok(SnsReceipt::Applied(_)) => (StatusCode::OK, "already applied\n").into_response(),
        Ok(SnsReceipt::Ignored(why)) => {
            (StatusCode::OK, format!("ignored: {why}\n")).into_response()
        }
        Ok(SnsReceipt::Confirmed) => (StatusCode::OK, "subscription confirmed\n").into_response(),
        Ok(SnsReceipt::Unsubscribed) => (StatusCode::OK, "unsubscribed\n").into_response(),
        Err(SnsRefusal::Malformed(why)) => {
            (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()
        }
        Err(SnsRefusal::Forbidden(why)) => {
            (StatusCode::FORBIDDEN, format!("forbidden: {why}\n")).into_response()
        }
        Err(SnsRefusal::ConfirmFailed(why)) => {
            (StatusCode::BAD_GATEWAY, format!("{why}\n")).into_response()
        }
        Err(SnsRefusal::Internal(_)) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}
