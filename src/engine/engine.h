/*
 * engine.h - the conversation engine: one buyer message in, one answer out.
 *
 * The engine owns what outlives a request: the store pool, the trained NLU
 * model, each tenant's runtime (settings, pack, gazetteer) and the metrics.
 * A turn is:  authenticate (API key -> tenant) -> lock the session ->
 * load session + profile (memory, else store) -> nlu -> dialog (-> search)
 * -> reply -> the turn's writes (session, transcript, profile, lead) durable
 * through the group committer, or one transaction with a booking -> unlock.
 * Messages of one session are handled one at a time, in arrival order.
 *
 * Channels (HTTP, terminal, later Telegram/WhatsApp) call engine_chat(), or
 * engine_chat_start() + engine_chat_continue() when they would rather not hold
 * a thread while the turn waits (for its session or its commit); they never touch the dialog or the
 * store directly for a turn.
 *
 * Thread-safe: engine_chat may be called from many threads at once.
 */
#ifndef PT_ENGINE_H
#define PT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/types.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct engine engine;

#define ENGINE_STATE_CACHE_DEFAULT (16u << 20)

typedef struct engine_config {
    const char *db_url;      /* "sqlite:./data/proptalk.db" */
    const char *packs_dir;   /* "./packs" */
    const char *intents_file;/* NULL: train on packs; else an {"intents":...} file */
    int store_handles;       /* size of the store pool (threads + 1) */
    long state_cache_bytes;  /* memory for recent sessions/profiles; 0: default, < 0: off */
} engine_config;

/* Opens the store, trains the NLU model and loads every tenant.
 * *out is freed with engine_close().  Errors: store and pack errors. */
int engine_open(const engine_config *cfg, engine **out, pt_error *err);
void engine_close(engine *e);

/* Reloads one tenant's runtime (after an import or a pack edit).  Readers of
 * the old runtime finish on it (reference counted). */
int engine_reload_tenant(engine *e, const char *slug, pt_error *err);

/* The embeddings provider for the chat path (borrowed; NULL: none).  With
 * one, a buyer message that searches is embedded and the nearest listings
 * are fused into the search ranking; a provider error only logs. */
struct embed_provider;
void engine_set_embed(engine *e, struct embed_provider *p);

/* After listing changes: rebuilds the tenant's localities and gazetteer
 * but keeps its pack and trained model (cheaper than a reload). */
int engine_refresh_listings(engine *e, const char *slug, pt_error *err);

/* A buyer message (CONTRACT.md §5 request).  Strings are borrowed. */
typedef struct chat_request {
    const char *query;          /* may be "" when callback_data is set */
    const char *session_id;     /* required */
    const char *user_id;        /* required */
    const char *callback_data;  /* a button's data, or NULL */
    const char *channel;        /* "web", "cli", ... or NULL */
    time_t now;                 /* 0: the current time */
} chat_request;

/* Is id a session_id or user_id the engine accepts (1 to 128 bytes, no
 * control characters)?  For callers that check a fixed id once, up front. */
bool engine_id_valid(const char *id);

/* Handles one message for the tenant that owns api_key.  On success *json is
 * the §5 answer object, allocated in arena a.  Errors: PT_ERR_UNAUTHORIZED
 * (unknown key), PT_ERR_MISSING / PT_ERR_INVALID (request fields, message
 * says which), PT_ERR_TOO_LARGE, PT_ERR_STORE, PT_ERR_NOMEM. */
int engine_chat(engine *e, const char *api_key, const chat_request *req, arena *a,
                char **json, pt_error *err);

/* The same for a tenant named by slug (terminal chat, tests). */
int engine_chat_slug(engine *e, const char *slug, const chat_request *req, arena *a,
                     char **json, pt_error *err);

/* engine_chat without a thread waiting, for event-driven channels.  A turn
 * may wait twice: for its session's lock (an earlier message of the session
 * is in its turn) and for its commit.  Either it has ended (an error, or a
 * booking, which commits on its own): the return value and *json are the
 * outcome and *pending is NULL; or *pending is set, and done(ctx) is called
 * exactly once when the wait is over, on another thread (it must only wake
 * the channel up), after which the channel calls engine_chat_continue
 * (*pending) on a thread of its own, which again either ends the turn or
 * sets *pending for one more done(ctx).  The arena a and the request's
 * strings must live until the turn ends. */
typedef struct chat_async chat_async;
typedef void (*chat_done_fn)(void *ctx);
int engine_chat_start(engine *e, const char *api_key, const chat_request *req, arena *a,
                      chat_done_fn done, void *ctx, chat_async **pending, char **json,
                      pt_error *err);

/* The next step of a pending turn, once its done callback has run: the turn
 * itself when it waited for its lock, else the answer (*json in the turn's
 * arena) or the error of its commit. */
int engine_chat_continue(engine *e, chat_async *pending, chat_async **again, char **json,
                         pt_error *err);

/* For a channel whose client went away while the turn was pending, once
 * done(ctx) has run: the turn still runs to its end on this thread (the
 * buyer's message is not lost); its answer is dropped.  It may wait for
 * locks held by other pending turns, so the thread must not be one those
 * turns need to go on (the HTTP channel calls it on a thread of its own). */
void engine_chat_abandon(engine *e, chat_async *pending);

/* /ready: 0 when the store answers. */
int engine_ready(engine *e, pt_error *err);

/* Appends the engine's Prometheus metrics (text format 0.0.4) to b. */
int engine_metrics(engine *e, buf *b);

/* Counts an HTTP request for /metrics (route label, status). */
void engine_count_http(engine *e, const char *route, int status, double seconds);

/* A store handle for admin work (import, CLI).  Return it with engine_store_put. */
store *engine_store_get(engine *e);
void engine_store_put(engine *e, store *s);

/* A tenant's gazetteer: the localities of its listings plus the pack's alias
 * lines whose canonical name is one of them, and the pack's cues of areas
 * not wanted (engine_gazetteer_cues).  The locality figures are
 * allocated in a and returned through *localities / *n (both may be NULL).
 * *out is freed with nlu_gazetteer_free().  Errors: store errors, NOMEM. */
struct pack;
struct nlu_gazetteer;
int engine_build_gazetteer(store *s, const tenant *t, const struct pack *pk, arena *a,
                           store_locality_stats **localities, int *n,
                           struct nlu_gazetteer **out, pt_error *err);

/* Gives gazetteer g the pack's cue_loc_not, cue_loc_keep, cue_loc_and,
 * cue_loc_not_after and cue_loc_not_bare lists of every language (nlu_gazetteer_add_cues): the
 * words that tell an area the buyer does not want; and its cue_period_month
 * and cue_period_year lists (nlu_gazetteer_add_period_cues): the words of a
 * rent's period ("a month", "в год").  engine_build_gazetteer
 * calls it; tools that build a gazetteer themselves call it before sharing
 * g.  pk may be NULL (no cues).  Errors: NOMEM. */
int engine_gazetteer_cues(struct nlu_gazetteer *g, const struct pack *pk, pt_error *err);

/* API keys: "pt_" + 40 hex chars from libsodium randomness, and the hex
 * SHA-256 the store keeps (hex buffer >= 65 bytes). */
void engine_api_key_new(char key[48]);
void engine_api_key_hash(const char *key, char hex[65]);

#endif
