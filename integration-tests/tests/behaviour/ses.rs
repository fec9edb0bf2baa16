//! Amazon SES event records, as EventBridge delivers them to the queue, become logs through the
//! same consumer and the same rules as our own events.

use aws_lambda_events::event::sqs::SqsEvent;
use integration_tests::fixed_now;
use integration_tests::{Api, ApiRequest, PathDelivery, TestStore};
use serde_json::{Value, json};

const MESSAGE_ID: &str = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000";

/// The log id of `address`'s copy of the message.
fn recipient_log_id(address: &str) -> String {
    shared::model::ses::recipient_log_id(MESSAGE_ID, &integration_tests::addr(address))
}
const SENT_AT: &str = "2017-08-05T00:40:02.012Z";
const SENT_SECONDS: u64 = 1_501_893_602;

/// The mail object SES puts in every record, for a message to two recipients.
fn mail(tags: bool) -> Value {
    let mut mail = json!({
        "timestamp": SENT_AT,
        "source": "Sender Name <sender@example.com>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
        "sendingAccountId": "123456789012",
        "messageId": MESSAGE_ID,
        "destination": ["recipient@example.com", "Other@Example.com"],
        "headersTruncated": false,
        "headers": [
            {"name": "From", "value": "Sender Name <sender@example.com>"},
            {"name": "To", "value": "\"Matt R\" <recipient@example.com>, Other@Example.com"},
            {"name": "Subject", "value": "Message sent from Amazon SES"}
        ],
        "commonHeaders": {
            "from": ["Sender Name <sender@example.com>"],
            "to": ["\"Matt R\" <recipient@example.com>", "Other@Example.com"],
            "messageId": MESSAGE_ID,
            "subject": "Message sent from Amazon SES"
        },
        "tags": {
            "ses:configuration-set": ["ConfigSet"],
            "ses:source-ip": ["192.0.2.0"],
            "ses:from-domain": ["example.com"],
            "ses:caller-identity": ["ses_user"]
        }
    });
    if tags {
        mail["tags"]["email_id"] = json!(["tem_as8dfjha8dap"]);
        mail["tags"]["email_name"] = json!(["Order Confirmation"]);
        mail["tags"]["email_version"] = json!(["Version A"]);
    }
    mail
}

/// An SES record in EventBridge's envelope, as the rule delivers it to SQS.
fn eventbridge(
    detail_type: &str,
    event_type: &str,
    part: Option<(&str, Value)>,
    mail: Value,
) -> String {
    let mut detail = json!({"eventType": event_type, "mail": mail});
    if let Some((name, value)) = part {
        detail[name] = value;
    }
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2017-08-05T00:41:02Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ses:us-east-1:123456789012:configuration-set/ConfigSet"],
        "detail": detail
    })
    .to_string()
}

fn send(tags: bool) -> String {
    eventbridge("Email Sent", "Send", Some(("send", json!({}))), mail(tags))
}

fn bounce_of_one() -> String {
    eventbridge(
        "Email Bounced",
        "Bounce",
        Some((
            "bounce",
            json!({
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "recipient@example.com", "action": "failed",
                               "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        "timestamp": "2017-08-05T00:41:02.669Z",
        "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
        "reportingMTA": "dsn; mta.example.com"}),
        )),
        mail(true),
    )
}

