//! Governance: referenda with conviction voting, a senate of the top validators, a scheduler and
//! preimages for enactment, and a treasury (see `docs/governance.md`).
//!
//! Every call that needs `Root` is reached, on the live chain, only through a referendum on the
//! `root` track: token holders vote with conviction (`pallet-conviction-voting`), a passing
//! referendum is scheduled (`pallet-scheduler`) and its call, stored as a preimage
//! (`pallet-preimage`), dispatched as `Root`. The senate (`pallet-collective`'s member list, set
//! by `pallet-governance` from the validators' stake) may cancel a referendum with two thirds of
//! its members (`Governance.senate_cancel`, in a senate of at least 3): an emergency brake, not
//! a way to pass anything; its collective motions carry no power. The track's periods are
//! `pallet-governance`'s genesis values, so dev chains decide in blocks what the live chain
//! decides in days.

use super::{proxy::deposit, RuntimeBlockWeights};
use crate::{
	AccountId, Balance, Balances, BlockNumber, Governance, OriginCaller, Preimage, Referenda,
	Runtime, RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System,
	Treasury, AGR,
};
use alloc::{borrow::Cow, collections::BTreeMap, vec::Vec};
use polkadot_sdk::{
	frame_support::{
		parameter_types,
		traits::{
			fungible::HoldConsideration,
			tokens::{pay::PayFromAccount, UnityAssetBalanceConversion},
			ChangeMembers, ConstU32, EqualPrivilegeOnly, Get, LinearStoragePrice,
			NeverEnsureOrigin, TotalIssuanceOf,
		},
		weights::Weight,
		PalletId,
	},
	frame_system::{EnsureRoot, EnsureRootWithSuccess, EnsureSigned, RawOrigin},
	pallet_collective, pallet_referenda,
	sp_runtime::{traits::IdentityLookup, FixedI64, Perbill},
	*,
};

/// The senate's `pallet-collective` instance.
pub type SenateInstance = pallet_collective::Instance1;

/// Seats in the senate, as in Bittensor.
pub const SENATE_SEATS: u32 = 12;

/// Senate motions open at once.
pub const SENATE_MAX_PROPOSALS: u32 = 16;

/// The `root` track: the only track, for every call that needs `Root`.
pub const ROOT_TRACK: u16 = 0;

/// `root` referenda decided at once; more queue.
pub const ROOT_MAX_DECIDING: u32 = 4;

/// AGR a `root` referendum's decision deposit holds (returned when it ends, unless killed).
pub const ROOT_DECISION_DEPOSIT: Balance = 1_000 * AGR;

/// AGR a submission holds until the referendum ends.
pub const SUBMISSION_DEPOSIT: Balance = 10 * AGR;

/// The referendum tracks, with the periods of `pallet-governance`.
///
/// `root`: four referenda decided at a time; 1,000 AGR decision deposit; approval (ayes over
/// all conviction-weighted votes) must exceed a threshold falling linearly from 100% to 50%
/// over the decision period, and support (ayes before conviction over the total issuance) one
/// falling linearly from 50% to 1%; both must hold for the whole confirm period.
pub struct Tracks;

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for Tracks {
	type Id = u16;
	type RuntimeOrigin = OriginCaller;

	fn tracks(
	) -> impl Iterator<Item = Cow<'static, pallet_referenda::Track<Self::Id, Balance, BlockNumber>>>
	{
		let p = Governance::periods();
		// Track names are 25 bytes (pallet-referenda's default), zero-padded.
		let mut name = [0u8; 25];
		name[..4].copy_from_slice(b"root");
		core::iter::once(Cow::Owned(pallet_referenda::Track {
			id: ROOT_TRACK,
			info: pallet_referenda::TrackInfo {
				name,
				// A few at once: a junk referendum (deposits refunded) cannot hold the only slot
				// for a whole decision period.
				max_deciding: ROOT_MAX_DECIDING,
				decision_deposit: ROOT_DECISION_DEPOSIT,
				prepare_period: p.prepare,
				decision_period: p.decision,
				confirm_period: p.confirm,
				min_enactment_period: p.min_enactment,
				min_approval: pallet_referenda::Curve::make_linear(1, 1, percent(50), percent(100)),
				min_support: pallet_referenda::Curve::make_linear(1, 1, percent(1), percent(50)),
			},
		}))
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		match origin {
			OriginCaller::system(RawOrigin::Root) => Ok(ROOT_TRACK),
			_ => Err(()),
		}
	}
}

const fn percent(x: i64) -> FixedI64 {
	FixedI64::from_rational(x as u128, 100)
}

/// Blocks a referendum may wait for its decision deposit (`pallet-governance`).
pub struct UndecidingTimeout;
impl Get<BlockNumber> for UndecidingTimeout {
	fn get() -> BlockNumber {
		Governance::periods().undeciding_timeout
	}
}

