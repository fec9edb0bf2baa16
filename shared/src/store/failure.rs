//! Store failures classified into the contract's errors, in one place: a store that is
//! unreachable, slow or throttled is [`ApiError::Unavailable`] (503, worth a retry); anything else
//! (a missing table, a permission error) is ours, [`ApiError::Internal`] (500). The details go to
//! the log, never to the client.

use crate::model::error::ApiError;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Error codes DynamoDB uses for "slow down" or "not now": worth a retry by the client.
const TRANSIENT_CODES: [&str; 7] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
];

/// The contract's error for a failed store call, logged once with the operation and the SDK's
/// account of it.
pub fn classify<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().as_u16() >= 500
                || service
                    .err()
                    .code()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    };
    tracing::error!(operation, transient, error = %DisplayErrorContext(&err), "store call failed");
    if transient {
        ApiError::Unavailable
    } else {
        ApiError::Internal
    }
}
