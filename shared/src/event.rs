//! Email events: what `record-email-event` reads from its queue, one JSON object per message.
//!
//! `email`, `log_id` and `created` (the send time) identify the log in every event, so each event
//! is one write to a known key. The rules that make order and duplicates not matter:
//! - `sent` fills in the log's details once; a second `sent` changes nothing. It sets the status
//!   to `sent` only if no status event got there first.
//! - `status` applies only if its `at` is newer than the status already applied, or equal and
//!   later in [`Status::ALL`]; a duplicate or stale status changes nothing.

use crate::{ApiError, Email};
use serde::Deserialize;

/// Longest `log_id` accepted; ids are short opaque tokens (`log_asdf1234qwerty`).
pub const MAX_LOG_ID_BYTES: usize = 128;
/// Longest free-text field accepted (names, messages, template names).
pub const MAX_TEXT_BYTES: usize = 1024;

/// A log's status, in the order that breaks ties between events of the same second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
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

/// The wire shape; unknown fields are ignored so that producers can add their own.
#[derive(Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Wire {
    Sent {
        log_id: String,
        email: String,
        created: u64,
        recipient_name: Option<String>,
        email_id: Option<String>,
        email_name: Option<String>,
        email_version: Option<String>,
    },
    Status {
        log_id: String,
        email: String,
        created: u64,
        status: Status,
        message: Option<String>,
        at: u64,
    },
}

fn bounded_text(name: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(text) if text.len() > MAX_TEXT_BYTES => Err(ApiError::bad_request(format!(
            "{name} is longer than {MAX_TEXT_BYTES} bytes."
        ))),
        other => Ok(other),
    }
}

impl EmailEvent {
    /// Parses one queue message. The error says what is wrong, for the dead-letter record.
    pub fn parse(body: &str) -> Result<Self, ApiError> {
        let wire: Wire = serde_json::from_str(body)
            .map_err(|e| ApiError::bad_request(format!("not a valid email event: {e}")))?;
        let (log_id, email, created, kind) = match wire {
            Wire::Sent {
                log_id,
                email,
                created,
                recipient_name,
                email_id,
                email_name,
                email_version,
            } => (
                log_id,
                email,
                created,
                EventKind::Sent(Sent {
                    recipient_name: bounded_text("recipient_name", recipient_name)?,
                    email_id: bounded_text("email_id", email_id)?,
                    email_name: bounded_text("email_name", email_name)?,
                    email_version: bounded_text("email_version", email_version)?,
                }),
            ),
            Wire::Status {
                log_id,
                email,
                created,
                status,
                message,
                at,
            } => (
                log_id,
                email,
                created,
                EventKind::Status(StatusChange {
                    status,
                    message: bounded_text("message", message)?,
                    at,
                }),
            ),
        };
        if log_id.is_empty()
            || log_id.len() > MAX_LOG_ID_BYTES
            || !log_id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ApiError::bad_request(format!(
                "log_id must be 1 to {MAX_LOG_ID_BYTES} printable ASCII characters."
            )));
        }
        Ok(Self {
            email: Email::parse(&email)?,
            log_id,
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
        ] {
            assert!(EmailEvent::parse(bad).is_err(), "{bad}");
        }
    }
}
