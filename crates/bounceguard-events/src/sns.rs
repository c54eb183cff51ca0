//! The SNS HTTP(S) envelope (ses-spec §7.2): parsing, the canonical string to sign, and the
//! signature check (SignatureVersion 1 = RSA PKCS#1 v1.5 SHA-1, 2 = SHA-256).
//!
//! The crate has no HTTP client: certificates come through [`CertFetcher`], which the service
//! implements (reqwest). A `SigningCertURL` is fetched only when it passes
//! [`check_signing_cert_url`] (https, host exactly `sns.<region>.amazonaws.com[.cn]`, a `.pem`
//! path, nothing else), or it is looked up in the certificates configured as trusted for tests.
//! No SSRF: a foreign URL is refused before any fetch.
//!
//! Hand-written: the envelope rules and the URL pin are SNS-specific; the cryptography is
//! aws-lc-rs and the certificate parsing x509-cert.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine as _;
use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem as _, Encode as _};

/// Why an SNS message was refused. The service answers 403 to all of them and applies nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnsError {
    /// Not JSON, not an SNS envelope, or a field the type requires is missing.
    #[error("not an SNS message: {0}")]
    Unparsable(String),
    /// `Signature`, `SignatureVersion` or `SigningCertURL` is missing or empty.
    #[error("SNS message is not signed")]
    Unsigned,
    /// `SignatureVersion` is neither `1` nor `2`.
    #[error("unsupported SNS SignatureVersion {0:?}")]
    UnsupportedSignatureVersion(String),
    /// `SigningCertURL` is not an SNS host of AWS and not a trusted test certificate.
    #[error("SigningCertURL is not an SNS certificate URL: {0}")]
    ForeignCertUrl(String),
    /// `SubscribeURL` is not an SNS host of AWS (and not an origin allowed for tests).
    #[error("SubscribeURL is not an SNS URL: {0}")]
    ForeignSubscribeUrl(String),
    /// The certificate could not be fetched.
    #[error("fetching the SNS certificate failed: {0}")]
    CertFetch(String),
    /// The certificate is not a PEM X.509 certificate with a public key.
    #[error("bad SNS certificate: {0}")]
    BadCertificate(String),
    /// The signature is not base64 or does not match the message.
    #[error("SNS signature does not verify")]
    BadSignature,
}

/// The SNS message `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SnsMessageType {
    /// A published message (the SES event JSON is in `Message`).
    Notification,
    /// Confirm a subscription by fetching `SubscribeURL`.
    SubscriptionConfirmation,
    /// The subscription was removed.
    UnsubscribeConfirmation,
}

impl SnsMessageType {
    /// The `Type` value (also the `x-amz-sns-message-type` header).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notification => "Notification",
            Self::SubscriptionConfirmation => "SubscriptionConfirmation",
            Self::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        }
    }
}

/// A parsed SNS envelope. Signature fields are optional here so that an unsigned message is
/// told apart from an unparsable one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsEnvelope {
    /// `Type`.
    pub message_type: SnsMessageType,
    /// `MessageId`: the key for applying each message once.
    pub message_id: String,
    /// `TopicArn`.
    pub topic_arn: String,
    /// `Subject` (Notification only, when set).
    pub subject: Option<String>,
    /// `Message`, unescaped: for a Notification from SES, the event JSON.
    pub message: String,
    /// `Timestamp`, kept as sent (it is signed as sent).
    pub timestamp: String,
    /// `Token` (confirmations).
    pub token: Option<String>,
    /// `SubscribeURL` (confirmations).
    pub subscribe_url: Option<String>,
    /// `UnsubscribeURL` (Notification).
    pub unsubscribe_url: Option<String>,
    /// `SignatureVersion`: `"1"` or `"2"`.
    pub signature_version: Option<String>,
    /// `Signature`, base64.
    pub signature: Option<String>,
    /// `SigningCertURL`.
    pub signing_cert_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireEnvelope {
    #[serde(rename = "Type")]
    message_type: String,
    message_id: String,
    topic_arn: String,
    subject: Option<String>,
    message: String,
    timestamp: String,
    token: Option<String>,
    #[serde(rename = "SubscribeURL")]
    subscribe_url: Option<String>,
    #[serde(rename = "UnsubscribeURL")]
    unsubscribe_url: Option<String>,
    signature_version: Option<String>,
    signature: Option<String>,
    #[serde(rename = "SigningCertURL")]
    signing_cert_url: Option<String>,
}

