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
 * at a time and each sees the state the previous one left.  All writes of a
 * turn (session, both transcript lines, profile, lead, booking) are one
 * store transaction, committed before the answer is returned.
 */
#include "engine/engine.h"
#include "engine/lock.h"
#include "dialog/dialog.h"
#include "nlu/nlu.h"
#include "pack/pack.h"
#include "util/log.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define MAX_QUERY_BYTES 4096
#define MAX_ID_BYTES 128
#define MAX_CALLBACK_BYTES 256

json_t *dialog_slots_json(const slots *sl);   /* session.c */

/* ---- tenant runtimes --------------------------------------------------- */

typedef struct tenant_rt {
    atomic_int refs;
    tenant t;
    char key_hash[65];
    pack *pack;
    nlu_gazetteer *gazetteer;
    nlu_model *own_model;     /* when the tenant's pack has its own intents */
    arena mem;                /* owns localities */
    store_locality_stats *localities;   /* every locality with its numbers, at load */
    int n_localities;
} tenant_rt;

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
    lock_backend locks;
    nlu_model *model;
    pthread_mutex_t reg_lock;
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
    nlu_model_free(rt->own_model);
    arena_release(&rt->mem);
    free(rt);
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
    if (rc == 0 && localities) {
        *localities = ls;
        *n_localities = n;
    }
done:
    buf_free(&aliases);
    arena_release(&tmp);
    return rc;
}

