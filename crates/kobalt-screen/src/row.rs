//! One row of a wide export: find the mapped columns, check and convert the
//! values, screen the patient, format the output or the reject.

use kobalt_contract::Sex;
use kobalt_engine::screen::{PatientData, Screened, Screener};
use kobalt_kb::Knowledge;

use crate::ScreenError;

mod columns;
use crate::mapping::Mapping;
use crate::output::{RowBytes, Suffixes, csv_field};
use crate::summary::{Counted, Summary};
pub(crate) use columns::Checked;

/// The fields of one input row, whatever the input format.
pub(crate) trait Fields<'r> {
    fn count(&self) -> usize;
    /// The field's text, trimmed; empty when missing or null.
    fn text(&self, i: usize) -> &'r [u8];
    /// The field as a number: `Ok(None)` when empty, `Err(text)` when not a number.
    fn number(&self, i: usize) -> Result<Option<f64>, String>;

    /// The field as a number written in the file's locale (text formats).
    #[inline]
    fn number_in(&self, i: usize, _decimal: Decimal) -> Result<Option<f64>, BadNumber> {
        self.number(i).map_err(BadNumber::NotANumber)
    }
}

impl<'r> Fields<'r> for [&'r [u8]] {
    #[inline]
    fn count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn text(&self, i: usize) -> &'r [u8] {
        self.get(i).copied().unwrap_or_default().trim_ascii()
    }

    #[inline]
    fn number(&self, i: usize) -> Result<Option<f64>, String> {
        number(self.get(i).copied().unwrap_or_default().trim_ascii())
    }

    #[inline]
    fn number_in(&self, i: usize, decimal: Decimal) -> Result<Option<f64>, BadNumber> {
        number_in(
            self.get(i).copied().unwrap_or_default().trim_ascii(),
            decimal,
        )
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
    /// The id as a number, or its hash (`seen::IdKey`).
    pub id_key: crate::seen::IdKey,
    /// Line within the block (0-based); the writer knows where the block starts.
    pub line: u32,
    pub out_start: u32,
    /// End of the patient id (as written) in the output.
    pub id_end: u32,
    pub out_end: u32,
    pub counted: Counted,
    pub screened: Screened,
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
    /// What `out` holds per patient.
    pub row_bytes: RowBytes,
    pub out: Vec<u8>,
    pub rejects: Vec<Rejected>,
    pub keys: Vec<Key>,
    pub summary: Summary,
    /// Every id is greater than the one before (shorter first, then bytewise).
    pub ascending: bool,
    /// A record of the block holds a line break (in a quoted field): blocks
    /// cut at line ends may have split such a record, so the export is read
    /// again with record-aware cutting (B03).
    pub line_break_in_record: bool,
    suffixes: Suffixes,
}

/// The buffers of an earlier block, for reuse: fresh ones of this size come
/// from `mmap` and cost a page fault per 4 KB.
#[derive(Default)]
pub(crate) struct Buffers {
    pub out: Vec<u8>,
    pub keys: Vec<Key>,
}

impl BlockResult {
    /// An empty result writing into `buffers`, sized for `rows`.
    pub(crate) fn new(
        index: u64,
        bytes: u64,
        row_bytes: RowBytes,
        buffers: Buffers,
        rows: usize,
    ) -> BlockResult {
        let Buffers { mut out, mut keys } = buffers;
        out.clear();
        out.reserve(rows * 40);
        keys.clear();
        keys.reserve(rows);
        BlockResult {
            index,
            bytes,
            lines: 0,
            row_bytes,
            out,
            rejects: Vec::new(),
            keys,
            summary: Summary::default(),
            ascending: true,
            line_break_in_record: false,
            suffixes: Suffixes::default(),
        }
    }
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
    /// The knowledge base's plausibility policy, the one `validate` applies.
    plausible: kobalt_kb::Plausible,
    /// How the file writes numbers (B23).
    decimal: Decimal,
}

