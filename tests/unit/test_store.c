/*
 * test_store.c - the storage interface against a real SQLite file in a
 * temporary folder: migrations (fresh, reopen, upgrade of an old file,
 * concurrent openers), tenants, users, listing import (and its bulk-load
 * mode) and search, locality
 * figures, agents and slots, booking (also from 8 racing threads), turn
 * commit and rollback, the handle pool and tenant isolation.
 *
 * The engine only ever talks to store.h; this file also opens the database
 * file with sqlite3 directly to look at what the backend wrote (schema
 * versions, the FTS index, leads), since those have no read call yet.
 */
#include "dialog/dialog.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[256];

#define SCHEMA_LATEST 11  /* migrations in store_sqlite.c */

/* "sqlite:<tmpdir>/<name>" into out. */
static const char *db_url(char *out, size_t n, const char *name)
{
    snprintf(out, n, "sqlite:%s/%s", tmpdir, name);
    return out;
}

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

static store *open_or_die(const char *url)
{
    store *s = NULL;
    pt_error err = {0};
    int rc = store_open(url, &s, &err);
    CHECK(rc == 0, "open %s: %s", url, err.msg);
    if (rc) {
        fprintf(stderr, "cannot continue\n");
        exit(1);
    }
    return s;
}

/* One integer from raw SQL on the file at url (white-box checks). */
static long long raw_int(const char *url, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -999;
    if (sqlite3_open_v2(url + 7, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "raw \"%s\": %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int raw_exec(const char *url, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(url + 7, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "raw \"%s\": %s\n", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc;
}

static tenant_id make_tenant(store *s, const char *slug, const char *key)
{
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "%s", slug);
    snprintf(t.name, sizeof t.name, "Tenant %s", slug);
    snprintf(t.currency, sizeof t.currency, "INR");
    snprintf(t.region, sizeof t.region, "IN");
    snprintf(t.timezone, sizeof t.timezone, "Asia/Kolkata");
    t.language = LANG_EN;
    pt_error err = {0};
    int rc = s->ops->tenant_create(s, &t, key, &err);
    CHECK(rc == 0, "tenant_create %s: %s", slug, err.msg);
    return t.id;
}

/* ---- generated inventory ---- */

#define N_LISTINGS 60
static const char *const localities[] = {"Whitefield", "Indiranagar", "Koramangala",
                                         "HSR Layout"};
static const property_type types[] = {PTYPE_APARTMENT, PTYPE_VILLA, PTYPE_STUDIO};

typedef struct gen_listing {
    char id[16], title[64], desc[96];
    listing l;
} gen_listing;
static gen_listing inv[N_LISTINGS];

static void gen_inventory(int price_bump)
{
    for (int i = 0; i < N_LISTINGS; i++) {
        gen_listing *g = &inv[i];
        listing *l = &g->l;
        memset(l, 0, sizeof *l);
        snprintf(g->id, sizeof g->id, "L%03d", i);
        snprintf(g->title, sizeof g->title, "%d BHK in %s", i % 4, localities[i % 4]);
        snprintf(g->desc, sizeof g->desc, "Sunny home number %d near the lake", i);
        l->id = g->id;
        l->title = g->title;
        l->project = i % 2 ? "Prestige Lakeside" : "Brigade Orchards";
        l->developer = i % 2 ? "Prestige" : NULL;
        l->city = "Bangalore";
        l->locality = localities[i % 4];
        l->type = types[i % 3];
        l->tx = i % 5 == 0 ? TX_RENT : TX_BUY;
        l->bedrooms = i % 4;
        l->bathrooms = i % 7 == 0 ? -1 : 1 + i % 3;
        l->area_sqft = i % 11 == 0 ? -1 : 500 + 10 * i;
        l->price = 1000000 + (money)((i * 37) % 60) * 100000 + price_bump;
        snprintf(l->currency, sizeof l->currency, "%s", i % 13 == 0 ? "AED" : "INR");
        l->units_available = i % 9 == 0 ? -1 : i % 5;
        l->status = i % 2 ? LSTATUS_READY : LSTATUS_OFF_PLAN;
        l->completion_date = i % 2 ? NULL : "2027-06-30";
        l->amenities = i % 3 ? "pool;gym;clubhouse" : NULL;
        l->has_geo = i % 6 != 0;
        l->latitude = 12.9 + i * 0.001;
        l->longitude = 77.6 + i * 0.001;
        l->rental_yield = i % 3 == 0 ? -1 : 5 + i % 4;
        l->description = g->desc;
        l->attributes_json = i == 7 ? "{\"facing\":\"east\"}" : NULL;
    }
}

static int import_inventory(store *s, tenant_id t)
{
    pt_error err = {0};
    int rc = s->ops->import_begin(s, &err);
    for (int i = 0; rc == 0 && i < N_LISTINGS; i++)
        rc = s->ops->listing_upsert(s, t, &inv[i].l, &err);
    if (rc == 0)
        rc = s->ops->import_commit(s, &err);
    else
        s->ops->import_rollback(s);
    CHECK(rc == 0, "import: %s", err.msg);
    return rc;
}

static bool str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* ======================================================================== */

TEST(test_open_and_migrations)
{
    char url[512];
    store *s = NULL;
    pt_error err = {0};

    /* parent folders are created */
    db_url(url, sizeof url, "deep/er/a.db");
    s = open_or_die(url);
    CHECK_STR(s->ops->name, "sqlite");
    store_close(s);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM schema_migrations"), SCHEMA_LATEST);
    CHECK_INT(raw_int(url, "SELECT max(version) FROM schema_migrations"), SCHEMA_LATEST);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sqlite_master WHERE name = 'listings_fts'"), 1);
    /* migration 5: a batch's pending text terms make one FTS5 segment;
     * listings_tx_price without locality */
    CHECK_INT(raw_int(url, "SELECT v FROM listings_fts_config WHERE k = 'hashsize'"), 67108864);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM pragma_index_info('listings_tx_price')"), 7);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM pragma_index_info('listings_tx_price')"
                      " WHERE name = 'locality'"), 0);
    /* migration 8: sessions and profiles are rowid tables keyed by a unique index */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM pragma_table_list"
                      " WHERE name IN ('sessions', 'profiles') AND wr = 0"), 2);
    /* migration 10: a transcript row per turn, chained from the session's
     * row and without an index; messages is a view of it */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sqlite_master WHERE name = 'messages'"
                      " AND type = 'view'"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'turns'"
                      " AND type = 'index'"), 0);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM pragma_table_info('sessions')"
                      " WHERE name = 'last_turn'"), 1);

    /* reopen: nothing applied twice */
    s = open_or_die(url);
    store_close(s);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM schema_migrations"), SCHEMA_LATEST);

    /* a plain path works too */
    char plain[512];
    snprintf(plain, sizeof plain, "%s/plain.db", tmpdir);
    CHECK(store_open(plain, &s, &err) == 0, "plain path: %s", err.msg);
    store_close(s);

    /* unknown and unbuilt backends */
    pt_error_clear(&err);
    CHECK_INT(store_open("postgres://u@localhost/db", &s, &err), -PT_ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "postgres backend not built yet") != NULL, "msg %s", err.msg);
    CHECK(s == NULL, "no handle");
    pt_error_clear(&err);
    CHECK_INT(store_open("mysql://x/y", &s, &err), -PT_ERR_INVALID);
    pt_error_clear(&err);
    CHECK_INT(store_open("", &s, &err), -PT_ERR_INVALID);
}

TEST(test_upgrade_old_database)
{
    char url[512];
    db_url(url, sizeof url, "old.db");
    store *s = open_or_die(url);
    tenant_id t = make_tenant(s, "old", "k-old");
    gen_inventory(0);
    import_inventory(s, t);
    store_close(s);

    /* roll the file back to schema version 1: no FTS (v2), no vectors (v3),
     * the version 1 indexes (v4), no listing versions (v7), appointments
     * without their listing (v11) */
    CHECK_INT(raw_exec(url, "DROP INDEX appointments_user;"
                       "ALTER TABLE appointments DROP COLUMN listing_id;"
                       "DROP TRIGGER listings_fts_ad; DROP TRIGGER listings_fts_au;"
                       "DROP TRIGGER listings_fts_ad_deferred;"
                       "DROP TRIGGER listings_fts_au_deferred; DROP TABLE listings_fts;"
                       "DROP TABLE listings_fts_defer; DROP TABLE listings_fts_pending;"
                       "DROP TRIGGER listings_vector_ad; DROP TABLE listing_vectors;"
                       "DROP TABLE vector_state;"
                       "DROP TRIGGER listing_state_tenant; DROP TRIGGER listing_state_au;"
                       "DROP TRIGGER listing_state_ad;"
                       "DROP TABLE listing_state;"
                       "DROP INDEX listings_loc; DROP INDEX listings_tx_price;"
                       /* type, transaction and status as names (before v9) */
                       "CREATE TABLE listings_text ("
                       "  rid INTEGER PRIMARY KEY,"
                       "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
                       "  id TEXT NOT NULL,"
                       "  title TEXT, project TEXT, developer TEXT, city TEXT, locality TEXT,"
                       "  property_type TEXT, \"transaction\" TEXT,"
                       "  bedrooms INTEGER, bathrooms REAL, area_sqft REAL,"
                       "  price INTEGER NOT NULL, currency TEXT NOT NULL, units_available INTEGER,"
                       "  status TEXT, completion_date TEXT, amenities TEXT,"
                       "  latitude REAL, longitude REAL, rental_yield REAL,"
                       "  description TEXT, attributes_json TEXT,"
                       "  updated_at INTEGER NOT NULL,"
                       "  UNIQUE (tenant_id, id));"
                       "INSERT INTO listings_text SELECT rid, tenant_id, id, title, project,"
                       "  developer, city, locality,"
                       "  CASE property_type WHEN 1 THEN 'apartment' WHEN 8 THEN 'villa'"
                       "  WHEN 6 THEN 'studio' END,"
                       "  CASE \"transaction\" WHEN 2 THEN 'sale' WHEN 1 THEN 'rent' END,"
                       "  bedrooms, bathrooms, area_sqft, price, currency, units_available,"
                       "  CASE status WHEN 2 THEN 'ready' WHEN 1 THEN 'off_plan' END,"
                       "  completion_date, amenities, latitude, longitude, rental_yield,"
                       "  description, attributes_json, updated_at FROM listings;"
                       "DROP TABLE listings;"
                       "ALTER TABLE listings_text RENAME TO listings;"
                       "CREATE INDEX listings_search ON listings"
                       "  (tenant_id, \"transaction\", property_type, bedrooms, price);"
                       "CREATE INDEX listings_locality ON listings(tenant_id, locality);"
                       "CREATE INDEX listings_price ON listings (tenant_id, price,"
                       "  \"transaction\", property_type, bedrooms, status, currency, locality);"
                       "DROP VIEW leads;"
                       "ALTER TABLE profiles DROP COLUMN session_id;"
                       "ALTER TABLE profiles DROP COLUMN phone;"
                       "ALTER TABLE profiles DROP COLUMN language;"
                       "ALTER TABLE profiles DROP COLUMN state;"
                       "ALTER TABLE profiles DROP COLUMN temperature;"
                       "ALTER TABLE profiles DROP COLUMN engagement_score;"
                       "ALTER TABLE profiles DROP COLUMN intent_to_buy_score;"
                       "ALTER TABLE profiles DROP COLUMN slots_json;"
                       "ALTER TABLE profiles DROP COLUMN lead_updated_at;"
                       "CREATE TABLE p1 (tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
                       "  user_id TEXT NOT NULL, json TEXT, updated_at INTEGER NOT NULL,"
                       "  PRIMARY KEY (tenant_id, user_id)) WITHOUT ROWID;"
                       "INSERT INTO p1 SELECT tenant_id, user_id, json, updated_at FROM profiles;"
                       "DROP TABLE profiles; ALTER TABLE p1 RENAME TO profiles;"
                       "CREATE TABLE s1 (tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
                       "  session_id TEXT NOT NULL, user_id TEXT, state_json TEXT,"
                       "  updated_at INTEGER NOT NULL,"
                       "  PRIMARY KEY (tenant_id, session_id)) WITHOUT ROWID;"
                       "INSERT INTO s1 SELECT tenant_id, session_id, user_id, state_json, updated_at"
                       "  FROM sessions;"
                       "DROP TABLE sessions; ALTER TABLE s1 RENAME TO sessions;"
                       "INSERT INTO sessions VALUES (1, 'old-s', 'old-user', '{\"state\":\"HANDOFF\"}', 6);"
                       "CREATE TABLE leads ("
                       "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
                       "  user_id TEXT NOT NULL,"
                       "  session_id TEXT, phone TEXT, language TEXT, state TEXT, temperature TEXT,"
                       "  engagement_score REAL NOT NULL DEFAULT 0,"
                       "  intent_to_buy_score REAL NOT NULL DEFAULT 0,"
                       "  slots_json TEXT,"
                       "  updated_at INTEGER NOT NULL,"
                       "  PRIMARY KEY (tenant_id, user_id)) WITHOUT ROWID;"
                       "INSERT INTO profiles VALUES (1, 'old-user', '{\"v\":1}', 5);"
                       "INSERT INTO leads VALUES (1, 'old-user', 'old-s', '+971501234567', 'en',"
                       "  'HANDOFF', 'hot', 8.5, 9, '{}', 7);"
                       "INSERT INTO leads VALUES (1, 'lead-only', 'old-s2', NULL, 'ar',"
                       "  'QUALIFYING', 'cold', 1, 2, NULL, 8);"
                       /* the transcript a row per message (before v10) */
                       "DROP VIEW messages; DROP TABLE turns;"
                       "CREATE TABLE messages ("
                       "  id INTEGER PRIMARY KEY,"
                       "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
                       "  session_id TEXT NOT NULL,"
                       "  role TEXT NOT NULL,"
                       "  text TEXT NOT NULL,"
                       "  meta_json TEXT,"
                       "  created_at INTEGER NOT NULL);"
                       "CREATE INDEX messages_session ON messages(tenant_id, session_id, id);"
                       "INSERT INTO messages VALUES (1, 1, 'old-s', 'user', 'hi', NULL, 5);"
                       "INSERT INTO messages VALUES (2, 1, 'old-s', 'assistant', 'hello', '{}', 5);"
                       "DELETE FROM schema_migrations WHERE version >= 2"), SQLITE_OK);
    CHECK_INT(raw_int(url, "SELECT max(version) FROM schema_migrations"), 1);

    s = open_or_die(url);
    CHECK_INT(raw_int(url, "SELECT max(version) FROM schema_migrations"), SCHEMA_LATEST);
    /* v5: the leads moved into the profile rows, and read the same as before */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM leads"), 2);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM leads WHERE user_id = 'old-user' AND"
                      " phone = '+971501234567' AND temperature = 'hot' AND"
                      " intent_to_buy_score = 9 AND updated_at = 7"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM profiles WHERE user_id = 'old-user' AND"
                      " json = '{\"v\":1}' AND state = 'HANDOFF'"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM profiles WHERE user_id = 'lead-only' AND"
                      " json IS NULL AND language = 'ar'"), 1);
    /* v8: the same rows in rowid tables, still one per key */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM pragma_table_list"
                      " WHERE name IN ('sessions', 'profiles') AND wr = 0"), 2);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sessions WHERE session_id = 'old-s' AND"
                      " user_id = 'old-user' AND state_json = '{\"state\":\"HANDOFF\"}'"), 1);
    CHECK_INT(raw_exec(url, "INSERT INTO profiles (tenant_id, user_id, updated_at)"
                       " VALUES (1, 'old-user', 9)"), SQLITE_CONSTRAINT);
    /* v10: the transcript reads as before */
    {
        arena a;
        arena_init(&a, 0);
        store_message *m = NULL;
        int n = 0;
        pt_error merr = {0};
        CHECK(s->ops->messages_list(s, t, "old-s", 10, &a, &m, &n, &merr) == 0, "%s", merr.msg);
        CHECK(n == 2 && strcmp(m[0].role, "user") == 0 && strcmp(m[0].text, "hi") == 0 &&
                  strcmp(m[1].role, "assistant") == 0 && strcmp(m[1].meta_json, "{}") == 0,
              "upgraded transcript: %d messages", n);
        arena_release(&a);
    }
    CHECK_INT(raw_int(url, "SELECT count(*) FROM messages WHERE session_id = 'old-s'"), 2);
    /* v6: listings_tx_price without locality */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM pragma_index_info('listings_tx_price')"), 7);
    /* the index was rebuilt from what the old file held */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH 'lake'"),
              N_LISTINGS);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH 'gym'"),
              40);
    /* v9: type, transaction and status became codes, and read back as they were */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings WHERE typeof(property_type) = 'integer'"
                      " AND typeof(\"transaction\") = 'integer' AND typeof(status) = 'integer'"),
              N_LISTINGS);
    /* in the order of the names: apartment 1, studio 6, villa 8; rent 1; off plan 1 */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings WHERE property_type = 6"), N_LISTINGS / 3);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings WHERE property_type = 8"), N_LISTINGS / 3);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings WHERE \"transaction\" = 1"), N_LISTINGS / 5);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings WHERE status = 1"), N_LISTINGS / 2);
    {
        arena a;
        arena_init(&a, 0);
        pt_error gerr = {0};
        for (int i = 0; i < N_LISTINGS; i++) {
            listing got;
            const listing *w = &inv[i].l;
            int rc = s->ops->listing_get(s, t, w->id, &a, &got, &gerr);
            CHECK(rc == 0 && got.type == w->type && got.tx == w->tx && got.status == w->status &&
                      got.price == w->price && str_eq(got.title, w->title),
                  "upgraded listing %s: type, transaction, status", w->id);
        }
        arena_release(&a);
    }

    /* triggers keep it in step: update a text, delete a row */
    listing l = inv[1].l;
    l.description = "penthouse with skyline view";
    pt_error err = {0};
    CHECK(s->ops->listing_upsert(s, t, &l, &err) == 0, "upsert: %s", err.msg);
    CHECK(s->ops->listing_delete(s, t, "L002", &err) == 0, "delete: %s", err.msg);
    /* v7: the two writes each bumped the tenant's listing version */
    int64_t lv = 0;
    CHECK(s->ops->listing_version(s, t, &lv, &err) == 0 && lv == 2, "listing version %lld",
          (long long)lv);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH 'lake'"),
              N_LISTINGS - 2);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH 'skyline'"),
              1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings_fts f JOIN listings l ON"
                      " l.rid = f.rowid WHERE listings_fts MATCH 'skyline' AND l.id = 'L001'"), 1);
    CHECK_INT(raw_exec(url, "INSERT INTO listings_fts(listings_fts) VALUES('integrity-check')"),
              SQLITE_OK);
    store_close(s);

    /* a file from a newer proptalk is refused */
    CHECK_INT(raw_exec(url, "INSERT INTO schema_migrations VALUES (99, 0)"), SQLITE_OK);
    s = NULL;
    pt_error_clear(&err);
    CHECK_INT(store_open(url, &s, &err), -PT_ERR_STORE);
    CHECK(strstr(err.msg, "newer") != NULL, "msg %s", err.msg);
}

