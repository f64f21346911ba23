//! On-chain governance (issue 13): referenda on the `root` track, conviction votes and
//! delegations, the senate and the periods, as `pallet-referenda`, `pallet-conviction-voting`,
//! `pallet-preimage`, the `Senate` collective and `pallet-governance` store them.
//!
//! ## Reading
//!
//! Every storage item here is read at the best block with one request (a page of 512 keys at a
//! time for the referenda), its keys hashed as the node's metadata says, and its value decoded
//! against the value's type in the metadata's type registry by field and variant *name*
//! (`scale-decode`'s `DecodeAsType`), not by position: a field these pallets add or reorder
//! does not break the client, a field it relies on that disappears is an error naming the item.
//! So none of them is among the hashes checked on connect ([`crate::chain::STORAGE_READ`]); the
//! calls built here by name are ([`crate::chain::USED_CALLS`]).
//!
//! ## Proposing
//!
//! A proposal is a call of the runtime, dispatched as `Root` if its referendum passes:
//! `Preimage.note_preimage(call)` stores its bytes (holding a deposit, [`preimage_deposit`]),
//! `Referenda.submit(system(Root), Lookup { hash, len }, After(0))` opens the referendum on the
//! `root` track (holding the submission deposit) and `Referenda.place_decision_deposit(index)`
//! lets it be decided once its prepare period is over.

use agora_primitives::{Balance, BlockNumber};
use codec::Encode;
use subxt::{
	dynamic::{self, Value},
	ext::{scale_decode::DecodeAsType, scale_value},
	metadata::Metadata,
	transactions::Payload,
	utils::{AccountId32, Encoded, Static, H256},
};

use crate::chain::{other, Client, ClientError};

/// The `root` track: every call that needs `Root` goes through it (the runtime's only track).
pub const ROOT_TRACK: u16 = 0;

/// The highest conviction (`Locked6x`: 6 times the votes, locked 32 vote-locking periods).
pub const MAX_CONVICTION: u8 = 6;

/// AGR (plancks) a preimage holds whatever its size: the runtime's `PreimageBaseDeposit`
/// (100 mAGR). `pallet-preimage` takes it through a hold consideration and exposes no constant,
/// so the client states it.
pub const PREIMAGE_BASE_DEPOSIT: Balance = 100_000_000;

/// AGR (plancks) a preimage holds per byte: the runtime's `PreimageByteDeposit` (0.1 mAGR).
pub const PREIMAGE_BYTE_DEPOSIT: Balance = 100_000;

/// Referenda read in one request by [`Client::referenda`].
pub const REFERENDA_PAGE: usize = 512;

/// AGR (plancks) noting a preimage of `len` bytes holds until it is unnoted.
pub fn preimage_deposit(len: usize) -> Balance {
	PREIMAGE_BASE_DEPOSIT.saturating_add(PREIMAGE_BYTE_DEPOSIT.saturating_mul(len as Balance))
}

/// The hash a proposal's preimage is known by: Blake2-256 of the encoded call.
pub fn proposal_hash(call: &[u8]) -> H256 {
	H256(polkadot_sdk::sp_crypto_hashing::blake2_256(call))
}

/// Bytes from hex (`0x` optional), e.g. an encoded call.
pub fn call_from_hex(s: &str) -> Result<Vec<u8>, ClientError> {
	let t = s.trim();
	hex::decode(t.strip_prefix("0x").unwrap_or(t))
		.map_err(|e| ClientError::BadCall(format!("`{s}` is not hex: {e}")))
}

/// The byte `pallet-conviction-voting` encodes a standard vote as: `0x80` for aye, or'd with the
/// conviction (0 = 0.1x, unlocked; 1..=6 = 1x..6x). `None` when `conviction` is above
/// [`MAX_CONVICTION`].
pub fn vote_byte(aye: bool, conviction: u8) -> Option<u8> {
	(conviction <= MAX_CONVICTION).then_some(if aye { 0x80 } else { 0 } | conviction)
}

/// A referendum and where it stands (`Referenda.ReferendumInfoFor`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referendum {
	/// Its index.
	pub index: u32,
	/// Its track (only stored while it is ongoing).
	pub track: Option<u16>,
	/// Where it stands.
	pub status: ReferendumStatus,
	/// What it would dispatch (only stored while it is ongoing).
	pub proposal: Option<Proposal>,
	/// The block it was submitted in (only stored while it is ongoing).
	pub submitted: Option<BlockNumber>,
	/// Its votes (only stored while it is ongoing).
	pub tally: Option<Tally>,
	/// The submission deposit, while held.
	pub submission_deposit: Option<Deposit>,
	/// The decision deposit, once placed and while held.
	pub decision_deposit: Option<Deposit>,
}

/// Where a referendum stands; blocks are block numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferendumStatus {
	/// Submitted, not being decided yet: in its prepare period, or waiting for its decision
	/// deposit (it times out after the undeciding timeout).
	Preparing,
	/// Ready to be decided, waiting for a place on its track (`max_deciding`).
	Queued,
	/// Being decided since block `since`; passing, and confirming until block `confirming`.
	Deciding {
		/// The block its decision period began.
		since: BlockNumber,
		/// While it passes: the block it is approved at if it keeps passing.
		confirming: Option<BlockNumber>,
	},
	/// Approved at block `at` (its call scheduled for enactment).
	Approved {
		/// The block.
		at: BlockNumber,
	},
	/// Rejected at block `at` (its decision period ended without passing).
	Rejected {
		/// The block.
		at: BlockNumber,
	},
	/// Cancelled at block `at` (by `Root` or two thirds of the senate).
	Cancelled {
		/// The block.
		at: BlockNumber,
	},
	/// Timed out at block `at` (never decided: no decision deposit in time).
	TimedOut {
		/// The block.
		at: BlockNumber,
	},
	/// Killed at block `at` (by `Root`; its deposits slashed).
	Killed {
		/// The block.
		at: BlockNumber,
	},
}

