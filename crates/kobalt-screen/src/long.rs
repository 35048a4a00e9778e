//! Long exports (one row per observation) and FHIR NDJSON Observations:
//! pivoted per patient, keeping the latest result per analyte within the
//! window, then screened like a wide row. Memory grows with patients, not rows.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use kobalt_contract::Sex;
use kobalt_engine::screen::{PatientData, Screener};
use kobalt_fhir::{When, not_before};
use kobalt_kb::Knowledge;
use serde_json::Value;

use crate::output::{AtomicFile, Output, reject_line};
use crate::row::{number, unit_factor, unit_table};
use crate::summary::Summary;
use crate::{Options, Outcome, ScreenError, Sink};

use crate::SCREENING_ANALYTES as ANALYTES;

#[derive(Default)]
struct Patient {
    /// (when taken, canonical value) per analyte of `ANALYTES`.
    latest: [Option<(Option<When>, f64)>; 6],
    age: Option<f64>,
    sex: Option<Sex>,
    birth_date: Option<jiff::civil::Date>,
}

struct Pivot {
    codes: HashMap<String, usize>,
    units: Vec<Vec<(Vec<u8>, f64)>>,
    plausible: Vec<Option<(f64, f64)>>,
    patients: HashMap<String, Patient>,
    order: Vec<String>,
    summary: Summary,
    rejects: Vec<u8>,
}

impl Pivot {
    fn new(kb: &Knowledge, extra_codes: &std::collections::BTreeMap<String, String>) -> Pivot {
        let mut codes = HashMap::new();
        for (slot, id) in ANALYTES.iter().enumerate() {
            codes.insert((*id).to_owned(), slot);
            if let Some(a) = kb.analyte(id).map(|i| &kb.analytes[i as usize]) {
                for l in &a.loinc {
                    codes.insert(l.clone(), slot);
                }
            }
        }
        for (code, analyte) in extra_codes {
            if let Some(slot) = ANALYTES.iter().position(|a| a == analyte) {
                codes.insert(code.clone(), slot);
            }
        }
        Pivot {
            codes,
            units: ANALYTES.iter().map(|a| unit_table(kb, a)).collect(),
            plausible: ANALYTES
                .iter()
                .map(|a| {
                    kb.analyte(a)
                        .and_then(|i| kb.analytes[i as usize].plausible)
                })
                .collect(),
            patients: HashMap::new(),
            order: Vec::new(),
            summary: Summary::default(),
            rejects: Vec::new(),
        }
    }

    fn reject(&mut self, line: u64, reason: &str, raw: &[u8]) {
        self.summary.rows_rejected += 1;
        reject_line(&mut self.rejects, line, reason, raw);
    }

    fn patient(&mut self, id: &str) -> &mut Patient {
        if !self.patients.contains_key(id) {
            self.order.push(id.to_owned());
        }
        self.patients.entry(id.to_owned()).or_default()
    }

    /// One observation: code, value, unit, when taken; `Err` is the reject reason.
    fn observe(
        &mut self,
        id: &str,
        code: &str,
        value: &str,
        unit: &str,
        when: Option<When>,
    ) -> Result<(), String> {
        if id.is_empty() {
            return Err("patient id is empty".into());
        }
        let slot = *self
            .codes
            .get(code)
            .ok_or_else(|| format!("code '{code}' is not a screening analyte"))?;
        let v = number(value.trim().as_bytes())
            .map_err(|t| format!("value '{t}' is not a number"))?
            .ok_or("value is empty")?;
        if v < 0.0 {
            return Err(format!("negative value {v}"));
        }
        let factor = unit_factor(&self.units[slot], unit.trim().as_bytes())
            .ok_or_else(|| format!("unknown unit '{unit}' for {}", ANALYTES[slot]))?;
        let canonical = v * factor;
        if let Some((lo, hi)) = self.plausible[slot]
            && !(lo..=hi).contains(&canonical)
        {
            return Err(format!("{v} {unit} is implausible for {}", ANALYTES[slot]));
        }
        let p = self.patient(id);
        let newer = p.latest[slot]
            .as_ref()
            .is_none_or(|(d, _)| not_before(when.as_ref(), d.as_ref()));
        if newer {
            p.latest[slot] = Some((when, canonical));
        }
        Ok(())
    }

    fn finish(
        mut self,
        screener: &Screener<'_>,
        window_days: Option<u32>,
        out: &mut Output,
        rejects: &mut AtomicFile,
    ) -> Result<Summary, ScreenError> {
        for id in std::mem::take(&mut self.order) {
            let Some(p) = self.patients.remove(&id) else {
                continue;
            };
            let newest = p
                .latest
                .iter()
                .flatten()
                .map(|(d, _)| d.as_ref())
                .fold(None, |a, d| if not_before(d, a) { d } else { a })
                .map(When::date);
            let within = |d: Option<&When>| {
                let days = d.zip(newest).and_then(|(d, n)| days_between(d.date(), n));
                match (window_days, days) {
                    (Some(w), Some(days)) => days <= i64::from(w),
                    _ => true,
                }
            };
            let value = |slot: usize| {
                p.latest[slot]
                    .as_ref()
                    .filter(|(d, _)| within(d.as_ref()))
                    .map(|(_, v)| *v)
            };
            let age = p.age.or_else(|| {
                let days = days_between(p.birth_date?, newest?)?;
                Some((days as f64 / 365.25).floor())
            });
            let data = PatientData {
                age_years: age,
                sex: p.sex,
                b12_total: value(0),
                holotranscobalamin: value(1),
                mma: value(2),
                homocysteine: value(3),
                haemoglobin: value(4),
                mcv: value(5),
                ..PatientData::default()
            };
            let s = screener.screen(&data);
            out.row(id.as_bytes(), &s)?;
            let _ = self.summary.count(&s, data.age_years, data.b12_total);
        }
        rejects.write(&self.rejects)?;
        Ok(self.summary)
    }
}

