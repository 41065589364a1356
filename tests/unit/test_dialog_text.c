/*
 * test_dialog_text.c - the dialog's own text searches against what they
 * replace: the objection words in one pass (director.c) against a strstr of
 * every word, and dialog_has_casei against strcasestr (C locale), over
 * fixed and random messages.
 */
#include "test.h"

#include "../../src/dialog/director.c"
#include "core/money.h"
#include "pack/pack.h"

#include <stdlib.h>

/* ---- market_kind_of before the no-cue shortcut, the reference ---- */
static bool ref_cue(const dialog_env *env, uint64_t hits, const char *key, const char *msg,
                size_t msg_len)
{
    int id = pack_cue_id(env->pack, key);
    if (id < 0)
        return false;
    if (id < PACK_CUE_BITS)
        return (hits >> id) & 1;
    const pack_phrase *ph = NULL;
    int n = pack_cue_phrases(env->pack, key, &ph);
    for (int i = 0; i < n; i++)
        if (ph[i].n <= msg_len && memmem(msg, msg_len, ph[i].s, ph[i].n))
            return true;
    return false;
}

static market_kind ref_market_kind_of(const dialog_env *env, const session *s, const nlu_result *n,
                           const char *cb)
{
    if (cb) {
        if (strcmp(cb, "market:cheaper") == 0)
            return MK_CHEAPER;
        if (strcmp(cb, "market:better") == 0)
            return MK_BETTER;
        if (strcmp(cb, "market:emerging") == 0)
            return MK_EMERGING;
        return MK_NONE;
    }
    if (n == NULL || n->text == NULL)
        return MK_NONE;
    const char *msg = pack_fold(env->arena, n->text);
    if (msg == NULL)
        msg = "";
    size_t ml = strlen(msg);
    uint64_t h = pack_cue_scan(env->pack, msg, ml);
    int locs = (n->found & NLU_LOCATIONS) ? n->n_locations : 0;
    bool cheaper = ref_cue(env, h, "cue_cheaper", msg, ml), better = ref_cue(env, h, "cue_better", msg, ml);
    bool compare = ref_cue(env, h, "cue_compare", msg, ml);
    if (locs >= 2 && (compare || cheaper || better))
        return MK_COMPARE;
    if (locs == 1 && compare && s->slots.n_locations > 0)
        return MK_COMPARE;   /* "compare it with Hebbal": with the area asked for */
    if (ref_cue(env, h, "cue_emerging", msg, ml))
        return MK_EMERGING;
    /* a budget, bedrooms or a type make it a search, not an outlook question */
    bool search = (n->found & (NLU_BUDGET | NLU_BEDROOMS | NLU_PTYPE)) != 0;
    if (locs >= 1 && !search && (ref_cue(env, h, "cue_investment", msg, ml) ||
                      (n->intent && strcmp(n->intent, "investment_inquiry") == 0)))
        return MK_AREA;
    /* "something cheaper than 2 Cr" states a budget: that is the wish */
    if (n->found & NLU_BUDGET)
        return MK_NONE;
    if (cheaper)
        return MK_CHEAPER;
    if (better)
        return MK_BETTER;
    return MK_NONE;
}



static unsigned kinds_by_strstr(const char *text)
{
    char low[512];
    size_t n = strlen(text);
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)text[i]);
    low[n] = '\0';
    unsigned k = 0;
    for (size_t i = 0; i < N_OBJ_WORDS; i++)
        if (strstr(low, obj_words[i].w))
            k |= obj_words[i].kind;
    return k;
}

/* A random message from pieces that make and nearly make the words. */
static void random_text(char *out, size_t size, unsigned *seed)
{
    static const char *const bits[] = {
        "too", " ", "far", "much", "expens", "ive", "cost", "ly", "over", "priced", "cheap", "er",
        "TOO", "Far", "SCAM", "Trust", "eXpensive", "CHEAPER", "Д", "ДОРОГО",
        "غال", "ي", "گر", "ان", "доро", "го", "tra", "ffic", "بع", "يد", "د", "ور", "дале", "ко",
        "sc", "am", "fra", "ud", "tru", "st", "fa", "ke", "احت", "يال", "کلاه", "برداری", "мош",
        "ен", "bad", "area", "from", "x", "t", "f", "\xd8", "\xd0",
    };
    size_t o = 0;
    int n = (int)(rand_r(seed) % 12);
    for (int i = 0; i < n; i++) {
        const char *b = bits[rand_r(seed) % (sizeof bits / sizeof bits[0])];
        size_t bl = strlen(b);
        if (o + bl + 1 > size)
            break;
        memcpy(out + o, b, bl);
        o += bl;
    }
    out[o] = '\0';
}