impl ReferendumStatus {
	/// Whether votes may still be cast on it.
	pub fn is_ongoing(&self) -> bool {
		matches!(self, Self::Preparing | Self::Queued | Self::Deciding { .. })
	}

	/// Its name in lower case (`deciding`, `approved`…).
	pub fn name(&self) -> &'static str {
		match self {
			Self::Preparing => "preparing",
			Self::Queued => "queued",
			Self::Deciding { .. } => "deciding",
			Self::Approved { .. } => "approved",
			Self::Rejected { .. } => "rejected",
			Self::Cancelled { .. } => "cancelled",
			Self::TimedOut { .. } => "timed_out",
			Self::Killed { .. } => "killed",
		}
	}

	/// The block it ended at, once it ended.
	pub fn ended_at(&self) -> Option<BlockNumber> {
		match *self {
			Self::Approved { at }
			| Self::Rejected { at }
			| Self::Cancelled { at }
			| Self::TimedOut { at }
			| Self::Killed { at } => Some(at),
			_ => None,
		}
	}
}

/// The call a referendum would dispatch: its preimage's hash and length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
	/// Blake2-256 of the encoded call.
	pub hash: H256,
	/// Its length in bytes (0 for a legacy proposal, known by hash only).
	pub len: u32,
	/// `Pallet.call`, when its bytes are stored (inline, or as a noted preimage) and decode as a
	/// call of the node's runtime.
	pub call: Option<String>,
	/// The call's arguments as the node's metadata names them (at most
	/// [`ARGS_SHOWN`] characters, then `…`), so that two proposals of the same call differ
	/// where their arguments do.
	pub args: Option<String>,
}

/// Characters of a proposal's arguments shown ([`Proposal::args`]).
pub const ARGS_SHOWN: usize = 400;

/// The votes on an ongoing referendum, in plancks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
	/// Aye votes, conviction-weighted.
	pub ayes: Balance,
	/// Nay votes, conviction-weighted.
	pub nays: Balance,
	/// AGR voting aye, before conviction (what the support curve compares with the issuance).
	pub support: Balance,
}

/// A deposit a referendum holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deposit {
	/// Who placed it (and gets it back).
	pub who: AccountId32,
	/// AGR (plancks) held.
	pub amount: Balance,
}

/// A referendum track (`Referenda.Tracks`); periods in blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
	/// Its id.
	pub id: u16,
	/// Its name (`root`).
	pub name: String,
	/// Referenda it decides at once.
	pub max_deciding: u32,
	/// AGR (plancks) a referendum's decision deposit holds.
	pub decision_deposit: Balance,
	/// Blocks before a referendum may be decided.
	pub prepare: BlockNumber,
	/// Blocks a referendum may be decided for.
	pub decision: BlockNumber,
	/// Blocks it must keep passing to be approved.
	pub confirm: BlockNumber,
	/// Least blocks between approval and enactment.
	pub min_enactment: BlockNumber,
}

/// The periods of governance (`Governance.Periods`), in blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType, serde::Serialize)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct GovernancePeriods {
	/// Blocks a referendum waits after submission before it may be decided.
	pub prepare: u32,
	/// Blocks a referendum may be decided for.
	pub decision: u32,
	/// Blocks a passing referendum must keep passing before it is approved.
	pub confirm: u32,
	/// Least blocks between approval and enactment.
	pub min_enactment: u32,
	/// Blocks a referendum may wait for its decision deposit before it times out.
	pub undeciding_timeout: u32,
	/// Blocks a 1x conviction vote stays locked after its referendum ends (doubling with each
	/// conviction step).
	pub vote_locking: u32,
	/// Blocks between two refreshes of the senate.
	pub senate_term: u32,
}

/// A standard or split vote of an account on one referendum (balances in plancks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountVote {
	/// Aye or nay with a conviction.
	Standard {
		/// Aye.
		aye: bool,
		/// 0 (0.1x) ..= 6 (6x).
		conviction: u8,
		/// AGR (plancks) voting.
		balance: Balance,
	},
	/// Split or abstaining votes (no conviction).
	Split {
		/// AGR (plancks) aye.
		aye: Balance,
		/// AGR (plancks) nay.
		nay: Balance,
		/// AGR (plancks) abstaining.
		abstain: Balance,
	},
}

impl AccountVote {
	/// The AGR (plancks) it locks.
	pub fn balance(&self) -> Balance {
		match *self {
			Self::Standard { balance, .. } => balance,
			Self::Split { aye, nay, abstain } => aye.saturating_add(nay).saturating_add(abstain),
		}
	}
}

/// What an account does on a track (`ConvictionVoting.VotingFor`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Voting {
	/// It votes itself: its votes on ongoing (or ended, not yet removed) referenda.
	Casting {
		/// `(referendum index, vote)`.
		votes: Vec<(u32, AccountVote)>,
	},
	/// It delegates its votes.
	Delegating {
		/// To whom.
		target: AccountId32,
		/// AGR (plancks) delegated.
		balance: Balance,
		/// 0 ..= 6.
		conviction: u8,
	},
}

