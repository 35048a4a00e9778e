//! The validated, compiled knowledge base. Immutable once built; every id has
//! been resolved to an index and every text to its four variants.

use std::collections::{BTreeMap, HashMap};

use kobalt_contract::{
    Audience, B12Category, CauseId, Comparator, DifferentialId, FollowUpDecision, Guideline,
    Language, Phase, Route, Specialty, TriageLevel,
};

pub use crate::pred::{CourseFilter, Pred};
pub use crate::schema::{Region, Status};

/// A text in both languages and for both audiences.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text([String; 4]);

impl Text {
    pub(crate) fn new(
        en_patient: String,
        en_clinician: String,
        nl_patient: String,
        nl_clinician: String,
    ) -> Self {
        Text([en_patient, en_clinician, nl_patient, nl_clinician])
    }

    pub fn get(&self, language: Language, audience: Audience) -> &str {
        let lang = match language {
            Language::En => 0,
            Language::Nl => 2,
        };
        let aud = match audience {
            Audience::Patient => 0,
            Audience::Clinician => 1,
        };
        &self.0[lang + aud]
    }
}

/// Fills the `{$name}` variables a catalogue text keeps (see `text.rs`).
/// The message id of the treatment heading of a report: a treatment under
/// way (the request gave one, so the follow-up has a decision) is not "no
/// treatment needed" (re-audit of issue 14, probe P52: a person on lifelong
/// injections read "No treatment needed yet").
pub fn treatment_heading(a: &kobalt_contract::Assessment) -> &'static str {
    if a.follow_up.decision.is_some() {
        "report-treatment-under-way"
    } else if a.treatment.recommended {
        "report-treatment-recommended"
    } else {
        "report-treatment-not-recommended"
    }
}

pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{${name}}}"), value)
        })
}

/// What every rule carries: its id, its sources and claims, its status and its text.
#[derive(Clone, Debug)]
pub struct Meta {
    pub id: String,
    pub sources: Vec<String>,
    pub claims: Vec<String>,
    pub status: Status,
    pub derived: bool,
    pub text: Text,
}

impl Meta {
    pub fn unverified(&self) -> bool {
        self.status == Status::Unverified
    }
}

#[derive(Clone, Debug)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub year: Option<u16>,
    pub url: Option<String>,
    pub kind: String,
    pub region: Region,
    /// `Unverified` for a source a clinician would not accept as it stands.
    pub status: Status,
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Claim {
    pub id: String,
    pub category: String,
    pub encode: String,
    pub claim: String,
    pub overruled_by: Vec<String>,
    pub note: Option<String>,
    /// The knowledge items (rule ids, limits, regimens, terms) that cite it.
    pub cited_by: Vec<String>,
}

/// One vocabulary (symptoms, conditions, ...): ids by index, names, groups.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    pub ids: Vec<String>,
    pub names: Vec<Text>,
    pub claims: Vec<Vec<String>>,
    pub index: HashMap<String, u16>,
    pub groups: BTreeMap<String, Vec<u16>>,
}

impl Vocabulary {
    pub fn get(&self, id: &str) -> Option<u16> {
        self.index.get(id).copied()
    }
    pub fn in_group(&self, idx: u16, group: &str) -> bool {
        self.groups.get(group).is_some_and(|g| g.contains(&idx))
    }
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

pub type AnalyteId = u16;

#[derive(Clone, Debug)]
pub struct Analyte {
    pub id: String,
    pub name: Text,
    pub loinc: Vec<String>,
    pub loinc_unverified: Vec<String>,
    pub canonical_unit: Option<String>,
    /// Normalised unit spelling → factor into the canonical unit.
    pub units: Vec<(String, String, f64)>,
    pub plausible: Option<(f64, f64)>,
    /// Above this (canonical unit) the questionnaire queries the unit: a data
    /// check for typing mistakes, not a clinical limit.
    pub query_above: Option<f64>,
    pub qualitative: bool,
    pub conversion_unverified: bool,
    /// Normal range depends on age: the profiles' (adult) limits are not
    /// applied to children, except a severe low.
    pub age_dependent: bool,
}

impl Analyte {
    pub fn quantitative(&self) -> bool {
        self.canonical_unit.is_some()
    }

