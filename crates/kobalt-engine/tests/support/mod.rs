//! Shared by the acceptance tests and the benchmark: where the cases live.

use std::path::{Path, PathBuf};

/// The acceptance material kept outside the repository (vignettes, the
/// contract): `KOBALT_SHARED_DIR` when set, else `../shared` beside the
/// workspace. A clone of the repository alone has none.
pub(crate) fn shared_dir() -> PathBuf {
    std::env::var_os("KOBALT_SHARED_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    )
}

pub(crate) fn vignette_dir() -> PathBuf {
    shared_dir().join("vignettes")
}

/// The vignette folder, or `None` after saying why the caller skips it when
/// there is no shared folder at all. A shared folder without vignettes is an
/// error the caller will meet.
pub(crate) fn vignette_dir_if_shared() -> Option<PathBuf> {
    let shared = shared_dir();
    if shared.is_dir() {
        Some(vignette_dir())
    } else {
        println!(
            "skipped: no ../shared ({} is not a folder)",
            shared.display()
        );
        None
    }
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
