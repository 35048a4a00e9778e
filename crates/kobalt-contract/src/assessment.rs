use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::request::{Audience, Comparator, Guideline, Language, QualitativeResult, Route};
use crate::vocabulary::vocabulary;

/// The engine's answer (`kobalt.assessment/v1`). Every conclusion names the
/// rule that drew it and the sources behind that rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Assessment {
    pub schema: String,
    pub engine_version: String,
    pub knowledge: KnowledgeRef,
    pub guideline: Guideline,
    pub language: Language,
    pub audience: Audience,
    pub evaluation_date: String,
    pub triage: Triage,
    pub b12_status: B12Status,
    /// Ranked causes of a deficiency; empty when deficiency is unlikely.
    pub causes: Vec<Cause>,
    /// When deficiency is unlikely: what raises the risk of one later, in the
    /// shape of `causes` (a Kobalt extension of the contract; clinical review F24).
    #[serde(default)]
    pub risk_factors: Vec<Cause>,
    pub differential: Vec<Differential>,
    pub next_tests: Vec<NextTest>,
    pub treatment: TreatmentPlan,
    pub follow_up: FollowUp,
    /// Who should see the person and how soon (possibly empty).
    pub referral: Vec<Referral>,
    pub warnings: Vec<Warning>,
    /// A projection of the body's B12 stores by the kinetics model, where it
    /// helps (an at-risk person not yet deficient; a deficient person on the
    /// proposed regimen). Present only when the caller asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection: Option<ProjectionSummary>,
    /// Identifiers of what was not asked or not measured and would change or
    /// sharpen this assessment (`symptom:incontinence`, `lab:mma`, `diet`, ...).
    pub missing_information: Vec<String>,
    /// The same items in the requested language.
    pub missing_information_text: Vec<String>,
    /// Rule ids that fired, in the order they fired.
    pub trace: Vec<String>,
    pub sources: Vec<SourceRef>,
    pub disclaimer: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KnowledgeRef {
    pub version: String,
    pub sha256: String,
}

