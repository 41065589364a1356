/*
 * search.c - filter, relax, rank, diversify; see search.h.
 */
#include "search/search.h"

#include <math.h>
#include <string.h>

#define SEARCH_CANDIDATES 200

typedef struct scored {
    listing *l;
    double score;
} scored;

/* Budget fit: inside the band, prices near the top of it score best (the
 * buyer gets the most for their budget); outside, the score falls with the
 * distance. */
static double budget_fit(const slots *sl, money price)
{
    double lo = sl->has_budget_min ? (double)sl->budget_min : 0;
    double hi = sl->has_budget_max ? (double)sl->budget_max : 0;
    if (hi <= 0 && lo <= 0)
        return 0.5;
    double target = hi > 0 ? (lo > 0 ? (lo + hi) / 2 + (hi - lo) / 4 : hi * 0.85) : lo * 1.15;
    double d = fabs((double)price - target) / (target > 0 ? target : 1);
    return d >= 1 ? 0 : 1 - d;
}

static int count_amenities(const char *a)
{
    int n = 0;
    if (a == NULL || *a == '\0')
        return 0;
    for (n = 1; *a; a++)
        if (*a == ';')
            n++;
    return n;
}

static double score_listing(const slots *sl, const listing *l)
{
    double s = 0.5 * budget_fit(sl, l->price);
    if (sl->bedrooms >= 0)
        s += l->bedrooms == sl->bedrooms ? 0.15 : 0;
    else
        s += 0.075;
    if (sl->purpose == PURPOSE_INVESTMENT) {
        double y = l->rental_yield > 0 ? l->rental_yield : 0;
        s += 0.3 * (y > 10 ? 1 : y / 10);
        s += l->status == LSTATUS_OFF_PLAN ? 0.05 : 0.02;
    } else if (sl->purpose == PURPOSE_LIVING || sl->purpose == PURPOSE_RESIDENCY) {
        s += l->status == LSTATUS_READY ? 0.2 : 0;
        int n = count_amenities(l->amenities);
        s += 0.15 * (n > 6 ? 1 : n / 6.0);
    } else {
        s += 0.1 * (l->rental_yield > 0 ? (l->rental_yield > 10 ? 1 : l->rental_yield / 10) : 0);
        s += l->status == LSTATUS_READY ? 0.1 : 0;
    }
    if (l->units_available == 0)
        s -= 1;   /* sold out: last resort */
    return s;
}

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score > y->score)
        return -1;
    if (x->score < y->score)
        return 1;
    return strcmp(x->l->id, y->l->id);   /* deterministic ties */
}

static int excluded(const search_request *req, const listing *l)
{
    for (int i = 0; i < req->n_exclude; i++)
        if (req->exclude_ids[i] && strcmp(req->exclude_ids[i], l->id) == 0)
            return 1;
    return 0;
}

static int already_in(const search_result *r, const listing *l)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->items[i].id, l->id) == 0)
            return 1;
    return 0;
}

/* Adds up to `room` ranked, diverse candidates to out. */
static void take_ranked(const search_request *req, listing *cands, int n, search_result *out,
                        int room, arena *a)
{
    scored *sc = arena_alloc(a, sizeof *sc * (size_t)(n ? n : 1));
    int m = 0;
    if (sc == NULL)
        return;
    for (int i = 0; i < n; i++) {
        if (excluded(req, &cands[i]) || already_in(out, &cands[i]))
            continue;
        sc[m].l = &cands[i];
        sc[m].score = score_listing(req->slots, &cands[i]);
        m++;
    }
    qsort(sc, (size_t)m, sizeof *sc, cmp_scored);
    /* two passes: first one listing per project, then the rest */
    char *taken = arena_zalloc(a, (size_t)(m ? m : 1));
    if (taken == NULL)
        return;
    for (int pass = 0; pass < 2 && room > 0; pass++) {
        for (int i = 0; i < m && room > 0; i++) {
            if (taken[i])
                continue;
            if (pass == 0) {
                int dup = 0;
                for (int j = 0; j < out->n && !dup; j++)
                    dup = sc[i].l->project && out->items[j].project
                          && strcmp(sc[i].l->project, out->items[j].project) == 0;
                if (dup)
                    continue;
            }
            out->items[out->n++] = *sc[i].l;
            taken[i] = 1;
            room--;
        }
    }
}

