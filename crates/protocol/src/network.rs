//! The libp2p node: the swarm, its event loop, and the [`Client`] handle that drives it.

use std::{
	collections::{HashMap, HashSet},
	sync::Arc,
	time::Duration,
};

use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};
use libp2p::{
	connection_limits,
	core::transport::ListenerId,
	identify, noise, ping,
	request_response::{
		self, OutboundFailure, OutboundRequestId, ProtocolSupport, ResponseChannel,
	},
	swarm::{
		dial_opts::{DialOpts, PeerCondition},
		ConnectionId, NetworkBehaviour, SwarmEvent,
	},
	tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm, SwarmBuilder,
};
use tokio::{
	sync::{mpsc, oneshot, watch},
	time::Instant,
};
use tracing::{debug, info, trace, warn};

use crate::{
	codec::{too_large, CborCodec, WireResponse},
	config::HotkeyPair,
	gate::Gate,
	message::to_cbor,
	rate::RateLimiter,
	Answer, Authorizer, Config, Hotkey, Limits, ProtocolError, Query, QueryError, Refusal,
	Response, SignedAnswer, IDENTIFY_PROTOCOL, PROTOCOL_NAME,
};

/// How long [`Client::listen_addrs`] waits for the listeners to report.
const LISTEN_WAIT: Duration = Duration::from_secs(5);
/// How long a graceful shutdown waits for connections to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// Capacity of the command channel from [`Client`]s to the event loop.
const COMMAND_BUFFER: usize = 256;
/// Dial errors remembered to explain failed queries, at most.
const DIAL_ERRORS_KEPT: usize = 1024;
/// What an unanswered, dropped [`Inbound`] answers.
const DROPPED: &str = "dropped";
/// Connections with one peer, at most (both directions).
const MAX_CONNECTIONS_PER_PEER: u32 = 8;
/// Inbound connections still in their handshake, at most.
const MAX_PENDING_INCOMING: u32 = 256;
/// Established inbound connections, at most (a validator holds one per dial-out miner).
const MAX_ESTABLISHED_INCOMING: u32 = 4096;

/// The libp2p behaviour: the gate (first, so that a denied connection reaches no other
/// behaviour), connection limits, our query protocol, identify and ping.
#[derive(NetworkBehaviour)]
struct Behaviour {
	gate: Gate,
	limits: connection_limits::Behaviour,
	query: request_response::Behaviour<CborCodec>,
	identify: identify::Behaviour,
	ping: ping::Behaviour,
}

/// A query from an authorised peer, addressed to this node's hotkey and signed by the peer's
/// validator hotkey (all checked), handed to the application to answer.
///
/// Answer it with [`Inbound::answer`] (signed here with the node's hotkey, on the caller's
/// task, not on the event loop) or [`Inbound::refuse`]. Dropping it unanswered answers
/// `Response::Refused(Refusal::Failed { reason: "dropped" })`. Until it is answered or dropped
/// (or [`Limits::request_timeout`] has passed since it arrived) it counts against
/// [`Limits::max_in_flight`].
pub struct Inbound {
	/// The Noise-authenticated identity of the querying peer (already authorised).
	pub peer: PeerId,
	/// The query (its signature already verified).
	pub query: Query,
	hotkey: Arc<HotkeyPair>,
	reply: oneshot::Sender<WireResponse>,
}

impl std::fmt::Debug for Inbound {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Inbound").field("peer", &self.peer).field("query", &self.query).finish()
	}
}

impl Inbound {
	/// Signs `answer` with this node's hotkey, bound to the query ([`SignedAnswer::sign`]), and
	/// sends it. If the peer is gone, or [`Limits::request_timeout`] has passed, it is silently
	/// discarded.
	pub fn answer(self, answer: Answer) {
		// Encoded here, once, for the digest and the wire: the event loop only forwards bytes.
		let bytes = SignedAnswer::sign_to_response_cbor(&answer, &self.query, &self.hotkey);
		self.send(WireResponse::Encoded(bytes));
	}

