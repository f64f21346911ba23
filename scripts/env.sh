# Shared environment of Agora's scripts; source it, don't run it.
# One persistent target dir outside the clone, so CI and later sessions reuse compiled crates.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/agora-target}"
AGORA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AGORA_ROOT
# substrate-wasm-builder looks for Cargo.lock upward from OUT_DIR; with the target dir elsewhere
# it needs to be told where the workspace is.
export WASM_BUILD_WORKSPACE_HINT="$AGORA_ROOT"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PATH="$HOME/.cargo/bin:$PATH"
# The node binary the scripts and end-to-end tests run.
export AGORA_NODE_BIN="$CARGO_TARGET_DIR/debug/agora-node"
export AGORA_ASSETS="${AGORA_ASSETS:-$HOME/.cache/agora/assets}"
# The stock OpenAI Python client the gateway's end-to-end test drives (scripts/openai-client.sh).
export AGORA_OPENAI_VENV="${AGORA_OPENAI_VENV:-$HOME/.cache/agora/openai-venv}"
