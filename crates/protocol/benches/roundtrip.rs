//! Query round trip over libp2p on loopback, without a model: a validator node queries a miner
//! node (TCP + Noise + Yamux, CBOR, authorised by an allow-list) whose application answers at
//! once with 12 embeddings of 384 floats, the size of a MiniLM answer to a 12-document
//! challenge. Every query is signed by the validator's hotkey (sr25519) and verified by the
//! miner's event loop; every answer is signed by the miner's hotkey and verified by the
//! validator, all inside the timed round trip. Prints p50 / p90 / p99 / max of sequential round
//! trips, then the throughput of 8 concurrent streams.
//!
//! `cargo bench --workspace --bench roundtrip` (`ROUNDTRIPS=N` to change the count).

use std::{
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use agora_protocol::{
	AllowList, Answer, Client, Config, Hotkey, HotkeyPair, Limits, Query, Response, TaskRequest,
};
use libp2p::{identity::Keypair, Multiaddr, PeerId};

/// Sends one signed query and checks the signed answer.
struct Asker {
	validator: Client,
	key: HotkeyPair,
	miner: Hotkey,
	peer: PeerId,
	addrs: Vec<Multiaddr>,
	task: TaskRequest,
	nonce: AtomicU64,
}

impl Asker {
	async fn ask(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
		let nonce = self.nonce.fetch_add(1, Ordering::Relaxed);
		let query = Query::signed(1, self.miner, nonce, self.task.clone(), &self.key);
		match self.validator.query(self.peer, self.addrs.clone(), query.clone()).await? {
			Response::Ok(answer) if answer.verify(&query) => Ok(()),
			Response::Ok(_) => Err("bad answer signature".into()),
			Response::Refused(r) => Err(format!("refused: {r}").into()),
		}
	}
}

/// User + system CPU time of this process so far, in seconds (Linux).
fn cpu_seconds() -> Option<f64> {
	let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
	let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
	// utime and stime, fields 14 and 15 of the line, in clock ticks (100 a second).
	let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
	Some(ticks as f64 / 100.0)
}

/// The CPU time of each signing step alone, on one core.
fn costs(asker: &Asker, miner: &HotkeyPair) {
	let reps = 500;
	let time = |what: &str, f: &mut dyn FnMut()| {
		let t = Instant::now();
		for _ in 0..reps {
			f();
		}
		println!("{what}: {:.1} µs", t.elapsed().as_secs_f64() * 1e6 / f64::from(reps));
	};
	let query = Query::signed(1, asker.miner, 0, asker.task.clone(), &asker.key);
	let answer =
		Answer::Embeddings { model: "bench".into(), vectors: vec![vec![0.05f32; 384]; 12] };
	let signed = agora_protocol::SignedAnswer::sign(answer.clone(), &query, miner);
	time("sign a query (validator)", &mut || {
		std::hint::black_box(Query::signed(1, asker.miner, 0, asker.task.clone(), &asker.key));
	});
	time("verify a query (miner's event loop)", &mut || {
		assert!(std::hint::black_box(&query).verify());
	});
	time("sign an answer (miner's application)", &mut || {
		std::hint::black_box(agora_protocol::SignedAnswer::sign(answer.clone(), &query, miner));
	});
	time("verify an answer (validator)", &mut || {
		assert!(std::hint::black_box(&signed).verify(&query));
	});
	time("  of which the answer's CBOR + BLAKE2b-256", &mut || {
		let bytes = agora_protocol::to_cbor(&answer).unwrap_or_default();
		std::hint::black_box(agora_protocol::blake2_256(&bytes));
	});
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
	let n: usize = std::env::var("ROUNDTRIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
	let limits = Limits { peer_rate: 0, max_in_flight: 64, ..Limits::default() };
	let validator_key = Keypair::generate_ed25519();
	let validator_hotkey = HotkeyPair::from_uri(&"//BenchValidator".parse()?)?;
	let miner_hotkey = HotkeyPair::from_uri(&"//BenchMiner".parse()?)?;
	let allow = AllowList::new();
	allow.set(1, [(validator_key.public().to_peer_id(), Hotkey::of(&validator_hotkey))]);
	let mut miner_config = Config::new(Keypair::generate_ed25519());
	miner_config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse()?];
	miner_config.limits = limits.clone();
	miner_config.authorizer = Some(Arc::new(allow));
	miner_config.hotkey = Some(miner_hotkey.clone());
	let (miner, mut inbound) = agora_protocol::spawn(miner_config).await?;
	let vectors = vec![vec![0.05f32; 384]; 12];
	tokio::spawn(async move {
		while let Some(q) = inbound.recv().await {
			// Signed with the miner's hotkey on this task, as a miner's application does.
			q.answer(Answer::Embeddings { model: "bench".into(), vectors: vectors.clone() });
		}
	});
	let mut validator_config = Config::new(validator_key);
	validator_config.limits = limits;
	let (validator, _) = agora_protocol::spawn(validator_config).await?;
	let asker = Arc::new(Asker {
		validator: validator.clone(),
		key: validator_hotkey,
		miner: Hotkey::of(&miner_hotkey),
		peer: miner.local_peer_id(),
		addrs: miner.listen_addrs().await?,
		task: TaskRequest::Embed {
			sentences: vec!["a sentence of a dozen words or so".into(); 12],
		},
		nonce: AtomicU64::new(0),
	});
	costs(&asker, &miner_hotkey);
	for _ in 0..100 {
		asker.ask().await?;
	}
	let mut times = Vec::with_capacity(n);
	for _ in 0..n {
		let t = Instant::now();
		asker.ask().await?;
		times.push(t.elapsed());
	}
	times.sort();
	let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
	let ms = |d: Duration| d.as_secs_f64() * 1e3;
	println!(
		"sequential signed round trip, {n} queries: p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max \
		 {:.3} ms",
		ms(at(0.5)),
		ms(at(0.9)),
		ms(at(0.99)),
		ms(at(1.0))
	);
	let cpu_before = cpu_seconds();
	let started = Instant::now();
	let workers: Vec<_> = (0..8)
		.map(|_| {
			let asker = asker.clone();
			tokio::spawn(async move {
				for _ in 0..n / 8 {
					asker.ask().await?;
				}
				Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
			})
		})
		.collect();
	for w in workers {
		w.await??;
	}
	let took = started.elapsed();
	let queries = (n / 8 * 8) as f64;
	println!(
		"8 concurrent streams: {} signed queries in {:.2} s = {:.0} queries/s",
		n / 8 * 8,
		took.as_secs_f64(),
		queries / took.as_secs_f64()
	);
	// CPU time is what other load on the machine does not inflate: the rate two idle cores
	// would sustain for both nodes together.
	if let (Some(before), Some(after)) = (cpu_before, cpu_seconds()) {
		let per_query = (after - before) / queries;
		println!(
			"  CPU of both nodes: {:.0} µs a query (user + system), i.e. at most {:.0} queries/s \
			 on 2 idle cores",
			per_query * 1e6,
			2.0 / per_query
		);
	}
	validator.shutdown().await;
	miner.shutdown().await;
	Ok(())
}