/// Reads an SNS POST body. Unknown fields (`MessageAttributes`, …) are ignored; a field that the
/// message type signs must be present.
pub fn parse_envelope(body: &[u8]) -> Result<SnsEnvelope, SnsError> {
    let wire: WireEnvelope =
        serde_json::from_slice(body).map_err(|e| SnsError::Unparsable(e.to_string()))?;
    let message_type = match wire.message_type.as_str() {
        "Notification" => SnsMessageType::Notification,
        "SubscriptionConfirmation" => SnsMessageType::SubscriptionConfirmation,
        "UnsubscribeConfirmation" => SnsMessageType::UnsubscribeConfirmation,
        other => return Err(SnsError::Unparsable(format!("unknown Type {other:?}"))),
    };
    if message_type != SnsMessageType::Notification {
        if wire.token.is_none() {
            return Err(SnsError::Unparsable(format!(
                "{} without Token",
                message_type.as_str()
            )));
        }
        if wire.subscribe_url.is_none() {
            return Err(SnsError::Unparsable(format!(
                "{} without SubscribeURL",
                message_type.as_str()
            )));
        }
    }
    Ok(SnsEnvelope {
        message_type,
        message_id: wire.message_id,
        topic_arn: wire.topic_arn,
        subject: wire.subject,
        message: wire.message,
        timestamp: wire.timestamp,
        token: wire.token,
        subscribe_url: wire.subscribe_url,
        unsubscribe_url: wire.unsubscribe_url,
        signature_version: wire.signature_version,
        signature: wire.signature,
        signing_cert_url: wire.signing_cert_url,
    })
}

fn push_field(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push('\n');
    out.push_str(value);
    out.push('\n');
}

impl SnsEnvelope {
    /// The canonical string SNS signs (§7.2): `name\nvalue\n` for each signed field, in byte
    /// order of the names. Notification: Message, MessageId, Subject (if present), Timestamp,
    /// TopicArn, Type. Confirmations: Message, MessageId, SubscribeURL, Timestamp, Token,
    /// TopicArn, Type.
    pub fn string_to_sign(&self) -> String {
        let mut out = String::with_capacity(self.message.len() + 512);
        push_field(&mut out, "Message", &self.message);
        push_field(&mut out, "MessageId", &self.message_id);
        match self.message_type {
            SnsMessageType::Notification => {
                if let Some(subject) = &self.subject {
                    push_field(&mut out, "Subject", subject);
                }
                push_field(&mut out, "Timestamp", &self.timestamp);
            }
            SnsMessageType::SubscriptionConfirmation | SnsMessageType::UnsubscribeConfirmation => {
                // Present: parse_envelope refuses confirmations without them.
                push_field(
                    &mut out,
                    "SubscribeURL",
                    self.subscribe_url.as_deref().unwrap_or_default(),
                );
                push_field(&mut out, "Timestamp", &self.timestamp);
                push_field(&mut out, "Token", self.token.as_deref().unwrap_or_default());
            }
        }
        push_field(&mut out, "TopicArn", &self.topic_arn);
        push_field(&mut out, "Type", self.message_type.as_str());
        out
    }
}

/// Checks that a `SigningCertURL` is one SNS itself would use: `https`, host exactly
/// `sns.<region>.amazonaws.com` or `sns.<region>.amazonaws.com.cn`, no user info, no port other
/// than 443, a path ending in `.pem`, no query or fragment.
pub fn check_signing_cert_url(raw: &str) -> Result<(), SnsError> {
    let foreign = || SnsError::ForeignCertUrl(raw.to_owned());
    let url = url::Url::parse(raw).map_err(|_| foreign())?;
    if url.scheme() != "https"
        || !url.username().is_empty()
        || url.password().is_some()
        || url.port().is_some_and(|p| p != 443)
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.path().ends_with(".pem")
    {
        return Err(foreign());
    }
    if is_sns_host(&url) {
        Ok(())
    } else {
        Err(foreign())
    }
}

