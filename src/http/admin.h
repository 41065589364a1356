/*
 * admin.h - the admin API (CONTRACT.md §5): logins and listing
 * administration over HTTP, for the routes server.c marks AUTH_JWT (and the
 * login itself).  See docs/api.md for the routes, bodies and errors.
 *
 *   POST   /api/auth/login          {"email","password"} -> {"token": JWT, ...}
 *   GET    /api/auth/me             who the token is
 *   GET    /api/listings            ?limit=&offset=  (a page, in id order)
 *   POST   /api/listings            one listing object -> 201
 *   POST   /api/listings/import     CSV, JSON array or RESO payload (64 MiB)
 *   GET    /api/listings/{id}
 *   PUT    /api/listings/{id}       replaces it (404 when unknown)
 *   PATCH  /api/listings/{id}       merges the given fields (null removes one)
 *   DELETE /api/listings/{id}
 *
 * Authentication happens once, in the dispatcher, before any body is read
 * (admin_authenticate): a valid Bearer token, and the tenant the request
 * acts on.  tenant_admin and agent tokens act on their own tenant only (a
 * ?tenant= naming another is 403); a super_admin names the tenant with
 * ?tenant=SLUG on every tenant route (400 without it).  Listing writes
 * need tenant_admin or super_admin (an agent gets 403); reads are open to
 * the three roles.
 *
 * Writes go through the importer (one validator for the CLI, bulk and
 * single listings), then the tenant's vectors are brought up to date when
 * an embeddings provider is set, then the engine reloads the tenant so its
 * chat sees new localities at once.
 *
 * Process-wide state (the signing key, the login limiter, the provider) is
 * set by admin_init() before the server starts; until then the admin routes
 * answer 503.
 */
#ifndef PT_HTTP_ADMIN_H
#define PT_HTTP_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "engine/engine.h"
#include "provider/embed.h"
#include "util/arena.h"
#include "util/error.h"

struct MHD_Connection;

#define ADMIN_IMPORT_BODY_MAX (64u << 20)   /* POST /api/listings/import */
#define ADMIN_PAGE_DEFAULT 50
#define ADMIN_PAGE_MAX 200
#define ADMIN_LOGIN_FAILURES 10            /* per client address ... */
#define ADMIN_LOGIN_WINDOW 900             /* ... in this many seconds */
#define ADMIN_EMBED_BUDGET_MS 20000        /* embedding time an HTTP import may spend */

typedef struct admin_config {
    const char *secret;          /* the instance secret (util/secret.h); required */
    embed_provider *embed;       /* borrowed, must outlive admin_shutdown; NULL: no vectors */
    int login_failures;          /* <= 0: ADMIN_LOGIN_FAILURES */
    int login_window;            /* seconds; <= 0: ADMIN_LOGIN_WINDOW */
} admin_config;

/* Sets the process-wide admin state (call once, before serving).  Errors:
 * PT_ERR_INVALID (no secret), PT_ERR_NOMEM. */
int admin_init(const admin_config *cfg, pt_error *err);
/* Undoes admin_init (after the server has stopped). */
void admin_shutdown(void);

/* Who is calling, and for which tenant. */
typedef struct admin_principal {
    int64_t user_id;
    auth_role role;
    int64_t exp;                 /* token expiry, UTC seconds */
    bool has_tenant;             /* false: a super_admin without ?tenant= */
    tenant t;                    /* the tenant acted on, when has_tenant */
} admin_principal;

/* Checks the Authorization header of conn and resolves the tenant (the
 * token's, or for a super_admin the one ?tenant=SLUG names).  Errors:
 * PT_ERR_UNAUTHORIZED (no, malformed, forged or expired token; its tenant is
 * gone), PT_ERR_FORBIDDEN (?tenant= names another tenant), PT_ERR_NOT_FOUND
 * (a super_admin's ?tenant= is unknown), PT_ERR_UNAVAILABLE (admin_init not
 * called), store errors. */
int admin_authenticate(engine *e, struct MHD_Connection *conn, admin_principal *out,
                       pt_error *err);

/* One admin request, as the dispatcher hands it over. */
typedef struct admin_request {
    engine *e;
    struct MHD_Connection *conn;   /* for query arguments and the client address */
    const char *method;            /* the matched row's method (HEAD is "GET") */
    const char *route;             /* the matched row's path, with its star */
    const char *url;               /* the request path (decoded) */
    const char *body;              /* may be NULL when len is 0 */
    size_t len;
    const admin_principal *who;    /* NULL on the login route */
    arena *a;                      /* the request arena */
} admin_request;

typedef struct admin_reply {
    int status;
    const char *body;              /* JSON, in the request arena */
    size_t len;
} admin_reply;

/* Runs the admin route of q.  Errors carry the status of their code:
 * 400 (bad query arguments or JSON), 401, 403, 404, 405 (not an admin
 * route), 409 (create of an existing id), 413, 422 (a listing or file
 * the importer rejects, with its message), 429 (too many failed logins),
 * 500/503 (store). */
int admin_handle(const admin_request *q, admin_reply *out, pt_error *err);

/* The body cap of an admin row (ADMIN_IMPORT_BODY_MAX for the bulk
 * import), or 0 for the server's default. */
size_t admin_body_max(const char *method, const char *route);

/* The id of a /api/listings/{id} path (decoded), or NULL when url is not
 * one or the id is empty, over 128 bytes or holds control characters. */
const char *admin_listing_id(const char *url);

#endif
