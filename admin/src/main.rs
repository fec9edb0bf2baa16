//! `customers-admin`: see the crate's doc and the README's "Moving in and out".

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The operator's tool: imports into the local stack of `make dev` by default.
#[derive(Parser)]
#[command(name = "customers-admin", version)]
struct Cli {
    /// The store's endpoint (default: the local stack's, on DEV_STORE_PORT or 9001).
    #[arg(long, global = true)]
    endpoint: Option<String>,
    /// Appended to the tables' local names (the tests' `-test`).
    #[arg(long, global = true, default_value = "", hide = true)]
    table_suffix: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Customers from CSV (header: email, optional locale, optional created as Unix seconds) or
    /// JSON Lines with the same fields.
    ImportCustomers { file: PathBuf },
    /// Email events in the queue's format, one per line, applied with the consumer's own rules.
    ImportEvents {
        file: PathBuf,
        /// Days a log is kept after its send time, as the stack's EmailLogRetentionDays.
        #[arg(long, default_value_t = shared::config::DEFAULT_RETENTION_DAYS)]
        retention_days: u64,
    },
    /// Every customer and every log with its events, as JSON Lines (customers.jsonl, logs.jsonl)
    /// that import-customers and import-events read back.
    Export { dir: PathBuf },
    /// Forgets a person: the customer, every log and every event under the address. Later events
    /// for it are dropped, unless --allow-future (which also lifts an earlier erase's ban).
    Erase {
        email: String,
        #[arg(long)]
        allow_future: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let endpoint = cli.endpoint.unwrap_or_else(|| {
        let port = std::env::var("DEV_STORE_PORT").unwrap_or_else(|_| "9001".into());
        format!("http://127.0.0.1:{port}")
    });
    let client = devstack::store_client(&endpoint);
    let table =
        |spec: &shared::store::schema::TableSpec| devstack::table_name(spec, &cli.table_suffix);
    use shared::store::schema::{CUSTOMERS, LOG_EVENTS, LOGS};
    let read = |file: &PathBuf| {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
    };
    let summary = match &cli.command {
        Command::ImportCustomers { file } => {
            let text = match read(file) {
                Ok(text) => text,
                Err(message) => return fail(&message),
            };
            let customers = shared::CustomerStore::new(client, table(&CUSTOMERS));
            let rows = customers_admin::rows::customer_rows(file, &text);
            let summary =
                customers_admin::import_customers(&customers, rows, shared::clock::unix_now())
                    .await;
            (summary, "customers")
        }
        Command::ImportEvents {
            file,
            retention_days,
        } => {
            let text = match read(file) {
                Ok(text) => text,
                Err(message) => return fail(&message),
            };
            let consumer = record_email_event::App {
                recorder: shared::store::log_events::Recorder {
                    logs: shared::LogStore::new(client.clone(), table(&LOGS)),
                    history: shared::store::history::HistoryStore::new(client, table(&LOG_EVENTS)),
                },
                retention_seconds: retention_days.saturating_mul(86_400),
            };
            (
                customers_admin::import_events(&consumer, &text).await,
                "events",
            )
        }
        Command::Export { dir } => {
            let customers = shared::CustomerStore::new(client.clone(), table(&CUSTOMERS));
            let logs = shared::LogStore::new(client.clone(), table(&LOGS));
            let history = shared::store::history::HistoryStore::new(client, table(&LOG_EVENTS));
            return match customers_admin::export(&customers, &logs, &history, dir).await {
                Ok((customers, logs)) => {
                    println!(
                        "export: {customers} customers, {logs} logs in {}",
                        dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(message) => fail(&message),
            };
        }
        Command::Erase {
            email,
            allow_future,
        } => {
            let Ok(email) = shared::Email::parse(email) else {
                return fail("that is not an address the API would store");
            };
            let erased = shared::store::erasure::erase(
                &client,
                &table(&CUSTOMERS),
                &table(&LOGS),
                &table(&LOG_EVENTS),
                &email,
            )
            .await;
            let listed = shared::store::erasure::ErasedList::new(client.clone(), table(&LOGS))
                .set(&email, !allow_future)
                .await;
            return match (erased, listed) {
                (Ok(erased), Ok(())) => {
                    // The receipt: counts and time, never the address.
                    println!(
                        "erased at {} (Unix seconds): {} customer, {} logs, {} events; later events for the address are {}",
                        shared::clock::unix_now(),
                        erased.customers,
                        erased.logs,
                        erased.events,
                        if *allow_future {
                            "recorded again"
                        } else {
                            "dropped"
                        }
                    );
                    ExitCode::SUCCESS
                }
                (Err(error), _) | (_, Err(error)) => fail(&format!("the store: {error}")),
            };
        }
    };
    let (summary, what) = summary;
    for refused in &summary.refused {
        eprintln!("line {}: {}", refused.line, refused.reason);
    }
    println!("{}", summary.line(what));
    if summary.refused.is_empty() && summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("customers-admin: {message}");
    ExitCode::from(2)
}
