//! Key swaps (issue 13): what the client reads to check a hotkey swap (`Subnets.swap_hotkey`)
//! or a coldkey swap (`Staking.announce_coldkey_swap`, `dispute_coldkey_swap`,
//! `execute_coldkey_swap`) before signing it, and the witnesses those calls take.
//!
//! ## Reading
//!
//! Every item is read at the best block by its raw key and decoded with the client's own types,
//! like the rest of [`crate::chain`]: their hashers and types are among the hashes checked on
//! connect ([`crate::chain::STORAGE_READ`]), so a runtime that changes them is refused rather
//! than misread. The witnesses are counts of keys under a prefix (`Staking.Shares` under a
//! hotkey, `Staking.OwnedHotkeys` and `Staking.Nominations` under a coldkey), read a page of
//! [`KEY_PAGE`] keys at a time. They are exact at the block read; the chain refuses a witness
//! below the real count and refunds the weight of one above it, so a count that grows between
//! the read and the block the transaction lands in makes the call fail, not misbehave.

use agora_primitives::{Balance, BlockNumber, NetUid, Uid};
use codec::{Decode, Encode};
use polkadot_sdk::sp_crypto_hashing::{blake2_128, twox_128, twox_64};
use subxt::utils::{AccountId32, H256};

use crate::chain::{other, Client, ClientError};

/// Keys asked for at once when counting or listing the keys under a prefix.
pub const KEY_PAGE: u32 = 512;

/// An announced coldkey swap as `Staking.ColdkeySwaps` stores it, by old coldkey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode)]
pub struct ColdkeySwap {
	/// The coldkey that gets everything.
	pub new: AccountId32,
	/// Block of the announcement.
	pub announced_at: BlockNumber,
	/// First block it may execute in; a dispute must land before it.
	pub executable_at: BlockNumber,
	/// Disputed by the old coldkey: only `Root` (a referendum) decides it now.
	pub disputed: bool,
}

/// Where an announced coldkey swap stands at a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColdkeySwapStage {
	/// Waiting out its delay: the old coldkey may still dispute it.
	Announced,
	/// Disputed: it waits for `Staking.resolve_coldkey_swap` (Root).
	Disputed,
	/// Its delay is over: anyone may execute it.
	Executable,
}

impl ColdkeySwapStage {
	/// Its name in lower case.
	pub fn name(&self) -> &'static str {
		match self {
			Self::Announced => "announced",
			Self::Disputed => "disputed",
			Self::Executable => "executable",
		}
	}
}

impl ColdkeySwap {
	/// Where it stands for a transaction landing in block `at` (the best block + 1 at the
	/// earliest).
	pub fn stage(&self, at: BlockNumber) -> ColdkeySwapStage {
		if self.disputed {
			ColdkeySwapStage::Disputed
		} else if at >= self.executable_at {
			ColdkeySwapStage::Executable
		} else {
			ColdkeySwapStage::Announced
		}
	}
}

/// Why a coldkey is frozen by a coldkey swap (`Staking::coldkey_frozen`): it may not add,
/// remove or move stake, set a take, register a hotkey or swap one (`ColdkeySwapPending`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColdkeyFreeze {
	/// It has an announced swap, pending or disputed: frozen until it executes or is dropped.
	Swap(ColdkeySwap),
	/// It cancelled a swap: frozen until this block (`Staking.FrozenUntil`), the cancelled
	/// swap's `executable_at`; a transaction landing in it or later is no longer refused.
	Until(BlockNumber),
}

/// The runtime's freeze rule for a transaction landing in block `at`: frozen while `swap`
/// (`Staking.ColdkeySwaps`) exists, or while `at` is before `until` (`Staking.FrozenUntil`).
pub fn freeze_at(
	swap: Option<ColdkeySwap>,
	until: Option<BlockNumber>,
	at: BlockNumber,
) -> Option<ColdkeyFreeze> {
	match (swap, until) {
		(Some(swap), _) => Some(ColdkeyFreeze::Swap(swap)),
		(None, Some(until)) if at < until => Some(ColdkeyFreeze::Until(until)),
		_ => None,
	}
}