    /// The factor that turns a value in `unit` (any accepted spelling) into the canonical unit.
    pub fn factor(&self, unit: &str) -> Option<f64> {
        let norm = kobalt_units::normalize(unit);
        self.units
            .iter()
            .find(|(n, _, _)| *n == norm)
            .map(|(_, _, f)| *f)
    }

    pub fn accepted_units(&self) -> Vec<&str> {
        self.units
            .iter()
            .map(|(_, shown, _)| shown.as_str())
            .collect()
    }
}

#[derive(Clone, Debug)]
pub struct Band {
    pub band: String,
    /// What the name means to the status logic (`None`: a name it does not read).
    pub kind: Option<BandKind>,
    pub from: Option<f64>,
    pub to: Option<f64>,
    pub to_inclusive: bool,
    pub limit: Option<String>,
    pub status: Status,
    pub sources: Vec<String>,
}

/// Decision limits of one analyte in one profile (for one sex).
#[derive(Clone, Debug)]
pub struct Limits {
    pub analyte: AnalyteId,
    pub rule_id: String,
    pub bands: Vec<Band>,
    /// `10^decimals` of the limits as written, when written in the canonical
    /// unit; values are rounded to it before they are placed in a band.
    pub precision: Option<f64>,
    pub sources: Vec<String>,
    pub status: Status,
}

impl Limits {
    /// The band a canonical value falls in. Bands are contiguous, so one always matches.
    pub fn band_of(&self, value: f64) -> &Band {
        &self.bands[self.band_index(value)]
    }

    /// The position in `bands` of the band a canonical value falls in. The
    /// value is first rounded to the precision the limits are written with
    /// when they are written in the canonical unit (a limit of 148 pmol/L has
    /// no decimals, so 200 pg/mL = 147.56 pmol/L counts as 148; clinical
    /// review F17).
    ///
    /// Bands are contiguous and their upper limits ascend (checked at load),
    /// so the band is the number of upper limits the value is past: counted
    /// without a branch per band, since values in a lab export fall on either
    /// side of a limit at random (a mispredicted branch each time).
    #[inline]
    pub fn band_index(&self, value: f64) -> usize {
        let value = self.rounded(value);
        if value.is_nan() {
            return self.bands.len() - 1;
        }
        let past: usize = self
            .bands
            .iter()
            .filter_map(|b| b.to.map(|to| (to, b.to_inclusive)))
            .map(|(to, inclusive)| usize::from((value > to) | (!inclusive & (value == to))))
            .sum();
        // Never past the last band, even for limits not checked at load.
        past.min(self.bands.len() - 1)
    }

    /// The bands a result reported only as a bound ("<150 pg/mL") can lie in,
    /// lowest first: one band when the bound settles every limit, several when
    /// it does not (interop.md B.2). The bound is read in the precision of the
    /// limits, like a value; the interval is then exact: "<148" lies wholly
    /// below a limit of 148, "<=148" does not.
    pub fn bands_within(&self, comparator: Comparator, bound: f64) -> &[Band] {
        let bound = self.rounded(bound);
        let last = self.bands.len() - 1;
        let (first, end) = match comparator {
            // Values just below the bound lie in the first band reaching up to it.
            Comparator::Below => (0, self.position(|to, _| bound <= to)),
            Comparator::AtMost => (0, self.band_index(bound)),
            // Values just above the bound lie in the first band reaching beyond it.
            Comparator::Above => (self.position(|to, _| bound < to), last),
            Comparator::AtLeast => (self.band_index(bound), last),
        };
        &self.bands[first..=end.max(first)]
    }

    #[inline]
    fn rounded(&self, value: f64) -> f64 {
        self.precision
            .map_or(value, |scale| round_half_away(value * scale) / scale)
    }

    /// The first band whose upper limit (`to`, whether it is inclusive) passes
    /// `reaches`; the last band has no upper limit. Bands are contiguous.
    fn position(&self, reaches: impl Fn(f64, bool) -> bool) -> usize {
        self.bands
            .iter()
            .position(|b| b.to.is_none_or(|to| reaches(to, b.to_inclusive)))
            .unwrap_or(self.bands.len() - 1)
    }

