//! Load driver for the SMTP door against the HTTP SendRawEmail front of the same server, with the
//! same message, the same connection count and the same client code path, so the two figures
//! compare (benches/smtp_load.sh runs it; numbers in BENCHMARKS.md).
//!
//! Usage:
//! `smtp_load smtp HOST:PORT CONNECTIONS SECONDS ACCESS_KEY SECRET` — each connection does EHLO
//! and AUTH PLAIN, then MAIL / RCPT / DATA transactions back to back, waiting for every reply
//! (no pipelining, as smtplib and lettre send), and opens a new session when the server ends one
//! (421 after its per-session command limit); a message counts when DATA ends with 250.
//! `smtp_load smtp-pipelined …` — the same, with MAIL, RCPT and DATA sent in one write
//! (PIPELINING, RFC 2920): two round trips per message instead of four.
//! `smtp_load http HOST:PORT CONNECTIONS SECONDS ACCESS_KEY SECRET REGION` — each keep-alive
//! connection replays one SigV4-signed v1 SendRawEmail request (valid for SigV4's 15-minute
//! window; the server verifies every replay in full); a message counts on HTTP 200.
//!
//! The SMTP and HTTP/1.1 clients are a few lines each by hand: a load loop needs no more, and a
//! general client (lettre, hyper) would add its own per-message work to what is measured.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The message both fronts accept: one recipient, a short text body (about 400 bytes).
const MESSAGE: &str = "From: Shop <no-reply@shop.example>\r\n\
To: ann@example.org\r\n\
Subject: Load test\r\n\
Message-ID: <load@shop.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello from the load driver.\r\n\
This line and the next make the body a little longer than one line.\r\n\
Nothing here starts with a dot, so the DATA needs no dot-stuffing.\r\n";

const SENDER: &str = "no-reply@shop.example";
const RECIPIENT: &str = "ann@example.org";

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    accepted: u64,
    failed: u64,
    /// SMTP sessions opened (the server ends one after its command limit).
    sessions: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, c: Counts) {
        self.accepted += c.accepted;
        self.failed += c.failed;
        self.sessions += c.sessions;
    }
}

/// Reads one (possibly multi-line) SMTP reply; answers its code.
async fn reply(reader: &mut BufReader<OwnedReadHalf>, line: &mut String) -> io::Result<u16> {
    loop {
        line.clear();
        if reader.read_line(line).await? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
        }
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, line.clone()))?;
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(code);
        }
    }
}

/// Sends one command and reads its reply: `Ok(true)` on `expect`, `Ok(false)` when the server
/// ends the session with 421 (its per-session command limit), an error on anything else.
async fn command(
    writer: &mut OwnedWriteHalf,
    reader: &mut BufReader<OwnedReadHalf>,
    line: &mut String,
    text: &[u8],
    expect: u16,
) -> io::Result<bool> {
    writer.write_all(text).await?;
    match reply(reader, line).await? {
        code if code == expect => Ok(true),
        421 => Ok(false),
        _ => Err(io::Error::other(format!(
            "{} answered {}",
            String::from_utf8_lossy(text).trim_end(),
            line.trim_end()
        ))),
    }
}

/// One client connection until the deadline: sessions back to back, a new one whenever the
/// server closes one with 421 (as a mail client reconnects).
async fn smtp_connection(
    addr: String,
    user: String,
    password: String,
    pipelined: bool,
    deadline: Instant,
) -> io::Result<Counts> {
    let mut counts = Counts::default();
    while Instant::now() < deadline {
        smtp_session(&addr, &user, &password, pipelined, deadline, &mut counts).await?;
        counts.sessions += 1;
    }
    Ok(counts)
}

