//! In-process nodes on 127.0.0.1 talking to each other.

use std::{
	future::Future,
	sync::{
		atomic::{AtomicU64, AtomicUsize, Ordering},
		Arc,
	},
	time::Duration,
};

use agora_protocol::{
	spawn, AllowList, Answer, Authorizer, Client, Config, Hotkey, HotkeyPair, Inbound, Limits,
	ProtocolError, Query, QueryError, Refusal, Response, TaskRequest,
};
use libp2p::{identity::Keypair, Multiaddr, PeerId};
use tokio::{
	sync::mpsc::{error::TryRecvError, Receiver},
	time::Instant,
};

/// Bound on anything that should happen promptly.
const WAIT: Duration = Duration::from_secs(5);
const NETUID: u16 = 1;

/// A running node (its inbound receiver is returned beside it).
struct Node {
	client: Client,
	peer: PeerId,
	addrs: Vec<Multiaddr>,
	/// Its hotkey: the validator hotkey it signs queries with, or the miner hotkey it serves.
	key: HotkeyPair,
	hotkey: Hotkey,
}

fn loopback() -> Multiaddr {
	"/ip4/127.0.0.1/tcp/0".parse().expect("valid multiaddr")
}

/// A fresh hotkey.
fn hotkey() -> HotkeyPair {
	static NEXT: AtomicU64 = AtomicU64::new(0);
	let uri = format!("//test/{}", NEXT.fetch_add(1, Ordering::Relaxed));
	HotkeyPair::from_uri(&uri.parse().expect("uri")).expect("keypair")
}

/// A nonce never used before in this process.
fn nonce() -> u64 {
	static NEXT: AtomicU64 = AtomicU64::new(0);
	NEXT.fetch_add(1, Ordering::Relaxed)
}

async fn within<F: Future>(what: &str, future: F) -> F::Output {
	tokio::time::timeout(WAIT, future).await.unwrap_or_else(|_| panic!("{what}: timed out"))
}

async fn node(
	keypair: Keypair,
	listen: bool,
	limits: Limits,
	authorizer: Option<Arc<dyn Authorizer>>,
) -> (Node, Receiver<Inbound>) {
	node_as(keypair, hotkey(), listen, limits, authorizer).await
}

async fn node_as(
	keypair: Keypair,
	key: HotkeyPair,
	listen: bool,
	limits: Limits,
	authorizer: Option<Arc<dyn Authorizer>>,
) -> (Node, Receiver<Inbound>) {
	let config = Config {
		keypair,
		listen: if listen { vec![loopback()] } else { vec![] },
		limits,
		authorizer,
		hotkey: Some(key.clone()),
	};
	let (client, inbound) = spawn(config).await.expect("node starts");
	let addrs = within("listen_addrs", client.listen_addrs()).await.expect("listen addresses");
	assert_eq!(addrs.is_empty(), !listen);
	let hotkey = Hotkey::of(&key);
	(Node { peer: client.local_peer_id(), client, addrs, key, hotkey }, inbound)
}

/// A requester (a validator: no listen address, answers nobody) and a responder (a miner,
/// listening) that authorises the requester's PeerId as the requester's hotkey on [`NETUID`].
async fn pair(
	requester_limits: Limits,
	responder_limits: Limits,
) -> (Node, Node, Receiver<Inbound>) {
	let key = Keypair::generate_ed25519();
	let validator = hotkey();
	let allow = AllowList::new();
	allow.set(NETUID, [(key.public().to_peer_id(), Hotkey::of(&validator))]);
	let (requester, _) = node_as(key, validator, false, requester_limits, None).await;
	let (responder, inbound) =
		node(Keypair::generate_ed25519(), true, responder_limits, Some(Arc::new(allow))).await;
	(requester, responder, inbound)
}

/// A query from `from` (signed with its hotkey) to `to` (addressed to its hotkey).
fn embed(from: &Node, to: &Node, sentences: &[&str]) -> Query {
	let task = TaskRequest::Embed { sentences: sentences.iter().map(|s| s.to_string()).collect() };
	Query::signed(NETUID, to.hotkey, nonce(), task, &from.key)
}

