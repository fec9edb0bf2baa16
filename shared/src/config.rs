//! Each function's configuration, typed, read once at init: the one reader of the environment.
//!
//! [`FUNCTION_VARIABLES`] names the variables each function reads, in one place; the template,
//! devstack and the cold-start bench are checked against it. Lambda's own variables (`AWS_REGION`,
//! the role's credentials, an endpoint override) are read by `store::client` and are not listed:
//! nobody but the platform (or the local stack standing in for it) sets them.
//!
//! A reader never stops at the first problem: every missing or malformed variable is named in one
//! [`ConfigError`], so a broken deployment is fixed in one round.

use crate::api::auth::{API_KEY_SHA256_ENV, ApiKeys};
use crate::api::request::{PATH_DELIVERY_ENV, PathDelivery};
use crate::model::error::ConfigError;
use crate::store::client::StoreSettings;
use crate::store::customers::CustomerStore;
use crate::store::history::HistoryStore;
use crate::store::log_events::Recorder;
use crate::store::logs::LogStore;
use crate::store::schema::{CUSTOMERS, LOG_EVENTS, LOGS, TableSpec};
use aws_sdk_dynamodb::Client;

/// Reads one environment variable: the process's at init, a map in the tests.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A variable this project gives its functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    /// Without it the function does not start; an optional one has a default.
    pub required: bool,
}

pub const CUSTOMERS_TABLE: Variable = Variable {
    name: CUSTOMERS.env_var,
    required: true,
};
pub const LOGS_TABLE: Variable = Variable {
    name: LOGS.env_var,
    required: true,
};
pub const LOG_EVENTS_TABLE: Variable = Variable {
    name: LOG_EVENTS.env_var,
    required: true,
};
/// The accepted API keys' SHA-256 digests (`api::auth`).
pub const API_KEY_SHA256: Variable = Variable {
    name: API_KEY_SHA256_ENV,
    required: true,
};
/// How the gateway delivers the `{email}` path parameter (`api::request`); only the local stack
/// sets it.
pub const PATH_DELIVERY: Variable = Variable {
    name: PATH_DELIVERY_ENV,
    required: false,
};
/// How many days a log is kept after its send time: it expires then (DynamoDB's TTL) and is no
/// longer served. [`DEFAULT_RETENTION_DAYS`] when not set.
pub const LOG_RETENTION_DAYS: Variable = Variable {
    name: "LOG_RETENTION_DAYS",
    required: false,
};

/// Days a log is kept after its send time when `LOG_RETENTION_DAYS` is not set.
pub const DEFAULT_RETENTION_DAYS: u64 = 365;

/// The variables each function reads, by function crate.
pub const FUNCTION_VARIABLES: [(&str, &[Variable]); 9] = [
    (
        "get-customer",
        &[API_KEY_SHA256, CUSTOMERS_TABLE, PATH_DELIVERY],
    ),
    ("upsert-customer", &[API_KEY_SHA256, CUSTOMERS_TABLE]),
    (
        "delete-customer",
        &[API_KEY_SHA256, CUSTOMERS_TABLE, PATH_DELIVERY],
    ),
    (
        "get-customer-logs",
        &[
            API_KEY_SHA256,
            LOGS_TABLE,
            PATH_DELIVERY,
            LOG_RETENTION_DAYS,
        ],
    ),
    (
        "get-log",
        &[
            API_KEY_SHA256,
            LOGS_TABLE,
            PATH_DELIVERY,
            LOG_RETENTION_DAYS,
        ],
    ),
    (
        "get-log-events",
        &[
            API_KEY_SHA256,
            LOGS_TABLE,
            LOG_EVENTS_TABLE,
            PATH_DELIVERY,
            LOG_RETENTION_DAYS,
        ],
    ),
    (
        "record-email-event",
        &[LOGS_TABLE, LOG_EVENTS_TABLE, LOG_RETENTION_DAYS],
    ),
    ("route-not-found", &[]),
    (
        "batch",
        &[
            API_KEY_SHA256,
            CUSTOMERS_TABLE,
            LOGS_TABLE,
            LOG_EVENTS_TABLE,
            LOG_RETENTION_DAYS,
        ],
    ),
];

/// The variables `function` reads; none for a name that is not a function.
pub fn variables(function: &str) -> &'static [Variable] {
    FUNCTION_VARIABLES
        .iter()
        .find(|(name, _)| *name == function)
        .map_or(&[], |(_, variables)| variables)
}

