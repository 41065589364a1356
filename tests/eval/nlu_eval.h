/*
 * nlu_eval.h - scoring the nlu against labelled data: the held-out
 * real-estate sets of tests/data (intent, every §4 entity, sentiment,
 * language), the budget phrase sets, and the public intent benchmarks
 * (BANKING77, HWU64, CLINC150 in the CONTRACT's --intents format).
 *
 * Used by the `make eval` program (tests/eval/eval.c), which prints the
 * numbers, and by tests/unit/test_nlu_eval.c, which guards them against
 * regressions.  Everything here goes through the public path of the
 * module: nlu_model_train*, nlu_gazetteer_build and nlu_analyze, exactly as
 * `proptalk nlu` runs them.
 *
 * Not for: timing the analysis (bench/nlu_bench.c does that).
 */
#ifndef PT_NLU_EVAL_H
#define PT_NLU_EVAL_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "nlu/nlu.h"

#define EV_MAX_TENANTS 8
#define EV_MAX_INTENTS 200
#define EV_MAX_LANGS 8

/* One tenant context of tests/data/tenants.json. */
typedef struct ev_tenant {
    char name[64];
    char currency[4];
    char region[3];
    char timezone[64];
    nlu_gazetteer *gz;
    nlu_context ctx;        /* points into this struct; ctx.now is the reference time */
} ev_tenant;

typedef struct ev_env {
    ev_tenant t[EV_MAX_TENANTS];
    int n;
    const char *data_dir;
} ev_env;

/* Reads <data_dir>/tenants.json, builds each tenant's gazetteer from its
 * localities and the alias file named there (relative to root, the
 * repository top), with the cues of areas not wanted of root/packs
 * (engine_gazetteer_cues).  Returns 0 or -1 with a message on stderr. */
int ev_env_load(ev_env *env, const char *data_dir, const char *root);
void ev_env_free(ev_env *env);
const ev_tenant *ev_env_find(const ev_env *env, const char *name);

/* Entity kinds scored one by one. */
enum {
    EV_BUDGET, EV_BEDROOMS, EV_PTYPE, EV_TX, EV_PURPOSE, EV_LOCATIONS, EV_EXCLUDED, EV_PHONE,
    EV_EMAIL, EV_WHEN, EV_N_ENT
};
extern const char *const ev_entity_names[EV_N_ENT];

typedef struct ev_ent_stats {
    int expected;           /* lines that state this entity */
    int exact;              /* ... and got exactly that value */
    int spurious;           /* lines that do not state it but got one */
    int lines;              /* lines looked at */
} ev_ent_stats;

/* Scores of one labelled set (or several pooled). */
typedef struct ev_scores {
    int n;
    int correct;            /* intent exactly right */
    int correct_merged;     /* right when inform and property_search count as one */
    int n_intents;
    const char *intents[EV_MAX_INTENTS];        /* names (static or owned by the set) */
    int conf[EV_MAX_INTENTS][EV_MAX_INTENTS];   /* [gold][predicted] */
    ev_ent_stats ent[EV_N_ENT];
    int lines_all_entities; /* lines whose entities are all exactly right (no spurious) */
    int sent_n, sent_ok;    /* lines with a sentiment label, and right */
    int lang_ok;            /* detected language equals the set's */
} ev_scores;

/* One labelled message, kept for reports of misses. */
typedef struct ev_item {
    char *text;
    char *intent;
    char *lang;
    const ev_tenant *tenant;
    void *expected;         /* json_t * of "entities" (or of "budget") */
    char *sentiment;        /* may be NULL */
} ev_item;

typedef struct ev_set {
    ev_item *items;
    int n;
    char name[256];
} ev_set;

/* Loads a labelled JSONL file.  Returns 0 or -1 with a message on stderr
 * (bad JSON names the line; an unknown tenant too). */
int ev_set_load(ev_set *s, const char *path, const ev_env *env);
void ev_set_free(ev_set *s);

/* Runs every item of s through nlu_analyze and adds to sc (zero it
 * first).  misses (may be NULL) receives one line per wrong intent or
 * entity.  Returns 0 or -1 when out of memory. */
int ev_score_set(const nlu_model *m, const ev_set *s, ev_scores *sc, FILE *misses);

/* Budget phrases: counts exact answers on lines with a budget, and false
 * budgets on lines without. */
typedef struct ev_budget_scores {
    int pos, pos_ok;
    int neg, neg_ok;
} ev_budget_scores;
int ev_score_budgets(const ev_set *s, ev_budget_scores *bs, FILE *misses);

/* Precision, recall and F1 of intent k in sc. */
void ev_prf(const ev_scores *sc, int k, double *p, double *r, double *f1, int *support);

/* A public benchmark: trains on <dir>/<name>_train.json, scores
 * <dir>/<name>_<split>.jsonl ("test" or "valid").  Out-params: accuracy,
 * training seconds (wall clock and CPU time of this thread, reading the
 * file included), and the number of test lines.  Returns 0, 1 when the
 * files are missing, -1 on error. */
int ev_public(const char *dir, const char *name, const char *split, double *accuracy,
              double *train_seconds, double *train_cpu, int *n_test);

/* Lines of set s whose normalised text, without ASCII punctuation and
 * spaces, equals a training utterance of pack_dir/intents (should be 0:
 * the sets are held out).  report (may be NULL) receives each such line. */
int ev_overlap_with_pack(const ev_set *s, const char *pack_dir, FILE *report);

/* Monotonic wall clock, and the CPU time of the calling thread (what a
 * single-threaded job costs, whatever else the machine runs). */
double ev_now_seconds(void);
double ev_cpu_seconds(void);

#endif
