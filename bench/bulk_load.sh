#!/usr/bin/env bash
# Bulk send benchmark (issue bar: 2,000 dossiers in under 10 s on 2 cores,
# while single-conversation reads keep answering). A fresh demo firm with
# DOSSIERS dossiers, the real parleyd (Release) on 127.0.0.1; wrk reads
# threads alone first (the baseline), then again while one
# POST /v1/bulk/conversations {filter: {all: true}} runs. Prints the job's
# time, its outcome, and the reads' p99 without and during the job.
# Then the crash bar: the same send again under an Idempotency-Key, parleyd
# killed with SIGKILL half-way, restarted, the same request sent again;
# every dossier must end with exactly one conversation of that send.
#
#   bench/bulk_load.sh [DOSSIERS (2000)] [READ_CONNECTIONS (8)]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/demo_server.sh"
dossiers=${1:-2000}
connections=${2:-8}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
bench_build
echo "demo firm with $dossiers dossiers..."
bench_demo "$dossiers"
bench_start
export CONVERSATIONS=$(for d in $(seq 1 20); do
  curl -s -H "Authorization: Bearer $STAFF" "$url/v1/dossiers/d-$d/conversations?status=all" | jq -r '.items[].id'
done | paste -sd,)

echo -n "reads alone ($connections connections, 5 s):   "
wrk -t1 -c"$connections" -d5s --latency -s "$root/bench/http/reads.lua" "$url" | tail -1

wrk -t1 -c"$connections" -d20s --latency -s "$root/bench/http/reads.lua" "$url" > "$data/wrk.out" &
wrk_pid=$!
extra_pids=$wrk_pid
sleep 1
start=$(date +%s.%N)
job=$(curl -s -X POST -H "Authorization: Bearer $STAFF" -H "Content-Type: application/json" \
  -d '{"filter":{"all":true},"template":{"id":"std-vat-missing-receipts","variables":{"deadline":"2026-12-15","period":"T4 2026"}}}' \
  "$url/v1/bulk/conversations" | jq -r .id)
while :; do
  status=$(curl -s -H "Authorization: Bearer $STAFF" "$url/v1/bulk/conversations/$job")
  [[ $(jq -r .status <<< "$status") == done ]] && break
  sleep 0.05
done
end=$(date +%s.%N)
kill -INT $wrk_pid 2>/dev/null || true
wait $wrk_pid 2>/dev/null || true
extra_pids=
jq -c '{total, succeeded, failed, requested_at, completed_at}' <<< "$status"
printf "bulk send of %d dossiers: %.2f s from the POST to status done (polled every 50 ms)\n" \
  "$(jq .total <<< "$status")" "$(echo "$end - $start" | bc)"
echo -n "reads during the job (same connections):  "
tail -1 "$data/wrk.out"

# ---- kill -9 half-way, then the same request with the same key ----
request='{"filter":{"all":true},"subject":"Relevés bancaires de novembre","body":"Bonjour, pouvez-vous nous les envoyer ?"}'
send() { curl -s -X POST -H "Authorization: Bearer $STAFF" -H "Content-Type: application/json" \
  -H "Idempotency-Key: crash-bench" -d "$request" "$url/v1/bulk/conversations"; }
job=$(send | jq -r .id)
while :; do
  done_so_far=$(curl -s -H "Authorization: Bearer $STAFF" "$url/v1/bulk/conversations/$job" | jq .succeeded)
  (( done_so_far >= dossiers / 4 )) && break
  sleep 0.01
done
kill -9 $pid; wait $pid 2>/dev/null || true
echo "killed parleyd with $done_so_far of $dossiers outcomes recorded"
bench_start
[[ $(send | jq -r .id) == "$job" ]] || { echo "FAIL: the retry answered another job"; exit 1; }
while :; do
  status=$(curl -s -H "Authorization: Bearer $STAFF" "$url/v1/bulk/conversations/$job")
  [[ $(jq -r .status <<< "$status") == done ]] && break
  sleep 0.1
done
jq -c '{total, succeeded, failed}' <<< "$status"
wrong=0
for d in $(seq 1 "$dossiers"); do
  n=$(curl -s -H "Authorization: Bearer $STAFF" "$url/v1/dossiers/d-$d/conversations?status=all&limit=100" |
    jq '[.items[] | select(.subject == "Relevés bancaires de novembre")] | length')
  [[ $n == 1 ]] || { wrong=$((wrong + 1)); echo "d-$d has $n conversations of the send"; }
done
echo "after the crash and the retry: $((dossiers - wrong)) of $dossiers dossiers have exactly one conversation"
(( wrong == 0 ))
