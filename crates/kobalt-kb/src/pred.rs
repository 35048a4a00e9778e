//! Compiled predicates: the `when` tables of the files with every identifier
//! resolved to an index.

use kobalt_contract::{
    B12Category, Course, Diet, ExposurePattern, QualitativeResult, Route, Severity, Sex,
    TreatmentResponse,
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
    /// True when the inner predicate is false; unknown stays unknown.
    Not(Box<Pred>),
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
    /// An exposure, optionally with one of these patterns (a pattern not given is unknown).
    Exposure {
        ids: Vec<u16>,
        patterns: Option<Vec<ExposurePattern>>,
    },
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
    /// The analyte is among this assessment's next tests (known only after the tests stage;
    /// warnings may use it, findings may not).
    Offered(AnalyteId),
    /// Some next test is proposed (`true`), or none is (`false`); known only after the tests
    /// stage, like `Offered`.
    TestsOffered(bool),
    B12Status(Vec<B12Category>),
    LeadingCause(Vec<usize>),
    LeadingCauseNot(Vec<usize>),
    NoClearCause,
    TreatmentRoute(Vec<Route>),
    /// A regimen of this assessment's plan has one of these routes (known only after the treatment
    /// stage; advice, follow-up and warnings may use it, findings may not).
    PlannedRoute {
        routes: Vec<Route>,
        /// With `planned_min_dose_ug`: a daily regimen of at least this dose.
        min_dose_ug: Option<f64>,
    },
    /// `None` in the list matches a treatment whose response was not given.
    TreatmentResponse(Vec<Option<TreatmentResponse>>),
    TreatmentJudgeable(bool),
    /// The treatment has been under way at least this many weeks.
    TreatmentMinWeeks(f64),
    UnknownCounts(Box<Pred>),
}

impl Pred {
    /// Visits this predicate and every predicate inside it.
    pub fn visit(&self, f: &mut impl FnMut(&Pred)) {
        f(self);
        match self {
            Pred::All(items) | Pred::Any(items) => items.iter().for_each(|p| p.visit(f)),
            Pred::UnknownCounts(inner) | Pred::Not(inner) => inner.visit(f),
            _ => {}
        }
    }
}
