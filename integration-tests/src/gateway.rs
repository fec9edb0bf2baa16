//! API Gateway HTTP API (v2) requests built as the gateway or `cargo lambda watch` delivers them,
//! and the replies read back.

use crate::{TEST_KEY, workspace_root};
use shared::api::auth::API_KEY_HEADER;
use shared::api::request::PathDelivery;
use shared::api::routes::{DEFAULT_ROUTE_FUNCTION, EMAIL_PARAM, LOG_ID_PARAM, ROUTES, Route};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The sample event of each HTTP function (the routes' and the default route's), read once from
/// `events/`.
fn sample_event(function: &str) -> serde_json::Value {
    static SAMPLES: OnceLock<HashMap<&'static str, serde_json::Value>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        ROUTES
            .iter()
            .map(|route| route.function)
            .chain([DEFAULT_ROUTE_FUNCTION])
            .map(|function| {
                let path = workspace_root().join(format!("events/{function}.json"));
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let event = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (function, event)
            })
            .collect()
    })[function]
        .clone()
}

/// The log id every route's request names: [`crate::TestStore::seed_every_route`] writes it.
pub const EVERY_ROUTE_LOG_ID: &str = "log_every_route";
/// The address every route's request names.
pub const EVERY_ROUTE_ADDRESS: &str = "a@example.com";

/// An API Gateway HTTP API (v2) request, as the gateway or `cargo lambda watch` sends it.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<String>,
    /// The body is base64: API Gateway's form for a body that is not UTF-8 text.
    base64: bool,
}

impl ApiRequest {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: vec![("x-swu-api-key".into(), TEST_KEY.into())],
            body: None,
            base64: false,
        }
    }

    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn post(path: &str, body: impl Into<String>) -> Self {
        Self::new("POST", path)
            .header("content-type", "application/json")
            .body(body)
    }

    pub fn delete(path: &str) -> Self {
        Self::new("DELETE", path)
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets a header, replacing one of the same name.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(existing, _)| *existing != name);
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(existing, _)| *existing != name);
        self
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// A body of any bytes, base64-encoded as API Gateway delivers one that is not UTF-8.
    pub fn binary_body(mut self, bytes: &[u8]) -> Self {
        use base64::Engine;
        self.body = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
        self.base64 = true;
        self
    }

    /// The event as the gateway's JSON: the route's sample event (`events/<function>.json`, the
    /// one envelope the gateway sends) with this request's path, query, headers and body. The
    /// route is matched from [`ROUTES`] (no match: the default route's sample); the path
    /// parameters are cut from the path and, as `delivery` says, decoded once (API Gateway) or
    /// not (watch); query parameters are decoded.
    /// The gateway's answer to a `%XX` that is not UTF-8 is not documented: here it becomes
    /// U+FFFD, which no address may hold. The sample's own key headers are dropped: a request
    /// carries the key its test gives it, or none.
    pub fn to_event(&self, delivery: PathDelivery) -> serde_json::Value {
        let path = match delivery {
            PathDelivery::Raw => self.path.clone(),
            PathDelivery::Decoded => percent_encoding::percent_decode_str(&self.path)
                .decode_utf8_lossy()
                .into_owned(),
        };
        let mut event = sample_event(self.function());
        let mut path_parameters = serde_json::Map::new();
        let pattern = self.route().map_or("", |route| route.path);
        for (pattern, segment) in pattern.split('/').zip(path.split('/')) {
            if let Some(name) = pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                path_parameters.insert(name.into(), segment.into());
            }
        }
        let mut query = serde_json::Map::new();
        for (name, value) in &self.query {
            let joined = match query.get(name).and_then(|v| v.as_str()) {
                Some(previous) => format!("{previous},{value}"),
                None => value.clone(),
            };
            query.insert(name.clone(), joined.into());
        }
        let raw_query: Vec<String> = self
            .query
            .iter()
            .map(|(name, value)| {
                // As a client writes it on the wire: percent-encoded.
                let encode = |text: &str| {
                    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
                };
                format!("{}={}", encode(name), encode(value))
            })
            .collect();
        let headers = event["headers"]
            .as_object_mut()
            .expect("the sample has headers");
        headers.retain(|name, _| name != API_KEY_HEADER && name != "authorization");
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone().into());
        }
        event["rawPath"] = path.clone().into();
        event["rawQueryString"] = raw_query.join("&").into();
        event["requestContext"]["http"]["path"] = path.into();
        event["requestContext"]["http"]["method"] = self.method.clone().into();
        event["requestContext"]["requestId"] = "integration-test".into();
        let object = event.as_object_mut().expect("an event is an object");
        for (field, value) in [
            ("pathParameters", path_parameters),
            ("queryStringParameters", query),
        ] {
            if value.is_empty() {
                object.remove(field);
            } else {
                object.insert(field.into(), value.into());
            }
        }
        match &self.body {
            Some(body) => {
                object.insert("body".into(), body.clone().into());
                object.insert("isBase64Encoded".into(), self.base64.into());
            }
            None => {
                object.remove("body");
                object.insert("isBase64Encoded".into(), false.into());
            }
        }
        event
    }

    pub fn into_request(self, delivery: PathDelivery) -> lambda_http::Request {
        request_from_event(&self.to_event(delivery)).expect("a valid API Gateway v2 event")
    }

    pub fn method(&self) -> &str {
        &self.method
    }

    /// The route this request matches, if any.
    pub fn route(&self) -> Option<&'static Route> {
        ROUTES
            .iter()
            .find(|route| route.method == self.method && route_matches(route.path, &self.path))
    }

    /// The function this request reaches: its route's, or the default route's.
    pub fn function(&self) -> &'static str {
        self.route()
            .map_or(DEFAULT_ROUTE_FUNCTION, |route| route.function)
    }
}

