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
//! - Every distinct event a log receives is kept (its send and each status event), once however
//!   often it is delivered: [`EmailEvent::key`] names it.
//! - A log that has received two or more distinct `opened` (`clicked`) events shows `re_opened`
//!   (`re_clicked`) where it would show `opened` (`clicked`), whatever their order.
//! - A message-wide status event ([`Scope::Message`]: an SES open, click or subscription, which
//!   SES cannot tie to one recipient) is ordered among the message-wide ones alone. The log shows
//!   the greater of the two orders' statuses, except that a failed delivery to this recipient
//!   ([`Status::is_failed_delivery`]) is shown whatever message-wide event came.
//! - `created` and `at` are Unix seconds up to [`MAX_EVENT_SECONDS`]: a later value is
//!   milliseconds or absurd, and the event is refused.

use crate::model::email::Email;
use crate::model::error::{ApiError, MAX_BODY_BYTES};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Longest `log_id` accepted; ids are short opaque tokens (`log_asdf1234qwerty`).
pub const MAX_LOG_ID_BYTES: usize = 128;
/// Longest free-text field accepted (names, messages, template names).
pub const MAX_TEXT_BYTES: usize = 1024;

/// A log's status: sendwithus's seventeen (`v1/logs.md`), listed in the order that breaks ties
/// between status events of the same second (a later one wins):
///
/// `requested`, `triggered`, `queued`, `failed_to_queue`, `sent`, `processed`, `deferred`,
/// `delivered`, `opened`, `re_opened`, `clicked`, `re_clicked`, `bounced`, `dropped`,
/// `reported_as_spam`, `unsubscribed`, `failed_to_send`.
///
/// The order follows a message's life (accepted, queued, handed to the provider, delivered, read),
/// and puts the outcomes that end it (a bounce, a drop, a complaint, an unsubscription, a failure)
/// after everything they can follow within a second. The eleven statuses of the earlier contract
/// keep their stored rank (`queued` 0, `sent` 1, ... `failed` 10), and the six new ones sit
/// between them at half steps or below zero, so that a log stored before the change breaks ties
/// the same way against a new event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Requested,
    Triggered,
    Queued,
    FailedToQueue,
    Sent,
    Processed,
    Deferred,
    Delivered,
    Opened,
    ReOpened,
    Clicked,
    ReClicked,
    Bounced,
    Dropped,
    ReportedAsSpam,
    Unsubscribed,
    FailedToSend,
}

impl Status {
    /// Every status, in tie order.
    pub const ALL: [Status; 17] = [
        Status::Requested,
        Status::Triggered,
        Status::Queued,
        Status::FailedToQueue,
        Status::Sent,
        Status::Processed,
        Status::Deferred,
        Status::Delivered,
        Status::Opened,
        Status::ReOpened,
        Status::Clicked,
        Status::ReClicked,
        Status::Bounced,
        Status::Dropped,
        Status::ReportedAsSpam,
        Status::Unsubscribed,
        Status::FailedToSend,
    ];

