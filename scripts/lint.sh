#!/usr/bin/env bash
# Formatting and clippy with warnings as errors, as CI runs them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
cargo fmt --all --check
# Lints need no runtime wasm; skipping it keeps this step to a type check.
SKIP_WASM_BUILD=1 cargo clippy --workspace --all-targets --locked -- -D warnings
echo "[lint] ok"
