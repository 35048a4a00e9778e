//! Stage 1, labs: each measured value placed in the profile's bands.

use std::collections::BTreeMap;

use kobalt_contract::{Band, Comparator, LabReference, Marker, ReportedValue};
use kobalt_kb::{Analyte, Knowledge, Limits, Status};

use super::{Out, round4};
use crate::case::{Case, LabFact};

/// The labs stage's output: the band of each measured analyte (indexed by
/// analyte, for `Ctx`) and the markers as the assessment lists them.
pub(crate) struct Labs<'a> {
    pub(crate) bands: Vec<Option<&'a kobalt_kb::Band>>,
    pub(crate) markers: Vec<Marker>,
    /// For a result reported as a bound that does not settle its band: the
    /// bands it can lie in (indexed by analyte; empty otherwise).
    pub(crate) between: Vec<Vec<&'a kobalt_kb::Band>>,
}

/// The bands a value can lie in: its own band, or for a result reported
/// only as a bound, every band its interval reaches (interop.md B.2).
fn candidates(limits: &Limits, value: f64, bound: Option<Comparator>) -> &[kobalt_kb::Band] {
    match bound {
        None => std::slice::from_ref(limits.band_of(value)),
        Some(c) => limits.bands_within(c, value),
    }
}

/// How one lab was read against the profile's limits.
struct Reading {
    interpretation: String,
    rule: String,
    sources: Vec<String>,
    decision_limits: BTreeMap<String, f64>,
    bands: Vec<Band>,
    unverified: bool,
}

/// Places every reported lab in the bands of the case's profile.
pub(crate) fn labs<'a>(kb: &'a Knowledge, case: &Case, out: &mut Out<'a>) -> Labs<'a> {
    let profile = kb.profile(case.guideline);
    // The profiles' limits are adult limits (F03): the finding `child` decides, read before any lab.
    let child = crate::eval::is_child(kb, case);
    let mut bands: Vec<Option<&kobalt_kb::Band>> = vec![None; kb.analytes.len()];
    let mut markers = Vec::new();
    let mut between = vec![Vec::new(); kb.analytes.len()];
    for (idx, lab) in case.labs.iter().enumerate() {
        let Some(lab) = lab else { continue };
        let analyte = &kb.analytes[idx];
        let limits = profile.limits[idx].as_ref().map(|l| l.for_sex(case.sex));
        if analyte.age_dependent && child && lab.value.is_some() {
            let (band, reading) =
                only_severe(analyte, limits.map(|l| l.0), lab, "not_judged_for_age", out);
            bands[idx] = band;
            markers.push(marker(analyte, lab, case, reading, out));
            continue;
        }
        if idx == kb.ids.haemoglobin as usize && case.pregnant == Some(true) {
            let (band, reading) = haemoglobin_in_pregnancy(kb, case, lab, limits.map(|l| l.0), out);
            bands[idx] = band;
            markers.push(marker(analyte, lab, case, reading, out));
            continue;
        }
        let lab_limit = lab_reference_limit(kb, idx, lab);
        let reading = match (lab.value, limits, lab_limit) {
            (Some(v), _, Some(high)) => {
                let range = &kb.lab_reference_range;
                match above_lab_limit(v, lab.comparator, high) {
                    Some(raised) => {
                        let band = if raised { &range.raised } else { &range.normal };
                        bands[idx] = Some(band);
                        in_lab_range(analyte, high, Some(band), out)
                    }
                    None => {
                        between[idx] = vec![&range.normal, &range.raised];
                        in_lab_range(analyte, high, None, out)
                    }
                }
            }
            (Some(v), Some((limits, _)), None) => match candidates(limits, v, lab.comparator) {
                [band] => {
                    bands[idx] = Some(band);
                    in_band(analyte, limits, band, out)
                }
                several => {
                    between[idx] = several.iter().collect();
                    not_settled(analyte, limits, out)
                }
            },
            (Some(_), None, None) => unread("no_limits".to_owned()),
            (None, ..) => unread(lab.result.map_or("unknown", |r| r.as_str()).to_owned()),
        };
        markers.push(marker(analyte, lab, case, reading, out));
    }
    Labs {
        bands,
        markers,
        between,
    }
}

/// Whether a value is above the laboratory's upper limit; for a bound, `None`
/// when the interval reaches both sides of it.
fn above_lab_limit(value: f64, bound: Option<Comparator>, high: f64) -> Option<bool> {
    match bound {
        None => Some(value > high),
        Some(Comparator::Below | Comparator::AtMost) => (value <= high).then_some(false),
        Some(Comparator::Above) => (value >= high).then_some(true),
        Some(Comparator::AtLeast) => (value > high).then_some(true),
    }
}

