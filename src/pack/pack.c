/*
 * pack.c - loading and merging tenant packs; see pack.h.
 *
 * A pack is read once (at start or on a tenant reload) from plain files
 * under packs/: reply templates, budget bands, coaching rules, dialog
 * settings, locality aliases and the location of the intent examples.  The
 * layers are merged explicitly, after nginx's merge_loc_conf: the built-in
 * settings first, then packs/default, then packs/<slug> when that folder
 * exists.  Templates merge key by key per language, coaching rules by id,
 * budget bands per currency, and alias files are concatenated.
 *
 * This file is not for deciding what to say: it only loads, validates and
 * looks up.  Every string a pack hands out lives in the pack's own arena;
 * the lookup tables are heap arrays owned by the pack.  Both are released
 * by pack_free().  Once pack_load() returns, nothing writes to the pack, so
 * any number of threads may read it at once.
 */
#include "pack/pack.h"
#include "core/iso.h"
#include "util/copy.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>
#include <utf8proc.h>

#define PACK_FILE_MAX (8u << 20)   /* no pack file may be larger than this */
#define PACK_NAME_MAX 63           /* longest {placeholder} name */

typedef struct tmpl_entry {
    const char *key;               /* arena */
    uint32_t hash;                 /* key_hash(key), after loading */
    uint32_t key_len;
    pack_template t;               /* strings, buttons and pieces in the arena */
} tmpl_entry;

typedef struct tmpl_table {
    tmpl_entry *v;                 /* heap; sorted by key after loading */
    int n, cap;
    const tmpl_entry **slots;      /* heap; open addressing by hash, NULL empty: this
                                    * language's entries and English's it lacks */
    uint32_t mask;                 /* slots - 1 (a power of two, over twice the entries) */
} tmpl_table;

typedef struct budget_entry {
    char currency[4];
    transaction tx;
    int n;
    money (*bands)[2];             /* arena */
} budget_entry;

typedef struct cue_list {
    const char *key;               /* arena */
    pack_phrase *v;                /* heap */
    int n, cap;
    uint32_t hash, key_len;        /* key_hash(key), after loading */
} cue_list;

/* The scan's buckets: a phrase of one byte c (or none) is in bucket c, a
 * longer one in 256 + a hash of its first two bytes. */
#define CUE_PAIRS 1024
#define CUE_BUCKETS (256 + CUE_PAIRS)
static inline unsigned cue_pair(unsigned char b0, unsigned char b1)
{
    return 256 + ((b0 * 31u + b1) & (CUE_PAIRS - 1));
}

static inline unsigned cue_bucket(const pack_phrase *ph)
{
    return ph->n >= 2 ? cue_pair((unsigned char)ph->s[0], (unsigned char)ph->s[1])
                      : (unsigned char)ph->s[0];
}

/* One phrase of the first PACK_CUE_BITS cue lists, for pack_cue_scan. */
typedef struct cue_ref {
    const char *s;
    size_t n;
    uint64_t bit;                  /* 1 << its list's index */
    bool whole;                    /* ends in a letter and is no stem: a word end */
} cue_ref;

/* The period a currency's market quotes rents in (budgets.json "rent_period") */
#define PACK_RENT_PERIODS_MAX 32
typedef struct rent_period_entry {
    char currency[4];
    rent_period period;
} rent_period_entry;

struct pack {
    arena mem;                     /* owns every string and band array */
    tmpl_table tmpl[LANG__COUNT];
    budget_entry *budgets;         /* heap */
    int n_budgets, cap_budgets;
    rent_period_entry rent_periods[PACK_RENT_PERIODS_MAX];
    int n_rent_periods;
    pack_coaching_rule *rules;     /* heap; strings in the arena */
    int n_rules, cap_rules;
    pack_settings settings;
    cue_list *cues;                /* heap; phrases in the arena */
    int n_cues, cap_cues;
    cue_ref *cue_refs;             /* heap; the phrases by bucket (cue_bucket) */
    uint32_t cue_first[CUE_BUCKETS + 1];   /* refs of bucket b: [cue_first[b], cue_first[b + 1]) */
    bool cue_singles;              /* some phrase has one byte (or none) */
    char *aliases;                 /* arena; "" when no file */
    char *intents_dir;             /* arena */
};

/* ---- small helpers ---------------------------------------------------- */

/* Makes room for one more element of size elsz in *v (capacity *cap).
 * 0 or -PT_ERR_NOMEM. */
static int grow(void **v, int n, int *cap, size_t elsz)
{
    if (n < *cap)
        return 0;
    int ncap = *cap ? *cap * 2 : 16;
    if (ncap > INT_MAX / 2 || (size_t)ncap > SIZE_MAX / elsz)
        return -PT_ERR_NOMEM;
    void *p = realloc(*v, (size_t)ncap * elsz);
    if (p == NULL)
        return -PT_ERR_NOMEM;
    *v = p;
    *cap = ncap;
    return 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads the whole file at path into a heap buffer (*out, NUL-terminated,
 * freed by the caller).  A missing file is not an error: *out is NULL and 0
 * is returned.  Errors: PT_ERR_IO, PT_ERR_TOO_LARGE, PT_ERR_NOMEM. */
static int read_whole(const char *path, char **out, size_t *len, pt_error *err)
{
    int rc = 0;
    FILE *f = NULL;
    char *data = NULL;

    *out = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        if (errno != ENOENT)
            rc = pt_fail(err, PT_ERR_IO, "pack file \"%s\": %s", path, strerror(errno));
        goto done;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = pt_fail(err, PT_ERR_IO, "pack file \"%s\": not a regular file", path);
        goto done;
    }
    if ((uintmax_t)st.st_size > PACK_FILE_MAX) {
        rc = pt_fail(err, PT_ERR_TOO_LARGE, "pack file \"%s\": larger than %u bytes", path,
                     PACK_FILE_MAX);
        goto done;
    }
    size_t size = (size_t)st.st_size;
    data = malloc(size + 1);
    if (data == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "pack file \"%s\": out of memory", path);
        goto done;
    }
    size_t got = fread(data, 1, size, f);
    if (got != size || ferror(f)) {
        rc = pt_fail(err, PT_ERR_IO, "pack file \"%s\": short read", path);
        goto done;
    }
    data[size] = '\0';
    *out = data;
    *len = size;
    data = NULL;
done:
    free(data);
    if (f)
        fclose(f);
    return rc;
}

/* Parses the JSON file at path.  *root is NULL (and 0 returned) when the
 * file is missing.  Errors: PT_ERR_INVALID naming the file and the line,
 * plus read_whole's errors.  *root is owned by the caller (json_decref). */
static int load_json(const char *path, json_t **root, pt_error *err)
{
    int rc = 0;
    char *text = NULL;
    size_t len = 0;

    *root = NULL;
    rc = read_whole(path, &text, &len, err);
    if (rc || text == NULL)
        goto done;
    json_error_t jerr;
    *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*root == NULL) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": line %d: %s", path, jerr.line,
                     jerr.text);
        goto done;
    }
    if (!json_is_object(*root)) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": the top level must be an object",
                     path);
        json_decref(*root);
        *root = NULL;
        goto done;
    }
done:
    free(text);
    return rc;
}

/* Checks that s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1; min = 0x80; c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2; min = 0x800; c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3; min = 0x10000; c &= 0x07;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (s[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

static char *pstrdup(pack *p, const char *s, const char *path, pt_error *err)
{
    char *r = arena_strdup(&p->mem, s);
    if (r == NULL)
        pt_fail(err, PT_ERR_NOMEM, "pack file \"%s\": out of memory", path);
    return r;
}

/* ---- reply templates -------------------------------------------------- */

static tmpl_entry *tmpl_find(tmpl_table *t, const char *key)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->v[i].key, key) == 0)
            return &t->v[i];
    return NULL;
}

/* Converts one template value ({"text": ..., "buttons": [...]} or a bare
 * string) into *out, strings copied into the pack arena. */
