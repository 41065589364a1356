/*
 * test_nlu_eval.c - guards the measured quality of the nlu against
 * regressions, on the held-out labelled data of tests/data (the numbers
 * `make eval` prints, with a margin below them), and checks that the §4
 * JSON writer prints exactly what jansson would.
 *
 * The thresholds are below the measured values (docs/nlu.md) so that noise
 * from an unrelated change does not trip them, and above the issue's
 * targets where the target is lower, so a real regression does.
 */
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "../eval/nlu_eval.c"
#include "nlu/entities_int.h"

static nlu_model *model;
static ev_env env;
static char root[64] = ".";
static char data_dir[96] = "tests/data";
static char pack_dir[96] = "packs/default";
static const char *const langs[] = {"en", "ar", "fa", "ru"};

/* The repository top, whether the tests run from it or from a build dir. */
static void find_root(void)
{
    static const char *const dirs[] = {".", "..", "../..", "../../.."};
    char p[160];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s/tests/data/tenants.json", dirs[i]);
        if (access(p, R_OK) == 0) {
            snprintf(root, sizeof root, "%s", dirs[i]);
            break;
        }
    }
    snprintf(data_dir, sizeof data_dir, "%s/tests/data", root);
    snprintf(pack_dir, sizeof pack_dir, "%s/packs/default", root);
}

TEST(setup)
{
    pt_error err = {0};
    find_root();
    CHECK(ev_env_load(&env, data_dir, root) == 0, "tenants of %s", data_dir);
    CHECK(nlu_model_train_dir(pack_dir, &model, &err) == 0, "train %s: %s", pack_dir, err.msg);
}

/* ---- intent, entities, language on the held-out sets ----------------------- */

TEST(heldout_guard)
{
    /* measured on the test split (docs/nlu.md): en 0.93, ar 0.97, fa 0.97,
     * ru 0.98; lines with every entity right 0.97; language id 0.99 */
    static const double min_acc[] = {0.90, 0.88, 0.88, 0.88};
    ev_scores *all = calloc(1, sizeof *all);
    if (model == NULL || all == NULL) {
        CHECK(0, "no model");
        free(all);
        return;
    }
    for (int l = 0; l < 4; l++) {
        char path[256];
        ev_set s;
        ev_scores *sc = calloc(1, sizeof *sc);
        snprintf(path, sizeof path, "%s/nlu_%s_test.jsonl", data_dir, langs[l]);
        CHECK(ev_set_load(&s, path, &env) == 0, "load %s", path);
        CHECK(s.n >= (l == 0 ? 400 : 150), "%s: %d lines", path, s.n);
        CHECK(sc && ev_score_set(model, &s, sc, NULL) == 0 && ev_score_set(model, &s, all, NULL) == 0,
              "score %s", path);
        if (sc && sc->n > 0) {
            double acc = (double)sc->correct / sc->n;
            printf("    %s intent accuracy %.3f (guard %.2f)\n", langs[l], acc, min_acc[l]);
            CHECK(acc >= min_acc[l], "%s intent accuracy %.3f below %.2f", langs[l], acc,
                  min_acc[l]);
            CHECK((double)sc->lang_ok / sc->n >= 0.94, "%s language id %d/%d", langs[l],
                  sc->lang_ok, sc->n);
        }
        CHECK(ev_overlap_with_pack(&s, pack_dir, stderr) == 0, "%s overlaps the training data",
              path);
        snprintf(path, sizeof path, "%s/nlu_%s_dev.jsonl", data_dir, langs[l]);
        ev_set d;
        CHECK(ev_set_load(&d, path, &env) == 0, "load %s", path);
        CHECK(ev_overlap_with_pack(&d, pack_dir, stderr) == 0, "%s overlaps the training data",
              path);
        ev_set_free(&d);
        ev_set_free(&s);
        free(sc);
    }
    if (all->n > 0) {
        double ent = (double)all->lines_all_entities / all->n;
        printf("    lines with every entity right %.3f (guard 0.93)\n", ent);
        CHECK(ent >= 0.93, "lines with every entity right %.3f", ent);
        for (int k = 0; k < EV_N_ENT; k++) {
            const ev_ent_stats *st = &all->ent[k];
            CHECK(st->expected == 0 || (double)st->exact / st->expected >= 0.85,
                  "%s exact %d/%d", ev_entity_names[k], st->exact, st->expected);
            CHECK(st->spurious * 50 <= st->lines - st->expected, "%s spurious %d of %d",
                  ev_entity_names[k], st->spurious, st->lines - st->expected);
        }
    }
    free(all);
}

