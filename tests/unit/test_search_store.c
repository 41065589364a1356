/*
 * test_search_store.c - what search needs from the SQLite store: the text
 * index kept in step with every write (single upserts and deletes, import
 * batches that update and delete, rolled-back batches, unchanged texts),
 * text lookups scoped to the tenant, the per-type walks and both price
 * orders against a brute-force oracle, per-transaction locality figures,
 * the bulk-load mode (tenant checked, foreign keys back on after), and
 * text counts kept by a handle forgotten when any listing's text changes,
 * a search's reads in one snapshot (read_begin / read_end), and the
 * listings a handle keeps for its searches never served once changed.
 */
#include "test.h"

#include "store/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], path[128];
static store *st;
static tenant ta, tb;

static void make_tenant(tenant *t, const char *slug)
{
    pt_error err = {0};
    memset(t, 0, sizeof *t);
    snprintf(t->slug, sizeof t->slug, "%s", slug);
    snprintf(t->name, sizeof t->name, "%s", slug);
    memcpy(t->currency, "AED", 4);
    memcpy(t->region, "AE", 3);
    snprintf(t->timezone, sizeof t->timezone, "Asia/Dubai");
    CHECK(st->ops->tenant_create(st, t, slug, &err) == 0, "tenant: %s", err.msg);
}

static void setup(void)
{
    pt_error err = {0};
    char url[160];
    snprintf(dir, sizeof dir, "/tmp/pt_sstore_XXXXXX");
    if (mkdtemp(dir) == NULL)
        exit(1);
    snprintf(path, sizeof path, "%s/s.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    if (store_open(url, &st, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        exit(1);
    }
    make_tenant(&ta, "ta");
    make_tenant(&tb, "tb");
}

