//! The verifier: parses the auth data, checks it in AWS's order, recomputes the signature.
//!
//! Check order (AWS's, as recorded from real responses; see the crate docs):
//! 1. auth present at all, and not both forms (`MissingAuthenticationToken`, `SignatureDoesNotMatch`);
//! 2. all parts present (`IncompleteSignature`, every missing part listed);
//! 3. timestamp format (`IncompleteSignature`), then clock skew and `X-Amz-Expires`;
//! 4. `host` signed; 5. algorithm; 6. credential shape (5 elements);
//! 7. credential scope: region, service, terminator, date (`SignatureDoesNotMatch`, all listed);
//! 8. access key known (`InvalidClientTokenId`); 9. signature, then body hash.

use crate::canonical::{
    QueryPair, parse_query, write_canonical_query, write_canonical_uri, write_header_value,
};
use crate::error::SigV4Error;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const TERMINATOR: &str = "aws4_request";
const UNSIGNED_PAYLOAD: &[u8] = b"UNSIGNED-PAYLOAD";
/// Longest presigned lifetime AWS accepts (seven days).
const MAX_EXPIRES_SECS: i64 = 604_800;
/// Derived signing keys kept; one per access key, replaced when the date changes.
const KEY_CACHE_CAPACITY: usize = 1024;

const P_ALGORITHM: &[u8] = b"X-Amz-Algorithm";
const P_CREDENTIAL: &[u8] = b"X-Amz-Credential";
const P_DATE: &[u8] = b"X-Amz-Date";
const P_EXPIRES: &[u8] = b"X-Amz-Expires";
const P_SECURITY_TOKEN: &[u8] = b"X-Amz-Security-Token";
const P_SIGNATURE: &[u8] = b"X-Amz-Signature";
const P_SIGNED_HEADERS: &[u8] = b"X-Amz-SignedHeaders";

/// The parts of an HTTP request that SigV4 covers, borrowed from the server's request.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// Raw path as received, still percent-encoded (`uri.path()`).
    pub path: &'a str,
    /// Raw query string as received, without `?` (`uri.query()`).
    pub query: Option<&'a str>,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The complete request body.
    pub body: &'a [u8],
    /// The URI authority, used as the `host` value when there is no `Host` header (HTTP/2).
    pub authority: Option<&'a str>,
}

impl<'a> SignedRequest<'a> {
    /// A request without a separate authority (HTTP/1.1, where `Host` is a header).
    pub fn new(
        method: &'a str,
        path: &'a str,
        query: Option<&'a str>,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> Self {
        Self {
            method,
            path,
            query,
            headers,
            body,
            authority: None,
        }
    }

    /// Sets the URI authority that stands in for a missing `Host` header.
    pub fn with_authority(mut self, authority: Option<&'a str>) -> Self {
        self.authority = authority;
        self
    }
}

/// Who signed a request that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The region from the credential scope (equal to the verifier's region).
    pub region: String,
    /// `X-Amz-Security-Token` (header, or query parameter when presigned), unchecked here.
    pub session_token: Option<String>,
    /// The request time the client signed.
    pub signed_at: DateTime<Utc>,
    /// True when the auth came from presigned query parameters.
    pub presigned: bool,
    /// False when the client sent `X-Amz-Content-SHA256: UNSIGNED-PAYLOAD` (body not covered).
    pub payload_signed: bool,
}

/// Verifies SigV4 signatures for one region and service, caching derived signing keys.
pub struct Verifier {
    region: String,
    service: String,
    max_skew: Duration,
    keys: Mutex<HashMap<String, CachedKey>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key cache holds secrets: show only its size.
        let cached = self.keys.lock().map_or(0, |keys| keys.len());
        f.debug_struct("Verifier")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("max_skew", &self.max_skew)
            .field("cached_keys", &cached)
            .finish()
    }
}

struct CachedKey {
    date: [u8; 8],
    secret: Box<str>,
    key: [u8; 32],
}

/// A request whose auth data parsed and whose scope, date and host checks passed; it still
/// needs the secret of [`Pending::access_key_id`] to check the signature.
#[derive(Debug)]
pub struct Pending<'a> {
    verifier: &'a Verifier,
    req: SignedRequest<'a>,
    query: Vec<QueryPair<'a>>,
    presigned: bool,
    /// Credential with trailing slashes removed; `key_end` is the index of its first `/`.
    credential: Cow<'a, str>,
    key_end: usize,
    signed_headers: Cow<'a, str>,
    signature: Cow<'a, str>,
    timestamp: [u8; 16],
    signed_at: DateTime<Utc>,
    session_token: Option<Cow<'a, str>>,
}

