#!/usr/bin/env bash
# The model tasks' throughput on the CPU: candle (crates/models/benches/models.rs), then, where
# they can be installed, the same inputs through other libraries for comparison:
#   - sentence-transformers on PyTorch: all-MiniLM-L6-v2 from the same local directory;
#   - llama.cpp (llama-cpp-python): the same SmolLM2 GGUF, the same prompt token ids;
#   - a NumPy reference BERT (written here, float32, OpenBLAS): always installable; it checks
#     that candle's embeddings are right and gives a plain-BLAS baseline.
# Then prints a summary table with the ratios.
#
# Python packages go into a venv under $AGORA_BENCH_PY (default ~/.cache/agora-bench-py), never
# system-wide. Installs already done are skipped; an install that failed is not retried (its
# reason is kept in $AGORA_BENCH_PY/*.failed) unless AGORA_BENCH_RETRY=1.
#
# Environment: AGORA_BENCH_REPS (runs per figure, default 5), AGORA_BENCH_THREADS (threads of
# every library, default: nproc), LLAMA_INSTALL_TIMEOUT (seconds to build llama-cpp-python,
# default 900), LLAMA_CMAKE_ARGS (llama.cpp's build options; default: no AMX, see below),
# TORCH_MIN_FREE_GB (free disk needed for PyPI's CUDA-bundling torch, default 10).
#
# Exits non-zero only when the Rust bench fails.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGORA_ROOT"

THREADS="${AGORA_BENCH_THREADS:-$(nproc)}"
export AGORA_BENCH_REPS="${AGORA_BENCH_REPS:-5}"
PY_ROOT="${AGORA_BENCH_PY:-$HOME/.cache/agora-bench-py}"
VENV="$PY_ROOT/venv"
PY="$VENV/bin/python"
OUT="$CARGO_TARGET_DIR/agora-bench"
export AGORA_BENCH_OUT="$OUT/models.json"
mkdir -p "$OUT" "$PY_ROOT"
rm -f "$OUT/pytorch.json" "$OUT/llama.json" "$OUT/numpy.json"

say() { echo "[bench-models] $*"; }
say "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), load avg $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. candle.
say "cargo bench -p agora-models --bench models"
if ! cargo bench -p agora-models --bench models; then
	say "the Rust bench failed"
	exit 1
fi

# 2. The Python side. Nothing below changes the exit status.
failed() { # NAME REASON: remember why NAME cannot be installed
	echo "$2" >"$PY_ROOT/$1.failed"
	say "$1: not installable here: $2"
}
skip_failed() { # NAME: true (and says why) when NAME failed before and no retry is asked for
	if [[ -f "$PY_ROOT/$1.failed" && "${AGORA_BENCH_RETRY:-0}" != 1 ]]; then
		say "$1: not installable here: $(cat "$PY_ROOT/$1.failed") (an earlier try; AGORA_BENCH_RETRY=1 tries again)"
		return 0
	fi
	rm -f "$PY_ROOT/$1.failed"
	return 1
}
pip_() { "$VENV/bin/pip" install --no-cache-dir --disable-pip-version-check "$@"; }

if [[ ! -x "$PY" ]]; then
	say "creating $VENV"
	python3 -m venv "$VENV" || { say "python3 -m venv failed: no Python comparisons"; exit 0; }
fi

# NumPy reference: numpy and the Hugging Face tokenizers (the same Rust tokenizer library that
# candle's side uses, so the token ids are the same).
if ! "$PY" -c 'import numpy, tokenizers' 2>/dev/null; then
	pip_ -q numpy tokenizers || say "numpy/tokenizers: pip install failed"
fi

