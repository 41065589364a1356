#!/usr/bin/env bash
# Chat load test (issue 2): the release build serves the demo tenants from a
# fresh data folder; wrk drives /health (baseline) and /api/chat/query at 100
# connections with whole conversations.  Reports req/s, p50/p99, the
# chat/health ratio, CPU per request, and resident memory after the run.
#
#   bench/chat_load.sh [seconds] [sync] [threads] [pairs]
#
# seconds: of /health and of chat each (default 15).  sync: full (default)
# or normal.  threads: serve --threads (0: the server's default).  pairs:
# the seconds are cut into this many /health + chat windows, alternately
# (default 1: all of /health, then all of chat).  The machine's speed moves
# within a minute (other guests: see the steal column; idle is the share of
# the machine neither the server nor wrk used, idle + iowait), so with pairs > 1
# each chat window is compared with the /health window just before it, and
# the median of those ratios is printed with the overall one.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-15}
sync=${2:-full}
threads=${3:-0}
pairs=${4:-1}
[ "$pairs" -ge 1 ] || { echo "pairs must be >= 1" >&2; exit 2; }
win=$(( secs / pairs ))
[ "$win" -ge 1 ] || { echo "seconds / pairs must be >= 1" >&2; exit 2; }
[ -x build/proptalk ] || make -s
data=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || { kill $pid 2> /dev/null || true; wait $pid 2> /dev/null || true; }; rm -rf "$data"' EXIT
. bench/demo_server.sh
PROPTALK_SQLITE_SYNC=$sync demo_server_start ./build/proptalk "$data" \
    $( [ "$threads" -gt 0 ] && echo --threads $threads )