    /// The name sendwithus gives it, as every response and event carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Triggered => "triggered",
            Status::Queued => "queued",
            Status::FailedToQueue => "failed_to_queue",
            Status::Sent => "sent",
            Status::Processed => "processed",
            Status::Deferred => "deferred",
            Status::Delivered => "delivered",
            Status::Opened => "opened",
            Status::ReOpened => "re_opened",
            Status::Clicked => "clicked",
            Status::ReClicked => "re_clicked",
            Status::Bounced => "bounced",
            Status::Dropped => "dropped",
            Status::ReportedAsSpam => "reported_as_spam",
            Status::Unsubscribed => "unsubscribed",
            Status::FailedToSend => "failed_to_send",
        }
    }

    /// The status a name means: one of the seventeen, or a name of the earlier contract (`spam`
    /// and `failed`), which producers may still send and logs stored before may still hold.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "spam" => Some(Status::ReportedAsSpam),
            "failed" => Some(Status::FailedToSend),
            _ => Status::ALL.into_iter().find(|known| known.as_str() == name),
        }
    }

    /// The place in the tie order, in tenths: the eleven earlier statuses at their old ranks times
    /// ten, the new ones between. Stored as a DynamoDB number ([`Status::rank_number`]).
    pub fn rank_tenths(self) -> i32 {
        match self {
            Status::Requested => -20,
            Status::Triggered => -10,
            Status::Queued => 0,
            Status::FailedToQueue => 5,
            Status::Sent => 10,
            Status::Processed => 15,
            Status::Deferred => 20,
            Status::Delivered => 30,
            Status::Opened => 40,
            Status::ReOpened => 45,
            Status::Clicked => 50,
            Status::ReClicked => 55,
            Status::Bounced => 60,
            Status::Dropped => 70,
            Status::ReportedAsSpam => 80,
            Status::Unsubscribed => 90,
            Status::FailedToSend => 100,
        }
    }

    /// A delivery to this recipient that failed for good: a bounce, a drop (SES's reject), a
    /// complaint or a failure to send. A message-wide event (another recipient's open) never
    /// outranks it.
    pub fn is_failed_delivery(self) -> bool {
        matches!(
            self,
            Status::Bounced | Status::Dropped | Status::ReportedAsSpam | Status::FailedToSend
        )
    }

    /// The rank as the decimal a stored log compares (`-2`, `0.5`, `4`).
    pub fn rank_number(self) -> String {
        let tenths = self.rank_tenths();
        let sign = if tenths < 0 { "-" } else { "" };
        let (whole, tenth) = (tenths.abs() / 10, tenths.abs() % 10);
        if tenth == 0 {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{tenth}")
        }
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
    pub scope: Scope,
}

/// Whom a status event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// This recipient: every event of our own format, and SES's deliveries, delays, bounces,
    /// complaints, rejects and rendering failures.
    Recipient,
    /// The whole message, where SES cannot say which of its recipients acted (an open, a click, a
    /// subscription). Such an event never hides a failed delivery of this recipient: see
    /// [`Status::is_failed_delivery`].
    Message,
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

/// A log id as the contract allows it: 1 to [`MAX_LOG_ID_BYTES`] printable ASCII characters.
pub fn is_valid_log_id(log_id: &str) -> bool {
    !log_id.is_empty()
        && log_id.len() <= MAX_LOG_ID_BYTES
        && log_id.bytes().all(|b| b.is_ascii_graphic())
}

/// One entry of a log's history, as `GET /logs/{log_id}/events` lists it: a send is the entry
/// `sent` at the send time without a message; a status event is its status at its `at`, with its
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub status: Status,
    /// Unix seconds.
    pub at: u64,
    pub message: Option<String>,
}

impl Scope {
    /// The name an event of our own format gives it (`"scope"`, optional, `recipient` by default).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Recipient => "recipient",
            Scope::Message => "message",
        }
    }
}

