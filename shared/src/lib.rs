//! The model every function shares: validated types, the API-key check, DynamoDB access and the
//! one place where results become the contract's HTTP responses.

pub mod auth;
pub mod clock;
pub mod customer;
pub mod dynamodb;
pub mod email;
pub mod error;
pub mod event;
pub mod http;
pub mod locale;
pub mod logging;
pub mod logs;
pub mod routes;
pub mod schema;
pub mod ses;

pub use auth::ApiKeys;
pub use customer::{Customer, CustomerInput, CustomerStore};
pub use email::Email;
pub use error::ApiError;
pub use event::EmailEvent;
pub use locale::Locale;
pub use logs::{Log, LogStore, LogsQuery};
