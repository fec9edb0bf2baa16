//! The logs table written: each email event is one conditional `UpdateItem` on the log's key, so
//! that every arrival order of a log's events ends in the same item (the rules are in
//! `model::event`).

use crate::model::error::ApiError;
use crate::model::event::{EmailEvent, EventKind, Status};
use crate::store::failure::classify;
use crate::store::logs::LogStore;
use crate::store::schema::{LOGS, LOGS_SORT_KEY, log_sort_key};
use crate::store::update::Update;
use aws_sdk_dynamodb::types::AttributeValue;

/// What applying an event did to its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The event changed the log.
    Applied,
    /// A duplicate or a stale status: the log already reflects it.
    AlreadyReflected,
}

/// The last key of a status event's order: events of the same second and status are ordered by
/// their message, no message first.
fn tiebreak(message: Option<&str>) -> String {
    message.map_or_else(String::new, |message| format!("={message}"))
}

impl LogStore {
    /// Applies one email event to its log as one conditional write; see `model::event` for the
    /// rules.
    pub async fn apply(
        &self,
        event: &EmailEvent,
        retention_seconds: u64,
    ) -> Result<Outcome, ApiError> {
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
        let result = update
            .request(&self.client, &self.table)
            .key(LOGS.partition_key.name, s(event.email.as_str()))
            .key(
                LOGS_SORT_KEY,
                s(&log_sort_key(event.created, event.log_id())),
            )
            .condition_expression(condition)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Outcome::Applied),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Outcome::AlreadyReflected)
            }
            Err(err) => Err(classify("UpdateItem logs", err)),
        }
    }
}
