//! The stages of one assessment, in this order: labs → status → triage →
//! causes and differential → tests → treatment → follow-up → referral →
//! warnings. Each stage takes the knowledge base, the case, the evaluation
//! context (`Ctx`, from the status stage on), the collector `Out` and the
//! typed outputs of earlier stages, and returns its own typed output.

use std::collections::BTreeSet;

use kobalt_contract::{Audience, Guideline, Language, Reason, TriageLevel};
use kobalt_kb::{Knowledge, Meta, Rule, Status};

use crate::case::Case;
use crate::eval::Ctx;

pub(crate) mod causes;
pub(crate) mod followup;
pub(crate) mod labs;
pub(crate) mod next_tests;
pub(crate) mod referral;
pub(crate) mod status;
pub(crate) mod treatment;
pub(crate) mod triage;
pub(crate) mod warnings;

/// What the stages collect besides their outputs: the trace (rules in firing
/// order), the sources cited and the unverified values used.
pub(crate) struct Out<'a> {
    pub(crate) kb: &'a Knowledge,
    guideline: Guideline,
    pub(crate) language: Language,
    pub(crate) audience: Audience,
    pub(crate) trace: Vec<String>,
    pub(crate) sources: BTreeSet<String>,
    pub(crate) unverified: Vec<String>,
}

impl<'a> Out<'a> {
    pub(crate) fn new(kb: &'a Knowledge, case: &Case) -> Self {
        Out {
            kb,
            guideline: case.guideline,
            language: case.language,
            audience: case.audience,
            trace: Vec::new(),
            sources: BTreeSet::new(),
            unverified: Vec::new(),
        }
    }

    /// Records a rule as fired; returns its text and sources.
    pub(crate) fn fire(&mut self, meta: &'a Meta) -> (String, Vec<String>) {
        self.trace.push(meta.id.clone());
        let sources = self.cite(&meta.id, &meta.sources, meta.status);
        (
            meta.text.get(self.language, self.audience).to_owned(),
            sources,
        )
    }

    /// The sources of a rule or value as this profile cites them: only those
    /// of the profile's region (and international ones). With none of those,
    /// the rule is Kobalt's own choice under this profile and is labelled
    /// unverified, like a rule whose status is unverified (clinical review F13).
    pub(crate) fn cite(&mut self, id: &str, sources: &[String], status: Status) -> Vec<String> {
        let (sources, served) = self.kb.sources_for(sources, self.guideline);
        if status == Status::Unverified || !served {
            self.unverified.push(id.to_owned());
        }
        self.sources.extend(sources.iter().cloned());
        sources
    }
}

/// Fires every applicable rule that holds: its reason goes to `reasons`, its text is returned.
pub(crate) fn fire_rules<'a>(
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
    rules: &'a [Rule],
    level: TriageLevel,
    reasons: &mut Vec<Reason>,
) -> Vec<String> {
    let mut texts = Vec::new();
    for rule in rules {
        if rule.applies_to(ctx.case.guideline) && ctx.holds(&rule.when) {
            let r = reason(out, &rule.meta, level);
            texts.push(r.text.clone());
            reasons.push(r);
        }
    }
    texts
}

pub(crate) fn reason<'a>(out: &mut Out<'a>, meta: &'a Meta, level: TriageLevel) -> Reason {
    let (text, sources) = out.fire(meta);
    Reason {
        rule: meta.id.clone(),
        level,
        text,
        sources,
        derived: meta.derived,
    }
}

pub(crate) fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// The texts of findings, in order.
pub(crate) fn texts(
    kb: &Knowledge,
    findings: &[usize],
    language: Language,
    audience: Audience,
) -> Vec<String> {
    findings
        .iter()
        .map(|f| kb.findings[*f].text.get(language, audience).to_owned())
        .collect()
}

/// Helpers for the stages' unit tests: cases built by the public `validate`
/// path over the bundled knowledge base, and the stages run up to a point.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::LazyLock;

    use kobalt_contract::{B12Status, Triage};
    use kobalt_kb::Knowledge;

    use super::Out;
    use crate::case::Case;
    use crate::eval::Ctx;

    static KB: LazyLock<Knowledge> =
        LazyLock::new(|| kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}")));

    pub(crate) fn kb() -> &'static Knowledge {
        &KB
    }

    /// A case from the request's JSON (contract v1), validated as `assess` does.
    pub(crate) fn case(request: serde_json::Value) -> Case {
        let request = kobalt_contract::parse_request(&request.to_string())
            .unwrap_or_else(|e| panic!("{e:?}"));
        crate::validate(kb(), &request, jiff::civil::date(2026, 11, 22))
            .unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// The collector and context after the labs and status stages.
    pub(crate) fn after_status(case: &Case) -> (Out<'_>, Ctx<'_>, B12Status) {
        let kb = kb();
        let mut out = Out::new(kb, case);
        let labs = super::labs::labs(kb, case, &mut out);
        let mut ctx = Ctx::new(kb, case, kb.profile(case.guideline), labs.bands);
        let status =
            super::status::status(kb, case, &mut ctx, &mut out, labs.markers, &labs.between);
        (out, ctx, status)
    }

    /// As `after_status`, and the triage.
    pub(crate) fn after_triage(case: &Case) -> (Out<'_>, Ctx<'_>, B12Status, Triage) {
        let (mut out, mut ctx, status) = after_status(case);
        let triage = super::triage::triage(kb(), case, &mut ctx, &mut out);
        (out, ctx, status, triage.triage)
    }
}
