//! The chain connection: compatibility check on connect, submissions that wait and report
//! dispatch errors by name, typed calls and `AgoraApi` queries.
//!
//! ## Submissions
//!
//! - **Mortal.** Every transaction is signed with a mortal era of [`MORTAL_PERIOD`] (64) blocks
//!   born at the finalized block (the best block when finality lags more than
//!   [`MAX_FINALITY_LAG`] blocks behind it): once the period is over it can no longer be
//!   included, so a signed transaction cannot be replayed later (say, after the account was
//!   reaped and refunded, which resets its nonce).
//! - **One key, many submitters.** The nonce is the node's `system_accountNextIndex`, which
//!   counts the account's transactions already in the pool. When two submissions from one key
//!   race for the same nonce, the pool refuses the second ("priority is too low"), or the
//!   first is replaced ("usurped"), or the nonce is already used ("outdated"): none of these
//!   transactions was or will be applied, so [`Client::submit`] fetches the nonce again,
//!   signs again and retries, at most [`SUBMIT_ATTEMPTS`] times with a short randomised
//!   backoff. Any other refusal is returned at once.

use std::time::Duration;

use agora_primitives::{
	Balance, BlockNumber, Metagraph, NetUid, NeuronInfo, StakeInfo, SubnetInfo, Uid,
};
use codec::{Decode, Encode};
use subxt::{
	config::{PolkadotConfig, PolkadotExtrinsicParamsBuilder, RpcConfigFor},
	dynamic::{self, Value},
	error::{DispatchError, TransactionEventsError},
	rpcs::{LegacyRpcMethods, RpcClient},
	transactions::{Payload, TransactionStatus},
	utils::{AccountId32, H256},
	OnlineClient,
};
use subxt_signer::sr25519::Keypair;

use crate::stake::Pool;

/// Blocks a signed transaction stays valid for, counted from its birth block.
pub const MORTAL_PERIOD: u64 = 64;

/// How far (in blocks) finality may lag behind the best block before transactions are born at
/// the best block instead of the finalized one (so that most of their period is still ahead).
pub const MAX_FINALITY_LAG: u64 = 16;

/// Submissions one transaction may take when its nonce is taken by another transaction of the
/// same account (see the module docs).
pub const SUBMIT_ATTEMPTS: u32 = 5;

/// Transactions `Client::drain_stake` sends at most to empty one position.
pub const DRAIN_ATTEMPTS: u32 = 4;

/// The signing config of the Agora runtime: `MultiAddress<AccountId32, ()>`, `MultiSignature`.
pub type Config = PolkadotConfig;

/// The runtime's account id, as the runtime API types use it.
pub type RuntimeAccountId = polkadot_sdk::sp_runtime::AccountId32;

/// The hashes of what this client relies on in the metadata it was built for
/// (`metadata/agora.scale`, checked against the runtime by a test), one `name hash` per line
/// ([`interface_hashes`]), precomputed so that connecting decodes only the node's metadata;
/// the metadata test keeps them in step with `agora.scale`.
pub const BUILT_FOR_HASHES: &str = include_str!("../metadata/agora.hashes");

/// `Pallet.call <hash>` for every call in [`USED_CALLS`], the storage items read and decoded
/// statically ([`STORAGE_READ`]), then `AgoraApi <hash>`: what this
/// client relies on, as `metadata` describes it. Err names the first missing piece.
pub fn interface_hashes(metadata: &subxt::metadata::Metadata) -> Result<Vec<String>, String> {
	let mut lines = Vec::new();
	for (pallet, calls) in USED_CALLS {
		let p = metadata.pallet_by_name(pallet).ok_or_else(|| format!("no pallet {pallet}"))?;
		for call in *calls {
			let hash = p.call_hash(call).ok_or_else(|| format!("no call {pallet}.{call}"))?;
			lines.push(format!("{pallet}.{call} {}", hex::encode(hash)));
		}
	}
	for (pallet, entry) in STORAGE_READ {
		let hash = metadata
			.pallet_by_name(pallet)
			.and_then(|p| p.storage_hash(entry))
			.ok_or_else(|| format!("no storage {pallet}.{entry}"))?;
		lines.push(format!("{pallet}.{entry} {}", hex::encode(hash)));
	}
	let api = metadata
		.runtime_api_trait_by_name("AgoraApi")
		.ok_or_else(|| "no AgoraApi runtime API".to_string())?;
	lines.push(format!("AgoraApi {}", hex::encode(api.hash())));
	Ok(lines)
}

/// The storage items this client reads and decodes itself (raw keys, its own types). The
/// governance items ([`crate::governance`]) are not here: their keys are hashed and their
/// values decoded by name against the node's own metadata.
pub const STORAGE_READ: &[(&str, &str)] = &[
	("System", "Account"),
	("Subnets", "Weights"),
	("Staking", "Pools"),
	("Staking", "Shares"),
	("Staking", "Owner"),
	("Staking", "OwnedHotkeys"),
	("Staking", "Nominations"),
	("Staking", "ColdkeySwaps"),
	("Staking", "FrozenUntil"),
	("Staking", "PendingDestinations"),
	("Subnets", "Uids"),
	("Subnets", "LastKeySwap"),
	("Rewards", "Payouts"),
	("Payments", "Channels"),
	("Proxy", "Proxies"),
];

/// The calls, storage items and runtime API this client relies on: a node whose runtime changed
/// any of them is refused.
pub const USED_CALLS: &[(&str, &[&str])] = &[
	("Balances", &["transfer_keep_alive", "transfer_allow_death"]),
	("ConvictionVoting", &["vote", "delegate", "undelegate", "remove_vote", "unlock"]),
	("Payments", &["open", "top_up", "extend", "claim", "close"]),
	("Preimage", &["note_preimage"]),
	("Proxy", &["add_proxy", "remove_proxy"]),
	("Referenda", &["submit", "place_decision_deposit"]),
	("Governance", &["senate_cancel"]),
	(
		"Staking",
		&[
			"add_stake",
			"remove_stake",
			"move_stake",
			"set_take",
			"announce_coldkey_swap",
			"dispute_coldkey_swap",
			"resolve_coldkey_swap",
			"execute_coldkey_swap",
			"cancel_coldkey_swap",
		],
	),
	(
		"Subnets",
		&[
			"create_subnet",
			"set_hyperparams",
			"register",
			"serve",
			"set_weights",
			"commit_weights",
			"reveal_weights",
			"swap_hotkey",
		],
	),
];

/// A proxy of an account as `pallet-proxy` stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode, serde::Serialize)]
pub struct ProxyDefinition {
	/// The account that may act.
	#[serde(serialize_with = "ss58")]
	pub delegate: AccountId32,
	/// What it may do.
	pub proxy_type: agora_primitives::ProxyType,
	/// Blocks between its announcement of a call and the call (0: none needed).
	pub delay: BlockNumber,
}

pub(crate) fn ss58<S: serde::Serializer>(a: &AccountId32, s: S) -> Result<S::Ok, S::Error> {
	s.serialize_str(&a.to_string())
}

/// How long a submission waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
	/// Until the transaction is in a best block.
	Inclusion,
	/// Until its block is finalized.
	Finality,
}

