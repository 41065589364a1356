/*
 * test_listing_cache.c - the listing cache (store/listing_cache.c) against a
 * real SQLite file: it answers what listings_get_many answers (found flags,
 * an id asked twice, unknown ids), from memory on the second read, and
 * never serves a listing that changed since it was read, whoever changed
 * it: this handle, another handle of the process, a bulk batch, a delete
 * (at once), another connection writing raw SQL (within 250 ms: it does not
 * move the store's inventory epoch); tenants apart.
 */
#include "store/listing_cache.h"
#include "test.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256], url[300];

static tenant_id make_tenant(store *s, const char *slug)
{
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "%s", slug);
    snprintf(t.name, sizeof t.name, "Tenant %s", slug);
    snprintf(t.currency, sizeof t.currency, "AED");
    snprintf(t.region, sizeof t.region, "AE");
    snprintf(t.timezone, sizeof t.timezone, "Asia/Dubai");
    pt_error err = {0};
    CHECK(s->ops->tenant_create(s, &t, slug, &err) == 0, "tenant %s: %s", slug, err.msg);
    return t.id;
}

static int put(store *s, tenant_id t, const char *id, const char *title, money price)
{
    listing l;
    memset(&l, 0, sizeof l);
    l.id = id;
    l.title = title;
    l.project = "Marina Gate";
    l.locality = "Dubai Marina";
    l.city = "Dubai";
    l.type = PTYPE_APARTMENT;
    l.tx = TX_BUY;
    l.bedrooms = 2;
    l.bathrooms = 2.5;
    l.area_sqft = 1200;
    l.price = price;
    snprintf(l.currency, sizeof l.currency, "AED");
    l.units_available = 3;
    l.status = LSTATUS_READY;
    l.amenities = "pool;gym";
    l.rental_yield = 6.5;
    l.description = "sea view";
    pt_error err = {0};
    int rc = s->ops->import_begin(s, &err);
    if (rc == 0)
        rc = s->ops->listing_upsert(s, t, &l, &err);
    if (rc == 0)
        rc = s->ops->import_commit(s, &err);
    else
        s->ops->import_rollback(s);
    CHECK(rc == 0, "upsert %s: %s", id, err.msg);
    return rc;
}

