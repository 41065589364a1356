#!/usr/bin/env bash
# Runs every libFuzzer target in build/fuzz for FUZZ_SECONDS (default 10)
# on a scratch copy of its stored corpus (fuzz/corpus/<name>, without the
# fuzz_ prefix).  New inputs stay in the scratch copy; `make fuzz` runs long.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-10}
passed=0; failed=0
for bin in build/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin"); short=${name#fuzz_}
    work=$(mktemp -d)
    [ -d "fuzz/corpus/$short" ] && cp -r "fuzz/corpus/$short/." "$work/" 2>/dev/null
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 "$work" >"$work.log" 2>&1; then
        echo "fuzz: $name ok ($secs s)"; passed=$((passed+1))
    else
        echo "fuzz: $name FAILED"; tail -40 "$work.log"; failed=$((failed+1))
    fi
    rm -rf "$work" "$work.log"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
