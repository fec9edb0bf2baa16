//! record-email-event: the queue consumer that writes email logs. Each rule of the contract's
//! "Email events" section, read back through the table and the logs endpoint's handler.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::fixed_now;
use integration_tests::{
    Api, ApiRequest, FaultyStore, HangingStore, LOGS_TABLE, TestStore, closed_endpoint, failed_ids,
    recorder_for, sqs_batch,
};
use serde_json::{Value, json};
use shared::EmailEvent;
use shared::model::event::EventKind;
use shared::store::log_events::Recorder;

const RETENTION: u64 = 7 * 24 * 3600;

fn app(recorder: Recorder) -> record_email_event::App {
    record_email_event::App {
        recorder,
        retention_seconds: RETENTION,
    }
}

fn sent(log_id: &str, created: u64) -> String {
    json!({"event": "sent", "log_id": log_id, "email": "matt@sendwithus.com", "created": created,
           "recipient_name": "Matt", "email_id": "tem_1", "email_name": "Order Confirmation",
           "email_version": "Version A"})
    .to_string()
}

fn status(log_id: &str, created: u64, status: &str, at: u64) -> String {
    json!({"event": "status", "log_id": log_id, "email": "matt@sendwithus.com", "created": created,
           "status": status, "message": format!("SendGrid: {status}"), "at": at})
    .to_string()
}

/// Delivers each body as its own batch, in order, and asserts none failed.
async fn deliver(store: &TestStore, bodies: &[String]) {
    let app = app(store.recorder());
    for body in bodies {
        let response = app
            .handle(sqs_batch(std::slice::from_ref(body)))
            .await
            .unwrap();
        assert_eq!(failed_ids(&response), Vec::<String>::new(), "{body}");
    }
}

/// The logs the endpoint returns for matt@sendwithus.com.
async fn logs(store: &TestStore, query: &[(&str, &str)]) -> Vec<Value> {
    let api = Api::new(store, fixed_now, integration_tests::PathDelivery::Decoded);
    let request = query.iter().fold(
        ApiRequest::get("/api/v1/customers/matt@sendwithus.com/logs"),
        |request, (name, value)| request.query(name, value),
    );
    let reply = api.send(request).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["logs"].as_array().unwrap().clone()
}

