//! `agora weights`: the weights set on a subnet.

use agora_client::ClientError;
use agora_primitives::{NetUid, Uid};
use clap::Subcommand;
use serde_json::json;

use crate::{output, output::Out, Ctx, Result};

#[derive(Subcommand)]
pub(crate) enum WeightsCmd {
	/// Weights stored on chain for a subnet (every validator, or one UID).
	Show {
		/// The subnet.
		netuid: NetUid,
		/// Only this validator.
		#[arg(long)]
		uid: Option<Uid>,
	},
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: WeightsCmd) -> Result<()> {
	let WeightsCmd::Show { netuid, uid } = cmd;
	let client = ctx.client().await?;
	let m = client.metagraph(netuid).await?;
	let uids: Vec<Uid> = match uid {
		Some(u) if u >= m.subnet.neurons => {
			return Err(ClientError::NotFound(format!("subnet {netuid} has no UID {u}")).into())
		},
		Some(u) => vec![u],
		None => (0..m.subnet.neurons).collect(),
	};
	let mut rows = Vec::new();
	for u in uids {
		let w = client.weights(netuid, u).await?;
		if !w.is_empty() || uid.is_some() {
			rows.push((u, w));
		}
	}
	out.value(
		json!(rows
			.iter()
			.map(|(u, w)| json!({"uid": u, "weights": w.iter().map(|(t, v)| json!({"uid": t, "weight": v, "share": f64::from(*v) / w.iter().map(|(_, x)| f64::from(*x)).sum::<f64>()})).collect::<Vec<_>>()}))
			.collect::<Vec<_>>()),
		|| output::weights_table(&rows),
	);
	Ok(())
}
