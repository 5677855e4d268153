#!/usr/bin/env bash
# Restores and builds the CUDA variant (Microsoft.ML.OnnxRuntime.Gpu) of the runtime and the CLI, so the
# -p:EdgeOnnxRuntimeGpu=true switch cannot rot on machines without a GPU. Outputs go to a temp dir, not the CPU build's.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "building the GPU variant (Microsoft.ML.OnnxRuntime.Gpu) ..."
dotnet build src/Edge.Cli -c Release -p:EdgeOnnxRuntimeGpu=true --artifacts-path "$out" -nologo -v quiet
cuda="$(find "$out" -name libonnxruntime_providers_cuda.so | head -1)"
if [ -z "$cuda" ]; then
  echo "error: the GPU build has no libonnxruntime_providers_cuda.so: EdgeOnnxRuntimeGpu did not select the GPU package" >&2
  exit 1
fi
echo "GPU variant builds: $(basename "$cuda") present"