/// The ids of those logs, newest first.
async fn log_ids(store: &TestStore, query: &[(&str, &str)]) -> Vec<String> {
    logs(store, query)
        .await
        .iter()
        .map(|log| log["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_sent_event_becomes_a_complete_log() {
    let store = TestStore::start().await;
    deliver(&store, &[sent("log_1", 100)]).await;
    assert_eq!(
        logs(&store, &[]).await,
        [
            json!({"object": "log", "id": "log_1", "created": 100, "recipient_name": "Matt",
                "recipient_address": "matt@sendwithus.com", "status": "sent", "message": null,
                "email_id": "tem_1", "email_name": "Order Confirmation",
                "email_version": "Version A"})
        ]
    );
}

#[tokio::test]
async fn duplicates_change_nothing_and_count_as_processed() {
    let store = TestStore::start().await;
    deliver(
        &store,
        &[sent("log_1", 100), status("log_1", 100, "opened", 150)],
    )
    .await;
    let before = store.items(LOGS_TABLE).await;
    // Redelivered, in one batch: every message processed, nothing changed.
    let response = app(store.recorder())
        .handle(sqs_batch(&[
            sent("log_1", 100),
            status("log_1", 100, "opened", 150),
        ]))
        .await
        .unwrap();
    assert!(failed_ids(&response).is_empty());
    assert_eq!(store.items(LOGS_TABLE).await, before);
    // A redelivered `sent` does not overwrite details with other values either.
    let altered = sent("log_1", 100).replace("Version A", "Version Z");
    deliver(&store, &[altered]).await;
    assert_eq!(store.items(LOGS_TABLE).await, before);
}

#[tokio::test]
async fn a_stale_status_is_ignored_and_counts_as_processed() {
    let store = TestStore::start().await;
    deliver(
        &store,
        &[sent("log_1", 100), status("log_1", 100, "opened", 200)],
    )
    .await;
    // Arrives late, happened earlier.
    deliver(&store, &[status("log_1", 100, "delivered", 150)]).await;
    let log = &logs(&store, &[]).await[0];
    assert_eq!(log["status"], "opened");
    assert_eq!(log["message"], "SendGrid: opened");
}

#[tokio::test]
async fn statuses_apply_by_time_whatever_the_arrival_order() {
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let store = TestStore::start().await;
        let events = [
            status("log_1", 100, "delivered", 120),
            status("log_1", 100, "opened", 130),
            status("log_1", 100, "clicked", 140),
        ];
        let shuffled: Vec<String> = order.iter().map(|&i| events[i].clone()).collect();
        deliver(&store, &shuffled).await;
        deliver(&store, &[sent("log_1", 100)]).await;
        assert_eq!(logs(&store, &[]).await[0]["status"], "clicked", "{order:?}");
    }
}

#[tokio::test]
async fn equal_times_go_to_the_later_status_in_the_list() {
    for pair in [["delivered", "opened"], ["opened", "delivered"]] {
        let store = TestStore::start().await;
        deliver(&store, &[sent("log_1", 100)]).await;
        deliver(&store, &pair.map(|s| status("log_1", 100, s, 150))).await;
        assert_eq!(logs(&store, &[]).await[0]["status"], "opened", "{pair:?}");
    }
}

#[tokio::test]
async fn a_status_before_its_send_is_kept_and_the_send_completes_it() {
    let store = TestStore::start().await;
    deliver(&store, &[status("log_1", 100, "delivered", 105)]).await;
    let early = &logs(&store, &[]).await[0];
    assert_eq!(early["status"], "delivered");
    assert_eq!(early["email_id"], Value::Null);
    deliver(&store, &[sent("log_1", 100)]).await;
    assert_eq!(
        logs(&store, &[]).await,
        [
            json!({"object": "log", "id": "log_1", "created": 100, "recipient_name": "Matt",
                "recipient_address": "matt@sendwithus.com", "status": "delivered",
                "message": "SendGrid: delivered", "email_id": "tem_1",
                "email_name": "Order Confirmation", "email_version": "Version A"})
        ]
    );
}

#[tokio::test]
async fn any_status_event_outranks_the_sent_a_send_implies_in_either_order() {
    // Same second, and a sender's clock a second behind the status's: each pair in both orders.
    for (send, real) in [
        (sent("log_1", 100), status("log_1", 100, "queued", 100)),
        (sent("log_1", 100), status("log_1", 100, "delivered", 99)),
    ] {
        let expected = EmailEvent::parse(&real).unwrap();
        let EventKind::Status(expected) = expected.kind else {
            panic!("a status event")
        };
        for order in [[&send, &real], [&real, &send]] {
            let store = TestStore::start().await;
            deliver(&store, &[order[0].clone(), order[1].clone()]).await;
            let log = &logs(&store, &[]).await[0];
            assert_eq!(log["status"], expected.status.as_str(), "{order:?}");
            assert_eq!(log["email_id"], "tem_1", "{order:?}");
        }
    }
}

#[tokio::test]
async fn same_second_logs_stay_distinct() {
    let store = TestStore::start().await;
    deliver(
        &store,
        &[
            sent("log_a", 100),
            sent("log_b", 100),
            status("log_a", 100, "opened", 101),
        ],
    )
    .await;
    let logs = logs(&store, &[]).await;
    assert_eq!(logs.len(), 2);
    let mut pairs: Vec<(String, String)> = logs
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().into(),
                l["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("log_a".into(), "opened".into()),
            ("log_b".into(), "sent".into())
        ]
    );
}

