#!/usr/bin/env bash
# The retraining loop's last step: an export in, a new version rolling out.
#   samples/retrain/retrain.sh EXPORT.csv [NEW_VERSION]
# 1. retrain.py: trains on the export's rows with recorded inputs and labels; writes the ONNX model, its card (metrics,
#    slice figures), end-to-end and confidence sets and the drift reference source (train.csv)
# 2. edge pack (the device gate's accuracy floor, drift reference), edge sign
# 3. edge publish, edge rollout create --strategy staged (gates: install success, error rate, the online metric against
#    the version it replaces)
# NEW_VERSION defaults to the exported version with its minor part bumped (1.0.0 -> 1.1.0). A webhook receiver can run
# it as it is: everything else comes from the environment:
#   EDGE_SERVER, EDGE_OPERATOR_TOKEN   the update server and a deployer token (as every `edge` fleet command reads them)
#   EDGE_BIN          the edge binary (default: `edge` on PATH, else `dotnet run` of src/Edge.Cli)
#   RETRAIN_CARD      the card to start from (default models/iris_classifier.card.json)
#   RETRAIN_SIGN_KEY  the publisher's signing key (default models/keys/publisher.key: DEMO ONLY)
#   RETRAIN_WORK      working directory (default: a new temporary one)
#   RETRAIN_STAGES    rollout stages (default 10,50,100); RETRAIN_MIN_ACCURACY the gate's floor (default 0.8)
#   RETRAIN_ROLLOUT_ARGS  extra `edge rollout create` arguments (e.g. "--stage-min-seconds 600 --fail-on-alerts")
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
export_csv="$(realpath "$1")"
if [ -n "${EDGE_BIN:-}" ]; then edge=("$EDGE_BIN")
elif command -v edge >/dev/null; then edge=(edge)
else edge=(dotnet run --project "$repo/src/Edge.Cli" -c Release --)
fi
card="${RETRAIN_CARD:-$repo/models/iris_classifier.card.json}"
key="${RETRAIN_SIGN_KEY:-$repo/models/keys/publisher.key}"
work="${RETRAIN_WORK:-$(mktemp -d -t edge-retrain.XXXXXX)}"
mkdir -p "$work"

/usr/bin/python3 "$here/retrain.py" "$export_csv" "$card" "$work"
read -r model base accuracy < <(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["model"], s["baseVersion"], s["accuracy"])' "$work/summary.json")
version="${2:-$(/usr/bin/python3 -c 'import sys; p=sys.argv[1].split("-")[0].split("+")[0].split("."); print(f"{p[0]}.{int(p[1])+1}.0")' "$base")}"
package="$work/$model-$version.edgepkg"

"${edge[@]}" pack --model "$work/model.onnx" --name "$model" --version "$version" --card "$work/card.json" \
  --e2e "$work/e2e.jsonl" --confidence "$work/confidence.jsonl" \
  --metric accuracy --metric-output label --metric-min "${RETRAIN_MIN_ACCURACY:-0.8}" --metric-max 1.0 \
  --train "$work/train.csv" --out "$package"
"${edge[@]}" sign "$package" --key "$key"
"${edge[@]}" publish "$package"
# shellcheck disable=SC2086 # RETRAIN_ROLLOUT_ARGS is a list of arguments
"${edge[@]}" rollout create --model "$model" --version "$version" --strategy staged --stages "${RETRAIN_STAGES:-10,50,100}" ${RETRAIN_ROLLOUT_ARGS:-}
echo "retrain: $model $version (from $base, held-out accuracy $accuracy) published and rolling out; work files in $work"
