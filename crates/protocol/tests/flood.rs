//! The unauthorised-flood experiment of the `flood` bench, run briefly: a miner in a child
//! process keeps answering its one authorised validator while unauthorised peers flood it with
//! 1 MiB requests, and none of those requests is read.
//!
//! Asserted: every authorised query is answered in both phases, the miner's application
//! receives exactly the authorised queries, no flooded request is answered, and the miner's
//! peak RSS under flood stays below its peak without flood + [`RSS_SLACK_KB`]. Latencies and
//! both peak RSS figures are printed, not asserted (timing is the bench's concern):
//! `cargo test --workspace --locked --test flood -- --nocapture`.

use std::time::Duration;

#[path = "flood/experiment.rs"]
mod experiment;

/// How long each phase runs.
const RUN: Duration = Duration::from_secs(3);
/// Unauthorised peers flooding the miner in the second phase.
const FLOODERS: usize = 4;
/// What the flood may add to the miner's peak RSS: less than 4 of the 1 MiB requests.
const RSS_SLACK_KB: u64 = 4 * 1024;
/// Bound on one phase, child start and report included.
const PHASE_LIMIT: Duration = Duration::from_secs(30);
/// The test the child process runs.
const CHILD_TEST: &str = "miner_child";

/// The miner, in the child process [`experiment::phase`] starts; does nothing in a plain run.
#[test]
fn miner_child() {
	if std::env::var_os(experiment::CHILD).is_some() {
		experiment::child().expect("the miner runs and reports");
	}
}

#[test]
fn an_unauthorised_flood_is_never_read_and_the_authorised_validator_is_still_answered() {
	let args = ["--exact", CHILD_TEST, "--nocapture", "--test-threads", "1"];
	let phase = |flooders| async move {
		tokio::time::timeout(PHASE_LIMIT, experiment::phase(&args, flooders, RUN))
			.await
			.expect("the phase ends in time")
			.expect("the phase runs")
	};
	let runtime = experiment::runtime().expect("runtime");
	let (quiet, flood) = runtime.block_on(async { (phase(0).await, phase(FLOODERS).await) });
	experiment::report(&quiet, &flood, FLOODERS, RUN);
	println!(
		"miner peak RSS: {} kB without flood, {} kB under flood ({:+} kB; bound +{RSS_SLACK_KB} \
		 kB)",
		quiet.peak_rss_kb,
		flood.peak_rss_kb,
		flood.peak_rss_kb as i64 - quiet.peak_rss_kb as i64
	);

	for (name, p) in [("without flood", &quiet), ("under flood", &flood)] {
		assert_eq!(p.failures, 0, "{name}: every authorised query is answered and verifies");
		assert!(!p.latencies.is_empty(), "{name}: the validator was answered");
		assert_eq!(
			p.received,
			p.latencies.len() as u64,
			"{name}: only the authorised queries reach the miner's application"
		);
	}
	assert!(flood.flood_attempts >= FLOODERS as u64, "the flooders sent requests");
	assert_eq!(flood.flood_answered, 0, "no flooded request is answered");
	assert!(
		flood.peak_rss_kb < quiet.peak_rss_kb + RSS_SLACK_KB,
		"{} flooded requests of 1 MiB raised the miner's peak RSS from {} to {} kB",
		flood.flood_attempts,
		quiet.peak_rss_kb,
		flood.peak_rss_kb
	);
}