/// Auth fields as found in the request, before any checks.
struct RawAuth<'a> {
    algorithm: Cow<'a, str>,
    credential: Cow<'a, str>,
    signed_headers: Cow<'a, str>,
    signature: Cow<'a, str>,
    date: Cow<'a, str>,
    /// True when the date came from the `Date` header (RFC 1123 allowed there).
    date_from_http_date: bool,
    expires: Option<Cow<'a, str>>,
    session_token: Option<Cow<'a, str>>,
}

impl Verifier {
    /// A verifier for `region` and `service` (`"ses"` for both SES APIs), 15 minutes of skew.
    pub fn new(region: impl Into<String>, service: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            service: service.into(),
            max_skew: Duration::minutes(15),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Changes the allowed clock skew (AWS: 15 minutes either way).
    pub fn with_max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// The region requests must be scoped to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Verifies `req` at time `now`; `secret_for` maps an access key id to its secret key.
    pub fn verify<S: AsRef<str>>(
        &self,
        req: &SignedRequest<'_>,
        now: DateTime<Utc>,
        secret_for: impl FnOnce(&str) -> Option<S>,
    ) -> Result<Verified, SigV4Error> {
        let pending = self.begin(req, now)?;
        let secret = secret_for(pending.access_key_id());
        pending.complete(secret.as_ref().map(AsRef::as_ref))
    }

    /// Runs every check that needs no secret (steps 1–7); for callers whose key lookup is async.
    pub fn begin<'a>(
        &'a self,
        req: &SignedRequest<'a>,
        now: DateTime<Utc>,
    ) -> Result<Pending<'a>, SigV4Error> {
        let req = *req;
        let query = req.query.map(parse_query).unwrap_or_default();
        let auth_header = req
            .headers
            .get(http::header::AUTHORIZATION)
            .map(|v| v.as_bytes())
            .filter(|v| !v.trim_ascii().is_empty());
        let algorithm_param = first_param(&query, P_ALGORITHM);

        // Step 1.
        let (raw, presigned) = match (auth_header, algorithm_param) {
            (Some(_), Some(_)) => return Err(SigV4Error::BothAuthForms),
            (None, None) => return Err(SigV4Error::MissingAuthentication),
            (Some(header), None) => (from_header(header, req.headers)?, false),
            (None, Some(algorithm)) => (from_query(algorithm, &query)?, true),
        };

