//! A store that is down, hangs, throttles or fails: a 5xx with a plain-text reason, in bounded
//! time, and never a panic or an internal detail.

use integration_tests::fixed_now;
use integration_tests::{
    Api, FaultyStore, HangingStore, Reply, TestStore, client_for, closed_endpoint, every_route,
};
use shared::store::history::HistoryStore;
use shared::{CustomerStore, LogStore};

const TEST_TABLES: [&str; 3] = [
    integration_tests::CUSTOMERS_TABLE,
    integration_tests::LOGS_TABLE,
    integration_tests::LOG_EVENTS_TABLE,
];
use std::time::Duration;

/// Far beyond the store's own operation timeout: only a hang would reach it.
const HANG_GUARD: Duration = Duration::from_secs(30);

async fn api_against(endpoint: &str, [customers, logs, history]: [&str; 3]) -> Api {
    let client = client_for(endpoint);
    Api::with_stores(
        CustomerStore::new(client.clone(), customers),
        LogStore::new(client.clone(), logs),
        HistoryStore::new(client, history),
        fixed_now,
        integration_tests::PathDelivery::Decoded,
    )
}

/// Every route's reply; a batch (a 200 whatever its items met) stands for its items' replies,
/// each of which must meet the same rule as a route's.
async fn every_route_replies(api: &Api) -> Vec<Reply> {
    let requests = every_route();
    let functions: Vec<&str> = requests.iter().map(|r| r.function()).collect();
    let replies = futures::future::join_all(requests.into_iter().map(|r| api.send(r)));
    let replies = tokio::time::timeout(HANG_GUARD, replies)
        .await
        .expect("a reply came before the hang guard");
    functions
        .into_iter()
        .zip(replies)
        .flat_map(|(function, reply)| {
            if function != shared::api::routes::BATCH_FUNCTION {
                return vec![reply];
            }
            assert_eq!(
                reply.status, 200,
                "a batch answers for its items: {}",
                reply.body
            );
            reply
                .json()
                .as_array()
                .expect("a batch answers an array")
                .iter()
                .map(|item| Reply {
                    status: item["status_code"].as_u64().unwrap() as u16,
                    content_type: "text/plain; charset=utf-8".into(),
                    body: item["body"].as_str().expect("an error's reason").to_owned(),
                })
                .collect()
        })
        .collect()
}

fn assert_no_internals(reply: &Reply) {
    for secret in [
        "customers-test",
        "logs-test",
        "log_events-test",
        "dispatch",
        "Exception",
        "127.0.0.1",
    ] {
        assert!(
            !reply.body.contains(secret),
            "leaks {secret:?}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn a_store_that_is_down_is_503() {
    // A port that was just free: nothing listens there.
    let closed = closed_endpoint();
    let api = api_against(&closed, TEST_TABLES).await;
    for reply in every_route_replies(&api).await {
        reply.assert_error(503);
        assert_no_internals(&reply);
    }
}

#[tokio::test]
async fn a_store_that_hangs_is_503() {
    let hanging = HangingStore::start().await;
    let api = api_against(&hanging.endpoint, TEST_TABLES).await;
    for reply in every_route_replies(&api).await {
        reply.assert_error(503);
        assert_no_internals(&reply);
    }
}

#[tokio::test]
async fn a_throttled_store_is_503() {
    let store = FaultyStore::failing_all(400, "ThrottlingException").await;
    let api = api_against(&store.endpoint, TEST_TABLES).await;
    for reply in every_route_replies(&api).await {
        reply.assert_error(503);
        assert_no_internals(&reply);
    }
}

#[tokio::test]
async fn an_over_capacity_store_is_503() {
    let store = FaultyStore::failing_all(400, "ProvisionedThroughputExceededException").await;
    let api = api_against(&store.endpoint, TEST_TABLES).await;
    for reply in every_route_replies(&api).await {
        reply.assert_error(503);
    }
}

#[tokio::test]
async fn a_store_internal_error_is_503() {
    let store = FaultyStore::failing_all(500, "InternalServerError").await;
    let api = api_against(&store.endpoint, TEST_TABLES).await;
    for reply in every_route_replies(&api).await {
        reply.assert_error(503);
    }
}

#[tokio::test]
async fn a_missing_table_is_500_without_its_name() {
    let store = TestStore::start().await;
    let api = api_against(
        &store.endpoint,
        ["no-such-customers", "no-such-logs", "no-such-log-events"],
    )
    .await;
    for reply in every_route_replies(&api).await {
        reply.assert_error(500);
        assert!(
            !reply.body.contains("no-such"),
            "leaks the table name: {}",
            reply.body
        );
        assert_no_internals(&reply);
    }
}
