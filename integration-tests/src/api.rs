//! The HTTP functions wired to one store, driven as the gateway routes to them.

use crate::gateway::{ApiRequest, Reply, request_from_event};
use crate::store::TestStore;
use crate::test_keys;
use shared::api::request::PathDelivery;
use shared::store::history::HistoryStore;
use shared::{ApiKeys, CustomerStore, LogStore};

/// The HTTP functions wired to one store, as the gateway routes to them.
pub struct Api {
    pub get_customer: get_customer::App,
    pub upsert_customer: upsert_customer::App,
    pub delete_customer: delete_customer::App,
    pub get_customer_logs: get_customer_logs::App,
    pub get_log: get_log::App,
    pub get_log_events: get_log_events::App,
    pub batch: batch::App,
    /// How requests reach the functions: as API Gateway or as `cargo lambda watch` delivers them.
    pub delivery: PathDelivery,
}

/// Runs each named `async fn test(delivery: PathDelivery)` twice, as `test::api_gateway` and
/// `test::cargo_lambda_watch`: the path arrives decoded in one and raw in the other.
#[macro_export]
macro_rules! in_both_deliveries {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn api_gateway() {
                super::$test($crate::PathDelivery::Decoded).await
            }
            #[tokio::test]
            async fn cargo_lambda_watch() {
                super::$test($crate::PathDelivery::Raw).await
            }
        }
    )+};
}

impl Api {
    /// The functions against `store`, accepting [`TEST_KEY`], stamping new customers with `now`,
    /// reached the way `delivery` says.
    pub fn new(store: &TestStore, now: fn() -> u64, delivery: PathDelivery) -> Self {
        Self::with_stores(
            store.customers(),
            store.logs(),
            store.history(),
            now,
            delivery,
        )
    }

    /// As [`Api::new`]; logs are served whatever their age unless a test sets a function's
    /// `retention_seconds`.
    pub fn with_stores(
        customers: CustomerStore,
        logs: LogStore,
        history: HistoryStore,
        now: fn() -> u64,
        delivery: PathDelivery,
    ) -> Self {
        Self {
            batch: batch::App::new(
                test_keys(),
                customers.clone(),
                logs.clone(),
                history.clone(),
                u64::MAX,
                now,
            ),
            get_customer: get_customer::App {
                keys: test_keys(),
                customers: customers.clone(),
                path_delivery: delivery,
            },
            upsert_customer: upsert_customer::App {
                keys: test_keys(),
                customers: customers.clone(),
                now,
            },
            delete_customer: delete_customer::App {
                keys: test_keys(),
                customers,
                path_delivery: delivery,
            },
            get_customer_logs: get_customer_logs::App {
                keys: test_keys(),
                logs: logs.clone(),
                path_delivery: delivery,
                retention_seconds: u64::MAX,
                now,
            },
            get_log: get_log::App {
                keys: test_keys(),
                logs: logs.clone(),
                path_delivery: delivery,
                retention_seconds: u64::MAX,
                now,
            },
            get_log_events: get_log_events::App {
                keys: test_keys(),
                logs,
                history,
                path_delivery: delivery,
                retention_seconds: u64::MAX,
                now,
            },
            delivery,
        }
    }

    /// Sends the request to the function its route reaches.
    pub async fn send(&self, request: ApiRequest) -> Reply {
        let function = request.function();
        self.send_event(function, &request.to_event(self.delivery))
            .await
    }

    /// Sends a raw gateway event to the named function.
    pub async fn send_event(&self, function: &str, event: &serde_json::Value) -> Reply {
        let request = match request_from_event(event) {
            Ok(request) => request,
            Err(error) => {
                let unread = lambda_http::Request::default();
                return Reply::from_response(shared::api::response::respond(&unread, Err(error)));
            }
        };
        let response = match function {
            "get-customer" => self.get_customer.handle(request).await,
            "upsert-customer" => self.upsert_customer.handle(request).await,
            "delete-customer" => self.delete_customer.handle(request).await,
            "get-customer-logs" => self.get_customer_logs.handle(request).await,
            "get-log" => self.get_log.handle(request).await,
            "get-log-events" => self.get_log_events.handle(request).await,
            "batch" => self.batch.handle(request).await,
            "route-not-found" => route_not_found::handle(request).await,
            other => panic!("no HTTP function {other}"),
        };
        Reply::from_response(response)
    }
}

impl Api {
    /// Every function that checks the key accepts `keys` instead of the test key.
    pub fn accept(&mut self, keys: &ApiKeys) {
        self.get_customer.keys = keys.clone();
        self.upsert_customer.keys = keys.clone();
        self.delete_customer.keys = keys.clone();
        self.get_customer_logs.keys = keys.clone();
        self.get_log.keys = keys.clone();
        self.get_log_events.keys = keys.clone();
        self.batch = batch::App::new(
            keys.clone(),
            self.get_customer.customers.clone(),
            self.get_log_events.logs.clone(),
            self.get_log_events.history.clone(),
            u64::MAX,
            self.upsert_customer.now,
        );
    }
}

/// A valid address for a test's own lookups.
pub fn addr(email: &str) -> shared::Email {
    shared::Email::parse(email).expect("a valid test address")
}
