#!/usr/bin/env bash
# Benchmark of the engine with wrk. See bench/README.md.
#
#   bench/run.sh                                   all workloads, wrk -t2 -c64 -d10s
#   WORKLOADS="static-4k" WRK_DURATION=5s bench/run.sh
#
# Builds the release binary, serves bench/app on 127.0.0.1:$BENCH_PORT, checks each
# workload once with curl (status and body), runs wrk against it, and prints a table
# that is also written to bench/results/<date>.txt. The raw wrk output and the server
# log go to $BENCH_TMP/raw-<date>/.
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- knobs (environment) ------------------------------------------------------------
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_TIMEOUT=${WRK_TIMEOUT:-2s}
WRK_WARMUP=${WRK_WARMUP:-0}             # seconds of unmeasured load before each run
WORKLOADS=${WORKLOADS:-"empty static-4k redirect"}
BENCH_PORT=${BENCH_PORT:-18080}
BENCH_TMP=${BENCH_TMP:-/tmp/bench-endpoints}
PIN=${PIN:-0}                           # 1: server on SERVER_CPUS, wrk on LOAD_CPUS
SERVER_CPUS=${SERVER_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
COOLDOWN=${COOLDOWN:-1}                 # seconds between workloads
QUIET_BUSY=${QUIET_BUSY:-0.15}          # wait until other processes use <= this many vCPUs
QUIET_WAIT=${QUIET_WAIT:-60}            # ... for at most this many seconds per workload (0: don't wait)
SKIP_BUILD=${SKIP_BUILD:-0}             # 1: use the existing target/release/endpoints
BENCH_LOG=${ENDPOINTS_LOG:-warn}        # server log level; "info" turns the access log on

APP=bench/app
LUA=bench/wrk/bench.lua
BIN=${CARGO_TARGET_DIR:-target}/release/endpoints
BASE=http://127.0.0.1:$BENCH_PORT

# workload -> endpoint, expected preflight status
declare -A ENDPOINT=([empty]=empty [static-4k]=static-4k [redirect]=redirect)
declare -A EXPECT=([empty]=200 [static-4k]=200 [redirect]=302)
REDIRECT_TARGET=https://example.com/landing

say() { echo "bench: $*" >&2; }
die() {
  echo "bench: ERROR: $*" >&2
  exit 1
}

for w in $WORKLOADS; do
  [[ -n ${ENDPOINT[$w]:-} ]] || die "unknown workload '$w' (known: ${!ENDPOINT[*]})"
done

# ---- tools and binary ---------------------------------------------------------------
scripts/setup.sh --bench
if ! command -v cargo >/dev/null 2>&1 && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
if [[ $SKIP_BUILD != 1 ]]; then
  say "cargo build --release"
  cargo build --release
fi
[[ -x $BIN ]] || die "$BIN does not exist (build failed, or SKIP_BUILD=1 without a build)"
if [[ $PIN == 1 ]]; then
  command -v taskset >/dev/null 2>&1 || die "PIN=1 needs taskset (util-linux)"
fi

STAMP=$(date +%Y-%m-%d_%H%M%S)
RAW=$BENCH_TMP/raw-$STAMP
RESULTS_DIR=bench/results
RESULT=$RESULTS_DIR/$STAMP.txt
mkdir -p "$RAW" "$RESULTS_DIR"

"$BIN" check "$APP" >"$RAW/check.log" 2>&1 || {
  cat "$RAW/check.log" >&2
  die "'$BIN check $APP' failed"
}

declare -A HASH=()
for w in $WORKLOADS; do
  ep=${ENDPOINT[$w]}
  h=$("$BIN" hash "$APP" "$ep" 2>"$RAW/hash-$ep.err") || {
    cat "$RAW/hash-$ep.err" >&2
    die "'$BIN hash $APP $ep' failed"
  }
  [[ $h =~ ^[0-9a-fA-F]+$ ]] || die "'$BIN hash $APP $ep' printed '$h', not a hex hash"
  HASH[$w]=$h
done

# ---- CPU accounting (/proc) ---------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(grep -c '^cpu[0-9]' /proc/stat)

# "busy total" jiffies summed over all CPUs (everything but idle and iowait).
proc_stat() {
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}

# utime+stime+cutime+cstime of a process, in jiffies (0 when it is gone).
proc_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
    echo 0
    return
  }
  stat=${stat##*) } # fields from 3 on; the command name may contain spaces
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13} + ${14} + ${15}))
}

# vCPUs used by other processes over one second (the server is idle at this point,
# but its ticks are subtracted anyway).
other_busy_1s() {
  local b0 t0 b1 t1 s0 s1
  read -r b0 t0 < <(proc_stat)
  s0=$(proc_ticks "$SERVER_PID")
  sleep 1
  read -r b1 t1 < <(proc_stat)
  s1=$(proc_ticks "$SERVER_PID")
  awk -v b=$((b1 - b0 - (s1 - s0))) -v t=$((t1 - t0)) -v n="$NCPU" \
    'BEGIN { v = (t > 0) ? b / t * n : 0; if (v < 0) v = 0; printf "%.2f", v }'
}

