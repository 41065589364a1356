/*
 * test_http.c - the HTTP channel end to end: a real engine on a temporary
 * sqlite store and a temporary pack folder, the server on a free loopback
 * port, and a raw-socket client (so malformed requests can be sent as
 * bytes).  Also the chat request validation on its own.
 */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/engine.h"
#include "http/chat_request.h"
#include "http/server.h"
#include "store/store.h"

static char dir[64];
static char api_key[48];
static engine *eng;
static http_server *srv;
static int port;

typedef struct reply {
    int status;
    char head[4096];
    char *body;       /* malloc'd, NUL-terminated */
} reply;

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed: %s\n", cmd);
    return rc;
}

static void setup(void)
{
    pt_error err = {0};
    char cmd[512], url[128], packs[128];
    snprintf(dir, sizeof dir, "/tmp/pt_http_XXXXXX");
    if (mkdtemp(dir) == NULL)
        exit(1);
    /* a pack folder of our own: the repository's default pack plus a tiny
     * intents file, so the test does not depend on the shipped examples */
    snprintf(packs, sizeof packs, "%s/packs", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/default/intents && cp -r packs/default/. %s/default/ "
             "&& rm -f %s/default/intents/*.json", packs, packs, packs);
    if (run(cmd))
        exit(1);
    snprintf(cmd, sizeof cmd, "%s/default/intents/en.json", packs);
    FILE *f = fopen(cmd, "w");
    if (f == NULL)
        exit(1);
    fputs("{\"intents\": {\"greeting\": [\"hello\", \"hi there\", \"good morning\"],"
          " \"property_search\": [\"2 bedroom apartment\", \"looking for a villa\","
          " \"flat under 2 million\"]}}\n", f);
    fclose(f);

    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    store *s = NULL;
    if (store_open(url, &s, &err) != 0) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        exit(1);
    }
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "acme");
    memcpy(t.currency, "AED", 4);
    memcpy(t.region, "AE", 3);
    snprintf(t.timezone, sizeof t.timezone, "Asia/Dubai");
    char hash[65];
    engine_api_key_new(api_key);
    engine_api_key_hash(api_key, hash);
    if (s->ops->tenant_create(s, &t, hash, &err) != 0) {
        fprintf(stderr, "tenant_create: %s\n", err.msg);
        exit(1);
    }
    store_close(s);

    engine_config cfg = {0};
    cfg.db_url = url;
    cfg.packs_dir = packs;
    cfg.store_handles = 3;
    if (engine_open(&cfg, &eng, &err) != 0) {
        fprintf(stderr, "engine_open: %s\n", err.msg);
        exit(1);
    }
    if (http_server_start(eng, "127.0.0.1", 0, 2, &srv, &err) != 0) {
        fprintf(stderr, "http_server_start: %s\n", err.msg);
        exit(1);
    }
    port = http_server_port(srv);
}

static void teardown(void)
{
    char cmd[128];
    http_server_stop(srv);
    engine_close(eng);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    run(cmd);
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

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;   /* the server may hang up early (413) */
        p += w;
        n -= (size_t)w;
    }
}

