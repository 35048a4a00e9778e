//! Stage 5, next tests: the test rules in file order, then, for a person with
//! a presenting complaint, each listed differential's own untested analytes.
//! An analyte is offered once; the offered ones are recorded in `ctx.derived`.

use kobalt_contract::NextTest;
use kobalt_kb::Knowledge;

use super::Out;
use super::causes::ScoredRow;
use crate::case::Case;
use crate::eval::{Ctx, Tri};

pub(crate) fn next_tests<'a>(
    kb: &'a Knowledge,
    case: &Case,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
    differential_rows: &[ScoredRow],
) -> Vec<NextTest> {
    let mut next_tests: Vec<NextTest> = Vec::new();
    let mut offered = vec![false; kb.analytes.len()];
    // B12 is never a next test during replacement (G1: "Controles van de vitamine-B12-spiegel
    // tijdens de behandeling ... weinig zinvol"; clinical review F06): mark as already offered.
    if ctx.finding(kb.ids.on_b12_replacement) == Tri::True {
        offered[kb.ids.b12_total as usize] = true;
        offered[kb.ids.holotranscobalamin as usize] = true;
    }
    for t in &kb.tests {
        if !t.rule.applies_to(case.guideline) {
            continue;
        }
        let todo: Vec<_> = t
            .analytes
            .iter()
            .filter(|a| case.labs[**a as usize].is_none() && !offered[**a as usize])
            .collect();
        if todo.is_empty() || !ctx.holds(&t.rule.when) {
            continue;
        }
        let (why, sources) = out.fire(&t.rule.meta);
        for a in todo {
            offered[*a as usize] = true;
            next_tests.push(NextTest {
                analyte: kb.analytes[*a as usize].id.clone(),
                name: analyte_name(kb, out, *a),
                why: why.clone(),
                rule: t.rule.meta.id.clone(),
                sources: sources.clone(),
            });
        }
    }
    // No differential tests for people without complaints (clinical review F07).
    if ctx.finding(kb.ids.presenting_complaint) == Tri::True {
        for (idx, ..) in differential_rows {
            differential_tests(kb, case, out, *idx, &mut offered, &mut next_tests);
        }
    }
    ctx.derived.offered = next_tests
        .iter()
        .filter_map(|t| kb.analyte_index.get(&t.analyte).copied())
        .collect();
    next_tests
}

/// The untested analytes a listed differential names; these fire no rule.
fn differential_tests(
    kb: &Knowledge,
    case: &Case,
    out: &Out<'_>,
    idx: usize,
    offered: &mut [bool],
    next_tests: &mut Vec<NextTest>,
) {
    let (language, audience) = (out.language, out.audience);
    let d = &kb.differentials[idx];
    for a in &d.tests {
        if case.labs[*a as usize].is_none() && !offered[*a as usize] {
            offered[*a as usize] = true;
            next_tests.push(NextTest {
                analyte: kb.analytes[*a as usize].id.clone(),
                name: analyte_name(kb, out, *a),
                why: format!(
                    "{} ({})",
                    kb.differential_test_text.get(language, audience),
                    d.name.get(language, audience)
                ),
                rule: d.meta.id.clone(),
                sources: kb.sources_for(&d.meta.sources, case.guideline).0,
            });
        }
    }
}

fn analyte_name(kb: &Knowledge, out: &Out<'_>, a: u16) -> String {
    kb.analytes[a as usize]
        .name
        .get(out.language, out.audience)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::stages::causes::causes;
    use crate::stages::testing::{after_triage, case, kb};

    fn run(request: serde_json::Value) -> Vec<NextTest> {
        let case = case(request);
        let (mut out, mut ctx, ..) = after_triage(&case);
        let c = causes(kb(), &mut ctx, &mut out);
        next_tests(kb(), &case, &mut ctx, &mut out, &c.differential_rows)
    }

    #[test]
    fn a_grey_zone_b12_with_paraesthesia_offers_mma() {
        let tests = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 66, "sex": "male" },
            "symptoms": [{ "id": "paresthesia", "present": true, "weeks": 20, "course": "gradual" }],
            "labs": [{ "analyte": "b12_total", "value": 200, "unit": "pmol/L" }],
        }));
        let mma = tests.iter().find(|t| t.analyte == "mma");
        let mma = mma.unwrap_or_else(|| panic!("mma not offered: {tests:?}"));
        assert_eq!(mma.rule, "test_mma_grey_zone");
        assert!(!tests.iter().any(|t| t.analyte == "b12_total"), "measured");
        let mut analytes: Vec<_> = tests.iter().map(|t| &t.analyte).collect();
        analytes.dedup();
        assert_eq!(analytes.len(), tests.len(), "offered once each");
    }

    #[test]
    fn a_normal_b12_without_symptoms_offers_no_mma() {
        let tests = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 40, "sex": "male" },
            "labs": [{ "analyte": "b12_total", "value": 400, "unit": "pmol/L" }],
        }));
        assert!(!tests.iter().any(|t| t.analyte == "mma"), "{tests:?}");
    }

    #[test]
    fn no_differential_tests_without_complaints() {
        // Clinical review F07 / P29: a healthy person with every symptom denied gets no tests.
        let tests = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 30, "sex": "male" },
            "symptoms": [
                { "id": "paresthesia", "present": false },
                { "id": "muscle_weakness", "present": false },
                { "id": "fatigue", "present": false },
            ],
            "medications": [{ "id": "statin" }],
        }));
        assert!(tests.is_empty(), "{tests:?}");
    }

    #[test]
    fn known_autoimmune_gastritis_is_not_retested_for_ifab() {
        // Clinical review F26 / P40; BSH-2014 G17.
        let tests = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 60, "sex": "female" },
            "conditions": [{ "id": "autoimmune_gastritis" }],
            "symptoms": [{ "id": "numbness", "present": true, "weeks": 10, "course": "gradual" }],
            "labs": [{ "analyte": "b12_total", "value": 70, "unit": "pmol/L" }],
        }));
        assert!(
            !tests
                .iter()
                .any(|t| t.analyte == "intrinsic_factor_antibody"),
            "{tests:?}"
        );
    }
}
