#!/usr/bin/env bash
# Builds the signed sample packages in models/ with the `edge` CLI:
#   keys/        DEMO ONLY signing keys (committed so the samples can be rebuilt; never ship these)
#   trust/       root.json v2 (v1 + publisher "sample-publisher" for iris-* and diabetes-*) for `edge verify --trust`
#   *.edgepkg    iris_classifier 1.0.0 and 2.0.0 and diabetes_regressor 1.0.0, signed by the sample publisher
# Usage: models/make_packages.sh [path-to-edge]   (default: dotnet run the CLI project)
set -euo pipefail
cd "$(dirname "$0")"
if [ $# -gt 0 ]; then edge=("$1"); else edge=(dotnet run --project ../src/Edge.Cli -c Release --); fi

[ -f keys/root.key ] || "${edge[@]}" keygen --out keys --name root
[ -f keys/publisher.key ] || "${edge[@]}" keygen --out keys --name publisher

mkdir -p trust
"${edge[@]}" root init --root-key keys/root.key --threshold 1 --expires-days 3650 --out trust/root-v1.json
"${edge[@]}" root add-publisher --root trust/root-v1.json --name sample-publisher --key keys/publisher.pub \
  --models 'iris-*' 'diabetes-*' --sign-key keys/root.key --expires-days 3650 --out trust/root.json

"${edge[@]}" pack --model iris_classifier.onnx --name iris-classifier --version 1.0.0 --card iris_classifier.card.json \
  --e2e iris_classifier.e2e.jsonl --confidence iris_classifier.confidence.jsonl \
  --metric accuracy --metric-output label --metric-min 0.85 --metric-max 1.0 \
  --train iris_classifier.train.csv --validity-days 3650 --out iris_classifier.edgepkg
"${edge[@]}" sign iris_classifier.edgepkg --key keys/publisher.key

# The update the native store samples switch to (samples/native/store_iris.{c,py}): the same model name, version 2.0.0.
"${edge[@]}" pack --model iris_classifier_v2.onnx --name iris-classifier --version 2.0.0 --card iris_classifier_v2.card.json \
  --e2e iris_classifier_v2.e2e.jsonl --confidence iris_classifier.confidence.jsonl \
  --metric accuracy --metric-output label --metric-min 0.85 --metric-max 1.0 \
  --train iris_classifier.train.csv --validity-days 3650 --out iris_classifier_v2.edgepkg
"${edge[@]}" sign iris_classifier_v2.edgepkg --key keys/publisher.key

"${edge[@]}" pack --model diabetes_regressor.onnx --name diabetes-regressor --version 1.0.0 --card diabetes_regressor.card.json \
  --e2e diabetes_regressor.e2e.jsonl --abs-tol 1e-3 --rel-tol 1e-4 --confidence diabetes_regressor.confidence.jsonl \
  --metric mae --metric-output prediction --metric-min 0 --metric-max 55 \
  --train diabetes_regressor.train.csv --validity-days 3650 --out diabetes_regressor.edgepkg
"${edge[@]}" sign diabetes_regressor.edgepkg --key keys/publisher.key

rm -rf /tmp/edgedeploy-sample-trust && "${edge[@]}" root trust --trust /tmp/edgedeploy-sample-trust trust/root-v1.json >/dev/null
"${edge[@]}" root update --trust /tmp/edgedeploy-sample-trust trust/root.json >/dev/null
"${edge[@]}" verify iris_classifier.edgepkg --trust /tmp/edgedeploy-sample-trust
"${edge[@]}" verify iris_classifier_v2.edgepkg --trust /tmp/edgedeploy-sample-trust
"${edge[@]}" verify diabetes_regressor.edgepkg --trust /tmp/edgedeploy-sample-trust