static int tmpl_parse(pack *p, const char *path, const char *key, json_t *val,
                      pack_template *out, pt_error *err)
{
    int rc = 0;
    json_t *text = NULL, *buttons = NULL;

    memset(out, 0, sizeof *out);
    if (json_is_string(val)) {
        text = val;
    } else if (json_is_object(val)) {
        text = json_object_get(val, "text");
        buttons = json_object_get(val, "buttons");
        const char *k;
        json_t *v;
        json_object_foreach(val, k, v) {
            if (strcmp(k, "text") != 0 && strcmp(k, "buttons") != 0) {
                rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": \"%s\": unknown field \"%s\"",
                             path, key, k);
                goto done;
            }
        }
    }
    if (!json_is_string(text)) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": \"%s\": needs a \"text\" string",
                     path, key);
        goto done;
    }
    out->text = pstrdup(p, json_string_value(text), path, err);
    if (out->text == NULL) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    if (buttons == NULL || json_is_null(buttons))
        goto done;
    if (!json_is_array(buttons) || json_array_size(buttons) > 64) {
        rc = pt_fail(err, PT_ERR_INVALID,
                     "pack file \"%s\": \"%s\": \"buttons\" must be an array (at most 64)", path, key);
        goto done;
    }
    int n = (int)json_array_size(buttons);
    pack_button *b = arena_zalloc(&p->mem, sizeof *b * (size_t)(n ? n : 1));
    if (b == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "pack file \"%s\": out of memory", path);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        json_t *bt = json_array_get(buttons, (size_t)i);
        json_t *label = json_object_get(bt, "label");
        json_t *data = json_object_get(bt, "data");
        if (!json_is_object(bt) || !json_is_string(label) || !json_is_string(data)) {
            rc = pt_fail(err, PT_ERR_INVALID,
                         "pack file \"%s\": \"%s\": button %d needs \"label\" and \"data\" strings",
                         path, key, i + 1);
            goto done;
        }
        b[i].label = pstrdup(p, json_string_value(label), path, err);
        b[i].data = pstrdup(p, json_string_value(data), path, err);
        if (b[i].label == NULL || b[i].data == NULL) {
            rc = -PT_ERR_NOMEM;
            goto done;
        }
    }
    out->n_buttons = n;
    out->buttons = b;
done:
    return rc;
}

/* Merges dir/replies/<lang>.json for every language into the tables. */
static int load_replies(pack *p, const char *dir, pt_error *err)
{
    int rc = 0;
    json_t *root = NULL;
    char path[PATH_MAX];

    for (int l = 0; l < LANG__COUNT; l++) {
        json_decref(root);
        root = NULL;
        if ((size_t)snprintf(path, sizeof path, "%s/replies/%s.json", dir,
                             lang_name((lang)l)) >= sizeof path) {
            rc = pt_fail(err, PT_ERR_INVALID, "pack folder \"%s\": path too long", dir);
            goto done;
        }
        rc = load_json(path, &root, err);
        if (rc)
            goto done;
        if (root == NULL)
            continue;
        tmpl_table *t = &p->tmpl[l];
        const char *key;
        json_t *val;
        json_object_foreach(root, key, val) {
            pack_template tp;
            rc = tmpl_parse(p, path, key, val, &tp, err);
            if (rc)
                goto done;
            tmpl_entry *e = tmpl_find(t, key);
            if (e == NULL) {
                rc = grow((void **)&t->v, t->n, &t->cap, sizeof *t->v);
                if (rc) {
                    rc = pt_fail(err, PT_ERR_NOMEM, "pack file \"%s\": out of memory", path);
                    goto done;
                }
                e = &t->v[t->n++];
                e->key = pstrdup(p, key, path, err);
                if (e->key == NULL) {
                    t->n--;
                    rc = -PT_ERR_NOMEM;
                    goto done;
                }
            }
            e->t = tp;
        }
    }
done:
    json_decref(root);
    return rc;
}

static int tmpl_cmp(const void *a, const void *b)
{
    return strcmp(((const tmpl_entry *)a)->key, ((const tmpl_entry *)b)->key);
}

/* The hash of a template key of n bytes: the dialog asks for templates by
 * name every turn, a hash probe instead of a binary search of strcmp's.
 * Keys are short words ("listing_line", "type_villa"): the length and the
 * first and last 8 bytes (read whole) tell them apart well enough for a
 * probe, which compares the keys. */
static uint32_t key_hash(const char *key, size_t n)
{
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull;
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, key, 8);
        memcpy(&b, key + n - 8, 8);
        h ^= a;
        h *= 0xff51afd7ed558ccdull;
        h ^= b + (h >> 29);
    } else {
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)key[i]) * 0x100000001b3ull;
    }
    h *= 0xc4ceb9fe1a85ec53ull;
    return (uint32_t)(h >> 32);
}

static int tmpl_compile(pack *p, pack_template *t);

/* Puts e into t's slots (e's key not there yet). */
static void tmpl_slot_put(tmpl_table *t, const tmpl_entry *e)
{
    uint32_t j = e->hash & t->mask;
    while (t->slots[j])
        j = (j + 1) & t->mask;
    t->slots[j] = e;
}

static const tmpl_entry *tmpl_slot_get(const tmpl_table *t, const char *key, size_t n,
                                       uint32_t h)
{
    if (t->slots == NULL)
        return NULL;
    for (uint32_t j = h & t->mask; t->slots[j]; j = (j + 1) & t->mask) {
        const tmpl_entry *e = t->slots[j];
        if (e->hash == h && e->key_len == n && memcmp(e->key, key, n) == 0)
            return e;
    }
    return NULL;
}

/* After the layers are merged: each table sorted, its templates cut into
 * pieces, and hashed together with the English templates it lacks (the
 * fallback is then the same probe).  0 or -PT_ERR_NOMEM. */
static int tmpl_index(pack *p)
{
    for (int l = 0; l < LANG__COUNT; l++) {
        tmpl_table *t = &p->tmpl[l];
        if (t->n > 1)
            qsort(t->v, (size_t)t->n, sizeof *t->v, tmpl_cmp);
        for (int i = 0; i < t->n; i++) {
            size_t n = strlen(t->v[i].key);
            if (n > UINT32_MAX)
                return -PT_ERR_NOMEM;
            t->v[i].key_len = (uint32_t)n;
            t->v[i].hash = key_hash(t->v[i].key, n);
            if (tmpl_compile(p, &t->v[i].t))
                return -PT_ERR_NOMEM;
        }
    }
    const tmpl_table *en = &p->tmpl[LANG_EN];
    for (int l = 0; l < LANG__COUNT; l++) {
        tmpl_table *t = &p->tmpl[l];
        uint32_t entries = (uint32_t)t->n + (l == LANG_EN ? 0u : (uint32_t)en->n);
        if (entries == 0)
            continue;
        uint32_t size = 16;
        while (size < 2u * entries)
            size *= 2;
        t->slots = calloc(size, sizeof *t->slots);
        if (t->slots == NULL)
            return -PT_ERR_NOMEM;
        t->mask = size - 1;
        for (int i = 0; i < t->n; i++)
            tmpl_slot_put(t, &t->v[i]);
        if (l != LANG_EN)
            for (int i = 0; i < en->n; i++)
                if (tmpl_slot_get(t, en->v[i].key, en->v[i].key_len, en->v[i].hash) == NULL)
                    tmpl_slot_put(t, &en->v[i]);
    }
    return 0;
}

/* ---- budget bands ----------------------------------------------------- */

static budget_entry *budget_find(pack *p, const char *currency, transaction tx)
{
    for (int i = 0; i < p->n_budgets; i++)
        if (p->budgets[i].tx == tx && strcasecmp(p->budgets[i].currency, currency) == 0)
            return &p->budgets[i];
    return NULL;
}

/* Upper case, and a real ISO 4217 currency (core/iso.h). */
static bool currency_ok(const char *c)
{
    if (strlen(c) != 3)
        return false;
    for (int i = 0; i < 3; i++)
        if (c[i] < 'A' || c[i] > 'Z')
            return false;
    return iso_currency_known(c);
}

