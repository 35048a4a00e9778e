//! Parquet input: the mapped columns only, row groups read in parallel and
//! written in file order, through the same row checks as CSV.
//!
//! Writers store the same data in many shapes: pandas `category` columns as
//! dictionaries, ages as `uint8`, labs as decimals, `float32` or `float16`, ids as
//! floats, text as views or plain binary. Each column is decoded once per
//! record batch into what the row checks read (numbers as one dense vector,
//! text as the array or its dictionary), so that the shape a writer chose
//! never changes a status or loses a row, and the rows stay a plain load.

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type, DecimalType, Float16Type,
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    AnyDictionaryArray, Array, ArrayRef, ArrowPrimitiveType, BinaryArray, BinaryViewArray,
    BooleanArray, LargeBinaryArray, LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::DataType;
use kobalt_engine::screen::Screener;
use kobalt_kb::Knowledge;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::output::csv_field;
use crate::row::{BlockResult, Buffers, Checked, Fields, Rejected, RowPlan};
use crate::{Options, Outcome, ScreenError, Sink, pipeline};

/// Rows decoded and checked at a time: a column's numbers then fit buffers
/// the allocator reuses (a batch of 100,000 rows or more would be fresh
/// memory, a page fault per 4 KB, for every column).
pub(crate) const BATCH_ROWS: usize = 4096;

