/*
 * test_embed.c - the embeddings provider (src/provider/embed.c) against a
 * fake OpenAI-compatible server (tests/fake/embed_server.py, started on a
 * free loopback port), and the listing vectors in a real SQLite store.
 *
 * The fake answers with hashed bags of words, so texts that share words are
 * near each other and the rankings below are predictable.  Its path
 * prefixes make it fail in each way a provider can: HTTP 500, a body that
 * is not JSON, vectors of mixed or unexpected dimensions, too few items, a
 * non-number, and an answer that comes too late.
 */
#include "provider/embed.h"
#include "import/import.h"
#include "store/store.h"
#include "test.h"
#include "fake_embed.h"

#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static store *st;
static tenant ta, tb, tc;

/* A provider on the fake with the given mode ("" for normal). */
static embed_provider *provider(const char *mode, int batch, int query_timeout_ms,
                                size_t cache_bytes)
{
    char url[128];
    embed_provider *p = NULL;
    pt_error err = {0};
    if (mode[0])
        snprintf(url, sizeof url, "http://127.0.0.1:%d/m/%s", fake_port, mode);
    else
        snprintf(url, sizeof url, "http://127.0.0.1:%d/", fake_port);
    embed_config cfg = {.url = url, .key = "test-key", .model = "fake-embed", .batch_size = batch,
                        .query_timeout_ms = query_timeout_ms, .batch_timeout_ms = 10000,
                        .cache_bytes = cache_bytes};
    CHECK(embed_provider_open(&cfg, &p, &err) == 0, "open %s: %s", mode, err.msg);
    return p;
}

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* ---- store setup -------------------------------------------------------------- */

static void make_tenant(tenant *t, const char *slug)
{
    pt_error err = {0};
    memset(t, 0, sizeof *t);
    snprintf(t->slug, sizeof t->slug, "%s", slug);
    memcpy(t->currency, "AED", 4);
    memcpy(t->region, "AE", 3);
    snprintf(t->timezone, sizeof t->timezone, "Asia/Dubai");
    CHECK(st->ops->tenant_create(st, t, NULL, &err) == 0, "tenant %s: %s", slug, err.msg);
}

static void import_csv(const tenant *t, const char *csv)
{
    import_report rep;
    pt_error err = {0};
    CHECK(import_buffer(st, t, csv, strlen(csv), &rep, &err) == 0, "import: %s", err.msg);
    CHECK_INT(rep.rejected, 0);
}

static const char CSV_A[] =
    "id,title,project,locality,city,property_type,transaction,bedrooms,price,amenities,description\n"
    "A1,Palm villa with private pool,Frond Homes,Palm Jumeirah,Dubai,villa,sale,5,12000000,"
    "private pool;garden;beach access,Beachfront villa with a private pool and garden\n"
    "A2,Marina view apartment,Marina Heights,Dubai Marina,Dubai,apartment,sale,2,2100000,"
    "gym;shared pool,Two bedroom flat with marina view near the metro\n"
    "A3,Business Bay office,Bay Tower,Business Bay,Dubai,office,rent,,300000,parking,"
    "Fitted office space with meeting rooms and parking\n"
    "A4,JVC studio,Circle One,Jumeirah Village Circle,Dubai,studio,rent,0,45000,gym,"
    "Compact studio for young professionals\n"
    "A5,Downtown penthouse,Burj Vista,Downtown Dubai,Dubai,penthouse,sale,4,15000000,"
    "private pool;concierge,Penthouse with skyline view and private pool terrace\n";

static const char CSV_B[] =
    "id,title,locality,city,property_type,transaction,bedrooms,price,description\n"
    "B1,Villa with private pool and garden,Palm Jumeirah,Dubai,villa,sale,5,11000000,"
    "Private pool villa with a big garden\n";

