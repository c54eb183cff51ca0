//! Fuzz target: arbitrary bytes as an SES sending-authorization policy, then evaluated against a
//! request derived from the same bytes. The harness (and its invariants) lives in the policy
//! crate as `bounceguard_policy::fuzz_one`, shared with `tests/fuzz_corpus.rs` there.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bounceguard_policy::fuzz_one(data);
});
