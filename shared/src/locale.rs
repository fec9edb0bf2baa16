//! A customer's locale: a well-formed BCP 47 language tag in canonical case.

use crate::ApiError;
use language_tags::LanguageTag;
use std::fmt;

/// Longer than any tag a mail template is chosen by; keeps stored values bounded.
pub const MAX_LOCALE_BYTES: usize = 64;

/// What a new customer gets when none is given.
pub const DEFAULT_LOCALE: &str = "en-US";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

impl Locale {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let raw = raw.trim();
        if raw.len() > MAX_LOCALE_BYTES {
            return Err(ApiError::bad_request(format!(
                "locale is longer than {MAX_LOCALE_BYTES} characters."
            )));
        }
        // `parse` accepts exactly the well-formed tags of RFC 5646 and returns them in the
        // canonical case ("en-us" becomes "en-US", "ZH-HANT-TW" becomes "zh-Hant-TW").
        LanguageTag::parse(raw)
            .map(|tag| Self(tag.into_string()))
            .map_err(|_| {
                ApiError::bad_request("locale is not a valid BCP 47 language tag, such as en-US.")
            })
    }

    pub fn default_locale() -> Self {
        Self(DEFAULT_LOCALE.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_case() {
        for (given, stored) in [
            ("en-US", "en-US"),
            ("en-us", "en-US"),
            ("DE-de", "de-DE"),
            ("fr", "fr"),
            ("zh-hant-tw", "zh-Hant-TW"),
        ] {
            assert_eq!(Locale::parse(given).unwrap().as_str(), stored);
        }
    }

    #[test]
    fn rejects_malformed_tags() {
        for bad in [
            "",
            "en_US",
            "toolonglanguage",
            "en-",
            "-en",
            "e",
            "en-US-",
            "12",
            "en US",
        ] {
            assert!(Locale::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn default_is_a_valid_tag() {
        assert_eq!(
            Locale::parse(DEFAULT_LOCALE).unwrap(),
            Locale::default_locale()
        );
    }
}
