//! Why a policy document was refused.

use bounceguard_core::{ErrorCode, SesError};

/// A refused policy document: SES answers it with `InvalidPolicy` and [`PolicyError::message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    /// The full message, location included, as sent to the client.
    pub message: String,
    /// The 0-based index of the offending statement, when the fault is inside one.
    pub statement: Option<usize>,
}

impl PolicyError {
    /// A fault of the document as a whole.
    pub(crate) fn document(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            statement: None,
        }
    }
}

impl From<PolicyError> for SesError {
    fn from(err: PolicyError) -> Self {
        SesError::new(ErrorCode::InvalidPolicy, err.message)
    }
}

/// Where inside a document a fault was found; turned into the message suffix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location<'a> {
    pub(crate) index: usize,
    pub(crate) sid: Option<&'a str>,
}

impl Location<'_> {
    /// `<head>: <detail> (statement N, Sid "X")`.
    pub(crate) fn error(&self, head: &str, detail: impl std::fmt::Display) -> PolicyError {
        let place = match self.sid {
            Some(sid) if !sid.is_empty() => format!("statement {}, Sid \"{sid}\"", self.index),
            _ => format!("statement {}", self.index),
        };
        PolicyError {
            message: format!("{head}: {detail} ({place})"),
            statement: Some(self.index),
        }
    }

    /// A fault with SES's exact text and no location suffix.
    pub(crate) fn exact(&self, message: String) -> PolicyError {
        PolicyError {
            message,
            statement: Some(self.index),
        }
    }
}
