//! One row of a wide export: find the mapped columns, check and convert the
//! values, screen the patient, format the output or the reject.

use std::hash::Hasher;

use kobalt_contract::Sex;
use kobalt_engine::screen::{PatientData, Screened, Screener};
use kobalt_kb::Knowledge;

use crate::ScreenError;
use crate::mapping::Mapping;
use crate::summary::{Counted, Summary};

/// The fields of one input row, whatever the input format.
pub(crate) trait Fields<'r> {
    fn count(&self) -> usize;
    /// The field's text, trimmed; empty when missing or null.
    fn text(&self, i: usize) -> std::borrow::Cow<'r, [u8]>;
    /// The field as a number: `Ok(None)` when empty, `Err(text)` when not a number.
    fn number(&self, i: usize) -> Result<Option<f64>, String>;
}

impl<'r> Fields<'r> for [&'r [u8]] {
    fn count(&self) -> usize {
        self.len()
    }

    fn text(&self, i: usize) -> std::borrow::Cow<'r, [u8]> {
        std::borrow::Cow::Borrowed(self.get(i).copied().unwrap_or_default().trim_ascii())
    }

    fn number(&self, i: usize) -> Result<Option<f64>, String> {
        number(self.get(i).copied().unwrap_or_default().trim_ascii())
    }
}

/// A block of whole input lines.
pub(crate) struct Block {
    pub index: u64,
    pub data: Vec<u8>,
    /// The input ended inside this block (truncated): its lines are rejected.
    pub truncated: bool,
}

impl Block {
    pub(crate) fn lines(index: u64, data: Vec<u8>) -> Block {
        Block {
            index,
            data,
            truncated: false,
        }
    }

    pub(crate) fn partial(index: u64, data: Vec<u8>) -> Block {
        Block {
            index,
            data,
            truncated: true,
        }
    }
}

/// What the writer needs to drop a duplicate patient again.
pub(crate) struct Key {
    pub id_hash: u64,
    /// Line within the block (0-based); the writer knows where the block starts.
    pub line: u32,
    pub out_start: u32,
    /// End of the patient id (as written) in the output.
    pub id_end: u32,
    pub out_end: u32,
    pub counted: Counted,
}

/// A rejected row: line within the block (0-based), reason, the row as read.
pub(crate) struct Rejected {
    pub line: u64,
    pub reason: String,
    pub raw: Vec<u8>,
}

pub(crate) struct BlockResult {
    pub index: u64,
    pub bytes: u64,
    /// Lines in the block (blank ones included), to number the next block's.
    pub lines: u64,
    pub out: Vec<u8>,
    pub rejects: Vec<Rejected>,
    pub keys: Vec<Key>,
    pub summary: Summary,
}

enum UnitSource {
    /// One unit for the column: its factor to the canonical unit.
    Fixed(f64),
    /// A unit column: the accepted spellings and their factors.
    Column(usize),
}

struct LabPlan {
    analyte: String,
    slot: Slot,
    value: usize,
    value_name: String,
    unit: UnitSource,
    unit_name: String,
    units: Vec<(Vec<u8>, f64)>,
    plausible: Option<(f64, f64)>,
}

#[derive(Clone, Copy)]
enum Slot {
    B12,
    Holo,
    Mma,
    Hcy,
    Hb,
    Mcv,
}

/// Where the mapped fields are in a row.
pub(crate) struct RowPlan {
    columns: usize,
    id: usize,
    age: Option<usize>,
    sex: Option<usize>,
    sex_values: Vec<(Vec<u8>, Sex)>,
    pregnant: Option<usize>,
    metformin: Option<usize>,
    acid: Option<usize>,
    labs: Vec<LabPlan>,
}

pub(crate) fn column(columns: &[String], name: &str, what: &str) -> Result<usize, ScreenError> {
    columns
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| ScreenError::MissingColumn {
            column: name.to_owned(),
            what: what.to_owned(),
            header: columns.join(", "),
        })
}

/// Every spelling of the analyte's units a row may use, with its factor.
pub(crate) fn unit_table(kb: &Knowledge, analyte: &str) -> Vec<(Vec<u8>, f64)> {
    let Some(a) = kb.analyte(analyte).map(|i| &kb.analytes[i as usize]) else {
        return Vec::new();
    };
    let mut table = Vec::new();
    for u in a.accepted_units() {
        if let Some(f) = a.factor(u) {
            table.push((u.as_bytes().to_vec(), f));
            table.push((kobalt_units::normalize(u).into_bytes(), f));
        }
    }
    table
}