/// The position of a mapped column; a name that is missing or in the header
/// twice (B13: the second `b12_value` was silently ignored) is an error.
pub(crate) fn column(columns: &[String], name: &str, what: &str) -> Result<usize, ScreenError> {
    let mut found = columns.iter().enumerate().filter(|(_, c)| *c == name);
    match (found.next(), found.next()) {
        (Some((i, _)), None) => Ok(i),
        (Some(_), Some(_)) => Err(ScreenError::DuplicateColumn(name.to_owned())),
        (None, _) => Err(ScreenError::MissingColumn {
            column: name.to_owned(),
            what: what.to_owned(),
            header: crate::shown_header(columns),
        }),
    }
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

/// Equal bytes; units are short, and comparing them as one word saves a call per row.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && if a.len() <= 8 {
            crate::word(a) == crate::word(b)
        } else {
            a == b
        }
}

/// The factor of a unit spelling: exact bytes first, then the normalised spelling.
#[inline]
pub(crate) fn unit_factor(table: &[(Vec<u8>, f64)], raw: &[u8]) -> Option<f64> {
    table
        .iter()
        .find(|(u, _)| same(u, raw))
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
        let sex_values = sex_values(m);
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
            plausible: kb.plausible,
            // Typed columns (Parquet) have no locale; text ones read points.
            decimal: Decimal::of(m, b','),
        })
    }

    /// Numbers read in the locale of a text file with this delimiter.
    pub(crate) fn with_delimiter(mut self, m: &Mapping, delim: u8) -> RowPlan {
        self.decimal = Decimal::of(m, delim);
        self
    }

    /// Screens a block into recycled `buffers`; gives the block's data back.
    /// A block without quotes and without a lone `\r` is cut into fields by
    /// the vector splitter; any other is parsed by the `csv` crate (RFC 4180:
    /// quoted delimiters, quotes and line breaks).
    pub(crate) fn process(
        &self,
        screener: &Screener<'_>,
        block: Block,
        delim: u8,
        row_bytes: RowBytes,
        buffers: Buffers,
    ) -> (BlockResult, Vec<u8>) {
        let mut result = BlockResult::new(
            block.index,
            block.data.len() as u64,
            row_bytes,
            buffers,
            block.data.len() / 48,
        );
        let truncated = block.truncated;
        let (lines, line_break) = records(&block.data, delim, self.columns, |line, fields, raw| {
            self.record(screener, &mut result, line, fields, raw, truncated);
        });
        result.lines = lines;
        result.line_break_in_record = line_break;
        (result, block.data)
    }

    /// One record: rejected whole when the input ends inside its block, else screened.
    fn record(
        &self,
        screener: &Screener<'_>,
        result: &mut BlockResult,
        line: u64,
        fields: &[&[u8]],
        raw: &[u8],
        truncated: bool,
    ) {
        result.summary.rows_in += 1;
        if truncated {
            self.reject(
                result,
                line,
                "the input ends inside this row (truncated file)",
                raw,
            );
        } else {
            self.screen_row(screener, result, line, fields, raw);
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
        let mut data = PatientData::default();
        match self.row(fields, &mut data) {
            Ok(id) => self.accept(screener, result, line, id, &data),
            Err(reason) => self.reject(result, line, &reason, raw),
        }
    }

    /// A row whose fields are all good: screened, counted and written.
    #[inline]
    pub(crate) fn accept(
        &self,
        screener: &Screener<'_>,
        result: &mut BlockResult,
        line: u64,
        id: &[u8],
        data: &PatientData,
    ) {
        let screened = screener.screen(data);
        let counted = result
            .summary
            .count(&screened, data.age_years, data.b12_total);
        let start = result.out.len();
        match result.row_bytes {
            RowBytes::Csv => {
                csv_field(&mut result.out, id);
            }
            RowBytes::IdOnly => result.out.extend_from_slice(id),
        }
        let id_end = result.out.len();
        if result.row_bytes == RowBytes::Csv {
            result.suffixes.write(&mut result.out, &screened, counted);
        }
        // Ids in ascending order let the writer skip its per-row check.
        if let Some(prev) = result.keys.last() {
            let prev = &result.out[prev.out_start as usize..prev.id_end as usize];
            let id = &result.out[start..id_end];
            result.ascending &= crate::id_order(id, prev).is_gt();
        }
        let id_key = crate::seen::IdKey::of(&result.out[start..id_end]);
        result.keys.push(Key {
            id_key,
            line: line as u32,
            out_start: start as u32,
            id_end: id_end as u32,
            out_end: result.out.len() as u32,
            counted,
            screened,
        });
        result.summary.rows_out += 1;
    }

    /// Checks and converts the mapped fields of one row into `data`; gives
    /// the patient id, or why the row is rejected. Every check here has a
    /// twin in `check_columns` (`row/columns.rs`), the fast path of record
    /// batches: change both (the property test holds them equal).
    pub(crate) fn row<'r, F: Fields<'r> + ?Sized>(
        &self,
        rec: &F,
        data: &mut PatientData,
    ) -> Result<&'r [u8], String> {
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
        if !id.is_ascii() && std::str::from_utf8(id).is_err() {
            return Err("patient_id is not UTF-8 text".into());
        }
        let num = |i: Option<usize>, name: &str| -> Result<Option<f64>, String> {
            let Some(i) = i else { return Ok(None) };
            rec.number_in(i, self.decimal)
                .map_err(|e| format!("{name}: {e}"))
        };
        let (ages, durations) = (self.plausible.age_years, self.plausible.years);
        let age = num(self.age, "age")?;
        if let Some(a) = age
            && !ages.contains(a)
        {
            return Err(format!(
                "age: {a} is not between {} and {}",
                ages.min, ages.max
            ));
        }
        let years = |i: Option<usize>, name: &str| -> Result<Option<f64>, String> {
            match num(i, name)? {
                Some(y) if !durations.contains(y) => Err(format!(
                    "{name}: {y} is not between {} and {} years",
                    durations.min, durations.max
                )),
                // As in `validate`: an age in whole years may be up to a year short.
                Some(y) if age.is_some_and(|a| y > a + 1.0) => Err(format!(
                    "{name}: {y} years is longer than the life of a person aged {}",
                    age.unwrap_or_default()
                )),
                y => Ok(y),
            }
        };
        // Filled in place: the struct is too big to move around per row.
        *data = PatientData {
            age_years: age,
            sex: match self.sex {
                Some(i) => sex_code(&self.sex_values, field(i))?,
                None => None,
            },
            pregnant: match self.pregnant {
                Some(i) => pregnant_code(field(i))?,
                None => false,
            },
            metformin_years: years(self.metformin, "metformin years")?,
            acid_suppressant_years: years(self.acid, "acid suppressant years")?,
            ..PatientData::default()
        };
        for lab in &self.labs {
            let Some(v) = rec
                .number_in(lab.value, self.decimal)
                .map_err(|e| format!("{}: {e}", lab.value_name))?
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
                    unit_factor(&lab.units, raw).ok_or_else(|| match raw {
                        b"" => format!(
                            "{}: empty, and {}'s value {v} needs its unit",
                            lab.unit_name, lab.analyte
                        ),
                        _ => format!(
                            "{}: unknown unit '{}' for {}",
                            lab.unit_name,
                            String::from_utf8_lossy(raw),
                            lab.analyte
                        ),
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
        Ok(id)
    }
}

/// Calls `each(line, fields, text)` for every record of a block of whole
/// records (`line` within the block, from 0). A block without quotes and
/// without a lone `\r` is cut by the vector splitter; any other is read by
/// the `csv` crate (RFC 4180: quoted delimiters, quotes and line breaks).
/// Gives the block's physical lines, and whether a record holds a line break
/// (blocks cut at line ends may then have split one).
pub(crate) fn records(
    data: &[u8],
    delim: u8,
    columns: usize,
    each: impl FnMut(u64, &[&[u8]], &[u8]),
) -> (u64, bool) {
    if memchr::memchr(b'"', data).is_some() || crate::split::has_lone_cr(data) {
        quoted_records(data, delim, each)
    } else {
        (plain_records(data, delim, columns, each), false)
    }
}

/// The common case: no quotes, lines end with `\n` (or `\r\n`).
fn plain_records(
    data: &[u8],
    delim: u8,
    columns: usize,
    mut each: impl FnMut(u64, &[&[u8]], &[u8]),
) -> u64 {
    let mut fields: Vec<&[u8]> = Vec::with_capacity(columns + 1);
    let (mut line_start, mut field_start, mut lines) = (0, 0, 0u64);
    let mut line_end = |end: usize, fields: &mut Vec<&'_ [u8]>, line_start: usize| {
        let line = lines;
        lines += 1;
        let cr = usize::from(end > line_start && data[end - 1] == b'\r');
        let text = &data[line_start..end - cr];
        if text.is_empty() {
            return;
        }
        if let Some(last) = fields.last_mut() {
            *last = &last[..last.len() - cr.min(last.len())];
        }
        each(line, fields, text);
    };
    for crate::split::Separator { at, line_end: ends } in crate::split::Separators::new(data, delim)
    {
        fields.push(&data[field_start..at]);
        field_start = at + 1;
        if ends {
            line_end(at, &mut fields, line_start);
            fields.clear();
            line_start = at + 1;
        }
    }
    if line_start < data.len() {
        fields.push(&data[field_start..]);
        line_end(data.len(), &mut fields, line_start);
    }
    lines
}

/// Quoted fields or lone `\r` line ends: the `csv` crate reads the records.
fn quoted_records(
    data: &[u8],
    delim: u8,
    mut each: impl FnMut(u64, &[&[u8]], &[u8]),
) -> (u64, bool) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delim)
        .flexible(true)
        .from_reader(data);
    let mut rec = csv::ByteRecord::new();
    let mut line_break = false;
    loop {
        let before = rdr.position().byte() as usize;
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                // Where the record itself starts: the `csv` crate may place it on
                // the `\n` of the `\r\n` before it (or on blank lines).
                let (mut start, mut line) = rec.position().map_or((before, 0), |p| {
                    (p.byte() as usize, p.line().saturating_sub(1))
                });
                while let Some(b @ (b'\r' | b'\n')) = data.get(start) {
                    line += u64::from(*b == b'\n');
                    start += 1;
                }
                let end = (rdr.position().byte() as usize).min(data.len());
                let raw = trim_line_ends(&data[start.min(end)..end]);
                // A line end inside a field: a quoted line break (also one
                // left open at the end of the block).
                line_break |= rec
                    .iter()
                    .any(|f| memchr::memchr2(b'\n', b'\r', f).is_some());
                let fields: Vec<&[u8]> = rec.iter().collect();
                each(line, &fields, raw);
            }
            // A byte slice has no I/O errors and byte records no UTF-8 checks:
            // what is left is shown as a row without fields (rejected).
            Err(_) => {
                each(0, &[], trim_line_ends(&data[before.min(data.len())..]));
                break;
            }
        }
    }
    (lines_in(data), line_break)
}