WARNINGS=()
quiet_wait() {
  local w=$1 start=$SECONDS busy
  ((QUIET_WAIT > 0)) || return 0
  while :; do
    busy=$(other_busy_1s)
    if awk -v b="$busy" -v q="$QUIET_BUSY" 'BEGIN { exit !(b <= q) }'; then
      return 0
    fi
    if ((SECONDS - start >= QUIET_WAIT)); then
      say "WARNING: $w: other processes still use $busy vCPUs after ${QUIET_WAIT}s; measuring anyway"
      WARNINGS+=("$w: measured while other processes used $busy vCPUs (quiet wait timed out)")
      return 0
    fi
    say "waiting for a quiet machine: other processes use $busy vCPUs (> $QUIET_BUSY)"
  done
}

# ---- server -------------------------------------------------------------------------
SERVER_PID=
WRK_PID=
cleanup() {
  local rc=$?
  if [[ -n $WRK_PID ]] && kill -0 "$WRK_PID" 2>/dev/null; then
    kill -TERM "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
  fi
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      say "server $SERVER_PID did not stop on TERM; killing it"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$BENCH_PORT") 2>/dev/null; then
  die "something already listens on 127.0.0.1:$BENCH_PORT; stop it or set BENCH_PORT"
fi

server_cmd=("$BIN" serve "$APP" --listen "127.0.0.1:$BENCH_PORT")
wrk_pin=()
if [[ $PIN == 1 ]]; then
  server_cmd=(taskset -c "$SERVER_CPUS" "${server_cmd[@]}")
  wrk_pin=(taskset -c "$LOAD_CPUS")
fi
# Hash checking stays on whatever the caller's environment says. env and taskset exec,
# so $! is the server's own PID. `set -m` gives the server its own process group, so a
# Ctrl-C reaches only this script, which then stops the server itself.
set -m
env -u ENDPOINTS_CHECK_HASH -u ENDPOINTS_DISPLAY_EXPECTED_HASH ENDPOINTS_LOG="$BENCH_LOG" \
  "${server_cmd[@]}" >"$RAW/server.log" 2>&1 </dev/null &
SERVER_PID=$!
set +m
say "server pid $SERVER_PID: ${server_cmd[*]} (log: $RAW/server.log)"

ready=0
for _ in $(seq 100); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$RAW/server.log" >&2
    die "the server exited before it answered"
  fi
  # Any HTTP answer (even 404) means it is up.
  if curl -s -o /dev/null --max-time 1 "$BASE/"; then
    ready=1
    break
  fi
  sleep 0.1
done
((ready)) || {
  cat "$RAW/server.log" >&2
  die "the server did not answer on $BASE within 10 s"
}

# ---- preflight ----------------------------------------------------------------------
preflight() {
  local w=$1 url=$2 status location problem=
  status=$(curl -sS --max-time 5 -o "$RAW/$w.body" -D "$RAW/$w.headers" -w '%{http_code}' "$url") ||
    die "preflight $w: curl $url failed"
  if [[ $status != "${EXPECT[$w]}" ]]; then
    problem="status $status, expected ${EXPECT[$w]}"
  else
    case $w in
      empty)
        [[ ! -s $RAW/$w.body ]] || problem="body is $(wc -c <"$RAW/$w.body") bytes, expected empty"
        ;;
      static-4k)
        cmp -s "$RAW/$w.body" "$APP/static/4k.bin" ||
          problem="body ($(wc -c <"$RAW/$w.body") bytes) differs from $APP/static/4k.bin"
        ;;
      redirect)
        location=$(tr -d '\r' <"$RAW/$w.headers" | sed -n 's/^[Ll][Oo][Cc][Aa][Tt][Ii][Oo][Nn]: *//p' | tail -n 1)
        [[ $location == "$REDIRECT_TARGET" ]] ||
          problem="Location is '$location', expected '$REDIRECT_TARGET'"
        ;;
    esac
  fi
  if [[ -n $problem ]]; then
    {
      echo "======== PREFLIGHT FAILED: $w: GET $url"
      echo "======== $problem"
      echo "-------- response headers:"
      cat "$RAW/$w.headers"
      echo "-------- body (first 500 bytes):"
      head -c 500 "$RAW/$w.body"
      echo
      echo "-------- server log (last 20 lines):"
      tail -n 20 "$RAW/server.log"
    } >&2
    die "preflight of '$w' failed: $problem"
  fi
  say "preflight $w: $status ok"
}

# ---- load runs ----------------------------------------------------------------------
# wrk runs in the background and the script waits for it: a background command does not
# get the terminal's Ctrl-C, and `wait` returns at once on a trapped signal, so Ctrl-C
# stops the whole run (in the foreground, wrk would catch it, print partial results, exit 0
# and the script would carry on).
run_wrk_bg() {
  local rc=0
  "${wrk_pin[@]}" wrk "$@" &
  WRK_PID=$!
  wait "$WRK_PID" || rc=$?
  WRK_PID=
  return "$rc"
}

