#!/usr/bin/env bash
# Memory while uploading and downloading a large file (issue bar: a 25 MiB
# upload raises parleyd's resident memory by less than 8 MiB). The Release
# parleyd on a fresh demo firm; curl uploads SIZE_MIB of random bytes and
# downloads them back; VmRSS and the peak VmHWM are read from /proc before
# and after each.
#
#   bench/upload_rss.sh [SIZE_MIB (25)] [ROUNDS (3)]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size=${1:-25}
rounds=${2:-3}
build=${BUILD_ROOT:-$root/build}/release
[[ -x $build/parleyd ]] || "$root/scripts/dev" deps
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_TESTS=OFF > /dev/null
cmake --build "$build" -j "${JOBS:-2}" --target parleyd parley-demo > /dev/null

data=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
export PARLEY_JWT_SECRET=bench-secret-0123456789
tokens=$("$build/parley-demo" --data "$data" --dossiers 4)
CLIENT=$(grep -A1 "Client token" <<< "$tokens" | tail -1)
"$build/parleyd" --data "$data" --port 0 > "$data/parleyd.out" &
pid=$!
for _ in $(seq 100); do grep -q listening "$data/parleyd.out" 2>/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$(grep -o '127.0.0.1:[0-9]*' "$data/parleyd.out" | cut -d: -f2)"
kib() { awk -v k="$1:" '$1 == k {print $2}' /proc/$pid/status; }
head -c $((size << 20)) /dev/urandom > "$data/file.bin"
curl -s -o /dev/null -H "Authorization: Bearer $CLIENT" "$url/v1/inbox"  # warm up
for round in $(seq "$rounds"); do
  # A fresh file each round: the same bytes would be kept once.
  head -c $((size << 20)) /dev/urandom > "$data/file.bin"
  before=$(kib VmRSS)
  id=$(curl -s -H "Authorization: Bearer $CLIENT" -H "X-Filename: scan.pdf" -H "Content-Type: application/pdf" \
    --data-binary @"$data/file.bin" "$url/v1/dossiers/d-1/attachments" | jq -r .id)
  after_up=$(kib VmRSS)
  curl -s -o "$data/back.bin" -H "Authorization: Bearer $CLIENT" "$url/v1/attachments/$id"
  after_down=$(kib VmRSS)
  cmp -s "$data/file.bin" "$data/back.bin" || { echo "FAIL: the download differs"; exit 1; }
  printf "round %d, %d MiB: RSS %d KiB; after upload %+d KiB; after download %+d KiB; peak so far %d KiB\n" \
    "$round" "$size" "$before" $((after_up - before)) $((after_down - before)) "$(kib VmHWM)"
done
