//! The warm-up each function sends at init (`shared::store::client::warm_up`): it makes the
//! connection the first request then uses, reads and writes nothing, and never fails or holds
//! init past its bound.

use integration_tests::{HangingStore, TestStore, client_for, closed_endpoint};
use shared::store::client::{OPERATION_TIMEOUT, WARM_UP_KEY};
use shared::{CustomerStore, Email, LogStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::{TcpListener, TcpStream};

/// Far beyond any bound of the store's: only a hang would reach it.
const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(30);

/// A TCP relay on 127.0.0.1 in front of `upstream` that counts the connections made to it.
async fn counting_relay(upstream: &str) -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let endpoint = format!("http://{}", listener.local_addr().expect("local addr"));
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut store) = TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut store).await;
                }
            });
        }
    });
    (endpoint, connections, task)
}

#[tokio::test]
async fn the_first_request_uses_the_connection_the_warm_up_made() {
    let store = TestStore::start().await;
    let (endpoint, connections, relay) = counting_relay(&store.endpoint).await;
    let client = client_for(&endpoint);
    let customers = CustomerStore::new(client.clone(), integration_tests::CUSTOMERS_TABLE);
    let logs = LogStore::new(client, integration_tests::LOGS_TABLE);
    customers.warm_up().await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "the warm-up connected"
    );
    let email = Email::parse("warm@example.com").unwrap();
    assert_eq!(customers.get(&email).await.expect("served"), None);
    // Every table of a function shares its client, so one warm-up serves them all.
    logs.warm_up().await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "the first request and a second table reused the warm-up's connection"
    );
    relay.abort();
}

#[tokio::test]
async fn the_warm_up_reads_no_item_and_writes_none() {
    let store = TestStore::start().await;
    store.seed_every_route().await;
    let tables = [
        integration_tests::CUSTOMERS_TABLE,
        integration_tests::LOGS_TABLE,
        integration_tests::LOG_EVENTS_TABLE,
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(store.items(table).await);
    }
    store.customers().warm_up().await;
    store.logs().warm_up().await;
    for (table, before) in tables.into_iter().zip(before) {
        assert_eq!(store.items(table).await, before, "{table}");
    }
}

/// The tables it reads are keyed by address, or by `erased:<digest>` for the erased list.
#[test]
fn the_warm_up_key_is_no_address_and_no_erased_list_entry() {
    assert!(Email::parse(WARM_UP_KEY).is_err());
    assert!(!WARM_UP_KEY.starts_with(shared::store::erasure::ERASED_PREFIX));
}

#[tokio::test]
async fn a_store_that_is_down_or_hangs_never_fails_init_nor_holds_it_past_the_bound() {
    let hanging = HangingStore::start().await;
    for endpoint in [closed_endpoint(), hanging.endpoint.clone()] {
        let customers = CustomerStore::new(client_for(&endpoint), "customers");
        let started = std::time::Instant::now();
        tokio::time::timeout(HANG_GUARD, customers.warm_up())
            .await
            .expect("the warm-up returned");
        // Its own bound ended it, not the SDK's operation timeout that a request would wait for.
        assert!(
            started.elapsed() < OPERATION_TIMEOUT,
            "{endpoint}: {:?}",
            started.elapsed()
        );
    }
}
