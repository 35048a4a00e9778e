//! Every shared vignette expressed as a FHIR Bundle gives the same assessment
//! as its contract request (skipped when `KOBALT_SHARED_DIR` or `../shared` is
//! absent); fixtures with mixed units and codes; what is not used is named in
//! the OperationOutcome.

use std::sync::LazyLock;

use kobalt_kb::Knowledge;
use serde_json::{Value, json};

static KB: LazyLock<Knowledge> =
    LazyLock::new(|| kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}")));

/// The shared folder (vignettes): `KOBALT_SHARED_DIR`, else `../shared` next
/// to the workspace; `None` when it is absent (a clone stands alone).
fn shared_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("KOBALT_SHARED_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        std::path::PathBuf::from,
    );
    dir.is_dir().then_some(dir)
}

fn date(s: &str) -> jiff::civil::Date {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The first code of a map for an identifier, as a CodeableConcept.
fn concept(rules: &[kobalt_kb::CodeRule], id: &str) -> Value {
    let r = rules
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no code for {id}"));
    json!({ "coding": [{ "system": r.system, "code": r.code }] })
}

/// A contract request as the FHIR resources an EHR (and Kobalt's questionnaire) would send.
fn bundle(req: &Value, today: jiff::civil::Date) -> Value {
    let mut entries = Vec::new();
    let age = req["person"]["age_years"].as_f64().unwrap_or(40.0);
    let birth = today
        .checked_sub(jiff::Span::new().years(age as i64))
        .unwrap_or(today);
    let mut patient =
        json!({ "resourceType": "Patient", "id": "p", "birthDate": birth.to_string() });
    if let Some(s) = req["person"]["sex"].as_str() {
        patient["gender"] = json!(s);
    }
    entries.push(patient);
    let ago = |years: f64| {
        today
            .checked_sub(jiff::Span::new().days((years * 365.25).round() as i64))
            .unwrap_or(today)
            .to_string()
    };
    for (i, lab) in req["labs"].as_array().into_iter().flatten().enumerate() {
        let analyte = lab["analyte"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let code = lab["loinc"].as_str().unwrap_or("");
                KB.analytes[KB.loinc_index[code] as usize].id.clone()
            });
        let a = &KB.analytes[KB.analyte(&analyte).unwrap_or(0) as usize];
        let coding = match lab["loinc"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| a.loinc.first().cloned())
        {
            Some(loinc) => json!({ "system": "http://loinc.org", "code": loinc }),
            None => json!({ "system": kobalt_fhir::ANALYTE_SYSTEM, "code": analyte }),
        };
        let mut obs = json!({
            "resourceType": "Observation", "id": format!("o{i}"), "status": "final",
            "code": { "coding": [coding] },
            "subject": { "reference": "Patient/p" },
        });
        if let Some(d) = lab["date"].as_str() {
            obs["effectiveDateTime"] = json!(d);
        }
        if let Some(r) = lab["result"].as_str() {
            obs["valueCodeableConcept"] = concept(&KB.fhir.results, r);
        } else {
            obs["valueQuantity"] = json!({ "value": lab["value"], "unit": lab["unit"] });
        }
        entries.push(obs);
    }
    for c in req["conditions"].as_array().into_iter().flatten() {
        let id = c["id"].as_str().unwrap_or("");
        entries
            .push(json!({ "resourceType": "Condition", "code": concept(&KB.fhir.conditions, id) }));
    }
    for m in req["medications"].as_array().into_iter().flatten() {
        let id = m["id"].as_str().unwrap_or("");
        let mut st = json!({ "resourceType": "MedicationStatement", "status": "active",
            "medicationCodeableConcept": concept(&KB.fhir.medications, id) });
        if let Some(y) = m["years"].as_f64() {
            st["effectivePeriod"] = json!({ "start": ago(y) });
        }
        entries.push(st);
    }
    for p in req["procedures"].as_array().into_iter().flatten() {
        let id = p["id"].as_str().unwrap_or("");
        let mut pr = json!({ "resourceType": "Procedure", "status": "completed", "code": concept(&KB.fhir.procedures, id) });
        if let Some(y) = p["years_ago"].as_f64() {
            pr["performedDateTime"] = json!(ago(y));
        }
        entries.push(pr);
    }
    // What only the patient can tell: Kobalt's questionnaire.
    let mut items = Vec::new();
    let answer = |v: &Value| match v {
        Value::Bool(b) => json!([{ "valueBoolean": b }]),
        Value::Number(n) => json!([{ "valueDecimal": n }]),
        other => json!([{ "valueString": other }]),
    };
    for key in ["pregnant", "breastfeeding"] {
        if let Some(v) = req["person"].get(key) {
            items.push(json!({ "linkId": format!("person.{key}"), "answer": answer(v) }));
        }
    }
    if let Some(d) = req.get("diet") {
        items.push(json!({ "linkId": "diet", "answer": answer(d) }));
    }
    for s in req["symptoms"].as_array().into_iter().flatten() {
        let mut sub = Vec::new();
        for k in ["course", "weeks", "severity"] {
            if let Some(v) = s.get(k) {
                sub.push(json!({ "linkId": k, "answer": answer(v) }));
            }
        }
        items.push(json!({
            "linkId": format!("symptom.{}", s["id"].as_str().unwrap_or("")),
            "answer": answer(&json!(s["present"].as_bool().unwrap_or(true))),
            "item": sub,
        }));
    }
    for e in req["exposures"].as_array().into_iter().flatten() {
        let v = e.get("pattern").cloned().unwrap_or(json!(true));
        items.push(json!({ "linkId": format!("exposure.{}", e["id"].as_str().unwrap_or("")), "answer": answer(&v) }));
    }
    for list in [
        "supplements",
        "conditions",
        "medications",
        "procedures",
        "exposures",
    ] {
        if req[list].as_array().is_some_and(Vec::is_empty) {
            items.push(json!({ "linkId": format!("{list}.none"), "answer": answer(&json!(true)) }));
        }
    }
    for s in req["supplements"].as_array().into_iter().flatten() {
        let id = s["id"].as_str().unwrap_or("");
        let mut st = json!({ "resourceType": "MedicationStatement", "status": "active",
            "medicationCodeableConcept": concept(&KB.fhir.supplements, id) });
        let dose = s["dose_mg"]
            .as_f64()
            .map(|v| (v, "mg"))
            .or_else(|| s["dose_ug"].as_f64().map(|v| (v, "ug")));
        if let Some((v, unit)) = dose {
            let period = match s["per"].as_str() {
                Some("week") => "wk",
                Some("month") => "mo",
                _ => "d",
            };
            st["dosage"] = json!([{ "timing": { "repeat": { "frequency": 1, "period": 1, "periodUnit": period } },
                "doseAndRate": [{ "doseQuantity": { "value": v, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit } }] }]);
        }
        entries.push(st);
    }
    if let Some(t) = req["treatment"].as_object() {
        for (k, v) in t {
            items.push(json!({ "linkId": format!("treatment.{k}"), "answer": answer(v) }));
        }
    }
    entries.push(
        json!({ "resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": kobalt_fhir::QUESTIONNAIRE, "item": items }),
    );
    json!({ "resourceType": "Bundle", "type": "collection",
        "entry": entries.into_iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>() })
}

