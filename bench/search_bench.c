/*
 * search_bench.c - the search benchmark of issue 4 (see BENCHMARKS.md and
 * bench/search_bench.sh, which drives it).
 *
 *   search_bench gen N SEED FILE
 *       writes N generated listings (bench/search_inventory.c) as CSV
 *   search_bench query DB SLUG N SEED [OUT]
 *       N realistic buyer messages (generated from SEED over the tenant's
 *       localities) are understood by the NLU exactly as a chat turn would
 *       (tenant gazetteer, currency), then searched with search_listings
 *       alone, as the dialog calls it; prints latency percentiles.  OUT gets
 *       the messages, one per line, for the chat measurement.
 *   search_bench pair DB SLUG URL API_KEY FILE   (SEARCH_BENCH_PAIR_DUMP=PATH: per-message ms)
 *       each message of FILE searched alone in process, then sent as a chat
 *       first message: both distributions and the per-message difference
 *   search_bench turn DB SLUG FILE
 *       the same as chat, in process (engine_chat_slug, no HTTP)
 *   search_bench show DB SLUG MESSAGE [cheaper|better]
 *       what one message finds, for reading results
 *   search_bench answers DB SLUG N SEED
 *       every answer of the query mix (as query makes it), one line per
 *       search: the message as it is, then "more" (its listings excluded),
 *       cheaper and better (around the median of what it showed), with the
 *       listings, their relaxation and the search's record; for checking
 *       that a change of the search keeps every answer (diff two runs)
 *   search_bench chat URL API_KEY FILE
 *       sends each message of FILE as the first message of a fresh session
 *       to POST /api/chat/query (keep-alive, one at a time) and prints the
 *       latency percentiles of the answers.
 *
 * Timings are wall clock (CLOCK_MONOTONIC) per call; CPU time of the whole
 * run is printed beside them, since the machine is shared.
 */
#include "search_inventory.h"

#include "dialog/dialog.h"
#include "engine/engine.h"
#include "nlu/nlu.h"
#include "pack/pack.h"
#include "search/search.h"
#include "store/store.h"

#include <curl/curl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
           (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *ms, int n)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_d);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += ms[i];
    printf("%s: n=%d mean=%.3f ms p50=%.3f ms p90=%.3f ms p99=%.3f ms max=%.3f ms\n", what, n,
           sum / n, ms[n / 2], ms[(int)(n * 0.9)], ms[(int)(n * 0.99)], ms[n - 1]);
}

/* ---- gen ------------------------------------------------------------------ */

static int cmd_gen(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: search_bench gen N SEED FILE\n");
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    uint64_t seed = strtoull(argv[3], NULL, 10);
    FILE *f = fopen(argv[4], "w");
    if (f == NULL) {
        perror(argv[4]);
        return 1;
    }
    static char iobuf[1 << 20];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    inv_gen g;
    listing l;
    inv_init(&g, seed, n);
    inv_csv_header(f);
    while (inv_next(&g, &l) == 0)
        inv_csv_row(f, &l);
    if (fclose(f) != 0) {
        perror(argv[4]);
        return 1;
    }
    return 0;
}

/* ---- the query mix ------------------------------------------------------ */

static uint64_t qrng = 1;
static uint64_t qrand(void)
{
    qrng ^= qrng >> 12;
    qrng ^= qrng << 25;
    qrng ^= qrng >> 27;
    return qrng * 2685821657736338717ULL;
}
static double qunif(void)
{
    return (double)(qrand() >> 11) / 9007199254740992.0;
}

/* "1.4 Cr" / "85 lakh" */
static void inr(char *out, size_t n, double v)
{
    if (v >= 1e7)
        snprintf(out, n, "%.1f Cr", v / 1e7);
    else
        snprintf(out, n, "%.0f lakh", v / 1e5);
}

