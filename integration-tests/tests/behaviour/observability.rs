//! What the functions log, read through the subscriber they install, at its most verbose: one INFO
//! line per request that an operator can trace a client's error by, and never a key, a header, a
//! body or an address.

use integration_tests::fixed_now;
use integration_tests::{Api, ApiRequest, PathDelivery, TEST_KEY, TestStore};
use lambda_http::tracing::subscriber::filter::LevelFilter;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const ADDRESS: &str = "Observed.Person@Example.com";
const WRONG_KEY: &str = "wrong-key-4242";
const NAME: &str = "Observed Person";

/// Everything the subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Output {
    fn lines(&self) -> Vec<Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Installs the functions' own subscriber at TRACE, in JSON as deployed, for this thread.
    fn capture(&self, function_crate: &'static str) -> tracing::subscriber::DefaultGuard {
        let output = self.clone();
        tracing::subscriber::set_default(shared::logging::subscriber(
            LevelFilter::TRACE,
            true,
            function_crate,
            move || output.clone(),
        ))
    }
}

fn assert_private(output: &Output) {
    let text = output.text().to_lowercase();
    for secret in [
        ADDRESS.to_lowercase().as_str(),
        "observed.person",
        TEST_KEY,
        WRONG_KEY,
        "authorization",
        "x-swu-api-key",
        &NAME.to_lowercase(),
    ] {
        assert!(!text.contains(secret), "the logs hold {secret:?}:\n{text}");
    }
}

/// The refusal kind and field an error's line carries (`-` for no field).
type Refusal = (&'static str, &'static str);

#[tokio::test]
async fn one_info_line_per_request_with_its_refusal_and_nothing_private() {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, PathDelivery::Decoded);
    let path = format!("/api/v1/customers/{ADDRESS}");
    let logs = format!("{path}/logs");
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{WRONG_KEY}:")
        )
    );
    let cases: Vec<(ApiRequest, u16, Option<Refusal>)> = vec![
        (
            ApiRequest::post(
                "/api/v1/customers",
                json!({"email": ADDRESS, "locale": "de-DE", "data": {"name": NAME}}).to_string(),
            ),
            200,
            None,
        ),
        (ApiRequest::get(&path), 200, None),
        (ApiRequest::get(&logs).query("count", "5"), 200, None),
        (
            ApiRequest::get(&path).without_header("x-swu-api-key"),
            403,
            Some(("no key", "-")),
        ),
        (
            ApiRequest::get(&path).header("x-swu-api-key", WRONG_KEY),
            403,
            Some(("unknown key", "-")),
        ),
        (
            ApiRequest::delete(&path)
                .without_header("x-swu-api-key")
                .header("authorization", &basic),
            403,
            Some(("unknown key", "-")),
        ),
        (
            ApiRequest::get(&format!("/api/v1/customers/{NAME}")),
            400,
            Some(("bad input", "email")),
        ),
        (
            ApiRequest::post(
                "/api/v1/customers",
                json!({"email": ADDRESS, "locale": NAME}).to_string(),
            ),
            400,
            Some(("bad input", "locale")),
        ),
        (
            ApiRequest::get(&logs).query("count", "500"),
            400,
            Some(("bad input", "count")),
        ),
        (
            ApiRequest::get(&logs).query("created_gt", NAME),
            400,
            Some(("bad input", "created_gt")),
        ),
        (
            ApiRequest::post("/api/v1/customers", format!("{{\"email\":\"{ADDRESS}\"")),
            400,
            Some(("bad input", "body")),
        ),
        (
            ApiRequest::post(
                "/api/v1/customers",
                json!({"email": ADDRESS, "data": "x".repeat(70_000)}).to_string(),
            ),
            413,
            Some(("body too large", "-")),
        ),
        (ApiRequest::delete(&path), 200, None),
        (ApiRequest::get(&path), 404, Some(("not found", "-"))),
    ];
    let output = Output::default();
    let _guard = output.capture("get_customer");
    let mut expected = Vec::new();
    for (request, status, refusal) in cases {
        let route = format!(
            "{} {}",
            request.method(),
            request.route().expect("a route").path
        );
        let reply = api.send(request).await;
        assert_eq!(reply.status, status, "{route}: {}", reply.body);
        expected.push((route, status, refusal));
    }
    let answered: Vec<Value> = output
        .lines()
        .into_iter()
        .filter(|line| line["fields"]["message"] == "answered")
        .collect();
    assert_eq!(answered.len(), expected.len(), "{}", output.text());
    for (line, (route, status, refusal)) in answered.iter().zip(&expected) {
        let fields = &line["fields"];
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(fields["request_id"], "integration-test", "{line}");
        assert_eq!(fields["route"], route.as_str(), "{line}");
        assert_eq!(fields["status"], *status, "{line}");
        match refusal {
            None => assert!(fields.get("refusal").is_none(), "{line}"),
            Some((kind, field)) => {
                assert_eq!(fields["refusal"], *kind, "{line}");
                assert_eq!(fields["field"], *field, "{line}");
            }
        }
    }
    assert_private(&output);
}

