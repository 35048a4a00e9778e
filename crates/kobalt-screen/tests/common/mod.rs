#![allow(dead_code, reason = "each test binary uses part of these helpers")]
//! What the screening tests share: the bundled knowledge base and the rows
//! of a CSV file as the `csv` crate (the oracle) reads them.

use std::path::Path;
use std::sync::LazyLock;

pub(crate) static KB: LazyLock<kobalt_kb::Knowledge> =
    LazyLock::new(|| kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}")));

/// The records of a CSV file, header excluded.
pub(crate) fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    rdr.records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("{e}"))
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}