#[tokio::test]
async fn every_log_carries_its_expiry_from_the_send_time() {
    let store = TestStore::start().await;
    // One log created by its send, one by a status that came first: same rule for both.
    deliver(
        &store,
        &[
            sent("log_s", 1_000),
            status("log_t", 2_000, "opened", 2_500),
        ],
    )
    .await;
    let ttl = shared::store::schema::LOGS.ttl_attribute.unwrap();
    let mut expiries: Vec<(String, AttributeValue)> = store
        .items(LOGS_TABLE)
        .await
        .into_iter()
        .map(|item| {
            let id = item["log_id"].as_s().unwrap().clone();
            (id, item[ttl].clone())
        })
        .collect();
    expiries.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        expiries,
        [
            (
                "log_s".into(),
                AttributeValue::N((1_000 + RETENTION).to_string())
            ),
            (
                "log_t".into(),
                AttributeValue::N((2_000 + RETENTION).to_string())
            ),
        ]
    );
    // A redelivered event computes the same expiry: nothing moves.
    let before = store.items(LOGS_TABLE).await;
    deliver(&store, &[sent("log_t", 2_000)]).await;
    let after = store.items(LOGS_TABLE).await;
    let expiry = |items: &[std::collections::HashMap<String, AttributeValue>], id: &str| {
        items
            .iter()
            .find(|i| i["log_id"].as_s().unwrap() == id)
            .unwrap()[ttl]
            .clone()
    };
    assert_eq!(expiry(&before, "log_t"), expiry(&after, "log_t"));
}

#[tokio::test]
async fn invalid_messages_are_reported_by_id_and_the_rest_are_recorded() {
    let store = TestStore::start().await;
    let bodies = vec![
        sent("log_ok_1", 100),
        "{not json".to_owned(),
        json!({"event": "sent", "log_id": "l", "email": "matt@sendwithus.com", "created": "100"})
            .to_string(),
        json!({"event": "bought", "log_id": "l", "email": "matt@sendwithus.com", "created": 100})
            .to_string(),
        json!({"event": "sent", "log_id": "l", "email": "not-an-address", "created": 100})
            .to_string(),
        json!({"event": "status", "log_id": "l", "email": "matt@sendwithus.com", "created": 100,
               "status": "read", "at": 101})
        .to_string(),
        json!({"event": "sent", "log_id": 7, "email": "matt@sendwithus.com", "created": 100})
            .to_string(),
        String::new(),
        // Milliseconds, where the contract says seconds: in `created` and in `at`.
        sent("log_ms", 1_764_000_000_000),
        status("log_ms", 100, "opened", 1_764_000_000_123),
        // After the year 3000.
        sent("log_far", 32_503_680_001),
        sent("log_ok_2", 200),
    ];
    let response = app(store.recorder())
        .handle(sqs_batch(&bodies))
        .await
        .unwrap();
    assert_eq!(
        failed_ids(&response),
        ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10"]
    );
    assert_eq!(log_ids(&store, &[]).await, ["log_ok_2", "log_ok_1"]);
}

#[tokio::test]
async fn every_spelling_of_an_address_reaches_one_log() {
    let store = TestStore::start().await;
    let spelled = |email: &str, event: String| event.replace("matt@sendwithus.com", email);
    deliver(
        &store,
        &[
            spelled("jose\u{301}@xn--bcher-kva.de", sent("log_1", 100)),
            spelled(
                "JOS\u{c9}@B\u{dc}CHER.DE",
                status("log_1", 100, "opened", 150),
            ),
        ],
    )
    .await;
    let items = store.items(LOGS_TABLE).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(
        items[0]["email"],
        AttributeValue::S("jos\u{e9}@b\u{fc}cher.de".into())
    );
    assert_eq!(items[0]["status"], AttributeValue::S("opened".into()));
    assert_eq!(items[0]["email_id"], AttributeValue::S("tem_1".into()));
}

