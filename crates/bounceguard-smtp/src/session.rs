//! One SMTP submission session, generic over its stream so that tests drive it in memory.
//!
//! smtp-proto parses each command line and dot-unstuffs DATA; the state machine, the limits and
//! the replies are ours (no crate offers a submission server we could configure this way; see
//! DEPENDENCIES.md, "SMTP submission listener").
//!
//! Input is kept in one buffer and taken a line at a time, so pipelined commands are answered
//! in order and the replies of one batch go out in one write, just before the session waits for
//! more input (RFC 2920). Bytes the client sent after STARTTLS in the same packet are dropped
//! (RFC 3207 §4.2, the "STARTTLS command injection" problem).

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use bytes::{Buf, Bytes, BytesMut};
use smtp_proto::request::receiver::DataReceiver;
use smtp_proto::{AUTH_LOGIN, AUTH_PLAIN, MAIL_SMTPUTF8, Request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::auth::Authenticator;
use crate::config::SmtpConfig;
use crate::envelope::{Envelope, Submitter};
use crate::reply::Reply;

/// Why a session ended other than by QUIT, EOF or a limit (those end it with `Ok`).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Reading from or writing to the client failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS handshake after STARTTLS failed.
    #[error("TLS handshake failed: {0}")]
    Tls(std::io::Error),
}

/// Everything a session needs besides its stream: config, TLS acceptor, authenticator and
/// submitter. Cheap to clone (all shared parts are behind `Arc`).
#[derive(Clone)]
pub struct SmtpService {
    config: Arc<SmtpConfig>,
    tls: Option<TlsAcceptor>,
    auth: Arc<dyn Authenticator>,
    submitter: Arc<dyn Submitter>,
}

impl std::fmt::Debug for SmtpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SmtpService {
    /// Builds the service from a config and the two traits the application plugs in.
    pub fn new(
        config: SmtpConfig,
        auth: Arc<dyn Authenticator>,
        submitter: Arc<dyn Submitter>,
    ) -> Self {
        let tls = config.tls.clone().map(TlsAcceptor::from);
        Self {
            config: Arc::new(config),
            tls,
            auth,
            submitter,
        }
    }

    /// The config this service runs with.
    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    /// Serves one connection until QUIT, EOF, a limit or an error.
    pub async fn handle<S>(&self, stream: S, peer: SocketAddr) -> Result<(), SessionError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        // A sender that is never dropped nor changed: the session never sees a shutdown.
        let (_keep, shutdown) = watch::channel(false);
        self.handle_until(stream, peer, shutdown).await
    }

    /// Serves one connection; when `shutdown` turns true the session answers
    /// `421 Service shutting down` at its next wait for input and closes.
    pub async fn handle_until<S>(
        &self,
        mut stream: S,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), SessionError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let mut session = Session::new(self, peer, shutdown);
        session.push(&Reply::bare(
            220,
            format!("{} ESMTP bounceguard", self.config.hostname),
        ));
        match session.drive(&mut stream).await? {
            Flow::Close => {
                let _ = stream.shutdown().await;
                Ok(())
            }
            Flow::StartTls => {
                let Some(acceptor) = self.tls.clone() else {
                    return Ok(());
                };
                // The handshake is bounded by the idle timeout like any other wait for the client.
                let handshake =
                    tokio::time::timeout(self.config.idle_timeout, acceptor.accept(stream)).await;
                let mut tls = match handshake {
                    Ok(accepted) => accepted.map_err(SessionError::Tls)?,
                    Err(_elapsed) => {
                        return Err(SessionError::Tls(std::io::ErrorKind::TimedOut.into()));
                    }
                };
                session.start_tls();
                session.drive(&mut tls).await?;
                let _ = tls.shutdown().await;
                Ok(())
            }
        }
    }
}

/// What the session does after a batch of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Close,
    StartTls,
}

