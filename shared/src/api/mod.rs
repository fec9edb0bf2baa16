//! Everything that speaks `lambda_http`: the routes, the API-key check, requests read into the
//! model's values, and results turned into responses. Imports the model, never the store.

pub mod auth;
pub mod request;
pub mod response;
pub mod routes;
