"""A small WebDriver client for Debian's chromium and chromedriver: only the standard
library, nothing downloaded. Starts chromedriver, opens one headless session, and
offers what the dashboard checks need: navigate, run a script, click at a point,
resize, screenshot."""

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Chromium's background connections are refused on a closed network; these keep it
# quiet and fast. TZ is set by the caller for deterministic axis labels.
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, width=1400, height=1000):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="stxd-chromium-")
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.time() > deadline:
                    raise RuntimeError("chromedriver did not start")
                time.sleep(0.1)
        options = {"binary": CHROMIUM, "args": ARGS + [f"--user-data-dir={self.profile}", f"--window-size={width},{height}"]}
        session = self._call("POST", "/session", {
            "capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options,
                                             "goog:loggingPrefs": {"browser": "ALL"}}}})
        self.session = "/session/" + session["sessionId"]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.read().decode()[:500]}") from None

    def get(self, url):
        self._call("POST", self.session + "/url", {"url": url})

    def run(self, script, *args):
        """Runs `script` (a function body; `arguments` are `args`) in the page."""
        return self._call("POST", self.session + "/execute/sync", {"script": script, "args": list(args)})

    def wait_for(self, script, timeout=10.0, what="condition"):
        deadline = time.time() + timeout
        while True:
            value = self.run(script)
            if value:
                return value
            if time.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def click_at(self, x, y):
        """A real pointer click at page coordinates (through the browser's input)."""
        actions = {"actions": [{"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [
            {"type": "pointerMove", "duration": 0, "origin": "viewport", "x": int(round(x)), "y": int(round(y))},
            {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]}
        self._call("POST", self.session + "/actions", actions)

    def resize(self, width, height):
        self._call("POST", self.session + "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", self.session + "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return png

    def console_errors(self):
        try:
            logs = self._call("POST", self.session + "/se/log", {"type": "browser"})
        except RuntimeError:
            return []
        return [entry["message"] for entry in logs if entry.get("level") == "SEVERE"]

    def close(self):
        try:
            self._call("DELETE", self.session)
        finally:
            self.driver.terminate()
            self.driver.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
