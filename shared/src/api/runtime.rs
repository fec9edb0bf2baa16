//! The Lambda runtime loop every HTTP function serves its handler with: the gateway's event read
//! into a request, the handler's response written back as the gateway's v2 response.
//!
//! `lambda_http::run` would do both, but it builds the request's URI with `unwrap`s: a malformed
//! `X-Forwarded-Proto` or `Host` header, which any client may send, panics before a handler runs
//! (the gateway's JSON 500, and the Errors alarm). Here the event is read first as JSON, those two
//! headers are kept only when well formed (the gateway's own `domainName` stands in for a dropped
//! `Host`), and any request that still cannot be built is the contract's plain-text 400.

use crate::api::response::respond;
use crate::model::error::ApiError;
use futures::future::Either;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::http::header::SET_COOKIE;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use std::future::Future;

/// Serves an HTTP handler on the Lambda runtime. The handler answers every request itself (errors
/// are responses), so the runtime never sees a failed invocation for a bad request.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let response = match request_from_event(event.payload) {
            Ok(request) => Either::Left(handler(request)),
            Err(error) => {
                Either::Right(std::future::ready(respond(&Request::default(), Err(error))))
            }
        };
        async move { Ok::<_, std::convert::Infallible>(gateway_response(response.await)) }
    }))
    .await
}

/// A header value the request's URI may be built from: a scheme, or a host with its port.
fn well_formed(name: &str, value: &str) -> bool {
    match name {
        "x-forwarded-proto" => matches!(value.to_ascii_lowercase().as_str(), "http" | "https"),
        "host" => {
            !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
        }
        _ => true,
    }
}

/// The gateway's event as the request `lambda_http` builds from it, the headers the URI is built
/// from kept only when well formed.
pub fn request_from_event(mut event: Value) -> Result<Request, ApiError> {
    if let Some(headers) = event.get_mut("headers").and_then(Value::as_object_mut) {
        headers.retain(|name, value| {
            value
                .as_str()
                .is_none_or(|value| well_formed(&name.to_ascii_lowercase(), value))
        });
    }
    let unreadable = || ApiError::bad_request("request", "The request cannot be read.");
    let text = event.to_string();
    // A last guard: whatever else `lambda_http` cannot build a request from is a 400, not a panic.
    std::panic::catch_unwind(|| lambda_http::request::from_str(&text))
        .map_err(|_| unreadable())?
        .map_err(|_| unreadable())
}

/// The response as API Gateway (HTTP API, payload v2) takes it; `Set-Cookie` headers go in
/// `cookies`, as the gateway expects.
pub fn gateway_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut headers = parts.headers;
    let cookies = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    headers.remove(SET_COOKIE);
    let mut gateway = ApiGatewayV2httpResponse::default();
    gateway.status_code = i64::from(parts.status.as_u16());
    gateway.headers = headers;
    gateway.cookies = cookies;
    (gateway.is_base64_encoded, gateway.body) = match body {
        Body::Empty => (false, None),
        text @ Body::Text(_) => (false, Some(text)),
        binary @ Body::Binary(_) => (true, Some(binary)),
        _ => (false, None),
    };
    gateway
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(headers: Value) -> Value {
        serde_json::json!({
            "version": "2.0", "routeKey": "GET /api/v1/customers/{email}",
            "rawPath": "/api/v1/customers/a@example.com", "rawQueryString": "",
            "headers": headers, "pathParameters": {"email": "a@example.com"},
            "requestContext": {"accountId": "1", "apiId": "a", "domainName": "api.example.com",
                "domainPrefix": "api", "http": {"method": "GET",
                "path": "/api/v1/customers/a@example.com", "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1", "userAgent": "t"}, "requestId": "r",
                "routeKey": "GET /api/v1/customers/{email}", "stage": "$default",
                "time": "01/Dec/2026:00:00:00 +0000", "timeEpoch": 0},
            "isBase64Encoded": false
        })
    }

    /// Why this module reads the event itself.
    #[test]
    fn lambda_http_alone_panics_on_a_malformed_forwarded_proto() {
        let text = event(serde_json::json!({"x-forwarded-proto": "h t t p"})).to_string();
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let outcome = std::panic::catch_unwind(|| lambda_http::request::from_str(&text));
        std::panic::set_hook(hook);
        assert!(outcome.is_err());
    }

    #[test]
    fn malformed_forwarding_headers_never_stop_the_request() {
        for (name, value) in [
            ("x-forwarded-proto", "h t t p"),
            ("x-forwarded-proto", "1http"),
            ("x-forwarded-proto", "javascript:alert(1)//"),
            ("host", "exa mple.com"),
            ("host", "a/b"),
            ("host", "[::1"),
        ] {
            let request = request_from_event(event(serde_json::json!({name: value})))
                .unwrap_or_else(|e| panic!("{name}: {value}: {e}"));
            assert_eq!(request.uri().path(), "/api/v1/customers/a@example.com");
        }
        let kept = request_from_event(event(
            serde_json::json!({"x-forwarded-proto": "http", "host": "127.0.0.1:9000"}),
        ))
        .unwrap();
        assert_eq!(
            kept.uri().to_string(),
            "http://127.0.0.1:9000/api/v1/customers/a@example.com"
        );
    }

    #[test]
    fn an_event_that_is_no_request_is_a_400() {
        let error = request_from_event(serde_json::json!({"not": "an event"})).unwrap_err();
        assert_eq!(error.status(), 400);
    }

    #[test]
    fn the_response_is_the_gateways_v2_shape() {
        let response = respond(&Request::default(), Err(ApiError::CustomerNotFound));
        let json = serde_json::to_value(gateway_response(response)).unwrap();
        assert_eq!(json["statusCode"], 404);
        assert_eq!(json["body"], "Customer not found.");
        assert_eq!(json["headers"]["content-type"], "text/plain; charset=utf-8");
        assert_eq!(json["isBase64Encoded"], false);
        assert_eq!(json["cookies"], serde_json::json!([]));
    }
}
