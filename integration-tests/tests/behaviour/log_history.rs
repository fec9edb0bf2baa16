//! The logs as sendwithus keeps them: its seventeen statuses in and out (the earlier names too),
//! `re_opened` and `re_clicked`, `GET /logs/{log_id}` and its events, `count` across DynamoDB's
//! 1 MB pages, and the plain-text 404 of every route this API does not serve.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{
    Api, ApiRequest, FIXED_NOW, LOGS_TABLE, PathDelivery, TestStore, fixed_now,
};
use serde_json::{Value, json};
use shared::model::event::Status;
use shared::store::schema::log_sort_key;

integration_tests::in_both_deliveries!(
    every_status_is_served_by_its_name_and_the_earlier_names_as_the_new,
    a_log_stored_with_an_earlier_name_is_served_with_the_new_one,
    two_distinct_opens_are_re_opened_and_a_duplicate_is_not,
    a_log_by_id_is_the_bare_object_with_its_events_url,
    an_unknown_expired_or_malformed_log_id_is_refused_in_plain_text,
    the_events_of_a_log_oldest_first_each_once_the_send_included,
    a_log_stored_before_histories_lists_what_it_still_tells,
    an_id_that_names_two_logs_stored_before_ids_were_unique_is_a_404,
    count_is_honoured_across_a_one_megabyte_page,
    every_route_and_method_we_do_not_serve_is_a_plain_text_404,
);

const RETENTION: u64 = 30 * 24 * 3600;
const ADDRESS: &str = "matt@sendwithus.com";

async fn record(store: &TestStore, event: Value) {
    store.record(event, RETENTION).await;
}

async fn sent(store: &TestStore, log_id: &str, created: u64) {
    record(
        store,
        json!({"event": "sent", "log_id": log_id, "email": ADDRESS, "created": created,
               "recipient_name": "Matt", "email_id": "tem_1", "email_name": "Welcome",
               "email_version": "Version A"}),
    )
    .await;
}

async fn status(store: &TestStore, log_id: &str, created: u64, name: &str, at: u64, message: &str) {
    record(
        store,
        json!({"event": "status", "log_id": log_id, "email": ADDRESS, "created": created,
               "status": name, "at": at, "message": message}),
    )
    .await;
}

async fn get(api: &Api, path: &str) -> integration_tests::Reply {
    api.send(ApiRequest::get(path)).await
}

async fn shown_status(api: &Api, log_id: &str) -> Value {
    let reply = get(api, &format!("/api/v1/logs/{log_id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["status"].clone()
}

async fn every_status_is_served_by_its_name_and_the_earlier_names_as_the_new(
    delivery: PathDelivery,
) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    let mut cases: Vec<(String, &str)> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.as_str()))
        .collect();
    cases.push(("spam".to_owned(), "reported_as_spam"));
    cases.push(("failed".to_owned(), "failed_to_send"));
    for (index, (given, served)) in cases.iter().enumerate() {
        let log_id = format!("log_status_{index}");
        sent(&store, &log_id, 100).await;
        status(&store, &log_id, 100, given, 200, "m").await;
        assert_eq!(shown_status(&api, &log_id).await, *served, "{given}");
    }
    let reply = get(&api, &format!("/api/v1/customers/{ADDRESS}/logs")).await;
    let listed: Vec<Value> = reply.json()["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| log["status"].clone())
        .collect();
    assert_eq!(listed.len(), cases.len());
    for (_, served) in &cases {
        assert!(listed.contains(&json!(served)), "{served}");
    }
    for old in ["spam", "failed"] {
        assert!(!listed.contains(&json!(old)), "{old} is never served");
    }
}

/// A log written before the seventeen, with `spam` and its old rank: served as
/// `reported_as_spam`, and it still wins a tie in the same second against `opened`, as it did.
async fn a_log_stored_with_an_earlier_name_is_served_with_the_new_one(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let s = |text: &str| AttributeValue::S(text.to_owned());
    let n = |number: u64| AttributeValue::N(number.to_string());
    store
        .client
        .put_item()
        .table_name(LOGS_TABLE)
        .item("email", s(ADDRESS))
        .item("created", s(&log_sort_key(100, "log_old")))
        .item("log_id", s("log_old"))
        .item("created_at", n(100))
        .item("status", s("spam"))
        .item("status_rank", n(8))
        .item("status_at", n(150))
        .item("status_tiebreak", s("=abuse"))
        .item("message", s("abuse"))
        .item("sent_recorded", AttributeValue::Bool(true))
        .item("expires_at", n(100 + RETENTION))
        .send()
        .await
        .expect("an old item");
    let api = Api::new(&store, fixed_now, delivery);
    assert_eq!(shown_status(&api, "log_old").await, "reported_as_spam");
    status(&store, "log_old", 100, "opened", 150, "abuse").await;
    assert_eq!(shown_status(&api, "log_old").await, "reported_as_spam");
    status(&store, "log_old", 100, "failed", 150, "z").await;
    assert_eq!(shown_status(&api, "log_old").await, "failed_to_send");
}

