/*
 * engine.c - one buyer message in, one answer out; see engine.h.
 *
 * What outlives a request lives here: the store pool, the lock backend, the
 * shared NLU model, and a registry of tenant runtimes (settings, pack,
 * gazetteer), each reference counted so a reload never pulls data from
 * under a request that is using it.
 *
 * A turn holds its session's lock from the moment the session is read until
 * the answer is committed, so messages of one conversation are handled one
 * at a time and each sees the state the previous one left.  A message that
 * finds its session in another turn waits in the lock's queue, without a
 * thread when the channel is event-driven, and is handed the lock in the
 * order the session's messages came (lock.h).  It then takes its buyer's
 * lock the same way, because the profile it reads and rewrites spans the
 * buyer's sessions (two conversations of one buyer at once, on the web and
 * on Telegram, would otherwise each write back a profile without the
 * other's turn).  Always session first, then buyer, and the buyers' locks
 * are a backend of their own: a turn that holds a buyer's lock waits for
 * nothing, so no two turns can wait for each other.  All writes of a
 * turn (session, both transcript lines, profile, lead) go to the group
 * committer (commit.h), which writes the turns of many conversations in one
 * transaction with one fsync, each under its own savepoint, and returns
 * only once they are durable: no answer leaves before its data.  A turn that
 * books a viewing is written on its own instead, in the transaction that
 * decides the booking.  The session and profile of recent turns are kept
 * decoded in memory (state_cache.h), put there only after their commit.
 */
#include "engine/engine.h"
#include "engine/commit.h"
#include "engine/lock.h"
#include "engine/state_cache.h"
#include "provider/embed.h"
#include "store/listing_cache.h"
#include "dialog/dialog.h"
#include "nlu/nlu.h"
#include "pack/pack.h"
#include "util/jsonw.h"
#include "util/log.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define MAX_QUERY_BYTES 4096
#define ENGINE_SEMANTIC_K 50      /* nearest listings fused into a search */
#define MAX_ID_BYTES 128
#define MAX_CALLBACK_BYTES 256
#define MAX_API_KEY_BYTES 256
#define KEY_MEMO_SLOTS 64          /* API keys whose hash is remembered */


/* ---- tenant runtimes --------------------------------------------------- */

/* A trained model shared by the runtimes of one tenant (a listing refresh
 * keeps the model; only a pack reload retrains it). */
typedef struct model_ref {
    atomic_int refs;
    nlu_model *model;
} model_ref;

static void model_ref_release(model_ref *m)
{
    if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    nlu_model_free(m->model);
    free(m);
}

typedef struct tenant_rt {
    atomic_int refs;
    tenant t;
    char key_hash[65];
    pack *pack;
    nlu_gazetteer *gazetteer;
    struct model_ref *own;    /* when the tenant's pack has its own intents; shared with
                                 the runtime it was refreshed from */
    arena mem;                /* owns localities */
    store_locality_stats *localities;   /* every locality with its numbers, at load */
    int n_localities;
} tenant_rt;

/* An API key and its SHA-256 (hex), so that a client's every request does
 * not hash its key again.  The key is compared in constant time. */
typedef struct key_memo {
    size_t len;               /* 0: empty slot */
    char key[MAX_API_KEY_BYTES];
    char hash[65];
} key_memo;

/* ---- metrics ------------------------------------------------------------ */

#define METRIC_ROUTES 16
#define LAT_BUCKETS 12
static const double lat_bounds[LAT_BUCKETS] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                               0.05, 0.1, 0.25, 0.5, 1, 5};

typedef struct route_metric {
    char route[48];
    int status;
    atomic_ulong count;
} route_metric;

struct engine {
    engine_config cfg;
    char db_url[512], packs_dir[512], intents_file[512];
    store_pool *pool;
    committer *committer;     /* group commit of turns; owns its own handle */
    state_cache *cache;       /* decoded sessions and profiles of recent turns */
    listing_cache *listings;  /* decoded listings the dialog reads by id */
    embed_provider *embed;    /* borrowed; NULL: no semantic ranking */
    lock_backend locks;       /* a turn's session (tenant:session_id) */
    lock_backend user_locks;  /* then its buyer (tenant:user_id): their profile */
    nlu_model *model;
    pthread_mutex_t reg_lock;
    pthread_mutex_t memo_lock;
    key_memo key_memo[KEY_MEMO_SLOTS];   /* direct-mapped by key */
    tenant_rt **tenants;
    int n_tenants, cap_tenants;
    time_t started;
    /* metrics */
    pthread_mutex_t metrics_lock;
    route_metric routes[METRIC_ROUTES * 8];
    int n_routes;
    atomic_ulong chat_total, chat_errors, bookings, booking_conflicts, handoffs;
    atomic_ulong lat_bucket[LAT_BUCKETS + 1];
    atomic_ulong lat_sum_us;
};

static void rt_release(tenant_rt *rt)
{
    if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
        return;
    pack_free(rt->pack);
    nlu_gazetteer_free(rt->gazetteer);
    model_ref_release(rt->own);
    arena_release(&rt->mem);
    free(rt);
}

int engine_gazetteer_cues(nlu_gazetteer *g, const pack *pk, pt_error *err)
{
    static const struct {
        const char *key;
        nlu_loc_cue kind;
    } lists[] = {
        {"cue_loc_not", NLU_LOC_NOT}, {"cue_loc_keep", NLU_LOC_KEEP},
        {"cue_loc_and", NLU_LOC_AND}, {"cue_loc_not_after", NLU_LOC_NOT_AFTER},
        {"cue_loc_not_bare", NLU_LOC_NOT_BARE},
    };
    int rc = 0;
    if (g == NULL || pk == NULL)
        goto done;
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
        for (int l = 0; l < LANG__COUNT; l++) {
            /* a language without the list falls back to English's: added once */
            const pack_template *tp = pack_template_get(pk, (lang)l, lists[k].key);
            if (tp && (rc = nlu_gazetteer_add_cues(g, lists[k].kind, tp->text, err)) < 0)
                goto done;
        }
    /* the period a rent is said in: "40k a month", "80 الف سنويا" */
    static const struct {
        const char *key;
        rent_period p;
    } periods[] = {{"cue_period_month", PERIOD_MONTH}, {"cue_period_year", PERIOD_YEAR}};
    for (size_t k = 0; k < sizeof periods / sizeof periods[0]; k++)
        for (int l = 0; l < LANG__COUNT; l++) {
            const pack_template *tp = pack_template_get(pk, (lang)l, periods[k].key);
            if (tp && (rc = nlu_gazetteer_add_period_cues(g, periods[k].p, tp->text, err)) < 0)
                goto done;
        }
done:
    return rc;
}

