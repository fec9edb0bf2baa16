//! The API's routes: the one source of truth. The SAM template and cargo-lambda's watch router in
//! the workspace `Cargo.toml` are copies the tools force on us; tests prove they agree with this.

/// Every sendwithus client builds `{proto}://{host}:{port}/api/v1/{endpoint}`.
pub const BASE_PATH: &str = "/api/v1";

/// The path parameter that carries the customer's address.
pub const EMAIL_PARAM: &str = "email";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// The full path, `{email}` marking the parameter (the syntax of both API Gateway and watch).
    pub path: &'static str,
    /// The function crate under `functions/` that serves it.
    pub function: &'static str,
}

pub const ROUTES: [Route; 4] = [
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
];

/// Functions that no route reaches: they are fed by a queue.
pub const QUEUE_FUNCTIONS: [&str; 1] = ["record-email-event"];

/// Every function crate under `functions/`, each once.
pub fn all_functions() -> std::collections::BTreeSet<&'static str> {
    ROUTES
        .iter()
        .map(|route| route.function)
        .chain(QUEUE_FUNCTIONS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_under_the_base_path_and_names_its_parameter_consistently() {
        for route in ROUTES {
            assert!(route.path.starts_with(BASE_PATH), "{route:?}");
            if route.path.contains('{') {
                assert!(
                    route.path.contains(&format!("{{{EMAIL_PARAM}}}")),
                    "{route:?}"
                );
            }
        }
    }
}
