//! Everything that speaks `lambda_http`: the routes, the API-key check, requests read into the
//! model's values, results turned into responses, and the runtime loop that carries them. Imports the model, never the store.

pub mod auth;
pub mod batch;
pub mod request;
pub mod response;
pub mod routes;
pub mod runtime;
