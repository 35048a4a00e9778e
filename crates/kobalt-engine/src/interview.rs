//! The adaptive interview: given the answers so far (a partial request), the
//! next most useful question and why it is asked, or done. Questions, their
//! order and texts are knowledge (interview.toml); which ones were answered
//! is kept in the request itself, under `extensions.kobalt_interview`, so
//! that the interview is stateless for every front end.

use kobalt_contract::{Audience, Language, Sex, TriageLevel, parse_request};
use kobalt_kb::{Knowledge, Question, QuestionKind};
use serde::Serialize;
use serde_json::Value;

/// Where the ids of answered questions are kept in the partial request.
pub const ANSWERED_POINTER: &str = "/extensions/kobalt_interview/answered";

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuestionOption {
    pub value: String,
    pub label: String,
    /// For lab questions: the units accepted for this analyte.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// For lab questions: whether a result is qualitative (positive/negative).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub qualitative: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InterviewQuestion {
    pub id: String,
    pub kind: &'static str,
    /// JSON pointer of the request field the answer goes to.
    pub field: String,
    pub text: String,
    pub why: String,
    pub options: Vec<QuestionOption>,
    pub red_flag: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// For lists: the label of an "another one, not listed" box, when offered
    /// (no identifier is sent for it: the contract's lists are closed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// For lists: the label of a "don't know" box, when offered. "Don't know"
    /// leaves the field out of the request: unknown, never an empty list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InterviewStep {
    /// The next question, or `None` when the interview is done.
    pub next: Option<InterviewQuestion>,
    pub done: bool,
    pub answered: usize,
    /// Answered plus the questions that still apply.
    pub total: usize,
    /// Set when the answers so far already call for urgent help.
    pub seek_help: Option<TriageLevel>,
}