rss() { awk '/VmRSS/ {r=$2} /RssAnon/ {a=$2} /RssFile/ {f=$2} END {print r " (anon " a ", file " f ")"}' /proc/$pid/status; }
# server CPU time (user + system) in clock ticks: with other work on the
# machine, CPU per request is steadier than requests per second
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
# the machine's steal ticks (time another guest had our cores), all ticks,
# and idle + iowait ticks (time neither the server nor wrk had work)
steal() { awk '/^cpu / {s = 0; for (i = 2; i <= NF; i++) s += $i; print $9, s, $5 + $6}' /proc/stat; }
echo "rss_kb_before $(rss)"
runs=0   # chat windows so far: each names its conversations apart (chat.lua's RUN)
# One window: KIND (health or chat) for $win seconds; prints one line
# "KIND <wrk JSON> server_ticks wrk_cpu_s steal_ticks all_ticks idle_ticks".
# wrk's own CPU (user + sys, from time(1)) is kept: it shares the two cores.
window() {
    local kind=$1 out t0 t1 s0 s1
    t0=$(ticks); s0=$(steal)
    if [ "$kind" = health ]; then
        out=$( { /usr/bin/time -f "WRKCPU %U %S" wrk -t2 -c100 -d${win}s -s bench/health.lua \
            http://127.0.0.1:$port/health; } 2>&1 )
    else
        runs=$((runs + 1))
        out=$( { RUN=$runs API_KEY=$key /usr/bin/time -f "WRKCPU %U %S" wrk -t2 -c100 -d${win}s --timeout 10s \
            -s bench/chat.lua http://127.0.0.1:$port/; } 2>&1 )
    fi
    t1=$(ticks); s1=$(steal)
    printf '%s %s %d %s %s\n' "$kind" "$(printf '%s\n' "$out" | grep '^JSON' | sed 's/^JSON //')" \
        $((t1 - t0)) "$(printf '%s\n' "$out" | awk '/^WRKCPU/ {print $2 + $3}')" \
        "$(echo $s0 $s1 | awk '{print $4 - $1, $5 - $2, $6 - $3}')"
}
results=$(for _ in $(seq 1 "$pairs"); do window health; window chat; done)
echo "rss_kb_after $(rss)"
curl -s http://127.0.0.1:$port/metrics | awk '/^proptalk_commit_batches_total/ {b=$2} /^proptalk_commit_turns_total/ {t=$2}
    /^proptalk_session_lock_waits_total/ {w=$2}
    END {if (b > 0) printf "commit_batches %d turns %d (%.1f turns per commit); messages that waited for their conversation %d\n", b, t, t / b, w}'
printf '%s\n' "$results" | python3 -c '
import json, sys, re, statistics
hz = int(sys.argv[1])
rows = []
for line in sys.stdin:
    m = re.match(r"(\w+) (\{.*\}) (\d+) ([\d.]+) (\d+) (\d+) (\d+)$", line.strip())
    if not m:
        sys.exit("chat_load: a wrk run gave no result: " + line.strip())
    j = json.loads(m.group(2))
    rows.append((m.group(1), j, int(m.group(3)), float(m.group(4)), int(m.group(5)), int(m.group(6)),
                 int(m.group(7))))
def us(ticks, n): return ticks / hz * 1e6 / max(n, 1)
def agg(kind):
    rs = [r for r in rows if r[0] == kind]
    n = sum(r[1]["requests"] for r in rs); d = sum(r[1]["duration_s"] for r in rs)
    return {"requests": n, "rps": n / d, "srv": us(sum(r[2] for r in rs), n),
            "wrk": sum(r[3] for r in rs) * 1e6 / max(n, 1),
            "errors": sum(r[1]["errors"] + r[1]["non2xx"] for r in rs),
            "p50": max(r[1]["p50_ms"] for r in rs), "p99": max(r[1]["p99_ms"] for r in rs)}
pairs = [(rows[i], rows[i + 1]) for i in range(0, len(rows), 2)]
if len(pairs) > 1:
    print("window  health/s  srv_us wrk_us steal idle |  chat/s  p50_ms  p99_ms  srv_us wrk_us"
          " steal idle | ratio")
    for k, (h, c) in enumerate(pairs, 1):
        hj, cj = h[1], c[1]
        print("%6d %9.0f %7.1f %6.1f %4.0f%% %3.0f%% | %7.0f %7.2f %7.2f %7.1f %6.1f %4.0f%% %3.0f%% | %.3f" % (
            k, hj["rps"], us(h[2], hj["requests"]), h[3] * 1e6 / max(hj["requests"], 1),
            100.0 * h[4] / max(h[5], 1), 100.0 * h[6] / max(h[5], 1), cj["rps"], cj["p50_ms"],
            cj["p99_ms"], us(c[2], cj["requests"]), c[3] * 1e6 / max(cj["requests"], 1),
            100.0 * c[4] / max(c[5], 1), 100.0 * c[6] / max(c[5], 1), cj["rps"] / hj["rps"]))
h, c = agg("health"), agg("chat")
print("health {\"requests\": %d, \"rps\": %.1f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"errors\": %d}" % (
    h["requests"], h["rps"], h["p50"], h["p99"], h["errors"]))
print("chat {\"requests\": %d, \"rps\": %.1f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"errors\": %d}" % (
    c["requests"], c["rps"], c["p50"], c["p99"], c["errors"]))
if len(pairs) > 1:
    print("(p50_ms and p99_ms above: the worst window\x27s)")
print("conversations %d" % (c["requests"] // 8))
print("ratio_chat_over_health %.3f" % (c["rps"] / h["rps"]))
if len(pairs) > 1:
    print("ratio_median_of_windows %.3f" % statistics.median(
        p[1][1]["rps"] / p[0][1]["rps"] for p in pairs))
print("server_cpu_us_per_request health %.1f chat %.1f (ratio %.3f)" % (
    h["srv"], c["srv"], h["srv"] / c["srv"] if c["srv"] else 0))
print("wrk_cpu_us_per_request health %.1f chat %.1f" % (h["wrk"], c["wrk"]))
' "$(getconf CLK_TCK)"
