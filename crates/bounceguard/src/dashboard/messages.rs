//! Messages: the listing (newest first, keyset pages on `seq`, search by recipient, sender,
//! MessageId and decision), live updates over server-sent events, and the message page.
//!
//! The HTML part of a mail is never put into a dashboard page: the page holds
//! `<iframe sandbox>` (no `allow-scripts`, no `allow-same-origin`) pointing at
//! `/ui/messages/{id}/html`, which answers the mail's HTML under [`MESSAGE_HTML_CSP`]
//! (`script-src 'none'` and a CSP `sandbox` of its own, so a script in a mail never runs even
//! when that URL is opened directly), and loads nothing from outside.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use bounceguard_store::{MessageFilter, MessageSummary, RecipientRecord, StoredMessage};
use futures_util::Stream;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::Closing;
use super::access::Visitor;
use super::pages::{Layout, error_page, render, store_failure, when};
use crate::http::AppState;

/// Messages per page of the listing.
pub const PAGE_SIZE: u32 = 50;

/// The Content-Security-Policy of a mail's HTML part: nothing runs, nothing is fetched
/// (images only from `data:`), no form goes anywhere, and the document is sandboxed.
pub const MESSAGE_HTML_CSP: &str = "default-src 'none'; script-src 'none'; \
    style-src 'unsafe-inline'; img-src data:; font-src data:; form-action 'none'; \
    base-uri 'none'; frame-ancestors 'self'; sandbox";

/// How often the live stream looks for new messages.
const LIVE_POLL: Duration = Duration::from_millis(500);

/// The decision words a search can ask for, in the order the form lists them.
pub const DECISIONS: [&str; 6] = ["deliver", "capture", "deny", "suppress", "simulate", "hold"];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/messages", get(list))
        .route("/ui/messages/live", get(live))
        .route("/ui/messages/{id}", get(show))
        .route("/ui/messages/{id}/html", get(html_part))
        .route("/ui/messages/{id}/raw", get(raw))
}

/// The search form's fields (all optional) and the keyset cursor.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Search {
    #[serde(default)]
    to: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    after: Option<i64>,
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

impl Search {
    fn filter(&self, state: &AppState) -> MessageFilter {
        MessageFilter {
            before_seq: self.before,
            after_seq: None,
            id: non_empty(&self.id),
            from: non_empty(&self.from),
            recipient: non_empty(&self.to).map(|to| state.gateway.canonical_address(&to)),
            decision: non_empty(&self.decision).filter(|d| DECISIONS.contains(&d.as_str())),
            limit: PAGE_SIZE + 1,
        }
    }

    /// The query string of these filters (without the cursor), `&`-joined, URL-encoded.
    fn query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("to", &self.to),
            ("from", &self.from),
            ("id", &self.id),
            ("decision", &self.decision),
        ] {
            if !value.trim().is_empty() {
                out.append_pair(key, value.trim());
            }
        }
        out.finish()
    }
}

/// One recipient with its decision and the reason for it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct RecipientView {
    address: String,
    kind: String,
    decision: String,
    rule: String,
    reason: String,
}

impl From<&RecipientRecord> for RecipientView {
    fn from(r: &RecipientRecord) -> Self {
        Self {
            address: r.address.clone(),
            kind: r.kind.clone(),
            decision: r.decision.clone(),
            rule: r.rule.clone(),
            reason: r.reason.clone(),
        }
    }
}

/// One row of the listing (also the JSON of a live update).
#[derive(Debug, Clone, Serialize)]
pub(super) struct Row {
    seq: i64,
    id: String,
    href: String,
    when: String,
    from: String,
    subject: String,
    decision: String,
    to: String,
}

/// The decision shared by every recipient, or `mixed` (`none` without recipients).
fn overall(recipients: &[RecipientRecord]) -> String {
    match recipients.split_first() {
        None => "none".into(),
        Some((first, rest)) if rest.iter().all(|r| r.decision == first.decision) => {
            first.decision.clone()
        }
        Some(_) => "mixed".into(),
    }
}

fn message_href(id: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/ui/messages/{encoded}")
}

