//! A customer's email address: the key of everything we store.

use crate::ApiError;
use email_address::{EmailAddress, Options};
use std::fmt;

/// RFC 5321's limit on a forward path, less the angle brackets.
pub const MAX_EMAIL_BYTES: usize = 254;

/// A syntactically valid address, trimmed and lower-cased (addresses are case-insensitive keys).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let normalized = raw.trim().to_lowercase();
        if normalized.is_empty() {
            return Err(ApiError::bad_request("email is required."));
        }
        if normalized.len() > MAX_EMAIL_BYTES {
            return Err(ApiError::bad_request(format!(
                "email is longer than {MAX_EMAIL_BYTES} bytes."
            )));
        }
        // A bare address with a dotted domain: no "Name <a@b>" display forms, no IP literals.
        let options = Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            ..Options::default()
        };
        EmailAddress::parse_with_options(&normalized, options)
            .map_err(|_| ApiError::bad_request("email is not a valid email address."))?;
        Ok(Self(normalized))
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

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(
            Email::parse("  Matt@SendWithUs.com ").unwrap().as_str(),
            "matt@sendwithus.com"
        );
    }

    #[test]
    fn keeps_plus_addressing() {
        assert_eq!(
            Email::parse("a+tag@example.com").unwrap().as_str(),
            "a+tag@example.com"
        );
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
    fn rejects_over_long_addresses() {
        let local = "a".repeat(60);
        let domain = format!("{}.com", vec!["b".repeat(60); 4].join("."));
        let long = format!("{local}@{domain}");
        assert!(long.len() > MAX_EMAIL_BYTES);
        assert!(Email::parse(&long).is_err());
    }
}