    pub fn named_limits(&self) -> BTreeMap<String, f64> {
        self.bands
            .iter()
            .filter_map(|b| Some((b.limit.clone()?, b.from?)))
            .collect()
    }
}

/// `x.round()` without the call to libm's `round` (x86-64 has no rounding
/// instruction before SSE4.1): screening rounds every value it places in a
/// band. Exact for |x| < 2^52, where adding 0.5 and truncating is exact
/// except at x = 0.5 - 2^-54 (which `round` takes to 0 as well, handled).
#[inline]
fn round_half_away(x: f64) -> f64 {
    if x.is_nan() || x.abs() >= 4_503_599_627_370_496.0 {
        return x.round();
    }
    let t = (x.abs() + 0.5).trunc_fast();
    let t = if t - x.abs() > 0.5 { t - 1.0 } else { t };
    t.copysign(x)
}

/// Truncation by a cast (one instruction) for values that fit an `i64`.
trait TruncFast {
    fn trunc_fast(self) -> f64;
}

impl TruncFast for f64 {
    #[inline]
    fn trunc_fast(self) -> f64 {
        self as i64 as f64
    }
}

/// The decimals of a limit as written (its shortest round-trip spelling).
pub(crate) fn decimals_of(v: f64) -> usize {
    let text = format!("{v}");
    text.split_once('.').map_or(0, |(_, d)| d.len())
}

/// Limits for an analyte, possibly by sex.
#[derive(Clone, Debug)]
pub enum LimitsBySex {
    Any(Limits),
    BySex {
        female: Limits,
        male: Limits,
        unknown_as_male: bool,
    },
}

impl LimitsBySex {
    pub fn for_sex(&self, sex: kobalt_contract::Sex) -> (&Limits, bool) {
        use kobalt_contract::Sex;
        match self {
            LimitsBySex::Any(l) => (l, false),
            LimitsBySex::BySex {
                female,
                male,
                unknown_as_male,
            } => match sex {
                Sex::Female => (female, false),
                Sex::Male => (male, false),
                Sex::Other | Sex::Unknown => (if *unknown_as_male { male } else { female }, true),
            },
        }
    }
}

#[derive(Clone, Debug)]
pub struct Regimen {
    pub meta: Meta,
    pub substance: String,
    pub route: Route,
    pub dose_ug: f64,
    pub dose_ug_max: Option<f64>,
    pub times: f64,
    pub every: f64,
    pub every_max: Option<f64>,
    pub per: String,
    pub doses: Option<u32>,
    pub phase: Phase,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanPurpose {
    Deficiency,
    Trial,
    Prevention,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub meta: Meta,
    pub purpose: PlanPurpose,
    pub when: Option<Pred>,
    pub regimens: Vec<usize>,
    /// For children (under 16, finding `child`); adult plans never apply to them.
    pub children: bool,
}

#[derive(Clone, Debug)]
pub struct Review {
    pub weeks: f64,
    pub weeks_pregnant: f64,
    pub judge_response_after_weeks: f64,
    pub meta: Meta,
}

#[derive(Clone, Debug)]
pub struct Profile {
    pub guideline: Guideline,
    /// Indexed by analyte; `None` where neither the profile nor the common file sets limits.
    pub limits: Vec<Option<LimitsBySex>>,
    pub review: Review,
    pub regimens: Vec<Regimen>,
    pub plans: Vec<Plan>,
    /// Haemoglobin limits in pregnancy; `None` when the profile sets none.
    pub pregnancy: Option<PregnancyLimits>,
}

/// Haemoglobin in pregnancy: limits per trimester (G19), where the profile has them.
#[derive(Clone, Debug)]
pub struct PregnancyLimits {
    /// The weeks at which the second and the third trimester start.
    pub trimester_starts: [f64; 2],
    pub haemoglobin: [Option<Limits>; 3],
}

impl PregnancyLimits {
    /// The haemoglobin limits for a week of pregnancy, if the profile has them.
    pub fn haemoglobin_at(&self, weeks: f64) -> Option<&Limits> {
        let trimester = self
            .trimester_starts
            .iter()
            .filter(|s| weeks >= **s)
            .count();
        self.haemoglobin[trimester].as_ref()
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub id: String,
    pub when: Pred,
    pub text: Text,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub meta: Meta,
    pub when: Pred,
    pub profiles: Vec<Guideline>,
}

impl Rule {
    pub fn applies_to(&self, guideline: Guideline) -> bool {
        self.profiles.is_empty() || self.profiles.contains(&guideline)
    }
}

#[derive(Clone, Debug)]
pub struct TriageRule {
    pub rule: Rule,
    pub level: TriageLevel,
    /// The symptoms the rule depends on, directly or through findings: while
    /// the rule is undecided, these are the questions still to ask.
    pub symptoms: Vec<u16>,
}

#[derive(Clone, Debug)]
pub struct Closing {
    pub meta: Meta,
    pub level: TriageLevel,
}

#[derive(Clone, Debug)]
pub struct Evidence {
    pub finding: usize,
    pub weight: i32,
}

/// A cause or a differential condition: scored evidence. `Id` is the
/// contract's identifier (`CauseId` or `DifferentialId`), resolved at load.
#[derive(Clone, Debug)]
pub struct Scored<Id> {
    pub id: Id,
    pub meta: Meta,
    pub name: Text,
    /// The necessary condition (positive evidence, checked at load).
    pub requires: Pred,
    pub tests: Vec<AnalyteId>,
    pub supporting: Vec<Evidence>,
    pub against: Vec<Evidence>,
}

#[derive(Clone, Debug)]
pub struct TestRule {
    pub rule: Rule,
    pub analytes: Vec<AnalyteId>,
}

#[derive(Clone, Debug)]
pub struct LifelongRule {
    pub rule: Rule,
    pub value: bool,
}

#[derive(Clone, Debug)]
pub struct DecisionRule {
    pub rule: Rule,
    pub decision: FollowUpDecision,
}

/// rules/referral.toml: who should see the person, and how soon.
#[derive(Clone, Debug)]
pub struct ReferralRule {
    pub rule: Rule,
    pub specialty: Specialty,
    pub urgency: TriageLevel,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub meta: Meta,
    pub category: B12Category,
}

#[derive(Clone, Debug)]
pub struct CombinedIndicatorParams {
    pub meta: Meta,
    pub age_constant: f64,
    pub age_scale: f64,
    pub age_exponent: f64,
    pub bands: Vec<Band>,
    pub band_names: BTreeMap<String, Text>,
}

#[derive(Clone, Debug)]
pub struct ConfiguredValue {
    pub id: String,
    pub value: f64,
    pub status: Status,
    pub sources: Vec<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Values {
    pub long_term_medication_years: ConfiguredValue,
    pub b6_upper_level_mg_per_day: ConfiguredValue,
    pub clear_cause_score: ConfiguredValue,
}

/// An inclusive range of plausible values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    /// True for a finite value within the range.
    pub fn contains(self, value: f64) -> bool {
        value.is_finite() && value >= self.min && value <= self.max
    }
}

/// What counts as a plausible number in a request (manifest.toml `[plausible]`):
/// one policy for every input path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plausible {
    pub age_years: Range,
    pub gestation_weeks: Range,
    pub weeks: Range,
    pub years: Range,
    pub dose_ug: Range,
    pub dose_mg: Range,
    pub dose_mg_per_day: Range,
    pub every: Range,
    pub evaluation_year_min: i16,
}

#[derive(Clone, Debug)]
pub struct Recommend {
    pub deficient: Meta,
    /// Autoimmune gastritis established: treat whatever the B12 level (BSH-2014).
    pub autoimmune_gastritis: Meta,
    pub trial_in_grey_zone: Meta,
    /// The trial once MMA was measured and did not settle it.
    pub trial_after_mma: Meta,
    pub prevention: Meta,
}

impl Recommend {
    /// The rules, in declaration order.
    pub fn metas(&self) -> impl Iterator<Item = &Meta> {
        [
            &self.deficient,
            &self.autoimmune_gastritis,
            &self.trial_in_grey_zone,
            &self.trial_after_mma,
            &self.prevention,
        ]
        .into_iter()
    }

