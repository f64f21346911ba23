//! `agora-node`: the Agora chain node.

// sc-cli and sc-service return their large error enums by value; boxing them here would only
// add conversions at every call.
#![allow(clippy::result_large_err)]

mod agora_rpc;
mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> polkadot_sdk::sc_cli::Result<()> {
	command::run()
}
