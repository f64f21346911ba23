//! `agora-gateway`: an OpenAI-compatible HTTP API over Agora subnets' miners.
//!
//! It runs as a validator's hotkey (with the validator's libp2p key, so miners answer it as that
//! validator), serves every subnet where the hotkey holds a validator permit (or `--netuid`),
//! routes each request to a miner chosen by incentive, and is paid per request by vouchers of
//! payment channels, which it keeps in an embedded database and claims on chain. See
//! `docs/gateway.md`.

use std::{sync::Arc, time::Duration};

use agora_client::{chain::RuntimeAccountId, AccountId32, Client};
use agora_gateway::{
	args::Cli,
	claimer,
	free_tier::FreeTier,
	ledger::Ledger,
	metrics::Metrics,
	miners::{Directory, Router},
	routes::{self, Gateway},
	subnets::{self, Neighbours, Sync},
};
use agora_neuron::{account_of, endpoint};
use agora_primitives::{Metagraph, NetUid};
use anyhow::Context;
use clap::Parser;
use tokio::sync::Semaphore;

/// The largest answer read from a miner: room for 64 vectors of 4,096 `f32`s, or 256 tokens
/// of text with their log-probabilities.
const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;

/// How long the hotkey's registration on a `--netuid` is waited for.
const REGISTRATION_WAIT: Duration = Duration::from_secs(600);

/// How long the claims at shutdown may take (each waits for inclusion).
const FINAL_CLAIMS: Duration = Duration::from_secs(120);

#[tokio::main]
async fn main() {
	agora_neuron::init_logging("info,libp2p_swarm=warn");
	agora_neuron::main_with("agora-gateway", run(Cli::parse())).await;
}

async fn run(cli: Cli) -> anyhow::Result<()> {
	cli.neuron.p2p.check()?;
	let pricing = cli.pricing.pricing()?;
	cli.payments.check()?;
	anyhow::ensure!(cli.routing.max_concurrency > 0, "--max-concurrency must be at least 1");
	let signer = cli.neuron.wallet.unlock_hotkey()?;
	let hotkey = account_of(&signer);
	// Clones share this one connection.
	let chain = Client::connect(&cli.neuron.chain.url).await?;

	let metagraphs = served(&chain, &cli.serve.netuids, &hotkey).await?;
	let netuids: Vec<NetUid> = metagraphs.iter().map(|m| m.subnet.netuid).collect();
	for m in &metagraphs {
		if !subnets::has_permit(m, &hotkey) {
			tracing::warn!("{}", subnets::no_permit_warning(m.subnet.netuid, &hotkey));
		}
	}

	// The protocol node: outbound queries; inbound connections from the subnets' neurons only
	// (dial-out miners), whose queries are refused.
	let keypair = cli.neuron.p2p.keypair(&cli.neuron.wallet)?;
	let neighbours = Neighbours::default();
	neighbours.set(&metagraphs);
	let (p2p, _inbound) = agora_protocol::spawn(agora_protocol::Config {
		keypair: keypair.clone(),
		listen: cli.neuron.p2p.listen.clone(),
		limits: agora_protocol::Limits {
			request_timeout: cli.routing.timeout(),
			max_response_bytes: MAX_RESPONSE_BYTES,
			..Default::default()
		},
		authorizer: Some(Arc::new(neighbours.clone())),
		hotkey: Some(signer.clone()),
	})
	.await?;
	publish_endpoint(&cli, &chain, &signer, &keypair, &p2p, &metagraphs).await?;

	// Payments: the ledger, and the claimer (what a crash left first, then periodically).
	let genesis_hash = chain.genesis_hash().await?;
	let provider = AccountId32(signer.public_key().0);
	let db = cli.payments.db_path(&hotkey.to_string());
	let ledger =
		Ledger::open(&db, chain.clone(), provider, genesis_hash, cli.payments.claim_margin)?;
	let claimer = {
		let (ledger, signer) = (ledger.clone(), signer.clone());
		let client = chain.clone();
		let (interval, margin) = (cli.payments.claim_interval, cli.payments.claim_margin);
		tokio::spawn(async move {
			claimer::claim_all(&ledger, &client, &signer).await;
			claimer::run(ledger, client, signer, interval, margin).await;
		})
	};

	let metrics = Metrics::default();
	let router = Router::new(
		Arc::new(p2p.clone()),
		signer.clone(),
		cli.routing.timeout(),
		cli.routing.retries,
		metrics.clone(),
	)
	.with_per_miner_in_flight(cli.routing.miner_in_flight);
	let directory = Directory::default();
	for m in &metagraphs {
		directory.set(subnets::subnet_of(m, &hotkey));
	}
	let free_tier =
		FreeTier::new(cli.payments.free_tier_rpm, cli.routing.max_concurrency).map(Arc::new);
	let gateway = Arc::new(Gateway {
		directory: directory.clone(),
		router: router.clone(),
		payments: Arc::new(ledger.clone()),
		pricing,
		free_tier: free_tier.clone(),
		free_tier_rpm: cli.payments.free_tier_rpm,
		concurrency: Arc::new(Semaphore::new(cli.routing.max_concurrency)),
		metrics,
		provider: hotkey.to_string(),
		genesis_hash: format!("0x{}", hex::encode(genesis_hash)),
	});
	let mut sync = tokio::spawn(
		Sync {
			chain: chain.clone(),
			netuids: netuids.clone(),
			hotkey: hotkey.clone(),
			directory,
			router,
			neighbours,
			free_tier,
			interval: cli.routing.sync_interval(),
		}
		.run(),
	);

	let listener = tokio::net::TcpListener::bind(cli.serve.http_listen)
		.await
		.with_context(|| format!("bind the HTTP API on {}", cli.serve.http_listen))?;
	tracing::info!(
		"serving subnet(s) {netuids:?} as {hotkey} on http://{}/v1 ({})",
		listener.local_addr()?,
		if cli.payments.free_tier_rpm == 0 {
			"paid requests only".to_string()
		} else {
			format!("free tier: {} requests a minute per client", cli.payments.free_tier_rpm)
		}
	);
	let (stop, stopped) = tokio::sync::watch::channel(false);
	let mut server = tokio::spawn(routes::serve(listener, gateway, async move {
		let mut stopped = stopped;
		let _ = stopped.wait_for(|s| *s).await;
	}));

	let mut server_done = false;
	let outcome = tokio::select! {
		_ = agora_neuron::shutdown_signal() => Ok(()),
		r = &mut sync => match r {
			Ok(Ok(())) => Ok(()),
			Ok(Err(e)) => Err(e),
			Err(e) => Err(anyhow::anyhow!("the metagraph sync stopped: {e}")),
		},
		r = &mut server => {
			server_done = true;
			match r {
				Ok(Ok(())) => Ok(()),
				Ok(Err(e)) => Err(anyhow::Error::from(e).context("the HTTP server failed")),
				Err(e) => Err(anyhow::anyhow!("the HTTP server stopped: {e}")),
			}
		},
	};
	tracing::info!("stopping: finishing the requests in flight, then claiming");
	let _ = stop.send(true);
	if !server_done {
		let drain = cli.routing.timeout() + Duration::from_secs(5);
		if tokio::time::timeout(drain, &mut server).await.is_err() {
			tracing::warn!("requests still in flight after {drain:?}: dropped");
			server.abort();
		}
	}
	sync.abort();
	claimer.abort();
	match tokio::time::timeout(FINAL_CLAIMS, claimer::claim_all(&ledger, &chain, &signer)).await {
		Ok(report) => tracing::info!("final claims: {} landed", report.claimed.len()),
		Err(_) => tracing::warn!(
			"the final claims took over {FINAL_CLAIMS:?}: the rest are claimed at the next start"
		),
	}
	p2p.shutdown().await;
	outcome
}

