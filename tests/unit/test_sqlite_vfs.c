/*
 * test_sqlite_vfs.c - the VFS that keeps a database's memory map across
 * other connections' commits (store/sqlite_vfs.h).
 *
 * A reader on the VFS with mmap_size set reads every row after each commit
 * of a writer on another connection, while the file grows (checkpoints),
 * shrinks (VACUUM, then a checkpoint) and is truncated to nothing of the
 * WAL: every answer must be the writer's, the map must be made a handful
 * of times (not once per transaction), and the reader's integrity check
 * must pass.  (The store maps only files of 256 MiB and more; its smaller
 * test databases go through this VFS unmapped, in every other test.)
 */
#include "store/sqlite_vfs.h"
#include "test.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/proptalk-vfs-XXXXXX";

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  sql \"%.60s\": %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    return rc;
}

/* count(*) and a checksum of every row's bytes, as seen by db */
static int sum_rows(sqlite3 *db, int64_t *count, int64_t *sum)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*), total(id * 7 + length(v) + unicode(substr(v, 500)))"
                                    " FROM t", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        *sum = (int64_t)sqlite3_column_double(st, 1);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

TEST(test_map_kept_across_commits)
{
    const char *vfs = pt_sqlite_vfs();
    CHECK(vfs != NULL, "the VFS is registered");
    if (vfs == NULL)
        return;
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", dir);
    sqlite3 *w = NULL, *r = NULL;
    CHECK_INT(sqlite3_open(path, &w), SQLITE_OK);
    CHECK_INT(exec(w, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=OFF;"
                      "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);"
                      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)"
                      " INSERT INTO t SELECT i, printf('%.*c', 900 + i % 100, char(65 + i % 26)) FROM n;"
                      "PRAGMA wal_checkpoint(TRUNCATE);"), SQLITE_OK);
    CHECK_INT(sqlite3_open_v2(path, &r, SQLITE_OPEN_READWRITE, vfs), SQLITE_OK);
    CHECK_INT(exec(r, "PRAGMA mmap_size=268435456"), SQLITE_OK);
    unsigned long maps0, unmaps0, maps1, unmaps1;
    pt_sqlite_vfs_stats(&maps0, &unmaps0);

    int bad = 0, rounds = 0;
    for (int i = 0; i < 150; i++) {
        char sql[512];
        if (i % 50 == 39) {
            /* shrink: most rows gone, the file rewritten smaller */
            snprintf(sql, sizeof sql, "DELETE FROM t WHERE id %% 5 != 0; VACUUM;"
                                      " PRAGMA wal_checkpoint(TRUNCATE);");
        } else if (i % 10 == 9) {
            /* grow: the WAL's pages copied into the file, which grows */
            snprintf(sql, sizeof sql, "PRAGMA wal_checkpoint(TRUNCATE);");
        } else {
            snprintf(sql, sizeof sql,
                     "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 40)"
                     " INSERT OR REPLACE INTO t SELECT 3000 + %d * 40 + k,"
                     " printf('%%.*c', 700 + k * 9, char(97 + (k + %d) %% 26)) FROM n;"
                     " UPDATE t SET v = printf('%%.*c', 950, char(48 + %d %% 10)) WHERE id %% 97 = %d %% 97;",
                     i, i, i, i);
        }
        if (exec(w, sql) != SQLITE_OK) {
            bad++;
            break;
        }
        int64_t wc = 0, ws = 0, rc_ = 0, rs = 0;
        if (sum_rows(w, &wc, &ws) != SQLITE_OK || sum_rows(r, &rc_, &rs) != SQLITE_OK || wc != rc_ ||
            ws != rs)
            bad++;
        rounds++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(rounds, 150);
    pt_sqlite_vfs_stats(&maps1, &unmaps1);
    /* unix would map again after each of the 150 commits; this one maps
     * when the file outgrows the map (or shrinks under it) */
    printf("    %lu maps, %lu unmaps over 150 commits\n", maps1 - maps0, unmaps1 - unmaps0);
    CHECK(maps1 - maps0 >= 1 && maps1 - maps0 <= 20, "maps %lu over 150 commits", maps1 - maps0);
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(r, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    /* mmap_size 0: no map at all, same answers */
    CHECK_INT(exec(r, "PRAGMA mmap_size=0"), SQLITE_OK);
    int64_t wc = 0, ws = 0, rc_ = 0, rs = 0;
    CHECK_INT(sum_rows(w, &wc, &ws), SQLITE_OK);
    CHECK_INT(sum_rows(r, &rc_, &rs), SQLITE_OK);
    CHECK(wc == rc_ && ws == rs, "without a map: %lld/%lld rows", (long long)rc_, (long long)wc);
    sqlite3_close(r);
    sqlite3_close(w);
    unlink(path);
    char side[160];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* The same path replaced by another file: the new file's pages, not the
 * old one's (the descriptor is kept per file, not per path). */
TEST(test_replaced_file)
{
    const char *vfs = pt_sqlite_vfs();
    if (vfs == NULL)
        return;
    char path[128];
    snprintf(path, sizeof path, "%s/r.db", dir);
    for (int round = 0; round < 2; round++) {
        sqlite3 *w = NULL, *r = NULL;
        char sql[256];
        unlink(path);
        CHECK_INT(sqlite3_open(path, &w), SQLITE_OK);
        snprintf(sql, sizeof sql, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);"
                                  " INSERT INTO t VALUES (1, printf('%%.*c', 1000, char(%d)));",
                 round ? 66 : 65);
        CHECK_INT(exec(w, sql), SQLITE_OK);
        sqlite3_close(w);
        CHECK_INT(sqlite3_open_v2(path, &r, SQLITE_OPEN_READWRITE, vfs), SQLITE_OK);
        CHECK_INT(exec(r, "PRAGMA mmap_size=268435456"), SQLITE_OK);
        sqlite3_stmt *st = NULL;
        CHECK_INT(sqlite3_prepare_v2(r, "SELECT substr(v, 1, 1) FROM t", -1, &st, NULL), SQLITE_OK);
        CHECK_INT(sqlite3_step(st), SQLITE_ROW);
        CHECK_STR((const char *)sqlite3_column_text(st, 0), round ? "B" : "A");
        sqlite3_finalize(st);
        sqlite3_close(r);
    }
    unlink(path);
}

/* The WAL's frames held by the VFS until the commit frame (sqlite_vfs.c,
 * "The WAL's writes"): a writer on the VFS with synchronous=NORMAL (no sync
 * at commit: the commit frame's write alone must put the frames in the
 * file), half the time with a 10-page cache (transactions spill frames
 * before they commit), transactions larger than what is held at once, rollbacks after
 * a spill; after each, a reader on the VFS and one on the default VFS
 * (reading the WAL file itself) see exactly the writer's rows, and the
 * file reopened afterwards holds them all. */
TEST(test_wal_writes_held)
{
    const char *vfs = pt_sqlite_vfs();
    if (vfs == NULL)
        return;
    char path[128];
    snprintf(path, sizeof path, "%s/w.db", dir);
    sqlite3 *w = NULL, *r = NULL, *u = NULL;
    CHECK_INT(sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
    CHECK_INT(exec(w, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=NORMAL;"
                      " CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);"), SQLITE_OK);
    CHECK_INT(sqlite3_open_v2(path, &r, SQLITE_OPEN_READWRITE, vfs), SQLITE_OK);
    CHECK_INT(sqlite3_open(path, &u), SQLITE_OK);
    int bad = 0, rounds = 0;
    int64_t kept_c = 0, kept_s = 0;
    for (int i = 0; i < 24 && bad == 0; i++) {
        char sql[512];
        bool rollback = i % 4 == 3;
        /* half the rounds with a 10-page cache: frames spilled and read
         * back before the commit; the others keep every page in the cache,
         * so nothing but the commit writes the held frames */
        if (exec(w, i % 2 ? "PRAGMA cache_size=10" : "PRAGMA cache_size=4000") != SQLITE_OK)
            bad++;
        /* 400 rows of ~1 KB (about 130 pages, more than the VFS holds at
         * once) every third round, else 20 */
        int n = i % 3 == 0 ? 400 : 20;
        snprintf(sql, sizeof sql,
                 "BEGIN; WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < %d)"
                 " INSERT OR REPLACE INTO t SELECT (%d * 37 + k * 11) %% 3000,"
                 " printf('%%.*c', 600 + k %% 500, char(65 + (k + %d) %% 26)) FROM n;"
                 " UPDATE t SET v = printf('%%.*c', 990, char(48 + %d %% 10)) WHERE id %% 13 = %d %% 13;"
                 " %s;", n, i, i, i, i, rollback ? "ROLLBACK" : "COMMIT");
        if (exec(w, sql) != SQLITE_OK) {
            bad++;
            break;
        }
        int64_t wc = 0, ws = 0, rc_ = 0, rs = 0, uc = 0, us = 0;
        /* the readers first: the writer's own calls would write what is held */
        if (sum_rows(u, &uc, &us) != SQLITE_OK || sum_rows(r, &rc_, &rs) != SQLITE_OK ||
            sum_rows(w, &wc, &ws) != SQLITE_OK || wc != rc_ || ws != rs || wc != uc || ws != us)
            bad++;
        if (rollback && (wc != kept_c || ws != kept_s))
            bad++;   /* a rolled back transaction changed nothing */
        kept_c = wc;
        kept_s = ws;
        if (i == 12 && exec(w, "PRAGMA wal_checkpoint(TRUNCATE)") != SQLITE_OK)
            bad++;   /* the WAL started again from its header */
        rounds++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(rounds, 24);
    CHECK(kept_c > 400, "%lld rows kept", (long long)kept_c);
    sqlite3_close(r);
    sqlite3_close(u);
    sqlite3_close(w);
    /* reopened (the WAL read back by recovery): the same rows, a sound file */
    CHECK_INT(sqlite3_open(path, &u), SQLITE_OK);
    int64_t c = 0, sum = 0;
    CHECK_INT(sum_rows(u, &c, &sum), SQLITE_OK);
    CHECK(c == kept_c && sum == kept_s, "after reopening: %lld rows", (long long)c);
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(u, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(u);
    unlink(path);
    char side[160];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

TEST_MAIN({
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_map_kept_across_commits);
    RUN(test_replaced_file);
    RUN(test_wal_writes_held);
    rmdir(dir);
})
