//! The endpoint a neuron publishes with `serve`: which addresses (at most
//! [`MAX_ADDRS`], dialable ones only), when (once the listeners have settled) and how often
//! (never faster than the chain's serve rate limit: it waits instead of failing).

use std::{future::Future, net::IpAddr, time::Duration};

use agora_client::chain::{calls, Client, ClientError, RuntimeAccountId, Wait};
use agora_primitives::{
	serve_proof_payload, BlockNumber, Endpoint, Metagraph, NetUid, MAX_ADDRS, MAX_ADDR_LEN,
};
use libp2p::{multiaddr::Protocol, Multiaddr};
use subxt_signer::sr25519::Keypair;

use crate::{account_of, own_neuron};

/// How often a neuron waiting for the serve rate limit reads the chain again.
const RATE_LIMIT_POLL: Duration = Duration::from_secs(3);
/// How long the listen addresses must stay the same before they are published.
pub const LISTEN_QUIET: Duration = Duration::from_millis(500);
/// How long a neuron waits, at most, for its listen addresses to settle.
pub const LISTEN_LIMIT: Duration = Duration::from_secs(15);

/// Why nothing can be published as given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddrError {
	/// An `--external-addr` longer than the chain accepts.
	#[error(
		"--external-addr {addr} is {len} bytes long; the chain takes addresses of at most \
		 {MAX_ADDR_LEN} bytes"
	)]
	TooLong {
		/// The address.
		addr: Multiaddr,
		/// Its length as text.
		len: usize,
	},
}

/// The addresses to publish, and those left out with the reason (to log).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Selection {
	/// At most [`MAX_ADDRS`], in order of preference.
	pub publish: Vec<Multiaddr>,
	/// Addresses not published, each with why.
	pub dropped: Vec<(Multiaddr, &'static str)>,
}

/// Chooses what to publish: the explicit `external` addresses when there are any (taken as
/// given, loopback included: the operator asked for them), else the `listening` addresses that
/// another machine could dial: never unspecified (`0.0.0.0`, `::`) or link-local ones, and
/// loopback (`127.0.0.0/8`, `::1`) only with `allow_loopback` (local test networks). At most
/// [`MAX_ADDRS`] (the chain refuses more), explicit ones first; the rest are dropped with a
/// reason. An explicit address longer than the chain accepts is an error.
pub fn select_addrs(
	external: &[Multiaddr],
	listening: &[Multiaddr],
	allow_loopback: bool,
) -> Result<Selection, AddrError> {
	let mut selection = Selection::default();
	let candidates: Vec<Multiaddr> = if external.is_empty() {
		let mut routable = Vec::new();
		for addr in listening {
			match unroutable(addr, allow_loopback) {
				Some(why) => selection.dropped.push((addr.clone(), why)),
				None if too_long(addr) => {
					selection.dropped.push((addr.clone(), "longer than the chain accepts"))
				},
				None => routable.push(addr.clone()),
			}
		}
		routable
	} else {
		if let Some(addr) = external.iter().find(|a| too_long(a)) {
			return Err(AddrError::TooLong { addr: addr.clone(), len: addr.to_string().len() });
		}
		external.to_vec()
	};
	for addr in candidates {
		if selection.publish.contains(&addr) {
			continue;
		}
		if selection.publish.len() < MAX_ADDRS as usize {
			selection.publish.push(addr);
		} else {
			selection.dropped.push((addr, "the chain takes at most four addresses"));
		}
	}
	Ok(selection)
}

fn too_long(addr: &Multiaddr) -> bool {
	addr.to_string().len() > MAX_ADDR_LEN as usize
}

/// Why another machine could not dial `addr`, if it could not.
fn unroutable(addr: &Multiaddr, allow_loopback: bool) -> Option<&'static str> {
	let ip = addr.iter().find_map(|p| match p {
		Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
		Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
		_ => None,
	})?;
	if ip.is_unspecified() {
		return Some("unspecified (a listen wildcard, not an address)");
	}
	if ip.is_loopback() && !allow_loopback {
		return Some("loopback (pass --allow-loopback for a local test network)");
	}
	let link_local = match ip {
		IpAddr::V4(ip) => ip.is_link_local(),
		IpAddr::V6(ip) => (ip.segments()[0] & 0xffc0) == 0xfe80,
	};
	link_local.then_some("link-local")
}

