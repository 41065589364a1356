/*
 * test_demo.c - unit tests of src/demo: demo_load into a real SQLite store
 * in a temporary folder, twice (a restart) and once more a day later.
 * Checks the derived API keys and admin login, that re-loading changes no
 * counts, that slots are neither duplicated nor missing, that every listing
 * is valid for its tenant, and that the scripted demo searches have enough
 * matches ("2BHK in Whitefield under 2 Cr", "around 2 million AED").
 * Prints an inventory summary per tenant.
 */
#include "demo/demo.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "store/store.h"
#include "test.h"

#define SECRET "test-secret-0123456789abcdef"
#define NOW ((time_t)1763712000)   /* 2025-11-21 08:00 UTC */

static char tmpdir[64];

static const char *const blr_localities[] = {
    "Whitefield", "Marathahalli", "Sarjapur Road", "Electronic City", "Hebbal", "Yelahanka",
    "Koramangala", "HSR Layout", "Indiranagar", "JP Nagar", "Bellandur", "Hennur",
    "Devanahalli", "Kanakapura Road", "Bannerghatta Road", NULL,
};
static const char *const dxb_localities[] = {
    "Dubai Marina", "Jumeirah Village Circle", "Jumeirah Village Triangle",
    "Jumeirah Lake Towers", "Downtown Dubai", "Business Bay", "Dubai Hills Estate",
    "Palm Jumeirah", "Arabian Ranches", "Dubai Creek Harbour", "Jumeirah Beach Residence",
    "Al Furjan", "Dubai South", "Mohammed Bin Rashid City", "Dubai Silicon Oasis",
    "Dubai International Financial Centre", NULL,
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static bool in_list(const char *const *v, const char *s)
{
    for (int i = 0; s && v[i]; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* Expected free slots in the window of demo_load at now for a zone offset:
 * 3 agents x hours 10..17 x 14 local days, those starting after now. */
static int expected_slots(time_t now, int offset)
{
    long long local = (long long)now + offset;
    long long day0 = (local / 86400) * 86400 - offset;
    int n = 0;
    for (int d = 0; d < 14; d++)
        for (int h = 10; h < 18; h++)
            if (day0 + d * 86400LL + h * 3600LL > (long long)now)
                n += 3;
    return n;
}

static void key_hash(const char *key, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)key, strlen(key));
    sodium_bin2hex(hex, 65, h, sizeof h);
}

static int all_listings(store *s, tenant_id t, arena *a, listing **out, int *n)
{
    store_listing_query q;
    memset(&q, 0, sizeof q);
    q.bedrooms = -1;
    q.limit = 5000;
    pt_error err = {0};
    int rc = s->ops->listing_search(s, t, &q, a, out, n, &err);
    CHECK(rc == 0, "listing_search: %s", err.msg);
    return rc;
}

/* v is the double nearest to its decimal of `places` places. */
static bool is_decimal(double v, int places)
{
    char text[64];
    snprintf(text, sizeof text, "%.*f", places, v);
    return strtod(text, NULL) == v;
}

static void summary(const char *slug, const listing *l, int n)
{
    int per_type[PTYPE__COUNT] = {0}, rent = 0, off_plan = 0, urgent = 0;
    money lo[PTYPE__COUNT], hi[PTYPE__COUNT], rlo = 0, rhi = 0;
    for (int i = 0; i < PTYPE__COUNT; i++)
        lo[i] = hi[i] = 0;
    for (int i = 0; i < n; i++) {
        if (l[i].tx == TX_RENT) {
            rent++;
            if (rlo == 0 || l[i].price < rlo)
                rlo = l[i].price;
            if (l[i].price > rhi)
                rhi = l[i].price;
            continue;
        }
        int t = l[i].type;
        per_type[t]++;
        if (lo[t] == 0 || l[i].price < lo[t])
            lo[t] = l[i].price;
        if (l[i].price > hi[t])
            hi[t] = l[i].price;
        off_plan += l[i].status == LSTATUS_OFF_PLAN;
        urgent += l[i].units_available > 0 && l[i].units_available <= 5;
    }
    printf("  inventory %s: %d listings, %d for sale (%d off-plan, %d with <= 5 units), %d rentals "
           "(%lld - %lld per year)\n", slug, n, n - rent, off_plan, urgent, rent,
           (long long)rlo, (long long)rhi);
    for (int t = 1; t < PTYPE__COUNT; t++)
        if (per_type[t])
            printf("  inventory %s:   %-10s %3d  %lld - %lld\n", slug, ptype_name((property_type)t),
                   per_type[t], (long long)lo[t], (long long)hi[t]);
}

TEST(test_demo_load)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pt_demo_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/proptalk.db", tmpdir);
    store *s = NULL;
    pt_error err = {0};
    int rc = store_open(url, &s, &err);
    CHECK(rc == 0, "store_open: %s", err.msg);
    if (rc)
        return;

    demo_info a, b, c;
    rc = demo_load(s, SECRET, NOW, &a, &err);
    CHECK(rc == 0, "first demo_load: %s", err.msg);
    rc = demo_load(s, SECRET, NOW, &b, &err);
    CHECK(rc == 0, "second demo_load: %s", err.msg);
    if (rc)
        goto done;

    /* derived secrets: stable, well-formed */
    CHECK_INT(a.n_tenants, 2);
    CHECK_STR(a.admin_email, DEMO_ADMIN_EMAIL);
    CHECK_STR(a.admin_password, b.admin_password);
    CHECK(strncmp(a.admin_password, "demo-", 5) == 0 && strlen(a.admin_password) == 17,
          "admin password \"%s\"", a.admin_password);
    CHECK_INT(a.agents, 6);
    int want_slots = expected_slots(NOW, 19800) + expected_slots(NOW, 14400);
    CHECK_INT(a.slots, want_slots);
    CHECK_INT(b.slots, a.slots);
    for (int i = 0; i < 2; i++) {
        CHECK_STR(a.tenants[i].slug, i == 0 ? "bangalore-demo" : "dubai-demo");
        CHECK_STR(a.tenants[i].api_key, b.tenants[i].api_key);
        CHECK(strncmp(a.tenants[i].api_key, "pt_", 3) == 0 && strlen(a.tenants[i].api_key) == 43,
              "api key \"%s\"", a.tenants[i].api_key);
        CHECK(a.tenants[i].listings >= 220, "%s has %d listings", a.tenants[i].slug,
              a.tenants[i].listings);
        CHECK_INT(b.tenants[i].listings, a.tenants[i].listings);

        char hex[65];
        key_hash(a.tenants[i].api_key, hex);
        tenant t;
        pt_error e2 = {0};
        CHECK(s->ops->tenant_by_api_key(s, hex, &t, &e2) == 0 && strcmp(t.slug, a.tenants[i].slug) == 0,
              "api key finds %s: %s", a.tenants[i].slug, e2.msg);
    }
    CHECK(strcmp(a.tenants[0].api_key, a.tenants[1].api_key) != 0, "keys differ per tenant");

    /* another secret gives other keys (not loaded: just derived) */
    {
        demo_info o;
        store *s2 = NULL;
        char url2[128];
        snprintf(url2, sizeof url2, "sqlite:%s/other.db", tmpdir);
        pt_error e2 = {0};
        if (store_open(url2, &s2, &e2) == 0) {
            CHECK(demo_load(s2, "another secret", NOW, &o, &e2) == 0, "other load: %s", e2.msg);
            CHECK(strcmp(o.tenants[0].api_key, a.tenants[0].api_key) != 0, "key depends on secret");
            CHECK(strcmp(o.admin_password, a.admin_password) != 0, "password depends on secret");
            store_close(s2);
        }
        pt_error_clear(&e2);
        CHECK(demo_load(s, "", NOW, &o, &e2) == -PT_ERR_INVALID, "empty secret rejected");
        /* the same database with another secret: tenants, agents and slots
         * are kept (a warning says the printed key will not work) */
        pt_error_clear(&e2);
        CHECK(demo_load(s, "changed secret", NOW, &o, &e2) == 0, "reload, new secret: %s", e2.msg);
        CHECK_INT(o.slots, a.slots);
        CHECK_INT(o.tenants[0].listings, a.tenants[0].listings);
    }

    /* users */
    {
        arena ar;
        arena_init(&ar, 0);
        store_user u;
        pt_error e2 = {0};
        rc = s->ops->user_by_email(s, DEMO_ADMIN_EMAIL, &ar, &u, &e2);
        CHECK(rc == 0, "admin user: %s", e2.msg);
        if (rc == 0) {
            CHECK_STR(u.role, "super_admin");
            CHECK(crypto_pwhash_str_verify(u.password_hash, a.admin_password,
                                           strlen(a.admin_password)) == 0, "admin password verifies");
        }
        const char *emails[] = {"admin@bangalore-demo.demo", "admin@dubai-demo.demo"};
        for (int i = 0; i < 2; i++) {
            pt_error_clear(&e2);
            rc = s->ops->user_by_email(s, emails[i], &ar, &u, &e2);
            CHECK(rc == 0 && strcmp(u.role, "tenant_admin") == 0 && u.tenant > 0,
                  "%s is a tenant_admin: %s", emails[i], e2.msg);
        }
        pt_error_clear(&e2);
        rc = s->ops->user_by_email(s, "priya.raghavan@bangalore-demo.demo", &ar, &u, &e2);
        CHECK(rc == 0 && strcmp(u.role, "agent") == 0, "agent login exists: %s", e2.msg);
        arena_release(&ar);
    }

    /* listings: valid, same on reload */
    for (int i = 0; i < 2; i++) {
        tenant t;
        pt_error e2 = {0};
        if (s->ops->tenant_by_slug(s, a.tenants[i].slug, &t, &e2) != 0) {
            CHECK(0, "tenant: %s", e2.msg);
            continue;
        }
        CHECK_STR(t.currency, i == 0 ? "INR" : "AED");
        CHECK_STR(t.region, i == 0 ? "IN" : "AE");
        CHECK_STR(t.timezone, i == 0 ? "Asia/Kolkata" : "Asia/Dubai");
        CHECK_INT(t.language, LANG_EN);
        arena ar;
        arena_init(&ar, 0);
        listing *l = NULL;
        int n = 0;
        if (all_listings(s, t.id, &ar, &l, &n) == 0) {
            CHECK_INT(n, a.tenants[i].listings);
            const char *const *locs = i == 0 ? blr_localities : dxb_localities;
            int bad = 0, used_locs = 0;
            for (int k = 0; locs[k]; k++) {
                bool seen = false;
                for (int j = 0; j < n && !seen; j++)
                    seen = strcmp(l[j].locality, locs[k]) == 0;
                used_locs += seen;
            }
            for (int j = 0; j < n; j++) {
                const listing *x = &l[j];
                bool ok = x->price > 0 && strcmp(x->currency, t.currency) == 0 &&
                          in_list(locs, x->locality) && x->title && x->project && x->developer &&
                          x->city && strcmp(x->city, i == 0 ? "Bangalore" : "Dubai") == 0 &&
                          x->type != PTYPE_NONE && x->tx != TX_NONE && x->units_available >= 1 &&
                          x->status != LSTATUS_NONE && x->has_geo && x->description &&
                          (x->status == LSTATUS_OFF_PLAN) == (x->completion_date != NULL) &&
                          (x->type == PTYPE_PLOT || x->area_sqft > 0);
                if (x->tx == TX_BUY) {
                    money lo = i == 0 ? 3500000 : 450000, hi = i == 0 ? 45000000 : 25000000;
                    ok = ok && x->price >= lo && x->price <= hi;
                    ok = ok && (x->type == PTYPE_PLOT ||
                                (x->rental_yield >= 4.0 && x->rental_yield <= 9.0));
                } else {
                    money lo = i == 0 ? 180000 : 40000, hi = i == 0 ? 2400000 : 600000;
                    ok = ok && x->price >= lo && x->price <= hi;
                }
                /* a yield of one decimal and coordinates of six are those
                 * decimals exactly (the nearest doubles), so an answer
                 * prints 4.6, not 4.6000000000000005 */
                ok = ok && (x->rental_yield < 0 || is_decimal(x->rental_yield, 1)) &&
                     is_decimal(x->latitude, 6) && is_decimal(x->longitude, 6);
                if (x->completion_date)
                    ok = ok && strncmp(x->completion_date, "202", 3) == 0 &&
                         x->completion_date[3] >= '7' && x->completion_date[3] <= '9';
                if (!ok && bad++ < 5)
                    fprintf(stderr, "  bad listing %s: %s\n", x->id, x->title ? x->title : "");
            }
            CHECK(bad == 0, "%s: %d invalid listings", t.slug, bad);
            CHECK(used_locs >= 14, "%s uses %d localities", t.slug, used_locs);
            summary(t.slug, l, n);
        }
        arena_release(&ar);
    }

    /* the scripted searches */
    {
        tenant t;
        pt_error e2 = {0};
        arena ar;
        arena_init(&ar, 0);
        if (s->ops->tenant_by_slug(s, "bangalore-demo", &t, &e2) == 0) {
            const char *wf[] = {"Whitefield"};
            store_listing_query q;
            memset(&q, 0, sizeof q);
            q.tx = TX_BUY;
            q.type = PTYPE_APARTMENT;
            q.bedrooms = 2;
            q.has_price_max = true;
            q.price_max = 20000000;
            q.currency = "INR";
            q.localities = wf;
            q.n_localities = 1;
            listing *l = NULL;
            int n = 0;
            CHECK(s->ops->listing_search(s, t.id, &q, &ar, &l, &n, &e2) == 0, "search: %s", e2.msg);
            int projects = 0;
            for (int j = 0; j < n; j++) {
                bool dup = false;
                for (int k = 0; k < j; k++)
                    dup = dup || strcmp(l[k].project, l[j].project) == 0;
                projects += !dup;
            }
            CHECK(n >= 5 && projects >= 3, "2BHK in Whitefield under 2 Cr: %d listings, %d projects",
                  n, projects);
            printf("  2BHK in Whitefield under 2 Cr: %d listings in %d projects\n", n, projects);
        }
        if (s->ops->tenant_by_slug(s, "dubai-demo", &t, &e2) == 0) {
            const char *areas[] = {"Jumeirah Village Circle", "Dubai Marina", "Business Bay"};
            int total = 0;
            for (int k = 0; k < 3; k++) {
                store_listing_query q;
                memset(&q, 0, sizeof q);
                q.tx = TX_BUY;
                q.bedrooms = -1;
                q.has_price_min = q.has_price_max = true;
                q.price_min = 1800000;
                q.price_max = 2200000;
                q.currency = "AED";
                q.localities = &areas[k];
                q.n_localities = 1;
                listing *l = NULL;
                int n = 0, homes = 0;
                CHECK(s->ops->listing_search(s, t.id, &q, &ar, &l, &n, &e2) == 0, "search: %s",
                      e2.msg);
                for (int j = 0; j < n; j++)
                    homes += l[j].type == PTYPE_APARTMENT || l[j].type == PTYPE_VILLA ||
                             l[j].type == PTYPE_TOWNHOUSE;
                CHECK(homes >= 3, "AED 1.8-2.2M homes in %s: %d", areas[k], homes);
                printf("  AED 1.8M-2.2M homes in %s: %d\n", areas[k], homes);
                total += homes;
            }
            CHECK(total >= 9, "AED 1.8-2.2M homes in JVC, Marina, Business Bay: %d", total);
            /* rentals and studios exist for the other demo questions */
            store_listing_query q;
            memset(&q, 0, sizeof q);
            q.tx = TX_RENT;
            q.bedrooms = -1;
            listing *l = NULL;
            int n = 0;
            CHECK(s->ops->listing_search(s, t.id, &q, &ar, &l, &n, &e2) == 0 && n >= 20,
                  "Dubai rentals: %d", n);
        }
        arena_release(&ar);
    }

    /* a restart a day later adds exactly the new day's slots */
    rc = demo_load(s, SECRET, NOW + 86400, &c, &err);
    CHECK(rc == 0, "third demo_load: %s", err.msg);
    CHECK_INT(c.slots, expected_slots(NOW + 86400, 19800) + expected_slots(NOW + 86400, 14400));
    CHECK_INT(c.tenants[0].listings, a.tenants[0].listings);
    CHECK_INT(c.tenants[1].listings, a.tenants[1].listings);
    {
        /* nothing duplicated: every start time has exactly 3 slots */
        tenant t;
        pt_error e2 = {0};
        arena ar;
        arena_init(&ar, 0);
        if (s->ops->tenant_by_slug(s, "dubai-demo", &t, &e2) == 0) {
            store_slot *sl = NULL;
            int n = 0;
            CHECK(s->ops->slots_free(s, t.id, 0, (int64_t)NOW + 40 * 86400, 100000, &ar, &sl, &n, &e2) == 0,
                  "slots: %s", e2.msg);
            int bad = 0;
            for (int j = 0; j < n; j++) {
                int same = 0;
                for (int k = 0; k < n; k++)
                    same += sl[k].starts_at == sl[j].starts_at;
                bad += same != 3;
                bad += sl[j].ends_at - sl[j].starts_at != 3600;
                long long local = (sl[j].starts_at + 14400) % 86400;
                bad += local < 10 * 3600 || local > 17 * 3600;
            }
            CHECK(bad == 0 && n > 0, "%d slots, %d problems", n, bad);
        }
        arena_release(&ar);
    }

done:
    store_close(s);
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TEST(test_demo_deterministic)
{
    /* two fresh databases get byte-identical listings */
    char d[64];
    snprintf(d, sizeof d, "/tmp/pt_demo2_XXXXXX");
    if (mkdtemp(d) == NULL)
        return;
    store *s1 = NULL, *s2 = NULL;
    char u1[128], u2[128];
    snprintf(u1, sizeof u1, "sqlite:%s/a.db", d);
    snprintf(u2, sizeof u2, "sqlite:%s/b.db", d);
    pt_error err = {0};
    demo_info i1, i2;
    if (store_open(u1, &s1, &err) == 0 && store_open(u2, &s2, &err) == 0 &&
        demo_load(s1, "x", NOW, &i1, &err) == 0 && demo_load(s2, "x", NOW + 7 * 86400, &i2, &err) == 0) {
        tenant t1, t2;
        arena ar;
        arena_init(&ar, 0);
        listing *l1 = NULL, *l2 = NULL;
        int n1 = 0, n2 = 0;
        if (s1->ops->tenant_by_slug(s1, "bangalore-demo", &t1, &err) == 0 &&
            s2->ops->tenant_by_slug(s2, "bangalore-demo", &t2, &err) == 0 &&
            all_listings(s1, t1.id, &ar, &l1, &n1) == 0 && all_listings(s2, t2.id, &ar, &l2, &n2) == 0) {
            CHECK_INT(n1, n2);
            int diff = 0;
            for (int j = 0; j < n1 && j < n2; j++) {
                const listing *x = NULL;
                for (int k = 0; k < n2 && !x; k++)
                    if (strcmp(l2[k].id, l1[j].id) == 0)
                        x = &l2[k];
                diff += x == NULL || x->price != l1[j].price || strcmp(x->title, l1[j].title) != 0 ||
                        strcmp(x->description, l1[j].description) != 0;
            }
            CHECK(diff == 0, "%d listings differ between two loads", diff);
        }
        arena_release(&ar);
    } else {
        CHECK(0, "load: %s", err.msg);
    }
    store_close(s1);
    store_close(s2);
    nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TEST_MAIN(
    RUN(test_demo_load);
    RUN(test_demo_deterministic);
)
