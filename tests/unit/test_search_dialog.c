/*
 * test_search_dialog.c - the search answers of the conversation on a
 * generated inventory (bench/search_inventory.c, 4,000 listings, fixed
 * seed), driven by hand-made NLU results: the buyer is told what was
 * relaxed (what the budget buys, the neighbouring area) and never just "no
 * results"; cheaper and better options; comparing two areas, an area as an
 * investment and emerging areas answered from the inventory's figures, in
 * English, Arabic and Russian; a stated budget is never mistaken for
 * "cheaper".
 */
#include "test.h"

#include "../../bench/search_inventory.c"

#include "core/money.h"
#include "dialog/dialog.h"
#include "search/market.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static store *st;
static pack *pk;
static tenant ten;
static arena mem;
static store_locality_stats *locs;
static int n_locs;
static listing *all;
static int n_all;

static void setup(void)
{
    pt_error err = {0};
    char url[128];
    snprintf(dir, sizeof dir, "/tmp/pt_sdialog_XXXXXX");
    if (mkdtemp(dir) == NULL)
        exit(1);
    snprintf(url, sizeof url, "sqlite:%s/d.db", dir);
    CHECK(store_open(url, &st, &err) == 0, "open: %s", err.msg);
    memset(&ten, 0, sizeof ten);
    snprintf(ten.slug, sizeof ten.slug, "gen");
    snprintf(ten.name, sizeof ten.name, "Gen Homes");
    memcpy(ten.currency, "INR", 4);
    memcpy(ten.region, "IN", 3);
    snprintf(ten.timezone, sizeof ten.timezone, "Asia/Kolkata");
    CHECK(st->ops->tenant_create(st, &ten, "k", &err) == 0, "tenant: %s", err.msg);
    inv_gen g;
    listing l;
    inv_init(&g, 11, 4000);
    CHECK(st->ops->import_begin(st, &err) == 0, "begin");
    while (inv_next(&g, &l) == 0)
        st->ops->listing_upsert(st, ten.id, &l, &err);
    CHECK(st->ops->import_commit(st, &err) == 0, "commit: %s", err.msg);
    CHECK(pack_load("packs", NULL, &pk, &err) == 0, "pack: %s", err.msg);
    arena_init(&mem, 0);
    CHECK(st->ops->locality_stats(st, ten.id, TX_NONE, &mem, &locs, &n_locs, &err) == 0, "stats");
    store_listing_query q;
    memset(&q, 0, sizeof q);
    q.bedrooms = -1;
    q.limit = 10000;
    CHECK(st->ops->listing_search(st, ten.id, &q, &mem, &all, &n_all, &err) == 0, "all");
}

