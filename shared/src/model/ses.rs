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
//!   name for that address (the header read once, as an RFC 5322 address list), `email_id`,
//!   `email_name` and `email_version` from the message tags of those names, `email_name` falling
//!   back to the subject. Every text is cut to [`MAX_TEXT_BYTES`].
//! - Every other type becomes a status event, for the recipients it concerns: a bounce, complaint,
//!   delivery or delay lists them, and only those of `mail.destination` count; a reject or
//!   rendering failure concerns every recipient; an open, click or subscription concerns the whole
//!   message, SES cannot say which recipient acted, so it applies to each of them as a
//!   [`Scope::Message`] event, which never hides a failed delivery.
//! - A record naming more than [`MAX_RECIPIENTS`] recipients is refused whole; an invalid or
//!   foreign recipient is refused alone ([`RecordEvents::refused`]).
//! - A clicked link is kept without its query and fragment, which may hold a live token.

use crate::model::email::Email;
use crate::model::error::ApiError;
use crate::model::event::{
    EmailEvent, EventKind, MAX_EVENT_SECONDS, MAX_TEXT_BYTES, Scope, Sent, Status, StatusChange,
};
use mailparse::MailAddr;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The most recipients one record may name: SES sends a message to at most 50.
pub const MAX_RECIPIENTS: usize = 50;
/// The longest `To` header whose display names are read (every entry together).
pub const MAX_TO_HEADER_BYTES: usize = 16 * 1024;

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

    /// The events this record stands for, one per recipient it concerns, and the recipients it
    /// names that cannot be recorded.
    pub fn events(&self) -> Result<RecordEvents, ApiError> {
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

/// A `commonHeaders` value: the first of a list, or the value itself, as SES gives it.
fn header<'a>(mail: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    mail.get("commonHeaders")
        .and_then(|h| h.get(name))
        .and_then(|v| if v.is_array() { v.get(0) } else { Some(v) })
}

/// The display names the `To` header gives its addresses, read once per record: RFC 5322 address
/// lists (several in one entry, quoted names with commas, groups), parsed by `mailparse`. A header
/// over [`MAX_TO_HEADER_BYTES`] gives no names: names are a nicety, not worth parsing a flood for.
fn display_names(mail: &Map<String, Value>) -> HashMap<Email, String> {
    let Some(entries) = mail
        .get("commonHeaders")
        .and_then(|h| h.get("to"))
        .and_then(Value::as_array)
    else {
        return HashMap::new();
    };
    let texts: Vec<&str> = entries.iter().filter_map(Value::as_str).collect();
    if texts.iter().map(|text| text.len()).sum::<usize>() > MAX_TO_HEADER_BYTES {
        return HashMap::new();
    }
    let mut names = HashMap::new();
    for text in texts {
        let Ok(list) = mailparse::addrparse(text) else {
            continue;
        };
        for address in list.iter() {
            let singles = match address {
                MailAddr::Single(single) => std::slice::from_ref(single),
                MailAddr::Group(group) => group.addrs.as_slice(),
            };
            for single in singles {
                let name = single
                    .display_name
                    .as_deref()
                    .and_then(|name| truncated_text(Some(&Value::from(name))));
                if let (Some(name), Ok(email)) = (name, Email::parse(&single.addr)) {
                    names.entry(email).or_insert(name);
                }
            }
        }
    }
    names
}