int engine_build_gazetteer(store *s, const tenant *t, const pack *pk, arena *keep,
                           store_locality_stats **localities, int *n_localities,
                           nlu_gazetteer **out, pt_error *err)
{
    int rc = 0;
    arena tmp;
    arena *a = keep ? keep : &tmp;
    buf aliases = BUF_INIT(0);
    store_locality_stats *ls = NULL;
    int n = 0;

    arena_init(&tmp, 0);
    rc = s->ops->locality_stats(s, t->id, TX_NONE, a, &ls, &n, err);
    if (rc)
        goto done;
    const char **names = arena_alloc(&tmp, sizeof *names * (size_t)(n ? n : 1));
    if (names == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        names[i] = ls[i].locality;
    const char *line = pk ? pack_aliases(pk) : NULL;
    while (line && *line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *tab = memchr(line, '\t', len);
        if (tab && line[0] != '#') {
            const char *canon = tab + 1;
            size_t clen = len - (size_t)(canon - line);
            while (clen > 0 && (canon[clen - 1] == '\r' || canon[clen - 1] == ' '))
                clen--;
            for (int i = 0; i < n; i++)
                if (names[i] && strlen(names[i]) == clen && strncasecmp(names[i], canon, clen) == 0) {
                    if (buf_append(&aliases, line, len) || buf_putc(&aliases, '\n')) {
                        rc = pt_fail(err, PT_ERR_NOMEM, "out of memory");
                        goto done;
                    }
                    break;
                }
        }
        line = eol ? eol + 1 : NULL;
    }
    rc = nlu_gazetteer_build(names, n, buf_cstr(&aliases), out, err);
    if (rc == 0 && (rc = engine_gazetteer_cues(*out, pk, err)) < 0) {
        nlu_gazetteer_free(*out);
        *out = NULL;
    }
    if (rc == 0 && localities) {
        *localities = ls;
        *n_localities = n;
    }
done:
    buf_free(&aliases);
    arena_release(&tmp);
    return rc;
}

/* Builds the runtime of tenant t.  With prev (a runtime of the same tenant)
 * its pack's trained model is shared instead of trained again: a refresh
 * after listing changes. */
static int rt_build(engine *e, store *st, const tenant *t, const char *key_hash,
                    const tenant_rt *prev, tenant_rt **out, pt_error *err)
{
    int rc = 0;
    tenant_rt *rt = calloc(1, sizeof *rt);
    if (rt == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "tenant \"%s\": out of memory", t->slug);
        goto done;
    }
    atomic_init(&rt->refs, 1);
    arena_init(&rt->mem, 0);
    rt->t = *t;
    snprintf(rt->key_hash, sizeof rt->key_hash, "%s", key_hash ? key_hash : "");
    rc = pack_load(e->packs_dir, t->slug, &rt->pack, err);
    if (rc)
        goto done;
    rc = engine_build_gazetteer(st, t, rt->pack, &rt->mem, &rt->localities, &rt->n_localities,
                                &rt->gazetteer, err);
    if (rc)
        goto done;
    const char *own = pack_intents_dir(rt->pack);
    if (prev && prev->own) {
        atomic_fetch_add(&prev->own->refs, 1);
        rt->own = prev->own;
    } else if (own && strstr(own, "/default") == NULL && e->cfg.intents_file == NULL) {
        /* the tenant's intents replace the default examples: train its model */
        char dir[600];
        snprintf(dir, sizeof dir, "%s", own);
        char *slash = strrchr(dir, '/');
        if (slash && strcmp(slash, "/intents") == 0)
            *slash = '\0';
        rt->own = calloc(1, sizeof *rt->own);
        if (rt->own == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "tenant \"%s\": out of memory", t->slug);
            goto done;
        }
        atomic_init(&rt->own->refs, 1);
        rc = nlu_model_train_dir(dir, &rt->own->model, err);
        if (rc)
            goto done;
    }
    *out = rt;
    rt = NULL;
done:
    if (rt)
        rt_release(rt);
    return rc;
}

/* Finds a tenant runtime by a predicate over the registry; +1 ref. */
static tenant_rt *registry_find(engine *e, const char *slug, const char *key_hash)
{
    tenant_rt *found = NULL;
    pthread_mutex_lock(&e->reg_lock);
    for (int i = 0; i < e->n_tenants; i++) {
        tenant_rt *rt = e->tenants[i];
        if ((slug && strcmp(rt->t.slug, slug) == 0) || (key_hash && rt->key_hash[0] && strcmp(rt->key_hash, key_hash) == 0)) {
            found = rt;
            atomic_fetch_add(&found->refs, 1);
            break;
        }
    }
    pthread_mutex_unlock(&e->reg_lock);
    return found;
}

/* Adds or replaces (by slug) rt in the registry; takes the caller's ref. */
static int registry_put(engine *e, tenant_rt *rt)
{
    tenant_rt *old = NULL;
    int rc = 0;
    pthread_mutex_lock(&e->reg_lock);
    for (int i = 0; i < e->n_tenants; i++)
        if (strcmp(e->tenants[i]->t.slug, rt->t.slug) == 0) {
            old = e->tenants[i];
            if (!rt->key_hash[0])
                snprintf(rt->key_hash, sizeof rt->key_hash, "%s", old->key_hash);
            e->tenants[i] = rt;
            goto done;
        }
    if (e->n_tenants == e->cap_tenants) {
        int cap = e->cap_tenants ? e->cap_tenants * 2 : 8;
        tenant_rt **p = realloc(e->tenants, sizeof *p * (size_t)cap);
        if (p == NULL) {
            rc = -PT_ERR_NOMEM;
            goto done;
        }
        e->tenants = p;
        e->cap_tenants = cap;
    }
    e->tenants[e->n_tenants++] = rt;
done:
    pthread_mutex_unlock(&e->reg_lock);
    if (rc)
        rt_release(rt);
    rt_release(old);
    return rc;
}

/* The memo slot of a key of len bytes (1..MAX_API_KEY_BYTES): a multiply-
 * xor hash over whole words (the last one overlapping), not a byte loop. */
static unsigned key_slot(const char *key, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len, v;
    size_t i = 0;
    if (len >= 8) {
        for (; i + 8 < len; i += 8) {
            memcpy(&v, key + i, 8);
            h = (h ^ v) * 0xFF51AFD7ED558CCDull;
            h ^= h >> 29;
        }
        memcpy(&v, key + len - 8, 8);
    } else {
        v = 0;
        memcpy(&v, key, len);
    }
    h = (h ^ v) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 32;
    return (unsigned)(h % KEY_MEMO_SLOTS);
}

/* Whether the len bytes (1..MAX_API_KEY_BYTES) of a and b are equal, in a
 * time that depends on len only (API keys are secrets): the differences
 * of all words are or'ed together before the one test. */
static bool key_equal(const char *a, const char *b, size_t len)
{
    uint64_t d = 0, x, y;
    size_t i = 0;
    if (len >= 8) {
        for (; i + 8 < len; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            d |= x ^ y;
        }
        memcpy(&x, a + len - 8, 8);
        memcpy(&y, b + len - 8, 8);
        d |= x ^ y;
    } else {
        for (; i < len; i++)
            d |= (uint64_t)(unsigned char)(a[i] ^ b[i]);
    }
    return d == 0;
}

/* hex = engine_api_key_hash(key), remembered for the keys seen lately
 * (a client sends its key with every message).  key: at most
 * MAX_API_KEY_BYTES (longer ones are hashed every time). */
static void api_key_hash_memo(engine *e, const char *key, char hex[65])
{
    size_t len = strlen(key);
    if (len == 0 || len > MAX_API_KEY_BYTES) {
        engine_api_key_hash(key, hex);
        return;
    }
    key_memo *m = &e->key_memo[key_slot(key, len)];
    pthread_mutex_lock(&e->memo_lock);
    bool hit = m->len == len && key_equal(m->key, key, len);
    if (hit)
        memcpy(hex, m->hash, 65);
    pthread_mutex_unlock(&e->memo_lock);
    if (hit)
        return;
    engine_api_key_hash(key, hex);
    pthread_mutex_lock(&e->memo_lock);
    memcpy(m->key, key, len);
    m->len = len;
    memcpy(m->hash, hex, 65);
    pthread_mutex_unlock(&e->memo_lock);
}

/* The runtime for an API key or a slug, loading it from the store when the
 * tenant was created after start. */
