//! An authorised validator's latency, and the miner's memory, while unauthorised peers flood the
//! miner with 1 MiB requests.
//!
//! The miner node runs in a child process (this binary again, with `AGORA_FLOOD_CHILD=1`) whose
//! allow list holds one validator. The parent runs that validator, querying steadily (one signed
//! query every 5 ms, each answer verified), first alone, then while `FLOOD_PEERS` unauthorised
//! peers (default 8) each send signed 1 MiB queries in a loop. Each phase lasts `FLOOD_SECS`
//! (default 10) and has a fresh child; the child reports its peak RSS (`VmHWM`) at the end.
//! The experiment itself is shared with the `flood` integration test, which runs it briefly and
//! asserts what does not depend on timing.
//!
//! `cargo bench --workspace --bench flood`

use std::time::Duration;

#[path = "../tests/flood/experiment.rs"]
mod experiment;

use experiment::Error;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Error> {
	if std::env::var_os(experiment::CHILD).is_some() {
		return experiment::child();
	}
	let flooders: usize = env_or("FLOOD_PEERS", 8);
	let run = Duration::from_secs(env_or("FLOOD_SECS", 10));
	experiment::runtime()?.block_on(async {
		let quiet = experiment::phase(&[], 0, run).await?;
		let flood = experiment::phase(&[], flooders, run).await?;
		experiment::report(&quiet, &flood, flooders, run);
		Ok(())
	})
}