TEST(budget_guard)
{
    char path[256];
    ev_set s;
    ev_budget_scores bs = {0};
    snprintf(path, sizeof path, "%s/budget_test.jsonl", data_dir);
    CHECK(ev_set_load(&s, path, &env) == 0, "load %s", path);
    CHECK(ev_score_budgets(&s, &bs, stderr) == 0, "score budgets");
    CHECK(bs.pos >= 200, "only %d budget phrases", bs.pos);
    if (bs.pos > 0) {
        double r = (double)bs.pos_ok / bs.pos;
        printf("    budget phrases exactly right %.3f (guard 0.95)\n", r);
        CHECK(r >= 0.95, "budget phrases %d/%d", bs.pos_ok, bs.pos);
    }
    CHECK(bs.neg_ok == bs.neg, "a budget found in %d of %d phrases without one",
          bs.neg - bs.neg_ok, bs.neg);
    ev_set_free(&s);
}

/* The label convention between inform and property_search (docs/nlu.md). */
TEST(slot_filling_convention)
{
    static const struct {
        const char *tenant, *text, *intent;
    } cases[] = {
        {"bangalore-demo", "need 2bhk in whitfield max 90 lakhs", "property_search"},
        {"bangalore-demo", "2bhk whitefield, 90L max", "inform"},
        {"dubai-demo", "villas in the palm?", "property_search"},
        {"dubai-demo", "ищу двушку в Марине", "property_search"},
        {"dubai-demo", "двушка в Марине", "inform"},
    };
    arena a;
    arena_init(&a, 0);
    for (size_t i = 0; model && i < sizeof cases / sizeof cases[0]; i++) {
        nlu_result r;
        const ev_tenant *t = ev_env_find(&env, cases[i].tenant);
        CHECK(t && nlu_analyze(model, &t->ctx, cases[i].text, strlen(cases[i].text), &a, &r) == 0,
              "analyze");
        CHECK(strcmp(r.intent, cases[i].intent) == 0, "\"%s\": %s, want %s", cases[i].text,
              r.intent, cases[i].intent);
        arena_release(&a);
    }
}

/* The three examples of issue 3, entity for entity. */
TEST(issue_examples)
{
    static const struct {
        const char *tenant, *text, *intent, *entities;
    } cases[] = {
        {"bangalore-demo", "need 2bhk in whitfield max 90 lakhs", "property_search",
         "\"entities\": {\"budget\": {\"min\": null, \"max\": 9000000, \"currency\": \"INR\"}, "
         "\"bedrooms\": 2, \"locations\": [\"Whitefield\"]}"},
        {"dubai-demo", "ابحث عن شقة في دبي مارينا بميزانية 2 مليون درهم", "property_search",
         "\"entities\": {\"budget\": {\"min\": null, \"max\": 2000000, \"currency\": \"AED\"}, "
         "\"property_type\": \"apartment\", \"locations\": [\"Dubai Marina\"]}"},
        {"dubai-demo", "до 1,5 млн дирхамов", "inform",
         "\"entities\": {\"budget\": {\"min\": null, \"max\": 1500000, \"currency\": \"AED\"}}"},
    };
    arena a;
    arena_init(&a, 0);
    for (size_t i = 0; model && i < sizeof cases / sizeof cases[0]; i++) {
        nlu_result r;
        const ev_tenant *t = ev_env_find(&env, cases[i].tenant);
        CHECK(t && nlu_analyze(model, &t->ctx, cases[i].text, strlen(cases[i].text), &a, &r) == 0,
              "analyze");
        char *js = nlu_result_to_json(&r);
        CHECK(js && strstr(js, cases[i].entities) != NULL, "\"%s\": %s", cases[i].text,
              js ? js : "(null)");
        CHECK_STR(r.intent, cases[i].intent);
        CHECK_STR(r.language, i == 0 ? "en" : i == 1 ? "ar" : "ru");
        free(js);
        arena_release(&a);
    }
}

