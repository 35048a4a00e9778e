//! Small exports with every kind of bad row, FHIR NDJSON with mixed units,
//! long-format pivoting, gzip (whole and truncated) and row conservation.

mod common;
use common::{KB, read_csv};

use std::io::Write;
use std::path::{Path, PathBuf};

use kobalt_contract::Guideline;
use kobalt_screen::{Mapping, Options, Silent, run};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kobalt-screen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

struct Run {
    out: Vec<Vec<String>>,
    rejects: Vec<Vec<String>>,
    summary: kobalt_screen::Summary,
    truncated: Option<String>,
}

impl Run {
    /// The output row of a patient (empty when there is none).
    fn patient(&self, id: &str) -> Vec<String> {
        self.out
            .iter()
            .find(|row| row[0] == id)
            .cloned()
            .unwrap_or_default()
    }
}

/// The rows of a Parquet output, as text (null as empty, like CSV).
fn read_parquet(path: &Path) -> Vec<Vec<String>> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, kobalt_screen::OUTPUT_COLUMNS);
        for r in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        let c = c.as_string::<i32>();
                        if c.is_null(r) {
                            String::new()
                        } else {
                            c.value(r).to_owned()
                        }
                    })
                    .collect(),
            );
        }
    }
    rows
}

fn screen(d: &Path, input: &Path, mapping: Mapping, threads: usize) -> Run {
    screen_to(d, input, mapping, threads, "out.csv")
}

/// The options of a test run: small blocks, so that every export spans several.
fn options(d: &Path, input: &Path, out_name: &str, mapping: Mapping, threads: usize) -> Options {
    Options {
        input: input.to_owned(),
        out: d.join(out_name),
        rejects: d.join("rejects.csv"),
        guideline: Guideline::Nhg,
        mapping,
        threads,
        block_bytes: 4096,
    }
}

