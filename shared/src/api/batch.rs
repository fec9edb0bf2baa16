//! `POST /api/v1/batch` (`v1/batch.md`, CONTRACT "Batch"): the batch read into its items, each
//! item read or refused on its own, and the route that runs an item. The function that serves the
//! route (issue 21) runs each item through its route's handler and answers
//! `[{"path", "method", "status_code", "body"}]` in order.

use crate::api::routes::{BASE_PATH, ROUTES, Route};
use crate::model::error::ApiError;
use serde_json::Value;

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
        if !route.method.eq_ignore_ascii_case(&item.method) {
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
