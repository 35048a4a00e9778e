//! CDS Hooks over the real router: discovery, patient-view and order hooks
//! with fixtures shaped like the specification's examples, 412 and 400
//! OperationOutcomes, card conformance, feedback, and JWT negatives (401).

use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use kobalt_cds::{CdsSettings, Issuer, router, service, state};
use serde_json::{Value, json};
use tower::ServiceExt;

static KB: LazyLock<Arc<kobalt_kb::Knowledge>> =
    LazyLock::new(|| Arc::new(kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}"))));

const BASE: &str = "https://kobalt.example";
const ISS: &str = "https://ehr.example";

fn key(name: &str) -> String {
    let path = format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn app(dev: bool) -> axum::Router {
    app_with(None, dev)
}

/// The router under a guideline (`None`: the default, NHG).
fn app_with(guideline: Option<kobalt_contract::Guideline>, dev: bool) -> axum::Router {
    let settings = CdsSettings {
        base_url: BASE.into(),
        allow_unauthenticated: dev,
        leeway_seconds: 5,
        guideline,
        issuer: vec![],
        fhir_servers: vec![],
    };
    let jwks = serde_json::from_str(&key("client-jwks.json")).unwrap_or_else(|e| panic!("{e}"));
    router(state(
        KB.clone(),
        &settings,
        vec![Issuer {
            iss: ISS.into(),
            jwks,
            jku: vec![],
            jwks_url: None,
        }],
    ))
}

fn now() -> u64 {
    jiff::Timestamp::now().as_second() as u64
}

struct Token {
    alg: Algorithm,
    key: &'static str,
    kid: &'static str,
    iss: String,
    aud: String,
    exp: u64,
    iat: u64,
    jti: String,
    /// `nbf`, when the token carries one.
    nbf: Option<u64>,
    /// `crit` in the header, when the token carries one.
    crit: Option<Vec<String>>,
}

impl Token {
    fn valid(path: &str) -> Token {
        Token {
            alg: Algorithm::ES384,
            key: "client-es384.pem",
            kid: "client-key-1",
            iss: ISS.into(),
            aud: format!("{BASE}{path}"),
            exp: now() + 300,
            iat: now(),
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: None,
            crit: None,
        }
    }

    fn sign(&self) -> String {
        let mut h = Header::new(self.alg);
        h.kid = Some(self.kid.into());
        h.typ = Some("JWT".into());
        h.crit = self.crit.clone();
        let mut claims = json!({ "iss": self.iss, "aud": self.aud, "exp": self.exp, "iat": self.iat, "jti": self.jti });
        if let Some(nbf) = self.nbf {
            claims["nbf"] = json!(nbf);
        }
        let key =
            EncodingKey::from_ec_pem(key(self.key).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        encode(&h, &claims, &key).unwrap_or_else(|e| panic!("{e}"))
    }
}

async fn send(
    app: axum::Router,
    method: &str,
    path: &str,
    token: Option<String>,
    body: Option<String>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::ACCEPT_LANGUAGE, "en");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = req
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap_or_else(|e| panic!("{e}"));
    let res = app.oneshot(req).await.unwrap_or_else(|e| panic!("{e}"));
    let status = res.status();
    let bytes = res
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn observation(id: &str, loinc: &str, value: f64, unit: &str, date: &str) -> Value {
    json!({ "resourceType": "Observation", "id": id, "status": "final",
        "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
        "subject": { "reference": "Patient/1288992" }, "effectiveDateTime": date,
        "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit } })
}

fn bundle(resources: Vec<Value>) -> Value {
    json!({ "resourceType": "Bundle", "type": "searchset",
        "entry": resources.into_iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>() })
}

fn today_minus(days: i64) -> String {
    jiff::Zoned::now()
        .date()
        .checked_sub(jiff::Span::new().days(days))
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

fn patient_view(labs: Option<Value>) -> Value {
    let mut prefetch = json!({
        "patient": { "resourceType": "Patient", "id": "1288992", "birthDate": "1952-04-01", "gender": "male" },
        "medicationStatements": bundle(vec![json!({ "resourceType": "MedicationStatement", "id": "ms1", "status": "active",
            "medicationCodeableConcept": { "coding": [{ "system": "http://www.whocc.no/atc", "code": "A10BA02" }] },
            "effectivePeriod": { "start": "2015-01-01" } })]),
        "conditions": Value::Null,
    });
    if let Some(l) = labs {
        prefetch["labs"] = l;
    }
    json!({
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "https://ehr.example/r4",
        "hook": "patient-view",
        "context": { "userId": "Practitioner/example", "patientId": "1288992" },
        "prefetch": prefetch,
    })
}

#[tokio::test]
async fn discovery_lists_the_services() {
    let (status, body) = send(
        app(false),
        "GET",
        "/cds-services",
        Some(Token::valid("/cds-services").sign()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let services = body["services"].as_array().cloned().unwrap_or_default();
    assert_eq!(services.len(), 3);
    assert!(
        services
            .iter()
            .all(|s| s["version"] == "3.0.0" && s["description"].is_string())
    );
    assert!(
        services[0]["prefetch"]["labs"]
            .as_str()
            .is_some_and(|t| t.contains("14685-2"))
    );
}

#[tokio::test]
async fn patient_view_grey_zone_card_with_mma_suggestion() {
    let labs = bundle(vec![observation(
        "b12",
        "14685-2",
        180.0,
        "pmol/L",
        &today_minus(20),
    )]);
    let path = "/cds-services/kobalt-b12";
    let (status, body) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some(patient_view(Some(labs)).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cards = body["cards"].as_array().cloned().unwrap_or_default();
    let grey = cards
        .iter()
        .find(|c| c["source"]["topic"]["code"] == "b12GreyZone")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(grey["indicator"], "warning");
    assert_eq!(grey["selectionBehavior"], "any");
    assert_eq!(
        grey["suggestions"][0]["actions"][0]["resource"]["resourceType"],
        "ServiceRequest"
    );
    assert_eq!(
        grey["suggestions"][0]["actions"][0]["resource"]["code"]["coding"][0]["code"],
        "13964-2"
    );
    assert!(
        grey["overrideReasons"]
            .as_array()
            .is_some_and(|r| r.iter().all(|x| x["display"].is_string()))
    );
    for c in &cards {
        service::conformant(c).unwrap_or_else(|e| panic!("{e}: {c}"));
        assert!(uuid::Uuid::parse_str(c["uuid"].as_str().unwrap_or("")).is_ok());
    }
    // B12 was measured within the year: no risk-medication card.
    assert!(
        !cards
            .iter()
            .any(|c| c["source"]["topic"]["code"] == "b12RiskMedication")
    );
}

/// Clinical review F28: the chart-open card proposed a B12 test for
/// long-term metformin "without a B12 result in the past year" under NHG too,
/// and by an invented 4-year cut-off. NHG LESA (G2): "(Routinematig) aanvragen
/// van het vitamine B12-gehalte bij langdurig gebruik van metformine,
/// protonpompremmers ... wordt niet aanbevolen": no card under NHG without an
/// NHG test indication. NICE / MHRA (G21): metformin use is the risk factor,
/// no duration: the card under NICE.
#[tokio::test]
async fn patient_view_risk_medication_without_a_recent_b12() {
    let labs = bundle(vec![observation(
        "b12",
        "14685-2",
        400.0,
        "pmol/L",
        &today_minus(800),
    )]);
    let path = "/cds-services/kobalt-b12";
    let risk_cards = |guideline| {
        let labs = labs.clone();
        async move {
            let (status, body) = send(
                app_with(guideline, false),
                "POST",
                path,
                Some(Token::valid(path).sign()),
                Some(patient_view(Some(labs)).to_string()),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["cards"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["source"]["topic"]["code"] == "b12RiskMedication")
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    assert!(
        risk_cards(None).await.is_empty(),
        "no routine test under NHG (G2)"
    );
    let nice = risk_cards(Some(kobalt_contract::Guideline::Nice)).await;
    let card = nice
        .first()
        .unwrap_or_else(|| panic!("no risk card under NICE"));
    assert!(
        card["summary"]
            .as_str()
            .is_some_and(|s| s.contains("metformin"))
    );
}

#[tokio::test]
async fn missing_prefetch_is_412_with_the_keys() {
    let path = "/cds-services/kobalt-b12";
    let (status, body) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some(patient_view(None).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .is_some_and(|d| d.contains("labs"))
    );
}

#[tokio::test]
async fn invalid_json_and_wrong_hook_are_400() {
    let path = "/cds-services/kobalt-b12";
    let (status, body) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some("{not json".into()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["resourceType"], "OperationOutcome");
    let mut wrong = patient_view(Some(Value::Null));
    wrong["hook"] = json!("order-sign");
    let (status, _) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some(wrong.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn order_sign_folic_acid_without_b12_status() {
    let path = "/cds-services/kobalt-b12-order";
    let body = json!({
        "hookInstance": "5b7e3a4f-5a4b-4a0e-9c9f-2b1e8f0c4d11",
        "hook": "order-sign",
        "context": { "userId": "Practitioner/example", "patientId": "1288992",
            "draftOrders": bundle(vec![json!({ "resourceType": "MedicationRequest", "id": "mr1", "status": "draft", "intent": "order",
                "medicationCodeableConcept": { "coding": [{ "system": "http://www.whocc.no/atc", "code": "B03BB01" }] } })]) },
        "prefetch": { "patient": { "resourceType": "Patient", "id": "1288992", "birthDate": "1980-01-01", "gender": "female" } },
    });
    let (status, out) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some(body.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let card = out["cards"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["source"]["topic"]["code"] == "b12FolicAcid")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(card["indicator"], "warning");
}

#[tokio::test]
async fn feedback_is_checked() {
    let path = "/cds-services/kobalt-b12/feedback";
    let good = json!({ "feedback": [{ "card": "8f0c2b3e-0d7a-4c43-9a55-2f4f3b1f6a10", "outcome": "accepted",
        "acceptedSuggestions": [{ "id": "1d9e4a52-6f0b-4e8e-b3c4-7c0f7d7a9e21" }], "outcomeTimestamp": "2026-03-02T10:05:31Z" }] });
    let (status, _) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some(good.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let bad = json!({ "feedback": [{ "card": "x", "outcome": "maybe" }] });
    let (status, _) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some(bad.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let path = "/cds-services";
    let mut cases: Vec<(&str, Option<String>)> = vec![("no token", None)];
    let mut t = Token::valid(path);
    t.aud = format!("{BASE}/cds-services/kobalt-b12");
    cases.push(("wrong aud", Some(t.sign())));
    let mut t = Token::valid(path);
    t.exp = now() - 600;
    t.iat = now() - 900;
    cases.push(("expired", Some(t.sign())));
    let mut t = Token::valid(path);
    t.iss = "https://evil.example".into();
    cases.push(("unknown iss", Some(t.sign())));
    let mut t = Token::valid(path);
    t.key = "other-es384.pem";
    cases.push(("wrong key", Some(t.sign())));
    let mut t = Token::valid(path);
    t.iat = now() + 3600;
    cases.push(("issued in the future", Some(t.sign())));
    // alg none: header and claims, no signature.
    let b64 = |v: &Value| {
        use std::fmt::Write;
        let bytes = v.to_string().into_bytes();
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |a, (i, b)| a | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                let _ = write!(
                    out,
                    "{}",
                    table[((n >> (18 - 6 * i)) & 63) as usize] as char
                );
            }
        }
        out
    };
    let claims = json!({ "iss": ISS, "aud": format!("{BASE}{path}"), "exp": now() + 300, "iat": now(), "jti": "none-1" });
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT", "kid": "client-key-1" })),
        b64(&claims)
    );
    cases.push(("alg none", Some(none)));
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("client-key-1".into());
    h.typ = Some("JWT".into());
    let hs =
        encode(&h, &claims, &EncodingKey::from_secret(b"secret")).unwrap_or_else(|e| panic!("{e}"));
    cases.push(("HS256", Some(hs)));
    for (name, token) in cases {
        let (status, body) = send(app(false), "GET", path, token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_eq!(body["resourceType"], "OperationOutcome", "{name}");
    }
    // A replayed jti: the second use of the same token is refused.
    let app = app(false);
    let token = Token::valid(path).sign();
    let (first, _) = send(app.clone(), "GET", path, Some(token.clone()), None).await;
    let (second, _) = send(app, "GET", path, Some(token), None).await;
    assert_eq!((first, second), (StatusCode::OK, StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn development_mode_needs_no_token_and_is_off_by_default() {
    let (status, _) = send(app(true), "GET", "/cds-services", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let settings: CdsSettings =
        toml::from_str("base_url = \"https://kobalt.example\"").unwrap_or_else(|e| panic!("{e}"));
    assert!(!settings.allow_unauthenticated);
}

#[test]
fn summaries_fit_in_both_languages_and_markdown_is_escaped() {
    use kobalt_contract::{Audience, Language};
    let longest_medication = KB
        .medications
        .names
        .iter()
        .map(|n| {
            n.get(Language::Nl, Audience::Clinician)
                .len()
                .max(n.get(Language::En, Audience::Clinician).len())
        })
        .max()
        .unwrap_or(0);
    for id in KB
        .messages
        .keys()
        .filter(|k| k.starts_with("cds-") && k.ends_with("-summary"))
    {
        for lang in [Language::Nl, Language::En] {
            let text = kobalt_kb::fill(
                KB.message(id, lang, Audience::Clinician),
                &[
                    ("value", "1000"),
                    ("medication", &"x".repeat(longest_medication)),
                ],
            );
            assert!(
                text.chars().count() <= service::SUMMARY_MAX,
                "{id} ({lang}): {} characters",
                text.chars().count()
            );
        }
    }
    assert_eq!(
        service::escape("<script>alert(1)</script> *x*"),
        "&lt;script&gt;alert(1)&lt;/script&gt; \\*x\\*"
    );
    let long = "word ".repeat(60);
    let clipped = service::clip(&long);
    assert!(clipped.chars().count() <= service::SUMMARY_MAX && clipped.ends_with('…'));
    let mut card = json!({ "summary": long, "indicator": "info", "source": { "label": "x" } });
    assert!(
        service::conformant(&card).is_err(),
        "an overlong summary is refused"
    );
    card["summary"] = json!("ok");
    assert!(service::conformant(&card).is_ok());
}

#[tokio::test]
async fn cors_preflight_for_browser_clients() {
    let req = Request::builder()
        .method("OPTIONS")
        .uri("/cds-services/kobalt-b12")
        .header(header::ORIGIN, "https://ehr.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type",
        )
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let res = app(false)
        .oneshot(req)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
}

/// EHR review items 5 and 10 (PV14, R6, F37): a card was given for a patient
/// id that does not match the prefetched Patient, and deceased patients were
/// assessed. The prefetched Patient must be `context.patientId` (else 400
/// with an OperationOutcome); a deceased patient gets no cards.
#[tokio::test]
async fn the_patient_must_match_the_context_and_be_alive() {
    let path = "/cds-services/kobalt-b12";
    let labs = bundle(vec![observation(
        "b12",
        "14685-2",
        100.0,
        "pmol/L",
        &today_minus(5),
    )]);
    let mut other = patient_view(Some(labs.clone()));
    other["context"]["patientId"] = json!("someone-else");
    let (status, body) = send(app(true), "POST", path, None, Some(other.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");

    let mut deceased = patient_view(Some(labs));
    deceased["prefetch"]["patient"]["deceasedDateTime"] = json!("2025-01-01");
    let (status, body) = send(app(true), "POST", path, None, Some(deceased.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cards"], json!([]), "{body}");
}

/// EHR review item 9: "Information-level issues are neither printed (CLI)
/// nor returned (CDS)". A clinically relevant resource that was not used is
/// named in the card detail.
#[tokio::test]
async fn what_was_not_used_is_named_in_the_card() {
    let path = "/cds-services/kobalt-b12";
    let labs = bundle(vec![
        observation("b12", "14685-2", 100.0, "pmol/L", &today_minus(5)),
        observation("mcv-bad", "787-2", 96.0, "mmol/L", &today_minus(5)),
    ]);
    let (status, body) = send(
        app(true),
        "POST",
        path,
        None,
        Some(patient_view(Some(labs)).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cards = body["cards"].as_array().cloned().unwrap_or_default();
    assert!(!cards.is_empty(), "{body}");
    for c in &cards {
        let detail = c["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("Observation/mcv-bad"), "{detail}");
    }
}

/// EHR review item 7 (operable security): lower-case `bearer` was refused;
/// a 401 had no `WWW-Authenticate`; a `kid` shared by two issuers locked the
/// second one out; `nbf` was ignored.
#[tokio::test]
async fn tokens_as_real_ehrs_send_them() {
    let path = "/cds-services";
    const OTHER: &str = "https://other-ehr.example";
    let settings = CdsSettings {
        base_url: BASE.into(),
        allow_unauthenticated: false,
        leeway_seconds: 5,
        guideline: None,
        issuer: vec![],
        fhir_servers: vec![],
    };
    let jwks = |file: &str| -> jsonwebtoken::jwk::JwkSet {
        // The second issuer's key under the first one's kid.
        let text = key(file).replace("other-key-1", "client-key-1");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
    };
    let app = router(state(
        KB.clone(),
        &settings,
        vec![
            Issuer {
                iss: ISS.into(),
                jwks: jwks("client-jwks.json"),
                jku: vec![],
                jwks_url: None,
            },
            Issuer {
                iss: OTHER.into(),
                jwks: jwks("other-jwks.json"),
                jku: vec![],
                jwks_url: None,
            },
        ],
    ));
    let request = |token: String, scheme: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("{scheme} {token}"))
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let status = |req| {
        let app = app.clone();
        async move { app.oneshot(req).await.unwrap_or_else(|e| panic!("{e}")) }
    };
    let r = status(request(Token::valid(path).sign(), "bearer")).await;
    assert_eq!(r.status(), StatusCode::OK, "lower-case bearer");
    let mut t = Token::valid(path);
    t.iss = OTHER.into();
    t.key = "other-es384.pem";
    let r = status(request(t.sign(), "Bearer")).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the second issuer with the same kid"
    );
    // Not valid before an hour from now: refused.
    let mut t = Token::valid(path);
    t.nbf = Some(now() + 3600);
    let r = status(request(t.sign(), "Bearer")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "nbf in the future");
    // A header extension the token says must be understood, which Kobalt
    // does not know (RFC 7515 4.1.11): refused.
    let mut t = Token::valid(path);
    t.crit = Some(vec!["https://ehr.example/jwt/ext".into()]);
    let r = status(request(t.sign(), "Bearer")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "crit not understood");
    let r = status(request("not-a-token".into(), "Bearer")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer")),
        "{:?}",
        r.headers()
    );
}

/// EHR review item 1: the `labs` prefetch asked for every result of the
/// analytes' codes, ever; 15 % of Synthea patients then exceeded the body
/// limit. It asks for a date window and the newest results only.
#[tokio::test]
async fn the_labs_prefetch_asks_only_for_what_is_needed() {
    let (status, body) = send(app(true), "GET", "/cds-services", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let labs = body["services"][0]["prefetch"]["labs"]
        .as_str()
        .unwrap_or_default();
    assert!(labs.contains("&code=http://loinc.org|14685-2"), "{labs}");
    assert!(labs.contains("&date=ge{{today() - 730 days}}"), "{labs}");
    assert!(
        labs.contains("&_sort=-date") && labs.contains("&_count=100"),
        "{labs}"
    );
}

/// Issue 16 tests: "patient-view with the discovery's prefetch templates
/// filled from each bundle answers 200", on the Synthea bundles of
/// `../shared/fhir-corpus` (skipped without it). Each key gets what its
/// template asks for: the Patient, the Observations with the analytes' LOINC
/// codes, the Conditions, MedicationStatements, MedicationRequests and
/// Procedures.
#[tokio::test]
async fn patient_view_answers_for_every_synthea_patient() {
    let dir = synthea_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: no fhir-corpus at {}", dir.display());
        return;
    };
    let mut answered = 0;
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let record: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let prefetch = prefetch_of(&record);
        let patient = &prefetch["patient"];
        let request = json!({
            "hookInstance": uuid::Uuid::new_v4().to_string(),
            "hook": "patient-view",
            "context": { "userId": "Practitioner/example", "patientId": patient["id"] },
            "prefetch": prefetch,
        });
        let (status, body) = send(
            app(true),
            "POST",
            "/cds-services/kobalt-b12",
            None,
            Some(request.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", path.display());
        assert!(body["cards"].is_array(), "{}: {body}", path.display());
        answered += 1;
    }
    assert_eq!(answered, 29, "the corpus README names 29 bundles");
}

/// EHR review OS09: folic acid ordered while a B12 measured 12 days earlier
/// was low. The card said the B12 status was unknown and suggested another B12
/// test. It names the low result, says B12 comes first (G18: folic acid only
/// after B12 has started) and suggests no second B12 test.
#[tokio::test]
async fn folic_acid_card_knows_a_prefetched_low_b12() {
    let path = "/cds-services/kobalt-b12-order";
    let labs = bundle(vec![observation(
        "b12",
        "14685-2",
        120.0,
        "pmol/L",
        &today_minus(12),
    )]);
    let body = json!({
        "hookInstance": "5b7e3a4f-5a4b-4a0e-9c9f-2b1e8f0c4d12",
        "hook": "order-sign",
        "context": { "userId": "Practitioner/example", "patientId": "1288992",
            "draftOrders": bundle(vec![json!({ "resourceType": "MedicationRequest", "id": "mr1", "status": "draft", "intent": "order",
                "medicationCodeableConcept": { "coding": [{ "system": "http://www.whocc.no/atc", "code": "B03BB01" }] } })]) },
        "prefetch": { "patient": { "resourceType": "Patient", "id": "1288992", "birthDate": "1980-01-01", "gender": "female" },
            "labs": labs },
    });
    let (status, out) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some(body.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let cards = out["cards"].as_array().cloned().unwrap_or_default();
    let card = cards
        .iter()
        .find(|c| c["source"]["topic"]["code"] == "b12FolicAcid")
        .unwrap_or_else(|| panic!("{out}"));
    let summary = card["summary"].as_str().unwrap_or_default();
    assert!(!summary.contains("unknown"), "{summary}");
    assert!(summary.contains("120"), "{summary}");
    assert!(card.get("suggestions").is_none(), "{card}");
    service::conformant(card).unwrap_or_else(|e| panic!("{e}: {card}"));
}

/// EHR review item 6 (R15): Epic accepts `selectionBehavior` `any` only and
/// alphanumeric topic codes of at most 100 characters, and creates medication
/// orders from RxNorm codes; Dutch systems from G-Standaard codes, which
/// Kobalt cannot issue, so the ATC code and the text stay.
#[tokio::test]
async fn cards_as_epic_accepts_them() {
    let path = "/cds-services/kobalt-b12";
    let mut cards = Vec::new();
    for value in [180.0, 90.0] {
        let labs = bundle(vec![observation(
            "b12",
            "14685-2",
            value,
            "pmol/L",
            &today_minus(20),
        )]);
        let (status, body) = send(
            app(false),
            "POST",
            path,
            Some(Token::valid(path).sign()),
            Some(patient_view(Some(labs)).to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        cards.extend(body["cards"].as_array().cloned().unwrap_or_default());
    }
    assert!(cards.iter().any(|c| c["suggestions"].is_array()));
    for c in &cards {
        let topic = &c["source"]["topic"];
        let code = topic["code"].as_str().unwrap_or_default();
        assert!(
            !code.is_empty()
                && code.len() <= 100
                && code.chars().all(|x| x.is_ascii_alphanumeric()),
            "topic code {code}"
        );
        assert!(topic["display"].is_string(), "{topic}");
        if c["suggestions"].is_array() {
            assert_eq!(c["selectionBehavior"], "any", "{c}");
        }
        for s in c["suggestions"].as_array().into_iter().flatten() {
            for a in s["actions"].as_array().into_iter().flatten() {
                let r = &a["resource"];
                if r["resourceType"] == "MedicationRequest" {
                    let codings = r["medicationCodeableConcept"]["coding"].to_string();
                    assert!(
                        codings.contains("http://www.nlm.nih.gov/research/umls/rxnorm"),
                        "{codings}"
                    );
                    assert!(codings.contains("http://www.whocc.no/atc"), "{codings}");
                }
            }
        }
    }
    assert!(
        cards.iter().any(
            |c| c["suggestions"][0]["actions"][0]["resource"]["resourceType"]
                == "MedicationRequest"
        ),
        "a deficient B12 gets a treatment suggestion"
    );
}

/// EHR review item 12: a call or feedback to a service that does not exist
/// answered 400 (call) or 200 (feedback); it is 404 with an OperationOutcome
/// (`not-found`).
#[tokio::test]
async fn an_unknown_service_is_404() {
    for path in [
        "/cds-services/no-such-service",
        "/cds-services/no-such-service/feedback",
    ] {
        let body = if path.ends_with("feedback") {
            json!({ "feedback": [{ "card": "x", "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z" }] })
        } else {
            patient_view(Some(Value::Null))
        };
        let (status, out) = send(
            app(false),
            "POST",
            path,
            Some(Token::valid(path).sign()),
            Some(body.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {out}");
        assert_eq!(out["resourceType"], "OperationOutcome");
        assert_eq!(out["issue"][0]["code"], "not-found");
    }
}

/// A FHIR server for the tests: it serves `record`'s resources at
/// `http://127.0.0.1:{port}/fhir` (reads `Patient/{id}`, searches by type with
/// `patient` and, for Observations, `code`), three entries a page with
/// next-page links, to callers with the token `Bearer secret` only. Returns
/// its base URL and a count of the requests it answered.
async fn fhir_server(record: Value) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use axum::extract::{Path, RawQuery, State};
    use axum::response::IntoResponse;
    type Shared = (Value, String, Arc<std::sync::atomic::AtomicUsize>);
    async fn answer(
        State((record, base, hits)): State<Shared>,
        Path(path): Path<String>,
        RawQuery(query): RawQuery,
        headers: axum::http::HeaderMap,
    ) -> axum::response::Response {
        if headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some("Bearer secret")
        {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let resources: Vec<Value> = record["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["resource"].clone())
            .collect();
        if let Some(id) = path.strip_prefix("Patient/") {
            return match resources
                .iter()
                .find(|r| r["resourceType"] == "Patient" && r["id"] == id)
            {
                Some(p) => axum::Json(p.clone()).into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            };
        }
        let query = query.unwrap_or_default();
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
        };
        let codes: Vec<String> = param("code")
            .map(|c| {
                c.replace("%7C", "|")
                    .split(',')
                    .map(|x| x.rsplit('|').next().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let matching: Vec<Value> = resources
            .into_iter()
            .filter(|r| r["resourceType"] == path.as_str())
            .filter(|r| {
                codes.is_empty()
                    || r["code"]["coding"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|c| codes.iter().any(|x| Some(x.as_str()) == c["code"].as_str()))
            })
            .collect();
        let page: usize = param("_page").and_then(|p| p.parse().ok()).unwrap_or(0);
        let chunk: Vec<Value> = matching
            .iter()
            .skip(page * 3)
            .take(3)
            .map(|r| json!({ "resource": r }))
            .collect();
        let mut bundle = json!({ "resourceType": "Bundle", "type": "searchset", "total": matching.len(), "entry": chunk });
        if (page + 1) * 3 < matching.len() {
            let rest: String = query
                .split('&')
                .filter(|kv| !kv.starts_with("_page="))
                .collect::<Vec<_>>()
                .join("&");
            bundle["link"] = json!([{ "relation": "next", "url": format!("{base}/{path}?{rest}&_page={}", page + 1) }]);
        }
        axum::Json(bundle).into_response()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}/fhir",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new()
        .route("/fhir/{*path}", axum::routing::get(answer))
        .with_state((record, base.clone(), hits.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, hits)
}

/// The Synthea bundles of ../shared/fhir-corpus (or KOBALT_SHARED_DIR).
fn synthea_dir() -> std::path::PathBuf {
    std::env::var_os("KOBALT_SHARED_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
            std::path::PathBuf::from,
        )
        .join("fhir-corpus/synthea")
}

/// A record's resources as the discovery's prefetch templates ask for them:
/// the Patient, the Observations with the analytes' LOINC codes, the
/// Conditions, MedicationStatements, MedicationRequests and Procedures.
fn prefetch_of(record: &Value) -> Value {
    let of = |kind: &str| -> Vec<Value> {
        record["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["resource"].clone())
            .filter(|r| r["resourceType"] == kind)
            .collect()
    };
    let loinc: Vec<&str> = KB
        .analytes
        .iter()
        .flat_map(|a| a.loinc.iter().map(String::as_str))
        .collect();
    let labs: Vec<Value> = of("Observation")
        .into_iter()
        .filter(|o| {
            o["code"]["coding"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| {
                    c["system"] == "http://loinc.org"
                        && loinc.contains(&c["code"].as_str().unwrap_or(""))
                })
        })
        .collect();
    json!({
        "patient": of("Patient").into_iter().next().unwrap_or(Value::Null),
        "labs": bundle(labs),
        "conditions": bundle(of("Condition")),
        "medicationStatements": bundle(of("MedicationStatement")),
        "medicationRequests": bundle(of("MedicationRequest")),
        "procedures": bundle(of("Procedure")),
    })
}

/// A Synthea patient on metformin from ../shared/fhir-corpus (alive), or,
/// without the corpus, a small record of the same shape.
fn metformin_record() -> Value {
    let dir = synthea_dir();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains("\"860975\"") && !text.contains("deceasedDateTime") {
            return serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let mut resources = vec![
        json!({ "resourceType": "Patient", "id": "p7", "birthDate": "1950-03-01", "gender": "female" }),
        json!({ "resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
            "subject": { "reference": "Patient/p7" }, "authoredOn": "2012-01-01",
            "medicationCodeableConcept": { "coding": [{ "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975", "display": "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet" }] } }),
    ];
    for (i, v) in [180.0, 175.0, 190.0, 200.0].iter().enumerate() {
        let mut o = observation(
            &format!("o{i}"),
            "14685-2",
            *v,
            "pmol/L",
            &today_minus(30 + 100 * i as i64),
        );
        o["subject"] = json!({ "reference": "Patient/p7" });
        resources.push(o);
    }
    json!({ "resourceType": "Bundle", "type": "collection",
        "entry": resources.into_iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>() })
}

/// EHR review item 6 and interop.md A.6: a client that sends no prefetch
/// (Epic does not read discovery) but gives `fhirServer` and
/// `fhirAuthorization` is answered from its FHIR server: every absent key is
/// fetched with its template, pages followed, and the cards are those of the
/// same record sent as prefetch. 412 only when fetching fails (server down,
/// token refused, a server not on the settings' list).
#[tokio::test]
async fn absent_prefetch_is_fetched_from_the_fhir_server() {
    let record = metformin_record();
    let (base, hits) = fhir_server(record.clone()).await;
    let patient = record["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "Patient")
        .cloned()
        .unwrap_or_else(|| panic!("no Patient"));
    let id = patient["id"].as_str().unwrap_or_default().to_owned();
    let app_for = |servers: Vec<String>| {
        let settings = CdsSettings {
            base_url: BASE.into(),
            allow_unauthenticated: true,
            leeway_seconds: 5,
            guideline: Some(kobalt_contract::Guideline::Nice),
            issuer: vec![],
            fhir_servers: servers,
        };
        router(state(KB.clone(), &settings, vec![]))
    };
    let call = |server: &str, token: &str| {
        json!({
            "hookInstance": uuid::Uuid::new_v4().to_string(),
            "hook": "patient-view",
            "fhirServer": server,
            "fhirAuthorization": { "access_token": token, "token_type": "Bearer", "expires_in": 300,
                "scope": "patient/*.read", "subject": "kobalt" },
            "context": { "userId": "Practitioner/example", "patientId": id },
        })
        .to_string()
    };
    let path = "/cds-services/kobalt-b12";
    let (status, fetched) = send(
        app_for(vec![base.clone()]),
        "POST",
        path,
        None,
        Some(call(&base, "secret")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert!(
        hits.load(std::sync::atomic::Ordering::SeqCst) >= 6,
        "every key was fetched"
    );
    // The same record sent as prefetch gives the same cards.
    let mut direct: Value =
        serde_json::from_str(&call(&base, "secret")).unwrap_or_else(|e| panic!("{e}"));
    direct["prefetch"] = prefetch_of(&record);
    let (_, sent) = send(
        app_for(vec![]),
        "POST",
        path,
        None,
        Some(direct.to_string()),
    )
    .await;
    let summaries = |b: &Value| -> Vec<String> {
        b["cards"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["summary"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(summaries(&fetched), summaries(&sent));
    assert!(
        summaries(&fetched)
            .iter()
            .any(|s| s.to_lowercase().contains("metformin")),
        "the metformin patient's risk card: {fetched}"
    );
    // Failing fetches are 412, naming why.
    for (servers, server, token, why) in [
        (vec![base.clone()], base.clone(), "wrong", "401"),
        (vec![], base.clone(), "secret", "not on this server's list"),
        (
            vec!["http://127.0.0.1:1/fhir".to_owned()],
            "http://127.0.0.1:1/fhir".to_owned(),
            "secret",
            "labs",
        ),
    ] {
        let (status, out) = send(
            app_for(servers),
            "POST",
            path,
            None,
            Some(call(&server, token)),
        )
        .await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{out}");
        let text = out["issue"][0]["details"]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(why), "{why}: {text}");
        assert!(
            !text.contains("secret"),
            "the token is never echoed: {text}"
        );
    }
}

/// EHR review item 7: keys rotate. A token whose `kid` is not in the
/// issuer's JWK Set makes Kobalt read the set again from the issuer's
/// `jwks_url` (the new key then verifies), at most once per few minutes per
/// issuer: a flood of unknown kids does not become a flood of fetches.
#[tokio::test]
async fn the_jwk_set_is_read_again_for_an_unknown_kid() {
    use axum::response::IntoResponse;
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let served = hits.clone();
    // The issuer's set after rotation: its new key (other-key-1) only.
    let rotated = key("other-jwks.json");
    let jwks_app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = rotated.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body).into_response() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/jwks.json",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move { axum::serve(listener, jwks_app).await });
    let settings = CdsSettings {
        base_url: BASE.into(),
        allow_unauthenticated: false,
        leeway_seconds: 5,
        guideline: None,
        issuer: vec![],
        fhir_servers: vec![],
    };
    let app = router(state(
        KB.clone(),
        &settings,
        vec![Issuer {
            iss: ISS.into(),
            jwks: serde_json::from_str(&key("client-jwks.json")).unwrap_or_else(|e| panic!("{e}")),
            jku: vec![],
            jwks_url: Some(url),
        }],
    ));
    let path = "/cds-services";
    let mut rotated_token = Token::valid(path);
    rotated_token.key = "other-es384.pem";
    rotated_token.kid = "other-key-1";
    let (status, _) = send(app.clone(), "GET", path, Some(rotated_token.sign()), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the rotated key verifies after one fetch"
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    for _ in 0..5 {
        let mut unknown = Token::valid(path);
        unknown.kid = "never-published";
        let (status, _) = send(app.clone(), "GET", path, Some(unknown.sign()), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "no fetch within the minimum interval"
    );
}

/// Clinical review F28 for the order hooks: metformin ordered without a
/// recent B12 gave "consider B12 monitoring" under NHG, where routine testing
/// for metformin is not recommended (G2). Under NICE (MHRA, G21: "consider
/// periodic B12 monitoring in patients with risk factors") the card stays.
#[tokio::test]
async fn metformin_order_card_only_under_nice() {
    let path = "/cds-services/kobalt-b12-order";
    let body = json!({
        "hookInstance": "5b7e3a4f-5a4b-4a0e-9c9f-2b1e8f0c4d13",
        "hook": "order-sign",
        "context": { "userId": "Practitioner/example", "patientId": "1288992",
            "draftOrders": bundle(vec![json!({ "resourceType": "MedicationRequest", "id": "mr1", "status": "draft", "intent": "order",
                "medicationCodeableConcept": { "coding": [{ "system": "http://www.whocc.no/atc", "code": "A10BA02" }] } })]) },
        "prefetch": { "patient": { "resourceType": "Patient", "id": "1288992", "birthDate": "1950-01-01", "gender": "female" } },
    });
    for (guideline, want) in [(None, 0), (Some(kobalt_contract::Guideline::Nice), 1)] {
        let (status, out) = send(
            app_with(guideline, false),
            "POST",
            path,
            Some(Token::valid(path).sign()),
            Some(body.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        let cards = out["cards"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["source"]["topic"]["code"] == "b12RiskMedication")
            .count();
        assert_eq!(cards, want, "{guideline:?}: {out}");
    }
}

/// EHR review item 4, interop.md B.2: a lab's "<150 pg/mL" is a bound. The
/// card says the patient is deficient (the whole interval lies below 148
/// pmol/L) and shows the bound as a bound, with its reading in words.
#[tokio::test]
async fn a_bound_from_the_lab_is_read_as_an_interval_on_the_card() {
    let mut b12 = observation("b12", "2132-9", 150.0, "pg/mL", &today_minus(20));
    b12["valueQuantity"]["comparator"] = json!("<");
    let older = observation("b12old", "14685-2", 300.0, "pmol/L", &today_minus(400));
    let path = "/cds-services/kobalt-b12";
    let (status, body) = send(
        app(false),
        "POST",
        path,
        Some(Token::valid(path).sign()),
        Some(patient_view(Some(bundle(vec![b12, older]))).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cards = body["cards"].as_array().cloned().unwrap_or_default();
    let deficient = cards
        .iter()
        .find(|c| c["source"]["topic"]["code"] == "b12Deficient")
        .unwrap_or_else(|| panic!("{body}"));
    let detail = deficient["detail"].as_str().unwrap_or_default();
    // Markdown: "&lt;" is shown as "<".
    assert!(
        detail.contains("&lt;150 pg/mL = &lt;110.67 pmol/L (low, "),
        "{detail}"
    );
    assert!(
        !detail.contains("300"),
        "the older number is not used: {detail}"
    );
}