/// What went wrong talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
	/// The node cannot be reached.
	#[error("cannot reach a node at {url}: {why}")]
	Connect {
		/// The URL.
		url: String,
		/// Why.
		why: String,
	},
	/// The node runs a runtime this client was not built for.
	#[error("the node at {url} runs an incompatible runtime ({what}); use an `agora` built for spec version {spec}")]
	Incompatible {
		/// The URL.
		url: String,
		/// What differs.
		what: String,
		/// The node's spec version.
		spec: u32,
	},
	/// The transaction was included but failed.
	#[error("{pallet}.{error}: {docs}")]
	Dispatch {
		/// Pallet name.
		pallet: String,
		/// Error name (with its inner variant, e.g. `InvalidHyperparams(Tempo)`).
		error: String,
		/// The error's documentation.
		docs: String,
	},
	/// The pool refused the transaction (e.g. cannot pay fees, bad nonce).
	#[error("transaction rejected: {0}")]
	Rejected(String),
	/// Bytes that are not exactly one call of the node's runtime.
	#[error("not a call of this runtime: {0}")]
	BadCall(String),
	/// A subnet, neuron or block that does not exist.
	#[error("{0}")]
	NotFound(String),
	/// Any other RPC or decoding failure.
	#[error("{0}")]
	Other(String),
}

pub(crate) fn other(e: impl std::fmt::Display) -> ClientError {
	ClientError::Other(e.to_string())
}

/// One emitted event: pallet, name and fields as JSON-ish text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EventRecord {
	/// Pallet name.
	pub pallet: String,
	/// Event name.
	pub name: String,
	/// Fields, rendered.
	pub fields: String,
	/// Fields, SCALE-encoded as emitted (not in the JSON).
	#[serde(skip)]
	pub field_bytes: Vec<u8>,
}

/// The outcome of a successful submission.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Receipt {
	/// Block it is in.
	pub block: H256,
	/// The extrinsic's hash.
	pub extrinsic: H256,
	/// Its events.
	pub events: Vec<EventRecord>,
	/// The era it was signed with.
	pub mortality: Mortality,
}

/// A mortal era: valid from block `birth` for `period` blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mortality {
	/// The block it is born at (its hash is signed).
	pub birth: u64,
	/// How many blocks from `birth` it may be included in.
	pub period: u64,
}

/// The birth block of a transaction signed now: the finalized block, which no reorganisation
/// can take away, unless the best block is more than [`MAX_FINALITY_LAG`] ahead of it; then the
/// best block, so that the transaction still has most of its [`MORTAL_PERIOD`].
pub fn birth_block(best: (u64, H256), finalized: (u64, H256)) -> (u64, H256) {
	if best.0.saturating_sub(finalized.0) > MAX_FINALITY_LAG {
		best
	} else {
		finalized
	}
}

/// Whether the pool's refusal `message` means that another transaction of the same account took
/// the nonce (refused for too low a priority, replaced, outdated, or ahead of the pool): the
/// transaction was not applied and will not be, so it may be signed again with a fresh nonce.
pub fn nonce_taken(message: &str) -> bool {
	let m = message.to_ascii_lowercase();
	[
		"priority is too low",
		"priority of the transaction is too low",
		"too low priority",
		"usurped",
		"rendered invalid by another extrinsic",
		"transaction is outdated",
		"not accepting future transactions",
	]
	.iter()
	.any(|p| m.contains(p))
}

/// One transaction of [`Client::drain_stake`]: the amount it named and its receipt.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Drained {
	/// AGR (plancks) named in the call: the position's value computed for the block it was
	/// expected in.
	pub amount: Balance,
	/// Its receipt.
	pub receipt: Receipt,
}

impl Receipt {
	/// Whether an event `pallet.name` was emitted.
	pub fn has(&self, pallet: &str, name: &str) -> bool {
		self.events.iter().any(|e| e.pallet == pallet && e.name == name)
	}

	/// The id of the channel a `Payments.open` opened: the first field (`id: u64`) of its
	/// `Payments.ChannelOpened` event, decoded from the event's bytes (one submission opens at
	/// most one channel).
	pub fn channel_opened(&self) -> Option<ChannelId> {
		self.events
			.iter()
			.find(|e| e.pallet == "Payments" && e.name == "ChannelOpened")
			.and_then(|e| ChannelId::decode(&mut &e.field_bytes[..]).ok())
	}
}

/// Head, finality and runtime of the node.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ChainInfo {
	/// Chain name.
	pub chain: String,
	/// Best block number.
	pub best: u64,
	/// Finalized block number.
	pub finalized: u64,
	/// Connected peers.
	pub peers: usize,
	/// Whether it is syncing.
	pub syncing: bool,
	/// Runtime spec version.
	pub spec_version: u32,
	/// Runtime transaction version.
	pub transaction_version: u32,
}

/// A connection to an Agora node.
///
/// Queries go straight to JSON-RPC, each one request (the node's RPC server answers a request
/// in two TCP segments without `TCP_NODELAY`, so every round trip costs ~40 ms of delayed ACK
/// on Linux: fewer requests is what makes a CLI answer fast). The subxt client, which signs and
/// watches transactions, is made on first use. A clone shares the connection.
#[derive(Clone)]
pub struct Client {
	api: tokio::sync::OnceCell<OnlineClient<Config>>,
	rpc_client: RpcClient,
	pub(crate) rpc: LegacyRpcMethods<RpcConfigFor<Config>>,
	url: String,
}

impl Client {
	/// Connects to `url` (`ws://` or `wss://`) and checks that its runtime still has every call,
	/// storage item and runtime API this client uses, unchanged.
	pub async fn connect(url: &str) -> Result<Self, ClientError> {
		let connect_err = |why: String| ClientError::Connect { url: url.to_string(), why };
		let rpc = tokio::time::timeout(Duration::from_secs(10), RpcClient::from_insecure_url(url))
			.await
			.map_err(|_| connect_err("timed out after 10 s".into()))?
			.map_err(|e| connect_err(e.to_string()))?;
		let client = Self {
			api: tokio::sync::OnceCell::new(),
			rpc_client: rpc.clone(),
			rpc: LegacyRpcMethods::new(rpc),
			url: url.to_string(),
		};
		client.check_compatible().await?;
		Ok(client)
	}

	/// The node's URL.
	pub fn url(&self) -> &str {
		&self.url
	}

	pub(crate) async fn api(&self) -> Result<&OnlineClient<Config>, ClientError> {
		self.api
			.get_or_try_init(|| async {
				OnlineClient::<Config>::from_rpc_client(self.rpc_client.clone())
					.await
					.map_err(|e| ClientError::Connect { url: self.url.clone(), why: e.to_string() })
			})
			.await
	}

	/// The hash of block `number` of the best chain, if it exists.
	pub async fn block_hash(&self, number: u64) -> Result<Option<H256>, ClientError> {
		self.rpc.chain_get_block_hash(Some(number.into())).await.map_err(other)
	}

	/// The chain's genesis hash (what `serve` proofs sign; the node's block 0).
	pub async fn genesis_hash(&self) -> Result<[u8; 32], ClientError> {
		let hash = self.block_hash(0).await?.ok_or_else(|| {
			ClientError::Other("the node has no block 0: is it a chain node?".into())
		})?;
		Ok(hash.0)
	}

	/// The number of the block with this hash, if the node has it.
	pub async fn block_number(&self, hash: H256) -> Result<Option<u64>, ClientError> {
		Ok(self.rpc.chain_get_header(Some(hash)).await.map_err(other)?.map(|h| h.number))
	}

