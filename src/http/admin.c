/*
 * admin.c - the admin API's handlers: login, and listing administration
 * for one tenant; see admin.h and docs/api.md.
 *
 * Every listing write goes through the importer: a single listing is
 * wrapped as a one-element JSON array (after jansson has checked that the
 * body is exactly one object), so the HTTP API, bulk uploads and the CLI
 * share one validator and one set of messages.  A listing is answered in
 * the same shape the importer reads (extra attributes flattened beside the
 * §3 fields), so what GET returns can be PUT back unchanged.
 *
 * After a write: the tenant's vectors are brought up to date (when an
 * embeddings provider is configured; its failure never fails the write),
 * the store handle is given back, and the engine reloads the tenant so
 * chat sees new localities at once.  Reloads are serialised, so the last
 * one always reads the last committed state.
 *
 * Not here: routing and body caps (server.c), token crypto (auth/).
 */
#include "http/admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "import/import.h"
#include "util/log.h"

#define ID_MAX 128
#define JSON_DEPTH_MAX 16
#define LISTINGS_PREFIX "/api/listings/"

static struct {
    bool ready;
    auth_key key;
    auth_limiter *limiter;
    embed_provider *embed;
    pthread_mutex_t reload_mu;
} G = {.reload_mu = PTHREAD_MUTEX_INITIALIZER};

int admin_init(const admin_config *cfg, pt_error *err)
{
    int rc = 0;
    if (G.ready)
        admin_shutdown();
    rc = auth_key_derive(cfg->secret, &G.key, err);
    if (rc)
        return rc;
    rc = auth_limiter_new(cfg->login_failures > 0 ? cfg->login_failures : ADMIN_LOGIN_FAILURES,
                          cfg->login_window > 0 ? cfg->login_window : ADMIN_LOGIN_WINDOW,
                          &G.limiter, err);
    if (rc)
        return rc;
    G.embed = cfg->embed;
    G.ready = true;
    return 0;
}

void admin_shutdown(void)
{
    G.ready = false;
    auth_limiter_free(G.limiter);
    G.limiter = NULL;
    G.embed = NULL;
    memset(&G.key, 0, sizeof G.key);
}

/* ---- small helpers -------------------------------------------------------- */

