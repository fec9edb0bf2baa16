//! The logs table read: a customer's logs, newest first, as one `Query` whose key condition holds
//! the bounds and the retention limit; and one log by its id, through the index. The writes are
//! in `store::log_events`.

use crate::model::email::Email;
use crate::model::error::ApiError;
use crate::model::log::{Log, LogId, LogsQuery};
use crate::store::client;
use crate::store::erasure::ERASED_PREFIX;
use crate::store::failure::classify;
use crate::store::schema::{LOGS, LOGS_BY_ID, LOGS_SORT_KEY, seconds_prefix};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

/// Access to the logs table.
#[derive(Debug, Clone)]
pub struct LogStore {
    pub(crate) client: Client,
    pub(crate) table: String,
}

/// Sort-key conditions. Every key is `<20 digits>#<log_id>`, so the bare 20-digit prefix of second
/// `s` sorts before every key of second `s` and after every key of second `s - 1`: `>= prefix(gt+1)`
/// and `< prefix(lt)` (or `BETWEEN`, whose upper end no key equals) are exactly the strict bounds.
#[derive(Debug, PartialEq, Eq)]
enum KeyRange {
    All,
    AtLeast(String),
    Below(String),
    Between(String, String),
}

/// The sort-key range `query` selects, or `None` when no second can satisfy both bounds. Logs sent
/// before `oldest` (past their retention, waiting for DynamoDB's TTL) are never selected.
fn key_range(query: &LogsQuery, oldest: u64) -> Option<KeyRange> {
    let low = match query.created_gt {
        Some(gt) => Some(gt.checked_add(1)?.max(oldest)),
        None if oldest > 0 => Some(oldest),
        None => None,
    };
    match (low, query.created_lt) {
        (Some(low), Some(lt)) if low >= lt => None,
        (Some(low), Some(lt)) => Some(KeyRange::Between(seconds_prefix(low), seconds_prefix(lt))),
        (Some(low), None) => Some(KeyRange::AtLeast(seconds_prefix(low))),
        (None, Some(lt)) => Some(KeyRange::Below(seconds_prefix(lt))),
        (None, None) => Some(KeyRange::All),
    }
}

fn from_items(
    items: Vec<std::collections::HashMap<String, AttributeValue>>,
) -> Result<Vec<Log>, ApiError> {
    serde_dynamo::from_items(items).map_err(|_| {
        // Not the error's text: serde quotes the offending value, which may be an address.
        tracing::error!("a stored log does not have the expected shape");
        ApiError::Internal
    })
}

