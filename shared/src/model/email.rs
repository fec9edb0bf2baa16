//! A customer's email address: the key of everything we store, so one person must have one key.
//!
//! The rules, in order:
//! 1. Trimmed, then normalised to Unicode NFC and lower-cased (RFC 6532 asks for NFC; addresses
//!    are case-insensitive keys here), so `josé` typed with a combining accent and `josé` typed
//!    precomposed are one customer.
//! 2. No control, format, separator, private-use or unassigned character anywhere (Unicode
//!    categories C* and Z*), and no U+FFFD (what a broken encoding decodes to): a zero-width
//!    space, a bidi override or a C1 control would make a lookalike of another address.
//! 3. The domain is a host name: at least two labels, each letters, digits and hyphens, or an
//!    internationalised label that UTS 46 (the `idna` crate, with the STD3 rules and DNS lengths)
//!    accepts; the last label is not all digits, so no IP address. It is kept in its Unicode form
//!    (`xn--bcher-kva.de` and `bücher.de` are one domain, stored as `bücher.de`).
//! 4. A quoted local part names the same mailbox as the unquoted one: `"matt"@example.com` is
//!    `matt@example.com`. It is kept unquoted when that form is valid, and refused otherwise
//!    (`"a b"@example.com`): one mailbox, one key.
//! 5. The whole is a bare `local@domain` address (`email_address`, no display names, no
//!    `[literal]` domains) of at most 254 bytes.

use crate::model::error::ApiError;
use email_address::{EmailAddress, Options};
use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use std::fmt;

/// RFC 5321's limit on a forward path, less the angle brackets.
pub const MAX_EMAIL_BYTES: usize = 254;

/// A valid address in its one canonical form (see the module's rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

fn invalid() -> ApiError {
    ApiError::bad_request("email", "email is not a valid email address.")
}

/// Characters that never belong in an address: every C* and Z* category, and U+FFFD.
fn is_invisible_or_control(c: char) -> bool {
    let forbidden = GeneralCategoryGroup::Other.union(GeneralCategoryGroup::Separator);
    c == char::REPLACEMENT_CHARACTER
        || forbidden.contains(CodePointMapData::<GeneralCategory>::new().get(c))
}

/// NFC, lower-cased, NFC again (lower-casing can leave a sequence that composes further).
fn canonical(text: &str) -> String {
    let nfc = ComposingNormalizerBorrowed::new_nfc();
    nfc.normalize(&nfc.normalize(text).to_lowercase())
        .into_owned()
}

/// The domain's ASCII and Unicode forms if it is a host name, `None` otherwise.
fn host_name(domain: &str) -> Option<(String, String)> {
    let uts46 = Uts46::new();
    let ascii = uts46
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .ok()?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let last = labels.last()?;
    if labels.len() < 2 || last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (unicode, result) = uts46.to_unicode(
        ascii.as_bytes(),
        AsciiDenyList::STD3,
        Hyphens::CheckFirstLast,
    );
    result.ok()?;
    let unicode = unicode.into_owned();
    Some((ascii.into_owned(), unicode))
}