# PyTorch (CPU wheels) and sentence-transformers.
if ! "$PY" -c 'import torch, sentence_transformers' 2>/dev/null && ! skip_failed pytorch; then
	log="$PY_ROOT/pytorch-install.log"
	if ! "$PY" -c 'import torch' 2>/dev/null; then
		say "pip install torch --index-url https://download.pytorch.org/whl/cpu"
		if ! pip_ --retries 1 --timeout 30 torch --index-url https://download.pytorch.org/whl/cpu >"$log" 2>&1; then
			free_gb=$(df -P -BG "$PY_ROOT" | awk 'NR==2 { sub("G", "", $4); print $4 }')
			say "the CPU wheel index failed ($(grep -m1 -oE 'Name or service not known|No matching distribution[^.]*|Could not find[^.]*' "$log" || tail -n1 "$log"))"
			if ((free_gb >= ${TORCH_MIN_FREE_GB:-10})); then
				say "pip install torch (PyPI's build, which brings the CUDA libraries: several GB)"
				pip_ torch >>"$log" 2>&1 || true
			else
				failed pytorch "the CPU wheel index (download.pytorch.org) cannot be reached, and PyPI's torch bundles CUDA (torch, nvidia-cudnn, nccl, cuda-toolkit, triton: ~3 GB of wheels, more installed) with only ${free_gb} GB free here"
			fi
		fi
	fi
	if [[ ! -f "$PY_ROOT/pytorch.failed" ]] && "$PY" -c 'import torch' 2>/dev/null; then
		say "pip install sentence-transformers"
		pip_ sentence-transformers >>"$log" 2>&1 || failed pytorch "pip install sentence-transformers failed (see $log)"
	elif [[ ! -f "$PY_ROOT/pytorch.failed" ]]; then
		failed pytorch "pip install torch failed (see $log)"
	fi
fi

# llama.cpp through llama-cpp-python, compiled here (no binary wheel on PyPI for Linux), for
# this CPU (-march=native) but without AMX: on this project's machine llama.cpp's AMX kernels
# (used for Q4_1 matrices) die with SIGILL (`tilezero` in ggml_backend_amx_mul_mat).
LLAMA_CMAKE_ARGS="${LLAMA_CMAKE_ARGS:--DCMAKE_C_FLAGS='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16' -DCMAKE_CXX_FLAGS='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16'}"
stamp="$PY_ROOT/llama.cpp.cmake-args"
if { ! "$PY" -c 'import llama_cpp' 2>/dev/null || [[ "$(cat "$stamp" 2>/dev/null)" != "$LLAMA_CMAKE_ARGS" ]]; } &&
	! skip_failed llama.cpp; then
	log="$PY_ROOT/llama-install.log"
	limit="${LLAMA_INSTALL_TIMEOUT:-900}"
	say "pip install llama-cpp-python (compiles llama.cpp; at most ${limit} s; log: $log)"
	again=()
	"$PY" -c 'import llama_cpp' 2>/dev/null && again=(--force-reinstall --no-deps)
	CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" timeout "$limit" \
		"$VENV/bin/pip" install --no-cache-dir --disable-pip-version-check "${again[@]}" \
		llama-cpp-python >"$log" 2>&1
	rc=$?
	if ((rc == 124)); then
		failed llama.cpp "building llama-cpp-python took more than ${limit} s (LLAMA_INSTALL_TIMEOUT)"
	elif ((rc != 0)); then
		failed llama.cpp "pip install llama-cpp-python failed: $(grep -m1 -iE 'error' "$log" | cut -c1-200)"
	else
		echo "$LLAMA_CMAKE_ARGS" >"$stamp"
	fi
fi

export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=true
export BENCH_THREADS="$THREADS" BENCH_OUT="$OUT" MINILM_DIR="$AGORA_ASSETS/minilm"
export SMOLLM2_GGUF="$AGORA_ASSETS/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

# --- NumPy reference BERT ---------------------------------------------------------------------
if "$PY" -c 'import numpy, tokenizers' 2>/dev/null; then
	say "NumPy reference (float32, OpenBLAS, $THREADS threads)"
	"$PY" - <<'PYEOF' || say "the NumPy reference failed"
import json, os, struct, time
import numpy as np
from tokenizers import Tokenizer

