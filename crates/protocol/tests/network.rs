//! In-process nodes on 127.0.0.1 talking to each other.

use std::{
	future::Future,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::Duration,
};

use agora_protocol::{
	spawn, AllowList, Answer, Authorizer, Client, Config, Inbound, Limits, ProtocolError, Query,
	QueryError, Refusal, Response, TaskRequest,
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
}

fn loopback() -> Multiaddr {
	"/ip4/127.0.0.1/tcp/0".parse().expect("valid multiaddr")
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
	let config = Config {
		keypair,
		listen: if listen { vec![loopback()] } else { vec![] },
		limits,
		authorizer,
	};
	let (client, inbound) = spawn(config).await.expect("node starts");
	let addrs = within("listen_addrs", client.listen_addrs()).await.expect("listen addresses");
	assert_eq!(addrs.is_empty(), !listen);
	(Node { peer: client.local_peer_id(), client, addrs }, inbound)
}

/// A requester (no listen address, answers nobody) and a responder (listening) that authorises
/// the requester on [`NETUID`].
async fn pair(
	requester_limits: Limits,
	responder_limits: Limits,
) -> (Node, Node, Receiver<Inbound>) {
	let key = Keypair::generate_ed25519();
	let allow = AllowList::new();
	allow.set(NETUID, [key.public().to_peer_id()]);
	let (requester, _) = node(key, false, requester_limits, None).await;
	let (responder, inbound) =
		node(Keypair::generate_ed25519(), true, responder_limits, Some(Arc::new(allow))).await;
	(requester, responder, inbound)
}

fn embed(sentences: &[&str]) -> Query {
	Query {
		netuid: NETUID,
		task: TaskRequest::Embed { sentences: sentences.iter().map(|s| s.to_string()).collect() },
	}
}

fn embeddings(query: &Query) -> Response {
	let TaskRequest::Embed { sentences } = &query.task else {
		return Response::Refused(Refusal::Unsupported { task: query.task.kind().into() });
	};
	Response::Ok(Answer::Embeddings {
		model: "test".into(),
		vectors: sentences.iter().map(|s| vec![s.len() as f32, 0.5, -1.0]).collect(),
	})
}

/// Answers every inbound query with [`embeddings`]; counts them.
fn serve(mut inbound: Receiver<Inbound>) -> Arc<AtomicUsize> {
	let count = Arc::new(AtomicUsize::new(0));
	let counted = count.clone();
	tokio::spawn(async move {
		while let Some(query) = inbound.recv().await {
			counted.fetch_add(1, Ordering::SeqCst);
			let response = embeddings(&query.query);
			query.respond(response);
		}
	});
	count
}