static void raw(const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(url + 7, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    CHECK(rc == SQLITE_OK, "%s: %s", sql, db ? sqlite3_errmsg(db) : "no db");
    sqlite3_close(db);
}

/* Reads ids through the cache; both listings must equal what the store says. */
static void same_as_store(listing_cache *c, store *s, tenant_id t, const char *const *ids, int n,
                          const char *what)
{
    arena a;
    arena_init(&a, 0);
    listing got[STORE_GET_MANY], want[STORE_GET_MANY];
    bool have[STORE_GET_MANY], want_have[STORE_GET_MANY];
    pt_error err = {0};
    CHECK(listing_cache_get_many(c, s, t, ids, n, &a, got, have, &err) == 0, "%s: %s", what, err.msg);
    CHECK(s->ops->listings_get_many(s, t, ids, n, &a, want, want_have, &err) == 0, "%s: %s", what,
          err.msg);
    for (int i = 0; i < n; i++) {
        CHECK(have[i] == want_have[i], "%s: %s found %d, store says %d", what, ids[i], have[i],
              want_have[i]);
        if (!have[i] || !want_have[i])
            continue;
        CHECK_STR(got[i].id, want[i].id);
        CHECK_STR(got[i].title, want[i].title);
        CHECK_STR(got[i].project, want[i].project);
        CHECK_STR(got[i].amenities, want[i].amenities);
        CHECK_STR(got[i].description, want[i].description);
        CHECK(got[i].developer == NULL && want[i].developer == NULL, "%s: developer", what);
        CHECK_INT(got[i].price, want[i].price);
        CHECK_INT(got[i].bedrooms, want[i].bedrooms);
        CHECK(got[i].bathrooms == want[i].bathrooms && got[i].rental_yield == want[i].rental_yield,
              "%s: numbers", what);
        CHECK_STR(got[i].currency, want[i].currency);
        /* the copy is the caller's: nothing points into the cache */
        CHECK(got[i].title != want[i].title, "%s: a copy", what);
    }
    arena_release(&a);
}

static money price_of(listing_cache *c, store *s, tenant_id t, const char *id)
{
    arena a;
    arena_init(&a, 0);
    listing l;
    bool have = false;
    pt_error err = {0};
    const char *ids[1] = {id};
    money p = -1;
    if (listing_cache_get_many(c, s, t, ids, 1, &a, &l, &have, &err) == 0 && have)
        p = l.price;
    arena_release(&a);
    return p;
}

TEST(test_reads_and_invalidation)
{
    store *s = NULL, *s2 = NULL;
    pt_error err = {0};
    CHECK(store_open(url, &s, &err) == 0 && store_open(url, &s2, &err) == 0, "open: %s", err.msg);
    if (s == NULL || s2 == NULL)
        goto done;
    listing_cache *c = listing_cache_open();
    tenant_id ta = make_tenant(s, "alpha"), tb = make_tenant(s, "beta");
    int64_t v0 = -1;
    CHECK(s->ops->listing_version(s, ta, &v0, &err) == 0 && v0 == 0, "no listings yet: %lld",
          (long long)v0);
    put(s, ta, "A1", "Marina Gate 2BR", 2000000);
    put(s, ta, "A2", "Marina Gate 3BR", 3000000);
    put(s, tb, "A1", "Other tenant's A1", 9000000);

    const char *ids[] = {"A1", "nope", "A2", "A1"};
    unsigned long hits = 0, misses = 0;
    same_as_store(c, s, ta, ids, 4, "first read");
    listing_cache_stats(c, &hits, &misses);
    CHECK(hits == 0 && misses == 4, "first read: %lu hits %lu misses", hits, misses);
    same_as_store(c, s, ta, ids, 4, "second read");
    listing_cache_stats(c, &hits, &misses);
    CHECK_INT(hits, 3);   /* A1 twice and A2; "nope" is never filed */
    CHECK_INT(price_of(c, s, tb, "A1"), 9000000);   /* tenants apart */
    CHECK_INT(price_of(c, s, ta, "A1"), 2000000);

    /* this handle writes */
    put(s, ta, "A1", "Marina Gate 2BR", 2100000);
    CHECK_INT(price_of(c, s, ta, "A1"), 2100000);
    /* another handle of the process writes; read through the first */
    put(s2, ta, "A1", "Marina Gate 2BR", 2200000);
    CHECK_INT(price_of(c, s, ta, "A1"), 2200000);
    CHECK_INT(price_of(c, s2, ta, "A1"), 2200000);
    /* another tool (a connection of its own, raw SQL): it does not move the
     * inventory epoch, so the store's kept listing version may answer for
     * up to 250 ms (store_sqlite.c, "The inventory epoch"); another
     * proptalk process moves it (test_store's test_inventory_epoch) */
    raw("UPDATE listings SET price = 2300000, title = 'Renamed' WHERE id = 'A1'"
        " AND tenant_id = (SELECT id FROM tenants WHERE slug = 'alpha')");
    usleep(300 * 1000);
    CHECK_INT(price_of(c, s, ta, "A1"), 2300000);
    same_as_store(c, s, ta, ids, 4, "after a raw update");
    CHECK_INT(price_of(c, s, tb, "A1"), 9000000);
    /* deleted */
    CHECK(s2->ops->listing_delete(s2, ta, "A2", &err) == 0, "delete: %s", err.msg);
    CHECK_INT(price_of(c, s, ta, "A2"), -1);
    same_as_store(c, s, ta, ids, 4, "after a delete");
    /* a new listing under an id asked for before */
    put(s2, ta, "nope", "Now it exists", 1000000);
    CHECK_INT(price_of(c, s, ta, "nope"), 1000000);
    /* NULL cache: the store directly */
    CHECK_INT(price_of(NULL, s, ta, "A1"), 2300000);
    listing_cache_close(c);
done:
    store_close(s2);
    store_close(s);
}

TEST_MAIN({
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pt-test-lcache-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    snprintf(url, sizeof url, "sqlite:%s/t.db", tmpdir);
    RUN(test_reads_and_invalidation);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
})
