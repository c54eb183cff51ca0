//! SES mailbox-simulator addresses (ses-spec §8): `success@`, `bounce@`, `ooto@`, `complaint@`
//! and `suppressionlist@simulator.amazonses.com`, each also with a `+label`
//! (`bounce+label1@…` behaves like `bounce@`).
//!
//! The local part is compared without regard to ASCII case (SES does not document whether
//! `Bounce@` is a simulator address; treating it as one never sends real mail). Any other
//! local part at the simulator domain is an ordinary address.

use serde::Serialize;

use crate::normalize::Normalized;

/// The simulator's domain.
pub const SIMULATOR_DOMAIN: &str = "simulator.amazonses.com";

/// What a simulated send produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SimulatorOutcome {
    /// Delivered; a Delivery event.
    Success,
    /// Hard bounce (Permanent/General, `5.1.1`), not added to the suppression list.
    Bounce,
    /// Delivered, then an out-of-office auto-reply.
    Ooto,
    /// Delivered, then a complaint.
    Complaint,
    /// Hard bounce as if on the global suppression list (Permanent/Suppressed).
    SuppressionList,
}

impl SimulatorOutcome {
    /// The simulator local part that produces this outcome (`bounce`), also used in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Bounce => "bounce",
            Self::Ooto => "ooto",
            Self::Complaint => "complaint",
            Self::SuppressionList => "suppressionlist",
        }
    }

    /// The outcome a local part (without its `+label`) names, ignoring ASCII case.
    pub fn from_local(base: &str) -> Option<Self> {
        [
            Self::Success,
            Self::Bounce,
            Self::Ooto,
            Self::Complaint,
            Self::SuppressionList,
        ]
        .into_iter()
        .find(|o| o.as_str().eq_ignore_ascii_case(base))
    }
}

/// The outcome when `address` is an SES mailbox-simulator address.
pub fn simulator_outcome(address: &Normalized) -> Option<SimulatorOutcome> {
    if address.domain != SIMULATOR_DOMAIN {
        return None;
    }
    SimulatorOutcome::from_local(address.base_local())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{NormalizeOptions, normalize};

    fn outcome(address: &str) -> Option<SimulatorOutcome> {
        let n = normalize(address, &NormalizeOptions::default()).expect("address");
        simulator_outcome(&n)
    }

    #[test]
    fn simulator_table() {
        use SimulatorOutcome::*;
        let cases = [
            ("success@simulator.amazonses.com", Some(Success)),
            ("bounce@simulator.amazonses.com", Some(Bounce)),
            ("ooto@simulator.amazonses.com", Some(Ooto)),
            ("complaint@simulator.amazonses.com", Some(Complaint)),
            (
                "suppressionlist@simulator.amazonses.com",
                Some(SuppressionList),
            ),
            ("bounce+label1@simulator.amazonses.com", Some(Bounce)),
            ("Success+x-y@Simulator.AmazonSES.com", Some(Success)),
            ("Ann <complaint@simulator.amazonses.com>", Some(Complaint)),
            ("reject@simulator.amazonses.com", None),
            ("bouncer@simulator.amazonses.com", None),
            ("bounce@simulator.amazonses.com.evil.example", None),
            ("bounce@example.com", None),
        ];
        for (address, expected) in cases {
            assert_eq!(outcome(address), expected, "{address}");
        }
    }
}
