/*
 * nlu.h - understanding one buyer message: language, intent, entities and
 * sentiment (CONTRACT.md §4).
 *
 * The module is offline and deterministic.  Three objects:
 *   - nlu_model: the trained intent classifier.  Built once (from the packs'
 *     intent examples or an --intents file), immutable afterwards, shared by
 *     every thread and every tenant that uses the same training data.
 *   - nlu_gazetteer: a tenant's localities (canonical names + aliases) for
 *     fuzzy location matching.  Immutable after building; shared by threads.
 *   - nlu_result: the analysis of one message, allocated in the caller's
 *     per-request arena.
 *
 * This module knows nothing of sessions or dialog.  Conversation-level
 * effects (frustration that builds up over turns) are the dialog's job; the
 * nlu gives per-message signals.
 */
#ifndef PT_NLU_H
#define PT_NLU_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/types.h"
#include "util/arena.h"
#include "util/error.h"

typedef struct nlu_model nlu_model;
typedef struct nlu_gazetteer nlu_gazetteer;

/* ---- training --------------------------------------------------------- */

/* Builds a model from a JSON document {"intents": {"name": ["utt", ...]}}.
 * json/len: the document text (not NUL-terminated necessarily).
 * Several documents can be merged: pass them as an array of n texts (the
 * built-in per-language files of packs/default/intents/ plus a tenant's own).
 * *out receives a model the caller frees with nlu_model_free().
 * Errors: PT_ERR_INVALID (bad JSON / shape, message names the file index),
 * PT_ERR_NOMEM. */
int nlu_model_train(const char *const *json_texts, const size_t *lens, int n,
                    nlu_model **out, pt_error *err);

/* Loads every packs/<dir>/intents/ *.json file under pack_dir and trains on them
 * together.  Convenience over nlu_model_train. */
int nlu_model_train_dir(const char *pack_dir, nlu_model **out, pt_error *err);

void nlu_model_free(nlu_model *m);

/* ---- gazetteer -------------------------------------------------------- */

/* Builds a gazetteer from canonical locality names (e.g. every distinct
 * listing locality of a tenant) plus alias lines.  aliases_text is the
 * content of a packs/.../localities.tsv file: one "alias<TAB>Canonical Name"
 * per line, '#' comments; may be NULL.  Names are copied. */
int nlu_gazetteer_build(const char *const *canonical, int n_canonical,
                        const char *aliases_text, nlu_gazetteer **out, pt_error *err);
void nlu_gazetteer_free(nlu_gazetteer *g);

/* Cue phrases that tell a locality the buyer does NOT want from one that is
 * wanted (see locality.c, "Wanted or excluded").  Each kind is matched on
 * whole normalised tokens:
 *   NLU_LOC_NOT        ends right before the locality: it is excluded
 *                      ("not", "not in", "instead of", "except", "кроме")
 *   NLU_LOC_KEEP       ends right before the locality and, when longer than
 *                      the NLU_LOC_NOT phrase found there, keeps it wanted
 *                      ("why not", "not only")
 *   NLU_LOC_AND        fills the whole gap between an excluded locality and
 *                      the next one, which is then excluded too ("not
 *                      Marina or JBR")
 *   NLU_LOC_NOT_AFTER  starts right after the locality and ends the message
 *                      or its clause (punctuation other than '?' follows):
 *                      excluded ("مارینا نه", "Марину не надо")
 *   NLU_LOC_NOT_BARE   a bare "no" ending right before the locality, where
 *                      no NLU_LOC_NOT / NLU_LOC_KEEP phrase is: excluded
 *                      when another locality follows in the message ("no
 *                      Marina, JVC") or the one before was excluded ("no
 *                      Marina no JVC"); alone ("no Marina") it stays wanted */
typedef enum nlu_loc_cue {
    NLU_LOC_NOT = 0, NLU_LOC_KEEP, NLU_LOC_AND, NLU_LOC_NOT_AFTER, NLU_LOC_NOT_BARE,
    NLU_LOC__COUNT
} nlu_loc_cue;

/* Adds the '|'-separated phrases of text (any spelling: they are normalised
 * as messages are; empty phrases and phrases already there are skipped; at
 * most 6 tokens each, longer ones are skipped) as cues of that kind.  Part of
 * building: call it before g is shared with other threads.  text may be
 * NULL.  Errors: PT_ERR_NOMEM. */
int nlu_gazetteer_add_cues(nlu_gazetteer *g, nlu_loc_cue kind, const char *text, pt_error *err);

/* Cue phrases of the period a rent amount is said in (a pack's
 * cue_period_month and cue_period_year lists): a phrase right after an
 * amount ("40k a month", "6000 درهم شهريا", "50 тысяч в месяц"; a number
 * of at least 1000 followed by one is money) or ending at most two words
 * before it, with no punctuation between ("monthly budget 40k", "ماهانه ۶
 * هزار") sets the budget's period.  The same phrase rules as
 * nlu_gazetteer_add_cues; p is PERIOD_MONTH or PERIOD_YEAR (else nothing
 * is added).  Errors: PT_ERR_NOMEM. */
