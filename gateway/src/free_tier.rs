//! The free tier: requests without a voucher, at most `--free-tier-rpm` a minute per client.
//!
//! A client is its `Authorization: Bearer` key when it sends one (keys are not checked: the tier
//! is a courtesy, not an account), else its IP address. A client may thus get more by sending
//! other keys; an operator who minds leaves the tier off (the default) or low.

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use axum::http::{header::AUTHORIZATION, HeaderMap};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};

/// Per-client rate limits of requests without a voucher.
pub struct FreeTier {
	limiter: DefaultKeyedRateLimiter<String>,
	clock: governor::clock::DefaultClock,
}

impl FreeTier {
	/// `rpm` requests a minute per client (a burst of `rpm`, refilled evenly); `None` for 0.
	pub fn new(rpm: u32) -> Option<FreeTier> {
		let rpm = NonZeroU32::new(rpm)?;
		Some(FreeTier {
			limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(rpm)),
			clock: governor::clock::DefaultClock::default(),
		})
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

/// The client a request counts against: `key:<bearer key>`, else `ip:<address>`.
pub fn client_of(headers: &HeaderMap, ip: Option<IpAddr>) -> String {
	let bearer = headers
		.get(AUTHORIZATION)
		.and_then(|v| v.to_str().ok())
		.and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
		.map(str::trim)
		.filter(|k| !k.is_empty());
	match (bearer, ip) {
		(Some(key), _) => format!("key:{key}"),
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
		assert_eq!(client_of(&headers, Some(ip)), "key:sk-abc");
		headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
		assert_eq!(client_of(&headers, None), "anonymous");
	}

	#[test]
	fn each_client_gets_its_rate() {
		assert!(FreeTier::new(0).is_none());
		let tier = FreeTier::new(2).expect("on");
		assert!(tier.check("a").is_ok());
		assert!(tier.check("a").is_ok());
		let wait = tier.check("a").expect_err("third in a minute");
		assert!(wait > Duration::from_secs(20) && wait <= Duration::from_secs(30), "{wait:?}");
		assert!(tier.check("b").is_ok(), "another client has its own");
		tier.forget_idle();
	}
}