/* Parses the bands of one currency and transaction into e. */
static int budget_parse(pack *p, const char *path, const char *cur, const char *txs,
                        json_t *arr, budget_entry *e, pt_error *err)
{
    int rc = 0;
    if (!json_is_array(arr) || json_array_size(arr) > 64) {
        rc = pt_fail(err, PT_ERR_INVALID,
                     "pack file \"%s\": \"%s\".\"%s\": must be an array of [lo, hi] pairs (at most 64)",
                     path, cur, txs);
        goto done;
    }
    int n = (int)json_array_size(arr);
    e->bands = arena_zalloc(&p->mem, sizeof *e->bands * (size_t)(n ? n : 1));
    if (e->bands == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "pack file \"%s\": out of memory", path);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        json_t *pair = json_array_get(arr, (size_t)i);
        json_t *lo = json_array_get(pair, 0), *hi = json_array_get(pair, 1);
        if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_integer(lo) ||
            !json_is_integer(hi) || json_integer_value(lo) < 0 || json_integer_value(hi) < 0 ||
            (json_integer_value(hi) != 0 && json_integer_value(hi) <= json_integer_value(lo))) {
            rc = pt_fail(err, PT_ERR_INVALID,
                         "pack file \"%s\": \"%s\".\"%s\" band %d: want [lo, hi] with 0 <= lo < hi "
                         "(hi 0: no upper bound)", path, cur, txs, i + 1);
            goto done;
        }
        e->bands[i][0] = (money)json_integer_value(lo);
        e->bands[i][1] = (money)json_integer_value(hi);
    }
    e->n = n;
done:
    return rc;
}

/* Merges dir/budgets.json: a currency given there replaces every band of
 * that currency loaded before. */
static int load_budgets(pack *p, const char *dir, pt_error *err)
{
    int rc = 0;
    json_t *root = NULL;
    char path[PATH_MAX];

    if ((size_t)snprintf(path, sizeof path, "%s/budgets.json", dir) >= sizeof path) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack folder \"%s\": path too long", dir);
        goto done;
    }
    rc = load_json(path, &root, err);
    if (rc || root == NULL)
        goto done;
    const char *cur;
    json_t *byTx;
    json_object_foreach(root, cur, byTx) {
        if (!currency_ok(cur) || !json_is_object(byTx)) {
            rc = pt_fail(err, PT_ERR_INVALID,
                         "pack file \"%s\": \"%s\": want an ISO 4217 code (upper case) mapping to "
                         "{\"buy\": [...], \"rent\": [...]}", path, cur);
            goto done;
        }
        /* the tenant's currency replaces the default's: drop the old entries */
        int w = 0;
        for (int i = 0; i < p->n_budgets; i++)
            if (strcmp(p->budgets[i].currency, cur) != 0)
                p->budgets[w++] = p->budgets[i];
        p->n_budgets = w;
        w = 0;
        for (int i = 0; i < p->n_rent_periods; i++)
            if (strcmp(p->rent_periods[i].currency, cur) != 0)
                p->rent_periods[w++] = p->rent_periods[i];
        p->n_rent_periods = w;
        const char *txs;
        json_t *arr;
        json_object_foreach(byTx, txs, arr) {
            if (strcmp(txs, "rent_period") == 0) {
                rent_period rp = period_from_name(json_string_value(arr));
                if (rp == PERIOD_NONE || p->n_rent_periods == PACK_RENT_PERIODS_MAX) {
                    rc = pt_fail(err, PT_ERR_INVALID,
                                 "pack file \"%s\": \"%s\": \"rent_period\" must be \"month\" or "
                                 "\"year\" (at most %d currencies)", path, cur, PACK_RENT_PERIODS_MAX);
                    goto done;
                }
                rent_period_entry *e = &p->rent_periods[p->n_rent_periods++];
                memcpy(e->currency, cur, 4);
                e->period = rp;
                continue;
            }
            transaction tx = tx_from_name(txs);
            if (tx == TX_NONE) {
                rc = pt_fail(err, PT_ERR_INVALID,
                             "pack file \"%s\": \"%s\": unknown transaction \"%s\" (buy or rent)",
                             path, cur, txs);
                goto done;
            }
            if (budget_find(p, cur, tx)) {
                rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": \"%s\": \"%s\" given twice",
                             path, cur, txs);
                goto done;
            }
            budget_entry e;
            memset(&e, 0, sizeof e);
            memcpy(e.currency, cur, 4);
            e.tx = tx;
            rc = budget_parse(p, path, cur, txs, arr, &e, err);
            if (rc)
                goto done;
            rc = grow((void **)&p->budgets, p->n_budgets, &p->cap_budgets, sizeof *p->budgets);
            if (rc) {
                rc = pt_fail(err, PT_ERR_NOMEM, "pack file \"%s\": out of memory", path);
                goto done;
            }
            p->budgets[p->n_budgets++] = e;
        }
    }
done:
    json_decref(root);
    return rc;
}

/* ---- coaching rules --------------------------------------------------- */

static const char *const stage_names[] = {"awareness", "consideration", "decision", NULL};
static const char *const objection_names[] = {"price", "location", "trust", "timing", NULL};

static bool in_list(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return true;
    return false;
}

/* Reads an optional non-negative integer condition; -1 when absent. */
static int cond_int(const char *path, const char *id, json_t *when, const char *name, int *out,
                    pt_error *err)
{
    json_t *v = json_object_get(when, name);
    *out = -1;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000)
        return pt_fail(err, PT_ERR_INVALID,
                       "pack file \"%s\": rule \"%s\": \"%s\" must be a non-negative integer",
                       path, id, name);
    *out = (int)json_integer_value(v);
    return 0;
}

/* Reads an optional string condition from a closed list; NULL when absent. */
static int cond_str(pack *p, const char *path, const char *id, json_t *when, const char *name,
                    const char *const *allowed, const char **out, pt_error *err)
{
    json_t *v = json_object_get(when, name);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || !in_list(allowed, json_string_value(v)))
        return pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": rule \"%s\": unknown %s \"%s\"",
                       path, id, name, json_is_string(v) ? json_string_value(v) : "(not a string)");
    *out = pstrdup(p, json_string_value(v), path, err);
    return *out ? 0 : -PT_ERR_NOMEM;
}

/* Reads the optional "purpose_not" condition: a purpose name or a list of
 * them, as bits 1 << purpose; 0 when absent. */
static int cond_purpose_not(const char *path, const char *id, json_t *when, unsigned *out,
                            pt_error *err)
{
    json_t *v = json_object_get(when, "purpose_not");
    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        purpose pu = json_is_string(e) ? purpose_from_name(json_string_value(e)) : PURPOSE_NONE;
        if (pu == PURPOSE_NONE || strcmp(purpose_name(pu), json_string_value(e)) != 0)
            return pt_fail(err, PT_ERR_INVALID,
                           "pack file \"%s\": rule \"%s\": unknown purpose_not \"%s\" "
                           "(investment, living or residency)",
                           path, id, json_is_string(e) ? json_string_value(e) : "(not a string)");
        *out |= 1u << pu;
    }
    return 0;
}

