"""The dashboard against a long history, in headless chromium: for tonight and for the
previous (full) night, the time from navigation to the night's charts drawn, the
records and bytes fetched, the browser's JS heap, and how many thumbnails the frames
view fetched. Optionally writes screenshots of each view.

    python3 load_check.py API_URL [SCREENSHOT_DIR]
"""

import datetime
import json
import os
import sys
import time
import urllib.request

from webdriver import ARGS, Browser

ARGS.append("--enable-precise-memory-info")

MEASURE = """
const first = performance.getEntriesByName('stxd-first-chart')[0];
const resources = performance.getEntriesByType('resource');
const history = resources.filter((e) => e.name.includes('/image-history'));
return {
  first_chart_ms: first ? first.startTime : null,
  records: stxdDashboard.state.records.length,
  history_bytes: history.reduce((s, e) => s + (e.encodedBodySize || 0), 0),
  heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
  thumbnails: resources.filter((e) => e.name.includes('/thumbnail/')).length,
};"""


def measure(browser, url, label, shots=None):
    browser.get(url)
    browser.wait_for("return document.body.dataset.ready === 'true'", 60, label)
    trends = browser.run(MEASURE)
    if shots:
        browser.screenshot(os.path.join(shots, "trends.png"))
    browser.run("location.hash = '#frames'")
    browser.wait_for("return document.querySelectorAll('#frames-table tbody tr').length > 0", 30, "the table")
    # Thumbnails load lazily, as their rows scroll into view: wait for the first row's.
    browser.wait_for("const i = document.querySelector('#frames-table img'); return i.complete && i.naturalWidth > 0",
                     30, "the first thumbnail")
    time.sleep(1)
    frames = browser.run(MEASURE)
    if shots:
        browser.screenshot(os.path.join(shots, "frames.png"))
        browser.run("location.hash = '#integration'")
        browser.wait_for("return document.querySelectorAll('#integration-table tbody tr').length > 0", 30, "integration")
        browser.screenshot(os.path.join(shots, "integration.png"))
        index = browser.run("const r = stxdDashboard.state.records.filter((r) => r.ImageType === 'LIGHT'); return r[r.length - 1].index")
        browser.run(f"location.hash = '#frame/{index}'")
        browser.wait_for("const i = document.getElementById('frame-preview'); return i.complete && i.naturalWidth > 0", 30,
                         "the preview")
        browser.screenshot(os.path.join(shots, "frame.png"))
    return {**trends, "thumbnails": frames["thumbnails"], "heap_mb_after_table": frames["heap_mb"]}


def main(api_url, shots=None):
    if shots:
        os.makedirs(shots, exist_ok=True)
    with urllib.request.urlopen(api_url + "/v2/api/image-history?count=true") as r:
        total = json.load(r)["Response"]
    rows = []
    previous = datetime.datetime.now() - datetime.timedelta(days=1)
    if datetime.datetime.now().hour < 12:
        previous -= datetime.timedelta(days=1)
    for label, url in [("tonight", api_url + "/"), ("previous night", api_url + "/?night=" + previous.strftime("%Y-%m-%d"))]:
        browser = Browser(1400, 1000)
        try:
            rows.append((label, measure(browser, url, label, shots if label == "previous night" else None)))
        finally:
            browser.close()
    print(f"history: {total} records in all")
    print(f"{'night':16} {'records':>8} {'JSON kB':>8} {'first chart':>12} {'JS heap':>9} {'after table':>11} {'thumbnails':>10}")
    for label, m in rows:
        print(f"{label:16} {m['records']:>8} {m['history_bytes'] / 1024:>8.0f} {m['first_chart_ms']:>9.0f} ms "
              f"{m['heap_mb']:>6.1f} MB {m['heap_mb_after_table']:>8.1f} MB {m['thumbnails']:>10}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
