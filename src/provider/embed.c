/*
 * embed.c - the embeddings client, the listing vectors and the semantic
 * ranking; see embed.h.
 *
 * HTTP: one libcurl easy handle per request (no shared state between
 * threads), NOSIGNAL, connect and total timeouts, no redirects, http(s)
 * only, the answer capped at EMBED_RESPONSE_MAX.  The key is sent in the
 * Authorization header and never appears in a message or a log line.
 *
 * The answer is outside input: embed_parse_response checks its shape,
 * indexes, dimensions and numbers before a single float is used (it has a
 * libFuzzer target).
 *
 * Vectors in the store are the provider's floats as they came; the cache
 * keeps them normalised (unit length), so cosine similarity is one dot
 * product.  A cache entry belongs to one tenant and one vector_version; it
 * is reference counted so a reload never frees an array a ranking is
 * reading.
 */
#include "provider/embed.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "util/log.h"

#define DEFAULT_MODEL "text-embedding-3-small"
#define DEFAULT_CACHE_BYTES ((size_t)512 << 20)
#define SYNC_PAGE 500
#define HASH_BYTES 16

/* ---- provider ------------------------------------------------------------ */

typedef struct vec_cache {
    tenant_id t;
    int64_t version;
    atomic_int refs;
    int n, dim;
    float *v;             /* n * dim, each row of unit length */
    char **ids;           /* n, into idbuf */
    char *idbuf;
    size_t bytes;         /* what the entry counts against the cap */
} vec_cache;

struct embed_provider {
    char *endpoint;       /* {url}/v1/embeddings */
    char *auth_header;    /* "Authorization: Bearer KEY" or NULL */
    char *model;
    int connect_timeout_ms, query_timeout_ms, batch_timeout_ms, batch_size;
    size_t cache_cap;
    pthread_mutex_t mu;   /* guards the cache list and cache_used */
    vec_cache **caches;
    int n_caches, cap_caches;
    size_t cache_used;
};

static pthread_mutex_t curl_mu = PTHREAD_MUTEX_INITIALIZER;
static int curl_users;

static int curl_acquire(pt_error *err)
{
    int rc = 0;
    pthread_mutex_lock(&curl_mu);
    if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rc = pt_fail(err, PT_ERR_INTERNAL, "libcurl failed to initialise");
    if (rc == 0)
        curl_users++;
    pthread_mutex_unlock(&curl_mu);
    return rc;
}

static void curl_release(void)
{
    pthread_mutex_lock(&curl_mu);
    if (curl_users > 0 && --curl_users == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&curl_mu);
}