static void *open_close_thread(void *arg)
{
    store *s = NULL;
    pt_error err = {0};
    int rc = store_open(arg, &s, &err);
    if (rc == 0)
        store_close(s);
    else
        fprintf(stderr, "thread open: %s\n", err.msg);
    return (void *)(intptr_t)rc;
}

TEST(test_concurrent_openers)
{
    char url[512];
    pthread_t th[8];

    /* threads of one process */
    db_url(url, sizeof url, "race-threads.db");
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, open_close_thread, url);
    int fails = 0;
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(th[i], &r);
        fails += r != NULL;
    }
    CHECK_INT(fails, 0);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM schema_migrations"), SCHEMA_LATEST);

    /* separate processes: only BEGIN IMMEDIATE keeps them apart */
    db_url(url, sizeof url, "race-procs.db");
    pid_t pids[4];
    for (int i = 0; i < 4; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            store *s = NULL;
            pt_error err = {0};
            int rc = store_open(url, &s, &err);
            if (rc)
                fprintf(stderr, "child open: %s\n", err.msg);
            else
                store_close(s);
            _exit(rc ? 1 : 0);
        }
    }
    fails = 0;
    for (int i = 0; i < 4; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        fails += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_INT(fails, 0);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM schema_migrations"), SCHEMA_LATEST);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sqlite_master WHERE name = 'listings_fts'"), 1);
}

TEST(test_tenants)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "tenants.db"));

    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "dubai-demo");
    snprintf(t.name, sizeof t.name, "Dubai Demo");
    snprintf(t.currency, sizeof t.currency, "AED");
    snprintf(t.region, sizeof t.region, "AE");
    snprintf(t.timezone, sizeof t.timezone, "Asia/Dubai");
    t.language = LANG_AR;
    CHECK(s->ops->tenant_create(s, &t, "hash-dubai", &err) == 0, "create: %s", err.msg);
    CHECK(t.id > 0, "id %lld", (long long)t.id);
    tenant_id b = make_tenant(s, "bangalore-demo", "hash-blr");
    CHECK(b > t.id, "ids grow");

    tenant got;
    CHECK(s->ops->tenant_by_slug(s, "dubai-demo", &got, &err) == 0, "by slug: %s", err.msg);
    CHECK_INT(got.id, t.id);
    CHECK_STR(got.name, "Dubai Demo");
    CHECK_STR(got.currency, "AED");
    CHECK_STR(got.region, "AE");
    CHECK_STR(got.timezone, "Asia/Dubai");
    CHECK_INT(got.language, LANG_AR);
    CHECK(s->ops->tenant_by_api_key(s, "hash-blr", &got, &err) == 0, "by key: %s", err.msg);
    CHECK_STR(got.slug, "bangalore-demo");

    pt_error_clear(&err);
    CHECK_INT(s->ops->tenant_by_slug(s, "nope", &got, &err), -PT_ERR_NOT_FOUND);
    CHECK(strstr(err.msg, "\"nope\"") != NULL, "msg %s", err.msg);
    pt_error_clear(&err);
    CHECK_INT(s->ops->tenant_by_api_key(s, "wrong", &got, &err), -PT_ERR_NOT_FOUND);

    /* conflicts: the slug, and the key */
    tenant dup = t;
    pt_error_clear(&err);
    CHECK_INT(s->ops->tenant_create(s, &dup, "another-hash", &err), -PT_ERR_CONFLICT);
    CHECK(strstr(err.msg, "already exists") != NULL, "msg %s", err.msg);
    snprintf(dup.slug, sizeof dup.slug, "fresh");
    pt_error_clear(&err);
    CHECK_INT(s->ops->tenant_create(s, &dup, "hash-blr", &err), -PT_ERR_CONFLICT);
    memset(&dup, 0, sizeof dup);
    pt_error_clear(&err);
    CHECK_INT(s->ops->tenant_create(s, &dup, "x", &err), -PT_ERR_INVALID);

    arena a;
    arena_init(&a, 0);
    tenant *list = NULL;
    int n = 0;
    CHECK(s->ops->tenant_list(s, &a, &list, &n, &err) == 0, "list: %s", err.msg);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(list[0].slug, "dubai-demo");
        CHECK_STR(list[1].slug, "bangalore-demo");
    }
    arena_release(&a);
    store_close(s);
}

TEST(test_users)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "users.db"));
    tenant_id t = make_tenant(s, "acme", "k1");

    store_user u = {.email = "Admin@Example.com", .role = "super_admin", .tenant = 0,
                    .password_hash = "$argon2id$xyz"};
    CHECK(s->ops->user_create(s, &u, &err) == 0, "create: %s", err.msg);
    CHECK(u.id > 0, "id set");
    store_user ag = {.email = "agent@acme.com", .role = "agent", .tenant = t,
                     .password_hash = "$argon2id$abc"};
    CHECK(s->ops->user_create(s, &ag, &err) == 0, "create agent: %s", err.msg);

    store_user dup = {.email = "admin@example.com", .role = "agent", .tenant = t};
    pt_error_clear(&err);
    CHECK_INT(s->ops->user_create(s, &dup, &err), -PT_ERR_CONFLICT);
    store_user orphan = {.email = "x@y.z", .role = "agent", .tenant = 12345};
    pt_error_clear(&err);
    CHECK_INT(s->ops->user_create(s, &orphan, &err), -PT_ERR_NOT_FOUND);

    arena a;
    arena_init(&a, 0);
    store_user got;
    CHECK(s->ops->user_by_email(s, "admin@EXAMPLE.com", &a, &got, &err) == 0, "get: %s",
          err.msg);
    CHECK_INT(got.id, u.id);
    CHECK_STR(got.role, "super_admin");
    CHECK_INT(got.tenant, 0);
    CHECK_STR(got.password_hash, "$argon2id$xyz");
    CHECK(s->ops->user_by_email(s, "agent@acme.com", &a, &got, &err) == 0, "get: %s", err.msg);
    CHECK_INT(got.tenant, t);
    pt_error_clear(&err);
    CHECK_INT(s->ops->user_by_email(s, "ghost@acme.com", &a, &got, &err), -PT_ERR_NOT_FOUND);
    arena_release(&a);
    store_close(s);
}

TEST(test_import_and_get)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "import.db"));
    tenant_id t = make_tenant(s, "blr", "k");
    int64_t count = 0;

    gen_inventory(0);
    import_inventory(s, t);
    CHECK(s->ops->listing_count(s, t, &count, &err) == 0, "count: %s", err.msg);
    CHECK_INT(count, N_LISTINGS);

    /* re-import updates in place */
    gen_inventory(5);
    import_inventory(s, t);
    s->ops->listing_count(s, t, &count, &err);
    CHECK_INT(count, N_LISTINGS);

    arena a;
    arena_init(&a, 0);
    for (int i = 0; i < N_LISTINGS; i++) {
        listing got;
        const listing *w = &inv[i].l;
        int rc = s->ops->listing_get(s, t, w->id, &a, &got, &err);
        CHECK(rc == 0, "get %s: %s", w->id, err.msg);
        if (rc)
            continue;
        bool same = str_eq(got.id, w->id) && str_eq(got.title, w->title) &&
                    str_eq(got.project, w->project) && str_eq(got.developer, w->developer) &&
                    str_eq(got.city, w->city) && str_eq(got.locality, w->locality) &&
                    got.type == w->type && got.tx == w->tx && got.bedrooms == w->bedrooms &&
                    got.bathrooms == w->bathrooms && got.area_sqft == w->area_sqft &&
                    got.price == w->price && strcmp(got.currency, w->currency) == 0 &&
                    got.units_available == w->units_available && got.status == w->status &&
                    str_eq(got.completion_date, w->completion_date) &&
                    str_eq(got.amenities, w->amenities) && got.has_geo == w->has_geo &&
                    (!w->has_geo || (got.latitude == w->latitude &&
                                     got.longitude == w->longitude)) &&
                    got.rental_yield == w->rental_yield &&
                    str_eq(got.description, w->description) &&
                    str_eq(got.attributes_json, w->attributes_json);
        CHECK(same, "listing %s round-trips every field", w->id);
    }

    /* several in one read: in the order asked, a missing id not found, an
     * id asked twice given twice, another tenant's never */
    {
        const char *ids[STORE_GET_MANY] = {inv[3].l.id, "NO-SUCH", inv[0].l.id, inv[3].l.id};
        listing many[STORE_GET_MANY];
        bool found[STORE_GET_MANY];
        CHECK(s->ops->listings_get_many(s, t, ids, 4, &a, many, found, &err) == 0, "%s", err.msg);
        CHECK(found[0] && !found[1] && found[2] && found[3], "found flags");
        CHECK(found[0] && str_eq(many[0].id, inv[3].l.id) && many[0].price == inv[3].l.price &&
              str_eq(many[0].description, inv[3].l.description), "first of many");
        CHECK(found[2] && str_eq(many[2].id, inv[0].l.id), "third of many");
        CHECK(found[3] && str_eq(many[3].id, inv[3].l.id), "an id asked twice");
        CHECK(s->ops->listings_get_many(s, t + 1000, ids, 4, &a, many, found, &err) == 0 &&
              !found[0] && !found[2], "another tenant sees none");
        CHECK_INT(s->ops->listings_get_many(s, t, ids, STORE_GET_MANY + 1, &a, many, found, &err),
                  -PT_ERR_INVALID);
        pt_error_clear(&err);
    }

    /* a rolled back import leaves nothing */
    listing extra = inv[0].l;
    extra.id = "NEW-1";
    CHECK(s->ops->import_begin(s, &err) == 0, "begin: %s", err.msg);
    CHECK(s->ops->listing_upsert(s, t, &extra, &err) == 0, "upsert: %s", err.msg);
    s->ops->import_rollback(s);
    s->ops->listing_count(s, t, &count, &err);
    CHECK_INT(count, N_LISTINGS);

    /* outside an import an upsert is its own transaction */
    CHECK(s->ops->listing_upsert(s, t, &extra, &err) == 0, "upsert: %s", err.msg);
    s->ops->listing_count(s, t, &count, &err);
    CHECK_INT(count, N_LISTINGS + 1);
    CHECK(s->ops->listing_delete(s, t, "NEW-1", &err) == 0, "delete: %s", err.msg);
    listing got;
    pt_error_clear(&err);
    CHECK_INT(s->ops->listing_get(s, t, "NEW-1", &a, &got, &err), -PT_ERR_NOT_FOUND);
    pt_error_clear(&err);
    CHECK_INT(s->ops->listing_delete(s, t, "NEW-1", &err), -PT_ERR_NOT_FOUND);

    /* bad input */
    extra.id = "";
    pt_error_clear(&err);
    CHECK_INT(s->ops->listing_upsert(s, t, &extra, &err), -PT_ERR_INVALID);
    extra.id = "X";
    pt_error_clear(&err);
    CHECK_INT(s->ops->listing_upsert(s, 9999, &extra, &err), -PT_ERR_NOT_FOUND);

    arena_release(&a);
    store_close(s);
}

/* Does l satisfy q?  (the brute-force oracle) */
static bool matches(const listing *l, const store_listing_query *q)
{
    if (q->tx && l->tx != q->tx)
        return false;
    if (q->type && l->type != q->type)
        return false;
    if (q->bedrooms >= 0 && l->bedrooms != q->bedrooms)
        return false;
    if (q->has_price_min && l->price < q->price_min)
        return false;
    if (q->has_price_max && l->price > q->price_max)
        return false;
    if (q->currency && strcmp(l->currency, q->currency) != 0)
        return false;
    if (q->status && l->status != q->status)
        return false;
    if (q->n_localities > 0) {
        bool any = false;
        for (int i = 0; i < q->n_localities && i < 16; i++)
            any |= str_eq(l->locality, q->localities[i]);
        if (!any)
            return false;
    }
    return true;
}

static void check_search(store *s, tenant_id t, const store_listing_query *q, const char *what)
{
    arena a;
    arena_init(&a, 0);
    listing *rows = NULL;
    int n = 0;
    pt_error err = {0};
    int rc = s->ops->listing_search(s, t, q, &a, &rows, &n, &err);
    CHECK(rc == 0, "%s: %s", what, err.msg);
    int want = 0;
    for (int i = 0; i < N_LISTINGS; i++)
        want += matches(&inv[i].l, q);
    int limit = q->limit > 0 ? q->limit : 200;
    CHECK_INT(n, want < limit ? want : limit);
    bool all = true, ordered = true;
    for (int i = 0; i < n; i++) {
        all &= matches(&rows[i], q);
        if (i)
            ordered &= rows[i - 1].price <= rows[i].price;
    }
    CHECK(all, "%s: every row satisfies the filters", what);
    CHECK(ordered, "%s: rows by price", what);
    printf("    %-28s %d rows\n", what, n);
    arena_release(&a);
}

static store_listing_query any_query(void)
{
    store_listing_query q;
    memset(&q, 0, sizeof q);
    q.bedrooms = -1;
    return q;
}

