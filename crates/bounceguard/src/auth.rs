//! Who is calling: SigV4 verification against `[[credentials]]`, or the open mode.

use std::collections::HashMap;
use std::net::IpAddr;

use bounceguard_core::{ErrorCode, SesError};
use bounceguard_sigv4::{SignedRequest, Verifier};
use chrono::{DateTime, Utc};

use crate::config::Config;

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The access key id the request was signed with (or claimed, in open mode).
    pub access_key_id: String,
    /// The IAM principal ARN (`arn:aws:iam::<account>:user/<name>`).
    pub principal: String,
    /// The peer address, when known.
    pub source_ip: Option<IpAddr>,
    /// The `User-Agent` header, when given.
    pub user_agent: Option<String>,
}

struct Key {
    secret: String,
    principal: String,
}

/// Authenticates SES requests as the configuration says.
pub struct Authenticator {
    account_id: String,
    enforce: bool,
    keys: HashMap<String, Key>,
    verifier: Verifier,
}

impl Authenticator {
    /// Builds the authenticator of a configuration.
    pub fn new(config: &Config) -> Self {
        let keys = config
            .credentials
            .iter()
            .map(|c| {
                let principal = c.principal.clone().unwrap_or_else(|| {
                    format!(
                        "arn:aws:iam::{}:user/{}",
                        config.account_id, c.access_key_id
                    )
                });
                (
                    c.access_key_id.clone(),
                    Key {
                        secret: c.secret_access_key.clone(),
                        principal,
                    },
                )
            })
            .collect();
        Self {
            account_id: config.account_id.clone(),
            enforce: config.sigv4_enforced(),
            keys,
            verifier: Verifier::new(&config.region, "ses"),
        }
    }

    /// Verifies one request; in open mode only names the caller from its access key id.
    pub fn authenticate(
        &self,
        request: &SignedRequest<'_>,
        now: DateTime<Utc>,
        source_ip: Option<IpAddr>,
    ) -> Result<Caller, SesError> {
        let user_agent = request
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if !self.enforce {
            let access_key_id = claimed_access_key(request).unwrap_or_else(|| "anonymous".into());
            let principal = match self.keys.get(&access_key_id) {
                Some(key) => key.principal.clone(),
                None => format!("arn:aws:iam::{}:user/{access_key_id}", self.account_id),
            };
            return Ok(Caller {
                access_key_id,
                principal,
                source_ip,
                user_agent,
            });
        }
        let verified = self
            .verifier
            .verify(request, now, |id| {
                self.keys.get(id).map(|k| k.secret.as_str())
            })
            .map_err(SesError::from)?;
        let key = self.keys.get(&verified.access_key_id).ok_or_else(|| {
            SesError::new(
                ErrorCode::InvalidClientTokenId,
                "The security token included in the request is invalid.",
            )
        })?;
        Ok(Caller {
            access_key_id: verified.access_key_id,
            principal: key.principal.clone(),
            source_ip,
            user_agent,
        })
    }
}

/// The access key id named in the Authorization header or presigned query, unverified.
fn claimed_access_key(request: &SignedRequest<'_>) -> Option<String> {
    let from_header = request
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|rest| rest.split('/').next());
    let from_query = || {
        request.query.and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("X-Amz-Credential="))
                .and_then(|v| v.split("%2F").next())
        })
    };
    from_header
        .or_else(from_query)
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_string)
}
