#!/usr/bin/env bash
# A real Alpaca client against stxd: alpyca, the ASCOM Initiative's own Python client,
# drives Camera 0, Camera 1 and the filter wheel of a release stxd end to end (connect,
# cooler and setpoint, bin 2 with a subframe, light and dark exposures downloaded as
# ImageBytes and compared pixel for pixel with the STX API's .bin of the same frame,
# pulse guides in four directions, a wheel move read as -1 then the slot); then, in a
# network namespace with loopback alone, alpyca's discovery finds it. Exits non-zero
# on any failure.
#
# Needs: cargo, curl, unshare (util-linux, unprivileged user namespaces), ip
# (iproute2), python3 with the pinned client (python3 -m pip install -r
# scripts/alpaca/requirements.txt). Run from anywhere: scripts/alpaca_alpyca.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# 20 simulated seconds per real second: exposures end within the run, and the wheel's
# move (seconds of simulated travel) and the pulses last long enough to be seen.
TIME_SCALE=20
. scripts/lib/start_stxd.sh

echo "== alpyca $(python3 -c 'import importlib.metadata as m; print(m.version("alpyca"))') against 127.0.0.1:$ALPACA_PORT"
if ! python3 scripts/alpaca/check.py "127.0.0.1:$ALPACA_PORT" "$stx" "$api"; then
  echo "== stxd log (tail)"
  tail -n 50 "$work/stxd.log"
  exit 1
fi

echo "== alpyca discovery, inside a network namespace with loopback alone (unshare -rn)"
STXD=$(realpath "$STXD") unshare -rn scripts/alpaca/discovery_in_namespace.sh