    /// Whether `rule` is one of them: the reason of a treatment plan's
    /// purpose (treat, trial, prevent), as opposed to lifelong or advice.
    pub fn is_recommendation(&self, rule: &str) -> bool {
        self.metas().any(|m| m.id == rule)
    }
}

/// The laboratory's own upper reference limit as the decision limit
/// (rules/status.toml `[lab_reference_range]`): for these analytes a value
/// above the request's `reference_high` is `raised`, otherwise `normal`.
#[derive(Clone, Debug)]
pub struct LabReferenceRange {
    pub meta: Meta,
    pub analytes: Vec<AnalyteId>,
    /// The two bands a value falls in (names and kinds only; the limit is the lab's).
    pub normal: Band,
    pub raised: Band,
}

/// The whole knowledge base.
#[derive(Clone, Debug)]
pub struct Knowledge {
    pub version: String,
    pub name: String,
    pub sha256: String,
    pub files: Vec<String>,
    pub sources: BTreeMap<String, Source>,
    pub claims: Vec<Claim>,
    pub symptoms: Vocabulary,
    pub conditions: Vocabulary,
    pub medications: Vocabulary,
    pub procedures: Vocabulary,
    pub exposures: Vocabulary,
    pub supplements: Vocabulary,
    pub analytes: Vec<Analyte>,
    pub analyte_index: HashMap<String, AnalyteId>,
    pub loinc_index: HashMap<String, AnalyteId>,
    pub profiles: Vec<Profile>,
    pub findings: Vec<Finding>,
    pub finding_index: HashMap<String, usize>,
    pub triage: Vec<TriageRule>,
    pub red_flags_not_asked: Closing,
    pub no_concern: Closing,
    pub causes: Vec<Scored<CauseId>>,
    pub differentials: Vec<Scored<DifferentialId>>,
    pub tests: Vec<TestRule>,
    pub differential_test_text: Text,
    pub recommend: Recommend,
    pub start_before_results: Vec<Rule>,
    pub lifelong: Vec<LifelongRule>,
    pub advice: Vec<Rule>,
    pub warnings: Vec<Rule>,
    pub unverified_warning: Meta,
    pub decisions: Vec<DecisionRule>,
    /// In file order; every rule that holds gives a referral.
    pub referrals: Vec<ReferralRule>,
    pub checks: Vec<Rule>,
    /// Indexed by `StatusOutcome`.
    pub outcomes: Vec<Outcome>,
    pub lab_reference_range: LabReferenceRange,
    /// The findings and analytes the engine names.
    pub ids: EngineIds,
    pub combined_indicator: CombinedIndicatorParams,
    pub values: Values,
    pub plausible: Plausible,
    /// FHIR code maps (fhir.toml).
    pub fhir: CodeMaps,
    /// The adaptive interview, in asking order (interview.toml).
    pub interview: Vec<Question>,
    /// Parameters of the body-store model (kinetics.toml).
    pub kinetics: kobalt_kinetics::ParamSet,
    /// Every message of the catalogue, for labels and names.
    pub messages: HashMap<String, Text>,
}

impl Knowledge {
    pub fn profile(&self, guideline: Guideline) -> &Profile {
        let idx = match guideline {
            Guideline::Nhg => 0,
            Guideline::Nice => 1,
        };
        &self.profiles[idx]
    }

