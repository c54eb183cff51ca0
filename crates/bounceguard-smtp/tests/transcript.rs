//! Transcript tests: client lines in over `tokio::io::duplex`, exact server replies out.

mod common;

use std::time::Duration;

use bounceguard_smtp::{SmtpConfig, SmtpService};
use common::*;

fn plaintext_auth() -> SmtpConfig {
    SmtpConfig {
        allow_plaintext_auth: true,
        ..SmtpConfig::default()
    }
}

const EHLO_PLAIN: &str = "250-bounceguard\r\n250-SIZE 41943040\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n";

#[tokio::test]
async fn greeting_and_ehlo_list_the_extensions() {
    let mut c = start(plaintext_auth());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.send("EHLO client.example\r\n").await;
    assert_eq!(c.reply().await, EHLO_PLAIN);
    c.cmd("HELO client.example", "250 bounceguard").await;
}

#[tokio::test]
async fn ehlo_hides_auth_when_it_needs_starttls_and_no_tls_is_configured() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.send("EHLO client.example\r\n").await;
    assert_eq!(
        c.reply().await,
        "250-bounceguard\r\n250-SIZE 41943040\r\n250-8BITMIME\r\n250 PIPELINING\r\n"
    );
    c.cmd("STARTTLS", "454 TLS not available").await;
}

#[tokio::test]
async fn a_message_goes_to_the_submitter_dot_unstuffed() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.send("EHLO client.example\r\n").await;
    c.reply().await;
    c.cmd("MAIL FROM:<app@shop.example>", "250 Ok").await;
    c.cmd("RCPT TO:<ann@example.com>", "250 Ok").await;
    c.cmd("RCPT TO:<bob@real.example>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    c.send("Subject: hi\r\n\r\n..hidden dot\r\n.bye\r\n.\r\n")
        .await;
    c.expect("250 Ok msg-1").await;
    c.cmd("QUIT", "221 Bye").await;
    assert_eq!(c.rest().await, "");

    let sent = c.recorder.taken();
    assert_eq!(sent.len(), 1);
    let e = &sent[0];
    assert_eq!(e.mail_from, "app@shop.example");
    assert_eq!(e.rcpt_to, ["ann@example.com", "bob@real.example"]);
    // "..hidden" loses its stuffing dot; ".bye" (a single dot then text, which a correct client
    // never sends) loses the dot as well, and only the lone "." line ends the message.
    assert_eq!(&e.data[..], b"Subject: hi\r\n\r\n.hidden dot\r\nbye\r\n");
    assert_eq!(e.principal, None);
    assert!(!e.tls);
    assert_eq!(e.peer, peer());
}

