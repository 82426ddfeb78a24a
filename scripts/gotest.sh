#!/usr/bin/env bash
# Runs `go test` with the given arguments, keeps the whole output in a log,
# and on failure ends with a short summary: which tests failed, and which were
# still running when a test binary timed out. CI shows only the tail of a long
# output, and a timeout's goroutine dump would otherwise bury the test names.
set -uo pipefail
GO="${GO:-go}"
log="$(mktemp -t gyre-test.XXXXXX.log)"
"$GO" test "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  echo
  echo "=== go test failed (exit $rc); full log: $log"
  grep -E '^(--- FAIL|FAIL|panic: test timed out)|^[[:space:]]+(running tests:|Test[A-Za-z0-9_/.-]+ \([0-9hms.]+\)$)|_test\.go:[0-9]+: ' "$log" | head -80
fi
exit "$rc"
