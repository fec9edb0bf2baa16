//! Results turned into the contract's responses, in one place, with the one INFO line per request.

use crate::model::error::ApiError;
use lambda_http::http::{StatusCode, header::CONTENT_TYPE};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value, json};

/// `{"success": true, "status": "OK"}` plus any fields of `extra`.
pub fn success(extra: Map<String, Value>) -> Value {
    let mut body = Map::new();
    body.insert("success".into(), Value::Bool(true));
    body.insert("status".into(), json!("OK"));
    body.extend(extra);
    Value::Object(body)
}

/// The one place a result becomes a response: 200 with the JSON body, or the error's status with
/// its reason as plain text (never JSON: the Node client reports an error only for a non-JSON body).
/// Every request leaves one INFO line: the gateway's request id, the route key (the template, never
/// the path: it holds the address), the status and, for an error, its kind and field. Never a key,
/// a header, a body or an address.
pub fn respond(request: &Request, result: Result<Value, ApiError>) -> Response<Body> {
    let (request_id, route) = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            (context.request_id.as_deref(), context.route_key.as_deref())
        }
        _ => (None, None),
    };
    let request_id = request_id.unwrap_or("-");
    let route = route.unwrap_or("-");
    match &result {
        Ok(_) => tracing::info!(request_id, route, status = 200, "answered"),
        Err(error) => tracing::info!(
            request_id,
            route,
            status = error.status(),
            refusal = error.kind(),
            field = error.field().unwrap_or("-"),
            "answered"
        ),
    }
    let (status, content_type, body) = match result {
        Ok(value) => (StatusCode::OK, "application/json", value.to_string()),
        Err(error) => (
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "text/plain; charset=utf-8",
            error.to_string(),
        ),
    };
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static(content_type),
    );
    response
}