/// What the next input line means.
enum Mode {
    /// An SMTP command.
    Command,
    /// The base64 answer to `AUTH PLAIN` without an initial response.
    AuthPlain,
    /// The base64 username of `AUTH LOGIN`.
    AuthLoginUser,
    /// The base64 password of `AUTH LOGIN`, for this username.
    AuthLoginPass(String),
    /// Message text after `354`.
    Data(Box<DataState>),
}

/// Message text being received.
struct DataState {
    receiver: DataReceiver,
    message: Vec<u8>,
    /// Bytes of the current line so far (without its LF), for the line-length limit.
    line_len: usize,
    line_too_long: bool,
    too_large: bool,
}

impl DataState {
    fn new() -> Self {
        let mut receiver = DataReceiver::new();
        // smtp-proto's receiver only recognises a dot (stuffed or final) after a CRLF it has
        // seen. The text starts right after the CRLF of "DATA", so that CRLF is fed first and
        // then removed, letting an empty message (".\r\n" at once) and a first line starting
        // with a dot be read correctly.
        let mut message = Vec::new();
        receiver.ingest(&mut b"\r\n".iter(), &mut message);
        message.clear();
        Self {
            receiver,
            message,
            line_len: 0,
            line_too_long: false,
            too_large: false,
        }
    }
}

/// One line taken from the input buffer.
enum Line {
    Complete(Bytes),
    TooLong,
    Incomplete,
}

/// The state of the current mail transaction.
#[derive(Default)]
struct Transaction {
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    too_many_recipients: bool,
}

struct Session<'a> {
    service: &'a SmtpService,
    config: &'a SmtpConfig,
    peer: SocketAddr,
    shutdown: watch::Receiver<bool>,
    tls: bool,
    helo: Option<String>,
    principal: Option<String>,
    transaction: Transaction,
    mode: Mode,
    input: BytesMut,
    output: Vec<u8>,
    discarding_long_line: bool,
    commands: usize,
}

