//! The column path against the row path (`row/columns.rs`): on random
//! batches of every column type Arrow writers use, with nulls, NaN,
//! infinities, white space of every kind, bytes that are not UTF-8, sliced
//! arrays and several mappings, both give the same output, keys, rejects and
//! summary, and the clean rows are exactly the rows the row path accepts.
use std::sync::Arc;

use arrow_array::types::*;
use arrow_array::*;
use kobalt_contract::Guideline;
use kobalt_engine::screen::Screener;
use proptest::prelude::*;

use super::{Col, Projected, project, screen_rows, trimmed};
use crate::Mapping;
use crate::mapping::LabColumn;
use crate::output::RowBytes;
use crate::row::{BlockResult, Buffers};

static KB: std::sync::LazyLock<kobalt_kb::Knowledge> =
    std::sync::LazyLock::new(|| kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}")));

type Cell = Option<String>;

fn num(c: &Cell) -> Option<f64> {
    c.as_deref().and_then(|t| t.trim().parse::<f64>().ok())
}
fn int<T: TryFrom<i64>>(c: &Cell) -> Option<T> {
    num(c)
        .filter(|v| v.fract() == 0.0 && v.abs() < 9e15)
        .and_then(|v| T::try_from(v as i64).ok())
}
fn scaled(c: &Cell, s: i32) -> Option<i128> {
    num(c)
        .filter(|v| v.is_finite() && v.abs() < 1e12)
        .map(|v| (v * 10f64.powi(s)).round() as i128)
}
fn bytes(c: &Cell) -> Option<Vec<u8>> {
    c.as_deref().map(|t| {
        if t == "<ff>" {
            vec![0xff, b'1']
        } else {
            t.as_bytes().to_vec()
        }
    })
}

const ENCODINGS: usize = 28;

