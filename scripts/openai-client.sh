#!/usr/bin/env bash
# Installs the stock OpenAI Python client (PyPI `openai`, pinned) into a virtual environment
# outside git, for the gateway's end-to-end test and for trying the gateway by hand:
#   $AGORA_OPENAI_VENV/bin/python -c 'import openai'
# Safe to run again: an environment with the pinned version is left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

OPENAI_VERSION="3.57.0"
log() { printf '[openai-client] %s\n' "$*" >&2; }
python="$AGORA_OPENAI_VENV/bin/python"

if [[ -x "$python" ]] && [[ "$("$python" -c 'import openai; print(openai.__version__)' 2>/dev/null)" == "$OPENAI_VERSION" ]]; then
	log "openai $OPENAI_VERSION present in $AGORA_OPENAI_VENV"
	exit 0
fi
command -v python3 >/dev/null 2>&1 || {
	log "python3 is missing: run scripts/setup.sh first"
	exit 1
}
log "installing openai $OPENAI_VERSION into $AGORA_OPENAI_VENV"
rm -rf "$AGORA_OPENAI_VENV"
python3 -m venv "$AGORA_OPENAI_VENV"
"$AGORA_OPENAI_VENV/bin/pip" install --quiet --disable-pip-version-check "openai==$OPENAI_VERSION"
"$python" -c 'import openai; print("[openai-client] openai", openai.__version__)' >&2