fn summary(a: &kobalt_contract::Assessment) -> Value {
    json!({
        "triage": a.triage.level,
        "category": a.b12_status.category,
        "causes": a.causes.iter().map(|c| &c.id).collect::<Vec<_>>(),
        "differential": a.differential.iter().map(|d| &d.id).collect::<Vec<_>>(),
        "tests": a.next_tests.iter().map(|t| &t.analyte).collect::<Vec<_>>(),
        "treatment": a.treatment.recommended,
        "regimens": a.treatment.regimens.iter().map(|r| &r.id).collect::<Vec<_>>(),
        "warnings": a.warnings.iter().map(|w| &w.id).collect::<Vec<_>>(),
        "decision": a.follow_up.decision,
    })
}

#[test]
fn every_vignette_as_a_bundle_gives_the_same_assessment() {
    let Some(shared) = shared_dir() else {
        println!("skipped: no ../shared (set KOBALT_SHARED_DIR to the shared folder)");
        return;
    };
    let dir = shared.join("vignettes");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        if entry.path().extension().is_none_or(|x| x != "json") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let name = entry.file_name().to_string_lossy().into_owned();
        let req_json = &v["request"];
        let Ok(req) = kobalt_contract::parse_request(&req_json.to_string()) else {
            continue;
        };
        let today = date(req_json["evaluation_date"].as_str().unwrap_or("2026-11-22"));
        let Ok(direct) = kobalt_engine::assess(&KB, &req, today) else {
            continue;
        };
        let base = json!({ "guideline": req_json["guideline"], "language": req_json["language"], "audience": req_json["audience"] });
        let base: Value = base
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .unwrap_or_default();
        let mapped = kobalt_fhir::map(&KB, &bundle(req_json, today), today, &base)
            .unwrap_or_else(|f| panic!("{name}: {}", f.operation_outcome()));
        let via_fhir = kobalt_engine::assess(&KB, &mapped.request, today)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(summary(&via_fhir), summary(&direct), "{name}");
        compared += 1;
    }
    assert!(compared >= 20, "compared {compared} vignettes");
}

