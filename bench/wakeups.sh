#!/usr/bin/env bash
# Where the idle time of a chat load goes (issue 2, BENCHMARKS.md session 10):
# starts the release server on the demo tenants, drives bench/chat.lua at 100
# connections, records every context switch and wake-up of the machine for
# one second with perf, and prints
#   - the idle share of the CPUs and how it splits by the length of the idle
#     periods (short gaps between wake-ups, or long stretches);
#   - what the other CPU ran while one was idle for 200 us or more;
#   - the wake-ups that put a thread on a busy CPU while another CPU was
#     idle, how long they waited to run, and who woke whom.
#
#   bench/wakeups.sh [seconds of trace, default 1]
#
# Needs perf with access to the sched tracepoints (root, or
# kernel.perf_event_paranoid <= -1) and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
secs=${1:-1}
command -v perf > /dev/null || { echo "wakeups.sh: perf is not installed" >&2; exit 2; }
command -v wrk > /dev/null || { echo "wakeups.sh: wrk is not installed" >&2; exit 2; }
[ -x "$root/build/proptalk" ] || make -C "$root" -s build/proptalk
work=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || { kill $pid 2> /dev/null || true; wait $pid 2> /dev/null || true; }; rm -rf "$work"' EXIT
. "$here/demo_server.sh"
demo_server_start "$root/build/proptalk" "$work"
API_KEY=$key wrk -t2 -c100 -d$((secs + 4))s --timeout 10s -s "$here/chat.lua" \
    http://127.0.0.1:$port/ > "$work/wrk" &
wrk_pid=$!
sleep 2
perf record -q -a -e sched:sched_switch -e sched:sched_wakeup -o "$work/sched.data" \
    -- sleep "$secs" 2> /dev/null
wait $wrk_pid
perf script -i "$work/sched.data" -F cpu,time,event,trace 2> /dev/null > "$work/sched.txt"
python3 - "$work/sched.txt" << 'PY'
import collections, re, sys

switch = re.compile(r'prev_comm=(.*?) prev_pid=(\d+) .* ==> next_comm=(.*?) next_pid=(\d+)')
wakeup = re.compile(r'comm=(.*?) pid=(\d+) prio=\d+ target_cpu=(\d+)')
rows = []
for line in open(sys.argv[1]):
    m = re.match(r'\[(\d+)\]\s+([\d.]+): sched:(\w+): (.*)', line)
    if m:
        rows.append((float(m.group(2)), int(m.group(1)), m.group(3), m.group(4)))
rows.sort()
if not rows:
    sys.exit("wakeups.sh: no sched events recorded (perf permissions?)")
cpus = sorted({r[1] for r in rows})
state = {c: '?' for c in cpus}        # what each CPU runs now ('IDLE' for the idle task)
since = {}                            # cpu -> (start of its current run, what it runs)
spans = collections.defaultdict(list) # cpu -> [(start, end, what)]
pending = {}                          # pid -> (woken at, target cpu, comm, waker, others idle)
misplaced = collections.Counter()
waited = collections.Counter()
for t, cpu, ev, tr in rows:
    if ev == 'sched_wakeup':
        w = wakeup.search(tr)
        if not w:
            continue
        target = int(w.group(3))
        others_idle = any(state[c] == 'IDLE' for c in cpus if c != target)
        pending[int(w.group(2))] = (t, target, w.group(1), state[cpu],
                                    state[target] != 'IDLE' and others_idle)
    elif ev == 'sched_switch':
        w = switch.search(tr)
        if not w:
            continue
        nxt = 'IDLE' if int(w.group(4)) == 0 else w.group(3)
        if cpu in since:
            spans[cpu].append((since[cpu][0], t, since[cpu][1]))
        since[cpu] = (t, nxt)
        state[cpu] = nxt
        p = pending.pop(int(w.group(4)), None)
        if p and p[4]:
            key = (p[3], p[2])
            misplaced[key] += 1
            waited[key] += t - p[0]

window = rows[-1][0] - rows[0][0]
idle = [(s, e) for c in cpus for s, e, what in spans[c] if what == 'IDLE']
total_idle = sum(e - s for s, e in idle)
print("trace %.2f s over %d CPUs: idle %.1f%% (%d periods)"
      % (window, len(cpus), 100 * total_idle / (window * len(cpus)), len(idle)))
edges = [0, 20e-6, 100e-6, 200e-6, 1e-3, 1e9]
names = ["< 20 us", "20-100 us", "100-200 us", "200 us-1 ms", ">= 1 ms"]
by_len = collections.Counter()
for s, e in idle:
    for i in range(len(edges) - 1):
        if edges[i] <= e - s < edges[i + 1]:
            by_len[i] += e - s
for i, n in enumerate(names):
    print("  idle periods %-12s %6.1f ms" % (n, 1000 * by_len[i]))
other = collections.Counter()
for c in cpus:
    for s, e, what in spans[c]:
        if what != 'IDLE' or e - s < 200e-6:
            continue
        for c2 in cpus:
            if c2 == c:
                continue
            for s2, e2, what2 in spans[c2]:
                if e2 > s and s2 < e:
                    other[what2] += min(e, e2) - max(s, s2)
tot = sum(other.values())
if tot:
    print("while a CPU was idle >= 200 us, the others ran:")
    for what, v in other.most_common(6):
        print("  %-16s %5.1f%%" % (what, 100 * v / tot))
n = sum(misplaced.values())
print("wake-ups onto a busy CPU while another was idle: %d, waiting %.1f ms in all"
      % (n, 1000 * sum(waited.values())))
for (waker, woken), k in misplaced.most_common(8):
    print("  %-16s -> %-16s %5d  %6.1f ms" % (waker, woken, k, 1000 * waited[(waker, woken)]))
PY
