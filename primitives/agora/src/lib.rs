//! # Agora primitives
//!
//! What Agora's runtime, node and off-chain clients must agree on, in one `no_std` crate:
//!
//! - ids ([`NetUid`], [`Uid`]) and amounts ([`Balance`]);
//! - a subnet's [`SubnetHyperparams`], with the bounds every setter enforces
//!   ([`SubnetHyperparams::validate`]);
//! - what the chain answers about subnets, neurons and stake ([`SubnetInfo`], [`NeuronInfo`],
//!   [`Metagraph`], [`StakeInfo`]), SCALE-encoded for the [`AgoraApi`] runtime API and, with
//!   `std`, serialisable to the JSON of the node's `agora_*` RPC methods;
//! - the traits that couple the pallets without making them depend on each other
//!   ([`traits::StakeInterface`], [`traits::SubnetsInterface`]).
//!
//! Fractions (incentive, dividends, trust, kappa…) travel on chain as `u16` parts of
//! `u16::MAX`, as in Bittensor; the JSON shows them as numbers between 0 and 1. Balances
//! (plancks, `u128`) are exact decimal strings in the JSON, since JavaScript and `jq` round a
//! number above 2^53; numbers small by construction (ids, blocks, counts) stay numbers.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::{
	frame_support::{pallet_prelude::ConstU32, BoundedVec, PalletError},
	sp_api,
};
use scale_info::TypeInfo;
#[cfg(feature = "std")]
use serde::Serialize;

pub mod traits;

/// A subnet's id.
pub type NetUid = u16;
/// A neuron's slot in its subnet, `0..n`.
pub type Uid = u16;
/// Token amounts in plancks (1 AGR = 10⁹ plancks).
pub type Balance = u128;
/// Block numbers.
pub type BlockNumber = u32;

/// Most bytes of a libp2p PeerId (a multihash: identity of a 36-byte ed25519 key, or sha256).
pub const MAX_PEER_ID_LEN: u32 = 64;
/// Most multiaddrs a neuron may publish.
pub const MAX_ADDRS: u32 = 4;
/// Most bytes of one multiaddr, in its text form (`/ip4/127.0.0.1/tcp/30333`).
pub const MAX_ADDR_LEN: u32 = 128;

/// A libp2p PeerId in its binary (multihash) form.
pub type PeerIdBytes = BoundedVec<u8, ConstU32<MAX_PEER_ID_LEN>>;
/// One multiaddr in its text form.
pub type AddrBytes = BoundedVec<u8, ConstU32<MAX_ADDR_LEN>>;
/// The multiaddrs a neuron publishes.
pub type Addrs = BoundedVec<AddrBytes, ConstU32<MAX_ADDRS>>;

/// The task a subnet's miners serve and its validators score.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[cfg_attr(feature = "std", derive(Serialize), serde(rename_all = "kebab-case"))]
pub enum TaskKind {
	/// Greedy continuation of a prompt, scored against the true continuation.
	#[default]
	TextGeneration,
	/// Sentence embeddings, scored against human similarity ratings.
	TextEmbedding,
}

/// What a proxy (`pallet-proxy`) may do for the account it acts for; the runtime's
/// `InstanceFilter` says which calls each allows. `Any` is the default and the widest.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[cfg_attr(feature = "std", derive(Serialize), serde(rename_all = "kebab-case"))]
pub enum ProxyType {
	/// Every call.
	#[default]
	Any,
	/// Every call that cannot move or burn the account's AGR or act with another's authority:
	/// no transfers, payment channels, `Sudo`, multisig approvals, subnet creations or
	/// registrations, session keys, nested proxy calls, pure proxies or announcements.
	NonTransfer,
	/// Staking only (`add_stake`, `remove_stake`, `move_stake`, `set_take`, alone or batched):
	/// positions stay the account's and unstaked AGR returns to it, but the proxy chooses the
	/// hotkeys (and their takes, where it owns them).
	Staking,
}

