//! Agora's wire protocol: how validators query miners.
//!
//! A node is a libp2p swarm (TCP + Noise + Yamux) whose behaviour is request-response on
//! [`PROTOCOL_NAME`] with CBOR messages ([`Query`] → [`Response`]), plus identify
//! ([`IDENTIFY_PROTOCOL`]) and ping. [`spawn`] builds a node from a [`Config`] and runs its event
//! loop on the current tokio runtime; it returns a [`Client`] to query, dial and stop, and a
//! receiver of [`Inbound`] queries to answer.
//!
//! Queries are addressed and signed: a [`Query`] names the miner hotkey it is for and is signed
//! by the validator's hotkey ([`Query::signed`]); the answer is a [`SignedAnswer`], signed by the
//! miner's hotkey and bound to the query's digest. So an answer is attributable to the hotkey
//! that produced it, and a node that serves hotkey A does not answer queries for hotkey B.
//!
//! Everything is bounded ([`Limits`]): message sizes (checked by the codec before decoding),
//! request time, streams per connection, queries in flight, queries per peer and window.
//! Inbound connections of peers the [`Authorizer`] does not admit (e.g. not in the
//! [`AllowList`] kept in sync with the chain's metagraph) are closed right after the Noise
//! handshake, before any request is read. Every inbound query is then authorised, checked
//! (addressed to this node's hotkey, signed by the peer's validator hotkey) and rate-limited in
//! the event loop: refused queries are answered with a [`Refusal`] there and never reach the
//! application, so they cost no model work; a peer refused too often is disconnected and banned
//! for a while.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use agora_protocol::*;
//!
//! // A miner: answers the validators of subnet 1, as the hotkey `//Miner`.
//! let hotkey = HotkeyPair::from_uri(&"//Miner".parse()?)?;
//! let validators = AllowList::new();
//! let mut config = Config::new(libp2p::identity::Keypair::generate_ed25519());
//! config.listen = vec!["/ip4/0.0.0.0/tcp/30444".parse()?];
//! config.authorizer = Some(Arc::new(validators.clone()));
//! config.hotkey = Some(hotkey);
//! let (client, mut inbound) = spawn(config).await?;
//! // After each metagraph sync: validators.set(1, [(validator_peer_id, validator_hotkey), ..]);
//! while let Some(query) = inbound.recv().await {
//!     query.refuse(Refusal::Unsupported { task: "generate".into() });
//! }
//!
//! // A validator: queries the miner with hotkey `miner` at `peer`, and checks the signature.
//! # let (peer, miner) = (libp2p::PeerId::random(), Hotkey([0; 32]));
//! let validator = HotkeyPair::from_uri(&"//Validator".parse()?)?;
//! let task = TaskRequest::Embed { sentences: vec!["hello".into()] };
//! let query = Query::signed(1, miner, 1, task, &validator);
//! if let Response::Ok(answer) = client.query(peer, vec![], query.clone()).await? {
//!     assert!(answer.verify(&query), "not signed by the miner's hotkey");
//! }
//! client.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The wire format and the rules are described in `docs/protocol.md`.

mod auth;
mod codec;
mod config;
mod error;
mod gate;
mod message;
mod network;
mod rate;

pub use auth::{AllowList, Authorizer};
pub use config::{Config, HotkeyPair, Limits};
pub use error::{ProtocolError, QueryError};
pub use message::{
	blake2_256, from_cbor, to_cbor, Answer, Hotkey, Query, QueryBody, Refusal, Response, Signature,
	SignedAnswer, TaskRequest, ANSWER_DOMAIN, QUERY_DOMAIN,
};
pub use network::{spawn, Client, Inbound};

/// The libp2p protocol name of Agora queries (request-response).
pub const PROTOCOL_NAME: &str = "/agora/query/2";

/// The protocol version announced with identify.
pub const IDENTIFY_PROTOCOL: &str = "/agora/id/1";
