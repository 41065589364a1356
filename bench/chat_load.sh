#!/usr/bin/env bash
# Chat load test (issue 2): the release build serves the demo tenants from a
# fresh data folder; wrk drives /health (baseline) and then /api/chat/query
# at 100 connections with whole conversations.  Reports req/s, p50/p99, the
# chat/health ratio, and resident memory after the run.
#   bench/chat_load.sh [seconds] [sync]      sync: full (default) or normal
set -eu
cd "$(dirname "$0")/.."
secs=${1:-15}
sync=${2:-full}
threads=${3:-0}
[ -x build/proptalk ] || make -s
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
PROPTALK_DATA=$data PROPTALK_LOG=error PROPTALK_SQLITE_SYNC=$sync ./build/proptalk serve --demo --port $port $( [ "$threads" -gt 0 ] && echo --threads $threads ) \
    --bind 127.0.0.1 > "$data/out" 2>"$data/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do grep -q listening "$data/out" 2>/dev/null && break; sleep 0.1; done
key=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o=json.loads(l)
    if "demo" in o: print([t["api_key"] for t in o["demo"]["tenants"] if t["slug"]=="dubai-demo"][0])' "$data/out")
rss() { awk '/VmRSS/ {r=$2} /RssAnon/ {a=$2} /RssFile/ {f=$2} END {print r " (anon " a ", file " f ")"}' /proc/$pid/status; }
# server CPU time (user + system) in clock ticks: with other work on the
# machine, CPU per request is steadier than requests per second
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
echo "rss_kb_before $(rss)"
t0=$(ticks)
# wrk's own CPU too (user + sys, from time(1)): it shares the two cores
health_out=$( { /usr/bin/time -f "WRKCPU %U %S" wrk -t2 -c100 -d${secs}s -s bench/health.lua http://127.0.0.1:$port/health; } 2>&1 )
health=$(printf '%s\n' "$health_out" | grep '^JSON' | sed 's/^JSON //')
health_wrk=$(printf '%s\n' "$health_out" | awk '/^WRKCPU/ {print $2 + $3}')
t1=$(ticks)
echo "health $health"
chat_out=$( { API_KEY=$key /usr/bin/time -f "WRKCPU %U %S" wrk -t2 -c100 -d${secs}s --timeout 10s -s bench/chat.lua http://127.0.0.1:$port/; } 2>&1 )
chat=$(printf '%s\n' "$chat_out" | grep '^JSON' | sed 's/^JSON //')
chat_wrk=$(printf '%s\n' "$chat_out" | awk '/^WRKCPU/ {print $2 + $3}')
t2=$(ticks)
echo "chat $chat"
convs=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1])["requests"]/8))' "$chat")
echo "conversations $convs"
echo "rss_kb_after $(rss)"
curl -s http://127.0.0.1:$port/metrics | awk '/^proptalk_commit_batches_total/ {b=$2} /^proptalk_commit_turns_total/ {t=$2}
    /^proptalk_session_lock_waits_total/ {w=$2}
    END {if (b > 0) printf "commit_batches %d turns %d (%.1f turns per commit); messages that waited for their conversation %d\n", b, t, t / b, w}' 
python3 -c 'import json,sys
h=json.loads(sys.argv[1]); c=json.loads(sys.argv[2]); t0,t1,t2,hz=map(int,sys.argv[3:7])
print("ratio_chat_over_health %.3f" % (c["rps"]/h["rps"]))
hu=(t1-t0)/hz*1e6/max(h["requests"],1); cu=(t2-t1)/hz*1e6/max(c["requests"],1)
print("server_cpu_us_per_request health %.1f chat %.1f (ratio %.3f)" % (hu, cu, hu/cu if cu else 0))
hw, cw = float(sys.argv[7] or 0), float(sys.argv[8] or 0)
print("wrk_cpu_us_per_request health %.1f chat %.1f" % (hw*1e6/max(h["requests"],1), cw*1e6/max(c["requests"],1)))' "$health" "$chat" $t0 $t1 $t2 $hz "$health_wrk" "$chat_wrk"