static void teardown(void)
{
    char cmd[128];
    pack_free(pk);
    store_close(st);
    arena_release(&mem);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

typedef struct convo {
    session s;
    profile p;
    reply r;
    arena a;
    dialog_env env;
} convo;

static void convo_init(convo *c, const char *sid, lang l)
{
    memset(c, 0, sizeof *c);
    session_init(&c->s, l);
    profile_init(&c->p);
    arena_init(&c->a, 0);
    c->env = (dialog_env){.tenant = &ten, .pack = pk, .store = st, .session_id = sid,
                          .user_id = sid, .now = time(NULL), .arena = &c->a,
                          .localities = locs, .n_localities = n_locs};
}

static nlu_result nlu(const char *text, const char *intent, const char *language)
{
    nlu_result n;
    memset(&n, 0, sizeof n);
    n.text = text;
    n.language = language;
    n.language_sure = true;
    n.intent = intent;
    n.confidence = 0.9;
    n.bedrooms = -1;
    return n;
}

static void turn(convo *c, const nlu_result *n)
{
    pt_error err = {0};
    CHECK(dialog_turn(&c->env, &c->s, &c->p, n, NULL, &c->r, &err) == 0, "turn: %s", err.msg);
}

/* "2BHK in <loc> under <max> to buy" */
static nlu_result wish(const char *text, const char *loc, int beds, money max)
{
    nlu_result n = nlu(text, "property_search", "en");
    n.found = NLU_BEDROOMS | NLU_LOCATIONS | NLU_BUDGET | NLU_TX;
    n.bedrooms = beds;
    n.tx = TX_BUY;
    n.n_locations = 1;
    n.locations[0] = loc;
    n.has_budget_max = true;
    n.budget_max = max;
    memcpy(n.currency, "INR", 4);
    return n;
}

static money cheapest(const char *loc, int beds)
{
    money m = 0;
    for (int i = 0; i < n_all; i++)
        if (all[i].tx == TX_BUY && all[i].bedrooms == beds && strcmp(all[i].locality, loc) == 0 &&
            (m == 0 || all[i].price < m))
            m = all[i].price;
    return m;
}

TEST(test_told_what_was_relaxed)
{
    convo c;
    convo_init(&c, "relax", LANG_EN);
    money min_w = cheapest("Whitefield", 2);
    nlu_result n = wish("2BHK in Whitefield under budget", "Whitefield", 2, min_w / 2);
    turn(&c, &n);
    printf("    %s\n", c.r.text);
    CHECK(c.r.n_sources >= 3, "alternatives shown: %d", c.r.n_sources);
    CHECK(strstr(c.r.text, "Nothing matches") != NULL, "says nothing matched exactly");
    CHECK(strstr(c.r.text, "could not find") == NULL, "never just no results");
    char from[48];
    money_format(from, sizeof from, min_w, "INR", 0);
    CHECK(strstr(c.r.text, from) != NULL, "says where it starts: %s", from);

    /* a budget the neighbour meets */
    money min_n = cheapest("KR Puram", 2), min_m = cheapest("Marathahalli", 2);
    const char *nb = min_m && (min_n == 0 || min_m < min_n) ? "Marathahalli" : "KR Puram";
    money b = min_m && (min_n == 0 || min_m < min_n) ? min_m : min_n;
    if (b && b * 11 / 10 < min_w) {
        convo d;
        convo_init(&d, "neigh", LANG_EN);
        nlu_result m = wish("2BHK in Whitefield", "Whitefield", 2, b);
        turn(&d, &m);
        printf("    %s\n", d.r.text);
        CHECK(strstr(d.r.text, "neighbour") && strstr(d.r.text, nb), "names the neighbour %s", nb);
        arena_release(&d.a);
    }
    arena_release(&c.a);
}

TEST(test_cheaper_and_better_options)
{
    convo c;
    convo_init(&c, "cb", LANG_EN);
    money b = cheapest("Hebbal", 3) * 14 / 10;
    nlu_result n = wish("3BHK in Hebbal", "Hebbal", 3, b);
    turn(&c, &n);
    CHECK(c.r.n_sources >= 1, "results");
    money shown_max = 0;
    for (int i = 0; i < c.r.n_sources; i++)
        if (c.r.sources[i].price > shown_max)
            shown_max = c.r.sources[i].price;
    n = nlu("show me cheaper options", "property_search", "en");
    turn(&c, &n);
    printf("    %s\n", c.r.text);
    CHECK(strstr(c.r.text, "10–20% below") != NULL, "the cheaper band is said");
    for (int i = 0; i < c.r.n_sources; i++)
        CHECK(c.r.sources[i].price < b, "cheaper than the budget");
    CHECK_INT(c.s.slots.budget_max, b);   /* the wish itself is kept */
    n = nlu("something better for a bit more", "property_search", "en");
    turn(&c, &n);
    printf("    %s\n", c.r.text);
    CHECK(strstr(c.r.text, "10–15%") != NULL, "the better band is said");

    /* with a phone, the results offer both as buttons, and the buttons work */
    n = nlu("+91 98450 12345", "inform", "en");
    n.found = NLU_PHONE;
    snprintf(n.phone, sizeof n.phone, "+919845012345");
    turn(&c, &n);
    pt_error err = {0};
    CHECK(dialog_turn(&c.env, &c.s, &c.p, NULL, "action:more", &c.r, &err) == 0, "more");
    bool cheaper_button = false;
    for (int i = 0; i < c.r.n_buttons; i++)
        cheaper_button |= strcmp(c.r.buttons[i].data, "market:cheaper") == 0;
    CHECK(cheaper_button, "a cheaper-options button after results");
    CHECK(dialog_turn(&c.env, &c.s, &c.p, NULL, "market:cheaper", &c.r, &err) == 0, "press");
    CHECK(strstr(c.r.text, "10–20%") != NULL, "the button shows cheaper options: %s", c.r.text);

    /* "cheaper than 2 Cr" states a budget: a normal search */
    convo d;
    convo_init(&d, "notcheaper", LANG_EN);
    nlu_result m = wish("something cheaper than 2 Cr in Hebbal", "Hebbal", 3, 20000000);
    turn(&d, &m);
    CHECK(strstr(d.r.text, "10–20%") == NULL, "not the cheaper band");
    CHECK_INT(d.s.slots.budget_max, 20000000);
    arena_release(&c.a);
    arena_release(&d.a);
}

/* "more", again and again: no listing of this conversation comes back while
 * unseen ones fit (with the last list alone left out, "more" went back and
 * forth between two lists), and once every fitting one has been seen the
 * answer says so instead of "nothing matches". */
TEST(test_more_until_seen_all)
{
    convo c;
    convo_init(&c, "more", LANG_EN);
    nlu_result n = wish("2BHK in Whitefield", "Whitefield", 2, cheapest("Whitefield", 2) * 3);
    turn(&c, &n);
    char seen[64][DIALOG_ID_LEN];
    int n_seen = 0, repeats = 0;
    bool said_all = false;
    for (int round = 0; round < 6 && n_seen < 20; round++) {
        for (int i = 0; i < c.r.n_sources; i++) {
            for (int j = 0; j < n_seen; j++)
                repeats += strcmp(seen[j], c.r.sources[i].id) == 0;
            if (n_seen < 64)
                snprintf(seen[n_seen++], DIALOG_ID_LEN, "%s", c.r.sources[i].id);
        }
        pt_error err = {0};
        CHECK(dialog_turn(&c.env, &c.s, &c.p, NULL, "action:more", &c.r, &err) == 0, "more");
        said_all |= strstr(c.r.text, "You have seen every listing") != NULL;
        CHECK(strstr(c.r.text, "Nothing matches") == NULL, "round %d: %s", round, c.r.text);
    }
    CHECK(repeats == 0, "%d listings came back among %d seen", repeats, n_seen);
    CHECK(said_all, "told when every fitting listing has been seen");
    arena_release(&c.a);
}

TEST(test_compare_areas)
{
    convo c;
    convo_init(&c, "cmp", LANG_EN);
    nlu_result n = nlu("compare Whitefield and Hebbal", "inform", "en");
    n.found = NLU_LOCATIONS;
    n.n_locations = 2;
    n.locations[0] = "Whitefield";
    n.locations[1] = "Hebbal";
    turn(&c, &n);
    printf("    %s\n", c.r.text);
    market_area w, h;
    CHECK(market_area_get(locs, n_locs, "Whitefield", TX_BUY, &w) == 0 &&
          market_area_get(locs, n_locs, "Hebbal", TX_BUY, &h) == 0, "figures");
    char pw[48], ph[48];
    money_format(pw, sizeof pw, (money)(w.f->median_price_per_sqft + 0.5), "INR", 0);
    money_format(ph, sizeof ph, (money)(h.f->median_price_per_sqft + 0.5), "INR", 0);
    CHECK(strstr(c.r.text, pw) && strstr(c.r.text, ph), "both medians from the inventory: %s %s", pw, ph);
    CHECK(strstr(c.r.text, "cheaper per sq ft") != NULL, "which is cheaper");
    CHECK(strstr(c.r.text, "not from a forecast") != NULL, "the source is said");
    CHECK_INT(c.s.slots.n_locations, 0);   /* compared, not wished for */
    bool buttons = c.r.n_buttons >= 2;
    CHECK(buttons, "buttons to see either area");

    /* in Arabic, and in Russian with a "cheaper" word and two areas */
    convo a;
    convo_init(&a, "cmp-ar", LANG_AR);
    nlu_result na = nlu("قارن بين Whitefield و Hebbal", "inform", "ar");
    na.found = NLU_LOCATIONS;
    na.n_locations = 2;
    na.locations[0] = "Whitefield";
    na.locations[1] = "Hebbal";
    turn(&a, &na);
    CHECK(strstr(a.r.text, "للقدم المربعة") != NULL && strstr(a.r.text, "Hebbal") != NULL,
          "arabic comparison: %s", a.r.text);
    convo r;
    convo_init(&r, "cmp-ru", LANG_RU);
    nlu_result nr = nlu("Что дешевле, Whitefield или Hebbal?", "location_inquiry", "ru");
    nr.found = NLU_LOCATIONS;
    nr.n_locations = 2;
    nr.locations[0] = "Whitefield";
    nr.locations[1] = "Hebbal";
    turn(&r, &nr);
    CHECK(strstr(r.r.text, "за кв. фут") != NULL, "russian comparison: %s", r.r.text);
    arena_release(&c.a);
    arena_release(&a.a);
    arena_release(&r.a);
}

TEST(test_area_outlook_and_emerging)
{
    convo c;
    convo_init(&c, "inv", LANG_EN);
    nlu_result n = nlu("is Devanahalli a good investment?", "investment_inquiry", "en");
    n.found = NLU_LOCATIONS | NLU_PURPOSE;
    n.purpose = PURPOSE_INVESTMENT;
    n.n_locations = 1;
    n.locations[0] = "Devanahalli";
    turn(&c, &n);
    printf("    %s\n", c.r.text);
    market_area m;
    CHECK(market_area_get(locs, n_locs, "Devanahalli", TX_BUY, &m) == 0, "figures");
    CHECK(strstr(c.r.text, "Devanahalli in our listings") != NULL, "the area's figures");
    if (m.verdict == MARKET_STRONG)
        CHECK(strstr(c.r.text, "good sign") != NULL, "the verdict");
    CHECK_INT(c.s.slots.purpose, PURPOSE_INVESTMENT);
    CHECK_INT(c.s.slots.n_locations, 0);

    convo e;
    convo_init(&e, "emg", LANG_EN);
    nlu_result ne = nlu("which areas are emerging?", "location_inquiry", "en");
    turn(&e, &ne);
    printf("    %s\n", e.r.text);
    market_area best[3];
    int k = market_emerging(locs, n_locs, TX_BUY, 0, NULL, best, 3);
    CHECK(k > 0 && strstr(e.r.text, best[0].loc->locality) != NULL, "the best emerging area named");
    arena_release(&c.a);
    arena_release(&e.a);
}

TEST_MAIN(setup(); RUN(test_told_what_was_relaxed); RUN(test_cheaper_and_better_options);
          RUN(test_more_until_seen_all);
          RUN(test_compare_areas); RUN(test_area_outlook_and_emerging); teardown();)
