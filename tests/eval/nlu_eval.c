/*
 * nlu_eval.c - see nlu_eval.h.  Loads tests/data, runs nlu_analyze over
 * every labelled line with the line's tenant context, and counts: intent
 * confusions, every §4 entity exactly right / missed / spurious,
 * sentiment and language; budget phrases; public benchmark accuracy and
 * training time.
 *
 * Entity values are compared as the §4 JSON would print them: the budget
 * as (min, max, currency) with null sides, locations (and excluded
 * locations) as a set of canonical names, the rest as strings or integers.
 */
#include "nlu_eval.h"

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"
#include "nlu/nlu_int.h"
#include "pack/pack.h"
#include "util/tz.h"

const char *const ev_entity_names[EV_N_ENT] = {
    "budget", "bedrooms", "property_type", "transaction", "purpose", "locations",
    "excluded_locations", "phone", "email", "when",
};

double ev_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double ev_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- files --------------------------------------------------------------- */

/* The whole file at path, NUL-terminated, malloc'd; NULL on error. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t n = 0, cap = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *p = realloc(data, cap);
            if (p == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = p;
        }
        size_t r = fread(data + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

/* ---- tenants --------------------------------------------------------------- */

/* The alias lines of text whose canonical name is one of names[0..n), as
 * the engine keeps them for a tenant (engine_build_gazetteer). */
static char *aliases_for(const char *text, const char *const *names, int n)
{
    size_t cap = strlen(text) + 1, o = 0;
    char *out = malloc(cap);
    const char *line = text;
    if (out == NULL)
        return NULL;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *tab = memchr(line, '\t', len);
        if (tab && line[0] != '#') {
            const char *canon = tab + 1;
            size_t clen = len - (size_t)(canon - line);
            while (clen > 0 && (canon[clen - 1] == '\r' || canon[clen - 1] == ' '))
                clen--;
            for (int i = 0; i < n; i++)
                if (strlen(names[i]) == clen && strncasecmp(names[i], canon, clen) == 0) {
                    memcpy(out + o, line, len);
                    o += len;
                    out[o++] = '\n';
                    break;
                }
        }
        line = eol ? eol + 1 : line + len;
    }
    out[o] = '\0';
    return out;
}

/* "YYYY-MM-DDTHH:MM" local time in tz -> UTC instant; -1 when malformed. */
static time_t local_time(const char *s, const char *tz)
{
    struct tm tm;
    int y, mo, d, h, mi;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi) != 5)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return tz_mktime(tz, &tm);
}

