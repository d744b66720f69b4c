#!/usr/bin/env bash
# The benchmark suite of issue 9: the engine against nginx, adnanh/webhook, plain libxslt and Saxon-HE, back to back
# in one run. See bench/README.md.
#
#   bench/run.sh                                  everything (~6 min on a quiet machine)
#   WORKLOADS="empty redirect" WRK_DURATION=2s bench/run.sh
#
# 1. installs what is missing from Debian (nginx, webhook, wrk, xsltproc, libxslt1-dev, Saxon-HE, a JDK, FOP, gcc,
#    curl);
# 2. builds the release binary and the reload benchmark (SKIP_BUILD=1 skips this);
# 3. runs bench/suite.py: every case starts a fresh server (anchor, then engine), checks a preflight request, waits
#    for a quiet machine, runs wrk with the server pinned to cpu 0 and wrk to cpu 1, and stops the server by its PID;
# 4. prints the table and writes it to bench/results/<date>.txt (raw output: $BENCH_TMP/raw-<date>/).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "bench: $*" >&2; }

# ---- tools ----------------------------------------------------------------------------------------------------------
# "package:command" (present when the command is on PATH) or "package:/path" (present when the file exists).
TOOLS=(
  nginx:nginx
  webhook:webhook
  wrk:wrk
  xsltproc:xsltproc
  libxslt1-dev:xslt-config
  libsaxonhe-java:/usr/share/java/Saxon-HE.jar
  default-jre-headless:java
  default-jdk-headless:javac
  fop:/usr/share/java/fop.jar
  gcc:gcc
  libc6-dev:/usr/include/stdio.h
  curl:curl
  util-linux:taskset
  python3:python3
)
missing=()
for entry in "${TOOLS[@]}"; do
  pkg=${entry%%:*} what=${entry#*:}
  if [[ $what == /* ]]; then [[ -e $what ]] || missing+=("$pkg"); else command -v "$what" >/dev/null 2>&1 || missing+=("$pkg"); fi
done
if ((${#missing[@]} > 0)); then
  say "installing from Debian: ${missing[*]}"
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { say "not root and no sudo; as root run: apt-get install ${missing[*]}"; exit 1; }
    as_root=(sudo)
  fi
  # The packaged nginx and webhook services are never used: the suite runs its own instances on 127.0.0.1.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
scripts/setup.sh >/dev/null # the build's own dependencies (libxml2-dev, pkg-config, …)

# ---- build ----------------------------------------------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1 && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
BIN=${CARGO_TARGET_DIR:-target}/release/endpoints
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  say "cargo build --release; cargo bench --no-run --bench reload --bench hyper_floor"
  cargo build --release
  cargo bench --no-run -q --bench reload
fi
# The hyper-alone floor of workload 2 (benches/hyper_floor.rs); its row is left out when it cannot be built.
if [[ -z ${HYPER_FLOOR_BIN:-} ]]; then
  HYPER_FLOOR_BIN=$(cargo bench --no-run --bench hyper_floor 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
  [[ -z $HYPER_FLOOR_BIN || $HYPER_FLOOR_BIN == /* ]] || HYPER_FLOOR_BIN=$PWD/$HYPER_FLOOR_BIN
  export HYPER_FLOOR_BIN
fi
[[ -x $BIN ]] || { say "$BIN does not exist (build failed, or SKIP_BUILD=1 without a build)"; exit 1; }

exec python3 bench/suite.py "$BIN"