/// The runtime's key-swap constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SwapConstants {
	/// AGR (plancks) a hotkey swap burns (`Subnets.KeySwapCost`).
	pub key_swap_cost: Balance,
	/// Blocks between two hotkey swaps of one coldkey (`Subnets.KeySwapRateLimit`).
	pub key_swap_rate_limit: BlockNumber,
	/// AGR (plancks) announcing a coldkey swap burns (`Staking.ColdkeySwapCost`).
	pub coldkey_swap_cost: Balance,
	/// Blocks from a coldkey swap's announcement to its first executable block
	/// (`Staking.ColdkeySwapDelay`).
	pub coldkey_swap_delay: BlockNumber,
}

/// `twox128(pallet) ++ twox128(entry)`: the prefix of every key of a storage item.
fn item_prefix(pallet: &str, entry: &str) -> Vec<u8> {
	let mut key = twox_128(pallet.as_bytes()).to_vec();
	key.extend(twox_128(entry.as_bytes()));
	key
}

/// Appends `part` hashed `Blake2_128Concat`.
fn blake2_concat(key: &mut Vec<u8>, part: &[u8]) {
	key.extend(blake2_128(part));
	key.extend(part);
}

/// Appends `part` hashed `Twox64Concat`.
fn twox_concat(key: &mut Vec<u8>, part: &[u8]) {
	key.extend(twox_64(part));
	key.extend(part);
}

/// The key of `pallet.entry` at one account, hashed `Blake2_128Concat`.
fn account_key(pallet: &str, entry: &str, account: &AccountId32) -> Vec<u8> {
	let mut key = item_prefix(pallet, entry);
	blake2_concat(&mut key, &account.0);
	key
}

impl Client {
	/// The runtime's key-swap constants.
	pub async fn swap_constants(&self) -> Result<SwapConstants, ClientError> {
		let (key_swap_cost, key_swap_rate_limit, coldkey_swap_cost, coldkey_swap_delay) = tokio::try_join!(
			self.balance_constant("Subnets", "KeySwapCost"),
			self.u32_constant("Subnets", "KeySwapRateLimit"),
			self.balance_constant("Staking", "ColdkeySwapCost"),
			self.u32_constant("Staking", "ColdkeySwapDelay"),
		)?;
		Ok(SwapConstants {
			key_swap_cost,
			key_swap_rate_limit,
			coldkey_swap_cost,
			coldkey_swap_delay,
		})
	}

	/// The value stored at `key` at the best block, decoded as `T` (`what` names the item).
	async fn read_raw<T: Decode>(&self, key: &[u8], what: &str) -> Result<Option<T>, ClientError> {
		match self.rpc.state_get_storage(key, None).await.map_err(other)? {
			Some(bytes) => {
				T::decode(&mut &bytes[..]).map(Some).map_err(|e| other(format!("{what}: {e}")))
			},
			None => Ok(None),
		}
	}

	/// Every key under `prefix` at block `at`, a page of [`KEY_PAGE`] at a time.
	async fn keys_under(&self, prefix: &[u8], at: H256) -> Result<Vec<Vec<u8>>, ClientError> {
		let mut all = Vec::new();
		let mut start: Option<Vec<u8>> = None;
		loop {
			let keys = self
				.rpc
				.state_get_keys_paged(prefix, KEY_PAGE, start.as_deref(), Some(at))
				.await
				.map_err(other)?;
			let full = keys.len() == KEY_PAGE as usize;
			start = keys.last().cloned();
			all.extend(keys);
			if !full {
				return Ok(all);
			}
		}
	}

	/// The accounts that are the second key of the `Blake2_128Concat, Blake2_128Concat` double
	/// map `pallet.entry` under the first key `first`, at the best block.
	async fn second_keys(
		&self,
		pallet: &str,
		entry: &str,
		first: &AccountId32,
	) -> Result<Vec<AccountId32>, ClientError> {
		let prefix = account_key(pallet, entry, first);
		let at = self.block_at(None).await?.1;
		self.keys_under(&prefix, at)
			.await?
			.iter()
			.map(|key| {
				// 16 bytes of hash, then the 32 bytes of the account.
				key.get(prefix.len() + 16..)
					.and_then(|raw| <[u8; 32]>::try_from(raw).ok())
					.map(AccountId32)
					.ok_or_else(|| other(format!("{pallet}.{entry}: a key without an account")))
			})
			.collect()
	}

