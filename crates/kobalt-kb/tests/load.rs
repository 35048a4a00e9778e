//! The bundled knowledge base loads, and broken variants fail with precise
//! problems (file, key, problem): one edit of the bundled files per case.

use kobalt_kb::{LoadError, Problem};

fn bundled() -> kobalt_kb::Knowledge {
    match kobalt_kb::bundled() {
        Ok(k) => k,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn bundled_knowledge_loads() {
    let k = bundled();
    assert_eq!(k.sha256.len(), 64);
    assert!(!k.version.is_empty());
}

#[test]
fn every_yes_claim_is_cited_and_overrulings_cite_what_they_overrule() {
    let k = bundled();
    let uncovered: Vec<&str> = k
        .claims
        .iter()
        .filter(|c| c.encode == "yes" && c.cited_by.is_empty())
        .map(|c| c.id.as_str())
        .collect();
    assert!(uncovered.is_empty(), "uncited yes-claims: {uncovered:?}");
    for c in k.claims.iter().filter(|c| !c.overruled_by.is_empty()) {
        for rule in &c.overruled_by {
            assert!(c.cited_by.contains(rule), "{}: {rule}", c.id);
        }
        assert!(c.note.is_some(), "{}: an overruling says why", c.id);
    }
}

#[test]
fn the_hash_changes_with_the_content() {
    let files = kobalt_kb::bundled_files();
    let edited = edit(files, "manifest.toml", "# ", "#  ");
    let a = bundled();
    let b = load(&edited).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(a.sha256, b.sha256);
}

/// `(file, find, replace, expected file, expected key, expected problem fragment)`
const BROKEN: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "rules/triage.toml",
        "sources = [\"BRISDOC\"]",
        "sources = [\"NO-SUCH-SOURCE\"]",
        "rules/triage.toml",
        "triage_soon_pregnancy",
        "unknown source id 'NO-SUCH-SOURCE'",
    ),
    (
        "rules/triage.toml",
        "claims = [\"C124\", \"C071\", \"C072\"]",
        "claims = [\"C999\"]",
        "rules/triage.toml",
        "triage_routine_symptoms",
        "unknown claim id 'C999'",
    ),
    (
        "rules/triage.toml",
        "when = { symptom = \"incontinence\" }",
        "when = { symptom = \"incontinance\" }",
        "rules/triage.toml",
        "triage_incontinence",
        "unknown symptom 'incontinance'",
    ),
    (
        "rules/causes.toml",
        "{ finding = \"nitrous_oxide_use\", weight = 8 }",
        "{ finding = \"laughing_gas\", weight = 8 }",
        "rules/causes.toml",
        "nitrous_oxide",
        "unknown finding 'laughing_gas'",
    ),
    (
        "rules/tests.toml",
        "id = \"test_mma_grey_zone\"\nanalytes = [\"mma\"]",
        "id = \"test_mma_grey_zone\"\nanalytes = [\"mmaa\"]",
        "rules/tests.toml",
        "test_mma_grey_zone",
        "unknown analyte 'mmaa'",
    ),
    (
        "locales/nl/rules.ftl",
        "rule-triage_incontinence =",
        "rule-triage_incontinence_removed =",
        "locales/nl",
        "rule-triage_incontinence",
        "exists in English but not in Dutch",
    ),
    (
        "profiles/nhg.toml",
        "{ band = \"low_normal\", from = 148, to = 260",
        "{ band = \"low_normal\", from = 150, to = 260",
        "profiles/nhg.toml",
        "limits.b12_total",
        "gap between 148 and 150",
    ),
    (
        "profiles/nhg.toml",
        "{ band = \"low_normal\", from = 148, to = 260",
        "{ band = \"low_normal\", from = 140, to = 260",
        "profiles/nhg.toml",
        "limits.b12_total",
        "overlap",
    ),
    (
        "analytes.toml",
        "conversions = [{ unit = \"pg/mL\", factor = 0.7378, sources = [\"MIRACUM\", \"SEMWIKI\"] }]",
        "",
        "analytes.toml",
        "b12_total",
        "pg/mL",
    ),
    (
        "claims.toml",
        "overruled_by = [\"triage_soon_risk_medication\"]",
        "overruled_by = [\"triage_palpitations\"]",
        "claims.toml",
        "C123",
        "overruled_by names 'triage_palpitations'",
    ),
    (
        "vocabulary.toml",
        "[symptom.muscle_wasting]\ngroups = [\"muscular\"]\nclaims = [\"C052\"]",
        "[symptom.muscle_wasting]\ngroups = [\"muscular\"]",
        "claims.toml",
        "C052",
        "no rule, limit, regimen or term cites this claim",
    ),
    (
        "rules/warnings.toml",
        "id = \"b6_above_upper_level\"",
        "id = \"b6_above_upper_level\"\nseverity = \"high\"",
        "rules/warnings.toml",
        "",
        "unknown field `severity`",
    ),
    (
        "kinetics.toml",
        "sources = [\"ROYSTON-1988\"]",
        "sources = [\"ROYSTON-1989\"]",
        "kinetics.toml",
        "param.k_in",
        "unknown source id 'ROYSTON-1989'",
    ),
    (
        "kinetics.toml",
        "value = 0.70\nlow = 0.6",
        "value = 0.90\nlow = 0.6",
        "kinetics.toml",
        "param.f0",
        "outside its range",
    ),
    // code.md B1.2: a finding that refers to itself is a load error, not a stack overflow.
    (
        "findings.toml",
        "[finding.pregnant]\nwhen = { pregnant = true }",
        "[finding.pregnant]\nwhen = { finding = \"pregnant\" }",
        "findings.toml",
        "finding.pregnant",
        "finding refers to itself",
    ),
    // code.md B1.3: a band name a rule uses must be a band of the analyte.
    (
        "findings.toml",
        "band = [\"severe_low\"]",
        "band = [\"sever_low\"]",
        "findings.toml",
        "finding.severe_anaemia",
        "haemoglobin has no band 'sever_low'",
    ),
    // code.md B1.4: a finding the engine names is resolved at load.
    (
        "findings.toml",
        "[finding.kidney_disease]",
        "[finding.renal_disease]",
        "findings.toml",
        "kidney_disease",
        "finding required by the engine is missing",
    ),
    // code.md B1.4: the B12 markers' bands must mean something to the status logic.
    (
        "profiles/nhg.toml",
        "{ band = \"raised\", from = 0.45, limit = \"high\" }",
        "{ band = \"elevated\", from = 0.45, limit = \"high\" }",
        "profiles/nhg.toml",
        "limits.mma",
        "band 'elevated' is not one the status logic knows",
    ),
    // code.md B1.5: each rule file has its own fields; a triage level on a warning is an error.
    (
        "rules/warnings.toml",
        "id = \"b6_above_upper_level\"\n",
        "id = \"b6_above_upper_level\"\nlevel = \"emergency\"\n",
        "rules/warnings.toml",
        "",
        "unknown field `level`",
    ),
    // One spelling per identifier: a cause is one of the contract's.
    (
        "rules/causes.toml",
        "id = \"inherited_disorder\"",
        "id = \"genetic_disorder\"",
        "rules/causes.toml",
        "cause.genetic_disorder",
        "not a cause identifier of the contract",
    ),
    // Clinical review F01/F07: a cause needs its necessary condition, and it
    // must be positive evidence, not an answer "no".
    (
        "rules/causes.toml",
        "id = \"nitrous_oxide\"\nrequires = { finding = \"nitrous_oxide_use\" }\n",
        "id = \"nitrous_oxide\"\n",
        "rules/causes.toml",
        "",
        "missing field `requires`",
    ),
    (
        "rules/causes.toml",
        "requires = { finding = \"nitrous_oxide_use\" }",
        "requires = { any = [{ finding = \"nitrous_oxide_use\" }, { finding = \"no_neuropathic_symptoms\" }] }",
        "rules/causes.toml",
        "cause.nitrous_oxide",
        "`requires` can hold on negative evidence alone",
    ),
    (
        "rules/differential.toml",
        "  { finding = \"bone_pain\", weight = 2 },",
        "  { finding = \"bone_pain\", weight = 2 },\n  { finding = \"no_neuropathic_symptoms\", weight = 1 },",
        "rules/differential.toml",
        "differential.vitamin_d_deficiency",
        "supporting finding 'no_neuropathic_symptoms' is negative evidence",
    ),
    (
        "rules/tests.toml",
        "{ untested = \"holotranscobalamin\" }, { finding = \"nhg_test_indication\" }] }",
        "{ untested = \"holotranscobalamin\" }] }",
        "rules/tests.toml",
        "test_first_b12_nhg",
        "`when` can hold on negative evidence alone",
    ),
    // Clinical review F13: profiles are not mixed; a value under nhg cites a Dutch or international
    // source, or is labelled unverified.
    (
        "profiles/nhg.toml",
        "[limits.holotranscobalamin]\nunit = \"pmol/L\"\nsources = [\"NHG-LESA-2018\"]",
        "[limits.holotranscobalamin]\nunit = \"pmol/L\"\nsources = [\"NG239\"]",
        "profiles/nhg.toml",
        "limits_holotranscobalamin:low",
        "cites no source of this profile's region",
    ),
    (
        "sources.toml",
        "kind = \"primary\"\nregion = \"uk\"",
        "kind = \"primary\"\nregion = \"scotland\"",
        "sources.toml",
        "",
        "unknown variant `scotland`",
    ),
    (
        "manifest.toml",
        "age_years = [0, 125]",
        "age_years = [125, 0]",
        "manifest.toml",
        "plausible.age_years",
        "min <= max",
    ),
    // Web review D18: the medicines question lists its options in asking
    // order (most used first); leaving one out would hide it from everyone.
    (
        "interview.toml",
        "\"primidone\", \"phenobarbital\"]",
        "\"primidone\"]",
        "interview.toml",
        "medications",
        "phenobarbital",
    ),
];

