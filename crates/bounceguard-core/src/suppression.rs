//! Why an address is on the account suppression list: SES's two reasons. One type for the
//! guard's decision, the store's rows, the events that add entries and the APIs that show them.

use serde::{Deserialize, Serialize};

/// SES's `BOUNCE` or `COMPLAINT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SuppressionReason {
    /// A hard bounce.
    Bounce,
    /// A complaint.
    Complaint,
}

impl SuppressionReason {
    /// The SES word, as stored and shown: `BOUNCE` or `COMPLAINT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounce => "BOUNCE",
            Self::Complaint => "COMPLAINT",
        }
    }

    /// Parses the SES word (exact case, as SES's API takes it).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "BOUNCE" => Some(Self::Bounce),
            "COMPLAINT" => Some(Self::Complaint),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ses_words_round_trip_and_nothing_else_parses() {
        for reason in [SuppressionReason::Bounce, SuppressionReason::Complaint] {
            assert_eq!(SuppressionReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(SuppressionReason::parse("bounce"), None);
        assert_eq!(SuppressionReason::parse("HARD_BOUNCE"), None);
    }
}
