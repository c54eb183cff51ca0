//! SES v2: REST/JSON under `/v2/email/`. Route → authenticate → decode → execute → encode.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bounceguard_core::{Operation, Output, SesError};
use bounceguard_wire::ses_v2;
use http::{HeaderValue, StatusCode, header};

use super::{AppState, authenticate, request_id};

/// The v2 routes this gateway answers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/email/outbound-emails", post(send_email))
        .route(
            "/v2/email/identities",
            post(create_email_identity).get(list_email_identities),
        )
        .route(
            "/v2/email/identities/{identity}",
            get(get_email_identity).delete(delete_email_identity),
        )
        .route(
            "/v2/email/identities/{identity}/policies",
            get(get_email_identity_policies),
        )
        .route(
            "/v2/email/identities/{identity}/policies/{policy}",
            post(create_email_identity_policy)
                .put(update_email_identity_policy)
                .delete(delete_email_identity_policy),
        )
        .route(
            "/v2/email/list-identities",
            post(list_email_identities_json),
        )
        .route("/v2/email/account", get(get_account))
        .route(ses_v2::insights::PATH, post(get_email_address_insights))
        .route(
            ses_v2::insights::PATH_NO_SLASH,
            post(get_email_address_insights),
        )
        .route("/v2/{*rest}", axum::routing::any(unknown_operation))
}

/// Decodes the operation from the authenticated request, executes it and encodes the answer.
async fn run(
    state: &AppState,
    request: Request,
    decode: impl FnOnce(&[u8], Option<&str>) -> Result<Operation, SesError>,
) -> Response {
    let request_id = request_id();
    let result = async {
        let (parts, body, caller) = authenticate(state, request).await?;
        let operation = decode(&body, parts.uri.query())?;
        let op_name = operation.name();
        let output: Output = state.gateway.execute(operation, &caller).await?;
        Ok::<_, SesError>((op_name, output))
    }
    .await;
    match result {
        Ok((op_name, output)) => json(
            StatusCode::OK,
            ses_v2::encode_output(op_name, &output),
            &request_id,
        ),
        Err(error) => error_response(&error, &request_id),
    }
}

async fn send_email(State(state): State<AppState>, request: Request) -> Response {
    run(&state, request, |body, _| ses_v2::send_email(body)).await
}

async fn create_email_identity(State(state): State<AppState>, request: Request) -> Response {
    run(&state, request, |body, _| {
        ses_v2::create_email_identity(body)
    })
    .await
}

async fn list_email_identities(State(state): State<AppState>, request: Request) -> Response {
    run(&state, request, |_, query| {
        ses_v2::list_email_identities(query)
    })
    .await
}

async fn list_email_identities_json(State(state): State<AppState>, request: Request) -> Response {
    run(&state, request, |body, _| {
        ses_v2::list_email_identities_json(body)
    })
    .await
}

async fn get_email_identity(
    State(state): State<AppState>,
    Path(identity): Path<String>,
    request: Request,
) -> Response {
    run(&state, request, move |_, _| {
        ses_v2::get_email_identity(&identity)
    })
    .await
}

async fn delete_email_identity(
    State(state): State<AppState>,
    Path(identity): Path<String>,
    request: Request,
) -> Response {
    run(&state, request, move |_, _| {
        ses_v2::delete_email_identity(&identity)
    })
    .await
}

async fn get_email_identity_policies(
    State(state): State<AppState>,
    Path(identity): Path<String>,
    request: Request,
) -> Response {
    run(&state, request, move |_, _| {
        ses_v2::get_email_identity_policies(&identity)
    })
    .await
}

async fn create_email_identity_policy(
    State(state): State<AppState>,
    Path((identity, policy)): Path<(String, String)>,
    request: Request,
) -> Response {
    run(&state, request, move |body, _| {
        ses_v2::create_email_identity_policy(&identity, &policy, body)
    })
    .await
}

async fn update_email_identity_policy(
    State(state): State<AppState>,
    Path((identity, policy)): Path<(String, String)>,
    request: Request,
) -> Response {
    run(&state, request, move |body, _| {
        ses_v2::update_email_identity_policy(&identity, &policy, body)
    })
    .await
}

async fn delete_email_identity_policy(
    State(state): State<AppState>,
    Path((identity, policy)): Path<(String, String)>,
    request: Request,
) -> Response {
    run(&state, request, move |_, _| {
        ses_v2::delete_email_identity_policy(&identity, &policy)
    })
    .await
}

async fn get_account(State(state): State<AppState>, request: Request) -> Response {
    run(&state, request, |_, _| Ok(ses_v2::get_account())).await
}

/// `GetEmailAddressInsights`, answered from the guard's own checks (never by asking the
/// receiving server).
async fn get_email_address_insights(State(state): State<AppState>, request: Request) -> Response {
    let request_id = request_id();
    let result = async {
        let (_, body, _) = authenticate(&state, request).await?;
        let input = ses_v2::insights::get_email_address_insights(&body)?;
        Ok::<_, SesError>(state.gateway.address_insights(&input.email_address).await)
    }
    .await;
    match result {
        Ok(validation) => json(
            StatusCode::OK,
            ses_v2::insights::encode_get_email_address_insights(&validation),
            &request_id,
        ),
        Err(error) => error_response(&error, &request_id),
    }
}

/// A v2 path this gateway does not implement: a JSON error the SDKs can read, never a 500.
async fn unknown_operation(State(state): State<AppState>, request: Request) -> Response {
    let request_id = request_id();
    tracing::info!(method = %request.method(), uri = %request.uri(), "unsupported v2 operation");
    if let Err(error) = authenticate(&state, request).await {
        return error_response(&error, &request_id);
    }
    let mut response = json(
        StatusCode::NOT_FOUND,
        br#"{"message":"The requested operation is not supported by this gateway."}"#.to_vec(),
        &request_id,
    );
    response.headers_mut().insert(
        "x-amzn-errortype",
        HeaderValue::from_static("UnknownOperationException"),
    );
    response
}

/// The v2 JSON error for an error, with the `x-amzn-ErrorType` the SDKs map to typed errors.
pub fn error_response(error: &SesError, request_id: &str) -> Response {
    let (status, error_type, body) = ses_v2::encode_error(error);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    if status.is_server_error() {
        tracing::warn!(code = error_type, "v2 request failed: {}", error.message);
    }
    let mut response = json(status, body, request_id);
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    response
}

pub(super) fn json(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}
