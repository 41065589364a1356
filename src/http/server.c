/*
 * server.c - the HTTP channel on libmicrohttpd; see server.h.
 *
 * libmicrohttpd calls access_handler() several times per request: once
 * when the headers are in (we allocate the request state and route it),
 * once per piece of body, and once more with no data (we answer).  The
 * request state (http_req) holds the body buffer (capped), the per-request
 * arena and the start time; request_completed() ends it (kept for the
 * thread's next request: req_new / req_free).
 *
 * Routing is the table `routes` (after git's commands[] and nginx's
 * directive tables): the dispatcher finds the row, answers 404/405, checks
 * the row's authentication, and only then calls the handler.  Handlers fill
 * an http_reply or return -PT_ERR_* with a message; the dispatcher turns
 * that into the {"error": {...}} body.
 *
 * The listening socket is created here (not by libmicrohttpd) so that bind
 * errors name the address and the reason, and port 0 can report its port.
 */
#include "http/server.h"
#include "http/admin.h"
#include "http/chat_request.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/log.h"

#define BODY_DISCARD_MAX (16u << 20)  /* body bytes read past the cap before hanging up */
#define METRICS_MAX (4u << 20)
#define LARGE_UPLOADS_MAX 2           /* bodies over CHAT_BODY_MAX read at once (imports) */

static atomic_int large_uploads;      /* requests holding a large-upload slot */

typedef struct abandoned abandoned;

struct http_server {
    struct MHD_Daemon *d;
    engine *e;
    int port;
    atomic_int suspended;     /* connections suspended while their turn commits */
    pthread_mutex_t abandon_mu;
    abandoned *abandons;      /* turns whose client went away (abandon_main) */
};

/* AUTH_JWT: a Bearer token (http/admin.c), checked with the headers,
 * before any of the body is read. */
typedef enum route_auth { AUTH_NONE = 0, AUTH_API_KEY, AUTH_JWT } route_auth;

typedef struct http_req http_req;

/* What a handler answers.  body lives in the request arena (or is static). */
typedef struct http_reply {
    int status;
    const char *content_type;
    const char *body;
    size_t len;
} http_reply;

typedef int (*route_fn)(http_req *r, http_reply *out, pt_error *err);

typedef struct route {
    const char *method;
    const char *path;         /* exact; a final star matches any non-empty rest */
    route_fn handler;
    route_auth auth;
} route;

struct http_req {
    /* from here to `body`: zeroed for each request (req_new) */
    http_server *srv;
    struct MHD_Connection *conn;
    const route *rt;          /* the matched row, or NULL */
    int route_error;          /* PT_ERR_NOT_FOUND / PT_ERR_METHOD when no row matched */
    const char *label;        /* route label for metrics */
    const char *api_key;      /* for AUTH_API_KEY rows */
    bool too_large;
    bool responded;
    size_t discarded;
    struct timespec start;
    /* admin API */
    const char *url;          /* the request path, in the arena */
    bool large_slot;          /* holds one of LARGE_UPLOADS_MAX */
    /* chat: the turn waiting for its session's lock or its commit, with the
     * connection suspended */
    chat_async *pending;
    atomic_int woken;         /* see h_chat: 0, WAIT_OVER, WAIT_SUSPENDED */
    bool suspended;
    /* from here on: set when used (req_new sets what must start set) */
    buf body;                 /* emptied for each request; its memory is kept */
    pt_error auth_err;        /* why AUTH_JWT failed (code 0: it did not) */
    admin_principal who;      /* AUTH_JWT rows, once authenticated */
    char allow[64];           /* methods of the path, for 405 (route_find) */
    arena a;
    http_req *next_spare;     /* in this thread's spares (req_free) */
};

#define JSON_TYPE "application/json; charset=utf-8"

/* ---- handlers ------------------------------------------------------------ */

/* The request body, NULL when there is none (its buffer is kept from an
 * earlier request: see req_new). */
