//! The SAM template, verified offline: expanded to plain CloudFormation by aws-sam-translator and
//! linted with cfn-lint (infra/expand.py), then checked against the code's own truths: routes,
//! table keys, environment variable names, least-privilege roles, and secrets without defaults.

use integration_tests::workspace_root;
use serde_json::{Value, json};
use shared::api::routes::DEFAULT_ROUTE_FUNCTION;
use shared::api::routes::{ROUTES, all_functions};
use shared::store::schema::{CUSTOMERS, LOG_EVENTS, LOGS, TABLES, TableSpec};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

struct Templates {
    sam: Value,
    cfn: Value,
}

/// Expands the template once for the whole test binary.
fn templates() -> &'static Templates {
    static EXPANDED: OnceLock<Templates> = OnceLock::new();
    EXPANDED.get_or_init(|| {
        let root = workspace_root();
        let python = std::env::var_os("PROJECT_PYTHON")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| root.join(".venv/bin/python"));
        assert!(
            python.exists(),
            "{} is missing: run `make test`, which installs the template tools into .venv",
            python.display()
        );
        let output = std::process::Command::new(&python)
            .arg(root.join("infra/expand.py"))
            .output()
            .expect("run infra/expand.py");
        assert!(
            output.status.success(),
            "the template does not expand or lint cleanly:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let both: Value = serde_json::from_slice(&output.stdout).expect("expand.py prints JSON");
        Templates {
            sam: both["sam"].clone(),
            cfn: both["cloudformation"].clone(),
        }
    })
}

fn resources() -> &'static serde_json::Map<String, Value> {
    templates().cfn["Resources"].as_object().expect("resources")
}

fn of_type(kind: &str) -> Vec<(&'static String, &'static Value)> {
    resources()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// Function crate name (its binary) -> logical id of its AWS::Lambda::Function.
fn functions() -> BTreeMap<String, String> {
    of_type("AWS::Lambda::Function")
        .into_iter()
        .map(|(id, r)| {
            let binary = r["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{id} names no binary"));
            (binary.to_owned(), id.clone())
        })
        .collect()
}

fn function(binary: &str) -> &'static Value {
    &resources()[&functions()[binary]]
}

/// The logical id a `{"Ref": id}` or `{"Fn::GetAtt": [id, ...]}` points at.
fn target(reference: &Value) -> String {
    reference["Ref"]
        .as_str()
        .or_else(|| reference["Fn::GetAtt"][0].as_str())
        .unwrap_or_else(|| panic!("not a reference: {reference}"))
        .to_owned()
}

fn table_for(spec: &TableSpec) -> String {
    let tables: Vec<String> = of_type("AWS::DynamoDB::Table")
        .into_iter()
        .filter(|(_, t)| {
            let keys = &t["Properties"]["KeySchema"];
            keys[0]["AttributeName"] == spec.partition_key.name
                && keys.as_array().unwrap().len() == 1 + usize::from(spec.sort_key.is_some())
                && spec
                    .sort_key
                    .is_none_or(|k| keys[1]["AttributeName"] == k.name)
        })
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(tables.len(), 1, "one table for {}", spec.env_var);
    tables[0].clone()
}

#[test]
fn every_route_reaches_its_function_with_v2_payloads() {
    let api = of_type("AWS::ApiGatewayV2::Api");
    assert_eq!(api.len(), 1);
    let paths = api[0].1["Properties"]["Body"]["paths"].as_object().unwrap();
    let functions = functions();
    let mut found = BTreeSet::new();
    for (path, methods) in paths {
        for (method, operation) in methods.as_object().unwrap() {
            let integration = &operation["x-amazon-apigateway-integration"];
            assert_eq!(
                integration["payloadFormatVersion"], "2.0",
                "{method} {path}"
            );
            let uri = integration["uri"]["Fn::Sub"].as_str().unwrap();
            let (binary, _) = functions
                .iter()
                .find(|(_, id)| uri.contains(&format!("${{{id}.Arn}}")))
                .unwrap_or_else(|| panic!("{method} {path} reaches no function: {uri}"));
            found.insert((method.to_uppercase(), path.clone(), binary.clone()));
        }
    }
    let mut expected: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.to_owned(),
            )
        })
        .collect();
    // Every other route and method: the default route, to the plain-text 404.
    expected.insert((
        "X-AMAZON-APIGATEWAY-ANY-METHOD".to_owned(),
        "$default".to_owned(),
        DEFAULT_ROUTE_FUNCTION.to_owned(),
    ));
    assert_eq!(found, expected);
}

