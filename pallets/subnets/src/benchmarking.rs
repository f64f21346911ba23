//! Benchmarks of `pallet_subnets` (benchmarks v2).
//!
//! Each benchmark builds its worst case in storage: a subnet created through `create_subnet`,
//! its hyperparameters widened to `n` UIDs (and kept valid), `n` neurons inserted directly and
//! registered with the staking pallet, all at block 0, then the clock moved past every
//! immunity and rate limit so that each check runs and passes.

use super::*;
use agora_primitives::{commit_hash, AddrBytes, ED25519_PEER_ID_PREFIX, MAX_ADDRS, MAX_ADDR_LEN};
use frame::benchmarking::prelude::*;
use polkadot_sdk::{frame_support::traits::fungible::Inspect, polkadot_sdk_frame as frame};

const SEED: u32 = 0;

/// Gives `who` `amount` and enough on top to stay alive after paying it.
fn fund<T: Config>(who: &T::AccountId, amount: Balance) {
	let ed = T::Currency::minimum_balance();
	T::Currency::set_balance(who, amount.saturating_add(ed.saturating_mul(10)).saturating_add(1));
}

fn set_block<T: Config>(n: BlockNumber) {
	System::<T>::set_block_number(n.into());
}

fn hotkey<T: Config>(uid: Uid) -> T::AccountId {
	account("hotkey", uid.into(), SEED)
}

fn hyperparams<T: Config>(netuid: NetUid) -> Result<SubnetHyperparams, BenchmarkError> {
	Ok(Subnets::<T>::get(netuid).ok_or("subnet missing")?.hyperparams)
}

fn neurons(n: u32) -> Result<u16, BenchmarkError> {
	Ok(u16::try_from(n).map_err(|_| "more neurons than u16")?)
}

/// Creates a subnet holding `n` neurons and room for no more (`max_uids = max(n, 1)`), every
/// hyperparameter valid; `commit_reveal` as asked. The neuron on the last UID earned the least
/// in the last epoch and holds weights, bonds and a commit, so replacing it clears the most.
fn subnet<T: Config>(n: u16, commit_reveal: bool) -> Result<NetUid, BenchmarkError> {
	let owner: T::AccountId = account("owner", 0, SEED);
	fund::<T>(&owner, Pallet::<T>::subnet_creation_cost());
	let netuid = NextNetUid::<T>::get();
	Pallet::<T>::create_subnet(RawOrigin::Signed(owner).into(), TaskKind::default(), Balance::MAX)?;
	let mut subnet = Subnets::<T>::get(netuid).ok_or("subnet missing")?;
	let hp = &mut subnet.hyperparams;
	let size = n.max(1);
	hp.max_uids = size;
	hp.max_allowed_weights = size;
	hp.max_validators = hp.max_validators.clamp(1, size);
	// With two weights or more, a limit below one: the per-weight check runs too.
	(hp.min_allowed_weights, hp.max_weight_limit) =
		if size >= 2 { (2, u16::MAX / 2 + 1) } else { (1, u16::MAX) };
	hp.weights_version_key = 0;
	hp.commit_reveal = commit_reveal;
	hp.validate(T::MaxUidsLimit::get().min(u32::from(u16::MAX)) as u16, n)
		.map_err(|_| "benchmark hyperparameters invalid")?;
	Subnets::<T>::insert(netuid, subnet);
	for uid in 0..n {
		let hotkey = hotkey::<T>(uid);
		let coldkey: T::AccountId = account("coldkey", uid.into(), SEED);
		T::Stake::register_hotkey(&hotkey, &coldkey)?;
		Neurons::<T>::insert(
			netuid,
			uid,
			Neuron {
				hotkey: hotkey.clone(),
				coldkey,
				registered_at: 0,
				last_update: 0,
				weights_at: 0,
				endpoint: None,
			},
		);
		Uids::<T>::insert(netuid, &hotkey, uid);
	}
	// Every neuron has results (the weakest, the last, with a permit too), so that a
	// replacement resets an entry in every vector: the most writes it can make.
	let ones = BoundedVec::truncate_from(alloc::vec![1u16; usize::from(n)]);
	Rank::<T>::insert(netuid, ones.clone());
	Trust::<T>::insert(netuid, ones.clone());
	Consensus::<T>::insert(netuid, ones.clone());
	Incentive::<T>::insert(netuid, ones.clone());
	Dividends::<T>::insert(netuid, ones.clone());
	ValidatorTrust::<T>::insert(netuid, ones);
	let permits = (0..n).map(|uid| uid + 1 == n).collect::<Vec<_>>();
	ValidatorPermit::<T>::insert(netuid, BoundedVec::truncate_from(permits));
	let emission = (0..n).map(|uid| Balance::from(n - uid)).collect::<Vec<_>>();
	Emission::<T>::insert(netuid, BoundedVec::truncate_from(emission.clone()));
	EpochStake::<T>::insert(netuid, BoundedVec::truncate_from(emission));
	BlockAtRegistration::<T>::insert(
		netuid,
		BoundedVec::truncate_from(alloc::vec![0; usize::from(n)]),
	);
	SubnetN::<T>::insert(netuid, n);
	if let Some(last) = n.checked_sub(1) {
		let row = BoundedVec::try_from(alloc::vec![(0, 1)]).map_err(|_| "MaxUidsLimit is 0")?;
		Weights::<T>::insert(netuid, last, row);
		let row = BoundedVec::try_from(alloc::vec![(0, 1)]).map_err(|_| "MaxUidsLimit is 0")?;
		Bonds::<T>::insert(netuid, last, row);
		WeightCommits::<T>::insert(
			netuid,
			hotkey::<T>(last),
			([0u8; 32], 0, CommitTerms::new(&hyperparams::<T>(netuid)?, 0)),
		);
	}
	Ok(netuid)
}

