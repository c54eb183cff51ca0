//! Test harness: a real server on 127.0.0.1:0, built from inline TOML through the real config
//! loader (the Stalwart habit), with its own SQLite file or PostgreSQL database.

#![allow(dead_code, missing_docs)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bounceguard::auth::Authenticator;
use bounceguard::config::Config;
use bounceguard::http::{AppState, run};
use bounceguard::service::Gateway;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub const ACCESS_KEY: &str = "AKIDBOUNCEGUARDTEST1";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const PRINCIPAL: &str = "arn:aws:iam::123456789012:user/member-service";
/// The account of [`PRINCIPAL`], and of the gateway [`TestServer::signed`] starts.
pub const ACCOUNT: &str = "123456789012";

/// v2 `Simple` content with a subject and a text body.
pub fn v2_text(subject: &str, text: &str) -> aws_sdk_sesv2::types::EmailContent {
    use aws_sdk_sesv2::types::{Body, Content, EmailContent, Message};
    EmailContent::builder()
        .simple(
            Message::builder()
                .subject(Content::builder().data(subject).build().expect("subject"))
                .body(
                    Body::builder()
                        .text(Content::builder().data(text).build().expect("text"))
                        .build(),
                )
                .build(),
        )
        .build()
}

/// A v1 `Message` with a subject and a text body.
pub fn v1_text(subject: &str, text: &str) -> aws_sdk_ses::types::Message {
    use aws_sdk_ses::types::{Body, Content, Message};
    Message::builder()
        .subject(Content::builder().data(subject).build().expect("subject"))
        .body(
            Body::builder()
                .text(Content::builder().data(text).build().expect("text"))
                .build(),
        )
        .build()
}