impl LogStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// [`client::warm_up`] on this table: at init, before the first invocation.
    pub async fn warm_up(&self) {
        client::warm_up(&self.client, &LOGS, &self.table).await;
    }

    /// The customer's logs, newest first: one `Query` with the bounds in the key condition. Logs
    /// sent before `oldest` (Unix seconds) are past their retention: TTL deletion can lag by days,
    /// so the key condition leaves them out (see `model::log::oldest_served`). DynamoDB ends a page
    /// at 1 MB read, which long logs can reach before `count`: the query then goes on from where
    /// the page ended, until `count` logs or the end.
    pub async fn query(
        &self,
        email: &Email,
        query: &LogsQuery,
        oldest: u64,
    ) -> Result<Vec<Log>, ApiError> {
        let Some(range) = key_range(query, oldest) else {
            return Ok(Vec::new());
        };
        let (condition, bounds) = match range {
            KeyRange::All => ("#pk = :pk", vec![]),
            KeyRange::AtLeast(low) => ("#pk = :pk AND #sk >= :low", vec![(":low", low)]),
            KeyRange::Below(high) => ("#pk = :pk AND #sk < :high", vec![(":high", high)]),
            KeyRange::Between(low, high) => (
                "#pk = :pk AND #sk BETWEEN :low AND :high",
                vec![(":low", low), (":high", high)],
            ),
        };
        let wanted = query.count as usize;
        let mut logs = Vec::new();
        let mut start = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(condition)
                .expression_attribute_names("#pk", LOGS.partition_key.name)
                .expression_attribute_values(":pk", AttributeValue::S(email.as_str().to_owned()))
                .scan_index_forward(false)
                .limit((wanted - logs.len()) as i32)
                .set_exclusive_start_key(start);
            if !bounds.is_empty() {
                request = request.expression_attribute_names("#sk", LOGS_SORT_KEY);
            }
            for (placeholder, bound) in &bounds {
                request = request
                    .expression_attribute_values(*placeholder, AttributeValue::S(bound.clone()));
            }
            let output = request
                .send()
                .await
                .map_err(|e| classify("Query logs", e))?;
            logs.extend(from_items(output.items.unwrap_or_default())?);
            start = output.last_evaluated_key;
            if start.is_none() || logs.len() >= wanted {
                return Ok(logs);
            }
        }
    }

    /// Every log, read with a paginated `Scan` (the list of erased addresses left out): for the
    /// operator's export, never a route.
    pub async fn all(&self) -> Result<Vec<Log>, ApiError> {
        let items = crate::store::scan::every_item(&self.client, &self.table, "Scan logs").await?;
        from_items(
            items
                .into_iter()
                .filter(|item| {
                    item.get(LOGS.partition_key.name)
                        .and_then(|key| key.as_s().ok())
                        .is_some_and(|key| !key.starts_with(ERASED_PREFIX))
                })
                .collect(),
        )
    }

    /// The log with id `log_id`, through the index: `Ok(None)` when there is none, or it is past
    /// its retention (sent before `oldest`). Ids name one log; one stored before they did (an SES
    /// message's recipients once shared the message's id) may name several, and then names none
    /// here: [`ApiError::AmbiguousLogId`].
    pub async fn by_id(&self, log_id: &LogId, oldest: u64) -> Result<Option<Log>, ApiError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(LOGS_BY_ID.name)
            .key_condition_expression("#id = :id")
            .expression_attribute_names("#id", LOGS_BY_ID.partition_key.name)
            .expression_attribute_values(":id", AttributeValue::S(log_id.as_str().to_owned()))
            .limit(2)
            .send()
            .await
            .map_err(|e| classify("Query logs by id", e))?;
        let mut logs = from_items(output.items.unwrap_or_default())?;
        if logs.len() > 1 {
            return Err(ApiError::AmbiguousLogId);
        }
        Ok(logs.pop().filter(|log| log.created_at >= oldest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_inverted_ranges_select_nothing() {
        for (gt, lt) in [(10, 11), (10, 10), (11, 10), (u64::MAX, u64::MAX)] {
            let query = LogsQuery {
                created_gt: Some(gt),
                created_lt: Some(lt),
                ..LogsQuery::default()
            };
            assert!(key_range(&query, 0).is_none(), "gt={gt} lt={lt}");
        }
        let open = LogsQuery {
            created_gt: Some(u64::MAX),
            ..LogsQuery::default()
        };
        assert!(key_range(&open, 0).is_none());
        let one_second = LogsQuery {
            created_gt: Some(10),
            created_lt: Some(12),
            ..LogsQuery::default()
        };
        assert!(key_range(&one_second, 0).is_some());
    }

    #[test]
    fn retention_raises_the_lower_bound_and_never_lowers_it() {
        let low = |query: LogsQuery, oldest| match key_range(&query, oldest) {
            Some(KeyRange::AtLeast(low) | KeyRange::Between(low, _)) => Some(low),
            _ => None,
        };
        let unbounded = LogsQuery::default();
        assert_eq!(low(unbounded, 500), Some(seconds_prefix(500)));
        assert_eq!(key_range(&unbounded, 0), Some(KeyRange::All));
        let after_100 = LogsQuery {
            created_gt: Some(100),
            ..LogsQuery::default()
        };
        assert_eq!(low(after_100, 50), Some(seconds_prefix(101)));
        assert_eq!(low(after_100, 500), Some(seconds_prefix(500)));
        let before_400 = LogsQuery {
            created_lt: Some(400),
            ..LogsQuery::default()
        };
        assert!(key_range(&before_400, 500).is_none());
    }
}