TEST(test_objection_kinds)
{
    static const char *const fixed[] = {
        "", "too", "too much", "this is too much!", "expensive", "it's overpriced and too far",
        "scam", "trust me", "far from everything", "بعيد", "دور", "غالي جدا", "это дорого",
        "мошенники", "کلاهبرداری", "the traffic is bad", "fake", "cheapest", "bad area and fake",
        "TOO MUCH", "Too Far", "It's a SCAM", "FaKe", "Bad Area",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        CHECK_INT(objection_kinds(fixed[i], strlen(fixed[i])), kinds_by_strstr(fixed[i]));
    unsigned seed = 7;
    int bad = 0;
    char buf[256];
    for (int r = 0; r < 50000; r++) {
        random_text(buf, sizeof buf, &seed);
        if (objection_kinds(buf, strlen(buf)) != kinds_by_strstr(buf) && bad++ < 5)
            CHECK(0, "\"%s\": one pass %u, strstr %u", buf, objection_kinds(buf, strlen(buf)),
                  kinds_by_strstr(buf));
    }
    CHECK_INT(bad, 0);
}

TEST(test_has_casei)
{
    static const char *const hay[] = {
        "", "a", "Ghaf Residences", "how much is GHAF RESIDENCES?", "ghaf residence",
        "tell me about 3br apartment in ghaf residences please", "Résumé", "RÉSUMÉ", "[Ghaf]",
        "@`{", "ghaF ReSiDeNcEs", "gggghaf",
    };
    static const char *const needles[] = {
        "a", "Ghaf Residences", "3BR apartment in Ghaf Residences", "ghaf", "résumé", "É", "@",
        "`", "[", "{", "ggghaf", "S?",
    };
    for (size_t i = 0; i < sizeof hay / sizeof hay[0]; i++)
        for (size_t j = 0; j < sizeof needles / sizeof needles[0]; j++)
            CHECK(dialog_has_casei(hay[i], strlen(hay[i]), needles[j])
                      == (strcasestr(hay[i], needles[j]) != NULL),
                  "\"%s\" in \"%s\"", needles[j], hay[i]);
    unsigned seed = 11;
    int bad = 0;
    for (int r = 0; r < 50000; r++) {
        char h[24], n[6];
        size_t hl = rand_r(&seed) % sizeof h, nl = 1 + rand_r(&seed) % (sizeof n - 1);
        static const char alpha[] = "aAbB@[`{ \xc3\x89";
        for (size_t k = 0; k < hl; k++)
            h[k] = alpha[rand_r(&seed) % (sizeof alpha - 1)];
        h[hl] = '\0';
        for (size_t k = 0; k < nl; k++)
            n[k] = alpha[rand_r(&seed) % (sizeof alpha - 1)];
        n[nl] = '\0';
        if (dialog_has_casei(h, hl, n) != (strcasestr(h, n) != NULL) && bad++ < 5)
            CHECK(0, "\"%s\" in \"%s\"", n, h);
    }
    CHECK_INT(bad, 0);
}

#pragma GCC diagnostic ignored "-Wformat-truncation"   /* the cut is what is tested */

/* dialog_cat writes what snprintf(dst, size, "%s%s", a, b) writes, also
 * when a is dst (appending). */
TEST(test_cat)
{
    unsigned seed = 5;
    int bad = 0;
    for (int r = 0; r < 50000; r++) {
        char a[40], b[40], got[48], want[48];
        size_t la = rand_r(&seed) % sizeof a, lb = rand_r(&seed) % sizeof b;
        for (size_t k = 0; k < la; k++)
            a[k] = (char)('a' + rand_r(&seed) % 26);
        a[la] = '\0';
        for (size_t k = 0; k < lb; k++)
            b[k] = (char)('A' + rand_r(&seed) % 26);
        b[lb] = '\0';
        size_t size = 1 + rand_r(&seed) % sizeof got;
        memset(got, 'x', sizeof got);
        memset(want, 'x', sizeof want);
        snprintf(want, size, "%s%s", a, b);
        if (r % 3 == 0) {   /* appending: a is dst */
            snprintf(got, size, "%s", a);
            char a2[48];
            snprintf(a2, size, "%s", a);
            snprintf(want, size, "%s%s", a2, b);
            dialog_cat(got, size, got, b);
        } else if (r % 3 == 1) {
            dialog_cat(got, size, a, b);
        } else {
            dialog_copy(got, size, a);
            memset(want, 'x', sizeof want);
            snprintf(want, size, "%s", a);
        }
        if (memcmp(got, want, sizeof got) != 0 && bad++ < 5)
            CHECK(0, "\"%s\" + \"%s\" in %zu: \"%s\", want \"%s\"", a, b, size, got, want);
    }
    CHECK_INT(bad, 0);
}

/* market_kind_of (with its shortcut when no cue phrase is in the message)
 * gives what it gave before, over messages with and without cue phrases,
 * with 0-3 localities, both intents, a budget or not, areas asked or not. */
TEST(test_market_kind)
{
    pack *p = NULL;
    pt_error err = {0};
    if (pack_load("packs", "dubai-demo", &p, &err) != 0) {
        CHECK(0, "load: %s", err.msg);
        return;
    }
    static const char *const msgs[] = {
        "", "hi", "something cheaper please", "compare JVC and Marina", "JVC vs Dubai Marina",
        "is JVC a good investment?", "which areas are emerging", "I can stretch for something better",
        "Дешевле", "сравни Dubai Marina и JVC", "أرخص", "ارزان‌تر", "up and coming areas",
        "ROI of Business Bay", "show me villas", "what about Arabian Ranches", "cheap", "better",
    };
    static const char *const intents[] = {NULL, "investment_inquiry", "property_search"};
    arena a;
    arena_init(&a, 0);
    tenant tn = {0};
    dialog_env env = {.tenant = &tn, .pack = p, .arena = &a};
    int bad = 0, n = 0;
    for (size_t m = 0; m < sizeof msgs / sizeof msgs[0]; m++)
        for (int locs = 0; locs <= 3; locs++)
            for (size_t in = 0; in < sizeof intents / sizeof intents[0]; in++)
                for (int budget = 0; budget < 2; budget++)
                    for (int asked = 0; asked < 2; asked++) {
                        nlu_result r = {0};
                        r.text = msgs[m];
                        r.intent = intents[in];
                        r.n_locations = locs;
                        r.found = (locs ? NLU_LOCATIONS : 0) | (budget ? NLU_BUDGET : 0);
                        session s = {0};
                        s.slots.n_locations = asked;
                        market_kind got = market_kind_of(&env, &s, &r, NULL, NULL);
                        market_kind want = ref_market_kind_of(&env, &s, &r, NULL);
                        n++;
                        if (got != want && bad++ < 5)
                            CHECK(0, "\"%s\" locs %d intent %s budget %d asked %d: %d, want %d",
                                  msgs[m], locs, intents[in] ? intents[in] : "-", budget, asked,
                                  (int)got, (int)want);
                    }
    CHECK_INT(bad, 0);
    CHECK(n > 800, "%d cases", n);
    arena_release(&a);
    pack_free(p);
}

/* ---- listing_lines before the bound templates, the reference ---- */
static const char *ref_word(const dialog_env *env, const session *s, const char *key,
                            const char *const *vars)
{
    static const char *const none[] = {NULL};
    const pack_template *t = pack_template_get(env->pack, s->language, key);
    return t ? pack_template_render(env->arena, t, vars ? vars : none) : "";
}

static const char *ref_line(const dialog_env *env, const session *s, const listing *l, int index)
{
    char idx[16], n[16], units[16], key[32];
    snprintf(idx, sizeof idx, "%d", index);
    snprintf(n, sizeof n, "%d", l->bedrooms);
    snprintf(units, sizeof units, "%d", l->units_available);
    const char *nv[] = {"n", n, NULL}, *uv[] = {"units", units, NULL};
    const char *beds = l->bedrooms < 0 ? ""
                       : l->bedrooms == 0 ? ref_word(env, s, "bedrooms_studio", NULL)
                                          : ref_word(env, s, count_key(env, s, "bedrooms_n", l->bedrooms), nv);
    const char *units_key = l->units_available == 1
                                && pack_template_get(env->pack, s->language, "units_left_one")
                                ? "units_left_one" : "units_left";
    const char *units_text = l->units_available >= 0 ? ref_word(env, s, units_key, uv)
                                                     : ref_word(env, s, "units_unknown", NULL);
    snprintf(key, sizeof key, "type_%s", ptype_name(l->type) ? ptype_name(l->type) : "apartment");
    char buf[64], area[48];
    money_format(buf, sizeof buf, l->price, env->tenant->currency, 0);
    const char *price = l->tx == TX_RENT
                            ? arena_join(env->arena, buf, " ", ref_word(env, s, "per_year", NULL))
                            : buf;
    if (l->area_sqft > 0)
        money_format(area, sizeof area, (money)(l->area_sqft + 0.5), "", 0);
    const char *type = ref_word(env, s, key, NULL);
    const char *hv[] = {"bedrooms", beds, "type", type, NULL};
    const char *home = ref_word(env, s, beds[0] == '\0' || l->type == PTYPE_STUDIO
                                            ? "listing_home_type" : "listing_home", hv);
    const char *place = l->locality && *l->locality ? l->locality : l->city;
    const char *wv[] = {"locality", place, NULL};
    const char *where = place && *place ? ref_word(env, s, "listing_where", wv) : "";
    const char *area_text = l->area_sqft > 0 ? (area[0] == ' ' ? area + 1 : area) : "?";
    const char *sv[] = {"area", area_text, NULL};
    const char *size = l->area_sqft > 0 ? ref_word(env, s, "listing_size", sv) : "";
    const char *vars[] = {
        "index", idx, "title", l->title ? l->title : l->id, "project", l->project ? l->project : "",
        "locality", l->locality ? l->locality : "", "bedrooms", beds,
        "type", type, "area", area_text,
        "price", price, "units", units_text, "home", home, "where", where, "size", size, NULL,
    };
    return ref_word(env, s, "listing_line", vars);
}

static const char *ref_listing_lines(const dialog_env *env, const session *s, const char *head,
                                     const listing *items, int n)
{
    const char *lines = "";
    for (int i = 0; i < n; i++)
        lines = i ? arena_join(env->arena, lines, "\n", ref_line(env, s, &items[i], i + 1))
                  : ref_line(env, s, &items[i], i + 1);
    return arena_join(env->arena, head, "\n", lines);
}

/* listing_lines gives what rendering each line by names and joining them
 * gives: 0 to 12 listings (past the 8 kept on the stack), every language,
 * two packs and currencies, random bedrooms (unknown, studio, shared by
 * lines or not), units (unknown, 0, many), areas (unknown, small, large),
 * sale and rent, every type, titles missing (the id then), projects,
 * localities and cities missing, heads missing or not. */
TEST(test_listing_lines)
{
    static const char *const slugs[] = {"dubai-demo", "bangalore-demo"};
    static const char *const currencies[] = {"AED", "INR"};
    static const char *const titles[] = {NULL, "Marina Gate 2", "Villa «Palm»", "قصر", "A"};
    static const char *const places[] = {NULL, "", "Dubai Marina", "Whitefield", "Жуковка"};
    unsigned seed = 11;
    int bad = 0, cases = 0;
    for (size_t k = 0; k < sizeof slugs / sizeof slugs[0]; k++) {
        pack *p = NULL;
        pt_error err = {0};
        if (pack_load("packs", slugs[k], &p, &err) != 0) {
            CHECK(0, "load %s: %s", slugs[k], err.msg);
            continue;
        }
        tenant tn = {0};
        memcpy(tn.currency, currencies[k], 4);
        for (int r = 0; r < 400; r++) {
            arena a;
            arena_init(&a, 0);
            dialog_env env = {.tenant = &tn, .pack = p, .arena = &a};
            session s = {0};
            s.language = (lang)(rand_r(&seed) % LANG__COUNT);
            listing items[12];
            int n = (int)(rand_r(&seed) % 13);
            int shared_beds = (int)(rand_r(&seed) % 6) - 1;
            for (int i = 0; i < n; i++) {
                listing *l = &items[i];
                memset(l, 0, sizeof *l);
                l->id = "L-1";
                l->title = titles[rand_r(&seed) % (sizeof titles / sizeof titles[0])];
                l->project = places[rand_r(&seed) % (sizeof places / sizeof places[0])];
                l->locality = places[rand_r(&seed) % (sizeof places / sizeof places[0])];
                l->city = places[rand_r(&seed) % (sizeof places / sizeof places[0])];
                l->type = (property_type)(rand_r(&seed) % PTYPE__COUNT);
                l->tx = rand_r(&seed) % 3 == 0 ? TX_RENT : TX_BUY;
                l->bedrooms = rand_r(&seed) % 2 ? shared_beds : (int)(rand_r(&seed) % 7) - 1;
                l->units_available = (int)(rand_r(&seed) % 5) - 1;
                if (rand_r(&seed) % 4 == 0)
                    l->units_available = 1000000 + (int)(rand_r(&seed) % 1000000000);
                l->area_sqft = rand_r(&seed) % 4 == 0 ? -1 : (double)(rand_r(&seed) % 20000) / 3;
                l->price = (money)rand_r(&seed) * (rand_r(&seed) % 3 ? 100 : 1);
            }
            const char *head = rand_r(&seed) % 4 == 0 ? NULL : "Here are 3 listings.";
            const char *want = ref_listing_lines(&env, &s, head, items, n);
            const char *got = listing_lines(&env, &s, head, items, n);
            cases++;
            if (!(want && got && strcmp(want, got) == 0) && bad++ < 5)
                CHECK(0, "%s %s n %d: \"%s\", want \"%s\"", slugs[k], lang_name(s.language), n,
                      got ? got : "(null)", want ? want : "(null)");
            arena_release(&a);
        }
        pack_free(p);
    }
    CHECK_INT(bad, 0);
    CHECK(cases == 800, "%d cases", cases);
}

/* A tenant of the currency on the slug's pack, and an arena: what the
 * tests of rendered text set up.  false (a failed check) when the pack
 * does not load. */
typedef struct text_fixture {
    pack *p;
    tenant tn;
    arena a;
    dialog_env env;
} text_fixture;

static bool fixture_open(text_fixture *f, const char *slug, const char *currency)
{
    pt_error err = {0};
    memset(f, 0, sizeof *f);
    if (pack_load("packs", slug, &f->p, &err) != 0) {
        CHECK(0, "load %s: %s", slug, err.msg);
        return false;
    }
    snprintf(f->tn.currency, sizeof f->tn.currency, "%s", currency);
    arena_init(&f->a, 0);
    f->env = (dialog_env){.tenant = &f->tn, .pack = f->p, .arena = &f->a};
    return true;
}

static void fixture_close(text_fixture *f)
{
    arena_release(&f->a);
    pack_free(f->p);
}

/* One unit is "1 unit left" in English, in the line and in the urgency
 * note ("1 units left" before); the other languages' packs word it as for
 * any number. */
TEST(test_one_unit)
{
    text_fixture f;
    if (!fixture_open(&f, "dubai-demo", "AED"))
        return;
    dialog_env env = f.env;
    session s = {0};
    s.language = LANG_EN;
    listing l[2];
    memset(l, 0, sizeof l);
    l[0].id = "A";
    l[0].title = "Opal Court";
    l[0].project = "Opal Court";
    l[0].units_available = 1;
    l[0].bedrooms = 2;
    l[0].price = 1000000;
    l[1] = l[0];
    l[1].id = "B";
    l[1].project = "Layla Heights";
    l[1].units_available = 3;
    const char *lines = listing_lines(&env, &s, NULL, l, 2);
    CHECK(lines && strstr(lines, "1 unit left") && !strstr(lines, "1 units"), "%s", lines);
    CHECK(lines && strstr(lines, "3 units left"), "%s", lines);
    reply r;
    memset(&r, 0, sizeof r);
    r.text = "";
    director_urgency(&env, &s, l, 1, &r);
    CHECK(r.text && strstr(r.text, "Only 1 unit left in Opal Court."), "%s", r.text);
    s.language = LANG_RU;
    lines = listing_lines(&env, &s, NULL, l, 1);
    CHECK(lines && strstr(lines, "осталось объектов: 1"), "%s", lines);
    /* a studio's line says studio once; a plot (no bedrooms) leaves no empty
     * slot between the separators */
    l[0].type = PTYPE_STUDIO;
    l[0].bedrooms = 0;
    l[1].type = PTYPE_PLOT;
    l[1].bedrooms = -1;
    for (int k = 0; k < LANG__COUNT; k++) {
        s.language = (lang)k;
        lines = listing_lines(&env, &s, NULL, l, 2);
        CHECK(lines && !strstr(lines, "  ") && !strstr(lines, ", ,") && !strstr(lines, "، ،")
                  && !strstr(lines, " ,") && !strstr(lines, " ،"),
              "%s: %s", lang_name(s.language), lines);
    }
    s.language = LANG_EN;
    lines = listing_lines(&env, &s, NULL, l, 2);
    CHECK(lines && strstr(lines, ": studio, ") && strstr(lines, ": plot, "), "%s", lines);
    /* Arabic says one and two bedrooms apart (its singular and dual) */
    l[0].type = PTYPE_APARTMENT;
    l[0].bedrooms = 2;
    l[1].type = PTYPE_APARTMENT;
    l[1].bedrooms = 1;
    s.language = LANG_AR;
    lines = listing_lines(&env, &s, NULL, l, 2);
    CHECK(lines && strstr(lines, "غرفتا نوم") && strstr(lines, "غرفة نوم واحدة")
              && !strstr(lines, "2 غرف") && !strstr(lines, "1 غرف"), "%s", lines);
    /* a list is joined with the language's comma */
    s.slots.type = PTYPE_APARTMENT;
    s.slots.tx = TX_BUY;
    s.slots.n_locations = 1;
    snprintf(s.slots.locations[0], sizeof s.slots.locations[0], "Dubai Marina");
    s.language = LANG_AR;
    const char *sum = slots_summary(&env, &s);
    CHECK(sum && strstr(sum, "، ") && !strchr(sum, ','), "%s", sum);
    s.language = LANG_EN;
    sum = slots_summary(&env, &s);
    CHECK(sum && strstr(sum, ", "), "%s", sum);
    /* a listing without a locality names its city, and one without either
     * or without an area leaves them out: no "Plot 7, : plot, ? sq ft" */
    memset(l, 0, sizeof l);
    l[0].id = "P7";
    l[0].title = "Plot 7";
    l[0].type = PTYPE_PLOT;
    l[0].bedrooms = -1;
    l[0].area_sqft = -1;
    l[0].units_available = 1;
    l[0].price = 900000;
    l[1] = l[0];
    l[1].city = "Dubai";
    l[1].area_sqft = 5000;
    for (int k = 0; k < LANG__COUNT; k++) {
        s.language = (lang)k;
        lines = listing_lines(&env, &s, NULL, l, 2);
        const char *second = lines ? strstr(lines, "\n2. ") : NULL;
        CHECK(lines && second && !strstr(lines, "?") && !strstr(lines, ", :") && !strstr(lines, "، :")
                  && strstr(lines, "1. Plot 7: ")
                  && (strstr(second, "Plot 7, Dubai: ") || strstr(second, "Plot 7، Dubai: "))
                  && strstr(second, "5,000"),
              "%s", lines ? lines : "(null)");
    }
    fixture_close(&f);
}

/* How many times needle is in hay. */
static int count_of(const char *hay, const char *needle)
{
    int k = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        k++;
    return k;
}

/* The listings' intro agrees with one (and, in Arabic, two): "Вот
 * подходящие вам варианты, всего 1" and "إليك 1 من العروض" were said. */
TEST(test_results_intro_counts)
{
    text_fixture f;
    if (!fixture_open(&f, "dubai-demo", "AED"))
        return;
    dialog_env env = f.env;
    session s = {0};
    static const struct { lang lg; long n; const char *want, *not_want; } cases[] = {
        {LANG_RU, 1, "Вот подходящий вам вариант:", "всего"},
        {LANG_RU, 3, "всего 3", NULL},
        {LANG_AR, 1, "عرضًا واحدًا", "1"},
        {LANG_AR, 2, "عرضين", "2"},
        {LANG_AR, 5, "5", NULL},
        {LANG_EN, 1, "Here is 1 listing", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s.language = cases[i].lg;
        char n[16];
        snprintf(n, sizeof n, "%ld", cases[i].n);
        const char *vars[] = {"count", n, NULL};
        const char *t = ref_word(&env, &s, count_key(&env, &s, "results_intro", cases[i].n), vars);
        CHECK(t && strstr(t, cases[i].want) && (!cases[i].not_want || !strstr(t, cases[i].not_want)),
              "%s %ld: %s", lang_name(cases[i].lg), cases[i].n, t ? t : "(null)");
    }
    fixture_close(&f);
}

/* Urgency is said once an answer, whatever the number of listings it holds
 * for (five one-unit rentals said "Only 1 unit left in ..." five times), and
 * only from the listings' own numbers, in every language. */
TEST(test_urgency_once)
{
    text_fixture f;
    if (!fixture_open(&f, "bangalore-demo", "INR"))
        return;
    dialog_env env = f.env;
    session s = {0};
    static const char *const projects[] = {"Gulmohar Meadows", "Lotus Springs", "Tamarind Residency",
                                           "Emerald Meadows", "Neem Enclave"};
    listing l[5];
    memset(l, 0, sizeof l);
    for (int i = 0; i < 5; i++) {
        l[i].id = projects[i];
        l[i].title = projects[i];
        l[i].project = projects[i];
        l[i].tx = TX_RENT;
        l[i].units_available = 1;
        l[i].bedrooms = 2;
        l[i].price = 400000;
    }
    for (int k = 0; k < LANG__COUNT; k++) {
        s.language = (lang)k;
        reply r;
        memset(&r, 0, sizeof r);
        r.text = "";
        /* every listing shown has one unit: one line for them all */
        director_urgency(&env, &s, l, 5, &r);
        CHECK(count_of(r.text, "⚡") == 1, "%s, five with 1 unit: %s", lang_name(s.language), r.text);
        CHECK(count_of(r.text, "Lotus Springs") <= 1 && strchr(r.text, '{') == NULL, "%s: %s",
              lang_name(s.language), r.text);
        /* some with few units, with their own numbers: one line naming them */
        l[1].units_available = 20;
        l[3].units_available = 4;
        l[4].project = "Gulmohar Meadows";   /* a project is named once */
        memset(&r, 0, sizeof r);
        r.text = "";
        director_urgency(&env, &s, l, 5, &r);
        CHECK(count_of(r.text, "⚡") == 1, "%s, three: %s", lang_name(s.language), r.text);
        CHECK(count_of(r.text, "Gulmohar Meadows") == 1 && strstr(r.text, "Tamarind Residency")
                  && strstr(r.text, "Emerald Meadows") && !strstr(r.text, "Lotus Springs")
                  && strstr(r.text, "4") && strchr(r.text, '{') == NULL,
              "%s, three: %s", lang_name(s.language), r.text);
        if (s.language == LANG_AR || s.language == LANG_FA)
            CHECK(strstr(r.text, "، ") != NULL, "%s: the language's comma: %s", lang_name(s.language), r.text);
        if (s.language == LANG_EN)
            CHECK(strstr(r.text, "1 in Gulmohar Meadows, 1 in Tamarind Residency, 4 in Emerald Meadows"),
                  "en: %s", r.text);
        /* none with few units: nothing said */
        for (int i = 0; i < 5; i++)
            l[i].units_available = 30;
        memset(&r, 0, sizeof r);
        r.text = "";
        director_urgency(&env, &s, l, 5, &r);
        CHECK(count_of(r.text, "⚡") == 0, "%s, none: %s", lang_name(s.language), r.text);
        for (int i = 0; i < 5; i++) {
            l[i].units_available = 1;
            l[i].project = projects[i];
        }
    }
    fixture_close(&f);
}

TEST_MAIN(RUN(test_objection_kinds); RUN(test_has_casei); RUN(test_cat); RUN(test_market_kind);
          RUN(test_listing_lines); RUN(test_one_unit);
          RUN(test_results_intro_counts); RUN(test_urgency_once);)