TEST(test_search)
{
    char url[512];
    store *s = open_or_die(db_url(url, sizeof url, "search.db"));
    tenant_id t = make_tenant(s, "blr", "k");
    gen_inventory(0);
    import_inventory(s, t);

    store_listing_query q = any_query();
    check_search(s, t, &q, "no filter");
    q.limit = 7;
    check_search(s, t, &q, "limit 7");
    q = any_query();
    q.tx = TX_RENT;
    check_search(s, t, &q, "tx rent");
    q = any_query();
    q.type = PTYPE_VILLA;
    check_search(s, t, &q, "type villa");
    q = any_query();
    q.bedrooms = 0;
    check_search(s, t, &q, "bedrooms 0");
    q = any_query();
    q.has_price_min = true;
    q.price_min = 3000000;
    check_search(s, t, &q, "price min");
    q = any_query();
    q.has_price_max = true;
    q.price_max = 2500000;
    check_search(s, t, &q, "price max");
    q = any_query();
    q.currency = "AED";
    check_search(s, t, &q, "currency AED");
    q = any_query();
    q.status = LSTATUS_OFF_PLAN;
    check_search(s, t, &q, "status off_plan");
    const char *locs[] = {"Whitefield", "HSR Layout"};
    q = any_query();
    q.localities = locs;
    q.n_localities = 2;
    check_search(s, t, &q, "two localities");

    q = any_query();
    q.tx = TX_BUY;
    q.type = PTYPE_APARTMENT;
    q.bedrooms = 2;
    q.has_price_min = q.has_price_max = true;
    q.price_min = 1000000;
    q.price_max = 5000000;
    q.currency = "INR";
    q.status = LSTATUS_OFF_PLAN;
    const char *locs2[] = {"Koramangala", "Whitefield"};
    q.localities = locs2;
    q.n_localities = 2;
    check_search(s, t, &q, "every filter");

    /* values are bound, never pasted into SQL */
    const char *evil[] = {"x' OR '1'='1", "Whitefield"};
    q = any_query();
    q.localities = evil;
    q.n_localities = 2;
    check_search(s, t, &q, "quote in locality");

    /* more localities than the cap: the first 16 count, no crash */
    const char *many[20];
    for (int i = 0; i < 20; i++)
        many[i] = i == 3 ? "Koramangala" : "Nowhere";
    q = any_query();
    q.localities = many;
    q.n_localities = 20;
    check_search(s, t, &q, "20 localities");

    /* many distinct filter combinations exercise the statement cache */
    int bad = 0;
    for (int round = 0; round < 2; round++)
        for (int mask = 0; mask < 64; mask++) {
            q = any_query();
            if (mask & 1) q.tx = TX_BUY;
            if (mask & 2) q.type = PTYPE_STUDIO;
            if (mask & 4) q.bedrooms = 1;
            if (mask & 8) { q.has_price_max = true; q.price_max = 4000000; }
            if (mask & 16) q.status = LSTATUS_READY;
            if (mask & 32) { q.localities = locs; q.n_localities = 1 + round; }
            arena a;
            arena_init(&a, 0);
            listing *rows = NULL;
            int n = 0, want = 0;
            pt_error err = {0};
            if (s->ops->listing_search(s, t, &q, &a, &rows, &n, &err) != 0)
                bad++;
            for (int i = 0; i < N_LISTINGS; i++)
                want += matches(&inv[i].l, &q);
            bad += n != want;
            for (int i = 0; i < n; i++)
                bad += !matches(&rows[i], &q);
            arena_release(&a);
        }
    CHECK_INT(bad, 0);
    store_close(s);
}

/* Listings of one price are walked in the order of their type, then
 * status names (the index order): the codes of migration 9 keep that
 * order, so a search meets ties as it did when the names were stored. */
TEST(test_search_tie_order)
{
    char url[512];
    store *s = open_or_die(db_url(url, sizeof url, "ties.db"));
    tenant_id t = make_tenant(s, "ties", "k-ties");
    static const struct { const char *id; property_type type; listing_status st; } w[] = {
        {"T1", PTYPE_VILLA, LSTATUS_READY},     {"T2", PTYPE_APARTMENT, LSTATUS_READY},
        {"T3", PTYPE_STUDIO, LSTATUS_OFF_PLAN}, {"T4", PTYPE_APARTMENT, LSTATUS_OFF_PLAN},
        {"T5", PTYPE_OFFICE, LSTATUS_READY},    {"T6", PTYPE_PLOT, LSTATUS_NONE},
    };
    pt_error err = {0};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        listing l;
        memset(&l, 0, sizeof l);
        l.id = w[i].id;
        l.title = "tie";
        l.locality = "Hebbal";
        l.type = w[i].type;
        l.tx = TX_BUY;
        l.bedrooms = 2;
        l.bathrooms = l.area_sqft = l.rental_yield = -1;
        l.units_available = -1;
        l.price = 5000000;
        memcpy(l.currency, "INR", 4);
        l.status = w[i].st;
        CHECK(s->ops->listing_upsert(s, t, &l, &err) == 0, "upsert %s: %s", l.id, err.msg);
    }
    /* without a transaction: one walk of listings_loc, sorted by price, ties
     * in index order: type names (apartment, office, plot, studio, villa),
     * then status names (off_plan before ready); with one: a walk per type
     * merged by price, ties to the type first in core/types.h, each walk in
     * status name order */
    static const struct { transaction tx; const char *want; } cases[] = {
        {TX_NONE, "T4 T2 T5 T6 T3 T1 "}, {TX_BUY, "T4 T2 T1 T3 T6 T5 "}};
    const char *loc = "Hebbal";
    arena a;
    arena_init(&a, 0);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        store_listing_query q = any_query();
        q.localities = &loc;
        q.n_localities = 1;
        q.tx = cases[c].tx;
        listing *rows = NULL;
        int n = 0;
        CHECK(s->ops->listing_search(s, t, &q, &a, &rows, &n, &err) == 0, "search: %s",
              err.msg);
        char got[64] = "";
        for (int i = 0; i < n; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s ", rows[i].id);
        CHECK_STR(got, cases[c].want);
        /* and the type, status and transaction read back */
        for (int i = 0; i < n; i++) {
            size_t k = (size_t)(rows[i].id[1] - '1');
            CHECK(rows[i].type == w[k].type && rows[i].status == w[k].st &&
                      rows[i].tx == TX_BUY,
                  "%s: type, status, transaction", rows[i].id);
        }
    }
    arena_release(&a);
    store_close(s);
}

TEST(test_locality_stats)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "stats.db"));
    tenant_id t = make_tenant(s, "blr", "k");
    gen_inventory(0);
    import_inventory(s, t);

    for (int pass = 0; pass < 2; pass++) {
        transaction tx = pass ? TX_BUY : TX_NONE;
        arena a;
        arena_init(&a, 0);
        store_locality_stats *st = NULL;
        int n = 0;
        CHECK(s->ops->locality_stats(s, t, tx, &a, &st, &n, &err) == 0, "stats: %s", err.msg);
        CHECK_INT(n, 4);
        for (int k = 0; k < n; k++) {
            /* the oracle */
            money prices[N_LISTINGS];
            double ppsf[N_LISTINGS], ysum = 0, lat = 0;
            int np = 0, nq = 0, ny = 0, ng = 0;
            for (int i = 0; i < N_LISTINGS; i++) {
                const listing *l = &inv[i].l;
                if (strcmp(l->locality, st[k].locality) != 0 || (tx && l->tx != tx))
                    continue;
                prices[np++] = l->price;
                if (l->area_sqft > 0)
                    ppsf[nq++] = (double)l->price / l->area_sqft;
                if (l->rental_yield >= 0) {
                    ysum += l->rental_yield;
                    ny++;
                }
                if (l->has_geo) {
                    lat += l->latitude;
                    ng++;
                }
            }
            for (int i = 0; i < np; i++)      /* insertion sorts */
                for (int j = i; j > 0 && prices[j - 1] > prices[j]; j--) {
                    money x = prices[j]; prices[j] = prices[j - 1]; prices[j - 1] = x;
                }
            for (int i = 0; i < nq; i++)
                for (int j = i; j > 0 && ppsf[j - 1] > ppsf[j]; j--) {
                    double x = ppsf[j]; ppsf[j] = ppsf[j - 1]; ppsf[j - 1] = x;
                }
            money med = np % 2 ? prices[np / 2] : (prices[np / 2 - 1] + prices[np / 2]) / 2;
            double medq = nq % 2 ? ppsf[nq / 2] : (ppsf[nq / 2 - 1] + ppsf[nq / 2]) / 2;
            CHECK_INT(st[k].listings, np);
            CHECK_INT(st[k].median_price, med);
            CHECK(st[k].median_price_per_sqft > medq - 1e-6 &&
                  st[k].median_price_per_sqft < medq + 1e-6, "ppsf %f want %f",
                  st[k].median_price_per_sqft, medq);
            double y = ny ? ysum / ny : -1;
            CHECK(st[k].avg_yield > y - 1e-9 && st[k].avg_yield < y + 1e-9, "yield");
            CHECK(st[k].has_geo == (ng > 0), "geo");
            CHECK(!ng || (st[k].lat > lat / ng - 1e-9 && st[k].lat < lat / ng + 1e-9), "lat");
            CHECK_STR(st[k].city, "Bangalore");
        }
        arena_release(&a);
    }
    store_close(s);
}

TEST(test_agents_and_slots)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "slots.db"));
    tenant_id t = make_tenant(s, "blr", "k");
    int64_t ann = 0, bob = 0, cat = 0;
    const int64_t T = 1800000000;   /* 2027-01-15 */

    CHECK(s->ops->agent_create(s, t, "Ann", "ann@x.com", &ann, &err) == 0, "%s", err.msg);
    CHECK(s->ops->agent_create(s, t, "Bob", NULL, &bob, &err) == 0, "%s", err.msg);
    CHECK(s->ops->agent_create(s, t, "Cat", NULL, &cat, &err) == 0, "%s", err.msg);
    /* Ann: T, T (a duplicate), T+1h, T+3h;  Bob: T, T+1h;  Cat: T+2h */
    int rc = s->ops->slot_add(s, t, ann, T, T + 3600, &err) |
             s->ops->slot_add(s, t, ann, T, T + 3600, &err) |
             s->ops->slot_add(s, t, bob, T, T + 3600, &err) |
             s->ops->slot_add(s, t, ann, T + 3600, T + 7200, &err) |
             s->ops->slot_add(s, t, bob, T + 3600, T + 7200, &err) |
             s->ops->slot_add(s, t, cat, T + 7200, T + 10800, &err) |
             s->ops->slot_add(s, t, ann, T + 10800, T + 14400, &err);
    CHECK(rc == 0, "slots: %s", err.msg);
    pt_error_clear(&err);
    CHECK_INT(s->ops->slot_add(s, t, 4242, T, T + 60, &err), -PT_ERR_NOT_FOUND);
    pt_error_clear(&err);
    CHECK_INT(s->ops->slot_add(s, t, ann, T, T, &err), -PT_ERR_INVALID);

    arena a;
    arena_init(&a, 0);
    store_slot *sl = NULL;
    int n = 0;
    CHECK(s->ops->slots_free(s, t, T, T + 86400, 10, &a, &sl, &n, &err) == 0, "%s", err.msg);
    CHECK_INT(n, 7);
    if (n == 7) {
        /* at T: Ann and Bob before Ann's second slot */
        CHECK_INT(sl[0].starts_at, T);
        CHECK_INT(sl[1].starts_at, T);
        CHECK(sl[0].agent_id != sl[1].agent_id, "two agents first at T");
        CHECK_INT(sl[2].agent_id, ann);
        CHECK_INT(sl[3].starts_at, T + 3600);
        CHECK_INT(sl[5].agent_id, cat);
        CHECK_STR(sl[5].agent_name, "Cat");
        CHECK_INT(sl[6].starts_at, T + 10800);
        bool sorted = true;
        for (int i = 1; i < n; i++)
            sorted &= sl[i - 1].starts_at <= sl[i].starts_at;
        CHECK(sorted, "earliest first");
    }
    /* the window is [from, to) and the limit holds */
    CHECK(s->ops->slots_free(s, t, T + 1, T + 10800, 10, &a, &sl, &n, &err) == 0, "%s",
          err.msg);
    CHECK_INT(n, 3);
    CHECK(s->ops->slots_free(s, t, T, T + 86400, 2, &a, &sl, &n, &err) == 0, "%s", err.msg);
    CHECK_INT(n, 2);

    /* book Ann at T+3h: at T+1h Bob (no bookings) now comes before Ann */
    CHECK(s->ops->slots_free(s, t, T + 10800, T + 10801, 1, &a, &sl, &n, &err) == 0, "%s",
          err.msg);
    int64_t appt = 0;
    CHECK(n == 1 && s->ops->appointment_book(s, t, sl[0].id, "u1", "s1", "+971501234567",
                                             NULL, &appt, &err) == 0, "book: %s", err.msg);
    CHECK(appt > 0, "appointment id");
    CHECK(s->ops->slots_free(s, t, T + 3600, T + 7200, 5, &a, &sl, &n, &err) == 0, "%s",
          err.msg);
    CHECK_INT(n, 2);
    if (n == 2)
        CHECK_INT(sl[0].agent_id, bob);
    CHECK(s->ops->slots_free(s, t, T, T + 86400, 10, &a, &sl, &n, &err) == 0, "%s", err.msg);
    CHECK_INT(n, 6);   /* the booked one is gone */
    arena_release(&a);
    store_close(s);
}

TEST(test_booking)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "book.db"));
    tenant_id t = make_tenant(s, "blr", "k");
    tenant_id u = make_tenant(s, "other", "k2");
    int64_t ag = 0, ag2 = 0, id1 = 0, id2 = 0, count = 0;
    s->ops->agent_create(s, t, "Ann", NULL, &ag, &err);
    s->ops->agent_create(s, u, "Zed", NULL, &ag2, &err);
    s->ops->slot_add(s, t, ag, 1000, 2000, &err);
    s->ops->slot_add(s, u, ag2, 1000, 2000, &err);
    /* an agent of tenant u is not tenant t's */
    pt_error_clear(&err);
    CHECK_INT(s->ops->slot_add(s, t, ag2, 3000, 4000, &err), -PT_ERR_NOT_FOUND);

    arena a;
    arena_init(&a, 0);
    store_slot *sl = NULL, *sl2 = NULL;
    int n = 0, n2 = 0;
    s->ops->slots_free(s, t, 0, 10000, 10, &a, &sl, &n, &err);
    s->ops->slots_free(s, u, 0, 10000, 10, &a, &sl2, &n2, &err);
    CHECK(n == 1 && n2 == 1, "one slot each");
    if (n != 1 || n2 != 1)
        goto done;

    pt_error_clear(&err);
    CHECK(s->ops->appointment_book(s, t, sl[0].id, "u1", "sess-1", NULL, NULL, &id1, &err) == 0,
          "book: %s", err.msg);
    pt_error_clear(&err);
    CHECK_INT(s->ops->appointment_book(s, t, sl[0].id, "u2", "sess-2", NULL, NULL, &id2, &err),
              -PT_ERR_CONFLICT);
    char want[64];
    snprintf(want, sizeof want, "slot %lld is already booked", (long long)sl[0].id);
    CHECK_STR(err.msg, want);
    s->ops->appointment_count(s, t, NULL, &count, &err);
    CHECK_INT(count, 1);
    s->ops->appointment_count(s, t, "sess-1", &count, &err);
    CHECK_INT(count, 1);
    s->ops->appointment_count(s, t, "sess-2", &count, &err);
    CHECK_INT(count, 0);

    pt_error_clear(&err);
    CHECK_INT(s->ops->appointment_book(s, t, 99999, "u1", "sess-1", NULL, NULL, &id2, &err),
              -PT_ERR_NOT_FOUND);
    /* tenant t cannot book tenant u's slot */
    pt_error_clear(&err);
    CHECK_INT(s->ops->appointment_book(s, t, sl2[0].id, "u1", "sess-1", NULL, NULL, &id2, &err),
              -PT_ERR_NOT_FOUND);
    s->ops->appointment_count(s, u, NULL, &count, &err);
    CHECK_INT(count, 0);

    /* inside a turn a conflict leaves the turn usable */
    pt_error_clear(&err);
    CHECK(s->ops->turn_begin(s, &err) == 0, "begin: %s", err.msg);
    CHECK_INT(s->ops->appointment_book(s, t, sl[0].id, "u3", "sess-3", NULL, NULL, &id2, &err),
              -PT_ERR_CONFLICT);
    pt_error_clear(&err);
    CHECK(s->ops->session_put(s, t, "sess-3", "u3", "{\"s\":1}", &err) == 0, "put: %s",
          err.msg);
    CHECK(s->ops->turn_commit(s, &err) == 0, "commit: %s", err.msg);
    char *json = NULL;
    s->ops->session_get(s, t, "sess-3", &a, &json, &err);
    CHECK_STR(json, "{\"s\":1}");
done:
    arena_release(&a);
    store_close(s);
}

/* A buyer's viewings across sessions, as "when is my visit?" reads them:
 * by user_id within the tenant, only those not over, earliest first, with
 * the agent and the listing's title. */
