//! A CDM in PostgreSQL: the query's rows as Arrow record batches, and the
//! screening output written back as a table.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, GenericClient, NoTls, RowIter};

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
    #[error(
        "table {table} exists and is not a Kobalt output table (its columns: {columns}); Kobalt replaces only its own tables: choose another name"
    )]
    NotOurs { table: String, columns: String },
    #[error("{}", super::NO_VOCABULARY)]
    NoVocabulary,
    #[error(
        "table name '{0}' is a table of the OMOP CDM: Kobalt writes its output under another name"
    )]
    CdmTable(String),
    #[error(
        "the connection has no current schema to create the table in (search_path): name it as schema.table"
    )]
    NoSchema,
    #[error("cannot copy into table {table}: {source}")]
    Copy {
        table: String,
        #[source]
        source: std::io::Error,
    },
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
/// (`host=/var/run/postgresql dbname=cdm`), without TLS. Without a password in
/// them, `password` (libpq's PGPASSWORD, which the caller reads) is used.
pub fn connect(url: &str, password: Option<&str>) -> Result<Client, OmopError> {
    let mut config: postgres::Config = url.parse().map_err(OmopError::Connect)?;
    if config.get_password().is_none()
        && let Some(p) = password
    {
        config.password(p);
    }
    config.connect(NoTls).map_err(OmopError::Connect)
}

/// Refuses a CDM whose CONCEPT table has none of the analytes' LOINC codes;
/// gives the warning `super::vocabulary_verdict` calls for (no RxNorm
/// ingredient, or no CONCEPT_ANCESTOR row leading to one).
pub fn check_vocabulary(
    client: &mut Client,
    kb: &kobalt_kb::Knowledge,
) -> Result<Option<&'static str>, OmopError> {
    let row = client
        .query_one(super::vocabulary_query(kb).as_str(), &[])
        .map_err(OmopError::Query)?;
    let count = |i: usize| row.try_get::<_, i64>(i).map_err(OmopError::Query);
    super::vocabulary_verdict(count(0)?, count(1)?, count(2)?).map_err(|_| OmopError::NoVocabulary)
}

/// Before anything is screened, and again in the transaction that writes:
/// `table` is a valid name and not a CDM table's, and if it exists it is a
/// Kobalt output table (it has every column of `kobalt_screen::OUTPUT_COLUMNS`).
/// Gives the name qualified with its schema (an unqualified name with the
/// current schema, where CREATE puts it), so that the check, DROP and CREATE
/// all mean one table whatever the search path.
pub fn check_table(client: &mut impl GenericClient, table: &str) -> Result<String, OmopError> {
    super::table_name(table).ok_or_else(|| OmopError::TableName(table.to_owned()))?;
    if super::cdm_table(table) {
        return Err(OmopError::CdmTable(table.to_owned()));
    }
    let lower = table.to_lowercase();
    let (schema, name) = match lower.split_once('.') {
        Some((s, n)) => (s.to_owned(), n.to_owned()),
        None => {
            let row = client
                .query_one("SELECT current_schema()::text", &[])
                .map_err(OmopError::Query)?;
            let schema: Option<String> = row.try_get(0).map_err(OmopError::Query)?;
            (schema.ok_or(OmopError::NoSchema)?, lower.clone())
        }
    };
    let rows = client
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2",
            &[&schema, &name],
        )
        .map_err(OmopError::Query)?;
    let columns = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<String>, _>>()
        .map_err(OmopError::Query)?;
    if !columns.is_empty() && !super::is_output_table(&columns) {
        return Err(OmopError::NotOurs {
            table: table.to_owned(),
            columns: columns.join(", "),
        });
    }
    Ok(format!("\"{schema}\".\"{name}\""))
}

