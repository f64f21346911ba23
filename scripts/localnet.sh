#!/usr/bin/env bash
# The run command: a whole Agora network on this machine.
#
# Builds if needed, installs the real model and data (scripts/assets.sh), starts a dev node
# (Alice authors 1 s blocks), creates a text-embedding subnet with 10-block epochs, funds and
# registers a validator and two miners with the `agora` CLI — one miner serving the real
# all-MiniLM-L6-v2, one the same network with random weights and in dial-out mode — starts
# them, starts an OpenAI-compatible gateway (agora-gateway) on the validator's hotkey with a free
# tier, and shows the metagraph every few seconds until the incentives separate (and after),
# with a `curl` that gets embeddings from the subnet's miners. Ctrl-C stops everything. Logs, wallets and validator state: $AGORA_LOCALNET (default
# ~/.cache/agora/localnet, wiped at each start).
#
#   AGORA_RPC_PORT   node RPC port (default 9944)
#   AGORA_DEVICE     cpu or cuda (default cpu)
#   AGORA_GATEWAY_PORT  the gateway's HTTP port (default 8080)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

log() { printf '[localnet] %s\n' "$*" >&2; }
net="${AGORA_LOCALNET:-$HOME/.cache/agora/localnet}"
port="${AGORA_RPC_PORT:-9944}"
device="${AGORA_DEVICE:-cpu}"
url="ws://127.0.0.1:$port"
gateway_port="${AGORA_GATEWAY_PORT:-8080}"
bin="$CARGO_TARGET_DIR/debug"

bash scripts/build.sh >&2
bash scripts/assets.sh

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	log "port $port is taken (another node?): stop it or set AGORA_RPC_PORT"
	exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$gateway_port") 2>/dev/null; then
	log "port $gateway_port is taken: stop what listens there or set AGORA_GATEWAY_PORT"
	exit 1
fi

rm -rf "$net"
mkdir -p "$net"
pids=()
stop() {
	trap - INT TERM EXIT
	log "stopping"
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	log "stopped; logs in $net"
}
trap stop INT TERM EXIT

log "starting the dev node (log: $net/node.log)"
"$AGORA_NODE_BIN" --dev --tmp --rpc-port "$port" --no-prometheus --no-telemetry \
	>"$net/node.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
	curl -sf -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"system_health"}' "http://127.0.0.1:$port" \
		>/dev/null 2>&1 && break
	sleep 0.5
done

password="$net/password"
printf 'localnet\n' >"$password"
agora() {
	"$bin/agora" --url "$url" --wallets-dir "$net/wallets" --password-file "$password" \
		--no-prompt "$@"
}

log "wallets: owner (the dev account Alice) with hotkeys validator, good and bad"
agora wallet regen -w owner --uri //Alice >/dev/null
# Hotkeys need no funds: serve, set_weights, commit and reveal are fee-less for them.
for hotkey in validator good bad; do
	agora wallet new-hotkey -w owner --hotkey "$hotkey" >/dev/null
done
log "subnet: text-embedding, tempo 10 blocks, weights every 3 blocks"
agora subnet create -w owner --task text-embedding
netuid="$(agora --json subnet list | python3 -c 'import json,sys; print(max(s["netuid"] for s in json.load(sys.stdin)))')"
# Tempo, weights rate limit and activity cutoff are root's; Alice is the dev chain's sudo key.
agora subnet set-hyperparam -w owner --sudo "$netuid" tempo 10 weights_rate_limit 3 activity_cutoff 1000
for hotkey in validator good bad; do
	agora subnet register -w owner "$netuid" --hotkey "$hotkey"
done
agora stake add -w owner --hotkey validator --amount 1000

neuron() { # name, extra args...
	local name="$1"
	shift
	"$@" --url "$url" --wallets-dir "$net/wallets" --wallet owner \
		--password-file "$password" --netuid "$netuid" >"$net/$name.log" 2>&1 &
	pids+=($!)
	log "started $name (log: $net/$name.log)"
}
minilm="$AGORA_ASSETS/minilm"
# The good miner also takes the gateway's traffic (more than one query a round per validator).
neuron miner-good "$bin/agora-miner" --hotkey good --model "$minilm" --device "$device" \
	--listen /ip4/127.0.0.1/tcp/0 --allow-loopback --metrics 127.0.0.1:0 --peer-rate 200
neuron miner-bad "$bin/agora-miner" --hotkey bad --model "$minilm" --variant random \
	--device "$device" --dial-out
neuron validator "$bin/agora-validator" --hotkey validator --listen /ip4/127.0.0.1/tcp/0 \
	--allow-loopback --state-dir "$net/validator" --interval 3
# The gateway runs on the validator's hotkey (miners answer its permit); free tier: 60 requests
# a minute per key, no channel needed. Paid use: docs/gateway.md. It shares the validator's
# libp2p key, so it starts once the validator has published the endpoint (two `serve`s of one
# hotkey at once would race).
for _ in $(seq 120); do
	agora --json metagraph "$netuid" 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if any(n["uid"] == 0 and n.get("endpoint") for n in json.load(sys.stdin)["neurons"]) else 1)' && break
	sleep 0.5
done
neuron gateway "$bin/agora-gateway" --hotkey validator --http-listen "127.0.0.1:$gateway_port" \
	--free-tier-rpm 60 --db "$net/gateway.redb"

started=$SECONDS
separated=""
while true; do
	sleep 6
	for pid in "${pids[@]}"; do
		kill -0 "$pid" 2>/dev/null || {
			log "a process exited; see the logs in $net"
			tail -n 20 "$net"/*.log >&2
			exit 1
		}
	done
	table="$(agora metagraph "$netuid" 2>&1 || true)"
	[[ -t 1 ]] && printf '\033[H\033[2J'
	printf 'Agora localnet: subnet %s at %s, %d s since the neurons started (Ctrl-C stops)\n\n%s\n' \
		"$netuid" "$url" $((SECONDS - started)) "$table"
	if [[ -z "$separated" ]]; then
		# UIDs follow the registrations: 0 validator, 1 good, 2 bad.
		read -r good bad <<<"$(agora --json metagraph "$netuid" | python3 -c '
import json, sys
m = {n["uid"]: n["incentive"] for n in json.load(sys.stdin)["neurons"]}
print(m.get(1, 0), m.get(2, 0))' 2>/dev/null || true)" || true
		if [[ -n "${good:-}" ]] && python3 -c "import sys; g, b = map(float, sys.argv[1:]); sys.exit(0 if g > 0 and g > 2 * b else 1)" "$good" "$bad"; then
			separated=$((SECONDS - started))
		fi
	fi
	if [[ -n "$separated" ]]; then
		printf '\nIncentives separated %d s after the neurons started: the real model earns more.\n' "$separated"
		printf '\nThe subnet through the gateway (OpenAI API, free tier):\n'
		printf "  curl -s http://127.0.0.1:%s/v1/embeddings -H 'Content-Type: application/json' \\\\\n" "$gateway_port"
		printf "    -d '{\"model\": \"text-embedding-sn%s\", \"input\": [\"hello world\"]}'\n" "$netuid"
	else
		printf '\nWaiting for the first epochs (validator permit, weights, incentives)...\n'
	fi
done
