#!/usr/bin/env bash
# Starts Gyre on the memory engine with the example config and prints how to
# connect. Ctrl-C stops it (clients are told 3001 shutdown and reconnect).
set -euo pipefail
bin="$1"; cfg="$2"
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
