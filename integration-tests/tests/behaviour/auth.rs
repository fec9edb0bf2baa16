//! Authentication on every route: HTTP Basic with the key as user name, or X-SWU-API-KEY.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use integration_tests::PathDelivery;
use integration_tests::fixed_now;
use integration_tests::{Api, ApiRequest, CUSTOMERS_TABLE, TEST_KEY, TestStore, every_route};

integration_tests::in_both_deliveries!(
    a_key_header_that_is_not_ascii_is_refused,
    every_route_accepts_both_key_forms,
    every_route_refuses_missing_malformed_and_unknown_keys,
    authentication_comes_before_validation,
    a_rotated_key_set_accepts_old_and_new,
);

fn basic(user_and_password: &str) -> String {
    format!("Basic {}", STANDARD.encode(user_and_password))
}

async fn every_route_accepts_both_key_forms(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    store.seed_every_route().await;
    for request in every_route() {
        let header_form = api.send(request.clone()).await;
        assert_eq!(header_form.status, 200, "{request:?}: {}", header_form.body);
        // Re-create what DELETE removed, so the GET after it still finds the customer.
        store.seed_every_route().await;
        let basic_form = request
            .clone()
            .without_header("x-swu-api-key")
            .header("authorization", &basic(&format!("{TEST_KEY}:")));
        let reply = api.send(basic_form).await;
        assert_eq!(reply.status, 200, "{request:?}: {}", reply.body);
        store.seed_every_route().await;
    }
}

/// Turns a good request into one that must be refused.
type Refusal = Box<dyn Fn(ApiRequest) -> ApiRequest>;

async fn every_route_refuses_missing_malformed_and_unknown_keys(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    let refusals: Vec<(&str, Refusal)> = vec![
        (
            "no key",
            Box::new(|r: ApiRequest| r.without_header("x-swu-api-key")),
        ),
        (
            "empty key",
            Box::new(|r: ApiRequest| r.header("x-swu-api-key", "")),
        ),
        (
            "wrong key",
            Box::new(|r: ApiRequest| r.header("x-swu-api-key", "test-key-0002")),
        ),
        (
            "key with suffix",
            Box::new(|r: ApiRequest| r.header("x-swu-api-key", &format!("{TEST_KEY}x"))),
        ),
        (
            "wrong basic key",
            Box::new(|r: ApiRequest| {
                r.without_header("x-swu-api-key")
                    .header("authorization", &basic("nope:"))
            }),
        ),
        (
            "key as basic password",
            Box::new(|r: ApiRequest| {
                r.without_header("x-swu-api-key")
                    .header("authorization", &basic(&format!(":{TEST_KEY}")))
            }),
        ),
        (
            "malformed basic",
            Box::new(|r: ApiRequest| {
                r.without_header("x-swu-api-key")
                    .header("authorization", "Basic %%%")
            }),
        ),
        (
            "bearer scheme",
            Box::new(|r: ApiRequest| {
                r.without_header("x-swu-api-key")
                    .header("authorization", &format!("Bearer {TEST_KEY}"))
            }),
        ),
    ];
    for request in every_route() {
        for (name, refuse) in &refusals {
            let reply = api.send(refuse(request.clone())).await;
            assert_eq!(reply.status, 403, "{name}: {request:?}");
            reply.assert_error(403);
        }
    }
    assert!(
        store.items(CUSTOMERS_TABLE).await.is_empty(),
        "a refused request wrote nothing"
    );
}

async fn authentication_comes_before_validation(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    for request in [
        ApiRequest::post("/api/v1/customers", "{not json"),
        ApiRequest::post("/api/v1/customers", "x".repeat(100 * 1024)),
        ApiRequest::get("/api/v1/customers/not-an-address"),
        ApiRequest::get("/api/v1/customers/a@example.com/logs").query("count", "0"),
        ApiRequest::get("/api/v1/logs/log%20with%20space"),
        ApiRequest::get("/api/v1/logs/log%20with%20space/events"),
    ] {
        let reply = api.send(request.header("x-swu-api-key", "wrong")).await;
        reply.assert_error(403);
    }
}

async fn a_rotated_key_set_accepts_old_and_new(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let mut api = Api::new(&store, fixed_now, delivery);
    let digests = format!(
        "{}, {}",
        shared::api::auth::key_digest_hex("old-key"),
        shared::api::auth::key_digest_hex("new-key")
    );
    api.get_customer.keys = shared::ApiKeys::from_digests(&digests).unwrap();
    for (key, status) in [("old-key", 404), ("new-key", 404), (TEST_KEY, 403)] {
        let reply = api
            .send(ApiRequest::get("/api/v1/customers/a@example.com").header("x-swu-api-key", key))
            .await;
        assert_eq!(reply.status, status, "{key}");
    }
}

/// A key header holding bytes beyond ASCII (cargo lambda watch answers those requests with a 500 of
/// its own; on AWS they reach the function) is a key we do not accept.
async fn a_key_header_that_is_not_ascii_is_refused(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    for request in every_route() {
        let reply = api
            .send(request.header("x-swu-api-key", &format!("{TEST_KEY}\u{c3}")))
            .await;
        reply.assert_error(403);
    }
    assert!(store.items(CUSTOMERS_TABLE).await.is_empty());
}
