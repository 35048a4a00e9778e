//! Issue 18: screening Arrow batches in memory gives what `kobalt screen`
//! gives for the same rows: the same status for every screened patient, the
//! same rows rejected, and one output row per input row.

mod common;
use common::{KB, read_csv};

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use kobalt_contract::Guideline;
use kobalt_screen::{BatchScreen, Mapping, Options, Silent, run};

const HEADER: &str = "patient_id,age,sex,metformin_years,ppi_years,b12_value,b12_unit,b12_date,holotc_pmol,mma_umol,hcy_umol,hb_gdl,mcv_fl,folate_ngml,ferritin_ngml";

/// The export's columns, all as text.
fn text_fields() -> Vec<Field> {
    HEADER
        .split(',')
        .map(|n| Field::new(n, DataType::Utf8, true))
        .collect()
}

#[test]
fn batches_screen_as_the_cli_does() {
    let d = std::env::temp_dir().join(format!("kobalt-batches-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    let mut lines = vec![HEADER.to_owned()];
    for i in 1..=60 {
        lines.push(format!(
            "{i},{},F,{},,{},pmol/L,2025-01-01,,{},,{},{},,",
            30 + i,
            i % 9,
            90 + i * 5,
            if i % 4 == 0 { "0.5" } else { "" },
            if i % 5 == 0 { "9.5" } else { "13.0" },
            if i % 7 == 0 { "104" } else { "90" },
        ));
    }
    lines.push("61,50,F,,,abc,pmol/L,2025-01-01,,,,,,,".into());
    lines.push("7,50,F,,,300,pmol/L,2025-01-01,,,,,,,".into());
    let input = d.join("export.csv");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let opts = Options {
        input: input.clone(),
        out: d.join("out.csv"),
        rejects: d.join("rejects.csv"),
        guideline: Guideline::Nhg,
        mapping: Mapping::builtin(),
        threads: 1,
        block_bytes: 4096,
    };
    run(&KB, &opts, &Silent).unwrap_or_else(|e| panic!("{e}"));
    let cli = read_csv(&opts.out);
    let cli_rejects = read_csv(&opts.rejects);

    // The same rows as text columns, in two batches.
    let rows = read_csv(&input);
    let names: Vec<&str> = HEADER.split(',').collect();
    let schema = Arc::new(Schema::new(text_fields()));
    let batch = |rows: &[Vec<String>]| {
        let columns: Vec<ArrayRef> = (0..names.len())
            .map(|c| {
                Arc::new(StringArray::from_iter(
                    rows.iter()
                        .map(|r| Some(r[c].as_str()).filter(|v| !v.is_empty())),
                )) as ArrayRef
            })
            .collect();
        RecordBatch::try_new(schema.clone(), columns).unwrap_or_else(|e| panic!("{e}"))
    };
    let mut screen = BatchScreen::new(&KB, &Mapping::builtin(), Guideline::Nhg, &schema)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for part in [&rows[..25], &rows[25..]] {
        out.push(
            screen
                .screen(&batch(part))
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let n: usize = out.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(n, rows.len(), "one output row per input row");
    let mut screened = Vec::new();
    let mut rejected = 0;
    for b in &out {
        let col = |name: &str| b.column_by_name(name).map(|c| c.as_string::<i32>().clone());
        let (id, why) = (col("patient_id"), col("rejected"));
        let status = b
            .column_by_name("status")
            .map(|c| c.as_dictionary::<arrow_array::types::Int8Type>().clone());
        let (Some(id), Some(status), Some(why)) = (id, status, why) else {
            panic!("columns missing: {:?}", b.schema());
        };
        let values = status.values().as_string::<i32>().clone();
        for r in 0..b.num_rows() {
            if why.is_null(r) {
                let key = status.keys().value(r) as usize;
                screened.push((id.value(r).to_owned(), values.value(key).to_owned()));
            } else {
                rejected += 1;
            }
        }
    }
    let cli_status: Vec<(String, String)> =
        cli.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(screened, cli_status);
    assert_eq!(rejected, cli_rejects.len(), "{cli_rejects:?}");
}

/// A mapped column of a type that holds neither numbers nor text (a date as
/// the age, a list as the B12 value) is refused once, up front, naming the
/// column and its type; it was rejected row by row ("'19723' is not a number").
#[test]
fn a_mapped_column_of_an_unusable_type_is_refused_up_front() {
    // Why BatchScreen refuses a table whose field `at` (by position) is of `kind`.
    let refusal = |at: usize, name: &str, kind: DataType| {
        let mut fields = text_fields();
        fields[at] = Field::new(name, kind, true);
        BatchScreen::new(
            &KB,
            &Mapping::builtin(),
            Guideline::Nhg,
            &Schema::new(fields),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
    };
    let err = refusal(1, "age", DataType::Date32);
    assert!(err.contains("'age'") && err.contains("Date32"), "{err}");
    // A yes/no column holds no number: a boolean lab value rejected every row
    // ("'a Boolean column' is not a number"); it is refused up front too.
    let err = refusal(5, "b12_value", DataType::Boolean);
    assert!(
        err.contains("'b12_value'") && err.contains("Boolean"),
        "{err}"
    );
    // Numbers of any width, decimals, text, dictionaries and null columns are fine.
    let mut fields = text_fields();
    fields[1] = Field::new(
        "age",
        DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8)),
        true,
    );
    fields[5] = Field::new("b12_value", DataType::Decimal128(10, 2), true);
    fields[9] = Field::new("mma_umol", DataType::Null, true);
    let schema = Schema::new(fields);
    assert!(BatchScreen::new(&KB, &Mapping::builtin(), Guideline::Nhg, &schema).is_ok());
}

/// Null means "rejected" and nothing else: a screened row without flags,
/// reflex test or rules has '' in those columns, as the CLI's CSV does (the
/// reflex test was null while the flags were '').
#[test]
fn only_a_rejected_row_has_nulls() {
    let names: Vec<&str> = HEADER.split(',').collect();
    let schema = Arc::new(Schema::new(text_fields()));
    let rows = [
        "1,50,F,,,400,pmol/L,2025-01-01,,,,13.0,90,,",
        "2,50,F,,,abc,pmol/L,2025-01-01,,,,,,,",
    ];
    let columns: Vec<ArrayRef> = (0..names.len())
        .map(|c| {
            Arc::new(StringArray::from_iter(rows.iter().map(|r| {
                Some(r.split(',').nth(c).unwrap_or_default()).filter(|v| !v.is_empty())
            }))) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap_or_else(|e| panic!("{e}"));
    let out = BatchScreen::new(&KB, &Mapping::builtin(), Guideline::Nhg, &schema)
        .and_then(|mut s| s.screen(&batch))
        .unwrap_or_else(|e| panic!("{e}"));
    for name in ["status", "risk_group", "flags", "reflex_test", "rules"] {
        let column = out.column_by_name(name).unwrap_or_else(|| panic!("{name}"));
        let keys = column
            .as_dictionary::<arrow_array::types::Int8Type>()
            .keys();
        assert!(keys.is_valid(0), "{name} of a screened row is null");
        assert!(keys.is_null(1), "{name} of a rejected row is not null");
    }
}
