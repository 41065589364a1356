/*
 * entities_int.h - the private seams of entity extraction: the shared
 * tokenizer and phrase lexicon (lex.c) and the single parsers (budget.c,
 * attrs.c, locality.c, when.c, phone.c) that entities.c runs in turn.
 *
 * Every parser works on normalised text (nlu_normalize) that has been cut
 * into tokens once by nlu_tokenize().  Each parser also has a text-level
 * entry point (nlu_parse_*) that tokenizes by itself; the unit tests and the
 * fuzzers call those.  Nothing here allocates on the heap: token arrays live
 * on the caller's stack and the lexicons are static tables hashed once.
 *
 * Not for: language detection, intents or dialog.
 */
#ifndef PT_NLU_ENTITIES_INT_H
#define PT_NLU_ENTITIES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlu/nlu_int.h"

/* ---- tokens (lex.c) ---------------------------------------------------- */

/* Past this many tokens the rest of a message is ignored by the entity
 * parsers (a message is at most 4 KiB, so this is rarely reached). */
#define NLU_MAX_TOKS 768

enum nlu_tok_kind {
    TK_WORD = 1,   /* letters of any script, inner apostrophes */
    TK_NUM,        /* ASCII digits only */
    TK_PUNCT,      /* one punctuation or symbol code point (incl. emoji) */
};

enum nlu_tok_flag {
    TF_SPACE = 1 << 0,   /* whitespace precedes this token */
    TF_PHONE = 1 << 1,   /* part of a phone-like span: not money, not a time */
    TF_EMAIL = 1 << 2,   /* part of an e-mail address */
    TF_USED  = 1 << 3,   /* consumed by an earlier parser */
};

typedef struct nlu_tok {
    uint32_t off;     /* byte offset in the text */
    uint16_t len;     /* bytes */
    uint8_t kind;     /* TK_* */
    uint8_t flags;    /* TF_* */
    uint32_t hash;    /* FNV-1a of the token bytes */
} nlu_tok;

typedef struct nlu_toks {
    const char *s;    /* the text (borrowed) */
    size_t len;
    int n;
    nlu_tok t[NLU_MAX_TOKS];
} nlu_toks;

/* Cuts normalised text s/len into tokens (out-param tk; s is borrowed and
 * must outlive tk). Never fails; stops after NLU_MAX_TOKS tokens. */
void nlu_tokenize(nlu_toks *tk, const char *s, size_t len);

/* Token i equals the NUL-terminated word w (exact bytes).  Out of range: false. */
bool nlu_tok_is(const nlu_toks *tk, int i, const char *w);
/* Token i is punctuation character c (ASCII). */
bool nlu_tok_punct(const nlu_toks *tk, int i, char c);
/* Value of an all-digit token (at most 18 digits, else -1). */
int64_t nlu_tok_num(const nlu_toks *tk, int i);
/* True when token i is attached to token i-1 (no whitespace between). */
static inline bool nlu_tok_attached(const nlu_toks *tk, int i)
{
    return i > 0 && i < tk->n && !(tk->t[i].flags & TF_SPACE);
}

uint32_t nlu_fnv1a(const char *s, size_t n);

/* ---- phrase lexicons (lex.c) ------------------------------------------ */

/* One entry of a static phrase table: normalised tokens separated by single
 * spaces (punctuation is a token of its own: "up to", "o'clock",
 * "waste of time"); a token ending in '*' matches any token that starts with
 * it (Russian stems: "квартир*").  cat and val are the owner's. */
typedef struct lex_item {
    const char *phrase;
    int16_t cat;
    int16_t val;
} lex_item;

#define LEX_SLOTS 1024
#define LEX_MAX_ITEMS 1024

/* A hashed view of a static table, built once (lex_build is idempotent and
 * thread-safe through pthread_once in each owner). */
typedef struct lex_table {
    const lex_item *items;
    int n;
    uint64_t stem_lens;            /* bit L set: some first token is an L-byte stem */
    int stem_max;                  /* longest stem, bytes */
    uint64_t stem_first[4];        /* bit b: some stem starts with byte b */
    int16_t head[LEX_SLOTS];
    int16_t next[LEX_MAX_ITEMS];
    uint32_t key[LEX_MAX_ITEMS];
} lex_table;

void lex_build(lex_table *t, const lex_item *items, int n);

/* Calls fn on every phrase of every table built so far (tests check that
 * each phrase is already in normalised form). */
void lex_each_phrase(void (*fn)(const char *phrase, void *ud), void *ud);

/* Longest phrase of t that starts at token i (skipping no tokens).  Returns
 * the number of tokens it covers (0: none) and sets *out.  Tokens flagged
 * TF_PHONE or TF_EMAIL never match. */
int lex_match(const lex_table *t, const nlu_toks *tk, int i, const lex_item **out);

/* Like lex_match but only among items whose cat is in the bit mask
 * (1 << cat). */
int lex_match_cat(const lex_table *t, const nlu_toks *tk, int i, unsigned catmask,
                  const lex_item **out);

/* Like lex_match_cat with the first skip bytes of token i left out: a
 * clitic cut off its word (the Arabic "and" in "ومليونين").  skip must end
 * on a character boundary; nothing matches when it covers the whole token. */
int lex_match_cat_from(const lex_table *t, const nlu_toks *tk, int i, size_t skip,
                       unsigned catmask, const lex_item **out);

/* A memo of first-token lookups for one table over one token array: each
 * parser asks about the same tokens many times with different category
 * masks.  Lives on the caller's stack (about 6 KiB); no allocation. */
