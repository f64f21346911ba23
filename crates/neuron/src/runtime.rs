//! Watching the chain's runtime while a neuron runs.
//!
//! The client checks on connect that the node's runtime still has every call, storage item and
//! runtime API it relies on, unchanged. A runtime upgrade (`System.set_code`) can change them
//! under a running neuron, which would then encode and decode with stale types. So a neuron
//! polls the runtime code's hash (one cheap request) every sync or round and checks again when
//! it moved: a compatible upgrade is logged and the neuron carries on; an incompatible one stops
//! it with [`EXIT_INCOMPATIBLE_RUNTIME`], so that a supervisor restarts it once the binary is
//! upgraded.

use std::future::Future;

use agora_client::chain::{Client, ClientError};
use agora_client::H256;

/// The exit code of a neuron that stopped because the node's runtime is not one this binary
/// was built for (at start or after an upgrade): install a matching release and restart it.
pub const EXIT_INCOMPATIBLE_RUNTIME: i32 = 3;

/// The node's runtime changed into one this binary cannot talk to.
#[derive(Debug, thiserror::Error)]
#[error(
	"the chain's runtime was upgraded to code {code} and this binary no longer fits it: {why}; \
	 install an Agora release built for the new runtime and restart (exit code {EXIT_INCOMPATIBLE_RUNTIME})"
)]
pub struct RuntimeIncompatible {
	/// The new runtime code's hash.
	pub code: String,
	/// What the compatibility check said.
	pub why: String,
}

/// What a neuron asks the node about its runtime (the [`Client`] in production, a fake in
/// tests).
pub trait RuntimeProbe {
	/// The hash of the runtime code now on chain.
	fn code_hash(&self) -> impl Future<Output = Result<Option<H256>, ClientError>> + Send;
	/// Whether the runtime now on chain has what this binary relies on.
	fn check_compatible(&self) -> impl Future<Output = Result<(), ClientError>> + Send;
}

impl RuntimeProbe for Client {
	fn code_hash(&self) -> impl Future<Output = Result<Option<H256>, ClientError>> + Send {
		self.runtime_code_hash()
	}

	fn check_compatible(&self) -> impl Future<Output = Result<(), ClientError>> + Send {
		self.recheck_compatible()
	}
}

/// What one look at the runtime found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeChange {
	/// Same code as before (or the node could not be asked: try again next time).
	Unchanged,
	/// New code that still has everything this binary relies on.
	Upgraded,
}

/// Remembers the runtime code last found compatible.
#[derive(Debug)]
pub struct RuntimeWatch {
	known: Option<H256>,
}

impl RuntimeWatch {
	/// Starts from the code on chain now (checked compatible by `Client::connect`).
	pub async fn start<P: RuntimeProbe>(probe: &P) -> Result<Self, ClientError> {
		Ok(Self { known: probe.code_hash().await? })
	}

	/// Starts from a known code hash.
	pub fn from_code(known: Option<H256>) -> Self {
		Self { known }
	}

	/// Looks at the runtime code again and checks it when it changed. A node that cannot be
	/// reached is not a reason to stop: the check is repeated next time.
	pub async fn check<P: RuntimeProbe>(
		&mut self,
		probe: &P,
	) -> Result<RuntimeChange, RuntimeIncompatible> {
		let seen = match probe.code_hash().await {
			Ok(seen) => seen,
			Err(e) => {
				tracing::warn!("cannot read the runtime's code hash: {e}");
				return Ok(RuntimeChange::Unchanged);
			},
		};
		if seen == self.known {
			return Ok(RuntimeChange::Unchanged);
		}
		let code = seen.map(|h| format!("{h:?}")).unwrap_or_else(|| "(none)".into());
		match probe.check_compatible().await {
			Ok(()) => {
				tracing::info!("the runtime was upgraded to code {code}; still compatible");
				self.known = seen;
				Ok(RuntimeChange::Upgraded)
			},
			Err(ClientError::Incompatible { what, spec, .. }) => {
				Err(RuntimeIncompatible { code, why: format!("{what} (spec version {spec})") })
			},
			Err(e) => {
				tracing::warn!("cannot check the upgraded runtime {code} yet: {e}");
				Ok(RuntimeChange::Unchanged)
			},
		}
	}
}

/// The exit code for a neuron's error: [`EXIT_INCOMPATIBLE_RUNTIME`] when the runtime does not
/// fit this binary (after an upgrade, or already at start), else 1.
pub fn exit_code(error: &anyhow::Error) -> i32 {
	let incompatible = error.chain().any(|e| {
		e.is::<RuntimeIncompatible>()
			|| matches!(e.downcast_ref::<ClientError>(), Some(ClientError::Incompatible { .. }))
	});
	if incompatible {
		EXIT_INCOMPATIBLE_RUNTIME
	} else {
		1
	}
}

