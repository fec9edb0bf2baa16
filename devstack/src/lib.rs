//! What the local stack fixes: the embedded store, the tables' local names and the environment it
//! gives the functions. Shared with the cold-start bench (through `local-store`) and the tests.

use shared::config::{self, Variable};
use shared::store::provision::create_if_missing;
use shared::store::schema::{TABLES, TableSpec};
use std::collections::BTreeMap;

/// The local stack's key when `API_KEY` is not set. No secret: it only opens a store on this
/// machine, and the sample events in `events/` carry it.
pub const DEV_API_KEY: &str = "local-dev-key";
pub const REGION: &str = "us-east-1";

/// A client for a local store at `endpoint`, with the functions' own timeouts and retries and
/// dummy credentials (dynoxide accepts any).
pub fn store_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    shared::store::client::StoreSettings::local(endpoint, REGION).client()
}

/// The name a local store gives `table`: its local name and `suffix` (the tests' `-test`).
pub fn table_name(table: &TableSpec, suffix: &str) -> String {
    format!("{}{suffix}", table.local_name)
}

/// The values the local stack gives the functions' own variables.
#[derive(Debug, Clone)]
pub struct FunctionValues {
    /// The one key the stack accepts; the functions are given its digest only.
    pub api_key: String,
    /// `PATH_DELIVERY`: `raw` behind `cargo lambda watch`; `None` (as deployed) otherwise.
    pub path_delivery: Option<&'static str>,
    /// `LOG_RETENTION_DAYS`, or `None` for the functions' default.
    pub retention_days: Option<String>,
}

/// This stack's value for `variable`, `None` to leave an optional one unset. A variable this
/// function does not know is a bug of the stack: it panics, and the tests with it.
fn value_of(variable: &Variable, values: &FunctionValues) -> Option<String> {
    if let Some(table) = TABLES.iter().find(|table| table.env_var == variable.name) {
        Some(table_name(table, ""))
    } else if *variable == config::API_KEY_SHA256 {
        Some(shared::api::auth::key_digest_hex(&values.api_key))
    } else if *variable == config::PATH_DELIVERY {
        values.path_delivery.map(str::to_owned)
    } else if *variable == config::LOG_RETENTION_DAYS {
        values.retention_days.clone()
    } else {
        panic!("the local stack has no value for {}", variable.name)
    }
}

/// The variables `function` reads (`shared::config`), with this stack's values.
pub fn function_env(function: &str, values: &FunctionValues) -> BTreeMap<&'static str, String> {
    config::variables(function)
        .iter()
        .filter_map(|variable| Some((variable.name, value_of(variable, values)?)))
        .collect()
}

/// What `cargo lambda watch` is given: it runs every function with one environment, so this is
/// the union of [`function_env`] over the functions; each reads its own and ignores the rest.
pub fn watch_env(values: &FunctionValues) -> BTreeMap<&'static str, String> {
    shared::api::routes::all_functions()
        .into_iter()
        .flat_map(|function| function_env(function, values))
        .collect()
}

/// Every function's [`function_env`], as one JSON object by function name: what `local-store`
/// prints for the cold-start bench, which holds no copy of the variables.
pub fn functions_env_json(values: &FunctionValues) -> String {
    let by_function: BTreeMap<&str, BTreeMap<&str, String>> = shared::api::routes::all_functions()
        .into_iter()
        .map(|function| (function, function_env(function, values)))
        .collect();
    serde_json::to_string(&by_function).expect("a map of strings is JSON")
}

/// dynoxide, embedded, serving `db` on `listener` with every table of the schema created (named
/// `table_name(spec, suffix)`) if missing. `make dev` gives it a file-backed database; the
/// cold-start bench and the behaviour tests an in-memory one. It stops serving when stopped or
/// dropped.
pub struct LocalStore {
    pub endpoint: String,
    /// A client for it, with the functions' own timeouts and retries.
    pub client: aws_sdk_dynamodb::Client,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl LocalStore {
    pub async fn start(
        listener: tokio::net::TcpListener,
        db: dynoxide::Database,
        suffix: &str,
    ) -> Result<Self, String> {
        let endpoint = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        // Dropping `shutdown` (the store dropped) ends the server as sending on it does.
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.await;
            };
            if let Err(e) = dynoxide::server::serve_with_shutdown(listener, db, signal).await {
                eprintln!("the local store stopped: {e}");
            }
        });
        let client = store_client(&endpoint);
        for table in TABLES {
            create_if_missing(&table, &client, &table_name(&table, suffix)).await?;
        }
        Ok(Self {
            endpoint,
            client,
            shutdown,
            task,
        })
    }

    /// Stops serving, waiting at most `grace` for requests in flight.
    pub async fn stop(self, grace: std::time::Duration) {
        let _ = self.shutdown.send(());
        let _ = tokio::time::timeout(grace, self.task).await;
    }
}
