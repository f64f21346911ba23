//! The HTTP API: OpenAI's endpoints over the served subnets, `/health`, `/metrics` and the
//! ledger's view of a channel.
//!
//! A work request (`POST /v1/embeddings`, `/v1/completions`, `/v1/chat/completions`) goes:
//! a slot of `--max-concurrency` (429 when none), the body read and checked (400/404), then
//! paid by its `x-agora-voucher` (admitted by the ledger before the work, 401/402) or counted
//! against the free tier (429; 401 without a free tier), served by miners (503 when none
//! answers), and settled: the response carries `x-agora-price` and `x-agora-spent`.

use std::{
	convert::Infallible,
	net::SocketAddr,
	sync::Arc,
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use agora_client::payments::{PriceError, Priced, Pricing, PRICE_HEADER, SPENT_HEADER};
use agora_primitives::TaskKind;
use agora_protocol::{Answer, TaskRequest};
use axum::{
	body::Bytes,
	extract::{ConnectInfo, DefaultBodyLimit, FromRequest, MatchedPath, Path, Request, State},
	http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
	middleware::{self, Next},
	response::{
		sse::{Event, Sse},
		IntoResponse, Response,
	},
	routing::{get, post},
	Json,
};
use serde_json::{json, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{
	billing::{self, Charge, Payments},
	chat::{self, Turn},
	error::ApiError,
	free_tier::{self, FreeTier},
	metrics::Metrics,
	miners::{Directory, RouteError, Router, Served, Subnet},
	openai::{self, ChatRequest, CompletionRequest, EmbeddingsRequest, Encoding, Usage},
	stream::{self, Header, Kind},
};

/// Sentences per miner query (what miners accept).
pub const EMBED_CHUNK: usize = 64;
/// Input strings per embeddings request (OpenAI's own limit).
pub const MAX_INPUTS: usize = 2048;
/// Characters of one input string or prompt (what miners accept).
pub const MAX_TEXT_CHARS: usize = 8_000;
/// Bytes of a request body; larger ones are answered 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// How long a request body may take to arrive once the request holds a slot.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Objects and arrays a request body may hold (see [`check_json_size`]).
pub const MAX_JSON_CONTAINERS: usize = 8_192;
/// Array elements and object members a request body may hold (see [`check_json_size`]).
pub const MAX_JSON_VALUES: usize = 65_536;

/// Everything the handlers share.
pub struct Gateway {
	/// The served subnets and their miners.
	pub directory: Directory,
	/// Sends tasks to miners.
	pub router: Router,
	/// The vouchers' ledger.
	pub payments: Arc<dyn Payments>,
	/// The published prices.
	pub pricing: Pricing,
	/// The free tier, when on.
	pub free_tier: Option<Arc<FreeTier>>,
	/// `--free-tier-rpm` (0: off).
	pub free_tier_rpm: u32,
	/// Work requests in flight (`--max-concurrency` permits).
	pub concurrency: Arc<Semaphore>,
	/// Metrics.
	pub metrics: Metrics,
	/// The gateway's hotkey, SS58: the provider its channels must name.
	pub provider: String,
	/// The chain's genesis hash, `0x…`: what vouchers sign against.
	pub genesis_hash: String,
}

/// The HTTP routes over `gateway`.
pub fn app(gateway: Arc<Gateway>) -> axum::Router {
	axum::Router::new()
		.route("/v1/models", get(models))
		.route("/v1/embeddings", post(paid_endpoint))
		.route("/v1/completions", post(paid_endpoint))
		.route("/v1/chat/completions", post(paid_endpoint))
		.route("/v1/channels/:id", get(channel))
		.route("/health", get(health))
		.route("/metrics", get(metrics))
		.route_layer(middleware::from_fn_with_state(gateway.clone(), track))
		.layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
		.fallback(not_found)
		.with_state(gateway)
}

/// Serves `app(gateway)` on `listener` until `shutdown` resolves (requests in flight finish).
pub async fn serve(
	listener: tokio::net::TcpListener,
	gateway: Arc<Gateway>,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	axum::serve(listener, app(gateway).into_make_service_with_connect_info::<SocketAddr>())
		.with_graceful_shutdown(shutdown)
		.await
}

/// Counts every routed request by route and status.
async fn track(
	State(gw): State<Arc<Gateway>>,
	matched: MatchedPath,
	request: Request,
	next: Next,
) -> Response {
	let started = Instant::now();
	let endpoint = matched.as_str().to_string();
	let response = next.run(request).await;
	gw.metrics.request(&endpoint, response.status().as_u16(), started.elapsed());
	response
}

async fn not_found() -> ApiError {
	ApiError::new(
		StatusCode::NOT_FOUND,
		"not_found",
		"no such endpoint: this gateway serves /v1/models, /v1/embeddings, /v1/completions, \
		 /v1/chat/completions, /v1/channels/{id}, /health and /metrics",
	)
}

fn now_secs() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn random_id(prefix: &str) -> String {
	format!("{prefix}-{:016x}", rand::random::<u64>())
}

async fn models(State(gw): State<Arc<Gateway>>) -> Json<Value> {
	let data: Vec<Value> = gw
		.directory
		.all()
		.iter()
		.map(|s| {
			json!({
				"id": openai::model_id(s.task, s.netuid),
				"object": "model",
				"created": s.registered_at,
				"owned_by": format!("agora-subnet-{}", s.netuid),
				"agora": {
					"netuid": s.netuid,
					"task": openai::task_name(s.task),
					"miners": s.miners.len(),
				},
			})
		})
		.collect();
	Json(json!({
		"object": "list",
		"data": data,
		"agora": {
			"provider": gw.provider,
			"genesis_hash": gw.genesis_hash,
			"pricing": gw.pricing,
			"free_tier_rpm": gw.free_tier_rpm,
		},
	}))
}

async fn health(State(gw): State<Arc<Gateway>>) -> Response {
	let subnets = gw.directory.all();
	let miners: usize = subnets.iter().map(|s| s.miners.len()).sum();
	let list: Vec<Value> = subnets
		.iter()
		.map(|s| {
			json!({
				"netuid": s.netuid,
				"model": openai::model_id(s.task, s.netuid),
				"miners": s.miners.len(),
			})
		})
		.collect();
	let (status, word) = if miners == 0 {
		(StatusCode::SERVICE_UNAVAILABLE, "no_miners")
	} else {
		(StatusCode::OK, "ok")
	};
	(status, Json(json!({"status": word, "subnets": list, "miners": miners}))).into_response()
}

async fn metrics(State(gw): State<Arc<Gateway>>) -> Response {
	let (accepted, claimed) = gw.payments.totals();
	gw.metrics.set_totals(accepted, claimed);
	match gw.metrics.encode() {
		Ok(text) => (
			[(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
			text,
		)
			.into_response(),
		Err(_) => ApiError::internal("cannot encode the metrics").into_response(),
	}
}

async fn channel(State(gw): State<Arc<Gateway>>, Path(id): Path<String>) -> Response {
	let Ok(id) = id.parse() else {
		return ApiError::bad_request(format!("{id:?} is not a channel id")).into_response();
	};
	match gw.payments.state(id) {
		Some(state) => Json(state).into_response(),
		None => ApiError::new(
			StatusCode::NOT_FOUND,
			"channel_not_found",
			format!("this gateway holds no voucher of channel {id}"),
		)
		.into_response(),
	}
}

/// A checked work request: the subnet, the miner tasks, and how to write the answer.
struct Job {
	subnet: Subnet,
	model: String,
	tasks: Vec<TaskRequest>,
	reply: Reply,
}

/// How the answers become the response.
enum Reply {
	Embeddings { encoding: Encoding, prompt_tokens: u32 },
	Completion { kind: Kind, max_tokens: u32, prompt_tokens: u32, stream: bool },
}

/// Reads a JSON body into `T`, as a 400 when it does not fit.
fn typed<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
	serde_json::from_value(body.clone()).map_err(|e| ApiError::bad_request(format!("{e}")))
}

fn price_error(e: PriceError) -> ApiError {
	let param = match e {
		PriceError::BadInput => "input",
		PriceError::TooManyTokens { .. } | PriceError::BadMaxTokens => "max_tokens",
		PriceError::NotPriced(_) => "",
	};
	let error = ApiError::bad_request(e.to_string());
	if param.is_empty() {
		error
	} else {
		error.param(param)
	}
}

/// The served subnet of `model` for `task`: 404 for an unknown model, 400 for one of another
/// task.
fn subnet_of(gw: &Gateway, model: &str, task: TaskKind) -> Result<Subnet, ApiError> {
	let (kind, netuid) =
		openai::parse_model(model).ok_or_else(|| ApiError::model_not_found(model))?;
	let subnet = gw.directory.get(netuid).ok_or_else(|| ApiError::model_not_found(model))?;
	if subnet.task != kind {
		return Err(ApiError::model_not_found(model));
	}
	if kind != task {
		let endpoint = match kind {
			TaskKind::TextEmbedding => "/v1/embeddings",
			TaskKind::TextGeneration => "/v1/completions or /v1/chat/completions",
		};
		return Err(ApiError::bad_request(format!(
			"`{model}` is a {} model: use {endpoint}",
			openai::task_name(kind)
		))
		.param("model"));
	}
	Ok(subnet)
}

fn check_prompt(prompt: &str, what: &str) -> Result<(), ApiError> {
	let chars = prompt.chars().count();
	if prompt.trim().is_empty() || chars > MAX_TEXT_CHARS {
		return Err(ApiError::bad_request(format!(
			"the {what} must have 1 to {MAX_TEXT_CHARS} characters, not {chars}"
		)));
	}
	Ok(())
}

fn embeddings_job(gw: &Gateway, body: &Value) -> Result<Job, ApiError> {
	let request: EmbeddingsRequest = typed(body)?;
	let subnet = subnet_of(gw, &request.model, TaskKind::TextEmbedding)?;
	let encoding = Encoding::parse(request.encoding_format.as_deref()).ok_or_else(|| {
		ApiError::bad_request("encoding_format must be `float` or `base64`")
			.param("encoding_format")
	})?;
	let texts = request.input.into_texts();
	if texts.is_empty() || texts.len() > MAX_INPUTS {
		return Err(ApiError::bad_request(format!(
			"input must hold 1 to {MAX_INPUTS} strings, not {}",
			texts.len()
		))
		.param("input"));
	}
	if let Some(i) = texts.iter().position(|t| t.chars().count() > MAX_TEXT_CHARS) {
		return Err(ApiError::bad_request(format!(
			"input[{i}] is longer than {MAX_TEXT_CHARS} characters"
		))
		.param("input"));
	}
	let prompt_tokens = texts.iter().map(|t| openai::approx_tokens(t)).fold(0, u32::saturating_add);
	let tasks = texts
		.chunks(EMBED_CHUNK)
		.map(|chunk| TaskRequest::Embed { sentences: chunk.to_vec() })
		.collect();
	Ok(Job {
		subnet,
		model: request.model,
		tasks,
		reply: Reply::Embeddings { encoding, prompt_tokens },
	})
}

fn completion_job(gw: &Gateway, body: &Value, max_tokens: Option<u32>) -> Result<Job, ApiError> {
	let request: CompletionRequest = typed(body)?;
	let subnet = subnet_of(gw, &request.model, TaskKind::TextGeneration)?;
	check_prompt(&request.prompt, "prompt")?;
	let max_tokens = gw.pricing.max_tokens(max_tokens).map_err(price_error)?;
	Ok(Job {
		subnet,
		model: request.model,
		reply: Reply::Completion {
			kind: Kind::Completion,
			max_tokens,
			prompt_tokens: openai::approx_tokens(&request.prompt),
			stream: request.stream,
		},
		tasks: vec![TaskRequest::Generate { prompt: request.prompt, max_tokens, logprobs: true }],
	})
}

/// The text of a message's `content`: a string, or OpenAI's array of `{"type": "text"}` parts.
fn content_text(content: &Value) -> Result<String, ApiError> {
	match content {
		Value::String(s) => Ok(s.clone()),
		Value::Array(parts) => parts
			.iter()
			.map(|p| {
				match (p.get("type").and_then(Value::as_str), p.get("text").and_then(Value::as_str))
				{
					(Some("text"), Some(text)) => Ok(text),
					_ => Err(ApiError::bad_request("only text content parts are served")
						.param("messages")),
				}
			})
			.collect::<Result<Vec<_>, _>>()
			.map(|texts| texts.concat()),
		_ => Err(ApiError::bad_request("a message's content must be text").param("messages")),
	}
}

fn chat_job(gw: &Gateway, body: &Value, max_tokens: Option<u32>) -> Result<Job, ApiError> {
	let request: ChatRequest = typed(body)?;
	let subnet = subnet_of(gw, &request.model, TaskKind::TextGeneration)?;
	if request.messages.is_empty() {
		return Err(ApiError::bad_request("messages must not be empty").param("messages"));
	}
	let mut turns = Vec::with_capacity(request.messages.len());
	for m in &request.messages {
		let role = match m.role.as_str() {
			"system" | "developer" => "system",
			"user" => "user",
			"assistant" => "assistant",
			other => {
				return Err(ApiError::bad_request(format!(
					"message role `{other}` is not served (system, user, assistant)"
				))
				.param("messages"))
			},
		};
		turns.push((role, content_text(&m.content)?));
	}
	let turns: Vec<Turn<'_>> = turns.iter().map(|(role, content)| Turn { role, content }).collect();
	let prompt = chat::chatml(&turns);
	check_prompt(&prompt, "conversation, in the chat template,")?;
	let max_tokens = gw.pricing.max_tokens(max_tokens).map_err(price_error)?;
	let prompt_tokens =
		turns.iter().map(|t| openai::approx_tokens(t.content)).fold(0, u32::saturating_add);
	Ok(Job {
		subnet,
		model: request.model,
		reply: Reply::Completion {
			kind: Kind::Chat,
			max_tokens,
			prompt_tokens,
			stream: request.stream,
		},
		tasks: vec![TaskRequest::Generate { prompt, max_tokens, logprobs: true }],
	})
}

/// `POST /v1/embeddings`, `/v1/completions` and `/v1/chat/completions`, told apart by the
/// route they matched.
async fn paid_endpoint(
	State(gw): State<Arc<Gateway>>,
	route: MatchedPath,
	peer: Option<ConnectInfo<SocketAddr>>,
	headers: HeaderMap,
	request: Request,
) -> Response {
	work(gw, route.as_str(), peer, headers, request).await
}

/// A work request, from the concurrency slot to the settled response.
///
/// The slot is taken before the body is read, and the body must arrive within [`BODY_TIMEOUT`]:
/// bodies are buffered whole, so reading them first would let any number of connections each
/// hold up to [`MAX_BODY_BYTES`] (sent slowly, for as long as they like).
async fn work(
	gw: Arc<Gateway>,
	path: &str,
	peer: Option<ConnectInfo<SocketAddr>>,
	headers: HeaderMap,
	request: Request,
) -> Response {
	let Ok(_slot) = gw.concurrency.clone().try_acquire_owned() else {
		return ApiError::rate_limited(
			"the gateway is serving as many requests as it may; retry shortly",
		)
		.into_response();
	};
	let body = match tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(request, &())).await {
		Ok(Ok(body)) => body,
		Ok(Err(e)) => {
			return ApiError::new(e.status(), "invalid_request_error", e.body_text())
				.into_response()
		},
		Err(_) => {
			return ApiError::new(
				StatusCode::REQUEST_TIMEOUT,
				"invalid_request_error",
				format!("the request body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
			)
			.into_response()
		},
	};
	match work_inner(&gw, path, peer, &headers, &body).await {
		Ok(response) => response,
		Err(e) => e.into_response(),
	}
}

async fn work_inner(
	gw: &Arc<Gateway>,
	path: &str,
	peer: Option<ConnectInfo<SocketAddr>>,
	headers: &HeaderMap,
	body: &[u8],
) -> Result<Response, ApiError> {
	check_json_size(body)?;
	let body: Value = serde_json::from_slice(body)
		.map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
	let priced = Priced::of(path, &body).map_err(price_error)?;
	let max_tokens = match priced {
		Priced::Completion { max_tokens } => max_tokens,
		Priced::Embeddings { .. } => None,
	};
	let job = match path {
		"/v1/embeddings" => embeddings_job(gw, &body)?,
		"/v1/completions" => completion_job(gw, &body, max_tokens)?,
		_ => chat_job(gw, &body, max_tokens)?,
	};
	// A paid request's charge, or the free tier's slot held while a free one is served.
	let (charge, _free_slot) = match billing::voucher_of(headers)? {
		Some(voucher) => {
			let price = gw.pricing.price(priced).map_err(price_error)?;
			(Some(Charge::admit(gw.payments.clone(), &voucher, price).await?), None)
		},
		None => (None, Some(free(gw, headers, peer.map(|ConnectInfo(addr)| addr.ip()))?)),
	};
	let answers = run(gw, &job).await?;
	if !same_dimension(&answers) {
		return Err(ApiError::no_miner(
			"the miners that answered the input's chunks gave vectors of different dimensions; \
			 retry, or send at most 64 inputs per request",
		));
	}
	let mut response = respond(&job, &answers)?;
	if let Some(charge) = charge {
		let price = charge.price;
		let spent = charge.settle()?;
		let out = response.headers_mut();
		for (name, value) in [(PRICE_HEADER, price), (SPENT_HEADER, spent)] {
			if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
				out.insert(HeaderName::from_static(name), value);
			}
		}
	}
	Ok(response)
}

/// Refuses a body holding more than [`MAX_JSON_CONTAINERS`] objects and arrays or
/// [`MAX_JSON_VALUES`] elements and members, before it is parsed: parsed into a
/// [`serde_json::Value`], a small value takes far more memory than its text (`{"a":0}`, 7 bytes,
/// takes a map node of several hundred), so an 8 MiB body of them would take gigabytes, and the
/// body is parsed before any voucher is checked. Counts `{`, `[`, `,` and `:` outside strings;
/// an invalid body is left to the parser.
pub fn check_json_size(body: &[u8]) -> Result<(), ApiError> {
	let (mut containers, mut values) = (0usize, 0usize);
	let (mut in_string, mut escaped) = (false, false);
	for &b in body {
		if in_string {
			match b {
				_ if escaped => escaped = false,
				b'\\' => escaped = true,
				b'"' => in_string = false,
				_ => {},
			}
			continue;
		}
		match b {
			b'"' => in_string = true,
			b'{' | b'[' => containers += 1,
			b',' | b':' => values += 1,
			_ => {},
		}
	}
	if containers > MAX_JSON_CONTAINERS || values > MAX_JSON_VALUES {
		return Err(ApiError::bad_request(format!(
			"the body holds too many JSON values ({containers} objects and arrays, {values} \
			 elements and members; at most {MAX_JSON_CONTAINERS} and {MAX_JSON_VALUES})"
		)));
	}
	Ok(())
}

/// Admits a request without a voucher on the free tier, with one of the slots free requests
/// share; 401 without a free tier, 429 over its rate or when free requests hold their share of
/// `--max-concurrency`.
fn free(
	gw: &Gateway,
	headers: &HeaderMap,
	ip: Option<std::net::IpAddr>,
) -> Result<OwnedSemaphorePermit, ApiError> {
	let Some(tier) = &gw.free_tier else {
		return Err(ApiError::invalid_voucher(format!(
			"this gateway serves paid requests only: send a voucher in the {} header (`agora \
			 gateway proxy` signs them for a payment channel)",
			agora_client::payments::VOUCHER_HEADER
		)));
	};
	let slot = tier.slot().ok_or_else(|| {
		ApiError::rate_limited(
			"the free tier is serving as many requests as it may; retry shortly or pay with a \
			 voucher",
		)
	})?;
	tier.check(&free_tier::client_of(headers, ip)).map_err(|wait| {
		ApiError::rate_limited(format!(
			"the free tier allows {} requests a minute; retry in {} s or pay with a voucher",
			gw.free_tier_rpm,
			wait.as_secs().max(1)
		))
	})?;
	Ok(slot)
}

/// Every task of the job carried out (at once), in order; 503 when one finds no miner.
async fn run(gw: &Gateway, job: &Job) -> Result<Vec<Served>, ApiError> {
	let results =
		futures::future::join_all(job.tasks.iter().map(|t| gw.router.run(&job.subnet, t.clone())))
			.await;
	results.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| {
		tracing::warn!("{e}");
		match e {
			RouteError::NoMiner(netuid) => ApiError::no_miner(format!(
				"subnet {netuid} has no miner to serve the request; retry later"
			)),
			RouteError::AllFailed { .. } => {
				ApiError::no_miner(format!("no miner answered the request: {e}"))
			},
		}
	})
}

/// Whether the embeddings of every chunk have one dimension (each answer was checked alone; two
/// miners of a subnet may still run different models).
fn same_dimension(answers: &[Served]) -> bool {
	let mut dims = answers.iter().filter_map(|s| match &s.answer {
		Answer::Embeddings { vectors, .. } => vectors.first().map(Vec::len),
		Answer::Generation { .. } => None,
	});
	let first = dims.next();
	dims.all(|d| Some(d) == first)
}

/// The `agora` part of a response: the subnet and who answered.
fn provenance(job: &Job, answers: &[Served]) -> Value {
	let miners: Vec<Value> = answers
		.iter()
		.map(|s| {
			let model = match &s.answer {
				Answer::Embeddings { model, .. } | Answer::Generation { model, .. } => model,
			};
			json!({"uid": s.uid, "hotkey": s.hotkey.to_string(), "model": model})
		})
		.collect();
	json!({"netuid": job.subnet.netuid, "miners": miners})
}

fn respond(job: &Job, answers: &[Served]) -> Result<Response, ApiError> {
	match job.reply {
		Reply::Embeddings { encoding, prompt_tokens } => {
			let vectors = answers.iter().flat_map(|s| match &s.answer {
				Answer::Embeddings { vectors, .. } => vectors.as_slice(),
				Answer::Generation { .. } => &[],
			});
			let data: Vec<Value> = vectors
				.enumerate()
				.map(|(index, v)| {
					let embedding = match encoding {
						Encoding::Float => json!(v),
						Encoding::Base64 => json!(openai::base64_f32(v)),
					};
					json!({"object": "embedding", "index": index, "embedding": embedding})
				})
				.collect();
			Ok(Json(json!({
				"object": "list",
				"data": data,
				"model": job.model,
				"usage": Usage::embeddings(prompt_tokens),
				"agora": provenance(job, answers),
			}))
			.into_response())
		},
		Reply::Completion { kind, max_tokens, prompt_tokens, stream } => {
			let Some(Answer::Generation { text, logprobs, .. }) =
				answers.first().map(|s| &s.answer)
			else {
				return Err(ApiError::internal("a generation task was answered with no text"));
			};
			let text = match kind {
				Kind::Chat => chat::answer_text(text),
				Kind::Completion => text.as_str(),
			};
			let tokens = logprobs.as_ref().map_or_else(
				|| openai::approx_tokens(text),
				|l| u32::try_from(l.len()).unwrap_or(u32::MAX),
			);
			let finish = openai::finish_reason(tokens, max_tokens);
			let created = now_secs();
			let id = random_id(if kind == Kind::Chat { "chatcmpl" } else { "cmpl" });
			if stream {
				let header = Header { id: &id, created, model: &job.model };
				let events = stream::events(kind, &header, text, finish);
				let events = futures::stream::iter(
					events.into_iter().map(|data| Ok::<_, Infallible>(Event::default().data(data))),
				);
				return Ok(Sse::new(events).into_response());
			}
			let (object, choice) = match kind {
				Kind::Chat => (
					"chat.completion",
					json!({
						"index": 0,
						"message": {"role": "assistant", "content": text},
						"logprobs": Value::Null,
						"finish_reason": finish,
					}),
				),
				Kind::Completion => (
					"text_completion",
					json!({"index": 0, "text": text, "logprobs": Value::Null, "finish_reason": finish}),
				),
			};
			Ok(Json(json!({
				"id": id,
				"object": object,
				"created": created,
				"model": job.model,
				"choices": [choice],
				"usage": Usage::completion(prompt_tokens, tokens),
				"agora": provenance(job, answers),
			}))
			.into_response())
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		ledger::{Admission, ChannelState, LedgerError, PaymentError},
		miners::tests::{key, Behaviour, FakeMiners},
	};
	use agora_client::payments::{Voucher, VOUCHER_HEADER};
	use agora_primitives::Balance;
	use futures::future::BoxFuture;
	use std::time::Duration;

	/// A ledger that knows channel 7 and finds every voucher short by the price.
	struct Short;

	impl Payments for Short {
		fn admit<'a>(
			&'a self,
			voucher: &'a Voucher,
			price: Balance,
		) -> BoxFuture<'a, Result<Admission, PaymentError>> {
			let (channel, required) = (voucher.channel, voucher.amount + price);
			Box::pin(async move { Err(PaymentError::Underpaid { channel, required, price }) })
		}

		fn settle(&self, _: Admission, _: bool) -> Result<Balance, LedgerError> {
			Ok(0)
		}

		fn state(&self, channel: agora_client::chain::ChannelId) -> Option<ChannelState> {
			(channel == 7).then(|| ChannelState {
				id: 7,
				consumer: "5Consumer".into(),
				deposit: 1_000,
				expires_at: 900,
				claimed: 0,
				accepted: 500,
				spent: 400,
				voucher: None,
			})
		}

		fn totals(&self) -> (Balance, Balance) {
			(1_500, 1_000)
		}
	}

	struct Setup {
		free_tier_rpm: u32,
		concurrency: usize,
		behaviour: Behaviour,
	}

	impl Default for Setup {
		fn default() -> Self {
			Setup { free_tier_rpm: 100, concurrency: 8, behaviour: Behaviour::Good }
		}
	}

	/// A gateway over fake miners (subnet 1 embeds, subnet 2 generates, subnet 3 has none) on
	/// a local port; its base URL.
	async fn start(setup: Setup) -> (String, FakeMiners) {
		let fake = FakeMiners::default();
		let directory = Directory::default();
		let miners = |first: u16| {
			(first..first + 3).map(|uid| fake.add(uid, setup.behaviour, 10)).collect::<Vec<_>>()
		};
		directory.set(Subnet {
			netuid: 1,
			task: TaskKind::TextEmbedding,
			registered_at: 10,
			miners: miners(0),
		});
		directory.set(Subnet {
			netuid: 2,
			task: TaskKind::TextGeneration,
			registered_at: 20,
			miners: miners(10),
		});
		directory.set(Subnet {
			netuid: 3,
			task: TaskKind::TextEmbedding,
			registered_at: 30,
			miners: vec![],
		});
		let metrics = Metrics::default();
		let router = Router::new(
			Arc::new(fake.clone()),
			key("//Gateway"),
			Duration::from_secs(5),
			2,
			metrics.clone(),
		);
		let gateway = Gateway {
			directory,
			router,
			payments: Arc::new(Short),
			pricing: Pricing {
				per_request: 1_000,
				per_input: 100,
				per_output_token: 10,
				default_max_tokens: 16,
				max_tokens_limit: 256,
			},
			free_tier: FreeTier::new(setup.free_tier_rpm, setup.concurrency).map(Arc::new),
			free_tier_rpm: setup.free_tier_rpm,
			concurrency: Arc::new(Semaphore::new(setup.concurrency)),
			metrics,
			provider: "5Gateway".into(),
			genesis_hash: format!("0x{}", "ab".repeat(32)),
		};
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
		let addr = listener.local_addr().expect("addr");
		tokio::spawn(serve(listener, Arc::new(gateway), std::future::pending()));
		(format!("http://{addr}"), fake)
	}

	async fn post(base: &str, path: &str, body: Value) -> (u16, HeaderMap, String) {
		post_with(base, path, body, &[]).await
	}

	async fn post_with(
		base: &str,
		path: &str,
		body: Value,
		headers: &[(&str, &str)],
	) -> (u16, HeaderMap, String) {
		let mut request = reqwest::Client::new().post(format!("{base}{path}")).json(&body);
		for (name, value) in headers {
			request = request.header(*name, *value);
		}
		let response = request.send().await.expect("sent");
		let status = response.status().as_u16();
		let headers = response.headers().clone();
		(status, headers, response.text().await.expect("body"))
	}

	async fn get(base: &str, path: &str) -> (u16, String) {
		let response = reqwest::get(format!("{base}{path}")).await.expect("sent");
		(response.status().as_u16(), response.text().await.expect("body"))
	}

	fn json_of(text: &str) -> Value {
		serde_json::from_str(text).expect("JSON")
	}

	#[tokio::test]
	async fn models_health_metrics_and_channels() {
		let (base, _) = start(Setup::default()).await;
		let (status, body) = get(&base, "/v1/models").await;
		assert_eq!(status, 200);
		let models = json_of(&body);
		assert_eq!(models["object"], "list");
		assert_eq!(models["data"][0]["id"], "text-embedding-sn1");
		assert_eq!(models["data"][0]["created"], 10);
		assert_eq!(models["data"][0]["owned_by"], "agora-subnet-1");
		assert_eq!(
			models["data"][0]["agora"],
			json!({"netuid": 1, "task": "text-embedding", "miners": 3})
		);
		assert_eq!(models["data"][1]["id"], "text-generation-sn2");
		assert_eq!(models["agora"]["provider"], "5Gateway");
		assert_eq!(models["agora"]["pricing"]["per_request"], "1000");
		assert_eq!(models["agora"]["free_tier_rpm"], 100);
		let (status, body) = get(&base, "/health").await;
		assert_eq!(status, 200);
		assert_eq!(json_of(&body)["miners"], 6);
		let (status, body) = get(&base, "/v1/channels/7").await;
		assert_eq!(status, 200);
		let channel = json_of(&body);
		assert_eq!(channel["spent"], "400");
		assert_eq!(channel["voucher"], Value::Null);
		let (status, body) = get(&base, "/v1/channels/8").await;
		assert_eq!(status, 404);
		assert_eq!(json_of(&body)["error"]["code"], "channel_not_found");
		assert_eq!(get(&base, "/v1/channels/x").await.0, 400);
		let (status, body) = get(&base, "/nowhere").await;
		assert_eq!(status, 404);
		assert_eq!(json_of(&body)["error"]["code"], "not_found");
		let (status, text) = get(&base, "/metrics").await;
		assert_eq!(status, 200);
		assert!(text.contains("agora_gateway_planck_accepted 1500"), "{text}");
		assert!(
			text.contains("agora_gateway_requests_total{endpoint=\"/v1/models\",status=\"200\"} 1"),
			"{text}"
		);
	}

	#[tokio::test]
	async fn embeddings_are_chunked_by_64_and_returned_in_order() {
		let (base, fake) = start(Setup::default()).await;
		let input: Vec<String> = (0..130).map(|i| "x".repeat(i % 7 + 1)).collect();
		let (status, _, body) =
			post(&base, "/v1/embeddings", json!({"model": "text-embedding-sn1", "input": input}))
				.await;
		assert_eq!(status, 200, "{body}");
		let body = json_of(&body);
		let data = body["data"].as_array().expect("data");
		assert_eq!(data.len(), 130);
		for (i, d) in data.iter().enumerate() {
			assert_eq!(d["index"], i);
			// The fake miner's first value is the sentence's length.
			assert_eq!(d["embedding"][0], (i % 7 + 1) as f64);
		}
		assert_eq!(body["model"], "text-embedding-sn1");
		assert_eq!(body["usage"], json!({"prompt_tokens": 130, "total_tokens": 130}));
		assert_eq!(fake.asked.lock().expect("lock").len(), 3, "64 + 64 + 2");
		let (status, _, body) = post(
			&base,
			"/v1/embeddings",
			json!({"model": "text-embedding-sn1", "input": "abc", "encoding_format": "base64"}),
		)
		.await;
		assert_eq!(status, 200);
		// [3.0, 1.0, 0.5] as little-endian f32s.
		assert_eq!(json_of(&body)["data"][0]["embedding"], "AABAQAAAgD8AAAA/");
	}

	#[tokio::test]
	async fn completions_and_chat_answer_as_openai_does() {
		let (base, _) = start(Setup::default()).await;
		let (status, _, body) = post(
			&base,
			"/v1/completions",
			json!({"model": "text-generation-sn2", "prompt": "Once upon", "max_tokens": 4}),
		)
		.await;
		assert_eq!(status, 200, "{body}");
		let body = json_of(&body);
		assert_eq!(body["object"], "text_completion");
		assert_eq!(body["choices"][0]["text"], " answer to 9 chars");
		// The fake gives min(max_tokens, 4) log-probabilities: all the tokens it may.
		assert_eq!(body["choices"][0]["finish_reason"], "length");
		assert_eq!(body["usage"]["completion_tokens"], 4);
		let messages = json!([{"role": "user", "content": "Hi"}]);
		let (status, _, body) = post(
			&base,
			"/v1/chat/completions",
			json!({"model": "text-generation-sn2", "messages": messages, "max_completion_tokens": 8}),
		)
		.await;
		assert_eq!(status, 200, "{body}");
		let body = json_of(&body);
		assert_eq!(body["object"], "chat.completion");
		assert!(body["id"].as_str().expect("id").starts_with("chatcmpl-"));
		let prompt_chars = chat::chatml(&[Turn { role: "user", content: "Hi" }]).chars().count();
		assert_eq!(
			body["choices"][0]["message"],
			json!({"role": "assistant", "content": format!(" answer to {prompt_chars} chars")})
		);
		assert_eq!(body["choices"][0]["finish_reason"], "stop");
		assert_eq!(body["usage"]["prompt_tokens"], 1);
	}

	#[tokio::test]
	async fn a_streamed_chat_is_server_sent_events() {
		let (base, _) = start(Setup::default()).await;
		let (status, headers, body) = post(
			&base,
			"/v1/chat/completions",
			json!({
				"model": "text-generation-sn2",
				"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
				"stream": true,
			}),
		)
		.await;
		assert_eq!(status, 200, "{body}");
		assert_eq!(headers[header::CONTENT_TYPE], "text/event-stream");
		let data: Vec<&str> = body.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
		assert_eq!(data.last(), Some(&"[DONE]"));
		let text: String = data[..data.len() - 1]
			.iter()
			.map(|d| {
				json_of(d)["choices"][0]["delta"]["content"].as_str().unwrap_or("").to_string()
			})
			.collect();
		assert!(text.starts_with(" answer to "), "{text}");
		assert_eq!(data.len(), 1 + 4 + 1 + 1, "role, four words, finish, done");
	}

	#[tokio::test]
	async fn bad_requests_get_openai_errors() {
		let (base, _) = start(Setup::default()).await;
		let cases = [
			("/v1/embeddings", json!({"model": "gpt-4", "input": "a"}), 404, "model_not_found"),
			(
				"/v1/embeddings",
				json!({"model": "text-embedding-sn9", "input": "a"}),
				404,
				"model_not_found",
			),
			// Subnet 2 generates: no such embedding model.
			(
				"/v1/embeddings",
				json!({"model": "text-embedding-sn2", "input": "a"}),
				404,
				"model_not_found",
			),
			// A generation model on the embeddings endpoint: the wrong endpoint.
			(
				"/v1/embeddings",
				json!({"model": "text-generation-sn2", "input": "a"}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/embeddings",
				json!({"model": "text-embedding-sn1", "input": []}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/embeddings",
				json!({"model": "text-embedding-sn1", "input": [1]}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/embeddings",
				json!({"model": "text-embedding-sn1", "input": "a", "encoding_format": "int8"}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/completions",
				json!({"model": "text-embedding-sn1", "prompt": "a"}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/completions",
				json!({"model": "text-generation-sn2", "prompt": " "}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/completions",
				json!({"model": "text-generation-sn2", "prompt": "a", "max_tokens": 257}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/completions",
				json!({"model": "text-generation-sn2", "prompt": "a", "max_tokens": 0}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/chat/completions",
				json!({"model": "text-generation-sn2", "messages": []}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/chat/completions",
				json!({"model": "text-generation-sn2", "messages": [{"role": "tool", "content": "x"}]}),
				400,
				"invalid_request_error",
			),
			(
				"/v1/embeddings",
				json!({"model": "text-embedding-sn3", "input": "a"}),
				503,
				"no_miner_available",
			),
		];
		for (path, body, status, code) in cases {
			let (got, _, text) = post(&base, path, body.clone()).await;
			assert_eq!(got, status, "{path} {body}: {text}");
			let error = json_of(&text);
			assert_eq!(error["error"]["code"], code, "{text}");
			assert!(error["error"]["message"].is_string());
			assert!(error["error"]["type"].is_string());
		}
		let response = reqwest::Client::new()
			.post(format!("{base}/v1/embeddings"))
			.body("not json")
			.send()
			.await
			.expect("sent");
		assert_eq!(response.status().as_u16(), 400);
		let huge = "x".repeat(MAX_BODY_BYTES);
		let (got, _, text) =
			post(&base, "/v1/embeddings", json!({"model": "text-embedding-sn1", "input": huge}))
				.await;
		assert_eq!(got, 413);
		assert_eq!(json_of(&text)["error"]["type"], "invalid_request_error");
		let long = "x".repeat(MAX_TEXT_CHARS + 1);
		let (got, _, _) =
			post(&base, "/v1/embeddings", json!({"model": "text-embedding-sn1", "input": [long]}))
				.await;
		assert_eq!(got, 400);
	}

	#[tokio::test]
	async fn bodies_that_would_parse_into_gigabytes_are_refused_unparsed() {
		let (base, fake) = start(Setup::default()).await;
		// 100,000 tiny objects (7 bytes of text, hundreds parsed) in a field nobody reads,
		// then as many numbers: refused before the body is parsed or anything is served.
		let objects: Vec<Value> = (0..100_000).map(|_| json!({"a": 0})).collect();
		let numbers = vec![0; 100_000];
		for junk in [json!(objects), json!(numbers)] {
			let body = json!({"model": "text-embedding-sn1", "input": "a", "junk": junk});
			let (status, _, text) = post(&base, "/v1/embeddings", body).await;
			assert_eq!(status, 400, "{text}");
			assert!(json_of(&text)["error"]["message"]
				.as_str()
				.expect("message")
				.contains("too many JSON values"));
		}
		assert!(fake.asked.lock().expect("lock").is_empty(), "nothing served");
		// The largest request the gateway serves passes.
		let input: Vec<String> = (0..MAX_INPUTS).map(|i| format!("s{i}")).collect();
		let (status, _, text) =
			post(&base, "/v1/embeddings", json!({"model": "text-embedding-sn1", "input": input}))
				.await;
		assert_eq!(status, 200, "{text}");
		// What strings hold is not counted, escaped quotes included; what follows them is.
		let inside = format!(r#"{{"a":"\"{}"}}"#, ",{[:".repeat(MAX_JSON_VALUES));
		assert!(check_json_size(inside.as_bytes()).is_ok());
		let after = format!(r#"["\\"{}]"#, ",0".repeat(MAX_JSON_VALUES + 1));
		assert!(check_json_size(after.as_bytes()).is_err());
		assert!(check_json_size(b"not json at all").is_ok(), "left to the parser");
	}

	#[tokio::test]
	async fn free_requests_cannot_take_the_slots_of_paid_ones() {
		// Four slots: two for free requests, whatever their keys.
		let slow = Behaviour::Slow(Duration::from_millis(1_500));
		let (base, _) = start(Setup { concurrency: 4, behaviour: slow, ..Setup::default() }).await;
		let body = json!({"model": "text-embedding-sn1", "input": "a"});
		let hold = |key: String| {
			let (base, body) = (base.clone(), body.clone());
			tokio::spawn(async move {
				let auth = format!("Bearer {key}");
				post_with(&base, "/v1/embeddings", body, &[("authorization", &auth)]).await.0
			})
		};
		let held = [hold("k1".into()), hold("k2".into())];
		tokio::time::sleep(Duration::from_millis(500)).await;
		let (status, _, text) =
			post_with(&base, "/v1/embeddings", body.clone(), &[("authorization", "Bearer k3")])
				.await;
		assert_eq!(status, 429, "{text}");
		assert!(text.contains("free tier is serving"), "{text}");
		// A paid request still gets a slot (and the ledger's answer: this one refuses).
		let voucher = Voucher::sign(&[0; 32], 7, 5_000, &key("//Consumer")).to_header();
		let (status, _, text) =
			post_with(&base, "/v1/embeddings", body.clone(), &[(VOUCHER_HEADER, &voucher)]).await;
		assert_eq!(status, 402, "{text}");
		for h in held {
			assert_eq!(h.await.expect("task"), 200);
		}
		// Released once served.
		let (status, _, _) =
			post_with(&base, "/v1/embeddings", body, &[("authorization", "Bearer k3")]).await;
		assert_eq!(status, 200);
	}

	#[tokio::test]
	async fn a_request_gets_the_tokens_it_is_priced_for_however_it_names_them() {
		// Bodies that might read one way for the price and another for the work: a null
		// max_completion_tokens beside a max_tokens, a key given twice. The gateway reads
		// both from one parse, so the miner is asked for the tokens paid for.
		let (base, fake) = start(Setup::default()).await;
		let messages = json!([{"role": "user", "content": "Hi"}]);
		let null_first = json!({
			"model": "text-generation-sn2",
			"messages": messages,
			"max_completion_tokens": null,
			"max_tokens": 200,
		})
		.to_string();
		let twice = r#"{"model": "text-generation-sn2", "prompt": "Hi", "max_tokens": 1, "max_tokens": 200}"#;
		let voucher = Voucher::sign(&[0; 32], 7, 5_000, &key("//Consumer")).to_header();
		let client = reqwest::Client::new();
		for (path, body) in
			[("/v1/chat/completions", null_first), ("/v1/completions", twice.into())]
		{
			let send = |paid: bool| {
				let mut request = client
					.post(format!("{base}{path}"))
					.header("content-type", "application/json")
					.body(body.clone());
				if paid {
					request = request.header(VOUCHER_HEADER, &voucher);
				}
				request.send()
			};
			// The price, as the ledger's refusal gives it: the voucher's 5,000 + 1,000 a request
			// + 10 a token.
			let refused: Value = send(true).await.expect("sent").json().await.expect("JSON");
			let required: u128 =
				refused["error"]["required"].as_str().expect("required").parse().expect("number");
			let priced_tokens = (required - 5_000 - 1_000) / 10;
			// The work, on the free tier.
			assert_eq!(send(false).await.expect("sent").status().as_u16(), 200);
			let asked = fake.tasks.lock().expect("lock").pop().expect("asked");
			let TaskRequest::Generate { max_tokens, .. } = asked else { panic!("{asked:?}") };
			assert_eq!(u128::from(max_tokens), priced_tokens, "{path} {body}");
		}
	}

	#[tokio::test]
	async fn miners_that_all_fail_give_503() {
		let (base, fake) = start(Setup { behaviour: Behaviour::Forger, ..Setup::default() }).await;
		let (status, _, body) =
			post(&base, "/v1/embeddings", json!({"model": "text-embedding-sn1", "input": "a"}))
				.await;
		assert_eq!(status, 503, "{body}");
		assert_eq!(json_of(&body)["error"]["code"], "no_miner_available");
		assert_eq!(fake.asked.lock().expect("lock").len(), 3, "one try and two retries");
	}

	#[tokio::test]
	async fn vouchers_free_tier_and_concurrency() {
		// No free tier: a voucher is needed.
		let (base, _) = start(Setup { free_tier_rpm: 0, ..Setup::default() }).await;
		let body = json!({"model": "text-embedding-sn1", "input": ["a", "b"]});
		let (status, _, text) = post(&base, "/v1/embeddings", body.clone()).await;
		assert_eq!(status, 401, "{text}");
		assert_eq!(json_of(&text)["error"]["code"], "invalid_voucher");
		let (status, _, _) =
			post_with(&base, "/v1/embeddings", body.clone(), &[(VOUCHER_HEADER, "7:12")]).await;
		assert_eq!(status, 401);
		// The ledger's refusal, with the amount that would pay (voucher + the price 1,200).
		let voucher = Voucher::sign(&[0; 32], 7, 5_000, &key("//Consumer")).to_header();
		let (status, _, text) =
			post_with(&base, "/v1/embeddings", body.clone(), &[(VOUCHER_HEADER, &voucher)]).await;
		assert_eq!(status, 402, "{text}");
		let error = json_of(&text);
		assert_eq!(error["error"]["code"], "payment_required");
		assert_eq!(error["error"]["required"], "6200");
		// A request that does not fit is refused before any voucher is looked at.
		let bad = json!({"model": "gpt-4", "input": "a"});
		let (status, _, _) =
			post_with(&base, "/v1/embeddings", bad, &[(VOUCHER_HEADER, &voucher)]).await;
		assert_eq!(status, 404);

		// Free tier of 2 a minute, per key.
		let (base, _) = start(Setup { free_tier_rpm: 2, ..Setup::default() }).await;
		let alice = [("authorization", "Bearer alice")];
		for _ in 0..2 {
			assert_eq!(post_with(&base, "/v1/embeddings", body.clone(), &alice).await.0, 200);
		}
		let (status, _, text) = post_with(&base, "/v1/embeddings", body.clone(), &alice).await;
		assert_eq!(status, 429, "{text}");
		assert_eq!(json_of(&text)["error"]["code"], "rate_limit_exceeded");
		let bob = [("authorization", "Bearer bob")];
		assert_eq!(post_with(&base, "/v1/embeddings", body.clone(), &bob).await.0, 200);

		// No slot left: 429 at once.
		let (base, _) = start(Setup { concurrency: 0, ..Setup::default() }).await;
		let (status, _, text) = post(&base, "/v1/embeddings", body).await;
		assert_eq!(status, 429, "{text}");
	}

	#[tokio::test]
	async fn bodies_are_read_only_with_a_slot() {
		// Without a slot the body is not read (not 413 for one over the limit: not even
		// looked at), so connections beyond --max-concurrency cannot each hold a buffered body.
		let (base, _) = start(Setup { concurrency: 0, ..Setup::default() }).await;
		let huge = "x".repeat(MAX_BODY_BYTES);
		let (status, _, text) =
			post(&base, "/v1/embeddings", json!({"model": "text-embedding-sn1", "input": huge}))
				.await;
		assert_eq!(status, 429, "{text}");
		// A body that stops arriving gives its slot back: the request is dropped with the
		// connection, and the slot is free again.
		let (base, _) = start(Setup { concurrency: 1, ..Setup::default() }).await;
		let addr = base.trim_start_matches("http://").to_string();
		let mut stalled = tokio::net::TcpStream::connect(&addr).await.expect("connects");
		use tokio::io::AsyncWriteExt;
		let head = "POST /v1/embeddings HTTP/1.1\r\nhost: x\r\ncontent-type: \
		            application/json\r\ncontent-length: 1000\r\n\r\n{\"model\":";
		stalled.write_all(head.as_bytes()).await.expect("writes");
		tokio::time::sleep(Duration::from_millis(200)).await;
		let body = json!({"model": "text-embedding-sn1", "input": "a"});
		assert_eq!(post(&base, "/v1/embeddings", body.clone()).await.0, 429, "the slot is held");
		drop(stalled);
		tokio::time::sleep(Duration::from_millis(200)).await;
		assert_eq!(post(&base, "/v1/embeddings", body).await.0, 200);
	}
}
