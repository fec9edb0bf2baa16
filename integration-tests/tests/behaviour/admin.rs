//! `customers-admin`: imports through dynoxide, with the model's rules and the consumer's own code.

use aws_sdk_dynamodb::types::AttributeValue;
use customers_admin::rows::customer_rows;
use customers_admin::{import_customers, import_events};
use integration_tests::{CUSTOMERS_TABLE, FIXED_NOW, LOGS_TABLE, TestStore};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;

type Item = HashMap<String, AttributeValue>;

fn sorted(mut items: Vec<Item>) -> Vec<Vec<(String, AttributeValue)>> {
    let mut rows: Vec<Vec<(String, AttributeValue)>> = items
        .drain(..)
        .map(|item| {
            let mut fields: Vec<_> = item.into_iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            fields
        })
        .collect();
    rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    rows
}

fn number(item: &Item, name: &str) -> u64 {
    item[name].as_n().unwrap().parse().unwrap()
}

fn customer<'a>(items: &'a [Item], email: &str) -> &'a Item {
    items
        .iter()
        .find(|item| item["email"].as_s().unwrap() == email)
        .unwrap_or_else(|| panic!("{email} was not imported"))
}

/// The consumer's own code on `store`, keeping every log whatever its age.
fn consumer_on(store: &TestStore) -> record_email_event::App {
    record_email_event::App {
        recorder: store.recorder(),
        retention_seconds: u64::MAX / 4,
    }
}

/// `store`'s API over HTTP on 127.0.0.1, answering as `faults` says: a migration's source.
async fn serve(
    store: &TestStore,
    faults: integration_tests::FaultPlan,
) -> integration_tests::HttpApi {
    use integration_tests::{Api, HttpApi, PathDelivery, fixed_now};
    HttpApi::serve(Api::new(store, fixed_now, PathDelivery::Decoded), faults).await
}

#[tokio::test]
async fn customers_keep_their_created_bad_rows_are_refused_and_a_rerun_changes_nothing() {
    let store = TestStore::start().await;
    // An existing customer, created later than the file says, and one created earlier.
    store
        .customers()
        .upsert(&integration_tests::addr("late@example.com"), None, 2_000)
        .await
        .unwrap();
    store
        .customers()
        .upsert(&integration_tests::addr("early@example.com"), None, 100)
        .await
        .unwrap();
    let file = "email,locale,created\n\
                New@Example.com,de-de,1234567890\n\
                no-created@example.com,,\n\
                late@example.com,fr,1500\n\
                early@example.com,,900\n\
                not-an-address,en,\n\
                bad-locale@example.com,xx-ZZ,1\n\
                \"\"\"quoted\"\"@example.com\",,7\n";
    let rows = customer_rows(Path::new("customers.csv"), file);
    let summary = import_customers(&store.customers(), rows, FIXED_NOW).await;
    assert_eq!(summary.written, 5, "{summary:?}");
    let lines: Vec<usize> = summary.refused.iter().map(|r| r.line).collect();
    assert_eq!(lines, [6, 7]);
    let items = store.items(CUSTOMERS_TABLE).await;
    assert_eq!(items.len(), 5, "the refused rows are written nowhere");
    let new = customer(&items, "new@example.com");
    assert_eq!(number(new, "created"), 1_234_567_890);
    assert_eq!(new["locale"].as_s().unwrap(), "de-DE");
    assert_eq!(
        number(customer(&items, "no-created@example.com"), "created"),
        FIXED_NOW
    );
    assert_eq!(
        number(customer(&items, "late@example.com"), "created"),
        1500,
        "moved earlier"
    );
    assert_eq!(
        number(customer(&items, "early@example.com"), "created"),
        100,
        "never later"
    );
    assert_eq!(
        number(customer(&items, "quoted@example.com"), "created"),
        7,
        "one mailbox"
    );

    let again = customer_rows(Path::new("customers.csv"), file);
    let rerun = import_customers(&store.customers(), again, FIXED_NOW + 1_000).await;
    assert_eq!(rerun.written, 5);
    assert_eq!(
        sorted(store.items(CUSTOMERS_TABLE).await),
        sorted(items),
        "a second run changes nothing"
    );
}

