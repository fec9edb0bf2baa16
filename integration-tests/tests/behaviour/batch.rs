//! `POST /api/v1/batch`: each item through its route's own handler, in order, under the batch's
//! key, through dynoxide.

use integration_tests::{
    Api, ApiRequest, CUSTOMERS_TABLE, EVERY_ROUTE_ADDRESS, EVERY_ROUTE_LOG_ID, FaultyStore,
    PathDelivery, TestStore, client_for, every_route, fixed_now,
};
use serde_json::{Value, json};
use shared::api::routes::BATCH_FUNCTION;

fn batch(items: &Value) -> ApiRequest {
    ApiRequest::post("/api/v1/batch", items.to_string())
}

/// The item a route's request makes: its path, method and (JSON) body.
fn item_of(request: &ApiRequest, path: &str, body: Option<&str>) -> Value {
    let mut item = json!({"path": path, "method": request.method()});
    if let Some(body) = body {
        item["body"] = serde_json::from_str(body).unwrap();
    }
    item
}

#[tokio::test]
async fn every_route_answers_in_a_batch_as_it_answers_alone_in_order() {
    let alone = TestStore::start().await;
    alone.seed_every_route().await;
    let batched = TestStore::start().await;
    batched.seed_every_route().await;
    let (alone_api, batched_api) = (
        Api::new(&alone, fixed_now, PathDelivery::Decoded),
        Api::new(&batched, fixed_now, PathDelivery::Decoded),
    );
    let address = EVERY_ROUTE_ADDRESS;
    let log = EVERY_ROUTE_LOG_ID;
    // Every route but the batch, then the reads again after the delete: order matters.
    let paths = [
        (
            "POST",
            "/api/v1/customers".to_owned(),
            Some(r#"{"email": "a@example.com", "locale": "fr"}"#),
        ),
        ("GET", format!("/api/v1/customers/{address}"), None),
        ("GET", format!("/api/v1/customers/{address}/logs"), None),
        ("GET", format!("/api/v1/logs/{log}"), None),
        ("GET", format!("/api/v1/logs/{log}/events"), None),
        ("DELETE", format!("/api/v1/customers/{address}"), None),
        ("GET", format!("/api/v1/customers/{address}"), None),
    ];
    let routes_covered: std::collections::BTreeSet<&str> = paths
        .iter()
        .map(|(method, path, _)| ApiRequest::new(method, path).function())
        .collect();
    let all: std::collections::BTreeSet<&str> = every_route()
        .iter()
        .map(|r| r.function())
        .filter(|function| *function != BATCH_FUNCTION)
        .collect();
    assert_eq!(routes_covered, all, "every route is in the batch");

    let mut expected = Vec::new();
    let mut items = Vec::new();
    for (method, path, given) in &paths {
        let mut request = ApiRequest::new(method, path);
        if let Some(body) = given {
            request = request
                .header("content-type", "application/json")
                .body(*body);
        }
        let reply = alone_api.send(request.clone()).await;
        let body = if reply.content_type.starts_with("application/json") {
            reply.json()
        } else {
            Value::String(reply.body.clone())
        };
        expected.push(
            json!({"path": path, "method": method, "status_code": reply.status,
                             "body": body}),
        );
        items.push(item_of(&request, path, *given));
    }
    let reply = batched_api.send(batch(&Value::Array(items))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), Value::Array(expected));
    assert_eq!(
        batched.items(CUSTOMERS_TABLE).await,
        alone.items(CUSTOMERS_TABLE).await,
        "the same writes"
    );
}

