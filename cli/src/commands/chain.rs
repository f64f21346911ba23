//! `agora chain`: the node's view of the chain.

use clap::Subcommand;

use crate::{output::Out, Ctx, Result};

#[derive(Subcommand)]
pub(crate) enum ChainCmd {
	/// Head, finalized block, peers, runtime version.
	Info,
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: ChainCmd) -> Result<()> {
	let ChainCmd::Info = cmd;
	let client = ctx.client().await?;
	let info = client.chain_info().await?;
	out.value(serde_json::to_value(&info).unwrap_or_default(), || {
		format!(
			"chain      {}\nbest       #{}\nfinalized  #{}\npeers      {}\nsyncing    {}\nruntime    spec {} / tx {}",
			info.chain,
			info.best,
			info.finalized,
			info.peers,
			info.syncing,
			info.spec_version,
			info.transaction_version
		)
	});
	Ok(())
}
