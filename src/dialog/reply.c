/*
 * reply.c - building the answer: templates in the buyer's language,
 * buttons, listing lines and prices.  Every number in a reply comes from a
 * listing or a slot; nothing is made up here.
 */
#include "dialog/dialog_int.h"
#include "core/money.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void append_paragraph(const dialog_env *env, reply *r, const char *text)
{
    if (text == NULL || *text == '\0')
        return;
    if (r->text == NULL || r->text[0] == '\0')
        r->text = arena_strdup(env->arena, text);
    else
        r->text = arena_join(env->arena, r->text, "\n\n", text);
}

const char *word(const dialog_env *env, const session *s, const char *key,
                 const char *const *vars)
{
    static const char *const none[] = {NULL};
    const pack_template *t = pack_template_get(env->pack, s->language, key);
    if (t == NULL)
        return "";
    return pack_template_render(env->arena, t, vars ? vars : none);
}

const char *say(const dialog_env *env, const session *s, reply *r, const char *key,
                const char *const *vars, bool take_buttons)
{
    static const char *const none[] = {NULL};
    const pack_template *t = pack_template_get(env->pack, s->language, key);
    if (t == NULL)
        return NULL;
    const char *text = pack_template_render(env->arena, t, vars ? vars : none);
    append_paragraph(env, r, text);
    if (take_buttons && t->n_buttons > 0) {
        r->n_buttons = 0;
        for (int i = 0; i < t->n_buttons && r->n_buttons < REPLY_MAX_BUTTONS; i++)
            r->buttons[r->n_buttons++] = t->buttons[i];
    }
    return text;
}

void add_button(const dialog_env *env, reply *r, const char *label, const char *data)
{
    if (r->n_buttons >= REPLY_MAX_BUTTONS)
        return;
    r->buttons[r->n_buttons].label = arena_strdup(env->arena, label);
    r->buttons[r->n_buttons].data = arena_strdup(env->arena, data);
    r->n_buttons++;
}

void add_button_ref(reply *r, const char *label, const char *data)
{
    if (r->n_buttons >= REPLY_MAX_BUTTONS)
        return;
    r->buttons[r->n_buttons].label = label;
    r->buttons[r->n_buttons].data = data;
    r->n_buttons++;
}

void add_reason(reply *r, const char *reason)
{
    if (r && r->n_reasons < REPLY_MAX_REASONS)
        r->reasons[r->n_reasons++] = reason;
}

void add_action(reply *r, const char *action)
{
    for (int i = 0; i < r->n_actions; i++)
        if (strcmp(r->actions[i], action) == 0)
            return;
    if (r->n_actions < 4)
        r->actions[r->n_actions++] = action;
}

const char *price_text(const dialog_env *env, const session *s, money amount, transaction tx)
{
    char buf[64];
    money_format(buf, sizeof buf, amount, env->tenant->currency, 0);
    if (tx == TX_RENT)
        return arena_join(env->arena, buf, " ", word(env, s, "per_year", NULL));
    return arena_strdup(env->arena, buf);
}

void dialog_cat(char *dst, size_t size, const char *a, const char *b)
{
    size_t na = strnlen(a, size - 1);
    if (a != dst)   /* dialog_cat(x, size, x, b) appends b */
        memmove(dst, a, na);
    size_t nb = b[0] ? strnlen(b, size - 1 - na) : 0;   /* dialog_copy's b is "" */
    if (nb)
        memmove(dst + na, b, nb);
    dst[na + nb] = '\0';
}

static inline unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool dialog_has_casei(const char *hay, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0)
        return true;
    if (nl > hl)
        return false;
    const unsigned char *h = (const unsigned char *)hay, *n = (const unsigned char *)needle;
    unsigned char lo = ascii_lower(n[0]);
    unsigned char up = lo >= 'a' && lo <= 'z' ? (unsigned char)(lo - ('a' - 'A')) : lo;
    const unsigned char *p = h, *end = h + (hl - nl + 1);   /* where a match may start */
    while (p < end) {
        /* the next start in either case: memchr runs over the bytes between */
        const unsigned char *a = memchr(p, lo, (size_t)(end - p));
        const unsigned char *b = up != lo ? memchr(p, up, (size_t)((a ? a : end) - p)) : NULL;
        const unsigned char *q = b ? b : a;
        if (q == NULL)
            return false;
        size_t k = 1;
        while (k < nl && ascii_lower(q[k]) == ascii_lower(n[k]))
            k++;
        if (k == nl)
            return true;
        p = q + 1;
    }
    return false;
}

