//! Validation at the edge: a contract request becomes a [`Case`], with every
//! identifier resolved against the knowledge base and every lab value in its
//! canonical unit, or a contract error naming the field.

use jiff::civil::Date;
use kobalt_contract::{
    Audience, Comparator, ContractError, CourseOrNone, Diet, ErrorCode, ExposurePattern, Guideline,
    Language, Per, QualitativeResult, Request, Route, Severity, Sex, TreatmentResponse,
};
use kobalt_kb::{Knowledge, Plausible, Range};

/// A validated request. Lists are `None` when not known and `Some` (possibly
/// empty) when known.
#[derive(Clone, Debug)]
pub struct Case {
    pub evaluation_date: Date,
    pub guideline: Guideline,
    pub language: Language,
    pub audience: Audience,
    pub age_years: f64,
    pub sex: Sex,
    pub pregnant: Option<bool>,
    pub gestation_weeks: Option<f64>,
    pub breastfeeding: Option<bool>,
    pub diet: Option<Diet>,
    pub supplements: Option<Vec<SupplementFact>>,
    pub medications: Option<Vec<MedicationFact>>,
    pub conditions: Option<Vec<u16>>,
    pub procedures: Option<Vec<u16>>,
    pub exposures: Option<Vec<(u16, Option<ExposurePattern>)>>,
    /// Indexed by symptom; `None` = not reported.
    pub symptoms: Vec<Option<SymptomFact>>,
    /// Indexed by analyte; `None` = not measured.
    pub labs: Vec<Option<LabFact>>,
    pub treatment: Option<TreatmentFact>,
}

#[derive(Clone, Debug)]
pub struct SupplementFact {
    pub id: u16,
    pub daily_mg: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct MedicationFact {
    pub id: u16,
    pub years: Option<f64>,
}

#[derive(Clone, Copy, Debug)]
pub struct SymptomFact {
    pub present: bool,
    pub weeks: Option<f64>,
    pub course: CourseOrNone,
    pub severity: Option<Severity>,
}

#[derive(Clone, Debug)]
pub struct LabFact {
    /// In the analyte's canonical unit.
    pub value: Option<f64>,
    /// The value is only a bound ("<150 pg/mL"; interop.md B.2).
    pub comparator: Option<Comparator>,
    pub result: Option<QualitativeResult>,
    pub reported: Option<(f64, String)>,
    pub date: Option<Date>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
}

impl LabFact {
    /// The value as a number, for what computes with it (the body-store
    /// projection, the combined indicator); `None` for a bound (interop.md B.2).
    pub fn exact(&self) -> Option<f64> {
        self.value.filter(|_| self.comparator.is_none())
    }
}

#[derive(Clone, Debug)]
pub struct TreatmentFact {
    pub route: Route,
    /// Doses every `every` units of the request's `per` (1 when not given).
    pub every: f64,
    pub started: Option<Date>,
    pub response: Option<TreatmentResponse>,
}

/// For total and active B12: when the latest result is dated on or after the
/// start of the treatment under way and an earlier one before it, the latest
/// result before the treatment is the one that counts (G1: B12 during
/// treatment tells little; clinical review F06). Other analytes: the latest.
fn before_treatment_wins(
    kb: &Knowledge,
    mut labs: Vec<Option<LabFact>>,
    earlier: Vec<Vec<LabFact>>,
    treatment: Option<&TreatmentFact>,
) -> Vec<Option<LabFact>> {
    let Some(started) = treatment.and_then(|t| t.started) else {
        return labs;
    };
    for a in [kb.ids.b12_total, kb.ids.holotranscobalamin] {
        let a = a as usize;
        let on_treatment = labs[a]
            .as_ref()
            .is_some_and(|l| l.date.is_some_and(|d| d >= started));
        let before = earlier[a]
            .iter()
            .filter(|l| l.date.is_some_and(|d| d < started))
            .max_by_key(|l| l.date);
        if let (true, Some(before)) = (on_treatment, before) {
            labs[a] = Some(before.clone());
        }
    }
    labs
}

fn err(code: ErrorCode, message: impl Into<String>, path: impl Into<String>) -> ContractError {
    ContractError::new(code, message, path)
}

fn date(text: &str, path: &str) -> Result<Date, ContractError> {
    text.parse::<Date>().map_err(|_| {
        err(
            ErrorCode::InvalidDate,
            format!("'{text}' is not a date (YYYY-MM-DD)"),
            path,
        )
    })
}

fn non_negative(value: Option<f64>, path: &str) -> Result<Option<f64>, ContractError> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(err(
            ErrorCode::ImplausibleValue,
            format!("{v} is not a plausible value"),
            path,
        )),
        other => Ok(other),
    }
}

