//! The DynamoDB client every function builds once, at init, from the Lambda environment.
//!
//! Built by hand instead of through `aws-config`'s generic loader, because on Lambda everything it
//! probes for (profile files, SSO, IMDS, container credentials, the system's root certificates) is
//! either absent or already in the environment, and probing costs cold-start time and binary size:
//!
//! - the region from `AWS_REGION` (or `AWS_DEFAULT_REGION`);
//! - the credentials the Lambda runtime puts in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
//!   `AWS_SESSION_TOKEN`: the same values the generic chain would read first;
//! - the endpoint from `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL` when set (the local
//!   stack), else the region's own, FIPS or dual-stack when `AWS_USE_FIPS_ENDPOINT` or
//!   `AWS_USE_DUALSTACK_ENDPOINT` is `true`, as the SDKs read them;
//! - HTTPS through rustls with ring, trusting Mozilla's root set (`webpki-root-certs`, compiled
//!   in) plus the PEM certificates in `SSL_CERT_FILE` when it is set (a TLS-inspecting proxy, the
//!   cold-start bench's local terminator).
//!
//! What we add are bounds: every store call gives up, with the contract's 503, well inside the
//! function's own timeout (10 s in the template), so a client never gets the gateway's JSON
//! timeout error instead of ours.
//!
//! And the first request's work is done at init, where Lambda gives the whole CPU (the handler
//! gets a share proportional to memory, about 1/14 of a vCPU at 128 MB):
//!
//! - the SDK's hyper connector (the TLS configuration with its parsed root store) is built once,
//!   here, and handed to the client as its only one ([`OneConnector`]). The SDK's own HTTP client
//!   builds one to throw away when the client is made and another on the first request, each
//!   parsing the root set again;
//! - [`warm_up`] sends one bounded request during init, on the client the function then uses: the
//!   connection and TLS handshake, the endpoint's resolution, the signer and the SDK's other
//!   first-call work are done before the first invocation arrives (`make bench-cold` measures it).

use crate::model::error::ConfigError;
use crate::store::failure::classify;
use crate::store::schema::TableSpec;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, Credentials, HttpClient, Region, RuntimeComponents, SharedHttpClient,
};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};
use std::time::Duration;

/// A TCP connect that takes longer than this is a store that is not there.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// One attempt of one call; a single-item call normally answers in milliseconds.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
/// The whole call, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(4);
/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// The most init waits for [`warm_up`]: past it the function starts as it would have without.
pub const WARM_UP_BOUND: Duration = Duration::from_millis(1500);
/// The partition (and sort) key [`warm_up`] reads. No stored item has it: the two tables it reads,
/// customers and logs, are keyed by address (which has an `@`) or, for the erased list, by
/// `erased:<digest>`. The template lets each function read this key alone
/// (`dynamodb:LeadingKeys`) where its role does not already read the table.
pub const WARM_UP_KEY: &str = "warm-up";

/// Mozilla's root set as one PEM bundle, encoded at build time (`build.rs`).
const COMPILED_IN_ROOTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/webpki-roots.pem"));

/// Where the store is and who we are to it, read once at init.
#[derive(Clone, Debug)]
pub struct StoreSettings {
    region: String,
    credentials: Credentials,
    endpoint: Option<String>,
    use_fips: bool,
    use_dual_stack: bool,
    /// PEM certificates trusted besides the compiled-in roots.
    extra_roots: Option<Vec<u8>>,
}