/// The factor of a unit spelling: exact bytes first, then the normalised spelling.
pub(crate) fn unit_factor(table: &[(Vec<u8>, f64)], raw: &[u8]) -> Option<f64> {
    table
        .iter()
        .find(|(u, _)| u.as_slice() == raw)
        .map(|(_, f)| *f)
        .or_else(|| {
            let norm = kobalt_units::normalize(std::str::from_utf8(raw).ok()?);
            table
                .iter()
                .find(|(u, _)| u.as_slice() == norm.as_bytes())
                .map(|(_, f)| *f)
        })
}

impl RowPlan {
    pub(crate) fn new(
        kb: &Knowledge,
        m: &Mapping,
        columns: &[String],
    ) -> Result<RowPlan, ScreenError> {
        let opt = |name: &Option<String>, what: &str| -> Result<Option<usize>, ScreenError> {
            name.as_ref().map(|n| column(columns, n, what)).transpose()
        };
        let mut labs = Vec::new();
        for lab in &m.lab {
            let slot = match lab.analyte.as_str() {
                "b12_total" => Slot::B12,
                "holotranscobalamin" => Slot::Holo,
                "mma" => Slot::Mma,
                "homocysteine" => Slot::Hcy,
                "haemoglobin" => Slot::Hb,
                "mcv" => Slot::Mcv,
                other => {
                    return Err(ScreenError::Mapping(format!(
                        "lab {other}: screening uses b12_total, holotranscobalamin, mma, homocysteine, haemoglobin and mcv"
                    )));
                }
            };
            let analyte = kb
                .analyte(&lab.analyte)
                .map(|i| &kb.analytes[i as usize])
                .ok_or_else(|| ScreenError::Mapping(format!("unknown analyte {}", lab.analyte)))?;
            let units = unit_table(kb, &lab.analyte);
            let (unit, unit_name) = match (&lab.unit, &lab.unit_column) {
                (Some(u), _) => {
                    let f = analyte.factor(u).ok_or_else(|| {
                        ScreenError::Mapping(format!(
                            "lab {}: unit {u} is not one of {}",
                            lab.analyte,
                            analyte.accepted_units().join(", ")
                        ))
                    })?;
                    (UnitSource::Fixed(f), u.clone())
                }
                (None, Some(c)) => (
                    UnitSource::Column(column(columns, c, &format!("unit of {}", lab.analyte))?),
                    c.clone(),
                ),
                (None, None) => {
                    return Err(ScreenError::Mapping(format!(
                        "lab {}: no unit",
                        lab.analyte
                    )));
                }
            };
            labs.push(LabPlan {
                analyte: lab.analyte.clone(),
                slot,
                value: column(columns, &lab.value, &lab.analyte)?,
                value_name: lab.value.clone(),
                unit,
                unit_name,
                units,
                plausible: analyte.plausible,
            });
        }
        let mut sex_values: Vec<(Vec<u8>, Sex)> = m
            .sex_values
            .iter()
            .filter_map(|(k, v)| Some((k.as_bytes().to_vec(), Sex::parse(v)?)))
            .collect();
        for s in Sex::ALL {
            sex_values.push((s.as_str().as_bytes().to_vec(), *s));
        }
        Ok(RowPlan {
            columns: columns.len(),
            id: column(columns, &m.patient_id, "patient id")?,
            age: opt(&m.age, "age")?,
            sex: opt(&m.sex, "sex")?,
            sex_values,
            pregnant: opt(&m.pregnant, "pregnant")?,
            metformin: opt(&m.metformin_years, "metformin years")?,
            acid: opt(&m.acid_suppressant_years, "acid suppressant years")?,
            labs,
        })
    }

