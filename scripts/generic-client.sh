#!/usr/bin/env bash
# Proves a generic client nobody here wrote can use the chain: starts a throw-away dev node on a
# free port and runs scripts/generic-client.py (py-substrate-interface) against it.
#   scripts/generic-client.sh            # builds nothing: uses $AGORA_NODE_BIN as it is
#   scripts/generic-client.sh --plain    # extra arguments go to generic-client.py
# The Python environment lives outside the clone, in $AGORA_PY_VENV (default ~/.cache/agora-py),
# created on first use with the pinned library versions below. NODE_BIN overrides the node binary
# (default $AGORA_NODE_BIN).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

SUBSTRATE_INTERFACE_VERSION=1.8.1
SCALECODEC_VERSION=1.2.12
VENV="${AGORA_PY_VENV:-$HOME/.cache/agora-py}"

if ! "$VENV/bin/python" -c "import substrateinterface" 2>/dev/null; then
	echo "creating $VENV (substrate-interface $SUBSTRATE_INTERFACE_VERSION)" >&2
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet \
		"substrate-interface==$SUBSTRATE_INTERFACE_VERSION" "scalecodec==$SCALECODEC_VERSION"
fi

NODE_BIN="${NODE_BIN:-$AGORA_NODE_BIN}"
if [ ! -x "$NODE_BIN" ]; then
	echo "no node binary at $NODE_BIN: run scripts/build.sh first" >&2
	exit 1
fi

PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
LOG="$(mktemp -t agora-generic-client.XXXXXX)"
"$NODE_BIN" --dev --tmp --rpc-port "$PORT" --no-prometheus --no-telemetry >"$LOG" 2>&1 &
NODE=$!
cleanup() {
	kill -INT "$NODE" 2>/dev/null || true
	wait "$NODE" 2>/dev/null || true
	rm -f "$LOG"
}
trap cleanup EXIT

# Wait for RPC and the first block (genesis alone cannot include transactions).
best() {
	curl -s -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}' \
		"http://127.0.0.1:$PORT" 2>/dev/null |
		"$VENV/bin/python" -c 'import json, sys; print(int(json.load(sys.stdin)["result"]["number"], 16))' \
			2>/dev/null || echo -1
}
for _ in $(seq 1 120); do
	if ! kill -0 "$NODE" 2>/dev/null; then
		echo "agora-node exited; its log:" >&2
		tail -20 "$LOG" >&2
		exit 1
	fi
	[ "$(best)" -ge 1 ] && break
	sleep 0.5
done
if [ "$(best)" -lt 1 ]; then
	echo "agora-node on port $PORT produced no block in 60 s; its log:" >&2
	tail -20 "$LOG" >&2
	exit 1
fi

START=$SECONDS
"$VENV/bin/python" scripts/generic-client.py "$@" "ws://127.0.0.1:$PORT"
echo "generic client passed in $((SECONDS - START)) s" >&2
