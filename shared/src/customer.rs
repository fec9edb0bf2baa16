//! Customers: one item per address in the customers table.

use crate::email::Email;
use crate::error::ApiError;
use crate::locale::Locale;
use crate::schema::CUSTOMERS;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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

/// Access to the customers table.
#[derive(Debug, Clone)]
pub struct CustomerStore {
    client: Client,
    table: String,
}

impl CustomerStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table named by `CUSTOMERS_TABLE`.
    pub fn from_env(client: Client) -> Result<Self, String> {
        Ok(Self::new(client, CUSTOMERS.name_from_env()?))
    }

    fn key(email: &Email) -> (&'static str, AttributeValue) {
        (
            CUSTOMERS.partition_key.name,
            AttributeValue::S(email.as_str().to_owned()),
        )
    }

    pub async fn get(&self, email: &Email) -> Result<Option<Customer>, ApiError> {
        let (key_name, key) = Self::key(email);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(key_name, key)
            // A client that creates and then fetches must see its write.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ApiError::from_store("GetItem customers", e))?;
        output
            .item
            .map(|item| {
                serde_dynamo::from_item(item).map_err(|_| {
                    // Not the error's text: serde quotes the offending value, which may be an address.
                    tracing::error!("a stored customer does not have the expected shape");
                    ApiError::Internal
                })
            })
            .transpose()
    }

    /// Creates the customer, or updates the locale of an existing one, in one atomic write:
    /// `created` is set only if absent, so concurrent first posts agree on it and later posts never
    /// move it. A new customer without a locale gets the default; an existing one keeps its own.
    pub async fn upsert(
        &self,
        email: &Email,
        locale: Option<&Locale>,
        now: u64,
    ) -> Result<(), ApiError> {
        let (key_name, key) = Self::key(email);
        let (locale_expression, locale_value) = match locale {
            Some(locale) => ("#locale = :locale", locale.as_str().to_owned()),
            None => (
                "#locale = if_not_exists(#locale, :locale)",
                crate::locale::DEFAULT_LOCALE.to_owned(),
            ),
        };
        self.client
            .update_item()
            .table_name(&self.table)
            .key(key_name, key)
            .update_expression(format!(
                "SET #created = if_not_exists(#created, :now), {locale_expression}"
            ))
            .expression_attribute_names("#created", "created")
            .expression_attribute_names("#locale", "locale")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":locale", AttributeValue::S(locale_value))
            .send()
            .await
            .map_err(|e| ApiError::from_store("UpdateItem customers", e))?;
        Ok(())
    }

    /// Deletes the customer if there is one; deleting an absent customer is no error.
    pub async fn delete(&self, email: &Email) -> Result<(), ApiError> {
        let (key_name, key) = Self::key(email);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(key_name, key)
            .send()
            .await
            .map_err(|e| ApiError::from_store("DeleteItem customers", e))?;
        Ok(())
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
    pub fn from_body(body: &serde_json::Map<String, Value>) -> Result<Self, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_shape_uses_the_schema_key() {
        let item: std::collections::HashMap<String, AttributeValue> =
            serde_dynamo::to_item(Customer {
                email: "a@example.com".into(),
                created: 1,
                locale: "en-US".into(),
            })
            .unwrap();
        assert_eq!(
            item.get(CUSTOMERS.partition_key.name),
            Some(&AttributeValue::S("a@example.com".into()))
        );
        assert_eq!(item.get("created"), Some(&AttributeValue::N("1".into())));
    }
}