async fn smtp_session(
    addr: &str,
    user: &str,
    password: &str,
    pipelined: bool,
    deadline: Instant,
    counts: &mut Counts,
) -> io::Result<()> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut writer) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    if reply(&mut reader, &mut line).await? != 220 {
        return Err(io::Error::other(format!("greeting: {line}")));
    }
    let auth = format!(
        "AUTH PLAIN {}\r\n",
        BASE64.encode(format!("\0{user}\0{password}"))
    );
    if !command(
        &mut writer,
        &mut reader,
        &mut line,
        b"EHLO load.test\r\n",
        250,
    )
    .await?
        || !command(&mut writer, &mut reader, &mut line, auth.as_bytes(), 235).await?
    {
        return Ok(());
    }
    let mail = format!("MAIL FROM:<{SENDER}>\r\n");
    let rcpt = format!("RCPT TO:<{RECIPIENT}>\r\n");
    let data = format!("{MESSAGE}.\r\n");
    let group = format!("{mail}{rcpt}DATA\r\n");
    while Instant::now() < deadline {
        if pipelined {
            // RFC 2920: MAIL, RCPT and DATA in one write, then their three replies in order.
            writer.write_all(group.as_bytes()).await?;
            for expect in [250, 250, 354] {
                match reply(&mut reader, &mut line).await? {
                    code if code == expect => {}
                    421 => return Ok(()),
                    _ => return Err(io::Error::other(format!("pipelined: {}", line.trim_end()))),
                }
            }
        } else if !command(&mut writer, &mut reader, &mut line, mail.as_bytes(), 250).await?
            || !command(&mut writer, &mut reader, &mut line, rcpt.as_bytes(), 250).await?
            || !command(&mut writer, &mut reader, &mut line, b"DATA\r\n", 354).await?
        {
            return Ok(());
        }
        writer.write_all(data.as_bytes()).await?;
        match reply(&mut reader, &mut line).await? {
            250 => counts.accepted += 1,
            421 => return Ok(()),
            _ => {
                counts.failed += 1;
                if counts.failed == 1 {
                    eprintln!("smtp: {}", line.trim_end());
                }
            }
        }
    }
    let _ = writer.write_all(b"QUIT\r\n").await;
    Ok(())
}

/// `application/x-www-form-urlencoded` value encoding (RFC 3986 unreserved kept).
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One signed SendRawEmail request, as bytes ready to replay on a keep-alive connection.
fn signed_request(host: &str, key: &str, secret: &str, region: &str) -> Result<Vec<u8>, String> {
    let body = format!(
        "Action=SendRawEmail&Version=2010-12-01&Source={}&Destinations.member.1={}&RawMessage.Data={}",
        form_encode(SENDER),
        form_encode(RECIPIENT),
        form_encode(&BASE64.encode(MESSAGE))
    );
    let identity = Credentials::new(key, secret, None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("ses")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let url = format!("http://{host}/");
    let headers = [("host", host), ("content-type", content_type)];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let mut head = format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in instructions.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body.as_bytes());
    Ok(request)
}

async fn http_connection(
    addr: String,
    request: Arc<Vec<u8>>,
    deadline: Instant,
) -> io::Result<Counts> {
    let stream = TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut writer) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    let mut body = Vec::new();
    let mut counts = Counts::default();
    while Instant::now() < deadline {
        writer.write_all(&request).await?;
        let ok =
            bounceguard_benches::read_response(&mut reader, &mut line, &mut body).await? == 200;
        if ok {
            counts.accepted += 1;
        } else {
            counts.failed += 1;
            if counts.failed == 1 {
                eprintln!("http: {}", String::from_utf8_lossy(&body));
            }
        }
    }
    Ok(counts)
}

fn usage() -> ! {
    eprintln!(
        "usage: smtp_load smtp|smtp-pipelined HOST:PORT CONNECTIONS SECONDS ACCESS_KEY SECRET\n       \
         smtp_load http HOST:PORT CONNECTIONS SECONDS ACCESS_KEY SECRET REGION"
    );
    std::process::exit(2);
}

// One worker thread, as wrk -t1 in load.sh: the driver shares the machine with the server.
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 7 {
        usage();
    }
    let (mode, addr) = (args[1].as_str(), args[2].clone());
    let (Ok(connections), Ok(seconds)) = (args[3].parse::<usize>(), args[4].parse::<u64>()) else {
        usage();
    };
    let (key, secret) = (args[5].clone(), args[6].clone());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::with_capacity(connections);
    match mode {
        "smtp" | "smtp-pipelined" => {
            for _ in 0..connections {
                tasks.push(tokio::spawn(smtp_connection(
                    addr.clone(),
                    key.clone(),
                    secret.clone(),
                    mode == "smtp-pipelined",
                    deadline,
                )));
            }
        }
        "http" => {
            let Some(region) = args.get(7) else { usage() };
            let request = match signed_request(&addr, &key, &secret, region) {
                Ok(r) => Arc::new(r),
                Err(e) => {
                    eprintln!("signing: {e}");
                    std::process::exit(2);
                }
            };
            for _ in 0..connections {
                tasks.push(tokio::spawn(http_connection(
                    addr.clone(),
                    Arc::clone(&request),
                    deadline,
                )));
            }
        }
        _ => usage(),
    }
    let (total, broken): (Counts, usize) = bounceguard_benches::join_connections(tasks, mode).await;
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{mode}: {:.0} msg/s ({} accepted in {elapsed:.1} s over {connections} connections, {} refused, {broken} connections broken{})",
        total.accepted as f64 / elapsed,
        total.accepted,
        total.failed,
        if mode.starts_with("smtp") {
            format!(", {} SMTP sessions", total.sessions)
        } else {
            String::new()
        }
    );
    if total.accepted == 0 || broken > 0 {
        std::process::exit(1);
    }
}
