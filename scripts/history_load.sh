#!/usr/bin/env bash
# Load check of the image-history API (issue 5): fills a history with 100 000 records
# (or reuses a filled directory), starts the release stxd on it and prints p50/p99/max
# of count=true, the default call, index=50000 and imageType=FLAT&all=true.
#
#   scripts/history_load.sh [DIR] [more history_api_load flags, e.g. --fill disk]
#
# DIR defaults to /tmp/stxd-history-load; a directory already holding the records is
# reused, so only the first run pays for the fill (about a minute through /dev/shm,
# about 17 minutes with --fill disk at 10 ms per record). Exits non-zero when a count
# or single-record call's p99 is 5 ms or more.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-/tmp/stxd-history-load}"
shift || true
cargo build --release -p stxd --bin stxd --example history_api_load
target="${CARGO_TARGET_DIR:-target}"
exec "$target/release/examples/history_api_load" --dir "$dir" --stxd "$target/release/stxd" "$@"