impl<'a> Session<'a> {
    fn new(service: &'a SmtpService, peer: SocketAddr, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            service,
            config: &service.config,
            peer,
            shutdown,
            tls: false,
            helo: None,
            principal: None,
            transaction: Transaction::default(),
            mode: Mode::Command,
            input: BytesMut::with_capacity(4096),
            output: Vec::with_capacity(1024),
            discarding_long_line: false,
            commands: 0,
        }
    }

    /// Forgets everything learnt before TLS, as RFC 3207 §4.2 requires.
    fn start_tls(&mut self) {
        self.tls = true;
        self.helo = None;
        self.principal = None;
        self.transaction = Transaction::default();
        self.mode = Mode::Command;
        self.input.clear();
        self.discarding_long_line = false;
    }

    fn push(&mut self, reply: &Reply) {
        self.output
            .extend_from_slice(reply.render(self.config.enhanced_status_codes).as_bytes());
    }

    /// Writes the pending replies. A client that stops reading is given the idle timeout too,
    /// so it cannot hold a connection slot forever.
    async fn flush<S: AsyncWrite + Unpin>(&mut self, stream: &mut S) -> std::io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        let write = async {
            stream.write_all(&self.output).await?;
            stream.flush().await
        };
        match tokio::time::timeout(self.config.idle_timeout, write).await {
            Ok(result) => result?,
            Err(_elapsed) => return Err(std::io::ErrorKind::TimedOut.into()),
        }
        self.output.clear();
        Ok(())
    }

    /// Runs until the session closes or asks for STARTTLS; every pending reply is flushed first.
    async fn drive<S>(&mut self, stream: &mut S) -> Result<Flow, SessionError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        loop {
            if let Some(flow) = self.process_input().await {
                if flow == Flow::StartTls {
                    // Pipelined bytes after STARTTLS must not be read as commands over TLS.
                    self.input.clear();
                }
                self.flush(stream).await?;
                return Ok(flow);
            }
            self.flush(stream).await?;

            self.input.reserve(4096);
            let read = tokio::select! {
                read = tokio::time::timeout(self.config.idle_timeout, stream.read_buf(&mut self.input)) => read,
                _ = wait_for_shutdown(&mut self.shutdown) => {
                    self.push(&Reply::new(421, [4, 3, 2], "Service shutting down"));
                    self.flush(stream).await?;
                    return Ok(Flow::Close);
                }
            };
            match read {
                Err(_elapsed) => {
                    self.push(&Reply::new(
                        451,
                        [4, 4, 2],
                        "Timeout waiting for data from client",
                    ));
                    self.flush(stream).await?;
                    return Ok(Flow::Close);
                }
                Ok(Ok(0)) => return Ok(Flow::Close),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// Handles every complete line (or message text) in the buffer. `Some` ends the session or
    /// starts TLS; `None` means more input is needed.
    async fn process_input(&mut self) -> Option<Flow> {
        loop {
            if matches!(self.mode, Mode::Data(_)) {
                let Mode::Data(state) = &mut self.mode else {
                    continue;
                };
                if !ingest_data(state, &mut self.input, self.config) {
                    return None;
                }
                let Mode::Data(state) = std::mem::replace(&mut self.mode, Mode::Command) else {
                    continue;
                };
                let reply = self.finish_data(*state).await;
                self.push(&reply);
                continue;
            }

            let line = match self.next_line() {
                Line::Incomplete => return None,
                Line::TooLong => None,
                Line::Complete(line) => Some(line),
            };
            self.commands += 1;
            if self.commands > self.config.max_commands {
                self.push(&Reply::new(421, [4, 7, 0], "Too many commands"));
                return Some(Flow::Close);
            }
            let Some(line) = line else {
                // An over-long line in the middle of an AUTH exchange ends the exchange too.
                self.mode = Mode::Command;
                self.push(&Reply::new(500, [5, 5, 2], "Line too long"));
                continue;
            };
            if let Some(flow) = self.process_line(&line).await {
                return Some(flow);
            }
        }
    }

    /// Takes the next line, LF included, from the buffer, enforcing the line-length limit.
    fn next_line(&mut self) -> Line {
        let max = self.config.max_line_length;
        let newline = self.input.iter().position(|&b| b == b'\n');
        if self.discarding_long_line {
            return match newline {
                Some(pos) => {
                    self.input.advance(pos + 1);
                    self.discarding_long_line = false;
                    Line::TooLong
                }
                None => {
                    self.input.clear();
                    Line::Incomplete
                }
            };
        }
        match newline {
            Some(pos) if pos < max => Line::Complete(self.input.split_to(pos + 1).freeze()),
            Some(pos) => {
                self.input.advance(pos + 1);
                Line::TooLong
            }
            None if self.input.len() >= max => {
                self.input.clear();
                self.discarding_long_line = true;
                Line::Incomplete
            }
            None => Line::Incomplete,
        }
    }

    async fn process_line(&mut self, line: &[u8]) -> Option<Flow> {
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Command | Mode::Data(_) => self.process_command(line).await,
            Mode::AuthPlain => {
                let reply = match decode_auth_line(line) {
                    Ok(decoded) => self.auth_plain(&decoded).await,
                    Err(reply) => reply,
                };
                self.push(&reply);
                None
            }
            Mode::AuthLoginUser => {
                match decode_auth_line(line).map(|user| String::from_utf8(user).ok()) {
                    Ok(Some(user)) => {
                        self.mode = Mode::AuthLoginPass(user);
                        self.push(&Reply::bare(334, "UGFzc3dvcmQ6"));
                    }
                    Ok(None) => self.push(&Reply::auth_invalid()),
                    Err(reply) => self.push(&reply),
                }
                None
            }
            Mode::AuthLoginPass(user) => {
                let reply = match decode_auth_line(line) {
                    Ok(password) => match String::from_utf8(password) {
                        Ok(password) => self.check_credentials(&user, &password).await,
                        Err(_) => Reply::auth_invalid(),
                    },
                    Err(reply) => reply,
                };
                self.push(&reply);
                None
            }
        }
    }

    async fn process_command(&mut self, line: &[u8]) -> Option<Flow> {
        let request = match Request::parse(&mut line.iter()) {
            Ok(request) => request,
            Err(error) => {
                self.push(&parse_error_reply(error));
                return None;
            }
        };
        let reply = match request {
            Request::Ehlo { host } => {
                self.helo = Some(host.into_owned());
                self.transaction = Transaction::default();
                self.output.extend_from_slice(self.ehlo_reply().as_bytes());
                return None;
            }
            Request::Helo { host } => {
                self.helo = Some(host.into_owned());
                self.transaction = Transaction::default();
                Reply::bare(250, self.config.hostname.clone())
            }
            // SES takes 7-bit addresses only (ses-spec §1.3, `Source`), so SMTPUTF8 is neither offered
            // nor accepted.
            Request::Mail { from } if from.flags & MAIL_SMTPUTF8 != 0 => {
                Reply::new(555, [5, 5, 4], "Unsupported parameter SMTPUTF8")
            }
            Request::Mail { from } => self.mail_from(&from.address, from.size),
            Request::Rcpt { to } => self.rcpt_to(&to.address),
            Request::Data => self.data(),
            Request::Rset => {
                self.transaction = Transaction::default();
                Reply::ok()
            }
            Request::Noop { .. } => Reply::ok(),
            Request::Quit => {
                self.push(&Reply::new(221, [2, 0, 0], "Bye"));
                return Some(Flow::Close);
            }
            // This server never confirms that a mailbox exists (issue 7).
            Request::Vrfy { .. } => Reply::new(252, [2, 5, 0], "Cannot VRFY user"),
            Request::Expn { .. } => Reply::new(502, [5, 5, 1], "Command not implemented"),
            Request::StartTls => {
                if self.tls {
                    Reply::new(503, [5, 5, 1], "Bad sequence of commands")
                } else if self.service.tls.is_none() {
                    Reply::new(454, [4, 7, 0], "TLS not available")
                } else {
                    self.push(&Reply::bare(220, "Ready to start TLS"));
                    return Some(Flow::StartTls);
                }
            }
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, &initial_response).await,
            Request::Lhlo { .. }
            | Request::Bdat { .. }
            | Request::Help { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. } => Reply::new(502, [5, 5, 1], "Command not implemented"),
        };
        self.push(&reply);
        None
    }

    /// The multi-line EHLO reply. Written by hand rather than with smtp-proto's `EhloResponse`
    /// so that the first line and the extension order are ours and stable for transcripts.
    fn ehlo_reply(&self) -> String {
        let mut lines = vec![self.config.hostname.clone()];
        lines.push(format!("SIZE {}", self.config.max_message_size));
        lines.push("8BITMIME".to_owned());
        lines.push("PIPELINING".to_owned());
        if self.config.enhanced_status_codes {
            lines.push("ENHANCEDSTATUSCODES".to_owned());
        }
        if !self.tls && self.service.tls.is_some() {
            lines.push("STARTTLS".to_owned());
        }
        if self.tls || self.config.allow_plaintext_auth {
            lines.push("AUTH PLAIN LOGIN".to_owned());
        }
        let last = lines.len() - 1;
        lines
            .iter()
            .enumerate()
            .map(|(i, line)| format!("250{}{line}\r\n", if i == last { ' ' } else { '-' }))
            .collect()
    }

    fn mail_from(&mut self, address: &str, size: usize) -> Reply {
        if self.helo.is_none() || self.transaction.mail_from.is_some() {
            return Reply::new(503, [5, 5, 1], "Bad sequence of commands");
        }
        if self.config.auth_required && self.principal.is_none() {
            return Reply::new(530, [5, 7, 0], "Authentication required");
        }
        // smtp-proto reports a missing SIZE parameter as 0.
        if size > self.config.max_message_size {
            return self.too_large_reply();
        }
        self.transaction.mail_from = Some(address.to_owned());
        Reply::new(250, [2, 1, 0], "Ok")
    }

    fn rcpt_to(&mut self, address: &str) -> Reply {
        if self.transaction.mail_from.is_none() {
            return Reply::new(503, [5, 5, 1], "Bad sequence of commands");
        }
        if address.is_empty() {
            return Reply::new(501, [5, 1, 3], "Invalid RCPT TO address");
        }
        if self.transaction.rcpt_to.len() >= self.config.max_recipients {
            // RFC 5321 §4.5.3.1.10 answers an extra recipient with 452; the transaction is also
            // marked so that its DATA is refused, because SES refuses the whole message.
            self.transaction.too_many_recipients = true;
            return Reply::new(452, [4, 5, 3], self.recipient_limit_text());
        }
        self.transaction.rcpt_to.push(address.to_owned());
        Reply::new(250, [2, 1, 5], "Ok")
    }

    /// SES's text for too many recipients (the wording the v1 and v2 fronts use).
    fn recipient_limit_text(&self) -> String {
        format!("Recipient count exceeds {}.", self.config.max_recipients)
    }

    fn data(&mut self) -> Reply {
        if self.transaction.mail_from.is_none() || self.transaction.rcpt_to.is_empty() {
            return Reply::new(503, [5, 5, 1], "Bad sequence of commands");
        }
        if self.transaction.too_many_recipients {
            let text = self.recipient_limit_text();
            self.transaction = Transaction::default();
            return Reply::transaction_failed(&text);
        }
        self.mode = Mode::Data(Box::new(DataState::new()));
        Reply::bare(354, "End data with <CR><LF>.<CR><LF>")
    }

    fn too_large_reply(&self) -> Reply {
        Reply::new(
            552,
            [5, 3, 4],
            format!(
                "Transaction failed: Message length is more than {} bytes long.",
                self.config.max_message_size
            ),
        )
    }

    async fn finish_data(&mut self, state: DataState) -> Reply {
        let transaction = std::mem::take(&mut self.transaction);
        if state.line_too_long {
            return Reply::new(500, [5, 5, 2], "Line too long");
        }
        if state.too_large {
            return self.too_large_reply();
        }
        let envelope = Envelope {
            mail_from: transaction.mail_from.unwrap_or_default(),
            rcpt_to: transaction.rcpt_to,
            data: Bytes::from(state.message),
            principal: self.principal.clone(),
            peer: self.peer,
            tls: self.tls,
        };
        match self.service.submitter.submit(envelope).await {
            Ok(message_id) => Reply::queued(&message_id),
            Err(reply) => reply,
        }
    }

    async fn auth(&mut self, mechanism: u64, initial_response: &str) -> Reply {
        if self.helo.is_none() || self.transaction.mail_from.is_some() || self.principal.is_some() {
            return Reply::new(503, [5, 5, 1], "Bad sequence of commands");
        }
        if !self.tls && !self.config.allow_plaintext_auth {
            return Reply::new(530, [5, 7, 0], "Must issue a STARTTLS command first");
        }
        // "=" is RFC 4954's way of sending an empty initial response.
        let initial = match initial_response {
            "" => None,
            "=" => Some(Vec::new()),
            text => match decode_base64(text.as_bytes()) {
                Some(bytes) => Some(bytes),
                None => return invalid_base64(),
            },
        };
        match mechanism {
            AUTH_PLAIN => match initial {
                Some(response) => self.auth_plain(&response).await,
                None => {
                    self.mode = Mode::AuthPlain;
                    Reply::bare(334, "")
                }
            },
            AUTH_LOGIN => match initial.map(String::from_utf8) {
                Some(Ok(user)) => {
                    self.mode = Mode::AuthLoginPass(user);
                    Reply::bare(334, "UGFzc3dvcmQ6")
                }
                Some(Err(_)) => Reply::auth_invalid(),
                None => {
                    self.mode = Mode::AuthLoginUser;
                    Reply::bare(334, "VXNlcm5hbWU6")
                }
            },
            _ => Reply::new(504, [5, 5, 4], "Unrecognized authentication type"),
        }
    }

    /// Checks a decoded PLAIN response: `authzid NUL authcid NUL password`.
    async fn auth_plain(&mut self, response: &[u8]) -> Reply {
        let mut parts = response.split(|&b| b == 0);
        let (Some(authzid), Some(user), Some(password), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Reply::new(501, [5, 5, 2], "Syntax error in AUTH PLAIN response");
        };
        // Acting for another identity is not supported; only an empty or identical authzid.
        if !authzid.is_empty() && authzid != user {
            return Reply::auth_invalid();
        }
        match (std::str::from_utf8(user), std::str::from_utf8(password)) {
            (Ok(user), Ok(password)) => self.check_credentials(user, password).await,
            _ => Reply::auth_invalid(),
        }
    }

    async fn check_credentials(&mut self, user: &str, password: &str) -> Reply {
        match self.service.auth.authenticate(user, password).await {
            Some(principal) => {
                self.principal = Some(principal);
                Reply::new(235, [2, 7, 0], "Authentication successful")
            }
            None => Reply::auth_invalid(),
        }
    }
}

