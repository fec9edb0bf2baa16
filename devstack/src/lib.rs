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

/// dynoxide, embedded, serving `db` on `listener` with the production tables created if missing.
/// `make dev` gives it a file-backed database; the cold-start bench an in-memory one.
pub struct LocalStore {
    pub endpoint: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl LocalStore {
    pub async fn start(
        listener: tokio::net::TcpListener,
        db: dynoxide::Database,
    ) -> Result<Self, String> {
        let endpoint = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.await;
            };
            if let Err(e) = dynoxide::server::serve_with_shutdown(listener, db, signal).await {
                eprintln!("the local store stopped: {e}");
            }
        });
        let store = Self {
            endpoint,
            shutdown,
            task,
        };
        let client = store_client(&store.endpoint);
        for (spec, name) in [
            (shared::schema::CUSTOMERS, CUSTOMERS_TABLE),
            (shared::schema::LOGS, LOGS_TABLE),
        ] {
            spec.create_if_missing(&client, name).await?;
        }
        Ok(store)
    }

    /// Stops serving, waiting at most `grace` for requests in flight.
    pub async fn stop(self, grace: std::time::Duration) {
        let _ = self.shutdown.send(());
        let _ = tokio::time::timeout(grace, self.task).await;
    }
}
