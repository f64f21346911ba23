//! `agora gateway proxy`: a local, OpenAI-compatible endpoint that pays a gateway through a
//! payment channel. Stock OpenAI clients point at it (`base_url="http://127.0.0.1:8090/v1"`, any
//! API key); for every paid request it computes the gateway's price from the published schedule,
//! signs the next cumulative voucher with the channel's consumer key and forwards the request
//! with it; the response (event streams included) comes back unchanged.
//!
//! ## What it signs
//!
//! The proxy keeps a tab: `signed` (its last voucher), `spent` (what the gateway reports spent,
//! `x-agora-spent`) and `in_flight` (prices of requests sent and not answered yet). A request
//! costing `price` gets a voucher for
//!
//! ```text
//! amount = next_amount(signed, spent + in_flight, price)
//!        = max(signed, min(spent + in_flight + price, signed + price))
//! ```
//!
//! so concurrent requests each add their price, credit left by a request the gateway did not
//! serve is used first, and no voucher ever exceeds the last one by more than the price, whatever
//! the gateway reports. A voucher above the channel's deposit is never signed: the request is
//! refused locally (402, nothing sent) after one fresh read of the channel (a top-up counts).
//!
//! On start the tab is resynchronised from the gateway (`GET /v1/channels/{id}`, whose voucher
//! must be this wallet's for this chain) and from the chain (what was claimed was signed).

use std::{
	net::SocketAddr,
	sync::{Arc, Mutex},
	time::Duration,
};

use agora_client::{
	amount::{format_agr, parse_agr},
	chain::{Channel, ChannelId},
	payments::{next_amount, Priced, Pricing, Voucher, SPENT_HEADER, VOUCHER_HEADER},
	AccountId32, Client, Keypair,
};
use agora_primitives::Balance;
use axum::{
	body::{Body, Bytes},
	extract::{DefaultBodyLimit, State},
	http::{header, HeaderMap, HeaderName, Method, StatusCode, Uri},
	response::{IntoResponse, Response},
	Router,
};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::{
	account::WalletArg,
	output::{agr, Out},
	Ctx, Failure, Result,
};

/// The paid endpoints (POST).
const PAID: [&str; 3] = ["/v1/embeddings", "/v1/completions", "/v1/chat/completions"];

/// Largest request body forwarded.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Subcommand)]
pub(crate) enum GatewayCmd {
	/// Serve a local OpenAI-compatible endpoint that forwards to a gateway and pays it per
	/// request from a channel the wallet's coldkey opened (it signs the vouchers).
	Proxy(ProxyArgs),
}

#[derive(Args)]
pub(crate) struct ProxyArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// The gateway: `http://HOST:PORT`.
	#[arg(long)]
	gateway: String,
	/// The channel that pays it (opened by the wallet's coldkey to the gateway's provider).
	#[arg(long)]
	channel: ChannelId,
	/// Where to serve the local endpoint.
	#[arg(long, default_value = "127.0.0.1:8090")]
	listen: SocketAddr,
	/// Refuse (locally, nothing signed) any request the gateway's published schedule prices
	/// above this many AGR [default: no limit].
	#[arg(long, value_name = "AGR")]
	max_price: Option<String>,
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: GatewayCmd) -> Result<()> {
	match cmd {
		GatewayCmd::Proxy(args) => proxy(ctx, out, args).await,
	}
}

/// What the proxy has signed and what the gateway says was spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tab {
	/// The last voucher's cumulative amount.
	pub(crate) signed: Balance,
	/// What the gateway reports spent.
	pub(crate) spent: Balance,
	/// Prices of requests sent and not answered yet.
	pub(crate) in_flight: Balance,
}

