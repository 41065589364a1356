/*
 * search.c - the relaxation ladder, retrieval and scoring; see search.h and
 * docs/search.md.
 *
 * A search is a few rounds.  Each round runs one or two steps (pools), each
 * step asks the store for the listings that meet the step's hard
 * constraints: those nearest the target price from above and from below
 * (two range scans that stop at their limit), those holding the buyer's rare
 * words, and the caller's semantic candidates that pass the same
 * constraints.  The round's candidates are scored (text.c), fused and picked
 * with diversity (rank.c).  Rounds stop as soon as enough was found; every
 * listing records the relaxation that found it.
 */
#include "search/search_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SIDE_K 40               /* candidates per side of the target price */
#define TEXT_K 40               /* candidates from the rare-word lookup */
#define TEXT_RARE_CAP 300       /* a word in at most this many listings is rare */
#define SEMANTIC_MAX 64         /* semantic ids considered */
#define NEIGHBOUR_KM 25.0       /* a neighbour is at most this far (centroids) */
#define MAX_CANDS 600          /* candidates of one round, at most */

/* One step: the hard constraints of a store query, and where its listings
 * go. */
typedef struct step {
    unsigned relax;
    int pool;
    bool has_lo, has_hi;
    money lo, hi;               /* price band, inclusive */
    bool has_target;
    money target;
    bool above_only;            /* open budget: the cheapest from lo upwards */
    const char *const *locs;    /* NULL: any area */
    int n_locs;
    property_type type;
    int bedrooms;
} step;

/* The ids of a round's candidates: open addressing, at most half full,
 * grown by doubling from ID_SET_MIN slots (a round usually has tens of
 * candidates, at most MAX_CANDS). */
#define ID_SET_MIN 64
typedef struct id_set {
    const char **slot;          /* NULL until the first add */
    unsigned cap;               /* power of two, or 0 */
    unsigned n;
} id_set;

typedef struct ctx {
    store *s;
    tenant_id t;
    const search_request *req;
    const slots *sl;
    arena *a;
    pt_error *err;
    search_result *out;
    search_terms terms;
    const char *rare_match;     /* FTS5 query of the rare terms, or NULL */
    int n_rare;
    transaction tx[2];
    int n_tx;
    listing *semantic;          /* the semantic candidates that exist */
    int *semantic_rank;
    int n_semantic;
    search_cand *c;             /* the round's candidates */
    int n, cap;
    id_set seen;                /* ids in the round */
    search_weights w;
    const char *named[4];       /* the buyer's localities */
    int n_named;
} ctx;

/* ---- small helpers ---------------------------------------------------- */

double search_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0, d = M_PI / 180;
    double dlat = (lat2 - lat1) * d, dlon = (lon2 - lon1) * d;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * d) * cos(lat2 * d) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(h < 1 ? h : 1));
}

static const store_market_figures *figures(const store_locality_stats *l, transaction tx)
{
    return tx == TX_RENT ? &l->rent : &l->sale;
}

static int locality_index(const store_locality_stats *ls, int n, const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        if (ls[i].locality && strcasecmp(ls[i].locality, name) == 0)
            return i;
    return -1;
}