impl ProxyType {
	/// Every proxy type, widest first.
	pub const ALL: [ProxyType; 3] = [ProxyType::Any, ProxyType::NonTransfer, ProxyType::Staking];

	/// Its name on the command line and in JSON: `any`, `non-transfer`, `staking`.
	pub fn name(self) -> &'static str {
		match self {
			ProxyType::Any => "any",
			ProxyType::NonTransfer => "non-transfer",
			ProxyType::Staking => "staking",
		}
	}
}

/// A subnet's hyperparameters. Its owner may change them within the bounds of
/// [`SubnetHyperparams::validate`]; root may set any valid value.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "std", derive(Serialize))]
pub struct SubnetHyperparams {
	/// Blocks between epochs.
	pub tempo: u16,
	/// Most neurons the subnet holds.
	pub max_uids: u16,
	/// Blocks after registration during which a neuron cannot be replaced.
	pub immunity_period: u32,
	/// Fewest weights a validator must set.
	pub min_allowed_weights: u16,
	/// Most weights a validator may set.
	pub max_allowed_weights: u16,
	/// Largest share one weight may take of a validator's weights, in parts of `u16::MAX`.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_fraction"))]
	pub max_weight_limit: u16,
	/// Blocks a validator must wait between two weight settings.
	pub weights_rate_limit: u32,
	/// Weights carrying a lower version key are refused (validators must upgrade).
	pub weights_version_key: u64,
	/// A neuron whose last update is older than this many blocks is inactive.
	pub activity_cutoff: u32,
	/// Share of validator stake whose agreement makes consensus, in parts of `u16::MAX`.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_fraction"))]
	pub kappa: u16,
	/// Weight of the previous bonds in the bonds' moving average, in millionths.
	pub bonds_moving_average: u32,
	/// Most validator permits.
	pub max_validators: u16,
	/// Least stake that may hold a validator permit.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub min_validator_stake: Balance,
	/// Whether weights must be committed (hashed) and revealed later.
	pub commit_reveal: bool,
	/// With commit-reveal: weights committed at block `c` are revealed in the `tempo` blocks
	/// starting at `c + reveal_period · tempo`.
	pub reveal_period: u16,
	/// Registration price floor.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub min_burn: Balance,
	/// Registration price ceiling.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub max_burn: Balance,
	/// What the subnet's miners do.
	pub task: TaskKind,
}

/// Largest tempo a subnet may have.
pub const MAX_TEMPO: u16 = 10_000;
/// Longest immunity period, in blocks.
pub const MAX_IMMUNITY_PERIOD: u32 = 100_000;
/// Longest reveal period, in epochs.
pub const MAX_REVEAL_PERIOD: u16 = 100;
/// The bonds' moving average is in millionths.
pub const BONDS_MOVING_AVERAGE_ONE: u32 = 1_000_000;
/// Largest bonds' moving average (as subtensor caps it): at 1,000,000 bonds would never move,
/// and whoever held them first would keep every dividend.
pub const MAX_BONDS_MOVING_AVERAGE: u32 = 975_000;
/// Most validator permits a subnet may have: the epoch's benchmark (`pallet-rewards`, `epoch(n)`)
/// measures this many validators each weighting every UID, so no legal setting costs more than
/// the epoch is charged.
pub const MAX_VALIDATORS: u16 = 64;

impl Default for SubnetHyperparams {
	/// The hyperparameters a new subnet starts with (Bittensor's, scaled to Agora).
	fn default() -> Self {
		Self {
			tempo: 360,
			max_uids: 256,
			immunity_period: 4096,
			min_allowed_weights: 1,
			max_allowed_weights: 256,
			max_weight_limit: u16::MAX,
			weights_rate_limit: 100,
			weights_version_key: 0,
			activity_cutoff: 5000,
			kappa: 32_767,
			bonds_moving_average: 900_000,
			max_validators: 64,
			min_validator_stake: 0,
			commit_reveal: false,
			reveal_period: 1,
			min_burn: 1_000_000_000 / 10,
			max_burn: 100 * 1_000_000_000,
			task: TaskKind::TextGeneration,
		}
	}
}

