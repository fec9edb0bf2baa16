//! What the behaviour tests share: a real DynamoDB-compatible server (dynoxide) started in-process
//! on 127.0.0.1 for each test, with the tables created from the shared schema, and API Gateway
//! HTTP API (v2) requests built the way the gateway and `cargo lambda watch` deliver them: the
//! gateway percent-decodes the path (`pathParameters`, `rawPath`) once before the function sees
//! it, watch passes it as the client wrote it. [`in_both_deliveries!`] runs a test in both ways.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
pub use shared::http::PathDelivery;
use shared::routes::{EMAIL_PARAM, ROUTES};
use shared::{ApiKeys, CustomerStore, LogStore};
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::net::TcpListener;

/// The key every test request carries unless it tests the key.
pub const TEST_KEY: &str = "test-key-0001";

pub fn test_keys() -> ApiKeys {
    ApiKeys::from_digests(&shared::auth::key_digest_hex(TEST_KEY)).expect("a valid digest")
}

/// The workspace root, for the files tests read (events, template, Cargo.toml). Read from the
/// environment cargo sets when it runs the tests, not from the compile-time value: clones that
/// share one target directory share this crate's build, and the compile-time path would be the
/// clone that built it first, whose files may be stale or gone.
pub fn workspace_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .parent()
        .expect("integration-tests sits in the workspace")
        .to_path_buf()
}

/// A client with the functions' own timeouts and retries, pointed at `endpoint`.
pub fn client_for(endpoint: &str) -> Client {
    devstack::store_client(endpoint)
}

/// A dynoxide server on a random loopback port with both tables, stopped when dropped.
pub struct TestStore {
    pub endpoint: String,
    pub client: Client,
    _store: devstack::LocalStore,
}

pub const CUSTOMERS_TABLE: &str = "customers-test";
pub const LOGS_TABLE: &str = "logs-test";

impl TestStore {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let db = dynoxide::Database::memory().expect("in-memory database");
        let store = devstack::LocalStore::start(listener, db, CUSTOMERS_TABLE, LOGS_TABLE)
            .await
            .expect("start the test store");
        Self {
            endpoint: store.endpoint.clone(),
            client: store.client.clone(),
            _store: store,
        }
    }

    pub fn customers(&self) -> CustomerStore {
        CustomerStore::new(self.client.clone(), CUSTOMERS_TABLE)
    }

    pub fn logs(&self) -> LogStore {
        LogStore::new(self.client.clone(), LOGS_TABLE)
    }

    /// Every item of a table, read with a scan: tests use it to prove what was (not) written.
    pub async fn items(&self, table: &str) -> Vec<HashMap<String, AttributeValue>> {
        let output = self
            .client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .send()
            .await
            .expect("scan");
        output.items.unwrap_or_default()
    }
}

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

    /// The event as the gateway's JSON: the route matched from [`ROUTES`], path parameters cut
    /// from the path and, as `delivery` says, decoded once (API Gateway) or not (watch); query
    /// parameters decoded. The gateway's answer to a `%XX` that is not UTF-8 is not documented:
    /// here it becomes U+FFFD, which no address may hold.
    pub fn to_event(&self, delivery: PathDelivery) -> serde_json::Value {
        let path = match delivery {
            PathDelivery::Raw => self.path.clone(),
            PathDelivery::Decoded => percent_encoding::percent_decode_str(&self.path)
                .decode_utf8_lossy()
                .into_owned(),
        };
        let route = ROUTES
            .iter()
            .find(|route| route.method == self.method && route_matches(route.path, &self.path))
            .unwrap_or_else(|| panic!("no route for {} {}", self.method, self.path));
        let mut path_parameters = serde_json::Map::new();
        for (pattern, segment) in route.path.split('/').zip(path.split('/')) {
            if pattern == format!("{{{EMAIL_PARAM}}}") {
                path_parameters.insert(EMAIL_PARAM.into(), segment.into());
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
        let headers: serde_json::Map<String, serde_json::Value> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), value.clone().into()))
            .collect();
        let route_key = format!("{} {}", route.method, route.path);
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": raw_query.join("&"),
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": "127.0.0.1",
                "domainPrefix": "127",
                "http": {
                    "method": self.method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "integration-tests"
                },
                "requestId": "integration-test",
                "routeKey": route_key,
                "stage": "$default",
                "time": "26/Nov/2026:15:00:00 +0000",
                "timeEpoch": 1_795_705_200_000u64
            },
            "isBase64Encoded": false
        });
        if !path_parameters.is_empty() {
            event["pathParameters"] = path_parameters.into();
        }
        if !query.is_empty() {
            event["queryStringParameters"] = query.into();
        }
        if let Some(body) = &self.body {
            event["body"] = body.clone().into();
            event["isBase64Encoded"] = self.base64.into();
        }
        event
    }

    pub fn into_request(self, delivery: PathDelivery) -> lambda_http::Request {
        request_from_event(&self.to_event(delivery))
    }

    pub fn method(&self) -> &str {
        &self.method
    }

    /// The route this request matches.
    pub fn route(&self) -> &'static shared::routes::Route {
        ROUTES
            .iter()
            .find(|route| route.method == self.method && route_matches(route.path, &self.path))
            .unwrap_or_else(|| panic!("no route for {} {}", self.method, self.path))
    }

    /// The function this request's route reaches.
    pub fn function(&self) -> &'static str {
        self.route().function
    }
}

