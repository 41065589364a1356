/*
 * search.h - finding the listings that fit a buyer's slots.
 *
 * The store does the filtering (hard constraints on indexed columns); this
 * module decides what to ask the store for, relaxes constraints one at a
 * time when too little fits, ranks what comes back and keeps the shown set
 * diverse across projects.  It never changes a listing's numbers.
 *
 * Ranking (documented in docs/search.md): each candidate gets a score in
 * [0, 1] from budget fit (price near the top of the buyer's band is best),
 * an exact bedroom match, and the purpose (investment weighs rental yield;
 * living weighs ready status and amenities).  Candidates are then taken
 * greedily, at most one per project until every project had its turn.
 */
#ifndef PT_SEARCH_H
#define PT_SEARCH_H

#include "core/types.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"

/* Which constraints were relaxed to fill the answer (bits). */
enum {
    SEARCH_RELAX_BUDGET = 1 << 0,
    SEARCH_RELAX_BEDROOMS = 1 << 1,
    SEARCH_RELAX_LOCATION = 1 << 2,
    SEARCH_RELAX_TYPE = 1 << 3,
};

typedef struct search_request {
    const slots *slots;           /* the buyer's wishes */
    const char *currency;         /* the inventory currency (tenant's) */
    int want_min, want_max;       /* results wanted, e.g. 3..5 */
    int tolerance_pct;            /* budget widening for the first relaxation */
    const char *const *exclude_ids;  /* listings already shown (for "more") */
    int n_exclude;
} search_request;

typedef struct search_result {
    listing *items;               /* arena array, best first */
    int n;
    int n_exact;                  /* items[0..n_exact) met every constraint */
    unsigned relaxed;             /* SEARCH_RELAX_* used for items past n_exact */
    money widened_max, widened_min;  /* budget edges after widening (if relaxed) */
} search_result;

/* Runs the search.  Errors: store errors. */
int search_listings(store *s, tenant_id t, const search_request *req, arena *a,
                    search_result *out, pt_error *err);

#endif
