//! Compiled predicates: the `when` tables of the files with every identifier
//! resolved to an index.

use kobalt_contract::{
    B12Category, Course, Diet, QualitativeResult, Route, Severity, Sex, TreatmentResponse,
};

use crate::model::AnalyteId;

/// A course filter: a course, or "the symptom is present but its course was not given".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CourseFilter {
    Is(Course),
    Unknown,
}

#[derive(Clone, Debug)]
pub enum Pred {
    All(Vec<Pred>),
    Any(Vec<Pred>),
    Finding(usize),
    Symptom {
        ids: Vec<u16>,
        course: Option<Vec<CourseFilter>>,
        severity: Option<Vec<Severity>>,
        min_weeks: Option<f64>,
    },
    Absent(u16),
    NonePresent(Vec<u16>),
    Diet(Vec<Diet>),
    SupplementAny {
        ids: Vec<u16>,
        min_daily_mg: Option<f64>,
    },
    SupplementNone(Vec<u16>),
    Medication {
        ids: Vec<u16>,
        long_term: bool,
    },
    Condition(Vec<u16>),
    Procedure(Vec<u16>),
    Exposure(Vec<u16>),
    AgeMin(f64),
    AgeMax(f64),
    Sex(Vec<Sex>),
    Pregnant(bool),
    Breastfeeding(bool),
    LabBand {
        analyte: AnalyteId,
        bands: Vec<String>,
    },
    LabResult {
        analyte: AnalyteId,
        results: Vec<QualitativeResult>,
    },
    Tested(AnalyteId),
    Untested(AnalyteId),
    B12Status(Vec<B12Category>),
    LeadingCause(Vec<usize>),
    LeadingCauseNot(Vec<usize>),
    NoClearCause,
    TreatmentRoute(Vec<Route>),
    /// `None` in the list matches a treatment whose response was not given.
    TreatmentResponse(Vec<Option<TreatmentResponse>>),
    TreatmentJudgeable(bool),
    UnknownCounts(Box<Pred>),
}

impl Pred {
    /// Visits this predicate and every predicate inside it.
    pub fn visit(&self, f: &mut impl FnMut(&Pred)) {
        f(self);
        match self {
            Pred::All(items) | Pred::Any(items) => items.iter().for_each(|p| p.visit(f)),
            Pred::UnknownCounts(inner) => inner.visit(f),
            _ => {}
        }
    }
}