static void teardown(void)
{
    char cmd[128];
    store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static listing mk(const char *id, const char *title, const char *desc, property_type type,
                  transaction tx, money price)
{
    listing l;
    memset(&l, 0, sizeof l);
    l.id = id;
    l.title = title;
    l.project = "P";
    l.description = desc;
    l.locality = "Marina";
    l.city = "Dubai";
    l.type = type;
    l.tx = tx;
    l.bedrooms = 1;
    l.bathrooms = -1;
    l.area_sqft = 1000;
    l.price = price;
    memcpy(l.currency, "AED", 4);
    l.units_available = 1;
    l.rental_yield = -1;
    return l;
}

static int count(const char *word)
{
    int n = -1;
    pt_error err = {0};
    char q[64];
    snprintf(q, sizeof q, "\"%s\"", word);
    if (st->ops->listing_text_count(st, q, 100000, &n, &err) != 0)
        return -1;
    return n;
}

/* FTS5's own check that the index matches the listings' text. */
static int integrity(void)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "INSERT INTO listings_fts(listings_fts, rank)"
                          " VALUES ('integrity-check', 1)", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

TEST(test_text_index_in_step)
{
    pt_error err = {0};
    listing l = mk("T1", "Sunny flat", "close to the zebrafish aquarium", PTYPE_APARTMENT, TX_BUY, 100);
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "upsert: %s", err.msg);
    CHECK_INT(count("zebrafish"), 1);
    /* the same text again: nothing to re-index, still one */
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "again");
    CHECK_INT(count("zebrafish"), 1);
    /* a new text replaces the old words */
    l.description = "now next to the okapi enclosure";
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "update");
    CHECK_INT(count("zebrafish"), 0);
    CHECK_INT(count("okapi"), 1);
    CHECK(st->ops->listing_delete(st, ta.id, "T1", &err) == 0, "delete");
    CHECK_INT(count("okapi"), 0);
    CHECK_INT(integrity(), SQLITE_OK);

    /* an import batch: new rows, an update of an older row, a delete, an
     * update of a row new in the batch, all indexed at the commit */
    listing o = mk("OLD", "Old villa", "with a quokka garden", PTYPE_VILLA, TX_BUY, 500);
    listing g = mk("GONE", "Gone", "a narwhal mural", PTYPE_VILLA, TX_BUY, 600);
    CHECK(st->ops->listing_upsert(st, ta.id, &o, &err) == 0 &&
          st->ops->listing_upsert(st, ta.id, &g, &err) == 0, "older rows");
    CHECK(st->ops->import_begin(st, &err) == 0, "begin: %s", err.msg);
    listing n1 = mk("N1", "New one", "a wombat burrow", PTYPE_APARTMENT, TX_RENT, 50);
    listing n2 = mk("N2", "New two", "an axolotl pond", PTYPE_APARTMENT, TX_RENT, 60);
    CHECK(st->ops->listing_upsert(st, ta.id, &n1, &err) == 0, "n1");
    CHECK(st->ops->listing_upsert(st, ta.id, &n2, &err) == 0, "n2");
    n2.description = "an ibex ledge";
    CHECK(st->ops->listing_upsert(st, ta.id, &n2, &err) == 0, "n2 again");
    o.description = "with a pangolin garden";
    CHECK(st->ops->listing_upsert(st, ta.id, &o, &err) == 0, "old updated");
    CHECK(st->ops->listing_delete(st, ta.id, "GONE", &err) == 0, "gone");
    CHECK(st->ops->import_commit(st, &err) == 0, "commit: %s", err.msg);
    CHECK_INT(count("wombat"), 1);
    CHECK_INT(count("axolotl"), 0);
    CHECK_INT(count("ibex"), 1);
    CHECK_INT(count("quokka"), 0);
    CHECK_INT(count("pangolin"), 1);
    CHECK_INT(count("narwhal"), 0);
    CHECK_INT(integrity(), SQLITE_OK);

    /* a rolled-back batch leaves no word behind */
    CHECK(st->ops->import_begin(st, &err) == 0, "begin");
    listing r = mk("R1", "Rolled", "a capybara spa", PTYPE_APARTMENT, TX_BUY, 70);
    CHECK(st->ops->listing_upsert(st, ta.id, &r, &err) == 0, "r1");
    o.description = "with a tapir garden";
    CHECK(st->ops->listing_upsert(st, ta.id, &o, &err) == 0, "old again");
    st->ops->import_rollback(st);
    CHECK_INT(count("capybara"), 0);
    CHECK_INT(count("tapir"), 0);
    CHECK_INT(count("pangolin"), 1);
    CHECK_INT(integrity(), SQLITE_OK);

    /* a malformed text query is the caller's error */
    int n = 0;
    CHECK_INT(st->ops->listing_text_count(st, "\"unclosed", 10, &n, &err), -PT_ERR_INVALID);
}

TEST(test_text_lookup_scoped)
{
    pt_error err = {0};
    listing a = mk("SA", "A", "the marmoset tower", PTYPE_APARTMENT, TX_BUY, 300);
    listing b = mk("SB", "B", "the marmoset tower too", PTYPE_APARTMENT, TX_BUY, 300);
    CHECK(st->ops->listing_upsert(st, ta.id, &a, &err) == 0, "a");
    CHECK(st->ops->listing_upsert(st, tb.id, &b, &err) == 0, "b");
    CHECK_INT(count("marmoset"), 2);     /* the index is shared ... */
    store_listing_query q;
    memset(&q, 0, sizeof q);
    q.bedrooms = -1;
    q.text_match = "\"marmoset\"";
    arena ar;
    arena_init(&ar, 0);
    listing *rows = NULL;
    int n = 0;
    CHECK(st->ops->listing_search(st, ta.id, &q, &ar, &rows, &n, &err) == 0, "text search");
    CHECK(n == 1 && strcmp(rows[0].id, "SA") == 0, "... the lookup is the tenant's: %d", n);
    q.has_price_max = true;
    q.price_max = 299;
    CHECK(st->ops->listing_search(st, ta.id, &q, &ar, &rows, &n, &err) == 0 && n == 0,
          "filters apply to text lookups");
    q.text_match = "AND AND";
    CHECK_INT(st->ops->listing_search(st, ta.id, &q, &ar, &rows, &n, &err), -PT_ERR_INVALID);
    arena_release(&ar);
}

