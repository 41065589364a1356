"""Black-box test harness: starts the real proptalk server on a loopback
port with a fresh data folder, talks HTTP to it, and counts checks.

Only the Python standard library is used.  Every check prints what it
checks; the run closes with "blackbox: N passed, N failed".
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = os.environ.get("PROPTALK_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "proptalk"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

passed = 0
failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what} {detail}")
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A proptalk server process with its own data folder."""

    def __init__(self, data_dir=None, demo=True, env=None):
        self.own_dir = data_dir is None
        self.data = data_dir or tempfile.mkdtemp(prefix="proptalk-bb-")
        self.demo = demo
        self.env = env or {}
        self.proc = None
        self.keys = {}
        self.admin = None

    def start(self, timeout=120):
        self.port = free_port()
        env = dict(os.environ)
        env.update({"PROPTALK_DATA": self.data, "PROPTALK_PACKS": os.path.join(ROOT, "packs"),
                    "PROPTALK_LOG": "warn"})
        env.update(self.env)
        args = [BIN, "serve", "--port", str(self.port), "--bind", "127.0.0.1"]
        if self.demo:
            args.append("--demo")
        self.stderr = open(os.path.join(self.data, "stderr.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr, env=env, cwd=ROOT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.data}/stderr.log:\n"
                                       + open(os.path.join(self.data, "stderr.log")).read()[-3000:])
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if "demo" in obj:
                for t in obj["demo"]["tenants"]:
                    self.keys[t["slug"]] = t["api_key"]
                self.admin = obj["demo"].get("admin")
            if "listening" in obj:
                return self
        raise RuntimeError("server did not start in time")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        if self.stderr:
            self.stderr.close()
            self.stderr = None
        return rc

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data, ignore_errors=True)

    def stderr_text(self):
        try:
            return open(os.path.join(self.data, "stderr.log"), errors="replace").read()
        except OSError:
            return ""


def request(server, method, path, body=None, headers=None, raw=None, timeout=30):
    """Returns (status, parsed JSON or text, headers)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(server.url(path), data=data, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if data is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, payload, hdrs = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, payload, hdrs = e.code, e.read(), e.headers
    text = payload.decode("utf-8", errors="replace")
    try:
        return status, json.loads(text), hdrs
    except ValueError:
        return status, text, hdrs


class Chat:
    """One buyer conversation."""

    def __init__(self, server, tenant, session_id, user_id=None):
        self.server = server
        self.key = server.keys[tenant]
        self.session_id = session_id
        self.user_id = user_id or ("u-" + session_id)
        self.last = None

    def say(self, query="", callback=None, expect=200):
        body = {"query": query, "session_id": self.session_id, "user_id": self.user_id}
        if callback is not None:
            body["callback_data"] = callback
        status, ans, _ = request(self.server, "POST", "/api/chat/query", body, {"X-API-Key": self.key})
        if status != expect:
            check(False, f"chat {query!r} status {status}", str(ans)[:300])
        self.last = ans
        return ans

    def press(self, label_or_prefix):
        """Presses the first button whose data starts with the prefix (or label equals it)."""
        for b in (self.last or {}).get("buttons", []):
            if b["data"].startswith(label_or_prefix) or b["label"] == label_or_prefix:
                return self.say("", callback=b["data"])
        check(False, f"button {label_or_prefix!r} present", str((self.last or {}).get("buttons")))
        return self.last


def summary():
    print(f"blackbox: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