fn delivery() -> String {
    eventbridge(
        "Email Delivered",
        "Delivery",
        Some((
            "delivery",
            json!({
        "timestamp": "2017-08-05T00:40:03.500Z", "processingTimeMillis": 546,
        "recipients": ["recipient@example.com", "Other@Example.com"],
        "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "mta.example.com"}),
        )),
        mail(true),
    )
}

fn open() -> String {
    eventbridge(
        "Email Opened",
        "Open",
        Some((
            "open",
            json!({
        "ipAddress": "192.0.2.1", "timestamp": "2017-08-09T22:00:19.652Z",
        "userAgent": "Mozilla/5.0"}),
        )),
        mail(true),
    )
}

async fn deliver(store: &TestStore, bodies: &[String]) -> Vec<String> {
    store.deliver_each(bodies).await
}

async fn log_of(store: &TestStore, address: &str) -> Value {
    let api = Api::new(store, fixed_now, PathDelivery::Decoded);
    let reply = api
        .send(ApiRequest::get(&format!(
            "/api/v1/customers/{address}/logs"
        )))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let logs = reply.json()["logs"].as_array().unwrap().clone();
    assert_eq!(logs.len(), 1, "{logs:?}");
    logs[0].clone()
}

#[tokio::test]
async fn a_send_becomes_one_complete_log_per_recipient() {
    let store = TestStore::start().await;
    assert!(deliver(&store, &[send(true)]).await.is_empty());
    assert_eq!(
        log_of(&store, "recipient@example.com").await,
        json!({"object": "log", "id": recipient_log_id("recipient@example.com"), "created": SENT_SECONDS,
               "recipient_name": "Matt R", "recipient_address": "recipient@example.com",
               "status": "sent", "message": null, "email_id": "tem_as8dfjha8dap",
               "email_name": "Order Confirmation", "email_version": "Version A"})
    );
    let other = log_of(&store, "other@example.com").await;
    assert_eq!(other["recipient_name"], Value::Null);
    assert_eq!(other["status"], "sent");
    // Each recipient's log has its own id, the SES message id as it is, then a suffix.
    assert_eq!(other["id"], recipient_log_id("other@example.com"));
    assert_ne!(
        other["id"],
        log_of(&store, "recipient@example.com").await["id"]
    );
    assert!(
        other["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{MESSAGE_ID}-"))
    );
}

/// Two recipients of one message: two ids, and each names its own log and its own history.
#[tokio::test]
async fn each_recipient_of_one_message_is_a_log_of_its_own_by_id() {
    let store = TestStore::start().await;
    assert!(
        deliver(&store, &[send(true), bounce_of_one(), send(true)])
            .await
            .is_empty()
    );
    let api = Api::new(&store, fixed_now, PathDelivery::Decoded);
    for (address, status) in [
        ("recipient@example.com", "bounced"),
        ("other@example.com", "sent"),
    ] {
        let id = recipient_log_id(address);
        let log = api
            .send(ApiRequest::get(&format!("/api/v1/logs/{id}")))
            .await;
        assert_eq!(log.status, 200, "{}", log.body);
        assert_eq!(log.json()["recipient_address"], address);
        assert_eq!(log.json()["status"], status);
        let events = api
            .send(ApiRequest::get(&format!("/api/v1/logs/{id}/events")))
            .await;
        let types: Vec<Value> = events
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].clone())
            .collect();
        let expected: Vec<Value> = match status {
            "bounced" => vec![json!("sent"), json!("bounced")],
            _ => vec![json!("sent")],
        };
        assert_eq!(types, expected, "{address}");
    }
}

#[tokio::test]
async fn without_tags_the_subject_names_the_email() {
    let store = TestStore::start().await;
    assert!(deliver(&store, &[send(false)]).await.is_empty());
    let log = log_of(&store, "recipient@example.com").await;
    assert_eq!(log["email_name"], "Message sent from Amazon SES");
    assert_eq!(log["email_id"], Value::Null);
}

#[tokio::test]
async fn a_bounce_concerns_only_the_recipients_it_lists() {
    let store = TestStore::start().await;
    assert!(
        deliver(&store, &[send(true), bounce_of_one()])
            .await
            .is_empty()
    );
    let bounced = log_of(&store, "recipient@example.com").await;
    assert_eq!(bounced["status"], "bounced");
    assert_eq!(bounced["message"], "smtp; 550 5.1.1 user unknown");
    assert_eq!(log_of(&store, "other@example.com").await["status"], "sent");
}

