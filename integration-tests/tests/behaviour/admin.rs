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
        let consumer = record_email_event::App {
            recorder: store.recorder(),
            retention_seconds: u64::MAX / 4,
        };
        let summary = import_events(&consumer, &file.join("\n")).await;
        assert_eq!(summary.written, 5, "{order:?}: {summary:?}");
        assert_eq!(summary.refused.len(), 1);
        assert_eq!(summary.refused[0].line, 3, "reported by its line");
        assert_eq!(sorted(store.items(LOGS_TABLE).await), expected, "{order:?}");
    }
}
