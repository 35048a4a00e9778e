//! FHIR R4 input: a Bundle (or a list of prefetched resources) mapped to a
//! Kobalt request. Lenient about what Kobalt does not use (unknown resources
//! and elements are skipped), strict about what it does: every resource or
//! element that cannot be used becomes an issue naming it, reported as an
//! OperationOutcome. Code maps are knowledge (knowledge/fhir.toml). Pure: no I/O.
//!
//! Kobalt's own questionnaire answers travel as a QuestionnaireResponse to
//! `QUESTIONNAIRE` (others are not read) whose `linkId`s name the request fields: `person.pregnant`, `person.breastfeeding`,
//! `diet`, `symptom.<id>` (boolean, with nested `course`, `weeks`, `severity`),
//! `exposure.<id>` (pattern, or false), `supplements.none`, `conditions.none`,
//! `medications.none`, `procedures.none`, `exposures.none` (true: known none), and
//! `treatment.<field>` (route, substance, dose_ug, per, started, response).

mod date;

use std::collections::BTreeMap;

use jiff::civil::Date;
use kobalt_contract::{ContractError, Request, parse_request};
use kobalt_kb::{CodeMaps, CodeRule, Knowledge};
use serde_json::{Map, Value, json};

pub use date::{DateError, When, not_before};

/// The code system of Kobalt's analyte ids, for tests without a LOINC code.
pub const ANALYTE_SYSTEM: &str = "urn:kobalt:analyte";

/// Something in the input that Kobalt could not use, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    /// `error` (no assessment possible), `warning` (data left out) or `information`.
    pub severity: &'static str,
    /// `ResourceType/id` or `Bundle.entry[3]`.
    pub resource: String,
    /// The element, as a FHIRPath-like path.
    pub element: String,
    pub text: String,
}

/// The request and what was left out on the way.
#[derive(Clone, Debug)]
pub struct Mapped {
    pub request: Request,
    pub issues: Vec<Issue>,
}

/// Why no request could be made.
#[derive(Clone, Debug)]
pub struct Failed {
    pub issues: Vec<Issue>,
}

impl Failed {
    pub fn operation_outcome(&self) -> Value {
        operation_outcome(&self.issues)
    }
}

/// The issues as an R4 OperationOutcome.
pub fn operation_outcome(issues: &[Issue]) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": issues.iter().map(|i| json!({
            "severity": i.severity,
            "code": if i.severity == "error" { "required" } else { "not-supported" },
            "details": { "text": i.text },
            "diagnostics": format!("{}: {}", i.resource, i.element),
            "expression": [i.element],
        })).collect::<Vec<_>>(),
    })
}

struct Mapper<'a> {
    kb: &'a Knowledge,
    today: Date,
    issues: Vec<Issue>,
    request: Map<String, Value>,
    person: Map<String, Value>,
    /// Latest Observation per analyte: (when taken, lab object, resource).
    labs: BTreeMap<String, (Option<When>, Value, String)>,
    /// Latest result per analyte that could not be used: (when, resource).
    unusable: BTreeMap<String, (Option<When>, String)>,
    lists: BTreeMap<&'static str, Vec<Value>>,
    medications: BTreeMap<String, Value>,
}

fn label(v: &Value, index: usize) -> String {
    match (v["resourceType"].as_str(), v["id"].as_str()) {
        (Some(t), Some(id)) => format!("{t}/{id}"),
        (Some(t), None) => format!("{t} (entry {index})"),
        _ => format!("Bundle.entry[{index}]"),
    }
}

/// The (system, code) pairs of a CodeableConcept.
pub fn codings(concept: &Value) -> Vec<(&str, &str)> {
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["system"].as_str().unwrap_or(""), c["code"].as_str()?)))
        .collect()
}

/// The date part of a FHIR date or dateTime; partial dates fill in the middle.
fn date_of(text: &str) -> Option<Date> {
    When::parse(text).ok().map(|w| w.date())
}

fn years_between(from: Date, to: Date) -> Option<f64> {
    let days = from.until(to).ok()?.get_days();
    Some((f64::from(days) / 365.25 * 10.0).round() / 10.0)
}

