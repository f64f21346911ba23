//! Token buckets per peer (or per IP address).

use std::{collections::HashMap, hash::Hash, time::Duration};

use libp2p::PeerId;
use tokio::time::Instant;

/// Buckets kept before full (idle) ones are forgotten.
const PRUNE_ABOVE: usize = 1024;

struct Bucket {
	tokens: f64,
	updated: Instant,
}

/// A token bucket per key (a peer, an IP address): `capacity` tokens, refilled at
/// `capacity / window`; a query (or connection) takes one.
pub(crate) struct RateLimiter<K = PeerId> {
	capacity: f64,
	/// Tokens per second; zero when disabled.
	refill: f64,
	buckets: HashMap<K, Bucket>,
}

impl<K: Hash + Eq> RateLimiter<K> {
	/// `rate` queries per `window`; a zero `rate` or `window` disables the limit.
	pub(crate) fn new(rate: u32, window: Duration) -> Self {
		let secs = window.as_secs_f64();
		let refill = if rate == 0 || secs == 0.0 { 0.0 } else { f64::from(rate) / secs };
		Self { capacity: f64::from(rate), refill, buckets: HashMap::new() }
	}

	/// Takes a token for `peer` at `now`; `Err(retry_after_ms)` if it has none.
	pub(crate) fn check(&mut self, peer: K, now: Instant) -> Result<(), u64> {
		if self.refill == 0.0 {
			return Ok(());
		}
		if self.buckets.len() > PRUNE_ABOVE {
			self.prune(now);
		}
		let (capacity, refill) = (self.capacity, self.refill);
		let bucket = self.buckets.entry(peer).or_insert(Bucket { tokens: capacity, updated: now });
		let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
		bucket.tokens = (bucket.tokens + elapsed * refill).min(capacity);
		bucket.updated = now;
		if bucket.tokens >= 1.0 {
			bucket.tokens -= 1.0;
			Ok(())
		} else {
			let wait_ms = ((1.0 - bucket.tokens) / refill * 1000.0).ceil();
			// `as` saturates; at least 1 ms.
			Err((wait_ms as u64).max(1))
		}
	}

	/// Forgets the buckets that have refilled completely (they would be created full anyway).
	fn prune(&mut self, now: Instant) {
		let (capacity, refill) = (self.capacity, self.refill);
		self.buckets.retain(|_, b| {
			let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
			b.tokens + elapsed * refill < capacity
		});
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_peer_gets_its_rate_then_waits_for_a_refill() {
		let mut limiter = RateLimiter::<PeerId>::new(2, Duration::from_secs(10));
		let (a, b) = (PeerId::random(), PeerId::random());
		let t0 = Instant::now();
		assert_eq!(limiter.check(a, t0), Ok(()));
		assert_eq!(limiter.check(a, t0), Ok(()));
		// One token per 5 s.
		assert_eq!(limiter.check(a, t0), Err(5000));
		// Other peers have their own bucket.
		assert_eq!(limiter.check(b, t0), Ok(()));
		assert_eq!(limiter.check(a, t0 + Duration::from_secs(4)), Err(1000));
		assert_eq!(limiter.check(a, t0 + Duration::from_secs(5)), Ok(()));
		assert!(limiter.check(a, t0 + Duration::from_secs(5)).is_err());
		// Never more than the capacity, however long the peer was idle.
		let later = t0 + Duration::from_secs(3600);
		assert_eq!(limiter.check(a, later), Ok(()));
		assert_eq!(limiter.check(a, later), Ok(()));
		assert!(limiter.check(a, later).is_err());
	}

	#[test]
	fn zero_disables_the_limit() {
		let now = Instant::now();
		let peer = PeerId::random();
		let mut off = RateLimiter::<PeerId>::new(0, Duration::from_secs(10));
		let mut off_too = RateLimiter::<PeerId>::new(5, Duration::ZERO);
		for _ in 0..100 {
			assert_eq!(off.check(peer, now), Ok(()));
			assert_eq!(off_too.check(peer, now), Ok(()));
		}
	}

	#[test]
	fn idle_buckets_are_pruned() {
		let mut limiter = RateLimiter::<PeerId>::new(1, Duration::from_secs(1));
		let t0 = Instant::now();
		for _ in 0..=PRUNE_ABOVE {
			assert_eq!(limiter.check(PeerId::random(), t0), Ok(()));
		}
		let busy = PeerId::random();
		let t1 = t0 + Duration::from_secs(2);
		assert_eq!(limiter.check(busy, t1), Ok(()));
		assert_eq!(limiter.buckets.len(), 1, "only the bucket just used remains");
		assert!(limiter.check(busy, t1).is_err());
	}
}
