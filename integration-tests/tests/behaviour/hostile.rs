//! Untrusted input at the queue: one message never sinks its batch, one recipient never another's.
//! SES records built as EventBridge delivers them, against a real store (slow where it says so).

use integration_tests::{
    Api, ApiRequest, FaultyStore, HangingStore, LOG_EVENTS_TABLE, PathDelivery, TestStore,
    failed_ids, fixed_now, recorder_for, sqs_batch,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const MESSAGE_ID: &str = "0100017c-hostile-0000";
const SENT_AT: &str = "2021-10-01T10:00:00.000Z";

fn app(recorder: shared::store::log_events::Recorder) -> record_email_event::App {
    record_email_event::App {
        recorder,
        retention_seconds: u64::MAX / 4,
    }
}

/// An SES record in EventBridge's envelope: `event_type` with its own `part`, for a message sent
/// to `destination` with the `To` header `to`.
fn record(
    event_type: &str,
    part: Option<(&str, Value)>,
    destination: &[&str],
    to: &[&str],
) -> String {
    let mut detail = json!({"eventType": event_type, "mail": {
        "timestamp": SENT_AT, "source": "sender@example.com", "messageId": MESSAGE_ID,
        "destination": destination,
        "commonHeaders": {"from": ["sender@example.com"], "to": to, "subject": "Hello"},
        "tags": {"ses:configuration-set": ["Set"]}}});
    if let Some((name, value)) = part {
        detail[name] = value;
    }
    json!({"version": "0", "id": "e1", "detail-type": event_type, "source": "aws.ses",
           "account": "123456789012", "time": SENT_AT, "region": "us-east-1", "resources": [],
           "detail": detail})
    .to_string()
}

fn at(seconds: u64) -> String {
    format!("2021-10-01T10:{:02}:{:02}.000Z", seconds / 60, seconds % 60)
}

fn send(destination: &[&str], to: &[&str]) -> String {
    record("Send", Some(("send", json!({}))), destination, to)
}

fn bounce(address: &str, seconds: u64, destination: &[&str]) -> String {
    record(
        "Bounce",
        Some((
            "bounce",
            json!({"bounceType": "Permanent", "bouncedRecipients": [
            {"emailAddress": address, "diagnosticCode": "smtp; 550 user unknown"}],
            "timestamp": at(seconds)}),
        )),
        destination,
        &[],
    )
}

fn open(seconds: u64, destination: &[&str]) -> String {
    record(
        "Open",
        Some((
            "open",
            json!({"timestamp": at(seconds), "ipAddress": "192.0.2.1"}),
        )),
        destination,
        &[],
    )
}

fn click(seconds: u64, link: &str, destination: &[&str]) -> String {
    record(
        "Click",
        Some((
            "click",
            json!({"timestamp": at(seconds), "link": link, "ipAddress": "192.0.2.1"}),
        )),
        destination,
        &[],
    )
}

fn delivery(seconds: u64, recipients: &[&str], destination: &[&str]) -> String {
    record(
        "Delivery",
        Some((
            "delivery",
            json!({"timestamp": at(seconds), "recipients": recipients,
                                "smtpResponse": "250 OK"}),
        )),
        destination,
        &[],
    )
}

async fn deliver(store: &TestStore, bodies: &[String]) -> Vec<String> {
    store.deliver_each(bodies).await
}

/// The address's logs as the API serves them.
async fn logs_of(store: &TestStore, address: &str) -> Vec<Value> {
    let api = Api::new(store, fixed_now, PathDelivery::Decoded);
    let reply = api
        .send(ApiRequest::get(&format!(
            "/api/v1/customers/{address}/logs"
        )))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["logs"].as_array().unwrap().clone()
}

async fn the_log_of(store: &TestStore, address: &str) -> Value {
    let logs = logs_of(store, address).await;
    assert_eq!(logs.len(), 1, "{address}: {logs:?}");
    logs[0].clone()
}

#[tokio::test]
async fn the_to_header_is_an_address_list() {
    let store = TestStore::start().await;
    let destination = [
        "jane@example.com",
        "mary@example.com",
        "richard@example.com",
    ];
    // SES's own example puts every recipient in one entry; a quoted name may hold a comma, and a
    // group lists its members.
    let to = [
        "Jane Doe <jane@example.com>, \"Doe, Mary\" <mary@example.com>",
        "Team: Richard Doe <richard@example.com>;",
    ];
    assert!(deliver(&store, &[send(&destination, &to)]).await.is_empty());
    for (address, name) in [
        ("jane@example.com", "Jane Doe"),
        ("mary@example.com", "Doe, Mary"),
        ("richard@example.com", "Richard Doe"),
    ] {
        assert_eq!(
            the_log_of(&store, address).await["recipient_name"],
            name,
            "{address}"
        );
    }
}

#[tokio::test]
async fn one_bad_recipient_never_sinks_the_others() {
    let store = TestStore::start().await;
    let destination = ["good@example.com", "not an address", "also@example.com"];
    assert!(
        deliver(&store, &[send(&destination, &[])]).await.is_empty(),
        "the valid recipients are recorded and the message is not retried"
    );
    for address in ["good@example.com", "also@example.com"] {
        assert_eq!(the_log_of(&store, address).await["status"], "sent");
    }
}

#[tokio::test]
async fn a_status_is_only_for_recipients_of_the_message() {
    let store = TestStore::start().await;
    let destination = ["a@example.com", "b@example.com"];
    let forwarded = record(
        "Bounce",
        Some((
            "bounce",
            json!({"bounceType": "Permanent", "bouncedRecipients": [
                {"emailAddress": "a@example.com"}, {"emailAddress": "forward@elsewhere.example"}],
                "timestamp": at(30)}),
        )),
        &destination,
        &[],
    );
    assert!(
        deliver(&store, &[send(&destination, &[]), forwarded])
            .await
            .is_empty()
    );
    assert_eq!(
        the_log_of(&store, "a@example.com").await["status"],
        "bounced"
    );
    assert_eq!(the_log_of(&store, "b@example.com").await["status"], "sent");
    assert!(
        logs_of(&store, "forward@elsewhere.example")
            .await
            .is_empty(),
        "no log for an address the message was not sent to"
    );
    // A record that names no recipient of the message at all is refused whole.
    let only_stranger = bounce("stranger@example.com", 40, &destination);
    assert_eq!(deliver(&store, &[only_stranger]).await, ["m0"]);
}

#[tokio::test]
async fn texts_are_bounded_and_links_keep_no_secrets() {
    let store = TestStore::start().await;
    let destination = ["a@example.com"];
    let long_name = format!("{} <a@example.com>", "N".repeat(5000));
    let mut long_subject = send(&destination, &[long_name.as_str()]);
    long_subject = long_subject.replace(
        "\"subject\":\"Hello\"",
        &format!("\"subject\":\"{}\"", "S".repeat(40_000)),
    );
    assert!(long_subject.len() < 64 * 1024);
    let link = "https://example.com/reset?token=live-secret-token#also-secret";
    assert!(
        deliver(&store, &[long_subject, click(90, link, &destination)])
            .await
            .is_empty()
    );
    let log = the_log_of(&store, "a@example.com").await;
    assert_eq!(log["email_name"].as_str().unwrap().len(), 1024);
    assert_eq!(log["recipient_name"].as_str().unwrap().len(), 1024);
    assert_eq!(log["status"], "clicked");
    assert_eq!(log["message"], "https://example.com/reset");
    let history = store.items(LOG_EVENTS_TABLE).await;
    assert!(!format!("{history:?}").contains("secret"), "{history:?}");
}

/// One hostile message in a batch of ten against a store that answers every request 300 ms late:
/// the batch answers inside the function's timeout, fails that message alone, and records the
/// other nine, a Delivery to fifty recipients among them.
#[tokio::test]
async fn a_hostile_message_never_sinks_its_batch_against_a_slow_store() {
    let fifty: Vec<String> = (0..50).map(|i| format!("r{i}@example.com")).collect();
    let fifty: Vec<&str> = fifty.iter().map(String::as_str).collect();
    let sixty: Vec<String> = (0..60).map(|i| format!("s{i}@example.com")).collect();
    let sixty: Vec<&str> = sixty.iter().map(String::as_str).collect();
    let long_to: Vec<String> = (0..3000)
        .map(|i| format!("\"Recipient Number {i}\" <x{i}@example.com>"))
        .collect();
    let huge = send(&sixty[..40], &[long_to.join(", ").as_str()]);
    assert!(huge.len() > 64 * 1024);
    for (shape, hostile) in [
        ("more than fifty recipients", send(&sixty, &[])),
        ("a record over 64 KiB", huge),
    ] {
        let store = TestStore::start().await;
        let slow = FaultyStore::slow_in_front_of(&store, Duration::from_millis(300)).await;
        let mut bodies: Vec<String> = (0..8)
            .map(|i| {
                json!({"event": "sent", "log_id": format!("log_{i}"), "email": "own@example.com",
                       "created": 100 + i})
                .to_string()
            })
            .collect();
        bodies.insert(4, hostile);
        bodies.push(delivery(10, &fifty, &fifty));
        let started = Instant::now();
        let response = app(recorder_for(&slow.endpoint))
            .handle(sqs_batch(&bodies))
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(
            took < record_email_event::FUNCTION_TIMEOUT,
            "{shape}: {took:?}"
        );
        assert_eq!(failed_ids(&response), ["m4"], "{shape}");
        assert_eq!(logs_of(&store, "own@example.com").await.len(), 8, "{shape}");
        for address in &fifty {
            assert_eq!(
                the_log_of(&store, address).await["status"],
                "delivered",
                "{shape}"
            );
        }
    }
}

/// A store that never answers: the batch still answers before the invocation's deadline, and
/// every message goes back to the queue.
#[tokio::test]
async fn a_hanging_store_never_holds_the_batch_past_its_deadline() {
    let hanging = HangingStore::start().await;
    let bodies: Vec<String> = (0..10)
        .map(|i| {
            json!({"event": "sent", "log_id": format!("log_{i}"), "email": "own@example.com",
                   "created": 100 + i})
            .to_string()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(3);
    let response = app(recorder_for(&hanging.endpoint))
        .handle_until(sqs_batch(&bodies), deadline)
        .await
        .unwrap();
    assert!(Instant::now() < deadline, "answered before the deadline");
    assert_eq!(failed_ids(&response).len(), 10);
}

/// What a two-recipient message's records can be; `a` and `b` are its recipients.
#[derive(Debug, Clone)]
enum Record {
    Send,
    Delivery(u64),
    BounceOfA(u64),
    ComplaintOfB(u64),
    Open(u64),
    Click(u64),
}

const A: &str = "a@example.com";
const B: &str = "b@example.com";

impl Record {
    fn body(&self) -> String {
        let both = [A, B];
        match self {
            Record::Send => send(&both, &[]),
            Record::Delivery(t) => delivery(*t, &both, &both),
            Record::BounceOfA(t) => bounce(A, *t, &both),
            Record::ComplaintOfB(t) => record(
                "Complaint",
                Some((
                    "complaint",
                    json!({"complainedRecipients": [{"emailAddress": B}],
                            "timestamp": at(*t), "complaintFeedbackType": "abuse"}),
                )),
                &both,
                &[],
            ),
            Record::Open(t) => open(*t, &both),
            Record::Click(t) => click(*t, "https://example.com/a", &both),
        }
    }

    /// This record's status event for `address` in the recipient's own order, if it has one:
    /// (time, rank, whether it is a failed delivery).
    fn own(&self, address: &str) -> Option<(u64, i32, bool)> {
        use shared::model::event::Status;
        let (t, status) = match (self, address) {
            (Record::Delivery(t), _) => (*t, Status::Delivered),
            (Record::BounceOfA(t), A) => (*t, Status::Bounced),
            (Record::ComplaintOfB(t), B) => (*t, Status::ReportedAsSpam),
            _ => return None,
        };
        Some((t, status.rank_tenths(), status.is_failed_delivery()))
    }
}

fn a_record() -> impl Strategy<Value = Record> {
    let t = 1u64..5;
    prop_oneof![
        Just(Record::Send),
        t.clone().prop_map(Record::Delivery),
        t.clone().prop_map(Record::BounceOfA),
        t.clone().prop_map(Record::ComplaintOfB),
        t.clone().prop_map(Record::Open),
        t.prop_map(Record::Click),
    ]
}

/// The rule as a property: for any set of records of a two-recipient message (duplicates among
/// them), in several orders, every order leaves the same two logs, and a recipient whose own
/// latest status is a failed delivery shows that failure whatever message-wide event (an open or
/// a click, which SES cannot tie to a recipient) came, earlier or later.
#[test]
fn another_recipients_open_never_hides_a_failed_delivery_in_any_order() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let sets = proptest::collection::vec(a_record(), 1..6).prop_flat_map(|records| {
        let doubled: Vec<Record> = records.iter().chain(&records).cloned().collect();
        let n = records.len();
        proptest::sample::subsequence(doubled, n..=2 * n).prop_flat_map(|set| {
            let orders = proptest::collection::vec(Just(set.clone()).prop_shuffle(), 3);
            (Just(set), orders)
        })
    });
    proptest!(config, |((set, orders) in sets)| {
        let shown = runtime.block_on(async {
            let mut shown = Vec::new();
            for order in std::iter::once(&set).chain(&orders) {
                let store = TestStore::start().await;
                let bodies: Vec<String> = order.iter().map(Record::body).collect();
                assert!(deliver(&store, &bodies).await.is_empty(), "{order:?}");
                let mut logs = Vec::new();
                for address in [A, B] {
                    logs.push(logs_of(&store, address).await);
                }
                shown.push(logs);
            }
            shown
        });
        for (order, logs) in orders.iter().zip(&shown[1..]) {
            prop_assert_eq!(logs, &shown[0], "order {:?}", order);
        }
        for (index, address) in [A, B].into_iter().enumerate() {
            let latest_own = set.iter().filter_map(|record| record.own(address)).max();
            if latest_own.is_some_and(|(_, _, failed)| failed) {
                let status = shown[0][index][0]["status"].as_str().unwrap_or_default().to_owned();
                prop_assert!(
                    ["bounced", "reported_as_spam"].contains(&status.as_str()),
                    "{address} shows {status} in {set:?}"
                );
            }
        }
    });
}

/// The case the rule is for, in every order: A bounces, then the message is opened and clicked
/// (by B, SES cannot say). A stays bounced, B shows the click.
#[tokio::test]
async fn a_bounce_stays_a_bounce_after_the_message_is_opened_in_every_order() {
    let records = [
        Record::Send,
        Record::BounceOfA(1),
        Record::Open(3),
        Record::Click(4),
    ];
    let orders = permutations(&records);
    assert_eq!(orders.len(), 24);
    for order in &orders {
        let store = TestStore::start().await;
        let bodies: Vec<String> = order.iter().map(Record::body).collect();
        assert!(deliver(&store, &bodies).await.is_empty());
        assert_eq!(
            the_log_of(&store, A).await["status"],
            "bounced",
            "{order:?}"
        );
        assert_eq!(
            the_log_of(&store, B).await["status"],
            "clicked",
            "{order:?}"
        );
    }
}

/// Every order of `items`.
fn permutations(items: &[Record]) -> Vec<Vec<Record>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (index, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(index);
        for mut tail in permutations(&rest) {
            tail.insert(0, first.clone());
            all.push(tail);
        }
    }
    all
}