const char *dialog_lld_text(char buf[24], long long v)
{
    char tmp[24], *o = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    *--o = '\0';
    do {
        *--o = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--o = '-';
    memcpy(buf, o, (size_t)(tmp + sizeof tmp - o));
    return buf;
}

const char *dialog_int_text(char buf[16], int v)
{
    char tmp[24];   /* an int's text, sign and NUL take at most 12 bytes */
    dialog_lld_text(tmp, v);
    memcpy(buf, tmp, strlen(tmp) + 1);
    return buf;
}

/* "type_<name>", "purpose_<name>", "tx_<name>": template keys of the
 * slot values, made once (the names are core/types.c's). */
static char type_keys[PTYPE__COUNT][32], purpose_keys[PURPOSE__COUNT][32], tx_keys[TX__COUNT][32];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void keys_init(void)
{
    for (int t = 0; t < PTYPE__COUNT; t++)
        dialog_cat(type_keys[t], sizeof type_keys[t], "type_",
                   ptype_name((property_type)t) ? ptype_name((property_type)t) : "apartment");
    for (int p = 0; p < PURPOSE__COUNT; p++)
        if (purpose_name((purpose)p))
            dialog_cat(purpose_keys[p], sizeof purpose_keys[p], "purpose_", purpose_name((purpose)p));
    for (int x = 0; x < TX__COUNT; x++)
        if (tx_name((transaction)x))
            dialog_cat(tx_keys[x], sizeof tx_keys[x], "tx_", tx_name((transaction)x));
}

static const char *type_word(const dialog_env *env, const session *s, property_type t)
{
    if ((unsigned)t < PTYPE__COUNT) {
        pthread_once(&keys_once, keys_init);
        return word(env, s, type_keys[t], NULL);
    }
    char key[32];
    dialog_cat(key, sizeof key, "type_", ptype_name(t) ? ptype_name(t) : "apartment");
    return word(env, s, key, NULL);
}

/* The templates of a listing line, looked up once for all the lines of an
 * answer. */
typedef struct line_templates {
    const pack_template *line, *studio, *beds, *units, *unknown, *per_year;
    const char *type[PTYPE__COUNT];   /* type words, rendered when first needed */
    const char *beds_text;            /* the bedrooms of the last line that had some */
    int beds_n;                       /* ... and their number (beds_text NULL: none yet) */
} line_templates;

static const char *tmpl_text(const dialog_env *env, const pack_template *t,
                             const char *const *vars)
{
    static const char *const none[] = {NULL};
    return t ? pack_template_render(env->arena, t, vars ? vars : none) : "";
}

/* One listing as a numbered line (listing_line). */
static const char *line_text(const dialog_env *env, const session *s, line_templates *lt,
                             const listing *l, int index)
{
    char idx[16], n[16], units[16];
    dialog_int_text(idx, index);
    dialog_int_text(n, l->bedrooms);
    dialog_int_text(units, l->units_available);
    const char *nv[] = {"n", n, NULL};
    const char *beds = "";
    if (l->bedrooms >= 0 && lt->beds_text && lt->beds_n == l->bedrooms) {
        beds = lt->beds_text;   /* the lines of a search mostly share it */
    } else if (l->bedrooms >= 0) {
        beds = l->bedrooms == 0 ? tmpl_text(env, lt->studio, NULL) : tmpl_text(env, lt->beds, nv);
        lt->beds_text = beds;
        lt->beds_n = l->bedrooms;
    }
    const char *uv[] = {"units", units, NULL};
    const char *units_text = l->units_available >= 0 ? tmpl_text(env, lt->units, uv)
                                                     : tmpl_text(env, lt->unknown, NULL);
    int ti = l->type > 0 && l->type < PTYPE__COUNT ? (int)l->type : 0;
    if (lt->type[ti] == NULL)
        lt->type[ti] = type_word(env, s, l->type);
    /* the amounts on the stack: the line copies them */
    char buf[64], area[48];
    money_format(buf, sizeof buf, l->price, env->tenant->currency, 0);
    const char *price = l->tx == TX_RENT ? arena_join(env->arena, buf, " ", tmpl_text(env, lt->per_year, NULL))
                                         : buf;
    if (l->area_sqft > 0)   /* grouped(): the (empty) currency's space first */
        money_format(area, sizeof area, (money)(l->area_sqft + 0.5), "", 0);
    const char *vars[] = {
        "index", idx,
        "title", l->title ? l->title : l->id,
        "project", l->project ? l->project : "",
        "locality", l->locality ? l->locality : "",
        "bedrooms", beds,
        "type", lt->type[ti],
        "area", l->area_sqft > 0 ? (area[0] == ' ' ? area + 1 : area) : "?",
        "price", price,
        "units", units_text,
        NULL,
    };
    return tmpl_text(env, lt->line, vars);
}

const char *listing_lines(const dialog_env *env, const session *s, const listing *items, int n)
{
    line_templates lt = {
        .line = pack_template_get(env->pack, s->language, "listing_line"),
        .studio = pack_template_get(env->pack, s->language, "bedrooms_studio"),
        .beds = pack_template_get(env->pack, s->language, "bedrooms_n"),
        .units = pack_template_get(env->pack, s->language, "units_left"),
        .unknown = pack_template_get(env->pack, s->language, "units_unknown"),
        .per_year = pack_template_get(env->pack, s->language, "per_year"),
    };
    const char *line_v[8], **line = line_v;
    size_t len_v[8], *len = len_v, total = 0;
    if (n <= 0)
        return "";
    if (n > 8) {
        line = arena_alloc(env->arena, sizeof *line * (size_t)n);
        len = arena_alloc(env->arena, sizeof *len * (size_t)n);
        if (line == NULL || len == NULL)
            return NULL;
    }
    for (int i = 0; i < n; i++) {
        line[i] = line_text(env, s, &lt, &items[i], i + 1);
        len[i] = line[i] ? strlen(line[i]) : 0;
        total += len[i] + (i > 0);
    }
    char *out = arena_alloc(env->arena, total + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0)
            out[o++] = '\n';
        memcpy(out + o, line[i] ? line[i] : "", len[i]);
        o += len[i];
    }
    out[o] = '\0';
    return out;
}

