//! Load driver for the SNS endpoint: POSTs pre-signed SNS notifications (one JSON envelope per
//! line of a file, each with its own SNS MessageId, made by benches/sns_load.sh) over CONNECTIONS
//! keep-alive HTTP/1.1 connections, each message once; a message counts when the server answers
//! 200 `applied …` — verified, stored durably, and its bounce applied (suppression list too).
//!
//! Usage: `sns_load HOST:PORT PATH CONNECTIONS FILE`
//!
//! The HTTP/1.1 client is a few lines by hand, as in smtp_load: a general client would add its
//! own per-request work to what is measured.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    applied: u64,
    other: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, c: Counts) {
        self.applied += c.applied;
        self.other += c.other;
    }
}

async fn connection(
    addr: String,
    path: String,
    bodies: Arc<Vec<String>>,
    first: usize,
    step: usize,
) -> io::Result<Counts> {
    let stream = TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut writer) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    let mut body = Vec::new();
    let mut counts = Counts::default();
    for envelope in bodies.iter().skip(first).step_by(step) {
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: text/plain; charset=UTF-8\r\n\
             x-amz-sns-message-type: Notification\r\ncontent-length: {}\r\n\r\n{envelope}",
            envelope.len()
        );
        writer.write_all(request.as_bytes()).await?;
        let ok =
            bounceguard_benches::read_response(&mut reader, &mut line, &mut body).await? == 200;
        if ok && body.starts_with(b"applied") {
            counts.applied += 1;
        } else {
            counts.other += 1;
            if counts.other == 1 {
                eprintln!("sns: {} {}", line.trim(), String::from_utf8_lossy(&body));
            }
        }
    }
    Ok(counts)
}

fn usage() -> ! {
    eprintln!("usage: sns_load HOST:PORT PATH CONNECTIONS FILE");
    std::process::exit(2);
}

// One worker thread, as the other drivers: the driver shares the machine with the server.
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        usage();
    }
    let (addr, path) = (args[1].clone(), args[2].clone());
    let Ok(connections) = args[3].parse::<usize>() else {
        usage()
    };
    let bodies: Vec<String> = match std::fs::read_to_string(&args[4]) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(e) => {
            eprintln!("reading {}: {e}", args[4]);
            std::process::exit(2);
        }
    };
    let bodies = Arc::new(bodies);
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections.max(1))
        .map(|i| {
            tokio::spawn(connection(
                addr.clone(),
                path.clone(),
                Arc::clone(&bodies),
                i,
                connections.max(1),
            ))
        })
        .collect();
    let (total, broken): (Counts, usize) =
        bounceguard_benches::join_connections(tasks, "sns").await;
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "sns: {:.0} notifications/s applied ({} applied in {elapsed:.2} s over {connections} connections, {} not applied, {broken} connections broken)",
        total.applied as f64 / elapsed,
        total.applied,
        total.other,
    );
    if total.applied == 0 || broken > 0 {
        std::process::exit(1);
    }
}
