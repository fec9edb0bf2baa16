//! `POST /api/v1/customers`: creates the customer, or updates its locale when it exists.

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::{ApiError, ApiKeys, CustomerInput, CustomerStore, http};

pub struct App {
    pub keys: ApiKeys,
    pub customers: CustomerStore,
    /// The clock that stamps `created` on new customers (Unix seconds).
    pub now: fn() -> u64,
}

impl App {
    pub fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self {
            keys: ApiKeys::from_env()?,
            customers: CustomerStore::from_env(
                shared::dynamodb::StoreSettings::from_env()?.client(),
            )?,
            now: shared::clock::unix_now,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(&request, self.upsert_customer(&request).await)
    }

    async fn upsert_customer(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let input = CustomerInput::from_body(&http::json_object_body(request)?)?;
        self.customers
            .upsert(&input.email, input.locale.as_ref(), (self.now)())
            .await?;
        Ok(http::success(Map::new()))
    }
}