static bool valid_id(const char *s, size_t n)
{
    if (n == 0 || n > ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

const char *admin_listing_id(const char *url)
{
    size_t p = sizeof LISTINGS_PREFIX - 1;
    if (url == NULL || strncmp(url, LISTINGS_PREFIX, p) != 0)
        return NULL;
    const char *id = url + p;
    return valid_id(id, strlen(id)) ? id : NULL;
}

/* Answers o (taking it) with status. */
static int reply(const admin_request *q, admin_reply *out, int status, json_t *o, pt_error *err)
{
    /* 15 significant digits: 25.080377, not 25.080376999999999 */
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(o);
    if (text == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "out of memory");
    out->len = strlen(text);
    out->body = arena_strndup(q->a, text, out->len);
    free(text);
    if (out->body == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "out of memory");
    out->status = status;
    return 0;
}

/* Deepest nesting of arrays/objects outside strings, stopping past limit. */
static int json_depth(const char *s, size_t len, int limit)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len && max <= limit; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

/* The body as one JSON object (a new reference in *out). */
static int body_object(const admin_request *q, json_t **out, pt_error *err)
{
    json_error_t jerr;
    *out = NULL;
    if (q->body == NULL || q->len == 0)
        return pt_fail(err, PT_ERR_INVALID, "request body is empty (expected a JSON object)");
    if (json_depth(q->body, q->len, JSON_DEPTH_MAX) > JSON_DEPTH_MAX)
        return pt_fail(err, PT_ERR_INVALID, "request body is nested deeper than %d levels",
                       JSON_DEPTH_MAX);
    json_t *o = json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return pt_fail(err, PT_ERR_INVALID, "request body is not valid JSON (line %d, column "
                       "%d): %s", jerr.line, jerr.column, jerr.text);
    if (!json_is_object(o)) {
        json_decref(o);
        return pt_fail(err, PT_ERR_INVALID, "request body must be a JSON object");
    }
    *out = o;
    return 0;
}

/* A query argument as a whole number in [min, max]; def when absent. */
static int query_int(const admin_request *q, const char *name, long def, long min, long max,
                     long *out, pt_error *err)
{
    const char *v = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
    *out = def;
    if (v == NULL)
        return 0;
    long n = 0;
    size_t len = strlen(v);
    if (len == 0 || len > 10)
        return pt_fail(err, PT_ERR_INVALID, "\"%s\" must be a whole number from %ld to %ld",
                       name, min, max);
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return pt_fail(err, PT_ERR_INVALID, "\"%s\" must be a whole number from %ld to %ld",
                           name, min, max);
        n = n * 10 + (v[i] - '0');
    }
    if (n < min || n > max)
        return pt_fail(err, PT_ERR_INVALID, "\"%s\" must be a whole number from %ld to %ld",
                       name, min, max);
    *out = n;
    return 0;
}

static void client_address(struct MHD_Connection *conn, char *out, size_t size)
{
    snprintf(out, size, "unknown");
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

static json_t *str_or_null(const char *s)
{
    json_t *v = s ? json_string(s) : NULL;
    return v ? v : json_null();
}

/* A number that is whole as an integer, else a real. */
static json_t *num(double x)
{
    if (x == (double)(long long)x && x > -9e15 && x < 9e15)
        return json_integer((json_int_t)x);
    return json_real(x);
}

/* l in the importer's own shape: the §3 fields, amenities as a list, and
 * the extra attributes beside them. */
static json_t *listing_to_json(const listing *l)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "id", str_or_null(l->id));
    json_object_set_new(o, "title", str_or_null(l->title));
    json_object_set_new(o, "project", str_or_null(l->project));
    json_object_set_new(o, "developer", str_or_null(l->developer));
    json_object_set_new(o, "city", str_or_null(l->city));
    json_object_set_new(o, "locality", str_or_null(l->locality));
    json_object_set_new(o, "property_type", str_or_null(ptype_name(l->type)));
    json_object_set_new(o, "transaction", str_or_null(listing_tx_name(l->tx)));
    json_object_set_new(o, "bedrooms", l->bedrooms >= 0 ? json_integer(l->bedrooms) : json_null());
    json_object_set_new(o, "bathrooms", l->bathrooms >= 0 ? num(l->bathrooms) : json_null());
    json_object_set_new(o, "area_sqft", l->area_sqft >= 0 ? num(l->area_sqft) : json_null());
    json_object_set_new(o, "price", json_integer(l->price));
    json_object_set_new(o, "currency", json_stringn(l->currency, strnlen(l->currency, 3)));
    json_object_set_new(o, "units_available",
                        l->units_available >= 0 ? json_integer(l->units_available) : json_null());
    json_object_set_new(o, "status", str_or_null(lstatus_name(l->status)));
    json_object_set_new(o, "completion_date", str_or_null(l->completion_date));
    json_t *am = json_array();
    for (const char *p = l->amenities; p && *p;) {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n)
            json_array_append_new(am, json_stringn(p, n));
        p = e ? e + 1 : p + n;
    }
    json_object_set_new(o, "amenities", am);
    json_object_set_new(o, "latitude", l->has_geo ? json_real(l->latitude) : json_null());
    json_object_set_new(o, "longitude", l->has_geo ? json_real(l->longitude) : json_null());
    json_object_set_new(o, "rental_yield", l->rental_yield >= 0 ? num(l->rental_yield) : json_null());
    json_object_set_new(o, "description", str_or_null(l->description));
    json_t *attrs = l->attributes_json ? json_loads(l->attributes_json, 0, NULL) : NULL;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        if (json_object_get(o, k) == NULL)
            json_object_set(o, k, v);
    }
    json_decref(attrs);
    return o;
}