	/// Compares what this client relies on with the node's runtime metadata. The runtime code's
	/// hash determines its metadata, so a code already found compatible is remembered (a marker
	/// file under the user's cache directory) and not downloaded again.
	async fn check_compatible(&self) -> Result<(), ClientError> {
		let code_hash: Option<H256> = self
			.rpc_client
			.request("state_getStorageHash", subxt::rpcs::rpc_params!["0x3a636f6465"])
			.await
			.map_err(other)?;
		let marker = code_hash.and_then(|h| {
			let ours = polkadot_sdk::sp_crypto_hashing::twox_64(BUILT_FOR_HASHES.as_bytes());
			dirs::cache_dir().map(|d| {
				d.join("agora").join("compatible").join(format!(
					"{}-{}",
					hex::encode(h.0),
					hex::encode(ours)
				))
			})
		});
		if marker.as_ref().is_some_and(|m| m.exists()) {
			return Ok(());
		}
		let raw = self
			.rpc
			.state_call("Metadata_metadata_at_version", Some(&15u32.encode()), None)
			.await
			.map_err(other)?;
		let incompatible =
			|what: String, spec| ClientError::Incompatible { url: self.url.clone(), what, spec };
		let check = match <Option<Vec<u8>>>::decode(&mut &raw[..]) {
			Ok(Some(bytes)) => subxt::metadata::Metadata::decode_from(&bytes[..])
				.map_err(|e| format!("undecodable metadata: {e}"))
				.and_then(|md| interface_hashes(&md))
				.and_then(|node| {
					match BUILT_FOR_HASHES.lines().zip(&node).find(|(ours, theirs)| ours != theirs)
					{
						Some((ours, _)) => Err(format!(
							"{} changed",
							ours.split_whitespace().next().unwrap_or(ours)
						)),
						None => Ok(()),
					}
				}),
			_ => Err("no metadata v15".to_string()),
		};
		if let Err(what) = check {
			let spec = self.rpc.state_get_runtime_version(None).await.map_err(other)?.spec_version;
			return Err(incompatible(what, spec));
		}
		if let Some(marker) = marker {
			// Best effort: without the marker the next connection checks again.
			let _ = marker.parent().map(std::fs::create_dir_all);
			let _ = std::fs::write(&marker, b"");
		}
		Ok(())
	}

	/// The hash of the runtime code (`:code`) at the best block: it changes exactly when the
	/// runtime is upgraded (`System.set_code`), so a long-running neuron polls it cheaply and
	/// calls [`Client::recheck_compatible`] only when it moved.
	pub async fn runtime_code_hash(&self) -> Result<Option<H256>, ClientError> {
		self.rpc_client
			.request("state_getStorageHash", subxt::rpcs::rpc_params!["0x3a636f6465"])
			.await
			.map_err(other)
	}

	/// The compatibility check of [`Client::connect`], again: after a runtime upgrade the node may
	/// no longer have what this client relies on ([`ClientError::Incompatible`] then).
	pub async fn recheck_compatible(&self) -> Result<(), ClientError> {
		self.check_compatible().await
	}

	/// Blocks between two `serve` calls of one neuron (the `Subnets.ServeRateLimit` constant of
	/// the current runtime).
	pub async fn serve_rate_limit(&self) -> Result<BlockNumber, ClientError> {
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		at.constants()
			.entry(subxt::constants::dynamic::<BlockNumber>("Subnets", "ServeRateLimit"))
			.map_err(other)
	}

	/// `Sudo.sudo(pallet.call(args))`: the call, its arguments SCALE-encoded in `args`,
	/// dispatched as root when the chain's sudo key signs it (root-only hyperparameters on a dev
	/// chain, for instance). The call is encoded by [`Client::encode_call`].
	pub async fn sudo(
		&self,
		pallet: &str,
		call: &str,
		args: &[u8],
	) -> Result<impl Payload, ClientError> {
		let encoded = self.encode_call(pallet, call, args).await?;
		Ok(dynamic::tx("Sudo", "sudo", (subxt::utils::Static(subxt::utils::Encoded(encoded)),)))
	}

	/// `Sudo.sudo(Subnets.set_hyperparams(netuid, hyperparams))`: any valid hyperparameters,
	/// root's included, when the chain's sudo key signs.
	pub async fn sudo_set_hyperparams(
		&self,
		netuid: NetUid,
		hyperparams: &agora_primitives::SubnetHyperparams,
	) -> Result<impl Payload, ClientError> {
		self.sudo("Subnets", "set_hyperparams", &(netuid, hyperparams).encode()).await
	}