impl<'a> Mapper<'a> {
    fn issue(
        &mut self,
        severity: &'static str,
        resource: &str,
        element: &str,
        text: impl Into<String>,
    ) {
        self.issues.push(Issue {
            severity,
            resource: resource.to_owned(),
            element: element.to_owned(),
            text: text.into(),
        });
    }

    fn patient(&mut self, r: &Value, name: &str) {
        if let Some(b) = r["birthDate"].as_str() {
            match date_of(b) {
                Some(birth) => {
                    // Whole years at the evaluation date.
                    let age = birth
                        .until((jiff::Unit::Year, self.today))
                        .ok()
                        .map(|s| f64::from(s.get_years()));
                    match age {
                        Some(a) if a >= 0.0 => {
                            self.person.insert("age_years".into(), json!(a));
                        }
                        _ => self.issue(
                            "warning",
                            name,
                            "Patient.birthDate",
                            "birth date after the evaluation date",
                        ),
                    }
                }
                None => self.issue(
                    "warning",
                    name,
                    "Patient.birthDate",
                    format!("'{b}' is not a date"),
                ),
            }
        }
        if let Some(g) = r["gender"].as_str() {
            self.person.insert("sex".into(), json!(g));
        }
    }

    fn observation(&mut self, r: &Value, name: &str) {
        match r["status"].as_str() {
            Some("final" | "amended" | "corrected") => {}
            Some("preliminary") => self.issue(
                "information",
                name,
                "Observation.status",
                "preliminary result used",
            ),
            other => {
                self.issue(
                    "warning",
                    name,
                    "Observation.status",
                    format!("status {other:?}: not used"),
                );
                return;
            }
        }
        // A LOINC code of the knowledge base, or Kobalt's own analyte id for
        // tests without a fixed LOINC code (holotranscobalamin, ...).
        let codes = codings(&r["code"]);
        let by_loinc = codes.iter().find_map(|(_, c)| {
            self.kb
                .loinc_index
                .get(*c)
                .map(|a| ("loinc", (*c).to_owned(), *a))
        });
        let by_id = codes.iter().find_map(|(system, c)| {
            (*system == ANALYTE_SYSTEM)
                .then(|| self.kb.analyte(c))
                .flatten()
                .map(|a| ("analyte", (*c).to_owned(), a))
        });
        let Some((key, code, idx)) = by_loinc.or(by_id) else {
            match self.unmapped_table(&r["code"], "a LOINC code") {
                Some(text) => self.issue("warning", name, "Observation.code", text),
                None => self.issue(
                    "information",
                    name,
                    "Observation.code",
                    "no LOINC code Kobalt uses: skipped",
                ),
            }
            return;
        };
        let analyte = self.kb.analytes[idx as usize].id.clone();
        let written = [
            ("Observation.effectiveDateTime", &r["effectiveDateTime"]),
            (
                "Observation.effectivePeriod.start",
                &r["effectivePeriod"]["start"],
            ),
            ("Observation.issued", &r["issued"]),
        ]
        .into_iter()
        .find_map(|(element, v)| Some((element, v.as_str()?)));
        let when = match written.map(|(element, text)| (element, When::parse(text))) {
            None => None,
            Some((_, Ok(when))) => Some(when),
            Some((element, Err(e))) => {
                self.issue("warning", name, element, format!("{e}: not used"));
                return;
            }
        };
        let mut lab = Map::new();
        lab.insert(key.into(), json!(code));
        if let Some(w) = &when {
            // Instants as instants: a result stamped in a zone ahead of the
            // server is today, not "from the future" (EHR review item 2).
            let date = if w.date() <= self.today {
                w.date()
            } else if w.earliest_date() <= self.today {
                self.today
            } else {
                let element = written.map_or("Observation.effective[x]", |(e, _)| e);
                self.issue(
                    "warning",
                    name,
                    element,
                    "dated after the evaluation date: not used",
                );
                return;
            };
            lab.insert("date".into(), json!(date.to_string()));
        }
        // A quantity, or one written as text ("<150 pg/mL"): interop.md B.2.
        let written_quantity = r["valueString"].as_str().and_then(quantity_in_text);
        let q = written_quantity.as_ref().unwrap_or(&r["valueQuantity"]);
        if q.is_object() {
            if let Some(c) = q["comparator"].as_str() {
                // A bound is an interval, read as such against the limits.
                if kobalt_contract::Comparator::parse(c).is_none() {
                    self.issue(
                        "warning",
                        name,
                        "Observation.valueQuantity.comparator",
                        format!("comparator '{c}' is not one of <, <=, >, >=: not used"),
                    );
                    self.unusable(&analyte, when, name);
                    return;
                }
                lab.insert("comparator".into(), json!(c));
            }
            let Some(value) = q["value"].as_f64() else {
                self.issue(
                    "warning",
                    name,
                    "Observation.valueQuantity.value",
                    "no number",
                );
                self.unusable(&analyte, when, name);
                return;
            };
            let unit = match (q["system"].as_str(), q["code"].as_str(), q["unit"].as_str()) {
                (Some("http://unitsofmeasure.org"), Some(code), _) => code,
                (_, _, Some(unit)) => unit,
                (_, Some(code), None) => code,
                _ => {
                    self.issue("warning", name, "Observation.valueQuantity.unit", "no unit");
                    self.unusable(&analyte, when, name);
                    return;
                }
            };
            // UCUM annotations are not part of the unit: `{total}` goes, and
            // the arbitrary unit `[IU]` is IU (`m[IU]/L` is mIU/L).
            let unit = ucum_plain(unit);
            let known = &self.kb.analytes[idx as usize];
            if known.quantitative() && known.factor(&unit).is_none() {
                self.issue(
                    "warning",
                    name,
                    "Observation.valueQuantity.code",
                    format!(
                        "'{unit}' is not a unit of {analyte} that Kobalt reads ({}): not used",
                        known.accepted_units().join(", ")
                    ),
                );
                self.unusable(&analyte, when, name);
                return;
            }
            lab.insert("value".into(), json!(value));
            lab.insert("unit".into(), json!(unit));
            for (bound, key) in [("low", "reference_low"), ("high", "reference_high")] {
                if let Some(v) = r["referenceRange"][0][bound]["value"].as_f64() {
                    lab.insert(key.into(), json!(v));
                }
            }
        } else if r["valueCodeableConcept"].is_object() {
            let concept = &r["valueCodeableConcept"];
            let result = CodeMaps::find(&self.kb.fhir.results, &codings(concept))
                .map(|rule| rule.id.clone())
                .or_else(|| concept["text"].as_str().map(str::to_lowercase));
            match result.filter(|t| kobalt_contract::QualitativeResult::parse(t).is_some()) {
                Some(t) => {
                    lab.insert("result".into(), json!(t));
                }
                None => {
                    self.issue(
                        "warning",
                        name,
                        "Observation.valueCodeableConcept",
                        "not a positive, negative or equivocal result",
                    );
                    self.unusable(&analyte, when, name);
                    return;
                }
            }
        } else if let Some(text) = r["valueString"].as_str() {
            let t = text.trim().to_lowercase();
            if kobalt_contract::QualitativeResult::parse(&t).is_some() {
                lab.insert("result".into(), json!(t));
            } else {
                self.issue(
                    "warning",
                    name,
                    "Observation.valueString",
                    format!("'{text}' is not a value Kobalt reads"),
                );
                self.unusable(&analyte, when, name);
                return;
            }
        } else {
            self.issue("warning", name, "Observation.value[x]", "no value");
            self.unusable(&analyte, when, name);
            return;
        }
        // The latest result per analyte.
        let newer = self
            .labs
            .get(&analyte)
            .is_none_or(|(d, _, _)| not_before(when.as_ref(), d.as_ref()));
        if newer {
            self.labs
                .insert(analyte, (when, Value::Object(lab), name.to_owned()));
        }
    }

