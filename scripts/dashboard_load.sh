#!/usr/bin/env bash
# The dashboard with a long history (issue 14's load check): fills a history with
# 100 000 records 20 s apart up to now (or reuses a filled directory; see
# scripts/history_load.sh), starts the release stxd on it, and measures in headless
# chromium, for tonight and for the previous full night: time to the first chart,
# records and bytes fetched, the JS heap, and thumbnails fetched by the frames view.
#
#   scripts/dashboard_load.sh [DIR] [SCREENSHOT_DIR]
#
# Needs: cargo, chromium and chromium-driver (apt), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-/tmp/stxd-history-load}"
shots="${2:-}"
cargo build --release -p stxd --bin stxd --example history_api_load
target="${CARGO_TARGET_DIR:-target}"
"$target/release/examples/history_api_load" --dir "$dir" --fill-only

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
api_port=$(free_port)
"$target/release/stxd" --stx-listen "127.0.0.1:$port" --api-listen "127.0.0.1:$api_port" --alpaca-listen 127.0.0.1:0 --data-dir "$dir" \
  >/tmp/stxd-dashboard-load.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$api_port/v2/api/version" >/dev/null && break; sleep 0.1; done
python3 scripts/dashboard/load_check.py "http://127.0.0.1:$api_port" $shots