/// A paid request counted in the tab's `in_flight` until it is dropped: when the gateway answered
/// (with the `spent` it reported, if any), failed, or the local client went away mid-request.
/// Without it a cancelled request would stay in flight for good, and every later voucher would
/// be signed a price higher instead of using the credit it left.
pub(crate) struct Pending<'a> {
	tab: &'a Mutex<Tab>,
	price: Balance,
	/// The gateway's `x-agora-spent`, once it answered.
	pub(crate) spent: Option<Balance>,
}

impl<'a> Pending<'a> {
	/// Counts a request costing `price` in flight (the caller holds `tab` locked as `locked`).
	fn start(tab: &'a Mutex<Tab>, locked: &mut Tab, price: Balance) -> Pending<'a> {
		locked.in_flight = locked.in_flight.saturating_add(price);
		Pending { tab, price, spent: None }
	}
}

impl Drop for Pending<'_> {
	fn drop(&mut self) {
		let mut tab = self.tab.lock().unwrap_or_else(|e| e.into_inner());
		tab.in_flight = tab.in_flight.saturating_sub(self.price);
		if let Some(spent) = self.spent {
			tab.spent = tab.spent.max(spent);
		}
	}
}

/// Why a request is answered by the proxy itself.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
	/// The body is not JSON, or its fields have no price.
	BadRequest(String),
	/// The request's price is above `--max-price`.
	OverMaxPrice {
		/// The request's price.
		price: Balance,
		/// `--max-price`.
		max: Balance,
	},
	/// The voucher would exceed the channel's deposit.
	OverDeposit {
		/// The voucher it would take.
		amount: Balance,
		/// The channel's deposit.
		deposit: Balance,
	},
}

impl Refusal {
	fn response(&self, channel: ChannelId) -> Response {
		match self {
			Refusal::BadRequest(message) => error_response(
				StatusCode::BAD_REQUEST,
				message,
				"invalid_request_error",
				None,
				None,
			),
			Refusal::OverMaxPrice { price, max } => error_response(
				StatusCode::PAYMENT_REQUIRED,
				&format!(
					"the gateway prices this request at {} AGR, above --max-price {} AGR (nothing \
					 was signed or sent)",
					format_agr(*price),
					format_agr(*max)
				),
				"payment_required",
				Some("price_above_limit"),
				None,
			),
			Refusal::OverDeposit { amount, deposit } => error_response(
				StatusCode::PAYMENT_REQUIRED,
				&format!(
					"channel {channel} holds {} AGR, this request needs a voucher for {} AGR: top \
					 it up with `agora channel top-up {channel} --amount AGR` (nothing was sent)",
					format_agr(*deposit),
					format_agr(*amount)
				),
				"payment_required",
				Some("payment_required"),
				Some(*amount),
			),
		}
	}
}

/// The price of `body` posted to `path` under `pricing`; refused above `max_price`.
pub(crate) fn price_of(
	path: &str,
	body: &[u8],
	pricing: &Pricing,
	max_price: Option<Balance>,
) -> std::result::Result<Balance, Refusal> {
	let json: Value = serde_json::from_slice(body)
		.map_err(|e| Refusal::BadRequest(format!("the request body is not JSON: {e}")))?;
	let price = Priced::of(path, &json)
		.and_then(|p| pricing.price(p))
		.map_err(|e| Refusal::BadRequest(e.to_string()))?;
	match max_price {
		Some(max) if price > max => Err(Refusal::OverMaxPrice { price, max }),
		_ => Ok(price),
	}
}

/// The voucher amount for a request costing `price` (see the module docs), or why not: above
/// `deposit`.
pub(crate) fn amount_for(
	tab: &Tab,
	price: Balance,
	deposit: Balance,
) -> std::result::Result<Balance, Refusal> {
	let amount = next_amount(tab.signed, tab.spent.saturating_add(tab.in_flight), price);
	if amount > deposit {
		return Err(Refusal::OverDeposit { amount, deposit });
	}
	Ok(amount)
}

