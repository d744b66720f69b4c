#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer) on the nightly toolchain; see fuzz/README.md.
#
#   scripts/fuzz.sh list                  the targets
#   scripts/fuzz.sh build                 build every target
#   scripts/fuzz.sh TARGET [SECONDS]      seed the corpus, then fuzz TARGET for SECONDS (default 180)
#   scripts/fuzz.sh all [SECONDS]         every target in turn, SECONDS each
#
# Installs cargo-fuzz (from crates.io) when it is missing. Each input may take at most 1 s (libFuzzer's -timeout):
# a slower one is reported as a hang. Crashes and hangs are written to fuzz/artifacts/TARGET/.
# FUZZ_TARGET_DIR sets the build directory (default fuzz/target); extra libFuzzer flags go in FUZZ_ARGS.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/fuzz"
targets=(load_application request_input json_to_xml template condition download_and_redirect xml_body)

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi
target_dir=(--target-dir "${FUZZ_TARGET_DIR:-$fuzz/target}")

# Seeds: the fixture applications, their templates, JSON and XML files, and a few hand-made requests.
seed() {
    local t="$1" dir="$fuzz/corpus/$1" n=0
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return 0
    local apps=("$root"/tests/apps/*/ "$root"/examples/*/ "$root"/)
    case "$t" in
    load_application)
        for a in "${apps[@]}"; do
            local e="$a/endpoints.xml"
            [ -f "$e" ] || e="$a/endpoints/endpoints.xml"
            [ -f "$e" ] || continue
            local s="$(dirname "$e")/security.xml"
            local ds tr
            ds="$(find "$a" -path '*/data-sources/*.xml' 2>/dev/null | head -n1)"
            tr="$(find "$a" -path '*/transformers/*.xml' 2>/dev/null | head -n1)"
            {
                cat "$e"; printf '\0'
                if [ -f "$s" ]; then cat "$s"; else printf '<security><secret-key>k</secret-key></security>'; fi
                if [ -n "$ds" ]; then printf '\0'; cat "$ds"; fi
                if [ -n "$tr" ]; then printf '\0'; cat "$tr"; fi
            } >"$dir/app-$((n++))"
        done
        ;;
    request_input)
        printf 'a=1&b=%%C3%%A4&a=2&hash=x&debug=true\napplication/x-www-form-urlencoded\nt=x&name=J%%C3%%B6rg+M' >"$dir/form"
        printf 'x=1\nmultipart/form-data; boundary=XyZ\n--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\ntwo files\r\n--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n' >"$dir/multipart"
        printf '\napplication/json\n{"a":[1,2,{"b":null}],"c":"\\u00e4"}' >"$dir/json"
        printf '\ntext/xml\n<?xml version="1.0"?><r a="1"><x>y</x></r>' >"$dir/xml"
        printf 'environment=preview&verbose=TRUE\n\n' >"$dir/query"
        ;;
    json_to_xml)
        find "$root/tests" "$root/examples" -name '*.json' -size -64k 2>/dev/null | while read -r f; do
            cp "$f" "$dir/$(echo "$f" | md5sum | cut -c1-16)"
        done
        printf '{"a":"x","n":1.50,"arr":[true,false,null],"":{"1x":"<&>"}}' >"$dir/hand"
        ;;
    xml_body)
        find "$root/tests/apps" "$root/examples" -name '*.xml' -size -64k 2>/dev/null | head -n 200 | while read -r f; do
            cp "$f" "$dir/$(echo "$f" | md5sum | cut -c1-16)"
        done
        ;;
    template)
        grep -rhoE '[^<>"]*\$\{[^<>"]*' "$root/tests/apps" "$root/examples" 2>/dev/null | sort -u | head -n 300 |
            while IFS= read -r line; do
                printf '%s\nva\nvb\n1\n' "$line" >"$dir/$(printf '%s' "$line" | md5sum | cut -c1-16)"
            done
        printf '${a}-${b-c}-${request-id}${x_1}$${a}${}${nope}\nA\nB\nC\nD' >"$dir/hand"
        ;;
    condition)
        local op
        for op in 0 1 2 3 4 5 6 7 10 11; do
            printf "\\x$(printf %02x "$op")"'${v}\n${w}\n,\n1,2,3\n2\n' >"$dir/op$op"
        done
        printf '\x04${v}\n10\n;\n1e3;-0.5;+7\n\n' >"$dir/numbers"
        ;;
    download_and_redirect)
        for v in 123 '..%2fx' '../x' 'a b' 'ä' 'https://shop.example/x' 'https://evil.example/' \
            'https://shop.example.evil.example/' $'https://shop.example/\r\nSet-Cookie: a=b' 'javascript:alert(1)' '//evil'; do
            printf '%s' "$v" >"$dir/$(printf '%s' "$v" | md5sum | cut -c1-16)"
        done
        ;;
    esac
}

run() {
    local t="$1" secs="$2"
    seed "$t"
    echo "== $t: ${secs}s" >&2
    (cd "$fuzz" && cargo +nightly fuzz run "${target_dir[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=1 -rss_limit_mb=2048 -print_final_stats=1 ${FUZZ_ARGS:-})
}

case "${1:-list}" in
list) printf '%s\n' "${targets[@]}" ;;
build) (cd "$fuzz" && cargo +nightly fuzz build "${target_dir[@]}") ;;
all)
    for t in "${targets[@]}"; do run "$t" "${2:-180}"; done
    ;;
*)
    printf '%s\n' "${targets[@]}" | grep -qx "$1" || { echo "fuzz.sh: unknown target $1" >&2; exit 2; }
    run "$1" "${2:-180}"
    ;;
esac
