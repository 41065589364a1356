/*
 * test_search_import.c - loading an inventory the way issue 4 asks, on a
 * real SQLite store: a generated CSV file (bench/search_inventory.c) with
 * bad rows at known lines streams in over several batches (this file
 * builds the importer with batches of 700 rows), every good row arrives
 * with its values, bad rows are rejected with their line numbers;
 * re-importing updates in place (same count, new prices, the text index
 * in step); a RESO payload file (mapped, not read) with codes and display
 * strings; the same JSON, and a CSV, through a pipe; a store failure in the
 * middle keeps every batch committed before it, and nothing of the batch in
 * flight, and reports the rejections read before it only; reading on a
 * thread of its own gives the same report as reading on the writer's; a
 * reading failure keeps the committed batches and says why; another
 * process writing during a long import gets in between two batches.
 * Chunks of 37 ops, so rows cross between the threads many times per
 * batch.
 */
#define IMPORT_BATCH 700
#define IMPORT_CHUNK 37      /* many hand-offs between the reading thread and the writer */
#include "test.h"

#include "../../bench/search_inventory.c"
#include "../../src/import/csv.c"
#include "../../src/import/import.c"
#include "../../src/import/pipe.c"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_ROWS 5000

static char dir[64];
static store *st;
static tenant ten;

