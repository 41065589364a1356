/*
 * market.c - area figures against their city; see market.h.
 */
#include "search/market.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"

const char *market_verdict_name(market_verdict v)
{
    static const char *const names[] = {"strong", "yield", "value", "premium", "average",
                                        "thin"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "average";
}

static const store_market_figures *fig(const store_locality_stats *l, transaction tx)
{
    return tx == TX_RENT ? &l->rent : &l->sale;
}

typedef struct wv {
    double v;
    int w;
} wv;

static int cmp_wv(const void *x, const void *y)
{
    const wv *a = x, *b = y;
    return (a->v > b->v) - (a->v < b->v);
}

/* The city's figures for tx over its localities (weighted by listings). */
static void city_figures(const store_locality_stats *ls, int n, const char *city,
                         transaction tx, market_city *out)
{
    memset(out, 0, sizeof *out);
    out->city = city;
    out->median_ppsf = -1;
    out->avg_yield = -1;
    wv *v = malloc(sizeof *v * (size_t)(n ? n : 1));
    int m = 0, wsum = 0, ywsum = 0;
    double ysum = 0;
    for (int i = 0; i < n; i++) {
        if (city && (ls[i].city == NULL || strcasecmp(ls[i].city, city) != 0))
            continue;
        const store_market_figures *f = fig(&ls[i], tx);
        out->listings += f->listings;
        if (f->median_price_per_sqft > 0 && f->listings > 0 && v) {
            v[m++] = (wv){f->median_price_per_sqft, f->listings};
            wsum += f->listings;
        }
        if (f->avg_yield >= 0 && f->listings > 0) {
            ysum += f->avg_yield * f->listings;
            ywsum += f->listings;
        }
    }
    if (m && v) {
        qsort(v, (size_t)m, sizeof *v, cmp_wv);
        int acc = 0;
        for (int i = 0; i < m; i++) {
            acc += v[i].w;
            if (2 * acc >= wsum) {
                out->median_ppsf = v[i].v;
                break;
            }
        }
    }
    if (ywsum)
        out->avg_yield = ysum / ywsum;
    free(v);
}

static void judge(market_area *a)
{
    const store_market_figures *f = a->f;
    a->ppsf_vs_city_pct = 0;
    a->yield_vs_city_pts = 0;
    if (f->median_price_per_sqft > 0 && a->city.median_ppsf > 0)
        a->ppsf_vs_city_pct = (f->median_price_per_sqft / a->city.median_ppsf - 1) * 100;
    if (f->avg_yield >= 0 && a->city.avg_yield >= 0)
        a->yield_vs_city_pts = f->avg_yield - a->city.avg_yield;
    a->off_plan_pct = f->listings ? 100.0 * f->off_plan / f->listings : 0;
    a->emerging = f->median_price_per_sqft > 0 && a->city.median_ppsf > 0 &&
                  a->ppsf_vs_city_pct <= -MARKET_EMERGING_DISCOUNT_PCT &&
                  a->off_plan_pct >= MARKET_EMERGING_OFFPLAN_PCT;
    bool known_yield = f->avg_yield >= 0 && a->city.avg_yield >= 0;
    if (f->listings < MARKET_MIN_LISTINGS)
        a->verdict = MARKET_THIN;
    else if (known_yield && a->yield_vs_city_pts >= 0.3 && a->ppsf_vs_city_pct <= -3)
        a->verdict = MARKET_STRONG;
    else if (known_yield && a->yield_vs_city_pts >= 0.3)
        a->verdict = MARKET_YIELD;
    else if (a->ppsf_vs_city_pct <= -10)
        a->verdict = MARKET_VALUE;
    else if (a->ppsf_vs_city_pct >= 10 && (!known_yield || a->yield_vs_city_pts <= -0.3))
        a->verdict = MARKET_PREMIUM;
    else
        a->verdict = MARKET_AVERAGE;
}

int market_area_get(const store_locality_stats *ls, int n, const char *locality,
                    transaction tx, market_area *out)
{
    memset(out, 0, sizeof *out);
    if (tx == TX_NONE)
        tx = TX_BUY;
    for (int i = 0; locality && i < n; i++) {
        if (ls[i].locality == NULL || strcasecmp(ls[i].locality, locality) != 0)
            continue;
        out->loc = &ls[i];
        out->f = fig(&ls[i], tx);
        city_figures(ls, n, ls[i].city, tx, &out->city);
        judge(out);
        return 0;
    }
    return -PT_ERR_NOT_FOUND;
}

static int cmp_yield(const void *x, const void *y)
{
    const market_area *a = x, *b = y;
    double ya = a->f->avg_yield, yb = b->f->avg_yield;
    if (ya != yb)
        return ya > yb ? -1 : 1;
    return strcmp(a->loc->locality, b->loc->locality);
}

int market_emerging(const store_locality_stats *ls, int n, transaction tx, money budget,
                    const char *city, market_area *out, int max)
{
    int k = 0;
    if (tx == TX_NONE)
        tx = TX_BUY;
    market_area *all = malloc(sizeof *all * (size_t)(n ? n : 1));
    if (all == NULL)
        return 0;
    for (int i = 0; i < n; i++) {
        if (city && (ls[i].city == NULL || strcasecmp(ls[i].city, city) != 0))
            continue;
        market_area a;
        if (market_area_get(ls, n, ls[i].locality, tx, &a) != 0 || !a.emerging ||
            a.f->listings < MARKET_MIN_LISTINGS)
            continue;
        if (budget > 0 && (a.f->median_price < budget * 6 / 10 ||
                           a.f->median_price > budget * 14 / 10))
            continue;
        all[k++] = a;
    }
    qsort(all, (size_t)k, sizeof *all, cmp_yield);
    if (k > max)
        k = max;
    memcpy(out, all, sizeof *out * (size_t)k);
    free(all);
    return k;
}

double market_ppsf_gap_pct(const market_area *a, const market_area *b)
{
    double x = a->f ? a->f->median_price_per_sqft : -1, y = b->f ? b->f->median_price_per_sqft : -1;
    if (x <= 0 || y <= 0)
        return 0;
    return (1 - x / y) * 100;
}