/// The tab to start from: the gateway's view of the channel (`GET /v1/channels/{id}`, `None`
/// when it never saw it) checked against this wallet and chain, and what the chain says was
/// claimed (signed by this wallet at some point).
pub(crate) fn resync(
	state: Option<&Value>,
	channel: &Channel,
	genesis_hash: &[u8; 32],
	me: &AccountId32,
) -> std::result::Result<Tab, String> {
	let floor = channel.claimed;
	let Some(state) = state else {
		return Ok(Tab { signed: floor, spent: floor, in_flight: 0 });
	};
	let spent = planck(&state["spent"])
		.ok_or_else(|| format!("the gateway's channel state has no `spent`: {state}"))?;
	let signed = match &state["voucher"] {
		Value::Null => 0,
		Value::String(header) => {
			let v = Voucher::from_header(header)
				.map_err(|e| format!("the gateway's voucher is unreadable: {e}"))?;
			if v.channel != channel.id || !v.verify(genesis_hash, &me.0) {
				return Err(format!(
					"the gateway reports a voucher for channel {} that {me} did not sign for this \
					 chain: is --gateway the gateway this channel pays?",
					channel.id
				));
			}
			v.amount
		},
		other => return Err(format!("the gateway's voucher is not a string: {other}")),
	};
	Ok(Tab { signed: signed.max(floor), spent, in_flight: 0 })
}

/// A planck amount as the gateway writes it (a decimal string, or an integer).
fn planck(v: &Value) -> Option<Balance> {
	match v {
		Value::String(s) => s.parse().ok(),
		Value::Number(n) => n.as_u64().map(Balance::from),
		_ => None,
	}
}

/// An OpenAI-shaped error: `{"error": {"message", "type", "param", "code"}}`, with `required`
/// (planck, as a string) when given.
fn error_response(
	status: StatusCode,
	message: &str,
	kind: &str,
	code: Option<&str>,
	required: Option<Balance>,
) -> Response {
	let mut error = json!({ "message": message, "type": kind, "param": null, "code": code });
	if let (Some(r), Some(map)) = (required, error.as_object_mut()) {
		map.insert("required".into(), Value::String(r.to_string()));
	}
	(status, axum::Json(json!({ "error": error }))).into_response()
}

/// Everything a request handler needs.
struct Proxy {
	http: reqwest::Client,
	/// The gateway's base URL, without a trailing `/`.
	gateway: String,
	client: Client,
	genesis_hash: [u8; 32],
	channel: ChannelId,
	consumer: Keypair,
	pricing: Pricing,
	/// `--max-price`.
	max_price: Option<Balance>,
	quiet: bool,
	tab: Mutex<Tab>,
	deposit: Mutex<Balance>,
}

impl Proxy {
	fn tab(&self) -> std::sync::MutexGuard<'_, Tab> {
		self.tab.lock().unwrap_or_else(|e| e.into_inner())
	}

	fn deposit(&self) -> Balance {
		*self.deposit.lock().unwrap_or_else(|e| e.into_inner())
	}

	/// Signs the voucher for a request costing `price` and counts it in flight until the
	/// [`Pending`] is dropped; reads the channel again first when the voucher would exceed the
	/// deposit known.
	async fn sign(&self, price: Balance) -> std::result::Result<(Voucher, Pending<'_>), Refusal> {
		let tab = *self.tab();
		if let Err(Refusal::OverDeposit { .. }) = amount_for(&tab, price, self.deposit()) {
			if let Ok(Some(c)) = self.client.channel(self.channel).await {
				*self.deposit.lock().unwrap_or_else(|e| e.into_inner()) = c.deposit;
			}
		}
		let deposit = self.deposit();
		let mut tab = self.tab();
		let amount = amount_for(&tab, price, deposit)?;
		tab.signed = tab.signed.max(amount);
		let pending = Pending::start(&self.tab, &mut tab, price);
		Ok((Voucher::sign(&self.genesis_hash, self.channel, amount, &self.consumer), pending))
	}

	fn note(&self, line: &str) {
		if !self.quiet {
			eprintln!("{line}");
		}
	}
}