#[tokio::test]
async fn an_open_applies_to_every_recipient_and_every_order_ends_the_same() {
    let records = [send(true), delivery(), open(), open()];
    // Every arrival order of a send, a delivery and an open delivered twice.
    let mut orders = Vec::new();
    for a in 0..4 {
        for b in (0..4).filter(|b| *b != a) {
            for c in (0..4).filter(|c| *c != a && *c != b) {
                orders.push([a, b, c, 6 - a - b - c]);
            }
        }
    }
    assert_eq!(orders.len(), 24);
    for order in orders {
        let store = TestStore::start().await;
        let bodies: Vec<String> = order.iter().map(|&i| records[i].clone()).collect();
        assert!(deliver(&store, &bodies).await.is_empty(), "{order:?}");
        for address in ["recipient@example.com", "other@example.com"] {
            let log = log_of(&store, address).await;
            assert_eq!(log["status"], "opened", "{order:?} {address}");
            assert_eq!(
                log["email_name"], "Order Confirmation",
                "{order:?} {address}"
            );
        }
    }
}

#[tokio::test]
async fn a_record_that_cannot_be_read_is_a_batch_item_failure_and_writes_nothing() {
    let store = TestStore::start().await;
    let mut bad_time = mail(true);
    bad_time["timestamp"] = json!("yesterday");
    let mut nobody = mail(true);
    nobody["destination"] = json!([]);
    let bodies = [
        eventbridge("Email Sent", "Send", None, bad_time),
        eventbridge("Email Sent", "Send", None, nobody),
        eventbridge("Email Teleported", "Teleport", None, mail(true)),
        // Not from SES, and not an event of our own either.
        send(true).replace("\"aws.ses\"", "\"aws.other\""),
    ];
    assert_eq!(deliver(&store, &bodies).await, ["m0", "m0", "m0", "m0"]);
    assert!(store.items(integration_tests::LOGS_TABLE).await.is_empty());
}

/// The sample for `make invoke` (events/ses/record-email-event.json): the ten example records of
/// the SES documentation, one per event type, kept exactly and each in EventBridge's envelope, in
/// one SQS batch. Read back through the logs endpoint.
#[tokio::test]
async fn the_ses_documentations_examples_are_recorded_and_read_back() {
    let path = integration_tests::workspace_root().join("events/ses/record-email-event.json");
    let batch: SqsEvent =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("an SQS event");
    assert_eq!(batch.records.len(), 10);
    let store = TestStore::start().await;
    let app = record_email_event::App {
        recorder: store.recorder(),
        retention_seconds: u64::MAX / 4,
    };
    assert!(
        app.handle(batch)
            .await
            .unwrap()
            .batch_item_failures
            .is_empty()
    );
    let api = Api::new(&store, fixed_now, PathDelivery::Decoded);
    let logs = |address: &'static str| {
        let api = &api;
        async move {
            let reply = api
                .send(ApiRequest::get(&format!(
                    "/api/v1/customers/{address}/logs"
                )))
                .await;
            reply.json()["logs"].as_array().unwrap().clone()
        }
    };
    // Each example has its own send time, so each is its own log; newest first.
    let found: Vec<(String, Value)> = logs("recipient@example.com")
        .await
        .iter()
        .map(|log| {
            (
                log["status"].as_str().unwrap().to_owned(),
                log["message"].clone(),
            )
        })
        .collect();
    let expected: Vec<(&str, Value)> = vec![
        ("unsubscribed", Value::Null),
        (
            "deferred",
            json!("smtp; 421 4.4.1 Unable to connect to remote host"),
        ),
        (
            "failed_to_send",
            json!("Attribute 'attributeName' is not present in the rendering data."),
        ),
        (
            "clicked",
            json!("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html"),
        ),
        ("opened", Value::Null),
        ("bounced", json!("smtp; 550 5.1.1 user unknown")),
        ("reported_as_spam", json!("abuse")),
        ("delivered", json!("250 2.6.0 Message received")),
        ("sent", Value::Null),
    ];
    let expected: Vec<(String, Value)> = expected
        .into_iter()
        .map(|(status, message)| (status.to_owned(), message))
        .collect();
    assert_eq!(found, expected);
    let sent = logs("recipient@example.com").await.last().unwrap().clone();
    assert_eq!(
        sent["email_name"], "Message sent from Amazon SES",
        "the subject names it"
    );
    // The reject example's message went to sender@example.com.
    let rejected = logs("sender@example.com").await;
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["status"], "dropped");
    assert_eq!(rejected[0]["message"], "Bad content");
}

