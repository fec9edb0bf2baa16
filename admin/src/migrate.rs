//! `migrate`: reads a sendwithus-compatible API address by address (the customer, all of its logs,
//! each log's events) and writes them here with their original ids and times, through the same
//! code as `import-customers` and the consumer. Bounded concurrency, a rate limit, retries with
//! backoff on 429, 5xx and broken connections, and resumable: each address done is noted (as its
//! digest) in a state file, and a run again skips it; every write is idempotent besides.

use crate::rows::CustomerRow;
use crate::{Summary, import_events, write_customer};
use futures::stream::{self, StreamExt};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::model::event::Status;
use shared::{CustomerStore, Email, Locale};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The most attempts of one request.
pub const ATTEMPTS: u32 = 6;
/// A page of a customer's logs, as the API serves at most.
const PAGE: usize = 100;

/// The source: a sendwithus-compatible API, its key, and the pace it is read at.
pub struct Source {
    client: reqwest::Client,
    /// Up to and with `/api/v1`.
    base: String,
    key: String,
    next: Mutex<Instant>,
    interval: Duration,
}

impl Source {
    /// `rate` requests a second at most, over every concurrent request.
    pub fn new(base: &str, key: String, rate: f64) -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            key,
            next: Mutex::new(Instant::now()),
            interval: Duration::from_secs_f64(1.0 / rate.max(0.01)),
        })
    }

    /// Waits for this request's turn under the rate limit.
    async fn turn(&self) {
        let wait = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + self.interval;
            at - now
        };
        tokio::time::sleep(wait).await;
    }

    /// `GET base/path`: the JSON body, `None` for a 404. 429, 5xx and transport failures are
    /// retried with a growing pause (or the one `Retry-After` asks for).
    async fn get(&self, path: &str) -> Result<Option<Value>, String> {
        let mut pause = Duration::from_millis(200);
        for attempt in 1..=ATTEMPTS {
            self.turn().await;
            let sent = self
                .client
                .get(format!("{}{path}", self.base))
                .header("X-SWU-API-KEY", &self.key)
                .send()
                .await;
            let retry_after = match sent {
                Ok(response) if response.status().is_success() => {
                    return response
                        .json()
                        .await
                        .map(Some)
                        .map_err(|_| "the source answered something that is not JSON".into());
                }
                Ok(response) if response.status() == reqwest::StatusCode::NOT_FOUND => {
                    return Ok(None);
                }
                Ok(response)
                    if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
                        || response.status().is_server_error() =>
                {
                    response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
                        .map(Duration::from_secs)
                }
                Ok(response) if matches!(response.status().as_u16(), 401 | 403) => {
                    return Err(format!(
                        "the source refused the key ({}): check SENDWITHUS_API_KEY",
                        response.status()
                    ));
                }
                Ok(response) => {
                    return Err(format!("the source answered {}", response.status()));
                }
                Err(_) => None,
            };
            if attempt == ATTEMPTS {
                break;
            }
            tokio::time::sleep(retry_after.unwrap_or(pause).min(Duration::from_secs(30))).await;
            pause = (pause * 2).min(Duration::from_secs(10));
        }
        Err(format!(
            "the source did not answer after {ATTEMPTS} attempts"
        ))
    }
}