static void cache_release(vec_cache *c)
{
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    free(c->v);
    free(c->ids);
    free(c->idbuf);
    free(c);
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

int embed_provider_open(const embed_config *cfg, embed_provider **out, pt_error *err)
{
    int rc = 0;
    embed_provider *p = NULL;
    bool curl_ok = false;

    *out = NULL;
    if (cfg->url == NULL || cfg->url[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "embeddings provider: no url");
    if (strncasecmp(cfg->url, "http://", 7) != 0 && strncasecmp(cfg->url, "https://", 8) != 0)
        return pt_fail(err, PT_ERR_INVALID, "embeddings provider url must start with http:// "
                       "or https://");
    if (cfg->model == NULL || cfg->model[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "embeddings provider: no model");
    if (cfg->batch_size > EMBED_BATCH_MAX)
        return pt_fail(err, PT_ERR_INVALID, "embeddings batch size %d is over %d",
                       cfg->batch_size, EMBED_BATCH_MAX);
    for (const char *k = cfg->key; k && *k; k++)
        if ((unsigned char)*k < 0x20 || *k == 0x7f)
            return pt_fail(err, PT_ERR_INVALID, "embeddings provider key has control characters");
    rc = curl_acquire(err);
    if (rc)
        goto done;
    curl_ok = true;
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "embeddings provider: out of memory");
        goto done;
    }
    pthread_mutex_init(&p->mu, NULL);
    size_t ul = strlen(cfg->url);
    while (ul > 0 && cfg->url[ul - 1] == '/')
        ul--;
    bool has_v1 = ul >= 3 && strncmp(cfg->url + ul - 3, "/v1", 3) == 0;
    p->endpoint = dup_printf("%.*s%s/embeddings", (int)ul, cfg->url, has_v1 ? "" : "/v1");
    p->model = strdup(cfg->model);
    if (cfg->key && cfg->key[0])
        p->auth_header = dup_printf("Authorization: Bearer %s", cfg->key);
    if (p->endpoint == NULL || p->model == NULL || (cfg->key && cfg->key[0] && !p->auth_header)) {
        rc = pt_fail(err, PT_ERR_NOMEM, "embeddings provider: out of memory");
        goto done;
    }
    p->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 2000;
    p->query_timeout_ms = cfg->query_timeout_ms > 0 ? cfg->query_timeout_ms : 5000;
    p->batch_timeout_ms = cfg->batch_timeout_ms > 0 ? cfg->batch_timeout_ms : 30000;
    p->batch_size = cfg->batch_size > 0 ? cfg->batch_size : EMBED_BATCH_DEFAULT;
    p->cache_cap = cfg->cache_bytes ? cfg->cache_bytes : DEFAULT_CACHE_BYTES;
    *out = p;
    p = NULL;
    curl_ok = false;
done:
    if (p) {
        free(p->endpoint);
        free(p->model);
        free(p->auth_header);
        pthread_mutex_destroy(&p->mu);
        free(p);
    }
    if (curl_ok)
        curl_release();
    return rc;
}

int embed_provider_from_env(embed_provider **out, pt_error *err)
{
    *out = NULL;
    const char *url = getenv("PROPTALK_LLM_URL");
    if (url == NULL || url[0] == '\0')
        return 0;
    const char *model = getenv("PROPTALK_EMBED_MODEL");
    if (model == NULL || model[0] == '\0')
        model = getenv("PROPTALK_LLM_MODEL");
    if (model == NULL || model[0] == '\0')
        model = DEFAULT_MODEL;
    embed_config cfg = {.url = url, .key = getenv("PROPTALK_LLM_KEY"), .model = model};
    const char *mb = getenv("PROPTALK_EMBED_CACHE_MB");
    if (mb && mb[0]) {
        char *end = NULL;
        long v = strtol(mb, &end, 10);
        if (end == mb || *end != '\0' || v < 1 || v > (1L << 20))
            return pt_fail(err, PT_ERR_INVALID, "PROPTALK_EMBED_CACHE_MB \"%.32s\" is not a "
                           "number of MiB from 1 to 1048576", mb);
        cfg.cache_bytes = (size_t)v << 20;
    }
    return embed_provider_open(&cfg, out, err);
}

void embed_provider_close(embed_provider *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->n_caches; i++)
        cache_release(p->caches[i]);
    free(p->caches);
    free(p->endpoint);
    free(p->model);
    if (p->auth_header) {
        sodium_memzero(p->auth_header, strlen(p->auth_header));
        free(p->auth_header);
    }
    pthread_mutex_destroy(&p->mu);
    free(p);
    curl_release();
}

const char *embed_provider_model(const embed_provider *p)
{
    return p ? p->model : NULL;
}

/* ---- the answer ------------------------------------------------------------ */

int embed_parse_response(const char *body, size_t len, int n, float **vecs, int *dim,
                         pt_error *err)
{
    int rc = 0;
    json_t *root = NULL;
    float *out = NULL;
    unsigned char *seen = NULL;
    json_error_t jerr;
    int want = *dim;

    *vecs = NULL;
    if (n < 1)
        return pt_fail(err, PT_ERR_INVALID, "embeddings: no texts");
    if (len > EMBED_RESPONSE_MAX)
        return pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings answer is over %u MiB",
                       EMBED_RESPONSE_MAX >> 20);
    root = json_loadb(body ? body : "", len, 0, &jerr);
    if (root == NULL) {
        rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings answer is not JSON (line %d: %s)",
                     jerr.line, jerr.text);
        goto done;
    }
    json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings answer has no \"data\" array");
        goto done;
    }
    if (json_array_size(data) != (size_t)n) {
        rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings answer has %zu items for %d texts",
                     json_array_size(data), n);
        goto done;
    }
    seen = calloc((size_t)n, 1);
    if (seen == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        json_t *item = json_array_get(data, (size_t)i);
        json_t *emb = json_object_get(item, "embedding");
        json_t *jidx = json_object_get(item, "index");
        if (!json_is_array(emb)) {
            rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings item %d has no \"embedding\" "
                         "array", i);
            goto done;
        }
        long long idx = i;
        if (jidx && !json_is_null(jidx)) {
            if (!json_is_integer(jidx)) {
                rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings item %d: \"index\" is not an "
                             "integer", i);
                goto done;
            }
            idx = json_integer_value(jidx);
        }
        if (idx < 0 || idx >= n || seen[idx]) {
            rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings item %d: index %lld is out of "
                         "range or repeated", i, idx);
            goto done;
        }
        seen[idx] = 1;
        size_t d = json_array_size(emb);
        if (d == 0 || d > EMBED_DIM_MAX) {
            rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings item %d has %zu dimensions "
                         "(1 to %d expected)", i, d, EMBED_DIM_MAX);
            goto done;
        }
        if (want == 0)
            want = (int)d;
        if ((int)d != want) {
            rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings item %d has %zu dimensions, "
                         "expected %d", i, d, want);
            goto done;
        }
        if (out == NULL) {
            out = malloc((size_t)n * (size_t)want * sizeof *out);
            if (out == NULL) {
                rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
                goto done;
            }
        }
        float *row = out + (size_t)idx * (size_t)want;
        for (size_t k = 0; k < d; k++) {
            json_t *x = json_array_get(emb, k);
            double v = json_number_value(x);
            if (!json_is_number(x) || !isfinite(v) || fabs(v) > 1e30) {
                rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings item %d: value %zu is not a "
                             "finite number", i, k);
                goto done;
            }
            row[k] = (float)v;
        }
    }
    *vecs = out;
    *dim = want;
    out = NULL;
