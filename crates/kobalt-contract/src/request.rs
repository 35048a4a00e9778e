use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{ContractError, ErrorCode};

/// A request for an assessment. Only `person.age_years` is required; an absent
/// field means "not known", never "no". An empty list is a known "none".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<Guideline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
    #[serde(deserialize_with = "object")]
    pub person: Person,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diet: Option<Diet>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects"
    )]
    pub supplements: Option<Vec<Supplement>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects"
    )]
    pub medications: Option<Vec<Medication>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects"
    )]
    pub conditions: Option<Vec<Condition>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects"
    )]
    pub procedures: Option<Vec<Procedure>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects"
    )]
    pub exposures: Option<Vec<Exposure>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects"
    )]
    pub symptoms: Option<Vec<Symptom>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects"
    )]
    pub labs: Option<Vec<Lab>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_object"
    )]
    pub treatment: Option<Treatment>,
    /// Free-form data for other front ends; the engine ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub age_years: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnant: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breastfeeding: Option<bool>,
    /// Weeks of pregnancy (only with `pregnant: true`), for pregnancy-specific limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gestation_weeks: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Supplement {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<CobalaminForm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_ug: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_mg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<Per>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weeks: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Medication {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_mg_per_day: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years_ago: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exposure {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<ExposurePattern>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Symptom {
    pub id: String,
    /// Listing a symptom means it is present unless `present` says otherwise.
    #[serde(default = "yes")]
    pub present: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weeks: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<Course>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyte: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loinc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// With `value`: the result is only a bound, as a laboratory reports
    /// "<150 pg/mL" (FHIR `valueQuantity.comparator`). It is read as an
    /// interval against the decision limits, never as the number itself
    /// (interop.md B.2; a Kobalt addition to the contract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparator: Option<Comparator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<QualitativeResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_high: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Treatment {
    pub route: Route,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substance: Option<CobalaminForm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_ug: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<Per>,
    /// With `per`, the interval: `every: 2, per: month` is one dose every two months (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<TreatmentResponse>,
}

use crate::vocabulary::vocabulary;

vocabulary!(
    /// The guideline profile whose values are applied. Profiles are never mixed.
    Guideline { Nhg = "nhg", Nice = "nice" }
);
vocabulary!(Language { Nl = "nl", En = "en" });
vocabulary!(Audience { Patient = "patient", Clinician = "clinician" });
vocabulary!(Sex { Female = "female", Male = "male", Other = "other", Unknown = "unknown" });
vocabulary!(Diet {
    Omnivore = "omnivore",
    Pescatarian = "pescatarian",
    Vegetarian = "vegetarian",
    Vegan = "vegan",
    LowAnimal = "low_animal",
    Unknown = "unknown",
});
vocabulary!(Course { Rapid = "rapid", Gradual = "gradual", Stable = "stable", Improving = "improving" });
vocabulary!(Severity { Mild = "mild", Moderate = "moderate", Severe = "severe" });
vocabulary!(CobalaminForm {
    Cyanocobalamin = "cyanocobalamin",
    Methylcobalamin = "methylcobalamin",
    Adenosylcobalamin = "adenosylcobalamin",
    Hydroxocobalamin = "hydroxocobalamin",
});
vocabulary!(Per { Day = "day", Week = "week", Month = "month" });
vocabulary!(Route {
    Oral = "oral",
    Intramuscular = "intramuscular",
    Subcutaneous = "subcutaneous",
});
vocabulary!(ExposurePattern {
    Daily = "daily",
    Weekly = "weekly",
    Monthly = "monthly",
    Occasional = "occasional",
    Stopped = "stopped",
});
vocabulary!(
    /// How a bound relates the true value to the reported number, as FHIR's
    /// `Quantity.comparator`: "<150" means below 150.
    Comparator { Below = "<", AtMost = "<=", Above = ">", AtLeast = ">=" }
);
vocabulary!(QualitativeResult { Positive = "positive", Negative = "negative", Equivocal = "equivocal" });
vocabulary!(TreatmentResponse { Resolved = "resolved", Improved = "improved", Unchanged = "unchanged", Worse = "worse" });

/// A symptom's course as reported; `None` when not given.
pub type CourseOrNone = Option<Course>;

impl Guideline {
    pub const DEFAULT: Guideline = Guideline::Nhg;
}
impl Language {
    pub const DEFAULT: Language = Language::Nl;
}
impl Audience {
    pub const DEFAULT: Audience = Audience::Patient;
}

