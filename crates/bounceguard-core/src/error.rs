//! The one error type of the domain, carrying an SES error code.
//!
//! Each variant of [`ErrorCode`] names one SES failure. The protocol fronts turn it into bytes:
//! the v1 front into `ErrorResponse` XML with [`ErrorCode::v1_code`] and [`ErrorCode::v1_status`],
//! the v2 front into JSON with an `x-amzn-ErrorType` header from [`ErrorCode::v2_code`] and
//! [`ErrorCode::v2_status`]. The wire codes follow `ses-spec.md` §1.8 and §2.7.

use std::fmt;

/// An SES failure kind; the wire code and HTTP status follow from it per API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The message was refused (unverified sender, no recipients, too large…).
    MessageRejected,
    /// A parameter has a value SES does not accept (address syntax, tags, limits).
    InvalidParameterValue,
    /// A required parameter is absent.
    MissingParameter,
    /// The request does not name a known action.
    InvalidAction,
    /// The request names no action at all.
    MissingAction,
    /// Generic input validation failure (AWS common error).
    ValidationError,
    /// Denied by IAM or a sending-authorization policy.
    AccessDenied,
    /// Sending rate or daily quota exceeded.
    Throttling,
    /// The named resource does not exist.
    NotFound,
    /// The resource exists already.
    AlreadyExists,
    /// A resource limit would be exceeded.
    LimitExceeded,
    /// A sending-authorization policy is malformed or not allowed.
    InvalidPolicy,
    /// A pagination token is not one this server issued.
    InvalidNextToken,
    /// The SigV4 signature did not verify, or its date or scope is wrong.
    SignatureDoesNotMatch,
    /// The access key id is unknown.
    InvalidClientTokenId,
    /// The Authorization header is malformed.
    IncompleteSignature,
    /// The request carries no authentication at all.
    MissingAuthenticationToken,
    /// A presigned request is past its expiry.
    RequestExpired,
    /// The configuration set named in the request does not exist.
    ConfigurationSetDoesNotExist,
    /// Sending is disabled for the account.
    SendingPaused,
    /// The custom MAIL FROM domain is not verified (its MX record is not readable); SES's code
    /// keeps the `Exception` suffix on both APIs.
    MailFromDomainNotVerified,
    /// The account is permanently restricted from sending (v2 `AccountSuspendedException`).
    AccountSuspended,
    /// The server failed; not the caller's fault.
    InternalFailure,
    /// The server cannot take the request now (shutting down, overloaded).
    ServiceUnavailable,
}

impl ErrorCode {
    /// The `<Code>` of a v1 (Query/XML) `ErrorResponse`.
    pub fn v1_code(self) -> &'static str {
        match self {
            Self::MessageRejected => "MessageRejected",
            Self::InvalidParameterValue | Self::NotFound | Self::InvalidNextToken => {
                "InvalidParameterValue"
            }
            Self::MissingParameter => "MissingParameter",
            Self::InvalidAction => "InvalidAction",
            Self::MissingAction => "MissingAction",
            Self::ValidationError => "ValidationError",
            Self::AccessDenied => "AccessDenied",
            Self::Throttling => "Throttling",
            Self::AlreadyExists => "AlreadyExists",
            Self::LimitExceeded => "LimitExceeded",
            Self::InvalidPolicy => "InvalidPolicy",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::IncompleteSignature => "IncompleteSignature",
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::RequestExpired => "RequestExpired",
            Self::ConfigurationSetDoesNotExist => "ConfigurationSetDoesNotExist",
            Self::SendingPaused => "AccountSendingPausedException",
            Self::MailFromDomainNotVerified => "MailFromDomainNotVerifiedException",
            // v1 has no code of its own for a suspended account: sending is paused there.
            Self::AccountSuspended => "AccountSendingPausedException",
            Self::InternalFailure => "InternalFailure",
            Self::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// The HTTP status of a v1 error.
    pub fn v1_status(self) -> u16 {
        match self {
            Self::AccessDenied
            | Self::SignatureDoesNotMatch
            | Self::InvalidClientTokenId
            | Self::MissingAuthenticationToken => 403,
            Self::InternalFailure => 500,
            Self::ServiceUnavailable => 503,
            _ => 400,
        }
    }

    /// The `x-amzn-ErrorType` of a v2 (REST/JSON) error, the name the SDKs map to a typed error.
    pub fn v2_code(self) -> &'static str {
        match self {
            Self::MessageRejected => "MessageRejected",
            Self::InvalidParameterValue
            | Self::MissingParameter
            | Self::InvalidAction
            | Self::MissingAction
            | Self::ValidationError
            | Self::InvalidPolicy => "BadRequestException",
            Self::AccessDenied => "AccessDeniedException",
            Self::Throttling => "TooManyRequestsException",
            Self::NotFound | Self::ConfigurationSetDoesNotExist => "NotFoundException",
            Self::AlreadyExists => "AlreadyExistsException",
            Self::LimitExceeded => "LimitExceededException",
            Self::InvalidNextToken => "InvalidNextTokenException",
            Self::SignatureDoesNotMatch | Self::RequestExpired => "InvalidSignatureException",
            Self::InvalidClientTokenId => "UnrecognizedClientException",
            Self::IncompleteSignature => "IncompleteSignatureException",
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::SendingPaused => "SendingPausedException",
            Self::MailFromDomainNotVerified => "MailFromDomainNotVerifiedException",
            Self::AccountSuspended => "AccountSuspendedException",
            Self::InternalFailure => "InternalServiceErrorException",
            Self::ServiceUnavailable => "ServiceUnavailableException",
        }
    }

