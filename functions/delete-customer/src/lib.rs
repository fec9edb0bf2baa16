//! `DELETE /api/v1/customers/{email}`: deletes the customer; succeeds also when there was none.
//! The customer's email logs are kept: deleting a customer does not erase its history.

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::api::{request, response};
use shared::{ApiError, ApiKeys, CustomerStore};

pub struct App {
    pub keys: ApiKeys,
    pub customers: CustomerStore,
    /// How the gateway delivers the `{email}` path parameter.
    pub path_delivery: request::PathDelivery,
}

impl App {
    pub fn from_env() -> Result<Self, shared::ConfigError> {
        let config = shared::config::DeleteCustomer::from_env()?;
        Ok(Self {
            keys: config.keys,
            customers: config.customers,
            path_delivery: config.path_delivery,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        response::respond(&request, self.delete_customer(&request).await)
    }

    async fn delete_customer(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let email = request::path_email(request, self.path_delivery)?;
        self.customers.delete(&email).await?;
        Ok(response::success(Map::new()))
    }
}
