//! Command-line interface of `agora-node`.

use polkadot_sdk::sc_cli;

/// Sub-commands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Subcommand {
	/// Key management: generate, inspect, insert keys into the keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (`--chain dev|local|live-template|FILE`, `--raw`).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks to a file.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks from a file.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain database.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmark the runtime's pallets, storage, the machine…
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(polkadot_sdk::frame_benchmarking_cli::BenchmarkCmd),

	/// Benchmark the runtime (needs a node built with `--features runtime-benchmarks`).
	#[cfg(not(feature = "runtime-benchmarks"))]
	Benchmark {
		/// Ignored: this build cannot benchmark.
		#[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
		args: Vec<String>,
	},

	/// Database metadata: best and finalized block.
	ChainInfo(sc_cli::ChainInfoCmd),
}

/// `agora-node [SUBCOMMAND] [FLAGS]`: without a sub-command, runs the node.
#[derive(Debug, clap::Parser)]
pub(crate) struct Cli {
	#[command(subcommand)]
	pub(crate) subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub(crate) run: sc_cli::RunCmd,
}