TEST(test_type_walks_and_orders)
{
    pt_error err = {0};
    tenant tc;
    make_tenant(&tc, "tc");
    static char ids[300][16];
    money prices[300];
    property_type types[300];
    uint64_t x = 5;
    CHECK(st->ops->import_begin(st, &err) == 0, "begin");
    for (int i = 0; i < 300; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(ids[i], sizeof ids[i], "W%03d", i);
        types[i] = (property_type)((x >> 33) % PTYPE__COUNT);   /* NONE too: no type */
        prices[i] = 1000 + (money)((x >> 40) % 100000);
        listing l = mk(ids[i], "W", NULL, types[i], TX_BUY, prices[i]);
        l.bedrooms = (int)((x >> 20) % 4);
        CHECK(st->ops->listing_upsert(st, tc.id, &l, &err) == 0, "upsert: %s", err.msg);
    }
    CHECK(st->ops->import_commit(st, &err) == 0, "commit");
    for (int desc = 0; desc < 2; desc++)
        for (int lim = 1; lim <= 300; lim += 37) {
            store_listing_query q;
            memset(&q, 0, sizeof q);
            q.tx = TX_BUY;
            q.bedrooms = -1;
            q.has_price_min = true;
            q.price_min = 20000;
            q.price_desc = desc;
            q.limit = lim;
            arena ar;
            arena_init(&ar, 0);
            listing *rows = NULL;
            int n = 0;
            CHECK(st->ops->listing_search(st, tc.id, &q, &ar, &rows, &n, &err) == 0, "walk");
            /* the oracle: the lim cheapest (dearest) at or over 20000 */
            money sorted[300];
            int m = 0;
            for (int i = 0; i < 300; i++)
                if (prices[i] >= 20000)
                    sorted[m++] = prices[i];
            for (int i = 1; i < m; i++)
                for (int j = i; j > 0 && (desc ? sorted[j - 1] < sorted[j] : sorted[j - 1] > sorted[j]); j--) {
                    money t = sorted[j];
                    sorted[j] = sorted[j - 1];
                    sorted[j - 1] = t;
                }
            int want = m < lim ? m : lim;
            CHECK_INT(n, want);
            bool ok = true;
            for (int i = 0; i < n && i < want; i++)
                ok &= rows[i].price == sorted[i];
            CHECK(ok, "walk %s limit %d: the right prices in order", desc ? "desc" : "asc", lim);
            arena_release(&ar);
        }
}