int search_neighbours(const store_locality_stats *ls, int n, const char *name, transaction tx,
                      double max_km, int *out, int max)
{
    int self = locality_index(ls, n, name);
    int k = 0;
    if (self < 0 || !ls[self].has_geo || max <= 0)
        return 0;
    double dist[16];
    if (max > 16)
        max = 16;
    for (int i = 0; i < n; i++) {
        if (i == self || !ls[i].has_geo)
            continue;
        if (tx != TX_NONE && figures(&ls[i], tx)->listings == 0)
            continue;
        /* a great circle is never shorter than its difference of latitude:
         * a locality that far north or south is out without the sines (the
         * margin keeps this a bound on the computed distance too) */
        if (fabs(ls[i].lat - ls[self].lat) * (M_PI / 180 * 6371.0) * (1 - 1e-9) > max_km)
            continue;
        double km = search_distance_km(ls[self].lat, ls[self].lon, ls[i].lat, ls[i].lon);
        if (km > max_km)
            continue;
        /* another city's locality only counts at twice the distance */
        if (ls[self].city && ls[i].city && strcasecmp(ls[self].city, ls[i].city) != 0)
            km *= 2;
        int j = k < max ? k++ : max;
        if (j == max && km >= dist[max - 1])
            continue;
        if (j == max)
            j = max - 1;
        while (j > 0 && dist[j - 1] > km) {
            dist[j] = dist[j - 1];
            out[j] = out[j - 1];
            j--;
        }
        dist[j] = km;
        out[j] = i;
    }
    return k;
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Adds id; false when it was there already. */
static bool id_set_add(id_set *set, const char *id)
{
    unsigned mask = set->cap - 1;
    for (unsigned i = hash_str(id) & mask;; i = (i + 1) & mask) {
        if (set->slot[i] == NULL) {
            set->slot[i] = id;
            set->n++;
            return true;
        }
        if (strcmp(set->slot[i], id) == 0)
            return false;
    }
}

/* Room for one more id at most half full; -1 when out of memory. */
static int id_set_reserve(id_set *set, arena *a)
{
    if (2 * (set->n + 1) <= set->cap)
        return 0;
    unsigned ncap = set->cap ? 2 * set->cap : ID_SET_MIN;
    id_set grown = {arena_zalloc(a, sizeof *grown.slot * ncap), ncap, 0};
    if (grown.slot == NULL)
        return -1;
    for (unsigned i = 0; i < set->cap; i++)
        if (set->slot[i])
            id_set_add(&grown, set->slot[i]);
    *set = grown;
    return 0;
}

/* Whether locality name is one the buyer ruled out. */
static bool locality_ruled_out(const search_request *req, const char *name)
{
    for (int i = 0; i < req->n_exclude_localities; i++)
        if (name && req->exclude_localities[i] && strcasecmp(req->exclude_localities[i], name) == 0)
            return true;
    return false;
}

static bool excluded(const ctx *c, const char *id)
{
    for (int i = 0; i < c->req->n_exclude; i++)
        if (c->req->exclude_ids[i] && strcmp(c->req->exclude_ids[i], id) == 0)
            return true;
    for (int i = 0; i < c->out->n; i++)
        if (strcmp(c->out->items[i].id, id) == 0)
            return true;
    return false;
}

/* Does l meet the step's hard constraints?  (The store's filters, for
 * listings that did not come from a store query.) */
static bool step_matches(const ctx *c, const step *st, transaction tx, const listing *l)
{
    if (tx != TX_NONE && l->tx != tx)
        return false;
    if (st->type != PTYPE_NONE && l->type != st->type)
        return false;
    if (st->bedrooms >= 0 && l->bedrooms != st->bedrooms)
        return false;
    if (st->has_lo && l->price < st->lo)
        return false;
    if (st->has_hi && l->price > st->hi)
        return false;
    if (c->req->currency && c->req->currency[0] && strcmp(l->currency, c->req->currency) != 0)
        return false;
    if (st->n_locs > 0) {
        bool in = false;
        for (int i = 0; i < st->n_locs && !in; i++)
            in = l->locality && strcmp(l->locality, st->locs[i]) == 0;
        if (!in)
            return false;
    }
    return true;
}

/* ---- candidates ------------------------------------------------------- */

static int cand_add(ctx *c, const step *st, const listing *l)
{
    if (c->n >= MAX_CANDS || excluded(c, l->id)
        || (c->req->n_exclude_localities && locality_ruled_out(c->req, l->locality)))
        return 0;
    if (id_set_reserve(&c->seen, c->a) != 0)
        return pt_fail(c->err, PT_ERR_NOMEM, "search: out of memory");
    if (!id_set_add(&c->seen, l->id))
        return 0;
    if (c->n == c->cap) {
        int ncap = c->cap ? c->cap * 2 : 128;
        search_cand *p = arena_alloc(c->a, sizeof *p * (size_t)ncap);
        if (p == NULL)
            return pt_fail(c->err, PT_ERR_NOMEM, "search: out of memory");
        if (c->n)
            memcpy(p, c->c, sizeof *p * (size_t)c->n);
        c->c = p;
        c->cap = ncap;
    }
    search_cand *x = &c->c[c->n++];
    memset(x, 0, sizeof *x);
    x->l = *l;
    x->relax = st->relax;
    x->pool = st->pool;
    x->semantic = -1;
    x->sold_out = l->units_available == 0;
    return 0;
}

static int run_query(ctx *c, const step *st, store_listing_query *q)
{
    listing *rows = NULL;
    int n = 0;
    int rc = c->s->ops->listing_search(c->s, c->t, q, c->a, &rows, &n, c->err);
    c->out->steps++;
    if (rc == -PT_ERR_INVALID && q->text_match) {
        /* a text query the index refused: do without the words */
        pt_error_clear(c->err);
        return 0;
    }
    for (int i = 0; rc == 0 && i < n; i++)
        rc = cand_add(c, st, &rows[i]);
    /* where what was asked starts above the budget (a fact of the
     * inventory, whichever of these listings the pick shows) */
    if (rc == 0 && st->above_only && n > 0 && !q->price_desc && q->text_match == NULL &&
        (c->out->above_from == 0 || rows[0].price < c->out->above_from))
        c->out->above_from = rows[0].price;
    return rc;
}

/* The store queries of one step. */
static int fetch(ctx *c, const step *st)
{
    int rc = 0;
    for (int k = 0; rc == 0 && k < c->n_tx; k++) {
        store_listing_query q;
        memset(&q, 0, sizeof q);
        q.tx = c->tx[k];
        q.type = st->type;
        q.bedrooms = st->bedrooms;
        q.currency = c->req->currency;
        q.localities = st->locs;
        q.n_localities = st->n_locs;
        q.has_price_min = st->has_lo;
        q.price_min = st->lo;
        q.has_price_max = st->has_hi;
        q.price_max = st->hi;
        if (st->above_only || !st->has_target) {
            q.limit = 2 * SIDE_K;
            rc = run_query(c, st, &q);
        } else {
            /* from the target upwards, and from below it downwards */
            store_listing_query up = q, down = q;
            up.has_price_min = true;
            up.price_min = st->has_lo && st->lo > st->target ? st->lo : st->target;
            up.limit = SIDE_K;
            down.has_price_max = true;
            down.price_max = st->target - 1;
            if (st->has_hi && st->hi < down.price_max)
                down.price_max = st->hi;
            down.price_desc = true;
            down.limit = SIDE_K;
            if (!(st->has_hi && up.price_min > st->hi))
                rc = run_query(c, st, &up);
            if (rc == 0 && !(st->has_lo && down.price_max < st->lo))
                rc = run_query(c, st, &down);
        }
        if (rc == 0 && c->rare_match) {
            store_listing_query tq = q;
            tq.text_match = c->rare_match;
            tq.text_scan = TEXT_RARE_CAP * c->n_rare;
            tq.limit = TEXT_K;
            rc = run_query(c, st, &tq);
        }
        for (int i = 0; rc == 0 && i < c->n_semantic; i++)
            if (step_matches(c, st, c->tx[k], &c->semantic[i]))
                rc = cand_add(c, st, &c->semantic[i]);
    }
    return rc;
}

/* ---- scoring ---------------------------------------------------------- */

static int count_items(const char *list)
{
    int n = 0;
    if (list == NULL || *list == '\0')
        return 0;
    for (n = 1; (list = strchr(list, ';')) != NULL; list++)
        n++;
    return n;
}

/* Horspool's skip for "school" after byte b (folded: x | 0x20 is a
 * lower-case letter only for that letter in either case). */
static inline size_t school_skip(unsigned char b)
{
    switch (b | 0x20) {
    case 's': return 5;
    case 'c': return 4;
    case 'h': return 3;
    case 'o': return 1;
    default: return 6;
    }
}

/* strcasestr(text, "school") != NULL (the C locale's strcasestr folds ASCII
 * only), by Horspool's skips. */
static bool mentions_school(const char *text)
{
    static const char w[] = "school";
    enum { N = sizeof w - 1 };
    if (text == NULL)
        return false;
    size_t n = strlen(text);
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i + N <= n; i += school_skip(p[i + N - 1])) {
        int j = N - 1;
        while (j >= 0 && (p[i + j] | 0x20) == (unsigned char)w[j])
            j--;
        if (j < 0)
            return true;
    }
    return false;
}