/// Haemoglobin in pregnancy (G19, clinical review F20): the profile's limits
/// for the trimester when it has them and the week is given; otherwise only a
/// severe anaemia is read (adult limit), and the value is not judged.
fn haemoglobin_in_pregnancy<'a>(
    kb: &'a Knowledge,
    case: &Case,
    lab: &LabFact,
    adult: Option<&'a Limits>,
    out: &mut Out<'a>,
) -> (Option<&'a kobalt_kb::Band>, Reading) {
    let Some(v) = lab.value else {
        return (None, unread("unknown".to_owned()));
    };
    let analyte = &kb.analytes[kb.ids.haemoglobin as usize];
    let trimester = kb
        .profile(case.guideline)
        .pregnancy
        .as_ref()
        .zip(case.gestation_weeks)
        .and_then(|(p, weeks)| p.haemoglobin_at(weeks));
    if let Some(limits) = trimester {
        return match candidates(limits, v, lab.comparator) {
            [band] => (Some(band), in_band(analyte, limits, band, out)),
            _ => (None, not_settled(analyte, limits, out)),
        };
    }
    only_severe(analyte, adult, lab, "not_judged_in_pregnancy", out)
}

/// Where the profile's limits do not apply (pregnancy without trimester
/// limits, children): only a severe low is read; otherwise the value is not judged.
fn only_severe<'a>(
    analyte: &Analyte,
    adult: Option<&'a Limits>,
    lab: &LabFact,
    not_judged: &str,
    out: &mut Out<'a>,
) -> (Option<&'a kobalt_kb::Band>, Reading) {
    let band = adult
        .zip(lab.value)
        .map(|(l, v)| (l, candidates(l, v, lab.comparator)));
    match band {
        Some((l, [band])) if band.kind == Some(kobalt_kb::BandKind::SevereLow) => {
            (Some(band), in_band(analyte, l, band, out))
        }
        _ => (None, unread(not_judged.to_owned())),
    }
}

/// The laboratory's upper reference limit when it decides (rules/status.toml
/// `[lab_reference_range]`: MMA and homocysteine; clinical review F09).
fn lab_reference_limit(kb: &Knowledge, idx: usize, lab: &LabFact) -> Option<f64> {
    let range = &kb.lab_reference_range;
    range
        .analytes
        .contains(&(idx as kobalt_kb::AnalyteId))
        .then_some(lab.reference_high)
        .flatten()
}

/// A value read against the laboratory's own upper reference limit; `band`
/// is `None` for a bound on both sides of it.
fn in_lab_range<'a>(
    analyte: &Analyte,
    high: f64,
    band: Option<&'a kobalt_kb::Band>,
    out: &mut Out<'a>,
) -> Reading {
    let range_id = "lab_reference_range".to_owned();
    out.trace.push(range_id.clone());
    // A bound on both sides cites what either band would: the range's rule.
    let cited = band.unwrap_or(&out.kb.lab_reference_range.normal);
    let (sources, unverified) = cite_band(out, &range_id, cited, analyte);
    Reading {
        interpretation: band.map_or(NOT_SETTLED, |b| b.band.as_str()).to_owned(),
        rule: range_id,
        sources,
        decision_limits: BTreeMap::from([("high".to_owned(), high)]),
        bands: vec![
            Band {
                band: "normal".to_owned(),
                from: None,
                to: Some(high),
                to_inclusive: true,
            },
            Band {
                band: "raised".to_owned(),
                from: Some(high),
                to: None,
                to_inclusive: false,
            },
        ],
        unverified,
    }
}

/// Cites a band's sources under the profile; whether it is unverified there.
fn cite_band(
    out: &mut Out<'_>,
    id: &str,
    band: &kobalt_kb::Band,
    analyte: &Analyte,
) -> (Vec<String>, bool) {
    let status = if analyte.conversion_unverified {
        Status::Unverified
    } else {
        band.status
    };
    let before = out.unverified.len();
    let sources = out.cite(id, &band.sources, status);
    (sources, out.unverified.len() > before)
}

fn in_band<'a>(
    analyte: &Analyte,
    limits: &'a Limits,
    band: &'a kobalt_kb::Band,
    out: &mut Out<'a>,
) -> Reading {
    out.trace.push(limits.rule_id.clone());
    let (sources, unverified) = cite_band(
        out,
        &format!("{}:{}", limits.rule_id, band.band),
        band,
        analyte,
    );
    Reading {
        interpretation: band.band.clone(),
        rule: limits.rule_id.clone(),
        sources,
        decision_limits: limits.named_limits(),
        bands: shown_bands(limits),
        unverified,
    }
}

