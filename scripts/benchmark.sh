#!/usr/bin/env bash
# Measures the Agora pallets and rewrites their weights.rs from the results.
#
#   scripts/benchmark.sh [pallet_name ...]     default: every Agora pallet
#
# 1. Builds a release agora-node with `--features runtime-benchmarks`; its runtime wasm, built with
#    the feature too, lands in $CARGO_TARGET_DIR/release/wbuild/agora-runtime/. Both go to the
#    release profile's own directory, so the debug node and wasm the tests use are left alone.
#    Node and wasm are copied to $AGORA_BENCH_DIR.
# 2. Runs `agora-node benchmark pallet` on that wasm for each pallet and writes
#    pallets/<dir>/src/weights.rs through scripts/weight-template.hbs, then rustfmt's it.
# 3. With pallet_rewards selected, times the epoch alone at n = 256, 512, ..., 4096 UIDs and
#    prints the figures docs/benchmarks.md quotes.
#
# Environment: STEPS (default 5), REPEAT (default 3), AGORA_BENCH_DIR (default
# ~/.cache/agora-bench), SKIP_BUILD=1 to reuse the node and wasm already in AGORA_BENCH_DIR.
# The raw results of each run land in $AGORA_BENCH_DIR/<pallet>.json. See docs/benchmarks.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

steps="${STEPS:-5}"
repeat="${REPEAT:-3}"
out_dir="${AGORA_BENCH_DIR:-$HOME/.cache/agora-bench}"
node="$out_dir/agora-node"
wasm="$out_dir/agora_runtime.benchmarks.wasm"

# pallet name as the runtime's define_benchmarks! lists it -> crate directory under pallets/
declare -A crate_dir=(
	[pallet_agora_staking]=staking
	[pallet_subnets]=subnets
	[pallet_rewards]=rewards
	[pallet_authority]=authority
	[pallet_payments]=payments
	[pallet_governance]=governance
)
if (($# > 0)); then
	selected=("$@")
else
	selected=(pallet_agora_staking pallet_subnets pallet_rewards pallet_authority pallet_payments pallet_governance)
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
	echo "[benchmark] building a release agora-node with runtime-benchmarks" >&2
	began=$SECONDS
	# frame-benchmarking-cli brings a test runtime of its own whose wasm build cannot find its
	# crate in our workspace (WASM_BUILD_WORKSPACE_HINT); `benchmark pallet` never uses it.
	SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1 \
		cargo build --release --locked -p agora-node --features runtime-benchmarks
	echo "[benchmark] built in $((SECONDS - began)) s" >&2
	cp "$CARGO_TARGET_DIR/release/agora-node" "$node"
	cp "$CARGO_TARGET_DIR/release/wbuild/agora-runtime/agora_runtime.wasm" "$wasm"
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

# The epoch at the UID counts docs/benchmarks.md quotes: steps of 256 from 256 to 4096.
if [[ " ${selected[*]} " == *" pallet_rewards "* ]]; then
	echo "[benchmark] pallet_rewards::epoch at n = 256, 512, ..., 4096" >&2
	"$node" benchmark pallet \
		--runtime "$wasm" \
		--genesis-builder runtime \
		--genesis-builder-preset development \
		--pallet pallet_rewards \
		--extrinsic epoch \
		--low 256 \
		--high 4096 \
		--steps 16 \
		--repeat "$repeat" \
		--json-file "$out_dir/epoch_points.json" >/dev/null
	python3 - "$out_dir/epoch_points.json" <<'PY'
import json, statistics, sys

# The runtime's DbWeight is ParityDbWeight: 8 µs a read, 50 µs a write.
READ_PS, WRITE_PS, BLOCK_PS = 8_000_000, 50_000_000, 2 * 10**12
(bench,) = json.load(open(sys.argv[1]))
times, db = {}, {}
for r in bench["time_results"]:
    times.setdefault(r["components"][0][1], []).append(r["extrinsic_time"])
for r in bench["db_results"]:
    db[r["components"][0][1]] = (r["reads"], r["writes"])
print(f"{'n':>5} {'median ms':>10} {'min ms':>8} {'reads':>6} {'writes':>6} {'+DB ms':>8} {'of 2 s':>7}")
for n in sorted(times):
    median, low = statistics.median(times[n]) / 1e6, min(times[n]) / 1e6
    reads, writes = db.get(n, (0, 0))
    total = statistics.median(times[n]) * 1000 + reads * READ_PS + writes * WRITE_PS
    print(f"{n:>5} {median:>10.1f} {low:>8.1f} {reads:>6} {writes:>6} {total / 1e9:>8.1f} {total / BLOCK_PS:>7.1%}")
PY
fi
echo "[benchmark] ok; check with: SKIP_WASM_BUILD=1 cargo test -p <crate> && scripts/lint.sh" >&2
