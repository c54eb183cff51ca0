//! SES-shaped identifiers, built from values the caller supplies (time and randomness are I/O).

use uuid::Uuid;

/// Builds an SES MessageId: 16 hex digits, a UUID, and the suffix `-000000`
/// (ses-spec §1.3), e.g. `0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000`.
///
/// The 16 hex digits are `01` followed by the send time in milliseconds, as SES's own ids are,
/// so ids sort roughly by time.
pub fn message_id(unix_ms: i64, random: Uuid) -> String {
    let stamp = 0x0100_0000_0000_0000_u64 | (unix_ms.max(0) as u64 & 0x00ff_ffff_ffff_ffff);
    format!("{stamp:016x}-{}-000000", random.hyphenated())
}

/// Builds an AWS request id: a hyphenated UUID.
pub fn request_id(random: Uuid) -> String {
    random.hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_has_the_ses_shape() {
        let id = message_id(
            0x018d_0c1f_2a3b,
            Uuid::from_u128(0x5e0a6c1d_7f1b_4a2c_9d3e_8b7a6c5d4e3f),
        );
        assert_eq!(
            id,
            "0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000"
        );
    }
}
