/*
 * chat_answers.c - every answer of a fixed set of conversations, for checking
 * that a change keeps them (diff the output of two builds).
 *
 * Loads the demo tenants into a fresh SQLite store at a fixed time and
 * plays a set of conversations with both (bench/chat.lua's eight messages,
 * then others: areas, budgets, types, words such as "pool" or "school",
 * Arabic and Russian, "more", "cheaper", "better", questions about the
 * listings shown, areas ruled out) through engine_chat, printing each answer without
 * response_time_ms.  Then it changes listings through a second store handle,
 * as the admin API or an import would (a new listing, an update of another's
 * words and price, a delete), and plays the whole set again: the answers
 * after the change show that nothing stale was kept.
 *
 *   build/bench/chat_answers > answers.txt
 */
#include "demo/demo.h"
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOW ((time_t)1795000000)   /* 2026-11-18, fixed: slots and dates repeat */

typedef struct conv {
    const char *tenant;
    const char *msgs[10];   /* "@data": a button press */
} conv;

static const conv convs[] = {
    {"dubai-demo", {"hi", "I am looking to invest", "around 2 million AED", "an apartment", "JVC",
                    "+971 50 412 7789", "how much is the first one?", "does it have a pool?"}},
    {"dubai-demo", {"hi", "looking for a 2 bedroom apartment in Dubai Marina under 2.5 million",
                    "with a pool and gym", "@action:more", "@market:cheaper", "@market:better",
                    "does it have parking?", "how much is the second one?"}},
    {"dubai-demo", {"I want to buy a villa in Palm Jumeirah", "budget 15 million",
                    "sea view please", "+971501234567", "show me something cheaper",
                    "what about Arabian Ranches"}},
    {"dubai-demo", {"studio for rent in JVC under 60k a year", "near metro", "@action:more"}},
    {"dubai-demo", {"شقة للبيع في دبي مارينا بمليوني درهم", "مع مسبح"}},
    {"dubai-demo", {"Ищу квартиру в Business Bay до 3 миллионов дирхамов", "с бассейном"}},
    {"dubai-demo", {"office space in Business Bay to buy under 5 million", "@action:more"}},
    {"dubai-demo", {"investment, 1 bedroom in Dubai South around 700k",
                    "compare JVC and Dubai South", "@market:better"}},
    {"dubai-demo", {"townhouse in Dubai Hills Estate under 3 million for family living with a "
                    "school nearby", "@market:cheaper"}},
    {"dubai-demo", {"penthouse in Downtown Dubai under 1 million"}},
    {"dubai-demo", {"3 bedroom villa in Jumeirah Village Triangle under 2 million",
                    "what about 4 bedrooms", "any area is fine"}},
    {"dubai-demo", {"apartment in Al Furjan with a rooftop terrace and private pool around 1.5M",
                    "Azure Coast Developments projects only", "@action:more"}},
    {"dubai-demo", {"hi", "for living", "1 million", "studio", "Dubai Silicon Oasis",
                    "something better", "the second one", "brochure please"}},
    {"bangalore-demo", {"hi", "2 BHK in Whitefield under 1 Cr", "with clubhouse and swimming pool",
                        "@action:more", "@market:cheaper"}},
    {"bangalore-demo", {"3 BHK villa in Sarjapur Road for investment around 3 Cr",
                        "@market:better", "is it ready to move?"}},
    {"bangalore-demo", {"plot in Devanahalli under 50 lakh"}},
    {"bangalore-demo", {"2 BHK for rent in Koramangala under 5 lakh a year",
                        "near a good school", "@action:more"}},
    {"bangalore-demo", {"cheap 1 BHK in Indiranagar under 20 lakh"}},
    {"bangalore-demo", {"4 BHK in Hebbal or Yelahanka between 2 and 3 Cr", "Lakeview project"}},
    {"bangalore-demo", {"whitfield 3bhk 1.5cr gated community", "@market:better",
                        "@action:more"}},
    /* areas ruled out (after the others, so their session ids stay) */
    {"dubai-demo", {"2 bedroom apartment in Dubai Marina under 3 million", "not Marina, JVC",
                    "JBR instead of JVC", "not JBR", "Business Bay"}},
    {"dubai-demo", {"شقة غرفتين في دبي مارينا بثلاثة ملايين درهم", "مش مارينا، بزنس باي"}},
    {"bangalore-demo", {"2 BHK in Whitefield under 1 Cr", "no, in Whitefield",
                        "not sure, maybe Hebbal"}},
};
#define N_CONVS (int)(sizeof convs / sizeof convs[0])