static int tenant_acquire(engine *e, const char *slug, const char *api_key, tenant_rt **out,
                          pt_error *err)
{
    char hash[65] = "";
    if (api_key)
        api_key_hash_memo(e, api_key, hash);
    tenant_rt *rt = registry_find(e, slug, api_key ? hash : NULL);
    if (rt) {
        *out = rt;
        return 0;
    }
    int rc = 0;
    store *st = store_pool_get(e->pool);
    tenant t;
    pt_error lookup = {0};
    rc = api_key ? st->ops->tenant_by_api_key(st, hash, &t, &lookup)
                 : st->ops->tenant_by_slug(st, slug, &t, &lookup);
    if (rc == -PT_ERR_NOT_FOUND) {
        rc = api_key ? pt_fail(err, PT_ERR_UNAUTHORIZED, "unknown API key")
                     : pt_fail(err, PT_ERR_NOT_FOUND, "tenant \"%s\" not found", slug);
        goto done;
    }
    if (rc) {
        rc = pt_fail(err, -rc, "%s", lookup.msg);
        goto done;
    }
    if (api_key) {
        /* runtimes loaded at start know their slug, not their key: adopt
         * the loaded one instead of building a second (seconds at 1M listings) */
        rt = registry_find(e, t.slug, NULL);
        if (rt && rt->t.id == t.id) {
            pthread_mutex_lock(&e->reg_lock);
            snprintf(rt->key_hash, sizeof rt->key_hash, "%s", hash);
            pthread_mutex_unlock(&e->reg_lock);
            *out = rt;
            goto done;
        }
        rt_release(rt);
        rt = NULL;
    }
    rc = rt_build(e, st, &t, api_key ? hash : NULL, NULL, &rt, err);
    if (rc)
        goto done;
    atomic_fetch_add(&rt->refs, 1);   /* one for the registry, one for the caller */
    rc = registry_put(e, rt);
    if (rc) {
        rt_release(rt);
        rc = pt_fail(err, PT_ERR_NOMEM, "tenant registry: out of memory");
        goto done;
    }
    *out = rt;
done:
    store_pool_put(e->pool, st);
    return rc;
}

/* ---- lifecycle ---------------------------------------------------------- */

int engine_open(const engine_config *cfg, engine **out, pt_error *err)
{
    int rc = 0;
    store *st = NULL;
    arena a;
    arena_init(&a, 0);
    engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "engine: out of memory");
    if (sodium_init() < 0) {
        rc = pt_fail(err, PT_ERR_INTERNAL, "libsodium failed to initialise");
        goto done;
    }
    e->cfg = *cfg;
    snprintf(e->db_url, sizeof e->db_url, "%s", cfg->db_url);
    snprintf(e->packs_dir, sizeof e->packs_dir, "%s", cfg->packs_dir ? cfg->packs_dir : "packs");
    if (cfg->intents_file)
        snprintf(e->intents_file, sizeof e->intents_file, "%s", cfg->intents_file);
    e->cfg.db_url = e->db_url;
    e->cfg.packs_dir = e->packs_dir;
    e->cfg.intents_file = cfg->intents_file ? e->intents_file : NULL;
    pthread_mutex_init(&e->reg_lock, NULL);
    pthread_mutex_init(&e->memo_lock, NULL);
    pthread_mutex_init(&e->metrics_lock, NULL);
    e->started = time(NULL);
    e->locks.ops = &lock_local_ops;
    rc = e->locks.ops->open(&e->locks, NULL, err);
    if (rc)
        goto done;
    e->user_locks.ops = &lock_local_ops;
    rc = e->user_locks.ops->open(&e->user_locks, NULL, err);
    if (rc) {
        e->user_locks.ops = NULL;
        goto done;
    }
    rc = store_pool_open(e->db_url, cfg->store_handles > 0 ? cfg->store_handles : 4, &e->pool, err);
    if (rc)
        goto done;
    e->cache = state_cache_open(cfg->state_cache_bytes < 0 ? 0
                                : cfg->state_cache_bytes > 0 ? (size_t)cfg->state_cache_bytes
                                : ENGINE_STATE_CACHE_DEFAULT);
    e->listings = listing_cache_open();
    if (e->cache == NULL || e->listings == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "engine: out of memory");
        goto done;
    }
    store *cs = NULL;
    rc = store_open(e->db_url, &cs, err);
    if (rc == 0)
        rc = committer_start(cs, 0, &e->committer, err);
    if (rc)
        goto done;
    if (e->cfg.intents_file) {
        FILE *f = fopen(e->intents_file, "rb");
        if (f == NULL) {
            rc = pt_fail(err, PT_ERR_IO, "intents file \"%s\": cannot open", e->intents_file);
            goto done;
        }
        buf b = BUF_INIT(64u << 20);
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && buf_append(&b, chunk, n) == 0)
            ;
        fclose(f);
        const char *texts[1] = {buf_cstr(&b)};
        size_t lens[1] = {b.len};
        rc = nlu_model_train(texts, lens, 1, &e->model, err);
        buf_free(&b);
    } else {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/default", e->packs_dir);
        rc = nlu_model_train_dir(dir, &e->model, err);
    }
    if (rc)
        goto done;
    st = store_pool_get(e->pool);
    tenant *ts = NULL;
    int nt = 0;
    rc = st->ops->tenant_list(st, &a, &ts, &nt, err);
    if (rc)
        goto done;
    for (int i = 0; i < nt; i++) {
        tenant_rt *rt = NULL;
        rc = rt_build(e, st, &ts[i], NULL, NULL, &rt, err);
        if (rc)
            goto done;
        rc = registry_put(e, rt);
        if (rc)
            goto done;
    }
    log_info("engine: %d tenants loaded, packs from %s", nt, e->packs_dir);
done:
    if (st)
        store_pool_put(e->pool, st);
    arena_release(&a);
    if (rc) {
        engine_close(e);
        return rc;
    }
    *out = e;
    return 0;
}

void engine_close(engine *e)
{
    if (e == NULL)
        return;
    for (int i = 0; i < e->n_tenants; i++)
        rt_release(e->tenants[i]);
    free(e->tenants);
    nlu_model_free(e->model);
    committer_stop(e->committer);
    state_cache_close(e->cache);
    listing_cache_close(e->listings);
    if (e->pool)
        store_pool_close(e->pool);
    if (e->user_locks.ops)
        e->user_locks.ops->close(&e->user_locks);
    if (e->locks.ops)
        e->locks.ops->close(&e->locks);
    pthread_mutex_destroy(&e->reg_lock);
    pthread_mutex_destroy(&e->memo_lock);
    sodium_memzero(e->key_memo, sizeof e->key_memo);   /* API keys are secrets */
    pthread_mutex_destroy(&e->metrics_lock);
    free(e);
}

int engine_reload_tenant(engine *e, const char *slug, pt_error *err)
{
    store *st = store_pool_get(e->pool);
    tenant t;
    tenant_rt *rt = NULL;
    int rc = st->ops->tenant_by_slug(st, slug, &t, err);
    if (rc == 0)
        rc = rt_build(e, st, &t, NULL, NULL, &rt, err);
    store_pool_put(e->pool, st);
    if (rc)
        return rc;
    return registry_put(e, rt);
}

void engine_set_embed(engine *e, embed_provider *p)
{
    e->embed = p;
}

int engine_refresh_listings(engine *e, const char *slug, pt_error *err)
{
    tenant_rt *prev = registry_find(e, slug, NULL);
    if (prev == NULL)
        return engine_reload_tenant(e, slug, err);
    store *st = store_pool_get(e->pool);
    tenant_rt *rt = NULL;
    int rc = rt_build(e, st, &prev->t, NULL, prev, &rt, err);
    store_pool_put(e->pool, st);
    rt_release(prev);
    if (rc)
        return rc;
    return registry_put(e, rt);
}

/* ---- keys --------------------------------------------------------------- */

void engine_api_key_new(char key[48])
{
    unsigned char raw[20];
    if (sodium_init() < 0)
        abort();
    randombytes_buf(raw, sizeof raw);
    memcpy(key, "pt_", 3);
    sodium_bin2hex(key + 3, 45, raw, sizeof raw);
}

void engine_api_key_hash(const char *key, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)key, strlen(key));
    sodium_bin2hex(hex, 65, h, sizeof h);
}

/* ---- the turn ------------------------------------------------------------ */

