//! The two error types of the project, each in one place:
//! - [`ApiError`]: everything a request or a queue message can end in, mapped to the contract's
//!   status codes and short plain-text reasons. The store layer classifies its failures into it
//!   (`store::failure`), the API layer turns it into a response (`api::response`).
//! - [`ConfigError`]: every missing or malformed environment variable of a function, found at init
//!   and reported together (`config`).

use std::fmt;

/// A request body over this is refused with [`ApiError::PayloadTooLarge`] before it is parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
    /// 404: no log with that id (or none still kept).
    LogNotFound,
    /// 404: more than one log has that id: logs stored before ids named one log each (an SES
    /// message's recipients shared the message id).
    AmbiguousLogId,
    /// 404: a route or method this API does not serve.
    RouteNotFound,
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
            Self::CustomerNotFound
            | Self::LogNotFound
            | Self::AmbiguousLogId
            | Self::RouteNotFound => 404,
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
            Self::CustomerNotFound | Self::LogNotFound => "not found",
            Self::AmbiguousLogId => "ambiguous log id",
            Self::RouteNotFound => "no such route",
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
            Self::LogNotFound => f.write_str("Log not found."),
            Self::AmbiguousLogId => {
                f.write_str("More than one log has this id; read them through the customer's logs.")
            }
            Self::RouteNotFound => f.write_str(
                "No such route: this API serves /api/v1/customers, /api/v1/logs and /api/v1/batch only.",
            ),
            Self::PayloadTooLarge => write!(
                f,
                "Request body is larger than {} KiB.",
                MAX_BODY_BYTES / 1024
            ),
            Self::Unavailable => {
                f.write_str("The customer store is unavailable right now; try again shortly.")
            }
            Self::Internal => f.write_str("Internal server error."),
        }
    }
}

impl std::error::Error for ApiError {}

/// Why a function cannot start: every problem found in its environment, each naming its variable
/// (never a secret's value). A deployment error, reported once at init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<String>,
}

impl ConfigError {
    /// One problem.
    pub fn new(problem: impl Into<String>) -> Self {
        Self {
            problems: vec![problem.into()],
        }
    }

    /// Every problem of every reader that failed, in order, each once (`None` is a reader that
    /// succeeded; readers that share a part, such as the store's settings, report it alike).
    pub fn gather(failures: impl IntoIterator<Item = Option<ConfigError>>) -> Self {
        let mut problems: Vec<String> = Vec::new();
        for problem in failures.into_iter().flatten().flat_map(|f| f.problems) {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
        Self { problems }
    }

    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("; "))
    }
}

impl std::error::Error for ConfigError {}