/// Parses a gateway event the way `lambda_http` does in a deployed function.
pub fn request_from_event(event: &serde_json::Value) -> lambda_http::Request {
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
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

/// The four HTTP functions wired to one store, as the gateway routes to them.
pub struct Api {
    pub get_customer: get_customer::App,
    pub upsert_customer: upsert_customer::App,
    pub delete_customer: delete_customer::App,
    pub get_customer_logs: get_customer_logs::App,
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
        Self::with_stores(store.customers(), store.logs(), now, delivery)
    }

    /// As [`Api::new`]; logs are served whatever their age unless a test sets
    /// `get_customer_logs.retention_seconds`.
    pub fn with_stores(
        customers: CustomerStore,
        logs: LogStore,
        now: fn() -> u64,
        delivery: PathDelivery,
    ) -> Self {
        Self {
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
                logs,
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
        let request = request_from_event(event);
        let response = match function {
            "get-customer" => self.get_customer.handle(request).await,
            "upsert-customer" => self.upsert_customer.handle(request).await,
            "delete-customer" => self.delete_customer.handle(request).await,
            "get-customer-logs" => self.get_customer_logs.handle(request).await,
            other => panic!("no HTTP function {other}"),
        };
        Reply::from_response(response)
    }
}

/// A valid address for a test's own lookups.
pub fn addr(email: &str) -> shared::Email {
    shared::Email::parse(email).expect("a valid test address")
}

/// A store that fails on purpose: an HTTP server on 127.0.0.1 that answers the requests `fails`
/// picks with `status` and a DynamoDB error body, and forwards the others, if it has an upstream,
/// to a real store. Stopped when dropped.
pub struct FaultyStore {
    pub endpoint: String,
    task: tokio::task::JoinHandle<()>,
}

struct Fault {
    upstream: Option<std::net::SocketAddr>,
    fails: fn(&[u8]) -> bool,
    status: u16,
    error_type: &'static str,
}

impl FaultyStore {
    /// Every request fails.
    pub async fn failing_all(status: u16, error_type: &'static str) -> Self {
        Self::start(Fault {
            upstream: None,
            fails: |_| true,
            status,
            error_type,
        })
        .await
    }

    /// Requests whose body `fails` picks fail with a 500; the rest reach `upstream`.
    pub async fn in_front_of(upstream: &TestStore, fails: fn(&[u8]) -> bool) -> Self {
        let address = upstream
            .endpoint
            .trim_start_matches("http://")
            .parse()
            .expect("a socket address");
        Self::start(Fault {
            upstream: Some(address),
            fails,
            status: 500,
            error_type: "InternalServerError",
        })
        .await
    }

    async fn start(fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("local addr"));
        let fault = std::sync::Arc::new(fault);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let fault = fault.clone();
                tokio::spawn(async move {
                    let _ = answer(socket, &fault).await;
                });
            }
        });
        Self { endpoint, task }
    }
}

impl Drop for FaultyStore {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one HTTP/1.1 message (headers and a Content-Length body) from `stream`.
async fn read_message(stream: &mut tokio::net::TcpStream) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut message = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(message);
        }
        message.extend_from_slice(&buffer[..read]);
        if let Some(end) = message.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&message[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if message.len() >= end + 4 + length {
                return Ok(message);
            }
        }
    }
}

/// One request, one response, then the connection closes (`connection: close` says so, so the
/// client does not reuse it).
async fn answer(mut socket: tokio::net::TcpStream, fault: &Fault) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let request = read_message(&mut socket).await?;
    let response = match fault.upstream {
        Some(upstream) if !(fault.fails)(&request) => {
            let mut store = tokio::net::TcpStream::connect(upstream).await?;
            store.write_all(&request).await?;
            let reply = read_message(&mut store).await?;
            let line_end = reply.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
            [
                &reply[..line_end],
                b"connection: close\r\n",
                &reply[line_end..],
            ]
            .concat()
        }
        _ => {
            let body = format!(
                r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{}","message":"injected"}}"#,
                fault.error_type
            );
            format!(
                "HTTP/1.1 {} Injected\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                fault.status,
                body.len()
            )
            .into_bytes()
        }
    };
    socket.write_all(&response).await?;
    socket.shutdown().await
}

/// An endpoint on 127.0.0.1 where nothing listens: a store that is down.
pub fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    format!("http://{}", listener.local_addr().expect("local addr"))
}

/// A store that hangs: it accepts connections and never answers. The sockets stay open until it
/// is dropped with the test.
pub struct HangingStore {
    pub endpoint: String,
    task: tokio::task::JoinHandle<()>,
}

impl HangingStore {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("local addr"));
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Self { endpoint, task }
    }
}

impl Drop for HangingStore {
    fn drop(&mut self) {
        self.task.abort();
    }
}
