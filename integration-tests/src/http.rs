//! The HTTP functions served over real HTTP on 127.0.0.1, as a client (the admin tool's `migrate`)
//! reaches a deployed stack: each request is made into the gateway's event and sent to the function
//! its route reaches. It reads a request's head only (what `migrate` sends: GETs), never a body. A
//! fault plan may answer some requests itself, as a throttled or failing gateway would.

use crate::api::Api;
use crate::gateway::ApiRequest;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with the `n`th request (from 0): `None` serves it, `Some(status)` answers
/// that status itself (with `Retry-After: 0` for a 429).
pub type FaultPlan = fn(usize) -> Option<u16>;

/// The API on `http://127.0.0.1:<port>`. Stopped when dropped.
pub struct HttpApi {
    /// Up to and with `/api/v1`.
    pub base: String,
    served: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpApi {
    pub async fn serve(api: Api, faults: FaultPlan) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!(
            "http://{}/api/v1",
            listener.local_addr().expect("local addr")
        );
        let api = Arc::new(api);
        let served = Arc::new(AtomicUsize::new(0));
        let count = served.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (api, count) = (api.clone(), count.clone());
                tokio::spawn(async move {
                    let _ = answer(socket, &api, &count, faults).await;
                });
            }
        });
        Self { base, served, task }
    }

    /// How many requests reached the server, faults among them.
    pub fn requests(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for HttpApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request on the connection, one response, then it closes.
async fn answer(
    mut socket: tokio::net::TcpStream,
    api: &Api,
    count: &AtomicUsize,
    faults: FaultPlan,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = socket.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (first.next().unwrap_or("GET"), first.next().unwrap_or("/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut request = ApiRequest::new(method, path).without_header("x-swu-api-key");
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            request = request.header(name.trim(), value.trim());
        }
    }
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned()
        };
        request = request.query(&decode(name), &decode(value));
    }
    let (status, content_type, body, extra) = match faults(count.fetch_add(1, Ordering::SeqCst)) {
        Some(status) => (
            status,
            "text/plain; charset=utf-8".to_owned(),
            "injected".to_owned(),
            if status == 429 {
                "retry-after: 0\r\n"
            } else {
                ""
            },
        ),
        None => {
            let reply = api.send(request).await;
            (reply.status, reply.content_type, reply.body, "")
        }
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}