/// A clicked link without its query and fragment: in transactional mail those often hold a live
/// token (a password reset, a magic login), which a log kept for a year must not.
fn link_without_secrets(link: Option<&Value>) -> Option<String> {
    let link = truncated_text(link)?;
    let kept = link.split(['?', '#']).next().unwrap_or_default();
    (!kept.is_empty()).then(|| kept.to_owned())
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

/// What one SES record stands for: an event per recipient it concerns, and the recipients it
/// names that cannot be recorded, each refused by the field that names it.
#[derive(Debug, Default)]
pub struct RecordEvents {
    pub events: Vec<EmailEvent>,
    pub refused: Vec<ApiError>,
}

/// The events of the SES record `detail`, one per recipient it concerns. A record naming more
/// recipients than SES allows, or no time, id or known type, is refused whole; a recipient that is
/// not a valid address, or (for a bounce, complaint, delivery or delay) not one of the message's
/// `mail.destination`, is refused alone and the others are recorded.
fn events(detail: &Map<String, Value>) -> Result<RecordEvents, ApiError> {
    let mail = detail
        .get("mail")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("mail", "mail is missing"))?;
    let message_id = mail
        .get("messageId")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("mail", "mail.messageId is missing"))?;
    let created = seconds("mail.timestamp", mail.get("timestamp"))?;
    let destination = recipients(detail.get("mail"), "destination", None);
    if destination.len() > MAX_RECIPIENTS {
        return Err(bad(
            "mail.destination",
            &format!("mail.destination names more than {MAX_RECIPIENTS} recipients"),
        ));
    }
    let kind = detail
        .get("eventType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let part = |name: &str| detail.get(name);
    let at = |name: &str| match part(name).and_then(|p| p.get("timestamp")) {
        Some(timestamp) => seconds("timestamp", Some(timestamp)),
        None => Ok(created),
    };
    // (status, the field that lists the recipients, its recipients, time, message, scope)
    let listed = |name: &str, list: &str, key: Option<&str>| recipients(part(name), list, key);
    let (status, field, named, at, message, scope) = match kind {
        "Send" => (
            None,
            "mail.destination",
            destination.clone(),
            created,
            None,
            Scope::Recipient,
        ),
        "Delivery" => (
            Some(Status::Delivered),
            "delivery.recipients",
            listed("delivery", "recipients", None),
            at("delivery")?,
            truncated_text(part("delivery").and_then(|p| p.get("smtpResponse"))),
            Scope::Recipient,
        ),
        "DeliveryDelay" => (
            Some(Status::Deferred),
            "deliveryDelay.delayedRecipients",
            listed("deliveryDelay", "delayedRecipients", Some("emailAddress")),
            at("deliveryDelay")?,
            truncated_text(part("deliveryDelay").and_then(|p| p.get("delayType"))),
            Scope::Recipient,
        ),
        "Bounce" => (
            Some(Status::Bounced),
            "bounce.bouncedRecipients",
            listed("bounce", "bouncedRecipients", Some("emailAddress")),
            at("bounce")?,
            None,
            Scope::Recipient,
        ),
        "Complaint" => (
            Some(Status::ReportedAsSpam),
            "complaint.complainedRecipients",
            listed("complaint", "complainedRecipients", Some("emailAddress")),
            at("complaint")?,
            truncated_text(part("complaint").and_then(|p| p.get("complaintFeedbackType"))),
            Scope::Recipient,
        ),
        "Open" => (
            Some(Status::Opened),
            "mail.destination",
            destination.clone(),
            at("open")?,
            None,
            Scope::Message,
        ),
        "Click" => (
            Some(Status::Clicked),
            "mail.destination",
            destination.clone(),
            at("click")?,
            link_without_secrets(part("click").and_then(|p| p.get("link"))),
            Scope::Message,
        ),
        "Reject" => (
            Some(Status::Dropped),
            "mail.destination",
            destination.clone(),
            created,
            truncated_text(part("reject").and_then(|p| p.get("reason"))),
            Scope::Recipient,
        ),
        "Rendering Failure" => (
            Some(Status::FailedToSend),
            "mail.destination",
            destination.clone(),
            created,
            truncated_text(part("failure").and_then(|p| p.get("errorMessage"))),
            Scope::Recipient,
        ),
        "Subscription" => (
            Some(Status::Unsubscribed),
            "mail.destination",
            destination.clone(),
            at("subscription")?,
            None,
            Scope::Message,
        ),
        _ => return Err(bad("eventType", "eventType is not one SES publishes")),
    };
    if named.len() > MAX_RECIPIENTS {
        return Err(bad(
            field,
            &format!("{field} names more than {MAX_RECIPIENTS} recipients"),
        ));
    }
    let members: HashSet<Email> = destination
        .iter()
        .filter_map(|(address, _)| Email::parse(address).ok())
        .collect();
    let names = if status.is_none() {
        display_names(mail)
    } else {
        HashMap::new()
    };
    let subject = header(mail, "subject").and_then(|subject| truncated_text(Some(subject)));
    let mut record = RecordEvents::default();
    let mut seen = HashSet::new();
    for (address, diagnostic) in named {
        let Ok(email) = Email::parse(&address) else {
            record.refused.push(bad(
                field,
                &format!("a recipient in {field} is not a valid email address"),
            ));
            continue;
        };
        if !members.contains(&email) {
            record.refused.push(bad(
                field,
                &format!("a recipient in {field} is not in mail.destination"),
            ));
            continue;
        }
        if !seen.insert(email.clone()) {
            continue;
        }
        let kind = match status {
            None => EventKind::Sent(Sent {
                recipient_name: names.get(&email).cloned(),
                email_id: tag(mail, TAG_EMAIL_ID),
                email_name: tag(mail, TAG_EMAIL_NAME).or_else(|| subject.clone()),
                email_version: tag(mail, TAG_EMAIL_VERSION),
            }),
            Some(status) => EventKind::Status(StatusChange {
                status,
                message: diagnostic.or_else(|| message.clone()),
                at,
                scope,
            }),
        };
        let log_id = recipient_log_id(message_id, &email);
        record
            .events
            .push(EmailEvent::new(email, &log_id, created, kind)?);
    }
    if record.events.is_empty() {
        return Err(record
            .refused
            .pop()
            .unwrap_or_else(|| bad("mail", "the record concerns no recipient")));
    }
    Ok(record)
}
