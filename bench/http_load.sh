#!/usr/bin/env bash
# HTTP load benchmark: a fresh demo firm, the real parleyd (Release) on
# 127.0.0.1, and wrk driving a mixed load (bench/http/mixed.lua) over many
# keep-alive connections. Prints requests/s and p50/p99 latency.
#
#   bench/http_load.sh [CONNECTIONS (64)] [SECONDS (15)]
#
# DOSSIERS (default 400, two open conversations each) sets how far the
# posts spread: with 40, each thread grows by about 20 messages a second
# and the run measures reading threads of hundreds of messages.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/demo_server.sh"
connections=${1:-64}
seconds=${2:-15}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
bench_build
bench_demo "${DOSSIERS:-400}"
bench_start
# The open conversations of every dossier: posts spread over them, as a
# firm's traffic does.
export CONVERSATIONS=$(for d in $(seq 1 ${DOSSIERS:-400}); do
  curl -s -H "Authorization: Bearer $STAFF" \
    "http://127.0.0.1:$port/v1/dossiers/d-$d/conversations?status=open&limit=20" | jq -r '.items[].id'
done | paste -sd,)
echo "mixed load: $connections connections, $seconds s, 20% durable writes"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$root/bench/http/mixed.lua" "http://127.0.0.1:$port" | tail -1