async fn two_distinct_opens_are_re_opened_and_a_duplicate_is_not(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    sent(&store, "log_1", 100).await;
    status(&store, "log_1", 100, "opened", 200, "open").await;
    status(&store, "log_1", 100, "opened", 200, "open").await;
    assert_eq!(shown_status(&api, "log_1").await, "opened", "a duplicate");
    // Older than the one applied: it does not change the status, but it is a second open.
    status(&store, "log_1", 100, "opened", 150, "open").await;
    assert_eq!(shown_status(&api, "log_1").await, "re_opened");
    // A third changes nothing more, and the set of ids stays at two.
    status(&store, "log_1", 100, "opened", 300, "open").await;
    assert_eq!(shown_status(&api, "log_1").await, "re_opened");
    let item = store
        .items(LOGS_TABLE)
        .await
        .into_iter()
        .find(|item| item.get("log_id") == Some(&AttributeValue::S("log_1".into())))
        .unwrap();
    assert_eq!(item["opened_entries"].as_ss().unwrap().len(), 2);
    // A click outranks the opens; two distinct clicks are re_clicked.
    status(&store, "log_1", 100, "clicked", 400, "https://a").await;
    assert_eq!(shown_status(&api, "log_1").await, "clicked");
    status(&store, "log_1", 100, "clicked", 400, "https://b").await;
    assert_eq!(shown_status(&api, "log_1").await, "re_clicked");
    // A bounce after them is the status, whatever the counts.
    status(&store, "log_1", 100, "bounced", 500, "550").await;
    assert_eq!(shown_status(&api, "log_1").await, "bounced");
}

async fn a_log_by_id_is_the_bare_object_with_its_events_url(delivery: PathDelivery) {
    let store = TestStore::start().await;
    sent(&store, "log_asdf1234qwerty", 1234567890).await;
    status(
        &store,
        "log_asdf1234qwerty",
        1234567890,
        "opened",
        1234568000,
        "SendGrid: Message has been opened",
    )
    .await;
    let api = Api::new(&store, fixed_now, delivery);
    let reply = get(&api, "/api/v1/logs/log_asdf1234qwerty").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.content_type, "application/json");
    assert_eq!(
        reply.json(),
        json!({"object": "log", "id": "log_asdf1234qwerty", "created": 1234567890,
               "recipient_name": "Matt", "recipient_address": ADDRESS, "status": "opened",
               "message": "SendGrid: Message has been opened", "email_id": "tem_1",
               "email_name": "Welcome", "email_version": "Version A",
               "events_url": "/api/v1/logs/log_asdf1234qwerty/events"})
    );
    // The customer's logs list the same fields, without the URL and inside the wrapper.
    let listed = get(&api, &format!("/api/v1/customers/{ADDRESS}/logs")).await;
    let mut expected = reply.json();
    expected.as_object_mut().unwrap().remove("events_url");
    assert_eq!(listed.json()["logs"][0], expected);
}

async fn an_unknown_expired_or_malformed_log_id_is_refused_in_plain_text(delivery: PathDelivery) {
    let store = TestStore::start().await;
    sent(&store, "log_expired", FIXED_NOW - RETENTION - 1).await;
    let mut api = Api::new(&store, fixed_now, delivery);
    api.get_log.retention_seconds = RETENTION;
    api.get_log_events.retention_seconds = RETENTION;
    for path in ["/api/v1/logs/log_nobody", "/api/v1/logs/log_expired"] {
        for path in [path.to_owned(), format!("{path}/events")] {
            let reply = get(&api, &path).await;
            reply.assert_error(404);
            assert_eq!(reply.body, "Log not found.", "{path}");
        }
    }
    let long = format!("/api/v1/logs/{}", "x".repeat(129));
    for path in [
        "/api/v1/logs/log%20with%20space",
        "/api/v1/logs/l%C3%A9",
        long.as_str(),
    ] {
        let reply = get(&api, path).await;
        reply.assert_error(400);
        assert!(reply.body.contains("log_id"), "{path}: {}", reply.body);
    }
}

