#!/usr/bin/env python3
"""Fills a form in headless Chromium (Debian's chromium + chromium-driver, through the W3C WebDriver protocol with
nothing but the standard library), uploads a file, submits, and waits for the download.

usage: form_download.py FORM_URL DOWNLOAD_DIR UPLOAD_FILE EXPECTED_FILENAME FIELD=VALUE...
Prints the downloaded file's path; exits non-zero on any failure.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}").get("value")


def main():
    form_url, download_dir, upload, expected = sys.argv[1:5]
    fields = dict(a.split("=", 1) for a in sys.argv[5:])
    port = free_port()
    driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    profile = tempfile.mkdtemp()
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": "/usr/bin/chromium",
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                 "--no-first-run", "--disable-quic", f"--user-data-dir={profile}"],
                        "prefs": {"download.default_directory": download_dir,
                                  "download.prompt_for_download": False},
                    },
                }
            }
        }
        session = call(base, "POST", "/session", caps)["sessionId"]
        s = f"/session/{session}"
        try:
            call(base, "POST", f"{s}/chromium/send_command",
                 {"cmd": "Page.setDownloadBehavior", "params": {"behavior": "allow", "downloadPath": download_dir}})
        except Exception:
            pass
        call(base, "POST", f"{s}/url", {"url": form_url})

        def element(css):
            return call(base, "POST", f"{s}/element", {"using": "css selector", "value": css})[ELEMENT]

        for name, value in fields.items():
            e = element(f"#{name}")
            if call(base, "GET", f"{s}/element/{e}/name") == "select":
                call(base, "POST", f"{s}/element/{element(f'#{name} option[value={value}]')}/click", {})
            else:
                call(base, "POST", f"{s}/element/{e}/clear", {})
                call(base, "POST", f"{s}/element/{e}/value", {"text": value})
        call(base, "POST", f"{s}/element/{element('input[type=file]')}/value", {"text": os.path.abspath(upload)})
        call(base, "POST", f"{s}/element/{element('#submit')}/click", {})
        target = os.path.join(download_dir, expected)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(target) and not any(f.endswith(".crdownload") for f in os.listdir(download_dir)):
                print(target)
                return 0
            time.sleep(0.2)
        print(f"no download of {expected}; directory has {os.listdir(download_dir)}", file=sys.stderr)
        return 1
    finally:
        try:
            call(base, "DELETE", f"/session/{session}")
        except Exception:
            pass
        driver.kill()
        driver.wait()


if __name__ == "__main__":
    sys.exit(main())
