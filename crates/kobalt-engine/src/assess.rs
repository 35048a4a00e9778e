//! One assessment: the stages of `crate::stages` in order (labs, B12 status,
//! triage, causes and differential, next tests, treatment, follow-up,
//! referral, warnings), assembled into the contract's `Assessment`.

use std::collections::BTreeSet;

use kobalt_contract::*;
use kobalt_kb::Knowledge;

use crate::case::Case;
use crate::eval::Ctx;
use crate::stages::{self, Out};

/// Assesses a validated case.
pub fn evaluate(kb: &Knowledge, case: &Case) -> Assessment {
    let (language, audience) = (case.language, case.audience);
    let mut out = Out::new(kb, case);
    let labs = stages::labs::labs(kb, case, &mut out);
    let mut ctx = Ctx::new(kb, case, kb.profile(case.guideline), labs.bands);
    let b12_status =
        stages::status::status(kb, case, &mut ctx, &mut out, labs.markers, &labs.between);
    let triage = stages::triage::triage(kb, case, &mut ctx, &mut out);
    let level = triage.triage.level;
    let causes = stages::causes::causes(kb, &mut ctx, &mut out);
    let next_tests =
        stages::next_tests::next_tests(kb, case, &mut ctx, &mut out, &causes.differential_rows);
    let treatment =
        stages::treatment::treatment(kb, case, &mut ctx, &mut out, b12_status.category, level);
    let follow_up =
        stages::followup::follow_up(kb, case, &mut ctx, &mut out, treatment.recommended, level);
    let referral = stages::referral::referral(kb, case, &mut ctx, &mut out);
    let warnings = stages::warnings::warnings(kb, case, &mut ctx, &mut out);
    let (missing_information, missing_information_text) =
        missing_information(kb, case, &triage.unasked, &next_tests);
    Assessment {
        schema: ASSESSMENT_SCHEMA.to_owned(),
        engine_version: crate::ENGINE_VERSION.to_owned(),
        knowledge: KnowledgeRef {
            version: kb.version.clone(),
            sha256: kb.sha256.clone(),
        },
        guideline: case.guideline,
        language,
        audience,
        evaluation_date: case.evaluation_date.to_string(),
        triage: triage.triage,
        b12_status,
        causes: causes.causes,
        risk_factors: causes.risk_factors,
        differential: causes.differential,
        next_tests,
        treatment,
        follow_up,
        referral,
        warnings,
        projection: None,
        missing_information,
        missing_information_text,
        sources: out
            .sources
            .iter()
            .filter_map(|id| source_ref(kb, id))
            .collect(),
        trace: out.trace,
        disclaimer: kb.message("disclaimer", language, audience).to_owned(),
    }
}

/// What would help, ids and texts: unasked red-flag symptoms, the next tests,
/// the start of a treatment under way, and absent lists (unknown, not "none").
fn missing_information(
    kb: &Knowledge,
    case: &Case,
    unasked: &BTreeSet<u16>,
    next_tests: &[NextTest],
) -> (Vec<String>, Vec<String>) {
    let (language, audience) = (case.language, case.audience);
    let mut ids = Vec::new();
    let mut texts = Vec::new();
    for s in unasked {
        ids.push(format!("symptom:{}", kb.symptoms.ids[*s as usize]));
        texts.push(
            kb.symptoms.names[*s as usize]
                .get(language, audience)
                .to_owned(),
        );
    }
    for t in next_tests {
        ids.push(format!("lab:{}", t.analyte));
        texts.push(t.name.clone());
    }
    if case.treatment.as_ref().is_some_and(|t| t.started.is_none()) {
        ids.push("treatment.started".to_owned());
        texts.push(
            kb.message("report-treatment", language, audience)
                .to_owned(),
        );
    }
    for (field, unknown) in [
        ("diet", case.diet.is_none()),
        ("supplements", case.supplements.is_none()),
        ("medications", case.medications.is_none()),
    ] {
        if unknown {
            ids.push(field.to_owned());
            texts.push(
                kb.message(&format!("report-missing-{field}"), language, audience)
                    .to_owned(),
            );
        }
    }
    (ids, texts)
}

/// A source of the register as the assessment lists it.
pub(crate) fn source_ref(kb: &Knowledge, id: &str) -> Option<SourceRef> {
    kb.sources.get(id).map(|s| SourceRef {
        id: s.id.clone(),
        title: s.title.clone(),
        year: s.year,
        url: s.url.clone(),
        kind: s.kind.clone(),
    })
}
