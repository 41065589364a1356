#!/usr/bin/env python3
"""A fake OpenAI-compatible embeddings provider for the tests.

Speaks the real wire format: POST .../v1/embeddings with
{"model": M, "input": [texts]} answers
{"object": "list", "data": [{"object": "embedding", "embedding": [...], "index": i}],
 "model": M, "usage": {...}}.

Vectors are deterministic and meaningful: a hashed bag of words (DIM
dimensions, each lower-cased word adds 1 at md5(word) mod DIM), so texts
sharing words are near each other and a test can predict rankings.

A path prefix picks a misbehaviour, so one server serves every case:
  /v1/embeddings                 normal
  /m/500/v1/embeddings           HTTP 500 with an OpenAI-style error body
  /m/badjson/v1/embeddings       200 with a body that is not JSON
  /m/dim48/v1/embeddings         every vector has 48 dimensions
  /m/mixdim/v1/embeddings        odd items have one dimension less
  /m/short/v1/embeddings         one item fewer than inputs
  /m/reverse/v1/embeddings       items in reverse order (indexes correct)
  /m/slow/v1/embeddings          answers after 3 seconds
  /m/nan/v1/embeddings           a vector holding a string instead of a number
GET /stats gives {"requests": N, "inputs": M, "models": [...]}; POST /reset zeroes it.
With --key K every embeddings request must carry "Authorization: Bearer K" (else 401).

Prints "PORT <n>" on its first line of stdout once listening on 127.0.0.1.
"""
import argparse
import hashlib
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIM = 256
lock = threading.Lock()
stats = {"requests": 0, "inputs": 0, "models": []}


def embed(text, dim=DIM):
    v = [0.0] * dim
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        h = hashlib.md5(w.encode()).digest()
        v[int.from_bytes(h[:4], "little") % dim] += 1.0
    if not any(v):
        v[0] = 1.0
    return v


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    key = None

    def log_message(self, fmt, *args):  # quiet
        pass

    def send(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/stats":
            with lock:
                self.send(200, stats)
        else:
            self.send(404, {"error": {"message": "no such path"}})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        if self.path == "/reset":
            with lock:
                stats.update({"requests": 0, "inputs": 0, "models": []})
            return self.send(200, {"ok": True})
        m = re.fullmatch(r"(?:/m/([a-z0-9]+))?/v1/embeddings", self.path)
        if not m:
            return self.send(404, {"error": {"message": "no such path " + self.path}})
        mode = m.group(1) or "ok"
        if mode not in ("ok", "500", "badjson", "dim48", "mixdim", "short", "reverse", "slow", "nan"):
            return self.send(404, {"error": {"message": "no such mode " + mode}})
        if self.key is not None and self.headers.get("Authorization") != "Bearer " + self.key:
            return self.send(401, {"error": {"message": "Incorrect API key provided"}})
        try:
            req = json.loads(raw)
            model, inputs = req["model"], req["input"]
            if isinstance(inputs, str):
                inputs = [inputs]
            assert isinstance(model, str) and model
            assert isinstance(inputs, list) and 1 <= len(inputs) <= 2048
            assert all(isinstance(t, str) for t in inputs)
        except Exception as e:  # the client sent something the real API refuses
            return self.send(400, {"error": {"message": "bad request: %r" % (e,)}})
        with lock:
            stats["requests"] += 1
            stats["inputs"] += len(inputs)
            if model not in stats["models"]:
                stats["models"].append(model)
        if mode == "500":
            return self.send(500, {"error": {"message": "The server had an error while processing "
                                             "your request.", "type": "server_error"}})
        if mode == "badjson":
            return self.send(200, b"{\"data\": [ this is not json")
        if mode == "slow":
            time.sleep(3)
        data = []
        for i, t in enumerate(inputs):
            dim = 48 if mode == "dim48" else (DIM - 1 if mode == "mixdim" and i % 2 else DIM)
            e = embed(t, dim)
            if mode == "nan":
                e[0] = "NaN"
            data.append({"object": "embedding", "embedding": e, "index": i})
        if mode == "short":
            data = data[:-1]
        if mode == "reverse":
            data.reverse()
        self.send(200, {"object": "list", "data": data, "model": model,
                        "usage": {"prompt_tokens": 0, "total_tokens": 0}})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", default=None)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    Handler.key = args.key
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
