#!/usr/bin/env python3
"""Instructions a request costs the engine, counted by valgrind's callgrind (repeatable, unlike a timer).

    bench/instructions.py [--bin target/release/endpoints] [--requests 2000] [--log on|off]
                          [--case empty|redirect|static-4k|invoice] [--top 40] [--keep DIR]

Serves a copy of bench/app under `valgrind --tool=callgrind`, warms it up with 300 keep-alive requests, zeroes the
counters (`callgrind_control -z`), sends N more, dumps them (`callgrind_control -d`) and prints the instructions
per request, then the functions that cost the most (inclusive, per request). The request-log writer runs on its
own thread inside the same process, so its work is counted too; whatever it had not yet written when the dump was
taken is not (it writes at most 50 ms behind, and the script waits 300 ms before dumping).

Counts are of user-space instructions only: the kernel's share (the socket reads and writes) is not in them.
"""
import argparse
import glob
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# case: (application under bench/, endpoint, hashed parameters, request path)
CASES = {
    "empty": ("app", "empty", ["a=1", "b=2", "c=3"], "/empty?a=1&b=2&c=3&hash={h}"),
    "redirect": ("app", "redirect", ["section=s", "ref=r"], "/redirect?section=s&ref=r&hash={h}"),
    "static-4k": ("app", "static-4k", [], "/static-4k?hash={h}"),
    # The ~12 KB invoice rendered by libxslt: compare with `valgrind --tool=callgrind` over bench/fixtures/xslt_bench.c.
    "invoice": ("xslt-app", "invoice", [], "/invoice?hash={h}"),
}


def free_port():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def drive(port, path, n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(n):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        if r.status >= 400:
            sys.exit("instructions.py: %s answered %d" % (path, r.status))
    c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "endpoints"))
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--log", choices=["on", "off"], default="on")
    ap.add_argument("--case", choices=sorted(CASES), default="empty")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--keep", help="keep the callgrind dump in this directory")
    a = ap.parse_args()
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate"):
        if not shutil.which(tool):
            sys.exit("instructions.py: %s is not installed (Debian package valgrind)" % tool)

    work = tempfile.mkdtemp(prefix="endpoints-instr-")
    source, endpoint, params, template = CASES[a.case]
    app = os.path.join(work, "app")
    shutil.copytree(os.path.join(HERE, source), app)
    if source == "app":
        # bench/run.sh generates the 1 MiB file the application names; a small stand-in is enough here.
        with open(os.path.join(app, "static", "1m.bin"), "wb") as f:
            f.write(b"x" * 1024)
    h = subprocess.run([a.bin, "hash", app, endpoint] + params, check=True, stdout=subprocess.PIPE,
                       text=True).stdout.strip()
    path = template.format(h=h)
    port = free_port()
    out = os.path.join(work, "callgrind.out")
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out + ".%p", a.bin, "serve", app,
            "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(work, "data")]
    if a.log == "off":
        argv += ["--request-log", "off"]
    env = dict(os.environ, ENDPOINTS_LOG=os.environ.get("ENDPOINTS_LOG", "warn"), ENDPOINTS_CHECK_HASH="true")
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "log"), "w"))
    try:
        deadline = time.time() + 120
        while True:
            try:
                drive(port, "/health-check", 1)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    sys.exit("instructions.py: the server did not start; see " + os.path.join(work, "log"))
                time.sleep(0.5)
        drive(port, path, 300)
        time.sleep(0.3)
        subprocess.run(["callgrind_control", "-z", str(server.pid)], check=True, stdout=subprocess.DEVNULL)
        drive(port, path, a.requests)
        time.sleep(0.3)
        subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True, stdout=subprocess.DEVNULL)
    finally:
        server.send_signal(2)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
    dumps = sorted(f for f in glob.glob(out + ".*") if not f.endswith(".%d" % server.pid))
    dumps = [f for f in dumps if os.path.getsize(f) > 0]
    # The dump taken by `-d` is the one numbered .1 (the final one, at exit, is the bare pid file).
    dump = [f for f in dumps if f.endswith(".1")]
    if not dump:
        sys.exit("instructions.py: no dump in " + work)
    dump = dump[0]
    total = 0
    for line in open(dump):
        if line.startswith("summary:") or line.startswith("totals:"):
            total = int(line.split()[1])
    print("%s (log %s): %d instructions a request (%d over %d requests)"
          % (a.case, a.log, total // a.requests, total, a.requests))
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", dump],
                         stdout=subprocess.PIPE, text=True).stdout
    shown = 0
    for line in ann.splitlines():
        parts = line.strip().split(None, 2)
        if len(parts) >= 2 and parts[0].replace(",", "").isdigit() and "(" in parts[1]:
            n = int(parts[0].replace(",", ""))
            name = line.strip().split(None, 2)[-1]
            print("%9d  %s" % (n // a.requests, name[:170]))
            shown += 1
            if shown >= a.top:
                break
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
        shutil.copy(dump, a.keep)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
