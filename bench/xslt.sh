#!/usr/bin/env bash
# XSLT throughput of the engine against plain libxslt, on one core each (issue: "at least 80%").
#
#   bench/xslt.sh            builds, then measures
#     1. plain libxslt (bench/fixtures/xslt_bench.c: parse + transform + serialise per iteration, 1 thread),
#     2. the engine in-process (cargo bench --bench xslt_inprocess: data source + transform, 1 thread),
#     3. the engine end-to-end over HTTP: the server pinned to CPU 0, wrk pinned to CPU 1,
#   all with bench/xslt-app (the ~12 KB invoice of the shared anchors rendered to HTML).
# Env: N (libxslt/in-process iterations, default 2000), WRK_DURATION (10s), WRK_CONNS (8), PORT (18090).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench >/dev/null
N=${N:-2000}
DUR=${WRK_DURATION:-10s}
CONNS=${WRK_CONNS:-8}
PORT=${PORT:-18090}
tmp=$(mktemp -d)
server_pid=
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

cargo build --release -q
gcc -O2 -o "$tmp/xslt_bench" bench/fixtures/xslt_bench.c $(xslt-config --cflags --libs) -lpthread

# The exact document the engine transforms: the invoice under <transformation-input>.
{ printf '<transformation-input>'; sed '1{/^<?xml/d}' bench/xslt-app/xml-from-application/invoice.xml; printf '</transformation-input>'; } > "$tmp/input.xml"

echo "== plain libxslt, 1 thread on CPU 0"
taskset -c 0 "$tmp/xslt_bench" -n "$N" -t 1 bench/xslt-app/data-source-xslt/invoice.xsl "$tmp/input.xml" | tee "$tmp/libxslt.json"
libxslt_rate=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("rate") or d.get("per_sec") or d.get("transforms_per_sec"))' "$tmp/libxslt.json" 2>/dev/null || echo "")

echo "== engine in-process, 1 thread on CPU 0"
taskset -c 0 cargo bench -q --bench xslt_inprocess -- bench/xslt-app invoice "$N" | tee "$tmp/inprocess.txt"

echo "== engine end-to-end over HTTP: server on CPU 0, wrk -t1 -c$CONNS -d$DUR on CPU 1"
ENDPOINTS_LOG=warn taskset -c 0 target/release/endpoints serve bench/xslt-app --listen "127.0.0.1:$PORT" &
server_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
hash=$(target/release/endpoints hash bench/xslt-app invoice)
url="http://127.0.0.1:$PORT/invoice?hash=$hash"
code=$(curl -s -o "$tmp/out.html" -w '%{http_code}' "$url")
[[ $code == 200 ]] || { echo "preflight failed: HTTP $code" >&2; exit 1; }
if command -v xsltproc >/dev/null; then
  if cmp -s "$tmp/out.html" <(xsltproc bench/xslt-app/data-source-xslt/invoice.xsl "$tmp/input.xml"); then
    echo "preflight: body identical to xsltproc"
  else
    echo "preflight: body differs from xsltproc" >&2; exit 1
  fi
fi
taskset -c 1 wrk -t1 -c"$CONNS" -d"$DUR" --latency "$url" | tee "$tmp/wrk.txt"
http_rate=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
echo
echo "summary: libxslt ${libxslt_rate:-?}/s, engine over HTTP ${http_rate}/s"
if [[ -n $libxslt_rate && -n $http_rate ]]; then
  python3 -c "import sys; print(f'engine end-to-end / plain libxslt = {float(sys.argv[2])/float(sys.argv[1]):.0%} (target >= 80%)')" "$libxslt_rate" "$http_rate"
fi