/// Makes UID 0 a validator with earlier weights (so the rate limit is read).
fn validator<T: Config>(netuid: NetUid) -> Result<T::AccountId, BenchmarkError> {
	Pallet::<T>::set_stats(netuid, 0, NeuronStats { validator_permit: true, ..Default::default() });
	let row = BoundedVec::try_from(alloc::vec![(0, 1)]).map_err(|_| "MaxUidsLimit is 0")?;
	Weights::<T>::insert(netuid, 0, row);
	Ok(hotkey::<T>(0))
}

/// Weights on every one of `n` UIDs, given in descending UID order (the sort has work to do).
#[allow(clippy::type_complexity)]
fn all_weights<T: Config>(
	n: u16,
) -> Result<(BoundedVec<Uid, T::MaxUidsLimit>, BoundedVec<u16, T::MaxUidsLimit>), BenchmarkError> {
	let uids: Vec<Uid> = (0..n).rev().collect();
	let values: Vec<u16> = (0..n).map(|_| 1_000).collect();
	Ok((
		uids.try_into().map_err(|_| "n above MaxUidsLimit")?,
		values.try_into().map_err(|_| "n above MaxUidsLimit")?,
	))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Worst case: a previous creation to decay from.
	#[benchmark]
	fn create_subnet() -> Result<(), BenchmarkError> {
		subnet::<T>(1, false)?;
		let caller: T::AccountId = account("caller", 0, SEED);
		let cost = Pallet::<T>::subnet_creation_cost();
		fund::<T>(&caller, cost);
		let netuid = NextNetUid::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), TaskKind::TextEmbedding, cost);

		assert_eq!(Subnets::<T>::get(netuid).map(|s| s.owner), Some(caller));
		Ok(())
	}

	/// Worst case: the owner (the admin origin is tried first), past its rate limit.
	#[benchmark]
	fn set_hyperparams() -> Result<(), BenchmarkError> {
		let netuid = subnet::<T>(1, false)?;
		let owner: T::AccountId = account("owner", 0, SEED);
		HyperparamsSetAt::<T>::insert(netuid, 0);
		set_block::<T>(T::HyperparamsRateLimit::get().max(1));
		let mut hp = hyperparams::<T>(netuid)?;
		hp.commit_reveal = !hp.commit_reveal;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), netuid, hp.clone());

		assert_eq!(hyperparams::<T>(netuid)?, hp);
		Ok(())
	}

	/// Worst case of telling the pallet that a hotkey lost stake: it holds the last UID of `s`
	/// full subnets (the runtime's `MaxUidsLimit` neurons each), on each of which the counted
	/// stake is lowered (each subnet's `EpochStake` vector decoded, changed and written).
	#[benchmark]
	fn on_stake_decrease(s: Linear<1, 32>) -> Result<(), BenchmarkError> {
		let n = T::MaxUidsLimit::get().min(u32::from(u16::MAX)) as u16;
		let last = n.checked_sub(1).ok_or("MaxUidsLimit is 0")?;
		let who = hotkey::<T>(last);
		let mut netuids = Vec::new();
		for _ in 0..s {
			let netuid = subnet::<T>(1, false)?;
			Uids::<T>::insert(netuid, &who, last);
			let counted = alloc::vec![Balance::MAX; usize::from(n)];
			EpochStake::<T>::insert(netuid, BoundedVec::truncate_from(counted));
			netuids.push(netuid);
		}

		#[block]
		{
			<Pallet<T> as OnStakeDecrease<T::AccountId>>::on_stake_decrease(&who, 1);
		}

		for netuid in netuids {
			assert_eq!(stats::at(&EpochStake::<T>::get(netuid), last), 1);
		}
		Ok(())
	}

	/// Worst case: a full subnet of `n` neurons, none immune, so every UID's emission and
	/// registration block are compared (two vectors read) and the weakest (the last) is
	/// replaced, its entry reset in every vector.
	#[benchmark]
	fn register(n: Linear<1, 4096>) -> Result<(), BenchmarkError> {
		let size = neurons(n)?;
		let netuid = subnet::<T>(size, false)?;
		set_block::<T>(hyperparams::<T>(netuid)?.immunity_period.saturating_add(1));
		let coldkey: T::AccountId = account("new_coldkey", 0, SEED);
		let new: T::AccountId = account("new_hotkey", 0, SEED);
		let cost = Pallet::<T>::registration_cost(netuid).ok_or("subnet missing")?;
		fund::<T>(&coldkey, cost);

		#[extrinsic_call]
		_(RawOrigin::Signed(coldkey), netuid, new.clone(), cost);

		assert_eq!(Uids::<T>::get(netuid, &new), Some(size - 1));
		assert_eq!(SubnetN::<T>::get(netuid), size);
		Ok(())
	}

	/// Worst case: every multiaddr at its longest, the proof checked, replacing an endpoint
	/// with another PeerId (the old one's owner entry removed, the new one's written).
	#[benchmark]
	fn serve() -> Result<(), BenchmarkError> {
		use polkadot_sdk::{sp_core::crypto::KeyTypeId, sp_io::crypto};
		let netuid = subnet::<T>(1, false)?;
		let hotkey = hotkey::<T>(0);
		let key_type = KeyTypeId(*b"agsv");
		let public = crypto::ed25519_generate(key_type, None);
		let mut peer_id = ED25519_PEER_ID_PREFIX.to_vec();
		peer_id.extend(public.0);
		let peer_id: PeerIdBytes = peer_id.try_into().map_err(|_| "PeerId too long")?;
		let payload = serve_proof_payload(&Pallet::<T>::genesis_hash(), netuid, &hotkey);
		let proof = crypto::ed25519_sign(key_type, &public, &payload).ok_or("cannot sign")?.0;
		let mut addr = alloc::vec![b'/'];
		addr.resize(MAX_ADDR_LEN as usize, b'a');
		let addr: AddrBytes = addr.try_into().map_err(|_| "multiaddr too long")?;
		let addrs: Addrs =
			alloc::vec![addr; MAX_ADDRS as usize].try_into().map_err(|_| "too many multiaddrs")?;
		let mut old_id = ED25519_PEER_ID_PREFIX.to_vec();
		old_id.extend([7u8; 32]);
		let old_id: PeerIdBytes = old_id.try_into().map_err(|_| "PeerId too long")?;
		let old = Endpoint { peer_id: old_id.clone(), addrs: Addrs::default(), served_at: 0 };
		Neurons::<T>::mutate(netuid, 0, |n| {
			if let Some(n) = n {
				n.endpoint = Some(old);
			}
		});
		PeerIdOwners::<T>::insert(netuid, &old_id, 0);
		set_block::<T>(T::ServeRateLimit::get().max(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(hotkey), netuid, peer_id.clone(), addrs.clone(), proof);

		let endpoint = Neurons::<T>::get(netuid, 0).and_then(|n| n.endpoint);
		assert_eq!(endpoint.map(|e| e.addrs), Some(addrs));
		assert_eq!(PeerIdOwners::<T>::get(netuid, &peer_id), Some(0));
		assert_eq!(PeerIdOwners::<T>::get(netuid, &old_id), None);
		Ok(())
	}

	/// Worst case: a validator weighting all `n` UIDs of a subnet that size, past its rate
	/// limit, every weight checked against the limit.
	#[benchmark]
	fn set_weights(n: Linear<1, 4096>) -> Result<(), BenchmarkError> {
		let size = neurons(n)?;
		let netuid = subnet::<T>(size, false)?;
		let hotkey = validator::<T>(netuid)?;
		set_block::<T>(hyperparams::<T>(netuid)?.weights_rate_limit.saturating_add(1));
		let (uids, values) = all_weights::<T>(size)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(hotkey), netuid, uids, values, 0);

		assert_eq!(Weights::<T>::get(netuid, 0).len(), n as usize);
		Ok(())
	}

	/// Worst case: replacing an earlier commit, past the rate limit.
	#[benchmark]
	fn commit_weights() -> Result<(), BenchmarkError> {
		let netuid = subnet::<T>(1, true)?;
		let hotkey = hotkey::<T>(0);
		WeightCommits::<T>::insert(
			netuid,
			&hotkey,
			([0u8; 32], 0, CommitTerms::new(&hyperparams::<T>(netuid)?, 0)),
		);
		set_block::<T>(hyperparams::<T>(netuid)?.weights_rate_limit.max(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(hotkey.clone()), netuid, [1u8; 32]);

		assert_eq!(WeightCommits::<T>::get(netuid, &hotkey).map(|c| c.0), Some([1u8; 32]));
		Ok(())
	}

	/// Worst case: revealing weights on all `n` UIDs, with the longest salt, in the window.
	#[benchmark]
	fn reveal_weights(n: Linear<1, 4096>) -> Result<(), BenchmarkError> {
		let size = neurons(n)?;
		let netuid = subnet::<T>(size, true)?;
		let hotkey = validator::<T>(netuid)?;
		let (uids, values) = all_weights::<T>(size)?;
		let salt: BoundedVec<u8, ConstU32<32>> =
			alloc::vec![7u8; 32].try_into().map_err(|_| "salt too long")?;
		let hash = commit_hash(&hotkey, netuid, &uids, &values, &salt, 0);
		WeightCommits::<T>::insert(
			netuid,
			&hotkey,
			(hash, 1, CommitTerms::new(&hyperparams::<T>(netuid)?, 1)),
		);
		let (open, _) = Pallet::<T>::reveal_window(&hyperparams::<T>(netuid)?, 1);
		set_block::<T>(open);

		#[extrinsic_call]
		_(RawOrigin::Signed(hotkey.clone()), netuid, uids, values, salt, 0);

		assert_eq!(Weights::<T>::get(netuid, 0).len(), n as usize);
		assert!(!WeightCommits::<T>::contains_key(netuid, &hotkey));
		Ok(())
	}

	/// Worst case: the hotkey holds UID 0 (with a permit, weights, bonds and a pending commit
	/// to drop) on each of the `s` subnets on chain, `n` coldkeys hold shares of it, the
	/// witness is exact, and its coldkey swapped once before, `KeySwapRateLimit` blocks ago.
	#[benchmark]
	fn swap_hotkey(s: Linear<1, 32>, n: Linear<0, 1024>) -> Result<(), BenchmarkError> {
		let old = hotkey::<T>(0);
		let owner: T::AccountId = account("coldkey", 0, SEED);
		let mut netuids = Vec::new();
		// The runtime allows 32 subnets; a test runtime allowing fewer measures what it can.
		for _ in 0..s.min(u32::from(T::MaxSubnets::get())) {
			netuids.push(subnet::<T>(1, false)?);
		}
		// Far above any minimum stake (0.001 AGR in the runtime).
		let amount: Balance = 1_000_000_000_000;
		for i in 0..n {
			let nominator: T::AccountId = account("nominator", i, SEED);
			fund::<T>(&nominator, amount);
			T::Stake::add_stake(&nominator, &old, amount)?;
		}
		fund::<T>(&owner, T::KeySwapCost::get());
		LastKeySwap::<T>::insert(&owner, 0);
		set_block::<T>(T::KeySwapRateLimit::get().max(1));
		let new: T::AccountId = account("new_hotkey", 0, SEED);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), old.clone(), new.clone(), n);

		for netuid in netuids {
			assert_eq!(Uids::<T>::get(netuid, &new), Some(0));
			assert!(!Uids::<T>::contains_key(netuid, &old));
		}
		assert_eq!(T::Stake::nominator_count(&new, n), n);
		assert_eq!(T::Stake::nominator_count(&old, n), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
