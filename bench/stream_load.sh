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
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_ROOT:-$root/build}/release
[[ -x $build/parleyd ]] || "$root/scripts/dev" deps
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_TESTS=OFF > /dev/null
cmake --build "$build" -j "${JOBS:-2}" --target parleyd parley-demo parley-stream-fanout > /dev/null
ulimit -n 8192 2>/dev/null || true

data=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
export PARLEY_JWT_SECRET=bench-secret-0123456789
tokens=$("$build/parley-demo" --data "$data" --dossiers 8)
STAFF=$(grep -A1 "Staff token" <<< "$tokens" | tail -1)
CLIENT=$(grep -A1 "Client token" <<< "$tokens" | tail -1)
"$build/parleyd" --data "$data" --port 0 --threads ${THREADS:-2} > "$data/parleyd.out" &
pid=$!
for _ in $(seq 100); do grep -q listening "$data/parleyd.out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$data/parleyd.out" | cut -d: -f2)
# A conversation of d-1 the client sees (audience: the dossier).
conversation=$(curl -s -X POST -H "Authorization: Bearer $STAFF" -H "Content-Type: application/json" \
  -d '{"subject":"Fan-out","body":"Bonjour"}' "http://127.0.0.1:$port/v1/dossiers/d-1/conversations" | jq -r .id)
"$build/parley-stream-fanout" "$port" "$conversation" "$STAFF" "$CLIENT" "${1:-1000}" "${2:-20}"
