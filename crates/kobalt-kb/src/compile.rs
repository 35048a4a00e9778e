//! Validation: the files of `schema` become the model of `model`, or a list of
//! problems naming file, key and what is wrong.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kobalt_contract::{
    B12Category, CauseId, Course, Diet, DifferentialId, FollowUpDecision, Guideline, Phase,
    QualitativeResult, Route, Severity, Sex, Specialty, TreatmentResponse, TriageLevel,
};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::Problem;
use crate::model::*;
use crate::schema::*;

pub(crate) fn compile(files: &[(&str, &str)]) -> Result<Knowledge, Vec<Problem>> {
    let mut c = Compiler::new(files);
    let knowledge = c.run();
    match knowledge {
        Some(k) if c.problems.is_empty() => Ok(k),
        _ => Err(c.problems),
    }
}

struct Compiler<'a> {
    files: BTreeMap<&'a str, &'a str>,
    problems: Vec<Problem>,
    sources: BTreeMap<String, Source>,
    claim_ids: BTreeSet<String>,
    citations: BTreeMap<String, BTreeSet<String>>,
    texts: HashMap<String, Text>,
    names: HashMap<String, Text>,
    symptoms: Vocabulary,
    conditions: Vocabulary,
    medications: Vocabulary,
    procedures: Vocabulary,
    exposures: Vocabulary,
    supplements: Vocabulary,
    analyte_index: HashMap<String, AnalyteId>,
    analytes: Vec<Analyte>,
    finding_index: HashMap<String, usize>,
    cause_index: HashMap<String, usize>,
    used_messages: BTreeSet<String>,
    /// The engine's ids, once resolved (before the profiles are compiled).
    ids: Option<EngineIds>,
    /// Band names that rules use: (file, key, analyte, names), checked once the profiles are known.
    band_uses: Vec<(String, String, AnalyteId, Vec<String>)>,
}