/// A column of a record batch, made ready for row access once per batch:
/// numbers as one dense vector (a plain load per row instead of a type
/// dispatch and a null-bitmap test), text as the array itself.
pub(crate) enum Col<'a> {
    /// Integers, decimals and floats of every width, as `f64`.
    Numbers {
        values: Vec<Option<f64>>,
        array: &'a ArrayRef,
        /// The numbers as text (ids), formatted on first use.
        text: OnceCell<Formatted>,
    },
    Str(&'a StringArray),
    LargeStr(&'a LargeStringArray),
    StrView(&'a StringViewArray),
    /// Text some writers store without the UTF-8 annotation.
    Bytes(&'a BinaryArray),
    LargeBytes(&'a LargeBinaryArray),
    BytesView(&'a BinaryViewArray),
    /// Read as `true`/`false`, the words a yes/no column (pregnant) takes.
    Bool(&'a BooleanArray),
    /// A dictionary (pandas `category`): the row's index into its decoded
    /// values, `None` for a null row. The values are decoded once; a row is
    /// the value its key points at, without a copy.
    Dict {
        keys: Vec<Option<usize>>,
        values: Box<Col<'a>>,
    },
    /// A column of nulls only (pyarrow types an all-`None` column so).
    Null,
    /// Any other type (dates, lists): no text, and not a number.
    Other(&'a ArrayRef),
}

/// A column's values as text, one after the other.
pub(crate) struct Formatted {
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
        write_numbers(array, values, 0..values.len(), &mut f.bytes, |end| {
            f.ends.push(end)
        });
        f
    }

    /// Row `r`'s text (empty past the end).
    fn get(&self, r: usize) -> &[u8] {
        let start = r
            .checked_sub(1)
            .and_then(|p| self.ends.get(p).copied())
            .unwrap_or(0);
        let end = self.ends.get(r).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or_default()
    }
}

/// Writes `rows` of a numeric column as text to `out`, calling `end` with
/// the length of `out` after each row (nulls are empty). Integers and
/// decimals are written from themselves, so that ids past 2^53 stay exact;
/// floats as `write_float` does. One type dispatch for all the rows.
fn write_numbers(
    array: &ArrayRef,
    values: &[Option<f64>],
    rows: Range<usize>,
    out: &mut Vec<u8>,
    mut end: impl FnMut(usize),
) {
    // Short names keep each type on one line.
    let (r, o, e) = (rows.clone(), &mut *out, &mut end);
    let exact = match array.data_type() {
        DataType::Int8 => integers::<Int8Type>(array, r, o, e),
        DataType::Int16 => integers::<Int16Type>(array, r, o, e),
        DataType::Int32 => integers::<Int32Type>(array, r, o, e),
        DataType::Int64 => integers::<Int64Type>(array, r, o, e),
        DataType::UInt8 => integers::<UInt8Type>(array, r, o, e),
        DataType::UInt16 => integers::<UInt16Type>(array, r, o, e),
        DataType::UInt32 => integers::<UInt32Type>(array, r, o, e),
        DataType::UInt64 => integers::<UInt64Type>(array, r, o, e),
        DataType::Decimal32(p, s) => decimal_texts::<Decimal32Type>(array, (*p, *s), r, o, e),
        DataType::Decimal64(p, s) => decimal_texts::<Decimal64Type>(array, (*p, *s), r, o, e),
        DataType::Decimal128(p, s) => decimal_texts::<Decimal128Type>(array, (*p, *s), r, o, e),
        DataType::Decimal256(p, s) => decimal_texts::<Decimal256Type>(array, (*p, *s), r, o, e),
        _ => None,
    };
    if exact.is_none() {
        for r in rows {
            if let Some(v) = values.get(r).copied().flatten() {
                write_float(out, v);
            }
            end(out.len());
        }
    }
}

fn integers<T: ArrowPrimitiveType>(
    array: &ArrayRef,
    rows: Range<usize>,
    out: &mut Vec<u8>,
    end: &mut impl FnMut(usize),
) -> Option<()>
where
    T::Native: itoa::Integer,
{
    let a = array.as_primitive_opt::<T>()?;
    let mut int = itoa::Buffer::new();
    for r in rows {
        if r < a.len() && a.is_valid(r) {
            out.extend_from_slice(int.format(a.value(r)).as_bytes());
        }
        end(out.len());
    }
    Some(())
}

fn decimal_texts<T: DecimalType>(
    array: &ArrayRef,
    (precision, scale): (u8, i8),
    rows: Range<usize>,
    out: &mut Vec<u8>,
    end: &mut impl FnMut(usize),
) -> Option<()> {
    let a = array.as_primitive_opt::<T>()?;
    for r in rows {
        if r < a.len() && a.is_valid(r) {
            out.extend_from_slice(T::format_decimal(a.value(r), precision, scale).as_bytes());
        }
        end(out.len());
    }
    Some(())
}

/// A float as text: whole numbers without a fraction ("7", as an id is
/// written), others as Rust prints them ("1.5", "NaN", "inf").
fn write_float(out: &mut Vec<u8>, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        out.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Exact powers of ten as `f64` (10^22 is the last exact one).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The numbers of a numeric column, `None` for any other type.
fn numbers(c: &ArrayRef) -> Option<Vec<Option<f64>>> {
    match c.data_type() {
        DataType::Float64 => widen::<Float64Type>(c, |v| v),
        DataType::Float32 => float32s(c),
        DataType::Float16 => float16s(c),
        DataType::Int8 => widen::<Int8Type>(c, f64::from),
        DataType::Int16 => widen::<Int16Type>(c, f64::from),
        DataType::Int32 => widen::<Int32Type>(c, f64::from),
        DataType::Int64 => widen::<Int64Type>(c, |v| v as f64),
        DataType::UInt8 => widen::<UInt8Type>(c, f64::from),
        DataType::UInt16 => widen::<UInt16Type>(c, f64::from),
        DataType::UInt32 => widen::<UInt32Type>(c, f64::from),
        DataType::UInt64 => widen::<UInt64Type>(c, |v| v as f64),
        DataType::Decimal32(p, s) => decimals::<Decimal32Type>(c, *p, *s, |v| Some(v.into())),
        DataType::Decimal64(p, s) => decimals::<Decimal64Type>(c, *p, *s, Some),
        DataType::Decimal128(p, s) => {
            decimals::<Decimal128Type>(c, *p, *s, |v| i64::try_from(v).ok())
        }
        DataType::Decimal256(p, s) => decimals::<Decimal256Type>(c, *p, *s, |v| {
            v.to_i128().and_then(|v| i64::try_from(v).ok())
        }),
        _ => None,
    }
}

fn widen<T: ArrowPrimitiveType>(
    c: &ArrayRef,
    f: impl Fn(T::Native) -> f64,
) -> Option<Vec<Option<f64>>> {
    let a = c.as_primitive_opt::<T>()?;
    // Without nulls, one plain loop over the values (no bitmap test per value).
    if a.null_count() == 0 {
        return Some(a.values().iter().map(|v| Some(f(*v))).collect());
    }
    Some(a.iter().map(|v| v.map(&f)).collect())
}

/// A `float16` as the shortest decimal that is the same `float16` (as numpy
/// prints it, and a CSV of the column holds it): 0.275, not 0.27490234, so a
/// value at a limit reads as it was written.
fn float16s(c: &ArrayRef) -> Option<Vec<Option<f64>>> {
    type F16 = <Float16Type as ArrowPrimitiveType>::Native;
    let shortest = |v: F16| {
        let exact = f64::from(v);
        // Five significant digits always read back as the same float16.
        (1..=5)
            .filter(|_| exact.is_finite())
            .find_map(|digits| {
                let x: f64 = format!("{exact:.*e}", digits - 1).parse().ok()?;
                (F16::from_f64(x) == v).then_some(x)
            })
            .unwrap_or(exact)
    };
    Some(
        c.as_primitive_opt::<Float16Type>()?
            .iter()
            .map(|v| v.map(shortest))
            .collect(),
    )
}

/// A `float32` as the decimal it prints as (0.45, not 0.449999988): what a
/// CSV export of the same column holds, so a value at a limit reads the same.
fn float32s(c: &ArrayRef) -> Option<Vec<Option<f64>>> {
    let mut text = String::with_capacity(32);
    let values = c.as_primitive_opt::<Float32Type>()?.iter().map(|v| {
        v.map(|v| {
            text.clear();
            let _ = write!(text, "{v}");
            text.parse().unwrap_or(f64::from(v))
        })
    });
    Some(values.collect())
}

/// `integer` gives the unscaled value as `i64` when it fits.
fn decimals<T: DecimalType>(
    c: &ArrayRef,
    precision: u8,
    scale: i8,
    integer: fn(T::Native) -> Option<i64>,
) -> Option<Vec<Option<f64>>> {
    let values = c.as_primitive_opt::<T>()?.iter();
    let value = |v| decimal::<T>(v, integer(v), precision, scale);
    Some(values.map(|v| v.map(value)).collect())
}

/// A decimal's value with its scale applied. An integer below 2^53 over an
/// exact power of ten is one correctly rounded division, the number its text
/// reads as; anything else goes through its text.
fn decimal<T: DecimalType>(v: T::Native, integer: Option<i64>, precision: u8, scale: i8) -> f64 {
    const EXACT: i64 = 1 << 53;
    let power = usize::try_from(scale).ok().and_then(|s| POW10.get(s));
    match (integer, power) {
        (Some(m), Some(p)) if (-EXACT..=EXACT).contains(&m) => m as f64 / p,
        // A decimal's text is always a number; NaN (never reached) is rejected.
        _ => T::format_decimal(v, precision, scale)
            .parse()
            .unwrap_or(f64::NAN),
    }
}

impl<'a> Col<'a> {
    pub(crate) fn of(c: &'a ArrayRef) -> Col<'a> {
        if let Some(values) = numbers(c) {
            return Col::Numbers {
                values,
                array: c,
                text: OnceCell::new(),
            };
        }
        let col = match c.data_type() {
            DataType::Utf8 => c.as_string_opt::<i32>().map(Col::Str),
            DataType::LargeUtf8 => c.as_string_opt::<i64>().map(Col::LargeStr),
            DataType::Utf8View => c.as_string_view_opt().map(Col::StrView),
            DataType::Binary => c.as_binary_opt::<i32>().map(Col::Bytes),
            DataType::LargeBinary => c.as_binary_opt::<i64>().map(Col::LargeBytes),
            DataType::BinaryView => c.as_binary_view_opt().map(Col::BytesView),
            DataType::Boolean => c.as_boolean_opt().map(Col::Bool),
            DataType::Dictionary(..) => c.as_any_dictionary_opt().map(Col::dictionary),
            DataType::Null => Some(Col::Null),
            _ => None,
        };
        col.unwrap_or(Col::Other(c))
    }

    /// Keys resolved once per batch; each row then reads its value in place.
    fn dictionary(d: &'a dyn AnyDictionaryArray) -> Col<'a> {
        // No values: every key is null (anything else is an invalid array).
        if d.values().is_empty() {
            return Col::Null;
        }
        let keys = d
            .normalized_keys()
            .into_iter()
            .enumerate()
            .map(|(r, k)| d.is_valid(r).then_some(k))
            .collect();
        Col::Dict {
            keys,
            values: Box::new(Col::of(d.values())),
        }
    }

    /// Row `r`'s text appended to `out`, as `text` gives it, but without
    /// formatting a whole column of numbers for one row (a reject).
    fn write_text(&self, r: usize, out: &mut Vec<u8>) {
        match self {
            Col::Numbers {
                values,
                array,
                text,
            } => match text.get() {
                Some(f) => out.extend_from_slice(f.get(r)),
                None => write_numbers(array, values, r..r + 1, out, |_| {}),
            },
            Col::Dict { keys, values } => {
                if let Some(k) = keys.get(r).copied().flatten() {
                    values.write_text(k, out);
                }
            }
            _ => out.extend_from_slice(self.text(r)),
        }
    }

    /// Row `r`'s text as a `String`, for a message.
    fn text_of(&self, r: usize) -> String {
        let mut text = Vec::new();
        self.write_text(r, &mut text);
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Row `r`'s text, trimmed; empty when null.
    #[inline]
    pub(crate) fn text(&self, r: usize) -> &[u8] {
        match self {
            Col::Numbers {
                values,
                array,
                text,
            } => text.get_or_init(|| Formatted::of(array, values)).get(r),
            Col::Str(a) if a.is_valid(r) => trimmed(a.value(r)),
            Col::LargeStr(a) if a.is_valid(r) => trimmed(a.value(r)),
            Col::StrView(a) if a.is_valid(r) => trimmed(a.value(r)),
            Col::Bytes(a) if a.is_valid(r) => a.value(r).trim_ascii(),
            Col::LargeBytes(a) if a.is_valid(r) => a.value(r).trim_ascii(),
            Col::BytesView(a) if a.is_valid(r) => a.value(r).trim_ascii(),
            Col::Bool(a) if a.is_valid(r) => {
                if a.value(r) {
                    b"true"
                } else {
                    b"false"
                }
            }
            Col::Dict { keys, values } => keys
                .get(r)
                .copied()
                .flatten()
                .map_or(b"", |k| values.text(k)),
            _ => b"",
        }
    }

    /// Row `r` as a number: `Ok(None)` when null, `Err(text)` when not a
    /// number. NaN and infinities are not numbers, as in CSV text.
    #[inline]
    pub(crate) fn number(&self, r: usize) -> Result<Option<f64>, String> {
        match self {
            Col::Numbers { values, .. } => match values.get(r).copied().flatten() {
                Some(v) if !v.is_finite() => Err(self.text_of(r)),
                v => Ok(v),
            },
            Col::Str(_)
            | Col::LargeStr(_)
            | Col::StrView(_)
            | Col::Bytes(_)
            | Col::LargeBytes(_)
            | Col::BytesView(_) => crate::row::number(self.text(r)),
            Col::Dict { keys, values } => match keys.get(r).copied().flatten() {
                Some(k) => values.number(k),
                None => Ok(None),
            },
            Col::Null => Ok(None),
            Col::Bool(a) if a.is_null(r) => Ok(None),
            Col::Bool(a) => Err(format!("a {} column", a.data_type())),
            Col::Other(a) if a.is_null(r) => Ok(None),
            Col::Other(a) => Err(format!("a {} column", a.data_type())),
        }
    }

    /// Row `r` holds a float that is no number (NaN, an infinity): its text
    /// would make a patient "NaN" of an id.
    pub(crate) fn not_a_number(&self, r: usize) -> bool {
        match self {
            Col::Numbers { values, .. } => values
                .get(r)
                .copied()
                .flatten()
                .is_some_and(|v| !v.is_finite()),
            Col::Dict { keys, values } => keys
                .get(r)
                .copied()
                .flatten()
                .is_some_and(|k| values.not_a_number(k)),
            _ => false,
        }
    }
}

/// Text without the white space around it, as `str::trim` gives it; text
/// that starts and ends with a printable ASCII character (nearly every
/// field) is returned without the search.
#[inline]
fn trimmed(s: &str) -> &[u8] {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => b,
        _ => s.trim().as_bytes(),
    }
}

/// One row of a record batch.
struct ArrowRow<'a, 'b> {
    columns: &'b [Col<'a>],
    row: usize,
}

impl<'b> Fields<'b> for ArrowRow<'_, 'b> {
    #[inline]
    fn count(&self) -> usize {
        self.columns.len()
    }

    #[inline]
    fn text(&self, i: usize) -> &'b [u8] {
        self.columns.get(i).map_or(b"", |c| c.text(self.row))
    }

    #[inline]
    fn number(&self, i: usize) -> Result<Option<f64>, String> {
        self.columns.get(i).map_or(Ok(None), |c| c.number(self.row))
    }
}

/// The row's mapped fields as `name=value`, comma-separated, for the
/// `row` column of the rejects: a Parquet row has no text of its own, and
/// whoever looks for it needs at least its patient id. Empty fields other
/// than the id are left out (most of a wide row is empty).
fn describe(columns: &[Col<'_>], projection: &Projection, row: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity(128);
    let mut field = Vec::with_capacity(64);
    for (i, (c, name)) in columns.iter().zip(&projection.names).enumerate() {
        field.clear();
        field.extend_from_slice(name.as_bytes());
        field.push(b'=');
        let empty = field.len();
        c.write_text(row, &mut field);
        if field.len() == empty && projection.id != Some(i) {
            continue;
        }
        if !raw.is_empty() {
            raw.push(b',');
        }
        csv_field(&mut raw, &field);
    }
    raw
}

/// Where the mapped columns are, in the order the file has them.
pub(crate) struct Projection {
    pub(crate) names: Vec<String>,
    /// The patient id among `names`.
    pub(crate) id: Option<usize>,
}

/// Screens the rows of one record batch, numbered from `line`, in slices of
/// `BATCH_ROWS`: the fields are checked a column at a time, and only a row
/// that fails a check goes through the row path, which says why.
pub(crate) fn screen_batch(
    plan: &RowPlan,
    screener: &Screener<'_>,
    result: &mut BlockResult,
    batch: &RecordBatch,
    projection: &Projection,
    line: u64,
) {
    let mut start = 0;
    while start < batch.num_rows() {
        let slice = batch.slice(start, BATCH_ROWS.min(batch.num_rows() - start));
        let columns: Vec<Col<'_>> = slice.columns().iter().map(Col::of).collect();
        let checked = plan.check_columns(&columns, slice.num_rows());
        let first = line + start as u64;
        let lines = first..first + slice.num_rows() as u64;
        screen_rows(
            plan,
            screener,
            result,
            &columns,
            projection,
            lines,
            Some(&checked),
        );
        start += slice.num_rows();
    }
}

/// The rows of `columns`, numbered `lines` (one line per row): a clean row of `checked`
/// straight from the checked columns, any other through the row path.
fn screen_rows(
    plan: &RowPlan,
    screener: &Screener<'_>,
    result: &mut BlockResult,
    columns: &[Col<'_>],
    projection: &Projection,
    lines: std::ops::Range<u64>,
    checked: Option<&Checked>,
) {
    let id = projection.id.and_then(|i| columns.get(i).map(|c| (i, c)));
    for (row, line) in lines.enumerate() {
        result.summary.rows_in += 1;
        match (checked, id) {
            (Some(checked), Some((_, ids))) if checked.clean.get(row) == Some(&true) => {
                plan.accept(screener, result, line, ids.text(row), &checked.patient(row));
                continue;
            }
            _ => {}
        }
        let fields = ArrowRow { columns, row };
        let rejects = result.rejects.len();
        match id {
            Some((i, c)) if c.not_a_number(row) => {
                result.summary.rows_rejected += 1;
                result.rejects.push(Rejected {
                    line,
                    reason: format!(
                        "{}: '{}' is not a number",
                        projection.names.get(i).map_or("", String::as_str),
                        c.text_of(row)
                    ),
                    raw: Vec::new(),
                });
            }
            _ => plan.screen_row(screener, result, line, &fields, b""),
        }
        // Only a rejected row is described: the others cost nothing.
        if result.rejects.len() > rejects
            && let Some(rejected) = result.rejects.last_mut()
        {
            rejected.raw = describe(columns, projection, row);
        }
    }
}

/// The mapped columns of a table (a Parquet file, Arrow batches): where they
/// are, the row plan over them, and the patient id among them.
pub(crate) struct Projected {
    /// Positions of the mapped columns in the table, ascending.
    pub(crate) indices: Vec<usize>,
    pub(crate) plan: RowPlan,
    pub(crate) projection: Projection,
}

/// Every mapped column must be in `schema`, each once, and of a type that
/// holds numbers or text (`source` names the table).
pub(crate) fn project(
    kb: &Knowledge,
    mapping: &crate::Mapping,
    schema: &arrow_schema::Schema,
    source: &str,
) -> Result<Projected, ScreenError> {
    let fields: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let fields = &fields[..];
    let mapped = mapped_columns(mapping);
    refuse_repeated(fields, &mapped, source)?;
    let mut indices = Vec::new();
    for name in mapped {
        let i =
            fields
                .iter()
                .position(|f| *f == name)
                .ok_or_else(|| ScreenError::MissingColumn {
                    column: name.clone(),
                    what: "mapped column".into(),
                    header: crate::shown_header(fields),
                })?;
        let kind = schema.field(i).data_type();
        let yes_no = mapping.pregnant.as_ref() == Some(&name);
        if !readable(kind, yes_no) {
            return Err(ScreenError::Mapping(format!(
                "column '{name}' of {source} is of type {kind}: Kobalt reads numbers or text there"
            )));
        }
        if !indices.contains(&i) {
            indices.push(i);
        }
    }
    indices.sort_unstable();
    let projected: Vec<String> = indices.iter().map(|i| fields[*i].clone()).collect();
    let plan = RowPlan::new(kb, mapping, &projected)?;
    Ok(Projected {
        indices,
        plan,
        projection: Projection {
            id: projected.iter().position(|n| *n == mapping.patient_id),
            names: projected,
        },
    })
}

/// Whether a column of this type gives numbers or text (`Col::of`): not a
/// date, time, list or struct, which would reject every row; a yes/no column
/// only where a yes or no is read (`yes_no`: pregnant).
fn readable(kind: &DataType, yes_no: bool) -> bool {
    match kind {
        DataType::Dictionary(_, values) => readable(values, yes_no),
        DataType::Boolean => yes_no,
        k => {
            k.is_numeric()
                || matches!(
                    k,
                    DataType::Utf8
                        | DataType::LargeUtf8
                        | DataType::Utf8View
                        | DataType::Binary
                        | DataType::LargeBinary
                        | DataType::BinaryView
                        | DataType::Null
                )
        }
    }
}

/// The mapping's column names, in the order the file has them.
fn mapped_columns(m: &crate::Mapping) -> Vec<String> {
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

/// A name the mapping uses must name one column: of two `patient_id`
/// columns the first would be used silently, and the other may be the one
/// meant. Refused before any row is screened.
fn refuse_repeated(fields: &[String], mapped: &[String], path: &str) -> Result<(), ScreenError> {
    for name in mapped {
        let at: Vec<String> = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| *f == name)
            .map(|(i, _)| (i + 1).to_string())
            .collect();
        if at.len() > 1 {
            return Err(ScreenError::Mapping(format!(
                "{} columns of {path} are named '{name}' (columns {}): the mapping cannot tell \
                 which one to use; rename or drop all but one",
                at.len(),
                at.join(", ")
            )));
        }
    }
    Ok(())
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
    let Projected {
        indices,
        plan,
        projection,
    } = project(
        kb,
        &opts.mapping,
        builder.schema(),
        &opts.input.display().to_string(),
    )?;
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
            .with_batch_size(BATCH_ROWS)
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
            screen_batch(&plan, screener, &mut result, &batch, &projection, line);
            line += batch.num_rows() as u64;
        }
        Ok(result)
    };
    // Rows count from 1: a reject's line is its row in the file.
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

/// Screens a table that arrives as record batches, in order (the OMOP reader
/// of `kobalt screen --omop`), into `opts.out` and `opts.rejects` as `run`
/// screens a file: the same output, rejects, summary, duplicate check and
/// guarantees (nothing published unless both files are complete). A read
/// error from `batches` ends the run with that error. `opts.input` names the
/// source in messages only.
pub fn run_table<I>(
    kb: &Knowledge,
    opts: &Options,
    schema: &arrow_schema::Schema,
    batches: I,
    progress: &dyn crate::Progress,
) -> Result<Outcome, ScreenError>
where
    I: Iterator<Item = Result<RecordBatch, ScreenError>> + Send,
{
    crate::check_outputs(opts)?;
    let source = opts.input.display().to_string();
    let Projected {
        indices,
        plan,
        projection,
    } = project(kb, &opts.mapping, schema, &source)?;
    let screener = Screener::new(kb, opts.guideline);
    crate::into_files(opts, progress, |sink| {
        progress.start(None);
        let row_bytes = sink.out.row_bytes();
        let process = |(index, batch): (u64, Result<RecordBatch, ScreenError>),
                       buffers: Buffers| {
            let batch = batch?
                .project(&indices)
                .map_err(|e| ScreenError::Mapping(e.to_string()))?;
            let rows = batch.num_rows();
            let mut result = BlockResult::new(index, 0, row_bytes, buffers, rows);
            result.lines = rows as u64;
            screen_batch(&plan, &screener, &mut result, &batch, &projection, 0);
            Ok(result)
        };
        let threads = crate::usable_threads(opts.threads);
        let (job_tx, job_rx) = crossbeam_channel::bounded(threads * 2);
        let summary = std::thread::scope(|scope| {
            // The reader: batches numbered in order; it stops after an error.
            let reader = std::thread::Builder::new().spawn_scoped(scope, move || {
                for (index, batch) in batches.enumerate() {
                    let failed = batch.is_err();
                    if job_tx.send((index as u64, batch)).is_err() || failed {
                        break;
                    }
                }
            });
            reader.map_err(|e| ScreenError::Read {
                path: source.clone(),
                source: e,
            })?;
            // Rows count from 1: a reject's line is its row in the table.
            pipeline::ordered(
                job_rx,
                threads,
                &process,
                1,
                0,
                sink,
                &opts.out.display().to_string(),
            )
        })?;
        Ok(Outcome {
            summary,
            truncated: None,
        })
    })
}

#[cfg(test)]
mod tests;
