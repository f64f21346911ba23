//! The last epoch's results, kept as one vector per subnet and quantity ([`Rank`] …
//! [`EpochStake`], indexed by UID): one neuron's, a whole subnet's, an epoch's writes (one per
//! vector that changed) and the reset of a UID that changes hands.

use crate::*;
use codec::FullCodec;
use polkadot_sdk::frame_support::storage::StorageMap;

/// `uid`'s entry of a per-UID vector: the default (zero, `false`) beyond its end.
pub(crate) fn at<V: Copy + Default>(values: &[V], uid: Uid) -> V {
	values.get(usize::from(uid)).copied().unwrap_or_default()
}

/// Sets `uid`'s entry of the vector `S` holds for `netuid`, writing only when it changes.
fn set_at<T, S, V>(netuid: NetUid, uid: Uid, value: V)
where
	T: Config,
	S: StorageMap<NetUid, UidVec<V, T>, Query = UidVec<V, T>>,
	V: Copy + Default + PartialEq + FullCodec,
{
	let mut values = S::get(netuid).into_inner();
	if at(&values, uid) == value {
		return;
	}
	let i = usize::from(uid);
	if values.len() <= i {
		values.resize(i + 1, V::default());
	}
	values[i] = value;
	// `uid` < `MaxUidsLimit`: nothing is cut.
	S::insert(netuid, BoundedVec::truncate_from(values));
}

/// Stores `values` (one per UID) as the vector `S` holds for `netuid`, unless it holds them
/// already: a read costs a sixth of a write.
fn put_if_changed<T, S, V>(netuid: NetUid, values: Vec<V>)
where
	T: Config,
	S: StorageMap<NetUid, UidVec<V, T>, Query = UidVec<V, T>>,
	V: PartialEq + FullCodec,
{
	let values = BoundedVec::truncate_from(values);
	if S::get(netuid) != values {
		S::insert(netuid, values);
	}
}

impl<T: Config> Pallet<T> {
	/// What the last epoch decided about `uid` on `netuid`; zeros for a neuron registered since.
	pub fn stats(netuid: NetUid, uid: Uid) -> NeuronStats {
		NeuronStats {
			rank: at(&Rank::<T>::get(netuid), uid),
			trust: at(&Trust::<T>::get(netuid), uid),
			consensus: at(&Consensus::<T>::get(netuid), uid),
			incentive: at(&Incentive::<T>::get(netuid), uid),
			dividends: at(&Dividends::<T>::get(netuid), uid),
			validator_trust: at(&ValidatorTrust::<T>::get(netuid), uid),
			validator_permit: at(&ValidatorPermit::<T>::get(netuid), uid),
			emission: at(&Emission::<T>::get(netuid), uid),
			stake: at(&EpochStake::<T>::get(netuid), uid),
		}
	}

	/// [`Self::stats`] of every UID of `netuid`, `0..SubnetN`, reading each vector once.
	pub fn all_stats(netuid: NetUid) -> Vec<NeuronStats> {
		let (rank, trust, consensus) =
			(Rank::<T>::get(netuid), Trust::<T>::get(netuid), Consensus::<T>::get(netuid));
		let (incentive, dividends, validator_trust) = (
			Incentive::<T>::get(netuid),
			Dividends::<T>::get(netuid),
			ValidatorTrust::<T>::get(netuid),
		);
		let (permit, emission, stake) = (
			ValidatorPermit::<T>::get(netuid),
			Emission::<T>::get(netuid),
			EpochStake::<T>::get(netuid),
		);
		(0..SubnetN::<T>::get(netuid))
			.map(|uid| NeuronStats {
				rank: at(&rank, uid),
				trust: at(&trust, uid),
				consensus: at(&consensus, uid),
				incentive: at(&incentive, uid),
				dividends: at(&dividends, uid),
				validator_trust: at(&validator_trust, uid),
				validator_permit: at(&permit, uid),
				emission: at(&emission, uid),
				stake: at(&stake, uid),
			})
			.collect()
	}

	/// Whether `uid` holds a validator permit on `netuid` (from the last epoch).
	pub fn has_validator_permit(netuid: NetUid, uid: Uid) -> bool {
		at(&ValidatorPermit::<T>::get(netuid), uid)
	}

