/*
 * test_sqlite_pcache.c - the page cache that skips needless truncates
 * (store/sqlite_pcache.h).
 *
 * Three checks, the cache installed before SQLite initialises:
 *   - its methods against a model: random fetches, unpins, rekeys (balance
 *     detours through a far key included) and truncates on a default cache
 *     behind it; before each truncate the test probes whether a page at or
 *     past the limit exists, and a skipped truncate with such a page fails;
 *     after each truncate no such page may remain; and the balance pattern
 *     step by step: skipped at the commit's truncate when the page came
 *     back, forwarded when it did not;
 *   - a real WAL database with 512-byte pages, written by two connections
 *     in turn (each one's cache reset by the other's commits) with random
 *     inserts, updates and deletes of rows and index entries of random
 *     sizes (many balances), savepoints rolled back or released, whole
 *     transactions rolled back (some after growing the file by hundreds of
 *     pages), checkpoints and VACUUMs: after each step every row is compared
 *     with an in-memory model through both connections, and integrity_check
 *     must say ok;
 *   - a rollback of a transaction that grew the file: the truncate is
 *     forwarded, the rows read back are the old ones, and the pages written
 *     again afterwards hold the new rows, through this and another
 *     connection.
 */
#include "store/sqlite_pcache.c"
#include "test.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/proptalk-pcache-XXXXXX";

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* ---- the methods against a model ---------------------------------------- */

#define MKEYS 64
#define FAR 262145u

typedef struct mpage {
    unsigned key;
    sqlite3_pcache_page *pg;   /* pinned: the handle; NULL when unpinned */
} mpage;

/* The keys that may be present (every page the cache can hold was fetched
 * or rekeyed through here), with their pinned handles. */
static mpage model[MKEYS * 4];
static int n_model;

static int model_at(unsigned key)
{
    for (int i = 0; i < n_model; i++)
        if (model[i].key == key)
            return i;
    return -1;
}

static void model_drop(int i)
{
    model[i] = model[--n_model];
}

/* Whether the default cache behind c holds key (probed without creating;
 * a page found is given back unpinned unless the model has it pinned). */
static bool inner_has(pc_cache *c, unsigned key)
{
    sqlite3_pcache_page *pg = pc_def.xFetch(c->inner, key, 0);
    if (pg == NULL)
        return false;
    int i = model_at(key);
    if (i < 0 || model[i].pg == NULL)
        pc_def.xUnpin(c->inner, pg, 0);
    return true;
}

/* Removes the model's keys the default cache no longer holds (evicted or
 * truncated), so the model stays the set of candidates. */
static void model_sync(pc_cache *c)
{
    for (int i = 0; i < n_model;)
        if (!inner_has(c, model[i].key))
            model_drop(i);
        else
            i++;
}

/* Moves pinned page i to key as sqlite3PcacheMove does: a page already
 * there is discarded first. */
static void move_to(pc_cache *c, int i, unsigned key)
{
    if (model[i].key == key)
        return;
    int j = model_at(key);
    if (j >= 0) {
        sqlite3_pcache_page *other = model[j].pg ? model[j].pg : pc_fetch((sqlite3_pcache *)c, key, 0);
        if (other)
            pc_unpin((sqlite3_pcache *)c, other, 1);
        model_drop(j);
        if (i == n_model)
            i = j;   /* model_drop moved the last entry, i, to j */
    }
    pc_rekey((sqlite3_pcache *)c, model[i].pg, model[i].key, key);
    model[i].key = key;
}

