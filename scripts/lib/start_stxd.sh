# Sourced, not run: starts a release stxd on free ports with a fresh data directory,
# at $TIME_SCALE simulated seconds per real second, and waits until it answers.
#
# Before sourcing: `set -euo pipefail`, TIME_SCALE, and STXD (the binary) if already
# built. After: $work (a temp dir removed on exit, stxd's log in $work/stxd.log), $pid,
# $stx (STX API base URL), $api (v2 API base URL), $ALPACA_PORT (the Alpaca face's
# port).

if [ -z "${STXD:-}" ]; then
  cargo build --release --bin stxd
  STXD=${CARGO_TARGET_DIR:-target}/release/stxd
fi

work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
API_PORT=$(free_port)
ALPACA_PORT=$(free_port)

"$STXD" --stx-listen "127.0.0.1:$PORT" --api-listen "127.0.0.1:$API_PORT" \
  --alpaca-listen "127.0.0.1:$ALPACA_PORT" --data-dir "$work/data" \
  --time-scale "$TIME_SCALE" >"$work/stxd.log" 2>&1 &
pid=$!
stx="http://127.0.0.1:$PORT/api"
api="http://127.0.0.1:$API_PORT/v2/api"
for _ in $(seq 100); do curl -sf "$api/version" >/dev/null && break; sleep 0.1; done
