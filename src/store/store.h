/*
 * store.h - the storage interface.  Every byte of SQL lives behind it.
 *
 * A backend is a table of function pointers (store_ops), after SQLite's VFS
 * and redis' ConnectionType.  The engine holds a `store *` and never knows
 * which backend answers.  Backends: "sqlite" (store_sqlite.c, the embedded
 * default, WAL).  A PostgreSQL backend is one more file with one more ops
 * table; nothing else changes.
 *
 * SQLite durability: synchronous=FULL, so a committed turn survives power
 * loss.  PROPTALK_SQLITE_SYNC=normal (read at open) trades that for speed
 * (the last turns may roll back on power loss; the file stays consistent),
 * for benchmarks and throwaway data.
 *
 * Threads: a `store` handle is one connection and is NOT thread-safe.  A
 * server takes one handle per worker thread from a store_pool.  Handles of
 * one database may be used concurrently from different threads.
 *
 * Tenancy: every call that touches tenant data takes the tenant_id, and the
 * backend scopes every statement by it.
 *
 * Memory: results are allocated in the caller's arena; the store keeps no
 * pointer into them.  Inputs are copied as needed.
 *
 * Turns: turn_begin() opens the write transaction of one conversation turn;
 * session_put / message_append / profile_put / lead_put / appointment_book
 * go into it, and turn_commit() makes them durable before the answer is
 * sent.  turn_rollback() undoes all of them (and is a no-op when no turn is
 * open).  The same writes made outside a turn are each their own
 * transaction.  After a failed write the caller rolls the turn back.  A
 * thread keeps at most one turn or import open at a time: writers of one
 * database queue on one lock, so opening a second on another handle would
 * wait on itself.  turns_write() writes the turns of many conversations in
 * one transaction (the engine's group commit).
 */
#ifndef PT_STORE_H
#define PT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "util/arena.h"
#include "util/error.h"

typedef struct store store;

/* Filters for listing retrieval.  Zero / NULL / -1 fields do not filter. */
typedef struct store_listing_query {
    transaction tx;               /* TX_NONE: any */
    property_type type;           /* PTYPE_NONE: any */
    int bedrooms;                 /* -1: any */
    bool has_price_min, has_price_max;
    money price_min, price_max;   /* inclusive; already widened by any tolerance */
    const char *currency;         /* NULL: any */
    const char *const *localities;/* exact canonical names, ORed; NULL/0: any */
    int n_localities;
    listing_status status;        /* LSTATUS_NONE: any */
    int limit;                    /* max rows; <= 0 means 200 */
    /* Order and text (issue 4). */
    bool price_desc;              /* dearest first instead of cheapest first */
    const char *text_match;       /* an FTS5 query over title, project, developer,
                                     description and amenities: only listings whose
                                     text matches; NULL: any.  Malformed: INVALID */
    int text_scan;                /* with text_match: the first this many text
                                     matches are filtered (<= 0: 1000), so a common
                                     word costs no more than a rare one */
} store_listing_query;

/* Market figures of one transaction type in one locality. */
typedef struct store_market_figures {
    int listings;
    int64_t units;                  /* units available, where known */
    money median_price;             /* 0 when listings is 0 */
    double median_price_per_sqft;   /* -1 when unknown */
    double avg_yield;               /* -1 when unknown */
    int off_plan;                   /* listings off plan (the rest are ready or unknown) */
} store_market_figures;

/* Per-locality numbers from the inventory (for comparisons, relaxation). */
typedef struct store_locality_stats {
    const char *locality;
    const char *city;
    int listings;
    money median_price;
    double median_price_per_sqft;   /* -1 when unknown */
    double avg_yield;               /* -1 when unknown */
    double lat, lon;                /* centroid; has_geo false when unknown */
    bool has_geo;
    /* The same per transaction, whatever tx the stats were asked for (a
     * TX_RENT query leaves sale zeroed and the other way round). */
    store_market_figures sale, rent;
} store_locality_stats;

