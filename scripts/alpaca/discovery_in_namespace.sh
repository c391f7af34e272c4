#!/usr/bin/env bash
# Run by alpaca_alpyca.sh inside `unshare -rn` (a network namespace with loopback
# alone, so alpyca's discovery broadcasts reach no real network): starts stxd there
# with discovery on its default port, then alpyca's discovery must find its Alpaca
# port and alpyca's management client its four devices.
set -euo pipefail
cd "$(dirname "$0")/../.."
ip link set lo up
TIME_SCALE=20
. scripts/lib/start_stxd.sh
python3 - "$ALPACA_PORT" <<'PY'
import sys
from alpaca import discovery, management

want = f"127.0.0.1:{sys.argv[1]}"
found = discovery.search_ipv4(numquery=1, timeout=2)
print(f"alpyca discovery found: {found}")
if want not in found:
    raise SystemExit(f"discovery did not find {want}")
devices = [(d["DeviceType"], d["DeviceNumber"]) for d in management.configureddevices(want)]
print(f"configured devices: {devices}")
if devices != [("Camera", 0), ("Camera", 1), ("Camera", 2), ("FilterWheel", 0)]:
    raise SystemExit("unexpected devices")
PY
