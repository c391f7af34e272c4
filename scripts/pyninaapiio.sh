#!/usr/bin/env bash
# A real client of the image-history API against stxd: pyninaapiio, the client library
# of the Home Assistant integration for the N.I.N.A. Advanced API, which type-checks
# every field it reads. A release stxd holding LIGHT, DARK, FLAT, BIAS and SNAPSHOT
# frames with a LIGHT newest (lib/stxd_with_frames.sh), then pyninaapiio's nina_info()
# with the application, camera, filter wheel and image views: each must come back
# connected with every field parsed. Exits non-zero on any failure.
#
# Needs: cargo, curl, python3 with the pinned client (python3 -m pip install -r
# scripts/pyninaapiio/requirements.txt). Run from anywhere: scripts/pyninaapiio.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/stxd_with_frames.sh

echo "== pyninaapiio $(python3 -c 'import importlib.metadata as m; print(m.version("pyninaapiio"))') against $api"
if ! python3 scripts/pyninaapiio/check.py "$api"; then
  echo "== stxd log (tail)"
  tail -n 50 "$work/stxd.log"
  exit 1
fi