static void setup(void)
{
    char url[128];
    pt_error err = {0};
    snprintf(dir, sizeof dir, "/tmp/pt_embed_XXXXXX");
    if (mkdtemp(dir) == NULL)
        exit(1);
    snprintf(url, sizeof url, "sqlite:%s/e.db", dir);
    if (store_open(url, &st, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        exit(1);
    }
    make_tenant(&ta, "acme");
    make_tenant(&tb, "other");
    make_tenant(&tc, "empty");
    import_csv(&ta, CSV_A);
    import_csv(&tb, CSV_B);
}

/* ---- tests ------------------------------------------------------------------ */

TEST(test_parse_response)
{
    pt_error err = {0};
    float *v = NULL;
    int dim = 0;
    const char ok[] = "{\"data\":[{\"embedding\":[1,2],\"index\":1},{\"embedding\":[3,4.5],\"index\":0}]}";
    CHECK(embed_parse_response(ok, strlen(ok), 2, &v, &dim, &err) == 0, "ok: %s", err.msg);
    CHECK_INT(dim, 2);
    CHECK(v && v[0] == 3 && v[1] == 4.5f && v[2] == 1 && v[3] == 2, "in index order");
    free(v);
    v = NULL;
    const char noidx[] = "{\"data\":[{\"embedding\":[1]},{\"embedding\":[2]}]}";
    dim = 0;
    CHECK(embed_parse_response(noidx, strlen(noidx), 2, &v, &dim, &err) == 0, "no index: %s",
          err.msg);
    CHECK(v && v[0] == 1 && v[1] == 2, "by position");
    free(v);
    v = NULL;
    dim = 3;
    CHECK_INT(embed_parse_response(ok, strlen(ok), 2, &v, &dim, &err), -PT_ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "expected 3") != NULL, "msg %s", err.msg);

    static const struct {
        const char *body, *want;
        int n;
    } bad[] = {
        {"", "not JSON", 1},
        {"nope", "not JSON", 1},
        {"[]", "no \"data\"", 1},
        {"{\"data\":{}}", "no \"data\"", 1},
        {"{\"data\":[]}", "0 items for 1", 1},
        {"{\"data\":[{\"embedding\":[1]},{\"embedding\":[1]}]}", "2 items for 1", 1},
        {"{\"data\":[1]}", "no \"embedding\"", 1},
        {"{\"data\":[{\"embedding\":\"1,2\"}]}", "no \"embedding\"", 1},
        {"{\"data\":[{\"embedding\":[]}]}", "0 dimensions", 1},
        {"{\"data\":[{\"embedding\":[1,\"x\"]}]}", "not a finite number", 1},
        {"{\"data\":[{\"embedding\":[1,null]}]}", "not a finite number", 1},
        {"{\"data\":[{\"embedding\":[1e300]}]}", "not a finite number", 1},
        {"{\"data\":[{\"embedding\":[1],\"index\":1}]}", "out of range", 1},
        {"{\"data\":[{\"embedding\":[1],\"index\":-1}]}", "out of range", 1},
        {"{\"data\":[{\"embedding\":[1],\"index\":\"0\"}]}", "not an integer", 1},
        {"{\"data\":[{\"embedding\":[1],\"index\":0},{\"embedding\":[2],\"index\":0}]}",
         "repeated", 2},
        {"{\"data\":[{\"embedding\":[1,2]},{\"embedding\":[2]}]}", "expected 2", 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pt_error_clear(&err);
        dim = 0;
        v = NULL;
        int rc = embed_parse_response(bad[i].body, strlen(bad[i].body), bad[i].n, &v, &dim, &err);
        CHECK(rc == -PT_ERR_UNAVAILABLE && strstr(err.msg, bad[i].want) && v == NULL,
              "\"%s\": rc %d msg \"%s\"", bad[i].body, rc, err.msg);
    }
    /* too many dimensions */
    buf b = BUF_INIT(0);
    buf_puts(&b, "{\"data\":[{\"embedding\":[0");
    for (int i = 0; i < EMBED_DIM_MAX; i++)
        buf_puts(&b, ",0");
    buf_puts(&b, "]}]}");
    dim = 0;
    pt_error_clear(&err);
    CHECK_INT(embed_parse_response(b.data, b.len, 1, &v, &dim, &err), -PT_ERR_UNAVAILABLE);
    buf_free(&b);
}

TEST(test_open_config)
{
    embed_provider *p = NULL;
    pt_error err = {0};
    embed_config c = {.url = "ftp://x", .model = "m"};
    CHECK_INT(embed_provider_open(&c, &p, &err), -PT_ERR_INVALID);
    c = (embed_config){.url = "", .model = "m"};
    CHECK_INT(embed_provider_open(&c, &p, &err), -PT_ERR_INVALID);
    c = (embed_config){.url = "http://x", .model = NULL};
    CHECK_INT(embed_provider_open(&c, &p, &err), -PT_ERR_INVALID);
    c = (embed_config){.url = "http://x", .model = "m", .batch_size = EMBED_BATCH_MAX + 1};
    CHECK_INT(embed_provider_open(&c, &p, &err), -PT_ERR_INVALID);
    c = (embed_config){.url = "http://x", .model = "m", .key = "a\nb"};
    CHECK_INT(embed_provider_open(&c, &p, &err), -PT_ERR_INVALID);
    CHECK(p == NULL, "nothing opened");

    unsetenv("PROPTALK_LLM_URL");
    CHECK(embed_provider_from_env(&p, &err) == 0 && p == NULL, "no URL: no provider");
    setenv("PROPTALK_LLM_URL", "http://127.0.0.1:1/v1/", 1);
    setenv("PROPTALK_LLM_MODEL", "chat-model", 1);
    setenv("PROPTALK_EMBED_MODEL", "embed-model", 1);
    CHECK(embed_provider_from_env(&p, &err) == 0 && p != NULL, "from env: %s", err.msg);
    CHECK_STR(embed_provider_model(p), "embed-model");
    embed_provider_close(p);
    unsetenv("PROPTALK_EMBED_MODEL");
    CHECK(embed_provider_from_env(&p, &err) == 0 && p != NULL, "from env: %s", err.msg);
    CHECK_STR(embed_provider_model(p), "chat-model");
    embed_provider_close(p);
    setenv("PROPTALK_EMBED_CACHE_MB", "lots", 1);
    CHECK_INT(embed_provider_from_env(&p, &err), -PT_ERR_INVALID);
    unsetenv("PROPTALK_EMBED_CACHE_MB");
    unsetenv("PROPTALK_LLM_URL");
    unsetenv("PROPTALK_LLM_MODEL");
    embed_provider_close(NULL);
}

TEST(test_texts)
{
    pt_error err = {0};
    float *v = NULL, *w = NULL;
    int dim = 0, dim2 = 0;
    embed_provider *p = provider("", 64, 0, 0);
    const char *texts[] = {"villa with pool", "office in business bay", "villa with pool",
                           "caf\xc3\xa9 \xff broken utf8"};
    CHECK(embed_texts(p, texts, 4, 0, &v, &dim, &err) == 0, "embed: %s", err.msg);
    CHECK_INT(dim, 256);
    CHECK(v && memcmp(v, v + 2 * dim, sizeof *v * (size_t)dim) == 0, "same text, same vector");
    CHECK(v && memcmp(v, v + dim, sizeof *v * (size_t)dim) != 0, "other text, other vector");
    embed_provider_close(p);

    /* items out of order: the index decides */
    p = provider("reverse", 64, 0, 0);
    CHECK(embed_texts(p, texts, 4, 0, &w, &dim2, &err) == 0, "reverse: %s", err.msg);
    CHECK(v && w && dim2 == dim && memcmp(v, w, sizeof *v * 4 * (size_t)dim) == 0,
          "reordered answer read in index order");
    embed_provider_close(p);
    free(v);
    free(w);

    /* batches */
    p = provider("", 64, 0, 0);
    const char *many[150];
    char tx[150][32];
    for (int i = 0; i < 150; i++) {
        snprintf(tx[i], sizeof tx[i], "listing number %d", i);
        many[i] = tx[i];
    }
    fake_reset();
    v = NULL;
    CHECK(embed_texts(p, many, 150, 0, &v, &dim, &err) == 0, "150: %s", err.msg);
    long req, in;
    fake_stats(&req, &in);
    CHECK_INT(req, 3);
    CHECK_INT(in, 150);
    float *one = NULL;
    CHECK(embed_texts(p, many + 149, 1, 0, &one, &dim, &err) == 0, "one");
    CHECK(v && one && memcmp(v + 149 * dim, one, sizeof *v * (size_t)dim) == 0,
          "the last batch lands at the right offset");
    free(one);
    free(v);
    CHECK_INT(embed_texts(p, many, 0, 0, &v, &dim, &err), -PT_ERR_INVALID);
    embed_provider_close(p);
}

TEST(test_provider_errors)
{
    static const struct {
        const char *mode, *want;
    } cases[] = {
        {"500", "HTTP 500: The server had an error"},
        {"badjson", "not JSON"},
        {"mixdim", "dimensions"},
        {"short", "1 items for 2"},
        {"nan", "not a finite number"},
        {"nosuchmode", "HTTP 404"},
    };
    const char *texts[] = {"villa", "flat"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pt_error err = {0};
        float *v = NULL;
        int dim = 0;
        embed_provider *p = provider(cases[i].mode, 64, 0, 0);
        int rc = embed_texts(p, texts, 2, 0, &v, &dim, &err);
        CHECK(rc == -PT_ERR_UNAVAILABLE && strstr(err.msg, cases[i].want) && v == NULL,
              "%s: rc %d msg \"%s\"", cases[i].mode, rc, err.msg);
        CHECK(strstr(err.msg, "test-key") == NULL, "the key is never in a message");
        embed_provider_close(p);
    }

    /* a wrong key */
    char url[96];
    pt_error err = {0};
    float *v = NULL;
    int dim = 0;
    embed_provider *p = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fake_port);
    embed_config c = {.url = url, .key = "wrong-key", .model = "m"};
    CHECK(embed_provider_open(&c, &p, &err) == 0, "open");
    CHECK_INT(embed_texts(p, texts, 1, 0, &v, &dim, &err), -PT_ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "HTTP 401") && !strstr(err.msg, "wrong-key"), "msg %s", err.msg);
    embed_provider_close(p);

    /* nobody listening */
    int fd = -1;
    {
        /* a port that was free a moment ago */
        char cmd[] = "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
                     "print(s.getsockname()[1])'";
        FILE *f = popen(cmd, "r");
        int port = 0;
        if (f && fscanf(f, "%d", &port) == 1)
            fd = port;
        if (f)
            pclose(f);
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fd);
    c = (embed_config){.url = url, .model = "m"};
    pt_error_clear(&err);
    CHECK(embed_provider_open(&c, &p, &err) == 0, "open");
    CHECK_INT(embed_texts(p, texts, 1, 0, &v, &dim, &err), -PT_ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "embeddings provider") != NULL, "msg %s", err.msg);
    embed_provider_close(p);

    /* too slow: the query timeout holds */
    p = provider("slow", 64, 500, 0);
    pt_error_clear(&err);
    double t0 = now_s();
    CHECK_INT(embed_texts(p, texts, 1, 500, &v, &dim, &err), -PT_ERR_UNAVAILABLE);
    double took = now_s() - t0;
    CHECK(strstr(err.msg, "within 500 ms") != NULL, "msg %s", err.msg);
    CHECK(took < 2.5, "gave up after %.2f s", took);
    embed_provider_close(p);
}

