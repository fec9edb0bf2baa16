//! The customers table: one item per address.

use crate::model::customer::Customer;
use crate::model::email::Email;
use crate::model::error::ApiError;
use crate::model::locale::{DEFAULT_LOCALE, Locale};
use crate::store::client;
use crate::store::failure::classify;
use crate::store::schema::CUSTOMERS;
use crate::store::update::Update;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

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

    /// [`client::warm_up`] on this table: at init, before the first invocation.
    pub async fn warm_up(&self) {
        client::warm_up(&self.client, &CUSTOMERS, &self.table).await;
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
            .map_err(|e| classify("GetItem customers", e))?;
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
        let mut update = Update::default();
        update.set_if_absent("created", AttributeValue::N(now.to_string()));
        match locale {
            Some(locale) => update.set("locale", AttributeValue::S(locale.as_str().to_owned())),
            None => update.set_if_absent("locale", AttributeValue::S(DEFAULT_LOCALE.to_owned())),
        }
        update
            .request(&self.client, &self.table)
            .key(key_name, key)
            .send()
            .await
            .map_err(|e| classify("UpdateItem customers", e))?;
        Ok(())
    }

    /// Moves an existing customer's `created` back to `created` when that is earlier (an import
    /// keeps the original time); a later one, or no such customer, changes nothing.
    pub async fn keep_created_no_later_than(
        &self,
        email: &Email,
        created: u64,
    ) -> Result<(), ApiError> {
        let (key_name, key) = Self::key(email);
        let mut update = Update::default();
        update.set("created", AttributeValue::N(created.to_string()));
        let result = update
            .request(&self.client, &self.table)
            .key(key_name, key)
            .condition_expression("#created > :created")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(classify("UpdateItem customers", err)),
        }
    }

    /// Every customer, read with a paginated `Scan`: for the operator's export, never a route.
    pub async fn all(&self) -> Result<Vec<Customer>, ApiError> {
        let items =
            crate::store::scan::every_item(&self.client, &self.table, "Scan customers").await?;
        serde_dynamo::from_items(items).map_err(|_| {
            tracing::error!("a stored customer does not have the expected shape");
            ApiError::Internal
        })
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
            .map_err(|e| classify("DeleteItem customers", e))?;
        Ok(())
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
