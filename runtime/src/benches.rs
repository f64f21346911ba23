//! The pallets `agora-node benchmark pallet` measures.

polkadot_sdk::frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_utility, Utility]
	[pallet_proxy, Proxy]
	[pallet_multisig, Multisig]
	[pallet_authority, Authority]
	[pallet_agora_staking, Staking]
	[pallet_subnets, Subnets]
	[pallet_rewards, Rewards]
	[pallet_payments, Payments]
	[pallet_governance, Governance]
);