done:
    free(out);
    free(seen);
    json_decref(root);
    return rc;
}

/* ---- HTTP ------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    buf *b = ctx;
    size_t n = size * nmemb;
    return buf_append(b, data, n) == 0 ? n : 0;   /* 0 aborts the transfer */
}

/* A copy of s with every invalid UTF-8 byte replaced by '?' (for jansson). */
static char *utf8_fixed(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n + 1);
    if (o == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                   : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && len == 3) {
            unsigned c1 = p[i + 1];
            ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
        } else if (ok && len == 4) {
            unsigned c1 = p[i + 1];
            ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
        }
        if (!ok) {
            o[i] = '?';
            i++;
            continue;
        }
        memcpy(o + i, p + i, len);
        i += len;
    }
    o[n] = '\0';
    return o;
}

/* The request body {"model", "input": [texts]}, malloc'd. */
static char *request_body(const embed_provider *p, const char *const *texts, int n)
{
    json_t *o = json_object(), *in = json_array();
    char *out = NULL;
    if (o == NULL || in == NULL)
        goto done;
    for (int i = 0; i < n; i++) {
        json_t *s = json_string(texts[i]);
        if (s == NULL) {
            char *fixed = utf8_fixed(texts[i]);
            s = fixed ? json_string(fixed) : NULL;
            free(fixed);
        }
        if (s == NULL || json_array_append_new(in, s) != 0)
            goto done;
    }
    if (json_object_set_new(o, "model", json_string(p->model)) != 0 ||
        json_object_set(o, "input", in) != 0)
        goto done;
    out = json_dumps(o, JSON_COMPACT);
done:
    json_decref(in);
    json_decref(o);
    return out;
}

/* A printable excerpt of an error answer: its error.message, else its
 * first bytes, control characters dropped. */
static void error_excerpt(const buf *b, char *out, size_t size)
{
    json_t *o = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
    if (msg == NULL)
        msg = json_string_value(json_object_get(o, "error"));
    const char *src = msg ? msg : (b->len ? b->data : "");
    size_t srclen = msg ? strlen(msg) : b->len, k = 0;
    for (size_t i = 0; i < srclen && k + 1 < size && k < 160; i++)
        if ((unsigned char)src[i] >= 0x20 && src[i] != 0x7f)
            out[k++] = src[i];
    out[k] = '\0';
    json_decref(o);
}

/* POSTs one batch and parses the answer. */
static int embed_batch(embed_provider *p, const char *const *texts, int n, int timeout_ms,
                       float **vecs, int *dim, pt_error *err)
{
    int rc = 0;
    CURL *c = NULL;
    struct curl_slist *hdr = NULL;
    char *body = NULL;
    buf resp = BUF_INIT(EMBED_RESPONSE_MAX);
    char cerr[CURL_ERROR_SIZE] = "";

    body = request_body(p, texts, n);
    c = curl_easy_init();
    hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (hdr)
        hdr = curl_slist_append(hdr, "Accept: application/json");
    if (hdr && p->auth_header)
        hdr = curl_slist_append(hdr, p->auth_header);
    if (body == NULL || c == NULL || hdr == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "embeddings request: out of memory");
        goto done;
    }
    curl_easy_setopt(c, CURLOPT_URL, p->endpoint);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)p->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "proptalk");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode cc = curl_easy_perform(c);
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings provider did not answer within %d ms",
                     timeout_ms);
        goto done;
    }
    if (cc == CURLE_WRITE_ERROR && resp.len + CURL_MAX_WRITE_SIZE > EMBED_RESPONSE_MAX) {
        rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings answer is over %u MiB",
                     EMBED_RESPONSE_MAX >> 20);
        goto done;
    }
    if (cc != CURLE_OK) {
        rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings provider: %s",
                     cerr[0] ? cerr : curl_easy_strerror(cc));
        goto done;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        char excerpt[200];
        error_excerpt(&resp, excerpt, sizeof excerpt);
        rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings provider answered HTTP %ld%s%s", status,
                     excerpt[0] ? ": " : "", excerpt);
        goto done;
    }
    rc = embed_parse_response(resp.data, resp.len, n, vecs, dim, err);