TEST(test_listing_text)
{
    buf b = BUF_INIT(0);
    listing l = {.id = "x", .title = "Sea view villa", .project = "Palm Homes",
                 .locality = "Palm Jumeirah", .city = "Dubai", .type = PTYPE_VILLA, .tx = TX_BUY,
                 .bedrooms = 4, .amenities = "pool;gym", .description = "Close to the beach."};
    CHECK(embed_listing_text(&l, &b) == 0, "text");
    CHECK_STR(buf_cstr(&b), "Sea view villa. Palm Homes. Palm Jumeirah, Dubai. 4 bedroom villa "
              "for sale. Amenities: pool, gym. Close to the beach.");
    listing m = {.id = "y", .title = "Studio", .type = PTYPE_STUDIO, .tx = TX_RENT,
                 .bedrooms = 0, .city = "Dubai"};
    CHECK(embed_listing_text(&m, &b) == 0, "text");
    CHECK_STR(buf_cstr(&b), "Studio. Dubai. studio for rent");
    /* long descriptions are cut on a character boundary */
    char *desc = malloc(EMBED_TEXT_MAX * 2);
    for (int i = 0; i + 2 < EMBED_TEXT_MAX * 2; i += 2)
        memcpy(desc + i, "\xd8\xa7", 2);   /* Arabic alef, 2 bytes */
    desc[EMBED_TEXT_MAX * 2 - 2] = '\0';
    m.description = desc;
    CHECK(embed_listing_text(&m, &b) == 0, "long");
    CHECK(b.len <= EMBED_TEXT_MAX && b.len > EMBED_TEXT_MAX - 4, "cut at %zu", b.len);
    CHECK(((unsigned char)b.data[b.len - 1] & 0xC0) == 0x80 &&
          ((unsigned char)b.data[b.len - 2]) == 0xd8, "ends after a whole character");
    free(desc);
    buf_free(&b);
}

