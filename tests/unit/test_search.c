/*
 * test_search.c - search on a generated inventory (bench/search_inventory.c,
 * 6,000 listings, fixed seed) in a real SQLite store: every hard constraint
 * holds in every exact result over hundreds of random wishes; what was
 * relaxed is reported and really differs, and nothing else does; the
 * transaction is never relaxed; the neighbouring locality, the cheaper and
 * better bands, diversity across projects, the buyer's words, the semantic
 * list; plus the pieces on their own (terms and folding, BM25, fusion and
 * the pick, neighbours, market figures).
 */
#include "test.h"

#include "../../bench/search_inventory.c"

#include "search/market.h"
#include "search/search.h"
#include "search/search_int.h"
#include "store/store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define N_INV 6000

static char dir[64];
static store *st;
static tenant ten, other;
static arena mem;
static listing *all;          /* the tenant's listings, as stored */
static int n_all;
static store_locality_stats *locs;
static int n_locs;

static uint64_t rs = 99;
static uint64_t trnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static void make_tenant(tenant *t, const char *slug)
{
    pt_error err = {0};
    memset(t, 0, sizeof *t);
    snprintf(t->slug, sizeof t->slug, "%s", slug);
    snprintf(t->name, sizeof t->name, "%s", slug);
    memcpy(t->currency, "INR", 4);
    memcpy(t->region, "IN", 3);
    snprintf(t->timezone, sizeof t->timezone, "Asia/Kolkata");
    CHECK(st->ops->tenant_create(st, t, slug, &err) == 0, "tenant %s: %s", slug, err.msg);
}

static void load(tenant *t, uint64_t seed, long n)
{
    pt_error err = {0};
    inv_gen g;
    listing l;
    inv_init(&g, seed, n);
    CHECK(st->ops->import_begin(st, &err) == 0, "import begin: %s", err.msg);
    while (inv_next(&g, &l) == 0)
        if (st->ops->listing_upsert(st, t->id, &l, &err) != 0) {
            CHECK(0, "upsert: %s", err.msg);
            break;
        }
    CHECK(st->ops->import_commit(st, &err) == 0, "import commit: %s", err.msg);
}

