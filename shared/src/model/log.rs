//! Email logs as the contract speaks of them: the stored log and the seed's `log` object, the logs
//! query as a value, and the retention rule. Written by `record-email-event`, read by the logs
//! endpoint.

use crate::model::error::ApiError;
use crate::model::event::{LogEntry, MAX_LOG_ID_BYTES, Status, is_valid_log_id};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A log's id, as a path names it: 1 to 128 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogId(String);

impl LogId {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        if is_valid_log_id(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ApiError::bad_request(
                "log_id",
                format!("log_id must be 1 to {MAX_LOG_ID_BYTES} printable ASCII characters."),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most logs one request returns, and what it returns when `count` is not given.
pub const MAX_COUNT: u32 = 100;

/// The `?count=&created_lt=&created_gt=` of a logs request, validated.
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

/// A number written with ASCII digits only: no sign (`+5` arrives as `%2B5` and as ` 5`, and is
/// refused either way), no space, no exponent, no fraction.
fn digits(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn unix_seconds(name: &'static str, value: Option<&str>) -> Result<Option<u64>, ApiError> {
    value
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
    /// From the three parameters as the request gives them, each at most once (`None`: absent).
    pub fn parse(
        count: Option<&str>,
        created_lt: Option<&str>,
        created_gt: Option<&str>,
    ) -> Result<Self, ApiError> {
        let count = count
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
            created_lt: unix_seconds("created_lt", created_lt)?,
            created_gt: unix_seconds("created_gt", created_gt)?,
        })
    }
}

/// A log as the table holds it. Fields a later event fills in are absent until then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    pub email: String,
    /// The sort key, `<seconds>#<log_id>` (see `store::schema`).
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
    /// Whether the send was applied (the `sent` event's fields are in).
    #[serde(default)]
    pub sent_recorded: bool,
    /// When the applied status happened (absent while only the send is in).
    pub status_at: Option<u64>,
    /// The message-wide order's applied status (an SES open, click or subscription), its time and
    /// its message: see `model::event`.
    pub wide_status: Option<String>,
    pub wide_at: Option<u64>,
    pub wide_message: Option<String>,
    /// Up to two distinct `opened` entries' ids: two mean `re_opened`.
    #[serde(default)]
    pub opened_entries: Vec<String>,
    /// Up to two distinct `clicked` entries' ids: two mean `re_clicked`.
    #[serde(default)]
    pub clicked_entries: Vec<String>,
}

impl Log {
    /// The status to show: the applied one, by its sendwithus name (a name of the earlier contract
    /// stored before is read as the new one), `re_opened` / `re_clicked` where two distinct opens
    /// / clicks were received. `None` while nothing is known, which cannot happen for a stored log.
    pub fn status(&self) -> Option<Status> {
        let (status, _) = self.shown()?;
        Some(match status {
            Status::Opened if self.opened_entries.len() >= 2 => Status::ReOpened,
            Status::Clicked if self.clicked_entries.len() >= 2 => Status::ReClicked,
            other => other,
        })
    }

    /// The status and message the log shows, before `re_` counting: the recipient's own order's,
    /// or the message-wide order's where it is greater (by time, then rank, then message) and the
    /// recipient's delivery has not failed. The send's `sent` (no time of its own) yields to any
    /// status event.
    fn shown(&self) -> Option<(Status, Option<&str>)> {
        let own = self
            .status
            .as_deref()
            .and_then(Status::from_name)
            .map(|status| (status, self.status_at, self.message.as_deref()));
        let wide = match (self.wide_status.as_deref(), self.wide_at) {
            (Some(status), Some(at)) => {
                Status::from_name(status).map(|status| (status, at, self.wide_message.as_deref()))
            }
            _ => None,
        };
        let order = |status: Status, at: u64, message: Option<&str>| {
            (
                at,
                status.rank_tenths(),
                message.map(|m| format!("={m}")).unwrap_or_default(),
            )
        };
        match (own, wide) {
            (Some((status, _, message)), _) if status.is_failed_delivery() => {
                Some((status, message))
            }
            (Some((status, None, message)), None) => Some((status, message)),
            (Some((_, None, _)), Some((status, _, message))) => Some((status, message)),
            (Some((status, Some(at), message)), Some((wide, wide_at, wide_message))) => {
                if order(wide, wide_at, wide_message) > order(status, at, message) {
                    Some((wide, wide_message))
                } else {
                    Some((status, message))
                }
            }
            (Some((status, Some(_), message)), None) => Some((status, message)),
            (None, Some((status, _, message))) => Some((status, message)),
            (None, None) => None,
        }
    }

    /// The seed's `log` object, as the customer's logs list it.
    pub fn to_json(&self) -> Value {
        json!({
            "object": "log",
            "id": self.log_id,
            "created": self.created_at,
            "recipient_name": self.recipient_name,
            "recipient_address": self.email,
            "status": self.status().map(Status::as_str),
            "message": self.shown().and_then(|(_, message)| message),
            "email_id": self.email_id,
            "email_name": self.email_name,
            "email_version": self.email_version,
        })
    }

    /// The docs' object for `GET /logs/{log_id}`: the same fields and where its events are,
    /// under the API's `base_path`.
    pub fn to_json_with_events_url(&self, base_path: &str) -> Value {
        let mut json = self.to_json();
        json["events_url"] = Value::String(format!("{base_path}/logs/{}/events", self.log_id));
        json
    }

    /// The history a log stored before its events were kept can still tell: its send, if it was
    /// applied, and the status applied last.
    pub fn known_entries(&self) -> Vec<LogEntry> {
        let mut entries = Vec::new();
        if self.sent_recorded {
            entries.push(LogEntry {
                status: Status::Sent,
                at: self.created_at,
                message: None,
            });
        }
        for (status, at, message) in [
            (&self.status, self.status_at, &self.message),
            (&self.wide_status, self.wide_at, &self.wide_message),
        ] {
            if let (Some(at), Some(status)) = (at, status.as_deref().and_then(Status::from_name)) {
                entries.push(LogEntry {
                    status,
                    at,
                    message: message.clone(),
                });
            }
        }
        entries.sort_by_key(|entry| (entry.at, entry.status.rank_tenths()));
        entries
    }
}

/// The send time of the oldest log still served at `now`: a log expires (`expires_at`, DynamoDB's
/// TTL) `retention_seconds` after it was sent, and is not served once `expires_at` < `now`.
pub fn oldest_served(now: u64, retention_seconds: u64) -> u64 {
    now.saturating_sub(retention_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<LogsQuery, ApiError> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(given, _)| *given == name)
                .map(|(_, value)| *value)
        };
        LogsQuery::parse(get("count"), get("created_lt"), get("created_gt"))
    }

    #[test]
    fn defaults_to_a_hundred_unbounded() {
        assert_eq!(parse(&[]).unwrap(), LogsQuery::default());
    }

    #[test]
    fn parses_counts_and_bounds() {
        let query = parse(&[
            ("count", "7"),
            ("created_lt", "9876543210"),
            ("created_gt", "0"),
        ])
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
            let error = parse(&[(name, value)]).unwrap_err();
            assert_eq!(error.field(), Some(name), "{name}={value}");
        }
    }

    #[test]
    fn retention_is_measured_back_from_now() {
        assert_eq!(oldest_served(1_000, 300), 700);
        assert_eq!(oldest_served(100, 300), 0);
    }
}
