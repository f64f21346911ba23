//! The gate: which inbound connections are kept, and the bans of peers that keep being refused.

use std::{
	collections::HashMap,
	net::IpAddr,
	sync::Arc,
	task::{Context, Poll},
	time::Duration,
};

use libp2p::{
	core::{transport::PortUse, Endpoint},
	multiaddr::Protocol,
	swarm::{
		dummy, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler,
		THandlerInEvent, THandlerOutEvent, ToSwarm,
	},
	Multiaddr, PeerId,
};
use tokio::time::Instant;
use tracing::debug;

use crate::{rate::RateLimiter, Authorizer, Limits};

/// Peers remembered (bans, refusal counts) before expired entries are dropped.
const PRUNE_ABOVE: usize = 1024;

/// Refusals counted for one peer in its current window.
struct Strikes {
	count: u32,
	since: Instant,
}

/// A network behaviour with no protocol of its own: it denies established INBOUND connections
/// of peers the [`Authorizer`] does not [`admit`](Authorizer::admits) or that are banned, right
/// after the Noise handshake and before any stream is read; with an authorizer, it also closes
/// new inbound connections from an IP address beyond `connection_rate` per `rate_window` before
/// their handshake. Outbound connections (a dial-out miner's) are always kept.
///
/// The event loop reports each refusal it sends with [`Gate::strike`]; `max_refusals` strikes
/// within `rate_window` ban the peer for `ban_duration`.
pub(crate) struct Gate {
	authorizer: Option<Arc<dyn Authorizer>>,
	max_refusals: u32,
	window: Duration,
	ban_duration: Duration,
	/// New inbound connections per remote IP address.
	connections: RateLimiter<IpAddr>,
	/// Banned peers and when their ban ends.
	bans: HashMap<PeerId, Instant>,
	strikes: HashMap<PeerId, Strikes>,
}

impl Gate {
	pub(crate) fn new(authorizer: Option<Arc<dyn Authorizer>>, limits: &Limits) -> Self {
		Self {
			authorizer,
			max_refusals: limits.max_refusals,
			window: limits.rate_window,
			ban_duration: limits.ban_duration,
			connections: RateLimiter::new(limits.connection_rate, limits.rate_window),
			bans: HashMap::new(),
			strikes: HashMap::new(),
		}
	}

	fn bans_enabled(&self) -> bool {
		self.max_refusals > 0 && !self.ban_duration.is_zero()
	}

	/// Whether `peer` is banned at `now`; forgets its ban once over.
	pub(crate) fn is_banned(&mut self, peer: &PeerId, now: Instant) -> bool {
		match self.bans.get(peer) {
			Some(until) if *until > now => true,
			Some(_) => {
				self.bans.remove(peer);
				false
			},
			None => false,
		}
	}

	/// Records that `peer` was refused a query at `now`. Returns true when that bans it (the
	/// caller then closes its connections).
	pub(crate) fn strike(&mut self, peer: PeerId, now: Instant) -> bool {
		if !self.bans_enabled() {
			return false;
		}
		if self.strikes.len() > PRUNE_ABOVE {
			let window = self.window;
			self.strikes.retain(|_, s| now.saturating_duration_since(s.since) < window);
			if self.strikes.len() > PRUNE_ABOVE {
				// That many peers refused at once: forgetting their counts only delays bans.
				self.strikes.clear();
			}
		}
		let strikes = self.strikes.entry(peer).or_insert(Strikes { count: 0, since: now });
		if now.saturating_duration_since(strikes.since) >= self.window {
			*strikes = Strikes { count: 0, since: now };
		}
		strikes.count += 1;
		if strikes.count < self.max_refusals {
			return false;
		}
		self.strikes.remove(&peer);
		if self.bans.len() > PRUNE_ABOVE {
			self.bans.retain(|_, until| *until > now);
			// Still full of live bans: make room by ending the one closest to its end.
			if self.bans.len() > PRUNE_ABOVE {
				if let Some(first) =
					self.bans.iter().min_by_key(|(_, until)| **until).map(|(p, _)| *p)
				{
					self.bans.remove(&first);
				}
			}
		}
		self.bans.insert(peer, now + self.ban_duration);
		true
	}

	/// Why an inbound connection of `peer` is denied, if it is.
	fn deny(&mut self, peer: &PeerId) -> Option<String> {
		if self.is_banned(peer, Instant::now()) {
			return Some(format!("peer {peer} is banned for repeated refused queries"));
		}
		match &self.authorizer {
			Some(authorizer) if !authorizer.admits(peer) => {
				Some(format!("peer {peer} is not authorised to connect"))
			},
			_ => None,
		}
	}

	#[cfg(test)]
	fn remembered(&self) -> (usize, usize) {
		(self.bans.len(), self.strikes.len())
	}
}

impl NetworkBehaviour for Gate {
	type ConnectionHandler = dummy::ConnectionHandler;
	type ToSwarm = std::convert::Infallible;

	fn handle_established_inbound_connection(
		&mut self,
		_: ConnectionId,
		peer: PeerId,
		_: &Multiaddr,
		remote_addr: &Multiaddr,
	) -> Result<THandler<Self>, ConnectionDenied> {
		match self.deny(&peer) {
			Some(why) => {
				debug!(%peer, address = %remote_addr, "inbound connection denied: {why}");
				Err(ConnectionDenied::new(why))
			},
			None => Ok(dummy::ConnectionHandler),
		}
	}