bool engine_id_valid(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > MAX_ID_BYTES)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int validate(const chat_request *req, pt_error *err)
{
    if (req->session_id == NULL || req->session_id[0] == '\0')
        return pt_fail(err, PT_ERR_MISSING, "\"session_id\" is required");
    if (req->user_id == NULL || req->user_id[0] == '\0')
        return pt_fail(err, PT_ERR_MISSING, "\"user_id\" is required");
    if (!engine_id_valid(req->session_id))
        return pt_fail(err, PT_ERR_UNPROCESSABLE, "\"session_id\" must be 1-%d printable bytes", MAX_ID_BYTES);
    if (!engine_id_valid(req->user_id))
        return pt_fail(err, PT_ERR_UNPROCESSABLE, "\"user_id\" must be 1-%d printable bytes", MAX_ID_BYTES);
    bool has_cb = req->callback_data && req->callback_data[0];
    if ((req->query == NULL || req->query[0] == '\0') && !has_cb)
        return pt_fail(err, PT_ERR_MISSING, "\"query\" is required unless \"callback_data\" is given");
    if (req->query && strlen(req->query) > MAX_QUERY_BYTES)
        return pt_fail(err, PT_ERR_TOO_LARGE, "\"query\" is longer than %d bytes", MAX_QUERY_BYTES);
    if (has_cb && strlen(req->callback_data) > MAX_CALLBACK_BYTES)
        return pt_fail(err, PT_ERR_UNPROCESSABLE, "\"callback_data\" is longer than %d bytes", MAX_CALLBACK_BYTES);
    return 0;
}

static void listing_write(jsonw *w, const listing *l)
{
    jw_obj(w);
    jw_kstr(w, "id", l->id);
    jw_kstr(w, "title", l->title);
    jw_kstr(w, "project", l->project);
    jw_kstr(w, "locality", l->locality);
    jw_kstr(w, "city", l->city);
    jw_kstr(w, "property_type", ptype_name(l->type));
    jw_kstr(w, "transaction", listing_tx_name(l->tx));
    jw_kint_or_null(w, "bedrooms", l->bedrooms >= 0, l->bedrooms);
    jw_kreal_or_null(w, "bathrooms", l->bathrooms >= 0, l->bathrooms);
    jw_kreal_or_null(w, "area_sqft", l->area_sqft > 0, l->area_sqft);
    jw_kint(w, "price", l->price);
    jw_kstr(w, "currency", l->currency);
    jw_kint_or_null(w, "units_available", l->units_available >= 0, l->units_available);
    jw_kstr(w, "status", lstatus_name(l->status));
    jw_kreal_or_null(w, "rental_yield", l->rental_yield > 0, l->rental_yield);
    jw_kstr(w, "completion_date", l->completion_date);
    jw_end(w);
}