#[tokio::test]
async fn empty_message_and_leading_dot_line() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    c.cmd("RCPT TO:<b@example.com>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    c.send(".\r\n").await;
    c.expect("250 Ok msg-1").await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    c.cmd("RCPT TO:<b@example.com>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    c.send("..x\r\n.\r\n").await;
    c.expect("250 Ok msg-2").await;
    let sent = c.recorder.taken();
    assert_eq!(&sent[0].data[..], b"");
    assert_eq!(&sent[1].data[..], b".x\r\n");
}

#[tokio::test]
async fn bare_lf_dot_does_not_end_the_message() {
    // SMTP smuggling: only CRLF "." CRLF ends DATA; "\n.\n" is message text.
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    c.cmd("RCPT TO:<b@example.com>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    c.send("one\n.\nMAIL FROM:<x@evil.example>\r\n.\r\n").await;
    c.expect("250 Ok msg-1").await;
    let sent = c.recorder.taken();
    assert_eq!(&sent[0].data[..], b"one\n.\nMAIL FROM:<x@evil.example>\r\n");
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.send(
        "EHLO c\r\nMAIL FROM:<a@shop.example>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<>\r\n\
         RCPT TO:<c@example.com>\r\nDATA\r\n",
    )
    .await;
    assert!(c.reply().await.starts_with("250-bounceguard\r\n"));
    c.expect("250 Ok").await;
    c.expect("250 Ok").await;
    c.expect("501 Invalid RCPT TO address").await;
    c.expect("250 Ok").await;
    c.expect("354 End data with <CR><LF>.<CR><LF>").await;
    // The end of the text, the next transaction and QUIT in one write.
    c.send("x\r\n.\r\nMAIL FROM:<a@shop.example>\r\nRSET\r\nNOOP\r\nQUIT\r\n")
        .await;
    c.expect("250 Ok msg-1").await;
    c.expect("250 Ok").await;
    c.expect("250 Ok").await;
    c.expect("250 Ok").await;
    c.expect("221 Bye").await;
    assert_eq!(c.rest().await, "");
    assert_eq!(
        c.recorder.taken()[0].rcpt_to,
        ["b@example.com", "c@example.com"]
    );
}

#[tokio::test]
async fn rset_clears_the_transaction() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    c.cmd("MAIL FROM:<a@shop.example>", "503 Bad sequence of commands")
        .await;
    c.cmd("RCPT TO:<b@example.com>", "250 Ok").await;
    c.cmd("RSET", "250 Ok").await;
    c.cmd("DATA", "503 Bad sequence of commands").await;
    c.cmd("RCPT TO:<b@example.com>", "503 Bad sequence of commands")
        .await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    assert!(c.recorder.taken().is_empty());
}

#[tokio::test]
async fn commands_out_of_order_and_unknown() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("MAIL FROM:<a@shop.example>", "503 Bad sequence of commands")
        .await;
    c.cmd("FROB", "500 Unrecognized command").await;
    c.cmd(
        "MAIL TO:<a@b>",
        "501 Syntax: MAIL FROM:<reverse-path> [parameters]",
    )
    .await;
    c.cmd("HELP", "502 Command not implemented").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd(
        "MAIL FROM:<a@shop.example> SMTPUTF8",
        "555 Unsupported parameter SMTPUTF8",
    )
    .await;
    c.cmd("NOOP", "250 Ok").await;
}

#[tokio::test]
async fn an_over_long_line_is_refused_and_the_session_goes_on() {
    let mut c = start(SmtpConfig {
        max_line_length: 64,
        ..SmtpConfig::default()
    });
    c.expect("220 bounceguard ESMTP bounceguard").await;
    let long = format!("NOOP {}\r\n", "a".repeat(100));
    c.send(&long).await;
    c.expect("500 Line too long").await;
    // Split over two writes, and longer than the buffer limit before the LF arrives.
    c.send(&"b".repeat(70)).await;
    c.send(&"b".repeat(70)).await;
    c.send("\r\nNOOP\r\n").await;
    c.expect("500 Line too long").await;
    c.expect("250 Ok").await;
    // Exactly at the limit (62 characters + CRLF = 64) is accepted.
    c.cmd(&format!("NOOP {}", "c".repeat(57)), "250 Ok").await;
}

