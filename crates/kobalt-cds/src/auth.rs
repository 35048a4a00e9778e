//! JWT bearer validation as CDS Hooks requires (interop.md A.9): an asymmetric
//! algorithm of the allowed set (ES384, RS384), `typ` JWT, a `kid` from the
//! issuer's JWK Set, `iss` on the allow list, `aud` equal to the called
//! endpoint's public URL, `exp` / `iat` / `nbf` with a small leeway, no `crit`
//! extension (none is understood), and a `jti` that is not replayed within the
//! token's lifetime.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

/// A trusted issuer and its keys.
#[derive(Clone, Debug)]
pub struct Issuer {
    pub iss: String,
    pub jwks: JwkSet,
    /// `jku` values this issuer may send (its keys still come from `jwks`).
    pub jku: Vec<String>,
    /// Where the issuer publishes its JWK Set: read again when a token
    /// names a `kid` the set lacks (key rotation), at most once per
    /// `REFRESH_INTERVAL` seconds.
    pub jwks_url: Option<String>,
}

/// The shortest time between two reads of one issuer's JWK Set.
pub const REFRESH_INTERVAL: u64 = 300;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is not acceptable: {0}")]
    Invalid(&'static str),
}

#[derive(Debug, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    #[serde(default)]
    pub tenant: Option<String>,
}

pub struct Verifier {
    issuers: RwLock<Vec<Issuer>>,
    /// iss → when its JWK Set was last read again.
    refreshed: Mutex<HashMap<String, u64>>,
    leeway: u64,
    /// jti → expiry, for the replay check.
    seen: Mutex<HashMap<String, u64>>,
}

const ALLOWED: [Algorithm; 2] = [Algorithm::ES384, Algorithm::RS384];

impl Verifier {
    pub fn new(issuers: Vec<Issuer>, leeway_seconds: u64) -> Verifier {
        Verifier {
            issuers: RwLock::new(issuers),
            refreshed: Mutex::new(HashMap::new()),
            leeway: leeway_seconds,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Checks `Authorization: Bearer <jwt>` (any case of the scheme) for a
    /// call to `audience` at time `now`.
    pub fn verify(
        &self,
        authorization: Option<&str>,
        audience: &str,
        now: u64,
    ) -> Result<Claims, AuthError> {
        // The scheme is case-insensitive (RFC 9110 11.1): `bearer` too.
        let token = authorization
            .and_then(|h| h.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        // The header decides nothing before it is checked against the allowed set.
        let header = decode_header(token).map_err(|_| AuthError::Invalid("malformed header"))?;
        if !ALLOWED.contains(&header.alg) {
            return Err(AuthError::Invalid("algorithm not allowed"));
        }
        if header.typ.as_deref() != Some("JWT") {
            return Err(AuthError::Invalid("typ must be JWT"));
        }
        // `crit` names header extensions the recipient must understand, and
        // Kobalt understands none (RFC 7515 4.1.11).
        if header.crit.is_some() {
            return Err(AuthError::Invalid("crit extension not understood"));
        }
        let kid = header.kid.as_deref().ok_or(AuthError::Invalid("no kid"))?;
        let claims = match self.verify_kid(token, &header, kid, audience) {
            Err(AuthError::Invalid("unknown key")) if self.refresh(now) => {
                self.verify_kid(token, &header, kid, audience)?
            }
            other => other?,
        };
        // `exp` was checked by the library against the system clock; check
        // against the caller's clock too, and that `iat` is not in the future.
        if claims.exp + self.leeway < now {
            return Err(AuthError::Invalid("expired"));
        }
        if claims.iat > now + self.leeway {
            return Err(AuthError::Invalid("issued in the future"));
        }
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| AuthError::Invalid("replay cache"))?;
        seen.retain(|_, exp| *exp + self.leeway >= now);
        if seen.contains_key(&claims.jti) {
            return Err(AuthError::Invalid("replayed jti"));
        }
        seen.insert(claims.jti.clone(), claims.exp);
        Ok(claims)
    }
}

impl Verifier {
    /// A kid may be used by more than one issuer: each of them is tried, and
    /// the token's `iss` must be the one whose key verified it.
    fn verify_kid(
        &self,
        token: &str,
        header: &jsonwebtoken::Header,
        kid: &str,
        audience: &str,
    ) -> Result<Claims, AuthError> {
        let issuers = self
            .issuers
            .read()
            .map_err(|_| AuthError::Invalid("key store"))?;
        let mut found = Err(AuthError::Invalid("unknown key"));
        for (issuer, jwk) in issuers
            .iter()
            .filter_map(|i| i.jwks.find(kid).map(|k| (i, k)))
        {
            found = verify_with(token, header, issuer, jwk, audience, self.leeway);
            if found.is_ok() {
                break;
            }
        }
        found
    }

    /// Reads again the JWK Set of every issuer with a `jwks_url` not read in
    /// the last `REFRESH_INTERVAL` seconds; whether any set was replaced. A
    /// set that cannot be read keeps the old one (and is logged).
    fn refresh(&self, now: u64) -> bool {
        let due: Vec<(String, String)> = {
            let Ok(mut refreshed) = self.refreshed.lock() else {
                return false;
            };
            let Ok(issuers) = self.issuers.read() else {
                return false;
            };
            issuers
                .iter()
                .filter_map(|i| Some((i.iss.clone(), i.jwks_url.clone()?)))
                .filter(|(iss, _)| {
                    let last = refreshed.get(iss).copied();
                    let due = last.is_none_or(|t| now >= t + REFRESH_INTERVAL);
                    if due {
                        refreshed.insert(iss.clone(), now);
                    }
                    due
                })
                .collect()
        };
        let mut replaced = false;
        for (iss, url) in due {
            match crate::fetch::jwks(&url) {
                Ok(set) => {
                    if let Ok(mut issuers) = self.issuers.write() {
                        issuers
                            .iter_mut()
                            .filter(|i| i.iss == iss)
                            .for_each(|i| i.jwks = set.clone());
                        replaced = true;
                    }
                }
                Err(why) => eprintln!("kobalt cds: reading the JWK Set of {iss} failed: {why}"),
            }
        }
        replaced
    }
}

/// The token's claims when `issuer`'s key `jwk` verifies it for `audience`
/// (signature, `iss`, `aud`, `exp`, `nbf`, the required claims).
fn verify_with(
    token: &str,
    header: &jsonwebtoken::Header,
    issuer: &Issuer,
    jwk: &jsonwebtoken::jwk::Jwk,
    audience: &str,
    leeway: u64,
) -> Result<Claims, AuthError> {
    if let Some(jku) = &header.jku
        && !issuer.jku.iter().any(|a| a == jku)
    {
        return Err(AuthError::Invalid("jku not on the allow list"));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| AuthError::Invalid("unusable key"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[issuer.iss.as_str()]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "jti"]);
    validation.leeway = leeway;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    decode::<Claims>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|_| AuthError::Invalid("signature or claims"))
}