        // Step 3: date format, skew, expiry.
        let parsed = if raw.date_from_http_date {
            parse_iso_basic(raw.date.as_bytes()).or_else(|| parse_http_date(&raw.date))
        } else {
            parse_iso_basic(raw.date.as_bytes())
        };
        let Some((signed_at, timestamp)) = parsed else {
            return Err(SigV4Error::Incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
                raw.date
            )));
        };
        self.check_skew(signed_at, &timestamp, now)?;
        if let Some(expires) = &raw.expires {
            check_expires(expires, signed_at, now)?;
        }

        // Step 4.
        let host_signed = raw
            .signed_headers
            .split(';')
            .any(|h| h.eq_ignore_ascii_case("host") || h == ":authority");
        if !host_signed {
            return Err(SigV4Error::HostNotSigned);
        }

        // Step 5.
        if raw.algorithm != ALGORITHM {
            return Err(SigV4Error::Incomplete(format!(
                "Unsupported AWS 'algorithm': '{}' (only {ALGORITHM} for now). ",
                raw.algorithm
            )));
        }

        // Step 6.
        let credential = trim_trailing_slashes(raw.credential);
        let mut parts = credential.split('/');
        let (Some(key_id), Some(date), Some(region), Some(service), Some(terminator), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(SigV4Error::Incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
            )));
        };

        // Step 7.
        let mut scope_errors = String::new();
        if region != self.region {
            scope_errors.push_str(&format!(
                "Credential should be scoped to a valid region, not '{region}'. "
            ));
        }
        if service != self.service {
            scope_errors.push_str(&format!(
                "Credential should be scoped to correct service: '{}'. ",
                self.service
            ));
        }
        if terminator != TERMINATOR {
            scope_errors.push_str(&format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
            ));
        }
        if date.as_bytes() != &timestamp[..8] {
            scope_errors.push_str(&format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{}'.",
                ascii(&timestamp[..8]),
                ascii(&timestamp)
            ));
        }
        if !scope_errors.is_empty() {
            return Err(SigV4Error::Scope(scope_errors));
        }
        let key_end = key_id.len();

        Ok(Pending {
            verifier: self,
            req,
            query,
            presigned,
            credential,
            key_end,
            signed_headers: raw.signed_headers,
            signature: raw.signature,
            timestamp,
            signed_at,
            session_token: raw.session_token,
        })
    }

    fn check_skew(
        &self,
        signed_at: DateTime<Utc>,
        timestamp: &[u8; 16],
        now: DateTime<Utc>,
    ) -> Result<(), SigV4Error> {
        let minutes = self.max_skew.num_minutes();
        if let Some(earliest) = now.checked_sub_signed(self.max_skew)
            && signed_at < earliest
        {
            return Err(SigV4Error::Expired(format!(
                "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
                ascii(timestamp),
                iso_basic(earliest),
                iso_basic(now)
            )));
        }
        if let Some(latest) = now.checked_add_signed(self.max_skew)
            && signed_at > latest
        {
            return Err(SigV4Error::NotYetCurrent(format!(
                "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
                ascii(timestamp),
                iso_basic(latest),
                iso_basic(now)
            )));
        }
        Ok(())
    }

    /// `kSigning` for (access key, date), from the cache when the secret is unchanged.
    fn signing_key(&self, access_key: &str, date: &[u8; 8], secret: &str) -> [u8; 32] {
        {
            let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(cached) = keys.get(access_key)
                && cached.date == *date
                && *cached.secret == *secret
            {
                return cached.key;
            }
        }
        let key = derive_signing_key(secret, date, &self.region, &self.service);
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= KEY_CACHE_CAPACITY && !keys.contains_key(access_key) {
            keys.clear();
        }
        keys.insert(
            access_key.to_owned(),
            CachedKey {
                date: *date,
                secret: secret.into(),
                key,
            },
        );
        key
    }
}

impl<'a> Pending<'a> {
    /// The access key id whose secret is needed to finish.
    pub fn access_key_id(&self) -> &str {
        &self.credential[..self.key_end]
    }

    /// Checks the signature with the secret of [`Self::access_key_id`] (`None`: unknown key).
    pub fn complete(self, secret: Option<&str>) -> Result<Verified, SigV4Error> {
        // Step 8.
        let Some(secret) = secret else {
            return Err(SigV4Error::UnknownAccessKey);
        };

        // Step 9.
        let body_hash = BodyHash::of(self.req.headers, self.req.body);
        let canonical = self.canonical_request(body_hash.signed_value());
        let mut date = [0u8; 8];
        date.copy_from_slice(&self.timestamp[..8]);
        let key = self
            .verifier
            .signing_key(self.access_key_id(), &date, secret);

        let mut mac = new_mac(&key);
        mac.update(ALGORITHM.as_bytes());
        mac.update(b"\n");
        mac.update(&self.timestamp);
        mac.update(b"\n");
        mac.update(self.credential[self.key_end + 1..].as_bytes());
        mac.update(b"\n");
        let mut creq_hex = [0u8; 64];
        hex_into(&Sha256::digest(&canonical), &mut creq_hex);
        mac.update(&creq_hex);
        let mut expected = [0u8; 64];
        hex_into(&mac.finalize().into_bytes(), &mut expected);

        if !bool::from(expected[..].ct_eq(self.signature.as_bytes())) {
            return Err(SigV4Error::Mismatch);
        }
        if !body_hash.matches_body() {
            return Err(SigV4Error::PayloadHashMismatch);
        }

        Ok(Verified {
            access_key_id: self.access_key_id().to_owned(),
            region: self.verifier.region.clone(),
            session_token: self.session_token.map(Cow::into_owned),
            signed_at: self.signed_at,
            presigned: self.presigned,
            payload_signed: !body_hash.unsigned,
        })
    }

