//! Three-valued evaluation of the knowledge base's predicates over a case:
//! true, false, or unknown (missing is never "no").

use kobalt_contract::{B12Category, ExposurePattern, Sex};
use kobalt_kb::{CourseFilter, Knowledge, Pred, Profile};

use crate::case::Case;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
    pub(crate) fn is_true(self) -> bool {
        self == Tri::True
    }
}

/// What the later stages have concluded, for predicates that look at it.
#[derive(Default)]
pub(crate) struct Derived {
    pub category: Option<B12Category>,
    /// The status outcome behind `category`.
    pub outcome: Option<kobalt_kb::StatusOutcome>,
    /// Cause indices, best first, with their scores.
    pub ranked_causes: Vec<(usize, i32)>,
    pub causes_known: bool,
    /// The analytes proposed as next tests (set by the tests stage).
    pub offered: Vec<kobalt_kb::AnalyteId>,
    /// The route and daily dose (µg; 0 for weekly or monthly regimens) of each
    /// planned regimen (set by the treatment stage).
    pub planned: Vec<(kobalt_contract::Route, f64)>,
}

pub(crate) struct Ctx<'a> {
    pub kb: &'a Knowledge,
    pub case: &'a Case,
    pub profile: &'a Profile,
    /// Band name per analyte for the measured quantitative labs.
    pub bands: Vec<Option<&'a kobalt_kb::Band>>,
    pub derived: Derived,
    cache: Vec<Option<Tri>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        kb: &'a Knowledge,
        case: &'a Case,
        profile: &'a Profile,
        bands: Vec<Option<&'a kobalt_kb::Band>>,
    ) -> Self {
        Ctx {
            kb,
            case,
            profile,
            bands,
            derived: Derived::default(),
            cache: vec![None; kb.findings.len()],
        }
    }

    pub(crate) fn finding(&mut self, idx: usize) -> Tri {
        if let Some(t) = self.cache[idx] {
            return t;
        }
        let kb = self.kb;
        let t = self.eval(&kb.findings[idx].when);
        self.cache[idx] = Some(t);
        t
    }

    pub(crate) fn holds(&mut self, pred: &Pred) -> bool {
        self.eval(pred).is_true()
    }

    pub(crate) fn eval(&mut self, pred: &Pred) -> Tri {
        let case = self.case;
        match pred {
            Pred::All(items) => {
                let mut out = Tri::True;
                for p in items {
                    match self.eval(p) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                out
            }
            Pred::Any(items) => {
                let mut out = Tri::False;
                for p in items {
                    match self.eval(p) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                out
            }
            Pred::Finding(idx) => self.finding(*idx),
            Pred::Not(inner) => match self.eval(inner) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            },
            Pred::UnknownCounts(inner) => match self.eval(inner) {
                Tri::Unknown => Tri::True,
                t => t,
            },
            Pred::Symptom {
                ids,
                course,
                severity,
                min_weeks,
            } => {
                let mut out = Tri::False;
                for id in ids {
                    let t = match case.symptoms[*id as usize] {
                        None => Tri::Unknown,
                        Some(s) if !s.present => Tri::False,
                        Some(s) => {
                            let course_ok = match course {
                                None => Tri::True,
                                Some(filters) => match s.course {
                                    None if filters.contains(&CourseFilter::Unknown) => Tri::True,
                                    None => Tri::Unknown,
                                    Some(c) => {
                                        Tri::from_bool(filters.contains(&CourseFilter::Is(c)))
                                    }
                                },
                            };
                            let severity_ok = match (severity, s.severity) {
                                (None, _) => Tri::True,
                                (Some(_), None) => Tri::Unknown,
                                (Some(list), Some(v)) => Tri::from_bool(list.contains(&v)),
                            };
                            let weeks_ok = match (min_weeks, s.weeks) {
                                (None, _) => Tri::True,
                                (Some(_), None) => Tri::Unknown,
                                (Some(m), Some(w)) => Tri::from_bool(w >= *m),
                            };
                            all3(course_ok, severity_ok, weeks_ok)
                        }
                    };
                    match t {
                        Tri::True => return Tri::True,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                out
            }
            Pred::Absent(id) => match case.symptoms[*id as usize] {
                None => Tri::Unknown,
                Some(s) => Tri::from_bool(!s.present),
            },
            Pred::NonePresent(ids) => {
                let facts: Vec<_> = ids
                    .iter()
                    .filter_map(|id| case.symptoms[*id as usize])
                    .collect();
                if facts.iter().any(|s| s.present) {
                    Tri::False
                } else if facts.is_empty() {
                    Tri::Unknown
                } else {
                    Tri::True
                }
            }
            Pred::Diet(diets) => match case.diet {
                None => Tri::Unknown,
                Some(d) => Tri::from_bool(diets.contains(&d)),
            },
            Pred::SupplementAny { ids, min_daily_mg } => match &case.supplements {
                None => Tri::Unknown,
                Some(list) => {
                    let mut out = Tri::False;
                    for s in list.iter().filter(|s| ids.contains(&s.id)) {
                        match (min_daily_mg, s.daily_mg) {
                            (None, _) => return Tri::True,
                            (Some(min), Some(d)) if d > *min => return Tri::True,
                            (Some(_), None) => out = Tri::Unknown,
                            _ => {}
                        }
                    }
                    out
                }
            },
            Pred::SupplementNone(ids) => match &case.supplements {
                None => Tri::Unknown,
                Some(list) => Tri::from_bool(!list.iter().any(|s| ids.contains(&s.id))),
            },
            Pred::Medication { ids, long_term } => match &case.medications {
                None => Tri::Unknown,
                Some(list) => {
                    let limit = self.kb.values.long_term_medication_years.value;
                    let mut out = Tri::False;
                    for m in list.iter().filter(|m| ids.contains(&m.id)) {
                        match (*long_term, m.years) {
                            (false, _) => return Tri::True,
                            (true, Some(y)) if y > limit => return Tri::True,
                            (true, None) => out = Tri::Unknown,
                            _ => {}
                        }
                    }
                    out
                }
            },
            Pred::Condition(ids) => member(&case.conditions, ids),
            Pred::Procedure(ids) => member(&case.procedures, ids),
            Pred::Exposure { ids, patterns } => match &case.exposures {
                None => Tri::Unknown,
                Some(list) => exposure(list, ids, patterns.as_deref()),
            },
            Pred::AgeMin(v) => Tri::from_bool(case.age_years >= *v),
            Pred::AgeMax(v) => Tri::from_bool(case.age_years < *v),
            Pred::Sex(list) => match case.sex {
                Sex::Unknown => Tri::Unknown,
                s => Tri::from_bool(list.contains(&s)),
            },
            Pred::Pregnant(want) => match case.pregnant {
                None => Tri::Unknown,
                Some(p) => Tri::from_bool(p == *want),
            },
            Pred::Breastfeeding(want) => match case.breastfeeding {
                None => Tri::Unknown,
                Some(p) => Tri::from_bool(p == *want),
            },
            Pred::LabBand { analyte, bands } => match self.bands[*analyte as usize] {
                None => Tri::Unknown,
                Some(b) => Tri::from_bool(bands.contains(&b.band)),
            },
            Pred::LabResult { analyte, results } => {
                match case.labs[*analyte as usize].as_ref().and_then(|l| l.result) {
                    None => Tri::Unknown,
                    Some(r) => Tri::from_bool(results.contains(&r)),
                }
            }
            Pred::Tested(a) => Tri::from_bool(case.labs[*a as usize].is_some()),
            Pred::Untested(a) => Tri::from_bool(case.labs[*a as usize].is_none()),
            Pred::Offered(a) => Tri::from_bool(self.derived.offered.contains(a)),
            Pred::TestsOffered(want) => Tri::from_bool(self.derived.offered.is_empty() != *want),
            Pred::B12Status(list) => match self.derived.category {
                None => Tri::Unknown,
                Some(c) => Tri::from_bool(list.contains(&c)),
            },
            Pred::LeadingCause(list) => match self.derived.ranked_causes.first() {
                None => Tri::from_bool(false),
                Some((c, _)) => Tri::from_bool(list.contains(c)),
            },
            Pred::LeadingCauseNot(list) => match self.derived.ranked_causes.first() {
                None => Tri::True,
                Some((c, _)) => Tri::from_bool(!list.contains(c)),
            },
            Pred::NoClearCause => {
                let clear = self.kb.values.clear_cause_score.value as i32;
                Tri::from_bool(!self.derived.ranked_causes.iter().any(|(_, s)| *s >= clear))
            }
            Pred::TreatmentRoute(routes) => match &case.treatment {
                None => Tri::False,
                Some(t) => Tri::from_bool(routes.contains(&t.route)),
            },
            Pred::PlannedRoute {
                routes,
                min_dose_ug,
            } => {
                Tri::from_bool(self.derived.planned.iter().any(|(r, dose)| {
                    routes.contains(r) && min_dose_ug.is_none_or(|min| *dose >= min)
                }))
            }
            Pred::TreatmentResponse(list) => match &case.treatment {
                None => Tri::False,
                Some(t) => Tri::from_bool(list.contains(&t.response)),
            },
            Pred::TreatmentMinWeeks(min) => match case.treatment.as_ref().and_then(|t| t.started) {
                None if case.treatment.is_none() => Tri::False,
                None => Tri::Unknown,
                Some(start) => {
                    Tri::from_bool(crate::weeks_between(start, case.evaluation_date) >= *min)
                }
            },
            Pred::TreatmentJudgeable(want) => match case.treatment.as_ref().and_then(|t| t.started)
            {
                None => Tri::Unknown,
                Some(start) => {
                    let weeks = crate::weeks_between(start, case.evaluation_date);
                    Tri::from_bool(
                        (weeks >= self.profile.review.judge_response_after_weeks) == *want,
                    )
                }
            },
        }
    }
}

fn all3(a: Tri, b: Tri, c: Tri) -> Tri {
    if a == Tri::False || b == Tri::False || c == Tri::False {
        Tri::False
    } else if a == Tri::Unknown || b == Tri::Unknown || c == Tri::Unknown {
        Tri::Unknown
    } else {
        Tri::True
    }
}

/// An exposure of these ids, with one of these patterns when patterns are asked for.
fn exposure(
    list: &[(u16, Option<ExposurePattern>)],
    ids: &[u16],
    patterns: Option<&[ExposurePattern]>,
) -> Tri {
    let mut out = Tri::False;
    for (_, pattern) in list.iter().filter(|(id, _)| ids.contains(id)) {
        match (patterns, pattern) {
            (None, _) => return Tri::True,
            (Some(want), Some(p)) if want.contains(p) => return Tri::True,
            (Some(_), None) => out = Tri::Unknown,
            _ => {}
        }
    }
    out
}

fn member(list: &Option<Vec<u16>>, ids: &[u16]) -> Tri {
    match list {
        None => Tri::Unknown,
        Some(l) => Tri::from_bool(l.iter().any(|x| ids.contains(x))),
    }
}

/// Whether the case is a child (finding `child`, known before any lab): the
/// profiles' limits, regimens, review intervals and the kinetics model are
/// adult ones (clinical review F03).
pub(crate) fn is_child(kb: &Knowledge, case: &Case) -> bool {
    Ctx::new(
        kb,
        case,
        kb.profile(case.guideline),
        vec![None; kb.analytes.len()],
    )
    .finding(kb.ids.child)
        == Tri::True
}
