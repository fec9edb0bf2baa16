//! Table and attribute names: the one source of truth for the code, the local store and the tests
//! of the SAM template.
//!
//! Logs are keyed by `email` and a string sort key `created` that reads
//! `<Unix seconds, zero-padded to 20 digits>#<log_id>`, so two logs of one customer in the same
//! second stay two logs, and a range of seconds is one key condition.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    /// DynamoDB's attribute type letter: `S` or `N`.
    pub kind: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// The environment variable that names the table (names are never fixed in code).
    pub env_var: &'static str,
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    /// The attribute DynamoDB's TTL reads, if the table expires items.
    pub ttl_attribute: Option<&'static str>,
}

pub const CUSTOMERS: TableSpec = TableSpec {
    env_var: "CUSTOMERS_TABLE",
    partition_key: Key {
        name: "email",
        kind: "S",
    },
    sort_key: None,
    ttl_attribute: None,
};

pub const LOGS: TableSpec = TableSpec {
    env_var: "LOGS_TABLE",
    partition_key: Key {
        name: "email",
        kind: "S",
    },
    sort_key: Some(Key {
        name: "created",
        kind: "S",
    }),
    ttl_attribute: Some("expires_at"),
};

pub const TABLES: [TableSpec; 2] = [CUSTOMERS, LOGS];

/// How long logs are kept, in days, when `LOG_RETENTION_DAYS` is not set.
pub const LOG_RETENTION_DAYS_ENV: &str = "LOG_RETENTION_DAYS";

impl TableSpec {
    /// The table's name from its environment variable.
    pub fn name_from_env(&self) -> Result<String, String> {
        match std::env::var(self.env_var) {
            Ok(name) if !name.trim().is_empty() => Ok(name.trim().to_owned()),
            _ => Err(format!("{} is not set", self.env_var)),
        }
    }

    /// Creates the table as production has it (on-demand, same keys, same TTL attribute) unless
    /// it exists. For the local store and the tests; in AWS the template does this.
    pub async fn create_if_missing(&self, client: &Client, name: &str) -> Result<(), String> {
        let exists = client.describe_table().table_name(name).send().await;
        if exists.is_ok() {
            return Ok(());
        }
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest);
        for (key, key_type) in [
            (Some(self.partition_key), KeyType::Hash),
            (self.sort_key, KeyType::Range),
        ] {
            let Some(key) = key else { continue };
            request = request
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(key.name)
                        .attribute_type(ScalarAttributeType::from(key.kind))
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(key.name)
                        .key_type(key_type)
                        .build()
                        .map_err(|e| e.to_string())?,
                );
        }
        request.send().await.map_err(|e| {
            format!(
                "creating table {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
        if let Some(attribute) = self.ttl_attribute {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(attribute)
                        .enabled(true)
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "enabling TTL on {name}: {}",
                        aws_sdk_dynamodb::error::DisplayErrorContext(e)
                    )
                })?;
        }
        Ok(())
    }
}