/* Frustration builds over the turns of a conversation and fades. */
TEST(frustration_builds)
{
    static const char *const turns[] = {
        "show me 2 bed in JVC", "this is not what i asked", "why do you keep asking the same thing??",
        "THIS IS USELESS!!!", "ok", "fine",
    };
    int level = 0, seen[6];
    arena a;
    arena_init(&a, 0);
    const ev_tenant *t = ev_env_find(&env, "dubai-demo");
    for (int i = 0; model && t && i < 6; i++) {
        nlu_result r;
        CHECK(nlu_analyze(model, &t->ctx, turns[i], strlen(turns[i]), &a, &r) == 0, "analyze");
        level = seen[i] = nlu_frustration_carry(level, &r);
        arena_release(&a);
    }
    if (model && t) {
        CHECK(seen[0] == 0, "a search is not frustrated: %d", seen[0]);
        CHECK(seen[1] > 0 && seen[2] > seen[1] && seen[3] >= 7, "builds: %d %d %d", seen[1],
              seen[2], seen[3]);
        CHECK(seen[5] < seen[4] && seen[4] < seen[3], "fades: %d %d %d", seen[3], seen[4], seen[5]);
    }
    nlu_result r;
    memset(&r, 0, sizeof r);
    r.intent = "complaint";
    r.frustration = 9;
    CHECK_INT(nlu_frustration_carry(10, &r), 10);
    CHECK_INT(nlu_frustration_carry(-3, NULL), 0);
    CHECK_INT(nlu_frustration_carry(10, NULL), 7);

    /* "again" alone is not frustration */
    CHECK(t && nlu_analyze(model, &t->ctx, "hi again", 8, &a, &r) == 0, "analyze");
    CHECK(r.frustration == 0 && r.sentiment != SENT_NEGATIVE, "hi again: %d %s", r.frustration,
          nlu_sentiment_name(r.sentiment));
    arena_release(&a);
}

/* ---- the JSON writer against jansson ------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid (RFC 3629;
 * written again here so the reference does not share the writer's code). */
static size_t valid_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                  : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
    if (c == 0 || need == 9 || n < need + 1)
        return 0;
    for (size_t i = 1; i <= need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] >= 0x90))
        return 0;
    return need + 1;
}

static json_t *jstr_ref(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j == NULL) {   /* invalid UTF-8: U+FFFD per bad byte, as the writer */
        size_t n = strlen(s), o = 0;
        char *c = malloc(n * 3 + 1);
        const unsigned char *u = (const unsigned char *)s;
        for (size_t i = 0; c && i < n;) {
            size_t k = valid_len(u + i, n - i);
            if (k == 0) {
                memcpy(c + o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            } else {
                memcpy(c + o, u + i, k);
                o += k;
                i += k;
            }
        }
        if (c) {
            c[o] = '\0';
            j = json_string(c);
        }
        free(c);
    }
    return j;
}

static json_t *jreal_ref(double x)
{
    if (!isfinite(x))
        x = 0;
    return json_real(round(x * 10000.0) / 10000.0);
}

