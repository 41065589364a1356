/*
 * search_int.h - private to src/search: the candidate record every ranked
 * list is built over, the buyer's words as search terms (text.c), the
 * fusion of the ranked lists and the diverse pick (rank.c).
 */
#ifndef PT_SEARCH_INT_H
#define PT_SEARCH_INT_H

#include <stdbool.h>

#include "search/search.h"

/* ---- text.c ---------------------------------------------------------- */

#define SEARCH_MAX_TERMS 8
#define SEARCH_TERM_LEN 32

/* The buyer's content words: folded (lower case, no diacritics) like the
 * store's FTS5 unicode61 tokenizer folds them, with stop words, numbers,
 * the words the structured filters already carry (bedrooms, budget, types,
 * transactions, currencies) and the tenant's locality names removed. */
typedef struct search_terms {
    int n;
    char term[SEARCH_MAX_TERMS][SEARCH_TERM_LEN];
    bool prefix[SEARCH_MAX_TERMS];   /* matches words that start with it */
    bool rare[SEARCH_MAX_TERMS];     /* few enough listings hold it to look them up */
} search_terms;

/* Fills t from text (UTF-8, may be NULL).  localities: names whose words
 * are not search terms (may be NULL). */
void search_terms_from_text(search_terms *t, const char *text,
                            const store_locality_stats *localities, int n_localities);

/* The FTS5 query matching any of the terms with rare[i] set (rare_only) or
 * any term, in the arena; NULL when there is none.  Terms are words only,
 * quoted, so the query is always well formed.  search_term_query: the same
 * for term i alone. */
const char *search_terms_match(const search_terms *t, bool rare_only, arena *a);
const char *search_term_query(const search_terms *t, int i, arena *a);

/* Scores the n candidate listings against t with BM25 over the candidates
 * themselves (term statistics from these n texts; fields weighted: project
 * 3, title 2, developer 2, amenities 2, description 1).  out[i] >= 0, 0 when
 * the listing holds no term.  A listing's words are folded the same way as
 * the terms. */
void search_text_scores(const search_terms *t, const listing *const *ls, int n,
                        double *out, arena *a);

/* Folds one word (lower case, diacritics removed) into out (size >= 2);
 * returns its length.  Exposed for the tests and the fuzzer. */
size_t search_fold_word(const char *w, size_t n, char *out, size_t size);

/* ---- rank.c ---------------------------------------------------------- */

/* One listing found by a step of the search, with its signals.  Higher is
 * better for every signal. */
typedef struct search_cand {
    listing l;
    unsigned relax;          /* SEARCH_RELAX_* of the step that found it */
    int pool;                /* which alternative pool of its round (0, 1) */
    double fit;              /* filter fit: price near the target, exact bedrooms, named area */
    double text;             /* BM25 of the buyer's words, 0 when none matched */
    double purpose;          /* the purpose and soft preferences */
    double value;            /* value for money: the locality's median price per sq ft
                                over this one's */
    int semantic;            /* rank in the caller's semantic list, -1 when absent */
    bool sold_out;
    double fused;            /* the fused score, set by search_fuse */
} search_cand;

/* Weights of the ranked lists (documented in docs/search.md). */
typedef struct search_weights {
    double fit, text, purpose, value, semantic;
} search_weights;

#define SEARCH_RRF_K 60.0

/* Reciprocal rank fusion: each signal orders the candidates (ties share a
 * rank); a candidate's fused score is the sum over signals of
 * weight / (SEARCH_RRF_K + rank), rank from 1; a list a candidate is not in
 * (text 0, no semantic rank) adds nothing.  Sold-out listings go last. */
void search_fuse(search_cand *c, int n, const search_weights *w, arena *a);

/* Picks up to room candidates in fused order into out (appending at
 * out[*n_out]), skipping ids already in out: first at most one per
 * project, then two, then any; with several pools, the pools take turns.
 * Returns how many were taken. */
int search_pick(search_cand *c, int n, int n_pools, int room, listing *out,
                unsigned *out_relax, int *n_out, arena *a);

#endif
