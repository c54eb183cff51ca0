//! Fuzz target: arbitrary bytes as the MIME message of a SES v1 SendRawEmail.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::send_raw_email(data);
});