/// The plausibility policy of the knowledge base, applied to one person:
/// durations are also bounded by the person's life.
struct Plausibility {
    policy: Plausible,
    age_years: f64,
    /// The earliest day the person can have been born.
    born_after: Date,
}

impl Plausibility {
    fn new(kb: &Knowledge, age_years: f64, evaluation_date: Date) -> Self {
        // An age in whole years may be up to a year short of the real one.
        let years = age_years.ceil() as i64 + 1;
        let born_after = evaluation_date
            .checked_sub(jiff::Span::new().years(years))
            .unwrap_or(Date::MIN);
        Plausibility {
            policy: kb.plausible,
            age_years,
            born_after,
        }
    }

    fn check(
        &self,
        value: Option<f64>,
        range: Range,
        what: &str,
        path: &str,
    ) -> Result<Option<f64>, ContractError> {
        match value {
            Some(v) if !range.contains(v) => Err(err(
                ErrorCode::ImplausibleValue,
                format!(
                    "{what} {v} is not plausible (expected {} to {})",
                    range.min, range.max
                ),
                path,
            )),
            other => Ok(other),
        }
    }

    fn dose_ug(&self, value: Option<f64>, path: &str) -> Result<Option<f64>, ContractError> {
        self.check(value, self.policy.dose_ug, "a dose of µg", path)
    }

    fn dose_mg(&self, value: Option<f64>, path: &str) -> Result<Option<f64>, ContractError> {
        self.check(value, self.policy.dose_mg, "a dose of mg", path)
    }

    /// A duration in `unit`s (`per_year` of them a year): in range, and not longer than the person's life.
    fn duration(
        &self,
        value: Option<f64>,
        range: Range,
        unit: &str,
        per_year: f64,
        path: &str,
    ) -> Result<Option<f64>, ContractError> {
        let value = self.check(value, range, unit, path)?;
        match value {
            Some(v) if v > (self.age_years + 1.0) * per_year => Err(err(
                ErrorCode::ImplausibleValue,
                format!(
                    "{v} {unit} is longer than the life of a person aged {}",
                    self.age_years
                ),
                path,
            )),
            other => Ok(other),
        }
    }

    fn weeks(&self, value: Option<f64>, path: &str) -> Result<Option<f64>, ContractError> {
        self.duration(value, self.policy.weeks, "weeks", 365.25 / 7.0, path)
    }

    fn years(&self, value: Option<f64>, path: &str) -> Result<Option<f64>, ContractError> {
        self.duration(value, self.policy.years, "years", 1.0, path)
    }

    /// A date of something that happened to the person: not before their birth.
    fn since_birth(
        &self,
        date: Option<Date>,
        what: &str,
        path: &str,
    ) -> Result<Option<Date>, ContractError> {
        match date {
            Some(d) if d < self.born_after => Err(err(
                ErrorCode::InvalidDate,
                format!(
                    "{what} {d} is before the person was born (aged {})",
                    self.age_years
                ),
                path,
            )),
            other => Ok(other),
        }
    }
}

/// The evaluation date: from `evaluation_year_min` on, and at most a year after `today`.
fn evaluation_date(kb: &Knowledge, text: Option<&str>, today: Date) -> Result<Date, ContractError> {
    let Some(text) = text else { return Ok(today) };
    let path = "/evaluation_date";
    let d = date(text, path)?;
    let latest = today
        .checked_add(jiff::Span::new().years(1))
        .unwrap_or(Date::MAX);
    if d.year() < kb.plausible.evaluation_year_min {
        return Err(err(
            ErrorCode::InvalidDate,
            format!(
                "evaluation date {text} is before {}",
                kb.plausible.evaluation_year_min
            ),
            path,
        ));
    }
    if d > latest {
        return Err(err(
            ErrorCode::InvalidDate,
            format!("evaluation date {text} is more than a year after today ({today})"),
            path,
        ));
    }
    Ok(d)
}

