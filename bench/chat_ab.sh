#!/usr/bin/env bash
# Chat load A/B (issue 2): two or more builds of proptalk, alternately, each
# round /health then /api/chat/query with bench/chat.lua, as chat_load.sh
# does, so that every build meets the same moments of a shared machine.
# Prints per run: req/s, p50/p99, the chat/health ratio, and the CPU per
# request of the server and of wrk (server CPU per chat is the steadier
# figure when other work runs on the machine).
#
#   bench/chat_ab.sh [-r rounds] [-s seconds] DIR...   (defaults: 3 rounds, 8 s)
#
# Each DIR is a checkout with a release build (DIR/build/proptalk); the
# conversation script is always this checkout's bench/chat.lua, so the
# client is the same for all.
set -eu
rounds=3
secs=8
while getopts "r:s:" o; do
    case $o in
    r) rounds=$OPTARG ;;
    s) secs=$OPTARG ;;
    *) echo "usage: $0 [-r rounds] [-s seconds] DIR..." >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r rounds] [-s seconds] DIR..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
for dir in "$@"; do
    [ -x "$dir/build/proptalk" ] || { echo "$dir/build/proptalk: not built" >&2; exit 2; }
done
hz=$(getconf CLK_TCK)
. "$here/demo_server.sh"

# run DIR: one health + chat run of DIR's server, one line of results
run() {
    local dir=$1 data port pid key t0 t1 t2 h c
    data=$(mktemp -d)
    demo_server_start "$dir/build/proptalk" "$data"
    t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    h=$( { /usr/bin/time -f "WRKCPU %U %S" wrk -t2 -c100 -d${secs}s -s "$here/health.lua" \
        http://127.0.0.1:$port/health; } 2>&1 )
    t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    c=$( { API_KEY=$key /usr/bin/time -f "WRKCPU %U %S" wrk -t2 -c100 -d${secs}s --timeout 10s \
        -s "$here/chat.lua" http://127.0.0.1:$port/; } 2>&1 )
    t2=$(awk '{print $14 + $15}' /proc/$pid/stat)
    kill $pid
    wait $pid 2> /dev/null || true
    rm -rf "$data"
    python3 - "$dir" "$h" "$c" $t0 $t1 $t2 $hz << 'PY'
import sys, json, re
d, h, c = sys.argv[1:4]
t0, t1, t2, hz = map(int, sys.argv[4:8])
def parse(s):
    j = json.loads(re.search(r'JSON (\{.*\})', s).group(1))
    u, sy = map(float, re.search(r'WRKCPU ([\d.]+) ([\d.]+)', s).groups())
    return j, u + sy
hj, hw = parse(h)
cj, cw = parse(c)
hs = (t1 - t0) / hz * 1e6 / max(hj["requests"], 1)
cs = (t2 - t1) / hz * 1e6 / max(cj["requests"], 1)
print(f"{d:24s} health {hj['rps']:8.0f}/s srv {hs:5.1f}us wrk {hw * 1e6 / max(hj['requests'], 1):5.1f}us"
      f" | chat {cj['rps']:7.0f}/s p50 {cj['p50_ms']:5.2f} p99 {cj['p99_ms']:6.2f}"
      f" srv {cs:6.1f}us wrk {cw * 1e6 / max(cj['requests'], 1):5.1f}us"
      f" err {cj['errors'] + cj['non2xx']} | ratio {cj['rps'] / hj['rps']:.3f}")
PY
}

for _ in $(seq 1 "$rounds"); do
    for dir in "$@"; do
        run "$dir"
    done
done