	/// Refuses the query with `refusal` (e.g. `BadRequest`, `Unsupported`, `Failed`).
	pub fn refuse(self, refusal: Refusal) {
		self.send(Response::Refused(refusal).into());
	}

	/// [`answer`](Self::answer)s `Ok`, [`refuse`](Self::refuse)s `Err`.
	pub fn reply(self, result: Result<Answer, Refusal>) {
		match result {
			Ok(answer) => self.answer(answer),
			Err(refusal) => self.refuse(refusal),
		}
	}

	fn send(self, response: WireResponse) {
		if self.reply.send(response).is_err() {
			debug!(peer = %self.peer, "response discarded: the query is no longer pending");
		}
	}

	/// Whether a response can still be sent: false once [`Limits::request_timeout`] has passed
	/// since the query arrived, or the node has shut down. Lets the application skip work nobody
	/// waits for. (The requester may have given up earlier, on its own timeout.)
	pub fn is_pending(&self) -> bool {
		!self.reply.is_closed()
	}
}

/// What the listeners have reported, shared with the [`Client`]s.
#[derive(Clone, Debug, Default)]
struct ListenState {
	addrs: Vec<Multiaddr>,
	/// Every configured listener has reported an address (or closed).
	ready: bool,
	/// The event loop has stopped.
	stopped: bool,
}

enum Command {
	Dial {
		peer: PeerId,
		addrs: Vec<Multiaddr>,
		reply: oneshot::Sender<Result<(), QueryError>>,
	},
	Query {
		peer: PeerId,
		addrs: Vec<Multiaddr>,
		query: Query,
		reply: oneshot::Sender<Result<Response, QueryError>>,
	},
	ConnectedPeers {
		reply: oneshot::Sender<Vec<PeerId>>,
	},
	Shutdown {
		reply: oneshot::Sender<()>,
	},
}

/// A handle on a running node: queries peers, dials them, stops the node.
///
/// Cheap to clone; every clone drives the same node. The node runs until
/// [`shutdown`](Self::shutdown), or until every clone of the `Client` AND the
/// [`Inbound`] receiver returned by [`spawn`] are dropped.
#[derive(Clone, Debug)]
pub struct Client {
	local_peer_id: PeerId,
	commands: mpsc::Sender<Command>,
	listen: watch::Receiver<ListenState>,
	max_request_bytes: usize,
	request_timeout: Duration,
}

impl Client {
	/// This node's identity.
	pub fn local_peer_id(&self) -> PeerId {
		self.local_peer_id
	}

	/// The addresses the node listens on.
	///
	/// Waits until every configured listener has reported at least one address, at most 5 s;
	/// then returns what was reported so far, or [`QueryError::Timeout`] if nothing was. Empty
	/// when no listen address was configured. [`QueryError::Shutdown`] after shutdown.
	pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, QueryError> {
		let mut listen = self.listen.clone();
		let waited = tokio::time::timeout(LISTEN_WAIT, async {
			let result = listen.wait_for(|s| s.ready || s.stopped).await;
			// The sender is gone only once the event loop has stopped.
			result.map(|_| ()).map_err(|_| QueryError::Shutdown)
		})
		.await;
		if let Ok(Err(e)) = waited {
			return Err(e);
		}
		let state = listen.borrow().clone();
		if state.stopped {
			Err(QueryError::Shutdown)
		} else if state.ready || !state.addrs.is_empty() {
			Ok(state.addrs)
		} else {
			Err(QueryError::Timeout)
		}
	}