/// Checks that a `SubscribeURL` is one SNS itself would send, so that confirming a subscription
/// never makes the gateway fetch an arbitrary URL: `https`, host exactly
/// `sns.<region>.amazonaws.com[.cn]`, no user info, no port other than 443. The query (Action,
/// TopicArn, Token) is free.
pub fn check_subscribe_url(raw: &str) -> Result<(), SnsError> {
    let url = url::Url::parse(raw).map_err(|_| SnsError::ForeignSubscribeUrl(raw.to_owned()))?;
    if url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && url.port().is_none_or(|p| p == 443)
        && is_sns_host(&url)
    {
        Ok(())
    } else {
        Err(SnsError::ForeignSubscribeUrl(raw.to_owned()))
    }
}

/// Whether the URL's host is exactly `sns.<region>.amazonaws.com` or `….amazonaws.com.cn`.
fn is_sns_host(url: &url::Url) -> bool {
    let Some(url::Host::Domain(host)) = url.host() else {
        return false;
    };
    let Some(region) = host.strip_prefix("sns.").and_then(|rest| {
        rest.strip_suffix(".amazonaws.com")
            .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))
    }) else {
        return false;
    };
    // A region is lowercase letters, digits and hyphens (`us-east-1`, `us-gov-west-1`), starting
    // with a letter: this keeps `sns.evil.example.amazonaws.com`-style extra labels out.
    region.starts_with(|c: char| c.is_ascii_lowercase())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !region.ends_with('-')
}

/// Why a certificate fetch failed, in the fetcher's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// The future a [`CertFetcher`] returns: the PEM bytes of the certificate.
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, FetchError>> + Send + 'a>>;

/// Fetches a certificate over HTTPS. The service implements it (reqwest); tests count calls.
/// Only called with URLs that passed [`check_signing_cert_url`].
pub trait CertFetcher: Send + Sync {
    /// Fetches the PEM at `url`.
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a>;
}

/// A fetcher that never fetches, for setups that only use trusted test certificates.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFetch;

impl CertFetcher for NoFetch {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        let url = url.to_owned();
        Box::pin(async move { Err(FetchError(format!("fetching disabled: {url}"))) })
    }
}

/// The DER SubjectPublicKeyInfo of a PEM certificate.
pub fn public_key_from_pem(pem: &[u8]) -> Result<Vec<u8>, SnsError> {
    let cert = Certificate::from_pem(pem).map_err(|e| SnsError::BadCertificate(e.to_string()))?;
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| SnsError::BadCertificate(e.to_string()))
}

/// A certificate's RSA key, parsed once for each signature version (parsing the DER on every
/// message would cost as much as the check itself).
#[derive(Debug)]
struct SigningKey {
    v1: ParsedPublicKey,
    v2: ParsedPublicKey,
}

impl SigningKey {
    fn from_pem(pem: &[u8]) -> Result<Self, SnsError> {
        let spki = public_key_from_pem(pem)?;
        let parse = |algorithm: &'static signature::RsaParameters| {
            ParsedPublicKey::new(algorithm, &spki)
                .map_err(|e| SnsError::BadCertificate(format!("not an RSA 2048–8192 key: {e}")))
        };
        Ok(Self {
            v1: parse(&signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY)?,
            v2: parse(&signature::RSA_PKCS1_2048_8192_SHA256)?,
        })
    }
}

/// SNS `SignatureVersion`s this crate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// Verifies SNS signatures, caching each certificate's public key by URL.
pub struct SnsVerifier {
    fetcher: Arc<dyn CertFetcher>,
    trusted: HashMap<String, Arc<SigningKey>>,
    cache: RwLock<HashMap<String, Arc<SigningKey>>>,
}

impl std::fmt::Debug for SnsVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnsVerifier")
            .field("trusted", &self.trusted.keys().collect::<Vec<_>>())
            .field("cached", &self.cached_count())
            .finish()
    }
}

