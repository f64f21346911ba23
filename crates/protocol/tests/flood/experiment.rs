//! The unauthorised-flood experiment, shared by the `flood` bench (which measures it) and the
//! `flood` integration test (which runs it briefly and asserts what does not depend on timing).
//!
//! The miner node runs in a child process (the calling binary re-executed with [`CHILD`] set)
//! whose allow list holds one validator. The parent runs that validator, querying steadily (one
//! signed query every [`PACE`], each answer verified), alone or while unauthorised peers each
//! send signed 1 MiB queries in a loop. Each [`phase`] has a fresh child, which reports, once its
//! stdin is closed, its peak RSS (`VmHWM`), its CPU time and how many queries reached its
//! application.

use std::{
	ffi::OsStr,
	io::{BufRead, Write},
	process::Stdio,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use agora_protocol::{
	AllowList, Answer, Config, Hotkey, HotkeyPair, Limits, Query, Response, TaskRequest,
};
use libp2p::{identity::Keypair, Multiaddr, PeerId};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

pub(crate) type Error = Box<dyn std::error::Error + Send + Sync>;

/// Set in the child's environment: the process is the miner.
pub(crate) const CHILD: &str = "AGORA_FLOOD_CHILD";
const NETUID: u16 = 1;
/// Between two queries of the authorised validator.
pub(crate) const PACE: Duration = Duration::from_millis(5);
/// The size of the flooders' requests: 1 MiB, just within the miner's request limit.
const FLOOD_BYTES: usize = 1024 * 1024 - 256;
/// Starts each line the child reports (a test harness may print other things on its stdout).
const MARK: &str = "agora-flood-child:";

fn validator_peer_key() -> Result<Keypair, Error> {
	Ok(Keypair::ed25519_from_bytes([7u8; 32])?)
}

fn hotkey(uri: &str) -> Result<HotkeyPair, Error> {
	Ok(HotkeyPair::from_uri(&uri.parse()?)?)
}

/// The runtime of both processes: 2 worker threads, as a miner on a small machine.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
	Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// The miner: serves the validator and reports its address, then, when stdin closes, its peak
/// RSS, CPU time and how many queries reached its application.
pub(crate) fn child() -> Result<(), Error> {
	let runtime = runtime()?;
	let allow = AllowList::new();
	let validator = hotkey("//FloodValidator")?;
	allow.set(NETUID, [(validator_peer_key()?.public().to_peer_id(), Hotkey::of(&validator))]);
	let mut config = Config::new(Keypair::generate_ed25519());
	config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse()?];
	config.limits = Limits { peer_rate: 0, ..Limits::default() };
	config.authorizer = Some(Arc::new(allow));
	config.hotkey = Some(hotkey("//FloodMiner")?);
	let received = Arc::new(AtomicU64::new(0));
	let counted = received.clone();
	let (client, addrs) = runtime.block_on(async move {
		let (client, mut inbound) = agora_protocol::spawn(config).await?;
		let vectors = vec![vec![0.05f32; 384]; 12];
		tokio::spawn(async move {
			while let Some(q) = inbound.recv().await {
				counted.fetch_add(1, Ordering::Relaxed);
				q.answer(Answer::Embeddings { model: "flood".into(), vectors: vectors.clone() });
			}
		});
		let addrs = client.listen_addrs().await?;
		Ok::<_, Error>((client, addrs))
	})?;
	let mut out = std::io::stdout().lock();
	// A newline first: a test harness may have left its line open ("test name ... ").
	writeln!(out)?;
	writeln!(out, "{MARK} PEER {}", client.local_peer_id())?;
	writeln!(out, "{MARK} ADDR {}", addrs.first().ok_or("no listen address")?)?;
	out.flush()?;
	// Serve until the parent closes stdin.
	for line in std::io::stdin().lock().lines() {
		line?;
	}
	runtime.block_on(client.shutdown());
	writeln!(out, "{MARK} RECEIVED {}", received.load(Ordering::Relaxed))?;
	writeln!(out, "{MARK} CPU_S {:.2}", cpu_seconds()?)?;
	writeln!(out, "{MARK} VMHWM_KB {}", peak_rss_kb()?)?;
	out.flush()?;
	Ok(())
}

