/*
 * pack.h - a tenant's pack: the data a tenant would change without touching
 * code (reply templates per language, budget bands, coaching rules, locality
 * aliases, dialog settings, intent examples).  Files live under packs/:
 *
 *   packs/default/replies/<lang>.json   {"key": {"text": "...", "buttons": [{"label","data"}]}}
 *                                       (cue_* keys: '|'-separated phrases, packs/README.md)
 *   packs/default/budgets.json          {"AED": {"buy": [[0,1000000],...], "rent": [...],
 *                                        "rent_period": "year"}, ...}
 *   packs/default/coaching.json         {"rules": [{"id","when":{...},"once","text":{"en":...}}]}
 *   packs/default/settings.json         {"urgency_units_max": 5, ...}
 *   packs/default/localities.tsv        alias<TAB>Canonical Name
 *   packs/default/intents/<lang>.json   {"intents": {"name": ["utterance", ...]}}
 *   packs/<tenant-slug>/...             the same files, overriding default key by key
 *
 * A coaching rule's "when" conditions (all must hold; see pack_coaching_rule
 * and docs/dialog.md): listings_seen_min, family_homes_seen_min, turns_min,
 * stage, purpose, purpose_not (a purpose or a list: not for a buyer who said
 * one of them), objection.
 *
 * Layers merge explicitly (nginx merge_loc_conf): built-in defaults, then
 * packs/default, then packs/<slug>.  A template missing in a language falls
 * back to English.  A pack is immutable once loaded and shared by threads.
 */
#ifndef PT_PACK_H
#define PT_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "util/arena.h"
#include "util/error.h"

typedef struct pack pack;

typedef struct pack_button {
    const char *label;
    const char *data;
} pack_button;

/* A string with its length (s need not be NUL-terminated; s NULL with n 0
 * is the empty string). */
typedef struct pack_str {
    const char *s;
    size_t n;
} pack_str;

/* Distinct placeholder names of a template that get a slot (see below);
 * the names after these are looked up by name at each render. */
#define PACK_SLOTS_MAX 32

/* A piece of a template's text, cut at load: text to copy as it is, or the
 * name of a {placeholder} (var).  Not NUL-terminated.  A var's slot is the
 * index of its name in the template's names, or PACK_SLOTS_MAX for a name
 * past the first PACK_SLOTS_MAX distinct ones. */
typedef struct pack_piece {
    const char *s;
    uint32_t n;
    uint16_t slot;
    bool var;
} pack_piece;

typedef struct pack_template {
    const char *text;
    int n_buttons;
    const pack_button *buttons;
    const pack_piece *pieces;      /* text cut at its placeholders (pack_render's reading) */
    int n_pieces, n_vars;          /* n_vars == 0: text has no placeholder */
    const pack_str *names;         /* the distinct placeholder names, in order of first use, */
    int n_names;                   /* at most PACK_SLOTS_MAX of them: the slots */
    const uint32_t *uses;          /* per slot: how many placeholders have its name */
    size_t text_len;               /* bytes of the text pieces (the length without values) */
    int n_far;                     /* placeholders past the slots (slot PACK_SLOTS_MAX) */
} pack_template;

/* One phrase of a cue list (not NUL-terminated).  stem: the pack wrote it
 * with a '*' at its end (left out of s): letters may follow it. */
typedef struct pack_phrase {
    const char *s;
    size_t n;
    bool stem;
} pack_phrase;

/* A coaching rule.  Conditions not given are -1 / NULL (match anything). */
typedef struct pack_coaching_rule {
    const char *id;
    int listings_seen_min;        /* listings shown in the session */
    int family_homes_seen_min;    /* shown listings with >= 2 bedrooms (villa, townhouse, apartment) */
    int turns_min;
    const char *stage;            /* awareness, consideration, decision */
    const char *purpose;          /* investment, living, residency */
    unsigned purpose_not;         /* bit 1 << purpose: not for a buyer who gave one of these
                                   * purposes ("purpose_not": a name or a list of names); a
                                   * buyer who has not said a purpose yet is not ruled out */
    const char *objection;        /* price, location, trust, timing */
    bool once;
    const char *text[LANG__COUNT];/* per language; NULL falls back to en */
} pack_coaching_rule;

