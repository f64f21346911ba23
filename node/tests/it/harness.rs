//! Starting and stopping real `agora-node` processes for tests, and talking JSON-RPC to them.

use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use anyhow::{anyhow, bail, ensure, Context, Result};
use serde_json::{json, Value};

/// The node binary: the one cargo built for the node's own tests; elsewhere (this file is
/// shared with other crates' end-to-end tests) `$AGORA_NODE_BIN`, else `agora-node` beside the
/// test executable's directory (`target/debug/`).
pub(crate) fn node_bin() -> PathBuf {
	if let Some(bin) = option_env!("CARGO_BIN_EXE_agora-node") {
		return PathBuf::from(bin);
	}
	if let Some(bin) = std::env::var_os("AGORA_NODE_BIN") {
		return PathBuf::from(bin);
	}
	let exe = std::env::current_exe().expect("the test knows its own path");
	let bin = exe
		.parent()
		.and_then(|deps| deps.parent())
		.map(|dir| dir.join("agora-node"))
		.expect("test executables live in target/<profile>/deps");
	assert!(bin.exists(), "{} missing: build it with `cargo build -p agora-node`", bin.display());
	bin
}

/// A port nobody listens on right now (the OS picks it).
pub(crate) fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("the OS hands out an ephemeral port")
}

/// A running node; killed (and reaped) when dropped.
pub(crate) struct Node {
	/// Name for messages.
	pub(crate) name: String,
	/// The process.
	child: Option<Child>,
	/// RPC port on 127.0.0.1.
	pub(crate) rpc_port: u16,
	/// libp2p port on 127.0.0.1.
	pub(crate) p2p_port: u16,
	/// Where stdout/stderr go.
	pub(crate) log: PathBuf,
	args: Vec<String>,
}

impl Node {
	/// Starts `agora-node` with `args` plus loopback RPC/p2p ports chosen here. Logs go to
	/// `log_dir/<name>.log`.
	pub(crate) fn start(name: &str, log_dir: &Path, args: &[&str]) -> Result<Self> {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let mut node = Node {
			name: name.to_string(),
			child: None,
			rpc_port,
			p2p_port,
			log: log_dir.join(format!("{name}.log")),
			args: args.iter().map(|s| s.to_string()).collect(),
		};
		node.spawn()?;
		Ok(node)
	}

	/// Starts a `--chain local` node with its own base path under `log_dir`, generating its
	/// network key first as an operator would (`agora-node key generate-node-key`); `extra`
	/// names the authority (`--alice`…) and the bootnodes. Does not wait for RPC.
	pub(crate) fn local(name: &str, log_dir: &Path, extra: &[&str]) -> Result<Self> {
		let base = log_dir.join(name);
		let base = base.to_str().context("utf-8 temp path")?;
		let status = Command::new(node_bin())
			.args(["key", "generate-node-key", "--chain", "local", "--base-path", base])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.status()?;
		ensure!(status.success(), "generate-node-key for {name} failed: {status}");
		let mut args = vec!["--chain", "local", "--base-path", base];
		args.extend_from_slice(extra);
		Node::start(name, log_dir, &args)
	}

	/// Starts `agora-node --dev --tmp` and waits until it serves RPC.
	pub(crate) fn dev(name: &str, log_dir: &Path) -> Result<Self> {
		let mut node = Node::start(name, log_dir, &["--dev", "--tmp"])?;
		node.wait_rpc(Duration::from_secs(90))?;
		Ok(node)
	}

	fn spawn(&mut self) -> Result<()> {
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(&self.log)
			.with_context(|| format!("open {}", self.log.display()))?;
		let child = Command::new(node_bin())
			.args(&self.args)
			.args([
				"--rpc-port",
				&self.rpc_port.to_string(),
				"--listen-addr",
				&format!("/ip4/127.0.0.1/tcp/{}", self.p2p_port),
				"--no-prometheus",
				"--no-telemetry",
				"--no-mdns",
				"--rpc-cors",
				"all",
			])
			.stdout(Stdio::from(log.try_clone()?))
			.stderr(Stdio::from(log))
			.spawn()
			.with_context(|| format!("spawn {}", node_bin().display()))?;
		self.child = Some(child);
		Ok(())
	}

	/// HTTP and WebSocket RPC address.
	pub(crate) fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// Waits until the node answers `system_health`.
	pub(crate) fn wait_rpc(&mut self, timeout: Duration) -> Result<()> {
		let deadline = Instant::now() + timeout;
		loop {
			if let Some(child) = self.child.as_mut() {
				if let Some(status) = child.try_wait()? {
					bail!(
						"{} exited with {status} before serving RPC; log:\n{}",
						self.name,
						self.log_tail()
					);
				}
			}
			if self.rpc("system_health", json!([])).is_ok() {
				return Ok(());
			}
			if Instant::now() > deadline {
				bail!(
					"{} did not serve RPC within {timeout:?}; log:\n{}",
					self.name,
					self.log_tail()
				);
			}
			std::thread::sleep(Duration::from_millis(200));
		}
	}

