//! The baseline of the SendEmail load benchmark: a bare axum handler answering a fixed SES
//! SendEmail XML body, on the same runtime settings as bounceguard. Whatever bounceguard does
//! beyond this (SigV4, decoding, storage) is what the benchmark measures.

use axum::Router;
use axum::routing::post;

const BODY: &str = "<SendEmailResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n  <SendEmailResult>\n    <MessageId>0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000</MessageId>\n  </SendEmailResult>\n  <ResponseMetadata>\n    <RequestId>5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f</RequestId>\n  </ResponseMetadata>\n</SendEmailResponse>\n";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8586".to_string());
    let app = Router::new().route(
        "/",
        post(|_body: axum::body::Bytes| async { ([("content-type", "text/xml")], BODY) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare-http listening on {addr}");
    axum::serve(listener, app).await
}
