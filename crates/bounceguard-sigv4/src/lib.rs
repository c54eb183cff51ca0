//! SigV4 verification (placeholder until written).
