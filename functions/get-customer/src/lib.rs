//! `GET /api/v1/customers/{email}`: one customer, or 404.

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::{ApiError, ApiKeys, CustomerStore, http};

pub struct App {
    pub keys: ApiKeys,
    pub customers: CustomerStore,
    /// How the gateway delivers the `{email}` path parameter.
    pub path_delivery: http::PathDelivery,
}

impl App {
    pub fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self {
            keys: ApiKeys::from_env()?,
            customers: CustomerStore::from_env(
                shared::dynamodb::StoreSettings::from_env()?.client(),
            )?,
            path_delivery: http::PathDelivery::from_env()?,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(&request, self.get_customer(&request).await)
    }

    async fn get_customer(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let email = http::path_email(request, self.path_delivery)?;
        let customer = self
            .customers
            .get(&email)
            .await?
            .ok_or(ApiError::CustomerNotFound)?;
        Ok(http::success(Map::from_iter([(
            "customer".to_owned(),
            customer.to_json(),
        )])))
    }
}
