//! Behaviour tests: every row of the wire contract, each handler driven with API Gateway HTTP API
//! (v2) events against a real DynamoDB-compatible server on 127.0.0.1.

mod admin;
mod auth;
mod bad_input;
mod batch;
mod copies;
mod customers;
mod hostile;
mod ingestion;
mod layers;
mod log_history;
mod logs;
mod observability;
mod ses;
mod store_failures;
mod template;
mod warm_up;
