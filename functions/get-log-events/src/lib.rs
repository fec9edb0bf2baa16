//! `GET /api/v1/logs/{log_id}/events`: the log's history as sendwithus's docs show it, a bare JSON
//! array (no `success` wrapper), oldest first, one entry per distinct event the log received. One
//! `Query` of the history table; a log stored before histories were kept has none, and is then
//! read by its id (a second request) for what it still tells: its send and its last status. 404
//! when no log kept has that id.

use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::api::{request, response};
use shared::model::log::oldest_served;
use shared::store::history::HistoryStore;
use shared::{ApiError, ApiKeys, LogStore};

pub struct App {
    pub keys: ApiKeys,
    pub logs: LogStore,
    pub history: HistoryStore,
    /// How the gateway delivers the `{log_id}` path parameter.
    pub path_delivery: request::PathDelivery,
    /// How long after its send time a log is served (and then expires).
    pub retention_seconds: u64,
    /// The clock that retention is measured against (Unix seconds).
    pub now: fn() -> u64,
}

impl App {
    pub fn from_env() -> Result<Self, shared::ConfigError> {
        let config = shared::config::GetLogEvents::from_env()?;
        Ok(Self {
            keys: config.keys,
            logs: config.logs,
            history: config.history,
            path_delivery: config.path_delivery,
            retention_seconds: config.retention_seconds,
            now: shared::clock::unix_now,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        response::respond(&request, self.get_events(&request).await)
    }

    async fn get_events(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let log_id = request::path_log_id(request, self.path_delivery)?;
        let oldest = oldest_served((self.now)(), self.retention_seconds);
        let mut entries = self.history.entries(&log_id, oldest).await?;
        if entries.is_empty() {
            entries = self
                .logs
                .by_id(&log_id, oldest)
                .await?
                .ok_or(ApiError::LogNotFound)?
                .known_entries();
        }
        Ok(Value::Array(entries.iter().map(|e| e.to_json()).collect()))
    }
}
