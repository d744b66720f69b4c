#!/usr/bin/env python3
"""Walks through the console in headless Chromium as an application author would, and saves a screenshot of each
page: log in, open the endpoints, try an endpoint with a file upload and see the rendered answer, watch a new
request appear in the live log without reloading, open its entry, break endpoints.xml and see the error with its
line, fix it and see the new generation, then the health page, the hash calculator and the short-link creator,
and every page at a phone's width.

usage: console_walk.py CONSOLE_URL TOKEN SERVER_URL CAPTURE_HASH APP_DIR UPLOAD_FILE SHOTS_DIR
Exits non-zero (with the reason on stderr) when anything is not as expected.
"""
import os
import sys
import urllib.request

from webdriver import Browser


def main():
    console, token, server, capture_hash, app_dir, upload, shots = sys.argv[1:8]
    os.makedirs(shots, exist_ok=True)
    shot = lambda b, name: b.screenshot(os.path.join(shots, f"{name}.png"))
    with Browser(width=1280, height=1100) as b:
        # Log in with the token: the console redirects to its login form first.
        b.go(console + "/")
        b.find("#token")
        shot(b, "01-login")
        b.type("#token", token)
        b.click("button[type=submit]")
        b.wait_text("h1", "Applications")
        shot(b, "02-applications")
        b.click("a.button[href^='/endpoints']")
        b.wait_text("h1", "demo")
        shot(b, "03-endpoints")

        # Try the echo endpoint with a file.
        b.click("#endpoint-echo a.button[href^='/try']")
        b.wait_text("h1", "Try")
        b.type("#p-who", "Browser")
        b.type("input[name=file_field]", "attachment")
        b.type("input[type=file]", os.path.abspath(upload), clear=False)
        b.click("#send")
        b.wait_text("#status", "200 OK")
        request_id = b.text("#request-id")
        b.frame("iframe.rendered")
        b.wait_text("#greeting", "Hello, Browser!")
        uploads = b.text("li.upload")
        if uploads != os.path.basename(upload):
            raise RuntimeError(f"the frame shows the upload as {uploads!r}")
        b.top()
        # The page's live table shows this request once it is written, without a reload.
        b.execute("window.__notReloaded = true;")
        b.wait(f"row {request_id}", lambda: b.execute(
            "return document.querySelector('#log-rows tr[data-id=\"' + arguments[0] + '\"]') !== null;", request_id))
        if b.execute("return window.__notReloaded === true;") is not True:
            raise RuntimeError("the try-it page reloaded")
        b.execute("document.getElementById('result').scrollIntoView();")
        shot(b, "04-try-it")

        # The request log: a request sent elsewhere appears live.
        b.go(console + "/log")
        b.wait_text("#live-state", "Live")
        b.execute("window.__notReloaded = true;")
        with urllib.request.urlopen(f"{server}/demo/capture?order=B-2&hash={capture_hash}", timeout=30) as r:
            new_id = r.headers["x-request-id"]
        b.wait(f"row {new_id}", lambda: b.execute(
            "return document.querySelector('#log-rows tr[data-id=\"' + arguments[0] + '\"]') !== null;", new_id))
        if b.execute("return window.__notReloaded === true;") is not True:
            raise RuntimeError("the log page reloaded")
        shot(b, "05-log")
        b.click(f"#log-rows tr[data-id='{new_id}'] a")
        b.wait_text("h1", new_id)
        b.wait_text("main", "order-number")
        shot(b, "06-entry")

        # Break endpoints.xml, reload, see the error with its line; fix it and see the next generation.
        path = os.path.join(app_dir, "endpoints.xml")
        with open(path, encoding="utf-8") as f:
            good = f.read()
        broken = good.replace('<endpoint name="data">', '<endpoint name="data"><forward-to-endpoint-typo/>', 1)
        with open(path, "w", encoding="utf-8") as f:
            f.write(broken)
        line = broken[: broken.index("forward-to-endpoint-typo")].count("\n") + 1
        b.go(console + "/")
        b.click("form[action='/reload'] button")
        b.wait_text(".errors", "The last reload failed")
        if f"endpoints.xml:{line}:" not in b.text(".errors"):
            raise RuntimeError(f"no endpoints.xml:{line}: in {b.text('.errors')!r}")
        if "forward-to-endpoint-typo" not in b.text(".line.bad"):
            raise RuntimeError("the offending line is not shown")
        shot(b, "07-reload-error")
        with open(path, "w", encoding="utf-8") as f:
            f.write(good)
        b.click("form[action='/reload'] button")
        b.wait_text(".generation", "2")
        if b.execute("return document.querySelector('.errors') === null;") is not True:
            raise RuntimeError("the error is still shown after the fix")
        shot(b, "08-reloaded")

        # The other pages.
        b.go(console + "/health")
        b.wait_text("#store-state", "answers")
        shot(b, "09-health")
        b.go(console + "/hash?application=demo&environment=live&endpoint=echo")
        b.type("#values", "who=Browser")
        b.click("form[action='/hash'] button")
        b.find("#hash")
        shot(b, "10-hash")
        b.go(console + "/short-link")
        b.type("#endpoint", "data")
        b.type("#values", "who=Linked")
        b.click("form[action='/short-link'] button")
        link = b.text("#short-link")
        if "/shortlink/" not in link:
            raise RuntimeError(f"no short link: {link!r}")
        shot(b, "11-short-link")

        # On a phone's width nothing runs off the side of the page.
        b.resize(390, 844)
        for page in ["/", "/endpoints?application=demo&environment=live", "/log", "/health",
                     "/try?application=demo&environment=live&endpoint=echo"]:
            b.go(console + page)
            b.find("main")
            wide = b.execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
            if wide > 0:
                raise RuntimeError(f"{page} is {wide} px wider than a phone's screen")
        shot(b, "12-phone")
        print(link)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # the reason, for the test's failure message
        print(f"console walk failed: {e}", file=sys.stderr)
        sys.exit(1)
