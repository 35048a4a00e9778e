//! Kobalt on the OMOP Common Data Model (issue 18): one SQL query that gives a
//! row per person (age, sex, years on metformin and acid blockers, the latest
//! result of each screening analyte within a window), the mapping that
//! screens those rows, and (feature `postgres`) a reader of the rows as Arrow
//! record batches and a writer of the flags back into the database.
//!
//! No concept id is written here. The LOINC codes of the analytes come from
//! the knowledge base (analytes.toml) and the RxNorm ingredient codes from
//! fhir.toml, each with its source; the query finds their concept ids in the
//! CDM's own CONCEPT table (a CDM loaded with the OHDSI Athena vocabularies
//! has them) and the drugs through CONCEPT_ANCESTOR. Units are the UCUM codes
//! of the unit concepts. The query is standard SQL that DuckDB and PostgreSQL
//! both run; the Python package (`kobalt.omop`) runs the same text.

use std::collections::BTreeMap;

use kobalt_kb::Knowledge;
use kobalt_screen::mapping::LabColumn;
use kobalt_screen::{Format, Mapping, SCREENING_ANALYTES};

#[cfg(feature = "postgres")]
pub mod postgres;

/// RxNorm, as fhir.toml names it.
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

/// The medications whose years of use screening reads, with the column each fills.
pub const MEDICATIONS: [(&str, &str); 2] = [
    ("metformin", "metformin_years"),
    ("proton_pump_inhibitor", "acid_years"),
];

/// The codes a CDM is read by, from the knowledge base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codes {
    /// Each screening analyte (in `SCREENING_ANALYTES` order) and its LOINC codes.
    pub analytes: Vec<(String, Vec<String>)>,
    /// Each medication of `MEDICATIONS` and its RxNorm ingredient codes.
    pub medications: Vec<(String, Vec<String>)>,
}

impl Codes {
    pub fn of(kb: &Knowledge) -> Codes {
        let analytes = SCREENING_ANALYTES
            .iter()
            .filter_map(|id| {
                let a = &kb.analytes[kb.analyte(id)? as usize];
                Some(((*id).to_owned(), a.loinc.clone()))
            })
            .collect();
        let medications = MEDICATIONS
            .iter()
            .map(|(id, _)| {
                let codes = kb
                    .fhir
                    .medications
                    .iter()
                    .filter(|r| r.id == *id && r.system == RXNORM)
                    .map(|r| r.code.clone())
                    .collect();
                ((*id).to_owned(), codes)
            })
            .collect();
        Codes {
            analytes,
            medications,
        }
    }
}

