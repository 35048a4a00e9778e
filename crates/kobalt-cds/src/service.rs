//! The services: discovery, and cards for patient-view, order-select and
//! order-sign, built from the engine's assessment of the prefetched FHIR data.

use kobalt_contract::{
    Assessment, Audience, B12Category, Guideline, Language, Phase, Request, TriageLevel,
};
use kobalt_kb::{CodeMaps, Knowledge, fill};
use serde_json::{Value, json};

pub const PATIENT_SERVICE: &str = "kobalt-b12";
pub const ORDER_SERVICE: &str = "kobalt-b12-order";
/// The CDS Hooks specification version the services implement.
pub const SPEC_VERSION: &str = "3.0.0";
/// Whether `id` is one of the services.
pub fn is_service(id: &str) -> bool {
    matches!(id, PATIENT_SERVICE | ORDER_SERVICE)
}

const TOPIC_SYSTEM: &str = "urn:kobalt:cds:card-topic";
const OVERRIDE_SYSTEM: &str = "urn:kobalt:cds:override-reason";
/// Card summaries must stay under 140 characters (the specification's limit).
pub const SUMMARY_MAX: usize = 139;

/// A kind of card: its indicator, topic code (alphanumeric, as Epic requires:
/// EHR review R15) and display, and the rule it stands on.
struct CardTopic {
    indicator: &'static str,
    code: &'static str,
    display: &'static str,
    /// The rule the card stands on, unless the assessment names it (a red
    /// flag's first reason).
    rule: Option<&'static str>,
}

const RED_FLAG: CardTopic = CardTopic {
    indicator: "critical",
    code: "b12RedFlag",
    display: "B12: urgent signs",
    rule: None,
};
const DEFICIENT: CardTopic = CardTopic {
    indicator: "warning",
    code: "b12Deficient",
    display: "B12 deficiency",
    rule: Some("deficient_low_b12"),
};
const GREY_ZONE: CardTopic = CardTopic {
    indicator: "warning",
    code: "b12GreyZone",
    display: "B12 grey zone",
    rule: Some("test_mma_grey_zone"),
};
const RISK_MEDICATION: CardTopic = CardTopic {
    indicator: "info",
    code: "b12RiskMedication",
    display: "B12 and risk medication",
    rule: Some("triage_soon_risk_medication"),
};
/// Under NHG the risk-medication card stands on the rule that needs an NHG
/// test indication.
const RISK_MEDICATION_NHG: CardTopic = CardTopic {
    rule: Some("triage_soon_risk_medication_nhg"),
    ..RISK_MEDICATION
};
const FOLIC_ACID: CardTopic = CardTopic {
    indicator: "warning",
    code: "b12FolicAcid",
    display: "Folic acid before B12",
    rule: Some("folic_acid_before_b12"),
};

/// Why a hook call cannot be answered with cards.
#[derive(Debug, PartialEq)]
pub enum HookError {
    /// 400: the request is malformed.
    Bad(String),
    /// 412: required prefetch data is missing.
    Missing(Vec<String>),
    /// 404: no service of that id.
    UnknownService(String),
}

pub struct Services<'a> {
    pub kb: &'a Knowledge,
    pub guideline: Guideline,
    /// Kobalt's public base URL, for links to the explanation of a card's rule.
    pub base_url: &'a str,
}

