//! Real sockets and real TLS: lettre as the client through STARTTLS and AUTH, the connection cap
//! and shutdown of `serve`, and the STARTTLS command-injection rule.

mod common;

use std::sync::Arc;

use bounceguard_smtp::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use bounceguard_smtp::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use bounceguard_smtp::{SmtpConfig, SmtpService, serve};
use common::*;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

fn aws_lc() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A fresh self-signed certificate for "localhost" and a server config using it.
fn test_tls() -> (CertificateDer<'static>, Arc<ServerConfig>) {
    let Ok(certified) = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]) else {
        panic!("rcgen failed");
    };
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = ServerConfig::builder_with_provider(aws_lc())
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(vec![cert.clone()], key)
        });
    match config {
        Ok(config) => (cert, Arc::new(config)),
        Err(e) => panic!("server config: {e}"),
    }
}

struct Running {
    port: u16,
    recorder: Arc<Recorder>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn run(config: SmtpConfig) -> Running {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else {
        panic!("bind failed");
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let recorder = Arc::new(Recorder::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        config,
        credentials(),
        recorder.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    Running {
        port,
        recorder,
        stop,
        task,
    }
}

fn lettre_client(
    port: u16,
    cert: &CertificateDer<'static>,
    tls: bool,
    password: &str,
) -> AsyncSmtpTransport<Tokio1Executor> {
    let tls = if tls {
        let params = Certificate::from_der(cert.to_vec()).and_then(|c| {
            TlsParameters::builder("localhost".to_owned())
                .certificate_store(CertificateStore::None)
                .add_root_certificate(c)
                .build_rustls()
        });
        match params {
            Ok(p) => Tls::Required(p),
            Err(e) => panic!("tls params: {e}"),
        }
    } else {
        Tls::None
    };
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .tls(tls)
        .credentials(Credentials::new(USER.to_owned(), password.to_owned()))
        .build()
}

fn message() -> Message {
    let built = Message::builder()
        .from(
            "App <app@shop.example>"
                .parse()
                .unwrap_or_else(|_| panic!("from")),
        )
        .to("ann@example.com".parse().unwrap_or_else(|_| panic!("to")))
        .to("bob@real.example".parse().unwrap_or_else(|_| panic!("to")))
        .subject("hello")
        .body(String::from("Hello over STARTTLS.\r\n.leading dot\r\n"));
    built.unwrap_or_else(|e| panic!("message: {e}"))
}

#[tokio::test]
async fn lettre_sends_through_starttls_and_auth() {
    let (cert, tls) = test_tls();
    let server = run(SmtpConfig {
        tls: Some(tls),
        auth_required: true,
        ..SmtpConfig::default()
    })
    .await;

    // The secret itself, then the derived SES SMTP password: both are accepted.
    for (n, password) in [SECRET, "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"]
        .into_iter()
        .enumerate()
    {
        let mailer = lettre_client(server.port, &cert, true, password);
        let response = match mailer.send(message()).await {
            Ok(r) => r,
            Err(e) => panic!("send failed: {e}"),
        };
        assert!(response.is_positive());
        assert_eq!(
            response.first_line(),
            Some(format!("Ok msg-{}", n + 1).as_str())
        );
    }

    let sent = server.recorder.taken();
    assert_eq!(sent.len(), 2);
    let e = &sent[0];
    assert!(e.tls, "the message came over TLS");
    assert_eq!(e.principal.as_deref(), Some(PRINCIPAL));
    assert_eq!(e.mail_from, "app@shop.example");
    assert_eq!(e.rcpt_to, ["ann@example.com", "bob@real.example"]);
    let text = String::from_utf8_lossy(&e.data);
    assert!(text.contains("Subject: hello\r\n"));
    // lettre stuffs the leading dot, the server removes it again.
    assert!(text.contains("\r\n.leading dot\r\n"), "{text}");
    assert!(e.peer.ip().is_loopback());

    let _ = server.stop.send(());
    assert!(matches!(server.task.await, Ok(Ok(()))));
}

#[tokio::test]
async fn lettre_without_tls_cannot_authenticate() {
    let (cert, tls) = test_tls();
    let server = run(SmtpConfig {
        tls: Some(tls),
        auth_required: true,
        ..SmtpConfig::default()
    })
    .await;
    let mailer = lettre_client(server.port, &cert, false, SECRET);
    // AUTH is not offered before STARTTLS, so lettre has no mechanism to use.
    assert!(mailer.send(message()).await.is_err());
    assert!(server.recorder.taken().is_empty());
    let _ = server.stop.send(());
    assert!(matches!(server.task.await, Ok(Ok(()))));
}

#[tokio::test]
async fn connection_cap_and_shutdown() {
    let server = run(SmtpConfig {
        max_connections: 1,
        ..SmtpConfig::default()
    })
    .await;
    let Ok(first) = TcpStream::connect(("127.0.0.1", server.port)).await else {
        panic!("connect");
    };
    let mut first = BufReader::new(first);
    let mut line = String::new();
    first.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "220 bounceguard ESMTP bounceguard\r\n");

    let Ok(mut second) = TcpStream::connect(("127.0.0.1", server.port)).await else {
        panic!("connect");
    };
    let mut refused = String::new();
    second
        .read_to_string(&mut refused)
        .await
        .unwrap_or_default();
    assert_eq!(refused, "421 Too many concurrent SMTP connections\r\n");

    let _ = server.stop.send(());
    line.clear();
    first.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "421 Service shutting down\r\n");
    assert!(matches!(server.task.await, Ok(Ok(()))));
}

#[tokio::test]
async fn commands_pipelined_after_starttls_are_dropped() {
    let (cert, tls) = test_tls();
    let service = SmtpService::new(
        SmtpConfig {
            tls: Some(tls),
            ..SmtpConfig::default()
        },
        credentials(),
        Arc::new(Recorder::default()),
    );
    let (client, server) = tokio::io::duplex(1 << 16);
    let session = tokio::spawn(async move { service.handle(server, peer()).await });
    let mut client = BufReader::new(client);
    let mut line = String::new();
    client.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "220 bounceguard ESMTP bounceguard\r\n");
    client
        .get_mut()
        .write_all(b"EHLO c\r\n")
        .await
        .unwrap_or_default();
    let mut ehlo = String::new();
    loop {
        line.clear();
        client.read_line(&mut line).await.unwrap_or_default();
        ehlo.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    }
    assert!(ehlo.contains("STARTTLS\r\n"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "no AUTH before TLS: {ehlo}");

    // An attacker's MAIL FROM rides in the same packet as STARTTLS.
    client
        .get_mut()
        .write_all(b"STARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\n")
        .await
        .unwrap_or_default();
    line.clear();
    client.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "220 Ready to start TLS\r\n");

    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap_or_default();
    let config = ClientConfig::builder_with_provider(aws_lc())
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    let Ok(config) = config else {
        panic!("client config")
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let Ok(name) = ServerName::try_from("localhost") else {
        panic!("name")
    };
    let tls = match connector.connect(name, client.into_inner()).await {
        Ok(s) => s,
        Err(e) => panic!("handshake: {e}"),
    };
    let mut tls = BufReader::new(tls);
    // Had the injected MAIL been kept, its reply (503: no EHLO after TLS yet) would come first.
    tls.get_mut()
        .write_all(b"EHLO c\r\n")
        .await
        .unwrap_or_default();
    let mut ehlo = String::new();
    loop {
        line.clear();
        tls.read_line(&mut line).await.unwrap_or_default();
        ehlo.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    }
    assert!(ehlo.starts_with("250-bounceguard\r\n"), "{ehlo}");
    assert!(ehlo.ends_with("250 AUTH PLAIN LOGIN\r\n"), "{ehlo}");
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    // And no transaction was opened by it: our own MAIL is not a nested one.
    tls.get_mut()
        .write_all(b"MAIL FROM:<a@shop.example>\r\n")
        .await
        .unwrap_or_default();
    line.clear();
    tls.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "250 Ok\r\n");
    tls.get_mut()
        .write_all(b"QUIT\r\n")
        .await
        .unwrap_or_default();
    line.clear();
    tls.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "221 Bye\r\n");
    assert!(matches!(session.await, Ok(Ok(()))));
}

#[tokio::test(start_paused = true)]
async fn a_stalled_tls_handshake_is_timed_out() {
    let (_cert, tls) = test_tls();
    let service = SmtpService::new(
        SmtpConfig {
            tls: Some(tls),
            idle_timeout: std::time::Duration::from_secs(30),
            ..SmtpConfig::default()
        },
        credentials(),
        Arc::new(Recorder::default()),
    );
    let (client, server) = tokio::io::duplex(1 << 16);
    let session = tokio::spawn(async move { service.handle(server, peer()).await });
    let mut client = BufReader::new(client);
    let mut line = String::new();
    client.read_line(&mut line).await.unwrap_or_default();
    client
        .get_mut()
        .write_all(b"STARTTLS\r\n")
        .await
        .unwrap_or_default();
    line.clear();
    client.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "220 Ready to start TLS\r\n");
    // The client never starts the handshake; paused time runs ahead to the timeout.
    let ended = session.await;
    assert!(
        matches!(ended, Ok(Err(bounceguard_smtp::SessionError::Tls(ref e))) if e.kind() == std::io::ErrorKind::TimedOut),
        "{ended:?}"
    );
    drop(client);
}
