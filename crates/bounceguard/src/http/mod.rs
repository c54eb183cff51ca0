//! The HTTP listener: SES v1 (`POST /`), SES v2 (`/v2/email/…`), the capture API, health.
//!
//! [`run`] takes a bound listener and a shutdown future (the mini-redis pattern), so tests bind
//! port 0 and the binary binds the configured address.

mod addresses;
mod capture;
mod events;
mod held;
mod metrics;
mod ses_v1;
mod ses_v2;
mod sns;
mod suppression;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bounceguard_core::SesError;
use bounceguard_sigv4::SignedRequest;
use tokio::net::TcpListener;

use crate::auth::{Authenticator, Caller};
use crate::service::Gateway;

/// Largest request body read at all (v2 allows 40 MB of base64 plus JSON); the decoders apply
/// SES's own per-API limits with SES's error texts.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The domain service.
    pub gateway: Arc<Gateway>,
    /// Request authentication.
    pub auth: Arc<Authenticator>,
}

/// Builds the whole router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", post(ses_v1::handle))
        .route("/healthz", get(healthz))
        .merge(ses_v2::routes())
        .merge(suppression::routes())
        .merge(capture::routes())
        .merge(addresses::routes())
        .merge(events::routes())
        .merge(held::routes())
        .merge(sns::routes(&state.gateway.config().sns.path))
        .merge(metrics::routes())
        .merge(crate::dashboard::routes())
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::dashboard::access::layer,
        ))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Long-lived dashboard streams end when shutdown begins, so it does not wait on them.
    let (close_streams, closing) = crate::dashboard::closing();
    let app = router(state)
        .layer(axum::Extension(closing))
        .into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = close_streams.send(true);
        })
        .await
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.gateway.store().ping().await {
        Ok(()) => (http::StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (http::StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

/// A new AWS request id.
fn request_id() -> String {
    bounceguard_core::ids::request_id(uuid::Uuid::new_v4())
}

/// Reads the body and authenticates an SES request. Nothing is decoded before this succeeds.
async fn authenticate(
    state: &AppState,
    request: Request,
) -> Result<(Parts, Bytes, Caller), SesError> {
    let (parts, body) = request.into_parts();
    let body = read_body(body).await?;
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let signed = SignedRequest::new(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &body,
    )
    .with_authority(parts.uri.authority().map(|a| a.as_str()));
    let caller = state
        .auth
        .authenticate(&signed, chrono::Utc::now(), source_ip)?;
    Ok((parts, body, caller))
}

async fn read_body(body: Body) -> Result<Bytes, SesError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            SesError::rejected(format!(
                "Message length is more than {MAX_BODY_BYTES} bytes long."
            ))
        })
}
