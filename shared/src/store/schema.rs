//! Table and key names and the logs' key layout: the one source of truth for the code, the local
//! store and the tests of the SAM template.
//!
//! Logs are keyed by `email` and a string sort key `created` that reads
//! `<Unix seconds, zero-padded to 20 digits>#<log_id>` ([`log_sort_key`]), so two logs of one
//! customer in the same second stay two logs, and a range of seconds is one key condition. The
//! index [`LOGS_BY_ID`] finds a log by its id alone.
//!
//! A log's history (every distinct event it received) is in its own table, keyed by `log_id` and
//! `event` (`<time, 20 digits>#<rank>#<entry id>`, [`entry_sort_key`]): oldest first, in the
//! order that breaks ties, each entry once.

use crate::model::error::ConfigError;
use crate::model::event::LogEntry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    /// DynamoDB's attribute type letter: `S` or `N`.
    pub kind: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// What the local stack calls the table (the tests add a suffix). In AWS, CloudFormation names
    /// it, and the functions read that name from `env_var`: no deployed name is fixed in code.
    pub local_name: &'static str,
    /// The environment variable that names the table.
    pub env_var: &'static str,
    /// The stack output that names the deployed table (what `customers-admin --stack` reads).
    pub stack_output: &'static str,
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    /// The attribute DynamoDB's TTL reads, if the table expires items.
    pub ttl_attribute: Option<&'static str>,
    /// A global secondary index projecting every attribute, if the table has one.
    pub index: Option<IndexSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: &'static str,
    pub partition_key: Key,
}

/// The logs by id: `GET /logs/{log_id}` queries it.
pub const LOGS_BY_ID: IndexSpec = IndexSpec {
    name: "by_log_id",
    partition_key: Key {
        name: "log_id",
        kind: "S",
    },
};

pub const CUSTOMERS: TableSpec = TableSpec {
    local_name: "customers",
    env_var: "CUSTOMERS_TABLE",
    stack_output: "CustomersTableName",
    partition_key: Key {
        name: "email",
        kind: "S",
    },
    sort_key: None,
    ttl_attribute: None,
    index: None,
};

pub const LOGS: TableSpec = TableSpec {
    local_name: "logs",
    env_var: "LOGS_TABLE",
    stack_output: "LogsTableName",
    partition_key: Key {
        name: "email",
        kind: "S",
    },
    sort_key: Some(Key {
        name: "created",
        kind: "S",
    }),
    ttl_attribute: Some("expires_at"),
    index: Some(LOGS_BY_ID),
};

/// Every log's history: one item per distinct event, expiring with its log.
pub const LOG_EVENTS: TableSpec = TableSpec {
    local_name: "log_events",
    env_var: "LOG_EVENTS_TABLE",
    stack_output: "LogEventsTableName",
    partition_key: Key {
        name: "log_id",
        kind: "S",
    },
    sort_key: Some(Key {
        name: "event",
        kind: "S",
    }),
    ttl_attribute: Some("expires_at"),
    index: None,
};

/// Every table, each once: what the local store creates.
pub const TABLES: [TableSpec; 3] = [CUSTOMERS, LOGS, LOG_EVENTS];

/// The name of the logs table's sort key.
pub const LOGS_SORT_KEY: &str = match LOGS.sort_key {
    Some(key) => key.name,
    None => panic!("the logs table has a sort key"),
};

/// The 20-digit prefix every sort key of second `seconds` starts with. It sorts before every key of
/// that second and after every key of the second before: the key range of `store::logs` rests on it.
pub fn seconds_prefix(seconds: u64) -> String {
    format!("{seconds:020}")
}

/// The sort key of one log.
pub fn log_sort_key(created: u64, log_id: &str) -> String {
    format!("{}#{log_id}", seconds_prefix(created))
}

/// The name of the history table's sort key.
pub const LOG_EVENTS_SORT_KEY: &str = match LOG_EVENTS.sort_key {
    Some(key) => key.name,
    None => panic!("the history table has a sort key"),
};

/// The sort key of one entry of a log's history: its time, its rank (offset to stay positive,
/// three digits) and its id, so a log's entries read oldest first, in tie order, each once.
pub fn entry_sort_key(entry: &LogEntry) -> String {
    format!(
        "{}#{:03}#{}",
        seconds_prefix(entry.at),
        entry.status.rank_tenths() + 100,
        entry.id()
    )
}

impl TableSpec {
    /// The table's name from its environment variable, as `lookup` reads variables.
    pub fn name_from(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, ConfigError> {
        match lookup(self.env_var) {
            Some(name) if !name.trim().is_empty() => Ok(name.trim().to_owned()),
            _ => Err(ConfigError::new(format!("{} is not set", self.env_var))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seconds_prefix_bounds_the_keys_of_its_second() {
        let key_at = |s| log_sort_key(s, "log_x");
        assert!(key_at(10) < seconds_prefix(11) && seconds_prefix(11) <= key_at(11));
        assert!(key_at(19) < seconds_prefix(20) && seconds_prefix(20) < key_at(20));
        assert!(log_sort_key(u64::MAX, "z").starts_with("18446744073709551615#"));
    }

    #[test]
    fn entries_sort_by_time_then_tie_order() {
        use crate::model::event::Status;
        let key = |status, at| {
            entry_sort_key(&LogEntry {
                status,
                at,
                message: None,
            })
        };
        let mut keys = vec![
            key(Status::FailedToSend, 5),
            key(Status::Requested, 5),
            key(Status::Opened, 4),
            key(Status::Sent, 5),
            key(Status::Queued, 10),
        ];
        keys.sort();
        assert_eq!(
            keys,
            [
                key(Status::Opened, 4),
                key(Status::Requested, 5),
                key(Status::Sent, 5),
                key(Status::FailedToSend, 5),
                key(Status::Queued, 10),
            ]
        );
    }
}