/* One realistic buyer message about locality L. */
static void make_query(char *out, size_t n)
{
    const inv_locality *L = &inv_localities[qrand() % (uint64_t)inv_n_localities];
    const inv_locality *L2 = &inv_localities[qrand() % (uint64_t)inv_n_localities];
    int beds = 1 + (int)(qrand() % 4);
    double area = 450 + beds * 420 + 125;
    double price = area * L->ppsf * (0.7 + 0.7 * qunif());
    double rent = price * L->yield / 100;
    char p[32], p2[32], r[32];
    inr(p, sizeof p, price);
    inr(p2, sizeof p2, price * 1.3);
    inr(r, sizeof r, rent);
    static const char *const devs[] = {"Prestige", "Sobha", "Brigade", "Godrej", "Lodha",
                                       "Embassy", "Assetz"};
    switch (qrand() % 13) {
    case 0: snprintf(out, n, "%d BHK in %s under %s", beds, L->name, p); break;
    case 1: snprintf(out, n, "%d bedroom apartment in %s for rent under %s a year", beds,
                     L->name, r); break;
    case 2: snprintf(out, n, "villa with a pool near a good school around %s", p2); break;
    case 3: snprintf(out, n, "%d BHK in %s or %s between %s and %s", beds, L->name,
                     L2->name, p, p2); break;
    case 4: snprintf(out, n, "ready to move %d BHK flat in %s under %s with gym and parking",
                     beds, L->name, p); break;
    case 5: snprintf(out, n, "studio for rent in %s", L->name); break;
    case 6: snprintf(out, n, "office space to buy in %s under %s", L->name, p2); break;
    case 7: snprintf(out, n, "plot in %s under %s", L->name, p); break;
    case 8: snprintf(out, n, "penthouse in %s with a rooftop terrace under %s", L->name, p2); break;
    case 9: snprintf(out, n, "%s project in %s, %d BHK to buy under %s",
                     devs[qrand() % 7], L->name, beds, p2); break;
    case 10: snprintf(out, n, "cheap %d BHK in %s under %.0f lakh to buy", beds, L->name,
                      price / 4e5); break;
    case 11: snprintf(out, n, "4 BHK villa in %s under %.0f lakh", L->name, price / 3e5); break;
    default: snprintf(out, n, "%d BHK with a %s in %s under %s", beds,
                      inv_rare_features[qrand() % INV_N_RARE], L->name, p2); break;
    }
}

/* Slots from an NLU result, as the dialog takes them from a first message. */
static void slots_from(const nlu_result *r, const char *currency, slots *sl)
{
    slots_init(sl);
    if (r->found & NLU_PURPOSE)
        sl->purpose = r->purpose;
    if (r->found & NLU_TX)
        sl->tx = r->tx;
    if (r->found & NLU_PTYPE)
        sl->type = r->type;
    if (r->found & NLU_BEDROOMS)
        sl->bedrooms = r->bedrooms;
    for (int i = 0; (r->found & NLU_LOCATIONS) && i < r->n_locations && i < 4; i++)
        snprintf(sl->locations[sl->n_locations++], sizeof sl->locations[0], "%s",
                 r->locations[i]);
    if (r->found & NLU_BUDGET) {
        sl->has_budget_min = r->has_budget_min;
        sl->budget_min = r->budget_min;
        sl->has_budget_max = r->has_budget_max;
        sl->budget_max = r->budget_max;
        snprintf(sl->currency, sizeof sl->currency, "%s", currency);
    }
    if (sl->type == PTYPE_STUDIO && sl->bedrooms < 0)
        sl->bedrooms = 0;
    if (sl->tx == TX_NONE && (sl->purpose == PURPOSE_INVESTMENT || sl->purpose == PURPOSE_RESIDENCY))
        sl->tx = TX_BUY;
}