fn peak_rss_kb() -> Result<u64, Error> {
	let status = std::fs::read_to_string("/proc/self/status")?;
	let line = status.lines().find(|l| l.starts_with("VmHWM:")).ok_or("no VmHWM")?;
	Ok(line.split_whitespace().nth(1).ok_or("VmHWM")?.parse()?)
}

/// User + system CPU time of this process, in seconds.
fn cpu_seconds() -> Result<f64, Error> {
	let stat = std::fs::read_to_string("/proc/self/stat")?;
	// The fields after the command name (which is in parentheses and may hold spaces).
	let rest = stat.rsplit_once(')').ok_or("stat")?.1;
	let fields: Vec<&str> = rest.split_whitespace().collect();
	// utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second).
	let ticks: u64 = fields.get(11).ok_or("utime")?.parse::<u64>()?
		+ fields.get(12).ok_or("stime")?.parse::<u64>()?;
	Ok(ticks as f64 / 100.0)
}

/// What one phase measured.
pub(crate) struct Phase {
	/// Of the authorised validator's answered queries (signature verified), sorted.
	pub(crate) latencies: Vec<Duration>,
	/// The authorised validator's queries that failed or were not validly answered.
	pub(crate) failures: u64,
	/// Queries that reached the miner's application.
	pub(crate) received: u64,
	pub(crate) flood_attempts: u64,
	pub(crate) flood_answered: u64,
	pub(crate) peak_rss_kb: u64,
	pub(crate) cpu_s: f64,
}

impl Phase {
	/// The latency at quantile `q` (0 to 1), in ms.
	pub(crate) fn ms_at(&self, q: f64) -> f64 {
		let v = &self.latencies;
		if v.is_empty() {
			return f64::NAN;
		}
		v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3
	}
}

/// Prints both phases as a table.
pub(crate) fn report(quiet: &Phase, flood: &Phase, flooders: usize, run: Duration) {
	println!(
		"authorised validator, one signed query every {} ms for {:.1} s; miner in a child process",
		PACE.as_millis(),
		run.as_secs_f64()
	);
	println!(
		"{:<28} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>14} {:>10}",
		"phase",
		"answers",
		"failed",
		"miner app",
		"p50 ms",
		"p99 ms",
		"max ms",
		"miner VmHWM",
		"miner CPU"
	);
	for (name, p) in
		[("no flood".to_string(), quiet), (format!("{flooders} peers x 1 MiB flood"), flood)]
	{
		println!(
			"{:<28} {:>8} {:>8} {:>9} {:>8.3} {:>8.3} {:>8.3} {:>11} kB {:>8.2} s",
			name,
			p.latencies.len(),
			p.failures,
			p.received,
			p.ms_at(0.5),
			p.ms_at(0.99),
			p.ms_at(1.0),
			p.peak_rss_kb,
			p.cpu_s
		);
	}
	println!(
		"flood: {} requests of 1 MiB attempted ({:.0}/s), {} answered",
		flood.flood_attempts,
		flood.flood_attempts as f64 / run.as_secs_f64(),
		flood.flood_answered
	);
}

