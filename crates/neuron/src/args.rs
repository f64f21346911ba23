//! Flags every neuron binary takes: the node, the wallet and hotkey, the libp2p side.

use std::path::PathBuf;

use agora_client::wallet::{self, Wallet};
use anyhow::Context;
use clap::Args;
use libp2p::Multiaddr;
use subxt_signer::sr25519::Keypair;

use crate::endpoint::{select_addrs, AddrError};

/// The flags every neuron binary starts with, flattened into its `Cli`: the node, the hotkey and
/// the libp2p side. The subnet flag stays with each binary, whose help says what it does there.
#[derive(Args, Clone, Debug)]
pub struct NeuronArgs {
	/// The node.
	#[command(flatten)]
	pub chain: ChainArgs,
	/// The wallet and hotkey.
	#[command(flatten)]
	pub wallet: WalletArgs,
	/// The libp2p side.
	#[command(flatten)]
	pub p2p: P2pArgs,
}

/// Which node to talk to.
#[derive(Args, Clone, Debug)]
pub struct ChainArgs {
	/// The node's WebSocket RPC.
	#[arg(long, env = "AGORA_URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,
}

/// Whose hotkey signs, and how its keyfile is unlocked (never a prompt: neurons run headless).
#[derive(Args, Clone, Debug)]
pub struct WalletArgs {
	/// Directory holding the wallets [default: ~/.agora/wallets].
	#[arg(long, env = "AGORA_WALLETS_DIR", value_name = "DIR")]
	pub wallets_dir: Option<PathBuf>,
	/// The wallet.
	#[arg(long, default_value = "default")]
	pub wallet: String,
	/// The hotkey of that wallet this neuron runs as.
	#[arg(long, default_value = "default")]
	pub hotkey: String,
	/// Read the hotkey's keyfile password from the first line of this file.
	#[arg(long, value_name = "FILE", conflicts_with = "password_fd")]
	pub password_file: Option<PathBuf>,
	/// Read the hotkey's keyfile password from this inherited file descriptor.
	#[arg(long, value_name = "FD")]
	pub password_fd: Option<i32>,
}

impl WalletArgs {
	/// The wallet directory.
	pub fn wallet(&self) -> anyhow::Result<Wallet> {
		let root = self.wallets_dir.clone().unwrap_or_else(wallet::default_root);
		Ok(Wallet::new(&root, &self.wallet)?)
	}

	/// Unlocks the hotkey with the password from `--password-file` or `--password-fd`.
	pub fn unlock_hotkey(&self) -> anyhow::Result<Keypair> {
		let wallet = self.wallet()?;
		wallet.hotkey_public(&self.hotkey).with_context(|| {
			format!(
				"wallet `{}` has no hotkey `{}`; create it with `agora wallet new-hotkey`",
				self.wallet, self.hotkey
			)
		})?;
		let password = match (&self.password_file, self.password_fd) {
			(Some(path), _) => wallet::password_from_file(path)?,
			(None, Some(fd)) => wallet::password_from_fd(fd)?,
			(None, None) => anyhow::bail!(
				"the hotkey's password is needed: pass --password-file FILE or --password-fd FD"
			),
		};
		Ok(wallet.unlock_hotkey(&self.hotkey, &password)?)
	}

	/// Where this hotkey's libp2p identity is kept: `<wallet>/p2p/<hotkey>.key`.
	pub fn p2p_key_path(&self) -> anyhow::Result<PathBuf> {
		Ok(self.wallet()?.dir.join("p2p").join(format!("{}.key", self.hotkey)))
	}
}

/// The libp2p side.
#[derive(Args, Clone, Debug)]
pub struct P2pArgs {
	/// Addresses to listen on (repeat the flag for several).
	#[arg(long = "listen", value_name = "MULTIADDR", default_value = "/ip4/0.0.0.0/tcp/0")]
	pub listen: Vec<Multiaddr>,
	/// Addresses to publish on chain instead of the listening ones (e.g. behind NAT); the chain
	/// takes at most four, the first four are published.
	#[arg(long = "external-addr", value_name = "MULTIADDR")]
	pub external: Vec<Multiaddr>,
	/// Also publish loopback listening addresses (127.0.0.0/8, ::1): for a local test network
	/// only, nobody else can dial them.
	#[arg(long)]
	pub allow_loopback: bool,
	/// The libp2p identity file [default: <wallet>/p2p/<hotkey>.key, created if missing].
	#[arg(long, value_name = "FILE")]
	pub p2p_key: Option<PathBuf>,
}

impl P2pArgs {
	/// The libp2p identity: `--p2p-key`, else the one kept beside the wallet's hotkey
	/// (created on first use).
	pub fn keypair(&self, wallet: &WalletArgs) -> anyhow::Result<libp2p::identity::Keypair> {
		let path = match &self.p2p_key {
			Some(p) => p.clone(),
			None => wallet.p2p_key_path()?,
		};
		crate::identity::load_or_create(&path)
	}

	/// Refuses, before anything else happens, `--external-addr` values the chain would not take.
	pub fn check(&self) -> Result<(), AddrError> {
		select_addrs(&self.external, &[], self.allow_loopback).map(|_| ())
	}

	/// Waits until `p2p`'s listeners have reported their addresses and those have settled
	/// ([`settle_listen_addrs`](crate::endpoint::settle_listen_addrs)), then returns them and
	/// what to publish of them ([`publishable`](Self::publishable)).
	pub async fn settled_publishable(
		&self,
		p2p: &agora_protocol::Client,
	) -> Result<(Vec<Multiaddr>, Vec<Multiaddr>), AddrError> {
		let listening = crate::endpoint::settle_listen_addrs(
			|| p2p.listen_addrs(),
			crate::endpoint::LISTEN_QUIET,
			crate::endpoint::LISTEN_LIMIT,
		)
		.await;
		let publish = self.publishable(&listening)?;
		Ok((listening, publish))
	}

	/// What to publish given the `listening` addresses: `--external-addr`, else those of them
	/// another machine can dial, at most four ([`select_addrs`]); logs what is left out.
	pub fn publishable(&self, listening: &[Multiaddr]) -> Result<Vec<Multiaddr>, AddrError> {
		let selection = select_addrs(&self.external, listening, self.allow_loopback)?;
		for (addr, why) in &selection.dropped {
			if self.external.contains(addr) {
				tracing::warn!("not publishing {addr}: {why}");
			} else {
				tracing::info!("not publishing {addr}: {why}");
			}
		}
		Ok(selection.publish)
	}
}