impl Client {
	/// The call `pallet.call` with its SCALE-encoded arguments `args`, as the runtime encodes a
	/// `RuntimeCall`: the pallet's and the call's indices (from the node's metadata), then
	/// `args`. The arguments are not checked here ([`Client::decode_call`] does).
	pub async fn encode_call(
		&self,
		pallet: &str,
		call: &str,
		args: &[u8],
	) -> Result<Vec<u8>, ClientError> {
		let metadata = self.metadata().await?;
		let p = metadata
			.pallet_by_name(pallet)
			.ok_or_else(|| ClientError::Other(format!("the runtime has no pallet {pallet}")))?;
		let variant = p.call_variant_by_name(call).ok_or_else(|| {
			ClientError::Other(format!("the runtime has no call {pallet}.{call}"))
		})?;
		let mut encoded = vec![p.call_index(), variant.index];
		encoded.extend_from_slice(args);
		Ok(encoded)
	}

	/// `Pallet.call` of an encoded `RuntimeCall`, decoded whole against the node's metadata;
	/// [`ClientError::BadCall`] when the bytes are not exactly one call of its runtime.
	pub async fn decode_call(&self, call: &[u8]) -> Result<String, ClientError> {
		call_name(&*self.metadata().await?, call).map_err(ClientError::BadCall)
	}

	/// The encoded call data of `call`, as the node's metadata encodes it (for a batch, or a
	/// preimage).
	pub async fn call_data(&self, call: &impl Payload) -> Result<Vec<u8>, ClientError> {
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		at.tx().call_data(call).map_err(other)
	}

	/// Every referendum stored at the best block (`Referenda.ReferendumInfoFor` for the indices
	/// below `Referenda.ReferendumCount`), by index, with the `Pallet.call` of each ongoing one
	/// whose preimage is stored (`Preimage.PreimageFor`).
	pub async fn referenda(&self) -> Result<Vec<Referendum>, ClientError> {
		let metadata = self.metadata().await?;
		let count: u32 = self.read_one("Referenda", "ReferendumCount", ()).await?.unwrap_or(0);
		let mut referenda = Vec::new();
		let indices: Vec<u32> = (0..count).collect();
		for page in indices.chunks(REFERENDA_PAGE) {
			let keys: Vec<_> = page.iter().map(|i| (*i,)).collect();
			let infos: Vec<Option<StoredInfo>> =
				self.read_many("Referenda", "ReferendumInfoFor", &keys).await?;
			for (index, info) in page.iter().zip(infos) {
				if let Some(info) = info {
					referenda.push(referendum(*index, info, &metadata));
				}
			}
		}
		self.name_proposals(&mut referenda).await?;
		Ok(referenda)
	}

	/// Referendum `index` at the best block; `None` when there is none.
	pub async fn referendum(&self, index: u32) -> Result<Option<Referendum>, ClientError> {
		let Some(info) =
			self.read_one::<StoredInfo>("Referenda", "ReferendumInfoFor", (index,)).await?
		else {
			return Ok(None);
		};
		let mut found = vec![referendum(index, info, &*self.metadata().await?)];
		self.name_proposals(&mut found).await?;
		Ok(found.pop())
	}

	/// Whether the preimage of `hash` (`len` bytes) is stored (`Preimage.PreimageFor`).
	pub async fn preimage_stored(&self, hash: H256, len: u32) -> Result<bool, ClientError> {
		Ok(self.read_one::<Vec<u8>>("Preimage", "PreimageFor", ((hash, len),)).await?.is_some())
	}

	/// Fills in `Pallet.call` of the proposals whose preimage is noted.
	async fn name_proposals(&self, referenda: &mut [Referendum]) -> Result<(), ClientError> {
		let metadata = self.metadata().await?;
		let wanted: Vec<((H256, u32),)> = referenda
			.iter()
			.filter_map(|r| r.proposal.as_ref())
			.filter(|p| p.call.is_none() && p.len > 0)
			.map(|p| ((p.hash, p.len),))
			.collect();
		let mut found = std::collections::BTreeMap::new();
		for page in wanted.chunks(REFERENDA_PAGE) {
			let bytes: Vec<Option<Vec<u8>>> =
				self.read_many("Preimage", "PreimageFor", page).await?;
			for (((hash, len),), bytes) in page.iter().zip(bytes) {
				if let Some(named) = bytes.and_then(|b| call_name_and_args(&metadata, &b).ok()) {
					found.insert((*hash, *len), named);
				}
			}
		}
		for p in referenda.iter_mut().filter_map(|r| r.proposal.as_mut()) {
			if p.call.is_none() {
				if let Some((name, args)) = found.get(&(p.hash, p.len)).cloned() {
					(p.call, p.args) = (Some(name), Some(args));
				}
			}
		}
		Ok(())
	}

	/// The referendum tracks (`Referenda.Tracks`, a constant of the node's runtime).
	pub async fn tracks(&self) -> Result<Vec<Track>, ClientError> {
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		let stored: Vec<(u16, StoredTrack)> = at
			.constants()
			.entry(subxt::constants::dynamic::<Vec<(u16, StoredTrack)>>("Referenda", "Tracks"))
			.map_err(|e| other(format!("Referenda.Tracks: {e}")))?;
		Ok(stored
			.into_iter()
			.map(|(id, t)| Track {
				id,
				name: t.name.trim_end_matches('\0').to_string(),
				max_deciding: t.max_deciding,
				decision_deposit: t.decision_deposit,
				prepare: t.prepare_period,
				decision: t.decision_period,
				confirm: t.confirm_period,
				min_enactment: t.min_enactment_period,
			})
			.collect())
	}