TEST(test_appointments_upcoming)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "upcoming.db"));
    tenant_id t = make_tenant(s, "dxb", "k");
    tenant_id u = make_tenant(s, "other", "k2");
    int64_t ag = 0, ag2 = 0, id = 0;
    CHECK(s->ops->agent_create(s, t, "Ann", NULL, &ag, &err) == 0, "%s", err.msg);
    CHECK(s->ops->agent_create(s, u, "Zed", NULL, &ag2, &err) == 0, "%s", err.msg);
    /* [past 100-200] [3000-4000] [5000-6000] [7000-8000]; tenant u: 3000-4000 */
    static const int64_t starts[] = {100, 3000, 5000, 7000};
    for (int i = 0; i < 4; i++)
        CHECK(s->ops->slot_add(s, t, ag, starts[i], starts[i] + (i ? 1000 : 100), &err) == 0, "%s",
              err.msg);
    CHECK(s->ops->slot_add(s, u, ag2, 3000, 4000, &err) == 0, "%s", err.msg);
    listing l = {.id = "L1", .title = "Sigma Court", .locality = "JVC", .price = 2000000,
                 .currency = "AED", .bedrooms = 2, .type = PTYPE_APARTMENT, .tx = TX_BUY};
    CHECK(s->ops->import_begin(s, &err) == 0 && s->ops->listing_upsert(s, t, &l, &err) == 0
              && s->ops->import_commit(s, &err) == 0, "listing: %s", err.msg);

    arena a;
    arena_init(&a, 0);
    store_slot *sl = NULL, *sl2 = NULL;
    int n = 0, n2 = 0;
    CHECK(s->ops->slots_free(s, t, 0, 10000, 10, &a, &sl, &n, &err) == 0 && n == 4, "4 slots");
    CHECK(s->ops->slots_free(s, u, 0, 10000, 10, &a, &sl2, &n2, &err) == 0 && n2 == 1, "1 slot");
    if (n != 4 || n2 != 1)
        goto done;
    /* u1: the past one, 5000 for L1 in s1, 3000 without a listing in s2;
     * u2: 7000; u1 at tenant u too */
    CHECK(s->ops->appointment_book(s, t, sl[0].id, "u1", "s1", NULL, "L1", &id, &err) == 0, "%s", err.msg);
    CHECK(s->ops->appointment_book(s, t, sl[2].id, "u1", "s1", NULL, "L1", &id, &err) == 0, "%s", err.msg);
    CHECK(s->ops->appointment_book(s, t, sl[1].id, "u1", "s2", NULL, NULL, &id, &err) == 0, "%s", err.msg);
    CHECK(s->ops->appointment_book(s, t, sl[3].id, "u2", "s9", NULL, NULL, &id, &err) == 0, "%s", err.msg);
    CHECK(s->ops->appointment_book(s, u, sl2[0].id, "u1", "s1", NULL, NULL, &id, &err) == 0, "%s", err.msg);

    store_appointment *ap = NULL;
    int na = -1;
    CHECK(s->ops->appointments_upcoming(s, t, "u1", 1000, 0, &a, &ap, &na, &err) == 0, "%s", err.msg);
    CHECK_INT(na, 2);
    if (na == 2) {
        CHECK_INT(ap[0].starts_at, 3000);
        CHECK_INT(ap[0].ends_at, 4000);
        CHECK_STR(ap[0].agent_name, "Ann");
        CHECK(ap[0].listing_id == NULL && ap[0].listing_title == NULL, "no listing");
        CHECK_STR(ap[0].session_id, "s2");
        CHECK_INT(ap[1].starts_at, 5000);
        CHECK_STR(ap[1].listing_id, "L1");
        CHECK_STR(ap[1].listing_title, "Sigma Court");
        CHECK_STR(ap[1].session_id, "s1");
    }
    /* one that is under way still counts; the limit holds */
    CHECK(s->ops->appointments_upcoming(s, t, "u1", 3500, 1, &a, &ap, &na, &err) == 0 && na == 1
              && ap[0].starts_at == 3000, "under way, limit 1");
    /* a viewing of a listing since deleted keeps its id, without a title */
    CHECK(s->ops->listing_delete(s, t, "L1", &err) == 0, "%s", err.msg);
    CHECK(s->ops->appointments_upcoming(s, t, "u1", 4500, 0, &a, &ap, &na, &err) == 0 && na == 1
              && ap[0].listing_title == NULL && str_eq(ap[0].listing_id, "L1"), "listing gone");
    CHECK(s->ops->appointments_upcoming(s, t, "u2", 1000, 0, &a, &ap, &na, &err) == 0 && na == 1
              && ap[0].starts_at == 7000, "u2 has its own");
    CHECK(s->ops->appointments_upcoming(s, u, "u1", 1000, 0, &a, &ap, &na, &err) == 0 && na == 1
              && str_eq(ap[0].agent_name, "Zed"), "tenant u: its own only");
    CHECK(s->ops->appointments_upcoming(s, t, "nobody", 0, 0, &a, &ap, &na, &err) == 0 && na == 0,
          "nobody has none");
    CHECK(s->ops->appointments_upcoming(s, t, NULL, 0, 0, &a, &ap, &na, &err) == 0 && na == 0
              && ap == NULL, "no user: none");
    CHECK(s->ops->appointments_upcoming(s, t, "u1", 9000, 0, &a, &ap, &na, &err) == 0 && na == 0,
          "all over");
done:
    arena_release(&a);
    store_close(s);
}

/* ---- 8 threads, 8 handles, 5 slots ---- */

typedef struct race_arg {
    const char *url;
    tenant_id t;
    int64_t *slots;
    int thread;
    int booked, conflicts, other;
} race_arg;

static void *race_thread(void *p)
{
    race_arg *r = p;
    store *s = NULL;
    pt_error err = {0};
    if (store_open(r->url, &s, &err) != 0) {
        r->other = 100;
        return NULL;
    }
    for (int i = 0; i < 5; i++) {
        int64_t id = 0;
        char sess[32];
        snprintf(sess, sizeof sess, "t%d", r->thread);
        pt_error_clear(&err);
        int rc;
        if ((r->thread + i) % 2) {   /* half of them inside a turn */
            rc = s->ops->turn_begin(s, &err);
            if (rc == 0) {
                rc = s->ops->appointment_book(s, r->t, r->slots[i], "u", sess, NULL, NULL, &id, &err);
                int rc2 = s->ops->session_put(s, r->t, sess, "u", "{}", &err);
                if (rc2 == 0)
                    rc2 = s->ops->turn_commit(s, &err);
                else
                    s->ops->turn_rollback(s);
                if (rc2)
                    rc = rc2;
            }
        } else {
            rc = s->ops->appointment_book(s, r->t, r->slots[i], "u", sess, NULL, NULL, &id, &err);
        }
        if (rc == 0)
            r->booked++;
        else if (rc == -PT_ERR_CONFLICT)
            r->conflicts++;
        else {
            fprintf(stderr, "race: %s\n", err.msg);
            r->other++;
        }
    }
    store_close(s);
    return NULL;
}

TEST(test_booking_race)
{
    char url[512];
    pt_error err = {0};
    db_url(url, sizeof url, "race.db");
    store *s = open_or_die(url);
    tenant_id t = make_tenant(s, "blr", "k");
    int64_t ag = 0, slot_ids[5];
    s->ops->agent_create(s, t, "Ann", NULL, &ag, &err);
    for (int i = 0; i < 5; i++)
        s->ops->slot_add(s, t, ag, 1000 + i * 100, 1050 + i * 100, &err);
    arena a;
    arena_init(&a, 0);
    store_slot *sl = NULL;
    int n = 0;
    s->ops->slots_free(s, t, 0, 10000, 10, &a, &sl, &n, &err);
    CHECK_INT(n, 5);
    for (int i = 0; i < 5 && i < n; i++)
        slot_ids[i] = sl[i].id;

    pthread_t th[8];
    race_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (race_arg){.url = url, .t = t, .slots = slot_ids, .thread = i};
        pthread_create(&th[i], NULL, race_thread, &args[i]);
    }
    int booked = 0, conflicts = 0, other = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        booked += args[i].booked;
        conflicts += args[i].conflicts;
        other += args[i].other;
    }
    CHECK_INT(booked, 5);
    CHECK_INT(conflicts, 35);
    CHECK_INT(other, 0);
    int64_t count = 0;
    s->ops->appointment_count(s, t, NULL, &count, &err);
    CHECK_INT(count, 5);
    s->ops->slots_free(s, t, 0, 10000, 10, &a, &sl, &n, &err);
    CHECK_INT(n, 0);
    arena_release(&a);
    store_close(s);
}

/* ---- turns ---- */

static int run_turn(store *s, tenant_id t, const char *sess, const char *user, int k,
                    pt_error *err)
{
    char state[64], text[64];
    snprintf(state, sizeof state, "{\"turn\":%d}", k);
    snprintf(text, sizeof text, "hello %d", k);
    store_lead lead = {.user_id = user, .session_id = sess, .phone = k == 0 ? "+919812345678"
                       : NULL, .language = "en", .state = "SLOT_FILLING",
                       .temperature = "warm", .engagement_score = 4.5,
                       .intent_to_buy_score = 6.0, .slots_json = "{\"bedrooms\":2}"};
    int rc = s->ops->turn_begin(s, err);
    if (rc)
        return rc;
    rc = s->ops->session_put(s, t, sess, user, state, err);
    if (rc == 0)
        rc = s->ops->message_append(s, t, sess, "user", text, NULL, err);
    if (rc == 0)
        rc = s->ops->message_append(s, t, sess, "assistant", "answer",
                                    "{\"intent\":\"greeting\"}", err);
    if (rc == 0)
        rc = s->ops->profile_put(s, t, user, "{\"name\":\"Ravi\"}", err);
    if (rc == 0)
        rc = s->ops->lead_put(s, t, &lead, err);
    if (rc == 0)
        rc = s->ops->turn_commit(s, err);
    else
        s->ops->turn_rollback(s);
    return rc;
}

TEST(test_turns)
{
    char url[512];
    pt_error err = {0};
    db_url(url, sizeof url, "turns.db");
    store *s = open_or_die(url);
    tenant_id t = make_tenant(s, "blr", "k");
    arena a;
    arena_init(&a, 0);
    char *json = NULL;
    store_message *msgs = NULL;
    int n = 0;
    int64_t ag = 0, appt = 0, count = 0;
    store_slot *sl = NULL;

    /* misuse is reported, not obeyed */
    CHECK_INT(s->ops->turn_commit(s, &err), -PT_ERR_INTERNAL);
    pt_error_clear(&err);
    CHECK(s->ops->turn_begin(s, &err) == 0, "begin: %s", err.msg);
    CHECK_INT(s->ops->turn_begin(s, &err), -PT_ERR_INTERNAL);
    CHECK_INT(s->ops->import_begin(s, &err), -PT_ERR_INTERNAL);
    s->ops->turn_rollback(s);
    s->ops->turn_rollback(s);   /* a second rollback is a no-op */

    /* rollback leaves nothing */
    s->ops->agent_create(s, t, "Ann", NULL, &ag, &err);
    s->ops->slot_add(s, t, ag, 5000, 6000, &err);
    s->ops->slots_free(s, t, 0, 10000, 1, &a, &sl, &n, &err);
    pt_error_clear(&err);
    CHECK(s->ops->turn_begin(s, &err) == 0, "begin: %s", err.msg);
    CHECK(s->ops->session_put(s, t, "s1", "u1", "{\"x\":1}", &err) == 0, "%s", err.msg);
    CHECK(s->ops->message_append(s, t, "s1", "user", "hi", NULL, &err) == 0, "%s", err.msg);
    CHECK(s->ops->profile_put(s, t, "u1", "{}", &err) == 0, "%s", err.msg);
    CHECK(n == 1 && s->ops->appointment_book(s, t, sl[0].id, "u1", "s1", NULL, NULL, &appt,
                                             &err) == 0, "%s", err.msg);
    s->ops->turn_rollback(s);
    CHECK(s->ops->session_get(s, t, "s1", &a, &json, &err) == 0 && json == NULL,
          "no session after rollback");
    CHECK(s->ops->profile_get(s, t, "u1", &a, &json, &err) == 0 && json == NULL,
          "no profile after rollback");
    s->ops->messages_list(s, t, "s1", 10, &a, &msgs, &n, &err);
    CHECK_INT(n, 0);
    s->ops->appointment_count(s, t, NULL, &count, &err);
    CHECK_INT(count, 0);

    /* commit persists and survives close/reopen */
    for (int k = 0; k < 3; k++)
        CHECK(run_turn(s, t, "s1", "u1", k, &err) == 0, "turn %d: %s", k, err.msg);
    store_close(s);
    s = open_or_die(url);
    CHECK(s->ops->session_get(s, t, "s1", &a, &json, &err) == 0, "%s", err.msg);
    CHECK_STR(json, "{\"turn\":2}");
    CHECK(s->ops->profile_get(s, t, "u1", &a, &json, &err) == 0, "%s", err.msg);
    CHECK_STR(json, "{\"name\":\"Ravi\"}");
    /* state_get: both in one read, each as session_get and profile_get give it */
    char *sj = (char *)"sentinel", *pj = (char *)"sentinel";
    CHECK(s->ops->state_get(s, t, "s1", "u1", &a, &sj, &pj, &err) == 0, "%s", err.msg);
    CHECK_STR(sj, "{\"turn\":2}");
    CHECK_STR(pj, "{\"name\":\"Ravi\"}");
    sj = pj = (char *)"sentinel";
    CHECK(s->ops->state_get(s, t, "s-new", "u1", &a, &sj, &pj, &err) == 0, "%s", err.msg);
    CHECK(sj == NULL, "no such session: NULL");
    CHECK_STR(pj, "{\"name\":\"Ravi\"}");
    sj = pj = (char *)"sentinel";
    CHECK(s->ops->state_get(s, t, "s1", "u-new", &a, &sj, &pj, &err) == 0, "%s", err.msg);
    CHECK_STR(sj, "{\"turn\":2}");
    CHECK(pj == NULL, "no such profile: NULL");
    sj = pj = (char *)"sentinel";
    CHECK(s->ops->state_get(s, t, NULL, "u1", &a, &sj, &pj, &err) == 0, "%s", err.msg);
    CHECK(sj == NULL, "NULL session id: not read");
    CHECK_STR(pj, "{\"name\":\"Ravi\"}");
    sj = pj = (char *)"sentinel";
    CHECK(s->ops->state_get(s, t, "s1", NULL, &a, &sj, &pj, &err) == 0, "%s", err.msg);
    CHECK_STR(sj, "{\"turn\":2}");
    CHECK(pj == NULL, "NULL user id: not read");
    CHECK(s->ops->messages_list(s, t, "s1", 100, &a, &msgs, &n, &err) == 0, "%s", err.msg);
    CHECK_INT(n, 6);
    if (n == 6) {
        CHECK_STR(msgs[0].role, "user");
        CHECK_STR(msgs[0].text, "hello 0");
        CHECK(msgs[0].meta_json == NULL, "no meta");
        CHECK_STR(msgs[5].role, "assistant");
        CHECK_STR(msgs[5].meta_json, "{\"intent\":\"greeting\"}");
        CHECK(msgs[0].created_at > 1700000000, "timestamp");
    }
    /* the latest 3, still oldest first */
    CHECK(s->ops->messages_list(s, t, "s1", 3, &a, &msgs, &n, &err) == 0, "%s", err.msg);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(msgs[0].text, "answer");
        CHECK_STR(msgs[1].text, "hello 2");
    }
    /* the lead kept the phone given in the first turn */
    CHECK_INT(raw_int(url, "SELECT count(*) FROM leads WHERE user_id = 'u1' AND"
                      " phone = '+919812345678' AND temperature = 'warm'"), 1);

    /* outside a turn every write is its own transaction */
    CHECK(s->ops->session_put(s, t, "s2", NULL, "{}", &err) == 0, "%s", err.msg);
    CHECK(s->ops->session_get(s, t, "s2", &a, &json, &err) == 0, "%s", err.msg);
    CHECK_STR(json, "{}");
    pt_error_clear(&err);
    CHECK_INT(s->ops->session_put(s, 777, "s9", NULL, "{}", &err), -PT_ERR_NOT_FOUND);
    pt_error_clear(&err);
    CHECK_INT(s->ops->session_put(s, t, "", NULL, "{}", &err), -PT_ERR_INVALID);

    /* PROPTALK_SQLITE_SYNC=normal opens and works the same */
    store *fast = NULL;
    setenv("PROPTALK_SQLITE_SYNC", "normal", 1);
    pt_error_clear(&err);
    CHECK(store_open(url, &fast, &err) == 0, "open with sync normal: %s", err.msg);
    unsetenv("PROPTALK_SQLITE_SYNC");
    if (fast) {
        CHECK(run_turn(fast, t, "s-fast", "u-fast", 0, &err) == 0, "%s", err.msg);
        store_close(fast);
    }

    /* a handle closed in the middle of a turn loses the turn, not the lock */
    pt_error_clear(&err);
    CHECK(s->ops->turn_begin(s, &err) == 0, "%s", err.msg);
    s->ops->session_put(s, t, "s-dropped", NULL, "{}", &err);
    store_close(s);
    s = open_or_die(url);
    CHECK(run_turn(s, t, "s3", "u3", 0, &err) == 0, "after dropped turn: %s", err.msg);
    CHECK(s->ops->session_get(s, t, "s-dropped", &a, &json, &err) == 0 && json == NULL,
          "dropped turn left nothing");
    arena_release(&a);
    store_close(s);
}

