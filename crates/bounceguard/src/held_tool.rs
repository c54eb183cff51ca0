//! `bounceguard held list|show|release|drop`: held mail from the command line, beside a running
//! server or without one (it opens the store and the transport the configuration names).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bounceguard_core::ErrorCode;
use bounceguard_store::Store;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::address_tool::{finish, load_config, runtime};
use crate::service::Gateway;
use crate::service::held::HeldView;

/// The options every `held` subcommand takes.
#[derive(Debug, Args)]
pub struct HeldOptions {
    /// A TOML configuration file (the server's).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `bounceguard held …`.
#[derive(Debug, Subcommand)]
pub enum HeldCommand {
    /// List messages with recipients still held, newest first.
    List {
        /// Config and output.
        #[command(flatten)]
        options: HeldOptions,
        /// Include released and dropped ones.
        #[arg(long)]
        all: bool,
        /// At most this many messages.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show one message's held recipients: rule, reason, state and outcome. Exit status 1 when
    /// there is no such message.
    Show {
        /// Config and output.
        #[command(flatten)]
        options: HeldOptions,
        /// The held message's MessageId.
        #[arg(value_name = "MESSAGE_ID")]
        id: String,
    },
    /// Release a message's held recipients: each is re-evaluated as a send would be now
    /// (routes, suppression list; the hold itself overridden) and the deliverable ones are sent
    /// once through the configured transport. Exit status 1 when there is no such message or
    /// nothing was left to release.
    Release {
        /// Config and output.
        #[command(flatten)]
        options: HeldOptions,
        /// The held message's MessageId.
        #[arg(value_name = "MESSAGE_ID")]
        id: String,
    },
    /// Drop a message's held recipients: they are never sent. Exit status 1 when there is no
    /// such message or nothing was left to drop.
    Drop {
        /// Config and output.
        #[command(flatten)]
        options: HeldOptions,
        /// The held message's MessageId.
        #[arg(value_name = "MESSAGE_ID")]
        id: String,
    },
}

/// Runs one `held` subcommand.
pub fn run(command: HeldCommand) -> ExitCode {
    finish(run_inner(command))
}

/// Who acts, as recorded in the outcome.
fn operator() -> String {
    format!(
        "cli ({})",
        std::env::var("USER").unwrap_or_else(|_| "unknown user".to_string())
    )
}

fn run_inner(command: HeldCommand) -> anyhow::Result<ExitCode> {
    let (HeldCommand::List { options, .. }
    | HeldCommand::Show { options, .. }
    | HeldCommand::Release { options, .. }
    | HeldCommand::Drop { options, .. }) = &command;
    let config = load_config(options.config.as_deref())?;
    runtime()?.block_on(async {
        let store = Store::open(&config.database)
            .await
            .with_context(|| format!("opening database {}", config.database))?;
        let gateway = Gateway::new(config.clone(), store.clone()).await?;
        let code = execute(&gateway, command).await;
        store.close().await;
        code
    })
}

async fn execute(gateway: &Gateway, command: HeldCommand) -> anyhow::Result<ExitCode> {
    let missing = |e: &bounceguard_core::SesError| e.code == ErrorCode::NotFound;
    match command {
        HeldCommand::List {
            options,
            all,
            limit,
        } => {
            let held = gateway
                .held_list(None, limit.max(1), all)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            if options.json {
                println!("{:#}", json!(held));
            } else {
                print_list(&held);
            }
            Ok(ExitCode::SUCCESS)
        }
        HeldCommand::Show { options, id } => match gateway.held_show(&id).await {
            Ok(view) => {
                if options.json {
                    println!("{:#}", json!(view));
                } else {
                    print_list(std::slice::from_ref(&view));
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) if missing(&e) => {
                eprintln!("bounceguard: {}", e.message);
                Ok(ExitCode::FAILURE)
            }
            Err(e) => Err(anyhow::anyhow!("{}", e.message)),
        },
        HeldCommand::Release { options, id } => {
            match gateway.release_held(&id, &operator()).await {
                Ok(report) => {
                    if options.json {
                        println!("{:#}", json!(report));
                    } else if let Some(as_id) = &report.released_as {
                        println!("released {id} as {as_id}");
                        for r in &report.recipients {
                            println!("  {:<40} {:<9} {}", r.address, r.decision, r.reason);
                        }
                    } else {
                        println!("nothing held in {id}");
                    }
                    Ok(if report.released_as.is_some() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    })
                }
                Err(e) if missing(&e) => {
                    eprintln!("bounceguard: {}", e.message);
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(anyhow::anyhow!("release failed: {}", e.message)),
            }
        }
        HeldCommand::Drop { options, id } => match gateway.drop_held(&id, &operator()).await {
            Ok(report) if options.json => {
                println!("{:#}", json!(report));
                Ok(if report.dropped.is_empty() {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                })
            }
            Ok(report) if report.dropped.is_empty() => {
                println!("nothing held in {id}");
                Ok(ExitCode::FAILURE)
            }
            Ok(report) => {
                println!("dropped {} recipient(s) of {id}", report.dropped.len());
                for address in &report.dropped {
                    println!("  {address}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) if missing(&e) => {
                eprintln!("bounceguard: {}", e.message);
                Ok(ExitCode::FAILURE)
            }
            Err(e) => Err(anyhow::anyhow!("{}", e.message)),
        },
    }
}

fn print_list(held: &[HeldView]) {
    if held.is_empty() {
        println!("no held mail");
        return;
    }
    for m in held {
        println!(
            "{}  {}  from {}  {}",
            m.message_id,
            m.received,
            m.source,
            m.subject.as_deref().unwrap_or("(no subject)")
        );
        for r in &m.held {
            let state = match &r.resolved {
                Some(at) => format!("{} {at}: {}", r.state, r.outcome),
                None => r.state.to_string(),
            };
            println!("  {:<40} {:<22} {}", r.address, r.rule, state);
            println!("  {:<40} {}", "", r.reason);
        }
    }
}