#define LEX_CACHE_PER_TOK 8
typedef struct lex_cache {
    const lex_table *t;
    const nlu_toks *tk;
    uint8_t done[NLU_MAX_TOKS];        /* 1: cnt/start filled, 2: too many, no memo */
    uint8_t cnt[NLU_MAX_TOKS];
    uint32_t cats[NLU_MAX_TOKS];       /* categories among the candidates */
    uint16_t start[NLU_MAX_TOKS];
    int16_t pool[NLU_MAX_TOKS * 2];
    int npool;
} lex_cache;

void lex_cache_init(lex_cache *c, const lex_table *t, const nlu_toks *tk);
void lex_cache_fill(lex_cache *c, int i);
int lex_cmatch_slow(lex_cache *c, int i, unsigned catmask, const lex_item **out);

/* lex_match_cat through the memo; most calls end at the category test. */
static inline int lex_cmatch(lex_cache *c, int i, unsigned catmask, const lex_item **out)
{
    *out = NULL;
    if (i < 0 || i >= c->tk->n)
        return 0;
    if (c->done[i] == 0)
        lex_cache_fill(c, i);
    if (!(c->cats[i] & catmask))
        return 0;
    return lex_cmatch_slow(c, i, catmask, out);
}

/* ---- single parsers -------------------------------------------------- */

typedef struct nlu_budget {
    bool has_min, has_max;
    money min, max;
    char currency[4];      /* "" when neither said nor given by the context */
    rent_period period;    /* a period phrase with the amount ("a month"), else NONE */
} nlu_budget;

/* budget.c: the buyer's budget in tk.  Returns true when one was found.
 * periods: the gazetteer whose period cues (nlu_gazetteer_add_period_cues)
 * tell a rent's period, or NULL (none is read). */
bool nlu_budget_scan(const nlu_toks *tk, const char *ctx_currency, const nlu_gazetteer *periods,
                     nlu_budget *out);
/* Text-level convenience (tokenizes s). */
bool nlu_parse_budget(const char *norm, size_t len, const char *ctx_currency, nlu_budget *out);
/* True when tokens [i, j) are directly followed or preceded by a money word
 * (a multiplier such as lakh/million or a currency): the digits are an
 * amount, not a phone number. */
bool nlu_budget_money_context(const nlu_toks *tk, int i, int j);

typedef struct nlu_attrs {
    int bedrooms;          /* -1 when not said; 0 studio */
    property_type type;
    transaction tx;
    purpose purpose;
} nlu_attrs;

/* attrs.c: bedrooms, property type, transaction and purpose. */
void nlu_attrs_scan(const nlu_toks *tk, nlu_attrs *out);
void nlu_parse_attrs(const char *norm, size_t len, nlu_attrs *out);

/* The most tokens of a cue phrase (nlu_gazetteer_add_cues). */
#define NLU_CUE_TOKS 6
/* locality.c: the period of the longest period cue of g starting at token
 * i of at most max_tok tokens (PERIOD_NONE: none; g may be NULL), its
 * length in tokens in *ntok (0: none; ntok may be NULL). */
rent_period nlu_gazetteer_period_at(const nlu_gazetteer *g, const nlu_toks *tk, int i, int max_tok,
                                    int *ntok);

/* locality.c: up to max canonical names (gazetteer-owned) in order of
 * appearance, no duplicates.  Returns how many. */
int nlu_gazetteer_scan(const nlu_gazetteer *g, const nlu_toks *tk, const char **names, int max);
/* locality.c: the same localities split by what the cues of
 * nlu_gazetteer_add_cues say around each: wanted (up to max, *n_wanted) and
 * excluded (up to max, *n_excluded), each in order of appearance, without
 * duplicates.  A locality said more than once takes its last mention's
 * side ("Marina? not Marina, JVC" excludes it).  Out-params may not be
 * NULL. */
void nlu_gazetteer_scan_sides(const nlu_gazetteer *g, const nlu_toks *tk, const char **wanted,
                              int *n_wanted, const char **excluded, int *n_excluded, int max);
int nlu_gazetteer_match(const nlu_gazetteer *g, const char *norm, size_t len, const char **names,
                        int max);
/* Damerau (optimal string alignment) distance of two code point strings,
 * or max+1 when it exceeds max. */
int nlu_edit_distance(const uint32_t *a, int na, const uint32_t *b, int nb, int max);

/* when.c: a date/time relative to now in timezone tz (IANA; NULL = UTC).
 * Writes "YYYY-MM-DDTHH:MM" (local) into out and sets *has_time, and
 * *has_day (may be NULL) when a day was said, not reckoned from a time
 * alone.  Returns true when something was found. */
bool nlu_when_scan(const nlu_toks *tk, time_t now, const char *tz, char out[20], bool *has_time,
                   bool *has_day);
bool nlu_parse_when(const char *norm, size_t len, time_t now, const char *tz, char out[20],
                    bool *has_time);
/* UTC offset (seconds) of tz at instant t; built-in values for the common
 * zones when the system has no zoneinfo. */
int nlu_tz_offset(const char *tz, time_t t);

/* entities.c: nlu_extract_entities on text already cut into tokens (tk
 * borrows the normalised text; its tokens get TF_EMAIL / TF_PHONE / TF_USED
 * flags).  The same errors. */
int nlu_extract_entities_toks(const nlu_context *ctx, nlu_toks *tk, arena *a, nlu_result *out);

/* sentiment.c: nlu_sentiment on tokens of the normalised text (read
 * only). */
void nlu_sentiment_toks(const char *raw, size_t raw_len, const nlu_toks *tk, nlu_result *out);

/* entities.c: e-mail and phone scans. */
/* Finds the first e-mail address in s; returns its length and sets *start, or 0. */
size_t nlu_find_email(const char *s, size_t len, size_t *start);

#endif
