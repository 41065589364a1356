/*
 * search.h - finding the listings that fit a buyer's slots and words.
 *
 * The store filters (hard constraints on indexed columns, the FTS5 index for
 * rare words); this module decides what to ask the store for, relaxes one
 * constraint at a time when too little fits and says which, ranks what comes
 * back and keeps the shown set diverse across projects.  It never changes a
 * listing's numbers.  docs/search.md has the whole method; in short:
 *
 *   retrieval   per step of the relaxation ladder, the listings nearest the
 *               buyer's target price on both sides (two index range scans),
 *               plus the listings holding the buyer's rarer words (FTS5),
 *               plus those of the caller's semantic list, every one meeting
 *               the step's hard constraints;
 *   ranking     reciprocal rank fusion of ranked lists: filter fit, BM25 of
 *               the buyer's words, purpose and soft preferences (investment
 *               weighs yield; living weighs ready status, amenities,
 *               schools), value for money, and the optional semantic list;
 *   diversity   at most one unit per project until every project had a turn,
 *               then two, never three while others fit;
 *   relaxation  exact, then both "what a little more buys" (the budget
 *               widened by the tolerance) and the nearest neighbouring
 *               locality (by centroid distance) at the same budget, then other
 *               bedroom counts, then the cheapest above the budget, then any
 *               type and area.  The transaction is never relaxed.
 *
 * Modes: SEARCH_CHEAPER looks 10-20% below the budget, SEARCH_BETTER 10-15%
 * above it and ranks value for money first ("something better for a bit
 * more").
 *
 * Semantic list: a caller with an embeddings provider passes the listing
 * ids it finds most similar to the buyer's words, best first
 * (semantic_ids / n_semantic).  They join the candidates (only those meeting
 * the hard constraints) and their order is one more ranked list in the
 * fusion.  NULL changes nothing.
 */
#ifndef PT_SEARCH_H
#define PT_SEARCH_H

#include "core/types.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"

/* Which constraints were relaxed to fill the answer (bits). */
enum {
    SEARCH_RELAX_BUDGET = 1 << 0,     /* price band widened, or opened upwards */
    SEARCH_RELAX_BEDROOMS = 1 << 1,   /* other bedroom counts */
    SEARCH_RELAX_LOCATION = 1 << 2,   /* any area */
    SEARCH_RELAX_TYPE = 1 << 3,       /* other property types */
    SEARCH_RELAX_NEIGHBOUR = 1 << 4,  /* the nearest neighbouring locality */
};

typedef enum search_mode {
    SEARCH_FIT = 0,      /* what fits the slots */
    SEARCH_CHEAPER,      /* 10-20% below the budget */
    SEARCH_BETTER,       /* 10-15% above the budget, best value first */
} search_mode;

#define SEARCH_CHEAPER_LO_PCT 80
#define SEARCH_CHEAPER_HI_PCT 90
#define SEARCH_BETTER_LO_PCT 110
#define SEARCH_BETTER_HI_PCT 115

typedef struct search_request {
    const slots *slots;           /* the buyer's wishes */
    const char *currency;         /* the inventory currency (tenant's) */
    int want_min, want_max;       /* results wanted, e.g. 3..5 */
    int tolerance_pct;            /* budget widening for the first relaxation */
    const char *const *exclude_ids;  /* listings already shown (for "more") */
    int n_exclude;
    const char *const *exclude_localities;  /* areas the buyer ruled out: no listing in
                                     them, at any step, and no neighbour step there */
    int n_exclude_localities;
    /* issue 4 */
    const char *text;             /* the buyer's own words, for text relevance; NULL: none */
    const store_locality_stats *localities;  /* the tenant's localities (centroids, market
                                     figures): neighbours and price references; NULL:
                                     no neighbour step */
    int n_localities;
    search_mode mode;
    money reference;              /* CHEAPER/BETTER: the price of what was shown (0:
                                     none).  The band is around the budget, or around
                                     this when there is no budget or this is well
                                     (10%) under it: "cheaper" than what the buyer
                                     is looking at */
    const char *const *semantic_ids;  /* listing ids by embedding similarity, best first;
                                     NULL: none */
    int n_semantic;
} search_request;

typedef struct search_result {
    listing *items;               /* arena array, best first */
    int n;
    int n_exact;                  /* items[0..n_exact) met every constraint */
    unsigned relaxed;             /* SEARCH_RELAX_* used for items past n_exact */
    money widened_max, widened_min;  /* budget edges after widening (if relaxed) */
    /* issue 4 */
    unsigned *item_relax;         /* per item: SEARCH_RELAX_* of the step that found it */
    const char *neighbour;        /* SEARCH_RELAX_NEIGHBOUR: the locality used */
    const char *neighbour_of;     /* ... next to this one the buyer named */
    double neighbour_km;          /* centroid distance */
    transaction tx;               /* the transaction searched (inferred from the
                                     budget when the slot is empty; TX_NONE: both) */
    bool has_band;                /* CHEAPER/BETTER: the band searched */
    money band_min, band_max;
    money band_base;              /* ... and the price it is 10-20% under / over */
    money above_from;             /* the cheapest listing of the wish above the budget
                                     that the store returned (0: none looked for) */
    bool beyond_tolerance;        /* some item costs more than the budget widened by
                                     the tolerance (the open-budget step) */
    int candidates;               /* listings scored, over every step */
    int steps;                    /* store queries made */
} search_result;

/* Runs the search.  Everything in *out is in arena a.  Errors: store
 * errors, NOMEM. */
int search_listings(store *s, tenant_id t, const search_request *req, arena *a,
                    search_result *out, pt_error *err);

/* The mean, on a log scale, of the median prices of tx (TX_RENT: rents,
 * else sales) of the localities ls[0..n) that have one, and in *count how
 * many do (0: the mean is 0).  What a budget alone is read against: the
 * transaction it is nearer (the search when buy or rent was not said, the
 * dialog when "rent" comes after a budget). */
double search_mean_log_price(const store_locality_stats *ls, int n, transaction tx, int *count);

/* Great-circle distance in km between two points (degrees). */
double search_distance_km(double lat1, double lon1, double lat2, double lon2);

/* The nearest localities to `name` by centroid distance, nearest first,
 * within max_km, with listings of tx (TX_NONE: any), preferring the same
 * city.  Fills up to max indexes into ls; returns how many. */
int search_neighbours(const store_locality_stats *ls, int n, const char *name,
                      transaction tx, double max_km, int *out, int max);

#endif