TEST(test_market_figures_by_transaction)
{
    pt_error err = {0};
    tenant td;
    make_tenant(&td, "td");
    const money sale[] = {100, 300, 200, 400}, rent[] = {10, 30, 20};
    char ids[8][16];
    int k = 0;
    for (int i = 0; i < 4; i++, k++) {
        snprintf(ids[k], sizeof ids[k], "S%d", i);
        listing l = mk(ids[k], "S", NULL, PTYPE_APARTMENT, TX_BUY, sale[i]);
        l.status = i < 3 ? LSTATUS_OFF_PLAN : LSTATUS_READY;
        l.units_available = 2;
        l.rental_yield = 4 + i;
        CHECK(st->ops->listing_upsert(st, td.id, &l, &err) == 0, "sale");
    }
    for (int i = 0; i < 3; i++, k++) {
        snprintf(ids[k], sizeof ids[k], "R%d", i);
        listing l = mk(ids[k], "R", NULL, PTYPE_APARTMENT, TX_RENT, rent[i]);
        CHECK(st->ops->listing_upsert(st, td.id, &l, &err) == 0, "rent");
    }
    arena ar;
    arena_init(&ar, 0);
    store_locality_stats *s = NULL;
    int n = 0;
    CHECK(st->ops->locality_stats(st, td.id, TX_NONE, &ar, &s, &n, &err) == 0 && n == 1, "stats");
    CHECK_INT(s[0].listings, 7);
    CHECK_INT(s[0].sale.listings, 4);
    CHECK_INT(s[0].sale.median_price, 250);
    CHECK_INT(s[0].sale.off_plan, 3);
    CHECK_INT(s[0].sale.units, 8);
    CHECK(s[0].sale.median_price_per_sqft > 0.2499 && s[0].sale.median_price_per_sqft < 0.2501,
          "sale ppsf %f", s[0].sale.median_price_per_sqft);
    CHECK(s[0].sale.avg_yield > 5.499 && s[0].sale.avg_yield < 5.501, "yield %f", s[0].sale.avg_yield);
    CHECK_INT(s[0].rent.listings, 3);
    CHECK_INT(s[0].rent.median_price, 20);
    CHECK(s[0].rent.avg_yield < 0, "no rent yield");
    CHECK(st->ops->locality_stats(st, td.id, TX_RENT, &ar, &s, &n, &err) == 0 && n == 1, "rent");
    CHECK_INT(s[0].listings, 3);
    CHECK_INT(s[0].median_price, 20);
    CHECK_INT(s[0].sale.listings, 4);     /* the split is always there */
    arena_release(&ar);
}

TEST(test_bulk_mode)
{
    pt_error err = {0};
    CHECK_INT(st->ops->import_bulk_begin(st, 999999, &err), -PT_ERR_NOT_FOUND);
    CHECK(st->ops->import_bulk_begin(st, ta.id, &err) == 0, "bulk begin: %s", err.msg);
    CHECK(st->ops->import_begin(st, &err) == 0, "begin");
    listing l = mk("BULK1", "Bulk", "a gecko wall", PTYPE_APARTMENT, TX_BUY, 9);
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "upsert");
    CHECK(st->ops->import_commit(st, &err) == 0, "commit");
    st->ops->import_bulk_end(st);
    CHECK_INT(count("gecko"), 1);
    /* foreign keys are enforced again */
    pt_error_clear(&err);
    listing z = mk("Z", "Z", NULL, PTYPE_APARTMENT, TX_BUY, 1);
    CHECK_INT(st->ops->listing_upsert(st, 424242, &z, &err), -PT_ERR_NOT_FOUND);
    CHECK_INT(integrity(), SQLITE_OK);
}

/* listing_text_count keeps its answers per handle while the listings stay
 * the same: every way a listing's text changes, through another handle (as
 * the admin API of another worker or an import process would), in either
 * tenant, is seen at the next count. */
static int count_on(store *h, const char *word, int cap)
{
    int n = -1;
    pt_error err = {0};
    char q[64];
    snprintf(q, sizeof q, "\"%s\"", word);
    if (h->ops->listing_text_count(h, q, cap, &n, &err) != 0)
        return -1;
    return n;
}

