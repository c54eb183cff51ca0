//! Storage (placeholder until written).
