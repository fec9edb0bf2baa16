//! The copies the tools force on us agree with the one source of truth: cargo-lambda's watch
//! router (Cargo.toml) and the sample events (events/) against `shared::api::routes` and the schema.

use aws_lambda_events::event::sqs::SqsEvent;
use integration_tests::fixed_now;
use integration_tests::{Api, PathDelivery, TestStore, workspace_root};
use shared::api::routes::{DEFAULT_ROUTE_FUNCTION, METHODS, ROUTES, all_functions};
use std::collections::BTreeSet;

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
    assert_eq!(parameter["name"], shared::api::routes::EMAIL_PARAM);
    assert_eq!(parameter["in"], "path");
}

#[test]
fn the_watch_router_is_the_contract_routes() {
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml is TOML");
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("a watch router");
    let mut found = BTreeSet::new();
    let mut catch_all = BTreeSet::new();
    for (path, targets) in router {
        match targets {
            // One function for every method: the catch-all paths.
            toml::Value::String(function) => {
                catch_all.insert((path.clone(), function.clone()));
            }
            targets => {
                for target in targets.as_array().expect("a list of targets") {
                    found.insert((
                        target["method"].as_str().unwrap().to_owned(),
                        path.clone(),
                        target["function"].as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
    }
    // Each route's path: its routes, and every other method to the default route's function.
    let mut expected = BTreeSet::new();
    let paths: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    for path in paths {
        for method in METHODS {
            let function = ROUTES
                .iter()
                .find(|r| r.path == path && r.method == method)
                .map_or(DEFAULT_ROUTE_FUNCTION, |r| r.function);
            expected.insert((method.to_owned(), path.to_owned(), function.to_owned()));
        }
    }
    assert_eq!(found, expected);
    let routed: BTreeSet<_> = found
        .iter()
        .filter(|(_, _, function)| function != DEFAULT_ROUTE_FUNCTION)
        .cloned()
        .collect();
    assert_eq!(routed, contract_routes());
    assert_eq!(
        catch_all,
        BTreeSet::from([
            ("/".to_owned(), DEFAULT_ROUTE_FUNCTION.to_owned()),
            ("/{*path}".to_owned(), DEFAULT_ROUTE_FUNCTION.to_owned()),
        ])
    );
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
    // The default route's, as API Gateway delivers a request no route matches.
    let event = http_event(DEFAULT_ROUTE_FUNCTION);
    assert_eq!(event["routeKey"], "$default");
    assert_eq!(event["requestContext"]["routeKey"], "$default");
    assert_eq!(event["version"], "2.0");
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
    let mut api = Api::new(&store, fixed_now, delivery);
    let keys =
        shared::ApiKeys::from_digests(&shared::api::auth::key_digest_hex(devstack::DEV_API_KEY))
            .unwrap();
    api.accept(&keys);
    let batch: SqsEvent = serde_json::from_str(&read("events/record-email-event.json")).unwrap();
    let consumer = record_email_event::App {
        recorder: store.recorder(),
        retention_seconds: 86_400,
    };
    // In the order a reader would try them: create, fetch, logs, a log and its events (after the
    // queue's sample recorded them), delete, and a route this API does not serve.
    for (function, status) in [
        ("upsert-customer", 200),
        ("get-customer", 200),
        ("get-customer-logs", 200),
        ("get-log", 404),
        ("record-email-event", 0),
        ("get-log", 200),
        ("get-log-events", 200),
        ("delete-customer", 200),
        ("get-customer", 404),
        ("route-not-found", 404),
    ] {
        if function == "record-email-event" {
            let response = consumer.handle(batch.clone()).await.unwrap();
            assert!(response.batch_item_failures.is_empty());
            continue;
        }
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
        recorder: store.recorder(),
        retention_seconds: 86_400,
    };
    let response = app.handle(batch.clone()).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(store.items(integration_tests::LOGS_TABLE).await.len(), 2);
    for message in &batch.records {
        shared::EmailEvent::parse(message.body.as_deref().unwrap()).expect("a valid event");
    }
}

fn local_values(optional: bool) -> devstack::FunctionValues {
    devstack::FunctionValues {
        api_key: devstack::DEV_API_KEY.to_owned(),
        path_delivery: optional.then_some("raw"),
        retention_days: optional.then(|| "7".to_owned()),
    }
}

fn names(variables: &[shared::config::Variable], required_only: bool) -> BTreeSet<String> {
    variables
        .iter()
        .filter(|v| v.required || !required_only)
        .map(|v| v.name.to_owned())
        .collect()
}

/// devstack gives each function the variables it reads (`shared::config`), every optional one when
/// it has a value for it and only the required ones when not; `cargo lambda watch`, which runs
/// every function with one environment, gets their union and nothing else.
#[test]
fn devstack_gives_each_function_exactly_the_variables_it_reads() {
    let mut union = BTreeSet::new();
    for function in all_functions() {
        let read = shared::config::variables(function);
        let given = |optional| -> BTreeSet<String> {
            devstack::function_env(function, &local_values(optional))
                .into_keys()
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(given(true), names(read, false), "{function}");
        assert_eq!(given(false), names(read, true), "{function}");
        union.extend(names(read, false));
    }
    let watch: BTreeSet<String> = devstack::watch_env(&local_values(true))
        .into_keys()
        .map(str::to_owned)
        .collect();
    assert_eq!(watch, union);
    // The values are the local stack's: its table names, the key's digest, never the key.
    let env = devstack::function_env("get-customer", &local_values(true));
    assert_eq!(env["CUSTOMERS_TABLE"], "customers");
    assert_eq!(
        env["API_KEY_SHA256"],
        shared::api::auth::key_digest_hex(devstack::DEV_API_KEY)
    );
}

/// The cold-start bench runs each bootstrap with the environment `local-store` prints for it,
/// which is devstack's, and holds no copy of the variables' names.
#[test]
fn the_bench_takes_each_functions_variables_from_local_store() {
    let values = local_values(false);
    let printed: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> =
        serde_json::from_str(&devstack::functions_env_json(&values)).expect("JSON");
    assert_eq!(
        printed.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        all_functions()
    );
    for (function, env) in &printed {
        let expected: std::collections::BTreeMap<String, String> =
            devstack::function_env(function, &values)
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
        assert_eq!(env, &expected, "{function}");
    }
    let bench = read("bench/cold_start.py");
    for (_, variables) in shared::config::FUNCTION_VARIABLES {
        for variable in variables {
            assert!(
                !bench.contains(variable.name),
                "bench/cold_start.py names {}: a copy of shared::config",
                variable.name
            );
        }
    }
    assert!(
        bench.contains("FUNCTION_ENV.get(name"),
        "the bench reads local-store's env"
    );
}