/* One message, its slots and what the search shows (for reading results). */
static void show_one(store *s, const tenant *t, nlu_model *model, nlu_gazetteer *gz,
                     const store_locality_stats *ls, int nls, const char *q, search_mode mode)
{
    arena a;
    arena_init(&a, 0);
    pt_error err = {0};
    nlu_result r;
    nlu_context ctx = {.gazetteer = gz, .currency = t->currency, .region = t->region,
                       .timezone = t->timezone, .now = time(NULL)};
    nlu_analyze(model, &ctx, q, strlen(q), &a, &r);
    slots sl;
    slots_from(&r, t->currency, &sl);
    search_request req = {.slots = &sl, .currency = t->currency, .want_min = 3, .want_max = 5,
                          .tolerance_pct = 10, .text = q, .localities = ls, .n_localities = nls,
                          .mode = mode};
    search_result res;
    double t0 = now_s();
    if (search_listings(s, t->id, &req, &a, &res, &err)) {
        printf("error: %s\n", err.msg);
        return;
    }
    printf("\"%s\" (%.2f ms): tx=%s type=%s beds=%d budget=%lld..%lld locs=%d%s%s\n", q,
           (now_s() - t0) * 1000, tx_name(res.tx) ? tx_name(res.tx) : "any",
           ptype_name(sl.type) ? ptype_name(sl.type) : "any", sl.bedrooms,
           (long long)sl.budget_min, (long long)sl.budget_max, sl.n_locations,
           sl.n_locations ? " " : "", sl.n_locations ? sl.locations[0] : "");
    printf("  %d shown, %d exact, relaxed=0x%x widened=%lld..%lld neighbour=%s of %s (%.1f km)"
           " band=%lld..%lld\n", res.n, res.n_exact, res.relaxed, (long long)res.widened_min,
           (long long)res.widened_max, res.neighbour ? res.neighbour : "-",
           res.neighbour_of ? res.neighbour_of : "-", res.neighbour_km,
           (long long)res.band_min, (long long)res.band_max);
    for (int i = 0; i < res.n; i++) {
        const listing *l = &res.items[i];
        printf("  %d. [%x] %s | %s | %s %s %dbd %.0fsqft | %lld | %s | y=%.1f | %s\n", i + 1,
               res.item_relax[i], l->id, l->project, l->locality, ptype_name(l->type),
               l->bedrooms, l->area_sqft, (long long)l->price, lstatus_name(l->status),
               l->rental_yield, l->amenities ? l->amenities : "");
    }
    arena_release(&a);
}

/* What the search commands load: the store, the tenant, its pack, the NLU
 * model, and the tenant's locality figures with the gazetteer built from
 * them (timed: gazetteer_ms). */
typedef struct bench_ctx {
    store *s;
    tenant t;
    pack *pk;
    nlu_model *model;
    nlu_gazetteer *gz;
    arena keep;
    store_locality_stats *ls;
    int nls;
    double gazetteer_ms;
} bench_ctx;

static void bench_close(bench_ctx *b)
{
    nlu_gazetteer_free(b->gz);
    nlu_model_free(b->model);
    pack_free(b->pk);
    store_close(b->s);
    arena_release(&b->keep);
}

/* 0, or 1 after saying why on stderr (what was loaded is released). */
static int bench_open(bench_ctx *b, const char *db, const char *slug)
{
    pt_error err = {0};
    memset(b, 0, sizeof *b);
    arena_init(&b->keep, 0);
    if (store_open(db, &b->s, &err) || b->s->ops->tenant_by_slug(b->s, slug, &b->t, &err) ||
        pack_load("packs", slug, &b->pk, &err) ||
        nlu_model_train_dir("packs/default", &b->model, &err))
        goto fail;
    double t0 = now_s();
    if (engine_build_gazetteer(b->s, &b->t, b->pk, &b->keep, &b->ls, &b->nls, &b->gz, &err))
        goto fail;
    b->gazetteer_ms = (now_s() - t0) * 1000;
    return 0;
fail:
    fprintf(stderr, "setup: %s\n", err.msg);
    bench_close(b);
    return 1;
}

static int cmd_show(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: search_bench show DB SLUG MESSAGE [cheaper|better]\n");
        return 2;
    }
    bench_ctx b;
    if (bench_open(&b, argv[2], argv[3]))
        return 1;
    store *s = b.s;
    const tenant t = b.t;
    nlu_model *model = b.model;
    nlu_gazetteer *gz = b.gz;
    store_locality_stats *ls = b.ls;
    int nls = b.nls;
    search_mode mode = argc > 5 && strcmp(argv[5], "cheaper") == 0 ? SEARCH_CHEAPER
                       : argc > 5 && strcmp(argv[5], "better") == 0 ? SEARCH_BETTER : SEARCH_FIT;
    show_one(s, &t, model, gz, ls, nls, argv[4], mode);
    bench_close(&b);
    return 0;
}