static int rule_parse(pack *p, const char *path, json_t *r, int index, pack_coaching_rule *out,
                      pt_error *err)
{
    static const char *const purposes[] = {"investment", "living", "residency", NULL};
    static const char *const when_keys[] = {"listings_seen_min", "family_homes_seen_min",
                                            "turns_min", "stage", "purpose", "purpose_not",
                                            "objection", "once", NULL};
    int rc = 0;
    memset(out, 0, sizeof *out);
    json_t *id = json_object_get(r, "id");
    if (!json_is_object(r) || !json_is_string(id) || json_string_length(id) == 0) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": rule %d needs an \"id\" string",
                     path, index + 1);
        goto done;
    }
    const char *ids = json_string_value(id);
    json_t *when = json_object_get(r, "when");
    if (when == NULL)
        when = r;   /* conditions may also sit beside "id" */
    else if (!json_is_object(when)) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": rule \"%s\": \"when\" must be an object",
                     path, ids);
        goto done;
    } else {
        const char *k;
        json_t *v;
        json_object_foreach(when, k, v) {
            if (!in_list(when_keys, k)) {
                rc = pt_fail(err, PT_ERR_INVALID,
                             "pack file \"%s\": rule \"%s\": unknown condition \"%s\"", path, ids, k);
                goto done;
            }
        }
    }
    out->id = pstrdup(p, ids, path, err);
    if (out->id == NULL) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    if ((rc = cond_int(path, ids, when, "listings_seen_min", &out->listings_seen_min, err)) ||
        (rc = cond_int(path, ids, when, "family_homes_seen_min", &out->family_homes_seen_min, err)) ||
        (rc = cond_int(path, ids, when, "turns_min", &out->turns_min, err)) ||
        (rc = cond_str(p, path, ids, when, "stage", stage_names, &out->stage, err)) ||
        (rc = cond_str(p, path, ids, when, "purpose", purposes, &out->purpose, err)) ||
        (rc = cond_purpose_not(path, ids, when, &out->purpose_not, err)) ||
        (rc = cond_str(p, path, ids, when, "objection", objection_names, &out->objection, err)))
        goto done;
    json_t *once = json_object_get(r, "once");
    if (once == NULL)
        once = json_object_get(when, "once");
    if (once != NULL && !json_is_boolean(once)) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": rule \"%s\": \"once\" must be true or false",
                     path, ids);
        goto done;
    }
    out->once = once != NULL && json_is_true(once);
    json_t *text = json_object_get(r, "text");
    if (json_is_string(text)) {
        out->text[LANG_EN] = pstrdup(p, json_string_value(text), path, err);
        if (out->text[LANG_EN] == NULL) {
            rc = -PT_ERR_NOMEM;
            goto done;
        }
    } else if (json_is_object(text)) {
        const char *k;
        json_t *v;
        json_object_foreach(text, k, v) {
            int l = lang_from_name(k);
            if (!json_is_string(v)) {
                rc = pt_fail(err, PT_ERR_INVALID,
                             "pack file \"%s\": rule \"%s\": text \"%s\" must be a string", path, ids, k);
                goto done;
            }
            if (l < 0)
                continue;   /* a language proptalk does not speak yet */
            out->text[l] = pstrdup(p, json_string_value(v), path, err);
            if (out->text[l] == NULL) {
                rc = -PT_ERR_NOMEM;
                goto done;
            }
        }
    }
    if (out->text[LANG_EN] == NULL) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": rule \"%s\": needs an English text",
                     path, ids);
        goto done;
    }
done:
    return rc;
}

/* Merges dir/coaching.json: a rule replaces a loaded rule of the same id. */
static int load_coaching(pack *p, const char *dir, pt_error *err)
{
    int rc = 0;
    json_t *root = NULL;
    char path[PATH_MAX];

    if ((size_t)snprintf(path, sizeof path, "%s/coaching.json", dir) >= sizeof path) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack folder \"%s\": path too long", dir);
        goto done;
    }
    rc = load_json(path, &root, err);
    if (rc || root == NULL)
        goto done;
    json_t *rules = json_object_get(root, "rules");
    if (!json_is_array(rules)) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": needs a \"rules\" array", path);
        goto done;
    }
    int first_new = p->n_rules;
    for (size_t i = 0; i < json_array_size(rules); i++) {
        pack_coaching_rule r;
        rc = rule_parse(p, path, json_array_get(rules, i), (int)i, &r, err);
        if (rc)
            goto done;
        int at = -1;
        for (int j = 0; j < p->n_rules; j++) {
            if (strcmp(p->rules[j].id, r.id) == 0) {
                if (j >= first_new) {
                    rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": rule \"%s\" given twice",
                                 path, r.id);
                    goto done;
                }
                at = j;
            }
        }
        if (at < 0) {
            rc = grow((void **)&p->rules, p->n_rules, &p->cap_rules, sizeof *p->rules);
            if (rc) {
                rc = pt_fail(err, PT_ERR_NOMEM, "pack file \"%s\": out of memory", path);
                goto done;
            }
            at = p->n_rules++;
        }
        p->rules[at] = r;
    }
done:
    json_decref(root);
    return rc;
}

/* ---- settings --------------------------------------------------------- */

static const struct {
    const char *name;
    size_t off;
    int min, max;
} setting_fields[] = {
#define PT_SETTING(f, lo, hi) {#f, offsetof(pack_settings, f), lo, hi}
    PT_SETTING(urgency_units_max, 0, 1000),
    PT_SETTING(human_requests_handoff, 1, 100),
    PT_SETTING(frustration_handoff, 1, 10),
    PT_SETTING(results_min, 1, 50),
    PT_SETTING(results_max, 1, 50),
    PT_SETTING(slots_offered, 1, 20),
    PT_SETTING(price_tolerance_pct, 0, 100),
    PT_SETTING(zombie_repeats_max, 1, 100),
#undef PT_SETTING
};

static const pack_settings builtin_settings = {
    .urgency_units_max = 5,
    .human_requests_handoff = 2,
    .frustration_handoff = 7,
    .results_min = 3,
    .results_max = 5,
    .slots_offered = 4,
    .price_tolerance_pct = 10,
    .zombie_repeats_max = 2,
};

/* Merges dir/settings.json over p->settings.  An unknown key is an error
 * (a misspelt setting must not be ignored silently). */
static int load_settings(pack *p, const char *dir, pt_error *err)
{
    int rc = 0;
    json_t *root = NULL;
    char path[PATH_MAX];

    if ((size_t)snprintf(path, sizeof path, "%s/settings.json", dir) >= sizeof path) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack folder \"%s\": path too long", dir);
        goto done;
    }
    rc = load_json(path, &root, err);
    if (rc || root == NULL)
        goto done;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        size_t i, n = sizeof setting_fields / sizeof setting_fields[0];
        for (i = 0; i < n; i++)
            if (strcmp(setting_fields[i].name, k) == 0)
                break;
        if (i == n) {
            rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": unknown setting \"%s\"", path, k);
            goto done;
        }
        if (!json_is_integer(v) || json_integer_value(v) < setting_fields[i].min ||
            json_integer_value(v) > setting_fields[i].max) {
            rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": \"%s\" must be an integer from %d to %d",
                         path, k, setting_fields[i].min, setting_fields[i].max);
            goto done;
        }
        *(int *)((char *)&p->settings + setting_fields[i].off) = (int)json_integer_value(v);
    }
    if (p->settings.results_min > p->settings.results_max) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": results_min %d is above results_max %d",
                     path, p->settings.results_min, p->settings.results_max);
        goto done;
    }
done:
    json_decref(root);
    return rc;
}

/* ---- locality aliases ------------------------------------------------- */

/* Checks every line of a localities.tsv text: '#' comments and blank lines,
 * else "alias<TAB>Canonical" with both sides non-empty. */
static int aliases_check(const char *path, const char *text, size_t len, pt_error *err)
{
    int rc = 0;
    if (!utf8_valid((const unsigned char *)text, len)) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": not valid UTF-8", path);
        goto done;
    }
    if (memchr(text, '\0', len)) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack file \"%s\": contains a NUL byte", path);
        goto done;
    }
    int line = 0;
    const char *s = text, *end = text + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        line++;
        const char *le = e;
        if (le > s && le[-1] == '\r')
            le--;
        const char *q = s;
        while (q < le && (*q == ' ' || *q == '\t'))
            q++;
        if (q < le && *q != '#') {
            const char *tab = memchr(s, '\t', (size_t)(le - s));
            if (tab == NULL || tab == s || tab + 1 >= le ||
                memchr(tab + 1, '\t', (size_t)(le - tab - 1))) {
                rc = pt_fail(err, PT_ERR_INVALID,
                             "pack file \"%s\": line %d: want \"alias<TAB>Canonical Name\"", path, line);
                goto done;
            }
        }
        s = nl ? nl + 1 : end;
    }
done:
    return rc;
}

/* Appends dir/localities.tsv to p->aliases. */
static int load_aliases(pack *p, const char *dir, pt_error *err)
{
    int rc = 0;
    char *text = NULL;
    size_t len = 0;
    char path[PATH_MAX];

    if ((size_t)snprintf(path, sizeof path, "%s/localities.tsv", dir) >= sizeof path) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack folder \"%s\": path too long", dir);
        goto done;
    }
    rc = read_whole(path, &text, &len, err);
    if (rc || text == NULL)
        goto done;
    rc = aliases_check(path, text, len, err);
    if (rc)
        goto done;
    size_t old = strlen(p->aliases);
    bool sep = old > 0 && p->aliases[old - 1] != '\n';
    char *joined = arena_alloc(&p->mem, old + sep + len + 1);
    if (joined == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "pack file \"%s\": out of memory", path);
        goto done;
    }
    memcpy(joined, p->aliases, old);
    if (sep)
        joined[old] = '\n';
    memcpy(joined + old + sep, text, len);
    joined[old + sep + len] = '\0';
    p->aliases = joined;