#[test]
fn the_stage_is_default_and_throttled_by_parameters() {
    let stages = of_type("AWS::ApiGatewayV2::Stage");
    assert_eq!(stages.len(), 1);
    let stage = &stages[0].1["Properties"];
    assert_eq!(
        stage["StageName"], "$default",
        "paths must start at /api/v1"
    );
    let settings = &stage["DefaultRouteSettings"];
    for (setting, parameter) in [
        ("ThrottlingRateLimit", "ThrottlingRateLimit"),
        ("ThrottlingBurstLimit", "ThrottlingBurstLimit"),
    ] {
        assert_eq!(settings[setting], json!({"Ref": parameter}));
        assert!(templates().cfn["Parameters"][parameter]["Default"].is_number());
    }
}

#[test]
fn every_function_crate_is_deployed_from_its_own_folder() {
    let deployed: BTreeSet<String> = functions().into_keys().collect();
    let crates: BTreeSet<String> = all_functions().into_iter().map(str::to_owned).collect();
    assert_eq!(deployed, crates);
    for (binary, id) in functions() {
        let sam = &templates().sam["Resources"][&id];
        assert_eq!(sam["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
        let code = sam["Properties"]["CodeUri"].as_str().unwrap();
        assert_eq!(code, format!("../functions/{binary}"), "{id}");
        assert!(
            workspace_root()
                .join("infra")
                .join(code)
                .join("Cargo.toml")
                .exists()
        );
        let properties = &function(&binary)["Properties"];
        assert_eq!(properties["Runtime"], "provided.al2023");
        assert_eq!(properties["Architectures"], json!(["arm64"]));
        assert_eq!(properties["Handler"], "bootstrap");
    }
}

#[test]
fn the_function_timeout_leaves_room_for_the_store_budget() {
    for (binary, _) in functions() {
        let timeout = function(&binary)["Properties"]["Timeout"].as_u64().unwrap();
        // The consumer's fallback deadline is the template's timeout.
        assert_eq!(
            record_email_event::FUNCTION_TIMEOUT.as_secs(),
            timeout,
            "{binary}"
        );
        let budget =
            shared::store::client::OPERATION_TIMEOUT + shared::store::client::CONNECT_TIMEOUT;
        assert!(
            timeout >= 2 * budget.as_secs(),
            "{binary}: a {timeout}s timeout would cut off the store's {budget:?} budget"
        );
    }
}

#[test]
fn tables_match_the_schema_and_are_on_demand_recoverable_and_kept() {
    assert_eq!(of_type("AWS::DynamoDB::Table").len(), TABLES.len());
    for spec in TABLES {
        let id = table_for(&spec);
        let table = &resources()[&id];
        assert_eq!(table["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(table["UpdateReplacePolicy"], "Retain", "{id}");
        let properties = &table["Properties"];
        assert_eq!(properties["BillingMode"], "PAY_PER_REQUEST", "{id}");
        assert!(properties.get("ProvisionedThroughput").is_none());
        assert_eq!(
            properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            true
        );
        assert!(
            properties.get("TableName").is_none(),
            "{id}: names are never fixed"
        );
        let mut keys = vec![(spec.partition_key, "HASH")];
        keys.extend(spec.sort_key.map(|k| (k, "RANGE")));
        let expected_schema: Vec<Value> = keys
            .iter()
            .map(|(k, kind)| json!({"AttributeName": k.name, "KeyType": kind}))
            .collect();
        let mut expected_attributes: Vec<Value> = keys
            .iter()
            .map(|(k, _)| json!({"AttributeName": k.name, "AttributeType": k.kind}))
            .collect();
        match spec.index {
            Some(index) => {
                let key = index.partition_key;
                expected_attributes
                    .push(json!({"AttributeName": key.name, "AttributeType": key.kind}));
                assert_eq!(
                    properties["GlobalSecondaryIndexes"],
                    json!([{"IndexName": index.name,
                            "KeySchema": [{"AttributeName": key.name, "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"}}]),
                    "{id}"
                );
            }
            None => assert!(properties.get("GlobalSecondaryIndexes").is_none(), "{id}"),
        }
        assert_eq!(properties["KeySchema"], json!(expected_schema), "{id}");
        assert_eq!(
            properties["AttributeDefinitions"],
            json!(expected_attributes),
            "{id}"
        );
        match spec.ttl_attribute {
            Some(attribute) => assert_eq!(
                properties["TimeToLiveSpecification"],
                json!({"AttributeName": attribute, "Enabled": true})
            ),
            None => assert!(properties.get("TimeToLiveSpecification").is_none()),
        }
    }
}

/// What each function does to the store, and nothing more: (action, table spec, on the table's
/// index rather than the table).
fn store_actions(binary: &str) -> Vec<(&'static str, TableSpec, bool)> {
    match binary {
        "get-customer" => vec![("dynamodb:GetItem", CUSTOMERS, false)],
        "upsert-customer" => vec![("dynamodb:UpdateItem", CUSTOMERS, false)],
        "delete-customer" => vec![("dynamodb:DeleteItem", CUSTOMERS, false)],
        "get-customer-logs" => vec![("dynamodb:Query", LOGS, false)],
        "get-log" => vec![("dynamodb:Query", LOGS, true)],
        "get-log-events" => vec![
            ("dynamodb:Query", LOG_EVENTS, false),
            ("dynamodb:Query", LOGS, true),
        ],
        "record-email-event" => vec![
            ("dynamodb:UpdateItem", LOGS, false),
            ("dynamodb:GetItem", LOGS, false),
            ("dynamodb:PutItem", LOG_EVENTS, false),
        ],
        "route-not-found" => vec![],
        // Exactly the actions of the routes a batch runs.
        "batch" => {
            let mut actions: Vec<_> = shared::api::routes::ROUTES
                .iter()
                .filter(|route| route.function != "batch")
                .flat_map(|route| store_actions(route.function))
                .collect();
            actions.dedup();
            actions
        }
        other => panic!("no expectation for {other}"),
    }
}

/// The table each function's warm-up reads at init (its `main.rs`), if it has one.
fn warm_up_table(binary: &str) -> Option<TableSpec> {
    match binary {
        "get-customer" | "upsert-customer" | "delete-customer" | "batch" => Some(CUSTOMERS),
        "get-customer-logs" | "get-log" | "get-log-events" | "record-email-event" => Some(LOGS),
        "route-not-found" => None,
        other => panic!("no expectation for {other}"),
    }
}

#[test]
fn each_function_warms_up_on_the_table_its_role_is_checked_for() {
    for (binary, _) in functions() {
        let main = std::fs::read_to_string(
            workspace_root().join(format!("functions/{binary}/src/main.rs")),
        )
        .expect("main.rs");
        let call = main.lines().find(|line| line.contains(".warm_up().await"));
        match (warm_up_table(&binary), call) {
            (None, None) => {}
            (Some(spec), Some(call)) => {
                let store = if spec == CUSTOMERS {
                    ".customers."
                } else {
                    ".logs."
                };
                assert!(call.contains(store), "{binary}: {call}");
            }
            (spec, call) => panic!("{binary}: warm-up table {spec:?}, call {call:?}"),
        }
    }
}

/// How [`allowed`] names a resource granted for the warm-up's key alone.
fn warm_up_only(table: &str) -> String {
    format!("{table} (the warm-up key only)")
}

/// [`store_actions`] as (action, resource) the way [`allowed`] reads a role: a table's logical id,
/// or `<id>/index/<name>` for its index; and the warm-up's `GetItem`, of its key alone where the
/// function does not read the table anyway.
fn store_grants(binary: &str) -> BTreeSet<(String, String)> {
    let mut grants = store_actions(binary)
        .into_iter()
        .map(|(action, spec, on_index)| {
            let table = table_for(&spec);
            let resource = match (on_index, spec.index) {
                (true, Some(index)) => format!("{table}/index/{}", index.name),
                (true, None) => panic!("{} has no index", spec.env_var),
                (false, _) => table,
            };
            (action.to_owned(), resource)
        })
        .collect::<BTreeSet<_>>();
    if let Some(spec) = warm_up_table(binary) {
        let table = table_for(&spec);
        let read = ("dynamodb:GetItem".to_owned(), table.clone());
        if !grants.contains(&read) {
            grants.insert((read.0, warm_up_only(&table)));
        }
    }
    grants
}

/// A policy's resource: `{"Ref": id}` or `{"Fn::GetAtt": [id, "Arn"]}` is `id`;
/// `{"Fn::Sub": "${id.Arn}/index/name"}` is `id/index/name`.
fn resource_of(resource: &Value) -> String {
    match resource["Fn::Sub"].as_str() {
        Some(sub) => {
            let (id, rest) = sub
                .strip_prefix("${")
                .and_then(|s| s.split_once(".Arn}"))
                .unwrap_or_else(|| panic!("not a table ARN: {sub}"));
            format!("{id}{rest}")
        }
        None => target(resource),
    }
}

/// Every (action, resource logical id) a role allows.
fn allowed(role_id: &str) -> BTreeSet<(String, String)> {
    let role = &resources()[role_id];
    assert!(
        role["Properties"].get("ManagedPolicyArns").is_none(),
        "{role_id}: managed policies grant more than the function does"
    );
    let mut grants = BTreeSet::new();
    for policy in role["Properties"]["Policies"].as_array().unwrap() {
        for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            let actions: Vec<String> = match &statement["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(a) => a.iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
                other => panic!("{role_id}: action {other}"),
            };
            let mut resource = resource_of(&statement["Resource"]);
            if let Some(condition) = statement.get("Condition") {
                // The one condition a role may carry: the warm-up's key, and nothing else.
                assert_eq!(
                    condition,
                    &json!({"ForAllValues:StringEquals":
                        {"dynamodb:LeadingKeys": [shared::store::client::WARM_UP_KEY]}}),
                    "{role_id}"
                );
                assert_eq!(actions, ["dynamodb:GetItem"], "{role_id}");
                resource = warm_up_only(&resource);
            }
            for action in actions {
                assert!(!action.contains('*'), "{role_id}: wildcard action {action}");
                grants.insert((action, resource.clone()));
            }
        }
    }
    grants
}

#[test]
fn each_role_allows_exactly_its_functions_actions_on_its_own_resources() {
    for (binary, id) in functions() {
        let properties = &resources()[&id]["Properties"];
        let role = target(&properties["Role"]);
        let log_group = target(&properties["LoggingConfig"]["LogGroup"]);
        let mut expected = store_grants(&binary);
        for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
            expected.insert((action.to_owned(), log_group.clone()));
        }
        if binary == "record-email-event" {
            let queue = target(
                &of_type("AWS::Lambda::EventSourceMapping")[0].1["Properties"]["EventSourceArn"],
            );
            for action in [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
            ] {
                expected.insert((action.to_owned(), queue.clone()));
            }
        }
        assert_eq!(allowed(&role), expected, "{binary}");
    }
    let text = templates().cfn.to_string();
    assert!(!text.contains("dynamodb:Scan"), "no function scans");
}

#[test]
fn each_function_is_told_its_table_by_the_schemas_variable() {
    for (binary, id) in functions() {
        let variables = &resources()[&id]["Properties"]["Environment"]["Variables"];
        let used: Vec<TableSpec> = store_actions(&binary)
            .into_iter()
            .map(|(_, spec, _)| spec)
            .collect();
        for spec in TABLES {
            if used.contains(&spec) {
                let table = table_for(&spec);
                assert_eq!(variables[spec.env_var], json!({"Ref": table}), "{binary}");
            } else {
                assert!(
                    variables.get(spec.env_var).is_none(),
                    "{binary} is given {}, a table it does not use",
                    spec.env_var
                );
            }
        }
    }
}

/// The template gives each function every variable it requires and none it does not read
/// (`shared::config::FUNCTION_VARIABLES`); an optional one only where a parameter sets it.
#[test]
fn each_function_is_given_exactly_the_variables_it_reads() {
    for (binary, id) in functions() {
        let given: BTreeSet<String> = resources()[&id]["Properties"]["Environment"]["Variables"]
            .as_object()
            .map(|variables| variables.keys().cloned().collect())
            .unwrap_or_default();
        let read = shared::config::variables(&binary);
        let readable: BTreeSet<String> = read.iter().map(|v| v.name.to_owned()).collect();
        let required: BTreeSet<String> = read
            .iter()
            .filter(|v| v.required)
            .map(|v| v.name.to_owned())
            .collect();
        assert!(
            given.is_subset(&readable),
            "{binary} is given {:?}, which it does not read",
            given.difference(&readable).collect::<Vec<_>>()
        );
        assert!(
            required.is_subset(&given),
            "{binary} is not given {:?}, which it requires",
            required.difference(&given).collect::<Vec<_>>()
        );
    }
}

#[test]
fn api_keys_arrive_as_digests_from_a_secret_parameter_without_default() {
    let parameters = templates().cfn["Parameters"].as_object().unwrap();
    let keys = &parameters["ApiKeySha256"];
    assert_eq!(keys["NoEcho"], true);
    assert!(keys.get("Default").is_none());
    for (name, parameter) in parameters {
        if parameter["NoEcho"] == true {
            assert!(parameter.get("Default").is_none(), "{name} has a default");
        }
    }
    // Only digests pass: a plain key given by mistake is refused at deploy time.
    assert_eq!(keys["AllowedPattern"], "^[0-9a-f]{64}(,[0-9a-f]{64})*$");
    for route in ROUTES {
        let variables = &function(route.function)["Properties"]["Environment"]["Variables"];
        assert_eq!(
            variables[shared::api::auth::API_KEY_SHA256_ENV],
            json!({"Ref": "ApiKeySha256"}),
            "{}",
            route.function
        );
    }
}

#[test]
fn every_function_has_a_log_group_with_retention() {
    for (binary, id) in functions() {
        let group = target(&resources()[&id]["Properties"]["LoggingConfig"]["LogGroup"]);
        let properties = &resources()[&group]["Properties"];
        assert_eq!(
            properties["RetentionInDays"],
            json!({"Ref": "FunctionLogRetentionDays"}),
            "{binary}"
        );
        assert!(
            properties["LogGroupName"]["Fn::Sub"]
                .as_str()
                .unwrap()
                .contains("${AWS::StackName}")
        );
    }
}

/// The one policy of the queue `queue`.
fn policy_of(queue: &str) -> &'static Value {
    let policies: Vec<&Value> = of_type("AWS::SQS::QueuePolicy")
        .into_iter()
        .map(|(_, policy)| policy)
        .filter(|policy| policy["Properties"]["Queues"] == json!([{"Ref": queue}]))
        .collect();
    assert_eq!(policies.len(), 1, "one policy for {queue}");
    policies[0]
}

#[test]
fn every_queue_takes_tls_only_and_every_table_is_protected_from_deletion() {
    for (id, _) in of_type("AWS::SQS::Queue") {
        let deny = &policy_of(id)["Properties"]["PolicyDocument"]["Statement"][0];
        assert_eq!(deny["Effect"], "Deny", "{id}");
        assert_eq!(deny["Principal"], "*", "{id}");
        assert_eq!(deny["Action"], "sqs:*", "{id}");
        assert_eq!(target(&deny["Resource"]), *id);
        assert_eq!(
            deny["Condition"],
            json!({"Bool": {"aws:SecureTransport": "false"}}),
            "{id}"
        );
    }
    for (id, table) in of_type("AWS::DynamoDB::Table") {
        assert_eq!(
            table["Properties"]["DeletionProtectionEnabled"], true,
            "{id}"
        );
    }
}

/// A parameter, off by default, reserves (and caps) each function's concurrency.
#[test]
fn each_function_can_have_its_concurrency_reserved_and_none_has_by_default() {
    let cfn = &templates().cfn;
    assert_eq!(
        cfn["Parameters"]["FunctionReservedConcurrency"]["Default"],
        0
    );
    assert_eq!(
        cfn["Conditions"]["ReservedConcurrency"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "FunctionReservedConcurrency"}, 0]}]})
    );
    for (binary, _) in functions() {
        assert_eq!(
            function(&binary)["Properties"]["ReservedConcurrentExecutions"],
            json!({"Fn::If": ["ReservedConcurrency", {"Ref": "FunctionReservedConcurrency"},
                              {"Ref": "AWS::NoValue"}]}),
            "{binary}"
        );
    }
}