/// The profile's bands as the marker shows them.
fn shown_bands(limits: &Limits) -> Vec<Band> {
    limits
        .bands
        .iter()
        .map(|b| Band {
            band: b.band.clone(),
            from: b.from,
            to: b.to,
            to_inclusive: b.to_inclusive,
        })
        .collect()
}

/// The interpretation of a result reported as a bound whose interval reaches
/// more than one band (interop.md B.2: "unknown", not a number).
const NOT_SETTLED: &str = "not_settled";

/// A bound that does not settle its band: the limits are shown and cited, the
/// band is not known.
fn not_settled<'a>(analyte: &Analyte, limits: &'a Limits, out: &mut Out<'a>) -> Reading {
    out.trace.push(limits.rule_id.clone());
    let status = if analyte.conversion_unverified {
        Status::Unverified
    } else {
        limits.status
    };
    let before = out.unverified.len();
    let sources = out.cite(&limits.rule_id, &limits.sources, status);
    Reading {
        interpretation: NOT_SETTLED.to_owned(),
        rule: limits.rule_id.clone(),
        sources,
        decision_limits: limits.named_limits(),
        bands: shown_bands(limits),
        unverified: out.unverified.len() > before,
    }
}

/// A lab without a band: no limits for it, or a qualitative result.
fn unread(interpretation: String) -> Reading {
    Reading {
        interpretation,
        rule: String::new(),
        sources: vec![],
        decision_limits: BTreeMap::new(),
        bands: vec![],
        unverified: false,
    }
}

/// Whether a lab is dated before the treatment under way started (F06).
pub(crate) fn before_treatment(lab: &LabFact, case: &Case) -> bool {
    let started = case.treatment.as_ref().and_then(|t| t.started);
    matches!((lab.date, started), (Some(d), Some(s)) if d < s)
}

