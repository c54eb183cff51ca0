//! Who may use the dashboard and the `/api/v1` admin API, and CSRF protection of its forms.
//!
//! - [`Access::from_config`]: with `admin_token` set, the token is required (whatever the listen
//!   address: a reverse proxy on the same host makes a loopback listener public). Without it,
//!   everything is open when `listen` is a loopback address (127.0.0.0/8, `::1`, or an
//!   IPv4-mapped loopback address), and closed (401) on any other address.
//! - A caller proves the token with `Authorization: Bearer <token>`, or logs in once through the
//!   form at `/ui/login`, which sets an HttpOnly, SameSite=Strict session cookie. The cookie
//!   holds no token: it is `<nonce>.<expiry>.<HMAC-SHA256(key, nonce|expiry)>`, with the key
//!   derived from the token, so every instance sharing the token accepts it and changing the
//!   token logs everyone out.
//! - CSRF: every dashboard response carries a random `bg_csrf` cookie (HttpOnly,
//!   SameSite=Strict); every form holds `HMAC(key, "csrf|" + that cookie)`; a POST whose field
//!   does not match is refused with 403. `/api/v1` calls authenticated by the session cookie
//!   alone (not by the Bearer header, which a browser never adds by itself) must send the same
//!   value in `X-CSRF-Token` when they change state.
//!
//! Hand-written: a few cookies and two HMACs; no session crate fits an app with no user table.

use std::net::IpAddr;
use std::sync::OnceLock;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::http::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "bg_session";
/// Name of the CSRF seed cookie.
pub const CSRF_COOKIE: &str = "bg_csrf";
/// Name of the CSRF form field.
pub const CSRF_FIELD: &str = "csrf";
/// Header carrying the CSRF token on cookie-authenticated `/api/v1` calls.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a login lasts, in seconds.
pub const SESSION_SECONDS: i64 = 12 * 60 * 60;

type HmacSha256 = Hmac<Sha256>;

/// Who may use the dashboard and the admin API.
#[derive(Clone, PartialEq, Eq)]
pub enum Access {
    /// Everyone (no token configured, loopback listener).
    Open,
    /// Callers holding this token.
    Token(String),
    /// Nobody (no token configured, listener off loopback).
    Locked,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Open => f.write_str("Open"),
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::Locked => f.write_str("Locked"),
        }
    }
}

/// Whether an address only this host can reach: 127.0.0.0/8, `::1`, `::ffff:127.x.y.z`.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

impl Access {
    /// The access rule of a configuration (see the module docs).
    pub fn from_config(config: &Config) -> Self {
        match config.admin_token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() => Self::Token(token.to_string()),
            _ if is_loopback(config.listen.ip()) => Self::Open,
            _ => Self::Locked,
        }
    }

    /// The HMAC key of cookies and CSRF tokens: derived from the token when there is one (the
    /// same on every instance), else random for this process.
    fn key(&self) -> [u8; 32] {
        match self {
            Self::Token(token) => {
                let mut hash = Sha256::new();
                hash.update(b"bounceguard dashboard v1\0");
                hash.update(token.as_bytes());
                hash.finalize().into()
            }
            Self::Open | Self::Locked => *process_key(),
        }
    }

    /// Whether `token` is the configured token (compared in constant time).
    pub fn token_matches(&self, token: &str) -> bool {
        match self {
            Self::Token(expected) => bool::from(expected.as_bytes().ct_eq(token.trim().as_bytes())),
            Self::Open | Self::Locked => false,
        }
    }

    /// A new session cookie value valid until `now_s + SESSION_SECONDS`.
    pub fn new_session(&self, now_s: i64) -> String {
        let nonce = random_hex();
        let expires = now_s + SESSION_SECONDS;
        let mac = hex::encode(self.mac(&format!("session|{nonce}|{expires}")));
        format!("{nonce}.{expires}.{mac}")
    }

    /// Whether a session cookie value is one this key issued and has not expired at `now_s`.
    pub fn session_valid(&self, value: &str, now_s: i64) -> bool {
        if !matches!(self, Self::Token(_)) {
            return false;
        }
        let mut parts = value.splitn(3, '.');
        let (Some(nonce), Some(expires), Some(mac)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(expires_s) = expires.parse::<i64>() else {
            return false;
        };
        if expires_s <= now_s {
            return false;
        }
        let Ok(mac) = hex::decode(mac) else {
            return false;
        };
        let expected = self.mac(&format!("session|{nonce}|{expires}"));
        bool::from(expected.as_slice().ct_eq(mac.as_slice()))
    }

    /// The CSRF token belonging to a CSRF seed cookie value.
    pub fn csrf_token(&self, seed: &str) -> String {
        hex::encode(self.mac(&format!("csrf|{seed}")))
    }

    /// Whether `token` is the CSRF token of `seed`.
    pub fn csrf_valid(&self, seed: &str, token: &str) -> bool {
        let expected = self.csrf_token(seed);
        !seed.is_empty() && bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
    }

    fn mac(&self, message: &str) -> Vec<u8> {
        let key = self.key();
        // An HMAC takes a key of any length; this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

fn process_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut hash = Sha256::new();
        hash.update(uuid::Uuid::new_v4().as_bytes());
        hash.update(uuid::Uuid::new_v4().as_bytes());
        hash.finalize().into()
    })
}

