//! Every closed vocabulary has one spelling per identifier: serde (JSON),
//! `as_str`, `parse` and `Display` agree for every variant, and the spellings
//! are the contract's (contract.md, revision 2026-12).

use kobalt_contract::*;

/// Checks one vocabulary: JSON = `as_str` = `Display`, `parse` and serde read it back.
macro_rules! round_trip {
    ($($ty:ty),+ $(,)?) => {$(
        for v in <$ty>::ALL {
            let json = serde_json::to_value(v).expect("serialises");
            assert_eq!(json, serde_json::Value::from(v.as_str()), "{}::{v:?}", stringify!($ty));
            assert_eq!(v.to_string(), v.as_str());
            assert_eq!(<$ty>::parse(v.as_str()), Some(*v));
            let back: $ty = serde_json::from_value(json).expect("reads its own spelling");
            assert_eq!(back, *v);
        }
    )+};
}

#[test]
fn every_vocabulary_has_one_spelling() {
    round_trip!(
        Guideline,
        Language,
        Audience,
        Sex,
        Diet,
        Course,
        Severity,
        CobalaminForm,
        Per,
        Route,
        ExposurePattern,
        QualitativeResult,
        TreatmentResponse,
        TriageLevel,
        B12Category,
        Phase,
        FollowUpDecision,
        ProjectionQuestion,
        ErrorCode,
        CauseId,
        DifferentialId,
        Specialty,
    );
}

fn spellings<T: Copy>(all: &[T], text: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    let mut out: Vec<_> = all.iter().map(|v| text(*v)).collect();
    out.sort_unstable();
    out
}

fn sorted(list: &[&'static str]) -> Vec<&'static str> {
    let mut out = list.to_vec();
    out.sort_unstable();
    out
}

/// The lists as contract.md (revision 2026-12) writes them, copied by hand from the document.
#[test]
fn the_spellings_are_the_contracts() {
    assert_eq!(
        spellings(TriageLevel::ALL, TriageLevel::as_str),
        sorted(&[
            "emergency",
            "urgent_24h",
            "consult_soon",
            "routine",
            "self_care"
        ])
    );
    assert_eq!(
        spellings(B12Category::ALL, B12Category::as_str),
        sorted(&["deficient", "indeterminate", "unlikely", "not_tested"])
    );
    assert_eq!(
        spellings(Route::ALL, Route::as_str),
        sorted(&["oral", "intramuscular", "subcutaneous"])
    );
    assert_eq!(
        spellings(Phase::ALL, Phase::as_str),
        sorted(&["loading", "maintenance", "treatment", "prevention"])
    );
    assert_eq!(
        spellings(FollowUpDecision::ALL, FollowUpDecision::as_str),
        sorted(&[
            "continue",
            "consider_stopping",
            "escalate",
            "reassess_diagnosis"
        ])
    );
    assert_eq!(
        spellings(ErrorCode::ALL, ErrorCode::as_str),
        sorted(&[
            "invalid_json",
            "unknown_field",
            "unknown_identifier",
            "missing_field",
            "invalid_unit",
            "implausible_value",
            "conflicting_values",
            "invalid_date",
            "invalid_value",
        ])
    );
    assert_eq!(
        spellings(CauseId::ALL, CauseId::as_str),
        sorted(&[
            "dietary_insufficiency",
            "autoimmune_gastritis",
            "food_cobalamin_malabsorption",
            "metformin",
            "acid_suppression",
            "bariatric_surgery",
            "gastrectomy",
            "ileal_disease",
            "coeliac_disease",
            "bacterial_overgrowth",
            "pancreatic_insufficiency",
            "fish_tapeworm",
            "nitrous_oxide",
            "alcohol",
            "increased_requirement",
            "other_medication",
            "inherited_disorder",
        ])
    );
    assert_eq!(
        spellings(DifferentialId::ALL, DifferentialId::as_str),
        sorted(&[
            "iron_deficiency",
            "folate_deficiency",
            "vitamin_d_deficiency",
            "magnesium_deficiency",
            "hypothyroidism",
            "statin_myopathy",
            "copper_deficiency",
            "diabetic_neuropathy",
            "alcohol_related_neuropathy",
        ])
    );
    assert_eq!(
        spellings(Specialty::ALL, Specialty::as_str),
        sorted(&[
            "general_practice",
            "haematology",
            "neurology",
            "gastroenterology",
            "paediatrics",
            "obstetrics",
            "dietetics",
            "emergency_department",
        ])
    );
}
