//! Email logs: read by the logs endpoint, written by `record-email-event`.

use crate::email::Email;
use crate::error::ApiError;
use crate::event::{EmailEvent, EventKind, Status};
use crate::schema::LOGS;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

pub const MAX_COUNT: u32 = 100;

const LOGS_SORT_KEY: &str = match LOGS.sort_key {
    Some(key) => key.name,
    None => panic!("the logs table has a sort key"),
};

/// The parsed `?count=&created_lt=&created_gt=` of a logs request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogsQuery {
    /// 1..=100.
    pub count: u32,
    /// Strict upper bound, Unix seconds.
    pub created_lt: Option<u64>,
    /// Strict lower bound, Unix seconds.
    pub created_gt: Option<u64>,
}

impl Default for LogsQuery {
    fn default() -> Self {
        Self {
            count: MAX_COUNT,
            created_lt: None,
            created_gt: None,
        }
    }
}

fn single<'a>(params: &'a QueryMap, name: &'static str) -> Result<Option<&'a str>, ApiError> {
    match params.all(name).as_deref() {
        None | Some([]) => Ok(None),
        Some([value]) => Ok(Some(value)),
        Some(_) => Err(ApiError::bad_request(
            name,
            format!("{name} is given more than once."),
        )),
    }
}

/// A number written with ASCII digits only: no sign (`+5` arrives as `%2B5` and as ` 5`, and is
/// refused either way), no space, no exponent, no fraction.
fn digits(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn unix_seconds(params: &QueryMap, name: &'static str) -> Result<Option<u64>, ApiError> {
    single(params, name)?
        .map(|value| {
            digits(value).ok_or_else(|| {
                ApiError::bad_request(
                    name,
                    format!(
                        "{name} must be a Unix timestamp: a whole number of seconds, 0 or more."
                    ),
                )
            })
        })
        .transpose()
}

impl LogsQuery {
    pub fn parse(params: &QueryMap) -> Result<Self, ApiError> {
        let count = single(params, "count")?
            .map(|value| match digits(value) {
                Some(count) if (1..=u64::from(MAX_COUNT)).contains(&count) => Ok(count as u32),
                _ => Err(ApiError::bad_request(
                    "count",
                    format!("count must be a whole number from 1 to {MAX_COUNT}."),
                )),
            })
            .transpose()?
            .unwrap_or(MAX_COUNT);
        Ok(Self {
            count,
            created_lt: unix_seconds(params, "created_lt")?,
            created_gt: unix_seconds(params, "created_gt")?,
        })
    }

    /// The sort-key range the bounds select, or `None` when no second can satisfy both. Logs sent
    /// before `oldest` (past their retention, waiting for DynamoDB's TTL) are never selected.
    fn key_range(&self, oldest: u64) -> Option<KeyRange> {
        let low = match self.created_gt {
            Some(gt) => Some(gt.checked_add(1)?.max(oldest)),
            None if oldest > 0 => Some(oldest),
            None => None,
        };
        match (low, self.created_lt) {
            (Some(low), Some(lt)) if low >= lt => None,
            (Some(low), Some(lt)) => {
                Some(KeyRange::Between(seconds_prefix(low), seconds_prefix(lt)))
            }
            (Some(low), None) => Some(KeyRange::AtLeast(seconds_prefix(low))),
            (None, Some(lt)) => Some(KeyRange::Below(seconds_prefix(lt))),
            (None, None) => Some(KeyRange::All),
        }
    }
}

/// Sort-key conditions. Every key is `<20 digits>#<log_id>`, so the bare 20-digit prefix of second
/// `s` sorts before every key of second `s` and after every key of second `s - 1`: `>= prefix(gt+1)`
/// and `< prefix(lt)` (or `BETWEEN`, whose upper end no key equals) are exactly the strict bounds.
enum KeyRange {
    All,
    AtLeast(String),
    Below(String),
    Between(String, String),
}

fn seconds_prefix(seconds: u64) -> String {
    format!("{seconds:020}")
}

/// The sort key of one log.
pub fn sort_key(created: u64, log_id: &str) -> String {
    format!("{}#{log_id}", seconds_prefix(created))
}

/// A log as the table holds it. Fields a later event fills in are absent until then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    pub email: String,
    /// The sort key, `<seconds>#<log_id>`.
    pub created: String,
    pub log_id: String,
    /// The send time in Unix seconds, as a number for the response.
    pub created_at: u64,
    pub recipient_name: Option<String>,
    pub status: Option<String>,
    pub message: Option<String>,
    pub email_id: Option<String>,
    pub email_name: Option<String>,
    pub email_version: Option<String>,
}