	/// Dials `peer` at `addrs` (added to its known addresses) and waits until a connection is
	/// established, or fails. Returns at once if already connected. Used by dial-out miners to
	/// connect to validators, which can then query them over that connection.
	///
	/// Bounded by [`Limits::request_timeout`] (and by the transport's 10 s connection timeout):
	/// [`QueryError::Timeout`] beyond it.
	pub async fn dial(&self, peer: PeerId, addrs: Vec<Multiaddr>) -> Result<(), QueryError> {
		let (reply, rx) = oneshot::channel();
		self.request(Command::Dial { peer, addrs, reply }, rx).await?
	}

	/// Sends `query` to `peer` and waits for its response, bounded by
	/// [`Limits::request_timeout`].
	///
	/// `addrs` are added to the peer's known addresses and dialed if not connected; they may be
	/// empty when already connected (e.g. to a dial-out miner that connected to us). A query
	/// larger than [`Limits::max_request_bytes`] fails with [`QueryError::Io`] before anything is
	/// sent. A refusal by the peer is `Ok(Response::Refused(..))`.
	pub async fn query(
		&self,
		peer: PeerId,
		addrs: Vec<Multiaddr>,
		query: Query,
	) -> Result<Response, QueryError> {
		let len = to_cbor(&query).map_err(|e| QueryError::Io(e.to_string()))?.len();
		if len > self.max_request_bytes {
			return Err(QueryError::Io(
				too_large("request", len, self.max_request_bytes).to_string(),
			));
		}
		let (reply, rx) = oneshot::channel();
		self.request(Command::Query { peer, addrs, query, reply }, rx).await?
	}

	/// The peers this node has at least one connection with.
	/// Empty once the node has shut down.
	pub async fn connected_peers(&self) -> Vec<PeerId> {
		let (reply, rx) = oneshot::channel();
		if self.commands.send(Command::ConnectedPeers { reply }).await.is_err() {
			return Vec::new();
		}
		rx.await.unwrap_or_default()
	}

	/// Stops the event loop gracefully: listeners are closed, pending queries and dials fail with
	/// [`QueryError::Shutdown`], connections are closed (waiting up to 1 s), and the [`Inbound`]
	/// receiver ends. Later calls on any clone fail with [`QueryError::Shutdown`]. Idempotent.
	pub async fn shutdown(&self) {
		let (reply, rx) = oneshot::channel();
		if self.commands.send(Command::Shutdown { reply }).await.is_ok() {
			let _ = rx.await;
		}
	}

	/// Sends `command` and waits for its reply, at most `request_timeout`.
	async fn request<T>(
		&self,
		command: Command,
		rx: oneshot::Receiver<T>,
	) -> Result<T, QueryError> {
		let exchange = async {
			self.commands.send(command).await.map_err(|_| QueryError::Shutdown)?;
			rx.await.map_err(|_| QueryError::Shutdown)
		};
		tokio::time::timeout(self.request_timeout, exchange)
			.await
			.unwrap_or(Err(QueryError::Timeout))
	}
}

