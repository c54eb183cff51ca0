//! The baseline of the SendEmail load benchmark: a bare axum handler answering a fixed SES
//! SendEmail XML body, on the same runtime settings as bounceguard. Whatever bounceguard does
//! beyond this (SigV4, decoding, storage) is what the benchmark measures.

use axum::Router;
use axum::routing::post;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8586".to_string());
    let app = Router::new().route(
        "/",
        post(|_body: axum::body::Bytes| async {
            (
                [("content-type", "text/xml")],
                bounceguard_benches::SEND_EMAIL_RESPONSE,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare-http listening on {addr}");
    axum::serve(listener, app).await
}