fn lookup(
    vocab: &kobalt_kb::Vocabulary,
    kind: &str,
    id: &str,
    path: String,
) -> Result<u16, ContractError> {
    vocab.get(id).ok_or_else(|| {
        err(
            ErrorCode::UnknownIdentifier,
            format!("unknown {kind} '{id}'"),
            path,
        )
    })
}

/// Validates a request. `today` is the evaluation date when the request gives none.
pub fn validate(kb: &Knowledge, request: &Request, today: Date) -> Result<Case, ContractError> {
    let evaluation_date = evaluation_date(kb, request.evaluation_date.as_deref(), today)?;
    let person = &request.person;
    let age = person.age_years;
    if !kb.plausible.age_years.contains(age) {
        return Err(err(
            ErrorCode::ImplausibleValue,
            format!("age {age} is not plausible"),
            "/person/age_years",
        ));
    }
    let plausible = Plausibility::new(kb, age, evaluation_date);
    let sex = person.sex.unwrap_or(Sex::Unknown);
    for (state, given, field) in [
        ("pregnant", person.pregnant, "pregnant"),
        ("breastfeeding", person.breastfeeding, "breastfeeding"),
    ] {
        if sex == Sex::Male && given == Some(true) {
            return Err(err(
                ErrorCode::ConflictingValues,
                format!("a person of male sex is marked {state}"),
                format!("/person/{field}"),
            ));
        }
    }
    if person.gestation_weeks.is_some() && person.pregnant != Some(true) {
        return Err(err(
            ErrorCode::ConflictingValues,
            "gestation_weeks is given for a person not marked pregnant (`pregnant: true`)",
            "/person/gestation_weeks",
        ));
    }
    let gestation_weeks = plausible.check(
        person.gestation_weeks,
        kb.plausible.gestation_weeks,
        "weeks of pregnancy",
        "/person/gestation_weeks",
    )?;
    let pregnant = if sex == Sex::Male {
        Some(false)
    } else {
        person.pregnant
    };
    let diet = request.diet.filter(|d| *d != Diet::Unknown);

    let supplements = match &request.supplements {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, s)| {
                    let id = lookup(
                        &kb.supplements,
                        "supplement",
                        &s.id,
                        format!("/supplements/{i}/id"),
                    )?;
                    plausible.dose_mg(s.dose_mg, &format!("/supplements/{i}/dose_mg"))?;
                    plausible.dose_ug(s.dose_ug, &format!("/supplements/{i}/dose_ug"))?;
                    plausible.weeks(s.weeks, &format!("/supplements/{i}/weeks"))?;
                    let per_days = s.per.unwrap_or(Per::Day).days();
                    let mg = s.dose_mg.or(s.dose_ug.map(|ug| ug / 1000.0));
                    Ok(SupplementFact {
                        id,
                        daily_mg: mg.map(|m| m / per_days),
                    })
                })
                .collect::<Result<Vec<_>, ContractError>>()?,
        ),
    };
    let medications = match &request.medications {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, m)| {
                    let id = lookup(
                        &kb.medications,
                        "medication",
                        &m.id,
                        format!("/medications/{i}/id"),
                    )?;
                    let years = plausible.years(m.years, &format!("/medications/{i}/years"))?;
                    plausible.check(
                        m.dose_mg_per_day,
                        kb.plausible.dose_mg_per_day,
                        "a daily dose of mg",
                        &format!("/medications/{i}/dose_mg_per_day"),
                    )?;
                    Ok(MedicationFact { id, years })
                })
                .collect::<Result<Vec<_>, ContractError>>()?,
        ),
    };
    let conditions = match &request.conditions {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, c)| {
                    lookup(
                        &kb.conditions,
                        "condition",
                        &c.id,
                        format!("/conditions/{i}/id"),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let procedures = match &request.procedures {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, p)| {
                    plausible.years(p.years_ago, &format!("/procedures/{i}/years_ago"))?;
                    lookup(
                        &kb.procedures,
                        "procedure",
                        &p.id,
                        format!("/procedures/{i}/id"),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let exposures = match &request.exposures {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, e)| {
                    Ok((
                        lookup(
                            &kb.exposures,
                            "exposure",
                            &e.id,
                            format!("/exposures/{i}/id"),
                        )?,
                        e.pattern,
                    ))
                })
                .collect::<Result<Vec<_>, ContractError>>()?,
        ),
    };

    let mut symptoms: Vec<Option<SymptomFact>> = vec![None; kb.symptoms.len()];
    for (i, s) in request.symptoms.iter().flatten().enumerate() {
        let id = lookup(&kb.symptoms, "symptom", &s.id, format!("/symptoms/{i}/id"))?;
        let weeks = plausible.weeks(s.weeks, &format!("/symptoms/{i}/weeks"))?;
        let fact = SymptomFact {
            present: s.present,
            weeks,
            course: s.course,
            severity: s.severity,
        };
        if let Some(previous) = symptoms[id as usize]
            && previous.present != fact.present
        {
            return Err(err(
                ErrorCode::ConflictingValues,
                format!("symptom '{}' is given as both present and absent", s.id),
                format!("/symptoms/{i}/present"),
            ));
        }
        symptoms[id as usize] = Some(fact);
    }

    let mut labs: Vec<Option<LabFact>> = vec![None; kb.analytes.len()];
    // The latest B12 result dated before each later one, kept in case a treatment started in
    // between: a result on treatment is not interpretable, the one before it is (F06).
    let mut earlier: Vec<Vec<LabFact>> = vec![Vec::new(); kb.analytes.len()];
    for (i, lab) in request.labs.iter().flatten().enumerate() {
        let path = |field: &str| format!("/labs/{i}/{field}");
        let by_name = match &lab.analyte {
            Some(a) => Some(kb.analyte(a).ok_or_else(|| {
                err(
                    ErrorCode::UnknownIdentifier,
                    format!("unknown analyte '{a}'"),
                    path("analyte"),
                )
            })?),
            None => None,
        };
        let by_loinc = match &lab.loinc {
            Some(code) => Some(kb.loinc_index.get(code).copied().ok_or_else(|| {
                err(
                    ErrorCode::UnknownIdentifier,
                    format!("LOINC code '{code}' is not one Kobalt reads"),
                    path("loinc"),
                )
            })?),
            None => None,
        };
        let idx = match (by_name, by_loinc) {
            (Some(a), Some(b)) if a != b => {
                return Err(err(
                    ErrorCode::ConflictingValues,
                    format!(
                        "LOINC code is for {}, not {}",
                        kb.analytes[b as usize].id, kb.analytes[a as usize].id
                    ),
                    path("loinc"),
                ));
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => {
                return Err(err(
                    ErrorCode::MissingField,
                    "a lab needs `analyte` or `loinc`",
                    path("analyte"),
                ));
            }
        };
        let analyte = &kb.analytes[idx as usize];
        let lab_date = lab
            .date
            .as_deref()
            .map(|d| date(d, &path("date")))
            .transpose()?;
        let lab_date = plausible.since_birth(lab_date, "the lab date", &path("date"))?;
        if lab_date.is_some_and(|d| d > evaluation_date) {
            return Err(err(
                ErrorCode::InvalidDate,
                "the lab date is after the evaluation date",
                path("date"),
            ));
        }
        if lab.comparator.is_some() && lab.value.is_none() {
            return Err(err(
                ErrorCode::InvalidValue,
                "a comparator bounds a `value`; a lab without one cannot have it",
                path("comparator"),
            ));
        }
        let (value, reported, reference_low, reference_high) = match lab.value {
            None => {
                if lab.result.is_none() {
                    return Err(err(
                        ErrorCode::MissingField,
                        "a lab needs `value` with `unit`, or `result`",
                        path("value"),
                    ));
                }
                if !analyte.qualitative {
                    return Err(err(
                        ErrorCode::InvalidValue,
                        format!(
                            "{} is reported as a value with a unit, not as a result",
                            analyte.id
                        ),
                        path("result"),
                    ));
                }
                (None, None, None, None)
            }
            Some(v) => {
                if !analyte.quantitative() {
                    return Err(err(
                        ErrorCode::InvalidValue,
                        format!(
                            "{} is reported as positive, negative or equivocal (`result`)",
                            analyte.id
                        ),
                        path("value"),
                    ));
                }
                let Some(unit) = &lab.unit else {
                    return Err(err(
                        ErrorCode::MissingField,
                        "a lab value needs its unit",
                        path("unit"),
                    ));
                };
                let Some(factor) = analyte.factor(unit) else {
                    return Err(err(
                        ErrorCode::InvalidUnit,
                        format!(
                            "unit '{unit}' is not a unit Kobalt accepts for {} (accepted: {})",
                            analyte.id,
                            analyte.accepted_units().join(", ")
                        ),
                        path("unit"),
                    ));
                };
                let canonical = v * factor;
                let (min, max) = analyte.plausible.unwrap_or((0.0, f64::MAX));
                if !v.is_finite() || v < 0.0 || canonical < min || canonical > max {
                    return Err(err(
                        ErrorCode::ImplausibleValue,
                        format!("{v} {unit} is not a plausible {} value", analyte.id),
                        path("value"),
                    ));
                }
                let low =
                    non_negative(lab.reference_low, &path("reference_low"))?.map(|r| r * factor);
                let high =
                    non_negative(lab.reference_high, &path("reference_high"))?.map(|r| r * factor);
                if let (Some(low), Some(high)) = (low, high)
                    && low > high
                {
                    return Err(err(
                        ErrorCode::ConflictingValues,
                        "the lab's reference_low is above its reference_high",
                        path("reference_low"),
                    ));
                }
                (Some(canonical), Some((v, unit.clone())), low, high)
            }
        };
        let fact = LabFact {
            value,
            comparator: lab.comparator,
            result: lab.result,
            reported,
            date: lab_date,
            reference_low,
            reference_high,
        };
        match &labs[idx as usize] {
            // Two results of one analyte: the later one counts; two on the same (or no) date must agree.
            Some(prev)
                if prev.date == fact.date
                    && (prev.value != fact.value
                        || prev.comparator != fact.comparator
                        || prev.result != fact.result) =>
            {
                return Err(err(
                    ErrorCode::ConflictingValues,
                    format!("two different {} results for the same date", analyte.id),
                    path("value"),
                ));
            }
            Some(prev) if prev.date > fact.date => earlier[idx as usize].push(fact),
            _ => {
                if let Some(prev) = labs[idx as usize].take() {
                    earlier[idx as usize].push(prev);
                }
                labs[idx as usize] = Some(fact);
            }
        }
    }

    let treatment = match &request.treatment {
        None => None,
        Some(t) => {
            let started = t
                .started
                .as_deref()
                .map(|d| date(d, "/treatment/started"))
                .transpose()?;
            let started =
                plausible.since_birth(started, "the treatment start", "/treatment/started")?;
            if started.is_some_and(|d| d > evaluation_date) {
                return Err(err(
                    ErrorCode::InvalidDate,
                    "treatment starts after the evaluation date",
                    "/treatment/started",
                ));
            }
            plausible.dose_ug(t.dose_ug, "/treatment/dose_ug")?;
            let every = plausible.check(
                t.every,
                kb.plausible.every,
                "an interval of",
                "/treatment/every",
            )?;
            Some(TreatmentFact {
                route: t.route,
                every: every.unwrap_or(1.0),
                started,
                response: t.response,
            })
        }
    };

    Ok(Case {
        evaluation_date,
        guideline: request.guideline.unwrap_or(Guideline::DEFAULT),
        language: request.language.unwrap_or(Language::DEFAULT),
        audience: request.audience.unwrap_or(Audience::DEFAULT),
        age_years: age,
        sex,
        pregnant,
        gestation_weeks,
        breastfeeding: person.breastfeeding,
        diet,
        supplements,
        medications,
        conditions,
        procedures,
        exposures,
        symptoms,
        labs: before_treatment_wins(kb, labs, earlier, treatment.as_ref()),
        treatment,
    })
}
