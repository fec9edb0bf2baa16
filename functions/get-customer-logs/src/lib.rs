//! `GET /api/v1/customers/{email}/logs?count=&created_lt=&created_gt=`: the address's email logs,
//! newest first. Reads only the logs table: logs outlive their customer. A log past its retention
//! (`LOG_RETENTION_DAYS`, the setting the consumer computes expiry from) is never served, even
//! while DynamoDB's TTL has not deleted it yet.

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::api::{request, response};
use shared::model::log::oldest_served;
use shared::{ApiError, ApiKeys, LogStore};

pub struct App {
    pub keys: ApiKeys,
    pub logs: LogStore,
    /// How the gateway delivers the `{email}` path parameter.
    pub path_delivery: request::PathDelivery,
    /// How long after its send time a log is served (and then expires).
    pub retention_seconds: u64,
    /// The clock that retention is measured against (Unix seconds).
    pub now: fn() -> u64,
}

impl App {
    pub fn from_env() -> Result<Self, shared::ConfigError> {
        let config = shared::config::GetCustomerLogs::from_env()?;
        Ok(Self {
            keys: config.keys,
            logs: config.logs,
            path_delivery: config.path_delivery,
            retention_seconds: config.retention_seconds,
            now: shared::clock::unix_now,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        response::respond(&request, self.get_logs(&request).await)
    }

    async fn get_logs(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let email = request::path_email(request, self.path_delivery)?;
        let query = request::logs_query(request)?;
        let oldest = oldest_served((self.now)(), self.retention_seconds);
        let logs = self.logs.query(&email, &query, oldest).await?;
        Ok(response::success(Map::from_iter([(
            "logs".to_owned(),
            Value::Array(logs.iter().map(|log| log.to_json()).collect()),
        )])))
    }
}
