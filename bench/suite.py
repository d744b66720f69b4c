#!/usr/bin/env python3
"""The benchmark suite of issue 9: the engine against its anchors, back to back, in one run.

Started by bench/run.sh (which installs the tools and builds the binaries); see bench/README.md.

    python3 bench/suite.py BIN            BIN = the release binary of the engine

Every HTTP case starts a fresh server (the anchor, then the engine, each with a fresh temporary data directory for
the engine), checks one preflight request, waits until the machine is quiet, runs wrk with the server pinned to
SERVER_CPUS and wrk to LOAD_CPUS while sampling the server's RSS, and stops the server by its PID. XSLT cases compare
the engine over HTTP with the plain libxslt C loop (bench/fixtures/xslt_bench.c) on the same stylesheet and the same
input document, one core each, and with Saxon-HE warm (-repeat, no HTTP). The table is printed and written to
bench/results/<date>.txt; raw output goes to $BENCH_TMP/raw-<date>/.
"""

import http.client
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def env(name, default):
    return os.environ.get(name, default)


CFG = {
    "wrk_threads": env("WRK_THREADS", "2"),
    "wrk_conns": env("WRK_CONNS", "64"),
    "wrk_duration": env("WRK_DURATION", "10s"),
    "wrk_timeout": env("WRK_TIMEOUT", "2s"),
    "xslt_conns": env("XSLT_CONNS", "8"),
    "server_cpus": env("SERVER_CPUS", "0"),
    "load_cpus": env("LOAD_CPUS", "1"),
    "pin": env("PIN", "1") == "1",
    "nginx_port": int(env("NGINX_PORT", "18080")),
    "webhook_port": int(env("WEBHOOK_PORT", "19000")),
    "engine_port": int(env("BENCH_PORT", "18081")),
    "hyper_floor": env("HYPER_FLOOR_BIN", ""),
    "tmp": env("BENCH_TMP", "/tmp/bench-endpoints"),
    "quiet_busy": float(env("QUIET_BUSY", "0.15")),
    "quiet_wait": float(env("QUIET_WAIT", "60")),
    "cooldown": float(env("COOLDOWN", "1")),
    "libxslt_seconds": env("LIBXSLT_SECONDS", "5"),
    "saxon_repeat_invoice": int(env("SAXON_REPEAT_INVOICE", "2000")),
    "saxon_repeat_params": int(env("SAXON_REPEAT_PARAMS", "5000")),
    "saxon_opts": env("SAXON_WARM_OPTS", "-XX:+DisableExplicitGC").split(),
    "upload_mb": int(env("UPLOAD_MB", "100")),
    "workloads": env("WORKLOADS", "static empty redirect form upload xslt invoice-saxon params memory load xslt2 pdf "
                                 "jvm-memory").split(),
    "log": env("ENDPOINTS_LOG", "warn"),
    # the JVM worker's workloads (xslt2, invoice-saxon, pdf, jvm-memory)
    "jvm_warmup": env("JVM_WARMUP", "10s"),
    # FOP's JIT needs ~100 s on one core to settle (bench/README.md): the PDF rows get a longer warm-up
    "pdf_warmup": env("PDF_WARMUP", "100s"),
    "jvm_threads": env("JVM_THREADS", ""),
    "jvm_ready": float(env("JVM_READY_TIMEOUT", "180")),
    "worker_alone": env("WORKER_ALONE", "1") == "1",
    "pdf_target": float(env("PDF_TARGET", "30")),
    "fop_warmup": env("FOP_WARMUP", "100"),
    "fop_seconds": env("FOP_SECONDS", "10"),
    "fop_jars": env("FOP_JARS", ":".join(["/usr/share/java/%s.jar" % j for j in (
        "commons-io", "xml-apis", "batik-all", "commons-logging", "xercesImpl", "xmlgraphics-commons", "xml-apis-ext",
        "fontbox2", "fop")] + ["/usr/share/fop/fop-hyph.jar"])),
}
CLK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1
STAMP = time.strftime("%Y-%m-%d_%H%M%S")
RAW = os.path.join(CFG["tmp"], "raw-" + STAMP)
WARNINGS = []
NOTES = []  # extra header lines of the table


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# ----------------------------------------------------------------------------------------------------- processes


def pin(cpus, argv):
    return ["taskset", "-c", cpus] + argv if CFG["pin"] and cpus else argv


