//! The client's prediction of a stake position's value at a block (`agora_client::stake`) is the
//! staking pallet's own: the same pools and shares, written to storage as the client reads them
//! (`Staking.Pools`, `Staking.Shares`), give the runtime's `Staking::stake_of_coldkey` at block
//! `n` exactly what `Pool::settled(n).value_of(shares)` computes.

use agora_client::stake::Pool;
use agora_runtime::{AccountId, Staking, System};
use codec::Encode;
use polkadot_sdk::sp_crypto_hashing::{blake2_128, twox_128};

fn key(item: &[u8], accounts: &[&AccountId]) -> Vec<u8> {
	let mut key = twox_128(b"Staking").to_vec();
	key.extend(twox_128(item));
	for a in accounts {
		let raw: &[u8; 32] = a.as_ref();
		key.extend(blake2_128(raw));
		key.extend(raw);
	}
	key
}

/// A small deterministic generator (xorshift), so the cases are the same on every run.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 << 13;
		self.0 ^= self.0 >> 7;
		self.0 ^= self.0 << 17;
		self.0
	}

	fn below(&mut self, n: u64) -> u64 {
		self.next() % n.max(1)
	}
}

#[test]
fn the_predicted_value_is_the_runtimes() {
	let hotkey = AccountId::new([1; 32]);
	let coldkey = AccountId::new([2; 32]);
	let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
	let (mut checked, mut growing) = (0, 0);
	polkadot_sdk::sp_io::TestExternalities::default().execute_with(|| {
		for _ in 0..500 {
			let agr = 1_000_000_000u128;
			let stake = u128::from(rng.below(1_000_000)) * agr / 1_000 + 1;
			let shares = stake * u128::from(rng.below(3) + 1) / 2 + 1;
			let vesting_from = rng.below(10_000) as u32;
			let pool = Pool {
				stake,
				shares,
				vesting: u128::from(rng.below(100_000)) * agr / 1_000,
				vesting_from,
				vesting_until: vesting_from + rng.below(400) as u32,
			};
			let held = u128::from(rng.below(u64::try_from(shares).unwrap_or(u64::MAX))) + 1;
			polkadot_sdk::sp_io::storage::set(&key(b"Pools", &[&hotkey]), &pool.encode());
			polkadot_sdk::sp_io::storage::set(
				&key(b"Shares", &[&hotkey, &coldkey]),
				&held.encode(),
			);
			for n in [
				vesting_from.saturating_sub(1),
				vesting_from,
				vesting_from + 1,
				vesting_from + rng.below(400) as u32,
				pool.vesting_until,
				pool.vesting_until + 1,
			] {
				System::set_block_number(n);
				let predicted = pool.settled(n).value_of(held);
				assert_eq!(
					predicted,
					Staking::stake_of_coldkey(&hotkey, &coldkey),
					"{pool:?}, {held} shares, block {n}"
				);
				checked += 1;
				if predicted > pool.settled(vesting_from).value_of(held) {
					growing += 1;
				}
			}
		}
	});
	assert_eq!(checked, 3000);
	// Most cases are mid-release, where the value moves from block to block.
	assert!(growing > 1000, "{growing}");
}
