//! SMTP authentication: the trait the service implements, a ready credential table, and the
//! SES SMTP password derivation.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A boxed, sendable future: what the dyn-compatible traits of this crate return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Checks the username and password of AUTH PLAIN / AUTH LOGIN.
///
/// Boxed futures keep the trait dyn-compatible, so the service can hand in an
/// `Arc<dyn Authenticator>` backed by its credential store.
pub trait Authenticator: Send + Sync {
    /// The principal (e.g. the IAM user ARN the credential stands for) when the pair is valid,
    /// `None` otherwise. The session answers `535 Authentication Credentials Invalid` on `None`.
    fn authenticate<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Option<String>>;
}

/// The version byte AWS puts in front of an SES SMTP password.
const SES_SMTP_PASSWORD_VERSION: u8 = 0x04;

type HmacSha256 = Hmac<Sha256>;

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The SES SMTP password for a secret access key in a region, by AWS's documented algorithm
/// ("Obtaining Amazon SES SMTP credentials"): an HMAC-SHA256 chain keyed with `"AWS4" + secret`
/// over `"11111111"`, the region, `"ses"`, `"aws4_request"` and `"SendRawEmail"`; the version
/// byte 0x04 is put in front and the result is base64-encoded.
pub fn ses_smtp_password(secret_access_key: &str, region: &str) -> String {
    let mut signature = hmac_sha256(format!("AWS4{secret_access_key}").as_bytes(), b"11111111");
    for message in [
        region.as_bytes(),
        b"ses".as_slice(),
        b"aws4_request".as_slice(),
        b"SendRawEmail".as_slice(),
    ] {
        signature = hmac_sha256(&signature, message);
    }
    let mut versioned = Vec::with_capacity(33);
    versioned.push(SES_SMTP_PASSWORD_VERSION);
    versioned.extend_from_slice(&signature);
    base64::engine::general_purpose::STANDARD.encode(versioned)
}

/// One credential the listener accepts.
#[derive(Debug, Clone)]
struct Credential {
    secret: String,
    principal: String,
}

/// An in-memory [`Authenticator`] over `[[credentials]]`: the username is the access key id, the
/// password is either the secret itself or the SES SMTP password derived from it for one of the
/// configured regions, as the issue asks.
#[derive(Debug, Clone, Default)]
pub struct CredentialTable {
    credentials: HashMap<String, Credential>,
    regions: Vec<String>,
}

impl CredentialTable {
    /// An empty table that accepts derived SES SMTP passwords for the given regions.
    pub fn new(regions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            credentials: HashMap::new(),
            regions: regions.into_iter().map(Into::into).collect(),
        }
    }

    /// Adds (or replaces) the credential of an access key id.
    pub fn insert(
        &mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        principal: impl Into<String>,
    ) {
        self.credentials.insert(
            access_key_id.into(),
            Credential {
                secret: secret_access_key.into(),
                principal: principal.into(),
            },
        );
    }

    /// The principal of `username` when `password` is its secret or a derived SMTP password.
    pub fn check(&self, username: &str, password: &str) -> Option<String> {
        let credential = self.credentials.get(username)?;
        let given = password.as_bytes();
        // Every candidate is compared, in constant time, so the answer time does not tell which
        // form (or how much of it) matched.
        let mut matched = credential.secret.as_bytes().ct_eq(given);
        for region in &self.regions {
            let derived = ses_smtp_password(&credential.secret, region);
            matched |= derived.as_bytes().ct_eq(given);
        }
        bool::from(matched).then(|| credential.principal.clone())
    }
}

impl Authenticator for CredentialTable {
    fn authenticate<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(std::future::ready(self.check(username, password)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed independently with Python's standard library, following AWS's
    // published script (smtp_credentials_generate.py):
    //
    //   import hmac, hashlib, base64
    //   def sign(k, m): return hmac.new(k, m.encode(), hashlib.sha256).digest()
    //   s = sign(("AWS4" + secret).encode(), "11111111")
    //   for m in (region, "ses", "aws4_request", "SendRawEmail"): s = sign(s, m)
    //   base64.b64encode(bytes([4]) + s).decode()
    //
    // with secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" (AWS's documentation example key).
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn ses_smtp_password_matches_python_reference_us_east_1() {
        assert_eq!(
            ses_smtp_password(SECRET, "us-east-1"),
            "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"
        );
    }

    #[test]
    fn ses_smtp_password_depends_on_region() {
        assert_eq!(
            ses_smtp_password(SECRET, "eu-west-1"),
            "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk"
        );
    }

    #[test]
    fn derived_password_starts_with_version_byte() {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(ses_smtp_password("x", "us-west-2"))
            .unwrap_or_default();
        assert_eq!(raw.len(), 33);
        assert_eq!(raw[0], 0x04);
    }

    #[test]
    fn table_accepts_secret_and_derived_password_only() {
        let mut table = CredentialTable::new(["us-east-1"]);
        table.insert("AKIDEXAMPLE", SECRET, "arn:aws:iam::111122223333:user/app");
        let principal = Some("arn:aws:iam::111122223333:user/app".to_owned());
        assert_eq!(table.check("AKIDEXAMPLE", SECRET), principal);
        assert_eq!(
            table.check(
                "AKIDEXAMPLE",
                "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"
            ),
            principal
        );
        // A password derived for a region the table was not given is refused.
        assert_eq!(
            table.check(
                "AKIDEXAMPLE",
                "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk"
            ),
            None
        );
        assert_eq!(table.check("AKIDEXAMPLE", "wrong"), None);
        assert_eq!(table.check("OTHER", SECRET), None);
    }
}