/// Which hyperparameter is out of bounds.
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, PalletError,
)]
pub enum HyperparamError {
	/// `tempo` must be 1 ..= 10,000.
	Tempo,
	/// `max_uids` must be at least 1, at least the subnet's neurons, and at most the chain's limit.
	MaxUids,
	/// `immunity_period` must be at most 100,000 blocks.
	ImmunityPeriod,
	/// `min_allowed_weights` ≤ `max_allowed_weights`, and `max_allowed_weights` 1 ..= `max_uids`.
	AllowedWeights,
	/// `max_weight_limit` × max(`min_allowed_weights`, 1) must reach one: else no weights pass.
	MaxWeightLimit,
	/// `activity_cutoff` must be at least `tempo`.
	ActivityCutoff,
	/// `kappa` must be above zero.
	Kappa,
	/// `bonds_moving_average` must be at most 975,000 (millionths): nearer one, bonds would
	/// hardly move and their first holders would keep the dividends.
	BondsMovingAverage,
	/// `max_validators` must be 1 ..= min(`max_uids`, 64): the epoch's cost is measured for
	/// at most 64 validators.
	MaxValidators,
	/// `reveal_period` must be 1 ..= 100 epochs.
	RevealPeriod,
	/// `min_burn` ≤ `max_burn`, and `max_burn` above zero.
	Burn,
	/// `weights_rate_limit` (named when a subnet owner tries to change it: root's only).
	WeightsRateLimit,
	/// `min_validator_stake` (named when a subnet owner tries to change it: root's only).
	MinValidatorStake,
	/// With commit-reveal, `(reveal_period + 1) · tempo` must not exceed `activity_cutoff`:
	/// otherwise validators go inactive before their revealed weights count.
	RevealPastActivityCutoff,
	/// With commit-reveal, `(2 · reveal_period + 2) · tempo` must not exceed
	/// `immunity_period`: a miner registered just after a validator's commit is first weighted
	/// by its next commit, revealed `reveal_period` tempos later and paid at the epoch after;
	/// otherwise it can be replaced before that.
	RevealPastImmunityPeriod,
}

impl SubnetHyperparams {
	/// Checks every bound; `max_uids_limit` is the chain's cap on subnet size and `neurons` the
	/// subnet's current number of neurons (`max_uids` may not drop below it).
	pub fn validate(&self, max_uids_limit: u16, neurons: u16) -> Result<(), HyperparamError> {
		use HyperparamError::*;
		let check = |ok: bool, e: HyperparamError| if ok { Ok(()) } else { Err(e) };
		check((1..=MAX_TEMPO).contains(&self.tempo), Tempo)?;
		check(
			self.max_uids >= 1 && self.max_uids <= max_uids_limit && self.max_uids >= neurons,
			MaxUids,
		)?;
		check(self.immunity_period <= MAX_IMMUNITY_PERIOD, ImmunityPeriod)?;
		check(
			self.min_allowed_weights <= self.max_allowed_weights
				&& (1..=self.max_uids).contains(&self.max_allowed_weights),
			AllowedWeights,
		)?;
		check(
			u32::from(self.max_weight_limit) * u32::from(self.min_allowed_weights.max(1))
				>= u32::from(u16::MAX),
			MaxWeightLimit,
		)?;
		check(self.activity_cutoff >= u32::from(self.tempo), ActivityCutoff)?;
		check(self.kappa > 0, Kappa)?;
		check(self.bonds_moving_average <= MAX_BONDS_MOVING_AVERAGE, BondsMovingAverage)?;
		check(
			(1..=self.max_uids.min(MAX_VALIDATORS)).contains(&self.max_validators),
			MaxValidators,
		)?;
		check((1..=MAX_REVEAL_PERIOD).contains(&self.reveal_period), RevealPeriod)?;
		check(self.min_burn <= self.max_burn && self.max_burn > 0, Burn)?;
		if self.commit_reveal {
			let (rp, tempo) = (u32::from(self.reveal_period), u32::from(self.tempo));
			check((rp + 1) * tempo <= self.activity_cutoff, RevealPastActivityCutoff)?;
			check((2 * rp + 2) * tempo <= self.immunity_period, RevealPastImmunityPeriod)?;
		}
		Ok(())
	}