fn segment(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// Every log of `email`, newest first, walking back 100 at a time with `created_lt`. A page ends
/// inside a second as often as not, so the next asks again from that second's end (what it has
/// seen is dropped by id); only a second of more than a page of logs for one address is read in
/// part, since `created_lt` can say no finer.
async fn all_logs(source: &Source, email: &Email) -> Result<Vec<Value>, String> {
    let mut logs: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut before: Option<u64> = None;
    loop {
        let mut path = format!("/customers/{}/logs?count={PAGE}", segment(email.as_str()));
        if let Some(before) = before {
            path.push_str(&format!("&created_lt={before}"));
        }
        let page = source.get(&path).await?.unwrap_or_default();
        let page = page["logs"].as_array().cloned().unwrap_or_default();
        let oldest = page.iter().filter_map(|log| log["created"].as_u64()).min();
        let full = page.len() >= PAGE;
        for log in page {
            if let Some(id) = log["id"].as_str()
                && seen.insert(id.to_owned())
            {
                logs.push(log);
            }
        }
        let (true, Some(oldest)) = (full, oldest) else {
            return Ok(logs);
        };
        // From the end of the oldest second, or (where that is no step back) past it.
        let next = [oldest.saturating_add(1), oldest]
            .into_iter()
            .find(|next| before.is_none_or(|before| *next < before));
        match next {
            Some(next) => before = Some(next),
            None => return Ok(logs),
        }
    }
}

/// The events (in the queue's format) that rebuild `log` here: its send, then each event the
/// source lists for it, or (where the source keeps none) its status at its send time.
///
/// The source's event list says neither which events were message-wide (an SES open cannot name
/// its recipient) nor whether a log had a send: so the send is written where the list has one or
/// the log has a send's details (only a send carries them), and where the log shows a failed
/// delivery, the events listed after the last failure are written message-wide, as they must have
/// been for the source to keep showing the failure.
fn rebuild(log: &Value, email: &Email, source_events: Option<&Vec<Value>>) -> Vec<String> {
    let (Some(id), Some(created)) = (log["id"].as_str(), log["created"].as_u64()) else {
        return Vec::new();
    };
    let details = ["recipient_name", "email_id", "email_name", "email_version"];
    let mut sent = json!({"event": "sent", "log_id": id, "email": email.as_str(),
                          "created": created});
    for field in details {
        if let Some(value) = log[field].as_str() {
            sent[field] = value.into();
        }
    }
    let status = |kind: Status, at: u64, message: &Value, wide: bool| {
        let mut event = json!({"event": "status", "log_id": id, "email": email.as_str(),
                               "created": created, "status": kind.as_str(), "at": at});
        if let Some(message) = message.as_str() {
            event["message"] = message.into();
        }
        if wide {
            event["scope"] = "message".into();
        }
        event.to_string()
    };
    let Some(listed) = source_events else {
        let mut events = vec![sent.to_string()];
        if let Some(kind) = log["status"]
            .as_str()
            .and_then(Status::from_name)
            .filter(|kind| *kind != Status::Sent)
        {
            events.push(status(kind, created, &log["message"], false));
        }
        return events;
    };
    // (status, at, message) of each event the source lists, in its order.
    let listed: Vec<(Status, u64, &Value)> = listed
        .iter()
        .filter_map(|event| {
            let name = event["type"].as_str().or_else(|| event["status"].as_str());
            let message = if event["message"].is_null() {
                &event["status_message"]
            } else {
                &event["message"]
            };
            Some((
                name.and_then(Status::from_name)?,
                event["created"].as_u64()?,
                message,
            ))
        })
        .collect();
    let is_send = |(kind, at, message): &(Status, u64, &Value)| {
        *kind == Status::Sent && *at == created && message.is_null()
    };
    let shows_failure = log["status"]
        .as_str()
        .and_then(Status::from_name)
        .is_some_and(Status::is_failed_delivery);
    let last_failure = listed
        .iter()
        .filter(|(kind, _, _)| kind.is_failed_delivery())
        .map(|(_, at, _)| *at)
        .max();
    let mut events = Vec::new();
    if listed.iter().any(is_send) || details.iter().any(|field| log[*field].is_string()) {
        events.push(sent.to_string());
    }
    for event in listed.iter().filter(|event| !is_send(event)) {
        let (kind, at, message) = *event;
        let wide = shows_failure
            && !kind.is_failed_delivery()
            && last_failure.is_some_and(|failure| at > failure);
        events.push(status(kind, at, message, wide));
    }
    events
}

/// What one address came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Moved {
    /// The source knows no such customer, and has no logs for it.
    Unknown,
    Done {
        logs: usize,
        events: usize,
    },
}

/// Reads one address from the source and writes it here.
pub async fn migrate_address(
    source: &Source,
    customers: &CustomerStore,
    consumer: &record_email_event::App,
    email: &Email,
) -> Result<Moved, String> {
    let customer = source
        .get(&format!("/customers/{}", segment(email.as_str())))
        .await?;
    let logs = all_logs(source, email).await?;
    if customer.is_none() && logs.is_empty() {
        return Ok(Moved::Unknown);
    }
    if let Some(customer) = customer {
        let customer = &customer["customer"];
        let row = CustomerRow {
            email: email.clone(),
            locale: customer["locale"]
                .as_str()
                .and_then(|locale| Locale::parse(locale).ok()),
            created: customer["created"].as_u64(),
        };
        write_customer(customers, &row, shared::clock::unix_now())
            .await
            .map_err(|e| format!("the store: {e}"))?;
    }
    let mut events = Vec::new();
    for log in &logs {
        let Some(id) = log["id"].as_str() else {
            continue;
        };
        let listed = source
            .get(&format!("/logs/{}/events", segment(id)))
            .await?
            .and_then(|events| events.as_array().cloned());
        events.extend(rebuild(log, email, listed.as_ref()));
    }
    let written: Summary = import_events(consumer, &events.join("\n")).await;
    if written.failed > 0 {
        return Err("the store failed some writes".into());
    }
    Ok(Moved::Done {
        logs: logs.len(),
        events: written.written,
    })
}

/// What a migration did.
#[derive(Debug, Default)]
pub struct Migrated {
    pub addresses: usize,
    pub skipped: usize,
    /// Line numbers of the addresses the source does not know.
    pub unknown: Vec<usize>,
    /// Line numbers and reasons of the addresses that could not be read or written.
    pub failed: Vec<(usize, String)>,
    pub logs: usize,
    pub events: usize,
}

impl Migrated {
    /// The summary an operator reads.
    pub fn line(&self) -> String {
        format!(
            "migrate: {} addresses ({} unknown to the source), {} logs, {} events written; {} skipped as done before; {} failed (run again to retry them)",
            self.addresses,
            self.unknown.len(),
            self.logs,
            self.events,
            self.skipped,
            self.failed.len()
        )
    }
}

