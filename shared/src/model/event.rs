//! Email events: what `record-email-event` reads from its queue, one JSON object per message.
//!
//! `email`, `log_id` and `created` (the send time) identify the log in every event, so each event
//! is one write to a known key. The rules that make every arrival order end in the same log:
//! - `sent` fills in the log's details once; a second `sent` changes nothing. The status `sent`
//!   it implies is a default only: a log shows it while no status event has been applied, and any
//!   status event outranks it, whether it arrived before the `sent` or after.
//! - Status events are ordered by `at`, then by their place in [`Status::ALL`], then by `message`
//!   (none first); the greatest one a log has received is its status and message. A duplicate or
//!   an older one changes nothing.
//! - `created` and `at` are Unix seconds up to [`MAX_EVENT_SECONDS`]: a later value is
//!   milliseconds or absurd, and the event is refused.

use crate::model::email::Email;
use crate::model::error::ApiError;

/// Longest `log_id` accepted; ids are short opaque tokens (`log_asdf1234qwerty`).
pub const MAX_LOG_ID_BYTES: usize = 128;
/// Longest free-text field accepted (names, messages, template names).
pub const MAX_TEXT_BYTES: usize = 1024;

/// A log's status, in the order that breaks ties between events of the same second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Sent,
    Deferred,
    Delivered,
    Opened,
    Clicked,
    Bounced,
    Dropped,
    Spam,
    Unsubscribed,
    Failed,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Queued,
        Status::Sent,
        Status::Deferred,
        Status::Delivered,
        Status::Opened,
        Status::Clicked,
        Status::Bounced,
        Status::Dropped,
        Status::Spam,
        Status::Unsubscribed,
        Status::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sent => "sent",
            Status::Deferred => "deferred",
            Status::Delivered => "delivered",
            Status::Opened => "opened",
            Status::Clicked => "clicked",
            Status::Bounced => "bounced",
            Status::Dropped => "dropped",
            Status::Spam => "spam",
            Status::Unsubscribed => "unsubscribed",
            Status::Failed => "failed",
        }
    }

    /// Position in [`Status::ALL`].
    pub fn rank(self) -> u64 {
        Status::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or_default() as u64
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub recipient_name: Option<String>,
    pub email_id: Option<String>,
    pub email_name: Option<String>,
    pub email_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub status: Status,
    pub message: Option<String>,
    /// When the status happened, Unix seconds.
    pub at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Sent(Sent),
    Status(StatusChange),
}

/// A valid event: once it exists, every field is within bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailEvent {
    pub email: Email,
    log_id: String,
    /// The send time, Unix seconds.
    pub created: u64,
    pub kind: EventKind,
}

/// The latest time an event may carry: 3000-01-01T00:00:00Z in Unix seconds. A later `created` or
/// `at` is milliseconds (today's are 13 digits) or otherwise absurd, and is refused.
pub const MAX_EVENT_SECONDS: u64 = 32_503_680_000;

type Object = serde_json::Map<String, serde_json::Value>;

/// A refused event: `field` says which part is wrong, the reason says how, never quoting a value
/// (values are addresses and names: they must not reach the logs or the dead-letter reason).
fn bad(field: &'static str, reason: impl Into<String>) -> ApiError {
    ApiError::bad_request(field, format!("not a valid email event: {}", reason.into()))
}

fn required_text<'a>(object: &'a Object, field: &'static str) -> Result<&'a str, ApiError> {
    match object.get(field) {
        Some(serde_json::Value::String(text)) => Ok(text),
        None | Some(serde_json::Value::Null) => Err(bad(field, format!("{field} is missing"))),
        Some(_) => Err(bad(field, format!("{field} must be a string"))),
    }
}

/// An optional free-text field: absent and `null` are "not given".
fn optional_text(object: &Object, field: &'static str) -> Result<Option<String>, ApiError> {
    match object.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) if text.len() > MAX_TEXT_BYTES => Err(bad(
            field,
            format!("{field} is longer than {MAX_TEXT_BYTES} bytes"),
        )),
        Some(serde_json::Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(bad(field, format!("{field} must be a string"))),
    }
}

