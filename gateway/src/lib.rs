//! # Agora gateway
//!
//! An OpenAI-compatible HTTP API over Agora subnets' miners, run by a validator's hotkey (the
//! permit miners answer), paid per call through `pallet-payments` channels: every paid request
//! carries the consumer's signed cumulative voucher, kept in an embedded database and claimed on
//! chain. See `docs/gateway.md`.

pub mod claimer;
pub mod ledger;
pub mod store;

pub mod args;
pub mod billing;
pub mod chat;
pub mod error;
pub mod free_tier;
pub mod metrics;
pub mod miners;
pub mod openai;
pub mod routes;
pub mod stream;
pub mod subnets;