/* The transcript of s as "role:text|..." (oldest first), from messages_list
 * with the given limit. */
static const char *transcript(store *s, tenant_id t, const char *sess, int limit, arena *a,
                              char *out, size_t n)
{
    store_message *m = NULL;
    int k = 0;
    pt_error err = {0};
    out[0] = '\0';
    if (s->ops->messages_list(s, t, sess, limit, a, &m, &k, &err) != 0) {
        snprintf(out, n, "error: %s", err.msg);
        return out;
    }
    size_t len = 0;
    for (int i = 0; i < k && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%s:%s:%s", i ? "|" : "", m[i].role,
                                m[i].text, m[i].meta_json ? m[i].meta_json : "-");
    return out;
}

/* The same from the messages view, ordered by id, as a dashboard reads it. */
static const char *transcript_view(const char *url, const char *sess, char *out, size_t n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t len = 0;
    out[0] = '\0';
    if (sqlite3_open_v2(url + 7, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT role, text, coalesce(meta_json, '-') FROM messages"
                           " WHERE session_id = ?1 ORDER BY id", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, sess, -1, SQLITE_STATIC);
        for (int i = 0; sqlite3_step(st) == SQLITE_ROW && len < n; i++)
            len += (size_t)snprintf(out + len, n - len, "%s%s:%s:%s", i ? "|" : "",
                                    sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                                    sqlite3_column_text(st, 2));
    } else {
        snprintf(out, n, "error: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* Migration 10: a turn's two transcript lines are one row of `turns`;
 * messages_list and the `messages` view read as before, turns with one side
 * included, and a version 9 file's messages come through the upgrade. */
TEST(test_transcript_rows)
{
    char url[512], got[2048], view[2048];
    pt_error err = {0};
    db_url(url, sizeof url, "transcript.db");
    store *s = open_or_die(url);
    tenant_id t = make_tenant(s, "tr", "k-tr");
    arena a;
    arena_init(&a, 0);

    /* group commit: both sides, the buyer only, the answer only */
    store_turn both = {.tenant = t, .session_id = "tr-1", .user_id = "u", .session_json = "{}",
                       .user_text = "hi", .user_meta = "{\"intent\":\"greeting\"}",
                       .assistant_text = "hello", .assistant_meta = "{\"state\":\"WARMUP\"}"};
    store_turn buyer = {.tenant = t, .session_id = "tr-1", .user_text = "2 bhk",
                        .user_meta = "{\"m\":1}"};
    store_turn answer = {.tenant = t, .session_id = "tr-1", .assistant_text = "here",
                         .assistant_meta = NULL};
    store_turn other = {.tenant = t, .session_id = "tr-2", .user_text = "x",
                        .assistant_text = ""};
    store_turn *batch[] = {&both, &buyer, &answer, &other};
    CHECK(s->ops->turns_write(s, batch, 4, &err) == 0, "turns_write: %s", err.msg);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM turns WHERE session_id = 'tr-1'"), 3);
    /* message_append: a row per call, any role */
    CHECK(s->ops->message_append(s, t, "tr-1", "user", "ok", NULL, &err) == 0, "%s", err.msg);
    CHECK(s->ops->message_append(s, t, "tr-1", "assistant", "fine", "{}", &err) == 0, "%s",
          err.msg);
    CHECK(s->ops->message_append(s, t, "tr-1", "system", "note", NULL, &err) == 0, "%s",
          err.msg);
    CHECK(s->ops->message_append(s, t, "tr-1", "user", NULL, NULL, &err) == 0, "%s", err.msg);
    const char *want = "user:hi:{\"intent\":\"greeting\"}|assistant:hello:{\"state\":\"WARMUP\"}"
                       "|user:2 bhk:{\"m\":1}|assistant:here:-|user:ok:-|assistant:fine:{}"
                       "|system:note:-|user::-";
    CHECK_STR(transcript(s, t, "tr-1", 100, &a, got, sizeof got), want);
    CHECK_STR(transcript_view(url, "tr-1", view, sizeof view), want);
    /* a limit that ends inside a row keeps its newer side: the latest 7 */
    CHECK_STR(transcript(s, t, "tr-1", 7, &a, got, sizeof got), strchr(want, '|') + 1);
    CHECK_STR(transcript(s, t, "tr-1", 1, &a, got, sizeof got), "user::-");
    CHECK_STR(transcript(s, t, "tr-1", 2, &a, got, sizeof got), "system:note:-|user::-");
    CHECK_STR(transcript(s, t, "tr-2", 0, &a, got, sizeof got), "user:x:-|assistant::-");
    CHECK_INT(raw_int(url, "SELECT count(*) FROM messages"), 10);
    /* the session's state written alone keeps its transcript; a turn rolled
     * back leaves it as it was */
    CHECK(s->ops->session_put(s, t, "tr-1", NULL, "{\"k\":2}", &err) == 0, "%s", err.msg);
    CHECK(s->ops->turn_begin(s, &err) == 0, "%s", err.msg);
    CHECK(s->ops->message_append(s, t, "tr-1", "user", "gone", NULL, &err) == 0, "%s",
          err.msg);
    s->ops->turn_rollback(s);
    CHECK_STR(transcript(s, t, "tr-1", 100, &a, got, sizeof got), want);
    /* a long transcript among others' turns: the latest of it, in order */
    for (int k = 0; k < 150; k++) {
        char u[32], v[32];
        snprintf(u, sizeof u, "q%d", k);
        snprintf(v, sizeof v, "a%d", k);
        store_turn x = {.tenant = t, .session_id = k % 3 ? "tr-long" : "tr-other",
                        .session_json = "{}", .user_text = u, .assistant_text = v};
        store_turn *px[] = {&x};
        CHECK(s->ops->turns_write(s, px, 1, &err) == 0, "%s", err.msg);
    }
    {
        store_message *m = NULL;
        int n = 0;
        CHECK(s->ops->messages_list(s, t, "tr-long", 0, &a, &m, &n, &err) == 0, "%s", err.msg);
        CHECK(n == 100 && strcmp(m[0].text, "q76") == 0 && strcmp(m[99].text, "a149") == 0,
              "the latest 100 of 200, oldest first: %d", n);
        CHECK(s->ops->messages_list(s, t, "tr-long", 1000, &a, &m, &n, &err) == 0, "%s", err.msg);
        int ordered = n == 200;
        for (int i = 0, k = 1; ordered && i < n; i += 2, k += (k + 1) % 3 ? 1 : 2) {
            char u[32];
            snprintf(u, sizeof u, "q%d", k);
            ordered = strcmp(m[i].text, u) == 0 && m[i + 1].text[0] == 'a' &&
                      strcmp(m[i + 1].text + 1, u + 1) == 0;
        }
        CHECK(ordered, "all 200 in order (%d)", n);
    }
    /* a handle remembers its sessions' latest rows (sq_chain): another
     * handle's, another connection's, and a rolled-back batch's writes in
     * between must not break the chain */
    {
        store *s2 = open_or_die(url);
        const char *who[] = {"s", "s2", "raw", "s", "bad", "s", "s2", "s"};
        for (int k = 0; k < 8; k++) {
            char u[32];
            snprintf(u, sizeof u, "c%d", k);
            store_turn x = {.tenant = t, .session_id = "tr-chain", .session_json = "{}",
                            .user_text = u, .assistant_text = "ok"};
            store_turn bad = {.tenant = t + 99, .session_id = "tr-chain-bad",
                              .session_json = "{}", .user_text = "never"};
            store_turn *px[] = {&x, &bad, &x};
            if (strcmp(who[k], "raw") == 0) {
                char sql[512];
                snprintf(sql, sizeof sql,
                         "INSERT INTO turns (tenant_id, session_id, prev, user_text,"
                         " assistant_text, created_at) VALUES (%lld, 'tr-chain', (SELECT"
                         " last_turn FROM sessions WHERE session_id = 'tr-chain'), '%s', 'ok', 1);"
                         "UPDATE sessions SET last_turn = last_insert_rowid()"
                         " WHERE session_id = 'tr-chain'", (long long)t, u);
                CHECK_INT(raw_exec(url, sql), SQLITE_OK);
            } else if (strcmp(who[k], "bad") == 0) {
                /* x, a failing turn, x again: the batch is rolled back and
                 * written again without the bad one */
                CHECK(s->ops->turns_write(s, px, 3, &err) == 0, "%s", err.msg);
                CHECK(x.rc == 0 && bad.rc == -PT_ERR_NOT_FOUND, "bad turn set aside: %d",
                      bad.rc);
            } else {
                store *h = strcmp(who[k], "s") == 0 ? s : s2;
                CHECK(h->ops->turns_write(h, px, 1, &err) == 0, "%s", err.msg);
            }
        }
        store_close(s2);
        CHECK_STR(transcript(s, t, "tr-chain", 100, &a, got, sizeof got),
                  "user:c0:-|assistant:ok:-|user:c1:-|assistant:ok:-|user:c2:-|assistant:ok:-"
                  "|user:c3:-|assistant:ok:-|user:c4:-|assistant:ok:-|user:c4:-|assistant:ok:-"
                  "|user:c5:-|assistant:ok:-|user:c6:-|assistant:ok:-|user:c7:-|assistant:ok:-");
        CHECK_STR(transcript_view(url, "tr-chain", view, sizeof view), got);
    }
    pt_error_clear(&err);
    CHECK_INT(s->ops->message_append(s, t, "", "user", "x", NULL, &err), -PT_ERR_INVALID);
    pt_error_clear(&err);
    CHECK_INT(s->ops->message_append(s, t + 99, "tr-9", "user", "x", NULL, &err),
              -PT_ERR_NOT_FOUND);
    store_close(s);

    /* a version 9 file: messages was a table, a row per message (and the
     * appointments had no listing, v11) */
    CHECK_INT(raw_exec(url, "DROP INDEX appointments_user;"
                       "ALTER TABLE appointments DROP COLUMN listing_id;"
                       "DROP VIEW messages; DROP TABLE turns;"
                       "ALTER TABLE sessions DROP COLUMN last_turn;"
                       "CREATE TABLE messages ("
                       "  id INTEGER PRIMARY KEY,"
                       "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
                       "  session_id TEXT NOT NULL,"
                       "  role TEXT NOT NULL,"
                       "  text TEXT NOT NULL,"
                       "  meta_json TEXT,"
                       "  created_at INTEGER NOT NULL);"
                       "CREATE INDEX messages_session ON messages(tenant_id, session_id, id);"
                       "INSERT INTO messages VALUES (3, 1, 'old-1', 'user', 'hello', '{\"a\":1}', 11);"
                       "INSERT INTO messages VALUES (4, 1, 'old-2', 'user', 'other', NULL, 12);"
                       "INSERT INTO messages VALUES (5, 1, 'old-1', 'assistant', 'hi there', NULL, 13);"
                       "INSERT INTO messages VALUES (8, 1, 'old-1', 'agent', 'call me', '{}', 14);"
                       "INSERT INTO messages VALUES (9, 1, 'old-1', 'assistant', '', '{\"b\":2}', 15);"
                       "DELETE FROM schema_migrations WHERE version >= 10"), SQLITE_OK);
    s = open_or_die(url);
    CHECK_INT(raw_int(url, "SELECT max(version) FROM schema_migrations"), SCHEMA_LATEST);
    want = "user:hello:{\"a\":1}|assistant:hi there:-|agent:call me:{}|assistant::{\"b\":2}";
    CHECK_STR(transcript(s, t, "old-1", 100, &a, got, sizeof got), want);
    CHECK_STR(transcript_view(url, "old-1", view, sizeof view), want);
    CHECK_STR(transcript(s, t, "old-2", 100, &a, got, sizeof got), "user:other:-");
    /* their sessions had no state: they still read as new */
    char *json = (char *)"sentinel";
    CHECK(s->ops->session_get(s, t, "old-1", &a, &json, &err) == 0 && json == NULL,
          "a session with messages and no state reads as new");
    CHECK_INT(raw_int(url, "SELECT last_turn FROM sessions WHERE session_id = 'old-1'"), 9);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM turns WHERE session_id = 'old-1'"
                      " AND prev IS NULL"), 1);
    CHECK_INT(raw_int(url, "SELECT sum(created_at) FROM messages"), 11 + 12 + 13 + 14 + 15);
    /* new turns follow the old ones */
    store_turn next = {.tenant = t, .session_id = "old-1", .user_text = "again",
                       .assistant_text = "sure"};
    store_turn *one[] = {&next};
    CHECK(s->ops->turns_write(s, one, 1, &err) == 0, "turns_write: %s", err.msg);
    CHECK_STR(transcript(s, t, "old-1", 3, &a, got, sizeof got),
              "assistant::{\"b\":2}|user:again:-|assistant:sure:-");
    CHECK_INT(raw_int(url, "SELECT count(*) FROM messages WHERE session_id = 'old-1'"), 6);
    arena_release(&a);
    store_close(s);
}

/* A handle updates the session and profile rows it wrote last by rowid
 * (sq_memo): what an upsert kept (a phone given once, a temperature) stays
 * kept, and another handle's writes, a VACUUM that renumbers rows and a
 * rolled-back turn leave one row per key with the latest state. */
/* The lengths a turn may carry (store_turn): the same turn written with
 * every length given and with none (the store measures) stores the same
 * bytes, through the insert and the update-by-rowid paths; a length is
 * used as given (a shorter one stores that prefix, which is why callers
 * must give strlen's). */
TEST(test_turn_lengths)
{
    char url[512];
    pt_error err = {0};
    db_url(url, sizeof url, "lengths.db");
    store *s = open_or_die(url);
    tenant_id t = make_tenant(s, "len", "k-len");
    const char *sj = "{\"v\":1,\"state\":\"SLOT_FILLING\",\"slots\":{\"budget_max\":20000000}}",
               *ut = "2 करोड़ तक 3 bhk ₹ Whitefield", *um = "{\"intent\":\"inform\"}",
               *at = "Here are 3 homes:\n\n1. Ghaf Residences — ₹1.9 Cr", *am = "{\"state\":\"X\"}",
               *pj = "{\"v\":1,\"sessions\":2,\"viewed\":[{\"id\":\"DXB-0027\"}]}",
               *sl = "{\"bedrooms\":3,\"locations\":[\"Whitefield\"]}";
    for (int round = 0; round < 2; round++) {   /* made, then updated by rowid */
        for (int given = 0; given < 2; given++) {
            const char *sid = given ? "len-g" : "len-m", *uid = given ? "len-ug" : "len-um";
            store_lead lead = {.user_id = uid, .session_id = sid, .language = "en",
                               .state = "SLOT_FILLING", .temperature = "warm",
                               .slots_json = sl, .slots_json_len = given ? strlen(sl) : 0};
            store_turn x = {.tenant = t, .session_id = sid, .user_id = uid, .session_json = sj,
                            .user_text = ut, .user_meta = um, .assistant_text = at,
                            .assistant_meta = am, .profile_json = pj, .lead = &lead};
            if (given)
                x = (store_turn){.tenant = t, .session_id = sid, .user_id = uid,
                                 .session_json = sj, .session_json_len = strlen(sj),
                                 .user_text = ut, .user_text_len = strlen(ut),
                                 .user_meta = um, .user_meta_len = strlen(um),
                                 .assistant_text = at, .assistant_text_len = strlen(at),
                                 .assistant_meta = am, .assistant_meta_len = strlen(am),
                                 .profile_json = pj, .profile_json_len = strlen(pj),
                                 .lead = &lead};
            store_turn *px[] = {&x};
            CHECK(s->ops->turns_write(s, px, 1, &err) == 0 && x.rc == 0, "%s", err.msg);
        }
    }
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sessions g, sessions m"
                      " WHERE g.session_id = 'len-g' AND m.session_id = 'len-m'"
                      " AND typeof(g.state_json) = 'text' AND g.state_json = m.state_json"
                      " AND length(CAST(g.state_json AS BLOB)) = 62"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM turns g, turns m"
                      " WHERE g.session_id = 'len-g' AND m.session_id = 'len-m'"
                      " AND g.id - (SELECT min(id) FROM turns WHERE session_id = 'len-g')"
                      " = m.id - (SELECT min(id) FROM turns WHERE session_id = 'len-m')"
                      " AND typeof(g.user_text) = 'text' AND typeof(g.assistant_meta) = 'text'"
                      " AND CAST(g.user_text AS BLOB) = CAST(m.user_text AS BLOB)"
                      " AND CAST(g.user_meta AS BLOB) = CAST(m.user_meta AS BLOB)"
                      " AND CAST(g.assistant_text AS BLOB) = CAST(m.assistant_text AS BLOB)"
                      " AND CAST(g.assistant_meta AS BLOB) = CAST(m.assistant_meta AS BLOB)"
                      " AND length(CAST(g.user_text AS BLOB)) = 45"), 2);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM profiles g, profiles m"
                      " WHERE g.user_id = 'len-ug' AND m.user_id = 'len-um'"
                      " AND typeof(g.json) = 'text' AND typeof(g.slots_json) = 'text'"
                      " AND CAST(g.json AS BLOB) = CAST(m.json AS BLOB)"
                      " AND CAST(g.slots_json AS BLOB) = CAST(m.slots_json AS BLOB)"
                      " AND g.json = '{\"v\":1,\"sessions\":2,\"viewed\":[{\"id\":\"DXB-0027\"}]}'"), 1);
    /* a shorter length stores that prefix: the length is the store's word */
    store_lead lead = {.user_id = "len-up", .slots_json = sl, .slots_json_len = 5};
    store_turn x = {.tenant = t, .session_id = "len-p", .user_id = "len-up", .session_json = sj,
                    .session_json_len = 6, .user_text = ut, .user_text_len = 1,
                    .assistant_text = at, .profile_json = pj, .profile_json_len = 7,
                    .lead = &lead};
    store_turn *px[] = {&x};
    CHECK(s->ops->turns_write(s, px, 1, &err) == 0 && x.rc == 0, "%s", err.msg);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sessions s JOIN turns t USING (session_id)"
                      " JOIN profiles p ON p.user_id = 'len-up' WHERE s.session_id = 'len-p'"
                      " AND s.state_json = '{\"v\":1' AND t.user_text = '2'"
                      " AND t.assistant_text = 'Here are 3 homes:' || char(10) || char(10) ||"
                      " '1. Ghaf Residences — ₹1.9 Cr'"
                      " AND p.json = '{\"v\":1,' AND p.slots_json = '{\"bed'"), 1);
    /* the lengths dialog gives with its records are strlen's: a fresh
     * record, and a profile past the writer's first 2 KB (written again
     * into a larger buffer) */
    arena a;
    arena_init(&a, 0);
    session ss;
    profile pp;
    session_init(&ss, LANG_EN);
    profile_init(&pp);
    for (int big = 0; big < 2; big++) {
        if (big) {
            ss.n_shown = DIALOG_MAX_SHOWN;
            for (int i = 0; i < DIALOG_MAX_SHOWN; i++)
                snprintf(ss.shown[i], sizeof ss.shown[i], "BLR-%04d", i);
            snprintf(ss.phone, sizeof ss.phone, "+919812345678");
            snprintf(ss.last_question, sizeof ss.last_question, "बजट क्या है ₹");
            pp.n_viewed = PROFILE_MAX_VIEWED;
            /* ids as long as a listing id may be (the names are the first
             * entry's only) */
            for (int i = 0; i < PROFILE_MAX_VIEWED; i++)
                snprintf(pp.viewed[i], sizeof pp.viewed[i],
                         "prestige-lakeside-habitat-whitefield-varthur-road-tower-b-%02u",
                         (unsigned)i % 100u);
            snprintf(pp.last_viewed.title, sizeof pp.last_viewed.title,
                     "3 BHK villa in Whitefield — ₹2.1 Cr, gated community, clubhouse");
            snprintf(pp.last_viewed.project, sizeof pp.last_viewed.project,
                     "Prestige Lakeside Habitat");
            snprintf(pp.last_viewed.locality, sizeof pp.last_viewed.locality, "Whitefield");
            snprintf(pp.last_session, sizeof pp.last_session,
                     "web-2026-11-21-a3f9c2d1-7b4e-4e8a-9c1d-5f6a7b8c9d0e-tab-2");
            pp.preferences.n_locations = 4;
            for (int i = 0; i < 4; i++)
                snprintf(pp.preferences.locations[i], sizeof pp.preferences.locations[i],
                         "Electronic City Phase %u, Hosur Road, Bengaluru Urban, Karnataka",
                         (unsigned)i % 10u);
            pp.objections_price = 3;
            pp.objections_location = 2;
            pp.objections_trust = 1;
            pp.appointments = 2;
            snprintf(pp.phone, sizeof pp.phone, "+919812345678");
            pp.engagement_score = 8.625;
            pp.intent_to_buy_score = 7.125;
            pp.n_sentiment = PROFILE_MAX_SENTIMENT;
            for (int i = 0; i < PROFILE_MAX_SENTIMENT; i++)
                pp.sentiment[i] = (signed char)(i % 3 - 1);
        }
        size_t sn = 99, pn = 99;
        char *sj2 = session_to_json_len(&ss, &a, &sn), *pj2 = profile_to_json_len(&pp, &a, &pn);
        CHECK(sj2 && sn == strlen(sj2), "session record %d: %zu, strlen %zu", big, sn,
              sj2 ? strlen(sj2) : 0);
        CHECK(pj2 && pn == strlen(pj2), "profile record %d: %zu, strlen %zu", big, pn,
              pj2 ? strlen(pj2) : 0);
        if (big)
            CHECK(pn > 2048, "a profile past 2 KB: %zu", pn);
        CHECK_STR(session_to_json(&ss, &a), sj2);
        CHECK_STR(profile_to_json(&pp, &a), pj2);
    }
    arena_release(&a);
    store_close(s);
}