impl StoreSettings {
    /// From the Lambda environment, as `lookup` reads variables (`config` passes the process's,
    /// the tests a map). Empty values count as unset, as the AWS SDKs treat them. Every missing or
    /// malformed variable is named in the one error.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let mut problems = Vec::new();
        let region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
        if region.is_none() {
            problems.push("AWS_REGION is not set".to_owned());
        }
        let key_id = get("AWS_ACCESS_KEY_ID");
        let secret = get("AWS_SECRET_ACCESS_KEY");
        for (name, value) in [
            ("AWS_ACCESS_KEY_ID", &key_id),
            ("AWS_SECRET_ACCESS_KEY", &secret),
        ] {
            if value.is_none() {
                problems.push(format!(
                    "{name} is not set (Lambda sets it from the function's role)"
                ));
            }
        }
        let endpoint = get("AWS_ENDPOINT_URL_DYNAMODB")
            .map(|url| ("AWS_ENDPOINT_URL_DYNAMODB", url))
            .or_else(|| get("AWS_ENDPOINT_URL").map(|url| ("AWS_ENDPOINT_URL", url)));
        if let Some((name, url)) = &endpoint
            && let Err(problem) = check_endpoint(url)
        {
            problems.push(format!("{name}={url:?} {problem}"));
        }
        let mut flag = |name: &str| match get(name).map(|value| value.trim().to_ascii_lowercase()) {
            None => false,
            Some(value) if value == "true" => true,
            Some(value) if value == "false" => false,
            Some(value) => {
                problems.push(format!("{name}={value:?} is neither true nor false"));
                false
            }
        };
        let use_fips = flag("AWS_USE_FIPS_ENDPOINT");
        let use_dual_stack = flag("AWS_USE_DUALSTACK_ENDPOINT");
        // The SDK refuses these together only at the first request, which would then answer
        // every request with a 503 that clients retry for ever: refuse them at init.
        if let Some((name, _)) = &endpoint {
            for (switch, on) in [
                ("AWS_USE_FIPS_ENDPOINT", use_fips),
                ("AWS_USE_DUALSTACK_ENDPOINT", use_dual_stack),
            ] {
                if on {
                    problems.push(format!(
                        "{switch}=true cannot be used with {name}: the endpoint is then the override"
                    ));
                }
            }
        }
        let extra_roots = match get("SSL_CERT_FILE") {
            None => None,
            Some(path) => match read_pem_certificates(&path) {
                Ok(pem) => Some(pem),
                Err(problem) => {
                    problems.push(format!("SSL_CERT_FILE={path:?}: {problem}"));
                    None
                }
            },
        };
        match (region, key_id, secret) {
            (Some(region), Some(key_id), Some(secret)) if problems.is_empty() => Ok(Self {
                region,
                credentials: Credentials::new(
                    key_id,
                    secret,
                    get("AWS_SESSION_TOKEN"),
                    None,
                    "lambda-environment",
                ),
                endpoint: endpoint.map(|(_, url)| url),
                use_fips,
                use_dual_stack,
                extra_roots,
            }),
            _ => Err(ConfigError::gather(
                problems.into_iter().map(|p| Some(ConfigError::new(p))),
            )),
        }
    }

    /// A store on this machine (the local stack, the tests): dummy credentials, no TLS.
    pub fn local(endpoint: &str, region: &str) -> Self {
        Self {
            region: region.to_owned(),
            credentials: Credentials::new("local", "local", None, None, "local-store"),
            endpoint: Some(endpoint.to_owned()),
            use_fips: false,
            use_dual_stack: false,
            extra_roots: None,
        }
    }

    /// The client, with our timeouts and retry budget.
    pub fn client(&self) -> Client {
        let mut config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(self.credentials.clone())
            .use_fips(self.use_fips)
            .use_dual_stack(self.use_dual_stack)
            .http_client(self.https_client())
            // The connect timeout is also the one [`OneConnector`]'s connector is built with.
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            )
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_initial_backoff(Duration::from_millis(50))
                    .with_max_backoff(Duration::from_millis(500)),
            );
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint_url(endpoint);
        }
        Client::from_conf(config.build())
    }

    fn https_client(&self) -> SharedHttpClient {
        let mut trust = TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(COMPILED_IN_ROOTS);
        if let Some(pem) = &self.extra_roots {
            trust.add_pem_certificate(pem.clone());
        }
        let context = TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .expect("a TLS context with a trust store always builds");
        let connector = Connector::builder()
            .connector_settings(connector_settings())
            .tls_provider(tls::Provider::rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .tls_context(context)
            .build();
        SharedHttpClient::new(OneConnector(SharedHttpConnector::new(connector)))
    }
}

/// What the SDK derives from our [`TimeoutConfig`] for its connector: the connect timeout (the
/// attempt and operation timeouts are the orchestrator's, not the connector's).
fn connector_settings() -> HttpConnectorSettings {
    HttpConnectorSettings::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
}

