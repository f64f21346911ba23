#!/usr/bin/env bash
# Measures the Agora pallets and rewrites their weights.rs from the results.
#
#   scripts/benchmark.sh [pallet_name ...]     default: every Agora pallet
#
# 1. Builds agora-node with `--features runtime-benchmarks` (its embedded runtime wasm gets the
#    feature too) and keeps a copy of the node and the wasm in $AGORA_BENCH_DIR, since the build
#    replaces the ordinary debug/agora-node (the next scripts/build.sh relinks that one).
# 2. Runs `agora-node benchmark pallet` on that wasm for each pallet and writes
#    pallets/<dir>/src/weights.rs through scripts/weight-template.hbs, then rustfmt's it.
#
# Environment: STEPS (default 5), REPEAT (default 3), AGORA_BENCH_DIR (default
# ~/.cache/agora-bench), SKIP_BUILD=1 to reuse the node and wasm already in AGORA_BENCH_DIR.
# The raw results of each pallet land in $AGORA_BENCH_DIR/<pallet>.json. See docs/benchmarks.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

steps="${STEPS:-5}"
repeat="${REPEAT:-3}"
out_dir="${AGORA_BENCH_DIR:-$HOME/.cache/agora-bench}"
node="$out_dir/agora-node"
wasm="$out_dir/agora_runtime.benchmarks.compact.compressed.wasm"

# pallet name as the runtime's define_benchmarks! lists it -> crate directory under pallets/
declare -A crate_dir=(
	[pallet_agora_staking]=staking
	[pallet_subnets]=subnets
	[pallet_rewards]=rewards
	[pallet_authority]=authority
)
if (($# > 0)); then
	selected=("$@")
else
	selected=(pallet_agora_staking pallet_subnets pallet_rewards pallet_authority)
fi
for pallet in "${selected[@]}"; do
	[[ -n "${crate_dir[$pallet]:-}" ]] || {
		echo "[benchmark] unknown pallet $pallet (known: ${!crate_dir[*]})" >&2
		exit 1
	}
done

mkdir -p "$out_dir"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
	bash scripts/setup.sh
	echo "[benchmark] building agora-node with runtime-benchmarks" >&2
	began=$SECONDS
	# frame-benchmarking-cli brings a test runtime of its own whose wasm build cannot find its
	# crate in our workspace (WASM_BUILD_WORKSPACE_HINT); `benchmark pallet` never uses it.
	SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1 \
		cargo build --locked -p agora-node --features runtime-benchmarks
	echo "[benchmark] built in $((SECONDS - began)) s" >&2
	cp "$CARGO_TARGET_DIR/debug/agora-node" "$node"
	cp "$CARGO_TARGET_DIR/debug/wbuild/agora-runtime/agora_runtime.compact.compressed.wasm" "$wasm"
fi
[[ -x "$node" && -f "$wasm" ]] || {
	echo "[benchmark] no benchmark node or wasm in $out_dir; run without SKIP_BUILD=1" >&2
	exit 1
}

for pallet in "${selected[@]}"; do
	weights="pallets/${crate_dir[$pallet]}/src/weights.rs"
	echo "[benchmark] $pallet: steps $steps, repeat $repeat -> $weights" >&2
	began=$SECONDS
	"$node" benchmark pallet \
		--runtime "$wasm" \
		--genesis-builder runtime \
		--genesis-builder-preset development \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$steps" \
		--repeat "$repeat" \
		--template scripts/weight-template.hbs \
		--output "$weights" \
		--json-file "$out_dir/$pallet.json"
	rustfmt --edition 2021 "$weights"
	echo "[benchmark] $pallet done in $((SECONDS - began)) s" >&2
done
echo "[benchmark] ok; check with: SKIP_WASM_BUILD=1 cargo test -p <crate> && scripts/lint.sh" >&2
