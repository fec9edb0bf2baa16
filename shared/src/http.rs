//! Turning API Gateway requests into validated values, and results into the contract's responses.

use crate::email::Email;
use crate::error::ApiError;
use lambda_http::http::{StatusCode, header::CONTENT_TYPE};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

/// A body over this is refused with 413 before it is parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The environment variable that says how the `{email}` path parameter arrives.
pub const PATH_DELIVERY_ENV: &str = "PATH_PARAMETERS";

/// How the `{email}` path parameter reaches the function. The client percent-encodes the path (or
/// not: several official clients paste the address as is); then:
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PathDelivery {
    /// API Gateway HTTP APIs decode `pathParameters` once themselves: the value is the address.
    /// Decoding it again would read a literal `%41` in an address as `A`. The default: it is how
    /// the deployed API works.
    #[default]
    Decoded,
    /// `cargo lambda watch` passes the path segment as the client wrote it: decode `%XX` once,
    /// and leave `+` a plus. `make dev` sets `PATH_PARAMETERS=raw`.
    Raw,
}

impl PathDelivery {
    /// From `PATH_PARAMETERS`: `decoded` (or unset) or `raw`.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(PATH_DELIVERY_ENV).as_deref().map(str::trim) {
            Err(_) | Ok("") | Ok("decoded") => Ok(Self::Decoded),
            Ok("raw") => Ok(Self::Raw),
            Ok(_) => Err(format!(
                "{PATH_DELIVERY_ENV} must be `decoded` (API Gateway) or `raw` (cargo lambda watch)"
            )),
        }
    }
}

/// The address in the `{email}` path parameter, as `delivery` says it arrives.
pub fn path_email(request: &Request, delivery: PathDelivery) -> Result<Email, ApiError> {
    let parameters = request.path_parameters();
    let raw = parameters
        .first(crate::routes::EMAIL_PARAM)
        .ok_or_else(|| ApiError::bad_request("email", "email is required in the path."))?;
    match delivery {
        PathDelivery::Decoded => Email::parse(raw),
        PathDelivery::Raw => {
            let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| {
                ApiError::bad_request("email", "email in the path is not valid UTF-8.")
            })?;
            Email::parse(&decoded)
        }
    }
}

/// The body as a JSON object, whatever the `Content-Type` claims (the Node client sends
/// `text/plain`).
pub fn json_object_body(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "body",
            "Request body is empty; expected a JSON object.",
        ));
    }
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::bad_request(
            "body",
            "Request body must be a JSON object.",
        )),
        Err(_) => Err(ApiError::bad_request(
            "body",
            "Request body is not valid JSON.",
        )),
    }
}

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

/// Serves an HTTP handler on the Lambda runtime. The handler answers every request itself (errors
/// are responses), so the runtime never sees a failed invocation for a bad request.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: std::future::Future<Output = Response<Body>> + Send,
{
    lambda_http::run(lambda_http::service_fn(|request| {
        let response = handler(request);
        async move { Ok::<_, std::convert::Infallible>(response.await) }
    }))
    .await
}