	/// Stores an epoch's results, one entry per UID: one write per vector that changed.
	pub(crate) fn put_stats(netuid: NetUid, stats: &[NeuronStats]) {
		let column = |f: fn(&NeuronStats) -> u16| stats.iter().map(f).collect::<Vec<_>>();
		put_if_changed::<T, Rank<T>, _>(netuid, column(|s| s.rank));
		put_if_changed::<T, Trust<T>, _>(netuid, column(|s| s.trust));
		put_if_changed::<T, Consensus<T>, _>(netuid, column(|s| s.consensus));
		put_if_changed::<T, Incentive<T>, _>(netuid, column(|s| s.incentive));
		put_if_changed::<T, Dividends<T>, _>(netuid, column(|s| s.dividends));
		put_if_changed::<T, ValidatorTrust<T>, _>(netuid, column(|s| s.validator_trust));
		let permits = stats.iter().map(|s| s.validator_permit).collect();
		put_if_changed::<T, ValidatorPermit<T>, _>(netuid, permits);
		put_if_changed::<T, Emission<T>, _>(netuid, stats.iter().map(|s| s.emission).collect());
		put_if_changed::<T, EpochStake<T>, _>(netuid, stats.iter().map(|s| s.stake).collect());
	}

	/// Zeroes `uid`'s results on `netuid` (its neuron is replaced): the new holder inherits no
	/// permit, emission or counted stake. Writes only the vectors where it had a non-zero entry.
	pub(crate) fn reset_stats(netuid: NetUid, uid: Uid) {
		set_at::<T, Rank<T>, _>(netuid, uid, 0);
		set_at::<T, Trust<T>, _>(netuid, uid, 0);
		set_at::<T, Consensus<T>, _>(netuid, uid, 0);
		set_at::<T, Incentive<T>, _>(netuid, uid, 0);
		set_at::<T, Dividends<T>, _>(netuid, uid, 0);
		set_at::<T, ValidatorTrust<T>, _>(netuid, uid, 0);
		set_at::<T, ValidatorPermit<T>, _>(netuid, uid, false);
		set_at::<T, Emission<T>, _>(netuid, uid, 0);
		set_at::<T, EpochStake<T>, _>(netuid, uid, 0);
	}

	/// Overwrites `uid`'s results on `netuid`, as an epoch would: for tests and benchmarks that
	/// need a neuron with a permit or an emission without running an epoch.
	#[cfg(any(test, feature = "std", feature = "runtime-benchmarks"))]
	pub fn set_stats(netuid: NetUid, uid: Uid, stats: NeuronStats) {
		set_at::<T, Rank<T>, _>(netuid, uid, stats.rank);
		set_at::<T, Trust<T>, _>(netuid, uid, stats.trust);
		set_at::<T, Consensus<T>, _>(netuid, uid, stats.consensus);
		set_at::<T, Incentive<T>, _>(netuid, uid, stats.incentive);
		set_at::<T, Dividends<T>, _>(netuid, uid, stats.dividends);
		set_at::<T, ValidatorTrust<T>, _>(netuid, uid, stats.validator_trust);
		set_at::<T, ValidatorPermit<T>, _>(netuid, uid, stats.validator_permit);
		set_at::<T, Emission<T>, _>(netuid, uid, stats.emission);
		set_at::<T, EpochStake<T>, _>(netuid, uid, stats.stake);
	}

	/// Lowers the stake the next epoch counts for `uid` on `netuid` to at most `stake`.
	pub(crate) fn lower_epoch_stake(netuid: NetUid, uid: Uid, stake: Balance) {
		let counted = at(&EpochStake::<T>::get(netuid), uid);
		if stake < counted {
			set_at::<T, EpochStake<T>, _>(netuid, uid, stake);
		}
	}

	/// Records the block at which `uid`'s neuron on `netuid` registered.
	pub(crate) fn set_registered_at(netuid: NetUid, uid: Uid, at: BlockNumber) {
		set_at::<T, BlockAtRegistration<T>, _>(netuid, uid, at);
	}
}