async fn the_events_of_a_log_oldest_first_each_once_the_send_included(delivery: PathDelivery) {
    let store = TestStore::start().await;
    // Out of order, each delivered twice, a status before its send.
    for _ in 0..2 {
        status(&store, "log_1", 100, "opened", 300, "opened once").await;
        status(&store, "log_1", 100, "delivered", 200, "250 OK").await;
        status(&store, "log_1", 100, "queued", 99, "queued early").await;
        sent(&store, "log_1", 100).await;
        status(&store, "log_1", 100, "processed", 100, "accepted").await;
    }
    let api = Api::new(&store, fixed_now, delivery);
    let reply = get(&api, "/api/v1/logs/log_1/events").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let event = |created: u64, kind: &str, message: Value| {
        json!({"object": "event", "created": created, "type": kind, "message": message,
               "status": kind, "status_message": message})
    };
    assert_eq!(
        reply.json(),
        json!([
            event(99, "queued", json!("queued early")),
            event(100, "sent", Value::Null),
            event(100, "processed", json!("accepted")),
            event(200, "delivered", json!("250 OK")),
            event(300, "opened", json!("opened once")),
        ])
    );
}

/// A log written before histories were kept has no entries: its events are what the log itself
/// still tells, its send and its last status.
async fn a_log_stored_before_histories_lists_what_it_still_tells(delivery: PathDelivery) {
    let store = TestStore::start().await;
    sent(&store, "log_1", 100).await;
    status(&store, "log_1", 100, "delivered", 200, "250 OK").await;
    // Forget the history, as a table from before it was kept.
    let history = store.items(integration_tests::LOG_EVENTS_TABLE).await;
    assert_eq!(history.len(), 2);
    for item in history {
        store
            .client
            .delete_item()
            .table_name(integration_tests::LOG_EVENTS_TABLE)
            .key("log_id", item["log_id"].clone())
            .key("event", item["event"].clone())
            .send()
            .await
            .expect("delete an entry");
    }
    let api = Api::new(&store, fixed_now, delivery);
    let reply = get(&api, "/api/v1/logs/log_1/events").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let types: Vec<(Value, Value)> = reply
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].clone(), e["created"].clone()))
        .collect();
    assert_eq!(
        types,
        [
            (json!("sent"), json!(100)),
            (json!("delivered"), json!(200))
        ]
    );
}

async fn an_id_that_names_two_logs_stored_before_ids_were_unique_is_a_404(delivery: PathDelivery) {
    let store = TestStore::start().await;
    for address in ["a@example.com", "b@example.com"] {
        record(
            &store,
            json!({"event": "sent", "log_id": "ses-message-1", "email": address, "created": 100}),
        )
        .await;
    }
    let api = Api::new(&store, fixed_now, delivery);
    let reply = get(&api, "/api/v1/logs/ses-message-1").await;
    reply.assert_error(404);
    assert!(reply.body.contains("More than one log"), "{}", reply.body);
}

/// DynamoDB ends a query's page at 1 MB read. Logs that large are not ours to write (every text
/// is at most 1 KiB), so the test writes them as an older producer or a manual edit could have:
/// 300 KB each, so that a page holds three.
async fn count_is_honoured_across_a_one_megabyte_page(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let padding = "p".repeat(300 * 1024);
    for index in 0..5u64 {
        let log_id = format!("log_big_{index}");
        sent(&store, &log_id, 100 + index).await;
        store
            .client
            .update_item()
            .table_name(LOGS_TABLE)
            .key("email", AttributeValue::S(ADDRESS.to_owned()))
            .key(
                "created",
                AttributeValue::S(log_sort_key(100 + index, &log_id)),
            )
            .update_expression("SET padding = :p")
            .expression_attribute_values(":p", AttributeValue::S(padding.clone()))
            .send()
            .await
            .expect("pad a log");
    }
    let api = Api::new(&store, fixed_now, delivery);
    let reply = api
        .send(ApiRequest::get(&format!("/api/v1/customers/{ADDRESS}/logs")).query("count", "5"))
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        &reply.body[..200.min(reply.body.len())]
    );
    let ids: Vec<Value> = reply.json()["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| log["id"].clone())
        .collect();
    assert_eq!(
        ids,
        (0..5)
            .rev()
            .map(|i| json!(format!("log_big_{i}")))
            .collect::<Vec<_>>()
    );
    let two = api
        .send(ApiRequest::get(&format!("/api/v1/customers/{ADDRESS}/logs")).query("count", "2"))
        .await;
    assert_eq!(two.json()["logs"].as_array().unwrap().len(), 2);
}

async fn every_route_and_method_we_do_not_serve_is_a_plain_text_404(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    for (method, path) in [
        ("POST", "/api/v1/send"),
        ("GET", "/api/v1/batch"),
        ("GET", "/api/v1/templates"),
        ("PUT", "/api/v1/customers/a@example.com"),
        ("GET", "/api/v1/customers"),
        ("DELETE", "/api/v1/logs/log_1"),
        ("GET", "/"),
    ] {
        for request in [
            ApiRequest::new(method, path),
            ApiRequest::new(method, path).without_header("x-swu-api-key"),
        ] {
            let reply = api.send(request.body("{}")).await;
            reply.assert_error(404);
            assert!(reply.body.starts_with("No such route"), "{method} {path}");
        }
    }
}
