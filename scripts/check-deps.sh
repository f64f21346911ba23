#!/usr/bin/env bash
# Checks the two dependency rules: one version of every sp-/sc-/frame- crate in Cargo.lock, and no
# RocksDB in the node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

dups="$(grep -A1 -E '^name = "(sp|sc|frame)-' Cargo.lock | grep '^name' | sort | uniq -d)"
if [ -n "$dups" ]; then
	echo "[check-deps] more than one version of: $dups" >&2
	exit 1
fi
if cargo tree -p agora-node -e normal,build -i librocksdb-sys >/dev/null 2>&1; then
	echo "[check-deps] librocksdb-sys is in agora-node's tree: turn RocksDB features off" >&2
	exit 1
fi
echo "[check-deps] ok: one version of each sp-/sc-/frame- crate, no RocksDB"