#[test]
fn email_events_flow_through_a_queue_with_a_dead_letter_queue_and_an_alarm() {
    let mappings = of_type("AWS::Lambda::EventSourceMapping");
    assert_eq!(mappings.len(), 1);
    let mapping = &mappings[0].1["Properties"];
    assert_eq!(
        target(&mapping["FunctionName"]),
        functions()["record-email-event"]
    );
    assert_eq!(
        mapping["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    let queue = target(&mapping["EventSourceArn"]);
    let redrive = &resources()[&queue]["Properties"]["RedrivePolicy"];
    let dead_letters = target(&redrive["deadLetterTargetArn"]);
    assert!(redrive["maxReceiveCount"].as_u64().unwrap() >= 2);
    let watched = alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible");
    assert!(
        watched.contains(&dead_letters),
        "an alarm on the dead-letter queue: {watched:?}"
    );
    // The consumer computes expiry from the retention, and the logs function stops serving a log
    // at that expiry: both read the one parameter.
    for function_name in ["record-email-event", "get-customer-logs"] {
        let retention = &function(function_name)["Properties"]["Environment"]["Variables"]
            [shared::config::LOG_RETENTION_DAYS.name];
        assert_eq!(
            retention,
            &json!({"Ref": "EmailLogRetentionDays"}),
            "{function_name}"
        );
    }
}

#[test]
fn no_resource_has_a_fixed_name() {
    for (id, resource) in resources() {
        for (property, value) in resource["Properties"].as_object().into_iter().flatten() {
            if [
                "TableName",
                "FunctionName",
                "QueueName",
                "RoleName",
                "TopicName",
            ]
            .contains(&property.as_str())
            {
                assert!(
                    !value.is_string(),
                    "{id}.{property} is fixed: a second stack could not deploy"
                );
            }
        }
    }
}

#[test]
fn outputs_give_the_api_url() {
    let url = &templates().cfn["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"];
    assert!(url.as_str().unwrap().ends_with("/api/v1"));
}

/// `customers-admin --stack` finds each table by the output its spec names.
#[test]
fn outputs_name_every_table_as_the_admin_tool_reads_them() {
    let outputs = &templates().cfn["Outputs"];
    for spec in TABLES {
        assert_eq!(
            outputs[spec.stack_output]["Value"],
            json!({"Ref": table_for(&spec)}),
            "{}",
            spec.stack_output
        );
    }
}

/// API Gateway decodes the path once before the function sees it; only the local emulator passes it
/// raw. A deployed function must therefore keep the default (`decoded`): none may set the variable.
#[test]
fn deployed_functions_take_the_path_as_api_gateway_delivers_it() {
    for name in shared::api::routes::all_functions() {
        let variables = &function(name)["Properties"]["Environment"]["Variables"];
        assert!(
            variables
                .get(shared::api::request::PATH_DELIVERY_ENV)
                .is_none(),
            "{name} sets {}",
            shared::api::request::PATH_DELIVERY_ENV
        );
    }
}

/// The logical ids the alarms on `namespace`/`metric` watch, through their first dimension.
fn alarms_on(namespace: &str, metric: &str) -> Vec<String> {
    of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, alarm)| {
            alarm["Properties"]["Namespace"] == namespace
                && alarm["Properties"]["MetricName"] == metric
        })
        .map(|(_, alarm)| target(&alarm["Properties"]["Dimensions"][0]["Value"]))
        .collect()
}

