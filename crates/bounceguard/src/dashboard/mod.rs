//! The dashboard (issue 8): server-rendered pages under `/ui/` on the HTTP port.
//!
//! - `/ui/` overview (reputation, rates over time, counts by decision), `/ui/messages` (newest
//!   first, keyset pages, search, live updates over server-sent events), `/ui/messages/{id}`
//!   (headers, text, the HTML part in a sandboxed iframe served under a strict
//!   Content-Security-Policy, raw download, the per-recipient "why"), `/ui/suppression`,
//!   `/ui/policies` (documents, lint, what-if), `/ui/held` (held mail: release, drop),
//!   `/ui/login`.
//! - Pages read without JavaScript; the only scripts are the chart (vendored uPlot) and the
//!   live list, served from `/ui/assets/` (no CDN). Templates are askama's, checked at build.
//! - [`access`] decides who may use it; its layer wraps the whole router (see `http::router`).

pub mod access;
mod assets;
mod held;
mod messages;
mod overview;
pub(crate) mod pages;
mod policies;
mod suppression;

use axum::Router;
use tokio::sync::watch;

use crate::http::AppState;

pub use access::{Access, is_loopback};
pub use messages::MESSAGE_HTML_CSP;
pub use pages::PAGE_CSP;

/// The dashboard's routes (the access layer is applied by the HTTP router to everything).
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::routes())
        .merge(assets::routes())
        .merge(overview::routes())
        .merge(messages::routes())
        .merge(suppression::routes())
        .merge(policies::routes())
        .merge(held::routes())
}

/// Tells long-lived dashboard responses (the live message stream) that the server is shutting
/// down, so graceful shutdown does not wait on them. Put into the router as an extension by
/// `http::run`; without it (a router driven directly in tests) streams end with the client.
#[derive(Clone, Debug)]
pub struct Closing(watch::Receiver<bool>);

/// A [`Closing`] and the sender that closes it.
pub fn closing() -> (watch::Sender<bool>, Closing) {
    let (sender, receiver) = watch::channel(false);
    (sender, Closing(receiver))
}

impl Closing {
    /// Resolves once shutdown has begun.
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|closed| *closed).await;
    }
}
