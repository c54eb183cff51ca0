//! Peers and helpers for the load benchmarks in `BENCHMARKS.md`.
