#!/usr/bin/env bash
# Builds the release tarball: artifacts/release/edgedeploy-<version>-linux-x64.tar.gz with
#   bin/edge, bin/edge-net       the CLI (native AOT, self-contained): edge runs the offline verbs and hands the rest to
#                                edge-net (README, "Cold start and size"); libonnxruntime.so and libe_sqlite3.so beside them
#   lib/libedgeruntime.so        the C ABI (native AOT) with libonnxruntime.so and libe_sqlite3.so, include/edgeruntime.h
#   lib/libedgeagent.so          the same C ABI plus the update agent (gRPC client), include/edgeagent.h
#   server/                      the update server (framework-dependent: needs the ASP.NET Core 10 runtime)
#   samples/, systemd/ (units for the server and the agent), LICENSE, README.md
# Usage: scripts/release.sh [version]. EDGE_PUBLISHED / NATIVE_PUBLISHED / SERVER_PUBLISHED may name directories that
# already hold those publishes (the tests reuse theirs instead of publishing twice); NATIVE_PUBLISHED holds both
# libedgeruntime.so and libedgeagent.so.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)}"
rid=linux-x64
name="edgedeploy-$version-$rid"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage/bin" "$stage/lib" "$stage/include" "$stage/server" "$stage/samples" "$stage/systemd"

publish() { # project, output
  echo "publishing $1 ..." >&2
  dotnet publish "$1" -c Release -r "$rid" -o "$2" -nologo -v quiet -clp:NoSummary >&2
}

edge="${EDGE_PUBLISHED:-}";     [ -n "$edge" ]   || { edge="$work/edge";     publish src/Edge.Cli "$edge"; }
native="${NATIVE_PUBLISHED:-}"; [ -n "$native" ] || { native="$work/native"; publish src/EdgeRuntime.Native "$native"; publish src/EdgeAgent.Native "$native"; }
server="${SERVER_PUBLISHED:-}"; [ -n "$server" ] || { server="$work/server"; echo "publishing src/UpdateServer ..." >&2; dotnet publish src/UpdateServer -c Release -o "$server" -nologo -v quiet -clp:NoSummary >&2; }

# libe_sqlite3.so: the telemetry outbox (edge store predict --telemetry, the agent, the C ABI's recorder) loads it.
cp "$edge/edge" "$edge/edge-net" "$edge/libonnxruntime.so" "$edge/libe_sqlite3.so" "$stage/bin/"
cp "$native/libedgeruntime.so" "$native/libedgeagent.so" "$native/libonnxruntime.so" "$native/libe_sqlite3.so" "$stage/lib/"
cp src/EdgeRuntime.Native/include/edgeruntime.h src/EdgeRuntime.Native/include/edgeagent.h "$stage/include/"
cp -r "$server/." "$stage/server/"
# Debug symbols and the other platforms' native libraries have no place in a linux-x64 tarball.
find "$stage/server" \( -name '*.pdb' -o -name '*.dbg' \) -delete
find "$stage/server/runtimes" -mindepth 1 -maxdepth 1 ! -name "$rid" -exec rm -rf {} + 2>/dev/null || true
cp samples/native/* "$stage/samples/"
cp deploy/systemd/*.service "$stage/systemd/"
cp LICENSE README.md "$stage/"

mkdir -p artifacts/release
tar -C "$work" -czf "artifacts/release/$name.tar.gz" "$name"
echo "artifacts/release/$name.tar.gz"