impl Comparator {
    /// The sign as people read it before a number: "<", "≤", ">", "≥".
    pub fn sign(self) -> &'static str {
        match self {
            Comparator::Below => "<",
            Comparator::AtMost => "≤",
            Comparator::Above => ">",
            Comparator::AtLeast => "≥",
        }
    }

    /// The sign of an optional comparator; empty for an exact value.
    pub fn sign_of(comparator: Option<Comparator>) -> &'static str {
        comparator.map_or("", Comparator::sign)
    }
}

impl Per {
    /// Days covered by one unit of `per`, for turning doses into daily amounts.
    pub fn days(self) -> f64 {
        match self {
            Per::Day => 1.0,
            Per::Week => 7.0,
            Per::Month => 365.25 / 12.0,
        }
    }
}

/// Parses a request from JSON text, strictly: unknown fields are errors (a
/// misspelt `symptoms` must not silently drop a red flag), the request and its
/// parts are JSON objects (never positional arrays), and every error names the
/// JSON pointer where it occurred (syntax errors: the line and column).
pub fn parse_request(json: &str) -> Result<Request, ContractError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let request: ObjectOnly<Request> =
        serde_path_to_error::deserialize(&mut de).map_err(from_serde_error)?;
    de.end()
        .map_err(|e| ContractError::new(ErrorCode::InvalidJson, e.to_string(), ""))?;
    Ok(request.0)
}

/// `parse_request` for bytes as they arrive (a file, an HTTP body).
pub fn parse_request_bytes(bytes: &[u8]) -> Result<Request, ContractError> {
    parse_request(request_text(bytes)?)
}

/// The bytes as UTF-8 text: a leading byte-order mark (Notepad and PowerShell 5
/// write one) is skipped, as RFC 8259 allows; bytes that are not UTF-8 are an
/// `invalid_json` error naming the first bad byte and its line and column.
pub fn request_text(bytes: &[u8]) -> Result<&str, ContractError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let before = &bytes[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = at - before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        ContractError::new(
            ErrorCode::InvalidJson,
            format!(
                "the request is not UTF-8 text: byte {} (0x{:02X}, line {line}, column {column}) is not valid UTF-8",
                at + 1,
                bytes.get(at).copied().unwrap_or_default()
            ),
            "",
        )
    })
}

/// Reads a struct from a JSON object only. serde's derived structs also
/// accept a positional array, which would bypass field names and
/// `deny_unknown_fields`.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Fields<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object with named fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Fields(std::marker::PhantomData))
            .map(ObjectOnly)
    }
}

fn object<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    ObjectOnly::deserialize(d).map(|o| o.0)
}

fn optional_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<ObjectOnly<T>>::deserialize(d).map(|o| o.map(|o| o.0))
}

fn objects<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<ObjectOnly<T>>>::deserialize(d)
        .map(|list| list.map(|l| l.into_iter().map(|o| o.0).collect()))
}

/// Turns a serde error with its path into a contract error.
pub fn from_serde_error(err: serde_path_to_error::Error<serde_json::Error>) -> ContractError {
    let mut path = pointer_from_serde_path(err.path());
    let inner = err.into_inner();
    let message = inner.to_string();
    let code = if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        path.clear();
        ErrorCode::InvalidJson
    } else if let Some(field) = quoted_after(&message, "unknown field `") {
        // serde_path_to_error already ends the path with the unknown key.
        let leaf = format!("/{}", escape_pointer(field));
        if !path.ends_with(&leaf) {
            path.push_str(&leaf);
        }
        ErrorCode::UnknownField
    } else if let Some(field) = quoted_after(&message, "missing field `") {
        path.push('/');
        path.push_str(&escape_pointer(field));
        ErrorCode::MissingField
    } else if message.starts_with("unknown variant") {
        ErrorCode::UnknownIdentifier
    } else {
        ErrorCode::InvalidValue
    };
    // serde_json ends a message with " at line L column C"; where the pointer
    // says where, the position is left out.
    let message = if path.is_empty() {
        message
    } else {
        strip_position(&message)
    };
    let message = match code {
        ErrorCode::InvalidJson => format!("request is not valid JSON: {message}"),
        _ => message,
    };
    ContractError::new(code, message, path)
}

fn pointer_from_serde_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&escape_pointer(key));
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn quoted_after<'a>(message: &'a str, marker: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(marker)?;
    rest.split('`').next()
}

