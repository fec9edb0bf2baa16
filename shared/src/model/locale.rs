//! A customer's locale: a valid BCP 47 language tag (well formed, and every subtag registered in
//! the IANA Language Subtag Registry that `language-tags` carries), in canonical case. A locale is
//! a language, and perhaps a script, a region and variants: private-use (`x-…`) and extension
//! (`u-…`, `a-…`) subtags are refused, since nothing registers what they mean.

use crate::model::error::ApiError;
use language_tags::LanguageTag;
use std::fmt;

/// Longer than any tag a mail template is chosen by; keeps stored values bounded.
pub const MAX_LOCALE_CHARS: usize = 64;

/// What a new customer gets when none is given.
pub const DEFAULT_LOCALE: &str = "en-US";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

impl Locale {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let raw = raw.trim();
        if raw.chars().count() > MAX_LOCALE_CHARS {
            return Err(ApiError::bad_request(
                "locale",
                format!("locale is longer than {MAX_LOCALE_CHARS} characters."),
            ));
        }
        // `parse` accepts exactly the well-formed tags of RFC 5646 and returns them in the
        // canonical case ("en-us" becomes "en-US", "ZH-HANT-TW" becomes "zh-Hant-TW");
        // `validate` then looks every subtag up in the registry ("english", "xx-ZZ" are not).
        LanguageTag::parse(raw)
            .ok()
            .filter(LanguageTag::is_valid)
            .filter(|tag| tag.private_use().is_none() && tag.extension().is_none())
            .map(|tag| Self(tag.into_string()))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "locale",
                    "locale is not a valid BCP 47 language tag, such as en-US.",
                )
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
            ("sr-latn-rs", "sr-Latn-RS"),
            ("es-419", "es-419"),
            ("de-CH-1996", "de-CH-1996"),
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
    fn rejects_well_formed_tags_that_name_nothing_registered() {
        for bad in [
            "english",
            "xx-ZZ",
            "en-UK",
            "xx",
            "en-Abcd",
            "en-US-foobar",
            "de-1996-1996",
        ] {
            assert!(Locale::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn refuses_private_use_and_extension_subtags() {
        for bad in [
            "x-private",
            "en-x-anything",
            "en-a-bbb",
            "de-DE-u-co-phonebk",
            "en-US-x-twain",
        ] {
            assert!(Locale::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_length_limit_counts_characters() {
        // 64 characters of which some take two bytes: over 64 bytes, but the reason must say
        // the tag is not valid, not that it is too long.
        let tag = format!("en-{}", "é".repeat(61));
        assert!(tag.len() > MAX_LOCALE_CHARS && tag.chars().count() == MAX_LOCALE_CHARS);
        let reason = Locale::parse(&tag).unwrap_err().to_string();
        assert!(reason.contains("BCP 47"), "{reason}");
        let long = format!("en-{}", "a".repeat(62));
        assert!(
            Locale::parse(&long)
                .unwrap_err()
                .to_string()
                .contains("longer")
        );
    }

    #[test]
    fn default_is_a_valid_tag() {
        assert_eq!(
            Locale::parse(DEFAULT_LOCALE).unwrap(),
            Locale::default_locale()
        );
    }
}