TEST(test_text_count_memo)
{
    pt_error err = {0};
    char url[160];
    store *w = NULL;
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK(store_open(url, &w, &err) == 0, "second handle: %s", err.msg);
    if (w == NULL)
        return;
    CHECK_INT(count_on(st, "jackal", 100), 0);
    CHECK_INT(count_on(st, "jackal", 100), 0);          /* kept */

    /* create */
    listing a = mk("M1", "Jackal house", "by the dunes", PTYPE_APARTMENT, TX_BUY, 100);
    CHECK(w->ops->listing_upsert(w, ta.id, &a, &err) == 0, "create: %s", err.msg);
    CHECK_INT(count_on(st, "jackal", 100), 1);
    CHECK_INT(count_on(st, "jackal", 100), 1);
    CHECK_INT(count_on(st, "dunes", 100), 1);

    /* another tenant's listing: the index and so the count are shared */
    listing b = mk("M2", "B", "a jackal mural", PTYPE_APARTMENT, TX_BUY, 100);
    CHECK(w->ops->listing_upsert(w, tb.id, &b, &err) == 0, "create b");
    CHECK_INT(count_on(st, "jackal", 100), 2);
    CHECK_INT(count_on(st, "jackal", 1), 1);            /* the cap is part of the key */

    /* update of the text; of the price only (nothing to forget) */
    a.title = "Lynx house";
    CHECK(w->ops->listing_upsert(w, ta.id, &a, &err) == 0, "update");
    CHECK_INT(count_on(st, "jackal", 100), 1);
    CHECK_INT(count_on(st, "lynx", 100), 1);
    a.price = 120;
    CHECK(w->ops->listing_upsert(w, ta.id, &a, &err) == 0, "price");
    CHECK_INT(count_on(st, "lynx", 100), 1);

    /* delete; then the highest rid deleted and a new row that takes it
     * again without the word */
    CHECK(w->ops->listing_delete(w, tb.id, "M2", &err) == 0, "delete");
    CHECK_INT(count_on(st, "jackal", 100), 0);
    listing c = mk("M3", "Caracal", "a jackal statue", PTYPE_APARTMENT, TX_BUY, 100);
    CHECK(w->ops->listing_upsert(w, ta.id, &c, &err) == 0, "c");
    CHECK_INT(count_on(st, "jackal", 100), 1);
    CHECK_INT(count_on(st, "caracal", 100), 1);
    CHECK(w->ops->listing_delete(w, ta.id, "M3", &err) == 0, "delete c");
    listing d = mk("M4", "Dove", "a plain wall", PTYPE_APARTMENT, TX_BUY, 100);
    CHECK(w->ops->listing_upsert(w, ta.id, &d, &err) == 0, "d");
    CHECK_INT(count_on(st, "jackal", 100), 0);
    CHECK_INT(count_on(st, "caracal", 100), 0);

    /* an import batch (text indexed at its commit), single rows and many */
    CHECK(w->ops->import_begin(w, &err) == 0, "begin: %s", err.msg);
    listing e = mk("M5", "Jackal court", NULL, PTYPE_APARTMENT, TX_BUY, 100);
    CHECK(w->ops->listing_upsert(w, ta.id, &e, &err) == 0, "e");
    CHECK_INT(count_on(st, "jackal", 100), 0);          /* not committed yet */
    CHECK(w->ops->import_commit(w, &err) == 0, "commit: %s", err.msg);
    CHECK_INT(count_on(st, "jackal", 100), 1);
    if (w->ops->listing_upsert_many) {
        listing f = mk("M6", "F", "jackal", PTYPE_APARTMENT, TX_BUY, 100);
        listing g = mk("M7", "G", "jackal", PTYPE_APARTMENT, TX_BUY, 100);
        e.title = "Court";
        const listing *many[] = {&f, &g, &e};
        int done = 0;
        CHECK(w->ops->import_begin(w, &err) == 0, "begin");
        CHECK(w->ops->listing_upsert_many(w, ta.id, many, 3, &done, &err) == 0 && done == 3,
              "many: %s", err.msg);
        CHECK(w->ops->import_commit(w, &err) == 0, "commit");
        CHECK_INT(count_on(st, "jackal", 100), 2);
        CHECK_INT(count_on(st, "court", 100), 1);
    }
    /* the counting handle's own write */
    CHECK(st->ops->listing_delete(st, ta.id, "M6", &err) == 0, "own delete");
    CHECK_INT(count_on(st, "jackal", 100), 1);
    CHECK_INT(count_on(w, "jackal", 100), 1);
    CHECK_INT(integrity(), SQLITE_OK);
    store_close(w);
}

/* read_begin/read_end: the reads between them see one snapshot (a write
 * of another handle in between is seen only after read_end), also the
 * text counts kept by the handle; inside an import batch of the handle they
 * join its transaction. */
