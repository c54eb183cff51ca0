//! The SES transport: SES v2 `SendEmail` with `Content.Raw` through the official SDK.
//!
//! The message goes as raw MIME with an explicit `Destination` holding only the `deliver`
//! recipients, so SES sends to the envelope we chose, not to whatever the To/Cc/Bcc headers
//! list. The SDK's retries are off; [`crate::retry`] retries with our budget instead.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, MessageTag, RawMessage};
use bounceguard_core::{ErrorCode, SesError};

use crate::retry::{Failure, RetryBudget, with_retries};
use crate::{BoxFuture, DeliveryError, Outgoing, Sent, Transport};

/// Where the SES transport sends and how hard it tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesConfig {
    /// The SES region, e.g. `eu-west-1`.
    pub region: String,
    /// Another endpoint than the region's (a VPC endpoint, moto in tests).
    pub endpoint_url: Option<String>,
    /// Our retry budget; the SDK's own retries are off.
    pub retry: RetryBudget,
}

/// Sends through SES v2 `SendEmail` (raw content); returns SES's own MessageId.
#[derive(Debug, Clone)]
pub struct SesTransport {
    client: Client,
    retry: RetryBudget,
}

impl SesTransport {
    /// Builds the transport with the standard credential chain (environment, profile, web
    /// identity, container and instance roles), the configured region and endpoint.
    pub async fn from_env(config: &SesConfig) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()));
        if let Some(url) = &config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        Self::from_sdk_config(&sdk, config.retry)
    }

    /// Builds the transport from an already loaded SDK config (region, credentials, endpoint),
    /// turning the SDK's own retries off.
    pub fn from_sdk_config(sdk: &SdkConfig, retry: RetryBudget) -> Self {
        let conf = aws_sdk_sesv2::config::Builder::from(sdk)
            .retry_config(RetryConfig::disabled())
            .build();
        Self {
            client: Client::from_conf(conf),
            retry,
        }
    }

    /// The SDK client, e.g. for identity and policy operations against the same account.
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn deliver(&self, msg: &Outgoing) -> Result<Sent, DeliveryError> {
        if msg.recipients.is_empty() {
            return Err(DeliveryError::refused(SesError::rejected(
                "There are no recipients specified.",
            )));
        }
        let raw = RawMessage::builder()
            .data(Blob::new(msg.raw.to_vec()))
            .build()
            .map_err(|e| DeliveryError::refused(SesError::invalid(e.to_string())))?;
        let content = EmailContent::builder().raw(raw).build();
        let destination = Destination::builder()
            .set_to_addresses(Some(msg.recipients.clone()))
            .build();
        let tags = msg
            .tags
            .iter()
            .map(|(name, value)| MessageTag::builder().name(name).value(value).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DeliveryError::refused(SesError::invalid(e.to_string())))?;
        let request = self
            .client
            .send_email()
            .from_email_address(&msg.from)
            .destination(destination)
            .content(content)
            .set_configuration_set_name(msg.configuration_set.clone())
            .set_email_tags((!tags.is_empty()).then_some(tags));

        let (output, attempts) = with_retries(&self.retry, fastrand::f64, || {
            let request = request.clone();
            async move { request.send().await.map_err(|e| failure_of(&e)) }
        })
        .await?;
        let message_id = match output.message_id {
            Some(id) => id,
            None => {
                // SES always returns one; if not, the mail is out anyway, so keep ours rather
                // than failing a sent message (the client would send it again).
                tracing::warn!(hint = %msg.message_id_hint, "SES returned no MessageId");
                msg.message_id_hint.clone()
            }
        };
        Ok(Sent {
            message_id,
            attempts,
        })
    }
}

impl Transport for SesTransport {
    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Sent, DeliveryError>> {
        Box::pin(self.deliver(msg))
    }

    fn name(&self) -> &'static str {
        "ses"
    }
}