    /// A result of `analyte` that could not be used; the latest is kept.
    fn unusable(&mut self, analyte: &str, when: Option<When>, name: &str) {
        let newer = self
            .unusable
            .get(analyte)
            .is_none_or(|(d, _)| not_before(when.as_ref(), d.as_ref()));
        if newer {
            self.unusable
                .insert(analyte.to_owned(), (when, name.to_owned()));
        }
    }

    /// A newer result that could not be used (a "<111" or a text) blocks an
    /// older number: the older one is dropped with a warning naming both,
    /// never silently used in its place (EHR review item 4, F09).
    fn block_older_results(&mut self) {
        for (analyte, (when, newer)) in std::mem::take(&mut self.unusable) {
            let blocked = self
                .labs
                .get(&analyte)
                .is_some_and(|(d, _, _)| not_before(when.as_ref(), d.as_ref()));
            if let Some((_, _, older)) = blocked.then(|| self.labs.remove(&analyte)).flatten() {
                self.issue(
                    "warning",
                    &older,
                    "Observation.value[x]",
                    format!("not used: the newer {analyte} result {newer} could not be read, and an older value must not stand in for it"),
                );
            }
        }
    }

    /// A medicine with no mapped code whose coding display or text names a
    /// mapped substance (a product-level or local code): used, with a warning
    /// that it was recognised from its text (EHR review item 3).
    fn by_text(&mut self, concept: &Value, name: &str, element: &str) -> Option<String> {
        if CodeMaps::find(&self.kb.fhir.medications, &codings(concept)).is_some() {
            return None;
        }
        let texts = concept["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["display"].as_str())
            .chain(concept["text"].as_str());
        let (substance, id, text) = texts.into_iter().find_map(|t| {
            self.kb
                .fhir
                .medication_named(t)
                .map(|(n, id)| (n.to_owned(), id.to_owned(), t.to_owned()))
        })?;
        self.lists.entry("medications").or_default();
        self.issue(
            "warning",
            name,
            element,
            format!("'{text}' recognised as {id} from its text ('{substance}'), not from its code"),
        );
        Some(id)
    }

    fn coded(
        &mut self,
        r: &Value,
        name: &str,
        kind: &'static str,
        concept: &Value,
        element: &str,
    ) -> Option<&'a CodeRule> {
        let rules = match kind {
            "conditions" => &self.kb.fhir.conditions,
            "procedures" => &self.kb.fhir.procedures,
            _ => &self.kb.fhir.medications,
        };
        let found = CodeMaps::find(rules, &codings(concept));
        self.lists.entry(kind).or_default();
        if found.is_none() {
            match self.unmapped_table(concept, "an ATC code") {
                Some(text) => self.issue("warning", name, element, text),
                None => self.issue(
                    "information",
                    name,
                    element,
                    format!(
                        "{} not used by Kobalt",
                        r["resourceType"].as_str().unwrap_or("resource")
                    ),
                ),
            }
        }
        found
    }