const char *slots_summary(const dialog_env *env, const session *s)
{
    const slots *sl = &s->slots;
    const char *parts[8];
    int n = 0;
    char key[32];
    pthread_once(&keys_once, keys_init);
    if (sl->purpose) {
        if ((unsigned)sl->purpose < PURPOSE__COUNT)
            parts[n++] = word(env, s, purpose_keys[sl->purpose], NULL);
        else {
            dialog_cat(key, sizeof key, "purpose_", purpose_name(sl->purpose));
            parts[n++] = word(env, s, key, NULL);
        }
    }
    if (sl->tx) {
        if ((unsigned)sl->tx < TX__COUNT)
            parts[n++] = word(env, s, tx_keys[sl->tx], NULL);
        else {
            dialog_cat(key, sizeof key, "tx_", tx_name(sl->tx));
            parts[n++] = word(env, s, key, NULL);
        }
    }
    if (sl->has_budget_min || sl->has_budget_max) {
        char lo[48], hi[48];
        money_format(lo, sizeof lo, sl->budget_min, env->tenant->currency, 1);
        money_format(hi, sizeof hi, sl->budget_max, env->tenant->currency, 1);
        const char *vars[] = {"min", lo, "max", hi, NULL};
        parts[n++] = word(env, s, sl->has_budget_min && sl->has_budget_max ? "budget_range"
                                  : sl->has_budget_max ? "budget_under" : "budget_over", vars);
    }
    if (sl->bedrooms >= 0 && sl->type != PTYPE_STUDIO) {
        char b[16];
        dialog_int_text(b, sl->bedrooms);
        const char *vars[] = {"n", b, NULL};
        parts[n++] = word(env, s, sl->bedrooms == 0 ? "bedrooms_studio" : "bedrooms_n", vars);
    }
    if (sl->type)
        parts[n++] = type_word(env, s, sl->type);
    for (int i = 0; i < sl->n_locations && n < 8; i++)
        parts[n++] = sl->locations[i];
    return dialog_join(env->arena, parts, n, ", ");
}

const char *dialog_join(arena *a, const char *const *parts, int n, const char *sep)
{
    if (n <= 0)
        return "";
    if (n == 1)
        return parts[0];
    size_t ns = strlen(sep), total = 0, len[16];
    for (int i = 0; i < n; i++) {
        size_t l = parts[i] ? strlen(parts[i]) : 0;
        if (i < 16)
            len[i] = l;
        total += l + (i > 0 ? ns : 0);
    }
    char *out = arena_alloc(a, total + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            memcpy(out + o, sep, ns);
            o += ns;
        }
        size_t l = i < 16 ? len[i] : (parts[i] ? strlen(parts[i]) : 0);
        memcpy(out + o, parts[i] ? parts[i] : "", l);
        o += l;
    }
    out[o] = '\0';
    return out;
}