int ev_env_load(ev_env *env, const char *data_dir, const char *root)
{
    int rc = -1;
    char path[1024];
    json_error_t je;
    json_t *doc = NULL;
    char *aliases = NULL;
    pack *pk = NULL;
    pt_error perr = {0};
    const char *name;
    json_t *tj;

    memset(env, 0, sizeof *env);
    env->data_dir = data_dir;
    snprintf(path, sizeof path, "%s/tenants.json", data_dir);
    doc = json_load_file(path, 0, &je);
    if (doc == NULL) {
        fprintf(stderr, "eval: %s: line %d: %s\n", path, je.line, je.text);
        goto done;
    }
    const char *now = json_string_value(json_object_get(doc, "now"));
    const char *alias_file = json_string_value(json_object_get(doc, "aliases"));
    json_t *tenants = json_object_get(doc, "tenants");
    if (now == NULL || alias_file == NULL || !json_is_object(tenants)) {
        fprintf(stderr, "eval: %s: needs \"now\", \"aliases\" and \"tenants\"\n", path);
        goto done;
    }
    snprintf(path, sizeof path, "%s/%s", root, alias_file);
    aliases = slurp(path, NULL);
    if (aliases == NULL) {
        fprintf(stderr, "eval: cannot read %s\n", path);
        goto done;
    }
    /* the cues of areas not wanted come from the default pack, as the
     * engine gives them to a tenant's gazetteer */
    snprintf(path, sizeof path, "%s/packs", root);
    if (pack_load(path, NULL, &pk, &perr) != 0) {
        fprintf(stderr, "eval: pack %s: %s\n", path, perr.msg);
        goto done;
    }
    json_object_foreach(tenants, name, tj) {
        if (env->n == EV_MAX_TENANTS) {
            fprintf(stderr, "eval: more than %d tenants\n", EV_MAX_TENANTS);
            goto done;
        }
        ev_tenant *t = &env->t[env->n];
        json_t *locs = json_object_get(tj, "localities");
        const char *cur = json_string_value(json_object_get(tj, "currency"));
        const char *reg = json_string_value(json_object_get(tj, "region"));
        const char *tz = json_string_value(json_object_get(tj, "timezone"));
        if (!cur || !reg || !tz || !json_is_array(locs)) {
            fprintf(stderr, "eval: tenant %s: needs currency, region, timezone, localities\n",
                    name);
            goto done;
        }
        snprintf(t->name, sizeof t->name, "%s", name);
        snprintf(t->currency, sizeof t->currency, "%s", cur);
        snprintf(t->region, sizeof t->region, "%s", reg);
        snprintf(t->timezone, sizeof t->timezone, "%s", tz);
        int n = (int)json_array_size(locs);
        const char **names = calloc((size_t)n + 1, sizeof *names);
        if (names == NULL)
            goto done;
        for (int i = 0; i < n; i++)
            names[i] = json_string_value(json_array_get(locs, (size_t)i));
        char *own = aliases_for(aliases, names, n);
        pt_error err = {0};
        int brc = own ? nlu_gazetteer_build(names, n, own, &t->gz, &err) : -1;
        if (brc == 0)
            brc = engine_gazetteer_cues(t->gz, pk, &err);
        free(own);
        free(names);
        if (brc < 0) {
            fprintf(stderr, "eval: tenant %s: gazetteer: %s\n", name, err.msg);
            goto done;
        }
        t->ctx.gazetteer = t->gz;
        t->ctx.currency = t->currency;
        t->ctx.region = t->region;
        t->ctx.timezone = t->timezone;
        t->ctx.now = local_time(now, t->timezone);
        if (t->ctx.now == (time_t)-1) {
            fprintf(stderr, "eval: \"now\" must be YYYY-MM-DDTHH:MM\n");
            goto done;
        }
        env->n++;
    }
    rc = 0;
done:
    pack_free(pk);
    free(aliases);
    json_decref(doc);
    if (rc)
        ev_env_free(env);
    return rc;
}

void ev_env_free(ev_env *env)
{
    for (int i = 0; i < env->n; i++)
        nlu_gazetteer_free(env->t[i].gz);
    env->n = 0;
}

const ev_tenant *ev_env_find(const ev_env *env, const char *name)
{
    for (int i = 0; name && i < env->n; i++)
        if (strcmp(env->t[i].name, name) == 0)
            return &env->t[i];
    return NULL;
}

/* ---- labelled sets ----------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int ev_set_load(ev_set *s, const char *path, const ev_env *env)
{
    int rc = -1, lineno = 0, cap = 0;
    char *data = slurp(path, NULL);
    char *line, *next;

    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", path);
    if (data == NULL) {
        fprintf(stderr, "eval: cannot read %s\n", path);
        return -1;
    }
    for (line = data; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        if (line[strspn(line, " \t\r")] == '\0')
            continue;
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        if (!json_is_object(o)) {
            fprintf(stderr, "eval: %s:%d: %s\n", path, lineno, o ? "not an object" : je.text);
            json_decref(o);
            goto done;
        }
        const char *text = json_string_value(json_object_get(o, "text"));
        const char *tname = json_string_value(json_object_get(o, "tenant"));
        const ev_tenant *t = ev_env_find(env, tname);
        if (text == NULL || t == NULL) {
            fprintf(stderr, "eval: %s:%d: needs \"text\" and a known \"tenant\"\n", path, lineno);
            json_decref(o);
            goto done;
        }
        if (s->n == cap) {
            cap = cap ? cap * 2 : 256;
            ev_item *p = realloc(s->items, (size_t)cap * sizeof *p);
            if (p == NULL) {
                json_decref(o);
                goto done;
            }
            s->items = p;
        }
        ev_item *it = &s->items[s->n];
        memset(it, 0, sizeof *it);
        it->text = strdup(text);
        it->intent = dup_or_null(json_string_value(json_object_get(o, "intent")));
        it->lang = dup_or_null(json_string_value(json_object_get(o, "lang")));
        it->sentiment = dup_or_null(json_string_value(json_object_get(o, "sentiment")));
        it->tenant = t;
        json_t *e = json_object_get(o, "entities");
        if (e == NULL)
            e = json_object_get(o, "budget");
        it->expected = json_incref(e);
        s->n++;
        json_decref(o);
    }
    rc = 0;
done:
    free(data);
    if (rc)
        ev_set_free(s);
    return rc;
}

void ev_set_free(ev_set *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->items[i].text);
        free(s->items[i].intent);
        free(s->items[i].lang);
        free(s->items[i].sentiment);
        json_decref(s->items[i].expected);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

/* ---- comparing one entity --------------------------------------------------- */