out, d = os.environ["BENCH_OUT"], os.environ["MINILM_DIR"]
bench = json.load(open(f"{out}/models.json"))
reps = bench["reps"]
cfg = json.load(open(f"{d}/config.json"))

# safetensors: an 8-byte little-endian header length, a JSON header, then the raw tensors.
raw = open(f"{d}/model.safetensors", "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + n])
w = {}
for name, info in header.items():
    if name == "__metadata__" or info["dtype"] != "F32":  # e.g. an I64 position_ids buffer
        continue
    a, b = info["data_offsets"]
    key = name[5:] if name.startswith("bert.") else name
    w[key] = np.frombuffer(raw, dtype="<f4", count=(b - a) // 4, offset=8 + n + a).reshape(info["shape"])

tok = Tokenizer.from_file(f"{d}/tokenizer.json")
tok.no_padding()
tok.enable_truncation(256)
H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
hd = H // heads

def ln(x, p):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w[p + ".weight"] + w[p + ".bias"]

def lin(x, p):
    return x @ w[p + ".weight"].T + w[p + ".bias"]

def erf(x):  # Abramowitz & Stegun 7.1.26, |error| < 1.5e-7
    s = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-x * x)
    return s * y

def embed(texts):
    enc = tok.encode_batch(texts)
    L = max(len(e.ids) for e in enc)
    B = len(texts)
    ids = np.zeros((B, L), np.int64)
    mask = np.zeros((B, L), np.float32)
    for i, e in enumerate(enc):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = 1
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:L] + w["embeddings.token_type_embeddings.weight"][0]
    x = ln(x.astype(np.float32), "embeddings.LayerNorm")
    bias = ((1.0 - mask) * np.float32(-1e30))[:, None, None, :]
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}"
        split = lambda t: t.reshape(B, L, heads, hd).transpose(0, 2, 1, 3)
        q = split(lin(x, p + ".attention.self.query"))
        k = split(lin(x, p + ".attention.self.key"))
        v = split(lin(x, p + ".attention.self.value"))
        s = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(hd)) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        c = (s @ v).transpose(0, 2, 1, 3).reshape(B, L, H)
        x = ln(lin(c, p + ".attention.output.dense") + x, p + ".attention.output.LayerNorm")
        h = lin(x, p + ".intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / np.float32(np.sqrt(2.0))))
        x = ln(lin(h.astype(np.float32), p + ".output.dense") + x, p + ".output.LayerNorm")
    m = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)

result = {"threads": int(os.environ["BENCH_THREADS"])}
for name in ["lee_docs", "sotu_sentences"]:
    texts = bench["inputs"][name]
    ref = embed(texts)
    rates = []
    for _ in range(reps):
        t = time.perf_counter()
        embed(texts)
        rates.append(len(texts) / (time.perf_counter() - t))
    cand = np.array(bench["vectors"][name], dtype=np.float64)
    cos = (cand * ref).sum(1) / np.linalg.norm(cand, axis=1) / np.linalg.norm(ref, axis=1)
    result[name] = {"median": float(np.median(rates)), "runs": rates,
                    "min_cosine_vs_candle": float(cos.min()),
                    "max_abs_diff_vs_candle": float(np.abs(cand - ref).max())}
    print(f"numpy   {name:<15} batch {len(texts)}: {np.median(rates):7.1f} embeddings/s | "
          f"vs candle: min cosine {cos.min():.6f}, max |diff| {np.abs(cand - ref).max():.2e} "
          f"over {len(texts)} texts | load avg {' '.join(open('/proc/loadavg').read().split()[:3])}")
json.dump(result, open(f"{out}/numpy.json", "w"))
PYEOF
fi

# --- sentence-transformers on PyTorch ---------------------------------------------------------
if "$PY" -c 'import torch, sentence_transformers' 2>/dev/null; then
	say "sentence-transformers on PyTorch ($THREADS threads)"
	"$PY" - <<'PYEOF' || say "the PyTorch comparison failed"
