//! What a validator remembers across restarts: each UID's score EMA (reset when the UID changes
//! hands) and a weight commit waiting for its reveal window. One JSON file, replaced atomically.

use std::{
	collections::BTreeMap,
	io::Write,
	path::{Path, PathBuf},
};

use agora_neuron::weights::{self, Emas};
use agora_primitives::{NetUid, Uid};
use anyhow::Context;
use serde::{Deserialize, Serialize};

/// Weights committed and not yet revealed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct PendingCommit {
	/// The UIDs.
	pub uids: Vec<Uid>,
	/// Their weights.
	pub values: Vec<u16>,
	/// The salt in the hash.
	pub salt: Vec<u8>,
	/// The version key in the hash.
	pub version_key: u64,
	/// Block of the commit.
	pub committed_at: u32,
}

/// The validator's state on one subnet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
	/// The subnet.
	pub netuid: NetUid,
	/// The validator's hotkey (SS58).
	pub hotkey: String,
	/// Score EMA per UID.
	pub emas: Emas,
	/// A commit awaiting its reveal.
	pub pending: Option<PendingCommit>,
}

impl State {
	/// The state file of `hotkey` on `netuid` under `dir`.
	pub(crate) fn path(dir: &Path, netuid: NetUid, hotkey: &str) -> PathBuf {
		dir.join(format!("{netuid}-{hotkey}.json"))
	}

	/// Loads `path`, or a fresh state when it does not exist. A file for another subnet or
	/// hotkey is an error rather than silently mixed in.
	pub(crate) fn load(path: &Path, netuid: NetUid, hotkey: &str) -> anyhow::Result<Self> {
		match std::fs::read(path) {
			Ok(bytes) => {
				let state: State = serde_json::from_slice(&bytes)
					.with_context(|| format!("{} is not a validator state file", path.display()))?;
				anyhow::ensure!(
					state.netuid == netuid && state.hotkey == hotkey,
					"{} belongs to subnet {} / {}, not {netuid} / {hotkey}",
					path.display(),
					state.netuid,
					state.hotkey
				);
				Ok(state)
			},
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
				Ok(State { netuid, hotkey: hotkey.to_string(), ..Default::default() })
			},
			Err(e) => Err(e).with_context(|| format!("read {}", path.display())),
		}
	}

	/// Writes the state to a temporary file and renames it over `path`.
	pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
		}
		let tmp = path.with_extension("json.tmp");
		let mut file =
			std::fs::File::create(&tmp).with_context(|| format!("create {}", tmp.display()))?;
		file.write_all(&serde_json::to_vec_pretty(self)?)
			.and_then(|()| file.sync_all())
			.with_context(|| format!("write {}", tmp.display()))?;
		std::fs::rename(&tmp, path).with_context(|| format!("replace {}", path.display()))
	}

	/// Folds `score` into `uid`'s average with weight `alpha` ([`weights::fold_score`]); a UID
	/// now held by another hotkey starts over from `score`.
	pub(crate) fn update(&mut self, uid: Uid, hotkey: &str, score: f64, alpha: f64) {
		weights::fold_score(&mut self.emas, uid, hotkey, score, alpha);
	}

	/// Drops averages of UIDs that no longer exist or changed hands (`holders`: UID → hotkey).
	pub(crate) fn retain_current(&mut self, holders: &BTreeMap<Uid, String>) {
		weights::retain_holders(&mut self.emas, holders);
	}

	/// The averages as scores, by UID.
	pub(crate) fn scores(&self) -> BTreeMap<Uid, f64> {
		weights::ema_scores(&self.emas)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn ema_folds_scores_and_resets_when_the_uid_changes_hands() {
		let mut s = State::default();
		s.update(3, "alice", 1.0, 0.5);
		s.update(3, "alice", 0.0, 0.5);
		assert_eq!(s.emas[&3], weights::Ema { hotkey: "alice".into(), value: 0.5, rounds: 2 });
		s.update(3, "bob", 0.2, 0.5);
		assert_eq!(s.emas[&3], weights::Ema { hotkey: "bob".into(), value: 0.2, rounds: 1 });
		s.update(4, "carol", f64::NAN, 0.5);
		assert_eq!(s.emas[&4].value, 0.0);
		s.retain_current(&[(3, "bob".to_string())].into_iter().collect());
		assert_eq!(s.emas.keys().copied().collect::<Vec<_>>(), vec![3]);
	}

	#[test]
	fn state_survives_a_restart_and_refuses_another_hotkeys_file() -> anyhow::Result<()> {
		let dir = tempfile::tempdir()?;
		let path = State::path(dir.path(), 1, "alice");
		let mut s = State::load(&path, 1, "alice")?;
		s.update(0, "m0", 0.7, 0.3);
		s.pending = Some(PendingCommit {
			uids: vec![0],
			values: vec![65_535],
			salt: vec![1; 32],
			version_key: 0,
			committed_at: 12,
		});
		s.save(&path)?;
		assert_eq!(State::load(&path, 1, "alice")?, s);
		let err = State::load(&path, 2, "alice").err().map(|e| e.to_string()).unwrap_or_default();
		assert!(err.contains("belongs to subnet 1"), "{err}");
		std::fs::write(&path, b"{")?;
		assert!(State::load(&path, 1, "alice").is_err());
		Ok(())
	}
}
