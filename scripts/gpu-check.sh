#!/usr/bin/env bash
# The GPU check (issue 18): runs where a CUDA GPU is lent, with an AOT-published GPU build of `edge`
# (scripts/publish-gpu.sh). For each model it compares CUDA outputs against CPU outputs within tolerance, then
# benchmarks CUDA against CPU (edge bench: raw ONNX Runtime, fast path and Predict on the same provider).
# Usage: scripts/gpu-check.sh EDGE_DIR [EXTRA_MODELS_DIR]
#   EDGE_DIR          holds edge, libonnxruntime.so and libonnxruntime_providers_{shared,cuda}.so
#   EXTRA_MODELS_DIR  optional openWakeWord models (hey_jarvis_v0.1.onnx, embedding_model.onnx, melspectrogram.onnx)
# Needs CUDA 13 and cuDNN 9 on the loader path or in a Python environment's nvidia-* wheels (found automatically),
# and python3 with numpy for the comparison. Exit 0 when every comparison is within tolerance, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
edge_dir="$(cd "$1" && pwd)"; extra="${2:-}"
edge="$edge_dir/edge"
# The provider checked against CPU; EDGE_GPU_CHECK_PROVIDER=cpu dry-runs this script on a machine without a GPU.
gpu="${EDGE_GPU_CHECK_PROVIDER:-cuda}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

# CUDA/cuDNN shared libraries shipped as Python wheels (nvidia-cudnn-cu13, nvidia-cublas, ...): put their lib folders
# on the loader path so ONNX Runtime's CUDA provider can dlopen them.
cuda_libs="$(python3 - <<'PY'
import os, site, sys
roots = {r for r in site.getsitepackages() + [site.getusersitepackages()] + sys.path if r and os.path.isdir(os.path.join(r, "nvidia"))}
dirs = sorted({d for r in roots for d, _, files in os.walk(os.path.join(r, "nvidia")) if any(f.startswith("lib") and ".so" in f for f in files)})
print(":".join(dirs))
PY
)"
export LD_LIBRARY_PATH="$edge_dir${cuda_libs:+:$cuda_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# Inputs per model: JSON objects written by numpy (seeded), the same file for both providers.
python3 - "$work" "$extra" <<'PY'
import json, os, sys
import numpy as np
work, extra = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(18)
def t(a): return {"shape": list(a.shape), "data": a.ravel().tolist()}
def write(name, rows):
    with open(os.path.join(work, name + ".jsonl"), "w") as f:
        for r in rows: f.write(json.dumps({k: t(v) for k, v in r.items()}) + "\n")
write("iris", [{"features": rng.uniform(0, 7, (4, 4)).astype(np.float32)} for _ in range(4)])
write("cnn", [{"image": rng.standard_normal((2, 3, 224, 224)).astype(np.float32)} for _ in range(2)])
write("pool", [{"x": rng.standard_normal((3, 40, 8)).astype(np.float32), "mask": (rng.random((3, 40)) > 0.3).astype(np.float32)}])
if extra:
    write("jarvis", [{"x.1": rng.standard_normal((1, 16, 96)).astype(np.float32)} for _ in range(4)])
    write("embedding", [{"input_1": rng.standard_normal((1, 76, 32, 1)).astype(np.float32)} for _ in range(2)])
    write("melspec", [{"input": (rng.standard_normal((1, 16000)) * 3000).astype(np.float32)} for _ in range(2)])
PY

