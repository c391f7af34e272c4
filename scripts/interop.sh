#!/usr/bin/env bash
# Interop check: the spec's "Full Featured Example" with curl --http1.0 against a real
# stxd, then the downloaded Imager.FIT checked by fitsverify and astropy (its data must
# equal the .bin download of the same frame).
#
# Needs: a release build of stxd (cargo build --release --bin stxd), curl, fitsverify,
# python3 with astropy and numpy. Run from the repository root: scripts/interop.sh
set -euo pipefail

STXD=${STXD:-target/release/stxd}
PORT=${PORT:-18080}
API_PORT=${API_PORT:-18888}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# 100 simulated seconds per real second: the 10 s exposure takes 0.1 s.
"$STXD" --stx-listen "127.0.0.1:$PORT" --api-listen "127.0.0.1:$API_PORT" --alpaca-listen 127.0.0.1:0 --data-dir "$work/data" --time-scale 100 >"$work/stxd.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$PORT/api"
for _ in $(seq 100); do curl -s --http1.0 "$base/Description.cgi" >/dev/null && break; sleep 0.1; done

call() { curl -sS --http1.0 --fail-with-body "$base/$1"; }

echo "== Setting imager parameters."
call "ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=640&NumY=480"
echo "== Starting exposure."
call "ImagerStartExposure.cgi?Duration=10&FrameType=1"
echo "== Waiting for exposure to finish..."
state=2
for _ in $(seq 600); do
  state=$(call "ImagerState.cgi" | tr -d '\r\n')
  [ "$state" = 0 ] || [ "$state" = 5 ] && break
  sleep 0.05
done
[ "$state" = 0 ] || { echo "imager state $state: the exposure did not finish"; exit 1; }
echo "== Setting FITS parameters."
call "SetFITSSetting.cgi?ObjectName=M27%20O%27Brien&Observer=SBIG&Telescope=RC10"
echo "== Getting image FITS file."
call "Imager.FIT" >"$work/Imager.FIT"
call "ImagerData.bin" >"$work/ImagerData.bin"
# The raw HTTP/1.0 status line, as the spec shows it.
status=$(curl -sS --http1.0 -o /dev/null -w '%{http_version} %{http_code}' "$base/ImagerState.cgi")
[ "$status" = "1 200" ] || [ "$status" = "1.0 200" ] || { echo "unexpected status: $status"; exit 1; }

echo "== fitsverify"
fitsverify -q -e "$work/Imager.FIT"
echo "== astropy"
python3 - "$work/Imager.FIT" "$work/ImagerData.bin" <<'PY'
import sys
import numpy as np
from astropy.io import fits

fit_path, bin_path = sys.argv[1], sys.argv[2]
with fits.open(fit_path) as hdul:
    hdul.verify("exception")
    hdu = hdul[0]
    data = hdu.data
    header = hdu.header
raw = np.fromfile(bin_path, dtype="<u2").reshape(480, 640)
assert data.shape == (480, 640), data.shape
assert np.array_equal(data.astype(np.uint16), raw), "FITS data differ from the .bin download"
for key in ["OBJECT", "OBSERVER", "TELESCOP", "FOCALLEN", "APTDIA", "APTAREA", "DATE-OBS", "EXPTIME",
            "IMAGETYP", "CCD-TEMP", "XBINNING", "YBINNING", "XORGSUBF", "YORGSUBF", "XPIXSZ", "YPIXSZ",
            "EGAIN", "INSTRUME", "SBSTDVER", "SWCREATE"]:
    assert key in header, f"missing {key}"
assert header["OBJECT"] == "M27 O'Brien", header["OBJECT"]
assert header["IMAGETYP"] == "Light Frame"
assert header["DATE-OBS"] == "2008-01-01T00:00:00.000"
# What a real client does: edit the header and rewrite with strict verification.
with fits.open(fit_path) as hdul:
    hdul[0].header["OBJECT"] = "edited"
    hdul.writeto(fit_path + ".rewritten.fits", output_verify="exception")
print(f"astropy: {data.shape[1]}x{data.shape[0]} frame, data equal to the .bin download, header verified")
PY
echo "interop: OK"