/// 32 hex digits from the OS random source (a v4 UUID's 122 random bits).
fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The `Set-Cookie` value of an HttpOnly, SameSite=Strict cookie for the whole site.
pub fn set_cookie(name: &str, value: &str, max_age_s: Option<i64>) -> Option<HeaderValue> {
    let age = max_age_s.map_or(String::new(), |s| format!("; Max-Age={s}"));
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict{age}"
    ))
    .ok()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Nothing is required (open mode).
    Open,
    /// The `Authorization: Bearer` header.
    Bearer,
    /// The session cookie.
    Session,
}

/// What the access layer hands to dashboard handlers.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The access rule in force.
    pub access: Access,
    /// How the request proved itself.
    pub proof: Proof,
    /// The CSRF seed (the cookie's value, or a new one set on this response).
    pub csrf_seed: String,
}

impl Visitor {
    /// The CSRF token to put in this visitor's forms.
    pub fn csrf_token(&self) -> String {
        self.access.csrf_token(&self.csrf_seed)
    }

    /// Refuses (403) a state-changing form whose CSRF field is missing or wrong. Requests
    /// proved by the Bearer header need none (a browser never sends that header by itself).
    pub fn check_csrf(&self, field: Option<&str>) -> Result<(), CsrfRefused> {
        if self.proof == Proof::Bearer {
            return Ok(());
        }
        match field {
            Some(token) if self.access.csrf_valid(&self.csrf_seed, token) => Ok(()),
            _ => Err(CsrfRefused),
        }
    }
}

/// A state-changing form without a valid CSRF token; answers 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrfRefused;

impl IntoResponse for CsrfRefused {
    fn into_response(self) -> Response {
        forbidden()
    }
}

/// The 403 answer to a form post without a valid CSRF token.
pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "403 Forbidden: the form's CSRF token is missing or wrong; reload the page and try again.\n",
    )
        .into_response()
}

/// Which rule a path falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// SES APIs (their own SigV4), health: not this layer's business.
    Public,
    /// The login page and static assets: open, but get a CSRF seed.
    UiOpen,
    /// Dashboard pages.
    Ui,
    /// The `/api/v1` admin API and LocalStack's `/_aws/ses`.
    Api,
}

/// The zone of a request path.
pub fn zone(path: &str) -> Zone {
    if path == "/ui/login" || path.starts_with("/ui/assets/") {
        Zone::UiOpen
    } else if path == "/ui" || path.starts_with("/ui/") {
        Zone::Ui
    } else if path == "/api/v1" || path.starts_with("/api/v1/") || path.starts_with("/_aws/ses") {
        Zone::Api
    } else {
        Zone::Public
    }
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What a request proved, if enough to pass.
fn prove(access: &Access, headers: &HeaderMap) -> Option<Proof> {
    match access {
        Access::Open => Some(Proof::Open),
        Access::Locked => None,
        Access::Token(_) => {
            if bearer(headers).is_some_and(|t| access.token_matches(t)) {
                Some(Proof::Bearer)
            } else if cookie(headers, SESSION_COOKIE)
                .is_some_and(|s| access.session_valid(s, now_s()))
            {
                Some(Proof::Session)
            } else {
                None
            }
        }
    }
}

fn unauthorized_api(access: &Access) -> Response {
    let message = match access {
        Access::Locked => {
            "This server listens off loopback and has no admin_token: the admin API is closed. Set admin_token."
        }
        _ => "Authorization required: send Authorization: Bearer <admin_token>.",
    };
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({ "message": message })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"bounceguard\""),
    );
    response
}