/// The retention period in seconds, from `LOG_RETENTION_DAYS` (whole days, at least 1).
fn retention_seconds(lookup: Lookup) -> Result<u64, ConfigError> {
    let name = LOG_RETENTION_DAYS.name;
    let days = match lookup(name) {
        None => DEFAULT_RETENTION_DAYS,
        Some(value) => match value.trim().parse::<u64>() {
            Ok(days) if days >= 1 => days,
            _ => {
                return Err(ConfigError::new(format!(
                    "{name} must be a whole number of days, 1 or more"
                )));
            }
        },
    };
    Ok(days.saturating_mul(24 * 60 * 60))
}

/// The function's one store client, which all its tables share: one connection pool, so one
/// warm-up at init serves every table (`store::client::warm_up`).
type StoreClient = Result<Client, ConfigError>;

fn store_client(lookup: Lookup) -> StoreClient {
    StoreSettings::from_lookup(lookup).map(|settings| settings.client())
}

/// A table's access on the function's client. A client that could not be made is reported once,
/// by whichever reader gathers it first ([`ConfigError::gather`] drops repeats).
fn table<T>(
    client: &StoreClient,
    spec: TableSpec,
    lookup: Lookup,
    new: fn(Client, String) -> T,
) -> Result<T, ConfigError> {
    match (client, spec.name_from(lookup)) {
        (Ok(client), Ok(table)) => Ok(new(client.clone(), table)),
        (client, table) => Err(ConfigError::gather([
            client.as_ref().err().cloned(),
            table.err(),
        ])),
    }
}

fn customers(client: &StoreClient, lookup: Lookup) -> Result<CustomerStore, ConfigError> {
    table(client, CUSTOMERS, lookup, CustomerStore::new)
}

fn logs(client: &StoreClient, lookup: Lookup) -> Result<LogStore, ConfigError> {
    table(client, LOGS, lookup, LogStore::new)
}

fn history(client: &StoreClient, lookup: Lookup) -> Result<HistoryStore, ConfigError> {
    table(client, LOG_EVENTS, lookup, HistoryStore::new)
}

/// `get-customer` and `delete-customer`: the key check, the customers table, the path's delivery.
#[derive(Debug, Clone)]
pub struct CustomerByPath {
    pub keys: ApiKeys,
    pub customers: CustomerStore,
    pub path_delivery: PathDelivery,
}

pub type GetCustomer = CustomerByPath;
pub type DeleteCustomer = CustomerByPath;

impl CustomerByPath {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Self, ConfigError> {
        let client = store_client(lookup);
        match (
            ApiKeys::from_lookup(lookup),
            customers(&client, lookup),
            PathDelivery::from_lookup(lookup),
        ) {
            (Ok(keys), Ok(customers), Ok(path_delivery)) => Ok(Self {
                keys,
                customers,
                path_delivery,
            }),
            (keys, customers, path_delivery) => Err(ConfigError::gather([
                keys.err(),
                customers.err(),
                path_delivery.err(),
            ])),
        }
    }
}

/// `upsert-customer`: the key check and the customers table.
#[derive(Debug, Clone)]
pub struct UpsertCustomer {
    pub keys: ApiKeys,
    pub customers: CustomerStore,
}

impl UpsertCustomer {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Self, ConfigError> {
        let client = store_client(lookup);
        match (ApiKeys::from_lookup(lookup), customers(&client, lookup)) {
            (Ok(keys), Ok(customers)) => Ok(Self { keys, customers }),
            (keys, customers) => Err(ConfigError::gather([keys.err(), customers.err()])),
        }
    }
}

/// `get-customer-logs` and `get-log`: the key check, the logs table, the path's delivery and the
/// retention.
#[derive(Debug, Clone)]
pub struct LogsByPath {
    pub keys: ApiKeys,
    pub logs: LogStore,
    pub path_delivery: PathDelivery,
    pub retention_seconds: u64,
}

pub type GetCustomerLogs = LogsByPath;
pub type GetLog = LogsByPath;

impl LogsByPath {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Self, ConfigError> {
        let client = store_client(lookup);
        match (
            ApiKeys::from_lookup(lookup),
            logs(&client, lookup),
            PathDelivery::from_lookup(lookup),
            retention_seconds(lookup),
        ) {
            (Ok(keys), Ok(logs), Ok(path_delivery), Ok(retention_seconds)) => Ok(Self {
                keys,
                logs,
                path_delivery,
                retention_seconds,
            }),
            (keys, logs, path_delivery, retention) => Err(ConfigError::gather([
                keys.err(),
                logs.err(),
                path_delivery.err(),
                retention.err(),
            ])),
        }
    }
}