/// A record's text without the line ends (and blank lines) after it.
fn trim_line_ends(raw: &[u8]) -> &[u8] {
    let end = raw
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    &raw[..end]
}

/// The physical lines of a block (`\n`-ended; a last line without one counts).
fn lines_in(data: &[u8]) -> u64 {
    let ends = memchr::memchr_iter(b'\n', data).count() as u64;
    ends + u64::from(data.last().is_some_and(|b| *b != b'\n'))
}

/// The sex codes a row may use: the mapping's `[sex_values]` (`V = "female"`)
/// and the contract's own spellings.
pub(crate) fn sex_values(m: &Mapping) -> Vec<(Vec<u8>, Sex)> {
    let mut values: Vec<(Vec<u8>, Sex)> = m
        .sex_values
        .iter()
        .filter_map(|(k, v)| Some((k.as_bytes().to_vec(), Sex::parse(v)?)))
        .collect();
    for s in Sex::ALL {
        values.push((s.as_str().as_bytes().to_vec(), *s));
    }
    values
}

/// A sex code (any case); empty is not known. A code the mapping does not
/// know is an error, never silently "unknown" (B28).
pub(crate) fn sex_code(values: &[(Vec<u8>, Sex)], v: &[u8]) -> Result<Option<Sex>, String> {
    if v.is_empty() {
        return Ok(None);
    }
    values
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(v))
        .map(|(_, s)| Some(*s))
        .ok_or_else(|| {
            format!(
                "sex: '{}' is not a code the mapping knows (female, male, other, unknown, or add it under [sex_values])",
                String::from_utf8_lossy(v)
            )
        })
}

