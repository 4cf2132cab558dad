//! The fuzz corpus as a regression test, on stable and without libFuzzer: every committed
//! input under `crates/fuzz/corpus/` (seeds, what fuzzing found interesting, and reproducers
//! of fixed crashes) goes through every fuzz target. A target that panics fails the test
//! and names the file. Fuzzing itself is `scripts/fuzz.sh [SECONDS]`.

#[path = "../crates/fuzz/src/lib.rs"]
mod targets;

use std::path::{Path, PathBuf};

fn corpus_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/fuzz/corpus");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_committed_fuzz_input_passes_through_every_target_without_a_panic() {
    let files = corpus_files();
    for (name, _) in targets::TARGETS {
        let own = files.iter().filter(|f| f.parent().and_then(|p| p.file_name()).is_some_and(|d| d == name)).count();
        assert!(own > 0, "no corpus committed for the fuzz target {name}");
    }
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        for (name, target) in targets::TARGETS {
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failures.push(format!("{name} panicked on {}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}