#[tokio::test]
async fn bad_and_unserved_items_are_answered_alone_and_the_rest_run() {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, PathDelivery::Decoded);
    let items = json!([
        {"path": "/api/v1/send", "method": "POST", "body": {"email_id": "tem_1"}},
        7,
        {"path": "/api/v1/customers", "body": {}},
        {"path": "/api/v1/batch", "method": "POST", "body": []},
        {"path": "/prod/api/v1/customers", "method": "post", "body": {"email": "B@Example.com"}},
        {"path": "/api/v1/customers", "method": "POST", "body": {"email": "not-an-address"}},
        {"path": "/api/v1/customers/b%40example.com/logs?count=5", "method": "GET"},
    ]);
    let reply = api.send(batch(&items)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answers = reply.json();
    let statuses: Vec<u64> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [404, 400, 400, 404, 200, 400, 200]);
    assert!(
        answers[0]["body"]
            .as_str()
            .unwrap()
            .starts_with("No such route")
    );
    assert_eq!(answers[1]["path"], Value::Null);
    assert_eq!(answers[2]["path"], "/api/v1/customers", "repeated as given");
    assert_eq!(answers[4]["method"], "post", "repeated as given");
    assert!(answers[5]["body"].is_string(), "a reason, as a string");
    assert_eq!(answers[6]["body"]["logs"], json!([]));
    let customers = store.items(CUSTOMERS_TABLE).await;
    assert_eq!(customers.len(), 1, "only the good item wrote");
    assert_eq!(customers[0]["email"].as_s().unwrap(), "b@example.com");
}

#[tokio::test]
async fn a_batch_over_the_cap_or_not_an_array_is_refused_whole_and_writes_nothing() {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, PathDelivery::Decoded);
    let create = |i: usize| {
        json!({"path": "/api/v1/customers", "method": "POST",
                                   "body": {"email": format!("c{i}@example.com")}})
    };
    let over: Vec<Value> = (0..=shared::api::batch::MAX_ITEMS).map(create).collect();
    let reply = api.send(batch(&Value::Array(over))).await;
    reply.assert_error(400);
    assert!(reply.body.contains("100"), "{}", reply.body);
    for body in [
        json!({"path": "/api/v1/customers"}),
        json!("[]"),
        json!(null),
    ] {
        api.send(batch(&body)).await.assert_error(400);
    }
    api.send(ApiRequest::post("/api/v1/batch", "[{"))
        .await
        .assert_error(400);
    // Every route's body limit.
    let padding = "x".repeat(shared::model::error::MAX_BODY_BYTES);
    let large = json!([{"path": "/api/v1/customers", "method": "POST",
                        "body": {"email": "a@example.com", "data": {"padding": padding}}}]);
    api.send(batch(&large)).await.assert_error(413);
    assert!(store.items(CUSTOMERS_TABLE).await.is_empty());
    let full: Vec<Value> = (0..shared::api::batch::MAX_ITEMS).map(create).collect();
    assert_eq!(api.send(batch(&Value::Array(full))).await.status, 200);
    assert_eq!(
        store.items(CUSTOMERS_TABLE).await.len(),
        shared::api::batch::MAX_ITEMS
    );
}

#[tokio::test]
async fn without_the_key_the_whole_batch_is_403_and_nothing_runs() {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, PathDelivery::Decoded);
    let items = json!([{"path": "/api/v1/customers", "method": "POST",
                        "body": {"email": "a@example.com"}}]);
    api.send(batch(&items).without_header("x-swu-api-key"))
        .await
        .assert_error(403);
    api.send(batch(&items).header("x-swu-api-key", "wrong"))
        .await
        .assert_error(403);
    assert!(store.items(CUSTOMERS_TABLE).await.is_empty());
}

#[tokio::test]
async fn a_slow_store_ends_the_batch_at_its_budget_with_503_items() {
    let store = TestStore::start().await;
    let slow = FaultyStore::slow_in_front_of(&store, std::time::Duration::from_secs(2)).await;
    let client = client_for(&slow.endpoint);
    let mut api = Api::with_stores(
        shared::CustomerStore::new(client.clone(), CUSTOMERS_TABLE),
        shared::LogStore::new(client.clone(), integration_tests::LOGS_TABLE),
        shared::store::history::HistoryStore::new(client, integration_tests::LOG_EVENTS_TABLE),
        fixed_now,
        PathDelivery::Decoded,
    );
    api.batch.budget = std::time::Duration::from_millis(300);
    let items: Vec<Value> = (0..5)
        .map(|i| json!({"path": format!("/api/v1/customers/c{i}@example.com"), "method": "GET"}))
        .collect();
    let reply = api.send(batch(&Value::Array(items))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    for answer in reply.json().as_array().unwrap() {
        assert_eq!(answer["status_code"], 503, "{answer}");
        assert!(answer["body"].is_string());
    }
}
