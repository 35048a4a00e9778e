//! "Voor uw huisarts / For your GP" (issue 15, part 3): the one-page summary
//! of the answers, the lab values with their limits, the advice, the date and
//! the knowledge version, as an HTML page to print and as an A4 PDF.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use kobalt_contract::{Assessment, Audience, Language};
use serde_json::{Value, json};
use tower::ServiceExt;

mod support;
use support::{KB, app};

async fn post_form(uri: &str, fields: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let r = support::post_form(uri, fields).await;
    (r.status, r.headers, r.body)
}

/// Persona a of the web review: vegan woman of 29, tingling and fatigue,
/// B12 118 pmol/L; every question counts as answered.
fn answers() -> Value {
    let answered: Vec<&str> = KB.interview.iter().map(|q| q.id.as_str()).collect();
    json!({
        "evaluation_date": "2026-11-22",
        "guideline": "nhg",
        "person": { "age_years": 29, "sex": "female" },
        "diet": "vegan",
        "symptoms": [
            { "id": "paresthesia", "present": true, "weeks": 10, "course": "gradual", "severity": "mild" },
            { "id": "fatigue", "present": true, "weeks": 16, "course": "gradual" }
        ],
        "labs": [
            { "analyte": "b12_total", "value": 118, "unit": "pmol/L" },
            { "analyte": "mcv", "value": 99, "unit": "fL" },
            { "analyte": "haemoglobin", "value": 7.9, "unit": "mmol/L" }
        ],
        "supplements": [],
        "extensions": { "kobalt_interview": { "answered": answered } }
    })
}

/// The assessment the summary must show.
fn assessed(lang: Language) -> Assessment {
    let mut request = answers();
    request["language"] = json!(lang.as_str());
    request["audience"] = json!(Audience::Patient.as_str());
    let request =
        kobalt_contract::parse_request(&request.to_string()).unwrap_or_else(|e| panic!("{e:?}"));
    let today = jiff::civil::date(2026, 12, 7);
    kobalt_engine::assess(&KB, &request, today).unwrap_or_else(|e| panic!("{e:?}"))
}

fn header_of(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name}"))
}

/// As maud writes text into HTML.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::test]
async fn the_result_page_offers_the_summary_for_the_gp() {
    let state = answers().to_string();
    let (status, _, page) =
        post_form("/result", &[("state", state.as_str()), ("lang", "nl")]).await;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("action=\"/summary\""), "{page}");
    assert!(page.contains("Samenvatting voor uw huisarts"), "{page}");
}