done:
    free(text);
    return rc;
}

/* ---- public ----------------------------------------------------------- */

/* A slug names a folder under packs_dir: it must not climb out of it. */
static bool slug_ok(const char *slug)
{
    size_t n = strlen(slug);
    return n > 0 && n <= 63 && strcmp(slug, ".") != 0 && strcmp(slug, "..") != 0 &&
           strchr(slug, '/') == NULL && strchr(slug, '\\') == NULL;
}

static int load_layer(pack *p, const char *dir, pt_error *err)
{
    int rc;
    if ((rc = load_settings(p, dir, err)) || (rc = load_replies(p, dir, err)) ||
        (rc = load_budgets(p, dir, err)) || (rc = load_coaching(p, dir, err)) ||
        (rc = load_aliases(p, dir, err)))
        return rc;
    return 0;
}

/* Adds the phrases of one folded cue text to its list, each once. */
static int cue_add(pack *p, const char *key, const char *folded)
{
    cue_list *c = NULL;
    for (int i = 0; i < p->n_cues; i++)
        if (strcmp(p->cues[i].key, key) == 0)
            c = &p->cues[i];
    if (c == NULL) {
        if (grow((void **)&p->cues, p->n_cues, &p->cap_cues, sizeof *p->cues))
            return -PT_ERR_NOMEM;
        c = &p->cues[p->n_cues++];
        *c = (cue_list){.key = key};
    }
    for (const char *list = folded; *list;) {
        const char *bar = strchr(list, '|');
        size_t n = bar ? (size_t)(bar - list) : strlen(list);
        const char *ph = list;
        while (n > 0 && *ph == ' ')
            ph++, n--;
        while (n > 0 && ph[n - 1] == ' ')
            n--;
        bool stem = n > 0 && ph[n - 1] == '*';   /* "инвестиц*": letters may follow */
        if (stem)
            n--;
        bool seen = n == 0;
        for (int i = 0; i < c->n && !seen; i++)
            seen = c->v[i].n == n && c->v[i].stem == stem && memcmp(c->v[i].s, ph, n) == 0;
        if (!seen) {
            if (grow((void **)&c->v, c->n, &c->cap, sizeof *c->v))
                return -PT_ERR_NOMEM;
            c->v[c->n++] = (pack_phrase){ph, n, stem};
        }
        if (bar == NULL)
            break;
        list = bar + 1;
    }
    return 0;
}

char *pack_fold(arena *a, const char *text)
{
    utf8proc_uint8_t *f = NULL;
    if (text == NULL)
        return NULL;
    /* plain ASCII (most messages): folding is lower-casing, nothing else of
     * the map below changes an ASCII byte */
    size_t len = 0;
    while (text[len] && (unsigned char)text[len] < 0x80)
        len++;
    if (text[len] == '\0') {
        char *r = arena_alloc(a, len + 1);
        if (r == NULL)
            return NULL;
        for (size_t i = 0; i <= len; i++)
            r[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] + 32) : text[i];
        return r;
    }
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)text, 0, &f,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                      UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
    char *r = n >= 0 && f ? arena_strdup(a, (const char *)f) : NULL;
    free(f);
    return r;
}

/* What the code point at s (n bytes there) is to a word: 'L' a letter or a
 * combining mark (any script), 'D' a decimal digit, 0 neither (or not
 * UTF-8). */
static int word_class(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return (s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z' ? 'L'
               : s[0] >= '0' && s[0] <= '9'                 ? 'D'
                                                             : 0;
    utf8proc_int32_t c;
    if (utf8proc_iterate(s, (utf8proc_ssize_t)(n < 4 ? n : 4), &c) < 0)
        return 0;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return 'L';
    case UTF8PROC_CATEGORY_ND:
        return 'D';
    default:
        return 0;
    }
}

/* Whether phrase ph must end at a word end: it ends in a letter (or a mark)
 * and is no stem.  A digit end has its own rule (cue_digits_apart). */
static bool cue_whole(const pack_phrase *ph)
{
    const unsigned char *s = (const unsigned char *)ph->s;
    if (ph->stem || ph->n == 0)
        return false;
    size_t k = ph->n - 1;
    while (k > 0 && (s[k] & 0xC0) == 0x80 && ph->n - k < 4)
        k--;   /* back to the lead byte of the last code point */
    return word_class(s + k, ph->n - k) == 'L';
}

/* Whether cue list key is one the NLU alone reads, as words around an
 * area or an amount (cue_loc_*, cue_period_*: the gazetteer's cues,
 * engine_gazetteer_cues): the dialog's scan of each message leaves them out
 * ("and", "or", "no", "و", "pm" would match in most messages for nothing). */
static bool cue_nlu_only(const char *key)
{
    return strncmp(key, "cue_loc_", 8) == 0 || strncmp(key, "cue_period_", 11) == 0;
}

/* The cue lists (cue_* templates) of every language merged, after all
 * layers are loaded: folded once here, not for every message matched. */
static int cues_build(pack *p)
{
    for (int l = 0; l < LANG__COUNT; l++)
        for (int i = 0; i < p->tmpl[l].n; i++) {
            const tmpl_entry *e = &p->tmpl[l].v[i];
            if (strncmp(e->key, "cue_", 4) != 0)
                continue;
            /* jansson strings are valid UTF-8: a failure is out of memory */
            char *folded = pack_fold(&p->mem, e->t.text);
            if (folded == NULL || cue_add(p, e->key, folded))
                return -PT_ERR_NOMEM;
        }
    for (int i = 0; i < p->n_cues; i++) {
        size_t n = strlen(p->cues[i].key);
        if (n > UINT32_MAX)
            return -PT_ERR_NOMEM;
        p->cues[i].key_len = (uint32_t)n;
        p->cues[i].hash = key_hash(p->cues[i].key, n);
    }
    /* the scan index: the phrases of the first PACK_CUE_BITS lists grouped
     * by bucket (a counting sort) */
    size_t total = 0;
    for (int i = 0; i < p->n_cues && i < PACK_CUE_BITS; i++)
        if (!cue_nlu_only(p->cues[i].key))
            total += (size_t)p->cues[i].n;
    p->cue_refs = malloc(sizeof *p->cue_refs * (total ? total : 1));
    if (p->cue_refs == NULL)
        return -PT_ERR_NOMEM;
    uint32_t *cnt = calloc(2 * CUE_BUCKETS, sizeof *cnt);
    if (cnt == NULL)
        return -PT_ERR_NOMEM;
    uint32_t *pos = cnt + CUE_BUCKETS;
    for (int i = 0; i < p->n_cues && i < PACK_CUE_BITS; i++)
        for (int k = 0; k < p->cues[i].n && !cue_nlu_only(p->cues[i].key); k++)
            cnt[cue_bucket(&p->cues[i].v[k])]++;
    p->cue_first[0] = 0;
    for (int b = 0; b < CUE_BUCKETS; b++)
        p->cue_first[b + 1] = p->cue_first[b] + cnt[b];
    p->cue_singles = p->cue_first[256] > 0;
    memcpy(pos, p->cue_first, sizeof *pos * CUE_BUCKETS);
    for (int i = 0; i < p->n_cues && i < PACK_CUE_BITS; i++)
        for (int k = 0; k < p->cues[i].n && !cue_nlu_only(p->cues[i].key); k++) {
            const pack_phrase *ph = &p->cues[i].v[k];
            p->cue_refs[pos[cue_bucket(ph)]++] = (cue_ref){ph->s, ph->n, (uint64_t)1 << i,
                                                           cue_whole(ph)};
        }
    free(cnt);
    return 0;
}

/* The index of cue list key, or -1: the dialog asks for its lists by name
 * every turn, and every name starts with "cue_". */
