//! Why a request failed SigV4 verification, worded the way AWS words it.
//!
//! The texts follow what AWS services actually send (recorded responses quoted in public
//! emulators and issue threads), with `ses-spec.md` §3 for the codes. Where a message ends in
//! `". "` (a trailing space) that is AWS's own formatting: it builds these messages by
//! concatenating sentences.

use bounceguard_core::{ErrorCode, SesError};

/// The one text SES sends for every failed signature comparison (`ses-spec.md` §1.8).
pub const SIGNATURE_MISMATCH_TEXT: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// A SigV4 verification failure; [`SigV4Error::code`] gives the SES code, `Display` the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// Neither an `Authorization` header nor an `X-Amz-Algorithm` query parameter.
    #[error("Request is missing Authentication Token")]
    MissingAuthentication,
    /// The request carries header auth and presigned query auth at once.
    #[error(
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    )]
    BothAuthForms,
    /// The auth data is malformed or incomplete; the text is AWS's wording for the defect.
    #[error("{0}")]
    Incomplete(String),
    /// The request time is more than the allowed skew before now.
    #[error("{0}")]
    Expired(String),
    /// The request time is more than the allowed skew after now.
    #[error("{0}")]
    NotYetCurrent(String),
    /// A presigned request is past its `X-Amz-Expires`.
    #[error("Request has expired.")]
    PresignExpired,
    /// Neither `host` nor `:authority` is among the signed headers.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,
    /// The credential scope names the wrong date, region, service or terminator.
    #[error("{0}")]
    Scope(String),
    /// The access key id is not known.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    /// The signature does not match the one computed from the request and the secret.
    #[error("{}", SIGNATURE_MISMATCH_TEXT)]
    Mismatch,
    /// `X-Amz-Content-SHA256` does not hash the body that arrived.
    #[error("{}", SIGNATURE_MISMATCH_TEXT)]
    PayloadHashMismatch,
}

impl SigV4Error {
    /// The SES error code this failure is reported with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingAuthentication => ErrorCode::MissingAuthenticationToken,
            Self::Incomplete(_) => ErrorCode::IncompleteSignature,
            Self::UnknownAccessKey => ErrorCode::InvalidClientTokenId,
            Self::PresignExpired => ErrorCode::RequestExpired,
            Self::BothAuthForms
            | Self::Expired(_)
            | Self::NotYetCurrent(_)
            | Self::HostNotSigned
            | Self::Scope(_)
            | Self::Mismatch
            | Self::PayloadHashMismatch => ErrorCode::SignatureDoesNotMatch,
        }
    }

    /// The message text sent to the client (same as `to_string()`).
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl From<SigV4Error> for SesError {
    fn from(e: SigV4Error) -> Self {
        SesError::new(e.code(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_spec_table() {
        let cases = [
            (
                SigV4Error::MissingAuthentication,
                "MissingAuthenticationToken",
                403,
            ),
            (
                SigV4Error::Incomplete("x".into()),
                "IncompleteSignature",
                400,
            ),
            (SigV4Error::UnknownAccessKey, "InvalidClientTokenId", 403),
            (SigV4Error::Mismatch, "SignatureDoesNotMatch", 403),
            (SigV4Error::Scope("x".into()), "SignatureDoesNotMatch", 403),
            (SigV4Error::HostNotSigned, "SignatureDoesNotMatch", 403),
            (SigV4Error::BothAuthForms, "SignatureDoesNotMatch", 403),
            (SigV4Error::PresignExpired, "RequestExpired", 400),
        ];
        for (err, code, status) in cases {
            let ses = SesError::from(err.clone());
            assert_eq!(ses.code.v1_code(), code, "{err:?}");
            assert_eq!(ses.code.v1_status(), status, "{err:?}");
            assert_eq!(ses.message, err.to_string());
        }
    }

    #[test]
    fn fixed_texts_are_aws_wording() {
        assert_eq!(
            SigV4Error::Mismatch.to_string(),
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details."
        );
        assert_eq!(
            SigV4Error::UnknownAccessKey.to_string(),
            "The security token included in the request is invalid."
        );
        assert_eq!(
            SigV4Error::MissingAuthentication.to_string(),
            "Request is missing Authentication Token"
        );
    }
}