done:
    buf_free(&resp);
    curl_slist_free_all(hdr);
    if (c)
        curl_easy_cleanup(c);
    free(body);
    return rc;
}

int embed_texts(embed_provider *p, const char *const *texts, int n, int timeout_ms,
                float **vecs, int *dim, pt_error *err)
{
    int rc = 0, d = 0;
    float *all = NULL;

    *vecs = NULL;
    *dim = 0;
    if (n < 1)
        return pt_fail(err, PT_ERR_INVALID, "embeddings: no texts");
    for (int i = 0; i < n; i++)
        if (texts[i] == NULL)
            return pt_fail(err, PT_ERR_INVALID, "embeddings: text %d is NULL", i);
    if (timeout_ms <= 0)
        timeout_ms = p->batch_timeout_ms;
    for (int off = 0; off < n; off += p->batch_size) {
        int m = n - off < p->batch_size ? n - off : p->batch_size;
        float *part = NULL;
        rc = embed_batch(p, texts + off, m, timeout_ms, &part, &d, err);
        if (rc)
            goto done;
        if (all == NULL) {
            all = malloc((size_t)n * (size_t)d * sizeof *all);
            if (all == NULL) {
                free(part);
                rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
                goto done;
            }
        }
        memcpy(all + (size_t)off * (size_t)d, part, (size_t)m * (size_t)d * sizeof *part);
        free(part);
    }
    *vecs = all;
    *dim = d;
    all = NULL;
done:
    free(all);
    return rc;
}

/* ---- listing text and hashes -------------------------------------------- */

static int add_part(buf *b, const char *s, const char *sep)
{
    if (s == NULL || s[0] == '\0')
        return 0;
    int rc = 0;
    if (b->len)
        rc = buf_puts(b, sep);
    return rc ? rc : buf_puts(b, s);
}

int embed_listing_text(const listing *l, buf *b)
{
    int rc = 0;
    buf_reset(b);
    rc |= add_part(b, l->title, ". ");
    rc |= add_part(b, l->project, ". ");
    char where[300] = "";
    if (l->locality && l->city && strcasecmp(l->locality, l->city) != 0)
        snprintf(where, sizeof where, "%s, %s", l->locality, l->city);
    else
        snprintf(where, sizeof where, "%s", l->locality ? l->locality : l->city ? l->city : "");
    rc |= add_part(b, where, ". ");
    char what[120] = "";
    const char *type = ptype_name(l->type), *tx = l->tx == TX_RENT ? "for rent"
                                                     : l->tx == TX_BUY ? "for sale" : NULL;
    if (l->bedrooms > 0)
        snprintf(what, sizeof what, "%d bedroom %s%s%s", l->bedrooms, type ? type : "property",
                 tx ? " " : "", tx ? tx : "");
    else
        snprintf(what, sizeof what, "%s%s%s", type ? type : "", type && tx ? " " : "",
                 tx ? tx : "");
    rc |= add_part(b, what, ". ");
    if (l->amenities && l->amenities[0]) {
        rc |= add_part(b, "Amenities: ", ". ");
        for (const char *p = l->amenities; *p && rc == 0; p++)
            rc |= *p == ';' ? buf_puts(b, ", ") : buf_putc(b, *p);
    }
    rc |= add_part(b, l->description, ". ");
    if (rc)
        return -PT_ERR_NOMEM;
    if (b->len > EMBED_TEXT_MAX) {
        size_t n = EMBED_TEXT_MAX;
        while (n > 0 && ((unsigned char)b->data[n] & 0xC0) == 0x80)
            n--;   /* not inside a UTF-8 sequence */
        b->len = n;
        b->data[n] = '\0';
    }
    buf_cstr(b);
    return 0;
}