import json, os, time
import numpy as np
import torch
from sentence_transformers import SentenceTransformer, models

out, d = os.environ["BENCH_OUT"], os.environ["MINILM_DIR"]
bench = json.load(open(f"{out}/models.json"))
reps = bench["reps"]
torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
# A bare Hugging Face directory (no modules.json): the sentence-transformers pipeline of
# all-MiniLM-L6-v2 built by hand, as candle's embedder does it.
word = models.Transformer(d, max_seq_length=256)
pool = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
model = SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu")
result = {"threads": torch.get_num_threads(), "torch": torch.__version__}
for name in ["lee_docs", "sotu_sentences"]:
    texts = bench["inputs"][name]
    with torch.inference_mode():
        ref = model.encode(texts, batch_size=32, convert_to_numpy=True)
        rates = []
        for _ in range(reps):
            t = time.perf_counter()
            model.encode(texts, batch_size=32, convert_to_numpy=True)
            rates.append(len(texts) / (time.perf_counter() - t))
    cand = np.array(bench["vectors"][name], dtype=np.float64)
    ref = ref.astype(np.float64)
    cos = (cand * ref).sum(1) / np.linalg.norm(cand, axis=1) / np.linalg.norm(ref, axis=1)
    result[name] = {"median": float(np.median(rates)), "runs": rates,
                    "min_cosine_vs_candle": float(cos.min()),
                    "max_abs_diff_vs_candle": float(np.abs(cand - ref).max())}
    print(f"pytorch {name:<15} batch {len(texts)}: {np.median(rates):7.1f} embeddings/s | "
          f"vs candle: min cosine {cos.min():.6f}, max |diff| {np.abs(cand - ref).max():.2e} "
          f"| load avg {' '.join(open('/proc/loadavg').read().split()[:3])}")

def timed(label, per_run, fn):
    fn()
    rates = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        rates.append(per_run / (time.perf_counter() - t))
    result[label] = {"median": float(np.median(rates)), "runs": rates}
    return float(np.median(rates))

short, docs = bench["inputs"]["sotu_sentences"], bench["inputs"]["lee_docs"][:12]
with torch.inference_mode():
    one = timed("sotu_sentences_batch1", len(short),
                lambda: [model.encode([t], batch_size=1, convert_to_numpy=True) for t in short])
    ch = timed("challenge_12_lee_docs_per_sec", 1.0,
               lambda: model.encode(docs, batch_size=32, convert_to_numpy=True))
print(f"pytorch sotu_sentences  batch 1:  {one:7.1f} embeddings/s | challenge (12 Lee docs in one "
      f"call) {1e3 / ch:7.1f} ms | load avg {' '.join(open('/proc/loadavg').read().split()[:3])}")
json.dump(result, open(f"{out}/pytorch.json", "w"))
PYEOF
fi

# --- llama.cpp ----------------------------------------------------------------------------------
if "$PY" -c 'import llama_cpp' 2>/dev/null; then
	say "llama.cpp through llama-cpp-python ($THREADS threads)"
	"$PY" - <<'PYEOF' || say "the llama.cpp comparison failed (exit status $?; 132 is an illegal instruction)"
import json, os, time
import numpy as np
import llama_cpp
from llama_cpp import Llama

out = os.environ["BENCH_OUT"]
bench = json.load(open(f"{out}/models.json"))
reps, n_new = bench["reps"], bench["inputs"]["new_tokens"]
ids = bench["inputs"]["prompt_ids"]  # candle's tokenization of the prompt, no BOS
threads = int(os.environ["BENCH_THREADS"])
llm = Llama(model_path=os.environ["SMOLLM2_GGUF"], n_threads=threads, n_threads_batch=threads,
            n_ctx=512, n_batch=512, verbose=False)
stop = {llm.token_eos()}
n_vocab = llm.n_vocab()

def last_logits():
    # The logits of the last token evaluated (llama-cpp-python keeps none without logits_all).
    return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))

