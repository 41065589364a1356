/*
 * rank.c - reciprocal rank fusion of the search signals, and the diverse
 * pick.
 *
 * Each signal of a candidate (search_cand: filter fit, text relevance,
 * purpose, value, the semantic rank) is turned into a ranked list over the
 * candidates of one step; the fused score is
 *
 *     sum over lists L of  w_L / (60 + rank_L(candidate))
 *
 * (Cormack, Clarke and Buettcher, SIGIR 2009).  Ranks, not raw scores, are
 * fused, so signals on unrelated scales (a price distance, a BM25 sum, a
 * yield) need no calibration, and one more list, such as the embeddings
 * provider's semantic order, joins without retuning the others.  A
 * candidate absent from a list (no matching word, not in the semantic list)
 * gets nothing from it; tied scores share a rank.
 *
 * The pick takes candidates in fused order but at most one per project until
 * every project had a turn, then two, then any: never three units of one
 * project while another project fits.
 */
#include "search/search_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct rank_item {
    int idx;
    double v;
} rank_item;

static int cmp_desc(const void *x, const void *y)
{
    const rank_item *a = x, *b = y;
    if (a->v > b->v)
        return -1;
    if (a->v < b->v)
        return 1;
    return a->idx - b->idx;
}

/* Lists of a step are short (tens of candidates): up to SMALL_SORT items
 * are sorted by insertion in place, without qsort's calls through a
 * pointer and its buffer.  Both orders here are total (ties go by index or
 * id, which differ), so the result is qsort's; with a NaN (`unordered`),
 * which no order holds, the list goes to qsort as before.  Inlined at
 * each call, so the item size is a constant there. */
#define SMALL_SORT 24
#define SMALL_SORT_ITEM 32   /* the largest item sorted here */

static inline __attribute__((always_inline)) void sort_small(void *base, int n, size_t size,
                                                             int (*cmp)(const void *, const void *),
                                                             bool unordered)
{
    if (n > SMALL_SORT || unordered || size > SMALL_SORT_ITEM) {
        qsort(base, (size_t)n, size, cmp);
        return;
    }
    unsigned char *x = base, v[SMALL_SORT_ITEM];
    for (int i = 1; i < n; i++) {
        memcpy(v, x + (size_t)i * size, size);
        int j = i;
        for (; j > 0 && cmp(v, x + (size_t)(j - 1) * size) < 0; j--)
            memcpy(x + (size_t)j * size, x + (size_t)(j - 1) * size, size);
        memcpy(x + (size_t)j * size, v, size);
    }
}

static void sort_ranks(rank_item *x, int m)
{
    bool nan = false;
    for (int i = 0; i < m; i++)
        nan |= x[i].v != x[i].v;
    sort_small(x, m, sizeof *x, cmp_desc, nan);
}

/* Adds w / (K + rank) to fused for the candidates with present[i] set,
 * ranked by v (higher first; equal values share the better rank). */
static void add_list(search_cand *c, int n, const double *v, const bool *present, double w,
                     rank_item *tmp)
{
    int m = 0;
    if (w <= 0)
        return;
    for (int i = 0; i < n; i++)
        if (present[i])
            tmp[m++] = (rank_item){i, v[i]};
    sort_ranks(tmp, m);
    int rank = 0;
    for (int j = 0; j < m; j++) {
        if (j == 0 || tmp[j].v != tmp[j - 1].v)
            rank = j + 1;
        c[tmp[j].idx].fused += w / (SEARCH_RRF_K + rank);
    }
}