/* Refreshes the tenant's runtime in the engine (new localities, figures;
 * the pack and its trained model are kept). */
static void reload_tenant(engine *e, const char *slug)
{
    pt_error err = {0};
    pthread_mutex_lock(&G.reload_mu);
    if (engine_refresh_listings(e, slug, &err) != 0)
        log_warn("admin: reload of tenant \"%s\" after a write failed: %s", slug, err.msg);
    pthread_mutex_unlock(&G.reload_mu);
}

/* Adds what the embedding pass did to a JSON answer (only with a provider). */
static void embed_fields(json_t *o, const embed_report *r, bool single)
{
    if (G.embed == NULL)
        return;
    if (single)
        json_object_set_new(o, "embedded", json_boolean(r->embedded > 0));
    else
        json_object_set_new(o, "embedded", json_integer(r->embedded));
    if (r->error[0])
        json_object_set_new(o, "embed_error", json_string(r->error));
}

/* ---- authentication ------------------------------------------------------ */

int admin_authenticate(engine *e, struct MHD_Connection *conn, admin_principal *out,
                       pt_error *err)
{
    int rc = 0;
    const char *tok = NULL;
    size_t len = 0;
    auth_claims c;
    store *s = NULL;
    pt_error lookup = {0};

    memset(out, 0, sizeof *out);
    if (!G.ready)
        return pt_fail(err, PT_ERR_UNAVAILABLE, "the admin API is not configured");
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    rc = auth_bearer_parse(h, &tok, &len, err);
    if (rc)
        return rc;
    rc = auth_token_verify(&G.key, tok, len, (int64_t)time(NULL), &c, err);
    if (rc)
        return rc;
    out->user_id = c.user_id;
    out->role = c.role;
    out->exp = c.exp;
    const char *want = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "tenant");
    if (want && want[0] == '\0')
        want = NULL;
    if (want && strlen(want) >= sizeof out->t.slug)
        return pt_fail(err, c.role == ROLE_SUPER_ADMIN ? PT_ERR_NOT_FOUND : PT_ERR_FORBIDDEN,
                       "tenant \"%.40s...\" is not one this token may use", want);
    if (c.role == ROLE_SUPER_ADMIN && want == NULL)
        return 0;
    s = engine_store_get(e);
    if (c.role == ROLE_SUPER_ADMIN) {
        rc = s->ops->tenant_by_slug(s, want, &out->t, &lookup);
        if (rc == -PT_ERR_NOT_FOUND)
            rc = pt_fail(err, PT_ERR_NOT_FOUND, "tenant \"%s\" not found", want);
        else if (rc)
            rc = pt_fail(err, -rc, "%s", lookup.msg);
    } else {
        rc = s->ops->tenant_by_id(s, c.tenant, &out->t, &lookup);
        if (rc == -PT_ERR_NOT_FOUND)
            rc = pt_fail(err, PT_ERR_UNAUTHORIZED, "the token's tenant no longer exists");
        else if (rc)
            rc = pt_fail(err, -rc, "%s", lookup.msg);
        else if (want && strcmp(want, out->t.slug) != 0)
            rc = pt_fail(err, PT_ERR_FORBIDDEN, "this token belongs to tenant \"%s\" and cannot "
                         "act on \"%s\"", out->t.slug, want);
    }
    engine_store_put(e, s);
    out->has_tenant = rc == 0;
    return rc;
}

/* ---- login --------------------------------------------------------------- */

