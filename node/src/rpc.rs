//! The node's JSON-RPC methods beyond the standard `system_*`, `chain_*`, `state_*` and `author_*`
//! that `sc-service` installs: `system_accountNextIndex`, `payment_*` and `agora_*`.

use std::sync::Arc;

use crate::agora_rpc::AgoraRpcServer;
use agora_runtime::{opaque::Block, AccountId, Balance, Nonce};
use jsonrpsee::RpcModule;
use polkadot_sdk::{
	pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer},
	sc_transaction_pool_api::TransactionPool,
	sp_api::ProvideRuntimeApi,
	sp_block_builder::BlockBuilder,
	sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata},
	substrate_frame_rpc_system::{System, SystemApiServer},
	*,
};

/// What the RPC methods need from the node.
pub(crate) struct FullDeps<C, P> {
	/// The client.
	pub(crate) client: Arc<C>,
	/// The transaction pool.
	pub(crate) pool: Arc<P>,
}

/// Builds the RPC module with every Agora-specific method.
pub(crate) fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>
		+ agora_primitives::AgoraApi<Block, AccountId>,
	P: TransactionPool + 'static,
{
	let mut module = RpcModule::new(());
	let FullDeps { client, pool } = deps;
	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(crate::agora_rpc::Agora::new(client).into_rpc())?;
	Ok(module)
}