    /// For a concept coded only in a table Kobalt recognises but does not
    /// carry (NHG Tabel 45, G-Standaard: fhir.toml `[unmapped_system]`), what
    /// to tell the integrator: which table, and what to send as well.
    fn unmapped_table(&self, concept: &Value, instead: &str) -> Option<String> {
        let (table, code) = self.kb.fhir.unmapped(&codings(concept))?;
        let display = concept["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["code"] == code)
            .and_then(|c| c["display"].as_str())
            .or(concept["text"].as_str())
            .map(|d| format!(" '{d}'"))
            .unwrap_or_default();
        Some(format!(
            "coded only in {table} ({code}{display}), a licensed table Kobalt does not carry: \
             not used; send {instead} as well"
        ))
    }

    fn condition(&mut self, r: &Value, name: &str) {
        let verification = codings(&r["verificationStatus"]);
        if verification
            .iter()
            .any(|(_, c)| matches!(*c, "refuted" | "entered-in-error" | "differential"))
        {
            self.issue(
                "information",
                name,
                "Condition.verificationStatus",
                "refuted, a differential diagnosis or entered in error: not used",
            );
            return;
        }
        if let Some(rule) = self.coded(r, name, "conditions", &r["code"], "Condition.code") {
            let item = json!({ "id": rule.id });
            self.lists.entry("conditions").or_default().push(item);
        }
    }

    fn procedure(&mut self, r: &Value, name: &str) {
        if matches!(r["status"].as_str(), Some("not-done" | "entered-in-error")) {
            self.issue(
                "information",
                name,
                "Procedure.status",
                "not done or entered in error: not used",
            );
            return;
        }
        if let Some(rule) = self.coded(r, name, "procedures", &r["code"], "Procedure.code") {
            let mut item = json!({ "id": rule.id });
            let when = r["performedDateTime"]
                .as_str()
                .or(r["performedPeriod"]["start"].as_str());
            if let Some(y) = when
                .and_then(date_of)
                .and_then(|d| years_between(d, self.today))
            {
                item["years_ago"] = json!(y);
            }
            self.lists.entry("procedures").or_default().push(item);
        }
    }

    fn medication(&mut self, r: &Value, name: &str, bundle: &[Value]) {
        let kind = r["resourceType"]
            .as_str()
            .unwrap_or("MedicationStatement")
            .to_owned();
        if matches!(
            r["status"].as_str(),
            Some("not-taken" | "entered-in-error" | "cancelled")
        ) {
            self.issue(
                "information",
                name,
                &format!("{kind}.status"),
                "not taken, cancelled or entered in error: not used",
            );
            return;
        }
        // The medication code, directly or through a (contained or bundled) Medication.
        let concept = if r["medicationCodeableConcept"].is_object() {
            r["medicationCodeableConcept"].clone()
        } else if let Some(reference) = r["medicationReference"]["reference"].as_str() {
            // `#med`, `Medication/med`, a full URL or `urn:uuid:med` (F28).
            let id = reference
                .trim_start_matches('#')
                .rsplit(['/', ':'])
                .next()
                .unwrap_or("");
            r["contained"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(bundle.iter())
                .find(|m| m["resourceType"] == "Medication" && m["id"] == id)
                .map(|m| m["code"].clone())
                .unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        let element = format!("{kind}.medication[x]");
        if let Some(rule) = CodeMaps::find(&self.kb.fhir.supplements, &codings(&concept)) {
            let mut item = json!({ "id": rule.id });
            // Dose: dosage[0].doseAndRate[0].doseQuantity (mg or ug) per timing period.
            let dosage = r["dosage"][0].clone();
            let dosage = if dosage.is_null() {
                r["dosageInstruction"][0].clone()
            } else {
                dosage
            };
            let dose = &dosage["doseAndRate"][0]["doseQuantity"];
            if let (Some(v), Some(u)) = (
                dose["value"].as_f64(),
                dose["code"].as_str().or(dose["unit"].as_str()),
            ) {
                match u {
                    "mg" => item["dose_mg"] = json!(v),
                    "ug" | "µg" | "mcg" => item["dose_ug"] = json!(v),
                    other => self.issue(
                        "warning",
                        name,
                        &format!("{kind}.dosage.doseAndRate.doseQuantity"),
                        format!("dose unit '{other}' is not mg or ug"),
                    ),
                }
                let per = match dosage["timing"]["repeat"]["periodUnit"].as_str() {
                    Some("wk") => "week",
                    Some("mo") => "month",
                    _ => "day",
                };
                item["per"] = json!(per);
            }
            self.lists.entry("supplements").or_default().push(item);
            return;
        }
        let id = match self.by_text(&concept, name, &element) {
            Some(id) => id,
            None => match self.coded(r, name, "medications", &concept, &element) {
                Some(rule) => rule.id.clone(),
                None => return,
            },
        };
        // A period that ended before the evaluation date is past use, not
        // current use (EHR review F31: its years ran on to today).
        if let Some(end) = r["effectivePeriod"]["end"].as_str().and_then(date_of)
            && end < self.today
        {
            self.lists.entry("medications").or_default();
            self.issue(
                "warning",
                name,
                &format!("{kind}.effectivePeriod.end"),
                format!("{id} ended on {end}: not current use, not used"),
            );
            return;
        }
        let start = r["effectivePeriod"]["start"]
            .as_str()
            .or(r["effectiveDateTime"].as_str())
            .or(r["authoredOn"].as_str());
        let mut item = json!({ "id": id });
        if let Some(y) = start
            .and_then(date_of)
            .and_then(|d| years_between(d, self.today))
        {
            item["years"] = json!(y);
        }
        // One entry per medication: the longest use counts.
        let longer = self.medications.get(&id).is_none_or(|m| {
            m["years"].as_f64().unwrap_or(0.0) < item["years"].as_f64().unwrap_or(0.0)
        });
        if longer {
            self.medications.insert(id, item);
        }
    }

    fn questionnaire(&mut self, r: &Value, name: &str) {
        // Only answers to Kobalt's own questionnaire mean Kobalt's fields
        // (EHR review F66b: another form's `diet` was read as Kobalt's).
        let canonical = r["questionnaire"].as_str().unwrap_or("");
        if canonical.split('|').next() != Some(QUESTIONNAIRE) {
            self.issue(
                "warning",
                name,
                "QuestionnaireResponse.questionnaire",
                format!("answers to '{canonical}', not to Kobalt's questionnaire ({QUESTIONNAIRE}): not used"),
            );
            return;
        }
        let mut symptoms = Vec::new();
        let mut exposures = Vec::new();
        let mut treatment = Map::new();
        for item in r["item"].as_array().into_iter().flatten() {
            let link = item["linkId"].as_str().unwrap_or("");
            let answer = &item["answer"][0];
            let value = answer["valueBoolean"]
                .as_bool()
                .map(Value::Bool)
                .or_else(|| answer["valueCoding"]["code"].as_str().map(|s| json!(s)))
                .or_else(|| answer["valueString"].as_str().map(|s| json!(s)))
                .or_else(|| answer["valueDecimal"].as_f64().map(|v| json!(v)))
                .or_else(|| answer["valueInteger"].as_i64().map(|v| json!(v)))
                .or_else(|| answer["valueDate"].as_str().map(|s| json!(s)));
            let Some(value) = value else {
                self.issue(
                    "warning",
                    name,
                    &format!("QuestionnaireResponse.item[{link}]"),
                    "no answer",
                );
                continue;
            };
            match link.split_once('.') {
                Some(("person", field @ ("pregnant" | "breastfeeding"))) => {
                    self.person.insert(field.into(), value);
                }
                Some(("symptom", id)) => {
                    let mut s = json!({ "id": id, "present": value.as_bool().unwrap_or(true) });
                    for sub in item["item"].as_array().into_iter().flatten() {
                        let a = &sub["answer"][0];
                        let v = a["valueCoding"]["code"]
                            .as_str()
                            .map(|x| json!(x))
                            .or_else(|| a["valueString"].as_str().map(|x| json!(x)))
                            .or_else(|| a["valueDecimal"].as_f64().map(|x| json!(x)))
                            .or_else(|| a["valueInteger"].as_i64().map(|x| json!(x)));
                        if let (Some(k), Some(v)) = (sub["linkId"].as_str(), v) {
                            s[k] = v;
                        }
                    }
                    symptoms.push(s);
                }
                Some(("exposure", id)) => match value {
                    Value::Bool(false) => {}
                    Value::String(p) => exposures.push(json!({ "id": id, "pattern": p })),
                    _ => exposures.push(json!({ "id": id })),
                },
                Some((
                    list @ ("supplements" | "conditions" | "medications" | "procedures"
                    | "exposures"),
                    "none",
                )) => {
                    if value == Value::Bool(true) {
                        let key: &'static str = match list {
                            "supplements" => "supplements",
                            "conditions" => "conditions",
                            "medications" => "medications",
                            "procedures" => "procedures",
                            _ => "exposures",
                        };
                        self.lists.entry(key).or_default();
                    }
                }
                Some(("treatment", field)) => {
                    treatment.insert(field.into(), value);
                }
                None if link == "diet" => {
                    self.request.insert("diet".into(), value);
                }
                _ => self.issue(
                    "information",
                    name,
                    &format!("QuestionnaireResponse.item[{link}]"),
                    "not a Kobalt question: skipped",
                ),
            }
        }
        if !symptoms.is_empty() {
            self.request
                .insert("symptoms".into(), Value::Array(symptoms));
        }
        if !exposures.is_empty() {
            self.lists.entry("exposures").or_default().extend(exposures);
        }
        if !treatment.is_empty() {
            self.request
                .insert("treatment".into(), Value::Object(treatment));
        }
    }
}

/// The resources of a Bundle, of a `{resourceType: ...}` resource, or of a JSON array.
fn resources(input: &Value) -> Vec<Value> {
    match input {
        Value::Array(a) => a.clone(),
        Value::Object(o) if o.get("resourceType") == Some(&json!("Bundle")) => o
            .get("entry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| e["resource"].clone())
            .collect(),
        other => vec![other.clone()],
    }
}

/// The canonical URL of Kobalt's questionnaire: a QuestionnaireResponse is
/// read only when its `questionnaire` is this (optionally `|version`).
pub const QUESTIONNAIRE: &str = "https://kobalt.example/fhir/Questionnaire/kobalt-b12";

/// A UCUM code without its annotations (`{...}`) and with `[IU]` as IU.
fn ucum_plain(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut depth = 0usize;
    for c in code.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.replace("[IU]", "IU").replace("[iU]", "IU");
    // A unit that was only an annotation (`{cells}`) is dimensionless.
    if out.is_empty() { "1".to_owned() } else { out }
}

/// A quantity written as text, as laboratories send censored results in
/// `valueString`: "<150 pg/mL", "≥ 2000 ng/L", "0,10 umol/L"; `None` when the
/// text is not a number with a unit.
fn quantity_in_text(text: &str) -> Option<Value> {
    let text = text.trim();
    let (comparator, rest) = [
        ("<=", "<="),
        (">=", ">="),
        ("≤", "<="),
        ("≥", ">="),
        ("<", "<"),
        (">", ">"),
    ]
    .into_iter()
    .find_map(|(written, c)| Some((Some(c), text.strip_prefix(written)?)))
    .unwrap_or((None, text));
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(rest.len());
    let value: f64 = rest[..end].replace(',', ".").parse().ok()?;
    let unit = rest[end..].trim();
    if unit.is_empty() || unit.contains(char::is_whitespace) {
        return None;
    }
    let mut q = json!({ "value": value, "unit": unit });
    if let Some(c) = comparator {
        q["comparator"] = json!(c);
    }
    Some(q)
}

/// The subject of `r` when it is another Patient than `patient` (by the last
/// segment of the reference: `Patient/p1`, `urn:uuid:p1`); Observations of
/// another subject were merged before (EHR review F39).
fn other_subject<'v>(r: &'v Value, patient: Option<&str>) -> Option<&'v str> {
    let patient = patient?;
    let reference = r["subject"]["reference"]
        .as_str()
        .or(r["patient"]["reference"].as_str())?;
    let id = reference.rsplit(['/', ':']).next().unwrap_or(reference);
    (id != patient).then_some(reference)
}

/// Maps FHIR resources to a request evaluated at `evaluation_date`.
/// `base` supplies the fields FHIR does not carry (guideline, language, audience).
pub fn map(
    kb: &Knowledge,
    input: &Value,
    evaluation_date: Date,
    base: &Value,
) -> Result<Mapped, Failed> {
    let all = resources(input);
    let mut m = Mapper {
        kb,
        today: evaluation_date,
        issues: Vec::new(),
        request: Map::new(),
        person: Map::new(),
        labs: BTreeMap::new(),
        unusable: BTreeMap::new(),
        lists: BTreeMap::new(),
        medications: BTreeMap::new(),
    };
    // One person per input: a second Patient is refused, never merged (F38).
    let patients: Vec<(usize, &Value)> = all
        .iter()
        .enumerate()
        .filter(|(_, r)| r["resourceType"] == "Patient")
        .collect();
    if let [(_, first), (j, second), ..] = patients[..] {
        return Err(Failed {
            issues: vec![Issue {
                severity: "error",
                resource: label(second, j),
                element: "Patient".into(),
                text: format!(
                    "a second Patient ({}) besides {}: one person per input",
                    label(second, j),
                    label(first, 0)
                ),
            }],
        });
    }
    let patient_id = patients.first().and_then(|(_, p)| p["id"].as_str());
    for (i, r) in all.iter().enumerate() {
        let name = label(r, i);
        if let Some(other) = other_subject(r, patient_id) {
            m.issue(
                "warning",
                &name,
                "subject",
                format!("about {other}, not this Patient: not used"),
            );
            continue;
        }
        match r["resourceType"].as_str() {
            Some("Patient") => m.patient(r, &name),
            Some("Observation") => m.observation(r, &name),
            Some("Condition") => m.condition(r, &name),
            Some("Procedure") => m.procedure(r, &name),
            Some("MedicationStatement" | "MedicationRequest") => m.medication(r, &name, &all),
            Some("QuestionnaireResponse") => m.questionnaire(r, &name),
            Some("Medication") => {}
            // Its results are Observations of their own, in the Bundle or
            // contained in the report (EHR review F19: a contained B12 was lost).
            Some("DiagnosticReport") => {
                for (k, obs) in r["contained"].as_array().into_iter().flatten().enumerate() {
                    if obs["resourceType"] == "Observation" {
                        let id = obs["id"]
                            .as_str()
                            .map_or_else(|| k.to_string(), str::to_owned);
                        m.observation(obs, &format!("{name}#{id}"));
                    }
                }
            }
            Some(other) => m.issue(
                "information",
                &name,
                "resourceType",
                format!("{other} is not used by Kobalt"),
            ),
            None => m.issue("warning", &name, "resourceType", "not a FHIR resource"),
        }
    }
    if !m.person.contains_key("age_years") {
        m.issue(
            "error",
            "Patient",
            "Patient.birthDate",
            "a Patient with a birth date is required (the age)",
        );
        return Err(Failed { issues: m.issues });
    }
    let mut request = Map::new();
    for key in ["guideline", "language", "audience"] {
        if let Some(v) = base.get(key) {
            request.insert(key.into(), v.clone());
        }
    }
    request.insert("evaluation_date".into(), json!(evaluation_date.to_string()));
    request.insert(
        "person".into(),
        Value::Object(std::mem::take(&mut m.person)),
    );
    request.extend(std::mem::take(&mut m.request));
    m.block_older_results();
    if !m.labs.is_empty() {
        let labs: Vec<Value> = std::mem::take(&mut m.labs)
            .into_values()
            .map(|(_, l, _)| l)
            .collect();
        request.insert("labs".into(), Value::Array(labs));
    }
    let medications: Vec<Value> = std::mem::take(&mut m.medications).into_values().collect();
    if !medications.is_empty() {
        m.lists
            .entry("medications")
            .or_default()
            .extend(medications);
    }
    for (key, list) in std::mem::take(&mut m.lists) {
        let mut seen = Vec::new();
        let unique: Vec<Value> = list
            .into_iter()
            .filter(|v| {
                let id = v["id"].clone();
                let fresh = !seen.contains(&id);
                seen.push(id);
                fresh
            })
            .collect();
        request.insert(key.into(), Value::Array(unique));
    }
    match parse_request(&Value::Object(request).to_string()) {
        Ok(request) => Ok(Mapped {
            request,
            issues: m.issues,
        }),
        Err(e) => {
            m.issues.push(contract_issue(&e));
            Err(Failed { issues: m.issues })
        }
    }
}

fn contract_issue(e: &ContractError) -> Issue {
    Issue {
        severity: "error",
        resource: "request".into(),
        element: e.path.clone(),
        text: format!("{}: {}", e.code.as_str(), e.message),
    }
}
