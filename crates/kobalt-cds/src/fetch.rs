//! Prefetch that the client did not send, fetched from its FHIR server
//! (CDS Hooks 3.0: `fhirServer` with the `fhirAuthorization` access token;
//! interop.md A.6: "Key absent; fhirServer and fhirAuthorization given;
//! server fetch enabled: run the same query against fhirServer").
//!
//! Only servers on the operator's allow list are called (`fhir_servers` in
//! the CDS settings): the base URL comes from the request, and an open
//! fetcher would let any caller make Kobalt reach into its own network.
//! Next-page links are followed only on the same server, for a bounded
//! number of pages and bytes.

use std::time::Duration;

use serde_json::{Value, json};

/// At most this many pages of one search are read.
const MAX_PAGES: usize = 20;
/// At most this many bytes of one page are read.
const MAX_PAGE_BYTES: u64 = 16 * 1024 * 1024;
/// One request to the FHIR server may take this long.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to read the patient's record.
#[derive(Clone, Debug)]
pub struct FhirAccess {
    base: String,
    token: String,
}

impl FhirAccess {
    /// The access a hook request gives, when its `fhirServer` is on the
    /// allow list (`allowed`: URL prefixes) and it carries a bearer token.
    pub fn from_request(body: &Value, allowed: &[String]) -> Result<FhirAccess, String> {
        let base = body["fhirServer"]
            .as_str()
            .ok_or("the request gives no fhirServer")?
            .trim_end_matches('/');
        let on_list = |a: &String| {
            let a = a.trim_end_matches('/');
            base == a || base.strip_prefix(a).is_some_and(|r| r.starts_with('/'))
        };
        if !allowed.iter().any(on_list) {
            return Err(format!(
                "fhirServer {base} is not on this server's list of FHIR servers"
            ));
        }
        let auth = &body["fhirAuthorization"];
        if !auth["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
        {
            return Err("fhirAuthorization gives no Bearer token".into());
        }
        let token = auth["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or("fhirAuthorization gives no access_token")?;
        Ok(FhirAccess {
            base: base.to_owned(),
            token: token.to_owned(),
        })
    }

    /// The result of `query` (a prefetch template already filled): a
    /// resource, or a searchset Bundle with the entries of every page.
    pub fn get(&self, query: &str) -> Result<Value, String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .build()
            .into();
        let mut url = format!("{}/{}", self.base, query.trim_start_matches('/'));
        let mut entries = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.page(&agent, &url)?;
            if page["resourceType"] != "Bundle" {
                return Ok(page);
            }
            entries.extend(page["entry"].as_array().into_iter().flatten().cloned());
            let next = page["link"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["relation"] == "next")
                .and_then(|l| l["url"].as_str());
            match next {
                None => {
                    return Ok(
                        json!({ "resourceType": "Bundle", "type": "searchset", "entry": entries }),
                    );
                }
                Some(n) if n.starts_with(&self.base) => url = n.to_owned(),
                Some(n) => return Err(format!("a next-page link leaves the FHIR server: {n}")),
            }
        }
        Err(format!("more than {MAX_PAGES} pages for {query}"))
    }

    fn page(&self, agent: &ureq::Agent, url: &str) -> Result<Value, String> {
        let mut response = agent
            .get(url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Accept", "application/fhir+json")
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_PAGE_BYTES)
            .read_to_string()
            .map_err(|e| format!("{url}: {e}"))?;
        let value: Value =
            serde_json::from_str(&text).map_err(|e| format!("{url}: not JSON: {e}"))?;
        if value["resourceType"] == "OperationOutcome" {
            return Err(format!("{url}: the server answered an OperationOutcome"));
        }
        Ok(value)
    }
}

/// An issuer's JWK Set from `url` (at most 1 MB, within the timeout).
pub fn jwks(url: &str) -> Result<jsonwebtoken::jwk::JwkSet, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .build()
        .into();
    let text = agent
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| format!("{url}: {e}"))?
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|e| format!("{url}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{url}: not a JWK Set: {e}"))
}

/// A prefetch template with its tokens filled: `{{context.patientId}}` and
/// `{{today() - N days}}` (the only ones Kobalt's templates use).
pub fn fill_template(
    template: &str,
    patient_id: &str,
    today: jiff::civil::Date,
) -> Result<String, String> {
    // A FHIR id: [A-Za-z0-9\-\.]{1,64}; anything else could change the query.
    let id_ok = !patient_id.is_empty()
        && patient_id.len() <= 64
        && patient_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !id_ok {
        return Err(format!("context.patientId '{patient_id}' is not a FHIR id"));
    }
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| format!("an unclosed token in {template}"))?;
        let token = rest[start + 2..start + end].trim();
        out.push_str(&fill_token(token, patient_id, today)?);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn fill_token(token: &str, patient_id: &str, today: jiff::civil::Date) -> Result<String, String> {
    if token == "context.patientId" {
        return Ok(patient_id.to_owned());
    }
    let days = token
        .strip_prefix("today()")
        .map(str::trim)
        .and_then(|t| t.strip_prefix('-'))
        .and_then(|t| t.trim().strip_suffix("days"))
        .and_then(|n| n.trim().parse::<i64>().ok())
        .ok_or_else(|| format!("the token {{{{{token}}}}} is not one Kobalt fills"))?;
    today
        .checked_sub(jiff::Span::new().days(days))
        .map(|d| d.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_filled_and_odd_ids_refused() {
        let today: jiff::civil::Date = "2026-12-07".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            fill_template(
                "Observation?patient={{context.patientId}}&date=ge{{today() - 730 days}}",
                "p-1.a",
                today
            ),
            Ok("Observation?patient=p-1.a&date=ge2024-12-07".into())
        );
        assert!(fill_template("Patient/{{context.patientId}}", "x&_include=*", today).is_err());
        assert!(fill_template("Patient/{{userPractitionerId}}", "p1", today).is_err());
        assert!(fill_template("Patient/{{context.patientId", "p1", today).is_err());
    }

    #[test]
    fn only_servers_on_the_list_with_a_bearer_token() {
        let allowed = vec!["https://ehr.example/r4".to_owned()];
        let body = |server: &str, token_type: &str| json!({ "fhirServer": server, "fhirAuthorization": { "access_token": "t", "token_type": token_type } });
        assert!(
            FhirAccess::from_request(&body("https://ehr.example/r4/", "Bearer"), &allowed).is_ok()
        );
        assert!(
            FhirAccess::from_request(&body("http://169.254.169.254/", "Bearer"), &allowed).is_err()
        );
        assert!(
            FhirAccess::from_request(&body("https://ehr.example/r4evil", "Bearer"), &allowed)
                .is_err()
        );
        assert!(
            FhirAccess::from_request(&body("https://ehr.example/r4", "MAC"), &allowed).is_err()
        );
        assert!(FhirAccess::from_request(&json!({}), &allowed).is_err());
    }
}
