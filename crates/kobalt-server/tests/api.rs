//! The JSON API and the no-JavaScript questionnaire against the real router.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

mod support;
use support::{Reply, hidden, send};

async fn get(uri: &str) -> Reply {
    send(
        Request::get(uri)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await
}

async fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Reply {
    send(
        Request::post(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await
}

/// The repository's own requests: the tests need nothing outside the clone.
const GREY_ZONE_CASE: &str = include_str!("../../../tests/cases/nhg-b12-148.json");
const VEGAN_TINGLING: &str = include_str!("../../../examples/vegan-tingling.json");

fn grey_zone_request() -> Value {
    serde_json::from_str::<Value>(GREY_ZONE_CASE).unwrap_or_else(|e| panic!("{e}"))["request"]
        .clone()
}

/// The contract's error object of a reply: (code, message, path).
fn error_object(r: &Reply) -> (String, String, String) {
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes()),
        Some(&b"application/json"[..]),
        "{:?}",
        r.headers
    );
    let e = &r.json()["error"];
    let text = |k: &str| {
        e[k].as_str()
            .unwrap_or_else(|| panic!("no {k} in {e}"))
            .to_owned()
    };
    (text("code"), text("message"), text("path"))
}

#[tokio::test]
async fn healthz_and_security_headers() {
    let r = get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let csp = r.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn assess_returns_the_contract() {
    let r = post(
        "/api/v1/assess",
        "application/json",
        grey_zone_request().to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let a = r.json();
    assert_eq!(a["schema"], "kobalt.assessment/v1");
    assert_eq!(a["b12_status"]["category"], "indeterminate");
    assert!(a.get("projection").is_none());
}

#[tokio::test]
async fn assess_with_projection_on_request() {
    let r = post(
        "/api/v1/assess?projection=true&draws=10",
        "application/json",
        VEGAN_TINGLING,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["projection"]["model_estimate"], true);
}

#[tokio::test]
async fn contract_errors_are_400_or_422_with_the_error_object() {
    let r = post("/api/v1/assess", "application/json", "{\"person\":").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["code"], "invalid_json");
    let r = post(
        "/api/v1/assess",
        "application/json",
        json!({"person": {"age_years": 40}, "symptomz": []}).to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["path"], "/symptomz");
    let r = post(
        "/api/v1/assess",
        "application/json",
        json!({"person": {"age_years": 40}, "labs": [{"analyte": "b12_total", "value": 300, "unit": "mmol/dag"}]}).to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["code"], "invalid_unit");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let big = format!(
        "{{\"person\":{{\"age_years\":40}},\"extensions\":{{\"x\":\"{}\"}}}}",
        "a".repeat(70_000)
    );
    let r = post("/api/v1/assess", "application/json", big.clone()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let (code, message, path) = error_object(&r);
    assert_eq!((code.as_str(), path.as_str()), ("invalid_value", ""));
    assert!(message.contains("larger than 64 KB"), "{message}");
    // The same with a declared length, refused before the body is read.
    let r = send(
        Request::post("/api/v1/interview")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, big.len())
            .body(Body::from(big))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_object(&r).1.contains("larger than 64 KB"));
}

#[tokio::test]
async fn encoded_bodies_are_415_naming_the_encoding() {
    for uri in ["/api/v1/assess", "/api/v1/interview"] {
        let r = send(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_ENCODING, "gzip")
                .body(Body::from(vec![0x1f, 0x8b, 0x08, 0x00]))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{uri}");
        let (code, message, _) = error_object(&r);
        assert_eq!(code, "invalid_value");
        assert!(message.contains("Content-Encoding 'gzip'"), "{message}");
        assert_eq!(r.headers[header::ACCEPT_ENCODING], "identity");
    }
    let r = send(
        Request::post("/api/v1/assess")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_ENCODING, "identity")
            .body(Body::from(grey_zone_request().to_string()))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_400_naming_the_byte() {
    for uri in ["/api/v1/assess", "/api/v1/interview"] {
        let mut body = br#"{"person": {"sex": ""#.to_vec();
        body.extend_from_slice(&[0xff, 0xfe]);
        body.extend_from_slice(br#""}}"#);
        let r = post(uri, "application/json", body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        let (code, message, path) = error_object(&r);
        assert_eq!((code.as_str(), path.as_str()), ("invalid_json", ""));
        assert!(
            message.contains("not UTF-8") && message.contains("byte 21"),
            "{uri}: {message}"
        );
    }
}

/// A byte-order mark (Notepad, PowerShell 5) is skipped on the JSON API.
#[tokio::test]
async fn a_utf8_byte_order_mark_is_skipped() {
    let request = format!("\u{feff}{}", grey_zone_request());
    let r = post("/api/v1/assess", "application/json", request.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post("/api/v1/interview", "application/json", request).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// Responses with health data are not kept by browsers or proxies.
#[tokio::test]
async fn health_data_is_not_cached() {
    let request = grey_zone_request().to_string();
    let form: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("state", request.as_str()), ("lang", "en")])
        .finish();
    for r in [
        post("/api/v1/assess", "application/json", request.clone()).await,
        post("/api/v1/interview", "application/json", "{}").await,
        post(
            "/interview",
            "application/x-www-form-urlencoded",
            "action=start&lang=en&state=%7B%7D",
        )
        .await,
        post("/result", "application/x-www-form-urlencoded", form.clone()).await,
        post(
            "/result.json",
            "application/x-www-form-urlencoded",
            form.clone(),
        )
        .await,
    ] {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            r.headers.get(header::CACHE_CONTROL).map(|v| v.as_bytes()),
            Some(&b"no-store"[..]),
            "{:?}",
            r.headers
        );
    }
    let css = get("/static/kobalt.css").await;
    assert_eq!(css.headers[header::CACHE_CONTROL], "public, max-age=3600");
}

#[tokio::test]
async fn knowledge_endpoints() {
    let r = get("/api/v1/knowledge").await;
    assert_eq!(r.status, StatusCode::OK);
    let k = r.json();
    assert_eq!(k["sha256"].as_str().map(str::len), Some(64));
    assert!(
        k["sources"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["id"] == "NG239"))
    );
    let r = get("/api/v1/knowledge/metformin").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("MHRA-2022"));
    let r = get("/api/v1/knowledge/no_such_thing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "unknown_identifier");
}

#[tokio::test]
async fn openapi_document_has_the_schemas() {
    let r = get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for schema in [
        "Request",
        "Assessment",
        "ErrorDocument",
        "Symptom",
        "Lifelong",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
    for path in [
        "/api/v1/assess",
        "/api/v1/interview",
        "/api/v1/knowledge",
        "/api/v1/knowledge/{id}",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}

/// The interview over the API, answering every question with the first
/// option (or a plausible number), ends in "done" with a valid request.
#[tokio::test]
async fn interview_api_walks_to_done() {
    let mut partial = json!({ "language": "en" });
    for _ in 0..30 {
        let r = post("/api/v1/interview", "application/json", partial.to_string()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let step = r.json();
        if step["done"] == true {
            let r = post("/api/v1/assess", "application/json", partial.to_string()).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            return;
        }
        let q = &step["next"];
        let field = q["field"].as_str().unwrap_or_default().to_owned();
        let first = q["options"][0]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match q["kind"].as_str().unwrap_or_default() {
            "number" => set(&mut partial, &field, json!(45)),
            "choice" => set(&mut partial, &field, json!(first)),
            "yes_no" => set(&mut partial, &field, json!(false)),
            "list" => set(&mut partial, &field, json!([])),
            "exposure" => set(&mut partial, &field, json!([])),
            "symptoms" => {
                let mut list = partial["symptoms"].as_array().cloned().unwrap_or_default();
                for o in q["options"].as_array().into_iter().flatten() {
                    list.push(json!({ "id": o["value"], "present": false }));
                }
                partial["symptoms"] = Value::Array(list);
            }
            _ => {}
        }
        let id = q["id"].clone();
        let answered = partial
            .pointer_mut("/extensions/kobalt_interview/answered")
            .and_then(Value::as_array_mut);
        match answered {
            Some(list) => list.push(id),
            None => partial["extensions"] = json!({ "kobalt_interview": { "answered": [id] } }),
        }
    }
    panic!("the interview did not end: {partial}");
}

#[tokio::test]
async fn interview_rejects_a_non_object() {
    let r = post("/api/v1/interview", "application/json", "[1,2]").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

fn set(root: &mut Value, pointer: &str, value: Value) {
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let mut node = root;
    for p in &parts[..parts.len() - 1] {
        node = &mut node[*p];
    }
    node[parts[parts.len() - 1]] = value;
}

/// The questionnaire without JavaScript: form posts only, from the start page
/// to the result, with a red flag page on the way.
#[tokio::test]
async fn questionnaire_form_posts_reach_a_result() {
    let start = get("/?lang=en").await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.text().contains("<html lang=\"en\""));
    assert!(start.body.len() < 50 * 1024);

    let mut page = post(
        "/interview",
        "application/x-www-form-urlencoded",
        "action=start&lang=en&guideline=nhg&state=%7B%7D",
    )
    .await;
    let mut seen_seek_help = false;
    for _ in 0..30 {
        let html = page.text();
        assert_eq!(page.status, StatusCode::OK, "{html}");
        if html.contains("What Kobalt found") {
            assert!(html.contains("How urgent"));
            assert!(seen_seek_help, "the red flag page was shown");
            return;
        }
        let state = hidden(&html, "state");
        let mut fields = vec![
            ("state".to_owned(), state),
            ("lang".to_owned(), "en".to_owned()),
        ];
        // The summary of the answers comes before the result (review D27).
        if html.contains("id=\"answers-h\"") {
            let body: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields.iter())
                .finish();
            page = post("/result", "application/x-www-form-urlencoded", body).await;
            continue;
        }
        if html.contains("Seek help now") {
            seen_seek_help = true;
            fields.push(("action".into(), "continue".into()));
        } else {
            let q = hidden(&html, "q");
            fields.push(("q".into(), q.clone()));
            fields.push(("action".into(), "next".into()));
            match q.as_str() {
                "age" => fields.push(("value".into(), "70".into())),
                "sex" => fields.push(("value".into(), "female".into())),
                "red_flags" => fields.push(("item".into(), "gait_disturbance".into())),
                "diet" => fields.push(("value".into(), "vegan".into())),
                "pregnant" => fields.push(("value".into(), "no".into())),
                "nitrous_oxide" => fields.push(("value".into(), "none".into())),
                "symptoms" => {
                    fields.push(("item".into(), "fatigue".into()));
                    fields.push(("item".into(), "paresthesia".into()));
                }
                "symptom_course" => fields.push(("value".into(), "gradual".into())),
                "labs" => {
                    fields.push(("lab-b12_total".into(), "190".into()));
                    fields.push(("unit-b12_total".into(), "pg/mL".into()));
                }
                _ => {}
            }
        }
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter())
            .finish();
        page = post("/interview", "application/x-www-form-urlencoded", body).await;
    }
    panic!("no result page reached");
}

#[tokio::test]
async fn unknown_pages_are_404_in_both_languages() {
    let r = get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let html = r.text();
    assert!(html.contains("Deze pagina bestaat niet") && html.contains("This page does not exist"));
}