    /// A named decision limit (`low`, `high`, ...) of a profile, in the
    /// analyte's canonical unit; for limits by sex, those for unknown sex.
    pub fn limit(&self, guideline: Guideline, analyte: &str, name: &str) -> Option<f64> {
        let limits = self
            .profile(guideline)
            .limits
            .get(self.analyte(analyte)? as usize)?;
        let limits = match limits.as_ref()? {
            LimitsBySex::Any(l) => l,
            LimitsBySex::BySex { male, .. } => male,
        };
        limits.named_limits().get(name).copied()
    }

    pub fn analyte(&self, id: &str) -> Option<AnalyteId> {
        self.analyte_index.get(id).copied()
    }

    /// A catalogue message; an id that is not in the catalogue comes back as itself.
    pub fn message<'a>(&'a self, id: &'a str, language: Language, audience: Audience) -> &'a str {
        self.messages
            .get(id)
            .map_or(id, |t| t.get(language, audience))
    }

    /// The sources of a rule or value that may be cited under `guideline`
    /// (their region serves the profile), and whether there was one. With
    /// none, nothing is cited and the caller labels the rule unverified: under
    /// this profile it is Kobalt's own choice (profiles are not mixed;
    /// clinical review F13).
    pub fn sources_for(&self, sources: &[String], guideline: Guideline) -> (Vec<String>, bool) {
        let served: Vec<String> = sources
            .iter()
            .filter(|s| {
                self.sources
                    .get(*s)
                    .is_some_and(|s| s.region.serves(guideline))
            })
            .cloned()
            .collect();
        let any = !served.is_empty() || sources.is_empty();
        (served, any)
    }

