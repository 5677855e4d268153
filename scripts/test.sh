#!/usr/bin/env bash
# The test command: installs prerequisites, builds the GPU variant (no GPU needed), then builds and runs every test
# (including the native AOT publishes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh
# Leave no MSBuild node, MSBuild server or compiler server running once the tests are done (or fail).
trap 'dotnet build-server shutdown >/dev/null 2>&1 || true' EXIT
bash scripts/build-gpu.sh
log="$(mktemp -t edgedeploy-test.XXXXXX.log)"
status=0
dotnet test EdgeDeploy.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  # CI keeps only the tail of the log: repeat each failed test with the start of its message and stack there.
  echo
  echo "=== failed tests (repeated from above) ==="
  awk '/^  Failed / { show = 1; lines = 0 }
       /^  Passed |^  Skipped |^\[xUnit\.net |^Test Run |^Total tests/ { show = 0 }
       show && lines++ < 60 { print }' "$log" | head -n 400
fi
rm -f "$log"
exit "$status"
