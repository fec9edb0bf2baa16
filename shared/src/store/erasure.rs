//! Forgetting a person: every item under an address deleted, and the address kept only as its
//! SHA-256 digest on the list of erased addresses, which the consumer reads before it writes an
//! event (one small `GetItem`), so that no later event brings the person's logs back.
//!
//! The list lives in the logs table, one item per address: partition key `erased:<64 hex digits>`
//! (no `@`, so never an address) and sort key `erased`.

use crate::model::email::Email;
use crate::model::error::ApiError;
use crate::store::failure::classify;
use crate::store::schema::{LOG_EVENTS, LOG_EVENTS_SORT_KEY, LOGS, LOGS_SORT_KEY};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;

/// The prefix of an erased address's key in the logs table.
pub const ERASED_PREFIX: &str = "erased:";
const ERASED_SORT_KEY: &str = "erased";

type Key = HashMap<String, AttributeValue>;

/// The key that stands for `email` on the list of erased addresses.
fn marker_key(email: &Email) -> Key {
    let digest: String = Sha256::digest(email.as_str().as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    HashMap::from([
        (
            LOGS.partition_key.name.to_owned(),
            AttributeValue::S(format!("{ERASED_PREFIX}{digest}")),
        ),
        (
            LOGS_SORT_KEY.to_owned(),
            AttributeValue::S(ERASED_SORT_KEY.to_owned()),
        ),
    ])
}

/// The list of erased addresses.
#[derive(Debug, Clone)]
pub struct ErasedList {
    client: Client,
    logs_table: String,
}

impl ErasedList {
    pub fn new(client: Client, logs_table: impl Into<String>) -> Self {
        Self {
            client,
            logs_table: logs_table.into(),
        }
    }

    /// Whether `email` was erased with future events refused: one `GetItem` of a key-only item.
    pub async fn contains(&self, email: &Email) -> Result<bool, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.logs_table)
            .set_key(Some(marker_key(email)))
            .projection_expression("#pk")
            .expression_attribute_names("#pk", LOGS.partition_key.name)
            .send()
            .await
            .map_err(|e| classify("GetItem erased", e))?;
        Ok(output.item.is_some())
    }

    /// Puts `email` on the list (or, with `listed` false, takes it off).
    pub async fn set(&self, email: &Email, listed: bool) -> Result<(), ApiError> {
        if listed {
            self.client
                .put_item()
                .table_name(&self.logs_table)
                .set_item(Some(marker_key(email)))
                .send()
                .await
                .map_err(|e| classify("PutItem erased", e))?;
        } else {
            self.client
                .delete_item()
                .table_name(&self.logs_table)
                .set_key(Some(marker_key(email)))
                .send()
                .await
                .map_err(|e| classify("DeleteItem erased", e))?;
        }
        Ok(())
    }
}

/// Every key a query of `table` finds for `key = :value`, page after page.
async fn keys(
    client: &Client,
    table: &str,
    key: &str,
    value: &str,
    sort_key: &str,
) -> Result<Vec<Key>, ApiError> {
    let mut found = Vec::new();
    let mut start = None;
    loop {
        let output = client
            .query()
            .table_name(table)
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", key)
            .expression_attribute_names("#s", sort_key)
            .expression_attribute_values(":v", AttributeValue::S(value.to_owned()))
            .projection_expression("#k, #s")
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| classify("Query keys", e))?;
        found.extend(output.items.unwrap_or_default());
        start = output.last_evaluated_key;
        if start.is_none() {
            return Ok(found);
        }
    }
}

/// Deletes `keys` from `table` with `BatchWriteItem`, 25 at a time, retrying what DynamoDB leaves
/// unprocessed with a growing pause.
pub async fn delete_all(client: &Client, table: &str, keys: Vec<Key>) -> Result<(), ApiError> {
    for chunk in keys.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|key| {
                let delete = DeleteRequest::builder()
                    .set_key(Some(key.clone()))
                    .build()
                    .expect("a key");
                WriteRequest::builder().delete_request(delete).build()
            })
            .collect();
        let mut pause = Duration::from_millis(50);
        while !requests.is_empty() {
            let output = client
                .batch_write_item()
                .request_items(table, requests)
                .send()
                .await
                .map_err(|e| classify("BatchWriteItem", e))?;
            requests = output
                .unprocessed_items
                .and_then(|mut left| left.remove(table))
                .unwrap_or_default();
            if !requests.is_empty() {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
    Ok(())
}

/// What erasing an address removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub customers: usize,
    pub logs: usize,
    pub events: usize,
}

/// Deletes the customer, every log under `email` and every entry of their histories.
pub async fn erase(
    client: &Client,
    customers_table: &str,
    logs_table: &str,
    history_table: &str,
    email: &Email,
) -> Result<Erased, ApiError> {
    let log_keys = keys(
        client,
        logs_table,
        LOGS.partition_key.name,
        email.as_str(),
        LOGS_SORT_KEY,
    )
    .await?;
    let mut erased = Erased {
        logs: log_keys.len(),
        ..Erased::default()
    };
    for key in &log_keys {
        let Some(log_id) = key
            .get(LOGS_SORT_KEY)
            .and_then(|created| created.as_s().ok())
            .and_then(|created| created.split_once('#'))
            .map(|(_, log_id)| log_id.to_owned())
        else {
            continue;
        };
        let entries = keys(
            client,
            history_table,
            LOG_EVENTS.partition_key.name,
            &log_id,
            LOG_EVENTS_SORT_KEY,
        )
        .await?;
        erased.events += entries.len();
        delete_all(client, history_table, entries).await?;
    }
    delete_all(client, logs_table, log_keys).await?;
    let deleted = client
        .delete_item()
        .table_name(customers_table)
        .key(
            crate::store::schema::CUSTOMERS.partition_key.name,
            AttributeValue::S(email.as_str().to_owned()),
        )
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .send()
        .await
        .map_err(|e| classify("DeleteItem customers", e))?;
    erased.customers = usize::from(deleted.attributes.is_some());
    Ok(erased)
}
