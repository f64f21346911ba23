//! The vouchers the gateway holds, in an embedded database (redb), durable before a request is
//! served.
//!
//! One table, `channels`: channel id → [`Record`], encoded by hand (a version byte, then fixed
//! fields, little-endian) so that the file does not depend on a serialisation library's choices.
//! Every write commits with [`redb::Durability::Immediate`] (fsync'd before `commit` returns), so a
//! voucher the ledger admitted survives a `kill -9` or a power cut.
//!
//! Writes **merge**: every field of a record only grows (a larger voucher replaces a smaller one,
//! `spent`, `claimed`, the deposit and the expiry only rise), so [`Store::merge`] keeps the larger
//! of what is stored and what is written, field by field. Two writers racing (two requests on one
//! channel admitted at once) then cannot put an older state over a newer one, whatever order
//! their transactions commit in. Only [`Store::replace`] (a channel id now naming another channel,
//! after a dev chain was restarted) and [`Store::remove`] (a closed channel) go back.

use std::{collections::BTreeMap, path::Path};

use agora_client::chain::ChannelId;
use agora_primitives::{Balance, BlockNumber};
use redb::{Database, Durability, ReadableTable, TableDefinition};

const CHANNELS: TableDefinition<'static, u64, &[u8]> = TableDefinition::new("channels");

/// Version of the [`Record`] encoding.
const VERSION: u8 = 1;

/// Bytes of an encoded [`Record`]: version, consumer, deposit, expiry, accepted, signature flag
/// and signature, spent, claimed.
const RECORD_LEN: usize = 1 + 32 + 16 + 4 + 16 + 1 + 64 + 16 + 16;

/// What the gateway knows of one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
	/// The channel's consumer (who signs its vouchers), as last read from the chain.
	pub consumer: [u8; 32],
	/// The channel's deposit, as last read from the chain.
	pub deposit: Balance,
	/// The channel's expiry, as last read from the chain.
	pub expires_at: BlockNumber,
	/// The largest voucher accepted (cumulative planck), or what was already claimed on chain
	/// when the gateway first saw the channel.
	pub accepted: Balance,
	/// The consumer's signature of the voucher for `accepted`; `None` while no voucher was
	/// accepted (nothing to claim).
	pub signature: Option<[u8; 64]>,
	/// Planck of `accepted` paid for served requests; the rest is the consumer's credit.
	pub spent: Balance,
	/// Planck claimed on chain (the last claim that landed, or the chain's `claimed` as read).
	pub claimed: Balance,
}

impl Record {
	/// A channel seen for the first time: what was claimed on chain counts as accepted and
	/// spent (a voucher must pay more than that to be worth anything).
	pub fn fresh(
		consumer: [u8; 32],
		deposit: Balance,
		expires_at: BlockNumber,
		claimed: Balance,
	) -> Record {
		Record {
			consumer,
			deposit,
			expires_at,
			accepted: claimed,
			signature: None,
			spent: claimed,
			claimed,
		}
	}

	/// Field by field the larger of `self` and `other` (see the module docs); the signature goes
	/// with the larger `accepted`.
	pub fn merge(&self, other: &Record) -> Record {
		let (accepted, signature) = if other.accepted > self.accepted
			|| (other.accepted == self.accepted && self.signature.is_none())
		{
			(other.accepted, other.signature)
		} else {
			(self.accepted, self.signature)
		};
		Record {
			consumer: other.consumer,
			deposit: self.deposit.max(other.deposit),
			expires_at: self.expires_at.max(other.expires_at),
			accepted,
			signature,
			spent: self.spent.max(other.spent),
			claimed: self.claimed.max(other.claimed),
		}
	}

	/// Whether there is a voucher above what was claimed on chain.
	pub fn claimable(&self) -> bool {
		self.signature.is_some() && self.accepted > self.claimed
	}