static const char *req_body(const http_req *r)
{
    return r->body.len ? r->body.data : NULL;
}

static int h_health(http_req *r, http_reply *out, pt_error *err)
{
    static const char body[] = "{\"status\":\"ok\"}";
    out->status = 200;
    out->content_type = JSON_TYPE;
    out->body = body;
    out->len = sizeof body - 1;
    return 0;
}

static int h_ready(http_req *r, http_reply *out, pt_error *err)
{
    static const char body[] = "{\"status\":\"ready\"}";
    pt_error e2 = {0};
    int rc = engine_ready(r->srv->e, &e2);
    if (rc)
        return pt_fail(err, PT_ERR_UNAVAILABLE, "not ready: %s",
                       e2.msg[0] ? e2.msg : pt_err_name(rc));
    out->status = 200;
    out->content_type = JSON_TYPE;
    out->body = body;
    out->len = sizeof body - 1;
    return 0;
}

static int h_metrics(http_req *r, http_reply *out, pt_error *err)
{
    int rc = 0;
    buf b = BUF_INIT(METRICS_MAX);
    rc = engine_metrics(r->srv->e, &b);
    if (rc) {
        rc = pt_fail(err, rc, "metrics could not be rendered");
        goto done;
    }
    out->body = arena_strndup(&r->a, buf_cstr(&b), b.len);
    if (out->body == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "metrics: out of memory");
        goto done;
    }
    out->len = b.len;
    out->status = 200;
    out->content_type = "text/plain; version=0.0.4; charset=utf-8";
done:
    buf_free(&b);
    return rc;
}

/* The chat route does not hold its thread while a turn waits, for its
 * session's lock or for its commit.  engine_chat_start runs the turn as far
 * as it can; the connection is suspended, and the engine's callback
 * (chat_woken, on the thread that ended the wait) resumes it (when the
 * committer was idle, the commit runs on this thread and the turn is
 * durable when engine_chat_start returns: answered at once, no wait);
 * libmicrohttpd then calls the handler again, and engine_chat_continue
 * takes the turn a step further (runs it, or gives the answer).  Either
 * side may come first: r->woken is a two-party handshake per wait, and
 * whoever is second resumes (the callback, if the connection is already
 * suspended) or does not suspend at all (the handler, if the wait is
 * already over).  So a connection is resumed exactly once per suspension,
 * and only after it was suspended. */
#define WAIT_OVER 1
#define WAIT_SUSPENDED 2
#define ROUTE_SUSPENDED 1   /* a handler's "answered later" */

static void chat_woken(void *ctx)
{
    http_req *r = ctx;
    if (atomic_exchange(&r->woken, WAIT_OVER) == WAIT_SUSPENDED)
        MHD_resume_connection(r->conn);
}

/* A 200 with the answer object. */
static int chat_reply(http_reply *out, const char *json)
{
    out->status = 200;
    out->content_type = JSON_TYPE;
    out->body = json;
    out->len = strlen(json);
    return 0;
}

static int h_chat(http_req *r, http_reply *out, pt_error *err)
{
    int rc = 0;
    chat_request req;
    char *json = NULL;

    if (r->pending) {   /* called again after the resume: the wait is over */
        if (r->suspended) {
            r->suspended = false;
            atomic_fetch_sub(&r->srv->suspended, 1);
        }
        atomic_store(&r->woken, WAIT_OVER);   /* SUSPENDED if it ended in between */
    } else {
        rc = chat_request_parse(req_body(r), r->body.len, &r->a, &req, err);
        if (rc)
            return rc;
        rc = engine_chat_start(r->srv->e, r->api_key, &req, &r->a, chat_woken, r, &r->pending,
                               &json, err);
    }
    while (r->pending) {
        if (atomic_load(&r->woken) != WAIT_OVER) {
            MHD_suspend_connection(r->conn);
            r->suspended = true;
            atomic_fetch_add(&r->srv->suspended, 1);
            if (atomic_exchange(&r->woken, WAIT_SUSPENDED) == WAIT_OVER)
                MHD_resume_connection(r->conn);    /* over in between */
            return ROUTE_SUSPENDED;
        }
        /* the wait is over: the next one, if any, starts with a new handshake */
        atomic_store(&r->woken, 0);
        chat_async *ca = r->pending;
        r->pending = NULL;
        rc = engine_chat_continue(r->srv->e, ca, &r->pending, &json, err);
    }
    return rc ? rc : chat_reply(out, json);
}

