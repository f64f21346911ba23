//! Peers as the chain sees them: each neuron's published PeerId and addresses.

use agora_client::chain::RuntimeAccountId;
use agora_primitives::{Metagraph, NeuronInfo, Uid};
use libp2p::{Multiaddr, PeerId};

/// A neuron reachable over libp2p.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
	/// Its UID.
	pub uid: Uid,
	/// Its hotkey.
	pub hotkey: RuntimeAccountId,
	/// Its PeerId, from its endpoint.
	pub peer_id: PeerId,
	/// Its published addresses (empty for dial-out miners).
	pub addrs: Vec<Multiaddr>,
	/// Whether it holds a validator permit.
	pub validator_permit: bool,
}

/// The neuron's endpoint as a [`Peer`]; `None` without an endpoint or with a malformed one
/// (addresses that do not parse are skipped).
pub fn peer_of(neuron: &NeuronInfo<RuntimeAccountId>) -> Option<Peer> {
	let endpoint = neuron.endpoint.as_ref()?;
	let peer_id = PeerId::from_bytes(&endpoint.peer_id).ok()?;
	let addrs = endpoint
		.addrs
		.iter()
		.filter_map(|a| std::str::from_utf8(a).ok()?.parse::<Multiaddr>().ok())
		.collect();
	Some(Peer {
		uid: neuron.uid,
		hotkey: neuron.hotkey.clone(),
		peer_id,
		addrs,
		validator_permit: neuron.validator_permit,
	})
}

/// Every neuron of the metagraph with an endpoint.
pub fn peers(metagraph: &Metagraph<RuntimeAccountId>) -> Vec<Peer> {
	metagraph.neurons.iter().filter_map(peer_of).collect()
}

/// The validators a miner answers: neurons holding a validator permit, by PeerId.
pub fn permitted_validators(metagraph: &Metagraph<RuntimeAccountId>) -> Vec<Peer> {
	peers(metagraph).into_iter().filter(|p| p.validator_permit).collect()
}
