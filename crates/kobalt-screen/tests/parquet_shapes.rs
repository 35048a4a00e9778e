//! Parquet as writers produce it (issue 17 item 3; reliability review P02,
//! P03, P10, P11, P13, P18, P19, P20): dictionary (pandas `category`), every
//! integer width, decimals, NaN, string-like and all-null columns give the
//! statuses and rejects of the same data as plain Int64/Float64/Utf8 columns;
//! a reject names its row and carries its values; and every input row is in
//! the output or the rejects, counted from the files themselves.

mod common;
use common::{KB, read_csv};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::types::{
    ArrowDictionaryKeyType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BinaryArray, BooleanArray, Decimal32Array, Decimal64Array,
    Decimal128Array, Decimal256Array, DictionaryArray, Float32Array, Float64Array, Int64Array,
    LargeBinaryArray, LargeStringArray, NullArray, PrimitiveArray, RecordBatch, StringArray,
    StringViewArray,
};
use arrow_schema::{DataType, Field, Schema};
use kobalt_contract::Guideline;
use kobalt_screen::{Mapping, Options, Silent, run};

/// Rows of every test export: ids 1..=120 fit every integer width.
const N: usize = 120;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "kobalt-parquet-shapes-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

type Columns = Vec<(&'static str, ArrayRef)>;

fn ages() -> Vec<Option<i64>> {
    (0..N as i64)
        .map(|i| (i % 17 != 3).then_some(20 + i % 70))
        .collect()
}

/// B12 in whole pmol/L or pg/mL: every status, a negative value, empty ones.
fn b12_whole() -> Vec<Option<i64>> {
    (0..N as i64)
        .map(|i| match i % 11 {
            0 => None,
            1 => Some(-5),
            n => Some(100 + n * 30 + i % 13),
        })
        .collect()
}

/// B12 in hundredths: quarters on top of the whole values.
fn b12_cents() -> Vec<Option<i64>> {
    b12_whole()
        .iter()
        .enumerate()
        .map(|(i, v)| v.map(|v| v * 100 + (i as i64 % 4) * 25))
        .collect()
}

/// MMA in thousandths of µmol/L: 0.200 to 0.550, on both sides of the limits.
fn mma_milli() -> Vec<Option<i64>> {
    (0..N as i64)
        .map(|i| (i % 5 == 0).then_some(200 + 50 * (i % 8)))
        .collect()
}

fn mcv() -> Vec<Option<i64>> {
    (0..N as i64)
        .map(|i| match (i % 13, i % 2) {
            (0, 0) => Some(104),
            (0, _) => Some(86),
            _ => (i % 6 == 1).then_some(90),
        })
        .collect()
}

fn units() -> Vec<Option<&'static str>> {
    (0..N)
        .map(|i| match i {
            _ if i % 23 == 5 => Some("mmol/dag"),
            _ if i % 29 == 7 => None,
            _ if i % 3 == 0 => Some("pg/mL"),
            _ => Some("pmol/L"),
        })
        .collect()
}

fn floats(values: &[Option<i64>], scale: f64) -> ArrayRef {
    Arc::new(Float64Array::from_iter(
        values.iter().map(|v| v.map(|v| v as f64 / scale)),
    ))
}

fn float_column(f: impl Fn(usize) -> Option<f64>) -> ArrayRef {
    Arc::new(Float64Array::from_iter((0..N).map(f)))
}

