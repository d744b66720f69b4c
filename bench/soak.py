#!/usr/bin/env python3
"""Soak test: the default application under a steady, moderate, mixed load while its configuration is reloaded
every few seconds. Reports errors (must be 0), RSS at start and end (growth <= 10 %), open file descriptors (must
not grow) and temporary upload files left behind (must be 0). Standard library only.

Usage: soak.py BINARY REPO_ROOT RESULT_FILE   (knobs: SOAK_SECONDS, SOAK_RATE, SOAK_RELOAD_EVERY, SOAK_PORT)
"""

import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
RATE = float(os.environ.get("SOAK_RATE", "100"))  # requests per second, all workers together
RELOAD_EVERY = float(os.environ.get("SOAK_RELOAD_EVERY", "3"))
PORT = int(os.environ.get("SOAK_PORT", "18090"))
WORKERS = 8
WARMUP = min(30, SECONDS // 5)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def hash_of(binary, app, endpoint, *assignments):
    out = subprocess.run([binary, "hash", app, endpoint, *assignments], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def multipart(fields, file_bytes):
    boundary = "soak" + "".join(random.choice("0123456789abcdef") for _ in range(16))
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="notes.txt"\r\n'
                  'Content-Type: text/plain\r\n\r\n').encode() + file_bytes + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


async def request(reader, writer, method, target, headers=(), body=b""):
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    for k, v in headers:
        head += f"{k}: {v}\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        if k.lower() == "content-length":
            length = int(v.strip())
        if k.lower() == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
    if chunked:
        data = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            data += await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        data = await reader.readexactly(length)
    return status, data


async def main():
    binary, root, result_file = sys.argv[1], sys.argv[2], sys.argv[3]
    work = tempfile.mkdtemp(prefix="endpoints-soak-")
    app = os.path.join(work, "app")
    for d in ("endpoints", "static", "ooxml-responses"):
        if os.path.isdir(os.path.join(root, d)):
            shutil.copytree(os.path.join(root, d), os.path.join(app, d))
    uploads = os.path.join(work, "uploads")
    os.mkdir(uploads)
    data = os.path.join(work, "data")
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen(
        [binary, "serve", app, "--name", "soak", "--listen", f"127.0.0.1:{PORT}", "--data-dir", data,
         "--upload-dir", uploads],
        stdout=log, stderr=log, env={**os.environ, "ENDPOINTS_LOG": "warn"})
    for _ in range(100):
        try:
            r, w = await asyncio.open_connection("127.0.0.1", PORT)
            w.close()
            break
        except OSError:
            await asyncio.sleep(0.1)
    else:
        print("server did not start; see", log.name)
        sys.exit(1)

    h_contact = hash_of(binary, app, "contact")
    h_submit = hash_of(binary, app, "contact-submit")
    h_price = hash_of(binary, app, "price-list", "year=2027")
    h_follow = hash_of(binary, app, "follow-up", "return-to=https://example.com/welcome")
    upload = bytes(random.getrandbits(8) for _ in range(64 * 1024))
    workloads = [
        ("static", "GET", f"/contact?hash={h_contact}", (), b"", 200),
        ("redirect", "GET", f"/follow-up?return-to=https%3A%2F%2Fexample.com%2Fwelcome&hash={h_follow}", (), b"", 302),
        ("transformation", "GET", f"/price-list?year=2027&hash={h_price}", (), b"", 200),
        ("upload", "POST", "/contact-submit", None, None, 200),
    ]
    counts = {w[0]: 0 for w in workloads}
    errors = []
    stop = time.monotonic() + SECONDS
    samples = {}

    async def worker(n):
        reader = writer = None
        interval = WORKERS / RATE
        next_at = time.monotonic() + random.random() * interval
        while time.monotonic() < stop:
            await asyncio.sleep(max(0, next_at - time.monotonic()))
            next_at += interval
            name, method, target, headers, body, expected = random.choice(workloads)
            if name == "upload":
                ctype, body = multipart([("name", "Ann"), ("email", "ann@example.com"), ("language", "de"),
                                         ("hash", h_submit)], upload)
                headers = (("Content-Type", ctype),)
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
                status, _ = await asyncio.wait_for(request(reader, writer, method, target, headers, body), 30)
                counts[name] += 1
                if status != expected:
                    errors.append(f"{name}: status {status}")
            except Exception as e:  # noqa: BLE001 - every failure counts
                errors.append(f"{name}: {type(e).__name__}: {e}")
                if writer is not None:
                    writer.close()
                reader = writer = None

    async def reloader():
        path = os.path.join(app, "endpoints", "endpoints.xml")
        original = open(path).read()
        n = 0
        while time.monotonic() < stop:
            await asyncio.sleep(RELOAD_EVERY)
            n += 1
            tmp = path + ".new"
            with open(tmp, "w") as f:
                f.write(original + f"\n<!-- soak reload {n} -->\n")
            os.replace(tmp, path)
        return n

    async def sampler():
        await asyncio.sleep(WARMUP)
        samples["start"] = (rss_kib(server.pid), fds(server.pid))

    started = time.monotonic()
    results = await asyncio.gather(reloader(), sampler(), *(worker(i) for i in range(WORKERS)))
    reloads = results[0]
    elapsed = time.monotonic() - started
    await asyncio.sleep(2)  # let in-flight work and upload clean-up finish
    end = (rss_kib(server.pid), fds(server.pid))
    start = samples.get("start", end)
    leftover = sum(len(files) for _, _, files in os.walk(uploads))
    reload_ok = sum(1 for line in open(log.name) if "reload" in line.lower() and "fail" in line.lower())
    server.terminate()
    server.wait(timeout=40)

    total = sum(counts.values())
    growth = (end[0] - start[0]) / start[0] * 100 if start[0] else 0.0
    ok = not errors and growth <= 10.0 and end[1] <= start[1] and leftover == 0
    lines = [
        f"# soak {time.strftime('%Y-%m-%d %H:%M:%S')} — {binary}",
        f"duration: {elapsed:.0f} s, target rate {RATE:.0f} req/s, {WORKERS} keep-alive clients,"
        f" configuration rewritten every {RELOAD_EVERY:.0f} s ({reloads} rewrites, {reload_ok} failed-reload log lines)",
        f"requests: {total} ({', '.join(f'{k} {v}' for k, v in counts.items())}) = {total / elapsed:.0f} req/s",
        f"errors: {len(errors)}" + (f" (first: {errors[:5]})" if errors else "") + "   [bound: 0]",
        f"RSS after {WARMUP} s warm-up: {start[0] / 1024:.1f} MiB, at end: {end[0] / 1024:.1f} MiB,"
        f" growth {growth:+.1f} %   [bound: <= +10 %]",
        f"open file descriptors: {start[1]} -> {end[1]}   [bound: no growth]",
        f"temporary upload files left: {leftover}   [bound: 0]",
        f"result: {'PASS' if ok else 'FAIL'}",
    ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(result_file, "w") as f:
        f.write(text)
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


asyncio.run(main())