static double now_seconds(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* The §5 answer of a turn, all but its response time, into w (set up here
 * on b, in a) and left open: built before the commit (the session and
 * profile are handed back to the state cache at the commit);
 * answer_time() ends it.  slots_json: the slots as slots_text() wrote them
 * for the lead, copied rather than written twice.  Errors stay in w.  Not
 * inlined: one call a turn, and it keeps its own line in a profile. */
static __attribute__((noinline)) void answer_head(jsonw *w, buf *b, const chat_request *req,
                                                  const session *s, const profile *p,
                                                  const nlu_result *n, const reply *r,
                                                  const char *slots_json, arena *a)
{
    const char *intent = n ? n->intent : (req->callback_data && strncmp(req->callback_data, "slot:", 5) == 0 ? "schedule_visit" : "inform");
    int frustration = s->frustration;
    if (n && n->frustration > frustration)
        frustration = n->frustration;
    /* §5: 0..10, whatever an older record holds */
    frustration = dialog_frustration_cap(frustration);
    jw_init_arena(w, b, a, 4096);   /* a typical answer: no regrowth, no copy */
    jw_obj(w);
    jw_kstr(w, "answer", r->text ? r->text : "");
    jw_key(w, "buttons");
    jw_arr(w);
    for (int i = 0; i < r->n_buttons; i++) {
        jw_obj(w);
        jw_kstr(w, "label", r->buttons[i].label ? r->buttons[i].label : "");
        jw_kstr(w, "data", r->buttons[i].data ? r->buttons[i].data : "");
        jw_end(w);
    }
    jw_end(w);
    jw_key(w, "sources");
    jw_arr(w);
    for (int i = 0; i < r->n_sources; i++)
        listing_write(w, &r->sources[i]);
    jw_end(w);
    jw_kstr(w, "intent", intent);
    jw_kreal(w, "confidence", n ? n->confidence : 1.0);
    jw_kstr(w, "state", dialog_state_name(s->state));
    jw_kstr(w, "pending_slot", pending_slot_name(s->pending));
    jw_key(w, "slots");
    jw_raw(w, slots_json, strlen(slots_json));
    jw_key(w, "sentiment");
    jw_obj(w);
    jw_kstr(w, "label", n ? nlu_sentiment_name(n->sentiment) : "neutral");
    jw_kreal(w, "score", n ? n->sentiment_score : 0.0);
    jw_kint(w, "frustration", frustration);
    jw_end(w);
    jw_key(w, "lead");
    jw_obj(w);
    jw_kstr(w, "temperature", p->temperature);
    jw_kreal(w, "engagement_score", p->engagement_score);
    jw_kreal(w, "intent_to_buy_score", p->intent_to_buy_score);
    jw_key(w, "reasons");
    jw_arr(w);
    for (int i = 0; i < r->n_reasons; i++)
        jw_str(w, r->reasons[i]);
    jw_end(w);
    jw_end(w);
    jw_kstr(w, "stage", buyer_stage_name(s->stage));
    jw_kstr(w, "language", lang_name(s->language));
    jw_kstr(w, "session_id", req->session_id);
    jw_key(w, "suggested_actions");
    jw_arr(w);
    for (int i = 0; i < r->n_actions; i++)
        jw_str(w, r->actions[i]);
    jw_end(w);
    if (s->appointment_id > 0) {
        jw_key(w, "appointment");
        jw_obj(w);
        jw_kint(w, "id", s->appointment_id);
        jw_kstr(w, "when", s->appointment_when);
        jw_kstr(w, "agent", s->appointment_agent);
        jw_end(w);
    }
}

/* Ends the answer that answer_head() left open in w with its response
 * time (since started, so it includes the commit); the text, in a, or NULL
 * on any error. */
static char *answer_time(jsonw *w, double started, arena *a)
{
    jw_kint(w, "response_time_ms", (int64_t)((now_seconds() - started) * 1000 + 0.5));
    jw_end(w);
    return jw_finish_to_arena(w, a);
}

/* The concatenation of parts[0..n) in a (NULL parts count as ""): the
 * per-turn texts without printf.  *out_len (when not NULL) gets its length
 * (strlen's), 0 on failure. */
static char *arena_cat_len(arena *a, const char *const *parts, int n, size_t *out_len)
{
    if (out_len)
        *out_len = 0;
    size_t len[8], total = 0;
    if (n > 8)
        return NULL;
    for (int i = 0; i < n; i++)
        total += len[i] = parts[i] ? strlen(parts[i]) : 0;
    char *out = arena_alloc(a, total + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (int i = 0; i < n; i++) {
        memcpy(o, parts[i] ? parts[i] : "", len[i]);
        o += len[i];
    }
    *o = '\0';
    if (out_len)
        *out_len = total;
    return out;
}

/* The slots as JSON text in a: the lead's copy, and the answer's.  *len:
 * its length (strlen's; 0 when not known). */
static char *slots_text(const slots *sl, arena *a, size_t *len)
{
    buf b;
    jsonw w;
    jw_init_arena(&w, &b, a, 256);
    dialog_slots_write(&w, sl);
    char *out = jw_finish_to_arena(&w, a);
    *len = out && out == b.data ? b.len : 0;   /* written in place: the writer's length */
    return out;
}

/* A turn that waits, for its session's lock, its buyer's, or its commit:
 * what the callbacks and engine_chat_continue need, in the request arena.
 * Both locks are held from their grants until the turn is durable (or
 * failed); rt until the answer. */
enum chat_wait_for { WAIT_SESSION_LOCK, WAIT_USER_LOCK, WAIT_COMMIT };
struct chat_async {
    engine *e;
    tenant_rt *rt;
    chat_request req;           /* a copy; its strings are the caller's */
    arena *a;
    double started;
    char *lock_key;             /* tenant:session_id */
    uint64_t token;
    char *user_key;             /* tenant:user_id */
    uint64_t user_token;
    enum chat_wait_for waiting;
    lock_waiter waiter;
    lock_waiter user_waiter;
    session s;                  /* s, p, r in this order: see chat_start */
    profile p;
    reply r;
    nlu_result nres;
    const nlu_result *n;        /* &nres, or NULL for a button press */
    store_lead lead;
    store_turn tw;
    commit_req q;
    chat_done_fn done;
    void *ctx;
    /* the turn's state: blocks of the state cache (taken from it, or made
     * for it on a miss) that the commit hands back, or s and p when the
     * cache is off; *_cached: the block is the turn's to give or free */
    session *sp;
    profile *pp;
    bool sp_cached, pp_cached;
    jsonw aw;                   /* the answer, open after answer_head */
    buf ab;                     /* its text, in a */
};

/* Counts a finished turn for /metrics. */
static void turn_account(engine *e, double started, int rc)
{
    double secs = now_seconds() - started;
    atomic_fetch_add(&e->chat_total, 1);
    if (rc)
        atomic_fetch_add(&e->chat_errors, 1);
    int b = 0;
    while (b < LAT_BUCKETS && secs > lat_bounds[b])
        b++;
    atomic_fetch_add(&e->lat_bucket[b], 1);
    atomic_fetch_add(&e->lat_sum_us, (unsigned long)(secs * 1e6));
}

/* The turn's block for one record: the cache's own, taken out (*hit), or a
 * new block the cache can be given later, or own when it cannot make one.
 * *cached: the block is the cache's kind (given back or freed after the
 * turn). */
static void *state_block(state_cache *c, state_kind kind, tenant_id tid, const char *id,
                         size_t size, void *own, bool *cached, bool *hit)
{
    void *rec = state_cache_take(c, kind, tid, id, size);
    *hit = rec != NULL;
    if (rec == NULL)
        rec = state_cache_alloc(c, kind, tid, id, size);
    *cached = rec != NULL;
    return rec ? rec : own;
}

/* The state the last committed turn of the session left, into ca->sp and
 * ca->pp: taken from the state cache (no copy), else read from the store
 * into a block made for the cache (or into ca->s, ca->p when it is off).
 * What the cache lacks is read in one store call (state_get: a new
 * conversation begins one read transaction, not two). */
static int state_take(chat_async *ca, store *st, pt_error *err)
{
    state_cache *c = ca->e->cache;
    tenant_id tid = ca->rt->t.id;
    const chat_request *req = &ca->req;
    int rc = 0;
    bool s_hit, p_hit;
    ca->sp = state_block(c, STATE_SESSION, tid, req->session_id, sizeof(session), &ca->s,
                         &ca->sp_cached, &s_hit);
    ca->pp = state_block(c, STATE_PROFILE, tid, req->user_id, sizeof(profile), &ca->p,
                         &ca->pp_cached, &p_hit);
    if (s_hit && p_hit)
        return 0;
    char *sjson = NULL, *pjson = NULL;
    if (st->ops->state_get) {
        rc = st->ops->state_get(st, tid, s_hit ? NULL : req->session_id,
                                p_hit ? NULL : req->user_id, ca->a, &sjson, &pjson, err);
    } else {
        if (!s_hit)
            rc = st->ops->session_get(st, tid, req->session_id, ca->a, &sjson, err);
        if (rc == 0 && !p_hit)
            rc = st->ops->profile_get(st, tid, req->user_id, ca->a, &pjson, err);
    }
    if (rc)
        return rc;
    if (!s_hit) {
        session_init(ca->sp, ca->rt->t.language);
        if (sjson)
            session_from_json(ca->sp, sjson);
    }
    if (!p_hit)
        profile_from_json(ca->pp, pjson);
    return 0;
}

/* Frees the turn's state blocks that were not handed back (a turn that
 * failed before its commit: they may hold half a turn). */
static void state_release(chat_async *ca)
{
    state_cache *c = ca->e->cache;
    if (ca->sp_cached)
        state_cache_free(c, ca->sp);
    if (ca->pp_cached)
        state_cache_free(c, ca->pp);
    ca->sp_cached = ca->pp_cached = false;
    ca->sp = NULL;
    ca->pp = NULL;
}

/* After a turn's commit: its decoded state is handed to the state cache
 * for the session's next turn, or forgotten when the commit failed (the
 * store has the truth).  ca->sp and ca->pp are not the turn's after this. */
static void state_settle(chat_async *ca, bool committed)
{
    state_cache *c = ca->e->cache;
    tenant_id tid = ca->rt->t.id;
    if (committed) {
        if (ca->sp_cached)
            state_cache_give(c, ca->sp);
        else
            state_cache_put(c, STATE_SESSION, tid, ca->req.session_id, ca->sp, sizeof(session));
        if (ca->pp_cached)
            state_cache_give(c, ca->pp);
        else
            state_cache_put(c, STATE_PROFILE, tid, ca->req.user_id, ca->pp, sizeof(profile));
        ca->sp_cached = ca->pp_cached = false;
    } else {
        state_cache_drop(c, STATE_SESSION, tid, ca->req.session_id);
        state_cache_drop(c, STATE_PROFILE, tid, ca->req.user_id);
    }
    state_release(ca);
}

/* The answer of a committed turn, in its arena: the head built before the
 * commit and the time since the message came, so the reported time
 * includes the commit. */
static int turn_answer(chat_async *ca, char **json, pt_error *err)
{
    *json = answer_time(&ca->aw, ca->started, ca->a);
    return *json ? 0 : pt_fail(err, PT_ERR_NOMEM, "out of memory");
}

/* Gives back a turn's two locks: the buyer's, then the session's. */
static void turn_unlock(engine *e, const chat_async *ca)
{
    e->user_locks.ops->release(&e->user_locks, ca->user_key, ca->user_token);
    e->locks.ops->release(&e->locks, ca->lock_key, ca->token);
}

/* The committer's callback: the turn is durable (or failed).  The decoded
 * state is remembered (or forgotten) before the locks are given back, so
 * the next turn of the session or the buyer starts from it; then the
 * channel is told. */
static void turn_durable(store_turn *t, void *ctx)
{
    chat_async *ca = ctx;
    engine *e = ca->e;
    state_settle(ca, t->rc == 0);
    turn_unlock(e, ca);
    ca->done(ca->ctx);   /* ca may be gone after this */
}

static int chat_run(chat_async *ca, chat_async **pending, char **json, pt_error *err);

/* The session's lock, handed over by the release of its previous turn (on
 * that turn's thread, usually the committer's): the channel is woken up and
 * calls engine_chat_continue, which takes the buyer's lock on its own
 * thread. */
static void lock_granted(lock_waiter *w, uint64_t token)
{
    chat_async *ca = w->ctx;
    ca->token = token;
    ca->done(ca->ctx);
}

/* The buyer's lock, handed over the same way: the turn runs next. */
static void user_lock_granted(lock_waiter *w, uint64_t token)
{
    chat_async *ca = w->ctx;
    ca->user_token = token;
    ca->done(ca->ctx);
}

/* With the session's lock held: takes the buyer's, or queues for it
 * (*pending set), and runs the turn.  On a full queue the session's lock is
 * given back and the turn ends with the error. */
static int chat_take_user(chat_async *ca, chat_async **pending, char **json, pt_error *err)
{
    engine *e = ca->e;
    *pending = NULL;
    ca->user_waiter = (lock_waiter){.grant = user_lock_granted, .ctx = ca};
    int rc = e->user_locks.ops->enqueue(&e->user_locks, ca->user_key, &ca->user_waiter,
                                        &ca->user_token, err);
    if (rc < 0) {
        if (rc == -PT_ERR_RATE_LIMITED) {   /* the backend knows keys, not buyers */
            pt_error_clear(err);            /* pt_fail keeps a message already set */
            rc = pt_fail(err, PT_ERR_RATE_LIMITED,
                         "%d messages of this buyer's conversations are already waiting; send "
                         "the next one after an answer", LOCK_MAX_WAITING);
        }
        e->locks.ops->release(&e->locks, ca->lock_key, ca->token);
        turn_account(e, ca->started, rc);
        return rc;
    }
    if (rc == 0) {   /* a turn of another of the buyer's sessions is running */
        ca->waiting = WAIT_USER_LOCK;
        *pending = ca;
        return 0;
    }
    return chat_run(ca, pending, json, err);
}

/* Starts one turn: takes its session's lock, or queues for it without
 * holding the thread (*pending set, waiting for the lock), and runs it
 * (chat_run).  On return without *pending, rt is the caller's to release. */
static int chat_start(engine *e, tenant_rt *rt, const chat_request *req, arena *a,
                      chat_done_fn done, void *ctx, chat_async **pending, char **json,
                      pt_error *err)
{
    int rc = 0;
    /* zeroed but for the session and profile (8 KB of the 10), which are
     * used only when the state cache cannot hold the turn's state, and are
     * then written whole before they are read: session_init, then the
     * stored record (profile_from_json starts with profile_init) */
    chat_async *ca = arena_alloc(a, sizeof *ca);

    *pending = NULL;
    if (ca == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "out of memory");
    memset(ca, 0, offsetof(chat_async, s));
    memset(&ca->r, 0, sizeof *ca - offsetof(chat_async, r));
    ca->e = e;
    ca->rt = rt;
    ca->req = *req;
    ca->a = a;
    ca->started = now_seconds();
    ca->done = done;
    ca->ctx = ctx;
    char idt[24], *id = idt + sizeof idt - 1;   /* "%lld" of the tenant id */
    unsigned long long tid = rt->t.id < 0 ? 0 - (unsigned long long)rt->t.id : (unsigned long long)rt->t.id;
    *id = '\0';
    do {
        *--id = (char)('0' + tid % 10);
        tid /= 10;
    } while (tid);
    if (rt->t.id < 0)
        *--id = '-';
    /* "<tenant>:<session>" and "<tenant>:<user>" in one block, the lengths
     * known but the ids' */
    size_t idn = (size_t)(idt + sizeof idt - 1 - id), sn = strlen(req->session_id),
           un = strlen(req->user_id);
    char *keys = arena_alloc(a, 2 * (idn + 2) + sn + un);
    if (keys != NULL) {
        ca->lock_key = keys;
        memcpy(keys, id, idn);
        keys[idn] = ':';
        memcpy(keys + idn + 1, req->session_id, sn + 1);
        ca->user_key = keys += idn + sn + 2;
        memcpy(keys, id, idn);
        keys[idn] = ':';
        memcpy(keys + idn + 1, req->user_id, un + 1);
    }
    if (ca->lock_key == NULL || ca->user_key == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "out of memory");
        goto done;
    }
    ca->waiter = (lock_waiter){.grant = lock_granted, .ctx = ca};
    rc = e->locks.ops->enqueue(&e->locks, ca->lock_key, &ca->waiter, &ca->token, err);
    if (rc == -PT_ERR_RATE_LIMITED) {   /* the backend knows keys, not conversations */
        pt_error_clear(err);              /* pt_fail keeps a message already set */
        rc = pt_fail(err, PT_ERR_RATE_LIMITED,
                     "%d messages of this conversation are already waiting; send the next one "
                     "after an answer", LOCK_MAX_WAITING);
    }
    if (rc < 0)
        goto done;
    if (rc == 0) {   /* an earlier message of the session is in its turn */
        ca->waiting = WAIT_SESSION_LOCK;
        *pending = ca;
        return 0;
    }
    return chat_take_user(ca, pending, json, err);
done:
    turn_account(e, ca->started, rc);
    return rc;
}

/* Runs a turn whose two locks are held, up to its commit.  With a
 * booking, or on an error, the turn ends here: *json (or the error) is the
 * outcome, the locks are given back and *pending stays NULL.  Otherwise the
 * turn goes to the committer and *pending is set; done(ctx) follows, then
 * engine_chat_continue gives the answer. */
static int chat_run(chat_async *ca, chat_async **pending, char **json, pt_error *err)
{
    int rc = 0;
    engine *e = ca->e;
    tenant_rt *rt = ca->rt;
    const chat_request *req = &ca->req;
    arena *a = ca->a;
    store *st = NULL;
    bool in_turn = false;
    time_t now = req->now ? req->now : time(NULL);
    _Static_assert(offsetof(chat_async, p) > offsetof(chat_async, s) &&
                   offsetof(chat_async, r) == offsetof(chat_async, p) + sizeof(profile),
                   "chat_async: s, then p, then r");
    reply *r = &ca->r;
    *pending = NULL;
    st = store_pool_get(e->pool);

    /* the state the last committed turn left: from memory, else the store */
    rc = state_take(ca, st, err);
    session *s = ca->sp;
    profile *p = ca->pp;
    if (rc)
        goto done;

    size_t query_len = req->query ? strlen(req->query) : 0;   /* also the store's */
    if (query_len > 0) {
        nlu_context nctx = {.gazetteer = rt->gazetteer, .currency = rt->t.currency,
                            .region = rt->t.region, .timezone = rt->t.timezone, .now = now};
        rc = nlu_analyze(rt->own ? rt->own->model : e->model, &nctx, req->query,
                         query_len, a, &ca->nres);
        if (rc) {
            rc = pt_fail(err, -rc, "nlu failed");
            goto done;
        }
        ca->n = &ca->nres;
    }
    const nlu_result *n = ca->n;
    dialog_env env = {.tenant = &rt->t, .pack = rt->pack, .store = st, .session_id = req->session_id,
                      .user_id = req->user_id, .now = now, .arena = a,
                      .localities = rt->localities, .n_localities = rt->n_localities,
                      .listings = e->listings};
    if (e->embed && n && (strcmp(n->intent, "property_search") == 0 || strcmp(n->intent, "inform") == 0)) {
        const char **ids = NULL;
        int n_ids = 0;
        pt_error eerr = {0};
        if (embed_rank(e->embed, st, rt->t.id, req->query, ENGINE_SEMANTIC_K, a, &ids, &n_ids, &eerr) == 0) {
            env.semantic_ids = ids;
            env.n_semantic = n_ids;
        } else {
            log_warn("embeddings: ranking for tenant %s skipped: %s", rt->t.slug, eerr.msg);
        }
    }
    const char *cb = req->callback_data && req->callback_data[0] ? req->callback_data : NULL;
    dialog_state state_before = s->state;
    rc = dialog_turn(&env, s, p, n, cb, r, err);
    if (rc)
        goto done;

    if (r->book_slot > 0) {
        /* A booking is decided inside the write transaction (the slot may
         * have been taken since it was offered), and what the session keeps
         * depends on the outcome, so this turn is written on its own. */
        rc = st->ops->turn_begin(st, err);
        if (rc)
            goto done;
        in_turn = true;
        int64_t appt = 0;
        pt_error berr = {0};
        int brc = st->ops->appointment_book(st, rt->t.id, r->book_slot, req->user_id, req->session_id,
                                            s->phone, r->book_listing, &appt, &berr);
        if (brc == -PT_ERR_CONFLICT || brc == -PT_ERR_NOT_FOUND) {
            atomic_fetch_add(&e->booking_conflicts, 1);
            rc = dialog_booking_failed(&env, s, r, err);
            if (rc)
                goto done;
        } else if (brc) {
            rc = pt_fail(err, -brc, "%s", berr.msg);
            goto done;
        } else {
            atomic_fetch_add(&e->bookings, 1);
            dialog_booking_done(s, p, r, appt);
            lead_score(s, p, NULL);
        }
    }
    /* a conversation handed to a person counts once, when it is (its later
     * turns in HUMAN_HANDOFF are the wait for the agent) */
    if (s->state == ST_HUMAN_HANDOFF && state_before != ST_HUMAN_HANDOFF)
        atomic_fetch_add(&e->handoffs, 1);

    size_t lead_slots_len = 0;
    const char *lead_slots = slots_text(&s->slots, a, &lead_slots_len);
    ca->lead = (store_lead){.user_id = req->user_id, .session_id = req->session_id,
                            .phone = s->phone[0] ? s->phone : NULL,
                            .language = lang_name(s->language), .state = dialog_state_name(s->state),
                            .temperature = p->temperature, .engagement_score = p->engagement_score,
                            .intent_to_buy_score = p->intent_to_buy_score, .slots_json = lead_slots,
                            .slots_json_len = lead_slots_len};
    const char *pend = pending_slot_name(s->pending);
    store_turn *tw = &ca->tw;
    /* the lengths the turn knows spare the committer measuring the texts
     * again (store_turn); those it does not know are left 0 */
    size_t session_json_len = 0, profile_json_len = 0;
    char *session_json = session_to_json_len(s, a, &session_json_len);
    char *profile_json = profile_to_json_len(p, a, &profile_json_len);
    *tw = (store_turn){
        .tenant = rt->t.id, .session_id = req->session_id, .user_id = req->user_id,
        .session_json = session_json, .session_json_len = session_json_len,
        .user_text = query_len > 0 ? req->query : arena_printf(a, "[button] %s", cb),
        .user_text_len = query_len,
        .assistant_text = r->text ? r->text : "",
        .profile_json = profile_json, .profile_json_len = profile_json_len,
        .lead = &ca->lead,
    };
    tw->user_meta = arena_cat_len(a, (const char *[]){"{\"intent\":\"", n ? n->intent : "inform",
                                                     cb ? "\",\"callback_data\":true}"
                                                        : "\",\"callback_data\":false}"}, 3,
                                  &tw->user_meta_len);
    tw->assistant_meta = arena_cat_len(a, (const char *[]){"{\"state\":\"",
                                                          dialog_state_name(s->state),
                                                          "\",\"pending_slot\":", pend ? "\"" : "",
                                                          pend ? pend : "null", pend ? "\"}" : "}"},
                                       6, &tw->assistant_meta_len);
    if (lead_slots == NULL || tw->session_json == NULL || tw->user_text == NULL || tw->user_meta == NULL ||
        tw->assistant_meta == NULL || tw->profile_json == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* the answer but its time, while s and p are the turn's */
    answer_head(&ca->aw, &ca->ab, &ca->req, s, p, ca->n, r, lead_slots, a);
    if (!in_turn) {
        /* the handle is not needed while the commit is awaited: others may
         * read with it, so the pool need not be as large as the thread count */
        store_pool_put(e->pool, st);
        st = NULL;
        ca->q = (commit_req){.turn = tw, .done = turn_durable, .ctx = ca};
        ca->waiting = WAIT_COMMIT;
        *pending = ca;
        committer_submit_async(e->committer, &ca->q);
        return 0;   /* the locks are the committer's to give back now */
    }
    rc = st->ops->turns_write(st, &tw, 1, err);
    if (rc == 0 && tw->rc)
        rc = pt_fail(err, -tw->rc, "%s", tw->err.msg);
    if (rc == 0) {
        in_turn = false;      /* a failed commit rolls back by itself */
        rc = st->ops->turn_commit(st, err);
    }
    state_settle(ca, rc == 0);
    if (rc == 0)
        rc = turn_answer(ca, json, err);
done:
    if (in_turn)
        st->ops->turn_rollback(st);
    if (st)
        store_pool_put(e->pool, st);
    state_release(ca);   /* a turn that failed before its commit */
    turn_unlock(e, ca);
    turn_account(e, ca->started, rc);
    return rc;
}

int engine_chat_continue(engine *e, chat_async *ca, chat_async **pending, char **json,
                         pt_error *err)
{
    int rc = 0;
    *json = NULL;
    *pending = NULL;
    if (ca->waiting == WAIT_SESSION_LOCK || ca->waiting == WAIT_USER_LOCK) {
        rc = ca->waiting == WAIT_SESSION_LOCK ? chat_take_user(ca, pending, json, err)
                                              : chat_run(ca, pending, json, err);
        if (*pending == NULL)
            rt_release(ca->rt);
        return rc;
    }
    if (ca->tw.rc)
        rc = pt_fail(err, -ca->tw.rc, "%s", ca->tw.err.msg);
    else
        rc = turn_answer(ca, json, err);
    turn_account(e, ca->started, rc);
    rt_release(ca->rt);
    return rc;
}

/* The tenant of api_key, after the request is validated. */
static int acquire_by_key(engine *e, const char *api_key, const chat_request *req,
                          tenant_rt **rt, pt_error *err)
{
    if (api_key == NULL || api_key[0] == '\0')
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the X-API-Key header is required");
    if (strlen(api_key) > MAX_API_KEY_BYTES)
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "unknown API key");
    int rc = validate(req, err);
    if (rc)
        return rc;
    return tenant_acquire(e, NULL, api_key, rt, err);
}

int engine_chat_start(engine *e, const char *api_key, const chat_request *req, arena *a,
                      chat_done_fn done, void *ctx, chat_async **pending, char **json,
                      pt_error *err)
{
    *pending = NULL;
    *json = NULL;
    tenant_rt *rt = NULL;
    int rc = acquire_by_key(e, api_key, req, &rt, err);
    if (rc)
        return rc;
    rc = chat_start(e, rt, req, a, done, ctx, pending, json, err);
    if (*pending == NULL)
        rt_release(rt);
    return rc;
}

/* The blocking form: the calling thread waits for the commit. */
typedef struct chat_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} chat_wait;

