//! The DynamoDB client every function builds once, at init.
//!
//! The endpoint, region and credentials come from the standard AWS environment (so
//! `AWS_ENDPOINT_URL_DYNAMODB` points it at the local store). What we add are bounds: every store
//! call gives up, with the contract's 503, well inside the function's own timeout (10 s in the
//! template), so a client never gets the gateway's JSON timeout error instead of ours.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::Client;
use std::time::Duration;

/// A TCP connect that takes longer than this is a store that is not there.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// One attempt of one call; a single-item call normally answers in milliseconds.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
/// The whole call, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(4);
/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;

/// A client for the environment's DynamoDB endpoint with our timeouts and retry budget.
pub async fn dynamodb_client() -> Client {
    let sdk_config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    client_from(&sdk_config)
}

/// Applies our timeouts and retry budget to a loaded SDK configuration.
pub fn client_from(sdk_config: &SdkConfig) -> Client {
    let config = aws_sdk_dynamodb::config::Builder::from(sdk_config)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_millis(500)),
        )
        .build();
    Client::from_conf(config)
}