impl Log {
    /// The seed's `log` object.
    pub fn to_json(&self) -> Value {
        json!({
            "object": "log",
            "id": self.log_id,
            "created": self.created_at,
            "recipient_name": self.recipient_name,
            "recipient_address": self.email,
            "status": self.status,
            "message": self.message,
            "email_id": self.email_id,
            "email_name": self.email_name,
            "email_version": self.email_version,
        })
    }
}

/// What recording an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Applied,
    /// A duplicate or a stale status: the log already reflects it.
    AlreadyReflected,
}

/// Access to the logs table.
#[derive(Debug, Clone)]
pub struct LogStore {
    client: Client,
    table: String,
}

impl LogStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table named by `LOGS_TABLE`.
    pub fn from_env(client: Client) -> Result<Self, String> {
        Ok(Self::new(client, LOGS.name_from_env()?))
    }

    /// The customer's logs, newest first: one `Query` with the bounds in the key condition. Logs
    /// sent before `oldest` (Unix seconds) are past their retention: TTL deletion can lag by days,
    /// so the key condition leaves them out (see [`oldest_served`]).
    pub async fn query(
        &self,
        email: &Email,
        query: &LogsQuery,
        oldest: u64,
    ) -> Result<Vec<Log>, ApiError> {
        let Some(range) = query.key_range(oldest) else {
            return Ok(Vec::new());
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", LOGS.partition_key.name)
            .expression_attribute_values(":pk", AttributeValue::S(email.as_str().to_owned()))
            .scan_index_forward(false)
            .limit(query.count as i32);
        let (condition, bounds) = match range {
            KeyRange::All => ("#pk = :pk", vec![]),
            KeyRange::AtLeast(low) => ("#pk = :pk AND #sk >= :low", vec![(":low", low)]),
            KeyRange::Below(high) => ("#pk = :pk AND #sk < :high", vec![(":high", high)]),
            KeyRange::Between(low, high) => (
                "#pk = :pk AND #sk BETWEEN :low AND :high",
                vec![(":low", low), (":high", high)],
            ),
        };
        if !bounds.is_empty() {
            request = request.expression_attribute_names("#sk", LOGS_SORT_KEY);
        }
        for (placeholder, bound) in bounds {
            request = request.expression_attribute_values(placeholder, AttributeValue::S(bound));
        }
        let output = request
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(|e| ApiError::from_store("Query logs", e))?;
        serde_dynamo::from_items(output.items.unwrap_or_default()).map_err(|_| {
            // Not the error's text: serde quotes the offending value, which may be an address.
            tracing::error!("a stored log does not have the expected shape");
            ApiError::Internal
        })
    }

    /// Records one email event as one conditional write; see `crate::event` for the rules.
    pub async fn record(
        &self,
        event: &EmailEvent,
        retention_seconds: u64,
    ) -> Result<Recorded, ApiError> {
        let n = |number: u64| AttributeValue::N(number.to_string());
        let s = |text: &str| AttributeValue::S(text.to_owned());
        let mut update = Update::default();

        // Both kinds of event identify the log and compute the same expiry, so whichever arrives
        // first creates a complete key and the TTL never depends on arrival order.
        update.set("log_id", s(event.log_id()));
        update.set("created_at", n(event.created));
        if let Some(ttl) = LOGS.ttl_attribute {
            update.set(ttl, n(event.created.saturating_add(retention_seconds)));
        }
        let condition = match &event.kind {
            EventKind::Sent(sent) => {
                for (attribute, value) in [
                    ("recipient_name", &sent.recipient_name),
                    ("email_id", &sent.email_id),
                    ("email_name", &sent.email_name),
                    ("email_version", &sent.email_version),
                ] {
                    if let Some(value) = value {
                        update.set(attribute, s(value));
                    }
                }
                update.set("sent_recorded", AttributeValue::Bool(true));
                // The status a send implies is only a default: any status event outranks it,
                // whichever arrived first, so it never sets the ordering attributes.
                update.set_if_absent("status", s(Status::Sent.as_str()));
                "attribute_not_exists(#sent_recorded)"
            }
            EventKind::Status(change) => {
                update.set("status", s(change.status.as_str()));
                update.set("status_rank", n(change.status.rank()));
                update.set("status_at", n(change.at));
                update.set("status_tiebreak", s(&tiebreak(change.message.as_deref())));
                match &change.message {
                    Some(message) => update.set("message", s(message)),
                    None => update.remove("message"),
                }
                // (at, rank, message) orders status events totally: the greatest wins in every
                // arrival order, and an equal one is a duplicate.
                "attribute_not_exists(#status_at) OR #status_at < :status_at \
                 OR (#status_at = :status_at AND (#status_rank < :status_rank \
                 OR (#status_rank = :status_rank AND #status_tiebreak < :status_tiebreak)))"
            }
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(LOGS.partition_key.name, s(event.email.as_str()))
            .key(LOGS_SORT_KEY, s(&sort_key(event.created, event.log_id())))
            .update_expression(update.expression())
            .condition_expression(condition)
            .set_expression_attribute_names(Some(update.names))
            .set_expression_attribute_values(Some(update.values))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Recorded::Applied),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Recorded::AlreadyReflected)
            }
            Err(err) => Err(ApiError::from_store("UpdateItem logs", err)),
        }
    }
}

