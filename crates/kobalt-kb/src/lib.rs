//! Kobalt's knowledge base: the clinical content as data (`knowledge/`, TOML
//! and Fluent), validated when loaded into an immutable [`Knowledge`] with a
//! version and a content hash.
//!
//! Everything here is pure except [`load_dir`], which reads a folder; the
//! bundled knowledge base is compiled into the binary (see `build.rs`).

mod compile;
mod describe;
mod evidence;
mod model;
mod pred;
mod schema;
mod text;

pub use describe::Entry;
pub use model::*;

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// One thing wrong with the knowledge base: the file, the key and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub key: String,
    pub problem: String,
}

impl Problem {
    pub(crate) fn new(
        file: impl Into<String>,
        key: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Problem {
            file: file.into(),
            key: key.into(),
            problem: problem.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file, self.problem)
        } else {
            write!(f, "{}: {}: {}", self.file, self.key, self.problem)
        }
    }
}

/// Why a knowledge base could not be loaded: every problem found, not just the first.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("knowledge base is invalid ({} problem(s)):\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    #[error("cannot read knowledge folder {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Builds the knowledge base from `(relative path, content)` pairs.
pub fn load_files(files: &[(&str, &str)]) -> Result<Knowledge, LoadError> {
    compile::compile(files).map_err(LoadError::Invalid)
}

/// The knowledge base compiled into this binary.
pub fn bundled() -> Result<Knowledge, LoadError> {
    load_files(BUNDLED)
}

/// The files of the bundled knowledge base, for tools that show or export them.
pub fn bundled_files() -> &'static [(&'static str, &'static str)] {
    BUNDLED
}

/// Reads every `.toml` and `.ftl` file below `dir` and builds the knowledge base.
pub fn load_dir(dir: &std::path::Path) -> Result<Knowledge, LoadError> {
    fn walk(
        dir: &std::path::Path,
        root: &std::path::Path,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), LoadError> {
        let io = |source| LoadError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .collect::<Result<_, _>>()
            .map_err(io)?;
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out)?;
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("toml" | "ftl")
            ) {
                let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, text));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    load_files(&refs)
}
