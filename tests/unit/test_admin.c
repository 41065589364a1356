/*
 * test_admin.c - the admin API end to end (src/http/admin.c through the
 * real server): a real engine on a temporary SQLite store, the server on a
 * free loopback port, libcurl as the client.
 *
 * Checked: logins (and that a wrong password reads like an unknown email),
 * every way a token is refused, the roles (agent reads but may not write,
 * a tenant's token never reaches another tenant, a super_admin must name
 * the tenant), listing create / read / replace / merge / delete / pages,
 * validation messages, bulk import of CSV, JSON and RESO with the CLI's
 * report, the body caps (a 1 MiB import passes the 64 KiB chat cap; past
 * 64 MiB is refused before the body is sent; so is an upload without a
 * token), chat seeing a new locality at once, the failed-login limiter,
 * and the embeddings of written listings against the fake provider.
 */
#include "test.h"
#include "fake_embed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <jansson.h>
#include <sodium.h>

#include "auth/auth.h"
#include "engine/engine.h"
#include "http/admin.h"
#include "http/server.h"
#include "provider/embed.h"
#include "store/store.h"

#define SECRET "unit-admin-secret"
#define PASSWORD "correct horse battery"

static char dir[64];
static engine *eng;
static http_server *srv;
static int port;
static tenant acme, beta;
static char tok_super[1024], tok_boss[1024], tok_agent[1024], tok_bob[1024];

typedef struct resp {
    long status;
    json_t *json;       /* parsed body or NULL */
    buf body;
    char www_auth[64];
} resp;

static size_t on_header(char *d, size_t s, size_t n, void *ctx)
{
    resp *r = ctx;
    size_t len = s * n;
    if (len > 18 && strncasecmp(d, "WWW-Authenticate: ", 18) == 0)
        snprintf(r->www_auth, sizeof r->www_auth, "%.*s", (int)(len - 18 - 2), d + 18);
    return len;
}

static size_t on_body(char *d, size_t s, size_t n, void *ctx)
{
    buf_append(&((resp *)ctx)->body, d, s * n);
    return s * n;
}

typedef struct upload {
    size_t left;
} upload;

static size_t gen_body(char *d, size_t s, size_t n, void *ctx)
{
    upload *u = ctx;
    size_t k = s * n < u->left ? s * n : u->left;
    memset(d, 'x', k);
    u->left -= k;
    return k;
}

/* One request.  body may be NULL; big > 0 streams that many bytes instead
 * (with Expect: 100-continue).  token NULL: no Authorization header. */
static void call(const char *method, const char *path, const char *token, const char *body,
                 size_t big, resp *r)
{
    char url[512], auth[1100];
    struct curl_slist *h = NULL;
    upload u = {big};
    memset(r, 0, sizeof *r);
    r->body = (buf)BUF_INIT(0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    if (big) {
        h = curl_slist_append(h, "Expect: 100-continue");
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)big);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, gen_body);
        curl_easy_setopt(c, CURLOPT_READDATA, &u);
        curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 10000L);
    } else if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    r->json = json_loads(buf_cstr(&r->body), 0, NULL);
}

static void resp_free(resp *r)
{
    json_decref(r->json);
    buf_free(&r->body);
}

static const char *err_code(const resp *r)
{
    const char *c = json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
    return c ? c : "";
}

static const char *err_msg(const resp *r)
{
    const char *m = json_string_value(json_object_get(json_object_get(r->json, "error"),
                                                      "message"));
    return m ? m : "";
}