fn embeddings(query: &Query) -> Result<Answer, Refusal> {
	let TaskRequest::Embed { sentences } = &query.task else {
		return Err(Refusal::Unsupported { task: query.task.kind().into() });
	};
	Ok(Answer::Embeddings {
		model: "test".into(),
		vectors: sentences.iter().map(|s| vec![s.len() as f32, 0.5, -1.0]).collect(),
	})
}

/// The answer in `response`, checked to be signed by the query's miner hotkey.
fn signed_answer(response: Response, query: &Query) -> Answer {
	match response {
		Response::Ok(signed) => {
			assert!(signed.verify(query), "the answer's signature verifies");
			signed.answer
		},
		Response::Refused(r) => panic!("refused: {r}"),
	}
}

/// Answers every inbound query with [`embeddings`]; counts them.
fn serve(mut inbound: Receiver<Inbound>) -> Arc<AtomicUsize> {
	let count = Arc::new(AtomicUsize::new(0));
	let counted = count.clone();
	tokio::spawn(async move {
		while let Some(query) = inbound.recv().await {
			counted.fetch_add(1, Ordering::SeqCst);
			let answer = embeddings(&query.query);
			query.reply(answer);
		}
	});
	count
}

async fn query(from: &Node, to: &Node, query: Query) -> Result<Response, QueryError> {
	within("query", from.client.query(to.peer, to.addrs.clone(), query)).await
}

/// Queries `to` with [`embed`] of `sentences`, checks the signed answer and returns it.
async fn ask_ok(from: &Node, to: &Node, sentences: &[&str]) -> Answer {
	let sent = embed(from, to, sentences);
	let got = query(from, to, sent.clone()).await.expect("response");
	signed_answer(got, &sent)
}

fn assert_nothing_received(inbound: &mut Receiver<Inbound>) {
	match inbound.try_recv() {
		Err(TryRecvError::Empty) => {},
		Ok(got) => panic!("the application received {got:?}"),
		Err(e) => panic!("receiver: {e}"),
	}
}

