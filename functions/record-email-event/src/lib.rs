//! The SQS consumer that writes email logs: each message holds one JSON email event (see
//! `shared::model::event`) or an Amazon SES record delivered through EventBridge (see
//! `shared::model::ses`). Each event is one conditional write; a message that is not a valid
//! event, or whose write failed, is reported as a batch item failure so that the queue retries it
//! and, in the end, moves it to the dead-letter queue. It never fails the other messages of its
//! batch.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use futures::stream::{self, StreamExt, TryStreamExt};
use shared::model::event::message_json;
use shared::model::ses::SesRecord;
use shared::store::log_events::{Outcome, Recorder};
use shared::{ApiError, EmailEvent};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The function's timeout in the template: the deadline [`App::handle`] assumes.
pub const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);
/// How long before the invocation's deadline the batch stops, so that its answer gets back.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(1);
/// The events of one message written at once (an SES record names up to 50 recipients).
pub const WRITES_PER_MESSAGE: usize = 10;

/// The invocation's deadline as a point on this process's monotonic clock. A deadline that has
/// already passed, or leaves less than the margin, is not one Lambda gives (an emulator may send
/// none): the template's timeout from now stands in for it.
pub fn deadline_from(deadline: std::time::SystemTime) -> Instant {
    match deadline.duration_since(std::time::SystemTime::now()) {
        Ok(left) if left > 2 * DEADLINE_MARGIN => Instant::now() + left,
        _ => Instant::now() + FUNCTION_TIMEOUT,
    }
}

pub struct App {
    /// The logs and their histories.
    pub recorder: Recorder,
    /// How long after its send time a log expires (DynamoDB TTL).
    pub retention_seconds: u64,
}

impl App {
    pub fn from_env() -> Result<Self, shared::ConfigError> {
        let config = shared::config::RecordEmailEvent::from_env()?;
        Ok(Self {
            recorder: config.recorder,
            retention_seconds: config.retention_seconds,
        })
    }

    /// As [`App::handle_until`], with the template's function timeout from now as the deadline.
    pub async fn handle(&self, batch: SqsEvent) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        self.handle_until(batch, Instant::now() + FUNCTION_TIMEOUT)
            .await
    }

    /// Handles every message of the batch and names the ones that must be retried. The messages
    /// are handled concurrently (the rules make order irrelevant), and so are the events of one
    /// message, so a slow store costs about one store timeout per batch. Nothing runs past
    /// [`DEADLINE_MARGIN`] before `deadline` (the invocation's): a message not done by then is
    /// reported as a batch item failure, and the writes it made are idempotent. Each message has
    /// its own span, carrying its SQS message id (never an address), so a failed store call is
    /// tied to its message. A failure without a message id cannot be reported item by item, so
    /// it fails the whole batch: the queue then retries every message.
    pub async fn handle_until(
        &self,
        batch: SqsEvent,
        deadline: Instant,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        let cutoff = deadline
            .checked_sub(DEADLINE_MARGIN)
            .unwrap_or_else(Instant::now);
        let outcomes = join_all(batch.records.iter().map(|message| {
            let span = tracing::info_span!(
                "message",
                message_id = message.message_id.as_deref().unwrap_or("-")
            );
            async move {
                match tokio::time::timeout_at(cutoff.into(), self.handle_message(message)).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        tracing::warn!(
                            "the invocation's deadline came before the message was done"
                        );
                        Err(ApiError::Unavailable)
                    }
                }
            }
            .instrument(span)
        }))
        .await;
        let mut response = SqsBatchResponse::default();
        let (mut applied, mut reflected, mut erased) = (0, 0, 0);
        for (message, outcome) in batch.records.iter().zip(outcomes) {
            match outcome {
                Ok(Outcome::Applied) => applied += 1,
                Ok(Outcome::AlreadyReflected) => reflected += 1,
                Ok(Outcome::Erased) => erased += 1,
                Err(error) => {
                    let Some(id) = message.message_id.clone() else {
                        return Err(
                            format!("a message without an id failed: {}", error.kind()).into()
                        );
                    };
                    log_refusal(&id, &error, "email event not recorded");
                    response.add_failure(id);
                }
            }
        }
        tracing::info!(
            messages = batch.records.len(),
            applied,
            already_reflected = reflected,
            erased,
            failed = response.batch_item_failures.len(),
            "batch recorded"
        );
        Ok(response)
    }

    /// One message: an email event of our own, or an SES record, which stands for one event per
    /// recipient it concerns (a recipient it cannot record is logged and left out: retrying would
    /// not help). The message counts as applied once every event it holds is; its events are
    /// written concurrently, [`WRITES_PER_MESSAGE`] at a time; a failure retries the whole
    /// message, and the writes already made are idempotent.
    async fn handle_message(&self, message: &SqsMessage) -> Result<Outcome, ApiError> {
        let body = message.body.as_deref().unwrap_or_default();
        let value = message_json(body)?;
        let events = match SesRecord::in_message(&value) {
            Some(record) => {
                let record = record.events()?;
                for refused in &record.refused {
                    log_refusal(
                        message.message_id.as_deref().unwrap_or("-"),
                        refused,
                        "recipient not recorded",
                    );
                }
                record.events
            }
            None => vec![EmailEvent::from_json(value)?],
        };
        let outcomes: Vec<Outcome> = stream::iter(&events)
            .map(|event| self.recorder.apply(event, self.retention_seconds))
            .buffer_unordered(WRITES_PER_MESSAGE)
            .try_collect()
            .await?;
        Ok(if outcomes.contains(&Outcome::Applied) {
            Outcome::Applied
        } else if outcomes.iter().all(|outcome| *outcome == Outcome::Erased) {
            Outcome::Erased
        } else {
            Outcome::AlreadyReflected
        })
    }
}

/// The line an operator reads for a message that goes back to the queue: its id, the kind of
/// failure and, for a refused event, the field and the reason (which name the field, never its
/// value: see `shared::model::event`). A store failure is logged by its kind: the sentence meant
/// for API clients says nothing to an operator.
fn log_refusal(message_id: &str, error: &ApiError, what: &'static str) {
    match error {
        ApiError::BadRequest { field, reason } => tracing::warn!(
            message_id,
            refusal = error.kind(),
            field = *field,
            reason = %reason,
            "{what}"
        ),
        _ => tracing::warn!(message_id, refusal = error.kind(), field = "-", "{what}"),
    }
}
