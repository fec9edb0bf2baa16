//! What the local stack fixes, shared with the tests that check the sample events against it.

/// The local stack's key when `API_KEY` is not set. No secret: it only opens a store on this
/// machine, and the sample events in `events/` carry it.
pub const DEV_API_KEY: &str = "local-dev-key";
/// The local store's table names (in AWS, CloudFormation names them).
pub const CUSTOMERS_TABLE: &str = "customers";
pub const LOGS_TABLE: &str = "logs";
pub const REGION: &str = "us-east-1";

/// A client for a local store at `endpoint`, with the functions' own timeouts and retries and
/// dummy credentials (dynoxide accepts any).
pub async fn store_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "devstack",
        ))
        .load()
        .await;
    shared::config::client_from(&config)
}
