//! The gateway's Prometheus metrics (`GET /metrics`): HTTP requests by endpoint and status,
//! their latency, miner queries by subnet and outcome, and the planck the ledger accepted
//! (vouchers held) and claimed on chain.

use std::{
	sync::{atomic::AtomicU64, Arc, Mutex, PoisonError},
	time::Duration,
};

use prometheus_client::{
	encoding::EncodeLabelSet,
	metrics::{
		counter::Counter,
		family::Family,
		gauge::Gauge,
		histogram::{exponential_buckets, Histogram},
	},
	registry::Registry,
};

/// An HTTP request's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
	endpoint: String,
	status: u16,
}

/// An HTTP endpoint's label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
	endpoint: String,
}

/// A miner query's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueryLabels {
	netuid: u16,
	outcome: String,
}

/// The subnet's label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubnetLabel {
	netuid: u16,
}

/// The gateway's metrics; clones share them.
#[derive(Clone)]
pub struct Metrics {
	registry: Arc<Mutex<Registry>>,
	requests: Family<RequestLabels, Counter>,
	latency: Family<EndpointLabel, Histogram>,
	queries: Family<QueryLabels, Counter>,
	query_seconds: Family<SubnetLabel, Histogram>,
	accepted: Gauge<f64, AtomicU64>,
	claimed: Gauge<f64, AtomicU64>,
}

fn seconds_histogram() -> Histogram {
	// 10 ms to ~160 s.
	Histogram::new(exponential_buckets(0.01, 2.0, 15))
}

impl Default for Metrics {
	fn default() -> Self {
		let mut registry = Registry::with_prefix("agora_gateway");
		let requests = Family::<RequestLabels, Counter>::default();
		let latency = Family::<EndpointLabel, Histogram>::new_with_constructor(
			seconds_histogram as fn() -> Histogram,
		);
		let queries = Family::<QueryLabels, Counter>::default();
		let query_seconds = Family::<SubnetLabel, Histogram>::new_with_constructor(
			seconds_histogram as fn() -> Histogram,
		);
		let accepted = Gauge::<f64, AtomicU64>::default();
		let claimed = Gauge::<f64, AtomicU64>::default();
		registry.register("requests", "HTTP requests by endpoint and status", requests.clone());
		registry.register("request_seconds", "HTTP request latency by endpoint", latency.clone());
		registry.register(
			"miner_queries",
			"Miner queries by subnet and outcome (ok, timeout, error, refused, bad_answer)",
			queries.clone(),
		);
		registry.register(
			"miner_query_seconds",
			"Miner query latency by subnet",
			query_seconds.clone(),
		);
		registry.register(
			"planck_accepted",
			"Planck of the largest vouchers held, over all channels",
			accepted.clone(),
		);
		registry.register(
			"planck_claimed",
			"Planck claimed on chain, over all channels",
			claimed.clone(),
		);
		Self {
			registry: Arc::new(Mutex::new(registry)),
			requests,
			latency,
			queries,
			query_seconds,
			accepted,
			claimed,
		}
	}
}

impl Metrics {
	/// Counts an HTTP request to `endpoint` (its route) answered with `status` after `took`.
	pub fn request(&self, endpoint: &str, status: u16, took: Duration) {
		self.requests.get_or_create(&RequestLabels { endpoint: endpoint.into(), status }).inc();
		self.latency
			.get_or_create(&EndpointLabel { endpoint: endpoint.into() })
			.observe(took.as_secs_f64());
	}

	/// Counts a miner query on `netuid` with its `outcome`.
	pub fn miner_query(&self, netuid: u16, outcome: &str, took: Duration) {
		self.queries.get_or_create(&QueryLabels { netuid, outcome: outcome.into() }).inc();
		self.query_seconds.get_or_create(&SubnetLabel { netuid }).observe(took.as_secs_f64());
	}

	/// Sets the ledger's totals, in planck (as floats: Prometheus has no 128-bit integers).
	pub fn set_totals(&self, accepted: u128, claimed: u128) {
		self.accepted.set(accepted as f64);
		self.claimed.set(claimed as f64);
	}

	/// The text exposition.
	pub fn encode(&self) -> Result<String, std::fmt::Error> {
		let mut out = String::new();
		let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
		prometheus_client::encoding::text::encode(&mut out, &registry)?;
		Ok(out)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn metrics_are_exposed_as_text() {
		let m = Metrics::default();
		m.request("/v1/embeddings", 200, Duration::from_millis(30));
		m.miner_query(1, "ok", Duration::from_millis(20));
		m.set_totals(1_500, 1_000);
		let text = m.encode().expect("encodes");
		assert!(
			text.contains(
				"agora_gateway_requests_total{endpoint=\"/v1/embeddings\",status=\"200\"} 1"
			),
			"{text}"
		);
		assert!(text.contains("agora_gateway_miner_queries_total{netuid=\"1\",outcome=\"ok\"} 1"));
		assert!(text.contains("agora_gateway_planck_accepted 1500"), "{text}");
		assert!(text.contains("# EOF"));
	}
}