impl SnsVerifier {
    /// A verifier that fetches AWS certificates through `fetcher`.
    pub fn new(fetcher: Arc<dyn CertFetcher>) -> Self {
        Self {
            fetcher,
            trusted: HashMap::new(),
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Trusts the PEM certificate `pem` for messages whose `SigningCertURL` is exactly `url`
    /// (configured for tests; such a URL is never fetched and need not be an AWS host).
    pub fn with_trusted_cert(
        mut self,
        url: impl Into<String>,
        pem: &[u8],
    ) -> Result<Self, SnsError> {
        let key = SigningKey::from_pem(pem)?;
        self.trusted.insert(url.into(), Arc::new(key));
        Ok(self)
    }

    /// How many fetched certificates are cached.
    pub fn cached_count(&self) -> usize {
        self.cache.read().map(|c| c.len()).unwrap_or(0)
    }

    /// The public key for a cert URL when known without fetching (trusted or cached).
    fn known_key(&self, url: &str) -> Option<Arc<SigningKey>> {
        if let Some(key) = self.trusted.get(url) {
            return Some(key.clone());
        }
        self.cache.read().ok().and_then(|c| c.get(url).cloned())
    }

    /// Checks what can be checked before any key is needed, and returns the algorithm, the
    /// decoded signature and the cert URL.
    fn precheck<'e>(
        &self,
        envelope: &'e SnsEnvelope,
    ) -> Result<(Version, Vec<u8>, &'e str), SnsError> {
        let (Some(version), Some(sig), Some(url)) = (
            envelope.signature_version.as_deref(),
            envelope.signature.as_deref(),
            envelope.signing_cert_url.as_deref(),
        ) else {
            return Err(SnsError::Unsigned);
        };
        if sig.is_empty() || url.is_empty() {
            return Err(SnsError::Unsigned);
        }
        let version = match version {
            "1" => Version::V1,
            "2" => Version::V2,
            other => return Err(SnsError::UnsupportedSignatureVersion(other.to_owned())),
        };
        if !self.trusted.contains_key(url) {
            check_signing_cert_url(url)?;
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .map_err(|_| SnsError::BadSignature)?;
        Ok((version, signature, url))
    }

    /// Verifies `envelope`'s signature, fetching (and caching) its certificate when needed.
    pub async fn verify(&self, envelope: &SnsEnvelope) -> Result<(), SnsError> {
        let (version, sig, url) = self.precheck(envelope)?;
        let key = match self.known_key(url) {
            Some(key) => key,
            None => {
                let pem = self
                    .fetcher
                    .fetch(url)
                    .await
                    .map_err(|e| SnsError::CertFetch(e.0))?;
                let key = Arc::new(SigningKey::from_pem(&pem)?);
                if let Ok(mut cache) = self.cache.write() {
                    cache.insert(url.to_owned(), key.clone());
                }
                key
            }
        };
        check(version, &key, envelope, &sig)
    }

    /// Verifies without fetching: `None` when the certificate is neither trusted nor cached
    /// (then call [`SnsVerifier::verify`]). The hot path once the cache is warm.
    pub fn verify_cached(&self, envelope: &SnsEnvelope) -> Option<Result<(), SnsError>> {
        let (version, sig, url) = match self.precheck(envelope) {
            Ok(parts) => parts,
            Err(e) => return Some(Err(e)),
        };
        let key = self.known_key(url)?;
        Some(check(version, &key, envelope, &sig))
    }
}

fn check(
    version: Version,
    key: &SigningKey,
    envelope: &SnsEnvelope,
    sig: &[u8],
) -> Result<(), SnsError> {
    let key = match version {
        Version::V1 => &key.v1,
        Version::V2 => &key.v2,
    };
    key.verify_sig(envelope.string_to_sign().as_bytes(), sig)
        .map_err(|_| SnsError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_urls_must_be_https_on_an_sns_host() {
        for ok in [
            "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:111122223333:t&Token=abc",
            "https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription&Token=x",
            "https://sns.eu-west-1.amazonaws.com:443/?Action=ConfirmSubscription",
        ] {
            assert_eq!(check_subscribe_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
            "https://sns.us-east-1.amazonaws.com:8443/?Action=ConfirmSubscription",
            "https://user@sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
            "https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription",
            "https://sns.evil.example.amazonaws.com/?Action=ConfirmSubscription",
            "https://sqs.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
            "https://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:8080/?Action=ConfirmSubscription",
            "not a url",
        ] {
            assert_eq!(
                check_subscribe_url(bad),
                Err(SnsError::ForeignSubscribeUrl(bad.to_owned())),
                "{bad}"
            );
        }
    }
}
