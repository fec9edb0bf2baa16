//! The store every behaviour test uses: a dynoxide server on a random loopback port with both
//! tables, created from the shared schema.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use shared::store::schema::{CUSTOMERS, LOGS};
use shared::{CustomerStore, LogStore};
use std::collections::HashMap;
use tokio::net::TcpListener;

/// A client with the functions' own timeouts and retries, pointed at `endpoint`.
pub fn client_for(endpoint: &str) -> Client {
    devstack::store_client(endpoint)
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
