//! A customer: the stored item and the seed's `customer` object, and the validated body of
//! `POST /customers`.

use crate::model::email::Email;
use crate::model::error::ApiError;
use crate::model::locale::Locale;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A stored customer, as the table holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub email: String,
    /// Unix seconds of the first POST; never changes afterwards.
    pub created: u64,
    pub locale: String,
}

impl Customer {
    /// The seed's `customer` object.
    pub fn to_json(&self) -> Value {
        json!({
            "object": "customer",
            "email": self.email,
            "created": self.created,
            "locale": self.locale,
        })
    }
}

/// The body of `POST /customers`, validated: a JSON object with a valid `email` and, optionally, a
/// valid `locale` (`""` and `null` mean "not given", as the C# client sends them). Other fields
/// (`data`, `groups`, `created`) are accepted and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerInput {
    pub email: Email,
    pub locale: Option<Locale>,
}

impl CustomerInput {
    pub fn from_body(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let email = match body.get("email") {
            None | Some(Value::Null) => {
                return Err(ApiError::bad_request("email", "email is required."));
            }
            Some(Value::String(email)) => Email::parse(email)?,
            Some(_) => return Err(ApiError::bad_request("email", "email must be a string.")),
        };
        let locale = match body.get("locale") {
            None | Some(Value::Null) => None,
            Some(Value::String(locale)) if locale.trim().is_empty() => None,
            Some(Value::String(locale)) => Some(Locale::parse(locale)?),
            Some(_) => return Err(ApiError::bad_request("locale", "locale must be a string.")),
        };
        Ok(Self { email, locale })
    }
}
