//! The command line: `bounceguard serve [--config FILE]`, `bounceguard policy test|lint …`,
//! `bounceguard addresses check|generate …`, `bounceguard suppression …`, `bounceguard held …`,
//! `bounceguard why MESSAGE_ID`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::http::{AppState, run};
use crate::service::Gateway;

/// An SES-compatible gateway that keeps load tests and mistakes from hurting the account's
/// bounce rate.
#[derive(Debug, Parser)]
#[command(name = "bounceguard", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the SES v1 and v2 APIs, the SMTP door and the capture API.
    ///
    /// With no config file it listens on 127.0.0.1:8585 (HTTP) and 127.0.0.1:2525 (SMTP), keeps
    /// its state in ./bounceguard.db (SQLite, created on first start) and captures every message
    /// instead of sending it. With a config file SMTP is on only when smtp_listen is set.
    /// Top-level keys can be overridden with BOUNCEGUARD_<KEY> environment variables, e.g.
    /// BOUNCEGUARD_LISTEN=127.0.0.1:9000 or BOUNCEGUARD_DATABASE=postgres://host/db.
    Serve {
        /// A TOML configuration file.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Test and lint SES sending-authorization policies offline; pull, push and diff them
    /// against the SES account (DIR/<identity>/<name>.json).
    Policy {
        /// What to do with the policies.
        #[command(subcommand)]
        command: crate::policy_tool::PolicyCommand,
    },
    /// Check addresses the way a send decides them, or generate test addresses.
    Addresses {
        /// What to do.
        #[command(subcommand)]
        command: crate::address_tool::AddressesCommand,
    },
    /// Manage the account suppression list: add, remove, get, list, import and export.
    Suppression {
        /// What to do.
        #[command(subcommand)]
        command: crate::suppression_tool::SuppressionCommand,
    },
    /// Held mail: list, show, release (re-evaluated, sent once) or drop the recipients a hold
    /// route, the domain check or the reputation guard held.
    Held {
        /// What to do.
        #[command(subcommand)]
        command: crate::held_tool::HeldCommand,
    },
    /// Print the account's bounce and complaint rates (over the window of eligible sends, the
    /// last 24 hours and 7 days), its level (HEALTHY, WARNING, PROBATION, SHUTDOWN) and how many
    /// clean deliveries would bring the bounce rate under 5 % and under the guard threshold.
    Reputation {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Print JSON (as GET /api/v1/reputation) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the decision log of one message: every recipient with its decision, the rule
    /// that made it (policy, route, allow-list, DNS answer) and why. Reads the store named by
    /// the configuration; exit status 1 when there is no such message.
    Why {
        /// A TOML configuration file (the server's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// The SES MessageId (or the internal id of a refused request).
        #[arg(value_name = "MESSAGE_ID")]
        id: String,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let config = match Cli::parse().command {
        Command::Serve { config } => config,
        Command::Policy { command } => return crate::policy_tool::run(command),
        Command::Addresses { command } => return crate::address_tool::run(command),
        Command::Suppression { command } => return crate::suppression_tool::run(command),
        Command::Held { command } => return crate::held_tool::run(command),
        Command::Reputation { config, json } => {
            return crate::address_tool::reputation(config.as_deref(), json);
        }
        Command::Why { config, json, id } => {
            return crate::address_tool::why(config.as_deref(), &id, json);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bounceguard: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn serve(config_path: Option<PathBuf>) -> anyhow::Result<()> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let config = Arc::new(Config::load(config_path.as_deref(), &env)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    for name in &config.ignored_env {
        tracing::warn!("ignoring environment variable {name}: it names no configuration key");
    }
    runtime.block_on(async move {
        let store = bounceguard_store::Store::open(&config.database)
            .await
            .with_context(|| format!("opening database {}", config.database))?;
        let gateway = Arc::new(
            Gateway::new(config.clone(), store.clone())
                .await
                .context("starting the gateway")?,
        );
        let _suppression_sync = gateway.spawn_suppression_sync();
        let _reputation_watch =
            gateway.spawn_reputation_watch(std::time::Duration::from_secs(5));
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let local = listener.local_addr().context("reading the bound address")?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let smtp = match config.smtp_listen {
            Some(addr) => {
                let smtp_config = crate::smtp::smtp_config(&config, addr)?;
                let smtp_listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding smtp_listen {addr}"))?;
                tracing::info!(
                    "SMTP listening on {} (STARTTLS {}, AUTH {})",
                    smtp_listener.local_addr().unwrap_or(addr),
                    if smtp_config.tls.is_some() { "on" } else { "off" },
                    if smtp_config.auth_required { "required" } else { "optional" },
                );
                let auth = Arc::new(crate::smtp::credential_table(&config));
                let submitter = Arc::new(crate::smtp::GatewaySubmitter::new(gateway.clone()));
                let mut stopped = stopped.clone();
                Some(tokio::spawn(async move {
                    bounceguard_smtp::serve(smtp_listener, smtp_config, auth, submitter, async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                    .await
                }))
            }
            None => None,
        };
        let state = AppState {
            gateway,
            auth: Arc::new(Authenticator::new(&config)),
        };
        tracing::info!(
            "bounceguard listening on http://{local} (database {}, transport {}, auth {}, routes {}, dns check {}, account {}, region {})",
            redact(&config.database),
            config.delivery.transport.as_str(),
            if config.sigv4_enforced() { "sigv4" } else { "none" },
            config.routes.len(),
            if config.dns_check() { "on" } else { "off" },
            config.account_id,
            config.region,
        );
        tracing::info!(
            "dashboard at http://{local}/ui/ ({})",
            match crate::dashboard::Access::from_config(&config) {
                crate::dashboard::Access::Open => "open: loopback listener, no admin_token",
                crate::dashboard::Access::Token(_) => "admin_token required",
                crate::dashboard::Access::Locked =>
                    "closed: not loopback and no admin_token; set admin_token to use it",
            }
        );
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        let mut http_stopped = stopped.clone();
        run(listener, state, async move {
            let _ = http_stopped.wait_for(|stop| *stop).await;
        })
        .await
        .context("serving")?;
        if let Some(smtp) = smtp {
            match smtp.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "SMTP listener failed"),
                Err(e) => tracing::error!(error = %e, "SMTP listener task failed"),
            }
        }
        tracing::info!("shutting down: flushing the store");
        store.close().await;
        Ok(())
    })
}

/// Hides a password in a database URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_logged() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/bg"),
            "postgres://app:***@db:5432/bg"
        );
        assert_eq!(redact("sqlite://bounceguard.db"), "sqlite://bounceguard.db");
        assert_eq!(redact("postgres://app@db/bg"), "postgres://app@db/bg");
    }
}
