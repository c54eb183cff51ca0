//! SES v1: `POST /`, form-encoded, XML replies. Decode → authenticate → execute → encode.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bounceguard_core::SesError;
use bounceguard_wire::ses_v1;
use http::{HeaderValue, StatusCode, header};

use super::{AppState, authenticate, request_id};

/// Handles one v1 Query request.
pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let request_id = request_id();
    match execute(&state, request, &request_id).await {
        Ok((op_name, output)) => xml(
            StatusCode::OK,
            ses_v1::encode_output(op_name, &output, &request_id),
            &request_id,
        ),
        Err(error) => error_response(&error, &request_id),
    }
}

async fn execute(
    state: &AppState,
    request: Request,
    _request_id: &str,
) -> Result<(&'static str, bounceguard_core::Output), SesError> {
    let (_parts, body, caller) = authenticate(state, request).await?;
    // The wire action, not `Operation::name()`: VerifyEmailAddress and VerifyEmailIdentity share
    // an operation but answer differently.
    let request = ses_v1::decode_request(&body)?;
    let output = state.gateway.execute(request.operation, &caller).await?;
    Ok((request.action.name(), output))
}

/// The v1 `ErrorResponse` for an error.
pub fn error_response(error: &SesError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.code.v1_status()).unwrap_or(StatusCode::BAD_REQUEST);
    if status.is_server_error() {
        tracing::warn!(
            code = error.code.v1_code(),
            "v1 request failed: {}",
            error.message
        );
    }
    xml(status, ses_v1::encode_error(error, request_id), request_id)
}

fn xml(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}