/// An SES event type: its EventBridge detail-type, its `eventType`, its own part, and the status
/// and message it must leave.
type Case = (
    &'static str,
    &'static str,
    Option<(&'static str, Value)>,
    &'static str,
    Value,
);

/// Every other event type, after the send, for the recipient it names: the status it maps to and
/// the message it keeps.
#[tokio::test]
async fn every_event_type_maps_onto_the_contracts_statuses() {
    let cases: Vec<Case> = vec![
        (
            "Email Complaint Received",
            "Complaint",
            Some((
                "complaint",
                json!({
            "complainedRecipients": [{"emailAddress": "recipient@example.com"}],
            "timestamp": "2017-08-05T00:41:02.669Z",
            "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
            "userAgent": "Mozilla/5.0", "complaintFeedbackType": "abuse",
            "arrivalDate": "2017-08-05T00:41:02.669Z"}),
            )),
            "reported_as_spam",
            json!("abuse"),
        ),
        (
            "Email Rejected",
            "Reject",
            Some(("reject", json!({"reason": "Bad content"}))),
            "dropped",
            json!("Bad content"),
        ),
        (
            "Email Rendering Failed",
            "Rendering Failure",
            Some((
                "failure",
                json!({
            "errorMessage": "Attribute 'attributeName' is not present in the rendering data.",
            "templateName": "MyTemplate"}),
            )),
            "failed_to_send",
            json!("Attribute 'attributeName' is not present in the rendering data."),
        ),
        (
            "Email Delivery Delayed",
            "DeliveryDelay",
            Some((
                "deliveryDelay",
                json!({
            "timestamp": "2020-06-16T00:15:40.641Z", "delayType": "TransientCommunicationFailure",
            "expirationTime": "2020-06-16T00:25:40.914Z",
            "delayedRecipients": [{"emailAddress": "recipient@example.com", "status": "4.4.1",
                                   "diagnosticCode": "smtp; 421 4.4.1 Unable to connect"}]}),
            )),
            "deferred",
            json!("smtp; 421 4.4.1 Unable to connect"),
        ),
        (
            "Email Clicked",
            "Click",
            Some((
                "click",
                json!({
            "timestamp": "2017-08-09T23:51:25.570Z", "ipAddress": "192.0.2.1",
            "userAgent": "Mozilla/5.0", "link": "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html",
            "linkTags": {"samplekey0": ["samplevalue0"]}}),
            )),
            "clicked",
            json!("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html"),
        ),
        (
            "Email Subscribed",
            "Subscription",
            Some((
                "subscription",
                json!({
            "contactList": "ContactListName", "timestamp": "2022-01-12T01:00:17.910Z",
            "source": "UnsubscribeHeader", "newTopicPreferences": {"unsubscribeAll": true},
            "oldTopicPreferences": {"unsubscribeAll": false}}),
            )),
            "unsubscribed",
            Value::Null,
        ),
    ];
    for (detail_type, event_type, part, status, message) in cases {
        let store = TestStore::start().await;
        let record = eventbridge(detail_type, event_type, part, mail(true));
        assert!(
            deliver(&store, &[record, send(true)]).await.is_empty(),
            "{event_type}"
        );
        let log = log_of(&store, "recipient@example.com").await;
        assert_eq!(log["status"], status, "{event_type}");
        assert_eq!(log["message"], message, "{event_type}");
        assert_eq!(log["email_name"], "Order Confirmation", "{event_type}");
    }
}