/// Parses a gateway event the way `lambda_http` does in a deployed function.
/// Reads a gateway event the way a deployed function does (`shared::api::runtime`); an event it
/// cannot read is a request that function answers with a 400, and so it answers here.
pub fn request_from_event(
    event: &serde_json::Value,
) -> Result<lambda_http::Request, shared::ApiError> {
    shared::api::runtime::request_from_event(event.clone())
}

/// One request per route of `shared::api::routes`, each of which succeeds with the test key once
/// the store holds what [`crate::TestStore::seed_every_route`] writes: the path names
/// [`EVERY_ROUTE_ADDRESS`] and [`EVERY_ROUTE_LOG_ID`], and a body is the route's sample's. The
/// auth and store-failure suites cover every route through it, so a new route is in both.
pub fn every_route() -> Vec<ApiRequest> {
    ROUTES
        .iter()
        .map(|route| {
            let path = route
                .path
                .replace(&format!("{{{EMAIL_PARAM}}}"), EVERY_ROUTE_ADDRESS)
                .replace(&format!("{{{LOG_ID_PARAM}}}"), EVERY_ROUTE_LOG_ID);
            let request = ApiRequest::new(route.method, &path);
            match sample_event(route.function)["body"].as_str() {
                Some(body) => request.body(body),
                None => request,
            }
        })
        .collect()
}

fn route_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
}

/// A response read back: status, content type and body text.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn from_response(response: lambda_http::Response<lambda_http::Body>) -> Self {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = match response.into_body() {
            lambda_http::Body::Text(text) => text,
            lambda_http::Body::Binary(bytes) => String::from_utf8(bytes).expect("utf-8 body"),
            _ => String::new(),
        };
        Self {
            status,
            content_type,
            body,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    /// Asserts a contract error: the status, a plain-text content type, a short non-JSON reason.
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.content_type, "text/plain; charset=utf-8");
        assert!(!self.body.trim().is_empty(), "an error needs a reason");
        assert!(self.body.len() < 200, "reason too long: {}", self.body);
        assert!(
            serde_json::from_str::<serde_json::Value>(&self.body).is_err(),
            "error bodies must not be JSON: {}",
            self.body
        );
    }
}