/// Headers not forwarded either way: per connection, or set again by the sender.
fn hop_by_hop(name: &HeaderName) -> bool {
	[
		header::HOST,
		header::CONNECTION,
		header::TRANSFER_ENCODING,
		header::CONTENT_LENGTH,
		header::UPGRADE,
		header::TE,
		header::TRAILER,
	]
	.contains(name)
		|| name.as_str() == "keep-alive"
		|| name.as_str() == VOUCHER_HEADER
}

async fn forward(
	State(p): State<Arc<Proxy>>,
	method: Method,
	uri: Uri,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	let path = uri.path();
	let paid = method == Method::POST && PAID.contains(&path.trim_end_matches('/'));
	let mut voucher = None;
	let mut pending = None;
	if paid {
		let signed = match price_of(path, &body, &p.pricing, p.max_price) {
			Ok(price) => p.sign(price).await,
			Err(r) => Err(r),
		};
		match signed {
			Ok((v, counted)) => {
				voucher = Some(v);
				pending = Some(counted);
			},
			Err(r) => {
				p.note(&format!("refused {path} locally: {r:?}"));
				return r.response(p.channel);
			},
		}
	}
	let target = format!("{}{}", p.gateway, uri.path_and_query().map_or(path, |pq| pq.as_str()));
	let mut request = p.http.request(method, target).body(body);
	for (name, value) in headers.iter().filter(|(n, _)| !hop_by_hop(n)) {
		request = request.header(name, value);
	}
	if let Some(v) = &voucher {
		request = request.header(VOUCHER_HEADER, v.to_header());
	}
	// Dropped with this future (the local client went away) or on an error: no longer in flight.
	let response = match request.send().await {
		Ok(r) => r,
		Err(e) => {
			return error_response(
				StatusCode::BAD_GATEWAY,
				&format!("cannot reach the gateway at {}: {e}", p.gateway),
				"api_error",
				Some("gateway_unreachable"),
				None,
			);
		},
	};
	let status = response.status();
	if paid {
		let spent = response
			.headers()
			.get(SPENT_HEADER)
			.and_then(|v| v.to_str().ok())
			.and_then(|v| v.trim().parse().ok());
		if let Some(mut answered) = pending.take() {
			answered.spent = spent;
		}
		if !status.is_success() {
			p.note(&format!("the gateway answered {status} to {path}"));
		}
	}
	let mut out = Response::builder().status(status);
	for (name, value) in response.headers().iter().filter(|(n, _)| !hop_by_hop(n)) {
		out = out.header(name, value);
	}
	out.body(Body::from_stream(response.bytes_stream())).unwrap_or_else(|e| {
		error_response(StatusCode::BAD_GATEWAY, &e.to_string(), "api_error", None, None)
	})
}