    /// The canonical request (`ses-spec.md` §3 step 3) for the given payload hash.
    fn canonical_request(&self, payload_hash: &[u8]) -> Vec<u8> {
        let req = &self.req;
        let mut out = Vec::with_capacity(
            320 + 3 * (req.path.len() + req.query.map_or(0, str::len))
                + self.signed_headers.len() * 2,
        );
        out.extend_from_slice(req.method.as_bytes());
        out.push(b'\n');
        write_canonical_uri(&mut out, req.path);
        out.push(b'\n');
        let skip = self.presigned.then_some(P_SIGNATURE);
        write_canonical_query(&mut out, &self.query, skip);
        out.push(b'\n');
        for name in self.signed_headers.split(';') {
            out.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
            out.push(b':');
            self.write_header_values(&mut out, name);
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend(self.signed_headers.bytes().map(|b| b.to_ascii_lowercase()));
        out.push(b'\n');
        out.extend_from_slice(payload_hash);
        out
    }

    /// All values of one signed header, each normalised, joined with `,`.
    fn write_header_values(&self, out: &mut Vec<u8>, name: &str) {
        let mut first = true;
        for value in self.req.headers.get_all(name) {
            if !first {
                out.push(b',');
            }
            first = false;
            write_header_value(out, value.as_bytes());
        }
        let is_host = name.eq_ignore_ascii_case("host") || name == ":authority";
        if first
            && is_host
            && let Some(authority) = self.req.authority.or_else(|| {
                // `:authority` signed over HTTP/1.1: its value is the Host header.
                (name == ":authority")
                    .then(|| self.req.headers.get(http::header::HOST))
                    .flatten()
                    .and_then(|v| v.to_str().ok())
            })
        {
            write_header_value(out, authority.as_bytes());
        }
    }
}

/// The payload hash the client signed, and whether it describes the body that arrived.
struct BodyHash<'a> {
    computed: [u8; 64],
    /// The `X-Amz-Content-SHA256` value, when sent; it is what was signed.
    declared: Option<&'a [u8]>,
    unsigned: bool,
}

impl<'a> BodyHash<'a> {
    fn of(headers: &'a HeaderMap, body: &[u8]) -> Self {
        let declared = headers.get("x-amz-content-sha256").map(|v| v.as_bytes());
        let unsigned = declared == Some(UNSIGNED_PAYLOAD);
        let mut computed = [0u8; 64];
        if !unsigned {
            hex_into(&Sha256::digest(body), &mut computed);
        }
        Self {
            computed,
            declared,
            unsigned,
        }
    }

    fn signed_value(&self) -> &[u8] {
        self.declared.unwrap_or(&self.computed)
    }

    fn matches_body(&self) -> bool {
        match self.declared {
            None => true,
            Some(_) if self.unsigned => true,
            Some(declared) => declared.eq_ignore_ascii_case(&self.computed),
        }
    }
}

/// Header auth: `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn from_header<'a>(header: &'a [u8], headers: &'a HeaderMap) -> Result<RawAuth<'a>, SigV4Error> {
    let text = String::from_utf8_lossy(header.trim_ascii());
    match text {
        Cow::Borrowed(text) => parse_authorization(text, headers, Cow::Borrowed),
        Cow::Owned(text) => parse_authorization(&text, headers, |s: &str| Cow::Owned(s.to_owned())),
    }
}

