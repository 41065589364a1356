#!/usr/bin/env bash
# Instructions the whole server spends on a fixed set of requests (issue 2,
# BENCHMARKS.md session 12): callgrind of `proptalk serve --demo` with sync
# normal, once with no request and once with H /health requests then C
# conversations of bench/chat.lua's eight messages on one keep-alive
# connection (each turn committed alone); prints the difference.  Unlike
# req/s, it does not move with other work on the machine.
#
#   bench/server_cg.sh [BIN] [conversations] [health requests]   (defaults:
#   build/proptalk, 30, 500; PROPTALK_PACKS for a binary of another checkout)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/proptalk}")
convs=${2:-30}
health=${3:-500}
. bench/demo_server.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {   # run N_CONVS N_HEALTH: the callgrind total
    local data pid port key
    data=$(mktemp -d)
    PROPTALK_SQLITE_SYNC=normal DEMO_SERVER_WRAP="valgrind --tool=callgrind --separate-threads=no
        --callgrind-out-file=$out/cg.$1" demo_server_start "$bin" "$data"
    python3 - "$port" "$key" "$1" "$2" << 'PY'
import http.client, json, sys
port, key, n, health = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
script = ["hi", "I am looking to invest", "around 2 million AED", "an apartment", "JVC",
          "+971 50 412 7789", "how much is the first one?", "does it have a pool?"]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for _ in range(health):
    c.request("GET", "/health"); r = c.getresponse(); r.read()
for k in range(n):
    for m in script:
        body = json.dumps({"query": m, "session_id": "cg-%d" % k, "user_id": "u-cg-%d" % k})
        c.request("POST", "/api/chat/query", body, {"Content-Type": "application/json", "X-API-Key": key})
        r = c.getresponse(); r.read()
        if r.status != 200:
            sys.exit("server_cg: status %d" % r.status)
PY
    sleep 1
    kill -INT $pid
    wait $pid || true
    rm -rf "$data"
    awk '/^summary:/ {print $2}' "$out/cg.$1"
}
idle=$(run 0 0)
busy=$(run "$convs" "$health")
echo "{\"binary\": \"$bin\", \"conversations\": $convs, \"health\": $health, \"instructions\": $((busy - idle))}"
