/*
 * embed_rank.c - how long the semantic ranking of provider/embed.c takes
 * per query, without the provider's own round trip: the brute-force cosine
 * over one tenant's cached vectors (rank_top: dot products and a top-k
 * heap), and loading those vectors from SQLite into the cache.
 *
 * Baseline from the same run: one pass reading the same float array
 * (eight running sums: the floor of any pass over the vectors), so the
 * ranking figure can be read as a ratio on any machine.
 *
 *   make build/bench/embed_rank && build/bench/embed_rank [N ...]
 *
 * Includes embed.c to reach its statics; links the rest of the library.
 */
#include "../src/provider/embed.c"

#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static float frand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) - 0.5f;
}

static void normalise(float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++)
        s += (double)v[i] * v[i];
    s = sqrt(s);
    for (int i = 0; i < dim; i++)
        v[i] = (float)(v[i] / s);
}

static void bench_rank(int n, int dim)
{
    vec_cache c = {.n = n, .dim = dim};
    c.v = malloc(sizeof(float) * (size_t)n * (size_t)dim);
    c.ids = malloc(sizeof(char *) * (size_t)n);
    c.idbuf = malloc((size_t)n * 12);
    if (c.v == NULL || c.ids == NULL || c.idbuf == NULL) {
        fprintf(stderr, "out of memory for %d x %d\n", n, dim);
        exit(1);
    }
    for (int i = 0; i < n; i++) {
        snprintf(c.idbuf + (size_t)i * 12, 12, "L%09d", i);
        c.ids[i] = c.idbuf + (size_t)i * 12;
        for (int k = 0; k < dim; k++)
            c.v[(size_t)i * (size_t)dim + (size_t)k] = frand();
        normalise(c.v + (size_t)i * (size_t)dim, dim);
    }
    float *q = malloc(sizeof(float) * (size_t)dim);
    scored heap[50];
    const int rounds = n >= 100000 ? 10 : 50;
    volatile float sink = 0;
    double base = 1e9, rank = 1e9;
    for (int r = 0; r < rounds; r++) {
        /* baseline: read the same array once, eight running sums (the
         * floor: what any pass over the vectors costs) */
        double t0 = now();
        float s8[8] = {0};
        for (size_t i = 0; i + 8 <= (size_t)n * (size_t)dim; i += 8)
            for (int j = 0; j < 8; j++)
                s8[j] += c.v[i + (size_t)j];
        sink += s8[0] + s8[1] + s8[2] + s8[3] + s8[4] + s8[5] + s8[6] + s8[7];
        double t1 = now();
        for (int k = 0; k < dim; k++)
            q[k] = frand();
        normalise(q, dim);
        int used = rank_top(&c, q, 50, heap);
        double t2 = now();
        sink += heap[0].score + (float)used;
        if (t1 - t0 < base)
            base = t1 - t0;
        if (t2 - t1 < rank)
            rank = t2 - t1;
    }
    printf("rank  n=%-7d dim=%-5d k=50: %8.2f ms/query   read-once baseline %7.2f ms   ratio %.2f   "
           "(%zu MB of vectors)\n", n, dim, rank * 1e3, base * 1e3, rank / base,
           (size_t)n * (size_t)dim * 4 >> 20);
    free(q);
    free(c.v);
    free(c.ids);
    free(c.idbuf);
}

static void bench_load(int n, int dim)
{
    char dir[] = "/tmp/pt_bench_XXXXXX", url[128];
    pt_error err = {0};
    store *s = NULL;
    if (mkdtemp(dir) == NULL)
        exit(1);
    snprintf(url, sizeof url, "sqlite:%s/b.db", dir);
    setenv("PROPTALK_SQLITE_SYNC", "normal", 1);
    if (store_open(url, &s, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        exit(1);
    }
    tenant t = {0};
    snprintf(t.slug, sizeof t.slug, "bench");
    memcpy(t.currency, "AED", 4);
    memcpy(t.region, "AE", 3);
    snprintf(t.timezone, sizeof t.timezone, "Asia/Dubai");
    s->ops->tenant_create(s, &t, NULL, &err);
    float *v = malloc(sizeof(float) * (size_t)dim);
    char id[16];
    s->ops->import_begin(s, &err);
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "L%09d", i);
        listing l = {.id = id, .title = "t", .type = PTYPE_APARTMENT, .tx = TX_BUY, .price = i,
                     .bedrooms = -1, .bathrooms = -1, .area_sqft = -1, .units_available = -1,
                     .rental_yield = -1};
        memcpy(l.currency, "AED", 4);
        for (int k = 0; k < dim; k++)
            v[k] = frand();
        if (s->ops->listing_upsert(s, t.id, &l, &err) || s->ops->vector_put(s, t.id, id, "m", "h", v,
                                                                             dim, &err)) {
            fprintf(stderr, "fill: %s\n", err.msg);
            exit(1);
        }
    }
    s->ops->import_commit(s, &err);
    embed_provider *p = NULL;
    embed_config cfg = {.url = "http://127.0.0.1:9", .model = "m", .cache_bytes = (size_t)4 << 30};
    embed_provider_open(&cfg, &p, &err);
    vec_cache *c = NULL;
    double t0 = now();
    int rc = cache_get(p, s, t.id, 1, &c, &err);
    double t1 = now();
    printf("load  n=%-7d dim=%-5d from SQLite into the cache: %8.1f ms (rc %d)\n", n, dim,
           (t1 - t0) * 1e3, rc);
    cache_release(c);
    embed_provider_close(p);
    free(v);
    store_close(s);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

int main(int argc, char **argv)
{
    int sizes[8] = {10000, 100000}, n_sizes = 2;
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc && n_sizes < 8; i++)
            sizes[n_sizes++] = (int)strtol(argv[i], NULL, 10);
    }
    for (int i = 0; i < n_sizes; i++) {
        bench_rank(sizes[i], 256);
        bench_rank(sizes[i], 1536);
    }
    bench_load(20000, 1536);
    return 0;
}
