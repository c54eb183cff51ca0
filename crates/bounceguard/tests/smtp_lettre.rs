//! The SMTP door with `lettre` as the client (the Rust mail client applications use), against
//! the `bounceguard serve` binary: STARTTLS (a certificate made here with rcgen, trusted by the
//! client as its only extra root), AUTH with the SES SMTP password derived from the secret key,
//! then sends to a real domain and to @example.com through one pooled transport (one message
//! each, then one message to both), each checked in the capture API's decision log.

mod common;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ACCESS_KEY, PRINCIPAL, SECRET_KEY, http_request};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::response::Response;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::Value;

const REGION: &str = "eu-west-1";

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A `bounceguard serve` process; killed when dropped.
struct Served {
    child: Child,
    http: SocketAddr,
    smtp: u16,
    cert_pem: String,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
}

async fn serve() -> Served {
    let dir = tempfile::tempdir().expect("tempdir");
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let cert_pem = certified.cert.pem();
    write(&dir.path().join("cert.pem"), &cert_pem);
    write(
        &dir.path().join("key.pem"),
        &certified.signing_key.serialize_pem(),
    );
    let (http, smtp) = (free_port(), free_port());
    let config = format!(
        "listen = \"127.0.0.1:{http}\"\nsmtp_listen = \"127.0.0.1:{smtp}\"\n\
         database = \"sqlite://{db}\"\naccount_id = \"123456789012\"\nregion = \"{REGION}\"\n\
         identities = [\"shop.example\"]\n\
         [[credentials]]\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\nprincipal = \"{PRINCIPAL}\"\n\
         [smtp]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
        db = dir.path().join("bg.db").display(),
    );
    let config_path = dir.path().join("bounceguard.toml");
    write(&config_path, &config);
    let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
    let child = Command::new(env!("CARGO_BIN_EXE_bounceguard"))
        .args(["serve", "--config"])
        .arg(&config_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start bounceguard");
    let served = Served {
        child,
        http: SocketAddr::from(([127, 0, 0, 1], http)),
        smtp,
        cert_pem,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if tokio::net::TcpStream::connect(served.http).await.is_ok()
            && tokio::net::TcpStream::connect(("127.0.0.1", smtp))
                .await
                .is_ok()
        {
            return served;
        }
        assert!(Instant::now() < deadline, "bounceguard did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// lettre over STARTTLS (required) to the listener, trusting the test certificate for
/// "localhost", with AUTH `mechanism` and `password`; one pooled connection.
fn client(
    served: &Served,
    mechanism: Mechanism,
    password: &str,
) -> AsyncSmtpTransport<Tokio1Executor> {
    let certificate = Certificate::from_pem(served.cert_pem.as_bytes()).expect("PEM");
    let tls = TlsParameters::builder("localhost".to_owned())
        .add_root_certificate(certificate)
        .build_rustls()
        .expect("TLS parameters");
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(served.smtp)
        .tls(Tls::Required(tls))
        .credentials(Credentials::new(ACCESS_KEY.to_owned(), password.to_owned()))
        .authentication(vec![mechanism])
        .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(1))
        .build()
}

fn message(to: &str, subject: &str) -> Message {
    Message::builder()
        .from(
            "Shop <no-reply@shop.example>"
                .parse::<Mailbox>()
                .expect("from"),
        )
        .to(to.parse::<Mailbox>().expect("to"))
        .subject(subject)
        .body("Your code is 123456\n".to_owned())
        .expect("message")
}

/// The MessageId in `250 2.0.0 Ok <id>`.
fn message_id(response: &Response) -> String {
    assert_eq!(u16::from(response.code()), 250);
    let text = response.message().collect::<Vec<_>>().join(" ");
    text.split_whitespace().last().expect("an id").to_owned()
}

async fn decision_log(served: &Served, id: &str) -> Value {
    let response = http_request(
        served.http,
        "GET",
        &format!("/api/v1/messages/{id}"),
        &[],
        b"",
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    serde_json::from_slice(&response.body).expect("JSON")
}

fn decisions(log: &Value) -> Vec<(String, String)> {
    log["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap_or_default().to_owned(),
                r["decision"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn starttls_auth_then_a_real_domain_and_example_com() {
    let served = serve().await;
    let password = bounceguard_smtp::ses_smtp_password(SECRET_KEY, REGION);
    let smtp = client(&served, Mechanism::Plain, &password);

    let real = smtp
        .send(message("ann@customer.org", "order shipped"))
        .await
        .expect("real domain accepted");
    let test = smtp
        .send(message("qa@example.com", "signup code"))
        .await
        .expect("example.com accepted (and captured)");

    let (real_id, test_id) = (message_id(&real), message_id(&test));
    assert_ne!(real_id, test_id);
    let real_log = decision_log(&served, &real_id).await;
    assert_eq!(
        decisions(&real_log),
        [("ann@customer.org".to_owned(), "deliver".to_owned())]
    );
    assert_eq!(real_log["operation"], "SendRawEmail");
    assert_eq!(real_log["principal"], PRINCIPAL);
    let test_log = decision_log(&served, &test_id).await;
    assert_eq!(
        decisions(&test_log),
        [("qa@example.com".to_owned(), "capture".to_owned())]
    );
    assert_eq!(test_log["subject"], "signup code");

    // Both in one transaction: the guard splits the recipients of the one message.
    let both = Message::builder()
        .from(
            "Shop <no-reply@shop.example>"
                .parse::<Mailbox>()
                .expect("from"),
        )
        .to("ann@customer.org".parse::<Mailbox>().expect("to"))
        .cc("qa@example.com".parse::<Mailbox>().expect("cc"))
        .subject("both")
        .body("hi\n".to_owned())
        .expect("message");
    let both = smtp.send(both).await.expect("accepted");
    let mut split = decisions(&decision_log(&served, &message_id(&both)).await);
    split.sort();
    assert_eq!(
        split,
        [
            ("ann@customer.org".to_owned(), "deliver".to_owned()),
            ("qa@example.com".to_owned(), "capture".to_owned())
        ]
    );
}

#[tokio::test]
async fn auth_login_with_the_secret_key_and_a_refused_password() {
    let served = serve().await;
    // AUTH LOGIN with the secret access key itself is accepted too.
    let smtp = client(&served, Mechanism::Login, SECRET_KEY);
    let sent = smtp
        .send(message("bob@partner.net", "login"))
        .await
        .expect("sent");
    let log = decision_log(&served, &message_id(&sent)).await;
    assert_eq!(
        decisions(&log),
        [("bob@partner.net".to_owned(), "deliver".to_owned())]
    );

    let wrong = client(&served, Mechanism::Plain, "not-the-password");
    let error = wrong
        .send(message("bob@partner.net", "wrong"))
        .await
        .expect_err("refused");
    assert_eq!(error.status().map(u16::from), Some(535), "{error}");
}