#[test]
fn each_broken_variant_fails_with_file_key_and_problem() {
    let files = kobalt_kb::bundled_files();
    let mut failures = Vec::new();
    for (file, find, replace, want_file, want_key, want_problem) in BROKEN {
        let edited = edit(files, file, find, replace);
        let problems = match load(&edited) {
            Ok(_) => panic!("{file}: replacing {find:?} should fail to load"),
            Err(LoadError::Invalid(p)) => p,
            Err(e) => panic!("{file}: unexpected {e}"),
        };
        let hit = problems.iter().any(|p: &Problem| {
            p.file == *want_file
                && (want_key.is_empty() || p.key.contains(want_key))
                && p.problem.contains(want_problem)
        });
        if !hit {
            failures.push(format!(
                "{file}: expected {want_file}: {want_key}: …{want_problem}…, got:\n{}",
                problems
                    .iter()
                    .map(|p| format!("  {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn edit(
    files: &[(&'static str, &'static str)],
    file: &str,
    find: &str,
    replace: &str,
) -> Vec<(String, String)> {
    let mut found = false;
    let edited = files
        .iter()
        .map(|(path, text)| {
            if *path == file {
                found = text.contains(find);
                ((*path).to_owned(), text.replacen(find, replace, 1))
            } else {
                ((*path).to_owned(), (*text).to_owned())
            }
        })
        .collect();
    assert!(found, "{file} does not contain {find:?}");
    edited
}

fn load(files: &[(String, String)]) -> Result<kobalt_kb::Knowledge, LoadError> {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    kobalt_kb::load_files(&refs)
}

/// code.md B3.21: a message the code builds from a vocabulary must exist, or a
/// reader sees `band-no_limits` instead of a text.
#[test]
fn a_message_the_code_builds_is_required() {
    let files = kobalt_kb::bundled_files();
    let edited = edit(
        files,
        "locales/en/report.ftl",
        "band-no_limits =",
        "band-nolimits =",
    );
    let edited: Vec<(String, String)> = edited
        .into_iter()
        .map(|(p, t)| {
            if p == "locales/nl/report.ftl" {
                let t = t.replacen("band-no_limits =", "band-nolimits =", 1);
                (p, t)
            } else {
                (p, t)
            }
        })
        .collect();
    match load(&edited) {
        Err(LoadError::Invalid(problems)) => assert!(
            problems
                .iter()
                .any(|p| p.key == "band-no_limits" && p.problem.contains("missing")),
            "{problems:?}"
        ),
        other => panic!("expected a load error, got {:?}", other.map(|_| ())),
    }
}

/// Clinical review F27: a rule's status is the weakest of its own and its
/// sources'; a derived rule is unverified unless it says otherwise.
#[test]
fn derived_rules_and_rules_citing_weak_sources_are_unverified() {
    let kb = bundled();
    let triage = |id: &str| {
        kb.triage
            .iter()
            .find(|t| t.rule.meta.id == id)
            .unwrap_or_else(|| panic!("no triage rule {id}"))
    };
    for id in [
        "triage_palpitations",
        "triage_pregnancy_suspected_deficiency",
        "triage_severe_anaemia",
    ] {
        assert!(triage(id).rule.meta.derived, "{id} is derived");
        assert_eq!(
            triage(id).rule.meta.status,
            kobalt_kb::Status::Unverified,
            "{id}"
        );
    }
    // A source the register marks unverified (a translation site) makes its rule unverified.
    assert_eq!(
        kb.sources["CLIN-TEXT"].status,
        kobalt_kb::Status::Unverified
    );
    let citing = kb
        .checks
        .iter()
        .chain(kb.decisions.iter().map(|d| &d.rule))
        .filter(|r| r.meta.sources.iter().any(|s| s == "CLIN-TEXT"))
        .collect::<Vec<_>>();
    assert!(!citing.is_empty(), "some follow-up rule cites CLIN-TEXT");
    for r in citing {
        assert_eq!(
            r.meta.status,
            kobalt_kb::Status::Unverified,
            "{}",
            r.meta.id
        );
    }
}

/// interop.md B.2: a result reported only as a bound is an interval; it lies in
/// one band when the bound settles every limit. NHG total B12 (nhg.toml): low
/// below 148, grey zone 148 to 260 inclusive, normal up to 1000, high from 1000.
#[test]
fn a_bound_lies_in_the_bands_its_interval_reaches() {
    use kobalt_contract::{Comparator::*, Guideline, Sex};
    let kb = bundled();
    let b12 = kb.analyte("b12_total").expect("b12_total") as usize;
    let limits = kb.profile(Guideline::Nhg).limits[b12]
        .as_ref()
        .expect("NHG limits for B12")
        .for_sex(Sex::Unknown)
        .0;
    let names = |c, v| -> Vec<String> {
        limits
            .bands_within(c, v)
            .iter()
            .map(|b| b.band.clone())
            .collect()
    };
    assert_eq!(names(Below, 111.0), ["low"]);
    assert_eq!(names(Below, 148.0), ["low"]);
    assert_eq!(names(AtMost, 148.0), ["low", "low_normal"]);
    assert_eq!(names(Below, 300.0), ["low", "low_normal", "normal"]);
    assert_eq!(names(Above, 260.0), ["normal", "high"]);
    assert_eq!(names(AtLeast, 260.0), ["low_normal", "normal", "high"]);
    assert_eq!(names(Above, 1476.0), ["high"]);
    assert_eq!(names(AtLeast, 1000.0), ["high"]);
    assert_eq!(names(Below, 0.0), ["low"]);
}