static int h_login(const admin_request *q, admin_reply *out, pt_error *err)
{
    int rc = 0;
    json_t *o = NULL;
    char addr[64], *token = NULL;
    store *s = NULL;
    store_user u;
    tenant t;

    rc = body_object(q, &o, err);
    if (rc)
        goto done;
    json_t *je = json_object_get(o, "email"), *jp = json_object_get(o, "password");
    if (je == NULL || jp == NULL) {
        rc = pt_fail(err, PT_ERR_MISSING, "\"email\" and \"password\" are required");
        goto done;
    }
    if (!json_is_string(je) || !json_is_string(jp)) {
        rc = pt_fail(err, PT_ERR_UNPROCESSABLE, "\"email\" and \"password\" must be strings");
        goto done;
    }
    client_address(q->conn, addr, sizeof addr);
    int wait = auth_limiter_check(G.limiter, addr, time(NULL));
    if (wait > 0) {
        rc = pt_fail(err, PT_ERR_RATE_LIMITED, "too many failed logins from this address; try "
                     "again in %d seconds", wait);
        goto done;
    }
    /* (jansson refuses \u0000 in strings, so both are plain C strings) */
    s = engine_store_get(q->e);
    rc = auth_login(s, json_string_value(je), json_string_value(jp), q->a, &u, err);
    if (rc == -PT_ERR_UNAUTHORIZED) {
        auth_limiter_fail(G.limiter, addr, time(NULL));
        log_info("admin: failed login from %s", addr);
        goto done;
    }
    if (rc)
        goto done;
    auth_role role = auth_role_from_name(u.role);
    memset(&t, 0, sizeof t);
    if (role != ROLE_SUPER_ADMIN) {
        pt_error e2 = {0};
        rc = s->ops->tenant_by_id(s, u.tenant, &t, &e2);
        if (rc) {
            rc = pt_fail(err, -rc, "login: %s", e2.msg);
            goto done;
        }
    }
    int64_t now = (int64_t)time(NULL);
    auth_claims c = {.user_id = u.id, .role = role, .tenant = role == ROLE_SUPER_ADMIN ? 0 : u.tenant,
                     .iat = now, .exp = now + AUTH_TOKEN_TTL};
    rc = auth_token_issue(&G.key, &c, &token, err);
    if (rc)
        goto done;
    json_t *r = json_pack("{s:s,s:s,s:i,s:s,s:o}", "token", token, "token_type", "Bearer",
                          "expires_in", AUTH_TOKEN_TTL, "role", u.role, "tenant",
                          role == ROLE_SUPER_ADMIN ? json_null() : json_string(t.slug));
    rc = reply(q, out, 200, r, err);
done:
    if (s)
        engine_store_put(q->e, s);
    free(token);
    json_decref(o);
    return rc;
}

static int h_me(const admin_request *q, admin_reply *out, pt_error *err)
{
    const admin_principal *w = q->who;
    json_t *o = json_pack("{s:I,s:s,s:I}", "user_id", (json_int_t)w->user_id, "role",
                          auth_role_name(w->role), "exp", (json_int_t)w->exp);
    if (o && w->has_tenant) {
        json_object_set_new(o, "tenant", json_string(w->t.slug));
        json_object_set_new(o, "tenant_id", json_integer(w->t.id));
    } else if (o) {
        json_object_set_new(o, "tenant", json_null());
        json_object_set_new(o, "tenant_id", json_null());
    }
    return reply(q, out, 200, o, err);
}

/* ---- listings ------------------------------------------------------------- */

static int h_list(const admin_request *q, admin_reply *out, pt_error *err)
{
    int rc = 0;
    long limit, offset;
    listing *ls = NULL;
    int n = 0;
    int64_t total = 0;
    store *s = NULL;

    rc = query_int(q, "limit", ADMIN_PAGE_DEFAULT, 1, ADMIN_PAGE_MAX, &limit, err);
    if (rc == 0)
        rc = query_int(q, "offset", 0, 0, 1000000000L, &offset, err);
    if (rc)
        return rc;
    s = engine_store_get(q->e);
    rc = s->ops->listing_count(s, q->who->t.id, &total, err);
    if (rc == 0)
        rc = s->ops->listing_page(s, q->who->t.id, NULL, offset, (int)limit, q->a, &ls, &n, err);
    engine_store_put(q->e, s);
    if (rc)
        return rc;
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++)
        json_array_append_new(arr, listing_to_json(&ls[i]));
    json_t *o = json_pack("{s:o,s:I,s:i,s:i}", "listings", arr, "total", (json_int_t)total,
                          "limit", (int)limit, "offset", (int)offset);
    return reply(q, out, 200, o, err);
}

