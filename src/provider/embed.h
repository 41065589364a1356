/*
 * embed.h - listing embeddings from an OpenAI-compatible provider
 * (CONTRACT.md §1 PROPTALK_LLM_*), for semantic ranking of listings.
 *
 * When PROPTALK_LLM_URL is set, each listing's text (title, project,
 * locality, city, type, transaction, amenities, description) is embedded
 * with POST {URL}/v1/embeddings {"model": M, "input": [texts]} in batches,
 * and the vector is kept in the store (store_ops vector_*), keyed by tenant
 * and listing id, with the model name and a hash of the text, so a changed
 * listing (or another model) is re-embedded and an unchanged one is not.
 * At query time embed_rank() embeds the buyer's text and returns the ids of
 * the tenant's listings nearest to it by cosine similarity.
 *
 * Without a provider nothing here runs and nothing else changes.  Provider
 * failures (refused connection, timeout, HTTP error, malformed answer) are
 * PT_ERR_UNAVAILABLE with a message naming what failed; an import still
 * succeeds without vectors and says how many it embedded.
 *
 * Ranking is brute force over one contiguous, normalised float array per
 * tenant held in memory (a cache shared by all threads, refreshed when the
 * store's vector_version of the tenant changes, so imports by another
 * process are seen).  Memory is n * dim * 4 bytes per tenant: 100,000
 * listings of 1,536 dimensions take 614 MB, so the cache has a cap
 * (embed_config.cache_bytes) past which embed_rank fails rather than grow.
 *
 * Intended wiring (the chat path, by the engine): on a property search,
 *     embed_rank(p, st, tenant, query_text, 50, arena, &ids, &n, &err)
 * and pass ids as the search request's semantic_ids (fused with the
 * filter ranking by RRF); on any error, log it and search without them.
 *
 * Thread-safe: one provider serves every thread.  libcurl does the HTTP.
 */
#ifndef PT_EMBED_H
#define PT_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

#define EMBED_DIM_MAX 8192              /* longest vector accepted */
#define EMBED_BATCH_DEFAULT 64          /* texts per request */
#define EMBED_BATCH_MAX 2048            /* the OpenAI limit of inputs */
#define EMBED_TEXT_MAX 6000             /* bytes of one listing's text */
#define EMBED_RESPONSE_MAX (64u << 20)  /* bytes of one provider answer */
#define EMBED_RANK_MAX 1000             /* k of embed_rank */

typedef struct embed_config {
    const char *url;            /* base URL: "https://api.example.com" (or ".../v1") */
    const char *key;            /* bearer key, or NULL */
    const char *model;          /* "text-embedding-3-small" */
    int connect_timeout_ms;     /* <= 0: 2000 */
    int query_timeout_ms;       /* whole request, embed_rank; <= 0: 5000 */
    int batch_timeout_ms;       /* whole request, imports; <= 0: 30000 */
    int batch_size;             /* <= 0: EMBED_BATCH_DEFAULT */
    size_t cache_bytes;         /* all tenants' vectors in memory; 0: 512 MiB */
} embed_config;

typedef struct embed_provider embed_provider;

/* Makes a provider (strings are copied).  Errors: PT_ERR_INVALID (no url
 * or model, a url that is not http(s), batch_size over EMBED_BATCH_MAX),
 * PT_ERR_NOMEM, PT_ERR_INTERNAL (libcurl did not initialise).  Free with
 * embed_provider_close(). */
int embed_provider_open(const embed_config *cfg, embed_provider **out, pt_error *err);

/* The provider of the environment: PROPTALK_LLM_URL, PROPTALK_LLM_KEY, and
 * the model from PROPTALK_EMBED_MODEL, else PROPTALK_LLM_MODEL, else
 * "text-embedding-3-small".  PROPTALK_EMBED_CACHE_MB sets the cache cap.
 * *out is NULL (and 0 returned) when PROPTALK_LLM_URL is unset or empty. */
int embed_provider_from_env(embed_provider **out, pt_error *err);

/* NULL is ignored. */
void embed_provider_close(embed_provider *p);

/* The model name vectors are stored under. */
const char *embed_provider_model(const embed_provider *p);

/* Embeds n texts (any n >= 1, sent in batches), each within timeout_ms
 * (<= 0: the batch timeout).  *vecs is n * *dim floats, malloc'd (the
 * caller frees it); every text has the same dimension.  Errors:
 * PT_ERR_UNAVAILABLE (the provider failed or answered badly; nothing is
 * returned), PT_ERR_INVALID (n < 1, a NULL text), PT_ERR_NOMEM. */
int embed_texts(embed_provider *p, const char *const *texts, int n, int timeout_ms,
                float **vecs, int *dim, pt_error *err);

/* Reads an embeddings answer body (outside input): {"data": [{"embedding":
 * [numbers], "index": i}, ...]} with exactly n items, each index 0..n-1
 * once (items without "index" take their position), every embedding of the
 * same length 1..EMBED_DIM_MAX with finite numbers.  *dim: 0 to accept any
 * length, else the length required.  *vecs (n * *dim floats, in index
 * order) is malloc'd.  Errors: PT_ERR_UNAVAILABLE with what was wrong,
 * PT_ERR_NOMEM. */
int embed_parse_response(const char *body, size_t len, int n, float **vecs, int *dim,
                         pt_error *err);

/* The text embedded for l (title, project, locality, city, type,
 * transaction, amenities, description; at most EMBED_TEXT_MAX bytes, cut
 * on a UTF-8 boundary) into b, which is reset first. */
int embed_listing_text(const listing *l, buf *b);

/* What an embedding pass did. */
typedef struct embed_report {
    long embedded;          /* vectors written */
    long skipped;           /* listings already up to date */
    long pending;           /* listings left without a current vector (provider failed) */
    long removed;           /* vectors of listings that are gone */
    char error[256];        /* the provider failure that stopped the pass, or "" */
} embed_report;

/* Embeds and stores the vectors of n listings of tenant t (HTTP create and
 * update).  A provider failure is not an error: it is logged, counted in
 * rep->pending and described in rep->error.  Errors: store failures,
 * PT_ERR_NOMEM. */
int embed_listings(embed_provider *p, store *s, tenant_id t, const listing *ls, int n,
                   embed_report *rep, pt_error *err);

/* Brings every vector of tenant t up to date (after an import): listings
 * without a vector of the current model, or whose text changed, are
 * embedded in batches; vectors of listings that are gone are removed.  The
 * first provider failure stops the embedding (the rest stay pending, for
 * the next pass) and is reported as in embed_listings.  budget_ms > 0
 * stops starting new batches after that long, once one batch is done (an
 * HTTP import must answer; the rest stay pending, rep->error says so);
 * <= 0: no limit.  Errors:
 * store failures, PT_ERR_NOMEM. */
int embed_sync_tenant(embed_provider *p, store *s, tenant_id t, int budget_ms,
                      embed_report *rep, pt_error *err);

/* The ids of tenant t's k listings (k in 1..EMBED_RANK_MAX) most similar to
 * query, best first (cosine similarity; ties by id).  *ids and the strings
 * are in arena a; *n may be less than k (0 when the tenant has no vectors).
 * Errors: PT_ERR_INVALID (empty query, k out of range), PT_ERR_UNAVAILABLE
 * (the provider failed; the query dimension differs from the stored one),
 * PT_ERR_TOO_LARGE (the tenant's vectors do not fit the cache cap), store
 * failures, PT_ERR_NOMEM. */
int embed_rank(embed_provider *p, store *s, tenant_id t, const char *query, int k, arena *a,
               const char ***ids, int *n, pt_error *err);

#endif
