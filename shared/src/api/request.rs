//! API Gateway requests read into the model's validated values: the address in the path, the JSON
//! body, the logs query string. Nothing here knows the store.

use crate::api::routes::{EMAIL_PARAM, LOG_ID_PARAM};
use crate::model::email::Email;
use crate::model::error::{ApiError, ConfigError, MAX_BODY_BYTES};
use crate::model::log::{LogId, LogsQuery};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::{Body, Request, RequestExt};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

/// The environment variable that says how the gateway delivers the `{email}` path parameter.
pub const PATH_DELIVERY_ENV: &str = "PATH_DELIVERY";

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
    /// and leave `+` a plus. `make dev` sets `PATH_DELIVERY=raw`.
    Raw,
}

impl PathDelivery {
    /// From `PATH_DELIVERY`, as `lookup` reads variables: `decoded` (or unset) or `raw`.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match lookup(PATH_DELIVERY_ENV).as_deref().map(str::trim) {
            None | Some("") | Some("decoded") => Ok(Self::Decoded),
            Some("raw") => Ok(Self::Raw),
            Some(_) => Err(ConfigError::new(format!(
                "{PATH_DELIVERY_ENV} must be `decoded` (API Gateway) or `raw` (cargo lambda watch)"
            ))),
        }
    }
}

/// The path parameter `name` decoded exactly once, as `delivery` says it arrives.
fn path_parameter(
    request: &Request,
    name: &'static str,
    delivery: PathDelivery,
) -> Result<String, ApiError> {
    let parameters = request.path_parameters();
    let raw = parameters
        .first(name)
        .ok_or_else(|| ApiError::bad_request(name, format!("{name} is required in the path.")))?;
    match delivery {
        PathDelivery::Decoded => Ok(raw.to_owned()),
        PathDelivery::Raw => percent_decode_str(raw)
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .map_err(|_| {
                ApiError::bad_request(name, format!("{name} in the path is not valid UTF-8."))
            }),
    }
}

/// The address in the `{email}` path parameter, as `delivery` says it arrives.
pub fn path_email(request: &Request, delivery: PathDelivery) -> Result<Email, ApiError> {
    Email::parse(&path_parameter(request, EMAIL_PARAM, delivery)?)
}

/// The log id in the `{log_id}` path parameter, as `delivery` says it arrives.
pub fn path_log_id(request: &Request, delivery: PathDelivery) -> Result<LogId, ApiError> {
    LogId::parse(&path_parameter(request, LOG_ID_PARAM, delivery)?)
}

/// The body's bytes, within every route's limit (413 over it).
pub fn body_bytes(request: &Request) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    Ok(bytes)
}

/// The body as a JSON object, whatever the `Content-Type` claims (the Node client sends
/// `text/plain`).
pub fn json_object_body(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let bytes = body_bytes(request)?;
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

/// A query parameter given at most once: a repeated one is refused, since which of its values the
/// client meant is not ours to guess.
fn single<'a>(params: &'a QueryMap, name: &'static str) -> Result<Option<&'a str>, ApiError> {
    match params.all(name).as_deref() {
        None | Some([]) => Ok(None),
        Some([value]) => Ok(Some(value)),
        Some(_) => Err(ApiError::bad_request(
            name,
            format!("{name} is given more than once."),
        )),
    }
}

/// The `?count=&created_lt=&created_gt=` of a logs request.
pub fn logs_query(request: &Request) -> Result<LogsQuery, ApiError> {
    let params = request.query_string_parameters();
    LogsQuery::parse(
        single(&params, "count")?,
        single(&params, "created_lt")?,
        single(&params, "created_gt")?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with_query(pairs: &[(&str, &str)]) -> Request {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in pairs {
            map.entry((*name).to_owned())
                .or_default()
                .push((*value).to_owned());
        }
        Request::default().with_query_string_parameters(QueryMap::from(map))
    }

    #[test]
    fn reads_the_logs_query_and_refuses_a_repeated_parameter() {
        let query = logs_query(&with_query(&[("count", "7"), ("created_gt", "0")])).unwrap();
        assert_eq!((query.count, query.created_gt), (7, Some(0)));
        for name in ["count", "created_lt", "created_gt"] {
            let error = logs_query(&with_query(&[(name, "1"), (name, "2")])).unwrap_err();
            assert_eq!(error.field(), Some(name));
        }
    }
}
