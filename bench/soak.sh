#!/usr/bin/env bash
# Soak test (issue 10): the default application for SOAK_SECONDS (default 600) at SOAK_RATE (default 100) mixed
# requests per second (static page, redirect, transformation, multipart upload through the parameter transformation)
# while endpoints.xml is rewritten every SOAK_RELOAD_EVERY (default 3) seconds. Writes bench/results/soak-<date>.txt.
# SKIP_BUILD=1 uses the existing release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    scripts/setup.sh
    cargo build --release
fi
bin="${CARGO_TARGET_DIR:-target}/release/endpoints"
mkdir -p bench/results
exec python3 bench/soak.py "$bin" "$PWD" "bench/results/soak-$(date +%Y-%m-%d_%H%M%S).txt"
