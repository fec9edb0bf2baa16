//! The SQS consumer that writes email logs: one JSON email event per message (see
//! `shared::event`), or an Amazon SES event record delivered through EventBridge (see
//! `shared::ses`). Each message is one conditional write; a message that is not a valid event,
//! or whose write failed, is reported as a batch item failure so that the queue retries it and, in
//! the end, moves it to the dead-letter queue. It never fails the other messages of its batch.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use shared::logs::{Recorded, retention_seconds_from_env};
use shared::{ApiError, EmailEvent, LogStore};

pub struct App {
    pub logs: LogStore,
    /// How long after its send time a log expires (DynamoDB TTL).
    pub retention_seconds: u64,
}

impl App {
    pub fn from_env() -> Result<Self, lambda_runtime::Error> {
        Ok(Self {
            logs: LogStore::from_env(shared::dynamodb::StoreSettings::from_env()?.client())?,
            retention_seconds: retention_seconds_from_env()?,
        })
    }

    /// Records every message of the batch and names the ones that must be retried. The messages
    /// are written concurrently (the rules make order irrelevant), so a slow store costs one
    /// store timeout per batch, not one per message. A failure without a message id cannot be
    /// reported item by item, so it fails the whole batch: the queue then retries every message,
    /// and the writes already made are idempotent.
    pub async fn handle(&self, event: SqsEvent) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        let outcomes = join_all(event.records.iter().map(|message| self.record(message))).await;
        let mut response = SqsBatchResponse::default();
        let (mut applied, mut reflected) = (0, 0);
        for (message, outcome) in event.records.iter().zip(outcomes) {
            match outcome {
                Ok(Recorded::Applied) => applied += 1,
                Ok(Recorded::AlreadyReflected) => reflected += 1,
                Err(error) => {
                    let Some(id) = message.message_id.clone() else {
                        return Err(format!("a message without an id failed: {error}").into());
                    };
                    // The reason names the field, never its value (see `shared::event`).
                    tracing::warn!(
                        message_id = %id,
                        refusal = error.kind(),
                        field = error.field().unwrap_or("-"),
                        reason = %error,
                        "email event not recorded"
                    );
                    response.add_failure(id);
                }
            }
        }
        tracing::info!(
            messages = event.records.len(),
            applied,
            already_reflected = reflected,
            failed = response.batch_item_failures.len(),
            "batch recorded"
        );
        Ok(response)
    }

    /// One message: an email event of our own, or an SES record (through EventBridge), which
    /// stands for one event per recipient it concerns. The message counts as recorded once every
    /// event it holds is; a failure retries the whole message, and the writes already made are
    /// idempotent.
    async fn record(&self, message: &SqsMessage) -> Result<Recorded, ApiError> {
        let body = message.body.as_deref().unwrap_or_default();
        let value = shared::event::message_json(body)?;
        let events = match shared::ses::record(&value) {
            Some(detail) => shared::ses::events(detail)?,
            None => vec![EmailEvent::from_json(value)?],
        };
        let mut outcome = Recorded::AlreadyReflected;
        for event in &events {
            if self.logs.record(event, self.retention_seconds).await? == Recorded::Applied {
                outcome = Recorded::Applied;
            }
        }
        Ok(outcome)
    }
}