/* The admin API's rows all come here; http/admin.c picks the handler by
 * the row's method and path. */
static int h_admin(http_req *r, http_reply *out, pt_error *err)
{
    admin_request q = {.e = r->srv->e, .conn = r->conn, .method = r->rt->method,
                       .route = r->rt->path, .url = r->url, .body = req_body(r),
                       .len = r->body.len, .who = r->rt->auth == AUTH_JWT ? &r->who : NULL,
                       .a = &r->a};
    admin_reply rep = {0};
    int rc = admin_handle(&q, &rep, err);
    if (rc)
        return rc;
    out->status = rep.status;
    out->content_type = JSON_TYPE;
    out->body = rep.body;
    out->len = rep.len;
    return 0;
}

/* The routing table.  Paths match exactly (a final star: any non-empty rest);
 * the first row matching path and method wins; HEAD is served by GET rows. */
static const route routes[] = {
    {"GET", "/health", h_health, AUTH_NONE},
    {"GET", "/ready", h_ready, AUTH_NONE},
    {"GET", "/metrics", h_metrics, AUTH_NONE},
    {"POST", "/api/chat/query", h_chat, AUTH_API_KEY},
    /* the admin API (http/admin.c) */
    {"POST", "/api/auth/login", h_admin, AUTH_NONE},
    {"GET", "/api/auth/me", h_admin, AUTH_JWT},
    {"GET", "/api/listings", h_admin, AUTH_JWT},
    {"POST", "/api/listings", h_admin, AUTH_JWT},
    {"POST", "/api/listings/import", h_admin, AUTH_JWT},
    {"GET", "/api/listings/*", h_admin, AUTH_JWT},
    {"PUT", "/api/listings/*", h_admin, AUTH_JWT},
    {"PATCH", "/api/listings/*", h_admin, AUTH_JWT},
    {"DELETE", "/api/listings/*", h_admin, AUTH_JWT},
};

/* url is the row's path, or starts with its prefix and has more. */
static bool path_matches(const char *path, const char *url)
{
    size_t n = strlen(path);
    if (n >= 2 && path[n - 1] == '*' && path[n - 2] == '/')
        return strncmp(path, url, n - 1) == 0 && url[n - 1] != '\0';
    return strcmp(path, url) == 0;
}

/* The body cap of the request's row: CHAT_BODY_MAX, or the admin API's
 * own (the bulk import). */
static size_t body_cap(const http_req *r)
{
    size_t n = r->rt && r->rt->auth == AUTH_JWT ? admin_body_max(r->rt->method, r->rt->path) : 0;
    return n ? n : CHAT_BODY_MAX;
}

/* Rows whose method carries a body. */
static bool takes_body(const route *rt)
{
    return rt && (strcmp(rt->method, "POST") == 0 || strcmp(rt->method, "PUT") == 0 ||
                  strcmp(rt->method, "PATCH") == 0);
}

/* ---- request states -------------------------------------------------------- */

/* A request state is ~3 KB (the arena's inline chunk, the error and
 * principal of the admin API) and a chat body is a few hundred bytes: a
 * calloc of the one and a malloc of the other, and their frees, were ~2% of
 * the server's CPU under chat load (perf).  request_completed keeps them
 * (up to REQ_SPARES_MAX per thread, the body's memory up to
 * REQ_SPARE_BODY_MAX) for the thread's next requests, and req_new zeroes
 * only the fields that start each request, not the arena's inline chunk.
 * A pthread key's destructor frees a thread's spares when it ends. */