static int count_cb(void *ctx, const char *id, const float *v, int dim)
{
    (*(int *)ctx)++;
    return v && dim > 0 && id ? 0 : -1;
}

TEST(test_store_vectors)
{
    pt_error err = {0};
    arena a;
    arena_init(&a, 0);
    int64_t v0 = -1, v1 = -1;
    CHECK(st->ops->vector_version(st, tc.id, &v0, &err) == 0 && v0 == 0, "no version yet");
    /* vectors need a listing to be seen, but may be written ahead of it */
    float vec[3] = {1, 2, 3};
    CHECK(st->ops->vector_put(st, ta.id, "A1", "m1", "h1", vec, 3, &err) == 0, "put: %s", err.msg);
    CHECK(st->ops->vector_version(st, ta.id, &v1, &err) == 0 && v1 > 0, "version %lld", (long long)v1);
    CHECK(st->ops->vector_put(st, ta.id, "A1", "m1", "h2", vec, 3, &err) == 0, "replace");
    int64_t v2 = 0;
    st->ops->vector_version(st, ta.id, &v2, &err);
    CHECK(v2 > v1, "a replace bumps the version");
    CHECK(st->ops->vector_put(st, ta.id, "ZZ", "m1", "h3", vec, 3, &err) == 0, "orphan put");
    CHECK_INT(st->ops->vector_put(st, ta.id, "A1", "m1", "h", vec, 0, &err), -PT_ERR_INVALID);
    CHECK_INT(st->ops->vector_put(st, 9999, "A1", "m1", "h", vec, 3, &err), -PT_ERR_NOT_FOUND);

    store_vector_hash *hs = NULL;
    int n = 0;
    CHECK(st->ops->vector_hashes(st, ta.id, "m1", &a, &hs, &n, &err) == 0, "hashes");
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(hs[0].listing_id, "A1");
        CHECK_STR(hs[0].text_hash, "h2");
    }
    CHECK(st->ops->vector_hashes(st, ta.id, "m2", &a, &hs, &n, &err) == 0 && n == 0,
          "other model: none");
    CHECK(st->ops->vector_hashes(st, tb.id, "m1", &a, &hs, &n, &err) == 0 && n == 0,
          "other tenant: none");
    int seen = 0;
    CHECK(st->ops->vector_each(st, ta.id, "m1", count_cb, &seen, &err) == 0, "each");
    CHECK_INT(seen, 1);   /* ZZ has no listing */

    int64_t removed = 0;
    CHECK(st->ops->vector_purge(st, ta.id, &removed, &err) == 0 && removed == 1, "purge %lld",
          (long long)removed);
    /* deleting a listing takes its vector */
    listing l;
    CHECK(st->ops->listing_get(st, ta.id, "A1", &a, &l, &err) == 0, "get");
    CHECK(st->ops->listing_delete(st, ta.id, "A1", &err) == 0, "delete");
    CHECK(st->ops->vector_hashes(st, ta.id, "m1", &a, &hs, &n, &err) == 0 && n == 0,
          "vector gone with its listing");
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "put back: %s", err.msg);
    CHECK(st->ops->vector_put(st, ta.id, "A1", "m1", "h1", vec, 3, &err) == 0, "put");
    CHECK(st->ops->vector_delete(st, ta.id, "A1", &err) == 0, "delete vector");
    CHECK(st->ops->vector_delete(st, ta.id, "A1", &err) == 0, "delete again is fine");
    CHECK(st->ops->vector_hashes(st, ta.id, "m1", &a, &hs, &n, &err) == 0 && n == 0, "gone");

    /* listing pages */
    listing *ls = NULL;
    CHECK(st->ops->listing_page(st, ta.id, NULL, 0, 2, &a, &ls, &n, &err) == 0, "page");
    CHECK(n == 2 && strcmp(ls[0].id, "A1") == 0 && strcmp(ls[1].id, "A2") == 0, "first page");
    CHECK(st->ops->listing_page(st, ta.id, "A2", 0, 10, &a, &ls, &n, &err) == 0, "after");
    CHECK(n == 3 && strcmp(ls[0].id, "A3") == 0, "after A2: %d", n);
    CHECK(st->ops->listing_page(st, ta.id, NULL, 4, 10, &a, &ls, &n, &err) == 0 && n == 1 &&
          strcmp(ls[0].id, "A5") == 0, "offset 4");
    CHECK(st->ops->listing_page(st, ta.id, NULL, 10, 10, &a, &ls, &n, &err) == 0 && n == 0,
          "past the end");
    CHECK_INT(st->ops->listing_page(st, ta.id, NULL, 0, 0, &a, &ls, &n, &err), -PT_ERR_INVALID);
    CHECK_INT(st->ops->listing_page(st, ta.id, NULL, -1, 5, &a, &ls, &n, &err), -PT_ERR_INVALID);
    CHECK(st->ops->listing_page(st, tb.id, NULL, 0, 10, &a, &ls, &n, &err) == 0 && n == 1,
          "tenant scoped");
    tenant t;
    CHECK(st->ops->tenant_by_id(st, tb.id, &t, &err) == 0 && strcmp(t.slug, "other") == 0,
          "tenant by id");
    CHECK_INT(st->ops->tenant_by_id(st, 424242, &t, &err), -PT_ERR_NOT_FOUND);
    arena_release(&a);
}

