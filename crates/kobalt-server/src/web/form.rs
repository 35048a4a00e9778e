//! Form posts of the questionnaire: the answers so far travel in a hidden
//! `state` field (a partial request as JSON); each page's fields are written
//! into it according to the question's kind.

use kobalt_contract::{Audience, Language};
use kobalt_engine::interview::{ANSWERED_POINTER, answered_ids, applies};
use kobalt_kb::{Knowledge, Question, QuestionKind, fill};
use serde_json::{Map, Value, json};

/// The decoded fields of an `application/x-www-form-urlencoded` body.
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    pub(crate) fn parse(body: &[u8]) -> FormData {
        FormData(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Every field as posted, in order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    /// The value as posted, blank or not.
    pub(crate) fn raw(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The partial request carried by the form (an empty one when absent or broken).
    pub(crate) fn state(&self) -> Value {
        self.get("state")
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({}))
    }
}

/// Sets `pointer` in `root`, creating objects on the way.
fn set(root: &mut Value, pointer: &str, value: Value) {
    let mut node = root;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Some(map) = node.as_object_mut() else {
            return;
        };
        if i + 1 == parts.len() {
            map.insert((*part).to_owned(), value);
            return;
        }
        node = map
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn remove(root: &mut Value, pointer: &str) {
    if let Some((parent, last)) = pointer.rsplit_once('/')
        && let Some(Value::Object(map)) =
            root.pointer_mut(if parent.is_empty() { "" } else { parent })
    {
        map.remove(last);
    }
}

/// The array at `pointer`, created when absent (`None` only if `root` is not an object).
fn array<'a>(root: &'a mut Value, pointer: &str) -> Option<&'a mut Vec<Value>> {
    if !root.pointer(pointer).is_some_and(Value::is_array) {
        set(root, pointer, Value::Array(Vec::new()));
    }
    root.pointer_mut(pointer).and_then(Value::as_array_mut)
}

pub(crate) fn mark_answered(state: &mut Value, id: &str) {
    if let Some(list) = array(state, ANSWERED_POINTER)
        && !list.iter().any(|v| v.as_str() == Some(id))
    {
        list.push(Value::String(id.to_owned()));
    }
}

/// Forgets that `id` (and, for "back", everything after it) was answered,
/// so that it is asked again with the earlier answer filled in.
pub(crate) fn unanswer(state: &mut Value, id: Option<&str>) {
    if let Some(list) = array(state, ANSWERED_POINTER) {
        match id {
            Some(id) => list.retain(|v| v.as_str() != Some(id)),
            None => {
                list.pop();
            }
        }
    }
}

/// Where the ids of the list questions with "another one, not listed"
/// ticked are kept (the contract's lists have no identifier for it).
pub(crate) const OTHER_POINTER: &str = "/extensions/kobalt_interview/other";

/// Where the ids of the list questions answered "don't know" are kept (the
/// list itself is left out of the request), so that the box is shown ticked
/// when the question is asked again.
pub(crate) const UNKNOWN_POINTER: &str = "/extensions/kobalt_interview/unknown";

/// Whether question `id` is listed at `pointer` (`OTHER_POINTER`, `UNKNOWN_POINTER`).
pub(crate) fn flagged(state: &Value, pointer: &str, id: &str) -> bool {
    state
        .pointer(pointer)
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(id)))
}

fn flag(state: &mut Value, pointer: &str, id: &str, on: bool) {
    if !on && state.pointer(pointer).is_none() {
        return;
    }
    if let Some(list) = array(state, pointer) {
        list.retain(|v| v.as_str() != Some(id));
        if on {
            list.push(Value::String(id.to_owned()));
        }
    }
}

/// Whether every question that applies has been answered (the summary of the
/// answers, then the result, come next).
pub(crate) fn complete(kb: &Knowledge, state: &Value) -> bool {
    let answered = answered_ids(state);
    !answered.is_empty()
        && kb
            .interview
            .iter()
            .all(|q| answered.contains(&q.id) || !applies(kb, q, state))
}

