//! Properties over generated requests: any input gives an assessment or a
//! contract error (never a panic), and answering an unknown symptom with
//! "present" never lowers the triage level.

use std::sync::LazyLock;

use kobalt_contract::{TriageLevel, parse_request};
use kobalt_kb::Knowledge;
use proptest::prelude::*;
use serde_json::{Value, json};

static KB: LazyLock<Knowledge> =
    LazyLock::new(|| kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}")));

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 11, 22)
}

fn pick(ids: Vec<String>) -> impl Strategy<Value = String> {
    proptest::sample::select(ids)
}

/// An identifier from the vocabulary; with `junk`, now and then one that is not.
fn vocab_id(ids: &[String], junk: bool) -> BoxedStrategy<String> {
    if junk {
        prop_oneof![9 => pick(ids.to_vec()), 1 => "[a-z_]{1,12}"].boxed()
    } else {
        pick(ids.to_vec()).boxed()
    }
}

fn symptom(junk: bool) -> impl Strategy<Value = Value> {
    (
        vocab_id(&KB.symptoms.ids, junk),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![Just("rapid"), Just("gradual"), Just("stable")]),
        proptest::option::of(prop_oneof![Just("mild"), Just("severe")]),
        proptest::option::of(if junk { -5.0f64..500.0 } else { 0.0f64..500.0 }),
    )
        .prop_map(|(id, present, course, severity, weeks)| {
            let mut s = json!({ "id": id });
            if let Some(p) = present {
                s["present"] = json!(p);
            }
            if let Some(c) = course {
                s["course"] = json!(c);
            }
            if let Some(v) = severity {
                s["severity"] = json!(v);
            }
            if let Some(w) = weeks {
                s["weeks"] = json!(w);
            }
            s
        })
}