TEST(test_turn_rows_by_rowid)
{
    char url[512];
    pt_error err = {0};
    db_url(url, sizeof url, "rowid.db");
    store *s = open_or_die(url);
    store *s2 = open_or_die(url);
    tenant_id t = make_tenant(s, "rw", "k-rw");
    struct {
        store *h;
        const char *json, *phone, *temp;
    } step[] = {
        {s, "{\"p\":1}", "+971501234567", "warm"},
        {s, "{\"p\":2}", NULL, "warm"},
        {s2, "{\"p\":3}", NULL, "hot"},
        {s, "{\"p\":4}", NULL, NULL},
        {NULL, "vacuum", NULL, NULL},
        {s, "{\"p\":5}", NULL, "cold"},
        {s, "{\"p\":6}", NULL, NULL},
    };
    for (size_t k = 0; k < sizeof step / sizeof step[0]; k++) {
        if (step[k].h == NULL) {
            /* other rows first, then deleted, so VACUUM has rowids to close up */
            CHECK_INT(raw_exec(url, "DELETE FROM sessions WHERE session_id LIKE 'filler%';"
                               "DELETE FROM profiles WHERE user_id LIKE 'filler%'; VACUUM"),
                      SQLITE_OK);
            continue;
        }
        char state[32];
        snprintf(state, sizeof state, "{\"turn\":%zu}", k);
        store_lead lead = {.user_id = "rw-user", .session_id = "rw-s", .phone = step[k].phone,
                           .language = "en", .state = "SLOT_FILLING",
                           .temperature = step[k].temp, .engagement_score = (double)k};
        store_turn x = {.tenant = t, .session_id = "rw-s", .user_id = "rw-user",
                        .session_json = state, .user_text = "q", .assistant_text = "a",
                        .profile_json = step[k].json, .lead = &lead};
        store_lead flead = {.user_id = "filler-u"};
        store_turn filler = {.tenant = t, .session_id = "filler-s", .user_id = "filler-u",
                             .session_json = "{}", .profile_json = "{}", .lead = &flead};
        store_turn *px[] = {&filler, &x};
        CHECK(step[k].h->ops->turns_write(step[k].h, px, 2, &err) == 0, "%s", err.msg);
        /* a turn rolled back on the handle: nothing of it stays */
        CHECK(s->ops->turn_begin(s, &err) == 0, "%s", err.msg);
        store_turn gone = x;
        gone.profile_json = "{\"gone\":1}";
        gone.session_json = "{\"gone\":1}";
        store_turn *pg[] = {&gone};
        CHECK(s->ops->turns_write(s, pg, 1, &err) == 0, "%s", err.msg);
        s->ops->turn_rollback(s);
    }
    CHECK_INT(raw_int(url, "SELECT count(*) FROM profiles WHERE user_id = 'rw-user'"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sessions WHERE session_id = 'rw-s'"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM profiles WHERE user_id = 'rw-user'"
                      " AND json = '{\"p\":6}' AND phone = '+971501234567'"
                      " AND temperature = 'cold' AND engagement_score = 6"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM leads WHERE user_id = 'rw-user'"
                      " AND phone = '+971501234567'"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM sessions WHERE session_id = 'rw-s'"
                      " AND state_json = '{\"turn\":6}' AND user_id = 'rw-user'"), 1);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM messages WHERE session_id = 'rw-s'"), 12);
    arena a;
    arena_init(&a, 0);
    char *json = NULL;
    CHECK(s->ops->profile_get(s, t, "rw-user", &a, &json, &err) == 0, "%s", err.msg);
    CHECK_STR(json, "{\"p\":6}");
    CHECK(s2->ops->session_get(s2, t, "rw-s", &a, &json, &err) == 0, "%s", err.msg);
    CHECK_STR(json, "{\"turn\":6}");
    arena_release(&a);
    store_close(s2);
    store_close(s);
}

/* ---- the pool ---- */

#define POOL_THREADS 8
#define POOL_TURNS 30
static atomic_int pool_in_use[64];
static store *pool_handles[4];
static atomic_int pool_violations, pool_errors;

static int pool_index(store *s)
{
    for (int i = 0; i < 4; i++)
        if (pool_handles[i] == s)
            return i;
    return 63;   /* not one of the pool's: counted as a violation below */
}

typedef struct pool_arg {
    store_pool *p;
    tenant_id t;
    int thread;
} pool_arg;

static void *pool_thread(void *v)
{
    pool_arg *pa = v;
    char sess[32], user[32];
    snprintf(sess, sizeof sess, "pool-%d", pa->thread);
    snprintf(user, sizeof user, "user-%d", pa->thread);
    for (int k = 0; k < POOL_TURNS; k++) {
        store *s = store_pool_get(pa->p);
        int idx = pool_index(s);
        if (idx == 63 || atomic_fetch_add(&pool_in_use[idx], 1) != 0)
            atomic_fetch_add(&pool_violations, 1);
        pt_error err = {0};
        if (run_turn(s, pa->t, sess, user, k, &err) != 0) {
            fprintf(stderr, "pool turn: %s\n", err.msg);
            atomic_fetch_add(&pool_errors, 1);
        }
        atomic_fetch_sub(&pool_in_use[idx], 1);
        store_pool_put(pa->p, s);
    }
    return NULL;
}

TEST(test_pool)
{
    char url[512];
    pt_error err = {0};
    store_pool *p = NULL;
    db_url(url, sizeof url, "pool.db");
    CHECK_INT(store_pool_open(url, 0, &p, &err), -PT_ERR_INVALID);
    pt_error_clear(&err);
    CHECK(store_pool_open(url, 4, &p, &err) == 0, "pool: %s", err.msg);
    if (p == NULL)
        return;
    /* learn the four handles */
    store *hs[4];
    for (int i = 0; i < 4; i++)
        hs[i] = store_pool_get(p);
    for (int i = 0; i < 4; i++) {
        pool_handles[i] = hs[i];
        CHECK(i == 0 || hs[i] != hs[i - 1], "distinct handles");
    }
    tenant_id t = make_tenant(hs[0], "blr", "k");
    /* a handle given back mid-turn is cleaned up */
    hs[1]->ops->turn_begin(hs[1], &err);
    for (int i = 0; i < 4; i++)
        store_pool_put(p, hs[i]);

    pthread_t th[POOL_THREADS];
    pool_arg args[POOL_THREADS];
    for (int i = 0; i < POOL_THREADS; i++) {
        args[i] = (pool_arg){p, t, i};
        pthread_create(&th[i], NULL, pool_thread, &args[i]);
    }
    for (int i = 0; i < POOL_THREADS; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(atomic_load(&pool_violations), 0);
    CHECK_INT(atomic_load(&pool_errors), 0);

    store *s = store_pool_get(p);
    arena a;
    arena_init(&a, 0);
    int bad = 0;
    for (int i = 0; i < POOL_THREADS; i++) {
        char sess[32];
        store_message *m = NULL;
        int n = 0;
        snprintf(sess, sizeof sess, "pool-%d", i);
        s->ops->messages_list(s, t, sess, 1000, &a, &m, &n, &err);
        bad += n != 2 * POOL_TURNS;
    }
    CHECK_INT(bad, 0);
    arena_release(&a);
    store_pool_put(p, s);
    store_pool_close(p);
}

TEST(test_isolation)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "iso.db"));
    tenant_id ta = make_tenant(s, "a", "ka");
    tenant_id tb = make_tenant(s, "b", "kb");
    gen_inventory(0);
    import_inventory(s, ta);
    run_turn(s, ta, "shared-session", "shared-user", 0, &err);
    int64_t ag = 0, count = -1;
    s->ops->agent_create(s, ta, "Ann", NULL, &ag, &err);
    s->ops->slot_add(s, ta, ag, 1000, 2000, &err);

    arena a;
    arena_init(&a, 0);
    listing *rows = NULL, one;
    int n = -1;
    store_listing_query q = any_query();
    s->ops->listing_search(s, tb, &q, &a, &rows, &n, &err);
    CHECK_INT(n, 0);
    s->ops->listing_count(s, tb, &count, &err);
    CHECK_INT(count, 0);
    pt_error_clear(&err);
    CHECK_INT(s->ops->listing_get(s, tb, "L001", &a, &one, &err), -PT_ERR_NOT_FOUND);
    pt_error_clear(&err);
    CHECK_INT(s->ops->listing_delete(s, tb, "L001", &err), -PT_ERR_NOT_FOUND);
    store_locality_stats *st = NULL;
    s->ops->locality_stats(s, tb, TX_NONE, &a, &st, &n, &err);
    CHECK_INT(n, 0);

    char *json = (char *)"sentinel";
    s->ops->session_get(s, tb, "shared-session", &a, &json, &err);
    CHECK(json == NULL, "B does not see A's session");
    json = (char *)"sentinel";
    s->ops->profile_get(s, tb, "shared-user", &a, &json, &err);
    CHECK(json == NULL, "B does not see A's profile");
    char *sj = (char *)"sentinel", *pj = (char *)"sentinel";
    s->ops->state_get(s, tb, "shared-session", "shared-user", &a, &sj, &pj, &err);
    CHECK(sj == NULL && pj == NULL, "B does not see A's state");
    store_message *m = NULL;
    s->ops->messages_list(s, tb, "shared-session", 10, &a, &m, &n, &err);
    CHECK_INT(n, 0);
    store_slot *sl = NULL;
    s->ops->slots_free(s, tb, 0, 10000, 10, &a, &sl, &n, &err);
    CHECK_INT(n, 0);

    /* B writing the same ids lands beside A's, not over them */
    CHECK(run_turn(s, tb, "shared-session", "shared-user", 5, &err) == 0, "%s", err.msg);
    s->ops->session_get(s, ta, "shared-session", &a, &json, &err);
    CHECK_STR(json, "{\"turn\":0}");
    s->ops->session_get(s, tb, "shared-session", &a, &json, &err);
    CHECK_STR(json, "{\"turn\":5}");
    listing mine = inv[1].l;
    mine.price = 1;
    s->ops->listing_upsert(s, tb, &mine, &err);
    CHECK(s->ops->listing_get(s, ta, "L001", &a, &one, &err) == 0 && one.price == inv[1].l.price,
          "A's listing untouched");
    s->ops->listing_count(s, ta, &count, &err);
    CHECK_INT(count, N_LISTINGS);
    arena_release(&a);
    store_close(s);
}