static int cue_index(const pack *p, const char *key)
{
    if (p == NULL || key == NULL)
        return -1;
    size_t n = strlen(key);
    uint32_t h = key_hash(key, n);
    for (int i = 0; i < p->n_cues; i++)
        if (p->cues[i].hash == h && p->cues[i].key_len == n && memcmp(p->cues[i].key, key, n) == 0)
            return i;
    return -1;
}

/* The length of the decimal digit (ASCII, Arabic-Indic U+0660..0669,
 * Persian U+06F0..06F9) that starts at s (n bytes there), or 0. */
static size_t digit_head(const unsigned char *s, size_t n)
{
    if (n >= 1 && s[0] >= '0' && s[0] <= '9')
        return 1;
    if (n >= 2 && ((s[0] == 0xD9 && s[1] >= 0xA0 && s[1] <= 0xA9)
                   || (s[0] == 0xDB && s[1] >= 0xB0 && s[1] <= 0xB9)))
        return 2;
    return 0;
}

/* The same for the digit that ends at s[n - 1]. */
static size_t digit_tail(const unsigned char *s, size_t n)
{
    if (n >= 1 && s[n - 1] >= '0' && s[n - 1] <= '9')
        return 1;
    return n >= 2 && digit_head(s + n - 2, 2) == 2 ? 2 : 0;
}

/* A phrase of n bytes found at text[i]: does it stand on its own at an end
 * that is a digit?  "number 1" is not in "number 12", nor "1st" in "21st". */
static bool cue_digits_apart(const unsigned char *text, size_t tn, size_t i,
                             const unsigned char *ph, size_t n)
{
    if (digit_head(ph, n) && digit_tail(text, i))
        return false;
    if (digit_tail(ph, n) && digit_head(text + i + n, tn - i - n))
        return false;
    return true;
}

/* A phrase of n bytes found at text[i] (whole: cue_whole of it): do its
 * ends stand apart?  cue_digits_apart, and a word end after a whole one:
 * "second" is not in "seconds".  Only a phrase found is checked, so the
 * scan costs no more where nothing matches. */
static inline bool cue_apart(const unsigned char *text, size_t tn, size_t i,
                             const unsigned char *ph, size_t n, bool whole)
{
    return cue_digits_apart(text, tn, i, ph, n) && !(whole && word_class(text + i + n, tn - i - n));
}

size_t pack_cue_find(const char *text, size_t n, size_t from, const pack_phrase *ph)
{
    const unsigned char *t = (const unsigned char *)text, *s = (const unsigned char *)ph->s;
    if (ph->n == 0 || from > n || ph->n > n - from)
        return n;
    bool whole = cue_whole(ph);
    for (const unsigned char *at = t + from; (size_t)(at - t) + ph->n <= n;) {
        const unsigned char *f = memmem(at, n - (size_t)(at - t), s, ph->n);
        if (f == NULL)
            return n;
        if (cue_apart(t, n, (size_t)(f - t), s, ph->n, whole))
            return (size_t)(f - t);
        at = f + 1;
    }
    return n;
}

bool pack_cue_in(const char *text, size_t n, const pack_phrase *ph)
{
    return pack_cue_find(text, n, 0, ph) < n;
}

int pack_cue_count(const pack *p)
{
    return p ? p->n_cues : 0;
}

const char *pack_cue_key(const pack *p, int id)
{
    return p && id >= 0 && id < p->n_cues ? p->cues[id].key : NULL;
}

int pack_cue_id(const pack *p, const char *key)
{
    return cue_index(p, key);
}

/* The one pass of pack_cue_scan and pack_cue_spans over t[0..n): each
 * phrase of the lists in `lists` found there with its ends apart
 * (cue_apart).  With out NULL it gathers the lists' bits into *hits (a
 * list found is not looked for again); else it records each phrase found
 * into out, up to max, and returns how many. */
static inline __attribute__((always_inline)) int cue_walk(const pack *p, const unsigned char *t,
                                                          size_t n, uint64_t lists, uint64_t *hits,
                                                          pack_cue_span *out, int max)
{
    int k_out = 0;
    for (size_t i = 0; i < n && k_out < max; i++) {
        /* phrases of this one byte */
        for (uint32_t k = p->cue_singles ? p->cue_first[t[i]] : 0,
                      end = p->cue_singles ? p->cue_first[t[i] + 1] : 0; k < end && k_out < max; k++) {
            const cue_ref *r = &p->cue_refs[k];
            if ((lists & r->bit) && r->n == 1
                && cue_apart(t, n, i, (const unsigned char *)r->s, 1, r->whole)) {
                if (out)
                    out[k_out++] = (pack_cue_span){i, 1, __builtin_ctzll(r->bit)};
                else
                    *hits |= r->bit;
            }
        }
        if (i + 1 == n)
            break;
        /* longer phrases starting with these two bytes (or sharing their
         * bucket) */
        unsigned b = cue_pair(t[i], t[i + 1]);
        for (uint32_t k = p->cue_first[b], end = p->cue_first[b + 1]; k < end && k_out < max; k++) {
            const cue_ref *r = &p->cue_refs[k];
            if ((out ? (lists & r->bit) : (*hits & r->bit) == 0) && r->n <= n - i
                && memcmp(t + i, r->s, r->n) == 0
                && cue_apart(t, n, i, (const unsigned char *)r->s, r->n, r->whole)) {
                if (out)
                    out[k_out++] = (pack_cue_span){i, r->n, __builtin_ctzll(r->bit)};
                else
                    *hits |= r->bit;
            }
        }
    }
    return k_out;
}

uint64_t pack_cue_scan(const pack *p, const char *text, size_t n)
{
    uint64_t hits = 0;
    if (p == NULL || p->cue_refs == NULL)
        return 0;
    cue_walk(p, (const unsigned char *)text, n, ~(uint64_t)0, &hits, NULL, INT_MAX);
    return hits;
}

uint64_t pack_cue_mask(const pack *p, const char *prefix)
{
    uint64_t m = 0;
    for (int i = 0; p && i < p->n_cues && i < PACK_CUE_BITS; i++) {
        const char *k = p->cues[i].key, *x = prefix;
        while (*x && *k == *x)   /* most keys part from the prefix in a few bytes */
            k++, x++;
        if (*x == '\0')
            m |= (uint64_t)1 << i;
    }
    return m;
}

int pack_cue_spans(const pack *p, uint64_t lists, const char *text, size_t n, pack_cue_span *out,
                   int max)
{
    if (p == NULL || p->cue_refs == NULL || lists == 0)
        return 0;
    return cue_walk(p, (const unsigned char *)text, n, lists, NULL, out, max);
}

int pack_cue_phrases(const pack *p, const char *key, const pack_phrase **out)
{
    int i = cue_index(p, key);
    *out = i >= 0 ? p->cues[i].v : NULL;
    return i >= 0 ? p->cues[i].n : 0;
}

int pack_load(const char *packs_dir, const char *slug, pack **out, pt_error *err)
{
    int rc = 0;
    pack *p = NULL;
    char dir[PATH_MAX], tdir[PATH_MAX], idir[PATH_MAX];

    *out = NULL;
    if (packs_dir == NULL || *packs_dir == '\0')
        packs_dir = "packs";
    if (slug != NULL && (*slug == '\0' || strcmp(slug, "default") == 0))
        slug = NULL;   /* the default layer alone */
    if (slug != NULL && !slug_ok(slug)) {
        rc = pt_fail(err, PT_ERR_INVALID, "pack \"%s\": not a valid tenant slug", slug);
        goto done;
    }
    if ((size_t)snprintf(dir, sizeof dir, "%s/default", packs_dir) >= sizeof dir ||
        (size_t)snprintf(tdir, sizeof tdir, "%s/%s", packs_dir, slug ? slug : "") >= sizeof tdir) {
        rc = pt_fail(err, PT_ERR_INVALID, "packs folder \"%s\": path too long", packs_dir);
        goto done;
    }
    if (!is_dir(dir)) {
        rc = pt_fail(err, PT_ERR_IO, "pack folder \"%s\": missing", dir);
        goto done;
    }
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "pack: out of memory");
        goto done;
    }
    arena_init(&p->mem, 0);
    p->settings = builtin_settings;
    p->aliases = "";
    rc = load_layer(p, dir, err);
    if (rc)
        goto done;
    bool tenant_layer = slug != NULL && is_dir(tdir);
    if (tenant_layer) {
        rc = load_layer(p, tdir, err);
        if (rc)
            goto done;
    }
    if (tmpl_index(p) || cues_build(p)) {
        rc = pt_fail(err, PT_ERR_NOMEM, "pack: out of memory");
        goto done;
    }
    if ((size_t)snprintf(idir, sizeof idir, "%s/intents", tdir) >= sizeof idir ||
        !tenant_layer || !is_dir(idir)) {
        if ((size_t)snprintf(idir, sizeof idir, "%s/intents", dir) >= sizeof idir) {
            rc = pt_fail(err, PT_ERR_INVALID, "packs folder \"%s\": path too long", packs_dir);
            goto done;
        }
    }
    p->intents_dir = arena_strdup(&p->mem, idir);
    if (p->intents_dir == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "pack: out of memory");
        goto done;
    }
    *out = p;
    p = NULL;