typedef struct pack_settings {
    int urgency_units_max;        /* "only N units left" when 0 < units <= this */
    int human_requests_handoff;   /* requests for a human before HUMAN_HANDOFF */
    int frustration_handoff;      /* accumulated frustration (0..10) that hands off */
    int results_min, results_max; /* listings shown per answer */
    int slots_offered;            /* agent slots offered as buttons */
    int price_tolerance_pct;      /* a budget edge is widened by this much */
    int zombie_repeats_max;       /* unrelated answers to one prompt before moving on */
} pack_settings;

/* Loads packs_dir/default and, if it exists, packs_dir/<slug> over it.
 * slug may be NULL.  Errors: PT_ERR_INVALID (a file is malformed; the
 * message names the file), PT_ERR_IO (packs_dir/default missing). */
int pack_load(const char *packs_dir, const char *slug, pack **out, pt_error *err);
void pack_free(pack *p);

/* The template for key in language l (falling back to en), or NULL. */
const pack_template *pack_template_get(const pack *p, lang l, const char *key);

/* The phrases of cue list key (a cue_* template: '|'-separated phrases) in
 * every language at once, folded (case and accents), trimmed, a '*' at the
 * end read as the stem mark, each once: what a message is searched for,
 * built at load.  Returns the count. */
int pack_cue_phrases(const pack *p, const char *key, const pack_phrase **out);

/* Whether folded text[0..n) holds phrase ph.  It may start inside a word
 * (an Arabic prefix: "والمسبح"), but its ends stand apart: a start that is
 * a digit (ASCII, Arabic or Persian) must not follow another digit, an end
 * that is a digit must not touch another ("number 1" is not in "number
 * 12", nor "1st" in "21st"), and an end that is a letter must not be
 * followed by a letter or a digit ("second" is not in "seconds", nor
 * "الأول" in "الأولوية") unless ph is a stem ("инвестиц*" is in
 * "инвестиции"). */
bool pack_cue_in(const char *text, size_t n, const pack_phrase *ph);
/* Where phrase ph first occurs in folded text[from..n), as pack_cue_in
 * finds it: its offset, or n when nowhere. */
size_t pack_cue_find(const char *text, size_t n, size_t from, const pack_phrase *ph);

/* The cue lists a folded text holds a phrase of, in one pass over it: bit
 * i is set when a phrase of list i (pack_cue_id) occurs in text[0..n), as
 * pack_cue_in finds it.  Lists from PACK_CUE_BITS on are not in it (search
 * them with pack_cue_phrases and pack_cue_in), nor are the lists the NLU
 * alone reads (cue_loc_*, cue_period_*: their bits stay 0). */
#define PACK_CUE_BITS 64
uint64_t pack_cue_scan(const pack *p, const char *text, size_t n);
/* The index of cue list key, or -1 when the pack has none. */
int pack_cue_id(const pack *p, const char *key);
/* How many cue lists the pack has (when at most PACK_CUE_BITS, a scan
 * answers for all of them). */
int pack_cue_count(const pack *p);
/* The key of cue list id (0 <= id < pack_cue_count), or NULL. */
const char *pack_cue_key(const pack *p, int id);
/* The lists among the first PACK_CUE_BITS whose keys start with prefix (a
 * family: "cue_amenity_"), as pack_cue_scan's bits. */
uint64_t pack_cue_mask(const pack *p, const char *prefix);
/* Where a phrase of a list of lists (pack_cue_scan's bits) occurs in folded
 * text[0..n), as pack_cue_in finds it: every occurrence, in the order they
 * start, into out (at most max).  One pass over the text, as the scan.
 * Returns the count. */
typedef struct pack_cue_span {
    size_t at, n;
    int list;                      /* pack_cue_id */
} pack_cue_span;
int pack_cue_spans(const pack *p, uint64_t lists, const char *text, size_t n, pack_cue_span *out,
                   int max);

