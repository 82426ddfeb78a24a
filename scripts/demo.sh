#!/usr/bin/env bash
# make demo:         scripts/demo.sh chat
#   The chat example (examples/chat): Gyre on the memory engine with the application bridge running
#   in-process (proxies with endpoint "embedded"), the web page and /login, in one process. Installs
#   the page's npm package (centrifuge-js) on first use and prints the URL. Ctrl-C stops it.
# make demo-server:  scripts/demo.sh server BIN CONFIG
#   The plain server with examples/config.json, a ready connection token and a curl line for the API.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-chat}"

case "$mode" in
chat)
  GO="${GO:-go}"
  if [ ! -f examples/chat/web/vendor/centrifuge.js ]; then
    command -v npm >/dev/null || { echo "demo: npm not found; the chat page needs Node.js 20+ with npm (or use make demo-server)" >&2; exit 1; }
    if [ -d examples/chat/node_modules ]; then
      (cd examples/chat && npm run --silent postinstall)
    else
      echo "demo: installing the page's npm package (npm ci in examples/chat)"
      (cd examples/chat && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
  mkdir -p bin
  "$GO" build -o bin/chat ./examples/chat
  cat <<'MSG'

  Starting the Gyre chat example: Gyre (memory engine) + the Go bridge in one process.
  WebSocket endpoint: ws://127.0.0.1:8000/connection/websocket   page and /login: see "Chat:" below.
  The plain server demo is still there: make demo-server
MSG
  exec bin/chat "${@:2}"
  ;;
server)
  bin="$2"; cfg="$3"
  token=$("$bin" gentoken -c "$cfg" -u demo-user -q)
  cat <<MSG

  Gyre is starting on http://127.0.0.1:8000 (memory engine, config $cfg)

  WebSocket endpoint:  ws://127.0.0.1:8000/connection/websocket
  Connection token for user "demo-user" (valid 7 days):
    $token
  More tokens:         $bin gentoken -c $cfg -u <user>

  Publish through the HTTP API:
    curl -s -H 'X-API-Key: demo-api-key' -d '{"channel":"chat:lobby","data":{"text":"hello"}}' \\
      http://127.0.0.1:8000/api/publish

  Health: http://127.0.0.1:8000/health   Metrics: http://127.0.0.1:8000/metrics
  Any Centrifugo SDK works: e.g. centrifuge-js  new Centrifuge('ws://127.0.0.1:8000/connection/websocket', {token})
  then subscribe to "chat:lobby".  Stop with Ctrl-C.

MSG
  exec "$bin" --config "$cfg"
  ;;
*)
  echo "usage: scripts/demo.sh [chat [chat flags…] | server BIN CONFIG]" >&2
  exit 2
  ;;
esac
