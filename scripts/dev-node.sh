#!/usr/bin/env bash
# The one run command (for now): builds if needed and starts a single-node development chain,
# Alice authoring 1 s blocks, state in a temporary directory, RPC on 127.0.0.1:9944.
# Extra arguments go to agora-node (e.g. --rpc-port 9955). Ctrl-C stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

bash scripts/build.sh >&2

cat >&2 <<MSG

  Agora dev node: RPC at ws://127.0.0.1:9944 and http://127.0.0.1:9944
  Try:  curl -s -H 'Content-Type: application/json' \\
          -d '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader"}' http://127.0.0.1:9944
  Dev accounts (Alice, Bob, …) hold 100,000 AGR each. Ctrl-C stops the node.

MSG
exec "$AGORA_NODE_BIN" --dev --tmp --rpc-port 9944 "$@"
