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

/// The years-of-use columns of the query and the medications (fhir.toml ids)
/// each counts: the acid blockers are the proton pump inhibitors and the H2
/// receptor antagonists, as the knowledge base groups them (kinetics.toml).
pub const MEDICATIONS: [(&str, &[&str]); 2] = [
    (METFORMIN_YEARS, &["metformin"]),
    (
        ACID_YEARS,
        &["proton_pump_inhibitor", "h2_receptor_antagonist"],
    ),
];

const METFORMIN_YEARS: &str = "metformin_years";
const ACID_YEARS: &str = "acid_years";

/// Days between two exposures of one medication that still make one period
/// of use: the persistence window of the OHDSI DRUG_ERA convention (derived,
/// not from a guideline). A period of use is current when it ends within this
/// many days before the day screened.
pub const PERSISTENCE_DAYS: u32 = 30;

/// The codes a CDM is read by, from the knowledge base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codes {
    /// Each screening analyte (in `SCREENING_ANALYTES` order) and its LOINC codes.
    pub analytes: Vec<(String, Vec<String>)>,
    /// Each years-of-use column of `MEDICATIONS` and the RxNorm ingredient
    /// codes of its medications.
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
            .map(|(column, ids)| {
                let codes = kb
                    .fhir
                    .medications
                    .iter()
                    .filter(|r| ids.contains(&r.id.as_str()) && r.system == RXNORM)
                    .map(|r| r.code.clone())
                    .collect();
                ((*column).to_owned(), codes)
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

/// `(a, b), ...` for every code of every entry.
fn pairs(list: &[(String, Vec<String>)]) -> String {
    list.iter()
        .flat_map(|(id, codes)| {
            codes
                .iter()
                .map(move |c| format!("({}, {})", literal(id), literal(c)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Three counts: the analytes' LOINC codes and the medications' RxNorm
/// ingredient codes in the CDM's CONCEPT table, and the CONCEPT_ANCESTOR rows
/// that lead a drug to those ingredients (drugs are found through them; the
/// rows that link an ingredient to itself lead nowhere). Read by
/// `vocabulary_verdict`.
pub fn vocabulary_query(kb: &Knowledge) -> String {
    let codes = Codes::of(kb);
    let listed = |list: &[(String, Vec<String>)]| {
        list.iter()
            .flat_map(|(_, codes)| codes.iter().map(|c| literal(c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (loinc, rxnorm) = (listed(&codes.analytes), listed(&codes.medications));
    format!(
        "SELECT (SELECT count(*) FROM concept WHERE vocabulary_id = 'LOINC' AND concept_code IN ({loinc})), \
         (SELECT count(*) FROM concept WHERE vocabulary_id = 'RxNorm' AND concept_code IN ({rxnorm})), \
         (SELECT count(*) FROM concept_ancestor ca JOIN concept ic ON ic.concept_id = ca.ancestor_concept_id \
          WHERE ic.vocabulary_id = 'RxNorm' AND ic.concept_code IN ({rxnorm}) \
            AND ca.descendant_concept_id <> ca.ancestor_concept_id)"
    )
}

/// What the counts of `vocabulary_query` mean. No LOINC code: the
/// vocabulary is empty or not where the query looks (the schema search
/// path), and every person would come out untested: an error. No RxNorm
/// ingredient, or nothing in CONCEPT_ANCESTOR that leads to one: years of
/// use are unknown for everyone: a warning.
pub fn vocabulary_verdict(
    loinc: i64,
    rxnorm: i64,
    ancestry: i64,
) -> Result<Option<&'static str>, &'static str> {
    match (loinc, rxnorm, ancestry) {
        (0, _, _) => Err(NO_VOCABULARY),
        (_, 0, _) => Ok(Some(NO_RXNORM)),
        (_, _, 0) => Ok(Some(NO_ANCESTRY)),
        _ => Ok(None),
    }
}

/// What to say when `vocabulary_query` counts no LOINC code.
pub const NO_VOCABULARY: &str = "the CDM's CONCEPT table has none of the LOINC codes of the screening \
     analytes: are the OHDSI vocabularies loaded, and is their schema on the search path \
     (PostgreSQL: options='-c search_path=cdm,vocab')?";

/// What to warn when `vocabulary_query` counts no RxNorm code.
pub const NO_RXNORM: &str = "the CDM's CONCEPT table has none of the RxNorm ingredient codes of \
     metformin and the acid blockers: years of use are unknown for everyone (is RxNorm loaded?)";

/// What to warn when nothing in CONCEPT_ANCESTOR leads to those ingredients.
pub const NO_ANCESTRY: &str = "the CDM's CONCEPT_ANCESTOR table links no drug to the RxNorm \
     ingredients of metformin and the acid blockers: years of use are unknown for everyone (is \
     CONCEPT_ANCESTOR loaded?)";

/// The query: one row per person of PERSON, ordered by person_id, with the
/// columns `schema` names. Every table is read once: no subquery per person.
/// - Results: those taken in the `window_days` up to and including `as_of`;
///   per analyte the newest (by date, then time, then measurement_id), also
///   when it has no number (a result kept only as text, "<111"): the analyte
///   is then unknown, and an older number is not used in its place.
/// - Age: in whole years on `as_of`, from the month and day of birth when the
///   CDM has them, else from the year.
/// - Years of use: of the period of use that is current on `as_of` (the last
///   exposure ended at most `PERSISTENCE_DAYS` before it; exposures less than
///   that apart make one period), counted up to `as_of`; an exposure without
///   an end date is taken as going on. Use that ended earlier counts for
///   nothing.
pub fn query(kb: &Knowledge, as_of: jiff::civil::Date, window_days: u32) -> String {
    let codes = Codes::of(kb);
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
    let drug_years = MEDICATIONS
        .iter()
        .map(|(column, _)| {
            format!(
                "    CAST(max(CASE WHEN medication = {} THEN {day} - first_day END) / 365.25 AS FLOAT8) AS {column}",
                literal(column)
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    let drugs = MEDICATIONS
        .iter()
        .map(|(column, _)| format!("  max(dy.{column}) AS {column}"))
        .collect::<Vec<_>>()
        .join(",\n");
    format!(
        "
WITH lab_codes(analyte, loinc) AS (VALUES {lab_rows}),
drug_codes(medication, rxnorm) AS (VALUES {drug_rows}),
results AS (
  SELECT m.person_id, c.analyte, m.value_as_number AS value, u.concept_code AS unit,
         row_number() OVER (PARTITION BY m.person_id, c.analyte
                            ORDER BY m.measurement_date DESC, m.measurement_datetime DESC NULLS LAST,
                                     m.measurement_id DESC) AS newest
  FROM measurement m
  JOIN concept lc ON lc.concept_id = m.measurement_concept_id AND lc.vocabulary_id = 'LOINC'
  JOIN lab_codes c ON c.loinc = lc.concept_code
  LEFT JOIN concept u ON u.concept_id = m.unit_concept_id
  WHERE m.measurement_date <= {day}
    AND m.measurement_date > {day} - INTERVAL '{window_days} days'
),
l AS (SELECT * FROM results WHERE newest = 1),
exposures AS (
  SELECT de.person_id, d.medication, de.drug_exposure_start_date AS start_day,
         coalesce(de.drug_exposure_end_date, {day}) AS stop_day
  FROM drug_exposure de
  JOIN concept_ancestor ca ON ca.descendant_concept_id = de.drug_concept_id
  JOIN concept ic ON ic.concept_id = ca.ancestor_concept_id AND ic.vocabulary_id = 'RxNorm'
  JOIN drug_codes d ON d.rxnorm = ic.concept_code
  WHERE de.drug_exposure_start_date <= {day}
),
ordered AS (
  SELECT person_id, medication, start_day, stop_day,
         max(stop_day) OVER (PARTITION BY person_id, medication ORDER BY start_day, stop_day
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS stop_before
  FROM exposures
),
periods AS (
  SELECT person_id, medication, start_day, stop_day,
         sum(CASE WHEN stop_before IS NULL OR start_day > stop_before + {persistence} THEN 1 ELSE 0 END)
           OVER (PARTITION BY person_id, medication ORDER BY start_day, stop_day
                 ROWS UNBOUNDED PRECEDING) AS period
  FROM ordered
),
current_use AS (
  SELECT person_id, medication, min(start_day) AS first_day
  FROM periods
  GROUP BY person_id, medication, period
  HAVING max(stop_day) >= {day} - {persistence}
),
dy AS (
  SELECT person_id,
{drug_years}
  FROM current_use
  GROUP BY person_id
)
SELECT CAST(p.person_id AS VARCHAR) AS patient_id,
  CAST(EXTRACT(YEAR FROM {day}) - p.year_of_birth
       - CASE WHEN p.month_of_birth IS NOT NULL AND p.day_of_birth IS NOT NULL
               AND (p.month_of_birth > EXTRACT(MONTH FROM {day})
                    OR (p.month_of_birth = EXTRACT(MONTH FROM {day})
                        AND p.day_of_birth > EXTRACT(DAY FROM {day})))
              THEN 1 ELSE 0 END AS FLOAT8) AS age,
  g.concept_code AS sex,
{drugs},
{labs}
FROM person p
LEFT JOIN concept g ON g.concept_id = p.gender_concept_id AND g.vocabulary_id = 'Gender'
LEFT JOIN l ON l.person_id = p.person_id
LEFT JOIN dy ON dy.person_id = p.person_id
GROUP BY p.person_id, p.year_of_birth, p.month_of_birth, p.day_of_birth, g.concept_code
ORDER BY p.person_id
",
        lab_rows = pairs(&codes.analytes),
        drug_rows = pairs(&codes.medications),
        persistence = PERSISTENCE_DAYS,
    )
}

/// A table name as SQL (quoted, in lower case as PostgreSQL folds it):
/// `name` or `schema.name`, each letters, digits and `_`, not starting with a digit.
pub fn table_name(name: &str) -> Option<String> {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(|c: char| c.is_ascii_digit())
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2 || !parts.iter().all(|p| part(p)) {
        return None;
    }
    Some(
        parts
            .iter()
            .map(|p| format!("\"{}\"", p.to_lowercase()))
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// The tables of the OMOP CDM v5.4 (clinical data, health system, derived
/// elements, vocabularies, results): a name Kobalt never writes under, in any
/// schema, so that a search path cannot point a write at the CDM.
pub const CDM_TABLES: [&str; 39] = [
    "person",
    "observation_period",
    "visit_occurrence",
    "visit_detail",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "device_exposure",
    "measurement",
    "observation",
    "death",
    "note",
    "note_nlp",
    "specimen",
    "fact_relationship",
    "location",
    "care_site",
    "provider",
    "payer_plan_period",
    "cost",
    "drug_era",
    "dose_era",
    "condition_era",
    "episode",
    "episode_event",
    "metadata",
    "cdm_source",
    "concept",
    "vocabulary",
    "domain",
    "concept_class",
    "concept_relationship",
    "relationship",
    "concept_synonym",
    "concept_ancestor",
    "source_to_concept_map",
    "drug_strength",
    "cohort",
    "cohort_definition",
];

/// Whether `name` (`table` or `schema.table`) names a CDM table.
pub fn cdm_table(name: &str) -> bool {
    let table = name.rsplit('.').next().unwrap_or(name);
    CDM_TABLES.iter().any(|t| t.eq_ignore_ascii_case(table))
}

/// The window of `kobalt screen --omop` and `kobalt.omop.screen` when none is given, in days.
pub const DEFAULT_WINDOW_DAYS: u32 = 730;

/// The longest window, in days (a century).
pub const MAX_WINDOW_DAYS: u32 = 36_525;

/// Whether a table with these columns is one Kobalt wrote (the CLI's output
/// columns, or the Python package's with `row` and `rejected` besides):
/// only such a table is replaced.
pub fn is_output_table(columns: &[String]) -> bool {
    kobalt_screen::OUTPUT_COLUMNS
        .iter()
        .all(|c| columns.iter().any(|have| have.eq_ignore_ascii_case(c)))
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
    for (column, _) in MEDICATIONS {
        fields.push(Field::new(column, DataType::Float64, true));
    }
    for a in SCREENING_ANALYTES {
        fields.push(Field::new(format!("{a}_value"), DataType::Float64, true));
        fields.push(Field::new(format!("{a}_unit"), DataType::Utf8, true));
    }
    arrow_schema::Schema::new(fields)
}

/// The mapping of the query's columns. OMOP's Gender concept codes: F, M, U
/// (unknown), O (other) and A (ambiguous, read as unknown).
pub fn mapping() -> Mapping {
    Mapping {
        format: Format::Wide,
        delimiter: None,
        decimal: None,
        patient_id: "patient_id".into(),
        age: Some("age".into()),
        sex: Some("sex".into()),
        sex_values: BTreeMap::from(
            [
                ("F", "female"),
                ("M", "male"),
                ("U", "unknown"),
                ("O", "other"),
                ("A", "unknown"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        ),
        pregnant: None,
        metformin_years: Some(METFORMIN_YEARS.into()),
        acid_suppressant_years: Some(ACID_YEARS.into()),
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

    /// No LOINC code refuses the CDM; no RxNorm ingredient, or no drug led
    /// to one, is said once, the missing vocabulary first.
    #[test]
    fn the_vocabulary_verdict_refuses_without_loinc_and_warns_without_drugs() {
        assert_eq!(vocabulary_verdict(0, 5, 9), Err(NO_VOCABULARY));
        assert_eq!(vocabulary_verdict(3, 0, 0), Ok(Some(NO_RXNORM)));
        assert_eq!(vocabulary_verdict(3, 5, 0), Ok(Some(NO_ANCESTRY)));
        assert_eq!(vocabulary_verdict(3, 5, 9), Ok(None));
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

    #[test]
    fn table_names_are_plain_identifiers() {
        assert_eq!(
            table_name("kobalt_flags").as_deref(),
            Some("\"kobalt_flags\"")
        );
        assert_eq!(
            table_name("results.Flags").as_deref(),
            Some("\"results\".\"flags\"")
        );
        for bad in [
            "",
            "a;drop table person",
            "a.b.c",
            "1abc",
            "a b",
            "a\"b",
            "flags-2026",
        ] {
            assert!(table_name(bad).is_none(), "{bad}");
        }
    }

    /// A CDM table is never taken for an output table, nor written in any schema.
    #[test]
    fn only_output_tables_are_replaced() {
        assert!(
            cdm_table("person") && cdm_table("vocab.CONCEPT") && !cdm_table("results.kobalt_flags")
        );
        let person: Vec<String> = ["person_id", "gender_concept_id", "year_of_birth"]
            .map(String::from)
            .to_vec();
        assert!(!is_output_table(&person));
        let ours: Vec<String> = kobalt_screen::OUTPUT_COLUMNS.map(String::from).to_vec();
        assert!(is_output_table(&ours));
    }

    /// A quote in a code cannot end the literal.
    #[test]
    fn literals_escape_quotes() {
        assert_eq!(literal("it's"), "'it''s'");
    }
}