/// Builds the node and spawns its event loop on the current tokio runtime.
///
/// The swarm uses TCP + Noise + Yamux; its behaviour is the gate (inbound connections of peers
/// the authorizer does not admit, or banned ones, are closed after the handshake),
/// request-response with a CBOR codec on [`PROTOCOL_NAME`], identify (protocol version
/// [`IDENTIFY_PROTOCOL`]) and ping. Starts listening on every address of [`Config::listen`] (an
/// address that cannot be listened on is an error). A node with an authorizer needs a hotkey
/// ([`ProtocolError::NoHotkey`] otherwise).
///
/// Returns the [`Client`] handle and the stream of authorised inbound queries. The receiver holds
/// at most [`Limits::max_in_flight`] queries; keep taking from it (or drop it, if this node
/// answers nobody). Must be called within a tokio runtime.
pub async fn spawn(config: Config) -> Result<(Client, mpsc::Receiver<Inbound>), ProtocolError> {
	let Config { keypair, listen, limits, authorizer, hotkey } = config;
	if authorizer.is_some() && hotkey.is_none() {
		return Err(ProtocolError::NoHotkey);
	}
	let local_peer_id = keypair.public().to_peer_id();
	let gate = Gate::new(authorizer.clone(), &limits);

	let query = request_response::Behaviour::with_codec(
		CborCodec::new(&limits),
		[(StreamProtocol::new(PROTOCOL_NAME), ProtocolSupport::Full)],
		request_response::Config::default()
			.with_request_timeout(limits.request_timeout)
			.with_max_concurrent_streams(limits.max_concurrent_streams),
	);
	let idle = limits.idle_connection_timeout;
	let mut swarm = SwarmBuilder::with_existing_identity(keypair)
		.with_tokio()
		.with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
		.map_err(|e| ProtocolError::Transport(e.to_string()))?
		.with_behaviour(|key| Behaviour {
			gate,
			limits: connection_limits::Behaviour::new(
				connection_limits::ConnectionLimits::default()
					.with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER))
					.with_max_pending_incoming(Some(MAX_PENDING_INCOMING))
					.with_max_established_incoming(Some(MAX_ESTABLISHED_INCOMING)),
			),
			query,
			identify: identify::Behaviour::new(
				identify::Config::new(IDENTIFY_PROTOCOL.to_owned(), key.public())
					.with_agent_version(format!("agora/{}", env!("CARGO_PKG_VERSION"))),
			),
			ping: ping::Behaviour::new(ping::Config::new()),
		})
		.map_err(|e| ProtocolError::Transport(e.to_string()))?
		.with_swarm_config(|c| c.with_idle_connection_timeout(idle))
		.build();

	let mut listeners = HashMap::new();
	for addr in listen {
		let id = swarm
			.listen_on(addr.clone())
			.map_err(|e| ProtocolError::Listen { addr: addr.clone(), why: e.to_string() })?;
		listeners.insert(id, Vec::new());
	}

	let (commands_tx, commands) = mpsc::channel(COMMAND_BUFFER);
	let (inbound_tx, inbound_rx) = mpsc::channel(limits.max_in_flight.max(1));
	let ready = listeners.is_empty();
	let (listen_tx, listen_rx) = watch::channel(ListenState { ready, ..Default::default() });

	let client = Client {
		local_peer_id,
		commands: commands_tx,
		listen: listen_rx,
		max_request_bytes: limits.max_request_bytes,
		request_timeout: limits.request_timeout,
	};
	let event_loop = EventLoop {
		swarm,
		commands,
		inbound_tx,
		authorizer,
		own: hotkey.as_ref().map(Hotkey::of),
		hotkey: hotkey.map(Arc::new),
		rate: RateLimiter::new(limits.peer_rate, limits.rate_window),
		limits,
		in_flight: 0,
		in_flight_by_peer: HashMap::new(),
		replies: FuturesUnordered::new(),
		pending_queries: HashMap::new(),
		pending_dials: HashMap::new(),
		dial_errors: HashMap::new(),
		unreported: listeners.keys().copied().collect(),
		listeners,
		listen_tx,
	};
	debug!(peer_id = %local_peer_id, "protocol node started");
	tokio::spawn(event_loop.run());
	Ok((client, inbound_rx))
}

/// How an [`Inbound`] ended.
enum Reply {
	Answered(WireResponse),
	Dropped,
	Expired,
}

type PendingReply = BoxFuture<'static, (PeerId, ResponseChannel<WireResponse>, Reply)>;

