//! Amazon SES event-publishing records, as they reach the queue through EventBridge, turned into
//! the email events of `model::event` (one per recipient the record concerns).
//!
//! Why EventBridge and not SNS: SES publishes to the account's default event bus with no topic to
//! create, and a rule can match our configuration set's records alone (by the
//! `ses:configuration-set` tag SES adds to every message), so other senders' mail in the account
//! never reaches the queue. A message is recognised by its shape: an object whose `source` is
//! `aws.ses` and whose `detail` holds `eventType` and `mail`. Anything else is not an SES record.
//!
//! The mapping (the README's table says the same):
//! - `log_id` is the SES message id, a `-` and 16 hex digits derived from the recipient alone
//!   ([`recipient_log_id`]): each recipient of one message has a log of its own, a redelivered
//!   record finds the same one, and the SES message id an operator looks up in SES's own tools is
//!   the id's prefix, as it is. `created` is `mail.timestamp` in seconds; `at` is the event's
//!   own timestamp (`mail.timestamp` for the types that have none).
//! - `Send` becomes a `sent` event per recipient: `recipient_name` from the `To` header's display
//!   name for that address, `email_id`, `email_name` and `email_version` from the message tags of
//!   those names, `email_name` falling back to the subject.
//! - Every other type becomes a status event, for the recipients it concerns: a bounce, complaint,
//!   delivery or delay lists them; an open, click, reject, rendering failure or subscription
//!   concerns the whole message, so SES cannot say which of several recipients acted, and the
//!   status applies to each of them.

use crate::model::email::Email;
use crate::model::error::ApiError;
use crate::model::event::{
    EmailEvent, EventKind, MAX_EVENT_SECONDS, MAX_TEXT_BYTES, Sent, Status, StatusChange,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The message tags that carry the sendwithus fields.
pub const TAG_EMAIL_ID: &str = "email_id";
pub const TAG_EMAIL_NAME: &str = "email_name";
pub const TAG_EMAIL_VERSION: &str = "email_version";

fn bad(field: &'static str, reason: &str) -> ApiError {
    ApiError::bad_request(field, format!("not a valid SES event record: {reason}"))
}

/// One SES record: the `detail` of the EventBridge event that carries it.
#[derive(Debug, Clone, Copy)]
pub struct SesRecord<'a> {
    detail: &'a Map<String, Value>,
}

impl<'a> SesRecord<'a> {
    /// The SES record a queue message carries, or `None` when the message is something else.
    pub fn in_message(message: &'a Value) -> Option<Self> {
        let object = message.as_object()?;
        if object.get("source")?.as_str()? != "aws.ses" {
            return None;
        }
        let detail = object.get("detail")?.as_object()?;
        (detail.contains_key("eventType") && detail.contains_key("mail")).then_some(Self { detail })
    }

    /// The events this record stands for, one per recipient it concerns.
    pub fn events(&self) -> Result<Vec<EmailEvent>, ApiError> {
        events(self.detail)
    }
}

fn seconds(field: &'static str, value: Option<&Value>) -> Result<u64, ApiError> {
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| bad(field, &format!("{field} is missing")))?;
    let time = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| bad(field, &format!("{field} is not an ISO 8601 time")))?;
    u64::try_from(time.unix_timestamp())
        .ok()
        .filter(|secs| *secs <= MAX_EVENT_SECONDS)
        .ok_or_else(|| bad(field, &format!("{field} is out of range")))
}

/// A string field, trimmed, `None` when empty, and cut at [`MAX_TEXT_BYTES`] (on a character
/// boundary): SES's own texts (SMTP responses, diagnostic codes) may be longer than a log keeps.
fn truncated_text(value: Option<&Value>) -> Option<String> {
    let text = value?.as_str()?.trim();
    if text.is_empty() {
        return None;
    }
    let mut end = text.len().min(MAX_TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_owned())
}

/// The recipients an event part lists in `list`: each entry a string, or (with `key`) an object
/// holding the address under `key` and, perhaps, a `diagnosticCode`.
fn recipients(
    part: Option<&Value>,
    list: &str,
    key: Option<&str>,
) -> Vec<(String, Option<String>)> {
    let Some(items) = part.and_then(|p| p.get(list)).and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match key {
            Some(key) => Some((
                item.get(key)?.as_str()?.to_owned(),
                truncated_text(item.get("diagnosticCode")),
            )),
            None => Some((item.as_str()?.to_owned(), None)),
        })
        .collect()
}

/// The first value of a message tag (SES lists each tag's values).
fn tag(mail: &Map<String, Value>, name: &str) -> Option<String> {
    truncated_text(mail.get("tags")?.get(name)?.get(0))
}