    /// A status outcome's rule; the loader defines one for every `StatusOutcome`.
    pub fn outcome(&self, id: StatusOutcome) -> &Outcome {
        &self.outcomes[id as usize]
    }
}

kobalt_contract::closed_set!(
    /// The outcomes of rules/status.toml that the status logic returns; every
    /// one must be defined there, and nothing else may be.
    StatusOutcome {
        NotTested = "not_tested",
        NotTestedFunctionalOnly = "not_tested_functional_only",
        DeficientLowB12 = "deficient_low_b12",
        DeficientGreyZoneMmaRaised = "deficient_grey_zone_mma_raised",
        DeficientFunctionalMarkers = "deficient_functional_markers",
        DeficientFunctionalNitrousOxide = "deficient_functional_nitrous_oxide",
        IndeterminateGreyZone = "indeterminate_grey_zone",
        IndeterminateMarkersDisagree = "indeterminate_markers_disagree",
        IndeterminateMmaBorderline = "indeterminate_mma_borderline",
        IndeterminateIfabPositive = "indeterminate_ifab_positive",
        IndeterminateOnB12 = "indeterminate_on_b12",
        IndeterminatePregnancy = "indeterminate_pregnancy",
        IndeterminateNitrousOxide = "indeterminate_nitrous_oxide",
        IndeterminateRenalMma = "indeterminate_renal_mma",
        IndeterminateReportedAsBound = "indeterminate_reported_as_bound",
        UnlikelyNormalB12 = "unlikely_normal_b12",
        UnlikelyGreyZoneMmaNormal = "unlikely_grey_zone_mma_normal",
        UnlikelyFunctionalNormal = "unlikely_functional_normal",
    }
);

kobalt_contract::closed_set!(
    /// What the name of a band means to the status logic and screening. The
    /// bands of the markers the code reads (`EngineIds`) must all be one of
    /// these; other analytes may name their bands freely.
    BandKind {
        SevereLow = "severe_low",
        Low = "low",
        LowNormal = "low_normal",
        Normal = "normal",
        High = "high",
        Raised = "raised",
        Borderline = "borderline",
    }
);

impl BandKind {
    /// One of the bands below the normal range.
    pub fn is_low(self) -> bool {
        matches!(
            self,
            BandKind::SevereLow | BandKind::Low | BandKind::LowNormal
        )
    }
}

/// A finding, by its position in `Knowledge::findings`.
pub type FindingId = usize;

/// The findings and analytes the engine's code reads, resolved once at load:
/// a missing one is a load error naming file and key, never a silent `false`.
#[derive(Clone, Copy, Debug)]
pub struct EngineIds {
    pub any_b12_symptom: FindingId,
    pub nitrous_oxide_use: FindingId,
    pub pregnant: FindingId,
    pub kidney_disease: FindingId,
    pub ifab_positive: FindingId,
    pub on_b12_replacement: FindingId,
    pub presenting_complaint: FindingId,
    pub child: FindingId,
    pub plant_based_no_supplement: FindingId,
    pub autoimmune_gastritis_established: FindingId,
    pub b12_total: AnalyteId,
    pub holotranscobalamin: AnalyteId,
    pub mma: AnalyteId,
    pub homocysteine: AnalyteId,
    pub haemoglobin: AnalyteId,
    pub mcv: AnalyteId,
}

impl EngineIds {
    /// The analytes whose bands the status logic and screening read as `BandKind`s.
    pub fn banded_analytes(&self) -> [AnalyteId; 6] {
        [
            self.b12_total,
            self.holotranscobalamin,
            self.mma,
            self.homocysteine,
            self.haemoglobin,
            self.mcv,
        ]
    }
}

/// How a question is answered (see knowledge/interview.toml).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionKind {
    Number,
    Choice,
    YesNo,
    Symptoms,
    List,
    Years,
    Exposure,
    Course,
    Duration,
    Labs,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Number => "number",
            QuestionKind::Choice => "choice",
            QuestionKind::YesNo => "yes_no",
            QuestionKind::Symptoms => "symptoms",
            QuestionKind::List => "list",
            QuestionKind::Years => "years",
            QuestionKind::Exposure => "exposure",
            QuestionKind::Course => "course",
            QuestionKind::Duration => "duration",
            QuestionKind::Labs => "labs",
        }
    }

    fn parse(s: &str) -> Option<QuestionKind> {
        [
            QuestionKind::Number,
            QuestionKind::Choice,
            QuestionKind::YesNo,
            QuestionKind::Symptoms,
            QuestionKind::List,
            QuestionKind::Years,
            QuestionKind::Exposure,
            QuestionKind::Course,
            QuestionKind::Duration,
            QuestionKind::Labs,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

pub(crate) fn question_kind(s: &str) -> Option<QuestionKind> {
    QuestionKind::parse(s)
}

/// One question of the interview.
#[derive(Clone, Debug)]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    /// JSON pointer of the request field the answer goes to.
    pub field: String,
    /// Option values (symptom, medication, analyte ids, enum values), in
    /// asking order.
    pub options: Vec<String>,
    /// A list question's "another one, not listed" box, by its label
    /// (`option-other-{id}`); no identifier is sent for it: the contract's
    /// lists are closed.
    pub other: Option<Text>,
    /// A list question also offers "don't know": the field stays unknown.
    pub unknown: bool,
    pub red_flag: bool,
    pub course: Option<kobalt_contract::Course>,
    pub exposure: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub when_sex: Vec<kobalt_contract::Sex>,
    pub when_age_min: Option<f64>,
    pub when_age_max: Option<f64>,
    pub text: Text,
    pub why: Text,
    pub sources: Vec<String>,
}

/// One code that means a Kobalt identifier.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeRule {
    pub system: String,
    pub code: String,
    /// ICD-10 and ATC: sub-codes match too.
    pub prefix: bool,
    pub id: String,
    pub source: String,
}

