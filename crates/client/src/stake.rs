//! A stake position's value at a given block, computed as the staking pallet computes it, so that
//! "the whole position" can be named as the exact amount it is worth in the block a transaction
//! lands in.
//!
//! `Staking.remove_stake(hotkey, amount)` takes an amount, and a position's value moves every
//! block while emission vests into its hotkey's pool: the value read now is a little less than
//! the value when the transaction is applied, so sending it would leave a remainder (or be
//! refused with `BelowMinStake` when the remainder is under `MinStake`). An amount above the
//! value is refused (`InsufficientStake`). The value is a pure function of the pool as stored
//! (`Staking.Pools`), the position's shares (`Staking.Shares`) and the block number, so the
//! client reads both and computes the value at the next block, as the pallet will:
//!
//! ```text
//! released(n) = vesting · (n − vesting_from) / (vesting_until − vesting_from)   (rounded down;
//!               all of it from vesting_until on, nothing up to vesting_from)
//! value(n)    = shares · (stake + released(n)) / pool.shares                    (rounded down)
//! ```
//!
//! The test `tests/stake_value.rs` checks this against the runtime's own
//! `Staking::stake_of_coldkey`.

use agora_primitives::{Balance, BlockNumber};
use codec::{Decode, Encode};

/// A hotkey's share pool as `Staking.Pools` stores it (its storage type is among the hashes the
/// client checks on connect).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct Pool {
	/// AGR staked on the hotkey, released emission included.
	pub stake: Balance,
	/// Shares held by its nominators.
	pub shares: u128,
	/// Emission credited but not yet released into `stake`.
	pub vesting: Balance,
	/// Block from which `vesting` is released linearly.
	pub vesting_from: BlockNumber,
	/// Block by which all of `vesting` is released.
	pub vesting_until: BlockNumber,
}

impl Pool {
	/// The part of `vesting` released by block `now`.
	pub fn released(&self, now: BlockNumber) -> Balance {
		if now >= self.vesting_until {
			self.vesting
		} else if now <= self.vesting_from {
			0
		} else {
			let len = u128::from(self.vesting_until - self.vesting_from);
			mul_div(self.vesting, u128::from(now - self.vesting_from), len)
		}
	}

	/// What `shares` of this pool are worth at block `now` (vested emission released), rounded
	/// down.
	pub fn value_at(&self, shares: u128, now: BlockNumber) -> Balance {
		if self.shares == 0 {
			return 0;
		}
		let stake = self.stake.saturating_add(self.released(now));
		mul_div(shares, stake, self.shares)
	}
}

/// `a * b / c` rounded down, as the pallet computes it (saturating beyond 2^128).
fn mul_div(a: u128, b: u128, c: u128) -> u128 {
	if c == 0 {
		return 0;
	}
	match a.checked_mul(b) {
		Some(p) => p / c,
		None => {
			let (qa, ra) = (a / c, a % c);
			qa.saturating_mul(b).saturating_add(ra.saturating_mul(b) / c)
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn vesting_releases_linearly_and_the_value_follows() {
		let pool =
			Pool { stake: 1_000, shares: 500, vesting: 100, vesting_from: 10, vesting_until: 20 };
		assert_eq!(pool.released(5), 0);
		assert_eq!(pool.released(10), 0);
		assert_eq!(pool.released(13), 30);
		assert_eq!(pool.released(20), 100);
		assert_eq!(pool.released(99), 100);
		// 100 of 500 shares: a fifth of 1_000 + 30.
		assert_eq!(pool.value_at(100, 13), 206);
		assert_eq!(pool.value_at(100, 14), 208);
		assert_eq!(Pool::default().value_at(5, 1), 0);
		// No overflow for large pools.
		let big = Pool { stake: u128::MAX / 2, shares: u128::MAX / 3, ..Pool::default() };
		assert!(big.value_at(u128::MAX / 3, 0) >= u128::MAX / 2 - 1);
	}
}