compare() { # name model inputs
  local name=$1 model=$2 inputs=$3
  "$edge" predict "$model" -i "@$inputs" --provider cpu --threads 0 > "$work/$name.cpu.jsonl"
  "$edge" predict "$model" -i "@$inputs" --provider "$gpu" > "$work/$name.cuda.jsonl"
  python3 - "$name" "$work/$name.cpu.jsonl" "$work/$name.cuda.jsonl" <<'PY'
import json, sys
import numpy as np
name, cpu_path, cuda_path = sys.argv[1:]
cpu = [json.loads(l) for l in open(cpu_path)]; cuda = [json.loads(l) for l in open(cuda_path)]
assert len(cpu) == len(cuda) and cpu, f"{name}: {len(cpu)} CPU rows, {len(cuda)} CUDA rows"
worst_abs = worst_rel = 0.0; ok = True
for a, b in zip(cpu, cuda):
    for out in a:
        x = np.asarray(a[out]["data"], dtype=np.float64); y = np.asarray(b[out]["data"], dtype=np.float64)
        assert a[out]["shape"] == b[out]["shape"], f"{name}.{out}: shape {a[out]['shape']} vs {b[out]['shape']}"
        d = np.abs(x - y); worst_abs = max(worst_abs, float(d.max(initial=0)))
        worst_rel = max(worst_rel, float((d / np.maximum(np.abs(x), 1e-6)).max(initial=0)))
        # CUDA runs MatMul/Conv in TF32 (ONNX Runtime's default, 10-bit mantissa) and cuDNN reorders sums: compare at
        # 5e-3 of each output's scale; integer outputs (labels) must still agree exactly.
        scale = max(float(np.abs(x).max(initial=0)), 1e-6)
        ok &= bool(np.all(d <= 5e-3 * scale + 1e-5))
print(f"compare {name:10s} {'OK  ' if ok else 'FAIL'} max |cuda-cpu| {worst_abs:.3g}, max relative {worst_rel:.3g} over {len(cpu)} input(s)")
sys.exit(0 if ok else 1)
PY
}

bench() { # label model args...
  local label=$1 model=$2; shift 2
  for p in cpu "$gpu"; do
    local threads=1; [ $p = cpu ] && threads=0
    "$edge" bench "$model" --provider $p --threads $threads --json "$@" > "$work/bench.json"
    python3 - "$label" "$p" "$work/bench.json" <<'PY'
import json, sys
label, p, path = sys.argv[1:]
r = json.load(open(path))
v = {x["name"]: x for x in r["variants"]}
raw, fast, pred = v["raw onnxruntime (iobinding)"], v["edge fast path"], v["edge predict"]
print(f"bench {label:28s} {r['provider']:4s} raw p50 {raw['p50Micros']:9.1f} us  fast p50 {fast['p50Micros']:9.1f} us ({fast['p50RatioToRaw']:.3f}x)  predict p50 {pred['p50Micros']:9.1f} us ({pred['p50RatioToRaw']:.3f}x)  p99 raw {raw['p99Micros']:9.1f} us")
PY
  done
}

failed=0
compare iris models/iris_classifier.onnx "$work/iris.jsonl" || failed=1
compare cnn models/cnn_dynamic.onnx "$work/cnn.jsonl" || failed=1
compare pool models/masked_pool.onnx "$work/pool.jsonl" || failed=1
if [ -n "$extra" ]; then
  compare jarvis "$extra/hey_jarvis_v0.1.onnx" "$work/jarvis.jsonl" || failed=1
  compare embedding "$extra/embedding_model.onnx" "$work/embedding.jsonl" || failed=1
  compare melspec "$extra/melspectrogram.onnx" "$work/melspec.jsonl" || failed=1
fi

bench "iris 1x4" models/iris_classifier.onnx -n 2000 --warmup 200
bench "cnn 1x3x224x224" models/cnn_dynamic.onnx --shape image=1,3,224,224 -n 400 --warmup 40
bench "cnn 8x3x512x512" models/cnn_dynamic.onnx --shape image=8,3,512,512 -n 100 --warmup 10
if [ -n "$extra" ]; then
  bench "hey_jarvis 1x16x96" "$extra/hey_jarvis_v0.1.onnx" -n 2000 --warmup 200
  bench "embedding 1x76x32x1" "$extra/embedding_model.onnx" -n 1000 --warmup 100
  bench "melspectrogram 1x16000" "$extra/melspectrogram.onnx" --shape input=1,16000 -n 1000 --warmup 100
fi
exit $failed
