//! Parquet input: the mapped columns only, row groups read in parallel and
//! written in file order, through the same row checks as CSV.

use std::borrow::Cow;
use std::fs::File;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use kobalt_engine::screen::Screener;
use kobalt_kb::Knowledge;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::row::{BlockResult, Fields, RowPlan};
use crate::summary::Summary;
use crate::{Options, Outcome, ScreenError, Sink, pipeline};

/// A column of a record batch, resolved to its type once per batch.
enum Col<'a> {
    F64(&'a arrow_array::Float64Array),
    F32(&'a arrow_array::Float32Array),
    I64(&'a arrow_array::Int64Array),
    I32(&'a arrow_array::Int32Array),
    Str(&'a arrow_array::StringArray),
    LargeStr(&'a arrow_array::LargeStringArray),
    Other(&'a ArrayRef),
}

impl<'a> Col<'a> {
    fn of(c: &'a ArrayRef) -> Col<'a> {
        match c.data_type() {
            DataType::Float64 => Col::F64(c.as_primitive::<Float64Type>()),
            DataType::Float32 => Col::F32(c.as_primitive::<Float32Type>()),
            DataType::Int64 => Col::I64(c.as_primitive::<Int64Type>()),
            DataType::Int32 => Col::I32(c.as_primitive::<Int32Type>()),
            DataType::Utf8 => Col::Str(c.as_string::<i32>()),
            DataType::LargeUtf8 => Col::LargeStr(c.as_string::<i64>()),
            _ => Col::Other(c),
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

impl<'a> Fields<'a> for ArrowRow<'a, '_> {
    fn count(&self) -> usize {
        self.columns.len()
    }

    fn text(&self, i: usize) -> Cow<'a, [u8]> {
        let r = self.row;
        match self.columns.get(i) {
            Some(Col::Str(a)) if !a.is_null(r) => Cow::Borrowed(a.value(r).trim().as_bytes()),
            Some(Col::LargeStr(a)) if !a.is_null(r) => Cow::Borrowed(a.value(r).trim().as_bytes()),
            Some(Col::Str(_) | Col::LargeStr(_)) | None => Cow::Borrowed(b""),
            // Integer ids are common: no float detour for them.
            Some(Col::I64(a)) if !a.is_null(r) => {
                Cow::Owned(itoa::Buffer::new().format(a.value(r)).as_bytes().to_vec())
            }
            Some(Col::I32(a)) if !a.is_null(r) => {
                Cow::Owned(itoa::Buffer::new().format(a.value(r)).as_bytes().to_vec())
            }
            Some(_) => match self.number(i) {
                Ok(Some(v)) => Cow::Owned(format_number(v)),
                _ => Cow::Borrowed(b""),
            },
        }
    }

    fn number(&self, i: usize) -> Result<Option<f64>, String> {
        let r = self.row;
        let value = |null: bool, v: f64| Ok((!null).then_some(v));
        match self.columns.get(i) {
            None => Ok(None),
            Some(Col::F64(a)) => value(a.is_null(r), a.value(r)),
            Some(Col::F32(a)) => value(a.is_null(r), f64::from(a.value(r))),
            Some(Col::I64(a)) => value(a.is_null(r), a.value(r) as f64),
            Some(Col::I32(a)) => value(a.is_null(r), f64::from(a.value(r))),
            Some(Col::Str(_) | Col::LargeStr(_)) => crate::row::number(&self.text(i)),
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
    let process = |(group, rows): (usize, u64), mut out: Vec<u8>| {
        let reader = ParquetRecordBatchReaderBuilder::try_new(open()?)
            .map_err(read_error)?
            .with_projection(mask.clone())
            .with_row_groups(vec![group])
            .with_batch_size(64 * 1024)
            .build()
            .map_err(read_error)?;
        out.clear();
        out.reserve(rows as usize * 48);
        let mut result = BlockResult {
            index: group as u64,
            bytes: 0,
            lines: rows,
            out,
            rejects: Vec::new(),
            keys: Vec::with_capacity(rows as usize),
            summary: Summary::default(),
        };
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