	/// Signs `call` with `signer` (a mortal era, see the module docs), submits it and waits
	/// (`wait`); returns its events, or the dispatch error by pallet and name. When another
	/// transaction of the same account takes the nonce, fetches it again and retries (at most
	/// [`SUBMIT_ATTEMPTS`] submissions).
	pub async fn submit<Call: Payload>(
		&self,
		call: &Call,
		signer: &Keypair,
		wait: Wait,
	) -> Result<Receipt, ClientError> {
		let mut attempt = 1;
		loop {
			match self.submit_once(call, signer, wait).await {
				Err(ClientError::Rejected(message)) if nonce_taken(&message) => {
					if attempt >= SUBMIT_ATTEMPTS {
						return Err(ClientError::Rejected(format!(
							"{message} (signed {attempt} times with a fresh nonce: other \
							 transactions of this account keep taking it)"
						)));
					}
					// Randomised, so two submitters that collided do not collide again.
					let jitter: u64 = rand::Rng::gen_range(&mut rand::thread_rng(), 0..150);
					tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt) + jitter))
						.await;
					attempt += 1;
				},
				result => return result,
			}
		}
	}

	/// One signature and submission of `call`.
	async fn submit_once<Call: Payload>(
		&self,
		call: &Call,
		signer: &Keypair,
		wait: Wait,
	) -> Result<Receipt, ClientError> {
		let who: AccountId32 = signer.public_key().to_account_id();
		let (nonce, best, finalized) = tokio::try_join!(
			async { self.rpc.system_account_next_index(&who).await.map_err(other) },
			self.block_at(None),
			async {
				let hash = self.rpc.chain_get_finalized_head().await.map_err(other)?;
				self.block_at(Some(hash)).await
			},
		)?;
		let (birth, birth_hash) = birth_block(best, finalized);
		// The finalized block: the subxt backend follows it (a best block it has not seen yet
		// would be refused). Nonce and era are set here, so only the metadata comes from it.
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		let metadata = at.metadata();
		let params = PolkadotExtrinsicParamsBuilder::<Config>::new()
			.nonce(nonce)
			.mortal_from_unchecked(MORTAL_PERIOD, birth, birth_hash)
			.build();
		let mortality = Mortality { birth, period: MORTAL_PERIOD };
		let mut progress = at
			.tx()
			.sign_and_submit_then_watch(call, signer, params)
			.await
			.map_err(|e| ClientError::Rejected(e.to_string()))?;
		while let Some(status) = progress.next().await {
			let status = status.map_err(other)?;
			let block = match (status, wait) {
				(TransactionStatus::InBestBlock(b), Wait::Inclusion)
				| (TransactionStatus::InFinalizedBlock(b), _) => b,
				(
					TransactionStatus::Invalid { message }
					| TransactionStatus::Dropped { message }
					| TransactionStatus::Error { message },
					_,
				) => return Err(ClientError::Rejected(message)),
				_ => continue,
			};
			let block_hash = block.block_hash();
			let extrinsic = block.extrinsic_hash();
			return match block.wait_for_success().await {
				Ok(events) => Ok(Receipt {
					block: block_hash,
					extrinsic,
					events: events
						.iter()
						.filter_map(Result::ok)
						.map(|e| EventRecord {
							pallet: e.pallet_name().to_string(),
							name: e.event_name().to_string(),
							fields: e
								.decode_fields_unchecked_as::<subxt::ext::scale_value::Composite<()>>(
								)
								.map(|v| v.to_string())
								.unwrap_or_default(),
							field_bytes: e.field_bytes().to_vec(),
						})
						.collect(),
					mortality,
				}),
				Err(TransactionEventsError::ExtrinsicFailed(DispatchError::Module(m))) => {
					Err(module_error(&m, metadata.types()))
				},
				Err(e) => Err(other(e)),
			};
		}
		Err(ClientError::Other("the node closed the transaction's status stream".into()))
	}

	/// Number and hash of block `hash`, or of the best block.
	pub(crate) async fn block_at(&self, hash: Option<H256>) -> Result<(u64, H256), ClientError> {
		let header = self
			.rpc
			.chain_get_header(hash)
			.await
			.map_err(other)?
			.ok_or_else(|| ClientError::Other("the node has no such block".into()))?;
		let hash = hash
			.unwrap_or_else(|| H256(polkadot_sdk::sp_crypto_hashing::blake2_256(&header.encode())));
		Ok((header.number, hash))
	}

	/// Waits for the next best block and returns its number and hash: right after it is
	/// imported, so that a transaction sent now is likely in the block after it.
	async fn next_best_block(&self) -> Result<(u64, H256), ClientError> {
		// A fresh subscription each time: an old one holds heads buffered while we waited.
		let mut heads = self.rpc.chain_subscribe_new_heads().await.map_err(other)?;
		let mut next = async || -> Result<(u64, H256), ClientError> {
			let header = tokio::time::timeout(Duration::from_secs(60), heads.next())
				.await
				.map_err(|_| ClientError::Other("no new block for 60 s".into()))?
				.ok_or_else(|| ClientError::Other("the node closed the head subscription".into()))?
				.map_err(other)?;
			let hash = H256(polkadot_sdk::sp_crypto_hashing::blake2_256(&header.encode()));
			Ok((header.number, hash))
		};
		// The subscription starts with the current head; the next one is new.
		let current = next().await?;
		loop {
			let head = next().await?;
			if head.0 > current.0 {
				return Ok(head);
			}
		}
	}

	/// `coldkey`'s shares of `hotkey`'s pool, and the pool, as stored at block `at` (two
	/// requests, made together).
	pub async fn stake_position(
		&self,
		hotkey: &AccountId32,
		coldkey: &AccountId32,
		at: H256,
	) -> Result<(u128, Pool), ClientError> {
		use polkadot_sdk::sp_crypto_hashing::{blake2_128, twox_128};
		let concat = |key: &mut Vec<u8>, a: &AccountId32| {
			key.extend(blake2_128(&a.0));
			key.extend(a.0);
		};
		let mut pool_key = twox_128(b"Staking").to_vec();
		pool_key.extend(twox_128(b"Pools"));
		concat(&mut pool_key, hotkey);
		let mut shares_key = twox_128(b"Staking").to_vec();
		shares_key.extend(twox_128(b"Shares"));
		concat(&mut shares_key, hotkey);
		concat(&mut shares_key, coldkey);
		// Both types are among the hashes checked on connect.
		let (pool, shares) = tokio::try_join!(
			async { self.rpc.state_get_storage(&pool_key, Some(at)).await.map_err(other) },
			async { self.rpc.state_get_storage(&shares_key, Some(at)).await.map_err(other) },
		)?;
		let pool = match pool {
			Some(bytes) => {
				Pool::decode(&mut &bytes[..]).map_err(|e| other(format!("Staking.Pools: {e}")))?
			},
			None => Pool::default(),
		};
		let shares = match shares {
			Some(bytes) => {
				u128::decode(&mut &bytes[..]).map_err(|e| other(format!("Staking.Shares: {e}")))?
			},
			None => 0,
		};
		Ok((shares, pool))
	}

	/// Empties `signer`'s stake position on `hotkey` with the calls `call(amount)` builds
	/// (`remove_stake` or `move_stake`): right after a new best block `b`, reads the position
	/// and its pool at `b` and names its exact value at block `b + 1` (see [`crate::stake`]),
	/// then checks the position at the block the transaction landed in. When it landed later
	/// than `b + 1` (the value grew meanwhile) and a remainder is left, or the pallet refused
	/// the amount (`BelowMinStake`, `InsufficientStake`: a failed transaction that still pays
	/// its fee), it does the same again, at most [`DRAIN_ATTEMPTS`] transactions in all.
	/// `NotFound` when there is no position to begin with.
	pub async fn drain_stake<Call: Payload>(
		&self,
		hotkey: &AccountId32,
		signer: &Keypair,
		wait: Wait,
		call: impl Fn(Balance) -> Call,
	) -> Result<Vec<Drained>, ClientError> {
		let coldkey: AccountId32 = signer.public_key().to_account_id();
		// Ready to sign before the block is awaited: the first use fetches the metadata.
		self.api().await?;
		let mut done = Vec::new();
		let mut left = 0;
		for _ in 0..DRAIN_ATTEMPTS {
			let (number, hash) = self.next_best_block().await?;
			let (shares, pool) = self.stake_position(hotkey, &coldkey, hash).await?;
			if shares == 0 {
				return if done.is_empty() {
					Err(ClientError::NotFound(format!("{coldkey} has no stake on {hotkey}")))
				} else {
					Ok(done)
				};
			}
			let at = BlockNumber::try_from(number + 1).unwrap_or(BlockNumber::MAX);
			let amount = pool.settled(at).value_of(shares);
			left = amount;
			match self.submit(&call(amount), signer, wait).await {
				Ok(receipt) => {
					let block = receipt.block;
					done.push(Drained { amount, receipt });
					let (shares, pool) = self.stake_position(hotkey, &coldkey, block).await?;
					if shares == 0 {
						return Ok(done);
					}
					left = pool.settled(at).value_of(shares);
				},
				Err(ClientError::Dispatch { pallet, error, .. })
					if pallet == "Staking"
						&& (error == "BelowMinStake" || error == "InsufficientStake") => {},
				Err(e) => return Err(e),
			}
		}
		Err(ClientError::Other(format!(
			"the stake of {coldkey} on {hotkey} still holds about {} AGR after {DRAIN_ATTEMPTS} \
			 transactions: emission kept moving its value; run the command again",
			crate::amount::format_agr(left)
		)))
	}

	/// Head, finality, peers and runtime version.
	pub async fn chain_info(&self) -> Result<ChainInfo, ClientError> {
		let health = self.rpc.system_health().await.map_err(other)?;
		let chain = self.rpc.system_chain().await.map_err(other)?;
		let number = |header: Option<<Config as subxt::Config>::Header>| {
			header
				.map(|h| h.number)
				.ok_or_else(|| ClientError::Other("the node has no such block".into()))
		};
		let best = number(self.rpc.chain_get_header(None).await.map_err(other)?)?;
		let finalized_hash = self.rpc.chain_get_finalized_head().await.map_err(other)?;
		let finalized =
			number(self.rpc.chain_get_header(Some(finalized_hash)).await.map_err(other)?)?;
		let version = self.rpc.state_get_runtime_version(None).await.map_err(other)?;
		Ok(ChainInfo {
			chain,
			best,
			finalized,
			peers: health.peers,
			syncing: health.is_syncing,
			spec_version: version.spec_version,
			transaction_version: version.transaction_version,
		})
	}

	/// Free, reserved and frozen balance of `who` at the best block (one request).
	pub async fn balance(&self, who: &AccountId32) -> Result<AccountBalance, ClientError> {
		use polkadot_sdk::sp_crypto_hashing::{blake2_128, twox_128};
		let mut key = twox_128(b"System").to_vec();
		key.extend(twox_128(b"Account"));
		key.extend(blake2_128(&who.0));
		key.extend(who.0);
		let stored = self.rpc.state_get_storage(&key, None).await.map_err(other)?;
		match stored {
			// `System.Account`'s type is among the hashes checked on connect.
			Some(bytes) => {
				let info = AccountInfo::decode(&mut &bytes[..])
					.map_err(|e| other(format!("System.Account: {e}")))?;
				let AccountData { free, reserved, frozen, .. } = info.data;
				Ok(AccountBalance { free, reserved, frozen })
			},
			None => Ok(AccountBalance::default()),
		}
	}

	/// The fee (without tip) `signer` would pay now for `call`: the node's
	/// `TransactionPaymentApi_query_info` on the transaction signed as [`Client::submit`] signs
	/// it (its nonce, a mortal era), never submitted. It is what the chain withdraws before
	/// dispatch, refused or not: an upper bound (unused weight is refunded after).
	pub async fn fee_estimate<Call: Payload>(
		&self,
		call: &Call,
		signer: &Keypair,
	) -> Result<Balance, ClientError> {
		let who: AccountId32 = signer.public_key().to_account_id();
		let (nonce, (birth, birth_hash)) = tokio::try_join!(
			async { self.rpc.system_account_next_index(&who).await.map_err(other) },
			async {
				let hash = self.rpc.chain_get_finalized_head().await.map_err(other)?;
				self.block_at(Some(hash)).await
			},
		)?;
		let params = PolkadotExtrinsicParamsBuilder::<Config>::new()
			.nonce(nonce)
			.mortal_from_unchecked(MORTAL_PERIOD, birth, birth_hash)
			.build();
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		let signed = at.tx().create_signed(call, signer, params).await.map_err(other)?;
		signed.partial_fee_estimate().await.map_err(other)
	}

	/// A balance constant of the current runtime, e.g. `Balances.ExistentialDeposit` or
	/// `Staking.MinStake`.
	pub async fn balance_constant(&self, pallet: &str, name: &str) -> Result<Balance, ClientError> {
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		at.constants()
			.entry(subxt::constants::dynamic::<Balance>(pallet, name))
			.map_err(|e| other(format!("{pallet}.{name}: {e}")))
	}

	/// A `u32` constant of the current runtime, e.g. `Proxy.MaxProxies`.
	pub async fn u32_constant(&self, pallet: &str, name: &str) -> Result<u32, ClientError> {
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		at.constants()
			.entry(subxt::constants::dynamic::<u32>(pallet, name))
			.map_err(|e| other(format!("{pallet}.{name}: {e}")))
	}

	/// Calls `AgoraApi_<method>` at the best block and decodes the answer.
	async fn agora<R: Decode>(&self, method: &str, args: impl Encode) -> Result<R, ClientError> {
		let bytes = self
			.rpc
			.state_call(&format!("AgoraApi_{method}"), Some(&args.encode()), None)
			.await
			.map_err(other)?;
		R::decode(&mut &bytes[..]).map_err(|e| other(format!("AgoraApi_{method}: {e}")))
	}

	/// Every subnet.
	pub async fn subnets(&self) -> Result<Vec<SubnetInfo<RuntimeAccountId>>, ClientError> {
		self.agora("subnets", ()).await
	}

	/// One subnet.
	pub async fn subnet(
		&self,
		netuid: NetUid,
	) -> Result<SubnetInfo<RuntimeAccountId>, ClientError> {
		self.agora::<Option<_>>("subnet", netuid)
			.await?
			.ok_or_else(|| ClientError::NotFound(format!("subnet {netuid} does not exist")))
	}

	/// A subnet's metagraph.
	pub async fn metagraph(
		&self,
		netuid: NetUid,
	) -> Result<Metagraph<RuntimeAccountId>, ClientError> {
		self.agora::<Option<_>>("metagraph", netuid)
			.await?
			.ok_or_else(|| ClientError::NotFound(format!("subnet {netuid} does not exist")))
	}

	/// One neuron.
	pub async fn neuron(
		&self,
		netuid: NetUid,
		uid: Uid,
	) -> Result<NeuronInfo<RuntimeAccountId>, ClientError> {
		self.agora::<Option<_>>("neuron", (netuid, uid))
			.await?
			.ok_or_else(|| ClientError::NotFound(format!("subnet {netuid} has no UID {uid}")))
	}

	/// A coldkey's stake positions.
	pub async fn stake_info(
		&self,
		coldkey: &AccountId32,
	) -> Result<Vec<StakeInfo<RuntimeAccountId>>, ClientError> {
		self.agora("stake_info", RuntimeAccountId::new(coldkey.0)).await
	}

	/// What registering on `netuid` costs now.
	pub async fn registration_cost(&self, netuid: NetUid) -> Result<Balance, ClientError> {
		self.agora::<Option<Balance>>("registration_cost", netuid)
			.await?
			.ok_or_else(|| ClientError::NotFound(format!("subnet {netuid} does not exist")))
	}

	/// What creating a subnet costs now.
	pub async fn subnet_creation_cost(&self) -> Result<Balance, ClientError> {
		self.agora("subnet_creation_cost", ()).await
	}

	/// A validator's weights on `netuid` as stored: `(uid, weight)` (one request).
	pub async fn weights(&self, netuid: NetUid, uid: Uid) -> Result<Vec<(Uid, u16)>, ClientError> {
		self.weights_at(netuid, uid, None).await
	}

	/// A validator's weights on `netuid` as stored at block `at` (the best block when `None`).
	/// An error when the node no longer has the state of that block (a pruning node keeps the
	/// state of its last blocks only: 256 by default).
	pub async fn weights_at(
		&self,
		netuid: NetUid,
		uid: Uid,
		at: Option<H256>,
	) -> Result<Vec<(Uid, u16)>, ClientError> {
		use polkadot_sdk::sp_crypto_hashing::{twox_128, twox_64};
		let mut key = twox_128(b"Subnets").to_vec();
		key.extend(twox_128(b"Weights"));
		for part in [netuid.encode(), uid.encode()] {
			key.extend(twox_64(&part));
			key.extend(part);
		}
		// `Subnets.Weights`'s type is among the hashes checked on connect.
		match self.rpc.state_get_storage(&key, at).await.map_err(other)? {
			Some(bytes) => Vec::<(Uid, u16)>::decode(&mut &bytes[..])
				.map_err(|e| other(format!("Subnets.Weights: {e}"))),
			None => Ok(Vec::new()),
		}
	}

	/// The number of the best block (one request).
	pub async fn best_block_number(&self) -> Result<u64, ClientError> {
		Ok(self.block_at(None).await?.0)
	}

	/// Payment channel `id` as stored at the best block; `None` when there is none (never
	/// opened, or closed). One request.
	pub async fn channel(&self, id: ChannelId) -> Result<Option<Channel>, ClientError> {
		use polkadot_sdk::sp_crypto_hashing::{twox_128, twox_64};
		let mut key = twox_128(b"Payments").to_vec();
		key.extend(twox_128(b"Channels"));
		let part = id.encode();
		key.extend(twox_64(&part));
		key.extend(part);
		match self.rpc.state_get_storage(&key, None).await.map_err(other)? {
			Some(bytes) => Ok(Some(stored_channel(id, &bytes)?)),
			None => Ok(None),
		}
	}

	/// The proxies that may act for `account` (`Proxy.Proxies`) and the deposit they hold, at
	/// the best block; none and 0 when it has none.
	pub async fn proxies(
		&self,
		account: &AccountId32,
	) -> Result<(Vec<ProxyDefinition>, Balance), ClientError> {
		use polkadot_sdk::sp_crypto_hashing::{twox_128, twox_64};
		let mut key = twox_128(b"Proxy").to_vec();
		key.extend(twox_128(b"Proxies"));
		key.extend(twox_64(&account.0));
		key.extend(account.0);
		match self.rpc.state_get_storage(&key, None).await.map_err(other)? {
			Some(bytes) => <(Vec<ProxyDefinition>, Balance)>::decode(&mut &bytes[..])
				.map_err(|e| other(format!("Proxy.Proxies: {e}"))),
			None => Ok((Vec::new(), 0)),
		}
	}

	/// Every payment channel stored at the best block, by id: `Payments.Channels` iterated
	/// (its keys a page of [`CHANNEL_PAGE`] at a time, then their values in one request per
	/// page), all read at one block.
	pub async fn channels(&self) -> Result<Vec<Channel>, ClientError> {
		use polkadot_sdk::sp_crypto_hashing::twox_128;
		let mut prefix = twox_128(b"Payments").to_vec();
		prefix.extend(twox_128(b"Channels"));
		let at = self.block_at(None).await?.1;
		let mut channels = Vec::new();
		let mut start: Option<Vec<u8>> = None;
		loop {
			let keys = self
				.rpc
				.state_get_keys_paged(&prefix, CHANNEL_PAGE, start.as_deref(), Some(at))
				.await
				.map_err(other)?;
			if keys.is_empty() {
				break;
			}
			let sets = self
				.rpc
				.state_query_storage_at(keys.iter().map(|k| &k[..]), Some(at))
				.await
				.map_err(other)?;
			for (key, value) in sets.into_iter().flat_map(|set| set.changes) {
				let Some(value) = value else { continue };
				// `Twox64Concat`: 8 bytes of hash, then the SCALE-encoded id.
				let id = key
					.0
					.get(prefix.len() + 8..)
					.and_then(|mut raw| ChannelId::decode(&mut raw).ok())
					.ok_or_else(|| other("Payments.Channels: a key without a channel id"))?;
				channels.push(stored_channel(id, &value.0)?);
			}
			if keys.len() < CHANNEL_PAGE as usize {
				break;
			}
			start = keys.last().cloned();
		}
		channels.sort_by_key(|c| c.id);
		Ok(channels)
	}

	/// The calls in the body of block `hash`, decoded with the metadata of the node's current
	/// runtime; `None` when the node does not have the block. Block bodies outlive the state a
	/// pruning node discards, so this reads the transactions of old blocks too.
	pub async fn block_calls(&self, hash: H256) -> Result<Option<Vec<BlockCall>>, ClientError> {
		let Some(details) = self.rpc.chain_get_block(Some(hash)).await.map_err(other)? else {
			return Ok(None);
		};
		let bodies: Vec<Vec<u8>> = details.block.extrinsics.into_iter().map(|b| b.0).collect();
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		let extrinsics = at.extrinsics().from_bytes(bodies).await;
		let mut calls = Vec::with_capacity(extrinsics.len());
		for extrinsic in extrinsics.iter() {
			let e = extrinsic.map_err(|e| other(format!("block {hash:?}: {e}")))?;
			// `MultiAddress::Id`: variant 0, then the 32 bytes of the account.
			let signer = match e.address_bytes() {
				Some([0, account @ ..]) => <[u8; 32]>::try_from(account).ok().map(AccountId32),
				_ => None,
			};
			calls.push(BlockCall {
				index: e.index(),
				signer,
				pallet: e.pallet_name().to_string(),
				call: e.call_name().to_string(),
				args: e.call_data_field_bytes().to_vec(),
			});
		}
		Ok(Some(calls))
	}
}