struct EventLoop {
	swarm: Swarm<Behaviour>,
	commands: mpsc::Receiver<Command>,
	inbound_tx: mpsc::Sender<Inbound>,
	authorizer: Option<Arc<dyn Authorizer>>,
	/// The hotkey this node answers as, and its keypair (both `Some` with an authorizer).
	own: Option<Hotkey>,
	hotkey: Option<Arc<HotkeyPair>>,
	limits: Limits,
	rate: RateLimiter,
	/// Inbound queries handed to the application and not answered yet.
	in_flight: usize,
	/// The same, per peer (peers with none are not kept).
	in_flight_by_peer: HashMap<PeerId, usize>,
	/// One future per query in flight, resolving when the application answers (or drops it).
	replies: FuturesUnordered<PendingReply>,
	pending_queries: HashMap<OutboundRequestId, oneshot::Sender<Result<Response, QueryError>>>,
	pending_dials: HashMap<ConnectionId, oneshot::Sender<Result<(), QueryError>>>,
	/// The last dial error per peer, to explain a query's `DialFailure`.
	dial_errors: HashMap<PeerId, String>,
	listeners: HashMap<ListenerId, Vec<Multiaddr>>,
	/// Listeners that have not reported an address yet.
	unreported: HashSet<ListenerId>,
	listen_tx: watch::Sender<ListenState>,
}

impl EventLoop {
	async fn run(mut self) {
		let mut commands_open = true;
		let mut shutdown_reply = None;
		loop {
			tokio::select! {
				event = self.swarm.select_next_some() => self.on_swarm_event(event),
				command = self.commands.recv(), if commands_open => match command {
					Some(Command::Shutdown { reply }) => {
						shutdown_reply = Some(reply);
						break;
					},
					Some(command) => self.on_command(command),
					None => {
						// Every Client is gone; serve on while the application holds the receiver.
						commands_open = false;
						if self.inbound_tx.is_closed() {
							break;
						}
					},
				},
				Some((peer, channel, reply)) = self.replies.next(), if !self.replies.is_empty() => {
					self.on_reply(peer, channel, reply)
				},
				() = self.inbound_tx.closed(), if !commands_open => break,
			}
		}
		self.shutdown().await;
		if let Some(reply) = shutdown_reply {
			let _ = reply.send(());
		}
	}

	async fn shutdown(mut self) {
		debug!("protocol node shutting down");
		self.listen_tx.send_modify(|s| {
			s.stopped = true;
			s.addrs.clear();
		});
		self.commands.close();
		// Queries held by the application can no longer be answered.
		self.replies.clear();
		self.in_flight = 0;
		self.in_flight_by_peer.clear();
		for id in self.listeners.keys() {
			self.swarm.remove_listener(*id);
		}
		for (_, reply) in self.pending_queries.drain() {
			let _ = reply.send(Err(QueryError::Shutdown));
		}
		for (_, reply) in self.pending_dials.drain() {
			let _ = reply.send(Err(QueryError::Shutdown));
		}
		// Queries sent before the channel closed.
		while let Ok(command) = self.commands.try_recv() {
			match command {
				Command::Dial { reply, .. } => {
					let _ = reply.send(Err(QueryError::Shutdown));
				},
				Command::Query { reply, .. } => {
					let _ = reply.send(Err(QueryError::Shutdown));
				},
				Command::ConnectedPeers { reply } => {
					let _ = reply.send(Vec::new());
				},
				Command::Shutdown { reply } => {
					let _ = reply.send(());
				},
			}
		}
		let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
		for peer in peers {
			let _ = self.swarm.disconnect_peer_id(peer);
		}
		let deadline = Instant::now() + SHUTDOWN_GRACE;
		while self.swarm.network_info().num_peers() > 0 {
			match tokio::time::timeout_at(deadline, self.swarm.select_next_some()).await {
				Ok(event) => trace!(?event, "while shutting down"),
				Err(_) => {
					warn!("connections still open after {SHUTDOWN_GRACE:?}, dropping them");
					break;
				},
			}
		}
		debug!("protocol node stopped");
	}