/// Reads the listen addresses with `read` until they stop changing for `quiet` (a wildcard
/// listener reports one address per interface, one event at a time), at most for `limit`;
/// returns the last read. A failed read counts as "nothing yet".
pub async fn settle_listen_addrs<F, Fut, E>(
	mut read: F,
	quiet: Duration,
	limit: Duration,
) -> Vec<Multiaddr>
where
	F: FnMut() -> Fut,
	Fut: Future<Output = Result<Vec<Multiaddr>, E>>,
	E: std::fmt::Display,
{
	let started = tokio::time::Instant::now();
	let step = (quiet / 4).max(Duration::from_millis(1));
	let mut last: Option<Vec<Multiaddr>> = None;
	let mut stable_since = started;
	loop {
		let now = match read().await {
			Ok(mut addrs) => {
				addrs.sort();
				Some(addrs)
			},
			Err(e) => {
				tracing::debug!("listen addresses not known yet: {e}");
				None
			},
		};
		if now != last {
			last = now;
			stable_since = tokio::time::Instant::now();
		} else if last.as_ref().is_some_and(|a| !a.is_empty()) && stable_since.elapsed() >= quiet {
			break;
		}
		if started.elapsed() >= limit {
			tracing::warn!(
				"listen addresses still changing after {limit:?}; publishing those known"
			);
			break;
		}
		tokio::time::sleep(step).await;
	}
	last.unwrap_or_default()
}

/// What to do about the endpoint now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServeStep {
	/// The chain already holds exactly this endpoint.
	Done,
	/// Submit `serve`.
	Submit,
	/// `serve` would be refused as rate-limited: wait until this block.
	WaitUntil(BlockNumber),
}

/// The endpoint to publish against the one on chain (`current`, published at its `served_at`)
/// at block `now`, under a rate limit of `rate_limit` blocks between two `serve` calls.
pub fn serve_step(
	current: Option<&Endpoint>,
	peer_id: &[u8],
	addrs: &[Vec<u8>],
	now: BlockNumber,
	rate_limit: BlockNumber,
) -> ServeStep {
	let Some(current) = current else { return ServeStep::Submit };
	if current.peer_id.as_slice() == peer_id
		&& current.addrs.iter().map(|a| a.as_slice()).eq(addrs.iter().map(Vec::as_slice))
	{
		return ServeStep::Done;
	}
	let open = current.served_at.saturating_add(rate_limit);
	// The transaction lands in a block after `now` at the earliest.
	if now.saturating_add(1) >= open {
		ServeStep::Submit
	} else {
		ServeStep::WaitUntil(open)
	}
}

/// After a failed `serve`: whether to read the chain again and retry. `ServeRateLimited` (or a
/// fee refusal, which is how the pool answers an unfunded hotkey whose `serve` is not free
/// because it is rate-limited) is retried when the chain, read again, says to wait (`step`);
/// any other error is returned.
pub fn retry_after(error: &ClientError, step: ServeStep) -> bool {
	match error {
		ClientError::Dispatch { pallet, error, .. } => {
			pallet == "Subnets" && error == "ServeRateLimited"
		},
		ClientError::Rejected(message) => {
			matches!(step, ServeStep::WaitUntil(_)) && message.contains("pay")
		},
		_ => false,
	}
}