#[tokio::test]
async fn events_replayed_in_any_order_leave_the_logs_the_consumer_leaves() {
    let events: Vec<String> = [
        json!({"event": "sent", "log_id": "log_1", "email": "a@example.com", "created": 100,
               "recipient_name": "A", "email_name": "Welcome"}),
        json!({"event": "status", "log_id": "log_1", "email": "a@example.com", "created": 100,
               "status": "delivered", "at": 110, "message": "250"}),
        json!({"event": "status", "log_id": "log_1", "email": "a@example.com", "created": 100,
               "status": "opened", "at": 120}),
        json!({"event": "status", "log_id": "log_1", "email": "a@example.com", "created": 100,
               "status": "opened", "at": 130}),
        json!({"event": "sent", "log_id": "log_2", "email": "b@example.com", "created": 200}),
    ]
    .iter()
    .map(|event| event.to_string())
    .collect();
    let consumer_store = TestStore::start().await;
    assert!(consumer_store.deliver_each(&events).await.is_empty());
    let expected = sorted(consumer_store.items(LOGS_TABLE).await);
    for order in [
        vec![0, 1, 2, 3, 4],
        vec![4, 3, 2, 1, 0],
        vec![2, 4, 0, 3, 1],
    ] {
        let store = TestStore::start().await;
        let mut file: Vec<&str> = order.iter().map(|i| events[*i].as_str()).collect();
        file.insert(2, "{\"event\":\"sent\",\"email\":\"nope\"}");
        file.insert(3, "");
        let consumer = consumer_on(&store);
        let summary = import_events(&consumer, &file.join("\n")).await;
        assert_eq!(summary.written, 5, "{order:?}: {summary:?}");
        assert_eq!(summary.refused.len(), 1);
        assert_eq!(summary.refused[0].line, 3, "reported by its line");
        assert_eq!(sorted(store.items(LOGS_TABLE).await), expected, "{order:?}");
    }
}

/// Everything the API says about `addresses` and their logs: what a round trip must keep.
async fn what_the_api_says(store: &TestStore, addresses: &[&str]) -> Vec<(String, String)> {
    use integration_tests::{Api, ApiRequest, PathDelivery, fixed_now};
    let api = Api::new(store, fixed_now, PathDelivery::Decoded);
    let mut said = Vec::new();
    for address in addresses {
        for path in [
            format!("/api/v1/customers/{address}"),
            format!("/api/v1/customers/{address}/logs"),
        ] {
            let reply = api.send(ApiRequest::get(&path)).await;
            said.push((path.clone(), format!("{} {}", reply.status, reply.body)));
            if path.ends_with("/logs") {
                for log in reply.json()["logs"].as_array().unwrap() {
                    let id = log["id"].as_str().unwrap();
                    for path in [
                        format!("/api/v1/logs/{id}"),
                        format!("/api/v1/logs/{id}/events"),
                    ] {
                        let reply = api.send(ApiRequest::get(&path)).await;
                        said.push((path, format!("{} {}", reply.status, reply.body)));
                    }
                }
            }
        }
    }
    said
}

fn ses(event_type: &str, part: &str, body: serde_json::Value) -> String {
    let mut detail = json!({"eventType": event_type, "mail": {
        "timestamp": "2021-10-01T10:00:00.000Z", "messageId": "ses-1",
        "destination": ["a@example.com", "b@example.com"],
        "commonHeaders": {"to": ["A <a@example.com>, B <b@example.com>"], "subject": "Hi"}}});
    detail[part] = body;
    json!({"source": "aws.ses", "detail-type": event_type, "detail": detail}).to_string()
}

/// A history with a bit of everything: our own events, SES's message-wide ones, a bounce, two
/// distinct opens.
fn history() -> Vec<String> {
    let mut events: Vec<String> = [
        json!({"event": "sent", "log_id": "log_1", "email": "c@example.com", "created": 100,
               "recipient_name": "C", "email_id": "tem_1", "email_name": "Welcome"}),
        json!({"event": "status", "log_id": "log_1", "email": "c@example.com", "created": 100,
               "status": "opened", "at": 120}),
        json!({"event": "status", "log_id": "log_1", "email": "c@example.com", "created": 100,
               "status": "opened", "at": 140, "message": "again"}),
        json!({"event": "status", "log_id": "log_2", "email": "c@example.com", "created": 200,
               "status": "spam", "at": 210}),
    ]
    .iter()
    .map(|event| event.to_string())
    .collect();
    events.push(ses("Send", "send", json!({})));
    events.push(ses(
        "Bounce",
        "bounce",
        json!({"bouncedRecipients": [{"emailAddress": "a@example.com"}],
               "timestamp": "2021-10-01T10:00:05.000Z"}),
    ));
    events.push(ses(
        "Open",
        "open",
        json!({"timestamp": "2021-10-01T10:09:00.000Z"}),
    ));
    events
}