/// Identifier of a payment channel (`pallet_payments::ChannelId`).
pub type ChannelId = u64;

/// A payment channel as stored in `Payments.Channels` ([`Client::channel`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Channel {
	/// Its id.
	pub id: ChannelId,
	/// Who opened it, funds it and signs its vouchers.
	pub consumer: AccountId32,
	/// Who its vouchers pay.
	pub provider: AccountId32,
	/// AGR (plancks) locked in it in all, top-ups included.
	pub deposit: Balance,
	/// AGR (plancks) paid to the provider so far.
	pub claimed: Balance,
	/// The block from which the consumer may close it.
	pub expires_at: BlockNumber,
}

impl Channel {
	/// What it still holds: `deposit − claimed` (the refund at `close`).
	pub fn remaining(&self) -> Balance {
		self.deposit.saturating_sub(self.claimed)
	}
}

/// Keys [`Client::channels`] asks for at once.
pub const CHANNEL_PAGE: u32 = 512;

/// Channel `id` from its stored bytes.
fn stored_channel(id: ChannelId, bytes: &[u8]) -> Result<Channel, ClientError> {
	// `Payments.Channels`'s type is among the hashes checked on connect.
	let c = StoredChannel::decode(&mut &bytes[..])
		.map_err(|e| other(format!("Payments.Channels: {e}")))?;
	Ok(Channel {
		id,
		consumer: AccountId32(c.consumer),
		provider: AccountId32(c.provider),
		deposit: c.deposit,
		claimed: c.claimed,
		expires_at: c.expires_at,
	})
}

