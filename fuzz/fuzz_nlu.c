/*
 * fuzz_nlu.c - libFuzzer target for the whole analysis of one message
 * (nlu_analyze: normalisation, language, intent, every entity, sentiment)
 * and its §4 JSON line, with a model trained on the default pack (or a
 * small built-in one when the pack is not found) and the two demo tenant
 * contexts in turn (a gazetteer with a few cues of areas not wanted).
 * Checks the invariants of nlu.h and that the JSON line parses and
 * carries the cleaned text.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlu/nlu.h"

static const char small_intents[] =
    "{\"intents\": {\"greeting\": [\"hi\", \"hello\"], \"inform\": [\"2 bhk\", \"budget 2M\"],"
    " \"property_search\": [\"looking for a villa\", \"show me flats\"],"
    " \"out_of_scope\": [\"tell me a joke\"]}}";
static const char *const canon[] = {"Whitefield", "Dubai Marina", "Jumeirah Village Circle",
                                    "Business Bay", "HSR Layout"};
static const char aliases[] = "whitfield\tWhitefield\njvc\tJumeirah Village Circle\n"
                              "دبي مارينا\tDubai Marina\nДубай Марина\tDubai Marina\n";

static nlu_model *model;
static nlu_gazetteer *gz;

static void setup(void)
{
    pt_error err = {0};
    if (access("packs/default/intents/en.json", R_OK) != 0 ||
        nlu_model_train_dir("packs/default", &model, &err) != 0) {
        const char *t[1] = {small_intents};
        size_t l[1] = {sizeof small_intents - 1};
        if (nlu_model_train(t, l, 1, &model, &err) != 0)
            abort();
    }
    if (nlu_gazetteer_build(canon, (int)(sizeof canon / sizeof canon[0]), aliases, &gz, &err) != 0)
        abort();
    /* a few cues of each kind (the pack's lists are longer) */
    if (nlu_gazetteer_add_cues(gz, NLU_LOC_NOT, "not|not in|instead of|кроме|مش|به جز", &err) ||
        nlu_gazetteer_add_cues(gz, NLU_LOC_KEEP, "why not|почему не", &err) ||
        nlu_gazetteer_add_cues(gz, NLU_LOC_AND, "or|and|или|او", &err) ||
        nlu_gazetteer_add_cues(gz, NLU_LOC_NOT_AFTER, "no|نه|не надо", &err) ||
        nlu_gazetteer_add_cues(gz, NLU_LOC_NOT_BARE, "no|نه|لا|нет", &err))
        abort();
}

static void check(const nlu_result *r)
{
    if (r->intent == NULL || r->text == NULL || r->language == NULL || strlen(r->language) != 2)
        abort();
    if (!(r->confidence >= 0.0 && r->confidence <= 1.0))
        abort();
    if (!(r->sentiment_score >= -1.0 && r->sentiment_score <= 1.0) || r->frustration < 0 ||
        r->frustration > 10)
        abort();
    if (r->n_locations < 0 || r->n_locations > NLU_MAX_LOCATIONS)
        abort();
    /* an area is wanted or excluded, never both */
    if (r->n_excluded_locations < 0 || r->n_excluded_locations > NLU_MAX_LOCATIONS ||
        ((r->found & NLU_EXCLUDED_LOCATIONS) != 0) != (r->n_excluded_locations > 0))
        abort();
    for (int i = 0; i < r->n_excluded_locations; i++)
        for (int k = 0; k < r->n_locations; k++)
            if (r->excluded_locations[i] == NULL || r->excluded_locations[i] == r->locations[k])
                abort();
    if ((r->found & NLU_BUDGET) && r->has_budget_min && r->has_budget_max &&
        r->budget_min > r->budget_max)
        abort();
    if ((r->found & NLU_BUDGET) && ((r->has_budget_min && r->budget_min <= 0) ||
                                    (r->has_budget_max && r->budget_max <= 0)))
        abort();
    if ((r->found & NLU_BEDROOMS) && (r->bedrooms < 0 || r->bedrooms > 100))
        abort();
    if ((r->found & NLU_PHONE) && (r->phone[0] != '+' || strlen(r->phone) < 11 || strlen(r->phone) > 16))
        abort();
    if ((r->found & NLU_WHEN) && (strlen(r->when) != 16 || r->when[4] != '-' || r->when[10] != 'T'))
        abort();
    char *js = nlu_result_to_json(r);
    if (js == NULL)
        abort();
    json_error_t je;
    json_t *o = json_loads(js, 0, &je);
    const char *text = json_string_value(json_object_get(o, "text"));
    if (o == NULL || text == NULL || strcmp(text, r->text) != 0)
        abort();
    json_decref(o);
    free(js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (model == NULL)
        setup();
    nlu_context ctx[2] = {
        {.gazetteer = gz, .currency = "INR", .region = "IN", .timezone = "Asia/Kolkata",
         .now = 1795118400},
        {.gazetteer = gz, .currency = "AED", .region = "AE", .timezone = "Asia/Dubai",
         .now = 1795118400},
    };
    arena a;
    arena_init(&a, 1u << 24);
    for (int i = 0; i < 2; i++) {
        nlu_result r;
        if (nlu_analyze(model, &ctx[i], (const char *)data, size, &a, &r) != 0)
            abort();
        check(&r);
        arena_release(&a);
    }
    nlu_result r;
    if (nlu_analyze(NULL, NULL, (const char *)data, size, &a, &r) != 0)
        abort();
    check(&r);
    arena_release(&a);
    return 0;
}
