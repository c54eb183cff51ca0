//! The SNS endpoint's logic (issue 6, item 1): an SNS HTTP(S) POST (ses-spec §7.2) is parsed,
//! its topic checked against `[sns] topics`, its signature verified (SignatureVersion 1 SHA-1 or
//! 2 SHA-256, certificate from an AWS SNS host or a configured trusted one), and then:
//!
//! - `Notification`: the SES event in `Message` goes through [`Gateway::ingest_event`] with the
//!   SNS `MessageId`, so a redelivery changes nothing;
//! - `SubscriptionConfirmation`: its `SubscribeURL` (https on an AWS SNS host, or an origin in
//!   `[sns] test_confirm_origins`) is fetched, which confirms the subscription;
//! - `UnsubscribeConfirmation`: logged.
//!
//! Nothing is fetched before the URL passed its check (no SSRF): certificates only from
//! `https://sns.<region>.amazonaws.com/….pem`, redirects are never followed, bodies are capped.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bounceguard_events::sns::{
    CertFetcher, FetchError, FetchFuture, SnsEnvelope, SnsError, SnsMessageType, SnsVerifier,
    check_signing_cert_url, check_subscribe_url, parse_envelope,
};

use super::Gateway;
use super::events::Ingested;
use crate::config::SnsConfig;

/// Largest certificate accepted (SNS's are about 2 KB).
const MAX_CERT_BYTES: usize = 64 * 1024;
/// Most of a confirmation answer that is read (SNS answers a short XML document).
const MAX_CONFIRM_BYTES: usize = 64 * 1024;
/// Certificate fetches in flight at once: forged messages naming many AWS URLs cannot turn the
/// gateway into a fetch amplifier.
const MAX_CONCURRENT_FETCHES: usize = 4;
/// How long a certificate URL that failed is not fetched again.
const FAILED_FETCH_TTL: Duration = Duration::from_secs(60);
/// Failed URLs remembered at most (the memory is cleared when full).
const MAX_REMEMBERED_FAILURES: usize = 1024;

/// The SNS endpoint's state: the verifier (with its certificate cache), the allowed topics and
/// the HTTP client for certificates and confirmations.
pub struct SnsIngress {
    verifier: SnsVerifier,
    topics: HashSet<String>,
    http: reqwest::Client,
    test_origins: Vec<url::Origin>,
}

impl std::fmt::Debug for SnsIngress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnsIngress")
            .field("verifier", &self.verifier)
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

