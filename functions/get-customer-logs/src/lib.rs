//! `GET /api/v1/customers/{email}/logs?count=&created_lt=&created_gt=`: the address's email logs,
//! newest first. Reads only the logs table: logs outlive their customer. A log past its retention
//! (`LOG_RETENTION_DAYS`, the setting the consumer computes expiry from) is never served, even
//! while DynamoDB's TTL has not deleted it yet.

use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value};
use shared::logs::{oldest_served, retention_seconds_from_env};
use shared::{ApiError, ApiKeys, LogStore, LogsQuery, http};

pub struct App {
    pub keys: ApiKeys,
    pub logs: LogStore,
    /// How the gateway delivers the `{email}` path parameter.
    pub path_delivery: http::PathDelivery,
    /// How long after its send time a log is served (and then expires).
    pub retention_seconds: u64,
    /// The clock that retention is measured against (Unix seconds).
    pub now: fn() -> u64,
}

impl App {
    pub fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self {
            keys: ApiKeys::from_env()?,
            logs: LogStore::from_env(shared::dynamodb::StoreSettings::from_env()?.client())?,
            path_delivery: http::PathDelivery::from_env()?,
            retention_seconds: retention_seconds_from_env()?,
            now: shared::clock::unix_now,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(&request, self.get_logs(&request).await)
    }

    async fn get_logs(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let email = http::path_email(request, self.path_delivery)?;
        let query = LogsQuery::parse(&request.query_string_parameters())?;
        let oldest = oldest_served((self.now)(), self.retention_seconds);
        let logs = self.logs.query(&email, &query, oldest).await?;
        Ok(http::success(Map::from_iter([(
            "logs".to_owned(),
            Value::Array(logs.iter().map(|log| log.to_json()).collect()),
        )])))
    }
}