	/// The senate's members at the best block (`Senate.Members`): the hotkeys of the top
	/// validators by stake, sorted.
	pub async fn senate(&self) -> Result<Vec<AccountId32>, ClientError> {
		Ok(self.read_one("Senate", "Members", ()).await?.unwrap_or_default())
	}

	/// The senators who voted to cancel referendum `index` (`Governance.CancelVotes`), members
	/// or not (a vote counts while its senator sits).
	pub async fn senate_cancel_votes(&self, index: u32) -> Result<Vec<AccountId32>, ClientError> {
		Ok(self.read_one("Governance", "CancelVotes", (index,)).await?.unwrap_or_default())
	}

	/// The periods of governance at the best block (`Governance.Periods`).
	pub async fn governance_periods(&self) -> Result<GovernancePeriods, ClientError> {
		self.read_one("Governance", "Periods", ()).await?.ok_or_else(|| {
			// A `ValueQuery` absent from storage: the pallet's default, the live chain's.
			ClientError::Other("Governance.Periods is not set on this chain".into())
		})
	}

	/// What `who` does on track `class` at the best block (`ConvictionVoting.VotingFor`); no
	/// votes when nothing is stored.
	pub async fn voting(&self, who: &AccountId32, class: u16) -> Result<Voting, ClientError> {
		let stored: Option<StoredVoting> =
			self.read_one("ConvictionVoting", "VotingFor", (who.0, class)).await?;
		Ok(match stored {
			None => Voting::Casting { votes: Vec::new() },
			Some(StoredVoting::Casting(c)) => Voting::Casting {
				votes: c.votes.into_iter().map(|(i, v)| (i, account_vote(v))).collect(),
			},
			Some(StoredVoting::Delegating(d)) => Voting::Delegating {
				target: d.target,
				balance: d.balance,
				conviction: d.conviction.level(),
			},
		})
	}

	/// AGR (plancks) locked by `who`'s votes, per track (`ConvictionVoting.ClassLocksFor`).
	pub async fn class_locks(&self, who: &AccountId32) -> Result<Vec<(u16, Balance)>, ClientError> {
		Ok(self.read_one("ConvictionVoting", "ClassLocksFor", (who.0,)).await?.unwrap_or_default())
	}

	/// The metadata of the node's runtime (fetched once per connection).
	async fn metadata(&self) -> Result<subxt::metadata::ArcMetadata, ClientError> {
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		Ok(at.metadata())
	}

	/// `pallet.entry` at `key` (its parts SCALE-encoded), at the best block, decoded as `T`
	/// against the entry's type; `None` when nothing is stored.
	async fn read_one<T: DecodeAsType>(
		&self,
		pallet: &str,
		entry: &str,
		key: impl EncodeParts,
	) -> Result<Option<T>, ClientError> {
		Ok(self.read_many(pallet, entry, &[key]).await?.pop().flatten())
	}

	/// `pallet.entry` at each of `keys` in one request, as [`Client::read_one`].
	async fn read_many<T: DecodeAsType, K: EncodeParts>(
		&self,
		pallet: &str,
		entry: &str,
		keys: &[K],
	) -> Result<Vec<Option<T>>, ClientError> {
		if keys.is_empty() {
			return Ok(Vec::new());
		}
		let at = self.api().await?.at_current_block().await.map_err(other)?;
		let metadata = at.metadata();
		let what = |e: &dyn std::fmt::Display| other(format!("{pallet}.{entry}: {e}"));
		let value_ty = metadata
			.pallet_by_name(pallet)
			.and_then(|p| p.storage())
			.and_then(|s| s.entry_by_name(entry))
			.map(|e| e.value_ty())
			.ok_or_else(|| {
				ClientError::Other(format!("the runtime has no storage item {pallet}.{entry}"))
			})?;
		let raw: Vec<Vec<u8>> = keys
			.iter()
			.map(|k| {
				subxt::ext::frame_decode::storage::encode_storage_key(
					pallet,
					entry,
					k.parts(),
					&*metadata,
					metadata.types(),
				)
				.map_err(|e| what(&e))
			})
			.collect::<Result<_, _>>()?;
		self.values_at_best(&raw)
			.await?
			.into_iter()
			.map(|value| {
				value
					.map(|bytes| {
						T::decode_as_type(&mut &bytes[..], value_ty, metadata.types())
							.map_err(|e| what(&e))
					})
					.transpose()
			})
			.collect()
	}
}

/// The parts of a storage key, each SCALE-encoded (hashed as the metadata says).
pub(crate) trait EncodeParts {
	/// One encoded value per part.
	fn parts(&self) -> Vec<Static<Encoded>>;
}

impl EncodeParts for () {
	fn parts(&self) -> Vec<Static<Encoded>> {
		Vec::new()
	}
}

impl<A: Encode> EncodeParts for (A,) {
	fn parts(&self) -> Vec<Static<Encoded>> {
		vec![Static(Encoded(self.0.encode()))]
	}
}

impl<A: Encode, B: Encode> EncodeParts for (A, B) {
	fn parts(&self) -> Vec<Static<Encoded>> {
		vec![Static(Encoded(self.0.encode())), Static(Encoded(self.1.encode()))]
	}
}

