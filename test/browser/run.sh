#!/usr/bin/env bash
# make test-browser: installs the npm packages if needed (npm ci), builds the chat app and runs the
# Playwright browser test (node --test). Without Node.js or Chromium it skips with the reason, unless
# GYRE_REQUIRE_SERVICES is set (CI), where a missing piece is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO="${GO:-go}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

missing() {
  if [ -n "${GYRE_REQUIRE_SERVICES:-}" ]; then
    echo "test-browser: $1 (GYRE_REQUIRE_SERVICES is set)" >&2
    exit 1
  fi
  echo "SKIP test-browser: $1"
  exit 0
}
command -v node >/dev/null || missing "node not found (Node.js 20+ with npm)"
command -v npm >/dev/null || missing "npm not found"
[ -x "$CHROMIUM" ] || missing "Chromium not found at $CHROMIUM (apt-get install -y chromium)"

for dir in examples/chat test/browser; do
  if [ ! -d "$dir/node_modules" ]; then
    echo "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
# npm ci vendors the browser bundle (postinstall); redo it if web/vendor was removed since.
[ -f examples/chat/web/vendor/centrifuge.js ] || (cd examples/chat && npm run --silent postinstall)

mkdir -p bin
"$GO" build -o bin/chat ./examples/chat
cd test/browser
CHAT_BIN="$PWD/../../bin/chat" CHROMIUM="$CHROMIUM" exec node --test --test-reporter=spec chat.test.mjs
