//! The dashboard through the real router (no socket): access control on and off loopback, the
//! login cookie, CSRF refusal, keyset pagination of Messages, the CSP of the mail-HTML route,
//! the live stream and the overview's series.

#![allow(missing_docs)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bounceguard::auth::Authenticator;
use bounceguard::config::Config;
use bounceguard::dashboard::{MESSAGE_HTML_CSP, PAGE_CSP};
use bounceguard::http::{AppState, router};
use bounceguard::service::{Gateway, now_ms};
use bounceguard_store::{NewMessage, NewRecipient, NewSendOutcome, OutcomeClass, Store};
use futures_util::StreamExt;
use http::{Request, StatusCode, header};
use tower::ServiceExt;

mod common;

struct App {
    router: Router,
    store: Store,
    gateway: Arc<Gateway>,
    _dir: tempfile::TempDir,
}

async fn app(toml: &str) -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = HashMap::from([(
        "BOUNCEGUARD_DATABASE".to_string(),
        format!("sqlite://{}", dir.path().join("bg.db").display()),
    )]);
    let config = Arc::new(Config::from_toml_and_env(toml, &env).expect("config"));
    let store = Store::open(&config.database).await.expect("store");
    let gateway = Arc::new(
        Gateway::new(config.clone(), store.clone())
            .await
            .expect("gateway"),
    );
    let state = AppState {
        gateway: gateway.clone(),
        auth: Arc::new(Authenticator::new(&config)),
    };
    App {
        router: router(state),
        store,
        gateway,
        _dir: dir,
    }
}

/// Off loopback, with a token.
const TOKEN_CONFIG: &str = "listen = \"0.0.0.0:8585\"\nauth = \"none\"\nadmin_token = \"s3cret-admin-token\"\nidentities = [\"shop.example\"]\n";

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: http::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// The value of the first hidden `csrf` field.
    fn csrf_field(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a csrf field") + marker.len();
        let end = self.body[start..].find('"').expect("end of value") + start;
        self.body[start..end].to_string()
    }
}

/// `name=value` of the cookie named `name` among Set-Cookie headers.
fn cookie_pair(answer: &Answer, name: &str) -> String {
    answer
        .set_cookies()
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", answer.set_cookies()))
        .to_string()
}

async fn call(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(router: &Router, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(path);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    call(router, request.body(Body::empty()).expect("request")).await
}

async fn post_form(router: &Router, path: &str, headers: &[(&str, &str)], form: &str) -> Answer {
    let mut request =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    call(
        router,
        request.body(Body::from(form.to_string())).expect("request"),
    )
    .await
}

/// Every dashboard page and admin endpoint, with the method to call it with.
const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/ui/"),
    ("GET", "/ui/messages"),
    ("GET", "/ui/messages/live"),
    ("GET", "/ui/messages/some-id"),
    ("GET", "/ui/messages/some-id/html"),
    ("GET", "/ui/messages/some-id/raw"),
    ("GET", "/ui/overview/series"),
    ("GET", "/ui/suppression"),
    ("GET", "/ui/suppression.csv"),
    ("GET", "/ui/policies"),
    ("GET", "/ui/held"),
    ("POST", "/ui/held/some-id/release"),
    ("POST", "/ui/suppression/add"),
    ("GET", "/api/v1/messages"),
    ("DELETE", "/api/v1/messages"),
    ("GET", "/api/v1/messages/some-id/raw"),
    ("POST", "/api/v1/events"),
    ("GET", "/api/v1/reputation"),
    ("GET", "/api/v1/held"),
    ("POST", "/api/v1/held/some-id/drop"),
    ("POST", "/api/v1/policy/simulate"),
    ("GET", "/_aws/ses"),
];

async fn status_of(router: &Router, method: &str, path: &str, auth: Option<&str>) -> StatusCode {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    call(router, request.body(Body::empty()).expect("request"))
        .await
        .status
}

