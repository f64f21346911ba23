//! Times [`agora_yuma::epoch`] at Bittensor's scale (issue 12): 64 validators each weighting
//! every UID, with bonds on all of them, for 256, 1,024 and 4,096 UIDs.
//!
//! A plain `harness = false` bench (no criterion): `cargo bench -p agora-yuma --locked` prints
//! the median of several runs per size, in milliseconds.

use std::{hint::black_box, time::Instant};

#[path = "../tests/support/mod.rs"]
mod support;

use agora_yuma::{epoch, EpochInput, Fixed, Params, Uid};
use support::{Lcg, Subnet};

/// Validators, each weighting every UID.
const VALIDATORS: usize = 64;

fn subnet(n: usize) -> Subnet {
	let mut rng = Lcg(n as u64);
	let stake: Vec<u64> = (0..n)
		.map(|i| if i < VALIDATORS { 1_000_000_000 + rng.next() % 1_000_000_000 } else { 0 })
		.collect();
	let weights = (0..n)
		.map(|i| {
			if i < VALIDATORS {
				(0..n).map(|j| (j as Uid, 1 + (rng.next() % u16::MAX as u64) as u16)).collect()
			} else {
				Vec::new()
			}
		})
		.collect();
	let bonds = (0..n)
		.map(|i| {
			if i < VALIDATORS {
				(0..n)
					.filter(|&j| j != i)
					.map(|j| (j as Uid, Fixed::from_raw(1 + rng.next() % (1 << 26))))
					.collect()
			} else {
				Vec::new()
			}
		})
		.collect();
	Subnet {
		last_update: vec![100; n],
		weights,
		bonds,
		last_epoch: 50,
		..Subnet::registered_at_genesis(&stake)
	}
}

fn median_ms(n: usize, runs: usize) -> f64 {
	let net = subnet(n);
	let params = Params {
		kappa: Fixed::from_u16_fraction(32_767),
		bonds_moving_average: Fixed::from_millionths(900_000),
		max_validators: VALIDATORS as u16,
		min_validator_stake: 1,
	};
	let input = EpochInput {
		stake: &net.stake,
		active: &net.active,
		last_update: &net.last_update,
		registered_at: &net.registered_at,
		weights: &net.weights,
		bonds: &net.bonds,
		last_epoch: net.last_epoch,
	};
	let mut times: Vec<f64> = (0..runs)
		.map(|_| {
			let start = Instant::now();
			let out = epoch(black_box(&input), black_box(&params));
			let elapsed = start.elapsed();
			black_box(out).expect("consistent input");
			elapsed.as_secs_f64() * 1e3
		})
		.collect();
	times.sort_by(f64::total_cmp);
	times[times.len() / 2]
}

fn main() {
	// `cargo test --benches` runs this too; one quick pass is enough there.
	let quick = std::env::args().any(|a| a == "--test");
	for (n, runs) in [(256, 31), (1_024, 15), (4_096, 9)] {
		let runs = if quick { 1 } else { runs };
		let ms = median_ms(n, runs);
		println!(
			"epoch n={n:>5} v={VALIDATORS} nnz={:>7}: median {ms:>9.3} ms over {runs} runs",
			n * VALIDATORS
		);
	}
}
