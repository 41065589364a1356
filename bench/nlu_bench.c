/*
 * nlu_bench.c - messages per second of the nlu on one thread (issue 3).
 *
 *   build/bench/nlu_bench [--data DIR] [--packs DIR] [--seconds S] [--repeat R]
 *   taskset -c 0 build/bench/nlu_bench          (one core, as BENCHMARKS.md)
 *
 * The messages are every line of the labelled sets of tests/data (test
 * and dev, four languages), each analysed with its own tenant context
 * (gazetteer, currency, region, time zone), in file order, over and over
 * for S seconds (default 1) per run, R runs (default 5) per measurement:
 * the best run is what the core does when the machine leaves it alone, the
 * median shows the noise.  Measured:
 *   - whole nlu: nlu_analyze (normalise, language, intent, entities,
 *     sentiment) into a per-request arena released after each message;
 *   - the same plus the §4 JSON line (nlu_result_to_json), as
 *     `proptalk nlu` prints it;
 *   - each stage alone: normalisation; language id; the classifier on
 *     normalised text; entities; sentiment.
 * --stage NAME runs only the stages whose name starts with NAME ("whole",
 * "classifier", ...), and --passes N a fixed number of passes over the
 * messages instead of S seconds: for a profiler or `perf stat`.
 * One warm-up pass first.  Rates are messages per CPU second of the
 * benchmark thread (what one core does, steady on a shared machine) and
 * per wall-clock second.  Prints a table and one JSON line with the CPU
 * rates.
 *
 * Not a test: nothing fails here; BENCHMARKS.md keeps the numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlu/nlu_int.h"
#include "nlu_eval.h"

typedef struct msg {
    const char *text;
    size_t len;
    char *norm;
    size_t norm_len;
    const nlu_context *ctx;
} msg;

static msg *msgs;
static int n_msgs;
static size_t total_bytes;
static volatile unsigned long sink;

enum { ST_ANALYZE, ST_JSON, ST_NORMALIZE, ST_LANGID, ST_CLASSIFY, ST_ENTITIES, ST_SENTIMENT };

/* Runs stage st over every message once; returns messages done. */
static int pass(const nlu_model *m, int st, arena *a)
{
    for (int i = 0; i < n_msgs; i++) {
        const msg *g = &msgs[i];
        nlu_result r;
        char *norm;
        size_t nl;
        const char *intent;
        double conf;
        switch (st) {
        case ST_ANALYZE:
            nlu_analyze(m, g->ctx, g->text, g->len, a, &r);
            sink += r.found;
            break;
        case ST_JSON: {
            nlu_analyze(m, g->ctx, g->text, g->len, a, &r);
            char *js = nlu_result_to_json(&r);
            sink += js ? (unsigned char)js[1] : 0;
            free(js);
            break;
        }
        case ST_NORMALIZE:
            nlu_normalize(a, g->text, g->len, &norm, &nl);
            sink += nl;
            break;
        case ST_LANGID:
            sink += (unsigned long)(uintptr_t)nlu_detect_language(g->text, g->len);
            break;
        case ST_CLASSIFY:
            nlu_classify(m, g->norm, g->norm_len, &intent, &conf);
            sink += (unsigned long)(uintptr_t)intent;
            break;
        case ST_ENTITIES:
            memset(&r, 0, sizeof r);
            r.bedrooms = -1;
            nlu_extract_entities(g->ctx, g->norm, g->norm_len, a, &r);
            sink += r.found;
            break;
        case ST_SENTIMENT:
            memset(&r, 0, sizeof r);
            nlu_sentiment(g->text, g->len, g->norm, g->norm_len, &r);
            sink += (unsigned long)r.frustration;
            break;
        }
        arena_release(a);
    }
    return n_msgs;
}

/* Messages per second of stage st over `seconds` of wall clock: per CPU
 * second of this thread (*cpu_rate, steady when other processes share the
 * core) and per wall-clock second (the return value). */
static int fixed_passes;   /* --passes: run exactly this many (for perf stat) */

static double measure(const nlu_model *m, int st, double seconds, double *cpu_rate)
{
    arena a;
    arena_init(&a, 0);
    pass(m, st, &a);                      /* warm-up */
    long done = 0;
    int passes = 0;
    double t0 = ev_now_seconds(), c0 = ev_cpu_seconds(), t;
    do {
        done += pass(m, st, &a);
        passes++;
        t = ev_now_seconds();
    } while (fixed_passes ? passes < fixed_passes : t - t0 < seconds);
    double c = ev_cpu_seconds() - c0;
    arena_release(&a);
    *cpu_rate = c > 0 ? (double)done / c : 0;
    return (double)done / (t - t0);
}