fn hash(files: &BTreeMap<&str, &str>) -> String {
    let mut hasher = Sha256::new();
    for (path, text) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl<'a> Compiler<'a> {
    fn new(files: &[(&'a str, &'a str)]) -> Self {
        Compiler {
            files: files.iter().copied().collect(),
            problems: Vec::new(),
            sources: BTreeMap::new(),
            claim_ids: BTreeSet::new(),
            citations: BTreeMap::new(),
            texts: HashMap::new(),
            names: HashMap::new(),
            symptoms: Vocabulary::default(),
            conditions: Vocabulary::default(),
            medications: Vocabulary::default(),
            procedures: Vocabulary::default(),
            exposures: Vocabulary::default(),
            supplements: Vocabulary::default(),
            analyte_index: HashMap::new(),
            analytes: Vec::new(),
            finding_index: HashMap::new(),
            cause_index: HashMap::new(),
            used_messages: BTreeSet::new(),
            ids: None,
            band_uses: Vec::new(),
        }
    }

    fn problem(&mut self, file: &str, key: impl Into<String>, problem: impl Into<String>) {
        self.problems.push(Problem::new(file, key, problem));
    }

    fn parse<T: DeserializeOwned>(&mut self, path: &str) -> Option<T> {
        let Some(text) = self.files.get(path).copied() else {
            self.problem(path, "", "file is missing");
            return None;
        };
        match toml::from_str(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
                let at = line.map(|l| format!("line {l}")).unwrap_or_default();
                self.problem(path, at, e.message().to_owned());
                None
            }
        }
    }

    fn run(&mut self) -> Option<Knowledge> {
        let sha256 = hash(&self.files);
        let ftl = |lang: &str| -> Vec<(&'a str, &'a str)> {
            let prefix = format!("locales/{lang}/");
            self.files
                .iter()
                .filter(|(p, _)| p.starts_with(&prefix) && p.ends_with(".ftl"))
                .map(|(p, t)| (*p, *t))
                .collect()
        };
        let (en, nl) = (ftl("en"), ftl("nl"));
        let messages = crate::text::load(&en, &nl, &mut self.problems);
        self.texts = messages.texts;
        self.names = messages.names;

        let manifest: ManifestFile = self.parse("manifest.toml")?;
        if manifest.contract != kobalt_contract::REQUEST_SCHEMA {
            self.problem(
                "manifest.toml",
                "contract",
                format!("expected {}", kobalt_contract::REQUEST_SCHEMA),
            );
        }
        let sources: SourcesFile = self.parse("sources.toml")?;
        for s in sources.source {
            if self.sources.contains_key(&s.id) {
                self.problem("sources.toml", &s.id, "source id defined twice");
            }
            self.sources.insert(
                s.id.clone(),
                Source {
                    id: s.id,
                    title: s.title,
                    publisher: s.publisher,
                    year: s.year,
                    url: s.url,
                    kind: s.kind,
                    region: s.region,
                    status: s.status.unwrap_or_default(),
                    note: s.note,
                },
            );
        }
        let claims_file: ClaimsFile = self.parse("claims.toml")?;
        let mut claims: Vec<Claim> = claims_file
            .claim
            .into_iter()
            .map(|c| Claim {
                id: c.id,
                category: c.category,
                encode: c.encode,
                claim: c.claim,
                overruled_by: c.overruled_by,
                note: c.note,
                cited_by: Vec::new(),
            })
            .collect();
        for c in &claims {
            if !["yes", "context", "no"].contains(&c.encode.as_str()) {
                self.problem(
                    "claims.toml",
                    &c.id,
                    format!("encode '{}' is not yes, context or no", c.encode),
                );
            }
        }
        self.claim_ids = claims.iter().map(|c| c.id.clone()).collect();

        let values = self.values(&manifest);
        let plausible = self.plausible(&manifest.plausible);
        let vocabulary: VocabularyFile = self.parse("vocabulary.toml")?;
        self.symptoms = self.vocabulary("symptom", &vocabulary.symptom);
        self.conditions = self.vocabulary("condition", &vocabulary.condition);
        self.medications = self.vocabulary("medication", &vocabulary.medication);
        self.procedures = self.vocabulary("procedure", &vocabulary.procedure);
        self.exposures = self.vocabulary("exposure", &vocabulary.exposure);
        self.supplements = self.vocabulary("supplement", &vocabulary.supplement);
        let kinetics = self.kinetics();

        let analytes: AnalytesFile = self.parse("analytes.toml")?;
        self.analytes(analytes);

        let findings_file: FindingsFile = self.parse("findings.toml")?;
        for (idx, id) in findings_file.finding.keys().enumerate() {
            self.finding_index.insert(id.clone(), idx);
        }
        let ids = self.engine_ids();
        self.ids = Some(ids);
        let causes_file: CausesFile = self.parse("rules/causes.toml")?;
        for (idx, cause) in causes_file.cause.iter().enumerate() {
            if self.cause_index.insert(cause.id.clone(), idx).is_some() {
                self.problem("rules/causes.toml", &cause.id, "cause defined twice");
            }
        }
        let findings: Vec<Finding> = findings_file
            .finding
            .iter()
            .map(|(id, f)| {
                let key = format!("finding.{id}");
                let when = self.pred("findings.toml", &key, &f.when);
                let text = self.name("findings.toml", &key, &format!("finding-{id}"));
                Finding {
                    id: id.clone(),
                    when,
                    text,
                }
            })
            .collect();
        self.check_finding_cycles(&findings);

        let causes: Vec<Scored<CauseId>> = causes_file
            .cause
            .iter()
            .filter_map(|s| self.scored("rules/causes.toml", "cause", s, CauseId::parse))
            .collect();
        let differential_file: DifferentialFile = self.parse("rules/differential.toml")?;
        let differentials: Vec<Scored<DifferentialId>> = differential_file
            .differential
            .iter()
            .filter_map(|s| {
                self.scored(
                    "rules/differential.toml",
                    "differential",
                    s,
                    DifferentialId::parse,
                )
            })
            .collect();

        let common: ProfileFile = self.parse("profiles/common.toml")?;
        let nhg: ProfileFile = self.parse("profiles/nhg.toml")?;
        let nice: ProfileFile = self.parse("profiles/nice.toml")?;
        let profiles = vec![
            self.profile(Guideline::Nhg, &nhg, &common),
            self.profile(Guideline::Nice, &nice, &common),
        ];

        let triage_file: TriageFile = self.parse("rules/triage.toml")?;
        let file = "rules/triage.toml";
        let triage: Vec<TriageRule> = triage_file
            .rule
            .iter()
            .map(|r| {
                let rule = self.rule(file, r.common());
                let level = self.level(file, &r.id, Some(&r.level));
                let mut symptoms = BTreeSet::new();
                Self::collect_symptoms(&rule.when, &findings, &mut BTreeSet::new(), &mut symptoms);
                TriageRule {
                    rule,
                    level,
                    symptoms: symptoms.into_iter().collect(),
                }
            })
            .collect();
        let mut closing = |name: &str| -> Closing {
            let meta = match triage_file.closing.get(name) {
                Some(c) => {
                    let level = self.level(file, name, Some(&c.level));
                    let meta = self.meta(file, name, name, &c.sources, &c.claims, None, c.derived);
                    return Closing { meta, level };
                }
                None => {
                    self.problem(file, format!("closing.{name}"), "missing");
                    self.meta(file, name, name, &[], &[], None, false)
                }
            };
            Closing {
                meta,
                level: TriageLevel::Routine,
            }
        };
        let red_flags_not_asked = closing("red_flags_not_asked");
        let no_concern = closing("no_concern");

        let tests_file: TestsFile = self.parse("rules/tests.toml")?;
        let tests: Vec<TestRule> = tests_file
            .test
            .iter()
            .map(|r| {
                let analytes = r
                    .analytes
                    .iter()
                    .filter_map(|a| self.analyte_ref("rules/tests.toml", &r.id, a))
                    .collect::<Vec<_>>();
                if analytes.is_empty() {
                    self.problem("rules/tests.toml", &r.id, "a test rule names no analyte");
                }
                TestRule {
                    rule: self.rule("rules/tests.toml", r.common()),
                    analytes,
                }
            })
            .collect();
        let differential_test_text = self.text(
            "rules/tests.toml",
            "test_differential",
            "rule-test_differential",
        );

        let treatment: TreatmentFile = self.parse("rules/treatment.toml")?;
        let file = "rules/treatment.toml";
        let mut recommend = |key: &str| match treatment.recommend.get(key) {
            Some(s) => self.meta(
                file,
                key,
                &format!("recommend_{key}"),
                &s.sources,
                &s.claims,
                s.status,
                s.derived,
            ),
            None => {
                self.problem(file, format!("recommend.{key}"), "missing");
                self.meta(file, key, key, &[], &[], None, false)
            }
        };
        let recommend = Recommend {
            deficient: recommend("deficient"),
            autoimmune_gastritis: recommend("autoimmune_gastritis"),
            trial_in_grey_zone: recommend("trial_in_grey_zone"),
            trial_after_mma: recommend("trial_after_mma"),
            prevention: recommend("prevention"),
        };
        let start_before_results: Vec<Rule> = treatment
            .start_before_results
            .iter()
            .map(|r| self.rule(file, r.common()))
            .collect();
        let lifelong: Vec<LifelongRule> = treatment
            .lifelong
            .iter()
            .map(|r| LifelongRule {
                rule: self.rule(file, r.common()),
                value: r.value,
            })
            .collect();
        let advice: Vec<Rule> = treatment
            .advice
            .iter()
            .map(|r| self.rule(file, r.common()))
            .collect();

        let warnings_file: WarningsFile = self.parse("rules/warnings.toml")?;
        let file = "rules/warnings.toml";
        let mut warnings = Vec::new();
        let mut unverified_warning = None;
        for w in &warnings_file.warning {
            if w.engine {
                unverified_warning = Some(self.meta(
                    file, &w.id, &w.id, &w.sources, &w.claims, w.status, w.derived,
                ));
            } else {
                warnings.push(self.rule(file, w.common()));
            }
        }
        let unverified_warning = unverified_warning.unwrap_or_else(|| {
            self.problem(
                file,
                "unverified_value_used",
                "the engine's unverified-value warning is missing",
            );
            self.meta(
                file,
                "unverified_value_used",
                "unverified_value_used",
                &[],
                &[],
                None,
                false,
            )
        });

        let followup: FollowUpFile = self.parse("rules/followup.toml")?;
        let file = "rules/followup.toml";
        let decisions: Vec<DecisionRule> = followup
            .decision
            .iter()
            .map(|r| {
                let decision = FollowUpDecision::parse(&r.decision);
                if decision.is_none() {
                    self.problem(file, &r.id, format!("unknown decision '{}'", r.decision));
                }
                DecisionRule {
                    rule: self.rule(file, r.common()),
                    decision: decision.unwrap_or(FollowUpDecision::Continue),
                }
            })
            .collect();
        let checks: Vec<Rule> = followup
            .check
            .iter()
            .map(|r| self.rule(file, r.common()))
            .collect();
        let referrals = self.referrals()?;

        let status: StatusFile = self.parse("rules/status.toml")?;
        let file = "rules/status.toml";
        let mut outcomes: Vec<Option<Outcome>> = vec![None; StatusOutcome::ALL.len()];
        for (id, o) in &status.outcome {
            let Some(which) = StatusOutcome::parse(id) else {
                self.problem(
                    file,
                    format!("outcome.{id}"),
                    "the status logic never returns this outcome",
                );
                continue;
            };
            let category = B12Category::parse(&o.category).unwrap_or_else(|| {
                self.problem(
                    file,
                    format!("outcome.{id}.category"),
                    format!("unknown category '{}'", o.category),
                );
                B12Category::NotTested
            });
            let meta = self.meta(file, id, id, &o.sources, &o.claims, None, o.derived);
            outcomes[which as usize] = Some(Outcome { meta, category });
        }
        let outcomes: Vec<Outcome> = StatusOutcome::ALL
            .iter()
            .map(|which| {
                outcomes[*which as usize].take().unwrap_or_else(|| {
                    let id = which.as_str();
                    self.problem(
                        file,
                        format!("outcome.{id}"),
                        "outcome required by the engine is missing",
                    );
                    Outcome {
                        meta: self.meta(file, id, id, &[], &[], None, false),
                        category: B12Category::NotTested,
                    }
                })
            })
            .collect();
        let lr = &status.lab_reference_range;
        let lab_reference_range = {
            let meta = self.meta(
                file,
                "lab_reference_range",
                "lab_reference_range",
                &lr.sources,
                &lr.claims,
                lr.status,
                false,
            );
            let analytes = lr
                .analytes
                .iter()
                .filter_map(|a| self.analyte_ref(file, "lab_reference_range", a))
                .collect();
            let band = |name: &str, kind: BandKind| Band {
                band: name.to_owned(),
                kind: Some(kind),
                from: None,
                to: None,
                to_inclusive: true,
                limit: None,
                status: meta.status,
                sources: meta.sources.clone(),
            };
            LabReferenceRange {
                normal: band("normal", BandKind::Normal),
                raised: band("raised", BandKind::Raised),
                meta,
                analytes,
            }
        };
        let ci = &status.combined_indicator;
        let ci_bands = self.bands(
            file,
            "combined_indicator.bands",
            &ci.bands,
            1.0,
            ci.status,
            &ci.sources,
        );
        let band_names = ci_bands
            .iter()
            .map(|b| {
                (
                    b.band.clone(),
                    self.name(file, "combined_indicator", &format!("cb12-{}", b.band)),
                )
            })
            .collect();
        let combined_indicator = CombinedIndicatorParams {
            meta: self.meta(
                file,
                "combined_indicator",
                "combined_indicator",
                &ci.sources,
                &[],
                Some(ci.status),
                false,
            ),
            age_constant: ci.age_constant,
            age_scale: ci.age_scale,
            age_exponent: ci.age_exponent,
            bands: ci_bands,
            band_names,
        };

        let interview = self.interview();
        let substances: std::collections::BTreeSet<String> = profiles
            .iter()
            .flat_map(|p| p.regimens.iter().map(|r| r.substance.clone()))
            .collect();
        let fhir = self.fhir_maps(&substances);
        self.check_catalogue();
        self.check_built_messages(&profiles);
        self.check_band_uses(&profiles);
        self.check_profile_sources(&profiles);
        self.check_claim_coverage(&mut claims);
        self.check_evidence(&findings, &causes, &differentials);
        self.check_rule_evidence(&findings, "rules/tests.toml", tests.iter().map(|t| &t.rule));
        self.check_rule_evidence(
            &findings,
            "rules/triage.toml",
            triage.iter().map(|t| &t.rule),
        );
        self.check_rule_evidence(
            &findings,
            "rules/treatment.toml",
            start_before_results
                .iter()
                .chain(lifelong.iter().map(|l| &l.rule))
                .chain(advice.iter()),
        );
        self.check_rule_evidence(&findings, "rules/warnings.toml", warnings.iter());
        self.check_rule_evidence(
            &findings,
            "rules/followup.toml",
            checks.iter().chain(decisions.iter().map(|d| &d.rule)),
        );
        self.check_rule_evidence(
            &findings,
            "rules/referral.toml",
            referrals.iter().map(|r| &r.rule),
        );
        let mut messages = self.names.clone();
        for (id, text) in &self.texts {
            messages.entry(id.clone()).or_insert_with(|| text.clone());
        }
        Some(Knowledge {
            version: manifest.version,
            name: manifest.name,
            sha256,
            files: self.files.keys().map(|f| (*f).to_owned()).collect(),
            sources: std::mem::take(&mut self.sources),
            claims,
            symptoms: std::mem::take(&mut self.symptoms),
            conditions: std::mem::take(&mut self.conditions),
            medications: std::mem::take(&mut self.medications),
            procedures: std::mem::take(&mut self.procedures),
            exposures: std::mem::take(&mut self.exposures),
            supplements: std::mem::take(&mut self.supplements),
            analytes: std::mem::take(&mut self.analytes),
            analyte_index: std::mem::take(&mut self.analyte_index),
            loinc_index: HashMap::new(),
            profiles,
            findings,
            finding_index: std::mem::take(&mut self.finding_index),
            triage,
            red_flags_not_asked,
            no_concern,
            causes,
            differentials,
            tests,
            differential_test_text,
            recommend,
            start_before_results,
            lifelong,
            advice,
            warnings,
            unverified_warning,
            decisions,
            referrals,
            checks,
            outcomes,
            lab_reference_range,
            combined_indicator,
            values,
            plausible,
            ids,
            kinetics,
            interview,
            fhir,
            messages,
        })
        .map(|mut k| {
            for (idx, a) in k.analytes.iter().enumerate() {
                for code in a.loinc.iter().chain(&a.loinc_unverified) {
                    k.loinc_index.insert(code.clone(), idx as AnalyteId);
                }
            }
            k
        })
    }

    /// No cause or differential may be listed, or supported, by negative
    /// evidence alone (see `evidence.rs`).
    fn check_evidence<A, B>(
        &mut self,
        findings: &[Finding],
        causes: &[Scored<A>],
        diffs: &[Scored<B>],
    ) {
        let items = causes
            .iter()
            .map(|c| {
                (
                    "rules/causes.toml",
                    "cause",
                    &c.meta.id,
                    &c.requires,
                    &c.supporting,
                )
            })
            .chain(diffs.iter().map(|d| {
                (
                    "rules/differential.toml",
                    "differential",
                    &d.meta.id,
                    &d.requires,
                    &d.supporting,
                )
            }));
        let mut problems = Vec::new();
        for (file, kind, id, requires, supporting) in items {
            let key = format!(
                "{kind}.{}",
                id.strip_prefix(&format!("{kind}_")).unwrap_or(id)
            );
            if !crate::evidence::needs_positive(requires, findings) {
                problems.push((file, key.clone(), "`requires` can hold on negative evidence alone (an answer \"no\", a normal or negative result, an untested marker)".to_owned()));
            }
            for e in supporting {
                if !crate::evidence::needs_positive(&findings[e.finding].when, findings) {
                    problems.push((
                        file,
                        key.clone(),
                        format!(
                            "supporting finding '{}' is negative evidence; list it under `against`",
                            findings[e.finding].id
                        ),
                    ));
                }
            }
        }
        for (file, key, problem) in problems {
            self.problem(file, key, problem);
        }
    }

    /// No rule (triage, test, treatment, follow-up, warning) may fire on negative evidence alone.
    fn check_rule_evidence<'r>(
        &mut self,
        findings: &[Finding],
        file: &str,
        rules: impl Iterator<Item = &'r Rule>,
    ) {
        let bad: Vec<String> = rules
            .filter(|r| !crate::evidence::needs_positive(&r.when, findings))
            .map(|r| r.meta.id.clone())
            .collect();
        for id in bad {
            self.problem(file, id, "`when` can hold on negative evidence alone (an answer \"no\", a normal or negative result, an untested marker)");
        }
    }

    /// rules/referral.toml: each rule with its specialty and urgency.
    fn referrals(&mut self) -> Option<Vec<ReferralRule>> {
        let file = "rules/referral.toml";
        let parsed: ReferralFile = self.parse(file)?;
        let rules = parsed
            .referral
            .iter()
            .map(|r| {
                let specialty = Specialty::parse(&r.specialty).unwrap_or_else(|| {
                    self.problem(file, &r.id, format!("unknown specialty '{}'", r.specialty));
                    Specialty::GeneralPractice
                });
                let urgency = self.level(file, &r.id, Some(&r.urgency));
                ReferralRule {
                    rule: self.rule(file, r.common()),
                    specialty,
                    urgency,
                }
            })
            .collect();
        Some(rules)
    }

    /// Profiles are not mixed (clinical review F13): every value of a
    /// profile cites a source of that profile's region (or an international
    /// one), or is labelled unverified: Kobalt's own choice.
    fn check_profile_sources(&mut self, profiles: &[Profile]) {
        let mut problems = Vec::new();
        for p in profiles {
            let g = p.guideline;
            let file = format!("profiles/{}.toml", g.as_str());
            let foreign = |sources: &[String], status: Status| {
                status != Status::Unverified
                    && !sources
                        .iter()
                        .any(|s| self.sources.get(s).is_some_and(|s| s.region.serves(g)))
            };
            for limits in p.limits.iter().flatten() {
                let sexes = match limits {
                    LimitsBySex::Any(l) => vec![l],
                    LimitsBySex::BySex { female, male, .. } => vec![female, male],
                };
                for l in sexes {
                    for b in l.bands.iter().filter(|b| foreign(&b.sources, b.status)) {
                        problems.push((file.clone(), format!("{}:{}", l.rule_id, b.band)));
                    }
                }
            }
            let metas = std::iter::once(&p.review.meta)
                .chain(p.regimens.iter().map(|r| &r.meta))
                .chain(p.plans.iter().map(|r| &r.meta));
            for m in metas.filter(|m| foreign(&m.sources, m.status)) {
                problems.push((file.clone(), m.id.clone()));
            }
        }
        for (file, key) in problems {
            self.problem(&file, key, "cites no source of this profile's region; cite one or mark it status = \"unverified\" (Kobalt's choice)");
        }
    }

    /// The message ids the front ends build from a vocabulary (`triage-{level}`,
    /// `band-{band}`, ...) must exist for every identifier, or a reader would
    /// see the id instead of a text.
    fn check_built_messages(&mut self, profiles: &[Profile]) {
        fn ids<T: Copy>(prefix: &str, all: &[T], text: fn(T) -> &'static str) -> Vec<String> {
            all.iter()
                .map(|v| format!("{prefix}{}", text(*v)))
                .collect()
        }
        let bands = profiles
            .iter()
            .flat_map(|p| p.limits.iter().flatten())
            .flat_map(|l| match l {
                LimitsBySex::Any(l) => vec![l],
                LimitsBySex::BySex { female, male, .. } => vec![female, male],
            })
            .flat_map(|l| l.bands.iter().map(|b| format!("band-{}", b.band)));
        let needed: BTreeSet<String> = [
            ids("triage-", TriageLevel::ALL, TriageLevel::as_str),
            ids("report-level-", TriageLevel::ALL, TriageLevel::as_str),
            ids("category-", B12Category::ALL, B12Category::as_str),
            ids("decision-", FollowUpDecision::ALL, FollowUpDecision::as_str),
            ids("phase-", Phase::ALL, Phase::as_str),
            ids("route-", Route::ALL, Route::as_str),
            ids("guideline-", Guideline::ALL, Guideline::as_str),
            ids("band-", QualitativeResult::ALL, QualitativeResult::as_str),
            ids("specialty-", Specialty::ALL, Specialty::as_str),
            // The medicines question names each medicine with examples people
            // recognise (web review D18).
            self.medications
                .ids
                .iter()
                .map(|id| format!("option-medication-{id}"))
                .collect(),
            vec![
                "band-no_limits".to_owned(),
                "band-unknown".to_owned(),
                "band-not_settled".to_owned(),
                "band-not_judged_in_pregnancy".to_owned(),
                "band-not_judged_for_age".to_owned(),
                "flag-before_treatment".to_owned(),
            ],
        ]
        .into_iter()
        .flatten()
        .chain(bands)
        // A plain explanation of every analyte for patients (web review D17).
        .chain(self.analytes.iter().map(|a| format!("gloss-{}", a.id)))
        .collect();
        for id in needed {
            if !self.texts.contains_key(&id) && !self.names.contains_key(&id) {
                self.problem(
                    "locales",
                    id,
                    "message built by the code for a vocabulary is missing",
                );
            }
        }
    }

    /// Every message id the rules use must exist; every message must be used by something.
    fn check_catalogue(&mut self) {
        let known: BTreeSet<String> = self
            .texts
            .keys()
            .chain(self.names.keys())
            .cloned()
            .collect();
        let prefixes = [
            "report-",
            "triage-",
            "specialty-",
            "flag-",
            "band-",
            "category-",
            "decision-",
            "phase-",
            "route-",
            "lifelong-",
            "guideline-",
            "diet-",
            "disclaimer",
            "projection-",
            "option-",
            "web-",
            "cds-",
            "gloss-",
        ];
        let unused: Vec<String> = known
            .iter()
            .filter(|id| {
                !self.used_messages.contains(*id) && !prefixes.iter().any(|p| id.starts_with(p))
            })
            .cloned()
            .collect();
        for id in unused {
            self.problem("locales", id, "message is not used by any knowledge item");
        }
    }

    fn text(&mut self, file: &str, key: &str, message: &str) -> Text {
        self.used_messages.insert(message.to_owned());
        match self.texts.get(message) {
            Some(t) => t.clone(),
            None => {
                self.problem(
                    file,
                    key,
                    format!("text '{message}' is missing in the locales"),
                );
                Text::default()
            }
        }
    }

    fn name(&mut self, file: &str, key: &str, message: &str) -> Text {
        self.used_messages.insert(message.to_owned());
        match self.names.get(message) {
            Some(t) => t.clone(),
            None => {
                self.problem(
                    file,
                    key,
                    format!("name '{message}' is missing in the locales"),
                );
                Text::default()
            }
        }
    }

    fn check_refs(&mut self, file: &str, key: &str, sources: &[String], claims: &[String]) {
        if sources.is_empty() && claims.is_empty() {
            self.problem(
                file,
                key,
                "no source: every rule cites a source id or a seed claim id",
            );
        }
        for s in sources {
            if !self.sources.contains_key(s) {
                self.problem(file, key, format!("unknown source id '{s}'"));
            }
        }
        self.cite_claims(file, key, claims);
    }

    fn cite_claims(&mut self, file: &str, key: &str, claims: &[String]) {
        for c in claims {
            if self.claim_ids.contains(c) {
                self.citations
                    .entry(c.clone())
                    .or_default()
                    .insert(key.to_owned());
            } else {
                self.problem(file, key, format!("unknown claim id '{c}'"));
            }
        }
    }

    /// Every seed claim marked `encode = "yes"` is cited by the knowledge base;
    /// a claim a guideline overrules names the rules that do so, and they cite it.
    fn check_claim_coverage(&mut self, claims: &mut [Claim]) {
        for claim in claims.iter_mut() {
            let cited: Vec<String> = self
                .citations
                .get(&claim.id)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            if claim.encode == "yes" && cited.is_empty() {
                self.problem(
                    "claims.toml",
                    &claim.id,
                    "encode = \"yes\" but no rule, limit, regimen or term cites this claim",
                );
            }
            for rule in &claim.overruled_by {
                if !cited.contains(rule) {
                    self.problem(
                        "claims.toml",
                        &claim.id,
                        format!(
                            "overruled_by names '{rule}', which does not cite this claim (cited by: {})",
                            cited.join(", ")
                        ),
                    );
                }
            }
            claim.cited_by = cited;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn meta(
        &mut self,
        file: &str,
        key: &str,
        id: &str,
        sources: &[String],
        claims: &[String],
        status: Option<Status>,
        derived: bool,
    ) -> Meta {
        self.check_refs(file, key, sources, claims);
        let text = self.text(file, key, &format!("rule-{id}"));
        Meta {
            id: id.to_owned(),
            sources: sources.to_vec(),
            claims: claims.to_vec(),
            status: self.rule_status(status, derived, sources),
            derived,
            text,
        }
    }

    /// A rule's status is the weakest of what it declares and the sources it
    /// cites; a derived rule (a reading of its sources, not their words) is
    /// unverified unless it says otherwise (clinical review F27).
    fn rule_status(&self, declared: Option<Status>, derived: bool, sources: &[String]) -> Status {
        let own = declared.unwrap_or(if derived {
            Status::Unverified
        } else {
            Status::Verified
        });
        sources
            .iter()
            .filter_map(|s| self.sources.get(s))
            .map(|s| s.status)
            .fold(own, Status::max)
    }

    fn rule(&mut self, file: &str, r: RuleCommon<'_>) -> Rule {
        let meta = self.meta(file, r.id, r.id, r.sources, r.claims, r.status, r.derived);
        let when = match r.when {
            Some(w) => self.pred(file, r.id, w),
            None => {
                self.problem(file, r.id, "rule has no `when`");
                Pred::All(vec![])
            }
        };
        let profiles = r
            .profiles
            .iter()
            .filter_map(|p| {
                let g = Guideline::parse(p);
                if g.is_none() {
                    self.problem(file, r.id, format!("unknown profile '{p}'"));
                }
                g
            })
            .collect();
        Rule {
            meta,
            when,
            profiles,
        }
    }

    fn level(&mut self, file: &str, key: &str, level: Option<&str>) -> TriageLevel {
        match level.and_then(TriageLevel::parse) {
            Some(l) => l,
            None => {
                self.problem(
                    file,
                    key,
                    format!("unknown or missing triage level {level:?}"),
                );
                TriageLevel::Routine
            }
        }
    }

    /// FHIR code maps: known systems and sources, identifiers of the vocabulary.
    fn fhir_maps(&mut self, substances: &std::collections::BTreeSet<String>) -> CodeMaps {
        let file = "fhir.toml";
        let Some(f) = self.parse::<FhirFile>(file) else {
            return CodeMaps::default();
        };
        for (alias, source) in &f.source {
            if !self.sources.contains_key(source) {
                self.problem(
                    file,
                    format!("source.{alias}"),
                    format!("unknown source id '{source}'"),
                );
            }
        }
        let (c, m, s, p) = (
            self.conditions.clone(),
            self.medications.clone(),
            self.supplements.clone(),
            self.procedures.clone(),
        );
        for uri in f.unmapped_system.keys() {
            if f.system.values().any(|s| s == uri) || f.system_synonym.contains_key(uri) {
                self.problem(
                    file,
                    format!("unmapped_system.{uri}"),
                    "a system Kobalt maps cannot also be unmapped",
                );
            }
        }
        for (uri, alias) in &f.system_synonym {
            if !f.system.contains_key(alias) {
                self.problem(
                    file,
                    format!("system_synonym.{uri}"),
                    format!("unknown system '{alias}'"),
                );
            }
        }
        let mut rules = |kind: &str,
                         entries: &[CodeEntryFile],
                         known: &dyn Fn(&str) -> bool|
         -> Vec<CodeRule> {
            let mut out = Vec::new();
            for e in entries {
                if !known(&e.id) {
                    self.problem(
                        file,
                        format!("{kind}.{}", e.id),
                        format!("unknown {kind} '{}'", e.id),
                    );
                }
                for c in &e.codes {
                    let Some((alias, code)) = c.split_once('|') else {
                        self.problem(
                            file,
                            format!("{kind}.{}", e.id),
                            format!("'{c}' is not system|code"),
                        );
                        continue;
                    };
                    let (Some(system), Some(source)) = (f.system.get(alias), f.source.get(alias))
                    else {
                        self.problem(
                            file,
                            format!("{kind}.{}", e.id),
                            format!("unknown system '{alias}'"),
                        );
                        continue;
                    };
                    let synonyms = f
                        .system_synonym
                        .iter()
                        .filter(|(_, a)| a.as_str() == alias)
                        .map(|(uri, _)| uri);
                    for system in std::iter::once(system).chain(synonyms) {
                        out.push(CodeRule {
                            system: system.clone(),
                            code: code.to_owned(),
                            prefix: alias.starts_with("icd10") || alias == "atc" || alias == "icpc",
                            id: e.id.clone(),
                            source: source.clone(),
                        });
                    }
                }
            }
            out
        };
        let conditions = rules("condition", &f.condition, &|id| c.get(id).is_some());
        let medications = rules("medication", &f.medication, &|id| m.get(id).is_some());
        let supplements = rules("supplement", &f.supplement, &|id| s.get(id).is_some());
        let procedures = rules("procedure", &f.procedure, &|id| p.get(id).is_some());
        let result_entries: Vec<CodeEntryFile> = f
            .result
            .iter()
            .map(|(id, codes)| CodeEntryFile {
                id: id.clone(),
                codes: codes.clone(),
                names: Vec::new(),
            })
            .collect();
        let results = rules("result", &result_entries, &|id| {
            kobalt_contract::QualitativeResult::parse(id).is_some()
        });
        let orders = rules("order", &f.order, &|id| {
            kobalt_contract::CobalaminForm::parse(id).is_some()
        })
        .into_iter()
        .filter(|r| f.system.values().any(|s| *s == r.system))
        .collect::<Vec<_>>();
        for substance in substances {
            if !orders.iter().any(|r| &r.id == substance) {
                self.problem(
                    file,
                    "order".to_owned(),
                    format!("no order codes for the regimen substance '{substance}'"),
                );
            }
        }
        let medication_names = f
            .medication
            .iter()
            .flat_map(|e| e.names.iter().map(|n| (n.to_lowercase(), e.id.clone())))
            .collect();
        CodeMaps {
            status: f.status,
            lab_window_days: f.prefetch.lab_window_days,
            lab_count: f.prefetch.lab_count,
            conditions,
            medications,
            medication_names,
            unmapped_systems: f.unmapped_system.clone(),
            supplements,
            procedures,
            results,
            orders,
        }
    }

    /// The interview: kinds, fields and options that the engine and the
    /// contract know, texts in both languages.
    fn interview(&mut self) -> Vec<Question> {
        let file = "interview.toml";
        let Some(parsed) = self.parse::<InterviewFile>(file) else {
            return Vec::new();
        };
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for q in parsed.question {
            let key = q.id.clone();
            if !seen.insert(q.id.clone()) {
                self.problem(file, &key, "duplicate question id");
            }
            self.check_refs(file, &key, &q.sources, &q.claims);
            let Some(kind) = question_kind(&q.kind) else {
                self.problem(file, &key, format!("unknown kind '{}'", q.kind));
                continue;
            };
            let field = q.field.clone().unwrap_or_else(|| "/symptoms".to_owned());
            let mut options = q.options.clone();
            match kind {
                QuestionKind::Symptoms => {
                    self.vocab_ids(file, &key, "symptom", &options);
                }
                QuestionKind::List => match q.vocabulary.as_deref() {
                    Some(v @ ("supplement" | "medication" | "condition" | "procedure")) => {
                        let vocab = match v {
                            "supplement" => &self.supplements,
                            "medication" => &self.medications,
                            "condition" => &self.conditions,
                            _ => &self.procedures,
                        };
                        // `options` give the asking order (most used first, say);
                        // they name every item, or one would never be asked.
                        if options.is_empty() {
                            options = vocab.ids.clone();
                        } else {
                            let absent: Vec<String> = vocab
                                .ids
                                .iter()
                                .filter(|id| !options.contains(id))
                                .cloned()
                                .collect();
                            let kind = v.to_owned();
                            self.vocab_ids(file, &key, &kind, &options);
                            for id in absent {
                                self.problem(
                                    file,
                                    &key,
                                    format!("the options leave out the {kind} '{id}'"),
                                );
                            }
                            let mut seen = BTreeSet::new();
                            for o in &options {
                                if !seen.insert(o) {
                                    self.problem(file, &key, format!("option '{o}' listed twice"));
                                }
                            }
                        }
                    }
                    other => self.problem(
                        file,
                        &key,
                        format!("a list needs vocabulary supplement, medication, condition or procedure, not {other:?}"),
                    ),
                },
                QuestionKind::Years => {
                    self.vocab_ids(file, &key, "medication", &options);
                }
                QuestionKind::Exposure => {
                    if let Some(e) = &q.exposure {
                        self.vocab_ids(file, &key, "exposure", std::slice::from_ref(e));
                    } else {
                        self.problem(file, &key, "an exposure question names its exposure");
                    }
                    for o in &options {
                        if kobalt_contract::ExposurePattern::parse(o).is_none() {
                            self.problem(file, &key, format!("unknown exposure pattern '{o}'"));
                        }
                    }
                }
                QuestionKind::Course => {
                    for o in &options {
                        if kobalt_contract::Course::parse(o).is_none() {
                            self.problem(file, &key, format!("unknown course '{o}'"));
                        }
                    }
                }
                QuestionKind::Duration => {
                    for o in &options {
                        if o.parse::<f64>().map_or(true, |w| !(0.0..=6600.0).contains(&w)) {
                            self.problem(file, &key, format!("a duration option is a number of weeks, not '{o}'"));
                        }
                    }
                }
                QuestionKind::Labs => {
                    for o in &options {
                        if self.analyte_ref(file, &key, o).is_none() {
                            // analyte_ref reports the problem
                        }
                    }
                }
                QuestionKind::Choice => {
                    let known = |o: &str| match field.as_str() {
                        "/person/sex" => kobalt_contract::Sex::parse(o).is_some(),
                        "/diet" => kobalt_contract::Diet::parse(o).is_some(),
                        _ => false,
                    };
                    for o in &options {
                        if !known(o) {
                            self.problem(file, &key, format!("'{o}' is not a value of {field}"));
                        }
                    }
                }
                QuestionKind::Number | QuestionKind::YesNo => {}
            }
            let course = q.course.as_deref().and_then(|c| {
                let parsed = kobalt_contract::Course::parse(c);
                if parsed.is_none() {
                    self.problem(file, &key, format!("unknown course '{c}'"));
                }
                parsed
            });
            let when = q.when.as_ref();
            let when_sex = when
                .map(|w| {
                    w.sex
                        .iter()
                        .filter_map(|s| kobalt_contract::Sex::parse(s))
                        .collect()
                })
                .unwrap_or_default();
            if (q.other || q.unknown) && kind != QuestionKind::List {
                self.problem(
                    file,
                    &key,
                    "only a list offers 'other' and 'unknown' as boxes of their own",
                );
            }
            let other = q
                .other
                .then(|| self.text(file, &key, &format!("option-other-{}", q.id)));
            let text = self.text(file, &key, &format!("question-{}", q.id));
            let why = self.text(file, &key, &format!("why-{}", q.id));
            out.push(Question {
                id: q.id,
                kind,
                field,
                options,
                other,
                unknown: q.unknown,
                red_flag: q.red_flag,
                course,
                exposure: q.exposure,
                min: q.min,
                max: q.max,
                when_sex,
                when_age_min: when.and_then(|w| w.age_min),
                when_age_max: when.and_then(|w| w.age_max),
                text,
                why,
                sources: q.sources,
            });
        }
        out
    }

    /// The body-store model's parameters: valid for the model, every source in the register.
    fn kinetics(&mut self) -> kobalt_kinetics::ParamSet {
        let file = "kinetics.toml";
        let text = self.files.get(file).copied().unwrap_or_default();
        match kobalt_kinetics::ParamSet::from_toml(text) {
            Ok(set) => {
                let unknown: Vec<(String, String)> = set
                    .cited_sources()
                    .filter(|(_, s)| !self.sources.contains_key(*s))
                    .map(|(k, s)| (k, s.to_owned()))
                    .collect();
                for (key, source) in unknown {
                    self.problem(file, key, format!("unknown source id '{source}'"));
                }
                for (name, c) in &set.conditions {
                    for item in &c.from {
                        let known = match item.split_once(':') {
                            Some(("condition", id)) => self.conditions.get(id).is_some(),
                            Some(("procedure", id)) => self.procedures.get(id).is_some(),
                            Some(("medication", id)) => self.medications.get(id).is_some(),
                            _ => false,
                        };
                        if !known {
                            self.problem(
                                file,
                                format!("condition.{name}.from"),
                                format!("'{item}' is not a known condition:, procedure: or medication: id"),
                            );
                        }
                    }
                }
                set
            }
            Err(kobalt_kinetics::KineticsError::Invalid(problems)) => {
                for p in problems {
                    let (key, problem) = p.split_once(": ").unwrap_or(("", &p));
                    self.problem(file, key, problem);
                }
                empty_kinetics()
            }
            Err(e) => {
                self.problem(file, "", e.to_string());
                empty_kinetics()
            }
        }
    }

    /// The findings and analytes the engine names, each resolved once.
    fn engine_ids(&mut self) -> EngineIds {
        let findings = std::mem::take(&mut self.finding_index);
        let mut finding = |id: &str| self.required(&findings, "findings.toml", "finding", id);
        let (any_b12_symptom, nitrous_oxide_use, pregnant, kidney_disease) = (
            finding("any_b12_symptom"),
            finding("nitrous_oxide_use"),
            finding("pregnant"),
            finding("kidney_disease"),
        );
        let (
            ifab_positive,
            on_b12_replacement,
            presenting_complaint,
            autoimmune_gastritis_established,
        ) = (
            finding("ifab_positive"),
            finding("on_b12_replacement"),
            finding("presenting_complaint"),
            finding("autoimmune_gastritis_established"),
        );
        let child = finding("child");
        let plant_based_no_supplement = finding("plant_based_no_supplement");
        self.finding_index = findings;
        let analytes = std::mem::take(&mut self.analyte_index);
        let mut analyte = |id: &str| self.required(&analytes, "analytes.toml", "analyte", id);
        let ids = EngineIds {
            any_b12_symptom,
            nitrous_oxide_use,
            pregnant,
            kidney_disease,
            ifab_positive,
            on_b12_replacement,
            presenting_complaint,
            child,
            plant_based_no_supplement,
            autoimmune_gastritis_established,
            b12_total: analyte("b12_total"),
            holotranscobalamin: analyte("holotranscobalamin"),
            mma: analyte("mma"),
            homocysteine: analyte("homocysteine"),
            haemoglobin: analyte("haemoglobin"),
            mcv: analyte("mcv"),
        };
        self.analyte_index = analytes;
        ids
    }

    /// An id the engine's code names: its index, or a problem naming file and key (and 0, as
    /// the load fails anyway).
    fn required<T: Copy + Default>(
        &mut self,
        index: &HashMap<String, T>,
        file: &str,
        kind: &str,
        id: &str,
    ) -> T {
        index.get(id).copied().unwrap_or_else(|| {
            let problem = format!("{kind} required by the engine is missing");
            self.problem(file, format!("{kind}.{id}"), problem);
            T::default()
        })
    }

    fn plausible(&mut self, p: &PlausibleFile) -> Plausible {
        let mut range = |key: &str, [min, max]: [f64; 2]| {
            if !(min.is_finite() && max.is_finite() && min <= max) {
                self.problem(
                    "manifest.toml",
                    format!("plausible.{key}"),
                    "a range is [min, max] with min <= max",
                );
            }
            Range { min, max }
        };
        Plausible {
            age_years: range("age_years", p.age_years),
            gestation_weeks: range("gestation_weeks", p.gestation_weeks),
            weeks: range("weeks", p.weeks),
            years: range("years", p.years),
            dose_ug: range("dose_ug", p.dose_ug),
            dose_mg: range("dose_mg", p.dose_mg),
            dose_mg_per_day: range("dose_mg_per_day", p.dose_mg_per_day),
            every: range("every", p.every),
            evaluation_year_min: p.evaluation_year_min,
        }
    }

    fn values(&mut self, manifest: &ManifestFile) -> Values {
        let mut get = |id: &str| -> ConfiguredValue {
            match manifest.values.get(id) {
                Some(v) => {
                    self.check_refs(
                        "manifest.toml",
                        &format!("values.{id}"),
                        &v.sources,
                        &v.claims,
                    );
                    ConfiguredValue {
                        id: id.to_owned(),
                        value: v.value,
                        status: v.status,
                        sources: v.sources.clone(),
                        note: v.note.clone(),
                    }
                }
                None => {
                    self.problem("manifest.toml", format!("values.{id}"), "missing");
                    ConfiguredValue {
                        id: id.to_owned(),
                        value: 0.0,
                        status: Status::Unverified,
                        sources: vec![],
                        note: None,
                    }
                }
            }
        };
        Values {
            long_term_medication_years: get("long_term_medication_years"),
            b6_upper_level_mg_per_day: get("b6_upper_level_mg_per_day"),
            clear_cause_score: get("clear_cause_score"),
        }
    }

    fn vocabulary(&mut self, kind: &str, terms: &BTreeMap<String, TermFile>) -> Vocabulary {
        let mut v = Vocabulary::default();
        for (idx, (id, term)) in terms.iter().enumerate() {
            let key = format!("{kind}.{id}");
            self.cite_claims("vocabulary.toml", &key, &term.claims);
            v.ids.push(id.clone());
            v.names
                .push(self.name("vocabulary.toml", &key, &format!("{kind}-{id}")));
            v.claims.push(term.claims.clone());
            v.index.insert(id.clone(), idx as u16);
            for g in &term.groups {
                v.groups.entry(g.clone()).or_default().push(idx as u16);
            }
        }
        v
    }

    fn analytes(&mut self, file: AnalytesFile) {
        let path = "analytes.toml";
        for (idx, (id, a)) in file.analyte.into_iter().enumerate() {
            let key = format!("analyte.{id}");
            let name = self.name(path, &key, &format!("analyte-{id}"));
            let mut units = Vec::new();
            let mut conversion_unverified = false;
            if let Some(canonical) = &a.canonical_unit {
                let canonical_unit = kobalt_units::parse(canonical);
                let conversions: Vec<(kobalt_units::Unit, f64)> = a
                    .conversions
                    .iter()
                    .filter_map(|c| {
                        self.check_refs(path, &key, &c.sources, &[]);
                        conversion_unverified |= c.status == Status::Unverified;
                        let unit = kobalt_units::parse(&c.unit).ok()?;
                        if !a.units.contains(&c.unit) {
                            self.problem(
                                path,
                                &key,
                                format!(
                                    "conversion for '{}' which is not an accepted unit",
                                    c.unit
                                ),
                            );
                        }
                        Some((unit, c.factor))
                    })
                    .collect();
                if !a.units.contains(canonical) {
                    self.problem(
                        path,
                        &key,
                        format!("canonical unit '{canonical}' is not among the accepted units"),
                    );
                }
                for unit_text in &a.units {
                    let norm = kobalt_units::normalize(unit_text);
                    if units.iter().any(|(n, _, _)| *n == norm) {
                        self.problem(path, &key, format!("unit '{unit_text}' is listed twice (spellings compare without case)"));
                    }
                    let factor = match (kobalt_units::parse(unit_text), &canonical_unit) {
                        (Ok(unit), Ok(canon)) => kobalt_units::factor(&unit, canon).or_else(|| {
                            conversions
                                .iter()
                                .find_map(|(cu, f)| kobalt_units::factor(&unit, cu).map(|r| r * f))
                        }),
                        _ => None,
                    };
                    match factor {
                        Some(f) => units.push((norm, unit_text.clone(), f)),
                        None => self.problem(
                            path,
                            &key,
                            format!("unit '{unit_text}' has no conversion to '{canonical}'"),
                        ),
                    }
                }
            } else if !a.units.is_empty() {
                self.problem(path, &key, "units without a canonical unit");
            }
            if a.canonical_unit.is_none() && !a.qualitative {
                self.problem(
                    path,
                    &key,
                    "an analyte is quantitative (canonical unit) or qualitative or both",
                );
            }
            let plausible = a.plausible.as_ref().map(|r| (r.min, r.max));
            if let Some((min, max)) = plausible
                && min.partial_cmp(&max) != Some(std::cmp::Ordering::Less)
            {
                self.problem(path, &key, "plausible.min must be below plausible.max");
            }
            self.analyte_index.insert(id.clone(), idx as AnalyteId);
            self.analytes.push(Analyte {
                id,
                name,
                loinc: a.loinc,
                loinc_unverified: a.loinc_unverified,
                canonical_unit: a.canonical_unit,
                units,
                plausible,
                qualitative: a.qualitative,
                conversion_unverified,
                age_dependent: a.age_dependent,
                query_above: a.query_above,
            });
        }
    }

    fn analyte_ref(&mut self, file: &str, key: &str, id: &str) -> Option<AnalyteId> {
        let found = self.analyte_index.get(id).copied();
        if found.is_none() {
            self.problem(file, key, format!("unknown analyte '{id}'"));
        }
        found
    }

    /// A cause or differential; its id must be one of the contract's (`parse`).
    fn scored<Id>(
        &mut self,
        file: &str,
        kind: &str,
        s: &ScoredFile,
        parse: fn(&str) -> Option<Id>,
    ) -> Option<Scored<Id>> {
        let key = format!("{kind}.{}", s.id);
        let Some(id) = parse(&s.id) else {
            self.problem(
                file,
                &key,
                format!("'{}' is not a {kind} identifier of the contract", s.id),
            );
            return None;
        };
        self.check_refs(file, &key, &s.sources, &s.claims);
        let message = format!("{kind}-{}", s.id);
        let text = self.text(file, &key, &message);
        let name = self.name(file, &key, &message);
        let meta = Meta {
            id: format!("{kind}_{}", s.id),
            sources: s.sources.clone(),
            claims: s.claims.clone(),
            status: self.rule_status(s.status, false, &s.sources),
            derived: false,
            text,
        };
        let mut evidence = |items: &[EvidenceFile]| -> Vec<Evidence> {
            items
                .iter()
                .filter_map(|e| {
                    if e.weight <= 0 {
                        self.problem(
                            file,
                            &key,
                            format!("weight of '{}' must be positive", e.finding),
                        );
                    }
                    let finding = self.finding_ref(file, &key, &e.finding)?;
                    Some(Evidence {
                        finding,
                        weight: e.weight,
                    })
                })
                .collect()
        };
        let supporting = evidence(&s.supporting);
        let against = evidence(&s.against);
        let requires = self.pred(file, &key, &s.requires);
        let tests = s
            .tests
            .iter()
            .filter_map(|a| self.analyte_ref(file, &key, a))
            .collect();
        Some(Scored {
            id,
            meta,
            name,
            requires,
            tests,
            supporting,
            against,
        })
    }

    fn finding_ref(&mut self, file: &str, key: &str, id: &str) -> Option<usize> {
        let found = self.finding_index.get(id).copied();
        if found.is_none() {
            self.problem(file, key, format!("unknown finding '{id}'"));
        }
        found
    }

    fn check_finding_cycles(&mut self, findings: &[Finding]) {
        fn reaches(findings: &[Finding], from: usize, target: usize, depth: usize) -> bool {
            if depth > findings.len() {
                return true;
            }
            let mut hit = false;
            findings[from].when.visit(&mut |p| {
                if let Pred::Finding(next) = p {
                    hit |= *next == target || reaches(findings, *next, target, depth + 1);
                }
            });
            hit
        }
        for (idx, f) in findings.iter().enumerate() {
            if reaches(findings, idx, idx, 0) {
                self.problem(
                    "findings.toml",
                    format!("finding.{}", f.id),
                    "finding refers to itself",
                );
            }
        }
    }

    /// The symptoms a predicate depends on, through findings too. Each finding
    /// is visited once, so a cycle (reported by `check_finding_cycles`) ends.
    fn collect_symptoms(
        pred: &Pred,
        findings: &[Finding],
        seen: &mut BTreeSet<usize>,
        out: &mut BTreeSet<u16>,
    ) {
        pred.visit(&mut |p| match p {
            Pred::Symptom { ids, .. } => out.extend(ids.iter().copied()),
            Pred::Finding(f) if seen.insert(*f) => {
                Self::collect_symptoms(&findings[*f].when, findings, seen, out)
            }
            _ => {}
        });
    }

    fn vocab_ids(&mut self, file: &str, key: &str, kind: &str, ids: &[String]) -> Vec<u16> {
        let vocab = match kind {
            "symptom" => &self.symptoms,
            "condition" => &self.conditions,
            "medication" => &self.medications,
            "procedure" => &self.procedures,
            "exposure" => &self.exposures,
            _ => &self.supplements,
        };
        let (found, missing): (Vec<_>, Vec<_>) = ids
            .iter()
            .map(|id| (id, vocab.get(id)))
            .partition(|(_, i)| i.is_some());
        for (id, _) in missing {
            self.problem(file, key, format!("unknown {kind} '{id}'"));
        }
        found.into_iter().filter_map(|(_, i)| i).collect()
    }

    fn vocab_group(&mut self, file: &str, key: &str, kind: &str, group: &str) -> Vec<u16> {
        let vocab = match kind {
            "symptom" => &self.symptoms,
            "condition" => &self.conditions,
            "medication" => &self.medications,
            _ => &self.procedures,
        };
        match vocab.groups.get(group) {
            Some(ids) => ids.clone(),
            None => {
                self.problem(file, key, format!("unknown {kind} group '{group}'"));
                Vec::new()
            }
        }
    }

    fn parse_list<T>(
        &mut self,
        file: &str,
        key: &str,
        what: &str,
        items: &[String],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Vec<T> {
        items
            .iter()
            .filter_map(|s| {
                let v = parse(s);
                if v.is_none() {
                    self.problem(file, key, format!("unknown {what} '{s}'"));
                }
                v
            })
            .collect()
    }

    fn pred(&mut self, file: &str, key: &str, w: &WhenFile) -> Pred {
        let mut parts = Vec::new();
        if let Some(all) = &w.all {
            parts.push(Pred::All(
                all.iter().map(|p| self.pred(file, key, p)).collect(),
            ));
        }
        if let Some(any) = &w.any {
            parts.push(Pred::Any(
                any.iter().map(|p| self.pred(file, key, p)).collect(),
            ));
        }
        if let Some(not) = &w.not {
            parts.push(Pred::Not(Box::new(self.pred(file, key, not))));
        }
        if let Some(a) = &w.offered
            && let Some(idx) = self.analyte_ref(file, key, a)
        {
            parts.push(Pred::Offered(idx));
        }
        if let Some(b) = w.tests_offered {
            parts.push(Pred::TestsOffered(b));
        }
        if let Some(f) = &w.finding
            && let Some(idx) = self.finding_ref(file, key, f)
        {
            parts.push(Pred::Finding(idx));
        }
        let mut symptom_ids: Option<Vec<u16>> = None;
        if let Some(s) = &w.symptom {
            symptom_ids = Some(self.vocab_ids(file, key, "symptom", std::slice::from_ref(s)));
        }
        if let Some(list) = &w.symptom_any {
            symptom_ids = Some(self.vocab_ids(file, key, "symptom", list));
        }
        if let Some(g) = &w.symptom_group {
            symptom_ids = Some(self.vocab_group(file, key, "symptom", g));
        }
        let course = w.course.as_ref().map(|list| {
            self.parse_list(file, key, "course", list, |s| match s {
                "unknown" => Some(CourseFilter::Unknown),
                other => Course::parse(other).map(CourseFilter::Is),
            })
        });
        let severity = w
            .severity
            .as_ref()
            .map(|list| self.parse_list(file, key, "severity", list, Severity::parse));
        match symptom_ids {
            Some(ids) => parts.push(Pred::Symptom {
                ids,
                course,
                severity,
                min_weeks: w.min_weeks,
            }),
            None if course.is_some() || severity.is_some() || w.min_weeks.is_some() => self
                .problem(
                    file,
                    key,
                    "course, severity and min_weeks go with a symptom key",
                ),
            None => {}
        }
        if let Some(s) = &w.absent
            && let Some(&id) = self
                .vocab_ids(file, key, "symptom", std::slice::from_ref(s))
                .first()
        {
            parts.push(Pred::Absent(id));
        }
        if let Some(list) = &w.none_present {
            parts.push(Pred::NonePresent(
                self.vocab_ids(file, key, "symptom", list),
            ));
        }
        if let Some(list) = &w.diet {
            parts.push(Pred::Diet(self.parse_list(
                file,
                key,
                "diet",
                list,
                Diet::parse,
            )));
        }
        if let Some(list) = &w.supplement_any {
            parts.push(Pred::SupplementAny {
                ids: self.vocab_ids(file, key, "supplement", list),
                min_daily_mg: w.min_daily_mg,
            });
        } else if w.min_daily_mg.is_some() {
            self.problem(file, key, "min_daily_mg goes with supplement_any");
        }
        if let Some(list) = &w.supplement_none {
            parts.push(Pred::SupplementNone(self.vocab_ids(
                file,
                key,
                "supplement",
                list,
            )));
        }
        let long_term = w.long_term.unwrap_or(false);
        if let Some(m) = &w.medication {
            parts.push(Pred::Medication {
                ids: self.vocab_ids(file, key, "medication", std::slice::from_ref(m)),
                long_term,
            });
        }
        if let Some(g) = &w.medication_group {
            parts.push(Pred::Medication {
                ids: self.vocab_group(file, key, "medication", g),
                long_term,
            });
        }
        if w.long_term.is_some() && w.medication.is_none() && w.medication_group.is_none() {
            self.problem(file, key, "long_term goes with a medication key");
        }
        if let Some(c) = &w.condition {
            parts.push(Pred::Condition(self.vocab_ids(
                file,
                key,
                "condition",
                std::slice::from_ref(c),
            )));
        }
        if let Some(list) = &w.condition_any {
            parts.push(Pred::Condition(self.vocab_ids(
                file,
                key,
                "condition",
                list,
            )));
        }
        if let Some(g) = &w.condition_group {
            parts.push(Pred::Condition(self.vocab_group(file, key, "condition", g)));
        }
        if let Some(list) = &w.procedure_any {
            parts.push(Pred::Procedure(self.vocab_ids(
                file,
                key,
                "procedure",
                list,
            )));
        }
        if let Some(g) = &w.procedure_group {
            parts.push(Pred::Procedure(self.vocab_group(file, key, "procedure", g)));
        }
        if let Some(e) = &w.exposure {
            let ids = self.vocab_ids(file, key, "exposure", std::slice::from_ref(e));
            let patterns = w.pattern.as_ref().map(|list| {
                self.parse_list(
                    file,
                    key,
                    "exposure pattern",
                    list,
                    kobalt_contract::ExposurePattern::parse,
                )
            });
            parts.push(Pred::Exposure { ids, patterns });
        } else if w.pattern.is_some() {
            self.problem(file, key, "`pattern` needs `exposure`");
        }
        if let Some(v) = w.age_min {
            parts.push(Pred::AgeMin(v));
        }
        if let Some(v) = w.age_max {
            parts.push(Pred::AgeMax(v));
        }
        if let Some(list) = &w.sex {
            parts.push(Pred::Sex(self.parse_list(
                file,
                key,
                "sex",
                list,
                Sex::parse,
            )));
        }
        if let Some(v) = w.pregnant {
            parts.push(Pred::Pregnant(v));
        }
        if let Some(v) = w.breastfeeding {
            parts.push(Pred::Breastfeeding(v));
        }
        match (&w.lab, &w.band, &w.result) {
            (Some(lab), band, result) => {
                if let Some(analyte) = self.analyte_ref(file, key, lab) {
                    if let Some(bands) = band {
                        self.band_uses.push((
                            file.to_owned(),
                            key.to_owned(),
                            analyte,
                            bands.clone(),
                        ));
                        parts.push(Pred::LabBand {
                            analyte,
                            bands: bands.clone(),
                        });
                    }
                    if let Some(results) = result {
                        let results =
                            self.parse_list(file, key, "result", results, QualitativeResult::parse);
                        parts.push(Pred::LabResult { analyte, results });
                    }
                    if band.is_none() && result.is_none() {
                        self.problem(file, key, "lab needs band or result");
                    }
                }
            }
            (None, Some(_), _) | (None, _, Some(_)) => {
                self.problem(file, key, "band and result go with lab")
            }
            (None, None, None) => {}
        }
        if let Some(a) = &w.tested
            && let Some(id) = self.analyte_ref(file, key, a)
        {
            parts.push(Pred::Tested(id));
        }
        if let Some(a) = &w.untested
            && let Some(id) = self.analyte_ref(file, key, a)
        {
            parts.push(Pred::Untested(id));
        }
        if let Some(list) = &w.b12_status {
            parts.push(Pred::B12Status(self.parse_list(
                file,
                key,
                "B12 category",
                list,
                B12Category::parse,
            )));
        }
        let cause_index = self.cause_index.clone();
        let cause_of = |s: &str| cause_index.get(s).copied();
        if let Some(list) = &w.leading_cause {
            parts.push(Pred::LeadingCause(
                self.parse_list(file, key, "cause", list, cause_of),
            ));
        }
        if let Some(list) = &w.leading_cause_not {
            parts.push(Pred::LeadingCauseNot(
                self.parse_list(file, key, "cause", list, cause_of),
            ));
        }
        if w.no_clear_cause == Some(true) {
            parts.push(Pred::NoClearCause);
        }
        if let Some(list) = &w.treatment_route {
            parts.push(Pred::TreatmentRoute(self.parse_list(
                file,
                key,
                "route",
                list,
                Route::parse,
            )));
        }
        if let Some(list) = &w.planned_route {
            let routes = self.parse_list(file, key, "route", list, Route::parse);
            parts.push(Pred::PlannedRoute {
                routes,
                min_dose_ug: w.planned_min_dose_ug,
            });
        } else if w.planned_min_dose_ug.is_some() {
            self.problem(file, key, "`planned_min_dose_ug` needs `planned_route`");
        }
        if let Some(list) = &w.treatment_response {
            let parsed = self.parse_list(file, key, "response", list, |s| match s {
                "unknown" => Some(None),
                other => TreatmentResponse::parse(other).map(Some),
            });
            parts.push(Pred::TreatmentResponse(parsed));
        }
        if let Some(v) = w.treatment_judgeable {
            parts.push(Pred::TreatmentJudgeable(v));
        }
        if let Some(v) = w.treatment_min_weeks {
            parts.push(Pred::TreatmentMinWeeks(v));
        }
        let pred = match parts.len() {
            0 => {
                self.problem(file, key, "empty condition");
                Pred::All(vec![])
            }
            1 => parts.pop().unwrap_or(Pred::All(vec![])),
            _ => Pred::All(parts),
        };
        if w.unknown_counts == Some(true) {
            Pred::UnknownCounts(Box::new(pred))
        } else {
            pred
        }
    }

    fn bands(
        &mut self,
        file: &str,
        key: &str,
        bands: &[BandFile],
        factor: f64,
        status: Status,
        sources: &[String],
    ) -> Vec<Band> {
        if bands.is_empty() {
            self.problem(file, key, "no bands");
            return Vec::new();
        }
        let mut out: Vec<Band> = Vec::new();
        let mut names = BTreeSet::new();
        let mut limits = BTreeSet::new();
        for (idx, b) in bands.iter().enumerate() {
            let bkey = format!("{key}[{idx}] ({})", b.band);
            if !names.insert(b.band.clone()) {
                self.problem(file, &bkey, "band name used twice");
            }
            if let Some(l) = &b.limit
                && !limits.insert(l.clone())
            {
                self.problem(file, &bkey, format!("limit name '{l}' used twice"));
            }
            if !b.sources.is_empty() || !b.claims.is_empty() {
                self.check_refs(file, &bkey, &b.sources, &b.claims);
            }
            match (idx, b.from) {
                (0, Some(_)) => self.problem(
                    file,
                    &bkey,
                    "the first band starts at the bottom (no `from`)",
                ),
                (i, None) if i > 0 => self.problem(file, &bkey, "band has no `from`"),
                _ => {}
            }
            if idx + 1 == bands.len() {
                if b.to.is_some() {
                    self.problem(file, &bkey, "the last band is open-ended (no `to`)");
                }
            } else if b.to.is_none() {
                self.problem(file, &bkey, "band has no `to`");
            }
            if let (Some(from), Some(to)) = (b.from, b.to)
                && from.partial_cmp(&to) != Some(std::cmp::Ordering::Less)
            {
                self.problem(file, &bkey, format!("from {from} is not below to {to}"));
            }
            if let (Some(prev), Some(from)) =
                (bands.get(idx.wrapping_sub(1)).filter(|_| idx > 0), b.from)
                && let Some(prev_to) = prev.to
            {
                if from > prev_to {
                    self.problem(file, &bkey, format!("gap between {prev_to} and {from}"));
                } else if from < prev_to {
                    self.problem(
                        file,
                        &bkey,
                        format!(
                            "overlap: starts at {from} but the previous band runs to {prev_to}"
                        ),
                    );
                }
            }
            let mut band_sources = sources.to_vec();
            band_sources.extend(b.sources.iter().cloned());
            let band_status =
                self.rule_status(Some(b.status.unwrap_or(status)), false, &band_sources);
            out.push(Band {
                kind: BandKind::parse(&b.band),
                band: b.band.clone(),
                from: b.from.map(|v| v * factor),
                to: b.to.map(|v| v * factor),
                to_inclusive: b.to_inclusive,
                limit: b.limit.clone(),
                status: band_status,
                sources: band_sources,
            });
        }
        out
    }

    fn limits(&mut self, file: &str, analyte_id: &str, l: &LimitsFile) -> Option<LimitsBySex> {
        let key = format!("limits.{analyte_id}");
        let analyte = self.analyte_ref(file, &key, analyte_id)?;
        self.check_refs(file, &key, &l.sources, &l.claims);
        let factor = match self.analytes[analyte as usize].factor(&l.unit) {
            Some(f) => f,
            None => {
                self.problem(
                    file,
                    &key,
                    format!("unit '{}' is not an accepted unit of {analyte_id}", l.unit),
                );
                return None;
            }
        };
        let precision = |bands: &[BandFile]| {
            (factor == 1.0).then(|| {
                let decimals = l
                    .decimals
                    .unwrap_or_else(|| {
                        bands
                            .iter()
                            .filter_map(|b| b.to)
                            .map(crate::model::decimals_of)
                            .max()
                            .unwrap_or(0)
                    })
                    .min(6);
                10f64.powi(decimals as i32)
            })
        };
        let mut build = |bands: &[BandFile], sub: &str| Limits {
            analyte,
            rule_id: format!("limits_{analyte_id}"),
            precision: precision(bands),
            bands: self.bands(
                file,
                &format!("{key}{sub}.bands"),
                bands,
                factor,
                l.status,
                &l.sources,
            ),
            sources: l.sources.clone(),
            status: l.status,
        };
        match (&l.bands, &l.female, &l.male) {
            (Some(bands), None, None) => Some(LimitsBySex::Any(build(bands, ""))),
            (None, Some(f), Some(m)) => {
                let female = build(&f.bands, ".female");
                let male = build(&m.bands, ".male");
                let unknown_as_male = match l.unknown_sex.as_deref() {
                    Some("male") => true,
                    Some("female") => false,
                    other => {
                        self.problem(
                            file,
                            &key,
                            format!("unknown_sex must be male or female, got {other:?}"),
                        );
                        true
                    }
                };
                Some(LimitsBySex::BySex {
                    female,
                    male,
                    unknown_as_male,
                })
            }
            _ => {
                self.problem(file, &key, "give either bands, or female and male bands");
                None
            }
        }
    }

    /// The bands of the analytes the status logic reads must each mean a `BandKind`.
    fn check_band_kinds(
        &mut self,
        file: &str,
        analyte_id: &str,
        idx: AnalyteId,
        limits: &LimitsBySex,
    ) {
        let banded = self.ids.is_some_and(|i| i.banded_analytes().contains(&idx));
        if !banded {
            return;
        }
        let all = match limits {
            LimitsBySex::Any(l) => vec![l],
            LimitsBySex::BySex { female, male, .. } => vec![female, male],
        };
        for band in all.iter().flat_map(|l| &l.bands) {
            if band.kind.is_none() {
                let known: Vec<&str> = BandKind::ALL.iter().map(|k| k.as_str()).collect();
                self.problem(
                    file,
                    format!("limits.{analyte_id}"),
                    format!(
                        "band '{}' is not one the status logic knows ({})",
                        band.band,
                        known.join(", ")
                    ),
                );
            }
        }
    }

    /// Every band name a rule uses is a band of its analyte in some profile.
    fn check_band_uses(&mut self, profiles: &[Profile]) {
        for (file, key, analyte, names) in std::mem::take(&mut self.band_uses) {
            let defined: BTreeSet<&str> = profiles
                .iter()
                .filter_map(|p| p.limits[analyte as usize].as_ref())
                .flat_map(|l| match l {
                    LimitsBySex::Any(l) => vec![l],
                    LimitsBySex::BySex { female, male, .. } => vec![female, male],
                })
                .flat_map(|l| l.bands.iter().map(|b| b.band.as_str()))
                .collect();
            for name in names.iter().filter(|n| !defined.contains(n.as_str())) {
                let id = &self.analytes[analyte as usize].id;
                let problem = format!("{id} has no band '{name}' in any profile");
                self.problem(&file, key.clone(), problem);
            }
        }
    }

    fn profile(&mut self, guideline: Guideline, p: &ProfileFile, common: &ProfileFile) -> Profile {
        let file = format!("profiles/{}.toml", guideline.as_str());
        let file = file.as_str();
        if p.id.as_deref() != Some(guideline.as_str()) {
            self.problem(
                file,
                "id",
                format!("expected id = \"{}\"", guideline.as_str()),
            );
        }
        let mut limits: Vec<Option<LimitsBySex>> = vec![None; self.analytes.len()];
        for (source_file, table) in [("profiles/common.toml", common), (file, p)] {
            for (analyte_id, l) in &table.limits {
                if let Some(compiled) = self.limits(source_file, analyte_id, l) {
                    let idx = match &compiled {
                        LimitsBySex::Any(x) => x.analyte,
                        LimitsBySex::BySex { female, .. } => female.analyte,
                    };
                    self.check_band_kinds(source_file, analyte_id, idx, &compiled);
                    limits[idx as usize] = Some(compiled);
                }
            }
        }
        let markers = self
            .ids
            .map(|i| [i.b12_total, i.holotranscobalamin, i.mma, i.homocysteine]);
        for idx in markers.into_iter().flatten() {
            if limits[idx as usize].is_none() {
                let id = self.analytes[idx as usize].id.clone();
                self.problem(
                    file,
                    format!("limits.{id}"),
                    "limits required by the engine are missing",
                );
            }
        }
        let review = match &p.review {
            Some(r) => Review {
                weeks: r.weeks,
                weeks_pregnant: r.weeks_pregnant,
                judge_response_after_weeks: r.judge_response_after_weeks,
                meta: {
                    self.check_refs(file, "review", &r.sources, &r.claims);
                    Meta {
                        id: format!("review_{}", guideline.as_str()),
                        sources: r.sources.clone(),
                        claims: r.claims.clone(),
                        status: self.rule_status(Some(r.status), false, &r.sources),
                        derived: false,
                        text: Text::default(),
                    }
                },
            },
            None => {
                self.problem(file, "review", "missing");
                Review {
                    weeks: 0.0,
                    weeks_pregnant: 0.0,
                    judge_response_after_weeks: 0.0,
                    meta: self.meta(file, "review", "review", &[], &[], None, false),
                }
            }
        };
        let mut regimen_index = HashMap::new();
        let mut regimens = Vec::new();
        for (id, r) in &p.regimen {
            let key = format!("regimen.{id}");
            self.check_refs(file, &key, &r.sources, &r.claims);
            let route = Route::parse(&r.route).unwrap_or_else(|| {
                self.problem(file, &key, format!("unknown route '{}'", r.route));
                Route::Oral
            });
            let phase = Phase::parse(&r.phase).unwrap_or_else(|| {
                self.problem(file, &key, format!("unknown phase '{}'", r.phase));
                Phase::Treatment
            });
            if !matches!(r.per.as_str(), "day" | "week" | "month") {
                self.problem(
                    file,
                    &key,
                    format!("per must be day, week or month, got '{}'", r.per),
                );
            }
            if !(r.dose_ug > 0.0 && r.every > 0.0 && r.times > 0.0) {
                self.problem(file, &key, "dose_ug, times and every must be positive");
            }
            let text = self.text(file, &key, &format!("regimen-{id}"));
            regimen_index.insert(id.clone(), regimens.len());
            regimens.push(Regimen {
                meta: Meta {
                    id: id.clone(),
                    sources: r.sources.clone(),
                    claims: r.claims.clone(),
                    status: self.rule_status(Some(r.status), false, &r.sources),
                    derived: false,
                    text,
                },
                substance: r.substance.clone(),
                route,
                dose_ug: r.dose_ug,
                dose_ug_max: r.dose_ug_max,
                times: r.times,
                every: r.every,
                every_max: r.every_max,
                per: r.per.clone(),
                doses: r.doses,
                phase,
            });
        }
        let plans = p
            .plan
            .iter()
            .map(|plan| {
                let key = format!("plan.{}", plan.id);
                self.check_refs(file, &key, &plan.sources, &plan.claims);
                let purpose = match plan.purpose.as_str() {
                    "deficiency" => PlanPurpose::Deficiency,
                    "trial" => PlanPurpose::Trial,
                    "prevention" => PlanPurpose::Prevention,
                    other => {
                        self.problem(
                            file,
                            &key,
                            format!("`for` must be deficiency, trial or prevention, got '{other}'"),
                        );
                        PlanPurpose::Deficiency
                    }
                };
                let when = plan.when.as_ref().map(|w| self.pred(file, &key, w));
                let regimens = plan
                    .regimens
                    .iter()
                    .filter_map(|r| {
                        let idx = regimen_index.get(r).copied();
                        if idx.is_none() {
                            self.problem(file, &key, format!("unknown regimen '{r}'"));
                        }
                        idx
                    })
                    .collect();
                Plan {
                    meta: Meta {
                        id: plan.id.clone(),
                        sources: plan.sources.clone(),
                        claims: plan.claims.clone(),
                        status: self.rule_status(plan.status, plan.derived, &plan.sources),
                        derived: plan.derived,
                        text: Text::default(),
                    },
                    purpose,
                    when,
                    regimens,
                    children: plan.children,
                }
            })
            .collect::<Vec<_>>();
        for purpose in [PlanPurpose::Deficiency, PlanPurpose::Trial] {
            if !plans
                .iter()
                .any(|p: &Plan| p.purpose == purpose && p.when.is_none())
            {
                self.problem(
                    file,
                    "plan",
                    format!("needs a {purpose:?} plan without `when` as the fallback"),
                );
            }
        }
        let pregnancy = p.pregnancy.as_ref().map(|preg| self.pregnancy(file, preg));
        Profile {
            guideline,
            limits,
            review,
            regimens,
            plans,
            pregnancy,
        }
    }

    /// `[pregnancy]`: haemoglobin limits per trimester, keyed `trimester_1` .. `trimester_3`.
    fn pregnancy(&mut self, file: &str, p: &PregnancyFile) -> PregnancyLimits {
        let mut haemoglobin: [Option<Limits>; 3] = [None, None, None];
        for (key, l) in &p.haemoglobin {
            let slot = ["trimester_1", "trimester_2", "trimester_3"]
                .iter()
                .position(|t| t == key);
            let Some(slot) = slot else {
                self.problem(
                    file,
                    format!("pregnancy.haemoglobin.{key}"),
                    "expected trimester_1, trimester_2 or trimester_3",
                );
                continue;
            };
            match self.limits(file, "haemoglobin", l) {
                Some(LimitsBySex::Any(mut limits)) => {
                    limits.rule_id = format!("limits_haemoglobin_pregnancy_{key}");
                    haemoglobin[slot] = Some(limits);
                }
                Some(_) => self.problem(
                    file,
                    format!("pregnancy.haemoglobin.{key}"),
                    "limits in pregnancy are not by sex",
                ),
                None => {}
            }
        }
        PregnancyLimits {
            trimester_starts: p.trimester_starts,
            haemoglobin,
        }
    }
}

fn empty_kinetics() -> kobalt_kinetics::ParamSet {
    kobalt_kinetics::ParamSet {
        params: Default::default(),
        conditions: Default::default(),
        diets: Default::default(),
    }
}
