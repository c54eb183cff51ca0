//! Signs requests with the official `aws-sigv4` crate (the oracle) and turns them into the
//! parts a server sees.

#![allow(dead_code, clippy::unwrap_used)]

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bounceguard_sigv4::{SignedRequest, Verifier};
use chrono::{DateTime, NaiveDate, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::time::SystemTime;

pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const HOST: &str = "email.us-east-1.amazonaws.com";

/// 2024-01-15 10:30:00 UTC, the spec's example time.
pub fn t0() -> DateTime<Utc> {
    at(10, 30, 0)
}

pub fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2024, 1, 15)
        .unwrap()
        .and_hms_opt(h, m, s)
        .unwrap()
        .and_utc()
}

/// A request as the server receives it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn as_signed(&self) -> SignedRequest<'_> {
        SignedRequest::new(
            &self.method,
            &self.path,
            self.query.as_deref(),
            &self.headers,
            &self.body,
        )
    }

    pub fn set_header(&mut self, name: &'static str, value: &str) {
        self.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }

    pub fn authorization(&self) -> String {
        self.headers["authorization"].to_str().unwrap().to_owned()
    }
}

/// What to sign and how.
pub struct Signing<'a> {
    pub method: &'a str,
    /// Path and query, already encoded as sent on the wire.
    pub path_and_query: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a [u8],
    pub credentials: Credentials,
    pub region: &'a str,
    pub service: &'a str,
    pub time: DateTime<Utc>,
    pub settings: SigningSettings,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body hash.
    pub unsigned_payload: bool,
}

impl<'a> Signing<'a> {
    pub fn new(method: &'a str, path_and_query: &'a str, body: &'a [u8]) -> Self {
        Self {
            method,
            path_and_query,
            headers: Vec::new(),
            body,
            credentials: creds(None),
            region: "us-east-1",
            service: "ses",
            time: t0(),
            settings: SigningSettings::default(),
            unsigned_payload: false,
        }
    }

    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Signs with aws-sigv4 and applies its output to an `http::Request`, as an SDK does.
    pub fn sign(self) -> Received {
        let uri = format!("https://{HOST}{}", self.path_and_query);
        let identity = self.credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(SystemTime::from(self.time))
            .settings(self.settings)
            .build()
            .unwrap()
            .into();
        let body = if self.unsigned_payload {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Bytes(self.body)
        };
        let signable =
            SignableRequest::new(self.method, uri.clone(), self.headers.iter().copied(), body)
                .unwrap();
        let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();

        let mut request = http::Request::builder()
            .method(self.method)
            .uri(&uri)
            .body(())
            .unwrap();
        for (name, value) in &self.headers {
            request.headers_mut().append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        instructions.apply_to_request_http1x(&mut request);
        // The HTTP client adds Host from the URI; aws-sigv4 signed exactly that value.
        if !request.headers().contains_key("host") {
            request
                .headers_mut()
                .insert("host", HeaderValue::from_static(HOST));
        }
        Received {
            method: self.method.to_owned(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().map(str::to_owned),
            headers: request.headers().clone(),
            body: self.body.to_vec(),
        }
    }
}

pub fn creds(session_token: Option<&str>) -> Credentials {
    Credentials::new(
        ACCESS_KEY,
        SECRET,
        session_token.map(str::to_owned),
        None,
        "oracle",
    )
}

pub fn ses_verifier() -> Verifier {
    Verifier::new("us-east-1", "ses")
}

/// The secret lookup the tests use: only [`ACCESS_KEY`] is known.
pub fn lookup(key: &str) -> Option<&'static str> {
    (key == ACCESS_KEY).then_some(SECRET)
}
