//! The model every function shares, in three layers whose folders say what they speak:
//!
//! - [`model`]: the contract's values and rules (`Email`, `Locale`, `Customer`, `Log`, the logs
//!   query, `EmailEvent` and its statuses, the SES record reader) and the error types. It knows
//!   neither `lambda_http` nor the AWS SDK.
//! - [`store`]: everything that speaks DynamoDB: the client, the tables, the classification of
//!   store failures, the one update-expression builder, the reads and the writes.
//! - [`api`]: everything that speaks `lambda_http`: the routes, the API-key check, request parsing
//!   and the one place results become responses.
//!
//! Beside them, [`config`] reads each function's environment once, [`logging`] installs the log
//! subscriber and [`clock`] tells the time.
//!
//! **The dependency rule**: `model` imports only `model`; `store` and `api` import `model` and
//! never each other; only `config` (and the functions, devstack and the tests, outside this crate)
//! sees both. `integration-tests/tests/behaviour/layers.rs` reads these sources and fails on an
//! import that breaks it.

pub mod api;
pub mod clock;
pub mod config;
pub mod logging;
pub mod model;
pub mod store;

pub use api::auth::ApiKeys;
pub use model::customer::{Customer, CustomerInput};
pub use model::email::Email;
pub use model::error::{ApiError, ConfigError};
pub use model::event::EmailEvent;
pub use model::locale::Locale;
pub use model::log::{Log, LogsQuery};
pub use store::customers::CustomerStore;
pub use store::logs::LogStore;