	fn on_command(&mut self, command: Command) {
		match command {
			Command::Dial { peer, addrs, reply } => self.dial(peer, addrs, reply),
			Command::Query { peer, addrs, query, reply } => {
				for addr in addrs {
					self.swarm.add_peer_address(peer, addr);
				}
				debug!(%peer, netuid = query.netuid, task = query.task.kind(), "sending query");
				let id = self.swarm.behaviour_mut().query.send_request(&peer, query);
				self.pending_queries.insert(id, reply);
			},
			Command::ConnectedPeers { reply } => {
				let _ = reply.send(self.swarm.connected_peers().copied().collect());
			},
			// Handled by `run`.
			Command::Shutdown { reply } => {
				let _ = reply.send(());
			},
		}
	}

	fn dial(
		&mut self,
		peer: PeerId,
		addrs: Vec<Multiaddr>,
		reply: oneshot::Sender<Result<(), QueryError>>,
	) {
		for addr in &addrs {
			self.swarm.add_peer_address(peer, addr.clone());
		}
		if self.swarm.is_connected(&peer) {
			let _ = reply.send(Ok(()));
			return;
		}
		// A dial-out miner would otherwise reconnect at once to a validator it just banned.
		if self.swarm.behaviour_mut().gate.is_banned(&peer, Instant::now()) {
			let why = format!("{peer} is banned for repeated refused queries");
			let _ = reply.send(Err(QueryError::DialFailure(why)));
			return;
		}
		let opts = DialOpts::peer_id(peer)
			.condition(PeerCondition::Disconnected)
			.addresses(addrs)
			.extend_addresses_through_behaviour()
			.build();
		let id = opts.connection_id();
		debug!(%peer, "dialing");
		match self.swarm.dial(opts) {
			Ok(()) => {
				self.pending_dials.insert(id, reply);
			},
			Err(e) => {
				warn!(%peer, "dial failed: {e}");
				let _ = reply.send(Err(QueryError::DialFailure(e.to_string())));
			},
		}
	}

	fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
		match event {
			SwarmEvent::Behaviour(BehaviourEvent::Query(event)) => self.on_query_event(event),
			SwarmEvent::Behaviour(BehaviourEvent::Identify(event)) => match event {
				identify::Event::Received { peer_id, info, .. } => debug!(
					peer = %peer_id,
					protocol_version = info.protocol_version,
					agent = info.agent_version,
					"identified peer"
				),
				identify::Event::Error { peer_id, error, .. } => {
					debug!(peer = %peer_id, "identify failed: {error}")
				},
				identify::Event::Sent { .. } | identify::Event::Pushed { .. } => {},
			},
			SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event { peer, result, .. })) => {
				match result {
					Ok(rtt) => trace!(%peer, ?rtt, "ping"),
					Err(e) => debug!(%peer, "ping failed: {e}"),
				}
			},
			SwarmEvent::NewListenAddr { listener_id, address } => {
				info!(%address, "listening");
				self.listeners.entry(listener_id).or_default().push(address);
				self.unreported.remove(&listener_id);
				self.publish_listen_addrs();
			},
			SwarmEvent::ExpiredListenAddr { listener_id, address } => {
				info!(%address, "no longer listening");
				if let Some(addrs) = self.listeners.get_mut(&listener_id) {
					addrs.retain(|a| a != &address);
				}
				self.publish_listen_addrs();
			},
			SwarmEvent::ListenerClosed { listener_id, reason, .. } => {
				match reason {
					Ok(()) => info!(?listener_id, "listener closed"),
					Err(e) => warn!(?listener_id, "listener closed: {e}"),
				}
				self.listeners.remove(&listener_id);
				self.unreported.remove(&listener_id);
				self.publish_listen_addrs();
			},
			SwarmEvent::ListenerError { listener_id, error } => {
				warn!(?listener_id, "listener error: {error}")
			},
			SwarmEvent::ConnectionEstablished { peer_id, connection_id, endpoint, .. } => {
				debug!(peer = %peer_id, address = %endpoint.get_remote_address(), "connected");
				self.dial_errors.remove(&peer_id);
				if let Some(reply) = self.pending_dials.remove(&connection_id) {
					let _ = reply.send(Ok(()));
				}
			},
			SwarmEvent::ConnectionClosed { peer_id, cause, .. } => match cause {
				Some(cause) => debug!(peer = %peer_id, "connection closed: {cause}"),
				None => debug!(peer = %peer_id, "connection closed"),
			},
			SwarmEvent::OutgoingConnectionError { connection_id, peer_id, error } => {
				let why = error.to_string();
				match peer_id {
					Some(peer) => warn!(%peer, "could not connect: {why}"),
					None => warn!("could not connect: {why}"),
				}
				if let Some(peer) = peer_id {
					if self.dial_errors.len() >= DIAL_ERRORS_KEPT {
						self.dial_errors.clear();
					}
					self.dial_errors.insert(peer, why.clone());
				}
				if let Some(reply) = self.pending_dials.remove(&connection_id) {
					let _ = reply.send(Err(QueryError::DialFailure(why)));
				}
			},
			SwarmEvent::IncomingConnectionError { send_back_addr, error, .. } => {
				debug!(address = %send_back_addr, "incoming connection failed: {error}")
			},
			other => trace!(event = ?other, "swarm event"),
		}
	}

	fn on_query_event(&mut self, event: request_response::Event<Query, WireResponse>) {
		match event {
			request_response::Event::Message { peer, message } => match message {
				request_response::Message::Request { request, channel, .. } => {
					self.on_inbound(peer, request, channel)
				},
				request_response::Message::Response { request_id, response } => {
					// Always a value: the codec decodes what it reads.
					let response =
						response.into_response().map_err(|e| QueryError::Io(e.to_string()));
					let refused = matches!(response, Ok(Response::Refused(_)));
					debug!(%peer, refused, "response");
					if let Some(reply) = self.pending_queries.remove(&request_id) {
						let _ = reply.send(response);
					}
				},
			},
			request_response::Event::OutboundFailure { peer, request_id, error } => {
				warn!(%peer, "query failed: {error}");
				let error = match error {
					OutboundFailure::DialFailure => QueryError::DialFailure(
						self.dial_errors
							.remove(&peer)
							.unwrap_or_else(|| format!("no connection to {peer} could be opened")),
					),
					OutboundFailure::Timeout => QueryError::Timeout,
					OutboundFailure::ConnectionClosed => QueryError::ConnectionClosed,
					OutboundFailure::UnsupportedProtocols => QueryError::UnsupportedProtocol,
					OutboundFailure::Io(e) => QueryError::Io(e.to_string()),
				};
				if let Some(reply) = self.pending_queries.remove(&request_id) {
					let _ = reply.send(Err(error));
				}
			},
			request_response::Event::InboundFailure { peer, error, .. } => {
				debug!(%peer, "inbound query failed: {error}")
			},
			request_response::Event::ResponseSent { peer, .. } => debug!(%peer, "response sent"),
		}
	}

	/// Authorises, checks, rate-limits and bounds an inbound query, then hands it to the
	/// application.
	fn on_inbound(&mut self, peer: PeerId, query: Query, channel: ResponseChannel<WireResponse>) {
		let (netuid, task) = (query.netuid, query.task.kind());
		let hotkey = match self.admit(peer, &query) {
			Ok(hotkey) => hotkey,
			Err(refusal) => {
				debug!(%peer, netuid, task, %refusal, "query refused");
				let strike = !matches!(refusal, Refusal::Busy);
				self.respond(peer, channel, Response::Refused(refusal).into());
				if strike && self.swarm.behaviour_mut().gate.strike(peer, Instant::now()) {
					warn!(
						%peer,
						"too many refused queries: disconnected and banned for {:?}",
						self.limits.ban_duration
					);
					let _ = self.swarm.disconnect_peer_id(peer);
				}
				return;
			},
		};
		let (reply, answer) = oneshot::channel();
		match self.inbound_tx.try_send(Inbound { peer, query, hotkey, reply }) {
			Ok(()) => {
				debug!(%peer, netuid, task, "query accepted");
				self.in_flight += 1;
				*self.in_flight_by_peer.entry(peer).or_default() += 1;
				let timeout = self.limits.request_timeout;
				self.replies.push(
					async move {
						let reply = match tokio::time::timeout(timeout, answer).await {
							Ok(Ok(response)) => Reply::Answered(response),
							Ok(Err(_)) => Reply::Dropped,
							Err(_) => Reply::Expired,
						};
						(peer, channel, reply)
					}
					.boxed(),
				);
			},
			Err(mpsc::error::TrySendError::Full(_)) => {
				// Cannot happen while in_flight <= max_in_flight, but refuse rather than wait.
				self.respond(peer, channel, Response::Refused(Refusal::Busy).into());
			},
			Err(mpsc::error::TrySendError::Closed(_)) => {
				let reason = "this node is not serving queries".to_owned();
				self.respond(peer, channel, Response::Refused(Refusal::Failed { reason }).into());
			},
		}
	}

	/// Whether an inbound query is let through: authorisation (permit, the peer's hotkey), the
	/// address, capacity, the peer's rate, then (the costliest) the signature. Returns the
	/// hotkey to sign the answer with.
	fn admit(&mut self, peer: PeerId, query: &Query) -> Result<Arc<HotkeyPair>, Refusal> {
		let (Some(authorizer), Some(own), Some(hotkey)) =
			(&self.authorizer, self.own, &self.hotkey)
		else {
			return Err(Refusal::NotAuthorised { reason: "this node serves no queries".into() });
		};
		authorizer.authorise(&peer, query)?;
		if query.miner != own {
			return Err(Refusal::Misaddressed { served: own });
		}
		let per_peer = self.limits.max_in_flight_per_peer;
		if self.in_flight >= self.limits.max_in_flight
			|| (per_peer > 0
				&& self.in_flight_by_peer.get(&peer).copied().unwrap_or_default() >= per_peer)
		{
			return Err(Refusal::Busy);
		}
		self.rate
			.check(peer, Instant::now())
			.map_err(|retry_after_ms| Refusal::RateLimited { retry_after_ms })?;
		if !query.verify() {
			return Err(Refusal::BadSignature);
		}
		Ok(hotkey.clone())
	}

	fn on_reply(&mut self, peer: PeerId, channel: ResponseChannel<WireResponse>, reply: Reply) {
		self.in_flight = self.in_flight.saturating_sub(1);
		if let std::collections::hash_map::Entry::Occupied(mut held) =
			self.in_flight_by_peer.entry(peer)
		{
			*held.get_mut() -= 1;
			if *held.get() == 0 {
				held.remove();
			}
		}
		match reply {
			Reply::Answered(response) => self.respond(peer, channel, response),
			Reply::Dropped => {
				debug!(%peer, "query dropped unanswered");
				let reason = DROPPED.to_owned();
				self.respond(peer, channel, Response::Refused(Refusal::Failed { reason }).into());
			},
			Reply::Expired => {
				debug!(%peer, "query not answered within the request timeout");
			},
		}
	}

	fn respond(
		&mut self,
		peer: PeerId,
		channel: ResponseChannel<WireResponse>,
		response: WireResponse,
	) {
		if self.swarm.behaviour_mut().query.send_response(channel, response).is_err() {
			debug!(%peer, "response not sent: the request timed out or the connection closed");
		}
	}

	fn publish_listen_addrs(&mut self) {
		let addrs: Vec<Multiaddr> = self.listeners.values().flatten().cloned().collect();
		let ready = self.unreported.is_empty();
		self.listen_tx.send_modify(|s| {
			s.addrs = addrs;
			s.ready = ready;
		});
	}
}
