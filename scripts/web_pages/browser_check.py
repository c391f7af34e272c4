"""The camera's own web pages in a real browser (Debian's headless chromium through
chromedriver) against a running stxd that holds a frame: each page loads with its
title and forms, a form submitted by a click is applied (read back through /api/),
bad input is shown, nothing is fetched from elsewhere, no console errors, and each
page fits a phone's width. Screenshots at desktop and phone sizes go to SHOTS.

    python3 browser_check.py STX_BASE_URL SCREENSHOT_DIR
"""

import os
import sys
import urllib.request


sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "dashboard"))
from page_checks import PHONE, check, not_blank, phone_screenshot  # noqa: E402
from webdriver import Browser  # noqa: E402

DESKTOP = (1280, 900)
# Page, its title, the forms it must have.
PAGES = [
    ("/index.html", "Status", []),
    ("/setup.html", "Setup", ["CameraSetup"]),
    ("/exposure.html", "Exposure", ["Exposure"]),
    ("/filtersetup.html", "Filters", ["FilterNames"]),
    ("/network.html", "Network", ["EthernetParams"]),
]


def api(base, call):
    with urllib.request.urlopen(f"{base}/api/{call}", timeout=30) as r:
        return r.read().decode()


def load(browser, url):
    browser.get(url)
    browser.wait_for("return document.readyState === 'complete'", 20, url)


def page_facts(browser):
    return browser.run("""
        return {
            title: document.title,
            forms: [...document.forms].map((f) => f.getAttribute('name')),
            external: [...document.querySelectorAll('[src],[href]')]
                .map((e) => e.getAttribute('src') || e.getAttribute('href'))
                .filter((u) => (/^[a-z]+:/i.test(u) && !u.startsWith("data:")) || u.startsWith("//")),
            images: [...document.images].map((i) => i.complete && i.naturalWidth > 0),
        };""")


def main(base, shots):
    os.makedirs(shots, exist_ok=True)
    browser = Browser(*DESKTOP)
    try:
        for path, title, forms in PAGES:
            load(browser, base + path)
            facts = page_facts(browser)
            check(facts["title"].startswith(title + " · "), f"{path}: title {facts['title']!r}")
            check(facts["forms"] == forms, f"{path}: forms {facts['forms']}")
            check(not facts["external"], f"{path}: nothing fetched from elsewhere {facts['external']}")
            check(all(facts["images"]), f"{path}: every image loaded")
            name = path.strip("/").split(".")[0]
            check(not_blank(browser.screenshot(os.path.join(shots, f"{name}.png"))), f"{path}: screenshot")
        check(page_facts(browser)["forms"] == ["EthernetParams"], "the network page")

        # The status page shows the last frame's preview.
        load(browser, base + "/")
        check(browser.run("return document.querySelector('img.preview')?.naturalWidth || 0") > 0,
              "the status page shows Preview.jpg")

        # A form submitted by a click, as a person does: applied, and the API sees it.
        load(browser, base + "/setup.html")
        browser.run("document.querySelector('input[name=Bin][value=\"2\"]').click();"
                    "document.querySelector('input[name=CCDTemperatureSetpoint]').value = '-15';"
                    "document.querySelector('input[name=CoolerState][value=\"1\"]').click();"
                    "document.forms.CameraSetup.querySelector('input[type=submit]').click();")
        browser.wait_for("return !!document.querySelector('.notice.done')", 10, "the setup to apply")
        check(api(base, "ImagerGetSettings.cgi?BinX&CoolerState&CCDTemperatureSetpoint").split() == ["2", "1", "-15.00"],
              "a click on Apply sets binning and cooler through the same state as the API")
        browser.screenshot(os.path.join(shots, "setup-applied.png"))

        load(browser, base + "/setup.html?Bin=7&CCDTemperatureSetpoint=cold")
        check(browser.run("return document.querySelectorAll('.notice.refused li').length") == 2,
              "bad input: both reasons shown")
        browser.screenshot(os.path.join(shots, "setup-refused.png"))

        # An exposure started from the page: the Abort button while it runs (a long
        # exposure: at 1000x an hour is 3.6 s).
        load(browser, base + "/exposure.html")
        browser.run("document.querySelector('input[name=ExposureTime]').value = '3600';"
                    "document.forms.Exposure.querySelector('input[type=submit]').click();")
        browser.wait_for("return !!document.querySelector('a.button.stop')", 10, "the exposure to start")
        check(api(base, "CurrentCCDState.cgi").strip() == "2", "the API sees the exposure")
        browser.screenshot(os.path.join(shots, "exposure-running.png"))
        browser.run("document.querySelector('a.button.stop').click()")
        browser.wait_for("return document.body.textContent.includes('Exposure aborted.')", 10, "the abort")
        check(api(base, "CurrentCCDState.cgi").strip() == "0", "Abort stopped it")

        # The wheel moving, from the page's select.
        load(browser, base + "/filtersetup.html")
        browser.run("document.querySelector('select[name=Filter]').value = '5';"
                    "document.forms.FilterNames.querySelector('input[type=submit]').click();")
        browser.wait_for("return document.querySelector('select[name=Filter]')?.value === '5'", 10, "the move")
        browser.screenshot(os.path.join(shots, "filtersetup-moving.png"))

        browser.resize(*PHONE)
        for path, _, _ in PAGES:
            load(browser, base + path)
            name = path.strip("/").split(".")[0]
            phone_screenshot(browser, os.path.join(shots, f"phone-{name}.png"), path)
        errors = browser.console_errors()
        check(not errors, f"no errors in the console {errors}")
    finally:
        browser.close()
    print("web pages in chromium: OK")


if __name__ == "__main__":
    main(*sys.argv[1:3])
