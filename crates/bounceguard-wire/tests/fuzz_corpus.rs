//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) through the fuzz targets' own checks, so
//! `cargo test` covers every input the fuzzer found interesting, without cargo-fuzz.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "../../../fuzz/harness.rs"]
mod harness;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, check: fn(&[u8])) {
    let files = corpus(target);
    assert!(
        files.len() >= 5,
        "{target}: only {} corpus files",
        files.len()
    );
    for path in files {
        let data = fs::read(&path).expect("readable corpus file");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails its checks",
            path.display()
        );
    }
}

#[test]
fn ses_v1_query_corpus_passes() {
    replay("ses_v1_query", harness::ses_v1_query);
}

#[test]
fn send_raw_email_corpus_passes() {
    replay("send_raw_email", harness::send_raw_email);
}