	/// Calls `method` and returns its `result`, or an error carrying the JSON-RPC error.
	pub(crate) fn rpc(&self, method: &str, params: Value) -> Result<Value> {
		let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
		let reply = http_post(self.rpc_port, body.to_string().as_bytes())?;
		let reply: Value = serde_json::from_str(&reply)
			.with_context(|| format!("{method}: reply is not JSON: {reply}"))?;
		if let Some(err) = reply.get("error") {
			return Err(anyhow!("{method}: JSON-RPC error {err}"));
		}
		reply.get("result").cloned().ok_or_else(|| anyhow!("{method}: no result in {reply}"))
	}

	/// Number of the best block.
	pub(crate) fn best_number(&self) -> Result<u64> {
		header_number(&self.rpc("chain_getHeader", json!([]))?)
	}

	/// Number of the last finalized block.
	pub(crate) fn finalized_number(&self) -> Result<u64> {
		let hash = self.rpc("chain_getFinalizedHead", json!([]))?;
		header_number(&self.rpc("chain_getHeader", json!([hash]))?)
	}

	/// Waits until `cond(self)` holds, polling every 500 ms.
	pub(crate) fn wait_for(
		&self,
		what: &str,
		timeout: Duration,
		mut cond: impl FnMut(&Node) -> Result<bool>,
	) -> Result<()> {
		let deadline = Instant::now() + timeout;
		loop {
			if matches!(cond(self), Ok(true)) {
				return Ok(());
			}
			if Instant::now() > deadline {
				bail!(
					"{}: {what} not reached within {timeout:?}; log:\n{}",
					self.name,
					self.log_tail()
				);
			}
			std::thread::sleep(Duration::from_millis(500));
		}
	}

	/// Whether the process is still running.
	pub(crate) fn is_running(&mut self) -> bool {
		matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
	}

	/// `kill -9`: no chance to flush or clean up.
	pub(crate) fn kill9(&mut self) -> Result<()> {
		if let Some(mut child) = self.child.take() {
			child.kill()?;
			child.wait()?;
		}
		Ok(())
	}

	/// Starts the node again with the same arguments and ports.
	pub(crate) fn restart(&mut self) -> Result<()> {
		self.kill9()?;
		self.spawn()
	}

	/// Stops the node with SIGINT, as Ctrl-C would, and waits for it to exit.
	pub(crate) fn stop(&mut self) -> Result<()> {
		if let Some(mut child) = self.child.take() {
			let pid = child.id().to_string();
			Command::new("kill").args(["-INT", &pid]).status()?;
			let deadline = Instant::now() + Duration::from_secs(20);
			while child.try_wait()?.is_none() {
				if Instant::now() > deadline {
					child.kill()?;
					bail!("{} ignored SIGINT for 20 s", self.name);
				}
				std::thread::sleep(Duration::from_millis(100));
			}
		}
		Ok(())
	}

	/// The last lines of the node's log, for failure messages.
	pub(crate) fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = text.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}

	/// The node's libp2p address with its peer id (`system_localPeerId`).
	pub(crate) fn multiaddr(&self) -> Result<String> {
		let id = self.rpc("system_localPeerId", json!([]))?;
		let id = id.as_str().ok_or_else(|| anyhow!("peer id is not a string: {id}"))?;
		Ok(format!("/ip4/127.0.0.1/tcp/{}/p2p/{id}", self.p2p_port))
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.kill9();
	}
}

fn header_number(header: &Value) -> Result<u64> {
	let hex = header
		.get("number")
		.and_then(Value::as_str)
		.ok_or_else(|| anyhow!("header without number: {header}"))?;
	Ok(u64::from_str_radix(hex.trim_start_matches("0x"), 16)?)
}

/// POSTs `body` to the node's RPC port as JSON and returns the response body. Written by hand so
/// that tests can also send bytes no JSON library would produce.
pub(crate) fn http_post(port: u16, body: &[u8]) -> Result<String> {
	let mut stream = TcpStream::connect(("127.0.0.1", port))?;
	stream.set_read_timeout(Some(Duration::from_secs(30)))?;
	write!(
		stream,
		"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	)?;
	stream.write_all(body)?;
	let mut raw = Vec::new();
	stream.read_to_end(&mut raw)?;
	let raw = String::from_utf8_lossy(&raw).to_string();
	let (head, rest) =
		raw.split_once("\r\n\r\n").ok_or_else(|| anyhow!("malformed HTTP response: {raw}"))?;
	if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
		return Ok(dechunk(rest));
	}
	Ok(rest.to_string())
}

fn dechunk(mut body: &str) -> String {
	let mut out = String::new();
	while let Some((size, rest)) = body.split_once("\r\n") {
		let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
			break;
		};
		if n == 0 || rest.len() < n {
			break;
		}
		out.push_str(&rest[..n]);
		body = rest[n..].trim_start_matches("\r\n");
	}
	out
}

