#!/usr/bin/env bash
# Live stream fan-out (issue bar: 1,000 concurrent stream connections on 2
# cores receive a posted message with p99 delivery under 100 ms). A fresh
# demo firm, the Release parleyd on 127.0.0.1, and parley-stream-fanout
# holding CONNECTIONS GET /v1/stream connections (half staff, half a
# client of d-1) while MESSAGES messages are posted to one of d-1's
# conversations, one every 200 ms.
#
#   bench/stream_load.sh [CONNECTIONS (1000)] [MESSAGES (20)]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/demo_server.sh"
bench_build parley-stream-fanout
ulimit -n 8192 2>/dev/null || true
bench_demo 8
bench_start
# A conversation of d-1 the client sees (audience: the dossier).
conversation=$(curl -s -X POST -H "Authorization: Bearer $STAFF" -H "Content-Type: application/json" \
  -d '{"subject":"Fan-out","body":"Bonjour"}' "http://127.0.0.1:$port/v1/dossiers/d-1/conversations" | jq -r .id)
"$build/parley-stream-fanout" "$port" "$conversation" "$STAFF" "$CLIENT" "${1:-1000}" "${2:-20}"