	/// The first hyperparameter that only root may change and that differs between `self` (the
	/// current values) and `new`, if any.
	///
	/// Root keeps what decides consensus and what the chain pays for (as subtensor keeps kappa,
	/// max validators, tempo and the weights rate limit for root): `tempo`, `max_uids`,
	/// `kappa`, `max_validators`, `min_validator_stake`, `weights_rate_limit` and
	/// `activity_cutoff`. A subnet's owner may change the rest.
	pub fn root_only_change(&self, new: &Self) -> Option<HyperparamError> {
		use HyperparamError::*;
		[
			(self.tempo != new.tempo, Tempo),
			(self.max_uids != new.max_uids, MaxUids),
			(self.kappa != new.kappa, Kappa),
			(self.max_validators != new.max_validators, MaxValidators),
			(self.min_validator_stake != new.min_validator_stake, MinValidatorStake),
			(self.weights_rate_limit != new.weights_rate_limit, WeightsRateLimit),
			(self.activity_cutoff != new.activity_cutoff, ActivityCutoff),
		]
		.into_iter()
		.find_map(|(changed, e)| changed.then_some(e))
	}
}

/// Where a neuron can be reached: its libp2p PeerId and up to [`MAX_ADDRS`] multiaddrs.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "std", derive(Serialize))]
pub struct Endpoint {
	/// The PeerId, binary; base58 in JSON.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_peer_id"))]
	pub peer_id: PeerIdBytes,
	/// Multiaddrs in text form; strings in JSON.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_addrs"))]
	pub addrs: Addrs,
	/// Block at which it was published.
	pub served_at: BlockNumber,
}

/// Why an endpoint was refused.
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, PalletError,
)]
pub enum EndpointError {
	/// The PeerId is not the PeerId of a libp2p ed25519 key: the identity multihash of its
	/// 36-byte protobuf encoding (`00 24 08 01 12 20` then the 32-byte key). Only ed25519 keys
	/// can prove, on chain, that the neuron holds them (see [`serve_proof_payload`]).
	PeerId,
	/// A multiaddr is not printable ASCII starting with `/`.
	Addr,
}

/// The bytes that start the binary PeerId of every libp2p ed25519 key: multihash code `0x00`
/// (identity), digest length 36, then the key's protobuf header (`KeyType = Ed25519`, a 32-byte
/// `Data` field).
pub const ED25519_PEER_ID_PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

/// The domain tag that starts every [`serve_proof_payload`].
pub const SERVE_PROOF_CONTEXT: &[u8] = b"agora/serve/1";

/// The ed25519 public key a PeerId embeds, or [`EndpointError::PeerId`] when `peer_id` is not
/// the PeerId of an ed25519 key ([`ED25519_PEER_ID_PREFIX`] then 32 bytes, 38 bytes in all).
pub fn ed25519_key_of_peer_id(peer_id: &[u8]) -> Result<[u8; 32], EndpointError> {
	match peer_id.strip_prefix(&ED25519_PEER_ID_PREFIX[..]) {
		Some(key) => key.try_into().map_err(|_| EndpointError::PeerId),
		None => Err(EndpointError::PeerId),
	}
}

/// This chain's genesis hash as 32 bytes, what signed payloads bind themselves to (the serve
/// proof, payment vouchers). `frame_system` keeps block 0's hash from block 1 on.
pub fn genesis_hash<T: polkadot_sdk::frame_system::Config>() -> [u8; 32] {
	use polkadot_sdk::sp_runtime::traits::Zero;
	let hash = polkadot_sdk::frame_system::Pallet::<T>::block_hash(
		polkadot_sdk::frame_system::pallet_prelude::BlockNumberFor::<T>::zero(),
	);
	let mut bytes = [0u8; 32];
	let raw = hash.as_ref();
	let n = raw.len().min(32);
	bytes[..n].copy_from_slice(&raw[..n]);
	bytes
}

