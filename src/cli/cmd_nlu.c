/*
 * cmd_nlu.c - `proptalk nlu [--tenant SLUG] [--intents FILE] [--now ISO8601]`
 * (CONTRACT.md §2, §4): one UTF-8 message per line on stdin, one JSON
 * object per line on stdout, in order, one output line per input line.
 *
 * The model is trained on the packs (packs/default/intents, or the
 * tenant's own intents folder) or on --intents FILE.  With --tenant the
 * gazetteer holds the tenant's listing localities plus the pack aliases of
 * those localities (as the engine builds it), and the tenant's currency,
 * region and time zone apply.
 *
 * --conversation: the lines are the turns of one conversation (an empty
 * line starts a new one), and "frustration" is the level carried over the
 * turns (nlu_frustration_carry) instead of the message's own.
 *
 * Fast path: stdin is read in large blocks and split with memchr; a line is
 * capped at NLU_LINE_MAX bytes (the rest is skipped, the kept part cut at a
 * UTF-8 boundary, and still answered); one arena serves every line and is
 * reset after each.  Output is flushed whenever the input runs dry, so an
 * interactive caller gets each answer at once and a batch pays one write
 * per block, not per line.
 */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "nlu/nlu.h"
#include "pack/pack.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/tz.h"

const char cli_usage_nlu[] =
    "nlu [--tenant SLUG] [--intents FILE] [--now ISO8601] [--conversation]";

#define NLU_LINE_MAX 4096
#define NLU_IN_BLOCK (64u << 10)
#define INTENTS_FILE_MAX (64u << 20)

/* ---- --now -------------------------------------------------------------- */

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + s[i] - '0';
    }
    return v;
}

/* "YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM|-HH:MM|+HHMM]".  Without a zone the
 * time is local to tz (UTC when tz is NULL). */
static int parse_now(const char *s, const char *tz, time_t *out, pt_error *err)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    size_t n = strlen(s), i = 10;
    int y = n >= 10 ? num(s, 4) : -1, mo = n >= 10 ? num(s + 5, 2) : -1,
        d = n >= 10 ? num(s + 8, 2) : -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || s[4] != '-' || s[7] != '-')
        goto bad;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        if (n < i + 6 || s[i + 3] != ':')
            goto bad;
        tm.tm_hour = num(s + i + 1, 2);
        tm.tm_min = num(s + i + 4, 2);
        i += 6;
        if (i < n && s[i] == ':') {
            if (n < i + 3)
                goto bad;
            tm.tm_sec = num(s + i + 1, 2);
            i += 3;
            while (i < n && (s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
                i++;   /* fractions of a second are ignored */
        }
        if (tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
            tm.tm_sec < 0 || tm.tm_sec > 60)
            goto bad;
    }
    if (i == n) {
        *out = tz ? tz_mktime(tz, &tm) : timegm(&tm);
        return 0;
    }
    if (s[i] == 'Z' && i + 1 == n) {
        *out = timegm(&tm);
        return 0;
    }
    if (s[i] == '+' || s[i] == '-') {
        int sign = s[i] == '-' ? -1 : 1, hh = -1, mm = 0;
        const char *z = s + i + 1;
        size_t zl = n - i - 1;
        if (zl == 2)
            hh = num(z, 2);
        else if (zl == 4)
            hh = num(z, 2), mm = num(z + 2, 2);
        else if (zl == 5 && z[2] == ':')
            hh = num(z, 2), mm = num(z + 3, 2);
        if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
            goto bad;
        *out = timegm(&tm) - sign * (hh * 3600 + mm * 60);
        return 0;
    }
bad:
    return pt_fail(err, PT_ERR_INVALID, "--now \"%.60s\" is not an ISO 8601 time "
                   "(2026-11-20T10:00:00Z)", s);
}

/* ---- model and gazetteer --------------------------------------------------- */