#[tokio::test]
async fn an_over_long_line_in_the_message_refuses_it() {
    let mut c = start(SmtpConfig {
        max_line_length: 64,
        ..SmtpConfig::default()
    });
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    c.cmd("RCPT TO:<b@example.com>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    c.send(&format!("short\r\n{}\r\n.\r\n", "x".repeat(80)))
        .await;
    c.expect("500 Line too long").await;
    c.cmd("NOOP", "250 Ok").await;
    assert!(c.recorder.taken().is_empty());
}

#[tokio::test]
async fn an_oversize_message_gets_552() {
    let mut c = start(SmtpConfig {
        max_message_size: 100,
        ..SmtpConfig::default()
    });
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.send("EHLO c\r\n").await;
    assert!(c.reply().await.contains("250-SIZE 100\r\n"));
    let too_large = "552 Transaction failed: Message length is more than 100 bytes long.";
    c.cmd("MAIL FROM:<a@shop.example> SIZE=101", too_large)
        .await;
    c.cmd("MAIL FROM:<a@shop.example> SIZE=100", "250 Ok").await;
    c.cmd("RCPT TO:<b@example.com>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    for _ in 0..10 {
        c.send("0123456789012345678\r\n").await;
    }
    c.send(".\r\n").await;
    c.expect(too_large).await;
    // The transaction is over; a new one of the right size goes through.
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    c.cmd("RCPT TO:<b@example.com>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    c.send("small\r\n.\r\n").await;
    c.expect("250 Ok msg-1").await;
    assert_eq!(c.recorder.taken().len(), 1);
}

#[tokio::test]
async fn the_fifty_first_recipient_refuses_the_message() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    let mut batch = String::new();
    for i in 1..=51 {
        batch.push_str(&format!("RCPT TO:<r{i}@example.com>\r\n"));
    }
    c.send(&batch).await;
    for _ in 1..=50 {
        c.expect("250 Ok").await;
    }
    c.expect("452 Recipient count exceeds 50.").await;
    c.cmd(
        "DATA",
        "554 Transaction failed: Recipient count exceeds 50.",
    )
    .await;
    // DATA refused: the transaction is gone.
    c.cmd("RCPT TO:<x@example.com>", "503 Bad sequence of commands")
        .await;
    assert!(c.recorder.taken().is_empty());
}

#[tokio::test]
async fn auth_before_starttls_is_refused() {
    let mut c = start(SmtpConfig {
        auth_required: true,
        ..SmtpConfig::default()
    });
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    let creds = plain(USER, SECRET);
    c.cmd(
        &format!("AUTH PLAIN {creds}"),
        "530 Must issue a STARTTLS command first",
    )
    .await;
    c.cmd("AUTH LOGIN", "530 Must issue a STARTTLS command first")
        .await;
    c.cmd("MAIL FROM:<a@shop.example>", "530 Authentication required")
        .await;
}

#[tokio::test]
async fn auth_plain_then_send_carries_the_principal() {
    let mut c = start(SmtpConfig {
        auth_required: true,
        ..plaintext_auth()
    });
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("AUTH PLAIN", "503 Bad sequence of commands").await;
    c.send("EHLO c\r\n").await;
    assert_eq!(c.reply().await, EHLO_PLAIN);
    c.cmd("MAIL FROM:<a@shop.example>", "530 Authentication required")
        .await;
    c.cmd(
        &format!("AUTH PLAIN {}", plain(USER, "wrong")),
        "535 Authentication Credentials Invalid",
    )
    .await;
    c.cmd(
        &format!("AUTH PLAIN {}", plain(USER, SECRET)),
        "235 Authentication successful",
    )
    .await;
    c.cmd("AUTH PLAIN", "503 Bad sequence of commands").await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    c.cmd("RCPT TO:<b@example.com>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    c.send("hi\r\n.\r\n").await;
    c.expect("250 Ok msg-1").await;
    assert_eq!(c.recorder.taken()[0].principal.as_deref(), Some(PRINCIPAL));
}

#[tokio::test]
async fn auth_plain_without_initial_response_and_cancel() {
    let mut c = start(plaintext_auth());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("AUTH PLAIN", "334 ").await;
    c.cmd("*", "501 Authentication cancelled").await;
    c.cmd("AUTH PLAIN", "334 ").await;
    c.cmd("not base64!", "501 Invalid base64 data").await;
    c.cmd("AUTH PLAIN", "334 ").await;
    c.cmd(&plain(USER, SECRET), "235 Authentication successful")
        .await;
}

#[tokio::test]
async fn auth_login_accepts_the_derived_ses_smtp_password() {
    let mut c = start(plaintext_auth());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("AUTH LOGIN", "334 VXNlcm5hbWU6").await;
    c.cmd(&b64(USER), "334 UGFzc3dvcmQ6").await;
    c.cmd(&b64("bad"), "535 Authentication Credentials Invalid")
        .await;
    // With the username as initial response; the password is the SES SMTP password for
    // us-east-1 computed independently (see the unit test in src/auth.rs).
    c.cmd(&format!("AUTH LOGIN {}", b64(USER)), "334 UGFzc3dvcmQ6")
        .await;
    c.cmd(
        &b64("BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"),
        "235 Authentication successful",
    )
    .await;
}

#[tokio::test]
async fn unknown_auth_mechanism_gets_504() {
    let mut c = start(plaintext_auth());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("AUTH CRAM-MD5", "504 Unrecognized authentication type")
        .await;
}

#[tokio::test]
async fn vrfy_never_confirms_and_expn_is_not_implemented() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("VRFY ann@example.com", "252 Cannot VRFY user").await;
    c.cmd("VRFY nobody-at-all", "252 Cannot VRFY user").await;
    c.cmd("EXPN staff", "502 Command not implemented").await;
}

#[tokio::test]
async fn a_submitter_error_is_the_reply_after_data() {
    let mut c = start(SmtpConfig::default());
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("HELO c", "250 bounceguard").await;
    c.cmd("MAIL FROM:<a@shop.example>", "250 Ok").await;
    c.cmd("RCPT TO:<denied@example.org>", "250 Ok").await;
    c.cmd("DATA", "354 End data with <CR><LF>.<CR><LF>").await;
    c.send("hi\r\n.\r\n").await;
    c.expect(&format!("554 Access denied: {DENIED_TEXT}")).await;
}

#[tokio::test]
async fn enhanced_status_codes_when_configured() {
    let mut c = start(SmtpConfig {
        enhanced_status_codes: true,
        ..SmtpConfig::default()
    });
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.send("EHLO c\r\n").await;
    assert!(c.reply().await.contains("ENHANCEDSTATUSCODES\r\n"));
    c.cmd("MAIL FROM:<a@shop.example>", "250 2.1.0 Ok").await;
    c.cmd("RCPT TO:<b@example.com>", "250 2.1.5 Ok").await;
    c.cmd("VRFY b@example.com", "252 2.5.0 Cannot VRFY user")
        .await;
}

#[tokio::test(start_paused = true)]
async fn an_idle_client_is_timed_out() {
    let mut c = start(SmtpConfig {
        idle_timeout: Duration::from_secs(30),
        ..SmtpConfig::default()
    });
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.cmd("NOOP", "250 Ok").await;
    // Paused time advances by itself while everything waits.
    c.expect("451 Timeout waiting for data from client").await;
    assert_eq!(c.rest().await, "");
    assert!(matches!(c.task.await, Ok(Ok(()))));
}

#[tokio::test]
async fn too_many_commands_close_the_session() {
    let mut c = start(SmtpConfig {
        max_commands: 3,
        ..SmtpConfig::default()
    });
    c.expect("220 bounceguard ESMTP bounceguard").await;
    c.send("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n").await;
    c.expect("250 Ok").await;
    c.expect("250 Ok").await;
    c.expect("250 Ok").await;
    c.expect("421 Too many commands").await;
    assert_eq!(c.rest().await, "");
}

#[tokio::test]
async fn shutdown_answers_421_to_an_idle_session() {
    let service = SmtpService::new(
        SmtpConfig::default(),
        credentials(),
        std::sync::Arc::new(Recorder::default()),
    );
    let (client, server) = tokio::io::duplex(4096);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move { service.handle_until(server, peer(), stopped).await });
    let mut client = tokio::io::BufReader::new(client);
    let mut line = String::new();
    use tokio::io::AsyncBufReadExt as _;
    client.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "220 bounceguard ESMTP bounceguard\r\n");
    stop.send(true).unwrap_or_default();
    line.clear();
    client.read_line(&mut line).await.unwrap_or_default();
    assert_eq!(line, "421 Service shutting down\r\n");
    assert!(matches!(task.await, Ok(Ok(()))));
}