done:
    pack_free(p);
    return rc;
}

void pack_free(pack *p)
{
    if (p == NULL)
        return;
    for (int l = 0; l < LANG__COUNT; l++) {
        free(p->tmpl[l].v);
        free(p->tmpl[l].slots);
    }
    free(p->budgets);
    free(p->rules);
    for (int i = 0; i < p->n_cues; i++)
        free(p->cues[i].v);
    free(p->cues);
    free(p->cue_refs);
    arena_release(&p->mem);
    free(p);
}

const pack_template *pack_template_get(const pack *p, lang l, const char *key)
{
    if (p == NULL || key == NULL)
        return NULL;
    /* a language's slots hold English's templates it lacks */
    const tmpl_table *t = &p->tmpl[(int)l > 0 && (int)l < LANG__COUNT ? (int)l : LANG_EN];
    size_t n = strlen(key);
    const tmpl_entry *e = tmpl_slot_get(t, key, n, key_hash(key, n));
    return e ? &e->t : NULL;
}

int pack_budget_bands(const pack *p, const char *currency, transaction tx,
                      const money (**bands)[2])
{
    *bands = NULL;
    if (p == NULL || currency == NULL)
        return 0;
    for (int i = 0; i < p->n_budgets; i++) {
        const budget_entry *e = &p->budgets[i];
        if (e->tx == tx && strcasecmp(e->currency, currency) == 0) {
            *bands = (const money (*)[2])e->bands;
            return e->n;
        }
    }
    return 0;
}

rent_period pack_rent_period(const pack *p, const char *currency)
{
    for (int i = 0; p && currency && i < p->n_rent_periods; i++)
        if (strcasecmp(p->rent_periods[i].currency, currency) == 0)
            return p->rent_periods[i].period;
    return PERIOD_YEAR;
}

int pack_coaching_rules(const pack *p, const pack_coaching_rule **rules)
{
    *rules = p ? p->rules : NULL;
    return p ? p->n_rules : 0;
}

const pack_settings *pack_settings_get(const pack *p)
{
    return p ? &p->settings : &builtin_settings;
}

const char *pack_aliases(const pack *p)
{
    return p ? p->aliases : "";
}

const char *pack_intents_dir(const pack *p)
{
    return p ? p->intents_dir : "packs/default/intents";
}

/* ---- rendering -------------------------------------------------------- */

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Length of the placeholder name at s (after '{') when it closes with '}',
 * else 0. */
static size_t placeholder_len(const char *s)
{
    size_t n = 0;
    while (n <= PACK_NAME_MAX && name_char(s[n]))
        n++;
    return (n > 0 && n <= PACK_NAME_MAX && s[n] == '}') ? n : 0;
}

static const char *var_value(const char *const *vars, const char *name, size_t n)
{
    if (vars == NULL)
        return "";
    /* pairs until a NULL name; a NULL value renders as empty (callers pass
     * expressions such as `l->project` that may be NULL) */
    for (size_t i = 0; vars[i] != NULL; i += 2) {
        const char *v = vars[i];
        size_t k = 0;
        while (k < n && v[k] == name[k])   /* stops at v's NUL: name has none */
            k++;
        if (k == n && v[n] == '\0')
            return vars[i + 1] ? vars[i + 1] : "";
    }
    return "";
}

/* Placeholders a render remembers from its measuring pass; a template with
 * more looks the rest up again when writing. */
#define RENDER_SLOTS 16

char *pack_render(arena *a, const char *tmpl, const char *const *vars)
{
    struct {
        const char *v;
        size_t len;
    } seen[RENDER_SLOTS];
    if (tmpl == NULL)
        tmpl = "";
    /* pass 0 measures, pass 1 writes; text between placeholders moves in
     * runs (found with strchr), each placeholder is resolved once */
    char *out = NULL;
    for (int pass = 0; pass < 2; pass++) {
        size_t o = 0, k = 0;
        const char *s = tmpl;
        for (;;) {
            const char *brace = strchr(s, '{');
            size_t run = brace ? (size_t)(brace - s) : strlen(s);
            if (pass)
                memcpy(out + o, s, run);
            o += run;
            if (brace == NULL)
                break;
            s = brace;
            size_t n = placeholder_len(s + 1);
            if (n == 0) {   /* a literal brace */
                if (pass)
                    out[o] = '{';
                o++;
                s++;
                continue;
            }
            const char *v;
            size_t vl;
            if (pass && k < RENDER_SLOTS) {
                v = seen[k].v;
                vl = seen[k].len;
            } else {
                v = var_value(vars, s + 1, n);
                vl = strlen(v);
                if (k < RENDER_SLOTS)
                    seen[k].v = v, seen[k].len = vl;
            }
            k++;
            if (pass)
                memcpy(out + o, v, vl);
            o += vl;
            s += n + 2;
        }
        if (pass == 0) {
            out = arena_alloc(a, o + 1);
            if (out == NULL)
                return NULL;
        } else {
            out[o] = '\0';
        }
    }
    return out;
}

/* Cuts t->text into pieces the way pack_render reads it: runs of text
 * (a brace that opens no placeholder is text) and {name}s, and gives each
 * {name} its slot: the index of the name among the template's distinct
 * names (the first PACK_SLOTS_MAX of them are listed in t->names).  0 or
 * -PT_ERR_NOMEM. */
static int tmpl_compile(pack *p, pack_template *t)
{
    t->pieces = NULL;
    t->n_pieces = t->n_vars = 0;
    t->names = NULL;
    t->n_names = 0;
    t->uses = NULL;
    t->text_len = 0;
    t->n_far = 0;
    if (t->text == NULL)
        return 0;
    pack_piece *v = NULL;
    pack_str names[PACK_SLOTS_MAX];
    uint32_t uses[PACK_SLOTS_MAX];
    int n_names = 0;
    for (int pass = 0; pass < 2; pass++) {
        int n = 0, vars = 0;
        const char *run = t->text, *s = t->text;
        for (;;) {
            const char *brace = strchr(s, '{');
            size_t len = brace ? 0 : strlen(s);
            size_t name = brace ? placeholder_len(brace + 1) : 0;
            if (brace && name == 0) {   /* a literal brace: the run goes on */
                s = brace + 1;
                continue;
            }
            const char *end = brace ? brace : s + len;
            if (end > run) {
                if (pass) {
                    v[n] = (pack_piece){.s = run, .n = (uint32_t)(end - run), .var = false};
                    t->text_len += (size_t)(end - run);
                }
                n++;
            }
            if (brace == NULL)
                break;
            if (pass) {
                int k = 0;
                while (k < n_names &&
                       (names[k].n != name || memcmp(names[k].s, brace + 1, name) != 0))
                    k++;
                if (k == n_names && n_names < PACK_SLOTS_MAX) {
                    names[n_names] = (pack_str){brace + 1, name};
                    uses[n_names++] = 0;
                }
                if (k < PACK_SLOTS_MAX)
                    uses[k]++;   /* at most the text's length: no wrap */
                else
                    t->n_far++;
                v[n] = (pack_piece){.s = brace + 1, .n = (uint32_t)name,
                                    .slot = (uint16_t)k, .var = true};
            }
            n++;
            vars++;
            run = s = brace + name + 2;
        }
        if (pass == 0) {
            if (n == 0)
                return 0;
            v = arena_alloc(&p->mem, sizeof *v * (size_t)n);
            if (v == NULL)
                return -PT_ERR_NOMEM;
        } else {
            t->pieces = v;
            t->n_pieces = n;
            t->n_vars = vars;
        }
    }
    if (n_names > 0) {
        pack_str *kept = arena_alloc(&p->mem, sizeof *kept * (size_t)n_names);
        uint32_t *kept_uses = arena_alloc(&p->mem, sizeof *kept_uses * (size_t)n_names);
        if (kept == NULL || kept_uses == NULL)
            return -PT_ERR_NOMEM;
        memcpy(kept, names, sizeof *kept * (size_t)n_names);
        memcpy(kept_uses, uses, sizeof *kept_uses * (size_t)n_names);
        t->names = kept;
        t->uses = kept_uses;
        t->n_names = n_names;
    }
    return 0;
}

