//! The copies the tools force on us agree with the one source of truth: cargo-lambda's watch
//! router (Cargo.toml) and the sample events (events/) against `shared::routes` and the schema.

use aws_lambda_events::event::sqs::SqsEvent;
use integration_tests::{Api, PathDelivery, TestStore, workspace_root};
use shared::routes::{ROUTES, all_functions};
use std::collections::BTreeSet;

fn now() -> u64 {
    1_700_000_000
}

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn contract_routes() -> BTreeSet<(String, String, String)> {
    ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.to_owned(),
            )
        })
        .collect()
}

/// The OpenAPI document (openapi.yaml) describes exactly the contract's routes: each path and
/// method once, and nothing else.
#[test]
fn the_openapi_document_describes_the_contract_routes() {
    let document: serde_json::Value =
        serde_yaml_ng::from_str(&read("openapi.yaml")).expect("openapi.yaml is YAML");
    assert_eq!(document["openapi"], "3.1.0");
    let mut found = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            if item.get(method).is_some() {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(found, routes);
    let parameter = &document["components"]["parameters"]["Email"];
    assert_eq!(parameter["name"], shared::routes::EMAIL_PARAM);
    assert_eq!(parameter["in"], "path");
}

#[test]
fn the_watch_router_is_the_contract_routes() {
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml is TOML");
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("a watch router");
    let mut found = BTreeSet::new();
    for (path, targets) in router {
        for target in targets.as_array().expect("a list of targets") {
            found.insert((
                target["method"].as_str().unwrap().to_owned(),
                path.clone(),
                target["function"].as_str().unwrap().to_owned(),
            ));
        }
    }
    assert_eq!(found, contract_routes());
}

#[test]
fn every_function_crate_is_routed_or_queued_and_a_workspace_member() {
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    let members: BTreeSet<String> = manifest["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(workspace_root().join("functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    let declared: BTreeSet<String> = all_functions().into_iter().map(str::to_owned).collect();
    assert_eq!(on_disk, declared);
    for function in &declared {
        assert!(
            members.contains(&format!("functions/{function}")),
            "{function}"
        );
    }
}

/// cargo-lambda builds releases with `panic = "abort"` unless the profile says otherwise. With
/// abort, a panicking handler would kill the warm process; with unwind, lambda_runtime reports it
/// as the invocation's error and serves the next one (`make bench-cold` checks that on the built
/// bare function).
#[test]
fn release_builds_unwind_so_a_panic_is_reported_as_the_invocations_error() {
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    assert_eq!(
        manifest["profile"]["release"]["panic"].as_str(),
        Some("unwind")
    );
}

fn http_event(function: &str) -> serde_json::Value {
    serde_json::from_str(&read(&format!("events/{function}.json"))).expect("an event is JSON")
}

#[test]
fn each_http_sample_event_names_its_functions_route() {
    for route in ROUTES {
        let event = http_event(route.function);
        let route_key = format!("{} {}", route.method, route.path);
        assert_eq!(event["routeKey"], route_key, "{}", route.function);
        assert_eq!(event["requestContext"]["routeKey"], route_key);
        assert_eq!(event["requestContext"]["http"]["method"], route.method);
        assert_eq!(event["version"], "2.0");
    }
}

/// The samples are valid as watch delivers them (`cargo lambda invoke` sends them as they are to
/// the local stack) and as API Gateway would.
#[tokio::test]
async fn http_sample_events_are_served_with_the_development_key() {
    for delivery in [PathDelivery::Raw, PathDelivery::Decoded] {
        http_samples_are_served(delivery).await;
    }
}

async fn http_samples_are_served(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let mut api = Api::new(&store, now, delivery);
    let keys = shared::ApiKeys::from_digests(&shared::auth::key_digest_hex(devstack::DEV_API_KEY))
        .unwrap();
    api.get_customer.keys = keys.clone();
    api.upsert_customer.keys = keys.clone();
    api.delete_customer.keys = keys.clone();
    api.get_customer_logs.keys = keys;
    // In the order a reader would try them: create, fetch, logs, delete.
    for (function, status) in [
        ("upsert-customer", 200),
        ("get-customer", 200),
        ("get-customer-logs", 200),
        ("delete-customer", 200),
        ("get-customer", 404),
    ] {
        let reply = api.send_event(function, &http_event(function)).await;
        assert_eq!(
            reply.status, status,
            "{function} ({delivery:?}): {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn the_sqs_sample_event_is_recorded_in_full() {
    let store = TestStore::start().await;
    let batch: SqsEvent = serde_json::from_str(&read("events/record-email-event.json")).unwrap();
    let app = record_email_event::App {
        logs: store.logs(),
        retention_seconds: 86_400,
    };
    let response = app.handle(batch.clone()).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(store.items(integration_tests::LOGS_TABLE).await.len(), 2);
    for message in &batch.records {
        shared::EmailEvent::parse(message.body.as_deref().unwrap()).expect("a valid event");
    }
}