static void setup(void)
{
    pt_error err = {0};
    char url[128];
    snprintf(dir, sizeof dir, "/tmp/pt_search_XXXXXX");
    if (mkdtemp(dir) == NULL)
        exit(1);
    snprintf(url, sizeof url, "sqlite:%s/s.db", dir);
    if (store_open(url, &st, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        exit(1);
    }
    make_tenant(&ten, "gen");
    make_tenant(&other, "other");
    load(&ten, 7, N_INV);
    load(&other, 8, 1500);     /* another tenant's listings must never show */
    arena_init(&mem, 0);
    store_listing_query q;
    memset(&q, 0, sizeof q);
    q.bedrooms = -1;
    q.limit = 10000;
    CHECK(st->ops->listing_search(st, ten.id, &q, &mem, &all, &n_all, &err) == 0, "all: %s",
          err.msg);
    CHECK_INT(n_all, N_INV);
    CHECK(st->ops->locality_stats(st, ten.id, TX_NONE, &mem, &locs, &n_locs, &err) == 0,
          "stats: %s", err.msg);
    CHECK_INT(n_locs, inv_n_localities);
}

static void teardown(void)
{
    char cmd[128];
    store_close(st);
    arena_release(&mem);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* ---- the oracle ---------------------------------------------------------- */

static bool in_named(const slots *sl, const char *loc)
{
    for (int i = 0; i < sl->n_locations; i++)
        if (loc && strcmp(sl->locations[i], loc) == 0)
            return true;
    return false;
}

/* Which of the buyer's constraints l breaks (SEARCH_RELAX_* without the
 * neighbour distinction); tx is checked apart. */
static unsigned breaks(const slots *sl, const listing *l)
{
    unsigned r = 0;
    int beds = sl->bedrooms;
    if (sl->type == PTYPE_STUDIO && beds < 0)
        beds = 0;
    if ((sl->has_budget_min && l->price < sl->budget_min) ||
        (sl->has_budget_max && l->price > sl->budget_max))
        r |= SEARCH_RELAX_BUDGET;
    if (beds >= 0 && l->bedrooms != beds)
        r |= SEARCH_RELAX_BEDROOMS;
    if (sl->type && l->type != sl->type)
        r |= SEARCH_RELAX_TYPE;
    if (sl->n_locations && !in_named(sl, l->locality))
        r |= SEARCH_RELAX_LOCATION;
    return r;
}

static const listing *by_id(const char *id)
{
    for (int i = 0; i < n_all; i++)
        if (strcmp(all[i].id, id) == 0)
            return &all[i];
    return NULL;
}

static int run(const slots *sl, search_mode mode, const char *text, const char *const *sem,
               int n_sem, const char *const *ex, int n_ex, search_result *res, arena *a)
{
    pt_error err = {0};
    search_request req = {.slots = sl, .currency = "INR", .want_min = 3, .want_max = 5,
                          .tolerance_pct = 10, .exclude_ids = ex, .n_exclude = n_ex,
                          .text = text, .localities = locs, .n_localities = n_locs,
                          .mode = mode, .semantic_ids = sem, .n_semantic = n_sem};
    int rc = search_listings(st, ten.id, &req, a, res, &err);
    CHECK(rc == 0, "search: %s", err.msg);
    return rc;
}

/* A typical sale price of beds-bedroom homes in locality L. */
static money typical(const inv_locality *L, int beds)
{
    return (money)((450 + beds * 420 + 125) * L->ppsf);
}

/* ---- tests ---------------------------------------------------------------- */

TEST(test_constraints_random_wishes)
{
    static const char *const words[] = {NULL, "with a pool", "near a good school",
                                        "Prestige project", "ready to move, gym", "lake view"};
    int bad_exact = 0, bad_relaxed = 0, bad_tx = 0, empty = 0, dup = 0, bad_report = 0;
    int exact_total = 0, relaxed_total = 0, third = 0, foreign = 0;
    for (int k = 0; k < 400; k++) {
        arena a;
        arena_init(&a, 0);
        slots sl;
        slots_init(&sl);
        const inv_locality *L = &inv_localities[trnd() % (uint64_t)inv_n_localities];
        int beds = 1 + (int)(trnd() % 4);
        sl.tx = trnd() % 4 == 0 ? TX_RENT : TX_BUY;
        if (trnd() % 3)
            sl.bedrooms = beds;
        if (trnd() % 3 == 0)
            sl.type = (property_type)(1 + trnd() % (PTYPE__COUNT - 1));
        money price = typical(L, beds) * (money)(60 + trnd() % 90) / 100;
        if (sl.tx == TX_RENT)
            price = price * 35 / 1000;
        switch (trnd() % 4) {
        case 0: break;
        case 1: sl.has_budget_max = true; sl.budget_max = price; break;
        case 2: sl.has_budget_min = true; sl.budget_min = price; break;
        default:
            sl.has_budget_min = sl.has_budget_max = true;
            sl.budget_min = price * 8 / 10;
            sl.budget_max = price * 12 / 10;
        }
        int nl = (int)(trnd() % 3);
        for (int i = 0; i < nl; i++) {
            const inv_locality *M = i == 0 ? L : &inv_localities[trnd() % (uint64_t)inv_n_localities];
            if (!in_named(&sl, M->name))
                snprintf(sl.locations[sl.n_locations++], sizeof sl.locations[0], "%s", M->name);
        }
        search_result r;
        if (run(&sl, SEARCH_FIT, words[trnd() % 6], NULL, 0, NULL, 0, &r, &a)) {
            arena_release(&a);
            continue;
        }
        if (r.n == 0)
            empty++;
        for (int i = 0; i < r.n; i++) {
            const listing *l = &r.items[i];
            const listing *orig = by_id(l->id);
            foreign += orig == NULL || orig->price != l->price;
            for (int j = 0; j < i; j++)
                dup += strcmp(r.items[j].id, l->id) == 0;
            bad_tx += l->tx != sl.tx;
            bad_tx += strcmp(l->currency, "INR") != 0;
            unsigned b = breaks(&sl, l);
            if (i < r.n_exact) {
                exact_total++;
                bad_exact += b != 0;
            } else {
                relaxed_total++;
                unsigned said = r.item_relax[i];
                unsigned said_loc = said & (SEARCH_RELAX_LOCATION | SEARCH_RELAX_NEIGHBOUR);
                /* everything broken was said, and what was said is broken */
                unsigned said_plain = (said & ~SEARCH_RELAX_NEIGHBOUR) |
                                      (said_loc ? SEARCH_RELAX_LOCATION : 0);
                bad_relaxed += said_plain != b;
                bad_report += (r.relaxed & said) != said;
                if ((said & SEARCH_RELAX_NEIGHBOUR) && (r.neighbour == NULL || r.neighbour_km <= 0 ||
                                                        r.neighbour_km > 25))
                    bad_report++;
            }
        }
        /* never a third unit of one project while another project fits */
        for (int i = 0; i < r.n_exact; i++) {
            int same = 0;
            for (int j = 0; j < r.n_exact; j++)
                same += strcmp(r.items[i].project, r.items[j].project) == 0;
            if (same < 3)
                continue;
            for (int m = 0; m < n_all; m++) {
                const listing *l = &all[m];
                if (l->tx != sl.tx || breaks(&sl, l) || l->units_available == 0)
                    continue;
                bool shown = false;
                for (int j = 0; j < r.n; j++)
                    shown |= strcmp(r.items[j].project, l->project) == 0;
                if (!shown) {
                    third++;
                    break;
                }
            }
            break;
        }
        arena_release(&a);
    }
    printf("    %d exact and %d relaxed results checked\n", exact_total, relaxed_total);
    CHECK_INT(bad_exact, 0);
    CHECK_INT(bad_relaxed, 0);
    CHECK_INT(bad_report, 0);
    CHECK_INT(bad_tx, 0);
    CHECK_INT(empty, 0);
    CHECK_INT(dup, 0);
    CHECK_INT(foreign, 0);
    CHECK_INT(third, 0);
    CHECK(exact_total > 500 && relaxed_total > 100, "both kinds exercised");
}

TEST(test_relaxation_budget_and_neighbour)
{
    arena a;
    arena_init(&a, 0);
    /* the cheapest 2-bedroom sale in Whitefield and around it */
    money min_w = 0, min_n = 0;
    const char *cheap_neigh = NULL;
    for (int i = 0; i < n_all; i++) {
        const listing *l = &all[i];
        if (l->tx != TX_BUY || l->bedrooms != 2)
            continue;
        if (strcmp(l->locality, "Whitefield") == 0 && (min_w == 0 || l->price < min_w))
            min_w = l->price;
        if ((strcmp(l->locality, "Marathahalli") == 0 || strcmp(l->locality, "KR Puram") == 0) &&
            (min_n == 0 || l->price < min_n)) {
            min_n = l->price;
            cheap_neigh = l->locality;
        }
    }
    CHECK(min_w > 0 && min_n > 0, "inventory has 2-bedroom homes there");

    /* 1. under every price in Whitefield: told what it costs there */
    slots sl;
    slots_init(&sl);
    sl.tx = TX_BUY;
    sl.bedrooms = 2;
    sl.has_budget_max = true;
    sl.budget_max = min_w / 2;
    snprintf(sl.locations[0], sizeof sl.locations[0], "Whitefield");
    sl.n_locations = 1;
    search_result r;
    run(&sl, SEARCH_FIT, "2BHK in Whitefield", NULL, 0, NULL, 0, &r, &a);
    CHECK_INT(r.n_exact, 0);
    CHECK(r.n >= 3, "alternatives instead of nothing: %d", r.n);
    CHECK(r.relaxed & SEARCH_RELAX_BUDGET, "budget relaxed: 0x%x", r.relaxed);
    CHECK(r.beyond_tolerance && r.above_from == min_w, "from %lld, cheapest is %lld",
          (long long)r.above_from, (long long)min_w);

    /* 2. a budget only the neighbour meets */
    if (min_n * 11 / 10 < min_w) {
        slots_init(&sl);
        sl.tx = TX_BUY;
        sl.bedrooms = 2;
        sl.has_budget_max = true;
        sl.budget_max = min_n;
        snprintf(sl.locations[0], sizeof sl.locations[0], "Whitefield");
        sl.n_locations = 1;
        run(&sl, SEARCH_FIT, NULL, NULL, 0, NULL, 0, &r, &a);
        CHECK_INT(r.n_exact, 0);
        CHECK(r.relaxed & SEARCH_RELAX_NEIGHBOUR, "neighbour: 0x%x", r.relaxed);
        CHECK(r.neighbour && strcmp(r.neighbour, cheap_neigh) == 0, "neighbour %s, want %s",
              r.neighbour ? r.neighbour : "-", cheap_neigh);
        CHECK(r.neighbour_of && strcmp(r.neighbour_of, "Whitefield") == 0, "next to Whitefield");
        CHECK(r.neighbour_km > 1 && r.neighbour_km < 10, "km %.1f", r.neighbour_km);
        int seen = 0;
        for (int i = 0; i < r.n; i++)
            if (r.item_relax[i] & SEARCH_RELAX_NEIGHBOUR) {
                seen++;
                CHECK(r.items[i].price <= sl.budget_max && r.items[i].bedrooms == 2,
                      "the neighbour's listing keeps the budget and bedrooms");
            }
        CHECK(seen >= 1, "a neighbour listing is shown");
        printf("    2BHK under %lld in Whitefield -> %s (%.1f km)\n", (long long)min_n,
               r.neighbour, r.neighbour_km);
    } else {
        printf("    (this inventory has no cheaper neighbour; skipped)\n");
    }

    /* 3. a type the area lacks, with a tight budget: other types or areas */
    slots_init(&sl);
    sl.tx = TX_BUY;
    sl.type = PTYPE_PENTHOUSE;
    sl.has_budget_max = true;
    sl.budget_max = 1000000;
    snprintf(sl.locations[0], sizeof sl.locations[0], "Devanahalli");
    sl.n_locations = 1;
    run(&sl, SEARCH_FIT, NULL, NULL, 0, NULL, 0, &r, &a);
    CHECK(r.n >= 1, "never just no results");
    for (int i = 0; i < r.n; i++)
        CHECK_INT(r.items[i].tx, TX_BUY);

    /* 4. a minimum above every price: the dearest there are, said so */
    slots_init(&sl);
    sl.tx = TX_BUY;
    sl.type = PTYPE_VILLA;
    sl.has_budget_min = true;
    sl.budget_min = 100000000000LL;
    snprintf(sl.locations[0], sizeof sl.locations[0], "Hebbal");
    sl.n_locations = 1;
    run(&sl, SEARCH_FIT, NULL, NULL, 0, NULL, 0, &r, &a);
    CHECK(r.n >= 3 && r.n_exact == 0 && (r.relaxed & SEARCH_RELAX_BUDGET), "closest prices: %d",
          r.n);
    for (int i = 0; i < r.n; i++)
        CHECK(r.items[i].type == PTYPE_VILLA && strcmp(r.items[i].locality, "Hebbal") == 0 &&
              r.item_relax[i] == SEARCH_RELAX_BUDGET, "only the budget differs");

    /* 5. rent with an absurd budget: still rent */
    slots_init(&sl);
    sl.tx = TX_RENT;
    sl.has_budget_max = true;
    sl.budget_max = 1000;
    run(&sl, SEARCH_FIT, NULL, NULL, 0, NULL, 0, &r, &a);
    CHECK(r.n >= 1, "rent alternatives");
    for (int i = 0; i < r.n; i++)
        CHECK_INT(r.items[i].tx, TX_RENT);
    arena_release(&a);
}

TEST(test_cheaper_and_better)
{
    arena a;
    arena_init(&a, 0);
    slots sl;
    slots_init(&sl);
    sl.tx = TX_BUY;
    sl.bedrooms = 3;
    sl.has_budget_max = true;
    /* a budget with a 3-bedroom home 15% under it */
    for (int i = 0; i < n_all && !sl.budget_max; i++)
        if (all[i].tx == TX_BUY && all[i].bedrooms == 3 && strcmp(all[i].locality, "Whitefield") == 0)
            sl.budget_max = all[i].price * 100 / 85;
    snprintf(sl.locations[0], sizeof sl.locations[0], "Whitefield");
    sl.n_locations = 1;
    search_result r;
    run(&sl, SEARCH_CHEAPER, NULL, NULL, 0, NULL, 0, &r, &a);
    CHECK(r.has_band, "a band");
    CHECK(llabs(r.band_min - sl.budget_max * 8 / 10) <= sl.budget_max / 100, "band min %lld",
          (long long)r.band_min);
    CHECK(llabs(r.band_max - sl.budget_max * 9 / 10) <= sl.budget_max / 100, "band max %lld",
          (long long)r.band_max);
    CHECK(r.n_exact >= 1, "cheaper options exist: %d", r.n_exact);
    for (int i = 0; i < r.n; i++) {
        CHECK(r.items[i].price <= sl.budget_max, "cheaper than the budget");
        if (i < r.n_exact)
            CHECK(r.items[i].price >= r.band_min && r.items[i].price <= r.band_max &&
                  r.items[i].bedrooms == 3 && strcmp(r.items[i].locality, "Whitefield") == 0,
                  "in the band, same wish");
    }
    run(&sl, SEARCH_BETTER, NULL, NULL, 0, NULL, 0, &r, &a);
    CHECK(llabs(r.band_min - sl.budget_max * 11 / 10) <= sl.budget_max / 100, "better min");
    CHECK(llabs(r.band_max - sl.budget_max * 115 / 100) <= sl.budget_max / 100, "better max");
    for (int i = 0; i < r.n_exact; i++)
        CHECK(r.items[i].price >= r.band_min && r.items[i].price <= r.band_max,
              "10-15%% above the budget");
    /* what was shown costs well under the budget: the band follows it */
    search_request req = {.slots = &sl, .currency = "INR", .want_min = 3, .want_max = 5,
                          .tolerance_pct = 10, .localities = locs, .n_localities = n_locs,
                          .mode = SEARCH_CHEAPER, .reference = sl.budget_max / 2};
    pt_error err = {0};
    CHECK(search_listings(st, ten.id, &req, &a, &r, &err) == 0, "search: %s", err.msg);
    CHECK_INT(r.band_base, sl.budget_max / 2);
    CHECK(r.band_max <= sl.budget_max / 2, "below what was shown");
    /* nothing is cheaper than what was shown: "cheaper" shows nothing
     * dearer (the last round took the nearest prices on either side) */
    money cheapest = 0;
    for (int i = 0; i < n_all; i++)
        if (all[i].tx == TX_BUY && (cheapest == 0 || all[i].price < cheapest))
            cheapest = all[i].price;
    req.reference = cheapest + 1;
    CHECK(search_listings(st, ten.id, &req, &a, &r, &err) == 0, "search: %s", err.msg);
    for (int i = 0; i < r.n; i++)
        CHECK(r.items[i].price < req.reference, "cheaper than what was shown: %lld",
              (long long)r.items[i].price);
    arena_release(&a);
}

TEST(test_semantic_list)
{
    arena a;
    arena_init(&a, 0);
    slots sl;
    slots_init(&sl);
    sl.tx = TX_BUY;
    sl.bedrooms = 2;
    sl.has_budget_max = true;
    sl.budget_max = typical(&inv_localities[1], 2) * 13 / 10;
    snprintf(sl.locations[0], sizeof sl.locations[0], "%s", inv_localities[1].name);
    sl.n_locations = 1;
    search_result r0, r1, r2;
    run(&sl, SEARCH_FIT, NULL, NULL, 0, NULL, 0, &r0, &a);
    CHECK(r0.n == 5, "five results: %d", r0.n);
    /* an empty list changes nothing */
    const char *none[1] = {NULL};
    run(&sl, SEARCH_FIT, NULL, none, 0, NULL, 0, &r1, &a);
    bool same = r1.n == r0.n;
    for (int i = 0; same && i < r0.n; i++)
        same = strcmp(r0.items[i].id, r1.items[i].id) == 0;
    CHECK(same, "NULL / empty semantic list: same results");
    /* the last shown first in the semantic list moves up; a listing that
     * breaks a hard constraint never shows */
    const listing *wrong = NULL;
    for (int i = 0; i < n_all && !wrong; i++)
        if (all[i].tx == TX_BUY && all[i].bedrooms == 2 && all[i].price > sl.budget_max * 2 &&
            strcmp(all[i].locality, sl.locations[0]) == 0)
            wrong = &all[i];
    const char *sem[3] = {wrong ? wrong->id : "nope", r0.items[4].id, r0.items[3].id};
    run(&sl, SEARCH_FIT, NULL, sem, 3, NULL, 0, &r2, &a);
    int before = 4, after = -1;
    for (int i = 0; i < r2.n; i++) {
        if (strcmp(r2.items[i].id, r0.items[4].id) == 0)
            after = i;
        CHECK(wrong == NULL || strcmp(r2.items[i].id, wrong->id) != 0,
              "a semantic id over the budget is not shown");
    }
    CHECK(after >= 0 && after < before, "semantic rank 1 moved up: %d -> %d", before, after);
    for (int i = 0; i < r2.n_exact; i++)
        CHECK_INT(breaks(&sl, &r2.items[i]), 0);
    arena_release(&a);
}

TEST(test_text_relevance)
{
    arena a;
    arena_init(&a, 0);
    /* a developer with homes in the area, named by the buyer */
    const inv_locality *L = &inv_localities[2];
    const char *dev = NULL;
    for (int i = 0; i < n_all && !dev; i++)
        if (strcmp(all[i].locality, L->name) == 0 && all[i].tx == TX_BUY && all[i].bedrooms == 3 &&
            strchr(all[i].developer, ' ') == NULL)
            dev = all[i].developer;
    CHECK(dev != NULL, "a one-word developer in %s", L->name);
    if (dev == NULL)
        return;
    slots sl;
    slots_init(&sl);
    sl.tx = TX_BUY;
    sl.bedrooms = 3;
    snprintf(sl.locations[0], sizeof sl.locations[0], "%s", L->name);
    sl.n_locations = 1;
    char text[128];
    snprintf(text, sizeof text, "3 BHK by %s in %s", dev, L->name);
    search_result r;
    run(&sl, SEARCH_FIT, text, NULL, 0, NULL, 0, &r, &a);
    CHECK(r.n >= 1 && strcmp(r.items[0].developer, dev) == 0, "first is by %s: %s", dev,
          r.n ? r.items[0].developer : "-");
    printf("    \"%s\" -> %s\n", text, r.n ? r.items[0].project : "-");
    /* a rare feature: found through the text index and put first */
    const listing *rare = NULL;
    for (int i = 0; i < n_all && !rare; i++)
        if (strncmp(all[i].description, "With a ", 7) == 0)
            rare = &all[i];
    CHECK(rare != NULL, "the inventory has a listing with a rare feature");
    if (rare) {
        char feature[64];
        snprintf(feature, sizeof feature, "%.*s", (int)strcspn(rare->description + 7, "."),
                 rare->description + 7);
        slots_init(&sl);
        sl.tx = rare->tx;
        snprintf(sl.locations[0], sizeof sl.locations[0], "%s", rare->locality);
        sl.n_locations = 1;
        snprintf(text, sizeof text, "something with a %s in %s", feature, rare->locality);
        run(&sl, SEARCH_FIT, text, NULL, 0, NULL, 0, &r, &a);
        CHECK(r.n >= 1 && strcmp(r.items[0].id, rare->id) == 0, "\"%s\" first: %s", text,
              r.n ? r.items[0].id : "-");
        printf("    \"%s\" -> %s\n", text, r.n ? r.items[0].description : "-");
    }
    /* words found in the text index are those of the tenant only */
    int c = 0;
    pt_error err = {0};
    CHECK(st->ops->listing_text_count(st, "\"lakeside\"", 100000, &c, &err) == 0, "count");
    CHECK(c > 0, "lakeside is indexed: %d", c);
    arena_release(&a);
}

TEST(test_terms_and_folding)
{
    search_terms t;
    search_terms_from_text(&t, "2BHK in Whitefield under 2 Cr with a Pool near SCHOOLS!", locs,
                           n_locs);
    CHECK_INT(t.n, 2);
    CHECK_STR(t.term[0], "pool");
    CHECK_STR(t.term[1], "school");
    CHECK(t.prefix[1], "school matches schools");
    search_terms_from_text(&t, "Квартира с бассейном рядом со Школой", NULL, 0);
    CHECK_INT(t.n, 2);
    CHECK_STR(t.term[0], "бассейном");
    CHECK_STR(t.term[1], "школой");
    search_terms_from_text(&t, "شقة مع مسبح في المدينة", NULL, 0);
    CHECK(t.n >= 1 && strcmp(t.term[0], "مسبح") == 0, "arabic term: %s", t.n ? t.term[0] : "-");
    char out[64];
    search_fold_word("Café", strlen("Café"), out, sizeof out);
    CHECK_STR(out, "cafe");
    search_fold_word("ÉCOLE", strlen("ÉCOLE"), out, sizeof out);
    CHECK_STR(out, "ecole");
    arena a;
    arena_init(&a, 0);
    search_terms_from_text(&t, "pool and gym", NULL, 0);
    const char *m = search_terms_match(&t, false, &a);
    CHECK_STR(m, "\"pool\" OR \"pools\" OR \"gym\"");
    /* BM25: the word in the project beats the word in the description only */
    listing x, y, z;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    memset(&z, 0, sizeof z);
    x.project = "Lakeside Park";
    x.description = "a home";
    y.project = "Hill View";
    y.description = "a home near the lakeside promenade and more words here";
    z.project = "Sky";
    z.description = "nothing to see";
    search_terms_from_text(&t, "lakeside", NULL, 0);
    const listing *ls[3] = {&x, &y, &z};
    double sc[3];
    search_text_scores(&t, ls, 3, sc, &a);
    CHECK(sc[0] > sc[1] && sc[1] > 0 && sc[2] == 0, "bm25 %f %f %f", sc[0], sc[1], sc[2]);
    arena_release(&a);
}

TEST(test_fusion_and_pick)
{
    arena a;
    arena_init(&a, 0);
    search_cand c[6];
    memset(c, 0, sizeof c);
    static const char *const ids[] = {"a1", "a2", "a3", "b1", "c1", "d1"};
    static const char *const proj[] = {"A", "A", "A", "B", "C", "D"};
    for (int i = 0; i < 6; i++) {
        c[i].l.id = ids[i];
        c[i].l.project = proj[i];
        c[i].fit = 1.0 - i * 0.1;   /* a1 best ... d1 worst */
        c[i].semantic = -1;
        c[i].purpose = 0.5;
    }
    c[5].sold_out = true;
    search_weights w = {1, 1, 0, 0, 1};
    search_fuse(c, 6, &w, &a);
    /* fit rank 1 and the shared purpose rank: 1/61 + 0; text absent */
    CHECK(fabs(c[0].fused - 1.0 / 61) < 1e-12, "a1 %f", c[0].fused);
    CHECK(fabs(c[1].fused - 1.0 / 62) < 1e-12, "a2 %f", c[1].fused);
    CHECK(c[5].fused < 0, "sold out last");
    /* the text list lifts c1 over b1 */
    c[4].text = 2.0;
    search_fuse(c, 6, &w, &a);
    CHECK(c[4].fused > c[3].fused, "text counts");
    listing out[5];
    unsigned rel[5];
    int n = 0;
    search_pick(c, 6, 1, 5, out, rel, &n, &a);
    CHECK_INT(n, 5);
    /* fused order c1 a1 a2 a3 b1 d1(sold out); one per project first, then
     * the second of A: never A twice while B or D is left */
    CHECK_STR(out[0].id, "c1");
    CHECK_STR(out[1].id, "a1");
    CHECK_STR(out[2].id, "b1");
    CHECK_STR(out[3].id, "d1");
    CHECK_STR(out[4].id, "a2");
    arena_release(&a);
}

TEST(test_neighbours_and_market)
{
    int idx[2];
    int n = search_neighbours(locs, n_locs, "Whitefield", TX_BUY, 25, idx, 2);
    CHECK_INT(n, 2);
    CHECK_STR(locs[idx[0]].locality, "Marathahalli");
    CHECK_STR(locs[idx[1]].locality, "KR Puram");
    CHECK(search_distance_km(12.9698, 77.7500, 12.9591, 77.6974) > 5.5 &&
          search_distance_km(12.9698, 77.7500, 12.9591, 77.6974) < 6.0, "haversine");
    CHECK_INT(search_neighbours(locs, n_locs, "Nowhere", TX_BUY, 25, idx, 2), 0);

    market_area m;
    CHECK(market_area_get(locs, n_locs, "Devanahalli", TX_BUY, &m) == 0, "devanahalli");
    CHECK(m.ppsf_vs_city_pct < -30 && m.emerging, "cheap and emerging: %.0f%%, %.0f%% off plan",
          m.ppsf_vs_city_pct, m.off_plan_pct);
    CHECK_INT(m.verdict, MARKET_STRONG);
    CHECK(market_area_get(locs, n_locs, "Koramangala", TX_BUY, &m) == 0, "koramangala");
    CHECK(m.ppsf_vs_city_pct > 20 && !m.emerging, "dear: %.0f%%", m.ppsf_vs_city_pct);
    CHECK_INT(m.verdict, MARKET_PREMIUM);
    CHECK_INT(market_area_get(locs, n_locs, "Atlantis", TX_BUY, &m), -PT_ERR_NOT_FOUND);
    market_area e[5];
    int k = market_emerging(locs, n_locs, TX_BUY, 0, "Bangalore", e, 5);
    CHECK(k >= 2, "emerging areas in Bangalore: %d", k);
    int made = 0;
    for (int i = 0; i < k; i++) {
        for (int j = 0; j < inv_n_localities; j++)
            if (strcmp(inv_localities[j].name, e[i].loc->locality) == 0)
                made += inv_localities[j].emerging;
        CHECK(e[i].ppsf_vs_city_pct <= -MARKET_EMERGING_DISCOUNT_PCT &&
              e[i].off_plan_pct >= MARKET_EMERGING_OFFPLAN_PCT, "%s meets the definition",
              e[i].loc->locality);
        CHECK(strcmp(e[i].loc->city, "Bangalore") == 0, "in the city asked");
        CHECK(i == 0 || e[i].f->avg_yield <= e[i - 1].f->avg_yield, "best yield first");
    }
    CHECK(made >= 1, "one the generator made emerging is found");
    /* the stats split by transaction */
    for (int i = 0; i < n_locs; i++)
        CHECK_INT(locs[i].sale.listings + locs[i].rent.listings, locs[i].listings);
}

TEST_MAIN(setup(); RUN(test_constraints_random_wishes); RUN(test_relaxation_budget_and_neighbour);
          RUN(test_cheaper_and_better); RUN(test_semantic_list); RUN(test_text_relevance);
          RUN(test_terms_and_folding); RUN(test_fusion_and_pick); RUN(test_neighbours_and_market);
          teardown();)