	fn encode(&self) -> [u8; RECORD_LEN] {
		let mut out = [0u8; RECORD_LEN];
		let mut at = 0;
		let mut put = |bytes: &[u8]| {
			out[at..at + bytes.len()].copy_from_slice(bytes);
			at += bytes.len();
		};
		put(&[VERSION]);
		put(&self.consumer);
		put(&self.deposit.to_le_bytes());
		put(&self.expires_at.to_le_bytes());
		put(&self.accepted.to_le_bytes());
		put(&[u8::from(self.signature.is_some())]);
		put(&self.signature.unwrap_or([0; 64]));
		put(&self.spent.to_le_bytes());
		put(&self.claimed.to_le_bytes());
		out
	}

	fn decode(bytes: &[u8]) -> Option<Record> {
		if bytes.len() != RECORD_LEN || bytes[0] != VERSION {
			return None;
		}
		let mut rest = &bytes[1..];
		let mut take = |n: usize| {
			let (head, tail) = rest.split_at(n);
			rest = tail;
			head
		};
		let consumer = take(32).try_into().ok()?;
		let deposit = Balance::from_le_bytes(take(16).try_into().ok()?);
		let expires_at = BlockNumber::from_le_bytes(take(4).try_into().ok()?);
		let accepted = Balance::from_le_bytes(take(16).try_into().ok()?);
		let has_signature = take(1)[0] == 1;
		let signature: [u8; 64] = take(64).try_into().ok()?;
		let spent = Balance::from_le_bytes(take(16).try_into().ok()?);
		let claimed = Balance::from_le_bytes(take(16).try_into().ok()?);
		Some(Record {
			consumer,
			deposit,
			expires_at,
			accepted,
			signature: has_signature.then_some(signature),
			spent,
			claimed,
		})
	}
}

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	/// redb failed (open, transaction, table, commit).
	#[error("voucher database {path}: {why}")]
	Database {
		/// The file.
		path: String,
		/// What failed.
		why: String,
	},
	/// A record that is not in this version's encoding.
	#[error(
		"voucher database {path}: the record of channel {channel} is unreadable (written by \
		 another version of agora-gateway?)"
	)]
	Corrupt {
		/// The file.
		path: String,
		/// The channel.
		channel: ChannelId,
	},
}

/// The database file of the gateway's vouchers.
pub struct Store {
	db: Database,
	path: String,
}