static int cmd_query(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: search_bench query DB SLUG N SEED [OUT]\n");
        return 2;
    }
    const char *db = argv[2], *slug = argv[3];
    int n = (int)strtol(argv[4], NULL, 10);
    qrng = strtoull(argv[5], NULL, 10) * 0x9E3779B97F4A7C15ULL + 7;
    FILE *out = argc > 6 ? fopen(argv[6], "w") : NULL;
    bench_ctx b;
    if (bench_open(&b, db, slug))
        return 1;
    printf("locality stats + gazetteer at load: %.0f ms (%d localities)\n", b.gazetteer_ms,
           b.nls);
    pt_error err = {0};
    store *s = b.s;
    const tenant t = b.t;
    pack *pk = b.pk;
    nlu_model *model = b.model;
    nlu_gazetteer *gz = b.gz;
    store_locality_stats *ls = b.ls;
    int nls = b.nls;
    int64_t count = 0;
    s->ops->listing_count(s, t.id, &count, &err);
    printf("listings: %lld\n", (long long)count);

    const pack_settings *cfg = pack_settings_get(pk);
    int warm = n / 5 > 200 ? 200 : n / 5;
    double *ms = malloc(sizeof *ms * (size_t)n);
    double *ms_full = malloc(sizeof *ms_full * (size_t)n);
    double *ms_nlu = malloc(sizeof *ms_nlu * (size_t)n);
    int n_full = 0;
    long cands = 0, steps = 0, shown = 0, exact = 0, relaxed = 0;
    double cpu0 = 0;
    for (int i = -warm; i < n; i++) {
        char q[256];
        make_query(q, sizeof q);
        if (i == 0)
            cpu0 = cpu_s();
        arena a;
        arena_init(&a, 0);
        nlu_result r;
        nlu_context ctx = {.gazetteer = gz, .currency = t.currency, .region = t.region,
                           .timezone = t.timezone, .now = time(NULL)};
        double a0 = now_s();
        nlu_analyze(model, &ctx, q, strlen(q), &a, &r);
        double a1 = now_s();
        slots sl;
        slots_from(&r, t.currency, &sl);
        search_request req = {
            .slots = &sl, .currency = t.currency, .want_min = cfg->results_min,
            .want_max = cfg->results_max < DIALOG_MAX_SHOWN ? cfg->results_max : DIALOG_MAX_SHOWN,
            .tolerance_pct = cfg->price_tolerance_pct, .text = q, .localities = ls,
            .n_localities = nls,
        };
        search_result res;
        double b0 = now_s();
        int rc = search_listings(s, t.id, &req, &a, &res, &err);
        double b1 = now_s();
        if (rc) {
            fprintf(stderr, "search \"%s\": %s\n", q, err.msg);
            return 1;
        }
        if (i >= 0 && getenv("SEARCH_BENCH_SLOW") &&
            (b1 - b0) * 1000 > strtod(getenv("SEARCH_BENCH_SLOW"), NULL))
            fprintf(stderr, "slow %.1f ms: \"%s\" tx=%d type=%d beds=%d min=%lld max=%lld locs=%d "
                    "(%s) -> %d shown, %d exact, %d queries, %d candidates\n", (b1 - b0) * 1000, q,
                    sl.tx, sl.type, sl.bedrooms, (long long)sl.budget_min, (long long)sl.budget_max,
                    sl.n_locations, sl.n_locations ? sl.locations[0] : "", res.n, res.n_exact,
                    res.steps, res.candidates);
        if (i >= 0) {
            ms[i] = (b1 - b0) * 1000;
            ms_nlu[i] = (a1 - a0) * 1000;
            cands += res.candidates;
            steps += res.steps;
            shown += res.n;
            exact += res.n_exact == res.n && res.n > 0;
            relaxed += res.n_exact < res.n;
            /* a first message that carries every criterion the dialog needs
             * to show listings (budget, area, type or bedrooms): the chat
             * measurement replays these */
            bool full = (sl.has_budget_max || sl.has_budget_min) && sl.n_locations > 0 &&
                        (sl.type != PTYPE_NONE || sl.bedrooms >= 0);
            if (full) {
                ms_full[n_full++] = ms[i];
                if (out)
                    fprintf(out, "%s\n", q);
            }
        }
        arena_release(&a);
    }
    double cpu = cpu_s() - cpu0;
    report("search_listings, all messages", ms, n);
    printf("search_listings CPU: %.3f ms per search (user+sys of the timed loop, NLU included)\n",
           cpu * 1000 / n);
    if (n_full)
        report("search_listings, messages with every criterion (replayed as chat)", ms_full, n_full);
    report("nlu_analyze (for reference)", ms_nlu, n);
    printf("per search: %.1f candidates scored, %.1f store queries, %.2f listings shown; "
           "%ld of %d fully exact, %ld relaxed; cpu %.2f s for %d searches\n",
           (double)cands / n, (double)steps / n, (double)shown / n, exact, n, relaxed, cpu, n);
    if (out)
        fclose(out);
    free(ms);
    free(ms_full);
    free(ms_nlu);
    bench_close(&b);
    return 0;
}