/// The connection as messages may show it: user, hosts, ports and database
/// from the parsed settings, never the text given (which may hold a password
/// anywhere libpq's syntax allows one).
pub fn describe(settings: &str) -> String {
    let Ok(config) = settings.parse::<postgres::Config>() else {
        return "(connection settings not shown: they do not parse)".into();
    };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    format!(
        "postgresql://{}@{}{}/{}",
        config.get_user().unwrap_or_default(),
        hosts.join(","),
        if ports.is_empty() {
            String::new()
        } else {
            format!(":{}", ports.join(","))
        },
        config.get_dbname().unwrap_or_default()
    )
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

/// Writes a screening run into `table`, replacing it, in one transaction
/// (readers see the old table or the whole new one): every person, as the
/// Python package's table has them. The output file (CSV, with
/// `kobalt_screen::OUTPUT_COLUMNS` as its header) gives the screened persons,
/// `rejected` null; the rejects file gives the others, with their patient id
/// and the reason in `rejected`. Gives the rows written.
pub fn write_table(
    client: &mut Client,
    table: &str,
    out: &Path,
    rejects: &Path,
) -> Result<u64, OmopError> {
    let failed = |source| OmopError::Write {
        table: table.to_owned(),
        source,
    };
    let read = |path: &Path| {
        let path = path.display().to_string();
        move |source| OmopError::Read { path, source }
    };
    let columns = kobalt_screen::OUTPUT_COLUMNS;
    let mut tx = client.transaction().map_err(failed)?;
    let name = check_table(&mut tx, table)?;
    tx.batch_execute(&format!(
        "DROP TABLE IF EXISTS {name}; CREATE TABLE {name} ({}, rejected TEXT);",
        columns.map(|c| format!("{c} TEXT")).join(", ")
    ))
    .map_err(failed)?;
    let mut copy = tx
        .copy_in(&format!(
            "COPY {name} ({}) FROM STDIN (FORMAT csv, HEADER true)",
            columns.join(", ")
        ))
        .map_err(failed)?;
    let copying = |source| OmopError::Copy {
        table: table.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(out).map_err(read(out))?;
    std::io::copy(&mut file, &mut copy).map_err(copying)?;
    let mut rows = copy.finish().map_err(failed)?;
    let mut copy = tx
        .copy_in(&format!(
            "COPY {name} (patient_id, rejected) FROM STDIN (FORMAT csv)"
        ))
        .map_err(failed)?;
    let mut lines = csv::Writer::from_writer(&mut copy);
    let mut reader =
        csv::Reader::from_path(rejects).map_err(|e| read(rejects)(std::io::Error::other(e)))?;
    for record in reader.records() {
        let record = record.map_err(|e| read(rejects)(std::io::Error::other(e)))?;
        let reason = record.get(1).unwrap_or_default();
        let id = patient_id(record.get(2).unwrap_or_default());
        lines
            .write_record([id.as_deref().unwrap_or_default(), reason])
            .map_err(|e| read(rejects)(std::io::Error::other(e)))?;
    }
    lines.flush().map_err(|e| read(rejects)(e))?;
    drop(lines);
    rows += copy.finish().map_err(failed)?;
    tx.commit().map_err(failed)?;
    Ok(rows)
}

/// The patient id in a rejected row as the rejects file describes it (`name=value`
/// fields, CSV; the query's id column is `patient_id`).
fn patient_id(row: &str) -> Option<String> {
    let mut fields = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(row.as_bytes());
    let record = fields.records().next()?.ok()?;
    record
        .iter()
        .find_map(|f| f.strip_prefix("patient_id="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::describe;
    #[test]
    fn a_rejected_row_names_its_patient() {
        assert_eq!(
            super::patient_id("patient_id=14,age=46,\"mma_unit=kg\"").as_deref(),
            Some("14")
        );
        assert_eq!(super::patient_id("age=46"), None);
    }

    /// No password shows, wherever libpq's syntax puts it (found by reviews:
    /// a URL parameter, a quoted value with a space, a '?' in the password).
    #[test]
    fn passwords_are_not_shown() {
        for settings in [
            "postgresql://ana:s3cret@db.example/cdm",
            "postgresql://ana:pa?s3cret@db.example/cdm",
            "postgresql://db.example/cdm?user=ana&password=s3cret",
            "host=db.example user=ana password='my s3cret' dbname=cdm",
            "host=db.example user=ana password=a\\ s3cret dbname=cdm",
        ] {
            let shown = describe(settings);
            assert!(!shown.contains("s3cret"), "{settings}: {shown}");
            assert!(
                shown.contains("ana@db.example") && shown.ends_with("/cdm"),
                "{settings}: {shown}"
            );
        }
        assert!(
            describe("host=/run/postgresql port=5433 dbname=cdm")
                .contains("/run/postgresql:5433/cdm")
        );
    }
}
