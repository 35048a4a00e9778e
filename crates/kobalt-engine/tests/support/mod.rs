//! Shared by the acceptance tests and the benchmark: where the cases live.

use std::path::{Path, PathBuf};

pub(crate) fn vignette_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vignettes")
}

/// The `*.json` files of a folder, sorted by name.
pub(crate) fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}
