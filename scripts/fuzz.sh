#!/usr/bin/env bash
# Runs every Fuzz target in the module for a short time each ($1, default 5s).
set -euo pipefail
fuzztime="${1:-5s}"
cd "$(dirname "$0")/.."
status=0
while IFS= read -r file; do
  pkg="./$(dirname "$file")"
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "fuzz $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/gyre-fuzz.log 2>&1; then
      cat /tmp/gyre-fuzz.log
      status=1
    fi
  done
done < <(git ls-files '*_test.go' 2>/dev/null | xargs grep -l '^func Fuzz' || true)
exit $status
