# Sourced by the load scripts: the Release build, a demo firm in a fresh
# data directory, and the real parleyd on 127.0.0.1 (removed on exit).
#
#   bench_build TARGET...    builds the Release targets (parleyd, parley-demo and these)
#   bench_demo DOSSIERS      a fresh $data with a demo firm; exports STAFF and CLIENT
#   bench_start              starts parleyd on $data (THREADS=N); sets $pid, $port and $url
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_ROOT:-$root/build}/release
data= pid= extra_pids=
trap 'kill $pid $extra_pids 2>/dev/null || true; [[ -n $data ]] && rm -rf "$data"' EXIT

bench_build() {
  [[ -x $build/parleyd ]] || "$root/scripts/dev" deps
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_TESTS=OFF > /dev/null
  cmake --build "$build" -j "${JOBS:-2}" --target parleyd parley-demo "$@" > /dev/null
}

bench_demo() {
  data=$(mktemp -d)
  export PARLEY_JWT_SECRET=bench-secret-0123456789
  local tokens
  tokens=$("$build/parley-demo" --data "$data" --dossiers "$1")
  STAFF=$(grep -A1 "Staff token" <<< "$tokens" | tail -1)
  CLIENT=$(grep -A1 "Client token" <<< "$tokens" | tail -1)
  export STAFF CLIENT
}

bench_start() {
  env ${PARLEYD_PRELOAD:+LD_PRELOAD=$PARLEYD_PRELOAD} "$build/parleyd" --data "$data" --port 0 --threads "${THREADS:-2}" ${WRITE_THREADS:+--write-threads "$WRITE_THREADS"} ${PARLEYD_FLAGS:-} > "$data/parleyd.out" &
  pid=$!
  for _ in $(seq 300); do grep -q listening "$data/parleyd.out" 2>/dev/null && break; sleep 0.1; done
  port=$(grep -o '127.0.0.1:[0-9]*' "$data/parleyd.out" | cut -d: -f2)
  url="http://127.0.0.1:$port"
}