static const char *get_str(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(o, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_string_value(v) ? json_string_value(v) : "";
}

static long long get_int(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(o, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_is_integer(v) ? json_integer_value(v) : -999;
}

/* Logs in; the token into out (size 1024).  Returns the status. */
static long login(const char *email, const char *password, char *out)
{
    resp r;
    json_t *b = json_pack("{s:s,s:s}", "email", email, "password", password);
    char *text = json_dumps(b, 0);
    call("POST", "/api/auth/login", NULL, text, 0, &r);
    if (out)
        snprintf(out, 1024, "%s", get_str(r.json, "token", NULL));
    long st = r.status;
    free(text);
    json_decref(b);
    resp_free(&r);
    return st;
}

static void make_user(store *s, const char *email, const char *role, tenant_id t)
{
    char hash[crypto_pwhash_STRBYTES];
    pt_error err = {0};
    if (crypto_pwhash_str(hash, PASSWORD, strlen(PASSWORD), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        exit(1);
    store_user u = {.email = email, .role = role, .tenant = t, .password_hash = hash};
    if (s->ops->user_create(s, &u, &err) != 0) {
        fprintf(stderr, "user %s: %s\n", email, err.msg);
        exit(1);
    }
}

static void make_tenant(store *s, tenant *t, const char *slug)
{
    pt_error err = {0};
    memset(t, 0, sizeof *t);
    snprintf(t->slug, sizeof t->slug, "%s", slug);
    memcpy(t->currency, "AED", 4);
    memcpy(t->region, "AE", 3);
    snprintf(t->timezone, sizeof t->timezone, "Asia/Dubai");
    if (s->ops->tenant_create(s, t, NULL, &err) != 0) {
        fprintf(stderr, "tenant: %s\n", err.msg);
        exit(1);
    }
}

static void admin_setup(embed_provider *p, int failures)
{
    pt_error err = {0};
    admin_config cfg = {.secret = SECRET, .embed = p, .login_failures = failures};
    if (admin_init(&cfg, &err) != 0) {
        fprintf(stderr, "admin_init: %s\n", err.msg);
        exit(1);
    }
}

static void setup(void)
{
    pt_error err = {0};
    char cmd[512], url[128], packs[128];
    snprintf(dir, sizeof dir, "/tmp/pt_admin_XXXXXX");
    if (mkdtemp(dir) == NULL)
        exit(1);
    snprintf(packs, sizeof packs, "%s/packs", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/default/intents && cp -r packs/default/. %s/default/ "
             "&& rm -f %s/default/intents/*.json", packs, packs, packs);
    if (system(cmd) != 0)
        exit(1);
    snprintf(cmd, sizeof cmd, "%s/default/intents/en.json", packs);
    FILE *f = fopen(cmd, "w");
    if (f == NULL)
        exit(1);
    fputs("{\"intents\": {\"greeting\": [\"hello\", \"hi there\"],"
          " \"property_search\": [\"2 bedroom apartment\", \"looking for a villa\"]}}\n", f);
    fclose(f);

    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    store *s = NULL;
    if (store_open(url, &s, &err) != 0)
        exit(1);
    make_tenant(s, &acme, "acme");
    make_tenant(s, &beta, "beta");
    make_user(s, "root@admin.test", "super_admin", 0);
    make_user(s, "boss@acme.test", "tenant_admin", acme.id);
    make_user(s, "agent@acme.test", "agent", acme.id);
    make_user(s, "bob@beta.test", "tenant_admin", beta.id);
    store_close(s);

    engine_config cfg = {.db_url = url, .packs_dir = packs, .store_handles = 3};
    if (engine_open(&cfg, &eng, &err) != 0) {
        fprintf(stderr, "engine_open: %s\n", err.msg);
        exit(1);
    }
    admin_setup(NULL, 0);
    if (http_server_start(eng, "127.0.0.1", 0, 2, &srv, &err) != 0) {
        fprintf(stderr, "http_server_start: %s\n", err.msg);
        exit(1);
    }
    port = http_server_port(srv);
}

/* ---- tests ------------------------------------------------------------------ */

TEST(test_login)
{
    resp r;
    CHECK_INT(login("root@admin.test", PASSWORD, tok_super), 200);
    CHECK_INT(login("boss@acme.test", PASSWORD, tok_boss), 200);
    CHECK_INT(login("Agent@ACME.test", PASSWORD, tok_agent), 200);
    CHECK_INT(login("bob@beta.test", PASSWORD, tok_bob), 200);
    CHECK(strncmp(tok_boss, "eyJ", 3) == 0, "a JWT: %s", tok_boss);

    call("POST", "/api/auth/login", NULL,
         "{\"email\":\"boss@acme.test\",\"password\":\"" PASSWORD "\"}", 0, &r);
    CHECK_STR(get_str(r.json, "role", NULL), "tenant_admin");
    CHECK_STR(get_str(r.json, "tenant", NULL), "acme");
    CHECK_STR(get_str(r.json, "token_type", NULL), "Bearer");
    CHECK_INT(get_int(r.json, "expires_in", NULL), AUTH_TOKEN_TTL);
    /* the claims the contract names */
    auth_key k;
    auth_claims c;
    pt_error err = {0};
    auth_key_derive(SECRET, &k, &err);
    const char *t = get_str(r.json, "token", NULL);
    CHECK(auth_token_verify(&k, t, strlen(t), time(NULL), &c, &err) == 0, "verify: %s", err.msg);
    CHECK_INT(c.tenant, acme.id);
    CHECK_INT(c.role, ROLE_TENANT_ADMIN);
    CHECK(c.exp > time(NULL) + AUTH_TOKEN_TTL - 60, "exp");
    resp_free(&r);

    resp w, u;
    call("POST", "/api/auth/login", NULL, "{\"email\":\"boss@acme.test\",\"password\":\"nope\"}",
         0, &w);
    call("POST", "/api/auth/login", NULL, "{\"email\":\"ghost@acme.test\",\"password\":\"nope\"}",
         0, &u);
    CHECK_INT(w.status, 401);
    CHECK_INT(u.status, 401);
    CHECK_STR(err_msg(&w), err_msg(&u));
    CHECK_STR(err_msg(&w), "invalid email or password");
    CHECK(strcmp(get_str(w.json, "token", NULL), "") == 0, "no token");
    resp_free(&w);
    resp_free(&u);

    static const struct {
        const char *body;
        long status;
    } bad[] = {
        {"{\"email\":\"boss@acme.test\"}", 422},
        {"{\"password\":\"x\"}", 422},
        {"{\"email\":5,\"password\":\"x\"}", 422},
        {"not json", 400},
        {"[]", 400},
        {"", 400},
        {"{\"email\":\"boss@acme.test\",\"password\":\"" PASSWORD "\\u0000x\"}", 400},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call("POST", "/api/auth/login", NULL, bad[i].body, 0, &r);
        CHECK(r.status == bad[i].status && err_code(&r)[0], "%s: %ld %s", bad[i].body, r.status,
              buf_cstr(&r.body));
        resp_free(&r);
    }
    call("GET", "/api/auth/login", NULL, NULL, 0, &r);
    CHECK_INT(r.status, 405);
    resp_free(&r);
}

TEST(test_tokens_refused)
{
    resp r;
    call("GET", "/api/listings", NULL, NULL, 0, &r);
    CHECK_INT(r.status, 401);
    CHECK_STR(r.www_auth, "Bearer");
    CHECK(strstr(err_msg(&r), "Authorization") != NULL, "msg %s", err_msg(&r));
    resp_free(&r);

    /* forged, expired, other key, garbage */
    auth_key k, other;
    pt_error err = {0};
    auth_key_derive(SECRET, &k, &err);
    auth_key_derive("another secret", &other, &err);
    int64_t now = time(NULL);
    auth_claims c = {.user_id = 2, .role = ROLE_TENANT_ADMIN, .tenant = acme.id,
                     .iat = now - 100, .exp = now - 1};
    char *expired = NULL, *foreign = NULL, *ghost = NULL;
    auth_token_issue(&k, &c, &expired, &err);
    c.exp = now + 100;
    auth_token_issue(&other, &c, &foreign, &err);
    c.tenant = 9999;
    auth_token_issue(&k, &c, &ghost, &err);
    const char *tokens[] = {expired, foreign, ghost, "abc", "a.b.c", ""};
    const char *want[] = {"expired", "signature", "tenant no longer exists", "not a JWT",
                          "signature", "no token"};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        call("GET", "/api/listings", tokens[i], NULL, 0, &r);
        CHECK(r.status == 401 && strstr(err_msg(&r), want[i]), "token %zu: %ld %s", i, r.status,
              err_msg(&r));
        resp_free(&r);
    }
    free(expired);
    free(foreign);
    free(ghost);

    /* roles and tenants */
    call("GET", "/api/listings", tok_super, NULL, 0, &r);
    CHECK(r.status == 400 && strstr(err_msg(&r), "?tenant="), "super without tenant: %ld %s",
          r.status, err_msg(&r));
    resp_free(&r);
    call("GET", "/api/listings?tenant=nope", tok_super, NULL, 0, &r);
    CHECK_INT(r.status, 404);
    resp_free(&r);
    call("GET", "/api/listings?tenant=acme", tok_super, NULL, 0, &r);
    CHECK_INT(r.status, 200);
    resp_free(&r);
    call("GET", "/api/listings?tenant=beta", tok_boss, NULL, 0, &r);
    CHECK(r.status == 403 && strstr(err_msg(&r), "acme"), "other tenant: %ld", r.status);
    resp_free(&r);
    call("GET", "/api/listings?tenant=acme", tok_boss, NULL, 0, &r);
    CHECK_INT(r.status, 200);
    resp_free(&r);
    call("POST", "/api/listings", tok_agent, "{\"id\":\"X\"}", 0, &r);
    CHECK(r.status == 403 && strcmp(err_code(&r), "forbidden") == 0, "agent write: %ld", r.status);
    resp_free(&r);
    call("DELETE", "/api/listings/A1", tok_agent, NULL, 0, &r);
    CHECK_INT(r.status, 403);
    resp_free(&r);
    call("POST", "/api/listings/import", tok_agent, "id,title\n", 0, &r);
    CHECK_INT(r.status, 403);
    resp_free(&r);
    call("GET", "/api/listings", tok_agent, NULL, 0, &r);
    CHECK_INT(r.status, 200);
    resp_free(&r);
    call("GET", "/api/auth/me", tok_agent, NULL, 0, &r);
    CHECK(r.status == 200 && strcmp(get_str(r.json, "role", NULL), "agent") == 0 &&
          strcmp(get_str(r.json, "tenant", NULL), "acme") == 0, "me: %s", buf_cstr(&r.body));
    resp_free(&r);
    call("GET", "/api/auth/me", tok_super, NULL, 0, &r);
    CHECK(r.status == 200 && json_is_null(json_object_get(r.json, "tenant")), "me super");
    resp_free(&r);
}

static const char VILLA[] =
    "{\"id\":\"A1\",\"title\":\"Palm villa\",\"locality\":\"Zeta Gardens\",\"city\":\"Dubai\","
    "\"property_type\":\"villa\",\"transaction\":\"sale\",\"bedrooms\":4,\"price\":5000000,"
    "\"amenities\":[\"pool\",\"garden\"],\"latitude\":25.1,\"longitude\":55.2,\"view\":\"sea\"}";

TEST(test_crud)
{
    resp r;
    call("POST", "/api/listings", tok_boss, VILLA, 0, &r);
    CHECK(r.status == 201, "create: %ld %s", r.status, buf_cstr(&r.body));
    json_t *l = json_object_get(r.json, "listing");
    CHECK_STR(get_str(l, "id", NULL), "A1");
    CHECK_STR(get_str(l, "currency", NULL), "AED");
    CHECK_STR(get_str(l, "view", NULL), "sea");
    CHECK_INT(json_array_size(json_object_get(l, "amenities")), 2);
    CHECK(json_object_get(r.json, "embedded") == NULL, "no provider: no embedded field");
    resp_free(&r);

    call("POST", "/api/listings", tok_boss, VILLA, 0, &r);
    CHECK(r.status == 409 && strcmp(err_code(&r), "conflict") == 0, "again: %ld", r.status);
    resp_free(&r);

    /* what GET gives can be PUT back unchanged */
    call("GET", "/api/listings/A1", tok_agent, NULL, 0, &r);
    CHECK_INT(r.status, 200);
    char *again = json_dumps(json_object_get(r.json, "listing"), JSON_SORT_KEYS);
    resp_free(&r);
    call("PUT", "/api/listings/A1", tok_boss, again, 0, &r);
    CHECK_INT(r.status, 200);
    char *after = json_dumps(json_object_get(r.json, "listing"), JSON_SORT_KEYS);
    CHECK_STR(after, again);
    free(again);
    free(after);
    resp_free(&r);

    /* PATCH merges, null removes */
    call("PATCH", "/api/listings/A1", tok_boss, "{\"price\":5200000,\"view\":null,\"bedrooms\":null}",
         0, &r);
    l = json_object_get(r.json, "listing");
    CHECK(r.status == 200 && get_int(l, "price", NULL) == 5200000 &&
          json_object_get(l, "view") == NULL && json_is_null(json_object_get(l, "bedrooms")) &&
          strcmp(get_str(l, "title", NULL), "Palm villa") == 0, "patch: %s", buf_cstr(&r.body));
    resp_free(&r);

    /* PUT replaces: what is not sent is gone */
    call("PUT", "/api/listings/A1", tok_boss,
         "{\"title\":\"Palm villa\",\"property_type\":\"villa\",\"transaction\":\"sale\","
         "\"price\":4900000}", 0, &r);
    l = json_object_get(r.json, "listing");
    CHECK(r.status == 200 && json_is_null(json_object_get(l, "locality")) &&
          get_int(l, "price", NULL) == 4900000, "put: %s", buf_cstr(&r.body));
    resp_free(&r);

    static const struct {
        const char *method, *path, *body;
        long status;
        const char *want;
    } bad[] = {
        {"PUT", "/api/listings/NOPE", "{\"title\":\"x\"}", 404, "no such listing"},
        {"PATCH", "/api/listings/NOPE", "{\"title\":\"x\"}", 404, "no such listing"},
        {"GET", "/api/listings/NOPE", NULL, 404, "no such listing"},
        {"DELETE", "/api/listings/NOPE", NULL, 404, "no such listing"},
        {"PUT", "/api/listings/A1", "{\"id\":\"B2\",\"title\":\"x\"}", 422, "differs"},
        {"PATCH", "/api/listings/A1", "{\"property_type\":\"castle\"}", 422, "castle"},
        {"PATCH", "/api/listings/A1", "{\"price\":\"cheap\"}", 422, "price"},
        {"PATCH", "/api/listings/A1", "[1]", 400, "JSON object"},
        {"PATCH", "/api/listings/A1", "{\"a\":1,\"a\":2}", 400, "not valid JSON"},
        {"POST", "/api/listings", "{\"title\":\"no id\"}", 422, "id is missing"},
        {"POST", "/api/listings", "{\"id\":\"C1\",\"title\":\"t\",\"property_type\":\"villa\","
                                  "\"transaction\":\"sale\"}", 422, "price is missing"},
        {"POST", "/api/listings", "{\"id\":{\"x\":1}}", 422, "id must be a string"},
        {"POST", "/api/listings", "{\"id\":\"C1\",\"amenities\":[1,2]}", 422, "amenities"},
        {"POST", "/api/listings", "{{{{", 400, "not valid JSON"},
        {"GET", "/api/listings?limit=0", NULL, 400, "limit"},
        {"GET", "/api/listings?limit=201", NULL, 400, "limit"},
        {"GET", "/api/listings?limit=x", NULL, 400, "limit"},
        {"GET", "/api/listings?offset=-1", NULL, 400, "offset"},
        {"PUT", "/api/listings", "{}", 405, "method"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call(bad[i].method, bad[i].path, tok_boss, bad[i].body, 0, &r);
        CHECK(r.status == bad[i].status && strstr(err_msg(&r), bad[i].want),
              "%s %s: %ld %s", bad[i].method, bad[i].path, r.status, buf_cstr(&r.body));
        resp_free(&r);
    }
    /* deeply nested bodies are refused before jansson sees them */
    buf deep = BUF_INIT(0);
    buf_puts(&deep, "{\"id\":");
    for (int i = 0; i < 5000; i++)
        buf_putc(&deep, '[');
    call("POST", "/api/listings", tok_boss, buf_cstr(&deep), 0, &r);
    CHECK(r.status == 400 && strstr(err_msg(&r), "nested"), "deep: %ld", r.status);
    resp_free(&r);
    buf_free(&deep);

    /* another tenant's token never sees it */
    call("GET", "/api/listings/A1", tok_bob, NULL, 0, &r);
    CHECK_INT(r.status, 404);
    resp_free(&r);
    call("DELETE", "/api/listings/A1", tok_bob, NULL, 0, &r);
    CHECK_INT(r.status, 404);
    resp_free(&r);
    call("PUT", "/api/listings/A1", tok_bob, "{\"title\":\"mine\"}", 0, &r);
    CHECK_INT(r.status, 404);
    resp_free(&r);
    call("GET", "/api/listings/A1?tenant=acme", tok_super, NULL, 0, &r);
    CHECK_INT(r.status, 200);
    resp_free(&r);

    /* ids with spaces and slashes round-trip through the path */
    call("POST", "/api/listings", tok_boss,
         "{\"id\":\"unit 7/B\",\"title\":\"t\",\"property_type\":\"shop\",\"transaction\":\"rent\","
         "\"price\":90000}", 0, &r);
    CHECK_INT(r.status, 201);
    resp_free(&r);
    call("GET", "/api/listings/unit%207%2FB", tok_boss, NULL, 0, &r);
    CHECK(r.status == 200 && strcmp(get_str(json_object_get(r.json, "listing"), "id", NULL),
                                    "unit 7/B") == 0, "escaped id: %ld", r.status);
    resp_free(&r);
    call("DELETE", "/api/listings/unit%207%2FB", tok_boss, NULL, 0, &r);
    CHECK(r.status == 200 && strcmp(get_str(r.json, "deleted", NULL), "unit 7/B") == 0, "delete");
    resp_free(&r);
    call("GET", "/api/listings/unit%207%2FB", tok_boss, NULL, 0, &r);
    CHECK_INT(r.status, 404);
    resp_free(&r);
}

TEST(test_import_and_pages)
{
    resp r;
    const char csv[] =
        "id,title,locality,property_type,transaction,bedrooms,price\n"
        "P01,One,Marina,apartment,sale,1,1000000\n"
        "P02,Two,Marina,apartment,sale,2,2000000\n"
        "P03,Bad,Marina,castle,sale,2,2000000\n"
        "P04,Four,Marina,apartment,rent,2,90000\n";
    call("POST", "/api/listings/import", tok_boss, csv, 0, &r);
    CHECK(r.status == 200 && get_int(r.json, "imported", NULL) == 3 &&
          get_int(r.json, "rejected", NULL) == 1, "csv: %s", buf_cstr(&r.body));
    json_t *e0 = json_array_get(json_object_get(r.json, "errors"), 0);
    CHECK(get_int(e0, "line", NULL) == 4 && strstr(get_str(e0, "message", NULL), "castle"),
          "error line 4: %s", buf_cstr(&r.body));
    resp_free(&r);
    call("POST", "/api/listings/import", tok_boss,
         "[{\"id\":\"P05\",\"title\":\"Five\",\"property_type\":\"villa\",\"transaction\":\"sale\","
         "\"price\":3000000}]", 0, &r);
    CHECK(r.status == 200 && get_int(r.json, "imported", NULL) == 1, "json: %s", buf_cstr(&r.body));
    resp_free(&r);
    call("POST", "/api/listings/import", tok_boss,
         "{\"value\":[{\"ListingKey\":\"P06\",\"ListPrice\":750000,\"PropertyType\":\"Residential\","
         "\"PropertySubType\":\"Apartment\",\"StandardStatus\":\"Active\",\"BedroomsTotal\":1,"
         "\"City\":\"Dubai\",\"SubdivisionName\":\"Marina\"},"
         "{\"ListingKey\":\"P01\",\"StandardStatus\":\"Closed\"}]}", 0, &r);
    CHECK(r.status == 200 && get_int(r.json, "imported", NULL) == 1 &&
          get_int(r.json, "removed", NULL) == 1, "reso: %s", buf_cstr(&r.body));
    resp_free(&r);
    static const char *bad[] = {"", "   \n", "[{\"id\":", "id;title\n1;x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call("POST", "/api/listings/import", tok_boss, bad[i], 0, &r);
        CHECK(r.status == 422 || (r.status == 200 && get_int(r.json, "rejected", NULL) > 0),
              "bad import %zu: %ld %s", i, r.status, buf_cstr(&r.body));
        resp_free(&r);
    }

    /* a 1 MiB CSV: over the chat cap, under the import cap */
    buf big = BUF_INIT(0);
    buf_puts(&big, "id,title,property_type,transaction,price,description\n");
    int rows = 0;
    while (big.len < (1u << 20)) {
        buf_printf(&big, "Q%05d,Row %d,apartment,sale,%d,", rows, rows, 500000 + rows);
        for (int k = 0; k < 20; k++)
            buf_puts(&big, "lorem ipsum ");
        buf_puts(&big, "\n");
        rows++;
    }
    call("POST", "/api/listings/import", tok_boss, buf_cstr(&big), 0, &r);
    CHECK(r.status == 200 && get_int(r.json, "imported", NULL) == rows, "1 MiB: %ld %.200s",
          r.status, buf_cstr(&r.body));
    resp_free(&r);
    buf_free(&big);
    /* the same size is refused on a single-listing route */
    call("POST", "/api/listings", tok_boss, NULL, 1u << 20, &r);
    CHECK_INT(r.status, 413);
    resp_free(&r);

    /* past 64 MiB: refused before the body is sent */
    call("POST", "/api/listings/import", tok_boss, NULL, (size_t)ADMIN_IMPORT_BODY_MAX + 1, &r);
    CHECK(r.status == 413 && strstr(err_msg(&r), "67108864"), "too large: %ld %s", r.status,
          err_msg(&r));
    resp_free(&r);
    /* without a token, even a small upload is refused before its body */
    call("POST", "/api/listings/import", NULL, NULL, 8u << 20, &r);
    CHECK_INT(r.status, 401);
    resp_free(&r);

    /* pages */
    long long total = -1;
    call("GET", "/api/listings?limit=3", tok_agent, NULL, 0, &r);
    total = get_int(r.json, "total", NULL);
    json_t *ls = json_object_get(r.json, "listings");
    CHECK(r.status == 200 && json_array_size(ls) == 3 && total == rows + 5, "page: total %lld", total);
    CHECK_STR(get_str(json_array_get(ls, 0), "id", NULL), "A1");
    CHECK_STR(get_str(json_array_get(ls, 1), "id", NULL), "P02");
    resp_free(&r);
    call("GET", "/api/listings?limit=3&offset=3", tok_agent, NULL, 0, &r);
    ls = json_object_get(r.json, "listings");
    CHECK(json_array_size(ls) == 3 && strcmp(get_str(json_array_get(ls, 0), "id", NULL), "P05") == 0,
          "offset 3: %.200s", buf_cstr(&r.body));
    CHECK_INT(get_int(r.json, "offset", NULL), 3);
    resp_free(&r);
    call("GET", "/api/listings?offset=100000", tok_agent, NULL, 0, &r);
    CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "listings")) == 0, "past end");
    resp_free(&r);
    call("GET", "/api/listings", tok_bob, NULL, 0, &r);
    CHECK(r.status == 200 && get_int(r.json, "total", NULL) == 0, "beta sees none of acme's");
    resp_free(&r);
}

TEST(test_chat_sees_writes)
{
    resp r;
    arena a;
    pt_error err = {0};
    char *json = NULL;
    call("POST", "/api/listings", tok_boss,
         "{\"id\":\"K1\",\"title\":\"Kestrel loft\",\"locality\":\"Kestrel Heights\","
         "\"city\":\"Dubai\",\"property_type\":\"apartment\",\"transaction\":\"sale\","
         "\"bedrooms\":2,\"price\":1500000}", 0, &r);
    CHECK_INT(r.status, 201);
    resp_free(&r);
    arena_init(&a, 0);
    chat_request q = {.query = "2 bedroom apartment in Kestrel Heights", .session_id = "s-k",
                      .user_id = "u-k"};
    CHECK(engine_chat_slug(eng, "acme", &q, &a, &json, &err) == 0, "chat: %s", err.msg);
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    json_t *locs = json_object_get(json_object_get(o, "slots"), "locations");
    CHECK(json_array_size(locs) == 1 &&
          strcmp(json_string_value(json_array_get(locs, 0)), "Kestrel Heights") == 0,
          "the new locality is known at once: %s", json ? json : "");
    json_decref(o);
    /* beta's buyers do not get acme's locality */
    chat_request qb = {.query = "apartment in Kestrel Heights", .session_id = "s-kb",
                       .user_id = "u-kb"};
    json = NULL;
    CHECK(engine_chat_slug(eng, "beta", &qb, &a, &json, &err) == 0, "chat beta: %s", err.msg);
    o = json ? json_loads(json, 0, NULL) : NULL;
    locs = json_object_get(json_object_get(o, "slots"), "locations");
    CHECK_INT(json_array_size(locs), 0);
    json_decref(o);
    arena_release(&a);
}

TEST(test_embeddings)
{
    resp r;
    char url[96];
    pt_error err = {0};
    embed_provider *p = NULL, *bad = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fake_port);
    embed_config cfg = {.url = url, .key = "test-key", .model = "fake-embed"};
    CHECK(embed_provider_open(&cfg, &p, &err) == 0, "provider: %s", err.msg);
    admin_setup(p, 0);

    call("POST", "/api/listings/import", tok_boss,
         "id,title,property_type,transaction,price,description\n"
         "E1,Sea view villa,villa,sale,9000000,villa with private pool and sea view\n"
         "E2,Office,office,rent,200000,office with parking near the metro\n", 0, &r);
    /* the sync embeds every listing of the tenant that has no vector yet */
    long long embedded = get_int(r.json, "embedded", NULL);
    CHECK(r.status == 200 && embedded >= 2, "import embedded: %s", buf_cstr(&r.body));
    resp_free(&r);
    call("POST", "/api/listings/import", tok_boss,
         "id,title,property_type,transaction,price\nE3,Shop,shop,rent,50000\n", 0, &r);
    CHECK(get_int(r.json, "embedded", NULL) == 1, "only the new one: %s", buf_cstr(&r.body));
    resp_free(&r);
    call("POST", "/api/listings", tok_boss,
         "{\"id\":\"E4\",\"title\":\"Garden townhouse\",\"property_type\":\"townhouse\","
         "\"transaction\":\"sale\",\"price\":3000000,\"description\":\"townhouse with a garden\"}",
         0, &r);
    CHECK(r.status == 201 && json_is_true(json_object_get(r.json, "embedded")), "create: %s",
          buf_cstr(&r.body));
    resp_free(&r);

    store *s = engine_store_get(eng);
    arena a;
    arena_init(&a, 0);
    const char **ids = NULL;
    int n = 0;
    CHECK(embed_rank(p, s, acme.id, "townhouse with a garden", 3, &a, &ids, &n, &err) == 0 && n == 3,
          "rank: %s", err.msg);
    if (n > 0)
        CHECK_STR(ids[0], "E4");
    CHECK(embed_rank(p, s, acme.id, "private pool sea view", 1, &a, &ids, &n, &err) == 0 &&
          n == 1 && strcmp(ids[0], "E1") == 0, "E1 first");
    engine_store_put(eng, s);

    /* delete takes the vector with it */
    call("DELETE", "/api/listings/E1", tok_boss, NULL, 0, &r);
    CHECK_INT(r.status, 200);
    resp_free(&r);
    s = engine_store_get(eng);
    CHECK(embed_rank(p, s, acme.id, "private pool sea view", 200, &a, &ids, &n, &err) == 0, "rank");
    int e1 = 0;
    for (int i = 0; i < n; i++)
        e1 += strcmp(ids[i], "E1") == 0;
    CHECK_INT(e1, 0);
    engine_store_put(eng, s);
    arena_release(&a);

    /* a failing provider never fails the write */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/m/500", fake_port);
    cfg.url = url;
    CHECK(embed_provider_open(&cfg, &bad, &err) == 0, "bad provider");
    admin_setup(bad, 0);
    call("PATCH", "/api/listings/E4", tok_boss, "{\"description\":\"now with a pool\"}", 0, &r);
    CHECK(r.status == 200 && json_is_false(json_object_get(r.json, "embedded")) &&
          strstr(get_str(r.json, "embed_error", NULL), "HTTP 500"), "patch: %s", buf_cstr(&r.body));
    resp_free(&r);
    call("POST", "/api/listings/import", tok_boss,
         "id,title,property_type,transaction,price\nE5,Plot,plot,sale,100000\n", 0, &r);
    CHECK(r.status == 200 && get_int(r.json, "imported", NULL) == 1 &&
          get_int(r.json, "embedded", NULL) == 0 && strstr(get_str(r.json, "embed_error", NULL),
                                                           "HTTP 500"), "import: %s",
          buf_cstr(&r.body));
    resp_free(&r);
    admin_setup(NULL, 0);
    embed_provider_close(bad);
    embed_provider_close(p);
}

