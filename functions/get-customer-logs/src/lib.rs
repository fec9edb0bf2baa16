//! `GET /api/v1/customers/{email}/logs?count=&created_lt=&created_gt=`: the address's email logs,
//! newest first. Reads only the logs table: logs outlive their customer.

use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value};
use shared::{ApiError, ApiKeys, LogStore, LogsQuery, http};

pub struct App {
    pub keys: ApiKeys,
    pub logs: LogStore,
}

impl App {
    pub fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self {
            keys: ApiKeys::from_env()?,
            logs: LogStore::from_env(shared::dynamodb::StoreSettings::from_env()?.client())?,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(self.get_logs(&request).await)
    }

    async fn get_logs(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let email = http::path_email(request)?;
        let query = LogsQuery::parse(&request.query_string_parameters())?;
        let logs = self.logs.query(&email, &query).await?;
        Ok(http::success(Map::from_iter([(
            "logs".to_owned(),
            Value::Array(logs.iter().map(|log| log.to_json()).collect()),
        )])))
    }
}
