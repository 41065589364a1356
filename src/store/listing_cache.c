/*
 * listing_cache.c - decoded listings in memory, checked against the
 * store's listing_version on every call; see listing_cache.h.
 *
 * An entry is one malloc'd block: the listing, then its strings, the
 * listing's pointers pointing into the block.  Handing one out copies the
 * strings into the caller's arena in one memcpy and moves the pointers
 * over, so nothing the caller holds points into the cache.
 *
 * Versions: per tenant the cache remembers the newest listing_version it
 * has seen.  A call reads the version first and the listings after (so a
 * listing read can never be older than the version it is filed under),
 * serves only entries filed under the version it read, and files what it
 * read only if that version is still the tenant's newest.  A call that
 * read an older version than another call already saw (its read began
 * first) reads the store and files nothing.
 */
#include "store/listing_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct lc_entry {
    tenant_id t;
    int64_t version;        /* the tenant's listing_version it was read under */
    size_t strings_len;     /* bytes of strings after l */
    listing l;              /* pointers into strings[] */
    char strings[];
} lc_entry;

typedef struct lc_tenant {
    tenant_id t;
    int64_t version;        /* the newest listing_version seen */
} lc_tenant;

struct listing_cache {
    pthread_mutex_t mu;
    lc_entry *slots[LISTING_CACHE_SLOTS];   /* direct-mapped by tenant and id */
    lc_tenant *tenants;
    int n_tenants, cap_tenants;
    unsigned long hits, misses;
};

listing_cache *listing_cache_open(void)
{
    listing_cache *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->mu, NULL);
    return c;
}

void listing_cache_close(listing_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < LISTING_CACHE_SLOTS; i++)
        free(c->slots[i]);
    free(c->tenants);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void listing_cache_stats(listing_cache *c, unsigned long *hits, unsigned long *misses)
{
    pthread_mutex_lock(&c->mu);
    if (hits)
        *hits = c->hits;
    if (misses)
        *misses = c->misses;
    pthread_mutex_unlock(&c->mu);
}

static size_t slot_of(tenant_id t, const char *id)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)t;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29)) & (LISTING_CACHE_SLOTS - 1);
}

/* The tenant's record, added when new; NULL when out of memory.  Under mu. */
static lc_tenant *tenant_of(listing_cache *c, tenant_id t)
{
    for (int i = 0; i < c->n_tenants; i++)
        if (c->tenants[i].t == t)
            return &c->tenants[i];
    if (c->n_tenants == c->cap_tenants) {
        int cap = c->cap_tenants ? c->cap_tenants * 2 : 8;
        lc_tenant *p = realloc(c->tenants, sizeof *p * (size_t)cap);
        if (p == NULL)
            return NULL;
        c->tenants = p;
        c->cap_tenants = cap;
    }
    c->tenants[c->n_tenants] = (lc_tenant){.t = t, .version = -1};
    return &c->tenants[c->n_tenants++];
}

/* The string fields of a listing, for copying and relocating. */
#define LISTING_STRINGS(X) \
    X(id) X(title) X(project) X(developer) X(city) X(locality) \
    X(completion_date) X(amenities) X(description) X(attributes_json)

/* A new entry holding a copy of l; NULL when out of memory or too large. */
static lc_entry *entry_new(tenant_id t, int64_t version, const listing *l)
{
    size_t len = 0;
#define X(f) if (l->f) len += strlen(l->f) + 1;
    LISTING_STRINGS(X)
#undef X
    if (sizeof(lc_entry) + len > LISTING_CACHE_ENTRY_MAX)
        return NULL;
    lc_entry *e = malloc(sizeof *e + len);
    if (e == NULL)
        return NULL;
    e->t = t;
    e->version = version;
    e->strings_len = len;
    e->l = *l;
    char *o = e->strings;
#define X(f)                                  \
    if (l->f) {                               \
        size_t n_ = strlen(l->f) + 1;         \
        memcpy(o, l->f, n_);                  \
        e->l.f = o;                           \
        o += n_;                              \
    }
    LISTING_STRINGS(X)
#undef X
    return e;
}

/* e's listing into *out with its strings in a; false when out of memory. */
static bool entry_copy(const lc_entry *e, arena *a, listing *out)
{
    char *base = arena_alloc(a, e->strings_len ? e->strings_len : 1);
    if (base == NULL)
        return false;
    memcpy(base, e->strings, e->strings_len);
    *out = e->l;
#define X(f) if (e->l.f) out->f = base + (e->l.f - e->strings);
    LISTING_STRINGS(X)
#undef X
    return true;
}

int listing_cache_get_many(listing_cache *c, store *s, tenant_id t, const char *const *ids, int n,
                           arena *a, listing *out, bool *found, pt_error *err)
{
    int64_t version = 0;
    pt_error verr = {0};
    if (c == NULL || s->ops->listing_version == NULL || n < 0 || n > STORE_GET_MANY ||
        s->ops->listing_version(s, t, &version, &verr) != 0)
        return s->ops->listings_get_many(s, t, ids, n, a, out, found, err);

    const char *miss_ids[STORE_GET_MANY];
    int miss_at[STORE_GET_MANY], n_miss = 0;
    bool usable = false, oom = false;

    pthread_mutex_lock(&c->mu);
    lc_tenant *ct = tenant_of(c, t);
    if (ct && version > ct->version)
        ct->version = version;          /* older entries of t are misses from now on */
    usable = ct && version == ct->version;
    for (int i = 0; i < n; i++) {
        found[i] = false;
        const lc_entry *e = usable && ids[i] ? c->slots[slot_of(t, ids[i])] : NULL;
        if (e && e->t == t && e->version == version && strcmp(e->l.id, ids[i]) == 0) {
            if (!entry_copy(e, a, &out[i])) {
                oom = true;
                break;
            }
            found[i] = true;
            c->hits++;
        } else {
            miss_ids[n_miss] = ids[i];
            miss_at[n_miss++] = i;
            c->misses++;
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (oom)
        return pt_fail(err, PT_ERR_NOMEM, "listings: out of memory");
    if (n_miss == 0)
        return 0;

    listing got[STORE_GET_MANY];
    bool have[STORE_GET_MANY];
    int rc = s->ops->listings_get_many(s, t, miss_ids, n_miss, a, got, have, err);
    if (rc)
        return rc;
    for (int k = 0; k < n_miss; k++)
        if (have[k]) {
            out[miss_at[k]] = got[k];
            found[miss_at[k]] = true;
        }
    if (!usable)
        return 0;
    /* file what was read, unless a newer version was seen meanwhile */
    for (int k = 0; k < n_miss; k++) {
        if (!have[k] || got[k].id == NULL)
            continue;
        lc_entry *e = entry_new(t, version, &got[k]), *old = NULL;
        if (e == NULL)
            continue;
        pthread_mutex_lock(&c->mu);
        ct = tenant_of(c, t);
        if (ct && ct->version == version) {
            lc_entry **slot = &c->slots[slot_of(t, got[k].id)];
            old = *slot;
            *slot = e;
            e = NULL;
        }
        pthread_mutex_unlock(&c->mu);
        free(old);
        free(e);
    }
    return 0;
}