TEST(test_login_limit)
{
    admin_setup(NULL, 3);
    for (int i = 0; i < 3; i++)
        CHECK_INT(login("boss@acme.test", "wrong password", NULL), 401);
    resp r;
    call("POST", "/api/auth/login", NULL,
         "{\"email\":\"boss@acme.test\",\"password\":\"" PASSWORD "\"}", 0, &r);
    CHECK(r.status == 429 && strcmp(err_code(&r), "rate_limited") == 0 &&
          strstr(err_msg(&r), "try again in"), "limited: %ld %s", r.status, err_msg(&r));
    resp_free(&r);
    /* tokens already issued keep working */
    call("GET", "/api/auth/me", tok_boss, NULL, 0, &r);
    CHECK_INT(r.status, 200);
    resp_free(&r);
    admin_setup(NULL, 0);
}

static int connect_local(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    struct timeval tv = {10, 0};
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends the headers of an import of len bytes (no body yet). */
static int import_headers(bool expect)
{
    char head[2048];
    int fd = connect_local();
    int n = snprintf(head, sizeof head, "POST /api/listings/import HTTP/1.1\r\nHost: x\r\n"
                     "Authorization: Bearer %s\r\nContent-Length: 1048576\r\n%s\r\n", tok_boss,
                     expect ? "Expect: 100-continue\r\n" : "");
    if (fd >= 0 && send(fd, head, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int read_status(int fd)
{
    char in[4096];
    ssize_t r = recv(fd, in, sizeof in - 1, 0);
    int status = 0;
    if (r > 0) {
        in[r] = '\0';
        sscanf(in, "HTTP/1.%*d %d", &status);
    }
    return status;
}

TEST(test_upload_slots)
{
    /* two imports read their bodies at once; a third waits its turn (429) */
    int a = import_headers(false), b = import_headers(false);
    CHECK(a >= 0 && b >= 0, "two uploads started");
    usleep(200000);
    int c = import_headers(true);
    int st = read_status(c);
    CHECK(st == 429, "a third concurrent upload is 429 (got %d)", st);
    close(c);
    close(a);
    close(b);
    usleep(300000);   /* the server notices the closed connections */
    c = import_headers(true);
    st = read_status(c);
    CHECK(st == 100, "after they end, an upload is let in (100 Continue, got %d)", st);
    close(c);
}

TEST(test_not_configured)
{
    resp r;
    admin_shutdown();
    call("GET", "/api/listings", tok_boss, NULL, 0, &r);
    CHECK_INT(r.status, 503);
    resp_free(&r);
    call("POST", "/api/auth/login", NULL, "{\"email\":\"a\",\"password\":\"b\"}", 0, &r);
    CHECK_INT(r.status, 503);
    resp_free(&r);
    admin_setup(NULL, 0);
    CHECK(admin_listing_id("/api/listings/x") && !admin_listing_id("/api/listings/") &&
          !admin_listing_id("/api/other/x") && !admin_listing_id("/api/listings/a\tb"),
          "listing ids from paths");
}

TEST_MAIN(
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (sodium_init() < 0)
        return 1;
    fake_start();
    setup();
    RUN(test_login);
    RUN(test_tokens_refused);
    RUN(test_crud);
    RUN(test_import_and_pages);
    RUN(test_chat_sees_writes);
    RUN(test_embeddings);
    RUN(test_login_limit);
    RUN(test_upload_slots);
    RUN(test_not_configured);
    http_server_stop(srv);
    admin_shutdown();
    engine_close(eng);
    fake_stop();
    curl_global_cleanup();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        test_failed++;
)
