//! SMTP replies: the ones the session sends itself and the mapping of SES errors to SES's SMTP texts.
//!
//! Texts come from AWS's page "SMTP response codes returned by Amazon SES" where it has one
//! (`235 Authentication successful`, `421 Too many concurrent SMTP connections`,
//! `451 Temporary service failure`, `451 Timeout waiting for data from client`,
//! `454 Throttling failure: …`, `500 Line too long`, `503 Bad sequence of commands`,
//! `504 Unrecognized authentication type`, `530 Authentication required`,
//! `535 Authentication Credentials Invalid`, `554 Access denied: …`, `554 Message rejected: …`),
//! recalled from the documentation, not captured from a live session. The rest are ours.

use std::fmt;

use bounceguard_core::{ErrorCode, SesError};

/// One SMTP reply: a three-digit code, an RFC 3463 enhanced status code and a one-line text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply code, e.g. 554.
    pub code: u16,
    /// The enhanced status code (`[5, 7, 1]` is `5.7.1`), written only when the listener
    /// advertises ENHANCEDSTATUSCODES.
    pub enhanced: Option<[u8; 3]>,
    /// The human text; control characters are replaced when the reply is written.
    pub text: String,
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render(true).trim_end())
    }
}

impl Reply {
    /// A reply with an enhanced status code.
    pub fn new(code: u16, enhanced: [u8; 3], text: impl Into<String>) -> Self {
        Self {
            code,
            enhanced: Some(enhanced),
            text: text.into(),
        }
    }

    /// A reply that never carries an enhanced status code (greeting, 334, 354, 220 STARTTLS).
    pub fn bare(code: u16, text: impl Into<String>) -> Self {
        Self {
            code,
            enhanced: None,
            text: text.into(),
        }
    }

    /// The reply as it goes on the wire, CRLF included. A reply is always one line: CR, LF and
    /// other control characters in the text (which may come from client input or a submitter)
    /// become spaces so that no text can inject a second reply.
    pub fn render(&self, with_enhanced: bool) -> String {
        let text: String = self
            .text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        match self.enhanced {
            Some([a, b, c]) if with_enhanced => format!("{} {a}.{b}.{c} {text}\r\n", self.code),
            _ => format!("{} {text}\r\n", self.code),
        }
    }

    /// Whether the reply is a permanent or transient failure (4xx or 5xx).
    pub fn is_failure(&self) -> bool {
        self.code >= 400
    }

    /// `250 Ok`, SES's answer to MAIL, RCPT, RSET and NOOP.
    pub fn ok() -> Self {
        Self::new(250, [2, 0, 0], "Ok")
    }

    /// `250 Ok <message id>`, SES's answer after the message text.
    pub fn queued(message_id: &str) -> Self {
        Self::new(250, [2, 0, 0], format!("Ok {message_id}"))
    }

    /// `451 Temporary service failure` (AWS-documented): the submitter failed for a reason that
    /// is not the client's fault.
    pub fn temporary_failure() -> Self {
        Self::new(451, [4, 3, 0], "Temporary service failure")
    }

    /// `454 Throttling failure: <detail>` (AWS-documented, ses-spec §9).
    pub fn throttling(detail: &str) -> Self {
        Self::new(454, [4, 7, 0], format!("Throttling failure: {detail}"))
    }

    /// `554 Access denied: <detail>` (ses-spec §1.8: the AccessDenied text with this prefix).
    pub fn access_denied(detail: &str) -> Self {
        Self::new(554, [5, 7, 1], format!("Access denied: {detail}"))
    }

    /// `554 Message rejected: <detail>` (AWS-documented for unverified identities).
    pub fn message_rejected(detail: &str) -> Self {
        Self::new(554, [5, 7, 1], format!("Message rejected: {detail}"))
    }

    /// `554 Transaction failed: <detail>`: any other refusal of the message. The prefix is the
    /// one SES uses for content errors over SMTP (recalled, **unconfirmed** for every case).
    pub fn transaction_failed(detail: &str) -> Self {
        Self::new(554, [5, 6, 0], format!("Transaction failed: {detail}"))
    }

    /// `535 Authentication Credentials Invalid` (AWS-documented).
    pub fn auth_invalid() -> Self {
        Self::new(535, [5, 7, 8], "Authentication Credentials Invalid")
    }