/// An off-chain process of a test (miner, validator, gateway, proxy) logging to
/// `<dir>/<name>.log` (appended to, so a restart keeps the earlier lines); killed when dropped.
/// The node's own tests start only nodes.
#[allow(dead_code)]
pub(crate) struct Proc {
	/// Name for messages.
	pub(crate) name: &'static str,
	child: Child,
	/// Its stdout and stderr.
	pub(crate) log: PathBuf,
}

#[allow(dead_code)]
impl Proc {
	/// Starts `bin` with `args` and `RUST_LOG=rust_log`.
	pub(crate) fn start(
		name: &'static str,
		bin: &Path,
		args: &[String],
		dir: &Path,
		rust_log: &str,
	) -> Result<Self> {
		let log = dir.join(format!("{name}.log"));
		let file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
		let child = Command::new(bin)
			.args(args)
			.env("RUST_LOG", rust_log)
			.stdout(Stdio::from(file.try_clone()?))
			.stderr(Stdio::from(file))
			.spawn()
			.with_context(|| format!("spawn {}", bin.display()))?;
		Ok(Proc { name, child, log })
	}

	/// An error with the log's tail if the process has exited.
	pub(crate) fn alive(&mut self) -> Result<()> {
		if let Some(status) = self.child.try_wait()? {
			bail!("{} exited ({status}):\n{}", self.name, tail(&self.log));
		}
		Ok(())
	}

	/// Waits for the process to exit by itself, at most `limit`.
	pub(crate) fn wait_exit(&mut self, limit: Duration) -> Result<std::process::ExitStatus> {
		let deadline = Instant::now() + limit;
		loop {
			if let Some(status) = self.child.try_wait()? {
				return Ok(status);
			}
			if Instant::now() >= deadline {
				bail!("{} still runs after {limit:?}", self.name);
			}
			std::thread::sleep(Duration::from_millis(100));
		}
	}

	/// `kill -9`, and reaps it.
	pub(crate) fn kill9(&mut self) -> Result<()> {
		self.child.kill()?;
		self.child.wait()?;
		Ok(())
	}

	/// SIGTERM, then waits for it to exit, at most `limit`.
	pub(crate) fn terminate(&mut self, limit: Duration) -> Result<std::process::ExitStatus> {
		let sent = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status()?;
		if !sent.success() {
			bail!("kill -TERM {} failed", self.name);
		}
		self.wait_exit(limit)
	}
}

impl Drop for Proc {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// The last 40 lines of a log file.
#[allow(dead_code)]
pub(crate) fn tail(path: &Path) -> String {
	let text = std::fs::read_to_string(path).unwrap_or_default();
	let lines: Vec<&str> = text.lines().collect();
	lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The workspace binary `name` beside `anchor` (a binary cargo built for the test, e.g.
/// `env!("CARGO_BIN_EXE_agora-gateway")`): the same target directory and profile.
#[allow(dead_code)]
pub(crate) fn sibling_bin(anchor: &str, name: &str) -> Result<PathBuf> {
	let path = Path::new(anchor).with_file_name(name);
	if !path.exists() {
		bail!(
			"{} missing: build the workspace (`cargo test --workspace --no-run`)",
			path.display()
		);
	}
	Ok(path)
}

/// Runs the `agora` CLI binary `bin` as `agora --json --no-prompt --url <node> --wallets-dir
/// <wallets> --password-file <password> ARGS`; returns (exit code, stdout as JSON, stderr).
#[allow(dead_code)]
pub(crate) fn agora_cli(
	bin: &Path,
	node: &Node,
	wallets: &Path,
	password: &Path,
	args: &[&str],
) -> Result<(i32, Value, String)> {
	let out = Command::new(bin)
		.args(["--json", "--no-prompt", "--url", &node.ws_url()])
		.arg("--wallets-dir")
		.arg(wallets)
		.arg("--password-file")
		.arg(password)
		.args(args)
		.output()
		.context("run agora")?;
	let stdout = String::from_utf8_lossy(&out.stdout).to_string();
	let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
	Ok((out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string()))
}

/// A temporary directory for node databases and logs; kept (and printed) if the test fails.
pub(crate) struct TestDir {
	dir: Option<tempfile::TempDir>,
}

impl TestDir {
	/// Creates the directory.
	pub(crate) fn new(prefix: &str) -> Self {
		let dir = tempfile::Builder::new().prefix(prefix).tempdir().expect("create temp dir");
		Self { dir: Some(dir) }
	}

	/// Its path.
	pub(crate) fn path(&self) -> &Path {
		self.dir.as_ref().map(|d| d.path()).expect("dir exists until drop")
	}
}

impl Drop for TestDir {
	fn drop(&mut self) {
		if std::thread::panicking() {
			if let Some(dir) = self.dir.take() {
				eprintln!("test failed; node logs kept in {}", dir.keep().display());
			}
		}
	}
}
