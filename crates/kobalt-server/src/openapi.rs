//! The OpenAPI 3.1 document of the JSON API. The schemas are generated from
//! the contract types (schemars), so the document cannot drift from the code.

use kobalt_contract::{Assessment, ErrorDocument, Request};
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// The document, with the identifiers the knowledge base accepts as enums.
pub(crate) fn document(kb: &kobalt_kb::Knowledge) -> Value {
    let mut doc = contract_document();
    let schemas = &mut doc["components"]["schemas"];
    for (schema, vocab) in [
        ("Symptom", &kb.symptoms),
        ("Condition", &kb.conditions),
        ("Medication", &kb.medications),
        ("Procedure", &kb.procedures),
        ("Exposure", &kb.exposures),
        ("Supplement", &kb.supplements),
    ] {
        if let Some(id) = schemas.pointer_mut(&format!("/{schema}/properties/id")) {
            id["enum"] = json!(vocab.ids);
        }
    }
    if let Some(analyte) = schemas.pointer_mut("/Lab/properties/analyte") {
        let mut ids: Vec<Value> = kb.analytes.iter().map(|a| json!(a.id)).collect();
        ids.push(Value::Null);
        analyte["enum"] = Value::Array(ids);
    }
    doc
}

fn contract_document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let request = generator.subschema_for::<Request>();
    let assessment = generator.subschema_for::<Assessment>();
    let error = generator.subschema_for::<ErrorDocument>();
    let schemas = generator.take_definitions(true);
    let json_body = |schema: &schemars::Schema| json!({ "application/json": { "schema": schema } });
    let body_responses = json!({
        "413": { "description": "Body larger than 64 KB (code invalid_value)", "content": json_body(&error) },
        "415": { "description": "A Content-Encoding other than identity; the message names it", "content": json_body(&error) },
    });
    let mut error_responses = json!({
        "400": { "description": "Malformed JSON or a body that is not UTF-8 (code invalid_json; a leading byte-order mark is skipped), or an invalid query parameter", "content": json_body(&error) },
        "422": { "description": "The request breaks the contract: code, message and JSON pointer", "content": json_body(&error) },
        "500": { "description": "The assessment could not be completed (a fault of the server)" },
    });
    merge(&mut error_responses, &body_responses);
    let lang = json!({ "name": "lang", "in": "query", "required": false,
        "schema": { "type": "string", "enum": ["nl", "en"] } });
    let mut assess_responses = json!({
        "200": { "description": "The assessment (kobalt.assessment/v1)", "content": json_body(&assessment) },
        "503": { "description": "Every projection slot stayed busy for 5 s (only with projection=true): a plain-text sentence and a Retry-After header; try again shortly (not an input error, so no error object)",
            "content": { "text/plain": { "schema": { "type": "string" } } } },
    });
    merge(&mut assess_responses, &error_responses);
    let mut interview_responses = json!({
        "200": { "description": "The next question (or done), progress and whether to seek help now",
            "content": { "application/json": { "schema": interview_schema() } } },
        "400": { "description": "The body is not a JSON object or not UTF-8, or a query parameter is invalid", "content": json_body(&error) },
    });
    merge(&mut interview_responses, &body_responses);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kobalt API",
            "version": "1",
            "description": "Decision support for vitamin B12 deficiency (NHG and NICE NG239). Kobalt does not diagnose; every conclusion names its rule and sources.",
        },
        "paths": {
            "/api/v1/assess": { "post": {
                "summary": "Assess a request (kobalt.request/v1)",
                "operationId": "assess",
                "parameters": [
                    { "name": "projection", "in": "query", "required": false, "schema": { "type": "boolean" },
                      "description": "Add a projection of B12 stores by the kinetics model (milliseconds)." },
                    { "name": "draws", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0, "maximum": 2000 } },
                ],
                "requestBody": { "required": true, "content": json_body(&request) },
                "responses": assess_responses,
            } },
            "/api/v1/interview": { "post": {
                "summary": "The next most useful question for the answers so far, or done",
                "description": "The body is a partial request; the ids of answered questions are kept at /extensions/kobalt_interview/answered.",
                "operationId": "interview",
                "parameters": [lang, { "name": "audience", "in": "query", "required": false,
                    "schema": { "type": "string", "enum": ["patient", "clinician"] } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
                "responses": interview_responses,
            } },
            "/api/v1/knowledge": { "get": {
                "summary": "Knowledge base version, hash, sources and identifiers",
                "operationId": "knowledge",
                "responses": { "200": { "description": "The knowledge base",
                    "content": { "application/json": { "schema": { "type": "object",
                        "required": ["name", "version", "sha256", "sources", "identifiers"] } } } } },
            } },
            "/api/v1/knowledge/{id}": { "get": {
                "summary": "What the knowledge base holds about an identifier, with sources",
                "operationId": "knowledgeId",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                    lang,
                ],
                "responses": {
                    "200": { "description": "Entries under this identifier",
                        "content": { "application/json": { "schema": { "type": "object", "required": ["id", "entries"] } } } },
                    "400": { "description": "An invalid query parameter", "content": json_body(&error) },
                    "404": { "description": "Unknown identifier", "content": json_body(&error) },
                },
            } },
            "/healthz": { "get": {
                "summary": "Liveness, with the knowledge version",
                "operationId": "healthz",
                "responses": { "200": { "description": "Up",
                    "content": { "application/json": { "schema": { "type": "object", "required": ["status"] } } } } },
            } },
        },
        "components": { "schemas": schemas },
    })
}

fn interview_schema() -> Value {
    json!({
        "type": "object",
        "required": ["next", "done", "progress"],
        "properties": {
            "next": { "oneOf": [{ "type": "null" }, { "type": "object",
                "required": ["id", "kind", "field", "text", "why", "options", "red_flag", "sources"] }] },
            "done": { "type": "boolean" },
            "progress": { "type": "object", "required": ["answered", "total"],
                "properties": { "answered": { "type": "integer" }, "total": { "type": "integer" } } },
            "seek_help": { "oneOf": [{ "type": "null" }, { "type": "string" }] },
            "answered_pointer": { "type": "string" },
        },
    })
}

fn merge(into: &mut Value, from: &Value) {
    if let (Some(a), Some(b)) = (into.as_object_mut(), from.as_object()) {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
}