/* A bookable agent slot.  Times are UTC seconds since the epoch. */
typedef struct store_slot {
    int64_t id;
    int64_t agent_id;
    const char *agent_name;
    int64_t starts_at, ends_at;
} store_slot;

/* A booked viewing, as the buyer asks after it ("when is my visit?"). */
typedef struct store_appointment {
    int64_t id;
    int64_t starts_at, ends_at;     /* the slot's, UTC seconds */
    const char *agent_name;
    const char *listing_id;         /* NULL: booked with no listing in focus */
    const char *listing_title;      /* NULL when no listing, or it is gone */
    const char *session_id;         /* the conversation that booked it */
} store_appointment;

typedef struct store_user {
    int64_t id;
    const char *email;
    const char *role;               /* super_admin, tenant_admin, agent */
    tenant_id tenant;               /* 0 for super_admin */
    const char *password_hash;      /* libsodium crypto_pwhash_str */
} store_user;

/* A lead: one buyer (user_id) of one tenant, as the sales team sees it. */
typedef struct store_lead {
    const char *user_id;
    const char *session_id;         /* the latest session */
    const char *phone;              /* E.164 or NULL */
    const char *language;
    const char *state;              /* dialog state name */
    const char *temperature;        /* hot, warm, cold */
    double engagement_score, intent_to_buy_score;
    const char *slots_json;         /* the qualification slots as JSON */
    size_t slots_json_len;          /* its length when known, else 0 (store_turn) */
} store_lead;

typedef struct store_message {
    const char *role;               /* "user" or "assistant" */
    const char *text;
    const char *meta_json;          /* intent, state, ... or NULL */
    int64_t created_at;             /* UTC seconds */
} store_message;

/* All the writes of one conversation turn except a booking, for
 * turns_write().  Strings are borrowed for the call (the caller keeps
 * them, and the lead, alive until it returns).  NULL fields write nothing.
 *
 * The *_len fields (and store_lead.slots_json_len): the length of the
 * string beside them, as strlen() would give it (bytes before the first
 * NUL), when the caller has it at hand (a JSON writer's or a
 * concatenation's), which spares the store measuring the turn's large
 * texts again; 0 means "not given" and the store measures, so a writer
 * that leaves them 0 (as designated initialisers do) is always right.  A
 * length that is not strlen's would store other bytes. */
typedef struct store_turn {
    tenant_id tenant;
    const char *session_id;
    const char *user_id;
    const char *session_json;                 /* session_put */
    const char *user_text, *user_meta;        /* the buyer's transcript line */
    const char *assistant_text, *assistant_meta;
    const char *profile_json;                 /* profile_put of user_id */
    const store_lead *lead;                   /* lead_put */
    size_t session_json_len, user_text_len, user_meta_len;   /* 0: not given */
    size_t assistant_text_len, assistant_meta_len, profile_json_len;
    /* out */
    int rc;                                   /* 0 or -PT_ERR_* of this turn */
    pt_error err;
} store_turn;

/* An embedding's key and the hash of the text it was made from. */
typedef struct store_vector_hash {
    const char *listing_id;
    const char *text_hash;
} store_vector_hash;

#define STORE_PAGE_MAX 1000

#define STORE_GET_MANY 8   /* ids per listings_get_many */