TEST(test_bound_model)
{
    sqlite3_pcache *p = pc_create(512, 64, 1);
    CHECK(p != NULL, "a cache is made");
    if (p == NULL)
        return;
    pc_cache *c = (pc_cache *)p;
    pc_cachesize(p, 100000);
    n_model = 0;
    int missed = 0, left = 0, skips = 0, forwards = 0, balances = 0, balance_skips = 0;
    for (int step = 0; step < 20000; step++) {
        unsigned op = rnd(100), top = 1 + rnd(step % 500 < 250 ? 40 : 200);
        if (op < 40 && n_model < MKEYS * 3) {
            unsigned key = 1 + rnd(top);
            int i = model_at(key);
            sqlite3_pcache_page *pg = pc_fetch(p, key, 2);
            CHECK(pg != NULL, "fetch %u", key);
            if (pg == NULL)
                continue;
            if (i >= 0) {
                model[i].pg = pg;   /* pinned once, however often fetched */
            } else {
                model[n_model++] = (mpage){key, pg};
            }
        } else if (op < 60 && n_model > 0) {
            int i = (int)rnd((unsigned)n_model);
            if (model[i].pg) {
                bool discard = rnd(4) == 0;
                pc_unpin(p, model[i].pg, discard);
                model[i].pg = NULL;
                if (discard)
                    model_drop(i);
            }
        } else if (op < 70 && n_model > 0) {
            int i = (int)rnd((unsigned)n_model);
            if (model[i].pg)
                move_to(c, i, rnd(8) == 0 ? FAR + rnd(3) : 1 + rnd(top));
        } else if (op < 78 && n_model < MKEYS * 3 - 3) {
            /* a balance: three pages, one parked at a far key and back */
            unsigned a = 1 + rnd(top), b = a + 1 + rnd(5), cc = b + 1 + rnd(5);
            unsigned keys[3] = {a, b, cc};
            int at[3];
            for (int k = 0; k < 3; k++) {
                int i = model_at(keys[k]);
                sqlite3_pcache_page *pg = pc_fetch(p, keys[k], 2);
                if (pg == NULL)
                    goto skip_balance;
                if (i >= 0)
                    model[i].pg = pg;
                else
                    model[n_model++] = (mpage){keys[k], pg};
            }
            /* b -> FAR, a -> old b, b (at FAR) -> old a */
            at[1] = model_at(b);
            move_to(c, at[1], FAR);
            at[0] = model_at(a);
            move_to(c, at[0], b);
            at[1] = model_at(FAR);
            move_to(c, at[1], a);
            balances++;
            /* the commit's truncate just past the top: nothing is there */
            unsigned hi_key = 0;
            for (int i = 0; i < n_model; i++)
                if (model[i].key > hi_key)
                    hi_key = model[i].key;
            unsigned long s0, f0, s1, f1;
            pt_sqlite_pcache_stats(&s0, &f0);
            pc_truncate(p, hi_key + 1);
            pt_sqlite_pcache_stats(&s1, &f1);
            balance_skips += s1 > s0;
        skip_balance:;
        } else {
            model_sync(c);
            unsigned limit = rnd(10) == 0 ? 0 : 1 + rnd(top + 3);
            bool needed = false;
            for (int i = 0; i < n_model; i++)
                if (model[i].key >= limit && inner_has(c, model[i].key))
                    needed = true;
            unsigned long s0, f0, s1, f1;
            pt_sqlite_pcache_stats(&s0, &f0);
            pc_truncate(p, limit);
            pt_sqlite_pcache_stats(&s1, &f1);
            if (s1 > s0 && needed)
                missed++;
            skips += s1 > s0;
            forwards += f1 > f0;
            for (int i = 0; i < n_model;) {
                if (model[i].key >= limit) {
                    if (inner_has(c, model[i].key))
                        left++;
                    model_drop(i);   /* truncated, pinned or not */
                } else {
                    i++;
                }
            }
        }
    }
    printf("    %d truncates skipped, %d forwarded, %d balances (%d followed by a skip)\n",
           skips, forwards, balances, balance_skips);
    CHECK_INT(missed, 0);
    CHECK_INT(left, 0);
    CHECK(skips > 100 && forwards > 100, "both paths taken: %d skipped, %d forwarded", skips,
          forwards);
    pc_destroy(p);
}

/* Truncates at limit on p and tells whether it was skipped. */
static bool skipped_at(sqlite3_pcache *p, unsigned limit)
{
    unsigned long s0, f0, s1, f1;
    pt_sqlite_pcache_stats(&s0, &f0);
    pc_truncate(p, limit);
    pt_sqlite_pcache_stats(&s1, &f1);
    return s1 > s0;
}

/* The commit after a balance: pages 1..10, a balance of 4, 5, 6 through
 * the far key, then the commit's truncate(11) is skipped; a page left at
 * the far key makes it forwarded (and the page goes); more detours at once
 * than the parked set holds fold into hi, forwarded once, then skipped
 * again. */