/// Whether question `id` was opened again with "change" (from the summary of
/// the answers): it is not answered, but a later question is.
pub(crate) fn changing(kb: &Knowledge, state: &Value, id: &str) -> bool {
    let answered = answered_ids(state);
    let Some(at) = kb.interview.iter().position(|q| q.id == id) else {
        return false;
    };
    !answered.iter().any(|a| a == id)
        && kb.interview[at + 1..]
            .iter()
            .any(|q| answered.contains(&q.id))
}

/// Drops the answers to the questions that no longer apply after a change (a
/// man is not asked, nor sent, "pregnant"): they count as not answered, and a
/// single value they set is removed. Lists keep their items; their years
/// and courses belong to items that are there.
pub(crate) fn drop_moot(kb: &Knowledge, state: &mut Value) {
    let moot: Vec<&Question> = kb
        .interview
        .iter()
        .filter(|q| !applies(kb, q, state))
        .collect();
    for q in moot {
        unanswer(state, Some(&q.id));
        if matches!(
            q.kind,
            QuestionKind::Number | QuestionKind::Choice | QuestionKind::YesNo
        ) {
            remove(state, &q.field);
        }
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// A problem with one field of the page: the field's id and a message in the
/// reader's language.
#[derive(Clone, Debug)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

/// Why a typed lab value was not read.
#[derive(Debug, PartialEq)]
pub(crate) enum LabText {
    /// Not a number at all.
    NotNumber,
    /// "1.180" or "1,180": a thousands separator or a decimal? (thousands, decimal)
    Ambiguous(f64, f64),
    /// "1.180,5": separators of both kinds, or more than one.
    Separators,
    /// "<100" or ">1500": a result below or above a limit.
    Censored,
}

/// Reads a lab value as typed from a report: a decimal comma or point is
/// accepted ("7,5"), but a number shaped like a thousands group ("1.180",
/// "1,180") is refused as ambiguous, never silently read as 1.18. A
/// censored result ("<100") cannot be sent in a request: it is refused.
pub(crate) fn lab_number(text: &str) -> Result<f64, LabText> {
    let t: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if t.starts_with(['<', '>', '≤', '≥']) {
        return Err(LabText::Censored);
    }
    let separators: Vec<usize> = t
        .char_indices()
        .filter(|(_, c)| *c == '.' || *c == ',')
        .map(|(i, _)| i)
        .collect();
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        || t.is_empty()
    {
        return Err(LabText::NotNumber);
    }
    match separators.as_slice() {
        [] => number(&t).ok_or(LabText::NotNumber),
        [i] => {
            let (head, tail) = (&t[..*i], &t[i + 1..]);
            let grouped =
                tail.len() == 3 && (1..=3).contains(&head.len()) && !head.starts_with('0');
            match number(&t) {
                Some(decimal) if grouped => {
                    let thousands = number(&format!("{head}{tail}")).ok_or(LabText::NotNumber)?;
                    Err(LabText::Ambiguous(thousands, decimal))
                }
                Some(v) => Ok(v),
                None => Err(LabText::NotNumber),
            }
        }
        _ => {
            // "1.180,5" or "1.180.000": separators of two kinds; ask for the plain number.
            Err(LabText::Separators)
        }
    }
}

/// A value with one of `units` typed after it ("118 pmol/L", any case): the
/// number's text and the unit as Kobalt spells it.
pub(crate) fn split_unit<'t, 'u>(text: &'t str, units: &[&'u str]) -> (&'t str, Option<&'u str>) {
    let t = text.trim();
    for u in units {
        let Some(at) = t.len().checked_sub(u.len()) else {
            continue;
        };
        if t.is_char_boundary(at) && t[at..].eq_ignore_ascii_case(u) {
            return (t[..at].trim(), Some(u));
        }
    }
    (text, None)
}

/// A number as the reader's language writes it ("1,18" in Dutch).
pub(crate) fn local_number(v: f64, language: Language) -> String {
    let text = format!("{}", (v * 1e6).round() / 1e6);
    match language {
        Language::Nl => text.replace('.', ","),
        Language::En => text,
    }
}

/// Whether a symptoms question asks yes, no or don't know per symptom (the
/// symptoms page). The red flags and "rapidly worse" stay checklists.
pub(crate) fn per_symptom(q: &Question) -> bool {
    q.kind == QuestionKind::Symptoms && !q.red_flag && q.course.is_none()
}

/// Writes the answer to `q` from `form` into `state`; the errors are one per
/// field, with a message for the reader, and `state` is then unchanged.
pub(crate) fn apply(
    kb: &Knowledge,
    q: &Question,
    state: &mut Value,
    form: &FormData,
    language: Language,
) -> Result<(), Vec<FieldError>> {
    let msg = |id: &str| kb.message(id, language, Audience::Patient).to_owned();
    let field_error = |field: &str, message: String| FieldError {
        field: field.to_owned(),
        message,
    };
    let mut errors = Vec::new();
    let mut next = state.clone();
    match q.kind {
        QuestionKind::Number => {
            let (min, max) = (q.min.unwrap_or(0.0), q.max.unwrap_or(f64::MAX));
            let value = form
                .get("value")
                .and_then(number)
                .filter(|v| (min..=max).contains(v))
                .ok_or_else(|| {
                    vec![field_error(
                        "value",
                        fill(
                            &msg("web-error-number"),
                            &[("min", &min.to_string()), ("max", &max.to_string())],
                        ),
                    )]
                })?;
            set(&mut next, &q.field, json!(value));
        }
        QuestionKind::Choice => match form
            .get("value")
            .filter(|v| q.options.iter().any(|o| o == v))
        {
            Some(v) => set(&mut next, &q.field, json!(v)),
            None => remove(&mut next, &q.field),
        },
        QuestionKind::YesNo => match form.get("value") {
            Some("yes") => set(&mut next, &q.field, json!(true)),
            Some("no") => set(&mut next, &q.field, json!(false)),
            _ => remove(&mut next, &q.field),
        },
        QuestionKind::Symptoms if per_symptom(q) => {
            // Yes, no or don't know per symptom: "don't know" (or no answer)
            // leaves no entry, so unknown stays unknown. A ticked `item` (an
            // older form) counts as yes.
            let ticked = form.all("item");
            let Some(symptoms) = array(&mut next, "/symptoms") else {
                return Ok(());
            };
            for id in &q.options {
                let answer = match form.get(&format!("s-{id}")) {
                    _ if ticked.contains(&id.as_str()) => Some(true),
                    Some("yes") => Some(true),
                    Some("no") => Some(false),
                    _ => None,
                };
                let old = symptoms
                    .iter()
                    .position(|s| s.get("id").and_then(Value::as_str) == Some(id))
                    .map(|i| symptoms.remove(i));
                match answer {
                    None => {}
                    Some(false) => symptoms.push(json!({ "id": id, "present": false })),
                    Some(true) => {
                        // Keep what an earlier question said about it (its course).
                        let was_present = old.as_ref().is_some_and(|o| {
                            o.get("present").and_then(Value::as_bool).unwrap_or(true)
                        });
                        symptoms.push(match old {
                            Some(o) if was_present => o,
                            _ => json!({ "id": id, "present": true }),
                        });
                    }
                }
            }
        }
        QuestionKind::Symptoms => {
            let ticked = form.all("item");
            let Some(symptoms) = array(&mut next, "/symptoms") else {
                return Ok(());
            };
            for id in &q.options {
                let is = |s: &Value| s.get("id").and_then(Value::as_str) == Some(id);
                let present = ticked.contains(&id.as_str());
                match q.course {
                    // "Getting worse quickly?": a tick is the symptom with that
                    // course; no tick only says "not quickly", so the symptom
                    // stays unknown (or as another question answered it), never
                    // absent (D19). A course this question gave is taken back.
                    Some(course) if present => {
                        symptoms.retain(|s| !is(s));
                        symptoms
                            .push(json!({ "id": id, "present": true, "course": course.as_str() }));
                    }
                    Some(course) => symptoms.retain(|s| {
                        !is(s) || s.get("course").and_then(Value::as_str) != Some(course.as_str())
                    }),
                    // A red-flag checklist: the reader saw each item; no tick is "no".
                    None => {
                        symptoms.retain(|s| !is(s));
                        symptoms.push(json!({ "id": id, "present": present }));
                    }
                }
            }
        }
        QuestionKind::List => {
            let ticked = form.all("item");
            // "Don't know" leaves the list out of the request: unknown, never
            // an empty list ("none"). With items ticked as well, which one is
            // meant? The reader is asked rather than one being guessed.
            let unknown = q.unknown && form.get("unknown").is_some();
            if unknown && q.options.iter().any(|o| ticked.contains(&o.as_str())) {
                return Err(vec![field_error("unknown", msg("web-error-list-unknown"))]);
            }
            let other = q.other.is_some() && form.get("other").is_some();
            flag(&mut next, OTHER_POINTER, &q.id, other);
            flag(&mut next, UNKNOWN_POINTER, &q.id, unknown);
            if unknown {
                remove(&mut next, &q.field);
                mark_answered(&mut next, &q.id);
                *state = next;
                return Ok(());
            }
            let keep: Vec<Value> = next
                .pointer(&q.field)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|x| {
                            x.get("id")
                                .and_then(Value::as_str)
                                .is_some_and(|id| ticked.contains(&id))
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let mut items = keep;
            for id in q.options.iter().filter(|o| ticked.contains(&o.as_str())) {
                if !items
                    .iter()
                    .any(|x| x.get("id").and_then(Value::as_str) == Some(id))
                {
                    items.push(json!({ "id": id }));
                }
            }
            set(&mut next, &q.field, Value::Array(items));
        }
        QuestionKind::Years => {
            let Some(list) = array(&mut next, &q.field) else {
                return Ok(());
            };
            for item in list.iter_mut() {
                let Some(id) = item.get("id").and_then(Value::as_str).map(str::to_owned) else {
                    continue;
                };
                if !q.options.contains(&id) {
                    continue;
                }
                match form.get(&format!("years-{id}")).map(|t| (t, number(t))) {
                    Some((_, Some(y))) if (0.0..=80.0).contains(&y) => item["years"] = json!(y),
                    Some(_) => errors.push(field_error(
                        &format!("years-{id}"),
                        fill(&msg("web-error-number"), &[("min", "0"), ("max", "80")]),
                    )),
                    None => {
                        if let Some(o) = item.as_object_mut() {
                            o.remove("years");
                        }
                    }
                }
            }
        }
        QuestionKind::Exposure => {
            let exposure = q.exposure.clone().unwrap_or_default();
            let Some(list) = array(&mut next, &q.field) else {
                return Ok(());
            };
            list.retain(|x| x.get("id").and_then(Value::as_str) != Some(exposure.as_str()));
            if let Some(p) = form
                .get("value")
                .filter(|v| q.options.iter().any(|o| o == v))
            {
                list.push(json!({ "id": exposure, "pattern": p }));
            }
        }
        QuestionKind::Course => {
            if let Some(course) = form
                .get("value")
                .filter(|v| q.options.iter().any(|o| o == v))
            {
                for s in array(&mut next, "/symptoms").into_iter().flatten() {
                    let neurological = s
                        .get("id")
                        .and_then(Value::as_str)
                        .and_then(|id| kb.symptoms.get(id))
                        .is_some_and(|i| kb.symptoms.in_group(i, "neurological"));
                    let present = s.get("present").and_then(Value::as_bool).unwrap_or(true);
                    if neurological && present && s.get("course").is_none() {
                        s["course"] = json!(course);
                    }
                }
            }
        }
        QuestionKind::Duration => {
            // Weeks for every symptom present; "don't know" (or no choice)
            // leaves them unknown (D19).
            let weeks = form
                .get("value")
                .filter(|v| q.options.iter().any(|o| o == v))
                .and_then(|v| v.parse::<f64>().ok());
            for s in array(&mut next, "/symptoms").into_iter().flatten() {
                if s.get("present").and_then(Value::as_bool).unwrap_or(true) {
                    match weeks {
                        Some(w) => s["weeks"] = json!(w),
                        None => {
                            if let Some(o) = s.as_object_mut() {
                                o.remove("weeks");
                            }
                        }
                    }
                }
            }
        }
        QuestionKind::Labs => {
            let mut labs: Vec<Value> = next
                .pointer(&q.field)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|l| {
                            l.get("analyte")
                                .and_then(Value::as_str)
                                .is_none_or(|id| !q.options.iter().any(|o| o == id))
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            for id in &q.options {
                let Some(text) = form.get(&format!("lab-{id}")) else {
                    continue;
                };
                let qualitative = kb
                    .analyte(id)
                    .is_some_and(|a| !kb.analytes[a as usize].quantitative());
                if qualitative {
                    if ["positive", "negative", "equivocal"].contains(&text) {
                        labs.push(json!({ "analyte": id, "result": text }));
                    }
                    continue;
                }
                let Some(analyte) = kb.analyte(id).map(|a| &kb.analytes[a as usize]) else {
                    continue;
                };
                let name = analyte.name.get(language, Audience::Patient).to_owned();
                let field = format!("lab-{id}");
                let units = analyte.accepted_units();
                // "118 pmol/L" as copied from a report: the typed unit counts.
                let (text, typed_unit) = split_unit(text, &units);
                let unit = typed_unit
                    .or_else(|| form.get(&format!("unit-{id}")))
                    .unwrap_or_default();
                let local = |v: f64| local_number(v, language);
                let value = match lab_number(text) {
                    Ok(v) => v,
                    Err(problem) => {
                        let message = match problem {
                            LabText::NotNumber => fill(
                                &msg("web-error-lab-number"),
                                &[("name", &name), ("text", text)],
                            ),
                            LabText::Ambiguous(thousands, decimal) => fill(
                                &msg("web-error-lab-ambiguous"),
                                &[
                                    ("name", &name),
                                    ("text", text),
                                    ("thousands", &local(thousands)),
                                    ("decimal", &local(decimal)),
                                ],
                            ),
                            LabText::Separators => fill(
                                &msg("web-error-lab-separators"),
                                &[("name", &name), ("text", text)],
                            ),
                            LabText::Censored => fill(
                                &msg("web-error-lab-censored"),
                                &[("name", &name), ("text", text)],
                            ),
                        };
                        errors.push(field_error(&field, message));
                        continue;
                    }
                };
                // Plausible for its unit (the knowledge base's range)? If not,
                // suggest the unit in which it would be.
                let plausible = |u: &str| {
                    analyte.factor(u).is_some_and(|f| {
                        let (min, max) = analyte.plausible.unwrap_or((0.0, f64::MAX));
                        (min..=max).contains(&(value * f))
                    })
                };
                if analyte.factor(unit).is_some() && !plausible(unit) {
                    let mut message = fill(
                        &msg("web-error-lab-implausible"),
                        &[("name", &name), ("value", &local(value)), ("unit", unit)],
                    );
                    if let Some(other) = units.iter().find(|u| **u != unit && plausible(u)) {
                        message.push(' ');
                        message.push_str(&fill(
                            &msg("web-error-lab-did-you-mean"),
                            &[("value", &local(value)), ("unit", other)],
                        ));
                    }
                    errors.push(field_error(&field, message));
                    continue;
                }
                // Far above what a lab reports in this unit, and ordinary in
                // another: most likely the other unit (D6).
                let canonical = |u: &str| analyte.factor(u).map(|f| value * f);
                let unlikely = |u: &str| {
                    analyte
                        .query_above
                        .zip(canonical(u))
                        .is_some_and(|(max, v)| v > max)
                };
                if unlikely(unit)
                    && let Some(other) = units
                        .iter()
                        .find(|u| **u != unit && plausible(u) && !unlikely(u))
                {
                    let message = format!(
                        "{} {}",
                        fill(
                            &msg("web-error-lab-unlikely"),
                            &[("name", &name), ("value", &local(value)), ("unit", unit)],
                        ),
                        fill(
                            &msg("web-error-lab-did-you-mean"),
                            &[("value", &local(value)), ("unit", other)],
                        )
                    );
                    errors.push(field_error(&field, message));
                    continue;
                }
                labs.push(json!({ "analyte": id, "value": value, "unit": unit }));
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            if labs.is_empty() {
                remove(&mut next, &q.field);
            } else {
                set(&mut next, &q.field, Value::Array(labs.clone()));
            }
            // Check values and units now, so the reader can correct them here.
            if let Ok(request) = kobalt_contract::parse_request(&next.to_string())
                && let Err(e) = kobalt_engine::validate(kb, &request, crate::today())
                && e.path.starts_with("/labs")
            {
                let field = e
                    .path
                    .split('/')
                    .nth(2)
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| labs.get(i))
                    .and_then(|l| l.get("analyte").and_then(Value::as_str))
                    .map_or_else(|| "lab-b12_total".to_owned(), |a| format!("lab-{a}"));
                return Err(vec![field_error(
                    &field,
                    fill(&msg("web-error-lab"), &[("problem", &e.message)]),
                )]);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    mark_answered(&mut next, &q.id);
    *state = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{LabText, lab_number, local_number, split_unit};
    use kobalt_contract::Language;

    #[test]
    fn lab_values_as_typed_from_a_report() {
        assert_eq!(lab_number("7,5"), Ok(7.5));
        assert_eq!(lab_number(" 7.5 "), Ok(7.5));
        assert_eq!(lab_number("180"), Ok(180.0));
        assert_eq!(lab_number("0,180"), Ok(0.18));
        assert_eq!(lab_number("1,18"), Ok(1.18));
        assert_eq!(lab_number("12.5"), Ok(12.5));
        assert_eq!(lab_number("1.180"), Err(LabText::Ambiguous(1180.0, 1.18)));
        assert_eq!(lab_number("1,180"), Err(LabText::Ambiguous(1180.0, 1.18)));
        assert_eq!(
            lab_number("150.000"),
            Err(LabText::Ambiguous(150_000.0, 150.0))
        );
        assert_eq!(lab_number("1.180,5"), Err(LabText::Separators));
        assert_eq!(lab_number("<100"), Err(LabText::Censored));
        assert_eq!(lab_number("> 1500"), Err(LabText::Censored));
        assert_eq!(lab_number("18O"), Err(LabText::NotNumber));
        assert_eq!(lab_number("-3"), Err(LabText::NotNumber));
        assert_eq!(lab_number(""), Err(LabText::NotNumber));
    }

    #[test]
    fn a_unit_typed_after_the_value() {
        let units = ["pmol/L", "pg/mL", "ng/L"];
        assert_eq!(split_unit("118 pmol/L", &units), ("118", Some("pmol/L")));
        assert_eq!(split_unit(" 160pg/ml ", &units), ("160", Some("pg/mL")));
        assert_eq!(split_unit("118", &units), ("118", None));
        assert_eq!(
            split_unit("0,4 µmol/L", &["µmol/L"]),
            ("0,4", Some("µmol/L"))
        );
    }

    #[test]
    fn numbers_in_the_readers_language() {
        assert_eq!(local_number(1.18, Language::Nl), "1,18");
        assert_eq!(local_number(1.18, Language::En), "1.18");
        assert_eq!(local_number(1180.0, Language::Nl), "1180");
    }
}
