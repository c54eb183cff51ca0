//! Property test: whatever bytes a client sends, the session does not panic, answers only with
//! well-formed reply lines, and ends (a reply or a close, never a hang).

mod common;

use std::sync::Arc;
use std::time::Duration;

use bounceguard_smtp::{SmtpConfig, SmtpService};
use common::*;
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Pieces that reach deep states (AUTH exchanges, DATA), mixed with raw bytes.
fn chunk() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"EHLO c\r\n".to_vec()),
        Just(b"HELO c\r\n".to_vec()),
        Just(b"MAIL FROM:<a@shop.example>\r\n".to_vec()),
        Just(b"MAIL FROM:<a@shop.example> SIZE=99999999999999999999\r\n".to_vec()),
        Just(b"RCPT TO:<b@example.com>\r\n".to_vec()),
        Just(b"DATA\r\n".to_vec()),
        Just(b"\r\n.\r\n".to_vec()),
        Just(b"..\r\n".to_vec()),
        Just(b"AUTH PLAIN\r\n".to_vec()),
        Just(b"AUTH LOGIN\r\n".to_vec()),
        Just(b"AUTH PLAIN AEFLSUFFWEFNUExFAHdKYWxyWFV0bkZFTUkvSzdNREVORy9iUHhSZmlDWUVYQU1QTEVLRVk=\r\n".to_vec()),
        Just(b"STARTTLS\r\n".to_vec()),
        Just(b"RSET\r\n".to_vec()),
        Just(b"VRFY x\r\n".to_vec()),
        Just(b"BDAT 10 LAST\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..200),
    ]
}

/// Runs one session over the input and returns what the server wrote.
async fn transcript(input: Vec<u8>) -> (String, bool) {
    let config = SmtpConfig {
        allow_plaintext_auth: true,
        max_line_length: 128,
        max_message_size: 256,
        max_recipients: 3,
        max_commands: 40,
        idle_timeout: Duration::from_secs(5),
        ..SmtpConfig::default()
    };
    let service = SmtpService::new(config, credentials(), Arc::new(Recorder::default()));
    let (client, server) = tokio::io::duplex(1 << 12);
    let session = tokio::spawn(async move { service.handle(server, peer()).await });
    let (mut read, mut write) = tokio::io::split(client);
    // Read and write at once, so neither side can block the other on a full pipe.
    let writer = async move {
        let _ = write.write_all(&input).await;
        let _ = write.shutdown().await;
    };
    let reader = async move {
        let mut out = Vec::new();
        let _ = read.read_to_end(&mut out).await;
        out
    };
    let (_, out) = tokio::join!(writer, reader);
    let ended = tokio::time::timeout(Duration::from_secs(10), session).await;
    let ended_ok = matches!(ended, Ok(Ok(_)));
    (String::from_utf8_lossy(&out).into_owned(), ended_ok)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_input_gets_replies_and_an_end(chunks in proptest::collection::vec(chunk(), 0..24)) {
        let input: Vec<u8> = chunks.concat();
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            panic!("runtime");
        };
        let (out, ended) = rt.block_on(transcript(input));
        prop_assert!(ended, "the session task ended without panicking");
        prop_assert!(out.starts_with("220 bounceguard ESMTP bounceguard\r\n"), "{out:?}");
        prop_assert!(out.ends_with("\r\n"), "{out:?}");
        for line in out.split_terminator("\r\n") {
            let bytes = line.as_bytes();
            prop_assert!(bytes.len() >= 4, "{line:?}");
            prop_assert!(bytes[..3].iter().all(u8::is_ascii_digit), "{line:?}");
            prop_assert!(bytes[3] == b' ' || bytes[3] == b'-', "{line:?}");
            prop_assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
        }
    }
}