fn digest(email: &Email) -> String {
    Sha256::digest(email.as_str().as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Migrates every address of `addresses` (one a line; blank lines and `#` comments skipped),
/// `concurrency` at a time, noting each done in `state` and skipping those it already notes.
pub async fn migrate(
    source: &Source,
    customers: &CustomerStore,
    consumer: &record_email_event::App,
    addresses: &str,
    state: &Path,
    concurrency: usize,
) -> Result<Migrated, String> {
    let done: std::collections::HashSet<String> = std::fs::read_to_string(state)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut notes = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(state)
        .map_err(|e| format!("cannot write {}: {e}", state.display()))?;
    let mut migrated = Migrated::default();
    let mut todo = Vec::new();
    for (index, line) in addresses.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match Email::parse(line) {
            Ok(email) if done.contains(&digest(&email)) => migrated.skipped += 1,
            Ok(email) => todo.push((index + 1, email)),
            Err(error) => migrated.failed.push((index + 1, error.to_string())),
        }
    }
    let progress = crate::progress::Progress::new("addresses", todo.len() as u64);
    let mut outcomes = stream::iter(&todo)
        .map(|(line, email)| async move {
            (
                *line,
                email,
                migrate_address(source, customers, consumer, email).await,
            )
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((line, email, outcome)) = outcomes.next().await {
        progress.inc();
        match outcome {
            Ok(moved) => {
                writeln!(notes, "{}", digest(email)).map_err(|e| e.to_string())?;
                notes.flush().map_err(|e| e.to_string())?;
                migrated.addresses += 1;
                match moved {
                    Moved::Unknown => migrated.unknown.push(line),
                    Moved::Done { logs, events } => {
                        migrated.logs += logs;
                        migrated.events += events;
                    }
                }
            }
            Err(reason) => migrated.failed.push((line, reason)),
        }
    }
    progress.finish();
    Ok(migrated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(log: Value, listed: Option<Value>) -> Vec<Value> {
        let email = Email::parse("a@example.com").unwrap();
        let listed = listed.map(|listed| listed.as_array().unwrap().clone());
        rebuild(&log, &email, listed.as_ref())
            .iter()
            .map(|event| serde_json::from_str(event).unwrap())
            .collect()
    }

    #[test]
    fn a_log_without_a_history_is_its_send_and_its_status() {
        let rebuilt = events(
            json!({"id": "log_1", "created": 100, "status": "delivered", "message": "250",
                   "email_name": "Welcome"}),
            None,
        );
        assert_eq!(rebuilt.len(), 2);
        assert_eq!(rebuilt[0]["event"], "sent");
        assert_eq!(rebuilt[0]["email_name"], "Welcome");
        assert_eq!(rebuilt[1]["status"], "delivered");
        assert_eq!(rebuilt[1]["at"], 100);
        assert_eq!(rebuilt[1]["message"], "250");
    }

    #[test]
    fn a_send_is_written_only_where_the_source_had_one_or_its_details() {
        let listed = json!([{"type": "spam", "created": 210}]);
        let bare = events(
            json!({"id": "log_2", "created": 200, "status": "reported_as_spam"}),
            Some(listed.clone()),
        );
        assert_eq!(bare.len(), 1, "{bare:?}");
        assert_eq!(bare[0]["status"], "reported_as_spam", "aliases read");
        let detailed = events(
            json!({"id": "log_2", "created": 200, "recipient_name": "A"}),
            Some(listed),
        );
        assert_eq!(detailed[0]["event"], "sent");
        assert_eq!(detailed[0]["recipient_name"], "A");
        let sent = events(
            json!({"id": "log_3", "created": 300}),
            Some(
                json!([{"type": "sent", "created": 300}, {"status": "opened", "created": 301,
                         "status_message": "hi"}]),
            ),
        );
        assert_eq!(sent.len(), 2, "the listed send is the send: {sent:?}");
        assert_eq!(sent[1]["message"], "hi", "C#'s field names read too");
    }

    #[test]
    fn events_after_a_shown_failure_are_written_message_wide() {
        let listed = json!([{"type": "sent", "created": 1}, {"type": "delivered", "created": 2},
                            {"type": "bounced", "created": 5}, {"type": "opened", "created": 9}]);
        let failed = events(
            json!({"id": "l", "created": 1, "status": "bounced"}),
            Some(listed.clone()),
        );
        let scopes: Vec<&Value> = failed.iter().map(|event| &event["scope"]).collect();
        assert_eq!(
            scopes,
            [&Value::Null, &Value::Null, &Value::Null, &json!("message")]
        );
        let opened = events(
            json!({"id": "l", "created": 1, "status": "opened"}),
            Some(listed),
        );
        assert!(
            opened.iter().all(|event| event["scope"].is_null()),
            "a log that shows no failure is rebuilt as the recipient's own: {opened:?}"
        );
    }
}
