/*
 * test_commit.c - group commit and the state cache, against a real SQLite
 * file: store_ops.turns_write isolates a failing turn under its savepoint
 * and keeps the others (a failed commit keeping none is in
 * test_store_fault.c); the committer writes
 * what many threads submit at once, every turn exactly once and in order
 * per session; the state cache copies, replaces, evicts by its byte budget
 * and forgets.
 */
#include "engine/commit.h"
#include "engine/state_cache.h"
#include "store/store.h"
#include "util/log.h"
#include "test.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[256];
static char dbpath[300], dburl[320];

static long long raw_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static tenant_id make_tenant(store *s)
{
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "commit-test");
    snprintf(t.name, sizeof t.name, "Commit test");
    snprintf(t.currency, sizeof t.currency, "AED");
    snprintf(t.region, sizeof t.region, "AE");
    snprintf(t.timezone, sizeof t.timezone, "Asia/Dubai");
    pt_error err = {0};
    CHECK(s->ops->tenant_create(s, &t, "commit-key", &err) == 0, "tenant: %s", err.msg);
    return t.id;
}

static store_turn turn_of(tenant_id t, const char *sid, const char *text)
{
    store_turn tw = {.tenant = t, .session_id = sid, .user_id = sid, .session_json = text,
                     .user_text = text, .assistant_text = "ok", .profile_json = "{}"};
    return tw;
}

TEST(test_turns_write_isolates_a_failed_turn)
{
    store *s = NULL;
    pt_error err = {0};
    CHECK(store_open(dburl, &s, &err) == 0, "open: %s", err.msg);
    if (s == NULL)
        return;
    tenant_id t = make_tenant(s);
    store_turn a = turn_of(t, "s-a", "{\"n\":1}"), bad = turn_of(t + 999, "s-bad", "{}"),
               c = turn_of(t, "s-c", "{\"n\":3}");
    store_turn *batch[] = {&a, &bad, &c};
    CHECK_INT(s->ops->turns_write(s, batch, 3, &err), 0);
    CHECK_INT(a.rc, 0);
    CHECK_INT(bad.rc, -PT_ERR_NOT_FOUND);   /* no such tenant: the foreign key */
    CHECK(strstr(bad.err.msg, "tenant") != NULL, "says why: %s", bad.err.msg);
    CHECK_INT(c.rc, 0);
    CHECK_INT(raw_int("SELECT count(*) FROM sessions"), 2);
    CHECK_INT(raw_int("SELECT count(*) FROM messages"), 4);
    CHECK_INT(raw_int("SELECT count(*) FROM messages WHERE session_id = 's-bad'"), 0);
    CHECK_INT(raw_int("SELECT count(*) FROM profiles"), 2);

    /* inside an open turn it joins the transaction: a rollback undoes it */
    store_turn d = turn_of(t, "s-d", "{}");
    store_turn *one[] = {&d};
    CHECK_INT(s->ops->turn_begin(s, &err), 0);
    CHECK_INT(s->ops->turns_write(s, one, 1, &err), 0);
    s->ops->turn_rollback(s);
    CHECK_INT(raw_int("SELECT count(*) FROM sessions WHERE session_id = 's-d'"), 0);
    CHECK_INT(s->ops->turn_begin(s, &err), 0);
    CHECK_INT(s->ops->turns_write(s, one, 1, &err), 0);
    CHECK_INT(s->ops->turn_commit(s, &err), 0);
    CHECK_INT(raw_int("SELECT count(*) FROM sessions WHERE session_id = 's-d'"), 1);

    store_close(s);
}

typedef struct submitter {
    committer *c;
    tenant_id t;
    int id, turns, failures;
} submitter;

static void *submit_many(void *arg)
{
    submitter *sb = arg;
    char sid[32], text[64];
    snprintf(sid, sizeof sid, "th-%d", sb->id);
    for (int i = 0; i < sb->turns; i++) {
        snprintf(text, sizeof text, "{\"turn\":%d}", i);
        store_turn tw = turn_of(sb->t, sid, text);
        if (committer_submit(sb->c, &tw) != 0)
            sb->failures++;
    }
    return NULL;
}

/* A handle for the test and one for a committer, and the test tenant's id
 * (0 when something failed; the handles are closed then). */