/// `Pallet.call` of `bytes` if they are exactly one `RuntimeCall` of `metadata`'s runtime.
pub fn call_name(metadata: &Metadata, bytes: &[u8]) -> Result<String, String> {
	call_name_and_args(metadata, bytes).map(|(name, _)| name)
}

/// `Pallet.call` and its arguments (rendered by the metadata's field names, cut at
/// [`ARGS_SHOWN`] characters) of the SCALE-encoded call `bytes`; Err as [`call_name`].
pub fn call_name_and_args(metadata: &Metadata, bytes: &[u8]) -> Result<(String, String), String> {
	let ty = metadata.outer_enums().call_enum_ty();
	let mut input = bytes;
	let value = scale_value::scale::decode_as_type(&mut input, ty, metadata.types())
		.map_err(|e| e.to_string())?;
	if !input.is_empty() {
		return Err(format!(
			"{} byte(s) left over after a call of {}",
			input.len(),
			bytes.len() - input.len()
		));
	}
	let scale_value::ValueDef::Variant(pallet) = value.value else {
		return Err("not a call".into());
	};
	let (call, args) = match pallet.values.values().next().map(|v| &v.value) {
		Some(scale_value::ValueDef::Variant(call)) => (call.name.clone(), call.values.to_string()),
		_ => return Err("not a call".into()),
	};
	let args = match args.char_indices().nth(ARGS_SHOWN) {
		Some((cut, _)) => format!("{}…", &args[..cut]),
		None => args,
	};
	Ok((format!("{}.{call}", pallet.name), args))
}

fn deposit(d: StoredDeposit) -> Deposit {
	Deposit { who: d.who, amount: d.amount }
}

/// Referendum `index` from its stored info; an inline proposal is named with `metadata`.
fn referendum(index: u32, info: StoredInfo, metadata: &Metadata) -> Referendum {
	let ended =
		|status, submission: Option<StoredDeposit>, decision: Option<StoredDeposit>| Referendum {
			index,
			track: None,
			status,
			proposal: None,
			submitted: None,
			tally: None,
			submission_deposit: submission.map(deposit),
			decision_deposit: decision.map(deposit),
		};
	match info {
		StoredInfo::Ongoing(s) => {
			let status = match (&s.deciding, s.in_queue) {
				(Some(d), _) => {
					ReferendumStatus::Deciding { since: d.since, confirming: d.confirming }
				},
				(None, true) => ReferendumStatus::Queued,
				(None, false) => ReferendumStatus::Preparing,
			};
			let proposal = match s.proposal {
				StoredBounded::Legacy { hash } => Proposal { hash, len: 0, call: None, args: None },
				StoredBounded::Lookup { hash, len } => {
					Proposal { hash, len, call: None, args: None }
				},
				StoredBounded::Inline(bytes) => {
					let named = call_name_and_args(metadata, &bytes).ok();
					Proposal {
						hash: proposal_hash(&bytes),
						len: bytes.len() as u32,
						call: named.as_ref().map(|(n, _)| n.clone()),
						args: named.map(|(_, a)| a),
					}
				},
			};
			Referendum {
				index,
				track: Some(s.track),
				status,
				proposal: Some(proposal),
				submitted: Some(s.submitted),
				tally: Some(Tally {
					ayes: s.tally.ayes,
					nays: s.tally.nays,
					support: s.tally.support,
				}),
				submission_deposit: Some(deposit(s.submission_deposit)),
				decision_deposit: s.decision_deposit.map(deposit),
			}
		},
		StoredInfo::Approved(at, a, b) => ended(ReferendumStatus::Approved { at }, a, b),
		StoredInfo::Rejected(at, a, b) => ended(ReferendumStatus::Rejected { at }, a, b),
		StoredInfo::Cancelled(at, a, b) => ended(ReferendumStatus::Cancelled { at }, a, b),
		StoredInfo::TimedOut(at, a, b) => ended(ReferendumStatus::TimedOut { at }, a, b),
		StoredInfo::Killed(at) => ended(ReferendumStatus::Killed { at }, None, None),
	}
}

fn account_vote(v: StoredAccountVote) -> AccountVote {
	match v {
		StoredAccountVote::Standard { vote, balance } => {
			AccountVote::Standard { aye: vote.0 & 0x80 != 0, conviction: vote.0 & 0x7f, balance }
		},
		StoredAccountVote::Split { aye, nay } => AccountVote::Split { aye, nay, abstain: 0 },
		StoredAccountVote::SplitAbstain { aye, nay, abstain } => {
			AccountVote::Split { aye, nay, abstain }
		},
	}
}

// The stored shapes, decoded by name against the metadata's types (see the module docs).

/// `pallet_referenda::ReferendumInfo`.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
enum StoredInfo {
	Ongoing(StoredStatus),
	Approved(u32, Option<StoredDeposit>, Option<StoredDeposit>),
	Rejected(u32, Option<StoredDeposit>, Option<StoredDeposit>),
	Cancelled(u32, Option<StoredDeposit>, Option<StoredDeposit>),
	TimedOut(u32, Option<StoredDeposit>, Option<StoredDeposit>),
	Killed(u32),
}

/// `pallet_referenda::ReferendumStatus` (the fields read; `origin`, `enactment` and `alarm`
/// are skipped).
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct StoredStatus {
	track: u16,
	proposal: StoredBounded,
	submitted: u32,
	submission_deposit: StoredDeposit,
	decision_deposit: Option<StoredDeposit>,
	deciding: Option<StoredDeciding>,
	tally: StoredTally,
	in_queue: bool,
}