	/// The coldkey owning `hotkey` (`Staking.Owner`); `None` when it is not registered.
	pub async fn hotkey_owner(
		&self,
		hotkey: &AccountId32,
	) -> Result<Option<AccountId32>, ClientError> {
		// `Staking.Owner`'s type is among the hashes checked on connect.
		self.read_raw(&account_key("Staking", "Owner", hotkey), "Staking.Owner").await
	}

	/// How many coldkeys hold shares of `hotkey` (the keys of `Staking.Shares` under it): the
	/// `nominators` witness of `Subnets.swap_hotkey`.
	pub async fn nominator_count(&self, hotkey: &AccountId32) -> Result<u32, ClientError> {
		let prefix = account_key("Staking", "Shares", hotkey);
		let at = self.block_at(None).await?.1;
		let count = self.keys_under(&prefix, at).await?.len();
		u32::try_from(count).map_err(|_| other("Staking.Shares: more than 2^32 nominators"))
	}

	/// Whether `hotkey` holds stake (a `Staking.Pools` entry other than the empty pool).
	pub async fn hotkey_has_stake(&self, hotkey: &AccountId32) -> Result<bool, ClientError> {
		let pool: Option<crate::stake::Pool> =
			self.read_raw(&account_key("Staking", "Pools", hotkey), "Staking.Pools").await?;
		Ok(pool.is_some_and(|p| p != crate::stake::Pool::default()))
	}

	/// The UID `hotkey` holds on each of `netuids` that it holds one on (`Subnets.Uids`), in
	/// one request.
	pub async fn uids_of(
		&self,
		hotkey: &AccountId32,
		netuids: &[NetUid],
	) -> Result<Vec<(NetUid, Uid)>, ClientError> {
		if netuids.is_empty() {
			return Ok(Vec::new());
		}
		let keys: Vec<Vec<u8>> = netuids
			.iter()
			.map(|netuid| {
				let mut key = item_prefix("Subnets", "Uids");
				twox_concat(&mut key, &netuid.encode());
				blake2_concat(&mut key, &hotkey.0);
				key
			})
			.collect();
		let found = self.values_at_best(&keys).await?;
		let mut uids = Vec::new();
		for (netuid, bytes) in netuids.iter().zip(found) {
			if let Some(bytes) = bytes {
				// `Subnets.Uids`'s type is among the hashes checked on connect.
				let uid = Uid::decode(&mut &bytes[..])
					.map_err(|e| other(format!("Subnets.Uids: {e}")))?;
				uids.push((*netuid, uid));
			}
		}
		Ok(uids)
	}

	/// The subnets among `netuids` whose last epoch's payouts are still being credited
	/// (`Rewards.Payouts` holds an entry for them): a hotkey holding a UID there cannot be
	/// swapped until they are, a few blocks at most.
	pub async fn payouts_queued(&self, netuids: &[NetUid]) -> Result<Vec<NetUid>, ClientError> {
		let keys: Vec<Vec<u8>> = netuids
			.iter()
			.map(|netuid| {
				let mut key = item_prefix("Rewards", "Payouts");
				twox_concat(&mut key, &netuid.encode());
				key
			})
			.collect();
		let found = self.values_at_best(&keys).await?;
		Ok(netuids.iter().zip(found).filter(|(_, v)| v.is_some()).map(|(n, _)| *n).collect())
	}

	/// The values at `keys` at the best block, in order, in one request.
	pub(crate) async fn values_at_best(
		&self,
		keys: &[Vec<u8>],
	) -> Result<Vec<Option<Vec<u8>>>, ClientError> {
		if keys.is_empty() {
			return Ok(Vec::new());
		}
		let at = self.block_at(None).await?.1;
		self.values_at(keys, at).await
	}

