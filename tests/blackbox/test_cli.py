"""Black-box tests of the command line (CONTRACT.md §2) on a fresh data
folder, no server: what a careless or hostile user types must end in a
non-zero exit and one clear line on stderr, and must not leave half-made
state behind (a login that cannot be used, a tenant whose key was lost).

run.py calls run(); it can also run alone: python3 tests/blackbox/test_cli.py
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, ROOT, check, summary  # noqa: E402


class Cli:
    """Runs proptalk commands against one fresh data folder."""

    def __init__(self):
        self.data = tempfile.mkdtemp(prefix="proptalk-cli-")
        self.env = dict(os.environ, PROPTALK_DATA=self.data, PROPTALK_PACKS=os.path.join(ROOT, "packs"),
                        PROPTALK_LOG="warn")
        for k in ("PROPTALK_DB", "PROPTALK_LLM_URL", "PROPTALK_REDIS"):
            self.env.pop(k, None)

    def run(self, *args, stdin=b"", stdout=subprocess.PIPE):
        """(exit status, stdout text, stderr text); args may hold bytes."""
        p = subprocess.run([BIN, *args], input=stdin, stdout=stdout, stderr=subprocess.PIPE,
                           env=self.env, cwd=ROOT, timeout=120)
        out = p.stdout.decode("utf-8", "replace") if p.stdout is not None else ""
        return p.returncode, out, p.stderr.decode("utf-8", "replace")

    def db(self, sql, *params):
        con = sqlite3.connect(f"file:{self.data}/proptalk.db?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def cleanup(self):
        shutil.rmtree(self.data, ignore_errors=True)


def one_error_line(err, cmd):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return len(lines) == 1 and lines[0].startswith(f"proptalk {cmd}: ")


def test_user_create_checks_text(cli):
    """Bytes that are not UTF-8 never reach the users table: such an email was
    stored and then reported as "out of memory" (the JSON answer could not be
    made), a password could never be typed into the JSON login."""
    rc, out, err = cli.run("user", "create", "--email", b"d@\xff.example.com", "--role", "agent",
                           "--tenant", "acme", "--password", "secret-pass")
    check(rc == 1 and one_error_line(err, "user create") and "email" in err and "memory" not in err,
          "user create: an email that is not UTF-8 is refused, naming the email", f"rc={rc} {err!r}")
    rows = cli.db("select count(*) from users")
    check(rows == [(0,)], "user create: the refused email left no user behind", str(rows))
    rc, out, err = cli.run("user", "create", "--email", "e@example..com", "--role", "agent", "--tenant", "acme")
    check(rc == 1 and "email" in err and out == "", "user create: an email with \"..\" is refused", f"{rc} {err!r}")
    rc, out, err = cli.run("user", "create", "--email", "f@example.com", "--role", "agent", "--tenant", "acme",
                           "--password", b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8")
    check(rc == 1 and one_error_line(err, "user create") and "password" in err,
          "user create: a password that is not UTF-8 is refused", f"rc={rc} {err!r}")
    rc, out, err = cli.run("user", "create", "--email", "G@Example.com", "--role", "agent", "--tenant", "acme",
                           "--password", "pässwörd-ok")
    check(rc == 0 and json.loads(out).get("user") == "g@example.com",
          "user create: a UTF-8 password and a mixed-case email are fine", f"rc={rc} {out!r} {err!r}")


def test_tenant_name_checks_text(cli):
    """A display name with a line break or a tab would break every greeting
    that quotes it."""
    for name in ("Acme\nHomes", "Acme\tHomes", "Acme\x7fHomes"):
        rc, out, err = cli.run("tenant", "create", "ctl", "--name", name)
        check(rc == 1 and one_error_line(err, "tenant create") and "name" in err and out == "",
              f"tenant create: a name with control character {name[4]!r} is refused", f"rc={rc} {err!r}")
    check(cli.db("select slug from tenants where slug='ctl'") == [], "tenant create: nothing was created")
    rc, out, err = cli.run("tenant", "create", "uni", "--name", "Dubai / Homes ☀ دبي")
    check(rc == 0 and json.loads(out).get("tenant") == "uni", "tenant create: a Unicode name with a slash is fine",
          f"rc={rc} {err!r}")


def test_tenant_codes_are_real(cli):
    """--currency and --region are checked against ISO 4217 and ISO 3166-1,
    not only for their shape: "XYZ" has the shape of a currency code and is
    none; the error names the value."""
    for opt, val, what in (("--currency", "XYZ", "ISO 4217"), ("--currency", "XAU", "ISO 4217"),
                           ("--region", "XX", "ISO 3166-1"), ("--region", "UK", "ISO 3166-1")):
        rc, out, err = cli.run("tenant", "create", "codes", opt, val)
        check(rc == 1 and one_error_line(err, "tenant create") and f'"{val}"' in err and what in err
              and out == "", f"tenant create: {opt} {val} is refused, naming it", f"rc={rc} {err!r}")
    check(cli.db("select slug from tenants where slug='codes'") == [], "tenant create: no tenant from bad codes")
    rc, out, err = cli.run("tenant", "create", "codes", "--currency", "sar", "--region", "sa")
    check(rc == 0 and json.loads(out).get("tenant") == "codes", "tenant create: real codes in lower case are fine",
          f"rc={rc} {err!r}")
    check(cli.db("select currency, region from tenants where slug='codes'") == [("SAR", "SA")],
          "tenant create: the codes are stored upper case", str(cli.db("select currency, region from tenants where slug='codes'")))


def test_chat_checks_user_first(cli):
    """A --user the engine would refuse fails the command at once, instead of
    failing every turn of a conversation that then exits 0."""
    for user in ("", "a\x01b", "u" * 129, b"a\xffb"):
        rc, out, err = cli.run("chat", "--tenant", "acme", "--user", user, stdin=b"hello\nhi\n")
        check(rc == 2 and "--user" in err and out == "",
              f"chat: --user {user[:8]!r} is refused before any turn", f"rc={rc} out={out[:80]!r} {err!r}")
    rc, out, err = cli.run("chat", "--tenant", "acme", "--user", "cli-tester", stdin=b"hello\n")
    check(rc == 0 and out.strip() != "", "chat: a good --user talks", f"rc={rc} {err!r}")


def test_chat_long_line(cli):
    """A message over the 4096 bytes a turn takes is not sent cut short (its
    first 4095 bytes were), is reported, and the conversation goes on; the
    exit status tells a script that a message was not answered."""
    long = b"I want a villa " + b"x" * 5000
    rc, out, err = cli.run("chat", "--tenant", "acme", "--user", "cli-long", stdin=long + b"\nhello\n")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    check(rc == 1 and len(lines) == 1 and "at most 4096 bytes" in lines[0] and out.strip() != "",
          "chat: a line over the cap is refused, the next one answered, exit 1",
          f"rc={rc} out={out[:80]!r} {err!r}")
    n = cli.db("select count(*) from messages where text like 'I want a villa%'")[0][0]
    check(n == 0, "chat: nothing of the long line is stored", f"{n} rows")
    rc, out, err = cli.run("chat", "--tenant", "acme", "--user", "cli-long", stdin=b"x" * 4096 + b"\n")
    check(rc == 0 and err == "", "chat: a line of exactly 4096 bytes is sent", f"rc={rc} {err!r}")


def test_stdout_failure_is_reported(cli):
    """The API key and a generated password are shown once: when standard
    output cannot take them, stderr says so and carries the line, and the
    exit status is 1 (it was 1 with nothing said, the key lost for good)."""
    if not os.path.exists("/dev/full"):
        return
    with open("/dev/full", "wb") as full:
        rc, _, err = cli.run("tenant", "create", "lost", stdout=full)
        check(rc == 1 and one_error_line(err, "tenant create") and "standard output" in err and '"api_key"' in err,
              "tenant create: a failed write of the key is said on stderr, with the key", f"rc={rc} {err!r}")
        rc, _, err = cli.run("user", "create", "--email", "h@example.com", "--role", "agent", "--tenant", "acme",
                             stdout=full)
        check(rc == 1 and one_error_line(err, "user create") and '"password"' in err,
              "user create: a failed write of the generated password is said on stderr, with it", f"rc={rc} {err!r}")
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("id,title,property_type,transaction,price\nCLI-1,One,villa,sale,100\n")
        rc, _, err = cli.run("import", "--tenant", "acme", f.name, stdout=full)
        os.unlink(f.name)
        check(rc == 1 and one_error_line(err, "import") and "standard output" in err and '"imported":1' in err,
              "import: a failed write of the report is said on stderr", f"rc={rc} {err!r}")


def test_quiet_success(cli):
    """A command that succeeds says nothing on stderr: the first use of a data
    folder printed ten "schema migrated" lines, every chat "N tenants
    loaded" (info logs, for the server).  PROPTALK_LOG=info brings them back."""
    quiet = Cli()
    try:
        quiet.env.pop("PROPTALK_LOG", None)
        rc, out, err = quiet.run("tenant", "create", "q1")
        check(rc == 0 and err == "", "tenant create on a fresh data folder: nothing on stderr", repr(err[:300]))
        rc, out, err = quiet.run("chat", "--tenant", "q1", "--user", "u1", stdin=b"hello\n")
        check(rc == 0 and out.strip() and err == "", "chat: nothing on stderr", repr(err[:300]))
        quiet.env["PROPTALK_LOG"] = "info"
        rc, out, err = quiet.run("chat", "--tenant", "q1", "--user", "u1", stdin=b"hello\n")
        check(rc == 0 and "tenants loaded" in err, "chat with PROPTALK_LOG=info: the info lines", repr(err[:300]))
    finally:
        quiet.cleanup()


def run():
    cli = Cli()
    try:
        rc, out, err = cli.run("tenant", "create", "acme", "--currency", "AED", "--region", "AE")
        check(rc == 0 and json.loads(out).get("tenant") == "acme", "cli: tenant create acme", err)
        for t in (test_user_create_checks_text, test_tenant_name_checks_text, test_tenant_codes_are_real,
                  test_chat_checks_user_first, test_chat_long_line,
                  test_stdout_failure_is_reported, test_quiet_success):
            try:
                t(cli)
            except Exception as e:  # a crash of the test is a failure, not an abort
                check(False, f"{t.__name__} ran", repr(e))
    finally:
        cli.cleanup()


if __name__ == "__main__":
    run()
    sys.exit(summary())
