//! Genesis presets: `development` (one authority, 1 s blocks), `local_testnet` (Alice, Bob,
//! Charlie and Dave, 2 s blocks) and `live_template` (12 s blocks, keys to be replaced). The dev
//! and local chains keep Alice as sudo for convenience and decide referenda in blocks; the live
//! template has no sudo key and decides them in days.

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SessionKeys, AGR};
use alloc::{vec, vec::Vec};
use pallet_governance::GovernancePeriods;
use polkadot_sdk::{
	frame_support::build_struct_json_patch,
	sp_consensus_aura::sr25519::AuthorityId as AuraId,
	sp_consensus_grandpa::AuthorityId as GrandpaId,
	sp_genesis_builder::{self, PresetId},
	sp_keyring::{Ed25519Keyring, Sr25519Keyring},
	*,
};
use serde_json::Value;

/// Preset of the `--chain live-template` spec: 12 s blocks, keys to be replaced before launch.
pub const LIVE_TEMPLATE_PRESET: &str = "live_template";

/// Each endowed dev account's balance: 100,000 AGR. The fourteen dev accounts (Alice…Ferdie,
/// their stashes, One, Two) then hold 1.4M AGR together, well below the 10.5M at which
/// emission first halves, so the dev chain shows the full 1 AGR per block.
pub const DEV_ENDOWMENT: u128 = 100_000 * AGR;

/// Chain timing of a preset.
struct Timing {
	slot_duration_ms: u64,
	session_length: u32,
	/// Governance's periods; `None` keeps the live chain's.
	governance: Option<GovernancePeriods>,
}

/// Governance periods of the dev and local chains, in blocks: a referendum that gathers enough
/// votes passes in about 20 blocks, and the senate is refreshed every 20.
pub const DEV_GOVERNANCE_PERIODS: GovernancePeriods = GovernancePeriods {
	prepare: 2,
	decision: 20,
	confirm: 3,
	min_enactment: 2,
	undeciding_timeout: 40,
	vote_locking: 10,
	senate_term: 20,
};

/// One validator: its account and session keys.
struct Validator {
	account: AccountId,
	aura: AuraId,
	grandpa: GrandpaId,
}

impl Validator {
	/// A well-known dev validator: `(sr25519 //Name, ed25519 //Name)`.
	fn dev((sr, ed): (Sr25519Keyring, Ed25519Keyring)) -> Self {
		Self { account: sr.to_account_id(), aura: sr.public().into(), grandpa: ed.public().into() }
	}
}

fn genesis(
	authorities: Vec<Validator>,
	endowed: Vec<AccountId>,
	endowment: u128,
	root: Option<AccountId>,
	timing: Timing,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.iter().cloned().map(|k| (k, endowment)).collect::<Vec<_>>(),
		},
		authority: pallet_authority::GenesisConfig {
			validators: authorities.iter().map(|a| a.account.clone()).collect::<Vec<_>>(),
			slot_duration_ms: timing.slot_duration_ms,
			session_length: timing.session_length,
		},
		session: pallet_session::GenesisConfig {
			keys: authorities
				.into_iter()
				.map(|a| {
					(a.account.clone(), a.account, SessionKeys { aura: a.aura, grandpa: a.grandpa })
				})
				.collect::<Vec<_>>(),
		},
		sudo: pallet_sudo::GenesisConfig { key: root },
		governance: pallet_governance::GenesisConfig { periods: timing.governance },
	})
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// The `development` preset: Alice authors alone, 1 s blocks, 20-block sessions.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![Validator::dev((Sr25519Keyring::Alice, Ed25519Keyring::Alice))],
		dev_accounts(),
		DEV_ENDOWMENT,
		Some(Sr25519Keyring::Alice.to_account_id()),
		Timing {
			slot_duration_ms: 1_000,
			session_length: 20,
			governance: Some(DEV_GOVERNANCE_PERIODS),
		},
	)
}