/// The access layer, applied to the whole router: passes SES and health requests untouched,
/// answers 401 to dashboard and admin requests that prove nothing, 403 to cookie-authenticated
/// state-changing admin calls without the CSRF header, and hands dashboard handlers a
/// [`Visitor`].
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let zone = zone(request.uri().path());
    if zone == Zone::Public {
        return next.run(request).await;
    }
    let access = Access::from_config(state.gateway.config());
    let proof = prove(&access, request.headers());
    let existing_seed = cookie(request.headers(), CSRF_COOKIE)
        .filter(|s| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string);
    match (zone, proof) {
        (Zone::Api, None) => return unauthorized_api(&access),
        (Zone::Api, Some(Proof::Session)) => {
            let safe = matches!(*request.method(), Method::GET | Method::HEAD);
            let header_token = request
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok());
            let seed = existing_seed.as_deref().unwrap_or_default();
            if !safe && !header_token.is_some_and(|t| access.csrf_valid(seed, t)) {
                return forbidden();
            }
            return next.run(request).await;
        }
        (Zone::Api, Some(_)) => return next.run(request).await,
        _ => {}
    }
    let seed = existing_seed.clone().unwrap_or_else(random_hex);
    let visitor = Visitor {
        access: access.clone(),
        proof: proof.unwrap_or(Proof::Open),
        csrf_seed: seed.clone(),
    };
    let mut response = if zone == Zone::Ui && proof.is_none() {
        super::pages::login_page(&visitor, StatusCode::UNAUTHORIZED, None)
    } else {
        request.extensions_mut().insert(visitor);
        next.run(request).await
    };
    if existing_seed.is_none()
        && let Some(value) = set_cookie(CSRF_COOKIE, &seed, None)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(super::PAGE_CSP),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Access {
        Access::Token("s3cret-token".into())
    }

    #[test]
    fn loopback_is_127_slash_8_and_ipv6_one() {
        for open in [
            "127.0.0.1",
            "127.0.0.2",
            "127.255.255.254",
            "::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_loopback(open.parse().expect("ip")), "{open}");
        }
        for closed in [
            "0.0.0.0",
            "::",
            "10.0.0.1",
            "192.168.1.1",
            "::ffff:10.0.0.1",
            "128.0.0.1",
        ] {
            assert!(!is_loopback(closed.parse().expect("ip")), "{closed}");
        }
    }

    #[test]
    fn session_cookie_round_trips_and_expires() {
        let access = token();
        let cookie = access.new_session(1_000);
        assert!(access.session_valid(&cookie, 1_000));
        assert!(access.session_valid(&cookie, 1_000 + SESSION_SECONDS - 1));
        assert!(!access.session_valid(&cookie, 1_000 + SESSION_SECONDS));
        // Another token's key does not accept it.
        assert!(!Access::Token("other".into()).session_valid(&cookie, 1_000));
        // A forged expiry breaks the MAC.
        let mut parts: Vec<&str> = cookie.split('.').collect();
        let later = (1_000 + 10 * SESSION_SECONDS).to_string();
        parts[1] = &later;
        assert!(!access.session_valid(&parts.join("."), 2_000));
        assert!(!access.session_valid("garbage", 1_000));
    }

    #[test]
    fn csrf_token_is_bound_to_its_seed() {
        let access = token();
        let t = access.csrf_token("abcd");
        assert_eq!(t.len(), 64);
        assert!(access.csrf_valid("abcd", &t));
        assert!(!access.csrf_valid("abce", &t));
        assert!(!access.csrf_valid("", &access.csrf_token("")));
    }

    #[test]
    fn cookies_are_found_among_several() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; bg_csrf=ff00"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("bg_session=x.y.z"));
        assert_eq!(cookie(&headers, "bg_csrf"), Some("ff00"));
        assert_eq!(cookie(&headers, "bg_session"), Some("x.y.z"));
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn zones() {
        assert_eq!(zone("/"), Zone::Public);
        assert_eq!(zone("/v2/email/outbound-emails"), Zone::Public);
        assert_eq!(zone("/healthz"), Zone::Public);
        assert_eq!(zone("/ui"), Zone::Ui);
        assert_eq!(zone("/ui/messages"), Zone::Ui);
        assert_eq!(zone("/ui/login"), Zone::UiOpen);
        assert_eq!(zone("/ui/assets/app.css"), Zone::UiOpen);
        assert_eq!(zone("/api/v1/messages"), Zone::Api);
        assert_eq!(zone("/_aws/ses"), Zone::Api);
        assert_eq!(zone("/uix"), Zone::Public);
    }
}
