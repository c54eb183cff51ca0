//! Shared test doubles: a recording submitter, a credential table and an in-memory client.

#![allow(dead_code, missing_docs)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bounceguard_core::{ErrorCode, SesError};
use bounceguard_smtp::{
    BoxFuture, CredentialTable, Envelope, Reply, SmtpConfig, SmtpService, Submitter,
};
use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf,
};
use tokio::task::JoinHandle;

pub const USER: &str = "AKIAEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const PRINCIPAL: &str = "arn:aws:iam::111122223333:user/app";
pub const DENIED_TEXT: &str = "User `arn:aws:iam::111122223333:user/app' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:eu-west-1:111122223333:identity/shop.example'";

/// Records every envelope; answers `msg-N`, or AccessDenied for a recipient starting "denied@".
#[derive(Default)]
pub struct Recorder {
    pub envelopes: Mutex<Vec<Envelope>>,
}

impl Recorder {
    pub fn taken(&self) -> Vec<Envelope> {
        self.envelopes.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Submitter for Recorder {
    fn submit(&self, envelope: Envelope) -> BoxFuture<'_, Result<String, Reply>> {
        Box::pin(async move {
            if envelope.rcpt_to.iter().any(|r| r.starts_with("denied@")) {
                return Err(Reply::from(SesError::new(
                    ErrorCode::AccessDenied,
                    DENIED_TEXT,
                )));
            }
            let mut all = self
                .envelopes
                .lock()
                .map_err(|_| Reply::temporary_failure())?;
            all.push(envelope);
            Ok(format!("msg-{}", all.len()))
        })
    }
}

pub fn credentials() -> Arc<CredentialTable> {
    let mut table = CredentialTable::new(["us-east-1"]);
    table.insert(USER, SECRET, PRINCIPAL);
    Arc::new(table)
}

pub fn peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 10], 40000))
}

/// A client end of an in-memory session, reading replies line by line.
pub struct Client {
    reader: BufReader<ReadHalf<DuplexStream>>,
    writer: WriteHalf<DuplexStream>,
    pub recorder: Arc<Recorder>,
    pub task: JoinHandle<Result<(), bounceguard_smtp::SessionError>>,
}

pub fn start(config: SmtpConfig) -> Client {
    let recorder = Arc::new(Recorder::default());
    let service = SmtpService::new(config, credentials(), recorder.clone());
    let (client, server) = tokio::io::duplex(1 << 20);
    let task = tokio::spawn(async move { service.handle(server, peer()).await });
    let (read, writer) = tokio::io::split(client);
    Client {
        reader: BufReader::new(read),
        writer,
        recorder,
        task,
    }
}

impl Client {
    /// Writes raw bytes.
    pub async fn send(&mut self, bytes: &str) {
        self.writer
            .write_all(bytes.as_bytes())
            .await
            .unwrap_or_default();
    }

    /// Reads one whole reply (all its lines), CRLFs included; empty on EOF.
    pub async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).await.unwrap_or(0);
            if n == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    /// Asserts the next reply is exactly `expected` (one line, CRLF added here).
    pub async fn expect(&mut self, expected: &str) {
        let got = self.reply().await;
        assert_eq!(got, format!("{expected}\r\n"));
    }

    /// Sends one command line and asserts the reply.
    pub async fn cmd(&mut self, line: &str, expected: &str) {
        self.send(&format!("{line}\r\n")).await;
        self.expect(expected).await;
    }

    /// Reads until the server closes; returns what it still sent.
    pub async fn rest(&mut self) -> String {
        let mut rest = String::new();
        let _ = self.reader.read_to_string(&mut rest).await;
        rest
    }
}

pub fn plain(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

pub fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