/// A pregnancy answer: yes (1, true, yes, y, ja, j) or no (0, false, no, n,
/// nee); empty is not known (read as not pregnant). Anything else is an
/// error, never silently "not pregnant" (M08: a column of F/M).
pub(crate) fn pregnant_code(v: &[u8]) -> Result<bool, String> {
    const YES: [&[u8]; 6] = [b"1", b"true", b"yes", b"y", b"ja", b"j"];
    const NO: [&[u8]; 6] = [b"0", b"false", b"no", b"n", b"nee", b""];
    if YES.iter().any(|y| y.eq_ignore_ascii_case(v)) {
        Ok(true)
    } else if NO.iter().any(|n| n.eq_ignore_ascii_case(v)) {
        Ok(false)
    } else {
        Err(format!(
            "pregnant: '{}' is not yes or no (1/0, true/false, yes/no, ja/nee)",
            String::from_utf8_lossy(v)
        ))
    }
}

/// How a file writes the decimal separator (B23, B65): the mapping's
/// `decimal`, or what the delimiter implies: a `,` file cannot write a
/// decimal comma unquoted, so it uses points; a `;` file is what Excel
/// writes where the decimal separator is a comma. Other delimiters: unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decimal {
    Point,
    Comma,
    Unknown,
}

impl Decimal {
    pub(crate) fn of(m: &Mapping, delim: u8) -> Decimal {
        match (m.decimal.as_deref(), delim) {
            (Some("."), _) => Decimal::Point,
            (Some(","), _) => Decimal::Comma,
            (_, b',') => Decimal::Point,
            (_, b';') => Decimal::Comma,
            _ => Decimal::Unknown,
        }
    }