fn header(mail: &Map<String, Value>, name: &str) -> Option<String> {
    mail.get("commonHeaders")
        .and_then(|h| h.get(name.to_ascii_lowercase()))
        .and_then(|v| if v.is_array() { v.get(0) } else { Some(v) })
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The display name the `To` header gives `address`, if any (`"Matt" <matt@example.com>`).
fn display_name(mail: &Map<String, Value>, address: &Email) -> Option<String> {
    let to = mail.get("commonHeaders")?.get("to")?.as_array()?;
    to.iter().filter_map(Value::as_str).find_map(|entry| {
        let (name, rest) = entry.rsplit_once('<')?;
        let inner = rest.trim_end().strip_suffix('>')?;
        let parsed = Email::parse(inner).ok()?;
        let name = name.trim().trim_matches('"').trim();
        (parsed == *address && !name.is_empty()).then(|| name.to_owned())
    })
}

/// The log id of `recipient`'s copy of SES message `message_id`: the message id, `-`, and the
/// first 16 hex digits of the SHA-256 of the recipient's canonical address.
pub fn recipient_log_id(message_id: &str, recipient: &Email) -> String {
    let digest = Sha256::digest(recipient.as_str().as_bytes());
    let suffix: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{message_id}-{suffix}")
}

/// The events of the SES record `detail`, one per recipient it concerns.
fn events(detail: &Map<String, Value>) -> Result<Vec<EmailEvent>, ApiError> {
    let mail = detail
        .get("mail")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("mail", "mail is missing"))?;
    let message_id = mail
        .get("messageId")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("mail", "mail.messageId is missing"))?;
    let created = seconds("mail.timestamp", mail.get("timestamp"))?;
    let everyone = recipients(detail.get("mail"), "destination", None);
    let kind = detail
        .get("eventType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let part = |name: &str| detail.get(name);
    let at = |name: &str| match part(name).and_then(|p| p.get("timestamp")) {
        Some(timestamp) => seconds("timestamp", Some(timestamp)),
        None => Ok(created),
    };
    let (status, recipients, at, message) = match kind {
        "Send" => (None, everyone, created, None),
        "Delivery" => (
            Some(Status::Delivered),
            recipients(part("delivery"), "recipients", None),
            at("delivery")?,
            truncated_text(part("delivery").and_then(|p| p.get("smtpResponse"))),
        ),
        "DeliveryDelay" => (
            Some(Status::Deferred),
            recipients(
                part("deliveryDelay"),
                "delayedRecipients",
                Some("emailAddress"),
            ),
            at("deliveryDelay")?,
            truncated_text(part("deliveryDelay").and_then(|p| p.get("delayType"))),
        ),
        "Bounce" => (
            Some(Status::Bounced),
            recipients(part("bounce"), "bouncedRecipients", Some("emailAddress")),
            at("bounce")?,
            None,
        ),
        "Complaint" => (
            Some(Status::ReportedAsSpam),
            recipients(
                part("complaint"),
                "complainedRecipients",
                Some("emailAddress"),
            ),
            at("complaint")?,
            truncated_text(part("complaint").and_then(|p| p.get("complaintFeedbackType"))),
        ),
        "Open" => (Some(Status::Opened), everyone, at("open")?, None),
        "Click" => (
            Some(Status::Clicked),
            everyone,
            at("click")?,
            truncated_text(part("click").and_then(|p| p.get("link"))),
        ),
        "Reject" => (
            Some(Status::Dropped),
            everyone,
            created,
            truncated_text(part("reject").and_then(|p| p.get("reason"))),
        ),
        "Rendering Failure" => (
            Some(Status::FailedToSend),
            everyone,
            created,
            truncated_text(part("failure").and_then(|p| p.get("errorMessage"))),
        ),
        "Subscription" => (
            Some(Status::Unsubscribed),
            everyone,
            at("subscription")?,
            None,
        ),
        _ => return Err(bad("eventType", "eventType is not one SES publishes")),
    };
    if recipients.is_empty() {
        return Err(bad("mail", "the record concerns no recipient"));
    }
    let subject = header(mail, "subject");
    recipients
        .into_iter()
        .map(|(address, diagnostic)| {
            let email = Email::parse(&address)
                .map_err(|_| bad("email", "a recipient is not a valid email address"))?;
            let kind = match status {
                None => EventKind::Sent(Sent {
                    recipient_name: display_name(mail, &email),
                    email_id: tag(mail, TAG_EMAIL_ID),
                    email_name: tag(mail, TAG_EMAIL_NAME).or_else(|| subject.clone()),
                    email_version: tag(mail, TAG_EMAIL_VERSION),
                }),
                Some(status) => EventKind::Status(StatusChange {
                    status,
                    message: diagnostic.or_else(|| message.clone()),
                    at,
                }),
            };
            let log_id = recipient_log_id(message_id, &email);
            EmailEvent::new(email, &log_id, created, kind)
        })
        .collect()
}