static void setup(void)
{
    pt_error err = {0};
    char url[128];
    snprintf(dir, sizeof dir, "/tmp/pt_simport_XXXXXX");
    if (mkdtemp(dir) == NULL)
        exit(1);
    snprintf(url, sizeof url, "sqlite:%s/i.db", dir);
    if (store_open(url, &st, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        exit(1);
    }
    memset(&ten, 0, sizeof ten);
    snprintf(ten.slug, sizeof ten.slug, "imp");
    memcpy(ten.currency, "INR", 4);
    memcpy(ten.region, "IN", 3);
    snprintf(ten.timezone, sizeof ten.timezone, "Asia/Kolkata");
    CHECK(st->ops->tenant_create(st, &ten, "k", &err) == 0, "tenant: %s", err.msg);
}

static void teardown(void)
{
    char cmd[128];
    store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static int64_t count(void)
{
    int64_t n = -1;
    pt_error err = {0};
    st->ops->listing_count(st, ten.id, &n, &err);
    return n;
}

/* The generated CSV with a bad row after every 997th; returns the file
 * lines of the bad rows in bad[] (how many in *n_bad). */
static void write_csv(const char *path, money bump, long *bad, int *n_bad)
{
    FILE *f = fopen(path, "w");
    inv_gen g;
    listing l;
    long line = 1;
    *n_bad = 0;
    inv_init(&g, 3, N_ROWS);
    inv_csv_header(f);
    while (inv_next(&g, &l) == 0) {
        l.price += bump;
        inv_csv_row(f, &l);
        line++;
        if (g.i % 997 == 0) {
            fprintf(f, "BAD%ld,Bad row,P,D,C,L,castle,sale,2,,,12,INR,,,,,,,,\n", g.i);
            bad[(*n_bad)++] = ++line;
        }
    }
    fclose(f);
}

/* Every term of the text index with how many listings hold it, as one text,
 * into out; then (rebuild) the index rebuilt by FTS5 from the listings'
 * own columns with its own tokenizer: both must be the same. */
static void vocab(bool rebuild, char *out, size_t cap)
{
    char path[128];
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    size_t o = 0;
    out[0] = '\0';
    snprintf(path, sizeof path, "%s/i.db", dir);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        goto done;
    sqlite3_busy_timeout(db, 5000);
    if (rebuild)
        CHECK_INT(sqlite3_exec(db, "INSERT INTO listings_fts(listings_fts) VALUES('rebuild')",
                               NULL, NULL, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, "INSERT INTO listings_fts(listings_fts) VALUES('integrity-check')",
                           NULL, NULL, NULL), SQLITE_OK);
    if (sqlite3_exec(db, "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, listings_fts, 'row')",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT term, doc FROM temp.v ORDER BY term", -1, &q, NULL))
        goto done;
    while (sqlite3_step(q) == SQLITE_ROW && o < cap)
        o += (size_t)snprintf(out + o, cap - o, "%s:%d ", (const char *)sqlite3_column_text(q, 0),
                              sqlite3_column_int(q, 1));
done:
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void check_index_as_rebuilt(const char *when)
{
    static char a[1 << 20], b[1 << 20];
    vocab(false, a, sizeof a);
    vocab(true, b, sizeof b);
    CHECK(a[0] && strcmp(a, b) == 0, "%s: the text index is the one FTS5 builds itself", when);
}

TEST(test_csv_file_batches_and_reimport)
{
    char path[128];
    long bad[16];
    int n_bad = 0;
    snprintf(path, sizeof path, "%s/inv.csv", dir);
    write_csv(path, 0, bad, &n_bad);
    import_report rep;
    pt_error err = {0};
    CHECK_INT(import_file(st, &ten, path, &rep, &err), 0);
    CHECK_INT(rep.imported, N_ROWS);
    CHECK_INT(rep.rejected, n_bad);
    CHECK_INT(rep.n_errors, n_bad);
    for (int i = 0; i < n_bad && i < rep.n_errors; i++) {
        CHECK_INT(rep.errors[i].line, bad[i]);
        CHECK(strstr(rep.errors[i].message, "castle") != NULL, "names the value: %s",
              rep.errors[i].message);
    }
    CHECK_INT(count(), N_ROWS);
    check_index_as_rebuilt("first import");

    /* every row as generated */
    inv_gen g;
    listing l, got;
    inv_init(&g, 3, N_ROWS);
    arena a;
    arena_init(&a, 0);
    int wrong = 0;
    while (inv_next(&g, &l) == 0) {
        if (g.i % 250)
            continue;
        if (st->ops->listing_get(st, ten.id, l.id, &a, &got, &err) != 0) {
            wrong++;
            continue;
        }
        wrong += got.price != l.price || got.type != l.type || got.tx != l.tx ||
                 got.bedrooms != l.bedrooms || strcmp(got.locality, l.locality) != 0 ||
                 strcmp(got.project, l.project) != 0 || got.status != l.status ||
                 fabs(got.latitude - l.latitude) > 1e-5 ||
                 (l.amenities && strcmp(got.amenities, l.amenities) != 0);
    }
    CHECK_INT(wrong, 0);

    /* again, 1,000 more on every price: updated in place */
    write_csv(path, 1000, bad, &n_bad);
    CHECK_INT(import_file(st, &ten, path, &rep, &err), 0);
    CHECK_INT(rep.imported, N_ROWS);
    CHECK_INT(count(), N_ROWS);
    inv_init(&g, 3, N_ROWS);
    inv_next(&g, &l);
    CHECK(st->ops->listing_get(st, ten.id, l.id, &a, &got, &err) == 0 &&
          got.price == l.price + 1000, "price updated in place");
    int n = 0;
    CHECK(st->ops->listing_text_count(st, "\"lakeside\"", 1000000, &n, &err) == 0, "count");
    int want = 0;
    inv_init(&g, 3, N_ROWS);
    while (inv_next(&g, &l) == 0) {
        char buf[1200];
        snprintf(buf, sizeof buf, "%s %s %s %s %s", l.title, l.project, l.developer,
                 l.description, l.amenities ? l.amenities : "");
        for (char *p = buf; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        want += strstr(buf, "lakeside") != NULL;
    }
    CHECK_INT(n, want);     /* re-importing the same texts left the index as it was */
    check_index_as_rebuilt("re-import");
    arena_release(&a);
}

TEST(test_reso_file_mapped_and_piped)
{
    const char *doc =
        "{\"@odata.context\": \"x\", \"value\": [\n"
        "  {\"ListingKey\": \"RESO-1\", \"ListPrice\": 25000000, \"BedroomsTotal\": 4,\n"
        "   \"BathroomsTotalInteger\": 4, \"LivingArea\": 3200, \"City\": \"Bangalore\",\n"
        "   \"SubdivisionName\": \"Whitefield\", \"PropertyType\": \"Residential\",\n"
        "   \"PropertySubType\": \"Single Family Residence\", \"StandardStatus\": \"Active\",\n"
        "   \"Latitude\": 12.97, \"Longitude\": 77.75},\n"
        "  {\"ListingKey\": \"RESO-2\", \"ListPrice\": 40000, \"PropertyType\": \"ResidentialLease\",\n"
        "   \"PropertySubType\": \"Apartment\", \"LeaseAmountFrequency\": \"Monthly\",\n"
        "   \"StandardStatus\": \"ActiveUnderContract\", \"BedroomsTotal\": 2},\n"
        "  {\"ListingKey\": \"RESO-3\", \"ListPrice\": \"lots\", \"PropertyType\": \"Land\"}\n"
        "]}\n";
    char path[128];
    snprintf(path, sizeof path, "%s/reso.json", dir);
    FILE *f = fopen(path, "w");
    fputs(doc, f);
    fclose(f);
    import_report rep;
    pt_error err = {0};
    CHECK_INT(import_file(st, &ten, path, &rep, &err), 0);
    CHECK_INT(rep.imported, 2);
    CHECK_INT(rep.rejected, 1);
    CHECK_INT(rep.errors[0].line, 10);
    arena a;
    arena_init(&a, 0);
    listing l;
    CHECK(st->ops->listing_get(st, ten.id, "RESO-1", &a, &l, &err) == 0, "reso 1");
    CHECK_INT(l.type, PTYPE_VILLA);
    CHECK_INT(l.tx, TX_BUY);
    CHECK_INT(l.bedrooms, 4);
    CHECK_STR(l.locality, "Whitefield");
    CHECK(st->ops->listing_get(st, ten.id, "RESO-2", &a, &l, &err) == 0, "reso 2");
    CHECK_INT(l.tx, TX_RENT);
    CHECK_INT(l.price, 480000);    /* a monthly lease is stored per year */

    /* the same through a pipe: read, not mapped */
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s/pipe.json", dir);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    pid_t pid = fork();
    if (pid == 0) {
        FILE *w = fopen(fifo, "w");
        if (w) {
            fputs(doc, w);
            fclose(w);
        }
        _exit(0);
    }
    CHECK_INT(import_file(st, &ten, fifo, &rep, &err), 0);
    CHECK_INT(rep.imported, 2);
    CHECK_INT(rep.rejected, 1);
    int status = 0;
    waitpid(pid, &status, 0);

    /* CSV through a pipe streams too, with its line numbers */
    const char *csv = "id,title,price,property_type,transaction\nP1,Piped,100,villa,sale\n"
                      "P2,Bad,100,castle,sale\nP3,Piped three,300,plot,sale\n";
    char fifo2[128];
    snprintf(fifo2, sizeof fifo2, "%s/pipe.csv", dir);
    CHECK(mkfifo(fifo2, 0600) == 0, "mkfifo");
    pid = fork();
    if (pid == 0) {
        FILE *w = fopen(fifo2, "w");
        if (w) {
            fputs(csv, w);
            fclose(w);
        }
        _exit(0);
    }
    CHECK_INT(import_file(st, &ten, fifo2, &rep, &err), 0);
    CHECK_INT(rep.imported, 2);
    CHECK_INT(rep.rejected, 1);
    CHECK_INT(rep.errors[0].line, 3);
    waitpid(pid, &status, 0);
    arena_release(&a);
}

/* A store that fails the 2,000th upsert: batches of 700 before it stay.
 * Either upsert path: one row a call, or runs of rows (the importer's way
 * with this store). */
static int upserts;
static int failing_upsert(store *s, tenant_id t, const listing *l, pt_error *err)
{
    if (++upserts == 2000)
        return pt_fail(err, PT_ERR_STORE, "disk on fire");
    return store_sqlite_ops.listing_upsert(s, t, l, err);
}

static int failing_upsert_many(store *s, tenant_id t, const listing *const *ls, int n,
                               int *done, pt_error *err)
{
    if (upserts + n < 2000) {
        int rc = store_sqlite_ops.listing_upsert_many(s, t, ls, n, done, err);
        upserts += *done;
        return rc;
    }
    int rc = store_sqlite_ops.listing_upsert_many(s, t, ls, 1999 - upserts, done, err);
    upserts += *done;
    return rc ? rc : pt_fail(err, PT_ERR_STORE, "disk on fire");
}

static void failure_keeps_committed_batches(const char *slug, bool many)
{
    pt_error err = {0};
    tenant t2 = ten;
    snprintf(t2.slug, sizeof t2.slug, "%s", slug);
    CHECK(st->ops->tenant_create(st, &t2, slug, &err) == 0, "tenant %s", slug);
    char path[128];
    long bad[16];
    int n_bad;
    snprintf(path, sizeof path, "%s/inv2.csv", dir);
    write_csv(path, 0, bad, &n_bad);
    store_ops ops = store_sqlite_ops;
    ops.listing_upsert = failing_upsert;
    ops.listing_upsert_many = many ? failing_upsert_many : NULL;
    store s2 = {&ops, st->impl};
    upserts = 0;
    import_report rep;
    CHECK_INT(import_file(&s2, &t2, path, &rep, &err), -PT_ERR_STORE);
    CHECK(strstr(err.msg, "disk on fire") != NULL, "the store's message: %s", err.msg);
    CHECK(strstr(err.msg, "line 2003") != NULL, "the failing row's line: %s", err.msg);
    CHECK_INT(rep.imported, 1400);         /* two whole batches of 700 */
    /* the two bad rows before the failure, not those the reading thread
     * had read ahead */
    CHECK_INT(rep.rejected, 2);
    int64_t n = -1;
    CHECK(st->ops->listing_count(st, t2.id, &n, &err) == 0, "count");
    CHECK_INT(n, 1400);
    /* and the store is usable again, out of bulk mode */
    pt_error_clear(&err);
    listing z;
    memset(&z, 0, sizeof z);
    z.id = "Z";
    z.title = "z";
    z.bedrooms = z.units_available = -1;
    z.bathrooms = z.area_sqft = z.rental_yield = -1;
    memcpy(z.currency, "INR", 4);
    CHECK_INT(st->ops->listing_upsert(st, 987654, &z, &err), -PT_ERR_NOT_FOUND);
}

TEST(test_failure_keeps_committed_batches)
{
    failure_keeps_committed_batches("imp2", false);
    failure_keeps_committed_batches("imp2m", true);
}

/* The file as one buffer, imported with reading on its own thread or not. */
static int import_mem(const tenant *t, const char *data, size_t len, bool threaded,
                      import_report *rep, pt_error *err)
{
    import_pipe *p = NULL;
    import_src src;
    int rc = import_pipe_open(st, t, threaded, rep, err, &p);
    if (rc)
        return rc;
    src_init(&src, t, p, "mem");
    src.data = data;
    src.len = len;
    rc = import_pipe_finish(p, import_pipe_run(p, src_read, &src));
    src_release(&src);
    return rc;
}

TEST(test_threaded_report_same_as_inline)
{
    char path[128];
    long bad[16];
    int n_bad;
    snprintf(path, sizeof path, "%s/inv3.csv", dir);
    write_csv(path, 7, bad, &n_bad);
    FILE *f = fopen(path, "rb");
    static char data[4 << 20];
    size_t len = f ? fread(data, 1, sizeof data, f) : 0;
    if (f)
        fclose(f);
    CHECK(len > 0 && len < sizeof data, "read the file (%zu bytes)", len);
    static import_report a, b;
    pt_error err = {0};
    tenant t3 = ten, t4 = ten;
    snprintf(t3.slug, sizeof t3.slug, "imp3");
    snprintf(t4.slug, sizeof t4.slug, "imp4");
    CHECK(st->ops->tenant_create(st, &t3, "k3", &err) == 0, "tenant 3");
    CHECK(st->ops->tenant_create(st, &t4, "k4", &err) == 0, "tenant 4");
    CHECK_INT(import_mem(&t3, data, len, false, &a, &err), 0);
    CHECK_INT(import_mem(&t4, data, len, true, &b, &err), 0);
    CHECK_INT(a.imported, N_ROWS);
    CHECK_INT(b.imported, a.imported);
    CHECK_INT(b.rejected, a.rejected);
    CHECK_INT(b.n_errors, a.n_errors);
    int same = 1;
    for (int i = 0; i < a.n_errors; i++)
        same &= a.errors[i].line == b.errors[i].line &&
                strcmp(a.errors[i].message, b.errors[i].message) == 0;
    CHECK(same, "the same rejections in the same order");
    int64_t n3 = -1, n4 = -2;
    st->ops->listing_count(st, t3.id, &n3, &err);
    st->ops->listing_count(st, t4.id, &n4, &err);
    CHECK_INT(n3, N_ROWS);
    CHECK_INT(n4, N_ROWS);
}

/* A reader that sends 1,000 good rows, one rejection, then fails. */
static int failing_read(void *ctx, pt_error *err)
{
    import_pipe *p = ctx;
    char id[32];
    listing l;
    memset(&l, 0, sizeof l);
    l.title = "Read then failed";
    l.bedrooms = l.units_available = -1;
    l.bathrooms = l.area_sqft = l.rental_yield = -1;
    l.type = PTYPE_VILLA;
    l.tx = TX_BUY;
    memcpy(l.currency, "INR", 4);
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "F%d", i);
        l.id = id;
        l.price = 1000 + i;
        if (import_pipe_upsert(p, i + 2, &l) != 0)
            return pt_fail(err, PT_ERR_INTERNAL, "the pipe refused row %d", i);
    }
    import_pipe_reject(p, 1002, "a bad row before the failure");
    return pt_fail(err, PT_ERR_IO, "\"f.csv\": input/output error");
}

TEST(test_reading_failure)
{
    pt_error err = {0};
    tenant t5 = ten;
    snprintf(t5.slug, sizeof t5.slug, "imp5");
    CHECK(st->ops->tenant_create(st, &t5, "k5", &err) == 0, "tenant 5");
    for (int threaded = 0; threaded < 2; threaded++) {
        import_pipe *p = NULL;
        import_report rep;
        pt_error_clear(&err);
        CHECK_INT(import_pipe_open(st, &t5, threaded, &rep, &err, &p), 0);
        int rc = import_pipe_finish(p, import_pipe_run(p, failing_read, p));
        CHECK_INT(rc, -PT_ERR_IO);
        CHECK(strstr(err.msg, "input/output error") != NULL, "the reader's message: %s",
              err.msg);
        CHECK_INT(rep.imported, 700);      /* the whole batch; the rest rolled back */
        CHECK_INT(rep.rejected, 1);
        int64_t n = -1;
        st->ops->listing_count(st, t5.id, &n, &err);
        CHECK_INT(n, 700);
    }
}

/* Another process that writes while a long import runs (the server's chat
 * turns while `proptalk import` loads a big file) gets in between two
 * batches: it used to poll with SQLite's growing sleeps (up to 100 ms) and
 * miss every microsecond gap, so it waited for the whole import or failed
 * with "database is locked" after 5 s.  The importer runs in a child forked
 * before anything here opens its database (a forked store would share the
 * parent's writer state). */
#define FAIR_ROWS 40000
TEST(test_other_process_writes_between_batches)
{
    char fdir[64], path[128], db_path[128], url[160];
    snprintf(fdir, sizeof fdir, "/tmp/pt_sfair_XXXXXX");
    if (mkdtemp(fdir) == NULL)
        return;
    snprintf(path, sizeof path, "%s/big.csv", fdir);
    snprintf(db_path, sizeof db_path, "%s/f.db", fdir);
    snprintf(url, sizeof url, "sqlite:%s", db_path);
    FILE *f = fopen(path, "w");
    inv_gen g;
    listing l;
    inv_init(&g, 11, FAIR_ROWS);
    inv_csv_header(f);
    while (inv_next(&g, &l) == 0)
        inv_csv_row(f, &l);
    fclose(f);

    pid_t pid = fork();
    if (pid == 0) {
        store *cs = NULL;
        pt_error e = {0};
        tenant ct = ten;
        static import_report crep;
        snprintf(ct.slug, sizeof ct.slug, "fair");
        int rc = store_open(url, &cs, &e) || cs->ops->tenant_create(cs, &ct, "kf", &e) ||
                 import_file(cs, &ct, path, &crep, &e);
        store_close(cs);
        _exit(rc == 0 && crep.imported == FAIR_ROWS ? 0 : 1);
    }
    /* wait for the first batch, read-only */
    int64_t seen = 0;
    for (int i = 0; i < 6000 && seen == 0; i++) {
        sqlite3 *db = NULL;
        sqlite3_stmt *q = NULL;
        usleep(10000);
        if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(db, "SELECT count(*) FROM listings", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            seen = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        sqlite3_close(db);
    }
    CHECK(seen > 0 && seen < FAIR_ROWS, "the child's import is under way (%lld rows)",
          (long long)seen);
    store *s2 = NULL;
    pt_error err = {0};
    int rc = store_open(url, &s2, &err), status = 0;
    CHECK(rc == 0, "open: %s", err.msg);
    /* three writes one after the other, each a second at most */
    for (int k = 0; rc == 0 && k < 3; k++) {
        struct timespec ta, tb;
        tenant t2 = ten;
        snprintf(t2.slug, sizeof t2.slug, "writer%d", k);
        clock_gettime(CLOCK_MONOTONIC, &ta);
        rc = s2->ops->tenant_create(s2, &t2, t2.slug, &err);
        clock_gettime(CLOCK_MONOTONIC, &tb);
        double waited = (double)(tb.tv_sec - ta.tv_sec) + (double)(tb.tv_nsec - ta.tv_nsec) / 1e9;
        pid_t done = waitpid(pid, &status, WNOHANG);
        CHECK(rc == 0, "write %d from another process during the import: %s", k, err.msg);
        CHECK(done == 0 && waited < 1.0, "write %d got in between two batches, within a second "
              "and before the import ended (waited %.3f s)", k, waited);
        if (done != 0)
            break;
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child imported every row");
    store_close(s2);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fdir);
}

TEST_MAIN(setup(); RUN(test_other_process_writes_between_batches);
          RUN(test_csv_file_batches_and_reimport); RUN(test_reso_file_mapped_and_piped);
          RUN(test_failure_keeps_committed_batches); RUN(test_threaded_report_same_as_inline);
          RUN(test_reading_failure); teardown();)
