//! `customers-admin`: the operator's tool for moving into a stack. Every rule is the model's (an
//! address or locale the API refuses is refused here too) and every write the store layer's, so
//! the tables end as the API and the consumer would leave them.

pub mod progress;
pub mod rows;

use aws_lambda_events::event::sqs::SqsEvent;
use futures::stream::{self, StreamExt};
use progress::Progress;
use rows::{CustomerRow, Refused};
use shared::{ApiError, CustomerStore};

/// How many writes an import has in flight at once.
pub const CONCURRENT_WRITES: usize = 16;

/// What a command did, for its summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub written: usize,
    pub refused: Vec<Refused>,
    /// Items a store failure stopped (worth running the command again: every write is idempotent).
    pub failed: usize,
}

impl Summary {
    pub fn line(&self, what: &str) -> String {
        format!(
            "{what}: {} written, {} refused, {} failed",
            self.written,
            self.refused.len(),
            self.failed
        )
    }
}

/// Writes one customer row: created (or updated) as `POST /customers` would, then its `created`
/// moved back to the row's when that is earlier. A second run changes nothing.
async fn write_customer(
    customers: &CustomerStore,
    row: &CustomerRow,
    now: u64,
) -> Result<(), ApiError> {
    let created = row.created.unwrap_or(now);
    customers
        .upsert(&row.email, row.locale.as_ref(), created)
        .await?;
    if row.created.is_some() {
        customers
            .keep_created_no_later_than(&row.email, created)
            .await?;
    }
    Ok(())
}

/// `import-customers`: every row validated first; the bad ones refused with their line and
/// written nowhere, the good ones written.
pub async fn import_customers(
    customers: &CustomerStore,
    rows: Vec<Result<CustomerRow, Refused>>,
    now: u64,
) -> Summary {
    let mut summary = Summary::default();
    let mut good = Vec::new();
    for row in rows {
        match row {
            Ok(row) => good.push(row),
            Err(refused) => summary.refused.push(refused),
        }
    }
    let progress = Progress::new("customers", good.len() as u64);
    let outcomes: Vec<Result<(), ApiError>> = stream::iter(&good)
        .map(|row| {
            let progress = &progress;
            async move {
                let outcome = write_customer(customers, row, now).await;
                progress.inc();
                outcome
            }
        })
        .buffer_unordered(CONCURRENT_WRITES)
        .collect()
        .await;
    progress.finish();
    for outcome in outcomes {
        match outcome {
            Ok(()) => summary.written += 1,
            Err(_) => summary.failed += 1,
        }
    }
    summary
}

/// `import-events`: each line an email event in the queue's format (ours, or an SES record),
/// handed to the consumer itself, ten to a batch as SQS would, so history replays with exactly
/// its rules in any order. A line the consumer refuses is reported by its number.
pub async fn import_events(consumer: &record_email_event::App, text: &str) -> Summary {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| (index + 1, line))
        .collect();
    let progress = Progress::new("events", lines.len() as u64);
    let mut summary = Summary::default();
    for chunk in lines.chunks(10) {
        let records: Vec<serde_json::Value> = chunk
            .iter()
            .map(|(line, body)| {
                serde_json::json!({"messageId": line.to_string(), "body": body,
                                   "eventSource": "customers-admin"})
            })
            .collect();
        let batch: SqsEvent = serde_json::from_value(serde_json::json!({ "Records": records }))
            .expect("an SQS batch of strings");
        match consumer.handle(batch).await {
            Ok(response) => {
                let failed: Vec<usize> = response
                    .batch_item_failures
                    .iter()
                    .filter_map(|failure| failure.item_identifier.parse().ok())
                    .collect();
                for (line, body) in chunk {
                    if failed.contains(line) {
                        // The consumer's log says why; the line is reported for the operator.
                        let reason = shared::EmailEvent::parse(body).err().map_or_else(
                            || "not recorded (see the log)".to_owned(),
                            |e| e.to_string(),
                        );
                        summary.refused.push(Refused {
                            line: *line,
                            reason,
                        });
                    } else {
                        summary.written += 1;
                    }
                }
            }
            Err(_) => summary.failed += chunk.len(),
        }
        for _ in chunk {
            progress.inc();
        }
    }
    progress.finish();
    summary
}
