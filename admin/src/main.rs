//! `customers-admin`: see the crate's doc and the README's "Moving in and out".

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The operator's tool: works on the local stack of `make dev` by default, or a deployed one.
#[derive(Parser)]
#[command(name = "customers-admin", version)]
struct Cli {
    /// The store's endpoint (default: the local stack's, on DEV_STORE_PORT or 9001).
    #[arg(long, global = true, conflicts_with = "stack")]
    endpoint: Option<String>,
    /// A deployed stack: its tables from the stack's outputs, credentials and region from the
    /// standard AWS chain (environment, profile, SSO, instance role).
    #[arg(long, global = true)]
    stack: Option<String>,
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
    /// Copies each address of a file (one a line) from a sendwithus-compatible API: the customer,
    /// all of its logs and each log's events, with their ids and times. The key is read from
    /// SENDWITHUS_API_KEY, never from the command line. Resumable: addresses done are noted (as
    /// digests) in --state and skipped by a run again.
    Migrate {
        /// The source's base, up to and with /api/v1.
        #[arg(long, default_value = "https://api.sendwithus.com/api/v1")]
        from: String,
        #[arg(long)]
        addresses: PathBuf,
        /// Requests a second to the source, over all concurrent ones.
        #[arg(long, default_value_t = 5.0)]
        rate: f64,
        /// Addresses read at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        #[arg(long, default_value = "migrate.state")]
        state: PathBuf,
        /// Days a log is kept after its send time, as the stack's EmailLogRetentionDays.
        #[arg(long, default_value_t = shared::config::DEFAULT_RETENTION_DAYS)]
        retention_days: u64,
    },
}

/// The consumer's own code, on the tables here.
fn consumer(
    client: &aws_sdk_dynamodb::Client,
    table: impl Fn(&shared::store::schema::TableSpec) -> String,
    retention_days: u64,
) -> record_email_event::App {
    use shared::store::schema::{LOG_EVENTS, LOGS};
    record_email_event::App {
        recorder: shared::store::log_events::Recorder {
            logs: shared::LogStore::new(client.clone(), table(&LOGS)),
            history: shared::store::history::HistoryStore::new(client.clone(), table(&LOG_EVENTS)),
        },
        retention_seconds: retention_days.saturating_mul(86_400),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let (client, deployed) = match &cli.stack {
        Some(stack) => match customers_admin::stack::connect(stack).await {
            Ok(deployed) => (deployed.client, Some(deployed.tables)),
            Err(message) => return fail(&message),
        },
        None => {
            let endpoint = cli.endpoint.clone().unwrap_or_else(|| {
                let port = std::env::var("DEV_STORE_PORT").unwrap_or_else(|_| "9001".into());
                format!("http://127.0.0.1:{port}")
            });
            (devstack::store_client(&endpoint), None)
        }
    };
    let table = |spec: &shared::store::schema::TableSpec| match &deployed {
        Some(names) => names[spec.local_name].clone(),
        None => devstack::table_name(spec, &cli.table_suffix),
    };
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
            let consumer = consumer(&client, table, *retention_days);
            (
                customers_admin::import_events(&consumer, &text).await,
                "events",
            )
        }
        Command::Migrate {
            from,
            addresses,
            rate,
            concurrency,
            state,
            retention_days,
        } => {
            let Some(key) = std::env::var("SENDWITHUS_API_KEY")
                .ok()
                .filter(|key| !key.is_empty())
            else {
                return fail("set SENDWITHUS_API_KEY to the source's API key");
            };
            let text = match read(addresses) {
                Ok(text) => text,
                Err(message) => return fail(&message),
            };
            let source = match customers_admin::migrate::Source::new(from, key, *rate) {
                Ok(source) => source,
                Err(message) => return fail(&message),
            };
            let customers = shared::CustomerStore::new(client.clone(), table(&CUSTOMERS));
            let consumer = consumer(&client, table, *retention_days);
            let migrated = customers_admin::migrate::migrate(
                &source,
                &customers,
                &consumer,
                &text,
                state,
                *concurrency,
            )
            .await;
            return match migrated {
                Ok(migrated) => {
                    for line in &migrated.unknown {
                        eprintln!("line {line}: the source knows no such customer");
                    }
                    for (line, reason) in &migrated.failed {
                        eprintln!("line {line}: {reason}");
                    }
                    println!("{}", migrated.line());
                    if migrated.failed.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(message) => fail(&message),
            };
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