/* ---- chat over HTTP ----------------------------------------------------- */

static size_t sink(char *p, size_t sz, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return sz * n;
}

static int cmd_chat(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: search_bench chat URL API_KEY FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[4], "r");
    if (f == NULL) {
        perror(argv[4]);
        return 1;
    }
    char url[512], hdr[256];
    snprintf(url, sizeof url, "%s/api/chat/query", argv[2]);
    snprintf(hdr, sizeof hdr, "X-API-Key: %s", argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, hdr);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    int cap = 4096, n = 0;
    double *ms = malloc(sizeof *ms * (size_t)cap);
    char line[512];
    long seq = 0, bad = 0;
    /* one untimed request first (the server may build the tenant's runtime
     * for an API key it has not seen yet: engine.c) */
    {
        char body[256];
        snprintf(body, sizeof body, "{\"query\": \"hello\", \"session_id\": \"warm-%ld\","
                 " \"user_id\": \"warm\"}", (long)time(NULL));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        double w0 = now_s();
        curl_easy_perform(c);
        printf("untimed warm-up request: %.0f ms\n", (now_s() - w0) * 1000);
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char body[1024];
        snprintf(body, sizeof body, "{\"query\": \"%s\", \"session_id\": \"bench-%ld-%ld\","
                 " \"user_id\": \"u%ld\"}", line, (long)time(NULL), seq, seq);
        seq++;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        double t0 = now_s();
        CURLcode rc = curl_easy_perform(c);
        double t1 = now_s();
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (rc != CURLE_OK || code != 200) {
            bad++;
            continue;
        }
        if (n == cap) {
            cap *= 2;
            ms = realloc(ms, sizeof *ms * (size_t)cap);
        }
        ms[n++] = (t1 - t0) * 1000;
    }
    fclose(f);
    if (n)
        report("POST /api/chat/query (first message, all criteria)", ms, n);
    if (bad)
        printf("failed requests: %ld\n", bad);
    free(ms);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return bad ? 1 : 0;
}

/* ---- search alone and chat, paired ------------------------------------ */

/* For each message of FILE: the NLU and search_listings in this process
 * (exactly what the query command times), then the same message as the
 * first message of a fresh session to POST /api/chat/query, then the same
 * search again.  All run in the same moment, so the noise of a shared
 * machine hits them alike; the per-message difference chat minus search is
 * reported beside both distributions, and so is the second search minus
 * the first: what the same work measured twice differs by here, the floor
 * under any paired difference on this machine at this moment. */
/* The NLU and search_listings of one message, as the query command times
 * them: milliseconds, or -1 with err set. */