/* Hex BLAKE2b-128 of text into hex (33 bytes). */
static void text_hash(const char *text, size_t len, char hex[2 * HASH_BYTES + 1])
{
    unsigned char h[HASH_BYTES];
    crypto_generichash(h, sizeof h, (const unsigned char *)text, len, NULL, 0);
    sodium_bin2hex(hex, 2 * HASH_BYTES + 1, h, sizeof h);
}

/* ---- embedding passes --------------------------------------------------- */

/* Listings waiting to be embedded: ids, texts, hashes (in its own arena). */
typedef struct pending {
    arena a;
    int n, cap;
    const char **ids, **texts, **hashes;
} pending;

static int pending_add(pending *pd, const char *id, const char *text, const char *hash)
{
    if (pd->n == pd->cap) {
        int cap = pd->cap ? pd->cap * 2 : 64;
        const char **i2 = arena_alloc(&pd->a, sizeof *i2 * (size_t)cap);
        const char **t2 = arena_alloc(&pd->a, sizeof *t2 * (size_t)cap);
        const char **h2 = arena_alloc(&pd->a, sizeof *h2 * (size_t)cap);
        if (i2 == NULL || t2 == NULL || h2 == NULL)
            return -PT_ERR_NOMEM;
        if (pd->n) {
            memcpy(i2, pd->ids, sizeof *i2 * (size_t)pd->n);
            memcpy(t2, pd->texts, sizeof *t2 * (size_t)pd->n);
            memcpy(h2, pd->hashes, sizeof *h2 * (size_t)pd->n);
        }
        pd->ids = i2;
        pd->texts = t2;
        pd->hashes = h2;
        pd->cap = cap;
    }
    pd->ids[pd->n] = arena_strdup(&pd->a, id);
    pd->texts[pd->n] = arena_strdup(&pd->a, text);
    pd->hashes[pd->n] = arena_strdup(&pd->a, hash);
    if (!pd->ids[pd->n] || !pd->texts[pd->n] || !pd->hashes[pd->n])
        return -PT_ERR_NOMEM;
    pd->n++;
    return 0;
}

static void pending_clear(pending *pd)
{
    arena_release(&pd->a);
    arena_init(&pd->a, 0);
    pd->n = pd->cap = 0;
    pd->ids = pd->texts = pd->hashes = NULL;
}

/* Embeds the pending listings and writes their vectors in one transaction.
 * A provider failure goes into rep (and *stopped), not into the result. */
static int pending_flush(embed_provider *p, store *s, tenant_id t, pending *pd,
                         embed_report *rep, bool *stopped, pt_error *err)
{
    int rc = 0, dim = 0;
    float *v = NULL;
    pt_error perr = {0};

    if (pd->n == 0)
        return 0;
    if (*stopped) {
        rep->pending += pd->n;
        goto done;
    }
    rc = embed_texts(p, pd->texts, pd->n, p->batch_timeout_ms, &v, &dim, &perr);
    if (rc == -PT_ERR_NOMEM) {
        rc = pt_fail(err, PT_ERR_NOMEM, "%s", perr.msg);
        goto done;
    }
    if (rc) {
        log_warn("embeddings: tenant %lld: %s; %d listings left without vectors", (long long)t,
                 perr.msg, pd->n);
        snprintf(rep->error, sizeof rep->error, "%s", perr.msg);
        rep->pending += pd->n;
        *stopped = true;
        rc = 0;
        goto done;
    }
    rc = s->ops->import_begin(s, err);
    if (rc)
        goto done;
    for (int i = 0; i < pd->n && rc == 0; i++)
        rc = s->ops->vector_put(s, t, pd->ids[i], p->model, pd->hashes[i],
                                v + (size_t)i * (size_t)dim, dim, err);
    if (rc == 0)
        rc = s->ops->import_commit(s, err);
    else
        s->ops->import_rollback(s);
    if (rc == -PT_ERR_NOT_FOUND) {
        /* the tenant went away under us; nothing to keep */
        rc = 0;
        goto done;
    }
    if (rc == 0)
        rep->embedded += pd->n;
done:
    free(v);
    pending_clear(pd);
    return rc;
}