#define REQ_SPARES_MAX 32
#define REQ_SPARE_BODY_MAX (4u << 10)

typedef struct req_spare_list {
    http_req *head;
    int n;
    bool registered;
} req_spare_list;

static _Thread_local req_spare_list req_spares;
static pthread_key_t req_spare_key;
static pthread_once_t req_spare_once = PTHREAD_ONCE_INIT;
static bool req_spare_key_ok;

static void req_spares_free(void *arg)
{
    req_spare_list *l = arg;
    http_req *r = l->head;
    while (r) {
        http_req *next = r->next_spare;
        buf_free(&r->body);
        free(r);
        r = next;
    }
    l->head = NULL;
    l->n = 0;
    l->registered = false;
}

static void req_spare_key_init(void)
{
    req_spare_key_ok = pthread_key_create(&req_spare_key, req_spares_free) == 0;
}

/* A request state for a new request on conn: every field of the request
 * zeroed or set, the body empty (cap 0: set it once routed).  NULL when out
 * of memory.  Released with req_free. */
static http_req *req_new(http_server *srv, struct MHD_Connection *conn)
{
    req_spare_list *l = &req_spares;
    http_req *r = l->head;
    if (r) {
        l->head = r->next_spare;
        l->n--;
    } else {
        r = malloc(sizeof *r);
        if (r == NULL)
            return NULL;
        r->body = (buf)BUF_INIT(0);
    }
    memset(r, 0, offsetof(http_req, body));
    buf_reset(&r->body);
    r->body.cap = 0;
    r->auth_err.code = PT_OK;
    r->auth_err.msg[0] = '\0';
    memset(&r->who, 0, sizeof r->who);
    r->allow[0] = '\0';
    r->next_spare = NULL;
    r->srv = srv;
    r->conn = conn;
    arena_init(&r->a, HTTP_REQUEST_ARENA_CAP);
    return r;
}

/* Ends r (its arena released): kept for this thread's next request, or
 * freed. */
static void req_free(http_req *r)
{
    arena_release(&r->a);
    if (r->body.alloc > REQ_SPARE_BODY_MAX)
        buf_free(&r->body);
    req_spare_list *l = &req_spares;
    if (!l->registered) {
        pthread_once(&req_spare_once, req_spare_key_init);
        l->registered = req_spare_key_ok && pthread_setspecific(req_spare_key, l) == 0;
    }
    if (!l->registered || l->n >= REQ_SPARES_MAX) {
        buf_free(&r->body);
        free(r);
        return;
    }
    r->next_spare = l->head;
    l->head = r;
    l->n++;
}

/* ---- dispatch ------------------------------------------------------------ */

/* The value of the request header `name` (a string literal: its length is
 * known, libmicrohttpd compares lengths before bytes), or NULL. */
#define HEADER(conn, name) header_n((conn), (name), sizeof(name) - 1)

static const char *header_n(struct MHD_Connection *c, const char *name, size_t n)
{
    const char *v = NULL;
    if (MHD_lookup_connection_value_n(c, MHD_HEADER_KIND, name, n, &v, NULL) != MHD_YES)
        return NULL;
    return v;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Finds the row for method + url; sets r->rt, or r->route_error and
 * r->allow.  The metrics label is always a table path or "unmatched", so
 * hostile URLs cannot grow the label set. */
static void route_find(http_req *r, const char *method, const char *url)
{
    size_t o = 0;
    if (strcmp(method, "HEAD") == 0)
        method = "GET";
    r->rt = NULL;
    r->allow[0] = '\0';
    r->label = "unmatched";
    r->route_error = PT_ERR_NOT_FOUND;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!path_matches(routes[i].path, url))
            continue;
        r->label = routes[i].path;
        if (strcmp(routes[i].method, method) == 0) {
            r->rt = &routes[i];
            return;
        }
        r->route_error = PT_ERR_METHOD;
        int n = snprintf(r->allow + o, sizeof r->allow - o, "%s%s", o ? ", " : "",
                         routes[i].method);
        if (n > 0 && (size_t)n < sizeof r->allow - o)
            o += (size_t)n;
    }
}