/// `get-log-events`: the key check, the history table (and the logs table, for a log stored
/// before histories were kept), the path's delivery and the retention.
#[derive(Debug, Clone)]
pub struct GetLogEvents {
    pub keys: ApiKeys,
    pub logs: LogStore,
    pub history: HistoryStore,
    pub path_delivery: PathDelivery,
    pub retention_seconds: u64,
}

impl GetLogEvents {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Self, ConfigError> {
        let client = store_client(lookup);
        match (
            ApiKeys::from_lookup(lookup),
            logs(&client, lookup),
            history(&client, lookup),
            PathDelivery::from_lookup(lookup),
            retention_seconds(lookup),
        ) {
            (Ok(keys), Ok(logs), Ok(history), Ok(path_delivery), Ok(retention_seconds)) => {
                Ok(Self {
                    keys,
                    logs,
                    history,
                    path_delivery,
                    retention_seconds,
                })
            }
            (keys, logs, history, path_delivery, retention) => Err(ConfigError::gather([
                keys.err(),
                logs.err(),
                history.err(),
                path_delivery.err(),
                retention.err(),
            ])),
        }
    }
}

/// `record-email-event`: the logs and their histories, and the retention its writes compute
/// expiry from.
#[derive(Debug, Clone)]
pub struct RecordEmailEvent {
    pub recorder: Recorder,
    pub retention_seconds: u64,
}

impl RecordEmailEvent {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Self, ConfigError> {
        let client = store_client(lookup);
        match (
            logs(&client, lookup),
            history(&client, lookup),
            retention_seconds(lookup),
        ) {
            (Ok(logs), Ok(history), Ok(retention_seconds)) => Ok(Self {
                recorder: Recorder { logs, history },
                retention_seconds,
            }),
            (logs, history, retention) => Err(ConfigError::gather([
                logs.err(),
                history.err(),
                retention.err(),
            ])),
        }
    }
}

/// `batch`: what every route it runs needs (the key check, the three tables, the retention). It
/// reads no path delivery: an item's path is always as its client wrote it.
#[derive(Debug, Clone)]
pub struct Batch {
    pub keys: ApiKeys,
    pub customers: CustomerStore,
    pub logs: LogStore,
    pub history: HistoryStore,
    pub retention_seconds: u64,
}

