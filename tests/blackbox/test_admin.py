"""Black-box tests of the admin API: logins, roles, listing CRUD and bulk
import over HTTP against the real server, chat seeing new listings, the
body caps, the failed-login limiter, and listing embeddings through a fake
OpenAI-compatible provider (tests/fake/embed_server.py).

run.py calls run(srv) with its demo server, then run_embeddings(), which
starts servers of its own.
"""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, ROOT, Chat, Server, check, request  # noqa: E402


def login(srv, email, password):
    return request(srv, "POST", "/api/auth/login", {"email": email, "password": password})


def token(srv, email, password=None):
    st, body, _ = login(srv, email, password or srv.admin["password"])
    check(st == 200 and body.get("token"), f"login {email}", f"{st} {body}")
    return body.get("token", "")


def auth(tok):
    return {"Authorization": "Bearer " + tok}


def agent_email(srv):
    con = sqlite3.connect(f"file:{srv.data}/proptalk.db?mode=ro", uri=True, timeout=30)
    row = con.execute("select u.email from users u join tenants t on t.id = u.tenant_id "
                      "where u.role = 'agent' and t.slug = 'dubai-demo' limit 1").fetchone()
    con.close()
    return row[0]


def raw_http(srv, head, body=b"", read_only_head=False):
    """Sends bytes as they are; returns (status, body text)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(head + body)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head_end = data.find(b"\r\n\r\n")
    headers = data[:head_end].decode(errors="replace")
    length = 0
    for line in headers.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.lower() == "content-length":
            length = int(v)
    rest = data[head_end + 4:]
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    s.close()
    status = int(headers.split(" ")[1]) if headers.startswith("HTTP/") else 0
    return status, rest.decode(errors="replace")


def test_login_and_roles(srv):
    admin = srv.admin
    check(admin and admin["email"] == "admin@proptalk.demo", "the demo prints an admin login", str(admin))
    sup = token(srv, admin["email"])
    ten = token(srv, "admin@dubai-demo.demo")
    agt = token(srv, agent_email(srv))
    st, wrong, _ = login(srv, admin["email"], "not the password")
    st2, unknown, _ = login(srv, "nobody@proptalk.demo", "not the password")
    check(st == 401 and st2 == 401, "wrong password and unknown email are 401", f"{st} {st2}")
    check(wrong == unknown, "and read the same (no user enumeration)", f"{wrong} / {unknown}")
    st, body, _ = request(srv, "POST", "/api/auth/login", {"email": admin["email"]})
    check(st == 422, "login without a password is 422", str(body))

    st, body, hdrs = request(srv, "GET", "/api/listings?tenant=dubai-demo")
    check(st == 401 and hdrs.get("WWW-Authenticate") == "Bearer", "no token: 401 with WWW-Authenticate: Bearer",
          f"{st} {body}")
    st, body, _ = request(srv, "GET", "/api/listings", headers=auth(ten[:-2] + "xx"))
    check(st == 401, "a token with a changed signature is 401", str(body))
    st, body, _ = request(srv, "GET", "/api/listings", headers=auth(sup))
    check(st == 400 and "tenant" in body["error"]["message"], "super_admin without ?tenant= is 400", str(body))
    st, body, _ = request(srv, "GET", "/api/listings?tenant=dubai-demo&limit=2", headers=auth(sup))
    check(st == 200 and len(body["listings"]) == 2 and body["total"] >= 200, "super_admin with ?tenant= lists",
          str(body)[:200])
    st, body, _ = request(srv, "GET", "/api/listings?tenant=bangalore-demo", headers=auth(ten))
    check(st == 403, "a tenant_admin cannot reach another tenant", str(body))
    st, body, _ = request(srv, "GET", "/api/listings?limit=5", headers=auth(ten))
    check(st == 200 and all(x["currency"] == "AED" for x in body["listings"]), "a tenant_admin lists its own",
          str(body)[:200])
    st, body, _ = request(srv, "GET", "/api/listings?limit=5", headers=auth(agt))
    check(st == 200, "an agent may read listings", str(body)[:200])
    st, body, _ = request(srv, "POST", "/api/listings", {"id": "AG1"}, auth(agt))
    check(st == 403, "an agent may not write listings", str(body))
    return sup, ten


def test_crud_and_chat(srv, ten):
    h = auth(ten)
    new = {"id": "BB-ZETA-1", "title": "Zeta Gardens garden villa", "project": "Zeta Gardens Estate",
           "locality": "Zeta Gardens", "city": "Dubai", "property_type": "villa", "transaction": "sale",
           "bedrooms": 4, "bathrooms": 5, "area_sqft": 4200, "price": 5000000, "units_available": 2,
           "status": "ready", "amenities": ["private pool", "garden"], "description": "Quiet villa"}
    st, body, _ = request(srv, "POST", "/api/listings", new, h)
    check(st == 201 and body["listing"]["id"] == "BB-ZETA-1", "create a listing: 201", str(body)[:300])
    st, body, _ = request(srv, "POST", "/api/listings", new, h)
    check(st == 409, "creating the same id again: 409", str(body))
    st, body, _ = request(srv, "GET", "/api/listings/BB-ZETA-1", headers=h)
    check(st == 200 and body["listing"]["amenities"] == ["private pool", "garden"], "read it back", str(body)[:300])
    bad = dict(new, id="BB-BAD", property_type="castle")
    st, body, _ = request(srv, "POST", "/api/listings", bad, h)
    check(st == 422 and "castle" in body["error"]["message"], "an invalid listing: 422 naming the value", str(body))
    st, body, _ = request(srv, "GET", "/api/listings/NO-SUCH-ID", headers=h)
    check(st == 404, "an unknown id: 404", str(body))
    st, body, _ = request(srv, "GET", "/api/listings/BB-ZETA-1?tenant=dubai-demo", headers=auth(token(
        srv, "admin@bangalore-demo.demo")))
    check(st == 403, "another tenant's admin cannot read it", str(body))

    # chat of the tenant sees the new listing and its new locality at once
    c = Chat(srv, "dubai-demo", "bb-zeta-chat")
    a = c.say("I want to buy a 4 bedroom villa in zeta gardens")
    check(a["slots"]["locations"] == ["Zeta Gardens"], "chat knows the new locality at once", str(a["slots"]))
    seen = []
    for msg in ("for investment", "budget 6 million", "show me what you have"):
        if a.get("sources"):
            break
        a = c.say(msg)
    seen = [s["id"] for s in a.get("sources", [])]
    check("BB-ZETA-1" in seen, "chat shows the new listing", f"{seen} {a.get('answer', '')[:200]}")
    # the other tenant's chat does not
    cb = Chat(srv, "bangalore-demo", "bb-zeta-other")
    a = cb.say("I want to buy a villa in zeta gardens")
    check("Zeta Gardens" not in a["slots"]["locations"], "another tenant's chat does not", str(a["slots"]))

    st, body, _ = request(srv, "PATCH", "/api/listings/BB-ZETA-1", {"price": 4800000, "units_available": None}, h)
    check(st == 200 and body["listing"]["price"] == 4800000 and body["listing"]["units_available"] is None,
          "PATCH changes only what it names", str(body)[:300])
    full = dict(body["listing"], title="Zeta Gardens villa, renovated")
    st, body, _ = request(srv, "PUT", "/api/listings/BB-ZETA-1", full, h)
    check(st == 200 and body["listing"]["title"] == "Zeta Gardens villa, renovated" and
          body["listing"]["price"] == 4800000, "PUT replaces it", str(body)[:300])
    st, body, _ = request(srv, "PUT", "/api/listings/BB-ZETA-1", dict(full, id="OTHER"), h)
    check(st == 422, "PUT cannot change the id", str(body))
    st, body, _ = request(srv, "DELETE", "/api/listings/BB-ZETA-1", headers=h)
    check(st == 200 and body.get("deleted") == "BB-ZETA-1", "DELETE it", str(body))
    st, body, _ = request(srv, "GET", "/api/listings/BB-ZETA-1", headers=h)
    check(st == 404, "gone after DELETE", str(body))
    st, body, _ = request(srv, "DELETE", "/api/listings/BB-ZETA-1", headers=h)
    check(st == 404, "DELETE again: 404", str(body))

    st, p1, _ = request(srv, "GET", "/api/listings?limit=3&offset=0", headers=h)
    st2, p2, _ = request(srv, "GET", "/api/listings?limit=3&offset=3", headers=h)
    ids = [x["id"] for x in p1["listings"] + p2["listings"]]
    check(st == 200 and st2 == 200 and len(set(ids)) == 6 and ids == sorted(ids), "pages follow on in id order", str(ids))
    st, body, _ = request(srv, "GET", "/api/listings?limit=100000", headers=h)
    check(st == 400, "an out-of-range limit is 400", str(body))


IMPORT_CSV = ("id,title,locality,city,property_type,transaction,bedrooms,price,amenities\n"
              "BB-IMP-1,Imported one,Dubai Marina,Dubai,apartment,sale,1,1200000,gym;pool\n"
              "BB-IMP-2,Imported two,Dubai Marina,Dubai,apartment,sale,2,x,gym\n"
              "BB-IMP-3,Imported three,Dubai Marina,Dubai,flat,rent,2,90000,\n"
              "BB-IMP-4,Imported four,Dubai Marina,Dubai,studio,rent,0,45000,\n")


def test_import(srv, ten):
    h = dict(auth(ten), **{"Content-Type": "text/csv"})
    st, body, _ = request(srv, "POST", "/api/listings/import", raw=IMPORT_CSV.encode(), headers=h)
    check(st == 200 and body.get("imported") == 2 and body.get("rejected") == 2, "CSV import: 2 in, 2 rejected",
          str(body))
    lines = [e["line"] for e in body.get("errors", [])]
    check(lines == [3, 4], "rejected rows named by line", str(body.get("errors")))
    # the same file through the CLI gives the same report
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(IMPORT_CSV)
    env = dict(os.environ, PROPTALK_DATA=srv.data, PROPTALK_LOG="error")
    env.pop("PROPTALK_LLM_URL", None)
    out = subprocess.run([BIN, "import", "--tenant", "dubai-demo", f.name], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    os.unlink(f.name)
    cli = json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {}
    check(cli == body, "the HTTP report equals the CLI's", f"{cli} vs {body}")
    arr = [{"id": "BB-IMP-5", "title": "JSON five", "property_type": "villa", "transaction": "sale",
            "price": 7000000, "locality": "Palm Jumeirah"}]
    st, body, _ = request(srv, "POST", "/api/listings/import", arr, auth(ten))
    check(st == 200 and body.get("imported") == 1, "JSON array import", str(body))
    reso = {"value": [{"ListingKey": "BB-IMP-6", "ListPrice": 900000, "PropertyType": "Residential",
                       "PropertySubType": "Apartment", "StandardStatus": "Active", "BedroomsTotal": 1,
                       "City": "Dubai", "SubdivisionName": "Dubai Marina"},
                      {"ListingKey": "BB-IMP-1", "StandardStatus": "Withdrawn"}]}
    st, body, _ = request(srv, "POST", "/api/listings/import", reso, auth(ten))
    check(st == 200 and body.get("imported") == 1 and body.get("removed") == 1, "RESO payload import", str(body))
    st, body, _ = request(srv, "GET", "/api/listings/BB-IMP-1", headers=auth(ten))
    check(st == 404, "a withdrawn RESO record removed the listing", str(body))
    st, body, _ = request(srv, "POST", "/api/listings/import", raw=b"", headers=auth(ten))
    check(st == 422, "an empty upload is 422", str(body))
    st, body, _ = request(srv, "POST", "/api/listings/import", raw=b'{"value": 5}', headers=auth(ten))
    check(st == 422 or (st == 200 and body.get("imported") == 0), "a payload of the wrong shape is refused",
          f"{st} {body}")

    # bigger than the chat cap, smaller than the import cap
    rows = ["id,title,property_type,transaction,price,description"]
    i = 0
    while sum(len(r) + 1 for r in rows) < 300 * 1024:
        rows.append(f"BB-BULK-{i:05d},Bulk {i},apartment,sale,{800000 + i}," + "spacious " * 20)
        i += 1
    st, body, _ = request(srv, "POST", "/api/listings/import", raw="\n".join(rows).encode(), headers=h)
    check(st == 200 and body.get("imported") == i, f"a 300 KiB import ({i} rows) passes", str(body)[:200])
    st, body, _ = request(srv, "POST", "/api/listings", raw=b'{"id": "' + b"x" * (70 * 1024) + b'"}',
                          headers=auth(ten))
    check(st == 413, "a 70 KiB single listing is 413", f"{st}")
    # over 64 MiB: refused from the headers, before the body
    head = (f"POST /api/listings/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ten}\r\n"
            f"Content-Type: text/csv\r\nContent-Length: {70 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n").encode()
    st, body = raw_http(srv, head)
    check(st == 413 and "67108864" in body, "a declared 70 MiB import is 413 before its body", f"{st} {body[:200]}")
    head = (b"POST /api/listings/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
    st, body = raw_http(srv, head)
    check(st == 401, "an upload without a token is 401 before its body", f"{st} {body[:200]}")
    st, body, _ = request(srv, "GET", "/health")
    check(st == 200, "server healthy after the uploads")


def test_login_limit(srv):
    """Last on this server: it locks 127.0.0.1 out of logging in."""
    statuses = []
    for i in range(12):
        statuses.append(login(srv, srv.admin["email"], "guess %d" % i)[0])
        if statuses[-1] != 401:
            break
    # earlier tests already failed twice from this address; the limit is 10 per 15 minutes
    check(statuses[-1] == 429 and set(statuses[:-1]) == {401} and len(statuses) <= 11,
          "wrong passwords are 401 until the address is limited (429)", str(statuses))
    st, body, _ = login(srv, srv.admin["email"], srv.admin["password"])
    check(st == 429 and body["error"]["code"] == "rate_limited" and "try again in" in body["error"]["message"],
          "then even the right password is 429", f"{st} {body}")


def run(srv):
    for t in (test_login_and_roles,):
        try:
            sup, ten = t(srv)
        except Exception as e:
            check(False, f"{t.__name__} ran", repr(e))
            return
    for t in (test_crud_and_chat, test_import):
        try:
            t(srv, ten)
        except Exception as e:
            check(False, f"{t.__name__} ran", repr(e))
    try:
        test_login_limit(srv)
    except Exception as e:
        check(False, "test_login_limit ran", repr(e))


# ---- embeddings ------------------------------------------------------------

def start_fake():
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "fake", "embed_server.py"),
                          "--key", "bb-key"], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    return p, int(line.split()[1])


def fake_stats(port):
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as r:
        return json.loads(r.read())


def run_embeddings():
    fake, fport = start_fake()
    env = {"PROPTALK_LLM_URL": f"http://127.0.0.1:{fport}", "PROPTALK_LLM_KEY": "bb-key",
           "PROPTALK_LLM_MODEL": "bb-embed"}
    srv = Server(env=env).start()
    try:
        ten = token(srv, "admin@dubai-demo.demo", srv.admin["password"])
        h = dict(auth(ten), **{"Content-Type": "text/csv"})
        csv = ("id,title,locality,city,property_type,transaction,bedrooms,price,description\n"
               "EMB-1,Cliffside villa,Palm Jumeirah,Dubai,villa,sale,5,15000000,infinity pool over the sea\n")
        st, body, _ = request(srv, "POST", "/api/listings/import", raw=csv.encode(), headers=h)
        check(st == 200 and body.get("imported") == 1, "import with a provider", str(body))
        # the first import embeds every listing of the tenant (the demo ones too)
        check(body.get("embedded", 0) >= 200, "the import embedded the tenant's listings", str(body))
        stats = fake_stats(fport)
        check(stats["models"] == ["bb-embed"] and stats["requests"] >= 4, "in batches, with the model named",
              str(stats))
        st, body, _ = request(srv, "POST", "/api/listings/import", raw=csv.encode(), headers=h)
        check(body.get("embedded") == 0, "re-importing the same listing embeds nothing", str(body))
        st, body, _ = request(srv, "POST", "/api/listings",
                              {"id": "EMB-2", "title": "Desert retreat", "property_type": "villa",
                               "transaction": "sale", "price": 3000000}, auth(ten))
        check(st == 201 and body.get("embedded") is True, "a created listing is embedded", str(body)[:200])
        con = sqlite3.connect(f"file:{srv.data}/proptalk.db?mode=ro", uri=True, timeout=30)
        n, dims = con.execute("select count(*), min(dim) from listing_vectors v join tenants t on "
                              "t.id = v.tenant_id where t.slug = 'dubai-demo'").fetchone()
        con.close()
        check(n >= 200 and dims == 256, "vectors stored per listing", f"{n} {dims}")
        # CLI import embeds too
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("id,title,property_type,transaction,price\nEMB-3,CLI villa,villa,sale,2000000\n")
        out = subprocess.run([BIN, "import", "--tenant", "dubai-demo", f.name],
                             env=dict(os.environ, PROPTALK_DATA=srv.data, PROPTALK_LOG="error", **env),
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        os.unlink(f.name)
        rep = json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {}
        check(rep.get("imported") == 1 and rep.get("embedded") == 1, "CLI import embeds the new listing", str(rep))
        # the chat path: a search message is embedded and its nearest listings
        # join the ranking (EMB-1 shares the buyer's words)
        before = fake_stats(fport)["requests"]
        c = Chat(srv, "dubai-demo", "bb-semantic")
        a = c.say("I want to buy a villa with an infinity pool over the sea in Palm Jumeirah, "
                  "budget around 15 million AED")
        after = fake_stats(fport)["requests"]
        check(after == before + 1, "the buyer's words were embedded once", f"{before} -> {after}")
        ids = [x["id"] for x in a.get("sources", [])]
        check("EMB-1" in ids, "the semantically nearest fitting villa is shown", str(ids))
        # the provider goes away: writes still succeed, and say so
        fake.terminate()
        fake.wait()
        fake = None
        st, body, _ = request(srv, "POST", "/api/listings",
                              {"id": "EMB-4", "title": "Offline villa", "property_type": "villa",
                               "transaction": "sale", "price": 3100000}, auth(ten))
        check(st == 201 and body.get("embedded") is False and body.get("embed_error"),
              "provider down: the listing is stored, not embedded", str(body)[:300])
        st, body, _ = request(srv, "POST", "/api/listings/import",
                              raw=b"id,title,property_type,transaction,price\nEMB-5,x,shop,rent,1\n", headers=h)
        check(st == 200 and body.get("imported") == 1 and body.get("embedded") == 0 and body.get("embed_error"),
              "provider down: the import succeeds with embedded 0", str(body)[:300])
        a = Chat(srv, "dubai-demo", "bb-semantic-down").say("a villa with a sea view around 15 million AED")
        check(a.get("state") is not None, "provider down: chat still answers", str(a)[:200])
    finally:
        if fake:
            fake.terminate()
            fake.wait()
        rc = srv.stop()
        check(rc == 0, "embeddings server exits 0 (no leaks under ASan)", f"rc={rc} {srv.stderr_text()[-2000:]}")
        srv.cleanup()