/// A text as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The query: one row per person of PERSON, ordered by person_id, with the
/// columns `schema` names. Only results taken in the `window_days` up to and
/// including `as_of` count, the latest per analyte (on one day, the highest
/// measurement_id); drug years run from the first exposure to the end of
/// the last one, up to `as_of`. Every table is read once: no subquery per
/// person.
pub fn query(kb: &Knowledge, as_of: jiff::civil::Date, window_days: u32) -> String {
    let codes = Codes::of(kb);
    let pairs = |list: &[(String, Vec<String>)]| {
        list.iter()
            .flat_map(|(id, codes)| {
                codes
                    .iter()
                    .map(move |c| format!("({}, {})", literal(id), literal(c)))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let day = format!("DATE {}", literal(&as_of.to_string()));
    let labs = codes
        .analytes
        .iter()
        .map(|(a, _)| {
            let a_lit = literal(a);
            format!(
                "  CAST(max(CASE WHEN l.analyte = {a_lit} THEN l.value END) AS FLOAT8) AS {a}_value,\n  \
                 max(CASE WHEN l.analyte = {a_lit} THEN l.unit END) AS {a}_unit"
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    // Years per medication, as columns of one row per person: joined, not a
    // subquery per person (PostgreSQL runs a correlated subquery once per row).
    let drug_years = MEDICATIONS
        .iter()
        .map(|(id, column)| {
            let when = format!("CASE WHEN medication = {} THEN", literal(id));
            format!(
                "    CAST((max({when} last_day END) - min({when} first_day END)) / 365.25 AS FLOAT8) AS {column}"
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    let drugs = MEDICATIONS
        .iter()
        .map(|(_, column)| format!("  max(dy.{column}) AS {column}"))
        .collect::<Vec<_>>()
        .join(",\n");
    format!(
        "
WITH lab_codes(analyte, loinc) AS (VALUES {lab_rows}),
drug_codes(medication, rxnorm) AS (VALUES {drug_rows}),
results AS (
  SELECT m.person_id, c.analyte, m.value_as_number AS value, u.concept_code AS unit,
         row_number() OVER (PARTITION BY m.person_id, c.analyte
                            ORDER BY m.measurement_date DESC, m.measurement_id DESC) AS newest
  FROM measurement m
  JOIN concept lc ON lc.concept_id = m.measurement_concept_id AND lc.vocabulary_id = 'LOINC'
  JOIN lab_codes c ON c.loinc = lc.concept_code
  LEFT JOIN concept u ON u.concept_id = m.unit_concept_id
  WHERE m.value_as_number IS NOT NULL
    AND m.measurement_date <= {day}
    AND m.measurement_date > {day} - INTERVAL '{window_days} days'
),
l AS (SELECT * FROM results WHERE newest = 1),
drugs AS (
  SELECT de.person_id, d.medication,
         min(de.drug_exposure_start_date) AS first_day,
         max(coalesce(de.drug_exposure_end_date, de.drug_exposure_start_date)) AS last_day
  FROM drug_exposure de
  JOIN concept_ancestor ca ON ca.descendant_concept_id = de.drug_concept_id
  JOIN concept ic ON ic.concept_id = ca.ancestor_concept_id AND ic.vocabulary_id = 'RxNorm'
  JOIN drug_codes d ON d.rxnorm = ic.concept_code
  WHERE de.drug_exposure_start_date <= {day}
  GROUP BY de.person_id, d.medication
),
dy AS (
  SELECT person_id,
{drug_years}
  FROM drugs
  GROUP BY person_id
)
SELECT CAST(p.person_id AS VARCHAR) AS patient_id,
  CAST(EXTRACT(YEAR FROM {day}) - p.year_of_birth AS FLOAT8) AS age,
  g.concept_code AS sex,
{drugs},
{labs}
FROM person p
LEFT JOIN concept g ON g.concept_id = p.gender_concept_id AND g.vocabulary_id = 'Gender'
LEFT JOIN l ON l.person_id = p.person_id
LEFT JOIN dy ON dy.person_id = p.person_id
GROUP BY p.person_id, p.year_of_birth, g.concept_code
ORDER BY p.person_id
",
        lab_rows = pairs(&codes.analytes),
        drug_rows = pairs(&codes.medications),
    )
}

/// The query's columns, in order: `patient_id` and `sex` text, the others
/// numbers, `{analyte}_unit` text (a UCUM code).
pub fn schema() -> arrow_schema::Schema {
    use arrow_schema::{DataType, Field};
    let mut fields = vec![
        Field::new("patient_id", DataType::Utf8, false),
        Field::new("age", DataType::Float64, true),
        Field::new("sex", DataType::Utf8, true),
    ];
    for (_, column) in MEDICATIONS {
        fields.push(Field::new(column, DataType::Float64, true));
    }
    for a in SCREENING_ANALYTES {
        fields.push(Field::new(format!("{a}_value"), DataType::Float64, true));
        fields.push(Field::new(format!("{a}_unit"), DataType::Utf8, true));
    }
    arrow_schema::Schema::new(fields)
}

/// The mapping of the query's columns; OMOP's Gender concept codes are F and M.
pub fn mapping() -> Mapping {
    Mapping {
        format: Format::Wide,
        delimiter: None,
        decimal: None,
        patient_id: "patient_id".into(),
        age: Some("age".into()),
        sex: Some("sex".into()),
        sex_values: BTreeMap::from([
            ("F".to_owned(), "female".to_owned()),
            ("M".to_owned(), "male".to_owned()),
        ]),
        pregnant: None,
        metformin_years: Some(MEDICATIONS[0].1.into()),
        acid_suppressant_years: Some(MEDICATIONS[1].1.into()),
        lab: SCREENING_ANALYTES
            .iter()
            .map(|a| LabColumn {
                analyte: (*a).to_owned(),
                value: format!("{a}_value"),
                unit_column: Some(format!("{a}_unit")),
                unit: None,
            })
            .collect(),
        long: None,
        window_days: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> Knowledge {
        kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The analytes with LOINC codes in analytes.toml are read by them, and
    /// every medication by RxNorm codes: a CDM is not read with an empty list.
    /// Holotranscobalamin has no LOINC code there, so a CDM's holoTC results
    /// are not read (said in the README).
    #[test]
    fn every_analyte_with_a_loinc_code_and_every_medication_is_read() {
        let codes = Codes::of(&kb());
        let without: Vec<&str> = codes
            .analytes
            .iter()
            .filter(|(_, list)| list.is_empty())
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(without, ["holotranscobalamin"]);
        for (id, list) in &codes.medications {
            assert!(!list.is_empty(), "{id} has no codes");
        }
    }

    /// The mapping names exactly the schema's columns, and the schema is the
    /// query's select list.
    #[test]
    fn mapping_schema_and_query_agree() {
        let schema = schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let sql = query(&kb(), jiff::civil::date(2026, 12, 7), 730);
        for name in &names {
            assert!(sql.contains(&format!("AS {name}")), "{name} not selected");
        }
        let m = mapping();
        let mut mapped = vec![m.patient_id.clone()];
        mapped.extend(
            [m.age, m.sex, m.metformin_years, m.acid_suppressant_years]
                .into_iter()
                .flatten(),
        );
        for lab in &m.lab {
            mapped.push(lab.value.clone());
            mapped.extend(lab.unit_column.clone());
        }
        assert_eq!(mapped, names);
    }

    /// A quote in a code cannot end the literal.
    #[test]
    fn literals_escape_quotes() {
        assert_eq!(literal("it's"), "'it''s'");
    }
}