/// A local part without its quotes: `"matt"` and `matt` name one mailbox (RFC 5322 §3.2.4: the
/// quotes are not part of the name), so a quoted local part is kept in its unquoted form when
/// that form is a valid one (no quote, backslash, space or other character that needs quoting is
/// left); otherwise the address is refused. An unquoted local part is kept as it is.
fn unquoted(local: &str) -> Option<&str> {
    let Some(inner) = local.strip_prefix('"') else {
        return (!local.contains('"')).then_some(local);
    };
    let inner = inner.strip_suffix('"')?;
    let needs_quotes = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\\' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '@' | '[' | ']'
            )
    };
    let dot_atom = !inner.is_empty()
        && !inner.starts_with('.')
        && !inner.ends_with('.')
        && !inner.contains("..")
        && !inner.chars().any(needs_quotes);
    dot_atom.then_some(inner)
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let normalized = canonical(raw.trim());
        if normalized.is_empty() {
            return Err(ApiError::bad_request("email", "email is required."));
        }
        if normalized.len() > MAX_EMAIL_BYTES {
            return Err(ApiError::bad_request(
                "email",
                format!("email is longer than {MAX_EMAIL_BYTES} bytes."),
            ));
        }
        if normalized.chars().any(is_invisible_or_control) {
            return Err(invalid());
        }
        let (local, domain) = normalized.rsplit_once('@').ok_or_else(invalid)?;
        let local = unquoted(local).ok_or_else(invalid)?;
        let (ascii_domain, unicode_domain) = host_name(domain).ok_or_else(invalid)?;
        // A bare address with a dotted domain: no "Name <a@b>" display forms, no IP literals.
        let options = Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            ..Options::default()
        };
        EmailAddress::parse_with_options(&format!("{local}@{ascii_domain}"), options)
            .map_err(|_| invalid())?;
        let key = format!("{local}@{unicode_domain}");
        if key.len() > MAX_EMAIL_BYTES {
            return Err(ApiError::bad_request(
                "email",
                format!("email is longer than {MAX_EMAIL_BYTES} bytes."),
            ));
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> String {
        Email::parse(raw)
            .unwrap_or_else(|e| panic!("{raw:?}: {e}"))
            .as_str()
            .to_owned()
    }

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(key("  Matt@SendWithUs.com "), "matt@sendwithus.com");
    }

    #[test]
    fn keeps_plus_addressing() {
        assert_eq!(key("a+tag@example.com"), "a+tag@example.com");
    }

    #[test]
    fn one_spelling_per_address() {
        // e + COMBINING ACUTE ACCENT, and the precomposed é.
        assert_eq!(key("jose\u{301}@example.com"), "jos\u{e9}@example.com");
        assert_eq!(key("JOS\u{c9}@example.com"), "jos\u{e9}@example.com");
        // The ASCII (punycode) and Unicode spellings of one domain, and a full-width one.
        assert_eq!(key("a@xn--bcher-kva.de"), "a@b\u{fc}cher.de");
        assert_eq!(key("a@B\u{dc}CHER.de"), "a@b\u{fc}cher.de");
        assert_eq!(key("a@\u{ff45}xample.com"), "a@example.com");
    }

    #[test]
    fn valid_internationalised_addresses_keep_working() {
        for address in [
            "用户@例子.广告",
            "аджай@экспорт.рф",
            "δοκιμή@παράδειγμα.δοκιμή",
            "o'brien@example.co.uk",
            "a.b-c_d@sub-domain.example.com",
        ] {
            assert_eq!(key(address), address);
        }
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "invalid_email_address",
            "a@",
            "@example.com",
            "a@localhost",
            "Matt <matt@example.com>",
            "a@[127.0.0.1]",
            "a b@example.com",
            "a@@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn rejects_lookalikes_and_non_host_domains() {
        for bad in [
            "a\u{200b}@example.com",  // zero-width space (Cf)
            "a\u{202e}b@example.com", // right-to-left override (Cf)
            "a\u{0085}b@example.com", // C1 control (Cc)
            "a\u{00a0}b@example.com", // no-break space (Zs)
            "a\u{e000}@example.com",  // private use (Co)
            "a\u{fffd}@example.com",  // what a broken encoding decodes to
            "a@exa\u{200d}mple.com",  // zero-width joiner in the domain
            "a@127.0.0.1",
            "a@1.2.3.4",
            "a@ex/ample.com",
            "a@ex_ample.com",
            "a@-example.com",
            "a@example-.com",
            "a@example..com",
            "a@xn--a.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_quoted_local_part_is_the_same_mailbox_or_refused() {
        assert_eq!(key("\"matt\"@example.com"), "matt@example.com");
        assert_eq!(key("\"Matt.R\"@Example.com"), "matt.r@example.com");
        assert_eq!(
            key("\"o'brien+tag\"@example.com"),
            "o'brien+tag@example.com"
        );
        for bad in [
            "\"a b\"@example.com",
            "\"a\\\"b\"@example.com",
            "\"\"@example.com",
            "\"a..b\"@example.com",
            "\".a\"@example.com",
            "\"a@b\"@example.com",
            "\"a\"b@example.com",
            "a\"b\"@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn rejects_over_long_addresses() {
        let local = "a".repeat(60);
        let domain = format!("{}.com", vec!["b".repeat(60); 4].join("."));
        let long = format!("{local}@{domain}");
        assert!(long.len() > MAX_EMAIL_BYTES);
        assert!(Email::parse(&long).is_err());
    }
}