fn marker(
    analyte: &Analyte,
    lab: &LabFact,
    case: &Case,
    reading: Reading,
    out: &Out<'_>,
) -> Marker {
    Marker {
        analyte: analyte.id.clone(),
        name: analyte.name.get(out.language, out.audience).to_owned(),
        value: lab.value.map(round4),
        comparator: lab.comparator,
        unit: lab.value.and(analyte.canonical_unit.clone()),
        reported: lab
            .reported
            .as_ref()
            .filter(|(_, u)| Some(u) != analyte.canonical_unit.as_ref())
            .map(|(v, u)| ReportedValue {
                value: *v,
                unit: u.clone(),
            }),
        result: lab.result,
        date: lab.date.map(|d| d.to_string()),
        interpretation: reading.interpretation,
        decision_limits: reading
            .decision_limits
            .into_iter()
            .map(|(k, v)| (k, round4(v)))
            .collect(),
        bands: reading.bands,
        lab_reference: (lab.reference_low.is_some() || lab.reference_high.is_some()).then(|| {
            LabReference {
                low: lab.reference_low.map(round4),
                high: lab.reference_high.map(round4),
            }
        }),
        rule: reading.rule,
        sources: reading.sources,
        unverified: reading.unverified,
        flags: before_treatment(lab, case)
            .then(|| "before_treatment".to_owned())
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::stages::testing::{case, kb};

    fn run(request: serde_json::Value) -> (Vec<Option<String>>, Vec<Marker>, Vec<String>) {
        let case = case(request);
        let mut out = Out::new(kb(), &case);
        let labs = labs(kb(), &case, &mut out);
        let bands = labs
            .bands
            .iter()
            .map(|b| b.map(|b| b.band.clone()))
            .collect();
        (bands, labs.markers, out.trace)
    }

    fn b12(guideline: &str, value: f64) -> serde_json::Value {
        json!({
            "guideline": guideline,
            "person": { "age_years": 50, "sex": "female" },
            "labs": [{ "analyte": "b12_total", "value": value, "unit": "pmol/L" }],
        })
    }

    #[test]
    fn b12_200_under_nhg_is_low_normal_with_the_nhg_limits() {
        let (bands, markers, trace) = run(b12("nhg", 200.0));
        let idx = kb().ids.b12_total as usize;
        assert_eq!(bands[idx].as_deref(), Some("low_normal"));
        let m = &markers[0];
        assert_eq!(m.analyte, "b12_total");
        assert_eq!(m.interpretation, "low_normal");
        assert_eq!(m.rule, "limits_b12_total");
        assert_eq!(m.sources, ["NHG-SP-2014"]);
        assert!(!m.unverified);
        // profiles/nhg.toml: low_normal from 148 (limit "low"), normal from 260 (limit "high").
        assert_eq!(m.decision_limits.get("low"), Some(&148.0));
        assert_eq!(m.decision_limits.get("high"), Some(&260.0));
        assert_eq!(trace, ["limits_b12_total"]);
    }

    #[test]
    fn b12_above_1000_under_nhg_is_high_and_unverified() {
        let (_, markers, _) = run(b12("nhg", 1500.0));
        assert_eq!(markers[0].interpretation, "high");
        assert!(markers[0].unverified);
    }

    #[test]
    fn the_labs_own_upper_limit_decides_for_mma() {
        // G9 (NG239): use laboratory reference ranges for MMA; clinical review F09 / P26b.
        let (bands, markers, trace) = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 50, "sex": "female" },
            "labs": [{ "analyte": "mma", "value": 0.40, "unit": "µmol/L", "reference_high": 0.35 }],
        }));
        assert_eq!(bands[kb().ids.mma as usize].as_deref(), Some("raised"));
        assert_eq!(markers[0].rule, "lab_reference_range");
        assert_eq!(markers[0].decision_limits.get("high"), Some(&0.35));
        assert_eq!(trace, ["lab_reference_range"]);
    }

    #[test]
    fn a_converted_b12_is_rounded_to_the_limits_precision() {
        // 200 pg/mL = 147.56 pmol/L; the NHG limit 148 has no decimals (clinical review F17).
        let (bands, ..) = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 50, "sex": "female" },
            "labs": [{ "analyte": "b12_total", "value": 200, "unit": "pg/mL" }],
        }));
        assert_eq!(
            bands[kb().ids.b12_total as usize].as_deref(),
            Some("low_normal")
        );
    }

    #[test]
    fn under_nice_an_nhg_only_source_is_not_cited() {
        // Profiles are not mixed (F13): NICE's B12 limits cite NICE sources only.
        let (_, markers, _) = run(b12("nice", 200.0));
        assert!(
            markers[0].sources.iter().all(|s| !s.starts_with("NHG")),
            "{:?}",
            markers[0].sources
        );
        assert!(!markers[0].sources.is_empty());
    }

    #[test]
    fn haemoglobin_in_pregnancy_is_read_by_trimester() {
        // G19 (NHG-Standaard Zwangerschap): 6.8 mmol/L first, 6.5 second trimester (F20).
        let at = |weeks: Option<f64>| {
            let mut person = json!({ "age_years": 30, "sex": "female", "pregnant": true });
            if let Some(w) = weeks {
                person["gestation_weeks"] = json!(w);
            }
            let (bands, markers, _) = run(json!({
                "guideline": "nhg",
                "person": person,
                "labs": [{ "analyte": "haemoglobin", "value": 6.6, "unit": "mmol/L" }],
            }));
            (
                bands[kb().ids.haemoglobin as usize].clone(),
                markers[0].interpretation.clone(),
            )
        };
        assert_eq!(at(Some(10.0)).0.as_deref(), Some("low"));
        assert_eq!(at(Some(20.0)).0.as_deref(), Some("normal"));
        // Third trimester and week unknown: not judged (the midwife judges).
        assert_eq!(at(Some(32.0)), (None, "not_judged_in_pregnancy".to_owned()));
        assert_eq!(at(None), (None, "not_judged_in_pregnancy".to_owned()));
    }

    #[test]
    fn a_childs_haemoglobin_is_not_judged_by_adult_limits() {
        // F03: adult Hb limits do not apply to children; a severe low still counts.
        let hb = |v: f64| {
            let (bands, ..) = run(json!({
                "guideline": "nhg",
                "person": { "age_years": 1, "sex": "male" },
                "labs": [{ "analyte": "haemoglobin", "value": v, "unit": "mmol/L" }],
            }));
            bands[kb().ids.haemoglobin as usize].clone()
        };
        assert_eq!(hb(7.0), None);
        assert_eq!(hb(4.8).as_deref(), Some("severe_low"));
    }

    #[test]
    fn a_qualitative_result_has_no_band() {
        let (bands, markers, trace) = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 50, "sex": "female" },
            "labs": [{ "analyte": "intrinsic_factor_antibody", "result": "positive" }],
        }));
        assert!(bands.iter().all(Option::is_none));
        assert_eq!(markers[0].interpretation, "positive");
        assert!(markers[0].rule.is_empty());
        assert!(trace.is_empty());
    }
}
