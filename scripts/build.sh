#!/usr/bin/env bash
# Installs what is missing and builds everything the tests and the node need (runtime wasm
# included). The run and test commands both build exactly this, so either warms the other.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"
bash scripts/setup.sh
cargo test --workspace --locked --no-run
