//! The native part of the `kobalt` Python package (issue 18): the same
//! assessment as `kobalt assess --format json`, and screening of Arrow data
//! (anything with `__arrow_c_stream__`) as `kobalt screen` does, with the GIL
//! released while it works. The Python layer (`python/kobalt`) gives these
//! their documented signatures, stubs and exception type.

use std::sync::LazyLock;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_pyarrow::{FromPyArrow, IntoPyArrow};
use arrow_schema::{ArrowError, SchemaRef};
use kobalt_contract::{Audience, Guideline, Language};
use kobalt_kb::Knowledge;
use kobalt_screen::{BatchScreen, Mapping};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _kobalt,
    NativeError,
    PyException,
    "An error of Kobalt's native code."
);

/// The bundled knowledge base, validated once per process.
static KB: LazyLock<Result<Knowledge, String>> =
    LazyLock::new(|| kobalt_kb::bundled().map_err(|e| e.to_string()));

fn kb() -> PyResult<&'static Knowledge> {
    KB.as_ref()
        .map_err(|e| NativeError::new_err((e.clone(), String::new())))
}

/// An error as Python sees it: the message, and the contract's error object
/// as JSON (empty when there is none).
fn error(message: impl ToString, document: String) -> PyErr {
    NativeError::new_err((message.to_string(), document))
}

fn vocabulary<T>(
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    what: &str,
) -> PyResult<Option<T>> {
    value
        .map(|v| parse(v).ok_or_else(|| error(format!("unknown {what} '{v}'"), String::new())))
        .transpose()
}

/// `kobalt assess --format json` for a request given as JSON text; the
/// overrides as the CLI's flags. Returns the assessment as JSON text.
#[pyfunction]
#[pyo3(signature = (request, guideline=None, language=None, audience=None, evaluation_date=None, projection=true, draws=1000))]
#[allow(clippy::too_many_arguments)]
fn assess_json(
    py: Python<'_>,
    request: &str,
    guideline: Option<&str>,
    language: Option<&str>,
    audience: Option<&str>,
    evaluation_date: Option<&str>,
    projection: bool,
    draws: usize,
) -> PyResult<String> {
    let kb = kb()?;
    let guideline = vocabulary(guideline, Guideline::parse, "guideline")?;
    let language = vocabulary(language, Language::parse, "language")?;
    let audience = vocabulary(audience, Audience::parse, "audience")?;
    let today = match evaluation_date {
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .map_err(|e| error(format!("evaluation_date '{d}': {e}"), String::new()))?,
        None => jiff::Zoned::now().date(),
    };
    let request = request.to_owned();
    py.detach(move || {
        let result = kobalt_contract::parse_request(&request).and_then(|mut req| {
            req.guideline = guideline.or(req.guideline);
            req.language = language.or(req.language);
            req.audience = audience.or(req.audience);
            if projection {
                kobalt_engine::assess_with_projection(kb, &req, today, projection_options(draws))
            } else {
                kobalt_engine::assess(kb, &req, today)
            }
        });
        match result {
            Ok(a) => serde_json::to_string(&a).map_err(|e| error(e, String::new())),
            Err(e) => {
                let document = serde_json::to_string(&e.to_document()).unwrap_or_default();
                Err(error(format!("invalid request: {e}"), document))
            }
        }
    })
}

/// The CLI's projection settings (`kobalt assess`: 1000 draws, seed 1).
fn projection_options(draws: usize) -> kobalt_kinetics::Options {
    kobalt_kinetics::Options {
        draws: draws.min(100_000),
        seed: 1,
        every_days: 7,
        threads: std::thread::available_parallelism().map_or(1, usize::from),
    }
}

/// A mapping: the built-in one, TOML text, or JSON text (a Python dict).
fn mapping(toml: Option<&str>, json: Option<&str>) -> PyResult<Mapping> {
    let parsed = match (toml, json) {
        (Some(t), _) => Mapping::parse(t),
        (None, Some(j)) => Mapping::from_json(j),
        (None, None) => Ok(Mapping::builtin()),
    };
    parsed.map_err(|e| error(e, String::new()))
}

/// Screens a stream of record batches: a window of batches at a time on
/// every core, one output batch per input batch, in order.
struct Screening {
    input: Box<dyn RecordBatchReader + Send>,
    screen: BatchScreen<'static>,
    threads: usize,
    ready: std::collections::VecDeque<RecordBatch>,
}