/// The metagraphs of the subnets to serve: `--netuid` (waiting for the hotkey's registration),
/// else every subnet where the hotkey holds a validator permit.
async fn served(
	chain: &Client,
	asked: &[NetUid],
	hotkey: &RuntimeAccountId,
) -> anyhow::Result<Vec<Metagraph<RuntimeAccountId>>> {
	let mut metagraphs = Vec::new();
	if !asked.is_empty() {
		let mut asked = asked.to_vec();
		asked.sort_unstable();
		asked.dedup();
		for netuid in asked {
			let m = agora_neuron::wait_for_registration(chain, netuid, hotkey, REGISTRATION_WAIT)
				.await?;
			metagraphs.push(m);
		}
		return Ok(metagraphs);
	}
	for subnet in chain.subnets().await? {
		let m = chain.metagraph(subnet.netuid).await?;
		if subnets::has_permit(&m, hotkey) {
			metagraphs.push(m);
		}
	}
	anyhow::ensure!(
		!metagraphs.is_empty(),
		"hotkey {hotkey} holds a validator permit on no subnet, and miners answer only \
		 validators: stake on it to earn one, or pass --netuid N to serve a subnet where it is \
		 registered anyway (requests get 503 until it holds a permit)"
	);
	Ok(metagraphs)
}

/// Makes the hotkey's endpoint on each served subnet this node's PeerId: left alone where it
/// already is (the validator with the same key may have published its own addresses), else
/// published with this node's addresses.
async fn publish_endpoint(
	cli: &Cli,
	chain: &Client,
	signer: &agora_client::Keypair,
	keypair: &libp2p::identity::Keypair,
	p2p: &agora_protocol::Client,
	metagraphs: &[Metagraph<RuntimeAccountId>],
) -> anyhow::Result<()> {
	let hotkey = account_of(signer);
	let peer_id = keypair.public().to_peer_id();
	let mut publish = None;
	for m in metagraphs {
		let netuid = m.subnet.netuid;
		if subnets::endpoint_is(m, &hotkey, &peer_id) {
			tracing::info!("the endpoint on subnet {netuid} is already {peer_id}: kept");
			continue;
		}
		let addrs = match &publish {
			Some(addrs) => addrs,
			None => {
				let (listening, addrs) = cli.neuron.p2p.settled_publishable(p2p).await?;
				if addrs.is_empty() {
					tracing::warn!(
						"listening on {listening:?} only, which nobody else can dial: dial-out \
						 miners cannot reach this gateway (pass --external-addr, or \
						 --allow-loopback on a local network)"
					);
				}
				publish.insert(addrs)
			},
		};
		endpoint::ensure_served(chain, signer, netuid, keypair, addrs).await?;
	}
	Ok(())
}