/// What a neuron's libp2p key signs (ed25519) to prove on chain, with `Subnets.serve`, that the
/// hotkey publishing its PeerId holds it:
///
/// ```text
/// b"agora/serve/1" ‖ genesis_hash (32 bytes) ‖ netuid (u16, little endian) ‖ SCALE(hotkey)
/// ```
///
/// The genesis hash ties the proof to one chain, the netuid to one subnet and the hotkey to one
/// neuron, so a proof copied from another neuron's `serve` proves nothing for the copier.
pub fn serve_proof_payload<AccountId: Encode>(
	genesis_hash: &[u8; 32],
	netuid: NetUid,
	hotkey: &AccountId,
) -> Vec<u8> {
	let mut payload = Vec::with_capacity(SERVE_PROOF_CONTEXT.len() + 32 + 2 + 32);
	payload.extend_from_slice(SERVE_PROOF_CONTEXT);
	payload.extend_from_slice(genesis_hash);
	payload.extend_from_slice(&netuid.to_le_bytes());
	hotkey.encode_to(&mut payload);
	payload
}

/// Checks that `addr` looks like a multiaddr in text form: printable ASCII starting with `/`.
pub fn validate_addr(addr: &[u8]) -> Result<(), EndpointError> {
	let printable = addr.iter().all(|b| (0x21..=0x7e).contains(b));
	if addr.len() > 1 && addr[0] == b'/' && printable {
		Ok(())
	} else {
		Err(EndpointError::Addr)
	}
}

/// What the last epoch decided about one neuron.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct NeuronStats {
	/// Rank, in parts of `u16::MAX`.
	pub rank: u16,
	/// Trust.
	pub trust: u16,
	/// Consensus weight.
	pub consensus: u16,
	/// Incentive (share of miners' emission).
	pub incentive: u16,
	/// Dividends (share of validators' emission).
	pub dividends: u16,
	/// Validator trust.
	pub validator_trust: u16,
	/// Whether it held a validator permit.
	pub validator_permit: bool,
	/// AGR it earned in the epoch.
	pub emission: Balance,
	/// Stake behind its hotkey when the epoch ran. The next epoch counts at most this much (and
	/// at most the stake then), so stake that arrives just before an epoch decides nothing in it.
	pub stake: Balance,
}

/// A subnet as the RPC shows it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(Serialize))]
pub struct SubnetInfo<AccountId> {
	/// Its id.
	pub netuid: NetUid,
	/// Its owner (coldkey).
	pub owner: AccountId,
	/// Block at which it was created.
	pub registered_at: BlockNumber,
	/// Neurons registered.
	pub neurons: u16,
	/// Its hyperparameters.
	pub hyperparams: SubnetHyperparams,
	/// What a registration costs now.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub registration_cost: Balance,
	/// Emission accrued since its last epoch, paid at the next.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub pending_emission: Balance,
	/// Block of its last epoch (0 if none yet).
	pub last_epoch: BlockNumber,
}

/// A neuron as the RPC shows it: identity, stake and the last epoch's results.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(Serialize))]
pub struct NeuronInfo<AccountId> {
	/// Its subnet.
	pub netuid: NetUid,
	/// Its slot.
	pub uid: Uid,
	/// Its hotkey.
	pub hotkey: AccountId,
	/// The coldkey that owns the hotkey.
	pub coldkey: AccountId,
	/// AGR staked on the hotkey (all nominators).
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub stake: Balance,
	/// Rank.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_fraction"))]
	pub rank: u16,
	/// Trust.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_fraction"))]
	pub trust: u16,
	/// Consensus.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_fraction"))]
	pub consensus: u16,
	/// Incentive.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_fraction"))]
	pub incentive: u16,
	/// Dividends.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_fraction"))]
	pub dividends: u16,
	/// Validator trust.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_fraction"))]
	pub validator_trust: u16,
	/// Whether it holds a validator permit.
	pub validator_permit: bool,
	/// AGR it earned in the last epoch.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub emission: Balance,
	/// Block of its last weights (or of its registration).
	pub last_update: BlockNumber,
	/// Block at which its hotkey registered here.
	pub registered_at: BlockNumber,
	/// Whether it updated within the activity cutoff.
	pub active: bool,
	/// Where it serves, if it published an endpoint.
	pub endpoint: Option<Endpoint>,
}