async fn proxy(ctx: &Ctx, out: &Out, args: ProxyArgs) -> Result<()> {
	let refuse = |message: String| Failure { code: 1, message };
	let max_price = args.max_price.as_deref().map(parse_agr).transpose()?;
	let gateway = args.gateway.trim_end_matches('/').to_string();
	let client = ctx.client().await?;
	let consumer = ctx.coldkey(&args.wallet)?;
	let me = consumer.public_key().to_account_id();
	let (genesis_hash, channel) =
		tokio::try_join!(client.genesis_hash(), client.channel(args.channel))?;
	let channel = channel.ok_or_else(|| {
		refuse(format!("channel {} does not exist (never opened, or closed)", args.channel))
	})?;
	if channel.consumer != me {
		return Err(refuse(format!(
			"not the consumer: channel {} was opened by {}, not by {me}; only its consumer signs \
			 its vouchers",
			channel.id, channel.consumer
		)));
	}
	let http = reqwest::Client::builder()
		.connect_timeout(Duration::from_secs(10))
		.build()
		.map_err(|e| refuse(format!("cannot make an HTTP client: {e}")))?;
	let models = get_json(&http, &format!("{gateway}/v1/models")).await?.ok_or_else(|| {
		refuse(format!("{gateway}/v1/models: not found; is --gateway an Agora gateway?"))
	})?;
	let info = &models["agora"];
	let provider = info["provider"].as_str().and_then(|s| s.parse::<AccountId32>().ok());
	let pricing: Option<Pricing> = serde_json::from_value(info["pricing"].clone()).ok();
	let (Some(provider), Some(pricing)) = (provider, pricing) else {
		return Err(refuse(format!(
			"{gateway}/v1/models names no provider or pricing under `agora`: is --gateway an \
			 Agora gateway?"
		)));
	};
	if let Some(theirs) = info["genesis_hash"].as_str() {
		let ours = format!("0x{}", hex_encode(&genesis_hash));
		if !theirs.eq_ignore_ascii_case(&ours) {
			return Err(refuse(format!(
				"the gateway runs on another chain (genesis {theirs}, the node at --url has \
				 {ours})"
			)));
		}
	}
	if channel.provider != provider {
		return Err(refuse(format!(
			"channel {} pays {}, but the gateway at {gateway} is {provider}: open a channel to \
			 it with `agora channel open --provider {provider}`",
			channel.id, channel.provider
		)));
	}
	let state = get_json(&http, &format!("{gateway}/v1/channels/{}", channel.id)).await?;
	let tab = resync(state.as_ref(), &channel, &genesis_hash, &me).map_err(refuse)?;
	let listener = tokio::net::TcpListener::bind(args.listen)
		.await
		.map_err(|e| refuse(format!("cannot listen on {}: {e}", args.listen)))?;
	let listening = listener.local_addr().unwrap_or(args.listen);
	let remaining = channel.deposit.saturating_sub(tab.signed);
	if ctx.global.json {
		println!(
			"{}",
			json!({
				"listening": listening.to_string(),
				"base_url": format!("http://{listening}/v1"),
				"gateway": gateway,
				"channel": channel.id,
				"provider": provider.to_string(),
				"deposit": agr(channel.deposit),
				"signed": agr(tab.signed),
				"spent": agr(tab.spent),
				"remaining": agr(remaining),
				"expires_at": channel.expires_at,
				"pricing": pricing,
				"max_price": max_price.map(agr),
			})
		);
	} else {
		println!(
			"proxy on http://{listening}/v1 → {gateway}: channel {} holds {} AGR, {} AGR left to \
			 sign (expires at block {}); prices: {} AGR a request, {} AGR an input, {} AGR a \
			 token{}",
			channel.id,
			format_agr(channel.deposit),
			format_agr(remaining),
			channel.expires_at,
			format_agr(pricing.per_request),
			format_agr(pricing.per_input),
			format_agr(pricing.per_output_token),
			max_price
				.map_or(String::new(), |m| format!(", at most {} AGR a request", format_agr(m)))
		);
	}
	let _ = std::io::Write::flush(&mut std::io::stdout());
	let state = Arc::new(Proxy {
		http,
		gateway,
		client,
		genesis_hash,
		channel: channel.id,
		consumer,
		pricing,
		max_price,
		quiet: ctx.global.json,
		tab: Mutex::new(tab),
		deposit: Mutex::new(channel.deposit),
	});
	let app = Router::new()
		.fallback(forward)
		.layer(DefaultBodyLimit::max(BODY_LIMIT))
		.with_state(state.clone());
	axum::serve(listener, app)
		.with_graceful_shutdown(agora_neuron::shutdown_signal())
		.await
		.map_err(|e| refuse(format!("the proxy stopped: {e}")))?;
	let tab = *state.tab();
	out.note(&format!(
		"stopped: signed {} AGR on channel {}, {} AGR spent",
		format_agr(tab.signed),
		state.channel,
		format_agr(tab.spent)
	));
	Ok(())
}

