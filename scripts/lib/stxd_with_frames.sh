# Sourced, not run: starts a release stxd on free ports with a fresh data directory and
# takes one frame of every type through the STX API and the capture endpoint, so that
# the v2 API has a history to show: LIGHT, DARK, FLAT, BIAS, SNAPSHOT, then a LIGHT
# (the newest).
#
# Before sourcing: `set -euo pipefail`, and STXD (the binary) if already built.
# After: what lib/start_stxd.sh sets, and the helpers `call` (one STX call) and `images` (records held).

# 1000 simulated seconds per real second: exposures and readouts take milliseconds, and
# long captures asked for by a client end within the run.
TIME_SCALE=1000
. "$(dirname "${BASH_SOURCE[0]}")/start_stxd.sh"

call() { curl -sS --http1.0 --fail-with-body "$stx/$1"; }
images() { curl -sS "$api/image-history?count=true" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Response"])'; }

# Waits until the history holds $1 records (the pipeline records a frame after its
# readout; waiting keeps the frames in order).
await_records() {
  for _ in $(seq 200); do [ "$(images)" -ge "$1" ] && return; sleep 0.05; done
  echo "the history holds $(images) images, expected $1"; tail -n 30 "$work/stxd.log"; exit 1
}

# One imager frame of STX FrameType $1 (0 dark, 1 light, 2 bias, 3 flat), of $2
# seconds (default 1), $3 pixels square (default 256).
take_frame() {
  local size=${3:-256}
  call "ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=$size&NumY=$size" >/dev/null
  call "ImagerStartExposure.cgi?Duration=${2:-1}&FrameType=$1" >/dev/null
  local state=2
  for _ in $(seq 200); do
    state=$(call "ImagerState.cgi" | tr -d '\r\n')
    [ "$state" = 0 ] && break
    sleep 0.05
  done
  [ "$state" = 0 ] || { echo "imager state $state: frame type $1 did not finish"; exit 1; }
}

echo "== taking frames: LIGHT, DARK, FLAT, BIAS, a SNAPSHOT, then a LIGHT"
n=0
for frame_type in 1 0 3 2; do
  take_frame "$frame_type"
  n=$((n + 1))
  await_records "$n"
done
curl -sS --fail-with-body "$api/equipment/camera/capture?duration=1" >/dev/null
await_records 5
take_frame 1
await_records 6