/* The predicted value of entity kind k as JSON (new reference), or NULL
 * when r does not have it (mirrors nlu_result_to_json). */
static json_t *predicted(const nlu_result *r, int k)
{
    switch (k) {
    case EV_BUDGET:
        if (!(r->found & NLU_BUDGET))
            return NULL;
        return json_pack("{s:o, s:o, s:o}",
                         "min", r->has_budget_min ? json_integer(r->budget_min) : json_null(),
                         "max", r->has_budget_max ? json_integer(r->budget_max) : json_null(),
                         "currency", r->currency[0] ? json_string(r->currency) : json_null());
    case EV_BEDROOMS:
        return (r->found & NLU_BEDROOMS) && r->bedrooms >= 0 ? json_integer(r->bedrooms) : NULL;
    case EV_PTYPE:
        return (r->found & NLU_PTYPE) && ptype_name(r->type) ? json_string(ptype_name(r->type))
                                                             : NULL;
    case EV_TX:
        return (r->found & NLU_TX) && tx_name(r->tx) ? json_string(tx_name(r->tx)) : NULL;
    case EV_PURPOSE:
        return (r->found & NLU_PURPOSE) && purpose_name(r->purpose)
                   ? json_string(purpose_name(r->purpose)) : NULL;
    case EV_LOCATIONS: {
        if (!(r->found & NLU_LOCATIONS) || r->n_locations <= 0)
            return NULL;
        json_t *a = json_array();
        for (int i = 0; i < r->n_locations && i < NLU_MAX_LOCATIONS; i++)
            json_array_append_new(a, json_string(r->locations[i]));
        return a;
    }
    case EV_EXCLUDED: {
        if (!(r->found & NLU_EXCLUDED_LOCATIONS) || r->n_excluded_locations <= 0)
            return NULL;
        json_t *a = json_array();
        for (int i = 0; i < r->n_excluded_locations && i < NLU_MAX_LOCATIONS; i++)
            json_array_append_new(a, json_string(r->excluded_locations[i]));
        return a;
    }
    case EV_PHONE:
        return (r->found & NLU_PHONE) && r->phone[0] ? json_string(r->phone) : NULL;
    case EV_EMAIL:
        return (r->found & NLU_EMAIL) && r->email && r->email[0] ? json_string(r->email) : NULL;
    case EV_WHEN:
        return (r->found & NLU_WHEN) && r->when[0] ? json_string(r->when) : NULL;
    }
    return NULL;
}

/* Locations (wanted or excluded) compare as sets; everything else with
 * json_equal. */
static bool same_value(int k, json_t *want, json_t *got)
{
    if (k != EV_LOCATIONS && k != EV_EXCLUDED)
        return json_equal(want, got);
    if (!json_is_array(want) || !json_is_array(got) ||
        json_array_size(want) != json_array_size(got))
        return false;
    for (size_t i = 0; i < json_array_size(want); i++) {
        bool found = false;
        for (size_t j = 0; j < json_array_size(got) && !found; j++)
            found = json_equal(json_array_get(want, i), json_array_get(got, j));
        if (!found)
            return false;
    }
    return true;
}

static void print_json(FILE *f, json_t *v)
{
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    fputs(s ? s : "-", f);
    free(s);
}

/* ---- scoring ------------------------------------------------------------------ */

/* A stable copy of an intent name, shared by every ev_scores (a tool's
 * lifetime; at most EV_MAX_INTENTS distinct names). */
static const char *intern(const char *name)
{
    static char names[EV_MAX_INTENTS][64];
    static int n;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return names[i];
    if (n == EV_MAX_INTENTS)
        return "(too many intents)";
    snprintf(names[n], sizeof names[0], "%s", name);
    return names[n++];
}