impl Screening {
    /// Screens the next window of input batches into `ready`.
    fn fill(&mut self) -> Result<(), ArrowError> {
        // One big batch (a polars or pandas frame) is sliced, zero-copy, so
        // that every core gets a share.
        const SLICE: usize = 1 << 16;
        let mut window = Vec::with_capacity(self.threads * 2);
        while window.len() < self.threads * 2 {
            match self.input.next() {
                Some(batch) => {
                    let batch = batch?;
                    let rows = batch.num_rows();
                    for start in (0..rows.max(1)).step_by(SLICE) {
                        window.push(batch.slice(start, SLICE.min(rows - start)));
                    }
                }
                None => break,
            }
        }
        let out = self
            .screen
            .screen_many(&window, self.threads)
            .map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
        self.ready.extend(out);
        Ok(())
    }
}

impl Iterator for Screening {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty()
            && let Err(e) = self.fill()
        {
            return Some(Err(e));
        }
        self.ready.pop_front().map(Ok)
    }
}

impl RecordBatchReader for Screening {
    fn schema(&self) -> SchemaRef {
        kobalt_screen::output_schema()
    }
}

fn screening(
    data: &Bound<'_, PyAny>,
    mapping_toml: Option<&str>,
    mapping_json: Option<&str>,
    guideline: &str,
) -> PyResult<Screening> {
    let kb = kb()?;
    let guideline =
        vocabulary(Some(guideline), Guideline::parse, "guideline")?.unwrap_or(Guideline::DEFAULT);
    let mapping = mapping(mapping_toml, mapping_json)?;
    let input = arrow_array::ffi_stream::RecordBatchStreamReader::from_pyarrow_bound(data)?;
    let screen = BatchScreen::new(kb, &mapping, guideline, &input.schema())
        .map_err(|e| error(e, String::new()))?;
    Ok(Screening {
        input: Box::new(input),
        screen,
        threads: std::thread::available_parallelism().map_or(1, usize::from),
        ready: std::collections::VecDeque::new(),
    })
}

/// Screens all of `data` (anything with `__arrow_c_stream__`) with the GIL
/// released; returns a `pyarrow.Table`.
#[pyfunction]
#[pyo3(signature = (data, mapping_toml=None, mapping_json=None, guideline="nhg"))]
fn screen_table(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    mapping_toml: Option<&str>,
    mapping_json: Option<&str>,
    guideline: &str,
) -> PyResult<Py<PyAny>> {
    let screening = screening(data, mapping_toml, mapping_json, guideline)?;
    let batches = py
        .detach(move || screening.collect::<Result<Vec<RecordBatch>, ArrowError>>())
        .map_err(|e| error(e, String::new()))?;
    let table = arrow_pyarrow::Table::try_new(batches, kobalt_screen::output_schema())
        .map_err(|e| error(e, String::new()))?;
    Ok(table.into_pyarrow(py)?.unbind())
}

/// Screens `data` batch by batch as it is read: a `pyarrow.RecordBatchReader`
/// for inputs larger than memory.
#[pyfunction]
#[pyo3(signature = (data, mapping_toml=None, mapping_json=None, guideline="nhg"))]
fn screen_reader(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    mapping_toml: Option<&str>,
    mapping_json: Option<&str>,
    guideline: &str,
) -> PyResult<Py<PyAny>> {
    let screening = screening(data, mapping_toml, mapping_json, guideline)?;
    let reader: Box<dyn RecordBatchReader + Send> = Box::new(screening);
    Ok(reader.into_pyarrow(py)?.unbind())
}

/// The codes an OMOP CDM is read by, from the knowledge base (as JSON): the
/// LOINC codes of each screening analyte (analytes.toml) and the RxNorm
/// ingredient codes of metformin and the acid blockers (fhir.toml), with their
/// sources. `kobalt.omop` finds their concept ids in the CDM's own CONCEPT table.
#[pyfunction]
fn omop_codes() -> PyResult<String> {
    let codes = kobalt_omop::Codes::of(kb()?);
    let object = |list: &[(String, Vec<String>)]| -> serde_json::Map<String, serde_json::Value> {
        list.iter()
            .map(|(id, codes)| (id.clone(), serde_json::json!(codes)))
            .collect()
    };
    serde_json::to_string(&serde_json::json!({
        "analytes": object(&codes.analytes),
        "medications": object(&codes.medications),
        "sources": { "analytes": "knowledge/analytes.toml (LOINC)", "medications": "knowledge/fhir.toml (RxNorm, NLM-RXNORM)" }
    }))
    .map_err(|e| error(e, String::new()))
}