/// `pallet_payments::Channel<AccountId32, u32>`, as stored.
#[derive(Debug, Decode)]
struct StoredChannel {
	consumer: [u8; 32],
	provider: [u8; 32],
	deposit: u128,
	claimed: u128,
	expires_at: u32,
}

/// A call in a block's body ([`Client::block_calls`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockCall {
	/// The extrinsic's index in the block.
	pub index: usize,
	/// The account that signed it (`None`: unsigned, or not an account address).
	pub signer: Option<AccountId32>,
	/// The pallet's name.
	pub pallet: String,
	/// The call's name.
	pub call: String,
	/// Its arguments, SCALE-encoded.
	pub args: Vec<u8>,
}

/// A `Subnets` weights call, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WeightsCall {
	/// `set_weights(netuid, uids, values, version_key)`.
	Set {
		/// The subnet.
		netuid: NetUid,
		/// The UIDs.
		uids: Vec<Uid>,
		/// Their weights.
		values: Vec<u16>,
		/// The version key.
		version_key: u64,
	},
	/// `commit_weights(netuid, hash)`.
	Commit {
		/// The subnet.
		netuid: NetUid,
		/// The committed hash.
		hash: [u8; 32],
	},
	/// `reveal_weights(netuid, uids, values, salt, version_key)`.
	Reveal {
		/// The subnet.
		netuid: NetUid,
		/// The UIDs.
		uids: Vec<Uid>,
		/// Their weights.
		values: Vec<u16>,
		/// The salt of the commit.
		salt: Vec<u8>,
		/// The version key.
		version_key: u64,
	},
}

impl BlockCall {
	/// The call as a weights call of `Subnets`, if it is one (and its arguments decode).
	pub fn weights_call(&self) -> Option<WeightsCall> {
		if self.pallet != "Subnets" {
			return None;
		}
		// The calls' types are among the hashes checked on connect.
		let args = &mut &self.args[..];
		let call = match self.call.as_str() {
			"set_weights" => <(NetUid, Vec<Uid>, Vec<u16>, u64)>::decode(args)
				.map(|(netuid, uids, values, version_key)| WeightsCall::Set {
					netuid,
					uids,
					values,
					version_key,
				})
				.ok()?,
			"commit_weights" => <(NetUid, [u8; 32])>::decode(args)
				.map(|(netuid, hash)| WeightsCall::Commit { netuid, hash })
				.ok()?,
			"reveal_weights" => <(NetUid, Vec<Uid>, Vec<u16>, Vec<u8>, u64)>::decode(args)
				.map(|(netuid, uids, values, salt, version_key)| WeightsCall::Reveal {
					netuid,
					uids,
					values,
					salt,
					version_key,
				})
				.ok()?,
			_ => return None,
		};
		args.is_empty().then_some(call)
	}
}

/// Renders a module error as `Pallet.Error` (with the inner variant of errors that carry one)
/// and its docs.
fn module_error(
	m: &subxt::error::ModuleError,
	types: &scale_info::PortableRegistry,
) -> ClientError {
	match m.details() {
		Ok(details) => {
			let mut error = details.variant.name.clone();
			// Errors like `InvalidHyperparams(HyperparamError)` carry an inner enum in byte 2.
			if let Some(field) = details.variant.fields.first() {
				if let Some(scale_info::TypeDef::Variant(inner)) =
					types.resolve(field.ty.id).map(|t| &t.type_def)
				{
					if let Some(v) = inner.variants.iter().find(|v| v.index == m.bytes()[2]) {
						error = format!("{error}({})", v.name);
					}
				}
			}
			ClientError::Dispatch {
				pallet: details.pallet.name().to_string(),
				error,
				docs: details.variant.docs.join(" ").trim().to_string(),
			}
		},
		Err(_) => ClientError::Other(m.details_string()),
	}
}