/* Queues a response.  Returns MHD_YES/MHD_NO for the access handler.
 * `kept`: body lives at least as long as the request (the request arena, or
 * static), which ends after its response has been sent (request_completed),
 * so libmicrohttpd sends it from where it is; otherwise it copies it. */
static enum MHD_Result respond(http_req *r, int status, const char *ctype, const char *body,
                               size_t len, bool kept)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)body, kept ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == 405 && r->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                r->rt && r->rt->auth == AUTH_JWT ? "Bearer" : "ApiKey");
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES) {
        r->responded = true;
        engine_count_http(r->srv->e, r->label, status, seconds_since(&r->start));
    }
    return ok;
}

/* Answers with the error envelope for code and message. */
static enum MHD_Result respond_error(http_req *r, int code, const char *message)
{
    char *text = NULL;
    int status = pt_err_http_status(code);
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", pt_err_name(code), "message",
                          message && message[0] ? message : pt_err_name(code));
    if (o == NULL)   /* a message that is not valid UTF-8 */
        o = json_pack("{s:{s:s,s:s}}", "error", "code", pt_err_name(code), "message",
                      pt_err_name(code));
    if (o)
        text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    static const char oom[] =
        "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"out of memory\"}}";
    enum MHD_Result ok = text ? respond(r, status, JSON_TYPE, text, strlen(text), false)
                              : respond(r, 503, JSON_TYPE, oom, sizeof oom - 1, true);
    free(text);
    return ok;
}

/* Runs the matched route (or answers the routing error). */
static enum MHD_Result dispatch(http_req *r)
{
    pt_error err = {0};
    http_reply out = {0};

    if (r->auth_err.code != PT_OK)   /* AUTH_JWT, refused with the headers */
        return respond_error(r, r->auth_err.code, r->auth_err.msg);
    if (r->too_large) {
        char msg[64];
        snprintf(msg, sizeof msg, "request body is larger than %zu bytes", body_cap(r));
        return respond_error(r, PT_ERR_TOO_LARGE, msg);
    }
    if (r->rt == NULL)
        return respond_error(r, r->route_error, r->route_error == PT_ERR_METHOD
                                                    ? "method not allowed for this path"
                                                    : "no such path");
    if (r->rt->auth == AUTH_API_KEY) {
        r->api_key = HEADER(r->conn, "X-API-Key");
        if (r->api_key == NULL || r->api_key[0] == '\0')
            return respond_error(r, PT_ERR_UNAUTHORIZED, "missing X-API-Key header");
    }
    int rc = r->rt->handler(r, &out, &err);
    if (rc == ROUTE_SUSPENDED)
        return MHD_YES;   /* the handler is called again when resumed */
    if (rc) {
        if (err.code == PT_OK)
            pt_fail(&err, rc, "%s", pt_err_name(rc));
        int status = pt_err_http_status(rc);
        if (status >= 500)
            log_warn("http %s %s: %d %s", r->rt->method, r->rt->path, status, err.msg);
        return respond_error(r, rc, err.msg);
    }
    return respond(r, out.status, out.content_type, out.body, out.len, true);
}

