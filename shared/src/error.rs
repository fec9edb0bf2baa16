//! One error type for everything a request can end in, mapped to the contract's status codes and
//! short plain-text reasons in one place.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::fmt;

/// Why a request did not succeed. The `Display` text is what the client reads: a short sentence,
/// never an SDK message, a table name, a key or an address. [`ApiError::kind`] and
/// [`ApiError::field`] are what the logs say about it: they never carry a value either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request itself is wrong; `field` names the part (`email`, `locale`, `count`,
    /// `body`, an event's field…) and `reason` says how, without quoting the value.
    BadRequest { field: &'static str, reason: String },
    /// 403: the request carries no API key at all.
    NoKey,
    /// 403: the request carries a key we do not accept, or one we cannot read.
    UnknownKey,
    /// 404: no customer with that address.
    CustomerNotFound,
    /// 413: the body is over the limit.
    PayloadTooLarge,
    /// 503: the store is down, throttled or too slow; worth retrying.
    Unavailable,
    /// 500: anything else that is our fault.
    Internal,
}

impl ApiError {
    pub fn bad_request(field: &'static str, reason: impl Into<String>) -> Self {
        Self::BadRequest {
            field,
            reason: reason.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::NoKey | Self::UnknownKey => 403,
            Self::CustomerNotFound => 404,
            Self::PayloadTooLarge => 413,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// What went wrong, as a log reads it: a fixed word, never a value.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad input",
            Self::NoKey => "no key",
            Self::UnknownKey => "unknown key",
            Self::CustomerNotFound => "not found",
            Self::PayloadTooLarge => "body too large",
            Self::Unavailable => "store unavailable",
            Self::Internal => "internal",
        }
    }

    /// The part of the request or event a bad input is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::BadRequest { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadRequest { reason, .. } => f.write_str(reason),
            Self::NoKey | Self::UnknownKey => f.write_str("Invalid or missing API key."),
            Self::CustomerNotFound => f.write_str("Customer not found."),
            Self::PayloadTooLarge => write!(
                f,
                "Request body is larger than {} KiB.",
                crate::http::MAX_BODY_BYTES / 1024
            ),
            Self::Unavailable => {
                f.write_str("The customer store is unavailable right now; try again shortly.")
            }
            Self::Internal => f.write_str("Internal server error."),
        }
    }
}

impl std::error::Error for ApiError {}

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

impl ApiError {
    /// Maps a failed store call to the contract: a store that is unreachable, slow or throttled is
    /// 503; anything else (a missing table, a permission error) is ours, 500. The details go to
    /// the log, never to the client.
    pub fn from_store<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let transient = match &err {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
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
            Self::Unavailable
        } else {
            Self::Internal
        }
    }
}
