#!/usr/bin/env bash
# Durable appends on a 3-node JetStream cluster next to RocksDB, in one run
# of parley-bench: starts the cluster on 127.0.0.1 (Debian 13's nats-server,
# scripts/fetch-nats-server), each node syncing every write, runs
# BM_Append and BM_JetStreamAppend (plus the raw RocksDB baseline and raw
# per-subject publishes, BM_RawJetStreamPublishPerSubject), then
# stops the nodes by PID.
#
#   bench/jetstream_append.sh [extra parley-bench flags]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_root=${BUILD_ROOT:-$root/build}
"$root/scripts/dev" deps
JOBS=${JOBS:-2} cmake -S "$root" -B "$build_root/release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPARLEY_TESTS=OFF -DPARLEY_BENCH=ON > /dev/null
cmake --build "$build_root/release" -j "${JOBS:-2}" --target parley-bench
nats_server=$("$root/scripts/fetch-nats-server" "$build_root/nats")

work=$(mktemp -d /tmp/parley-js-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

base=$((20000 + RANDOM % 20000))
hosts=() monitors=() routes=""
for i in 0 1 2; do
  hosts+=("127.0.0.1:$((base + i))")
  monitors+=("127.0.0.1:$((base + 100 + i))")
  routes+="    nats://127.0.0.1:$((base + 200 + i))"$'\n'
done
for i in 0 1 2; do
  cat > "$work/n$i.conf" <<EOF
server_name: n$i
listen: ${hosts[$i]}
http: ${monitors[$i]}
max_payload: 8MB
jetstream {
  store_dir: "$work/js$i"
  sync_interval: always
}
cluster {
  name: parley-bench
  listen: 127.0.0.1:$((base + 200 + i))
  routes: [
$routes  ]
}
EOF
  "$nats_server" -c "$work/n$i.conf" > "$work/n$i.log" 2>&1 &
  pids+=($!)
done
for m in "${monitors[@]}"; do
  for _ in $(seq 100); do curl -sf "http://$m/healthz" > /dev/null && break; sleep 0.1; done
done

url="nats://$(IFS=,; echo "${hosts[*]}")?monitor=$(IFS=,; echo "${monitors[*]}")&replicas=3"
PARLEY_BENCH_NATS=$url "$build_root/release/parley-bench" \
  --benchmark_filter='BM_Append|BM_JetStreamAppend|BM_JetStreamWriters|BM_RawJetStream|BM_RawRocksSyncBatch' "$@"
