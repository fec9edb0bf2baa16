//! Every log's history, in its own table: one item per distinct event the log received (its send
//! and each status event), keyed by the log's id and the entry's sort key, so a redelivered event
//! rewrites the same item and `GET /logs/{log_id}/events` is one `Query`, oldest first.

use crate::model::error::ApiError;
use crate::model::event::{LogEntry, Scope, Status};
use crate::model::log::LogId;
use crate::store::failure::classify;
use crate::store::schema::{LOG_EVENTS, entry_sort_key};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

/// The most entries one answer lists: the oldest this many. A log gathers one per distinct event,
/// so only an open or click tracker gone wild comes near it; the bound keeps the answer well
/// inside Lambda's response limit.
pub const MAX_ENTRIES: usize = 1_000;

/// Access to the history table.
#[derive(Debug, Clone)]
pub struct HistoryStore {
    client: Client,
    table: String,
}

/// One entry as the table holds it.
#[derive(Debug, Serialize, Deserialize)]
struct StoredEntry {
    log_id: String,
    /// The sort key ([`entry_sort_key`]).
    event: String,
    #[serde(rename = "type")]
    status: String,
    at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The send time of the entry's log, for retention.
    log_created: u64,
    /// DynamoDB's TTL: the log's own expiry.
    expires_at: u64,
    /// `message` for a message-wide event (see `model::event::Scope`); absent for a recipient's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

impl HistoryStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Keeps `entry` in the history of log `log_id` (sent at `log_created`, expiring at
    /// `expires_at` as its log does). Writing the same entry again rewrites the same item.
    pub async fn keep(
        &self,
        log_id: &str,
        log_created: u64,
        expires_at: u64,
        entry: &LogEntry,
        scope: Scope,
    ) -> Result<(), ApiError> {
        let stored = StoredEntry {
            log_id: log_id.to_owned(),
            event: entry_sort_key(entry),
            status: entry.status.as_str().to_owned(),
            at: entry.at,
            message: entry.message.clone(),
            log_created,
            expires_at,
            scope: (scope == Scope::Message).then(|| scope.as_str().to_owned()),
        };
        let item = serde_dynamo::to_item(stored).map_err(|_| ApiError::Internal)?;
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        request
            .send()
            .await
            .map_err(|e| classify("PutItem log_events", e))?;
        Ok(())
    }

    /// The log's entries, oldest first, at most [`MAX_ENTRIES`]; none of a log sent before
    /// `oldest` (past its retention). Follows DynamoDB's pages until done.
    pub async fn entries(&self, log_id: &LogId, oldest: u64) -> Result<Vec<LogEntry>, ApiError> {
        Ok(self
            .scoped_entries(log_id, oldest)
            .await?
            .into_iter()
            .map(|(entry, _)| entry)
            .collect())
    }

    /// As [`HistoryStore::entries`], each with the scope of the event that made it.
    pub async fn scoped_entries(
        &self,
        log_id: &LogId,
        oldest: u64,
    ) -> Result<Vec<(LogEntry, Scope)>, ApiError> {
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", LOG_EVENTS.partition_key.name)
                .expression_attribute_values(":pk", AttributeValue::S(log_id.as_str().to_owned()))
                .scan_index_forward(true)
                .limit((MAX_ENTRIES - entries.len()) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("Query log_events", e))?;
            let stored: Vec<StoredEntry> =
                serde_dynamo::from_items(output.items.unwrap_or_default()).map_err(|_| {
                    // Not the error's text: serde quotes the offending value.
                    tracing::error!("a stored log entry does not have the expected shape");
                    ApiError::Internal
                })?;
            for stored in stored {
                let Some(status) = Status::from_name(&stored.status) else {
                    tracing::error!("a stored log entry has an unknown type");
                    return Err(ApiError::Internal);
                };
                if stored.log_created >= oldest {
                    let scope = match stored.scope.as_deref() {
                        Some("message") => Scope::Message,
                        _ => Scope::Recipient,
                    };
                    entries.push((
                        LogEntry {
                            status,
                            at: stored.at,
                            message: stored.message,
                        },
                        scope,
                    ));
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() || entries.len() >= MAX_ENTRIES {
                return Ok(entries);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema::LOG_EVENTS_SORT_KEY;

    #[test]
    fn the_stored_shape_uses_the_schema_keys() {
        let item: std::collections::HashMap<String, AttributeValue> =
            serde_dynamo::to_item(StoredEntry {
                log_id: "log_1".into(),
                event: "k".into(),
                status: "opened".into(),
                at: 5,
                message: None,
                log_created: 1,
                expires_at: 9,
                scope: None,
            })
            .unwrap();
        for key in [
            LOG_EVENTS.partition_key.name,
            LOG_EVENTS_SORT_KEY,
            LOG_EVENTS.ttl_attribute.unwrap(),
        ] {
            assert!(item.contains_key(key), "{key}");
        }
        assert!(!item.contains_key("message"));
    }
}