/// Classifies one failed SDK call.
fn failure_of(error: &SdkError<SendEmailError>) -> Failure {
    let (error, retryable) = match error {
        SdkError::ServiceError(context) => classify_ses_error(
            context.err().code(),
            Some(context.raw().status().as_u16()),
            context.err().message(),
        ),
        SdkError::TimeoutError(_) => (unavailable(), true),
        SdkError::DispatchFailure(failure) => {
            if failure.is_timeout() || failure.is_io() {
                (unavailable(), true)
            } else {
                tracing::error!(?failure, "SES request could not be dispatched");
                (SesError::internal(), false)
            }
        }
        SdkError::ResponseError(context) => {
            let status = context.raw().status().as_u16();
            tracing::warn!(status, "SES answered with an unreadable response");
            (SesError::internal(), status == 429 || status >= 500)
        }
        other => {
            tracing::error!(error = ?other, "SES request failed");
            (SesError::internal(), false)
        }
    };
    Failure { error, retryable }
}

fn unavailable() -> SesError {
    SesError::new(
        ErrorCode::ServiceUnavailable,
        "Amazon SES could not be reached.",
    )
}

/// Maps an SES error (its `x-amzn-ErrorType`/`Code`, HTTP status and message) to our
/// [`SesError`] and whether another attempt may succeed.
///
/// The code is taken up to the first `:` (ses-spec §2.7). Throttling (`TooManyRequestsException`,
/// v1 `Throttling`), HTTP 429 and every 5xx are retryable; everything else is returned at once.
/// Errors about *our* credentials become `InternalFailure` (the client cannot fix them; the
/// detail is logged).
pub fn classify_ses_error(
    code: Option<&str>,
    status: Option<u16>,
    message: Option<&str>,
) -> (SesError, bool) {
    let code = code.map(|c| c.split(':').next().unwrap_or(c).trim());
    let status = status.unwrap_or(400);
    let text = message.or(code).unwrap_or("Unknown error").to_owned();
    let by_status_retryable = status == 429 || status >= 500;
    let (error, retryable) = match code.unwrap_or("") {
        "MessageRejected" => (SesError::rejected(text), false),
        "MailFromDomainNotVerifiedException" | "MailFromDomainNotVerified" => (
            SesError::new(ErrorCode::MailFromDomainNotVerified, text),
            false,
        ),
        "AccountSuspendedException" => (SesError::new(ErrorCode::AccountSuspended, text), false),
        "SendingPausedException"
        | "AccountSendingPausedException"
        | "ConfigurationSetSendingPausedException" => {
            (SesError::new(ErrorCode::SendingPaused, text), false)
        }
        "TooManyRequestsException" | "Throttling" | "ThrottlingException" => {
            (SesError::new(ErrorCode::Throttling, text), true)
        }
        "LimitExceededException" | "LimitExceeded" => {
            (SesError::new(ErrorCode::LimitExceeded, text), false)
        }
        "BadRequestException"
        | "InvalidParameterValue"
        | "ValidationError"
        | "ValidationException" => (SesError::invalid(text), false),
        "NotFoundException" if text.contains("onfiguration set") => (
            SesError::new(ErrorCode::ConfigurationSetDoesNotExist, text),
            false,
        ),
        "NotFoundException" => (SesError::new(ErrorCode::NotFound, text), false),
        "ConfigurationSetDoesNotExist" | "ConfigurationSetDoesNotExistException" => (
            SesError::new(ErrorCode::ConfigurationSetDoesNotExist, text),
            false,
        ),
        "AccessDeniedException" | "AccessDenied" => {
            (SesError::new(ErrorCode::AccessDenied, text), false)
        }
        "InternalServiceErrorException" | "InternalFailure" | "InternalServerError" => {
            (SesError::internal(), true)
        }
        "ServiceUnavailable" | "ServiceUnavailableException" => {
            (SesError::new(ErrorCode::ServiceUnavailable, text), true)
        }
        "InvalidSignatureException"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "InvalidClientTokenId"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "ExpiredToken"
        | "ExpiredTokenException" => {
            tracing::error!(code = ?code, %text, "SES refused bounceguard's own credentials");
            (SesError::internal(), false)
        }
        _ if status == 429 => (SesError::new(ErrorCode::Throttling, text), true),
        _ if status >= 500 => (SesError::internal(), true),
        _ => (SesError::rejected(text), false),
    };
    (error, retryable || by_status_retryable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(code: &str, status: u16, message: &str) -> (ErrorCode, String, bool) {
        let (e, retry) = classify_ses_error(Some(code), Some(status), Some(message));
        (e.code, e.message, retry)
    }

    #[test]
    fn throttling_is_retryable_with_ses_text() {
        assert_eq!(
            classify(
                "TooManyRequestsException",
                429,
                "Maximum sending rate exceeded."
            ),
            (
                ErrorCode::Throttling,
                "Maximum sending rate exceeded.".to_owned(),
                true
            )
        );
        assert_eq!(
            classify("Throttling", 400, "Daily message quota exceeded.").0,
            ErrorCode::Throttling
        );
    }

    #[test]
    fn code_suffix_after_colon_is_ignored() {
        let (code, _, retry) = classify(
            "MessageRejected:http://internal.amazon.com/coral/com.amazonaws.sesv2/",
            400,
            "Email address is not verified.",
        );
        assert_eq!(code, ErrorCode::MessageRejected);
        assert!(!retry);
    }

    #[test]
    fn permanent_send_errors_map_to_our_codes() {
        // Mapped back to the same code on each front (ses-spec §2.7, SendEmail errors).
        let mail_from = classify("MailFromDomainNotVerifiedException", 400, "x").0;
        assert_eq!(mail_from, ErrorCode::MailFromDomainNotVerified);
        assert_eq!(mail_from.v2_code(), "MailFromDomainNotVerifiedException");
        assert_eq!(mail_from.v1_code(), "MailFromDomainNotVerifiedException");
        let suspended = classify("AccountSuspendedException", 400, "x").0;
        assert_eq!(suspended, ErrorCode::AccountSuspended);
        assert_eq!(suspended.v2_code(), "AccountSuspendedException");
        assert_eq!(suspended.v2_status(), 400);
        assert_eq!(
            classify("SendingPausedException", 400, "x").0,
            ErrorCode::SendingPaused
        );
        assert_eq!(
            classify("LimitExceededException", 400, "x").0,
            ErrorCode::LimitExceeded
        );
        assert_eq!(
            classify("BadRequestException", 400, "x").0,
            ErrorCode::InvalidParameterValue
        );
        assert_eq!(
            classify(
                "NotFoundException",
                404,
                "Configuration set tx does not exist."
            )
            .0,
            ErrorCode::ConfigurationSetDoesNotExist
        );
        for code in [
            "MailFromDomainNotVerifiedException",
            "AccountSuspendedException",
            "LimitExceededException",
            "BadRequestException",
            "NotFoundException",
        ] {
            assert!(!classify(code, 400, "x").2, "{code} must not be retried");
        }
    }

    #[test]
    fn server_faults_are_retryable_and_hide_detail() {
        let (code, message, retry) = classify("InternalServiceErrorException", 500, "stack trace");
        assert_eq!(code, ErrorCode::InternalFailure);
        assert!(!message.contains("stack trace"));
        assert!(retry);
        // An unknown code with a 503 is retried too.
        assert!(classify("Weird", 503, "x").2);
        assert!(classify("Weird", 429, "x").2);
        assert!(!classify("Weird", 400, "x").2);
    }

    #[tokio::test]
    async fn from_env_sets_region_and_turns_sdk_retries_off() {
        let ses = SesTransport::from_env(&SesConfig {
            region: "eu-west-1".to_owned(),
            endpoint_url: Some("http://127.0.0.1:9".to_owned()),
            retry: RetryBudget::default(),
        })
        .await;
        let config = ses.client().config();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        // RetryConfig::disabled() is a single attempt: only our loop retries.
        assert_eq!(config.retry_config().map(|r| r.max_attempts()), Some(1));
        assert_eq!(ses.name(), "ses");
    }

    #[test]
    fn our_credential_errors_are_internal_and_final() {
        let (code, message, retry) = classify(
            "UnrecognizedClientException",
            403,
            "The security token is invalid.",
        );
        assert_eq!(code, ErrorCode::InternalFailure);
        assert_ne!(message, "The security token is invalid.");
        assert!(!retry);
    }
}