/// The proof `Subnets.serve` asks for: `p2p_key`'s ed25519 signature of
/// [`serve_proof_payload`]`(genesis_hash, netuid, hotkey)` (64 bytes). Only ed25519 libp2p keys
/// can be proven on chain; any other kind is [`ClientError::Other`].
pub fn serve_proof(
	p2p_key: &libp2p::identity::Keypair,
	genesis_hash: &[u8; 32],
	netuid: NetUid,
	hotkey: &RuntimeAccountId,
) -> Result<[u8; 64], ClientError> {
	let not_ed25519 = || {
		ClientError::Other(format!(
			"the libp2p key of {} is not an ed25519 key: only ed25519 PeerIds can be proven on \
			 chain (delete the key file to have a new one made)",
			p2p_key.public().to_peer_id()
		))
	};
	let key = p2p_key.clone().try_into_ed25519().map_err(|_| not_ed25519())?;
	key.sign(&serve_proof_payload(genesis_hash, netuid, hotkey))
		.try_into()
		.map_err(|_| not_ed25519())
}

/// Publishes the PeerId of `p2p_key` and `addrs` as this neuron's endpoint on `netuid` with
/// `serve` (proving with [`serve_proof`] that it holds the key), unless the chain already holds
/// exactly that. Within the serve rate limit of an earlier `serve` it waits (and says so) until
/// the limit has passed instead of failing. Waits for inclusion; returns whether it submitted.
pub async fn ensure_served(
	client: &Client,
	signer: &Keypair,
	netuid: NetUid,
	p2p_key: &libp2p::identity::Keypair,
	addrs: &[Multiaddr],
) -> Result<bool, ClientError> {
	let hotkey = account_of(signer);
	let peer_id = p2p_key.public().to_peer_id();
	let peer_bytes = peer_id.to_bytes();
	let proof = serve_proof(p2p_key, &client.genesis_hash().await?, netuid, &hotkey)?;
	let addr_bytes: Vec<Vec<u8>> = addrs.iter().map(|a| a.to_string().into_bytes()).collect();
	let rate_limit = client.serve_rate_limit().await?;
	let mut logged_wait = None;
	loop {
		let metagraph = client.metagraph(netuid).await?;
		let step = step_of(&metagraph, &hotkey, &peer_bytes, &addr_bytes, rate_limit)?;
		match step {
			ServeStep::Done => return Ok(false),
			ServeStep::WaitUntil(block) => {
				if logged_wait != Some(block) {
					tracing::info!(
						"the endpoint was published less than {rate_limit} blocks ago (serve is \
						 rate-limited); waiting until block {block} (now {}) to publish again",
						metagraph.block
					);
					logged_wait = Some(block);
				}
				tokio::time::sleep(RATE_LIMIT_POLL).await;
				continue;
			},
			ServeStep::Submit => {},
		}
		let call = calls::serve(netuid, peer_bytes.clone(), addr_bytes.clone(), proof);
		match client.submit(&call, signer, Wait::Inclusion).await {
			Ok(_) => break,
			Err(e) => {
				// Another process of this hotkey may have served meanwhile: read the chain again.
				let metagraph = client.metagraph(netuid).await?;
				let step = step_of(&metagraph, &hotkey, &peer_bytes, &addr_bytes, rate_limit)?;
				if !retry_after(&e, step) {
					return Err(e);
				}
				tracing::info!("serve refused as rate-limited ({e}); waiting to retry");
				tokio::time::sleep(RATE_LIMIT_POLL).await;
			},
		}
	}
	tracing::info!(
		"published endpoint on subnet {netuid}: {peer_id} {}",
		if addrs.is_empty() {
			"(no address: dial-out)".to_string()
		} else {
			addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
		}
	);
	Ok(true)
}

