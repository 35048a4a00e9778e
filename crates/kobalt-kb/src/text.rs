//! The Fluent message catalogue: every message resolved once, at load, into its
//! four static variants (language × audience).

use std::collections::{BTreeSet, HashMap};

use fluent_bundle::{FluentBundle, FluentResource};

use crate::Problem;
use crate::model::Text;

struct Catalogue {
    bundle: FluentBundle<FluentResource>,
    ids: BTreeSet<String>,
}

fn catalogue(lang: &str, files: &[(&str, &str)], problems: &mut Vec<Problem>) -> Catalogue {
    let langid: unic_langid::LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new(vec![langid]);
    bundle.set_use_isolating(false);
    let mut ids = BTreeSet::new();
    for (path, text) in files {
        let resource = match FluentResource::try_new((*text).to_owned()) {
            Ok(r) => r,
            Err((r, errors)) => {
                for e in errors {
                    problems.push(Problem::new(
                        *path,
                        "",
                        format!("Fluent syntax error: {e:?}"),
                    ));
                }
                r
            }
        };
        for entry in resource.entries() {
            if let fluent_syntax::ast::Entry::Message(m) = entry
                && !ids.insert(m.id.name.to_owned())
            {
                problems.push(Problem::new(*path, m.id.name, "message defined twice"));
            }
        }
        if let Err(errors) = bundle.add_resource(resource) {
            for e in errors {
                problems.push(Problem::new(*path, "", format!("Fluent error: {e:?}")));
            }
        }
    }
    Catalogue { bundle, ids }
}

fn render(cat: &Catalogue, id: &str, attribute: Option<&str>) -> Option<String> {
    let message = cat.bundle.get_message(id)?;
    let pattern = match attribute {
        Some(attr) => message
            .get_attribute(attr)
            .map(|a| a.value())
            .or_else(|| message.value())?,
        None => message
            .value()
            .or_else(|| message.get_attribute("patient").map(|a| a.value()))?,
    };
    // Variables (`{ $years }`) stay in the text as `{$years}`, filled in by
    // `Text::fill` when the value is known; any other error is a problem.
    let mut errors = Vec::new();
    let text = cat.bundle.format_pattern(pattern, None, &mut errors);
    errors
        .iter()
        .all(|e| {
            matches!(
                e,
                fluent_bundle::FluentError::ResolverError(
                    fluent_bundle::resolver::errors::ResolverError::Reference(
                        fluent_bundle::resolver::errors::ReferenceKind::Variable { .. }
                    )
                )
            )
        })
        .then(|| text.into_owned())
}

/// Resolved messages: `texts` prefer the `.patient` / `.clinician` attributes,
/// `names` hold the message value (for causes and conditions that have both).
pub(crate) struct Messages {
    pub texts: HashMap<String, Text>,
    pub names: HashMap<String, Text>,
}

/// Both catalogues, checked for parity, resolved into static texts.
pub(crate) fn load(
    en_files: &[(&str, &str)],
    nl_files: &[(&str, &str)],
    problems: &mut Vec<Problem>,
) -> Messages {
    let en = catalogue("en", en_files, problems);
    let nl = catalogue("nl", nl_files, problems);
    for id in en.ids.difference(&nl.ids) {
        problems.push(Problem::new(
            "locales/nl",
            id,
            "message exists in English but not in Dutch",
        ));
    }
    for id in nl.ids.difference(&en.ids) {
        problems.push(Problem::new(
            "locales/en",
            id,
            "message exists in Dutch but not in English",
        ));
    }
    let mut texts = HashMap::new();
    let mut names = HashMap::new();
    for id in en.ids.intersection(&nl.ids) {
        let value = |cat: &Catalogue| {
            let pattern = cat.bundle.get_message(id)?.value()?;
            let mut errors = Vec::new();
            let text = cat.bundle.format_pattern(pattern, None, &mut errors);
            errors.is_empty().then(|| text.into_owned())
        };
        if let (Some(en_name), Some(nl_name)) = (value(&en), value(&nl)) {
            names.insert(
                id.clone(),
                Text::new(en_name.clone(), en_name, nl_name.clone(), nl_name),
            );
        }
        let variant = |cat: &Catalogue, attr: &str| render(cat, id, Some(attr));
        match (
            variant(&en, "patient"),
            variant(&en, "clinician"),
            variant(&nl, "patient"),
            variant(&nl, "clinician"),
        ) {
            (Some(a), Some(b), Some(c), Some(d)) => {
                texts.insert(id.clone(), Text::new(a, b, c, d));
            }
            _ => problems.push(Problem::new(
                "locales",
                id,
                "message has no text, or uses a variable",
            )),
        }
        for attr in ["patient", "clinician"] {
            let has = |cat: &Catalogue| {
                cat.bundle
                    .get_message(id)
                    .is_some_and(|m| m.get_attribute(attr).is_some())
            };
            if has(&en) != has(&nl) {
                problems.push(Problem::new(
                    "locales",
                    id,
                    format!("attribute .{attr} exists in one language only"),
                ));
            }
        }
    }
    Messages { texts, names }
}