/// One phase: a fresh miner (this executable run with `child_args` and [`CHILD`] set), the
/// authorised validator querying it for `run`, and meanwhile `flooders` unauthorised peers
/// sending 1 MiB queries.
pub(crate) async fn phase(
	child_args: &[&str],
	flooders: usize,
	run: Duration,
) -> Result<Phase, Error> {
	let mut child = tokio::process::Command::new(std::env::current_exe()?)
		.args(child_args.iter().map(OsStr::new))
		.env(CHILD, "1")
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.kill_on_drop(true)
		.spawn()?;
	let mut lines = BufReader::new(child.stdout.take().ok_or("child stdout")?).lines();
	// The value of the child's next report, which must be `key`.
	let mut next = async |key: &str| -> Result<String, Error> {
		loop {
			let line = lines.next_line().await?.ok_or("the child exited early")?;
			let Some((_, report)) = line.split_once(MARK) else { continue };
			let (got, value) = report.trim().split_once(' ').ok_or("a report without value")?;
			if got != key {
				return Err(format!("expected {key} from the child, got {got}").into());
			}
			return Ok(value.to_string());
		}
	};
	let peer: PeerId = next("PEER").await?.parse()?;
	let addr: Multiaddr = next("ADDR").await?.parse()?;

	// The validator is connected before the flood starts (all peers here share 127.0.0.1, and
	// the miner closes connections from one address beyond its connection rate).
	let mut config = Config::new(validator_peer_key()?);
	config.limits = Limits { request_timeout: Duration::from_secs(5), ..Limits::default() };
	let (validator, _) = agora_protocol::spawn(config).await?;
	validator.dial(peer, vec![addr.clone()]).await?;

	let stop = Instant::now() + run;
	let attempts = Arc::new(AtomicU64::new(0));
	let answered = Arc::new(AtomicU64::new(0));
	let mut flood = Vec::new();
	for i in 0..flooders {
		let mut config = Config::new(Keypair::generate_ed25519());
		config.limits = Limits { max_request_bytes: 2 * FLOOD_BYTES, ..Limits::default() };
		let (client, _) = agora_protocol::spawn(config).await?;
		let key = hotkey(&format!("//Flooder{i}"))?;
		let mut query = Query::signed(
			NETUID,
			Hotkey::of(&hotkey("//FloodMiner")?),
			0,
			TaskRequest::Embed { sentences: vec!["x".repeat(FLOOD_BYTES - 400)] },
			&key,
		);
		let (attempts, answered, addr) = (attempts.clone(), answered.clone(), addr.clone());
		flood.push(tokio::spawn(async move {
			while Instant::now() < stop {
				query.nonce += 1;
				attempts.fetch_add(1, Ordering::Relaxed);
				if let Ok(Response::Ok(_)) =
					client.query(peer, vec![addr.clone()], query.clone()).await
				{
					answered.fetch_add(1, Ordering::Relaxed);
				}
			}
			client.shutdown().await;
		}));
	}

	let key = hotkey("//FloodValidator")?;
	let miner = Hotkey::of(&hotkey("//FloodMiner")?);
	let task =
		TaskRequest::Embed { sentences: vec!["a sentence of a dozen words or so".into(); 12] };
	let mut latencies = Vec::new();
	let mut failures = 0;
	let mut nonce = 0;
	let mut tick = tokio::time::interval(PACE);
	tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
	while Instant::now() < stop {
		tick.tick().await;
		nonce += 1;
		let query = Query::signed(NETUID, miner, nonce, task.clone(), &key);
		let t = Instant::now();
		match validator.query(peer, vec![addr.clone()], query.clone()).await {
			Ok(Response::Ok(answer)) if answer.verify(&query) => latencies.push(t.elapsed()),
			Ok(other) => {
				failures += 1;
				eprintln!("unexpected response: {other:?}");
			},
			Err(e) => {
				failures += 1;
				eprintln!("query failed: {e}");
			},
		}
	}
	for f in flood {
		f.await?;
	}
	validator.shutdown().await;

	// Closing stdin asks the child for its report.
	let mut stdin = child.stdin.take().ok_or("child stdin")?;
	stdin.shutdown().await?;
	drop(stdin);
	let received = next("RECEIVED").await?.parse()?;
	let cpu_s = next("CPU_S").await?.parse()?;
	let peak_rss_kb = next("VMHWM_KB").await?.parse()?;
	let status = child.wait().await?;
	if !status.success() {
		return Err(format!("the child failed: {status}").into());
	}
	latencies.sort();
	Ok(Phase {
		latencies,
		failures,
		received,
		flood_attempts: attempts.load(Ordering::Relaxed),
		flood_answered: answered.load(Ordering::Relaxed),
		peak_rss_kb,
		cpu_s,
	})
}
