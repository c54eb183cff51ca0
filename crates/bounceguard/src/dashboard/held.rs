//! Held mail: the messages whose recipients wait for an operator (see
//! [`crate::service::held`]), newest first with keyset pages, each with its held recipients,
//! the rule and reason that held them, and Release / Drop buttons (CSRF-protected forms). A
//! release re-evaluates and sends once; the outcome is shown on the page after the redirect.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use bounceguard_core::ErrorCode;
use http::StatusCode;
use serde::Deserialize;

use super::access::Visitor;
use super::pages::{Layout, error_page, render};
use crate::http::AppState;
use crate::service::held::HeldView;

/// Messages per page.
const PAGE_SIZE: u32 = 50;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/held", get(page))
        .route("/ui/held/{id}/release", post(release))
        .route("/ui/held/{id}/drop", post(drop_held))
}

#[derive(Debug, Default, Deserialize)]
struct Browse {
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "held.html")]
struct HeldPage {
    layout: Layout,
    all: bool,
    messages: Vec<HeldView>,
    notice: Option<String>,
    next: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Query(browse): Query<Browse>,
) -> Response {
    match state
        .gateway
        .held_list(browse.before, PAGE_SIZE, browse.all)
        .await
    {
        Ok(messages) => {
            let next = (messages.len() == PAGE_SIZE as usize)
                .then(|| messages.last().map(|m| m.seq))
                .flatten()
                .map(|seq| {
                    format!(
                        "/ui/held?before={seq}{}",
                        if browse.all { "&all=true" } else { "" }
                    )
                });
            render(&HeldPage {
                layout: Layout::new("held", &visitor),
                all: browse.all,
                messages,
                notice: browse.notice,
                next,
            })
        }
        Err(e) => error_page(&visitor, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    }
}

#[derive(Debug, Deserialize)]
struct ActionForm {
    csrf: Option<String>,
}

fn back_with(notice: &str) -> Response {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("notice", notice)
        .finish();
    Redirect::to(&format!("/ui/held?{query}")).into_response()
}

fn refused(visitor: &Visitor, e: &bounceguard_core::SesError) -> Response {
    let status = if e.code == ErrorCode::NotFound {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::BAD_GATEWAY
    };
    error_page(visitor, status, &e.message)
}

/// `POST /ui/held/{id}/release` (`csrf`).
async fn release(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(refused) = visitor.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    match state.gateway.release_held(&id, "dashboard").await {
        Ok(report) => match report.released_as {
            Some(as_id) => {
                let decided: Vec<String> = report
                    .recipients
                    .iter()
                    .map(|r| format!("{} {}", r.address, r.decision))
                    .collect();
                back_with(&format!("Released {id} as {as_id}: {}", decided.join(", ")))
            }
            None => back_with(&format!("Nothing was held in {id} any more.")),
        },
        Err(e) => refused(&visitor, &e),
    }
}

/// `POST /ui/held/{id}/drop` (`csrf`).
async fn drop_held(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(refused) = visitor.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    match state.gateway.drop_held(&id, "dashboard").await {
        Ok(report) if report.dropped.is_empty() => {
            back_with(&format!("Nothing was held in {id} any more."))
        }
        Ok(report) => back_with(&format!("Dropped {}: {}", id, report.dropped.join(", "))),
        Err(e) => refused(&visitor, &e),
    }
}
