//! A throwaway listener for trying clients by hand (e.g. Python's smtplib): plaintext AUTH
//! allowed, user `AKIAEXAMPLE` with AWS's example secret, every message printed and accepted.
//!
//! `cargo run -p bounceguard-smtp --example listen -- 127.0.0.1:2525`

#![allow(missing_docs)]

use std::sync::Arc;

use bounceguard_smtp::{BoxFuture, CredentialTable, Envelope, Reply, SmtpConfig, Submitter, serve};

struct Print;

impl Submitter for Print {
    fn submit(&self, envelope: Envelope) -> BoxFuture<'_, Result<String, Reply>> {
        println!(
            "from={} to={:?} principal={:?} tls={} bytes={}",
            envelope.mail_from,
            envelope.rcpt_to,
            envelope.principal,
            envelope.tls,
            envelope.data.len()
        );
        Box::pin(std::future::ready(Ok("example-id".to_owned())))
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:2525".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let mut credentials = CredentialTable::new(["us-east-1"]);
    credentials.insert(
        "AKIAEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "arn:aws:iam::111122223333:user/app",
    );
    let config = SmtpConfig {
        allow_plaintext_auth: true,
        auth_required: true,
        ..SmtpConfig::default()
    };
    serve(
        listener,
        config,
        Arc::new(credentials),
        Arc::new(Print),
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    )
    .await
}
