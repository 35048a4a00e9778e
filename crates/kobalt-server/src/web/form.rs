//! Form posts of the questionnaire: the answers so far travel in a hidden
//! `state` field (a partial request as JSON); each page's fields are written
//! into it according to the question's kind.

use kobalt_contract::{Audience, Language};
use kobalt_engine::interview::ANSWERED_POINTER;
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

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
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

fn number(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Writes the answer to `q` from `form` into `state`; an error is a message
/// for the reader, and `state` is then unchanged.
pub(crate) fn apply(
    kb: &Knowledge,
    q: &Question,
    state: &mut Value,
    form: &FormData,
    language: Language,
) -> Result<(), String> {
    let msg = |id: &str| kb.message(id, language, Audience::Patient).to_owned();
    let mut next = state.clone();
    match q.kind {
        QuestionKind::Number => {
            let (min, max) = (q.min.unwrap_or(0.0), q.max.unwrap_or(f64::MAX));
            let value = form
                .get("value")
                .and_then(number)
                .filter(|v| (min..=max).contains(v))
                .ok_or_else(|| {
                    fill(
                        &msg("web-error-number"),
                        &[("min", &min.to_string()), ("max", &max.to_string())],
                    )
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
        QuestionKind::Symptoms => {
            let ticked = form.all("item");
            let Some(symptoms) = array(&mut next, "/symptoms") else {
                return Ok(());
            };
            for id in &q.options {
                let present = ticked.contains(&id.as_str());
                symptoms.retain(|s| s.get("id").and_then(Value::as_str) != Some(id));
                let mut entry = json!({ "id": id, "present": present });
                if let (true, Some(course)) = (present, q.course) {
                    entry["course"] = json!(course.as_str());
                }
                symptoms.push(entry);
            }
        }
        QuestionKind::List => {
            let ticked = form.all("item");
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
                    Some(_) => {
                        return Err(fill(
                            &msg("web-error-number"),
                            &[("min", "0"), ("max", "80")],
                        ));
                    }
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
                let name = kb
                    .analyte(id)
                    .map(|a| {
                        kb.analytes[a as usize]
                            .name
                            .get(language, Audience::Patient)
                            .to_owned()
                    })
                    .unwrap_or_default();
                let value = number(text).ok_or_else(|| {
                    fill(
                        &msg("web-error-lab"),
                        &[("problem", &format!("{name}: '{text}'"))],
                    )
                })?;
                let unit = form.get(&format!("unit-{id}")).unwrap_or_default();
                labs.push(json!({ "analyte": id, "value": value, "unit": unit }));
            }
            if labs.is_empty() {
                remove(&mut next, &q.field);
            } else {
                set(&mut next, &q.field, Value::Array(labs));
            }
            // Check values and units now, so the reader can correct them here.
            if let Ok(request) = kobalt_contract::parse_request(&next.to_string())
                && let Err(e) = kobalt_engine::validate(kb, &request, crate::today())
                && e.path.starts_with("/labs")
            {
                return Err(fill(&msg("web-error-lab"), &[("problem", &e.message)]));
            }
        }
    }
    mark_answered(&mut next, &q.id);
    *state = next;
    Ok(())
}
