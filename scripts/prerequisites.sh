#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for EdgeDeploy: the .NET 10 SDK is expected on PATH;
# native AOT needs clang and zlib; the third-party model tests need npm and tar; the C ABI samples need gcc and python3;
# the PostgreSQL store tests need the PostgreSQL server; the web console's browser tests drive Debian's chromium
# (Playwright .NET's driver ships in its NuGet package; no browser is downloaded).
set -euo pipefail

need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need+=(zlib1g-dev)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v tar >/dev/null 2>&1 || need+=(tar)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The PostgreSQL backend's tests initdb a throwaway cluster (server binaries under /usr/lib/postgresql/*/bin).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK (dotnet) is required on PATH" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