    /// The HTTP status of a v2 error.
    pub fn v2_status(self) -> u16 {
        match self {
            Self::AccessDenied
            | Self::SignatureDoesNotMatch
            | Self::RequestExpired
            | Self::InvalidClientTokenId
            | Self::MissingAuthenticationToken => 403,
            Self::NotFound | Self::ConfigurationSetDoesNotExist => 404,
            Self::Throttling => 429,
            Self::InternalFailure => 500,
            Self::ServiceUnavailable => 503,
            _ => 400,
        }
    }

    /// `Sender` for client faults, `Receiver` for server faults (the v1 `<Type>`).
    pub fn fault(self) -> &'static str {
        match self {
            Self::InternalFailure | Self::ServiceUnavailable => "Receiver",
            _ => "Sender",
        }
    }
}

/// An SES error: a code and the human message SES would send with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SesError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// The message text, as SES words it.
    pub message: String,
}

impl fmt::Display for SesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.v1_code(), self.message)
    }
}

impl SesError {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `InvalidParameterValue` with the given message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }

    /// `MissingParameter` for the named parameter, in AWS's common wording.
    pub fn missing(parameter: &str) -> Self {
        Self::new(
            ErrorCode::MissingParameter,
            format!("The request must contain the parameter {parameter}."),
        )
    }

    /// `MessageRejected` with the given message.
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MessageRejected, message)
    }

    /// `InternalFailure`; the detail is logged by the caller, never sent.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalFailure,
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_are_403_on_both_fronts() {
        for code in [
            ErrorCode::AccessDenied,
            ErrorCode::SignatureDoesNotMatch,
            ErrorCode::InvalidClientTokenId,
            ErrorCode::MissingAuthenticationToken,
        ] {
            assert_eq!(code.v1_status(), 403, "{code:?}");
            assert_eq!(code.v2_status(), 403, "{code:?}");
        }
    }

    #[test]
    fn v2_codes_are_the_model_shape_names() {
        assert_eq!(ErrorCode::NotFound.v2_code(), "NotFoundException");
        assert_eq!(ErrorCode::NotFound.v2_status(), 404);
        assert_eq!(ErrorCode::Throttling.v2_status(), 429);
        assert_eq!(ErrorCode::Throttling.v1_status(), 400);
        assert_eq!(ErrorCode::MissingParameter.v2_code(), "BadRequestException");
        assert_eq!(ErrorCode::InternalFailure.fault(), "Receiver");
        assert_eq!(ErrorCode::MessageRejected.fault(), "Sender");
    }
}