static bool near_school(const listing *l)
{
    return mentions_school(l->description) || mentions_school(l->amenities);
}

static void score(ctx *c)
{
    const slots *sl = c->sl;
    const search_request *req = c->req;
    const store_locality_stats *last = NULL;
    for (int i = 0; i < c->n; i++) {
        search_cand *x = &c->c[i];
        const listing *l = &x->l;
        /* filter fit: the price against the target; what a relaxed step
         * found still ranks by how close it stays to the wish */
        double fit = 0.5;
        money target = 0;
        if (req->mode != SEARCH_FIT && c->out->has_band)
            target = c->out->band_min / 2 + c->out->band_max / 2;
        else if (sl->has_budget_max && sl->has_budget_min)
            target = sl->budget_min + (sl->budget_max - sl->budget_min) * 6 / 10;
        else if (sl->has_budget_max)
            target = sl->budget_max * 9 / 10;
        else if (sl->has_budget_min)
            target = sl->budget_min * 11 / 10;
        if (target > 0) {
            double d = fabs((double)l->price - (double)target) / (double)target;
            fit = d >= 1 ? 0 : 1 - d;
        }
        if (sl->bedrooms >= 0 && l->bedrooms >= 0) {
            int d = l->bedrooms > sl->bedrooms ? l->bedrooms - sl->bedrooms
                                               : sl->bedrooms - l->bedrooms;
            fit += d == 0 ? 0.3 : d == 1 ? 0.1 : 0;
        }
        if (sl->type != PTYPE_NONE)
            fit += l->type == sl->type ? 0.3 : 0;
        for (int k = 0; k < c->n_named; k++)
            if (l->locality && strcmp(l->locality, c->named[k]) == 0)
                fit += 0.2;
        x->fit = fit;

        /* purpose and soft preferences */
        double y = l->rental_yield > 0 ? (l->rental_yield > 10 ? 1 : l->rental_yield / 10) : 0;
        int am = count_items(l->amenities);
        double amen = am > 8 ? 1 : am / 8.0;
        bool ready = l->status == LSTATUS_READY;
        double p;
        switch (sl->purpose) {
        case PURPOSE_INVESTMENT:
            /* no school here: the texts are not read for it */
            p = 0.7 * y + (l->status == LSTATUS_OFF_PLAN ? 0.1 : 0.05) + 0.1 * amen;
            break;
        case PURPOSE_LIVING:
        case PURPOSE_RESIDENCY:
            p = (ready ? 0.4 : 0) + 0.35 * amen + (near_school(l) ? 0.25 : 0);
            break;
        default:
            p = 0.3 * y + (ready ? 0.3 : 0) + 0.25 * amen + (near_school(l) ? 0.15 : 0);
            break;
        }
        x->purpose = p;

        /* value: this listing's price per sq ft against its locality's */
        x->value = 0;
        if (l->area_sqft > 0 && req->localities && l->locality) {
            if (last == NULL || strcmp(last->locality, l->locality) != 0) {
                int k = locality_index(req->localities, req->n_localities, l->locality);
                last = k >= 0 ? &req->localities[k] : NULL;
            }
            const store_market_figures *f = last ? figures(last, l->tx) : NULL;
            if (f && f->median_price_per_sqft > 0)
                x->value = f->median_price_per_sqft / ((double)l->price / l->area_sqft);
        }

        /* the semantic rank */
        for (int k = 0; k < c->n_semantic; k++)
            if (strcmp(c->semantic[k].id, l->id) == 0) {
                x->semantic = c->semantic_rank[k];
                break;
            }
    }
    if (c->terms.n) {
        const listing **ls = arena_alloc(c->a, sizeof *ls * (size_t)(c->n ? c->n : 1));
        double *tx = arena_alloc(c->a, sizeof *tx * (size_t)(c->n ? c->n : 1));
        if (ls && tx) {
            for (int i = 0; i < c->n; i++)
                ls[i] = &c->c[i].l;
            search_text_scores(&c->terms, ls, c->n, tx, c->a);
            for (int i = 0; i < c->n; i++)
                c->c[i].text = tx[i];
        }
    }
}

