//! `customers-admin`: the operator's tool for moving into a stack. Every rule is the model's (an
//! address or locale the API refuses is refused here too) and every write the store layer's, so
//! the tables end as the API and the consumer would leave them.

pub mod migrate;
pub mod progress;
pub mod rows;
pub mod stack;

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
pub(crate) async fn write_customer(
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

/// The events that rebuild `log` (its send, and every entry of its history) in the queue's format,
/// so that `import-events` gives back the same log.
fn log_events(
    log: &shared::Log,
    entries: &[(shared::model::event::LogEntry, shared::model::event::Scope)],
) -> Vec<serde_json::Value> {
    use shared::model::event::Status;
    let mut events = Vec::new();
    if log.sent_recorded {
        let mut sent = serde_json::json!({"event": "sent", "log_id": log.log_id,
            "email": log.email, "created": log.created_at});
        for (name, value) in [
            ("recipient_name", &log.recipient_name),
            ("email_id", &log.email_id),
            ("email_name", &log.email_name),
            ("email_version", &log.email_version),
        ] {
            if let Some(value) = value {
                sent[name] = value.clone().into();
            }
        }
        events.push(sent);
    }
    for (entry, scope) in entries {
        let the_send =
            entry.status == Status::Sent && entry.at == log.created_at && entry.message.is_none();
        if the_send && log.sent_recorded {
            continue;
        }
        let mut status = serde_json::json!({"event": "status", "log_id": log.log_id,
            "email": log.email, "created": log.created_at, "status": entry.status.as_str(),
            "at": entry.at, "scope": scope.as_str()});
        if let Some(message) = &entry.message {
            status["message"] = message.clone().into();
        }
        events.push(status);
    }
    events
}

/// `export DIR`: every customer (`customers.jsonl`) and every log with its events (`logs.jsonl`,
/// events in the queue's format), in the forms `import-customers` and `import-events` read back.
pub async fn export(
    customers: &CustomerStore,
    logs: &shared::LogStore,
    history: &shared::store::history::HistoryStore,
    dir: &std::path::Path,
) -> Result<(usize, usize), String> {
    use std::io::Write;
    let store = |e: ApiError| format!("the store: {e}");
    let file = |name: &str| {
        std::fs::File::create(dir.join(name))
            .map(std::io::BufWriter::new)
            .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut out = file("customers.jsonl")?;
    let every_customer = customers.all().await.map_err(store)?;
    for customer in &every_customer {
        let line = serde_json::json!({"email": customer.email, "locale": customer.locale,
                                      "created": customer.created});
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    let every_log = logs.all().await.map_err(store)?;
    let progress = Progress::new("logs", every_log.len() as u64);
    let mut out = file("logs.jsonl")?;
    for log in &every_log {
        let id = shared::model::log::LogId::parse(&log.log_id).map_err(|e| e.to_string())?;
        let mut entries = history.scoped_entries(&id, 0).await.map_err(store)?;
        if entries.is_empty() {
            entries = log
                .known_entries()
                .into_iter()
                .map(|entry| (entry, shared::model::event::Scope::Recipient))
                .collect();
        }
        for event in log_events(log, &entries) {
            writeln!(out, "{event}").map_err(|e| e.to_string())?;
        }
        progress.inc();
    }
    progress.finish();
    out.flush().map_err(|e| e.to_string())?;
    Ok((every_customer.len(), every_log.len()))
}
