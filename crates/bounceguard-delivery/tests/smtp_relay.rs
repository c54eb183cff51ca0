//! The SMTP relay transport against a real SMTP server: the workspace's own listener
//! (`bounceguard_smtp::serve`) on 127.0.0.1:0 with a Submitter that records envelopes or
//! answers a fixed reply.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bounceguard_core::ErrorCode;
use bounceguard_delivery::{Outgoing, RetryBudget, SmtpRelay, SmtpRelayConfig, Transport};
use bounceguard_smtp::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use bounceguard_smtp::rustls::{self, ServerConfig};
use bounceguard_smtp::{Authenticator, BoxFuture, Envelope, Reply, SmtpConfig, Submitter, serve};
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const USER: &str = "relay-user";
const PASSWORD: &str = "relay p@ss";

/// Records every envelope; answers `Ok` or the configured failure reply.
struct Recorder {
    envelopes: Mutex<Vec<Envelope>>,
    answer: Option<Reply>,
}

impl Submitter for Recorder {
    fn submit(&self, envelope: Envelope) -> BoxFuture<'_, Result<String, Reply>> {
        self.envelopes.lock().expect("lock").push(envelope);
        let answer = match &self.answer {
            None => Ok("relay-side-id".to_owned()),
            Some(reply) => Err(reply.clone()),
        };
        Box::pin(async move { answer })
    }
}

/// Accepts exactly USER / PASSWORD.
struct OneUser;

impl Authenticator for OneUser {
    fn authenticate<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Option<String>> {
        let ok = username == USER && password == PASSWORD;
        Box::pin(async move { ok.then(|| USER.to_owned()) })
    }
}

struct Relay {
    port: u16,
    recorder: Arc<Recorder>,
    _stop: oneshot::Sender<()>,
}

async fn relay(answer: Option<Reply>, auth_required: bool) -> Relay {
    relay_with(
        SmtpConfig {
            auth_required,
            allow_plaintext_auth: true,
            ..SmtpConfig::default()
        },
        answer,
    )
    .await
}

async fn relay_with(config: SmtpConfig, answer: Option<Reply>) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let recorder = Arc::new(Recorder {
        envelopes: Mutex::new(Vec::new()),
        answer,
    });
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(
        listener,
        config,
        Arc::new(OneUser),
        Arc::clone(&recorder) as Arc<dyn Submitter>,
        async {
            let _ = stopped.await;
        },
    ));
    Relay {
        port,
        recorder,
        _stop: stop,
    }
}

fn budget(max_attempts: u32) -> RetryBudget {
    RetryBudget {
        max_attempts,
        max_total: Duration::from_secs(20),
        attempt_timeout: Duration::from_secs(5),
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    }
}

fn transport(url: &str, max_attempts: u32) -> SmtpRelay {
    let mut config = SmtpRelayConfig::new(url);
    config.retry = budget(max_attempts);
    SmtpRelay::new(&config).expect("valid relay URL")
}

/// A message whose headers name a Cc recipient that is *not* in the envelope (captured by the
/// guard), with a line starting with a dot to check dot-stuffing both ways.
fn message(id: &str) -> Outgoing {
    Outgoing {
        message_id_hint: id.to_owned(),
        from: "Shop <no-reply@shop.example>".to_owned(),
        recipients: vec!["ann@real.example".to_owned(), "bob@real.example".to_owned()],
        raw: Bytes::from_static(
            b"From: Shop <no-reply@shop.example>\r\nTo: ann@real.example, bob@real.example\r\nCc: cap@example.com\r\nSubject: Hi\r\n\r\nHello\r\n.leading dot\r\n..two dots\r\n",
        ),
        configuration_set: Some("tx".to_owned()),
        tags: vec![],
    }
}

#[tokio::test]
async fn envelope_and_bytes_reach_the_relay_unchanged() {
    let relay = relay(None, false).await;
    let smtp = transport(&format!("smtp://127.0.0.1:{}", relay.port), 3);
    let msg = message("ours-1");

    let sent = smtp.send(&msg).await.expect("relay accepts");

    assert_eq!(
        sent.message_id, "ours-1",
        "the relay has no id of SES's: ours"
    );
    assert_eq!(sent.attempts, 1);
    let envelopes = relay.recorder.envelopes.lock().expect("lock");
    assert_eq!(envelopes.len(), 1);
    assert_eq!(envelopes[0].mail_from, "no-reply@shop.example");
    assert_eq!(
        envelopes[0].rcpt_to,
        vec!["ann@real.example".to_owned(), "bob@real.example".to_owned()]
    );
    assert_eq!(envelopes[0].data, msg.raw);
    assert_eq!(envelopes[0].principal, None);
    assert_eq!(smtp.name(), "smtp");
}

#[tokio::test]
async fn auth_from_url_userinfo_and_pooled_reuse() {
    let relay = relay(None, true).await;
    // The password is percent-encoded in the URL: space → %20, @ → %40.
    let url = format!("smtp://{USER}:relay%20p%40ss@127.0.0.1:{}", relay.port);
    let smtp = transport(&url, 1);

    let first = smtp.send(&message("ours-1")).await.expect("first");
    // lettre parks a used connection from a spawned task; give it a moment to get back.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = smtp.send(&message("ours-2")).await.expect("second");

    assert_eq!(
        (first.message_id.as_str(), second.message_id.as_str()),
        ("ours-1", "ours-2")
    );
    let envelopes = relay.recorder.envelopes.lock().expect("lock");
    assert_eq!(envelopes.len(), 2);
    for envelope in envelopes.iter() {
        assert_eq!(envelope.principal.as_deref(), Some(USER));
    }
    // The pool reuses one connection: both messages come from the same client port.
    assert_eq!(envelopes[0].peer, envelopes[1].peer);
}