	/// The values at `keys` at block `at`, in order, in one request.
	async fn values_at(
		&self,
		keys: &[Vec<u8>],
		at: H256,
	) -> Result<Vec<Option<Vec<u8>>>, ClientError> {
		let sets = self
			.rpc
			.state_query_storage_at(keys.iter().map(|k| &k[..]), Some(at))
			.await
			.map_err(other)?;
		let mut values: std::collections::HashMap<Vec<u8>, Vec<u8>> = sets
			.into_iter()
			.flat_map(|set| set.changes)
			.filter_map(|(k, v)| Some((k.0, v?.0)))
			.collect();
		Ok(keys.iter().map(|k| values.remove(k)).collect())
	}

	/// The block of `coldkey`'s last hotkey swap (`Subnets.LastKeySwap`), if it swapped one.
	pub async fn last_key_swap(
		&self,
		coldkey: &AccountId32,
	) -> Result<Option<BlockNumber>, ClientError> {
		// `Subnets.LastKeySwap`'s type is among the hashes checked on connect.
		self.read_raw(&account_key("Subnets", "LastKeySwap", coldkey), "Subnets.LastKeySwap").await
	}

	/// `coldkey`'s announced swap (`Staking.ColdkeySwaps`), pending or disputed.
	pub async fn coldkey_swap(
		&self,
		coldkey: &AccountId32,
	) -> Result<Option<ColdkeySwap>, ClientError> {
		// `Staking.ColdkeySwaps`'s type is among the hashes checked on connect.
		self.read_raw(&account_key("Staking", "ColdkeySwaps", coldkey), "Staking.ColdkeySwaps")
			.await
	}

	/// The block until which `coldkey` stays frozen after cancelling a swap
	/// (`Staking.FrozenUntil`), if it cancelled one; a past block means nothing (the next
	/// announcement removes it).
	pub async fn frozen_until(
		&self,
		coldkey: &AccountId32,
	) -> Result<Option<BlockNumber>, ClientError> {
		// `Staking.FrozenUntil`'s type is among the hashes checked on connect.
		self.read_raw(&account_key("Staking", "FrozenUntil", coldkey), "Staking.FrozenUntil").await
	}

	/// The old coldkey whose pending swap goes to `coldkey` (`Staking.PendingDestinations`):
	/// `coldkey` is then reserved for that swap; no other swap may go to it, and it may not
	/// announce one of its own.
	pub async fn reserved_for(
		&self,
		coldkey: &AccountId32,
	) -> Result<Option<AccountId32>, ClientError> {
		// `Staking.PendingDestinations`'s type is among the hashes checked on connect.
		self.read_raw(
			&account_key("Staking", "PendingDestinations", coldkey),
			"Staking.PendingDestinations",
		)
		.await
	}

	/// Whether `coldkey` is frozen by a coldkey swap for a transaction landing in the block
	/// after the best one, and why: the runtime's rule (`Staking::coldkey_frozen`), read at one
	/// block. `None`: not frozen.
	pub async fn coldkey_frozen(
		&self,
		coldkey: &AccountId32,
	) -> Result<Option<ColdkeyFreeze>, ClientError> {
		let (best, at) = self.block_at(None).await?;
		let keys = [
			account_key("Staking", "ColdkeySwaps", coldkey),
			account_key("Staking", "FrozenUntil", coldkey),
		];
		let mut found = self.values_at(&keys, at).await?.into_iter();
		let (swap, until) = (found.next().flatten(), found.next().flatten());
		// Both types are among the hashes checked on connect.
		let swap = swap
			.map(|b| ColdkeySwap::decode(&mut &b[..]))
			.transpose()
			.map_err(|e| other(format!("Staking.ColdkeySwaps: {e}")))?;
		let until = until
			.map(|b| BlockNumber::decode(&mut &b[..]))
			.transpose()
			.map_err(|e| other(format!("Staking.FrozenUntil: {e}")))?;
		let next = BlockNumber::try_from(best + 1).unwrap_or(BlockNumber::MAX);
		Ok(freeze_at(swap, until, next))
	}