/// The plain export: Int64 ids and ages, Float64 numbers, Utf8 text.
fn plain() -> Columns {
    vec![
        (
            "patient_id",
            Arc::new(Int64Array::from_iter_values(1..=N as i64)) as ArrayRef,
        ),
        ("age", Arc::new(Int64Array::from(ages()))),
        (
            "sex",
            Arc::new(StringArray::from_iter((0..N).map(|i| match i {
                _ if i % 19 == 4 => None,
                _ if i % 2 == 0 => Some("F"),
                _ => Some("M"),
            }))),
        ),
        (
            "metformin_years",
            float_column(|i| (i % 7 == 0).then_some(6.0)),
        ),
        ("ppi_years", float_column(|i| (i % 9 == 0).then_some(3.0))),
        ("b12_value", floats(&b12_whole(), 1.0)),
        ("b12_unit", Arc::new(StringArray::from(units()))),
        (
            "holotc_pmol",
            float_column(|i| (i % 8 == 0).then_some((30 + i % 25) as f64)),
        ),
        ("mma_umol", floats(&mma_milli(), 1000.0)),
        (
            "hcy_umol",
            float_column(|i| (i % 10 == 2).then_some((12 + i % 10) as f64)),
        ),
        ("hb_gdl", float_column(|i| (i % 13 == 0).then_some(10.1))),
        ("mcv_fl", floats(&mcv(), 1.0)),
        ("folate_ngml", float_column(|i| (i % 4 == 0).then_some(5.5))),
    ]
}

/// `columns` with `name` replaced by `array`.
fn with(mut columns: Columns, name: &str, array: ArrayRef) -> Columns {
    let slot = columns
        .iter_mut()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    slot.1 = array;
    columns
}

/// Writes `columns` as a Parquet file of row groups of `group_rows` rows.
fn write(path: &Path, columns: &Columns, group_rows: usize) {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.iter().map(|c| c.1.clone()).collect(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("{e}"));
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, Some(props))
        .unwrap_or_else(|e| panic!("{e}"));
    writer.write(&batch).unwrap_or_else(|e| panic!("{e}"));
    writer.close().unwrap_or_else(|e| panic!("{e}"));
}

/// The type a reader of the file gets for `name`: the shape under test
/// must survive the round trip, or the test would test nothing.
fn stored_type(path: &Path, name: &str) -> DataType {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}"));
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap_or_else(|e| panic!("{e}"));
    builder
        .schema()
        .field_with_name(name)
        .unwrap_or_else(|e| panic!("{e}"))
        .data_type()
        .clone()
}

/// What a run wrote, read back from its files.
#[derive(Debug)]
struct Files {
    out: Vec<Vec<String>>,
    /// `line`, `reason`, `row`.
    rejects: Vec<Vec<String>>,
}

impl Files {
    /// The rejects without their `row` column (whose text follows the column type).
    fn reasons(&self) -> Vec<(String, String)> {
        self.rejects
            .iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect()
    }

    fn reason(&self, line: usize) -> String {
        self.rejects
            .iter()
            .find(|r| r[0] == line.to_string())
            .map(|r| r[1].clone())
            .unwrap_or_default()
    }
}

fn options(d: &Path, name: &str, mapping: Mapping) -> Options {
    Options {
        input: d.join(format!("{name}.parquet")),
        out: d.join(format!("{name}.csv")),
        rejects: d.join(format!("{name}.rejects.csv")),
        guideline: Guideline::Nhg,
        mapping,
        threads: 2,
        block_bytes: 4096,
    }
}

/// Writes `columns` as `name.parquet`, screens it and reads the output and
/// rejects back; every input row must be in one of the two files.
fn screen_with(d: &Path, name: &str, columns: &Columns, mapping: Mapping) -> Files {
    let opts = options(d, name, mapping);
    write(&opts.input, columns, 32);
    let outcome = run(&KB, &opts, &Silent).unwrap_or_else(|e| panic!("{name}: {e}"));
    let files = Files {
        out: read_csv(&opts.out),
        rejects: read_csv(&opts.rejects),
    };
    let rows_in = columns.first().map_or(0, |c| c.1.len());
    assert_eq!(
        rows_in,
        files.out.len() + files.rejects.len(),
        "{name}: rows are lost or doubled (counted from the files)"
    );
    assert!(outcome.summary.conserved(), "{}", outcome.summary.text());
    assert_eq!(outcome.summary.rows_in, rows_in as u64);
    files
}

fn screen(d: &Path, name: &str, columns: &Columns) -> Files {
    screen_with(d, name, columns, Mapping::builtin())
}

/// The shape gives what the plain columns give: the same output rows and
/// the same rejects (line and reason).
fn assert_same(shape: &str, got: &Files, plain: &Files) {
    assert_eq!(
        got.out, plain.out,
        "{shape}: output differs; rejects {:?}",
        got.rejects
    );
    assert_eq!(got.reasons(), plain.reasons(), "{shape}: rejects differ");
}