TEST(test_read_scope)
{
    pt_error err = {0};
    char url[160];
    store *w = NULL;
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK(store_open(url, &w, &err) == 0, "second handle: %s", err.msg);
    if (w == NULL || st->ops->read_begin == NULL)
        return;
    int64_t n0 = 0, n1 = 0;
    CHECK(st->ops->listing_count(st, ta.id, &n0, &err) == 0, "count");
    CHECK(st->ops->read_begin(st, &err) == 0, "read begin: %s", err.msg);
    CHECK_INT(count_on(st, "ocelot", 100), 0);
    listing a = mk("RS1", "Ocelot lodge", NULL, PTYPE_APARTMENT, TX_BUY, 100);
    CHECK(w->ops->listing_upsert(w, ta.id, &a, &err) == 0, "write meanwhile: %s", err.msg);
    CHECK(st->ops->listing_count(st, ta.id, &n1, &err) == 0 && n1 == n0, "same snapshot");
    CHECK_INT(count_on(st, "ocelot", 100), 0);
    st->ops->read_end(st);
    CHECK(st->ops->listing_count(st, ta.id, &n1, &err) == 0 && n1 == n0 + 1, "after it");
    CHECK_INT(count_on(st, "ocelot", 100), 1);
    /* inside the handle's own import batch: joins it, ends nothing */
    CHECK(st->ops->import_begin(st, &err) == 0, "begin");
    CHECK(st->ops->read_begin(st, &err) == 0, "read begin in batch");
    listing b = mk("RS2", "Ocelot two", NULL, PTYPE_APARTMENT, TX_BUY, 100);
    CHECK(st->ops->listing_upsert(st, ta.id, &b, &err) == 0, "upsert in batch");
    st->ops->read_end(st);
    CHECK(st->ops->import_commit(st, &err) == 0, "commit: %s", err.msg);
    CHECK_INT(count_on(st, "ocelot", 100), 2);
    CHECK_INT(count_on(w, "ocelot", 100), 2);
    store_close(w);
}

/* What a search of h finds in locality "Rowtown" of tenant ta, cheapest
 * first: "title/description/price" of each, ';'-separated, into out. */
static const char *rows_of(store *h, char *out, size_t size)
{
    pt_error err = {0};
    arena a;
    arena_init(&a, 1u << 20);
    const char *locs[] = {"Rowtown"};
    store_listing_query q;
    memset(&q, 0, sizeof q);
    q.tx = TX_BUY;
    q.type = PTYPE_APARTMENT;
    q.bedrooms = -1;
    q.localities = locs;
    q.n_localities = 1;
    q.limit = 10;
    listing *rows = NULL;
    int n = 0;
    size_t o = 0;
    out[0] = '\0';
    if (h->ops->listing_search(h, ta.id, &q, &a, &rows, &n, &err) != 0)
        snprintf(out, size, "error: %s", err.msg);
    for (int i = 0; i < n && o < size; i++)
        o += (size_t)snprintf(out + o, size - o, "%s%s/%s/%lld", i ? ";" : "", rows[i].title,
                              rows[i].description ? rows[i].description : "-",
                              (long long)rows[i].price);
    arena_release(&a);
    return out;
}

static listing mk_row(const char *id, const char *title, money price)
{
    listing l = mk(id, title, "row", PTYPE_APARTMENT, TX_BUY, price);
    l.locality = "Rowtown";
    return l;
}

/* The listings a search read, kept by the handle (sq_rows_take, from their
 * second read), are never
 * served once the listing changed: an update or a delete by another handle
 * or by this one, a delete of the highest rid and a new row that takes the
 * rid again, another tenant's change, and a batch of the handle's own
 * rolled back (its versions go back, so what it read is not kept).  Inside
 * one read scope the snapshot holds. */
