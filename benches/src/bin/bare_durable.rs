//! A second baseline for the SendEmail load benchmark: the bare handler of `bare_http`, plus the
//! least any durable server must do — append each request body to a file and `fdatasync` it
//! (group commit: one writer thread, every request waiting at the time shares one sync) before
//! answering. No SigV4, no decoding, no index. What this loses against `bare_http` on the same
//! machine is the price of durability alone, the ceiling for any design that acknowledges a
//! message only once it is on disk.

use std::io::Write;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::{mpsc, oneshot};

const BODY: &str = "<SendEmailResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n  <SendEmailResult>\n    <MessageId>0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000</MessageId>\n  </SendEmailResult>\n  <ResponseMetadata>\n    <RequestId>5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f</RequestId>\n  </ResponseMetadata>\n</SendEmailResponse>\n";

type Job = (Bytes, oneshot::Sender<()>);

/// Appends every queued body to `file`, one `fdatasync` per group, then answers the group.
fn writer(mut file: std::fs::File, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut group: Vec<Job> = Vec::new();
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while let Ok(next) = queue.try_recv() {
            group.push(next);
        }
        let mut buf = Vec::with_capacity(group.iter().map(|(b, _)| b.len() + 4).sum());
        for (body, _) in &group {
            buf.extend_from_slice(&(body.len() as u32).to_le_bytes());
            buf.extend_from_slice(body);
        }
        if let Err(e) = file.write_all(&buf).and_then(|()| file.sync_data()) {
            eprintln!("bare-durable: write failed: {e}");
            group.clear();
            continue;
        }
        for (_, ack) in group.drain(..) {
            let _ = ack.send(());
        }
    }
}

async fn send(
    State(queue): State<mpsc::UnboundedSender<Job>>,
    body: Bytes,
) -> (StatusCode, [(&'static str, &'static str); 1], &'static str) {
    let (ack, done) = oneshot::channel();
    if queue.send((body, ack)).is_err() || done.await.is_err() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "text/plain")],
            "not stored\n",
        );
    }
    (StatusCode::OK, [("content-type", "text/xml")], BODY)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8587".to_string());
    let path = args
        .next()
        .unwrap_or_else(|| "bare-durable.log".to_string());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    let (queue, jobs) = mpsc::unbounded_channel();
    std::thread::spawn(move || writer(file, jobs));
    let app = Router::new().route("/", post(send)).with_state(queue);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare-durable listening on {addr}, appending to {path}");
    axum::serve(listener, app).await
}
