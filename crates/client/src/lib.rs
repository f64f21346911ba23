//! # Agora client
//!
//! What every off-chain Agora binary (the `agora` CLI, miners, validators) uses to talk to the
//! chain and to hold keys:
//!
//! - [`chain::Client`]: a subxt connection that, on connect, refuses a node whose runtime changed
//!   any call or runtime API this client uses ([`chain::USED_CALLS`], `AgoraApi`), compared with
//!   the metadata checked in at `metadata/agora.scale`; submissions are signed with a mortal era
//!   (64 blocks), retried with a fresh nonce when another transaction of the same key took it,
//!   wait for inclusion or finality and turn dispatch errors into `Pallet.Error: docs`;
//!   `AgoraApi` queries decode the same SCALE types the runtime encodes ([`agora_primitives`]).
//! - [`wallet`]: coldkeys and hotkeys from BIP39 mnemonics in keyfiles encrypted with scrypt (a
//!   random salt per file) and ChaCha20-Poly1305, written all or nothing with mode 0600; a
//!   keyfile's fields (scrypt parameters included) are checked against documented ranges before
//!   any KDF runs.
//! - [`governance`]: referenda, conviction votes and delegations, the senate and the periods of
//!   governance: call builders, and reads decoded by name against the node's metadata.
//! - [`amount`]: AGR amounts as people write them (`1.5`) and as the chain counts them (plancks).
//! - [`payments`]: payment-channel vouchers (signed, verified, sent as an HTTP header) and a
//!   gateway's price schedule, shared by the gateway and the consumer's signing proxy.
//! - [`swap`]: hotkey and coldkey swaps: what is checked before signing one, and the witnesses
//!   its call takes.
//! - [`stake`]: a stake position's value at a given block, as the staking pallet computes it, so
//!   that a whole position can be named exactly ([`chain::Client::drain_stake`]).

pub mod amount;
pub mod chain;
pub mod governance;
pub mod payments;
pub mod stake;
pub mod swap;
pub mod wallet;

pub use agora_primitives::ProxyType;
pub use chain::{Client, ClientError, ProxyDefinition, Wait};
pub use subxt::utils::{AccountId32, H256};
pub use subxt_signer::sr25519::Keypair;
