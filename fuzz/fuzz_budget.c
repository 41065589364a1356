/*
 * fuzz_budget.c - libFuzzer target for the budget parser and, around it,
 * normalisation, the whole entity extraction and sentiment: arbitrary bytes
 * in, no crash, no leak, and the budget invariants hold (min <= max, amounts
 * not negative, a 3-letter currency or none, a known rent period).  The
 * entity extraction runs with a gazetteer holding rent period cues like the
 * pack's (cue_period_month / cue_period_year), built once.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc -include src/util/banned.h \
 *     fuzz/fuzz_budget.c src/nlu/{normalize,lex,entities,budget,phone,attrs,locality,when,sentiment}.c \
 *     src/util/{arena,error,tz}.c src/core/types.c -lutf8proc -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlu/entities_int.h"

static void check_budget(const nlu_budget *b)
{
    if (b->has_min && b->min < 0)
        abort();
    if (b->has_max && b->max < 0)
        abort();
    if (b->has_min && b->has_max && b->min > b->max)
        abort();
    size_t cl = strnlen(b->currency, sizeof b->currency);
    if (cl == sizeof b->currency || (cl != 0 && cl != 3))
        abort();
}

/* A gazetteer with no localities and the period cues (leaked at exit, as
 * libFuzzer targets keep their one-time state). */
static const nlu_gazetteer *periods(void)
{
    static nlu_gazetteer *g;
    static int built;
    if (!built) {
        built = 1;
        pt_error err = {0};
        if (nlu_gazetteer_build(NULL, 0, NULL, &g, &err) == 0) {
            nlu_gazetteer_add_period_cues(g, PERIOD_MONTH,
                                          "a month|per month|monthly|pm|p.m.|/mo|в месяц|شهريا|"
                                          "في الشهر|در ماه|ماهانه", &err);
            nlu_gazetteer_add_period_cues(g, PERIOD_YEAR, "a year|per annum|yearly|в год|سنويا|سالانه",
                                          &err);
        }
    }
    return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const curs[] = {NULL, "AED", "INR", "USD", ""};
    const char *cur = curs[size ? data[0] % 5 : 0];
    nlu_budget b;

    /* raw bytes straight into the parser */
    nlu_parse_budget((const char *)data, size, cur, &b);
    check_budget(&b);

    /* the real path: normalise, then every entity and sentiment */
    arena a;
    arena_init(&a, 1u << 24);
    char *norm = NULL;
    size_t nl = 0;
    if (nlu_normalize(&a, (const char *)data, size, &norm, &nl) == 0) {
        if (strlen(norm) != nl)
            abort();
        if (nlu_parse_budget(norm, nl, cur, &b))
            check_budget(&b);
        nlu_result r;
        memset(&r, 0, sizeof r);
        nlu_context ctx = {.gazetteer = periods(), .currency = cur, .region = "AE",
                           .timezone = "Asia/Dubai", .now = 1795078800};
        if (nlu_extract_entities(&ctx, norm, nl, &a, &r) == 0) {
            if ((r.found & NLU_BUDGET) && r.has_budget_min && r.has_budget_max
                && r.budget_min > r.budget_max)
                abort();
            if ((r.found & NLU_PHONE) && r.phone[0] != '+')
                abort();
            if ((unsigned)r.budget_period >= PERIOD__COUNT
                || (r.budget_period != PERIOD_NONE && !(r.found & NLU_BUDGET)))
                abort();
        }
        nlu_sentiment((const char *)data, size, norm, nl, &r);
        if (r.frustration < 0 || r.frustration > 10 || r.sentiment_score < -1
            || r.sentiment_score > 1)
            abort();
    }
    arena_release(&a);
    return 0;
}