    fn separator(self) -> Option<u8> {
        match self {
            Decimal::Point => Some(b'.'),
            Decimal::Comma => Some(b','),
            Decimal::Unknown => None,
        }
    }
}

/// Why a field is not a number.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum BadNumber {
    NotANumber(String),
    /// "1.234": 1.234 or 1234; the file does not say which.
    Ambiguous(String),
    /// A separator used against the file's locale ("1,234.5" in a decimal-comma file).
    AgainstLocale(String),
}

impl std::fmt::Display for BadNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadNumber::NotANumber(t) => write!(f, "'{t}' is not a number"),
            BadNumber::Ambiguous(t) => write!(
                f,
                "'{t}' is ambiguous: a decimal or a thousands separator? Set decimal = \".\" or \",\" in the mapping"
            ),
            BadNumber::AgainstLocale(t) => {
                write!(f, "'{t}' does not match the file's decimal separator")
            }
        }
    }
}

/// A number, or `None` for an empty field, in a file that writes decimal
/// points (a decimal comma that cannot be a thousands group is read too).
#[inline]
pub(crate) fn number(text: &[u8]) -> Result<Option<f64>, String> {
    number_in(text, Decimal::Point).map_err(|e| match e {
        BadNumber::NotANumber(t) | BadNumber::Ambiguous(t) | BadNumber::AgainstLocale(t) => t,
    })
}

/// A number written in the file's locale; `None` for an empty field.
#[inline(always)]
pub(crate) fn number_in(text: &[u8], decimal: Decimal) -> Result<Option<f64>, BadNumber> {
    if text.is_empty() {
        return Ok(None);
    }
    match plain_decimal(text) {
        // "1.234" in a file that is not known to write points: see `localized`.
        Some(v) if decimal == Decimal::Point || !thousands_group(text, b'.') => Ok(Some(v)),
        _ => localized(text, decimal).map(Some),
    }
}

/// `d{1,3}(<sep>ddd)+` without a leading zero: what a thousands separator
/// writes, and so what a decimal separator followed by three digits looks like.
fn thousands_group(text: &[u8], sep: u8) -> bool {
    let mut groups = text.split(|b| *b == sep);
    let first = groups.next().unwrap_or_default();
    let mut rest = groups.peekable();
    rest.peek().is_some()
        && (1..=3).contains(&first.len())
        && first[0] != b'0'
        && first.iter().all(u8::is_ascii_digit)
        && rest.all(|g| g.len() == 3 && g.iter().all(u8::is_ascii_digit))
}