int embed_listings(embed_provider *p, store *s, tenant_id t, const listing *ls, int n,
                   embed_report *rep, pt_error *err)
{
    int rc = 0;
    pending pd = {0};
    buf text = BUF_INIT(0);
    bool stopped = false;
    char hash[2 * HASH_BYTES + 1];

    memset(rep, 0, sizeof *rep);
    arena_init(&pd.a, 0);
    for (int i = 0; i < n; i++) {
        if (embed_listing_text(&ls[i], &text) != 0) {
            rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
            goto done;
        }
        text_hash(text.data ? text.data : "", text.len, hash);
        if (pending_add(&pd, ls[i].id, buf_cstr(&text), hash) != 0) {
            rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
            goto done;
        }
        if (pd.n >= p->batch_size) {
            rc = pending_flush(p, s, t, &pd, rep, &stopped, err);
            if (rc)
                goto done;
        }
    }
    rc = pending_flush(p, s, t, &pd, rep, &stopped, err);
done:
    arena_release(&pd.a);
    buf_free(&text);
    return rc;
}

/* The stored hash of id in the sorted hs, or NULL. */
static const char *hash_of(const store_vector_hash *hs, int n, const char *id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(hs[mid].listing_id, id);
        if (c == 0)
            return hs[mid].text_hash;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int embed_sync_tenant(embed_provider *p, store *s, tenant_id t, int budget_ms,
                      embed_report *rep, pt_error *err)
{
    double started = mono_ms();
    int rc = 0, n_hashes = 0;
    arena keep, page;
    pending pd = {0};
    buf text = BUF_INIT(0);
    store_vector_hash *hs = NULL;
    bool stopped = false;
    char hash[2 * HASH_BYTES + 1], *after = NULL;
    int64_t removed = 0;

    memset(rep, 0, sizeof *rep);
    arena_init(&keep, 0);
    arena_init(&page, 0);
    arena_init(&pd.a, 0);
    rc = s->ops->vector_purge(s, t, &removed, err);
    if (rc)
        goto done;
    rep->removed = removed;
    rc = s->ops->vector_hashes(s, t, p->model, &keep, &hs, &n_hashes, err);
    if (rc)
        goto done;
    for (;;) {
        listing *ls = NULL;
        int n = 0;
        arena_release(&page);
        arena_init(&page, 0);
        rc = s->ops->listing_page(s, t, after, 0, SYNC_PAGE, &page, &ls, &n, err);
        if (rc)
            goto done;
        for (int i = 0; i < n; i++) {
            if (embed_listing_text(&ls[i], &text) != 0) {
                rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
                goto done;
            }
            text_hash(text.data ? text.data : "", text.len, hash);
            const char *old = hash_of(hs, n_hashes, ls[i].id);
            if (old && strcmp(old, hash) == 0) {
                rep->skipped++;
                continue;
            }
            if (stopped) {
                rep->pending++;
                continue;
            }
            if (pending_add(&pd, ls[i].id, buf_cstr(&text), hash) != 0) {
                rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
                goto done;
            }
            if (pd.n >= p->batch_size) {
                /* at least one batch per pass, so every pass makes progress */
                if (budget_ms > 0 && !stopped && rep->embedded > 0 &&
                    mono_ms() - started > budget_ms) {
                    snprintf(rep->error, sizeof rep->error, "the embedding time budget of %d ms "
                             "was used up; the rest waits for the next import", budget_ms);
                    log_info("embeddings: tenant %lld: %s", (long long)t, rep->error);
                    stopped = true;
                }
                rc = pending_flush(p, s, t, &pd, rep, &stopped, err);
                if (rc)
                    goto done;
            }
        }
        if (n < SYNC_PAGE)
            break;
        free(after);
        after = strdup(ls[n - 1].id);
        if (after == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
            goto done;
        }
    }
    rc = pending_flush(p, s, t, &pd, rep, &stopped, err);
done:
    free(after);
    arena_release(&pd.a);
    arena_release(&page);
    arena_release(&keep);
    buf_free(&text);
    return rc;
}

/* ---- the cache and ranking ---------------------------------------------- */

typedef struct loader {
    int n, cap, dim;
    float *v;
    char **idp;         /* offsets into idbuf while loading (as uintptr) */
    char *idbuf;
    size_t id_len, id_cap;
    size_t limit;       /* bytes allowed */
    int skipped_dim;
} loader;

static size_t loader_bytes(const loader *L)
{
    return (size_t)L->cap * (size_t)(L->dim ? L->dim : 1) * sizeof(float) +
           (size_t)L->cap * sizeof(char *) + L->id_cap;
}

static int on_vector(void *ctx, const char *id, const float *v, int dim)
{
    loader *L = ctx;
    if (L->dim == 0)
        L->dim = dim;
    if (dim != L->dim) {
        L->skipped_dim++;
        return 0;
    }
    if (L->n == L->cap) {
        int cap = L->cap ? L->cap * 2 : 256;
        float *nv = realloc(L->v, (size_t)cap * (size_t)dim * sizeof *nv);
        if (nv)
            L->v = nv;
        char **np = realloc(L->idp, (size_t)cap * sizeof *np);
        if (np)
            L->idp = np;
        if (nv == NULL || np == NULL)
            return -PT_ERR_NOMEM;
        L->cap = cap;
    }
    size_t il = strlen(id) + 1;
    if (L->id_len + il > L->id_cap) {
        size_t cap = L->id_cap ? L->id_cap * 2 : 8192;
        while (cap < L->id_len + il)
            cap *= 2;
        char *nb = realloc(L->idbuf, cap);
        if (nb == NULL)
            return -PT_ERR_NOMEM;
        L->idbuf = nb;
        L->id_cap = cap;
    }
    if (loader_bytes(L) > L->limit)
        return -PT_ERR_TOO_LARGE;
    memcpy(L->idbuf + L->id_len, id, il);
    L->idp[L->n] = (char *)(uintptr_t)L->id_len;
    L->id_len += il;
    float *row = L->v + (size_t)L->n * (size_t)dim;
    double norm = 0;
    for (int k = 0; k < dim; k++)
        norm += (double)v[k] * v[k];
    norm = sqrt(norm);
    for (int k = 0; k < dim; k++)
        row[k] = norm > 0 ? (float)(v[k] / norm) : 0.0f;
    L->n++;
    return 0;
}

/* The cache of tenant t at version, loading it when missing or stale.
 * +1 ref for the caller. */
static int cache_get(embed_provider *p, store *s, tenant_id t, int64_t version,
                     vec_cache **out, pt_error *err)
{
    int rc = 0;
    vec_cache *c = NULL;
    loader L = {0};

    *out = NULL;
    pthread_mutex_lock(&p->mu);
    size_t old_bytes = 0;
    for (int i = 0; i < p->n_caches; i++)
        if (p->caches[i]->t == t) {
            if (p->caches[i]->version == version) {
                c = p->caches[i];
                atomic_fetch_add(&c->refs, 1);
            }
            old_bytes = p->caches[i]->bytes;
            break;
        }
    size_t others = p->cache_used - old_bytes;
    size_t room = others < p->cache_cap ? p->cache_cap - others : 0;
    pthread_mutex_unlock(&p->mu);
    if (c) {
        *out = c;
        return 0;
    }

    L.limit = room;
    rc = s->ops->vector_each(s, t, p->model, on_vector, &L, err);
    if (rc == -PT_ERR_TOO_LARGE) {
        rc = pt_fail(err, PT_ERR_TOO_LARGE, "embeddings: the vectors of tenant %lld do not fit "
                     "the %zu MiB cache (PROPTALK_EMBED_CACHE_MB)", (long long)t,
                     p->cache_cap >> 20);
        goto done;
    }
    if (rc == -PT_ERR_NOMEM)
        rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
    if (rc)
        goto done;
    if (L.skipped_dim)
        log_warn("embeddings: tenant %lld: %d vectors of another dimension ignored",
                 (long long)t, L.skipped_dim);
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
        goto done;
    }
    atomic_init(&c->refs, 2);   /* the list's and the caller's */
    c->t = t;
    c->version = version;
    c->n = L.n;
    c->dim = L.dim;
    c->v = L.v;
    c->idbuf = L.idbuf;
    c->ids = L.idp;
    for (int i = 0; i < L.n; i++)
        c->ids[i] = c->idbuf + (uintptr_t)c->ids[i];
    c->bytes = loader_bytes(&L);
    L.v = NULL;
    L.idbuf = NULL;
    L.idp = NULL;

    vec_cache *old = NULL;
    pthread_mutex_lock(&p->mu);
    int i;
    for (i = 0; i < p->n_caches; i++)
        if (p->caches[i]->t == t)
            break;
    if (i == p->n_caches) {
        if (p->n_caches == p->cap_caches) {
            int cap = p->cap_caches ? p->cap_caches * 2 : 8;
            vec_cache **nc = realloc(p->caches, sizeof *nc * (size_t)cap);
            if (nc == NULL) {
                pthread_mutex_unlock(&p->mu);
                atomic_store(&c->refs, 1);   /* only the caller holds it */
                *out = c;
                goto done;
            }
            p->caches = nc;
            p->cap_caches = cap;
        }
        p->n_caches++;
    } else {
        old = p->caches[i];
        p->cache_used -= old->bytes;
    }
    p->caches[i] = c;
    p->cache_used += c->bytes;
    pthread_mutex_unlock(&p->mu);
    cache_release(old);
    *out = c;
done:
    free(L.v);
    free(L.idp);
    free(L.idbuf);
    return rc;
}