async fn wait_until_connected(client: &Client, peer: PeerId) {
	within("connection", async {
		while !client.connected_peers().await.contains(&peer) {
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
	})
	.await
}

async fn wait_until_disconnected(client: &Client, peer: PeerId) {
	within("disconnection", async {
		while client.connected_peers().await.contains(&peer) {
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
	})
	.await
}

#[tokio::test]
async fn authorised_query_reaches_the_application_and_its_signed_answer_returns() {
	let (requester, responder, mut inbound) = pair(Limits::default(), Limits::default()).await;
	let sent = embed(&requester, &responder, &["hello", "world!"]);
	let ask = tokio::spawn({
		let client = requester.client.clone();
		let (peer, addrs, sent) = (responder.peer, responder.addrs.clone(), sent.clone());
		async move { client.query(peer, addrs, sent).await }
	});

	let request = within("inbound", inbound.recv()).await.expect("a query");
	assert_eq!(request.peer, requester.peer);
	assert_eq!(request.query, sent);
	assert!(request.is_pending());
	let answer = embeddings(&request.query).expect("an embedding task");
	request.answer(answer.clone());

	let got = within("answer", ask).await.expect("task").expect("response");
	let Response::Ok(signed) = got else { panic!("refused: {got:?}") };
	assert_eq!(signed.answer, answer);
	// Signed by the responder's hotkey, for this query.
	assert!(signed.verify(&sent));
	// A tampered answer, or the answer presented for another query, does not verify.
	let mut tampered = signed.clone();
	if let Answer::Embeddings { vectors, .. } = &mut tampered.answer {
		vectors[0][0] += 1.0;
	}
	assert!(!tampered.verify(&sent));
	assert!(!signed.verify(&embed(&requester, &responder, &["hello", "world!"])));
	assert!(requester.client.connected_peers().await.contains(&responder.peer));

	// A second query reuses the connection, with no address given.
	let again = embed(&requester, &responder, &["again"]);
	let ask = requester.client.query(responder.peer, vec![], again.clone());
	let (got, answer) = tokio::join!(within("second query", ask), async {
		let request = within("inbound", inbound.recv()).await.expect("a query");
		let answer = embeddings(&request.query).expect("an embedding task");
		request.answer(answer.clone());
		answer
	});
	assert_eq!(signed_answer(got.expect("response"), &again), answer);
}

#[tokio::test]
async fn unauthorised_peer_is_refused_at_the_connection_before_the_application() {
	let (requester, responder, mut inbound) = pair(Limits::default(), Limits::default()).await;
	let (stranger, _) = node(Keypair::generate_ed25519(), false, Limits::default(), None).await;

	// A well-formed signed query, from a peer not on the allow list: its connection is closed
	// after the handshake, its request never read.
	let err = query(&stranger, &responder, embed(&stranger, &responder, &["hi"]))
		.await
		.expect_err("connection denied");
	assert!(
		matches!(
			err,
			QueryError::ConnectionClosed | QueryError::DialFailure(_) | QueryError::Io(_)
		),
		"{err:?}"
	);
	assert!(!responder.client.connected_peers().await.contains(&stranger.peer));

	// The requester is admitted (authorised on NETUID), but not on another subnet.
	let task = TaskRequest::Embed { sentences: vec!["hi".into()] };
	let other_subnet = Query::signed(NETUID + 1, responder.hotkey, nonce(), task, &requester.key);
	let got = query(&requester, &responder, other_subnet).await.expect("response");
	assert!(
		matches!(&got, Response::Refused(Refusal::NotAuthorised { reason }) if reason.contains(&requester.peer.to_string())),
		"{got:?}"
	);

	assert_nothing_received(&mut inbound);
}

#[tokio::test]
async fn misaddressed_impersonating_and_badly_signed_queries_are_refused_by_name() {
	let (requester, responder, mut inbound) = pair(Limits::default(), Limits::default()).await;
	let task = TaskRequest::Embed { sentences: vec!["hi".into()] };

	// Addressed to another miner hotkey (e.g. a copycat UID that published this node's PeerId).
	let copycat = hotkey();
	let misaddressed =
		Query::signed(NETUID, Hotkey::of(&copycat), nonce(), task.clone(), &requester.key);
	let got = query(&requester, &responder, misaddressed).await.expect("response");
	assert_eq!(got, Response::Refused(Refusal::Misaddressed { served: responder.hotkey }));

	// Signed as another validator's hotkey than the one the chain lists for this PeerId.
	let other_validator = hotkey();
	let impersonating =
		Query::signed(NETUID, responder.hotkey, nonce(), task.clone(), &other_validator);
	let got = query(&requester, &responder, impersonating).await.expect("response");
	assert_eq!(got, Response::Refused(Refusal::ValidatorMismatch { listed: requester.hotkey }));

	// The right hotkeys, but the task changed after signing; then a wrong key's signature.
	let mut tampered = embed(&requester, &responder, &["hi"]);
	tampered.task = TaskRequest::Embed { sentences: vec!["ho".into()] };
	let got = query(&requester, &responder, tampered).await.expect("response");
	assert_eq!(got, Response::Refused(Refusal::BadSignature));
	let mut wrong_key = Query::signed(NETUID, responder.hotkey, nonce(), task, &other_validator);
	wrong_key.validator = requester.hotkey;
	let got = query(&requester, &responder, wrong_key).await.expect("response");
	assert_eq!(got, Response::Refused(Refusal::BadSignature));

	assert_nothing_received(&mut inbound);
	// Four refusals are below the default ban threshold: still served.
	let count = serve(inbound);
	let answer = ask_ok(&requester, &responder, &["fine"]).await;
	assert_eq!(Ok(answer), embeddings(&embed(&requester, &responder, &["fine"])));
	assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn repeated_refusals_disconnect_and_ban_the_peer_until_the_ban_ends() {
	let ban = Duration::from_millis(1500);
	let limits = Limits { max_refusals: 3, ban_duration: ban, ..Limits::default() };
	let (requester, responder, inbound) = pair(Limits::default(), limits).await;
	let count = serve(inbound);
	let misaddressed = || {
		let task = TaskRequest::Embed { sentences: vec!["x".into()] };
		Query::signed(NETUID, Hotkey([7; 32]), nonce(), task, &requester.key)
	};

	for _ in 0..2 {
		let got = query(&requester, &responder, misaddressed()).await.expect("response");
		assert!(matches!(got, Response::Refused(Refusal::Misaddressed { .. })), "{got:?}");
	}
	// The third refusal bans: the refusal may or may not arrive before the connection closes.
	let third = query(&requester, &responder, misaddressed()).await;
	assert!(
		matches!(third, Ok(Response::Refused(Refusal::Misaddressed { .. })) | Err(_)),
		"{third:?}"
	);
	let banned_at = Instant::now();
	wait_until_disconnected(&responder.client, requester.peer).await;
	wait_until_disconnected(&requester.client, responder.peer).await;

	// While banned, even a good query fails: the connection is denied after the handshake.
	let err = query(&requester, &responder, embed(&requester, &responder, &["banned"]))
		.await
		.expect_err("banned");
	assert!(
		matches!(
			err,
			QueryError::ConnectionClosed | QueryError::DialFailure(_) | QueryError::Io(_)
		),
		"{err:?}"
	);
	// Nor does the banning node dial it (as a dial-out miner's metagraph sync would).
	let err = within("dial", responder.client.dial(requester.peer, vec![loopback()]))
		.await
		.expect_err("banned");
	assert!(matches!(&err, QueryError::DialFailure(why) if why.contains("banned")), "{err:?}");
	assert!(banned_at.elapsed() < ban, "the test is too slow to observe the ban");
	assert_eq!(count.load(Ordering::SeqCst), 0);

	// Once the ban is over, the peer is served again.
	tokio::time::sleep(ban.saturating_sub(banned_at.elapsed()) + Duration::from_millis(100)).await;
	let answer = ask_ok(&requester, &responder, &["back"]).await;
	assert_eq!(Ok(answer), embeddings(&embed(&requester, &responder, &["back"])));
	assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connections_beyond_the_rate_of_an_ip_address_close_before_the_handshake() {
	// Three validators, all permitted, all on 127.0.0.1; the miner takes two new connections
	// per minute from one address.
	let keys: Vec<(Keypair, HotkeyPair)> =
		(0..3).map(|_| (Keypair::generate_ed25519(), hotkey())).collect();
	let allow = AllowList::new();
	allow.set(NETUID, keys.iter().map(|(k, h)| (k.public().to_peer_id(), Hotkey::of(h))));
	let limits =
		Limits { connection_rate: 2, rate_window: Duration::from_secs(60), ..Limits::default() };
	let (miner, inbound) =
		node(Keypair::generate_ed25519(), true, limits, Some(Arc::new(allow))).await;
	let count = serve(inbound);
	let mut validators = Vec::new();
	for (key, hotkey) in keys {
		validators.push(node_as(key, hotkey, false, Limits::default(), None).await.0);
	}
	for validator in &validators[..2] {
		ask_ok(validator, &miner, &["in"]).await;
	}
	let err = query(&validators[2], &miner, embed(&validators[2], &miner, &["third"]))
		.await
		.expect_err("closed before the handshake");
	assert!(matches!(err, QueryError::DialFailure(_) | QueryError::ConnectionClosed), "{err:?}");
	// The connections already open are not affected.
	ask_ok(&validators[0], &miner, &["still in"]).await;
	assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn no_authorizer_refuses_every_query_but_admits_connections() {
	let key = Keypair::generate_ed25519();
	let (closed, mut inbound) = node(key, true, Limits::default(), None).await;
	let (asker, _) = node(Keypair::generate_ed25519(), false, Limits::default(), None).await;
	for task in [
		TaskRequest::Embed { sentences: vec!["x".into()] },
		TaskRequest::Generate { prompt: "p".into(), max_tokens: 1, logprobs: false },
	] {
		let sent = Query::signed(0, closed.hotkey, nonce(), task, &asker.key);
		let got = query(&asker, &closed, sent).await.expect("response");
		assert!(matches!(got, Response::Refused(Refusal::NotAuthorised { .. })), "{got:?}");
	}
	assert_nothing_received(&mut inbound);
}

#[tokio::test]
async fn an_authorizer_needs_a_hotkey() {
	let config = Config {
		authorizer: Some(Arc::new(AllowList::new())),
		..Config::new(Keypair::generate_ed25519())
	};
	assert!(matches!(spawn(config).await, Err(ProtocolError::NoHotkey)));
}

#[tokio::test]
async fn oversize_request_fails_on_the_requester_side() {
	let small = Limits { max_request_bytes: 1024, ..Limits::default() };
	let long = "x".repeat(4096);

	// Over the requester's own limit: refused before anything is sent.
	let (requester, responder, mut inbound) = pair(small.clone(), Limits::default()).await;
	let big_query = embed(&requester, &responder, &[&long]);
	let err = query(&requester, &responder, big_query).await.expect_err("too large");
	assert!(
		matches!(&err, QueryError::Io(why) if why.contains("exceeds the limit of 1024 bytes")),
		"{err:?}"
	);
	assert_nothing_received(&mut inbound);

	// Over the responder's limit: the codec rejects it undecoded, the requester gets an error.
	let (requester, responder, mut inbound) = pair(Limits::default(), small).await;
	let big_query = embed(&requester, &responder, &[&long]);
	let err = query(&requester, &responder, big_query).await.expect_err("too large");
	assert!(matches!(err, QueryError::Io(_) | QueryError::ConnectionClosed), "{err:?}");
	if let QueryError::Io(why) = &err {
		assert!(why.contains("closed the stream without sending a response"), "{why}");
	}
	assert_nothing_received(&mut inbound);

	// The connection is still usable for queries within the limits.
	let count = serve(inbound);
	let answer = ask_ok(&requester, &responder, &["small"]).await;
	assert_eq!(Ok(answer), embeddings(&embed(&requester, &responder, &["small"])));
	assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn oversize_answer_is_replaced_by_a_refusal() {
	let limits = Limits { max_response_bytes: 1024, ..Limits::default() };
	let (requester, responder, mut inbound) = pair(Limits::default(), limits).await;
	let ask = query(&requester, &responder, embed(&requester, &responder, &["long"]));
	let (got, ()) = tokio::join!(ask, async {
		let request = within("inbound", inbound.recv()).await.expect("a query");
		request.answer(Answer::Generation {
			model: "test".into(),
			text: "y".repeat(4096),
			logprobs: None,
		});
	});
	let got = got.expect("response");
	assert!(
		matches!(&got, Response::Refused(Refusal::Failed { reason }) if reason.contains("exceeds")),
		"{got:?}"
	);
}

#[tokio::test]
async fn unanswered_query_times_out_within_the_request_timeout() {
	let timeout = Duration::from_millis(500);
	let limits = Limits { request_timeout: timeout, ..Limits::default() };
	let (requester, responder, mut inbound) = pair(limits, Limits::default()).await;
	// Connect first so the measurement is about the query alone.
	within("dial", requester.client.dial(responder.peer, responder.addrs.clone()))
		.await
		.expect("dial");

	let start = Instant::now();
	let sent = embed(&requester, &responder, &["slow"]);
	let ask = requester.client.query(responder.peer, vec![], sent);
	let (result, held) = tokio::join!(within("query", ask), async {
		// Received and held, never answered.
		within("inbound", inbound.recv()).await.expect("a query")
	});
	let elapsed = start.elapsed();
	assert_eq!(result, Err(QueryError::Timeout));
	assert!(elapsed >= timeout, "{elapsed:?}");
	assert!(elapsed < timeout + Duration::from_secs(2), "{elapsed:?}");
	// Answering late is harmless.
	held.refuse(Refusal::Failed { reason: "too late".into() });
}

#[tokio::test]
async fn third_query_in_the_window_is_rate_limited() {
	let limits = Limits { peer_rate: 2, rate_window: Duration::from_secs(60), ..Limits::default() };
	let (requester, responder, inbound) = pair(Limits::default(), limits).await;
	let count = serve(inbound);

	for sentence in ["one", "two"] {
		let answer = ask_ok(&requester, &responder, &[sentence]).await;
		assert_eq!(Ok(answer), embeddings(&embed(&requester, &responder, &[sentence])));
	}
	let got = query(&requester, &responder, embed(&requester, &responder, &["three"]))
		.await
		.expect("response");
	match got {
		// One token per 30 s.
		Response::Refused(Refusal::RateLimited { retry_after_ms }) => {
			assert!((1..=30_000).contains(&retry_after_ms), "{retry_after_ms}")
		},
		other => panic!("expected RateLimited, got {other:?}"),
	}
	assert_eq!(count.load(Ordering::SeqCst), 2, "the refused query never reached the application");
}

#[tokio::test]
async fn busy_when_max_in_flight_reached() {
	let limits = Limits { max_in_flight: 1, ..Limits::default() };
	let (requester, responder, mut inbound) = pair(Limits::default(), limits).await;

	let first_query = embed(&requester, &responder, &["first"]);
	let first = tokio::spawn({
		let client = requester.client.clone();
		let (peer, addrs, sent) = (responder.peer, responder.addrs.clone(), first_query.clone());
		async move { client.query(peer, addrs, sent).await }
	});
	let held = within("inbound", inbound.recv()).await.expect("a query");

	let got = query(&requester, &responder, embed(&requester, &responder, &["second"]))
		.await
		.expect("response");
	assert_eq!(got, Response::Refused(Refusal::Busy));
	assert_nothing_received(&mut inbound);

	// Answering frees the slot.
	let answer = embeddings(&held.query).expect("an embedding task");
	held.answer(answer.clone());
	let got = within("first", first).await.expect("task").expect("response");
	assert_eq!(signed_answer(got, &first_query), answer);

	// So does dropping a query unanswered, which answers `Failed { "dropped" }`.
	let ask = query(&requester, &responder, embed(&requester, &responder, &["dropped"]));
	let (got, ()) = tokio::join!(ask, async {
		drop(within("inbound", inbound.recv()).await.expect("a query"));
	});
	assert_eq!(
		got.expect("response"),
		Response::Refused(Refusal::Failed { reason: "dropped".into() })
	);

	let count = serve(inbound);
	let answer = ask_ok(&requester, &responder, &["third"]).await;
	assert_eq!(Ok(answer), embeddings(&embed(&requester, &responder, &["third"])));
	assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// One validator sending large queries cannot take every slot: `max_in_flight_per_peer`.
#[tokio::test]
async fn one_peer_holds_at_most_its_share_of_the_queue() {
	let limits = Limits { max_in_flight: 8, max_in_flight_per_peer: 1, ..Limits::default() };
	let (requester, responder, mut inbound) = pair(Limits::default(), limits).await;
	let first_query = embed(&requester, &responder, &["first"]);
	let first = tokio::spawn({
		let client = requester.client.clone();
		let (peer, addrs, sent) = (responder.peer, responder.addrs.clone(), first_query.clone());
		async move { client.query(peer, addrs, sent).await }
	});
	let held = within("inbound", inbound.recv()).await.expect("a query");
	// Seven slots are free, but not for this peer.
	let got = query(&requester, &responder, embed(&requester, &responder, &["second"]))
		.await
		.expect("response");
	assert_eq!(got, Response::Refused(Refusal::Busy));
	assert_nothing_received(&mut inbound);
	let answer = embeddings(&held.query).expect("an embedding task");
	held.answer(answer.clone());
	let got = within("first", first).await.expect("task").expect("response");
	assert_eq!(signed_answer(got, &first_query), answer);
	// Its slot is free again.
	let count = serve(inbound);
	let answer = ask_ok(&requester, &responder, &["third"]).await;
	assert_eq!(Ok(answer), embeddings(&embed(&requester, &responder, &["third"])));
	assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn dial_out_miner_is_queried_over_its_own_connection() {
	// The validator listens and answers nobody; the miner publishes no address, dials the
	// validator and authorises it.
	let validator_key = Keypair::generate_ed25519();
	let validator_hotkey = hotkey();
	let allow = AllowList::new();
	allow.set(NETUID, [(validator_key.public().to_peer_id(), Hotkey::of(&validator_hotkey))]);
	let (validator, _) =
		node_as(validator_key, validator_hotkey, true, Limits::default(), None).await;
	let (miner, miner_inbound) =
		node(Keypair::generate_ed25519(), false, Limits::default(), Some(Arc::new(allow))).await;
	assert!(miner.addrs.is_empty());

	within("dial", miner.client.dial(validator.peer, validator.addrs.clone())).await.expect("dial");
	// Dialing again while connected returns at once.
	within("dial", miner.client.dial(validator.peer, vec![])).await.expect("dial");
	assert!(miner.client.connected_peers().await.contains(&validator.peer));
	wait_until_connected(&validator.client, miner.peer).await;

	let count = serve(miner_inbound);
	let sent = embed(&validator, &miner, &["from", "the", "validator"]);
	let got = within("query", validator.client.query(miner.peer, vec![], sent.clone()))
		.await
		.expect("response over the miner's connection");
	assert_eq!(Ok(signed_answer(got, &sent)), embeddings(&sent));
	assert_eq!(count.load(Ordering::SeqCst), 1);

	// The miner cannot query the validator: it answers nobody.
	let back = embed(&miner, &validator, &["x"]);
	let got =
		within("query", miner.client.query(validator.peer, vec![], back)).await.expect("response");
	assert!(matches!(got, Response::Refused(Refusal::NotAuthorised { .. })), "{got:?}");
}

#[tokio::test]
async fn every_response_kind_crosses_the_network() {
	let (requester, responder, mut inbound) = pair(Limits::default(), Limits::default()).await;
	let replies = vec![
		Ok(Answer::Embeddings { model: "m".into(), vectors: vec![vec![1.0, -2.5], vec![]] }),
		Ok(Answer::Generation {
			model: "g".into(),
			text: "text".into(),
			logprobs: Some(vec![-0.25, -3.0]),
		}),
		Ok(Answer::Generation { model: "g".into(), text: String::new(), logprobs: None }),
		Err(Refusal::WrongSubnet { served: 9 }),
		Err(Refusal::BadRequest { reason: "empty".into() }),
		Err(Refusal::Unsupported { task: "generate".into() }),
		Err(Refusal::Failed { reason: "model".into() }),
	];
	for (i, reply) in replies.into_iter().enumerate() {
		let sent = if i % 2 == 0 {
			embed(&requester, &responder, &["a", "b"])
		} else {
			let task = TaskRequest::Generate { prompt: "p".into(), max_tokens: 8, logprobs: true };
			Query::signed(NETUID, responder.hotkey, nonce(), task, &requester.key)
		};
		let ask = query(&requester, &responder, sent.clone());
		let (got, ()) = tokio::join!(ask, async {
			let request = within("inbound", inbound.recv()).await.expect("a query");
			assert_eq!(request.query, sent);
			request.reply(reply.clone());
		});
		match (got.expect("response"), reply) {
			(got @ Response::Ok(_), Ok(answer)) => assert_eq!(signed_answer(got, &sent), answer),
			(Response::Refused(got), Err(refusal)) => assert_eq!(got, refusal),
			(got, reply) => panic!("sent {reply:?}, got {got:?}"),
		}
	}
}

#[tokio::test]
async fn dial_failures_are_reported() {
	let (client, _) = node(Keypair::generate_ed25519(), false, Limits::default(), None).await;
	// A port nobody listens on.
	let port = {
		let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
		listener.local_addr().expect("address").port()
	};
	let addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().expect("multiaddr");
	let nobody = PeerId::random();
	let err = within("dial", client.client.dial(nobody, vec![addr.clone()]))
		.await
		.expect_err("nobody there");
	assert!(matches!(err, QueryError::DialFailure(_)), "{err:?}");
	let err =
		within("query", client.client.query(nobody, vec![addr], embed(&client, &client, &["x"])))
			.await
			.expect_err("nobody there");
	assert!(matches!(err, QueryError::DialFailure(_)), "{err:?}");
	// No address at all.
	let sent = embed(&client, &client, &["x"]);
	let err = within("query", client.client.query(PeerId::random(), vec![], sent))
		.await
		.expect_err("no address");
	assert!(matches!(err, QueryError::DialFailure(_)), "{err:?}");
}

#[tokio::test]
async fn shutdown_stops_everything() {
	let (requester, responder, mut inbound) = pair(Limits::default(), Limits::default()).await;
	// A query in flight, held by the responder's application.
	let in_flight = tokio::spawn({
		let client = requester.client.clone();
		let (peer, addrs) = (responder.peer, responder.addrs.clone());
		let sent = embed(&requester, &responder, &["held"]);
		async move { client.query(peer, addrs, sent).await }
	});
	let held = within("inbound", inbound.recv()).await.expect("a query");

	within("shutdown", responder.client.shutdown()).await;
	assert!(!held.is_pending());
	// The requester sees the connection close under its query.
	let err = within("in flight", in_flight).await.expect("task").expect_err("responder gone");
	assert!(matches!(err, QueryError::ConnectionClosed | QueryError::Io(_)), "{err:?}");
	// The application's receiver ends.
	assert!(within("receiver", inbound.recv()).await.is_none());
	let client = &responder.client;
	assert_eq!(
		client.query(requester.peer, vec![], embed(&responder, &requester, &["x"])).await,
		Err(QueryError::Shutdown)
	);
	assert_eq!(client.dial(requester.peer, vec![]).await, Err(QueryError::Shutdown));
	assert_eq!(client.listen_addrs().await, Err(QueryError::Shutdown));
	assert!(client.connected_peers().await.is_empty());
	// Idempotent.
	within("shutdown again", client.clone().shutdown()).await;

	wait_until_disconnected(&requester.client, responder.peer).await;
	let err = query(&requester, &responder, embed(&requester, &responder, &["x"]))
		.await
		.expect_err("responder gone");
	assert!(matches!(err, QueryError::DialFailure(_)), "{err:?}");

	// The requester's own queries fail with `Shutdown` once it stops.
	within("shutdown", requester.client.shutdown()).await;
	let err = query(&requester, &responder, embed(&requester, &responder, &["x"]))
		.await
		.expect_err("stopped");
	assert_eq!(err, QueryError::Shutdown);
}

#[tokio::test]
async fn node_serves_while_its_receiver_is_held_without_clients() {
	let (requester, responder, inbound) = pair(Limits::default(), Limits::default()).await;
	let still = embed(&requester, &responder, &["still"]);
	let later = embed(&requester, &responder, &["x"]);
	let Node { client, peer, addrs, .. } = responder;
	drop(client);
	let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
	tokio::spawn(async move {
		let mut inbound = inbound;
		let request = inbound.recv().await.expect("a query");
		let answer = embeddings(&request.query);
		request.reply(answer);
		// Dropping the last handle stops the node.
		let _ = stopped.await;
		drop(inbound);
	});
	let got = within("query", requester.client.query(peer, addrs.clone(), still.clone()))
		.await
		.expect("response");
	assert_eq!(Ok(signed_answer(got, &still)), embeddings(&still));

	let _ = stop.send(());
	within("node stops", async {
		loop {
			match requester.client.query(peer, addrs.clone(), later.clone()).await {
				Err(QueryError::DialFailure(_)) => break,
				_ => tokio::time::sleep(Duration::from_millis(10)).await,
			}
		}
	})
	.await;
}

#[tokio::test]
async fn unusable_listen_address_is_an_error() {
	let addr: Multiaddr = "/ip4/127.0.0.1/udp/0/quic-v1".parse().expect("multiaddr");
	let config = Config { listen: vec![addr.clone()], ..Config::new(Keypair::generate_ed25519()) };
	match spawn(config).await {
		Err(ProtocolError::Listen { addr: failed, .. }) => assert_eq!(failed, addr),
		Err(e) => panic!("unexpected error {e}"),
		Ok(_) => panic!("listening on QUIC should fail without a QUIC transport"),
	}
}