/// The client's one connector, built at init with the SDK's own builder (so its connect timeout,
/// its TLS and its error kinds are the SDK's), and so its one connection pool. The SDK's default
/// HTTP client would build a connector to throw away when the client is made (to load native
/// roots early, which we do not use) and another on the first request, each parsing the root set.
#[derive(Debug)]
struct OneConnector(SharedHttpConnector);

impl HttpClient for OneConnector {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        debug_assert_eq!(
            settings.connect_timeout(),
            connector_settings().connect_timeout(),
            "a call overrode the connect timeout the connector was built with"
        );
        self.0.clone()
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        Some(ConnectorMetadata::new("hyper", Some("1.x".into())))
    }
}

/// One `GetItem` of [`WARM_UP_KEY`] in `table` during init, on the client the function then
/// uses, so that the first invocation finds the connection made and the SDK's first-call work
/// done. It never fails init: an error or a store slower than [`WARM_UP_BOUND`] is logged, and
/// the future is dropped at the bound (its connection attempt with it, so none races the first
/// request's); the function then starts as it would have without.
pub(crate) async fn warm_up(client: &Client, spec: &TableSpec, table: &str) {
    let mut request = client.get_item().table_name(table).key(
        spec.partition_key.name,
        AttributeValue::S(WARM_UP_KEY.to_owned()),
    );
    if let Some(sort_key) = spec.sort_key {
        request = request.key(sort_key.name, AttributeValue::S(WARM_UP_KEY.to_owned()));
    }
    match tokio::time::timeout(WARM_UP_BOUND, request.send()).await {
        Ok(Ok(_)) => {}
        // Logged as every failed store call is, and otherwise without consequence.
        Ok(Err(error)) => drop(classify("GetItem (warm-up)", error)),
        Err(_) => tracing::warn!(
            bound_ms = WARM_UP_BOUND.as_millis(),
            "the store warm-up took longer than its bound; the first request will connect"
        ),
    }
}

/// An endpoint override must be a URL with a host, and plain `http://` only on this machine: the
/// role's session token travels with every request, in the clear over `http://`.
fn check_endpoint(url: &str) -> Result<(), &'static str> {
    let (plain, rest) = match url.strip_prefix("https://") {
        Some(rest) => (false, rest),
        None => (
            true,
            url.strip_prefix("http://")
                .ok_or("is not an http:// or https:// URL")?,
        ),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err("has no host");
    }
    if plain && !is_loopback(authority) {
        return Err("is plain http:// to another machine: use https://, or a loopback address");
    }
    Ok(())
}

