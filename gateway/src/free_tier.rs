//! The free tier: requests without a voucher, at most `--free-tier-rpm` a minute per client.
//!
//! A client is its `Authorization: Bearer` key when it sends one (keys are not checked: the tier
//! is a courtesy, not an account), else its IP address. A client may thus get more by sending
//! other keys; an operator who minds leaves the tier off (the default) or low. Whatever the keys,
//! requests without a voucher hold at most half of `--max-concurrency` at once
//! ([`FreeTier::slot`]), so free requests cannot crowd out paid ones, and a key is kept as a
//! keyed 64-bit hash ([`client_of`]), so a flood of long keys takes no more memory than short
//! ones.

use std::{
	hash::{BuildHasher, RandomState},
	net::IpAddr,
	num::NonZeroU32,
	sync::{Arc, OnceLock},
	time::Duration,
};

use axum::http::{header::AUTHORIZATION, HeaderMap};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Per-client rate limits of requests without a voucher.
pub struct FreeTier {
	limiter: DefaultKeyedRateLimiter<String>,
	clock: governor::clock::DefaultClock,
	slots: Arc<Semaphore>,
}

impl FreeTier {
	/// `rpm` requests a minute per client (a burst of `rpm`, refilled evenly), at most half of
	/// `max_concurrency` (at least one) in flight in all; `None` for 0.
	pub fn new(rpm: u32, max_concurrency: usize) -> Option<FreeTier> {
		let rpm = NonZeroU32::new(rpm)?;
		Some(FreeTier {
			limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(rpm)),
			clock: governor::clock::DefaultClock::default(),
			slots: Arc::new(Semaphore::new((max_concurrency / 2).max(1))),
		})
	}

	/// One of the slots free requests share, held while the request is served; `None` when
	/// they are all taken.
	pub fn slot(&self) -> Option<OwnedSemaphorePermit> {
		self.slots.clone().try_acquire_owned().ok()
	}

	/// Counts a request of `client`; `Err(wait)` when it is over its rate.
	pub fn check(&self, client: &str) -> Result<(), Duration> {
		self.limiter
			.check_key(&client.to_string())
			.map_err(|not_until| not_until.wait_time_from(self.clock.now()))
	}

	/// Forgets clients whose limit is back to full (call it now and then: bounded memory).
	pub fn forget_idle(&self) {
		self.limiter.retain_recent();
		self.limiter.shrink_to_fit();
	}
}

/// The client a request counts against: `key:<hash of the bearer key>` (a hash keyed at random
/// per process, 16 hex digits whatever the key's length), else `ip:<address>`.
pub fn client_of(headers: &HeaderMap, ip: Option<IpAddr>) -> String {
	let bearer = headers
		.get(AUTHORIZATION)
		.and_then(|v| v.to_str().ok())
		.and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
		.map(str::trim)
		.filter(|k| !k.is_empty());
	match (bearer, ip) {
		(Some(key), _) => {
			static HASHER: OnceLock<RandomState> = OnceLock::new();
			format!("key:{:016x}", HASHER.get_or_init(RandomState::new).hash_one(key))
		},
		(None, Some(ip)) => format!("ip:{ip}"),
		(None, None) => "anonymous".into(),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use axum::http::HeaderValue;

	#[test]
	fn clients_are_keys_else_addresses() {
		let ip: IpAddr = "10.0.0.1".parse().expect("ip");
		let mut headers = HeaderMap::new();
		assert_eq!(client_of(&headers, Some(ip)), "ip:10.0.0.1");
		headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer sk-abc"));
		let abc = client_of(&headers, Some(ip));
		assert!(abc.starts_with("key:"), "{abc}");
		assert_eq!(client_of(&headers, None), abc, "the key, wherever from");
		headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer  sk-abc "));
		assert_eq!(client_of(&headers, None), abc);
		headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer sk-abd"));
		assert_ne!(client_of(&headers, None), abc, "another key, another client");
		headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
		assert_eq!(client_of(&headers, None), "anonymous");
	}

	#[test]
	fn long_keys_take_no_more_room_than_short_ones() {
		// A flood of 100 KB keys, each kept for up to a minute, would otherwise take gigabytes.
		let long = "k".repeat(100_000);
		let mut headers = HeaderMap::new();
		let value = HeaderValue::from_str(&format!("Bearer {long}")).expect("ascii");
		headers.insert(AUTHORIZATION, value);
		let client = client_of(&headers, None);
		assert_eq!(client.len(), "key:".len() + 16, "{}", &client[..40.min(client.len())]);
		let value = HeaderValue::from_str(&format!("Bearer {long}x")).expect("ascii");
		headers.insert(AUTHORIZATION, value);
		assert_ne!(client_of(&headers, None), client);
	}

	#[test]
	fn free_requests_hold_at_most_half_the_slots() {
		let tier = FreeTier::new(10, 8).expect("on");
		let held: Vec<_> = (0..4).map(|_| tier.slot().expect("a slot")).collect();
		assert!(tier.slot().is_none(), "the other half is for paid requests");
		drop(held);
		assert!(tier.slot().is_some());
		let one = FreeTier::new(10, 1).expect("on");
		assert!(one.slot().is_some(), "at least one");
	}

	#[test]
	fn each_client_gets_its_rate() {
		assert!(FreeTier::new(0, 8).is_none());
		let tier = FreeTier::new(2, 8).expect("on");
		assert!(tier.check("a").is_ok());
		assert!(tier.check("a").is_ok());
		let wait = tier.check("a").expect_err("third in a minute");
		assert!(wait > Duration::from_secs(20) && wait <= Duration::from_secs(30), "{wait:?}");
		assert!(tier.check("b").is_ok(), "another client has its own");
		tier.forget_idle();
	}
}
