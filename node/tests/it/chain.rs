//! Signed transactions and storage reads over subxt, with the metadata fetched from the node
//! (dynamic calls: these tests check the node, not generated bindings).

use anyhow::{anyhow, bail, Result};
use subxt::{
	config::{PolkadotConfig, PolkadotExtrinsicParamsBuilder, RpcConfigFor},
	dynamic,
	error::{DispatchError, TransactionEventsError},
	rpcs::{LegacyRpcMethods, RpcClient},
	transactions::{Payload, TransactionStatus},
	utils::{AccountId32, H256},
	OnlineClient,
};
use subxt_signer::sr25519::Keypair;

/// The runtime's signing config: `MultiAddress<AccountId32, ()>`, `MultiSignature`.
pub(crate) type Cfg = PolkadotConfig;

/// A connection to one node.
pub(crate) struct Chain {
	/// The subxt client.
	pub(crate) api: OnlineClient<Cfg>,
	legacy: LegacyRpcMethods<RpcConfigFor<Cfg>>,
}

impl Chain {
	/// Connects to `url` (ws://127.0.0.1:PORT).
	pub(crate) async fn connect(url: &str) -> Result<Self> {
		let rpc = RpcClient::from_insecure_url(url).await?;
		let api = OnlineClient::<Cfg>::from_rpc_client(rpc.clone()).await?;
		let legacy = LegacyRpcMethods::new(rpc.clone());
		Ok(Self { api, legacy })
	}

	/// Signs `call` with `signer` against the best block (nonce from the pool, immortal), submits
	/// it, waits until it is in a best block and returns its events; a dispatch error becomes an
	/// `Err` naming pallet and error.
	pub(crate) async fn submit<Call: Payload>(
		&self,
		call: &Call,
		signer: &Keypair,
	) -> Result<subxt::extrinsics::ExtrinsicEvents<Cfg>> {
		let who = signer.public_key().to_account_id();
		let nonce = self.legacy.system_account_next_index(&who).await?;
		let best = self
			.legacy
			.chain_get_block_hash(None)
			.await?
			.ok_or_else(|| anyhow!("node has no best block"))?;
		let at = self.api.at_block(best).await?;
		let params = PolkadotExtrinsicParamsBuilder::<Cfg>::new().nonce(nonce).immortal().build();
		let mut progress = at.tx().sign_and_submit_then_watch(call, signer, params).await?;
		while let Some(status) = progress.next().await {
			match status? {
				TransactionStatus::InBestBlock(b) | TransactionStatus::InFinalizedBlock(b) => {
					return match b.wait_for_success().await {
						Ok(events) => Ok(events),
						Err(TransactionEventsError::ExtrinsicFailed(DispatchError::Module(m))) => {
							Err(anyhow!("dispatch error {}", m.details_string()))
						},
						Err(e) => Err(e.into()),
					}
				},
				TransactionStatus::Invalid { message }
				| TransactionStatus::Dropped { message }
				| TransactionStatus::Error { message } => bail!("transaction rejected: {message}"),
				_ => {},
			}
		}
		bail!("transaction status stream ended before inclusion")
	}

	/// Free balance of `who` at the best block.
	pub(crate) async fn free_balance(&self, who: &AccountId32) -> Result<u128> {
		self.free_balance_at(who, None).await
	}

	/// Free balance of `who` at block `at` (the best block if `None`).
	pub(crate) async fn free_balance_at(
		&self,
		who: &AccountId32,
		at: Option<H256>,
	) -> Result<u128> {
		#[derive(Debug, subxt::ext::scale_decode::DecodeAsType)]
		#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
		struct AccountInfo {
			data: AccountData,
		}
		#[derive(Debug, subxt::ext::scale_decode::DecodeAsType)]
		#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
		struct AccountData {
			free: u128,
		}
		let at = self.at(at).await?;
		let info = at
			.storage()
			.fetch(dynamic::storage::<(AccountId32,), AccountInfo>("System", "Account"), (*who,))
			.await?
			.decode()?;
		Ok(info.data.free)
	}

	/// Aura's current authorities (sr25519 public keys) at the best block.
	pub(crate) async fn aura_authorities(&self) -> Result<Vec<[u8; 32]>> {
		let at = self.at_best().await?;
		Ok(at
			.storage()
			.fetch(dynamic::storage::<(), Vec<[u8; 32]>>("Aura", "Authorities"), ())
			.await?
			.decode()?)
	}

	/// A storage value without keys (`pallet.item`) at block `at` (the best block if `None`).
	pub(crate) async fn value_at<T>(&self, pallet: &str, item: &str, at: Option<H256>) -> Result<T>
	where
		T: subxt::ext::scale_decode::DecodeAsType,
	{
		let at = self.at(at).await?;
		Ok(at.storage().fetch(dynamic::storage::<(), T>(pallet, item), ()).await?.decode()?)
	}

	async fn at(&self, at: Option<H256>) -> Result<subxt::client::OnlineClientAtBlock<Cfg>> {
		match at {
			Some(hash) => Ok(self.api.at_block(hash).await?),
			None => self.at_best().await,
		}
	}

	async fn at_best(&self) -> Result<subxt::client::OnlineClientAtBlock<Cfg>> {
		let best = self
			.legacy
			.chain_get_block_hash(None)
			.await?
			.ok_or_else(|| anyhow!("node has no best block"))?;
		Ok(self.api.at_block(best).await?)
	}
}

/// A keypair from a secret URI such as `//Alice` or `//Agora//validator5`.
pub(crate) fn keypair(uri: &str) -> Keypair {
	use std::str::FromStr;
	let uri = subxt_signer::SecretUri::from_str(uri).expect("valid secret uri");
	Keypair::from_uri(&uri).expect("valid dev key")
}

/// `n` AGR in plancks.
pub(crate) fn agr(n: u128) -> u128 {
	n * 1_000_000_000
}
