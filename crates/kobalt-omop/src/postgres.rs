//! A CDM in PostgreSQL: the query's rows as Arrow record batches, and the
//! screening output written back as a table.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, RowIter};

/// Rows per record batch: big enough to keep every core busy, small enough
/// that a few in flight stay a few MB.
pub const BATCH_ROWS: usize = 65_536;

#[derive(Debug, thiserror::Error)]
pub enum OmopError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] postgres::Error),
    #[error(
        "the OMOP query failed: {0} (are PERSON, MEASUREMENT, DRUG_EXPOSURE, CONCEPT and CONCEPT_ANCESTOR there, with the CDM's column names?)"
    )]
    Query(#[source] postgres::Error),
    #[error("column {column} of the OMOP query: {source}")]
    Column {
        column: String,
        #[source]
        source: postgres::Error,
    },
    #[error("table name '{0}': letters, digits and _ only (optionally schema.table)")]
    TableName(String),
    #[error("cannot write table {table}: {source}")]
    Write {
        table: String,
        #[source]
        source: postgres::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build a record batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// A connection: a URL (`postgresql://user@host/db`) or key-value settings
/// (`host=/var/run/postgresql dbname=cdm`), without TLS.
pub fn connect(url: &str) -> Result<Client, OmopError> {
    Client::connect(url, NoTls).map_err(OmopError::Connect)
}

/// The rows of `sql` (which gives the columns of `super::schema`) as record
/// batches of `BATCH_ROWS`, read as they come.
pub fn batches<'c>(client: &'c mut Client, sql: &str) -> Result<Batches<'c>, OmopError> {
    let rows = client
        .query_raw(
            sql,
            std::iter::empty::<&(dyn postgres::types::ToSql + Sync)>(),
        )
        .map_err(OmopError::Query)?;
    Ok(Batches {
        rows,
        schema: Arc::new(super::schema()),
        done: false,
    })
}

/// Record batches of a query's rows, in order; an error ends them.
pub struct Batches<'c> {
    rows: RowIter<'c>,
    schema: SchemaRef,
    /// The rows came to an end (asked again, the driver says "closed").
    done: bool,
}

impl Iterator for Batches<'_> {
    type Item = Result<RecordBatch, OmopError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let batch = self.next_batch();
        self.done |= batch.is_err();
        batch.transpose()
    }
}

/// One column of a batch being built.
enum Column {
    Text(StringBuilder),
    Number(Float64Builder),
}

impl Batches<'_> {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, OmopError> {
        let fields = self.schema.fields();
        let mut columns: Vec<Column> = fields
            .iter()
            .map(|f| match f.data_type() {
                DataType::Float64 => Column::Number(Float64Builder::with_capacity(BATCH_ROWS)),
                _ => Column::Text(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8)),
            })
            .collect();
        let mut n = 0;
        while n < BATCH_ROWS {
            let Some(row) = self.rows.next().map_err(OmopError::Query)? else {
                self.done = true;
                break;
            };
            for (i, column) in columns.iter_mut().enumerate() {
                let named = |source| OmopError::Column {
                    column: fields[i].name().clone(),
                    source,
                };
                match column {
                    Column::Text(b) => {
                        b.append_option(row.try_get::<_, Option<&str>>(i).map_err(named)?)
                    }
                    Column::Number(b) => {
                        b.append_option(row.try_get::<_, Option<f64>>(i).map_err(named)?)
                    }
                }
            }
            n += 1;
        }
        if n == 0 {
            return Ok(None);
        }
        let arrays: Vec<ArrayRef> = columns
            .into_iter()
            .map(|c| match c {
                Column::Text(mut b) => Arc::new(b.finish()) as ArrayRef,
                Column::Number(mut b) => Arc::new(b.finish()) as ArrayRef,
            })
            .collect();
        Ok(Some(RecordBatch::try_new(self.schema.clone(), arrays)?))
    }
}

/// A table name as SQL: `name` or `schema.name`, each letters, digits and `_`.
fn table_name(name: &str) -> Result<String, OmopError> {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(|c: char| c.is_ascii_digit())
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2 || !parts.iter().all(|p| part(p)) {
        return Err(OmopError::TableName(name.to_owned()));
    }
    Ok(parts
        .iter()
        .map(|p| format!("\"{}\"", p.to_lowercase()))
        .collect::<Vec<_>>()
        .join("."))
}

/// Writes a screening output file (CSV, with `kobalt_screen::OUTPUT_COLUMNS`
/// as its header) into `table`, replacing it, in one transaction: readers see
/// the old table or the whole new one.
pub fn write_table(client: &mut Client, table: &str, csv: &Path) -> Result<u64, OmopError> {
    let name = table_name(table)?;
    let failed = |source| OmopError::Write {
        table: table.to_owned(),
        source,
    };
    let read = |source| OmopError::Read {
        path: csv.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(csv).map_err(read)?;
    let columns = kobalt_screen::OUTPUT_COLUMNS
        .iter()
        .map(|c| format!("{c} TEXT"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut tx = client.transaction().map_err(failed)?;
    tx.batch_execute(&format!(
        "DROP TABLE IF EXISTS {name}; CREATE TABLE {name} ({columns});"
    ))
    .map_err(failed)?;
    let mut copy = tx
        .copy_in(&format!("COPY {name} FROM STDIN (FORMAT csv, HEADER true)"))
        .map_err(failed)?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(read)?;
        if n == 0 {
            break;
        }
        copy.write_all(&buffer[..n]).map_err(|e| OmopError::Read {
            path: format!("COPY into {table}"),
            source: e,
        })?;
    }
    let rows = copy.finish().map_err(failed)?;
    tx.commit().map_err(failed)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::table_name;

    #[test]
    fn table_names_are_plain_identifiers() {
        assert_eq!(
            table_name("kobalt_flags").ok().as_deref(),
            Some("\"kobalt_flags\"")
        );
        assert_eq!(
            table_name("results.Flags").ok().as_deref(),
            Some("\"results\".\"flags\"")
        );
        for bad in ["", "a;drop table person", "a.b.c", "1abc", "a b", "a\"b"] {
            assert!(table_name(bad).is_err(), "{bad}");
        }
    }
}
