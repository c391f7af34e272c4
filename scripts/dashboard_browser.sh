#!/usr/bin/env bash
# The night dashboard in a real browser: a release stxd with frames of every type
# (lib/stxd_with_frames.sh) and light frames through three filters, then Debian's
# headless chromium, driven through chromedriver, checks the page
# (scripts/dashboard/browser_check.py) and writes screenshots of each view, at desktop
# and phone widths, to SHOTS (default: a temp dir; docs/dashboard to refresh the
# README's pictures). Exits non-zero on any failure.
#
# Needs: cargo, curl, chromium and chromium-driver (apt), python3 with Pillow.
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=${TZ:-UTC}
. scripts/lib/stxd_with_frames.sh
shots=${SHOTS:-$work/shots}

echo "== light frames through L, R and Ha"
call "SetFilterName.cgi?Filter1Name=L&Filter2Name=R&Filter3Name=Ha" >/dev/null
n=$(images)
for slot in 1 2 3; do
  call "ChangeFilter.cgi?NewPosition=$slot" >/dev/null
  for _ in 1 2 3 4; do
    take_frame 1 60 1024
    n=$((n + 1))
    await_records "$n"
  done
done

echo "== chromium $(chromium --version 2>/dev/null | awk '{print $2}') against http://127.0.0.1:$API_PORT/"
if ! python3 scripts/dashboard/browser_check.py "$stx" "http://127.0.0.1:$API_PORT" "$shots"; then
  echo "== stxd log (tail)"
  tail -n 30 "$work/stxd.log"
  exit 1
fi
echo "screenshots in $shots"