fn parse_authorization<'t, 'a>(
    text: &'t str,
    headers: &'a HeaderMap,
    keep: impl Fn(&'t str) -> Cow<'a, str>,
) -> Result<RawAuth<'a>, SigV4Error> {
    let (algorithm, rest) = text
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((text, ""));
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for param in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
    {
        let Some((key, value)) = param.split_once('=') else {
            return Err(SigV4Error::Incomplete(format!(
                "'{param}' not a valid key=value pair (missing equal-sign) in Authorization header: '{text}'."
            )));
        };
        // A repeated parameter: the last one wins.
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let date = first_header(headers, "x-amz-date")
        .map(|d| (d, false))
        .or_else(|| first_header(headers, "date").map(|d| (d, true)));

    let mut missing = String::new();
    let credential = credential.filter(|c| !c.is_empty());
    let signature = signature.filter(|s| !s.is_empty());
    for (name, absent) in [
        ("Credential", credential.is_none()),
        ("Signature", signature.is_none()),
        ("SignedHeaders", signed_headers.is_none()),
    ] {
        if absent {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signature), Some(signed_headers), Some((date, from_date))) =
        (credential, signature, signed_headers, date)
    else {
        return Err(SigV4Error::Incomplete(format!(
            "{missing}Authorization={text}"
        )));
    };
    Ok(RawAuth {
        algorithm: keep(algorithm),
        credential: keep(credential),
        signed_headers: keep(signed_headers),
        signature: keep(signature),
        date,
        date_from_http_date: from_date,
        expires: None,
        session_token: first_header(headers, "x-amz-security-token"),
    })
}

/// Presigned auth: the `X-Amz-*` query parameters.
fn from_query<'a>(
    algorithm: &Cow<'a, [u8]>,
    query: &[QueryPair<'a>],
) -> Result<RawAuth<'a>, SigV4Error> {
    let credential = first_param(query, P_CREDENTIAL).filter(|v| !v.is_empty());
    let signature = first_param(query, P_SIGNATURE).filter(|v| !v.is_empty());
    let signed_headers = first_param(query, P_SIGNED_HEADERS);
    let date = first_param(query, P_DATE).filter(|v| !v.is_empty());
    let mut missing = String::new();
    for (name, absent) in [
        ("X-Amz-Credential", credential.is_none()),
        ("X-Amz-Signature", signature.is_none()),
        ("X-Amz-SignedHeaders", signed_headers.is_none()),
        ("X-Amz-Date", date.is_none()),
    ] {
        if absent {
            missing.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    let (Some(credential), Some(signature), Some(signed_headers), Some(date)) =
        (credential, signature, signed_headers, date)
    else {
        return Err(SigV4Error::Incomplete(format!(
            "{missing}Re-examine the query-string parameters."
        )));
    };
    Ok(RawAuth {
        algorithm: bytes_to_str(algorithm),
        credential: bytes_to_str(credential),
        signed_headers: bytes_to_str(signed_headers),
        signature: bytes_to_str(signature),
        date: bytes_to_str(date),
        date_from_http_date: false,
        expires: first_param(query, P_EXPIRES).map(bytes_to_str),
        session_token: first_param(query, P_SECURITY_TOKEN).map(bytes_to_str),
    })
}

fn check_expires(
    expires: &str,
    signed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), SigV4Error> {
    let Ok(seconds) = expires.parse::<i64>() else {
        return Err(SigV4Error::Incomplete(
            "X-Amz-Expires should be a number".to_owned(),
        ));
    };
    if seconds < 0 {
        return Err(SigV4Error::Incomplete(
            "X-Amz-Expires must be non-negative".to_owned(),
        ));
    }
    if seconds > MAX_EXPIRES_SECS {
        return Err(SigV4Error::Incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES_SECS}"
        )));
    }
    let expiry = Duration::try_seconds(seconds).and_then(|d| signed_at.checked_add_signed(d));
    match expiry {
        Some(expiry) if now <= expiry => Ok(()),
        _ => Err(SigV4Error::PresignExpired),
    }
}

fn first_param<'q, 'a>(query: &'q [QueryPair<'a>], name: &[u8]) -> Option<&'q Cow<'a, [u8]>> {
    query
        .iter()
        .find(|(key, _)| key.as_ref() == name)
        .map(|(_, value)| value)
}

fn first_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<Cow<'a, str>> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

fn bytes_to_str<'a>(bytes: &Cow<'a, [u8]>) -> Cow<'a, str> {
    match bytes {
        Cow::Borrowed(b) => String::from_utf8_lossy(b),
        Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(v).into_owned()),
    }
}

fn trim_trailing_slashes(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim_end_matches('/')),
        Cow::Owned(o) => Cow::Owned(o.trim_end_matches('/').to_owned()),
    }
}

/// Parses `YYYYMMDDTHHMMSSZ`.
fn parse_iso_basic(s: &[u8]) -> Option<(DateTime<Utc>, [u8; 16])> {
    let b: [u8; 16] = s.try_into().ok()?;
    if b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    if !b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit) {
        return None;
    }
    let num = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let year = i32::try_from(num(0, 4)).ok()?;
    let at = NaiveDate::from_ymd_opt(year, num(4, 6), num(6, 8))?
        .and_hms_opt(num(9, 11), num(11, 13), num(13, 15))?
        .and_utc();
    Some((at, b))
}

