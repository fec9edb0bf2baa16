//! The store every behaviour test uses: a dynoxide server on a random loopback port with both
//! tables, created from the shared schema.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use shared::store::history::HistoryStore;
use shared::store::log_events::Recorder;
use shared::store::schema::{CUSTOMERS, LOG_EVENTS, LOGS};
use shared::{CustomerStore, LogStore};
use std::collections::HashMap;
use tokio::net::TcpListener;

/// A client with the functions' own timeouts and retries, pointed at `endpoint`.
pub fn client_for(endpoint: &str) -> Client {
    devstack::store_client(endpoint)
}

/// The consumer's writer against the test tables at `endpoint` (a real store or a faulty one).
pub fn recorder_for(endpoint: &str) -> Recorder {
    let client = client_for(endpoint);
    Recorder {
        logs: LogStore::new(client.clone(), LOGS_TABLE),
        history: HistoryStore::new(client, LOG_EVENTS_TABLE),
    }
}

/// A dynoxide server on a random loopback port with both tables, stopped when dropped.
pub struct TestStore {
    pub endpoint: String,
    pub client: Client,
    _store: devstack::LocalStore,
}

/// What the test store's tables are called: the schema's local names with this suffix.
pub const TABLE_SUFFIX: &str = "-test";
pub const CUSTOMERS_TABLE: &str = "customers-test";
pub const LOGS_TABLE: &str = "logs-test";
pub const LOG_EVENTS_TABLE: &str = "log_events-test";

impl TestStore {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let db = dynoxide::Database::memory().expect("in-memory database");
        let store = devstack::LocalStore::start(listener, db, TABLE_SUFFIX)
            .await
            .expect("start the test store");
        // The names the tests read the tables by are the ones the store created.
        assert_eq!(
            devstack::table_name(&CUSTOMERS, TABLE_SUFFIX),
            CUSTOMERS_TABLE
        );
        assert_eq!(devstack::table_name(&LOGS, TABLE_SUFFIX), LOGS_TABLE);
        assert_eq!(
            devstack::table_name(&LOG_EVENTS, TABLE_SUFFIX),
            LOG_EVENTS_TABLE
        );
        Self {
            endpoint: store.endpoint.clone(),
            client: store.client.clone(),
            _store: store,
        }
    }

    pub fn customers(&self) -> CustomerStore {
        CustomerStore::new(self.client.clone(), CUSTOMERS_TABLE)
    }

    pub fn logs(&self) -> LogStore {
        LogStore::new(self.client.clone(), LOGS_TABLE)
    }

    pub fn history(&self) -> HistoryStore {
        HistoryStore::new(self.client.clone(), LOG_EVENTS_TABLE)
    }

    pub fn recorder(&self) -> Recorder {
        Recorder {
            logs: self.logs(),
            history: self.history(),
        }
    }

    /// Applies one email event of our own format (as JSON) straight to the tables, as the consumer
    /// would, with logs kept `retention_seconds` after their send time.
    pub async fn record(&self, event: serde_json::Value, retention_seconds: u64) {
        let event = shared::EmailEvent::parse(&event.to_string()).expect("a valid event");
        self.recorder()
            .apply(&event, retention_seconds)
            .await
            .expect("recorded");
    }

    /// Hands each body to the consumer as a batch of its own, in order (logs kept for ever); the
    /// ids of the messages it asked the queue to retry.
    pub async fn deliver_each(&self, bodies: &[String]) -> Vec<String> {
        let consumer = record_email_event::App {
            recorder: self.recorder(),
            retention_seconds: u64::MAX / 4,
        };
        let mut failed = Vec::new();
        for body in bodies {
            let response = consumer
                .handle(crate::sqs_batch(std::slice::from_ref(body)))
                .await
                .expect("the consumer answers");
            failed.extend(crate::failed_ids(&response));
        }
        failed
    }

    /// What every route's request ([`crate::every_route`]) needs to succeed: the customer it names
    /// and a log with the id it names.
    pub async fn seed_every_route(&self) {
        let email = shared::Email::parse(crate::gateway::EVERY_ROUTE_ADDRESS).expect("an address");
        self.customers()
            .upsert(&email, None, crate::FIXED_NOW)
            .await
            .expect("the customer");
        let sent = serde_json::json!({"event": "sent", "log_id": crate::gateway::EVERY_ROUTE_LOG_ID,
            "email": email.as_str(), "created": crate::FIXED_NOW});
        let event = shared::EmailEvent::parse(&sent.to_string()).expect("an event");
        self.recorder()
            .apply(&event, 86_400)
            .await
            .expect("the log");
    }

    /// Every item of a table, read with a scan: tests use it to prove what was (not) written.
    pub async fn items(&self, table: &str) -> Vec<HashMap<String, AttributeValue>> {
        let output = self
            .client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .send()
            .await
            .expect("scan");
        output.items.unwrap_or_default()
    }
}