impl SnsIngress {
    /// Builds the endpoint's state from `[sns]`: reads the trusted certificates and builds the
    /// HTTP client (time limit, no redirects).
    pub fn from_config(config: &SnsConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.fetch_timeout())
            .connect_timeout(config.fetch_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("bounceguard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("[sns] building the HTTP client: {e}"))?;
        let mut verifier = SnsVerifier::new(Arc::new(HttpsCertFetcher::new(http.clone())));
        for cert in &config.trusted_certs {
            let pem = std::fs::read(&cert.pem_file).map_err(|e| {
                anyhow::anyhow!(
                    "[sns] trusted_certs: reading {}: {e}",
                    cert.pem_file.display()
                )
            })?;
            verifier = verifier.with_trusted_cert(&cert.url, &pem).map_err(|e| {
                anyhow::anyhow!("[sns] trusted_certs: {}: {e}", cert.pem_file.display())
            })?;
        }
        let test_origins = config
            .test_confirm_origins
            .iter()
            .map(|o| {
                url::Url::parse(o)
                    .map(|u| u.origin())
                    .map_err(|e| anyhow::anyhow!("[sns] test_confirm_origins: {o:?}: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            verifier,
            topics: config.topics.iter().cloned().collect(),
            http,
            test_origins,
        })
    }

    /// Whether `url` may be fetched to confirm a subscription.
    fn check_confirm_url(&self, raw: &str) -> Result<url::Url, SnsError> {
        let url =
            url::Url::parse(raw).map_err(|_| SnsError::ForeignSubscribeUrl(raw.to_owned()))?;
        if check_subscribe_url(raw).is_ok() || self.test_origins.contains(&url.origin()) {
            Ok(url)
        } else {
            Err(SnsError::ForeignSubscribeUrl(raw.to_owned()))
        }
    }
}

/// Fetches SNS signing certificates with reqwest, only from URLs that pass
/// [`check_signing_cert_url`] (checked again here), with the client's time limit, a size cap,
/// a cap on fetches in flight and a short memory of URLs that failed. (Successful fetches are
/// cached by [`SnsVerifier`].)
struct HttpsCertFetcher {
    http: reqwest::Client,
    in_flight: tokio::sync::Semaphore,
    failed: RecentFailures,
}

impl HttpsCertFetcher {
    fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            in_flight: tokio::sync::Semaphore::new(MAX_CONCURRENT_FETCHES),
            failed: RecentFailures::new(FAILED_FETCH_TTL, MAX_REMEMBERED_FAILURES),
        }
    }
}

impl CertFetcher for HttpsCertFetcher {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            check_signing_cert_url(url).map_err(|e| FetchError(e.to_string()))?;
            if let Some(error) = self.failed.get(url, Instant::now()) {
                return Err(FetchError(format!(
                    "{error} (failed recently; not retried yet)"
                )));
            }
            let _permit = self
                .in_flight
                .acquire()
                .await
                .map_err(|_| FetchError("shutting down".to_string()))?;
            let fetched = get_bounded(&self.http, url, MAX_CERT_BYTES).await;
            if let Err(e) = &fetched {
                self.failed.insert(url, e, Instant::now());
            }
            fetched.map_err(FetchError)
        })
    }
}

/// Certificate URLs whose fetch failed, with the error, for a while: a message repeated with a
/// bad URL costs no new fetch. Hand-written (a map and a clock); no cache crate is needed for
/// a few entries that are cleared wholesale.
struct RecentFailures {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, (Instant, String)>>,
}

impl RecentFailures {
    fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The remembered error of `url`, if it failed less than `ttl` before `now`.
    fn get(&self, url: &str, now: Instant) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(url)
            .filter(|(at, _)| now.duration_since(*at) < self.ttl)
            .map(|(_, error)| error.clone())
    }

    fn insert(&self, url: &str, error: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(url.to_string(), (now, error.to_string()));
    }
}