/// The error of a run that must fail.
fn screen_error(d: &Path, input: &Path, out_name: &str) -> String {
    run(
        &KB,
        &options(d, input, out_name, Mapping::builtin(), 1),
        &Silent,
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default()
}

/// Screens into `out_name` (CSV or Parquet by its extension).
fn screen_to(d: &Path, input: &Path, mapping: Mapping, threads: usize, out_name: &str) -> Run {
    let opts = options(d, input, out_name, mapping, threads);
    let outcome = run(&KB, &opts, &Silent).unwrap_or_else(|e| panic!("{e}"));
    let (out, rejects) = (opts.out, opts.rejects);
    Run {
        out: if out_name.ends_with(".parquet") {
            read_parquet(&out)
        } else {
            read_csv(&out)
        },
        rejects: read_csv(&rejects),
        summary: outcome.summary,
        truncated: outcome.truncated,
    }
}

/// The index of an output column.
fn col(name: &str) -> usize {
    kobalt_screen::OUTPUT_COLUMNS
        .iter()
        .position(|c| *c == name)
        .unwrap_or_else(|| panic!("no output column {name}"))
}

const HEADER: &str = "patient_id,age,sex,metformin_years,ppi_years,b12_value,b12_unit,b12_date,holotc_pmol,mma_umol,hcy_umol,hb_gdl,mcv_fl,folate_ngml,ferritin_ngml";

#[test]
fn every_kind_of_bad_row_is_rejected_with_its_reason() {
    let d = dir("bad");
    let input = d.join("export.csv");
    let rows = [
        HEADER,
        "1,70,F,,,120,pmol/L,2025-01-01,,,,10.5,104.0,,", // line 2: deficient, anaemic
        "2,55,M,,,200,pmol/L,2025-01-01,,,,,,,",          // line 3: grey zone, reflex MMA
        "3,60,F,,,abc,pmol/L,2025-01-01,,,,,,,",          // line 4: not a number
        "4,60,F,,,300,mmol/dag,2025-01-01,,,,,,,",        // line 5: unknown unit
        "5,60,F,,,-5,pmol/L,2025-01-01,,,,,,,",           // line 6: negative
        "6,60,F,,,300,pmol/L",                            // line 7: missing columns
        "2,41,M,,,400,pmol/L,2025-01-01,,,,,,,",          // line 8: duplicate patient
        "7;60;F;;;300;pmol/L;2025-01-01;;;;;;;",          // line 9: wrong delimiter
        ",60,F,,,300,pmol/L,2025-01-01,,,,,,,",           // line 10: no patient id
        "8,70,F,6.0,,,,,,,,,,,",                          // line 11: at risk, untested
        "9,45,F,,,250,pg/mL,2025-01-01,,,,,,,",           // line 12: 184.5 pmol/L, grey
        "10,200,F,,,250,pmol/L,2025-01-01,,,,,,,",        // line 13: age out of range
        "11,60,F,,,300,,2025-01-01,,,,,,,",               // line 14: a value without its unit
    ];
    std::fs::write(&input, rows.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    for threads in [1, 3] {
        let r = screen(&d, &input, Mapping::builtin(), threads);
        assert!(r.summary.conserved(), "{}", r.summary.text());
        assert_eq!(r.summary.rows_in, 13);
        assert_eq!(r.summary.rows_rejected, 9, "{:?}", r.rejects);
        let status = |id: &str| r.patient(id).get(1).cloned().unwrap_or_default();
        assert_eq!(status("1"), "deficient");
        assert_eq!(status("2"), "indeterminate");
        assert_eq!(status("8"), "not_tested");
        assert_eq!(status("9"), "indeterminate");
        let row1 = r.patient("1");
        assert!(
            row1[col("flags")].contains("deficient_macrocytic_anaemia"),
            "{row1:?}"
        );
        let row2 = r.patient("2");
        assert_eq!(row2[col("reflex_test")], "mma");
        // Metformin for 6 years at 70, untested: under NHG not flagged ("do not test
        // routinely for long-term metformin, PPI use ... without other signs",
        // NHG-LESA-2018, clinical.md 4.1); see `at_risk_untested_follows_the_profile`.
        let row8 = r.patient("8");
        assert!(!row8[col("flags")].contains("at_risk_untested"), "{row8:?}");
        let reason = |line: &str| {
            r.rejects
                .iter()
                .find(|row| row[0] == line)
                .map(|row| row[1].clone())
                .unwrap_or_else(|| panic!("line {line} not rejected: {:?}", r.rejects))
        };
        assert!(reason("4").contains("'abc' is not a number"));
        assert!(reason("5").contains("unknown unit 'mmol/dag'"));
        // Not "unknown unit ''": the unit is missing, and the message says so.
        assert_eq!(
            reason("14"),
            "b12_unit: empty, and b12_total's value 300 needs its unit"
        );
        assert!(reason("6").contains("negative value"));
        assert!(reason("7").contains("expected 15 fields, found 7"));
        assert!(reason("8").contains("duplicate patient_id"));
        assert!(reason("9").contains("wrong delimiter"));
        assert!(reason("10").contains("patient_id is empty"));
        assert!(reason("13").contains("age"));
        assert_eq!(r.out.len(), 4);
        let lines: Vec<u64> = r
            .rejects
            .iter()
            .filter_map(|row| row[0].parse().ok())
            .collect();
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "rejects in input order: {lines:?}"
        );
    }
}

#[test]
fn semicolon_exports_with_decimal_commas_are_read() {
    let d = dir("semicolon");
    let input = d.join("export.csv");
    let text = format!(
        "{}\n1;70;F;;;120;pmol/L;2025-01-01;;;;12,1;104,5;;\n",
        HEADER.replace(',', ";")
    );
    std::fs::write(&input, text).unwrap_or_else(|e| panic!("{e}"));
    let r = screen(&d, &input, Mapping::builtin(), 2);
    assert_eq!(r.out.len(), 1, "{:?}", r.rejects);
    assert_eq!(r.out[0][1], "deficient");
}

#[test]
fn gzip_whole_and_truncated() {
    let d = dir("gzip");
    let mut text = String::from(HEADER);
    text.push('\n');
    for i in 0..2000 {
        text.push_str(&format!(
            "{i},60,F,,,{},pmol/L,2025-01-01,,,,,,,\n",
            100 + i % 300
        ));
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let gz = enc.finish().unwrap_or_else(|e| panic!("{e}"));
    let whole = d.join("export.csv.gz");
    std::fs::write(&whole, &gz).unwrap_or_else(|e| panic!("{e}"));
    let r = screen(&d, &whole, Mapping::builtin(), 2);
    assert_eq!(r.out.len(), 2000);
    assert!(r.truncated.is_none());

    let cut = d.join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() * 2 / 3]).unwrap_or_else(|e| panic!("{e}"));
    let r = screen(&d, &cut, Mapping::builtin(), 2);
    assert!(r.truncated.is_some(), "a truncated gzip is reported");
    assert!(r.summary.conserved(), "{}", r.summary.text());
    assert!(r.out.len() < 2000);
    assert!(
        r.rejects.iter().all(|row| row[1].contains("truncated")),
        "{:?}",
        r.rejects
    );
}