#[tokio::test]
async fn a_store_failure_fails_only_the_messages_it_touched() {
    let store = TestStore::start().await;
    // The store fails every write for one log, and only for that one.
    let faulty = FaultyStore::in_front_of(&store, |request| {
        String::from_utf8_lossy(request).contains("log_unlucky")
    })
    .await;
    let logs_behind_fault = recorder_for(&faulty.endpoint);
    let response = app(logs_behind_fault)
        .handle(sqs_batch(&[
            sent("log_a", 100),
            sent("log_unlucky", 150),
            sent("log_b", 200),
        ]))
        .await
        .unwrap();
    assert_eq!(failed_ids(&response), ["m1"]);
    assert_eq!(log_ids(&store, &[]).await, ["log_b", "log_a"]);
}

#[tokio::test]
async fn a_store_that_is_down_fails_every_message_but_not_the_invocation() {
    let closed = closed_endpoint();
    let logs = recorder_for(&closed);
    let response = app(logs)
        .handle(sqs_batch(&[sent("log_a", 100), sent("log_b", 200)]))
        .await
        .unwrap();
    assert_eq!(failed_ids(&response), ["m0", "m1"]);
}

#[tokio::test]
async fn read_back_through_the_endpoint_order_count_and_bounds() {
    let store = TestStore::start().await;
    let events: Vec<String> = (1..=6).map(|i| sent(&format!("log_{i}"), i * 10)).collect();
    deliver(&store, &events).await;
    assert_eq!(
        log_ids(&store, &[]).await,
        ["log_6", "log_5", "log_4", "log_3", "log_2", "log_1"]
    );
    assert_eq!(log_ids(&store, &[("count", "2")]).await, ["log_6", "log_5"]);
    assert_eq!(
        log_ids(&store, &[("created_gt", "20"), ("created_lt", "50")]).await,
        ["log_4", "log_3"]
    );
}

#[tokio::test]
async fn the_store_reports_duplicates_and_stale_statuses_as_already_reflected() {
    use shared::store::log_events::Outcome::{AlreadyReflected, Applied};
    let store = TestStore::start().await;
    let log_store = store.recorder();
    let record = |body: String| {
        let logs = log_store.clone();
        async move {
            let event = shared::EmailEvent::parse(&body).unwrap();
            logs.apply(&event, RETENTION).await.unwrap()
        }
    };
    assert_eq!(record(sent("log_1", 100)).await, Applied);
    assert_eq!(record(sent("log_1", 100)).await, AlreadyReflected);
    assert_eq!(record(status("log_1", 100, "opened", 150)).await, Applied);
    assert_eq!(
        record(status("log_1", 100, "opened", 150)).await,
        AlreadyReflected
    );
    assert_eq!(
        record(status("log_1", 100, "delivered", 150)).await,
        AlreadyReflected
    );
    assert_eq!(
        record(status("log_1", 100, "delivered", 140)).await,
        AlreadyReflected
    );
    assert_eq!(record(status("log_1", 100, "clicked", 150)).await, Applied);
    // Same time and status: the message breaks the tie ("other" sorts after "SendGrid: …"), so the
    // same one wins in either order.
    let other_message = status("log_1", 100, "clicked", 150).replace("SendGrid: clicked", "other");
    assert_eq!(record(other_message).await, Applied);
    assert_eq!(
        record(status("log_1", 100, "clicked", 150)).await,
        AlreadyReflected
    );
    assert_eq!(logs(&store, &[]).await[0]["message"], "other");
}

