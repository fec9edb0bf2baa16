//! What the local stack fixes, shared with the tests that check the sample events against it.

/// The local stack's key when `API_KEY` is not set. No secret: it only opens a store on this
/// machine, and the sample events in `events/` carry it.
pub const DEV_API_KEY: &str = "local-dev-key";
/// The local store's table names (in AWS, CloudFormation names them).
pub const CUSTOMERS_TABLE: &str = "customers";
pub const LOGS_TABLE: &str = "logs";
pub const REGION: &str = "us-east-1";

/// A client for a local store at `endpoint`, with the functions' own timeouts and retries and
/// dummy credentials (dynoxide accepts any).
pub fn store_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    shared::dynamodb::StoreSettings::local(endpoint, REGION).client()
}

/// dynoxide, embedded, serving `db` on `listener` with both tables created under the given names
/// if missing. `make dev` gives it a file-backed database; the cold-start bench and the behaviour
/// tests an in-memory one. It stops serving when stopped or dropped.
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
        customers_table: &str,
        logs_table: &str,
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
        for (spec, name) in [
            (shared::schema::CUSTOMERS, customers_table),
            (shared::schema::LOGS, logs_table),
        ] {
            spec.create_if_missing(&client, name).await?;
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