async fn query(from: &Node, to: &Node, query: Query) -> Result<Response, QueryError> {
	within("query", from.client.query(to.peer, to.addrs.clone(), query)).await
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

#[tokio::test]
async fn authorised_query_reaches_the_application_and_its_answer_returns() {
	let (requester, responder, mut inbound) = pair(Limits::default(), Limits::default()).await;
	let sent = embed(&["hello", "world!"]);
	let ask = tokio::spawn({
		let client = requester.client.clone();
		let (peer, addrs, sent) = (responder.peer, responder.addrs.clone(), sent.clone());
		async move { client.query(peer, addrs, sent).await }
	});

	let request = within("inbound", inbound.recv()).await.expect("a query");
	assert_eq!(request.peer, requester.peer);
	assert_eq!(request.query, sent);
	assert!(request.is_pending());
	let answer = embeddings(&request.query);
	request.respond(answer.clone());

	let got = within("answer", ask).await.expect("task").expect("response");
	assert_eq!(got, answer);
	assert!(requester.client.connected_peers().await.contains(&responder.peer));

	// A second query reuses the connection, with no address given.
	let ask = requester.client.query(responder.peer, vec![], embed(&["again"]));
	let (got, answer) = tokio::join!(within("second query", ask), async {
		let request = within("inbound", inbound.recv()).await.expect("a query");
		let answer = embeddings(&request.query);
		request.respond(answer.clone());
		answer
	});
	assert_eq!(got.expect("response"), answer);
}

#[tokio::test]
async fn unauthorised_peer_is_refused_before_the_application() {
	let (requester, responder, mut inbound) = pair(Limits::default(), Limits::default()).await;
	let (stranger, _) = node(Keypair::generate_ed25519(), false, Limits::default(), None).await;

	let got = query(&stranger, &responder, embed(&["hi"])).await.expect("response");
	assert!(
		matches!(&got, Response::Refused(Refusal::NotAuthorised { reason }) if reason.contains(&stranger.peer.to_string())),
		"{got:?}"
	);
	// The requester is authorised on NETUID only.
	let mut other_subnet = embed(&["hi"]);
	other_subnet.netuid = NETUID + 1;
	let got = query(&requester, &responder, other_subnet).await.expect("response");
	assert!(matches!(got, Response::Refused(Refusal::NotAuthorised { .. })), "{got:?}");

	assert_nothing_received(&mut inbound);
}

#[tokio::test]
async fn no_authorizer_refuses_everything() {
	let key = Keypair::generate_ed25519();
	let (closed, mut inbound) = node(key, true, Limits::default(), None).await;
	let (asker, _) = node(Keypair::generate_ed25519(), false, Limits::default(), None).await;
	for task in [
		TaskRequest::Embed { sentences: vec!["x".into()] },
		TaskRequest::Generate { prompt: "p".into(), max_tokens: 1, logprobs: false },
	] {
		let got = query(&asker, &closed, Query { netuid: 0, task }).await.expect("response");
		assert!(matches!(got, Response::Refused(Refusal::NotAuthorised { .. })), "{got:?}");
	}
	assert_nothing_received(&mut inbound);
}

#[tokio::test]
async fn oversize_request_fails_on_the_requester_side() {
	let small = Limits { max_request_bytes: 1024, ..Limits::default() };
	let big_query = embed(&[&"x".repeat(4096)]);

	// Over the requester's own limit: refused before anything is sent.
	let (requester, responder, mut inbound) = pair(small.clone(), Limits::default()).await;
	let err = query(&requester, &responder, big_query.clone()).await.expect_err("too large");
	assert!(
		matches!(&err, QueryError::Io(why) if why.contains("exceeds the limit of 1024 bytes")),
		"{err:?}"
	);
	assert_nothing_received(&mut inbound);

	// Over the responder's limit: the codec rejects it undecoded, the requester gets an error.
	let (requester, responder, mut inbound) = pair(Limits::default(), small).await;
	let err = query(&requester, &responder, big_query).await.expect_err("too large");
	assert!(matches!(err, QueryError::Io(_) | QueryError::ConnectionClosed), "{err:?}");
	if let QueryError::Io(why) = &err {
		assert!(why.contains("closed the stream without sending a response"), "{why}");
	}
	assert_nothing_received(&mut inbound);

	// The connection is still usable for queries within the limits.
	let count = serve(inbound);
	let got = query(&requester, &responder, embed(&["small"])).await.expect("response");
	assert_eq!(got, embeddings(&embed(&["small"])));
	assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn oversize_answer_is_replaced_by_a_refusal() {
	let limits = Limits { max_response_bytes: 1024, ..Limits::default() };
	let (requester, responder, mut inbound) = pair(Limits::default(), limits).await;
	let ask = query(&requester, &responder, embed(&["long"]));
	let (got, ()) = tokio::join!(ask, async {
		let request = within("inbound", inbound.recv()).await.expect("a query");
		request.respond(Response::Ok(Answer::Generation {
			model: "test".into(),
			text: "y".repeat(4096),
			logprobs: None,
		}));
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
	let ask = requester.client.query(responder.peer, vec![], embed(&["slow"]));
	let (result, held) = tokio::join!(within("query", ask), async {
		// Received and held, never answered.
		within("inbound", inbound.recv()).await.expect("a query")
	});
	let elapsed = start.elapsed();
	assert_eq!(result, Err(QueryError::Timeout));
	assert!(elapsed >= timeout, "{elapsed:?}");
	assert!(elapsed < timeout + Duration::from_secs(2), "{elapsed:?}");
	// Answering late is harmless.
	held.respond(Response::Refused(Refusal::Failed { reason: "too late".into() }));
}

#[tokio::test]
async fn third_query_in_the_window_is_rate_limited() {
	let limits = Limits { peer_rate: 2, rate_window: Duration::from_secs(60), ..Limits::default() };
	let (requester, responder, inbound) = pair(Limits::default(), limits).await;
	let count = serve(inbound);

	for sentence in ["one", "two"] {
		let got = query(&requester, &responder, embed(&[sentence])).await.expect("response");
		assert_eq!(got, embeddings(&embed(&[sentence])));
	}
	let got = query(&requester, &responder, embed(&["three"])).await.expect("response");
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

	let first = tokio::spawn({
		let client = requester.client.clone();
		let (peer, addrs) = (responder.peer, responder.addrs.clone());
		async move { client.query(peer, addrs, embed(&["first"])).await }
	});
	let held = within("inbound", inbound.recv()).await.expect("a query");

	let got = query(&requester, &responder, embed(&["second"])).await.expect("response");
	assert_eq!(got, Response::Refused(Refusal::Busy));
	assert_nothing_received(&mut inbound);

	// Answering frees the slot.
	let answer = embeddings(&held.query);
	held.respond(answer.clone());
	assert_eq!(within("first", first).await.expect("task").expect("response"), answer);

	// So does dropping a query unanswered, which answers `Failed { "dropped" }`.
	let ask = query(&requester, &responder, embed(&["dropped"]));
	let (got, ()) = tokio::join!(ask, async {
		drop(within("inbound", inbound.recv()).await.expect("a query"));
	});
	assert_eq!(
		got.expect("response"),
		Response::Refused(Refusal::Failed { reason: "dropped".into() })
	);

	let count = serve(inbound);
	let got = query(&requester, &responder, embed(&["third"])).await.expect("response");
	assert_eq!(got, embeddings(&embed(&["third"])));
	assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn dial_out_miner_is_queried_over_its_own_connection() {
	// The validator listens and answers nobody; the miner publishes no address, dials the
	// validator and authorises it.
	let validator_key = Keypair::generate_ed25519();
	let allow = AllowList::new();
	allow.set(NETUID, [validator_key.public().to_peer_id()]);
	let (validator, _) = node(validator_key, true, Limits::default(), None).await;
	let (miner, miner_inbound) =
		node(Keypair::generate_ed25519(), false, Limits::default(), Some(Arc::new(allow))).await;
	assert!(miner.addrs.is_empty());

	within("dial", miner.client.dial(validator.peer, validator.addrs.clone())).await.expect("dial");
	// Dialing again while connected returns at once.
	within("dial", miner.client.dial(validator.peer, vec![])).await.expect("dial");
	assert!(miner.client.connected_peers().await.contains(&validator.peer));
	wait_until_connected(&validator.client, miner.peer).await;

	let count = serve(miner_inbound);
	let sent = embed(&["from", "the", "validator"]);
	let got = within("query", validator.client.query(miner.peer, vec![], sent.clone()))
		.await
		.expect("response over the miner's connection");
	assert_eq!(got, embeddings(&sent));
	assert_eq!(count.load(Ordering::SeqCst), 1);

	// The miner cannot query the validator: it answers nobody.
	let got =
		within("query", miner.client.query(validator.peer, vec![], sent)).await.expect("response");
	assert!(matches!(got, Response::Refused(Refusal::NotAuthorised { .. })), "{got:?}");
}

#[tokio::test]
async fn every_response_kind_crosses_the_network() {
	let (requester, responder, mut inbound) = pair(Limits::default(), Limits::default()).await;
	let responses = vec![
		Response::Ok(Answer::Embeddings {
			model: "m".into(),
			vectors: vec![vec![1.0, -2.5], vec![]],
		}),
		Response::Ok(Answer::Generation {
			model: "g".into(),
			text: "text".into(),
			logprobs: Some(vec![-0.25, -3.0]),
		}),
		Response::Ok(Answer::Generation { model: "g".into(), text: String::new(), logprobs: None }),
		Response::Refused(Refusal::WrongSubnet { served: 9 }),
		Response::Refused(Refusal::BadRequest { reason: "empty".into() }),
		Response::Refused(Refusal::Unsupported { task: "generate".into() }),
		Response::Refused(Refusal::Failed { reason: "model".into() }),
	];
	let queries = [
		embed(&["a", "b"]),
		Query {
			netuid: NETUID,
			task: TaskRequest::Generate { prompt: "p".into(), max_tokens: 8, logprobs: true },
		},
	];
	for (i, response) in responses.into_iter().enumerate() {
		let sent = queries[i % 2].clone();
		let ask = query(&requester, &responder, sent.clone());
		let (got, ()) = tokio::join!(ask, async {
			let request = within("inbound", inbound.recv()).await.expect("a query");
			assert_eq!(request.query, sent);
			request.respond(response.clone());
		});
		assert_eq!(got.expect("response"), response);
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
	let err = within("query", client.client.query(nobody, vec![addr], embed(&["x"])))
		.await
		.expect_err("nobody there");
	assert!(matches!(err, QueryError::DialFailure(_)), "{err:?}");
	// No address at all.
	let err = within("query", client.client.query(PeerId::random(), vec![], embed(&["x"])))
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
		async move { client.query(peer, addrs, embed(&["held"])).await }
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
		client.query(requester.peer, vec![], embed(&["x"])).await,
		Err(QueryError::Shutdown)
	);
	assert_eq!(client.dial(requester.peer, vec![]).await, Err(QueryError::Shutdown));
	assert_eq!(client.listen_addrs().await, Err(QueryError::Shutdown));
	assert!(client.connected_peers().await.is_empty());
	// Idempotent.
	within("shutdown again", client.clone().shutdown()).await;

	within("disconnect", async {
		while requester.client.connected_peers().await.contains(&responder.peer) {
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
	})
	.await;
	let err = query(&requester, &responder, embed(&["x"])).await.expect_err("responder gone");
	assert!(matches!(err, QueryError::DialFailure(_)), "{err:?}");

	// The requester's own queries fail with `Shutdown` once it stops.
	within("shutdown", requester.client.shutdown()).await;
	let err = query(&requester, &responder, embed(&["x"])).await.expect_err("stopped");
	assert_eq!(err, QueryError::Shutdown);
}

#[tokio::test]
async fn node_serves_while_its_receiver_is_held_without_clients() {
	let (requester, responder, inbound) = pair(Limits::default(), Limits::default()).await;
	let Node { client, peer, addrs } = responder;
	drop(client);
	let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
	tokio::spawn(async move {
		let mut inbound = inbound;
		let request = inbound.recv().await.expect("a query");
		let answer = embeddings(&request.query);
		request.respond(answer);
		// Dropping the last handle stops the node.
		let _ = stopped.await;
		drop(inbound);
	});
	let got = within("query", requester.client.query(peer, addrs.clone(), embed(&["still"])))
		.await
		.expect("response");
	assert_eq!(got, embeddings(&embed(&["still"])));

	let _ = stop.send(());
	within("node stops", async {
		loop {
			match requester.client.query(peer, addrs.clone(), embed(&["x"])).await {
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