/// The last key of a status event's order: events of the same second and status are ordered by
/// their message, no message first.
fn tiebreak(message: Option<&str>) -> String {
    message.map_or_else(String::new, |message| format!("={message}"))
}

/// An `UpdateItem` expression under construction; attribute `a` is named `#a` and valued `:a`.
#[derive(Default)]
struct Update {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    sets: Vec<String>,
    removes: Vec<String>,
}

impl Update {
    fn name(&mut self, attribute: &str) {
        self.names
            .insert(format!("#{attribute}"), attribute.to_owned());
    }

    fn set(&mut self, attribute: &str, value: AttributeValue) {
        self.name(attribute);
        self.values.insert(format!(":{attribute}"), value);
        self.sets.push(format!("#{attribute} = :{attribute}"));
    }

    fn set_if_absent(&mut self, attribute: &str, value: AttributeValue) {
        self.name(attribute);
        self.values.insert(format!(":{attribute}"), value);
        self.sets.push(format!(
            "#{attribute} = if_not_exists(#{attribute}, :{attribute})"
        ));
    }

    fn remove(&mut self, attribute: &str) {
        self.name(attribute);
        self.removes.push(format!("#{attribute}"));
    }

    fn expression(&self) -> String {
        let mut expression = format!("SET {}", self.sets.join(", "));
        if !self.removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", self.removes.join(", ")));
        }
        expression
    }
}

/// The send time of the oldest log still served at `now`: a log expires (`expires_at`, DynamoDB's
/// TTL) `retention_seconds` after it was sent, and is not served once `expires_at` < `now`.
pub fn oldest_served(now: u64, retention_seconds: u64) -> u64 {
    now.saturating_sub(retention_seconds)
}

/// Days a log is kept after its send time when `LOG_RETENTION_DAYS` is not set.
pub const DEFAULT_RETENTION_DAYS: u64 = 365;