TEST(test_balance_then_commit)
{
    sqlite3_pcache *p = pc_create(512, 64, 1);
    if (p == NULL)
        return;
    pc_cachesize(p, 1000);
    sqlite3_pcache_page *pg[11] = {0};
    for (unsigned k = 1; k <= 10; k++)
        pg[k] = pc_fetch(p, k, 2);
    CHECK(skipped_at(p, 11), "nothing past 10");
    CHECK(!skipped_at(p, 10), "page 10 is there");
    CHECK(pc_fetch(p, 10, 0) == NULL, "page 10 truncated");
    pg[10] = pc_fetch(p, 10, 2);
    /* 5 -> FAR, 4 -> 5, FAR -> 4 (pages 4..6 pinned) */
    pc_rekey(p, pg[5], 5, FAR);
    pc_rekey(p, pg[4], 4, 5);
    pc_rekey(p, pg[5], FAR, 4);
    CHECK(skipped_at(p, 11), "the detour is forgotten");
    CHECK(pc_fetch(p, 4, 0) == pg[5] && pc_fetch(p, 5, 0) == pg[4], "pages swapped");
    sqlite3_pcache_page *tmp = pg[4];
    pg[4] = pg[5];
    pg[5] = tmp;
    /* left at the far key: forwarded, and the page is gone */
    pc_rekey(p, pg[6], 6, FAR);
    CHECK(!skipped_at(p, 11), "a page at %u", FAR);
    CHECK(pc_fetch(p, FAR, 0) == NULL, "page %u truncated", FAR);
    CHECK(skipped_at(p, 11), "and then nothing past 10");
    pg[6] = pc_fetch(p, 6, 2);
    /* six detours at once: more than the parked set */
    for (unsigned k = 1; k <= 6; k++)
        pc_rekey(p, pg[k], k, FAR + k);
    for (unsigned k = 1; k <= 6; k++)
        pc_rekey(p, pg[k], FAR + k, k);
    CHECK(!skipped_at(p, 11), "folded into hi: forwarded once");
    CHECK(skipped_at(p, 11), "then skipped again");
    for (unsigned k = 1; k <= 10; k++)
        CHECK(pc_fetch(p, k, 0) == pg[k], "page %u kept", k);
    CHECK(!skipped_at(p, 1), "everything goes at 1");
    CHECK(pc_fetch(p, 1, 0) == NULL && pc_pagecount(p) == 0, "empty");
    CHECK(skipped_at(p, 1), "an empty cache skips");
    pc_destroy(p);
}

/* ---- a real database ----------------------------------------------------- */

#define NROWS 500

typedef struct row {
    bool present;
    unsigned s_len, v_len, seed;
} row;

static row rows[NROWS];

static void fill(unsigned char *out, unsigned len, unsigned seed, unsigned salt)
{
    for (unsigned i = 0; i < len; i++)
        out[i] = (unsigned char)('a' + (i * 7 + seed * 13 + salt) % 26);
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  sql \"%.60s\": %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    return rc;
}

/* Writes row k of model m through db (insert, replace or delete). */
static int put_row(sqlite3 *db, int k, const row *r)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (!r->present) {
        rc = sqlite3_prepare_v2(db, "DELETE FROM t WHERE k = ?1", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int(st, 1, k);
    } else {
        static unsigned char s[400], v[3000];
        fill(s, r->s_len, r->seed, 1);
        fill(v, r->v_len, r->seed, 2);
        rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t (k, s, v) VALUES (?1, ?2, ?3)", -1,
                                &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int(st, 1, k) |
                 sqlite3_bind_text(st, 2, (const char *)s, (int)r->s_len, SQLITE_STATIC) |
                 sqlite3_bind_blob(st, 3, v, (int)r->v_len, SQLITE_STATIC);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    sqlite3_finalize(st);
    return rc;
}

/* A random change of row k in m (a new row, a new size, or gone). */
static void change(row *m, int k, bool grow)
{
    row *r = &m[k];
    if (r->present && !grow && rnd(4) == 0) {
        r->present = false;
        return;
    }
    r->present = true;
    r->s_len = 1 + rnd(grow ? 300 : 120);
    r->v_len = rnd(8) == 0 ? 0 : rnd(grow ? 2900 : 1400);
    r->seed = rnd(1u << 20);
}

/* 0 when db holds exactly m's rows (and the index agrees), else the number
 * of differences. */
static int verify(sqlite3 *db, const row *m)
{
    int bad = 0, seen = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT k, s, v FROM t ORDER BY k", -1, &st, NULL) != SQLITE_OK)
        return 1;
    int r;
    static unsigned char s[400], v[3000];
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int k = sqlite3_column_int(st, 0);
        seen++;
        if (k < 0 || k >= NROWS || !m[k].present) {
            bad++;
            continue;
        }
        fill(s, m[k].s_len, m[k].seed, 1);
        fill(v, m[k].v_len, m[k].seed, 2);
        const void *gs = sqlite3_column_text(st, 1), *gv = sqlite3_column_blob(st, 2);
        if ((unsigned)sqlite3_column_bytes(st, 1) != m[k].s_len ||
            (unsigned)sqlite3_column_bytes(st, 2) != m[k].v_len ||
            (m[k].s_len && memcmp(gs, s, m[k].s_len) != 0) ||
            (m[k].v_len && memcmp(gv, v, m[k].v_len) != 0))
            bad++;
    }
    if (r != SQLITE_DONE)
        bad++;
    sqlite3_finalize(st);
    int want = 0;
    for (int k = 0; k < NROWS; k++)
        want += m[k].present;
    if (seen != want)
        bad++;
    /* the index: every row found through it */
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t INDEXED BY t_s WHERE s >= ''", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 0) != want)
            bad++;
    } else {
        bad++;
    }
    sqlite3_finalize(st);
    return bad;
}

