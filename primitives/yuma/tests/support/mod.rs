//! What the golden tests and the epoch benchmark share: a subnet's owned epoch inputs and a
//! deterministic pseudo-random stream.

#![allow(dead_code)]

use agora_yuma::{epoch, EpochInput, EpochOutput, Fixed, Params, Uid};

/// A subnet carried from epoch to epoch: the bonds an epoch forms are the next one's input, and
/// the block of each epoch is the next one's `last_epoch`.
#[derive(Clone, Debug)]
pub(crate) struct Subnet {
	pub(crate) stake: Vec<u64>,
	pub(crate) active: Vec<bool>,
	pub(crate) last_update: Vec<u64>,
	pub(crate) registered_at: Vec<u64>,
	pub(crate) weights: Vec<Vec<(Uid, u16)>>,
	pub(crate) bonds: Vec<Vec<(Uid, Fixed)>>,
	pub(crate) last_epoch: u64,
}

impl Subnet {
	/// Every UID registered at block 0, active, without weights or bonds; no epoch yet.
	pub(crate) fn registered_at_genesis(stake: &[u64]) -> Self {
		let n = stake.len();
		Subnet {
			stake: stake.to_vec(),
			active: vec![true; n],
			last_update: vec![0; n],
			registered_at: vec![0; n],
			weights: vec![Vec::new(); n],
			bonds: vec![Vec::new(); n],
			last_epoch: 0,
		}
	}

	/// `uid` sets `row` (the `u16` values subtensor stores) at `block`.
	pub(crate) fn set_weights(&mut self, uid: usize, block: u64, row: &[(Uid, u16)]) {
		self.weights[uid] = row.to_vec();
		self.last_update[uid] = block;
	}

	/// A new hotkey takes `uid` at `block`, with `stake`: no weights, no bonds of its own.
	pub(crate) fn replace(&mut self, uid: usize, block: u64, stake: u64) {
		self.stake[uid] = stake;
		self.registered_at[uid] = block;
		self.last_update[uid] = block;
		self.weights[uid].clear();
		self.bonds[uid].clear();
	}

	/// Runs an epoch on the current state without keeping its results.
	pub(crate) fn peek(&self, params: &Params) -> EpochOutput {
		epoch(
			&EpochInput {
				stake: &self.stake,
				active: &self.active,
				last_update: &self.last_update,
				registered_at: &self.registered_at,
				weights: &self.weights,
				bonds: &self.bonds,
				last_epoch: self.last_epoch,
			},
			params,
		)
		.expect("consistent input")
	}

	/// Runs the epoch of `block` and carries its bonds to the next one.
	pub(crate) fn epoch_at(&mut self, block: u64, params: &Params) -> EpochOutput {
		let out = self.peek(params);
		self.bonds = out.bonds.clone();
		self.last_epoch = block;
		out
	}
}

/// A tiny deterministic generator (64-bit LCG), so every run sees the same inputs.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
	/// The next 48 high bits.
	pub(crate) fn next(&mut self) -> u64 {
		self.0 =
			self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
		self.0 >> 16
	}

	/// The next bit.
	pub(crate) fn bit(&mut self) -> bool {
		self.next() >> 47 == 1
	}
}