#[cfg(test)]
mod tests {
	use std::sync::Mutex;

	use super::*;

	/// A node whose runtime code and compatibility the test sets.
	struct FakeNode {
		code: Mutex<Result<Option<H256>, ()>>,
		compatible: Mutex<Result<(), ClientError>>,
		checks: Mutex<u32>,
	}

	impl FakeNode {
		fn new(code: u8) -> Self {
			Self {
				code: Mutex::new(Ok(Some(H256::repeat_byte(code)))),
				compatible: Mutex::new(Ok(())),
				checks: Mutex::new(0),
			}
		}

		fn set_code(&self, code: Result<u8, ()>, compatible: Result<(), ClientError>) {
			*self.code.lock().expect("lock") = code.map(|c| Some(H256::repeat_byte(c)));
			*self.compatible.lock().expect("lock") = compatible;
		}

		fn checks(&self) -> u32 {
			*self.checks.lock().expect("lock")
		}
	}

	impl RuntimeProbe for FakeNode {
		fn code_hash(&self) -> impl Future<Output = Result<Option<H256>, ClientError>> + Send {
			let code = *self.code.lock().expect("lock");
			async move { code.map_err(|()| ClientError::Other("connection reset".into())) }
		}

		fn check_compatible(&self) -> impl Future<Output = Result<(), ClientError>> + Send {
			*self.checks.lock().expect("lock") += 1;
			let result = match &*self.compatible.lock().expect("lock") {
				Ok(()) => Ok(()),
				Err(ClientError::Incompatible { url, what, spec }) => {
					Err(ClientError::Incompatible {
						url: url.clone(),
						what: what.clone(),
						spec: *spec,
					})
				},
				Err(e) => Err(ClientError::Other(e.to_string())),
			};
			async move { result }
		}
	}

	fn incompatible() -> ClientError {
		ClientError::Incompatible {
			url: "ws://node".into(),
			what: "Subnets.serve changed".into(),
			spec: 101,
		}
	}

	#[tokio::test]
	async fn the_same_runtime_is_not_checked_again() {
		let node = FakeNode::new(1);
		let mut watch = RuntimeWatch::start(&node).await.expect("start");
		for _ in 0..3 {
			assert_eq!(watch.check(&node).await.expect("fine"), RuntimeChange::Unchanged);
		}
		assert_eq!(node.checks(), 0);
	}

	#[tokio::test]
	async fn a_compatible_upgrade_is_checked_once_and_carried_on_with() {
		let node = FakeNode::new(1);
		let mut watch = RuntimeWatch::start(&node).await.expect("start");
		node.set_code(Ok(2), Ok(()));
		assert_eq!(watch.check(&node).await.expect("fine"), RuntimeChange::Upgraded);
		assert_eq!(watch.check(&node).await.expect("fine"), RuntimeChange::Unchanged);
		assert_eq!(node.checks(), 1);
	}

	#[tokio::test]
	async fn an_incompatible_upgrade_stops_the_neuron_with_its_exit_code() {
		let node = FakeNode::new(1);
		let mut watch = RuntimeWatch::start(&node).await.expect("start");
		node.set_code(Ok(3), Err(incompatible()));
		let err = watch.check(&node).await.expect_err("incompatible");
		let text = err.to_string();
		assert!(text.contains("Subnets.serve changed"), "{text}");
		assert!(text.contains("spec version 101"), "{text}");
		assert!(text.contains("restart"), "{text}");
		let err = anyhow::Error::new(err).context("miner stopped");
		assert_eq!(exit_code(&err), EXIT_INCOMPATIBLE_RUNTIME);
	}

	#[tokio::test]
	async fn an_unreachable_node_is_tried_again_not_fatal() {
		let node = FakeNode::new(1);
		let mut watch = RuntimeWatch::start(&node).await.expect("start");
		node.set_code(Err(()), Ok(()));
		assert_eq!(watch.check(&node).await.expect("fine"), RuntimeChange::Unchanged);
		// New code, but the check itself cannot reach the node: asked again next time.
		node.set_code(Ok(4), Err(ClientError::Other("timed out".into())));
		assert_eq!(watch.check(&node).await.expect("fine"), RuntimeChange::Unchanged);
		node.set_code(Ok(4), Ok(()));
		assert_eq!(watch.check(&node).await.expect("fine"), RuntimeChange::Upgraded);
		assert_eq!(node.checks(), 2);
	}

	#[test]
	fn exit_codes_tell_an_incompatible_runtime_from_other_failures() {
		assert_eq!(exit_code(&anyhow::Error::new(incompatible())), EXIT_INCOMPATIBLE_RUNTIME);
		assert_eq!(exit_code(&anyhow::anyhow!("hotkey no longer registered")), 1);
		assert_eq!(exit_code(&anyhow::Error::new(ClientError::Other("x".into()))), 1);
	}
}
