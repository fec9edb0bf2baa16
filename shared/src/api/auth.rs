//! The API-key check every route runs first.
//!
//! Clients send the key either as HTTP Basic user name with an empty password (Python, and Go
//! code written by hand) or in `X-SWU-API-KEY` (Node, Ruby, PHP, Java, and C# in the versions of
//! its source we read). The functions never see a deployed key in plain
//! text: they are given the SHA-256 digests of the accepted keys and compare digests in constant
//! time.

use crate::model::error::{ApiError, ConfigError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// The environment variable holding the accepted keys' digests, comma-separated lower-case hex.
pub const API_KEY_SHA256_ENV: &str = "API_KEY_SHA256";
pub const API_KEY_HEADER: &str = "x-swu-api-key";

type KeyDigest = [u8; 32];

/// The set of accepted API keys, held as digests. Several allow rotation.
#[derive(Clone)]
pub struct ApiKeys {
    digests: Vec<KeyDigest>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeys({} accepted)", self.digests.len())
    }
}

impl ApiKeys {
    /// From `API_KEY_SHA256`, as `lookup` reads variables.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let value = lookup(API_KEY_SHA256_ENV).ok_or_else(|| {
            ConfigError::new(format!(
                "{API_KEY_SHA256_ENV} is not set: no API key would work"
            ))
        })?;
        Self::from_digests(&value)
    }

    /// Parses a comma-separated list of SHA-256 digests in hex.
    pub fn from_digests(list: &str) -> Result<Self, ConfigError> {
        let digests = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .enumerate()
            .map(|(index, entry)| {
                parse_hex_digest(entry).ok_or_else(|| {
                    ConfigError::new(format!(
                        "{API_KEY_SHA256_ENV} entry {} is not a SHA-256 digest in hex (64 hex digits)",
                        index + 1
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if digests.is_empty() {
            return Err(ConfigError::new(format!(
                "{API_KEY_SHA256_ENV} lists no digests: no API key would work"
            )));
        }
        Ok(Self { digests })
    }

    /// Accepts the request if it carries a key whose digest is listed.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if !headers.contains_key(API_KEY_HEADER)
            && !headers.contains_key(lambda_http::http::header::AUTHORIZATION)
        {
            return Err(ApiError::NoKey);
        }
        let key = presented_key(headers).ok_or(ApiError::UnknownKey)?;
        let digest: KeyDigest = Sha256::digest(key.as_bytes()).into();
        // Compare against every entry, so the time taken does not tell which one matched.
        let matched = self
            .digests
            .iter()
            .fold(Choice::from(0), |found, accepted| {
                found | accepted.ct_eq(&digest)
            });
        if bool::from(matched) {
            Ok(())
        } else {
            Err(ApiError::UnknownKey)
        }
    }
}

/// The lower-case hex SHA-256 digest of a key: what `API_KEY_SHA256` lists.
pub fn key_digest_hex(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn parse_hex_digest(hex: &str) -> Option<KeyDigest> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(digest)
}

/// The key the request presents: `X-SWU-API-KEY` if it holds one, else the user name of HTTP
/// Basic. An empty `X-SWU-API-KEY` carries no key, so it does not hide a Basic one.
fn presented_key(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(API_KEY_HEADER) {
        let key = value.to_str().ok()?.trim();
        if !key.is_empty() {
            return Some(key.to_owned());
        }
    }
    let authorization = headers
        .get(lambda_http::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, credentials) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(credentials.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    // "key:" — the key is the user name; the password is unused.
    let user = decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(user, _)| user);
    (!user.is_empty()).then(|| user.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn keys(list: &[&str]) -> ApiKeys {
        let digests: Vec<String> = list.iter().map(|key| key_digest_hex(key)).collect();
        ApiKeys::from_digests(&digests.join(",")).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn digest_matches_sha256_of_the_key() {
        // `printf %s live_abc | sha256sum`
        assert_eq!(
            key_digest_hex("live_abc"),
            "c8a2b6d3e987bc14c502c1ea4912c801727e38042d760c5d9ff79c8233360a1f"
        );
    }

    #[test]
    fn accepts_the_header_and_basic_forms() {
        let keys = keys(&["live_abc"]);
        let basic = format!("Basic {}", STANDARD.encode("live_abc:"));
        assert!(
            keys.authorize(&headers(&[("x-swu-api-key", "live_abc")]))
                .is_ok()
        );
        assert!(
            keys.authorize(&headers(&[("authorization", &basic)]))
                .is_ok()
        );
        let lower = format!("basic {}", STANDARD.encode("live_abc:"));
        assert!(
            keys.authorize(&headers(&[("authorization", &lower)]))
                .is_ok()
        );
    }

    #[test]
    fn an_empty_key_header_does_not_hide_a_basic_key() {
        let keys = keys(&["live_abc"]);
        let basic = format!("Basic {}", STANDARD.encode("live_abc:"));
        assert!(
            keys.authorize(&headers(&[
                ("x-swu-api-key", " "),
                ("authorization", &basic)
            ]))
            .is_ok()
        );
        // A key in the header is checked first: a wrong one is not rescued by Basic.
        assert_eq!(
            keys.authorize(&headers(&[
                ("x-swu-api-key", "wrong"),
                ("authorization", &basic)
            ])),
            Err(ApiError::UnknownKey)
        );
        assert_eq!(
            keys.authorize(&headers(&[("x-swu-api-key", "")])),
            Err(ApiError::UnknownKey)
        );
    }

    #[test]
    fn any_listed_key_is_accepted_for_rotation() {
        let keys = keys(&["old_key", "new_key"]);
        assert!(
            keys.authorize(&headers(&[("x-swu-api-key", "old_key")]))
                .is_ok()
        );
        assert!(
            keys.authorize(&headers(&[("x-swu-api-key", "new_key")]))
                .is_ok()
        );
        assert_eq!(
            keys.authorize(&headers(&[("x-swu-api-key", "other")])),
            Err(ApiError::UnknownKey)
        );
    }

    #[test]
    fn rejects_missing_malformed_and_unknown_keys() {
        let keys = keys(&["live_abc"]);
        let wrong_basic = format!("Basic {}", STANDARD.encode("live_xyz:"));
        let empty_user = format!("Basic {}", STANDARD.encode(":live_abc"));
        assert_eq!(keys.authorize(&headers(&[])), Err(ApiError::NoKey));
        for request in [
            headers(&[("x-swu-api-key", "")]),
            headers(&[("x-swu-api-key", "live_abd")]),
            headers(&[("authorization", "Basic !!!not-base64")]),
            headers(&[("authorization", "Bearer live_abc")]),
            headers(&[("authorization", &wrong_basic)]),
            headers(&[("authorization", &empty_user)]),
        ] {
            assert_eq!(
                keys.authorize(&request),
                Err(ApiError::UnknownKey),
                "{request:?}"
            );
        }
    }

    #[test]
    fn bad_digest_lists_are_configuration_errors() {
        assert!(ApiKeys::from_digests("").is_err());
        assert!(ApiKeys::from_digests(" , ").is_err());
        assert!(ApiKeys::from_digests("live_abc").is_err());
        assert!(ApiKeys::from_digests(&"g".repeat(64)).is_err());
        let upper = key_digest_hex("k").to_uppercase();
        assert!(ApiKeys::from_digests(&upper).is_ok());
    }
}
