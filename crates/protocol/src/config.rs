//! Configuration of a protocol node.

use std::{fmt, sync::Arc, time::Duration};

use libp2p::{identity::Keypair, Multiaddr};

use crate::{Authorizer, Hotkey};

/// A hotkey's sr25519 keypair (the `subxt_signer` type, as the chain client signs with).
pub type HotkeyPair = subxt_signer::sr25519::Keypair;

/// Bounds on everything a peer can make this node spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
	/// The largest request, in bytes of CBOR, that this node reads (default 1 MiB). Larger inbound
	/// requests are rejected by the codec without being decoded (the stream is dropped); a larger
	/// outbound query fails with [`QueryError::Io`](crate::QueryError::Io) before anything is
	/// sent.
	pub max_request_bytes: usize,
	/// The largest response, in bytes of CBOR, that this node reads or sends (default 16 MiB).
	/// A larger inbound response fails the query with
	/// [`QueryError::Io`](crate::QueryError::Io); a larger answer of the local application is
	/// replaced by [`Refusal::Failed`](crate::Refusal::Failed).
	pub max_response_bytes: usize,
	/// How long a query may take (default 30 s). Outbound: the query fails with
	/// [`QueryError::Timeout`](crate::QueryError::Timeout). Inbound: the requester is no longer
	/// waiting, the answer is discarded and the query stops counting as in flight.
	pub request_timeout: Duration,
	/// The most request-response streams (inbound + outbound) open at once on one connection
	/// (default 64). Beyond it, inbound streams are dropped and outbound queries fail.
	pub max_concurrent_streams: usize,
	/// The most inbound queries handed to the application and not yet answered (default 32).
	/// Beyond it, queries are refused with [`Refusal::Busy`](crate::Refusal::Busy).
	pub max_in_flight: usize,
	/// The most of those one peer may hold at once (default 4): a permitted validator sending
	/// large queries cannot fill the queue and make the miner answer every other validator
	/// [`Refusal::Busy`](crate::Refusal::Busy). `0` disables the per-peer bound.
	pub max_in_flight_per_peer: usize,
	/// How many queries one peer may send per [`rate_window`](Self::rate_window) (default 20), as
	/// a token bucket of that capacity refilled continuously over the window. Beyond it, queries
	/// are refused with [`Refusal::RateLimited`](crate::Refusal::RateLimited). `0` disables the
	/// per-peer limit.
	pub peer_rate: u32,
	/// The window of [`peer_rate`](Self::peer_rate) (default 10 s). Zero disables the per-peer
	/// limit.
	pub rate_window: Duration,
	/// How many new inbound connections one IP address may open per
	/// [`rate_window`](Self::rate_window) (default 20), on a node with an
	/// [`authorizer`](Config::authorizer): beyond it they are closed as soon as they are
	/// accepted, before the Noise handshake, so a flood of connections costs no cryptography.
	/// `0` disables the limit (as does a zero `rate_window`).
	pub connection_rate: u32,
	/// How many refused queries one connected peer may cause per
	/// [`rate_window`](Self::rate_window) (default 8): at this many the peer is disconnected and
	/// banned for [`ban_duration`](Self::ban_duration). Refusals by the event loop count
	/// (`NotAuthorised`, `ValidatorMismatch`, `Misaddressed`, `BadSignature`, `RateLimited`, and
	/// what an authorizer returns), not `Busy` nor the application's. `0` disables bans.
	pub max_refusals: u32,
	/// How long a banned peer's inbound connections are denied, and [`Client::dial`] refuses to
	/// dial it (default 60 s). Zero disables bans.
	///
	/// [`Client::dial`]: crate::Client::dial
	pub ban_duration: Duration,
	/// How long a connection with no open stream is kept before it is closed (default 300 s;
	/// miners in dial-out mode keep connections to validators open).
	pub idle_connection_timeout: Duration,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			max_request_bytes: 1024 * 1024,
			max_response_bytes: 16 * 1024 * 1024,
			request_timeout: Duration::from_secs(30),
			max_concurrent_streams: 64,
			max_in_flight: 32,
			max_in_flight_per_peer: 4,
			peer_rate: 20,
			rate_window: Duration::from_secs(10),
			connection_rate: 20,
			max_refusals: 8,
			ban_duration: Duration::from_secs(60),
			idle_connection_timeout: Duration::from_secs(300),
		}
	}
}

/// What [`spawn`](crate::spawn) builds a node from.
#[derive(Clone)]
pub struct Config {
	/// The node's libp2p identity; its [`PeerId`](libp2p::PeerId) is what peers authenticate
	/// (Noise) and what is published on chain.
	pub keypair: Keypair,
	/// The addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/30444`; may be empty (a dial-out miner
	/// or a pure client).
	pub listen: Vec<Multiaddr>,
	/// Bounds on what peers can make this node spend.
	pub limits: Limits,
	/// Who may connect to and query this node. `None`: every connection is admitted (dial-out
	/// miners connect to validators) but every inbound query is refused with
	/// [`Refusal::NotAuthorised`](crate::Refusal::NotAuthorised) (e.g. a validator).
	pub authorizer: Option<Arc<dyn Authorizer>>,
	/// The hotkey this node answers as (a miner's): queries addressed to another hotkey are
	/// refused with [`Refusal::Misaddressed`](crate::Refusal::Misaddressed), and answers are
	/// signed with it ([`SignedAnswer`](crate::SignedAnswer)). Required with an `authorizer`;
	/// `None` for a node that answers nobody.
	pub hotkey: Option<HotkeyPair>,
}

impl Config {
	/// A configuration with default [`Limits`], no listen address, no authorizer and no hotkey.
	pub fn new(keypair: Keypair) -> Self {
		Self {
			keypair,
			listen: Vec::new(),
			limits: Limits::default(),
			authorizer: None,
			hotkey: None,
		}
	}
}

impl fmt::Debug for Config {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.debug_struct("Config")
			.field("peer_id", &self.keypair.public().to_peer_id())
			.field("listen", &self.listen)
			.field("limits", &self.limits)
			.field("authorizer", &self.authorizer.as_ref().map(|_| "Authorizer"))
			.field("hotkey", &self.hotkey.as_ref().map(Hotkey::of))
			.finish()
	}
}