vocabulary!(
    /// Urgency, ordered from least to most urgent so that `max` is the most urgent.
    TriageLevel {
        SelfCare = "self_care",
        Routine = "routine",
        ConsultSoon = "consult_soon",
        Urgent24h = "urgent_24h",
        Emergency = "emergency",
    }
);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Triage {
    pub level: TriageLevel,
    /// What to do, in the reader's words (Thuisarts style for patients).
    pub advice: String,
    pub reasons: Vec<Reason>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reason {
    pub rule: String,
    pub level: TriageLevel,
    pub text: String,
    pub sources: Vec<String>,
    /// True when the rule is Kobalt's own combination of sourced facts rather
    /// than a guideline recommendation.
    pub derived: bool,
}

vocabulary!(
    B12Category {
        Deficient = "deficient",
        Indeterminate = "indeterminate",
        Unlikely = "unlikely",
        NotTested = "not_tested",
    }
);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct B12Status {
    pub category: B12Category,
    pub text: String,
    pub rule: String,
    pub sources: Vec<String>,
    pub markers: Vec<Marker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined_indicator: Option<CombinedIndicator>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Marker {
    pub analyte: String,
    pub name: String,
    /// The value in the analyte's canonical unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The result was reported only as a bound ("<150 pg/mL"): `value` is the
    /// bound, and the interpretation is the band the whole interval lies in,
    /// or `not_settled` (a Kobalt addition to the contract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparator: Option<Comparator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The value and unit as reported, when they differ from the canonical ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<ReportedValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<QualitativeResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub interpretation: String,
    /// Named decision limits of the active profile, in the canonical unit.
    pub decision_limits: BTreeMap<String, f64>,
    pub bands: Vec<Band>,
    /// The laboratory's own reference range, converted to the canonical unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_reference: Option<LabReference>,
    pub rule: String,
    pub sources: Vec<String>,
    pub unverified: bool,
    /// Qualifiers of this result: `before_treatment` (dated before the
    /// treatment under way started; a Kobalt addition to the contract).
    #[serde(default)]
    pub flags: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportedValue {
    pub value: f64,
    pub unit: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Band {
    pub band: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<f64>,
    pub to_inclusive: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LabReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CombinedIndicator {
    pub value: f64,
    pub markers_used: u8,
    pub band: String,
    pub unverified: bool,
    pub text: String,
    pub sources: Vec<String>,
}

vocabulary!(
    /// Causes of B12 deficiency (contract section 2, `causes[].id`).
    CauseId {
        DietaryInsufficiency = "dietary_insufficiency",
        AutoimmuneGastritis = "autoimmune_gastritis",
        FoodCobalaminMalabsorption = "food_cobalamin_malabsorption",
        Metformin = "metformin",
        AcidSuppression = "acid_suppression",
        BariatricSurgery = "bariatric_surgery",
        Gastrectomy = "gastrectomy",
        IlealDisease = "ileal_disease",
        CoeliacDisease = "coeliac_disease",
        BacterialOvergrowth = "bacterial_overgrowth",
        PancreaticInsufficiency = "pancreatic_insufficiency",
        FishTapeworm = "fish_tapeworm",
        NitrousOxide = "nitrous_oxide",
        Alcohol = "alcohol",
        IncreasedRequirement = "increased_requirement",
        OtherMedication = "other_medication",
        InheritedDisorder = "inherited_disorder",
    }
);

vocabulary!(
    /// Conditions that can explain the complaints instead of, or besides, B12
    /// deficiency (contract section 2, `differential[].id`).
    DifferentialId {
        IronDeficiency = "iron_deficiency",
        FolateDeficiency = "folate_deficiency",
        VitaminDDeficiency = "vitamin_d_deficiency",
        MagnesiumDeficiency = "magnesium_deficiency",
        Hypothyroidism = "hypothyroidism",
        StatinMyopathy = "statin_myopathy",
        CopperDeficiency = "copper_deficiency",
        DiabeticNeuropathy = "diabetic_neuropathy",
        AlcoholRelatedNeuropathy = "alcohol_related_neuropathy",
    }
);

vocabulary!(
    /// Who should see the person (contract section 2, `referral[].specialty`).
    Specialty {
        GeneralPractice = "general_practice",
        Haematology = "haematology",
        Neurology = "neurology",
        Gastroenterology = "gastroenterology",
        Paediatrics = "paediatrics",
        Obstetrics = "obstetrics",
        Dietetics = "dietetics",
        EmergencyDepartment = "emergency_department",
    }
);

/// A referral: who should see the person, how soon, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Referral {
    pub specialty: Specialty,
    pub urgency: TriageLevel,
    pub reason: String,
    pub rule: String,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cause {
    pub id: CauseId,
    pub name: String,
    pub rank: u32,
    pub score: i32,
    /// Always `ordinal_not_probability`: the score orders causes, nothing more.
    pub score_kind: String,
    pub supporting: Vec<String>,
    pub against: Vec<String>,
    pub missing: Vec<String>,
    pub text: String,
    pub rule: String,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Differential {
    pub id: DifferentialId,
    pub name: String,
    pub score: i32,
    pub supporting: Vec<String>,
    pub against: Vec<String>,
    pub missing: Vec<String>,
    /// Analytes that tell this condition apart from B12 deficiency.
    pub tests: Vec<String>,
    pub text: String,
    pub rule: String,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NextTest {
    pub analyte: String,
    pub name: String,
    pub why: String,
    pub rule: String,
    pub sources: Vec<String>,
}

/// Whether treatment is lifelong: `true`, `false` or `"unknown"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifelong {
    Yes,
    No,
    Unknown,
}

impl JsonSchema for Lifelong {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Lifelong".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Whether treatment is lifelong: true, false or \"unknown\".",
            "oneOf": [{ "type": "boolean" }, { "const": "unknown" }]
        })
    }
}

impl Serialize for Lifelong {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Lifelong::Yes => serializer.serialize_bool(true),
            Lifelong::No => serializer.serialize_bool(false),
            Lifelong::Unknown => serializer.serialize_str("unknown"),
        }
    }
}

impl<'de> Deserialize<'de> for Lifelong {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Bool(true) => Ok(Lifelong::Yes),
            Raw::Bool(false) => Ok(Lifelong::No),
            Raw::Text(t) if t == "unknown" => Ok(Lifelong::Unknown),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "expected true, false or \"unknown\", got {t:?}"
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TreatmentPlan {
    pub recommended: bool,
    pub start_before_results: bool,
    pub lifelong: Lifelong,
    pub regimens: Vec<Regimen>,
    pub advice: Vec<String>,
    /// Rule ids and sources behind `recommended`, `start_before_results`,
    /// `lifelong` and each advice line, in that order.
    pub reasons: Vec<Reason>,
}

vocabulary!(Phase { Loading = "loading", Maintenance = "maintenance", Treatment = "treatment", Prevention = "prevention" });

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Regimen {
    pub id: String,
    pub substance: String,
    pub route: Route,
    pub dose_ug: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_ug_max: Option<f64>,
    /// `times` doses every `every` `per` (1 per 1 day, 3 per 1 week, 1 per 2 months, ...).
    pub times: f64,
    pub every: f64,
    /// The longer end of an interval given as a range ("every 2-3 months").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_max: Option<f64>,
    pub per: String,
    /// Number of doses, where the schedule is a fixed course.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doses: Option<u32>,
    pub phase: Phase,
    pub text: String,
    pub rule: String,
    pub sources: Vec<String>,
    pub unverified: bool,
}

vocabulary!(FollowUpDecision {
    Continue = "continue",
    ConsiderStopping = "consider_stopping",
    Escalate = "escalate",
    ReassessDiagnosis = "reassess_diagnosis",
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FollowUp {
    pub review_after_weeks: Option<f64>,
    pub decision: Option<FollowUpDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_text: Option<String>,
    pub checks: Vec<String>,
    pub reasons: Vec<Reason>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Warning {
    pub id: String,
    pub text: String,
    pub rule: String,
    pub sources: Vec<String>,
    /// Particulars, such as which unverified values were used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SourceRef {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub kind: String,
}

vocabulary!(ProjectionQuestion {
    YearsUntilDeficient = "years_until_deficient",
    WeeksUntilNormal = "weeks_until_normal",
});

/// A model estimate of how B12 will evolve (kinetics model, not validated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectionSummary {
    pub question: ProjectionQuestion,
    pub text: String,
    /// Always true: this is a model estimate, not a measurement.
    pub model_estimate: bool,
    pub estimates: Vec<ProjectedCrossing>,
    /// The starting body store the projection assumed, µg.
    pub start_store_ug: f64,
    pub draws: usize,
    pub seed: u64,
    pub sources: Vec<String>,
}

/// When a marker is expected to cross a limit, in `time_unit`: the run with
/// default parameters, the Monte Carlo median and the 5-95 % band (`None`:
/// later than the simulated horizon).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectedCrossing {
    pub id: String,
    pub analyte: String,
    pub threshold: f64,
    pub unit: String,
    pub time_unit: String,
    pub default: Option<f64>,
    pub median: Option<f64>,
    pub p5: Option<f64>,
    pub p95: Option<f64>,
    pub reached_fraction: f64,
}