/* The declared Content-Length, or -1 when there is none (chunked). */
static int64_t declared_length(struct MHD_Connection *c)
{
    const char *cl = HEADER(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t n = 0;
    if (cl == NULL || cl[0] == '\0')
        return -1;
    for (const char *p = cl; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;   /* libmicrohttpd rejects a malformed length itself */
        if (n > ((int64_t)1 << 40))
            return n;
        n = n * 10 + (*p - '0');
    }
    return n;
}

/* Why the body's length is not clear (RFC 9112 6.1, 6.3), or NULL.
 * libmicrohttpd 0.9.75 reads a body of any Transfer-Encoding but chunked
 * to the connection's end (no answer before the client closes or the
 * connection times out), takes the first of two Content-Lengths, and
 * keeps the connection after a request with both headers: a proxy in
 * front that frames the body otherwise would see a request of the
 * client's making in it (request smuggling).  Such a request is answered
 * 400 at once, and the connection closed. */
typedef struct framing {
    int te, cl;
    bool chunked;             /* the Transfer-Encoding is "chunked" */
    bool cl_differ;
    const char *cl_first;
} framing;

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    framing *f = cls;
    if (value == NULL)
        value = "";
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->te++;
        f->chunked = strcasecmp(value, "chunked") == 0;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->cl++ == 0)
            f->cl_first = value;
        else if (strcmp(value, f->cl_first) != 0)
            f->cl_differ = true;
    }
    return MHD_YES;
}

static const char *framing_error(struct MHD_Connection *c)
{
    framing f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &f);
    if (f.te > 1 || (f.te == 1 && !f.chunked))
        return "Transfer-Encoding other than chunked is not supported";
    if (f.te && f.cl)
        return "a request has Content-Length or Transfer-Encoding, not both";
    if (f.cl_differ)
        return "Content-Length headers that differ";
    return NULL;
}

static bool expects_continue(struct MHD_Connection *c)
{
    const char *e = HEADER(c, MHD_HTTP_HEADER_EXPECT);
    return e && strcasecmp(e, "100-continue") == 0;
}

/* The path of a request target in the absolute form ("http://host/path"),
 * which a server must accept (RFC 9112 3.2.2) and libmicrohttpd 0.9.75
 * passes on whole; otherwise url itself. */
static const char *origin_path(const char *url)
{
    size_t n = strncasecmp(url, "http://", 7) == 0 ? 7 : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
    if (n == 0)
        return url;
    const char *path = strchr(url + n, '/');
    return path ? path : "/";
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    http_server *srv = cls;
    http_req *r = *con_cls;

    if (r == NULL) {
        r = req_new(srv, conn);
        if (r == NULL)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &r->start);
        *con_cls = r;
        url = origin_path(url);
        route_find(r, method, url);
        r->body.cap = body_cap(r);
        r->url = arena_strdup(&r->a, url);
        const char *bad = framing_error(conn);
        if (bad)   /* answered before the body: libmicrohttpd reads no more, and closes */
            return respond_error(r, PT_ERR_INVALID, bad);
        if (r->rt && r->rt->auth == AUTH_JWT) {
            /* authenticated before any body is read: only a valid token
             * may upload, and a refused one is answered like too_large */
            pt_error aerr = {0};
            if (admin_authenticate(srv->e, conn, &r->who, &aerr) != 0) {
                r->auth_err = aerr;
                if (r->auth_err.code == PT_OK)
                    r->auth_err.code = PT_ERR_UNAUTHORIZED;
            } else if (body_cap(r) > CHAT_BODY_MAX) {
                if (atomic_fetch_add(&large_uploads, 1) >= LARGE_UPLOADS_MAX) {
                    atomic_fetch_sub(&large_uploads, 1);
                    pt_fail(&r->auth_err, PT_ERR_RATE_LIMITED, "%d uploads are already in "
                            "progress; try again when one has finished", LARGE_UPLOADS_MAX);
                } else {
                    r->large_slot = true;
                }
            }
            if (r->auth_err.code != PT_OK) {
                if (expects_continue(conn) || declared_length(conn) > (int64_t)BODY_DISCARD_MAX)
                    return dispatch(r);
                return MHD_YES;
            }
        }
        int64_t declared = declared_length(conn);
        if (declared > (int64_t)r->body.cap) {
            /* Too large, known up front.  A client waiting for 100-continue
             * (or one sending absurd sizes) is answered now, before any of
             * the body.  One that sends without waiting would be reset while
             * writing and never read an early answer, so its body is read
             * and dropped (never stored) and the 413 follows. */
            r->too_large = true;
            if (expects_continue(conn) || declared > (int64_t)BODY_DISCARD_MAX)
                return dispatch(r);
        }
        return MHD_YES;
    }
    r->conn = conn;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->responded || r->too_large || r->auth_err.code != PT_OK) {
            r->discarded += n;
            return r->discarded > BODY_DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (!takes_body(r->rt)) {
            r->discarded += n;   /* a body nobody reads; still capped */
            if (r->discarded > CHAT_BODY_MAX)
                r->too_large = true;
            return MHD_YES;
        }
        if (buf_append(&r->body, upload_data, n) != 0) {
            /* past the cap: stop keeping it (libmicrohttpd 0.9.75 cannot
             * answer in the middle of an upload; the 413 goes at its end) */
            r->too_large = true;
            buf_free(&r->body);
        }
        return MHD_YES;
    }
    if (r->responded)
        return MHD_YES;
    return dispatch(r);
}

