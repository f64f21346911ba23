//! `agora_*` JSON-RPC methods: the [`AgoraApi`] runtime API as JSON, readable with `curl`.
//!
//! Every method takes an optional block hash as its last parameter (the best block when left
//! out). Amounts are plancks (1 AGR = 10⁹) as exact decimal strings (`"1000000000"`: a JSON
//! number above 2^53 would be rounded by JavaScript and `jq`), accounts SS58 (prefix 42),
//! fractions numbers in `[0, 1]`; ids, blocks and counts, small by construction, are numbers. An unknown subnet or UID is an error with code [`NOT_FOUND`] and a message.

use std::sync::Arc;

use agora_primitives::{
	AgoraApi, Balance, Metagraph, NetUid, NeuronInfo, StakeInfo, SubnetInfo, Uid,
};
use agora_runtime::{opaque::Block, AccountId};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::INVALID_PARAMS_CODE, ErrorObject, ErrorObjectOwned},
};
use polkadot_sdk::{
	sp_api::ProvideRuntimeApi, sp_blockchain::HeaderBackend, sp_core::crypto::Ss58Codec,
	sp_runtime::traits::Block as BlockT,
};

/// Error code of a subnet or neuron that does not exist.
pub(crate) const NOT_FOUND: i32 = 4004;
/// Error code of a runtime API call that failed (e.g. an unknown block).
pub(crate) const RUNTIME_ERROR: i32 = 4000;

type Hash = <Block as BlockT>::Hash;

/// The `agora_*` methods.
#[rpc(server, namespace = "agora")]
pub(crate) trait AgoraRpc {
	/// Every subnet.
	#[method(name = "subnets")]
	fn subnets(&self, at: Option<Hash>) -> RpcResult<Vec<SubnetInfo<AccountId>>>;
	/// One subnet.
	#[method(name = "subnet")]
	fn subnet(&self, netuid: NetUid, at: Option<Hash>) -> RpcResult<SubnetInfo<AccountId>>;
	/// A subnet's hyperparameters and every neuron.
	#[method(name = "metagraph")]
	fn metagraph(&self, netuid: NetUid, at: Option<Hash>) -> RpcResult<Metagraph<AccountId>>;
	/// One neuron.
	#[method(name = "neuron")]
	fn neuron(
		&self,
		netuid: NetUid,
		uid: Uid,
		at: Option<Hash>,
	) -> RpcResult<NeuronInfo<AccountId>>;
	/// Every stake position of a coldkey (SS58 or 0x-hex).
	#[method(name = "stakeInfo")]
	fn stake_info(&self, coldkey: String, at: Option<Hash>)
		-> RpcResult<Vec<StakeInfo<AccountId>>>;
	/// What registering on a subnet costs now, in plancks (a decimal string).
	#[method(name = "registrationCost")]
	fn registration_cost(&self, netuid: NetUid, at: Option<Hash>) -> RpcResult<String>;
	/// What creating a subnet costs now, in plancks (a decimal string).
	#[method(name = "subnetCreationCost")]
	fn subnet_creation_cost(&self, at: Option<Hash>) -> RpcResult<String>;
}

/// Serves the `agora_*` methods from a client's runtime API.
pub(crate) struct Agora<C> {
	client: Arc<C>,
}

impl<C> Agora<C> {
	/// Over `client`.
	pub(crate) fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

/// A balance as the JSON answers carry it: exact decimal plancks, as the primitives' types do.
fn balance_json(plancks: Balance) -> String {
	plancks.to_string()
}

fn runtime_error(e: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, format!("runtime API call failed: {e}"), None::<()>)
}

fn not_found(what: String) -> ErrorObjectOwned {
	ErrorObject::owned(NOT_FOUND, what, None::<()>)
}

/// Parses an account given as SS58 or as 32 bytes of hex.
pub(crate) fn parse_account(s: &str) -> Result<AccountId, ErrorObjectOwned> {
	if let Some(hex) = s.strip_prefix("0x") {
		let bytes: Option<[u8; 32]> = (hex.len() == 64)
			.then(|| {
				(0..32)
					.map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
					.collect::<Option<Vec<u8>>>()
			})
			.flatten()
			.and_then(|v| v.try_into().ok());
		if let Some(bytes) = bytes {
			return Ok(AccountId::from(bytes));
		}
	} else if let Ok(account) = AccountId::from_ss58check(s) {
		return Ok(account);
	}
	Err(ErrorObject::owned(
		INVALID_PARAMS_CODE,
		format!("`{s}` is not an account: give an SS58 address or 0x and 64 hex digits"),
		None::<()>,
	))
}

impl<C> AgoraRpcServer for Agora<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: AgoraApi<Block, AccountId>,
{
	fn subnets(&self, at: Option<Hash>) -> RpcResult<Vec<SubnetInfo<AccountId>>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client.runtime_api().subnets(at).map_err(runtime_error)
	}

	fn subnet(&self, netuid: NetUid, at: Option<Hash>) -> RpcResult<SubnetInfo<AccountId>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client
			.runtime_api()
			.subnet(at, netuid)
			.map_err(runtime_error)?
			.ok_or_else(|| not_found(format!("subnet {netuid} does not exist")))
	}

	fn metagraph(&self, netuid: NetUid, at: Option<Hash>) -> RpcResult<Metagraph<AccountId>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client
			.runtime_api()
			.metagraph(at, netuid)
			.map_err(runtime_error)?
			.ok_or_else(|| not_found(format!("subnet {netuid} does not exist")))
	}

	fn neuron(
		&self,
		netuid: NetUid,
		uid: Uid,
		at: Option<Hash>,
	) -> RpcResult<NeuronInfo<AccountId>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client
			.runtime_api()
			.neuron(at, netuid, uid)
			.map_err(runtime_error)?
			.ok_or_else(|| not_found(format!("subnet {netuid} has no UID {uid}")))
	}

	fn stake_info(
		&self,
		coldkey: String,
		at: Option<Hash>,
	) -> RpcResult<Vec<StakeInfo<AccountId>>> {
		let coldkey = parse_account(&coldkey)?;
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client.runtime_api().stake_info(at, coldkey).map_err(runtime_error)
	}

	fn registration_cost(&self, netuid: NetUid, at: Option<Hash>) -> RpcResult<String> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client
			.runtime_api()
			.registration_cost(at, netuid)
			.map_err(runtime_error)?
			.map(balance_json)
			.ok_or_else(|| not_found(format!("subnet {netuid} does not exist")))
	}

	fn subnet_creation_cost(&self, at: Option<Hash>) -> RpcResult<String> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client.runtime_api().subnet_creation_cost(at).map(balance_json).map_err(runtime_error)
	}
}