/// Free, reserved and frozen AGR of an account, in plancks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AccountBalance {
	/// Spendable (minus frozen).
	pub free: Balance,
	/// Reserved.
	pub reserved: Balance,
	/// Frozen.
	pub frozen: Balance,
}

/// `frame_system::AccountInfo<u32, pallet_balances::AccountData<u128>>`, as stored.
#[derive(Debug, Decode)]
struct AccountInfo {
	_nonce: u32,
	_consumers: u32,
	_providers: u32,
	_sufficients: u32,
	data: AccountData,
}

#[derive(Debug, Decode)]
struct AccountData {
	free: u128,
	reserved: u128,
	frozen: u128,
	_flags: u128,
}

/// Typed builders for the calls this client submits (dynamic, by name, against the metadata the
/// connection checked).
pub mod calls {
	use super::*;

	fn id(a: &AccountId32) -> AccountId32 {
		*a
	}

	/// `Balances.transfer_keep_alive(dest, value)`.
	pub fn transfer(dest: &AccountId32, amount: Balance) -> impl Payload {
		dynamic::tx(
			"Balances",
			"transfer_keep_alive",
			(subxt::utils::MultiAddress::<AccountId32, ()>::Id(*dest), amount),
		)
	}

	/// `Staking.add_stake(hotkey, amount)`.
	pub fn add_stake(hotkey: &AccountId32, amount: Balance) -> impl Payload {
		dynamic::tx("Staking", "add_stake", (id(hotkey), amount))
	}

	/// `Staking.remove_stake(hotkey, amount)`.
	pub fn remove_stake(hotkey: &AccountId32, amount: Balance) -> impl Payload {
		dynamic::tx("Staking", "remove_stake", (id(hotkey), amount))
	}

	/// `Staking.move_stake(from, to, amount)`.
	pub fn move_stake(from: &AccountId32, to: &AccountId32, amount: Balance) -> impl Payload {
		dynamic::tx("Staking", "move_stake", (id(from), id(to), amount))
	}

	/// `Staking.announce_coldkey_swap(new_coldkey)`: everything of the signer goes to
	/// `new_coldkey` once `Staking.ColdkeySwapDelay` blocks have passed, unless it disputes.
	pub fn announce_coldkey_swap(new_coldkey: &AccountId32) -> impl Payload {
		dynamic::tx("Staking", "announce_coldkey_swap", (id(new_coldkey),))
	}

	/// `Staking.dispute_coldkey_swap()`: the signer's announced swap waits for Root.
	pub fn dispute_coldkey_swap() -> impl Payload {
		dynamic::tx("Staking", "dispute_coldkey_swap", ())
	}

	/// `Staking.cancel_coldkey_swap()`: the signer's announced swap is dropped, within its delay
	/// and undisputed; the signer stays frozen until the swap's `executable_at`.
	pub fn cancel_coldkey_swap() -> impl Payload {
		dynamic::tx("Staking", "cancel_coldkey_swap", ())
	}

	/// `Staking.resolve_coldkey_swap(old_coldkey, new_coldkey)` (Root only): `Some(new)` lets
	/// the swap go ahead to `new` at once, `None` drops it.
	pub fn resolve_coldkey_swap(old: &AccountId32, new: Option<&AccountId32>) -> impl Payload {
		dynamic::tx("Staking", "resolve_coldkey_swap", (id(old), new.copied()))
	}

	/// `Staking.execute_coldkey_swap(old_coldkey, hotkeys, positions)`: `hotkeys` and
	/// `positions` are witnesses, at least the number of hotkeys `old` owns and of hotkeys it
	/// holds stake on (the weight of any excess is refunded).
	pub fn execute_coldkey_swap(old: &AccountId32, hotkeys: u32, positions: u32) -> impl Payload {
		dynamic::tx("Staking", "execute_coldkey_swap", (id(old), hotkeys, positions))
	}

	/// `Payments.open(provider, deposit, expires_at)`.
	pub fn channel_open(
		provider: &AccountId32,
		deposit: Balance,
		expires_at: BlockNumber,
	) -> impl Payload {
		dynamic::tx("Payments", "open", (id(provider), deposit, expires_at))
	}

	/// `Payments.top_up(id, amount)`.
	pub fn channel_top_up(channel: ChannelId, amount: Balance) -> impl Payload {
		dynamic::tx("Payments", "top_up", (channel, amount))
	}

	/// `Payments.extend(id, expires_at)`.
	pub fn channel_extend(channel: ChannelId, expires_at: BlockNumber) -> impl Payload {
		dynamic::tx("Payments", "extend", (channel, expires_at))
	}

	/// `Payments.claim(id, amount, MultiSignature::Sr25519(signature))`: the provider pays
	/// itself the consumer's voucher for the cumulative `amount`
	/// ([`Voucher`](crate::payments::Voucher)).
	pub fn channel_claim(channel: ChannelId, amount: Balance, signature: [u8; 64]) -> impl Payload {
		let signature = polkadot_sdk::sp_runtime::MultiSignature::Sr25519(
			polkadot_sdk::sp_runtime::app_crypto::sr25519::Signature::from_raw(signature),
		);
		dynamic::tx(
			"Payments",
			"claim",
			(channel, amount, subxt::utils::Static(subxt::utils::Encoded(signature.encode()))),
		)
	}

	/// `Payments.close(id)`.
	pub fn channel_close(channel: ChannelId) -> impl Payload {
		dynamic::tx("Payments", "close", (channel,))
	}

	/// `Proxy.add_proxy(delegate, proxy_type, delay)`: `delegate` may act for the signer within
	/// `proxy_type`, `delay` blocks after announcing (0: at once).
	pub fn add_proxy(
		delegate: &AccountId32,
		proxy_type: agora_primitives::ProxyType,
		delay: BlockNumber,
	) -> impl Payload {
		dynamic::tx("Proxy", "add_proxy", (address(delegate), proxy_variant(proxy_type), delay))
	}

	/// `Proxy.remove_proxy(delegate, proxy_type, delay)`: the exact proxy added before.
	pub fn remove_proxy(
		delegate: &AccountId32,
		proxy_type: agora_primitives::ProxyType,
		delay: BlockNumber,
	) -> impl Payload {
		dynamic::tx("Proxy", "remove_proxy", (address(delegate), proxy_variant(proxy_type), delay))
	}

	fn address(a: &AccountId32) -> subxt::utils::MultiAddress<AccountId32, ()> {
		subxt::utils::MultiAddress::Id(*a)
	}

	fn proxy_variant(proxy_type: agora_primitives::ProxyType) -> Value {
		let name = match proxy_type {
			agora_primitives::ProxyType::Any => "Any",
			agora_primitives::ProxyType::NonTransfer => "NonTransfer",
			agora_primitives::ProxyType::Staking => "Staking",
		};
		Value::unnamed_variant(name, [])
	}

	/// `Subnets.create_subnet(task, max_cost)`.
	pub fn create_subnet(task: agora_primitives::TaskKind, max_cost: Balance) -> impl Payload {
		let task = match task {
			agora_primitives::TaskKind::TextGeneration => "TextGeneration",
			agora_primitives::TaskKind::TextEmbedding => "TextEmbedding",
		};
		dynamic::tx("Subnets", "create_subnet", (Value::unnamed_variant(task, []), max_cost))
	}

