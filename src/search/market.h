/*
 * market.h - answers from the inventory's own numbers: how an area compares
 * with its city and with another area, whether it looks like an investment,
 * which areas are emerging at a buyer's budget.
 *
 * Input is the tenant's per-locality figures (store_locality_stats, loaded
 * with the tenant: median price, median price per sq ft, average yield,
 * supply and the share off plan, per transaction).  Nothing here queries
 * the store or forecasts anything: every figure is what the listings say
 * today, and the dialog says so.
 *
 * City figures are over the city's localities, each locality weighted by
 * its listings: the weighted median of the localities' median price per
 * sq ft, and the weighted mean of their average yields.
 *
 * An area is "emerging" when its median price per sq ft is at least
 * MARKET_EMERGING_DISCOUNT_PCT below its city's and at least
 * MARKET_EMERGING_OFFPLAN_PCT of its listings for sale are off plan (new
 * supply is being built where prices are still low).
 */
#ifndef PT_MARKET_H
#define PT_MARKET_H

#include <stdbool.h>

#include "core/types.h"
#include "store/store.h"

#define MARKET_EMERGING_DISCOUNT_PCT 15
#define MARKET_EMERGING_OFFPLAN_PCT 40

typedef struct market_city {
    const char *city;
    int listings;
    double median_ppsf;          /* -1 unknown */
    double avg_yield;            /* -1 unknown */
} market_city;

typedef enum market_verdict {
    MARKET_STRONG = 0,   /* yields 0.3 points above the city's at a price per sq ft
                            at least 3% below it */
    MARKET_YIELD,        /* yields 0.3 points above the city's */
    MARKET_VALUE,        /* priced well below the city's median, yields about average */
    MARKET_PREMIUM,      /* priced above the city's median, yields below it */
    MARKET_AVERAGE,      /* close to the city on both */
    MARKET_THIN,         /* too few listings to say */
} market_verdict;

const char *market_verdict_name(market_verdict v);   /* "strong", ... */

typedef struct market_area {
    const store_locality_stats *loc;
    const store_market_figures *f;   /* of the transaction asked */
    market_city city;
    double ppsf_vs_city_pct;     /* +12: 12% dearer per sq ft than the city; 0 unknown */
    double yield_vs_city_pts;    /* +0.4: 0.4 points above the city's average yield */
    double off_plan_pct;         /* of the area's listings of the transaction */
    bool emerging;
    market_verdict verdict;
} market_area;

#define MARKET_MIN_LISTINGS 5

/* Figures of `locality` for tx (TX_NONE: sale) against its city.
 * Returns 0, or -PT_ERR_NOT_FOUND when the inventory has no such locality. */
int market_area_get(const store_locality_stats *ls, int n, const char *locality,
                    transaction tx, market_area *out);

/* The areas emerging at a similar budget (their median price within
 * 0.6x..1.4x of budget; any budget when 0), in city (NULL: any), best
 * yield first.  Fills up to max; returns how many. */
int market_emerging(const store_locality_stats *ls, int n, transaction tx, money budget,
                    const char *city, market_area *out, int max);

/* Percent by which a is cheaper per sq ft than b (negative: dearer); 0 when
 * either is unknown. */
double market_ppsf_gap_pct(const market_area *a, const market_area *b);

#endif