impl Batch {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Self, ConfigError> {
        let client = store_client(lookup);
        match (
            ApiKeys::from_lookup(lookup),
            customers(&client, lookup),
            logs(&client, lookup),
            history(&client, lookup),
            retention_seconds(lookup),
        ) {
            (Ok(keys), Ok(customers), Ok(logs), Ok(history), Ok(retention_seconds)) => Ok(Self {
                keys,
                customers,
                logs,
                history,
                retention_seconds,
            }),
            (keys, customers, logs, history, retention) => Err(ConfigError::gather([
                keys.err(),
                customers.err(),
                logs.err(),
                history.err(),
                retention.err(),
            ])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    /// Reads `function`'s configuration through `lookup`.
    fn read(function: &str, lookup: Lookup) -> Result<(), ConfigError> {
        match function {
            "get-customer" => GetCustomer::from_lookup(lookup).map(drop),
            "delete-customer" => DeleteCustomer::from_lookup(lookup).map(drop),
            "upsert-customer" => UpsertCustomer::from_lookup(lookup).map(drop),
            "get-customer-logs" => GetCustomerLogs::from_lookup(lookup).map(drop),
            "get-log" => GetLog::from_lookup(lookup).map(drop),
            "get-log-events" => GetLogEvents::from_lookup(lookup).map(drop),
            "batch" => Batch::from_lookup(lookup).map(drop),
            "record-email-event" => RecordEmailEvent::from_lookup(lookup).map(drop),
            // It reads nothing: every request is the same 404.
            "route-not-found" => Ok(()),
            other => panic!("no configuration for {other}"),
        }
    }

    /// What Lambda sets for every function, whatever its configuration.
    const PLATFORM: [(&str, &str); 3] = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];

    fn valid(name: &str) -> Option<String> {
        let digest = "0".repeat(64);
        let value = match name {
            "API_KEY_SHA256" => digest.as_str(),
            "CUSTOMERS_TABLE" | "LOGS_TABLE" | "LOG_EVENTS_TABLE" => "table",
            "PATH_DELIVERY" => "raw",
            "LOG_RETENTION_DAYS" => "7",
            _ => PLATFORM.iter().find(|(n, _)| *n == name)?.1,
        };
        Some(value.to_owned())
    }

    #[test]
    fn each_function_reads_exactly_its_listed_variables() {
        for (function, listed) in FUNCTION_VARIABLES {
            let asked = RefCell::new(BTreeSet::new());
            let recording = |name: &str| {
                asked.borrow_mut().insert(name.to_owned());
                valid(name)
            };
            read(function, &recording).unwrap_or_else(|e| panic!("{function}: {e}"));
            let ours: BTreeSet<String> = asked
                .into_inner()
                .into_iter()
                .filter(|name| !name.starts_with("AWS_") && name != "SSL_CERT_FILE")
                .collect();
            let expected: BTreeSet<String> = listed.iter().map(|v| v.name.to_owned()).collect();
            assert_eq!(ours, expected, "{function}");
        }
    }

    #[test]
    fn every_missing_required_variable_is_named_in_one_error() {
        for (function, listed) in FUNCTION_VARIABLES {
            if listed.is_empty() {
                assert!(read(function, &|_| None).is_ok(), "{function}");
                continue;
            }
            let error = read(function, &|_| None).unwrap_err();
            for variable in listed.iter().filter(|v| v.required) {
                assert!(
                    error.to_string().contains(variable.name),
                    "{function}: {error}"
                );
            }
            assert!(error.to_string().contains("AWS_REGION"), "{error}");
            assert!(error.problems().len() > listed.iter().filter(|v| v.required).count());
        }
    }

    /// A function's tables share one client, built from one reading of the store's settings: a
    /// missing region is one problem, however many tables the function has.
    #[test]
    fn the_store_settings_are_read_once_and_each_problem_is_named_once() {
        for (function, _) in FUNCTION_VARIABLES {
            let regions = RefCell::new(0);
            let without_region = |name: &str| {
                if name == "AWS_REGION" {
                    *regions.borrow_mut() += 1;
                    return None;
                }
                valid(name)
            };
            let outcome = read(function, &without_region);
            if function == "route-not-found" {
                assert!(outcome.is_ok());
                continue;
            }
            let error = outcome.unwrap_err();
            assert_eq!(*regions.borrow(), 1, "{function}");
            let named = error
                .problems()
                .iter()
                .filter(|p| p.contains("AWS_REGION"))
                .count();
            assert_eq!(named, 1, "{function}: {error}");
        }
    }

    #[test]
    fn optional_variables_have_defaults_and_malformed_ones_are_all_named() {
        for (function, listed) in FUNCTION_VARIABLES {
            let without_optional = |name: &str| {
                listed
                    .iter()
                    .all(|v| v.name != name || v.required)
                    .then(|| valid(name))
                    .flatten()
            };
            read(function, &without_optional).unwrap_or_else(|e| panic!("{function}: {e}"));
        }
        let malformed: HashMap<&str, &str> = HashMap::from([
            ("API_KEY_SHA256", "not-a-digest"),
            ("PATH_DELIVERY", "sideways"),
            ("LOG_RETENTION_DAYS", "0"),
        ]);
        let lookup = |name: &str| {
            malformed
                .get(name)
                .map(|value| (*value).to_owned())
                .or_else(|| valid(name))
        };
        let error = read("get-customer-logs", &lookup).unwrap_err();
        assert_eq!(error.problems().len(), 3, "{error}");
        for name in malformed.keys() {
            assert!(error.to_string().contains(name), "{error}");
        }
        assert!(!error.to_string().contains("not-a-digest"), "{error}");
    }

    #[test]
    fn retention_is_in_whole_days() {
        let days = |value: &'static str| retention_seconds(&move |_| Some(value.to_owned()));
        assert_eq!(days("2"), Ok(2 * 86_400));
        assert_eq!(days(" 30 "), Ok(30 * 86_400));
        for bad in ["0", "-1", "1.5", "a week", ""] {
            assert!(days(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            retention_seconds(&|_| None),
            Ok(DEFAULT_RETENTION_DAYS * 86_400)
        );
    }

    #[test]
    fn every_function_is_listed_once() {
        let names: BTreeSet<&str> = FUNCTION_VARIABLES.iter().map(|(name, _)| *name).collect();
        assert_eq!(names.len(), FUNCTION_VARIABLES.len());
        assert_eq!(names, crate::api::routes::all_functions());
    }
}