fn loinc_list(kb: &Knowledge) -> String {
    kb.analytes
        .iter()
        .flat_map(|a| a.loinc.iter())
        .map(|c| format!("http://loinc.org|{c}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl Services<'_> {
    fn m(&self, id: &str, lang: Language) -> String {
        self.kb.message(id, lang, Audience::Clinician).to_owned()
    }

    /// The prefetch templates of every service, by key.
    pub fn prefetch_templates(&self) -> serde_json::Map<String, Value> {
        let templates = json!({
            "patient": "Patient/{{context.patientId}}",
            "labs": format!(
                "Observation?patient={{{{context.patientId}}}}&code={}&date=ge{{{{today() - {} days}}}}&_sort=-date&_count={}",
                loinc_list(self.kb),
                self.kb.fhir.lab_window_days,
                self.kb.fhir.lab_count
            ),
            "conditions": "Condition?patient={{context.patientId}}",
            "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
            "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
            "procedures": "Procedure?patient={{context.patientId}}",
        });
        templates.as_object().cloned().unwrap_or_default()
    }

    pub fn discovery(&self, lang: Language) -> Value {
        let prefetch = Value::Object(self.prefetch_templates());
        let usage = format!(
            "Knowledge base {} (sha256 {}), engine {}. Decision support, not a diagnosis.",
            self.kb.version,
            self.kb.sha256,
            kobalt_engine::ENGINE_VERSION
        );
        let service = |hook: &str, id: &str, title: &str, description: &str| {
            json!({
                "hook": hook, "id": id, "title": self.m(title, lang),
                "description": self.m(description, lang), "prefetch": prefetch,
                "usageRequirements": usage, "version": SPEC_VERSION,
            })
        };
        json!({ "services": [
            service("patient-view", PATIENT_SERVICE, "cds-service-patient", "cds-service-patient-description"),
            service("order-select", ORDER_SERVICE, "cds-service-order", "cds-service-order-description"),
            service("order-sign", ORDER_SERVICE, "cds-service-order", "cds-service-order-description"),
        ]})
    }

    /// Cards for one hook call.
    pub fn call(
        &self,
        service: &str,
        body: &Value,
        lang: Language,
        today: jiff::civil::Date,
    ) -> Result<Value, HookError> {
        let hook = body["hook"]
            .as_str()
            .ok_or_else(|| HookError::Bad("hook is missing".into()))?;
        let allowed = match service {
            PATIENT_SERVICE => &["patient-view"][..],
            ORDER_SERVICE => &["order-select", "order-sign"][..],
            _ => return Err(HookError::UnknownService(service.to_owned())),
        };
        if !allowed.contains(&hook) {
            return Err(HookError::Bad(format!(
                "service {service} does not answer hook {hook}"
            )));
        }
        if body["hookInstance"].as_str().is_none_or(str::is_empty) {
            return Err(HookError::Bad("hookInstance is missing".into()));
        }
        let context = &body["context"];
        if context["patientId"].as_str().is_none() {
            return Err(HookError::Bad("context.patientId is missing".into()));
        }
        // Required prefetch: a key that is absent, or an OperationOutcome, counts as missing.
        let prefetch = &body["prefetch"];
        let required: &[&str] = if hook == "patient-view" {
            &["patient", "labs"]
        } else {
            &["patient"]
        };
        let missing: Vec<String> = required
            .iter()
            .filter(|k| match prefetch.get(**k) {
                None => true,
                Some(v) => v["resourceType"] == "OperationOutcome",
            })
            .map(|k| (*k).to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(HookError::Missing(missing));
        }
        // The prefetched Patient is the one in the context, or nothing is said
        // (a card for another patient's id, EHR review PV14); a deceased
        // patient gets no cards (R6, F37).
        let patient = &prefetch["patient"];
        let context_id = context["patientId"].as_str().unwrap_or_default();
        if patient["resourceType"] == "Patient" && patient["id"].as_str() != Some(context_id) {
            return Err(HookError::Bad(format!(
                "the prefetched Patient ({}) is not context.patientId ({context_id})",
                patient["id"].as_str().unwrap_or("without id")
            )));
        }
        if patient["deceasedBoolean"] == json!(true) || patient["deceasedDateTime"].is_string() {
            return Ok(json!({ "cards": [] }));
        }
        let mut resources = Vec::new();
        for value in prefetch.as_object().into_iter().flat_map(|o| o.values()) {
            match value["resourceType"].as_str() {
                Some("Bundle") => resources.extend(
                    value["entry"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|e| e["resource"].clone()),
                ),
                Some("OperationOutcome") | None => {}
                Some(_) => resources.push(value.clone()),
            }
        }
        let base = json!({ "guideline": self.guideline.as_str(), "language": lang.as_str(), "audience": "clinician" });
        let mapped = kobalt_fhir::map(self.kb, &Value::Array(resources.clone()), today, &base)
            .map_err(|f| {
                HookError::Bad(
                    f.issues
                        .iter()
                        .map(|i| i.text.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
        let a = kobalt_engine::assess(self.kb, &mapped.request, today)
            .map_err(|e| HookError::Bad(e.to_string()))?;
        let patient = context["patientId"].as_str().unwrap_or_default();
        let mut cards = if hook == "patient-view" {
            self.patient_cards(&a, &mapped.request, patient, lang, today)
        } else {
            let orders = orders(context, hook);
            self.order_cards(&a, &mapped.request, &orders, patient, lang, today)
        };
        // What a clinician should know was left out (EHR review item 9).
        let unused: Vec<String> = mapped
            .issues
            .iter()
            .filter(|i| i.severity == "warning")
            .map(|i| format!("{}: {}", i.resource, i.text))
            .collect();
        if !unused.is_empty() {
            let note = format!(
                "\n**{}:** {}\n",
                self.m("cds-not-used", lang),
                escape(&unused.join("; "))
            );
            for card in &mut cards {
                if let Some(d) = card["detail"].as_str() {
                    card["detail"] = json!(format!("{d}{note}"));
                }
            }
        }
        // Few cards, the most urgent first.
        cards.sort_by_key(|c| match c["indicator"].as_str() {
            Some("critical") => 0,
            Some("warning") => 1,
            _ => 2,
        });
        Ok(json!({ "cards": cards }))
    }

    fn source(&self) -> Value {
        let id = match self.guideline {
            Guideline::Nhg => "NHG-SP-2014",
            Guideline::Nice => "NG239",
        };
        let s = self.kb.sources.get(id);
        json!({
            "label": s.map_or(id.to_owned(), |s| s.title.clone()),
            "url": s.and_then(|s| s.url.clone()),
        })
    }

    /// A card of `topic`; `indicator` and `rule` when they differ from the
    /// topic's own.
    #[allow(clippy::too_many_arguments)]
    fn card(
        &self,
        summary: String,
        topic: &CardTopic,
        indicator: Option<&str>,
        rule: Option<&str>,
        detail: String,
        suggestions: Vec<Value>,
        lang: Language,
    ) -> Value {
        let indicator = indicator.unwrap_or(topic.indicator);
        let rule = rule.or(topic.rule);
        let mut source = self.source();
        source["topic"] =
            json!({ "system": TOPIC_SYSTEM, "code": topic.code, "display": topic.display });
        let overrides: Vec<Value> = [
            ("already-investigated", "cds-override-already"),
            ("patient-declines", "cds-override-declines"),
            ("not-applicable", "cds-override-not-applicable"),
        ]
        .iter()
        .map(|(code, msg)| json!({ "system": OVERRIDE_SYSTEM, "code": code, "display": self.m(msg, lang) }))
        .collect();
        let mut card = json!({
            "uuid": uuid::Uuid::new_v4().to_string(),
            "summary": clip(&summary),
            "indicator": indicator,
            "detail": detail,
            "source": source,
            "overrideReasons": overrides,
            "links": [
                { "label": self.m("cds-link-explanation", lang), "url": self.source()["url"], "type": "absolute" },
            ],
        });
        if let Some(rule) = rule {
            let url = format!(
                "{}/api/v1/knowledge/{rule}",
                self.base_url.trim_end_matches('/')
            );
            card["links"]
                .as_array_mut()
                .into_iter()
                .for_each(|l| l.insert(0, json!({ "label": self.m("cds-link-rule", lang), "url": url, "type": "absolute" })));
        }
        if !suggestions.is_empty() {
            // `any` only: Epic refuses `at-most-one` (EHR review R15); a card
            // never offers two alternatives to pick from (see the grey zone).
            card["selectionBehavior"] = json!("any");
            card["suggestions"] = Value::Array(suggestions);
        }
        card
    }

    fn detail(&self, a: &Assessment, lang: Language) -> String {
        let mut d = format!("**{}:**\n\n", self.m("cds-why", lang));
        for r in &a.triage.reasons {
            let sources = if r.sources.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.sources.join(", "))
            };
            d.push_str(&format!("- {}{sources}\n", escape(&r.text)));
        }
        for mk in &a.b12_status.markers {
            let sign = kobalt_contract::Comparator::sign_of(mk.comparator);
            let value = mk.value.map_or_else(
                || mk.result.map(|r| r.to_string()).unwrap_or_default(),
                |v| {
                    let canonical = format!("{sign}{v} {}", mk.unit.as_deref().unwrap_or(""));
                    match &mk.reported {
                        Some(r) => format!("{sign}{} {} = {canonical}", r.value, r.unit),
                        None => canonical,
                    }
                },
            );
            d.push_str(&format!(
                "- {}: {} ({}{})\n",
                escape(&mk.name),
                escape(&value),
                escape(&self.m(&format!("band-{}", mk.interpretation), lang)),
                mk.date
                    .as_deref()
                    .map(|x| format!(", {}", escape(x)))
                    .unwrap_or_default()
            ));
        }
        if !a.missing_information_text.is_empty() {
            d.push_str(&format!(
                "\n**{}:** {}\n",
                self.m("cds-missing", lang),
                escape(&a.missing_information_text.join("; "))
            ));
        }
        let version = fill(
            &self.m("cds-version", lang),
            &[
                ("engine", &a.engine_version),
                ("version", &a.knowledge.version),
                ("hash", a.knowledge.sha256.get(..12).unwrap_or_default()),
            ],
        );
        d.push_str(&format!("\n{version}\n"));
        d
    }

    /// A card whose suggestion is a total B12 test.
    fn b12_test_card(
        &self,
        summary: String,
        topic: &CardTopic,
        a: &Assessment,
        patient: &str,
        lang: Language,
    ) -> Value {
        self.card(
            summary,
            topic,
            None,
            None,
            self.detail(a, lang),
            vec![self.service_request("b12_total", patient, lang)],
            lang,
        )
    }

    /// An analyte's clinician name (its id when the knowledge base lacks it).
    fn analyte_name(&self, analyte: &str, lang: Language) -> String {
        self.kb.analyte(analyte).map_or(analyte.to_owned(), |i| {
            self.kb.analytes[i as usize]
                .name
                .get(lang, Audience::Clinician)
                .to_owned()
        })
    }

    /// A draft MedicationRequest for a regimen: coded with every order code
    /// the knowledge base gives its substance (ATC, RxNorm), the regimen as
    /// the dosage text.
    fn medication_request(
        &self,
        r: &kobalt_contract::Regimen,
        patient: &str,
        lang: Language,
    ) -> Value {
        let coding: Vec<Value> = self
            .kb
            .fhir
            .order_codings(&r.substance)
            .map(|(system, code)| json!({ "system": system, "code": code, "display": r.substance }))
            .collect();
        json!({
            "label": clip(&fill(&self.m("cds-suggest-treatment", lang), &[("regimen", &r.text)])),
            "uuid": uuid::Uuid::new_v4().to_string(),
            "isRecommended": true,
            "actions": [{
                "type": "create",
                "description": r.text,
                "resource": {
                    "resourceType": "MedicationRequest", "status": "draft", "intent": "proposal",
                    "medicationCodeableConcept": { "coding": coding, "text": r.substance },
                    "subject": { "reference": format!("Patient/{patient}") },
                    "dosageInstruction": [{ "text": r.text }],
                },
            }],
        })
    }

    fn service_request(&self, analyte: &str, patient: &str, lang: Language) -> Value {
        let a = self
            .kb
            .analyte(analyte)
            .map(|i| &self.kb.analytes[i as usize]);
        let coding = match a.and_then(|a| a.loinc.first()) {
            Some(l) => json!({ "system": "http://loinc.org", "code": l }),
            None => json!({ "system": kobalt_fhir::ANALYTE_SYSTEM, "code": analyte }),
        };
        let name = self.analyte_name(analyte, lang);
        json!({
            "label": fill(&self.m("cds-suggest-test", lang), &[("test", &name)]),
            "uuid": uuid::Uuid::new_v4().to_string(),
            "isRecommended": true,
            "actions": [{
                "type": "create",
                "description": name,
                "resource": {
                    "resourceType": "ServiceRequest", "status": "draft", "intent": "proposal",
                    "code": { "coding": [coding], "text": name },
                    "subject": { "reference": format!("Patient/{patient}") },
                },
            }],
        })
    }

    fn patient_cards(
        &self,
        a: &Assessment,
        req: &Request,
        patient: &str,
        lang: Language,
        today: jiff::civil::Date,
    ) -> Vec<Value> {
        let mut cards = Vec::new();
        let b12 = a
            .b12_status
            .markers
            .iter()
            .find(|m| m.analyte == "b12_total")
            .and_then(|m| m.value);
        let value = b12.map_or("?".to_owned(), |v| format!("{}", v.round()));
        if a.triage.level >= TriageLevel::Urgent24h {
            cards.push(self.card(
                self.m("cds-red-flag-summary", lang),
                &RED_FLAG,
                None,
                a.triage.reasons.first().map(|r| r.rule.as_str()),
                self.detail(a, lang),
                Vec::new(),
                lang,
            ));
        }
        match a.b12_status.category {
            B12Category::Deficient if a.treatment.recommended => {
                let suggestions = a
                    .treatment
                    .regimens
                    .iter()
                    .find(|r| matches!(r.phase, Phase::Treatment | Phase::Loading))
                    .map(|r| vec![self.medication_request(r, patient, lang)])
                    .unwrap_or_default();
                let indicator = if a.triage.level >= TriageLevel::ConsultSoon {
                    "warning"
                } else {
                    "info"
                };
                cards.push(self.card(
                    fill(&self.m("cds-deficient-summary", lang), &[("value", &value)]),
                    &DEFICIENT,
                    Some(indicator),
                    Some(&a.b12_status.rule),
                    self.detail(a, lang),
                    suggestions,
                    lang,
                ));
            }
            B12Category::Indeterminate => {
                // A grey-zone result without its follow-up test: MMA (rule
                // test_mma_grey_zone), even when the record holds no symptoms.
                let mut tests: Vec<&str> = a
                    .next_tests
                    .iter()
                    .map(|t| t.analyte.as_str())
                    .filter(|t| matches!(*t, "mma" | "holotranscobalamin"))
                    .collect();
                let mma_measured = a.b12_status.markers.iter().any(|m| m.analyte == "mma");
                if tests.is_empty()
                    && a.b12_status.rule == "indeterminate_grey_zone"
                    && !mma_measured
                {
                    tests.push("mma");
                }
                // One suggestion, the profile's first test; an alternative
                // is named in the detail (Epic takes `any` only).
                if let Some((first, others)) = tests.split_first() {
                    let mut detail = self.detail(a, lang);
                    if !others.is_empty() {
                        let names: Vec<String> =
                            others.iter().map(|t| self.analyte_name(t, lang)).collect();
                        detail.push_str(&format!(
                            "\n**{}:** {}\n",
                            self.m("cds-alternative", lang),
                            escape(&names.join(", "))
                        ));
                    }
                    cards.push(self.card(
                        fill(&self.m("cds-grey-summary", lang), &[("value", &value)]),
                        &GREY_ZONE,
                        None,
                        None,
                        detail,
                        vec![self.service_request(first, patient, lang)],
                        lang,
                    ));
                }
            }
            _ => {}
        }
        if let Some(med) = self.risk_medication_untested(req, a, today) {
            let summary = fill(
                &self.m("cds-risk-untested-summary", lang),
                &[("medication", &med)],
            );
            let topic = match self.guideline {
                Guideline::Nhg => &RISK_MEDICATION_NHG,
                Guideline::Nice => &RISK_MEDICATION,
            };
            cards.push(self.b12_test_card(summary, topic, a, patient, lang));
        }
        cards
    }

    /// A risk medication in use, when no total B12 was measured in the past
    /// year (clinical review F28): under NICE its use is the risk factor
    /// (MHRA, G21; no duration); under NHG routine testing for it is not
    /// recommended (G2), so only when the assessment found an NHG test
    /// indication with it (rule `triage_soon_risk_medication_nhg`).
    fn risk_medication_untested(
        &self,
        req: &Request,
        a: &Assessment,
        today: jiff::civil::Date,
    ) -> Option<String> {
        let med = req.medications.as_ref()?.iter().find(|m| {
            matches!(
                m.id.as_str(),
                "metformin" | "proton_pump_inhibitor" | "h2_receptor_antagonist"
            )
        })?;
        let indicated = match self.guideline {
            Guideline::Nice => true,
            Guideline::Nhg => a
                .triage
                .reasons
                .iter()
                .any(|r| Some(r.rule.as_str()) == RISK_MEDICATION_NHG.rule),
        };
        if !indicated || recent_b12(req, today) {
            return None;
        }
        let i = self.kb.medications.get(&med.id)?;
        Some(
            self.kb.medications.names[i as usize]
                .get(Language::En, Audience::Clinician)
                .to_lowercase(),
        )
    }

    fn order_cards(
        &self,
        a: &Assessment,
        req: &Request,
        orders: &[Value],
        patient: &str,
        lang: Language,
        today: jiff::civil::Date,
    ) -> Vec<Value> {
        let mut cards = Vec::new();
        let ordered = |id: &str| {
            orders.iter().any(|o| {
                let codes = kobalt_fhir::codings(&o["medicationCodeableConcept"]);
                CodeMaps::find(&self.kb.fhir.medications, &codes).is_some_and(|r| r.id == id)
            })
        };
        // NICE only (F28): MHRA advises periodic monitoring (G21); NHG LESA
        // does not recommend routine testing for metformin (G2).
        if self.guideline == Guideline::Nice && ordered("metformin") && !recent_b12(req, today) {
            let summary = self.m("cds-order-metformin-summary", lang);
            cards.push(self.b12_test_card(summary, &RISK_MEDICATION, a, patient, lang));
        }
        if ordered("folic_acid") {
            match a.b12_status.category {
                // B12 known to be low (EHR review OS09): B12 comes first
                // (G18), and no second B12 test is suggested.
                B12Category::Deficient => {
                    let b12 = a
                        .b12_status
                        .markers
                        .iter()
                        .find(|m| m.analyte == "b12_total");
                    let value = b12
                        .and_then(|m| m.value)
                        .map_or("?".to_owned(), |v| format!("{}", v.round()));
                    let date = b12.and_then(|m| m.date.clone()).unwrap_or_default();
                    let summary = fill(
                        &self.m("cds-order-folic-low-summary", lang),
                        &[("value", &value), ("date", &date)],
                    );
                    let detail = self.detail(a, lang);
                    cards.push(self.card(
                        summary,
                        &FOLIC_ACID,
                        None,
                        None,
                        detail,
                        Vec::new(),
                        lang,
                    ));
                }
                B12Category::NotTested => {
                    let summary = self.m("cds-order-folic-summary", lang);
                    cards.push(self.b12_test_card(summary, &FOLIC_ACID, a, patient, lang));
                }
                _ => {}
            }
        }
        cards
    }
}

/// A total B12 measured within the year before `today`.
fn recent_b12(req: &Request, today: jiff::civil::Date) -> bool {
    req.labs.iter().flatten().any(|l| {
        let is_b12 = l.analyte.as_deref() == Some("b12_total")
            || matches!(l.loinc.as_deref(), Some("2132-9" | "14685-2"));
        is_b12
            && l.date
                .as_deref()
                .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                .and_then(|d| d.until(today).ok())
                .is_some_and(|s| s.get_days() <= 365)
    })
}

/// The draft orders a hook call is about: for order-select the selected ones.
fn orders(context: &Value, hook: &str) -> Vec<Value> {
    let all: Vec<Value> = context["draftOrders"]["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["resource"].clone())
        .collect();
    if hook != "order-select" {
        return all;
    }
    let selected: Vec<&str> = context["selections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    all.into_iter()
        .filter(|r| {
            let reference = format!(
                "{}/{}",
                r["resourceType"].as_str().unwrap_or(""),
                r["id"].as_str().unwrap_or("")
            );
            selected.contains(&reference.as_str())
        })
        .collect()
}

/// Markdown from input data: characters with a meaning in GFM (and HTML) are escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A summary within the limit: cut at a word boundary with an ellipsis.
pub fn clip(text: &str) -> String {
    if text.chars().count() <= SUMMARY_MAX {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(SUMMARY_MAX - 1).collect();
    if let Some(space) = cut.rfind(' ') {
        cut.truncate(space);
    }
    cut.push('…');
    cut
}

/// A card is conformant: summary within the limit, required fields present.
pub fn conformant(card: &Value) -> Result<(), String> {
    let summary = card["summary"].as_str().ok_or("no summary")?;
    if summary.chars().count() > SUMMARY_MAX {
        return Err(format!("summary of {} characters", summary.chars().count()));
    }
    if !matches!(
        card["indicator"].as_str(),
        Some("info" | "warning" | "critical")
    ) {
        return Err("indicator".into());
    }
    if card["source"]["label"].as_str().is_none() {
        return Err("source.label".into());
    }
    if card.get("suggestions").is_some() && card.get("selectionBehavior").is_none() {
        return Err("suggestions without selectionBehavior".into());
    }
    Ok(())
}

#[cfg(test)]
mod topic_tests {
    /// The rules the card topics stand on are rules of the bundled knowledge base.
    #[test]
    fn card_topic_rules_exist() {
        let kb = kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}"));
        let known = |id: &str| {
            !kb.describe(
                id,
                kobalt_contract::Language::En,
                kobalt_contract::Audience::Clinician,
            )
            .is_empty()
        };
        for topic in [
            super::RED_FLAG,
            super::DEFICIENT,
            super::GREY_ZONE,
            super::RISK_MEDICATION,
            super::RISK_MEDICATION_NHG,
            super::FOLIC_ACID,
        ] {
            assert!(
                topic.rule.is_none_or(known),
                "{}: {:?}",
                topic.code,
                topic.rule
            );
        }
    }
}