static void chat_wait_done(void *ctx)
{
    chat_wait *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Waits out a pending turn on this thread: each time its callback has run,
 * engine_chat_continue takes it a step further (the lock granted: the turn
 * runs; committed: the answer), until it ends.  ca's callback must be
 * chat_wait_done on w. */
static int chat_wait_out(engine *e, chat_async *ca, chat_wait *w, char **json, pt_error *err)
{
    int rc = 0;
    while (ca) {
        pthread_mutex_lock(&w->mu);
        while (!w->done)
            pthread_cond_wait(&w->cv, &w->mu);
        w->done = false;   /* before the next step can call back */
        pthread_mutex_unlock(&w->mu);
        chat_async *next = NULL;
        rc = engine_chat_continue(e, ca, &next, json, err);   /* the last releases rt */
        ca = next;
    }
    return rc;
}

static int chat_blocking(engine *e, tenant_rt *rt, const chat_request *req, arena *a,
                         char **json, pt_error *err)
{
    chat_wait w = {.done = false};
    chat_async *ca = NULL;
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    int rc = chat_start(e, rt, req, a, chat_wait_done, &w, &ca, json, err);
    if (ca)
        rc = chat_wait_out(e, ca, &w, json, err);
    else
        rt_release(rt);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return rc;
}

void engine_chat_abandon(engine *e, chat_async *ca)
{
    char *json = NULL;
    pt_error err = {0};
    chat_wait w = {.done = true};   /* ca's callback has run */
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    ca->done = chat_wait_done;
    ca->ctx = &w;
    if (chat_wait_out(e, ca, &w, &json, &err) != 0)
        log_warn("a turn of session \"%.64s\" whose client went away failed: %s",
                 ca->req.session_id, err.msg);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
}

int engine_chat(engine *e, const char *api_key, const chat_request *req, arena *a, char **json,
                pt_error *err)
{
    *json = NULL;
    tenant_rt *rt = NULL;
    int rc = acquire_by_key(e, api_key, req, &rt, err);
    if (rc)
        return rc;
    return chat_blocking(e, rt, req, a, json, err);
}

int engine_chat_slug(engine *e, const char *slug, const chat_request *req, arena *a, char **json,
                     pt_error *err)
{
    *json = NULL;
    int rc = validate(req, err);
    if (rc)
        return rc;
    tenant_rt *rt = NULL;
    rc = tenant_acquire(e, slug, NULL, &rt, err);
    if (rc)
        return rc;
    return chat_blocking(e, rt, req, a, json, err);
}

int engine_ready(engine *e, pt_error *err)
{
    store *st = store_pool_get(e->pool);
    int64_t n = 0;
    int rc = st->ops->listing_count(st, 0, &n, err);
    store_pool_put(e->pool, st);
    return rc;
}

store *engine_store_get(engine *e)
{
    return store_pool_get(e->pool);
}

void engine_store_put(engine *e, store *s)
{
    store_pool_put(e->pool, s);
}

/* ---- metrics ------------------------------------------------------------ */

void engine_count_http(engine *e, const char *route, int status, double seconds)
{
    (void)seconds;
    pthread_mutex_lock(&e->metrics_lock);
    int i;
    for (i = 0; i < e->n_routes; i++)
        if (e->routes[i].status == status && strcmp(e->routes[i].route, route) == 0)
            break;
    if (i == e->n_routes && e->n_routes < (int)(sizeof e->routes / sizeof e->routes[0])) {
        snprintf(e->routes[i].route, sizeof e->routes[i].route, "%s", route);
        e->routes[i].status = status;
        atomic_init(&e->routes[i].count, 0);
        e->n_routes++;
    }
    if (i < e->n_routes)
        atomic_fetch_add(&e->routes[i].count, 1);
    pthread_mutex_unlock(&e->metrics_lock);
}

int engine_metrics(engine *e, buf *b)
{
    int rc = 0;
    rc |= buf_puts(b, "# HELP proptalk_http_requests_total HTTP requests by route and status.\n"
                      "# TYPE proptalk_http_requests_total counter\n");
    pthread_mutex_lock(&e->metrics_lock);
    for (int i = 0; i < e->n_routes; i++)
        rc |= buf_printf(b, "proptalk_http_requests_total{route=\"%s\",status=\"%d\"} %lu\n", e->routes[i].route,
                         e->routes[i].status, atomic_load(&e->routes[i].count));
    pthread_mutex_unlock(&e->metrics_lock);
    rc |= buf_printf(b, "# HELP proptalk_chat_messages_total Buyer messages handled.\n"
                        "# TYPE proptalk_chat_messages_total counter\nproptalk_chat_messages_total %lu\n",
                     atomic_load(&e->chat_total));
    rc |= buf_printf(b, "# HELP proptalk_chat_errors_total Buyer messages that failed.\n"
                        "# TYPE proptalk_chat_errors_total counter\nproptalk_chat_errors_total %lu\n",
                     atomic_load(&e->chat_errors));
    rc |= buf_printf(b, "# HELP proptalk_bookings_total Viewings booked.\n"
                        "# TYPE proptalk_bookings_total counter\nproptalk_bookings_total %lu\n",
                     atomic_load(&e->bookings));
    rc |= buf_printf(b, "# HELP proptalk_handoffs_total Conversations handed to a person (asked for, or frustrated).\n"
                        "# TYPE proptalk_handoffs_total counter\nproptalk_handoffs_total %lu\n",
                     atomic_load(&e->handoffs));
    rc |= buf_printf(b, "# HELP proptalk_booking_conflicts_total Bookings refused because the slot was taken.\n"
                        "# TYPE proptalk_booking_conflicts_total counter\nproptalk_booking_conflicts_total %lu\n",
                     atomic_load(&e->booking_conflicts));
    size_t c_entries = 0, c_bytes = 0;
    unsigned long c_hits = 0, c_misses = 0;
    state_cache_stats(e->cache, &c_entries, &c_bytes, &c_hits, &c_misses);
    rc |= buf_printf(b, "# HELP proptalk_state_cache_entries Sessions and profiles held in memory.\n"
                        "# TYPE proptalk_state_cache_entries gauge\nproptalk_state_cache_entries %zu\n"
                        "# HELP proptalk_state_cache_bytes Memory held by the state cache.\n"
                        "# TYPE proptalk_state_cache_bytes gauge\nproptalk_state_cache_bytes %zu\n"
                        "# HELP proptalk_state_cache_hits_total State reads served from memory.\n"
                        "# TYPE proptalk_state_cache_hits_total counter\nproptalk_state_cache_hits_total %lu\n"
                        "# HELP proptalk_state_cache_misses_total State reads that went to the store.\n"
                        "# TYPE proptalk_state_cache_misses_total counter\nproptalk_state_cache_misses_total %lu\n",
                     c_entries, c_bytes, c_hits, c_misses);
    unsigned long batches = 0, turns = 0;
    committer_stats(e->committer, &batches, &turns);
    rc |= buf_printf(b, "# HELP proptalk_commit_batches_total Group commits of conversation turns.\n"
                        "# TYPE proptalk_commit_batches_total counter\nproptalk_commit_batches_total %lu\n"
                        "# HELP proptalk_commit_turns_total Turns written by group commits.\n"
                        "# TYPE proptalk_commit_turns_total counter\nproptalk_commit_turns_total %lu\n",
                     batches, turns);
    rc |= buf_printf(b, "# HELP proptalk_session_lock_waits_total Messages that waited for an earlier message of their conversation.\n"
                        "# TYPE proptalk_session_lock_waits_total counter\nproptalk_session_lock_waits_total %lu\n",
                     e->locks.ops->waits(&e->locks));
    rc |= buf_printf(b, "# HELP proptalk_user_lock_waits_total Messages that waited for a turn of another conversation of their buyer.\n"
                        "# TYPE proptalk_user_lock_waits_total counter\nproptalk_user_lock_waits_total %lu\n",
                     e->user_locks.ops->waits(&e->user_locks));
    rc |= buf_printf(b, "# HELP proptalk_chat_seconds Time to answer a buyer message.\n"
                        "# TYPE proptalk_chat_seconds histogram\n");
    unsigned long cum = 0;
    for (int i = 0; i < LAT_BUCKETS; i++) {
        cum += atomic_load(&e->lat_bucket[i]);
        rc |= buf_printf(b, "proptalk_chat_seconds_bucket{le=\"%g\"} %lu\n", lat_bounds[i], cum);
    }
    cum += atomic_load(&e->lat_bucket[LAT_BUCKETS]);
    rc |= buf_printf(b, "proptalk_chat_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    rc |= buf_printf(b, "proptalk_chat_seconds_sum %.6f\nproptalk_chat_seconds_count %lu\n",
                     atomic_load(&e->lat_sum_us) / 1e6, cum);
    pthread_mutex_lock(&e->reg_lock);
    int nt = e->n_tenants;
    pthread_mutex_unlock(&e->reg_lock);
    rc |= buf_printf(b, "# HELP proptalk_tenants Tenants loaded.\n# TYPE proptalk_tenants gauge\nproptalk_tenants %d\n", nt);
    rc |= buf_printf(b, "# HELP proptalk_uptime_seconds Seconds since start.\n# TYPE proptalk_uptime_seconds gauge\n"
                        "proptalk_uptime_seconds %lld\n", (long long)(time(NULL) - e->started));
    return rc ? -PT_ERR_NOMEM : 0;
}
