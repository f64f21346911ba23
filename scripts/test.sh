#!/usr/bin/env bash
# The one test command: installs what is missing, builds the node (runtime wasm included) and
# runs every test: pallet and runtime unit tests, then end-to-end tests that start real nodes on
# loopback ports.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

start=$(date +%s)
echo "[test] building (target dir $CARGO_TARGET_DIR)"
bash scripts/build.sh
bash scripts/check-deps.sh
# The real weights and data the model tests and the end-to-end network test use.
bash scripts/assets.sh
# The stock OpenAI Python client the gateway's end-to-end test drives.
bash scripts/openai-client.sh
echo "[test] build took $(( $(date +%s) - start )) s"

# End-to-end tests start up to five nodes each; one test at a time keeps a 2-core machine from
# starving them.
cargo test --workspace --locked --no-fail-fast -- --test-threads=1