/// What `plain_decimal` leaves: signs, exponents, separators by locale.
#[cold]
fn localized(text: &[u8], decimal: Decimal) -> Result<f64, BadNumber> {
    let s = std::str::from_utf8(text)
        .map_err(|_| BadNumber::NotANumber(String::from_utf8_lossy(text).into_owned()))?;
    let bad = || BadNumber::NotANumber(s.to_owned());
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    let bytes = digits.as_bytes();
    let (dots, commas) = (
        bytes.iter().filter(|b| **b == b'.').count(),
        bytes.iter().filter(|b| **b == b',').count(),
    );
    let plain = |t: &str| t.parse::<f64>().ok().filter(|v| v.is_finite());
    let value = match (dots, commas) {
        (0, 0) => plain(digits).ok_or_else(bad)?,
        // One kind of separator.
        (n, 0) | (0, n) => {
            let sep = if dots > 0 { b'.' } else { b',' };
            let group = thousands_group(bytes, sep);
            match (group, decimal.separator()) {
                // Several separators, or one the locale says groups thousands.
                (true, Some(d)) if d != sep => {
                    plain(&digits.replace(sep as char, "")).ok_or_else(bad)?
                }
                (true, None) if n > 1 => plain(&digits.replace(sep as char, "")).ok_or_else(bad)?,
                (true, None) => return Err(BadNumber::Ambiguous(s.to_owned())),
                // A decimal separator (also one that cannot group thousands).
                _ if n == 1 => plain(&digits.replace(',', ".")).ok_or_else(bad)?,
                _ => return Err(bad()),
            }
        }
        // Both: the last is the decimal separator, the other groups thousands.
        _ => {
            let last = bytes
                .iter()
                .rposition(|b| *b == b'.' || *b == b',')
                .unwrap_or(0);
            let (point, group) = if bytes[last] == b'.' {
                (b'.', b',')
            } else {
                (b',', b'.')
            };
            if decimal.separator().is_some_and(|d| d != point) {
                return Err(BadNumber::AgainstLocale(s.to_owned()));
            }
            if !thousands_group(&bytes[..last], group) {
                return Err(bad());
            }
            let whole: String = digits[..last]
                .chars()
                .filter(|c| c.is_ascii_digit())
                .collect();
            plain(&format!("{whole}.{}", &digits[last + 1..])).ok_or_else(bad)?
        }
    };
    Ok(sign * value)
}

/// The common case of lab exports, `123` or `12.5`: at most 15 digits, so the
/// integer and the power of ten are exact and one division rounds correctly
/// (the classic fast path of decimal parsing). Anything else returns `None`.
#[inline]
fn plain_decimal(text: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    // Fifteen bytes hold at most fifteen digits.
    if text.len() > 15 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut dot = None;
    for (i, &b) in text.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            mantissa = mantissa * 10 + u64::from(digit);
        } else if b == b'.' && dot.is_none() {
            dot = Some(i);
        } else {
            return None;
        }
    }
    // Below 10^15: exact as i64, whose conversion is one instruction.
    let mantissa = mantissa as i64 as f64;
    match dot {
        None => Some(mantissa),
        // "." alone has no digits.
        Some(_) if text.len() == 1 => None,
        Some(at) => Some(mantissa / POW10[text.len() - 1 - at]),
    }
}

#[cfg(test)]
mod tests {
    use super::number;
    use proptest::prelude::*;

    proptest! {
        /// The fast path agrees with the standard library on every decimal it takes.
        #[test]
        fn numbers_parse_as_the_standard_library_does(text in "[0-9]{0,17}(\\.[0-9]{0,17})?") {
            let expected = if text.is_empty() { None } else { text.parse::<f64>().ok() };
            prop_assert_eq!(number(text.as_bytes()).ok().flatten(), expected);
        }

        #[test]
        fn any_text_is_a_number_or_an_error_never_a_panic(text in "\\PC{0,20}") {
            let _ = number(text.as_bytes());
        }
    }