/* Runs one round of n steps and picks what it found.  Returns 0 or an
 * error; out->n grows. */
static int round_run(ctx *c, const step *steps, int n_steps)
{
    int rc = 0;
    int want_max = c->req->want_max > 0 ? c->req->want_max : 5;
    c->n = 0;
    c->seen = (id_set){NULL, 0, 0};
    for (int i = 0; rc == 0 && i < n_steps; i++)
        rc = fetch(c, &steps[i]);
    if (rc)
        return rc;
    c->out->candidates += c->n;
    score(c);
    search_fuse(c->c, c->n, &c->w, c->a);
    int pools = 1;
    for (int i = 0; i < n_steps; i++)
        if (steps[i].pool + 1 > pools)
            pools = steps[i].pool + 1;
    search_pick(c->c, c->n, pools, want_max - c->out->n, c->out->items, c->out->item_relax,
                &c->out->n, c->a);
    return 0;
}

/* ---- the ladder ------------------------------------------------------- */

/* The transaction to search when the buyer did not say: the one whose
 * typical price is nearer the budget (a rent is a yearly figure, a price a
 * hundred times more). */
static void choose_tx(ctx *c, money budget)
{
    const search_request *req = c->req;
    if (c->sl->tx != TX_NONE) {
        c->tx[0] = c->sl->tx;
        c->n_tx = 1;
        return;
    }
    c->n_tx = 2;
    c->tx[0] = TX_BUY;
    c->tx[1] = TX_RENT;
    if (budget <= 0 || req->localities == NULL)
        return;
    int ns, nr;
    double sale = search_mean_log_price(req->localities, req->n_localities, TX_BUY, &ns);
    double rent = search_mean_log_price(req->localities, req->n_localities, TX_RENT, &nr);
    if (ns == 0 && nr == 0)
        return;
    double b = log((double)budget);
    double ds = ns ? fabs(b - sale) : 1e9, dr = nr ? fabs(b - rent) : 1e9;
    c->tx[0] = ds <= dr ? TX_BUY : TX_RENT;
    c->n_tx = 1;
}

