//! Fuzz target: arbitrary bytes as a SES v1 Query request body.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::ses_v1_query(data);
});
