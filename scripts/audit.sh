#!/usr/bin/env bash
# Checks Cargo.lock against the RustSec advisory database with cargo-audit (installed from crates.io if missing),
# offline, against a local copy of the database. Fails on any vulnerability, unsound or yanked crate that is not
# ignored in .audit-ignore; lists unmaintained crates as warnings. The policy is in docs/security.md.
#
#   scripts/audit.sh                      audit against the first copy of the database found:
#                                           1. ENDPOINTS_ADVISORY_DB (a directory), when set;
#                                           2. shared/advisory-db in the directory that holds this repository
#                                              (the copy kept beside the repository on the project's machines)
#   ENDPOINTS_ADVISORY_DB=DIR scripts/audit.sh
#                                         use that copy (a clone of github.com/rustsec/advisory-db, or a snapshot
#                                         of its files)
#
# Without a copy: under CI=true the audit fails (exit 3); otherwise it is skipped with a loud message (exit 0).
# The database is never fetched: the audit runs the same with or without a network.
#
# Exit: 0 clean (or skipped); 1 advisories found; 2 an ignore in .audit-ignore has expired or is malformed; 3 no
# usable advisory database.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# rustup puts cargo into ~/.cargo/bin, which a non-login shell may not have on PATH.
if ! command -v cargo >/dev/null 2>&1 && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

loud() {
    printf '\n################################################################\n' >&2
    printf '## %s\n' "$@" >&2
    printf '################################################################\n\n' >&2
}

# Where the advisory database is.
db=""
if [ -n "${ENDPOINTS_ADVISORY_DB:-}" ]; then
    db="$ENDPOINTS_ADVISORY_DB"
    if [ ! -d "$db/crates" ]; then
        echo "audit.sh: ENDPOINTS_ADVISORY_DB=$db is not a copy of the advisory database (no crates/ in it)" >&2
        exit 3
    fi
else
    sibling="$(dirname "$root")/shared/advisory-db"
    if [ -d "$sibling/crates" ]; then
        db="$sibling"
    fi
fi
if [ -z "$db" ]; then
    if [ "${CI:-}" = "true" ]; then
        echo "audit.sh: no advisory database: set ENDPOINTS_ADVISORY_DB, or keep a copy at $(dirname "$root")/shared/advisory-db" >&2
        exit 3
    fi
    loud "SKIP: no advisory database (ENDPOINTS_ADVISORY_DB, or $(dirname "$root")/shared/advisory-db)" \
        "The dependency audit checked NOTHING."
    exit 0
fi
echo "audit.sh: advisory database: $db" >&2

if ! cargo audit --version >/dev/null 2>&1; then
    echo "audit.sh: installing cargo-audit (a few minutes, once)" >&2
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

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
# --stale: a copy is as recent as it was made; its age is not a failure.
cargo audit --db "$db" --no-fetch --stale --file Cargo.lock --deny unsound --deny yanked "${args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" != 0 ] && grep -q "error loading advisory database\|couldn't fetch advisory database\|couldn't open advisory database" "$log"; then
    echo "audit.sh: the advisory database at $db cannot be read" >&2
    exit 3
fi
[ "$status" = 0 ] || exit 1
echo "audit.sh: no advisories" >&2
