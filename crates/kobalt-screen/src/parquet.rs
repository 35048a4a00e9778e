//! Parquet input: the mapped columns only, row groups read in parallel and
//! written in file order, through the same row checks as CSV.

use std::cell::OnceCell;
use std::fs::File;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use kobalt_engine::screen::Screener;
use kobalt_kb::Knowledge;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::row::{BlockResult, Buffers, Fields, RowPlan};
use crate::{Options, Outcome, ScreenError, Sink, pipeline};

/// A column of a record batch, made ready for row access once per batch:
/// numbers as one dense vector (a plain load per row instead of a type
/// dispatch and a null-bitmap test), text as the array itself.
enum Col<'a> {
    Numbers {
        values: Vec<Option<f64>>,
        array: &'a ArrayRef,
        /// The numbers as text (ids), formatted on first use.
        text: OnceCell<Formatted>,
    },
    Str(&'a arrow_array::StringArray),
    LargeStr(&'a arrow_array::LargeStringArray),
    Other(&'a ArrayRef),
}

/// A column's values as text, one after the other.
struct Formatted {
    bytes: Vec<u8>,
    /// Where row r ends in `bytes` (it starts where row r - 1 ends).
    ends: Vec<usize>,
}

impl Formatted {
    fn of(array: &ArrayRef, values: &[Option<f64>]) -> Formatted {
        let mut f = Formatted {
            bytes: Vec::with_capacity(values.len() * 8),
            ends: Vec::with_capacity(values.len()),
        };
        let mut int = itoa::Buffer::new();
        let push = |f: &mut Formatted, text: &[u8]| {
            f.bytes.extend_from_slice(text);
            f.ends.push(f.bytes.len());
        };
        // Integers from the integers themselves: ids past 2^53 stay exact.
        match array.data_type() {
            DataType::Int64 => {
                for v in array.as_primitive::<Int64Type>() {
                    push(&mut f, v.map_or(&b""[..], |v| int.format(v).as_bytes()));
                }
            }
            DataType::Int32 => {
                for v in array.as_primitive::<Int32Type>() {
                    push(&mut f, v.map_or(&b""[..], |v| int.format(v).as_bytes()));
                }
            }
            _ => {
                for v in values {
                    push(&mut f, &v.map(format_number).unwrap_or_default());
                }
            }
        }
        f
    }
}

impl<'a> Col<'a> {
    fn of(c: &'a ArrayRef) -> Col<'a> {
        let numbers: Option<Vec<Option<f64>>> = match c.data_type() {
            DataType::Float64 => Some(c.as_primitive::<Float64Type>().iter().collect()),
            DataType::Float32 => Some(
                c.as_primitive::<Float32Type>()
                    .iter()
                    .map(|v| v.map(f64::from))
                    .collect(),
            ),
            DataType::Int64 => Some(
                c.as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| v.map(|v| v as f64))
                    .collect(),
            ),
            DataType::Int32 => Some(
                c.as_primitive::<Int32Type>()
                    .iter()
                    .map(|v| v.map(f64::from))
                    .collect(),
            ),
            _ => None,
        };
        match (numbers, c.data_type()) {
            (Some(values), _) => Col::Numbers {
                values,
                array: c,
                text: OnceCell::new(),
            },
            (None, DataType::Utf8) => Col::Str(c.as_string::<i32>()),
            (None, DataType::LargeUtf8) => Col::LargeStr(c.as_string::<i64>()),
            (None, _) => Col::Other(c),
        }
    }
}

/// One row of a record batch.
struct ArrowRow<'a, 'b> {
    columns: &'b [Col<'a>],
    row: usize,
}

fn format_number(v: f64) -> Vec<u8> {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        itoa::Buffer::new().format(v as i64).as_bytes().to_vec()
    } else {
        v.to_string().into_bytes()
    }
}

impl<'b> Fields<'b> for ArrowRow<'_, 'b> {
    #[inline]
    fn count(&self) -> usize {
        self.columns.len()
    }