	/// `Subnets.set_hyperparams(netuid, hyperparams)` (SCALE-encoded as the runtime's type).
	pub fn set_hyperparams(
		netuid: NetUid,
		hyperparams: &agora_primitives::SubnetHyperparams,
	) -> impl Payload {
		dynamic::tx(
			"Subnets",
			"set_hyperparams",
			(netuid, subxt::utils::Static(subxt::utils::Encoded(hyperparams.encode()))),
		)
	}

	/// `Subnets.register(netuid, hotkey, max_cost)`.
	pub fn register(netuid: NetUid, hotkey: &AccountId32, max_cost: Balance) -> impl Payload {
		dynamic::tx("Subnets", "register", (netuid, id(hotkey), max_cost))
	}

	/// `Subnets.swap_hotkey(old_hotkey, new_hotkey, nominators)`: `nominators` is a witness,
	/// at least the number of coldkeys holding shares of `old` (the weight of any excess is
	/// refunded).
	pub fn swap_hotkey(old: &AccountId32, new: &AccountId32, nominators: u32) -> impl Payload {
		dynamic::tx("Subnets", "swap_hotkey", (id(old), id(new), nominators))
	}

	/// `Subnets.serve(netuid, peer_id, addrs, proof)`: `proof` is the ed25519 signature of
	/// `agora_primitives::serve_proof_payload` by the key of `peer_id`.
	pub fn serve(
		netuid: NetUid,
		peer_id: Vec<u8>,
		addrs: Vec<Vec<u8>>,
		proof: [u8; 64],
	) -> impl Payload {
		dynamic::tx("Subnets", "serve", (netuid, peer_id, addrs, proof))
	}

	/// `Subnets.set_weights(netuid, uids, values, version_key)`.
	pub fn set_weights(
		netuid: NetUid,
		uids: Vec<Uid>,
		values: Vec<u16>,
		version_key: u64,
	) -> impl Payload {
		dynamic::tx("Subnets", "set_weights", (netuid, uids, values, version_key))
	}

	/// `Subnets.commit_weights(netuid, hash)`.
	pub fn commit_weights(netuid: NetUid, hash: [u8; 32]) -> impl Payload {
		dynamic::tx("Subnets", "commit_weights", (netuid, Value::from_bytes(hash)))
	}

	/// `Subnets.reveal_weights(netuid, uids, values, salt, version_key)`.
	pub fn reveal_weights(
		netuid: NetUid,
		uids: Vec<Uid>,
		values: Vec<u16>,
		salt: Vec<u8>,
		version_key: u64,
	) -> impl Payload {
		dynamic::tx("Subnets", "reveal_weights", (netuid, uids, values, salt, version_key))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn weights_calls_decode_from_their_arguments() {
		let call = |name: &str, args: Vec<u8>| BlockCall {
			index: 1,
			signer: None,
			pallet: "Subnets".into(),
			call: name.into(),
			args,
		};
		let set = call("set_weights", (3u16, vec![1u16, 2], vec![65_535u16, 7], 9u64).encode());
		assert_eq!(
			set.weights_call(),
			Some(WeightsCall::Set {
				netuid: 3,
				uids: vec![1, 2],
				values: vec![65_535, 7],
				version_key: 9
			})
		);
		let commit = call("commit_weights", (3u16, [5u8; 32]).encode());
		assert_eq!(commit.weights_call(), Some(WeightsCall::Commit { netuid: 3, hash: [5; 32] }));
		let reveal =
			call("reveal_weights", (3u16, vec![1u16], vec![1u16], vec![4u8; 32], 0u64).encode());
		assert!(
			matches!(reveal.weights_call(), Some(WeightsCall::Reveal { salt, .. }) if salt == [4; 32])
		);
		let mut long = set.clone();
		long.args.push(0);
		assert_eq!(long.weights_call(), None, "trailing bytes");
		assert_eq!(call("serve", vec![]).weights_call(), None);
	}

	/// The key-swap calls encode as the runtime encodes them.
	#[test]
	fn swap_calls_encode_as_the_runtime_encodes_them() {
		use agora_runtime::{Runtime, RuntimeCall, Subnets};
		use pallet_agora_staking::Call as StakingCall;
		use polkadot_sdk::frame_support::dispatch::CallableCallFor;
		type SubnetsCall = CallableCallFor<Subnets, Runtime>;
		use crate::governance::tests::{encoded as ours, metadata};
		let md = metadata();
		let (a, b) = (AccountId32([1; 32]), AccountId32([2; 32]));
		let (ra, rb) = (RuntimeAccountId::new(a.0), RuntimeAccountId::new(b.0));
		let cases: Vec<(Vec<u8>, RuntimeCall)> = vec![
			(
				ours(&md, &calls::swap_hotkey(&a, &b, 3)),
				SubnetsCall::swap_hotkey {
					old_hotkey: ra.clone(),
					new_hotkey: rb.clone(),
					nominators: 3,
				}
				.into(),
			),
			(
				ours(&md, &calls::announce_coldkey_swap(&b)),
				StakingCall::<Runtime>::announce_coldkey_swap { new_coldkey: rb.clone() }.into(),
			),
			(
				ours(&md, &calls::dispute_coldkey_swap()),
				StakingCall::<Runtime>::dispute_coldkey_swap {}.into(),
			),
			(
				ours(&md, &calls::resolve_coldkey_swap(&a, Some(&b))),
				StakingCall::<Runtime>::resolve_coldkey_swap {
					old_coldkey: ra.clone(),
					new_coldkey: Some(rb),
				}
				.into(),
			),
			(
				ours(&md, &calls::resolve_coldkey_swap(&a, None)),
				StakingCall::<Runtime>::resolve_coldkey_swap {
					old_coldkey: ra.clone(),
					new_coldkey: None,
				}
				.into(),
			),
			(
				ours(&md, &calls::execute_coldkey_swap(&a, 2, 5)),
				StakingCall::<Runtime>::execute_coldkey_swap {
					old_coldkey: ra,
					hotkeys: 2,
					positions: 5,
				}
				.into(),
			),
		];
		for (ours, theirs) in cases {
			assert_eq!(ours, theirs.encode(), "{theirs:?}");
		}
	}

	#[test]
	fn transactions_are_born_at_the_finalized_block_unless_finality_lags() {
		let (b, f) = (H256([1; 32]), H256([2; 32]));
		assert_eq!(birth_block((100, b), (98, f)), (98, f));
		assert_eq!(birth_block((100, b), (100 - MAX_FINALITY_LAG, f)), (84, f));
		assert_eq!(birth_block((100, b), (100 - MAX_FINALITY_LAG - 1, f)), (100, b));
		assert_eq!(birth_block((0, b), (0, f)), (0, f));
	}

	#[test]
	fn pool_refusals_that_mean_the_nonce_was_taken_are_recognised() {
		// As the node words them: the legacy author RPC, the transaction v1 RPC, and subxt's
		// renderings of the pool's statuses.
		for taken in [
			"Priority is too low: (1 vs 1)",
			"The priority of the transaction is too low (pool 10 > current 10)",
			"The transaction has too low priority to replace another transaction already in the pool.",
			"Extrinsic was rendered invalid by another extrinsic",
			"Transaction was usurped by another with the same nonce",
			"Invalid transaction: Transaction is outdated",
			"The pool is not accepting future transactions",
		] {
			assert!(nonce_taken(taken), "{taken}");
		}
		for other in [
			"Invalid transaction: Inability to pay some fees (e.g. account balance too low)",
			"Invalid transaction: Transaction has a bad signature",
			"Invalid transaction: Transaction has an ancient birth block",
			"Transaction was dropped",
			"Extrinsic marked as invalid",
		] {
			assert!(!nonce_taken(other), "{other}");
		}
	}
}
