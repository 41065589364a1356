"""Black-box test of a hard kill under load: "each turn is durable before
its answer leaves; a restart loses nothing and continues every
conversation where it was" (issue 2).

Many buyers talk at once, each thread one conversation after another on a
kept-alive connection, scripted from a greeting to a booked viewing, and
record every answer they get.  At a random moment (a random number of
answers in) the server is sent SIGKILL, and started again on the same data.
Then, for every conversation:

 - the transcript (the turns table, in id order) holds every turn that was
   answered 200 before the kill, in the order sent, with the answer the
   buyer got; the one message in flight at the kill (sent, no answer) may
   be there after them or not, and nothing else is;
 - the stored session state is the one its last stored turn left: as many
   turns counted as the transcript holds, the state and pending question
   of its last answer, and, when the message in flight was lost, the slots
   the last answer showed (never state without its transcript line, nor a
   line without its state);
 - a viewing whose booking was answered exists once, under that id; one
   booked by the message in flight exists only with its turn; none other;
 - the next message after the restart is answered as the continuation: the
   same slots, no question for a slot already filled, the same appointment,
   one more turn counted.

PROPTALK_CRASH_SEED=N repeats a run's number of answers before the kill
(the seed is in every check's line; the moment within the turns in flight
is the machine's).  run.py calls run(), which starts a server of its own.
"""
import http.client
import json
import os
import random
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, check  # noqa: E402

THREADS = 24
SLOT = object()   # the script's step "press the first offered slot"
DAYS = ["tomorrow", "on Saturday", "next Monday", "on Tuesday", "on Wednesday", "on Thursday"]
# (tenant, steps): {n} is the conversation's number, {day} a day for the visit
SCRIPTS = [
    ("dubai-demo", ["hi", "2 bedroom apartment in Dubai Marina around 2 million", "for investment",
                    "+971 50 412 {n:04d}", "I'd like to book a viewing {day}", SLOT, "thanks"]),
    ("dubai-demo", ["hello", "my budget is 3 million AED", "a villa please", "to live in",
                    "Arabian Ranches", "+971 55 300 {n:04d}", "can I see it {day}?", SLOT, "great"]),
    ("bangalore-demo", ["hello", "Show me 2BHK in Whitefield under 2 Cr", "+91 98450 1{n:04d}",
                        "can I visit {day}?", SLOT, "ok"]),
    ("bangalore-demo", ["hi there", "3 BHK villa", "around 4 crore", "Sarjapur Road", "for my family",
                        "+91 99000 2{n:04d}", "I want to visit {day}", SLOT]),
]
# slot of the session record filled, per pending question
FILLED = {"purpose": lambda st: st.get("purpose"),
          "budget": lambda st: st.get("budget_min") is not None or st.get("budget_max") is not None,
          "property_type": lambda st: st.get("property_type"),
          "transaction": lambda st: st.get("transaction"),
          "bedrooms": lambda st: st.get("bedrooms") is not None,
          "location": lambda st: st.get("locations")}


class Conversation:
    def __init__(self, run, thread, n):
        self.tenant, steps = SCRIPTS[(thread + n) % len(SCRIPTS)]
        self.session_id = f"crash-{run}-{thread}-{n}"
        self.user_id = f"crash-{run}-u{thread}"   # a thread's conversations are one buyer's
        day = DAYS[(thread * 7 + n) % len(DAYS)]
        self.steps = [s if s is SLOT else s.format(n=(thread * 100 + n) % 10000, day=day) for s in steps]
        self.answered = []    # (user text as stored, answer object), in order
        self.in_flight = None  # the user text of the message sent without an answer


def norm_slots(sl):
    return {k: v for k, v in (sl or {}).items() if v is not None and v != []}


