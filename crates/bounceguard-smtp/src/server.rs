//! The accept loop: one task per connection, a connection cap and graceful shutdown
//! (the shape of mini-redis's `server::run`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::auth::Authenticator;
use crate::config::SmtpConfig;
use crate::envelope::Submitter;
use crate::reply::Reply;
use crate::session::SmtpService;

/// How long a refused connection gets to read its `421` before it is closed.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves SMTP on an already bound listener until `shutdown` resolves.
///
/// Each connection runs in its own task. Beyond `config.max_connections` open sessions a new
/// connection is answered `421 Too many concurrent SMTP connections` and closed. On shutdown the
/// loop stops accepting, idle sessions answer `421 Service shutting down`, and the function
/// returns once every session has ended. Taking a bound listener lets tests bind port 0.
pub async fn serve(
    listener: TcpListener,
    config: SmtpConfig,
    auth: Arc<dyn Authenticator>,
    submitter: Arc<dyn Submitter>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let limit = Arc::new(Semaphore::new(config.max_connections));
    let enhanced = config.enhanced_status_codes;
    let service = SmtpService::new(config, auth, submitter);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut sessions = JoinSet::new();
    tokio::pin!(shutdown);

    loop {
        while sessions.try_join_next().is_some() {}
        let (mut stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Accept errors (e.g. too many open files) concern one connection; keep going.
                    tracing::warn!(%error, "smtp accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
            sessions.spawn(async move {
                let refusal = Reply::too_many_connections().render(enhanced);
                let _ = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, async {
                    let _ = stream.write_all(refusal.as_bytes()).await;
                    let _ = stream.shutdown().await;
                })
                .await;
            });
            continue;
        };
        let service = service.clone();
        let stop = stop_rx.clone();
        sessions.spawn(async move {
            if let Err(error) = service.handle_until(stream, peer, stop).await {
                tracing::debug!(%peer, %error, "smtp session ended with an error");
            }
            drop(permit);
        });
    }

    let _ = stop_tx.send(true);
    while sessions.join_next().await.is_some() {}
    Ok(())
}
