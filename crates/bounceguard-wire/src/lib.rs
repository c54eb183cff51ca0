//! SES wire codecs (placeholder until written).