TEST(test_arena_cap)
{
    /* a tiny arena: the search reports out of memory instead of crashing */
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "cap.db"));
    tenant_id t = make_tenant(s, "blr", "k");
    gen_inventory(0);
    import_inventory(s, t);
    arena a;
    arena_init(&a, 600);
    listing *rows = NULL;
    int n = 0;
    store_listing_query q = any_query();
    CHECK_INT(s->ops->listing_search(s, t, &q, &a, &rows, &n, &err), -PT_ERR_NOMEM);
    arena_release(&a);
    /* and the handle is still fine */
    arena_init(&a, 0);
    pt_error_clear(&err);
    CHECK(s->ops->listing_search(s, t, &q, &a, &rows, &n, &err) == 0 && n == N_LISTINGS,
          "after nomem: %s", err.msg);
    CHECK(run_turn(s, t, "s", "u", 0, &err) == 0, "turn after nomem: %s", err.msg);
    arena_release(&a);
    store_close(s);
}

/* Every listing of t as one text (id order), to compare two stores' rows. */
static void dump_listings(store *s, tenant_id t, buf *out)
{
    pt_error err = {0};
    arena a;
    arena_init(&a, 0);
    listing *rows = NULL;
    int n = 0;
    CHECK(s->ops->listing_page(s, t, NULL, 0, STORE_PAGE_MAX, &a, &rows, &n, &err) == 0,
          "page: %s", err.msg);
    for (int i = 0; i < n; i++) {
        const listing *l = &rows[i];
        buf_printf(out, "%s|%s|%s|%s|%s|%d|%d|%d|%lld|%s|%d|%s|%s|%s|%s\n", l->id,
                   l->title ? l->title : "-", l->project ? l->project : "-",
                   l->locality ? l->locality : "-", l->amenities ? l->amenities : "-", l->type,
                   l->tx, l->bedrooms, (long long)l->price, l->currency, l->units_available,
                   l->description ? l->description : "-",
                   l->completion_date ? l->completion_date : "-",
                   l->attributes_json ? l->attributes_json : "-",
                   l->developer ? l->developer : "-");
    }
    arena_release(&a);
}

/* listing_upsert_many gives what one listing_upsert per row gives: new
 * rows in groups of 32, a group with rows that exist or an id twice, an
 * empty id (a row-level failure: *done points at it, nothing of it
 * written, the rest goes on), and the text index in step. */
TEST(test_upsert_many)
{
    char url[512], url2[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "many.db"));
    store *o = open_or_die(db_url(url2, sizeof url2, "one.db"));
    tenant_id t = make_tenant(s, "many", "k-many");
    tenant_id t1 = make_tenant(o, "many", "k-many");
    const listing *ls[3 * N_LISTINGS];
    static gen_listing copies[N_LISTINGS];
    int n = 0, done = -1;

    CHECK_INT(s->ops->listing_upsert_many(s, t, ls, 0, &done, &err), -PT_ERR_INTERNAL);
    pt_error_clear(&err);
    gen_inventory(0);
    for (int i = 0; i < N_LISTINGS; i++)
        ls[n++] = &inv[i].l;
    /* the same ids again with other prices and texts, twice, one empty id */
    for (int i = 0; i < N_LISTINGS; i++) {
        copies[i] = inv[(i * 7) % N_LISTINGS];
        copies[i].l.id = copies[i].id;
        copies[i].l.title = copies[i].title;
        copies[i].l.description = "now with a rooftop skyline deck";
        copies[i].l.price += 1000 * i;
        ls[n++] = &copies[i].l;
        if (i == 40)
            ls[n++] = &inv[3].l;   /* back to the first version */
    }
    listing empty = inv[5].l;
    empty.id = "";
    int empty_at = n - 10;
    memmove(&ls[empty_at + 1], &ls[empty_at], (size_t)(n - empty_at) * sizeof ls[0]);
    ls[empty_at] = &empty;
    n++;

    CHECK(s->ops->import_begin(s, &err) == 0, "begin: %s", err.msg);
    int k = 0, rejected = 0;
    while (k < n) {
        pt_error e = {0};
        int rc = s->ops->listing_upsert_many(s, t, ls + k, n - k, &done, &e);
        k += done;
        if (rc == 0)
            break;
        CHECK_INT(rc, -PT_ERR_INVALID);
        CHECK_INT(k, empty_at);
        rejected++;
        k++;
    }
    CHECK_INT(rejected, 1);
    CHECK(s->ops->import_commit(s, &err) == 0, "commit: %s", err.msg);

    CHECK(o->ops->import_begin(o, &err) == 0, "begin: %s", err.msg);
    for (int i = 0; i < n; i++) {
        pt_error e = {0};
        int rc = o->ops->listing_upsert(o, t1, ls[i], &e);
        CHECK(rc == 0 || (i == empty_at && rc == -PT_ERR_INVALID), "row %d: %s", i, e.msg);
    }
    CHECK(o->ops->import_commit(o, &err) == 0, "commit: %s", err.msg);

    buf a = BUF_INIT(1 << 20), b = BUF_INIT(1 << 20);
    dump_listings(s, t, &a);
    dump_listings(o, t1, &b);
    CHECK(a.len > 0 && a.len == b.len && memcmp(buf_cstr(&a), buf_cstr(&b), a.len) == 0,
          "the same listings as one upsert per row (%zu and %zu bytes)", a.len, b.len);
    buf_free(&a);
    buf_free(&b);
    long long sky = raw_int(url2, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH"
                                  " 'skyline'");
    CHECK(sky > 0, "some listings have the new text (%lld)", sky);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH 'skyline'"),
              sky);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH 'lake'"),
              raw_int(url2, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH 'lake'"));
    CHECK_INT(raw_exec(url, "INSERT INTO listings_fts(listings_fts) VALUES('integrity-check')"),
              SQLITE_OK);
    store_close(s);
    store_close(o);
}

/* The size of the file at path once it is larger than before, polled
 * every step_ms for up to tries times (the checkpointer folding a WAL into
 * it); the last size seen when it does not grow, -1 when it cannot be read. */
static long long wait_file_growth(const char *path, long long before, int tries, long step_ms)
{
    struct stat fst;
    long long now = before;
    for (int i = 0; i < tries && now <= before; i++) {
        struct timespec pause = {0, step_ms * 1000000L};
        nanosleep(&pause, NULL);
        now = stat(path, &fst) == 0 ? (long long)fst.st_size : -1;
    }
    return now;
}

/* The database file holds every committed page once the checkpointer has
 * caught up (file size = page_count * page_size). */
static bool folded_in(const char *url)
{
    struct stat fst;
    long long pages = raw_int(url, "PRAGMA page_count");
    long long size = raw_int(url, "PRAGMA page_size");
    return stat(url + 7, &fst) == 0 && pages > 0 && (long long)fst.st_size == pages * size;
}

/* Wake-ups of the checkpointer that arrive while it checkpoints or takes
 * its breather between two checkpoints are not signalled (sq_ckpt_wake),
 * only noted: a batch committed then is still folded into the database file
 * afterwards, with no commit after it to wake the thread again. */
TEST(test_checkpoint_wakeups_kept)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "ckpt.db"));
    tenant_id t = make_tenant(s, "ckpt", "k-ckpt");
    enum { BATCH = 150, TEXT = 30000 };   /* ~1,100 WAL pages a batch: past SQ_WAL_CKPT_PAGES */
    char *text = malloc(TEXT + 1);
    store_turn *turns = calloc(BATCH, sizeof *turns);
    store_turn **px = calloc(BATCH, sizeof *px);
    char (*ids)[32] = calloc(BATCH, sizeof *ids);
    if (text == NULL || turns == NULL || px == NULL || ids == NULL)
        abort();
    for (int i = 0; i < TEXT; i++)
        text[i] = (char)('a' + (i * 7) % 26);
    text[TEXT] = '\0';
    struct stat fst;
    long long before = stat(url + 7, &fst) == 0 ? (long long)fst.st_size : -1;
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < BATCH; i++) {
            snprintf(ids[i], sizeof ids[i], "ck-%d-%d", b, i);
            turns[i] = (store_turn){.tenant = t, .session_id = ids[i], .user_id = ids[i],
                                    .session_json = "{}", .user_text = "hi",
                                    .assistant_text = text, .assistant_text_len = TEXT};
            px[i] = &turns[i];
        }
        CHECK(s->ops->turns_write(s, px, BATCH, &err) == 0, "batch %d: %s", b, err.msg);
        if (b == 0) {
            /* the first batch woke the checkpointer: wait until it is at
             * work (the file grows), so the second batch's wake-up comes
             * during its checkpoint or its breather */
            long long now = wait_file_growth(url + 7, before, 1500, 2);   /* <= 3 s */
            CHECK(now > before, "the first batch is being folded in: %lld -> %lld bytes", before,
                  now);
        }
    }
    bool done = false;   /* a checkpoint, the 50 ms breather, another: <= 10 s on a slow disk */
    for (int i = 0; i < 1000 && !done; i++) {
        struct timespec ms = {0, 10000000};
        nanosleep(&ms, NULL);
        done = folded_in(url);
    }
    CHECK(done, "the second batch was folded in too, without a later commit (%lld pages, "
                "%lld bytes)", raw_int(url, "PRAGMA page_count"),
          stat(url + 7, &fst) == 0 ? (long long)fst.st_size : -1);
    free(ids);
    free(px);
    free(turns);
    free(text);
    store_close(s);
}

/* Bulk-load mode: the text index's automerge is off during it and back
 * after; batches committed in it are all there and the index is whole; a
 * second handle reads them while the import goes on; the end of bulk mode
 * wakes the checkpointer, which folds the batches into the database file
 * while the handle stays open (the one checkpoint mechanism: no checkpoint
 * of its own in the importing connection); a handle can be closed in bulk
 * mode. */
TEST(test_bulk_mode)
{
    char url[512];
    pt_error err = {0};
    store *s = open_or_die(db_url(url, sizeof url, "bulk.db"));
    store *r = open_or_die(url);
    tenant_id t = make_tenant(s, "bulk", "k-bulk");
    CHECK_INT(s->ops->import_bulk_begin(s, 987654, &err), -PT_ERR_NOT_FOUND);
    pt_error_clear(&err);
    CHECK(s->ops->import_bulk_begin(s, t, &err) == 0, "bulk begin: %s", err.msg);
    CHECK_INT(raw_int(url, "SELECT v FROM listings_fts_config WHERE k = 'automerge'"), 0);
    gen_inventory(0);
    for (int b = 0; b < 4; b++) {
        int rc = s->ops->import_begin(s, &err);
        for (int i = b; rc == 0 && i < N_LISTINGS; i += 4)
            rc = s->ops->listing_upsert(s, t, &inv[i].l, &err);
        CHECK(rc == 0 && s->ops->import_commit(s, &err) == 0, "batch %d: %s", b, err.msg);
        int64_t n = -1;
        CHECK(r->ops->listing_count(r, t, &n, &err) == 0, "count: %s", err.msg);
        CHECK(n > 0, "another handle sees the committed batches (%lld)", (long long)n);
    }
    struct stat fst;
    long long before = stat(url + 7, &fst) == 0 ? (long long)fst.st_size : -1;
    s->ops->import_bulk_end(s);
    long long after = wait_file_growth(url + 7, before, 300, 10);
    CHECK(after > before, "the checkpointer folded the batches in: %lld -> %lld bytes", before,
          after);
    CHECK_INT(raw_int(url, "SELECT v FROM listings_fts_config WHERE k = 'automerge'"), 4);
    int64_t count = 0;
    CHECK(s->ops->listing_count(s, t, &count, &err) == 0, "count: %s", err.msg);
    CHECK_INT(count, N_LISTINGS);
    CHECK_INT(raw_int(url, "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH 'lake'"),
              N_LISTINGS);
    CHECK_INT(raw_exec(url, "INSERT INTO listings_fts(listings_fts) VALUES('integrity-check')"),
              SQLITE_OK);
    /* a handle closed in bulk mode */
    CHECK(s->ops->import_bulk_begin(s, t, &err) == 0, "bulk begin: %s", err.msg);
    CHECK(s->ops->import_begin(s, &err) == 0 && s->ops->listing_upsert(s, t, &inv[0].l, &err) == 0 &&
          s->ops->import_commit(s, &err) == 0, "one more batch: %s", err.msg);
    store_close(s);
    store_close(r);
}

/* ---- the inventory epoch ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The epoch file's counter (store_sqlite.c, sq_epoch_map); -1: unreadable. */
static long long epoch_value(const char *url)
{
    char p[600];
    uint64_t v = 0;
    snprintf(p, sizeof p, "%s-epoch", url + 7);
    int fd = open(p, O_RDONLY);
    long long r = fd >= 0 && pread(fd, &v, sizeof v, 0) == (ssize_t)sizeof v ? (long long)v : -1;
    if (fd >= 0)
        close(fd);
    return r;
}

static int64_t version_of(store *s, tenant_id t)
{
    int64_t v = -1;
    pt_error err = {0};
    CHECK(s->ops->listing_version(s, t, &v, &err) == 0, "listing version: %s", err.msg);
    return v;
}

/* Runs this binary again as another process in role ("epoch": epoch_child,
 * "keys": keys_child; TEST_MAIN picks it) on url and tenant t; true when
 * it exited with 0. */