/// Parses an RFC 1123 `Date` header (`Mon, 15 Jan 2024 10:30:00 GMT`).
fn parse_http_date(s: &str) -> Option<(DateTime<Utc>, [u8; 16])> {
    let at = DateTime::parse_from_rfc2822(s).ok()?.with_timezone(&Utc);
    if !(0..=9999).contains(&at.year()) {
        return None;
    }
    let text = iso_basic(at);
    let b: [u8; 16] = text.as_bytes().try_into().ok()?;
    Some((at, b))
}

/// `YYYYMMDDTHHMMSSZ` (years outside 0–9999 only in messages, never signed).
fn iso_basic(at: DateTime<Utc>) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn ascii(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so `new_from_slice` has no failing case. The fallback
    // (an all-zero key, giving a signature nobody holds) only avoids a panic path: fail closed.
    <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
fn derive_signing_key(secret: &str, date: &[u8; 8], region: &str, service: &str) -> [u8; 32] {
    let mut seed = Vec::with_capacity(4 + secret.len());
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let k_date = hmac(&seed, date);
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, TERMINATOR.as_bytes())
}

fn hex_into(bytes: &[u8], out: &mut [u8; 64]) {
    // Both sides are 32 bytes / 64 hex digits, so this cannot fail; on a length mismatch the
    // buffer stays zeroed and comparisons fail closed.
    let _ = hex::encode_to_slice(bytes, out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// The IAM user guide's "create a signed request" example.
    fn iam_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        h.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        h.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        h.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            ),
        );
        h
    }

    #[test]
    fn iam_example_canonical_request_and_signing_key() {
        let headers = iam_headers();
        let req = SignedRequest::new(
            "GET",
            "/",
            Some("Action=ListUsers&Version=2010-05-08"),
            &headers,
            b"",
        );
        let verifier = Verifier::new("us-east-1", "iam");
        let now = parse_iso_basic(b"20150830T123600Z").unwrap().0;
        let pending = verifier.begin(&req, now).unwrap();
        let body = BodyHash::of(&headers, b"");
        let creq = pending.canonical_request(body.signed_value());
        // Written out by hand from the documented procedure for this request.
        let expected = "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
             content-type:application/x-www-form-urlencoded; charset=utf-8\n\
             host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
             content-type;host;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(String::from_utf8(creq.clone()).unwrap(), expected);
        // The hashed canonical request and derived key published in the IAM guide's example.
        assert_eq!(
            hex::encode(Sha256::digest(&creq)),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            b"20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn iso_basic_parsing_rejects_malformed_dates() {
        assert!(parse_iso_basic(b"20240115T103000Z").is_some());
        for bad in [
            &b"20240115T103000"[..],
            b"20240115 103000Z",
            b"2024011aT103000Z",
            b"20241315T103000Z",
            b"20240115T250000Z",
            b"20240115T103060Z",
            b"",
            "2024011€T10300Z".as_bytes(),
        ] {
            assert!(parse_iso_basic(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn http_date_is_accepted_from_the_date_header() {
        let (at, ts) = parse_http_date("Mon, 15 Jan 2024 10:30:00 GMT").unwrap();
        assert_eq!(&ts, b"20240115T103000Z");
        assert_eq!(iso_basic(at), "20240115T103000Z");
    }

    #[test]
    fn debug_output_does_not_show_cached_secrets() {
        let v = Verifier::new("us-east-1", "ses");
        v.signing_key("AK", b"20240115", "super-secret-value");
        let shown = format!("{v:?}");
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(shown.contains("cached_keys: 1"), "{shown}");
    }

    #[test]
    fn key_cache_is_bounded_and_tracks_secret_changes() {
        let v = Verifier::new("us-east-1", "ses");
        let a = v.signing_key("AK", b"20240115", "s1");
        assert_eq!(a, derive_signing_key("s1", b"20240115", "us-east-1", "ses"));
        // Rotated secret under the same key id: the cache must not return the old key.
        let b = v.signing_key("AK", b"20240115", "s2");
        assert_eq!(b, derive_signing_key("s2", b"20240115", "us-east-1", "ses"));
        assert_ne!(a, b);
        for i in 0..(KEY_CACHE_CAPACITY + 10) {
            v.signing_key(&format!("AK{i}"), b"20240115", "s");
        }
        assert!(v.keys.lock().unwrap().len() <= KEY_CACHE_CAPACITY);
    }
}