/* Builds the runtime of tenant t. */
static int rt_build(engine *e, store *st, const tenant *t, const char *key_hash, tenant_rt **out,
                    pt_error *err)
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
    if (own && strstr(own, "/default") == NULL && e->cfg.intents_file == NULL) {
        /* the tenant's intents replace the default examples: train its model */
        char dir[600];
        snprintf(dir, sizeof dir, "%s", own);
        char *slash = strrchr(dir, '/');
        if (slash && strcmp(slash, "/intents") == 0)
            *slash = '\0';
        rc = nlu_model_train_dir(dir, &rt->own_model, err);
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

/* The runtime for an API key or a slug, loading it from the store when the
 * tenant was created after start. */
static int tenant_acquire(engine *e, const char *slug, const char *api_key, tenant_rt **out,
                          pt_error *err)
{
    char hash[65] = "";
    if (api_key)
        engine_api_key_hash(api_key, hash);
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
    rc = rt_build(e, st, &t, api_key ? hash : NULL, &rt, err);
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
    pthread_mutex_init(&e->metrics_lock, NULL);
    e->started = time(NULL);
    e->locks.ops = &lock_local_ops;
    rc = e->locks.ops->open(&e->locks, NULL, err);
    if (rc)
        goto done;
    rc = store_pool_open(e->db_url, cfg->store_handles > 0 ? cfg->store_handles : 4, &e->pool, err);
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
        rc = rt_build(e, st, &ts[i], NULL, &rt, err);
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
    if (e->pool)
        store_pool_close(e->pool);
    if (e->locks.ops)
        e->locks.ops->close(&e->locks);
    pthread_mutex_destroy(&e->reg_lock);
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
        rc = rt_build(e, st, &t, NULL, &rt, err);
    store_pool_put(e->pool, st);
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

static bool valid_id(const char *s)
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
    if (!valid_id(req->session_id))
        return pt_fail(err, PT_ERR_UNPROCESSABLE, "\"session_id\" must be 1-%d printable bytes", MAX_ID_BYTES);
    if (!valid_id(req->user_id))
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

static json_t *listing_json(const listing *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(l->id));
    json_object_set_new(o, "title", l->title ? json_string(l->title) : json_null());
    json_object_set_new(o, "project", l->project ? json_string(l->project) : json_null());
    json_object_set_new(o, "locality", l->locality ? json_string(l->locality) : json_null());
    json_object_set_new(o, "city", l->city ? json_string(l->city) : json_null());
    json_object_set_new(o, "property_type", ptype_name(l->type) ? json_string(ptype_name(l->type)) : json_null());
    json_object_set_new(o, "transaction", listing_tx_name(l->tx) ? json_string(listing_tx_name(l->tx)) : json_null());
    json_object_set_new(o, "bedrooms", l->bedrooms >= 0 ? json_integer(l->bedrooms) : json_null());
    json_object_set_new(o, "bathrooms", l->bathrooms >= 0 ? json_real(l->bathrooms) : json_null());
    json_object_set_new(o, "area_sqft", l->area_sqft > 0 ? json_real(l->area_sqft) : json_null());
    json_object_set_new(o, "price", json_integer(l->price));
    json_object_set_new(o, "currency", json_string(l->currency));
    json_object_set_new(o, "units_available", l->units_available >= 0 ? json_integer(l->units_available) : json_null());
    json_object_set_new(o, "status", lstatus_name(l->status) ? json_string(lstatus_name(l->status)) : json_null());
    json_object_set_new(o, "rental_yield", l->rental_yield > 0 ? json_real(l->rental_yield) : json_null());
    json_object_set_new(o, "completion_date", l->completion_date ? json_string(l->completion_date) : json_null());
    return o;
}

static double now_seconds(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static char *answer_json(const chat_request *req, const session *s,
                         const profile *p, const nlu_result *n, const reply *r, double started,
                         arena *a)
{
    json_t *o = json_object();
    json_t *buttons = json_array(), *sources = json_array(), *actions = json_array(), *reasons = json_array();
    for (int i = 0; i < r->n_buttons; i++)
        json_array_append_new(buttons, json_pack("{s:s,s:s}", "label", r->buttons[i].label ? r->buttons[i].label : "",
                                                 "data", r->buttons[i].data ? r->buttons[i].data : ""));
    for (int i = 0; i < r->n_sources; i++)
        json_array_append_new(sources, listing_json(&r->sources[i]));
    for (int i = 0; i < r->n_actions; i++)
        json_array_append_new(actions, json_string(r->actions[i]));
    for (int i = 0; i < r->n_reasons; i++)
        json_array_append_new(reasons, json_string(r->reasons[i]));
    const char *intent = n ? n->intent : (req->callback_data && strncmp(req->callback_data, "slot:", 5) == 0 ? "schedule_visit" : "inform");
    double confidence = n ? n->confidence : 1.0;
    int frustration = s->frustration;
    if (n && n->frustration > frustration)
        frustration = n->frustration;
    json_object_set_new(o, "answer", json_string(r->text ? r->text : ""));
    json_object_set_new(o, "buttons", buttons);
    json_object_set_new(o, "sources", sources);
    json_object_set_new(o, "intent", json_string(intent));
    json_object_set_new(o, "confidence", json_real(confidence));
    json_object_set_new(o, "state", json_string(dialog_state_name(s->state)));
    json_object_set_new(o, "pending_slot", pending_slot_name(s->pending) ? json_string(pending_slot_name(s->pending)) : json_null());
    json_object_set_new(o, "slots", dialog_slots_json(&s->slots));
    json_object_set_new(o, "sentiment", json_pack("{s:s,s:f,s:i}", "label", n ? nlu_sentiment_name(n->sentiment) : "neutral",
                                                  "score", n ? n->sentiment_score : 0.0, "frustration", frustration));
    json_object_set_new(o, "lead", json_pack("{s:s,s:f,s:f,s:o}", "temperature", p->temperature,
                                             "engagement_score", p->engagement_score,
                                             "intent_to_buy_score", p->intent_to_buy_score, "reasons", reasons));
    json_object_set_new(o, "stage", json_string(buyer_stage_name(s->stage)));
    json_object_set_new(o, "language", json_string(lang_name(s->language)));
    json_object_set_new(o, "session_id", json_string(req->session_id));
    json_object_set_new(o, "suggested_actions", actions);
    if (s->appointment_id > 0)
        json_object_set_new(o, "appointment", json_pack("{s:I,s:s,s:s}", "id", (json_int_t)s->appointment_id,
                                                        "when", s->appointment_when, "agent", s->appointment_agent));
    json_object_set_new(o, "response_time_ms", json_integer((json_int_t)((now_seconds() - started) * 1000 + 0.5)));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *out = text ? arena_strdup(a, text) : NULL;
    free(text);
    return out;
}

static int chat_turn(engine *e, tenant_rt *rt, const chat_request *req, arena *a, char **json,
                     pt_error *err)
{
    int rc = 0;
    double started = now_seconds();
    store *st = NULL;
    bool locked = false, in_turn = false;
    uint64_t token = 0;
    char *lock_key = arena_printf(a, "%lld:%s", (long long)rt->t.id, req->session_id);
    time_t now = req->now ? req->now : time(NULL);
    session s;
    profile p;
    reply r;
    nlu_result nres, *n = NULL;

    if (lock_key == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "out of memory");
    rc = e->locks.ops->acquire(&e->locks, lock_key, &token, err);
    if (rc)
        goto done;
    locked = true;
    st = store_pool_get(e->pool);

    char *sjson = NULL, *pjson = NULL;
    rc = st->ops->session_get(st, rt->t.id, req->session_id, a, &sjson, err);
    if (rc)
        goto done;
    rc = st->ops->profile_get(st, rt->t.id, req->user_id, a, &pjson, err);
    if (rc)
        goto done;
    session_init(&s, rt->t.language);
    if (sjson)
        session_from_json(&s, sjson);
    profile_from_json(&p, pjson);

    if (req->query && req->query[0]) {
        nlu_context ctx = {.gazetteer = rt->gazetteer, .currency = rt->t.currency, .region = rt->t.region,
                           .timezone = rt->t.timezone, .now = now};
        rc = nlu_analyze(rt->own_model ? rt->own_model : e->model, &ctx, req->query, strlen(req->query), a, &nres);
        if (rc) {
            rc = pt_fail(err, -rc, "nlu failed");
            goto done;
        }
        n = &nres;
    }
    dialog_env env = {.tenant = &rt->t, .pack = rt->pack, .store = st, .session_id = req->session_id,
                      .user_id = req->user_id, .now = now, .arena = a,
                      .localities = rt->localities, .n_localities = rt->n_localities};
    const char *cb = req->callback_data && req->callback_data[0] ? req->callback_data : NULL;
    rc = dialog_turn(&env, &s, &p, n, cb, &r, err);
    if (rc)
        goto done;

    rc = st->ops->turn_begin(st, err);
    if (rc)
        goto done;
    in_turn = true;
    if (r.book_slot > 0) {
        int64_t appt = 0;
        pt_error berr = {0};
        int brc = st->ops->appointment_book(st, rt->t.id, r.book_slot, req->user_id, req->session_id,
                                            s.phone, &appt, &berr);
        if (brc == -PT_ERR_CONFLICT || brc == -PT_ERR_NOT_FOUND) {
            atomic_fetch_add(&e->booking_conflicts, 1);
            rc = dialog_booking_failed(&env, &s, &r, err);
            if (rc)
                goto done;
        } else if (brc) {
            rc = pt_fail(err, -brc, "%s", berr.msg);
            goto done;
        } else {
            atomic_fetch_add(&e->bookings, 1);
            dialog_booking_done(&s, &p, &r, appt);
            lead_score(&s, &p, NULL);
        }
    }
    if (s.state == ST_HUMAN_HANDOFF)
        atomic_fetch_add(&e->handoffs, 1);

    char *user_meta = arena_printf(a, "{\"intent\":\"%s\",\"callback_data\":%s}", n ? n->intent : "inform",
                                   cb ? "true" : "false");
    const char *user_text = req->query && req->query[0] ? req->query : arena_printf(a, "[button] %s", cb);
    rc = st->ops->session_put(st, rt->t.id, req->session_id, req->user_id, session_to_json(&s, a), err);
    if (rc == 0)
        rc = st->ops->message_append(st, rt->t.id, req->session_id, "user", user_text, user_meta, err);
    if (rc)
        goto done;
    char *assistant_meta = arena_printf(a, "{\"state\":\"%s\",\"pending_slot\":%s%s%s}", dialog_state_name(s.state),
                                        pending_slot_name(s.pending) ? "\"" : "",
                                        pending_slot_name(s.pending) ? pending_slot_name(s.pending) : "null",
                                        pending_slot_name(s.pending) ? "\"" : "");
    rc = st->ops->message_append(st, rt->t.id, req->session_id, "assistant", r.text ? r.text : "", assistant_meta, err);
    if (rc)
        goto done;
    rc = st->ops->profile_put(st, rt->t.id, req->user_id, profile_to_json(&p, a), err);
    if (rc)
        goto done;
    json_t *sl = dialog_slots_json(&s.slots);
    char *slots_text = json_dumps(sl, JSON_COMPACT);
    json_decref(sl);
    store_lead lead = {.user_id = req->user_id, .session_id = req->session_id, .phone = s.phone[0] ? s.phone : NULL,
                       .language = lang_name(s.language), .state = dialog_state_name(s.state),
                       .temperature = p.temperature, .engagement_score = p.engagement_score,
                       .intent_to_buy_score = p.intent_to_buy_score, .slots_json = slots_text};
    rc = st->ops->lead_put(st, rt->t.id, &lead, err);
    free(slots_text);
    if (rc)
        goto done;
    rc = st->ops->turn_commit(st, err);
    in_turn = false;
    if (rc)
        goto done;
    /* built after the commit: the write lock is not held for it, and the
     * reported time includes the commit */
    *json = answer_json(req, &s, &p, n, &r, started, a);
    if (*json == NULL)
        rc = pt_fail(err, PT_ERR_NOMEM, "out of memory");
done:
    if (in_turn)
        st->ops->turn_rollback(st);
    if (st)
        store_pool_put(e->pool, st);
    if (locked)
        e->locks.ops->release(&e->locks, lock_key, token);
    double secs = now_seconds() - started;
    atomic_fetch_add(&e->chat_total, 1);
    if (rc)
        atomic_fetch_add(&e->chat_errors, 1);
    int b = 0;
    while (b < LAT_BUCKETS && secs > lat_bounds[b])
        b++;
    atomic_fetch_add(&e->lat_bucket[b], 1);
    atomic_fetch_add(&e->lat_sum_us, (unsigned long)(secs * 1e6));
    return rc;
}

int engine_chat(engine *e, const char *api_key, const chat_request *req, arena *a, char **json,
                pt_error *err)
{
    if (api_key == NULL || api_key[0] == '\0')
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the X-API-Key header is required");
    if (strlen(api_key) > 256)
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "unknown API key");
    int rc = validate(req, err);
    if (rc)
        return rc;
    tenant_rt *rt = NULL;
    rc = tenant_acquire(e, NULL, api_key, &rt, err);
    if (rc)
        return rc;
    rc = chat_turn(e, rt, req, a, json, err);
    rt_release(rt);
    return rc;
}

int engine_chat_slug(engine *e, const char *slug, const chat_request *req, arena *a, char **json,
                     pt_error *err)
{
    int rc = validate(req, err);
    if (rc)
        return rc;
    tenant_rt *rt = NULL;
    rc = tenant_acquire(e, slug, NULL, &rt, err);
    if (rc)
        return rc;
    rc = chat_turn(e, rt, req, a, json, err);
    rt_release(rt);
    return rc;
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
    rc |= buf_printf(b, "# HELP proptalk_booking_conflicts_total Bookings refused because the slot was taken.\n"
                        "# TYPE proptalk_booking_conflicts_total counter\nproptalk_booking_conflicts_total %lu\n",
                     atomic_load(&e->booking_conflicts));
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
