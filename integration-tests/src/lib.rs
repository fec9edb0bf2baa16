//! What the behaviour tests share: a real DynamoDB-compatible server (dynoxide) started in-process
//! on 127.0.0.1 for each test, with the tables created from the shared schema, and API Gateway
//! HTTP API (v2) requests built the way the gateway and `cargo lambda watch` deliver them: the
//! gateway percent-decodes the path (`pathParameters`, `rawPath`) once before the function sees
//! it, watch passes it as the client wrote it. [`in_both_deliveries!`] runs a test in both ways.

mod api;
mod faults;
mod gateway;
mod http;
mod queue;
mod store;

pub use api::{Api, addr};
pub use faults::{FaultyStore, HangingStore, closed_endpoint};
pub use gateway::{
    ApiRequest, EVERY_ROUTE_ADDRESS, EVERY_ROUTE_LOG_ID, Reply, every_route, request_from_event,
};
pub use http::{FaultPlan, HttpApi};
pub use queue::{failed_ids, sqs_batch};
pub use shared::api::request::PathDelivery;
pub use store::{
    CUSTOMERS_TABLE, LOG_EVENTS_TABLE, LOGS_TABLE, TABLE_SUFFIX, TestStore, client_for,
    recorder_for,
};

use shared::ApiKeys;
use std::path::PathBuf;

/// The one clock of the tests: the time every handler is told it is, unless a test says otherwise.
pub const FIXED_NOW: u64 = 1_700_000_000;

/// [`FIXED_NOW`] as the handlers take a clock.
pub fn fixed_now() -> u64 {
    FIXED_NOW
}

/// The key every test request carries unless it tests the key.
pub const TEST_KEY: &str = "test-key-0001";

pub fn test_keys() -> ApiKeys {
    ApiKeys::from_digests(&shared::api::auth::key_digest_hex(TEST_KEY)).expect("a valid digest")
}

/// The workspace root, for the files tests read (events, template, Cargo.toml). Read from the
/// environment cargo sets when it runs the tests, not from the compile-time value: clones that
/// share one target directory share this crate's build, and the compile-time path would be the
/// clone that built it first, whose files may be stale or gone.
pub fn workspace_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .parent()
        .expect("integration-tests sits in the workspace")
        .to_path_buf()
}