/* The §4 object built as a jansson tree (the writer's reference). */
static char *ref_json(const nlu_result *r)
{
    json_t *o = json_object(), *in = json_object(), *e = json_object(), *s = json_object();
    json_object_set_new(o, "text", jstr_ref(r->text));
    json_object_set_new(o, "language", jstr_ref(r->language ? r->language : "en"));
    json_object_set_new(in, "name", jstr_ref(r->intent ? r->intent : "out_of_scope"));
    json_object_set_new(in, "confidence", jreal_ref(r->confidence));
    if (r->found & NLU_BUDGET) {
        json_t *b = json_pack("{s:o, s:o, s:o}",
                              "min", r->has_budget_min ? json_integer(r->budget_min) : json_null(),
                              "max", r->has_budget_max ? json_integer(r->budget_max) : json_null(),
                              "currency", r->currency[0] ? jstr_ref(r->currency) : json_null());
        if (period_name(r->budget_period))   /* only when one was said */
            json_object_set_new(b, "period", jstr_ref(period_name(r->budget_period)));
        json_object_set_new(e, "budget", b);
    }
    if ((r->found & NLU_BEDROOMS) && r->bedrooms >= 0)
        json_object_set_new(e, "bedrooms", json_integer(r->bedrooms));
    if ((r->found & NLU_PTYPE) && ptype_name(r->type))
        json_object_set_new(e, "property_type", jstr_ref(ptype_name(r->type)));
    if ((r->found & NLU_TX) && tx_name(r->tx))
        json_object_set_new(e, "transaction", jstr_ref(tx_name(r->tx)));
    if ((r->found & NLU_PURPOSE) && purpose_name(r->purpose))
        json_object_set_new(e, "purpose", jstr_ref(purpose_name(r->purpose)));
    if ((r->found & NLU_LOCATIONS) && r->n_locations > 0) {
        json_t *a = json_array();
        for (int i = 0; i < r->n_locations && i < NLU_MAX_LOCATIONS; i++)
            if (r->locations[i])
                json_array_append_new(a, jstr_ref(r->locations[i]));
        json_object_set_new(e, "locations", a);
    }
    if ((r->found & NLU_EXCLUDED_LOCATIONS) && r->n_excluded_locations > 0) {
        json_t *a = json_array();
        for (int i = 0; i < r->n_excluded_locations && i < NLU_MAX_LOCATIONS; i++)
            if (r->excluded_locations[i])
                json_array_append_new(a, jstr_ref(r->excluded_locations[i]));
        json_object_set_new(e, "excluded_locations", a);
    }
    if ((r->found & NLU_PHONE) && r->phone[0])
        json_object_set_new(e, "phone", jstr_ref(r->phone));
    if ((r->found & NLU_EMAIL) && r->email && r->email[0])
        json_object_set_new(e, "email", jstr_ref(r->email));
    if ((r->found & NLU_WHEN) && r->when[0])
        json_object_set_new(e, "when", jstr_ref(r->when));
    json_object_set_new(s, "label", jstr_ref(nlu_sentiment_name(r->sentiment)));
    json_object_set_new(s, "score", jreal_ref(r->sentiment_score));
    json_object_set_new(s, "frustration", json_integer(r->frustration));
    json_object_set_new(o, "intent", in);
    json_object_set_new(o, "entities", e);
    json_object_set_new(o, "sentiment", s);
    char *js = json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    return js;
}

static int json_same(const nlu_result *r, const char *what)
{
    char *got = nlu_result_to_json(r), *want = ref_json(r);
    int ok = got && want && strcmp(got, want) == 0;
    CHECK(ok, "%s:\n  writer  %s\n  jansson %s", what, got ? got : "(null)",
          want ? want : "(null)");
    free(got);
    free(want);
    return ok;
}

