//! Query round trip over libp2p on loopback, without a model: a validator node queries a miner
//! node (TCP + Noise + Yamux, CBOR, authorised by an allow-list) whose application answers at
//! once with 12 embeddings of 384 floats, the size of a MiniLM answer to a 12-document
//! challenge. Prints p50 / p90 / p99 / max of sequential round trips, then the throughput of 8
//! concurrent streams.
//!
//! `cargo bench -p agora-protocol --bench roundtrip` (`ROUNDTRIPS=N` to change the count).

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use agora_protocol::{AllowList, Answer, Config, Limits, Query, Response, TaskRequest};
use libp2p::identity::Keypair;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
	let n: usize = std::env::var("ROUNDTRIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
	let limits = Limits { peer_rate: 0, max_in_flight: 64, ..Limits::default() };
	let validator_key = Keypair::generate_ed25519();
	let allow = AllowList::new();
	allow.set(1, [validator_key.public().to_peer_id()]);
	let mut miner_config = Config::new(Keypair::generate_ed25519());
	miner_config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse()?];
	miner_config.limits = limits.clone();
	miner_config.authorizer = Some(Arc::new(allow));
	let (miner, mut inbound) = agora_protocol::spawn(miner_config).await?;
	let vectors = vec![vec![0.05f32; 384]; 12];
	tokio::spawn(async move {
		while let Some(q) = inbound.recv().await {
			q.respond(Response::Ok(Answer::Embeddings {
				model: "bench".into(),
				vectors: vectors.clone(),
			}));
		}
	});
	let mut validator_config = Config::new(validator_key);
	validator_config.limits = limits;
	let (validator, _) = agora_protocol::spawn(validator_config).await?;
	let addrs = miner.listen_addrs().await?;
	let peer = miner.local_peer_id();
	let query = Query {
		netuid: 1,
		task: TaskRequest::Embed {
			sentences: vec!["a sentence of a dozen words or so".into(); 12],
		},
	};
	let ask = || validator.query(peer, addrs.clone(), query.clone());
	for _ in 0..100 {
		ask().await?;
	}
	let mut times = Vec::with_capacity(n);
	for _ in 0..n {
		let t = Instant::now();
		match ask().await? {
			Response::Ok(_) => times.push(t.elapsed()),
			Response::Refused(r) => return Err(format!("refused: {r}").into()),
		}
	}
	times.sort();
	let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
	let ms = |d: Duration| d.as_secs_f64() * 1e3;
	println!(
		"sequential round trip, {n} queries: p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
		ms(at(0.5)),
		ms(at(0.9)),
		ms(at(0.99)),
		ms(at(1.0))
	);
	let started = Instant::now();
	let workers: Vec<_> = (0..8)
		.map(|_| {
			let (validator, addrs, query) = (validator.clone(), addrs.clone(), query.clone());
			tokio::spawn(async move {
				for _ in 0..n / 8 {
					validator.query(peer, addrs.clone(), query.clone()).await?;
				}
				Ok::<_, agora_protocol::QueryError>(())
			})
		})
		.collect();
	for w in workers {
		w.await??;
	}
	let took = started.elapsed();
	println!(
		"8 concurrent streams: {} queries in {:.2} s = {:.0} queries/s",
		n / 8 * 8,
		took.as_secs_f64(),
		(n / 8 * 8) as f64 / took.as_secs_f64()
	);
	validator.shutdown().await;
	miner.shutdown().await;
	Ok(())
}