#[test]
fn fhir_ndjson_with_mixed_units_is_pivoted_per_patient() {
    let d = dir("fhir");
    let input = d.join("observations.ndjson");
    let obs = |patient: &str, loinc: &str, value: f64, unit: &str, date: &str| {
        format!(
            r#"{{"resourceType":"Observation","status":"final","subject":{{"reference":"Patient/{patient}"}},"code":{{"coding":[{{"system":"http://loinc.org","code":"{loinc}"}}]}},"valueQuantity":{{"value":{value},"unit":"{unit}"}},"effectiveDateTime":"{date}"}}"#
        )
    };
    let lines = [
        r#"{"resourceType":"Patient","id":"p1","birthDate":"1950-03-01","gender":"female"}"#
            .to_owned(),
        obs("p1", "2132-9", 180.0, "pg/mL", "2025-05-01"), // 132.8 pmol/L: deficient
        obs("p1", "2132-9", 400.0, "pmol/L", "2024-01-01"), // older: superseded
        obs("p2", "14685-2", 300.0, "pmol/L", "2025-05-01"),
        obs("p2", "2132-9", 1.0, "furlongs", "2025-05-01"), // unknown unit
        "not json".to_owned(),
        r#"{"resourceType":"Encounter"}"#.to_owned(),
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let r = screen(&d, &input, Mapping::builtin(), 1);
    assert!(r.summary.conserved(), "{}", r.summary.text());
    assert_eq!(r.summary.rows_in, 7);
    assert_eq!(r.summary.rows_rejected, 3);
    assert_eq!(r.out.len(), 2);
    let p1 = r.patient("p1");
    assert_eq!(p1[1], "deficient");
    assert_eq!(p1[col("risk_group")], "age_65_plus");
    let p2 = r.patient("p2");
    assert_eq!(p2[1], "unlikely");
}

#[test]
fn long_csv_keeps_the_latest_result_within_the_window() {
    let r = long_run(
        "long",
        &[
            "a,B12,120,pmol/L,2025-06-01",
            "a,B12,400,pmol/L,2024-01-01",
            "a,MMA,0.6,umol/L,2023-01-01",
            "b,B12,200,pmol/L,2025-06-01",
            "b,XYZ,1,pmol/L,2025-06-01",
        ],
        r#"codes = { B12 = "b12_total", MMA = "mma" }"#,
    );
    assert_eq!(r.summary.rows_rejected, 1);
    let a = r.patient("a");
    // The MMA of 2023 is outside the 365-day window of a's newest result.
    assert_eq!(a[1], "deficient");
    let b = r.patient("b");
    assert_eq!(b[1], "indeterminate");
}

#[test]
fn fhir_ndjson_compares_effective_instants_and_rejects_bad_dates() {
    let d = dir("fhir-dates");
    let input = d.join("observations.ndjson");
    let obs = |patient: &str, value: f64, date: &str| {
        format!(
            r#"{{"resourceType":"Observation","status":"final","subject":{{"reference":"Patient/{patient}"}},"code":{{"coding":[{{"system":"http://loinc.org","code":"14685-2"}}]}},"valueQuantity":{{"value":{value},"unit":"pmol/L"}},"effectiveDateTime":"{date}"}}"#
        )
    };
    let lines = [
        obs("p1", 100.0, "2024-01-05T09:00:00+01:00"),
        obs("p1", 400.0, "2024-01-05T08:30:00-05:00"), // later instant
        obs("p2", 400.0, "2024-01-01"),
        obs("p2", 100.0, "2025-02-30"), // line 4: no such day
        r#"{"resourceType":"Patient","id":"p3","birthDate":"1950-02-30"}"#.to_owned(), // line 5
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let r = screen(&d, &input, Mapping::builtin(), 1);
    assert!(r.summary.conserved(), "{}", r.summary.text());
    assert_eq!(r.patient("p1")[1], "unlikely");
    assert_eq!(r.summary.rows_rejected, 2, "{:?}", r.rejects);
    assert!(reason(&r, "4").contains("'2025-02-30' is not a date"));
    assert!(reason(&r, "5").contains("birthDate: date '1950-02-30' is not a date"));
    assert_eq!(r.patient("p2")[1], "unlikely");
}

/// Screens a long export of `patient,code,value,unit,date` rows (B12 only).
fn long_dates(name: &str, rows: &[&str]) -> Run {
    long_run(name, rows, r#"codes = { B12 = "b12_total" }"#)
}

/// Screens a long export of `patient,code,value,unit,date` rows with a
/// 365-day window and these keys (`codes` at least) in the `[long]` table.
fn long_run(name: &str, rows: &[&str], long: &str) -> Run {
    let d = dir(name);
    let input = d.join("long.csv");
    let text = format!("patient,code,value,unit,date\n{}\n", rows.join("\n"));
    std::fs::write(&input, text).unwrap_or_else(|e| panic!("{e}"));
    let mapping = Mapping::parse(&format!(
        r#"
format = "long"
patient_id = "patient"
window_days = 365
[long]
code = "code"
value = "value"
unit = "unit"
date = "date"
{long}
"#
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let r = screen(&d, &input, mapping, 1);
    assert!(r.summary.conserved(), "{}", r.summary.text());
    r
}

/// The reject reason of an input line.
fn reason(r: &Run, line: &str) -> String {
    r.rejects
        .iter()
        .find(|row| row[0] == line)
        .map(|row| row[1].clone())
        .unwrap_or_else(|| panic!("line {line} not rejected: {:?}", r.rejects))
}

/// In every pair the 400 pmol/L is the later result (whichever row comes
/// first), so neither patient is deficient.
#[test]
fn long_csv_keeps_the_later_result_by_time() {
    for (name, early, late) in [
        // 09:00+01:00 is 08:00 UTC; 08:30-05:00 is 13:30 UTC.
        (
            "long-instants",
            "2024-01-05T09:00+01:00",
            "2024-01-05T08:30-05:00",
        ),
        (
            "long-date-vs-instant",
            "2024-01-05T23:00+00:00",
            "2024-01-06",
        ),
        ("long-wall-clock", "2023-12-31T10:00", "2024-01-01 08:00"),
    ] {
        let (a1, a2) = (
            format!("a,B12,100,pmol/L,{early}"),
            format!("a,B12,400,pmol/L,{late}"),
        );
        let (b1, b2) = (
            format!("b,B12,400,pmol/L,{late}"),
            format!("b,B12,100,pmol/L,{early}"),
        );
        let r = long_dates(name, &[&a1, &a2, &b1, &b2]);
        assert_eq!(r.summary.rows_rejected, 0, "{name}: {:?}", r.rejects);
        assert_eq!(r.patient("a")[1], "unlikely", "{name}");
        assert_eq!(r.patient("b")[1], "unlikely", "{name}");
    }
}

#[test]
fn long_csv_rejects_dates_it_cannot_read() {
    let r = long_dates(
        "long-bad-dates",
        &[
            "a,B12,100,pmol/L,20-12-2023", // line 2: day first
            "a,B12,400,pmol/L,05-01-2024", // line 3
            "b,B12,100,pmol/L,2025-02-30", // line 4: no such day
            "b,B12,400,pmol/L,2024-01-01",
        ],
    );
    assert_eq!(r.summary.rows_rejected, 3, "{:?}", r.rejects);
    assert!(
        reason(&r, "2").starts_with("date '20-12-2023' is not a date"),
        "{}",
        reason(&r, "2")
    );
    assert!(reason(&r, "3").contains("'05-01-2024'"));
    assert!(reason(&r, "4").starts_with("date '2025-02-30' is not a date"));
    // No result of a is left: a is not screened as deficient on a day-first date.
    assert!(r.patient("a").is_empty(), "{:?}", r.patient("a"));
    assert_eq!(r.patient("b")[1], "unlikely");
}

#[test]
fn long_csv_reads_dates_in_the_format_the_mapping_declares() {
    let rows = [
        "a,B12,100,pmol/L,20-12-2023",
        "a,B12,400,pmol/L,05-01-2024", // later: 5 January 2024
        "b,B12,400,pmol/L,2024-01-05", // line 4: not in the declared format
    ];
    let long = "codes = { B12 = \"b12_total\" }\ndate_format = \"%d-%m-%Y\"";
    let r = long_run("long-format", &rows, long);
    assert_eq!(r.summary.rows_rejected, 1, "{:?}", r.rejects);
    assert_eq!(r.patient("a")[1], "unlikely");
    assert!(
        reason(&r, "4").contains("'2024-01-05' is not a date (expected the format '%d-%m-%Y')"),
        "{}",
        reason(&r, "4")
    );
}

#[test]
fn a_missing_column_stops_with_its_name() {
    let d = dir("missing");
    let input = d.join("export.csv");
    std::fs::write(&input, "patient_id,age\n1,40\n").unwrap_or_else(|e| panic!("{e}"));
    let err = screen_error(&d, &input, "out.csv");
    assert!(
        err.contains("is not in the header: patient_id, age"),
        "{err}"
    );
    assert!(!d.join("out.csv").exists(), "no half output is left");
}

#[test]
fn the_builtin_mapping_parses() {
    assert!(Mapping::parse(kobalt_screen::mapping::BUILTIN).is_ok());
}

/// An analyte mapped twice was accepted and the later column silently won
/// (a user mapped hcy_umol as a second "mma": homocysteine read as MMA, six
/// patients deficient instead of indeterminate). Refused, naming both columns.
#[test]
fn an_analyte_mapped_twice_is_refused_naming_both_columns() {
    let text = format!(
        "{}\n[[lab]]\nanalyte = \"mma\"\nvalue = \"hcy_umol\"\nunit = \"µmol/L\"\n",
        kobalt_screen::mapping::BUILTIN
    );
    let err = Mapping::parse(&text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("mma") && err.contains("mma_umol") && err.contains("hcy_umol"),
        "{err}"
    );
    let json = serde_json::json!({
        "patient_id": "id",
        "lab": [
            {"analyte": "b12_total", "value": "a", "unit": "pmol/L"},
            {"analyte": "b12_total", "value": "b", "unit": "pg/mL"}
        ]
    });
    assert!(Mapping::from_json(&json.to_string()).is_err());
}

/// A TOML mistake says where it is (line and column), not only what.
#[test]
fn a_mapping_syntax_error_names_its_line() {
    let err = Mapping::parse("patient_id = \"id\"\nage = \n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn parquet_input_gives_the_same_rows_as_csv() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    let d = dir("parquet");
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 2]));
    let ages: ArrayRef = Arc::new(Int64Array::from(vec![70, 55, 60, 41]));
    let sex: ArrayRef = Arc::new(StringArray::from(vec!["F", "M", "F", "M"]));
    let none = || -> ArrayRef { Arc::new(Float64Array::from(vec![None::<f64>; 4])) };
    let b12: ArrayRef = Arc::new(Float64Array::from(vec![
        Some(120.0),
        Some(200.0),
        Some(-5.0),
        Some(400.0),
    ]));
    let unit: ArrayRef = Arc::new(StringArray::from(vec![
        "pmol/L", "pmol/L", "pmol/L", "pg/mL",
    ]));
    let hb: ArrayRef = Arc::new(Float64Array::from(vec![Some(10.5), None, None, None]));
    let mcv: ArrayRef = Arc::new(Float64Array::from(vec![Some(104.0), None, None, None]));
    let batch = RecordBatch::try_from_iter(vec![
        ("patient_id", ids),
        ("age", ages),
        ("sex", sex),
        ("metformin_years", none()),
        ("ppi_years", none()),
        ("b12_value", b12),
        ("b12_unit", unit),
        ("holotc_pmol", none()),
        ("mma_umol", none()),
        ("hcy_umol", none()),
        ("hb_gdl", hb),
        ("mcv_fl", mcv),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let input = d.join("export.parquet");
    let file = std::fs::File::create(&input).unwrap_or_else(|e| panic!("{e}"));
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None)
        .unwrap_or_else(|e| panic!("{e}"));
    writer.write(&batch).unwrap_or_else(|e| panic!("{e}"));
    writer.close().unwrap_or_else(|e| panic!("{e}"));
    let r = screen(&d, &input, Mapping::builtin(), 2);
    assert!(r.summary.conserved(), "{}", r.summary.text());
    assert_eq!(r.out.len(), 2, "{:?} {:?}", r.out, r.rejects);
    assert_eq!(r.out[0][1], "deficient");
    assert!(r.out[0][col("flags")].contains("deficient_macrocytic_anaemia"));
    assert_eq!(r.out[1][1], "indeterminate");
    let reason = |row: &str| {
        r.rejects
            .iter()
            .find(|x| x[0] == row)
            .map(|x| x[1].clone())
            .unwrap_or_default()
    };
    assert!(reason("3").contains("negative value"), "{:?}", r.rejects);
    assert!(
        reason("4").contains("duplicate patient_id"),
        "{:?}",
        r.rejects
    );
}

#[test]
fn parquet_output_has_the_rows_and_rejects_of_csv_output() {
    let d = dir("parquet-out");
    let input = d.join("export.csv");
    // Every status, risk group and flag, duplicates and bad rows, over many blocks.
    let mut text = String::from(HEADER);
    for i in 0..3000u32 {
        let id = if i % 97 == 0 { i / 2 } else { i };
        let age = 30 + i % 60;
        let metformin = if i % 7 == 0 { "6" } else { "" };
        let b12 = match i % 11 {
            0 => String::new(),
            1 => "abc".to_owned(),
            n => (100 + n * 30 + i % 13).to_string(),
        };
        let unit = if i % 3 == 0 { "pg/mL" } else { "pmol/L" };
        let mma = if i % 5 == 0 { "0.6" } else { "" };
        let (hb, mcv) = if i % 13 == 0 {
            ("10.1", "104")
        } else {
            ("", "")
        };
        text.push_str(&format!(
            "\n{id},{age},F,{metformin},,{b12},{unit},2025-01-01,,{mma},,{hb},{mcv},,"
        ));
    }
    // A quoted id with a comma, twice: written as read, the repeat rejected.
    for age in [50, 51] {
        text.push_str(&format!("\n\"7,b\",{age},F,,,300,pmol/L,2025-01-01,,,,,,,"));
    }
    std::fs::write(&input, text + "\n").unwrap_or_else(|e| panic!("{e}"));
    let csv = screen(&d, &input, Mapping::builtin(), 2);
    let parquet = screen_to(&d, &input, Mapping::builtin(), 2, "out.parquet");
    assert!(parquet.out.iter().any(|r| r[0] == "7,b"));
    for run in [&csv, &parquet] {
        let repeat = run
            .rejects
            .iter()
            .find(|x| x[2].contains("7,b"))
            .cloned()
            .unwrap_or_default();
        assert!(
            repeat[1].contains("duplicate") && repeat[2].starts_with("\"7,b\",unlikely,"),
            "{repeat:?}"
        );
    }
    assert!(parquet.summary.conserved(), "{}", parquet.summary.text());
    assert!(csv.summary.rows_rejected > 0 && csv.out.len() > 2000);
    assert_eq!(parquet.out, csv.out);
    assert_eq!(parquet.rejects, csv.rejects);
    assert_eq!(parquet.summary.text(), csv.summary.text());
    // (at_risk_untested is a NICE flag: `at_risk_untested_follows_the_profile`.)
    for flag in ["reflex_mma", "deficient_macrocytic_anaemia"] {
        assert!(
            parquet.out.iter().any(|r| r[col("flags")].contains(flag)),
            "no {flag}"
        );
    }
    let fhir = d.join("obs.ndjson");
    std::fs::write(
        &fhir,
        r#"{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://loinc.org","code":"2132-9"}]},"valueQuantity":{"value":190,"unit":"pmol/L"},"effectiveDateTime":"2025-05-01"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let long = screen_to(&d, &fhir, Mapping::builtin(), 1, "out.parquet");
    assert_eq!(long.out.len(), 1);
    assert_eq!(long.out[0][col("reflex_test")], "mma");
    // A tmp file is all an unsupported output could leave: nothing is left.
    let err = screen_error(&d, &input, "out.xlsx");
    assert!(
        err.contains("out.xlsx") && err.contains(".parquet"),
        "{err}"
    );
}

#[test]
fn repeated_ids_in_a_sorted_export_are_found_within_and_across_blocks() {
    let d = dir("sorted-dups");
    let input = d.join("export.csv");
    let mut text = String::from(HEADER);
    let mut repeats = 0;
    for i in 0..3000u32 {
        text.push_str(&format!("\n{i},50,F,,,300,pmol/L,2025-01-01,,,,,,,"));
        if i % 10 == 0 {
            repeats += 1;
            text.push_str(&format!("\n{i},51,M,,,100,pmol/L,2025-01-01,,,,,,,"));
        }
    }
    std::fs::write(&input, text + "\n").unwrap_or_else(|e| panic!("{e}"));
    for threads in [1, 3] {
        let r = screen(&d, &input, Mapping::builtin(), threads);
        assert!(r.summary.conserved(), "{}", r.summary.text());
        assert_eq!(r.out.len(), 3000);
        assert_eq!(r.rejects.len(), repeats);
        assert!(r.rejects.iter().all(|x| x[1].contains("duplicate")));
        // The first row of a patient is kept.
        assert!(r.out.iter().all(|row| row[col("status")] == "unlikely"));
    }
}

/// The flag for a risk group without a B12 result follows the active
/// profile (clinical.md 4.1, "Kobalt should apply the active profile's rule"):
/// - NHG: "do not test routinely for long-term metformin, PPI use, ... or
///   general complaints without other signs" (NHG-LESA-2018): never flagged;
/// - NICE (MHRA-2022): "consider periodic B12 monitoring in patients with risk
///   factors" on metformin; the risk factors screening can see are older age
///   and an acid suppressant (MIMS). A PPI alone, or age alone, is not enough
///   (NICE needs a symptom or sign). The rule cited is that one, and never a
///   rule of the other profile. (The flag fired under NHG and cited a
///   NICE-only triage rule and one that needs symptoms.)
#[test]
fn at_risk_untested_follows_the_profile() {
    let d = dir("at-risk");
    let input = d.join("export.csv");
    let rows = [
        HEADER,
        "1,70,F,6.0,,,,,,,,,,,",    // metformin, 65+: NICE flags
        "2,50,M,2.0,3.0,,,,,,,,,,", // metformin and a PPI: NICE flags
        "3,50,F,6.0,,,,,,,,,,,",    // metformin, no risk factor screening sees
        "4,70,M,,6.0,,,,,,,,,,",    // a PPI at 70, no metformin
        "5,80,F,,,,,,,,,,,,",       // age alone
        "6,70,F,6.0,,300,pmol/L,2025-01-01,,,,,,,", // tested
    ];
    std::fs::write(&input, rows.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    for (guideline, flagged) in [(Guideline::Nhg, vec![]), (Guideline::Nice, vec!["1", "2"])] {
        let opts = Options {
            guideline,
            ..options(&d, &input, "out.csv", Mapping::builtin(), 1)
        };
        run(&KB, &opts, &Silent).unwrap_or_else(|e| panic!("{e}"));
        let out = read_csv(&opts.out);
        let got: Vec<&str> = out
            .iter()
            .filter(|r| r[col("flags")].contains("at_risk_untested"))
            .map(|r| r[0].as_str())
            .collect();
        assert_eq!(got, flagged, "{guideline:?}");
        for r in out
            .iter()
            .filter(|r| r[col("flags")].contains("at_risk_untested"))
        {
            assert_eq!(r[col("rules")], "check_metformin_periodic", "{r:?}");
        }
    }
}