TEST(test_search_rows_current)
{
    pt_error err = {0};
    char url[160], got[512];
    store *w = NULL;
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK(store_open(url, &w, &err) == 0, "second handle: %s", err.msg);
    if (w == NULL)
        return;
    listing r1 = mk_row("ROW1", "Alpha", 100), r2 = mk_row("ROW2", "Beta", 200);
    CHECK(w->ops->listing_upsert(w, ta.id, &r1, &err) == 0, "r1: %s", err.msg);
    CHECK(w->ops->listing_upsert(w, ta.id, &r2, &err) == 0, "r2: %s", err.msg);
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha/row/100;Beta/row/200");
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha/row/100;Beta/row/200");   /* kept */
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha/row/100;Beta/row/200");   /* served */

    /* another handle's update: text, then a column the walk does not read */
    r1.title = "Alpha two";
    CHECK(w->ops->listing_upsert(w, ta.id, &r1, &err) == 0, "update");
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha two/row/100;Beta/row/200");
    r1.description = "redone";
    CHECK(w->ops->listing_upsert(w, ta.id, &r1, &err) == 0, "update description");
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha two/redone/100;Beta/row/200");

    /* this handle's own update */
    r2.title = "Beta two";
    CHECK(st->ops->listing_upsert(st, ta.id, &r2, &err) == 0, "own update");
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha two/redone/100;Beta two/row/200");

    /* the highest rid deleted and taken again by a new row */
    CHECK(w->ops->listing_delete(w, ta.id, "ROW2", &err) == 0, "delete");
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha two/redone/100");
    listing r3 = mk_row("ROW3", "Gamma", 200);
    CHECK(w->ops->listing_upsert(w, ta.id, &r3, &err) == 0, "r3");
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha two/redone/100;Gamma/row/200");

    /* another tenant's change leaves the answer as it is */
    listing o = mk_row("ROWB", "Other", 150);
    CHECK(w->ops->listing_upsert(w, tb.id, &o, &err) == 0, "tb");
    CHECK(w->ops->listing_delete(w, tb.id, "ROWB", &err) == 0, "tb delete");
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha two/redone/100;Gamma/row/200");

    /* a batch of this handle, searched inside and rolled back; then another
     * handle's update brings the versions where the batch had them */
    CHECK(st->ops->import_begin(st, &err) == 0, "begin: %s", err.msg);
    r1.title = "Rolled back";
    CHECK(st->ops->listing_upsert(st, ta.id, &r1, &err) == 0, "in batch");
    CHECK_STR(rows_of(st, got, sizeof got), "Rolled back/redone/100;Gamma/row/200");
    st->ops->import_rollback(st);
    r1.title = "Alpha three";
    CHECK(w->ops->listing_upsert(w, ta.id, &r1, &err) == 0, "after the rollback");
    CHECK_STR(rows_of(st, got, sizeof got), "Alpha three/redone/100;Gamma/row/200");

    /* one read scope: one snapshot, kept rows and all */
    if (st->ops->read_begin) {
        CHECK(st->ops->read_begin(st, &err) == 0, "read begin: %s", err.msg);
        CHECK_STR(rows_of(st, got, sizeof got), "Alpha three/redone/100;Gamma/row/200");
        r3.title = "Gamma two";
        CHECK(w->ops->listing_upsert(w, ta.id, &r3, &err) == 0, "meanwhile");
        CHECK_STR(rows_of(st, got, sizeof got), "Alpha three/redone/100;Gamma/row/200");
        st->ops->read_end(st);
        CHECK_STR(rows_of(st, got, sizeof got), "Alpha three/redone/100;Gamma two/row/200");
    }
    CHECK_INT(integrity(), SQLITE_OK);
    store_close(w);
}

TEST_MAIN(setup(); RUN(test_text_index_in_step); RUN(test_text_lookup_scoped);
          RUN(test_type_walks_and_orders); RUN(test_market_figures_by_transaction);
          RUN(test_bulk_mode); RUN(test_text_count_memo);
          RUN(test_read_scope); RUN(test_search_rows_current); teardown();)
