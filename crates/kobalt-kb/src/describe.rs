//! What the knowledge base holds about an identifier: for `kobalt knowledge
//! show` and `GET /api/v1/knowledge/{id}`.

use std::collections::BTreeMap;

use kobalt_contract::{Audience, Guideline, Language, Sex};
use serde::Serialize;

use crate::model::{Knowledge, Limits, Meta};

/// One thing the knowledge base knows under an identifier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// analyte, symptom, condition, ..., rule, source.
    pub kind: String,
    pub id: String,
    pub name: String,
    /// Facts as `label: value` lines (units, groups, limits, status).
    pub details: Vec<String>,
    pub sources: Vec<String>,
    pub claims: Vec<String>,
}

impl Knowledge {
    /// Every identifier by kind.
    pub fn identifiers(&self) -> BTreeMap<&'static str, Vec<String>> {
        let mut out = BTreeMap::new();
        out.insert(
            "analyte",
            self.analytes.iter().map(|a| a.id.clone()).collect(),
        );
        for (kind, v) in self.vocabularies() {
            out.insert(kind, v.ids.clone());
        }
        out.insert(
            "cause",
            self.causes.iter().map(|c| c.meta.id.clone()).collect(),
        );
        out.insert(
            "differential",
            self.differentials
                .iter()
                .map(|c| c.meta.id.clone())
                .collect(),
        );
        out.insert("source", self.sources.keys().cloned().collect());
        out
    }

    /// Everything known under `id` (empty when nothing is).
    pub fn describe(&self, id: &str, language: Language, audience: Audience) -> Vec<Entry> {
        let mut out = Vec::new();
        if let Some(ai) = self.analyte(id) {
            let a = &self.analytes[ai as usize];
            let mut details = vec![
                format!("LOINC: {}", a.loinc.join(", ")),
                format!(
                    "canonical unit: {}",
                    a.canonical_unit.as_deref().unwrap_or("(qualitative)")
                ),
                format!("accepted units: {}", a.accepted_units().join(", ")),
            ];
            let mut sources = Vec::new();
            for p in &self.profiles {
                if let Some(l) = &p.limits[ai as usize] {
                    let (lim, _) = l.for_sex(Sex::Female);

                    details.push(format!(
                        "{} limits: {} ({:?})",
                        p.guideline,
                        bands_text(lim),
                        lim.status
                    ));
                    sources.extend(lim.sources.iter().cloned());
                }
            }
            sources.sort();
            sources.dedup();
            out.push(Entry {
                kind: "analyte".into(),
                id: a.id.clone(),
                name: a.name.get(language, audience).to_owned(),
                details,
                sources,
                claims: Vec::new(),
            });
        }
        for (kind, v) in self.vocabularies() {
            if let Some(i) = v.get(id) {
                let groups: Vec<&str> = v
                    .groups
                    .iter()
                    .filter(|(_, ids)| ids.contains(&i))
                    .map(|(g, _)| g.as_str())
                    .collect();
                out.push(Entry {
                    kind: kind.into(),
                    id: id.into(),
                    name: v.names[i as usize].get(language, audience).to_owned(),
                    details: vec![format!("groups: {}", groups.join(", "))],
                    sources: Vec::new(),
                    claims: v.claims[i as usize].clone(),
                });
            }
        }
        for (meta, profiles) in self.metas() {
            if meta.id == id || meta.id.ends_with(&format!("_{id}")) {
                let mut details = vec![format!(
                    "status: {:?}{}",
                    meta.status,
                    if meta.derived { ", derived" } else { "" }
                )];
                details.extend(self.status_per_guideline(meta, profiles));
                out.push(Entry {
                    kind: "rule".into(),
                    id: meta.id.clone(),
                    name: meta.text.get(language, audience).to_owned(),
                    details,
                    sources: meta.sources.clone(),
                    claims: meta.claims.clone(),
                });
            }
        }
        let mut limits: Vec<(Guideline, &Limits)> =
            self.all_limits().filter(|(_, l)| l.rule_id == id).collect();
        limits.dedup_by(|a, b| a.0 == b.0 && std::ptr::eq(a.1, b.1));
        for (guideline, l) in limits {
            out.push(Entry {
                kind: "limits".into(),
                id: id.into(),
                name: self.analytes[l.analyte as usize]
                    .name
                    .get(language, audience)
                    .to_owned(),
                details: vec![
                    format!("{guideline}: {}", bands_text(l)),
                    format!("status: {:?}", l.status),
                ],
                sources: l.sources.clone(),
                claims: Vec::new(),
            });
        }
        if let Some(src) = self.sources.get(id) {
            out.push(Entry {
                kind: "source".into(),
                id: src.id.clone(),
                name: src.title.clone(),
                details: [
                    Some(format!("publisher: {}", src.publisher))
                        .filter(|_| !src.publisher.is_empty()),
                    Some(format!(
                        "year: {}",
                        src.year.map_or("n.r.".into(), |y| y.to_string())
                    )),
                    src.url.as_ref().map(|u| format!("url: {u}")),
                    Some(format!("kind: {}", src.kind)),
                ]
                .into_iter()
                .flatten()
                .collect(),
                sources: vec![src.id.clone()],
                claims: Vec::new(),
            });
        }
        out
    }

    fn vocabularies(&self) -> [(&'static str, &crate::model::Vocabulary); 6] {
        [
            ("symptom", &self.symptoms),
            ("condition", &self.conditions),
            ("medication", &self.medications),
            ("procedure", &self.procedures),
            ("exposure", &self.exposures),
            ("supplement", &self.supplements),
        ]
    }

    /// Every rule's meta, with the guidelines it is restricted to (empty: all).
    fn metas(&self) -> impl Iterator<Item = (&Meta, &[Guideline])> {
        self.causes
            .iter()
            .map(|c| all(&c.meta))
            .chain(self.differentials.iter().map(|d| all(&d.meta)))
            .chain(self.triage.iter().map(|t| rule(&t.rule)))
            .chain(self.tests.iter().map(|t| rule(&t.rule)))
            .chain(
                self.advice
                    .iter()
                    .chain(&self.warnings)
                    .chain(&self.checks)
                    .chain(&self.start_before_results)
                    .map(rule),
            )
            .chain(self.decisions.iter().map(|d| rule(&d.rule)))
            .chain(self.lifelong.iter().map(|d| rule(&d.rule)))
            .chain(self.referrals.iter().map(|r| rule(&r.rule)))
            .chain(self.outcomes.iter().map(|o| all(&o.meta)))
            .chain(self.profiles.iter().flat_map(|p| {
                p.plans
                    .iter()
                    .map(|x| (&x.meta, std::slice::from_ref(&p.guideline)))
            }))
            .chain(self.recommend.metas().map(all))
            .chain(
                [
                    &self.red_flags_not_asked.meta,
                    &self.no_concern.meta,
                    &self.lab_reference_range.meta,
                    &self.unverified_warning,
                ]
                .map(all),
            )
    }

    /// What a rule is under each guideline: not used, or its sources of that
    /// guideline and its status there (Kobalt's choice, unverified, when
    /// none of its sources serves the guideline; clinical review F27).
    fn status_per_guideline(&self, meta: &Meta, profiles: &[Guideline]) -> Vec<String> {
        self.profiles
            .iter()
            .map(|p| p.guideline)
            .map(|g| {
                if !profiles.is_empty() && !profiles.contains(&g) {
                    return format!("{g}: not used");
                }
                let (served, any) = self.sources_for(&meta.sources, g);
                if any {
                    format!("{g}: {:?} ({})", meta.status, served.join(", "))
                } else {
                    format!("{g}: Unverified (no source of this guideline: Kobalt's choice)")
                }
            })
            .collect()
    }

    /// Every decision-limit set: the profile's limits per analyte and sex,
    /// and the pregnancy limits.
    fn all_limits(&self) -> impl Iterator<Item = (Guideline, &Limits)> {
        self.profiles.iter().flat_map(|p| {
            let by_sex = p.limits.iter().flatten().flat_map(|l| {
                let (female, _) = l.for_sex(Sex::Female);
                let (male, _) = l.for_sex(Sex::Male);
                [female, male]
            });
            let pregnancy = p
                .pregnancy
                .iter()
                .flat_map(|x| x.haemoglobin.iter().flatten());
            by_sex.chain(pregnancy).map(|l| (p.guideline, l))
        })
    }
}

/// A limit set's bands, e.g. `low [..148.000) normal [148.000..]`.
fn bands_text(l: &Limits) -> String {
    l.bands
        .iter()
        .map(|b| {
            format!(
                "{} [{}..{}{}",
                b.band,
                b.from.map_or(String::new(), |v| format!("{v:.3}")),
                b.to.map_or(String::new(), |v| format!("{v:.3}")),
                if b.to_inclusive { "]" } else { ")" }
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A meta that applies under every guideline.
fn all(m: &Meta) -> (&Meta, &[Guideline]) {
    (m, &[])
}

/// A rule's meta and the guidelines it is restricted to.
fn rule(r: &crate::model::Rule) -> (&Meta, &[Guideline]) {
    (&r.meta, r.profiles.as_slice())
}