    #[inline]
    fn text(&self, i: usize) -> &'b [u8] {
        let r = self.row;
        match self.columns.get(i) {
            Some(Col::Str(a)) if !a.is_null(r) => a.value(r).trim().as_bytes(),
            Some(Col::LargeStr(a)) if !a.is_null(r) => a.value(r).trim().as_bytes(),
            Some(Col::Numbers {
                values,
                array,
                text,
            }) => {
                let f = text.get_or_init(|| Formatted::of(array, values));
                let start = r.checked_sub(1).map_or(0, |p| f.ends[p]);
                &f.bytes[start..f.ends[r]]
            }
            _ => b"",
        }
    }

    #[inline]
    fn number(&self, i: usize) -> Result<Option<f64>, String> {
        let r = self.row;
        match self.columns.get(i) {
            Some(Col::Numbers { values, .. }) => Ok(values[r]),
            None => Ok(None),
            Some(Col::Str(_) | Col::LargeStr(_)) => crate::row::number(self.text(i)),
            Some(Col::Other(a)) if a.is_null(r) => Ok(None),
            Some(Col::Other(a)) => Err(format!("a {} column", a.data_type())),
        }
    }
}

/// The mapping's column names, in the order the file has them.
fn mapped_columns(opts: &Options) -> Vec<String> {
    let m = &opts.mapping;
    let mut names = vec![m.patient_id.clone()];
    for c in [
        &m.age,
        &m.sex,
        &m.pregnant,
        &m.metformin_years,
        &m.acid_suppressant_years,
    ]
    .into_iter()
    .flatten()
    {
        names.push(c.clone());
    }
    for lab in &m.lab {
        names.push(lab.value.clone());
        if let Some(u) = &lab.unit_column {
            names.push(u.clone());
        }
    }
    names
}

pub(crate) fn run_parquet(
    kb: &Knowledge,
    screener: &Screener<'_>,
    opts: &Options,
    sink: &mut Sink<'_>,
) -> Result<Outcome, ScreenError> {
    let read_error = |e: parquet::errors::ParquetError| ScreenError::Read {
        path: opts.input.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    };
    let open = || {
        File::open(&opts.input).map_err(|source| ScreenError::Read {
            path: opts.input.display().to_string(),
            source,
        })
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(open()?).map_err(read_error)?;
    let fields: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut indices = Vec::new();
    for name in mapped_columns(opts) {
        let i =
            fields
                .iter()
                .position(|f| *f == name)
                .ok_or_else(|| ScreenError::MissingColumn {
                    column: name.clone(),
                    what: "mapped column".into(),
                    header: fields.join(", "),
                })?;
        if !indices.contains(&i) {
            indices.push(i);
        }
    }
    indices.sort_unstable();
    let projected: Vec<String> = indices.iter().map(|i| fields[*i].clone()).collect();
    let plan = RowPlan::new(kb, &opts.mapping, &projected)?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), indices.iter().copied());
    let groups: Vec<(usize, u64)> = builder
        .metadata()
        .row_groups()
        .iter()
        .enumerate()
        .map(|(i, g)| (i, g.num_rows().max(0) as u64))
        .collect();
    drop(builder);

    let (job_tx, job_rx) = crossbeam_channel::unbounded::<(usize, u64)>();
    for g in &groups {
        let _ = job_tx.send(*g);
    }
    drop(job_tx);
    let row_bytes = sink.out.row_bytes();
    let process = |(group, rows): (usize, u64), buffers: Buffers| {
        let reader = ParquetRecordBatchReaderBuilder::try_new(open()?)
            .map_err(read_error)?
            .with_projection(mask.clone())
            .with_row_groups(vec![group])
            .with_batch_size(4096)
            .build()
            .map_err(read_error)?;
        let mut result = BlockResult::new(group as u64, 0, row_bytes, buffers, rows as usize);
        result.lines = rows;
        let mut line = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| ScreenError::Read {
                path: opts.input.display().to_string(),
                source: std::io::Error::other(e.to_string()),
            })?;
            let columns: Vec<Col<'_>> = batch.columns().iter().map(Col::of).collect();
            for row in 0..batch.num_rows() {
                let fields = ArrowRow {
                    columns: &columns,
                    row,
                };
                result.summary.rows_in += 1;
                plan.screen_row(screener, &mut result, line, &fields, b"");
                line += 1;
            }
        }
        Ok(result)
    };
    // Rows count from 1.
    let summary = pipeline::ordered(
        job_rx,
        opts.threads,
        &process,
        1,
        groups.iter().map(|g| g.1 as usize).sum(),
        sink,
        &opts.out.display().to_string(),
    )?;
    Ok(Outcome {
        summary,
        truncated: None,
    })
}
