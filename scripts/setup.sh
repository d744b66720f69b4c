#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for building and testing this project.
#
#   scripts/setup.sh           build + test tools
#   scripts/setup.sh --bench   also the benchmark tools (bench/run.sh)
#
# Idempotent: when everything is present it only checks (no network, no apt-get) and
# takes a fraction of a second. `apt-get update` runs only when something is missing.
# As root it installs directly; otherwise it uses sudo if there is one, or prints the
# command to run and exits 1. The Rust toolchain itself (rustup/cargo) is expected to
# be installed already; this script only checks for it.
set -euo pipefail

# Debian packages. One entry per package, "package" or "package:command". With a
# command, the package counts as present when the command is on PATH (so a tool
# built from source is fine too); otherwise dpkg must list it as installed.
# Append new build or test dependencies here (e.g. libxml2-dev libxslt1-dev libclang-dev).
PACKAGES=(
  pkg-config:pkg-config
  libxml2-dev
  libxslt1-dev
  xsltproc:xsltproc
  libxml2-utils:xmllint
  curl:curl
  python3-aiosmtpd
  python3-venv
  default-jdk-headless:javac
  libsaxonhe-java
  fop:fop
  poppler-utils:pdftotext
  python3-openpyxl
  chromium:chromium
  chromium-driver:chromedriver
)

# Only with --bench.
BENCH_PACKAGES=(
  wrk:wrk
)

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

want=("${PACKAGES[@]}")
for arg in "$@"; do
  case "$arg" in
    --bench) want+=("${BENCH_PACKAGES[@]}") ;;
    -h | --help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (use --bench or --help)" >&2; exit 2 ;;
  esac
done

say() { echo "setup.sh: $*" >&2; }

# A package is present when its command is on PATH, or dpkg says it is installed.
is_present() {
  local pkg=${1%%:*} cmd=
  [[ $1 == *:* ]] && cmd=${1#*:}
  if [[ -n $cmd ]] && command -v "$cmd" >/dev/null 2>&1; then
    return 0
  fi
  command -v dpkg-query >/dev/null 2>&1 || return 1
  [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null) == ii* ]]
}

missing=()
for entry in "${want[@]}"; do
  is_present "$entry" || missing+=("${entry%%:*}")
done

if ((${#missing[@]} > 0)); then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing: ${missing[*]}"
    say "this is not a Debian/Ubuntu system (no apt-get): install the equivalent packages yourself."
    exit 1
  fi
  apt_install=(apt-get install -y --no-install-recommends "${missing[@]}")
  if [[ $(id -u) -eq 0 ]]; then
    as_root=(env DEBIAN_FRONTEND=noninteractive)
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
  else
    say "missing: ${missing[*]}"
    say "not root and no sudo; as root, run:"
    echo "  apt-get update && ${apt_install[*]}" >&2
    exit 1
  fi
  say "installing: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" "${apt_install[@]}"
  still=()
  for entry in "${want[@]}"; do
    is_present "$entry" || still+=("${entry%%:*}")
  done
  if ((${#still[@]} > 0)); then
    say "still missing after apt-get install: ${still[*]}"
    exit 1
  fi
fi

# moto (tests/aws.rs: a local server speaking the S3 and Secrets Manager APIs) is not packaged by Debian: it is
# installed from PyPI into a virtual environment of its own, unless a Python on PATH already has it.
MOTO_VENV=${ENDPOINTS_MOTO_VENV:-$HOME/.local/share/endpoints/moto-venv}
if ! python3 -c 'import moto.server, boto3' >/dev/null 2>&1 \
  && ! "$MOTO_VENV/bin/python3" -c 'import moto.server, boto3' >/dev/null 2>&1; then
  say "installing moto[server] from PyPI into $MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --quiet 'moto[server]'
fi

# The Rust toolchain: rustup installs it into ~/.cargo/bin, which a non-login shell
# (e.g. CI) may not have on PATH.
if ! command -v cargo >/dev/null 2>&1 && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  say "note: cargo is not on PATH; using ${CARGO_HOME:-$HOME/.cargo}/bin/cargo (add it to PATH, e.g. '. \"\$HOME/.cargo/env\"')"
fi
if ! command -v cargo >/dev/null 2>&1; then
  say "cargo not found. Install the Rust toolchain with rustup (https://rustup.rs):"
  echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y" >&2
  echo "  . \"\$HOME/.cargo/env\"" >&2
  exit 1
fi

# cargo fmt / cargo clippy (used by scripts/test.sh): add the rustup components if missing.
missing_components=()
cargo fmt --version >/dev/null 2>&1 || missing_components+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || missing_components+=(clippy)
if ((${#missing_components[@]} > 0)); then
  if command -v rustup >/dev/null 2>&1; then
    say "adding rustup components: ${missing_components[*]}"
    rustup component add "${missing_components[@]}"
  else
    say "missing Rust components ${missing_components[*]} and no rustup to add them; install them with your Rust toolchain"
    exit 1
  fi
fi