#[tokio::test]
async fn the_summary_page_has_title_values_with_limits_advice_date_and_version() {
    for (lang, title, date, limits) in [
        (
            Language::Nl,
            "Voor uw huisarts",
            "22 november 2026",
            "grenzen",
        ),
        (Language::En, "For your GP", "22 November 2026", "limits"),
    ] {
        let state = answers().to_string();
        let (status, headers, page) = post_form(
            "/summary",
            &[("state", state.as_str()), ("lang", lang.as_str())],
        )
        .await;
        let page = String::from_utf8_lossy(&page);
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(header_of(&headers, header::CACHE_CONTROL), "no-store");
        assert!(
            header_of(&headers, header::CONTENT_TYPE).starts_with("text/html"),
            "{headers:?}"
        );
        let a = assessed(lang);
        assert!(
            page.contains(&format!("lang=\"{}\"", lang.as_str())),
            "{page}"
        );
        assert!(page.contains(title), "{title} in {page}");
        assert!(page.contains(date), "{date} in {page}");
        assert!(page.contains(&a.knowledge.version), "version in {page}");
        assert!(
            page.contains(&escaped(&a.triage.advice)),
            "advice in {page}"
        );
        // The B12 value with its unit and the guideline's limits.
        let b12 = a
            .b12_status
            .markers
            .iter()
            .find(|m| m.analyte == "b12_total")
            .unwrap_or_else(|| panic!("no B12 marker"));
        assert!(page.contains(&escaped(&b12.name)), "{page}");
        assert!(page.contains("118 pmol/L"), "{page}");
        assert!(page.contains(&format!("{limits}: ")), "{page}");
        for band in &b12.bands {
            if let Some(from) = band.from {
                assert!(page.contains(&format!("{from}")), "limit {from} in {page}");
            }
        }
        // The answers: the age and the diet as answered.
        assert!(page.contains(" 29</li>"), "{page}");
        assert!(
            page.contains("@page") || page.contains("kobalt.css"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn the_summary_stylesheet_prints_on_a4_without_navigation() {
    let req = Request::get("/static/kobalt.css")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let res = app().oneshot(req).await.unwrap_or_else(|e| panic!("{e}"));
    let css = res
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    assert!(css.contains("size: A4"), "{css}");
    assert!(css.contains(".summary"), "{css}");
}

/// The text the PDF shows: the operands of its `Tj` operators (literal or hex
/// strings, WinAnsi-encoded, read as Latin-1), one line each. The content
/// streams are not compressed.
fn pdf_text(pdf: &[u8]) -> String {
    let mut out = String::new();
    for line in String::from_utf8_lossy(pdf).lines() {
        let Some(operand) = line.strip_suffix(" Tj") else {
            continue;
        };
        let bytes: Vec<u8> =
            if let Some(hex) = operand.strip_prefix('<').and_then(|h| h.strip_suffix('>')) {
                (0..hex.len() / 2)
                    .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                    .collect()
            } else if let Some(lit) = operand.strip_prefix('(').and_then(|l| l.strip_suffix(')')) {
                let mut bytes = Vec::new();
                let mut escaped = false;
                for b in lit.bytes() {
                    if escaped || b != b'\\' {
                        bytes.push(b);
                        escaped = false;
                    } else {
                        escaped = true;
                    }
                }
                bytes
            } else {
                continue;
            };
        out.extend(bytes.iter().map(|&b| char::from(b)));
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn the_summary_pdf_is_an_a4_pdf_that_names_the_values() {
    for (lang, title) in [
        (Language::Nl, "Voor uw huisarts"),
        (Language::En, "For your GP"),
    ] {
        let state = answers().to_string();
        let (status, headers, pdf) = post_form(
            "/summary.pdf",
            &[("state", state.as_str()), ("lang", lang.as_str())],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
        assert_eq!(header_of(&headers, header::CONTENT_TYPE), "application/pdf");
        assert!(
            header_of(&headers, header::CONTENT_DISPOSITION).starts_with("attachment;"),
            "{headers:?}"
        );
        assert_eq!(header_of(&headers, header::CACHE_CONTROL), "no-store");
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        assert!(pdf.len() > 3000, "only {} bytes", pdf.len());
        assert!(
            String::from_utf8_lossy(&pdf).contains("/MediaBox [0 0 595.28 841.89]"),
            "not A4"
        );
        let text = pdf_text(&pdf);
        assert!(text.contains(title), "no title");
        assert!(text.contains("118 pmol/L"), "no B12 value");
        let a = assessed(lang);
        assert!(text.contains(&a.knowledge.version), "no version");
        assert!(
            text.contains("22 november 2026") || text.contains("22 November 2026"),
            "no date in {text}"
        );
    }
}

#[tokio::test]
async fn an_unreadable_state_is_refused_for_both() {
    for uri in ["/summary", "/summary.pdf"] {
        let (status, _, _) = post_form(uri, &[("state", "{not json"), ("lang", "en")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
    }
}

/// Answers the engine refuses (here an age of 130, implausible) give the
/// person a page in their language that names the problem and offers a way
/// back, not a JSON error object, for the page and for the PDF.
#[tokio::test]
async fn answers_that_cannot_be_assessed_give_an_html_page() {
    let mut bad = answers();
    bad["person"]["age_years"] = json!(130);
    for uri in ["/summary", "/summary.pdf"] {
        let (status, headers, body) =
            post_form(uri, &[("state", &bad.to_string()), ("lang", "nl")]).await;
        let html = String::from_utf8_lossy(&body);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {html}");
        assert!(
            header_of(&headers, header::CONTENT_TYPE).starts_with("text/html"),
            "{uri}: {html}"
        );
        let title = KB.message("web-error-title", Language::Nl, Audience::Patient);
        assert!(html.contains(&escaped(title)), "{uri}: {html}");
        assert!(html.contains("age_years"), "the field is named: {html}");
        assert!(html.contains("value=\"back\""), "a way back: {html}");
    }
}
