#!/usr/bin/env bash
# Checks Cargo.lock against the RustSec advisory database with cargo-audit (installed from crates.io if missing).
# Fails on any vulnerability, unsound or yanked crate that is not ignored in .audit-ignore; lists unmaintained
# crates as warnings. The policy is in docs/security.md.
#
#   scripts/audit.sh                      fetch the advisory database, then audit
#   ENDPOINTS_ADVISORY_DB=DIR scripts/audit.sh
#                                         use a local clone of the database (no fetch), e.g. where GitHub is not
#                                         reachable
#
# Exit: 0 clean; 1 advisories found; 2 an ignore in .audit-ignore has expired or is malformed; 3 the advisory
# database could not be fetched.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! cargo audit --version >/dev/null 2>&1; then
    echo "audit.sh: installing cargo-audit" >&2
    cargo install cargo-audit --locked
fi

# .audit-ignore: one advisory a line: ID EXPIRY(YYYY-MM-DD) REASON…; '#' starts a comment.
today="$(date -u +%F)"
args=()
bad=0
if [ -f .audit-ignore ]; then
    while read -r id expiry reason; do
        [ -z "${id:-}" ] && continue
        case "$id" in \#*) continue ;; esac
        if ! [[ "$id" =~ ^RUSTSEC-[0-9]{4}-[0-9]{4}$ && "${expiry:-}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ && -n "${reason:-}" ]]; then
            echo "audit.sh: .audit-ignore: malformed line: $id ${expiry:-} ${reason:-} (want: ID YYYY-MM-DD reason)" >&2
            bad=1
            continue
        fi
        if [[ "$expiry" < "$today" ]]; then
            echo "audit.sh: .audit-ignore: the ignore of $id expired on $expiry ($reason): upgrade or renew it" >&2
            bad=1
            continue
        fi
        echo "audit.sh: ignoring $id until $expiry: $reason" >&2
        args+=(--ignore "$id")
    done < .audit-ignore
fi
[ "$bad" = 0 ] || exit 2

db=()
if [ -n "${ENDPOINTS_ADVISORY_DB:-}" ]; then
    db=(--db "$ENDPOINTS_ADVISORY_DB" --no-fetch --stale)
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo audit "${db[@]}" --file Cargo.lock --deny unsound --deny yanked "${args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" != 0 ] && grep -q "couldn't fetch advisory database\|error loading advisory database" "$log"; then
    echo "audit.sh: the advisory database could not be fetched; set ENDPOINTS_ADVISORY_DB to a local clone of" >&2
    echo "          the RustSec advisory-db repository to audit offline" >&2
    exit 3
fi
[ "$status" = 0 ] || exit 1
echo "audit.sh: no advisories" >&2
