//! What the validator crate's end-to-end tests share beyond the node harness.

use agora_client::chain::{calls, Client, Wait};
use agora_primitives::{SubnetHyperparams, TaskKind};
use anyhow::{Context, Result};

/// One AGR in planck.
pub(crate) const AGR: u128 = 1_000_000_000;

/// `owner` (the dev chains' sudo key, Alice) creates a text-embedding subnet and sets its
/// hyperparameters to the defaults with 10-block epochs, a weights rate limit of 3 blocks and an
/// activity cutoff of 1,000, then `edit`'s changes (tempo, rate limit and cutoff are root's:
/// set through `Sudo.sudo`). Returns its netuid.
pub(crate) async fn embedding_subnet(
	chain: &Client,
	owner: &subxt_signer::sr25519::Keypair,
	edit: impl FnOnce(&mut SubnetHyperparams),
) -> Result<u16> {
	chain
		.submit(
			&calls::create_subnet(TaskKind::TextEmbedding, 10_000 * AGR),
			owner,
			Wait::Inclusion,
		)
		.await?;
	let netuid = chain.subnets().await?.iter().map(|s| s.netuid).max().context("no subnet")?;
	let mut hp = chain.subnet(netuid).await?.hyperparams;
	hp.tempo = 10;
	hp.weights_rate_limit = 3;
	hp.activity_cutoff = 1_000;
	edit(&mut hp);
	chain.submit(&chain.sudo_set_hyperparams(netuid, &hp).await?, owner, Wait::Inclusion).await?;
	Ok(netuid)
}
