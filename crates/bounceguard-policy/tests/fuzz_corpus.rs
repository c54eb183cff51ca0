//! Replays every file of the `policy` fuzz corpus (`fuzz/corpus/policy/`) through the same
//! harness the fuzzer runs, so `cargo test` re-checks each input's invariants (see
//! `bounceguard_policy::fuzz_one`) without libFuzzer.

use std::path::Path;

#[test]
fn policy_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/policy");
    let mut files = 0;
    let mut accepted = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        files += 1;
        if bounceguard_policy::fuzz_one(&data) {
            accepted += 1;
        }
    }
    assert!(files >= 20, "corpus has only {files} files");
    // The corpus is seeded with the case table's policies: many inputs must still be policies,
    // or the fuzzer would only be exercising the JSON front door.
    assert!(
        accepted * 4 >= files,
        "only {accepted} of {files} corpus inputs parse as policies"
    );
}
