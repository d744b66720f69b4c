"""A small W3C WebDriver client for Debian's headless chromium + chromium-driver, with nothing but the standard
library: start a session, open pages, find, click and type, switch frames, run a script, take screenshots.

    with Browser(download_dir=None) as b:
        b.go(url); b.type("#who", "Ann"); b.click("#send"); b.wait_text("#status", "200")
"""
import base64
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, download_dir=None, width=1280, height=1000):
        self.download_dir = download_dir
        self.size = (width, height)
        self.driver = None
        self.session = None

    # --- the protocol ---
    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from None

    def s(self, path=""):
        return f"/session/{self.session}{path}"

    def __enter__(self):
        port = free_port()
        self.driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        profile = tempfile.mkdtemp()
        for _ in range(100):
            try:
                self.call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        options = {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic", f"--user-data-dir={profile}",
                     f"--window-size={self.size[0]},{self.size[1]}"],
        }
        if self.download_dir:
            options["prefs"] = {"download.default_directory": self.download_dir,
                                "download.prompt_for_download": False}
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]
        if self.download_dir:
            try:
                self.call("POST", self.s("/chromium/send_command"),
                          {"cmd": "Page.setDownloadBehavior",
                           "params": {"behavior": "allow", "downloadPath": self.download_dir}})
            except Exception:
                pass
        return self

    def __exit__(self, *exc):
        try:
            if self.session:
                self.call("DELETE", self.s())
        except Exception:
            pass
        self.driver.kill()
        self.driver.wait()

    # --- what a test does ---
    def go(self, url):
        self.call("POST", self.s("/url"), {"url": url})

    def url(self):
        return self.call("GET", self.s("/url"))

    def find(self, css, timeout=10):
        deadline = time.time() + timeout
        while True:
            try:
                return self.call("POST", self.s("/element"), {"using": "css selector", "value": css})[ELEMENT]
            except RuntimeError:
                if time.time() > deadline:
                    raise RuntimeError(f"no element {css!r} on {self.url()}") from None
                time.sleep(0.1)

    def click(self, css):
        self.call("POST", self.s(f"/element/{self.find(css)}/click"), {})

    def type(self, css, text, clear=True):
        e = self.find(css)
        if clear:
            self.call("POST", self.s(f"/element/{e}/clear"), {})
        self.call("POST", self.s(f"/element/{e}/value"), {"text": text})

    def select(self, css, value):
        self.click(f"{css} option[value='{value}']")

    def tag(self, css):
        return self.call("GET", self.s(f"/element/{self.find(css)}/name"))

    def text(self, css):
        return self.call("GET", self.s(f"/element/{self.find(css)}/text"))

    def execute(self, script, *args):
        return self.call("POST", self.s("/execute/sync"), {"script": script, "args": list(args)})

    def wait(self, what, check, timeout=15):
        deadline = time.time() + timeout
        while True:
            try:
                if check():
                    return
            except RuntimeError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"timed out waiting for {what} on {self.url()}")
            time.sleep(0.1)

    def wait_text(self, css, part, timeout=15):
        self.wait(f"{part!r} in {css}", lambda: part in self.text(css), timeout)

    def frame(self, css):
        self.call("POST", self.s("/frame"), {"id": {ELEMENT: self.find(css)}})

    def top(self):
        self.call("POST", self.s("/frame"), {"id": None})

    def resize(self, width, height):
        self.call("POST", self.s("/window/rect"), {"width": width, "height": height})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", self.s("/screenshot"))))
        return os.path.abspath(path)