/* Reads one response (Content-Length framed) from fd. */
static int read_reply(int fd, reply *out)
{
    char in[1 << 16];
    size_t len = 0;
    memset(out, 0, sizeof *out);
    for (;;) {
        char *end = len ? memmem(in, len, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t hl = (size_t)(end - in) + 4;
            const char *cl = strcasestr(in, "\r\nContent-Length:");
            size_t blen = cl ? strtoul(cl + 17, NULL, 10) : 0;
            if (len >= hl + blen) {
                snprintf(out->head, sizeof out->head, "%.*s", (int)hl, in);
                out->body = malloc(blen + 1);
                memcpy(out->body, in + hl, blen);
                out->body[blen] = '\0';
                sscanf(in, "HTTP/1.%*d %d", &out->status);
                return 0;
            }
        }
        if (len == sizeof in - 1)
            return -1;
        ssize_t r = recv(fd, in + len, sizeof in - 1 - len, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        in[len] = '\0';
    }
}

/* One request on a new connection. */
static int request(const char *raw, size_t n, reply *out)
{
    int fd = connect_local();
    if (fd < 0)
        return -1;
    send_all(fd, raw, n);
    int rc = read_reply(fd, out);
    close(fd);
    return rc;
}

/* A chat request with body (and the X-API-Key header when key is not
 * NULL) into raw; its length. */
static size_t chat_raw(char *raw, size_t cap, const char *key, const char *body)
{
    int n = snprintf(raw, cap,
                     "POST /api/chat/query HTTP/1.1\r\nHost: x\r\n%s%s%s"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     key ? "X-API-Key: " : "", key ? key : "", key ? "\r\n" : "",
                     strlen(body), body);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static int post_chat(const char *key, const char *body, reply *out)
{
    char raw[1 << 17];
    return request(raw, chat_raw(raw, sizeof raw, key, body), out);
}

/* The error code of an error envelope, or "" (static buffer). */
static const char *error_code(const reply *r)
{
    static char code[64];
    json_t *o = json_loads(r->body ? r->body : "", 0, NULL);
    const char *c = json_string_value(json_object_get(json_object_get(o, "error"), "code"));
    const char *m = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
    snprintf(code, sizeof code, "%s", c && m ? c : "");
    json_decref(o);
    return code;
}

TEST(test_health_ready_metrics)
{
    reply r;
    const char *get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT(request(get, strlen(get), &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "{\"status\":\"ok\"}");
    CHECK(strcasestr(r.head, "Content-Type: application/json; charset=utf-8") != NULL, "ctype");
    free(r.body);

    get = "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT(request(get, strlen(get), &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "{\"status\":\"ready\"}");
    free(r.body);

    get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT(request(get, strlen(get), &r), 0);
    CHECK_INT(r.status, 200);
    CHECK(strcasestr(r.head, "text/plain; version=0.0.4") != NULL, "metrics ctype");
    CHECK(strstr(r.body, "route=\"/health\"") != NULL, "health counted: %.200s", r.body);
    free(r.body);
}

TEST(test_routing_errors)
{
    reply r;
    const char *raw = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT(request(raw, strlen(raw), &r), 0);
    CHECK_INT(r.status, 404);
    CHECK_STR(error_code(&r), "not_found");
    free(r.body);

    raw = "DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT(request(raw, strlen(raw), &r), 0);
    CHECK_INT(r.status, 405);
    CHECK(strcasestr(r.head, "Allow: GET") != NULL, "allow header");
    CHECK_STR(error_code(&r), "method_not_allowed");
    free(r.body);

    raw = "GET /api/chat/query HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT(request(raw, strlen(raw), &r), 0);
    CHECK_INT(r.status, 405);
    free(r.body);
}

TEST(test_chat)
{
    reply r;
    CHECK_INT(post_chat(NULL, "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\"}", &r), 0);
    CHECK_INT(r.status, 401);
    CHECK_STR(error_code(&r), "unauthorized");
    free(r.body);

    CHECK_INT(post_chat("pt_wrong", "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\"}",
                        &r), 0);
    CHECK_INT(r.status, 401);
    free(r.body);

    CHECK_INT(post_chat(api_key, "{\"query\":\"hello\",\"session_id\":\"s1\",\"user_id\":\"u1\"}",
                        &r), 0);
    CHECK_INT(r.status, 200);
    json_t *o = json_loads(r.body, 0, NULL);
    CHECK(json_is_string(json_object_get(o, "answer")), "answer: %.300s", r.body);
    CHECK_STR(json_string_value(json_object_get(o, "session_id")), "s1");
    json_decref(o);
    free(r.body);

    /* the key is remembered now: keys of its length that differ in one
     * byte (every byte, to every hex digit: some of them share its slot of
     * the engine's 64), one byte shorter or longer, are still refused, and
     * the key itself still accepted */
    size_t kl = strlen(api_key);
    int tried = 0;
    for (size_t pos = 0; pos <= kl + 1; pos++)
        for (int d = 0; d < 16 && (pos < kl || d == 0); d++) {
            char bad[64];
            snprintf(bad, sizeof bad, "%s", api_key);
            if (pos < kl) {
                if (bad[pos] == "0123456789abcdef"[d])
                    continue;
                bad[pos] = "0123456789abcdef"[d];
            } else if (pos == kl) {
                bad[kl - 1] = '\0';
            } else {
                snprintf(bad, sizeof bad, "%sx", api_key);
            }
            CHECK_INT(post_chat(bad, "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\"}",
                                &r), 0);
            CHECK(r.status == 401, "key changed at %zu: %d", pos, r.status);
            free(r.body);
            tried++;
        }
    CHECK(tried > 600, "%d keys tried", tried);
    CHECK_INT(post_chat(api_key, "{\"query\":\"hello\",\"session_id\":\"s1\",\"user_id\":\"u1\"}",
                        &r), 0);
    CHECK_INT(r.status, 200);
    free(r.body);
}

TEST(test_chat_bad_bodies)
{
    static const struct {
        const char *body;
        int status;
        const char *code;
        const char *words;
    } cases[] = {
        {"{bad", 400, "invalid_request", "not valid JSON"},
        {"[1,2]", 400, "invalid_request", "JSON object"},
        {"", 400, "invalid_request", "empty"},
        {"{\"query\":\"x\",\"user_id\":\"u\"}", 422, "missing_field", "session_id"},
        {"{\"query\":\"x\",\"session_id\":\"\",\"user_id\":\"u\"}", 422, "missing_field",
         "session_id"},
        {"{\"query\":\"x\",\"session_id\":\"s\"}", 422, "missing_field", "user_id"},
        {"{\"session_id\":\"s\",\"user_id\":\"u\"}", 422, "missing_field", "query"},
        {"{\"session_id\":\"s\",\"user_id\":\"u\",\"query\":7}", 422, "unprocessable", "query"},
        {"{\"session_id\":[],\"user_id\":\"u\",\"query\":\"x\"}", 422, "unprocessable",
         "session_id"},
        {"{\"session_id\":\"s\",\"user_id\":\"u\",\"query\":\"x\",\"query\":\"y\"}", 400,
         "invalid_request", "JSON"},
        {"{\"session_id\":\"s\",\"user_id\":\"u\",\"query\":\"\xff\xfe\"}", 400, "invalid_request",
         "JSON"},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 400,
         "invalid_request", "nested"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reply r;
        CHECK_INT(post_chat(api_key, cases[i].body, &r), 0);
        CHECK(r.status == cases[i].status, "case %zu: status %d, want %d", i, r.status,
              cases[i].status);
        CHECK_STR(error_code(&r), cases[i].code);
        CHECK(r.body && strstr(r.body, cases[i].words), "case %zu: %s", i, r.body);
        free(r.body);
    }

    /* a query over 4 KiB is 413 */
    char body[8000];
    char q[5000];
    memset(q, 'a', sizeof q - 1);
    q[sizeof q - 1] = '\0';
    snprintf(body, sizeof body, "{\"query\":\"%s\",\"session_id\":\"s\",\"user_id\":\"u\"}", q);
    reply r;
    CHECK_INT(post_chat(api_key, body, &r), 0);
    CHECK_INT(r.status, 413);
    CHECK(strstr(r.body, "query"), "names query: %s", r.body);
    free(r.body);
}

TEST(test_body_cap)
{
    reply r;
    /* declared too large, client waiting for 100-continue: answered before
     * the body is sent */
    const char *raw = "POST /api/chat/query HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n"
                      "Expect: 100-continue\r\nContent-Length: 10000000\r\n\r\n";
    CHECK_INT(request(raw, strlen(raw), &r), 0);
    CHECK_INT(r.status, 413);
    CHECK_STR(error_code(&r), "payload_too_large");
    free(r.body);

    /* declared too large, body sent at once: drained, then 413 */
    size_t m = 100000;
    char *body = malloc(m + 256);
    int hl = snprintf(body, 256, "POST /api/chat/query HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n"
                                 "Content-Length: %zu\r\n\r\n", m);
    memset(body + hl, 'a', m);
    CHECK_INT(request(body, (size_t)hl + m, &r), 0);
    CHECK_INT(r.status, 413);
    free(r.body);
    free(body);

    /* chunked past the cap */
    size_t n = 200000;
    char *big = malloc(n + 512);
    int h = snprintf(big, 512, "POST /api/chat/query HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", n);
    size_t total = (size_t)h;
    memset(big + total, 'a', n);
    total += n;
    memcpy(big + total, "\r\n0\r\n\r\n", 7);
    total += 7;
    int fd = connect_local();
    send_all(fd, big, total);
    CHECK_INT(read_reply(fd, &r), 0);
    CHECK_INT(r.status, 413);
    close(fd);
    free(r.body);
    free(big);
}

TEST(test_keep_alive)
{
    reply r1, r2;
    const char *raw = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd = connect_local();
    send_all(fd, raw, strlen(raw));
    CHECK_INT(read_reply(fd, &r1), 0);
    send_all(fd, raw, strlen(raw));
    CHECK_INT(read_reply(fd, &r2), 0);
    CHECK_INT(r1.status, 200);
    CHECK_INT(r2.status, 200);
    close(fd);
    free(r1.body);
    free(r2.body);
}

/* One request on the open connection fd; 0 or -1. */
static int exchange(int fd, const char *raw, size_t n, reply *out)
{
    send_all(fd, raw, n);
    return read_reply(fd, out);
}

/* The server keeps a request's state (and its body buffer) for the thread's
 * next request: on one keep-alive connection (so one thread), requests
 * that each leave a different state behind (a refused token, a body too
 * large, a 405's Allow list, a body bigger than the kept buffer, an empty
 * body) and each answer as it would on a fresh connection. */
TEST(test_request_state_reused)
{
    reply r;
    char raw[16384];
    char body[12288];
    int fd = connect_local();
    CHECK(fd >= 0, "connect");
    if (fd < 0)
        return;
    const char *ok_body = "{\"query\":\"hi\",\"session_id\":\"reuse-1\",\"user_id\":\"u-reuse\"}";

    /* a refused token with a body: answered after the body */
    const char *jwt = "POST /api/listings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
                      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    CHECK_INT(exchange(fd, jwt, strlen(jwt), &r), 0);
    CHECK(r.status >= 400, "refused token: %d", r.status);
    CHECK(strstr(r.body, "\"error\"") != NULL, "refused token: %s", r.body);
    free(r.body);

    /* then a chat: not refused by the last request's state */
    CHECK_INT(exchange(fd, raw, chat_raw(raw, sizeof raw, api_key, ok_body), &r), 0);
    CHECK_INT(r.status, 200);
    CHECK(strstr(r.body, "\"answer\"") != NULL, "chat after refused token: %.200s", r.body);
    CHECK(strcasestr(r.head, "WWW-Authenticate") == NULL, "no challenge on a 200");
    free(r.body);

    /* a 405 (Allow) and then a 404 (no Allow) */
    const char *m405 = "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    CHECK_INT(exchange(fd, m405, strlen(m405), &r), 0);
    CHECK_INT(r.status, 405);
    CHECK(strcasestr(r.head, "Allow: GET") != NULL, "allow header");
    free(r.body);
    const char *m404 = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT(exchange(fd, m404, strlen(m404), &r), 0);
    CHECK_INT(r.status, 404);
    CHECK(strcasestr(r.head, "Allow:") == NULL, "no allow header on a 404: %s", r.head);
    free(r.body);

    /* a chat body of 12 KB (JSON padded with spaces): more than the kept
     * buffer; then an empty body, which must not read the last one */
    snprintf(body, sizeof body, "{\"query\":\"hi\",\"session_id\":\"reuse-2\",\"user_id\":\"u-reuse\"}");
    size_t bl = strlen(body);
    memset(body + bl, ' ', sizeof body - 1 - bl);
    body[sizeof body - 1] = '\0';
    CHECK_INT(exchange(fd, raw, chat_raw(raw, sizeof raw, api_key, body), &r), 0);
    CHECK_INT(r.status, 200);
    CHECK(strstr(r.body, "\"reuse-2\"") != NULL, "padded chat: %.200s", r.body);
    free(r.body);
    CHECK_INT(exchange(fd, raw, chat_raw(raw, sizeof raw, api_key, ""), &r), 0);
    CHECK_INT(r.status, 400);
    CHECK_STR(error_code(&r), "invalid_request");
    free(r.body);

    /* a small body after a short one: only its own bytes */
    CHECK_INT(exchange(fd, raw, chat_raw(raw, sizeof raw, api_key, "{}"), &r), 0);
    CHECK_INT(r.status, 422);
    free(r.body);
    CHECK_INT(exchange(fd, raw, chat_raw(raw, sizeof raw, api_key, ok_body), &r), 0);
    CHECK_INT(r.status, 200);
    free(r.body);

    /* a body over the cap (drained, then 413), then a chat again */
    size_t big = CHAT_BODY_MAX + 100;
    char *huge = malloc(big + 512);
    int hl = snprintf(huge, 512, "POST /api/chat/query HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n"
                                 "Content-Length: %zu\r\n\r\n", api_key, big);
    memset(huge + hl, ' ', big);
    CHECK_INT(exchange(fd, huge, (size_t)hl + big, &r), 0);
    CHECK_INT(r.status, 413);
    free(r.body);
    free(huge);
    CHECK_INT(exchange(fd, raw, chat_raw(raw, sizeof raw, api_key, ok_body), &r), 0);
    CHECK_INT(r.status, 200);
    free(r.body);
    close(fd);
}

/* More chats in flight than the server has threads (2): a turn waiting for
 * its commit holds no thread, so all are answered, including 16 at once in
 * one session (each waits for the session's previous turn); then a second
 * request on each connection (keep-alive after a suspended answer). */
TEST(test_chat_many_in_flight)
{
    enum { CONNS = 32, SAME = 16 };
    int fd[CONNS];
    char raw[1024];
    for (int i = 0; i < CONNS; i++) {
        fd[i] = connect_local();
        CHECK(fd[i] >= 0, "connect %d", i);
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < CONNS; i++) {
            char body[160];
            snprintf(body, sizeof body,
                     "{\"query\":\"I want a 2 bedroom apartment, message %d\","
                     "\"session_id\":\"%s-%d\",\"user_id\":\"u-flight\"}", i,
                     i < SAME ? "flight-same" : "flight", i < SAME ? round : i * 2 + round);
            size_t n = chat_raw(raw, sizeof raw, api_key, body);
            if (fd[i] >= 0)
                send_all(fd[i], raw, n);
        }
        int ok = 0;
        for (int i = 0; i < CONNS; i++) {
            reply r;
            if (fd[i] >= 0 && read_reply(fd[i], &r) == 0) {
                ok += r.status == 200 && strstr(r.body, "\"answer\"") != NULL;
                free(r.body);
            }
        }
        CHECK_INT(ok, CONNS);
    }
    for (int i = 0; i < CONNS; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    /* every turn of the shared sessions is in the transcript, none lost */
    store *st = engine_store_get(eng);
    arena a;
    arena_init(&a, 0);
    pt_error err = {0};
    tenant t;
    store_message *m = NULL;
    int n = 0;
    CHECK_INT(st->ops->tenant_by_slug(st, "acme", &t, &err), 0);
    CHECK_INT(st->ops->messages_list(st, t.id, "flight-same-0", 1000, &a, &m, &n, &err), 0);
    CHECK_INT(n, 2 * SAME);
    CHECK_INT(st->ops->messages_list(st, t.id, "flight-same-1", 1000, &a, &m, &n, &err), 0);
    CHECK_INT(n, 2 * SAME);
    /* one turn at a time: each message's answer follows it, and every message
     * of the burst is there once */
    int seen[SAME] = {0};
    for (int i = 0; i + 1 < n; i += 2) {
        CHECK_STR(m[i].role, "user");
        CHECK_STR(m[i + 1].role, "assistant");
        const char *num = strstr(m[i].text, "message ");
        int k = num ? (int)strtol(num + 8, NULL, 10) : -1;
        CHECK(k >= 0 && k < SAME, "message text: %s", m[i].text);
        if (k >= 0 && k < SAME)
            seen[k]++;
    }
    for (int k = 0; k < SAME; k++)
        CHECK_INT(seen[k], 1);
    arena_release(&a);
    engine_store_put(eng, st);
}

/* One buyer in many conversations at once (the web and Telegram, say): each
 * turn reads the buyer's profile and writes it back, so they take turns on
 * the buyer too, and no conversation's update of the profile is lost.  Each
 * new conversation counts itself in the profile's "sessions". */
TEST(test_chat_one_buyer_many_sessions)
{
    enum { CONNS = 24 };
    int fd[CONNS];
    char raw[1024];
    for (int i = 0; i < CONNS; i++) {
        fd[i] = connect_local();
        CHECK(fd[i] >= 0, "connect %d", i);
    }
    for (int i = 0; i < CONNS; i++) {
        char body[160];
        snprintf(body, sizeof body,
                 "{\"query\":\"hi, I want a villa\",\"session_id\":\"buyer-many-%d\","
                 "\"user_id\":\"u-many\"}", i);
        size_t n = chat_raw(raw, sizeof raw, api_key, body);
        if (fd[i] >= 0)
            send_all(fd[i], raw, n);
    }
    int ok = 0;
    for (int i = 0; i < CONNS; i++) {
        reply r;
        if (fd[i] >= 0 && read_reply(fd[i], &r) == 0) {
            ok += r.status == 200;
            free(r.body);
        }
        if (fd[i] >= 0)
            close(fd[i]);
    }
    CHECK_INT(ok, CONNS);
    store *st = engine_store_get(eng);
    arena a;
    arena_init(&a, 0);
    pt_error err = {0};
    tenant t;
    char *json = NULL;
    CHECK_INT(st->ops->tenant_by_slug(st, "acme", &t, &err), 0);
    CHECK_INT(st->ops->profile_get(st, t.id, "u-many", &a, &json, &err), 0);
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    CHECK(o != NULL, "profile of u-many: %s", json ? json : "(none)");
    CHECK_INT(o ? json_integer_value(json_object_get(o, "sessions")) : -1, CONNS);
    json_decref(o);
    arena_release(&a);
    engine_store_put(eng, st);
}

TEST(test_chat_request_parse)
{
    arena a;
    chat_request q;
    pt_error err = {0};
    arena_init(&a, 0);
    const char *ok = "{\"query\":\"  \",\"session_id\":\"s\",\"user_id\":\"u\","
                     "\"callback_data\":\"purpose:investment\",\"channel\":\"web\",\"extra\":1}";
    CHECK_INT(chat_request_parse(ok, strlen(ok), &a, &q, &err), 0);
    CHECK_STR(q.callback_data, "purpose:investment");
    CHECK_STR(q.channel, "web");
    CHECK_STR(q.query, "  ");

    pt_error_clear(&err);
    const char *nul = "{\"query\":\"a\\u0000b\",\"session_id\":\"s\",\"user_id\":\"u\"}";
    CHECK(chat_request_parse(nul, strlen(nul), &a, &q, &err) < 0, "NUL rejected");

    pt_error_clear(&err);
    const char *ctl = "{\"query\":\"a\",\"session_id\":\"s\\n1\",\"user_id\":\"u\"}";
    CHECK_INT(chat_request_parse(ctl, strlen(ctl), &a, &q, &err), -PT_ERR_UNPROCESSABLE);

    pt_error_clear(&err);
    const char *cb_only = "{\"session_id\":\"s\",\"user_id\":\"u\",\"callback_data\":\"x\","
                          "\"query\":null}";
    CHECK_INT(chat_request_parse(cb_only, strlen(cb_only), &a, &q, &err), 0);
    CHECK_STR(q.query, "");

    pt_error_clear(&err);
    CHECK_INT(chat_request_parse("{}", 2, &a, &q, &err), -PT_ERR_MISSING);
    CHECK_STR(err.msg, "session_id is missing");
    arena_release(&a);
}

/* chat_request_parse (its own scanner for flat objects of strings, jansson
 * for the rest) and chat_request_parse_jansson agree: the same result,
 * message and fields, on usual bodies, escapes, UTF-8 and errors. */
TEST(test_chat_request_fast_same)
{
    static const char *const bodies[] = {
        "{\"query\":\"hi\",\"session_id\":\"bench-000001\",\"user_id\":\"bench-000001\"}",
        " {\n\t\"query\" : \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\" , \"session_id\":\"s\","
        " \"user_id\":\"u\", \"channel\":null, \"x\":\"y\", \"\":\"\" }\r\n",
        "{\"query\":\"\\ud800\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"\\udc00\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"\\ud800\\u0041\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"a\\u0000b\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xf0\x9f\x98\x80\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"\xff\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"\xed\xa0\x80\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"\xc0\x80\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\",\"query\":\"again\"}",
        "{\"a\":\"1\",\"b\":null,\"a\":\"2\",\"session_id\":\"s\",\"user_id\":\"u\",\"query\":\"q\"}",
        "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\"} x",
        "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\"}   ",
        "{\"query\":nullx,\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":null,\"session_id\":\"s\",\"user_id\":\"u\",\"callback_data\":\"purpose:living\"}",
        "{\"query\":\"  \",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"hi\",\"session_id\":\"s\\n\",\"user_id\":\"u\"}",
        "{\"query\":\"hi\",\"session_id\":\"s\x7f\",\"user_id\":\"u\"}",
        "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\",\"channel\":\"0123456789012345678901234567890123\"}",
        "{\"query\":\"hi\",\"session_id\":\"\",\"user_id\":\"u\"}",
        "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"\"}",
        "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\",}",
        "{\"query\":\"hi\" \"session_id\":\"s\"}",
        "{\"query\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\",\"n\":1}",
        "{\"query\":5,\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"q\\u0075ery\":\"hi\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"tab\there\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"\\x\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"\\u12\",\"session_id\":\"s\",\"user_id\":\"u\"}",
        "{\"query\":\"unterminated",
        "{}", "[]", "null", "{", " ", "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\",\"f\":\"6\",\"g\":\"7\",\"h\":\"8\","
        "\"i\":\"9\",\"session_id\":\"s\",\"user_id\":\"u\",\"query\":\"q\"}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        arena a, b;
        chat_request q, r;
        pt_error ea = {0}, eb = {0};
        arena_init(&a, 0);
        arena_init(&b, 0);
        size_t n = strlen(bodies[i]);
        int rc = chat_request_parse(bodies[i], n, &a, &q, &ea);
        int rc_ref = chat_request_parse_jansson(bodies[i], n, &b, &r, &eb);
        bool same = rc == rc_ref && strcmp(ea.msg, eb.msg) == 0;
#define SAME_FIELD(f) (q.f == NULL ? r.f == NULL : r.f != NULL && strcmp(q.f, r.f) == 0)
        if (rc == 0)
            same = same && SAME_FIELD(session_id) && SAME_FIELD(user_id) && SAME_FIELD(query) &&
                   SAME_FIELD(callback_data) && SAME_FIELD(channel);
#undef SAME_FIELD
        CHECK(same, "body %zu: %d \"%s\" / %d \"%s\"", i, rc, ea.msg, rc_ref, eb.msg);
        arena_release(&a);
        arena_release(&b);
    }
}

TEST_MAIN(
    setup();
    RUN(test_health_ready_metrics);
    RUN(test_routing_errors);
    RUN(test_chat);
    RUN(test_chat_bad_bodies);
    RUN(test_body_cap);
    RUN(test_keep_alive);
    RUN(test_request_state_reused);
    RUN(test_chat_many_in_flight);
    RUN(test_chat_one_buyer_many_sessions);
    RUN(test_chat_request_parse);
    RUN(test_chat_request_fast_same);
    teardown();
)