typedef struct store_ops {
    const char *name;   /* "sqlite" */

    /* Opens url ("sqlite:PATH") and runs pending migrations. */
    int (*open)(store *s, const char *url, pt_error *err);
    void (*close)(store *s);

    /* -- tenants and users -- */
    /* t->id is set on success.  api_key_hash: hex SHA-256 of the API key.
     * PT_ERR_CONFLICT when the slug exists. */
    int (*tenant_create)(store *s, tenant *t, const char *api_key_hash, pt_error *err);
    int (*tenant_by_slug)(store *s, const char *slug, tenant *out, pt_error *err);       /* NOT_FOUND */
    int (*tenant_by_api_key)(store *s, const char *api_key_hash, tenant *out, pt_error *err);
    /* All tenants, in id order, into an arena array. */
    int (*tenant_list)(store *s, arena *a, tenant **out, int *n, pt_error *err);
    /* PT_ERR_CONFLICT when the email exists. u->id set on success. */
    int (*user_create)(store *s, store_user *u, pt_error *err);
    int (*user_by_email)(store *s, const char *email, arena *a, store_user *out, pt_error *err);

    /* -- listings -- */
    /* A batch of upserts is one transaction: import_begin, listing_upsert..., import_commit
     * (or import_rollback).  Re-upserting an id updates it in place. */
    int (*import_begin)(store *s, pt_error *err);
    int (*listing_upsert)(store *s, tenant_id t, const listing *l, pt_error *err);
    int (*import_commit)(store *s, pt_error *err);
    void (*import_rollback)(store *s);
    int (*listing_get)(store *s, tenant_id t, const char *id, arena *a, listing *out, pt_error *err);
    /* Up to STORE_GET_MANY listings in one read: for each i, found[i] tells
     * whether ids[i] exists, and out[i] holds it (strings in a). */
    int (*listings_get_many)(store *s, tenant_id t, const char *const *ids, int n, arena *a,
                             listing *out, bool *found, pt_error *err);
    int (*listing_delete)(store *s, tenant_id t, const char *id, pt_error *err);
    int (*listing_count)(store *s, tenant_id t, int64_t *out, pt_error *err);
    /* Listings matching q, cheapest-fit order not guaranteed; ranking is the
     * search module's job.  (sqlite: cheapest first, ties in no set order;
     * more than 16 localities: the first 16 count.) */
    int (*listing_search)(store *s, tenant_id t, const store_listing_query *q, arena *a,
                          listing **out, int *n, pt_error *err);
    /* Every distinct locality with its numbers, for the gazetteer and the
     * market answers.  currency/tx narrow the figures (NULL/TX_NONE: all). */
    int (*locality_stats)(store *s, tenant_id t, transaction tx, arena *a,
                          store_locality_stats **out, int *n, pt_error *err);

    /* -- agents and appointments -- */
    int (*agent_create)(store *s, tenant_id t, const char *name, const char *email,
                        int64_t *agent_id, pt_error *err);
    int (*slot_add)(store *s, tenant_id t, int64_t agent_id, int64_t starts_at,
                    int64_t ends_at, pt_error *err);
    /* Free (unbooked) slots starting in [from, to), earliest first, at most
     * limit, spread across agents when several share a start time. */
    int (*slots_free)(store *s, tenant_id t, int64_t from, int64_t to, int limit, arena *a,
                      store_slot **out, int *n, pt_error *err);
    /* Books slot_id for the lead, for listing_id (NULL: none).
     * PT_ERR_CONFLICT when it is already booked, PT_ERR_NOT_FOUND when no
     * such slot of this tenant.  *appointment_id set.  Inside a turn it
     * joins the turn's transaction. */
    int (*appointment_book)(store *s, tenant_id t, int64_t slot_id, const char *user_id,
                            const char *session_id, const char *phone, const char *listing_id,
                            int64_t *appointment_id, pt_error *err);
    /* Appointments of the session; session_id NULL: of the whole tenant. */
    int (*appointment_count)(store *s, tenant_id t, const char *session_id, int64_t *out,
                             pt_error *err);
    /* The buyer's (user_id, any session) viewings whose slot ends after now,
     * earliest first, at most limit (<= 0: 5), into an arena array.  A NULL
     * or empty user_id has none.  Read only when the buyer asks. */
    int (*appointments_upcoming)(store *s, tenant_id t, const char *user_id, int64_t now,
                                 int limit, arena *a, store_appointment **out, int *n,
                                 pt_error *err);

    /* -- conversation turns -- */
    int (*turn_begin)(store *s, pt_error *err);
    int (*turn_commit)(store *s, pt_error *err);
    void (*turn_rollback)(store *s);
    /* The session's saved state (opaque JSON owned by the dialog).  *json is
     * NULL (and 0 returned) when the session is new. */
    int (*session_get)(store *s, tenant_id t, const char *session_id, arena *a,
                       char **json, pt_error *err);
    /* Creates or replaces the session's state; user_id NULL keeps the stored one. */
    int (*session_put)(store *s, tenant_id t, const char *session_id, const char *user_id,
                       const char *json, pt_error *err);
    int (*message_append)(store *s, tenant_id t, const char *session_id, const char *role,
                          const char *text, const char *meta_json, pt_error *err);
    /* The latest `limit` messages (<= 0: 100), oldest first. */
    int (*messages_list)(store *s, tenant_id t, const char *session_id, int limit, arena *a,
                         store_message **out, int *n, pt_error *err);
    /* The buyer's profile across sessions (opaque JSON owned by the dialog). */
    int (*profile_get)(store *s, tenant_id t, const char *user_id, arena *a, char **json,
                       pt_error *err);
    int (*profile_put)(store *s, tenant_id t, const char *user_id, const char *json,
                       pt_error *err);
    /* Creates or updates the lead of lead->user_id.  NULL text fields keep
     * what is stored (a phone given once stays); the scores are replaced. */
    int (*lead_put)(store *s, tenant_id t, const store_lead *lead, pt_error *err);
    /* Group commit: writes n turns in one transaction with one commit (one
     * fsync).  A turn whose writes fail is undone alone (its rc and err say
     * why) and the others are kept (sqlite: the transaction is rolled back
     * and written again without it).  Returns 0 when the commit succeeded;
     * otherwise nothing of any turn is kept, every turn's rc is the error,
     * and it is returned.  Inside an open turn (turn_begin) it joins that
     * transaction, each turn under a savepoint, and does not commit.  A
     * turn's profile and lead of the same user are one row, and its two
     * transcript lines one row of `turns` (sqlite; `messages` is a view
     * with a row per line). */
    int (*turns_write)(store *s, store_turn *const *turns, int n, pt_error *err);

    /* -- admin API and listing vectors (http/admin.c, provider/embed.c) -- */
    int (*tenant_by_id)(store *s, tenant_id id, tenant *out, pt_error *err);   /* NOT_FOUND */
    /* A page of t's listings in id order (byte order): those with an id
     * after `after` (NULL: from the first), skipping `offset` of them, at
     * most `limit` (1..STORE_PAGE_MAX).  *out in arena a. */
    int (*listing_page)(store *s, tenant_id t, const char *after, int64_t offset, int limit,
                        arena *a, listing **out, int *n, pt_error *err);
    /* Creates or replaces the embedding of listing_id: the model that made
     * it, a hash of the text it was made from, dim float32 values.  Joins an
     * open import transaction.  A vector goes when its listing is deleted. */
    int (*vector_put)(store *s, tenant_id t, const char *listing_id, const char *model,
                      const char *text_hash, const float *v, int dim, pt_error *err);
    /* Removes it (0 also when there was none). */
    int (*vector_delete)(store *s, tenant_id t, const char *listing_id, pt_error *err);
    /* id and text hash of every vector of t made by model, in id order. */
    int (*vector_hashes)(store *s, tenant_id t, const char *model, arena *a,
                         store_vector_hash **out, int *n, pt_error *err);
    /* Calls fn for every vector of t made by model whose listing exists;
     * v points to dim floats valid during the call only.  A non-zero
     * return of fn stops the walk and is returned. */
    int (*vector_each)(store *s, tenant_id t, const char *model,
                       int (*fn)(void *ctx, const char *listing_id, const float *v, int dim),
                       void *ctx, pt_error *err);
    /* A number that changes whenever a vector of t is written or removed
     * (by any process), for caches.  0 when t never had one.  A backend may
     * answer it from memory for a short while after a write by a program
     * other than proptalk (sqlite: at most 250 ms, see "The inventory
     * epoch" in store_sqlite.c); writes through any store are seen at once. */
    int (*vector_version)(store *s, tenant_id t, int64_t *out, pt_error *err);
    /* Removes vectors whose listing no longer exists; *removed may be NULL. */
    int (*vector_purge)(store *s, tenant_id t, int64_t *removed, pt_error *err);

    /* -- listings: bulk import and text (issue 4; NULL in a backend that
     * lacks them: callers then do without) -- */
    /* Bulk-load mode on this handle for an import into tenant t, until
     * import_bulk_end: a large page cache, WAL checkpoints deferred while
     * batches are written, and the tenant checked once instead of by a
     * foreign key per row.  Each committed batch stays as durable as any
     * commit.  Call outside a transaction.  NOT_FOUND: no such tenant. */
    int (*import_bulk_begin)(store *s, tenant_id t, pt_error *err);
    /* Leaves bulk-load mode: the usual settings again, a checkpoint. */
    void (*import_bulk_end)(store *s);
    /* How many listings' texts match the FTS5 query `match`, counting at
     * most cap.  The text index is shared by the tenants, so the count is
     * over all of them: it only tells a search whether a word is rare
     * enough to look listings up by it (the lookup, listing_search with
     * text_match, is scoped to the tenant).  Malformed query: INVALID.
     * (sqlite: a handle keeps its answers until a listing changes, seen
     * as listing_version sees it.) */
    int (*listing_text_count)(store *s, const char *match, int cap, int *out,
                              pt_error *err);
    /* Upserts *ls[0..n) in order inside the open import batch, as n calls
     * of listing_upsert would, in fewer statements.  *done (out): how many
     * were upserted before a failure (n on success).  A row's own failure
     * (INVALID: an empty id) is about *ls[*done], and nothing of it was
     * written: the caller may reject it and go on with the rest.  Any
     * other failure ends the batch.  INTERNAL outside an import batch. */
    int (*listing_upsert_many)(store *s, tenant_id t, const listing *const *ls, int n,
                               int *done, pt_error *err);

    /* A number that changes whenever a listing of t is updated or deleted
     * (by any process), for caches of listings read by id; inserts leave it
     * (a new row makes no kept listing stale).  Seen at once after a write
     * through any store; after a program other than proptalk writes the
     * database, as vector_version.  NULL in a backend without it: callers
     * then do not cache. */
    int (*listing_version)(store *s, tenant_id t, int64_t *out, pt_error *err);

    /* A search's reads in one snapshot: the statements between read_begin
     * and read_end see the store as it was at the first of them (sqlite:
     * one read transaction, begun once instead of once per statement).
     * Inside a transaction of the handle they join it.  read_end after
     * every read_begin that returned 0.  NULL: each read on its own. */
    int (*read_begin)(store *s, pt_error *err);
    void (*read_end)(store *s);

    /* A turn's state in one read: what session_get gives for session_id
     * into *session_json and what profile_get gives for user_id into
     * *profile_json (each NULL when there is none), both from one snapshot.
     * A NULL id reads nothing (its out is NULL).  Strings in a.  (sqlite:
     * one statement, so the read transaction is begun once for both.)  NULL
     * in a backend without it: callers use session_get and profile_get. */
    int (*state_get)(store *s, tenant_id t, const char *session_id, const char *user_id,
                     arena *a, char **session_json, char **profile_json, pt_error *err);
} store_ops;

struct store {
    const store_ops *ops;
    void *impl;          /* backend state */
};

/* Opens a store for url: "sqlite:PATH" (or a plain path) picks the sqlite
 * backend; "postgres://" reports PT_ERR_UNAVAILABLE until that backend exists.
 * *out is freed with store_close(). */
int store_open(const char *url, store **out, pt_error *err);
void store_close(store *s);

/* A fixed set of handles for worker threads.  store_pool_get blocks until a
 * handle is free; store_pool_put returns it (rolling back any turn or import
 * its user left open). */
typedef struct store_pool store_pool;
int store_pool_open(const char *url, int size, store_pool **out, pt_error *err);
store *store_pool_get(store_pool *p);
void store_pool_put(store_pool *p, store *s);
void store_pool_close(store_pool *p);

extern const store_ops store_sqlite_ops;

#endif