#[test]
fn mixed_units_codes_and_unusable_resources() {
    let today = date("2026-11-22");
    let input = json!({ "resourceType": "Bundle", "type": "searchset", "entry": [
        { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1950-05", "gender": "female" } },
        // Total B12 in pg/mL by its mass LOINC code (UCUM code preferred over the display unit).
        { "resource": { "resourceType": "Observation", "id": "b12", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "2132-9" }] },
            "effectiveDateTime": "2026-11-01T08:00:00+01:00",
            "valueQuantity": { "value": 180, "unit": "picogram per millilitre", "system": "http://unitsofmeasure.org", "code": "pg/mL" } } },
        // An older result of the same analyte is superseded.
        { "resource": { "resourceType": "Observation", "id": "b12old", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "14685-2" }] },
            "effectiveDateTime": "2025-01-01", "valueQuantity": { "value": 400, "unit": "pmol/L" } } },
        // MMA in nmol/L.
        { "resource": { "resourceType": "Observation", "id": "mma", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "13964-2" }] },
            "effectiveDateTime": "2026-11-01", "valueQuantity": { "value": 520, "unit": "nmol/L" } } },
        { "resource": { "resourceType": "Observation", "id": "bad", "status": "entered-in-error",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "2132-9" }] }, "valueQuantity": { "value": 5, "unit": "pg/mL" } } },
        { "resource": { "resourceType": "Observation", "id": "lt", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "13965-9" }] },
            "valueQuantity": { "value": 5, "comparator": "<", "unit": "umol/L" } } },
        { "resource": { "resourceType": "Condition", "id": "c1",
            "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "E11.9" }] } } },
        { "resource": { "resourceType": "Condition", "id": "c2",
            "verificationStatus": { "coding": [{ "code": "refuted" }] },
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "84027009" }] } } },
        { "resource": { "resourceType": "MedicationRequest", "id": "m1", "status": "active",
            "medicationReference": { "reference": "Medication/met" }, "authoredOn": "2019-06-01" } },
        { "resource": { "resourceType": "Medication", "id": "met",
            "code": { "coding": [{ "system": "http://www.whocc.no/atc", "code": "A10BA02" }] } } },
        { "resource": { "resourceType": "Encounter", "id": "e1" } },
    ]});
    let mapped = kobalt_fhir::map(&KB, &input, today, &json!({}))
        .unwrap_or_else(|f| panic!("{}", f.operation_outcome()));
    let r = serde_json::to_value(&mapped.request).unwrap_or_default();
    assert_eq!(r["person"]["age_years"], 76.0);
    assert_eq!(r["conditions"], json!([{ "id": "type_2_diabetes" }]));
    assert_eq!(r["medications"][0]["id"], "metformin");
    assert!(
        r["medications"][0]["years"]
            .as_f64()
            .is_some_and(|y| y > 7.0)
    );
    let labs = r["labs"].as_array().cloned().unwrap_or_default();
    assert_eq!(labs.len(), 3, "{labs:?}");
    // "<5 umol/L" is an interval (interop.md B.2), kept with its comparator.
    assert!(
        labs.contains(
            &json!({ "loinc": "13965-9", "value": 5.0, "comparator": "<", "unit": "umol/L" })
        ),
        "{labs:?}"
    );
    let a = kobalt_engine::assess(&KB, &mapped.request, today).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.b12_status.category.as_str(), "deficient");
    let outcome = kobalt_fhir::operation_outcome(&mapped.issues).to_string();
    for named in ["Observation/bad", "Condition/c2", "Encounter/e1"] {
        assert!(outcome.contains(named), "{named} not named in {outcome}");
    }
}

