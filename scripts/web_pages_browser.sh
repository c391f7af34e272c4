#!/usr/bin/env bash
# The camera's own web pages in a real browser: a release stxd holding frames
# (lib/stxd_with_frames.sh) and named filters, then Debian's headless chromium, driven
# through chromedriver, loads each page, submits forms by clicks and checks them
# (scripts/web_pages/browser_check.py), and writes screenshots at desktop and phone
# sizes to SHOTS (default: a temp dir; docs/web-pages to refresh the README's pictures).
# Exits non-zero on any failure.
#
# Needs: cargo, curl, chromium and chromium-driver (apt), python3 with Pillow.
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=${TZ:-UTC}
. scripts/lib/stxd_with_frames.sh
shots=${SHOTS:-$work/shots}

call "SetFilterName.cgi?Filter1Name=L&Filter2Name=R&Filter3Name=G&Filter4Name=B&Filter5Name=Ha&Filter6Name=OIII" >/dev/null
take_frame 1 60 1024

base="http://127.0.0.1:$PORT"
echo "== chromium $(chromium --version 2>/dev/null | awk '{print $2}') against $base/"
if ! python3 scripts/web_pages/browser_check.py "$base" "$shots"; then
  echo "== stxd log (tail)"
  tail -n 30 "$work/stxd.log"
  exit 1
fi
echo "screenshots in $shots"