/// `authority` (a host and perhaps a port) names this machine: `localhost`, 127.0.0.0/8 or `[::1]`.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The file's certificates as PEM, checked now: the HTTP client would only find a bad one on the
/// first request, and panic there.
fn read_pem_certificates(path: &str) -> Result<Vec<u8>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let pem = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not a PEM certificate bundle: {e}"))?;
    if certificates.is_empty() {
        return Err("holds no PEM certificate".to_owned());
    }
    let mut roots = rustls::RootCertStore::empty();
    for (index, certificate) in certificates.into_iter().enumerate() {
        roots
            .add(certificate)
            .map_err(|e| format!("certificate {} cannot be trusted: {e}", index + 1))?;
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const LAMBDA: [(&str, &str); 4] = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
    ];

    #[test]
    fn reads_the_lambda_environment() {
        let settings = StoreSettings::from_lookup(&lookup(&LAMBDA)).expect("valid");
        assert_eq!(settings.region, "eu-west-1");
        assert_eq!(settings.credentials.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(settings.credentials.session_token(), Some("token"));
        assert_eq!(settings.endpoint, None);
        assert!(!settings.use_fips && !settings.use_dual_stack);
        assert!(settings.extra_roots.is_none());
    }

    #[test]
    fn reads_the_fips_and_dual_stack_switches_and_refuses_anything_else() {
        let mut pairs = LAMBDA.to_vec();
        pairs.push(("AWS_USE_FIPS_ENDPOINT", "TRUE"));
        pairs.push(("AWS_USE_DUALSTACK_ENDPOINT", "false"));
        let settings = StoreSettings::from_lookup(&lookup(&pairs)).expect("valid");
        assert!(settings.use_fips && !settings.use_dual_stack);
        pairs.pop();
        pairs.push(("AWS_USE_DUALSTACK_ENDPOINT", "yes"));
        let error = StoreSettings::from_lookup(&lookup(&pairs))
            .unwrap_err()
            .to_string();
        assert!(error.contains("AWS_USE_DUALSTACK_ENDPOINT"), "{error}");
    }

    #[test]
    fn names_every_missing_variable_at_once() {
        let error = StoreSettings::from_lookup(&lookup(&[("AWS_ACCESS_KEY_ID", " ")]))
            .unwrap_err()
            .to_string();
        for name in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            assert!(error.contains(name), "{error}");
        }
    }

    #[test]
    fn takes_the_service_endpoint_before_the_general_one() {
        let mut pairs = LAMBDA.to_vec();
        pairs.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:1"));
        pairs.push(("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2"));
        let settings = StoreSettings::from_lookup(&lookup(&pairs)).expect("valid");
        assert_eq!(settings.endpoint.as_deref(), Some("http://127.0.0.1:2"));
        pairs.pop();
        let settings = StoreSettings::from_lookup(&lookup(&pairs)).expect("valid");
        assert_eq!(settings.endpoint.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn refuses_fips_or_dual_stack_with_an_endpoint_override() {
        for switch in ["AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"] {
            let mut pairs = LAMBDA.to_vec();
            pairs.push(("AWS_ENDPOINT_URL_DYNAMODB", "https://dynamodb.example.com"));
            pairs.push((switch, "true"));
            let error = StoreSettings::from_lookup(&lookup(&pairs))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains(switch) && error.contains("AWS_ENDPOINT_URL_DYNAMODB"),
                "{error}"
            );
        }
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        for url in [
            "http://127.0.0.1:8000",
            "http://localhost:9001",
            "http://[::1]:8000",
            "http://127.1.2.3",
            "https://dynamodb.example.com",
        ] {
            let mut pairs = LAMBDA.to_vec();
            pairs.push(("AWS_ENDPOINT_URL_DYNAMODB", url));
            assert!(StoreSettings::from_lookup(&lookup(&pairs)).is_ok(), "{url}");
        }
        for url in [
            "http://dynamodb.example.com",
            "http://10.0.0.1:8000",
            "http://localhost.example.com",
        ] {
            let mut pairs = LAMBDA.to_vec();
            pairs.push(("AWS_ENDPOINT_URL_DYNAMODB", url));
            let error = StoreSettings::from_lookup(&lookup(&pairs))
                .unwrap_err()
                .to_string();
            assert!(error.contains("plain http://"), "{url}: {error}");
        }
    }

    #[test]
    fn refuses_a_malformed_endpoint_and_names_it() {
        for url in ["127.0.0.1:8000", "ftp://host", "http://", "https:///path"] {
            let mut pairs = LAMBDA.to_vec();
            pairs.push(("AWS_ENDPOINT_URL_DYNAMODB", url));
            let error = StoreSettings::from_lookup(&lookup(&pairs))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("AWS_ENDPOINT_URL_DYNAMODB"),
                "{url}: {error}"
            );
        }
    }

    #[test]
    fn refuses_an_unreadable_or_empty_certificate_file() {
        let dir = std::env::temp_dir().join(format!("swu-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").expect("write");
        let garbled = dir.join("garbled.pem");
        std::fs::write(
            &garbled,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let missing = dir.join("missing.pem");
        for (path, expected) in [
            (&empty, "holds no PEM certificate"),
            (&garbled, "cannot be trusted"),
            (&missing, "cannot read it"),
        ] {
            let mut pairs = LAMBDA.to_vec();
            let path = path.to_str().expect("utf-8 path");
            pairs.push(("SSL_CERT_FILE", path));
            let error = StoreSettings::from_lookup(&lookup(&pairs))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("SSL_CERT_FILE") && error.contains(expected),
                "{error}"
            );
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn the_compiled_in_bundle_is_exactly_mozillas_root_set() {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let bundle: Vec<CertificateDer> = CertificateDer::pem_slice_iter(COMPILED_IN_ROOTS)
            .collect::<Result<_, _>>()
            .expect("the bundle is PEM");
        let expected = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        assert!(expected.len() > 100);
        assert_eq!(bundle.len(), expected.len());
        for (ours, theirs) in bundle.iter().zip(expected) {
            assert_eq!(ours.as_ref(), theirs.as_ref());
        }
    }
}