fn step_of(
	metagraph: &Metagraph<RuntimeAccountId>,
	hotkey: &RuntimeAccountId,
	peer_id: &[u8],
	addrs: &[Vec<u8>],
	rate_limit: BlockNumber,
) -> Result<ServeStep, ClientError> {
	let neuron = own_neuron(metagraph, hotkey).ok_or_else(|| {
		ClientError::NotFound(format!(
			"hotkey {hotkey} is not registered on subnet {}",
			metagraph.subnet.netuid
		))
	})?;
	Ok(serve_step(neuron.endpoint.as_ref(), peer_id, addrs, metagraph.block, rate_limit))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn addr(s: &str) -> Multiaddr {
		s.parse().expect("multiaddr")
	}

	fn addrs(list: &[&str]) -> Vec<Multiaddr> {
		list.iter().map(|s| addr(s)).collect()
	}

	#[test]
	fn five_external_addresses_publish_the_first_four() {
		let external = addrs(&[
			"/ip4/203.0.113.1/tcp/1",
			"/ip4/203.0.113.2/tcp/1",
			"/ip4/203.0.113.3/tcp/1",
			"/ip4/203.0.113.4/tcp/1",
			"/ip4/203.0.113.5/tcp/1",
		]);
		let s = select_addrs(&external, &addrs(&["/ip4/10.0.0.1/tcp/1"]), false).expect("ok");
		assert_eq!(s.publish, external[..4]);
		assert_eq!(s.dropped.len(), 1);
		assert_eq!(s.dropped[0].0, external[4]);
	}

	#[test]
	fn wildcard_loopback_and_link_local_listen_addresses_are_not_published() {
		let listening = addrs(&[
			"/ip4/0.0.0.0/tcp/1",
			"/ip6/::/tcp/1",
			"/ip4/127.0.0.1/tcp/1",
			"/ip4/127.8.9.10/tcp/1",
			"/ip6/::1/tcp/1",
			"/ip4/169.254.3.4/tcp/1",
			"/ip6/fe80::1/tcp/1",
			"/ip4/192.168.1.20/tcp/1",
			"/ip6/2001:db8::7/tcp/1",
		]);
		let s = select_addrs(&[], &listening, false).expect("ok");
		assert_eq!(s.publish, addrs(&["/ip4/192.168.1.20/tcp/1", "/ip6/2001:db8::7/tcp/1"]));
		assert_eq!(s.dropped.len(), 7);
	}

	#[test]
	fn at_most_four_listen_addresses_without_duplicates() {
		let listening = addrs(&[
			"/ip4/198.51.100.1/tcp/1",
			"/ip4/198.51.100.1/tcp/1",
			"/ip4/198.51.100.2/tcp/1",
			"/ip4/198.51.100.3/tcp/1",
			"/ip4/198.51.100.4/tcp/1",
			"/ip4/198.51.100.5/tcp/1",
		]);
		let s = select_addrs(&[], &listening, false).expect("ok");
		assert_eq!(s.publish.len(), 4);
		assert_eq!(s.publish[0], listening[0]);
		assert_eq!(
			s.dropped,
			vec![(listening[5].clone(), "the chain takes at most four addresses")]
		);
	}

	#[test]
	fn loopback_is_published_when_asked_for() {
		let listening = addrs(&["/ip4/127.0.0.1/tcp/4001", "/ip4/0.0.0.0/tcp/4001"]);
		let s = select_addrs(&[], &listening, true).expect("ok");
		assert_eq!(s.publish, addrs(&["/ip4/127.0.0.1/tcp/4001"]));
		// An explicit --external-addr is taken as given, loopback included.
		let external = addrs(&["/ip4/127.0.0.1/tcp/4001"]);
		let s = select_addrs(&external, &listening, false).expect("ok");
		assert_eq!(s.publish, external);
		// Nothing dialable: nothing to publish (the miner refuses to start on that).
		assert!(select_addrs(&[], &listening, false).expect("ok").publish.is_empty());
	}

	#[test]
	fn an_external_address_too_long_for_the_chain_is_an_error() {
		let long = addr(&format!("/dns4/{}.example/tcp/1", "a".repeat(120)));
		let err = select_addrs(std::slice::from_ref(&long), &[], false).expect_err("too long");
		assert!(matches!(err, AddrError::TooLong { addr, .. } if addr == long));
		// From the listeners it is dropped, not an error.
		let s = select_addrs(&[], &[long], false).expect("ok");
		assert!(s.publish.is_empty());
	}

	fn endpoint(peer: &[u8], addrs: &[&str], served_at: BlockNumber) -> Endpoint {
		Endpoint {
			peer_id: peer.to_vec().try_into().expect("peer id fits"),
			addrs: addrs
				.iter()
				.map(|a| a.as_bytes().to_vec().try_into().expect("addr fits"))
				.collect::<Vec<_>>()
				.try_into()
				.expect("addrs fit"),
			served_at,
		}
	}

	#[test]
	fn serving_waits_out_the_rate_limit_instead_of_failing() {
		let wanted = vec![b"/ip4/203.0.113.1/tcp/1".to_vec()];
		// Never served: submit.
		assert_eq!(serve_step(None, b"peer", &wanted, 5, 10), ServeStep::Submit);
		// The chain holds exactly this: nothing to do, rate limit or not.
		let same = endpoint(b"peer", &["/ip4/203.0.113.1/tcp/1"], 100);
		assert_eq!(serve_step(Some(&same), b"peer", &wanted, 101, 10), ServeStep::Done);
		// A restart with a new address within the limit: wait until it passes.
		let old = endpoint(b"peer", &["/ip4/203.0.113.9/tcp/1"], 100);
		assert_eq!(serve_step(Some(&old), b"peer", &wanted, 101, 10), ServeStep::WaitUntil(110));
		// The next block is past the limit: submit.
		assert_eq!(serve_step(Some(&old), b"peer", &wanted, 109, 10), ServeStep::Submit);
		assert_eq!(serve_step(Some(&old), b"peer", &wanted, 500, 10), ServeStep::Submit);
		// A new PeerId counts as a change too.
		assert_eq!(serve_step(Some(&same), b"other", &wanted, 101, 10), ServeStep::WaitUntil(110));
	}

	#[test]
	fn only_rate_limit_refusals_are_retried() {
		let limited = ClientError::Dispatch {
			pallet: "Subnets".into(),
			error: "ServeRateLimited".into(),
			docs: String::new(),
		};
		assert!(retry_after(&limited, ServeStep::Submit));
		assert!(retry_after(&limited, ServeStep::WaitUntil(9)));
		let fees = ClientError::Rejected("Invalid Transaction: Inability to pay some fees".into());
		assert!(retry_after(&fees, ServeStep::WaitUntil(9)));
		// Not rate-limited by the chain's own account: a real lack of funds.
		assert!(!retry_after(&fees, ServeStep::Submit));
		let invalid = ClientError::Dispatch {
			pallet: "Subnets".into(),
			error: "InvalidEndpoint(Addr)".into(),
			docs: String::new(),
		};
		assert!(!retry_after(&invalid, ServeStep::WaitUntil(9)));
		assert!(!retry_after(&ClientError::Other("connection closed".into()), ServeStep::Submit));
	}

	#[tokio::test]
	async fn listen_addresses_are_read_until_they_settle() {
		let reads = [
			Err("not yet"),
			Ok(addrs(&["/ip4/10.0.0.1/tcp/1"])),
			Ok(addrs(&["/ip4/10.0.0.1/tcp/1", "/ip4/192.168.1.2/tcp/1"])),
		];
		let mut n = 0;
		let settled = settle_listen_addrs(
			|| {
				let r = reads[n.min(reads.len() - 1)].clone();
				n += 1;
				async move { r }
			},
			Duration::from_millis(40),
			Duration::from_secs(5),
		)
		.await;
		assert_eq!(settled, addrs(&["/ip4/10.0.0.1/tcp/1", "/ip4/192.168.1.2/tcp/1"]));
		assert!(n >= 4, "read {n} times");
	}

	#[tokio::test]
	async fn settling_gives_up_after_its_limit() {
		let mut n = 0u16;
		let settled = settle_listen_addrs(
			|| {
				n += 1;
				let r: Result<_, String> = Ok(vec![addr(&format!("/ip4/10.0.0.1/tcp/{n}"))]);
				async move { r }
			},
			Duration::from_millis(40),
			Duration::from_millis(100),
		)
		.await;
		assert_eq!(settled.len(), 1);
	}
}
