//! The API's routes: the one source of truth. The SAM template and cargo-lambda's watch router in
//! the workspace `Cargo.toml` are copies the tools force on us; tests prove they agree with this.

/// Every sendwithus client builds `{proto}://{host}:{port}/api/v1/{endpoint}`.
pub const BASE_PATH: &str = "/api/v1";

/// The path parameter that carries the customer's address.
pub const EMAIL_PARAM: &str = "email";
/// The path parameter that carries a log's id.
pub const LOG_ID_PARAM: &str = "log_id";
/// Every path parameter a route may name.
pub const PARAMS: [&str; 2] = [EMAIL_PARAM, LOG_ID_PARAM];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// The full path, `{email}` marking the parameter (the syntax of both API Gateway and watch).
    pub path: &'static str,
    /// The function crate under `functions/` that serves it.
    pub function: &'static str,
}

/// The function that runs a batch's items through the other routes' handlers.
pub const BATCH_FUNCTION: &str = "batch";

pub const ROUTES: [Route; 7] = [
    Route {
        method: "GET",
        path: "/api/v1/customers/{email}",
        function: "get-customer",
    },
    Route {
        method: "POST",
        path: "/api/v1/customers",
        function: "upsert-customer",
    },
    Route {
        method: "DELETE",
        path: "/api/v1/customers/{email}",
        function: "delete-customer",
    },
    Route {
        method: "GET",
        path: "/api/v1/customers/{email}/logs",
        function: "get-customer-logs",
    },
    Route {
        method: "GET",
        path: "/api/v1/logs/{log_id}",
        function: "get-log",
    },
    Route {
        method: "GET",
        path: "/api/v1/logs/{log_id}/events",
        function: "get-log-events",
    },
    Route {
        method: "POST",
        path: "/api/v1/batch",
        function: BATCH_FUNCTION,
    },
];

/// The function that answers every request no route matches (the gateway's default route, and
/// the watch router's catch-all): a plain-text 404.
pub const DEFAULT_ROUTE_FUNCTION: &str = "route-not-found";

/// The methods a client may send; every one a path has no route for reaches
/// [`DEFAULT_ROUTE_FUNCTION`].
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Functions that no route reaches: they are fed by a queue.
pub const QUEUE_FUNCTIONS: [&str; 1] = ["record-email-event"];

/// Every function crate under `functions/`, each once.
pub fn all_functions() -> std::collections::BTreeSet<&'static str> {
    ROUTES
        .iter()
        .map(|route| route.function)
        .chain(QUEUE_FUNCTIONS)
        .chain([DEFAULT_ROUTE_FUNCTION])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_under_the_base_path_and_names_known_parameters() {
        for route in ROUTES {
            assert!(route.path.starts_with(BASE_PATH), "{route:?}");
            for segment in route.path.split('/') {
                if let Some(name) = segment.strip_prefix('{') {
                    let name = name.strip_suffix('}').expect("a closed parameter");
                    assert!(PARAMS.contains(&name), "{route:?}");
                }
            }
            assert!(METHODS.contains(&route.method), "{route:?}");
        }
    }
}