static bool run_child(const char *role, const char *url, tenant_id t)
{
    char tid[32];
    snprintf(tid, sizeof tid, "%lld", (long long)t);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("PT_CHILD", role, 1);
        setenv("PT_CHILD_URL", url, 1);
        setenv("PT_CHILD_TENANT", tid, 1);
        execl("/proc/self/exe", "test_store", (char *)NULL);
        _exit(127);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Run by test_inventory_epoch as a process of its own (run_child "epoch"):
 * opens the store, moves L002's price, exits. */
static int epoch_child(const char *url)
{
    store *s = NULL;
    pt_error err = {0};
    long long t = strtoll(getenv("PT_CHILD_TENANT"), NULL, 10);
    gen_inventory(777);
    int rc = store_open(url, &s, &err);
    if (rc == 0)
        rc = s->ops->listing_upsert(s, (tenant_id)t, &inv[2].l, &err);
    if (rc)
        fprintf(stderr, "epoch child: %s\n", err.msg);
    store_close(s);
    return rc ? 1 : 0;
}

/* The listings' versions a handle keeps (store_sqlite.c, "The inventory
 * epoch"): it answers them from memory while the epoch file stands still,
 * and sees at once what moves it: another handle's write, another
 * process's; the committer's batches of turns leave it alone; a write that
 * does not move it (another tool on the file) is seen within 250 ms. */
TEST(test_inventory_epoch)
{
    char url[512];
    pt_error err = {0};
    db_url(url, sizeof url, "epoch.db");
    store *a = open_or_die(url), *b = open_or_die(url);
    tenant_id t = make_tenant(a, "epoch", "k-epoch");
    gen_inventory(0);
    import_inventory(b, t);
    CHECK(epoch_value(url) > 0, "the epoch file is there and moved: %lld", epoch_value(url));

    /* kept: a write that does not move the epoch is not seen at once */
    int64_t v0 = version_of(a, t), t0 = mono_ms();
    CHECK_INT(raw_exec(url, "UPDATE listings SET price = price + 1 WHERE id = 'L003'"), SQLITE_OK);
    int64_t v = version_of(a, t);
    if (mono_ms() - t0 < 200)
        CHECK(v == v0, "the kept version answers while the epoch stands: %lld, was %lld",
              (long long)v, (long long)v0);
    /* ... but within the bound */
    usleep(300 * 1000);
    CHECK(version_of(a, t) == v0 + 1, "another tool's write seen within 250 ms");

    /* another handle's write moves the epoch: seen at once */
    v0 = version_of(a, t);
    long long e0 = epoch_value(url);
    listing l = inv[0].l;
    l.price += 1000;
    CHECK(b->ops->listing_upsert(b, t, &l, &err) == 0, "upsert: %s", err.msg);
    CHECK(epoch_value(url) > e0, "a listing write moves the epoch");
    CHECK(version_of(a, t) == v0 + 1, "another handle's write seen at once");

    /* a batch of turns does not */
    e0 = epoch_value(url);
    store_lead lead = {.user_id = "ep-u", .session_id = "ep-s", .language = "en",
                       .state = "SLOT_FILLING", .temperature = "warm"};
    store_turn x = {.tenant = t, .session_id = "ep-s", .user_id = "ep-u",
                    .session_json = "{\"v\":1}", .user_text = "hi", .assistant_text = "hello",
                    .profile_json = "{\"v\":1}", .lead = &lead};
    store_turn *px[] = {&x};
    CHECK(b->ops->turns_write(b, px, 1, &err) == 0 && x.rc == 0, "turns: %s", err.msg);
    CHECK(epoch_value(url) == e0, "turns leave the epoch alone: %lld, was %lld", epoch_value(url),
          e0);

    /* the text counts follow another handle's write at once */
    int c0 = -1, c1 = -1;
    CHECK(a->ops->listing_text_count(a, "\"skyline\"", 1000, &c0, &err) == 0, "%s", err.msg);
    l = inv[4].l;
    l.description = "flat with a skyline view";
    CHECK(b->ops->listing_upsert(b, t, &l, &err) == 0, "upsert: %s", err.msg);
    CHECK(a->ops->listing_text_count(a, "\"skyline\"", 1000, &c1, &err) == 0, "%s", err.msg);
    CHECK(c1 == c0 + 1, "text count %d after %d", c1, c0);

    /* another process's write: seen at once */
    v0 = version_of(a, t);
    t0 = mono_ms();
    CHECK(run_child("epoch", url, t), "the other process wrote");
    v = version_of(a, t);
    CHECK(v == v0 + 1, "another process's write seen at once (%lld ms after the last read): "
          "%lld, was %lld", (long long)(mono_ms() - t0), (long long)v, (long long)v0);
    listing got;
    arena ar;
    arena_init(&ar, 0);
    gen_inventory(777);
    CHECK(a->ops->listing_get(a, t, "L002", &ar, &got, &err) == 0 && got.price == inv[2].l.price,
          "its price read back");
    arena_release(&ar);
    gen_inventory(0);
    store_close(a);
    store_close(b);
}

/* Run by test_key_filter as a process of its own (run_child "keys"): writes a turn of session "from-child" (buyer
 * "u-from-child") through the store, exits. */
static int keys_child(const char *url)
{
    store *s = NULL;
    pt_error err = {0};
    long long t = strtoll(getenv("PT_CHILD_TENANT"), NULL, 10);
    int rc = store_open(url, &s, &err);
    if (rc == 0) {
        store_lead lead = {.user_id = "u-from-child", .session_id = "from-child"};
        store_turn x = {.tenant = (tenant_id)t, .session_id = "from-child",
                        .user_id = "u-from-child", .session_json = "{\"child\":1}",
                        .user_text = "hi", .assistant_text = "hello",
                        .profile_json = "{\"child\":2}", .lead = &lead};
        store_turn *px[] = {&x};
        rc = s->ops->turns_write(s, px, 1, &err);
        if (rc == 0 && x.rc)
            rc = x.rc, err = x.err;
    }
    if (rc)
        fprintf(stderr, "keys child: %s\n", err.msg);
    store_close(s);
    return rc ? 1 : 0;
}

/* state_get of session sid and buyer uid into *sj, *pj (NULL: no row). */
static void state_of(store *s, tenant_id t, const char *sid, const char *uid, arena *a,
                     char **sj, char **pj)
{
    pt_error err = {0};
    *sj = *pj = (char *)"sentinel";
    CHECK(s->ops->state_get(s, t, sid, uid, a, sj, pj, &err) == 0, "state of %s: %s", sid,
          err.msg);
}

/* Waits (at most 10 s) until the key filter answers for a session added
 * behind the store's back (raw SQL, which neither notes nor counts keys):
 * then it is in use, and answers "no row" without reading.  The number of
 * such sessions added, or -1 when it never did.  base: their ids' prefix. */
static int keys_wait_skip(const char *url, store *s, tenant_id t, const char *base, arena *a)
{
    char sql[256], sid[64];
    char *sj, *pj;
    for (int i = 0; i < 1000; i++) {
        snprintf(sid, sizeof sid, "%s-%d", base, i);
        snprintf(sql, sizeof sql, "INSERT INTO sessions (tenant_id, session_id, state_json,"
                 " updated_at) VALUES (%lld, '%s', '{}', 0)", (long long)t, sid);
        CHECK_INT(raw_exec(url, sql), SQLITE_OK);
        state_of(s, t, sid, NULL, a, &sj, &pj);
        if (sj == NULL)
            return i + 1;
        struct timespec ms = {0, 10 * 1000000L};
        nanosleep(&ms, NULL);
    }
    return -1;
}

/* The key filter (store_sqlite.c, "New conversations"): state_get answers
 * a new session and buyer without reading once the filter is built; what
 * the store writes, in this process or another, is found; the filter grows
 * past the keys it was sized for. */
TEST(test_key_filter)
{
    char url[512];
    pt_error err = {0};
    db_url(url, sizeof url, "keys.db");
    store *s = open_or_die(url);
    tenant_id t = make_tenant(s, "keys", "k-keys");
    arena a;
    arena_init(&a, 0);
    char *sj, *pj;
    state_of(s, t, "nobody", "no-user", &a, &sj, &pj);   /* asks for the filter */
    CHECK(sj == NULL && pj == NULL, "nothing yet");
    int n = keys_wait_skip(url, s, t, "raw", &a);
    CHECK(n > 0, "the filter answers without reading (after %d raw rows)", n);

    /* this process's writes: found at once, by this handle and another */
    store *s2 = open_or_die(url);
    CHECK(run_turn(s2, t, "mine", "u-mine", 0, &err) == 0, "turn: %s", err.msg);
    state_of(s, t, "mine", "u-mine", &a, &sj, &pj);
    CHECK(sj != NULL && pj != NULL, "a session and buyer this process wrote are read");
    state_of(s, t, "mine", "no-user-2", &a, &sj, &pj);
    CHECK(sj != NULL && pj == NULL, "a known session with a new buyer");
    state_of(s, t, "not-mine", "no-user-3", &a, &sj, &pj);
    CHECK(sj == NULL && pj == NULL, "new ones are not");

    /* another process's: found at once, though this process's filter was
     * built before; a new filter is then built, which holds them */
    CHECK(run_child("keys", url, t), "the other process wrote");
    state_of(s, t, "from-child", "u-from-child", &a, &sj, &pj);
    CHECK(sj && strcmp(sj, "{\"child\":1}") == 0 && pj && strcmp(pj, "{\"child\":2}") == 0,
          "another process's session and buyer are read");
    n = keys_wait_skip(url, s, t, "raw-after-child", &a);
    CHECK(n > 0, "a filter in use again after another process wrote (%d raw rows)", n);
    state_of(s, t, "from-child", "u-from-child", &a, &sj, &pj);
    CHECK(sj != NULL && pj != NULL, "and it holds what that process wrote");

    /* past the keys a filter was sized for (SQ_KEYS_MIN): every session and
     * buyer written is still read, a new one is not */
    enum { MANY = 5000, BATCH = 500 };
    static store_turn tw[BATCH];
    static store_lead lw[BATCH];
    static char ids[BATCH][32];
    store_turn *pw[BATCH];
    for (int i = 0; i < MANY; i += BATCH) {
        for (int j = 0; j < BATCH; j++) {
            snprintf(ids[j], sizeof ids[j], "many-%d", i + j);
            lw[j] = (store_lead){.user_id = ids[j], .session_id = ids[j]};
            tw[j] = (store_turn){.tenant = t, .session_id = ids[j], .user_id = ids[j],
                                 .session_json = "{}", .user_text = "q", .assistant_text = "a",
                                 .profile_json = "{}", .lead = &lw[j]};
            pw[j] = &tw[j];
        }
        CHECK(s2->ops->turns_write(s2, pw, BATCH, &err) == 0, "batch %d: %s", i, err.msg);
    }
    int missing = 0;
    for (int i = 0; i < MANY; i++) {
        char id[32];
        snprintf(id, sizeof id, "many-%d", i);
        state_of(s, t, id, id, &a, &sj, &pj);
        missing += sj == NULL || pj == NULL;
        arena_release(&a);
        arena_init(&a, 0);
    }
    CHECK_INT(missing, 0);
    n = keys_wait_skip(url, s, t, "raw-after-many", &a);
    CHECK(n > 0, "a larger filter in use (%d raw rows)", n);
    for (int i = 0; i < MANY; i += 499) {
        char id[32];
        snprintf(id, sizeof id, "many-%d", i);
        state_of(s, t, id, id, &a, &sj, &pj);
        CHECK(sj != NULL && pj != NULL, "%s still read from the larger filter", id);
    }
    arena_release(&a);
    store_close(s2);
    store_close(s);
}

/* A profile_put on a thread of its own (test_key_filter_build_race). */
typedef struct {
    store *s;
    tenant_id t;
    const char *user_id, *json;
    int rc;
    pt_error err;
} profile_job;

static void *profile_put_thread(void *arg)
{
    profile_job *j = arg;
    j->rc = j->s->ops->profile_put(j->s, j->t, j->user_id, j->json, &j->err);
    return NULL;
}

/* A key noted by a write that opens its own transaction (profile_put
 * outside a turn) while a filter's build waits to begin: the build takes
 * its base and begins its reads before that write commits, so the key must
 * be in the new filter by the note, or state_get answers "no buyer" for a
 * buyer the file holds.  Another handle's open turn holds the writer mutex
 * while the build (queued first) and the write (queued second) wait for it;
 * the profile is large, so its commit comes well after the build's reads
 * began. */
TEST(test_key_filter_build_race)
{
    char url[512];
    pt_error err = {0};
    db_url(url, sizeof url, "keys-race.db");
    store *s = open_or_die(url), *b = open_or_die(url), *c = open_or_die(url);
    tenant_id t = make_tenant(s, "keys-race", "k-keys-race");
    arena a;
    arena_init(&a, 0);
    char *sj, *pj;
    size_t big = 4u << 20;
    char *json = malloc(big + 16);
    CHECK(json != NULL, "out of memory");
    if (json == NULL)
        return;
    memcpy(json, "{\"pad\":\"", 8);
    memset(json + 8, 'x', big);
    memcpy(json + 8 + big, "\"}", 3);

    CHECK(b->ops->turn_begin(b, &err) == 0, "turn: %s", err.msg);   /* the writer mutex */
    state_of(s, t, "nobody", "no-user", &a, &sj, &pj);   /* asks for the first filter */
    usleep(200 * 1000);   /* its build waits for the writer mutex */
    profile_job j = {.s = c, .t = t, .user_id = "u-race", .json = json};
    pthread_t th;
    pthread_create(&th, NULL, profile_put_thread, &j);
    usleep(200 * 1000);   /* noted, and waits for the writer mutex */
    CHECK(b->ops->turn_commit(b, &err) == 0, "commit: %s", err.msg);
    pthread_join(th, NULL);
    CHECK(j.rc == 0, "profile: %s", j.err.msg);
    int n = keys_wait_skip(url, s, t, "raw-race", &a);
    CHECK(n > 0, "the filter answers without reading (after %d raw rows)", n);
    state_of(s, t, "no-session", "u-race", &a, &sj, &pj);
    CHECK(pj != NULL && strlen(pj) == big + 10,
          "a buyer written while the filter was built is read (%s)", pj ? "read" : "no row");
    free(json);
    arena_release(&a);
    store_close(c);
    store_close(b);
    store_close(s);
}

/* The same file opened by two names (a symbolic link to it): one writer,
 * one epoch file, so a session and buyer written through one name are
 * found through the other, whose filter was built before. */
TEST(test_key_filter_linked_name)
{
    char url[512], link_url[512], target[512], link[512];
    pt_error err = {0};
    db_url(url, sizeof url, "keys-real.db");
    db_url(link_url, sizeof link_url, "keys-link.db");
    snprintf(target, sizeof target, "%s/keys-real.db", tmpdir);
    snprintf(link, sizeof link, "%s/keys-link.db", tmpdir);
    store *s = open_or_die(url);
    tenant_id t = make_tenant(s, "keys-link", "k-keys-link");
    CHECK(symlink(target, link) == 0, "symlink");
    arena a;
    arena_init(&a, 0);
    char *sj, *pj;
    state_of(s, t, "nobody", "no-user", &a, &sj, &pj);   /* asks for the filter */
    int n = keys_wait_skip(url, s, t, "raw-link", &a);
    CHECK(n > 0, "the filter answers without reading (after %d raw rows)", n);
    store *s2 = open_or_die(link_url);
    CHECK(run_turn(s2, t, "by-link", "u-by-link", 0, &err) == 0, "turn: %s", err.msg);
    state_of(s, t, "by-link", "u-by-link", &a, &sj, &pj);
    CHECK(sj != NULL && pj != NULL, "a session and buyer written through the link are read (%s)",
          sj ? "read" : "no row");
    arena_release(&a);
    store_close(s2);
    store_close(s);
}

/* A buyer written again and again (no rowid remembered: profile_put) fills
 * no filter: only keys new to it count towards its capacity.  Before, each
 * write counted, and every SQ_KEYS_MIN of them asked for a build of the
 * same size, the old filter kept until close: memory that grew with the
 * writes.  Seen here through a row the filter cannot know (written by
 * sqlite3, not the store): a new build would read it from the table. */
TEST(test_key_filter_rewrites_no_build)
{
    char url[512];
    pt_error err = {0};
    db_url(url, sizeof url, "keys-rewrite.db");
    store *s = open_or_die(url);
    tenant_id t = make_tenant(s, "keys-rewrite", "k-keys-rewrite");
    arena a;
    arena_init(&a, 0);
    char *sj, *pj;
    state_of(s, t, "nobody", "no-user", &a, &sj, &pj);   /* asks for the filter */
    int n = keys_wait_skip(url, s, t, "raw-rw", &a);
    CHECK(n > 0, "the filter answers without reading (after %d raw rows)", n);
    char sid[64];
    snprintf(sid, sizeof sid, "raw-rw-%d", n - 1);   /* in the table, not in the filter */
    int failed = 0;
    for (int i = 0; i < 3 * 4096; i++)
        failed += s->ops->profile_put(s, t, "u-again", "{\"v\":1}", &err) != 0;
    CHECK_INT(failed, 0);
    usleep(300 * 1000);   /* time for a build, were one asked for */
    state_of(s, t, sid, NULL, &a, &sj, &pj);
    CHECK(sj == NULL, "12,288 writes of one buyer built no new filter (%s)",
          sj ? "the row was read" : "still answered from the filter");
    state_of(s, t, "no-session", "u-again", &a, &sj, &pj);
    CHECK(pj != NULL, "the buyer is read");
    arena_release(&a);
    store_close(s);
}

/* The epoch file takes the database file's permissions, as sqlite's -wal
 * and -shm do, whatever the umask, and mends a file an older version made
 * 0600: a process of another user that may write the database must be able
 * to count its key writes there. */
TEST(test_epoch_file_mode)
{
    char url[512], db[512], ep[560];
    struct stat st;
    db_url(url, sizeof url, "perm.db");
    snprintf(db, sizeof db, "%s/perm.db", tmpdir);
    snprintf(ep, sizeof ep, "%s-epoch", db);
    store_close(open_or_die(url));   /* the database file */
    CHECK_INT(unlink(ep), 0);
    CHECK_INT(chmod(db, 0660), 0);
    mode_t old = umask(077);
    store_close(open_or_die(url));
    umask(old);
    CHECK(stat(ep, &st) == 0 && (st.st_mode & 0777) == 0660, "epoch file mode %o, want 660",
          (unsigned)(st.st_mode & 0777));
    CHECK_INT(chmod(ep, 0600), 0);   /* as versions before made it */
    CHECK_INT(chmod(db, 0664), 0);
    store_close(open_or_die(url));
    CHECK(stat(ep, &st) == 0 && (st.st_mode & 0777) == 0664, "epoch file mode %o, want 664",
          (unsigned)(st.st_mode & 0777));
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/proptalk-store-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    setenv("PROPTALK_LOG", "warn", 1);
    log_init();
}

TEST_MAIN(
    if (getenv("PT_CHILD"))
        return strcmp(getenv("PT_CHILD"), "epoch") == 0 ? epoch_child(getenv("PT_CHILD_URL"))
                                                        : keys_child(getenv("PT_CHILD_URL"));
    setup();
    RUN(test_open_and_migrations);
    RUN(test_upgrade_old_database);
    RUN(test_concurrent_openers);
    RUN(test_tenants);
    RUN(test_users);
    RUN(test_import_and_get);
    RUN(test_checkpoint_wakeups_kept);
    RUN(test_bulk_mode);
    RUN(test_upsert_many);
    RUN(test_search);
    RUN(test_search_tie_order);
    RUN(test_locality_stats);
    RUN(test_agents_and_slots);
    RUN(test_booking);
    RUN(test_appointments_upcoming);
    RUN(test_booking_race);
    RUN(test_turns);
    RUN(test_transcript_rows);
    RUN(test_turn_rows_by_rowid);
    RUN(test_turn_lengths);
    RUN(test_pool);
    RUN(test_isolation);
    RUN(test_arena_cap);
    RUN(test_inventory_epoch);
    RUN(test_key_filter);
    RUN(test_key_filter_build_race);
    RUN(test_key_filter_linked_name);
    RUN(test_key_filter_rewrites_no_build);
    RUN(test_epoch_file_mode);
    rm_tree(tmpdir);
)