static double pair_search(store *s, const tenant *t, const pack_settings *cfg, nlu_model *model,
                          nlu_gazetteer *gz, store_locality_stats *ls, int nls, const char *line,
                          pt_error *err)
{
    arena a;
    arena_init(&a, 0);
    double a0 = now_s();
    nlu_result r;
    nlu_context ctx = {.gazetteer = gz, .currency = t->currency, .region = t->region,
                       .timezone = t->timezone, .now = time(NULL)};
    nlu_analyze(model, &ctx, line, strlen(line), &a, &r);
    slots sl;
    slots_from(&r, t->currency, &sl);
    search_request req = {
        .slots = &sl, .currency = t->currency, .want_min = cfg->results_min,
        .want_max = cfg->results_max < DIALOG_MAX_SHOWN ? cfg->results_max : DIALOG_MAX_SHOWN,
        .tolerance_pct = cfg->price_tolerance_pct, .text = line, .localities = ls,
        .n_localities = nls,
    };
    search_result res;
    int rc = search_listings(s, t->id, &req, &a, &res, err);
    double a1 = now_s();
    arena_release(&a);
    return rc ? -1 : (a1 - a0) * 1000;
}

static int cmd_pair(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: search_bench pair DB SLUG URL API_KEY FILE\n");
        return 2;
    }
    bench_ctx b;
    if (bench_open(&b, argv[2], argv[3]))
        return 1;
    pt_error err = {0};
    store *s = b.s;
    const tenant t = b.t;
    pack *pk = b.pk;
    nlu_model *model = b.model;
    nlu_gazetteer *gz = b.gz;
    store_locality_stats *ls = b.ls;
    int nls = b.nls;
    const pack_settings *cfg = pack_settings_get(pk);
    FILE *f = fopen(argv[6], "r");
    if (f == NULL) {
        perror(argv[6]);
        return 1;
    }
    char url[512], hdr[256];
    snprintf(url, sizeof url, "%s/api/chat/query", argv[4]);
    snprintf(hdr, sizeof hdr, "X-API-Key: %s", argv[5]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, hdr);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    int cap = 4096, n = 0, bad = 0;
    double *ms_s = malloc(sizeof *ms_s * (size_t)cap), *ms_c = malloc(sizeof *ms_c * (size_t)cap);
    double *diff = malloc(sizeof *diff * (size_t)cap);
    double *again = malloc(sizeof *again * (size_t)cap);
    char line[512];
    long seq = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        double s0 = pair_search(s, &t, cfg, model, gz, ls, nls, line, &err);
        if (s0 < 0) {
            fprintf(stderr, "search: %s\n", err.msg);
            return 1;
        }
        char body[1024];
        snprintf(body, sizeof body, "{\"query\": \"%s\", \"session_id\": \"pair-%ld-%ld\","
                 " \"user_id\": \"p%ld\"}", line, (long)time(NULL), seq, seq);
        seq++;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        double b0 = now_s();
        CURLcode cr = curl_easy_perform(c);
        double b1 = now_s();
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (cr != CURLE_OK || code != 200) {
            bad++;
            continue;
        }
        double s1 = pair_search(s, &t, cfg, model, gz, ls, nls, line, &err);
        if (s1 < 0) {
            fprintf(stderr, "search: %s\n", err.msg);
            return 1;
        }
        if (n == cap) {
            cap *= 2;
            ms_s = realloc(ms_s, sizeof *ms_s * (size_t)cap);
            ms_c = realloc(ms_c, sizeof *ms_c * (size_t)cap);
            diff = realloc(diff, sizeof *diff * (size_t)cap);
            again = realloc(again, sizeof *again * (size_t)cap);
        }
        ms_s[n] = s0;
        ms_c[n] = (b1 - b0) * 1000;
        diff[n] = ms_c[n] - ms_s[n];
        again[n] = s1 - s0;
        n++;
    }
    fclose(f);
    const char *dump = getenv("SEARCH_BENCH_PAIR_DUMP");
    if (dump && *dump) {
        /* per message, for lining up with a server's own timings */
        FILE *d = fopen(dump, "w");
        for (int i = 0; d && i < n; i++)
            fprintf(d, "%d %.3f %.3f %.3f\n", i, ms_s[i], ms_c[i], ms_s[i] + again[i]);
        if (d)
            fclose(d);
    }
    if (n) {
        /* the slowest 1% of the differences, by message number: a stall
         * that comes every so many turns (a checkpoint) shows as a period */
        int top = n / 100 > 0 ? n / 100 : 1;
        printf("largest chat minus search (message: ms):");
        for (int k = 0; k < top; k++) {
            int best = -1;
            for (int i = 0; i < n; i++)
                if (diff[i] >= 0 && (best < 0 || diff[i] > diff[best]))
                    best = i;
            if (best < 0)
                break;
            printf(" %d: %.2f", best, diff[best]);
            diff[best] = -1;                 /* taken; restored below */
        }
        printf("\n");
        for (int i = 0; i < n; i++)
            diff[i] = ms_c[i] - ms_s[i];
        printf("message 0 (the server's first search): chat minus search %.2f ms\n", diff[0]);
        report("search alone (NLU + search_listings, in process)", ms_s, n);
        report("POST /api/chat/query, same message, first of a session", ms_c, n);
        report("chat minus search, per message", diff, n);
        report("search again minus search, per message (the floor of a paired difference here)",
               again, n);
    }
    if (bad)
        printf("failed requests: %d\n", bad);
    free(ms_s);
    free(ms_c);
    free(diff);
    free(again);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    bench_close(&b);
    return bad ? 1 : 0;
}