static tenant_id open_pair(store **s, store **cs)
{
    pt_error err = {0};
    tenant tt;
    *s = *cs = NULL;
    CHECK(store_open(dburl, s, &err) == 0, "open: %s", err.msg);
    CHECK(store_open(dburl, cs, &err) == 0, "open: %s", err.msg);
    if (*s && *cs && (*s)->ops->tenant_by_slug(*s, "commit-test", &tt, &err) == 0)
        return tt.id;
    CHECK(0, "test tenant: %s", err.msg);
    store_close(*s);
    store_close(*cs);
    *s = *cs = NULL;
    return 0;
}

TEST(test_committer_many_threads)
{
    store *s = NULL, *cs = NULL;
    pt_error err = {0};
    tenant_id t = open_pair(&s, &cs);
    if (t == 0)
        return;
    long long before = raw_int("SELECT count(*) FROM messages");
    committer *c = NULL;
    CHECK_INT(committer_start(cs, 4, &c, &err), 0);   /* small batches: the cap is exercised */
    if (c == NULL) {
        store_close(s);
        return;
    }
    enum { THREADS = 8, TURNS = 40 };
    submitter sb[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        sb[i] = (submitter){.c = c, .t = t, .id = i, .turns = TURNS};
        pthread_create(&th[i], NULL, submit_many, &sb[i]);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += sb[i].failures;
    }
    CHECK_INT(failures, 0);
    unsigned long batches = 0, turns = 0;
    committer_stats(c, &batches, &turns);
    CHECK_INT(turns, THREADS * TURNS);
    CHECK(batches >= (unsigned long)(THREADS * TURNS / 4), "max_batch 4 holds: %lu batches", batches);
    committer_stop(c);
    /* every turn once: two transcript lines each */
    CHECK_INT(raw_int("SELECT count(*) FROM messages") - before, 2 * THREADS * TURNS);
    /* in order per session: the last state is the last turn's */
    CHECK_INT(raw_int("SELECT count(*) FROM sessions WHERE session_id LIKE 'th-%'"
                      " AND state_json = '{\"turn\":39}'"), THREADS);
    CHECK_INT(raw_int("SELECT count(*) FROM messages a JOIN messages b ON a.session_id = b.session_id"
                      " AND a.role = 'user' AND b.role = 'user' AND a.id < b.id"
                      " WHERE a.session_id LIKE 'th-%'"
                      " AND CAST(substr(a.text, 9) AS INTEGER) > CAST(substr(b.text, 9) AS INTEGER)"), 0);
    store_close(s);
}

/* Asynchronous submitters: each turn's callback runs exactly once, after
 * its turn is durable (another handle reads it from the callback), and
 * committer_stop writes what is queued before it returns.  The first turn
 * is submitted by a helper thread while the committer is idle, so that
 * thread writes it itself; its callback holds the committer busy until the
 * others were submitted, so they queue (the committer's own path). */
typedef struct async_turn {
    store_turn tw;
    commit_req q;
    char sid[32], text[32];
    int calls;
    long long rows_seen;   /* the turn's transcript rows when its callback ran */
    pthread_t thread;      /* where the callback ran */
    bool returned;         /* committer_submit_async had returned when it ran */
} async_turn;

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate;          /* 0 closed; 1 the first callback is waiting; 2 open */

static void async_done(store_turn *t, void *ctx)
{
    async_turn *at = ctx;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM messages WHERE session_id = '%s'", at->sid);
    at->rows_seen = t->rc == 0 ? raw_int(sql) : -1;
    at->thread = pthread_self();
    at->calls++;
}

