#!/usr/bin/env bash
# Thumbnail latency: takes one full 4096 × 4096 frame on the simulated STX-16803 with
# the release stxd, then times GET /v2/api/image/thumbnail/0 five times. The first
# request makes the thumbnail (read, decode, stretch, shrink, encode); the later ones
# are answered from the thumbnail cache. A full-size preview (resize=true, PNG) is
# timed too, for scale: it is made anew every time.
#
#   scripts/thumbnail_latency.sh        (needs curl; builds stxd in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin stxd
STXD="${CARGO_TARGET_DIR:-target}/release/stxd"
PORT=${PORT:-18180}
API_PORT=${API_PORT:-18181}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# 1000 simulated seconds per real second: the 1 s exposure and its readout are quick.
"$STXD" --stx-listen "127.0.0.1:$PORT" --api-listen "127.0.0.1:$API_PORT" --alpaca-listen 127.0.0.1:0 --data-dir "$work/data" \
  --time-scale 1000 >"$work/stxd.log" 2>&1 &
pid=$!
stx="http://127.0.0.1:$PORT/api"
v2="http://127.0.0.1:$API_PORT/v2/api"
for _ in $(seq 100); do curl -s --http1.0 "$stx/Description.cgi" >/dev/null && break; sleep 0.1; done

curl -sS --http1.0 --fail "$stx/ImagerStartExposure.cgi?Duration=1&FrameType=1" >/dev/null
count=0
for _ in $(seq 300); do
  count=$(curl -s "$v2/image-history?count=true" | sed -n 's/.*"Response":\([0-9]*\).*/\1/p')
  [ "${count:-0}" -ge 1 ] && break
  sleep 0.1
done
[ "${count:-0}" -ge 1 ] || { echo "the frame never reached the history"; exit 1; }

file=$(curl -s "$v2/image-history?index=0" | sed -n 's/.*"Filename":"\([^"]*\)".*/\1/p')
echo "frame: $file (4096 x 4096, 16-bit)"
for i in 1 2 3 4 5; do
  curl -sS --fail -o /dev/null -w "thumbnail request $i: %{time_total} s, %{size_download} bytes\n" \
    "$v2/image/thumbnail/0"
done
for i in 1 2; do
  curl -sS --fail -o /dev/null -w "preview (640 px PNG) request $i: %{time_total} s\n" \
    "$v2/image/0?stream=true&resize=true"
done
