//! A second baseline for the SendEmail load benchmark: the bare handler of `bare_http`, plus the
//! least any durable server must do — write each request body to a file and `fdatasync` it
//! (group commit: one writer thread, every request waiting at the time shares one sync) before
//! answering. No SigV4, no decoding, no index. What this loses against `bare_http` on the same
//! machine is the price of durability alone, the ceiling for any design that acknowledges a
//! message only once it is on disk.
//!
//! The file is written in full once at start and then reused as a ring, the way SQLite reuses
//! its WAL: overwriting allocated blocks lets `fdatasync` skip the file-size and block-map
//! update an append needs (on this machine's disk about 0.23 ms per sync against 0.40 ms for an
//! append), so this baseline is the cheaper of the two.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::{mpsc, oneshot};

type Job = (Bytes, oneshot::Sender<()>);

/// Size of the ring file.
const RING_BYTES: u64 = 64 * 1024 * 1024;

/// Writes `RING_BYTES` of zeros and syncs them, so later writes only overwrite.
fn preallocate(file: &mut File) -> std::io::Result<()> {
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..RING_BYTES / zeros.len() as u64 {
        file.write_all(&zeros)?;
    }
    file.sync_all()
}

/// Writes every queued body into the ring, one `fdatasync` per group, then answers the group.
fn writer(file: File, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut group: Vec<Job> = Vec::new();
    let mut offset = 0u64;
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
        if offset + buf.len() as u64 > RING_BYTES {
            offset = 0;
        }
        let written = file.write_all_at(&buf, offset);
        offset += buf.len() as u64;
        if let Err(e) = written.and_then(|()| file.sync_data()) {
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
    (
        StatusCode::OK,
        [("content-type", "text/xml")],
        bounceguard_benches::SEND_EMAIL_RESPONSE,
    )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8587".to_string());
    let path = args
        .next()
        .unwrap_or_else(|| "bare-durable.log".to_string());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    preallocate(&mut file)?;
    let (queue, jobs) = mpsc::unbounded_channel();
    std::thread::spawn(move || writer(file, jobs));
    let app = Router::new().route("/", post(send)).with_state(queue);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "bare-durable listening on {addr}, writing a {} MiB ring in {path}",
        RING_BYTES >> 20
    );
    axum::serve(listener, app).await
}
