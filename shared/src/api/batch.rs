//! `POST /api/v1/batch` (`v1/batch.md`, CONTRACT "Batch"): the batch read into its items, each
//! item read or refused on its own, and the route that runs an item. The function that serves the
//! route (issue 21) runs each item through its route's handler and answers
//! `[{"path", "method", "status_code", "body"}]` in order.

use crate::api::auth::API_KEY_HEADER;
use crate::api::routes::{BASE_PATH, BATCH_FUNCTION, ROUTES, Route};
use crate::model::error::ApiError;
use lambda_http::http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;
use std::collections::HashMap;

/// The most items one batch may hold (the docs advise against more than 100).
pub const MAX_ITEMS: usize = 100;

/// One item of a batch, as its client wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The answer repeats `path` and `method` as given.
    pub path: String,
    pub method: String,
    /// The item's body as JSON text, if it has one.
    pub body: Option<String>,
}

/// An item that is not an object with a string `path` and `method`: a per-item 400, its answer
/// repeating whatever `path` and `method` it had.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub path: Value,
    pub method: Value,
    pub error: ApiError,
}

/// The batch's body read into its items, in order. The whole batch is a 400 when the body is not
/// a JSON array or holds more than [`MAX_ITEMS`].
pub fn read_batch(body: &[u8]) -> Result<Vec<Result<Item, Refused>>, ApiError> {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(body) else {
        return Err(ApiError::bad_request(
            "body",
            "a batch must be a JSON array of requests",
        ));
    };
    if items.len() > MAX_ITEMS {
        return Err(ApiError::bad_request(
            "body",
            format!("a batch holds at most {MAX_ITEMS} requests"),
        ));
    }
    Ok(items.into_iter().map(read_item).collect())
}

fn read_item(item: Value) -> Result<Item, Refused> {
    let refused = |item: &Value, reason: &str| Refused {
        path: item.get("path").cloned().unwrap_or(Value::Null),
        method: item.get("method").cloned().unwrap_or(Value::Null),
        error: ApiError::bad_request("body", reason),
    };
    let (Some(path), Some(method)) = (
        item.get("path").and_then(Value::as_str),
        item.get("method").and_then(Value::as_str),
    ) else {
        return Err(refused(
            &item,
            "a batch request must be an object with a string path and method",
        ));
    };
    Ok(Item {
        path: path.to_owned(),
        method: method.to_owned(),
        body: match item.get("body") {
            None | Some(Value::Null) => None,
            Some(body) => Some(body.to_string()),
        },
    })
}

/// Where an item goes: its route, the path parameters as the client wrote them (still
/// percent-encoded), and its query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub route: &'static Route,
    pub params: Vec<(&'static str, String)>,
    pub query: String,
}

/// The route `item` names, if this API serves it. Whatever comes before `/api/v1` (a stage's
/// prefix) does not matter; the method is matched whatever its case.
pub fn route_of(item: &Item) -> Option<Target> {
    let (path, query) = item.path.split_once('?').unwrap_or((&item.path, ""));
    let path = &path[path.find(&format!("{BASE_PATH}/"))?..];
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES.iter().find_map(|route| {
        // A batch inside a batch is not served.
        if route.function == BATCH_FUNCTION || !route.method.eq_ignore_ascii_case(&item.method) {
            return None;
        }
        let pattern: Vec<&str> = route.path.split('/').collect();
        if pattern.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (pattern, segment) in pattern.iter().zip(&segments) {
            match pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(_) if segment.is_empty() => return None,
                Some(name) => params.push((param_name(name)?, (*segment).to_owned())),
                None if pattern != segment => return None,
                None => {}
            }
        }
        Some(Target {
            route,
            params,
            query: query.to_owned(),
        })
    })
}

fn param_name(name: &str) -> Option<&'static str> {
    crate::api::routes::PARAMS
        .into_iter()
        .find(|param| *param == name)
}

/// The request `item` makes of its route: the route's method, the item's path, its path
/// parameters as written (the batch runs its routes' handlers as `cargo lambda watch` delivers,
/// raw), its query decoded, its body as JSON, and the batch's own key: items carry none.
pub fn item_request(batch: &Request, item: &Item, target: &Target) -> Request {
    let mut request = lambda_http::http::Request::builder()
        .method(target.route.method)
        .uri(
            lambda_http::http::Uri::try_from(item.path.as_str())
                .unwrap_or_else(|_| lambda_http::http::Uri::from_static("/")),
        )
        .body(match &item.body {
            Some(body) => Body::Text(body.clone()),
            None => Body::Empty,
        })
        .unwrap_or_default();
    let headers = request.headers_mut();
    for name in [API_KEY_HEADER, AUTHORIZATION.as_str()] {
        if let Some(value) = batch.headers().get(name) {
            headers.insert(
                lambda_http::http::HeaderName::from_static(name),
                value.clone(),
            );
        }
    }
    if item.body.is_some() {
        headers.insert(
            CONTENT_TYPE,
            lambda_http::http::HeaderValue::from_static("application/json"),
        );
    }
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for pair in target.query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned()
        };
        query.entry(decode(name)).or_default().push(decode(value));
    }
    let params: HashMap<String, String> = target
        .params
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    request
        .with_path_parameters(params)
        .with_query_string_parameters(query)
}

/// One item's answer, `{"path", "method", "status_code", "body"}`: a JSON body (by its content
/// type) as JSON, any other (an error's plain-text reason) as a JSON string.
pub fn answer(path: Value, method: Value, response: Response<Body>) -> Value {
    let status = response.status().as_u16();
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let text = match response.into_body() {
        Body::Text(text) => text,
        Body::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => String::new(),
    };
    let body = match json {
        true => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        false => Value::String(text),
    };
    serde_json::json!({"path": path, "method": method, "status_code": status, "body": body})
}