TEST(test_sync_and_rank)
{
    pt_error err = {0};
    embed_report rep;
    arena a;
    arena_init(&a, 0);
    embed_provider *p = provider("", 64, 0, 0);

    CHECK(embed_sync_tenant(p, st, ta.id, 0, &rep, &err) == 0, "sync: %s", err.msg);
    CHECK_INT(rep.embedded, 5);
    CHECK_INT(rep.pending, 0);
    CHECK_STR(rep.error, "");
    CHECK(embed_sync_tenant(p, st, tb.id, 0, &rep, &err) == 0 && rep.embedded == 1, "sync b");
    fake_reset();
    CHECK(embed_sync_tenant(p, st, ta.id, 0, &rep, &err) == 0, "again");
    CHECK(rep.embedded == 0 && rep.skipped == 5, "up to date: %ld %ld", rep.embedded, rep.skipped);
    long req, in;
    fake_stats(&req, &in);
    CHECK_INT(req, 0);

    const char **ids = NULL;
    int n = 0;
    CHECK(embed_rank(p, st, ta.id, "villa with a private pool and garden", 3, &a, &ids, &n,
                     &err) == 0, "rank: %s", err.msg);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(ids[0], "A1");
        CHECK_STR(ids[1], "A5");   /* the penthouse has a private pool too */
    }
    CHECK(embed_rank(p, st, ta.id, "office with meeting rooms and parking", 1, &a, &ids, &n,
                     &err) == 0 && n == 1 && strcmp(ids[0], "A3") == 0, "office first");
    CHECK(embed_rank(p, st, ta.id, "studio", 100, &a, &ids, &n, &err) == 0, "k > n");
    CHECK_INT(n, 5);
    if (n == 5)
        CHECK_STR(ids[0], "A4");
    /* tenant isolation: B's pool villa never shows for A, and A's never for B */
    int leaks = 0;
    for (int i = 0; i < n; i++)
        leaks += ids[i][0] != 'A';
    CHECK_INT(leaks, 0);
    CHECK(embed_rank(p, st, tb.id, "villa with a private pool", 10, &a, &ids, &n, &err) == 0 &&
          n == 1 && strcmp(ids[0], "B1") == 0, "B sees only B1");

    /* a tenant without vectors: nothing, and no call to the provider */
    fake_reset();
    CHECK(embed_rank(p, st, tc.id, "villa", 5, &a, &ids, &n, &err) == 0 && n == 0, "empty");
    fake_stats(&req, &in);
    CHECK_INT(req, 0);
    CHECK_INT(embed_rank(p, st, ta.id, "  ", 5, &a, &ids, &n, &err), -PT_ERR_INVALID);
    CHECK_INT(embed_rank(p, st, ta.id, "x", 0, &a, &ids, &n, &err), -PT_ERR_INVALID);
    CHECK_INT(embed_rank(p, st, ta.id, "x", EMBED_RANK_MAX + 1, &a, &ids, &n, &err),
              -PT_ERR_INVALID);

    /* a changed listing is re-embedded, and the cache sees it */
    listing l;
    CHECK(st->ops->listing_get(st, ta.id, "A3", &a, &l, &err) == 0, "get A3");
    l.description = "Office converted into a villa with private pool and garden and beach access";
    l.title = "Palm villa with private pool and garden";
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "update A3");
    CHECK(embed_sync_tenant(p, st, ta.id, 0, &rep, &err) == 0 && rep.embedded == 1 &&
          rep.skipped == 4, "one re-embedded: %ld %ld", rep.embedded, rep.skipped);
    CHECK(embed_rank(p, st, ta.id, "converted into a villa", 1, &a, &ids, &n, &err) == 0 &&
          n == 1, "rank");
    if (n == 1)
        CHECK_STR(ids[0], "A3");
    /* embed_listings for one listing */
    l.title = "Office";
    l.description = "Plain office";
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "update A3 back");
    CHECK(embed_listings(p, st, ta.id, &l, 1, &rep, &err) == 0 && rep.embedded == 1, "one");
    CHECK(embed_rank(p, st, ta.id, "palm villa with private pool and garden", 1, &a, &ids, &n,
                     &err) == 0 && n == 1 && strcmp(ids[0], "A1") == 0, "A1 best again");

    /* a deleted listing leaves the ranking */
    CHECK(st->ops->listing_get(st, ta.id, "A1", &a, &l, &err) == 0, "get A1");
    CHECK(st->ops->listing_delete(st, ta.id, "A1", &err) == 0, "delete A1");
    CHECK(embed_rank(p, st, ta.id, "palm villa with private pool and garden", 10, &a, &ids, &n,
                     &err) == 0 && n == 4, "4 left: %d", n);
    for (int i = 0; i < n; i++)
        CHECK(strcmp(ids[i], "A1") != 0, "A1 gone");
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "A1 back");
    CHECK(embed_sync_tenant(p, st, ta.id, 0, &rep, &err) == 0 && rep.embedded == 1, "A1 again");

    /* the cache cap */
    embed_provider *tiny = provider("", 64, 0, 1024);
    CHECK_INT(embed_rank(tiny, st, ta.id, "villa", 3, &a, &ids, &n, &err), -PT_ERR_TOO_LARGE);
    embed_provider_close(tiny);
    /* the query's dimension must match the stored one */
    embed_provider *d48 = provider("dim48", 64, 0, 0);
    pt_error_clear(&err);
    CHECK_INT(embed_rank(d48, st, ta.id, "villa", 3, &a, &ids, &n, &err), -PT_ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "48 dimensions") != NULL, "msg %s", err.msg);
    embed_provider_close(d48);
    embed_provider_close(p);
    arena_release(&a);
}

