//! The floor of `make bench-cold`: the least a Lambda function in Rust can do to answer with the
//! same DynamoDB requests a function makes. No SDK, no validation, no retries, no timeouts:
//!
//! - one HTTP/1.1 connection (hyper), over rustls with ring trusting webpki-roots' pre-parsed
//!   anchors (plus the PEM certificates in `SSL_CERT_FILE`, the bench's local terminator), made
//!   during init, as a function warming up would;
//! - each request signed with SigV4 by hand (ring's HMAC and SHA-256, the signing key derived
//!   once per day);
//! - the requests are `FLOOR_REQUESTS`, a JSON array of `[X-Amz-Target, body]` the bench recorded
//!   from one warm invocation of the function it compares with, sent one after the other; each
//!   response is read to its end, and the invocation answers with their statuses.
//!
//! The variables it reads are Lambda's own (`AWS_REGION`, the role's credentials,
//! `AWS_ENDPOINT_URL_DYNAMODB`) and `FLOOR_REQUESTS`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use ring::{digest, hmac};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

type Error = Box<dyn std::error::Error + Send + Sync>;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Endpoint {
    tls: Option<tokio_rustls::TlsConnector>,
    host: String,
    port: u16,
    /// `host[:port]` as the Host header and the signature carry it.
    authority: String,
}

impl Endpoint {
    fn from_env() -> Result<Self, Error> {
        let url = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").or_else(|_| {
            std::env::var("AWS_REGION")
                .map(|region| format!("https://dynamodb.{region}.amazonaws.com"))
        })?;
        let (tls, rest) = match url.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (
                false,
                url.strip_prefix("http://").ok_or("not an http(s) URL")?,
            ),
        };
        let authority = rest.trim_end_matches('/').to_owned();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), port.parse()?),
            None => (authority.clone(), if tls { 443 } else { 80 }),
        };
        let tls = if tls { Some(tls_connector()?) } else { None };
        Ok(Self {
            tls,
            host,
            port,
            authority,
        })
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, Error> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        tcp.set_nodelay(true)?;
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let name = rustls_pki_types::ServerName::try_from(self.host.clone())?;
                Box::new(tls.connect(name, tcp).await?)
            }
        };
        let (sender, connection) = http1::handshake(TokioIo::new(io)).await?;
        tokio::spawn(connection);
        Ok(sender)
    }
}

fn tls_connector() -> Result<tokio_rustls::TlsConnector, Error> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Ok(path) = std::env::var("SSL_CERT_FILE") {
        use rustls_pki_types::pem::PemObject;
        for certificate in rustls_pki_types::CertificateDer::pem_file_iter(path)? {
            roots.add(certificate?)?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// SigV4 for DynamoDB, the least of it: the headers DynamoDB needs signed.
struct Signer {
    key_id: String,
    secret: String,
    token: Option<String>,
    region: String,
    /// The day's signing key, derived once per day.
    day_key: std::sync::Mutex<Option<(String, hmac::Key)>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac(key: &[u8], text: &str) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), text.as_bytes())
}