/// The retention period in seconds, from `LOG_RETENTION_DAYS` (whole days, at least 1).
pub fn retention_seconds_from_env() -> Result<u64, String> {
    let env = crate::schema::LOG_RETENTION_DAYS_ENV;
    let days = match std::env::var(env) {
        Err(_) => DEFAULT_RETENTION_DAYS,
        Ok(value) => match value.trim().parse::<u64>() {
            Ok(days) if days >= 1 => days,
            _ => return Err(format!("{env} must be a whole number of days, 1 or more")),
        },
    };
    Ok(days.saturating_mul(24 * 60 * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> QueryMap {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in pairs {
            map.entry((*name).to_owned())
                .or_default()
                .push((*value).to_owned());
        }
        QueryMap::from(map)
    }

    #[test]
    fn defaults_to_a_hundred_unbounded() {
        assert_eq!(
            LogsQuery::parse(&params(&[])).unwrap(),
            LogsQuery::default()
        );
    }

    #[test]
    fn parses_counts_and_bounds() {
        let query = LogsQuery::parse(&params(&[
            ("count", "7"),
            ("created_lt", "9876543210"),
            ("created_gt", "0"),
        ]))
        .unwrap();
        assert_eq!(
            query,
            LogsQuery {
                count: 7,
                created_lt: Some(9_876_543_210),
                created_gt: Some(0)
            }
        );
    }

    #[test]
    fn rejects_bad_values() {
        for (name, value) in [
            ("count", "0"),
            ("count", "101"),
            ("count", "-1"),
            ("count", "ten"),
            ("count", ""),
            ("count", "1.5"),
            ("created_lt", "-5"),
            ("created_lt", "soon"),
            ("created_gt", "1e9"),
            ("created_gt", "18446744073709551616"),
            ("count", "+5"),
            ("count", " 5"),
            ("count", "5 "),
            ("count", "0x10"),
            ("created_lt", "+5"),
            ("created_gt", "٣"),
        ] {
            assert!(
                LogsQuery::parse(&params(&[(name, value)])).is_err(),
                "{name}={value}"
            );
        }
        assert!(LogsQuery::parse(&params(&[("count", "1"), ("count", "2")])).is_err());
    }

    #[test]
    fn prefixes_bound_keys_strictly() {
        let key_at = |s| sort_key(s, "log_x");
        // created_gt=10 admits second 11, not 10; created_lt=20 admits 19, not 20.
        assert!(key_at(10) < seconds_prefix(11) && seconds_prefix(11) <= key_at(11));
        assert!(key_at(19) < seconds_prefix(20) && seconds_prefix(20) < key_at(20));
        assert!(sort_key(u64::MAX, "z").starts_with("18446744073709551615#"));
    }

    #[test]
    fn empty_and_inverted_ranges_select_nothing() {
        for (gt, lt) in [(10, 11), (10, 10), (11, 10), (u64::MAX, u64::MAX)] {
            let query = LogsQuery {
                created_gt: Some(gt),
                created_lt: Some(lt),
                ..LogsQuery::default()
            };
            assert!(query.key_range(0).is_none(), "gt={gt} lt={lt}");
        }
        let open = LogsQuery {
            created_gt: Some(u64::MAX),
            ..LogsQuery::default()
        };
        assert!(open.key_range(0).is_none());
        let one_second = LogsQuery {
            created_gt: Some(10),
            created_lt: Some(12),
            ..LogsQuery::default()
        };
        assert!(one_second.key_range(0).is_some());
    }

    #[test]
    fn retention_raises_the_lower_bound_and_never_lowers_it() {
        let low = |query: LogsQuery, oldest| match query.key_range(oldest) {
            Some(KeyRange::AtLeast(low) | KeyRange::Between(low, _)) => Some(low),
            _ => None,
        };
        let unbounded = LogsQuery::default();
        assert_eq!(low(unbounded, 500), Some(seconds_prefix(500)));
        assert!(matches!(unbounded.key_range(0), Some(KeyRange::All)));
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
        assert!(before_400.key_range(500).is_none());
        assert_eq!(oldest_served(1_000, 300), 700);
        assert_eq!(oldest_served(100, 300), 0);
    }
}
