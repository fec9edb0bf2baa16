//! Everything that speaks DynamoDB: the client, the tables and their keys, the classification of
//! store failures, the one update-expression builder and the reads and writes of both tables.
//! Imports the model, never the API layer.

pub mod client;
pub mod customers;
pub mod erasure;
pub mod failure;
pub mod history;
pub mod log_events;
pub mod logs;
pub mod provision;
pub mod scan;
pub mod schema;
pub mod update;