/// Unix seconds, from 0 to [`MAX_EVENT_SECONDS`].
fn seconds(object: &Object, field: &'static str) -> Result<u64, ApiError> {
    match object.get(field).map(serde_json::Value::as_u64) {
        Some(Some(seconds)) if seconds <= MAX_EVENT_SECONDS => Ok(seconds),
        Some(Some(_)) => Err(bad(
            field,
            format!("{field} is after the year 3000: it must be Unix seconds, not milliseconds"),
        )),
        Some(None) => Err(bad(
            field,
            format!("{field} must be Unix seconds: a whole number, 0 or more"),
        )),
        None => Err(bad(field, format!("{field} is missing"))),
    }
}

/// A queue message read as JSON, or the refusal that says it is not JSON.
pub fn message_json(body: &str) -> Result<serde_json::Value, ApiError> {
    serde_json::from_str(body).map_err(|_| bad("body", "the message is not JSON"))
}

impl EmailEvent {
    /// Parses one queue message. The error names the field that is wrong, for the dead-letter
    /// record and the log, without its value. Unknown fields are ignored so that producers can
    /// add their own.
    pub fn parse(body: &str) -> Result<Self, ApiError> {
        Self::from_json(message_json(body)?)
    }

    /// As [`EmailEvent::parse`], for a message already read as JSON.
    pub fn from_json(value: serde_json::Value) -> Result<Self, ApiError> {
        let serde_json::Value::Object(object) = value else {
            return Err(bad("body", "the message is not a JSON object"));
        };
        let kind = match required_text(&object, "event")? {
            "sent" => EventKind::Sent(Sent {
                recipient_name: optional_text(&object, "recipient_name")?,
                email_id: optional_text(&object, "email_id")?,
                email_name: optional_text(&object, "email_name")?,
                email_version: optional_text(&object, "email_version")?,
            }),
            "status" => {
                let status = required_text(&object, "status")?;
                let status = Status::ALL
                    .into_iter()
                    .find(|known| known.as_str() == status)
                    .ok_or_else(|| bad("status", "status is not one of the contract's statuses"))?;
                EventKind::Status(StatusChange {
                    status,
                    message: optional_text(&object, "message")?,
                    at: seconds(&object, "at")?,
                })
            }
            _ => return Err(bad("event", "event must be \"sent\" or \"status\"")),
        };
        let log_id = required_text(&object, "log_id")?;
        let email = Email::parse(required_text(&object, "email")?)
            .map_err(|_| bad("email", "email is not a valid email address"))?;
        Self::new(email, log_id, seconds(&object, "created")?, kind)
    }

