/*
 * test_store_fault.c - fault injection for the SQLite store (after SQLite's
 * faultsim): sqlite's allocator is wrapped so that the Nth allocation
 * fails (once, or every one from the Nth on), for N = 1, 2, ... until a
 * run passes without reaching N.  After each run it checks that:
 *   - a conversation turn either committed fully or left nothing;
 *   - a turn reported as committed is there;
 *   - the handle still works once memory is back;
 *   - opening a fresh database under faults leaves either a complete
 *     schema or one the next open completes;
 * and LeakSanitizer (the ASan build) checks nothing leaked.
 */
#include "store/store.h"
#include "util/log.h"
#include "test.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sqlite3_mem_methods real_mem;
static int fault_at;        /* 0: off; else the allocation number that fails */
static bool fault_sticky;   /* fail every allocation from fault_at on */
static int fault_count;     /* allocations since armed */
static bool fault_fired;

static bool fault_now(void)
{
    if (fault_at == 0)
        return false;
    fault_count++;
    if (fault_count == fault_at || (fault_sticky && fault_count > fault_at)) {
        fault_fired = true;
        return true;
    }
    return false;
}

static void *fault_malloc(int n)
{
    return fault_now() ? NULL : real_mem.xMalloc(n);
}

static void *fault_realloc(void *p, int n)
{
    return fault_now() ? NULL : real_mem.xRealloc(p, n);
}

static void fault_arm(int n, bool sticky)
{
    fault_count = 0;
    fault_fired = false;
    fault_sticky = sticky;
    fault_at = n;
}

static void fault_disarm(void)
{
    fault_at = 0;
}

static char tmpdir[256];

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            rm_tree(p);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Rows of a turn's session in each table it writes (raw, white-box). */
static int rows_of(const char *path, const char *table, const char *col, const char *key)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char sql[160];
    int n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s = ?1", table, col);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static int run_turn(store *s, tenant_id t, const char *sess, const char *user, pt_error *err)
{
    store_lead lead = {.user_id = user, .session_id = sess, .language = "en",
                       .state = "SLOT_FILLING", .temperature = "warm",
                       .engagement_score = 3, .intent_to_buy_score = 5,
                       .slots_json = "{\"bedrooms\":2}"};
    int rc = s->ops->turn_begin(s, err);
    if (rc)
        return rc;
    rc = s->ops->session_put(s, t, sess, user, "{\"state\":\"WARMUP\"}", err);
    if (rc == 0)
        rc = s->ops->message_append(s, t, sess, "user", "2 bhk in whitefield", NULL, err);
    if (rc == 0)
        rc = s->ops->message_append(s, t, sess, "assistant", "Here are three.", "{}", err);
    if (rc == 0)
        rc = s->ops->profile_put(s, t, user, "{\"seen\":1}", err);
    if (rc == 0)
        rc = s->ops->lead_put(s, t, &lead, err);
    if (rc == 0)
        rc = s->ops->turn_commit(s, err);
    else
        s->ops->turn_rollback(s);
    return rc;
}

/* Whether a whole turn commits on s once faults are off again (after
 * fault n; prefix keeps the sessions of different tests apart). */
static bool turn_after_fault(store *s, tenant_id t, const char *prefix, int n)
{
    char sess[40], user[40];
    pt_error err = {0};
    snprintf(sess, sizeof sess, "%s-%d", prefix, n);
    snprintf(user, sizeof user, "%s-u%d", prefix, n);
    if (run_turn(s, t, sess, user, &err) == 0)
        return true;
    fprintf(stderr, "%s fault %d: %s\n", prefix, n, err.msg);
    return false;
}

/* 0: nothing of the turn, 1: all of it, -1: a part (the failure). */
static int turn_state(const char *path, const char *sess, const char *user)
{
    int sessions = rows_of(path, "sessions", "session_id", sess);
    int messages = rows_of(path, "messages", "session_id", sess);
    int profiles = rows_of(path, "profiles", "user_id", user);
    int leads = rows_of(path, "leads", "user_id", user);
    if (sessions == 0 && messages == 0 && profiles == 0 && leads == 0)
        return 0;
    if (sessions == 1 && messages == 2 && profiles == 1 && leads == 1)
        return 1;
    fprintf(stderr, "partial turn %s: sessions %d messages %d profiles %d leads %d\n", sess,
            sessions, messages, profiles, leads);
    return -1;
}