    /// `421 Too many concurrent SMTP connections` (AWS-documented), sent before closing.
    pub fn too_many_connections() -> Self {
        Self::new(421, [4, 7, 0], "Too many concurrent SMTP connections")
    }

    /// The SMTP reply SES sends for an SES error, following ses-spec's SMTP texts:
    /// AccessDenied → `554 Access denied: …`, Throttling → `454 Throttling failure: …`,
    /// MessageRejected and SendingPaused → `554 Message rejected: …`, credential errors →
    /// `535 Authentication Credentials Invalid`, server faults → `451 Temporary service failure`,
    /// everything else → `554 Transaction failed: …`.
    pub fn from_ses_error(error: &SesError) -> Self {
        let detail = error.message.as_str();
        match error.code {
            ErrorCode::AccessDenied => Self::access_denied(detail),
            ErrorCode::Throttling => Self::throttling(detail),
            ErrorCode::MessageRejected
            | ErrorCode::SendingPaused
            | ErrorCode::MailFromDomainNotVerified
            | ErrorCode::AccountSuspended => Self::message_rejected(detail),
            ErrorCode::SignatureDoesNotMatch
            | ErrorCode::InvalidClientTokenId
            | ErrorCode::IncompleteSignature
            | ErrorCode::MissingAuthenticationToken
            | ErrorCode::RequestExpired => Self::auth_invalid(),
            ErrorCode::InternalFailure | ErrorCode::ServiceUnavailable => Self::temporary_failure(),
            ErrorCode::InvalidParameterValue
            | ErrorCode::MissingParameter
            | ErrorCode::InvalidAction
            | ErrorCode::MissingAction
            | ErrorCode::ValidationError
            | ErrorCode::NotFound
            | ErrorCode::AlreadyExists
            | ErrorCode::LimitExceeded
            | ErrorCode::InvalidPolicy
            | ErrorCode::InvalidNextToken
            | ErrorCode::ConfigurationSetDoesNotExist => Self::transaction_failed(detail),
        }
    }
}

impl From<&SesError> for Reply {
    fn from(error: &SesError) -> Self {
        Self::from_ses_error(error)
    }
}

impl From<SesError> for Reply {
    fn from(error: SesError) -> Self {
        Self::from_ses_error(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_carries_ses_prefix_and_message() {
        let e = SesError::new(
            ErrorCode::AccessDenied,
            "User `arn:aws:iam::111122223333:user/app' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:eu-west-1:111122223333:identity/a@b.example'",
        );
        assert_eq!(
            Reply::from(&e).render(false),
            "554 Access denied: User `arn:aws:iam::111122223333:user/app' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:eu-west-1:111122223333:identity/a@b.example'\r\n"
        );
    }

    #[test]
    fn throttling_is_454_with_ses_text() {
        let e = SesError::new(ErrorCode::Throttling, "Maximum sending rate exceeded");
        assert_eq!(
            Reply::from(e).render(false),
            "454 Throttling failure: Maximum sending rate exceeded\r\n"
        );
    }

    #[test]
    fn internal_failure_hides_detail() {
        let e = SesError::internal();
        let r = Reply::from(&e);
        assert_eq!(r.code, 451);
        assert_eq!(r.render(false), "451 Temporary service failure\r\n");
    }

    #[test]
    fn invalid_parameter_is_transaction_failed() {
        let e = SesError::invalid("Missing domain");
        assert_eq!(
            Reply::from(&e).render(true),
            "554 5.6.0 Transaction failed: Missing domain\r\n"
        );
    }

    #[test]
    fn rendering_cannot_inject_a_second_line() {
        let r = Reply::new(554, [5, 0, 0], "a\r\n250 Ok fake");
        let wire = r.render(false);
        assert_eq!(wire, "554 a  250 Ok fake\r\n");
        assert_eq!(wire.matches("\r\n").count(), 1);
    }

    #[test]
    fn enhanced_code_only_when_asked() {
        let r = Reply::auth_invalid();
        assert_eq!(
            r.render(false),
            "535 Authentication Credentials Invalid\r\n"
        );
        assert_eq!(
            r.render(true),
            "535 5.7.8 Authentication Credentials Invalid\r\n"
        );
        assert!(r.is_failure());
        assert!(!Reply::ok().is_failure());
    }
}