#[test]
fn no_patient_is_an_error_outcome() {
    let failed = kobalt_fhir::map(
        &KB,
        &json!([{ "resourceType": "Observation" }]),
        date("2026-11-22"),
        &json!({}),
    )
    .err()
    .map(|f| f.operation_outcome())
    .unwrap_or_default();
    assert_eq!(failed["resourceType"], "OperationOutcome");
    assert_eq!(
        failed["issue"]
            .as_array()
            .map(|i| i.iter().any(|x| x["severity"] == "error")),
        Some(true)
    );
}

#[test]
fn the_later_instant_wins_and_an_unreadable_date_is_named() {
    let today = date("2026-11-22");
    let b12 = |id: &str, value: f64, when: &str| {
        json!({ "resource": { "resourceType": "Observation", "id": id, "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "14685-2" }] },
            "effectiveDateTime": when, "valueQuantity": { "value": value, "unit": "pmol/L" } } })
    };
    // 09:00+01:00 is 08:00 UTC; 08:30-05:00 is 13:30 UTC: the 400 is later.
    for order in [["early", "late"], ["late", "early"]] {
        let mut entries = vec![
            json!({ "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01" } }),
            json!({ "resource": { "resourceType": "Observation", "id": "mma", "status": "final",
                "code": { "coding": [{ "system": "http://loinc.org", "code": "13964-2" }] },
                "effectiveDateTime": "2026-02-30", "valueQuantity": { "value": 520, "unit": "nmol/L" } } }),
        ];
        for id in order {
            entries.push(match id {
                "early" => b12(id, 100.0, "2026-11-01T09:00:00+01:00"),
                _ => b12(id, 400.0, "2026-11-01T08:30:00-05:00"),
            });
        }
        let input = json!({ "resourceType": "Bundle", "type": "searchset", "entry": entries });
        let mapped = kobalt_fhir::map(&KB, &input, today, &json!({}))
            .unwrap_or_else(|f| panic!("{}", f.operation_outcome()));
        let r = serde_json::to_value(&mapped.request).unwrap_or_default();
        let labs = r["labs"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            labs.len(),
            1,
            "the MMA of a day that does not exist is not used: {labs:?}"
        );
        assert_eq!(labs[0]["value"], 400.0, "{order:?}");
        assert_eq!(labs[0]["date"], "2026-11-01");
        let issue = mapped
            .issues
            .iter()
            .find(|i| i.resource == "Observation/mma")
            .unwrap_or_else(|| panic!("Observation/mma not named: {:?}", mapped.issues));
        assert_eq!(issue.element, "Observation.effectiveDateTime");
        assert!(
            issue.text.contains("'2026-02-30' is not a date"),
            "{}",
            issue.text
        );
    }
}

/// The evaluation date of the robustness tests below.
fn december_first() -> jiff::civil::Date {
    "2026-12-01".parse().unwrap_or_else(|e| panic!("{e}"))
}

/// `input` mapped at `december_first`: the request as JSON and the issues.
fn mapped(input: &Value) -> (Value, Vec<kobalt_fhir::Issue>) {
    let m = kobalt_fhir::map(&KB, input, december_first(), &json!({}))
        .unwrap_or_else(|f| panic!("{:?}", f.issues));
    let request = serde_json::to_value(&m.request).unwrap_or_else(|e| panic!("{e}"));
    (request, m.issues)
}