/* A turn whose client went away ends on a thread of its own, not on the
 * worker: its next step may wait for a lock that was handed to another
 * connection of the same worker (resumed, not yet run), and a worker
 * blocked in engine_chat_abandon never runs it; both turns, the buyer's
 * lock and the shutdown would wait for ever.  The threads are joined when
 * done (the next abandon) and at the server's stop. */
struct abandoned {
    pthread_t thread;
    http_req *r;
    bool done;                /* under abandon_mu: the thread ends, join it */
    abandoned *next;
};

static void *abandon_main(void *arg)
{
    abandoned *ab = arg;
    pthread_setname_np(pthread_self(), "pt-abandoned");   /* else the worker's name */
    http_req *r = ab->r;
    http_server *srv = r->srv;
    engine_chat_abandon(srv->e, r->pending);
    arena_release(&r->a);
    buf_free(&r->body);
    free(r);
    pthread_mutex_lock(&srv->abandon_mu);
    ab->done = true;
    pthread_mutex_unlock(&srv->abandon_mu);
    return NULL;
}

/* Joins the abandon threads that are done, or (all) every one. */
static void abandon_reap(http_server *srv, bool all)
{
    abandoned *ended = NULL;
    pthread_mutex_lock(&srv->abandon_mu);
    for (abandoned **p = &srv->abandons; *p;) {
        abandoned *ab = *p;
        if (all || ab->done) {
            *p = ab->next;
            ab->next = ended;
            ended = ab;
        } else {
            p = &ab->next;
        }
    }
    pthread_mutex_unlock(&srv->abandon_mu);
    while (ended) {   /* outside the lock: a thread not done takes it to end */
        abandoned *next = ended->next;
        pthread_join(ended->thread, NULL);
        free(ended);
        ended = next;
    }
}

/* Ends r's pending turn on a thread of its own; false when there is none
 * (out of memory or threads). */
static bool abandon_start(http_req *r)
{
    http_server *srv = r->srv;
    abandon_reap(srv, false);
    abandoned *ab = calloc(1, sizeof *ab);
    if (ab == NULL)
        return false;
    ab->r = r;
    pthread_mutex_lock(&srv->abandon_mu);
    if (pthread_create(&ab->thread, NULL, abandon_main, ab) != 0) {
        pthread_mutex_unlock(&srv->abandon_mu);
        free(ab);
        return false;
    }
    ab->next = srv->abandons;
    srv->abandons = ab;
    pthread_mutex_unlock(&srv->abandon_mu);
    return true;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    http_req *r = *con_cls;
    if (r == NULL)
        return;
    *con_cls = NULL;
    if (r->large_slot)
        atomic_fetch_sub(&large_uploads, 1);
    if (r->suspended)
        atomic_fetch_sub(&r->srv->suspended, 1);
    if (r->pending) {
        /* resumed (its wait is over), but the client went away before its
         * answer: the turn still ends, on a thread of its own (see
         * abandoned), or here when no thread can be had */
        if (abandon_start(r))
            return;
        log_warn("http: no thread for a turn whose client went away; it ends on the worker");
        engine_chat_abandon(r->srv->e, r->pending);
    }
    req_free(r);
}

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("http: %s", line);
}