static void async_done_gate(store_turn *t, void *ctx)
{
    async_done(t, ctx);
    pthread_mutex_lock(&gate_mu);
    gate = 1;
    pthread_cond_broadcast(&gate_cv);
    while (gate != 2)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

typedef struct first_submit {
    committer *c;
    async_turn *at;
} first_submit;

static void *submit_first(void *arg)
{
    first_submit *f = arg;
    committer_submit_async(f->c, &f->at->q);
    f->at->returned = true;
    return NULL;
}

TEST(test_committer_async)
{
    store *s = NULL, *cs = NULL;
    pt_error err = {0};
    tenant_id tid = open_pair(&s, &cs);
    if (tid == 0)
        return;
    committer *c = NULL;
    CHECK_INT(committer_start(cs, 0, &c, &err), 0);
    if (c == NULL) {
        store_close(s);
        return;
    }
    enum { N = 64 };
    static async_turn at[N];
    for (int i = 0; i < N; i++) {
        snprintf(at[i].sid, sizeof at[i].sid, "async-%d", i);
        snprintf(at[i].text, sizeof at[i].text, "{\"turn\":%d}", i);
        at[i].tw = turn_of(tid, at[i].sid, at[i].text);
        at[i].q = (commit_req){.turn = &at[i].tw, .done = i ? async_done : async_done_gate,
                               .ctx = &at[i]};
    }
    pthread_t helper;
    first_submit f = {c, &at[0]};
    pthread_create(&helper, NULL, submit_first, &f);
    pthread_mutex_lock(&gate_mu);
    while (gate != 1)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    CHECK(pthread_equal(at[0].thread, helper), "idle: the submitter wrote its turn itself");
    CHECK(!at[0].returned, "and called back before committer_submit_async returned");
    for (int i = 1; i < N; i++)
        committer_submit_async(c, &at[i].q);   /* busy: queued, returns without waiting */
    int early = 0;
    for (int i = 1; i < N; i++)
        early += at[i].calls;
    CHECK_INT(early, 0);   /* nothing written while the handle is taken */
    pthread_mutex_lock(&gate_mu);
    gate = 2;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    pthread_join(helper, NULL);
    committer_stop(c);   /* writes what is queued first */
    int once = 0, durable = 0, by_thread = 0;
    for (int i = 0; i < N; i++) {
        once += at[i].calls == 1;
        durable += at[i].tw.rc == 0 && at[i].rows_seen == 2;
        by_thread += i > 0 && !pthread_equal(at[i].thread, helper) &&
                     !pthread_equal(at[i].thread, pthread_self());
    }
    CHECK_INT(once, N);
    CHECK_INT(durable, N);   /* both transcript lines were readable from another handle */
    CHECK_INT(by_thread, N - 1);   /* the queued ones: on the committer's thread */

    store_close(s);
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The WAL hook replaces SQLite's automatic checkpoint with the store's
 * checkpointer thread: checkpoints must still happen, so the database file
 * grows while turns are written one per commit (only a checkpoint writes
 * it), and the WAL stays bounded. */
TEST(test_background_checkpoint)
{
    char path[320], url[340], wal[340];
    snprintf(path, sizeof path, "%s/ckpt.db", tmpdir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    snprintf(wal, sizeof wal, "%s-wal", path);
    store *s = NULL;
    pt_error err = {0};
    CHECK(store_open(url, &s, &err) == 0, "open: %s", err.msg);
    if (s == NULL)
        return;
    tenant_id t = make_tenant(s);
    long long before = file_size(path);
    char sid[32], big[2048];
    memset(big, 'x', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    big[sizeof big - 1] = '\0';
    int failed = 0;
    for (int i = 0; i < 3000; i++) {   /* ~4 pages a turn: several checkpoints' worth */
        snprintf(sid, sizeof sid, "ck-%d", i);
        store_turn tw = turn_of(t, sid, big);
        store_turn *one[] = {&tw};
        failed += s->ops->turns_write(s, one, 1, &err) != 0;
    }
    CHECK_INT(failed, 0);
    long long after = before;
    for (int i = 0; i < 200 && (after = file_size(path)) < before + (4 << 20); i++) {
        struct timespec ms = {0, 10000000};
        nanosleep(&ms, NULL);
    }
    CHECK(after >= before + (4 << 20), "checkpointed into the database: %lld -> %lld bytes",
          before, after);
    CHECK(file_size(wal) < (80LL << 20), "WAL bounded: %lld bytes", file_size(wal));
    store_close(s);
}

TEST(test_state_cache)
{
    struct rec { int a; char name[100]; } r1 = {1, "one"}, r2 = {2, "two"}, out;
    state_cache *c = state_cache_open(4096);
    CHECK(c != NULL, "open");
    if (c == NULL)
        return;
    CHECK(!state_cache_get(c, STATE_SESSION, 1, "s1", &out, sizeof out), "empty");
    state_cache_put(c, STATE_SESSION, 1, "s1", &r1, sizeof r1);
    CHECK(state_cache_get(c, STATE_SESSION, 1, "s1", &out, sizeof out) && out.a == 1, "hit");
    CHECK(!state_cache_get(c, STATE_PROFILE, 1, "s1", &out, sizeof out), "kind is part of the key");
    CHECK(!state_cache_get(c, STATE_SESSION, 2, "s1", &out, sizeof out), "tenant is part of the key");
    CHECK(!state_cache_get(c, STATE_SESSION, 1, "s1", &out, sizeof out - 1), "size must match");
    state_cache_put(c, STATE_SESSION, 1, "s1", &r2, sizeof r2);
    CHECK(state_cache_get(c, STATE_SESSION, 1, "s1", &out, sizeof out) && out.a == 2, "replaced");
    /* the budget: 4096 bytes hold fewer than 40 records of ~170 bytes */
    char id[16];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "k%d", i);
        r1.a = i;
        state_cache_put(c, STATE_SESSION, 1, id, &r1, sizeof r1);
    }
    size_t entries = 0, bytes = 0;
    unsigned long hits = 0, misses = 0;
    state_cache_stats(c, &entries, &bytes, &hits, &misses);
    CHECK(bytes <= 4096 && entries > 5 && entries < 40, "bounded: %zu entries, %zu bytes", entries, bytes);
    CHECK(state_cache_get(c, STATE_SESSION, 1, "k39", &out, sizeof out) && out.a == 39, "newest kept");
    CHECK(!state_cache_get(c, STATE_SESSION, 1, "k0", &out, sizeof out), "oldest evicted");
    state_cache_drop(c, STATE_SESSION, 1, "k39");
    CHECK(!state_cache_get(c, STATE_SESSION, 1, "k39", &out, sizeof out), "dropped");
    state_cache_close(c);

    state_cache *off = state_cache_open(0);
    state_cache_put(off, STATE_SESSION, 1, "s1", &r1, sizeof r1);
    CHECK(!state_cache_get(off, STATE_SESSION, 1, "s1", &out, sizeof out), "budget 0: off");
    CHECK(state_cache_alloc(off, STATE_SESSION, 1, "s1", sizeof r1) == NULL, "budget 0: no blocks");
    CHECK(state_cache_take(off, STATE_SESSION, 1, "s1", sizeof r1) == NULL, "budget 0: nothing to take");
    state_cache_close(off);

    /* take / give: the record handed over, not copied */
    c = state_cache_open(4096);
    CHECK(state_cache_take(c, STATE_SESSION, 1, "s1", sizeof r1) == NULL, "take: miss");
    struct rec *b = state_cache_alloc(c, STATE_SESSION, 1, "s1", sizeof *b);
    CHECK(b != NULL, "alloc");
    if (b == NULL)
        return;
    *b = r1;
    b->a = 1;
    CHECK(!state_cache_get(c, STATE_SESSION, 1, "s1", &out, sizeof out), "an alloc'd block is not held yet");
    state_cache_give(c, b);
    CHECK(state_cache_get(c, STATE_SESSION, 1, "s1", &out, sizeof out) && out.a == 1, "given: held");
    struct rec *t = state_cache_take(c, STATE_SESSION, 1, "s1", sizeof *t);
    CHECK(t == b && t->a == 1, "take: the same block, no copy");
    CHECK(state_cache_take(c, STATE_SESSION, 1, "s1", sizeof *t) == NULL, "taken: out of the cache");
    CHECK(!state_cache_get(c, STATE_SESSION, 1, "s1", &out, sizeof out), "taken: get misses too");
    t->a = 5;
    state_cache_put(c, STATE_SESSION, 1, "s1", &r2, sizeof r2);   /* another writer meanwhile */
    state_cache_give(c, t);                                        /* the last one wins */
    CHECK(state_cache_get(c, STATE_SESSION, 1, "s1", &out, sizeof out) && out.a == 5, "give replaces");
    size_t held = 0, held_bytes = 0;
    state_cache_stats(c, &held, &held_bytes, &hits, &misses);
    CHECK_INT(held, 1);
    t = state_cache_take(c, STATE_SESSION, 1, "s1", sizeof *t);
    CHECK(t != NULL, "take again");
    state_cache_free(c, t);                                        /* a failed turn */
    state_cache_stats(c, &held, &held_bytes, &hits, &misses);
    CHECK(held == 0 && held_bytes == 0, "freed: nothing held (%zu, %zu bytes)", held, held_bytes);
    /* a freed (or evicted) block is the next record's of its size (no
     * malloc); a larger record gets a block of its own */
    struct big { char b[600]; } *bg = state_cache_alloc(c, STATE_SESSION, 1, "s2", sizeof *bg);
    CHECK(bg != NULL && (void *)bg != (void *)t, "a larger record: another block");
    if (bg)
        memset(bg, 7, sizeof *bg);   /* ASan: all of it is the record's */
    state_cache_free(c, bg);
    struct rec *again = state_cache_alloc(c, STATE_SESSION, 1, "s3", sizeof *again);
    CHECK(again == t, "the freed block again");
    if (again) {
        *again = r1;
        state_cache_give(c, again);
    }
    CHECK(state_cache_get(c, STATE_SESSION, 1, "s3", &out, sizeof out) && out.a == r1.a,
          "a recycled block holds its new record");
    state_cache_drop(c, STATE_SESSION, 1, "s3");
    /* given blocks are evicted like put ones, within the budget */
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "g%d", i);
        struct rec *g = state_cache_alloc(c, STATE_PROFILE, 1, id, sizeof *g);
        CHECK(g != NULL, "alloc %d", i);
        if (g == NULL)
            break;
        g->a = i;
        state_cache_give(c, g);
    }
    state_cache_stats(c, &held, &held_bytes, &hits, &misses);
    CHECK(held_bytes <= 4096 && held > 5 && held < 40, "given: bounded: %zu entries, %zu bytes", held, held_bytes);
    t = state_cache_take(c, STATE_PROFILE, 1, "g39", sizeof *t);
    CHECK(t != NULL && t->a == 39, "newest given kept");
    state_cache_give(c, t);
    state_cache_close(c);   /* frees what it holds (ASan: no leak) */

    /* entries leave their buckets without a walk: with chains of several
     * entries (64 buckets, 300 keys), evicting, dropping, taking and
     * giving in the middle of chains leaves every other key findable */
    c = state_cache_open(300 * 200);
    int kept[300] = {0};
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "c%d", i);
        struct rec v = {.a = i};
        state_cache_put(c, STATE_SESSION, 1, id, &v, sizeof v);
        kept[i] = 1;
    }
    state_cache_stats(c, &held, &held_bytes, &hits, &misses);
    for (int i = 0; i < 300 && held < 300; i++)   /* the oldest went for the budget */
        if (i < (int)(300 - held))
            kept[i] = 0;
    for (int i = 0; i < 300; i += 7) {
        snprintf(id, sizeof id, "c%d", i);
        state_cache_drop(c, STATE_SESSION, 1, id);
        kept[i] = 0;
    }
    for (int i = 3; i < 300; i += 11) {
        snprintf(id, sizeof id, "c%d", i);
        struct rec *r = state_cache_take(c, STATE_SESSION, 1, id, sizeof *r);
        CHECK((r != NULL) == (kept[i] != 0), "take c%d", i);
        if (r && i % 2) {
            r->a = 1000 + i;
            state_cache_give(c, r);
        } else if (r) {
            state_cache_free(c, r);
            kept[i] = 0;
        }
    }
    int wrong = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "c%d", i);
        bool got = state_cache_get(c, STATE_SESSION, 1, id, &out, sizeof out);
        int want = i % 11 == 3 && i % 2 ? 1000 + i : i;
        if (got != (kept[i] != 0) || (got && out.a != want))
            wrong++;
    }
    CHECK(wrong == 0, "chains intact: %d keys wrong", wrong);
    state_cache_stats(c, &held, &held_bytes, &hits, &misses);
    int n_kept = 0;
    for (int i = 0; i < 300; i++)
        n_kept += kept[i];
    CHECK((int)held == n_kept, "%zu held, %d expected", held, n_kept);
    state_cache_close(c);
}

int main(void)
{
    printf("%s\n", __FILE__);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pt-commit-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(dbpath, sizeof dbpath, "%s/t.db", tmpdir);
    snprintf(dburl, sizeof dburl, "sqlite:%s", dbpath);
    RUN(test_turns_write_isolates_a_failed_turn);
    RUN(test_committer_many_threads);
    RUN(test_committer_async);
    RUN(test_background_checkpoint);
    RUN(test_state_cache);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
