#!/usr/bin/env bash
# Runs each unit test binary given as an argument and sums their counts.
set -u
passed=0; failed=0; broken=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v '^  ' | grep -v ' passed, ' >&2 || true
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -z "$line" ]; then
        echo "unit: $t crashed or printed no summary (exit $rc)" >&2
        printf '%s\n' "$out" | tail -20 >&2
        broken=$((broken+1)); continue
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    passed=$((passed+p)); failed=$((failed+f))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && broken=$((broken+1))
done
failed=$((failed+broken))
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
