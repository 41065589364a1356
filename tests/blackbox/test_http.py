"""Black-box tests of the HTTP layer against hostile and careless clients:
raw sockets, so every byte is the test's.

run.py calls run(), which starts servers of its own: a test that finds a
defect may leave its server wedged, and must not take the other tests
with it.
"""
import json
import os
import socket
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, check  # noqa: E402


def chat_bytes(key, query, session_id, user_id, close=True):
    body = json.dumps({"query": query, "session_id": session_id, "user_id": user_id}).encode()
    head = (f"POST /api/chat/query HTTP/1.1\r\nHost: t\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + ("Connection: close\r\n" if close else "") + "\r\n")
    return head.encode() + body


def read_response(s, deadline):
    """(status, body bytes) of one response read from s, or (0, what came) when
    the connection ends or the deadline passes first."""
    data = b""
    while b"\r\n\r\n" not in data:
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except OSError:
            return 0, data
        if not chunk:
            return 0, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        rest += chunk
    return int(head.split(b" ")[1]), rest


def exchange(srv, raw, timeout=60):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    try:
        s.sendall(raw)
        return read_response(s, time.time() + timeout)
    finally:
        s.close()


def messages(srv, like):
    con = sqlite3.connect(f"file:{srv.data}/proptalk.db?mode=ro", uri=True, timeout=30)
    n = con.execute("select count(*) from messages where session_id like ?", (like,)).fetchone()[0]
    con.close()
    return n


def test_clients_gone_mid_turn():
    """Many messages of a few buyers at once, in several sessions each, and
    every other client hangs up as soon as its request is sent: the turns
    queue for the session's and the buyer's locks with their connections
    suspended, and a connection whose client is gone is found closed when
    it is resumed.  Its turn must still end without holding up the
    worker thread (the other connections of the thread include the one the
    buyer's lock was handed to)."""
    srv = Server().start()
    try:
        key = srv.keys["dubai-demo"]
        buyers, sessions, per_session = 4, 6, 5
        socks, kept = [], []
        for m in range(per_session):
            for b in range(buyers):
                for s in range(sessions):
                    c = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
                    c.sendall(chat_bytes(key, f"a villa in JVC, message {m}", f"gone-{b}-{s}", f"gone-buyer-{b}"))
                    socks.append(c)
        for i, c in enumerate(socks):
            if i % 2:
                c.close()
            else:
                kept.append(c)
        deadline = time.time() + 120
        answered = 0
        for c in kept:
            st, _ = read_response(c, deadline)
            answered += st == 200
            c.close()
        check(answered == len(kept), "every client that waited is answered", f"{answered} of {len(kept)}")
        late = 0
        for b in range(buyers):
            st, _ = exchange(srv, chat_bytes(key, "hello again", f"gone-late-{b}", f"gone-buyer-{b}"), timeout=30)
            late += st == 200
        check(late == buyers, "the buyers' next messages are answered", f"{late} of {buyers}")
        st, _ = exchange(srv, b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", timeout=30)
        check(st == 200, "the server still answers /health", f"{st}")
        want = 2 * (len(socks) + buyers)
        n = messages(srv, "gone-%")
        check(n == want, "the transcript holds every turn whose request was sent whole", f"{n} of {want}")
    finally:
        t0 = time.time()
        rc = srv.stop()
        check(rc == 0, "and SIGTERM still exits 0", f"rc={rc} after {time.time() - t0:.0f} s "
              f"{srv.stderr_text()[-2000:]}")
        srv.cleanup()


def test_body_framing(srv):
    """A body whose length is not clear is refused at once (400, the
    connection closed): a Transfer-Encoding but chunked, two of them,
    Content-Length with Transfer-Encoding, or Content-Lengths that differ
    (RFC 9112 6.1, 6.3).  libmicrohttpd alone reads the first case to the
    connection's end (no answer until its timeout) and takes the first of
    two lengths (a proxy taking the last sees another request: smuggling)."""
    key = srv.keys["dubai-demo"]
    body = json.dumps({"query": "hi", "session_id": "framing-1", "user_id": "framing-u"}).encode()
    head = f"POST /api/chat/query HTTP/1.1\r\nHost: t\r\nX-API-Key: {key}\r\n".encode()
    chunked = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    cases = [
        ("Transfer-Encoding: gzip", head + b"Transfer-Encoding: gzip\r\n\r\n" + body),
        ("Transfer-Encoding: gzip, chunked", head + b"Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked),
        ("two Transfer-Encodings", head + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n" + chunked),
        ("Content-Length and Transfer-Encoding",
         head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked),
        ("two Content-Lengths that differ",
         head + b"Content-Length: %d\r\nContent-Length: 5\r\n\r\n" % len(body) + body),
        ("Content-Length: 0 and another", head + b"Content-Length: 0\r\nContent-Length: 33\r\n\r\n"
         b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"),
        ("a GET with Transfer-Encoding: gzip", b"GET /health HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"),
    ]
    for what, raw in cases:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        t0 = time.time()
        try:
            s.sendall(raw)
            st, text = read_response(s, t0 + 10)
            s.settimeout(10)
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
            except OSError:
                closed = True   # reset
        finally:
            s.close()
        try:
            code = json.loads(text)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        check(st == 400 and code and closed and time.time() - t0 < 10,
              f"{what}: 400 with the error body at once, the connection closed",
              f"{st} {text[:200]!r} closed={closed} after {time.time() - t0:.1f} s")
    st, text = exchange(srv, head + b"Content-Length: %d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                        % (len(body), len(body)) + body)
    check(st == 200, "two equal Content-Lengths are one", f"{st} {text[:200]!r}")
    st, text = exchange(srv, head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked)
    check(st == 200, "a chunked body is read", f"{st} {text[:200]!r}")


def test_absolute_form(srv):
    """A request target in the absolute form is served as its path (RFC 9112
    3.2.2: a server must accept it)."""
    key = srv.keys["dubai-demo"]
    st, text = exchange(srv, f"GET http://127.0.0.1:{srv.port}/health HTTP/1.1\r\nHost: t\r\n"
                        "Connection: close\r\n\r\n".encode())
    check(st == 200 and b'"ok"' in text, "GET http://host:port/health is /health", f"{st} {text[:200]!r}")
    raw = chat_bytes(key, "hi", "absolute-1", "absolute-u")
    raw = raw.replace(b"POST /api/chat/query", b"POST HTTP://127.0.0.1/api/chat/query?x=1", 1)
    st, text = exchange(srv, raw)
    check(st == 200 and b'"answer"' in text, "POST HTTP://host/api/chat/query?x=1 is the chat", f"{st} {text[:200]!r}")
    st, text = exchange(srv, b"GET http://127.0.0.1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    check(st == 404 and b"not_found" in text, "GET http://host (the path /) is 404", f"{st} {text[:200]!r}")


def test_busy_conversation(srv):
    """200 messages of one conversation at once: each is answered, 200 or
    429 once 64 wait for the session's turn (the 429 says so, in words for
    the client, not the lock's), and the transcript holds each answered
    turn once, its answer with it."""
    key = srv.keys["dubai-demo"]
    socks = []
    for i in range(200):
        c = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
        socks.append(c)
    for i, c in enumerate(socks):
        c.sendall(chat_bytes(key, f"villa in JVC, message {i}", "busy-1", "busy-u"))
    deadline = time.time() + 120
    status, busy = {}, []
    for i, c in enumerate(socks):
        st, text = read_response(c, deadline)
        status[i] = st
        if st == 429:
            busy.append(text)
        c.close()
    ok = [i for i, st in status.items() if st == 200]
    check(all(st in (200, 429) for st in status.values()), "200 messages at once: each is answered 200 or 429",
          str({st for st in status.values()}))
    # whether 64 wait at once depends on the machine's pace (none did in a
    # clean-clone CI run under ASan): the wording is checked when they did
    check(all(b"this conversation are already waiting" in t for t in busy),
          "a 429 says the conversation's messages are waiting" + ("" if busy else " (no 429 this run)"),
          str(busy[:1]))
    con = sqlite3.connect(f"file:{srv.data}/proptalk.db?mode=ro", uri=True, timeout=30)
    rows = con.execute("select user_text, assistant_text from turns where session_id = 'busy-1' order by id").fetchall()
    con.close()
    stored = sorted(int(u.rsplit(" ", 1)[1]) for u, _ in rows)
    check(stored == sorted(ok) and all(a for _, a in rows), "the transcript holds each answered turn once, answered",
          f"{len(stored)} stored, {len(ok)} answered")


def run():
    for t in (test_clients_gone_mid_turn,):
        try:
            t()
        except Exception as e:  # a crash of the test is a failure, not an abort
            check(False, f"{t.__name__} ran", repr(e))
    srv = Server().start()
    try:
        for t in (test_body_framing, test_absolute_form, test_busy_conversation):
            try:
                t(srv)
            except Exception as e:
                check(False, f"{t.__name__} ran", repr(e))
    finally:
        rc = srv.stop()
        check(rc == 0, "test_http: server exits 0 on SIGTERM", f"rc={rc} {srv.stderr_text()[-2000:]}")
        srv.cleanup()


if __name__ == "__main__":
    from harness import summary
    run()
    sys.exit(summary())
