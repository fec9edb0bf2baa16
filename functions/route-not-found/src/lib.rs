//! Every request no route matches (the gateway's default route; locally, the watch router's
//! catch-all and every method a path has no route for): a plain-text 404 that says what this API
//! serves. Never JSON: the Node client takes any JSON body for success, so a call to `/send` or
//! `/batch` would be told it worked. The key is not checked: there is nothing here to protect.

use lambda_http::{Body, Request, Response};
use shared::ApiError;
use shared::api::response;

pub async fn handle(request: Request) -> Response<Body> {
    response::respond(&request, Err(ApiError::RouteNotFound))
}