fn quantity(id: &str, loinc: &str, value: f64, unit: &str, when: &str) -> Value {
    json!({ "resourceType": "Observation", "id": id, "status": "final",
        "subject": { "reference": "Patient/p1" },
        "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
        "effectiveDateTime": when,
        "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit } })
}

/// EHR review item 2: "One unusable lab fails the whole call": TSH in the
/// canonical UCUM `m[IU]/L` (Synthea), an annotation `{total}`, a lab stamped
/// in a time zone ahead of the server (a Dutch lab at 00:30 CEST is still
/// yesterday in UTC), and a unit mix-up. UCUM annotations are read; instants
/// are compared as instants; the unusable Observation is dropped with a
/// warning naming it, and the rest is assessed.
#[test]
fn one_unusable_lab_never_fails_the_call() {
    let today = december_first();
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
        { "resource": quantity("tsh", "3016-3", 2.1, "m[IU]/L", "2026-11-20T09:00:00+01:00") },
        { "resource": quantity("folate", "2284-8", 12.0, "ng/mL{total}", "2026-11-20T09:00:00+01:00") },
        { "resource": quantity("b12", "14685-2", 130.0, "pmol/L", "2026-12-02T00:30:00+02:00") },
        { "resource": quantity("mcv", "787-2", 96.0, "mmol/L", "2026-11-20T09:00:00+01:00") },
        { "resource": quantity("hb", "718-7", 7.9, "mmol/L", "2026-12-03T09:00:00+01:00") }
    ]});
    let (request, issues) = mapped(&bundle);
    let parsed = kobalt_contract::parse_request(&request.to_string())
        .unwrap_or_else(|e| panic!("{e:?}: {request}"));
    kobalt_engine::validate(&KB, &parsed, today).unwrap_or_else(|e| panic!("{e:?}: {request}"));
    let labs = request["labs"].as_array().cloned().unwrap_or_default();
    let lab = |loinc: &str| labs.iter().find(|l| l["loinc"] == loinc).cloned();
    assert_eq!(
        lab("3016-3").map(|l| l["unit"].clone()),
        Some(json!("mIU/L")),
        "{request}"
    );
    assert_eq!(
        lab("2284-8").map(|l| l["unit"].clone()),
        Some(json!("ng/mL")),
        "{request}"
    );
    assert_eq!(
        lab("14685-2").map(|l| l["date"].clone()),
        Some(json!("2026-12-01")),
        "{request}"
    );
    assert_eq!(lab("787-2"), None, "the unit mix-up is dropped: {request}");
    assert_eq!(lab("718-7"), None, "two days ahead is dropped: {request}");
    for id in ["Observation/mcv", "Observation/hb"] {
        assert!(
            issues
                .iter()
                .any(|i| i.severity == "warning" && i.resource == id),
            "{id} named: {:?}",
            issues
        );
    }
}

/// EHR review item 4 (F09): B12 "<111 pmol/L" today and 300 pmol/L two years
/// ago gave "unlikely": the newer result was ignored in favour of the older
/// number. interop.md B.2: comparator results, as `valueQuantity.comparator`
/// or only as `valueString`, are intervals: "<150 pg/mL" is about "<111
/// pmol/L", certainly below 148 pmol/L. The newer bound is the result; the
/// older number is not used, and the patient is deficient.
#[test]
fn a_newer_bound_is_the_result_read_as_an_interval() {
    let mut censored = quantity("new", "14685-2", 111.0, "pmol/L", "2026-11-30");
    censored["valueQuantity"]["comparator"] = json!("<");
    let mut text_only = quantity("new", "2132-9", 0.0, "pmol/L", "2026-11-30");
    text_only.as_object_mut().map(|o| o.remove("valueQuantity"));
    text_only["valueString"] = json!("< 150 pg/mL");
    let mut at_most = text_only.clone();
    at_most["valueString"] = json!("≤150 pg/mL");
    for (newer, value, comparator, unit) in [
        (censored, 111.0, "<", "pmol/L"),
        (text_only, 150.0, "<", "pg/mL"),
        (at_most, 150.0, "<=", "pg/mL"),
    ] {
        let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
            { "resource": quantity("old", "14685-2", 300.0, "pmol/L", "2024-11-30") },
            { "resource": newer }
        ]});
        let (request, _) = mapped(&bundle);
        let labs = request["labs"].as_array().cloned().unwrap_or_default();
        assert_eq!(labs.len(), 1, "only the newer result: {labs:?}");
        assert_eq!(labs[0]["value"], value, "{labs:?}");
        assert_eq!(labs[0]["comparator"], comparator, "{labs:?}");
        assert_eq!(labs[0]["unit"], unit, "{labs:?}");
        let m = kobalt_fhir::map(&KB, &bundle, december_first(), &json!({}))
            .unwrap_or_else(|f| panic!("{:?}", f.issues));
        let a = kobalt_engine::assess(&KB, &m.request, december_first())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            a.b12_status.markers[0].interpretation, "low",
            "{comparator}{value}"
        );
        assert_eq!(a.b12_status.category.as_str(), "deficient");
    }
}

