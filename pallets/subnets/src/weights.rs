//! Weights for `pallet_subnets`.
//!
//! Hand-derived from the storage each call touches (reads, writes, and the per-UID work of
//! `register` on a full subnet and of weights) until `agora-node benchmark pallet` output
//! replaces them; see `docs/benchmarks.md`.

#![allow(missing_docs)]

use core::marker::PhantomData;
use polkadot_sdk::polkadot_sdk_frame::{
	deps::frame_support::weights::{constants::RocksDbWeight, RuntimeDbWeight},
	prelude::*,
};

/// Weight functions needed by `pallet_subnets`.
pub trait WeightInfo {
	fn create_subnet() -> Weight;
	fn set_hyperparams() -> Weight;
	fn register(n: u32) -> Weight;
	fn serve() -> Weight;
	fn set_weights(n: u32) -> Weight;
	fn commit_weights() -> Weight;
	fn reveal_weights(n: u32) -> Weight;
}

fn weight(db: RuntimeDbWeight, ref_time: u64, reads: u64, writes: u64) -> Weight {
	Weight::from_parts(ref_time, 4_000).saturating_add(db.reads_writes(reads, writes))
}

fn all(db: RuntimeDbWeight) -> [Weight; 7] {
	[
		weight(db, 60_000_000, 6, 7),
		weight(db, 30_000_000, 3, 2),
		weight(db, 80_000_000, 9, 9),
		weight(db, 30_000_000, 3, 1),
		weight(db, 40_000_000, 6, 2),
		weight(db, 25_000_000, 3, 1),
		weight(db, 60_000_000, 7, 3),
	]
}

/// Per UID scanned when a full subnet picks the neuron to replace: two reads and a compare.
fn per_uid(db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(1_500_000, 200).saturating_add(db.reads(2))
}

/// Per weight: sort, check and store one `(uid, value)` pair.
const PER_WEIGHT: Weight = Weight::from_parts(120_000, 4);

fn weights(db: RuntimeDbWeight, n: u32) -> [Weight; 7] {
	let [c, h, r, s, w, cw, rw] = all(db);
	[
		c,
		h,
		r.saturating_add(per_uid(db).saturating_mul(n.into())),
		s,
		w.saturating_add(PER_WEIGHT.saturating_mul(n.into())),
		cw,
		rw.saturating_add(PER_WEIGHT.saturating_mul(n.into())),
	]
}

/// Weights using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_subnet() -> Weight {
		weights(T::DbWeight::get(), 0)[0]
	}
	fn set_hyperparams() -> Weight {
		weights(T::DbWeight::get(), 0)[1]
	}
	fn register(n: u32) -> Weight {
		weights(T::DbWeight::get(), n)[2]
	}
	fn serve() -> Weight {
		weights(T::DbWeight::get(), 0)[3]
	}
	fn set_weights(n: u32) -> Weight {
		weights(T::DbWeight::get(), n)[4]
	}
	fn commit_weights() -> Weight {
		weights(T::DbWeight::get(), 0)[5]
	}
	fn reveal_weights(n: u32) -> Weight {
		weights(T::DbWeight::get(), n)[6]
	}
}

/// For tests: the same figures against RocksDB weights.
impl WeightInfo for () {
	fn create_subnet() -> Weight {
		weights(RocksDbWeight::get(), 0)[0]
	}
	fn set_hyperparams() -> Weight {
		weights(RocksDbWeight::get(), 0)[1]
	}
	fn register(n: u32) -> Weight {
		weights(RocksDbWeight::get(), n)[2]
	}
	fn serve() -> Weight {
		weights(RocksDbWeight::get(), 0)[3]
	}
	fn set_weights(n: u32) -> Weight {
		weights(RocksDbWeight::get(), n)[4]
	}
	fn commit_weights() -> Weight {
		weights(RocksDbWeight::get(), 0)[5]
	}
	fn reveal_weights(n: u32) -> Weight {
		weights(RocksDbWeight::get(), n)[6]
	}
}