/// Blocks a 1x conviction vote stays locked (`pallet-governance`).
pub struct VoteLockingPeriod;
impl Get<BlockNumber> for VoteLockingPeriod {
	fn get() -> BlockNumber {
		Governance::periods().vote_locking
	}
}

/// How long a senate motion stays open: the confirm period (`pallet-governance`). Motions carry
/// no power (no origin accepts the senate's): the senate's brake is `Governance.senate_cancel`,
/// votes per referendum that no motion queue can jam.
pub struct SenateMotionDuration;
impl Get<BlockNumber> for SenateMotionDuration {
	fn get() -> BlockNumber {
		Governance::periods().confirm
	}
}

parameter_types! {
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
	/// A preimage holds 100 mAGR plus 0.1 mAGR a byte (a 1.5 MB runtime: ~150 AGR).
	pub const PreimageBaseDeposit: Balance = deposit(1, 0);
	pub const PreimageByteDeposit: Balance = deposit(0, 1);
	/// Scheduled calls may use 80% of a block.
	pub MaximumSchedulerWeight: Weight = RuntimeBlockWeights::get().max_block * Perbill::from_percent(80);
	/// A senate motion's call may use half a block.
	pub MaxSenateProposalWeight: Weight = RuntimeBlockWeights::get().max_block * Perbill::from_percent(50);
	pub const TreasuryPalletId: PalletId = PalletId(*b"agr/trsy");
	pub TreasuryAccount: AccountId = Treasury::account_id();
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	/// Only `Root` (a referendum) schedules by hand; referenda schedule through their own path.
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_referenda::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type Scheduler = Scheduler;
	type Currency = Balances;
	/// Anyone may submit (paying the submission deposit).
	type SubmitOrigin =
		polkadot_sdk::frame_support::traits::AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	/// `Root` may cancel a referendum (deposits returned); so may two thirds of the senate,
	/// through `Governance.senate_cancel` (which cancels as `Root`, see [`SenateBrake`]).
	type CancelOrigin = EnsureRoot<AccountId>;
	/// Only `Root` may kill one (deposits slashed to the treasury).
	type KillOrigin = EnsureRoot<AccountId>;
	type Slash = Treasury;
	type Votes = pallet_conviction_voting::VotesOf<Runtime>;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = polkadot_sdk::frame_support::traits::ConstU128<SUBMISSION_DEPOSIT>;
	type MaxQueued = ConstU32<100>;
	type UndecidingTimeout = UndecidingTimeout;
	type AlarmInterval = polkadot_sdk::frame_support::traits::ConstU32<1>;
	type Tracks = Tracks;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	/// Free AGR votes (staked AGR sits in the staking account and does not: stake speaks
	/// through the senate).
	type Currency = Balances;
	type Polls = Referenda;
	type MaxTurnout = TotalIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<512>;
	type VoteLockingPeriod = VoteLockingPeriod;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

impl pallet_collective::Config<SenateInstance> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = SenateMotionDuration;
	type MaxProposals = ConstU32<SENATE_MAX_PROPOSALS>;
	type MaxMembers = ConstU32<SENATE_SEATS>;
	/// A member who does not vote counts as a nay.
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	/// Only `pallet-governance` sets the members (from the validators' stake).
	type SetMembersOrigin = NeverEnsureOrigin<()>;
	type MaxProposalWeight = MaxSenateProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	type Consideration = ();
}

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	/// Spends are approved by `Root` only (a referendum), up to the whole treasury.
	type RejectOrigin = EnsureRoot<AccountId>;
	type RuntimeEvent = RuntimeEvent;
	/// A week of 12 s blocks.
	type SpendPeriod = ConstU32<50_400>;
	/// Nothing unspent is burnt.
	type Burn = ();
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<100>;
	type SpendOrigin = EnsureRootWithSuccess<AccountId, MaxSpend>;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	/// A spend may be claimed for 14 days of 12 s blocks.
	type PayoutPeriod = ConstU32<100_800>;
	type BlockNumberProvider = System;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TreasuryBenchmarkHelper;
}

parameter_types! {
	/// The most a `Root` spend may take: everything.
	pub const MaxSpend: Balance = Balance::MAX;
}

/// Arguments for the treasury's benchmarks: native AGR only.
#[cfg(feature = "runtime-benchmarks")]
pub struct TreasuryBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_treasury::ArgumentsFactory<(), AccountId> for TreasuryBenchmarkHelper {
	fn create_asset_kind(_seed: u32) {}
	fn create_beneficiary(seed: [u8; 32]) -> AccountId {
		AccountId::new(seed)
	}
}

impl pallet_governance::Config for Runtime {
	type AdminOrigin = EnsureRoot<AccountId>;
	type Candidates = TopValidators;
	type Senate = SenateMembers;
	type SenateSeats = ConstU32<SENATE_SEATS>;
	type Referenda = SenateBrake;
	/// A senate of fewer than 3 cancels nothing: a young chain's lone validators hold no veto.
	type MinSenateToCancel = ConstU32<3>;
	type WeightInfo = pallet_governance::weights::SubstrateWeight<Runtime>;
}