#[tokio::test]
async fn wrong_relay_password_is_an_internal_failure() {
    let relay = relay(None, true).await;
    let url = format!("smtp://{USER}:wrong@127.0.0.1:{}", relay.port);
    let smtp = transport(&url, 3);

    let error = smtp.send(&message("ours-1")).await.expect_err("535");

    assert_eq!(error.error.code, ErrorCode::InternalFailure);
    assert_eq!(error.attempts, 1, "a credential error is not retried");
    assert!(relay.recorder.envelopes.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn relay_550_maps_to_message_rejected_with_its_text() {
    let relay = relay(
        Some(Reply::new(
            550,
            [5, 1, 1],
            "Mailbox unavailable: ann@real.example",
        )),
        false,
    )
    .await;
    let smtp = transport(&format!("smtp://127.0.0.1:{}", relay.port), 3);

    let error = smtp.send(&message("ours-1")).await.expect_err("550");

    assert_eq!(error.error.code, ErrorCode::MessageRejected);
    assert_eq!(error.error.message, "Mailbox unavailable: ann@real.example");
    assert_eq!(error.attempts, 1);
    assert!(!error.temporary && !error.exhausted);
    assert_eq!(relay.recorder.envelopes.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn relay_451_is_temporary_and_retried_within_the_budget() {
    let relay = relay(Some(Reply::new(451, [4, 3, 0], "Try again later")), false).await;
    let smtp = transport(&format!("smtp://127.0.0.1:{}", relay.port), 2);

    let error = smtp.send(&message("ours-1")).await.expect_err("451");

    assert_eq!(error.error.code, ErrorCode::Throttling);
    assert_eq!(error.error.message, "Try again later");
    assert!(error.temporary);
    assert!(error.exhausted);
    assert_eq!(error.attempts, 2);
    assert_eq!(relay.recorder.envelopes.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn unreachable_relay_is_service_unavailable() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr").port()
    };
    let smtp = transport(&format!("smtp://127.0.0.1:{port}"), 2);

    let error = smtp
        .send(&message("ours-1"))
        .await
        .expect_err("closed port");

    assert_eq!(error.error.code, ErrorCode::ServiceUnavailable);
    assert_eq!(error.attempts, 2);
    assert!(error.temporary);
}

/// A fresh self-signed certificate for "localhost" (DER) and a rustls server config using it.
fn test_tls() -> (Vec<u8>, Arc<ServerConfig>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert.clone()], key)
    .expect("server config");
    (cert.to_vec(), Arc::new(config))
}

#[tokio::test]
async fn required_starttls_then_auth_with_a_private_ca() {
    let (cert, tls) = test_tls();
    let relay = relay_with(
        SmtpConfig {
            tls: Some(tls),
            auth_required: true,
            allow_plaintext_auth: false,
            ..SmtpConfig::default()
        },
        None,
    )
    .await;
    let mut config = SmtpRelayConfig::new(format!(
        "smtp://{USER}:relay%20p%40ss@localhost:{}?tls=required",
        relay.port
    ));
    config.retry = budget(1);
    config.root_certificates = vec![cert];
    let smtp = SmtpRelay::new(&config).expect("valid relay config");
    let msg = message("ours-tls");

    let sent = smtp.send(&msg).await.expect("sent over STARTTLS");

    assert_eq!(sent.message_id, "ours-tls");
    let envelopes = relay.recorder.envelopes.lock().expect("lock");
    assert_eq!(envelopes.len(), 1);
    assert!(envelopes[0].tls, "the message travelled after STARTTLS");
    assert_eq!(envelopes[0].principal.as_deref(), Some(USER));
    assert_eq!(envelopes[0].data, msg.raw);
}

#[tokio::test]
async fn required_starttls_never_falls_back_to_plaintext() {
    // The relay offers no STARTTLS at all.
    let relay = relay(None, false).await;
    let (cert, _) = test_tls();
    let mut config = SmtpRelayConfig::new(format!("smtp://localhost:{}?tls=required", relay.port));
    config.retry = budget(2);
    config.root_certificates = vec![cert];
    let smtp = SmtpRelay::new(&config).expect("valid relay config");

    let error = smtp
        .send(&message("ours-1"))
        .await
        .expect_err("no STARTTLS");

    assert_eq!(error.error.code, ErrorCode::InternalFailure);
    assert!(relay.recorder.envelopes.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn untrusted_certificate_is_refused() {
    let (_, tls) = test_tls();
    let relay = relay_with(
        SmtpConfig {
            tls: Some(tls),
            ..SmtpConfig::default()
        },
        None,
    )
    .await;
    // No extra root: the platform's roots do not know the self-signed certificate.
    let smtp = transport(&format!("smtp://localhost:{}?tls=required", relay.port), 3);

    let error = smtp.send(&message("ours-1")).await.expect_err("untrusted");

    assert_eq!(error.error.code, ErrorCode::InternalFailure);
    assert_eq!(error.attempts, 1, "a certificate failure is not retried");
    assert!(relay.recorder.envelopes.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn opportunistic_tls_sends_in_plaintext_when_not_offered() {
    let relay = relay(None, false).await;
    let smtp = transport(
        &format!("smtp://127.0.0.1:{}?tls=opportunistic", relay.port),
        1,
    );

    smtp.send(&message("ours-1")).await.expect("sent");

    let envelopes = relay.recorder.envelopes.lock().expect("lock");
    assert_eq!(envelopes.len(), 1);
    assert!(!envelopes[0].tls);
}