impl From<&MessageSummary> for Row {
    fn from(m: &MessageSummary) -> Self {
        Self {
            seq: m.seq,
            id: m.id.clone(),
            href: message_href(&m.id),
            when: when(m.created_ms),
            from: m.source.clone(),
            subject: m.subject.clone().unwrap_or_default(),
            decision: overall(&m.recipients),
            to: m
                .recipients
                .iter()
                .map(|r| r.address.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Template)]
#[template(path = "messages.html")]
struct ListPage {
    layout: Layout,
    search: Search,
    decisions: [&'static str; 6],
    rows: Vec<Row>,
    /// Link to the next (older) page.
    older: Option<String>,
    /// The first page's link, when this is a later one.
    newest: Option<String>,
    /// The live stream's URL (first page only).
    live: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Query(search): Query<Search>,
) -> Response {
    match list_page(&state, &visitor, search).await {
        Ok(page) => render(&page),
        Err(e) => store_failure(&visitor, e),
    }
}

async fn list_page(
    state: &AppState,
    visitor: &Visitor,
    search: Search,
) -> Result<ListPage, bounceguard_store::StoreError> {
    let filter = search.filter(state);
    let mut messages = state
        .gateway
        .store()
        .list_messages_filtered(&filter)
        .await?;
    let query = search.query();
    let sep = if query.is_empty() { "" } else { "&" };
    let older = if messages.len() > PAGE_SIZE as usize {
        messages.truncate(PAGE_SIZE as usize);
        messages
            .last()
            .map(|m| format!("/ui/messages?{query}{sep}before={}", m.seq))
    } else {
        None
    };
    let live = if search.before.is_none() {
        let after = match messages.first() {
            Some(m) => m.seq,
            None => state.gateway.store().latest_message_seq().await?,
        };
        Some(format!("/ui/messages/live?{query}{sep}after={after}"))
    } else {
        None
    };
    let newest = search.before.map(|_| format!("/ui/messages?{query}"));
    Ok(ListPage {
        layout: Layout::new("messages", visitor),
        rows: messages.iter().map(Row::from).collect(),
        decisions: DECISIONS,
        search,
        older,
        newest,
        live,
    })
}

/// `GET /ui/messages/live?after=SEQ&…filters`: server-sent events, one `message` event (id =
/// the message's seq, data = the row's JSON) per new message matching the filters, oldest
/// first. A reconnecting browser resumes after its `Last-Event-ID`.
async fn live(
    State(state): State<AppState>,
    closing: Option<Extension<Closing>>,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let mut filter = search.filter(&state);
    filter.before_seq = None;
    filter.after_seq = Some(resume.or(search.after).unwrap_or(0));
    filter.limit = PAGE_SIZE;
    let closed: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> = match closing {
        Some(Extension(closing)) => Box::pin(closing.wait()),
        None => Box::pin(std::future::pending()),
    };
    let stream = futures_util::stream::unfold(
        LiveState {
            state,
            filter,
            pending: VecDeque::new(),
            closed,
            first: true,
        },
        next_event,
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

struct LiveState {
    state: AppState,
    filter: MessageFilter,
    pending: VecDeque<Event>,
    closed: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    first: bool,
}

async fn next_event(mut live: LiveState) -> Option<(Result<Event, Infallible>, LiveState)> {
    loop {
        if let Some(event) = live.pending.pop_front() {
            return Some((Ok(event), live));
        }
        if live.first {
            live.first = false;
            // Tell the browser how soon to reconnect, and that the stream is up.
            return Some((
                Ok(Event::default()
                    .retry(Duration::from_secs(1))
                    .event("ready")
                    // A browser drops an event whose data is empty.
                    .data("up")),
                live,
            ));
        }
        tokio::select! {
            () = &mut live.closed => return None,
            () = tokio::time::sleep(LIVE_POLL) => {}
        }
        match live
            .state
            .gateway
            .store()
            .list_messages_filtered(&live.filter)
            .await
        {
            Ok(messages) => {
                for m in &messages {
                    live.filter.after_seq = Some(m.seq);
                    let row = Row::from(m);
                    if let Ok(data) = serde_json::to_string(&row) {
                        live.pending.push_back(
                            Event::default()
                                .id(m.seq.to_string())
                                .event("message")
                                .data(data),
                        );
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "live message stream: store failure");
            }
        }
    }
}

/// The header block of a raw message (up to the first empty line), as text.
fn header_block(raw: &[u8]) -> String {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len());
    String::from_utf8_lossy(raw.get(..end).unwrap_or(raw)).into_owned()
}

/// One attachment line of the message page.
struct AttachmentLine {
    name: String,
    content_type: String,
    size: usize,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    id: String,
    href: String,
    when: String,
    subject: String,
    from: String,
    api: String,
    operation: String,
    principal: String,
    source_ip: String,
    decision: String,
    recipients: Vec<RecipientView>,
    headers: String,
    text: Option<String>,
    has_html: bool,
    attachments: Vec<AttachmentLine>,
    size: usize,
}

async fn load(state: &AppState, visitor: &Visitor, id: &str) -> Result<StoredMessage, Response> {
    match state.gateway.store().get_message(id).await {
        Ok(Some(message)) => Ok(message),
        Ok(None) => Err(error_page(
            visitor,
            StatusCode::NOT_FOUND,
            &format!("No message with id {id}."),
        )),
        Err(e) => Err(store_failure(visitor, e)),
    }
}

async fn show(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Response {
    let message = match load(&state, &visitor, &id).await {
        Ok(message) => message,
        Err(response) => return response,
    };
    let view = bounceguard_wire::mime::summarize(&message.raw);
    render(&MessagePage {
        layout: Layout::new("messages", &visitor),
        href: message_href(&message.id),
        when: when(message.created_ms),
        subject: message.subject.clone().unwrap_or_default(),
        from: message.source.clone(),
        api: message.api.clone(),
        operation: message.operation.clone(),
        principal: message.principal.clone(),
        source_ip: message.source_ip.clone().unwrap_or_default(),
        decision: overall(&message.recipients),
        recipients: message.recipients.iter().map(RecipientView::from).collect(),
        headers: header_block(&message.raw),
        text: view.text,
        has_html: view.html.is_some(),
        attachments: view
            .attachments
            .into_iter()
            .map(|a| AttachmentLine {
                name: a.name.unwrap_or_else(|| "(no name)".into()),
                content_type: a.content_type,
                size: a.size,
            })
            .collect(),
        size: message.raw.len(),
        id: message.id,
    })
}

/// `GET /ui/messages/{id}/html`: the mail's HTML part under [`MESSAGE_HTML_CSP`].
async fn html_part(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Response {
    let message = match load(&state, &visitor, &id).await {
        Ok(message) => message,
        Err(response) => return response,
    };
    let html = bounceguard_wire::mime::summarize(&message.raw)
        .html
        .unwrap_or_default();
    let mut response = (StatusCode::OK, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(MESSAGE_HTML_CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// `GET /ui/messages/{id}/raw`: the MIME source as a download (`<id>.eml`).
async fn raw(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Response {
    let message = match load(&state, &visitor, &id).await {
        Ok(message) => message,
        Err(response) => return response,
    };
    // The id is the store's own (letters, digits, `-`); anything else becomes `_`.
    let file: String = message
        .id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut response = message.raw.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("message/rfc822"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}.eml\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_block_stops_at_the_first_empty_line() {
        assert_eq!(
            header_block(b"Subject: a\r\nFrom: b\r\n\r\nbody\r\n\r\nmore"),
            "Subject: a\r\nFrom: b"
        );
        assert_eq!(header_block(b"Subject: a\n\nbody"), "Subject: a");
        assert_eq!(header_block(b"Subject: only"), "Subject: only");
    }

    #[test]
    fn search_query_keeps_only_filled_fields() {
        let search = Search {
            to: " a+b@x.example ".into(),
            decision: "capture".into(),
            ..Search::default()
        };
        assert_eq!(search.query(), "to=a%2Bb%40x.example&decision=capture");
        assert_eq!(Search::default().query(), "");
    }
}
