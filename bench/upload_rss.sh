#!/usr/bin/env bash
# Memory while uploading and downloading a large file (issue bar: a 25 MiB
# upload raises parleyd's resident memory by less than 8 MiB). The Release
# parleyd on a fresh demo firm; curl uploads SIZE_MIB of random bytes and
# downloads them back; VmRSS and the peak VmHWM are read from /proc before
# and after each.
#
#   bench/upload_rss.sh [SIZE_MIB (25)] [ROUNDS (3)]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/demo_server.sh"
size=${1:-25}
rounds=${2:-3}
bench_build
bench_demo 4
bench_start
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