static void query_from_slots(const search_request *req, unsigned relax, store_listing_query *q,
                             const char **locs, search_result *out)
{
    const slots *sl = req->slots;
    memset(q, 0, sizeof *q);
    q->tx = sl->tx;
    q->type = (relax & SEARCH_RELAX_TYPE) ? PTYPE_NONE : sl->type;
    q->bedrooms = (relax & SEARCH_RELAX_BEDROOMS) ? -1 : sl->bedrooms;
    if (q->type == PTYPE_STUDIO && q->bedrooms < 0)
        q->bedrooms = 0;
    q->currency = req->currency;
    q->limit = SEARCH_CANDIDATES;
    double widen = (relax & SEARCH_RELAX_BUDGET) ? req->tolerance_pct / 100.0 : 0;
    if (sl->has_budget_max) {
        q->has_price_max = true;
        q->price_max = (money)((double)sl->budget_max * (1 + widen));
        out->widened_max = q->price_max;
    }
    if (sl->has_budget_min) {
        q->has_price_min = true;
        q->price_min = (money)((double)sl->budget_min * (1 - widen));
        out->widened_min = q->price_min;
    }
    if (!(relax & SEARCH_RELAX_LOCATION) && sl->n_locations > 0) {
        for (int i = 0; i < sl->n_locations; i++)
            locs[i] = sl->locations[i];
        q->localities = locs;
        q->n_localities = sl->n_locations;
    }
}

int search_listings(store *s, tenant_id t, const search_request *req, arena *a,
                    search_result *out, pt_error *err)
{
    /* Relaxation ladder, tried in order until enough fits.  `open_budget`
     * drops the price cap: the store returns the cheapest listings above the
     * budget, so the buyer learns what a little more buys. */
    static const struct { unsigned relax; bool open_budget; } ladder[] = {
        {0, false},
        {SEARCH_RELAX_BUDGET, false},
        {SEARCH_RELAX_BUDGET | SEARCH_RELAX_BEDROOMS, false},
        {SEARCH_RELAX_BUDGET | SEARCH_RELAX_BEDROOMS | SEARCH_RELAX_LOCATION, false},
        {SEARCH_RELAX_BUDGET, true},
        {SEARCH_RELAX_BUDGET | SEARCH_RELAX_BEDROOMS | SEARCH_RELAX_LOCATION | SEARCH_RELAX_TYPE, false},
    };
    int rc = 0;
    int want_max = req->want_max > 0 ? req->want_max : 5;
    int want_min = req->want_min > 0 ? req->want_min : 3;
    const slots *sl = req->slots;
    memset(out, 0, sizeof *out);
    out->items = arena_zalloc(a, sizeof *out->items * (size_t)want_max);
    if (out->items == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "search: out of memory");
    for (size_t step = 0; step < sizeof ladder / sizeof ladder[0]; step++) {
        unsigned relax = ladder[step].relax;
        /* skip steps that relax nothing the buyer asked for */
        if ((relax & SEARCH_RELAX_BUDGET) && !sl->has_budget_max && !sl->has_budget_min)
            continue;
        if (step > 0 && step < 4) {
            unsigned added = relax & ~ladder[step - 1].relax;
            if ((added & SEARCH_RELAX_BEDROOMS) && sl->bedrooms < 0)
                continue;
            if ((added & SEARCH_RELAX_LOCATION) && sl->n_locations == 0)
                continue;
        }
        store_listing_query q;
        const char *locs[4];
        listing *cands = NULL;
        int n = 0;
        search_result tmp = {0};
        query_from_slots(req, relax, &q, locs, &tmp);
        if (ladder[step].open_budget) {
            q.has_price_max = false;
            q.has_price_min = false;
        }
        rc = s->ops->listing_search(s, t, &q, a, &cands, &n, err);
        if (rc)
            return rc;
        int before = out->n;
        take_ranked(req, cands, n, out, want_max - out->n, a);
        if (step == 0) {
            out->n_exact = out->n;
        } else if (out->n > before) {
            out->relaxed |= relax;
            out->widened_max = tmp.widened_max;
            out->widened_min = tmp.widened_min;
            if (ladder[step].open_budget)
                for (int i = before; i < out->n; i++)
                    if (out->items[i].price > out->widened_max)
                        out->widened_max = out->items[i].price;
        }
        if (out->n >= want_min)
            break;
    }
    return 0;
}
