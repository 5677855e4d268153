#!/usr/bin/env bash
# Rewrites the PublicAPI.Unshipped.txt of every packable library from the public API analyzer's own findings, so a
# deliberate API change is this one command plus a reviewable diff:
#   RS0016/RS0036 (public symbol missing from the baseline)      -> the symbol is added to PublicAPI.Unshipped.txt
#   RS0017/RS0037-style removals (baseline names a gone symbol)  -> removed from Unshipped, or "*REMOVED*" if it shipped
# Idempotent: with nothing to change it leaves the files as they are. Runs until the analyzer has nothing left to say.
# PublicAPI.Shipped.txt is the surface of the last release (0.1.0 at first); at a release, move Unshipped into Shipped.
# Usage: scripts/update-public-api.sh [extra dotnet build arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Libraries only: Protos is generated code and the edge tool (PackAsTool) is an app.
mapfile -t projects < <(grep -l '<IsPackable>true</IsPackable>' src/*/*.csproj | grep -v '/Protos/' | xargs grep -L '<PackAsTool>true</PackAsTool>')
for p in "${projects[@]}"; do
    d=$(dirname "$p")
    for f in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
        [ -f "$d/$f" ] || printf '#nullable enable\n' > "$d/$f"
    done
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pass in 1 2 3; do
    # --no-incremental: an up-to-date project would report nothing. Warnings, not errors, so every project compiles.
    # Only the projects no other packable project references: building them compiles the rest once.
    for p in "${projects[@]}"; do
        name=$(basename "$p")
        if grep -l "/$name\"" "${projects[@]}" > /dev/null 2>&1; then continue; fi
        dotnet build "$p" -c Release --no-incremental -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= "$@" >> "$log" 2>&1 || true
    done
    changed=$(python3 - "$log" "$root" <<'PY'
import re, sys, os, collections
log, root = sys.argv[1], sys.argv[2]
pat = re.compile(r"(?:warning|error) (RS00\d\d): Symbol '(.+?)' is (not part of the declared|part of the declared).*\[(.+\.csproj)\]\s*$")
add, remove = collections.defaultdict(set), collections.defaultdict(set)
for line in open(log, encoding='utf-8', errors='replace'):
    m = pat.search(line.strip())
    if not m:
        continue
    rule, symbol, what, proj = m.groups()
    d = os.path.dirname(proj)
    (add if what.startswith('not') else remove)[d].add(symbol)
changed = 0
for d in set(add) | set(remove):
    shipped_path, unshipped_path = os.path.join(d, 'PublicAPI.Shipped.txt'), os.path.join(d, 'PublicAPI.Unshipped.txt')
    shipped = {l.strip() for l in open(shipped_path)} if os.path.exists(shipped_path) else set()
    lines = [l.rstrip('\n') for l in open(unshipped_path)] if os.path.exists(unshipped_path) else []
    body = {l for l in lines if l.strip() and not l.startswith('#')}
    before = set(body)
    for s in remove[d]:
        body.discard(s)
        if s in shipped:
            body.add('*REMOVED*' + s)
    for s in add[d]:
        body.discard('*REMOVED*' + s)
        if s not in shipped:
            body.add(s)
    if body != before:
        changed += 1
        with open(unshipped_path, 'w', newline='\n') as f:
            f.write('#nullable enable\n' + ''.join(s + '\n' for s in sorted(body, key=lambda s: (s.removeprefix('*REMOVED*'), s))))
        print(os.path.relpath(unshipped_path, root), file=sys.stderr)
print(changed)
PY
)
    : > "$log"
    [ "$changed" = 0 ] && break
done
# The passes above built with warnings allowed; rebuild as CI does, so the next incremental build is not stale and any
# other API rule (e.g. RS0026, several overloads with optional parameters) fails here rather than later.
for p in "${projects[@]}"; do
    name=$(basename "$p")
    if grep -l "/$name\"" "${projects[@]}" > /dev/null 2>&1; then continue; fi
    dotnet build "$p" -c Release --no-incremental -nologo -clp:NoSummary "$@" | grep -E ': (error|warning) ' | sort -u || true
done
echo "Public API baselines are up to date; review with: git diff -- '*PublicAPI.*.txt'"