#[tokio::test]
async fn off_loopback_every_page_and_admin_endpoint_needs_the_token() {
    let app = app(TOKEN_CONFIG).await;
    for (method, path) in PROTECTED {
        assert_eq!(
            status_of(&app.router, method, path, None).await,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        assert_eq!(
            status_of(&app.router, method, path, Some("Bearer wrong-token")).await,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a wrong token"
        );
    }
    // The 401 of a page is the login form; of the API, JSON with WWW-Authenticate.
    let page = get(&app.router, "/ui/messages", &[]).await;
    assert!(page.body.contains("action=\"/ui/login\""), "{}", page.body);
    let api = get(&app.router, "/api/v1/messages", &[]).await;
    assert!(api.header(header::WWW_AUTHENTICATE).starts_with("Bearer"));
    // The right token opens pages and the API; health and the login page need none.
    let bearer = "Bearer s3cret-admin-token";
    for path in [
        "/ui/",
        "/ui/messages",
        "/ui/suppression",
        "/ui/policies",
        "/api/v1/messages",
    ] {
        assert_eq!(
            status_of(&app.router, "GET", path, Some(bearer)).await,
            StatusCode::OK,
            "GET {path} with the token"
        );
    }
    assert_eq!(
        status_of(&app.router, "GET", "/healthz", None).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&app.router, "GET", "/ui/login", None).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&app.router, "GET", "/ui/assets/app.css", None).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn off_loopback_without_a_token_configured_everything_is_closed() {
    let app = app("listen = \"0.0.0.0:8585\"\nauth = \"none\"\n").await;
    for (method, path) in PROTECTED {
        assert_eq!(
            status_of(&app.router, method, path, Some("Bearer anything")).await,
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    let login = get(&app.router, "/ui/login", &[]).await;
    assert!(login.body.contains("closed"), "{}", login.body);
}

#[tokio::test]
async fn loopback_without_a_token_is_open_also_on_127_0_0_2() {
    for listen in ["127.0.0.1:8585", "127.0.0.2:8585", "[::1]:8585"] {
        let app = app(&format!("listen = \"{listen}\"\n")).await;
        for path in ["/ui/", "/ui/messages", "/ui/policies", "/api/v1/messages"] {
            assert_eq!(
                status_of(&app.router, "GET", path, None).await,
                StatusCode::OK,
                "{listen} GET {path}"
            );
        }
    }
}

#[tokio::test]
async fn a_token_set_on_loopback_is_required_too() {
    let app = app("admin_token = \"tok\"\n").await;
    assert_eq!(
        status_of(&app.router, "GET", "/ui/", None).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(&app.router, "GET", "/ui/", Some("Bearer tok")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn login_sets_an_httponly_strict_session_cookie_that_opens_the_pages() {
    let app = app(TOKEN_CONFIG).await;
    let form = get(&app.router, "/ui/login", &[]).await;
    let csrf_cookie = cookie_pair(&form, "bg_csrf");
    let csrf = form.csrf_field();

    // A wrong token: 401 and no session.
    let wrong = post_form(
        &app.router,
        "/ui/login",
        &[("cookie", &csrf_cookie)],
        &format!("csrf={csrf}&token=nope"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .set_cookies()
            .iter()
            .all(|c| !c.starts_with("bg_session="))
    );

    // The right token without the CSRF field: refused.
    let no_csrf = post_form(
        &app.router,
        "/ui/login",
        &[("cookie", &csrf_cookie)],
        "token=s3cret-admin-token",
    )
    .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);

    let ok = post_form(
        &app.router,
        "/ui/login",
        &[("cookie", &csrf_cookie)],
        &format!("csrf={csrf}&token=s3cret-admin-token"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let session_header = ok
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("bg_session="))
        .expect("session cookie");
    assert!(session_header.contains("HttpOnly"), "{session_header}");
    assert!(
        session_header.contains("SameSite=Strict"),
        "{session_header}"
    );
    assert!(
        !session_header.contains("s3cret-admin-token"),
        "the cookie must not hold the token"
    );
    let session = cookie_pair(&ok, "bg_session");
    let page = get(&app.router, "/ui/messages", &[("cookie", &session)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Log out"));
    // A tampered cookie is refused.
    let tampered = format!("{}0", session);
    let refused = get(&app.router, "/ui/messages", &[("cookie", &tampered)]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_form_post_without_its_csrf_token_is_refused() {
    let app = app("identities = [\"shop.example\"]\n").await;
    let page = get(&app.router, "/ui/suppression", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = cookie_pair(&page, "bg_csrf");
    let csrf = page.csrf_field();

    let missing = post_form(
        &app.router,
        "/ui/suppression/add",
        &[("cookie", &cookie)],
        "address=csrf%40victim.example.org&reason=BOUNCE",
    )
    .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = post_form(
        &app.router,
        "/ui/suppression/add",
        &[("cookie", &cookie)],
        "csrf=00ff&address=csrf%40victim.example.org&reason=BOUNCE",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // The right token without its cookie (another site's form) is refused too.
    let no_cookie = post_form(
        &app.router,
        "/ui/suppression/add",
        &[],
        &format!("csrf={csrf}&address=csrf%40victim.example.org&reason=BOUNCE"),
    )
    .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store
            .get_suppressed("csrf@victim.example.org")
            .await
            .expect("store"),
        None,
        "nothing was added by a refused post"
    );

    let ok = post_form(
        &app.router,
        "/ui/suppression/add",
        &[("cookie", &cookie)],
        &format!("csrf={csrf}&address=csrf%40victim.example.org&reason=BOUNCE"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let entry = app
        .store
        .get_suppressed("csrf@victim.example.org")
        .await
        .expect("store")
        .expect("added");
    assert_eq!(entry.source, "dashboard");

    // Removing takes the token as well.
    let refused = post_form(
        &app.router,
        "/ui/suppression/remove",
        &[("cookie", &cookie)],
        "address=csrf%40victim.example.org",
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let removed = post_form(
        &app.router,
        "/ui/suppression/remove",
        &[("cookie", &cookie)],
        &format!("csrf={csrf}&address=csrf%40victim.example.org"),
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .get_suppressed("csrf@victim.example.org")
            .await
            .expect("store"),
        None
    );
}

#[tokio::test]
async fn a_cookie_authenticated_admin_api_change_needs_the_csrf_header() {
    let app = app(TOKEN_CONFIG).await;
    let form = get(&app.router, "/ui/login", &[]).await;
    let csrf_cookie = cookie_pair(&form, "bg_csrf");
    let csrf = form.csrf_field();
    let ok = post_form(
        &app.router,
        "/ui/login",
        &[("cookie", &csrf_cookie)],
        &format!("csrf={csrf}&token=s3cret-admin-token"),
    )
    .await;
    let cookies = format!("{}; {}", cookie_pair(&ok, "bg_session"), csrf_cookie);
    let delete = |with_header: bool| {
        let mut request = Request::delete("/api/v1/messages").header("cookie", cookies.as_str());
        if with_header {
            request = request.header("x-csrf-token", csrf.as_str());
        }
        request.body(Body::empty()).expect("request")
    };
    assert_eq!(
        call(&app.router, delete(false)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(call(&app.router, delete(true)).await.status, StatusCode::OK);
    // Reading needs no header.
    assert_eq!(
        get(&app.router, "/api/v1/messages", &[("cookie", &cookies)])
            .await
            .status,
        StatusCode::OK
    );
}

/// A captured text message `n` from `sender@shop.example` to `to`, decided `decision`.
fn message(n: usize, to: &str, decision: &str, raw: &str) -> NewMessage {
    NewMessage {
        id: format!("0100018c0000{n:04}-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000"),
        created_ms: now_ms(),
        api: "v2".into(),
        operation: "SendEmail".into(),
        source: "sender@shop.example".into(),
        from_address: "sender@shop.example".into(),
        subject: Some(format!("message {n}")),
        raw: raw.as_bytes().to_vec(),
        principal: "arn:aws:iam::000000000000:user/test".into(),
        source_ip: None,
        recipients: vec![NewRecipient {
            address: to.into(),
            normalized: to.into(),
            kind: "to".into(),
            decision: decision.into(),
            rule: "route:1".into(),
            reason: format!("test decided {decision}"),
            delivery_attempt: decision == "deliver",
            quota: decision == "deliver",
        }],
    }
}

const TEXT_RAW: &str = "From: sender@shop.example\r\nTo: a@x.test\r\nSubject: hi\r\n\r\nhello\r\n";

/// The `data-seq` values of the rows of a Messages page, in page order.
fn row_seqs(body: &str) -> Vec<i64> {
    body.split("<tr data-seq=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

/// The "Older" link of a Messages page.
fn older_link(body: &str) -> Option<String> {
    let end = body.find("\" rel=\"next\"")?;
    let start = body[..end].rfind("href=\"")? + "href=\"".len();
    Some(body[start..end].replace("&amp;", "&").replace("&#38;", "&"))
}

#[tokio::test]
async fn messages_are_paged_by_key_newest_first_and_filtered_by_decision() {
    let app = app("").await;
    for n in 0..120 {
        let decision = if n % 3 == 0 { "deny" } else { "capture" };
        app.store
            .record_send(message(n, &format!("user{n}@x.test"), decision, TEXT_RAW))
            .await
            .expect("record");
    }
    let mut seen = Vec::new();
    let mut path = "/ui/messages".to_string();
    let mut pages = 0;
    loop {
        let page = get(&app.router, &path, &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("OFFSET"));
        seen.extend(row_seqs(&page.body));
        pages += 1;
        match older_link(&page.body) {
            Some(next) => {
                assert!(next.contains("before="), "{next}");
                path = next;
            }
            None => break,
        }
    }
    assert_eq!(pages, 3, "50 + 50 + 20");
    assert_eq!(seen.len(), 120);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );

    // Decision filter: every third message was denied, 40 in all, across pages of 50.
    let denied = get(&app.router, "/ui/messages?decision=deny", &[]).await;
    let seqs = row_seqs(&denied.body);
    assert_eq!(seqs.len(), 40);
    assert!(older_link(&denied.body).is_none());
    // Recipient search: exactly one message.
    let one = get(&app.router, "/ui/messages?to=user7%40x.test", &[]).await;
    assert_eq!(row_seqs(&one.body).len(), 1);
    assert!(one.body.contains("user7@x.test"));
    // MessageId search.
    let id = message(42, "", "", "").id;
    let by_id = get(&app.router, &format!("/ui/messages?id={id}"), &[]).await;
    assert_eq!(row_seqs(&by_id.body).len(), 1);
    assert!(by_id.body.contains("message 42"));
}

#[tokio::test]
async fn store_keyset_listing_has_no_gaps_or_repeats_with_a_filter() {
    let app = app("").await;
    for n in 0..30 {
        let decision = if n % 2 == 0 { "deliver" } else { "capture" };
        app.store
            .record_send(message(n, "u@x.test", decision, TEXT_RAW))
            .await
            .expect("record");
    }
    let mut filter = bounceguard_store::MessageFilter {
        decision: Some("deliver".into()),
        limit: 4,
        ..Default::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = app
            .store
            .list_messages_filtered(&filter)
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 4);
        filter.before_seq = page.last().map(|m| m.seq);
        ids.extend(page.into_iter().map(|m| m.id));
    }
    assert_eq!(ids.len(), 15);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 15);
    // "after" lists oldest first.
    let newer = app
        .store
        .list_messages_filtered(&bounceguard_store::MessageFilter {
            after_seq: Some(0),
            limit: 3,
            ..Default::default()
        })
        .await
        .expect("after");
    assert_eq!(newer.len(), 3);
    assert!(newer[0].seq < newer[1].seq && newer[1].seq < newer[2].seq);
}

const HTML_RAW: &str = "From: sender@shop.example\r\nTo: qa@x.test\r\nSubject: Verify\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain part\r\n\
--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<p id=\"greeting\">Welcome aboard</p><script>document.title='pwned'</script>\r\n--b1--\r\n";

#[tokio::test]
async fn the_mail_html_route_has_a_strict_csp_and_the_page_a_sandboxed_iframe() {
    let app = app("").await;
    let m = message(1, "qa@x.test", "capture", HTML_RAW);
    let id = m.id.clone();
    app.store.record_send(m).await.expect("record");

    let html = get(&app.router, &format!("/ui/messages/{id}/html"), &[]).await;
    assert_eq!(html.status, StatusCode::OK);
    let csp = html.header(header::CONTENT_SECURITY_POLICY);
    assert_eq!(csp, MESSAGE_HTML_CSP);
    assert!(csp.contains("script-src 'none'"));
    assert!(csp.contains("default-src 'none'"));
    assert!(csp.split(';').any(|d| d.trim() == "sandbox"), "{csp}");
    assert_eq!(html.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(html.body.contains("Welcome aboard"));

    let page = get(&app.router, &format!("/ui/messages/{id}"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header(header::CONTENT_SECURITY_POLICY), PAGE_CSP);
    assert!(!PAGE_CSP.contains("unsafe-inline"));
    assert!(
        page.body
            .contains("<iframe id=\"html-body\" class=\"mail\" sandbox src=")
    );
    assert!(!page.body.contains("allow-scripts"));
    // The mail's markup never reaches the page itself.
    assert!(!page.body.contains("<script>document.title"));
    assert!(page.body.contains("Plain part"));
    // The per-recipient why.
    assert!(page.body.contains("test decided capture"));
    assert!(page.body.contains("route:1"));

    let raw = get(&app.router, &format!("/ui/messages/{id}/raw"), &[]).await;
    assert_eq!(raw.body, HTML_RAW);
    assert_eq!(raw.header(header::CONTENT_TYPE), "message/rfc822");
    assert!(
        raw.header(header::CONTENT_DISPOSITION)
            .starts_with("attachment")
    );

    assert_eq!(
        get(&app.router, "/ui/messages/nope", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_live_stream_sends_new_messages() {
    let app = app("").await;
    app.store
        .record_send(message(1, "old@x.test", "capture", TEXT_RAW))
        .await
        .expect("record");
    let after = app.store.latest_message_seq().await.expect("latest");
    let response = app
        .router
        .clone()
        .oneshot(
            Request::get(format!("/ui/messages/live?after={after}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).expect("type"),
        "text/event-stream"
    );
    let mut body = response.into_body().into_data_stream();
    app.store
        .record_send(message(2, "new@x.test", "capture", TEXT_RAW))
        .await
        .expect("record");
    let mut text = String::new();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
            if text.contains("event: message") && text.contains("new@x.test") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(found, "no message event: {text}");
    assert!(
        !text.contains("old@x.test"),
        "only messages after the cursor"
    );
    assert!(text.contains(&format!("id: {}", after + 1)), "{text}");
}

#[tokio::test]
async fn the_overview_series_counts_eligible_sends_and_posted_bounces() {
    let app = app("identities = [\"shop.example\"]\n").await;
    let now = now_ms();
    let outcomes: Vec<NewSendOutcome> = (0..20)
        .map(|n| NewSendOutcome {
            message_id: format!("msg-{n}"),
            recipient: format!("r{n}@mail.test-isp.jp"),
            class: OutcomeClass::Eligible,
            sent_ms: now,
        })
        .collect();
    app.store
        .record_send_outcomes(&outcomes)
        .await
        .expect("outcomes");
    // Two permanent bounces through the events API: 2 / 20 = 10 %.
    for n in [3, 7] {
        let event = serde_json::json!({
            "eventType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                       "bouncedRecipients": [{"emailAddress": format!("r{n}@mail.test-isp.jp")}],
                       "timestamp": "2026-12-01T10:30:05.120Z", "feedbackId": format!("fb-{n}")},
            "mail": {"timestamp": "2026-12-01T10:30:00.011Z", "source": "sender@shop.example",
                     "messageId": format!("msg-{n}"), "destination": [format!("r{n}@mail.test-isp.jp")]}
        });
        let answer = call(
            &app.router,
            Request::post("/api/v1/events")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(event.to_string()))
                .expect("request"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    let series = get(&app.router, "/ui/overview/series", &[]).await;
    assert_eq!(series.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&series.body).expect("json");
    assert_eq!(json["sends"], serde_json::json!([20]));
    assert_eq!(json["bounce"], serde_json::json!([10.0]));
    assert_eq!(json["complaint"], serde_json::json!([0.0]));
    assert_eq!(json["bucket_s"], 900);
    let start = json["t"][0].as_i64().expect("t");
    assert_eq!(start % 900, 0);
    assert!(start * 1000 <= now && now < (start + 900) * 1000);
    assert_eq!(json["bounce_lines"]["review"], 5.0);
    assert_eq!(json["complaint_lines"]["pause"], 0.5);

    let page = get(&app.router, "/ui/", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    // The window holds the 20 sends with 2 hard bounces: 10 % is SES's pause line.
    assert!(page.body.contains("SHUTDOWN"), "{}", page.body);
    assert!(page.body.contains("10 %"));
    drop(app.gateway);
}

/// A multipart/form-data body with a `csrf` field (when given) and a `file` field.
fn multipart(csrf: Option<&str>, file: &str) -> (String, String) {
    let boundary = "----bounceguardtestboundary7MA4YWxk";
    let mut body = String::new();
    if let Some(csrf) = csrf {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_csv_upload_fills_the_list_and_the_download_gives_it_back() {
    let app = app("").await;
    let page = get(&app.router, "/ui/suppression", &[]).await;
    let cookie = cookie_pair(&page, "bg_csrf");
    let csrf = page.csrf_field();
    let file = "b@y.example.org,COMPLAINT\nnot an address,BOUNCE\nA@X.example.org,BOUNCE\n";

    let upload = |csrf: Option<&str>| {
        let (content_type, body) = multipart(csrf, file);
        Request::post("/ui/suppression/upload")
            .header(header::CONTENT_TYPE, content_type)
            .header("cookie", cookie.as_str())
            .body(Body::from(body))
            .expect("request")
    };
    let refused = call(&app.router, upload(None)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.count_suppressed().await.expect("count"), 0);

    let done = call(&app.router, upload(Some(&csrf))).await;
    // One bad line: the good ones are in, the bad one is reported by its number.
    assert_eq!(
        done.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        done.body
    );
    assert!(done.body.contains("line 2"), "{}", done.body);
    assert!(
        done.body
            .contains("2 entries (2 changed, 0 unchanged), 1 lines rejected")
    );
    assert_eq!(app.store.count_suppressed().await.expect("count"), 2);
    // The domain is lower-cased by normalisation; the send path's index knows both at once.
    assert!(
        app.store
            .get_suppressed("A@x.example.org")
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(app.gateway.suppression_index().len(), 2);

    let csv = get(&app.router, "/ui/suppression.csv", &[]).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header(header::CONTENT_TYPE).starts_with("text/csv"));
    // Byte order of the address: "A" (0x41) sorts before "b" (0x62).
    assert_eq!(
        csv.body,
        "A@x.example.org,BOUNCE\nb@y.example.org,COMPLAINT\n"
    );

    // The lookup finds the entry.
    let found = get(
        &app.router,
        "/ui/suppression?address=b%40y.example.org",
        &[],
    )
    .await;
    assert!(found.body.contains("COMPLAINT"), "{}", found.body);
    assert!(found.body.contains("import:dashboard"));
}

const DENY_EXAMPLE_COM: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyTestDomains","Effect":"Deny","Principal":"*","Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:us-east-1:000000000000:identity/shop.example","Condition":{"ForAnyValue:StringLike":{"ses:Recipients":"*@example.com"}}},{"Sid":"AllowApp","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/app"},"Action":"ses:SendEmail","Resource":"arn:aws:ses:us-east-1:000000000000:identity/shop.example"}]}"#;

#[tokio::test]
async fn the_policies_page_lints_and_the_what_if_form_evaluates_the_stored_policies() {
    let app = app("identities = [\"shop.example\"]\n").await;
    app.store
        .put_identity_policy(
            "shop.example",
            "guard",
            DENY_EXAMPLE_COM,
            now_ms(),
            bounceguard_store::PolicyWrite::Upsert,
            20,
        )
        .await
        .expect("policy");
    let page = get(&app.router, "/ui/policies", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("shop.example"));
    assert!(page.body.contains("DenyTestDomains"));
    assert!(
        page.body
            .contains("arn:aws:ses:us-east-1:000000000000:identity/shop.example")
    );
    let cookie = cookie_pair(&page, "bg_csrf");
    let csrf = page.csrf_field();

    let form = |csrf: &str, to: &str| {
        format!(
            "csrf={csrf}&identity=shop.example&action=ses%3ASendEmail\
             &principal_arn=arn%3Aaws%3Aiam%3A%3A000000000000%3Auser%2Fapp\
             &from_address=no-reply%40shop.example&recipients={to}&api_version=2"
        )
    };
    let refused = post_form(
        &app.router,
        "/ui/policies/simulate",
        &[("cookie", &cookie)],
        &form("bad", "a%40example.com"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let denied = post_form(
        &app.router,
        "/ui/policies/simulate",
        &[("cookie", &cookie)],
        &form(&csrf, "ok%40shop.example+a%40example.com"),
    )
    .await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.body);
    let result = &denied.body[denied.body.find("what-if-result").expect("result")..];
    assert!(result.contains(">Deny<"), "{result}");
    assert!(result.contains("DenyTestDomains"), "{result}");

    let allowed = post_form(
        &app.router,
        "/ui/policies/simulate",
        &[("cookie", &cookie)],
        &form(&csrf, "ok%40shop.example"),
    )
    .await;
    let result = &allowed.body[allowed.body.find("what-if-result").expect("result")..];
    assert!(result.contains(">Allow<"), "{result}");
}

#[tokio::test]
async fn shutdown_ends_open_live_streams_instead_of_waiting_on_them() {
    let server = common::TestServer::open().await;
    let addr = server.addr;
    let stream = tokio::spawn(async move {
        common::http_request(addr, "GET", "/ui/messages/live", &[], b"").await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("graceful shutdown waited on an open event stream");
    let response = tokio::time::timeout(Duration::from_secs(5), stream)
        .await
        .expect("the stream ended")
        .expect("client task");
    assert_eq!(response.status, 200);
    assert!(
        response.text().contains("event: ready"),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn held_mail_is_listed_and_a_release_or_drop_needs_the_csrf_token() {
    let app = app("identities = [\"shop.example\"]\n").await;
    let held = message(1, "wait@sink.net", "hold", TEXT_RAW);
    let id = held.id.clone();
    app.store.record_send(held).await.expect("record");
    let page = get(&app.router, "/ui/held", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("data-message-id=\"{id}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("wait@sink.net") && page.body.contains("route:1"));
    let cookie = cookie_pair(&page, "bg_csrf");
    let csrf = page.csrf_field();

    for action in ["release", "drop"] {
        let refused = post_form(
            &app.router,
            &format!("/ui/held/{id}/{action}"),
            &[("cookie", &cookie)],
            "",
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{action}");
    }
    let view = app.gateway.held_show(&id).await.expect("held");
    assert_eq!(view.held[0].state, "held", "a refused post changes nothing");

    let dropped = post_form(
        &app.router,
        &format!("/ui/held/{id}/drop"),
        &[("cookie", &cookie)],
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(dropped.status, StatusCode::SEE_OTHER, "{}", dropped.body);
    let location = dropped.header(header::LOCATION).to_string();
    assert!(
        location.starts_with("/ui/held?notice=Dropped"),
        "{location}"
    );
    let view = app.gateway.held_show(&id).await.expect("held");
    assert_eq!(view.held[0].state, "dropped");
    assert_eq!(view.held[0].outcome, "dropped by dashboard");
    // Gone from the default listing, shown with all=true.
    let page = get(&app.router, "/ui/held", &[]).await;
    assert!(!page.body.contains(&id));
    let page = get(&app.router, "/ui/held?all=true", &[]).await;
    assert!(page.body.contains(&id) && page.body.contains("dropped"));
}
