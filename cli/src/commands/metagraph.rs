//! `agora metagraph`: a subnet's neurons, and optionally a chart of them.

use std::path::PathBuf;

use agora_primitives::NetUid;
use clap::Args;

use crate::{output, output::Out, plot, Ctx, Failure, Result};

// `agora metagraph`'s arguments (its help is the `Metagraph` command's doc).
#[derive(Args)]
pub(crate) struct MetagraphArgs {
	/// The subnet.
	netuid: NetUid,
	/// Also draw incentive and dividends per UID into this file (.svg or .png).
	#[arg(long, value_name = "FILE.svg|FILE.png")]
	plot: Option<PathBuf>,
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, args: MetagraphArgs) -> Result<()> {
	let MetagraphArgs { netuid, plot } = args;
	let client = ctx.client().await?;
	let m = client.metagraph(netuid).await?;
	if let Some(path) = plot {
		plot::write(&path, &m).map_err(Failure::usage)?;
		out.note(&format!("plot written to {}", path.display()));
	}
	out.value(output::metagraph_json(&m), || output::metagraph_table(&m));
	Ok(())
}