#[tokio::test]
async fn a_store_that_hangs_fails_the_batch_messages_without_hanging_the_function() {
    let hanging = HangingStore::start().await;
    let logs = recorder_for(&hanging.endpoint);
    let bodies: Vec<String> = (0..10)
        .map(|i| sent(&format!("log_{i}"), 100 + i))
        .collect();
    // Far beyond one store timeout, far below ten of them: only messages handled one after the
    // other, or a hang, would reach it.
    let guard = shared::store::client::OPERATION_TIMEOUT * 5;
    let response = tokio::time::timeout(guard, app(logs).handle(sqs_batch(&bodies)))
        .await
        .expect("the batch finished before the guard")
        .unwrap();
    assert_eq!(failed_ids(&response).len(), 10);
}

/// The arrival-order rule as a property: any set of events for one log (a send and its duplicates,
/// statuses of every kind at the same second, a second apart, before and after the send, with and
/// without messages, duplicates among them), delivered one message per invocation in many orders,
/// always leaves the same item, and that item is the one the rule names.
mod arrival_order {
    use super::*;
    use proptest::prelude::*;
    use shared::model::event::Status;
    use std::collections::HashMap;

    const CREATED: u64 = 1_000;

    #[derive(Debug, Clone)]
    enum Event {
        Sent,
        Status {
            status: Status,
            at: u64,
            message: Option<&'static str>,
        },
    }