TEST(test_sync_provider_down)
{
    pt_error err = {0};
    embed_report rep;
    embed_provider *bad = provider("500", 64, 0, 0);
    listing l;
    arena a;
    arena_init(&a, 0);
    CHECK(st->ops->listing_get(st, ta.id, "A2", &a, &l, &err) == 0, "get");
    l.description = "Now with a balcony";
    CHECK(st->ops->listing_upsert(st, ta.id, &l, &err) == 0, "update");
    CHECK(embed_sync_tenant(bad, st, ta.id, 0, &rep, &err) == 0, "sync still succeeds: %s", err.msg);
    CHECK(rep.embedded == 0 && rep.pending == 1 && rep.skipped == 4, "pending %ld skipped %ld",
          rep.pending, rep.skipped);
    CHECK(strstr(rep.error, "HTTP 500") != NULL, "error %s", rep.error);
    CHECK(embed_listings(bad, st, ta.id, &l, 1, &rep, &err) == 0 && rep.pending == 1 &&
          rep.embedded == 0, "embed_listings still succeeds");
    embed_provider_close(bad);
    /* the next pass with a working provider catches up */
    embed_provider *p = provider("", 64, 0, 0);
    CHECK(embed_sync_tenant(p, st, ta.id, 0, &rep, &err) == 0 && rep.embedded == 1 &&
          rep.pending == 0, "caught up: %ld", rep.embedded);
    embed_provider_close(p);
    arena_release(&a);
}