/// Whole days from `a` to `b`.
fn days_between(a: jiff::civil::Date, b: jiff::civil::Date) -> Option<i64> {
    let span = a.until(b).ok()?;
    Some(i64::from(span.get_days()))
}

/// When a result was taken: none for an empty cell, else the text read as an
/// ISO date or date-time, or in the mapping's `date_format`.
fn when(text: &str, format: Option<&str>) -> Result<Option<When>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match format {
        Some(f) => When::parse_format(text, f),
        None => When::parse(text),
    }
    .map(Some)
    .map_err(|e| e.to_string())
}

/// One line of NDJSON as read: its bytes, or the input ending inside it.
enum Line {
    Whole(Vec<u8>),
    /// The input ended (an error, a truncated gzip) inside this line: why, and what was read.
    Cut(String, Vec<u8>),
}

/// The lines of `reader`, numbered from 1, as bytes: a line that is not UTF-8
/// is that line's problem, not the end of the file (N04).
/// Why the last, partial line of a cut input is rejected.
const TRUNCATED: &str = "the input ends inside this row (truncated file)";

fn lines(reader: Box<dyn Read + Send>) -> impl Iterator<Item = (u64, Line)> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut number = 0u64;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut buf = Vec::new();
        number += 1;
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                Some((number, Line::Whole(buf)))
            }
            Err(e) => {
                done = true;
                Some((number, Line::Cut(e.to_string(), buf)))
            }
        }
    })
}

pub(crate) fn run_fhir(
    kb: &Knowledge,
    screener: &Screener<'_>,
    opts: &Options,
    reader: Box<dyn Read + Send>,
    sink: &mut Sink<'_>,
) -> Result<Outcome, ScreenError> {
    let progress = sink.progress;
    let mut pivot = Pivot::new(kb, &Default::default());
    let mut truncated = None;
    for (line, read) in lines(reader) {
        let bytes = match read {
            Line::Whole(bytes) => bytes,
            Line::Cut(why, partial) => {
                truncated = Some(format!("{}: {why}", opts.input.display()));
                // The partial line is in the rejects, as the message says (N05).
                if !partial.trim_ascii().is_empty() {
                    pivot.summary.rows_in += 1;
                    pivot.reject(line, TRUNCATED, &partial);
                }
                break;
            }
        };
        if bytes.trim_ascii().is_empty() {
            continue;
        }
        pivot.summary.rows_in += 1;
        progress.advance(bytes.len() as u64 + 1, 1);
        let Ok(text) = std::str::from_utf8(&bytes) else {
            pivot.reject(line, "the line is not UTF-8 text", &bytes);
            continue;
        };
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                pivot.reject(line, &format!("not JSON: {e}"), text.as_bytes());
                continue;
            }
        };
        let result = match v["resourceType"].as_str() {
            Some("Observation") => fhir_observation(&mut pivot, &v),
            Some("Patient") => {
                let id = v["id"].as_str().unwrap_or_default().to_owned();
                if id.is_empty() {
                    Err("Patient without id".to_owned())
                } else {
                    match when(v["birthDate"].as_str().unwrap_or_default(), None) {
                        Ok(birth) => {
                            let p = pivot.patient(&id);
                            p.birth_date = birth.as_ref().map(When::date);
                            p.sex = v["gender"].as_str().and_then(Sex::parse);
                            Ok(())
                        }
                        Err(e) => Err(format!("birthDate: {e}")),
                    }
                }
            }
            other => Err(format!(
                "resourceType {other:?} is not Observation or Patient"
            )),
        };
        match result {
            Ok(()) => pivot.summary.rows_out += 1,
            Err(reason) => pivot.reject(line, &reason, text.as_bytes()),
        }
    }
    let summary = pivot.finish(screener, opts.mapping.window_days, sink.out, sink.rejects)?;
    Ok(Outcome { summary, truncated })
}

