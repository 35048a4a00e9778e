//! Screening Arrow record batches in memory, for the Python package and
//! Spark (issue 18): the same row checks and status code as `kobalt screen`,
//! without files. Every input row gives one output row, in input order: the
//! screened columns of `OUTPUT_COLUMNS`, or `rejected` with the reason (the
//! rejects of `kobalt screen`); nothing is dropped. Batches are screened on
//! several threads; the duplicate check then runs over them in order.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::types::Int8Type;
use arrow_array::{ArrayRef, DictionaryArray, Int8Array, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use kobalt_contract::Guideline;
use kobalt_engine::screen::Screener;
use kobalt_kb::Knowledge;

use crate::output::{OUTPUT_COLUMNS, RowBytes, dictionaries, row_keys};
use crate::parquet::{Col, Projected, Projection, project, screen_batch};
use crate::row::{BlockResult, Buffers, RowPlan};
use crate::{Mapping, ScreenError, Seen};

/// The output schema: `row` (the input row, from 1), the columns of
/// `kobalt screen`'s output (the five after the id dictionary-encoded over
/// their few values) and `rejected` (why the row was not screened).
pub fn output_schema() -> SchemaRef {
    let keyed = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
    let mut fields = vec![Field::new("row", DataType::UInt64, false)];
    fields.extend(OUTPUT_COLUMNS.iter().enumerate().map(|(i, c)| {
        let kind = if i == 0 {
            DataType::Utf8
        } else {
            keyed.clone()
        };
        Field::new(*c, kind, true)
    }));
    fields.push(Field::new("rejected", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// Screens the batches of one table, in order: patients repeated across
/// batches are found (the duplicate check spans the whole table).
pub struct BatchScreen<'k> {
    screener: Screener<'k>,
    plan: RowPlan,
    projection: Projection,
    /// Where each mapped column is in the input schema.
    indices: Vec<usize>,
    seen: Seen,
    rows: u64,
    dictionaries: [ArrayRef; 5],
}

/// Why a row is not in the screened columns; duplicates are found in order.
const DUPLICATE: &str = "duplicate patient_id: an earlier row has the same patient";

impl<'k> BatchScreen<'k> {
    /// The mapped columns must be in `schema`, each once.
    pub fn new(
        kb: &'k Knowledge,
        mapping: &Mapping,
        guideline: Guideline,
        schema: &Schema,
    ) -> Result<Self, ScreenError> {
        let Projected {
            indices,
            plan,
            projection,
        } = project(kb, mapping, schema, "the table")?;
        Ok(BatchScreen {
            screener: Screener::new(kb, guideline),
            plan,
            projection,
            indices,
            seen: Seen::new(0),
            rows: 0,
            dictionaries: dictionaries(),
        })
    }

    /// One batch: a row per input row, in order.
    pub fn screen(&mut self, batch: &RecordBatch) -> Result<RecordBatch, ScreenError> {
        let mut out = self.screen_many(std::slice::from_ref(batch), 1)?;
        out.pop()
            .ok_or_else(|| ScreenError::Mapping("no output batch".into()))
    }

    /// Batches in order on up to `threads` threads: each is screened on its
    /// own, then the duplicate check runs over them in order, then their
    /// output columns are built in parallel again.
    pub fn screen_many(
        &mut self,
        batches: &[RecordBatch],
        threads: usize,
    ) -> Result<Vec<RecordBatch>, ScreenError> {
        let threads = threads.clamp(1, batches.len().max(1));
        let screened = parallel(batches, threads, |b| self.screen_rows(b))?;
        let mut marked = Vec::with_capacity(screened.len());
        for (batch, result) in batches.iter().zip(screened) {
            let duplicates = self.duplicates(&result);
            let rejected_ids = self.rejected_ids(batch, &result);
            marked.push(Marked {
                first: self.rows,
                n: batch.num_rows(),
                result,
                duplicates,
                rejected_ids,
            });
            self.rows += batch.num_rows() as u64;
        }
        let dictionaries = &self.dictionaries;
        parallel(&marked, threads, |m| build(m, dictionaries))
    }

    /// The patient id of each rejected row, as the input has it (rejects keep
    /// it, so that they can be found again; empty when there is none).
    fn rejected_ids(&self, batch: &RecordBatch, result: &BlockResult) -> Vec<Option<String>> {
        let column = self
            .projection
            .id
            .and_then(|i| self.indices.get(i))
            .map(|i| batch.column(*i));
        let Some(column) = column.filter(|_| !result.rejects.is_empty()) else {
            return vec![None; result.rejects.len()];
        };
        let ids = Col::of(column);
        result
            .rejects
            .iter()
            .map(|r| {
                let text = ids.text(r.line as usize);
                (!text.is_empty()).then(|| String::from_utf8_lossy(text).into_owned())
            })
            .collect()
    }

    fn screen_rows(&self, batch: &RecordBatch) -> Result<BlockResult, ScreenError> {
        let projected = batch
            .project(&self.indices)
            .map_err(|e| ScreenError::Mapping(e.to_string()))?;
        let mut result =
            BlockResult::new(0, 0, RowBytes::IdOnly, Buffers::default(), batch.num_rows());
        screen_batch(
            &self.plan,
            &self.screener,
            &mut result,
            &projected,
            &self.projection,
            0,
        );
        Ok(result)
    }

    /// Which screened rows (by key) repeat an earlier patient.
    fn duplicates(&mut self, result: &BlockResult) -> Vec<bool> {
        result
            .keys
            .iter()
            .map(|k| {
                let id = &result.out[k.out_start as usize..k.id_end as usize];
                !self.seen.insert(id, k.id_key)
            })
            .collect()
    }
}

/// A screened batch after the duplicate check, ready to build.
struct Marked {
    /// Rows before it in the table.
    first: u64,
    n: usize,
    result: BlockResult,
    /// By key of `result`: the patient came before.
    duplicates: Vec<bool>,
    /// By reject of `result`: the row's patient id as the input has it.
    rejected_ids: Vec<Option<String>>,
}

/// `f` over `items` on up to `threads` scoped threads, results in order.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Result<R, ScreenError> + Sync,
) -> Result<Vec<R>, ScreenError> {
    if threads <= 1 || items.len() <= 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Result<Vec<R>, _>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| ScreenError::Mapping("a screening thread failed".into()))??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// The output batch of `n` input rows from row `first`: screened rows and
/// rejects merged by row, repeated patients turned into rejects.
fn build(m: &Marked, dictionaries: &[ArrayRef; 5]) -> Result<RecordBatch, ScreenError> {
    let (first, n, result) = (m.first, m.n, &m.result);
    let mut ids = StringBuilder::with_capacity(n, n * 8);
    let mut keys: [Vec<Option<i8>>; 5] = std::array::from_fn(|_| Vec::with_capacity(n));
    let mut rejected = StringBuilder::with_capacity(n, 0);
    let mut screened = result.keys.iter().zip(&m.duplicates).peekable();
    let mut rejects = result.rejects.iter().zip(&m.rejected_ids).peekable();
    for row in 0..n as u64 {
        let (reason, id) = match (screened.peek(), rejects.peek()) {
            (Some((k, dup)), _) if u64::from(k.line) == row => {
                let (k, dup) = (*k, **dup);
                screened.next();
                let id = &result.out[k.out_start as usize..k.id_end as usize];
                if dup {
                    (Some(DUPLICATE), Some(String::from_utf8_lossy(id)))
                } else {
                    ids.append_value(String::from_utf8_lossy(id));
                    for (column, key) in keys.iter_mut().zip(row_keys(&k.screened)) {
                        column.push(key);
                    }
                    rejected.append_null();
                    continue;
                }
            }
            (_, Some((r, _))) if r.line == row => match rejects.next() {
                Some((r, id)) => (Some(r.reason.as_str()), id.as_deref().map(Into::into)),
                None => (None, None),
            },
            _ => (Some("the row was not read"), None),
        };
        ids.append_option(id);
        for column in &mut keys {
            column.push(None);
        }
        rejected.append_option(reason);
    }
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(first + 1..=first + n as u64)),
        Arc::new(ids.finish()),
    ];
    for (k, values) in keys.into_iter().zip(dictionaries) {
        let array = DictionaryArray::<Int8Type>::try_new(Int8Array::from(k), values.clone())
            .map_err(|e| ScreenError::Mapping(e.to_string()))?;
        arrays.push(Arc::new(array));
    }
    arrays.push(Arc::new(rejected.finish()));
    RecordBatch::try_new(output_schema(), arrays).map_err(|e| ScreenError::Mapping(e.to_string()))
}