impl LogEntry {
    /// The entry's identity: a digest of its status, time and message (32 hex digits), so two
    /// deliveries of one event are one entry, and two events that differ in any of them are two.
    pub fn id(&self) -> String {
        let mut digest = Sha256::new();
        digest.update(self.status.as_str());
        digest.update([0]);
        digest.update(self.at.to_string());
        match &self.message {
            // A marker byte first, so that no message and an empty one differ.
            Some(message) => {
                digest.update([0, 1]);
                digest.update(message);
            }
            None => digest.update([0, 0]),
        }
        digest.finalize()[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// The docs' event object, `{"object", "created", "type", "message"}`, with the same two
    /// values also as `status` and `status_message`: the names the official C# client's
    /// `LogEvent` reads.
    pub fn to_json(&self) -> Value {
        json!({
            "object": "event",
            "created": self.at,
            "type": self.status.as_str(),
            "message": self.message,
            "status": self.status.as_str(),
            "status_message": self.message,
        })
    }
}

/// A queue message read as JSON, or the refusal that says it is not JSON or too large. A message
/// over [`MAX_BODY_BYTES`] (the API's own body limit; an SES record is a few KiB) is refused before
/// it is parsed.
pub fn message_json(body: &str) -> Result<serde_json::Value, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(bad(
            "body",
            format!("the message is larger than {} KiB", MAX_BODY_BYTES / 1024),
        ));
    }
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
                let status = Status::from_name(status)
                    .ok_or_else(|| bad("status", "status is not one of the contract's statuses"))?;
                EventKind::Status(StatusChange {
                    status,
                    message: optional_text(&object, "message")?,
                    at: seconds(&object, "at")?,
                    scope: match object.get("scope").and_then(serde_json::Value::as_str) {
                        None | Some("recipient") => Scope::Recipient,
                        Some("message") => Scope::Message,
                        Some(_) => {
                            return Err(bad("scope", "scope must be \"recipient\" or \"message\""));
                        }
                    },
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
        if !is_valid_log_id(log_id) {
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

    /// Whom the event is about: a status event's scope; a send is the recipient's.
    pub fn scope(&self) -> Scope {
        match &self.kind {
            EventKind::Status(change) => change.scope,
            EventKind::Sent(_) => Scope::Recipient,
        }
    }

    /// The entry this event adds to its log's history.
    pub fn entry(&self) -> LogEntry {
        match &self.kind {
            EventKind::Sent(_) => LogEntry {
                status: Status::Sent,
                at: self.created,
                message: None,
            },
            EventKind::Status(change) => LogEntry {
                status: change.status,
                at: change.at,
                message: change.message.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_documented_order_and_keep_the_earlier_ones() {
        let ranks: Vec<i32> = Status::ALL.iter().map(|s| s.rank_tenths()).collect();
        let mut sorted = ranks.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ranks, sorted, "ALL is in rank order, each rank once");
        // The earlier contract's eleven, at the ranks logs stored before this change hold.
        for (old, name) in [
            "queued",
            "sent",
            "deferred",
            "delivered",
            "opened",
            "clicked",
            "bounced",
            "dropped",
            "spam",
            "unsubscribed",
            "failed",
        ]
        .into_iter()
        .enumerate()
        {
            let status = Status::from_name(name).unwrap();
            assert_eq!(status.rank_number(), old.to_string(), "{name}");
        }
        assert_eq!(Status::FailedToQueue.rank_number(), "0.5");
        assert_eq!(Status::Requested.rank_number(), "-2");
        assert_eq!(Status::ReClicked.rank_number(), "5.5");
    }

    #[test]
    fn an_entry_is_named_by_its_status_time_and_message() {
        let entry = |status, at, message: Option<&str>| LogEntry {
            status,
            at,
            message: message.map(str::to_owned),
        };
        let opened = entry(Status::Opened, 10, Some("SendGrid: opened"));
        assert_eq!(opened.id(), opened.clone().id());
        assert_eq!(opened.id().len(), 32);
        for other in [
            entry(Status::Clicked, 10, Some("SendGrid: opened")),
            entry(Status::Opened, 11, Some("SendGrid: opened")),
            entry(Status::Opened, 10, Some("SendGrid: opened again")),
            entry(Status::Opened, 10, None),
            entry(Status::Opened, 10, Some("")),
        ] {
            assert_ne!(opened.id(), other.id(), "{other:?}");
        }
        assert_ne!(
            entry(Status::Opened, 10, None).id(),
            entry(Status::Opened, 10, Some("")).id()
        );
        let json = opened.to_json();
        assert_eq!(json["type"], "opened");
        assert_eq!(json["status"], json["type"]);
        assert_eq!(json["status_message"], json["message"]);
    }

    #[test]
    fn every_name_is_read_back_and_the_old_ones_mean_the_new() {
        assert_eq!(Status::ALL.len(), 17);
        for status in Status::ALL {
            assert_eq!(Status::from_name(status.as_str()), Some(status));
        }
        assert_eq!(Status::from_name("spam"), Some(Status::ReportedAsSpam));
        assert_eq!(Status::from_name("failed"), Some(Status::FailedToSend));
        for unknown in ["read", "Opened", "re-opened", ""] {
            assert_eq!(Status::from_name(unknown), None, "{unknown}");
        }
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
                at: 9,
                scope: Scope::Recipient,
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
            r#"{"event":"status","log_id":"l","email":"m@example.com","created":5,"status":"opened","at":6,"scope":"everyone"}"#,
        ] {
            assert!(EmailEvent::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_status_event_may_say_it_concerns_the_whole_message() {
        let event = |scope: &str| {
            EmailEvent::parse(&format!(
                r#"{{"event":"status","log_id":"l","email":"m@example.com","created":5,"status":"opened","at":6{scope}}}"#
            ))
            .unwrap()
            .scope()
        };
        assert_eq!(event(""), Scope::Recipient);
        assert_eq!(event(r#","scope":"recipient""#), Scope::Recipient);
        assert_eq!(event(r#","scope":"message""#), Scope::Message);
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
