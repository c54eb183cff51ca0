//! Throughput of the session state machine alone: one in-memory connection submitting 100
//! pipelined messages to a submitter that only answers a MessageId. No sockets, no TLS, no guard.

#![allow(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;

use bounceguard_smtp::{
    Authenticator, BoxFuture, Envelope, Reply, SmtpConfig, SmtpService, Submitter,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MESSAGES: usize = 100;

struct Nobody;

impl Authenticator for Nobody {
    fn authenticate<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(std::future::ready(None))
    }
}

struct Accept;

impl Submitter for Accept {
    fn submit(&self, envelope: Envelope) -> BoxFuture<'_, Result<String, Reply>> {
        Box::pin(std::future::ready(Ok(format!(
            "id-{}",
            envelope.data.len()
        ))))
    }
}

fn input() -> Vec<u8> {
    let body = "Subject: bench\r\n\r\n".to_owned() + &"0123456789abcdef ".repeat(4).repeat(30);
    let mut text = String::from("EHLO bench\r\n");
    for _ in 0..MESSAGES {
        // Everything up to DATA pipelined, then the text once 354 would have come.
        text.push_str("MAIL FROM:<app@shop.example>\r\nRCPT TO:<a@example.com>\r\n");
        text.push_str("RCPT TO:<b@example.com>\r\nDATA\r\n");
        text.push_str(&body);
        text.push_str("\r\n.\r\n");
    }
    text.push_str("QUIT\r\n");
    text.into_bytes()
}

async fn one_session(service: SmtpService, input: Arc<Vec<u8>>) -> usize {
    let (client, server) = tokio::io::duplex(1 << 16);
    let peer = SocketAddr::from(([127, 0, 0, 1], 1));
    let session = tokio::spawn(async move { service.handle(server, peer).await });
    let (mut read, mut write) = tokio::io::split(client);
    let writer = async move {
        let _ = write.write_all(&input).await;
    };
    let reader = async move {
        let mut out = Vec::new();
        let _ = read.read_to_end(&mut out).await;
        out
    };
    let (_, out) = tokio::join!(writer, reader);
    let _ = session.await;
    out.windows(7).filter(|w| w == b"250 Ok ").count()
}

fn bench(c: &mut Criterion) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        panic!("runtime");
    };
    let service = SmtpService::new(SmtpConfig::default(), Arc::new(Nobody), Arc::new(Accept));
    let input = Arc::new(input());
    assert_eq!(
        rt.block_on(one_session(service.clone(), input.clone())),
        MESSAGES
    );

    let mut group = c.benchmark_group("smtp_session");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("100_pipelined_messages_in_memory", |b| {
        b.iter(|| rt.block_on(one_session(service.clone(), input.clone())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