    /// The records of `data` as the `csv` crate reads the whole input.
    fn csv_records(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        rdr.byte_records()
            .map_while(Result::ok)
            .map(|r| r.iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'a'),
                Just(b','),
                Just(b'"'),
                Just(b'\n'),
                Just(b'\r'),
                Just(b' '),
                any::<u8>()
            ],
            0..300,
        )
    }

    proptest! {
        /// B03, issue 17: on any bytes, the stream cutter (after whole
        /// records) and the splitter (vector or `csv` crate per block) give
        /// the records the `csv` crate reads from the whole input.
        #[test]
        fn cut_and_split_read_any_bytes_as_the_csv_crate(data in bytes(), block in 1usize..64) {
            let mut got: Vec<Vec<Vec<u8>>> = Vec::new();
            let mut push = |b: &[u8]| {
                super::records(b, b',', 4, |_, f, _| got.push(f.iter().map(|x| x.to_vec()).collect()));
            };
            let (mut carry, mut pos) = (Vec::new(), 0);
            loop {
                let mut b = std::mem::take(&mut carry);
                let end = (pos + block).min(data.len());
                b.extend_from_slice(&data[pos..end]);
                pos = end;
                if pos == data.len() {
                    push(&b);
                    break;
                }
                match crate::split::last_record_end(&b, b',') {
                    Some(cut) => {
                        carry = b.split_off(cut);
                        push(&b);
                    }
                    None => carry = b,
                }
            }
            prop_assert_eq!(got, csv_records(&data));
        }

        /// Blocks cut at every line end (the workers' byte ranges) read any
        /// bytes as the `csv` crate does, unless a block says a record held a
        /// line break (then the export is read again, cut after records).
        #[test]
        fn line_end_blocks_are_right_or_say_so(data in bytes(), lines_per_block in 1usize..6) {
            let mut got: Vec<Vec<Vec<u8>>> = Vec::new();
            let mut any_break = false;
            let mut rest = &data[..];
            while !rest.is_empty() {
                let cut = memchr::memchr_iter(b'\n', rest)
                    .nth(lines_per_block - 1)
                    .map_or(rest.len(), |at| at + 1);
                let (lines, line_break) = super::records(&rest[..cut], b',', 4, |_, f, _| {
                    got.push(f.iter().map(|x| x.to_vec()).collect())
                });
                let _ = lines;
                any_break |= line_break;
                rest = &rest[cut..];
            }
            if !any_break {
                prop_assert_eq!(got, csv_records(&data));
            }
        }
    }

    /// B23, B65: separators by the file's locale; what the locale cannot
    /// settle is rejected, never guessed.
    #[test]
    fn numbers_follow_the_files_decimal_separator() {
        use super::{BadNumber::*, Decimal::*, number_in};
        type Case = (
            &'static str,
            super::Decimal,
            Result<Option<f64>, super::BadNumber>,
        );
        let cases: [Case; 14] = [
            ("1.234", Comma, Ok(Some(1234.0))),
            ("1.234", Point, Ok(Some(1.234))),
            ("1.234", Unknown, Err(Ambiguous("1.234".into()))),
            ("1,234", Point, Ok(Some(1234.0))),
            ("1,234", Comma, Ok(Some(1.234))),
            ("1,234", Unknown, Err(Ambiguous("1,234".into()))),
            ("1.234,5", Comma, Ok(Some(1234.5))),
            ("1.234,5", Unknown, Ok(Some(1234.5))),
            ("1,234.5", Comma, Err(AgainstLocale("1,234.5".into()))),
            ("1.234.567", Unknown, Ok(Some(1234567.0))),
            ("0.234", Comma, Ok(Some(0.234))),
            ("474,0", Point, Ok(Some(474.0))),
            ("12,5", Unknown, Ok(Some(12.5))),
            ("-1.234", Comma, Ok(Some(-1234.0))),
        ];
        for (text, decimal, want) in cases {
            assert_eq!(
                number_in(text.as_bytes(), decimal),
                want,
                "{text} {decimal:?}"
            );
        }
    }

    #[test]
    fn decimal_commas_signs_and_exponents_take_the_slow_path() {
        assert_eq!(number(b"12,5"), Ok(Some(12.5)));
        assert_eq!(number(b"-3"), Ok(Some(-3.0)));
        assert_eq!(number(b"1e2"), Ok(Some(100.0)));
        assert_eq!(number(b"."), Err(".".into()));
        assert_eq!(number(b"inf"), Err("inf".into()));
        assert_eq!(number(b""), Ok(None));
    }
}