static int read_file(const char *path, buf *b, pt_error *err)
{
    int rc = 0;
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return pt_fail(err, PT_ERR_IO, "\"%s\": %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(b, chunk, n) != 0) {
            rc = pt_fail(err, PT_ERR_TOO_LARGE, "\"%s\": larger than %u MiB", path,
                         INTENTS_FILE_MAX >> 20);
            break;
        }
    if (rc == 0 && ferror(f))
        rc = pt_fail(err, PT_ERR_IO, "\"%s\": read error", path);
    fclose(f);
    return rc;
}

/* Trains on --intents FILE, else on the tenant's pack intents, else on
 * packs/default. */
static int train(const char *intents, const char *packs, const pack *pk, nlu_model **out,
                 pt_error *err)
{
    int rc = 0;
    buf b = BUF_INIT(INTENTS_FILE_MAX);
    char dir[PATH_MAX + 16];

    if (intents) {
        rc = read_file(intents, &b, err);
        if (rc)
            goto done;
        const char *texts[1] = {buf_cstr(&b)};
        size_t lens[1] = {b.len};
        rc = nlu_model_train(texts, lens, 1, out, err);
        goto done;
    }
    const char *own = pk ? pack_intents_dir(pk) : NULL;
    if (own && strstr(own, "/default") == NULL) {
        snprintf(dir, sizeof dir, "%s", own);
        char *slash = strrchr(dir, '/');
        if (slash && strcmp(slash, "/intents") == 0)
            *slash = '\0';
    } else {
        snprintf(dir, sizeof dir, "%s/default", packs);
    }
    rc = nlu_model_train_dir(dir, out, err);
done:
    buf_free(&b);
    return rc;
}

/* ---- the loop ---------------------------------------------------------------- */

/* Cuts a truncated line back to the last whole UTF-8 character. */
static size_t utf8_cut(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    size_t i = len - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80 && len - i < 4)
        i--;
    unsigned char c = (unsigned char)s[i];
    size_t need = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return i + need > len ? i : len;
}

typedef struct nlu_run {
    const nlu_model *model;
    nlu_context ctx;
    arena a;
    bool conversation;      /* --conversation */
    int frustration;        /* carried over the turns */
} nlu_run;

/* Analyses one line and writes its JSON line. */
static int answer(nlu_run *r, char *line, size_t len, bool truncated)
{
    nlu_result res;
    if (truncated)
        len = utf8_cut(line, len);
    if (len > 0 && line[len - 1] == '\r')
        len--;
    int rc = nlu_analyze(r->model, &r->ctx, line, len, &r->a, &res);
    if (rc == 0 && r->conversation) {
        if (len == 0)
            r->frustration = 0;   /* an empty line: a new conversation */
        else
            r->frustration = res.frustration = nlu_frustration_carry(r->frustration, &res);
    }
    char *json = rc == 0 ? nlu_result_to_json(&res) : NULL;
    arena_release(&r->a);
    if (json == NULL) {
        fputs("{\"error\":{\"code\":\"out_of_memory\",\"message\":\"analysis failed\"}}\n",
              stdout);
        return 0;
    }
    int w = fputs(json, stdout);
    free(json);
    if (w == EOF || fputc('\n', stdout) == EOF)
        return -1;
    return 0;
}