/* Dot product with eight running sums (vectorises without -ffast-math). */
static float dot(const float *a, const float *b, int n)
{
    float s[8] = {0};
    int k = 0;
    for (; k + 8 <= n; k += 8)
        for (int j = 0; j < 8; j++)
            s[j] += a[k + j] * b[k + j];
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; k < n; k++)
        r += a[k] * b[k];
    return r;
}

typedef struct scored {
    float score;
    int i;
} scored;

/* a ranks below b: lower score, or the same score and a later id. */
static bool worse(const vec_cache *c, scored a, scored b)
{
    if (a.score != b.score)
        return a.score < b.score;
    return strcmp(c->ids[a.i], c->ids[b.i]) > 0;
}

static void sift_down(const vec_cache *c, scored *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(c, h[l], h[m]))
            m = l;
        if (r < n && worse(c, h[r], h[m]))
            m = r;
        if (m == i)
            return;
        scored t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* The best m (1..c->n) rows of c for the unit query qv, as a min-heap in
 * heap (its root is the worst of them).  Returns m. */
static int rank_top(const vec_cache *c, const float *qv, int m, scored *heap)
{
    int used = 0, dim = c->dim;
    for (int i = 0; i < c->n; i++) {
        scored x = {dot(qv, c->v + (size_t)i * (size_t)dim, dim), i};
        if (used < m) {
            heap[used++] = x;
            if (used == m)
                for (int j = m / 2 - 1; j >= 0; j--)
                    sift_down(c, heap, m, j);
        } else if (worse(c, heap[0], x)) {
            heap[0] = x;
            sift_down(c, heap, m, 0);
        }
    }
    return used;
}