    impl Event {
        fn body(&self, log_id: &str) -> String {
            match self {
                Event::Sent => sent(log_id, CREATED),
                Event::Status {
                    status,
                    at,
                    message,
                } => json!({"event": "status", "log_id": log_id, "email": "matt@sendwithus.com",
                            "created": CREATED, "status": status.as_str(), "message": message,
                            "at": at})
                .to_string(),
            }
        }
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            1 => Just(Event::Sent),
            4 => (
                proptest::sample::select(Status::ALL.to_vec()),
                CREATED - 1..=CREATED + 2,
                proptest::option::of(proptest::sample::select(vec!["a", "b", "SMTP 250"])),
            )
                .prop_map(|(status, at, message)| Event::Status { status, at, message }),
        ]
    }

    /// A set of events (duplicates drawn by repeating some), and several orders of it.
    fn events_in_orders() -> impl Strategy<Value = (Vec<Event>, Vec<Vec<Event>>)> {
        proptest::collection::vec(event(), 1..6)
            .prop_flat_map(|events| {
                let doubled: Vec<Event> = events.iter().chain(&events).cloned().collect();
                proptest::sample::subsequence(doubled.clone(), events.len()..=doubled.len())
            })
            .prop_flat_map(|events| {
                let orders = proptest::collection::vec(Just(events.clone()).prop_shuffle(), 4);
                (Just(events), orders)
            })
    }

    /// What the rule says the log shows: the greatest status event by (at, rank, message), else
    /// `sent` if there was a send.
    fn expected(events: &[Event]) -> (Option<String>, Option<String>) {
        let greatest = events
            .iter()
            .filter_map(|event| match event {
                Event::Status {
                    status,
                    at,
                    message,
                } => Some((
                    *at,
                    status.rank_tenths(),
                    message.map(|m| format!("={m}")),
                    *status,
                    *message,
                )),
                Event::Sent => None,
            })
            .max_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
        match greatest {
            Some((.., status, message)) => {
                (Some(status.as_str().to_owned()), message.map(str::to_owned))
            }
            None => (Some("sent".to_owned()), None),
        }
    }

    /// The distinct entries the events make, as the log's history lists them: oldest first, in
    /// tie order, each once.
    fn expected_entries(events: &[Event]) -> Vec<shared::model::event::LogEntry> {
        let mut entries: Vec<shared::model::event::LogEntry> = events
            .iter()
            .map(|event| match event {
                Event::Sent => shared::model::event::LogEntry {
                    status: Status::Sent,
                    at: CREATED,
                    message: None,
                },
                Event::Status {
                    status,
                    at,
                    message,
                } => shared::model::event::LogEntry {
                    status: *status,
                    at: *at,
                    message: message.map(str::to_owned),
                },
            })
            .collect();
        entries.sort_by_key(shared::store::schema::entry_sort_key);
        entries.dedup();
        entries
    }

    /// What the log shows: the applied status, `re_opened` / `re_clicked` where two or more
    /// distinct opens / clicks came.
    fn expected_shown(events: &[Event]) -> Option<String> {
        let (status, _) = expected(events);
        let distinct = |wanted: Status| {
            expected_entries(events)
                .iter()
                .filter(|entry| entry.status == wanted)
                .count()
        };
        match status.as_deref() {
            Some("opened") if distinct(Status::Opened) >= 2 => Some("re_opened".to_owned()),
            Some("clicked") if distinct(Status::Clicked) >= 2 => Some("re_clicked".to_owned()),
            _ => status,
        }
    }

    /// The item without its key: what must not depend on the order. The sets of distinct opens
    /// and clicks hold the first two to arrive, which may differ; their size may not.
    fn content(mut item: HashMap<String, AttributeValue>) -> Vec<(String, AttributeValue)> {
        item.remove("created");
        item.remove("log_id");
        for set in ["opened_entries", "clicked_entries"] {
            if let Some(AttributeValue::Ss(ids)) = item.get(set) {
                let size = AttributeValue::N(ids.len().to_string());
                item.insert(set.to_owned(), size);
            }
        }
        let mut fields: Vec<_> = item.into_iter().collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields
    }

    fn text(item: &[(String, AttributeValue)], name: &str) -> Option<String> {
        item.iter()
            .find(|(field, _)| field == name)
            .and_then(|(_, value)| value.as_s().ok().cloned())
    }

    #[test]
    fn every_order_leaves_the_same_log() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let store = runtime.block_on(TestStore::start());
        let consumer = app(store.recorder());
        let api = Api::new(&store, fixed_now, integration_tests::PathDelivery::Decoded);
        let case = std::sync::atomic::AtomicUsize::new(0);
        let config = ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        proptest!(config, |((events, orders) in events_in_orders())| {
            let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let items = runtime.block_on(async {
                let mut items = Vec::new();
                for (index, order) in std::iter::once(&events).chain(&orders).enumerate() {
                    // Each order writes its own log, in a table all cases share.
                    let log_id = format!("log_{case}_{index}");
                    for event in order {
                        let response = consumer.handle(sqs_batch(&[event.body(&log_id)])).await.unwrap();
                        assert!(response.batch_item_failures.is_empty(), "{event:?}");
                    }
                    let item = store.items(LOGS_TABLE).await.into_iter().find(|item| {
                        item.get("log_id").and_then(|v| v.as_s().ok()) == Some(&log_id)
                    });
                    let served = |path: String| {
                        let api = &api;
                        async move {
                            let reply = api.send(ApiRequest::get(&path)).await;
                            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
                            let mut json = reply.json();
                            // The one field that names the order's own log.
                            json.as_object_mut().map(|o| o.remove("id"));
                            json.as_object_mut().map(|o| o.remove("events_url"));
                            json
                        }
                    };
                    items.push((
                        content(item.expect("the log exists")),
                        served(format!("/api/v1/logs/{log_id}")).await,
                        served(format!("/api/v1/logs/{log_id}/events")).await,
                    ));
                }
                items
            });
            for (order, item) in orders.iter().zip(&items[1..]) {
                prop_assert_eq!(item, &items[0], "order {:?}", order);
            }
            let (stored, log, entries) = &items[0];
            let (status, message) = expected(&events);
            prop_assert_eq!(text(stored, "status"), status);
            prop_assert_eq!(text(stored, "message"), message.clone());
            prop_assert_eq!(log["status"].as_str().map(str::to_owned), expected_shown(&events));
            prop_assert_eq!(log["message"].as_str().map(str::to_owned), message);
            let expected: Vec<serde_json::Value> =
                expected_entries(&events).iter().map(|e| e.to_json()).collect();
            prop_assert_eq!(entries, &serde_json::Value::Array(expected));
        });
    }
}
