#!/usr/bin/env python3
"""Conversion bombs against the default application's `contact-submit` (its hash is public in static/contact.html):
an 8 MB JSON body of 4 Mi zeros, three of them at once, XML bodies with 40,000 (0.4 MB) and 250,000 (3 MB)
attributes on one element, and the largest JSON and XML bodies the default limits let through. Prints, per case,
the status, the seconds until the answer and the server's RSS before, at its peak (sampled every 5 ms, and VmHWM)
and 2 s after. Standard library only.

Usage: body_bombs.py BINARY REPO_ROOT [SERVER_FLAG ...]   (knobs: BOMBS_PORT, BOMBS_TIMEOUT seconds, BOMBS_CASES)
Example: bench/body_bombs.py target/release/endpoints . --max-body-nodes 10000000
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

PORT = int(os.environ.get("BOMBS_PORT", "18097"))
TIMEOUT = float(os.environ.get("BOMBS_TIMEOUT", "60"))
CASES = os.environ.get("BOMBS_CASES", "json8m,json8m-x3,attrs40k,attrs3m,json-within,attrs-within").split(",")


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def post(path, content_type, body, timeout):
    """One HTTP/1.1 POST on a new connection; (status, seconds, first line of the body) or ('timeout', …)."""
    started = time.monotonic()
    s = socket.create_connection(("127.0.0.1", PORT))
    s.settimeout(timeout)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    data = b""
    try:
        s.sendall(head + body)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "timeout", time.monotonic() - started, ""
    except OSError as e:
        if not data:
            return f"error {e}", time.monotonic() - started, ""
    finally:
        s.close()
    elapsed = time.monotonic() - started
    text = data.decode("utf-8", "replace")
    status = text.split(" ", 2)[1] if text.startswith("HTTP/1.1 ") else "?"
    body_text = text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""
    return status, elapsed, body_text.strip().splitlines()[0][:120] if body_text.strip() else ""


def measure(pid, name, requests):
    """Runs `requests` (callables) at once while sampling RSS; prints one line."""
    before = status_kib(pid, "VmRSS")
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], status_kib(pid, "VmRSS"))
            except OSError:
                return
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    results = [None] * len(requests)

    def run(i, r):
        results[i] = r()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(2)
    done.set()
    sampler.join()
    after = status_kib(pid, "VmRSS")
    hwm = status_kib(pid, "VmHWM")
    for status, seconds, first in results:
        print(f"{name:12} status {status:8} {seconds:7.2f} s  {first}")
    print(f"{name:12} RSS before {before / 1024:7.1f} MB  peak {peak[0] / 1024:7.1f} MB (growth "
          f"{(peak[0] - before) / 1024:7.1f} MB, VmHWM {hwm / 1024:7.1f} MB)  after {after / 1024:7.1f} MB", flush=True)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    binary, root, flags = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3:]
    html = open(os.path.join(root, "static", "contact.html")).read()
    form_hash = re.search(r'name="hash" value="([0-9a-f]+)"', html).group(1)
    path = f"/contact-submit?hash={form_hash}"
    data = tempfile.mkdtemp(prefix="bombs-")
    server = subprocess.Popen(
        [binary, "serve", root, "--listen", f"127.0.0.1:{PORT}", "--data-dir", data, "--no-watch",
         "--request-log", "off", "--shutdown-timeout", "5", *flags],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", PORT)).close()
                break
            except OSError:
                time.sleep(0.05)
        json8m = b'{"a":[' + b",".join([b"0"] * (4 * 1024 * 1024)) + b"]}"

        def attrs(n):
            return ("<r " + " ".join(f'a{i}="{i % 10}"' for i in range(n)) + "/>").encode()

        print(f"server {binary} {' '.join(flags)}")
        for case in CASES:
            if case == "json8m":
                measure(server.pid, "json 8 MB", [lambda: post(path, "application/json", json8m, TIMEOUT)])
            elif case == "attrs40k":
                body = attrs(40_000)
                measure(server.pid, f"xml {len(body) // 1024} KB", [lambda: post(path, "application/xml", body, TIMEOUT)])
            elif case == "attrs3m":
                body = attrs(250_000)
                measure(server.pid, f"xml {len(body) / 1e6:.1f} MB", [lambda: post(path, "application/xml", body, TIMEOUT)])
            elif case == "json-within":
                # Just within the default node limit (an object, a key, an array and 249,000 numbers).
                body = b'{"a":[' + b",".join([b"0"] * 249_000) + b"]}"
                measure(server.pid, "json within", [lambda: post(path, "application/json", body, TIMEOUT)])
            elif case == "attrs-within":
                # 900 elements of 256 attributes each (2.8 MB, 231,301 nodes): the most duplicate-attribute
                # checking the default limits allow.
                one = "<e " + " ".join(f'a{i}="{i % 10}"' for i in range(256)) + "/>"
                body = ("<r>" + one * 900 + "</r>").encode()
                measure(server.pid, "xml within", [lambda: post(path, "application/xml", body, TIMEOUT)])
            elif case == "json8m-x3":
                measure(server.pid, "json 8 MB x3", [lambda: post(path, "application/json", json8m, TIMEOUT)] * 3)
            if server.poll() is not None:
                print("the server died")
                break
        started = time.monotonic()
        server.terminate()
        try:
            server.wait(timeout=120)
            print(f"stopped {time.monotonic() - started:.1f} s after SIGTERM")
        except subprocess.TimeoutExpired:
            print("still running 120 s after SIGTERM")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
