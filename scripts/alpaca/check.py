"""alpyca against stxd's Alpaca face: every step prints what it checked; any failure
raises (non-zero exit).

Usage: check.py ALPACA_HOST:PORT STX_API_URL V2_API_URL
"""

import json
import sys
import time
import urllib.request
from array import array

from alpaca.camera import Camera, GuideDirections, ImageArrayElementTypes
from alpaca.filterwheel import FilterWheel

ALPACA, STX, API = sys.argv[1:4]
# Real seconds any wait may take (the run is at 20 simulated seconds per second).
PATIENCE_S = 30.0


def stx_call(call: str) -> bytes:
    with urllib.request.urlopen(f"{STX}/{call}") as reply:
        return reply.read()


def wait_for(what: str, condition) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {PATIENCE_S} s")
        time.sleep(0.01)


def expect(what: str, got, want) -> None:
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, expected {want!r}")
    print(f"ok  {what}: {got!r}")


def expose_and_compare(camera: Camera, ccd_prefix: str, seconds: float, light: bool) -> None:
    """One exposure, its ImageBytes download against the STX .bin of the same frame."""
    camera.StartExposure(seconds, light)
    wait_for("ImageReady", lambda: camera.ImageReady)
    image = camera.ImageArray  # image[x][y]
    info = camera.ImageArrayInfo
    expect("ImageBytes transmission (UInt16)", info.TransmissionElementType, ImageArrayElementTypes.UInt16.value)
    num_x, num_y = camera.NumX, camera.NumY
    expect("image dimensions (NumX, NumY)", (len(image), len(image[0])), (num_x, num_y))
    rows = array("H")
    rows.frombytes(stx_call(f"{ccd_prefix}Data.bin"))  # rows from the top
    expect("STX .bin length", len(rows), num_x * num_y)
    mismatches = sum(
        1 for x in range(num_x) for y in range(num_y) if image[x][y] != rows[y * num_x + x]
    )
    expect(f"pixels equal to {ccd_prefix}Data.bin, transposed ({'light' if light else 'dark'})", mismatches, 0)
    expect("LastExposureDuration", camera.LastExposureDuration, seconds)


def imager() -> None:
    camera = Camera(ALPACA, 0)
    camera.Connected = True
    expect("Camera 0 connected", camera.Connected, True)
    print(f"    {camera.Name}: {camera.Description}")
    camera.CoolerOn = True
    camera.SetCCDTemperature = -20.0
    expect("CoolerOn", camera.CoolerOn, True)
    expect("SetCCDTemperature", camera.SetCCDTemperature, -20.0)
    camera.BinX = 2
    camera.BinY = 2
    camera.StartX, camera.StartY, camera.NumX, camera.NumY = 100, 80, 240, 160
    records = history_count()
    for light in (True, False):
        expose_and_compare(camera, "Imager", 2.0, light)
    settings = stx_call("ImagerGetSettings.cgi?BinX&StartX&StartY&NumX&NumY").decode().split()
    expect("the STX's unbinned subframe", settings, ["2", "200", "160", "480", "320"])
    wait_for("both frames in the history", lambda: history_count() >= records + 2)
    expect("frames kept in the history", history_count() - records, 2)
    camera.Connected = False


def guider() -> None:
    camera = Camera(ALPACA, 1)
    camera.Connected = True
    expect("Camera 1 connected", camera.Connected, True)
    print(f"    {camera.Name}: {camera.Description}")
    camera.NumX, camera.NumY = 120, 100
    expose_and_compare(camera, "Guider", 1.0, True)
    relays = {
        GuideDirections.guideNorth: "YMinus",
        GuideDirections.guideSouth: "YPlus",
        GuideDirections.guideEast: "XPlus",
        GuideDirections.guideWest: "XMinus",
    }
    for direction, relay in relays.items():
        # 20 s simulated: a second of real time in which to see the relay closed.
        camera.PulseGuide(direction, 20_000)
        expect(f"IsPulseGuiding after {direction.name}", camera.IsPulseGuiding, True)
        left = stx_call("PulseGuideGetTimeRemaining.cgi?XPlus&XMinus&YPlus&YMinus").decode().split()
        closed = [name for name, t in zip(["XPlus", "XMinus", "YPlus", "YMinus"], left) if float(t) > 0]
        expect(f"relay closed for {direction.name}", closed, [relay])
        wait_for("the pulse to end", lambda: not camera.IsPulseGuiding)
    camera.Connected = False


def wheel() -> None:
    fw = FilterWheel(ALPACA, 0)
    fw.Connected = True
    expect("FilterWheel 0 connected", fw.Connected, True)
    expect("eight names", len(fw.Names), 8)
    expect("focus offsets", fw.FocusOffsets, [0] * 8)
    fw.Position = 5
    expect("Position while moving", fw.Position, -1)
    wait_for("the wheel to arrive", lambda: fw.Position != -1)
    expect("Position after the move", fw.Position, 5)
    fw.Connected = False


def history_count() -> int:
    with urllib.request.urlopen(f"{API}/image-history?count=true") as reply:
        return json.load(reply)["Response"]


imager()
guider()
wheel()
print("alpyca: all checks passed")