/// Feeds buffered input to the DATA receiver; true once the final dot has been read.
fn ingest_data(state: &mut DataState, input: &mut BytesMut, config: &SmtpConfig) -> bool {
    let mut bytes = input.iter();
    let done = state.receiver.ingest(&mut bytes, &mut state.message);
    let consumed = input.len() - bytes.as_slice().len();
    for &b in &input[..consumed] {
        if b == b'\n' {
            state.line_len = 0;
        } else {
            state.line_len += 1;
            // The limit counts the LF too, as for command lines.
            if state.line_len >= config.max_line_length {
                state.line_too_long = true;
            }
        }
    }
    input.advance(consumed);
    if state.message.len() > config.max_message_size {
        // Keep reading to the final dot, but stop keeping the text.
        state.too_large = true;
        state.message.clear();
    }
    if state.too_large || state.line_too_long {
        state.message.clear();
    }
    done
}

fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn invalid_base64() -> Reply {
    Reply::new(501, [5, 5, 2], "Invalid base64 data")
}

/// Decodes one line of an AUTH exchange; `*` cancels it (RFC 4954 §4).
fn decode_auth_line(line: &[u8]) -> Result<Vec<u8>, Reply> {
    let trimmed = line.trim_ascii_end();
    if trimmed == b"*" {
        return Err(Reply::new(501, [5, 0, 0], "Authentication cancelled"));
    }
    decode_base64(trimmed).ok_or_else(invalid_base64)
}

fn parse_error_reply(error: smtp_proto::Error) -> Reply {
    use smtp_proto::Error;
    match error {
        Error::UnknownCommand => Reply::new(500, [5, 5, 1], "Unrecognized command"),
        Error::InvalidSenderAddress => Reply::new(501, [5, 1, 7], "Invalid MAIL FROM address"),
        Error::InvalidRecipientAddress => Reply::new(501, [5, 1, 3], "Invalid RCPT TO address"),
        Error::SyntaxError { syntax } => Reply::new(501, [5, 5, 2], format!("Syntax: {syntax}")),
        Error::InvalidParameter { param } => {
            Reply::new(501, [5, 5, 4], format!("Invalid parameter {param}"))
        }
        Error::UnsupportedParameter { param } => {
            Reply::new(555, [5, 5, 4], format!("Unsupported parameter {param}"))
        }
        Error::NeedsMoreData { .. } | Error::ResponseTooLong | Error::InvalidResponse { .. } => {
            Reply::new(500, [5, 5, 2], "Syntax error")
        }
    }
}

/// Resolves when the shutdown flag turns true; never when its sender is gone without it.
async fn wait_for_shutdown(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}