    /// An event from parts read elsewhere (an SES record): the log id and the time are checked
    /// as for a message of our own.
    pub fn new(
        email: Email,
        log_id: &str,
        created: u64,
        kind: EventKind,
    ) -> Result<Self, ApiError> {
        if log_id.is_empty()
            || log_id.len() > MAX_LOG_ID_BYTES
            || !log_id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(bad(
                "log_id",
                format!("log_id must be 1 to {MAX_LOG_ID_BYTES} printable ASCII characters"),
            ));
        }
        if created > MAX_EVENT_SECONDS {
            return Err(bad("created", "created is after the year 3000"));
        }
        Ok(Self {
            email,
            log_id: log_id.to_owned(),
            created,
            kind,
        })
    }

    pub fn log_id(&self) -> &str {
        &self.log_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_contract_order() {
        let ranks: Vec<u64> = Status::ALL.iter().map(|s| s.rank()).collect();
        assert_eq!(ranks, (0..11).collect::<Vec<u64>>());
        assert!(Status::Opened.rank() > Status::Delivered.rank());
    }

    #[test]
    fn parses_both_kinds() {
        let sent = EmailEvent::parse(
            r#"{"event":"sent","log_id":"log_1","email":"Matt@Example.com","created":5,"recipient_name":"Matt","extra":1}"#,
        )
        .unwrap();
        assert_eq!(sent.email.as_str(), "matt@example.com");
        assert!(matches!(
            sent.kind,
            EventKind::Sent(Sent {
                recipient_name: Some(_),
                email_id: None,
                ..
            })
        ));
        let status = EmailEvent::parse(
            r#"{"event":"status","log_id":"log_1","email":"m@example.com","created":5,"status":"opened","at":9}"#,
        )
        .unwrap();
        assert_eq!(
            status.kind,
            EventKind::Status(StatusChange {
                status: Status::Opened,
                message: None,
                at: 9
            })
        );
    }

    #[test]
    fn rejects_invalid_events() {
        for bad in [
            "not json",
            "[]",
            r#"{"event":"sent","email":"m@example.com","created":5}"#,
            r#"{"event":"bought","log_id":"l","email":"m@example.com","created":5}"#,
            r#"{"event":"sent","log_id":"l","email":"nope","created":5}"#,
            r#"{"event":"sent","log_id":"l","email":"m@example.com","created":"5"}"#,
            r#"{"event":"sent","log_id":"l","email":"m@example.com","created":-5}"#,
            r#"{"event":"sent","log_id":"","email":"m@example.com","created":5}"#,
            r#"{"event":"sent","log_id":"a b","email":"m@example.com","created":5}"#,
            r#"{"event":"status","log_id":"l","email":"m@example.com","created":5,"status":"read","at":6}"#,
            r#"{"event":"status","log_id":"l","email":"m@example.com","created":5,"status":"opened"}"#,
            r#"{"event":"sent","log_id":"l","email":"m@example.com","created":5.5}"#,
            r#"{"event":"sent","log_id":"l","email":"m@example.com","created":5,"email_id":7}"#,
        ] {
            assert!(EmailEvent::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_milliseconds_and_times_after_the_year_3000() {
        let sent = |created: u64| {
            EmailEvent::parse(&format!(
                r#"{{"event":"sent","log_id":"l","email":"m@example.com","created":{created}}}"#
            ))
        };
        let status = |at: u64| {
            EmailEvent::parse(&format!(
                r#"{{"event":"status","log_id":"l","email":"m@example.com","created":5,"status":"opened","at":{at}}}"#
            ))
        };
        assert!(sent(MAX_EVENT_SECONDS).is_ok() && status(MAX_EVENT_SECONDS).is_ok());
        for late in [MAX_EVENT_SECONDS + 1, 1_764_000_000_000] {
            let error = sent(late).unwrap_err();
            assert_eq!(error.field(), Some("created"));
            assert!(error.to_string().contains("milliseconds"), "{error}");
            assert_eq!(status(late).unwrap_err().field(), Some("at"));
        }
    }

    #[test]
    fn reasons_name_the_field_and_never_quote_the_value() {
        for (body, field, secret) in [
            (
                r#"{"event":"sent","log_id":"l","email":"secret\u200b@example.com","created":5}"#,
                "email",
                "secret",
            ),
            (
                r#"{"event":"bought-by-secret","log_id":"l","email":"m@example.com","created":5}"#,
                "event",
                "secret",
            ),
            (
                r#"{"event":"sent","log_id":"l","email":"m@example.com","created":"secret"}"#,
                "created",
                "secret",
            ),
            (
                r#"{"event":"status","log_id":"l","email":"m@example.com","created":5,"status":"secret","at":6}"#,
                "status",
                "secret",
            ),
            (
                r#"{"event":"sent","log_id":"l","email":"m@example.com","created":5,"recipient_name":["secret"]}"#,
                "recipient_name",
                "secret",
            ),
            (r#"{"event":"sent","secret":"#, "body", "secret"),
        ] {
            let error = EmailEvent::parse(body).unwrap_err();
            assert_eq!(error.field(), Some(field), "{body}");
            assert!(!error.to_string().contains(secret), "{error}");
        }
    }
}