class Load:
    """THREADS buyers talking until the server is gone."""

    def __init__(self, srv, run):
        self.srv, self.run = srv, run
        self.convs = []
        self.answers = 0
        self.unexpected = []   # answers that were neither 200 nor a dead server
        self.mu = threading.Lock()
        self.threads = [threading.Thread(target=self.buyer, args=(i,), daemon=True) for i in range(THREADS)]

    def send(self, conn, c, query, callback):
        body = {"query": query, "session_id": c.session_id, "user_id": c.user_id}
        if callback:
            body["callback_data"] = callback
        conn.request("POST", "/api/chat/query", json.dumps(body),
                     {"X-API-Key": self.srv.keys[c.tenant], "Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.read()

    def buyer(self, i):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=60)
        try:
            for n in range(1000):
                c = Conversation(self.run, i, n)
                with self.mu:
                    self.convs.append(c)
                last = None
                for step in c.steps:
                    if step is SLOT:
                        slots = [b["data"] for b in last.get("buttons", []) if b["data"].startswith("slot:")]
                        if not slots:
                            break   # no viewing offered: the conversation ends here
                        query, callback, stored = "", slots[0], "[button] " + slots[0]
                    else:
                        query, callback, stored = step, None, step
                    c.in_flight = stored
                    try:
                        status, raw = self.send(conn, c, query, callback)
                    except (OSError, http.client.HTTPException):
                        return   # the server is gone (or going): this message is in flight
                    if status != 200:
                        with self.mu:
                            self.unexpected.append(f"{c.session_id} {stored!r}: {status} {raw[:200]!r}")
                        return
                    last = json.loads(raw)
                    c.in_flight = None
                    c.answered.append((stored, last))
                    with self.mu:
                        self.answers += 1
        finally:
            conn.close()


def read_store(srv):
    """Every crash- conversation's transcript, state and appointments, and
    every crash- buyer's profile and lead, read-only."""
    con = sqlite3.connect(f"file:{srv.data}/proptalk.db?mode=ro", uri=True, timeout=30)
    try:
        rows, states, appts, buyers = {}, {}, {}, {}
        for sid, u, a, meta in con.execute("select session_id, user_text, assistant_text, assistant_meta "
                                           "from turns where session_id like 'crash-%' order by id"):
            rows.setdefault(sid, []).append((u, a, json.loads(meta) if meta else None))
        for sid, js in con.execute("select session_id, state_json from sessions where session_id like 'crash-%'"):
            states[sid] = json.loads(js) if js else None
        for aid, sid in con.execute("select id, session_id from appointments where session_id like 'crash-%'"):
            appts.setdefault(sid, []).append(aid)
        for slug, uid, js, sid, state in con.execute(
                "select t.slug, p.user_id, p.json, p.session_id, p.state from profiles p"
                " join tenants t on t.id = p.tenant_id where p.user_id like 'crash-%'"):
            buyers[(slug, uid)] = (json.loads(js) if js else {}, sid, state)
        return rows, states, appts, buyers
    finally:
        con.close()


def verify_buyers(convs, rows, states, buyers):
    """Each buyer's profile (per tenant) against the stored turns of their
    conversations, which ran one after another: as many sessions counted
    as have turns, the lead naming the latest and its state; a list of
    problems."""
    bad = []
    mine = {}
    for c in convs:   # in the order each thread began them
        if rows.get(c.session_id):
            mine.setdefault((c.tenant, c.user_id), []).append(c.session_id)
    for key in sorted(set(mine) | set(buyers)):
        sids = mine.get(key, [])
        if key not in buyers or not sids:
            bad.append(f"{key}: sessions with turns {sids}, profile {buyers.get(key)}")
            continue
        prof, lead_sid, lead_state = buyers[key]
        last = sids[-1]
        if prof.get("sessions") != len(sids) or prof.get("last_session") != last or lead_sid != last or \
                lead_state != (states.get(last) or {}).get("state"):
            bad.append(f"{key}: profile counts {prof.get('sessions')} sessions, last {prof.get('last_session')}, "
                       f"lead {lead_sid} {lead_state}; the store holds turns of {sids}, the last "
                       f"{(states.get(last) or {}).get('state')}")
    return bad


def verify_stored(convs, rows, states, appts):
    """What the store holds after the restart against what the buyers were
    answered before the kill; a list of problems."""
    bad = []
    known = {c.session_id for c in convs}
    for sid in sorted((set(rows) | set(states) | set(appts)) - known):
        bad.append(f"{sid}: stored, but no buyer ever sent to it")
    for c in convs:
        sid, got = c.session_id, rows.get(c.session_id, [])
        k = len(c.answered)
        want = [(u, a["answer"]) for u, a in c.answered]
        if [(u, a) for u, a, _ in got[:k]] != want:
            bad.append(f"{sid}: transcript {[(u, a[:40] if a else a) for u, a, _ in got]} does not begin with "
                       f"the {k} answered turns {[u for u, _ in want]}")
            continue
        extra = got[k:]
        kept = len(extra) == 1 and c.in_flight is not None and extra[0][0] == c.in_flight and extra[0][1]
        if extra and not kept:
            bad.append(f"{sid}: after the {k} answered turns the transcript holds {extra!r} "
                       f"(in flight: {c.in_flight!r})")
            continue
        st = states.get(sid)
        if not got:
            if st is not None:
                bad.append(f"{sid}: a session state {st} without a transcript")
            if appts.get(sid):
                bad.append(f"{sid}: appointments {appts[sid]} without a transcript")
            continue
        if st is None:
            bad.append(f"{sid}: {len(got)} transcript turns and no session state")
            continue
        meta = got[-1][2] or {}
        if st.get("turns") != len(got) or st.get("state") != meta.get("state") or \
                st.get("pending") != meta.get("pending_slot"):
            bad.append(f"{sid}: the state counts {st.get('turns')} turns, {st.get('state')}/{st.get('pending')}; "
                       f"the transcript holds {len(got)}, its last {meta}")
        if not kept:
            last = c.answered[-1][1]
            if norm_slots(st.get("slots")) != norm_slots(last["slots"]) or st.get("state") != last["state"]:
                bad.append(f"{sid}: stored {st.get('state')} {st.get('slots')}, last answered "
                           f"{last['state']} {norm_slots(last['slots'])}")
        booked = {a["appointment"]["id"] for _, a in c.answered if a.get("state") == "COMPLETED" and a.get("appointment")}
        have = appts.get(sid, [])
        if len(have) != len(set(have)) or len(have) > 1:
            bad.append(f"{sid}: appointments {have}")
        if not booked <= set(have):
            bad.append(f"{sid}: answered bookings {sorted(booked)}, stored {have}")
        if set(have) - booked and not (kept and st.get("appointment_id") in have):
            bad.append(f"{sid}: appointment {have} never answered, and not with the kept turn in flight")
        if st.get("appointment_id") != (have[0] if have else None):
            bad.append(f"{sid}: the state names appointment {st.get('appointment_id')}, the store holds {have}")
    return bad


def continue_all(srv, convs, states):
    """One more message in each conversation the store holds; a list of
    problems with the answers."""
    bad = []
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        for c in convs:
            st = states.get(c.session_id)
            if not st:
                continue
            body = {"query": "what was I doing?", "session_id": c.session_id, "user_id": c.user_id}
            conn.request("POST", "/api/chat/query", json.dumps(body),
                         {"X-API-Key": srv.keys[c.tenant], "Content-Type": "application/json"})
            r = conn.getresponse()
            raw = r.read()
            if r.status != 200:
                bad.append(f"{c.session_id}: {r.status} {raw[:200]!r}")
                continue
            a = json.loads(raw)
            if norm_slots(a["slots"]) != norm_slots(st.get("slots")):
                bad.append(f"{c.session_id}: slots {norm_slots(a['slots'])} after the restart, "
                           f"{norm_slots(st.get('slots'))} before")
            p = a.get("pending_slot")
            if p in FILLED and FILLED[p](norm_slots(st.get("slots"))):
                bad.append(f"{c.session_id}: asks for {p} again ({norm_slots(st.get('slots'))})")
            if st.get("phone") and p == "phone":
                bad.append(f"{c.session_id}: asks for the phone again")
            if st.get("appointment_id") and (a.get("appointment") or {}).get("id") != st["appointment_id"]:
                bad.append(f"{c.session_id}: appointment {a.get('appointment')} after the restart, "
                           f"{st['appointment_id']} before")
    finally:
        conn.close()
    return bad


def test_kill_under_load():
    seed = int(os.environ.get("PROPTALK_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
    rnd = random.Random(seed)
    tag = f"(seed {seed})"
    srv = Server().start()
    try:
        load = Load(srv, seed)
        target = rnd.randrange(60, 400)   # answers before the kill (a conversation books at 6-9)
        for t in load.threads:
            t.start()
        deadline = time.time() + 60
        while load.answers < target and time.time() < deadline and any(t.is_alive() for t in load.threads):
            time.sleep(0.001)
        answered = load.answers
        srv.stop(signal.SIGKILL)   # no clean shutdown: what was answered must be on disk
        for t in load.threads:
            t.join(60)
        check(not load.unexpected, f"kill under load: every answer before the kill was 200 {tag}",
              str(load.unexpected[:3]))
        check(answered >= target and sum(c.in_flight is not None for c in load.convs) > 0,
              f"kill under load: SIGKILL came mid-load, {answered} answers in {tag}",
              f"{answered} of {target} answers, {sum(c.in_flight is not None for c in load.convs)} in flight")
        srv.start()
        rows, states, appts, buyers = read_store(srv)
        convs = load.convs
        n_kept = sum(1 for c in convs if c.in_flight is not None
                     and len(rows.get(c.session_id, [])) > len(c.answered))
        booked = sum(any(a["state"] == "COMPLETED" and a.get("appointment") for _, a in c.answered) for c in convs)
        bad = verify_stored(convs, rows, states, appts)
        check(not bad, f"kill under load: {len(convs)} conversations, {sum(len(c.answered) for c in convs)} "
              f"answered turns ({booked} bookings), each stored whole, state with transcript "
              f"({n_kept} in flight kept) {tag}",
              "\n  " + "\n  ".join(bad[:8]))
        bad = verify_buyers(convs, rows, states, buyers)
        check(not bad, f"kill under load: each buyer's profile and lead agree with the stored turns {tag}",
              "\n  " + "\n  ".join(bad[:8]))
        bad = continue_all(srv, convs, states)
        check(not bad, f"kill under load: after the restart every conversation continues where it was {tag}",
              "\n  " + "\n  ".join(bad[:8]))
        rows2, states2, _, _ = read_store(srv)
        grew = [c.session_id for c in convs if states.get(c.session_id) and (
            len(rows2.get(c.session_id, [])) != len(rows[c.session_id]) + 1
            or states2[c.session_id].get("turns") != states[c.session_id].get("turns") + 1)]
        check(not grew, f"kill under load: the message after the restart is one more turn of each {tag}",
              str(grew[:5]))
    finally:
        rc = srv.stop()
        check(rc == 0, "kill under load: the restarted server exits 0 on SIGTERM", f"rc={rc} {srv.stderr_text()[-2000:]}")
        srv.cleanup()


def run():
    try:
        test_kill_under_load()
    except Exception as e:  # a crash of the test is a failure, not an abort
        check(False, "test_kill_under_load ran", repr(e))


if __name__ == "__main__":
    from harness import summary
    run()
    sys.exit(summary())