/// The ids of the questions answered so far.
pub fn answered_ids(partial: &Value) -> Vec<String> {
    partial
        .pointer(ANSWERED_POINTER)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// How many questions the interview asks: (everybody is asked, at most).
/// The questions for some people only (a sex or an age range, the years of a
/// medicine, the course of nerve complaints) make the difference.
pub fn length(kb: &Knowledge) -> (usize, usize) {
    let always = kb
        .interview
        .iter()
        .filter(|q| {
            q.when_sex.is_empty()
                && q.when_age_min.is_none()
                && q.when_age_max.is_none()
                && !matches!(
                    q.kind,
                    QuestionKind::Years | QuestionKind::Course | QuestionKind::Duration
                )
        })
        .count();
    (always, kb.interview.len())
}

/// Whether `q` is asked of this person, given the answers so far.
pub fn applies(kb: &Knowledge, q: &Question, partial: &Value) -> bool {
    let age = partial.pointer("/person/age_years").and_then(Value::as_f64);
    let sex = partial
        .pointer("/person/sex")
        .and_then(Value::as_str)
        .and_then(Sex::parse);
    // Unknown answers never skip a question.
    if !q.when_sex.is_empty() && sex.is_some_and(|s| !q.when_sex.contains(&s)) {
        return false;
    }
    if q.when_age_min
        .is_some_and(|min| age.is_some_and(|a| a < min))
        || q.when_age_max
            .is_some_and(|max| age.is_some_and(|a| a > max))
    {
        return false;
    }
    match q.kind {
        QuestionKind::Years => listed_ids(partial, "/medications")
            .iter()
            .any(|id| q.options.contains(id)),
        QuestionKind::Course => present_symptoms(partial).iter().any(|id| {
            kb.symptoms
                .get(id)
                .is_some_and(|i| kb.symptoms.in_group(i, "neurological"))
        }),
        QuestionKind::Duration => !present_symptoms(partial).is_empty(),
        _ => true,
    }
}

/// The question `id` in the reader's language (for a summary of the answers).
pub fn question(
    kb: &Knowledge,
    id: &str,
    language: Language,
    audience: Audience,
) -> Option<InterviewQuestion> {
    kb.interview
        .iter()
        .find(|q| q.id == id)
        .map(|q| render_question(kb, q, language, audience))
}

/// The next question for `partial`, in the reader's language.
pub fn next_question(
    kb: &Knowledge,
    partial: &Value,
    language: Language,
    audience: Audience,
    today: jiff::civil::Date,
) -> InterviewStep {
    let answered = answered_ids(partial);
    let applicable: Vec<&Question> = kb
        .interview
        .iter()
        .filter(|q| answered.contains(&q.id) || applies(kb, q, partial))
        .collect();
    let next = applicable
        .iter()
        .find(|q| !answered.contains(&q.id))
        .map(|q| render_question(kb, q, language, audience));
    let seek_help = parse_request(&partial.to_string())
        .ok()
        .and_then(|r| crate::assess(kb, &r, today).ok())
        .map(|a| a.triage.level)
        .filter(|l| *l >= TriageLevel::Urgent24h);
    InterviewStep {
        done: next.is_none(),
        next,
        answered: applicable
            .iter()
            .filter(|q| answered.contains(&q.id))
            .count(),
        total: applicable.len(),
        seek_help,
    }
}

/// A question of the questionnaire in the reader's language (its options
/// named), as the next step shows it; the clinician form shows the lab table.
pub fn render_question(
    kb: &Knowledge,
    q: &Question,
    language: Language,
    audience: Audience,
) -> InterviewQuestion {
    let label = |id: &str| kb.message(id, language, audience).to_owned();
    let options = match q.kind {
        QuestionKind::Symptoms => names(&kb.symptoms, &q.options, language, audience),
        QuestionKind::Years => names(&kb.medications, &q.options, language, audience),
        QuestionKind::List => {
            let (vocab, kind) = match q.field.as_str() {
                "/supplements" => (&kb.supplements, "supplement"),
                "/medications" => (&kb.medications, "medication"),
                "/conditions" => (&kb.conditions, "condition"),
                _ => (&kb.procedures, "procedure"),
            };
            // A label for the questionnaire when there is one (a medicine
            // with examples people recognise), else the item's name.
            names(vocab, &q.options, language, audience)
                .into_iter()
                .map(|mut o| {
                    let id = format!("option-{kind}-{}", o.value);
                    if kb.messages.contains_key(&id) {
                        o.label = label(&id);
                    }
                    o
                })
                .collect()
        }
        QuestionKind::Choice if q.field == "/person/sex" => q
            .options
            .iter()
            .map(|o| plain(o, label(&format!("option-sex-{o}"))))
            .collect(),
        QuestionKind::Choice => q
            .options
            .iter()
            .map(|o| plain(o, label(&format!("diet-{o}"))))
            .collect(),
        QuestionKind::YesNo => ["yes", "no", "unknown"]
            .iter()
            .map(|o| plain(o, label(&format!("option-{o}"))))
            .collect(),
        QuestionKind::Exposure => q
            .options
            .iter()
            .map(|o| plain(o, label(&format!("option-pattern-{o}"))))
            .chain(std::iter::once(plain("none", label("option-pattern-none"))))
            .collect(),
        QuestionKind::Course => q
            .options
            .iter()
            .map(|o| plain(o, label(&format!("option-course-{o}"))))
            .collect(),
        QuestionKind::Duration => q
            .options
            .iter()
            .map(|o| plain(o, label(&format!("option-duration-{o}"))))
            .chain(std::iter::once(plain("unknown", label("option-unknown"))))
            .collect(),
        QuestionKind::Labs => q
            .options
            .iter()
            .filter_map(|id| {
                let a = &kb.analytes[kb.analyte(id)? as usize];
                Some(QuestionOption {
                    value: id.clone(),
                    label: a.name.get(language, audience).to_owned(),
                    units: a.accepted_units().into_iter().map(str::to_owned).collect(),
                    qualitative: !a.quantitative(),
                })
            })
            .collect(),
        QuestionKind::Number => Vec::new(),
    };
    InterviewQuestion {
        id: q.id.clone(),
        kind: q.kind.as_str(),
        field: q.field.clone(),
        text: q.text.get(language, audience).to_owned(),
        why: q.why.get(language, audience).to_owned(),
        options,
        red_flag: q.red_flag,
        min: q.min,
        max: q.max,
        other: q
            .other
            .as_ref()
            .map(|t| t.get(language, audience).to_owned()),
        unknown: q.unknown.then(|| label("option-unknown")),
        sources: q.sources.clone(),
    }
}

fn plain(value: &str, label: String) -> QuestionOption {
    QuestionOption {
        value: value.to_owned(),
        label,
        units: Vec::new(),
        qualitative: false,
    }
}

fn names(
    vocab: &kobalt_kb::Vocabulary,
    ids: &[String],
    language: Language,
    audience: Audience,
) -> Vec<QuestionOption> {
    ids.iter()
        .filter_map(|id| {
            let i = vocab.get(id)?;
            Some(plain(
                id,
                vocab.names[i as usize].get(language, audience).to_owned(),
            ))
        })
        .collect()
}

fn listed_ids(partial: &Value, pointer: &str) -> Vec<String> {
    partial
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("id").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn present_symptoms(partial: &Value) -> Vec<String> {
    partial
        .pointer("/symptoms")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|s| s.get("present").and_then(Value::as_bool).unwrap_or(true))
                .filter_map(|s| s.get("id").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
