//! Suppression: look an address up or browse the list (keyset pages by address), add and
//! remove entries, upload a CSV (SES's bulk format, `address,REASON` without a header: the
//! CSV code of `bounceguard-suppression`) and download the whole list in the same format.
//! Writes go through the gateway's service methods, so the in-memory index follows at once.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use bounceguard_store::{SuppressedReason, SuppressedRecord, SuppressionQuery, SuppressionWrite};
use bounceguard_suppression::csv::{CsvReader, CsvWriter, parse_reason};
use http::{StatusCode, header};
use serde::Deserialize;

use super::access::Visitor;
use super::pages::{Layout, error_page, render_status, store_failure, when};
use crate::http::AppState;
use crate::service::now_ms;

/// Entries per page of the listing.
const PAGE_SIZE: u32 = 100;
/// Largest CSV accepted through the browser (the CLI streams files of any size).
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;
/// Entries per transaction of an upload.
const UPLOAD_BATCH: usize = 5_000;
/// Bad lines listed on the result page (the count covers all).
const SHOWN_LINE_ERRORS: usize = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/suppression", get(page))
        .route("/ui/suppression/add", post(add))
        .route("/ui/suppression/remove", post(remove))
        .route(
            "/ui/suppression/upload",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(
                MAX_UPLOAD_BYTES + 64 * 1024,
            )),
        )
        .route("/ui/suppression.csv", get(download))
}

#[derive(Debug, Default, Deserialize)]
struct Browse {
    #[serde(default)]
    address: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    after: Option<String>,
}

struct EntryLine {
    address: String,
    reason: &'static str,
    updated: String,
    source: String,
}

impl From<SuppressedRecord> for EntryLine {
    fn from(r: SuppressedRecord) -> Self {
        Self {
            address: r.address,
            reason: r.reason.as_str(),
            updated: when(r.last_update_ms),
            source: r.source,
        }
    }
}

#[derive(Template)]
#[template(path = "suppression.html")]
struct SuppressionPage {
    layout: Layout,
    address: String,
    reason: String,
    total: u64,
    entries: Vec<EntryLine>,
    /// Set when an exact address was looked up.
    looked_up: bool,
    next: Option<String>,
    message: Option<String>,
    line_errors: Vec<String>,
}

fn reason_filter(text: &str) -> Vec<SuppressedReason> {
    match text {
        "BOUNCE" => vec![SuppressedReason::Bounce],
        "COMPLAINT" => vec![SuppressedReason::Complaint],
        _ => Vec::new(),
    }
}

async fn page(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Query(browse): Query<Browse>,
) -> Response {
    build_page(&state, &visitor, browse, None, Vec::new(), StatusCode::OK).await
}

async fn build_page(
    state: &AppState,
    visitor: &Visitor,
    browse: Browse,
    message: Option<String>,
    line_errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let store = state.gateway.store();
    let total = match store.count_suppressed().await {
        Ok(n) => n,
        Err(e) => return store_failure(visitor, e),
    };
    let address = browse.address.trim().to_string();
    let (entries, next, looked_up) = if address.is_empty() {
        let query = SuppressionQuery {
            reasons: reason_filter(&browse.reason),
            after: browse.after.clone().filter(|a| !a.is_empty()),
            page_size: PAGE_SIZE,
            ..SuppressionQuery::default()
        };
        match store.list_suppressed(&query).await {
            Ok(page) => {
                let next = page.next.map(|after| {
                    let mut q = form_urlencoded::Serializer::new(String::new());
                    if !browse.reason.is_empty() {
                        q.append_pair("reason", &browse.reason);
                    }
                    q.append_pair("after", &after);
                    format!("/ui/suppression?{}", q.finish())
                });
                (page.entries, next, false)
            }
            Err(e) => return store_failure(visitor, e),
        }
    } else {
        let canonical = state.gateway.canonical_address(&address);
        match store.get_suppressed(&canonical).await {
            Ok(found) => (found.into_iter().collect(), None, true),
            Err(e) => return store_failure(visitor, e),
        }
    };
    render_status(
        &SuppressionPage {
            layout: Layout::new("suppression", visitor),
            address,
            reason: browse.reason,
            total,
            entries: entries.into_iter().map(EntryLine::from).collect(),
            looked_up,
            next,
            message,
            line_errors,
        },
        status,
    )
}

#[derive(Debug, Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    address: String,
    #[serde(default)]
    reason: String,
}

fn lookup_url(address: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("address", address);
    format!("/ui/suppression?{}", q.finish())
}

