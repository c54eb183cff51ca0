//! The identities' sending-authorization policies in the real SES account, through the same SDK
//! client settings as the SES transport (issue 7, item 4: `bounceguard policy pull|push|diff`).
//!
//! A thin facade over five SES v2 operations, so the command line never sees the SDK:
//! `ListEmailIdentities`, `GetEmailIdentityPolicies`, `CreateEmailIdentityPolicy`,
//! `UpdateEmailIdentityPolicy` and `DeleteEmailIdentityPolicy`. The SDK's own standard retries
//! stay on here: these are rare, idempotent-enough administrative calls, not the send path.

use std::collections::BTreeMap;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};

/// An SES policy call that failed: the operation, SES's error code (when SES answered) and text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SES {operation} failed: {}{message}", code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default())]
pub struct PolicyApiError {
    /// The SES v2 operation, e.g. `CreateEmailIdentityPolicy`.
    pub operation: &'static str,
    /// SES's error code (`NotFoundException`, `BadRequestException`, …); `None` when the request
    /// never got an SES answer (connection refused, no credentials).
    pub code: Option<String>,
    /// SES's message, or what went wrong before SES answered.
    pub message: String,
}

impl PolicyApiError {
    fn of<E>(operation: &'static str, error: SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match error {
            SdkError::ServiceError(context) => {
                let err = context.err();
                Self {
                    operation,
                    code: err.code().map(str::to_owned),
                    message: err.message().unwrap_or("no message").to_owned(),
                }
            }
            other => {
                // The SDK's Display is terse ("dispatch failure"); the source chain says why.
                let mut message = other.to_string();
                let mut source = std::error::Error::source(&other);
                while let Some(e) = source {
                    message.push_str(": ");
                    message.push_str(&e.to_string());
                    source = e.source();
                }
                Self {
                    operation,
                    code: None,
                    message,
                }
            }
        }
    }
}

/// The sending-authorization policies of an SES account, through SES v2.
#[derive(Debug, Clone)]
pub struct SesPolicies {
    client: Client,
}

impl SesPolicies {
    /// A client with the standard credential chain (environment, profile, web identity,
    /// container and instance roles), `region`, and `endpoint_url` when given (the same settings
    /// as [`crate::SesTransport::from_env`]).
    pub async fn from_env(region: &str, endpoint_url: Option<&str>) -> Self {
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned()));
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        Self {
            client: Client::new(&sdk),
        }
    }

    /// Wraps an existing SDK client.
    pub fn from_client(client: Client) -> Self {
        Self { client }
    }

    /// Every email identity (address or domain) of the account, in SES's order, all pages.
    pub async fn list_identities(&self) -> Result<Vec<String>, PolicyApiError> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_email_identities()
                .set_next_token(token.take())
                .page_size(1000)
                .send()
                .await
                .map_err(|e| PolicyApiError::of("ListEmailIdentities", e))?;
            names.extend(
                page.email_identities()
                    .iter()
                    .filter_map(|i| i.identity_name().map(str::to_owned)),
            );
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return Ok(names),
            }
        }
    }

    /// The policies of `identity`: name → document, as SES stores them.
    pub async fn get(&self, identity: &str) -> Result<BTreeMap<String, String>, PolicyApiError> {
        let out = self
            .client
            .get_email_identity_policies()
            .email_identity(identity)
            .send()
            .await
            .map_err(|e| PolicyApiError::of("GetEmailIdentityPolicies", e))?;
        Ok(out
            .policies()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    /// Creates the policy `name` of `identity` (SES refuses an existing name).
    pub async fn create(
        &self,
        identity: &str,
        name: &str,
        document: &str,
    ) -> Result<(), PolicyApiError> {
        self.client
            .create_email_identity_policy()
            .email_identity(identity)
            .policy_name(name)
            .policy(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PolicyApiError::of("CreateEmailIdentityPolicy", e))
    }

    /// Replaces the document of the existing policy `name` of `identity`.
    pub async fn update(
        &self,
        identity: &str,
        name: &str,
        document: &str,
    ) -> Result<(), PolicyApiError> {
        self.client
            .update_email_identity_policy()
            .email_identity(identity)
            .policy_name(name)
            .policy(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PolicyApiError::of("UpdateEmailIdentityPolicy", e))
    }

    /// Deletes the policy `name` of `identity`.
    pub async fn delete(&self, identity: &str, name: &str) -> Result<(), PolicyApiError> {
        self.client
            .delete_email_identity_policy()
            .email_identity(identity)
            .policy_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PolicyApiError::of("DeleteEmailIdentityPolicy", e))
    }
}
