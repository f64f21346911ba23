//! Chain specifications: `dev`, `local`, `live-template`, or a JSON file.

use agora_runtime::{genesis_config_presets::LIVE_TEMPLATE_PRESET, WASM_BINARY};
use polkadot_sdk::{
	sc_service::{self, ChainType, Properties},
	sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET},
};

/// A chain spec of the Agora runtime.
pub(crate) type ChainSpec = sc_service::GenericChainSpec;

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime wasm was not built (SKIP_WASM_BUILD was set?): rebuild agora-node without it"
			.to_string()
	})
}

/// Token symbol, decimals and address format, for wallets and explorers.
fn properties() -> Properties {
	let mut p = Properties::new();
	p.insert("tokenSymbol".into(), agora_runtime::TOKEN_SYMBOL.into());
	p.insert("tokenDecimals".into(), agora_runtime::TOKEN_DECIMALS.into());
	p.insert("ss58Format".into(), agora_runtime::SS58_PREFIX.into());
	p
}

fn spec(name: &str, id: &str, chain_type: ChainType, preset: &str) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name(name)
		.with_id(id)
		.with_protocol_id("agora")
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `--dev`: Alice authors alone with 1 s blocks.
pub(crate) fn development() -> Result<ChainSpec, String> {
	spec("Agora Development", "agora_dev", ChainType::Development, DEV_RUNTIME_PRESET)
}

/// `--chain local`: Alice, Bob, Charlie and Dave author with 2 s blocks.
pub(crate) fn local_testnet() -> Result<ChainSpec, String> {
	spec("Agora Local Testnet", "agora_local", ChainType::Local, LOCAL_TESTNET_RUNTIME_PRESET)
}

/// `--chain live-template`: 12 s blocks; its placeholder keys must be replaced before launch
/// (`docs/validator-node.md`).
pub(crate) fn live_template() -> Result<ChainSpec, String> {
	spec("Agora", "agora", ChainType::Live, LIVE_TEMPLATE_PRESET)
}