static int intent_index(ev_scores *sc, const char *name)
{
    const char *s = intern(name);
    for (int i = 0; i < sc->n_intents; i++)
        if (sc->intents[i] == s)
            return i;
    if (sc->n_intents == EV_MAX_INTENTS)
        return EV_MAX_INTENTS - 1;
    sc->intents[sc->n_intents] = s;
    return sc->n_intents++;
}

static bool slot_like(const char *intent)
{
    return strcmp(intent, "inform") == 0 || strcmp(intent, "property_search") == 0;
}

int ev_score_set(const nlu_model *m, const ev_set *s, ev_scores *sc, FILE *misses)
{
    arena a;
    arena_init(&a, 0);
    for (int i = 0; i < s->n; i++) {
        const ev_item *it = &s->items[i];
        nlu_result r;
        if (nlu_analyze(m, &it->tenant->ctx, it->text, strlen(it->text), &a, &r) < 0) {
            arena_release(&a);
            return -1;
        }
        sc->n++;
        bool line_bad = false;
        if (it->intent) {
            int g = intent_index(sc, it->intent), p = intent_index(sc, r.intent);
            sc->conf[g][p]++;
            if (g == p)
                sc->correct++;
            if (g == p || (slot_like(it->intent) && slot_like(r.intent)))
                sc->correct_merged++;
            if (g != p && misses)
                fprintf(misses, "intent  [%s] %s -> %s (%.2f) | %s\n", it->lang ? it->lang : "?",
                        it->intent, r.intent, r.confidence, it->text);
        }
        if (it->lang && strcmp(it->lang, r.language) == 0)
            sc->lang_ok++;
        if (it->sentiment) {
            sc->sent_n++;
            if (strcmp(it->sentiment, nlu_sentiment_name(r.sentiment)) == 0)
                sc->sent_ok++;
            else if (misses)
                fprintf(misses, "sentiment [%s] %s -> %s | %s\n", it->lang ? it->lang : "?",
                        it->sentiment, nlu_sentiment_name(r.sentiment), it->text);
        }
        json_t *exp = it->expected;
        for (int k = 0; k < EV_N_ENT; k++) {
            json_t *want = json_is_object(exp) ? json_object_get(exp, ev_entity_names[k]) : NULL;
            json_t *got = predicted(&r, k);
            ev_ent_stats *st = &sc->ent[k];
            st->lines++;
            bool ok;
            if (want) {
                st->expected++;
                ok = got && same_value(k, want, got);
                if (ok)
                    st->exact++;
            } else {
                ok = got == NULL;
                if (!ok)
                    st->spurious++;
            }
            if (!ok) {
                line_bad = true;
                if (misses) {
                    fprintf(misses, "entity  [%s] %s: want ", it->lang ? it->lang : "?",
                            ev_entity_names[k]);
                    print_json(misses, want);
                    fputs(" got ", misses);
                    print_json(misses, got);
                    fprintf(misses, " | %s\n", it->text);
                }
            }
            json_decref(got);
        }
        if (!line_bad)
            sc->lines_all_entities++;
        arena_release(&a);
    }
    return 0;
}

int ev_score_budgets(const ev_set *s, ev_budget_scores *bs, FILE *misses)
{
    arena a;
    arena_init(&a, 0);
    for (int i = 0; i < s->n; i++) {
        const ev_item *it = &s->items[i];
        nlu_result r;
        if (nlu_analyze(NULL, &it->tenant->ctx, it->text, strlen(it->text), &a, &r) < 0) {
            arena_release(&a);
            return -1;
        }
        json_t *got = predicted(&r, EV_BUDGET);
        json_t *exp = it->expected;
        json_t *want = json_is_object(exp) ? exp : NULL;
        bool ok;
        if (want) {
            bs->pos++;
            ok = got && json_equal(want, got);
            bs->pos_ok += ok;
        } else {
            bs->neg++;
            ok = got == NULL;
            bs->neg_ok += ok;
        }
        if (!ok && misses) {
            fprintf(misses, "budget  [%s] want ", it->lang ? it->lang : "?");
            print_json(misses, want);
            fputs(" got ", misses);
            print_json(misses, got);
            fprintf(misses, " | %s\n", it->text);
        }
        json_decref(got);
        arena_release(&a);
    }
    return 0;
}

void ev_prf(const ev_scores *sc, int k, double *p, double *r, double *f1, int *support)
{
    int tp = sc->conf[k][k], pred = 0, gold = 0;
    for (int i = 0; i < sc->n_intents; i++) {
        pred += sc->conf[i][k];
        gold += sc->conf[k][i];
    }
    *p = pred ? (double)tp / pred : 0;
    *r = gold ? (double)tp / gold : 0;
    *f1 = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
    *support = gold;
}