#[tokio::test]
async fn refused_and_recorded_events_are_logged_by_field_never_by_value() {
    let store = TestStore::start().await;
    let app = record_email_event::App {
        recorder: store.recorder(),
        retention_seconds: 86_400,
    };
    let bodies = [
        json!({"event": "sent", "log_id": "log_1", "email": ADDRESS, "created": 100,
               "recipient_name": NAME}),
        json!({"event": "sent", "log_id": "log_2", "email": format!("{NAME}@example.com"),
               "created": 100}),
        json!({"event": "status", "log_id": "log_1", "email": ADDRESS, "created": 100,
               "status": NAME, "at": 101}),
        json!({"event": "sent", "log_id": "log_3", "email": ADDRESS, "created": 1_700_000_000_000u64}),
    ];
    let bodies: Vec<String> = bodies.iter().map(Value::to_string).collect();
    let batch = integration_tests::sqs_batch(&bodies);
    let output = Output::default();
    let _guard = output.capture("record_email_event");
    let response = app.handle(batch).await.unwrap();
    assert_eq!(response.batch_item_failures.len(), 3);
    let refused: Vec<(String, String)> = output
        .lines()
        .into_iter()
        .filter(|line| line["fields"]["message"] == "email event not recorded")
        .map(|line| {
            (
                line["fields"]["message_id"].as_str().unwrap().to_owned(),
                line["fields"]["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("m1".to_owned(), "email".to_owned()),
            ("m2".to_owned(), "status".to_owned()),
            ("m3".to_owned(), "created".to_owned()),
        ]
    );
    let summary = output
        .lines()
        .into_iter()
        .find(|line| line["fields"]["message"] == "batch recorded")
        .expect("one line per batch");
    assert_eq!(summary["fields"]["applied"], 1);
    assert_eq!(summary["fields"]["failed"], 3);
    assert_private(&output);
}

/// A store call that fails inside a batch is tied to its message by the message's span (its SQS
/// id, never an address), and the message's line names the failure by its kind, not by the
/// sentence meant for API clients.
#[tokio::test]
async fn a_failed_store_call_is_tied_to_its_message_and_logged_by_kind() {
    let store = integration_tests::FaultyStore::failing_all(500, "InternalServerError").await;
    let app = record_email_event::App {
        recorder: integration_tests::recorder_for(&store.endpoint),
        retention_seconds: 86_400,
    };
    let bodies: Vec<String> = ["log_1", "log_2"]
        .iter()
        .map(|log_id| {
            json!({"event": "sent", "log_id": log_id, "email": ADDRESS, "created": 100,
                   "recipient_name": NAME})
            .to_string()
        })
        .collect();
    let output = Output::default();
    let _guard = output.capture("record_email_event");
    let response = app
        .handle(integration_tests::sqs_batch(&bodies))
        .await
        .unwrap();
    assert_eq!(response.batch_item_failures.len(), 2);
    let lines = output.lines();
    let failed_calls: std::collections::BTreeSet<String> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "store call failed")
        .map(|line| {
            line["span"]["message_id"]
                .as_str()
                .unwrap_or_else(|| panic!("a store failure outside a message's span: {line}"))
                .to_owned()
        })
        .collect();
    assert_eq!(failed_calls, ["m0".to_owned(), "m1".to_owned()].into());
    let refused: Vec<&Value> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "email event not recorded")
        .collect();
    assert_eq!(refused.len(), 2);
    for line in refused {
        assert_eq!(line["fields"]["refusal"], "store unavailable", "{line}");
        assert!(line["fields"].get("reason").is_none(), "{line}");
    }
    assert!(!output.text().contains("try again"), "{}", output.text());
    assert_private(&output);
}