#define MAX_REPEAT 50

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *data = "tests/data", *packs = "packs/default", *only = NULL;
    double seconds = 1;
    int repeat = 5;
    static const char *const langs[] = {"en", "ar", "fa", "ru"};
    static const char *const splits[] = {"test", "dev"};
    ev_set sets[8];
    int n_sets = 0, rc = 1;
    ev_env env;
    nlu_model *m = NULL;
    pt_error err = {0};
    arena keep;

    arena_init(&keep, 0);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--data") == 0)
            data = argv[i + 1];
        else if (strcmp(argv[i], "--packs") == 0)
            packs = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--stage") == 0)
            only = argv[i + 1];
        else if (strcmp(argv[i], "--passes") == 0)
            fixed_passes = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = (int)strtol(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "usage: nlu_bench [--data DIR] [--packs DIR] [--seconds S] "
                            "[--stage NAME]\n");
            return 2;
        }
    }
    if (repeat < 1 || repeat > MAX_REPEAT || !(seconds > 0)) {
        fprintf(stderr, "nlu_bench: --repeat 1..%d and --seconds > 0\n", MAX_REPEAT);
        return 2;
    }
    if (ev_env_load(&env, data, ".") < 0)
        return 1;
    double t0 = ev_now_seconds();
    if (nlu_model_train_dir(packs, &m, &err) < 0) {
        fprintf(stderr, "nlu_bench: %s\n", err.msg);
        goto done;
    }
    double train_s = ev_now_seconds() - t0;
    for (int l = 0; l < 4; l++)
        for (int s = 0; s < 2; s++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/nlu_%s_%s.jsonl", data, langs[l], splits[s]);
            if (ev_set_load(&sets[n_sets], path, &env) < 0)
                goto done;
            n_msgs += sets[n_sets++].n;
        }
    msgs = calloc((size_t)n_msgs, sizeof *msgs);
    if (msgs == NULL)
        goto done;
    n_msgs = 0;
    for (int s = 0; s < n_sets; s++)
        for (int i = 0; i < sets[s].n; i++) {
            msg *g = &msgs[n_msgs++];
            g->text = sets[s].items[i].text;
            g->len = strlen(g->text);
            g->ctx = &sets[s].items[i].tenant->ctx;
            total_bytes += g->len;
            if (nlu_normalize(&keep, g->text, g->len, &g->norm, &g->norm_len) < 0)
                goto done;
        }

    printf("nlu_bench: %d messages (%.1f bytes on average) from %s, model trained in %.2f s, "
           "best and median of %d runs of %.1f s\n", n_msgs, (double)total_bytes / n_msgs, data,
           train_s, repeat, seconds);
    static const struct {
        int st;
        const char *name;
    } stages[] = {
        {ST_ANALYZE, "whole nlu (nlu_analyze)"}, {ST_JSON, "whole nlu + JSON line"},
        {ST_NORMALIZE, "normalise"}, {ST_LANGID, "language id"},
        {ST_CLASSIFY, "classifier (normalised text)"}, {ST_ENTITIES, "entities"},
        {ST_SENTIMENT, "sentiment"},
    };
    double rate[7] = {0}, med[7] = {0}, wall[7] = {0};
    printf("  %-30s %14s %14s %12s %12s\n", "stage", "best msg/CPU-s", "median", "us/message",
           "msg/wall-s");
    for (int i = 0; i < 7; i++) {
        if (only && strncmp(stages[i].name, only, strlen(only)) != 0)
            continue;
        double r[MAX_REPEAT], w = 0;
        for (int k = 0; k < repeat; k++) {
            double wk = measure(m, stages[i].st, seconds, &r[k]);
            if (wk > w)
                w = wk;
        }
        qsort(r, (size_t)repeat, sizeof r[0], cmp_double);
        rate[i] = r[repeat - 1];
        med[i] = r[repeat / 2];
        wall[i] = w;
        printf("  %-30s %14.0f %14.0f %12.2f %12.0f\n", stages[i].name, rate[i], med[i],
               1e6 / rate[i], wall[i]);
    }
    printf("{\"messages\": %d, \"whole_nlu_per_s\": %.0f, \"with_json_per_s\": %.0f, "
           "\"classifier_per_s\": %.0f, \"normalize_per_s\": %.0f, \"entities_per_s\": %.0f, "
           "\"sentiment_per_s\": %.0f, \"langid_per_s\": %.0f}\n",
           n_msgs, rate[0], rate[1], rate[4], rate[2], rate[5], rate[6], rate[3]);
    rc = 0;
done:
    for (int s = 0; s < n_sets; s++)
        ev_set_free(&sets[s]);
    free(msgs);
    nlu_model_free(m);
    ev_env_free(&env);
    arena_release(&keep);
    return rc;
}