/* Prints json without its "response_time_ms" member. */
static void print_answer(const char *json)
{
    const char *k = strstr(json, "\"response_time_ms\":");
    if (k == NULL) {
        puts(json);
        return;
    }
    const char *v = k + strlen("\"response_time_ms\":");
    while (*v == ' ' || (*v >= '0' && *v <= '9') || *v == '.')
        v++;
    size_t head = (size_t)(k - json);
    if (*v == ',')
        v++;
    else if (head > 0 && json[head - 1] == ',')
        head--;              /* the last member: its comma goes with it */
    printf("%.*s%s\n", (int)head, json, v);
}

static int play(engine *e, const demo_info *info, int pass)
{
    int failed = 0;
    for (int c = 0; c < N_CONVS; c++) {
        const char *key = NULL;
        for (int i = 0; i < info->n_tenants; i++)
            if (strcmp(info->tenants[i].slug, convs[c].tenant) == 0)
                key = info->tenants[i].api_key;
        char sid[32];
        snprintf(sid, sizeof sid, "answers-%d-%d", pass, c);
        for (int i = 0; i < 10 && convs[c].msgs[i]; i++) {
            const char *m = convs[c].msgs[i];
            arena a;
            arena_init(&a, 16u << 20);
            chat_request req = {.query = m[0] == '@' ? "" : m, .session_id = sid,
                                .user_id = sid, .callback_data = m[0] == '@' ? m + 1 : NULL,
                                .now = NOW + 60 * i};
            char *json = NULL;
            pt_error err = {0};
            printf("== %s %s: %s\n", convs[c].tenant, sid, m);
            if (engine_chat(e, key, &req, &a, &json, &err) != 0) {
                printf("error: %s\n", err.msg);
                failed++;
            } else {
                print_answer(json);
            }
            arena_release(&a);
        }
    }
    return failed;
}

/* New, updated and deleted listings of dubai-demo, through another handle. */
static int change_listings(const char *url, pt_error *err)
{
    store *s = NULL;
    tenant t;
    arena a;
    int rc = 0;
    arena_init(&a, 0);
    if ((rc = store_open(url, &s, err)) != 0 ||
        (rc = s->ops->tenant_by_slug(s, "dubai-demo", &t, err)) != 0)
        goto done;
    listing *page = NULL;
    int n = 0;
    rc = s->ops->listing_page(s, t.id, NULL, 0, 100, &a, &page, &n, err);
    if (rc || n < 3)
        goto done;
    /* a new listing much like an existing JVC one, with words of the
     * conversations ("JVC", "pool", "rooftop") */
    listing l = page[0];
    for (int i = 0; i < n; i++)
        if (page[i].locality && strcmp(page[i].locality, "Jumeirah Village Circle") == 0 &&
            page[i].type == PTYPE_APARTMENT) {
            l = page[i];
            break;
        }
    l.id = "DXB-NEW-1";
    l.title = "JVC rooftop apartment with private pool";
    l.price = 1990000;
    l.project = "Answers Court";
    if ((rc = s->ops->listing_upsert(s, t.id, &l, err)) != 0)
        goto done;
    /* another's words and price */
    listing u = page[1];
    u.amenities = "pool;gym;rooftop terrace;school nearby";
    u.description = "JVC family home near a school, sea view";
    u.price = u.price / 10 * 9;
    if ((rc = s->ops->listing_upsert(s, t.id, &u, err)) != 0)
        goto done;
    rc = s->ops->listing_delete(s, t.id, page[2].id, err);
done:
    store_close(s);
    arena_release(&a);
    return rc;
}

int main(void)
{
    char dir[] = "/tmp/pt-chat-answers-XXXXXX", url[128], cmd[160];
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(url, sizeof url, "sqlite:%s/proptalk.db", dir);
    pt_error err = {0};
    store *s = NULL;
    demo_info info;
    engine *e = NULL;
    int rc = 1;
    if (store_open(url, &s, &err) != 0 || demo_load(s, "bench-secret", NOW, &info, &err) != 0) {
        fprintf(stderr, "demo: %s\n", err.msg);
        goto done;
    }
    store_close(s);
    s = NULL;
    engine_config cfg = {.db_url = url, .packs_dir = "packs", .store_handles = 2};
    if (engine_open(&cfg, &e, &err) != 0) {
        fprintf(stderr, "engine: %s\n", err.msg);
        goto done;
    }
    int failed = play(e, &info, 0);
    if (change_listings(url, &err) != 0) {
        fprintf(stderr, "change: %s\n", err.msg);
        goto done;
    }
    printf("== listings changed\n");
    failed += play(e, &info, 1);
    rc = failed != 0;
done:
    engine_close(e);
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
