//! `GET /api/v1/logs/{log_id}`: one log, as the bare object of sendwithus's docs (no `success`
//! wrapper) with its `events_url`; 404 when no log kept has that id. One `Query` of the logs
//! table's index by id.

use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::api::routes::BASE_PATH;
use shared::api::{request, response};
use shared::model::log::oldest_served;
use shared::{ApiError, ApiKeys, LogStore};

pub struct App {
    pub keys: ApiKeys,
    pub logs: LogStore,
    /// How the gateway delivers the `{log_id}` path parameter.
    pub path_delivery: request::PathDelivery,
    /// How long after its send time a log is served (and then expires).
    pub retention_seconds: u64,
    /// The clock that retention is measured against (Unix seconds).
    pub now: fn() -> u64,
}

impl App {
    pub fn from_env() -> Result<Self, shared::ConfigError> {
        let config = shared::config::GetLog::from_env()?;
        Ok(Self {
            keys: config.keys,
            logs: config.logs,
            path_delivery: config.path_delivery,
            retention_seconds: config.retention_seconds,
            now: shared::clock::unix_now,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        response::respond(&request, self.get_log(&request).await)
    }

    async fn get_log(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let log_id = request::path_log_id(request, self.path_delivery)?;
        let oldest = oldest_served((self.now)(), self.retention_seconds);
        let log = self
            .logs
            .by_id(&log_id, oldest)
            .await?
            .ok_or(ApiError::LogNotFound)?;
        Ok(log.to_json_with_events_url(BASE_PATH))
    }
}