/// EHR review item 4: a newer result that cannot be read at all (a text, an
/// unknown comparator) blocks the older number, with a warning naming both;
/// it is never silently replaced by it.
#[test]
fn a_newer_unusable_result_blocks_an_older_number() {
    let mut text_only = quantity("new", "14685-2", 0.0, "pmol/L", "2026-11-30");
    text_only.as_object_mut().map(|o| o.remove("valueQuantity"));
    text_only["valueString"] = json!("haemolysed, see comment");
    let mut odd = quantity("new", "14685-2", 111.0, "pmol/L", "2026-11-30");
    odd["valueQuantity"]["comparator"] = json!("ad");
    for newer in [text_only, odd] {
        let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
            { "resource": quantity("old", "14685-2", 300.0, "pmol/L", "2024-11-30") },
            { "resource": newer }
        ]});
        let (request, issues) = mapped(&bundle);
        assert!(
            request["labs"]
                .as_array()
                .is_none_or(|l| l.iter().all(|x| x["loinc"] != "14685-2")),
            "the older 300 is not used: {request}"
        );
        assert!(
            issues.iter().any(|i| i.severity == "warning"
                && i.resource == "Observation/old"
                && i.text.contains("Observation/new")),
            "{:?}",
            issues
        );
    }
}

/// EHR review items 5 and 10 (F38, F39, F33a): with two Patients in one
/// Bundle the last one's age won; Observations of another subject were
/// merged; a differential diagnosis counted as a known condition.
#[test]
fn identity_and_provenance() {
    let today = december_first();
    let patient = |id: &str, birth: &str| json!({ "resource": { "resourceType": "Patient", "id": id, "birthDate": birth, "gender": "female" } });
    // Two Patients: refused, named.
    let two = json!({ "resourceType": "Bundle", "type": "collection",
        "entry": [patient("p1", "1960-01-01"), patient("p2", "1990-01-01")] });
    let failed = kobalt_fhir::map(&KB, &two, today, &json!({})).err();
    assert!(
        failed.is_some_and(|f| f
            .issues
            .iter()
            .any(|i| i.severity == "error" && i.text.contains("Patient/p2"))),
        "two Patients must be refused"
    );
    // Another subject: not used, named.
    let mut other = quantity("b12x", "14685-2", 100.0, "pmol/L", "2026-11-30");
    other["subject"] = json!({ "reference": "Patient/someone-else" });
    let differential = json!({ "resourceType": "Condition", "id": "c1",
        "subject": { "reference": "Patient/p1" },
        "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "differential" }] },
        "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "84027009" }] } });
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        patient("p1", "1960-01-01"), { "resource": other }, { "resource": differential } ] });
    let (request, issues) = mapped(&bundle);
    assert!(
        request.get("labs").is_none(),
        "another patient's lab: {request}"
    );
    assert!(
        issues
            .iter()
            .any(|i| i.severity == "warning" && i.resource == "Observation/b12x"),
        "{:?}",
        issues
    );
    assert!(
        request["conditions"]
            .as_array()
            .is_none_or(|c| c.iter().all(|x| x["id"] != "autoimmune_gastritis")),
        "a differential diagnosis is not a known condition: {request}"
    );
}

/// EHR review item 10 (F31): "Medication years ignore effectivePeriod.end:
/// 2 years of past PPI use becomes more than 4 years." A medicine whose
/// period ended before the evaluation date is not current use (named in an
/// issue); one still running counts its years from its start.
#[test]
fn an_ended_medication_is_not_current_use() {
    let statement = |id: &str, start: &str, end: Option<&str>| {
        let mut period = json!({ "start": start });
        if let Some(e) = end {
            period["end"] = json!(e);
        }
        json!({ "resource": { "resourceType": "MedicationStatement", "id": id, "status": "completed",
            "subject": { "reference": "Patient/p1" },
            "medicationCodeableConcept": { "coding": [{ "system": "http://www.whocc.no/atc", "code": "A02BC01" }] },
            "effectivePeriod": period } })
    };
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
        statement("ppi", "2018-01-01", Some("2020-01-01")) ] });
    let (request, issues) = mapped(&bundle);
    assert!(
        request["medications"]
            .as_array()
            .is_none_or(|m| m.is_empty()),
        "ended in 2020: {request}"
    );
    assert!(
        issues
            .iter()
            .any(|i| i.resource == "MedicationStatement/ppi" && i.text.contains("2020-01-01")),
        "{:?}",
        issues
    );
}