/* Many listings: pages of the sync, and the heap against a full sort. */
static int collect_cb(void *ctx, const char *id, const float *v, int dim);
typedef struct all_vecs {
    int n, dim;
    char ids[1200][16];
    float *v;
} all_vecs;

static int collect_cb(void *ctx, const char *id, const float *v, int dim)
{
    all_vecs *A = ctx;
    A->dim = dim;
    snprintf(A->ids[A->n], sizeof A->ids[A->n], "%s", id);
    double norm = 0;
    for (int i = 0; i < dim; i++)
        norm += (double)v[i] * v[i];
    norm = sqrt(norm);
    for (int i = 0; i < dim; i++)
        A->v[(size_t)A->n * 256 + (size_t)i] = (float)(v[i] / norm);
    A->n++;
    return 0;
}

static all_vecs *sort_ctx;
static float sort_scores[1200];
static int by_score(const void *x, const void *y)
{
    int i = *(const int *)x, j = *(const int *)y;
    if (sort_scores[i] != sort_scores[j])
        return sort_scores[i] < sort_scores[j] ? 1 : -1;
    return strcmp(sort_ctx->ids[i], sort_ctx->ids[j]);
}

TEST(test_many)
{
    static const char *words[] = {"villa", "pool", "garden", "marina", "view", "gym", "studio",
                                  "office", "parking", "beach", "metro", "school", "mall",
                                  "quiet", "family", "luxury", "budget", "balcony", "terrace",
                                  "sea"};
    pt_error err = {0};
    tenant tm;
    make_tenant(&tm, "many");
    buf csv = BUF_INIT(0);
    buf_puts(&csv, "id,title,property_type,transaction,price,description\n");
    unsigned seed = 7;
    for (int i = 0; i < 1100; i++) {
        buf_printf(&csv, "M%04d,Listing %d,apartment,sale,%d,", i, i, 1000000 + i);
        for (int w = 0; w < 4; w++) {
            seed = seed * 1103515245u + 12345u;
            buf_printf(&csv, "%s ", words[(seed >> 16) % 20]);
        }
        buf_puts(&csv, "\n");
    }
    import_csv(&tm, buf_cstr(&csv));
    buf_free(&csv);
    embed_provider *p = provider("", 100, 0, 0);
    embed_report rep;
    /* a time budget: one batch, then the rest waits */
    CHECK(embed_sync_tenant(p, st, tm.id, 1, &rep, &err) == 0, "budget sync: %s", err.msg);
    CHECK(rep.embedded == 100 && rep.pending == 1000 && strstr(rep.error, "budget"),
          "budget: embedded %ld pending %ld (%s)", rep.embedded, rep.pending, rep.error);
    fake_reset();
    CHECK(embed_sync_tenant(p, st, tm.id, 0, &rep, &err) == 0, "sync: %s", err.msg);
    CHECK_INT(rep.embedded, 1000);
    CHECK_INT(rep.skipped, 100);
    long req, in;
    fake_stats(&req, &in);
    CHECK_INT(req, 10);
    CHECK_INT(in, 1000);

    all_vecs *A = calloc(1, sizeof *A);
    A->v = malloc(sizeof(float) * 1200 * 256);
    CHECK(st->ops->vector_each(st, tm.id, "fake-embed", collect_cb, A, &err) == 0, "each");
    CHECK_INT(A->n, 1100);
    static const char *queries[] = {"villa pool garden", "quiet family school", "sea view balcony",
                                    "office parking metro", "luxury"};
    arena a;
    arena_init(&a, 0);
    float *qv = NULL;
    int dim = 0;
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        const char **ids = NULL;
        int n = 0;
        CHECK(embed_rank(p, st, tm.id, queries[q], 25, &a, &ids, &n, &err) == 0 && n == 25,
              "rank %s: %s", queries[q], err.msg);
        CHECK(embed_texts(p, &queries[q], 1, 0, &qv, &dim, &err) == 0, "query vector");
        double norm = 0;
        for (int i = 0; i < dim; i++)
            norm += (double)qv[i] * qv[i];
        int order[1200];
        for (int i = 0; i < A->n; i++) {
            double d = 0;
            for (int k = 0; k < dim; k++)
                d += (double)A->v[(size_t)i * 256 + (size_t)k] * qv[k];
            sort_scores[i] = (float)(d / sqrt(norm));
            order[i] = i;
        }
        sort_ctx = A;
        qsort(order, (size_t)A->n, sizeof order[0], by_score);
        int same = 0, score_ok = 0;
        for (int i = 0; i < n; i++) {
            same += strcmp(ids[i], A->ids[order[i]]) == 0;
            /* float sums differ in the last bits: compare scores where ids differ */
            for (int j = 0; j < A->n; j++)
                if (strcmp(A->ids[j], ids[i]) == 0) {
                    score_ok += fabsf(sort_scores[j] - sort_scores[order[i]]) < 1e-5f;
                    break;
                }
        }
        CHECK(score_ok == n, "%s: every rank holds a listing of that rank's score (%d/%d, %d "
              "same ids)", queries[q], score_ok, n, same);
        free(qv);
        qv = NULL;
    }
    arena_release(&a);
    free(A->v);
    free(A);
    embed_provider_close(p);
}

TEST_MAIN(
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fake_start();
    setup();
    RUN(test_parse_response);
    RUN(test_open_config);
    RUN(test_texts);
    RUN(test_provider_errors);
    RUN(test_listing_text);
    RUN(test_store_vectors);
    RUN(test_sync_and_rank);
    RUN(test_sync_provider_down);
    RUN(test_many);
    store_close(st);
    fake_stop();
    curl_global_cleanup();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        test_failed++;
)
