//! Deciding which peers may query this node.

use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, PoisonError, RwLock},
};

use libp2p::PeerId;

use crate::{Query, Refusal};

/// Decides, from chain state the caller keeps fresh, whether a peer may query.
///
/// Called in the protocol's event loop for every inbound request BEFORE it is handed to the
/// application, so refused peers cause no model work. It runs on the event loop: it must be quick
/// and must not block (no chain queries here; read a snapshot kept up to date elsewhere).
///
/// `peer` is the Noise-authenticated identity of the remote: it cannot be spoofed.
///
/// Any `Fn(&PeerId, &Query) -> Result<(), Refusal>` closure is an `Authorizer`.
pub trait Authorizer: Send + Sync + 'static {
	/// `Ok(())` if `peer` may send `query`; otherwise the refusal it is answered with.
	fn authorise(&self, peer: &PeerId, query: &Query) -> Result<(), Refusal>;
}

impl<F> Authorizer for F
where
	F: Fn(&PeerId, &Query) -> Result<(), Refusal> + Send + Sync + 'static,
{
	fn authorise(&self, peer: &PeerId, query: &Query) -> Result<(), Refusal> {
		self(peer, query)
	}
}

/// A ready-made [`Authorizer`]: per-netuid sets of permitted [`PeerId`]s, replaced wholesale by
/// the owner (e.g. after each metagraph sync).
///
/// A query is authorised if and only if its peer is in the set of the query's netuid; otherwise
/// it is refused with [`Refusal::NotAuthorised`]. An empty list authorises nobody.
///
/// `Clone` shares the same state: keep one clone to update, hand another (in an `Arc`) to
/// [`Config::authorizer`](crate::Config::authorizer).
#[derive(Clone, Debug, Default)]
pub struct AllowList {
	sets: Arc<RwLock<HashMap<u16, HashSet<PeerId>>>>,
}

impl AllowList {
	/// An empty list: nobody is authorised.
	pub fn new() -> Self {
		Self::default()
	}

	/// Replaces the set of peers permitted on `netuid` by `peers`.
	pub fn set(&self, netuid: u16, peers: impl IntoIterator<Item = PeerId>) {
		let peers: HashSet<PeerId> = peers.into_iter().collect();
		let mut sets = self.sets.write().unwrap_or_else(PoisonError::into_inner);
		sets.insert(netuid, peers);
	}

	/// Forgets `netuid`: nobody is permitted on it any more.
	pub fn remove(&self, netuid: u16) {
		self.sets.write().unwrap_or_else(PoisonError::into_inner).remove(&netuid);
	}

	/// Whether `peer` is permitted on `netuid`.
	pub fn contains(&self, netuid: u16, peer: &PeerId) -> bool {
		let sets = self.sets.read().unwrap_or_else(PoisonError::into_inner);
		sets.get(&netuid).is_some_and(|set| set.contains(peer))
	}

	/// The peers permitted on `netuid` (in no particular order).
	pub fn peers(&self, netuid: u16) -> Vec<PeerId> {
		let sets = self.sets.read().unwrap_or_else(PoisonError::into_inner);
		sets.get(&netuid).map(|set| set.iter().copied().collect()).unwrap_or_default()
	}
}

impl Authorizer for AllowList {
	fn authorise(&self, peer: &PeerId, query: &Query) -> Result<(), Refusal> {
		if self.contains(query.netuid, peer) {
			Ok(())
		} else {
			Err(Refusal::NotAuthorised {
				reason: format!(
					"peer {peer} is not a validator with a permit on subnet {}",
					query.netuid
				),
			})
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::TaskRequest;

	fn query(netuid: u16) -> Query {
		Query { netuid, task: TaskRequest::Embed { sentences: vec!["x".into()] } }
	}

	#[test]
	fn allow_list_authorises_only_listed_peers_on_their_subnet() {
		let list = AllowList::new();
		let a = PeerId::random();
		let b = PeerId::random();
		assert!(matches!(list.authorise(&a, &query(1)), Err(Refusal::NotAuthorised { .. })));

		let shared = list.clone();
		shared.set(1, [a]);
		assert!(list.contains(1, &a));
		assert_eq!(list.authorise(&a, &query(1)), Ok(()));
		assert!(matches!(list.authorise(&b, &query(1)), Err(Refusal::NotAuthorised { .. })));
		assert!(matches!(list.authorise(&a, &query(2)), Err(Refusal::NotAuthorised { .. })));

		// Replaced wholesale.
		shared.set(1, [b]);
		assert!(!list.contains(1, &a));
		assert_eq!(list.peers(1), vec![b]);
		list.remove(1);
		assert!(!shared.contains(1, &b));
	}

	#[test]
	fn closures_are_authorizers() {
		let only_subnet_3 = |_: &PeerId, q: &Query| {
			if q.netuid == 3 {
				Ok(())
			} else {
				Err(Refusal::WrongSubnet { served: 3 })
			}
		};
		let auth: Arc<dyn Authorizer> = Arc::new(only_subnet_3);
		assert_eq!(auth.authorise(&PeerId::random(), &query(3)), Ok(()));
		assert_eq!(
			auth.authorise(&PeerId::random(), &query(4)),
			Err(Refusal::WrongSubnet { served: 3 })
		);
	}
}
