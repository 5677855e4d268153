#!/usr/bin/env bash
# The test command: installs prerequisites, builds the GPU variant (no GPU needed), then builds and runs every test
# (including the native AOT publishes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh
# Leave no MSBuild node, MSBuild server or compiler server running once the tests are done (or fail).
trap 'dotnet build-server shutdown >/dev/null 2>&1 || true' EXIT
bash scripts/build-gpu.sh
dotnet test EdgeDeploy.sln -c Release --logger "console;verbosity=normal" "$@"