ROWS=()
run_wrk() {
  local w=$1 url=$2
  local out=$RAW/$w.wrk timef=$RAW/$w.time
  local b0 t0 s0 b1 t1 s1 ns0 ns1 json wrk_cpu row
  if ((WRK_WARMUP > 0)); then
    say "warm-up $w: ${WRK_WARMUP}s"
    run_wrk_bg -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WRK_WARMUP}s" --timeout "$WRK_TIMEOUT" \
      -s "$LUA" "$url" >"$RAW/$w.warmup" 2>&1 || die "wrk warm-up for $w failed: see $RAW/$w.warmup"
  fi
  say "wrk $w: -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION $url"
  read -r b0 t0 < <(proc_stat)
  s0=$(proc_ticks "$SERVER_PID")
  ns0=$(date +%s%N)
  local TIMEFORMAT='%3U %3S'
  # `time` reports the user+sys CPU of wrk (a reaped child)
  if ! { time run_wrk_bg -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --latency \
    --timeout "$WRK_TIMEOUT" -s "$LUA" "$url" >"$out" 2>&1; } 2>"$timef"; then
    cat "$out" >&2
    die "wrk failed for $w"
  fi
  ns1=$(date +%s%N)
  read -r b1 t1 < <(proc_stat)
  s1=$(proc_ticks "$SERVER_PID")
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during $w; see $RAW/server.log"

  json=$(sed -n 's/^WRKJSON //p' "$out" | tail -n 1)
  [[ -n $json ]] || {
    cat "$out" >&2
    die "no WRKJSON line in the wrk output for $w ($out)"
  }
  wrk_cpu=$(awk '{ print $1 + $2 }' "$timef")
  # requests/s, p50 and p99 in ms, errors, CPU use (vCPUs) of server, wrk and the rest
  row=$(awk -v json="$json" -v w="$w" -v srv=$((s1 - s0)) -v busy=$((b1 - b0)) -v tot=$((t1 - t0)) \
    -v ncpu="$NCPU" -v hz="$CLK_TCK" -v wrk="$wrk_cpu" -v wall_ns=$((ns1 - ns0)) '
    function num(k,   m) {
      if (match(json, "\"" k "\":[0-9.]+")) { m = substr(json, RSTART, RLENGTH); sub(/.*:/, "", m); return m + 0 }
      print "bench: WRKJSON has no " k > "/dev/stderr"; exit 1
    }
    BEGIN {
      wall = wall_ns / 1e9
      rps = num("requests") / (num("duration_us") / 1e6)
      errs = num("err_connect") + num("err_read") + num("err_write") + num("err_timeout") + num("err_status")
      srv_cpu = srv / hz / wall
      all_cpu = (tot > 0) ? busy / tot * ncpu : 0
      wrk_cpu = wrk / wall
      oth = all_cpu - srv_cpu - wrk_cpu; if (oth < 0) oth = 0
      printf "%s %.0f %.3f %.3f %d %.2f %.2f %.2f\n", w, rps, num("p50_us") / 1000, num("p99_us") / 1000, errs, srv_cpu, wrk_cpu, oth
    }') || die "cannot parse the wrk output for $w ($out)"
  ROWS+=("$row")
  local oth=${row##* }
  if awk -v o="$oth" 'BEGIN { exit !(o > 0.1) }'; then
    WARNINGS+=("$w: disturbed, other processes used $oth vCPUs during the run")
  fi
}

first=1
for w in $WORKLOADS; do
  ((first)) || sleep "$COOLDOWN"
  first=0
  url="$BASE/${ENDPOINT[$w]}?hash=${HASH[$w]}"
  preflight "$w" "$url"
  quiet_wait "$w"
  run_wrk "$w" "$url"
done

# ---- report -------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- 2>/dev/null; then commit="$commit+dirty"; fi
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
  echo "# bench/run.sh $STAMP"
  echo "# commit $commit; $("$BIN" --version 2>/dev/null || echo endpoints)"
  echo "# wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION --latency --timeout $WRK_TIMEOUT (warm-up ${WRK_WARMUP}s); $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
  if [[ $PIN == 1 ]]; then
    echo "# pinning: split (server cpus $SERVER_CPUS, wrk cpus $LOAD_CPUS)"
  else
    echo "# pinning: shared (none)"
  fi
  echo "# server log level: $BENCH_LOG; $NCPU vCPUs ($cpu_model); $(uname -sr)"
  for warning in "${WARNINGS[@]}"; do echo "# WARNING: $warning"; done
  printf '%-10s %12s %9s %9s %7s %7s %7s %7s\n' workload requests/s 'p50 ms' 'p99 ms' errors srvCPU wrkCPU othCPU
  for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2086
    printf '%-10s %12s %9s %9s %7s %7s %7s %7s\n' $row
  done
  echo "# errors: wrk connect+read+write+timeout errors plus non-2xx/3xx answers."
  echo "# srvCPU/wrkCPU/othCPU: vCPUs used by the server, by wrk and by everything else; othCPU > 0.1 means a disturbed row."
} | tee "$RESULT"
say "written to $RESULT; raw output in $RAW"