def run(prompt_ids=ids, n=n_new, keep=False):
    """Greedy: the prompt in one batch, then one token at a time, n tokens in all (with
    `keep`, also each step's logits)."""
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(prompt_ids)
    logits = [last_logits().copy()] if keep else None
    nxt = int(np.argmax(last_logits()))
    t1 = time.perf_counter()
    gen = [nxt]
    while len(gen) < n and nxt not in stop:
        llm.eval([nxt])
        if keep:
            logits.append(last_logits().copy())
        nxt = int(np.argmax(last_logits()))
        gen.append(nxt)
    t2 = time.perf_counter()
    return t1 - t0, (len(gen) - 1) / max(t2 - t1, 1e-9), gen, logits

def is_stop(t):
    """llama.cpp's end of sequence, or any control token (which ends Agora's generation)."""
    return t in stop or llm.detokenize([t], special=True).decode("utf-8", "replace").startswith("<|")

def agreement(prompt_ids, theirs, stopped, n=32):
    """How many of the first n greedy tokens llama.cpp and Agora share, counting the end of an
    answer (a stop token) as a token, and where they first differ, llama.cpp's logit gap between
    its token and Agora's there (Agora's end: llama.cpp's end-of-sequence token)."""
    _, _, gen, logits = run(prompt_ids, n, keep=True)
    ours = list(theirs[:n]) + ([None] if stopped and len(theirs) < n else [])
    compared = min(len(ours), len(gen))
    same = next((i for i in range(compared)
                 if not (ours[i] == gen[i] or (ours[i] is None and is_stop(gen[i])))), None)
    out = {"compared": compared, "same": compared if same is None else same, "llama_ids": gen}
    if same is not None:
        a, b = gen[same], ours[same]
        bid = llm.token_eos() if b is None else b
        text = lambda t: llm.detokenize([t], special=True).decode("utf-8", "replace")
        out.update({"llama_token": a, "agora_token": bid, "llama_logit_gap": float(logits[same][a] - logits[same][bid]),
                    "llama_text": text(a), "agora_text": "(end of answer)" if b is None else text(b)})
    return out

run()
prompt_secs, rates = [], []
for _ in range(reps):
    p, r, gen, _ = run()
    prompt_secs.append(p)
    rates.append(r)
agora = bench["generation"]["agora_q8_0"]["generated_ids"]
chat = bench["chat"]
gen_agora = bench["generation"]["agora_q8_0"]
greedy = {"bench_prompt": agreement(ids, agora, gen_agora.get("stopped", False)),
          "chat_prompt": agreement(chat["prompt_ids"], chat["generated_ids"], chat.get("stopped", False))}
result = {"threads": threads, "version": llama_cpp.__version__, "prompt_tokens": len(ids),
          "generated_tokens": len(gen), "prompt_secs": {"median": float(np.median(prompt_secs)), "runs": prompt_secs},
          "decode_tokens_per_sec": {"median": float(np.median(rates)), "runs": rates},
          "greedy_vs_agora": greedy, "text": llm.detokenize(gen).decode("utf-8", "replace")}
print(f"llama.cpp {llama_cpp.__version__} Q4_1: prompt {len(ids)} tokens {np.median(prompt_secs) * 1e3:7.1f} ms "
      f"({len(ids) / np.median(prompt_secs):6.0f} tokens/s) | decode {np.median(rates):6.1f} tokens/s | "
      f"load avg {' '.join(open('/proc/loadavg').read().split()[:3])}")
json.dump(result, open(f"{out}/llama.json", "w"))
PYEOF
fi

# --- Summary ------------------------------------------------------------------------------------
python3 - <<'PYEOF'
import json, os
out = os.environ["BENCH_OUT"]
def load(name):
    try:
        return json.load(open(f"{out}/{name}.json"))
    except (OSError, ValueError):
        return None
