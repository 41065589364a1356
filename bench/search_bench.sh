#!/usr/bin/env bash
# Search benchmark (issue 4): generates N listings (bench/search_inventory.c,
# seed 1), imports them with `proptalk import` into a fresh database on one
# core (taskset -c 0) and again on two (taskset -c 0,1: the import reads on
# one thread while it writes on another), reports both import rates, the
# CPU seconds, the peak memory and the database size, then measures
# search_listings alone
# over a mix of realistic buyer messages (bench/search_bench.c query), and
# the same messages as first chat messages through POST /api/chat/query,
# with PROPTALK_SQLITE_SYNC=full (the default) and =normal, each message
# searched alone and sent as chat back to back (search_bench pair), server
# and client on the same core, then searched again (the same search twice:
# what a paired difference varies by at that moment).  See
# BENCHMARKS.md, "Search (issue 4)".
#
#   bench/search_bench.sh [N] [QUERIES]        defaults: 1000000 2000
#
# SEARCH_BENCH_DIR=/path keeps the generated CSV (and data) there between
# runs; otherwise a temporary folder is used and removed.
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000000}
nq=${2:-2000}
make -s build/proptalk build/libproptalk.a
mkdir -p build/bench
PKGS="libmicrohttpd sqlite3 jansson libsodium libutf8proc libjwt libcurl"
cc -std=gnu11 -O2 -g -Isrc -Ibench -include src/util/banned.h -Wall -Wextra -Werror -Wshadow \
    -Wno-unused-parameter -D_GNU_SOURCE -pthread $(pkg-config --cflags $PKGS) \
    bench/search_bench.c bench/search_inventory.c build/libproptalk.a \
    $(pkg-config --libs $PKGS) -lm -pthread -o build/bench/search_bench

keep=${SEARCH_BENCH_DIR:-}
work=${keep:-$(mktemp -d /tmp/pt-search-bench.XXXXXX)}
mkdir -p "$work"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -z "$keep" ] && rm -rf "$work"
    return 0
}
trap cleanup EXIT

csv=$work/inventory-$n.csv
if [ ! -s "$csv" ]; then
    echo "== generating $n listings"
    build/bench/search_bench gen "$n" 1 "$csv"
fi
echo "csv: $(du -m "$csv" | cut -f1) MB"

data=$work/data
export PROPTALK_LOG=error
# a fresh database per import: core 0 (one core), then cores 0,1 (two);
# the searches below run on the second
for cores in 0 0,1; do
    rm -rf "$data"
    mkdir -p "$data"
    export PROPTALK_DATA=$data
    key=$(./build/proptalk tenant create bench --currency INR --region IN --language en \
          --timezone Asia/Kolkata | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
    echo "== import on cores $cores (synchronous=FULL: every committed batch is on disk)"
    /usr/bin/time -f "import: %e s wall, %U s user, %S s sys, max RSS %M KB" \
        taskset -c "$cores" ./build/proptalk import --tenant bench "$csv" > "$work/import.json" \
        2> "$work/import.time"
    cat "$work/import.time"
    python3 - "$work/import.json" "$work/import.time" "$cores" <<'EOF'
import json, re, sys
rep = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
wall = float(re.search(r"import: ([0-9.]+) s wall", t).group(1))
user = float(re.search(r"([0-9.]+) s user", t).group(1))
sys_ = float(re.search(r"([0-9.]+) s sys", t).group(1))
rss = int(re.search(r"max RSS ([0-9]+) KB", t).group(1))
print("cores %s: imported %d rejected %d: %.0f rows/s wall, %.0f rows/s per CPU second "
      "(%.1f CPU s), peak RSS %d MB"
      % (sys.argv[3], rep["imported"], rep["rejected"], rep["imported"] / wall,
         rep["imported"] / (user + sys_), user + sys_, rss // 1024))
EOF
done
db=$data/proptalk.db
ls -l "$db"* | awk '{s += $5} END {printf "database: %.0f MB (with WAL and shm)\n", s / 1048576}'
sqlite3 "$db" "SELECT name, round(sum(pgsize) / 1048576.0) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6" \
    2>/dev/null | sed 's/^/  MB /' || true

echo "== search_listings alone (one core)"
taskset -c 0 build/bench/search_bench query "sqlite:$db" bench "$nq" 1 "$work/queries.txt"

for sync in full normal; do
    echo "== the same messages through POST /api/chat/query (PROPTALK_SQLITE_SYNC=$sync)"
    port=$((20000 + RANDOM % 20000))
    PROPTALK_SQLITE_SYNC=$sync taskset -c 0 ./build/proptalk serve --port $port --bind 127.0.0.1 \
        --threads 1 > "$work/serve.out" 2> "$work/serve.err" &
    pid=$!
    for _ in $(seq 1 600); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
    grep -q listening "$work/serve.out" || { cat "$work/serve.err"; exit 1; }
    # the first request with an API key builds the tenant's runtime (engine.c):
    # made before the measurement, and timed on its own
    curl -s -o /dev/null -w "first request (builds the tenant runtime): %{time_total} s\n" \
        -H "X-API-Key: $key" -d '{"query": "hi", "session_id": "warm0", "user_id": "warm0"}' \
        "http://127.0.0.1:$port/api/chat/query"
    cpu0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    taskset -c 0 build/bench/search_bench pair "sqlite:$db" bench "http://127.0.0.1:$port" "$key" \
        "$work/queries.txt" | tee "$work/chat.out"
    cpu1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    python3 - "$cpu0" "$cpu1" "$(getconf CLK_TCK)" "$work/chat.out" <<'EOF'
import re, sys
c0, c1, hz = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
n = int(re.search(r"n=(\d+)", open(sys.argv[4]).read()).group(1))
print("server CPU: %.3f ms per chat request (user+sys of the server over the run)"
      % ((c1 - c0) * 1000.0 / hz / n))
EOF
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
done