/// The referenda `Governance.senate_cancel` may cancel: `pallet-referenda`'s, cancelled as
/// `Root` once two thirds of the senate voted (the pallet checks that).
pub struct SenateBrake;
impl pallet_governance::CancelReferendum for SenateBrake {
	fn is_ongoing(index: u32) -> bool {
		matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(pallet_referenda::ReferendumInfo::Ongoing(_))
		)
	}

	fn cancel(index: u32) -> polkadot_sdk::sp_runtime::DispatchResult {
		Referenda::cancel(RawOrigin::Root.into(), index)
	}

	fn cancel_weight() -> Weight {
		use pallet_referenda::WeightInfo as _;
		<Runtime as pallet_referenda::Config>::WeightInfo::cancel()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn ongoing_for_benchmarks() -> u32 {
		use polkadot_sdk::frame_support::traits::{schedule::DispatchTime, Bounded};
		let who: AccountId = polkadot_sdk::frame_benchmarking::account("proposer", 0, 0);
		let _ = <Balances as polkadot_sdk::frame_support::traits::fungible::Mutate<_>>::mint_into(
			&who,
			100 * SUBMISSION_DEPOSIT,
		);
		let index = pallet_referenda::ReferendumCount::<Runtime>::get();
		let call: RuntimeCall =
			polkadot_sdk::frame_system::Call::remark { remark: alloc::vec![] }.into();
		let _ = Referenda::submit(
			RuntimeOrigin::signed(who),
			alloc::boxed::Box::new(OriginCaller::system(RawOrigin::Root)),
			Bounded::Inline(codec::Encode::encode(&call).try_into().unwrap_or_default()),
			DispatchTime::After(0),
		);
		index
	}
}

/// The validators for the senate: hotkeys holding a validator permit on any subnet (decided
/// by its last epoch), ranked by the stake their subnets' epochs count for them (`EpochStake`:
/// the stake held at the last epoch, lowered by every decrease since; the most over a hotkey's
/// subnets), most first, ties to the lower account. Stake that arrived after the last epoch, or
/// left since, does not count: a seat cannot be bought for the block of the refresh.
pub struct TopValidators;
impl pallet_governance::SenateSource<AccountId> for TopValidators {
	fn top_validators(seats: u32) -> (Vec<AccountId>, Weight) {
		let mut reads = 0u64;
		let mut stake: BTreeMap<AccountId, Balance> = BTreeMap::new();
		for netuid in pallet_subnets::Subnets::<Runtime>::iter_keys() {
			reads += 3;
			let permits = pallet_subnets::ValidatorPermit::<Runtime>::get(netuid);
			let counted = pallet_subnets::EpochStake::<Runtime>::get(netuid);
			for (uid, _) in permits.iter().enumerate().filter(|(_, p)| **p) {
				reads += 1;
				let Some(neuron) = pallet_subnets::Neurons::<Runtime>::get(netuid, uid as u16)
				else {
					continue;
				};
				let s = counted.get(uid).copied().unwrap_or_default();
				let best = stake.entry(neuron.hotkey).or_default();
				*best = (*best).max(s);
			}
		}
		let mut ranked: Vec<(AccountId, Balance)> =
			stake.into_iter().filter(|(_, s)| *s > 0).collect();
		ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
		ranked.truncate(seats as usize);
		let db = <Runtime as polkadot_sdk::frame_system::Config>::DbWeight::get();
		// Compute: a few microseconds a candidate, far below the reads.
		let compute = Weight::from_parts(5_000_000 * reads, 0);
		(ranked.into_iter().map(|(a, _)| a).collect(), db.reads(reads).saturating_add(compute))
	}
}

/// The senate's members, in its `pallet-collective` instance.
pub struct SenateMembers;
impl pallet_governance::SenateMembership<AccountId> for SenateMembers {
	fn members() -> Vec<AccountId> {
		pallet_collective::Members::<Runtime, SenateInstance>::get()
	}

	fn set_members(new: &[AccountId], old: &[AccountId]) -> Weight {
		let proposals = pallet_collective::Proposals::<Runtime, SenateInstance>::decode_len()
			.unwrap_or_default() as u32;
		<crate::Senate as ChangeMembers<AccountId>>::set_members_sorted(new, old);
		use pallet_collective::WeightInfo as _;
		<Runtime as pallet_collective::Config<SenateInstance>>::WeightInfo::set_members(
			old.len() as u32,
			new.len() as u32,
			proposals,
		)
	}

	fn max_set_members_weight() -> Weight {
		use pallet_collective::WeightInfo as _;
		<Runtime as pallet_collective::Config<SenateInstance>>::WeightInfo::set_members(
			SENATE_SEATS,
			SENATE_SEATS,
			SENATE_MAX_PROPOSALS,
		)
	}
}

#[cfg(test)]
mod tests;