fn ints<T: ArrowPrimitiveType>(values: &[Option<i64>]) -> ArrayRef
where
    T::Native: TryFrom<i64>,
{
    Arc::new(PrimitiveArray::<T>::from_iter(values.iter().map(|v| {
        v.map(|v| {
            T::Native::try_from(v)
                .ok()
                .unwrap_or_else(|| panic!("{v} does not fit"))
        })
    })))
}

fn dictionary<K: ArrowDictionaryKeyType>(texts: &[Option<String>]) -> ArrayRef {
    Arc::new(
        texts
            .iter()
            .map(Option::as_deref)
            .collect::<DictionaryArray<K>>(),
    )
}

fn texts(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

/// Patient ids as text, `P0120` down to `P0001`, with one missing.
fn id_texts() -> Vec<Option<String>> {
    (0..N)
        .map(|i| (i != 40).then(|| format!("P{:04}", N - i)))
        .collect()
}

#[test]
fn p02_dictionary_patient_ids_are_read_as_their_values() {
    let d = dir("p02");
    let ids = id_texts();
    let expected = screen(
        &d,
        "plain",
        &with(
            plain(),
            "patient_id",
            Arc::new(StringArray::from(ids.clone())),
        ),
    );
    assert!(expected.out.len() > 80, "{:?}", expected.rejects);
    assert_eq!(expected.reason(41), "patient_id is empty");
    // pandas `category` codes are Int8 for up to 127 categories.
    let shapes: [(&str, ArrayRef); 3] = [
        ("int8", dictionary::<Int8Type>(&ids)),
        ("int32", dictionary::<Int32Type>(&ids)),
        ("uint16", dictionary::<UInt16Type>(&ids)),
    ];
    for (shape, array) in shapes {
        let cols = with(plain(), "patient_id", array);
        let got = screen(&d, shape, &cols);
        assert!(
            matches!(
                stored_type(&d.join(format!("{shape}.parquet")), "patient_id"),
                DataType::Dictionary(..)
            ),
            "{shape}"
        );
        assert_same(shape, &got, &expected);
    }
}

#[test]
fn p10_dictionary_units_are_read_as_their_values() {
    let d = dir("p10");
    let base = screen(&d, "plain", &plain());
    assert!(base.out.len() > 80, "{:?}", base.rejects);
    let unit_texts = texts(&units());
    let large: ArrayRef = {
        let values = LargeStringArray::from(vec!["pmol/L", "pg/mL", "mmol/dag"]);
        let keys = PrimitiveArray::<UInt32Type>::from_iter(units().iter().map(|u| {
            u.map(|u| match u {
                "pmol/L" => 0,
                "pg/mL" => 1,
                _ => 2,
            })
        }));
        Arc::new(DictionaryArray::try_new(keys, Arc::new(values)).unwrap_or_else(|e| panic!("{e}")))
    };
    let shapes: [(&str, ArrayRef); 3] = [
        ("int8", dictionary::<Int8Type>(&unit_texts)),
        ("int16", dictionary::<Int16Type>(&unit_texts)),
        ("uint32-large", large),
    ];
    for (shape, array) in shapes {
        let got = screen(&d, shape, &with(plain(), "b12_unit", array));
        assert!(
            matches!(
                stored_type(&d.join(format!("{shape}.parquet")), "b12_unit"),
                DataType::Dictionary(..)
            ),
            "{shape}"
        );
        assert_same(shape, &got, &base);
    }
}

/// Ids, ages, MCV (and B12 where it fits) of one integer type.
fn integer_shape<T: ArrowPrimitiveType>(signed: bool) -> (Columns, Columns)
where
    T::Native: TryFrom<i64>,
{
    let ids: Vec<Option<i64>> = (1..=N as i64).map(Some).collect();
    // Unsigned columns cannot hold the negative B12: both files leave it empty.
    let b12: Vec<Option<i64>> = b12_whole()
        .into_iter()
        .map(|v| v.filter(|v| signed || *v >= 0))
        .collect();
    let plain = with(
        with(
            with(
                with(
                    plain(),
                    "patient_id",
                    Arc::new(Int64Array::from(ids.clone())),
                ),
                "age",
                Arc::new(Int64Array::from(ages())),
            ),
            "mcv_fl",
            floats(&mcv(), 1.0),
        ),
        "b12_value",
        floats(&b12, 1.0),
    );
    let wide = std::mem::size_of::<T::Native>() >= 2;
    let mut shaped = with(
        with(
            with(plain.clone(), "patient_id", ints::<T>(&ids)),
            "age",
            ints::<T>(&ages()),
        ),
        "mcv_fl",
        ints::<T>(&mcv()),
    );
    if wide {
        shaped = with(shaped, "b12_value", ints::<T>(&b12));
    }
    (plain, shaped)
}

#[test]
fn p03_p18_every_integer_width_is_read_as_numbers() {
    let d = dir("p03");
    let shapes: [(&str, DataType, (Columns, Columns)); 8] = [
        ("int8", DataType::Int8, integer_shape::<Int8Type>(true)),
        ("int16", DataType::Int16, integer_shape::<Int16Type>(true)),
        ("int32", DataType::Int32, integer_shape::<Int32Type>(true)),
        ("int64", DataType::Int64, integer_shape::<Int64Type>(true)),
        ("uint8", DataType::UInt8, integer_shape::<UInt8Type>(false)),
        (
            "uint16",
            DataType::UInt16,
            integer_shape::<UInt16Type>(false),
        ),
        (
            "uint32",
            DataType::UInt32,
            integer_shape::<UInt32Type>(false),
        ),
        (
            "uint64",
            DataType::UInt64,
            integer_shape::<UInt64Type>(false),
        ),
    ];
    for (shape, ty, (plain, shaped)) in shapes {
        let expected = screen(&d, &format!("{shape}-plain"), &plain);
        assert!(expected.out.len() > 80, "{shape}: {:?}", expected.rejects);
        let got = screen(&d, shape, &shaped);
        assert_eq!(stored_type(&d.join(format!("{shape}.parquet")), "age"), ty);
        assert_same(shape, &got, &expected);
    }
}

#[test]
fn integer_ids_past_2_pow_53_stay_exact() {
    let d = dir("big-ids");
    let signed: Vec<i64> = (0..N as i64).map(|i| (1 << 53) + 1 + i).collect();
    let unsigned: Vec<u64> = (0..N as u64).map(|i| u64::MAX - i).collect();
    let as_text = |ids: Vec<String>| -> ArrayRef { Arc::new(StringArray::from(ids)) };
    let shapes: [(&str, ArrayRef, ArrayRef); 2] = [
        (
            "int64",
            Arc::new(Int64Array::from(signed.clone())),
            as_text(signed.iter().map(i64::to_string).collect()),
        ),
        (
            "uint64",
            Arc::new(PrimitiveArray::<UInt64Type>::from(unsigned.clone())),
            as_text(unsigned.iter().map(u64::to_string).collect()),
        ),
    ];
    for ((shape, ids, text), first) in shapes
        .into_iter()
        .zip(["9007199254740993", "18446744073709551615"])
    {
        let expected = screen(
            &d,
            &format!("{shape}-text"),
            &with(plain(), "patient_id", text),
        );
        let got = screen(&d, shape, &with(plain(), "patient_id", ids));
        assert_same(shape, &got, &expected);
        assert_eq!(got.out.first().map(|r| r[0].as_str()), Some(first));
    }
}

/// Decimal arrays of hundredths (B12) or thousandths (MMA).
fn decimals(values: &[Option<i64>], precision: u8, scale: i8) -> [(&'static str, ArrayRef); 4] {
    let dec = |e: arrow_schema::ArrowError| -> ArrayRef { panic!("{e}") };
    let of = |v: &Option<i64>| *v;
    // Parquet readers give small precisions as Decimal32/64, wide ones as Decimal256.
    [
        (
            "decimal32",
            Decimal32Array::from_iter(values.iter().map(|v| of(v).map(|v| v as i32)))
                .with_precision_and_scale(precision.min(9), scale)
                .map_or_else(dec, |a| Arc::new(a) as ArrayRef),
        ),
        (
            "decimal64",
            Decimal64Array::from_iter(values.iter().map(of))
                .with_precision_and_scale(precision.min(18), scale)
                .map_or_else(dec, |a| Arc::new(a) as ArrayRef),
        ),
        (
            "decimal128",
            Decimal128Array::from_iter(values.iter().map(|v| of(v).map(i128::from)))
                .with_precision_and_scale(precision.min(38), scale)
                .map_or_else(dec, |a| Arc::new(a) as ArrayRef),
        ),
        (
            "decimal256",
            Decimal256Array::from_iter(values.iter().map(|v| of(v).map(|v| i128::from(v).into())))
                .with_precision_and_scale(40, scale)
                .map_or_else(dec, |a| Arc::new(a) as ArrayRef),
        ),
    ]
}

#[test]
fn p11_decimal_lab_values_are_read_with_their_scale() {
    let d = dir("p11");
    // The review's file: decimal128(22, 2); and the other widths.
    let b12 = decimals(&b12_cents(), 22, 2);
    let mma = decimals(&mma_milli(), 10, 3);
    for ((shape, b12), (_, mma)) in b12.into_iter().zip(mma) {
        let cols = with(with(plain(), "b12_value", b12), "mma_umol", mma);
        let expected = screen(
            &d,
            &format!("{shape}-plain"),
            &with(
                with(plain(), "b12_value", floats(&b12_cents(), 100.0)),
                "mma_umol",
                floats(&mma_milli(), 1000.0),
            ),
        );
        assert!(expected.out.len() > 80, "{:?}", expected.rejects);
        let got = screen(&d, shape, &cols);
        assert!(
            matches!(
                stored_type(&d.join(format!("{shape}.parquet")), "b12_value"),
                DataType::Decimal32(..)
                    | DataType::Decimal64(..)
                    | DataType::Decimal128(..)
                    | DataType::Decimal256(..)
            ),
            "{shape}"
        );
        assert_same(shape, &got, &expected);
    }
}

/// NaN and infinities: age in rows 1 and 2, B12 in rows 3 and 4, MMA in rows
/// 8 and 9 (lines 2, 3, 4, 5, 9, 10), rows whose other fields are fine.
fn not_numbers() -> [Vec<Option<f64>>; 3] {
    let mut age: Vec<Option<f64>> = ages().iter().map(|v| v.map(|v| v as f64)).collect();
    let mut b12: Vec<Option<f64>> = b12_whole().iter().map(|v| v.map(|v| v as f64)).collect();
    let mut mma: Vec<Option<f64>> = mma_milli()
        .iter()
        .map(|v| v.map(|v| v as f64 / 1000.0))
        .collect();
    age[1] = Some(f64::NAN);
    age[2] = Some(f64::INFINITY);
    b12[3] = Some(f64::NAN);
    b12[4] = Some(f64::NEG_INFINITY);
    mma[8] = Some(f64::NAN);
    mma[9] = Some(f64::INFINITY);
    [age, b12, mma]
}

#[test]
fn nan_and_infinite_values_are_not_numbers_and_name_their_column() {
    let d = dir("nan");
    let [age, b12, mma] = not_numbers();
    let text = |v: &[Option<f64>]| -> ArrayRef {
        Arc::new(StringArray::from_iter(
            v.iter().map(|v| v.map(|v| v.to_string())),
        ))
    };
    let f64s = |v: &[Option<f64>]| -> ArrayRef { Arc::new(Float64Array::from(v.to_vec())) };
    let f32s = |v: &[Option<f64>]| -> ArrayRef {
        Arc::new(Float32Array::from_iter(
            v.iter().map(|v| v.map(|v| v as f32)),
        ))
    };
    let shaped = |f: &dyn Fn(&[Option<f64>]) -> ArrayRef| {
        with(
            with(with(plain(), "age", f(&age)), "b12_value", f(&b12)),
            "mma_umol",
            f(&mma),
        )
    };
    // The oracle: the same values as text, as a CSV export holds them.
    let expected = screen(&d, "text", &shaped(&text));
    for (line, column) in [
        (2, "age"),
        (3, "age"),
        (4, "b12_value"),
        (5, "b12_value"),
        (9, "mma_umol"),
        (10, "mma_umol"),
    ] {
        let reason = expected.reason(line);
        assert!(
            reason.starts_with(&format!("{column}: '")) && reason.ends_with("is not a number"),
            "line {line}: {reason}"
        );
    }
    for (shape, f) in [
        ("float64", &f64s as &dyn Fn(&[Option<f64>]) -> ArrayRef),
        ("float32", &f32s),
    ] {
        let got = screen(&d, shape, &shaped(f));
        assert_same(shape, &got, &expected);
    }
}

#[test]
fn p13_a_nan_patient_id_is_rejected_not_patient_nan() {
    let d = dir("p13");
    let ids: Vec<f64> = (0..N)
        .map(|i| match i {
            0 => f64::NAN,
            1 => 1.5,
            2 => 1e20,
            3 => f64::INFINITY,
            _ => (i + 1) as f64,
        })
        .collect();
    let got = screen(
        &d,
        "float",
        &with(plain(), "patient_id", Arc::new(Float64Array::from(ids))),
    );
    for line in [1, 4] {
        let reason = got.reason(line);
        assert!(
            reason.starts_with("patient_id") && reason.contains("not a number"),
            "line {line}: {reason:?}"
        );
    }
    assert!(
        !got.out.iter().any(|r| r[0] == "NaN" || r[0] == "inf"),
        "{:?}",
        got.out
    );
    // The oracle: the other ids as text.
    let text: Vec<Option<String>> = (0..N)
        .map(|i| match i {
            0 | 3 => None,
            1 => Some("1.5".to_owned()),
            2 => Some("100000000000000000000".to_owned()),
            _ => Some((i + 1).to_string()),
        })
        .collect();
    let expected = screen(
        &d,
        "text",
        &with(plain(), "patient_id", Arc::new(StringArray::from(text))),
    );
    assert_eq!(got.out, expected.out);
    let lines = |f: &Files| f.rejects.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    assert_eq!(lines(&got), lines(&expected));
}

#[test]
fn p19_a_repeated_mapped_column_is_refused_naming_it() {
    let d = dir("p19");
    for name in ["patient_id", "b12_unit"] {
        let mut cols = plain();
        let twin: ArrayRef = match name {
            "patient_id" => Arc::new(StringArray::from_iter_values(
                (0..N).map(|i| format!("X{i}")),
            )),
            _ => Arc::new(StringArray::from_iter_values((0..N).map(|_| "pg/mL"))),
        };
        cols.push((name, twin));
        let opts = options(&d, name, Mapping::builtin());
        write(&opts.input, &cols, 32);
        let err = run(&KB, &opts, &Silent)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains(&format!("'{name}'")) && err.contains("2 columns"),
            "{name}: {err:?}"
        );
    }
    // A repeated column the mapping does not use is no problem.
    let mut cols = plain();
    cols.push(("folate_ngml", float_column(|_| Some(1.0))));
    let got = screen(&d, "unmapped", &cols);
    let expected = screen(&d, "plain", &plain());
    assert_same("unmapped twin", &got, &expected);
}

#[test]
fn p20_a_parquet_reject_names_its_row_and_carries_its_values() {
    let d = dir("p20");
    let cols = with(
        plain(),
        "patient_id",
        Arc::new(StringArray::from(id_texts())),
    );
    // Row groups of 32 rows: row numbers run on across them.
    let got = screen(&d, "plain", &cols);
    let ids = id_texts();
    let (ages, b12, units) = (ages(), b12_whole(), units());
    assert!(got.rejects.len() > 10, "{:?}", got.rejects);
    for reject in &got.rejects {
        let line: usize = reject[0].parse().unwrap_or_else(|e| panic!("{e}"));
        let i = line - 1;
        let row = &reject[2];
        let fields: Vec<&str> = row.split(',').collect();
        // The id always (even empty); the other fields when they hold a value.
        let mut expected = vec![format!("patient_id={}", ids[i].as_deref().unwrap_or(""))];
        expected.extend(ages[i].map(|v| format!("age={v}")));
        expected.extend(b12[i].map(|v| format!("b12_value={v}")));
        expected.extend(units[i].map(|u| format!("b12_unit={u}")));
        for field in &expected {
            assert!(
                fields.contains(&field.as_str()),
                "line {line} ({}): row {row:?} lacks {field:?}",
                reject[1]
            );
        }
        for (name, value) in [
            ("age=", ages[i].is_some()),
            ("b12_unit=", units[i].is_some()),
        ] {
            assert!(
                value || !fields.iter().any(|f| f.starts_with(name)),
                "line {line}: {row:?}"
            );
        }
    }
    // The negative B12 of row 13 (index 12) and the unknown unit of row 29.
    assert!(
        got.reason(13).contains("negative value"),
        "{:?}",
        got.rejects
    );
    assert!(got.reason(29).contains("mmol/dag"), "{:?}", got.rejects);
}

#[test]
fn all_null_and_string_like_columns_are_read() {
    let d = dir("strings");
    let ids = id_texts();
    let expected = screen(
        &d,
        "plain",
        &with(
            with(
                plain(),
                "patient_id",
                Arc::new(StringArray::from(ids.clone())),
            ),
            "hcy_umol",
            float_column(|_| None),
        ),
    );
    let bytes: Vec<Option<&[u8]>> = ids
        .iter()
        .map(|v| v.as_deref().map(str::as_bytes))
        .collect();
    let unit_view: ArrayRef = Arc::new(StringViewArray::from(units()));
    let shapes: [(&str, ArrayRef); 4] = [
        ("large-utf8", Arc::new(LargeStringArray::from(ids.clone()))),
        ("utf8-view", Arc::new(StringViewArray::from(ids.clone()))),
        ("binary", Arc::new(BinaryArray::from(bytes.clone()))),
        ("large-binary", Arc::new(LargeBinaryArray::from(bytes))),
    ];
    for (shape, array) in shapes {
        let cols = with(
            with(
                with(plain(), "patient_id", array),
                "hcy_umol",
                Arc::new(NullArray::new(N)),
            ),
            "b12_unit",
            unit_view.clone(),
        );
        let got = screen(&d, shape, &cols);
        assert_eq!(
            stored_type(&d.join(format!("{shape}.parquet")), "hcy_umol"),
            DataType::Null
        );
        assert_same(shape, &got, &expected);
    }
}

#[test]
fn a_boolean_pregnant_column_is_read() {
    let d = dir("pregnant");
    let mut mapping = Mapping::builtin();
    mapping.pregnant = Some("pregnant".to_owned());
    // Women of 20 to 40 with a grey-zone B12.
    let pregnant: Vec<Option<bool>> = (0..N).map(|i| Some(i % 2 == 0)).collect();
    let base = with(
        with(
            with(
                plain(),
                "sex",
                Arc::new(StringArray::from_iter_values((0..N).map(|_| "F"))),
            ),
            "age",
            Arc::new(Int64Array::from_iter_values(
                (0..N as i64).map(|i| 20 + i % 20),
            )),
        ),
        "b12_value",
        float_column(|i| Some(150.0 + (i % 60) as f64)),
    );
    let text: ArrayRef = Arc::new(StringArray::from_iter(
        pregnant
            .iter()
            .map(|p| p.map(|p| if p { "true" } else { "false" })),
    ));
    let mut plain_cols = base.clone();
    plain_cols.push(("pregnant", text));
    let mut bool_cols = base;
    bool_cols.push(("pregnant", Arc::new(BooleanArray::from(pregnant))));
    let expected = screen_with(&d, "text", &plain_cols, mapping.clone());
    let not_pregnant = {
        let mut m = mapping.clone();
        m.pregnant = None;
        screen_with(&d, "ignored", &plain_cols, m)
    };
    assert_ne!(
        expected.out, not_pregnant.out,
        "pregnancy changes no status: the test would test nothing"
    );
    let got = screen_with(&d, "bool", &bool_cols, mapping);
    assert_same("boolean", &got, &expected);
}