#[test]
fn the_queue_consumer_is_bounded_so_a_backlog_cannot_starve_the_api() {
    let mappings = of_type("AWS::Lambda::EventSourceMapping");
    let scaling = &mappings[0].1["Properties"]["ScalingConfig"];
    assert_eq!(
        scaling["MaximumConcurrency"],
        json!({"Ref": "EventConsumerMaxConcurrency"})
    );
    let parameter = &templates().cfn["Parameters"]["EventConsumerMaxConcurrency"];
    let default = parameter["Default"].as_u64().unwrap();
    // SQS event sources accept 2 to 1000; a small default leaves the API its concurrency.
    assert!((2..=10).contains(&default), "default {default}");
    assert_eq!(parameter["MinValue"], 2);
    assert_eq!(parameter["MaxValue"], 1000);
}

#[test]
fn api_access_logs_carry_the_route_never_the_path_headers_or_query() {
    let stages = of_type("AWS::ApiGatewayV2::Stage");
    assert_eq!(stages.len(), 1);
    let settings = &stages[0].1["Properties"]["AccessLogSettings"];
    let format = settings["Format"].as_str().expect("a format");
    let line: serde_json::Map<String, Value> =
        serde_json::from_str(format).expect("the format is one JSON object per request");
    let variables: BTreeSet<&str> = line.values().filter_map(Value::as_str).collect();
    for needed in [
        "$context.requestId",
        "$context.routeKey",
        "$context.status",
        "$context.responseLatency",
        "$context.integrationErrorMessage",
        "$context.identity.sourceIp",
    ] {
        assert!(variables.contains(needed), "the access log lacks {needed}");
    }
    for variable in &variables {
        for forbidden in [
            "path",
            "header",
            "querystring",
            "query",
            "$input",
            "authorizer",
        ] {
            assert!(
                !variable.to_lowercase().contains(forbidden),
                "the access log carries {variable}"
            );
        }
    }
    let group = target(&settings["DestinationArn"]);
    assert_eq!(resources()[&group]["Type"], "AWS::Logs::LogGroup");
}

