//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) through the checks the fuzz
//! targets run: every input the fuzzers kept (and every crash they found) stays a test on
//! stable Rust.

use std::path::Path;

#[test]
fn every_committed_input_passes_its_check() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let mut failures = Vec::new();
    let mut total = 0;
    for (target, check) in micrograd_fuzz_checks::TARGETS {
        let dir = corpus.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no corpus for target {target}");
        for f in &files {
            let data = std::fs::read(f).expect("a corpus file reads");
            if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{target}: {}: {why}", f.display()));
            }
        }
        total += files.len();
    }
    assert!(total > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