fn lab(junk: bool) -> impl Strategy<Value = Value> {
    let analytes: Vec<(String, Vec<String>)> = KB
        .analytes
        .iter()
        .map(|a| {
            (
                a.id.clone(),
                a.accepted_units().into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    (
        proptest::sample::select(analytes),
        if junk {
            prop_oneof![
                8 => (0.0f64..2000.0).boxed(),
                1 => (-10.0f64..0.0).boxed(),
                1 => (1e6f64..1e12).boxed(),
            ]
            .boxed()
        } else {
            // Within every analyte's plausible range.
            (0.01f64..5.0).boxed()
        },
        any::<prop::sample::Index>(),
        if junk {
            prop_oneof![8 => Just(None), 1 => Just(Some("mmol/dag")), 1 => Just(Some(""))].boxed()
        } else {
            Just(None).boxed()
        },
        if junk {
            prop_oneof![
                Just(None),
                Just(Some("positive")),
                Just(Some("negative")),
                Just(Some("maybe"))
            ]
            .boxed()
        } else {
            prop_oneof![Just(None), Just(Some("positive")), Just(Some("negative"))].boxed()
        },
    )
        .prop_map(|((analyte, units), value, unit_index, odd_unit, result)| {
            let mut l = json!({ "analyte": analyte });
            match (result, units.is_empty()) {
                (Some(r), _) => l["result"] = json!(r),
                (None, true) => l["result"] = json!("positive"),
                (None, false) => {
                    l["value"] = json!(value);
                    l["unit"] = json!(odd_unit.unwrap_or(unit_index.get(&units).as_str()));
                }
            }
            l
        })
}

fn listed(ids: &[String], junk: bool) -> impl Strategy<Value = Option<Value>> + use<> {
    proptest::option::of(
        proptest::collection::vec(vocab_id(ids, junk), 0..3)
            .prop_map(|v| Value::Array(v.into_iter().map(|id| json!({ "id": id })).collect())),
    )
}

/// A request; with `junk`, some fields are out of range or unknown.
fn request(junk: bool) -> impl Strategy<Value = Value> {
    (
        if junk {
            prop_oneof![18 => (0.0f64..105.0).boxed(), 1 => (-3.0f64..0.0).boxed(), 1 => (130.0f64..400.0).boxed()].boxed()
        } else {
            (16.0f64..100.0).boxed()
        },
        proptest::option::of(prop_oneof![Just("female"), Just("male"), Just("unknown")]),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![Just("vegan"), Just("omnivore"), Just("vegetarian")]),
        prop_oneof![Just("nhg"), Just("nice")],
        proptest::option::of(proptest::collection::vec(symptom(junk), 0..8)),
        proptest::option::of(proptest::collection::vec(lab(junk), 0..6)),
        (
            listed(&KB.medications.ids, junk),
            listed(&KB.conditions.ids, junk),
            listed(&KB.procedures.ids, junk),
            listed(&KB.exposures.ids, junk),
            listed(&KB.supplements.ids, junk),
        ),
    )
        .prop_map(
            |(age, sex, pregnant, diet, guideline, symptoms, labs, lists)| {
                let mut person = json!({ "age_years": age });
                if let Some(s) = sex {
                    person["sex"] = json!(s);
                }
                if let Some(p) = pregnant {
                    person["pregnant"] = json!(p);
                }
                let mut r = json!({ "evaluation_date": "2026-11-22", "guideline": guideline, "person": person });
                if let Some(d) = diet {
                    r["diet"] = json!(d);
                }
                if let Some(s) = symptoms {
                    r["symptoms"] = Value::Array(s);
                }
                if let Some(l) = labs {
                    r["labs"] = Value::Array(l);
                }
                let (medications, conditions, procedures, exposures, supplements) = lists;
                for (key, list) in [
                    ("medications", medications),
                    ("conditions", conditions),
                    ("procedures", procedures),
                    ("exposures", exposures),
                    ("supplements", supplements),
                ] {
                    if let Some(l) = list {
                        r[key] = l;
                    }
                }
                r
            },
        )
}

fn triage(request: &Value) -> Option<TriageLevel> {
    let req = parse_request(&request.to_string()).ok()?;
    kobalt_engine::assess(&KB, &req, today())
        .ok()
        .map(|a| a.triage.level)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_request_gives_an_assessment_or_a_contract_error(request in request(true)) {
        match parse_request(&request.to_string()) {
            Ok(req) => match kobalt_engine::assess(&KB, &req, today()) {
                Ok(a) => {
                    prop_assert!(!a.trace.is_empty());
                    prop_assert!(!a.triage.reasons.is_empty());
                }
                Err(e) => prop_assert!(e.path.starts_with('/') || e.path.is_empty(), "{e}"),
            },
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse_request(&text);
    }

    #[test]
    fn arbitrary_json_values_never_panic(value in arbitrary_json()) {
        if let Ok(req) = parse_request(&value.to_string()) {
            let _ = kobalt_engine::assess(&KB, &req, today());
        }
    }

    #[test]
    fn an_unknown_symptom_turning_present_never_lowers_triage(
        request in request(false),
        added in pick(KB.symptoms.ids.clone()),
        course in proptest::option::of(prop_oneof![Just("rapid"), Just("gradual")]),
    ) {
        // Duplicate entries or a lab value outside its plausible range can
        // still make a clean request invalid; those are skipped.
        let before = triage(&request);
        prop_assume!(before.is_some());
        let Some(before) = before else { return Ok(()) };
        let mut after_request = request.clone();
        let symptoms = after_request["symptoms"].as_array().cloned().unwrap_or_default();
        // Only a symptom that was unknown: not listed at all.
        prop_assume!(!symptoms.iter().any(|s| s["id"] == json!(added)));
        let mut symptom = json!({ "id": added, "present": true });
        if let Some(c) = course {
            symptom["course"] = json!(c);
        }
        let mut symptoms = symptoms;
        symptoms.push(symptom);
        after_request["symptoms"] = Value::Array(symptoms);
        let after = triage(&after_request);
        prop_assert!(after.is_some(), "adding {added} made the request invalid");
        prop_assert!(after >= Some(before), "{added}: {before} -> {after:?}");
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(|f| json!(f)),
        any::<i64>().prop_map(|i| json!(i)),
        prop_oneof![
            Just("person".to_owned()),
            Just("age_years".to_owned()),
            Just("symptoms".to_owned()),
            "\\PC{0,10}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("person".to_owned()),
                    Just("age_years".to_owned()),
                    Just("labs".to_owned()),
                    Just("symptoms".to_owned()),
                    Just("value".to_owned()),
                    Just("unit".to_owned()),
                    Just("analyte".to_owned()),
                    Just("id".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The batch benchmark's reference rules (shared/bench/rules-nhg.sql),
/// transcribed: the NHG status from total B12 and MMA alone, with the two
/// corrections of the December 2026 clinical review written out beside them
/// (bench/rules-nhg-2026-12.sql): a converted value is rounded to the limits'
/// precision before it is compared (F17), MMA 0.28-0.45 umol/L is
/// borderline, never reassuring (F09), and a raised MMA with a B12 above the
/// grey zone disagrees with it (F09, G9): indeterminate.
fn reference_nhg_status(b12: Option<(u32, &str)>, mma: Option<f64>) -> &'static str {
    let Some((value, unit)) = b12 else {
        return "not_tested";
    };
    let pmol = if unit == "pg/mL" {
        (f64::from(value) * 0.7378).round() // F17: the SQL's 0.738, unrounded
    } else {
        f64::from(value)
    };
    let borderline = mma.is_some_and(|m| (0.28..=0.45).contains(&m)); // F09
    if pmol < 148.0 {
        "deficient"
    } else if pmol <= 260.0 {
        match mma {
            Some(m) if m > 0.45 => "deficient",
            Some(_) if borderline => "indeterminate",
            Some(_) => "unlikely",
            None => "indeterminate",
        }
    } else if borderline || mma.is_some_and(|m| m > 0.45) {
        "indeterminate"
    } else {
        "unlikely"
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// On a row with only total B12 and MMA (as the benchmark generator writes
    /// them: whole pmol/L or pg/mL, MMA with two decimals) the engine's NHG
    /// status equals the reference query's.
    #[test]
    fn nhg_status_equals_the_reference_query(
        b12 in proptest::option::of((20u32..1400, prop_oneof![Just("pmol/L"), Just("pg/mL")])),
        mma_hundredths in proptest::option::of(5u32..300),
        age in 18u32..95,
    ) {
        let mma = mma_hundredths.map(|h| f64::from(h) / 100.0);
        let mut labs = Vec::new();
        if let Some((value, unit)) = b12 {
            labs.push(json!({ "analyte": "b12_total", "value": value, "unit": unit }));
        }
        if let Some(m) = mma {
            labs.push(json!({ "analyte": "mma", "value": m, "unit": "µmol/L" }));
        }
        let request = json!({
            "evaluation_date": "2026-11-22",
            "guideline": "nhg",
            "person": { "age_years": age },
            "labs": labs,
        });
        let req = parse_request(&request.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let a = kobalt_engine::assess(&KB, &req, today()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(a.b12_status.category.as_str(), reference_nhg_status(b12, mma), "{}", request);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Batch screening and `assess` give the same status for the same data,
    /// under both profiles: one decision code.
    #[test]
    fn screening_status_equals_assess(
        guideline in prop_oneof![Just(kobalt_contract::Guideline::Nhg), Just(kobalt_contract::Guideline::Nice)],
        age in 16.0f64..100.0,
        sex in prop_oneof![Just("female"), Just("male")],
        b12 in proptest::option::of(20.0f64..1400.0),
        holo in proptest::option::of(5.0f64..150.0),
        mma in proptest::option::of(0.05f64..3.0),
        hcy in proptest::option::of(4.0f64..60.0),
        mcv in proptest::option::of(60.0f64..130.0),
        hb in proptest::option::of(4.0f64..11.0),
        metformin in proptest::option::of(0.0f64..20.0),
    ) {
        // Nobody takes a medicine for longer than they have lived (a plausibility check of both paths).
        let metformin = metformin.map(|y| y.min(age));
        let mut labs = Vec::new();
        for (analyte, value, unit) in [
            ("b12_total", b12, "pmol/L"),
            ("holotranscobalamin", holo, "pmol/L"),
            ("mma", mma, "µmol/L"),
            ("homocysteine", hcy, "µmol/L"),
            ("mcv", mcv, "fL"),
            ("haemoglobin", hb, "mmol/L"),
        ] {
            if let Some(v) = value {
                labs.push(json!({ "analyte": analyte, "value": v, "unit": unit }));
            }
        }
        let mut request = json!({
            "evaluation_date": "2026-11-22",
            "guideline": guideline.as_str(),
            "person": { "age_years": age, "sex": sex },
            "labs": labs,
        });
        if let Some(y) = metformin {
            request["medications"] = json!([{ "id": "metformin", "years": y }]);
        }
        let req = parse_request(&request.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let a = kobalt_engine::assess(&KB, &req, today()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let screened = kobalt_engine::screen::Screener::new(&KB, guideline).screen(
            &kobalt_engine::screen::PatientData {
                age_years: Some(age),
                sex: kobalt_contract::Sex::parse(sex),
                metformin_years: metformin,
                b12_total: b12,
                holotranscobalamin: holo,
                mma,
                homocysteine: hcy,
                haemoglobin: hb,
                mcv,
                ..Default::default()
            },
        );
        prop_assert_eq!(screened.category, a.b12_status.category, "{}", request);
        prop_assert_eq!(screened.outcome.as_str(), a.b12_status.rule.as_str(), "{}", request);
    }
}
