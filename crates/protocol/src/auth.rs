//! Deciding which peers may connect to and query this node.

use std::{
	collections::HashMap,
	sync::{Arc, PoisonError, RwLock},
};

use libp2p::PeerId;

use crate::{Hotkey, Query, Refusal};

/// Decides, from chain state the caller keeps fresh, whether a peer may connect and query.
///
/// Both methods run on the protocol's event loop: they must be quick and must not block (no
/// chain queries here; read a snapshot kept up to date elsewhere).
///
/// - [`admits`](Self::admits) is asked once per inbound connection, right after the Noise
///   handshake: a peer it does not admit is disconnected before any of its requests is read.
/// - [`authorise`](Self::authorise) is asked for every inbound query BEFORE it is handed to the
///   application, so refused peers cause no model work.
///
/// `peer` is the Noise-authenticated identity of the remote: it cannot be spoofed.
///
/// Any `Fn(&PeerId, &Query) -> Result<(), Refusal>` closure is an `Authorizer` that admits every
/// connection.
pub trait Authorizer: Send + Sync + 'static {
	/// `Ok(())` if `peer` may send `query`; otherwise the refusal it is answered with.
	fn authorise(&self, peer: &PeerId, query: &Query) -> Result<(), Refusal>;

	/// Whether `peer` may hold an inbound connection at all (default: yes). Answer `false` only
	/// for peers that could never send an authorised query.
	fn admits(&self, peer: &PeerId) -> bool {
		let _ = peer;
		true
	}
}

impl<F> Authorizer for F
where
	F: Fn(&PeerId, &Query) -> Result<(), Refusal> + Send + Sync + 'static,
{
	fn authorise(&self, peer: &PeerId, query: &Query) -> Result<(), Refusal> {
		self(peer, query)
	}
}

/// A ready-made [`Authorizer`]: per netuid, the permitted validators' [`PeerId`]s and the hotkey
/// each is the on-chain endpoint of, replaced wholesale by the owner (e.g. after each metagraph
/// sync).
///
/// - A connection is admitted if its peer is permitted on any netuid.
/// - A query is authorised if and only if its peer is permitted on the query's netuid
///   ([`Refusal::NotAuthorised`] otherwise) and the query's [`validator`](Query::validator) is
///   that peer's hotkey ([`Refusal::ValidatorMismatch`] otherwise).
///
/// An empty list admits nobody. `Clone` shares the same state: keep one clone to update, hand
/// another (in an `Arc`) to [`Config::authorizer`](crate::Config::authorizer).
#[derive(Clone, Debug, Default)]
pub struct AllowList {
	sets: Arc<RwLock<HashMap<u16, HashMap<PeerId, Hotkey>>>>,
}

impl AllowList {
	/// An empty list: nobody is authorised.
	pub fn new() -> Self {
		Self::default()
	}

	/// Replaces the validators permitted on `netuid` by `peers`: (endpoint PeerId, hotkey).
	pub fn set(&self, netuid: u16, peers: impl IntoIterator<Item = (PeerId, Hotkey)>) {
		let peers: HashMap<PeerId, Hotkey> = peers.into_iter().collect();
		let mut sets = self.sets.write().unwrap_or_else(PoisonError::into_inner);
		sets.insert(netuid, peers);
	}

	/// Forgets `netuid`: nobody is permitted on it any more.
	pub fn remove(&self, netuid: u16) {
		self.sets.write().unwrap_or_else(PoisonError::into_inner).remove(&netuid);
	}

	/// Whether `peer` is permitted on `netuid`.
	pub fn contains(&self, netuid: u16, peer: &PeerId) -> bool {
		self.hotkey(netuid, peer).is_some()
	}

	/// The hotkey `peer` is the endpoint of on `netuid`, if it is permitted there.
	pub fn hotkey(&self, netuid: u16, peer: &PeerId) -> Option<Hotkey> {
		let sets = self.sets.read().unwrap_or_else(PoisonError::into_inner);
		sets.get(&netuid).and_then(|set| set.get(peer)).copied()
	}