/* ---- public benchmarks -------------------------------------------------------- */

int ev_public(const char *dir, const char *name, const char *split, double *accuracy,
              double *train_seconds, double *train_cpu, int *n_test)
{
    char path[1024];
    int rc = -1, n = 0, ok = 0;
    nlu_model *m = NULL;
    char *train = NULL, *test = NULL;
    size_t train_len = 0;
    pt_error err = {0};
    arena a;

    arena_init(&a, 0);
    snprintf(path, sizeof path, "%s/%s_train.json", dir, name);
    double t0 = ev_now_seconds(), c0 = ev_cpu_seconds();
    train = slurp(path, &train_len);
    if (train == NULL) {
        rc = 1;
        goto done;
    }
    const char *texts[1] = {train};
    if (nlu_model_train(texts, &train_len, 1, &m, &err) < 0) {
        fprintf(stderr, "eval: %s: %s\n", path, err.msg);
        goto done;
    }
    *train_seconds = ev_now_seconds() - t0;
    *train_cpu = ev_cpu_seconds() - c0;
    snprintf(path, sizeof path, "%s/%s_%s.jsonl", dir, name, split);
    test = slurp(path, NULL);
    if (test == NULL) {
        rc = 1;
        goto done;
    }
    for (char *line = test, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        json_t *o = json_loads(line, 0, NULL);
        const char *text = json_string_value(json_object_get(o, "text"));
        const char *gold = json_string_value(json_object_get(o, "intent"));
        if (text && gold) {
            nlu_result r;
            if (nlu_analyze(m, NULL, text, strlen(text), &a, &r) == 0) {
                n++;
                ok += strcmp(r.intent, gold) == 0;
            }
            arena_release(&a);
        }
        json_decref(o);
    }
    *accuracy = n ? (double)ok / n : 0;
    *n_test = n;
    rc = 0;
done:
    nlu_model_free(m);
    free(train);
    free(test);
    arena_release(&a);
    return rc;
}

/* ---- overlap with training data ----------------------------------------------- */

/* Normalised text of s, ASCII punctuation and spaces dropped (a looser
 * match than the exact string), in a malloc'd buffer. */
static char *loose(const char *s)
{
    arena a;
    char *norm = NULL, *out = NULL;
    size_t len = 0, o = 0;
    arena_init(&a, 0);
    if (nlu_normalize(&a, s, strlen(s), &norm, &len) == 0 && (out = malloc(len + 1))) {
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)norm[i];
            if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                continue;
            out[o++] = (char)c;
        }
        out[o] = '\0';
    }
    arena_release(&a);
    return out;
}

int ev_overlap_with_pack(const ev_set *s, const char *pack_dir, FILE *report)
{
    char dir[1024], path[1300];
    int hits = 0;
    char **keys = calloc((size_t)s->n + 1, sizeof *keys);
    DIR *d;
    struct dirent *de;

    if (keys == NULL)
        return -1;
    for (int i = 0; i < s->n; i++)
        keys[i] = loose(s->items[i].text);
    bool *hit = calloc((size_t)s->n + 1, sizeof *hit);
    snprintf(dir, sizeof dir, "%s/intents", pack_dir);
    d = opendir(dir);
    while (d && hit && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        json_t *doc = json_load_file(path, 0, NULL);
        const char *name;
        json_t *arr;
        json_object_foreach(json_object_get(doc, "intents"), name, arr) {
            size_t i;
            json_t *u;
            json_array_foreach(arr, i, u) {
                char *k = loose(json_string_value(u) ? json_string_value(u) : "");
                for (int j = 0; k && j < s->n; j++)
                    if (!hit[j] && keys[j] && strcmp(keys[j], k) == 0)
                        hit[j] = true;
                free(k);
            }
        }
        json_decref(doc);
    }
    if (d)
        closedir(d);
    for (int i = 0; i < s->n; i++) {
        if (hit && hit[i]) {
            hits++;
            if (report)
                fprintf(report, "in pack [%s] %s\n", s->items[i].lang ? s->items[i].lang : "?",
                        s->items[i].text);
        }
        free(keys[i]);
    }
    free(keys);
    free(hit);
    return hits;
}
