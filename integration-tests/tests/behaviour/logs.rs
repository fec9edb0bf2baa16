//! GET /customers/{email}/logs.

use integration_tests::{Api, ApiRequest, LOGS_TABLE, PathDelivery, TestStore};
use integration_tests::{FIXED_NOW, fixed_now};
use serde_json::{Value, json};

integration_tests::in_both_deliveries!(
    a_log_past_its_retention_is_never_served,
    a_log_has_every_seed_field,
    newest_first,
    count_limits_to_the_newest,
    default_count_is_one_hundred,
    bounds_are_strict,
    empty_or_inverted_ranges_are_empty,
    no_logs_is_an_empty_list,
    logs_need_no_customer_record_and_survive_its_deletion,
    same_second_logs_are_distinct,
    fields_not_known_yet_are_null,
    logs_are_per_address_and_case_insensitive,
);

const RETENTION: u64 = 30 * 24 * 3600;

async fn record(store: &TestStore, event: Value) {
    store.record(event, RETENTION).await;
}

async fn sent(store: &TestStore, email: &str, log_id: &str, created: u64) {
    record(
        store,
        json!({"event": "sent", "log_id": log_id, "email": email, "created": created,
               "recipient_name": "Matt", "email_id": "tem_1", "email_name": "Welcome",
               "email_version": "Version A"}),
    )
    .await;
}

async fn logs(api: &Api, email: &str, query: &[(&str, &str)]) -> Vec<Value> {
    let mut request = ApiRequest::get(&format!("/api/v1/customers/{email}/logs"));
    for (name, value) in query {
        request = request.query(name, value);
    }
    let reply = api.send(request).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.content_type, "application/json");
    let body = reply.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["status"], "OK");
    body["logs"].as_array().expect("logs is an array").clone()
}

fn ids(logs: &[Value]) -> Vec<&str> {
    logs.iter().map(|log| log["id"].as_str().unwrap()).collect()
}

/// A log expires `RETENTION` after it was sent; DynamoDB's TTL may take days to delete it, and until
/// then the item is in the table but must not be served, with or without bounds.
async fn a_log_past_its_retention_is_never_served(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let oldest_kept = FIXED_NOW - RETENTION;
    sent(&store, "a@example.com", "log_expired", oldest_kept - 1).await;
    sent(&store, "a@example.com", "log_last_day", oldest_kept).await;
    sent(&store, "a@example.com", "log_recent", FIXED_NOW - 60).await;
    assert_eq!(store.items(LOGS_TABLE).await.len(), 3, "TTL has not run");
    let mut api = Api::new(&store, fixed_now, delivery);
    api.get_customer_logs.retention_seconds = RETENTION;
    assert_eq!(
        ids(&logs(&api, "a@example.com", &[]).await),
        ["log_recent", "log_last_day"]
    );
    let before = (oldest_kept + 1).to_string();
    assert_eq!(
        ids(&logs(
            &api,
            "a@example.com",
            &[("created_lt", &before), ("created_gt", "0")]
        )
        .await),
        ["log_last_day"]
    );
    let expired_only = oldest_kept.to_string();
    assert!(
        logs(&api, "a@example.com", &[("created_lt", &expired_only)])
            .await
            .is_empty()
    );
}

async fn a_log_has_every_seed_field(delivery: PathDelivery) {
    let store = TestStore::start().await;
    record(
        &store,
        json!({"event": "sent", "log_id": "log_asdf1234qwerty", "email": "matt@sendwithus.com",
               "created": 1234567890, "recipient_name": "Matt", "email_id": "tem_as8dfjha8dap",
               "email_name": "Order Confirmation", "email_version": "Version A"}),
    )
    .await;
    record(
        &store,
        json!({"event": "status", "log_id": "log_asdf1234qwerty", "email": "matt@sendwithus.com",
               "created": 1234567890, "status": "opened",
               "message": "SendGrid: Message has been opened", "at": 1234568000}),
    )
    .await;
    let api = Api::new(&store, fixed_now, delivery);
    let logs = logs(&api, "matt@sendwithus.com", &[]).await;
    assert_eq!(
        logs,
        [json!({
            "object": "log",
            "id": "log_asdf1234qwerty",
            "created": 1234567890,
            "recipient_name": "Matt",
            "recipient_address": "matt@sendwithus.com",
            "status": "opened",
            "message": "SendGrid: Message has been opened",
            "email_id": "tem_as8dfjha8dap",
            "email_name": "Order Confirmation",
            "email_version": "Version A"
        })]
    );
}

async fn newest_first(delivery: PathDelivery) {
    let store = TestStore::start().await;
    for (id, created) in [("log_b", 200), ("log_a", 100), ("log_c", 300)] {
        sent(&store, "a@example.com", id, created).await;
    }
    let api = Api::new(&store, fixed_now, delivery);
    assert_eq!(
        ids(&logs(&api, "a@example.com", &[]).await),
        ["log_c", "log_b", "log_a"]
    );
}

async fn count_limits_to_the_newest(delivery: PathDelivery) {
    let store = TestStore::start().await;
    for created in 1..=5 {
        sent(&store, "a@example.com", &format!("log_{created}"), created).await;
    }
    let api = Api::new(&store, fixed_now, delivery);
    assert_eq!(
        ids(&logs(&api, "a@example.com", &[("count", "2")]).await),
        ["log_5", "log_4"]
    );
    assert_eq!(
        logs(&api, "a@example.com", &[("count", "1")]).await.len(),
        1
    );
    assert_eq!(
        logs(&api, "a@example.com", &[("count", "100")]).await.len(),
        5
    );
}