static int run_lines(nlu_run *r, pt_error *err)
{
    char *in = malloc(NLU_IN_BLOCK);
    char line[NLU_LINE_MAX + 1];
    size_t len = 0;
    bool truncated = false, pending = false;
    int rc = 0;

    if (in == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "out of memory");
    for (;;) {
        if (fflush(stdout) == EOF) {
            rc = pt_fail(err, PT_ERR_IO, "cannot write to standard output");
            break;
        }
        ssize_t got = read(STDIN_FILENO, in, NLU_IN_BLOCK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = pt_fail(err, PT_ERR_IO, "cannot read standard input: %s", strerror(errno));
            break;
        }
        if (got == 0) {
            if (pending && answer(r, line, len, truncated) != 0)
                rc = pt_fail(err, PT_ERR_IO, "cannot write to standard output");
            break;
        }
        const char *p = in, *end = in + got;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = (size_t)((nl ? nl : end) - p);
            size_t room = NLU_LINE_MAX - len;
            if (n > room)
                truncated = true;
            memcpy(line + len, p, n < room ? n : room);
            len += n < room ? n : room;
            pending = true;
            if (nl == NULL)
                break;
            if (answer(r, line, len, truncated) != 0) {
                rc = pt_fail(err, PT_ERR_IO, "cannot write to standard output");
                goto done;
            }
            len = 0;
            truncated = pending = false;
            p = nl + 1;
        }
    }
done:
    fflush(stdout);
    free(in);
    return rc;
}

int cmd_nlu(int argc, char **argv)
{
    int rc = 0, status = CLI_OK;
    pt_error err = {0};
    const char *slug = NULL, *intents = NULL, *now_s = NULL;
    const char *pos[1];
    int n_pos = 0;
    bool conversation = false;
    const cli_opt opts[] = {{"tenant", &slug, NULL}, {"intents", &intents, NULL},
                            {"now", &now_s, NULL}, {"conversation", NULL, &conversation}};
    char packs[PATH_MAX] = "";
    store *s = NULL;
    pack *pk = NULL;
    nlu_model *model = NULL;
    nlu_gazetteer *gz = NULL;
    tenant t;
    nlu_run run;

    memset(&run, 0, sizeof run);
    arena_init(&run.a, 0);
    rc = cli_parse(argc, argv, opts, 4, pos, 0, &n_pos, &err);
    if (rc) {
        status = cli_usage("nlu", &err, cli_usage_nlu);
        goto done;
    }
    if (intents == NULL || slug) {
        rc = cli_packs_dir(packs, sizeof packs, &err);
        if (rc)
            goto fail;
    }
    if (slug) {
        rc = cli_store_open(&s, &err);
        if (rc)
            goto fail;
        rc = cli_tenant_find(s, slug, &t, &err);
        if (rc)
            goto fail;
        rc = pack_load(packs, t.slug, &pk, &err);
        if (rc)
            goto fail;
        rc = engine_build_gazetteer(s, &t, pk, NULL, NULL, NULL, &gz, &err);
        if (rc)
            goto fail;
        store_close(s);   /* not needed while reading stdin */
        s = NULL;
        run.ctx.gazetteer = gz;
        run.ctx.currency = t.currency;
        run.ctx.region = t.region;
        run.ctx.timezone = t.timezone;
    } else if (packs[0]) {
        /* no tenant: no localities, but the default pack's cue words (a
         * rent's period: "40k a month") still apply */
        rc = pack_load(packs, NULL, &pk, &err);
        if (rc == 0)
            rc = nlu_gazetteer_build(NULL, 0, NULL, &gz, &err);
        if (rc == 0)
            rc = engine_gazetteer_cues(gz, pk, &err);
        if (rc)
            goto fail;
        run.ctx.gazetteer = gz;
    }
    run.ctx.now = time(NULL);
    if (now_s) {
        rc = parse_now(now_s, slug ? t.timezone : NULL, &run.ctx.now, &err);
        if (rc) {
            status = cli_usage("nlu", &err, cli_usage_nlu);
            goto done;
        }
    }
    rc = train(intents, packs, pk, &model, &err);
    if (rc)
        goto fail;
    run.model = model;
    run.conversation = conversation;
    rc = run_lines(&run, &err);
    if (rc)
        goto fail;
    goto done;
fail:
    status = cli_fail("nlu", &err);
done:
    arena_release(&run.a);
    nlu_model_free(model);
    nlu_gazetteer_free(gz);
    pack_free(pk);
    store_close(s);
    return status;
}