/* ---- start and stop ------------------------------------------------------ */

/* Resolves bind_addr:port and returns a listening socket, or -1 with err. */
static int listen_on(const char *bind_addr, int port, int *is_v6, pt_error *err)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    int fd = -1, last_errno = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof portstr, "%d", port);
    if (bind_addr && bind_addr[0] == '\0')
        bind_addr = NULL;
    int g = getaddrinfo(bind_addr, portstr, &hints, &res);
    if (g != 0) {
        pt_fail(err, PT_ERR_IO, "bind address \"%s\": %s", bind_addr ? bind_addr : "*",
                gai_strerror(g));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
            *is_v6 = ai->ai_family == AF_INET6;
            break;
        }
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        pt_fail(err, PT_ERR_IO, "listen on %s:%d: %s", bind_addr ? bind_addr : "*", port,
                strerror(last_errno));
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

int http_server_start(engine *e, const char *bind_addr, int port, int threads,
                      http_server **out, pt_error *err)
{
    int rc = 0, fd = -1, is_v6 = 0;
    http_server *s = NULL;

    *out = NULL;
    if (port < 0 || port > 65535) {
        rc = pt_fail(err, PT_ERR_INVALID, "port %d is not from 0 to 65535", port);
        goto done;
    }
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    if (threads > 256)
        threads = 256;
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "http server: out of memory");
        goto done;
    }
    s->e = e;
    pthread_mutex_init(&s->abandon_mu, NULL);
    fd = listen_on(bind_addr, port, &is_v6, err);
    if (fd < 0) {
        rc = -PT_ERR_IO;
        goto done;
    }
    s->port = bound_port(fd);
    /* epoll, not poll: under chat load nearly every turn waits for its
     * commit suspended, and with epoll that is 3 more system calls (remove
     * from and add back to the epoll set, and a read that finds nothing
     * after the resume: 9.0 a chat message against 6.0 with MHD_USE_POLL),
     * but poll costs more in the loop (a pollfd array built over all of a
     * worker's connections on every wake): no difference in server CPU a
     * chat message in six alternating runs, /health 1-4 us more, and it
     * grows with idle keep-alive connections. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    if (is_v6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, s,
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
                            MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                            MHD_OPTION_END);
    if (s->d == NULL) {
        rc = pt_fail(err, PT_ERR_INTERNAL, "http server on port %d: libmicrohttpd did not start",
                     s->port);
        goto done;
    }
    fd = -1;   /* the daemon owns it now */
    log_info("http: listening on %s:%d with %d threads", bind_addr ? bind_addr : "*", s->port,
             threads);
    *out = s;
    s = NULL;
done:
    if (fd >= 0)
        close(fd);
    if (s)
        pthread_mutex_destroy(&s->abandon_mu);
    free(s);
    return rc;
}

int http_server_port(const http_server *s)
{
    return s ? s->port : -1;
}

void http_server_stop(http_server *s)
{
    if (s == NULL)
        return;
    if (s->d) {
        /* libmicrohttpd must not be stopped with suspended connections:
         * stop accepting, then let the turns in flight commit (the
         * committer runs until the engine closes, after this) */
        MHD_socket fd = MHD_quiesce_daemon(s->d);
        for (int i = 1; atomic_load(&s->suspended) > 0; i++) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
            if (i % 5000 == 0)
                log_warn("http: %d connections still wait for their commit",
                         atomic_load(&s->suspended));
        }
        MHD_stop_daemon(s->d);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
        abandon_reap(s, true);   /* the turns of clients gone end before the engine */
    }
    pthread_mutex_destroy(&s->abandon_mu);
    free(s);
}