/// `GET url` as JSON; `None` on 404.
async fn get_json(http: &reqwest::Client, url: &str) -> Result<Option<Value>> {
	let fail = |why: String| Failure { code: 1, message: format!("{url}: {why}") };
	let response = http.get(url).send().await.map_err(|e| fail(e.to_string()))?;
	if response.status() == StatusCode::NOT_FOUND {
		return Ok(None);
	}
	if !response.status().is_success() {
		let status = response.status();
		let body = response.text().await.unwrap_or_default();
		return Err(fail(format!("{status}: {}", body.chars().take(300).collect::<String>())));
	}
	response.json().await.map(Some).map_err(|e| fail(format!("not JSON: {e}")))
}

fn hex_encode(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use subxt_signer::sr25519::dev;

	const GENESIS: [u8; 32] = [7; 32];

	fn pricing() -> Pricing {
		Pricing {
			per_request: 1_000,
			per_input: 100,
			per_output_token: 10,
			default_max_tokens: 64,
			max_tokens_limit: 256,
		}
	}

	fn channel(claimed: Balance) -> Channel {
		Channel {
			id: 3,
			consumer: dev::alice().public_key().to_account_id(),
			provider: dev::bob().public_key().to_account_id(),
			deposit: 10_000,
			claimed,
			expires_at: 100,
		}
	}

	#[test]
	fn requests_are_priced_as_the_gateway_prices_them() {
		let p = pricing();
		let price = |path: &str, body: &[u8]| price_of(path, body, &p, None);
		assert_eq!(price("/v1/embeddings", br#"{"input":["a","b"]}"#), Ok(1_200));
		assert_eq!(price("/v1/chat/completions", br#"{"max_tokens":20}"#), Ok(1_200));
		assert_eq!(price("/v1/completions", br#"{"prompt":"x"}"#), Ok(1_640));
		assert!(matches!(price("/v1/embeddings", b"{"), Err(Refusal::BadRequest(_))));
		let Err(Refusal::BadRequest(m)) = price("/v1/completions", br#"{"max_tokens":300}"#) else {
			panic!("too many tokens")
		};
		assert!(m.contains("limit of 256"), "{m}");
	}

	#[test]
	fn a_gateway_publishing_dear_prices_is_not_paid_above_max_price() {
		// A gateway may publish any schedule: one asking the whole deposit per request.
		let dear = Pricing { per_request: 10_000, ..pricing() };
		let body = br#"{"input":"a"}"#;
		assert_eq!(
			price_of("/v1/embeddings", body, &dear, Some(2_000)),
			Err(Refusal::OverMaxPrice { price: 10_100, max: 2_000 })
		);
		assert_eq!(price_of("/v1/embeddings", body, &pricing(), Some(2_000)), Ok(1_100));
		let refusal = Refusal::OverMaxPrice { price: 10_100, max: 2_000 }.response(3);
		assert_eq!(refusal.status(), StatusCode::PAYMENT_REQUIRED);
	}

	#[test]
	fn vouchers_add_each_price_and_never_exceed_the_deposit() {
		let mut tab = Tab::default();
		// Two requests at once: each adds its price.
		let a = amount_for(&tab, 1_000, 10_000).expect("fits");
		tab.signed = a;
		tab.in_flight += 1_000;
		let b = amount_for(&tab, 1_000, 10_000).expect("fits");
		assert_eq!((a, b), (1_000, 2_000));
		tab.signed = b;
		tab.in_flight += 1_000;
		// The first was served (spent 1000), the second failed (not spent): its credit pays the
		// next request.
		tab.in_flight = 0;
		tab.spent = 1_000;
		assert_eq!(amount_for(&tab, 1_000, 10_000), Ok(2_000));
		// A gateway reporting too much spent cannot raise a voucher by more than the price.
		tab.spent = 9_000;
		assert_eq!(amount_for(&tab, 1_000, 10_000), Ok(3_000));
		// Above the deposit: refused, with the amount it would take.
		let tab = Tab { signed: 9_500, spent: 9_500, in_flight: 0 };
		assert_eq!(
			amount_for(&tab, 1_000, 10_000),
			Err(Refusal::OverDeposit { amount: 10_500, deposit: 10_000 })
		);
	}

	#[tokio::test]
	async fn a_request_the_client_gave_up_on_leaves_its_credit_usable() {
		let tab = Mutex::new(Tab { signed: 1_000, spent: 1_000, in_flight: 0 });
		// A request signed for 2,000 and sent; the local client gives up before the gateway
		// answers (the handler's future is dropped); the gateway did not serve it.
		let request = async {
			let _pending = {
				let mut locked = tab.lock().expect("tab");
				let amount = amount_for(&locked, 1_000, 10_000).expect("fits");
				locked.signed = amount;
				Pending::start(&tab, &mut locked, 1_000)
			};
			std::future::pending::<()>().await;
		};
		let gave_up = tokio::time::timeout(Duration::from_millis(10), request).await;
		assert!(gave_up.is_err());
		let now = *tab.lock().expect("tab");
		assert_eq!(now, Tab { signed: 2_000, spent: 1_000, in_flight: 0 });
		// The next request uses the credit the first one left: no new money signed.
		assert_eq!(amount_for(&now, 1_000, 10_000), Ok(2_000));
		// An answered one records what the gateway reports spent.
		{
			let mut locked = tab.lock().expect("tab");
			let mut pending = Pending::start(&tab, &mut locked, 1_000);
			drop(locked);
			pending.spent = Some(2_000);
		}
		assert_eq!(*tab.lock().expect("tab"), Tab { signed: 2_000, spent: 2_000, in_flight: 0 });
	}

	#[test]
	fn the_tab_resyncs_from_the_gateway_and_the_chain() {
		let me = dev::alice().public_key().to_account_id();
		// Never seen by the gateway: start from what the chain says was claimed.
		assert_eq!(
			resync(None, &channel(400), &GENESIS, &me),
			Ok(Tab { signed: 400, spent: 400, in_flight: 0 })
		);
		let ours = Voucher::sign(&GENESIS, 3, 2_500, &dev::alice());
		let state = json!({"spent": "2000", "voucher": ours.to_header()});
		assert_eq!(
			resync(Some(&state), &channel(400), &GENESIS, &me),
			Ok(Tab { signed: 2_500, spent: 2_000, in_flight: 0 })
		);
		let none = json!({"spent": "0", "voucher": null});
		assert_eq!(resync(Some(&none), &channel(0), &GENESIS, &me).map(|t| t.signed), Ok(0));
		// A voucher someone else signed, or for another chain or channel: refused.
		for bad in [
			Voucher::sign(&GENESIS, 3, 2_500, &dev::bob()),
			Voucher::sign(&[8; 32], 3, 2_500, &dev::alice()),
			Voucher::sign(&GENESIS, 4, 2_500, &dev::alice()),
		] {
			let state = json!({"spent": "0", "voucher": bad.to_header()});
			assert!(resync(Some(&state), &channel(0), &GENESIS, &me).is_err(), "{bad:?}");
		}
		assert!(resync(Some(&json!({})), &channel(0), &GENESIS, &me).is_err());
	}

	#[test]
	fn only_end_to_end_headers_are_forwarded() {
		assert!(hop_by_hop(&header::HOST));
		assert!(hop_by_hop(&header::CONTENT_LENGTH));
		assert!(hop_by_hop(&HeaderName::from_static(VOUCHER_HEADER)));
		assert!(!hop_by_hop(&header::AUTHORIZATION));
		assert!(!hop_by_hop(&header::CONTENT_TYPE));
	}
}