	/// The hotkeys `coldkey` owns (`Staking.OwnedHotkeys`): their number is the `hotkeys`
	/// witness of `Staking.execute_coldkey_swap`.
	pub async fn owned_hotkeys(
		&self,
		coldkey: &AccountId32,
	) -> Result<Vec<AccountId32>, ClientError> {
		self.second_keys("Staking", "OwnedHotkeys", coldkey).await
	}

	/// The hotkeys `coldkey` holds stake on (`Staking.Nominations`): their number is the
	/// `positions` witness of `Staking.execute_coldkey_swap`.
	pub async fn positions(&self, coldkey: &AccountId32) -> Result<Vec<AccountId32>, ClientError> {
		self.second_keys("Staking", "Nominations", coldkey).await
	}

	/// Whether `coldkey` owns a hotkey or holds a stake position: a coldkey swap moves only onto
	/// a coldkey that does neither.
	pub async fn coldkey_in_use(&self, coldkey: &AccountId32) -> Result<bool, ClientError> {
		let (hotkeys, positions) =
			tokio::try_join!(self.owned_hotkeys(coldkey), self.positions(coldkey))?;
		Ok(!hotkeys.is_empty() || !positions.is_empty())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_swap_is_disputed_announced_or_executable() {
		let swap = ColdkeySwap {
			new: AccountId32([2; 32]),
			announced_at: 10,
			executable_at: 20,
			disputed: false,
		};
		assert_eq!(swap.stage(19), ColdkeySwapStage::Announced);
		assert_eq!(swap.stage(20), ColdkeySwapStage::Executable);
		let disputed = ColdkeySwap { disputed: true, ..swap };
		assert_eq!(disputed.stage(25), ColdkeySwapStage::Disputed);
	}

	#[test]
	fn a_coldkey_is_frozen_by_its_swap_or_until_a_cancelled_ones_delay_ends() {
		let swap = ColdkeySwap {
			new: AccountId32([2; 32]),
			announced_at: 10,
			executable_at: 20,
			disputed: false,
		};
		assert_eq!(freeze_at(Some(swap), Some(5), 30), Some(ColdkeyFreeze::Swap(swap)));
		assert_eq!(freeze_at(None, Some(20), 19), Some(ColdkeyFreeze::Until(20)));
		assert_eq!(freeze_at(None, Some(20), 20), None);
		assert_eq!(freeze_at(None, None, 1), None);
	}

	/// The stored swap decodes from what the runtime stores, and the keys are the pallets'.
	#[test]
	fn stored_swaps_and_keys_are_the_runtimes() {
		use agora_runtime::Runtime;
		use polkadot_sdk::sp_io;
		let (old, new) = ([1u8; 32], [2u8; 32]);
		let stored = pallet_agora_staking::ColdkeySwap {
			new: polkadot_sdk::sp_runtime::AccountId32::new(new),
			announced_at: 7u32,
			executable_at: 36_007u32,
			disputed: true,
		};
		assert_eq!(
			ColdkeySwap::decode(&mut &stored.encode()[..]).ok(),
			Some(ColdkeySwap {
				new: AccountId32(new),
				announced_at: 7,
				executable_at: 36_007,
				disputed: true
			})
		);
		let runtime = polkadot_sdk::sp_runtime::AccountId32::new;
		sp_io::TestExternalities::default().execute_with(|| {
			assert_eq!(
				account_key("Staking", "ColdkeySwaps", &AccountId32(old)),
				pallet_agora_staking::ColdkeySwaps::<Runtime>::hashed_key_for(runtime(old))
			);
			assert_eq!(
				account_key("Staking", "FrozenUntil", &AccountId32(old)),
				pallet_agora_staking::FrozenUntil::<Runtime>::hashed_key_for(runtime(old))
			);
			assert_eq!(
				account_key("Staking", "PendingDestinations", &AccountId32(new)),
				pallet_agora_staking::PendingDestinations::<Runtime>::hashed_key_for(runtime(new))
			);
			let mut owned = account_key("Staking", "OwnedHotkeys", &AccountId32(old));
			blake2_concat(&mut owned, &new);
			assert_eq!(
				owned,
				pallet_agora_staking::OwnedHotkeys::<Runtime>::hashed_key_for(
					runtime(old),
					runtime(new)
				)
			);
		});
	}
}
