//! Turning API Gateway requests into validated values, and results into the contract's responses.

use crate::{ApiError, Email};
use lambda_http::http::{StatusCode, header::CONTENT_TYPE};
use lambda_http::{Body, Request, RequestExt, Response};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

/// A body over this is refused with 413 before it is parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The address in the `{email}` path parameter. The gateway and `cargo lambda watch` may deliver it
/// percent-encoded or raw: decode `%XX` once, and leave `+` a plus.
pub fn path_email(request: &Request) -> Result<Email, ApiError> {
    let parameters = request.path_parameters();
    let raw = parameters
        .first(crate::routes::EMAIL_PARAM)
        .ok_or_else(|| ApiError::bad_request("email is required in the path."))?;
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::bad_request("email in the path is not valid UTF-8."))?;
    Email::parse(&decoded)
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
            "Request body is empty; expected a JSON object.",
        ));
    }
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::bad_request("Request body must be a JSON object.")),
        Err(_) => Err(ApiError::bad_request("Request body is not valid JSON.")),
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
pub fn respond(result: Result<Value, ApiError>) -> Response<Body> {
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

/// Now, in Unix seconds.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