/// A subnet's full state: hyperparameters and every neuron, by UID.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(Serialize))]
pub struct Metagraph<AccountId> {
	/// The subnet.
	pub subnet: SubnetInfo<AccountId>,
	/// The block it was read at.
	pub block: BlockNumber,
	/// Neurons, in UID order.
	pub neurons: Vec<NeuronInfo<AccountId>>,
}

/// One stake position of a coldkey.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(Serialize))]
pub struct StakeInfo<AccountId> {
	/// The hotkey staked on.
	pub hotkey: AccountId,
	/// The hotkey's owner.
	pub owner: AccountId,
	/// The coldkey's stake on it, emission included.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub stake: Balance,
	/// The hotkey's total stake.
	#[cfg_attr(feature = "std", serde(serialize_with = "serde_balance"))]
	pub hotkey_stake: Balance,
	/// The hotkey's take, in parts per billion.
	pub take: u32,
	/// Subnets the hotkey is registered on.
	pub netuids: Vec<NetUid>,
}

/// The hash a validator commits with `commit_weights` and must match with `reveal_weights`:
/// `blake2_256(SCALE(hotkey, netuid, uids, values, salt, version_key))`. The hotkey is in it so
/// that copying another validator's commit gains nothing.
pub fn commit_hash<AccountId: Encode>(
	hotkey: &AccountId,
	netuid: NetUid,
	uids: &[Uid],
	values: &[u16],
	salt: &[u8],
	version_key: u64,
) -> [u8; 32] {
	polkadot_sdk::sp_io::hashing::blake2_256(
		&(hotkey, netuid, uids, values, salt, version_key).encode(),
	)
}

/// Balances go to JSON as exact decimal strings (`"12000000000000000000"`): a JSON number above
/// 2^53 (about 9 M AGR in plancks) is rounded by JavaScript and `jq`.
#[cfg(feature = "std")]
fn serde_balance<S: serde::Serializer>(v: &Balance, s: S) -> Result<S::Ok, S::Error> {
	s.collect_str(v)
}

#[cfg(feature = "std")]
fn serde_fraction<S: serde::Serializer>(v: &u16, s: S) -> Result<S::Ok, S::Error> {
	s.serialize_f64(f64::from(*v) / f64::from(u16::MAX))
}

#[cfg(feature = "std")]
fn serde_peer_id<S: serde::Serializer>(v: &PeerIdBytes, s: S) -> Result<S::Ok, S::Error> {
	s.serialize_str(&bs58::encode(v.as_slice()).into_string())
}

#[cfg(feature = "std")]
fn serde_addrs<S: serde::Serializer>(v: &Addrs, s: S) -> Result<S::Ok, S::Error> {
	use serde::ser::SerializeSeq;
	let mut seq = s.serialize_seq(Some(v.len()))?;
	for a in v.iter() {
		seq.serialize_element(&String::from_utf8_lossy(a))?;
	}
	seq.end()
}

