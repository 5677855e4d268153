#!/usr/bin/env bash
# Publishes the CUDA build of `edge` (native AOT, Microsoft.ML.OnnxRuntime.Gpu 1.31.0) into a folder with its ONNX
# Runtime libraries, ready for scripts/gpu-check.sh on a machine with a GPU (no .NET needed there).
# Usage: scripts/publish-gpu.sh [OUT_DIR]   (default artifacts/gpu/edge)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/gpu/edge}"
build="$(mktemp -d)"; trap 'rm -rf "$build"' EXIT
dotnet publish src/Edge.Cli -c Release -r linux-x64 -p:EdgeOnnxRuntimeGpu=true --artifacts-path "$build" -o "$out" -nologo -v quiet
rm -f "$out"/*.dll # the GPU meta-package also drops its Windows natives beside a linux-x64 publish
for lib in libonnxruntime.so libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
  [ -f "$out/$lib" ] || { echo "error: $lib missing from $out: the GPU package was not selected" >&2; exit 1; }
done
echo "published the CUDA build of edge to $out ($(du -sh "$out" | cut -f1))"
