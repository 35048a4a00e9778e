//! The on-disk format of the knowledge base (TOML). These types mirror the
//! files one to one; `crate::compile` validates them into the model.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifestFile {
    pub version: String,
    pub name: String,
    pub contract: String,
    #[serde(default)]
    pub values: BTreeMap<String, ValueFile>,
    pub plausible: PlausibleFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlausibleFile {
    pub age_years: [f64; 2],
    pub gestation_weeks: [f64; 2],
    pub weeks: [f64; 2],
    pub years: [f64; 2],
    pub dose_ug: [f64; 2],
    pub dose_mg: [f64; 2],
    pub dose_mg_per_day: [f64; 2],
    pub every: [f64; 2],
    pub evaluation_year_min: i16,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValueFile {
    pub value: f64,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
}

/// How well a value or rule is supported, strongest first: `max` of two
/// statuses is the weaker one.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Verified,
    Secondary,
    Unverified,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourcesFile {
    pub source: Vec<SourceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceFile {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub publisher: String,
    #[serde(default)]
    pub year: Option<u16>,
    #[serde(default)]
    pub url: Option<String>,
    pub kind: String,
    pub region: Region,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where a source's recommendations apply: Dutch sources belong to the `nhg`
/// profile, UK sources (NICE, BNF, BSH) to `nice`, international ones to both.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    Nl,
    Uk,
    International,
}

impl Region {
    /// Whether a source of this region may be cited under `guideline`.
    pub fn serves(self, guideline: kobalt_contract::Guideline) -> bool {
        use kobalt_contract::Guideline;
        match self {
            Region::International => true,
            Region::Nl => guideline == Guideline::Nhg,
            Region::Uk => guideline == Guideline::Nice,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClaimsFile {
    pub claim: Vec<ClaimFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClaimFile {
    pub id: String,
    pub category: String,
    pub encode: String,
    pub claim: String,
    /// Rules that follow a guideline instead of this claim (they must cite it).
    #[serde(default)]
    pub overruled_by: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VocabularyFile {
    #[serde(default)]
    pub symptom: BTreeMap<String, TermFile>,
    #[serde(default)]
    pub condition: BTreeMap<String, TermFile>,
    #[serde(default)]
    pub medication: BTreeMap<String, TermFile>,
    #[serde(default)]
    pub procedure: BTreeMap<String, TermFile>,
    #[serde(default)]
    pub exposure: BTreeMap<String, TermFile>,
    #[serde(default)]
    pub supplement: BTreeMap<String, TermFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TermFile {
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnalytesFile {
    pub analyte: BTreeMap<String, AnalyteFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnalyteFile {
    pub loinc: Vec<String>,
    #[serde(default)]
    pub loinc_unverified: Vec<String>,
    #[serde(default)]
    pub canonical_unit: Option<String>,
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub conversions: Vec<ConversionFile>,
    #[serde(default)]
    pub plausible: Option<RangeFile>,
    /// Above this (canonical unit) the questionnaire asks whether another unit
    /// was meant, when in that unit the value would be below it.
    #[serde(default)]
    pub query_above: Option<f64>,
    #[serde(default)]
    pub qualitative: bool,
    /// Its normal range depends on age: adult limits are not applied to children.
    #[serde(default)]
    pub age_dependent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConversionFile {
    pub unit: String,
    pub factor: f64,
    pub sources: Vec<String>,
    #[serde(default)]
    pub status: Status,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeFile {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileFile {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub limits: BTreeMap<String, LimitsFile>,
    #[serde(default)]
    pub review: Option<ReviewFile>,
    #[serde(default)]
    pub regimen: BTreeMap<String, RegimenFile>,
    #[serde(default)]
    pub plan: Vec<PlanFile>,
    #[serde(default)]
    pub pregnancy: Option<PregnancyFile>,
}

/// Haemoglobin limits in pregnancy by trimester (`trimester_1` .. `trimester_3`;
/// a trimester without limits is not judged).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PregnancyFile {
    /// The weeks at which the second and the third trimester start.
    pub trimester_starts: [f64; 2],
    #[serde(default)]
    pub haemoglobin: BTreeMap<String, LimitsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LimitsFile {
    pub unit: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    pub status: Status,
    #[serde(default)]
    pub bands: Option<Vec<BandFile>>,
    #[serde(default)]
    pub female: Option<SexBandsFile>,
    #[serde(default)]
    pub male: Option<SexBandsFile>,
    #[serde(default)]
    pub unknown_sex: Option<String>,
    /// The decimals a value is rounded to before it is placed in a band,
    /// when they are not those the limits are written with.
    #[serde(default)]
    pub decimals: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SexBandsFile {
    pub bands: Vec<BandFile>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BandFile {
    pub band: String,
    #[serde(default)]
    pub from: Option<f64>,
    #[serde(default)]
    pub to: Option<f64>,
    #[serde(default)]
    pub to_inclusive: bool,
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default)]
    pub status: Option<Status>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewFile {
    pub weeks: f64,
    pub weeks_pregnant: f64,
    pub judge_response_after_weeks: f64,
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    pub status: Status,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegimenFile {
    pub substance: String,
    pub route: String,
    pub dose_ug: f64,
    #[serde(default)]
    pub dose_ug_max: Option<f64>,
    #[serde(default = "one")]
    pub times: f64,
    pub every: f64,
    #[serde(default)]
    pub every_max: Option<f64>,
    pub per: String,
    #[serde(default)]
    pub doses: Option<u32>,
    pub phase: String,
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    pub status: Status,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanFile {
    pub id: String,
    #[serde(rename = "for")]
    pub purpose: String,
    #[serde(default)]
    pub when: Option<WhenFile>,
    pub regimens: Vec<String>,
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    /// A plan for children (under 16); the others are for adults only.
    #[serde(default)]
    pub children: bool,
    #[serde(default)]
    pub status: Option<Status>,
    /// Kobalt's own reading of its sources (unverified unless it says otherwise).
    #[serde(default)]
    pub derived: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindingsFile {
    pub finding: BTreeMap<String, FindingFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindingFile {
    pub when: WhenFile,
}

/// A predicate as written in the files. Several keys in one table must all hold.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhenFile {
    pub all: Option<Vec<WhenFile>>,
    pub any: Option<Vec<WhenFile>>,
    pub not: Option<Box<WhenFile>>,
    pub finding: Option<String>,
    pub symptom: Option<String>,
    pub symptom_any: Option<Vec<String>>,
    pub symptom_group: Option<String>,
    pub course: Option<Vec<String>>,
    pub severity: Option<Vec<String>>,
    pub min_weeks: Option<f64>,
    pub absent: Option<String>,
    pub none_present: Option<Vec<String>>,
    pub diet: Option<Vec<String>>,
    pub supplement_any: Option<Vec<String>>,
    pub supplement_none: Option<Vec<String>>,
    pub min_daily_mg: Option<f64>,
    pub medication: Option<String>,
    pub medication_group: Option<String>,
    pub long_term: Option<bool>,
    pub condition: Option<String>,
    pub condition_any: Option<Vec<String>>,
    pub condition_group: Option<String>,
    pub procedure_any: Option<Vec<String>>,
    pub procedure_group: Option<String>,
    pub exposure: Option<String>,
    /// With `exposure`: the reported pattern is one of these (`stopped` for a past exposure).
    pub pattern: Option<Vec<String>>,
    pub age_min: Option<f64>,
    pub age_max: Option<f64>,
    pub sex: Option<Vec<String>>,
    pub pregnant: Option<bool>,
    pub breastfeeding: Option<bool>,
    pub lab: Option<String>,
    pub band: Option<Vec<String>>,
    pub result: Option<Vec<String>>,
    pub tested: Option<String>,
    pub untested: Option<String>,
    pub offered: Option<String>,
    /// Some next test is proposed (`true`) or none is (`false`).
    pub tests_offered: Option<bool>,
    pub b12_status: Option<Vec<String>>,
    pub leading_cause: Option<Vec<String>>,
    pub leading_cause_not: Option<Vec<String>>,
    pub no_clear_cause: Option<bool>,
    pub treatment_route: Option<Vec<String>>,
    pub planned_route: Option<Vec<String>>,
    pub planned_min_dose_ug: Option<f64>,
    pub treatment_response: Option<Vec<String>>,
    pub treatment_judgeable: Option<bool>,
    pub treatment_min_weeks: Option<f64>,
    pub unknown_counts: Option<bool>,
}

/// The fields every rule shares, borrowed from any rule file's struct.
pub(crate) struct RuleCommon<'a> {
    pub id: &'a str,
    pub when: Option<&'a WhenFile>,
    pub profiles: &'a [String],
    pub sources: &'a [String],
    pub claims: &'a [String],
    pub status: Option<Status>,
    pub derived: bool,
}

/// A rule file's struct: the shared fields plus the kind's own. Each kind has
/// its own struct so that `deny_unknown_fields` refuses, say, a triage `level`
/// on a warning (serde's `flatten` would switch that check off, so the shared
/// fields are repeated by this macro instead).
macro_rules! rule_file {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            pub id: String,
            #[serde(default)]
            pub when: Option<WhenFile>,
            #[serde(default)]
            pub profiles: Vec<String>,
            pub sources: Vec<String>,
            #[serde(default)]
            pub claims: Vec<String>,
            #[serde(default)]
            pub status: Option<Status>,
            #[serde(default)]
            pub derived: bool,
            $($(#[$fm])* pub $field: $ty,)*
        }

        impl $name {
            pub(crate) fn common(&self) -> RuleCommon<'_> {
                RuleCommon {
                    id: &self.id,
                    when: self.when.as_ref(),
                    profiles: &self.profiles,
                    sources: &self.sources,
                    claims: &self.claims,
                    status: self.status,
                    derived: self.derived,
                }
            }
        }
    };
}

rule_file!(
    /// A rule with nothing but the shared fields (treatment start and advice, follow-up checks).
    RuleFile {}
);
rule_file!(
    /// rules/triage.toml `[[rule]]`.
    TriageRuleFile { level: String }
);
rule_file!(
    /// rules/tests.toml `[[test]]`.
    TestRuleFile { analytes: Vec<String> }
);
rule_file!(
    /// rules/treatment.toml `[[lifelong]]`.
    LifelongRuleFile { value: bool }
);
rule_file!(
    /// rules/followup.toml `[[decision]]`.
    DecisionRuleFile { decision: String }
);
rule_file!(
    /// rules/referral.toml `[[referral]]`: who should see the person, and how soon.
    ReferralRuleFile {
        specialty: String,
        urgency: String,
    }
);
rule_file!(
    /// rules/warnings.toml `[[warning]]`; `engine` marks the one the engine raises itself.
    WarningRuleFile {
        #[serde(default)]
        engine: bool,
    }
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReferralFile {
    pub referral: Vec<ReferralRuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TriageFile {
    pub rule: Vec<TriageRuleFile>,
    pub closing: BTreeMap<String, ClosingFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClosingFile {
    pub level: String,
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default)]
    pub derived: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScoredFile {
    pub id: String,
    /// The necessary condition: without it the item is not listed, whatever its score.
    pub requires: WhenFile,
    #[serde(default)]
    pub tests: Vec<String>,
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default)]
    pub status: Option<Status>,
    pub supporting: Vec<EvidenceFile>,
    #[serde(default)]
    pub against: Vec<EvidenceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvidenceFile {
    pub finding: String,
    pub weight: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CausesFile {
    pub cause: Vec<ScoredFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DifferentialFile {
    pub differential: Vec<ScoredFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestsFile {
    pub test: Vec<TestRuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TreatmentFile {
    pub recommend: BTreeMap<String, SourcedFile>,
    pub start_before_results: Vec<RuleFile>,
    pub lifelong: Vec<LifelongRuleFile>,
    pub advice: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourcedFile {
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub derived: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WarningsFile {
    pub warning: Vec<WarningRuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FollowUpFile {
    pub decision: Vec<DecisionRuleFile>,
    pub check: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusFile {
    pub outcome: BTreeMap<String, OutcomeFile>,
    pub combined_indicator: CombinedIndicatorFile,
    pub lab_reference_range: LabReferenceFile,
}

/// The analytes whose laboratory upper reference limit, when the request
/// gives one, is the decision limit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabReferenceFile {
    pub analytes: Vec<String>,
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default)]
    pub status: Option<Status>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutcomeFile {
    pub category: String,
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    /// A reading of its sources, not their words (unverified, like a derived rule).
    #[serde(default)]
    pub derived: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CombinedIndicatorFile {
    pub sources: Vec<String>,
    pub status: Status,
    pub age_constant: f64,
    pub age_scale: f64,
    pub age_exponent: f64,
    pub bands: Vec<BandFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InterviewFile {
    pub question: Vec<QuestionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuestionFile {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub vocabulary: Option<String>,
    #[serde(default)]
    pub red_flag: bool,
    #[serde(default)]
    pub course: Option<String>,
    #[serde(default)]
    pub exposure: Option<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub when: Option<QuestionWhenFile>,
    /// A list question also offers "another one, not listed".
    #[serde(default)]
    pub other: bool,
    /// A list question also offers "don't know" (the field stays unknown).
    #[serde(default)]
    pub unknown: bool,
    pub sources: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuestionWhenFile {
    #[serde(default)]
    pub sex: Vec<String>,
    #[serde(default)]
    pub age_min: Option<f64>,
    #[serde(default)]
    pub age_max: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FhirFile {
    pub status: Status,
    pub source: BTreeMap<String, String>,
    pub system: BTreeMap<String, String>,
    #[serde(default)]
    pub condition: Vec<CodeEntryFile>,
    #[serde(default)]
    pub medication: Vec<CodeEntryFile>,
    #[serde(default)]
    pub supplement: Vec<CodeEntryFile>,
    #[serde(default)]
    pub procedure: Vec<CodeEntryFile>,
    #[serde(default)]
    pub result: BTreeMap<String, Vec<String>>,
    pub prefetch: PrefetchFile,
    /// System URI → alias of `system`: the same terminology spelled otherwise.
    #[serde(default)]
    pub system_synonym: BTreeMap<String, String>,
    /// The codes a suggested order for a regimen's substance carries.
    #[serde(default)]
    pub order: Vec<CodeEntryFile>,
    /// System URI → name: systems recognised but not mapped (licensed tables).
    #[serde(default)]
    pub unmapped_system: BTreeMap<String, String>,
}

/// What the CDS Hooks `labs` prefetch template asks for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrefetchFile {
    pub lab_window_days: u32,
    pub lab_count: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeEntryFile {
    pub id: String,
    pub codes: Vec<String>,
    /// Substance names (medications only): recognised in a coding's display
    /// or a concept's text when no code matches.
    #[serde(default)]
    pub names: Vec<String>,
}