sp_api::decl_runtime_apis! {
	/// What a client asks the chain about subnets, neurons and stake. The node mirrors each
	/// method as a JSON-RPC method `agora_<name>`.
	pub trait AgoraApi<AccountId> where AccountId: codec::Codec {
		/// Every subnet.
		fn subnets() -> Vec<SubnetInfo<AccountId>>;
		/// One subnet.
		fn subnet(netuid: NetUid) -> Option<SubnetInfo<AccountId>>;
		/// A subnet's hyperparameters and every neuron.
		fn metagraph(netuid: NetUid) -> Option<Metagraph<AccountId>>;
		/// One neuron.
		fn neuron(netuid: NetUid, uid: Uid) -> Option<NeuronInfo<AccountId>>;
		/// Every stake position of a coldkey.
		fn stake_info(coldkey: AccountId) -> Vec<StakeInfo<AccountId>>;
		/// What registering on a subnet costs at this block.
		fn registration_cost(netuid: NetUid) -> Option<Balance>;
		/// What creating a subnet costs at this block.
		fn subnet_creation_cost() -> Balance;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn default_hyperparams_are_valid() {
		assert_eq!(SubnetHyperparams::default().validate(4096, 0), Ok(()));
	}

	#[test]
	fn every_bound_is_enforced() {
		let ok = SubnetHyperparams::default();
		let cases: Vec<(SubnetHyperparams, HyperparamError)> = vec![
			(SubnetHyperparams { tempo: 0, ..ok.clone() }, HyperparamError::Tempo),
			(SubnetHyperparams { max_uids: 0, ..ok.clone() }, HyperparamError::MaxUids),
			(
				SubnetHyperparams { immunity_period: MAX_IMMUNITY_PERIOD + 1, ..ok.clone() },
				HyperparamError::ImmunityPeriod,
			),
			(
				SubnetHyperparams { min_allowed_weights: 300, ..ok.clone() },
				HyperparamError::AllowedWeights,
			),
			(
				SubnetHyperparams {
					min_allowed_weights: 4,
					max_weight_limit: 10_000,
					..ok.clone()
				},
				HyperparamError::MaxWeightLimit,
			),
			(
				SubnetHyperparams { activity_cutoff: 10, ..ok.clone() },
				HyperparamError::ActivityCutoff,
			),
			(SubnetHyperparams { kappa: 0, ..ok.clone() }, HyperparamError::Kappa),
			(
				SubnetHyperparams { bonds_moving_average: 1_000_001, ..ok.clone() },
				HyperparamError::BondsMovingAverage,
			),
			(SubnetHyperparams { max_validators: 0, ..ok.clone() }, HyperparamError::MaxValidators),
			(SubnetHyperparams { reveal_period: 0, ..ok.clone() }, HyperparamError::RevealPeriod),
			(SubnetHyperparams { min_burn: 10, max_burn: 5, ..ok.clone() }, HyperparamError::Burn),
		];
		for (params, err) in cases {
			assert_eq!(params.validate(4096, 0), Err(err), "{params:?}");
		}
		// The subnet may not shrink below its neurons, nor grow past the chain's limit.
		assert_eq!(ok.validate(4096, 257), Err(HyperparamError::MaxUids));
		assert_eq!(ok.validate(100, 0), Err(HyperparamError::MaxUids));
	}

	#[test]
	fn the_serve_proof_payload_has_its_documented_layout() {
		let payload = serve_proof_payload(&[9u8; 32], 0x0102, &[5u8; 32]);
		let mut expected = b"agora/serve/1".to_vec();
		expected.extend([9u8; 32]);
		expected.extend([0x02, 0x01]);
		expected.extend([5u8; 32]);
		assert_eq!(payload, expected);
		assert_ne!(payload, serve_proof_payload(&[9u8; 32], 0x0103, &[5u8; 32]));
	}

	#[test]
	fn peer_ids_and_addrs_are_checked() {
		let mut ed25519 = ED25519_PEER_ID_PREFIX.to_vec();
		ed25519.extend([7u8; 32]);
		assert_eq!(ed25519_key_of_peer_id(&ed25519), Ok([7u8; 32]));
		// A sha256 PeerId (RSA, or a secp256k1 key hashed) cannot be checked on chain.
		let mut sha = vec![0x12, 32];
		sha.extend([1u8; 32]);
		assert_eq!(ed25519_key_of_peer_id(&sha), Err(EndpointError::PeerId));
		// An identity multihash of another key type (secp256k1: KeyType 2, 33 bytes).
		let mut secp = vec![0x00, 0x25, 0x08, 0x02, 0x12, 0x21];
		secp.extend([2u8; 33]);
		assert_eq!(ed25519_key_of_peer_id(&secp), Err(EndpointError::PeerId));
		ed25519.push(0);
		assert_eq!(ed25519_key_of_peer_id(&ed25519), Err(EndpointError::PeerId));
		assert_eq!(ed25519_key_of_peer_id(&ed25519[..37]), Err(EndpointError::PeerId));
		assert_eq!(ed25519_key_of_peer_id(&[]), Err(EndpointError::PeerId));
		assert_eq!(ed25519_key_of_peer_id(b"12D3KooW"), Err(EndpointError::PeerId));
		assert_eq!(validate_addr(b"/ip4/127.0.0.1/tcp/4001"), Ok(()));
		assert_eq!(validate_addr(b"ip4/127.0.0.1"), Err(EndpointError::Addr));
		assert_eq!(validate_addr(b"/ip4/127.0.0.1 /tcp/1"), Err(EndpointError::Addr));
		assert_eq!(validate_addr(b"/"), Err(EndpointError::Addr));
	}

	#[test]
	fn json_shows_fractions_peer_ids_and_addresses() {
		let endpoint = Endpoint {
			peer_id: vec![0x00, 2, 1, 2].try_into().unwrap(),
			addrs: vec![b"/ip4/1.2.3.4/tcp/5".to_vec().try_into().unwrap()].try_into().unwrap(),
			served_at: 7,
		};
		let json = serde_json::to_value(&endpoint).unwrap();
		assert_eq!(json["addrs"][0], "/ip4/1.2.3.4/tcp/5");
		assert_eq!(json["peer_id"], bs58::encode([0u8, 2, 1, 2]).into_string());
		let json = serde_json::to_value(SubnetHyperparams::default()).unwrap();
		assert_eq!(json["max_weight_limit"], 1.0);
		assert_eq!(json["task"], "text-generation");
	}

	#[test]
	fn json_shows_balances_above_2_pow_53_as_exact_strings() {
		// 2^53 + 1 is the first integer an f64 (JavaScript's number, jq's) cannot hold.
		let big: Balance = (1u128 << 53) + 1;
		let huge = u128::MAX;
		let hp = SubnetHyperparams {
			min_validator_stake: big,
			min_burn: big,
			max_burn: huge,
			..Default::default()
		};
		let subnet = SubnetInfo {
			netuid: 3,
			owner: 7u64,
			registered_at: 11,
			neurons: 2,
			hyperparams: hp,
			registration_cost: big,
			pending_emission: huge,
			last_epoch: 12,
		};
		let json = serde_json::to_value(&subnet).unwrap();
		assert_eq!(json["registration_cost"], "9007199254740993");
		assert_eq!(json["pending_emission"], u128::MAX.to_string());
		assert_eq!(json["hyperparams"]["min_validator_stake"], "9007199254740993");
		assert_eq!(json["hyperparams"]["min_burn"], "9007199254740993");
		assert_eq!(json["hyperparams"]["max_burn"], u128::MAX.to_string());
		// Small by construction: numbers.
		assert_eq!(json["netuid"], 3);
		assert_eq!(json["last_epoch"], 12);
		assert_eq!(json["hyperparams"]["tempo"], SubnetHyperparams::default().tempo);
		let stake = StakeInfo {
			hotkey: 1u64,
			owner: 2u64,
			stake: big,
			hotkey_stake: huge,
			take: 9,
			netuids: vec![3],
		};
		let json = serde_json::to_value(&stake).unwrap();
		assert_eq!(json["stake"], "9007199254740993");
		assert_eq!(json["hotkey_stake"], u128::MAX.to_string());
		assert_eq!(json["take"], 9);
		// The text is exact: it parses back to the same planck count.
		assert_eq!(json["stake"].as_str().unwrap().parse::<Balance>().unwrap(), big);
	}
}