/// serde_json appends " at line L column C"; the pointer says where instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(json: &str) -> ContractError {
        match parse_request(json) {
            Ok(_) => panic!("expected an error for {json}"),
            Err(e) => e,
        }
    }

    #[test]
    fn minimal_request_parses() {
        let request = parse_request(r#"{"person":{"age_years":40}}"#).expect("valid");
        assert_eq!(request.person.age_years, 40.0);
        assert!(request.symptoms.is_none());
    }

    #[test]
    fn unknown_field_names_its_pointer() {
        let err = error_of(r#"{"person":{"age_years":40},"symptomz":[]}"#);
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::UnknownField, "/symptomz")
        );
        let err = error_of(r#"{"person":{"age_years":40,"sexx":"male"}}"#);
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::UnknownField, "/person/sexx")
        );
    }

    #[test]
    fn missing_and_wrong_values() {
        let err = error_of(r#"{"person":{}}"#);
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::MissingField, "/person/age_years")
        );
        let err = error_of(r#"{"person":{"age_years":"forty"}}"#);
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "/person/age_years")
        );
        let err = error_of(r#"{"person":{"age_years":40,"sex":"femal"}}"#);
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::UnknownIdentifier, "/person/sex")
        );
        let err = error_of(r#"{"person":{"age_years":40},"labs":[{"analyte":"mma","value":[1]}]}"#);
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "/labs/0/value")
        );
    }

    #[test]
    fn broken_json_is_invalid_json() {
        for text in ["", "{", "[1,2]", r#"{"person":{"age_years":40}} trailing"#] {
            let err = error_of(text);
            assert_eq!(
                err.code,
                if text == "[1,2]" {
                    ErrorCode::InvalidValue
                } else {
                    ErrorCode::InvalidJson
                },
                "{text}"
            );
        }
    }

    /// J79, J71, H33: a request and its parts are JSON objects; positional
    /// arrays would bypass field names and `deny_unknown_fields`.
    #[test]
    fn arrays_are_not_objects() {
        let cases = [
            (r#"[]"#, ""),
            (r#"[null,null,null,null,{"age_years":40}]"#, ""),
            (r#"{"person":[40]}"#, "/person"),
            (
                r#"{"person":{"age_years":40},"labs":[["b12_total",null,90,"pmol/L"]]}"#,
                "/labs/0",
            ),
            (
                r#"{"person":{"age_years":40},"symptoms":[["fatigue"]]}"#,
                "/symptoms/0",
            ),
            (
                r#"{"person":{"age_years":40},"treatment":["oral"]}"#,
                "/treatment",
            ),
        ];
        for (json, path) in cases {
            let err = error_of(json);
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::InvalidValue, path),
                "{json}"
            );
            assert!(
                err.message.contains("a JSON object"),
                "{json}: {}",
                err.message
            );
        }
    }

    /// J01: a 100,000-deep array is refused at once, with its position.
    #[test]
    fn deep_nesting_is_named_with_a_position() {
        let err = error_of(&"[".repeat(100_000));
        assert!(
            err.message
                .contains("a JSON object with named fields at line 1 column"),
            "{}",
            err.message
        );
        let deep = format!(
            r#"{{"person":{{"age_years":40}},"extensions":{}1{}}}"#,
            "[".repeat(1000),
            "]".repeat(1000)
        );
        let err = error_of(&deep);
        assert_eq!(err.code, ErrorCode::InvalidJson);
        assert!(
            err.message
                .contains("recursion limit exceeded at line 1 column"),
            "{}",
            err.message
        );
    }

    /// J40: a byte-order mark is skipped; J36: bytes that are not UTF-8 are named with their position.
    #[test]
    fn bom_and_invalid_utf8_are_named() {
        let request = parse_request_bytes(b"\xEF\xBB\xBF{\"person\":{\"age_years\":40}}")
            .expect("a byte-order mark is skipped");
        assert_eq!(request.person.age_years, 40.0);
        let err = parse_request_bytes(b"{\"person\":\n {\"age_years\":40,\"sex\":\"\xFF\xFE\"}}")
            .expect_err("not UTF-8");
        assert_eq!(err.code, ErrorCode::InvalidJson);
        assert!(
            err.message.contains("byte 36 (0xFF, line 2, column 25)"),
            "{}",
            err.message
        );
        assert!(parse_request_bytes(br#"{"person":{"age_years":40}}"#).is_ok());
    }

    #[test]
    fn revision_2026_12_fields_parse() {
        let request = parse_request(
            r#"{"person":{"age_years":30,"sex":"female","pregnant":true,"gestation_weeks":20},
                "treatment":{"route":"subcutaneous","dose_ug":1000,"every":2,"per":"month"}}"#,
        )
        .expect("valid");
        assert_eq!(request.person.gestation_weeks, Some(20.0));
        let treatment = request.treatment.expect("treatment");
        assert_eq!(
            (treatment.route, treatment.every),
            (Route::Subcutaneous, Some(2.0))
        );
    }
}