def port_in_use(port):
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid):
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += children(p)
    return seen


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def ticks(pid):
    """utime+stime+cutime+cstime in clock ticks (children's times count once they are reaped)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15])
    except (OSError, IndexError):
        return 0


def sys_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle


class Server:
    """A server we started: its own process group, stopped by its PID (TERM, then KILL of that group)."""

    def __init__(self, name, argv, ready_path, port, env_extra=None, cwd=None, log_name=None, ready_timeout=20):
        if port_in_use(port):
            raise BenchError("something already listens on 127.0.0.1:%d; stop it or set the port variable" % port)
        self.name, self.port = name, port
        self.log_path = os.path.join(RAW, (log_name or name) + ".log")
        e = dict(os.environ)
        e.update(env_extra or {})
        self.started = time.time()
        self.proc = subprocess.Popen(argv, stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=cwd, env=e, start_new_session=True)
        self.argv = argv
        deadline = time.time() + ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise BenchError("%s exited before it answered (log %s):\n%s" % (name, self.log_path, self.tail()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", ready_path)
                c.getresponse().read()
                c.close()
                break
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise BenchError("%s did not answer on port %d within %d s:\n%s" % (name, port, ready_timeout,
                                                                                       self.tail()))
                time.sleep(0.02)
        self.ready_s = time.time() - self.started

    def tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def rss_kb(self):
        return sum(rss_kb(p) for p in tree(self.proc.pid))

    def rss_split_kb(self):
        """(the server process itself, its child processes: the engine's JVM worker)"""
        own = rss_kb(self.proc.pid)
        return own, sum(rss_kb(p) for p in tree(self.proc.pid)[1:])

    def ticks(self):
        return sum(ticks(p) for p in tree(self.proc.pid))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                log("%s (pid %d) did not stop on TERM; killing its process group" % (self.name, self.proc.pid))
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # webhook's async /bin/true children may outlive it for a moment; they are in its group
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


RUNNING = []


def start(*args, **kw):
    s = Server(*args, **kw)
    RUNNING.append(s)
    return s


def stop(s):
    s.stop()
    if s in RUNNING:
        RUNNING.remove(s)


class RssSampler(threading.Thread):
    """Peak RSS of the server's process tree (peak), and of the process itself and of its children (the JVM
    worker) separately (peak_own, peak_children; each its own maximum, so they need not add up to peak)."""

    def __init__(self, server, every=0.05):
        super().__init__(daemon=True)
        self.server, self.every, self.go = server, every, True
        self.peak = self.peak_own = self.peak_children = 0

    def sample(self):
        own, kids = self.server.rss_split_kb()
        self.peak = max(self.peak, own + kids)
        self.peak_own = max(self.peak_own, own)
        self.peak_children = max(self.peak_children, kids)

    def run(self):
        while self.go:
            self.sample()
            time.sleep(self.every)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.go = False
        self.join()
        self.sample()


def quiet_wait(what, ours=None):
    """Wait (at most QUIET_WAIT s) until other processes use <= QUIET_BUSY vCPUs."""
    t0 = time.time()
    said = False
    while True:
        b0, s0 = sys_busy(), (ours.ticks() if ours else 0)
        time.sleep(1.0)
        busy = max(0.0, (sys_busy() - b0 - ((ours.ticks() if ours else 0) - s0)) / CLK)
        if busy <= CFG["quiet_busy"] or CFG["quiet_wait"] <= 0:
            return
        if time.time() - t0 >= CFG["quiet_wait"]:
            log("WARNING: %s: other processes still use %.2f vCPUs; measuring anyway" % (what, busy))
            WARNINGS.append("%s: measured while other processes used %.2f vCPUs (quiet wait timed out)" % (what, busy))
            return
        if not said:
            log("waiting for a quiet machine: other processes use %.2f vCPUs (> %.2f)" % (busy, CFG["quiet_busy"]))
            said = True


# ----------------------------------------------------------------------------------------------------- HTTP


def request(port, method, path, body=None, ctype=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": ctype} if ctype else {}
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def preflight(server, case, method, path, body_file, ctype, expect):
    body = open(body_file, "rb").read() if body_file else None
    status, headers, data = request(server.port, method, path, body, ctype)
    problem = None
    if status != expect["status"]:
        problem = "status %d, expected %d" % (status, expect["status"])
    elif "body" in expect and data != expect["body"]:
        problem = "body (%d bytes) %r… differs from the expected %d bytes" % (len(data), data[:80], len(expect["body"]))
    elif "location" in expect and headers.get("location") != expect["location"]:
        problem = "Location %r, expected %r" % (headers.get("location"), expect["location"])
    if problem:
        raise BenchError("preflight of %s on %s failed: %s %s: %s\nresponse body: %r\nserver log:\n%s"
                         % (case, server.name, method, path, problem, data[:500], server.tail()))
    return status


def wrk(server, case, path, threads, conns, method="GET", body_file=None, ctype=None):
    """One wrk run against server; returns the row's numbers."""
    quiet_wait("%s/%s" % (server.name, case), server)
    url = "http://127.0.0.1:%d%s" % (server.port, path)
    argv = pin(CFG["load_cpus"], ["wrk", "-t%s" % threads, "-c%s" % conns, "-d%s" % CFG["wrk_duration"],
                                  "--latency", "--timeout", CFG["wrk_timeout"], "-s",
                                  os.path.join(HERE, "wrk", "bench.lua"), url])
    e = dict(os.environ, WRK_METHOD=method, WRK_BODY_FILE=body_file or "", WRK_CONTENT_TYPE=ctype or "")
    log("wrk %s/%s: %s" % (server.name, case, " ".join(argv[argv.index("wrk"):])))
    b0, s0, r0, t0 = sys_busy(), server.ticks(), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    with RssSampler(server) as rss:
        p = subprocess.run(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    wall = time.time() - t0
    b1, s1, r1 = sys_busy(), server.ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = p.stdout.decode("utf-8", "replace")
    with open(os.path.join(RAW, "%s-%s.wrk" % (case, server.name)), "w") as f:
        f.write("$ " + " ".join(shlex.quote(a) for a in argv) + "\n" + out)
    if server.proc.poll() is not None:
        raise BenchError("%s died during %s:\n%s" % (server.name, case, server.tail()))
    m = re.findall(r"^WRKJSON (.*)$", out, re.M)
    if p.returncode != 0 or not m:
        raise BenchError("wrk failed for %s/%s:\n%s" % (server.name, case, out[-1500:]))
    j = json.loads(m[-1])
    srv = (s1 - s0) / CLK / wall
    wrk_cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / wall
    oth = max(0.0, (b1 - b0) / CLK / wall - srv - wrk_cpu)
    if oth > 0.1:
        WARNINGS.append("%s/%s: disturbed, other processes used %.2f vCPUs during the run" % (server.name, case, oth))
    errors = j["err_connect"] + j["err_read"] + j["err_write"] + j["err_timeout"] + j["err_status"]
    return dict(rps=j["requests"] / (j["duration_us"] / 1e6), p50=j["p50_us"] / 1000, p99=j["p99_us"] / 1000,
                rss=rss.peak / 1024, rss_own=rss.peak_own / 1024, rss_children=rss.peak_children / 1024,
                errors=errors, srv=srv, wrk=wrk_cpu, oth=oth, requests=j["requests"])


# ----------------------------------------------------------------------------------------------------- servers


class Env:
    """What every case needs: paths, the engine binary, rendered configs, hashes."""

    def __init__(self, bin_path):
        self.bin = os.path.abspath(bin_path)
        self.work = os.path.join(RAW, "work")
        os.makedirs(self.work, exist_ok=True)
        # The engine's application, with the generated 1 MiB file; nginx serves the same static/ directory.
        self.app = os.path.join(self.work, "app")
        shutil.copytree(os.path.join(HERE, "app"), self.app)
        line = (b"abcdefghijklmnopqrstuvwxyz" * 3)[:62] + b"\n"
        with open(os.path.join(self.app, "static", "1m.bin"), "wb") as f:
            f.write((line * (1024 * 1024 // len(line) + 1))[: 1024 * 1024])
        self.fixtures = os.path.join(HERE, "fixtures")
        self.multipart_ctype = open(os.path.join(self.fixtures, "multipart-100k.ctype")).read().strip()
        self.data_dirs = 0

    def hash(self, app, endpoint, *params):
        p = subprocess.run([self.bin, "hash", app, endpoint] + list(params), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        h = p.stdout.strip()
        if p.returncode != 0 or not re.fullmatch(r"[0-9a-fA-F]+", h):
            raise BenchError("'%s hash %s %s' failed: %s" % (self.bin, app, endpoint, p.stderr))
        return h

    def engine(self, app, case, extra=(), ready_timeout=20):
        self.data_dirs += 1
        data = os.path.join(self.work, "data-%d" % self.data_dirs)  # fresh state file per server
        argv = pin(CFG["server_cpus"], [self.bin, "serve", app, "--listen", "127.0.0.1:%d" % CFG["engine_port"],
                                        "--data-dir", data] + list(extra))
        # hash checking stays on whatever the caller's environment says
        e = {"ENDPOINTS_LOG": CFG["log"], "ENDPOINTS_CHECK_HASH": "true", "ENDPOINTS_DISPLAY_EXPECTED_HASH": "false"}
        return start("endpoints", argv, "/health-check", CFG["engine_port"], e, log_name="endpoints-" + case,
                     ready_timeout=ready_timeout)

    def nginx(self, case):
        prefix = os.path.join(self.work, "nginx")
        os.makedirs(prefix, exist_ok=True)
        conf = open(os.path.join(HERE, "conf", "nginx.conf.in")).read()
        conf = (conf.replace("@WORKERS@", "1").replace("@PREFIX@", prefix)
                .replace("@PORT@", str(CFG["nginx_port"])).replace("@WWW@", self.app))
        path = os.path.join(prefix, "nginx.conf")
        open(path, "w").write(conf)
        argv = pin(CFG["server_cpus"], ["nginx", "-p", prefix, "-c", path, "-e", os.path.join(prefix, "error.log")])
        return start("nginx", argv, "/ok", CFG["nginx_port"], log_name="nginx-" + case)

    def floor(self, case):
        """The engine's hyper setup alone (benches/hyper_floor.rs), if bench/run.sh built it."""
        argv = pin(CFG["server_cpus"], [CFG["hyper_floor"], "--listen", "127.0.0.1:%d" % CFG["engine_port"]])
        return start("hyper", argv, "/", CFG["engine_port"], log_name="hyper-floor-" + case)

    def webhook(self, case):
        argv = pin(CFG["server_cpus"], ["webhook", "-hooks", os.path.join(HERE, "conf", "hooks.json"),
                                        "-ip", "127.0.0.1", "-port", str(CFG["webhook_port"])])
        return start("webhook", argv, "/hooks/rule?token=wrong", CFG["webhook_port"], {"GOMAXPROCS": "1"},
                     log_name="webhook-" + case)


# ----------------------------------------------------------------------------------------------------- cases

ROWS = []  # (workload, server, numbers dict, ratio text, target text, met)


def row(workload, server, n, ratio="", target="", met=""):
    ROWS.append((workload, server, n, ratio, target, met))


def http_case(E, label, case, anchor, anchor_req, engine_req, expect_anchor, expect_engine,
              threads=None, conns=None):
    """anchor_req / engine_req: (method, path, body_file, ctype). Returns (anchor numbers, engine numbers)."""
    threads, conns = threads or CFG["wrk_threads"], conns or CFG["wrk_conns"]
    results = []
    runs = (("anchor", anchor_req, expect_anchor), ("engine", engine_req, expect_engine),
            ("engine-log-off", engine_req, expect_engine))
    for who, req, expect in runs:
        if who == "anchor":
            s = anchor(case)
        elif who == "engine":
            s = E.engine(E.app, case)
        else:  # the request log off, as nginx's access log is off in the anchors
            s = E.engine(E.app, case + "-log-off", ("--request-log", "off"))
        try:
            method, path, body, ctype = req
            preflight(s, case, method, path, body, ctype, expect)
            results.append(wrk(s, case, path, threads, conns, method, body, ctype))
            results[-1]["name"] = s.name
        finally:
            stop(s)
        time.sleep(CFG["cooldown"])
    return results


def log_off_row(label, anchor, off, target, fmt="%.2f×"):
    r = off["rps"] / anchor["rps"]
    row(label, "endpoints --request-log off", off, fmt % r, target, met(r >= float(target.split("×")[0][2:])))


def met(ok):
    return "yes" if ok else "NO"


def case_static(E):
    for size, label in (("4k", "1 static 4 KB"), ("1m", "1 static 1 MB")):
        h = E.hash(E.app, "static-" + size)
        body = open(os.path.join(E.app, "static", size + ".bin"), "rb").read()
        a, e, o = http_case(E, label, "static-" + size, E.nginx,
                         ("GET", "/static/%s.bin" % size, None, None),
                         ("GET", "/static-%s?hash=%s" % (size, h), None, None),
                         {"status": 200, "body": body}, {"status": 200, "body": body})
        r = e["rps"] / a["rps"]
        pr = e["p99"] / a["p99"]
        row(label, "nginx, 1 worker", a)
        ro, pro = o["rps"] / a["rps"], o["p99"] / a["p99"]
        if size == "4k":
            row(label, "endpoints", e, "%.2f× r/s, %.2f× p99" % (r, pr), "≥ 0.85× r/s, p99 ≤ 2×",
                met(r >= 0.85 and pr <= 2))
            row(label, "endpoints --request-log off", o, "%.2f× r/s, %.2f× p99" % (ro, pro),
                "≥ 0.85× r/s, p99 ≤ 2×", met(ro >= 0.85 and pro <= 2))
        else:
            row(label, "endpoints", e, "%.2f× r/s, %.2f× p99" % (r, pr), "(none)", "")
            row(label, "endpoints --request-log off", o, "%.2f× r/s, %.2f× p99" % (ro, pro), "(none)", "")


def case_empty(E):
    h = E.hash(E.app, "empty", "a=1", "b=2", "c=3")
    a, e, o = http_case(E, "2 empty", "empty", E.nginx, ("GET", "/ok", None, None),
                     ("GET", "/empty?a=1&b=2&c=3&hash=" + h, None, None),
                     {"status": 200, "body": b"ok"}, {"status": 200, "body": b""})
    r = e["rps"] / a["rps"]
    row("2 empty endpoint", "nginx return 200", a)
    row("2 empty endpoint", "endpoints", e, "%.2f×" % r, "≥ 0.7×", met(r >= 0.7))
    log_off_row("2 empty endpoint", a, o, "≥ 0.7×")
    # What the request log costs: log on against log off, on the same endpoint.
    cost = e["rps"] / o["rps"] - 1
    row("2 empty endpoint", "cost of the request log", {}, "%+.0f%%" % (cost * 100), "≥ -8%", met(cost >= -0.08))
    E.rss_under_load = e["rss"]
    if CFG["hyper_floor"]:
        # What no hyper-based server can beat here: the same hyper setup answering "ok" with no engine at all.
        s = E.floor("empty")
        try:
            preflight(s, "empty", "GET", "/ok", None, None, {"status": 200, "body": b"ok"})
            f = wrk(s, "empty", "/ok", CFG["wrk_threads"], CFG["wrk_conns"])
        finally:
            stop(s)
        row("2 empty endpoint", "hyper alone (floor, no engine)", f, "%.2f×" % (f["rps"] / a["rps"]), "(reference)", "")


def case_redirect(E):
    h = E.hash(E.app, "redirect", "section=shop", "ref=bench")
    a, e, o = http_case(E, "3 redirect", "redirect", E.nginx, ("GET", "/redirect", None, None),
                     ("GET", "/redirect?section=shop&ref=bench&hash=" + h, None, None),
                     {"status": 302, "location": "http://example.invalid/landing"},
                     {"status": 302, "location": "https://example.com/shop/landing?ref=bench"})
    r = e["rps"] / a["rps"]
    row("3 redirect", "nginx return 302", a)
    row("3 redirect", "endpoints", e, "%.2f×" % r, "≥ 0.7×", met(r >= 0.7))
    log_off_row("3 redirect", a, o, "≥ 0.7×")


def case_form(E):
    body = os.path.join(E.fixtures, "form-10.body")
    form = "application/x-www-form-urlencoded"
    a, e, o = http_case(E, "4 form", "form", E.webhook, ("POST", "/hooks/form", body, form),
                     ("POST", "/form?hash=" + E.hash(E.app, "form"), body, form),
                     {"status": 200, "body": b"ok"}, {"status": 200, "body": b""})
    r = e["rps"] / a["rps"]
    row("4 form, 10 fields", "webhook, rule", a)
    row("4 form, 10 fields", "endpoints", e, "%.1f×" % r, "≥ 20×", met(r >= 20))
    log_off_row("4 form, 10 fields", a, o, "≥ 20×", "%.1f×")


def case_upload(E):
    body = os.path.join(E.fixtures, "multipart-100k.body")
    a, e, o = http_case(E, "4 multipart", "upload", E.webhook, ("POST", "/hooks/upload", body, E.multipart_ctype),
                     ("POST", "/upload?hash=" + E.hash(E.app, "upload"), body, E.multipart_ctype),
                     {"status": 200, "body": b"ok"}, {"status": 200, "body": b""})
    r = e["rps"] / a["rps"]
    row("4 multipart 100 KB", "webhook, rule", a)
    row("4 multipart 100 KB", "endpoints", e, "%.1f×" % r, "≥ 20×", met(r >= 20))
    log_off_row("4 multipart 100 KB", a, o, "≥ 20×", "%.1f×")


def build_xslt_bench():
    out = os.path.join(E_WORK[0], "xslt_bench")
    flags = subprocess.run(["xslt-config", "--cflags", "--libs"], stdout=subprocess.PIPE, check=True,
                           text=True).stdout.split()
    subprocess.run(["gcc", "-O2", "-o", out, os.path.join(HERE, "fixtures", "xslt_bench.c")] + flags +
                   ["-lpthread"], check=True)
    return out


E_WORK = [None]


def libxslt_loop(binpath, xsl, xml, kind):
    quiet_wait("libxslt " + kind)
    argv = pin(CFG["server_cpus"], [binpath, "-n", "100000000", "-w", "50", "-T", CFG["libxslt_seconds"],
                                    "-m", "full", "-t", "1", xsl, xml])
    b0, r0, t0 = sys_busy(), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    wall = time.time() - t0
    if p.returncode != 0:
        raise BenchError("xslt_bench failed on %s: %s" % (xml, p.stderr))
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / wall
    d = json.loads(p.stdout.strip().splitlines()[-1])
    rate = d.get("per_sec") or d["iterations"] / d["seconds"]
    oth = max(0.0, (sys_busy() - b0) / CLK / wall - ours)
    return dict(rps=rate, srv=ours, oth=oth, p50=1000.0 / rate)


def saxon_warm(xsl, xml, repeat, kind, pinned):
    jar = env("SAXON_JAR", "/usr/share/java/Saxon-HE.jar")
    what = "Saxon-HE warm " + kind + (" pinned" if pinned else "")
    quiet_wait(what)
    argv = ["java"] + CFG["saxon_opts"] + ["-cp", jar, "net.sf.saxon.Transform", "-t", "-repeat:%d" % repeat,
                                           "-s:" + xml, "-xsl:" + xsl, "-o:" + os.path.join(E_WORK[0], "saxon.out")]
    if pinned:
        argv = pin(CFG["server_cpus"], argv)
    b0, r0, t0 = sys_busy(), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    wall = time.time() - t0
    out = p.stdout.decode("utf-8", "replace")
    with open(os.path.join(RAW, "saxon-%s%s.txt" % (kind, "-pinned" if pinned else "")), "w") as f:
        f.write("$ " + " ".join(shlex.quote(a) for a in argv) + "\n" + out)
    if p.returncode != 0:
        raise BenchError("Saxon -repeat failed: " + out[-800:])
    execs = []
    for line in re.findall(r"Execution time: [^\n]*", out):
        m = re.search(r"([\d.]+)ms", line)
        if m:
            execs.append(float(m.group(1)))
        else:
            m = re.search(r"([\d.]+)s\b", line)
            if m:
                execs.append(float(m.group(1)) * 1000)
    if not execs:
        raise BenchError("no 'Execution time' lines in Saxon's -t output")
    warm = execs[-max(1, len(execs) // 4):]  # the last quarter: warm, as the shared anchors do
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / wall
    oth = max(0.0, (sys_busy() - b0) / CLK / wall - ours)
    return dict(rps=1000.0 / statistics.mean(warm), p50=statistics.median(warm), srv=ours, oth=oth)


def xslt_case(E, label, kind, app, endpoint_path, xsl, doc, expect_status, expect_body, lib_target, repeat):
    xb = build_xslt_bench()
    lib = libxslt_loop(xb, xsl, doc, kind)
    row(label, "libxslt C loop, 1 core", lib)
    sax = saxon_warm(xsl, doc, repeat, kind, False)
    row(label, "Saxon-HE warm (JVM unpinned)", sax)
    sax1 = saxon_warm(xsl, doc, repeat, kind, True)
    row(label, "Saxon-HE warm, 1 core", sax1)
    s = E.engine(app, kind)
    try:
        expect = {"status": expect_status}
        if expect_body is not None:
            expect["body"] = expect_body
        preflight(s, kind, "GET", endpoint_path, None, None, expect)
        e = wrk(s, kind, endpoint_path, 1, CFG["xslt_conns"])
    finally:
        stop(s)
    r = e["rps"] / lib["rps"]
    rs = e["rps"] / sax["rps"]
    rs1 = e["rps"] / sax1["rps"]
    row(label, "endpoints (HTTP, 1 core)", e, "%.2f× libxslt" % r, "≥ %.2g× libxslt" % lib_target,
        met(r >= lib_target))
    row(label, "", {}, "%.2f× Saxon" % rs, "≥ 1.0× Saxon", met(rs >= 1.0))
    row(label, "", {}, "%.2f× Saxon 1 core" % rs1, "(same cores)", met(rs1 >= 1.0))
    return dict(lib=lib, sax=sax, sax1=sax1, engine=e)


def invoice_input(E):
    """The exact document the engine transforms for workload 5: the invoice under <transformation-input>."""
    src = open(os.path.join(HERE, "xslt-app", "xml-from-application", "invoice.xml")).read()
    src = re.sub(r"^<\?xml[^>]*\?>\s*", "", src)
    doc = os.path.join(E.work, "invoice-input.xml")
    open(doc, "w").write("<transformation-input>" + src + "</transformation-input>")
    return doc


def case_xslt(E):
    app = os.path.join(HERE, "xslt-app")
    xsl = os.path.join(app, "data-source-xslt", "invoice.xsl")
    doc = invoice_input(E)
    expected = subprocess.run(["xsltproc", xsl, doc], stdout=subprocess.PIPE, check=True).stdout
    h = E.hash(app, "invoice")
    E.invoice = xslt_case(E, "5 XSLT invoice", "invoice", app, "/invoice?hash=" + h, xsl, doc, 200, expected, 0.85,
                          CFG["saxon_repeat_invoice"])


VALIDATE = [("customer_id", "C-10293"), ("email", "jane.doe@example.com"), ("quantity", "12"), ("country", "DE"),
            ("postcode", "70565"), ("order_date", "2024-02-29"), ("currency", "EUR"), ("amount", "1249.90"),
            ("phone", "+49 711 123456"), ("callback_url", "https://example.com/cb")]


def xml_attr(v):
    return v.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace(">", "&gt;")


def case_params(E):
    from urllib.parse import quote
    xsl = os.path.join(E.app, "parameter-xslt", "validate.xsl")
    h = E.hash(E.app, "validate")
    path = "/validate?" + "&".join("%s=%s" % (k, quote(v, safe="")) for k, v in VALIDATE) + "&hash=" + h
    # The document the engine hands to the parameter transformation for wrk's request (wrk sends only Host),
    # as src/engine/parameter_transformation.rs builds it.
    doc = os.path.join(E.work, "validate-input.xml")
    secret = re.search(r"<secret-key>([^<]*)</secret-key>", open(os.path.join(E.app, "security.xml")).read()).group(1)
    host = "127.0.0.1:%d" % CFG["engine_port"]
    text = ("<parameter-transformation-input><input-from-request><endpoint>validate</endpoint>"
            + "".join('<parameter name="%s" value="%s"/>' % (k, xml_attr(v)) for k, v in VALIDATE + [("hash", h)])
            + '<http-header name-lowercase="host">%s</http-header><ip-address>127.0.0.1</ip-address>' % host
            + "</input-from-request><input-from-application><application>app</application>"
            + "<secret-key>%s</secret-key><base-url>http://%s/</base-url></input-from-application>" % (secret, host)
            + "</parameter-transformation-input>")
    open(doc, "w").write(text)
    out = subprocess.run(["xsltproc", xsl, doc], stdout=subprocess.PIPE, check=True).stdout.decode()
    if "<error" in out or out.count("<parameter ") != len(VALIDATE):
        raise BenchError("validate.xsl does not accept the benchmark's parameters:\n" + out)
    xslt_case(E, "6 parameter XSLT", "params", E.app, path, xsl, doc, 200, b"", 0.7, CFG["saxon_repeat_params"])


def case_memory(E):
    # idle: the default application at the repository root
    data = os.path.join(E.work, "data-idle")
    argv = [E.bin, "serve", ROOT, "--listen", "127.0.0.1:%d" % CFG["engine_port"], "--data-dir", data]
    s = start("endpoints", argv, "/health-check", CFG["engine_port"], {"ENDPOINTS_LOG": CFG["log"]},
              log_name="endpoints-idle")
    try:
        request(s.port, "GET", "/contact?hash=" + E.hash(ROOT, "contact"))
        time.sleep(1)
        idle = s.rss_kb() / 1024
        startup = s.ready_s
    finally:
        stop(s)
    row("7 memory", "idle, default app", {"rss": idle}, "", "≤ 20 MB", met(idle <= 20))
    if getattr(E, "rss_under_load", None) is not None:
        row("7 memory", "under workload 2 (peak)", {"rss": E.rss_under_load}, "", "≤ 64 MB",
            met(E.rss_under_load <= 64))
    # one 100 MB multipart upload
    mb = CFG["upload_mb"]
    body = os.path.join(E.work, "upload-%dm.body" % mb)
    ctype = E.multipart_ctype
    boundary = ctype.split("boundary=", 1)[1]
    with open(body, "wb") as f:
        f.write(("--%s\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ninvoice\r\n"
                 "--%s\r\nContent-Disposition: form-data; name=\"customer_id\"\r\n\r\nC-10293\r\n"
                 "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n" % (boundary, boundary, boundary)).encode())
        chunk = os.urandom(1 << 20)
        for _ in range(mb):
            f.write(chunk)
        f.write(("\r\n--%s--\r\n" % boundary).encode())
    s = E.engine(E.app, "upload-big", ["--max-body-bytes", str((mb + 16) << 20)])
    try:
        path = "/upload?hash=" + E.hash(E.app, "upload")
        request(s.port, "GET", "/health-check")
        time.sleep(0.5)
        before = s.rss_kb() / 1024
        with RssSampler(s, 0.01) as rss:
            t0 = time.time()
            p = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: " + ctype,
                                "-H", "Expect:", "--data-binary", "@" + body, "http://127.0.0.1:%d%s" % (s.port, path)],
                               stdout=subprocess.PIPE, text=True, timeout=300)
            secs = time.time() - t0
        if p.stdout.strip() != "200":
            raise BenchError("the %d MB upload answered %s:\n%s" % (mb, p.stdout, s.tail()))
        growth = rss.peak / 1024 - before
    finally:
        stop(s)
    os.unlink(body)
    row("7 memory", "%d MB upload: RSS growth" % mb, {"rss": growth, "p50": secs * 1000}, "", "≤ 16 MB",
        met(growth <= 16))
    E.startup_ms = startup * 1000


def reload_bench(args):
    p = subprocess.run(["cargo", "bench", "-q", "--bench", "reload", "--"] + args, cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800)
    with open(os.path.join(RAW, "reload.txt"), "a") as f:
        f.write(p.stdout)
    m = re.search(r"median ([\d.]+) ms", p.stdout)
    if p.returncode != 0 or not m:
        raise BenchError("cargo bench --bench reload failed:\n" + p.stdout[-1500:])
    return float(m.group(1))


def case_load(E):
    quiet_wait("load time")
    d = reload_bench(["--app", ROOT, "15"])
    row("8 load time", "default app (config::load)", {"p50": d}, "", "≤ 50 ms", met(d <= 50))
    if getattr(E, "startup_ms", None) is not None:
        row("8 load time", "default app: start → 1st answer", {"p50": E.startup_ms})
    quiet_wait("load time")
    g = reload_bench(["1000", "50", "7"])
    row("8 load time", "1,000 endpoints, 50 XSLT", {"p50": g}, "", "≤ 500 ms", met(g <= 500))


# ----------------------------------------------------------------------------------------------------- the JVM worker
# Workloads xslt2, invoice-saxon, pdf and jvm-memory: the engine's JVM worker (Saxon-HE 9.9, FOP 2.8), a child process
# of the engine, so it inherits the engine's pinning (cpu 0) and its RSS counts in the server's process tree.

JVM_APP = os.path.join(HERE, "jvm-app")
SAXON_JAR = env("SAXON_JAR", "/usr/share/java/Saxon-HE.jar")
# The engine's own flags for its worker (src/jvm/mod.rs), used for the "worker alone" reference rows.
WORKER_FLAGS = ["-Xmx512m", "-XX:+UseSerialGC", "-Xss4m", "-Djava.awt.headless=true",
                "-Dorg.apache.commons.logging.Log=org.apache.commons.logging.impl.NoOpLog"]


def jvm_engine(E, app, case, extra=()):
    """An engine whose application needs the JVM worker (it starts and compiles at load: a longer start)."""
    extra = list(extra)
    if CFG["jvm_threads"]:
        extra += ["--jvm-threads", CFG["jvm_threads"]]
    s = E.engine(app, case, extra, ready_timeout=CFG["jvm_ready"])
    status, _, body = request(s.port, "GET", "/health-check")
    m = re.search(rb"Saxon[^\"<\n]*threads?", body)
    note = "JVM worker: %s (engine flags: %s)" % (m.group(0).decode() if m else "?", " ".join(extra) or "none")
    if note not in NOTES:
        NOTES.append(note)
    return s


def jvm_warm_up(server, case, path, duration):
    """An unrecorded wrk run of JVM_WARMUP (PDF_WARMUP), so that the worker's JIT is warm as in the anchors'
    loops."""
    if duration in ("", "0", "0s"):
        return
    argv = pin(CFG["load_cpus"], ["wrk", "-t1", "-c%s" % CFG["xslt_conns"], "-d%s" % duration,
                                  "--timeout", "10s", "http://127.0.0.1:%d%s" % (server.port, path)])
    log("warm-up %s/%s: %s" % (server.name, case, " ".join(argv[argv.index("wrk"):])))
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    with open(os.path.join(RAW, "%s-%s-warmup.wrk" % (case, server.name)), "w") as f:
        f.write("$ " + " ".join(shlex.quote(a) for a in argv) + "\n" + p.stdout.decode("utf-8", "replace"))


def jvm_metrics(server):
    """(calls, seconds) of the engine's calls to the worker so far, from /metrics (None when absent)."""
    try:
        _, _, body = request(server.port, "GET", "/metrics")
    except OSError:
        return None
    text = body.decode("utf-8", "replace")
    n = re.search(r"^endpoints_jvm_call_duration_seconds_count(?:\{[^}]*\})? ([\d.e+-]+)$", text, re.M)
    t = re.search(r"^endpoints_jvm_call_duration_seconds_sum(?:\{[^}]*\})? ([\d.e+-]+)$", text, re.M)
    return (float(n.group(1)), float(t.group(1))) if n and t else None


def jvm_wrk(E, s, case, path, warmup=None):
    """The measured wrk run of a JVM case (after the warm-up); adds the mean duration of a worker call as seen by
    the engine (frame out → answer in, including the wait for a worker thread) as "call_ms"."""
    jvm_warm_up(s, case, path, warmup or CFG["jvm_warmup"])
    m0 = jvm_metrics(s)
    e = wrk(s, case, path, 1, CFG["xslt_conns"])
    m1 = jvm_metrics(s)
    if m0 and m1 and m1[0] > m0[0]:
        e["call_ms"] = (m1[1] - m0[1]) / (m1[0] - m0[0]) * 1000
    return e


def saxon_once(xsl, doc):
    """Saxon-HE's command line output of xsl over doc: what the engine's Saxon answer must be, byte for byte."""
    p = subprocess.run(["java", "-cp", SAXON_JAR, "net.sf.saxon.Transform", "-s:" + doc, "-xsl:" + xsl],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise BenchError("Saxon failed on %s: %s" % (xsl, p.stderr.decode("utf-8", "replace")[-800:]))
    return p.stdout


class WorkerAlone:
    """The engine's JVM worker started by hand (the same classes, jars and flags), driven over its pipe protocol
    (jvm/README.md) with CONNS calls in flight: what the worker does without HTTP, the engine and its supervisor."""

    def __init__(self, E, threads):
        classes = os.path.join(E.work, "jvm-worker-classes")
        cp = SAXON_JAR + ":" + CFG["fop_jars"]
        if not os.path.isdir(classes):
            src = os.path.join(ROOT, "jvm", "src", "endpoints", "worker")
            subprocess.run(["javac", "-Xlint:none", "-d", classes, "-cp", cp] +
                           sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith(".java")), check=True)
        argv = pin(CFG["server_cpus"], ["java"] + WORKER_FLAGS + ["-cp", classes + ":" + cp, "endpoints.worker.Main",
                                                                  "--threads", str(threads)])
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(RAW, "worker-alone.log"), "ab"), start_new_session=True)
        self.cond = threading.Condition()
        self.answers = {}
        self.eof = False
        threading.Thread(target=self._read, daemon=True).start()
        kind, payload = self.wait(0, 120)
        if kind != 0x80:
            raise BenchError("the worker's first frame is %#x, not READY" % kind)
        self.next = 100

    def _read(self):
        out = self.proc.stdout
        while True:
            head = out.read(4)
            if len(head) < 4:
                break
            body = out.read(int.from_bytes(head, "big"))
            with self.cond:
                self.answers[int.from_bytes(body[1:9], "big")] = (body[0], body[9:])
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def send(self, kind, payload):
        self.next += 1
        self.proc.stdin.write((9 + len(payload)).to_bytes(4, "big") + bytes([kind]) + self.next.to_bytes(8, "big")
                              + payload)
        self.proc.stdin.flush()
        return self.next

    def wait(self, ident, timeout=60):
        deadline = time.time() + timeout
        with self.cond:
            while ident not in self.answers:
                if self.eof or time.time() > deadline:
                    raise BenchError("the worker did not answer call %d" % ident)
                self.cond.wait(1)
            return self.answers.pop(ident)

    def call(self, kind, payload):
        kind, answer = self.wait(self.send(kind, payload))
        if kind != 0x81:
            raise BenchError("the worker answered an error: %r" % answer[:500])
        return answer

    def run(self, kind, payload, seconds, conns):
        """Keeps conns calls in flight for seconds; returns (calls, wall seconds, CPU seconds of the worker)."""
        c0, t0 = ticks(self.proc.pid), time.time()
        inflight = [self.send(kind, payload) for _ in range(conns)]
        done = 0
        while time.time() - t0 < seconds:
            self.wait(inflight.pop(0))
            done += 1
            inflight.append(self.send(kind, payload))
        for i in inflight:
            self.wait(i)
            done += 1
        wall = time.time() - t0
        return done, wall, (ticks(self.proc.pid) - c0) / CLK

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def blob(b):
    return len(b).to_bytes(4, "big") + b


def wstr(t):
    return blob(t.encode("utf-8"))


def worker_alone(E, label, kind, setup, payload, threads, warmup=None):
    """A reference row: the worker alone, pinned like the engine, driven from cpu 1 with XSLT_CONNS calls in
    flight, JVM_WARMUP (or warmup) of warm-up, then WRK_DURATION."""
    w = WorkerAlone(E, threads)
    try:
        setup(w)
        secs = lambda d: float(re.fullmatch(r"([\d.]+)s?", d).group(1)) if re.fullmatch(r"[\d.]+s?", d) else 10.0
        # the driver runs on the load cpu, as wrk does
        if CFG["pin"] and CFG["load_cpus"]:
            os.sched_setaffinity(0, {int(c) for c in CFG["load_cpus"].split(",")})
        try:
            w.run(kind, payload, secs(warmup or CFG["jvm_warmup"]), int(CFG["xslt_conns"]))
            quiet_wait("worker alone " + label)
            b0 = sys_busy()
            n, wall, cpu = w.run(kind, payload, secs(CFG["wrk_duration"]), int(CFG["xslt_conns"]))
            busy = (sys_busy() - b0) / CLK / wall
        finally:
            os.sched_setaffinity(0, range(NCPU))
        rss = (rss_kb(w.proc.pid)) / 1024
    finally:
        w.close()
    # othCPU here includes the Python driver (on the load cpu): compare with wrkCPU + othCPU of the engine row
    return dict(rps=n / wall, rss=rss, srv=cpu / wall,
                oth=max(0.0, busy - cpu / wall))


def engine_threads():
    """--jvm-threads the engine uses: JVM_THREADS, else its default, the cores it may run on (1 when pinned)."""
    if CFG["jvm_threads"]:
        return int(CFG["jvm_threads"])
    return len(CFG["server_cpus"].split(",")) if CFG["pin"] else NCPU


def call_note(e):
    return "worker call %.2f ms" % e["call_ms"] if "call_ms" in e else ""


def case_xslt2(E):
    label = "9 XSLT 2.0 invoice"
    xsl = os.path.join(JVM_APP, "data-source-xslt", "invoice2.xsl")
    path = "/invoice2?hash=" + E.hash(JVM_APP, "invoice2")
    # The exact document Saxon gets: the identity transformer's answer (a transformer without stylesheet).
    s = jvm_engine(E, JVM_APP, "xslt2-input")
    try:
        status, _, body = request(s.port, "GET", "/invoice2-input?hash=" + E.hash(JVM_APP, "invoice2-input"))
        if status != 200:
            raise BenchError("/invoice2-input answered %d: %r\n%s" % (status, body[:300], s.tail()))
    finally:
        stop(s)
    doc = os.path.join(E.work, "invoice2-input.xml")
    open(doc, "wb").write(body)
    # it is the document workload 5 hands to libxslt
    mine, same = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", body).strip(), open(invoice_input(E), "rb").read().strip()
    if mine != same:
        log("NOTE: the identity transformer's document differs from workload 5's input document%s (kept: the "
            "identity's)" % (" only in whitespace between elements" if re.sub(rb">\s+<", b"><", mine) ==
                             re.sub(rb">\s+<", b"><", same) else ""))
    expected = saxon_once(xsl, doc)
    sax = saxon_warm(xsl, doc, CFG["saxon_repeat_invoice"], "invoice2", False)
    row(label, "Saxon-HE warm (JVM unpinned)", sax)
    sax1 = saxon_warm(xsl, doc, CFG["saxon_repeat_invoice"], "invoice2", True)
    row(label, "Saxon-HE warm, 1 core", sax1)
    time.sleep(CFG["cooldown"])
    s = jvm_engine(E, JVM_APP, "xslt2")
    try:
        preflight(s, "xslt2", "GET", path, None, None, {"status": 200, "body": expected})
        e = jvm_wrk(E, s, "xslt2", path)
    finally:
        stop(s)
    E.jvm_peaks = getattr(E, "jvm_peaks", []) + [("during xslt2", e)]
    rs, rs1 = e["rps"] / sax["rps"], e["rps"] / sax1["rps"]
    row(label, "endpoints (HTTP, 1 core)", e, "%.2f× Saxon" % rs, "≥ 0.8× Saxon", met(rs >= 0.8))
    row(label, "", {}, "%.2f× Saxon 1 core" % rs1, "≥ 0.8× (same cores)", met(rs1 >= 0.8))
    if call_note(e):
        row(label, "", {}, call_note(e), "(from /metrics)", "")
    if CFG["worker_alone"]:
        threads = engine_threads()

        def setup(w):
            w.call(0x01, (1).to_bytes(8, "big") + wstr(xsl) + (1).to_bytes(4, "big") + wstr(JVM_APP) + bytes(4))
        payload = (1).to_bytes(8, "big") + blob(open(doc, "rb").read()) + bytes(4)
        a = worker_alone(E, label, 0x02, setup, payload, threads)
        row(label, "worker alone (pipe, %d thread%s)" % (threads, "" if threads == 1 else "s"), a,
            "engine %.2f× of it" % (e["rps"] / a["rps"]), "(reference)", "")
    E.xslt2 = dict(sax=sax, sax1=sax1, engine=e)


def case_invoice_saxon(E):
    label = "5b invoice on Saxon"
    app = os.path.join(HERE, "xslt-app")
    xsl = os.path.join(app, "data-source-xslt", "invoice.xsl")
    doc = invoice_input(E)
    path = "/invoice?hash=" + E.hash(app, "invoice")
    inv = getattr(E, "invoice", None)
    if inv is None:  # workload 5 did not run before: its anchors now
        lib = libxslt_loop(build_xslt_bench(), xsl, doc, "invoice")
        row(label, "libxslt C loop, 1 core", lib)
        sax = saxon_warm(xsl, doc, CFG["saxon_repeat_invoice"], "invoice", False)
        row(label, "Saxon-HE warm (JVM unpinned)", sax)
        sax1 = saxon_warm(xsl, doc, CFG["saxon_repeat_invoice"], "invoice", True)
        row(label, "Saxon-HE warm, 1 core", sax1)
        inv = dict(lib=lib, sax=sax, sax1=sax1, engine=None)
    expected = saxon_once(xsl, doc)
    s = jvm_engine(E, app, "invoice-saxon", ["--xslt-engine", "saxon"])
    try:
        preflight(s, "invoice-saxon", "GET", path, None, None, {"status": 200, "body": expected})
        e = jvm_wrk(E, s, "invoice-saxon", path)
    finally:
        stop(s)
    rs, rs1, rl = e["rps"] / inv["sax"]["rps"], e["rps"] / inv["sax1"]["rps"], e["rps"] / inv["lib"]["rps"]
    row(label, "endpoints --xslt-engine saxon", e, "%.2f× Saxon" % rs, "(none)", "")
    row(label, "", {}, "%.2f× Saxon 1 core" % rs1, "(none)", "")
    row(label, "", {}, "%.2f× libxslt loop" % rl, "(none)", "")
    if inv["engine"]:
        row(label, "", {}, "%.2f× engine on libxslt" % (e["rps"] / inv["engine"]["rps"]), "(none)", "")
    if call_note(e):
        row(label, "", {}, call_note(e), "(from /metrics)", "")


def pdf_pages(data):
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def fop_warm(fo, base, pinned):
    """bench/fop/FopWarm.java: one FopFactory, one thread, FOP_WARMUP s of warm-up, then FOP_SECONDS."""
    classes = os.path.join(E_WORK[0], "fop-classes")
    if not os.path.isdir(classes):
        subprocess.run(["javac", "-Xlint:none", "-d", classes, "-cp", CFG["fop_jars"],
                        os.path.join(HERE, "fop", "FopWarm.java")], check=True)
    what = "FOP warm" + (" pinned" if pinned else "")
    quiet_wait(what)
    argv = ["java", "-XX:+UseSerialGC", "-Xmx512m", "-Djava.awt.headless=true",
            "-Dorg.apache.commons.logging.Log=org.apache.commons.logging.impl.NoOpLog",
            "-cp", classes + ":" + CFG["fop_jars"], "FopWarm", fo, base, CFG["fop_warmup"], CFG["fop_seconds"],
            os.path.join(E_WORK[0], "fop-warm.pdf")]
    if pinned:
        argv = pin(CFG["server_cpus"], argv)
    b0, r0, t0 = sys_busy(), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    wall = time.time() - t0
    out = p.stdout.decode("utf-8", "replace")
    with open(os.path.join(RAW, "fop-warm%s.txt" % ("-pinned" if pinned else "")), "w") as f:
        f.write("$ " + " ".join(shlex.quote(a) for a in argv) + "\n" + out)
    m = re.findall(r"^\{.*\}$", out, re.M)
    if p.returncode != 0 or not m:
        raise BenchError("FopWarm failed: " + out[-800:])
    d = json.loads(m[-1])
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / wall
    oth = max(0.0, (sys_busy() - b0) / CLK / wall - ours)
    return dict(rps=d["per_sec"], p50=d["p50_ms"], srv=ours, oth=oth)


def case_pdf(E):
    label = "10 PDF invoice"
    path = "/invoice-pdf?hash=" + E.hash(JVM_APP, "invoice-pdf")
    # The exact XSL-FO the engine renders: the same transformer without the PDF step.
    s = jvm_engine(E, JVM_APP, "pdf-fo")
    try:
        status, headers, fo_bytes = request(s.port, "GET", "/invoice-fo?hash=" + E.hash(JVM_APP, "invoice-fo"))
        if status != 200 or b"<fo:root" not in fo_bytes:
            raise BenchError("/invoice-fo answered %d: %r\n%s" % (status, fo_bytes[:300], s.tail()))
    finally:
        stop(s)
    fo = os.path.join(E.work, "invoice.fo")
    open(fo, "wb").write(fo_bytes)
    static = os.path.join(JVM_APP, "static")
    fop1 = fop_warm(fo, static, True)
    row(label, "FOP warm loop, 1 core", fop1)
    fop = fop_warm(fo, static, False)
    row(label, "FOP warm loop (JVM unpinned)", fop)
    anchor_pdf = open(os.path.join(E_WORK[0], "fop-warm.pdf"), "rb").read()
    if pdf_pages(anchor_pdf) != 1:
        raise BenchError("FopWarm's PDF has %d pages, not 1" % pdf_pages(anchor_pdf))
    time.sleep(CFG["cooldown"])
    s = jvm_engine(E, JVM_APP, "pdf")
    try:
        status, headers, data = request(s.port, "GET", path)
        problem = None
        if status != 200:
            problem = "status %d" % status
        elif not headers.get("content-type", "").startswith("application/pdf"):
            problem = "Content-Type %r" % headers.get("content-type")
        elif not data.startswith(b"%PDF-") or pdf_pages(data) != 1:
            problem = "not a one-page PDF (%d bytes, %d pages)" % (len(data), pdf_pages(data))
        elif abs(len(data) - len(anchor_pdf)) > 200:  # same FO, same FOP: only dates and the file ID differ
            problem = "%d bytes, FopWarm's PDF of the same FO has %d" % (len(data), len(anchor_pdf))
        if problem:
            raise BenchError("preflight of pdf on endpoints failed: GET %s: %s\n%s" % (path, problem, s.tail()))
        open(os.path.join(RAW, "engine-invoice.pdf"), "wb").write(data)
        e = jvm_wrk(E, s, "pdf", path, CFG["pdf_warmup"])
    finally:
        stop(s)
    E.jvm_peaks = getattr(E, "jvm_peaks", []) + [("during pdf", e)]
    t = CFG["pdf_target"]
    r1, r = e["rps"] / fop1["rps"], e["rps"] / fop["rps"]
    row(label, "endpoints (HTTP, 1 core)", e, "%.1f PDF/s" % e["rps"], "≥ %.0f PDF/s" % t, met(e["rps"] >= t))
    row(label, "", {}, "%.2f× FOP 1 core" % r1, "≥ 0.8× (same cores)", met(r1 >= 0.8))
    row(label, "", {}, "%.2f× FOP unpinned" % r, "(reported)", "")
    if call_note(e):
        row(label, "", {}, call_note(e), "(from /metrics)", "")
    if CFG["worker_alone"]:
        threads = engine_threads()

        def setup(w):
            w.call(0x04, (1).to_bytes(8, "big") + wstr("") + wstr(os.path.join(JVM_APP, "fonts")) + wstr(static)
                   + (2).to_bytes(4, "big") + wstr(os.path.join(JVM_APP, "fonts")) + wstr(static))
        a = worker_alone(E, label, 0x05, setup, (1).to_bytes(8, "big") + blob(fo_bytes), threads,
                         CFG["pdf_warmup"])
        row(label, "worker alone (pipe, %d thread%s)" % (threads, "" if threads == 1 else "s"), a,
            "engine %.2f× of it" % (e["rps"] / a["rps"]), "(reference)", "")


def case_jvm_memory(E):
    label = "11 JVM memory"
    s = jvm_engine(E, JVM_APP, "jvm-memory")
    try:
        status, _, _ = request(s.port, "GET", "/invoice2?hash=" + E.hash(JVM_APP, "invoice2"))
        if status != 200:
            raise BenchError("/invoice2 answered %d:\n%s" % (status, s.tail()))
        time.sleep(2)
        own, kids = s.rss_split_kb()
        peaks = getattr(E, "jvm_peaks", [])
        if not peaks:  # neither xslt2 nor pdf ran before: load this server with both
            for case, p in (("xslt2", "/invoice2?hash=" + E.hash(JVM_APP, "invoice2")),
                            ("pdf", "/invoice-pdf?hash=" + E.hash(JVM_APP, "invoice-pdf"))):
                peaks.append(("during " + case + " (here)", wrk(s, "jvm-memory-" + case, p, 1, CFG["xslt_conns"])))
    finally:
        stop(s)
    row(label, "idle after 1st Saxon request", {"rss": (own + kids) / 1024}, "engine + JVM worker", "(none)", "")
    row(label, "", {"rss": own / 1024}, "engine process", "", "")
    row(label, "", {"rss": kids / 1024}, "JVM worker", "", "")
    for what, e in peaks:
        row(label, "peak " + what, {"rss": e["rss"]}, "engine + JVM worker", "(none)", "")
        row(label, "", {"rss": e["rss_own"]}, "engine process", "", "")
        row(label, "", {"rss": e["rss_children"]}, "JVM worker", "", "")


CASES = {"static": case_static, "empty": case_empty, "redirect": case_redirect, "form": case_form,
         "upload": case_upload, "xslt": case_xslt, "params": case_params, "memory": case_memory, "load": case_load,
         "xslt2": case_xslt2, "invoice-saxon": case_invoice_saxon, "pdf": case_pdf, "jvm-memory": case_jvm_memory}


# ----------------------------------------------------------------------------------------------------- report


def fmt(n, key, f):
    return f % n[key] if key in n and n[key] is not None else ""


def table(bin_path):
    out = []
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True).stdout.strip() or "unknown"
    if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src", "bench", "benches"], cwd=ROOT).returncode:
        commit += "+dirty"
    version = subprocess.run([bin_path, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    out.append("# bench/run.sh %s; commit %s; %s" % (STAMP, commit, version))
    out.append("# %d vCPUs (%s); %s; load average at start %s" % (NCPU, cpu, os.uname().release, LOADAVG[0]))
    out.append("# wrk -t%s -c%s -d%s --latency --timeout %s (XSLT cases: -t1 -c%s); %s" % (
        CFG["wrk_threads"], CFG["wrk_conns"], CFG["wrk_duration"], CFG["wrk_timeout"], CFG["xslt_conns"],
        "servers pinned to cpu %s, wrk to cpu %s" % (CFG["server_cpus"], CFG["load_cpus"]) if CFG["pin"]
        else "nothing pinned"))
    for n in NOTES:
        out.append("# " + n)
    for w in WARNINGS:
        out.append("# WARNING: " + w)
    head = "%-20s %-30s %10s %8s %8s %8s %5s %6s %6s %6s  %-24s %-22s %s" % (
        "workload", "server", "req/s", "p50 ms", "p99 ms", "RSS MB", "err", "srvCPU", "wrkCPU", "othCPU",
        "ratio", "target", "met")
    out.append(head)
    out.append("-" * len(head))
    last = None
    for workload, server, n, ratio, target, ok in ROWS:
        rps = ("{:,.0f}".format(n["rps"]) if n.get("rps", 0) >= 100 else "%.1f" % n["rps"]) if "rps" in n else ""
        out.append("%-20s %-30s %10s %8s %8s %8s %5s %6s %6s %6s  %-24s %-22s %s" % (
            workload if workload != last else "", server, rps, fmt(n, "p50", "%.2f"), fmt(n, "p99", "%.2f"),
            fmt(n, "rss", "%.1f"), fmt(n, "errors", "%d"), fmt(n, "srv", "%.2f"), fmt(n, "wrk", "%.2f"),
            fmt(n, "oth", "%.2f"), ratio, target, ok))
        last = workload
    out.append("# req/s: wrk requests/s; for the XSLT loops and Saxon transforms/s (p50 ms = median time of one "
               "transform for Saxon, 1000/rate for libxslt).")
    out.append("# RSS MB: peak resident set of the server (process tree) during the run, sampled every 50 ms.")
    out.append("# srvCPU/wrkCPU/othCPU: vCPUs used by the server (or loop), by wrk and by everything else; othCPU > 0.1 "
               "means a disturbed row.")
    out.append("# workload 8: median of in-process config::load runs (cargo bench --bench reload); p50 column in ms.")
    out.append("# workload 7 upload: p50 column = wall time of the upload in ms.")
    if any(r[0].startswith(("9 ", "10 ", "5b ")) for r in ROWS):
        out.append("# workloads 5b, 9, 10: the engine's JVM worker is a child of the engine (pinned with it; its "
                   "RSS counts in RSS MB); each engine row follows an unrecorded wrk warm-up of %s. 'worker call': "
                   "mean time from the engine's frame to the worker's answer (/metrics). 'worker alone': the same "
                   "worker classes and flags started by hand, %s calls in flight over its pipe, no engine. The PDF "
                   "rows (engine, worker alone) warm up for %s." % (CFG["jvm_warmup"], CFG["xslt_conns"],
                                                                    CFG["pdf_warmup"]))
        out.append("# FOP warm loop: bench/fop/FopWarm.java, one FopFactory, one thread, %s s warm-up, then %s s; "
                   "p50 ms = median render." % (CFG["fop_warmup"], CFG["fop_seconds"]))
    return "\n".join(out) + "\n"


LOADAVG = [""]


def main():
    bin_path = sys.argv[1]
    os.makedirs(RAW, exist_ok=True)
    E_WORK[0] = os.path.join(RAW, "work")
    LOADAVG[0] = open("/proc/loadavg").read().split()[0]
    for w in CFG["workloads"]:
        if w not in CASES:
            raise BenchError("unknown workload '%s' (known: %s)" % (w, " ".join(CASES)))
    E = Env(bin_path)
    subprocess.run([E.bin, "check", E.app], check=True, stdout=subprocess.DEVNULL)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    try:
        for w in CFG["workloads"]:
            log("== workload %s" % w)
            CASES[w](E)
    finally:
        for s in list(RUNNING):
            stop(s)
    text = table(bin_path)
    sys.stdout.write(text)
    results = os.path.join(HERE, "results")
    os.makedirs(results, exist_ok=True)
    path = os.path.join(results, STAMP + ".txt")
    open(path, "w").write(text)
    log("written to %s; raw output in %s" % (os.path.relpath(path, ROOT), RAW))
    if any(r[5] == "NO" for r in ROWS):
        log("some targets were missed (see the 'met' column)")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        log("ERROR: %s" % e)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