/// Arrow array of encoding `e` holding `cells`.
fn encode(e: usize, cells: &[Cell]) -> ArrayRef {
    let strs: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
    let bins: Vec<Option<Vec<u8>>> = cells.iter().map(bytes).collect();
    let bins: Vec<Option<&[u8]>> = bins.iter().map(|b| b.as_deref()).collect();
    match e {
        0 => Arc::new(Float64Array::from(
            cells.iter().map(num).collect::<Vec<_>>(),
        )),
        1 => Arc::new(Float32Array::from(
            cells
                .iter()
                .map(|c| num(c).map(|v| v as f32))
                .collect::<Vec<_>>(),
        )),
        2 => Arc::new(Int8Array::from(
            cells.iter().map(int::<i8>).collect::<Vec<_>>(),
        )),
        3 => Arc::new(Int16Array::from(
            cells.iter().map(int::<i16>).collect::<Vec<_>>(),
        )),
        4 => Arc::new(Int32Array::from(
            cells.iter().map(int::<i32>).collect::<Vec<_>>(),
        )),
        5 => Arc::new(Int64Array::from(
            cells.iter().map(int::<i64>).collect::<Vec<_>>(),
        )),
        6 => Arc::new(UInt8Array::from(
            cells.iter().map(int::<u8>).collect::<Vec<_>>(),
        )),
        7 => Arc::new(UInt16Array::from(
            cells.iter().map(int::<u16>).collect::<Vec<_>>(),
        )),
        8 => Arc::new(UInt32Array::from(
            cells.iter().map(int::<u32>).collect::<Vec<_>>(),
        )),
        9 => Arc::new(UInt64Array::from(
            cells.iter().map(int::<u64>).collect::<Vec<_>>(),
        )),
        10 => Arc::new(
            Decimal32Array::from(
                cells
                    .iter()
                    .map(|c| scaled(c, 2).and_then(|v| i32::try_from(v).ok()))
                    .collect::<Vec<_>>(),
            )
            .with_precision_and_scale(9, 2)
            .unwrap_or_else(|e| panic!("{e}")),
        ),
        11 => Arc::new(
            Decimal64Array::from(
                cells
                    .iter()
                    .map(|c| scaled(c, 3).map(|v| v as i64))
                    .collect::<Vec<_>>(),
            )
            .with_precision_and_scale(18, 3)
            .unwrap_or_else(|e| panic!("{e}")),
        ),
        12 => Arc::new(
            Decimal128Array::from(cells.iter().map(|c| scaled(c, 4)).collect::<Vec<_>>())
                .with_precision_and_scale(38, 4)
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        13 => Arc::new(
            Decimal256Array::from(
                cells
                    .iter()
                    .map(|c| {
                        scaled(c, 1).map(<Decimal256Type as ArrowPrimitiveType>::Native::from_i128)
                    })
                    .collect::<Vec<_>>(),
            )
            .with_precision_and_scale(40, 1)
            .unwrap_or_else(|e| panic!("{e}")),
        ),
        14 => Arc::new(StringArray::from(strs)),
        15 => Arc::new(LargeStringArray::from(strs)),
        16 => Arc::new(StringViewArray::from(strs)),
        17 => Arc::new(BinaryArray::from_opt_vec(bins)),
        18 => Arc::new(LargeBinaryArray::from_opt_vec(bins)),
        19 => Arc::new(BinaryViewArray::from(bins)),
        20 => Arc::new(BooleanArray::from(
            cells
                .iter()
                .map(|c| match c.as_deref().map(str::trim) {
                    Some("true" | "1") => Some(true),
                    Some("false" | "0") => Some(false),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        )),
        21 => Arc::new(NullArray::new(cells.len())),
        22 => Arc::new(strs.iter().copied().collect::<DictionaryArray<Int8Type>>()),
        23 => dict::<Int32Type>(0, cells),
        24 => dict::<UInt16Type>(15, cells),
        25 => dict::<Int64Type>(5, cells),
        26 => dict::<Int16Type>(17, cells),
        _ => Arc::new(Float16Array::from(
            cells
                .iter()
                .map(|c| num(c).map(<Float16Type as ArrowPrimitiveType>::Native::from_f64))
                .collect::<Vec<_>>(),
        )),
    }
}

/// A dictionary whose values are encoding `e` of the distinct cells (null
/// cells are null keys; one key points at a null value, too).
fn dict<K: ArrowDictionaryKeyType>(e: usize, cells: &[Cell]) -> ArrayRef
where
    K::Native: TryFrom<usize>,
{
    let mut distinct: Vec<Cell> = vec![None];
    let keys: Vec<Option<K::Native>> = cells
        .iter()
        .enumerate()
        .map(|(r, c)| {
            // Every third null row: a valid key to a null value.
            if c.is_none() && r % 3 != 0 {
                return None;
            }
            let at = distinct.iter().position(|d| d == c).unwrap_or_else(|| {
                distinct.push(c.clone());
                distinct.len() - 1
            });
            K::Native::try_from(at).ok()
        })
        .collect();
    let values = encode(e, &distinct);
    Arc::new(
        DictionaryArray::<K>::try_new(keys.into_iter().collect::<PrimitiveArray<K>>(), values)
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

fn cell(choices: &'static [&'static str]) -> impl Strategy<Value = Cell> {
    prop_oneof![
        4 => prop::sample::select(choices).prop_map(|s| Some(s.to_owned())),
        2 => (0.0..900.0f64).prop_map(|v| Some(format!("{v}"))),
        1 => (0u32..200).prop_map(|v| Some(v.to_string())),
        1 => Just(None),
    ]
}

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "0.5",
    "1",
    "2",
    "40",
    " 40 ",
    "64",
    "65",
    "120",
    "121",
    "130",
    "148",
    "147.56",
    "200",
    "300",
    "-1",
    "1,5",
    "1.234",
    "abc",
    "",
    " ",
    "NaN",
    "inf",
    "-inf",
    "1e3",
    "\u{a0}65\u{a0}",
    "65\u{2003}",
    "<ff>",
    "1e308",
    "true",
];
const IDS: &[&str] = &[
    "7",
    " 8 ",
    "",
    "é9",
    "x",
    "\u{a0}12\u{a0}",
    "NaN",
    "inf",
    "1e3",
    "-0",
    "<ff>",
    "\u{85}z",
    "9007199254740993",
];
const SEXES: &[&str] = &[
    "F",
    "M",
    "female",
    " m ",
    "",
    "x",
    "\u{a0}F",
    "f",
    "true",
    "FEMALE\u{2003}",
    "V",
    "<ff>",
    "1",
];
const PREGNANT: &[&str] = &[
    "", "0", "1", "ja", "nee", "maybe", "true", "false", " y ", "J\u{a0}",
];
const UNITS: &[&str] = &[
    "pmol/L",
    "pg/mL",
    "ng/L",
    " pmol/l",
    "",
    "mmol/L",
    "pmol/ l",
    "pmol\u{a0}/L",
    "<ff>",
    "PMOL/L",
];

fn outcome(r: &BlockResult) -> impl PartialEq + std::fmt::Debug + use<> {
    let keys: Vec<_> = r
        .keys
        .iter()
        .map(|k| {
            (
                k.line,
                k.out_start,
                k.id_end,
                k.out_end,
                k.counted,
                k.screened,
            )
        })
        .collect();
    let rejects: Vec<_> = r
        .rejects
        .iter()
        .map(|j| (j.line, j.reason.clone(), j.raw.clone()))
        .collect();
    (r.out.clone(), keys, rejects, r.summary.clone(), r.ascending)
}

fn mapping(variant: usize) -> Mapping {
    let mut m = Mapping::builtin();
    m.pregnant = Some("pregnant".into());
    match variant {
        // No age, sex or pregnancy columns.
        1 => {
            m.age = None;
            m.sex = None;
            m.pregnant = None;
        }
        // B12 in a fixed unit (no unit column), from a column of its own.
        2 => {
            m.lab[0] = LabColumn {
                analyte: "b12_total".into(),
                value: "b12_b".into(),
                unit_column: None,
                unit: Some("pg/mL".into()),
            };
        }
        // Holotranscobalamin in the place of MMA, its unit from the B12 unit
        // column (shared: a unit that is not the analyte's is refused).
        3 => {
            m.lab.retain(|l| l.analyte != "mma");
            m.lab[1] = LabColumn {
                analyte: "holotranscobalamin".into(),
                value: "b12_b".into(),
                unit_column: Some("b12_unit".into()),
                unit: None,
            };
        }
        _ => {}
    }
    m
}

type Row = (
    (Cell, Cell, Cell),
    (Cell, Cell, Cell),
    (Cell, Cell, Cell, Cell),
    (Cell, Cell, Cell, Cell, Cell),
);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// `trimmed` is `str::trim`, on any text.
    #[test]
    fn trimmed_is_str_trim(s in "\\PC{0,6}|[ \\t\\n\\u{a0}\\u{85}\\u{2003}\\u{3000}a-z!~\\u{1f}\\u{7f}]{0,6}") {
        prop_assert_eq!(trimmed(&s), s.trim().as_bytes());
    }

    #[test]
    fn the_column_path_equals_the_row_path(
        rows in prop::collection::vec((
            (cell(IDS), cell(NUMBERS), cell(SEXES)),
            (cell(PREGNANT), cell(NUMBERS), cell(NUMBERS)),
            (cell(NUMBERS), cell(UNITS), cell(NUMBERS), cell(NUMBERS)),
            (cell(NUMBERS), cell(NUMBERS), cell(NUMBERS), cell(NUMBERS), cell(UNITS)),
        ), 1..40),
        enc in prop::collection::vec(0..ENCODINGS, 14),
        variant in 0..4usize,
        offset in 0..3usize,
        guideline in prop::sample::select(vec![Guideline::Nhg, Guideline::Nice]),
    ) {
        let rows: Vec<Row> = rows;
        let kb = &*KB;
        let mapping = mapping(variant);
        // `offset` rows of padding before the rows: the arrays are sliced.
        let pad = |v: Vec<Cell>| -> Vec<Cell> { std::iter::repeat_n(Some("999".to_owned()), offset).chain(v).collect() };
        let col = |f: &dyn Fn(&Row) -> Cell| pad(rows.iter().map(f).collect());
        let all: Vec<(&str, Vec<Cell>)> = vec![
            ("patient_id", col(&|r| r.0.0.clone())),
            ("age", col(&|r| r.0.1.clone())),
            ("sex", col(&|r| r.0.2.clone())),
            ("pregnant", col(&|r| r.1.0.clone())),
            ("metformin_years", col(&|r| r.1.1.clone())),
            ("ppi_years", col(&|r| r.1.2.clone())),
            ("b12_value", col(&|r| r.2.0.clone())),
            ("b12_unit", col(&|r| r.2.1.clone())),
            ("holotc_pmol", col(&|r| r.2.2.clone())),
            ("mma_umol", col(&|r| r.2.3.clone())),
            ("hcy_umol", col(&|r| r.3.0.clone())),
            ("hb_gdl", col(&|r| r.3.1.clone())),
            ("mcv_fl", col(&|r| r.3.2.clone())),
            ("b12_b", col(&|r| r.3.3.clone())),
        ];
        let batch = RecordBatch::try_from_iter(all.iter().zip(&enc).map(|((name, cells), e)| (*name, encode(*e, cells))))
            .unwrap_or_else(|e| panic!("{e}"));
        let batch = batch.slice(offset, rows.len());
        let projected = project(kb, &mapping, &batch.schema(), "test");
        // A yes/no column is refused up front anywhere but as pregnant.
        let Ok(Projected { indices, plan, projection }) = projected else {
            let err = projected.err().map(|e| e.to_string()).unwrap_or_default();
            prop_assert!(err.contains("of type Boolean"), "{}", err);
            return Ok(());
        };
        let batch = batch.project(&indices).unwrap_or_else(|e| panic!("{e}"));
        let screener = Screener::new(kb, guideline);
        let columns: Vec<Col<'_>> = batch.columns().iter().map(Col::of).collect();
        let n = batch.num_rows();
        let checked = plan.check_columns(&columns, n);
        let run = |fast: bool, bytes: RowBytes| {
            let mut result = BlockResult::new(0, 0, bytes, Buffers::default(), n);
            screen_rows(&plan, &screener, &mut result, &columns, &projection, 5..5 + n as u64, fast.then_some(&checked));
            result
        };
        for bytes in [RowBytes::Csv, RowBytes::IdOnly] {
            prop_assert_eq!(outcome(&run(true, bytes)), outcome(&run(false, bytes)));
        }
        let accepted: Vec<u64> = run(false, RowBytes::IdOnly).keys.iter().map(|k| u64::from(k.line) - 5).collect();
        let clean: Vec<u64> = (0..n as u64).filter(|r| checked.clean[*r as usize]).collect();
        prop_assert_eq!(clean, accepted);
    }
}

/// batches.rs: one batch of 10,007 rows (three 4,096-row slices) gives what
/// the same rows give as batches of 333 rows: row numbers, ids of rejects,
/// duplicates, reasons.
#[test]
fn slices_number_rows_as_whole_batches_do() {
    let kb = &*KB;
    let n = 10_007usize;
    let ids: Vec<Option<i64>> = (0..n)
        .map(|r| {
            if r % 997 == 5 {
                None
            } else {
                Some((r % 9_000) as i64)
            }
        })
        .collect();
    let ages: Vec<Option<f64>> = (0..n)
        .map(|r| {
            Some(if r % 1_231 == 17 {
                300.0
            } else {
                (r % 90) as f64
            })
        })
        .collect();
    let b12: Vec<Option<f64>> = (0..n)
        .map(|r| {
            if r % 50 == 0 {
                None
            } else {
                Some((r % 700) as f64)
            }
        })
        .collect();
    let units: Vec<Option<&str>> = (0..n)
        .map(|r| Some(if r % 2_003 == 11 { "bogus" } else { "pmol/L" }))
        .collect();
    let batch = RecordBatch::try_from_iter(vec![
        ("patient_id", Arc::new(Int64Array::from(ids)) as ArrayRef),
        ("age", Arc::new(Float64Array::from(ages))),
        ("b12_value", Arc::new(Float64Array::from(b12))),
        ("b12_unit", Arc::new(StringArray::from(units))),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let mut m = Mapping::builtin();
    m.sex = None;
    m.metformin_years = None;
    m.acid_suppressant_years = None;
    m.lab.truncate(1);
    let whole = crate::batches::BatchScreen::new(kb, &m, Guideline::Nhg, &batch.schema())
        .and_then(|mut s| s.screen(&batch))
        .unwrap_or_else(|e| panic!("{e}"));
    let parts: Vec<RecordBatch> = (0..n)
        .step_by(333)
        .map(|s| batch.slice(s, 333.min(n - s)))
        .collect();
    let pieces = crate::batches::BatchScreen::new(kb, &m, Guideline::Nhg, &batch.schema())
        .and_then(|mut s| s.screen_many(&parts, 2))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(whole.num_rows(), n);
    let mut start = 0;
    for piece in &pieces {
        let part = whole.slice(start, piece.num_rows());
        for c in 0..whole.num_columns() {
            assert_eq!(
                part.column(c).to_data(),
                piece.column(c).to_data(),
                "rows from {start}, column {c}"
            );
        }
        start += piece.num_rows();
    }
    let rejected = whole.column(whole.num_columns() - 1).null_count();
    assert!(n - rejected > 50, "some rejects: {}", n - rejected);
}

/// A `float16` column (pyarrow `pa.float16()`, a Parquet FLOAT16) is read as
/// the numbers it prints, like `float32`: the same statuses as `float64`, no
/// row rejected. Every row was rejected as "a Float16 column".
#[test]
fn a_float16_column_reads_as_the_numbers_it_prints() {
    let kb = &*KB;
    let mut m = Mapping::builtin();
    (m.sex, m.metformin_years, m.acid_suppressant_years) = (None, None, None);
    m.lab.truncate(1);
    m.lab[0].unit_column = None;
    m.lab[0].unit = Some("pmol/L".into());
    // Whole numbers up to 2048 and halves are exact in 16 bits.
    let values = [
        Some(100.0),
        Some(148.0),
        Some(149.0),
        None,
        Some(300.0),
        Some(0.5),
        Some(1024.0),
    ];
    let screen = |b12: ArrayRef| {
        let n = values.len();
        let batch = RecordBatch::try_from_iter(vec![
            (
                "patient_id",
                Arc::new(Int64Array::from_iter_values(0..n as i64)) as ArrayRef,
            ),
            ("age", Arc::new(Float64Array::from(vec![Some(50.0); n]))),
            ("b12_value", b12),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        crate::batches::BatchScreen::new(kb, &m, Guideline::Nhg, &batch.schema())
            .and_then(|mut s| s.screen(&batch))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let wide = screen(Arc::new(Float64Array::from(values.to_vec())));
    let half = screen(Arc::new(Float16Array::from(
        values
            .iter()
            .map(|v| v.map(<Float16Type as ArrowPrimitiveType>::Native::from_f64))
            .collect::<Vec<_>>(),
    )));
    assert_eq!(half.column(7).null_count(), values.len(), "no row rejected");
    for c in 0..wide.num_columns() {
        assert_eq!(
            wide.column(c).to_data(),
            half.column(c).to_data(),
            "column {c}"
        );
    }
}

/// A float16 is read as the shortest decimal that is the same float16, as
/// numpy prints it and a CSV of the column holds it: 0.275, not 0.2749 (its
/// value as a float32 prints so), and -0.1, not -0.099975586.
#[test]
fn a_float16_is_read_as_the_shortest_decimal_it_stands_for() {
    let half = |v: f64| <Float16Type as ArrowPrimitiveType>::Native::from_f64(v);
    let values = [0.275, -0.1, 0.28, 148.0, 7.5, 0.0];
    let array: ArrayRef = Arc::new(Float16Array::from(
        values.iter().map(|v| half(*v)).collect::<Vec<_>>(),
    ));
    let read = super::numbers(&array).unwrap_or_default();
    assert_eq!(read, values.iter().map(|v| Some(*v)).collect::<Vec<_>>());
}
