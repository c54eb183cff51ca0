//! What every page shares: the layout, rendering, the login and logout forms, errors.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::access::{self, Proof, Visitor};
use crate::http::AppState;

/// The Content-Security-Policy of every dashboard page: scripts, styles, frames and requests
/// only from the app itself; nothing inline.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

/// The parts of the page frame that vary: which nav entry is current, the CSRF token of the
/// logout form, and whether there is a login to end.
pub(crate) struct Layout {
    /// The current page's nav key (`overview`, `messages`, `suppression`, `policies`, `held`).
    pub page: &'static str,
    /// The visitor's CSRF token.
    pub csrf: String,
    /// Whether the visitor came in through the login form (then "Log out" is shown).
    pub logout: bool,
}

impl Layout {
    /// The frame of page `page` for `visitor`.
    pub fn new(page: &'static str, visitor: &Visitor) -> Self {
        Self {
            page,
            csrf: visitor.csrf_token(),
            logout: visitor.proof == Proof::Session,
        }
    }
}

/// Renders a template as an HTML response with `status`.
pub(crate) fn render_status<T: Template>(template: &T, status: StatusCode) -> Response {
    match template.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "dashboard template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error\n").into_response()
        }
    }
}

/// Renders a template as a 200 HTML response.
pub(crate) fn render<T: Template>(template: &T) -> Response {
    render_status(template, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
}

/// An error page (404, 400, 500) in the dashboard's frame.
pub(crate) fn error_page(visitor: &Visitor, status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    render_status(
        &ErrorPage {
            layout: Layout::new("", visitor),
            title,
            message,
        },
        status,
    )
}

/// A store failure, logged, as a 500 page.
pub(crate) fn store_failure(visitor: &Visitor, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "dashboard store failure");
    error_page(
        visitor,
        StatusCode::INTERNAL_SERVER_ERROR,
        "The store failed; see the server log.",
    )
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    layout: Layout,
    locked: bool,
    error: Option<&'a str>,
}

/// The login form, answered with `status` (401 to a visitor who proved nothing).
pub(crate) fn login_page(visitor: &Visitor, status: StatusCode, error: Option<&str>) -> Response {
    let mut layout = Layout::new("login", visitor);
    layout.logout = false;
    render_status(
        &LoginPage {
            layout,
            locked: visitor.access == access::Access::Locked,
            error,
        },
        status,
    )
}

/// The frame routes: `/ui` → `/ui/`, the login and logout forms.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/login", get(login_form).post(login))
        .route("/ui/logout", post(logout))
}

async fn login_form(Extension(visitor): Extension<Visitor>) -> Response {
    if matches!(visitor.proof, Proof::Session | Proof::Bearer)
        || visitor.access == access::Access::Open
    {
        return Redirect::to("/ui/").into_response();
    }
    login_page(&visitor, StatusCode::OK, None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: Option<String>,
}

async fn login(
    State(_state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Err(refused) = visitor.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    if !visitor.access.token_matches(&form.token) {
        return login_page(
            &visitor,
            StatusCode::UNAUTHORIZED,
            Some("That is not the admin token."),
        );
    }
    let session = visitor.access.new_session(chrono::Utc::now().timestamp());
    let mut response = Redirect::to("/ui/").into_response();
    if let Some(cookie) = access::set_cookie(
        access::SESSION_COOKIE,
        &session,
        Some(access::SESSION_SECONDS),
    ) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: Option<String>,
}

async fn logout(Extension(visitor): Extension<Visitor>, Form(form): Form<CsrfOnly>) -> Response {
    if let Err(refused) = visitor.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    let mut response = Redirect::to("/ui/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("bg_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

/// Formats ms since the epoch for people: `2026-12-01 10:30:00 UTC`.
pub(crate) fn when(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// A rate (0..1) as a percentage with up to three decimals: `5 %`, `0.125 %`.
pub(crate) fn percent(rate: f64) -> String {
    let text = format!("{:.3}", rate * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} %")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_drop_trailing_zeros() {
        assert_eq!(percent(0.05), "5 %");
        assert_eq!(percent(0.00125), "0.125 %");
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(1.0 / 3.0), "33.333 %");
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(when(1_764_585_000_000), "2025-12-01 10:30:00 UTC");
    }
}