/// The `local_testnet` preset: Alice, Bob, Charlie and Dave author, 2 s blocks, 10-block
/// sessions so that validator-set changes show within a minute.
pub fn local_config_genesis() -> Value {
	genesis(
		[
			(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		]
		.into_iter()
		.map(Validator::dev)
		.collect(),
		dev_accounts(),
		DEV_ENDOWMENT,
		Some(Sr25519Keyring::Alice.to_account_id()),
		Timing {
			slot_duration_ms: 2_000,
			session_length: 10,
			governance: Some(DEV_GOVERNANCE_PERIODS),
		},
	)
}

/// The `live_template` preset: 12 s blocks (Bittensor parity), 600-block (2 h) sessions and the
/// live chain's governance periods (days). It has **no sudo key**: `Root` is reached only by a
/// referendum. Its validator and endowed accounts are Alice's well-known dev keys, as
/// placeholders that `docs/validator-node.md` says to replace before a launch.
pub fn live_template_genesis() -> Value {
	genesis(
		vec![Validator::dev((Sr25519Keyring::Alice, Ed25519Keyring::Alice))],
		vec![Sr25519Keyring::Alice.to_account_id()],
		1_000 * AGR,
		None,
		Timing { slot_duration_ms: 12_000, session_length: 600, governance: None },
	)
}

/// Returns the JSON patch of the preset `id`, if it exists.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		LIVE_TEMPLATE_PRESET => live_template_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of all presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(LIVE_TEMPLATE_PRESET),
	]
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use crate::{Runtime, RuntimeGenesisConfig};
	use polkadot_sdk::{frame_support::genesis_builder_helper::build_state, sp_io};

	/// Merges `patch` into `base` the way the node merges a preset into the default config.
	fn merge(base: &mut Value, patch: Value) {
		match (base, patch) {
			(Value::Object(base), Value::Object(patch)) => {
				for (k, v) in patch {
					merge(base.entry(k).or_insert(Value::Null), v);
				}
			},
			(base, patch) => *base = patch,
		}
	}

	/// The genesis state of `preset`, as the node would build it.
	pub(crate) fn build(preset: &str) -> sp_io::TestExternalities {
		let patch: Value =
			serde_json::from_slice(&get_preset(&PresetId::from(preset)).expect("preset exists"))
				.expect("preset is JSON");
		let mut config =
			serde_json::to_value(RuntimeGenesisConfig::default()).expect("default serializes");
		merge(&mut config, patch);
		let mut ext = sp_io::TestExternalities::default();
		ext.execute_with(|| {
			build_state::<RuntimeGenesisConfig>(serde_json::to_vec(&config).expect("json"))
				.expect("preset builds a genesis state")
		});
		ext
	}

	#[test]
	fn every_preset_builds_with_its_timing_and_authorities() {
		for (preset, slot_ms, session, authorities) in [
			(sp_genesis_builder::DEV_RUNTIME_PRESET, 1_000, 20, 1),
			(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET, 2_000, 10, 4),
			(LIVE_TEMPLATE_PRESET, 12_000, 600, 1),
		] {
			build(preset).execute_with(|| {
				assert_eq!(pallet_authority::SlotDurationMs::<Runtime>::get(), slot_ms, "{preset}");
				assert_eq!(pallet_authority::SessionLength::<Runtime>::get(), session, "{preset}");
				assert_eq!(
					pallet_aura::Authorities::<Runtime>::get().len(),
					authorities,
					"{preset}"
				);
				assert_eq!(
					pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(),
					authorities
				);
				assert_eq!(pallet_session::Validators::<Runtime>::get().len(), authorities);
				assert_eq!(
					pallet_authority::Validators::<Runtime>::get().len(),
					authorities,
					"{preset}"
				);
				// Dev chains keep a sudo key for convenience; the live chain has none.
				assert_eq!(
					pallet_sudo::Key::<Runtime>::get().is_some(),
					preset != LIVE_TEMPLATE_PRESET,
					"{preset}"
				);
				let periods = pallet_governance::Periods::<Runtime>::get();
				if preset == LIVE_TEMPLATE_PRESET {
					assert_eq!(periods, GovernancePeriods::LIVE);
				} else {
					assert_eq!(periods, DEV_GOVERNANCE_PERIODS, "{preset}");
				}
				pallet_authority::Pallet::<Runtime>::do_try_state().expect("invariants hold");
			});
		}
	}

	#[test]
	fn preset_names_are_all_served() {
		for name in preset_names() {
			assert!(get_preset(&name).is_some());
		}
		assert!(get_preset(&PresetId::from("no_such_preset")).is_none());
	}

	#[test]
	fn dev_accounts_are_endowed_in_agr() {
		build(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
			let alice = Sr25519Keyring::Alice.to_account_id();
			assert_eq!(pallet_balances::Pallet::<Runtime>::free_balance(&alice), DEV_ENDOWMENT);
			assert_eq!(DEV_ENDOWMENT, 100_000 * 1_000_000_000);
		});
	}
}
