# bench/demo_server.sh - sourced by the bench scripts (chat_load.sh, chat_ab.sh,
# wakeups.sh), not run.
#
#   demo_server_start BIN DATA [serve options...]
#
# Starts `BIN serve --demo` on a random loopback port with its data folder
# DATA (which also receives the server's stdout and stderr, as DATA/out and
# DATA/err), waits until it listens, and sets pid, port and key (the API key
# of the dubai-demo tenant) in the caller's scope (declare them `local` in a
# function to keep them there).  The environment passes through: for example
# `PROPTALK_SQLITE_SYNC=normal demo_server_start ...`; DEMO_SERVER_WRAP runs
# the server under a tool that execs it in the same process (valgrind:
# bench/server_cg.sh).  Stopping the server and removing DATA are the
# caller's.
demo_server_start() {
    local bin=$1 dir=$2
    shift 2
    port=$((20000 + RANDOM % 20000))
    # shellcheck disable=SC2086  # the wrapper is words
    PROPTALK_DATA=$dir PROPTALK_LOG=error ${DEMO_SERVER_WRAP:-} "$bin" serve --demo --port $port \
        --bind 127.0.0.1 "$@" > "$dir/out" 2> "$dir/err" &
    pid=$!
    for _ in $(seq 1 1800); do grep -q listening "$dir/out" 2> /dev/null && break; sleep 0.1; done
    key=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o=json.loads(l)
    if "demo" in o: print([t["api_key"] for t in o["demo"]["tenants"] if t["slug"]=="dubai-demo"][0])' "$dir/out")
}