/* ---- a chat turn in process (no HTTP) ----------------------------------- */

static int cmd_turn(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: search_bench turn DB SLUG FILE\n");
        return 2;
    }
    pt_error err = {0};
    engine *e = NULL;
    engine_config cfg = {.db_url = argv[2], .packs_dir = "packs", .store_handles = 2};
    double t0 = now_s();
    if (engine_open(&cfg, &e, &err)) {
        fprintf(stderr, "engine: %s\n", err.msg);
        return 1;
    }
    printf("engine open (every tenant loaded): %.0f ms\n", (now_s() - t0) * 1000);
    FILE *f = fopen(argv[4], "r");
    if (f == NULL) {
        perror(argv[4]);
        return 1;
    }
    int cap = 4096, n = 0;
    double *ms = malloc(sizeof *ms * (size_t)cap);
    char line[512];
    long seq = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char sid[64], uid[64];
        snprintf(sid, sizeof sid, "turn-%ld-%ld", (long)time(NULL), seq);
        snprintf(uid, sizeof uid, "u%ld", seq++);
        chat_request req = {.query = line, .session_id = sid, .user_id = uid};
        arena a;
        arena_init(&a, 0);
        char *json = NULL;
        double a0 = now_s();
        int rc = engine_chat_slug(e, argv[3], &req, &a, &json, &err);
        double a1 = now_s();
        arena_release(&a);
        if (rc) {
            fprintf(stderr, "turn: %s\n", err.msg);
            return 1;
        }
        if (n == cap) {
            cap *= 2;
            ms = realloc(ms, sizeof *ms * (size_t)cap);
        }
        ms[n++] = (a1 - a0) * 1000;
    }
    fclose(f);
    if (n)
        report("engine_chat_slug (in process, first message, all criteria)", ms, n);
    free(ms);
    engine_close(e);
    return 0;
}

/* ---- answers ---------------------------------------------------------- */

static void answer_line(const char *what, const char *q, const search_result *res)
{
    printf("%s \"%s\": n=%d exact=%d relaxed=0x%x tx=%d widened=%lld..%lld beyond=%d"
           " neighbour=%s of %s %.6f band=%d %lld..%lld base %lld above=%lld"
           " candidates=%d steps=%d:", what, q, res->n, res->n_exact, res->relaxed, (int)res->tx,
           (long long)res->widened_min, (long long)res->widened_max, res->beyond_tolerance,
           res->neighbour ? res->neighbour : "-", res->neighbour_of ? res->neighbour_of : "-",
           res->neighbour_km, res->has_band, (long long)res->band_min,
           (long long)res->band_max, (long long)res->band_base, (long long)res->above_from,
           res->candidates, res->steps);
    for (int i = 0; i < res->n; i++)
        printf(" %s/%x", res->items[i].id, res->item_relax[i]);
    printf("\n");
}