/// EHR review item 9 (F19): a B12 result contained in a DiagnosticReport was
/// dropped silently. Contained Observations are read like any other.
#[test]
fn observations_contained_in_a_diagnostic_report_are_read() {
    let report = json!({ "resourceType": "DiagnosticReport", "id": "dr1", "status": "final",
        "subject": { "reference": "Patient/p1" },
        "code": { "coding": [{ "system": "http://loinc.org", "code": "24360-0" }] },
        "contained": [quantity("b12", "14685-2", 120.0, "pmol/L", "2026-11-30")],
        "result": [{ "reference": "#b12" }] });
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
        { "resource": report } ] });
    let (request, _) = mapped(&bundle);
    assert!(
        request["labs"].as_array().is_some_and(|l| l
            .iter()
            .any(|x| x["loinc"] == "14685-2" && x["value"] == json!(120.0))),
        "{request}"
    );
}

/// EHR review item 3 (F28): a `medicationReference` written as `urn:uuid:`
/// (transaction Bundles, Epic's draftOrders) was not resolved.
#[test]
fn a_medication_reference_by_urn_uuid_is_resolved() {
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [
        { "fullUrl": "urn:uuid:p1", "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
        { "fullUrl": "urn:uuid:3f1c2a9e-med", "resource": { "resourceType": "Medication", "id": "3f1c2a9e-med",
            "code": { "coding": [{ "system": "http://www.whocc.no/atc", "code": "A10BA02" }] } } },
        { "fullUrl": "urn:uuid:mr1", "resource": { "resourceType": "MedicationRequest", "id": "mr1", "status": "active",
            "intent": "order", "subject": { "reference": "urn:uuid:p1" },
            "medicationReference": { "reference": "urn:uuid:3f1c2a9e-med" }, "authoredOn": "2020-01-01" } }
    ]});
    let (request, _) = mapped(&bundle);
    assert!(
        request["medications"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x["id"] == "metformin")),
        "{request}"
    );
}

/// EHR review item 10 (F66b): a foreign QuestionnaireResponse was read as
/// Kobalt's own (`diet = vegan`). Only answers to Kobalt's Questionnaire (its
/// canonical URL) are read; another one is named and left out.
#[test]
fn only_kobalts_own_questionnaire_is_read() {
    let today = december_first();
    let answers = |questionnaire: &str| {
        json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
            { "resource": { "resourceType": "QuestionnaireResponse", "id": "qr1", "status": "completed",
                "questionnaire": questionnaire, "subject": { "reference": "Patient/p1" },
                "item": [{ "linkId": "diet", "answer": [{ "valueString": "vegan" }] }] } } ] })
    };
    let own = kobalt_fhir::map(&KB, &answers(kobalt_fhir::QUESTIONNAIRE), today, &json!({}))
        .unwrap_or_else(|f| panic!("{:?}", f.issues));
    assert_eq!(
        serde_json::to_value(&own.request).unwrap_or_default()["diet"],
        "vegan"
    );
    let foreign = kobalt_fhir::map(
        &KB,
        &answers("http://other.example/Questionnaire/diet"),
        today,
        &json!({}),
    )
    .unwrap_or_else(|f| panic!("{:?}", f.issues));
    let request = serde_json::to_value(&foreign.request).unwrap_or_default();
    assert!(request.get("diet").is_none(), "{request}");
    assert!(
        foreign
            .issues
            .iter()
            .any(|i| i.resource == "QuestionnaireResponse/qr1" && i.severity == "warning"),
        "{:?}",
        foreign.issues
    );
}

/// EHR review item 3: ATC written as its OID (common in Dutch and CDA-derived
/// data) was not recognised.
#[test]
fn atc_written_as_its_oid_is_read() {
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
        { "resource": { "resourceType": "MedicationStatement", "id": "ms1", "status": "active",
            "subject": { "reference": "Patient/p1" },
            "medicationCodeableConcept": { "coding": [{ "system": "urn:oid:2.16.840.1.113883.6.73", "code": "A02BC02" }] },
            "effectivePeriod": { "start": "2020-01-01" } } } ] });
    let (request, _) = mapped(&bundle);
    assert!(
        request["medications"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x["id"] == "proton_pump_inhibitor")),
        "{request}"
    );
}

