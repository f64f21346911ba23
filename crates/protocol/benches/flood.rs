//! An authorised validator's latency, and the miner's memory, while unauthorised peers flood the
//! miner with 1 MiB requests.
//!
//! The miner node runs in a child process (this binary again, with `AGORA_FLOOD_CHILD=1`) whose
//! allow list holds one validator. The parent runs that validator, querying steadily (one signed
//! query every 5 ms, each answer verified), first alone, then while `FLOOD_PEERS` unauthorised
//! peers (default 8) each send signed 1 MiB queries in a loop. Each phase lasts `FLOOD_SECS`
//! (default 10) and has a fresh child; the child reports its peak RSS (`VmHWM`) at the end.
//!
//! `cargo bench --workspace --bench flood`

use std::{
	io::{BufRead, Write},
	process::Stdio,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use agora_protocol::{
	AllowList, Answer, Config, Hotkey, HotkeyPair, Limits, Query, QueryError, Response, TaskRequest,
};
use libp2p::{identity::Keypair, Multiaddr, PeerId};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

type Error = Box<dyn std::error::Error + Send + Sync>;

const CHILD: &str = "AGORA_FLOOD_CHILD";
const NETUID: u16 = 1;
/// Between two queries of the authorised validator.
const PACE: Duration = Duration::from_millis(5);
/// The size of the flooders' requests: 1 MiB, just within the miner's request limit.
const FLOOD_BYTES: usize = 1024 * 1024 - 256;

fn validator_peer_key() -> Result<Keypair, Error> {
	Ok(Keypair::ed25519_from_bytes([7u8; 32])?)
}

fn hotkey(uri: &str) -> Result<HotkeyPair, Error> {
	Ok(HotkeyPair::from_uri(&uri.parse()?)?)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Error> {
	let runtime =
		tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
	if std::env::var_os(CHILD).is_some() {
		child(&runtime)
	} else {
		runtime.block_on(parent())
	}
}

/// The miner: serves the validator, prints its address, then its peak RSS when stdin closes.
fn child(runtime: &tokio::runtime::Runtime) -> Result<(), Error> {
	let allow = AllowList::new();
	let validator = hotkey("//FloodValidator")?;
	allow.set(NETUID, [(validator_peer_key()?.public().to_peer_id(), Hotkey::of(&validator))]);
	let mut config = Config::new(Keypair::generate_ed25519());
	config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse()?];
	config.limits = Limits { peer_rate: 0, ..Limits::default() };
	config.authorizer = Some(Arc::new(allow));
	config.hotkey = Some(hotkey("//FloodMiner")?);
	let (client, addrs) = runtime.block_on(async move {
		let (client, mut inbound) = agora_protocol::spawn(config).await?;
		let vectors = vec![vec![0.05f32; 384]; 12];
		tokio::spawn(async move {
			while let Some(q) = inbound.recv().await {
				q.answer(Answer::Embeddings { model: "flood".into(), vectors: vectors.clone() });
			}
		});
		let addrs = client.listen_addrs().await?;
		Ok::<_, Error>((client, addrs))
	})?;
	let mut out = std::io::stdout().lock();
	writeln!(out, "PEER {}", client.local_peer_id())?;
	writeln!(out, "ADDR {}", addrs.first().ok_or("no listen address")?)?;
	out.flush()?;
	// Serve until the parent closes stdin.
	for line in std::io::stdin().lock().lines() {
		line?;
	}
	runtime.block_on(client.shutdown());
	writeln!(out, "CPU_S {:.2}", cpu_seconds()?)?;
	writeln!(out, "VMHWM_KB {}", peak_rss_kb()?)?;
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
struct Phase {
	latencies: Vec<Duration>,
	failures: u64,
	flood_attempts: u64,
	flood_answered: u64,
	peak_rss_kb: u64,
	cpu_s: f64,
}

async fn parent() -> Result<(), Error> {
	let flooders: usize = env_or("FLOOD_PEERS", 8);
	let secs: u64 = env_or("FLOOD_SECS", 10);
	let quiet = phase(0, secs).await?;
	let flood = phase(flooders, secs).await?;
	let ms = |d: Duration| d.as_secs_f64() * 1e3;
	let at = |v: &[Duration], q: f64| {
		if v.is_empty() {
			return f64::NAN;
		}
		ms(v[((v.len() - 1) as f64 * q).round() as usize])
	};
	println!(
		"authorised validator, one signed query every {} ms for {secs} s; miner in a child \
		 process",
		PACE.as_millis()
	);
	println!(
		"{:<28} {:>8} {:>8} {:>8} {:>8} {:>8} {:>14} {:>10}",
		"phase", "answers", "failed", "p50 ms", "p99 ms", "max ms", "miner VmHWM", "miner CPU"
	);
	for (name, p) in
		[("no flood".to_string(), &quiet), (format!("{flooders} peers x 1 MiB flood"), &flood)]
	{
		println!(
			"{:<28} {:>8} {:>8} {:>8.3} {:>8.3} {:>8.3} {:>11} kB {:>8.2} s",
			name,
			p.latencies.len(),
			p.failures,
			at(&p.latencies, 0.5),
			at(&p.latencies, 0.99),
			at(&p.latencies, 1.0),
			p.peak_rss_kb,
			p.cpu_s
		);
	}
	println!(
		"flood: {} requests attempted ({:.0}/s), {} answered",
		flood.flood_attempts,
		flood.flood_attempts as f64 / secs as f64,
		flood.flood_answered
	);
	Ok(())
}

async fn phase(flooders: usize, secs: u64) -> Result<Phase, Error> {
	let exe = std::env::current_exe()?;
	let mut child = tokio::process::Command::new(exe)
		.env(CHILD, "1")
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.kill_on_drop(true)
		.spawn()?;
	let mut lines = BufReader::new(child.stdout.take().ok_or("child stdout")?).lines();
	let mut next = async || -> Result<String, Error> {
		Ok(lines.next_line().await?.ok_or("the child exited early")?)
	};
	let peer: PeerId = next().await?.strip_prefix("PEER ").ok_or("expected PEER")?.parse()?;
	let addr: Multiaddr = next().await?.strip_prefix("ADDR ").ok_or("expected ADDR")?.parse()?;

	// The validator is connected before the flood starts (all peers here share 127.0.0.1, and
	// the miner closes connections from one address beyond its connection rate).
	let mut config = Config::new(validator_peer_key()?);
	config.limits = Limits { request_timeout: Duration::from_secs(5), ..Limits::default() };
	let (validator, _) = agora_protocol::spawn(config).await?;
	validator.dial(peer, vec![addr.clone()]).await?;

	let stop = Instant::now() + Duration::from_secs(secs);
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
			Err(QueryError::Timeout) | Err(_) => failures += 1,
		}
	}
	for f in flood {
		f.await?;
	}
	validator.shutdown().await;

	// Closing stdin asks the child for its peak RSS.
	let mut stdin = child.stdin.take().ok_or("child stdin")?;
	stdin.shutdown().await?;
	drop(stdin);
	let mut cpu_s = 0.0;
	let peak_rss_kb = loop {
		let line = next().await?;
		if let Some(s) = line.strip_prefix("CPU_S ") {
			cpu_s = s.parse()?;
		}
		if let Some(kb) = line.strip_prefix("VMHWM_KB ") {
			break kb.parse()?;
		}
	};
	child.wait().await?;
	latencies.sort();
	Ok(Phase {
		latencies,
		failures,
		flood_attempts: attempts.load(Ordering::Relaxed),
		flood_answered: answered.load(Ordering::Relaxed),
		peak_rss_kb,
		cpu_s,
	})
}