void search_fuse(search_cand *c, int n, const search_weights *w, arena *a)
{
    if (n <= 0)
        return;
    rank_item *tmp = arena_alloc(a, sizeof *tmp * (size_t)n);
    double *v = arena_alloc(a, sizeof *v * (size_t)n);
    bool *present = arena_alloc(a, sizeof *present * (size_t)n);
    for (int i = 0; i < n; i++)
        c[i].fused = 0;
    if (tmp == NULL || v == NULL || present == NULL) {
        /* out of memory: fall back to filter fit alone */
        for (int i = 0; i < n; i++)
            c[i].fused = c[i].fit - (c[i].sold_out ? 10 : 0);
        return;
    }
    for (int i = 0; i < n; i++) {
        v[i] = c[i].fit;
        present[i] = true;
    }
    add_list(c, n, v, present, w->fit, tmp);
    for (int i = 0; i < n; i++) {
        v[i] = c[i].text;
        present[i] = c[i].text > 0;
    }
    add_list(c, n, v, present, w->text, tmp);
    for (int i = 0; i < n; i++) {
        v[i] = c[i].purpose;
        present[i] = true;
    }
    add_list(c, n, v, present, w->purpose, tmp);
    for (int i = 0; i < n; i++) {
        v[i] = c[i].value;
        present[i] = c[i].value > 0;
    }
    add_list(c, n, v, present, w->value, tmp);
    for (int i = 0; i < n; i++) {
        v[i] = -(double)c[i].semantic;
        present[i] = c[i].semantic >= 0;
    }
    add_list(c, n, v, present, w->semantic, tmp);
    for (int i = 0; i < n; i++)
        if (c[i].sold_out)
            c[i].fused -= 1;      /* below every listing that can be bought */
}

typedef struct order_item {
    int idx;
    double fused;
    const char *id;
} order_item;
_Static_assert(sizeof(order_item) <= SMALL_SORT_ITEM && sizeof(rank_item) <= SMALL_SORT_ITEM,
               "raise SMALL_SORT_ITEM");

static int cmp_fused(const void *x, const void *y)
{
    const order_item *a = x, *b = y;
    if (a->fused > b->fused)
        return -1;
    if (a->fused < b->fused)
        return 1;
    return strcmp(a->id, b->id);   /* deterministic ties */
}

static void sort_order(order_item *x, int n)
{
    bool nan = false;
    for (int i = 0; i < n; i++)
        nan |= x[i].fused != x[i].fused;
    sort_small(x, n, sizeof *x, cmp_fused, nan);
}

static bool same_str(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

int search_pick(search_cand *c, int n, int n_pools, int room, listing *out, unsigned *out_relax,
                int *n_out, arena *a)
{
    int taken = 0;
    if (n <= 0 || room <= 0)
        return 0;
    order_item *ord = arena_alloc(a, sizeof *ord * (size_t)n);
    char *used = arena_zalloc(a, (size_t)n);
    if (ord == NULL || used == NULL)
        return 0;
    for (int i = 0; i < n; i++)
        ord[i] = (order_item){i, c[i].fused, c[i].l.id};
    sort_order(ord, n);
    /* a candidate already in out (found by an earlier step) is skipped */
    for (int j = 0; j < n; j++)
        for (int k = 0; k < *n_out; k++)
            if (strcmp(out[k].id, c[ord[j].idx].l.id) == 0)
                used[j] = 1;
    if (n_pools < 1)
        n_pools = 1;
    for (int cap = 1; cap <= 3 && taken < room; cap++) {
        /* cap 3 means no cap: any unit left */
        bool progress = true;
        while (progress && taken < room) {
            progress = false;
            for (int pool = 0; pool < n_pools && taken < room; pool++) {
                for (int j = 0; j < n; j++) {
                    if (used[j])
                        continue;
                    const search_cand *x = &c[ord[j].idx];
                    if (x->pool != pool)
                        continue;
                    int same = 0;
                    for (int k = 0; k < *n_out; k++)
                        same += same_str(out[k].project, x->l.project);
                    if (cap < 3 && x->l.project && same >= cap)
                        continue;
                    used[j] = 1;
                    out[*n_out] = x->l;
                    if (out_relax)
                        out_relax[*n_out] = x->relax;
                    (*n_out)++;
                    taken++;
                    progress = true;
                    break;      /* the next pool's turn */
                }
            }
        }
    }
    return taken;
}