/// A bounce as SES publishes it (the spec's example shape) for `message_id` and `to`, of
/// `bounce_type` (`Permanent`, `Transient`).
pub fn bounce_event(message_id: &str, to: &str, bounce_type: &str) -> String {
    serde_json::json!({
        "eventType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2026-12-01T10:30:05.120Z",
            "feedbackId": "feedback-0001-000000"
        },
        "mail": {
            "timestamp": "2026-12-01T10:30:00.011Z",
            "source": "sender@shop.example",
            "sourceArn": "arn:aws:ses:us-east-1:000000000000:identity/shop.example",
            "sendingAccountId": "000000000000",
            "messageId": message_id,
            "destination": [to]
        }
    })
    .to_string()
}

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub config: Arc<Config>,
    gateway: Arc<Gateway>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    store: bounceguard_store::Store,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server from TOML text; `database` is filled in with a fresh SQLite file unless set.
    pub async fn start(toml: &str) -> TestServer {
        Self::start_with(toml, None).await
    }

    /// [`TestServer::start`] with a given recipient-domain check (a fake [`MxLookup`]) instead
    /// of the one the config would build.
    pub async fn start_with_dns(toml: &str, dns: Arc<dyn bounceguard_dns::MxLookup>) -> TestServer {
        Self::start_with(toml, Some(dns)).await
    }

    async fn start_with(toml: &str, dns: Option<Arc<dyn bounceguard_dns::MxLookup>>) -> TestServer {
        init_logs();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = HashMap::new();
        if !toml.contains("database") {
            env.insert(
                "BOUNCEGUARD_DATABASE".to_string(),
                format!("sqlite://{}", dir.path().join("bg.db").display()),
            );
        }
        env.insert("BOUNCEGUARD_LISTEN".to_string(), "127.0.0.1:0".to_string());
        let config = Arc::new(Config::from_toml_and_env(toml, &env).expect("test config"));
        let store = bounceguard_store::Store::open(&config.database)
            .await
            .expect("open store");
        let gateway = match dns {
            Some(dns) => Gateway::with_dns(config.clone(), store.clone(), Some(dns)).await,
            None => Gateway::new(config.clone(), store.clone()).await,
        };
        let gateway = Arc::new(gateway.expect("gateway"));
        gateway.spawn_suppression_sync();
        let state = AppState {
            gateway: gateway.clone(),
            auth: Arc::new(Authenticator::new(&config)),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            run(listener, state, async {
                let _ = stopped.await;
            })
            .await
            .expect("server");
        });
        TestServer {
            addr,
            config,
            gateway,
            stop: Some(stop),
            task: Some(task),
            store,
            _dir: dir,
        }
    }

    /// Starts an open (no SigV4) server with `sender@shop.example` verified.
    pub async fn open() -> TestServer {
        Self::start("identities = [\"sender@shop.example\"]\n").await
    }

    /// Starts a SigV4-enforcing server with one credential and `shop.example` verified; the
    /// credential's principal is in the gateway's account ([`ACCOUNT`]).
    pub async fn signed() -> TestServer {
        Self::start(&format!(
            "account_id = \"{ACCOUNT}\"\nidentities = [\"shop.example\"]\n[[credentials]]\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\nprincipal = \"{PRINCIPAL}\"\n"
        ))
        .await
    }

    /// The server's gateway (what the HTTP fronts call).
    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.gateway
    }

    /// The server's store (another handle on it acts like the CLI beside the server).
    pub fn store(&self) -> &bounceguard_store::Store {
        &self.store
    }

    /// A v2 SendEmail from `sender@shop.example` to `to`: the MessageId, or `"Code: message"`.
    pub async fn send_v2(&self, to: &[&str]) -> Result<String, String> {
        let destination = to
            .iter()
            .fold(aws_sdk_sesv2::types::Destination::builder(), |d, a| {
                d.to_addresses(*a)
            })
            .build();
        self.ses_v2()
            .send_email()
            .from_email_address("sender@shop.example")
            .destination(destination)
            .content(v2_text("test", "hello"))
            .send()
            .await
            .map(|out| out.message_id().expect("MessageId").to_string())
            .map_err(|e| {
                let e = e.into_service_error();
                format!(
                    "{}: {}",
                    e.meta().code().unwrap_or(""),
                    e.meta().message().unwrap_or("")
                )
            })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The official v1 SDK client for this server, signing with `key`/`secret`; `clock_skew_secs`
    /// moves the signer's clock (0 = real time). Retries are off so errors surface at once.
    pub fn ses_v1_as(&self, key: &str, secret: &str, clock_skew_secs: i64) -> aws_sdk_ses::Client {
        use aws_sdk_ses::config::{BehaviorVersion, Region, retry::RetryConfig};
        let mut builder = aws_sdk_ses::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.config.region.clone()))
            .endpoint_url(self.url())
            .retry_config(RetryConfig::disabled())
            .credentials_provider(aws_credential_types::Credentials::new(
                key, secret, None, None, "test",
            ));
        if clock_skew_secs != 0 {
            let skew = std::time::Duration::from_secs(clock_skew_secs.unsigned_abs());
            let now = std::time::SystemTime::now();
            let at = if clock_skew_secs > 0 {
                now + skew
            } else {
                now - skew
            };
            builder = builder.time_source(aws_smithy_async::time::StaticTimeSource::new(at));
        }
        aws_sdk_ses::Client::from_conf(builder.build())
    }

    /// The official v1 SDK client with the test credential.
    pub fn ses_v1(&self) -> aws_sdk_ses::Client {
        self.ses_v1_as(ACCESS_KEY, SECRET_KEY, 0)
    }

    /// The official v2 SDK client for this server, signing with `key`/`secret`.
    pub fn ses_v2_as(&self, key: &str, secret: &str) -> aws_sdk_sesv2::Client {
        use aws_sdk_sesv2::config::{BehaviorVersion, Region, retry::RetryConfig};
        let config = aws_sdk_sesv2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.config.region.clone()))
            .endpoint_url(self.url())
            .retry_config(RetryConfig::disabled())
            .credentials_provider(aws_credential_types::Credentials::new(
                key, secret, None, None, "test",
            ))
            .build();
        aws_sdk_sesv2::Client::from_conf(config)
    }

    /// The official v2 SDK client with the test credential.
    pub fn ses_v2(&self) -> aws_sdk_sesv2::Client {
        self.ses_v2_as(ACCESS_KEY, SECRET_KEY)
    }

    /// Stops the server and flushes its store.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.store.close().await;
    }

    /// A plain HTTP/1.1 request; answers (status, headers, body).
    pub async fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        http_request(self.addr, method, path, headers, body).await
    }

    /// GET a JSON document from the capture API.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.http("GET", path, &[], b"").await;
        assert_eq!(response.status, 200, "GET {path}: {}", response.text());
        serde_json::from_slice(&response.body).expect("JSON body")
    }
}

/// A received HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Minimal HTTP/1.1 client over a socket (Connection: close), enough for the capture API and
/// hand-made SES requests; written here to avoid a second HTTP client stack in the tests.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}

/// Logs to the test output when RUST_LOG is set (debugging aid).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Parses Prometheus text (format 0.0.4) into `series → value`, the series written as the
/// exposition writes it (`name{label="value"}`); comment lines are skipped.
pub fn parse_metrics(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("series and value");
            let value = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().expect("a number"),
            };
            (series.to_string(), value)
        })
        .collect()
}

impl TestServer {
    /// `GET /metrics`, parsed with [`parse_metrics`].
    pub async fn metrics(&self) -> HashMap<String, f64> {
        let response = self.http("GET", "/metrics", &[], b"").await;
        assert_eq!(response.status, 200, "GET /metrics: {}", response.text());
        parse_metrics(&response.text())
    }
}
