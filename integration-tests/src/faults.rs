//! Stores that fail on purpose: one that answers with errors (or forwards to a real store), one that
//! hangs, and an endpoint where nothing listens.

use crate::store::TestStore;
use tokio::net::TcpListener;

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
    /// How long every request waits before it is answered or forwarded.
    delay: std::time::Duration,
}

impl FaultyStore {
    /// Every request fails.
    pub async fn failing_all(status: u16, error_type: &'static str) -> Self {
        Self::start(Fault {
            upstream: None,
            fails: |_| true,
            status,
            error_type,
            delay: std::time::Duration::ZERO,
        })
        .await
    }

    /// Every request reaches `upstream`, each `delay` late: a store that is slow, not down.
    pub async fn slow_in_front_of(upstream: &TestStore, delay: std::time::Duration) -> Self {
        Self::start(Fault {
            upstream: Some(upstream_address(upstream)),
            fails: |_| false,
            status: 500,
            error_type: "InternalServerError",
            delay,
        })
        .await
    }

    /// Requests whose body `fails` picks fail with a 500; the rest reach `upstream`.
    pub async fn in_front_of(upstream: &TestStore, fails: fn(&[u8]) -> bool) -> Self {
        Self::start(Fault {
            upstream: Some(upstream_address(upstream)),
            fails,
            status: 500,
            error_type: "InternalServerError",
            delay: std::time::Duration::ZERO,
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

fn upstream_address(upstream: &TestStore) -> std::net::SocketAddr {
    upstream
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("a socket address")
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
    tokio::time::sleep(fault.delay).await;
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
