#!/usr/bin/env python3
"""Fills a form in headless Chromium, uploads a file, submits, and waits for the download.

usage: form_download.py FORM_URL DOWNLOAD_DIR UPLOAD_FILE EXPECTED_FILENAME FIELD=VALUE...
Prints the downloaded file's path; exits non-zero on any failure.
"""
import os
import sys
import time

from webdriver import Browser


def main():
    form_url, download_dir, upload, expected = sys.argv[1:5]
    fields = dict(a.split("=", 1) for a in sys.argv[5:])
    with Browser(download_dir=download_dir) as b:
        b.go(form_url)
        for name, value in fields.items():
            if b.tag(f"#{name}") == "select":
                b.select(f"#{name}", value)
            else:
                b.type(f"#{name}", value)
        b.type("input[type=file]", os.path.abspath(upload), clear=False)
        b.click("#submit")
        target = os.path.join(download_dir, expected)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(target) and not any(f.endswith(".crdownload") for f in os.listdir(download_dir)):
                print(target)
                return 0
            time.sleep(0.2)
        print(f"no download of {expected}; directory has {os.listdir(download_dir)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
