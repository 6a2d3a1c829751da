#!/usr/bin/env bash
# HTTP load benchmark: a fresh demo firm, the real parleyd (Release) on
# 127.0.0.1, and wrk driving a mixed load (bench/http/mixed.lua) over many
# keep-alive connections. Prints requests/s and p50/p99 latency.
#
#   bench/http_load.sh [CONNECTIONS (64)] [SECONDS (15)]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
connections=${1:-64}
seconds=${2:-15}
build=${BUILD_ROOT:-$root/build}/release
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
[[ -x $build/parleyd ]] || "$root/scripts/dev" deps
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_TESTS=OFF > /dev/null
cmake --build "$build" -j "${JOBS:-2}" --target parleyd parley-demo > /dev/null

data=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
export PARLEY_JWT_SECRET=bench-secret-0123456789
tokens=$("$build/parley-demo" --data "$data" --dossiers ${DOSSIERS:-40})
export STAFF=$(grep -A1 "Staff token" <<< "$tokens" | tail -1)
export CLIENT=$(grep -A1 "Client token" <<< "$tokens" | tail -1)
"$build/parleyd" --data "$data" --port 0 --threads ${THREADS:-2} > "$data/parleyd.out" &
pid=$!
for _ in $(seq 100); do grep -q listening "$data/parleyd.out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$data/parleyd.out" | cut -d: -f2)
# The open conversations of every dossier: posts spread over them, as a
# firm's traffic does.
export CONVERSATIONS=$(for d in $(seq 1 ${DOSSIERS:-40}); do
  curl -s -H "Authorization: Bearer $STAFF" \
    "http://127.0.0.1:$port/v1/dossiers/d-$d/conversations?status=open&limit=20" | jq -r '.items[].id'
done | paste -sd,)
echo "mixed load: $connections connections, $seconds s, 20% durable writes"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$root/bench/http/mixed.lua" "http://127.0.0.1:$port" | tail -1
