"""The night dashboard in a real browser (Debian's headless chromium through
chromedriver) against a running stxd whose history holds light frames through three
filters (L, R, Ha) and frames of every type: the DOM after the scripts ran, a frame
taken through the STX API appearing without a reload, a click on a chart point landing
on that frame, and screenshots of every view at desktop and phone widths, decoded and
checked for content and for each filter's colour.

    python3 browser_check.py STX_URL API_URL SCREENSHOT_DIR
"""

import io
import os
import sys
import time
import urllib.request

from PIL import Image

from page_checks import PHONE, check, not_blank, phone_screenshot
from webdriver import Browser

# The dashboard's colours of the three filters (app.js FILTER_COLOURS).
FILTER_COLOURS = {"L": (0xD0, 0xD0, 0xD0), "R": (0xFF, 0x5C, 0x5C), "Ha": (0xFF, 0x2D, 0x95)}
DESKTOP = (1400, 1000)


def stx(base, call):
    with urllib.request.urlopen(f"{base}/{call}", timeout=30) as r:
        return r.read().decode()


def take_frame(base, frame_type):
    stx(base, f"ImagerStartExposure.cgi?Duration=60&FrameType={frame_type}")
    for _ in range(400):
        if stx(base, "ImagerState.cgi").strip() == "0":
            return
        time.sleep(0.05)
    raise AssertionError("the frame did not finish")


def colour_present(png, rgb, region=None, tolerance=12):
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if region:
        image = image.crop(region)
    for count, colour in image.getcolors(maxcolors=1 << 20) or []:
        if all(abs(a - b) <= tolerance for a, b in zip(colour, rgb)):
            return True
    return False


def main(stx_url, api_url, shots):
    os.makedirs(shots, exist_ok=True)
    browser = Browser(*DESKTOP)
    try:
        browser.get(api_url + "/")
        browser.wait_for("return document.body.dataset.ready === 'true'", 20, "the dashboard to load")
        dom = browser.run("""
            const text = (id) => document.getElementById(id).textContent;
            const charts = [...document.querySelectorAll('#charts canvas')].map(
                (c) => ({id: c.parentElement.id, series: c.dataset.series, points: Number(c.dataset.points)}));
            return {
                camera: text('camera-state'), temperature: text('ccd-temperature'), frames: text('frames-tonight'),
                hfr: text('last-hfr'), stars: text('last-stars'), age: text('frame-age'), live: text('live'),
                legend: [...document.querySelectorAll('.legend-item')].map((e) => e.dataset.filter),
                charts, records: stxdDashboard.state.records.length,
            };""")
        print(dom)
        check(dom["live"] == "live", "the socket is connected")
        check(dom["camera"] not in ("…", "not answering"), f"the camera tile shows its state ({dom['camera']})")
        check(dom["temperature"].endswith("°C"), "the CCD tile shows a temperature")
        check(int(dom["frames"]) == dom["records"] and dom["records"] >= 12, f"frames tonight: {dom['frames']}")
        check(dom["hfr"] != "—" and dom["stars"] != "—", "the last light frame's HFR and stars")
        # The first frames were taken with no filter in the beam.
        check(dom["legend"] == ["none", "Ha", "L", "R"], f"one legend entry per filter: {dom['legend']}")
        hfr = next(c for c in dom["charts"] if c["id"] == "chart-hfr")
        check(hfr["series"] == "Ha,L,R,none", f"the HFR chart has a series per filter: {hfr['series']}")
        check(len(dom["charts"]) == 4 and all(c["points"] > 0 for c in dom["charts"]), "four charts with points")

        png = browser.screenshot(os.path.join(shots, "trends.png"))
        check(not_blank(png), "the trends screenshot is not blank")
        box = browser.run("const r = document.getElementById('charts').getBoundingClientRect();"
                          "return [r.left, r.top, r.right, r.bottom];")
        for name, rgb in FILTER_COLOURS.items():
            check(colour_present(png, rgb, tuple(int(v) for v in box)), f"pixels of filter {name}'s colour on the charts")

        # Live: a frame taken through the STX API appears without a reload, on every
        # chart and in the table.
        points = "return [...document.querySelectorAll('#charts canvas')].map((c) => Number(c.dataset.points))"
        before = browser.run("return stxdDashboard.state.records.length")
        points_before = browser.run(points)
        take_frame(stx_url, 1)
        browser.wait_for(f"return stxdDashboard.state.records.length > {before}", 10, "the new frame on the page")
        newest = browser.run("const r = stxdDashboard.state.records; return r[r.length - 1].index")
        check(browser.run(points) == [n + 1 for n in points_before], f"the new frame #{newest} is on every chart, no reload")
        browser.run("location.hash = '#frames'")
        first_row = browser.wait_for("return document.querySelector('#frames-table tbody tr')?.dataset.index", 5, "the table")
        check(int(first_row) == newest, f"the new frame #{newest} heads the table")
        browser.run("location.hash = '#trends'")
        browser.wait_for("return !document.getElementById('view-trends').hidden", 5, "the trends view")

        # Click its point: the frame detail of that frame.
        at = browser.run(f"return stxdDashboard.pointOf('hfr', {newest})")
        check(at is not None, "the new frame has a point on the HFR chart")
        browser.click_at(at["x"], at["y"])
        browser.wait_for(f"return location.hash === '#frame/{newest}'", 5, "the click to open the frame")
        browser.wait_for("const i = document.getElementById('frame-preview'); return i.complete && i.naturalWidth > 0",
                         10, "the preview")
        title = browser.run("return document.getElementById('frame-title').textContent")
        check(title.startswith(f"#{newest} "), f"landed on frame #{newest}: {title}")
        png = browser.screenshot(os.path.join(shots, "frame.png"))
        check(not_blank(png), "the frame detail screenshot is not blank")

        browser.get(api_url + "/#frames")
        browser.wait_for("return document.body.dataset.ready === 'true'", 20, "the frames view")
        rows = browser.run("return document.querySelectorAll('#frames-table tbody tr').length")
        lights = browser.run("return stxdDashboard.state.records.filter((r) => ['LIGHT','SNAPSHOT'].includes(r.ImageType)).length")
        check(rows == min(lights, 50), f"a row per light frame on the first page ({rows})")
        csv = browser.run("return stxdDashboard.csv()")
        check(csv.count("\n") == lights + 1, "the CSV holds what is shown, with a header")
        browser.run("document.getElementById('type-DARK').click()")
        check(browser.run("return document.querySelectorAll('#frames-table tbody tr').length") > rows,
              "darks toggled on join the table")
        browser.screenshot(os.path.join(shots, "frames.png"))
        browser.get(api_url + "/#integration")
        browser.wait_for("return document.querySelectorAll('#integration-table tbody tr').length > 0", 20, "integration rows")
        browser.screenshot(os.path.join(shots, "integration.png"))

        browser.resize(*PHONE)
        for view in ["trends", "frames"]:
            browser.get(api_url + "/#" + view)
            browser.wait_for("return document.body.dataset.ready === 'true'", 20, view)
            phone_screenshot(browser, os.path.join(shots, f"phone-{view}.png"), f"the {view} page")
        errors = browser.console_errors()
        check(not errors, f"no script errors in the console {errors}")
    finally:
        browser.close()
    print("dashboard in chromium: OK")


if __name__ == "__main__":
    main(*sys.argv[1:4])