#[test]
fn every_log_group_has_the_retention_parameter() {
    let groups = of_type("AWS::Logs::LogGroup");
    assert_eq!(
        groups.len(),
        all_functions().len() + 1,
        "the functions' and the access log"
    );
    for (id, group) in groups {
        assert_eq!(
            group["Properties"]["RetentionInDays"],
            json!({"Ref": "FunctionLogRetentionDays"}),
            "{id}"
        );
    }
}

#[test]
fn each_function_has_an_errors_and_a_throttles_alarm() {
    let ids: BTreeSet<String> = functions().into_values().collect();
    for metric in ["Errors", "Throttles"] {
        let watched: Vec<String> = alarms_on("AWS/Lambda", metric);
        assert_eq!(
            watched.iter().cloned().collect::<BTreeSet<_>>(),
            ids,
            "{metric}: one alarm per function"
        );
        assert_eq!(watched.len(), ids.len(), "{metric}: no function twice");
    }
    assert_eq!(
        alarms_on("AWS/SQS", "ApproximateAgeOfOldestMessage"),
        vec![target(
            &of_type("AWS::Lambda::EventSourceMapping")[0].1["Properties"]["EventSourceArn"]
        )],
        "one alarm on the age of the consumer's queue"
    );
}

#[test]
fn the_api_has_a_5xx_rate_alarm() {
    let rate: Vec<&Value> = of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(_, alarm)| &alarm["Properties"])
        .filter(|alarm| alarm["Metrics"].is_array())
        .collect();
    assert_eq!(rate.len(), 1);
    let metrics = rate[0]["Metrics"].as_array().unwrap();
    let watched: BTreeMap<&str, &Value> = metrics
        .iter()
        .filter_map(|m| {
            let stat = &m["MetricStat"]["Metric"];
            stat["MetricName"].as_str().map(|name| (name, stat))
        })
        .collect();
    for name in ["5xx", "Count"] {
        let metric = watched[name];
        assert_eq!(metric["Namespace"], "AWS/ApiGateway");
        assert_eq!(target(&metric["Dimensions"][0]["Value"]), "Api");
    }
    let expression = metrics
        .iter()
        .find(|m| m["ReturnData"] == true)
        .expect("one returned series");
    assert!(
        expression["Expression"]
            .to_string()
            .contains("errors / requests"),
        "a rate, not a count"
    );
    assert_eq!(
        rate[0]["Threshold"],
        json!({"Ref": "Api5xxRatePercentThreshold"})
    );
}