	fn handle_pending_inbound_connection(
		&mut self,
		_: ConnectionId,
		_: &Multiaddr,
		remote_addr: &Multiaddr,
	) -> Result<(), ConnectionDenied> {
		if self.authorizer.is_none() {
			return Ok(());
		}
		let Some(ip) = ip_of(remote_addr) else { return Ok(()) };
		match self.connections.check(ip, Instant::now()) {
			Ok(()) => Ok(()),
			Err(retry_after_ms) => {
				debug!(%ip, "inbound connection closed before its handshake: too many from {ip}");
				Err(ConnectionDenied::new(format!(
					"too many connections from {ip}; retry after {retry_after_ms} ms"
				)))
			},
		}
	}

	fn handle_established_outbound_connection(
		&mut self,
		_: ConnectionId,
		_: PeerId,
		_: &Multiaddr,
		_: Endpoint,
		_: PortUse,
	) -> Result<THandler<Self>, ConnectionDenied> {
		Ok(dummy::ConnectionHandler)
	}

	fn on_swarm_event(&mut self, _: FromSwarm<'_>) {}

	fn on_connection_handler_event(
		&mut self,
		_: PeerId,
		_: ConnectionId,
		event: THandlerOutEvent<Self>,
	) {
		match event {}
	}

	fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
		Poll::Pending
	}
}

/// The address a remote's connections count against (`/ip4/../tcp/..`), if it has one: its IPv4
/// address, or the /64 prefix of its IPv6 address — one subscriber usually holds a whole /64,
/// so counting single IPv6 addresses would let one host open connections without limit.
fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
	addr.iter().find_map(|p| match p {
		Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
		Protocol::Ip6(ip) => {
			let prefix = u128::from(ip) & !((1u128 << 64) - 1);
			Some(IpAddr::V6(std::net::Ipv6Addr::from(prefix)))
		},
		_ => None,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	fn gate(max_refusals: u32, window_s: u64, ban_s: u64) -> Gate {
		let limits = Limits {
			max_refusals,
			rate_window: Duration::from_secs(window_s),
			ban_duration: Duration::from_secs(ban_s),
			..Limits::default()
		};
		Gate::new(None, &limits)
	}

	#[test]
	fn n_refusals_in_a_window_ban_until_the_ban_ends() {
		let mut g = gate(3, 10, 60);
		let (a, b) = (PeerId::random(), PeerId::random());
		let t0 = Instant::now();
		assert!(!g.strike(a, t0));
		assert!(!g.strike(a, t0 + Duration::from_secs(1)));
		assert!(!g.strike(b, t0));
		assert!(g.strike(a, t0 + Duration::from_secs(2)), "third refusal bans");
		assert!(g.is_banned(&a, t0 + Duration::from_secs(61)));
		assert!(!g.is_banned(&b, t0 + Duration::from_secs(3)));
		assert!(!g.is_banned(&a, t0 + Duration::from_secs(62)), "the ban is over");
		assert_eq!(g.remembered().0, 0, "and forgotten");

		// Refusals further apart than the window do not add up.
		let t1 = t0 + Duration::from_secs(100);
		for i in 0..10 {
			assert!(!g.strike(b, t1 + Duration::from_secs(i * 6)));
		}
	}

	#[test]
	fn ip_addresses_are_found_in_remote_addresses() {
		let v4: Multiaddr = "/ip4/10.1.2.3/tcp/4000".parse().expect("multiaddr");
		assert_eq!(ip_of(&v4), Some("10.1.2.3".parse().expect("ip")));
		let v6: Multiaddr = "/ip6/::1/tcp/4000".parse().expect("multiaddr");
		assert_eq!(ip_of(&v6), Some("::".parse().expect("ip")));
		// Every address of one /64 counts as one.
		let a: Multiaddr = "/ip6/2001:db8:1:2::7/tcp/4000".parse().expect("multiaddr");
		let b: Multiaddr = "/ip6/2001:db8:1:2:ffff::9/tcp/4000".parse().expect("multiaddr");
		let other: Multiaddr = "/ip6/2001:db8:1:3::7/tcp/4000".parse().expect("multiaddr");
		assert_eq!(ip_of(&a), Some("2001:db8:1:2::".parse().expect("ip")));
		assert_eq!(ip_of(&a), ip_of(&b));
		assert_ne!(ip_of(&a), ip_of(&other));
		let dns: Multiaddr = "/dns4/example.org/tcp/4000".parse().expect("multiaddr");
		assert_eq!(ip_of(&dns), None);
	}

	#[test]
	fn zero_disables_bans() {
		for mut g in [gate(0, 10, 60), gate(3, 10, 0)] {
			let a = PeerId::random();
			let now = Instant::now();
			for _ in 0..100 {
				assert!(!g.strike(a, now));
			}
			assert!(!g.is_banned(&a, now));
		}
	}

	#[test]
	fn what_is_remembered_stays_bounded() {
		let mut g = gate(1, 1, 1);
		let t0 = Instant::now();
		for _ in 0..3 * PRUNE_ABOVE {
			assert!(g.strike(PeerId::random(), t0));
		}
		assert!(g.remembered().0 <= PRUNE_ABOVE + 1, "{:?}", g.remembered());
		let mut g = gate(100, 1, 1);
		for _ in 0..3 * PRUNE_ABOVE {
			g.strike(PeerId::random(), t0);
			assert!(g.remembered().1 <= PRUNE_ABOVE + 1, "{:?}", g.remembered());
		}
	}
}
