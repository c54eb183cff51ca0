//! Peers and helpers for the load benchmarks in `BENCHMARKS.md`.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The fixed SendEmail answer of the bare baselines (`bare_http`, `bare_durable`): the shape
/// and size of bounceguard's.
pub const SEND_EMAIL_RESPONSE: &str = "<SendEmailResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n  <SendEmailResult>\n    <MessageId>0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000</MessageId>\n  </SendEmailResult>\n  <ResponseMetadata>\n    <RequestId>5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f</RequestId>\n  </ResponseMetadata>\n</SendEmailResponse>\n";

/// Reads one HTTP/1.1 response from a keep-alive connection: the status line, the headers and a
/// `Content-Length` body (into `body`); answers the status code (0 when the line has none).
/// A few lines by hand, as the load drivers need no more and a general client would add its
/// own per-request work to what is measured.
pub async fn read_response<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut String,
    body: &mut Vec<u8>,
) -> io::Result<u16> {
    line.clear();
    if reader.read_line(line).await? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(line).await? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    body.resize(length, 0);
    reader.read_exact(body).await?;
    Ok(status)
}

/// Waits for every connection task and adds up their counts; answers the sum and how many
/// connections broke (each reported on stderr with `label`).
pub async fn join_connections<C>(
    tasks: Vec<tokio::task::JoinHandle<io::Result<C>>>,
    label: &str,
) -> (C, usize)
where
    C: Default + std::ops::AddAssign,
{
    let mut total = C::default();
    let mut broken = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(counts)) => total += counts,
            Ok(Err(e)) => {
                broken += 1;
                eprintln!("{label} connection failed: {e}");
            }
            Err(e) => {
                broken += 1;
                eprintln!("{label} task failed: {e}");
            }
        }
    }
    (total, broken)
}