#[tokio::test]
async fn export_then_import_into_empty_tables_gives_the_same_answers() {
    let addresses = ["a@example.com", "b@example.com", "c@example.com"];
    let source = TestStore::start().await;
    for address in addresses {
        source
            .customers()
            .upsert(&integration_tests::addr(address), None, 50)
            .await
            .unwrap();
    }
    assert!(source.deliver_each(&history()).await.is_empty());
    let before = what_the_api_says(&source, &addresses).await;
    assert!(before.iter().any(|(_, said)| said.contains("re_opened")));
    assert!(before.iter().any(|(_, said)| said.contains("bounced")));

    let dir = std::env::temp_dir().join(format!("swu-export-{}", std::process::id()));
    let (customers, logs) =
        customers_admin::export(&source.customers(), &source.logs(), &source.history(), &dir)
            .await
            .unwrap();
    assert_eq!((customers, logs), (3, 4));

    let target = TestStore::start().await;
    let customers_file = dir.join("customers.jsonl");
    let rows = customer_rows(
        &customers_file,
        &std::fs::read_to_string(&customers_file).unwrap(),
    );
    let imported = import_customers(&target.customers(), rows, FIXED_NOW).await;
    assert_eq!((imported.written, imported.refused.len()), (3, 0));
    let consumer = consumer_on(&target);
    let events = std::fs::read_to_string(dir.join("logs.jsonl")).unwrap();
    let replayed = import_events(&consumer, &events).await;
    assert!(replayed.refused.is_empty(), "{replayed:?}");
    assert_eq!(what_the_api_says(&target, &addresses).await, before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn erase_forgets_one_person_keeps_everyone_else_and_drops_their_later_events() {
    use shared::store::erasure::{ErasedList, erase};
    let store = TestStore::start().await;
    for address in ["a@example.com", "c@example.com"] {
        store
            .customers()
            .upsert(&integration_tests::addr(address), None, 50)
            .await
            .unwrap();
    }
    assert!(store.deliver_each(&history()).await.is_empty());
    let keep = ["b@example.com", "a@example.com"];
    let before = what_the_api_says(&store, &keep).await;
    let (customers, logs, events) = tables(&store).await;
    let c = integration_tests::addr("c@example.com");
    let erased = erase(
        &store.client,
        CUSTOMERS_TABLE,
        LOGS_TABLE,
        integration_tests::LOG_EVENTS_TABLE,
        &c,
    )
    .await
    .unwrap();
    assert_eq!((erased.customers, erased.logs, erased.events), (1, 2, 4));
    ErasedList::new(store.client.clone(), LOGS_TABLE)
        .set(&c, true)
        .await
        .unwrap();
    let (customers_after, logs_after, events_after) = tables(&store).await;
    assert_eq!(customers_after.len(), customers.len() - 1);
    // The erased list's one item replaces the two logs.
    assert_eq!(logs_after.len(), logs.len() - 2 + 1);
    assert_eq!(events_after.len(), events.len() - 4);
    let everything = format!("{customers_after:?}{logs_after:?}{events_after:?}");
    assert!(
        !everything.contains("c@example.com"),
        "no trace of the address"
    );
    assert_eq!(
        what_the_api_says(&store, &keep).await,
        before,
        "nobody else changed"
    );

    // A later event for the erased address is dropped, and not retried.
    let later =
        json!({"event": "sent", "log_id": "log_9", "email": "C@Example.com", "created": 900})
            .to_string();
    assert!(
        store
            .deliver_each(std::slice::from_ref(&later))
            .await
            .is_empty()
    );
    assert_eq!(store.items(LOGS_TABLE).await.len(), logs_after.len());
    // Lifted, the next one is recorded.
    ErasedList::new(store.client.clone(), LOGS_TABLE)
        .set(&c, false)
        .await
        .unwrap();
    assert!(store.deliver_each(&[later]).await.is_empty());
    let recorded = what_the_api_says(&store, &["c@example.com"]).await;
    assert!(
        recorded
            .iter()
            .any(|(path, _)| path == "/api/v1/logs/log_9"),
        "{recorded:?}"
    );
}

async fn tables(store: &TestStore) -> (Vec<Item>, Vec<Item>, Vec<Item>) {
    (
        store.items(CUSTOMERS_TABLE).await,
        store.items(LOGS_TABLE).await,
        store.items(integration_tests::LOG_EVENTS_TABLE).await,
    )
}

#[tokio::test]
async fn migrate_copies_what_the_source_api_says_through_throttling_and_resumes_where_it_stopped() {
    use customers_admin::migrate::{Source, migrate};
    use integration_tests::HttpApi;
    let addresses = ["a@example.com", "b@example.com", "c@example.com"];
    let source = TestStore::start().await;
    for (address, locale) in addresses.iter().zip([Some("de-DE"), None, Some("fr")]) {
        let locale = locale.map(|tag| shared::Locale::parse(tag).unwrap());
        source
            .customers()
            .upsert(&integration_tests::addr(address), locale.as_ref(), 50)
            .await
            .unwrap();
    }
    assert!(source.deliver_each(&history()).await.is_empty());
    let before = what_the_api_says(&source, &addresses).await;

    let dir = std::env::temp_dir().join(format!("swu-migrate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("migrate.state");
    let file = "# the addresses to move\n\
                a@example.com\n\
                \n\
                B@Example.com\n\
                c@example.com\n\
                unknown@example.com\n\
                not-an-address\n";
    let target = TestStore::start().await;
    let consumer = consumer_on(&target);
    let run = |server: &HttpApi, concurrency| {
        let source =
            Source::new(&server.base, integration_tests::TEST_KEY.into(), 1_000.0).unwrap();
        let (customers, consumer, state) = (target.customers(), &consumer, state.clone());
        async move { migrate(&source, &customers, consumer, file, &state, concurrency).await }
    };

    // Interrupted: after the first address's three requests (customer, logs, one log's events)
    // the source refuses everything with a 400, which is not retried.
    let refusing = serve(&source, |n| (n >= 3).then_some(400)).await;
    let first = run(&refusing, 1).await.unwrap();
    assert_eq!((first.addresses, first.skipped), (1, 0), "{first:?}");
    let failed: Vec<usize> = first.failed.iter().map(|(line, _)| *line).collect();
    assert_eq!(
        failed,
        [7, 4, 5, 6],
        "the bad address first, then by line: {first:?}"
    );

    // Resumed against a throttled, flaky source: 429s (with Retry-After) and a 503 are retried.
    let flaky = serve(&source, |n| {
        matches!(n, 0 | 1 | 5).then(|| if n == 5 { 503 } else { 429 })
    })
    .await;
    let second = run(&flaky, 2).await.unwrap();
    assert_eq!((second.addresses, second.skipped), (3, 1), "{second:?}");
    assert_eq!(second.unknown, [6]);
    assert_eq!(second.failed.len(), 1, "only the bad address: {second:?}");
    assert!(flaky.requests() > 3 + 2 + 1, "the faults were met");
    assert_eq!(what_the_api_says(&target, &addresses).await, before);

    // A third run has nothing left to read.
    let served = flaky.requests();
    let third = run(&flaky, 2).await.unwrap();
    assert_eq!((third.addresses, third.skipped), (0, 4), "{third:?}");
    assert_eq!(flaky.requests(), served, "no request for an address done");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn migrate_reads_every_log_when_pages_end_inside_a_second() {
    use customers_admin::migrate::{Source, migrate};
    let source = TestStore::start().await;
    // 250 logs, three to a second: every page of 100 ends inside a second.
    let sends: Vec<String> = (0..250)
        .map(|i| {
            json!({"event": "sent", "log_id": format!("log_{i}"), "email": "a@example.com",
                   "created": 1_000 + i / 3})
            .to_string()
        })
        .collect();
    assert!(source.deliver_each(&sends).await.is_empty());
    let server = serve(&source, |_| None).await;
    let target = TestStore::start().await;
    let consumer = consumer_on(&target);
    let state = std::env::temp_dir().join(format!("swu-migrate-pages-{}", std::process::id()));
    let source_api =
        Source::new(&server.base, integration_tests::TEST_KEY.into(), 1_000.0).unwrap();
    let migrated = migrate(
        &source_api,
        &target.customers(),
        &consumer,
        "a@example.com\n",
        &state,
        1,
    )
    .await
    .unwrap();
    std::fs::remove_file(&state).unwrap();
    assert_eq!(migrated.logs, 250, "{migrated:?}");
    let ids = |items: Vec<Item>| {
        let mut ids: Vec<String> = items
            .iter()
            .map(|item| item["log_id"].as_s().unwrap().clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(target.items(LOGS_TABLE).await),
        ids(source.items(LOGS_TABLE).await)
    );
}

#[tokio::test]
async fn migrate_with_a_wrong_key_says_so_and_writes_nothing() {
    use customers_admin::migrate::{Source, migrate};
    let source = TestStore::start().await;
    source
        .customers()
        .upsert(&integration_tests::addr("a@example.com"), None, 50)
        .await
        .unwrap();
    let server = serve(&source, |_| None).await;
    let target = TestStore::start().await;
    let consumer = consumer_on(&target);
    let state = std::env::temp_dir().join(format!("swu-migrate-key-{}", std::process::id()));
    let wrong = Source::new(&server.base, "not-the-key".into(), 1_000.0).unwrap();
    let migrated = migrate(
        &wrong,
        &target.customers(),
        &consumer,
        "a@example.com",
        &state,
        1,
    )
    .await
    .unwrap();
    assert_eq!(migrated.addresses, 0);
    assert_eq!(migrated.failed.len(), 1);
    assert!(
        migrated.failed[0].1.contains("refused the key"),
        "{migrated:?}"
    );
    assert_eq!(server.requests(), 1, "a refused key is not retried");
    assert!(target.items(CUSTOMERS_TABLE).await.is_empty());
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        "",
        "nothing noted as done"
    );
    std::fs::remove_file(&state).unwrap();
}