/// GETs `url` and reads at most `limit` bytes of a 2xx answer.
async fn get_bounded(http: &reqwest::Client, url: &str, limit: usize) -> Result<Vec<u8>, String> {
    let mut response = http.get(url).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(format!("answer longer than {limit} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("answer longer than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What an accepted SNS message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnsReceipt {
    /// A Notification whose SES event was applied (or, `applied == false`, had been before).
    Applied(Ingested),
    /// A signed Notification from an allowed topic whose Message is not an SES event (SES's
    /// "Successfully validated SNS topic" test message): answered 200, nothing stored.
    Ignored(String),
    /// A SubscriptionConfirmation whose SubscribeURL was fetched.
    Confirmed,
    /// An UnsubscribeConfirmation (logged only).
    Unsubscribed,
}

/// Why an SNS message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnsRefusal {
    /// The body is not an SNS message (400).
    #[error("{0}")]
    Malformed(String),
    /// Refused: bad or missing signature, foreign URL, topic not configured (403).
    #[error("{0}")]
    Forbidden(String),
    /// The subscription could not be confirmed (502; SNS will send the confirmation again).
    #[error("{0}")]
    ConfirmFailed(String),
    /// The store failed (500; SNS retries, and the retry is applied once).
    #[error("{0}")]
    Internal(String),
}

/// The metric label of a refusal reason.
pub fn sns_reason(e: &SnsError) -> &'static str {
    match e {
        SnsError::Unparsable(_) => "unparsable",
        SnsError::Unsigned => "unsigned",
        SnsError::UnsupportedSignatureVersion(_) => "unsupported_signature_version",
        SnsError::ForeignCertUrl(_) => "foreign_cert_url",
        SnsError::ForeignSubscribeUrl(_) => "foreign_subscribe_url",
        SnsError::CertFetch(_) => "cert_fetch",
        SnsError::BadCertificate(_) => "bad_certificate",
        SnsError::BadSignature => "bad_signature",
    }
}

impl Gateway {
    /// Handles one SNS POST body (see the module docs). Nothing is applied unless the topic is
    /// configured and the signature verifies.
    pub async fn receive_sns(&self, body: &[u8]) -> Result<SnsReceipt, SnsRefusal> {
        let envelope = parse_envelope(body).map_err(|e| {
            self.metrics().sns_rejected(sns_reason(&e));
            tracing::warn!(error = %e, "SNS message refused");
            SnsRefusal::Malformed(e.to_string())
        })?;
        if !self.sns.topics.contains(&envelope.topic_arn) {
            self.metrics().sns_rejected("topic_not_allowed");
            tracing::warn!(
                topic = %envelope.topic_arn,
                message_id = %envelope.message_id,
                "SNS message from a topic not in [sns] topics refused"
            );
            return Err(SnsRefusal::Forbidden(format!(
                "topic not allowed: {}",
                envelope.topic_arn
            )));
        }
        let verified = match self.sns.verifier.verify_cached(&envelope) {
            Some(result) => result,
            None => self.sns.verifier.verify(&envelope).await,
        };
        if let Err(e) = verified {
            return Err(self.refuse(&envelope, &e));
        }
        match envelope.message_type {
            SnsMessageType::Notification => self.apply_notification(&envelope).await,
            SnsMessageType::SubscriptionConfirmation => self.confirm(&envelope).await,
            SnsMessageType::UnsubscribeConfirmation => {
                tracing::info!(
                    topic = %envelope.topic_arn,
                    message_id = %envelope.message_id,
                    "SNS subscription removed (UnsubscribeConfirmation)"
                );
                Ok(SnsReceipt::Unsubscribed)
            }
        }
    }

    fn refuse(&self, envelope: &SnsEnvelope, e: &SnsError) -> SnsRefusal {
        self.metrics().sns_rejected(sns_reason(e));
        tracing::warn!(
            error = %e,
            topic = %envelope.topic_arn,
            message_id = %envelope.message_id,
            "SNS message refused"
        );
        SnsRefusal::Forbidden(e.to_string())
    }

    async fn apply_notification(&self, envelope: &SnsEnvelope) -> Result<SnsReceipt, SnsRefusal> {
        match self
            .ingest_event(
                &envelope.message,
                Some(&envelope.message_id),
                Some(&envelope.topic_arn),
            )
            .await
        {
            Ok(ingested) => Ok(SnsReceipt::Applied(ingested)),
            Err(e) if e.code.v2_status() == 400 => {
                tracing::info!(
                    topic = %envelope.topic_arn,
                    message_id = %envelope.message_id,
                    "SNS notification is not an SES event; ignored: {}",
                    e.message
                );
                Ok(SnsReceipt::Ignored(e.message))
            }
            Err(e) => Err(SnsRefusal::Internal(e.message)),
        }
    }

    async fn confirm(&self, envelope: &SnsEnvelope) -> Result<SnsReceipt, SnsRefusal> {
        let raw = envelope.subscribe_url.as_deref().unwrap_or_default();
        let url = self
            .sns
            .check_confirm_url(raw)
            .map_err(|e| self.refuse(envelope, &e))?;
        get_bounded(&self.sns.http, url.as_str(), MAX_CONFIRM_BYTES)
            .await
            .map_err(|e| {
                tracing::warn!(
                    topic = %envelope.topic_arn,
                    error = %e,
                    "confirming the SNS subscription failed"
                );
                SnsRefusal::ConfirmFailed(format!("confirming the subscription failed: {e}"))
            })?;
        tracing::info!(topic = %envelope.topic_arn, "SNS subscription confirmed");
        Ok(SnsReceipt::Confirmed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A local HTTP server that answers every request with `answer` and counts connections.
    async fn serve(answer: String) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        (base, hits)
    }

    fn client() -> reqwest::Client {
        SnsIngress::from_config(&SnsConfig::default())
            .expect("default [sns]")
            .http
    }

    fn ok(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    #[tokio::test]
    async fn answers_are_read_up_to_the_limit_only() {
        let (base, _) = serve(ok("0123456789")).await;
        assert_eq!(
            get_bounded(&client(), &base, 10).await,
            Ok(b"0123456789".to_vec())
        );
        assert_eq!(
            get_bounded(&client(), &base, 9).await,
            Err("answer longer than 9 bytes".to_string())
        );
        // Without a Content-Length the cap applies while reading.
        let (base, _) =
            serve("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n0123456789".to_string()).await;
        assert_eq!(
            get_bounded(&client(), &base, 9).await,
            Err("answer longer than 9 bytes".to_string())
        );
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (target, target_hits) = serve(ok("secret")).await;
        let (base, _) = serve(format!(
            "HTTP/1.1 302 Found\r\nlocation: {target}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ))
        .await;
        assert_eq!(
            get_bounded(&client(), &base, 1024).await,
            Err("HTTP 302 Found".to_string())
        );
        assert_eq!(target_hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_cert_fetcher_never_connects_to_a_foreign_url() {
        let (base, hits) = serve(ok("-----BEGIN CERTIFICATE-----")).await;
        let fetcher = HttpsCertFetcher::new(client());
        let url = format!("{base}/SimpleNotificationService-x.pem");
        let e = fetcher.fetch(&url).await.expect_err("refused");
        assert_eq!(
            e.0,
            format!("SigningCertURL is not an SNS certificate URL: {url}")
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn failed_urls_are_remembered_for_a_while_and_the_memory_is_bounded() {
        let failures = RecentFailures::new(Duration::from_secs(60), 2);
        let t0 = Instant::now();
        failures.insert("https://a", "HTTP 404 Not Found", t0);
        assert_eq!(
            failures.get("https://a", t0 + Duration::from_secs(59)),
            Some("HTTP 404 Not Found".to_string())
        );
        assert_eq!(
            failures.get("https://a", t0 + Duration::from_secs(60)),
            None
        );
        assert_eq!(failures.get("https://b", t0), None);
        failures.insert("https://b", "timeout", t0);
        // Full with two live entries: cleared, then the new one kept.
        failures.insert("https://c", "timeout", t0 + Duration::from_secs(1));
        assert_eq!(failures.get("https://a", t0), None);
        assert_eq!(
            failures.get("https://c", t0 + Duration::from_secs(2)),
            Some("timeout".to_string())
        );
        // Expired entries make room without forgetting live ones.
        failures.insert("https://d", "timeout", t0 + Duration::from_secs(61));
        failures.insert("https://e", "timeout", t0 + Duration::from_secs(62));
        assert!(
            failures
                .get("https://d", t0 + Duration::from_secs(62))
                .is_some()
        );
    }

    #[test]
    fn confirm_urls_need_an_sns_host_or_an_exact_test_origin() {
        let config = SnsConfig {
            test_confirm_origins: vec!["http://127.0.0.1:9000".to_string()],
            ..SnsConfig::default()
        };
        let sns = SnsIngress::from_config(&config).expect("config");
        for ok in [
            "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t",
            "http://127.0.0.1:9000/?Action=ConfirmSubscription&Token=t",
        ] {
            assert!(sns.check_confirm_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:90001/",
            "http://127.0.0.1:900/",
            "https://127.0.0.1:9000/",
            "http://localhost:9000/",
            "http://127.0.0.1:9000@evil.example/",
        ] {
            assert!(sns.check_confirm_url(bad).is_err(), "{bad}");
        }
        let default = SnsIngress::from_config(&SnsConfig::default()).expect("default");
        assert!(
            default
                .check_confirm_url("http://127.0.0.1:9000/?Token=t")
                .is_err(),
            "no test origin by default"
        );
    }
}