    /// Screens a block into `out` (a recycled buffer); gives the block's data back.
    pub(crate) fn process(
        &self,
        screener: &Screener<'_>,
        block: Block,
        delim: u8,
        mut out: Vec<u8>,
    ) -> (BlockResult, Vec<u8>) {
        out.clear();
        out.reserve(block.data.len());
        let mut result = BlockResult {
            index: block.index,
            bytes: block.data.len() as u64,
            lines: 0,
            out,
            rejects: Vec::new(),
            keys: Vec::with_capacity(block.data.len() / 48),
            summary: Summary::default(),
        };
        let data = &block.data[..];
        let block_quoted = memchr::memchr(b'"', data).is_some();
        let mut fields: Vec<&[u8]> = Vec::with_capacity(self.columns + 1);
        let mut pos = 0;
        while pos < data.len() {
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
            let mut text = &data[pos..end];
            pos = end + 1;
            if text.last() == Some(&b'\r') {
                text = &text[..text.len() - 1];
            }
            let line = result.lines;
            result.lines += 1;
            if text.is_empty() {
                continue;
            }
            // Fields are short: a plain loop beats a vectorised search per field.
            // Quotes only need looking for when the block has any.
            fields.clear();
            let quoted = block_quoted && memchr::memchr(b'"', text).is_some();
            let mut start = 0;
            for (i, &b) in text.iter().enumerate() {
                if b == delim {
                    fields.push(&text[start..i]);
                    start = i + 1;
                }
            }
            fields.push(&text[start..]);
            self.line(
                screener,
                &mut result,
                line,
                &fields,
                text,
                quoted,
                delim,
                block.truncated,
            );
        }
        drop(fields);
        (result, block.data)
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        screener: &Screener<'_>,
        result: &mut BlockResult,
        line: u64,
        fields: &[&[u8]],
        text: &[u8],
        quoted: bool,
        delim: u8,
        truncated: bool,
    ) {
        result.summary.rows_in += 1;
        if truncated {
            self.reject(
                result,
                line,
                "the input ends inside this row (truncated file)",
                text,
            );
        } else if !quoted {
            self.screen_row(screener, result, line, fields, text);
        } else {
            // Quoted fields: the csv crate parses the line.
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(delim)
                .flexible(true)
                .from_reader(text);
            let mut rec = csv::ByteRecord::new();
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {
                    let unquoted: Vec<&[u8]> = rec.iter().collect();
                    self.screen_row(screener, result, line, unquoted.as_slice(), text);
                }
                Ok(false) => self.reject(result, line, "unreadable row", text),
                Err(e) => self.reject(result, line, &format!("unreadable row: {e}"), text),
            }
        }
    }

    fn reject(&self, result: &mut BlockResult, line: u64, reason: &str, raw: &[u8]) {
        result.summary.rows_rejected += 1;
        result.rejects.push(Rejected {
            line,
            reason: reason.to_owned(),
            raw: raw.to_vec(),
        });
    }

    pub(crate) fn screen_row<'r, F: Fields<'r> + ?Sized>(
        &self,
        screener: &Screener<'_>,
        result: &mut BlockResult,
        line: u64,
        fields: &F,
        raw: &[u8],
    ) {
        match self.row(fields) {
            Ok((id, data)) => {
                let id = &*id;
                let screened = screener.screen(&data);
                let start = result.out.len();
                let id_end = write_output(&mut result.out, id, &screened);
                let mut h = rustc_hash::FxHasher::default();
                h.write(id);
                let counted = result
                    .summary
                    .count(&screened, data.age_years, data.b12_total);
                result.keys.push(Key {
                    id_hash: h.finish(),
                    line: line as u32,
                    out_start: start as u32,
                    id_end: id_end as u32,
                    out_end: result.out.len() as u32,
                    counted,
                });
                result.summary.rows_out += 1;
            }
            Err(reason) => self.reject(result, line, &reason, raw),
        }
    }

    pub(crate) fn row<'r, F: Fields<'r> + ?Sized>(
        &self,
        rec: &F,
    ) -> Result<(std::borrow::Cow<'r, [u8]>, PatientData), String> {
        if rec.count() != self.columns {
            let hint = if rec.count() == 1 {
                " (wrong delimiter?)"
            } else {
                ""
            };
            return Err(format!(
                "expected {} fields, found {}{hint}",
                self.columns,
                rec.count()
            ));
        }
        let field = |i: usize| rec.text(i);
        let id = field(self.id);
        if id.is_empty() {
            return Err("patient_id is empty".into());
        }
        let num = |i: Option<usize>, name: &str| -> Result<Option<f64>, String> {
            let Some(i) = i else { return Ok(None) };
            rec.number(i)
                .map_err(|t| format!("{name}: '{t}' is not a number"))
        };
        let age = num(self.age, "age")?;
        if let Some(a) = age
            && !(0.0..=130.0).contains(&a)
        {
            return Err(format!("age: {a} is not between 0 and 130"));
        }
        let years = |i: Option<usize>, name: &str| -> Result<Option<f64>, String> {
            match num(i, name)? {
                Some(y) if !(0.0..=100.0).contains(&y) => {
                    Err(format!("{name}: {y} is not between 0 and 100 years"))
                }
                y => Ok(y),
            }
        };
        let mut data = PatientData {
            age_years: age,
            sex: self.sex.and_then(|i| {
                let v = field(i);
                self.sex_values
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&v))
                    .map(|(_, s)| *s)
            }),
            pregnant: self
                .pregnant
                .is_some_and(|i| matches!(&*field(i), b"1" | b"true" | b"yes" | b"y" | b"ja")),
            metformin_years: years(self.metformin, "metformin years")?,
            acid_suppressant_years: years(self.acid, "acid suppressant years")?,
            ..PatientData::default()
        };
        for lab in &self.labs {
            let Some(v) = rec
                .number(lab.value)
                .map_err(|t| format!("{}: '{t}' is not a number", lab.value_name))?
            else {
                continue;
            };
            if v < 0.0 {
                return Err(format!("{}: negative value {v}", lab.value_name));
            }
            let factor = match lab.unit {
                UnitSource::Fixed(f) => f,
                UnitSource::Column(i) => {
                    let raw = field(i);
                    unit_factor(&lab.units, &raw).ok_or_else(|| {
                        format!(
                            "{}: unknown unit '{}' for {}",
                            lab.unit_name,
                            String::from_utf8_lossy(&raw),
                            lab.analyte
                        )
                    })?
                }
            };
            let canonical = v * factor;
            if let Some((lo, hi)) = lab.plausible
                && !(lo..=hi).contains(&canonical)
            {
                return Err(format!(
                    "{}: {v} is implausible for {} (plausible {lo}-{hi} in its canonical unit)",
                    lab.value_name, lab.analyte
                ));
            }
            let slot = match lab.slot {
                Slot::B12 => &mut data.b12_total,
                Slot::Holo => &mut data.holotranscobalamin,
                Slot::Mma => &mut data.mma,
                Slot::Hcy => &mut data.homocysteine,
                Slot::Hb => &mut data.haemoglobin,
                Slot::Mcv => &mut data.mcv,
            };
            *slot = Some(canonical);
        }
        Ok((id, data))
    }
}