fn fhir_observation(pivot: &mut Pivot, v: &Value) -> Result<(), String> {
    if matches!(v["status"].as_str(), Some("entered-in-error" | "cancelled")) {
        return Err(format!("status {}", v["status"]));
    }
    let subject = v["subject"]["reference"]
        .as_str()
        .ok_or("no subject.reference")?;
    let id = subject.rsplit('/').next().unwrap_or(subject).to_owned();
    let code = v["code"]["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["code"].as_str())
        .find(|c| pivot.codes.contains_key(*c))
        .ok_or("no LOINC code of a screening analyte in code.coding")?
        .to_owned();
    let q = &v["valueQuantity"];
    let value = match &q["value"] {
        Value::Number(n) => n.to_string(),
        _ => return Err("no valueQuantity.value".into()),
    };
    let unit = q["unit"]
        .as_str()
        .or(q["code"].as_str())
        .ok_or("no valueQuantity unit")?
        .to_owned();
    let date = when(v["effectiveDateTime"].as_str().unwrap_or_default(), None)?;
    pivot.observe(&id, &code, &value, &unit, date)
}

/// A long row's age and sex, checked: a number within the plausible ages, a
/// sex code the mapping knows; empty is not known.
fn person(
    age: Option<&str>,
    sex: Option<&str>,
    sex_codes: &[(Vec<u8>, Sex)],
    ages: kobalt_kb::Range,
) -> Result<(Option<f64>, Option<Sex>), String> {
    let age = match age.map(|a| number(a.as_bytes())) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(a))) if ages.contains(a) => Some(a),
        Some(Ok(Some(a))) => {
            return Err(format!(
                "age: {a} is not between {} and {}",
                ages.min, ages.max
            ));
        }
        Some(Err(t)) => return Err(format!("age: '{t}' is not a number")),
    };
    let sex = match sex {
        Some(s) => crate::row::sex_code(sex_codes, s.as_bytes())?,
        None => None,
    };
    Ok((age, sex))
}

pub(crate) fn run_long_csv(
    kb: &Knowledge,
    screener: &Screener<'_>,
    opts: &Options,
    mut reader: Box<dyn Read + Send>,
    sink: &mut Sink<'_>,
) -> Result<Outcome, ScreenError> {
    let progress = sink.progress;
    let m = &opts.mapping;
    let Some(cols) = &m.long else {
        return Err(ScreenError::Mapping(
            "format = \"long\" needs a [long] table".into(),
        ));
    };
    let crate::Header {
        columns,
        delim,
        rest,
        line_end,
        ..
    } = crate::read_header(&mut *reader, opts)?;
    let reader = crate::data_reader(reader, line_end);
    let col = |name: &str, what: &str| crate::row::column(&columns, name, what);
    let (id_c, code_c, value_c, unit_c) = (
        col(&m.patient_id, "patient id")?,
        col(&cols.code, "code")?,
        col(&cols.value, "value")?,
        col(&cols.unit, "unit")?,
    );
    let date_c = cols.date.as_deref().map(|d| col(d, "date")).transpose()?;
    let age_c = m.age.as_deref().map(|a| col(a, "age")).transpose()?;
    let sex_c = m.sex.as_deref().map(|s| col(s, "sex")).transpose()?;
    let mut pivot = Pivot::new(kb, &cols.codes);
    let sex_codes = crate::row::sex_values(m);
    let chained = std::io::Cursor::new(rest).chain(reader);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delim)
        .flexible(true)
        .from_reader(chained);
    let mut rec = csv::StringRecord::new();
    let mut truncated = None;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                truncated = Some(format!("{}: {e}", opts.input.display()));
                break;
            }
            Err(e) => {
                pivot.summary.rows_in += 1;
                let line = e.position().map_or(0, |p| p.line() + 1);
                pivot.reject(line, &format!("unreadable row: {e}"), b"");
                continue;
            }
        }
        let line = rec.position().map_or(0, |p| p.line() + 1);
        pivot.summary.rows_in += 1;
        progress.advance(rec.as_slice().len() as u64 + 1, 1);
        if rec.len() != columns.len() {
            let raw = rec
                .iter()
                .collect::<Vec<_>>()
                .join(&(delim as char).to_string());
            pivot.reject(
                line,
                &format!("expected {} fields, found {}", columns.len(), rec.len()),
                raw.as_bytes(),
            );
            continue;
        }
        let f = |i: usize| rec.get(i).unwrap_or_default().trim();
        let id = f(id_c).to_owned();
        // Age and sex are checked like wide CSV's (L02: "abc" and "Q" were taken).
        let person = person(
            age_c.map(f),
            sex_c.map(f),
            &sex_codes,
            kb.plausible.age_years,
        );
        let result = person.and_then(|person| {
            let date = when(date_c.map_or("", f), cols.date_format.as_deref())?;
            pivot.observe(&id, f(code_c), f(value_c), f(unit_c), date)?;
            Ok(person)
        });
        match result {
            Ok((age, sex)) => {
                pivot.summary.rows_out += 1;
                let p = pivot.patient(&id);
                p.age = p.age.or(age);
                p.sex = p.sex.or(sex);
            }
            Err(reason) => {
                let raw = rec
                    .iter()
                    .collect::<Vec<_>>()
                    .join(&(delim as char).to_string());
                pivot.reject(line, &reason, raw.as_bytes());
            }
        }
    }
    let summary = pivot.finish(screener, m.window_days, sink.out, sink.rejects)?;
    Ok(Outcome { summary, truncated })
}