/// The answer of an item that could not run: a refused item, a route this API does not serve, or
/// one the batch had no time left for.
pub fn answer_error(path: Value, method: Value, error: &ApiError) -> Value {
    answer(
        path,
        method,
        crate::api::response::respond(&Request::default(), Err(error.clone())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, method: &str) -> Item {
        Item {
            path: path.into(),
            method: method.into(),
            body: None,
        }
    }

    #[test]
    fn a_batch_is_a_json_array_of_at_most_the_cap() {
        for body in [&b"{}"[..], b"not json", b"\"[]\"", b""] {
            assert!(
                matches!(read_batch(body), Err(ApiError::BadRequest { .. })),
                "{body:?}"
            );
        }
        let full = format!("[{}]", vec!["{}"; MAX_ITEMS].join(","));
        assert_eq!(read_batch(full.as_bytes()).unwrap().len(), MAX_ITEMS);
        let over = format!("[{}]", vec!["{}"; MAX_ITEMS + 1].join(","));
        let Err(ApiError::BadRequest { reason, .. }) = read_batch(over.as_bytes()) else {
            panic!("over the cap")
        };
        assert!(reason.contains("100"), "{reason}");
    }

    #[test]
    fn each_item_is_read_or_refused_alone() {
        let items = read_batch(
            br#"[{"path": "/api/v1/customers", "method": "POST", "body": {"email": "a@example.com"}},
                 {"path": "/api/v1/customers/a@example.com"},
                 7,
                 {"path": "/api/v1/logs/x", "method": "GET", "body": null}]"#,
        )
        .unwrap();
        assert_eq!(items.len(), 4);
        let first = items[0].as_ref().unwrap();
        assert_eq!(first.method, "POST");
        assert_eq!(
            serde_json::from_str::<Value>(first.body.as_deref().unwrap()).unwrap(),
            serde_json::json!({"email": "a@example.com"})
        );
        let no_method = items[1].as_ref().unwrap_err();
        assert_eq!(no_method.path, "/api/v1/customers/a@example.com");
        assert_eq!(no_method.method, Value::Null);
        assert!(matches!(no_method.error, ApiError::BadRequest { .. }));
        assert_eq!(items[2].as_ref().unwrap_err().path, Value::Null);
        assert_eq!(items[3].as_ref().unwrap().body, None);
    }

    #[test]
    fn an_item_runs_under_the_batchs_key_with_its_parameters_query_and_body() {
        let batch = lambda_http::http::Request::builder()
            .header(API_KEY_HEADER, "the-key")
            .header("x-other", "dropped")
            .body(Body::Empty)
            .unwrap();
        let batch: Request = batch;
        let get = item(
            "/api/v1/customers/a%40example.com/logs?count=5&created_gt=1%302",
            "GET",
        );
        let target = route_of(&get).unwrap();
        let request = item_request(&batch, &get, &target);
        assert_eq!(request.method(), "GET");
        assert_eq!(request.headers()[API_KEY_HEADER], "the-key");
        assert!(request.headers().get("x-other").is_none());
        assert_eq!(
            request.path_parameters().first("email"),
            Some("a%40example.com")
        );
        let query = request.query_string_parameters();
        assert_eq!(query.first("count"), Some("5"));
        assert_eq!(query.first("created_gt"), Some("102"));
        let post = Item {
            body: Some(r#"{"email":"a@example.com"}"#.into()),
            ..item("/api/v1/customers", "post")
        };
        let request = item_request(&batch, &post, &route_of(&post).unwrap());
        assert_eq!(request.method(), "POST");
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(request.body(), &Body::Text(post.body.clone().unwrap()));
    }

    #[test]
    fn an_answer_keeps_json_as_json_and_a_reason_as_a_string() {
        let json = Response::builder()
            .status(200)
            .header(CONTENT_TYPE, "application/json")
            .body(Body::Text(r#"{"success":true}"#.into()))
            .unwrap();
        assert_eq!(
            answer("/p".into(), "GET".into(), json),
            serde_json::json!({"path": "/p", "method": "GET", "status_code": 200,
                               "body": {"success": true}})
        );
        let missing = answer_error(Value::Null, "GET".into(), &ApiError::RouteNotFound);
        assert_eq!(missing["status_code"], 404);
        assert!(missing["body"].is_string(), "{missing}");
    }

    #[test]
    fn an_item_finds_its_route_with_any_stage_prefix_and_a_query() {
        let logs = route_of(&item(
            "/prod/api/v1/customers/a%40example.com/logs?count=5",
            "get",
        ))
        .unwrap();
        assert_eq!(logs.route.function, "get-customer-logs");
        assert_eq!(logs.params, [("email", "a%40example.com".to_owned())]);
        assert_eq!(logs.query, "count=5");
        let delete = route_of(&item("/api/v1/customers/a@example.com", "DELETE")).unwrap();
        assert_eq!(delete.route.function, "delete-customer");
        let events = route_of(&item("/api/v1/logs/log_1/events", "GET")).unwrap();
        assert_eq!(events.params, [("log_id", "log_1".to_owned())]);
        for (path, method) in [
            ("/api/v1/send", "POST"),
            ("/api/v1/templates", "GET"),
            ("/api/v1/customers", "GET"),
            ("/api/v1/customers/", "GET"),
            ("/customers/a@example.com", "GET"),
            ("/api/v1/batch", "POST"),
        ] {
            assert_eq!(route_of(&item(path, method)), None, "{method} {path}");
        }
    }
}