/// A number, or `None` for an empty field; a decimal comma is accepted.
pub(crate) fn number(text: &[u8]) -> Result<Option<f64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(v) = plain_decimal(text) {
        return Ok(Some(v));
    }
    let s = std::str::from_utf8(text).map_err(|_| String::from_utf8_lossy(text).into_owned())?;
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        Ok(_) => Err(s.to_owned()),
        Err(_) => s
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| s.to_owned()),
    }
}

/// The common case of lab exports, `123` or `12.5`: at most 15 digits, so the
/// integer and the power of ten are exact and one division rounds correctly
/// (the classic fast path of decimal parsing). Anything else returns `None`.
fn plain_decimal(text: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    if text.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut fraction: Option<usize> = None;
    for &b in text {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
                if let Some(f) = fraction.as_mut() {
                    *f += 1;
                }
            }
            b'.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    Some(mantissa as f64 / POW10[fraction.unwrap_or(0)])
}

fn csv_field(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for &b in bytes {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(bytes);
    }
}

pub(crate) fn reject_line(out: &mut Vec<u8>, line: u64, reason: &str, raw: &[u8]) {
    out.extend_from_slice(line.to_string().as_bytes());
    out.push(b',');
    csv_field(out, reason.as_bytes());
    out.push(b',');
    csv_field(out, raw);
    out.push(b'\n');
}

/// Appends the output row; returns where the patient id ends in `out`.
pub(crate) fn write_output(out: &mut Vec<u8>, id: &[u8], s: &Screened) -> usize {
    csv_field(out, id);
    let id_end = out.len();
    out.push(b',');
    out.extend_from_slice(s.category.as_str().as_bytes());
    out.push(b',');
    out.extend_from_slice(s.outcome.as_bytes());
    out.push(b',');
    out.extend_from_slice(s.risk.as_str().as_bytes());
    out.push(b',');
    for (i, f) in s.flags().enumerate() {
        if i > 0 {
            out.push(b'|');
        }
        out.extend_from_slice(f.as_str().as_bytes());
    }
    out.push(b',');
    if let Some(r) = s.reflex() {
        out.extend_from_slice(r.as_bytes());
    }
    out.push(b',');
    let mut first = true;
    for f in s.flags() {
        for r in f.rules() {
            if !first {
                out.push(b'|');
            }
            first = false;
            out.extend_from_slice(r.as_bytes());
        }
    }
    out.push(b'\n');
    id_end
}