static int cmp_money_bench(const void *a, const void *b)
{
    money x = *(const money *)a, y = *(const money *)b;
    return (x > y) - (x < y);
}

static int cmd_answers(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: search_bench answers DB SLUG N SEED\n");
        return 2;
    }
    int n = (int)strtol(argv[4], NULL, 10);
    qrng = strtoull(argv[5], NULL, 10) * 0x9E3779B97F4A7C15ULL + 7;
    bench_ctx b;
    if (bench_open(&b, argv[2], argv[3]))
        return 1;
    pt_error err = {0};
    store *s = b.s;
    const tenant t = b.t;
    pack *pk = b.pk;
    nlu_model *model = b.model;
    nlu_gazetteer *gz = b.gz;
    store_locality_stats *ls = b.ls;
    int nls = b.nls;
    const pack_settings *cfg = pack_settings_get(pk);
    for (int i = 0; i < n; i++) {
        char q[256];
        make_query(q, sizeof q);
        arena a;
        arena_init(&a, 0);
        nlu_result r;
        nlu_context ctx = {.gazetteer = gz, .currency = t.currency, .region = t.region,
                           .timezone = t.timezone, .now = 0};
        nlu_analyze(model, &ctx, q, strlen(q), &a, &r);
        slots sl;
        slots_from(&r, t.currency, &sl);
        search_request req = {
            .slots = &sl, .currency = t.currency, .want_min = cfg->results_min,
            .want_max = cfg->results_max < DIALOG_MAX_SHOWN ? cfg->results_max : DIALOG_MAX_SHOWN,
            .tolerance_pct = cfg->price_tolerance_pct, .text = q, .localities = ls,
            .n_localities = nls,
        };
        search_result res, more;
        if (search_listings(s, t.id, &req, &a, &res, &err)) {
            fprintf(stderr, "search \"%s\": %s\n", q, err.msg);
            return 1;
        }
        answer_line("fit", q, &res);
        const char *ids[DIALOG_MAX_SHOWN];
        money prices[DIALOG_MAX_SHOWN];
        for (int k = 0; k < res.n && k < DIALOG_MAX_SHOWN; k++) {
            ids[k] = res.items[k].id;
            prices[k] = res.items[k].price;
        }
        int m = res.n < DIALOG_MAX_SHOWN ? res.n : DIALOG_MAX_SHOWN;
        qsort(prices, (size_t)m, sizeof *prices, cmp_money_bench);
        search_request r2 = req;
        r2.exclude_ids = ids;
        r2.n_exclude = m;
        if (search_listings(s, t.id, &r2, &a, &more, &err)) {
            fprintf(stderr, "search \"%s\": %s\n", q, err.msg);
            return 1;
        }
        answer_line("more", q, &more);
        for (int mode = SEARCH_CHEAPER; mode <= SEARCH_BETTER; mode++) {
            r2.mode = (search_mode)mode;
            r2.reference = m ? prices[m / 2] : 0;
            if (search_listings(s, t.id, &r2, &a, &more, &err)) {
                fprintf(stderr, "search \"%s\": %s\n", q, err.msg);
                return 1;
            }
            answer_line(mode == SEARCH_CHEAPER ? "cheaper" : "better", q, &more);
        }
        arena_release(&a);
    }
    bench_close(&b);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "gen") == 0)
        return cmd_gen(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "query") == 0)
        return cmd_query(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "chat") == 0)
        return cmd_chat(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "show") == 0)
        return cmd_show(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "turn") == 0)
        return cmd_turn(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "pair") == 0)
        return cmd_pair(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "answers") == 0)
        return cmd_answers(argc, argv);
    fprintf(stderr, "usage: search_bench gen|query|chat ...\n");
    return 2;
}