/// `frame_support::traits::Bounded`.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
enum StoredBounded {
	Legacy { hash: H256 },
	Inline(Vec<u8>),
	Lookup { hash: H256, len: u32 },
}

/// `pallet_referenda::Deposit`.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct StoredDeposit {
	who: AccountId32,
	amount: u128,
}

/// `pallet_referenda::DecidingStatus`.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct StoredDeciding {
	since: u32,
	confirming: Option<u32>,
}

/// `pallet_conviction_voting::Tally`.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct StoredTally {
	ayes: u128,
	nays: u128,
	support: u128,
}

/// `pallet_referenda::ConstTrackInfo` (the curves skipped).
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct StoredTrack {
	name: String,
	max_deciding: u32,
	decision_deposit: u128,
	prepare_period: u32,
	decision_period: u32,
	confirm_period: u32,
	min_enactment_period: u32,
}

/// `pallet_conviction_voting::Voting`.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
enum StoredVoting {
	Casting(StoredCasting),
	Delegating(StoredDelegating),
}

/// `pallet_conviction_voting::Casting` (delegations and prior lock skipped).
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct StoredCasting {
	votes: Vec<(u32, StoredAccountVote)>,
}

/// `pallet_conviction_voting::Delegating` (delegations and prior lock skipped).
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct StoredDelegating {
	balance: u128,
	target: AccountId32,
	conviction: StoredConviction,
}

/// `pallet_conviction_voting::Conviction`.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
enum StoredConviction {
	None,
	Locked1x,
	Locked2x,
	Locked3x,
	Locked4x,
	Locked5x,
	Locked6x,
}

impl StoredConviction {
	fn level(&self) -> u8 {
		match self {
			Self::None => 0,
			Self::Locked1x => 1,
			Self::Locked2x => 2,
			Self::Locked3x => 3,
			Self::Locked4x => 4,
			Self::Locked5x => 5,
			Self::Locked6x => 6,
		}
	}
}

/// `pallet_conviction_voting::AccountVote`.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
enum StoredAccountVote {
	Standard { vote: StoredVote, balance: u128 },
	Split { aye: u128, nay: u128 },
	SplitAbstain { aye: u128, nay: u128, abstain: u128 },
}

/// `pallet_conviction_voting::Vote`: one byte, aye `0x80` | conviction.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct StoredVote(u8);

/// Builders for the governance calls (dynamic, by name, against the metadata the connection
/// checked). Balances in plancks; `class` is a track id ([`ROOT_TRACK`]).
pub mod calls {
	use super::*;

	fn address(a: &AccountId32) -> subxt::utils::MultiAddress<AccountId32, ()> {
		subxt::utils::MultiAddress::Id(*a)
	}

	fn conviction(level: u8) -> Value {
		let name = match level {
			0 => "None",
			1 => "Locked1x",
			2 => "Locked2x",
			3 => "Locked3x",
			4 => "Locked4x",
			5 => "Locked5x",
			_ => "Locked6x",
		};
		Value::unnamed_variant(name, [])
	}

	/// `Preimage.note_preimage(bytes)`: stores an encoded call (holding [`preimage_deposit`]).
	pub fn note_preimage(bytes: Vec<u8>) -> impl Payload {
		dynamic::tx("Preimage", "note_preimage", (bytes,))
	}

	/// `Referenda.submit(system(Root), Lookup { hash, len }, After(0))`: a referendum on the
	/// `root` track to dispatch the noted call of `len` bytes hashed `hash` as `Root`, as soon
	/// as the track's enactment period allows once approved.
	pub fn submit_root(hash: H256, len: u32) -> impl Payload {
		let origin = Value::unnamed_variant("system", [Value::unnamed_variant("Root", [])]);
		let proposal = Value::named_variant(
			"Lookup",
			[("hash", Value::from_bytes(hash.0)), ("len", Value::u128(len.into()))],
		);
		let enactment = Value::unnamed_variant("After", [Value::u128(0)]);
		dynamic::tx("Referenda", "submit", (origin, proposal, enactment))
	}

	/// `Governance.senate_cancel(index)`: a senator's vote to cancel referendum `index`, signed
	/// by its hotkey; two thirds of a senate of at least 3 cancel it.
	pub fn senate_cancel(index: u32) -> impl Payload {
		dynamic::tx("Governance", "senate_cancel", (index,))
	}

	/// `Referenda.place_decision_deposit(index)`.
	pub fn place_decision_deposit(index: u32) -> impl Payload {
		dynamic::tx("Referenda", "place_decision_deposit", (index,))
	}

	/// `ConvictionVoting.vote(index, Standard { vote: aye | conviction, balance })`;
	/// `conviction` above [`MAX_CONVICTION`] counts as 6.
	pub fn vote(index: u32, aye: bool, conviction: u8, balance: Balance) -> impl Payload {
		let byte = vote_byte(aye, conviction.min(MAX_CONVICTION)).unwrap_or(0x80);
		let vote = Value::named_variant(
			"Standard",
			[
				("vote", Value::unnamed_composite([Value::u128(byte.into())])),
				("balance", Value::u128(balance)),
			],
		);
		dynamic::tx("ConvictionVoting", "vote", (index, vote))
	}