/// `(YYYYMMDD, YYYYMMDDTHHMMSSZ)` for a Unix time (days to a civil date, Howard Hinnant's way).
fn stamps(unix: u64) -> (String, String) {
    let (days, secs) = ((unix / 86_400) as i64, unix % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let time = format!(
        "{date}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    (date, time)
}

impl Signer {
    fn from_env() -> Result<Self, Error> {
        Ok(Self {
            key_id: std::env::var("AWS_ACCESS_KEY_ID")?,
            secret: std::env::var("AWS_SECRET_ACCESS_KEY")?,
            token: std::env::var("AWS_SESSION_TOKEN").ok(),
            region: std::env::var("AWS_REGION")?,
            day_key: std::sync::Mutex::new(None),
        })
    }

    /// The headers to add: (name, value), the Authorization last.
    fn sign(&self, authority: &str, target: &str, body: &[u8]) -> Vec<(&'static str, String)> {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.sign_at(unix, authority, target, body)
    }

    fn sign_at(
        &self,
        unix: u64,
        authority: &str,
        target: &str,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let (date, time) = stamps(unix);
        let mut headers = vec![
            ("content-type", "application/x-amz-json-1.0".to_owned()),
            ("host", authority.to_owned()),
            ("x-amz-date", time.clone()),
        ];
        if let Some(token) = &self.token {
            headers.push(("x-amz-security-token", token.clone()));
        }
        headers.push(("x-amz-target", target.to_owned()));
        let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
        let signed = names.join(";");
        let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let canonical = format!(
            "POST\n/\n\n{canonical_headers}\n{signed}\n{}",
            hex(digest::digest(&digest::SHA256, body).as_ref())
        );
        let scope = format!("{date}/{}/dynamodb/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{time}\n{scope}\n{}",
            hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
        );
        let mut day_key = self.day_key.lock().unwrap_or_else(|e| e.into_inner());
        if day_key.as_ref().is_none_or(|(day, _)| *day != date) {
            let k = mac(format!("AWS4{}", self.secret).as_bytes(), &date);
            let k = mac(k.as_ref(), &self.region);
            let k = mac(k.as_ref(), "dynamodb");
            let k = mac(k.as_ref(), "aws4_request");
            *day_key = Some((date.clone(), hmac::Key::new(hmac::HMAC_SHA256, k.as_ref())));
        }
        let key = &day_key.as_ref().expect("derived above").1;
        let signature = hex(hmac::sign(key, to_sign.as_bytes()).as_ref());
        headers.retain(|(name, _)| *name != "host");
        headers.push((
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
                self.key_id
            ),
        ));
        headers
    }
}

struct Floor {
    endpoint: Endpoint,
    signer: Signer,
    requests: Vec<(String, Bytes)>,
    connection: Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl Floor {
    async fn send(
        &self,
        sender: &mut SendRequest<Full<Bytes>>,
        target: &str,
        body: &Bytes,
    ) -> Result<u16, Error> {
        let mut request = hyper::Request::post("/").header("host", &self.endpoint.authority);
        for (name, value) in self.signer.sign(&self.endpoint.authority, target, body) {
            request = request.header(name, value);
        }
        let response = sender
            .send_request(request.body(Full::new(body.clone()))?)
            .await?;
        let status = response.status().as_u16();
        response.into_body().collect().await?;
        Ok(status)
    }

    async fn invoke(&self) -> Result<serde_json::Value, Error> {
        let mut statuses = Vec::with_capacity(self.requests.len());
        let mut connection = self.connection.lock().await;
        for (target, body) in &self.requests {
            let sender = match connection.as_mut() {
                Some(sender) if !sender.is_closed() => sender,
                _ => connection.insert(self.endpoint.connect().await?),
            };
            sender.ready().await?;
            statuses.push(self.send(sender, target, body).await?);
        }
        Ok(serde_json::json!({ "statuses": statuses }))
    }
}

fn requests_from_env() -> Result<Vec<(String, Bytes)>, Error> {
    let text = std::env::var("FLOOR_REQUESTS").unwrap_or_else(|_| "[]".to_owned());
    let pairs: Vec<(String, String)> = serde_json::from_str(&text)?;
    Ok(pairs
        .into_iter()
        .map(|(t, b)| (t, Bytes::from(b)))
        .collect())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let requests = requests_from_env()?;
    let endpoint = Endpoint::from_env()?;
    // The connection, made during init; none for a function that makes no request.
    let connection = if requests.is_empty() {
        None
    } else {
        Some(endpoint.connect().await?)
    };
    let floor = Floor {
        endpoint,
        signer: Signer::from_env()?,
        requests,
        connection: Mutex::new(connection),
    };
    let floor = &floor;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_: lambda_runtime::LambdaEvent<serde_json::Value>| floor.invoke(),
    ))
    .await
}

#[cfg(test)]
mod tests {
    /// The signature botocore's `SigV4Auth` gives the same request.
    #[test]
    fn signs_as_botocore_does() {
        let signer = super::Signer {
            key_id: "AKIDEXAMPLE".into(),
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            token: Some("token-1".into()),
            region: "us-east-1".into(),
            day_key: std::sync::Mutex::new(None),
        };
        let body = br#"{"TableName":"customers","Key":{"email":{"S":"a@example.com"}}}"#;
        let headers = signer.sign_at(
            1_796_129_181,
            "127.0.0.1:8443",
            "DynamoDB_20120810.GetItem",
            body,
        );
        let authorization = &headers.last().expect("signed").1;
        assert!(
            authorization.ends_with(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
                 Signature=5c7a78dca6e32d145b6ef1f3c330c087219829cb5014a264f2964d76c95f0bf5"
            ),
            "{authorization}"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(
            super::stamps(0),
            ("19700101".into(), "19700101T000000Z".into())
        );
        assert_eq!(
            super::stamps(1_796_086_861),
            ("20261201".into(), "20261201T010101Z".into())
        );
    }
}