double search_mean_log_price(const store_locality_stats *ls, int n, transaction tx, int *count)
{
    double sum = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const store_market_figures *f = figures(&ls[i], tx);
        if (f->listings && f->median_price > 0) {
            sum += log((double)f->median_price);
            k++;
        }
    }
    *count = k;
    return k ? sum / k : 0;
}

/* A typical price of the tx in the named localities (or anywhere): the
 * target when the buyer gave no budget. */
static money typical_price(const ctx *c)
{
    const search_request *req = c->req;
    if (req->localities == NULL || c->n_tx != 1)
        return 0;
    double sum = 0;
    int n = 0;
    for (int pass = 0; pass < 2 && n == 0; pass++)
        for (int i = 0; i < req->n_localities; i++) {
            const store_market_figures *f = figures(&req->localities[i], c->tx[0]);
            if (f->listings == 0 || f->median_price <= 0)
                continue;
            bool named = false;
            for (int k = 0; k < c->n_named; k++)
                named |= strcasecmp(req->localities[i].locality, c->named[k]) == 0;
            if (pass == 0 && !named)
                continue;
            sum += log((double)f->median_price);
            n++;
        }
    return n ? (money)exp(sum / n) : 0;
}

static money pct(money v, int p)
{
    return (money)((double)v * p / 100.0);
}

/* v to three significant digits, so a band reads "₹1.01 Cr", not
 * "₹1,00,62,500". */
static money round3(money v)
{
    money unit = 1;
    while (v / unit >= 1000)
        unit *= 10;
    return (v + unit / 2) / unit * unit;
}

/* What about item l really differs from the buyer's wish (SEARCH_RELAX_*):
 * a step may allow more than its listings use. */
static unsigned actual_relax(const ctx *c, const listing *l, bool has_lo, money lo, bool has_hi,
                             money hi, property_type type, int beds, const char *const *neigh,
                             int n_neigh)
{
    unsigned r = 0;
    if ((has_lo && l->price < lo) || (has_hi && l->price > hi))
        r |= SEARCH_RELAX_BUDGET;
    if (beds >= 0 && l->bedrooms != beds)
        r |= SEARCH_RELAX_BEDROOMS;
    if (type != PTYPE_NONE && l->type != type)
        r |= SEARCH_RELAX_TYPE;
    if (c->n_named) {
        bool named = false, near = false;
        for (int k = 0; k < c->n_named; k++)
            named |= l->locality && strcmp(l->locality, c->named[k]) == 0;
        for (int k = 0; k < n_neigh && !named; k++)
            near |= l->locality && strcmp(l->locality, neigh[k]) == 0;
        if (!named)
            r |= near ? SEARCH_RELAX_NEIGHBOUR : SEARCH_RELAX_LOCATION;
    }
    return r;
}