TEST(json_writer_matches_jansson)
{
    static const char *const langs2[] = {"en", "ar", "fa", "ru"};
    static const char *const splits[] = {"test", "dev"};
    arena a;
    int n = 0, same = 0;
    arena_init(&a, 0);
    for (int l = 0; l < 4; l++)
        for (int sp = 0; sp < 2; sp++) {
            char path[256];
            ev_set s;
            snprintf(path, sizeof path, "%s/nlu_%s_%s.jsonl", data_dir, langs2[l], splits[sp]);
            if (ev_set_load(&s, path, &env) < 0)
                continue;
            for (int i = 0; i < s.n; i++) {
                nlu_result r;
                const ev_item *it = &s.items[i];
                if (nlu_analyze(model, &it->tenant->ctx, it->text, strlen(it->text), &a, &r) == 0) {
                    char *got = nlu_result_to_json(&r), *want = ref_json(&r);
                    n++;
                    same += got && want && strcmp(got, want) == 0;
                    if (!(got && want && strcmp(got, want) == 0))
                        fprintf(stderr, "  writer  %s\n  jansson %s\n", got, want);
                    free(got);
                    free(want);
                }
                arena_release(&a);
            }
            ev_set_free(&s);
        }
    CHECK(n > 1000 && same == n, "%d of %d messages print as jansson would", same, n);

    /* escapes, invalid UTF-8, reals at the edges */
    static const char *const texts[] = {
        "quote \" backslash \\ slash / tab \t newline \n cr \r bell \a del \x7f",
        "\x01\x1f esc \x1b form \f back \b", "bad \xC3\x28 utf8 \xF0\x9F utf \xE2\x82",
        "emoji 😡🙏 and ZWJ 👩‍👩‍👧 — dashes “quotes”", "",
    };
    static const double reals[] = {0.0, 1.0, 0.5, 0.93456, 1e-5, 0.00005, -0.0, -1.0, 0.33333,
                                   123456.0, 1e21, NAN};
    nlu_result r;
    memset(&r, 0, sizeof r);
    r.language = "en";
    r.intent = "inform";
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        r.text = texts[i];
        json_same(&r, texts[i]);
    }
    r.text = "x";
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        char what[64];
        r.confidence = reals[i];
        r.sentiment_score = -reals[i];
        snprintf(what, sizeof what, "real %g", reals[i]);
        json_same(&r, what);
    }
    r.found = NLU_LOCATIONS | NLU_EMAIL | NLU_BUDGET;
    r.n_locations = 2;
    r.locations[0] = "Dubai \"Marina\"";
    r.locations[1] = "Al Furjan";
    r.email = "a\\b@c.d";
    r.has_budget_min = true;
    r.budget_min = 999999999999999LL;
    json_same(&r, "locations, e-mail, a large budget");
    r.found |= NLU_EXCLUDED_LOCATIONS;
    r.n_excluded_locations = 1;
    r.excluded_locations[0] = "JVC";
    json_same(&r, "excluded locations");
}

/* The lexicon phrases of every table built so far (the request frames of
 * nlu.c included, built by the analyses above) are in normalised form. */
static void check_phrase(const char *phrase, void *ud)
{
    int *count = ud;
    char text[256], *norm = NULL;
    size_t n = 0, nl = 0;
    arena a;
    arena_init(&a, 0);
    for (const char *p = phrase; *p && n + 1 < sizeof text; p++)
        if (*p != '*')
            text[n++] = *p;
    text[n] = '\0';
    (*count)++;
    CHECK(nlu_normalize(&a, text, n, &norm, &nl) == 0 && strcmp(norm, text) == 0,
          "lexicon phrase \"%s\" normalises to \"%s\"", text, norm ? norm : "(null)");
    arena_release(&a);
}

/* Chat spellings are written out however many a message has, and the
 * result is a fixed point (found by fuzz_normalize: "пж пж" once kept the
 * second "пж" for want of room). */
TEST(normalise_growth)
{
    static const char *const texts[] = {"\xd0\x9f\xd0\x96 \xd0\x9f\xd0\x96", "u u u u u u u u u u",
                                        "пж пж пж пж пж пж пж", "ty tq gn hru n u"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        arena a;
        char *n1 = NULL, *n2 = NULL;
        size_t l1 = 0, l2 = 0;
        arena_init(&a, 0);
        CHECK(nlu_normalize(&a, texts[i], strlen(texts[i]), &n1, &l1) == 0 &&
              nlu_normalize(&a, n1, l1, &n2, &l2) == 0, "normalise");
        CHECK(n1 && n2 && strcmp(n1, n2) == 0, "not a fixed point: \"%s\" -> \"%s\"", n1, n2);
        CHECK(n1 && strstr(n1, "пж") == NULL && strstr(n1, " u ") == NULL, "left unexpanded: %s",
              n1);
        arena_release(&a);
    }
}

TEST(lexicons_normalised)
{
    int count = 0;
    lex_each_phrase(check_phrase, &count);
    CHECK(count > 500, "only %d phrases checked", count);
}

TEST(cleanup)
{
    nlu_model_free(model);
    ev_env_free(&env);
}

TEST_MAIN(
    RUN(setup);
    RUN(heldout_guard);
    RUN(budget_guard);
    RUN(slot_filling_convention);
    RUN(issue_examples);
    RUN(frustration_builds);
    RUN(json_writer_matches_jansson);
    RUN(normalise_growth);
    RUN(lexicons_normalised);
    RUN(cleanup);
)