#[test]
fn every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears() {
    let alarms = of_type("AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 2 * all_functions().len() + 3);
    for (id, alarm) in alarms {
        let properties = &alarm["Properties"];
        assert_eq!(
            properties["AlarmActions"],
            json!([{"Ref": "AlarmTopicArn"}]),
            "{id}"
        );
        assert_eq!(
            properties["OKActions"],
            json!([{"Ref": "AlarmTopicArn"}]),
            "{id}"
        );
        assert_eq!(
            properties["TreatMissingData"], "notBreaching",
            "{id}: idle is healthy"
        );
    }
}

/// Amazon SES events, behind one parameter that is off by default: a configuration set whose every
/// event type goes to the default bus, a rule that takes this set's records alone to the email
/// queue, and a queue policy that lets only that rule send.
#[test]
fn ses_events_reach_the_queue_only_when_enabled_and_only_from_this_configuration_set() {
    let cfn = &templates().cfn;
    assert_eq!(cfn["Parameters"]["SesEventsEnabled"]["Default"], "false");
    assert_eq!(
        cfn["Conditions"]["SesEvents"],
        json!({"Fn::Equals": [{"Ref": "SesEventsEnabled"}, "true"]})
    );
    let conditioned = [
        "AWS::SES::ConfigurationSet",
        "AWS::SES::ConfigurationSetEventDestination",
        "AWS::Events::Rule",
    ];
    for kind in conditioned {
        let found = of_type(kind);
        assert_eq!(found.len(), 1, "{kind}");
        assert_eq!(
            found[0].1["Condition"], "SesEvents",
            "{kind} exists only when enabled"
        );
    }
    let set = of_type("AWS::SES::ConfigurationSet")[0].0.clone();
    assert!(
        of_type("AWS::SES::ConfigurationSet")[0].1["Properties"]["Name"].is_null(),
        "no fixed name"
    );

    let destination = &of_type("AWS::SES::ConfigurationSetEventDestination")[0].1["Properties"];
    assert_eq!(target(&destination["ConfigurationSetName"]), set);
    let types: BTreeSet<&str> = destination["EventDestination"]["MatchingEventTypes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let every_type: BTreeSet<&str> = [
        "send",
        "reject",
        "bounce",
        "complaint",
        "delivery",
        "open",
        "click",
        "renderingFailure",
        "deliveryDelay",
        "subscription",
    ]
    .into();
    assert_eq!(types, every_type);
    assert!(
        destination["EventDestination"]["EventBridgeDestination"]["EventBusArn"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .ends_with(":event-bus/default")
    );

    let (rule_id, rule) = of_type("AWS::Events::Rule")[0];
    let rule = &rule["Properties"];
    assert_eq!(rule["EventPattern"]["source"], json!(["aws.ses"]));
    assert_eq!(
        target(&rule["EventPattern"]["detail"]["mail"]["tags"]["ses:configuration-set"][0]),
        set,
        "only this configuration set's records"
    );
    let queue =
        target(&of_type("AWS::Lambda::EventSourceMapping")[0].1["Properties"]["EventSourceArn"]);
    assert_eq!(rule["Targets"].as_array().unwrap().len(), 1);
    assert_eq!(target(&rule["Targets"][0]["Arn"]), queue);

    let policy = &policy_of(&queue)["Properties"];
    // With SES events on, the queue's policy also lets that rule, and only it, send.
    let allow = &policy["PolicyDocument"]["Statement"][1]["Fn::If"];
    assert_eq!(allow[0], "SesEvents");
    assert_eq!(allow[2], json!({"Ref": "AWS::NoValue"}));
    let statement = &allow[1];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(
        statement["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
    assert_eq!(statement["Action"], "sqs:SendMessage");
    assert_eq!(target(&statement["Resource"]), queue);
    assert_eq!(
        target(&statement["Condition"]["ArnEquals"]["aws:SourceArn"]),
        *rule_id,
        "only that rule may send"
    );
    // What the rule cannot deliver is kept in a dead-letter queue of its own, which only the
    // rule may send to and an alarm watches.
    let kept = target(&rule["Targets"][0]["DeadLetterConfig"]["Arn"]);
    assert_eq!(resources()[&kept]["Condition"], "SesEvents");
    let kept_policy = policy_of(&kept);
    assert_eq!(kept_policy["Condition"], "SesEvents");
    let allow = &kept_policy["Properties"]["PolicyDocument"]["Statement"][1];
    assert_eq!(
        allow["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
    assert_eq!(
        target(&allow["Condition"]["ArnEquals"]["aws:SourceArn"]),
        *rule_id
    );
    assert!(alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible").contains(&kept));

    let delivery_alarms: Vec<&Value> = of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(_, alarm)| alarm)
        .filter(|alarm| alarm["Properties"]["Namespace"] == "AWS/Events")
        .collect();
    assert_eq!(
        delivery_alarms.len(),
        1,
        "an alarm when the rule cannot deliver"
    );
    assert_eq!(delivery_alarms[0]["Condition"], "SesEvents");
    assert_eq!(
        delivery_alarms[0]["Properties"]["MetricName"],
        "FailedInvocations"
    );
    assert_eq!(
        target(&delivery_alarms[0]["Properties"]["Dimensions"][0]["Value"]),
        *rule_id
    );

    let output = &cfn["Outputs"]["SesConfigurationSetName"];
    assert_eq!(output["Condition"], "SesEvents");
    assert_eq!(target(&output["Value"]), set);
}
