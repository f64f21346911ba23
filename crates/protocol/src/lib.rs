//! Agora's wire protocol: how validators query miners.
//!
//! A node is a libp2p swarm (TCP + Noise + Yamux) whose behaviour is request-response on
//! [`PROTOCOL_NAME`] with CBOR messages ([`Query`] → [`Response`]), plus identify
//! ([`IDENTIFY_PROTOCOL`]) and ping. [`spawn`] builds a node from a [`Config`] and runs its event
//! loop on the current tokio runtime; it returns a [`Client`] to query, dial and stop, and a
//! receiver of [`Inbound`] queries to answer.
//!
//! Everything is bounded ([`Limits`]): message sizes (checked by the codec before decoding),
//! request time, streams per connection, queries in flight, queries per peer and window.
//! Every inbound query is first authorised by an [`Authorizer`] (e.g. an [`AllowList`] kept in
//! sync with the chain's metagraph) in the event loop: refused, rate-limited and excess queries
//! are answered with a [`Refusal`] there and never reach the application, so they cost no model
//! work.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use agora_protocol::*;
//!
//! // A miner: answers the validators of subnet 1.
//! let validators = AllowList::new();
//! let mut config = Config::new(libp2p::identity::Keypair::generate_ed25519());
//! config.listen = vec!["/ip4/0.0.0.0/tcp/30444".parse()?];
//! config.authorizer = Some(Arc::new(validators.clone()));
//! let (client, mut inbound) = spawn(config).await?;
//! // After each metagraph sync: validators.set(1, permitted_peer_ids);
//! while let Some(query) = inbound.recv().await {
//!     query.respond(Response::Refused(Refusal::Unsupported { task: "generate".into() }));
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
mod message;
mod network;
mod rate;

pub use auth::{AllowList, Authorizer};
pub use config::{Config, Limits};
pub use error::{ProtocolError, QueryError};
pub use message::{from_cbor, to_cbor, Answer, Query, Refusal, Response, TaskRequest};
pub use network::{spawn, Client, Inbound};

/// The libp2p protocol name of Agora queries (request-response).
pub const PROTOCOL_NAME: &str = "/agora/query/1";

/// The protocol version announced with identify.
pub const IDENTIFY_PROTOCOL: &str = "/agora/id/1";
