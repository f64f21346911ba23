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
//! The arithmetic is the pallet's own [`Pool`] (`Pool::settled(n).value_of(shares)`), not a copy.
//!
//! The test `tests/stake_value.rs` checks this against the runtime's own
//! `Staking::stake_of_coldkey`.

pub use pallet_agora_staking::Pool;
