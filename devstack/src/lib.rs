//! What the local stack fixes, shared with the tests that check the sample events against it.

/// The local stack's key when `API_KEY` is not set. No secret: it only opens a store on this
/// machine, and the sample events in `events/` carry it.
pub const DEV_API_KEY: &str = "local-dev-key";
/// The local store's table names (in AWS, CloudFormation names them).
pub const CUSTOMERS_TABLE: &str = "customers";
pub const LOGS_TABLE: &str = "logs";
pub const REGION: &str = "us-east-1";
