//! bounceguard: an SES-compatible gateway that decides per recipient before anything is sent.
//!
//! The binary's layers: [`config`] (TOML + environment), [`auth`] (SigV4), [`service`] (the
//! domain service over the store), [`http`] (the SES v1/v2 fronts and the capture API),
//! [`smtp`] (the SMTP door) and
//! [`cli`] (the command line, with the offline policy tester in [`policy_tool`] and the
//! address tools and decision log in [`address_tool`]). The pure decisions live in
//! `bounceguard-core`, `bounceguard-policy` and `bounceguard-guard`, the DNS check in
//! `bounceguard-dns`, the wire formats in `bounceguard-wire`, storage in `bounceguard-store`.

pub mod address_tool;
pub mod auth;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod held_tool;
pub mod http;
pub mod metrics;
pub mod policy_sync;
pub mod policy_tool;
pub mod service;
pub mod smtp;
pub mod suppression_tool;
