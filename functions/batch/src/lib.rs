//! `POST /api/v1/batch` (`v1/batch.md`): many calls in one request, as the official clients'
//! batch mode sends them. Each item runs, in order, through the handler of the route it names
//! (this crate composes the route crates' `App`s: each route's code stays in its one crate, and
//! only this binary carries them all), under the batch's own key, and the answer lists
//! `{"path", "method", "status_code", "body"}` in the same order. A batch without a valid key is
//! a 403 whole; an item for a route this API does not serve is a per-item 404. The items share
//! one deadline: what has not started when it passes is answered 503, so the batch answers well
//! inside the function's timeout even when every item meets a slow store.

use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::api::batch::{answer, answer_error, item_request, read_batch, route_of};
use shared::api::request::{PathDelivery, body_bytes};
use shared::api::response;
use shared::store::history::HistoryStore;
use shared::{ApiError, ApiKeys, CustomerStore, LogStore};
use std::time::{Duration, Instant};

/// How long the items of one batch may run together: well inside the function's timeout (10 s),
/// with room for the store's own timeout on the last item started.
pub const ITEMS_BUDGET: Duration = Duration::from_secs(4);

pub struct App {
    pub keys: ApiKeys,
    pub get_customer: get_customer::App,
    pub upsert_customer: upsert_customer::App,
    pub delete_customer: delete_customer::App,
    pub get_customer_logs: get_customer_logs::App,
    pub get_log: get_log::App,
    pub get_log_events: get_log_events::App,
    pub budget: Duration,
}

impl App {
    pub fn from_env() -> Result<Self, shared::ConfigError> {
        let config = shared::config::Batch::from_env()?;
        Ok(Self::new(
            config.keys,
            config.customers,
            config.logs,
            config.history,
            config.retention_seconds,
            shared::clock::unix_now,
        ))
    }

    /// The routes' handlers on these stores, under `keys`, each reading paths raw: an item's path
    /// is as its client wrote it.
    pub fn new(
        keys: ApiKeys,
        customers: CustomerStore,
        logs: LogStore,
        history: HistoryStore,
        retention_seconds: u64,
        now: fn() -> u64,
    ) -> Self {
        let raw = PathDelivery::Raw;
        Self {
            keys: keys.clone(),
            get_customer: get_customer::App {
                keys: keys.clone(),
                customers: customers.clone(),
                path_delivery: raw,
            },
            upsert_customer: upsert_customer::App {
                keys: keys.clone(),
                customers: customers.clone(),
                now,
            },
            delete_customer: delete_customer::App {
                keys: keys.clone(),
                customers,
                path_delivery: raw,
            },
            get_customer_logs: get_customer_logs::App {
                keys: keys.clone(),
                logs: logs.clone(),
                path_delivery: raw,
                retention_seconds,
                now,
            },
            get_log: get_log::App {
                keys: keys.clone(),
                logs: logs.clone(),
                path_delivery: raw,
                retention_seconds,
                now,
            },
            get_log_events: get_log_events::App {
                keys,
                logs,
                history,
                path_delivery: raw,
                retention_seconds,
                now,
            },
            budget: ITEMS_BUDGET,
        }
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        response::respond(&request, self.run(&request).await)
    }

    async fn run(&self, request: &Request) -> Result<Value, ApiError> {
        self.keys.authorize(request.headers())?;
        let items = read_batch(body_bytes(request)?)?;
        let deadline = Instant::now() + self.budget;
        let mut answers = Vec::with_capacity(items.len());
        for item in items {
            let item = match item {
                Ok(item) => item,
                Err(refused) => {
                    answers.push(answer_error(refused.path, refused.method, &refused.error));
                    continue;
                }
            };
            let (path, method) = (
                Value::from(item.path.clone()),
                Value::from(item.method.clone()),
            );
            let Some(target) = route_of(&item) else {
                answers.push(answer_error(path, method, &ApiError::RouteNotFound));
                continue;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                answers.push(answer_error(path, method, &ApiError::Unavailable));
                continue;
            }
            let call = self.call(target.route.function, item_request(request, &item, &target));
            answers.push(match tokio::time::timeout(left, call).await {
                Ok(response) => answer(path, method, response),
                Err(_) => answer_error(path, method, &ApiError::Unavailable),
            });
        }
        Ok(Value::Array(answers))
    }

    /// The route's handler. Each is boxed: six handlers' futures in one would nest past the
    /// compiler's limits and make every batch's future as large as the largest.
    async fn call(&self, function: &str, request: Request) -> Response<Body> {
        use futures::future::BoxFuture;
        let handler: BoxFuture<'_, Response<Body>> = match function {
            "get-customer" => Box::pin(self.get_customer.handle(request)),
            "upsert-customer" => Box::pin(self.upsert_customer.handle(request)),
            "delete-customer" => Box::pin(self.delete_customer.handle(request)),
            "get-customer-logs" => Box::pin(self.get_customer_logs.handle(request)),
            "get-log" => Box::pin(self.get_log.handle(request)),
            "get-log-events" => Box::pin(self.get_log_events.handle(request)),
            // `route_of` finds no other: a route added without a handler here is a 404, and the
            // batch tests run every route.
            _ => return response::respond(&request, Err(ApiError::RouteNotFound)),
        };
        handler.await
    }
}