c, pt, npy, ll = load("models"), load("pytorch"), load("numpy"), load("llama")
fmt = lambda v: "n/a" if v is None else f"{v:.1f}"
ratio = lambda a, b: "n/a" if a is None or b is None else f"{a / b:.2f}"
def _get(d, keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d
print(f"\nSummary ({c['threads']} candle threads, {c['reps']} runs each, medians)")
e = c["embedding"]
print("\nMiniLM                                  Agora   PyTorch  Agora/PyTorch   NumPy  Agora/NumPy")
rows = [("32 Lee documents, batch 32 (emb/s)", ("lee_docs", "median"), ("lee_docs", "median")),
        ("32 SOTU sentences, batch 32 (emb/s)", ("sotu_sentences", "median"), ("sotu_sentences", "median")),
        ("SOTU sentences, batch 1 (emb/s)", ("sotu_sentences_batch1", "new", "median"), ("sotu_sentences_batch1", "median")),
        ("12-document challenge (per s)", ("challenge_12_lee_docs_per_sec", "new", "median"), ("challenge_12_lee_docs_per_sec", "median"))]
for label, ck, pk in rows:
    a, b = _get(e, ck), _get(pt, pk)
    n = _get(npy, pk)
    print(f"  {label:<37} {fmt(a):>7} {fmt(b):>9} {ratio(a, b):>14} {fmt(n):>7} {ratio(a, n):>12}")
for ref, nm in [(pt, "PyTorch"), (npy, "NumPy")]:
    if ref:
        print(f"  embeddings vs {nm}: min cosine {min(ref[k]['min_cosine_vs_candle'] for k in ('lee_docs', 'sotu_sentences')):.6f}, "
              f"max |diff| {max(ref[k]['max_abs_diff_vs_candle'] for k in ('lee_docs', 'sotu_sentences')):.2e}")
g = c["generation"]
lp = ll["prompt_tokens"] / ll["prompt_secs"]["median"] if ll else None
ld = ll["decode_tokens_per_sec"]["median"] if ll else None
first = next(iter(g.values()), None)
if first:
    print(f"\nSmolLM2-135M, {first['prompt_tokens']}-token prompt, {c['inputs']['new_tokens']} new tokens")
    print("                                prompt tok/s  decode tok/s  prompt vs llama.cpp  decode vs llama.cpp")
for key, label in [("agora_q8_0", "Agora Q8_0 (default)"), ("candle_q8_0", "candle Q8_0"),
                   ("candle_f32", "candle f32 (dequantized)"), ("candle_q4_1", "candle Q4_1")]:
    if key not in g:
        continue
    p = g[key]["prompt_tokens"] / g[key]["prompt_secs"]["median"]
    d = g[key]["decode_tokens_per_sec"]["median"]
    print(f"  {label:<29} {p:12.0f} {d:13.1f} {ratio(p, lp):>20} {ratio(d, ld):>20}")
if g:
    print(f"  {'llama.cpp Q4_1':<29} {'n/a' if lp is None else f'{lp:.0f}':>12} {fmt(ld):>13}")
if ll:
    for name, a in ll["greedy_vs_agora"].items():
        line = f"  greedy, {name}: the first {a['same']} of {a['compared']} tokens (an answer's end counted as one) equal llama.cpp's"
        if a["same"] < a["compared"]:
            line += (f"; then llama.cpp {a['llama_token']} {a['llama_text']!r}, Agora {a['agora_token']} "
                     f"{a['agora_text']!r}: llama.cpp prefers its own by {a['llama_logit_gap']:.3f} logits")
        print(line)
mem = c.get("memory")
if mem:
    print("\nMemory, a process of its own (the model loaded as the miner loads it, one answer): " +
          "; ".join(f"{k} RSS {v['rss_mib']:.0f} MiB, peak {v['peak_mib']:.0f} MiB" for k, v in mem.items()))
if not pt:
    print("\n(PyTorch: not run, see above)")
if not ll:
    print("(llama.cpp: not run, see above)")
PYEOF
exit 0
