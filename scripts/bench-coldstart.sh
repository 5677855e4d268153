#!/usr/bin/env bash
# Cold start and size (issue 18): wall time from process start to the first prediction printed, `edge predict` against
# a minimal raw ONNX Runtime AOT program (benchmarks/RawOrtPredict) in the same run, alternating the two so machine noise
# hits both alike; then the sizes of edge, libedgeruntime.so, libedgeagent.so and the raw program (ONNX Runtime itself excluded: both
# load the same libonnxruntime.so).
# Usage: scripts/bench-coldstart.sh [RUNS]   (default 40 runs of each)
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

input='{"features":{"shape":[1,4],"data":[5.1,3.5,1.4,0.2]}}'
model=models/iris_classifier.onnx
"$out/edge/edge" predict "$model" -i "$input" > /dev/null # warm the page cache for both
"$out/raw/rawort-predict" "$model" "$input" > /dev/null

now() { date +%s%N; }
edge_ns=(); raw_ns=()
for ((i = 0; i < runs; i++)); do
  t0=$(now); "$out/edge/edge" predict "$model" -i "$input" > /dev/null; t1=$(now)
  "$out/raw/rawort-predict" "$model" "$input" > /dev/null; t2=$(now)
  edge_ns+=($((t1 - t0))); raw_ns+=($((t2 - t1)))
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
p90() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.9); if (i < 1) i = 1; print a[i]}'; }
edge_med=$(median "${edge_ns[@]}"); raw_med=$(median "${raw_ns[@]}")
edge_p90=$(p90 "${edge_ns[@]}"); raw_p90=$(p90 "${raw_ns[@]}")
size() { stat -c %s "$1"; }
awk -v e="$edge_med" -v r="$raw_med" -v e9="$edge_p90" -v r9="$raw_p90" -v n="$runs" \
    -v se="$(size "$out/edge/edge")" -v sn="$(size "$out/native/libedgeruntime.so")" -v sa="$(size "$out/native/libedgeagent.so")" -v sr="$(size "$out/raw/rawort-predict")" 'BEGIN {
  printf "cold start, process start to first prediction printed (%d runs each, iris_classifier, median / p90):\n", n
  printf "  raw onnxruntime AOT program  %7.1f ms / %7.1f ms\n", r / 1e6, r9 / 1e6
  printf "  edge predict                 %7.1f ms / %7.1f ms   ratio %.3fx (median)\n", e / 1e6, e9 / 1e6, e / r
  printf "sizes (without libonnxruntime.so, which both load):\n"
  printf "  edge               %6.1f MB\n  libedgeruntime.so  %6.1f MB\n  libedgeagent.so    %6.1f MB\n  rawort-predict     %6.1f MB\n", se / 1e6, sn / 1e6, sa / 1e6, sr / 1e6
}'