impl CodeRule {
    pub fn matches(&self, system: &str, code: &str) -> bool {
        system == self.system
            && if self.prefix {
                code.starts_with(&self.code)
            } else {
                code == self.code
            }
    }
}

/// The FHIR code maps: conditions, medications, supplements, procedures and
/// qualitative results.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CodeMaps {
    pub status: Status,
    /// The `labs` prefetch: results of the last `lab_window_days`, the newest
    /// `lab_count`.
    pub lab_window_days: u32,
    pub lab_count: u32,
    pub conditions: Vec<CodeRule>,
    pub medications: Vec<CodeRule>,
    /// (lower-case substance name, medication id): for medicines known only
    /// by a product code or by text.
    pub medication_names: Vec<(String, String)>,
    pub supplements: Vec<CodeRule>,
    pub procedures: Vec<CodeRule>,
    /// `id` is a qualitative result (`positive`, `negative`, `equivocal`).
    pub results: Vec<CodeRule>,
    /// `id` is a regimen's substance: the codings of an order for it.
    pub orders: Vec<CodeRule>,
    /// System URI → name of coding systems recognised but not mapped
    /// (licensed tables: NHG Tabel 45, G-Standaard).
    pub unmapped_systems: BTreeMap<String, String>,
}

impl CodeMaps {
    /// The first coding of `concept` (system, code) in a system Kobalt
    /// recognises but does not map, with the system's name.
    pub fn unmapped<'c>(&self, codings: &[(&'c str, &'c str)]) -> Option<(&str, &'c str)> {
        codings
            .iter()
            .find_map(|(system, code)| Some((self.unmapped_systems.get(*system)?.as_str(), *code)))
    }

    /// The medication whose substance `text` names as a whole word
    /// ("24 HR Metformin hydrochloride 500 MG ..." names metformin).
    pub fn medication_named(&self, text: &str) -> Option<(&str, &str)> {
        let lower = text.to_lowercase();
        self.medication_names.iter().find_map(|(name, id)| {
            lower.match_indices(name.as_str()).find_map(|(at, _)| {
                let before = lower[..at].chars().next_back();
                let after = lower[at + name.len()..].chars().next();
                let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
                (edge(before) && edge(after)).then_some((name.as_str(), id.as_str()))
            })
        })
    }

    /// The (system, code) pairs an order for `substance` is coded with.
    pub fn order_codings(&self, substance: &str) -> impl Iterator<Item = (&str, &str)> {
        self.orders
            .iter()
            .filter(move |r| r.id == substance)
            .map(|r| (r.system.as_str(), r.code.as_str()))
    }

    /// The identifier for the first coding that a rule of `rules` matches.
    pub fn find<'a>(rules: &'a [CodeRule], codings: &[(&str, &str)]) -> Option<&'a CodeRule> {
        codings
            .iter()
            .find_map(|(system, code)| rules.iter().find(|r| r.matches(system, code)))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    static KB: std::sync::LazyLock<crate::Knowledge> =
        std::sync::LazyLock::new(|| crate::bundled().unwrap_or_else(|e| panic!("{e}")));

    proptest! {
        /// The fast rounding is `f64::round`, for every value.
        #[test]
        fn round_half_away_is_round(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            prop_assert_eq!(super::round_half_away(x).to_bits(), x.round().to_bits());
        }

        /// The counted band is the first band whose upper limit the value
        /// reaches (its definition), for every limit of the bundled
        /// knowledge base, at and around each limit and anywhere else.
        #[test]
        fn band_index_is_the_first_band_the_value_reaches(
            pick in any::<prop::sample::Index>(),
            at_limit in any::<bool>(),
            offset in prop_oneof![Just(0.0), Just(0.004), Just(-0.004), Just(0.5), Just(-0.5), -1000.0..1000.0f64],
            anywhere in prop_oneof![
                4 => 0.0..5000.0f64,
                1 => prop::sample::select(vec![f64::NAN, -f64::NAN, -0.0, -1.0, f64::INFINITY, f64::NEG_INFINITY, f64::MAX]),
            ],
        ) {
            let all: Vec<&super::Limits> = KB
                .profiles
                .iter()
                .flat_map(|p| p.limits.iter().flatten())
                .flat_map(|l| match l {
                    super::LimitsBySex::Any(l) => vec![l],
                    super::LimitsBySex::BySex { female, male, .. } => vec![female, male],
                })
                .collect();
            let limits = all[pick.index(all.len())];
            let tos: Vec<f64> = limits.bands.iter().filter_map(|b| b.to).collect();
            let value = if at_limit && !tos.is_empty() {
                tos[pick.index(tos.len())] + offset
            } else {
                anywhere
            };
            let rounded = limits.rounded(value);
            let first = limits
                .bands
                .iter()
                .position(|b| b.to.is_none_or(|to| if b.to_inclusive { rounded <= to } else { rounded < to }))
                .unwrap_or(limits.bands.len() - 1);
            prop_assert_eq!(limits.band_index(value), first);
        }

        #[test]
        fn round_half_away_is_round_near_halves(n in -1_000_000i64..1_000_000, d in -3i32..3) {
            let x = n as f64 / 2.0 + f64::from(d) * f64::EPSILON;
            prop_assert_eq!(super::round_half_away(x).to_bits(), x.round().to_bits());
        }
    }
}