static int search_run(store *s, tenant_id t, const search_request *req, arena *a,
                      search_result *out, pt_error *err)
{
    int rc = 0;
    ctx c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    c.s = s;
    c.t = t;
    c.req = req;
    c.sl = req->slots;
    c.a = a;
    c.err = err;
    c.out = out;
    const slots *sl = req->slots;
    int want_max = req->want_max > 0 ? req->want_max : 5;
    int want_min = req->want_min > 0 ? req->want_min : 3;
    if (want_min > want_max)
        want_min = want_max;
    out->items = arena_zalloc(a, sizeof *out->items * (size_t)want_max);
    out->item_relax = arena_zalloc(a, sizeof *out->item_relax * (size_t)want_max);
    if (out->items == NULL || out->item_relax == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "search: out of memory");
    for (int i = 0; i < sl->n_locations && i < 4; i++)
        c.named[c.n_named++] = sl->locations[i];

    /* the budget: the buyer's, or a band below / above it */
    bool has_lo = sl->has_budget_min, has_hi = sl->has_budget_max;
    money lo = sl->budget_min, hi = sl->budget_max;
    money base = has_hi ? hi : has_lo ? lo : 0;
    if (req->reference > 0 && (base == 0 || req->reference < base / 10 * 9))
        base = req->reference;
    search_mode mode = req->mode;
    if (mode != SEARCH_FIT && base <= 0)
        mode = SEARCH_FIT;
    choose_tx(&c, base > 0 ? base : 0);
    out->tx = c.n_tx == 1 ? c.tx[0] : TX_NONE;
    if (mode == SEARCH_CHEAPER) {
        has_lo = has_hi = true;
        lo = round3(pct(base, SEARCH_CHEAPER_LO_PCT));
        hi = round3(pct(base, SEARCH_CHEAPER_HI_PCT));
    } else if (mode == SEARCH_BETTER) {
        has_lo = has_hi = true;
        lo = round3(pct(base, SEARCH_BETTER_LO_PCT));
        hi = round3(pct(base, SEARCH_BETTER_HI_PCT));
    }
    if (mode != SEARCH_FIT) {
        out->has_band = true;
        out->band_min = lo;
        out->band_max = hi;
        out->band_base = base;
    }
    money target = 0;
    if (mode == SEARCH_CHEAPER)
        target = pct(base, (SEARCH_CHEAPER_LO_PCT + 2 * SEARCH_CHEAPER_HI_PCT) / 3);
    else if (mode == SEARCH_BETTER)
        target = pct(base, (SEARCH_BETTER_LO_PCT + SEARCH_BETTER_HI_PCT) / 2);
    else if (has_lo && has_hi)
        target = lo + (hi - lo) * 6 / 10;
    else if (has_hi)
        target = hi * 9 / 10;
    else if (has_lo)
        target = lo * 11 / 10;
    else
        target = typical_price(&c);

    /* weights: what the mode and the purpose put first */
    c.w = (search_weights){.fit = 1.0, .text = 1.0, .purpose = 0.7, .value = 0.3,
                           .semantic = 1.0};
    if (sl->purpose == PURPOSE_INVESTMENT)
        c.w.purpose = 1.0;
    if (mode == SEARCH_CHEAPER)
        c.w.value = 0.5;
    if (mode == SEARCH_BETTER) {
        c.w.fit = 0.5;
        c.w.value = 1.2;
    }

    /* the buyer's words; the rare ones are looked up in the text index */
    search_terms_from_text(&c.terms, req->text, req->localities, req->n_localities);
    for (int i = 0; i < c.terms.n && s->ops->listing_text_count; i++) {
        const char *q = search_term_query(&c.terms, i, a);
        int cnt = 0;
        pt_error e = {0};
        if (q && s->ops->listing_text_count(s, q, TEXT_RARE_CAP + 1, &cnt, &e) == 0 && cnt > 0 &&
            cnt <= TEXT_RARE_CAP) {
            c.terms.rare[i] = true;
            c.n_rare++;
        }
    }
    c.rare_match = c.n_rare ? search_terms_match(&c.terms, true, a) : NULL;

    /* the semantic candidates */
    if (req->semantic_ids && req->n_semantic > 0) {
        int n = req->n_semantic < SEMANTIC_MAX ? req->n_semantic : SEMANTIC_MAX;
        c.semantic = arena_alloc(a, sizeof *c.semantic * (size_t)n);
        c.semantic_rank = arena_alloc(a, sizeof *c.semantic_rank * (size_t)n);
        if (c.semantic == NULL || c.semantic_rank == NULL)
            return pt_fail(err, PT_ERR_NOMEM, "search: out of memory");
        for (int i = 0; i < n; i++) {
            pt_error e = {0};
            if (req->semantic_ids[i] == NULL)
                continue;
            rc = s->ops->listing_get(s, t, req->semantic_ids[i], a, &c.semantic[c.n_semantic], &e);
            if (rc == -PT_ERR_NOT_FOUND) {
                rc = 0;
                continue;
            }
            if (rc)
                return pt_fail(err, e.code, "%s", e.msg);
            c.semantic_rank[c.n_semantic++] = i;
        }
    }

    int tol = req->tolerance_pct > 0 ? req->tolerance_pct : 10;
    bool budget = has_lo || has_hi;
    property_type type = sl->type;
    int beds = sl->bedrooms;
    if (type == PTYPE_STUDIO && beds < 0)
        beds = 0;
    const char *const *locs = c.n_named ? c.named : NULL;

    /* round 0: everything the buyer asked */
    step exact = {.relax = 0, .has_lo = has_lo, .has_hi = has_hi, .lo = lo, .hi = hi,
                  .has_target = target > 0, .target = target, .locs = locs,
                  .n_locs = c.n_named, .type = type, .bedrooms = beds};
    rc = round_run(&c, &exact, 1);
    if (rc)
        return rc;
    out->n_exact = out->n;

    /* the neighbours of the named localities, nearest first: only when
     * round 0 fell short (else no round follows, nothing shown is relaxed
     * and no neighbour is reported) */
    const char *neigh[4];
    int n_neigh = 0;
    if (out->n < want_min && req->localities && c.n_named) {
        for (int k = 0; k < c.n_named && n_neigh < 2; k++) {
            int idx[2];
            int m = search_neighbours(req->localities, req->n_localities, c.named[k],
                                      c.n_tx == 1 ? c.tx[0] : TX_NONE, NEIGHBOUR_KM, idx, 2);
            for (int j = 0; j < m && n_neigh < 2; j++) {
                const char *name = req->localities[idx[j]].locality;
                bool dup = false;
                for (int q = 0; q < c.n_named; q++)
                    dup |= strcasecmp(name, c.named[q]) == 0;
                for (int q = 0; q < n_neigh; q++)
                    dup |= strcasecmp(name, neigh[q]) == 0;
                if (dup || locality_ruled_out(req, name))
                    continue;
                if (n_neigh == 0) {
                    int self = locality_index(req->localities, req->n_localities, c.named[k]);
                    out->neighbour_of = c.named[k];
                    out->neighbour_km = search_distance_km(
                        req->localities[self].lat, req->localities[self].lon,
                        req->localities[idx[j]].lat, req->localities[idx[j]].lon);
                }
                neigh[n_neigh++] = name;
            }
        }
    }

    /* the widened band */
    money wlo = lo, whi = hi;
    if (mode == SEARCH_CHEAPER) {
        wlo = pct(base, SEARCH_CHEAPER_LO_PCT - tol);
    } else if (mode == SEARCH_BETTER) {
        wlo = pct(base, 100 + tol / 2);
        whi = pct(base, SEARCH_BETTER_HI_PCT + tol);
    } else {
        wlo = pct(lo, 100 - tol);
        whi = pct(hi, 100 + tol);
    }

    /* round 1: what a little more (or less) buys, and the next area at the
     * same budget, side by side */
    if (out->n < want_min && (budget || n_neigh)) {
        step st[3];
        int k = 0;
        if (budget) {
            /* only the widened edges: what lies inside was round 0's */
            if (has_hi && whi > hi)
                st[k++] = (step){.relax = SEARCH_RELAX_BUDGET, .pool = 0, .has_lo = true,
                                 .lo = hi + 1, .has_hi = true, .hi = whi, .above_only = true,
                                 .locs = locs, .n_locs = c.n_named, .type = type,
                                 .bedrooms = beds};
            if (has_lo && wlo < lo)
                st[k++] = (step){.relax = SEARCH_RELAX_BUDGET, .pool = 0, .has_lo = true,
                                 .lo = wlo, .has_hi = true, .hi = lo - 1,
                                 .has_target = true, .target = lo - 1, .locs = locs,
                                 .n_locs = c.n_named, .type = type, .bedrooms = beds};
        }
        int pool = k > 0 ? 1 : 0;
        if (n_neigh)
            st[k++] = (step){.relax = SEARCH_RELAX_NEIGHBOUR, .pool = pool,
                             .has_lo = has_lo, .has_hi = has_hi, .lo = lo, .hi = hi,
                             .has_target = target > 0, .target = target, .locs = neigh,
                             .n_locs = n_neigh, .type = type, .bedrooms = beds};
        rc = round_run(&c, st, k);
        if (rc)
            return rc;
    }

    /* round 2: side by side, the cheapest of what was asked above the
     * budget (what it really costs) and other bedroom counts within it */
    if (out->n < want_min) {
        step st[2];
        int k = 0;
        if (has_hi && mode != SEARCH_CHEAPER)
            st[k++] = (step){.relax = SEARCH_RELAX_BUDGET, .pool = 0, .has_lo = true,
                             .lo = whi > hi ? whi + 1 : hi + 1, .above_only = true,
                             .locs = locs, .n_locs = c.n_named, .type = type, .bedrooms = beds};
        int pool = k;
        if (beds >= 0 && type != PTYPE_STUDIO)
            st[k++] = (step){.relax = SEARCH_RELAX_BEDROOMS | (budget ? SEARCH_RELAX_BUDGET : 0),
                             .pool = pool, .has_lo = has_lo, .has_hi = has_hi, .lo = wlo,
                             .hi = whi, .has_target = target > 0, .target = target,
                             .locs = locs, .n_locs = c.n_named, .type = type, .bedrooms = -1};
        if (k) {
            rc = round_run(&c, st, k);
            if (rc)
                return rc;
        }
    }

    /* round 4: any type, any area (never another transaction) */
    if (out->n < want_min && (type != PTYPE_NONE || c.n_named || beds >= 0)) {
        step st = {.relax = (budget ? SEARCH_RELAX_BUDGET : 0) |
                            (beds >= 0 ? SEARCH_RELAX_BEDROOMS : 0) |
                            (c.n_named ? SEARCH_RELAX_LOCATION : 0) |
                            (type != PTYPE_NONE ? SEARCH_RELAX_TYPE : 0),
                   .has_lo = has_lo, .has_hi = has_hi, .lo = wlo, .hi = whi,
                   .has_target = target > 0, .target = target, .bedrooms = -1};
        rc = round_run(&c, &st, 1);
        if (rc)
            return rc;
    }

    /* round 5: still short (a minimum above everything, say): the same
     * wish at the nearest prices on either side of the budget */
    if (out->n < want_min && budget) {
        step st = {.relax = SEARCH_RELAX_BUDGET, .has_target = true,
                   .target = has_hi ? hi : lo, .locs = locs, .n_locs = c.n_named,
                   .type = type, .bedrooms = beds};
        /* "cheaper" never shows dearer: only under what was shown (the
         * nearest prices on either side were shown above it) */
        if (mode == SEARCH_CHEAPER) {
            st.has_hi = true;
            st.hi = base - 1;
        }
        rc = round_run(&c, &st, 1);
        if (rc)
            return rc;
    }

    /* what the relaxed part shows: what really differs from the wish */
    for (int i = out->n_exact; i < out->n; i++) {
        unsigned r = actual_relax(&c, &out->items[i], has_lo, lo, has_hi, hi, type, beds,
                                  neigh, n_neigh);
        out->item_relax[i] = r;
        out->relaxed |= r;
        if (r & SEARCH_RELAX_BUDGET) {
            money p = out->items[i].price;
            if (p > hi && (out->widened_max == 0 || p > out->widened_max))
                out->widened_max = p;
            if (p > whi)
                out->beyond_tolerance = true;
            if (has_lo && p < lo && (out->widened_min == 0 || p < out->widened_min))
                out->widened_min = p;
        }
        if ((r & SEARCH_RELAX_NEIGHBOUR) && out->neighbour == NULL)
            out->neighbour = out->items[i].locality;
    }
    if (out->neighbour && out->neighbour_of) {
        /* the distance from the named locality to the one actually shown */
        int self = locality_index(req->localities, req->n_localities, out->neighbour_of);
        int other = locality_index(req->localities, req->n_localities, out->neighbour);
        if (self >= 0 && other >= 0)
            out->neighbour_km = search_distance_km(
                req->localities[self].lat, req->localities[self].lon,
                req->localities[other].lat, req->localities[other].lon);
    } else {
        out->neighbour_of = NULL;
        out->neighbour_km = 0;
    }
    if ((out->relaxed & SEARCH_RELAX_BUDGET) && out->widened_max == 0 && out->widened_min == 0)
        out->widened_max = whi;
    return 0;
}

int search_listings(store *s, tenant_id t, const search_request *req, arena *a,
                    search_result *out, pt_error *err)
{
    /* every store read of the search in one snapshot */
    bool scoped = s->ops->read_begin && s->ops->read_begin(s, err) == 0;
    if (s->ops->read_begin && !scoped)
        pt_error_clear(err);     /* then each read on its own, as without */
    int rc = search_run(s, t, req, a, out, err);
    if (scoped)
        s->ops->read_end(s);
    return rc;
}