/* Is s[0..n) (no NUL in it) the NUL-terminated name? */
static inline bool name_is(const char *name, const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && name[k] == s[k])   /* stops at name's NUL: s has none */
        k++;
    return k == n && name[n] == '\0';
}


/* Where a render takes its values from.  pack_template_render: one value
 * per slot (slot), looked up once in the (name, value) pairs.  A bound
 * render: the binding's index per slot (map) into vals.  A placeholder past
 * the slots (slot PACK_SLOTS_MAX) is looked up by name in the pairs or in
 * names/vals. */
typedef struct render_src {
    const pack_str *slot;
    const uint8_t *map;
    const char *const *pairs;      /* pack_template_render's list, or NULL */
    const char *const *names;      /* pack_bind's list, with vals */
    const pack_str *vals;
    int n_names;
} render_src;

static const pack_str empty_str = {"", 0};

/* The value of name s[0..n) in the (name, value) pairs (the first pair
 * that has it; a NULL value is ""), or "". */
static inline pack_str pair_value(const char *const *pairs, const char *s, size_t n)
{
    for (size_t i = 0; pairs[i] != NULL; i += 2)
        if (name_is(pairs[i], s, n))
            return pairs[i + 1] ? (pack_str){pairs[i + 1], strlen(pairs[i + 1])} : empty_str;
    return empty_str;
}

/* The value of a placeholder past the slots, by its name s[0..n). */
static __attribute__((noinline)) pack_str value_by_name(const render_src *r, const char *s,
                                                       size_t n)
{
    if (r->pairs)
        return pair_value(r->pairs, s, n);
    for (int i = 0; i < r->n_names && i < PACK_UNBOUND; i++)
        if (name_is(r->names[i], s, n))
            return r->vals[i].s ? r->vals[i] : empty_str;
    return empty_str;
}

/* The value of placeholder pc; bound (a constant where this is inlined)
 * says which of r's ways applies. */
static inline __attribute__((always_inline)) pack_str piece_value(const render_src *r,
                                                                  const pack_piece *pc, bool bound)
{
    if (pc->slot >= PACK_SLOTS_MAX)
        return value_by_name(r, pc->s, pc->n);
    if (!bound)
        return r->slot[pc->slot];
    unsigned i = r->map[pc->slot];
    return i != PACK_UNBOUND && r->vals[i].s ? r->vals[i] : empty_str;
}

/* The rendered length: the text's bytes, each slot's value times its
 * uses, and the placeholders past the slots one by one. */
static inline __attribute__((always_inline)) size_t render_len(const pack_template *t,
                                                               const render_src *r, bool bound)
{
    size_t o = t->text_len;
    for (int k = 0; k < t->n_names; k++) {
        size_t n;
        if (bound) {
            unsigned i = r->map[k];
            n = i != PACK_UNBOUND && r->vals[i].s ? r->vals[i].n : 0;
        } else {
            n = r->slot[k].n;
        }
        o += t->uses[k] == 1 ? n : n * t->uses[k];
    }
    for (int i = 0; t->n_far > 0 && i < t->n_pieces; i++) {
        const pack_piece *pc = &t->pieces[i];
        if (pc->var && pc->slot >= PACK_SLOTS_MAX)
            o += value_by_name(r, pc->s, pc->n).n;
    }
    return o;
}

static inline __attribute__((always_inline)) char *render_put(const pack_template *t,
                                                              const render_src *r, char *out,
                                                              bool bound)
{
    for (int i = 0; i < t->n_pieces; i++) {
        const pack_piece *pc = &t->pieces[i];
        pack_str v = pc->var ? piece_value(r, pc, bound) : (pack_str){pc->s, pc->n};
        copy_short(out, v.s, v.n);
        out += v.n;
    }
    return out;
}

const char *pack_template_render(arena *a, const pack_template *t, const char *const *vars)
{
    static const char *const none[] = {NULL};
    if (t->text == NULL)
        return "";
    if (t->n_vars == 0)
        return t->text;
    pack_str slot[PACK_SLOTS_MAX];
    render_src r = {.slot = slot, .pairs = vars ? vars : none};   /* no list: all empty */
    for (int k = 0; k < t->n_names; k++)
        slot[k] = pair_value(r.pairs, t->names[k].s, t->names[k].n);
    size_t n = render_len(t, &r, false);
    char *out = arena_alloc(a, n + 1);
    if (out == NULL)
        return NULL;
    *render_put(t, &r, out, false) = '\0';
    return out;
}

bool pack_template_uses(const pack_template *t, const char *name)
{
    for (int k = 0; k < t->n_names; k++)
        if (name_is(name, t->names[k].s, t->names[k].n))
            return true;
    if (t->n_names == PACK_SLOTS_MAX)   /* names past the slots */
        for (int i = 0; i < t->n_pieces; i++)
            if (t->pieces[i].var && t->pieces[i].slot == PACK_SLOTS_MAX &&
                name_is(name, t->pieces[i].s, t->pieces[i].n))
                return true;
    return false;
}

void pack_bind(pack_bound *out, const pack_template *t, const char *const *names, int n_names)
{
    out->t = t;
    out->names = names;
    out->n_names = n_names;
    int n_slots = t ? t->n_names : 0;
    int n = n_names < PACK_UNBOUND ? n_names : PACK_UNBOUND;
    for (int k = 0; k < n_slots; k++) {
        const char *s = t->names[k].s;
        size_t len = t->names[k].n;
        int i = 0;
        while (i < n && (names[i][0] != s[0] || !name_is(names[i], s, len)))
            i++;
        out->value[k] = i < n ? (uint8_t)i : PACK_UNBOUND;
    }
}

static inline render_src bound_src(const pack_bound *b, const pack_str *vals)
{
    return (render_src){.map = b->value, .names = b->names, .vals = vals, .n_names = b->n_names};
}

size_t pack_bound_len(const pack_bound *b, const pack_str *vals)
{
    const pack_template *t = b->t;
    if (t == NULL || t->n_pieces == 0)
        return 0;
    render_src r = bound_src(b, vals);
    return render_len(t, &r, true);
}

char *pack_bound_put(const pack_bound *b, const pack_str *vals, char *out)
{
    const pack_template *t = b->t;
    if (t == NULL || t->n_pieces == 0)
        return out;
    render_src r = bound_src(b, vals);
    return render_put(t, &r, out, true);
}

const char *pack_bound_render(arena *a, const pack_bound *b, const pack_str *vals, size_t *len)
{
    const pack_template *t = b->t;
    size_t n = 0;
    const char *out = t && t->text ? t->text : "";
    if (t && t->n_vars > 0) {
        render_src r = bound_src(b, vals);
        n = render_len(t, &r, true);
        char *o = arena_alloc(a, n + 1);
        if (o == NULL)
            return NULL;
        *render_put(t, &r, o, true) = '\0';
        out = o;
    } else if (t && t->n_pieces > 0) {
        n = t->pieces[0].n;   /* no placeholder: one piece, the whole text */
    }
    if (len)
        *len = n;
    return out;
}