async fn default_count_is_one_hundred(delivery: PathDelivery) {
    let store = TestStore::start().await;
    for created in 1..=105 {
        sent(
            &store,
            "busy@example.com",
            &format!("log_{created:03}"),
            created,
        )
        .await;
    }
    let api = Api::new(&store, fixed_now, delivery);
    let logs = logs(&api, "busy@example.com", &[]).await;
    assert_eq!(logs.len(), 100);
    assert_eq!(logs[0]["id"], "log_105");
    assert_eq!(logs[99]["id"], "log_006");
}

async fn bounds_are_strict(delivery: PathDelivery) {
    let store = TestStore::start().await;
    for created in 10..=20 {
        sent(&store, "a@example.com", &format!("log_{created}"), created).await;
    }
    let api = Api::new(&store, fixed_now, delivery);
    assert_eq!(
        ids(&logs(
            &api,
            "a@example.com",
            &[("created_gt", "12"), ("created_lt", "16")]
        )
        .await),
        ["log_15", "log_14", "log_13"]
    );
    assert_eq!(
        ids(&logs(&api, "a@example.com", &[("created_gt", "18")]).await),
        ["log_20", "log_19"]
    );
    assert_eq!(
        ids(&logs(&api, "a@example.com", &[("created_lt", "12")]).await),
        ["log_11", "log_10"]
    );
    // One second between the bounds.
    assert_eq!(
        ids(&logs(
            &api,
            "a@example.com",
            &[("created_gt", "14"), ("created_lt", "16")]
        )
        .await),
        ["log_15"]
    );
    // The C# client's far-future bound, and bounds combined with count.
    assert_eq!(
        logs(&api, "a@example.com", &[("created_lt", "9876543210")])
            .await
            .len(),
        11
    );
    assert_eq!(
        ids(&logs(
            &api,
            "a@example.com",
            &[
                ("created_lt", "9876543210"),
                ("created_gt", "0"),
                ("count", "3")
            ]
        )
        .await),
        ["log_20", "log_19", "log_18"]
    );
}

async fn empty_or_inverted_ranges_are_empty(delivery: PathDelivery) {
    let store = TestStore::start().await;
    for created in 10..=20 {
        sent(&store, "a@example.com", &format!("log_{created}"), created).await;
    }
    let api = Api::new(&store, fixed_now, delivery);
    for (gt, lt) in [
        ("14", "15"),
        ("15", "15"),
        ("18", "12"),
        ("18446744073709551615", "18446744073709551615"),
    ] {
        assert!(
            logs(
                &api,
                "a@example.com",
                &[("created_gt", gt), ("created_lt", lt)]
            )
            .await
            .is_empty(),
            "gt={gt} lt={lt}"
        );
    }
}

async fn no_logs_is_an_empty_list(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    assert!(logs(&api, "quiet@example.com", &[]).await.is_empty());
}

async fn logs_need_no_customer_record_and_survive_its_deletion(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    sent(&store, "a@example.com", "log_1", 100).await;
    // No customer was ever posted: the logs are there all the same.
    assert_eq!(logs(&api, "a@example.com", &[]).await.len(), 1);
    api.send(ApiRequest::post(
        "/api/v1/customers",
        r#"{"email":"a@example.com"}"#,
    ))
    .await;
    let reply = api
        .send(ApiRequest::delete("/api/v1/customers/a@example.com"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(ids(&logs(&api, "a@example.com", &[]).await), ["log_1"]);
}

async fn same_second_logs_are_distinct(delivery: PathDelivery) {
    let store = TestStore::start().await;
    sent(&store, "a@example.com", "log_x", 500).await;
    sent(&store, "a@example.com", "log_y", 500).await;
    let api = Api::new(&store, fixed_now, delivery);
    let mut found = ids(&logs(&api, "a@example.com", &[]).await)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    found.sort();
    assert_eq!(found, ["log_x", "log_y"]);
}

async fn fields_not_known_yet_are_null(delivery: PathDelivery) {
    let store = TestStore::start().await;
    // A status that arrived before its send.
    record(
        &store,
        json!({"event": "status", "log_id": "log_early", "email": "a@example.com",
               "created": 100, "status": "delivered", "at": 105}),
    )
    .await;
    let api = Api::new(&store, fixed_now, delivery);
    let logs = logs(&api, "a@example.com", &[]).await;
    assert_eq!(
        logs,
        [json!({
            "object": "log", "id": "log_early", "created": 100, "recipient_name": null,
            "recipient_address": "a@example.com", "status": "delivered", "message": null,
            "email_id": null, "email_name": null, "email_version": null
        })]
    );
}

async fn logs_are_per_address_and_case_insensitive(delivery: PathDelivery) {
    let store = TestStore::start().await;
    sent(&store, "A@Example.com", "log_mine", 100).await;
    sent(&store, "other@example.com", "log_theirs", 100).await;
    sent(&store, "a+b@example.com", "log_plus", 100).await;
    let api = Api::new(&store, fixed_now, delivery);
    assert_eq!(ids(&logs(&api, "A%40EXAMPLE.COM", &[]).await), ["log_mine"]);
    assert_eq!(ids(&logs(&api, "a@example.com", &[]).await), ["log_mine"]);
    assert_eq!(ids(&logs(&api, "a+b@example.com", &[]).await), ["log_plus"]);
    assert_eq!(
        ids(&logs(&api, "a%2Bb%40example.com", &[]).await),
        ["log_plus"]
    );
}