/* text case-folded and without accents, the way cue phrases are, in a.
 * NULL when text is NULL, not UTF-8, or memory runs out. */
char *pack_fold(arena *a, const char *text);

/* Budget bands for a currency and transaction: pairs [lo, hi) where hi == 0
 * means no upper bound.  Returns the number of bands (0 if none). */
int pack_budget_bands(const pack *p, const char *currency, transaction tx,
                      const money (**bands)[2]);

/* The period a currency's market quotes rents in, for a rent amount said
 * without one ("budget 40k": a month in India, a year in Dubai) and for
 * the rent budget buttons' labels: budgets.json "rent_period" ("month" or
 * "year"); PERIOD_YEAR, the listings' own period, when not given.  Rent
 * bands are always per year, as listing rents are (CONTRACT.md §3). */
rent_period pack_rent_period(const pack *p, const char *currency);

int pack_coaching_rules(const pack *p, const pack_coaching_rule **rules);
const pack_settings *pack_settings_get(const pack *p);
/* The merged localities.tsv text (default first, tenant after), or "". */
const char *pack_aliases(const pack *p);
/* The directory holding intent files to train on (tenant's if it has
 * intents/, else default's). */
const char *pack_intents_dir(const pack *p);

/* Renders tmpl, replacing {name} with the value of the pair (name, value) in
 * vars (a NULL-terminated list of alternating names and values).  Unknown
 * names render as empty.  Result in arena a; NULL on out-of-memory. */
char *pack_render(arena *a, const char *tmpl, const char *const *vars);

/* What pack_render(a, t->text, vars) gives, from the pieces cut at load (no
 * scan of the text for braces).  A template without placeholders is its own
 * text (pack memory, not copied: valid while the pack is); a NULL text is
 * "".  NULL on out-of-memory. */
const char *pack_template_render(arena *a, const pack_template *t, const char *const *vars);

/* Does t's text hold the placeholder {name}?  A caller may leave out the
 * values a template does not name. */
bool pack_template_uses(const pack_template *t, const char *name);

/* ---- rendering with values by position ----------------------------------
 *
 * A renderer that fills the same template many times (a listing line per
 * listing) ties the template's placeholders to the positions of its own
 * list of names once, with pack_bind, and then passes only values, in the
 * order of those names: no name is looked up again.  What comes out is
 * what pack_template_render gives with the pairs (names[i], vals[i]):
 * names missing from the list render as empty, a name listed twice takes
 * its first value, values are not expanded again. */
#define PACK_UNBOUND 0xff          /* value[] of a slot no name of the list fills */

typedef struct pack_bound {
    const pack_template *t;        /* NULL renders as "" */
    const char *const *names;      /* the caller's list, not copied: it must outlive the */
    int n_names;                   /* binding (names past PACK_SLOTS_MAX slots use it) */
    uint8_t value[PACK_SLOTS_MAX]; /* per slot of t: index in names, or PACK_UNBOUND */
} pack_bound;

/* Ties t (may be NULL) to names[0..n_names) (NUL-terminated strings, at
 * most PACK_UNBOUND of them; later ones are never used) into *out.  The
 * binding holds pointers to t and names and allocates nothing. */
void pack_bind(pack_bound *out, const pack_template *t, const char *const *names, int n_names);

/* The length of b's template rendered with vals[i] for names[i]. */
size_t pack_bound_len(const pack_bound *b, const pack_str *vals);

/* Writes b's template rendered with vals (exactly pack_bound_len(b, vals)
 * bytes, no NUL) at out; returns out + that length. */
char *pack_bound_put(const pack_bound *b, const pack_str *vals, char *out);

/* b's template rendered with vals, NUL-terminated, in a; *len (may be
 * NULL) gets its length.  A template without placeholders is its own text
 * (pack memory, as pack_template_render); no template is "".  NULL on
 * out-of-memory. */
const char *pack_bound_render(arena *a, const pack_bound *b, const pack_str *vals, size_t *len);

#endif
