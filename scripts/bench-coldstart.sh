#!/usr/bin/env bash
# Cold start and size (issue 18): wall time from process start to the first prediction printed, `edge predict` against
# a minimal raw ONNX Runtime AOT program (benchmarks/RawOrtPredict) in the same run, alternating the two so machine noise
# hits both alike (in a shuffled order each round); then the sizes of edge, libedgeruntime.so, libedgeagent.so and the raw program (ONNX Runtime itself excluded: both
# load the same libonnxruntime.so). Beside the wall time it prints each program's CPU time (user + sys): on a machine
# other work loads, wall time mostly measures the wait for a core, CPU time what the program itself costs.
# Usage: scripts/bench-coldstart.sh [RUNS]   (default 40 runs of each)
#   EDGE_VARIANT_ARGS="-p:..." also publishes a second edge with those MSBuild arguments (e.g. -p:EdgeStartupHugePages=false,
#   -p:IlcDehydrate=false) and alternates all three programs, to measure one lever within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-40}"
out=artifacts/coldstart
mkdir -p "$out"
echo "publishing (native AOT) ..."
dotnet publish src/Edge.Cli -c Release -o "$out/edge" -nologo -v quiet
dotnet publish src/EdgeRuntime.Native -c Release -o "$out/native" -nologo -v quiet
dotnet publish src/EdgeAgent.Native -c Release -o "$out/native" -nologo -v quiet
dotnet publish benchmarks/RawOrtPredict -c Release -o "$out/raw" -nologo -v quiet
names=(raw edge)
if [[ -n "${EDGE_VARIANT_ARGS:-}" ]]; then
  # Its own native object and link folders, so neither build reuses (or skips linking over) the other's.
  variant="$PWD/$out/variant-build"
  # shellcheck disable=SC2086 # several MSBuild arguments
  dotnet publish src/Edge.Cli -c Release -o "$out/edge-variant" -nologo -v quiet $EDGE_VARIANT_ARGS \
    -p:NativeIntermediateOutputPath="$variant/obj/" -p:NativeOutputPath="$variant/bin/"
  names+=(variant)
fi

input='{"features":{"shape":[1,4],"data":[5.1,3.5,1.4,0.2]}}'
model=models/iris_classifier.onnx
program() {
  case "$1" in
    raw) ORT_DISABLE_TELEMETRY=1 "$out/raw/rawort-predict" "$model" "$input" ;; # like edge: ONNX Runtime's telemetry off
    edge) "$out/edge/edge" predict "$model" -i "$input" ;;
    variant) "$out/edge-variant/edge" predict "$model" -i "$input" ;;
  esac
}
for name in "${names[@]}"; do program "$name" > /dev/null; done # warm the page cache for all

declare -A wall cpu
TIMEFORMAT='%3R %3U %3S'
for ((i = 0; i < runs; i++)); do
  # A fresh order each round, so no program always runs right after the same other one.
  for name in $(printf '%s\n' "${names[@]}" | shuf); do
    read -r r u s < <({ time program "$name" > /dev/null 2>&1; } 2>&1)
    wall[$name]+="$r "
    cpu[$name]+="$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') "
  done
done

# median and p90 of seconds, printed in ms
stats() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {m=(NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; i=int(NR*0.9); if (i < 1) i = 1; printf "%.1f %.1f", m * 1000, a[i] * 1000}'; }
read -r raw_med raw_p90 <<< "$(stats "${wall[raw]}")"
read -r raw_cpu _ <<< "$(stats "${cpu[raw]}")"
echo "cold start, process start to first prediction printed ($runs runs each, alternating, iris_classifier; load average $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  %-36s %8s %8s %9s   %s\n' "" "median" "p90" "CPU med" "ratio (median wall / CPU)"
for name in "${names[@]}"; do
  read -r med p90 <<< "$(stats "${wall[$name]}")"
  read -r c _ <<< "$(stats "${cpu[$name]}")"
  case "$name" in
    raw) label="raw onnxruntime AOT program" ;;
    edge) label="edge predict" ;;
    variant) label="edge predict ($EDGE_VARIANT_ARGS)" ;;
  esac
  printf '  %-36s %5.1f ms %5.1f ms %6.1f ms   %.3fx / %.3fx\n' "$label" "$med" "$p90" "$c" \
    "$(awk -v a="$med" -v b="$raw_med" 'BEGIN {print a / b}')" "$(awk -v a="$c" -v b="$raw_cpu" 'BEGIN {print a / b}')"
done
size() { awk -v b="$(stat -c %s "$1")" 'BEGIN {printf "%6.1f MB", b / 1e6}'; }
echo "sizes (without libonnxruntime.so, which both load):"
echo "  edge               $(size "$out/edge/edge")   (the offline verbs)"
echo "  edge-net           $(size "$out/edge/edge-net")   (the complete CLI edge hands networked verbs to)"
[[ -n "${EDGE_VARIANT_ARGS:-}" ]] && echo "  edge (variant)     $(size "$out/edge-variant/edge")"
echo "  libedgeruntime.so  $(size "$out/native/libedgeruntime.so")"
echo "  libedgeagent.so    $(size "$out/native/libedgeagent.so")"
echo "  rawort-predict     $(size "$out/raw/rawort-predict")"