async fn add(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<AddForm>,
) -> Response {
    if let Err(refused) = visitor.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    let address = form.address.trim();
    let Some(reason) = parse_reason(form.reason.trim()) else {
        return error_page(
            &visitor,
            StatusCode::BAD_REQUEST,
            "The reason must be BOUNCE or COMPLAINT.",
        );
    };
    if let Err(e) = bounceguard_core::address::Mailbox::parse(address) {
        return build_page(
            &state,
            &visitor,
            Browse::default(),
            Some(format!("Not added: {}", e.message)),
            Vec::new(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    match state
        .gateway
        .suppress(address, reason, "dashboard", None, None)
        .await
    {
        Ok(_) => {
            Redirect::to(&lookup_url(&state.gateway.canonical_address(address))).into_response()
        }
        Err(e) => error_page(&visitor, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    }
}

#[derive(Debug, Deserialize)]
struct RemoveForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    address: String,
}

async fn remove(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<RemoveForm>,
) -> Response {
    if let Err(refused) = visitor.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    match state.gateway.unsuppress(form.address.trim()).await {
        Ok(_) => Redirect::to("/ui/suppression").into_response(),
        Err(e) => error_page(&visitor, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    }
}

/// `POST /ui/suppression/upload` (multipart: `csrf`, `file`): every good line is put on the
/// list; bad lines are reported with their numbers.
async fn upload(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    mut multipart: Multipart,
) -> Response {
    let mut csrf = None;
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) if name == "csrf" => {
                        csrf = Some(String::from_utf8_lossy(&bytes).into_owned());
                    }
                    Ok(bytes) if name == "file" => file = Some(bytes),
                    Ok(_) => {}
                    Err(e) => {
                        return error_page(&visitor, StatusCode::BAD_REQUEST, &e.body_text());
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return error_page(&visitor, StatusCode::BAD_REQUEST, &e.body_text()),
        }
    }
    if let Err(refused) = visitor.check_csrf(csrf.as_deref()) {
        return refused.into_response();
    }
    let Some(file) = file else {
        return error_page(&visitor, StatusCode::BAD_REQUEST, "No file was uploaded.");
    };
    let mut writes = Vec::new();
    let mut errors = Vec::new();
    let mut rejected = 0u64;
    for item in CsvReader::new(&file[..]) {
        match item {
            Ok((line_no, address, reason)) => match state.gateway.guard().route(&address) {
                Ok(routed) => {
                    let canonical = routed.normalized.canonical;
                    writes.push(SuppressionWrite {
                        hash: bounceguard_suppression::hash(&canonical),
                        address: canonical,
                        reason,
                        source: "import:dashboard".into(),
                        message_id: None,
                        feedback_id: None,
                    });
                }
                Err(e) => {
                    rejected += 1;
                    if errors.len() < SHOWN_LINE_ERRORS {
                        errors.push(format!("line {line_no}: invalid address {address:?}: {e}"));
                    }
                }
            },
            Err(e) => {
                rejected += 1;
                if errors.len() < SHOWN_LINE_ERRORS {
                    errors.push(e.to_string());
                }
            }
        }
    }
    let outcome = match state
        .gateway
        .store()
        .put_suppressed_bulk(&writes, now_ms(), UPLOAD_BATCH)
        .await
    {
        Ok(outcome) => outcome,
        Err(e) => return store_failure(&visitor, e),
    };
    if let Err(e) = state.gateway.sync_suppression().await {
        tracing::warn!(error = %e, "suppression index sync after an upload failed");
    }
    let message = format!(
        "Uploaded: {} entries ({} changed, {} unchanged), {} lines rejected.",
        outcome.changed + outcome.unchanged,
        outcome.changed,
        outcome.unchanged,
        rejected
    );
    let status = if rejected == 0 {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    build_page(
        &state,
        &visitor,
        Browse::default(),
        Some(message),
        errors,
        status,
    )
    .await
}

/// `GET /ui/suppression.csv`: the whole list as SES's CSV, in address order.
async fn download(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
) -> Response {
    let store = state.gateway.store();
    let mut writer = CsvWriter::new(Vec::new());
    let mut after = None;
    loop {
        let page = match store
            .list_suppressed(&SuppressionQuery {
                after: after.take(),
                page_size: bounceguard_store::MAX_PAGE_SIZE,
                ..SuppressionQuery::default()
            })
            .await
        {
            Ok(page) => page,
            Err(e) => return store_failure(&visitor, e),
        };
        for entry in &page.entries {
            let reason = entry.reason;
            if let Err(e) = writer.write(&entry.address, reason) {
                return store_failure(&visitor, e);
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let bytes = match writer.finish() {
        Ok(bytes) => bytes,
        Err(e) => return store_failure(&visitor, e),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"suppression-list.csv\"",
            ),
        ],
        bytes,
    )
        .into_response()
}