int embed_rank(embed_provider *p, store *s, tenant_id t, const char *query, int k, arena *a,
               const char ***ids, int *n, pt_error *err)
{
    int rc = 0, dim = 0;
    int64_t version = 0;
    vec_cache *c = NULL;
    float *qv = NULL;
    scored *heap = NULL;

    *ids = NULL;
    *n = 0;
    if (k < 1 || k > EMBED_RANK_MAX)
        return pt_fail(err, PT_ERR_INVALID, "embeddings: k %d is not from 1 to %d", k,
                       EMBED_RANK_MAX);
    if (query == NULL || query[strspn(query, " \t\r\n")] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "embeddings: the query is empty");
    rc = s->ops->vector_version(s, t, &version, err);
    if (rc || version == 0)
        return rc;   /* never had a vector: nothing to rank, no provider call */
    rc = cache_get(p, s, t, version, &c, err);
    if (rc)
        goto done;
    if (c->n == 0)
        goto done;
    const char *one[1] = {query};
    rc = embed_texts(p, one, 1, p->query_timeout_ms, &qv, &dim, err);
    if (rc)
        goto done;
    if (dim != c->dim) {
        rc = pt_fail(err, PT_ERR_UNAVAILABLE, "embeddings: the query has %d dimensions, the "
                     "stored vectors %d (was the model changed? re-import to re-embed)", dim,
                     c->dim);
        goto done;
    }
    double norm = 0;
    for (int j = 0; j < dim; j++)
        norm += (double)qv[j] * qv[j];
    norm = sqrt(norm);
    for (int j = 0; j < dim; j++)
        qv[j] = norm > 0 ? (float)(qv[j] / norm) : 0.0f;

    int m = k < c->n ? k : c->n;
    heap = malloc(sizeof *heap * (size_t)m);
    if (heap == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
        goto done;
    }
    int used = rank_top(c, qv, m, heap);
    const char **out = arena_alloc(a, sizeof *out * (size_t)(used ? used : 1));
    if (out == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
        goto done;
    }
    /* pop the worst first, filling from the back */
    for (int left = used; left > 0; left--) {
        out[left - 1] = arena_strdup(a, c->ids[heap[0].i]);
        if (out[left - 1] == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "embeddings: out of memory");
            goto done;
        }
        heap[0] = heap[left - 1];
        sift_down(c, heap, left - 1, 0);
    }
    *ids = out;
    *n = used;
done:
    free(heap);
    free(qv);
    cache_release(c);
    return rc;
}