static bool integrity_ok(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW &&
              strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    return ok;
}

static void unlink_db(const char *path)
{
    char side[200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static int open_db(const char *path, sqlite3 **db)
{
    int rc = sqlite3_open(path, db);
    if (rc == SQLITE_OK)
        rc = exec(*db, "PRAGMA page_size=512; PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                       " PRAGMA cache_size=2000; PRAGMA wal_autocheckpoint=300");
    return rc;
}

TEST(test_stress_real_db)
{
    char path[128];
    snprintf(path, sizeof path, "%s/s.db", dir);
    unlink_db(path);
    sqlite3 *db[2] = {NULL, NULL};
    CHECK_INT(open_db(path, &db[0]), SQLITE_OK);
    CHECK_INT(exec(db[0], "CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT NOT NULL, v BLOB);"
                          " CREATE INDEX t_s ON t(s)"), SQLITE_OK);
    CHECK_INT(open_db(path, &db[1]), SQLITE_OK);
    memset(rows, 0, sizeof rows);
    unsigned long s0, f0, s1, f1;
    pt_sqlite_pcache_stats(&s0, &f0);
    static row work[NROWS], saved[NROWS];
    int bad = 0, broken = 0, steps = 0, grown_rollbacks = 0;
    for (int step = 0; step < 300 && bad == 0 && broken == 0; step++, steps++) {
        sqlite3 *w = db[rnd(2)];
        unsigned kind = rnd(20);
        if (kind == 0) {
            bad += exec(w, rnd(3) == 0 ? "VACUUM" : "PRAGMA wal_checkpoint(TRUNCATE)") != SQLITE_OK;
        } else {
            /* a small cache now and then: pages spilled inside a transaction */
            bad += exec(w, rnd(4) == 0 ? "PRAGMA cache_size=20" : "PRAGMA cache_size=2000") !=
                   SQLITE_OK;
            bool grow = kind == 1 || kind == 2;   /* hundreds of new pages */
            bool rollback = grow ? kind == 1 : rnd(5) == 0;
            memcpy(work, rows, sizeof rows);
            bad += exec(w, "BEGIN") != SQLITE_OK;
            int n = grow ? 150 : 1 + (int)rnd(30);
            bool in_sp = false;
            for (int i = 0; i < n && bad == 0; i++) {
                if (!in_sp && rnd(10) == 0) {
                    bad += exec(w, "SAVEPOINT sp") != SQLITE_OK;
                    memcpy(saved, work, sizeof work);
                    in_sp = true;
                } else if (in_sp && rnd(8) == 0) {
                    if (rnd(2)) {
                        bad += exec(w, "ROLLBACK TO sp; RELEASE sp") != SQLITE_OK;
                        memcpy(work, saved, sizeof work);
                    } else {
                        bad += exec(w, "RELEASE sp") != SQLITE_OK;
                    }
                    in_sp = false;
                }
                int k = (int)rnd(NROWS);
                change(work, k, grow);
                bad += put_row(w, k, &work[k]) != SQLITE_OK;
            }
            if (in_sp)
                bad += exec(w, "RELEASE sp") != SQLITE_OK;
            if (rollback) {
                bad += exec(w, "ROLLBACK") != SQLITE_OK;
                grown_rollbacks += grow;
            } else {
                bad += exec(w, "COMMIT") != SQLITE_OK;
                memcpy(rows, work, sizeof rows);
            }
        }
        for (int i = 0; i < 2; i++)
            bad += verify(db[i], rows);
        if (!integrity_ok(db[rnd(2)]))
            broken++;
    }
    pt_sqlite_pcache_stats(&s1, &f1);
    printf("    %d steps (%d rollbacks of a grown file): %lu truncates skipped, %lu forwarded\n",
           steps, grown_rollbacks, s1 - s0, f1 - f0);
    CHECK_INT(bad, 0);
    CHECK_INT(broken, 0);
    CHECK_INT(steps, 300);
    CHECK(grown_rollbacks > 5, "%d rollbacks of a grown file", grown_rollbacks);
    CHECK(s1 - s0 > 100, "skipped %lu", s1 - s0);
    CHECK(f1 - f0 > 100, "forwarded %lu", f1 - f0);
    sqlite3_close(db[0]);
    sqlite3_close(db[1]);
    unlink_db(path);
}

/* The file grown inside a transaction that is rolled back: the truncate
 * is needed and must reach the default cache, the old rows are read back,
 * and the pages written again hold the new ones. */
TEST(test_rollback_of_growth)
{
    char path[128];
    snprintf(path, sizeof path, "%s/g.db", dir);
    unlink_db(path);
    sqlite3 *w = NULL, *r = NULL;
    CHECK_INT(open_db(path, &w), SQLITE_OK);
    CHECK_INT(exec(w, "CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT NOT NULL, v BLOB);"
                      " CREATE INDEX t_s ON t(s)"), SQLITE_OK);
    CHECK_INT(open_db(path, &r), SQLITE_OK);
    memset(rows, 0, sizeof rows);
    for (int k = 0; k < 40; k++) {
        change(rows, k, false);
        CHECK_INT(put_row(w, k, &rows[k]), SQLITE_OK);
    }
    CHECK_INT(verify(w, rows), 0);
    /* a commit that does not grow the file: its truncate is skipped */
    unsigned long s0, f0, s1, f1;
    CHECK_INT(exec(w, "UPDATE t SET s = s WHERE k = 1"), SQLITE_OK);
    pt_sqlite_pcache_stats(&s0, &f0);
    CHECK_INT(exec(w, "UPDATE t SET s = s WHERE k = 2"), SQLITE_OK);
    pt_sqlite_pcache_stats(&s1, &f1);
    CHECK(s1 > s0, "a commit in place skips the truncate (%lu skipped)", s1 - s0);
    CHECK_INT(f1 - f0, 0);

    static row grown[NROWS];
    for (int round = 0; round < 3; round++) {
        memcpy(grown, rows, sizeof rows);
        CHECK_INT(exec(w, "BEGIN"), SQLITE_OK);
        for (int k = 40; k < NROWS; k++) {
            change(grown, k, true);
            CHECK_INT(put_row(w, k, &grown[k]), SQLITE_OK);
        }
        CHECK_INT(verify(w, grown), 0);
        pt_sqlite_pcache_stats(&s0, &f0);
        CHECK_INT(exec(w, "ROLLBACK"), SQLITE_OK);
        pt_sqlite_pcache_stats(&s1, &f1);
        CHECK(f1 > f0, "round %d: the rollback's truncate is forwarded", round);
        CHECK_INT(verify(w, rows), 0);
        CHECK_INT(verify(r, rows), 0);
        /* the same page numbers written again, with other rows */
        CHECK_INT(exec(w, "BEGIN"), SQLITE_OK);
        for (int k = 40 + round * 20; k < 60 + round * 20; k++) {
            change(rows, k, true);
            CHECK_INT(put_row(w, k, &rows[k]), SQLITE_OK);
        }
        CHECK_INT(exec(w, "COMMIT"), SQLITE_OK);
        CHECK_INT(verify(w, rows), 0);
        CHECK_INT(verify(r, rows), 0);
        CHECK(integrity_ok(w), "round %d: integrity", round);
    }
    sqlite3_close(w);
    sqlite3_close(r);
    unlink_db(path);
}

TEST_MAIN({
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    CHECK(pt_sqlite_pcache_install(), "installed before sqlite initialises");
    CHECK(!pt_sqlite_pcache_install(), "a second install is refused");
    CHECK_INT(sqlite3_initialize(), SQLITE_OK);
    RUN(test_bound_model);
    RUN(test_balance_then_commit);
    RUN(test_stress_real_db);
    RUN(test_rollback_of_growth);
    rmdir(dir);
})