/* Upserts the one listing object obj through the importer.  A rejected row
 * is 422 with the importer's message. */
static int write_one(const admin_request *q, store *s, json_t *obj, pt_error *err)
{
    int rc = 0;
    json_t *arr = json_array();
    char *text = NULL;
    import_report *rep = arena_alloc(q->a, sizeof *rep);

    if (arr == NULL || rep == NULL || json_array_append(arr, obj) != 0 ||
        (text = json_dumps(arr, JSON_COMPACT)) == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = import_buffer(s, &q->who->t, text, strlen(text), rep, err);
    if (rc)
        goto done;
    if (rep->rejected > 0) {
        rc = pt_fail(err, PT_ERR_UNPROCESSABLE, "%s",
                     rep->n_errors ? rep->errors[0].message : "the listing was rejected");
        goto done;
    }
    if (rep->imported != 1)
        rc = pt_fail(err, PT_ERR_UNPROCESSABLE, "the listing was not stored (an off-market "
                     "record removes a listing: use DELETE)");
done:
    free(text);
    json_decref(arr);
    return rc;
}

/* After a single write: embed it, answer it, reload the tenant. */
static int finish_write(const admin_request *q, store **sp, const char *id, int status,
                        admin_reply *out, pt_error *err)
{
    int rc = 0;
    listing l;
    embed_report er;
    store *s = *sp;

    memset(&er, 0, sizeof er);
    rc = s->ops->listing_get(s, q->who->t.id, id, q->a, &l, err);
    if (rc)
        return rc;
    if (G.embed) {
        rc = embed_listings(G.embed, s, q->who->t.id, &l, 1, &er, err);
        if (rc)
            return rc;
    }
    engine_store_put(q->e, s);
    *sp = NULL;
    reload_tenant(q->e, q->who->t.slug);
    json_t *o = json_object();
    if (o) {
        json_object_set_new(o, "listing", listing_to_json(&l));
        embed_fields(o, &er, true);
    }
    return reply(q, out, status, o, err);
}

/* The id member of obj as text, NULL when absent; *bad for a non-scalar. */
static const char *member_id(json_t *obj, arena *a, bool *bad)
{
    json_t *v = json_object_get(obj, "id");
    *bad = false;
    if (v == NULL || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        return arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    *bad = true;
    return NULL;
}

static int h_create(const admin_request *q, admin_reply *out, pt_error *err)
{
    int rc = 0;
    json_t *o = NULL;
    store *s = NULL;
    listing l;
    bool bad;

    rc = body_object(q, &o, err);
    if (rc)
        goto done;
    const char *id = member_id(o, q->a, &bad);
    if (bad) {
        rc = pt_fail(err, PT_ERR_UNPROCESSABLE, "id must be a string");
        goto done;
    }
    if (id == NULL) {
        rc = pt_fail(err, PT_ERR_MISSING, "id is missing");
        goto done;
    }
    id = arena_strdup(q->a, id);
    s = engine_store_get(q->e);
    pt_error probe = {0};
    rc = s->ops->listing_get(s, q->who->t.id, id, q->a, &l, &probe);
    if (rc == 0) {
        rc = pt_fail(err, PT_ERR_CONFLICT, "listing \"%.128s\" already exists (PUT or PATCH "
                     "/api/listings/{id} changes it)", id);
        goto done;
    }
    if (rc != -PT_ERR_NOT_FOUND) {
        rc = pt_fail(err, -rc, "%s", probe.msg);
        goto done;
    }
    rc = write_one(q, s, o, err);
    if (rc == 0)
        rc = finish_write(q, &s, id, 201, out, err);
done:
    if (s)
        engine_store_put(q->e, s);
    json_decref(o);
    return rc;
}

/* PUT (replace) and PATCH (merge) of /api/listings/{id}. */
static int change(const admin_request *q, bool merge, admin_reply *out, pt_error *err)
{
    int rc = 0;
    json_t *o = NULL, *cur = NULL;
    store *s = NULL;
    listing l;
    bool bad;
    const char *id = admin_listing_id(q->url);

    if (id == NULL)
        return pt_fail(err, PT_ERR_NOT_FOUND, "no such listing");
    rc = body_object(q, &o, err);
    if (rc)
        goto done;
    const char *bid = member_id(o, q->a, &bad);
    if (bad || (bid && strcmp(bid, id) != 0)) {
        rc = pt_fail(err, PT_ERR_UNPROCESSABLE, "the id in the body differs from the id in the "
                     "path (a listing's id cannot change)");
        goto done;
    }
    s = engine_store_get(q->e);
    rc = s->ops->listing_get(s, q->who->t.id, id, q->a, &l, err);
    if (rc)
        goto done;
    if (merge) {
        cur = listing_to_json(&l);
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v) {
            if (json_is_null(v))
                json_object_del(cur, k);
            else
                json_object_set(cur, k, v);
        }
        void *tmp;
        json_object_foreach_safe(cur, tmp, k, v) {
            if (json_is_null(v))
                json_object_del(cur, k);
        }
    } else {
        cur = json_copy(o);
    }
    if (cur == NULL || json_object_set_new(cur, "id", json_string(id)) != 0) {
        rc = pt_fail(err, PT_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = write_one(q, s, cur, err);
    if (rc == 0)
        rc = finish_write(q, &s, id, 200, out, err);
done:
    if (s)
        engine_store_put(q->e, s);
    json_decref(cur);
    json_decref(o);
    return rc;
}

static int h_put(const admin_request *q, admin_reply *out, pt_error *err)
{
    return change(q, false, out, err);
}

static int h_patch(const admin_request *q, admin_reply *out, pt_error *err)
{
    return change(q, true, out, err);
}

static int h_get(const admin_request *q, admin_reply *out, pt_error *err)
{
    listing l;
    const char *id = admin_listing_id(q->url);
    if (id == NULL)
        return pt_fail(err, PT_ERR_NOT_FOUND, "no such listing");
    store *s = engine_store_get(q->e);
    int rc = s->ops->listing_get(s, q->who->t.id, id, q->a, &l, err);
    engine_store_put(q->e, s);
    if (rc)
        return rc;
    json_t *o = json_object();
    if (o)
        json_object_set_new(o, "listing", listing_to_json(&l));
    return reply(q, out, 200, o, err);
}

static int h_delete(const admin_request *q, admin_reply *out, pt_error *err)
{
    int rc = 0;
    const char *id = admin_listing_id(q->url);
    if (id == NULL)
        return pt_fail(err, PT_ERR_NOT_FOUND, "no such listing");
    store *s = engine_store_get(q->e);
    /* the listing and its vector in one transaction */
    rc = s->ops->import_begin(s, err);
    if (rc == 0) {
        rc = s->ops->listing_delete(s, q->who->t.id, id, err);
        if (rc == 0)
            rc = s->ops->vector_delete(s, q->who->t.id, id, err);
        if (rc == 0)
            rc = s->ops->import_commit(s, err);
        else
            s->ops->import_rollback(s);
    }
    engine_store_put(q->e, s);
    if (rc)
        return rc;
    reload_tenant(q->e, q->who->t.slug);
    return reply(q, out, 200, json_pack("{s:s}", "deleted", id), err);
}

static int h_import(const admin_request *q, admin_reply *out, pt_error *err)
{
    int rc = 0;
    import_report *rep = NULL;
    embed_report er;
    char *text = NULL;
    json_t *o = NULL;
    store *s = NULL;

    memset(&er, 0, sizeof er);
    if (q->body == NULL || q->len == 0)
        return pt_fail(err, PT_ERR_UNPROCESSABLE, "the upload is empty (send CSV, a JSON array "
                       "or a RESO payload as the body)");
    rep = calloc(1, sizeof *rep);
    if (rep == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "out of memory");
    s = engine_store_get(q->e);
    rc = import_buffer(s, &q->who->t, q->body, q->len, rep, err);
    if (rc) {
        /* a file the importer cannot read at all is a validation error */
        if (rc == -PT_ERR_INVALID) {
            err->code = PT_ERR_UNPROCESSABLE;
            rc = -PT_ERR_UNPROCESSABLE;
        }
        if (rep->imported > 0) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, " (%ld rows were stored before it)",
                     rep->imported);
        }
        goto done;
    }
    if (G.embed && rep->imported > 0) {
        rc = embed_sync_tenant(G.embed, s, q->who->t.id, ADMIN_EMBED_BUDGET_MS, &er, err);
        if (rc)
            goto done;
    }
    engine_store_put(q->e, s);
    s = NULL;
    if (rep->imported > 0 || rep->removed > 0)
        reload_tenant(q->e, q->who->t.slug);
    text = import_report_json(rep);
    o = text ? json_loads(text, 0, NULL) : NULL;
    if (o == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "out of memory");
        goto done;
    }
    embed_fields(o, &er, false);
    rc = reply(q, out, 200, o, err);
    o = NULL;
done:
    if (s)
        engine_store_put(q->e, s);
    json_decref(o);
    free(text);
    free(rep);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------- */

enum { A_PUBLIC = 1, A_TENANT = 2, A_WRITE = 4 };

typedef struct admin_route {
    const char *method, *path;
    int (*fn)(const admin_request *q, admin_reply *out, pt_error *err);
    int flags;
} admin_route;

static const admin_route admin_routes[] = {
    {"POST", "/api/auth/login", h_login, A_PUBLIC},
    {"GET", "/api/auth/me", h_me, 0},
    {"GET", "/api/listings", h_list, A_TENANT},
    {"POST", "/api/listings", h_create, A_TENANT | A_WRITE},
    {"POST", "/api/listings/import", h_import, A_TENANT | A_WRITE},
    {"GET", "/api/listings/*", h_get, A_TENANT},
    {"PUT", "/api/listings/*", h_put, A_TENANT | A_WRITE},
    {"PATCH", "/api/listings/*", h_patch, A_TENANT | A_WRITE},
    {"DELETE", "/api/listings/*", h_delete, A_TENANT | A_WRITE},
};

size_t admin_body_max(const char *method, const char *route)
{
    if (method && route && strcmp(method, "POST") == 0 &&
        strcmp(route, "/api/listings/import") == 0)
        return ADMIN_IMPORT_BODY_MAX;
    return 0;
}

int admin_handle(const admin_request *q, admin_reply *out, pt_error *err)
{
    const admin_route *r = NULL;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof admin_routes / sizeof admin_routes[0]; i++)
        if (strcmp(admin_routes[i].method, q->method) == 0 &&
            strcmp(admin_routes[i].path, q->route) == 0)
            r = &admin_routes[i];
    if (r == NULL)
        return pt_fail(err, PT_ERR_METHOD, "method not allowed for this path");
    if (!G.ready)
        return pt_fail(err, PT_ERR_UNAVAILABLE, "the admin API is not configured");
    if (!(r->flags & A_PUBLIC)) {
        if (q->who == NULL)
            return pt_fail(err, PT_ERR_UNAUTHORIZED, "a Bearer token is required");
        if ((r->flags & A_WRITE) && q->who->role == ROLE_AGENT)
            return pt_fail(err, PT_ERR_FORBIDDEN, "an agent may read listings but not change "
                           "them");
        if ((r->flags & A_TENANT) && !q->who->has_tenant)
            return pt_fail(err, PT_ERR_INVALID, "a super_admin must name the tenant: add "
                           "?tenant=SLUG");
    }
    return r->fn(q, out, err);
}
