//! Send statistics as SES reports them: 15-minute buckets over the last two weeks.

/// Length of one GetSendStatistics bucket, in milliseconds (15 minutes).
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// How far back GetSendStatistics looks, in milliseconds (two weeks).
pub const STATISTICS_SPAN_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// The start of the 15-minute bucket that holds `unix_ms`.
pub fn bucket_start(unix_ms: i64) -> i64 {
    unix_ms.div_euclid(BUCKET_MS) * BUCKET_MS
}

/// One GetSendStatistics data point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendDataPoint {
    /// Start of the bucket, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// Recipients decided `deliver` in the bucket, whatever the transport.
    pub delivery_attempts: i64,
    /// Hard bounces in the bucket.
    pub bounces: i64,
    /// Complaints in the bucket.
    pub complaints: i64,
    /// Messages SES itself would have rejected.
    pub rejects: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_quarter_hours() {
        // 2024-01-15T10:29:59.999Z belongs to the 10:15 bucket, 10:30:00 starts a new one.
        let ten_fifteen = 1_705_313_700_000;
        assert_eq!(bucket_start(ten_fifteen + BUCKET_MS - 1), ten_fifteen);
        assert_eq!(
            bucket_start(ten_fifteen + BUCKET_MS),
            ten_fifteen + BUCKET_MS
        );
        assert_eq!(bucket_start(-1), -BUCKET_MS);
    }
}