impl Store {
	/// Opens the database at `path`, creating it (and its directory) when missing.
	pub fn open(path: &Path) -> Result<Store, StoreError> {
		let name = path.display().to_string();
		let fail = |why: String| StoreError::Database { path: name.clone(), why };
		if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
			std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
		}
		let db = Database::create(path).map_err(|e| fail(e.to_string()))?;
		let store = Store { db, path: name };
		// The table exists from the start, so reads never meet a missing table.
		store.write(|_| Ok(()))?;
		Ok(store)
	}

	/// Every record, by channel.
	pub fn all(&self) -> Result<BTreeMap<ChannelId, Record>, StoreError> {
		let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
		let table = txn.open_table(CHANNELS).map_err(|e| self.fail(e))?;
		let mut records = BTreeMap::new();
		for entry in table.iter().map_err(|e| self.fail(e))? {
			let (key, value) = entry.map_err(|e| self.fail(e))?;
			let channel = key.value();
			let record = Record::decode(value.value())
				.ok_or_else(|| StoreError::Corrupt { path: self.path.clone(), channel })?;
			records.insert(channel, record);
		}
		Ok(records)
	}

	/// The record of `channel`, if any.
	pub fn get(&self, channel: ChannelId) -> Result<Option<Record>, StoreError> {
		let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
		let table = txn.open_table(CHANNELS).map_err(|e| self.fail(e))?;
		let value = table.get(channel).map_err(|e| self.fail(e))?;
		match value {
			Some(v) => Record::decode(v.value())
				.map(Some)
				.ok_or_else(|| StoreError::Corrupt { path: self.path.clone(), channel }),
			None => Ok(None),
		}
	}

	/// Stores `record` merged with what is stored for `channel` (see the module docs), durably;
	/// returns what is stored now.
	pub fn merge(&self, channel: ChannelId, record: &Record) -> Result<Record, StoreError> {
		let mut merged = *record;
		self.write(|table| {
			let stored = table.get(channel)?.and_then(|v| Record::decode(v.value()));
			if let Some(stored) = stored {
				merged = stored.merge(record);
			}
			table.insert(channel, &merged.encode()[..])?;
			Ok(())
		})?;
		Ok(merged)
	}

	/// Stores `record` for `channel` as it is, durably.
	pub fn replace(&self, channel: ChannelId, record: &Record) -> Result<(), StoreError> {
		self.write(|table| {
			table.insert(channel, &record.encode()[..])?;
			Ok(())
		})
	}

	/// Forgets `channel`, durably.
	pub fn remove(&self, channel: ChannelId) -> Result<(), StoreError> {
		self.write(|table| {
			table.remove(channel)?;
			Ok(())
		})
	}

	/// One write transaction on the table, committed with immediate durability.
	fn write(
		&self,
		body: impl FnOnce(&mut redb::Table<'_, u64, &[u8]>) -> Result<(), redb::StorageError>,
	) -> Result<(), StoreError> {
		let mut txn = self.db.begin_write().map_err(|e| self.fail(e))?;
		txn.set_durability(Durability::Immediate);
		{
			let mut table = txn.open_table(CHANNELS).map_err(|e| self.fail(e))?;
			body(&mut table).map_err(|e| self.fail(e))?;
		}
		txn.commit().map_err(|e| self.fail(e))
	}

	fn fail(&self, e: impl std::fmt::Display) -> StoreError {
		StoreError::Database { path: self.path.clone(), why: e.to_string() }
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn record(accepted: Balance, spent: Balance) -> Record {
		Record {
			consumer: [1; 32],
			deposit: 10_000,
			expires_at: 100,
			accepted,
			signature: Some([accepted as u8; 64]),
			spent,
			claimed: 0,
		}
	}

	#[test]
	fn records_round_trip_through_their_encoding() {
		let r = record(500, 300);
		assert_eq!(Record::decode(&r.encode()), Some(r));
		let fresh = Record::fresh([2; 32], 1_000, 9, 40);
		assert_eq!(Record::decode(&fresh.encode()), Some(fresh));
		assert_eq!(Record::decode(&[0; 3]), None);
		let mut other_version = r.encode();
		other_version[0] = 9;
		assert_eq!(Record::decode(&other_version), None);
	}

	#[test]
	fn merging_keeps_the_larger_of_each_field() {
		let newer = Record { claimed: 100, ..record(500, 300) };
		let older = Record { deposit: 20_000, expires_at: 200, ..record(400, 350) };
		let m = newer.merge(&older);
		assert_eq!((m.accepted, m.signature), (500, Some([500u16 as u8; 64])));
		assert_eq!((m.spent, m.claimed, m.deposit, m.expires_at), (350, 100, 20_000, 200));
		assert_eq!(older.merge(&newer).accepted, 500, "whatever the order");
		assert!(m.claimable());
		assert!(!Record::fresh([1; 32], 10, 10, 5).claimable(), "no voucher, nothing to claim");
	}

	#[test]
	fn committed_records_survive_reopening() {
		let dir = tempfile::tempdir().expect("temp dir");
		let path = dir.path().join("sub").join("gateway.redb");
		{
			let store = Store::open(&path).expect("opens");
			for id in 0..20u64 {
				store.merge(id, &record(100 * Balance::from(id), 0)).expect("writes");
			}
			store.merge(3, &record(250, 100)).expect("writes");
			// A smaller voucher written later does not replace the larger one.
			store.merge(3, &record(200, 50)).expect("writes");
			store.remove(19).expect("removes");
			// Dropped without any explicit flush: every commit was already durable.
		}
		let store = Store::open(&path).expect("reopens");
		let all = store.all().expect("reads");
		assert_eq!(all.len(), 19);
		for id in 0..19u64 {
			let r = store.get(id).expect("reads").expect("kept");
			let want = if id == 3 { 300 } else { 100 * Balance::from(id) };
			assert_eq!(r.accepted, want, "channel {id}");
			assert_eq!(all[&id], r);
		}
		assert_eq!(all[&3].spent, 100);
		assert_eq!(store.get(19).expect("reads"), None);
		store.replace(3, &Record::fresh([9; 32], 1, 1, 0)).expect("replaces");
		assert_eq!(store.get(3).expect("reads").map(|r| r.accepted), Some(0));
	}
}
