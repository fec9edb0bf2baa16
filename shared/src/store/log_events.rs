//! Email events written, so that every arrival order of a log's events ends in the same log (the
//! rules are in `model::event`). Each event is, at once:
//! - first, one `GetItem` of the list of erased addresses (`store::erasure`): an erased person's
//!   event is dropped, and nothing below is written;
//! - one conditional `UpdateItem` of the log: the send's fields, or the status if it outranks the
//!   one applied;
//! - one `PutItem` of its entry in the log's history (`store::history`), the same item however
//!   often the event comes;
//! - for an open or a click, one `UpdateItem` adding the entry's id to the log's set of distinct
//!   opens or clicks while it holds fewer than two: two mean `re_opened` / `re_clicked`. Adding to a
//!   set is the same in every order and every number of deliveries, and the set never grows past
//!   two.

use crate::model::error::ApiError;
use crate::model::event::{EmailEvent, EventKind, LogEntry, Scope, Status};
use crate::store::erasure::ErasedList;
use crate::store::failure::classify;
use crate::store::history::HistoryStore;
use crate::store::logs::LogStore;
use crate::store::schema::{LOGS, LOGS_SORT_KEY, log_sort_key};
use crate::store::update::Update;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;

/// What applying an event did to its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The event changed the log.
    Applied,
    /// A duplicate or a stale status: the log already reflects it.
    AlreadyReflected,
    /// The address was erased with future events refused: nothing was written.
    Erased,
}

/// The last key of a status event's order: events of the same second and status are ordered by
/// their message, no message first.
fn tiebreak(message: Option<&str>) -> String {
    message.map_or_else(String::new, |message| format!("={message}"))
}

/// The attributes one order of status events is kept in (see `model::event`): a recipient's own
/// events, and the message-wide ones beside them.
struct Track {
    status: &'static str,
    rank: &'static str,
    at: &'static str,
    tiebreak: &'static str,
    message: &'static str,
}

impl Track {
    fn of(scope: Scope) -> Self {
        match scope {
            Scope::Recipient => Self {
                status: "status",
                rank: "status_rank",
                at: "status_at",
                tiebreak: "status_tiebreak",
                message: "message",
            },
            Scope::Message => Self {
                status: "wide_status",
                rank: "wide_rank",
                at: "wide_at",
                tiebreak: "wide_tiebreak",
                message: "wide_message",
            },
        }
    }
}

/// Where email events are written: the logs and their histories.
#[derive(Debug, Clone)]
pub struct Recorder {
    pub logs: LogStore,
    pub history: HistoryStore,
}

fn n(number: u64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

/// Every write of an event identifies the log and computes the same expiry, so whichever arrives
/// first creates a complete key and the TTL never depends on arrival order.
fn identify(update: &mut Update, event: &EmailEvent, expires_at: u64) {
    update.set("log_id", s(event.log_id()));
    update.set("created_at", n(event.created));
    if let Some(ttl) = LOGS.ttl_attribute {
        update.set(ttl, n(expires_at));
    }
}

fn is_conditional_failure<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

impl Recorder {
    /// `update` as an `UpdateItem` of `event`'s log.
    fn write(&self, update: Update, event: &EmailEvent) -> UpdateItemFluentBuilder {
        update
            .request(&self.logs.client, &self.logs.table)
            .key(LOGS.partition_key.name, s(event.email.as_str()))
            .key(
                LOGS_SORT_KEY,
                s(&log_sort_key(event.created, event.log_id())),
            )
    }

    /// Applies one email event: its log, its history entry and, for an open or a click, the
    /// count of distinct ones, written concurrently (they touch different attributes or items).
    pub async fn apply(
        &self,
        event: &EmailEvent,
        retention_seconds: u64,
    ) -> Result<Outcome, ApiError> {
        // One small read first: an erased person's logs never come back (`store::erasure`).
        let erased = ErasedList::new(self.logs.client.clone(), self.logs.table.clone());
        if erased.contains(&event.email).await? {
            return Ok(Outcome::Erased);
        }
        let expires_at = event.created.saturating_add(retention_seconds);
        let entry = event.entry();
        let (outcome, (), ()) = futures::try_join!(
            self.apply_to_log(event, expires_at),
            self.history.keep(
                event.log_id(),
                event.created,
                expires_at,
                &entry,
                event.scope()
            ),
            self.count_distinct(event, expires_at, &entry),
        )?;
        Ok(outcome)
    }

    /// An open or a click adds its entry's id to the log's set of distinct ones while the set
    /// holds fewer than two; any other event has nothing to count.
    async fn count_distinct(
        &self,
        event: &EmailEvent,
        expires_at: u64,
        entry: &LogEntry,
    ) -> Result<(), ApiError> {
        let attribute = match entry.status {
            Status::Opened => "opened_entries",
            Status::Clicked => "clicked_entries",
            _ => return Ok(()),
        };
        let mut update = Update::default();
        identify(&mut update, event, expires_at);
        update.add_to_set(attribute, &entry.id());
        let result = self
            .write(update, event)
            .condition_expression(format!(
                "attribute_not_exists(#{attribute}) OR size(#{attribute}) < :two"
            ))
            .expression_attribute_values(":two", n(2))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Two distinct ones are counted already: that is all the count tells.
            Err(err) if is_conditional_failure(&err) => Ok(()),
            Err(err) => Err(classify("UpdateItem logs", err)),
        }
    }

    /// The log's own conditional write.
    async fn apply_to_log(&self, event: &EmailEvent, expires_at: u64) -> Result<Outcome, ApiError> {
        let mut update = Update::default();
        identify(&mut update, event, expires_at);
        let status_condition: String;
        let condition: &str = match &event.kind {
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
                let track = Track::of(change.scope);
                update.set(track.status, s(change.status.as_str()));
                update.set(track.rank, AttributeValue::N(change.status.rank_number()));
                update.set(track.at, n(change.at));
                update.set(track.tiebreak, s(&tiebreak(change.message.as_deref())));
                match &change.message {
                    Some(message) => update.set(track.message, s(message)),
                    None => update.remove(track.message),
                }
                // (at, rank, message) orders the status events of one track totally: the
                // greatest wins in every arrival order, and an equal one is a duplicate.
                status_condition = format!(
                    "attribute_not_exists(#{at}) OR #{at} < :{at} \
                     OR (#{at} = :{at} AND (#{rank} < :{rank} \
                     OR (#{rank} = :{rank} AND #{tiebreak} < :{tiebreak})))",
                    at = track.at,
                    rank = track.rank,
                    tiebreak = track.tiebreak,
                );
                &status_condition
            }
        };
        let result = self
            .write(update, event)
            .condition_expression(condition)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Outcome::Applied),
            Err(err) if is_conditional_failure(&err) => Ok(Outcome::AlreadyReflected),
            Err(err) => Err(classify("UpdateItem logs", err)),
        }
    }
}