/// The OMOP query (kobalt-omop: standard SQL for DuckDB and PostgreSQL) for
/// the day `as_of` (ISO 8601) and a window of `window_days`.
#[pyfunction]
fn omop_query(as_of: &str, window_days: u32) -> PyResult<String> {
    let day: jiff::civil::Date = as_of
        .parse()
        .map_err(|e| error(format!("as_of: {e}"), String::new()))?;
    Ok(kobalt_omop::query(kb()?, day, window_days))
}

/// The OMOP query's columns, as JSON: `[[name, "text" | "number"], ...]`.
#[pyfunction]
fn omop_columns() -> PyResult<String> {
    let columns: Vec<(String, &str)> = kobalt_omop::schema()
        .fields()
        .iter()
        .map(|f| {
            let kind = if f.data_type().is_numeric() {
                "number"
            } else {
                "text"
            };
            (f.name().clone(), kind)
        })
        .collect();
    serde_json::to_string(&columns).map_err(|e| error(e, String::new()))
}

/// The query counting the analytes' LOINC codes and the medications' RxNorm codes in the CDM's CONCEPT table.
#[pyfunction]
fn omop_vocabulary_query() -> PyResult<String> {
    Ok(kobalt_omop::vocabulary_query(kb()?))
}

/// The warning the counts of that query call for (None), or ValueError when
/// the CDM has none of the analytes' LOINC codes.
#[pyfunction]
fn omop_vocabulary_verdict(
    loinc: i64,
    rxnorm: i64,
    ancestry: i64,
) -> PyResult<Option<&'static str>> {
    kobalt_omop::vocabulary_verdict(loinc, rxnorm, ancestry)
        .map_err(pyo3::exceptions::PyValueError::new_err)
}

/// A table name as SQL (quoted), or None when it is not `name` or `schema.name`.
#[pyfunction]
fn omop_table_name(name: &str) -> Option<String> {
    kobalt_omop::table_name(name)
}

/// Whether `name` names a table of the OMOP CDM (never written).
#[pyfunction]
fn omop_cdm_table(name: &str) -> bool {
    kobalt_omop::cdm_table(name)
}

/// Whether a table with these columns is one Kobalt wrote (only such a table is replaced).
#[pyfunction]
fn omop_is_output_table(columns: Vec<String>) -> bool {
    kobalt_omop::is_output_table(&columns)
}

/// The mapping of the OMOP query's columns, as JSON.
#[pyfunction]
fn omop_mapping() -> PyResult<String> {
    serde_json::to_string(&kobalt_omop::mapping()).map_err(|e| error(e, String::new()))
}

/// The patient-id column a mapping names (Spark partitions by it, so that a
/// patient's rows meet in one partition and repeats are found).
#[pyfunction]
#[pyo3(signature = (mapping_toml=None, mapping_json=None))]
fn mapping_patient_id(mapping_toml: Option<&str>, mapping_json: Option<&str>) -> PyResult<String> {
    Ok(mapping(mapping_toml, mapping_json)?.patient_id)
}

#[pymodule]
fn _kobalt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(mapping_patient_id, m)?)?;
    m.add_function(wrap_pyfunction!(omop_codes, m)?)?;
    m.add_function(wrap_pyfunction!(omop_query, m)?)?;
    m.add_function(wrap_pyfunction!(omop_mapping, m)?)?;
    m.add_function(wrap_pyfunction!(omop_columns, m)?)?;
    m.add_function(wrap_pyfunction!(omop_vocabulary_query, m)?)?;
    m.add_function(wrap_pyfunction!(omop_vocabulary_verdict, m)?)?;
    m.add_function(wrap_pyfunction!(omop_table_name, m)?)?;
    m.add_function(wrap_pyfunction!(omop_is_output_table, m)?)?;
    m.add_function(wrap_pyfunction!(omop_cdm_table, m)?)?;
    m.add("OMOP_DEFAULT_WINDOW_DAYS", kobalt_omop::DEFAULT_WINDOW_DAYS)?;
    m.add("OMOP_MAX_WINDOW_DAYS", kobalt_omop::MAX_WINDOW_DAYS)?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(assess_json, m)?)?;
    m.add_function(wrap_pyfunction!(screen_table, m)?)?;
    m.add_function(wrap_pyfunction!(screen_reader, m)?)?;
    Ok(())
}
