//! What Agora's miner and validator share: wallet and chain flags, the libp2p identity kept
//! beside the hotkey, publishing the endpoint with `serve` ([`endpoint`]), reading peers from
//! the metagraph, watching the runtime for upgrades ([`runtime`]), the weight rules
//! ([`weights`]), the validator's signed audit log and its verification ([`audit`]), logging and
//! shutdown.
//!
//! Exit codes of both binaries: 0 when stopped (Ctrl-C, SIGTERM, `--rounds` done), 1 on an
//! error, 2 on bad arguments, [`runtime::EXIT_INCOMPATIBLE_RUNTIME`] (3) when the node's runtime
//! is not one the binary was built for (at start, or after a runtime upgrade).

pub mod args;
pub mod audit;
pub mod endpoint;
pub mod identity;
pub mod metrics;
pub mod peers;
pub mod runtime;
pub mod weights;

use std::time::Duration;

use agora_client::chain::{Client, RuntimeAccountId};
use agora_primitives::{Metagraph, NetUid, NeuronInfo};
use subxt_signer::sr25519::Keypair;

/// Logs to stderr; `RUST_LOG` overrides `default` (e.g. `info,agora_protocol=debug`).
pub fn init_logging(default: &str) {
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
	let _ =
		tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Runs a neuron binary's `main`: logs, then exits with the error's chain on failure, with
/// code [`runtime::EXIT_INCOMPATIBLE_RUNTIME`] when the runtime does not fit this binary, else 1.
pub async fn main_with<F: std::future::Future<Output = anyhow::Result<()>>>(binary: &str, run: F) {
	if let Err(e) = run.await {
		tracing::error!("{e:#}");
		eprintln!("{binary}: {e:#}");
		std::process::exit(runtime::exit_code(&e));
	}
}

/// The first steps of every neuron: unlock the hotkey, connect to the node, wait for the
/// hotkey's registration on `netuid` (at most `registration_timeout`).
pub async fn start(
	chain: &args::ChainArgs,
	wallet: &args::WalletArgs,
	netuid: NetUid,
	registration_timeout: Duration,
) -> anyhow::Result<(Keypair, RuntimeAccountId, Client, Metagraph<RuntimeAccountId>)> {
	let signer = wallet.unlock_hotkey()?;
	let hotkey = account_of(&signer);
	let client = Client::connect(&chain.url).await?;
	let metagraph = wait_for_registration(&client, netuid, &hotkey, registration_timeout).await?;
	Ok((signer, hotkey, client, metagraph))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
	let ctrl_c = tokio::signal::ctrl_c();
	#[cfg(unix)]
	{
		let mut term =
			match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
				Ok(s) => s,
				Err(_) => {
					let _ = ctrl_c.await;
					return;
				},
			};
		tokio::select! {
			_ = ctrl_c => {},
			_ = term.recv() => {},
		}
	}
	#[cfg(not(unix))]
	let _ = ctrl_c.await;
}

/// This hotkey's neuron in the metagraph, if registered.
pub fn own_neuron<'a>(
	metagraph: &'a Metagraph<RuntimeAccountId>,
	hotkey: &RuntimeAccountId,
) -> Option<&'a NeuronInfo<RuntimeAccountId>> {
	metagraph.neurons.iter().find(|n| &n.hotkey == hotkey)
}

/// The account id of a signer, as the runtime API types carry it.
pub fn account_of(signer: &Keypair) -> RuntimeAccountId {
	RuntimeAccountId::new(signer.public_key().0)
}

/// Waits until `hotkey` is registered on `netuid` (a miner or validator may be started before
/// its registration lands); logs what it waits for every ~30 s.
pub async fn wait_for_registration(
	client: &Client,
	netuid: NetUid,
	hotkey: &RuntimeAccountId,
	give_up_after: Duration,
) -> anyhow::Result<Metagraph<RuntimeAccountId>> {
	let start = tokio::time::Instant::now();
	let mut last_log = None::<tokio::time::Instant>;
	loop {
		let metagraph = client.metagraph(netuid).await?;
		if own_neuron(&metagraph, hotkey).is_some() {
			return Ok(metagraph);
		}
		if start.elapsed() >= give_up_after {
			anyhow::bail!(
				"hotkey {hotkey} is not registered on subnet {netuid}; register it with \
				 `agora subnet register {netuid} --hotkey <name>`"
			);
		}
		if last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
			tracing::warn!("hotkey {hotkey} is not registered on subnet {netuid} yet; waiting");
			last_log = Some(tokio::time::Instant::now());
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
}
