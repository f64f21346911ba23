//! The served subnets as the chain sees them: which ones (the hotkey's permits), their miners
//! (re-read every `--sync-interval`), and who may connect to the gateway's libp2p node.

use std::{
	collections::HashSet,
	sync::{Arc, PoisonError, RwLock},
	time::Duration,
};

use agora_client::chain::{Client, RuntimeAccountId};
use agora_neuron::{own_neuron, peers, runtime::RuntimeWatch};
use agora_primitives::{Metagraph, NetUid};
use agora_protocol::{Query, Refusal};
use libp2p::PeerId;

use crate::{
	free_tier::FreeTier,
	miners::{Directory, Miner, Router, Subnet},
};

/// The subnet as the gateway serves it: its miners are the neurons with an endpoint other than
/// the gateway's own hotkey, with their incentive.
pub fn subnet_of(metagraph: &Metagraph<RuntimeAccountId>, own: &RuntimeAccountId) -> Subnet {
	let miners = metagraph
		.neurons
		.iter()
		.filter(|n| &n.hotkey != own)
		.filter_map(|n| peers::peer_of(n).map(|p| Miner::of(&p, n.incentive)))
		.collect();
	Subnet {
		netuid: metagraph.subnet.netuid,
		task: metagraph.subnet.hyperparams.task,
		registered_at: metagraph.subnet.registered_at,
		miners,
	}
}

/// Whether the hotkey's endpoint on the subnet already is `peer_id` (e.g. published by the
/// validator that runs with the same key): then the gateway leaves it alone, addresses and all.
pub fn endpoint_is(
	metagraph: &Metagraph<RuntimeAccountId>,
	own: &RuntimeAccountId,
	peer_id: &PeerId,
) -> bool {
	own_neuron(metagraph, own)
		.and_then(|n| n.endpoint.as_ref())
		.is_some_and(|e| e.peer_id.as_slice() == peer_id.to_bytes().as_slice())
}

/// Whether the hotkey holds a validator permit on the subnet (miners answer only those).
pub fn has_permit(metagraph: &Metagraph<RuntimeAccountId>, own: &RuntimeAccountId) -> bool {
	own_neuron(metagraph, own).is_some_and(|n| n.validator_permit)
}

/// The warning for a served subnet where the hotkey holds no validator permit.
pub fn no_permit_warning(netuid: NetUid, own: &RuntimeAccountId) -> String {
	format!(
		"hotkey {own} holds no validator permit on subnet {netuid}: its miners refuse the \
		 gateway's queries (requests get 503) until it earns one (stake enough to rank among the \
		 subnet's max_validators)"
	)
}

/// Who may hold an inbound connection with the gateway's node: the served subnets' neurons
/// (dial-out miners connect to validators). Nobody's queries are answered.
#[derive(Clone, Default)]
pub struct Neighbours(Arc<RwLock<HashSet<PeerId>>>);

impl Neighbours {
	/// Replaces the set with the PeerIds of `metagraphs`' neurons.
	pub fn set<'a>(&self, metagraphs: impl IntoIterator<Item = &'a Metagraph<RuntimeAccountId>>) {
		let all = metagraphs.into_iter().flat_map(peers::peers).map(|p| p.peer_id).collect();
		*self.0.write().unwrap_or_else(PoisonError::into_inner) = all;
	}
}

impl agora_protocol::Authorizer for Neighbours {
	fn authorise(&self, _: &PeerId, _: &Query) -> Result<(), Refusal> {
		Err(Refusal::NotAuthorised { reason: "a gateway answers no queries".into() })
	}

	fn admits(&self, peer: &PeerId) -> bool {
		self.0.read().unwrap_or_else(PoisonError::into_inner).contains(peer)
	}
}

/// What the sync loop keeps up to date.
pub struct Sync {
	/// The node.
	pub chain: Client,
	/// The served subnets.
	pub netuids: Vec<NetUid>,
	/// The gateway's hotkey.
	pub hotkey: RuntimeAccountId,
	/// Where the handlers read the subnets.
	pub directory: Directory,
	/// Whose per-miner slots are pruned.
	pub router: Router,
	/// Who may connect.
	pub neighbours: Neighbours,
	/// Whose idle clients are forgotten.
	pub free_tier: Option<Arc<FreeTier>>,
	/// Between two reads.
	pub interval: Duration,
}

impl Sync {
	/// Reads the served subnets' metagraphs every `interval` until the runtime changes into one
	/// this binary cannot read (the error); a failed read is logged and retried next time.
	pub async fn run(self) -> anyhow::Result<()> {
		let mut runtime = RuntimeWatch::start(&self.chain).await?;
		let mut permitted: Vec<Option<bool>> = vec![None; self.netuids.len()];
		let mut ticker = tokio::time::interval(self.interval);
		ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
		loop {
			ticker.tick().await;
			runtime.check(&self.chain).await?;
			let mut read = Vec::with_capacity(self.netuids.len());
			for (i, &netuid) in self.netuids.iter().enumerate() {
				match self.chain.metagraph(netuid).await {
					Ok(metagraph) => {
						let permit = has_permit(&metagraph, &self.hotkey);
						if permitted[i] != Some(permit) {
							if permit {
								tracing::info!("validator permit on subnet {netuid}");
							} else {
								tracing::warn!("{}", no_permit_warning(netuid, &self.hotkey));
							}
							permitted[i] = Some(permit);
						}
						self.directory.set(subnet_of(&metagraph, &self.hotkey));
						read.push(metagraph);
					},
					Err(e) => tracing::warn!("cannot read subnet {netuid}'s metagraph: {e}"),
				}
			}
			if read.len() == self.netuids.len() {
				self.neighbours.set(&read);
				self.router.retain(&self.directory.all());
			}
			if let Some(tier) = &self.free_tier {
				tier.forget_idle();
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn no_permit_says_what_to_do() {
		let own = RuntimeAccountId::new([1; 32]);
		let w = no_permit_warning(3, &own);
		assert!(w.contains("no validator permit on subnet 3"), "{w}");
		assert!(w.contains("503"), "{w}");
	}
}
