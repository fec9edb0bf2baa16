//! `POST /api/v1/customers`: creates the customer, or updates its locale when it exists.

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::api::{request, response};
use shared::{ApiError, ApiKeys, CustomerInput, CustomerStore};

pub struct App {
    pub keys: ApiKeys,
    pub customers: CustomerStore,
    /// The clock that stamps `created` on new customers (Unix seconds).
    pub now: fn() -> u64,
}

impl App {
    pub fn from_env() -> Result<Self, shared::ConfigError> {
        let config = shared::config::UpsertCustomer::from_env()?;
        Ok(Self {
            keys: config.keys,
            customers: config.customers,
            now: shared::clock::unix_now,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        response::respond(&request, self.upsert_customer(&request).await)
    }

    async fn upsert_customer(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let input = CustomerInput::from_body(&request::json_object_body(request)?)?;
        self.customers
            .upsert(&input.email, input.locale.as_ref(), (self.now)())
            .await?;
        Ok(response::success(Map::new()))
    }
}