/// Clinical review F29 / EHR review item 3: a fixed-dose combination that
/// contains metformin (ATC A10BD, e.g. A10BD07 metformin and sitagliptin) is
/// metformin use, coded without any text; a combination without metformin
/// (A10BD09 pioglitazone and alogliptin) is not.
#[test]
fn metformin_combinations_coded_by_atc_are_metformin() {
    let statement = |code: &str| {
        json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
            { "resource": { "resourceType": "MedicationStatement", "id": "ms1", "status": "active",
                "subject": { "reference": "Patient/p1" },
                "medicationCodeableConcept": { "coding": [{ "system": "http://www.whocc.no/atc", "code": code }] },
                "effectivePeriod": { "start": "2020-01-01" } } } ] })
    };
    let metformin = |code: &str| {
        let (request, _) = mapped(&statement(code));
        request["medications"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x["id"] == "metformin"))
    };
    for code in [
        "A10BD02", "A10BD03", "A10BD05", "A10BD07", "A10BD08", "A10BD10", "A10BD11", "A10BD13",
        "A10BD14", "A10BD15", "A10BD16", "A10BD17", "A10BD20", "A10BD23", "A10BD25", "A10BD26",
        "A10BD27",
    ] {
        assert!(metformin(code), "{code} contains metformin");
    }
    for code in [
        "A10BD04", "A10BD06", "A10BD09", "A10BD19", "A10BD21", "A10BD24",
    ] {
        assert!(!metformin(code), "{code} contains no metformin");
    }
}

/// EHR review item 8: Dutch practice systems code problems with the NHG
/// ICPC table (ICPC-1-NL: `http://hl7.org/fhir/sid/icpc-1-nl`, OID
/// 2.16.840.1.113883.2.4.4.31.1, as the RIVO-Noord Zorgviewer IG defines the
/// CodeSystem); none was read. T86 hypothyroidism, P15 chronic alcohol abuse
/// and D94 chronic enteritis / ulcerative colitis are read, under both
/// spellings of the system.
#[test]
fn dutch_icpc_problems_are_read() {
    for (system, code, id) in [
        ("http://hl7.org/fhir/sid/icpc-1-nl", "T86", "hypothyroidism"),
        (
            "urn:oid:2.16.840.1.113883.2.4.4.31.1",
            "P15",
            "alcohol_use_disorder",
        ),
        (
            "http://hl7.org/fhir/sid/icpc-1-nl",
            "D94",
            "inflammatory_bowel_disease",
        ),
    ] {
        let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female" } },
            { "resource": { "resourceType": "Condition", "id": "c1", "subject": { "reference": "Patient/p1" },
                "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
                "code": { "coding": [{ "system": system, "code": code }] } } } ] });
        let (request, _) = mapped(&bundle);
        assert!(
            request["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|x| x["id"] == id)),
            "{system}|{code}: {request}"
        );
    }
}

/// Issue 16 items 2 and 5 (EHR review item 8): Dutch practice systems code
/// labs in NHG Tabel 45 and medicines in the G-Standaard (PRK, HPK, GPK),
/// licensed tables Kobalt does not carry. A result or medicine coded only so
/// is clinically relevant: it is named with a warning that says which table
/// and what to send instead, never skipped as mere information.
#[test]
fn dutch_codes_kobalt_cannot_map_are_warnings_that_name_the_table() {
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        { "resource": { "resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01", "gender": "female" } },
        { "resource": { "resourceType": "Observation", "id": "o1", "status": "final",
            "subject": { "reference": "Patient/p1" }, "effectiveDateTime": "2026-11-01",
            "code": { "coding": [{ "system": "urn:oid:2.16.840.1.113883.2.4.4.30.45", "code": "1234", "display": "Vitamine B12" }] },
            "valueQuantity": { "value": 120, "unit": "pmol/L" } } },
        { "resource": { "resourceType": "MedicationStatement", "id": "m2", "status": "active",
            "subject": { "reference": "Patient/p1" },
            "medicationCodeableConcept": { "coding": [{ "system": "urn:oid:2.16.840.1.113883.2.4.4.7", "code": "999" }] } } }
    ]});
    let (_, issues) = mapped(&bundle);
    for (resource, table) in [
        ("Observation/o1", "NHG Tabel 45"),
        ("MedicationStatement/m2", "G-Standaard HPK"),
    ] {
        assert!(
            issues.iter().any(|i| i.severity == "warning"
                && i.resource == resource
                && i.text.contains(table)),
            "{resource}: {issues:?}"
        );
    }
}
