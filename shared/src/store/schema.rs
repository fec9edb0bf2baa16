//! Table and key names and the logs' key layout: the one source of truth for the code, the local
//! store and the tests of the SAM template.
//!
//! Logs are keyed by `email` and a string sort key `created` that reads
//! `<Unix seconds, zero-padded to 20 digits>#<log_id>` ([`log_sort_key`]), so two logs of one
//! customer in the same second stay two logs, and a range of seconds is one key condition.

use crate::model::error::ConfigError;
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
    /// What the local stack calls the table (the tests add a suffix). In AWS, CloudFormation names
    /// it, and the functions read that name from `env_var`: no deployed name is fixed in code.
    pub local_name: &'static str,
    /// The environment variable that names the table.
    pub env_var: &'static str,
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    /// The attribute DynamoDB's TTL reads, if the table expires items.
    pub ttl_attribute: Option<&'static str>,
}

pub const CUSTOMERS: TableSpec = TableSpec {
    local_name: "customers",
    env_var: "CUSTOMERS_TABLE",
    partition_key: Key {
        name: "email",
        kind: "S",
    },
    sort_key: None,
    ttl_attribute: None,
};

pub const LOGS: TableSpec = TableSpec {
    local_name: "logs",
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

/// Every table, each once: what the local store creates.
pub const TABLES: [TableSpec; 2] = [CUSTOMERS, LOGS];

/// The name of the logs table's sort key.
pub const LOGS_SORT_KEY: &str = match LOGS.sort_key {
    Some(key) => key.name,
    None => panic!("the logs table has a sort key"),
};

/// The 20-digit prefix every sort key of second `seconds` starts with. It sorts before every key of
/// that second and after every key of the second before: the key range of `store::logs` rests on it.
pub fn seconds_prefix(seconds: u64) -> String {
    format!("{seconds:020}")
}

/// The sort key of one log.
pub fn log_sort_key(created: u64, log_id: &str) -> String {
    format!("{}#{log_id}", seconds_prefix(created))
}

impl TableSpec {
    /// The table's name from its environment variable, as `lookup` reads variables.
    pub fn name_from(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, ConfigError> {
        match lookup(self.env_var) {
            Some(name) if !name.trim().is_empty() => Ok(name.trim().to_owned()),
            _ => Err(ConfigError::new(format!("{} is not set", self.env_var))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seconds_prefix_bounds_the_keys_of_its_second() {
        let key_at = |s| log_sort_key(s, "log_x");
        assert!(key_at(10) < seconds_prefix(11) && seconds_prefix(11) <= key_at(11));
        assert!(key_at(19) < seconds_prefix(20) && seconds_prefix(20) < key_at(20));
        assert!(log_sort_key(u64::MAX, "z").starts_with("18446744073709551615#"));
    }
}