int nlu_gazetteer_add_period_cues(nlu_gazetteer *g, rent_period p, const char *text,
                                  pt_error *err);

/* ---- analysis --------------------------------------------------------- */

/* Per-tenant context of an analysis.  All fields optional (NULL / 0). */
typedef struct nlu_context {
    const nlu_gazetteer *gazetteer;
    const char *currency;     /* default currency when none is said, e.g. "AED" */
    const char *region;       /* ISO 3166 alpha-2 for national phone numbers */
    const char *timezone;     /* IANA tz for relative dates */
    time_t now;               /* reference time for relative dates */
} nlu_context;

typedef enum nlu_sentiment_label {
    SENT_NEUTRAL = 0, SENT_POSITIVE, SENT_NEGATIVE, SENT_FRUSTRATED, SENT_EXCITED
} nlu_sentiment_label;
const char *nlu_sentiment_name(nlu_sentiment_label l);

/* Which entities were found (bit set in nlu_result.found). */
enum {
    NLU_BUDGET = 1 << 0, NLU_BEDROOMS = 1 << 1, NLU_PTYPE = 1 << 2, NLU_TX = 1 << 3,
    NLU_PURPOSE = 1 << 4, NLU_LOCATIONS = 1 << 5, NLU_PHONE = 1 << 6, NLU_EMAIL = 1 << 7,
    NLU_WHEN = 1 << 8, NLU_EXCLUDED_LOCATIONS = 1 << 9,
};

#define NLU_MAX_LOCATIONS 4

typedef struct nlu_result {
    const char *text;            /* the input as given (arena copy) */
    const char *language;        /* "en", "ar", "fa", "ru" or another ISO 639-1 */
    bool language_sure;          /* false when the text has too few letters to tell
                                    ("ok", "2M", a phone number): callers keep the
                                    conversation's language then */
    const char *intent;          /* intent name, never NULL ("out_of_scope") */
    double confidence;           /* calibrated, 0..1 */
    unsigned found;              /* NLU_* bits */
    /* budget */
    bool has_budget_min, has_budget_max;
    money budget_min, budget_max;
    char currency[4];
    rent_period budget_period;   /* said with the amount ("a month"), else PERIOD_NONE;
                                    the amounts are as said, not converted */
    int bedrooms;                /* valid when found & NLU_BEDROOMS; 0 = studio */
    property_type type;
    transaction tx;
    purpose purpose;
    int n_locations;
    const char *locations[NLU_MAX_LOCATIONS];  /* canonical names (gazetteer-owned) of the
                                                  localities the buyer wants */
    /* Localities the buyer said they do not want ("not Marina", "JVC
     * instead of Marina": Dubai Marina here, JVC in locations); never also
     * in locations.  found & NLU_EXCLUDED_LOCATIONS when n > 0. */
    int n_excluded_locations;
    const char *excluded_locations[NLU_MAX_LOCATIONS];
    char phone[20];              /* E.164, when found & NLU_PHONE */
    /* When the message held something phone-like that failed §6, the reason
     * ("too few distinct digits", "sequential digits", ...), else NULL. */
    const char *phone_rejected;
    const char *email;
    char when[20];               /* "YYYY-MM-DDTHH:MM" local time of the tenant */
    bool when_has_time;          /* false: only a day was said ("on Saturday") */
    bool when_has_day;           /* a day was said ("Saturday at 11"); false for a time
                                    alone ("at 11", "in 2 hours"), whose day is reckoned */
    /* sentiment */
    nlu_sentiment_label sentiment;
    double sentiment_score;      /* -1..1 */
    int frustration;             /* 0..10, this message alone */
} nlu_result;

/* Analyses text (UTF-8, len bytes; invalid UTF-8 is replaced, never fatal).
 * m may be NULL (intent is then "out_of_scope" with confidence 0).
 * Everything in *out lives in arena a (or in the gazetteer / static data).
 * Errors: PT_ERR_NOMEM only. */
int nlu_analyze(const nlu_model *m, const nlu_context *ctx, const char *text, size_t len,
                arena *a, nlu_result *out);

/* Frustration carried over a conversation: the level after message r when
 * it was `before` (0..10) before it.  It fades by 30 % a turn, grows by the
 * message's own frustration and by 2 for a complaint, and stays within
 * 0..10 ("why so slow" once is 3; the same twice more, 6 and then 7). */
int nlu_frustration_carry(int before, const nlu_result *r);

/* Writes the §4 JSON object for r (one line, no newline) into a malloc'd
 * string the caller frees. */
char *nlu_result_to_json(const nlu_result *r);

/* ---- single parsers (public for the dialog, tests and fuzzers) -------- */

/* §6: validates and normalises a phone number.  region: ISO 3166 alpha-2
 * used for national numbers (may be NULL).  On success writes E.164 into
 * e164 (size >= 20) and returns 0; otherwise returns -PT_ERR_UNPROCESSABLE and
 * sets *reason to a static English reason. */
int nlu_phone_parse(const char *text, size_t len, const char *region, char e164[20],
                    const char **reason);

#endif