	/// The peers permitted on `netuid` (in no particular order).
	pub fn peers(&self, netuid: u16) -> Vec<PeerId> {
		let sets = self.sets.read().unwrap_or_else(PoisonError::into_inner);
		sets.get(&netuid).map(|set| set.keys().copied().collect()).unwrap_or_default()
	}

	/// Whether `peer` is permitted on any netuid.
	pub fn contains_anywhere(&self, peer: &PeerId) -> bool {
		let sets = self.sets.read().unwrap_or_else(PoisonError::into_inner);
		sets.values().any(|set| set.contains_key(peer))
	}
}

impl Authorizer for AllowList {
	fn authorise(&self, peer: &PeerId, query: &Query) -> Result<(), Refusal> {
		match self.hotkey(query.netuid, peer) {
			None => Err(Refusal::NotAuthorised {
				reason: format!(
					"peer {peer} is not a validator with a permit on subnet {}",
					query.netuid
				),
			}),
			Some(listed) if listed != query.validator => Err(Refusal::ValidatorMismatch { listed }),
			Some(_) => Ok(()),
		}
	}

	fn admits(&self, peer: &PeerId) -> bool {
		self.contains_anywhere(peer)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::TaskRequest;
	use subxt_signer::sr25519::Keypair;

	fn key(uri: &str) -> Keypair {
		let uri: subxt_signer::SecretUri = uri.parse().expect("uri");
		Keypair::from_uri(&uri).expect("keypair")
	}

	fn query(netuid: u16, validator: &Keypair) -> Query {
		let task = TaskRequest::Embed { sentences: vec!["x".into()] };
		Query::signed(netuid, Hotkey([9; 32]), 0, task, validator)
	}

	#[test]
	fn allow_list_authorises_only_listed_peers_on_their_subnet_as_their_hotkey() {
		let list = AllowList::new();
		let (a, b) = (PeerId::random(), PeerId::random());
		let (ka, kb) = (key("//A"), key("//B"));
		assert!(matches!(list.authorise(&a, &query(1, &ka)), Err(Refusal::NotAuthorised { .. })));
		assert!(!list.admits(&a));

		let shared = list.clone();
		shared.set(1, [(a, Hotkey::of(&ka))]);
		assert!(list.contains(1, &a));
		assert!(list.admits(&a));
		assert!(!list.admits(&b));
		assert_eq!(list.hotkey(1, &a), Some(Hotkey::of(&ka)));
		assert_eq!(list.authorise(&a, &query(1, &ka)), Ok(()));
		assert!(matches!(list.authorise(&b, &query(1, &kb)), Err(Refusal::NotAuthorised { .. })));
		assert!(matches!(list.authorise(&a, &query(2, &ka)), Err(Refusal::NotAuthorised { .. })));
		// Peer `a` signing as another validator's hotkey.
		assert_eq!(
			list.authorise(&a, &query(1, &kb)),
			Err(Refusal::ValidatorMismatch { listed: Hotkey::of(&ka) })
		);

		// Replaced wholesale.
		shared.set(1, [(b, Hotkey::of(&kb))]);
		assert!(!list.contains(1, &a));
		assert!(!list.admits(&a));
		assert_eq!(list.peers(1), vec![b]);
		list.remove(1);
		assert!(!shared.contains(1, &b));
		assert!(!shared.admits(&b));
	}

	#[test]
	fn closures_are_authorizers_that_admit_every_connection() {
		let only_subnet_3 = |_: &PeerId, q: &Query| {
			if q.netuid == 3 {
				Ok(())
			} else {
				Err(Refusal::WrongSubnet { served: 3 })
			}
		};
		let auth: Arc<dyn Authorizer> = Arc::new(only_subnet_3);
		let k = key("//A");
		assert!(auth.admits(&PeerId::random()));
		assert_eq!(auth.authorise(&PeerId::random(), &query(3, &k)), Ok(()));
		assert_eq!(
			auth.authorise(&PeerId::random(), &query(4, &k)),
			Err(Refusal::WrongSubnet { served: 3 })
		);
	}
}