static void fault_turns(bool sticky)
{
    char url[600], path[512];
    pt_error err = {0};
    store *s = NULL;
    snprintf(path, sizeof path, "%s/turns-%d.db", tmpdir, sticky);
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK(store_open(url, &s, &err) == 0, "open: %s", err.msg);
    if (s == NULL)
        return;
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "fault");
    CHECK(s->ops->tenant_create(s, &t, NULL, &err) == 0, "tenant: %s", err.msg);

    int runs = 0, partial = 0, lost = 0, unusable = 0, committed = 0;
    for (int n = 1; n < 5000; n++) {
        char sess[32], user[32];
        snprintf(sess, sizeof sess, "s%d", n);
        snprintf(user, sizeof user, "u%d", n);
        pt_error_clear(&err);
        fault_arm(n, sticky);
        int rc = run_turn(s, t.id, sess, user, &err);
        fault_disarm();
        runs++;
        int state = turn_state(path, sess, user);
        partial += state < 0;
        lost += rc == 0 && state != 1;
        committed += rc == 0;
        if (rc && err.code != PT_ERR_NOMEM && err.code != PT_ERR_STORE)
            fprintf(stderr, "unexpected error %d: %s\n", err.code, err.msg);
        /* the handle recovers once memory is back */
        unusable += !turn_after_fault(s, t.id, "after", n);
        if (!fault_fired)
            break;
    }
    printf("    %s: %d runs, %d committed under faults\n", sticky ? "sticky" : "one-shot",
           runs, committed);
    CHECK(runs > 5, "faults were injected (%d runs)", runs);
    CHECK_INT(partial, 0);
    CHECK_INT(lost, 0);
    CHECK_INT(unusable, 0);
    store_close(s);
}

/* Group commit under faults: three turns in one turns_write.  When the
 * call fails none of them may be there; when it succeeds each turn is whole
 * or absent, and present exactly when its own rc is 0. */
static void fault_batch(bool sticky)
{
    char url[600], path[512];
    pt_error err = {0};
    store *s = NULL;
    snprintf(path, sizeof path, "%s/batch-%d.db", tmpdir, sticky);
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK(store_open(url, &s, &err) == 0, "open: %s", err.msg);
    if (s == NULL)
        return;
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "fault");
    CHECK(s->ops->tenant_create(s, &t, NULL, &err) == 0, "tenant: %s", err.msg);

    int runs = 0, wrong = 0, unusable = 0;
    for (int n = 1; n < 5000; n++) {
        char sess[3][32], user[3][32];
        store_lead lead[3];
        store_turn tw[3], *batch[3];
        for (int i = 0; i < 3; i++) {
            snprintf(sess[i], sizeof sess[i], "b%d-%d", n, i);
            snprintf(user[i], sizeof user[i], "bu%d-%d", n, i);
            lead[i] = (store_lead){.user_id = user[i], .session_id = sess[i], .language = "en",
                                   .state = "WARMUP", .temperature = "cold"};
            tw[i] = (store_turn){.tenant = t.id, .session_id = sess[i], .user_id = user[i],
                                 .session_json = "{\"state\":\"WARMUP\"}", .user_text = "hi",
                                 .assistant_text = "hello", .assistant_meta = "{}",
                                 .profile_json = "{}", .lead = &lead[i]};
            batch[i] = &tw[i];
        }
        pt_error_clear(&err);
        fault_arm(n, sticky);
        int rc = s->ops->turns_write(s, batch, 3, &err);
        fault_disarm();
        runs++;
        for (int i = 0; i < 3; i++) {
            int state = turn_state(path, sess[i], user[i]);
            bool want = rc == 0 && tw[i].rc == 0;
            if (state != (want ? 1 : 0)) {
                fprintf(stderr, "fault %d turn %d: rc %d turn rc %d state %d\n", n, i, rc,
                        tw[i].rc, state);
                wrong++;
            }
            if (rc && tw[i].rc != rc)
                wrong++;
        }
        unusable += !turn_after_fault(s, t.id, "bafter", n);
        if (!fault_fired)
            break;
    }
    printf("    batch %s: %d runs\n", sticky ? "sticky" : "one-shot", runs);
    CHECK(runs > 5, "faults were injected (%d runs)", runs);
    CHECK_INT(wrong, 0);
    CHECK_INT(unusable, 0);
    store_close(s);
}