	/// `ConvictionVoting.delegate(class, to, conviction, balance)`.
	pub fn delegate(
		class: u16,
		to: &AccountId32,
		conviction_level: u8,
		balance: Balance,
	) -> impl Payload {
		dynamic::tx(
			"ConvictionVoting",
			"delegate",
			(class, address(to), conviction(conviction_level), balance),
		)
	}

	/// `ConvictionVoting.undelegate(class)`.
	pub fn undelegate(class: u16) -> impl Payload {
		dynamic::tx("ConvictionVoting", "undelegate", (class,))
	}

	/// `ConvictionVoting.remove_vote(Some(class), index)`.
	pub fn remove_vote(class: u16, index: u32) -> impl Payload {
		let class = Value::unnamed_variant("Some", [Value::u128(class.into())]);
		dynamic::tx("ConvictionVoting", "remove_vote", (class, index))
	}

	/// `ConvictionVoting.unlock(class, target)`: releases what no vote of `target` on `class`
	/// locks any more.
	pub fn unlock(class: u16, target: &AccountId32) -> impl Payload {
		dynamic::tx("ConvictionVoting", "unlock", (class, address(target)))
	}

	/// `Utility.batch_all(calls)`: the encoded calls in one transaction, all or none.
	pub fn batch_all(calls: Vec<Vec<u8>>) -> impl Payload {
		let calls: Vec<Static<Encoded>> = calls.into_iter().map(|c| Static(Encoded(c))).collect();
		dynamic::tx("Utility", "batch_all", (calls,))
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use agora_runtime::{OriginCaller, Runtime, RuntimeCall};
	use codec::Encode;
	use polkadot_sdk::{
		frame_support::traits::{schedule::DispatchTime, Bounded},
		frame_system::RawOrigin,
		pallet_conviction_voting as voting, pallet_preimage, pallet_referenda, pallet_utility,
		sp_runtime::{AccountId32 as RuntimeAccount, MultiAddress},
	};

	/// The metadata this client was built for (the runtime's, checked by the metadata test).
	pub(crate) fn metadata() -> Metadata {
		Metadata::decode_from(&include_bytes!("../metadata/agora.scale")[..]).expect("decodes")
	}

	pub(crate) fn encoded(md: &Metadata, call: &impl Payload) -> Vec<u8> {
		subxt::ext::frame_decode::extrinsics::encode_call_data(
			call.pallet_name(),
			call.call_name(),
			call.call_data(),
			md,
			md.types(),
		)
		.expect("encodes against the metadata")
	}

	#[test]
	fn calls_encode_as_the_runtime_encodes_them() {
		let md = metadata();
		let alice = AccountId32([1; 32]);
		let runtime_alice = RuntimeAccount::new(alice.0);
		let hash = H256([7; 32]);
		let cases: Vec<(Vec<u8>, RuntimeCall)> = vec![
			(
				encoded(&md, &calls::note_preimage(vec![1, 2, 3])),
				pallet_preimage::Call::<Runtime>::note_preimage { bytes: vec![1, 2, 3] }.into(),
			),
			(
				encoded(&md, &calls::submit_root(hash, 42)),
				pallet_referenda::Call::<Runtime>::submit {
					proposal_origin: Box::new(OriginCaller::system(RawOrigin::Root)),
					proposal: Bounded::Lookup { hash: hash.0.into(), len: 42 },
					enactment_moment: DispatchTime::After(0),
				}
				.into(),
			),
			(
				encoded(&md, &calls::place_decision_deposit(9)),
				pallet_referenda::Call::<Runtime>::place_decision_deposit { index: 9 }.into(),
			),
			(
				encoded(&md, &calls::vote(3, true, 6, 5)),
				voting::Call::<Runtime>::vote {
					poll_index: 3,
					vote: voting::AccountVote::Standard {
						vote: voting::Vote { aye: true, conviction: voting::Conviction::Locked6x },
						balance: 5,
					},
				}
				.into(),
			),
			(
				encoded(&md, &calls::vote(3, false, 0, 5)),
				voting::Call::<Runtime>::vote {
					poll_index: 3,
					vote: voting::AccountVote::Standard {
						vote: voting::Vote { aye: false, conviction: voting::Conviction::None },
						balance: 5,
					},
				}
				.into(),
			),
			(
				encoded(&md, &calls::delegate(ROOT_TRACK, &alice, 2, 8)),
				voting::Call::<Runtime>::delegate {
					class: ROOT_TRACK,
					to: MultiAddress::Id(runtime_alice.clone()),
					conviction: voting::Conviction::Locked2x,
					balance: 8,
				}
				.into(),
			),
			(
				encoded(&md, &calls::undelegate(ROOT_TRACK)),
				voting::Call::<Runtime>::undelegate { class: ROOT_TRACK }.into(),
			),
			(
				encoded(&md, &calls::remove_vote(ROOT_TRACK, 4)),
				voting::Call::<Runtime>::remove_vote { class: Some(ROOT_TRACK), index: 4 }.into(),
			),
			(
				encoded(&md, &calls::unlock(ROOT_TRACK, &alice)),
				voting::Call::<Runtime>::unlock {
					class: ROOT_TRACK,
					target: MultiAddress::Id(runtime_alice),
				}
				.into(),
			),
		];
		for (ours, theirs) in &cases {
			assert_eq!(ours, &theirs.encode(), "{theirs:?}");
			assert!(call_name(&md, ours).is_ok());
		}
		// A batch of encoded calls.
		let inner: Vec<Vec<u8>> = cases.iter().take(2).map(|(c, _)| c.clone()).collect();
		let batch: RuntimeCall = pallet_utility::Call::<Runtime>::batch_all {
			calls: cases.iter().take(2).map(|(_, c)| c.clone()).collect(),
		}
		.into();
		assert_eq!(encoded(&md, &calls::batch_all(inner)), batch.encode());
		assert_eq!(call_name(&md, &batch.encode()).as_deref(), Ok("Utility.batch_all"));
	}

	#[test]
	fn only_whole_calls_of_the_runtime_decode() {
		let md = metadata();
		let call: RuntimeCall =
			pallet_referenda::Call::<Runtime>::place_decision_deposit { index: 1 }.into();
		let bytes = call.encode();
		assert_eq!(call_name(&md, &bytes).as_deref(), Ok("Referenda.place_decision_deposit"));
		let mut long = bytes.clone();
		long.push(0);
		assert!(call_name(&md, &long).unwrap_err().contains("left over"));
		assert!(call_name(&md, &bytes[..bytes.len() - 1]).is_err(), "truncated");
		assert!(call_name(&md, &[0xff, 0]).is_err(), "no pallet 255");
		assert!(call_name(&md, &[]).is_err());
		assert!(call_from_hex("0xzz").is_err());
		assert_eq!(call_from_hex(" 0x0a0b ").ok(), Some(vec![10, 11]));
	}

	#[test]
	fn votes_are_one_byte() {
		assert_eq!(vote_byte(true, 1), Some(0x81));
		assert_eq!(vote_byte(false, 6), Some(0x06));
		assert_eq!(vote_byte(true, 7), None);
		assert_eq!(preimage_deposit(10), PREIMAGE_BASE_DEPOSIT + 10 * PREIMAGE_BYTE_DEPOSIT);
	}

	/// The stored referenda, votes and periods decode by name from what the runtime stores.
	#[test]
	fn stored_governance_decodes_against_the_metadata() {
		let md = metadata();
		let value_ty = |pallet: &str, entry: &str| {
			md.pallet_by_name(pallet)
				.and_then(|p| p.storage())
				.and_then(|s| s.entry_by_name(entry))
				.map(|e| e.value_ty())
				.expect("entry exists")
		};
		let who = RuntimeAccount::new([3; 32]);
		let deposit = || pallet_referenda::Deposit { who: who.clone(), amount: 10 };
		let call: RuntimeCall = pallet_referenda::Call::<Runtime>::kill { index: 0 }.into();
		let ongoing: pallet_referenda::ReferendumInfoOf<Runtime, ()> =
			pallet_referenda::ReferendumInfo::Ongoing(pallet_referenda::ReferendumStatus {
				track: ROOT_TRACK,
				origin: OriginCaller::system(RawOrigin::Root),
				proposal: Bounded::Inline(call.encode().try_into().expect("short")),
				enactment: DispatchTime::After(0),
				submitted: 5,
				submission_deposit: deposit(),
				decision_deposit: Some(deposit()),
				deciding: Some(pallet_referenda::DecidingStatus { since: 7, confirming: Some(9) }),
				tally: voting::Tally::from_parts(30, 20, 10),
				in_queue: false,
				alarm: Some((12, (12, 0))),
			});
		let ty = value_ty("Referenda", "ReferendumInfoFor");
		let decode = |bytes: Vec<u8>| {
			let info =
				StoredInfo::decode_as_type(&mut &bytes[..], ty, md.types()).expect("decodes");
			referendum(4, info, &md)
		};
		let r = decode(ongoing.encode());
		assert_eq!(r.status, ReferendumStatus::Deciding { since: 7, confirming: Some(9) });
		assert_eq!(r.track, Some(ROOT_TRACK));
		assert_eq!(r.submitted, Some(5));
		assert_eq!(r.tally, Some(Tally { ayes: 30, nays: 20, support: 10 }));
		assert_eq!(r.decision_deposit, Some(Deposit { who: AccountId32([3; 32]), amount: 10 }));
		let p = r.proposal.expect("proposal");
		assert_eq!(p.call.as_deref(), Some("Referenda.kill"));
		assert_eq!(p.hash, proposal_hash(&call.encode()));
		let approved: pallet_referenda::ReferendumInfoOf<Runtime, ()> =
			pallet_referenda::ReferendumInfo::Approved(30, Some(deposit()), None);
		let r = decode(approved.encode());
		assert_eq!(r.status, ReferendumStatus::Approved { at: 30 });
		assert!(!r.status.is_ongoing() && r.decision_deposit.is_none());
		assert_eq!(r.submission_deposit.map(|d| d.amount), Some(10));

		let votes: voting::VotingOf<Runtime, ()> = voting::Voting::Casting(voting::Casting {
			votes: vec![(
				2,
				voting::AccountVote::Standard {
					vote: voting::Vote { aye: true, conviction: voting::Conviction::Locked3x },
					balance: 77,
				},
			)]
			.try_into()
			.expect("few"),
			delegations: Default::default(),
			prior: Default::default(),
		});
		let bytes = votes.encode();
		let stored = StoredVoting::decode_as_type(
			&mut &bytes[..],
			value_ty("ConvictionVoting", "VotingFor"),
			md.types(),
		)
		.expect("decodes");
		let StoredVoting::Casting(c) = stored else { panic!("casting") };
		let (index, vote) =
			c.votes.into_iter().next().map(|(i, v)| (i, account_vote(v))).expect("one");
		assert_eq!(
			(index, vote),
			(2, AccountVote::Standard { aye: true, conviction: 3, balance: 77 })
		);
	}
}
