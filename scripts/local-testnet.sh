#!/usr/bin/env bash
# Starts a 4-node local network on loopback (Alice, Bob, Charlie, Dave: all authorities of
# `--chain local`, 2 s blocks) and stops it cleanly on Ctrl-C or when any node dies.
#
#   scripts/local-testnet.sh            # RPC on 9944..9947, p2p on 30333..30336
#   BASE_PORT=9000 scripts/local-testnet.sh
#   KEEP_DATA=1 scripts/local-testnet.sh   # keep the databases in .agora-local/ between runs
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

RPC_BASE="${BASE_PORT:-9944}"
P2P_BASE="${P2P_BASE:-30333}"
PROM_BASE="${PROM_BASE:-9615}"
DATA="${DATA_DIR:-$AGORA_ROOT/.agora-local}"

if [ ! -x "$AGORA_NODE_BIN" ] || [ "${SKIP_BUILD:-0}" != 1 ]; then
	bash scripts/build.sh >&2
fi
[ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$DATA"
mkdir -p "$DATA"

# A fixed node key for Alice makes her address known before she starts, so the others can
# bootstrap from it. (Only for this throw-away local network.)
ALICE_KEY=0000000000000000000000000000000000000000000000000000000000000001
ALICE_ID="$(printf %s "$ALICE_KEY" | "$AGORA_NODE_BIN" key inspect-node-key)"
BOOTNODE="/ip4/127.0.0.1/tcp/$P2P_BASE/p2p/$ALICE_ID"

pids=()
stop() {
	trap - INT TERM EXIT
	echo "[local-testnet] stopping ${#pids[@]} nodes" >&2
	for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
	wait "${pids[@]}" 2>/dev/null || true
	echo "[local-testnet] stopped; logs in $DATA/*.log" >&2
	exit "${1:-0}"
}
trap stop INT TERM EXIT

i=0
for name in alice bob charlie dave; do
	args=(--chain local "--$name" --base-path "$DATA/$name"
		--listen-addr "/ip4/127.0.0.1/tcp/$((P2P_BASE + i))"
		--rpc-port $((RPC_BASE + i)) --rpc-cors all --no-mdns --no-telemetry
		--prometheus-port $((PROM_BASE + i)))
	if [ "$name" = alice ]; then
		args+=(--node-key "$ALICE_KEY")
	else
		# An authority must have a persistent network key; make one on first start.
		[ -f "$DATA/$name/chains/agora_local/network/secret_ed25519" ] ||
			"$AGORA_NODE_BIN" key generate-node-key --chain local --base-path "$DATA/$name" 2>/dev/null
		args+=(--bootnodes "$BOOTNODE")
	fi
	"$AGORA_NODE_BIN" "${args[@]}" >"$DATA/$name.log" 2>&1 &
	pids+=($!)
	echo "[local-testnet] $name: RPC ws://127.0.0.1:$((RPC_BASE + i)), log $DATA/$name.log" >&2
	i=$((i + 1))
done

echo "[local-testnet] running; Ctrl-C stops all nodes" >&2
# Exit (and stop the rest) as soon as any node exits.
wait -n "${pids[@]}" || true
echo "[local-testnet] a node exited; see its log" >&2
stop 1
