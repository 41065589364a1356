#!/usr/bin/env bash
# The whole suite (make test): unit tests, black-box tests against the real
# server, and a short libFuzzer run of every target, all under ASan+UBSan;
# the unit tests that run threads once more under ThreadSanitizer, and the
# black-box tests once more against the release build.
# Closes with one "N passed, N failed" line summing every layer.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
total_p=0; total_f=0
tally() {  # reads "...: N passed, M failed" from the last such line of $1
    local line p f
    line=$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
    if [ -z "$line" ]; then total_f=$((total_f+1)); return; fi
    p=${line%% passed*}
    f=${line#*passed, }; f=${f%% failed*}
    total_p=$((total_p+p)); total_f=$((total_f+f))
}
log=$(mktemp -d)
echo "== unit tests"
tests/run_unit.sh build/asan/tests/test_* 2>&1 | tee "$log/unit" | grep -E 'FAIL|unit:|crashed' ; tally "$log/unit"
echo "== unit tests that run threads, under ThreadSanitizer"
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1} tests/run_unit.sh build/tsan/tests/test_* 2>&1 | tee "$log/tsan" | grep -E 'FAIL|unit:|crashed|ThreadSanitizer' ; tally "$log/tsan"
echo "== black-box tests"
PROPTALK_BIN="$PWD/build/asan/proptalk" python3 tests/blackbox/run.py 2>&1 | tee "$log/bb" | grep -E '^(ok|FAIL|blackbox)' ; tally "$log/bb"
# the same against the release build (-O2, what `make` and `make demo` run):
# optimisation must not change what a user sees; failures are shown whole
echo "== black-box tests, release build"
PROPTALK_BIN="$PWD/build/proptalk" python3 tests/blackbox/run.py > "$log/bbrel" 2>&1
grep -E '^FAIL' -A3 "$log/bbrel"; grep -E '^blackbox' "$log/bbrel"; tally "$log/bbrel"
echo "== fuzz (short)"
FUZZ_SECONDS=${FUZZ_SECONDS:-10} tests/run_fuzz.sh 2>&1 | tee "$log/fuzz" | grep -E 'fuzz' ; tally "$log/fuzz"
rm -rf "$log"
echo "${total_p} passed, ${total_f} failed"
[ "$total_f" -eq 0 ]
