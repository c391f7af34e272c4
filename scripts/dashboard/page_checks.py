"""What every browser check of ours shares (the dashboard's and the camera's web
pages'): a named check that stops the run when it fails, a blank-screenshot test, and
the phone screenshot that must fit the phone's width."""

import io

from PIL import Image

# A phone's screen in CSS pixels (an iPhone 12 to 15).
PHONE = (390, 844)


def check(condition, what):
    print(("ok     " if condition else "FAILED ") + what)
    if not condition:
        raise AssertionError(what)


def not_blank(png):
    """Whether a screenshot shows something: a blank or failed page has few shades."""
    colours = Image.open(io.BytesIO(png)).convert("L").getcolors(maxcolors=1 << 16) or []
    return len(colours) > 20


def phone_screenshot(browser, path, what):
    """Saves the loaded page, at phone size, to `path`; checks it is not blank and
    fits the phone's width (no sideways scrolling)."""
    png = browser.screenshot(path)
    check(not_blank(png), f"{what}: the phone screenshot is not blank")
    width = browser.run("return document.documentElement.scrollWidth")
    check(width <= PHONE[0], f"{what} fits a phone's width ({width} px)")