static void fault_open(bool sticky)
{
    int runs = 0, broken = 0;
    /* an open makes thousands of allocations: every one of the first 150,
     * then a sample (each run costs a fresh database) */
    for (int n = 1; n < 100000; n += n < 150 ? 1 : 11 + n / 25) {
        char url[512];
        pt_error err = {0};
        store *s = NULL;
        snprintf(url, sizeof url, "sqlite:%s/open-%d-%d.db", tmpdir, sticky, n);
        fault_arm(n, sticky);
        int rc = store_open(url, &s, &err);
        fault_disarm();
        runs++;
        if (rc == 0)
            store_close(s);
        else if (err.code != PT_ERR_NOMEM && err.code != PT_ERR_STORE)
            fprintf(stderr, "open under fault %d: %s\n", n, err.msg);
        /* whatever happened, the next open completes the schema */
        s = NULL;
        pt_error_clear(&err);
        if (store_open(url, &s, &err) != 0) {
            fprintf(stderr, "reopen after fault %d: %s\n", n, err.msg);
            broken++;
        } else {
            tenant t;
            memset(&t, 0, sizeof t);
            snprintf(t.slug, sizeof t.slug, "t");
            if (s->ops->tenant_create(s, &t, NULL, &err) != 0 ||
                run_turn(s, t.id, "s", "u", &err) != 0) {
                fprintf(stderr, "use after fault %d: %s\n", n, err.msg);
                broken++;
            }
            store_close(s);
        }
        if (!fault_fired)
            break;
    }
    printf("    open %s: %d runs\n", sticky ? "sticky" : "one-shot", runs);
    CHECK(runs > 5, "faults were injected (%d runs)", runs);
    CHECK_INT(broken, 0);
}

static void fault_reads(void)
{
    char url[512];
    pt_error err = {0};
    store *s = NULL;
    snprintf(url, sizeof url, "sqlite:%s/reads.db", tmpdir);
    CHECK(store_open(url, &s, &err) == 0, "open: %s", err.msg);
    if (s == NULL)
        return;
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "r");
    s->ops->tenant_create(s, &t, NULL, &err);
    s->ops->import_begin(s, &err);
    for (int i = 0; i < 50; i++) {
        char id[16];
        snprintf(id, sizeof id, "L%d", i);
        listing l;
        memset(&l, 0, sizeof l);
        l.id = id;
        l.title = "A home";
        l.locality = i % 2 ? "Marina" : "JVC";
        l.type = PTYPE_APARTMENT;
        l.tx = TX_BUY;
        l.bedrooms = i % 3;
        l.price = 1000000 + i;
        snprintf(l.currency, sizeof l.currency, "AED");
        l.bathrooms = l.area_sqft = l.rental_yield = -1;
        l.units_available = -1;
        s->ops->listing_upsert(s, t.id, &l, &err);
    }
    CHECK(s->ops->import_commit(s, &err) == 0, "import: %s", err.msg);
    int runs = 0, wrong = 0;
    for (int n = 1; n < 5000; n++) {
        arena a;
        arena_init(&a, 0);
        listing *rows = NULL;
        store_locality_stats *st = NULL;
        int k = 0;
        store_listing_query q;
        memset(&q, 0, sizeof q);
        q.bedrooms = 1;
        const char *locs[] = {"Marina", "JVC"};
        q.localities = locs;
        q.n_localities = 1 + n % 2;   /* a second, uncached statement shape */
        pt_error_clear(&err);
        fault_arm(n, false);
        int rc = s->ops->listing_search(s, t.id, &q, &a, &rows, &k, &err);
        int rc2 = s->ops->locality_stats(s, t.id, TX_BUY, &a, &st, &k, &err);
        fault_disarm();
        runs++;
        if ((rc && err.code != PT_ERR_NOMEM && err.code != PT_ERR_STORE) ||
            (rc2 && err.code != PT_ERR_NOMEM && err.code != PT_ERR_STORE))
            wrong++;
        arena_release(&a);
        if (!fault_fired)
            break;
    }
    printf("    reads: %d runs\n", runs);
    CHECK_INT(wrong, 0);
    store_close(s);
}

TEST(test_fault_turns)
{
    fault_turns(false);
    fault_turns(true);
}

TEST(test_fault_batch)
{
    fault_batch(false);
    fault_batch(true);
}

TEST(test_fault_open)
{
    fault_open(false);
    fault_open(true);
}

TEST(test_fault_reads)
{
    fault_reads();
}

static void setup(void)
{
    sqlite3_mem_methods m;
    /* before anything initialises sqlite */
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK) {
        fprintf(stderr, "sqlite already initialised\n");
        exit(1);
    }
    m = real_mem;
    m.xMalloc = fault_malloc;
    m.xRealloc = fault_realloc;
    sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
    /* no lookaside: every allocation goes through the wrapper */
    sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/proptalk-fault-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    setenv("PROPTALK_LOG", "error", 1);
    log_init();
}

TEST_MAIN(
    setup();
    RUN(test_fault_turns); RUN(test_fault_batch);
    RUN(test_fault_open);
    RUN(test_fault_reads);
    rm_tree(tmpdir);
)
