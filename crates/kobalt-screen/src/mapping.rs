//! Which columns of an export are which analyte, unit and patient field
//! (TOML). A built-in mapping reads the benchmark export of shared/bench.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ScreenError;

/// The benchmark export's mapping, used when no `--mapping` is given.
pub const BUILTIN: &str = include_str!("../mappings/bench.toml");

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One row per patient.
    #[default]
    Wide,
    /// One row per observation: pivoted per patient.
    Long,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabColumn {
    pub analyte: String,
    pub value: String,
    /// A column holding each row's unit, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_column: Option<String>,
    /// one unit for the whole column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// Long format: the columns of an observation row.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LongColumns {
    pub code: String,
    pub value: String,
    pub unit: String,
    #[serde(default)]
    pub date: Option<String>,
    /// The date column's format (`%d-%m-%Y`, `%d/%m/%Y %H:%M`; `%z` for an
    /// offset), when it is not ISO 8601 (`2024-01-05`, `2024-01-05T09:00+01:00`).
    #[serde(default)]
    pub date_format: Option<String>,
    /// Codes (LOINC or local) that name each analyte; LOINC codes of the
    /// knowledge base are known without being listed.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub format: Format,
    /// The field delimiter; sniffed from the header row when absent.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// The decimal separator of the file's numbers, `"."` or `","`; when
    /// absent, a `,` file writes points and a `;` file commas (otherwise a
    /// value such as "1.234" that could be either is rejected).
    #[serde(default)]
    pub decimal: Option<String>,
    pub patient_id: String,
    #[serde(default)]
    pub age: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    /// Codes of the sex column: `F = "female"`.
    #[serde(default)]
    pub sex_values: BTreeMap<String, String>,
    #[serde(default)]
    pub pregnant: Option<String>,
    #[serde(default)]
    pub metformin_years: Option<String>,
    #[serde(default)]
    pub acid_suppressant_years: Option<String>,
    #[serde(default)]
    pub lab: Vec<LabColumn>,
    #[serde(default)]
    pub long: Option<LongColumns>,
    /// Long format: only results this many days before the newest one count.
    #[serde(default)]
    pub window_days: Option<u32>,
}

impl Mapping {
    pub fn parse(text: &str) -> Result<Mapping, ScreenError> {
        // The whole message: where the mistake is (line, column, the line itself), then what.
        let m: Mapping = toml::from_str(text).map_err(|e| ScreenError::Mapping(e.to_string()))?;
        m.checked()
    }

    /// The same mapping as JSON (the Python package passes a dict).
    pub fn from_json(text: &str) -> Result<Mapping, ScreenError> {
        let m: Mapping =
            serde_json::from_str(text).map_err(|e| ScreenError::Mapping(e.to_string()))?;
        m.checked()
    }

    /// What TOML's types cannot say: each analyte once, one unit source per lab, a known sex
    /// code, a long table for the long format, one-byte delimiters.
    fn checked(self) -> Result<Mapping, ScreenError> {
        let m = self;
        for (i, lab) in m.lab.iter().enumerate() {
            // Two columns for one analyte: which one holds it? The later one
            // would silently win in every row that has both.
            if let Some(first) = m.lab[..i].iter().find(|l| l.analyte == lab.analyte) {
                return Err(ScreenError::Mapping(format!(
                    "lab {} is mapped twice (columns '{}' and '{}'): map each analyte once",
                    lab.analyte, first.value, lab.value
                )));
            }
            if lab.unit.is_none() == lab.unit_column.is_none() {
                return Err(ScreenError::Mapping(format!(
                    "lab {}: give either unit or unit_column",
                    lab.analyte
                )));
            }
        }
        for (code, sex) in &m.sex_values {
            if kobalt_contract::Sex::parse(sex).is_none() {
                return Err(ScreenError::Mapping(format!(
                    "sex_values.{code}: '{sex}' is not female, male, other or unknown"
                )));
            }
        }
        if m.format == Format::Long && m.long.is_none() {
            return Err(ScreenError::Mapping(
                "format = \"long\" needs a [long] table (code, value, unit)".into(),
            ));
        }
        if let Some(d) = m.decimal.as_deref()
            && d != "."
            && d != ","
        {
            return Err(ScreenError::Mapping(format!(
                "decimal must be \".\" or \",\", not {d:?}"
            )));
        }
        if let Some(d) = &m.delimiter
            && d.len() != 1
        {
            return Err(ScreenError::Mapping(format!(
                "delimiter must be one byte, not {d:?}"
            )));
        }
        Ok(m)
    }

    pub fn builtin() -> Mapping {
        // The built-in mapping is tested to parse; fall back to an empty one if it ever does not.
        Mapping::parse(BUILTIN).unwrap_or(Mapping {
            format: Format::Wide,
            delimiter: None,
            decimal: None,
            patient_id: "patient_id".into(),
            age: None,
            sex: None,
            sex_values: BTreeMap::new(),
            pregnant: None,
            metformin_years: None,
            acid_suppressant_years: None,
            lab: Vec::new(),
            long: None,
            window_days: None,
        })
    }
}
